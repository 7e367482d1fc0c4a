"""INTERFACE.md lists every registered probe with its OWASP category and module, and nothing else."""

from __future__ import annotations

import re

from secscan_probes.engine.registry import discover
from tests.conftest import REPO

ROW = re.compile(r"^\| `([a-z-]+)` \| (API\d+:2023) \| `probes/([a-z_]+)(/|\.py)` \|$")


def test_interface_md_lists_exactly_the_registered_probes_in_run_order():
    text = (REPO / "owasp_probes" / "INTERFACE.md").read_text(encoding="utf-8")
    rows = [m.groups() for line in text.splitlines() if (m := ROW.match(line))]
    assert rows, "no probe table in INTERFACE.md"
    registry = discover()
    documented = [(name, owasp, module) for name, owasp, module, _ in rows]
    order = sorted(registry.names(), key=lambda name: registry.get(name).runs_last)  # the engine's run order
    registered = [(name, registry.get(name).owasp, registry.get(name).module.split(".")[2]) for name in order]
    assert documented == registered
