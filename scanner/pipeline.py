"""The one flow every command goes through: config -> policy inputs -> runs -> finalize -> verdict.

`static`, `api`, `scan`, `gate`, `hook`, `demo` and `baseline` are thin adapters: each builds a `ScanRequest`,
calls `run` (or `prepare` / `execute` / `conclude` when it needs to act in between) and renders the `ScanResult`.
Everything that can fail with exit 2 (config, suppression file, baseline, paths, API settings) fails in
`prepare`, before any tool runs. This module stays light (no rich, no click, no sarif_om, no probes at import
time), so the pre-commit hook that goes through it starts fast.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from secscan import config as config_mod
from secscan.baseline import Baseline, load_baseline
from secscan.config import ApiSettings, Effective, SecscanConfig
from secscan.dataflow import confirm_findings
from secscan.errors import ConfigError, UsageError
from secscan.models import API_TOOL, Review, ToolRun
from secscan.overlap import mark_duplicates
from secscan.policy import Policy, Verdict, decide
from secscan.postprocess import finalize, partial_review
from secscan.runner import run_tools
from secscan.suppressions import NATIVE_REPORTING_ARGS, IgnoreFile, load_ignore_file
from secscan.targets import Targets, collect, dependency_targets, find_root, given_files
from secscan.tools import TOOLS, Stage, ToolContext, of_stage


class Observer(Protocol):
    """What a command shows while the pipeline works (the CLI prints; the hook and tests observe nothing)."""

    def scanning(self, targets: Targets, tools: Sequence[str]) -> None: ...

    def finished(self, run: ToolRun) -> None: ...

    def api_progress(self) -> Any:
        """A progress sink for the API engine (`budget(total)`, `stage(text)`, `tick(count)`, `close()`), or
        None."""
        ...


class Silent:
    """The observer of quiet runs: records finished runs, shows nothing."""

    def __init__(self) -> None:
        self.runs: list[ToolRun] = []

    def scanning(self, targets: Targets, tools: Sequence[str]) -> None:
        pass

    def finished(self, run: ToolRun) -> None:
        self.runs.append(run)

    def api_progress(self) -> Any:
        return None


@dataclass(frozen=True, slots=True)
class ScanRequest:
    """What one command asks for. `overrides` are dotted config keys given on the command line."""

    start: Path  # where the config is looked for (and what is scanned when there are no paths)
    paths: tuple[Path, ...] = ()  # static targets; default: the config's `paths`, else `start`
    static: bool = True
    api: bool | None = False  # None: when the configuration names an OpenAPI spec (`secscan scan`)
    config_file: Path | None = None
    use_config_file: bool = True  # False: the defaults, whatever config lies around (the demo)
    overrides: Mapping[str, Any] = field(default_factory=dict)
    timeout_for_all: bool = False  # an explicit --timeout replaces per-tool timeouts from the config
    stage: Stage | None = None  # hook mode: only this stage's tools, on exactly `paths`, judged alone
    hook_api: bool = False  # hook mode, api stage
    sarif_inputs: tuple[Path, ...] = ()  # gate / baseline --from-sarif: evaluate these instead of scanning
    root: Path | None = None  # gate: the repository the SARIF paths are relative to
    apply_baseline: bool = True  # False for `baseline create|update`
    default_baseline: bool = False  # hook mode: .secscan-baseline.json in the root when present
    today: date | None = None
    # Files this command writes or reads as its own (-o, --html, baseline --file): never scanned, whatever their
    # name or content. The config's baseline and suppressions files and the default names are added in _targets.
    own_files: tuple[Path, ...] = ()


@dataclass(frozen=True, slots=True)
class Plan:
    """A validated request: everything is known and readable before anything runs."""

    request: ScanRequest
    effective: Effective
    root: Path
    targets: Targets | None
    tools: tuple[str, ...]
    api: ApiSettings | None
    ignore: IgnoreFile | None
    baseline: Baseline | None
    today: date

    @property
    def config(self) -> SecscanConfig:
        return self.effective.config

    @property
    def policy(self) -> Policy:
        cfg = self.config
        return Policy(fail_on=cfg.fail_on, fail_on_tool_error=cfg.fail_on_tool_error,
                      fail_on_existing=cfg.fail_on_existing)

    @property
    def partial(self) -> bool:
        return self.request.stage is not None or self.request.hook_api


@dataclass(frozen=True, slots=True)
class ScanResult:
    plan: Plan
    runs: list[ToolRun]
    review: Review
    verdict: Verdict
    scanned: tuple[str, ...] = ()  # repo-relative files a partial (hook) scan covered

    @property
    def root(self) -> Path:
        return self.plan.root

    @property
    def policy(self) -> Policy:
        return self.plan.policy


def run(request: ScanRequest, observer: Observer | None = None) -> ScanResult:
    plan = prepare(request)
    return conclude(plan, execute(plan, observer))


# --- prepare: everything that can fail with exit 2 ------------------------------------------------------------


def prepare(request: ScanRequest) -> Plan:
    effective = _load_config(request)
    cfg = effective.config
    api = _api_settings(request, effective)
    targets = _targets(request, cfg) if request.static and not request.sarif_inputs else None
    root = _root(request, targets, api)
    today = request.today or date.today()
    tools = _tools(request, cfg)
    check_extra_args(effective, tools)
    return Plan(request, effective, root, targets, tools, api, _ignore_file(cfg, root),
                _baseline(request, cfg, root), today)


def _load_config(request: ScanRequest) -> Effective:
    if not request.use_config_file:
        return config_mod.load(request.start, None, request.overrides, discover_file=False)
    return config_mod.load(request.start, request.config_file, request.overrides)


def _tools(request: ScanRequest, cfg: SecscanConfig) -> tuple[str, ...]:
    if not request.static or request.sarif_inputs:
        return ()
    if request.stage is not None:
        return tuple(name for name in cfg.tools if name in of_stage(request.stage))
    return tuple(cfg.tools)


def _targets(request: ScanRequest, cfg: SecscanConfig) -> Targets:
    """The one walk. secscan's own files (the request's outputs, the config's baseline and suppressions files) are
    never scanned; an explicit path is scanned even inside a default exclude, and a scan left with nothing to scan
    is a usage error naming what removed what (hook calls may legitimately have nothing)."""
    if cfg.advisory_db and not Path(cfg.advisory_db).is_dir():
        raise UsageError(f"advisory_db: not a directory: {cfg.advisory_db}")
    own = (*request.own_files, *(Path(p) for p in (cfg.baseline, cfg.suppressions) if p))
    if request.stage is not None:
        root = find_root(request.start)
        if request.stage == "deps":
            return dependency_targets(request.paths, root, cfg.exclude, cfg.paths, own_files=own,
                                      max_file_size=cfg.max_file_size)
        return given_files(request.paths, root, cfg.exclude, cfg.paths, own_files=own, max_file_size=cfg.max_file_size)
    chosen = list(request.paths) or [Path(p) for p in cfg.paths] or [request.start]
    targets = collect(chosen, cfg.exclude, own_files=own, max_file_size=cfg.max_file_size)
    if not targets.files:
        raise UsageError(targets.nothing_left())
    return targets


def _root(request: ScanRequest, targets: Targets | None, api: ApiSettings | None) -> Path:
    if targets is not None:
        return targets.root
    if request.root is not None:
        return request.root.resolve()
    if api is not None and api.openapi and not is_url(api.openapi) and not request.hook_api:
        return find_root(Path(api.openapi).resolve())
    return find_root(request.start.resolve())


def is_url(value: str) -> bool:
    return urlsplit(value).scheme in ("http", "https")


def _api_settings(request: ScanRequest, effective: Effective) -> ApiSettings | None:
    """The API settings when this request probes an API; both the spec and the tenants file are required."""
    api = effective.config.api
    wanted = request.api if request.api is not None else bool(api.openapi or api.tokens)
    if request.hook_api:
        wanted = True
    if not wanted:
        return None
    if not api.openapi or not api.tokens:
        if request.hook_api:
            raise UsageError("the api stage needs api.openapi and api.tokens in the secscan config")
        missing = " and ".join(n for n, v in (("--openapi", api.openapi), ("--tokens", api.tokens)) if not v)
        raise UsageError(f"the API scan needs {missing} (or set api.openapi / api.tokens in the config)")
    if api.probes is not None:
        check_probe_names(api.probes, effective.source("api.probes"))
    return api


def probe_names() -> list[str]:
    from secscan_probes.engine.registry import discover  # the probes are imported only when an API scan is asked

    return discover().names()


def check_probe_names(names: Sequence[str], source: str) -> None:
    known = probe_names()
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise ConfigError(f"api.probes ({source}): unknown probe {', '.join(unknown) or '(empty)'} "
                          f"(choose from {', '.join(known)})")


def _display(path: Path, root: Path) -> str:
    """Repo-relative when inside the root (as SARIF locations are), else the path as given."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _ignore_file(cfg: SecscanConfig, root: Path) -> IgnoreFile | None:
    """The config's `suppressions` file (it must exist), else `.secscan-ignore.yaml` in the root if present."""
    path = Path(cfg.suppressions) if cfg.suppressions else root / config_mod.DEFAULT_SUPPRESSIONS
    if cfg.suppressions and not path.is_file():
        raise UsageError(f"suppressions: no such file: {path}")
    return load_ignore_file(path, _display(path, root)) if path.is_file() else None


