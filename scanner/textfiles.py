"""Reading the small files users give secscan (config, suppressions, baseline, OpenAPI specs and the files they
refer to, tenants.yaml) with one-line errors: never more than a size limit, and YAML without alias expansion."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import yaml

from secscan.errors import ConfigError, SecscanError, UsageError


def _read_at_most(path: Path, limit: int) -> bytes:
    """Up to `limit` + 1 bytes: enough to tell that a file is too large without reading all of it."""
    with path.open("rb") as handle:
        return handle.read(limit + 1)


def read_text_file(path: Path, kind: str, max_bytes: int, missing_hint: str = "") -> str:
    """UTF-8 text of `path`; ConfigError naming the file for a missing, unreadable, oversized or binary file."""
    try:
        data = _read_at_most(path, max_bytes)
    except FileNotFoundError:
        if missing_hint:
            raise ConfigError(f"{path}: {kind} file not found ({missing_hint})") from None
        raise ConfigError(f"{path}: cannot read {kind} file: No such file or directory") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read {kind} file: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise ConfigError(f"{path}: {kind} file is larger than {max_bytes} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: {kind} file is not UTF-8 text") from None


def read_bounded(path: Path, limit: int, label: str, error: type[SecscanError] = UsageError) -> bytes:
    """A regular file's bytes, refused (one line) when it is anything else (a FIFO would block forever, a device
    never end) or larger than `limit`, which is checked while reading, never after."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise error(f"{label}: not a regular file")
        data = _read_at_most(path, limit)
    except OSError as exc:
        raise error(f"{label}: cannot read: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise error(f"{label}: larger than {limit} bytes")
    return data


class NoAliasLoader(yaml.SafeLoader):
    """Safe YAML without anchors or aliases: a 500-byte 'billion laughs' alias bomb must not expand into
    gigabytes. Subclasses say where aliases are refused (`refusal`)."""

    refusal = "YAML aliases are not allowed here"

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.MarkedYAMLError(problem=self.refusal, problem_mark=event.start_mark)
        return super().compose_node(parent, index)
