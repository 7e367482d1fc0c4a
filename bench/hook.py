"""pre-commit hook speed: the `secscan` hook on a one-file commit vs. semgrep's own start-up (a report, not a gate)."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TARGET_RATIO = 1.3
VARIANTS = ("semgrep", "hook", "pre-commit", "cli")
DESCRIPTIONS = {
    "semgrep": "semgrep scan --config rules/ --metrics=off --disable-version-check --json FILE",
    "hook": "python -P -m secscan.cli_hook --stage static FILE   (the manifest's entry)",
    "pre-commit": "pre-commit run secscan --files FILE   (pre-commit's own start-up included)",
    "cli": "secscan hook FILE   (through the full CLI: imports every command)",
}


@dataclass
class Sample:
    variant: str
    wall: float
    cpu: float
    rc: int


def semgrep_bin() -> str:
    """As secscan finds it: SECSCAN_SEMGREP_BIN, next to this interpreter, then semgrep's own venv, then PATH."""
    for candidate in (os.environ.get("SECSCAN_SEMGREP_BIN"), str(BIN / "semgrep"),
                      str(REPO / ".venv-semgrep" / "bin" / "semgrep"), shutil.which("semgrep")):
        if candidate and Path(candidate).exists():
            return candidate
    sys.exit("bench/hook.py: semgrep not found (set SECSCAN_SEMGREP_BIN)")


def measure(variant: str, argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> Sample:
    """Wall time around the process; CPU time of it and every descendant it reaped (os.wait4)."""
    start = time.perf_counter()
    proc = subprocess.Popen(list(argv), cwd=cwd, env=dict(env), stdout=subprocess.DEVNULL,  # noqa: S603
                            stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    return Sample(variant, time.perf_counter() - start, usage.ru_utime + usage.ru_stime,
                  os.waitstatus_to_exitcode(status))


def make_repo(base: Path, source: Path) -> tuple[Path, str]:
    """A git repository with the manifest's hooks as local hooks and one staged Python file."""
    repo = base / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    manifest = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    hooks = [{**{k: v for k, v in h.items() if k != "additional_dependencies"}, "language": "unsupported"}
             for h in manifest]
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]}))
    name = f"src/{source.name}"
    (repo / "src").mkdir()
    shutil.copyfile(source, repo / name)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    return repo, name


def commands(name: str, semgrep: str, precommit: str, secscan: str) -> dict[str, list[str]]:
    return {
        "semgrep": [semgrep, "scan", "--config", str(REPO / "rules"), "--metrics=off", "--disable-version-check",
                    "--json", name],
        "hook": [sys.executable, "-P", "-m", "secscan.cli_hook", "--stage", "static", name],
        "pre-commit": [precommit, "run", "secscan", "--files", name],
        "cli": [secscan, "hook", name],
    }


def run_rounds(argvs: Mapping[str, list[str]], variants: Sequence[str], repeat: int, cwd: Path,
               env: Mapping[str, str]) -> list[Sample]:
    """One warm-up of each variant (not kept), then `repeat` rounds, every other one in reverse order."""
    for variant in variants:
        measure(variant, argvs[variant], cwd, env)
    samples = []
    for i in range(repeat):
        order = variants if i % 2 == 0 else list(reversed(variants))
        for variant in order:
            samples.append(measure(variant, argvs[variant], cwd, env))
            print(f"  round {i + 1}: {variant:<10} {samples[-1].wall:6.2f} s wall  {samples[-1].cpu:6.2f} s cpu  "
                  f"rc {samples[-1].rc}", file=sys.stderr)
    return samples


def tool_breakdown(repo: Path, name: str, env: Mapping[str, str], scratch: Path) -> dict[str, float]:
    """One extra hook run with --output, for the tools' own wall times (sarif_om import makes it not comparable)."""
    out = scratch / "hook.sarif"
    subprocess.run([sys.executable, "-P", "-m", "secscan.cli_hook", "-o", str(out), name], cwd=repo, env=dict(env),
                   capture_output=True, check=False)
    if not out.is_file():
        return {}
    runs = json.loads(out.read_text())["runs"]
    return {run["tool"]["driver"]["name"]: run["invocations"][0]["properties"].get("wallSeconds", 0.0) for run in runs}