def _baseline(request: ScanRequest, cfg: SecscanConfig, root: Path) -> Baseline | None:
    """The configured baseline (`baseline` / --baseline); in hook mode also `.secscan-baseline.json` in the root."""
    if not request.apply_baseline:
        return None
    if cfg.baseline:
        return load_baseline(Path(cfg.baseline), _display(Path(cfg.baseline), root))
    default = root / config_mod.DEFAULT_BASELINE
    if request.default_baseline and default.is_file():
        return load_baseline(default, config_mod.DEFAULT_BASELINE)
    return None


# --- execute: the static tools and/or the API engine, or runs read from SARIF files ---------------------------


def execute(plan: Plan, observer: Observer | None = None) -> list[ToolRun]:
    observer = observer or Silent()
    if plan.request.sarif_inputs:
        from secscan.sarif_read import read_runs

        runs = [run for file in plan.request.sarif_inputs for run in read_runs(file, plan.root)]
        for one in runs:
            observer.finished(one)
        return runs
    runs = []
    if plan.targets is not None and plan.tools and (plan.targets.files or not plan.partial):
        observer.scanning(plan.targets, plan.tools)
        contexts = {name: tool_context(plan, name) for name in plan.tools}
        runs += run_tools(plan.tools, contexts, on_done=observer.finished)
    if plan.api is not None:
        api_run = _api_run(plan, observer)
        observer.finished(api_run)
        runs.append(api_run)
    return runs


