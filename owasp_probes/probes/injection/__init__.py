"""Injection probe (OWASP API8:2023): SQL, NoSQL operator, OS command, template and path traversal, two signals each.

OWASP category: the 2023 edition has no injection entry. API10:2023 (Unsafe Consumption of APIs) is about data the
API receives from *third-party* services; these payloads come straight from the client, and the weakness is the API
processing unvalidated input with verbose errors, which API8:2023 (Security Misconfiguration) covers.
"""

from __future__ import annotations

import json
import re
from typing import Any

from secscan.models import Severity
from secscan_probes.engine.bodies import read_op_for, update_body
from secscan_probes.engine.context import ApiFinding, ProbeContext, ProbeRule, first_of, steps
from secscan_probes.engine.discovery import creates_objects, deletable, own_values, updates_in_place
from secscan_probes.engine.http import BudgetExhausted, Exchange
from secscan_probes.engine.registry import probe
from secscan_probes.engine.spec import Operation
from secscan_probes.engine.tenants import Tenant
from secscan_probes.probes.injection.checks import (
    NoSqlHit,
    Probed,
    Signal,
    code_checks,
    nosql_check,
    sql_check,
    time_signal,
    traversal_check,
)
from secscan_probes.probes.injection.oracles import server_error
from secscan_probes.probes.injection.targets import Target, inputs_of, produced_param, send, settle

LOGIN = re.compile(r"log-?in|sign-?in|auth|session|token", re.IGNORECASE)


RULES = {r.rule_id: r for r in (
    ProbeRule("sql-injection", "SQL injection", Severity.CRITICAL, 89,
         "Input reaches an SQL statement unescaped: confirmed by two of a database error signature, a boolean "
         "differential pair and a time delay. Use parameterised queries."),
    ProbeRule("nosql-injection", "NoSQL operator injection", Severity.HIGH, 943,
         "A JSON operator object ($ne, $gt, $regex) sent instead of a string is evaluated by the data store "
         "(and a contradicting operator fails). Accept only scalar values for scalar fields."),
    ProbeRule("command-injection", "OS command injection", Severity.CRITICAL, 78,
         "Input reaches a shell: an arithmetic marker was computed by the shell, twice with different numbers. "
         "Never pass input to a shell; use an argument vector and an allow-list."),
    ProbeRule("template-injection", "Server-side template injection", Severity.CRITICAL, 1336,
         "Input becomes template source: two unique arithmetic expressions were evaluated. Pass input as "
         "template data, never as template text."),
    ProbeRule("path-traversal", "Path traversal", Severity.HIGH, 22,
         "A file name reaches the file system unchecked: system file content came back for two different "
         "traversals, and not for a missing file. Resolve the path and require it inside the allowed directory."),
)}


@probe("injection", owasp="API8:2023", title="Injection (SQL, NoSQL, OS command, template, path traversal)")
async def injection(ctx: ProbeContext) -> list[ApiFinding]:
    """Every string input of every operation; timing checks run last, one at a time."""
    targets = await _targets(ctx)
    found: list[ApiFinding] = []
    pending: list[tuple[Target, Probed]] = []
    try:
        for result in await settle(_probe_target(ctx, t) for t in targets):
            found += result[0]
            pending += result[1]
        for t, p in pending:
            found += _sql_finding(t, p, await time_signal(ctx, t, p))
    except BudgetExhausted:
        pass  # noted by the client; keep what was confirmed
    finally:
        await settle(_restore(ctx, t) for t in targets if t.op.method in ("PUT", "PATCH"))
    _throttle_notes(ctx, targets)
    ctx.client.note("note", f"injection: {sum(len(t.inputs) for t in targets)} string inputs of {len(targets)} "
                            "operations attacked")
    return first_of(found)


