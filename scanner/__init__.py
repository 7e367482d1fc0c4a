"""secscan: security test scanner orchestrator (static scanners + OWASP API probes, one SARIF)."""

import logging

__version__ = "0.1.0"

# The engine logs its notes (`secscan.api`) and the CLI prints them from the run's notifications: without a
# handler, logging's last resort would print each warning a second time, raw, in the middle of the output.
logging.getLogger("secscan").addHandler(logging.NullHandler())
