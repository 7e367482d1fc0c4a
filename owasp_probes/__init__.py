"""OWASP-style active probes used by secscan."""
