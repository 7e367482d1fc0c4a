"""API1:2023 BOLA probe: every tenant tries every other tenant's objects; reads confirmed by canary/baseline."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Hashable, Mapping
from typing import Any, TypeVar

from secscan_probes.engine.context import ApiFinding, ProbeContext, first_of, gather, steps
from secscan_probes.engine.http import Exchange
from secscan_probes.engine.registry import probe
from secscan_probes.engine.schema import similarity
from secscan_probes.engine.spec import Operation
from secscan_probes.engine.tenants import Tenant
from secscan_probes.probes.bola.common import Attempt, attempts, body_of, finding, missing_id, values_for
from secscan_probes.probes.bola.writes import delete_matrix, update_matrix

SIMILAR = 0.9
K = TypeVar("K", bound=Hashable)
Call = tuple[Tenant, Operation, dict[str, Any]]  # ctx.call(tenant, op, path values)


@probe("bola", owasp="API1:2023", title="Broken object level authorization", min_tenants=2)
async def bola(ctx: ProbeContext) -> list[ApiFinding]:
    """Reads on every object; updates on objects secscan created; deletes only with --allow-destructive."""
    found: list[ApiFinding] = []
    for param in ctx.resources.params():
        ops = [op for op in ctx.operations(param=param) if ctx.needs_auth(op)]
        found += await read_matrix(ctx, param, [op for op in ops if op.method == "GET"])
        found += await update_matrix(ctx, param, [op for op in ops if op.method in ("PUT", "PATCH")])
        if ctx.options.allow_destructive:
            found += await delete_matrix(ctx, param, [op for op in ops if op.method == "DELETE"])
    return first_of(found)


def leaked(a: Attempt, attack: Exchange, baseline: Exchange, own: Exchange | None) -> str | None:
    """How the attack body proves it is the owner's object: the canary, or near-identity with the owner's view."""
    if a.resource.canary and a.resource.canary in attack.text:
        return "the response contains the owner's canary"
    if not substantive(body_of(baseline)):
        return None  # an empty list or object is everyone's view of nothing: it proves no access to the owner's data
    ratio = similarity(body_of(attack), body_of(baseline))
    if ratio < SIMILAR:
        return None
    if own is not None and own.ok and similarity(body_of(attack), body_of(own)) >= ratio:
        return None  # it looks at least as much like the attacker's own object
    return f"the response matches the owner's view (similarity {ratio:.2f})"


def substantive(body: Any) -> bool:
    """Whether a body carries any data at all (a non-empty string or a number somewhere), unlike `{"data": []}`."""
    if isinstance(body, dict):
        return any(substantive(v) for v in body.values())
    if isinstance(body, list):
        return any(substantive(v) for v in body)
    if isinstance(body, bool) or body is None:
        return False
    return bool(str(body).strip())


async def read_matrix(ctx: ProbeContext, param: str, ops: list[Operation]) -> list[ApiFinding]:
    """Owner baselines, one control per (operation, attacker), then every attack; all concurrent per phase."""
    tries = attempts(ctx, param, ops)
    firsts = {a.base_key: a for a in tries}
    for tenant in ctx.tenants:  # the attacker's own view of the same operation, for the similarity check
        for r in ctx.resources.of(param, tenant.name, limit=1):
            for op in ops:
                firsts.setdefault((op.label, r.key, tenant.name), Attempt(op, r, tenant, tenant))
    baselines = await _gather(ctx, {k: (a.owner, a.op, values_for(ctx, a.owner, a.resource))
                                    for k, a in firsts.items()})
    control_keys = {(a.op.label, a.attacker.name): (a.attacker, a.op, {param: missing_id(a.op, param)}) for a in tries}
    controls = await _gather(ctx, control_keys)
    live = [a for a in tries if baselines[a.base_key].ok]
    attacks = await gather(*(ctx.call(a.attacker, a.op, values_for(ctx, a.owner, a.resource)) for a in live))
    found = []
    for a, attack in zip(live, attacks, strict=True):
        item = judge_read(ctx, a, attack, baselines, controls[(a.op.label, a.attacker.name)])
        if item is not None and (why := await shared_with_attacker(ctx, a)):
            ctx.client.note("note", f"bola: {a.attacker.name} reads {a.owner.name}'s {a.resource.param}="
                                    f"{a.resource.value} through {a.op.label}, but {why}: shared, not reported")
            continue
        found += [item] if item else []
    return found


IDENTITY_KEYS = frozenset({"id", "user_id", "userid", "uid", "username", "user", "login", "email", "name", "sub"})


def identifiers(identity: Any) -> set[str]:
    """The strings that name a tenant in its identity body (`{"user": {"id": "account:bob"}}` -> account:bob)."""
    found: set[str] = set()
    if isinstance(identity, dict):
        for key, value in identity.items():
            if isinstance(value, str) and str(key).lower() in IDENTITY_KEYS and len(value) >= 3:
                found.add(value)
            elif isinstance(value, (dict, list)):
                found |= identifiers(value)
    elif isinstance(identity, list):
        for value in identity:
            found |= identifiers(value)
    return found


def _strings(body: Any) -> set[str]:
    if isinstance(body, str):
        return {body}
    if isinstance(body, dict):
        return set().union(*(_strings(v) for v in body.values())) if body else set()
    if isinstance(body, list):
        return set().union(*(_strings(v) for v in body)) if body else set()
    return set()


def attacker_names(ctx: ProbeContext, attacker: Tenant) -> set[str]:
    """What may name the attacker in an ACL: its identity body's ids, its login user name or e-mail, and the user
    name of a Basic `Authorization` header."""
    names = identifiers(ctx.identities.get(attacker.name))
    names |= {v for k, v in attacker.credentials.items() if k in ("username", "email", "login") and len(v) >= 3}
    for key, value in attacker.headers.items():
        scheme, _, encoded = value.partition(" ")
        if key.lower() == "authorization" and scheme.lower() == "basic":
            with contextlib.suppress(ValueError, UnicodeDecodeError):
                user = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")[0]
                names |= {user} if len(user) >= 3 else set()
    return names


def _names_in(body: Any, names: set[str]) -> set[str]:
    """The names a body mentions as a whole string value, or as a principal (`account:bob`, `users/bob`)."""
    found = set()
    for text in _strings(body):
        found |= {n for n in names if text == n or text.endswith((f":{n}", f"/{n}"))}
    return found


def _enclosing_reads(ctx: ProbeContext, op: Operation) -> list[tuple[Operation, dict[str, str]]]:
    """GET operations on the object `op` reads and on the objects it sits in, with how their path parameters map
    onto `op`'s (specs name them differently: Kinto's item routes all call their last parameter `id`)."""
    mine = op.path.rstrip("/").split("/")
    found = []
    for end in range(len(mine), 1, -1):
        if not mine[end - 1].startswith("{"):
            continue
        for other in ctx.operations("GET"):
            theirs = other.path.rstrip("/").split("/")
            if len(theirs) != end or any(a != b for a, b in zip(theirs, mine[:end], strict=True)
                                         if not (a.startswith("{") and b.startswith("{"))):
                continue
            found.append((other, {b[1:-1]: a[1:-1] for a, b in zip(theirs, mine[:end], strict=True)
                                  if a.startswith("{") and b.startswith("{")}))
    return found


async def shared_with_attacker(ctx: ProbeContext, a: Attempt) -> str | None:
    """Whether the owner granted the attacker access: the owner's own view of the object, or of an object it sits
    in (`/buckets/{b}/collections/{c}` for `/buckets/{b}/collections/{c}/records`), names the attacker (Kinto's
    `permissions: {read: ["account:bob"]}`, a `shared_with` list...). A pentester checks the ACL before calling a
    cross-tenant read a flaw."""
    names = attacker_names(ctx, a.attacker)
    if not names:
        return None
    values = values_for(ctx, a.owner, a.resource)
    for read, renamed in _enclosing_reads(ctx, a.op):
        view = await ctx.call(a.owner, read, {renamed[k]: v for k, v in values.items() if k in renamed})
        named = _names_in(view.data, names) if view.ok else set()
        if named:
            return f"{a.owner.name}'s own view of {read.label} names {sorted(named)[0]}"
    return None


async def _gather(ctx: ProbeContext, jobs: dict[K, Call]) -> dict[K, Exchange]:
    keys = list(jobs)
    replies = await gather(*(ctx.call(*jobs[k]) for k in keys))
    return dict(zip(keys, replies, strict=True))


def judge_read(ctx: ProbeContext, a: Attempt, attack: Exchange, baselines: Mapping[Any, Exchange],
               control: Exchange) -> ApiFinding | None:
    if not attack.ok:
        return None
    if control.ok and similarity(body_of(control), body_of(attack)) >= SIMILAR:
        return None  # a nonexistent id gives the same answer: public or broken, not an ownership leak
    mine = ctx.resources.of(a.resource.param, a.attacker.name, limit=1)
    own = baselines.get((a.op.label, mine[0].key, a.attacker.name)) if mine else None
    baseline = baselines[a.base_key]
    how = leaked(a, attack, baseline, own)
    if how is None:
        return None
    proof = f"{how}; a nonexistent {a.resource.param} answered {control.status}"
    return finding(a, proof, attack, steps(("owner baseline", baseline), ("attack", attack), ("control", control)))
