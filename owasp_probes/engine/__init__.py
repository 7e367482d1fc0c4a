"""The probe engine: spec, tenants, HTTP client, discovery, preflight, registry and the run itself."""

from secscan_probes.engine.scan import ApiScanSettings, run_api_scan, scan_root, select_probes

__all__ = ["ApiScanSettings", "run_api_scan", "scan_root", "select_probes"]
