"""User-facing wording of the terminal summary, the HTML report, `gate`, `merge` and `forge`, in one place.

Light (standard library only): the CLI modules, `report`, `html_report`, `sarif_read` and `postprocess` import it.
"""

from __future__ import annotations

from collections.abc import Sequence

NO_FINDINGS = "secscan: no findings"
FAILING_HEADING = "Counted findings at or above {fail_on} (new first):"
NO_ABSENT = "None: every baseline entry of the tools that ran is still present."
WHY_HEADING = "Why this failed ({count} at or above {fail_on})"
UNCHANGED_GROUP = "unchanged (already in the baseline, not counted)"
SUPPRESSED_GROUP = "suppressed"
FILTER_STATES = (("new", "new or not in a baseline"), ("unchanged", "unchanged (in the baseline)"),
                 ("suppressed", "suppressed"))
EVIDENCE = "Evidence (credentials replaced by placeholders)"
SPEC_SERVERS = "(the spec's servers)"
SOURCE_HIDDEN = "(line hidden: detect-secrets reported a secret here)"
FORGE_HINT = ("Forged tokens are not in this report: export the tenant's own token as SECSCAN_TOKEN_<TENANT> "
              "(the token alone, without 'Bearer'), then rebuild them with:")


def forge_command(placeholder: str) -> str:
    """The shell line that defines a forged-token placeholder of an evidence curl (`secscan forge`)."""
    return f'eval "$(secscan forge {placeholder} --export)"'


def plural(n: int, one: str, many: str | None = None) -> str:
    """'1 file', '2 files' (or `many`)."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def more(n: int) -> str:
    """The last line of a shortened list."""
    return f"… and {n} more"


def output_line(kind: str, path: str) -> str:
    """'SARIF: out.sarif', 'HTML: report.html' ('-' is standard output)."""
    return f"{kind}: {'standard output' if path == '-' else path}"


def merged(runs: int, files: int, output: str) -> str:
    return f"secscan: merged {plural(runs, 'run')} from {plural(files, 'file')} into {output}"


def judged_note(ran: Sequence[str], failed: Sequence[str]) -> str:
    """Which tools the absent/stale judgement covers (the others' entries may or may not still match)."""
    note = ("Absent baseline entries and stale suppressions are judged only for the tools that ran successfully: "
            f"{', '.join(ran) or 'none'}.")
    if failed:
        note += f" Not judged for {', '.join(failed)}: {'it' if len(failed) == 1 else 'they'} did not run successfully."
    return note


# --- gate: where the SARIF's paths belong ----------------------------------------------------------------------


def assumed_root(root: str, why: str) -> str:
    return (f"gate: {why}; paths are taken relative to {root} (the git root of the current directory); "
            "pass --root DIR if the SARIF belongs to another checkout")


def srcroot_missing(uri: str) -> str:
    return f"the SARIF's %SRCROOT% ({uri}) does not exist here"


NO_SRCROOT = "the SARIF has no %SRCROOT% base"


def outside_root(where: str, location: str, root: str) -> str:
    return (f"{where}: location {location} cannot be made relative to the root {root} (pass --root DIR, the "
            "checkout the SARIF's paths belong to)")


def not_successful(value: object) -> str:
    """A SARIF invocation whose executionSuccessful is anything but the boolean true."""
    shown = "missing" if value is None else f"{value!r} ({type(value).__name__}, not the boolean true)"
    return f"executionSuccessful is {shown}: counted as a tool that could not run"


# --- forge -----------------------------------------------------------------------------------------------------

FORGE_NO_JWT = "{var} does not hold a JWT (three base64url parts): {why}"
FORGE_UNSET = "environment variable {var} is not set (export the tenant's own token first)"
FORGE_NO_KEY = ("the HMAC key of the token in {var} is not in secscan's wordlist, so {variant} cannot be rebuilt "
                "(the jwt-weak-secret finding would not have been reported either)")
FORGE_UNKNOWN = "unknown variant {variant!r} (choose from {choices})"
FORGE_NEEDS_VAR = "--from-env VAR is required with a variant (the variable holding the tenant's own token)"
FORGE_NOT_PLACEHOLDER = ("{name}: not a forged-token placeholder (SECSCAN_FORGED_<TENANT>_<VARIANT>, variant one of "
                         "{choices})")
FORGE_TENANT = ("cannot tell the tenant from {var}: name the variable SECSCAN_TOKEN_<TENANT> or pass --tenant NAME")
