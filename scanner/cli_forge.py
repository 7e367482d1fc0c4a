"""`secscan forge`: rebuild a forged JWT named in an evidence curl (`$SECSCAN_FORGED_<TENANT>_<VARIANT>`) from the
tenant's own token, so the curl can be replayed. Reports never carry a working forged token; this command makes one
only from a token the user already holds, with the same functions the auth probe used (registered by cli.py)."""

from __future__ import annotations

import os
import re
import shlex
import sys

import click

from secscan import wording
from secscan.errors import EXIT_OK, UsageError

PREFIX = "SECSCAN_FORGED_"
TOKEN_PREFIX = "SECSCAN_TOKEN_"
# command variant -> what it builds. The placeholder suffix is the variant in upper case with '_' for '-', as the
# auth probe names them (jwt_attacks: the alg-none spellings, stripped, random_key, expired; the impersonation
# tokens are named after their rule: alg_none, signature_not_verified, weak_secret).
VARIANTS = {
    "alg-none": "header alg 'none', claims kept, empty signature",
    "alg-none-title": "header alg 'None', empty signature",
    "alg-none-upper": "header alg 'NONE', empty signature",
    "alg-none-mixed": "header alg 'nOnE', empty signature",
    "stripped": "the original header and claims with the signature removed",
    "random-key": "re-signed with a random key",
    "signature-not-verified": "a token the server never verified: the signature removed (as the probe sends it "
                              "when the stripped form was accepted)",
    "expired": "re-signed with the recovered weak key, exp one hour ago",
    "weak-secret": "re-signed with the recovered weak key (the key itself is never printed)",
}
_SPELLINGS = {"alg-none": "none", "alg-none-title": "None", "alg-none-upper": "NONE", "alg-none-mixed": "nOnE"}
_SCHEME = re.compile(r"^[A-Za-z]+\s+(\S+)$")


def placeholder_parts(name: str) -> tuple[str, str]:
    """`SECSCAN_FORGED_ALICE_ALG_NONE` (or with a `$`) -> ('ALICE', 'alg-none'); the longest variant wins."""
    stem = name.lstrip("$").removeprefix(PREFIX)
    for variant in sorted(VARIANTS, key=len, reverse=True):
        suffix = "_" + variant.upper().replace("-", "_")
        if stem.endswith(suffix) and len(stem) > len(suffix):
            return stem[:-len(suffix)], variant
    choices = ", ".join(v.upper().replace("-", "_") for v in VARIANTS)
    raise UsageError(wording.FORGE_NOT_PLACEHOLDER.format(name=name, choices=choices))


def variable_name(tenant: str, variant: str) -> str:
    stem = re.sub(r"[^A-Z0-9]+", "_", tenant.upper()).strip("_")
    return f"{PREFIX}{stem}_{variant.upper().replace('-', '_')}"


def own_token(var: str) -> str:
    """The tenant's token from the environment, without an auth scheme ('Bearer x' -> 'x')."""
    value = os.environ.get(var, "").strip()
    if not value:
        raise UsageError(wording.FORGE_UNSET.format(var=var))
    match = _SCHEME.match(value)
    return match.group(1) if match else value


def forge_token(variant: str, token: str, var: str) -> str:
    """The forged copy of `token`, built with the auth probe's own functions."""
    from secscan_probes.probes.auth import jwt_tools as jwt  # the probes are imported only when forging

    try:
        decoded = jwt.decode(token)
    except jwt.JwtError as exc:
        raise UsageError(wording.FORGE_NO_JWT.format(var=var, why=exc)) from None
    if variant in _SPELLINGS:
        return jwt.forge_none(decoded, alg_variant=_SPELLINGS[variant])
    if variant in ("stripped", "signature-not-verified"):
        return jwt.strip_signature(decoded)
    if variant == "random-key":
        return jwt.resign_random(decoded)
    key = jwt.crack_hs(decoded, jwt.load_wordlist()) if decoded.alg in jwt.HS_DIGESTS else None
    if key is None:
        raise UsageError(wording.FORGE_NO_KEY.format(var=var, variant=variant))
    return jwt.expired_copy(decoded, key) if variant == "expired" else jwt.with_claims(decoded, key)


@click.command(epilog="Exit codes: 0 = printed; 2 = unknown variant or placeholder, the variable is unset or not "
                      "a JWT, or the weak key is not in the wordlist.")
@click.argument("variant", metavar="VARIANT|PLACEHOLDER")
@click.option("--from-env", "from_env", metavar="VAR",
              help="Environment variable holding the tenant's own token (default for a placeholder: "
                   "SECSCAN_TOKEN_<TENANT>, the name evidence curls use).")
@click.option("--tenant", metavar="NAME", help="Tenant name for --export (default: taken from VAR or the "
                                               "placeholder).")
@click.option("--export", "export", is_flag=True,
              help="Print `export SECSCAN_FORGED_<TENANT>_<VARIANT>=...` for `eval` instead of the bare token.")
def forge(variant: str, from_env: str | None, tenant: str | None, export: bool) -> None:
    """Rebuild the forged JWT an evidence curl names ($SECSCAN_FORGED_<TENANT>_<VARIANT>) from the tenant's own
    token, read from an environment variable, and print it on stdout.

    VARIANT is one of alg-none, alg-none-title, alg-none-upper, alg-none-mixed, stripped, random-key,
    signature-not-verified, expired, weak-secret; or give the placeholder itself:

    \b
      export SECSCAN_TOKEN_ALICE='<alice's token>'
      eval "$(secscan forge SECSCAN_FORGED_ALICE_ALG_NONE --export)"
      export SECSCAN_FORGED_BOB_WEAK_SECRET="$(secscan forge weak-secret --from-env SECSCAN_TOKEN_BOB)"

    Impersonation tokens ($SECSCAN_FORGED_<VICTIM>_...) are rebuilt from the victim's own token: same identity,
    same answer. expired and weak-secret recover the key offline from secscan's wordlist and never print it."""
    variant, from_env, tenant = _request(variant, from_env, tenant)
    token = forge_token(variant, own_token(from_env), from_env)
    if not export:
        click.echo(token)
        sys.exit(EXIT_OK)
    if not tenant:
        raise UsageError(wording.FORGE_TENANT.format(var=from_env))
    click.echo(f"export {variable_name(tenant, variant)}={shlex.quote(token)}")
    sys.exit(EXIT_OK)


def _request(variant: str, from_env: str | None, tenant: str | None) -> tuple[str, str, str | None]:
    """(variant, variable, tenant) from a variant name or a placeholder; the tenant also from SECSCAN_TOKEN_<T>."""
    if variant.lstrip("$").startswith(PREFIX):
        named, variant = placeholder_parts(variant)
        tenant, from_env = tenant or named, from_env or TOKEN_PREFIX + named
    if variant not in VARIANTS:
        raise UsageError(wording.FORGE_UNKNOWN.format(variant=variant, choices=", ".join(VARIANTS)))
    if from_env is None:
        raise UsageError(wording.FORGE_NEEDS_VAR)
    if tenant is None and from_env.startswith(TOKEN_PREFIX):
        tenant = from_env.removeprefix(TOKEN_PREFIX)
    return variant, from_env, tenant
