"""Reading the small text files users give secscan (config, suppressions, baseline) with one-line errors."""

from __future__ import annotations

from pathlib import Path

from secscan.errors import ConfigError


def read_text_file(path: Path, kind: str, max_bytes: int, missing_hint: str = "") -> str:
    """UTF-8 text of `path`; ConfigError naming the file for a missing, unreadable, oversized or binary file."""
    try:
        data = path.read_bytes()
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
