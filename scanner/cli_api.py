"""`secscan api`: probe a running API described by an OpenAPI spec (registered by cli.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from secscan import pipeline
from secscan.cli_common import (
    API_KEYS,
    EXIT_CODES,
    Progress,
    api_options,
    check_outputs,
    output_options,
    overrides,
    policy_options,
    render,
)


@click.command(epilog=EXIT_CODES + " Unreachable API or rejected credentials: 2.")
@api_options("--timeout")
@output_options("api.sarif")
@policy_options
@click.pass_context
def api(ctx: click.Context, /, openapi: str | None, output: str, fmt: str, html: Path | None, quiet: bool,
        config_file: Path | None, **_: object) -> None:
    """Probe a running API described by an OpenAPI spec for OWASP API Top 10 flaws (BOLA, broken authentication,
    mass assignment, excessive data exposure, injection, rate limits) as the tenants in --tokens, and write
    confirmed findings as SARIF located at each operation's line in the spec.

    --openapi and --tokens are required here or in the config's [api] table. Every option can also come from
    that table (command line wins); suppressions and --baseline apply as for `secscan static`."""
    check_outputs(output, html)
    local = openapi and not pipeline.is_url(openapi) and Path(openapi).exists()
    request = pipeline.ScanRequest(start=Path(openapi) if local and openapi else Path.cwd(), static=False, api=True,
                                   config_file=config_file,
                                   overrides=overrides(ctx, {**API_KEYS, "fail_on": "fail_on"}))
    result = pipeline.run(request, Progress(quiet))
    sys.exit(render(result, output, fmt, html, quiet))
