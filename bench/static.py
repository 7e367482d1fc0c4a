"""Static-scan speed benchmark: secscan vs. its tools alone, plus orchestration overhead (a report, never a gate)."""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOOLS = ("bandit", "semgrep", "pip-audit", "detect-secrets")
VULNERABLE_PINS = "requests==2.19.0\npyyaml==5.3\njinja2==2.10\nurllib3==1.24.1\n"
SEMGREP_FLAGS = ("--metrics=off", "--disable-version-check")
# Minimal valid empty reports, one per external tool, for the no-op overhead run.
NOOP_REPORTS = {
    "bandit": '{"errors": [], "results": []}',
    "semgrep": '{"version": "0", "results": [], "errors": []}',
    "pip-audit": '{"dependencies": [], "fixes": []}',
}
TARGETS = {"floor": 1.15, "sum": 0.6, "overhead": 0.3, "rules": 1.5}


@dataclass
class Sample:
    """One measured process: wall and CPU seconds (itself plus every descendant it reaped)."""

    wall: float
    cpu: float
    rc: int
    tools: dict[str, dict] = field(default_factory=dict)  # per-tool status/wall/cpu from secscan's SARIF


@dataclass
class TreeInfo:
    source: str
    path: str
    files: int
    py_files: int
    lines: int
    code_lines: int


# ---------------------------------------------------------------- measuring


def measure(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], timeout: float,
            stdin: Path | None = None) -> Sample:
    """Run argv (output discarded) and reap it with wait4, so its CPU includes every grandchild it reaped."""
    with tempfile.TemporaryFile() as err, open(stdin or os.devnull, "rb") as feed:
        start = time.perf_counter()
        proc = subprocess.Popen(list(argv), cwd=cwd, env=dict(env), stdout=subprocess.DEVNULL, stderr=err,
                                stdin=feed, start_new_session=True)
        timer = threading.Timer(timeout, _kill_group, args=(proc.pid,))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = rc = os.waitstatus_to_exitcode(status)
        if rc not in (0, 1):
            err.seek(0)
            tail = err.read().decode(errors="replace").strip()[-300:]
            print(f"    [{Path(argv[0]).name} exited {rc}] {tail}", file=sys.stderr)
    return Sample(wall=wall, cpu=usage.ru_utime + usage.ru_stime, rc=rc)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def sarif_tools(path: Path) -> dict[str, dict]:
    """Per-tool status, wall and CPU seconds as secscan recorded them in its SARIF log."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    tools = {}
    for run in doc.get("runs", []):
        props = (run.get("invocations") or [{}])[0].get("properties", {})
        tools[run["tool"]["driver"]["name"]] = {"status": props.get("status"), "wall": props.get("wallSeconds"),
                                                "cpu": props.get("cpuSeconds"), "results": len(run.get("results", []))}
    return tools


def median_sample(samples: Sequence[Sample]) -> Sample:
    """Field-wise median; per-tool details come from the first sample, statuses from all of them."""
    tools = {name: {**info, "status": ",".join(sorted({s.tools.get(name, {}).get("status") or "?" for s in samples}))}
             for name, info in samples[0].tools.items()}
    return Sample(wall=statistics.median(s.wall for s in samples), cpu=statistics.median(s.cpu for s in samples),
                  rc=max(s.rc for s in samples), tools=tools)


# ---------------------------------------------------------------- trees


def default_tree() -> Path:
    """The schemathesis package installed in secscan's venv (about 80k lines of real-world Python)."""
    found = sorted(REPO.glob(".venv/lib/python3*/site-packages/schemathesis"))
    if found:
        return found[-1]
    spec = importlib.util.find_spec("schemathesis")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("bench: schemathesis is not installed; pass --tree PATH")
    return Path(next(iter(spec.submodule_search_locations)))


def prepare_tree(source: Path, work: Path) -> Path:
    """Copy the tree out of site-packages (secscan excludes site-packages) and add vulnerable pins."""
    root = work / "tree"
    dest = root / source.name
    shutil.copytree(source, dest, symlinks=True, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".git"))
    (root / "requirements.txt").write_text(VULNERABLE_PINS, encoding="utf-8")
    return root


