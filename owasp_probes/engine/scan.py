"""run_api_scan: load spec and tenants, preflight, discover resources, run the probes, clean up, one ToolRun."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import secrets
import time
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from secscan import __version__
from secscan.config import ApiSettings
from secscan.errors import UsageError
from secscan.models import API_TOOL, Notification, Status, ToolRun
from secscan.targets import find_root
from secscan_probes.engine.context import ApiFinding, ProbeContext, ScanOptions
from secscan_probes.engine.discovery import collection_of, discover_resources
from secscan_probes.engine.http import ApiClient, BudgetExhausted, ClientLimits, OutOfScope
from secscan_probes.engine.preflight import preflight
from secscan_probes.engine.registry import ProbeInfo, discover
from secscan_probes.engine.resources import Resources
from secscan_probes.engine.spec import ApiSpec, load_spec
from secscan_probes.engine.tenants import Tenants, load_tenants
from secscan_probes.engine.to_findings import mark_inconclusive, to_finding


class Progress(Protocol):
    """Where the engine reports its stage and request count (the CLI draws a progress bar from it)."""

    def stage(self, text: str) -> None: ...

    def tick(self, count: int) -> None: ...

    def close(self) -> None: ...


class NoProgress:
    def stage(self, text: str) -> None:
        pass

    def tick(self, count: int) -> None:
        pass

    def close(self) -> None:
        pass


def select_probes(names: list[str] | tuple[str, ...] | None) -> list[ProbeInfo]:
    registry = discover()
    unknown = [n for n in names or () if n not in registry]
    if unknown:
        raise UsageError(f"unknown probe {', '.join(unknown)}; choose from {', '.join(registry.names())}")
    chosen = [registry.get(n) for n in (names or registry.names())]
    return sorted(chosen, key=lambda info: info.runs_last)  # stable: --probes order otherwise


def spec_location(spec: ApiSpec, root: Path) -> str:
    """Repo-relative POSIX path of the spec file; URL specs use the URL's file name."""
    if spec.file is None:
        return Path(urlsplit(spec.source).path).name or "openapi.json"
    try:
        return spec.file.resolve().relative_to(root).as_posix()
    except ValueError:
        return Path(os.path.relpath(spec.file.resolve(), root)).as_posix()


def run_api_scan(settings: ApiSettings, *, root: Path | None = None, progress: Progress | None = None) -> ToolRun:
    """The whole API run; expected failures raise SecscanError (UsageError, TargetUnreachable).

    Findings are located in the spec file relative to `root` (default: the spec's git work tree; the current
    directory for a URL spec)."""
    if not settings.openapi or not settings.tokens:
        raise UsageError("the API scan needs an OpenAPI spec and a tenants file")
    started = time.monotonic()
    probes = select_probes(settings.probes)
    tenants = load_tenants(Path(settings.tokens))
    spec = load_spec(settings.openapi, settings.base_url, settings.timeout)
    progress = progress or NoProgress()
    try:
        findings, notes, status = asyncio.run(_scan(settings, spec, tenants, probes, progress))
    finally:
        progress.close()
    if root is None:
        root = Path.cwd() if spec.file is None else find_root(spec.file.resolve())
    spec_path = spec_location(spec, root.resolve())
    return ToolRun(
        tool=API_TOOL, status=status, findings=tuple(to_finding(f, spec, spec_path) for f in findings),
        notifications=tuple(notes), version=__version__,
        command=("secscan", "api", "--openapi", settings.openapi, "--probes", ",".join(p.name for p in probes)),
        wall_seconds=time.monotonic() - started,
        information_uri="https://owasp.org/API-Security/",
    )


async def _scan(settings: ApiSettings, spec: ApiSpec, tenants: Tenants, probes: list[ProbeInfo],
                progress: Progress) -> tuple[list[ApiFinding], list[Notification], Status]:
    limits = ClientLimits(settings.max_requests, settings.concurrency, settings.rate, settings.timeout)
    async with ApiClient(spec.base_url, tenants, limits, on_request=progress.tick) as client:
        try:
            result = await preflight(client, spec, tenants)
        except BudgetExhausted:
            too_small = f"--max-requests {settings.max_requests} is too small even for the auth preflight"
            raise UsageError(too_small) from None
        ctx = ProbeContext(spec, tenants, client, Resources(), result.identities, result.operation,
                           {t.name: f"secscan-canary-{secrets.token_hex(4)}" for t in tenants},
                           ScanOptions(allow_destructive=settings.allow_destructive, burst=settings.burst,
                                       burst_window=settings.burst_window))
        progress.stage("discovering resources")
        findings, status = await _run_probes(ctx, probes, progress)
        if settings.allow_destructive:
            progress.stage("cleaning up")
            await _cleanup(ctx)
        failed = sum(1 for exchange in client.exchanges if exchange.status is None)
        if failed:
            client.note("warning", f"{failed} requests got no response (timeout or connection error); "
                                   "results may be incomplete")
        client.note("note", f"{client.requests_made} requests, {len(ctx.resources)} objects discovered, "
                            f"{len(ctx.created)} created by secscan")
        notes = [Notification(level, message) for level, message in client.notes]
        return mark_inconclusive(findings, client.health.broken), notes, status


async def _run_probes(ctx: ProbeContext, probes: list[ProbeInfo],
                      progress: Progress) -> tuple[list[ApiFinding], Status]:
    findings: list[ApiFinding] = []
    status = Status.OK
    try:
        await discover_resources(ctx)
        for info in probes:
            progress.stage(f"probe {info.name}")
            if len(ctx.tenants.tenants) < info.min_tenants:
                ctx.client.note("warning", f"probe {info.name} needs {info.min_tenants} tenants; skipped")
                continue
            found, ok = await _one_probe(ctx, info)
            findings.extend(found)
            status = status if ok else Status.FAILED
    except BudgetExhausted:
        pass  # recorded by the client as a warning; what was found so far is kept
    return findings, status


async def _one_probe(ctx: ProbeContext, info: ProbeInfo) -> tuple[list[ApiFinding], bool]:
    """Run one probe; a crash is an error notification (the run is incomplete) and the next probe runs."""
    try:
        found = await info.run(ctx)
        return [dataclasses.replace(f, owasp=info.owasp) for f in found], True
    except (BudgetExhausted, asyncio.CancelledError):
        raise
    except OutOfScope:
        ctx.client.note("warning", f"probe {info.name} stopped at an out-of-scope request")
        return [], True
    except Exception as exc:  # noqa: BLE001 - a crashing probe must not take the others down
        ctx.client.note("error", f"probe {info.name} crashed: {type(exc).__name__}: {exc}")
        return [], False


async def _cleanup(ctx: ProbeContext) -> None:
    """Delete (as their owner) only the objects secscan created; failures are ignored."""
    for resource in reversed(ctx.created):
        ops = [op for op in ctx.operations("DELETE", resource.param)
               if op.path == collection_of(op.path, resource.param) + "/{" + resource.param + "}"]
        for op in ops[:1]:
            try:
                await ctx.call(ctx.tenants.by_name(resource.owner), op, {resource.param: resource.value})
            except (BudgetExhausted, OutOfScope):
                return
