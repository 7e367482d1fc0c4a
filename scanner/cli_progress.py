"""A rich progress bar on stderr that appears only when a run lasts longer than ~2 s (and stderr is a TTY)."""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

SHOW_AFTER = 2.0


class RunProgress:
    """Counts requests against the budget and shows the current stage; a no-op when disabled."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self._started = time.monotonic()
        self._stage = "preflight"
        self._count = 0
        self._budget: int | None = None  # known once the spec is loaded (the default budget depends on it)
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def budget(self, total: int) -> None:
        self._budget = total
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, total=total)

    def stage(self, text: str) -> None:
        self._stage = text
        self._refresh()

    def tick(self, count: int) -> None:
        self._count = count
        self._refresh()

    def _refresh(self) -> None:
        if not self.enabled:
            return
        if self._bar is None:
            if time.monotonic() - self._started < SHOW_AFTER:
                return
            self._bar = Progress(TextColumn("secscan api: {task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("requests"), TimeElapsedColumn(),
                                 console=Console(stderr=True), transient=True)
            self._bar.start()
            self._task = self._bar.add_task(self._stage, total=self._budget)
        if self._task is not None:
            self._bar.update(self._task, description=self._stage, completed=self._count)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