async def _targets(ctx: ProbeContext) -> list[Target]:
    chosen, spared, in_place = [], [], []
    for op in ctx.spec.operations:
        inputs = inputs_of(op)
        if not inputs or op.method == "DELETE":
            continue
        actor = ctx.actor(op)  # a cookie-session tenant for a cookie-secured operation, and so on
        tenant = actor if ctx.needs_auth(op) else None
        if creates_objects(ctx, op) and not (ctx.options.allow_destructive and tenant and deletable(ctx, op)):
            spared.append(op.label)  # every payload would leave an object behind that secscan cannot delete
            continue
        if updates_in_place(ctx, op):
            in_place.append(op.label)  # each payload would be stored over the tenant's own data, with no way back
            continue
        values = _path_values(ctx, op, actor)
        if op.method in ("PUT", "PATCH") and (not ctx.options.allow_destructive or values is None):
            continue
        example = ctx.spec.example(op)
        chosen.append(Target(op, tenant, values or {}, dict(example.query), example.body, inputs,
                             created_param=produced_param(ctx, op) if tenant else None))
    if spared:
        ctx.client.note("note", "injection: not tested (each request would create an object that secscan could not "
                                "delete; --allow-destructive tests those with a DELETE route): " + ", ".join(spared))
    if in_place:
        ctx.client.note("note", "injection: not tested (a POST that saves over the tenant's own data; each payload "
                                "would stay there): " + ", ".join(in_place))
    return chosen


def _path_values(ctx: ProbeContext, op: Operation, actor: Tenant) -> dict[str, Any] | None:
    """Writes only touch objects secscan created for the actor; reads use the actor's own objects."""
    if op.method not in ("PUT", "PATCH"):
        return {**dict(ctx.spec.example(op).path), **own_values(ctx, actor)}
    if not op.path_params:
        return None  # /profile, /settings...: the tenant's own account, never something secscan created
    mine: dict[str, Any] = {}
    for r in ctx.created:  # the earliest: later ones may be sacrificial objects another probe deleted
        if r.owner == actor.name:
            mine.setdefault(r.param, r.value)
    return mine if all(p in mine for p in op.path_params) else None


async def _probe_target(ctx: ProbeContext, t: Target) -> tuple[list[ApiFinding], list[tuple[Target, Probed]]]:
    if t.op.method in ("PUT", "PATCH") and not await _snapshot(ctx, t):
        return [], []
    probed = [Probed(inp) for inp in t.inputs]
    first = await settle([send(ctx, t, None, None), *(send(ctx, t, p.inp, p.control_value) for p in probed)])
    t.baseline = first[0]
    for p, control in zip(probed, first[1:], strict=True):
        p.control = control
    if t.baseline is None or t.baseline.status is None:
        return [], []
    hit = await nosql_check(ctx, t, probed)  # first: a few requests, before any limiter of the route kicks in
    found = _nosql_finding(t, hit) if hit else []
    await settle(job for p in probed
                 for job in (sql_check(ctx, t, p), code_checks(ctx, t, p), traversal_check(ctx, t, p)))
    pending = []
    for p in probed:
        found += _sql_finding(t, p, None) + _code_findings(t, p)
        pending += [(t, p)] if len(p.sql) == 1 else []
        _unhandled_note(ctx, t, p)
    return found, pending


# --- findings ---------------------------------------------------------------------------------------------------------
def _finding(rule_id: str, t: Target, parameter: str, signals: list[Signal], control_step: tuple[str, Exchange | None],
             message: str) -> ApiFinding:
    attack = next((x for s in signals for _, x in s.steps if x is not None), t.baseline)
    pairs = (("baseline", t.baseline), *(step for s in signals for step in s.steps), control_step)
    return RULES[rule_id].finding(op=t.op, url=attack.url if attack else "", message=message, evidence=steps(*pairs),
                                  tenants=(t.tenant,) if t.tenant else (), parameter=parameter)


