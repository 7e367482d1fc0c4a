"""Runs the selected static tools concurrently (one worker thread + one subprocess each)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from scanner.fingerprints import annotate
from scanner.models import Notification, Status, ToolRun
from scanner.targets import Targets
from scanner.tools import TOOLS, Tool, ToolOptions

Progress = Callable[[ToolRun], None]


def run_tools(names: Sequence[str], targets: Targets, options: ToolOptions,
              on_done: Progress | None = None, registry: dict[str, Tool] | None = None) -> list[ToolRun]:
    """Every tool runs; a tool that raises is recorded as a failed run, never lost with the others."""
    tools = registry or TOOLS
    with ThreadPoolExecutor(max_workers=max(1, len(names)), thread_name_prefix="secscan-tool") as pool:
        futures = {name: pool.submit(_run_one, tools[name], targets, options) for name in names}
        runs = []
        for name in names:
            run = futures[name].result()
            runs.append(run)
            if on_done:
                on_done(run)
    return [dataclasses.replace(r, findings=tuple(annotate(r.findings, targets.root))) for r in runs]


def _run_one(tool: Tool, targets: Targets, options: ToolOptions) -> ToolRun:
    start = time.perf_counter()
    try:
        run = tool.run(targets, options)
    except Exception as exc:  # noqa: BLE001 - an adapter bug must not lose the other tools' results
        return ToolRun(tool=tool.name, status=Status.FAILED, wall_seconds=time.perf_counter() - start,
                       notifications=(Notification("error", f"{tool.name} adapter crashed: {type(exc).__name__}: {exc}"),))
    return dataclasses.replace(run, information_uri=run.information_uri or tool.information_uri,
                               wall_seconds=run.wall_seconds or time.perf_counter() - start)
