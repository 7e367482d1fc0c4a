"""Account flows that need real credentials (login recipes):

- credential-change (API1:2023): one tenant changes another tenant's password or e-mail through an operation that
  names the account. Confirmed by logging in as the victim with the attacker's password (or reading the victim's
  own e-mail), then restored by the victim and the restore proven (the victim logs in with its real password).
- logout (API2:2023): a throwaway login's token or cookie still works after the logout operation accepted it.
"""

from __future__ import annotations

from secscan_probes.engine.context import ApiFinding, ProbeContext
from secscan_probes.engine.registry import probe
from secscan_probes.probes.accounts.change import credential_change_findings
from secscan_probes.probes.accounts.logout import logout_findings


@probe("credential-change", owasp="API1:2023", title="Another tenant's password or e-mail can be changed",
       min_tenants=2, runs_last=True)
async def credential_change(ctx: ProbeContext) -> list[ApiFinding]:
    return await credential_change_findings(ctx)


@probe("logout", owasp="API2:2023", title="Sessions not revoked at logout", runs_last=True)
async def logout(ctx: ProbeContext) -> list[ApiFinding]:
    return await logout_findings(ctx)
