"""Immutable data that flows through secscan: rules, findings, tool runs."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

API_TOOL = "secscan-api"  # the tool name of the dynamic API probes' run


class Severity(enum.IntEnum):
    """secscan's severity scale; GitHub's security-severity buckets map onto it."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.name.lower() for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of: {names})") from None

    @property
    def label(self) -> str:
        return self.name.lower()

    @property
    def score(self) -> float:
        """Default numeric `security-severity` inside GitHub's bucket for this level."""
        return {Severity.LOW: 3.0, Severity.MEDIUM: 5.5, Severity.HIGH: 8.0, Severity.CRITICAL: 9.5}[self]

    @property
    def sarif_level(self) -> str:
        return {Severity.LOW: "note", Severity.MEDIUM: "warning"}.get(self, "error")


def severity_for_score(score: float) -> Severity:
    """Map a CVSS-like 0-10 score onto GitHub's buckets."""
    if score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    return Severity.LOW


class Status(enum.Enum):
    """How a tool run ended. Anything but OK means the scan is incomplete."""

    OK = "ok"
    FAILED = "failed"  # crashed, errors reported, unparseable output
    TIMEOUT = "timeout"
    MISSING = "missing"  # executable not found

    @property
    def succeeded(self) -> bool:
        return self is Status.OK


@dataclass(frozen=True, slots=True)
class Rule:
    """One check of one tool, as it will appear in SARIF `tool.driver.rules`."""

    id: str
    title: str
    description: str
    severity: Severity
    help_text: str = ""
    help_uri: str | None = None
    precision: str = "medium"  # very-high | high | medium | low
    cwe: tuple[int, ...] = ()
    owasp: tuple[str, ...] = ()
    security_severity: float | None = None  # defaults to severity.score

    @property
    def score(self) -> float:
        return self.security_severity if self.security_severity is not None else self.severity.score


@dataclass(frozen=True, slots=True)
class Location:
    """A repo-relative POSIX path and a 1-based line range."""

    path: str
    start_line: int
    end_line: int | None = None
    start_column: int | None = None
    end_column: int | None = None


def _frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, slots=True)
class Suppression:
    """Why a result is accepted: an inline marker (`inSource`) or a `.secscan-ignore.yaml` entry (`external`).

    `status` is "accepted" while it suppresses, "expired" once its `expires` date has passed (it then no
    longer suppresses and the result counts as new). `source` says where it was written (file:line).
    """

    kind: str  # inSource | external
    justification: str
    source: str
    status: str = "accepted"  # accepted | expired
    expires: str | None = None  # ISO date
    source_path: str | None = None  # repo-relative file holding the marker or entry
    source_line: int | None = None

    @property
    def active(self) -> bool:
        return self.status == "accepted"


BASELINE_STATES = ("new", "unchanged", "updated", "absent")


@dataclass(frozen=True, slots=True)
class FindingRef:
    """Another tool's finding of the same flaw (see `secscan.overlap`): enough to name and find it."""

    tool: str
    rule: str
    path: str
    line: int
    fingerprint: str | None = None

    @property
    def label(self) -> str:
        return f"{self.tool} {self.rule} at {self.path}:{self.line}"


@dataclass(frozen=True, slots=True)
class Finding:
    """One result. `context` is the line-free identity used for fingerprints.

    Adapters set `context` when the flagged source line is not the right identity
    (a secret's hash, a package + advisory id); otherwise the fingerprint step
    uses the whitespace-stripped source line.
    """

    tool: str
    rule: Rule
    message: str
    location: Location
    severity: Severity
    context: str | None = None
    logical_location: str | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)
    fingerprint: str | None = None  # secscan/v1, filled by fingerprints.annotate
    line_hash: str | None = None  # GitHub primaryLocationLineHash
    suppression: Suppression | None = None  # set by postprocess.finalize
    baseline_state: str | None = None  # new | unchanged (SARIF baselineState), set when a baseline is applied
    # One finding per flaw (set by overlap.mark_duplicates): the finding that counts for this flaw when another tool
    # reported it too (this one then does not count) ...
    duplicate_of: FindingRef | None = None
    # ... and, on that counted finding, the other tools' findings of the same flaw.
    duplicates: tuple[FindingRef, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "properties", _frozen(self.properties))

    @property
    def suppressed(self) -> bool:
        """Accepted by an inline marker or an unexpired suppression entry: kept in outputs, out of the verdict."""
        return self.suppression is not None and self.suppression.active


@dataclass(frozen=True, slots=True)
class Notification:
    """A message about a tool run (not about the code), e.g. a crash or a skipped file."""

    level: str  # error | warning | note
    message: str


@dataclass(frozen=True, slots=True)
class ToolRun:
    """Everything one tool produced, including the fact that it could not run."""

    tool: str
    status: Status
    findings: tuple[Finding, ...] = ()
    notifications: tuple[Notification, ...] = ()
    version: str | None = None
    command: tuple[str, ...] = ()
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    information_uri: str | None = None
    extra_rules: tuple[Rule, ...] = ()
    properties: Mapping[str, Any] = field(default_factory=dict)  # run-level facts (API coverage, created objects)

    def __post_init__(self) -> None:
        object.__setattr__(self, "properties", _frozen(self.properties))

    @property
    def rules(self) -> tuple[Rule, ...]:
        """Rules in first-seen order, de-duplicated by id."""
        seen: dict[str, Rule] = {}
        for rule in (*self.extra_rules, *(f.rule for f in self.findings)):
            seen.setdefault(rule.id, rule)
        return tuple(seen.values())

    @property
    def error_messages(self) -> tuple[str, ...]:
        return tuple(n.message for n in self.notifications if n.level == "error")


@dataclass(frozen=True, slots=True)
class KnownFinding:
    """A baseline entry: identity only (line-free fingerprint), never a message, snippet or secret value."""

    fingerprint: str
    tool: str
    rule: str
    path: str
    first_seen: str  # ISO date


@dataclass(frozen=True, slots=True)
class Review:
    """What post-processing found besides the findings: the verdict's other inputs.

    `baseline` names the baseline file when one was applied; `expired` and `stale` describe suppression
    entries (one line each); `absent` are baseline entries no longer reported by a tool that ran;
    `warnings` are problems with inline markers (e.g. an ignore without a reason).
    """

    baseline: str | None = None
    expired: tuple[str, ...] = ()
    stale: tuple[str, ...] = ()
    absent: tuple[KnownFinding, ...] = ()
    warnings: tuple[str, ...] = ()
