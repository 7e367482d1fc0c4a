"""run_api_scan: load spec and tenants, preflight, discover resources, run the probes, clean up, one ToolRun."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import secrets
import time
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from secscan import __version__
from secscan.config import ApiSettings
from secscan.errors import UsageError
from secscan.models import API_TOOL, Notification, Status, ToolRun
from secscan.targets import find_root
from secscan_probes.engine.context import ApiFinding, ProbeContext, ScanOptions, gather
from secscan_probes.engine.coverage import Coverage, measure
from secscan_probes.engine.created import CreatedObject, created_objects
from secscan_probes.engine.discovery import discover_resources
from secscan_probes.engine.guard import SessionGuard
from secscan_probes.engine.http import (
    ApiClient,
    BudgetExhausted,
    ClientLimits,
    OutOfScope,
    ShareExhausted,
    UnsafeRequest,
)
from secscan_probes.engine.preflight import preflight
from secscan_probes.engine.registry import ProbeInfo, discover
from secscan_probes.engine.resources import Resources
from secscan_probes.engine.safety import select
from secscan_probes.engine.spec import ApiSpec, Operation, load_spec
from secscan_probes.engine.tenants import Tenants, load_tenants
from secscan_probes.engine.to_findings import to_finding

MIN_BUDGET = 2000
REQUESTS_PER_OPERATION = 60  # injection alone sends about 20 per string input


class Progress(Protocol):
    """Where the engine reports its stage and request count (the CLI draws a progress bar from it)."""

    def budget(self, total: int) -> None: ...

    def stage(self, text: str) -> None: ...

    def tick(self, count: int) -> None: ...

    def close(self) -> None: ...


class NoProgress:
    def budget(self, total: int) -> None:
        pass

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


def check_base_url(url: str) -> None:
    """The base URL must be http(s) and carry no credentials (they would end up in every curl and report)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"base URL {url!r} is not an http(s) URL with a host")
    if parts.username is not None or parts.password is not None:
        raise UsageError("the base URL contains a user name or password: put credentials in tenants.yaml "
                         "(headers, or a login recipe) instead")


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
    if settings.base_url is not None:
        check_base_url(settings.base_url)
    spec = load_spec(settings.openapi, settings.base_url, settings.timeout,
                     allow_external_refs=settings.allow_external_refs)
    check_base_url(spec.base_url)
    progress = progress or NoProgress()
    try:
        findings, notes, status, properties = asyncio.run(_scan(settings, spec, tenants, probes, progress))
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
        properties=properties,
    )


async def _scan(settings: ApiSettings, spec: ApiSpec, tenants: Tenants, probes: list[ProbeInfo],
                progress: Progress) -> tuple[list[ApiFinding], list[Notification], Status, dict[str, Any]]:
    allowed, filtered, unsafe = select(spec.all_operations, settings.include, settings.exclude,
                                       settings.exclude_deprecated, settings.allow_unsafe)
    spec.restrict(tuple(allowed))
    held_back = {(s.operation.method, s.operation.path) for s in unsafe}
    progress.budget(budget(settings, allowed))
    limits = ClientLimits(budget(settings, allowed), settings.concurrency, settings.rate, settings.timeout,
                          settings.max_response_bytes, settings.proxy)
    async with ApiClient(spec.base_url, tenants, limits, on_request=progress.tick,
                         unsafe=lambda method, path: (method, path) in held_back) as client:
        client.template_of = lambda method, path: op.path if (op := spec.find(method, path)) else None
        for skipped in (*filtered, *unsafe):
            client.note("note", f"not called: {skipped.note}")
        if not allowed:
            raise UsageError(f"{spec.source}: nothing to test: every operation was excluded or held back as unsafe")
        await _login(client, tenants, progress)
        try:
            result = await preflight(client, spec, tenants)
        except BudgetExhausted:
            too_small = f"--max-requests {limits.max_requests} is too small even for the auth preflight"
            raise UsageError(too_small) from None
        ctx = ProbeContext(spec, tenants, client, Resources(), result.identities, result.operation,
                           {t.name: f"secscan-canary-{secrets.token_hex(4)}" for t in tenants},
                           ScanOptions(allow_destructive=settings.allow_destructive, burst=settings.burst,
                                       burst_window=settings.burst_window),
                           observed_secured=set(result.secured), unsafe=tuple(s.operation for s in unsafe))
        guard = SessionGuard(ctx, result.verify)
        progress.stage("discovering resources")
        findings: list[ApiFinding] = []
        try:
            status = await _run_probes(ctx, probes, progress, guard, findings)
        except Exception as exc:  # noqa: BLE001 - a bug after the preflight must not lose what was found
            client.note("error", f"internal error while probing: {type(exc).__name__}: {exc}; the findings so far "
                                 "are kept")
            status = Status.FAILED
        leftovers = await _cleanup(ctx, progress)
        coverage = measure(spec.operations, client.exchanges, ctx.needs_auth, (*filtered, *unsafe))
        status = _judge(ctx, coverage, settings, guard, status)
        _closing_notes(ctx, coverage, leftovers)
        notes = [Notification(level, message) for level, message in client.notes]
        properties = {"coverage": coverage.as_properties(), "requests": client.requests_made,
                      "createdObjects": leftovers, "probes": ctx.tested}
        return findings, notes, status, properties