def tree_info(source: Path, root: Path) -> TreeInfo:
    files = [p for p in root.rglob("*") if p.is_file()]
    py = [p for p in files if p.suffix == ".py"]
    lines = code = 0
    for path in py:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            lines += 1
            stripped = line.strip()
            code += bool(stripped) and not stripped.startswith("#")
    return TreeInfo(source=str(source), path=str(root), files=len(files), py_files=len(py), lines=lines,
                    code_lines=code)


def tiny_tree(work: Path) -> Path:
    """One small module and one pinned requirement: enough for every adapter to start its tool."""
    root = work / "tiny"
    root.mkdir()
    (root / "app.py").write_text("import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n")
    (root / "requirements.txt").write_text("requests==2.19.0\n")
    return root


# ---------------------------------------------------------------- runs


@dataclass
class Bench:
    """Where secscan and the tools live, the environment every measured command gets, and a scratch dir."""

    secscan: Path
    work: Path
    env: dict[str, str]
    advisory_db: Path
    tool_timeout: float
    counter: int = 0

    def bin(self, name: str) -> str:
        return str(self.secscan.parent / name)

    def secscan_static(self, tree: Path, tools: Iterable[str], env: Mapping[str, str] | None = None) -> Sample:
        """`secscan static TREE --tools ...`, measured, with secscan's per-tool view read back from its SARIF."""
        self.counter += 1
        out = self.work / f"out{self.counter}.sarif"
        argv = [str(self.secscan), "static", str(tree), "--tools", ",".join(tools), "--advisory-db",
                str(self.advisory_db), "-q", "-o", str(out), "--timeout", f"{self.tool_timeout:g}"]
        sample = measure(argv, cwd=self.work, env=env or self.env, timeout=self.tool_timeout * 2 + 60)
        sample.tools = sarif_tools(out)
        return sample


def progress(label: str, sample: Sample) -> None:
    tools = " ".join(f"{n}={t['status']}" for n, t in sample.tools.items())
    print(f"  {label:<34} wall {sample.wall:7.2f}s  cpu {sample.cpu:7.2f}s  rc {sample.rc}  {tools}", file=sys.stderr)


def bench_static(bench: Bench, tree: Path, repeat: int) -> tuple[dict[str, Sample], Sample, dict[str, list[Sample]]]:
    """Each tool alone through secscan, then all four; `repeat` rounds (order reversed every other round)."""
    raw: dict[str, list[Sample]] = {name: [] for name in (*TOOLS, "all")}
    for round_no in range(repeat):
        order = [*TOOLS, "all"] if round_no % 2 == 0 else ["all", *reversed(TOOLS)]
        for name in order:
            sample = bench.secscan_static(tree, TOOLS if name == "all" else (name,))
            raw[name].append(sample)
            progress(f"secscan {name} (round {round_no + 1})", sample)
    alone = {name: median_sample(raw[name]) for name in TOOLS}
    return alone, median_sample(raw["all"]), raw


def direct_commands(bench: Bench, tree: Path) -> dict[str, list[str]]:
    """Each tool's own CLI on the same tree, roughly as a user would run it (pip-audit needs secscan's OSV server)."""
    return {
        "bandit -r": [bench.bin("bandit"), "-r", ".", "-f", "json", "-q"],
        "semgrep scan --config rules/": [bench.bin("semgrep"), "scan", "--config", str(REPO / "rules"), *SEMGREP_FLAGS,
                                         "--json", "-q", "--x-ignore-semgrepignore-files", "."],
        "detect-secrets scan --all-files": [bench.bin("detect-secrets"), "scan", "--all-files", "-n"],
    }


