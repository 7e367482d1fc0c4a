"""Shared test helpers: locate semgrep's separate venv, validate SARIF, check GitHub's ingestion rules."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

REPO = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((REPO / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
ADVISORIES = REPO / "fixtures" / "advisories"

# semgrep lives in its own venv (its pins clash with fastapi/click); make it findable for the CLI under test.
if not os.environ.get("SECSCAN_SEMGREP_BIN") and not shutil.which(
    "semgrep", path=os.pathsep.join([os.environ.get("PATH", ""), str(Path(sys.executable).parent)])
):
    candidate = REPO / ".venv-semgrep" / "bin" / "semgrep"
    if candidate.exists():
        os.environ["SECSCAN_SEMGREP_BIN"] = str(candidate)


def validate_sarif(doc: dict[str, Any]) -> None:
    """Schema-valid (OASIS 2.1.0 errata01, draft-04) and acceptable to GitHub code scanning."""
    errors = sorted(jsonschema.Draft4Validator(SCHEMA).iter_errors(doc), key=str)
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])
    categories = [run["automationDetails"]["id"] for run in doc["runs"]]
    assert len(categories) == len(set(categories)), f"duplicate run categories: {categories}"
    for run in doc["runs"]:
        rules = run["tool"]["driver"].get("rules", [])
        for rule in rules:
            score = float(rule["properties"]["security-severity"])
            assert 0.0 < score <= 10.0
            assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"] and rule["help"]["text"]
            assert "security" in rule["properties"]["tags"]
        for result in run.get("results", []):
            loc = result["locations"][0]["physicalLocation"]
            uri = loc["artifactLocation"]["uri"]
            assert "://" not in uri and not uri.startswith(("/", "../")), f"not repo-relative: {uri}"
            assert loc["region"]["startLine"] >= 1
            assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
            assert "primaryLocationLineHash" in result.get("partialFingerprints", {})
            assert "secscan/v1" in result.get("fingerprints", {})


@pytest.fixture
def sarif_validator():
    return validate_sarif
