"""Which documented operations secscan may call: the user's --include/--exclude filters, deprecated operations, and
a classifier for operations that would damage the target or end a session (logout, reset, drop everything...).

Discovery, the preflight, baselines and health checks never call an unsafe operation; a probe calls one only when
the probe is about that very operation (the logout check, with a throwaway session). `--allow-unsafe PATTERN`
opts an operation back in.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote

from secscan_probes.engine.spec import Operation

EVERYTHING = "deletes or clears everything"
MESSAGES = "sends e-mail, SMS, push or other messages to people"
# The account flows the rate-limit probe bursts with made-up addresses (a reset link, a verification code).
ACCOUNT_FLOW = re.compile(r"\b(password|reset|forgot|verif\w*|otp|code|login|sign ?in|confirm\w*)\b")
# (reason, pattern over "path operationId summary description", lower-cased, separators as spaces)
UNSAFE: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("logs out or revokes a session", re.compile(
        r"\b(log ?out|sign ?out|logoff|revoke|invalidate (the |a |all )?(session|token)s?|end session)\b")),
    ("resets, initialises, seeds or re-creates a database", re.compile(
        r"\b(re ?create|re ?initiali[sz]e|re ?init|initiali[sz]e|init|seed|populate|reset|setup|install|"
        r"create ?db|migrate)\b.{0,40}\b(db|database|data ?base|tables?|schema|(demo|dummy|test|sample|seed|"
        r"initial|all) data|fixtures?|everything|all)\b|\b(createdb|initdb|resetdb|dropdb|seeddb|reset ?db|"
        r"db ?reset|factory ?reset)\b")),
    ("deletes, purges, wipes, drops, truncates or clears everything", re.compile(
        r"\b(purge|wipe|drop|truncate|flush|nuke|destroy)\b")),
    (EVERYTHING, re.compile(r"\b(delete|remove|clear|erase)\b.{0,20}\b(all|everything|every|database|db|tables?)\b")),
    ("runs a batch of other requests (any method on any path, beyond what secscan can govern)", re.compile(
        r"\b(batch|bulk|multiple) (of )?(requests|operations|calls)\b|\b(execute|run|send)s? (a )?batch\b")),
    (MESSAGES, re.compile(
        r"\b(send|resend|broadcast|notify|dispatch)s?\b.{0,30}\b(e ?mails?|mail|sms|texts?|messages?|notifications?|"
        r"newsletters?|invit(e|es|ation|ations)|push)\b|\b(e ?mails?|mail|sms|messages?|notifications?|newsletters?|"
        r"invit(e|es|ation|ations)|push)\b.{0,30}\b(send|resend|broadcast|dispatch)\b")),
    ("shuts down or restarts the service", re.compile(
        r"\b(shut ?down|restart|reboot|halt|terminate (the )?(server|service|process)|kill (the )?(server|"
        r"service))\b")),
)
BARE_ACTIONS = {"setup", "init", "initialize", "initialise", "seed", "reset", "reinit", "recreate", "createdb",
                "initdb", "resetdb", "install", "shutdown", "restart", "logout", "signout", "purge", "wipe",
                "batch", "$batch"}


@dataclass(frozen=True, slots=True)
class Skipped:
    operation: Operation
    reason: str

    @property
    def note(self) -> str:
        return f"{self.operation.label}: {self.reason}"


def words(op: Operation) -> str:
    """The operation's path (percent-decoded: /%72eset is /reset), operationId, summary and description as
    lower-case words."""
    text = " ".join((unquote(op.path), op.operation_id or "", op.summary, op.description))
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    return " ".join(re.split(r"[^a-z0-9]+", text.lower()))


def unsafe_reason(op: Operation) -> str | None:
    """Why calling `op` could damage the target or end a session, or None."""
    text = words(op)
    for reason, pattern in UNSAFE:
        if not pattern.search(text) or (reason == EVERYTHING and op.path.rstrip("/").endswith("}")):
            continue
        if reason == MESSAGES and ACCOUNT_FLOW.search(text):
            continue
        return reason  # ("delete a user and all their posts" on /users/{id} removes one object)
    segments = [s.lower().replace("-", "").replace("_", "") for s in unquote(op.path).strip("/").split("/")]
    last = segments[-1] if segments else ""
    if last == "reset" and any("password" in s or s in ("pw", "pwd", "pass") for s in segments[:-1]):
        return None  # /password/reset asks for a reset mail: the account keeps working
    if last in BARE_ACTIONS:
        return f"its path ends in '{last}'"
    if op.method == "DELETE" and "{" not in op.path:
        return "a DELETE on a collection (no object id) removes everything in it"
    return None


def path_problem(path: str) -> str | None:
    """Why a documented path cannot be sent below the base URL (it names another host, or climbs out), or None."""
    decoded = unquote(path)
    if not path.startswith("/") or path.startswith("//") or "://" in decoded or "\\" in decoded:
        return "its path is not a path below the base URL"
    if any(part in (".", "..") for part in decoded.split("/")):
        return "its path climbs out of the base URL (. or .. segments)"
    return None


def matches(op: Operation, pattern: str) -> bool:
    """`METHOD /path/glob`, `/path/glob` (any method), `operationId` or `tag:NAME`."""
    pattern = pattern.strip()
    if pattern.startswith("tag:"):
        return pattern[4:] in op.tags
    method, _, path = pattern.partition(" ")
    if path and method.upper() in ("GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "*"):
        return method.upper() in ("*", op.method) and fnmatch.fnmatchcase(op.path, path.strip())
    if pattern.startswith("/"):
        return fnmatch.fnmatchcase(op.path, pattern)
    return op.operation_id == pattern


def select(operations: Sequence[Operation], include: Sequence[str], exclude: Sequence[str],
           exclude_deprecated: bool, allow_unsafe: Sequence[str]) -> tuple[list[Operation], list[Skipped],
                                                                       list[Skipped]]:
    """(operations secscan may call, operations left out by the user, unsafe operations held back)."""
    allowed: list[Operation] = []
    filtered: list[Skipped] = []
    unsafe: list[Skipped] = []
    for op in operations:
        if problem := path_problem(op.path):
            filtered.append(Skipped(op, problem))
        elif include and not any(matches(op, p) for p in include):
            filtered.append(Skipped(op, "not matched by --include"))
        elif hit := next((p for p in exclude if matches(op, p)), None):
            filtered.append(Skipped(op, f"excluded by {hit!r}"))
        elif exclude_deprecated and op.deprecated:
            filtered.append(Skipped(op, "deprecated (--exclude-deprecated)"))
        elif (reason := unsafe_reason(op)) and not any(matches(op, p) for p in allow_unsafe):
            unsafe.append(Skipped(op, f"unsafe: {reason} (--allow-unsafe '{op.label}' to call it)"))
        else:
            allowed.append(op)
    return allowed, filtered, unsafe
