"""pip-audit adapter: pinned dependencies from every requirements/pyproject/lock file, no resolving.

A dependency pip-audit could not audit is a failed run (unless --allow-unaudited), never a silent pass.
With --advisory-db, pip-audit's OSV client is pointed at a loopback server that answers from local files.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from secscan import proc
from secscan.advisories import AdvisoryDB, AdvisoryDBError, serve
from secscan.cvss import base_score
from secscan.depfiles import Dependency, collect_dependencies, is_dep_file, partition_unique
from secscan.errors import ToolError, ToolOutputError
from secscan.models import Finding, Location, Notification, Rule, severity_for_score
from secscan.targets import Targets
from secscan.tools.base import Invocation, Parsed, Stage, ToolContext, ToolPlan, package_version

_CWE_VULNERABLE_COMPONENT = 1395
_DEFAULT_SCORE = 7.0  # a known advisory without a CVSS vector counts as high


@dataclass(frozen=True, slots=True)
class PipAuditOptions:
    """pip-audit's own settings (config keys `advisory_db` and `allow_unaudited`, or the same options)."""

    advisory_db: Path | None = None
    allow_unaudited: bool = False


def options_of(ctx: ToolContext) -> PipAuditOptions:
    cfg = ctx.config
    return PipAuditOptions(Path(cfg.advisory_db) if cfg.advisory_db else None, cfg.allow_unaudited)


class PipAudit:
    name = "pip-audit"
    takes_extra_args = True
    refused_args: tuple[str, ...] = (
        "--ignore-vuln", "--skip-editable", "-f", "--format", "-o", "--output", "-s", "--vulnerability-service",
        "-r", "--requirement", "--path", "--local", "-l", "-i", "--index-url", "--extra-index-url", "--cache-dir",
    )
    stage: Stage = "deps"
    executable = "pip-audit"
    information_uri = "https://github.com/pypa/pip-audit"
    nothing_to_scan = "no requirements, pyproject or lock files found"

    def files(self, targets: Targets) -> Sequence[Path]:
        return [f for f in targets.files if is_dep_file(f)]

    @contextmanager
    def plan(self, exe: str, files: Sequence[str], ctx: ToolContext) -> Iterator[ToolPlan]:
        """One pip-audit process per group of pins with distinct names, against the local advisory server
        (when `advisory_db` is set) that lives as long as the plan."""
        options = options_of(ctx)
        deps, notes = _read_dependencies([ctx.targets.root / f for f in files], ctx.targets, options.allow_unaudited)
        pinned = [d for d in deps if d.version]
        if not pinned:
            yield ToolPlan(notifications=notes)
            return
        try:
            db = AdvisoryDB.load(options.advisory_db) if options.advisory_db else None
        except AdvisoryDBError as exc:
            raise ToolError(f"advisory database: {exc}") from None
        with _service(db) as service_args, tempfile.TemporaryDirectory(prefix="secscan-pip-audit-") as tmp:
            invocations = [_audit_group(exe, group, Path(tmp) / f"req{i}.txt", service_args, db, ctx, options)
                           for i, group in enumerate(partition_unique(pinned))]
            yield ToolPlan(invocations, notes, package_version(exe, "pip-audit"))


def _audit_group(exe: str, group: list[Dependency], req: Path, service_args: list[str], db: AdvisoryDB | None,
                 ctx: ToolContext, options: PipAuditOptions) -> Invocation:
    req.write_text("".join(f"{d.name}=={d.version}\n" for d in group))
    argv = (exe, "-r", str(req), "--disable-pip", "--no-deps", "-f", "json", "--progress-spinner", "off",
            "--cache-dir", str(req.parent / "cache"), *service_args, *ctx.extra_args)
    by_name = {d.name: d for d in group}
    targets = ctx.targets
    return Invocation(argv, lambda r: parse(r, by_name, targets, db, options.allow_unaudited))


@contextmanager
def _service(db: AdvisoryDB | None) -> Iterator[list[str]]:
    if db is None:
        yield []  # pip-audit's default service (PyPI); unreachable pins are reported as unaudited
        return
    with serve(db) as url:
        yield ["-s", "osv", "--osv-url", url]


