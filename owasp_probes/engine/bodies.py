"""Request bodies for write probes.

The rule: data read from an object secscan did not create is never written back. A write to such an object is a
PATCH that changes only the property under test, and is restored (and verified) afterwards; a full-body PUT is
only sent to objects secscan created, whose representation is its own."""

from __future__ import annotations

from typing import Any

from secscan_probes.engine.context import ProbeContext
from secscan_probes.engine.schema import properties, required
from secscan_probes.engine.spec import Operation

ENVELOPES = ("data", "result", "item", "object", "record", "payload", "response")


def read_op_for(ctx: ProbeContext, op: Operation) -> Operation | None:
    """The GET on the same path (PUT /books/{id} -> GET /books/{id}; PATCH /users/me -> GET /users/me)."""
    return ctx.spec.callable("GET", op.path)


def item_read_for(ctx: ProbeContext, producer: Operation, param: str) -> Operation | None:
    """POST /books -> GET /books/{book_id}."""
    return ctx.spec.callable("GET", producer.path.rstrip("/") + "/{" + param + "}")


def object_of(data: Any) -> dict[str, Any] | None:
    """The object a reply describes: the body itself, or what `{"data": {...}}`-style envelopes wrap."""
    if not isinstance(data, dict):
        return None
    for key in ENVELOPES:
        inner = data.get(key)
        if isinstance(inner, dict) and len(data) <= 3:  # {"data": {...}, "meta": ...}: the envelope, not a field
            return inner
    return data


def update_body(ctx: ProbeContext, op: Operation, current: Any) -> dict[str, Any] | None:
    """The request-schema properties of `current` (so sending it changes nothing), required gaps from the example."""
    if not isinstance(current, dict) or op.body_schema is None:
        return None
    props = properties(op.body_schema)
    body = {key: current[key] for key in props if current.get(key) is not None}
    gaps = [key for key in required(op.body_schema) if key not in body]
    example = ctx.spec.example(op).body if gaps else {}
    if gaps and not (isinstance(example, dict) and all(key in example for key in gaps)):
        return None
    return {**body, **{key: example[key] for key in gaps}}
