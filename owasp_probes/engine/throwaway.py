"""Throwaway sessions: a separate login of a tenant (or of an account a probe made), used for one check and then
dropped, so that a logout or a password change never touches the session the scan runs on."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from secscan_probes.engine.context import ProbeContext
from secscan_probes.engine.http import Exchange
from secscan_probes.engine.sessions import LoginFailed, Session
from secscan_probes.engine.spec import Operation
from secscan_probes.engine.tenants import Csrf, Login, Tenant


@asynccontextmanager
async def throwaway(ctx: ProbeContext, login: Login, credentials: Mapping[str, str], label: str,
                    csrf: Csrf | None = None) -> AsyncIterator[Tenant | None]:
    """A tenant-like identity logged in with `login` and `credentials` (None when the login fails); its session
    exists only inside the block."""
    name = f"secscan-{label}"
    tenant = Tenant(name=name, credentials=dict(credentials), login=login, csrf=csrf)
    session = Session.of(tenant)
    ctx.client.sessions[name] = session
    try:
        try:
            await session.login(ctx.client)
        except LoginFailed as exc:
            ctx.client.note("note", f"{label}: login failed ({exc})")
            yield None
            return
        yield tenant
    finally:
        del ctx.client.sessions[name]


async def read_as(ctx: ProbeContext, tenant: Tenant, op: Operation) -> Exchange:
    return await ctx.client.request("GET", op.path, tenant=tenant, template=op.path)


def last_login(ctx: ProbeContext, login: Login) -> Exchange | None:
    """The most recent exchange of a login recipe (for evidence)."""
    return next((e for e in reversed(ctx.client.exchanges) if e.template is None and e.method == login.method
                 and e.url.endswith(login.path)), None)
