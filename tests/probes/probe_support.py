"""Helpers for probe tests: serve an ASGI app with real uvicorn on loopback; the tenant API wrapper `Served`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from fastapi import FastAPI

from secscan.config import ApiSettings
from secscan.models import ToolRun
from secscan_demo.serve import free_port, serve, wait_listening  # noqa: F401 - re-exported for probe tests
from secscan_demo.tenant_api.app import issue_token, reset_state
from secscan_probes.engine import run_api_scan


def api_settings(**options: Any) -> ApiSettings:
    """ApiSettings from test-friendly values: paths and tuples are accepted (the config model is strict)."""
    options.pop("quiet", None)
    converted = {k: str(v) if isinstance(v, Path) else list(v) if isinstance(v, tuple) else v
                 for k, v in options.items()}
    return ApiSettings(**converted)


REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "fixtures" / "vuln_apps" / "tenant_api" / "openapi.json"
USERS = ("alice", "bob", "admin", "carol")
ROLES = {"admin": "admin"}


@dataclass
class Served:
    """A running tenant API: the app object (for tokens and reset_state) and its base URL."""

    app: FastAPI
    base_url: str

    def token(self, user: str) -> str:
        return issue_token(self.app, user)

    def tenants_yaml(self, directory: Path, users: tuple[str, ...] = USERS, **extra: dict[str, Any]) -> Path:
        """A tenants.yaml with inline bearer tokens (admin gets role admin); `extra` merges per-tenant keys."""
        reset_state(self.app)  # tokens are issued by user name, which a mass-assignment run may have changed
        tenants = {u: {"headers": {"Authorization": f"Bearer {self.token(u)}"}, "role": ROLES.get(u, "user"),
                       **extra.get(u, {})} for u in users}
        path = directory / "tenants.yaml"
        path.write_text(yaml.safe_dump({"tenants": tenants}), encoding="utf-8")
        return path

    def scan(self, tokens: Path, **settings: Any) -> ToolRun:
        """reset_state, then a full run_api_scan against this server (quiet)."""
        reset_state(self.app)
        options = {"openapi": str(SPEC), "tokens": tokens, "base_url": self.base_url, "quiet": True, **settings}
        return run_api_scan(api_settings(**options))