def budget(settings: ApiSettings, callable_ops: list[Operation]) -> int:
    """--max-requests, or by default REQUESTS_PER_OPERATION per callable operation (at least MIN_BUDGET)."""
    return settings.max_requests or max(MIN_BUDGET, REQUESTS_PER_OPERATION * len(callable_ops))


def _share(client: ApiClient, probes_left: int, probes_total: int) -> int:
    """The request count at which the next probe must stop: it may use the rest of the budget except a reserve
    for each probe still to come (a quarter of an even split), so a bulk probe (injection) cannot starve them."""
    reserve = client.limits.max_requests // (4 * probes_total)
    return client.limits.max_requests - reserve * (probes_left - 1)


async def _login(client: ApiClient, tenants: Tenants, progress: Progress) -> None:
    """Tenants with a login recipe log in first; a recipe that fails is a one-line error (exit 2)."""
    with_recipe = [t for t in tenants if t.login is not None]
    if not with_recipe:
        return
    progress.stage("logging in")
    await gather(*(client.session(t).login(client) for t in with_recipe))
    seen: dict[str, str] = {}
    for tenant in with_recipe:
        session = client.session(tenant)
        key = repr((sorted(session.headers.items()), sorted(session.cookies.items())))
        if key in seen:
            raise UsageError(f"tenants {seen[key]} and {tenant.name} got the same session from their logins: they "
                             "are one identity")
        seen[key] = tenant.name


async def _run_probes(ctx: ProbeContext, probes: list[ProbeInfo], progress: Progress, guard: SessionGuard,
                      findings: list[ApiFinding]) -> Status:
    """Discovery, then each probe; findings accumulate in `findings` (kept whatever happens later)."""
    status = Status.OK
    done: list[str] = []
    try:
        await discover_resources(ctx)
        await guard.check("resource discovery")
        for index, info in enumerate(probes):
            progress.stage(f"probe {info.name}")
            if len(ctx.tenants.tenants) < info.min_tenants:
                ctx.client.note("warning", f"probe {info.name} needs {info.min_tenants} working tenants; skipped")
                continue
            ctx.client.share_limit = _share(ctx.client, len(probes) - index, len(probes))
            first = len(ctx.client.exchanges)
            try:
                found, ok = await _one_probe(ctx, info)
            finally:
                cut_short, ctx.client.share_limit, ctx.client.share_hit = ctx.client.share_hit, None, False
                _what_it_tested(ctx, info.name, ctx.client.exchanges[first:])
            if cut_short:
                budget_now = ctx.client.limits.max_requests
                ctx.client.note("error", f"probe {info.name} used up its share of the request budget and stopped "
                                         f"before it finished (raise --max-requests, now {budget_now})")
                ok = False
            findings.extend(found)
            status = status if ok else Status.FAILED
            done.append(info.name)
            await guard.check(f"probe {info.name}")
    except BudgetExhausted:  # what was found so far is kept; what did not run is said
        missing = [p.name for p in probes if p.name not in done]
        ctx.client.note("error", f"the request budget of {ctx.client.limits.max_requests} ran out: "
                                 f"{', '.join(missing) or 'the last session checks'} did not run completely "
                                 "(raise --max-requests)")
        status = Status.FAILED
    return status


def _what_it_tested(ctx: ProbeContext, name: str, exchanges: list[Any]) -> None:
    """Each probe family says what it could test: its requests and the operations they went to (SARIF run
    properties `probes`, and a note), or that it found nothing it could test here."""
    ops = sorted({f"{e.method} {e.template}" for e in exchanges if e.template})
    ctx.tested[name] = {"requests": len(exchanges), "operations": ops}
    if not exchanges:
        ctx.client.note("note", f"{name}: nothing it could test here (no request sent)")
        return
    shown = ", ".join(ops[:6]) + (f" and {len(ops) - 6} more" if len(ops) > 6 else "")
    ctx.client.note("note", f"{name}: {len(exchanges)} requests to {len(ops)} operations ({shown})")


