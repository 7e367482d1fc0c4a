"""The probe engine: spec, tenants, HTTP client, discovery, preflight, registry and the run itself."""

from secscan_probes.engine.scan import Progress, run_api_scan, select_probes

__all__ = ["Progress", "run_api_scan", "select_probes"]
