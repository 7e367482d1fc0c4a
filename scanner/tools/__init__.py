"""Static tool adapters, registered in one literal dict (adding a tool = one module + one entry)."""

from __future__ import annotations

from secscan.tools.bandit import Bandit
from secscan.tools.base import Tool, ToolOptions
from secscan.tools.detect_secrets import DetectSecrets
from secscan.tools.pip_audit import PipAudit
from secscan.tools.semgrep import Semgrep

TOOLS: dict[str, Tool] = {
    "bandit": Bandit(),
    "semgrep": Semgrep(),
    "pip-audit": PipAudit(),
    "detect-secrets": DetectSecrets(),
}

__all__ = ["TOOLS", "Tool", "ToolOptions"]
