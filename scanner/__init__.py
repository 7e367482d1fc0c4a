"""secscan: security test scanner orchestrator (static scanners + OWASP API probes, one SARIF)."""

__version__ = "0.1.0"
