"""bandit sink findings that secscan's data-flow analysis looked at and cleared.

bandit flags a sink (`subprocess` with a shell, `eval`, `pickle.loads`, SQL built from strings, XML parsers, ...)
whatever reaches it. secscan's taint rules (semgrep, `rules/*-taint.yaml`) follow request data to the same sinks.
semgrep's open-source taint analysis stays inside one function, so its silence means something only where a
function receives nothing from outside except what the rules model as request data:

- a route handler (`@app.get(...)`, `@bp.route(...)`, `@router.post(...)`, ...): its parameters are request
  values, which the taint rules treat as sources;
- a function whose only parameters are framework objects (`request`, `self`, `websocket`, ...): a Django view
  `def view(request)`, a method that reads `self.request`.

A bandit finding of a data-flow sink in such a function, in a CWE family that has a secscan taint rule, which that
rule ran on (semgrep finished; the file parsed) and did not report, is **not confirmed**: it gets an `external`
suppression whose justification says so and names the rule, so it stays in the SARIF, the JSON and the HTML's
suppressed group and takes no part in the verdict. A sink in a helper with ordinary parameters, in module code, or in
a file that does not parse stays as bandit rated it: request data may arrive through the parameters, which the
analysis cannot see. Measured on fixtures/static_cases with `bench/accuracy.py` (figures in the README).
"""

from __future__ import annotations

import ast
import dataclasses
import functools
from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml

from secscan.config import RuleSettings
from secscan.models import Finding, Status, Suppression, ToolRun
from secscan.overlap import cwe_families, families
from secscan.postprocess import Finalized
from secscan.tools.semgrep import rules_dir as pack_dir

# bandit tests that flag a place where outside data becomes dangerous (a sink). Configuration checks (B201 debug,
# B701 autoescape off, B501 verify=False), weak algorithms (B303/B324), `random` (B311) and import warnings are
# not data flows and are never cleared.
FLOW_SINK_TESTS = frozenset({
    "B102", "B307",  # exec, eval
    "B301", "B302", "B506",  # pickle / marshal / yaml.load
    "B308", "B703", "B704",  # mark_safe / Markup
    "B310",  # urlopen
    "B313", "B314", "B315", "B316", "B317", "B318", "B319", "B320",  # XML parsers
    "B602", "B603", "B604", "B605", "B606",  # processes
    "B608", "B609", "B610", "B611",  # SQL strings, wildcard injection, Django extra/RawSQL
})
ROUTE_DECORATORS = frozenset({"route", "get", "post", "put", "patch", "delete", "head", "options", "api_route",
                              "websocket", "view"})
FRAMEWORK_PARAMS = frozenset({"self", "cls", "request", "req", "websocket", "ws"})
SOURCE = "secscan data-flow check"


@functools.cache
def taint_rules(rules_dir: Path) -> dict[str, str]:
    """CWE family -> the id of the pack's taint rule for it (rules with `mode: taint`)."""
    out: dict[str, str] = {}
    for path in sorted(rules_dir.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for rule in doc.get("rules") or ():
            if rule.get("mode") != "taint":
                continue
            cwes = [int(str(c).split(":")[0].removeprefix("CWE-")) for c in rule.get("metadata", {}).get("cwe", ())]
            for family in cwe_families(cwes):
                out.setdefault(family, rule["id"])
    return out


def _enclosing(tree: ast.Module, line: int) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    best: ast.FunctionDef | ast.AsyncFunctionDef | None = None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.lineno <= line <= (node.end_lineno or 0):
            if best is None or node.lineno > best.lineno:
                best = node
    return best


def _closed(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Everything reaching this function from outside is something the taint rules treat as request data."""
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Attribute) and target.attr in ROUTE_DECORATORS:
            return True
    args = function.args
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    return all(name in FRAMEWORK_PARAMS for name in names)


class _Functions:
    """The enclosing function of a line, per file, parsed once; None when the file does not parse."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.trees: dict[str, ast.Module | None] = {}

    def at(self, path: str, line: int) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        if path not in self.trees:
            try:
                self.trees[path] = ast.parse((self.root / path).read_bytes(), filename=path)
            except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
                self.trees[path] = None
        tree = self.trees[path]
        return None if tree is None else _enclosing(tree, line)


def confirm(runs: Sequence[ToolRun], root: Path, rules_dir: Path,
            settings: Mapping[str, RuleSettings] | None = None) -> list[ToolRun]:
    """The runs with every bandit sink finding that the matching taint rule cleared suppressed (see above)."""
    settings = settings or {}
    semgrep = next((r for r in runs if r.tool == "semgrep"), None)
    if semgrep is None or semgrep.status is not Status.OK:
        return list(runs)
    disabled = {rid for rid, s in settings.items() if not s.enabled and s.tool in (None, "semgrep")}
    by_family = {fam: rid for fam, rid in taint_rules(rules_dir).items() if rid not in disabled}
    troubled = [n.message for n in semgrep.notifications]  # per-file semgrep errors name the file
    functions = _Functions(root)

    def cleared(f: Finding) -> Finding:
        if (f.tool != "bandit" or f.rule.id not in FLOW_SINK_TESTS or f.suppression is not None
                or f.duplicate_of is not None or f.duplicates or not f.location.path.endswith(".py")):
            return f
        rule = next((by_family[fam] for fam in sorted(families(f.rule)) if fam in by_family), None)
        if rule is None or any(f.location.path in message for message in troubled):
            return f
        function = functions.at(f.location.path, f.location.start_line)
        if function is None or not _closed(function):
            return f
        why = (f"not confirmed by data-flow analysis: secscan's {rule} followed the request data in "
               f"{function.name}() and none of it reaches this call")
        return dataclasses.replace(f, suppression=Suppression(kind="external", justification=why, source=SOURCE))

    return [dataclasses.replace(run, findings=tuple(cleared(f) for f in run.findings)) if run.tool == "bandit" else run
            for run in runs]


def confirm_findings(done: Finalized, root: Path, settings: Mapping[str, RuleSettings] | None = None) -> Finalized:
    """`confirm` on finalized runs with secscan's shipped rule pack (the pipeline's one call, after
    `overlap.mark_duplicates`)."""
    return dataclasses.replace(done, runs=confirm(done.runs, root, pack_dir(), settings))
