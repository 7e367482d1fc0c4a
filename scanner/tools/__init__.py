"""Static tool adapters, registered in one literal dict (adding a tool = one module + one entry)."""

from __future__ import annotations

from scanner.tools.bandit import Bandit
from scanner.tools.base import Tool, ToolOptions
from scanner.tools.detect_secrets import DetectSecrets
from scanner.tools.pip_audit import PipAudit
from scanner.tools.semgrep import Semgrep

TOOLS: dict[str, Tool] = {
    "bandit": Bandit(),
    "semgrep": Semgrep(),
    "pip-audit": PipAudit(),
    "detect-secrets": DetectSecrets(),
}

__all__ = ["TOOLS", "Tool", "ToolOptions"]
