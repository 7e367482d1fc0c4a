"""Tenant health: credentials that worked on an operation and later get 401 have stopped working."""

from __future__ import annotations

from typing import Any


class TenantHealth:
    """Remembers per tenant which operations succeeded; flags 401 (or 403 on a parameterless path) after that."""

    def __init__(self) -> None:
        self._succeeded: dict[str, set[str]] = {}
        self.broken: dict[str, str] = {}  # tenant -> first evidence

    def observe(self, tenant: str, exchange: Any) -> str | None:
        """Record one exchange; return a loud warning the first time a tenant's credentials stop working."""
        key = f"{exchange.method} {exchange.template or exchange.url}"
        done = self._succeeded.setdefault(tenant, set())
        if exchange.ok:
            done.add(key)
            return None
        rejected = exchange.status == 401 or (exchange.status == 403 and "{" not in (exchange.template or "{"))
        if not rejected or key not in done or tenant in self.broken:
            return None
        self.broken[tenant] = f"{key} -> {exchange.status}"
        return (f"credentials of tenant {tenant} stopped working mid-run ({key} answered {exchange.status} "
                f"after succeeding earlier)")

    def is_broken(self, tenant: str) -> bool:
        return tenant in self.broken
