"""`secscan api`: the click command (scanner/cli.py registers it with `cli.add_command(api)`)."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import click

from owasp_probes.engine import ApiScanSettings, run_api_scan, scan_root
from owasp_probes.registry import discover
from scanner.cli_common import emit, severity_option, summarise, warn
from scanner.errors import EXIT_CODES_HELP
from scanner.fingerprints import annotate
from scanner.models import Severity
from scanner.policy import Policy, decide


def _probe_list(_ctx: click.Context, _param: click.Parameter, value: str | None) -> tuple[str, ...]:
    registry = discover()
    if value is None:
        return tuple(registry.names())
    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in registry]
    if unknown or not names:
        raise click.BadParameter(f"unknown probe {', '.join(unknown) or '(empty)'}; "
                                 f"choose from {', '.join(registry.names())}")
    return tuple(dict.fromkeys(names))


@click.command(epilog=EXIT_CODES_HELP + " Unreachable API or rejected credentials: 2.")
@click.option("--openapi", required=True, metavar="PATH_OR_URL", help="OpenAPI 2.0/3.0/3.1 spec: a file or an URL.")
@click.option("--tokens", required=True, type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
              help="tenants.yaml: credentials per tenant (${VAR} read from the environment), role, owned objects.")
@click.option("--base-url", metavar="URL", help="API base URL (default: the spec's servers). Only its scheme, host "
                                                "and port are ever contacted.")
@click.option("-o", "--output", default="api.sarif", show_default=True, metavar="FILE",
              help="Where the SARIF log goes ('-' for stdout).")
@click.option("--format", "fmt", type=click.Choice(["sarif", "json", "text"]), default="sarif", show_default=True,
              help="What to print on stdout besides the SARIF file.")
@click.option("--probes", callback=_probe_list, metavar="LIST", help="Comma-separated probes (default: all).")
@click.option("--max-requests", type=click.IntRange(min=1), default=2000, show_default=True,
              help="Global request budget; the run stops cleanly when it is used up.")
@click.option("--rate", type=click.FloatRange(min=0.1), default=None, help="Client-side limit, requests per second.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=10.0, show_default=True,
              help="Seconds per request.")
@click.option("--allow-destructive", is_flag=True,
              help="Allow DELETE probes (only on objects secscan created) and delete secscan's objects afterwards.")
@click.option("--concurrency", type=click.IntRange(min=1, max=64), default=8, show_default=True,
              help="Requests in flight at once.")
@click.option("--burst", type=click.IntRange(min=1), default=50, show_default=True,
              help="rate-limit probe: requests per burst against each login/token/reset/OTP operation "
                   "(never more than the remaining --max-requests).")
@click.option("--burst-window", type=click.FloatRange(min=0.1), default=10.0, show_default=True,
              help="rate-limit probe: seconds the burst must fit in.")
@click.option("--fail-on", default="high", show_default=True, callback=severity_option,
              help="Lowest severity that fails the run: low, medium, high or critical.")
@click.option("-q", "--quiet", is_flag=True, help="No progress and no summary table on stderr.")
def api(openapi: str, tokens: Path, base_url: str | None, output: str, fmt: str, probes: tuple[str, ...],
        max_requests: int, rate: float | None, timeout: float, allow_destructive: bool, concurrency: int,
        burst: int, burst_window: float, fail_on: Severity, quiet: bool) -> None:
    """Probe a running API described by an OpenAPI spec for OWASP API Top 10 flaws (BOLA, mass assignment,
    excessive data exposure...) as the tenants in --tokens, and write confirmed findings as SARIF located at
    each operation's line in the spec."""
    settings = ApiScanSettings(openapi=openapi, tokens=tokens, base_url=base_url, probes=probes,
                               max_requests=max_requests, rate=rate, timeout=timeout,
                               allow_destructive=allow_destructive, concurrency=concurrency, quiet=quiet,
                               burst=burst, burst_window=burst_window)
    run = run_api_scan(settings)
    root = scan_root(openapi)
    run = dataclasses.replace(run, findings=tuple(annotate(run.findings, root)))
    verdict = decide([run], Policy(fail_on=fail_on))
    emit([run], verdict, output, fmt, root)
    warn([run])
    if not quiet:
        summarise([run], verdict)
    sys.exit(verdict.exit_code)