def _sql_finding(t: Target, p: Probed, extra: Signal | None) -> list[ApiFinding]:
    signals = p.sql + ([extra] if extra else [])
    if len(signals) < 2:
        return []
    message = f"SQL injection in {p.inp.label} of {t.op.label}: " + "; ".join(s.what for s in signals[:2])
    return [_finding("sql-injection", t, p.inp.name, signals[:2], ("control", p.control), message)]


def _code_findings(t: Target, p: Probed) -> list[ApiFinding]:
    found = []
    for rule_id, signals in (("command-injection", p.command), ("template-injection", p.template),
                             ("path-traversal", p.traversal)):
        if len(signals) >= 2:
            title = RULES[rule_id].title
            message = f"{title} in {p.inp.label} of {t.op.label}: " + "; ".join(s.what for s in signals)
            found.append(_finding(rule_id, t, p.inp.name, signals, ("control", p.control), message))
    return found


def _nosql_finding(t: Target, hit: NoSqlHit) -> list[ApiFinding]:
    names = ",".join(i.name for i in hit.fields)
    operator = json.dumps(hit.operator)
    bypass = " (authentication bypass)" if LOGIN.search(t.op.path) else ""
    message = (f"NoSQL operator injection{bypass} in body field{'s' if len(hit.fields) > 1 else ''} {names} of "
               f"{t.op.label}: {operator} answered {hit.attack.status} where wrong plain strings answered "
               f"{hit.plain.status}, and contradicting operators ($eq a random string, $in []) answered "
               f"{', '.join(str(c.status) for c in hit.contradictions)}: the server evaluates the operator")
    signals = [Signal("operator accepted", (("signal: operator matches", hit.attack),)),
               Signal("contradiction rejected", tuple(("signal: contradicting operator", c)
                                                      for c in hit.contradictions))]
    return [_finding("nosql-injection", t, names, signals, ("control: wrong plain value", hit.plain), message)]


# --- notes, write-operation snapshots -------------------------------------------------------------------------------
def _unhandled_note(ctx: ProbeContext, t: Target, p: Probed) -> None:
    """A 5xx to a quote with no SQL signal is reported as a note, never as SQL injection."""
    if p.quote_error is None:
        return
    if p.control is not None and server_error(p.control):
        ctx.client.note("note", f"injection: {t.op.label} {p.inp.label} answers {p.quote_error.status} to a quote and "
                                f"{p.control.status} to a harmless random string too: broken input handling, "
                                "no sign of injection")
        return
    ctx.client.note("note", f"injection: unhandled-input: {t.op.label} {p.inp.label} answers {p.quote_error.status} "
                            f"to a quote ({p.control.status if p.control else 'no answer'} to a harmless random "
                            "string of the same length) but shows no SQL error signature and no boolean "
                            "differential: unhandled input, not evidence of SQL injection")


def _throttle_notes(ctx: ProbeContext, targets: list[Target]) -> None:
    for t in targets:
        if t.throttled:
            ctx.client.note("warning", f"injection: {t.op.label} was throttled (429) after at most {t.sent} requests; "
                                       "its remaining payloads were skipped (rerun with a lower --rate to test it "
                                       "fully)")


async def _snapshot(ctx: ProbeContext, t: Target) -> bool:
    """Remember the current representation of a PUT/PATCH target so that it can be written back."""
    read = read_op_for(ctx, t.op)
    current = await ctx.call(t.tenant, read, t.path_values) if read else None
    body = update_body(ctx, t.op, current.data) if current is not None and current.ok else None
    if body is None:
        ctx.client.note("note", f"injection: {t.op.label} skipped (its current state cannot be read back)")
        return False
    t.restore_body = body
    return True


async def _restore(ctx: ProbeContext, t: Target) -> None:
    body, t.restore_body = t.restore_body, None
    if body is None:
        return
    try:
        reply = await ctx.call(t.tenant, t.op, t.path_values, body=body)
    except BudgetExhausted:
        reply = None
    if reply is None or not reply.ok:
        ctx.client.note("warning", f"injection: could not restore {t.op.label} after probing it")
