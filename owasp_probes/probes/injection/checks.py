"""Per-input oracles of the injection probe; each class needs two independent signals before it is reported."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from secscan_probes.engine.context import ProbeContext
from secscan_probes.engine.http import Exchange
from secscan_probes.probes.injection.oracles import differs, failed, same, server_error, texts
from secscan_probes.probes.injection.payloads import (
    AND_PAIRS,
    COMMAND_FORMS,
    ERB_FORM,
    NOSQL_MATCH_ANY,
    NUMERIC_AND_PAIR,
    NUMERIC_OR_PAIR,
    OR_PAIRS,
    SLEEP_SECONDS,
    TEMPLATE_FORMS,
    TIME_PAYLOADS,
    TRAVERSAL_CONFIRM,
    TRAVERSAL_SCREEN,
    Product,
    command_marker,
    harmless_like,
    product,
    sql_error,
    unique_seed,
)
from secscan_probes.probes.injection.targets import Input, Target, send, send_body, settle, with_value

DELAY_MARGIN = 1.5  # seconds a sleep payload must add to the slowest baseline sample
FAST_MARGIN = 1.0  # ... and the 0-second control may not add
BASELINE_SAMPLES = 3


@dataclass(frozen=True, slots=True)
class Signal:
    """One observation: what it was (for the message) and the exchanges that show it (for the evidence)."""

    what: str
    steps: tuple[tuple[str, Exchange | None], ...]


@dataclass(slots=True)
class Probed:
    """One input under test: its unique seed, the harmless control request, and what was observed."""

    inp: Input
    seed: str = field(default_factory=unique_seed)
    control_value: str = ""
    control: Exchange | None = None
    sql: list[Signal] = field(default_factory=list)
    command: list[Signal] = field(default_factory=list)
    template: list[Signal] = field(default_factory=list)
    traversal: list[Signal] = field(default_factory=list)
    quote_error: Exchange | None = None  # a 5xx to a quote with no SQL signal: unhandled input at most

    def __post_init__(self) -> None:
        self.control_value = self.control_value or harmless_like(self.seed + "'")

    def unseen(self, t: Target, needle: str) -> bool:
        """`needle` is in neither the baseline nor the harmless control."""
        return needle not in texts(t.baseline) and needle not in texts(self.control)


# --- SQL ------------------------------------------------------------------------------------------------------------
def sql_pairs(t: Target, p: Probed) -> list[tuple[str, str, str, Exchange | None, Any]]:
    """(family, true value, false value, reference for "true", value sent in that reference)."""
    example = t.example_value(p.inp)
    numeric = isinstance(example, str) and example.isdigit()
    if t.read_only:  # the true variant widens the query: reference for "false" is the harmless control
        chosen = [*OR_PAIRS, *([NUMERIC_OR_PAIR] if numeric else [])]
        return [(f, a.format(v=p.seed), b.format(v=p.seed), None, None) for f, a, b in chosen]
    prefix_is_example = isinstance(example, str) and bool(example)
    prefix = example if prefix_is_example else p.seed
    chosen = [*AND_PAIRS, *([NUMERIC_AND_PAIR] if numeric else [])]
    ref, ref_value = (t.baseline, example) if prefix_is_example else (p.control, p.control_value)
    return [(f, a.format(v=prefix), b.format(v=prefix), ref, ref_value) for f, a, b in chosen]


def _boolean_holds(t: Target, p: Probed, pair: tuple[Any, ...], true: Exchange | None,
                   false: Exchange | None) -> bool:
    _family, true_value, false_value, ref, ref_value = pair
    if not differs(true, true_value, false, false_value):
        return False
    if not same(false, false_value, p.control, p.control_value):
        return False
    return ref is None or same(true, true_value, ref, ref_value)


async def sql_check(ctx: ProbeContext, t: Target, p: Probed) -> None:
    """Error signature for a quote and a boolean differential pair (confirmed by a second round)."""
    quotes = [p.seed + "'", p.seed + '"']
    pairs = sql_pairs(t, p)
    values = quotes + [v for pair in pairs for v in pair[1:3]]
    replies = await settle(send(ctx, t, p.inp, v) for v in values)
    error = _error_signal(t, p, quotes, replies[:2])
    p.sql += [error] if error else []
    for index, pair in enumerate(pairs):
        true, false = replies[2 + 2 * index], replies[3 + 2 * index]
        if _boolean_holds(t, p, pair, true, false):
            again = await settle(send(ctx, t, p.inp, v) for v in pair[1:3])
            if _boolean_holds(t, p, pair, *again):
                what = f"boolean differential ({pair[0]}: OR/AND-true differs from AND-false, twice)"
                p.sql.append(Signal(what, (("signal: boolean true", again[0]), ("signal: boolean false", again[1]))))
                break
    if not p.sql:
        p.quote_error = next((r for r in replies[:2] if server_error(r)), None)


def _error_signal(t: Target, p: Probed, quotes: list[str], replies: list[Exchange | None]) -> Signal | None:
    if sql_error(texts(t.baseline)) or sql_error(texts(p.control)):
        return None
    for value, reply in zip(quotes, replies, strict=True):
        db = sql_error(texts(reply))
        if db:
            kind = "single" if value.endswith("'") else "double"
            return Signal(f"{db} error signature for a {kind} quote (absent from the baseline)",
                          (("signal: SQL error", reply),))
    return None


async def _timed(ctx: ProbeContext, t: Target, inp: Input, value: str) -> tuple[float, Exchange | None]:
    started = time.monotonic()
    reply = await send(ctx, t, inp, value)
    return time.monotonic() - started, reply


async def time_signal(ctx: ProbeContext, t: Target, p: Probed) -> Signal | None:
    """Sequential: baseline latency, then per database a sleep, a 0-second control and a second sleep."""
    base = [await _timed(ctx, t, p.inp, p.control_value) for _ in range(BASELINE_SAMPLES)]
    if any(reply is None or reply.status is None for _, reply in base):
        return None
    slowest = max(seconds for seconds, _ in base)
    for db, template in TIME_PAYLOADS:
        slow, _ = await _timed(ctx, t, p.inp, template.format(v=p.seed, s=SLEEP_SECONDS))
        if slow < slowest + DELAY_MARGIN:
            continue
        fast, zero = await _timed(ctx, t, p.inp, template.format(v=p.seed, s=0))
        again, reply = await _timed(ctx, t, p.inp, template.format(v=p.seed, s=SLEEP_SECONDS))
        if fast < slowest + FAST_MARGIN and again >= slowest + DELAY_MARGIN and reply and reply.status:
            what = (f"{db} time delay ({SLEEP_SECONDS} s sleep: {slow:.1f} s and {again:.1f} s; 0 s sleep: "
                    f"{fast:.2f} s; baseline at most {slowest:.2f} s)")
            return Signal(what, (("signal: time delay", reply), ("control: 0-second delay", zero)))
    return None


# --- OS command and template engines --------------------------------------------------------------------------------
async def code_checks(ctx: ProbeContext, t: Target, p: Probed) -> None:
    """Shell markers first; the ERB/EJS template form only where no shell evaluated anything."""
    shell_seen = await _evaluated(ctx, t, p, COMMAND_FORMS, _command_payload, p.command, "shell")
    forms = TEMPLATE_FORMS + (() if shell_seen else (ERB_FORM,))
    await _evaluated(ctx, t, p, forms, _template_payload, p.template, "template")


def _command_payload(form: str, value: str, n: Product) -> tuple[str, str, str]:
    shell, output = command_marker(n)
    return form.format(v=value, m=shell), output, shell


def _template_payload(form: str, value: str, n: Product) -> tuple[str, str, str]:
    expression = form.format(a=n.a, b=n.b)
    return value + expression, n.value, expression


async def _evaluated(ctx: ProbeContext, t: Target, p: Probed, forms: tuple[Any, ...], build: Any, out: list[Signal],
                     kind: str) -> bool:
    """Screen every form once; confirm the first evaluated one with fresh numbers. True if any evaluated."""
    numbers = [product() for _ in forms]
    sent = [build(form, p.seed, n) for (_name, form), n in zip(forms, numbers, strict=True)]
    replies = await settle(send(ctx, t, p.inp, payload) for payload, _, _ in sent)
    hits = [(name, form, reply)
            for (name, form), (_, expected, literal), reply in zip(forms, sent, replies, strict=True)
            if _shows(t, p, reply, expected, literal)]
    for name, form, first in hits[:2]:
        payload, expected, literal = build(form, p.seed, product())
        second = await send(ctx, t, p.inp, payload)
        if _shows(t, p, second, expected, literal):
            what = (f"the shell computed an arithmetic marker injected with the {name} form" if kind == "shell"
                    else f"a {name} expression was evaluated (product returned, expression absent)")
            out += [Signal(what, (("signal: evaluated", first),)),
                    Signal("a second one with other random numbers was evaluated too",
                           (("signal: evaluated again", second),))]
            break
    return bool(hits)


def _shows(t: Target, p: Probed, reply: Exchange | None, expected: str, literal: str) -> bool:
    body = texts(reply)
    return expected in body and literal not in body and p.unseen(t, expected)


# --- Path traversal -------------------------------------------------------------------------------------------------
async def traversal_check(ctx: ProbeContext, t: Target, p: Probed) -> None:
    """A file signature for one traversal, the same for another depth/encoding, none for a missing file."""
    replies = await settle(send(ctx, t, p.inp, value) for _, value, _ in TRAVERSAL_SCREEN)
    for (name, _value, signature), reply in zip(TRAVERSAL_SCREEN, replies, strict=True):
        if not reply or not signature.search(texts(reply)) or signature.search(texts(t.baseline) + texts(p.control)):
            continue
        others = [(n, v) for n, v, s in TRAVERSAL_CONFIRM if s is signature and n != name][:3]
        missing = "../" * 8 + f"etc/secscan-missing-{secrets.token_hex(4)}"
        confirm = await settle(send(ctx, t, p.inp, v) for v in [missing, *(v for _, v in others)])
        if signature.search(texts(confirm[0])):
            return
        second = next(((n, r) for (n, _), r in zip(others, confirm[1:], strict=True)
                       if r and signature.search(texts(r))), None)
        if second:
            p.traversal += [
                Signal(f"system file content returned for traversal variant '{name}'",
                       (("signal: file content", reply),)),
                Signal(f"and for variant '{second[0]}', while a nonexistent file gave none",
                       (("signal: file content again", second[1]), ("control: missing file", confirm[0])))]
            return


# --- NoSQL operators ------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class NoSqlHit:
    fields: tuple[Input, ...]
    operator: dict[str, Any]
    plain: Exchange
    attack: Exchange
    contradictions: tuple[Exchange, ...]


async def nosql_check(ctx: ProbeContext, t: Target, probed: list[Probed]) -> NoSqlHit | None:
    """An operator object succeeds where a wrong plain string fails, and a contradicting operator fails again."""
    body_inputs = [p for p in probed if p.inp.location == "body"]
    if not body_inputs or not (t.body is None or isinstance(t.body, dict)):
        return None
    variants: list[tuple[list[Probed], tuple[dict[str, Any], ...]]] = [([p], NOSQL_MATCH_ANY[:1]) for p in body_inputs]
    if len(body_inputs) > 1:
        variants.append((body_inputs, NOSQL_MATCH_ANY))
    for hit in await settle(_nosql_variant(ctx, t, fields, operators) for fields, operators in variants):
        if hit:
            return hit
    return None


def _body_with(t: Target, fields: list[Probed], value: Any) -> Any:
    body = t.body
    for p in fields:
        body = with_value(body, p.inp.key, value(p) if callable(value) else value)
    return body


async def _nosql_variant(ctx: ProbeContext, t: Target, fields: list[Probed],
                         operators: tuple[dict[str, Any], ...]) -> NoSqlHit | None:
    if len(fields) == 1:
        plain = fields[0].control
    else:
        plain = await send_body(ctx, t, _body_with(t, fields, lambda p: p.control_value))
    if not failed(plain):
        return None  # the success oracle needs a plain request that fails
    for operator in operators:
        attack = await send_body(ctx, t, _body_with(t, fields, operator))
        if attack is None or not attack.ok:
            continue
        contradicting: tuple[dict[str, Any], ...] = ({"$eq": "secscan-" + secrets.token_hex(6)}, {"$in": []})
        checks = await settle(send_body(ctx, t, _body_with(t, fields, c)) for c in contradicting)
        if plain is not None and all(failed(c) for c in checks):
            return NoSqlHit(tuple(p.inp for p in fields), operator, plain, attack, tuple(c for c in checks if c))
        return None
    return None
