"""Reading an OpenAPI document safely: bounded size, UTF-8, no YAML aliases, a version string, and `$ref`s that
stay inside the document (or, for a local file, inside its directory tree) unless external refs are allowed.

A spec is pointed at secscan by its user but written by someone else (often the target itself, for a URL spec).
Nothing in it may make secscan fetch another host, read a local file for the target, or exhaust memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from secscan.errors import UsageError
from secscan.textfiles import NoAliasLoader, read_bounded

MAX_SPEC_BYTES = 20_000_000  # a spec (or a file it refers to) larger than this is refused
MAX_REF_FILES = 200  # external files one spec may pull in
MAX_DEPTH = 200  # nesting of the document


class _SpecLoader(NoAliasLoader):
    refusal = "YAML aliases are not allowed in a spec"


def decode(data: bytes, source: str) -> str:
    if len(data) > MAX_SPEC_BYTES:
        raise UsageError(f"{source}: the spec is larger than {MAX_SPEC_BYTES} bytes")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{source}: not UTF-8 text (invalid byte 0x{data[exc.start]:02x} at offset "
                         f"{exc.start})") from None


def parse_document(text: str, source: str) -> dict[str, Any]:
    """JSON or YAML (without aliases) into a dict; one-line UsageError for anything else."""
    data: Any
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        try:
            data = yaml.load(text, Loader=_SpecLoader)  # noqa: S506 - a SafeLoader subclass
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            where = f" (line {mark.line + 1})" if mark is not None else ""
            raise UsageError(f"{source}: not valid JSON or YAML{where}: {exc.problem or 'parse error'}") from None
        except (yaml.YAMLError, RecursionError, ValueError) as exc:
            raise UsageError(f"{source}: not valid JSON or YAML: {type(exc).__name__}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{source}: not a JSON or YAML object")
    if _depth(data) > MAX_DEPTH:
        raise UsageError(f"{source}: the document is nested deeper than {MAX_DEPTH} levels")
    return data


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            return deepest
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((child, depth + 1) for child in children)
    return deepest


def check_version(data: dict[str, Any], source: str) -> None:
    """`openapi: "3.0.3"` / `"3.1.0"` or `swagger: "2.0"`, as strings (YAML reads `openapi: 3.0` as a number)."""
    expected: tuple[str, ...]
    if "openapi" in data:
        key, value, expected = "openapi", data["openapi"], ("3.0", "3.1")
    elif "swagger" in data:
        key, value, expected = "swagger", data["swagger"], ("2.0",)
    else:
        raise UsageError(f"{source}: not an OpenAPI document (no 'openapi' or 'swagger' key)")
    if not isinstance(value, str):
        raise UsageError(f"{source}: '{key}' must be a version string such as \"{expected[0]}\" (found "
                         f"{type(value).__name__} {value!r}: quote it)")
    if not value.startswith(expected):
        raise UsageError(f"{source}: unsupported {key} version {value!r} (secscan reads Swagger 2.0 and OpenAPI "
                         "3.0 and 3.1)")
    if not isinstance(data.get("paths", {}), dict):
        raise UsageError(f"{source}: 'paths' must be an object")


def references(node: Any) -> Iterator[tuple[str, str]]:
    """Every (keyword, value) of `$ref` and `externalValue` in the document."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            for key, value in current.items():
                if key in ("$ref", "externalValue") and isinstance(value, str):
                    yield key, value
                else:
                    stack.append(value)
        elif isinstance(current, list):
            stack.extend(current)


def check_references(data: dict[str, Any], source: str, spec_file: Path | None) -> int:
    """Refuse references that leave the document: any URL, `file:`, or (for a local spec) a relative file
    outside the spec's directory tree. Relative files in the tree are read (the same way) to check them too.
    Returns how many external files were checked."""
    if spec_file is None:
        for keyword, ref in references(data):
            if not ref.startswith("#"):
                raise UsageError(f"{source}: {keyword} {ref!r} points outside the spec; a spec fetched from a URL "
                                 "may only refer to itself (--allow-external-refs to resolve it anyway)")
        return 0
    root = spec_file.resolve().parent
    seen: set[Path] = {spec_file.resolve()}
    pending = [(spec_file.resolve(), data)]
    while pending:
        current, document = pending.pop()
        for keyword, ref in references(document):
            target = _local_target(ref, current, root, keyword, source)
            if target is None or target in seen:
                continue
            if len(seen) > MAX_REF_FILES:
                raise UsageError(f"{source}: more than {MAX_REF_FILES} files referenced")
            seen.add(target)
            pending.append((target, _read_referenced(target, ref, source)))
    return len(seen) - 1


def _local_target(ref: str, current: Path, root: Path, keyword: str, source: str) -> Path | None:
    """The file a relative reference points at (None for a reference inside the current document)."""
    parts = urlsplit(ref)
    if ref.startswith("#"):
        return None
    if parts.scheme or parts.netloc or ref.startswith(("/", "\\")):
        raise UsageError(f"{source}: {keyword} {ref!r} points outside the spec's directory "
                         "(--allow-external-refs to resolve it anyway)")
    target = (current.parent / unquote(parts.path)).resolve()
    if not target.is_relative_to(root):
        raise UsageError(f"{source}: {keyword} {ref!r} points outside the spec's directory "
                         "(--allow-external-refs to resolve it anyway)")
    if keyword == "externalValue":
        raise UsageError(f"{source}: externalValue {ref!r}: external example files are not read "
                         "(--allow-external-refs to allow it)")
    return target


def _read_referenced(target: Path, ref: str, source: str) -> dict[str, Any]:
    label = f"{source}: $ref {ref!r} ({target.name})"
    return parse_document(decode(read_bounded(target, MAX_SPEC_BYTES, label), label), label)
