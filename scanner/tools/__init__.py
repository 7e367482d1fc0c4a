"""Static tool adapters, registered in one literal dict: adding a tool is one module plus one entry here."""

from __future__ import annotations

from secscan.tools.bandit import Bandit
from secscan.tools.base import Stage, Tool, ToolContext
from secscan.tools.detect_secrets import DetectSecrets
from secscan.tools.pip_audit import PipAudit
from secscan.tools.semgrep import Semgrep

TOOLS: dict[str, Tool] = {
    "bandit": Bandit(),
    "semgrep": Semgrep(),
    "pip-audit": PipAudit(),
    "detect-secrets": DetectSecrets(),
}


def of_stage(stage: Stage) -> tuple[str, ...]:
    """The registered tools of a pre-commit hook stage, in registry order."""
    return tuple(name for name, tool in TOOLS.items() if tool.stage == stage)


__all__ = ["TOOLS", "Stage", "Tool", "ToolContext", "of_stage"]