def _read_dependencies(files: list[Path], targets: Targets,
                       allow_unaudited: bool = False) -> tuple[list[Dependency], list[Notification]]:
    """The dependencies of `files` and of the requirement files they include (`-r`) inside the scanned tree.

    What could not be read was not audited, exactly like a dependency pip-audit could not audit: an error (the run
    fails) unless `allow_unaudited`. That is a dependency file or include that is missing, outside the tree, a URL,
    not a regular file, over max_file_size or not UTF-8, and a dependency file the walk skipped for such a reason.
    Constraint files (`-c`) pin without installing and are not audited (a note)."""
    found = collect_dependencies(files, targets.root, targets.max_file_size)
    deps = found.deps
    notes = [Notification("warning", f"pip-audit: {targets.relative(path)}: {e}") for path, e in found.errors]
    unread = [f"{s.display}: {s.reason}" for s in targets.skipped
              if s.level == "warning" and not s.directory and is_dep_file(s.path)] + found.unaudited
    if unread:
        noun = "dependency file or include" if len(unread) == 1 else "dependency files or includes"
        more = f"; … and {len(unread) - 20} more" if len(unread) > 20 else ""
        notes.append(Notification("warning" if allow_unaudited else "error",
                                  f"{len(unread)} {noun} could not be read, so their requirements were not audited: "
                                  + "; ".join(unread[:20]) + more))
    notes.extend(Notification("note", text) for text in found.notes)
    unpinned = sorted({f"{d.name} ({targets.relative(d.file)})" for d in deps if not d.version})
    if unpinned:
        notes.append(Notification("warning", f"{len(unpinned)} requirement(s) are ranges, not exact pins, and were "
                                             f"not audited (audit a lock file instead): {', '.join(unpinned[:20])}"))
    return deps, notes


def parse(result: proc.ProcResult, deps: dict[str, Dependency], targets: Targets, db: AdvisoryDB | None,
          allow_unaudited: bool) -> Parsed:
    """pip-audit exits 1 both for 'vulnerable' and for fatal errors: require its JSON either way."""
    try:
        doc = json.loads(result.stdout)
        entries = doc["dependencies"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ToolOutputError(f"pip-audit exited {result.returncode} without its JSON report ({exc})") from exc
    findings: list[Finding] = []
    skipped: list[str] = []
    for entry in entries:
        dep = deps.get(canonicalize_name(entry["name"]))
        if dep is None:
            continue
        if entry.get("skip_reason"):
            skipped.append(f"{dep.name}=={dep.version} ({entry['skip_reason']})")
        findings.extend(_finding(dep, vuln, targets, db) for vuln in entry.get("vulns", []))
    notes = []
    if skipped:
        level = "warning" if allow_unaudited else "error"
        noun = "dependency" if len(skipped) == 1 else "dependencies"
        notes.append(Notification(level, f"pip-audit could not audit {len(skipped)} {noun}"
                                         f" (use --advisory-db DIR offline): {'; '.join(skipped[:10])}"))
    return Parsed(findings, notes)


def _finding(dep: Dependency, vuln: dict[str, Any], targets: Targets, db: AdvisoryDB | None) -> Finding:
    ids = [vuln["id"], *vuln.get("aliases", [])]
    score = _score(dep, ids, db)
    fixed = ", ".join(vuln.get("fix_versions", [])) or "no fixed version published"
    summary = " ".join(str(vuln.get("description") or "").split())[:300]
    rule = Rule(
        id=vuln["id"], title=f"Vulnerable dependency {dep.name} ({vuln['id']})",
        description=summary or f"{dep.name} has a known vulnerability ({', '.join(ids)}).",
        severity=severity_for_score(score), security_severity=score, precision="very-high",
        cwe=(_CWE_VULNERABLE_COMPONENT,), owasp=("A06:2021 - Vulnerable and Outdated Components",),
        help_text=f"Upgrade {dep.name} to a fixed version ({fixed}). Advisory ids: {', '.join(ids)}.",
        help_uri=f"https://osv.dev/vulnerability/{vuln['id']}",
    )
    message = (f"{dep.name} {dep.version} is affected by {vuln['id']}"
               f"{' (' + ', '.join(ids[1:]) + ')' if len(ids) > 1 else ''}; fixed in: {fixed}.")
    return Finding(tool="pip-audit", rule=rule, message=message,
                   location=Location(path=targets.relative(dep.file), start_line=dep.line),
                   severity=rule.severity, context=f"{dep.name}|{vuln['id']}",
                   properties={"package": dep.name, "installedVersion": dep.version, "advisory": vuln["id"],
                               "aliases": list(ids[1:]), "fixedVersions": list(vuln.get("fix_versions", []))})


def _score(dep: Dependency, ids: list[str], db: AdvisoryDB | None) -> float:
    """Highest CVSS base score (v4, v3 or v2 vector) among the advisory's records in the local DB, else the
    default."""
    if db is None or dep.version is None:
        return _DEFAULT_SCORE
    scores = [base_score(sev.get("score", ""))
              for record in db.query(dep.name, dep.version)
              if {record.get("id"), *record.get("aliases", [])} & set(ids)
              for sev in record.get("severity", []) if str(sev.get("type", "")).startswith("CVSS_V")]
    valid = [s for s in scores if s]
    return max(valid) if valid else _DEFAULT_SCORE