def tool_context(plan: Plan, name: str) -> ToolContext:
    """A tool's timeout (per-tool config wins unless --timeout was given) and its arguments: the native ones
    that make the tool report what its inline markers hide (finalize() marks those), then the user's."""
    assert plan.targets is not None
    cfg = plan.config
    settings = cfg.tool_options.get(name)
    timeout = cfg.timeout
    if settings is not None and settings.timeout and not plan.request.timeout_for_all:
        timeout = settings.timeout
    user = tuple(settings.extra_args) if settings else ()
    return ToolContext(plan.targets, cfg, timeout, (*NATIVE_REPORTING_ARGS.get(name, ()), *user), user)


def check_extra_args(effective: Effective, tools: Sequence[str]) -> None:
    """`tool_options.<tool>.extra_args` may tune a tool, never silently narrow it or send it elsewhere: an argument
    that changes which files are scanned or what is reported (bandit -x, semgrep --exclude-rule, pip-audit
    --ignore-vuln...), where rules or packages come from (semgrep --config, pip-audit --index-url), or any URL
    is a ConfigError naming it (the scanned repository's own config must not turn secscan into a pivot); the
    others are noted on the tool's run."""
    for name in tools:
        settings = effective.config.tool_options.get(name)
        if settings is None or not settings.extra_args:
            continue
        where = f"{effective.file or 'the configuration'}: tool_options.{name}.extra_args"
        tool = TOOLS[name]
        if not tool.takes_extra_args:
            raise ConfigError(f"{where}: {name} takes no extra arguments")
        for arg in settings.extra_args:
            if "://" in arg:
                raise ConfigError(f"{where}: '{arg}' is a URL; secscan's tools never fetch from the network")
            flag = arg.split("=", 1)[0]
            if flag in tool.refused_args or (len(flag) > 2 and flag[0] == "-" and flag[1] != "-"
                                            and flag[:2] in tool.refused_args):
                raise ConfigError(f"{where}: '{arg}' changes which files {name} scans, what it reports or where "
                                  "its rules come from; use secscan's exclude, suppressions or fail_on instead, "
                                  "which the reports show")


def _api_run(plan: Plan, observer: Observer) -> ToolRun:
    from secscan_probes.engine import run_api_scan  # heavy (schemathesis, httpx): only when an API is probed

    assert plan.api is not None
    return run_api_scan(plan.api, root=plan.root, progress=observer.api_progress())


# --- conclude: fingerprints, suppressions, baseline, verdict ---------------------------------------------------


def conclude(plan: Plan, runs: Sequence[ToolRun]) -> ScanResult:
    done = mark_duplicates(finalize(runs, plan.root, plan.config, plan.ignore, plan.baseline, plan.today))
    done = confirm_findings(done, plan.root, plan.config.rules)
    review = done.review
    scanned: tuple[str, ...] = ()
    if plan.partial:
        scanned = _scanned(plan, done.runs)
        review = partial_review(review, done.runs, plan.ignore, plan.today, scanned)
    return ScanResult(plan, done.runs, review, decide(done.runs, plan.policy, review), scanned)


def _scanned(plan: Plan, runs: Sequence[ToolRun]) -> tuple[str, ...]:
    if plan.targets is not None:
        return tuple(plan.targets.relative(f) for f in plan.targets.files)
    return tuple(sorted({f.location.path for r in runs if r.tool == API_TOOL for f in r.findings}))
