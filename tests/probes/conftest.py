"""Fixtures for probe tests: the tenant API (vulnerable and fixed twin) served by real uvicorn on loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from secscan.models import ToolRun
from secscan_demo.tenant_api.app import create_app
from tests.probes.probe_support import Served, serve

AUTHZ_PROBES = ("bola", "mass-assignment", "excessive-data")


@pytest.fixture(scope="session")
def vulnerable() -> Iterator[Served]:
    app = create_app()
    with serve(app) as url:
        yield Served(app, url)


@pytest.fixture(scope="session")
def fixed() -> Iterator[Served]:
    app = create_app(set())
    with serve(app) as url:
        yield Served(app, url)


@pytest.fixture
def ops_of() -> Callable[[ToolRun], set[tuple[str, str]]]:
    """(rule id, "METHOD /path") of every finding in a run."""
    return lambda run: {(f.rule.id, f.logical_location or "") for f in run.findings}


@pytest.fixture(scope="session")
def vulnerable_run(vulnerable: Served, tmp_path_factory: pytest.TempPathFactory) -> ToolRun:
    """One run of the authorization probes (destructive allowed) against the vulnerable app, shared by tests."""
    return vulnerable.scan(vulnerable.tenants_yaml(tmp_path_factory.mktemp("vuln")), probes=AUTHZ_PROBES,
                           allow_destructive=True)


@pytest.fixture(scope="session")
def fixed_run(fixed: Served, tmp_path_factory: pytest.TempPathFactory) -> ToolRun:
    """The same run against the fixed twin."""
    return fixed.scan(fixed.tenants_yaml(tmp_path_factory.mktemp("fixed")), probes=AUTHZ_PROBES,
                      allow_destructive=True)
