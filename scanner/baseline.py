"""`.secscan-baseline.json`: line-free fingerprints of accepted findings, so only new findings fail a scan.

An entry is (fingerprint, tool, rule, path, first_seen): no line numbers, messages, snippets or secret values.
Matching is by the secscan/v1 fingerprint alone, which already hashes tool, rule, path and the flagged code.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from secscan.config import describe_error
from secscan.errors import ConfigError
from secscan.models import Finding, KnownFinding
from secscan.suppressions import Fingerprint, IsoDate, NonEmpty
from secscan.textfiles import read_text_file

FORMAT_VERSION = 1
MAX_FILE_BYTES = 50_000_000


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class EntryModel(_Model):
    fingerprint: Fingerprint
    tool: NonEmpty
    rule: NonEmpty
    path: NonEmpty
    first_seen: IsoDate


class BaselineModel(_Model):
    version: Annotated[int, Field(ge=1)]
    findings: list[EntryModel]


@dataclass(frozen=True, slots=True)
class Baseline:
    display: str
    entries: tuple[KnownFinding, ...]

    @property
    def fingerprints(self) -> frozenset[str]:
        return frozenset(e.fingerprint for e in self.entries)


def load_baseline(path: Path, display: str | None = None) -> Baseline:
    text = read_text_file(path, "baseline", MAX_FILE_BYTES, "create it with `secscan baseline create`")
    return parse_baseline_text(text, display or str(path))


def parse_baseline_text(text: str, display: str) -> Baseline:
    """Parse and validate; every problem is one ConfigError line naming the file and the key."""
    if not text.strip():
        raise ConfigError(f"{display}: baseline file is empty (recreate it with `secscan baseline create`)")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{display}: not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except (ValueError, RecursionError) as exc:
        raise ConfigError(f"{display}: not valid JSON: {' '.join(str(exc).split())[:200]}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{display}: expected a JSON object with 'version' and 'findings', got {type(data).__name__}")
    version = data.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        raise ConfigError(f"{display}: version: baseline format {version} is newer than this secscan supports "
                          f"({FORMAT_VERSION}); upgrade secscan")
    try:
        model = BaselineModel.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{display}: {describe_error(exc)}") from None
    entries = {e.fingerprint: KnownFinding(e.fingerprint, e.tool, e.rule, e.path, e.first_seen.isoformat())
               for e in model.findings}
    return Baseline(display, tuple(entries.values()))


def build(findings: Iterable[Finding], today: date, previous: Baseline | None = None) -> tuple[KnownFinding, ...]:
    """Entries for the current findings; an entry already in `previous` keeps its first_seen date."""
    known = {e.fingerprint: e for e in previous.entries} if previous else {}
    out: dict[str, KnownFinding] = {}
    for f in findings:
        if f.fingerprint is None:
            raise ValueError(f"finding {f.tool} {f.rule.id} at {f.location.path} has no fingerprint (annotate first)")
        first_seen = known[f.fingerprint].first_seen if f.fingerprint in known else today.isoformat()
        out[f.fingerprint] = KnownFinding(f.fingerprint, f.tool, f.rule.id, f.location.path, first_seen)
    return tuple(sorted(out.values(), key=lambda e: (e.path, e.tool, e.rule, e.fingerprint)))


def dumps(entries: Sequence[KnownFinding]) -> str:
    doc = {"version": FORMAT_VERSION, "findings": [dataclasses.asdict(e) for e in entries]}
    return json.dumps(doc, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def mark(findings: Iterable[Finding], baseline: Baseline) -> list[Finding]:
    """baselineState: 'unchanged' when the fingerprint is in the baseline, else 'new'."""
    known = baseline.fingerprints
    return [dataclasses.replace(f, baseline_state="unchanged" if f.fingerprint in known else "new")
            for f in findings]


def absent(baseline: Baseline, findings: Iterable[Finding],
           tools_that_ran: Collection[str]) -> tuple[KnownFinding, ...]:
    """Baseline entries no longer reported, among tools that ran successfully (a failed tool proves nothing)."""
    seen = {f.fingerprint for f in findings}
    return tuple(e for e in baseline.entries if e.tool in tools_that_ran and e.fingerprint not in seen)
