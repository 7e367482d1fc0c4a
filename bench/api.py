"""API-probe speed/memory benchmark: `secscan api` vs. schemathesis vs. OFFAT on one served tenant API (a report)."""

from __future__ import annotations

import argparse
import atexit
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = REPO / ".venv" / "bin"
SPEC = REPO / "fixtures" / "vuln_apps" / "tenant_api" / "openapi.json"
TENANTS_YAML = REPO / "fixtures" / "vuln_apps" / "tenant_api" / "tenants.example.yaml"
OFFAT_VENV = Path(tempfile.gettempdir()) / "secscan-bench-offat"
COUNT_PATH = "/__bench/count"  # served by the bench wrapper only; not in the spec, so no tool probes it
DRIVER_FLAG = "--secscan-driver"
TARGETS = {"speed_ratio": 2.0, "rss_mb": 300.0}
TOOL_NAMES = ("secscan", "secscan-warm", "schemathesis", "offat")
# Every tool starts in a fresh cwd with no hypothesis cache, as in a fresh CI checkout; secscan-warm reuses the
# `.hypothesis/` directory (unicode tables, constants) that the cold secscan run left behind.
SCRUBBED_ENV = ("HYPOTHESIS_STORAGE_DIRECTORY",)


# ---------------------------------------------------------------- the served app (imported by uvicorn)


class RequestCounter:
    """ASGI wrapper: counts every HTTP request (and the seconds they spend in the app, summed) and answers
    `GET /__bench/count[?reset=1]` itself."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.count = 0
        self.busy = 0.0  # sum of per-request durations: busy / (last - first) = mean requests in flight
        self.first: float | None = None
        self.last: float | None = None

    async def __call__(self, scope: dict, receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == COUNT_PATH:
            await self._report(scope, send)
            return
        self.count += 1
        began = time.time()
        self.first = self.first or began
        try:
            await self.app(scope, receive, send)
        finally:
            self.last = time.time()
            self.busy += self.last - began

    async def _report(self, scope: dict, send: Callable[..., Any]) -> None:
        body = json.dumps({"count": self.count, "busy": self.busy, "first": self.first, "last": self.last}).encode()
        if b"reset" in scope.get("query_string", b""):
            self.count, self.busy, self.first, self.last = 0, 0.0, None, None
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})


def counting_app() -> RequestCounter:
    """`uvicorn --factory bench.api:counting_app`: the tenant API (TENANT_API_FLAWS, default all), counted."""
    from secscan_demo.tenant_api.app import factory

    return RequestCounter(factory())


# ---------------------------------------------------------------- processes


@dataclass
class Sample:
    """One measured tool process (reaped with wait4: ru_maxrss is its peak RSS, CPU includes reaped children)."""

    wall: float
    cpu: float
    rss_mb: float
    rc: int
    tail: str = ""


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def reap(proc: subprocess.Popen, timeout: float) -> tuple[int, Any]:
    """wait4 the process (SIGKILL its group after `timeout` s) -> (exit code, rusage)."""
    timer = threading.Timer(timeout, _kill_group, args=(proc.pid,))
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage


# Forked from a bare `python -S` (not from this bench, whose RSS a child inherits as its ru_maxrss floor through
# fork/vfork + exec): runs argv, waits for it with wait4 and writes [wall, cpu, maxrss KB, exit code] to argv[1].
LAUNCHER = """
import json, os, sys, time
out, argv = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - start
with open(out, "w") as f:
    json.dump([wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, os.waitstatus_to_exitcode(status)], f)
