"""`secscan upload`: the click command that sends a SARIF log to GitHub code scanning (registered in cli.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from secscan.errors import UsageError
from secscan.github_upload import (
    DEFAULT_API_URL,
    GitHubClient,
    UploadTarget,
    check_api_url,
    encode_sarif,
    parse_target,
    raise_if_failed,
    read_token,
    wait_for_processing,
)
from secscan.sarif_checks import github_problems, prepare_for_upload, upload_warnings

MAX_LISTED_PROBLEMS = 20
EPILOG = ("Exit codes: 0 = uploaded (and, with --wait, processed or still pending at --wait-timeout); "
          "2 = local problem: missing token, bad --repo/--ref/--sha/--api-url, unreadable or invalid SARIF, or a "
          "SARIF GitHub would reject (nothing is sent); 3 = the upload failed: HTTP error, network error, or "
          "GitHub failed to process the SARIF.")


@click.command(epilog=EPILOG)
@click.option("--sarif", "sarif_path", required=True, metavar="FILE", help="The SARIF log to upload.")
@click.option("--repo", required=True, metavar="OWNER/NAME", help="The GitHub repository.")
@click.option("--ref", required=True, metavar="REF",
              help="refs/heads/<branch>, refs/tags/<tag>, refs/pull/<n>/merge or refs/pull/<n>/head.")
@click.option("--sha", required=True, metavar="SHA", help="The full SHA of the commit that was analysed.")
@click.option("--token-env", default="GITHUB_TOKEN", show_default=True, metavar="VAR",
              help="Environment variable holding a token with security_events write. The token is never taken "
                   "from the command line and never printed.")
@click.option("--api-url", default=lambda: os.environ.get("GITHUB_API_URL") or DEFAULT_API_URL, metavar="URL",
              help=f"REST API base URL (GitHub Enterprise Server: https://HOST/api/v3). "
                   f"[default: $GITHUB_API_URL or {DEFAULT_API_URL}]")
@click.option("--wait", is_flag=True, help="Poll GitHub until it has processed the upload; exit 3 if it failed.")
@click.option("--wait-timeout", type=click.FloatRange(min=0), default=120.0, show_default=True,
              help="With --wait: give up waiting (with a warning, exit 0) after this many seconds.")
@click.option("--poll-interval", type=click.FloatRange(min=0.01), default=5.0, show_default=True,
              help="With --wait: first delay between status checks; it doubles up to 30 s.")
def upload(sarif_path: str, repo: str, ref: str, sha: str, token_env: str, api_url: str, wait: bool,
           wait_timeout: float, poll_interval: float) -> None:
    """Upload a SARIF log to GitHub code scanning (REST API), after checking it against GitHub's ingestion rules.

    Suppressed results and results baselined as absent are left out (GitHub would reopen them); a partial
    (pre-commit hook) scan is refused."""
    target = parse_target(repo, ref, sha)
    url = check_api_url(api_url)
    token = read_token(token_env, os.environ)
    original = _load(Path(sarif_path))
    _refuse_if_rejected(sarif_path, original)  # indices in its messages are those of the file
    doc, dropped = prepare_for_upload(original)
    for warning in upload_warnings(doc):
        click.echo(f"secscan: warning: {warning}", err=True)
    _say(f"uploading {sarif_path} to {target.slug} ({target.ref} @ {target.sha[:12]}): "
         f"{_count(doc)} results in {len(doc['runs'])} runs, {dropped} left out (suppressed or absent)")
    with GitHubClient(url, token) as client:
        receipt = client.upload(target, encode_sarif(doc))
        _say(f"GitHub accepted the upload: sarif id {receipt.id}")
        summary: dict[str, Any] = {"id": receipt.id, "url": receipt.url, "results": _count(doc), "dropped": dropped}
        if wait:
            summary.update(_wait(client, target, receipt.id, wait_timeout, poll_interval))
    click.echo(json.dumps(summary, sort_keys=True))


def _load(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--sarif: cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"--sarif: {path} is not UTF-8 text") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"--sarif: {path} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


def _refuse_if_rejected(sarif_path: str, doc: Any) -> None:
    problems = github_problems(doc)
    if not problems:
        return
    for problem in problems[:MAX_LISTED_PROBLEMS]:
        click.echo(f"secscan: {sarif_path}: {problem}", err=True)
    if len(problems) > MAX_LISTED_PROBLEMS:
        click.echo(f"secscan: {sarif_path}: … and {len(problems) - MAX_LISTED_PROBLEMS} more", err=True)
    raise UsageError(f"{sarif_path}: GitHub code scanning would reject this SARIF ({len(problems)} problem"
                     f"{'s' if len(problems) != 1 else ''} above); nothing was uploaded")


def _wait(client: GitHubClient, target: UploadTarget, sarif_id: str, timeout: float,
          interval: float) -> dict[str, Any]:
    status = wait_for_processing(client, target, sarif_id, timeout, interval)
    raise_if_failed(status, sarif_id)
    if status.status == "pending":
        click.echo(f"secscan: warning: upload {sarif_id} is still pending after {timeout:g} s; GitHub keeps "
                   "processing it in the background", err=True)
    else:
        _say(f"processing complete: {status.analyses_url or 'no analyses URL given'}")
    return {"processing_status": status.status, "analyses_url": status.analyses_url}


def _count(doc: dict[str, Any]) -> int:
    return sum(len(run.get("results") or []) for run in doc["runs"])


def _say(message: str) -> None:
    click.echo(f"secscan: {message}", err=True)
