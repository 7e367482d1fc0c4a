"""Honest coverage: which callable operations were exercised (answered 2xx in the role they need), which never
answered 2xx and what came back instead, and which were not requested at all. A PASS means "tested and found
nothing", never "could not test"."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from secscan_probes.engine.http import Exchange
from secscan_probes.engine.safety import Skipped
from secscan_probes.engine.spec import Operation

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class Coverage:
    operations: tuple[str, ...]  # every callable operation
    exercised: tuple[str, ...]
    never_ok: dict[str, Counter[str]]  # operation -> "401", "403 ('_xsrf' argument missing)"... counts
    not_requested: tuple[str, ...]
    skipped: tuple[Skipped, ...]  # filtered out or held back as unsafe

    @property
    def percent(self) -> float:
        return 100.0 * len(self.exercised) / len(self.operations) if self.operations else 0.0

    def summary(self) -> str:
        """'31 of 43 operations exercised; 12 never answered 2xx: 8 × 401, 3 × 403 (...), 1 × 422; ...'."""
        text = f"{len(self.exercised)} of {len(self.operations)} operations exercised ({self.percent:.0f}%)"
        if self.never_ok:
            reasons = Counter(reason for counts in self.never_ok.values() for reason in _main(counts))
            shown = ", ".join(f"{n} × {reason}" for reason, n in reasons.most_common(6))
            text += f"; {len(self.never_ok)} never answered 2xx: {shown}"
        if self.not_requested:
            text += f"; {len(self.not_requested)} not requested"
        if self.skipped:
            text += f"; {len(self.skipped)} not called (excluded or unsafe)"
        return text

    def as_properties(self) -> dict[str, Any]:
        return {
            "summary": self.summary(), "operations": len(self.operations), "exercised": len(self.exercised),
            "percent": round(self.percent, 1),
            "neverAnswered2xx": {op: dict(counts) for op, counts in sorted(self.never_ok.items())},
            "notRequested": list(self.not_requested),
            "notCalled": [{"operation": s.operation.label, "reason": s.reason} for s in self.skipped],
        }


def _main(counts: Counter[str]) -> list[str]:
    """The most frequent answer of an operation (one reason per operation in the summary)."""
    return [counts.most_common(1)[0][0]] if counts else []


def measure(operations: Sequence[Operation], exchanges: Sequence[Exchange], needs_auth: Callable[[Operation], bool],
            skipped: Sequence[Skipped]) -> Coverage:
    """Exercised = a 2xx to a request in the role the operation needs (a tenant's genuine credentials where
    authentication is needed; anyone otherwise)."""
    by_op: dict[str, list[Exchange]] = {}
    for exchange in exchanges:
        if exchange.template is not None:
            by_op.setdefault(f"{exchange.method} {exchange.template}", []).append(exchange)
    exercised, never_ok, not_requested = [], {}, []
    for op in operations:
        seen = by_op.get(op.label, [])
        relevant = [e for e in seen if e.genuine or not needs_auth(op)]
        if any(e.ok for e in relevant):
            exercised.append(op.label)
        elif relevant:
            never_ok[op.label] = Counter(_reason(e) for e in relevant)
        else:
            not_requested.append(op.label)
    return Coverage(tuple(o.label for o in operations), tuple(exercised), never_ok, tuple(not_requested),
                    tuple(skipped))


def _reason(exchange: Exchange) -> str:
    if exchange.status is None:
        return "no response"
    message = _server_message(exchange.data) or (exchange.text if len(exchange.text) <= 80 else "")
    message = _CONTROL.sub(" ", " ".join(message.split()))[:60]
    return f"{exchange.status} ({message})" if message and exchange.status in (400, 403, 409, 422) else \
        str(exchange.status)


def _server_message(data: Any) -> str:
    if isinstance(data, dict):
        for key in ("detail", "message", "error", "msg", "title"):
            value = data.get(key)
            if isinstance(value, str):
                return value
    return ""
