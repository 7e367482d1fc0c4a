"""Where the bundled example lives (a source checkout's fixtures/), for `secscan demo`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scanner.errors import UsageError

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True, slots=True)
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