"""


def measure(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], timeout: float) -> Sample:
    """Run argv through LAUNCHER with stdout/stderr in files under cwd; a kill after `timeout` gives rc -9."""
    stats = cwd / "rusage.json"
    with open(cwd / "stdout.txt", "wb") as out, open(cwd / "stderr.txt", "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-S", "-c", LAUNCHER, str(stats), *argv], cwd=cwd, env=dict(env),
                                stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True)
        rc, _ = reap(proc, timeout)
        wall = time.perf_counter() - start
    tail = (cwd / "stderr.txt").read_text(errors="replace").strip()[-400:]
    if not stats.exists():  # the launcher itself was killed (timeout)
        return Sample(wall=wall, cpu=0.0, rss_mb=0.0, rc=rc, tail=tail)
    wall, cpu, maxrss, rc = json.loads(stats.read_text(encoding="utf-8"))
    return Sample(wall=wall, cpu=cpu, rss_mb=maxrss / 1024, rc=rc, tail=tail)


def launcher_floor(work: Path) -> float:
    """Peak RSS (MB) measure() reports for /bin/true: the floor every RSS number carries."""
    cwd = work / "floor"
    cwd.mkdir()
    return measure(["true"], cwd=cwd, env=os.environ, timeout=30).rss_mb


@dataclass
class Server:
    base_url: str
    proc: subprocess.Popen
    cpu: float = 0.0  # server CPU seconds over its whole life, filled in when it stops

    def counter(self, reset: bool = False) -> dict:
        url = self.base_url + COUNT_PATH + ("?reset=1" if reset else "")
        with urllib.request.urlopen(url, timeout=10) as reply:  # 127.0.0.1 only
            return json.loads(reply.read())


@contextmanager
def served(python: str, flaws: str, log: Path) -> Iterator[Server]:
    """The counted tenant API in its own uvicorn process on a free 127.0.0.1 port; stopped (SIGINT) on exit."""
    from secscan_demo.serve import free_port, wait_listening

    port = free_port()
    argv = [python, "-m", "uvicorn", "--factory", "bench.api:counting_app", "--host", "127.0.0.1",
            "--port", str(port), "--log-level", "warning", "--no-access-log"]
    env = {**os.environ, "TENANT_API_FLAWS": flaws, "PYTHONPATH": str(REPO)}
    with open(log, "ab") as sink:
        proc = subprocess.Popen(argv, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=sink, stderr=sink,
                                start_new_session=True)
    server = Server(f"http://127.0.0.1:{port}", proc)
    try:
        wait_listening(port, timeout=30)
        yield server
    finally:
        proc.send_signal(signal.SIGINT)
        _, usage = reap(proc, 15)
        server.cpu = usage.ru_utime + usage.ru_stime


# ---------------------------------------------------------------- the tools


@dataclass
class ToolCmd:
    argv: list[str]
    env: dict[str, str]
    model: str  # how it runs its requests (for the report)


@dataclass
class Setup:
    args: argparse.Namespace
    work: Path
    offat: str | None
    offat_reason: str


def tool_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}


def token_env(tokens: Mapping[str, str]) -> dict[str, str]:
    return {f"{name.upper()}_TOKEN": value for name, value in tokens.items()}


def secscan_cmd(setup: Setup, base_url: str, tokens: Mapping[str, str], cwd: Path) -> ToolCmd:
    args = setup.args
    cli = ["api", "--openapi", str(SPEC), "--tokens", str(TENANTS_YAML), "--base-url", base_url,
           "--concurrency", str(args.concurrency), "--max-requests", str(args.max_requests),
           "-o", str(cwd / "secscan.sarif"), "--format", "json", "-q"]
    cli += ["--allow-destructive"] if args.allow_destructive else []
    if args.plain_secscan:
        argv = [str(VENV_BIN / "secscan"), *cli]
    else:
        argv = [args.python, str(Path(__file__).resolve()), DRIVER_FLAG, str(cwd / "stages.json"), *cli]
    env = {**tool_env(), **token_env(tokens)}
    return ToolCmd(argv, env, f"asyncio + httpx, --concurrency {args.concurrency} in flight, probes in sequence")


def schemathesis_cmd(setup: Setup, base_url: str, tokens: Mapping[str, str], cwd: Path) -> ToolCmd:
    args = setup.args
    (cwd / "empty.toml").write_text("", encoding="utf-8")
    argv = [str(VENV_BIN / "st"), "--config-file", str(cwd / "empty.toml"), "run", str(SPEC), "--url", base_url,
            "--workers", str(args.concurrency), "--max-examples", str(args.max_examples),
            "--generation-database", "none", "--seed", "42", "--no-color",
            "-H", f"Authorization: Bearer {tokens['alice']}"]
    model = f"{args.concurrency} worker threads (--workers), --max-examples {args.max_examples}, alice's token"
    return ToolCmd(argv, tool_env(), model)


def offat_cmd(setup: Setup, base_url: str, tokens: Mapping[str, str], cwd: Path) -> ToolCmd:
    argv = [str(setup.offat), "-f", str(SPEC), "--server", base_url, "-rl", str(setup.args.offat_rate),
            "-H", f"Authorization: Bearer {tokens['alice']}", "-o", str(cwd / "offat.json"), "-of", "json"]
    model = (f"asyncio.gather of each test's requests, no in-flight cap; aiolimiter -rl {setup.args.offat_rate}/s; "
             "a new aiohttp session per request; alice's token")
    return ToolCmd(argv, tool_env(), model)


BUILDERS: dict[str, Callable[[Setup, str, Mapping[str, str], Path], ToolCmd]] = {
    "secscan": secscan_cmd, "secscan-warm": secscan_cmd, "schemathesis": schemathesis_cmd, "offat": offat_cmd}


# ---------------------------------------------------------------- one tool, one fresh server


@dataclass
class Result:
    tool: str
    requests: int = 0  # counted by the server wrapper
    wall: float = 0.0
    rss_mb: float = 0.0
    cpu: float = 0.0
    rc: int | None = None
    active: float = 0.0  # first request received -> last response sent, server side
    in_flight: float = 0.0  # mean requests in the app at once over the active window, server side
    server_cpu: float = 0.0
    model: str = ""
    skipped: str = ""
    tail: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.requests / self.wall if self.wall else 0.0

    @property
    def active_rate(self) -> float:
        return self.requests / self.active if self.active else 0.0


def run_tool(setup: Setup, tool: str) -> Result:
    """Fresh server, log the tenants in, reset the counter, run the tool, read the counter back."""
    from secscan_demo.tenant_api.tokens import fetch_tokens

    cwd = setup.work / tool
    cwd.mkdir()
    warm = tool == "secscan-warm" and (setup.work / "secscan" / ".hypothesis").is_dir()
    if warm:
        shutil.copytree(setup.work / "secscan" / ".hypothesis", cwd / ".hypothesis")
    with served(setup.args.python, setup.args.flaws, setup.work / "server.log") as server:
        tokens = fetch_tokens(server.base_url)
        cmd = BUILDERS[tool](setup, server.base_url, tokens, cwd)
        server.counter(reset=True)
        sample = measure(cmd.argv, cwd=cwd, env=cmd.env, timeout=setup.args.tool_timeout)
        seen = server.counter()
    active = (seen["last"] - seen["first"]) if seen["first"] and seen["last"] else 0.0
    result = Result(tool, seen["count"], sample.wall, sample.rss_mb, sample.cpu, sample.rc, active,
                    seen["busy"] / active if active else 0.0, server.cpu, cmd.model,
                    tail=sample.tail if sample.rc not in (0, 1) else "")
    result.extra = EXTRAS.get(tool, lambda _cwd: {})(cwd)
    if tool == "secscan-warm" and not warm:
        result.model += " (NOT warm: no cold secscan run before it left a .hypothesis/ cache)"
    return result


def secscan_extra(cwd: Path) -> dict:
    """Notes (with their request counts) from the SARIF, and per-stage request counts from the driver."""
    extra: dict = {"notes": [], "stages": []}
    sarif = cwd / "secscan.sarif"
    if sarif.exists():
        invocation = json.loads(sarif.read_text(encoding="utf-8"))["runs"][0]["invocations"][0]
        extra["notes"] = [n["message"]["text"] for n in invocation.get("toolExecutionNotifications", [])]
        extra["findings"] = len(json.loads(sarif.read_text(encoding="utf-8"))["runs"][0].get("results", []))
    stages = cwd / "stages.json"
    if stages.exists():
        extra["stages"] = json.loads(stages.read_text(encoding="utf-8"))
    return extra


EXTRAS: dict[str, Callable[[Path], dict]] = {"secscan": secscan_extra, "secscan-warm": secscan_extra}


# ---------------------------------------------------------------- OFFAT


def find_offat(args: argparse.Namespace) -> tuple[str | None, str]:
    """(path to the offat executable or None, why not); installs it into a /tmp venv with --install-offat."""
    for candidate in (args.offat, os.environ.get("OFFAT_BIN"), str(OFFAT_VENV / "bin" / "offat"),
                      shutil.which("offat")):
        if candidate and Path(candidate).is_file():
            return candidate, ""
    if not args.install_offat:
        return None, f"not installed (pass --install-offat to pip install it into {OFFAT_VENV})"
    return install_offat(OFFAT_VENV)


def install_offat(venv: Path) -> tuple[str | None, str]:
    """A throwaway venv (OFFAT pins its own aiohttp/pydantic stack; it must not touch .venv)."""
    print(f"bench: installing offat into {venv} ...", file=sys.stderr)
    base = getattr(sys, "_base_executable", sys.executable)
    steps = ([base, "-m", "venv", str(venv)], [str(venv / "bin" / "pip"), "install", "-q", "offat"])
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0:
            return None, f"`{' '.join(step[-3:])}` failed: {(done.stderr or done.stdout).strip()[-300:]}"
    exe = venv / "bin" / "offat"
    return (str(exe), "") if exe.is_file() else (None, "pip install offat gave no `offat` executable")


# ---------------------------------------------------------------- report


def ratios(results: Mapping[str, Result]) -> dict[str, float | None]:
    sec, warm, st, off = (results.get(t) for t in TOOL_NAMES)

    def over(a: Result | None, b: Result | None, attr: str) -> float | None:
        ok = a and b and not a.skipped and not b.skipped and getattr(b, attr)
        return getattr(a, attr) / getattr(b, attr) if ok else None

    return {"secscan_over_offat": over(sec, off, "rate"),
            "secscan_over_offat_active": over(sec, off, "active_rate"),
            "secscan_over_schemathesis": over(sec, st, "rate"),
            "secscan_warm_over_offat": over(warm, off, "rate"),
            "secscan_rss_mb": sec.rss_mb if sec and not sec.skipped else None}


def fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "MISS")


def print_table(results: Sequence[Result]) -> None:
    print(f"{'tool':<13} {'requests':>8} {'wall s':>7} {'req/s':>7} {'active s':>8} {'active req/s':>12} "
          f"{'in flight':>9} {'peak RSS MB':>11} {'cpu s':>6} {'server cpu s':>12} {'rc':>3}")
    for r in results:
        if r.skipped:
            print(f"{r.tool:<13} skipped: {r.skipped}")
            continue
        print(f"{r.tool:<13} {r.requests:>8} {r.wall:>7.2f} {r.rate:>7.1f} {r.active:>8.2f} {r.active_rate:>12.1f} "
              f"{r.in_flight:>9.2f} {r.rss_mb:>11.1f} {r.cpu:>6.2f} {r.server_cpu:>12.2f} {r.rc:>3}")
    for r in (r for r in results if r.model):
        print(f"  {r.tool}: {r.model}")
        if r.tail:
            print(f"    [{r.tool} exited {r.rc}] {r.tail}")


def print_ratios(data: dict) -> None:
    q = data["ratios"]
    speed, rss = q["secscan_over_offat"], q["secscan_rss_mb"]
    print(f"\nsecscan req/s / OFFAT req/s        = {fmt(speed)} (target >= {TARGETS['speed_ratio']})  "
          f"{verdict(None if speed is None else speed >= TARGETS['speed_ratio'])}")
    print(f"  same, over the server-side active window = {fmt(q['secscan_over_offat_active'])} (info)")
    print(f"  same, secscan with a warm .hypothesis cache = {fmt(q['secscan_warm_over_offat'])} (info)")
    print(f"secscan req/s / schemathesis req/s = {fmt(q['secscan_over_schemathesis'])} (info)")
    print(f"secscan peak RSS                   = {fmt(rss)} MB (target <= {TARGETS['rss_mb']:.0f} MB)  "
          f"{verdict(None if rss is None else rss <= TARGETS['rss_mb'])}")


def stage_rows(stages: Sequence[dict]) -> list[tuple[str, int, float]]:
    """Driver log [{stage, at, t}] -> [(stage, requests, seconds)] between consecutive stage changes."""
    return [(a["stage"], b["at"] - a["at"], b["t"] - a["t"]) for a, b in itertools.pairwise(stages)]


def print_secscan_detail(results: Sequence[Result]) -> None:
    runs = [r for r in results if r.tool.startswith("secscan") and not r.skipped and r.extra.get("stages")]
    if not runs:
        return
    print("\nsecscan requests per stage (client side, from the engine's progress stages):")
    print(f"  {'stage':<26}" + "".join(f" {r.tool + ' requests':>22} {'s':>6} {'req/s':>6}" for r in runs))
    tables = [stage_rows(r.extra["stages"]) for r in runs]
    for i, (stage, *_rest) in enumerate(tables[0]):
        cells = [t[i] if i < len(t) else (stage, 0, 0.0) for t in tables]
        print(f"  {stage:<26}" + "".join(f" {n:>22} {sec:>6.2f} {n / sec if sec > 0 else 0:>6.1f}"
                                          for _stage, n, sec in cells))
    for r in runs:
        own = r.extra["stages"][-1]["at"]
        print(f"  {r.tool}: {own} requests by its own count, {r.requests} seen by the server")
    notes = [n for n in runs[0].extra.get("notes", []) if " requests" in n and n[:1].isalpha()]
    if notes:
        print(f"{runs[0].tool}'s own request notes (SARIF toolExecutionNotifications):")
        for note in notes:
            print(f"  {note[:150]}")


def print_report(data: dict) -> None:
    results = [Result(**r) for r in data["results"]]
    print(f"\nspec: {SPEC.relative_to(REPO)}; server: uvicorn, 1 process, TENANT_API_FLAWS={data['args']['flaws']}, "
          f"restarted per tool; requests counted server-side")
    print(f"machine: load before {data['load_before']}, after {data['load_after']}, {os.cpu_count()} cores; "
          f"RSS floor of the measuring launcher (/bin/true): {data['rss_floor_mb']:.1f} MB\n")
    print_table(results)
    print_ratios(data)
    print_secscan_detail(results)


# ---------------------------------------------------------------- secscan driver (the measured secscan process)


def drive_secscan(stages_path: Path, cli_args: list[str]) -> None:
    """`secscan <cli_args>` in this process, logging (stage, requests so far, time) at each engine stage."""
    sys.path[:] = [str(REPO)] + [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
    from secscan import cli_progress
    from secscan.cli import main as secscan_main

    log: list[dict] = []
    base = cli_progress.RunProgress

    class StageLog(base):  # type: ignore[misc, valid-type]
        def __init__(self, enabled: bool) -> None:
            super().__init__(enabled)
            self.seen = 0
            log.append({"stage": "preflight", "at": 0, "t": time.monotonic()})

        def stage(self, text: str) -> None:
            log.append({"stage": text, "at": self.seen, "t": time.monotonic()})
            super().stage(text)

        def tick(self, count: int) -> None:
            self.seen = count
            super().tick(count)

        def close(self) -> None:
            log.append({"stage": "end", "at": self.seen, "t": time.monotonic()})
            super().close()

    cli_progress.RunProgress = StageLog  # type: ignore[misc]  # the CLI's observer creates it by this name
    atexit.register(lambda: stages_path.write_text(json.dumps(log), encoding="utf-8"))
    if os.environ.get("BENCH_CPROFILE"):
        import cProfile

        profiler = cProfile.Profile()
        atexit.register(lambda: profiler.dump_stats(os.environ["BENCH_CPROFILE"]))
        profiler.enable()
    secscan_main(cli_args)


# ---------------------------------------------------------------- main


def profile_secscan(setup: Setup, out: Path, top: int = 25) -> None:
    """One extra, unmeasured cold secscan run under cProfile (wall and CPU are inflated): the hot spots."""
    import pstats

    from secscan_demo.tenant_api.tokens import fetch_tokens

    cwd = setup.work / "profile"
    cwd.mkdir()
    with served(setup.args.python, setup.args.flaws, setup.work / "server.log") as server:
        cmd = secscan_cmd(setup, server.base_url, fetch_tokens(server.base_url), cwd)
        env = {**cmd.env, "BENCH_CPROFILE": str(out.resolve())}
        measure(cmd.argv, cwd=cwd, env=env, timeout=setup.args.tool_timeout)
    if not out.exists():
        print(f"\nprofile: no output in {out}")
        return
    print(f"\nsecscan under cProfile (cold cache; top {top} by cumulative time; raw stats: {out}):")
    pstats.Stats(str(out), stream=sys.stdout).sort_stats("cumulative").print_stats(top)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tools", default=",".join(TOOL_NAMES), help="comma list, run in this order, of "
                    + ", ".join(TOOL_NAMES) + " (secscan-warm reuses the .hypothesis/ cache secscan left behind)")
    ap.add_argument("--concurrency", type=int, default=8, help="secscan --concurrency = schemathesis --workers")
    ap.add_argument("--max-examples", type=int, default=20, help="schemathesis --max-examples")
    ap.add_argument("--max-requests", type=int, default=2000, help="secscan --max-requests (its default)")
    ap.add_argument("--allow-destructive", action="store_true", help="pass --allow-destructive to secscan")
    ap.add_argument("--offat", help="offat executable (default: $OFFAT_BIN, the bench venv, PATH)")
    ap.add_argument("--install-offat", action="store_true", help=f"pip install offat into {OFFAT_VENV} if missing")
    ap.add_argument("--offat-rate", type=int, default=100000, help="OFFAT -rl (req/s): high so it is no bottleneck")
    ap.add_argument("--flaws", default="all", help="TENANT_API_FLAWS for the served app")
    ap.add_argument("--plain-secscan", action="store_true",
                    help="run the .venv/bin/secscan entry point itself (no per-stage breakdown)")
    ap.add_argument("--python", default=str(VENV_BIN / "python"), help="interpreter for uvicorn and the driver")
    ap.add_argument("--tool-timeout", type=float, default=240.0, help="kill a tool after this many seconds")
    ap.add_argument("--json", type=Path, metavar="FILE", help="also save the raw numbers here")
    ap.add_argument("--profile-secscan", type=Path, metavar="FILE",
                    help="afterwards, one extra cold secscan run under cProfile: save stats here, print hot spots")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory (outputs, server log)")
    args = ap.parse_args(argv)
    args.tool_list = [t.strip() for t in args.tools.split(",") if t.strip()]
    if set(args.tool_list) - set(TOOL_NAMES) or args.concurrency < 1:
        ap.error(f"--tools must be a subset of {','.join(TOOL_NAMES)}; --concurrency >= 1")
    return args


def run(args: argparse.Namespace, work: Path) -> dict:
    offat, reason = find_offat(args) if "offat" in args.tool_list else (None, "")
    setup = Setup(args, work, offat, reason)
    data: dict = {"args": {k: v for k, v in vars(args).items() if k != "tool_list"},
                  "load_before": _load(), "rss_floor_mb": launcher_floor(work), "results": []}
    results: dict[str, Result] = {}
    for tool in args.tool_list:
        if tool == "offat" and not offat:
            results[tool] = Result(tool, skipped=reason)
            continue
        print(f"bench: running {tool} ...", file=sys.stderr)
        results[tool] = run_tool(setup, tool)
        r = results[tool]
        print(f"bench:   {r.requests} requests in {r.wall:.1f} s, peak RSS {r.rss_mb:.0f} MB, rc {r.rc}",
              file=sys.stderr)
    data["results"] = [asdict(r) for r in results.values()]
    data["ratios"] = ratios(results)
    data["load_after"] = _load()
    return data


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main(argv: Sequence[str] | None = None) -> int:
    """Always exits 0: the output is a report, not a gate."""
    args = parse_args(argv)
    sys.path.insert(0, str(REPO))
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="secscan-bench-api-"))
    try:
        data = run(args, work)
        print_report(data)
        if args.profile_secscan:
            profile_secscan(Setup(args, work, None, ""), args.profile_secscan)
        kept = f"; scratch kept in {work}" if args.keep else ""
        print(f"\nbench took {time.perf_counter() - started:.0f} s{kept}")
        if args.json:
            args.json.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
            print(f"raw numbers: {args.json}")
    except Exception as exc:  # noqa: BLE001 - a report, never a gate
        print(f"bench failed: {type(exc).__name__}: {exc}", file=sys.stderr)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == DRIVER_FLAG:
        drive_secscan(Path(sys.argv[2]), sys.argv[3:])
    else:
        sys.exit(main())
