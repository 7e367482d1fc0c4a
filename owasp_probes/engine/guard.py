"""Session health: after resource discovery and after every probe, each tenant proves its session still works with
a safe identity read. A tenant that broke logs in again when it can; otherwise it is not used any further and the
run fails (exit 3) with the sentence that says which request most likely broke it."""

from __future__ import annotations

from secscan_probes.engine.context import ProbeContext
from secscan_probes.engine.http import Exchange
from secscan_probes.engine.sessions import LoginFailed
from secscan_probes.engine.spec import Operation
from secscan_probes.engine.tenants import Tenant, Tenants

WRITES = ("POST", "PUT", "PATCH", "DELETE")


class SessionGuard:
    def __init__(self, ctx: ProbeContext, verify: dict[str, Operation]) -> None:
        self.ctx, self.verify = ctx, verify  # tenant -> its safe read (from the preflight)
        self.broken: dict[str, str] = {}  # tenant -> the sentence for the report

    async def check(self, after: str) -> None:
        for tenant in list(self.ctx.tenants):
            if tenant.name not in self.verify:
                continue
            reply = await self._read(tenant)
            if reply.ok or reply.status is None:
                continue  # no answer at all is the server's problem, not the session's
            sentence = f"{tenant.name}'s session stopped working {self._cause(tenant, after)}"
            if await self._login_again(tenant, sentence):
                continue
            self.broken[tenant.name] = sentence + f"; {tenant.name} was not used any further"
            self.ctx.tenants = Tenants(tuple(t for t in self.ctx.tenants if t.name != tenant.name),
                                       self.ctx.tenants.secrets)

    async def _read(self, tenant: Tenant) -> Exchange:
        op = self.verify[tenant.name]
        return await self.ctx.client.request("GET", op.path, tenant=tenant, template=op.path)

    async def _login_again(self, tenant: Tenant, sentence: str) -> bool:
        session = self.ctx.client.session(tenant)
        if not session.can_login:
            return False
        try:
            await session.login(self.ctx.client, why=sentence)
        except LoginFailed as exc:
            self.ctx.client.note("warning", f"{sentence}; logging in again failed: {exc}")
            return False
        reply = await self._read(tenant)
        if reply.ok:
            self.ctx.client.note("warning", f"{sentence}; it logged in again and goes on")
        return reply.ok

    def _cause(self, tenant: Tenant, after: str) -> str:
        """'right after PUT /profile changed username': the tenant's last successful write after its last successful
        read (the session still worked then), else when it was noticed."""
        mine = [e for e in self.ctx.client.exchanges if e.tenant == tenant.name and e.genuine]
        last_read = max((i for i, e in enumerate(mine) if e.ok and e.method not in WRITES), default=-1)
        writes = [e for e in mine[last_read + 1:] if e.method in WRITES and e.ok]
        if not writes:
            return (f"during {after} ({self.verify[tenant.name].label} answers {self._status(tenant)}; no write by "
                    "secscan preceded it)")
        last = writes[-1]
        changed = f" changed {', '.join(sorted(map(str, last.body_sent)))}" if isinstance(last.body_sent, dict) \
            and last.body_sent else ""
        return f"right after {last.label}{changed} (during {after})"

    def _status(self, tenant: Tenant) -> str:
        label = self.verify[tenant.name].label
        last = next((e for e in reversed(self.ctx.client.exchanges)
                     if e.tenant == tenant.name and e.label == label), None)
        return str(last.status) if last is not None else "?"