def bench_direct(bench: Bench, tree: Path) -> dict[str, Sample]:
    env = {**bench.env, "SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}
    results = {}
    for label, argv in direct_commands(bench, tree).items():
        results[label] = measure(argv, cwd=tree, env=env, timeout=bench.tool_timeout * 2)
        progress(f"direct {label}", results[label])
    return results


def export_rules(rev: str, dest: Path) -> Path:
    """The rule pack's YAML files as they were at git revision `rev`, written under dest."""
    names = subprocess.run(["git", "-C", str(REPO), "ls-tree", "--name-only", rev, "rules/"], capture_output=True,
                           text=True, check=True).stdout.split()
    dest.mkdir(parents=True)
    for name in (n for n in names if n.endswith(".yaml")):
        text = subprocess.run(["git", "-C", str(REPO), "show", f"{rev}:{name}"], capture_output=True, text=True,
                              check=True).stdout
        (dest / Path(name).name).write_text(text, encoding="utf-8")
    return dest


def bench_rule_packs(bench: Bench, tree: Path, rev: str, rounds: int) -> dict[str, Sample]:
    """semgrep alone with the rule pack at `rev` and with today's, alternating, `rounds` times each (medians)."""
    env = {**bench.env, "SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}
    packs = {f"rules at {rev}": export_rules(rev, bench.work / "rules-then"), "rules now": REPO / "rules"}
    raw: dict[str, list[Sample]] = {label: [] for label in packs}
    for _ in range(rounds):
        for label, pack in packs.items():
            argv = [bench.bin("semgrep"), "scan", "--config", str(pack), *SEMGREP_FLAGS, "--json", "-q",
                    "--x-ignore-semgrepignore-files", "."]
            raw[label].append(measure(argv, cwd=tree, env=env, timeout=bench.tool_timeout * 2))
            progress(f"semgrep, {label}", raw[label][-1])
    return {label: median_sample(samples) for label, samples in raw.items()}


# ---------------------------------------------------------------- orchestration overhead


def make_noop_tools(work: Path) -> dict[str, str]:
    """Fake bandit/semgrep/pip-audit that print an empty report; returned as env overrides (PATH and SECSCAN_*_BIN)."""
    bindir = work / "noop-bin"
    bindir.mkdir()
    env = {}
    for name, report in NOOP_REPORTS.items():
        exe = bindir / name
        exe.write_text(f"#!/bin/sh\nprintf '%s\\n' '{report}'\n")
        exe.chmod(0o755)
        env[f"SECSCAN_{name.upper().replace('-', '_')}_BIN"] = str(exe)
    env["PATH"] = f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"
    return env


def interpreter(secscan: Path) -> str:
    """The Python that runs the secscan console script (its shebang), which also runs the detect-secrets worker."""
    first = secscan.read_text(encoding="utf-8", errors="replace").splitlines()[0]
    return first[2:].strip() if first.startswith("#!") else str(secscan.parent / "python")


def bench_overhead(bench: Bench, tiny: Path, rounds: int) -> dict[str, Sample]:
    """secscan on a tiny tree with no-op tools; detect-secrets (an in-process worker) is measured separately."""
    noop_env = {**bench.env, **make_noop_tools(bench.work)}
    request = bench.work / "ds-request.json"
    request.write_text(json.dumps({"files": ["app.py", "requirements.txt"], "baseline": None, "processes": 1}))
    worker = [interpreter(bench.secscan), "-I", str(REPO / "scanner" / "tools" / "ds_worker.py")]
    cases = {
        "secscan, 3 no-op tools": lambda: bench.secscan_static(tiny, TOOLS[:3], env=noop_env),
        "secscan, 3 no-op + real detect-secrets": lambda: bench.secscan_static(tiny, TOOLS, env=noop_env),
        "detect-secrets worker alone": lambda: measure(worker, cwd=tiny, env=bench.env, timeout=120, stdin=request),
        "secscan --version": lambda: measure([str(bench.secscan), "--version"], cwd=bench.work, env=bench.env,
                                             timeout=120),
    }
    results = {}
    for label, run in cases.items():
        results[label] = median_sample([run() for _ in range(rounds)])
        progress(f"overhead: {label}", results[label])
    return results


def import_breakdown(python: str, env: Mapping[str, str], top: int = 6) -> tuple[float, list[tuple[float, str]]]:
    """`python -X importtime -c 'import secscan.cli'`: total seconds and the heaviest direct imports of secscan.cli."""
    out = subprocess.run([python, "-X", "importtime", "-c", "import secscan.cli"], cwd=REPO, env=dict(env),
                         capture_output=True, text=True, timeout=120, check=False).stderr
    rows = []
    for line in out.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m:
            rows.append((int(m.group(2)) / 1e6, len(m.group(3)) // 2, m.group(4)))
    total = sum(cum for cum, depth, name in rows if depth == 0 and name.split(".")[0] == "scanner")
    end = next((i for i, r in enumerate(rows) if r[1] == 0 and r[2] == "secscan.cli"), len(rows))
    begin = max((i for i, r in enumerate(rows[:end]) if r[1] == 0), default=-1) + 1
    children = sorted(((cum, name) for cum, depth, name in rows[begin:end] if depth == 1), reverse=True)
    return total, children[:top]


# ---------------------------------------------------------------- report


def machine_state() -> dict[str, object]:
    """Cores, load average and pressure-stall averages: how noisy the shared machine was."""
    state: dict[str, object] = {"cores": len(os.sched_getaffinity(0)), "loadavg": os.getloadavg()}
    for kind in ("cpu", "io"):
        try:
            first = Path(f"/proc/pressure/{kind}").read_text().splitlines()[0]
            found = re.search(r"avg60=([\d.]+)", first)
            if found:
                state[f"{kind}_pressure_avg60"] = float(found.group(1))
        except (OSError, IndexError):
            pass
    return state


def ratios(alone: Mapping[str, Sample], combined: Sample, cores: int) -> dict[str, float]:
    total_wall = sum(s.wall for s in alone.values())
    total_cpu = sum(s.cpu for s in alone.values())
    floor = max(*(s.wall for s in alone.values()), total_cpu / cores)
    return {"floor": floor, "sum_wall": total_wall, "sum_cpu": total_cpu,
            "secscan_over_floor": combined.wall / floor, "secscan_over_sum": combined.wall / total_wall}


def verdict(value: float, target: float, strict: bool = False) -> str:
    ok = value < target if strict else value <= target
    return "PASS" if ok else "MISS"


def tool_cells(sample: Sample) -> str:
    return "  ".join(f"{n} {t['status']} {t['wall'] or 0:.1f}/{t['cpu'] or 0:.1f}" for n, t in sample.tools.items())


def print_table(rows: Sequence[tuple[str, Sample]]) -> None:
    print(f"{'run':<44} {'wall s':>8} {'cpu s':>8} {'rc':>3}  secscan's per-tool view (status wall/cpu)")
    for label, s in rows:
        print(f"{label:<44} {s.wall:8.2f} {s.cpu:8.2f} {s.rc:>3}  {tool_cells(s)}")


def problems(samples: Mapping[str, Sample]) -> list[str]:
    """Runs in which a tool did not finish ok: the ratios then compare incomplete scans."""
    return [f"{label}: {tool} was {info['status']}" for label, s in samples.items()
            for tool, info in s.tools.items() if info.get("status") != "ok"]


def print_report(data: dict) -> None:
    info, over = data["tree"], data["overhead"]
    print(f"\ntree: {info['source']} -> {info['path']}\n      {info['files']} files, {info['py_files']} .py files, "
          f"{info['lines']} lines of Python ({info['code_lines']} non-blank, non-comment)")
    print(f"machine: before {data['machine_before']}\n         after  {data['machine_after']}\n")
    print_table([(f"secscan --tools {t}", data["alone"][t]) for t in TOOLS] + [("secscan (all four)", data["all"])])
    if data["direct"]:
        print("\nreference only (each tool's own CLI, not used in the ratios):")
        print_table(list(data["direct"].items()))
    if data["rule_packs"]:
        print("\nrule pack cost (semgrep alone on the same tree, medians):")
        print_table(list(data["rule_packs"].items()))
        then, now = data["rule_packs"].values()
        print(f"rules now / rules then = {now.wall / then.wall:.2f} (target <= {TARGETS['rules']})  "
              f"{verdict(now.wall / then.wall, TARGETS['rules'])}")
    print("\norchestration overhead (tiny tree, median of "
          f"{data['overhead_rounds']} runs):")
    print_table(list(over.items()))
    total, heavy = data["imports"]
    print(f"import secscan.cli: {total:.2f} s; heaviest direct imports: "
          + ", ".join(f"{name} {cum:.2f}s" for cum, name in heavy))
    print_ratios(data)


def print_ratios(data: dict) -> None:
    r, head = data["ratios"], data["overhead"]["secscan, 3 no-op tools"].wall
    print(f"\nfloor = max(slowest tool alone {max(s.wall for s in data['alone'].values()):.2f} s, "
          f"tool CPU {r['sum_cpu']:.2f} s / {data['machine_before']['cores']} cores) = {r['floor']:.2f} s; "
          f"sum of tool wall times = {r['sum_wall']:.2f} s; secscan = {data['all'].wall:.2f} s")
    print(f"secscan / floor = {r['secscan_over_floor']:.2f} (target <= {TARGETS['floor']})  "
          f"{verdict(r['secscan_over_floor'], TARGETS['floor'])}")
    print(f"secscan / sum   = {r['secscan_over_sum']:.2f} (target <= {TARGETS['sum']})  "
          f"{verdict(r['secscan_over_sum'], TARGETS['sum'])}")
    print(f"overhead        = {head:.2f} s (target < {TARGETS['overhead']} s)  "
          f"{verdict(head, TARGETS['overhead'], strict=True)}")
    for line in problems({**{f"secscan --tools {t}": s for t, s in data["alone"].items()}, "all four": data["all"]}):
        print(f"WARNING: {line} -- the ratios compare incomplete scans")


def to_json(data: dict) -> dict:
    def plain(value: object) -> object:
        if isinstance(value, Sample | TreeInfo):
            return asdict(value)
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value
    return plain(data)  # type: ignore[return-value]


# ---------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tree", type=Path, help="tree to scan (default: schemathesis from the venv's site-packages)")
    ap.add_argument("--repeat", type=int, default=1, help="rounds of every measurement; medians are reported")
    ap.add_argument("--json", type=Path, metavar="FILE", help="also save the raw numbers here")
    ap.add_argument("--secscan", type=Path, default=REPO / ".venv" / "bin" / "secscan", help="secscan executable")
    ap.add_argument("--advisory-db", type=Path, default=REPO / "fixtures" / "advisories")
    ap.add_argument("--tool-timeout", type=float, default=900.0, help="secscan --timeout for every run (s)")
    ap.add_argument("--direct", action="store_true",
                    help="also time each tool's own CLI once, for reference (adds about the sum of the tool times)")
    ap.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                    help="extra environment for every measured command (e.g. TMPDIR=/dev/shm), repeatable")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory (SARIF outputs, tree copy)")
    ap.add_argument("--rules-vs", metavar="REV",
                    help="also time semgrep with the rule pack of git revision REV against today's (alternating, "
                         "max(3, --repeat) rounds) and print the ratio")
    args = ap.parse_args(argv)
    if args.repeat < 1 or not args.secscan.exists() or any("=" not in e for e in args.env):
        ap.error("need --repeat >= 1, an existing --secscan and KEY=VALUE for --env")
    return args


def run(args: argparse.Namespace, work: Path) -> dict:
    source = (args.tree or default_tree()).resolve()
    tree = prepare_tree(source, work)
    info = tree_info(source, tree)
    print(f"bench: {info.files} files, {info.py_files} .py files, {info.lines} lines of Python "
          f"({info.code_lines} code) copied from {source}", file=sys.stderr)
    env = {**os.environ, **dict(e.split("=", 1) for e in args.env)}
    bench = Bench(secscan=args.secscan, work=work, env=env, advisory_db=args.advisory_db.resolve(),
                  tool_timeout=args.tool_timeout)
    data: dict = {"tree": asdict(info), "machine_before": machine_state(), "args": vars(args), "overhead_rounds":
                  max(3, args.repeat)}
    data["alone"], data["all"], data["raw"] = bench_static(bench, tree, args.repeat)
    data["direct"] = bench_direct(bench, tree) if args.direct else {}
    data["rule_packs"] = bench_rule_packs(bench, tree, args.rules_vs, max(3, args.repeat)) if args.rules_vs else {}
    data["overhead"] = bench_overhead(bench, tiny_tree(work), data["overhead_rounds"])
    data["imports"] = import_breakdown(interpreter(args.secscan), env)
    data["machine_after"] = machine_state()
    data["ratios"] = ratios(data["alone"], data["all"], data["machine_before"]["cores"])
    return data


def main(argv: Sequence[str] | None = None) -> int:
    """Always exits 0: the output is a report, not a gate."""
    args = parse_args(argv)
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="secscan-bench-"))
    try:
        data = run(args, work)
        print_report(data)
        kept = f"; scratch kept in {work}" if args.keep else ""
        print(f"\nbench took {time.perf_counter() - started:.0f} s{kept}")
        if args.json:
            args.json.write_text(json.dumps(to_json(data), indent=2, default=str) + "\n", encoding="utf-8")
            print(f"raw numbers: {args.json}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
