"""Named exit codes and the SecscanError tree; cli.py turns these into one-line messages."""

from __future__ import annotations

from secscan.models import Status

EXIT_OK = 0  # no finding at or above the failing severity
EXIT_POLICY_FAILED = 1  # findings at or above the failing severity
EXIT_USAGE = 2  # bad command line, config or input file
EXIT_SCAN_ERROR = 3  # a scanner could not run (missing, crashed, timed out, unparseable output)

EXIT_CODES_HELP = (
    "Exit codes: 0 = no finding at or above --fail-on; 1 = findings at or above --fail-on; "
    "2 = usage or configuration error; 3 = a scanner could not run (missing, crashed, timed out, "
    "unparseable output); 3 wins over 1 because an incomplete scan cannot be trusted."
)


class SecscanError(Exception):
    """An expected failure with a one-line message and an exit code."""

    exit_code = EXIT_USAGE


class UsageError(SecscanError):
    """Bad arguments or input files."""


class ConfigError(SecscanError):
    """Invalid configuration."""


class ToolError(SecscanError):
    """A tool could not run or produced output secscan cannot trust."""

    exit_code = EXIT_SCAN_ERROR
    status = Status.FAILED


class ToolMissing(ToolError):
    """The tool's executable is not installed or not on PATH."""

    status = Status.MISSING


class ToolOutputError(ToolError):
    """The tool's output did not parse."""


class TargetUnreachable(SecscanError):
    """The API under test could not be reached."""
