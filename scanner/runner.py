"""Runs static tools concurrently (one worker thread each) around the shared skeleton every tool goes through:
locate the executable, split long file lists, execute each invocation, parse, merge, fingerprint."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed

from secscan import proc
from secscan.errors import ToolError, ToolMissing
from secscan.fingerprints import annotate
from secscan.models import Notification, Status, ToolRun
from secscan.tools import TOOLS, Tool
from secscan.tools.base import Invocation, ToolContext, chunk_args, locate

OnDone = Callable[[ToolRun], None]


def run_tools(names: Sequence[str], contexts: Mapping[str, ToolContext], on_done: OnDone | None = None,
              registry: Mapping[str, Tool] | None = None) -> list[ToolRun]:
    """Every tool runs; a tool that raises is recorded as a failed run, never lost with the others."""
    tools = registry or TOOLS
    with ThreadPoolExecutor(max_workers=max(1, len(names)), thread_name_prefix="secscan-tool") as pool:
        futures = {pool.submit(run_one, tools[name], contexts[name]): name for name in names}
        done: dict[str, ToolRun] = {}
        for future in as_completed(futures):  # progress in completion order, results in the asked order
            done[futures[future]] = future.result()
            if on_done:
                on_done(done[futures[future]])
    return [done[name] for name in names]


def run_one(tool: Tool, ctx: ToolContext) -> ToolRun:
    start = time.perf_counter()
    try:
        run = _run(tool, ctx)
    except Exception as exc:  # noqa: BLE001 - an adapter bug must not lose the other tools' results
        return failed(tool.name, Status.FAILED, f"{tool.name} adapter crashed: {type(exc).__name__}: {exc}",
                      wall=time.perf_counter() - start)
    # Fingerprints are computed here, in the tool's own thread, while slower tools are still running.
    return dataclasses.replace(run, information_uri=run.information_uri or tool.information_uri,
                               wall_seconds=run.wall_seconds or time.perf_counter() - start,
                               findings=tuple(annotate(run.findings, ctx.targets.root)))


def _run(tool: Tool, ctx: ToolContext) -> ToolRun:
    skipped = ctx.targets.skipped_notes(tool.files)  # files the walk left out that this tool would have scanned
    if ctx.user_args:
        skipped = (*skipped, Notification("note", f"ran with extra arguments from the configuration: "
                                                  f"{' '.join(ctx.user_args)}"))
    files = [ctx.targets.relative(f) for f in tool.files(ctx.targets)]
    if not files:
        return ToolRun(tool=tool.name, status=Status.OK,
                       notifications=(*skipped, Notification("note", tool.nothing_to_scan)))
    try:
        exe = locate(tool.executable)
    except ToolMissing as exc:
        return failed(tool.name, Status.MISSING, str(exc))
    try:
        with tool.plan(exe, files, ctx) as plan:
            pieces = [execute(tool.name, piece, ctx.timeout) for inv in plan.invocations for piece in _split(inv)]
    except ToolError as exc:  # the tool's own preparation failed (e.g. an unreadable advisory database)
        return failed(tool.name, exc.status, str(exc))
    run = merge_runs(tool.name, pieces)
    status = run.status
    if status.succeeded and any(n.level == "error" for n in plan.notifications):
        status = Status.FAILED  # e.g. a dependency file pip-audit could not read: not audited
    return dataclasses.replace(run, status=status, notifications=(*skipped, *plan.notifications, *run.notifications),
                               version=run.version or plan.version)


def _split(invocation: Invocation) -> list[Invocation]:
    """One invocation per chunk of its file list, so that no command line gets too long."""
    return [dataclasses.replace(invocation, argv=(*invocation.argv, *chunk), files=())
            for chunk in chunk_args(invocation.files)]


def execute(name: str, inv: Invocation, timeout: float) -> ToolRun:
    """Run one tool process and turn every way it can go wrong into a ToolRun, never an exception."""
    try:
        result = proc.run(inv.argv, timeout=timeout, cwd=inv.cwd, env=inv.env, stdin_text=inv.stdin)
    except ToolMissing as exc:
        return failed(name, Status.MISSING, str(exc), inv.argv)
    if result.timed_out:
        return failed(name, Status.TIMEOUT, f"{name} timed out after {timeout:g} s", inv.argv,
                      wall=result.wall_seconds, cpu=result.cpu_seconds)
    try:
        parsed = inv.parse(result)
    except ToolError as exc:
        return failed(name, Status.FAILED, f"{exc}\n{result.describe()}", inv.argv,
                      wall=result.wall_seconds, cpu=result.cpu_seconds)
    status = Status.FAILED if any(n.level == "error" for n in parsed.notifications) else Status.OK
    return ToolRun(tool=name, status=status, findings=tuple(parsed.findings),
                   notifications=tuple(parsed.notifications), version=parsed.version, command=inv.argv,
                   wall_seconds=result.wall_seconds, cpu_seconds=result.cpu_seconds)


def failed(name: str, status: Status, message: str, argv: Sequence[str] = (), *, wall: float = 0.0,
           cpu: float = 0.0) -> ToolRun:
    return ToolRun(tool=name, status=status, notifications=(Notification("error", message),),
                   command=tuple(argv), wall_seconds=wall, cpu_seconds=cpu)


def merge_runs(name: str, runs: Sequence[ToolRun]) -> ToolRun:
    """Combine several invocations of one tool (file-list chunks, requirement groups) into one run."""
    statuses = [r.status for r in runs if not r.status.succeeded]
    return ToolRun(
        tool=name, status=statuses[0] if statuses else Status.OK,
        findings=tuple(f for r in runs for f in r.findings),
        notifications=tuple(n for r in runs for n in r.notifications),
        version=next((r.version for r in runs if r.version), None),
        command=runs[0].command if runs else (),
        wall_seconds=sum(r.wall_seconds for r in runs), cpu_seconds=sum(r.cpu_seconds for r in runs),
        extra_rules=tuple(rule for r in runs for rule in r.extra_rules),
    )