async def _one_probe(ctx: ProbeContext, info: ProbeInfo) -> tuple[list[ApiFinding], bool]:
    """Run one probe; a crash is an error notification (the run is incomplete) and the next probe runs."""
    try:
        found = await info.run(ctx)
        return [dataclasses.replace(f, owasp=info.owasp) for f in found], True
    except ShareExhausted:
        return [], True  # the caller says it was cut short (a probe may also catch this itself and return)
    except (BudgetExhausted, asyncio.CancelledError):
        raise
    except OutOfScope:
        ctx.client.note("error", f"probe {info.name} stopped at an out-of-scope request; it did not finish")
        return [], False
    except UnsafeRequest as exc:
        ctx.client.note("error", f"probe {info.name} tried to call an unsafe operation ({exc}); stopped")
        return [], False
    except Exception as exc:  # noqa: BLE001 - a crashing probe must not take the others down
        ctx.client.note("error", f"probe {info.name} crashed: {type(exc).__name__}: {exc}")
        return [], False


async def _cleanup(ctx: ProbeContext, progress: Progress) -> list[dict[str, Any]]:
    """Every object secscan created (by discovery or by any probe's successful write) is deleted again as its
    owner, newest first (children before parents), when the spec has a DELETE for it and it is certainly new;
    the rest is listed for manual cleanup. Returns the list with what happened to each."""
    objects = created_objects(ctx)
    if any(o.delete is not None and o.fresh for o in objects):
        progress.stage("cleaning up")
    outcome: dict[int, bool] = {}
    ctx.client.cleaning_up = True
    for index in reversed(range(len(objects))):
        obj = objects[index]
        outcome[index] = obj.delete is not None and obj.fresh and await _delete(ctx, obj)
    return [{**obj.as_properties(), "deleted": outcome[i]} for i, obj in enumerate(objects)]


async def _delete(ctx: ProbeContext, obj: CreatedObject) -> bool:
    assert obj.delete is not None
    owner = ctx.tenants.by_name(obj.owner) if obj.owner and obj.owner in ctx.tenants.names else None
    try:
        reply = await ctx.call(owner, obj.delete, obj.delete_params)
    except (BudgetExhausted, OutOfScope, UnsafeRequest):
        return False
    return reply.ok or reply.status in (404, 410)


def _judge(ctx: ProbeContext, coverage: Coverage, settings: ApiSettings, guard: SessionGuard,
           status: Status) -> Status:
    """No silent PASS: nothing exercised, most requests unanswered, too little coverage, or a tenant secscan broke
    fail the run (exit 3)."""
    failed = status
    exchanges = ctx.client.exchanges
    unanswered = sum(1 for e in exchanges if e.status is None)
    answered_ops = {e.template for e in exchanges if e.status is not None}
    dead_ops = {e.template for e in exchanges if e.template not in answered_ops}  # never one usable response
    if exchanges and unanswered * 2 > len(exchanges):
        ctx.client.note("error", f"{unanswered} of {len(exchanges)} requests got no usable response (reset, timed "
                                 "out or too large): the API could not really be tested")
        failed = Status.FAILED
    elif dead_ops and len(dead_ops) * 2 > len(dead_ops | answered_ops):
        ctx.client.note("error", f"{len(dead_ops)} of {len(dead_ops | answered_ops)} operations requested never got "
                                 "a usable response (reset, timed out or too large): the API could not really be "
                                 "tested")
        failed = Status.FAILED
    if not coverage.exercised:
        ctx.client.note("error", f"nothing was tested: no operation answered 2xx ({coverage.summary()})")
        failed = Status.FAILED
    elif coverage.percent < settings.min_coverage:
        ctx.client.note("error", f"coverage {coverage.percent:.0f}% is below --min-coverage "
                                 f"{settings.min_coverage:g}% ({coverage.summary()})")
        failed = Status.FAILED
    for sentence in guard.broken.values():
        ctx.client.note("error", sentence)
        failed = Status.FAILED
    return failed


def _closing_notes(ctx: ProbeContext, coverage: Coverage, leftovers: list[dict[str, Any]]) -> None:
    client = ctx.client
    failed = sum(1 for exchange in client.exchanges if exchange.status is None)
    if failed:
        client.note("warning", f"{failed} request{'s' if failed != 1 else ''} got no usable response (timeout, "
                               "connection error, too large); "
                               "results may be incomplete")
    client.note("note", f"coverage: {coverage.summary()}")
    kept = [o for o in leftovers if not o["deleted"]]
    if kept:
        listed = ", ".join(f"{o['operation']} -> {o['param'] or 'id'}={o['value']}" for o in kept[:15])
        what = "1 object created by secscan is" if len(kept) == 1 else f"{len(kept)} objects created by secscan are"
        client.note("warning", f"{what} left on the target (no DELETE in the "
                               f"spec, it failed, or the object may have existed before): {listed}"
                               + (", …" if len(kept) > 15 else ""))
    cleanup = f" ({client.cleanup_requests} of them deleting what secscan created)" if client.cleanup_requests else ""
    client.note("note", f"{client.requests_made} requests{cleanup}, {len(ctx.resources)} objects discovered, "
                        f"{len(leftovers)} created by secscan ({len(leftovers) - len(kept)} deleted)")
