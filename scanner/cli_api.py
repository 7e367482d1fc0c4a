"""`secscan api`: the click command (scanner/cli.py registers it with `cli.add_command(api)`)."""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlsplit

import click

from secscan_probes.engine import ApiScanSettings, run_api_scan, scan_root
from secscan_probes.engine.registry import discover
from secscan.cli_common import EXIT_CODES, conclude, load_config, policy_inputs, policy_options, severity_option
from secscan.config import ApiSettings
from secscan.errors import UsageError


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


API_KEYS = {"openapi": "api.openapi", "tokens": "api.tokens", "base_url": "api.base_url", "probes": "api.probes",
            "max_requests": "api.max_requests", "rate": "api.rate", "timeout": "api.timeout",
            "allow_destructive": "api.allow_destructive", "concurrency": "api.concurrency", "burst": "api.burst",
            "burst_window": "api.burst_window", "fail_on": "fail_on"}


def api_settings(cfg: ApiSettings, quiet: bool, root: Path | None = None) -> ApiScanSettings:
    """The engine's settings from the effective `[api]` configuration (spec and tokens are required)."""
    if not cfg.openapi or not cfg.tokens:
        missing = " and ".join(n for n, v in (("--openapi", cfg.openapi), ("--tokens", cfg.tokens)) if not v)
        raise UsageError(f"{missing} required (or set api.openapi / api.tokens in the config)")
    return ApiScanSettings(openapi=cfg.openapi, tokens=Path(cfg.tokens), base_url=cfg.base_url,
                           probes=tuple(cfg.probes or ()), max_requests=cfg.max_requests, rate=cfg.rate,
                           timeout=cfg.timeout, allow_destructive=cfg.allow_destructive,
                           concurrency=cfg.concurrency, quiet=quiet, burst=cfg.burst, burst_window=cfg.burst_window,
                           root=root)


@click.command(epilog=EXIT_CODES + " Unreachable API or rejected credentials: 2.")
@click.option("--openapi", metavar="PATH_OR_URL",
              help="OpenAPI 2.0/3.0/3.1 spec: a file or an URL. Required here or as api.openapi in the config.")
@click.option("--tokens", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
              help="tenants.yaml: credentials per tenant (${VAR} read from the environment), role, owned objects. "
                   "Required here or as api.tokens in the config.")
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
@policy_options
@click.option("-q", "--quiet", is_flag=True, help="No progress and no summary table on stderr.")
@click.pass_context
def api(ctx: click.Context, openapi: str | None, output: str, fmt: str, html: Path | None, quiet: bool,
        **_: object) -> None:
    """Probe a running API described by an OpenAPI spec for OWASP API Top 10 flaws (BOLA, mass assignment,
    excessive data exposure...) as the tenants in --tokens, and write confirmed findings as SARIF located at
    each operation's line in the spec.

    Every option can also come from the config file's [api] table (command line wins); suppressions and
    --baseline apply as for `secscan static`."""
    start = Path(openapi) if openapi and not _is_url(openapi) and Path(openapi).exists() else Path.cwd()
    effective = load_config(ctx, start, API_KEYS)
    settings = api_settings(effective.config.api, quiet)
    root = scan_root(settings.openapi)
    inputs = policy_inputs(effective, root)
    run = run_api_scan(settings)
    sys.exit(conclude([run], inputs, output, fmt, html, quiet))


def _is_url(value: str) -> bool:
    return urlsplit(value).scheme in ("http", "https")
