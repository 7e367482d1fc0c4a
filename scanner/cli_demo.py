"""`secscan demo`: the bundled example end to end (static scan, then the API probes against the app on loopback)."""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
from pathlib import Path

import click

from secscan import pipeline
from secscan.cli_common import Progress, check_outputs, render, stderr
from secscan.errors import EXIT_OK, EXIT_SCAN_ERROR, UsageError

REPO = Path(__file__).resolve().parents[1]
TENANTS = ("alice", "bob", "admin", "carol")  # carol owns 60 books: enough to see unbounded page sizes


@dataclasses.dataclass(frozen=True, slots=True)
class DemoPaths:
    static_app: Path
    advisories: Path
    api_spec: Path


def demo_paths(repo: Path = REPO) -> DemoPaths:
    paths = DemoPaths(
        static_app=repo / "fixtures" / "vuln_apps" / "static_vuln",
        advisories=repo / "fixtures" / "advisories",
        api_spec=repo / "fixtures" / "vuln_apps" / "tenant_api" / "openapi.json",
    )
    if not paths.static_app.is_dir() or not paths.advisories.is_dir():
        raise UsageError(f"the demo needs a source checkout of secscan (no fixtures under {repo})")
    return paths


@click.command()
@click.option("-o", "--output", default="secscan-demo.sarif", show_default=True, metavar="FILE",
              help="Where the demo's SARIF log goes.")
@click.option("--html", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
              help="Also write the self-contained HTML report.")
def demo(output: str, html: Path | None) -> None:
    """Scan the bundled vulnerable example end to end (needs a source checkout): the static scanners on
    fixtures/vuln_apps/static_vuln, then the API probes against fixtures/vuln_apps/tenant_api started on
    127.0.0.1. Writes one SARIF and prints the summary, with the default configuration.

    Exits 0 when every tool ran (the example is vulnerable on purpose, so findings are expected), 3 otherwise."""
    check_outputs(output, html)
    paths = demo_paths()
    try:
        from secscan_demo.serve import serve
        from secscan_demo.tenant_api.app import create_app, issue_token
    except ImportError as exc:
        raise UsageError(f"the API demo needs the demo extra (pip install -e '.[demo]'): {exc}") from exc
    app = create_app()
    with serve(app) as base_url, tempfile.TemporaryDirectory(prefix="secscan-demo-") as tmp:
        stderr.print(f"secscan: started the vulnerable tenant API on {base_url}; probing it as {', '.join(TENANTS)}")
        tokens = tenants_file(Path(tmp), {name: issue_token(app, name) for name in TENANTS})
        request = pipeline.ScanRequest(
            start=paths.static_app, paths=(paths.static_app,), api=True, use_config_file=False,
            overrides={"advisory_db": str(paths.advisories), "api.openapi": str(paths.api_spec),
                       "api.tokens": str(tokens), "api.base_url": base_url, "api.allow_destructive": True})
        result = pipeline.run(request, Progress(False))
    code = render(result, output, "none", html, quiet=False, hypothetical=True)
    stderr.print("The demo apps are vulnerable on purpose, so a failing verdict is expected.")
    sys.exit(EXIT_SCAN_ERROR if code == EXIT_SCAN_ERROR else EXIT_OK)


def tenants_file(directory: Path, tokens: dict[str, str]) -> Path:
    """tenants.yaml in the documented shape; tokens come from the environment (${VAR}), as users should do."""
    lines = ["tenants:"]
    for name, token in tokens.items():
        variable = f"SECSCAN_DEMO_{name.upper()}_TOKEN"
        os.environ[variable] = token
        lines += [f"  {name}:", f'    headers: {{Authorization: "Bearer ${{{variable}}}"}}',
                  f"    role: {'admin' if name == 'admin' else 'user'}"]
    path = directory / "tenants.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path
