"""Runs the selected static tools concurrently (one worker thread + one subprocess each)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed

from secscan.fingerprints import annotate
from secscan.models import Notification, Status, ToolRun
from secscan.targets import Targets
from secscan.tools import TOOLS, Tool, ToolOptions

Progress = Callable[[ToolRun], None]


def run_tools(names: Sequence[str], targets: Targets, options: ToolOptions,
              on_done: Progress | None = None, registry: dict[str, Tool] | None = None) -> list[ToolRun]:
    """Every tool runs; a tool that raises is recorded as a failed run, never lost with the others."""
    tools = registry or TOOLS
    with ThreadPoolExecutor(max_workers=max(1, len(names)), thread_name_prefix="secscan-tool") as pool:
        futures = {pool.submit(_run_one, tools[name], targets, options): name for name in names}
        done: dict[str, ToolRun] = {}
        for future in as_completed(futures):  # progress in completion order, results in the asked order
            done[futures[future]] = future.result()
            if on_done:
                on_done(done[futures[future]])
    return [done[name] for name in names]


def _run_one(tool: Tool, targets: Targets, options: ToolOptions) -> ToolRun:
    start = time.perf_counter()
    try:
        run = tool.run(targets, options)
    except Exception as exc:  # noqa: BLE001 - an adapter bug must not lose the other tools' results
        return ToolRun(tool=tool.name, status=Status.FAILED, wall_seconds=time.perf_counter() - start,
                       notifications=(Notification("error", f"{tool.name} adapter crashed: {type(exc).__name__}: {exc}"),))
    # Fingerprints are computed here, in the tool's own thread, while slower tools are still running.
    return dataclasses.replace(run, information_uri=run.information_uri or tool.information_uri,
                               wall_seconds=run.wall_seconds or time.perf_counter() - start,
                               findings=tuple(annotate(run.findings, targets.root)))