def import_times(modules: str) -> tuple[float, list[tuple[int, str]]]:
    """Total cumulative import time (s) of `modules` and the heaviest top-level imports (µs, name)."""
    out = subprocess.run([sys.executable, "-P", "-X", "importtime", "-c", f"import {modules}"], capture_output=True,
                         text=True, check=False, cwd=tempfile.gettempdir())
    rows = []
    for line in out.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)", line)
        if match:
            rows.append((int(match.group(2)), len(match.group(3)), match.group(4)))
    top = sum(cumulative for cumulative, depth, _ in rows if depth == 0)  # nested imports are indented
    heavy = sorted(((c, n) for c, d, n in rows if 0 < d <= 4), reverse=True)[:8]
    return top / 1e6, heavy


def print_import_times() -> None:
    for label, modules in (("hook path", "secscan.cli_hook, secscan.hook"), ("full CLI", "secscan.cli")):
        total, heavy = import_times(modules)
        print(f"import time, {label} ({modules}): {total:.2f} s; heaviest: "
              + ", ".join(f"{n} {c / 1e6:.2f}" for c, n in heavy[:6]))


def report(samples: Sequence[Sample], variants: Sequence[str], breakdown: Mapping[str, float]) -> dict[str, float]:
    medians = {v: statistics.median(s.wall for s in samples if s.variant == v) for v in variants}
    cpus = {v: statistics.median(s.cpu for s in samples if s.variant == v) for v in variants}
    print(f"\n{'variant':<11} {'median wall':>11} {'median cpu':>10}  command")
    for v in variants:
        print(f"{v:<11} {medians[v]:>9.2f} s {cpus[v]:>8.2f} s  {DESCRIPTIONS[v]}")
    if breakdown:
        print("hook's tools (one extra run): " + ", ".join(f"{k} {v:.2f} s" for k, v in breakdown.items()))
    if "semgrep" in medians:
        for v in (x for x in variants if x != "semgrep"):
            ratio = medians[v] / medians["semgrep"]
            verdict = "PASS" if ratio <= TARGET_RATIO else "MISS"
            print(f"ratio {v} / semgrep = {ratio:.2f} wall  (target <= {TARGET_RATIO}: {verdict}); "
                  f"{cpus[v] / cpus['semgrep']:.2f} cpu (steadier on a loaded machine)")
    return medians


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--file", type=Path, default=REPO / "scanner" / "depfiles.py",
                        help="the one Python file the commit touches (default: scanner/depfiles.py, 413 lines)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"subset of {','.join(VARIANTS)}")
    parser.add_argument("--json", type=Path, help="save every sample here")
    parser.add_argument("--keep", action="store_true", help="keep the scratch repository")
    args = parser.parse_args(argv)
    variants = [v for v in args.variants.split(",") if v in VARIANTS]
    scratch = Path(tempfile.mkdtemp(prefix="secscan-bench-hook-"))
    try:
        repo, name = make_repo(scratch, args.file.resolve())
        semgrep = semgrep_bin()
        env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
               "PRE_COMMIT_HOME": str(scratch / "pre-commit-home"), "SECSCAN_SEMGREP_BIN": semgrep}
        argvs = commands(name, semgrep, str(BIN / "pre-commit"), str(BIN / "secscan"))
        print(f"bench/hook.py: {name} ({sum(1 for _ in args.file.open())} lines), semgrep {semgrep}, "
              f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}", file=sys.stderr)
        samples = run_rounds(argvs, variants, args.repeat, repo, env)
        medians = report(samples, variants, tool_breakdown(repo, name, env, scratch))
        print_import_times()
        if args.json:
            args.json.write_text(json.dumps({"samples": [asdict(s) for s in samples], "medians": medians}, indent=2))
    finally:
        if args.keep:
            print(f"scratch kept: {scratch}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
