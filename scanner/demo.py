"""`secscan demo`: the bundled example end to end (static scan, then the API probes against the app on loopback)."""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from secscan.cli_common import emit, stderr, summarise, warn
from secscan.errors import EXIT_OK, EXIT_SCAN_ERROR, UsageError
from secscan.fingerprints import annotate
from secscan.models import ToolRun
from secscan.policy import decide
from secscan.tools import ToolOptions

REPO = Path(__file__).resolve().parents[1]
TENANTS = ("alice", "bob", "admin", "carol")  # carol owns 60 books: enough to see unbounded page sizes
StaticScan = Callable[[list[Path], ToolOptions], tuple[list[ToolRun], Path]]


@dataclasses.dataclass(frozen=True, slots=True)
class DemoPaths:
    static_app: Path
    advisories: Path
    api_dir: Path


def demo_paths(repo: Path = REPO) -> DemoPaths:
    paths = DemoPaths(
        static_app=repo / "fixtures" / "vuln_apps" / "static_vuln",
        advisories=repo / "fixtures" / "advisories",
        api_dir=repo / "fixtures" / "vuln_apps" / "tenant_api",
    )
    if not paths.static_app.is_dir() or not paths.advisories.is_dir():
        raise UsageError(f"the demo needs a source checkout of secscan (no fixtures under {repo})")
    return paths


def run_demo(output: str, static_scan: StaticScan) -> int:
    """Static + API runs into one SARIF; 0 when every tool ran (findings are expected), 3 otherwise."""
    paths = demo_paths()
    runs, root = static_scan([paths.static_app], ToolOptions(advisory_db=paths.advisories))
    runs.append(_api_run(paths, root))
    verdict = decide(runs)
    emit(runs, verdict, output, "sarif", root)
    warn(runs)
    summarise(runs, verdict)
    stderr.print(f"SARIF written to {output}; the demo apps are vulnerable on purpose, so FAIL is the expected verdict.")
    return EXIT_SCAN_ERROR if verdict.exit_code == EXIT_SCAN_ERROR else EXIT_OK


def _api_run(paths: DemoPaths, root: Path) -> ToolRun:
    try:
        from secscan_demo.serve import serve
        from secscan_demo.tenant_api.app import create_app, issue_token
        from secscan_probes.engine import ApiScanSettings, run_api_scan
    except ImportError as exc:
        raise UsageError(f"the API demo needs the demo extra (pip install -e '.[demo]'): {exc}") from exc
    app = create_app()
    with serve(app) as base_url, tempfile.TemporaryDirectory(prefix="secscan-demo-") as tmp:
        stderr.print(f"secscan: started the vulnerable tenant API on {base_url}; probing it as {', '.join(TENANTS)}")
        tokens = _tenants_file(Path(tmp), {name: issue_token(app, name) for name in TENANTS})
        settings = ApiScanSettings(openapi=str(paths.api_dir / "openapi.json"), tokens=tokens, base_url=base_url,
                                   allow_destructive=True, root=root)
        run = run_api_scan(settings)
    return dataclasses.replace(run, findings=tuple(annotate(run.findings, root)))


def _tenants_file(directory: Path, tokens: dict[str, str]) -> Path:
    """tenants.yaml in the documented shape; tokens come from the environment (${VAR}), as users should do."""
    lines = ["tenants:"]
    for name, token in tokens.items():
        variable = f"SECSCAN_DEMO_{name.upper()}_TOKEN"
        os.environ[variable] = token
        lines += [f"  {name}:", f'    headers: {{Authorization: "Bearer ${{{variable}}}"}}',
                  f"    role: {'admin' if name == 'admin' else 'user'}"]
    path = directory / "tenants.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path
