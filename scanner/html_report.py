"""`--html FILE`: one self-contained HTML page, a pure function of the runs, the verdict, the review and the facts
the CLI gathered about the scan (`ReportFacts`). Everything is escaped and stripped of control characters.

The page loads nothing (a Content-Security-Policy forbids it); its one inline script, the findings filter, is
allowed by its SHA-256 hash, and without JavaScript the page reads the same, only without the filter. It shows only
what the SARIF shows (redacted messages, curl commands with credential placeholders), plus a few redacted source
lines around static findings (`secscan.snippets`).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import urlsplit

from secscan import __version__, wording
from secscan.models import Finding, Review, Rule, Severity, ToolRun
from secscan.policy import Policy, Verdict, counts
from secscan.report import coverage_summary, failing, is_new, printable
from secscan.snippets import NO_SOURCE, Snippet

_ORDER = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)
_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 12px}h2{font-size:18px;margin:28px 0 8px}h3{font-size:15px;margin:16px 0 6px;color:#57606a}
.verdict{border-radius:8px;padding:14px 18px;color:#fff}
.verdict.pass{background:#1a7f37}.verdict.fail{background:#cf222e}
.verdict.error{background:#9a6700}.verdict strong{font-size:20px}.verdict ul{margin:6px 0 0 18px;padding:0}
.notes{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:8px 14px;margin-top:10px}
table{border-collapse:collapse;background:#fff;width:100%;border:1px solid #d0d7de}
th,td{border-bottom:1px solid #d0d7de;padding:5px 8px;text-align:left;vertical-align:top}th{background:#f0f3f6}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}.bad{color:#cf222e;font-weight:600}
.finding{background:#fff;border:1px solid #d0d7de;border-left:5px solid #8c959f;border-radius:6px;
  padding:10px 14px;margin:8px 0}
.finding.critical{border-left-color:#8250df}.finding.high{border-left-color:#cf222e}
.finding.medium{border-left-color:#bf8700}.finding.low{border-left-color:#0969da}
.finding.suppressed{opacity:.65}.finding header{display:flex;gap:8px;flex-wrap:wrap;align-items:baseline}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;background:#eaeef2}
.badge.critical{background:#8250df;color:#fff}.badge.high{background:#cf222e;color:#fff}
.badge.medium{background:#bf8700;color:#fff}.badge.low{background:#0969da;color:#fff}
.badge.new{background:#ffebe9;color:#a40e26}.badge.unchanged{background:#eaeef2}
.badge.suppressed{background:#dafbe1;color:#116329}.badge.expired{background:#fff8c5;color:#7d4e00}
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:8px;white-space:pre-wrap;word-break:break-all}
.loc{font-family:ui-monospace,monospace;color:#57606a}.meta{color:#57606a;font-size:12px}
details{margin-top:6px}summary{cursor:pointer;color:#0969da}[hidden]{display:none!important}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;background:#fff;border:1px solid #d0d7de;
  border-radius:8px;padding:10px 14px;margin:0 0 12px}.facts dt{color:#57606a}.facts dd{margin:0}
.why{background:#fff;border:1px solid #d0d7de;border-radius:8px;margin:10px 0 0;padding:8px 14px 8px 40px;
  max-height:22em;overflow:auto}.why li{margin:2px 0}.why a{color:#1f2328;text-decoration:none}
.why a:hover .loc{text-decoration:underline}
.filters{display:flex;flex-wrap:wrap;gap:6px 18px;align-items:center;background:#fff;border:1px solid #d0d7de;
  border-radius:8px;padding:8px 14px;margin:16px 0 0;position:sticky;top:0;z-index:1}
.filters fieldset{border:0;margin:0;padding:0;display:flex;gap:10px}.filters legend{float:left;margin-right:6px}
details.group{background:#eaeef2;border-radius:6px;padding:4px 10px;margin:8px 0}
details.group>summary{font-weight:600}
pre.src{white-space:pre;word-break:normal;overflow-x:auto;margin:6px 0}pre.src .ln{color:#8c959f;
  user-select:none;display:inline-block;min-width:3.5em}pre.src mark{background:#fff8c5;display:block}
code.curl{display:block;background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:6px 8px;
  white-space:normal;overflow-x:auto}code.curl>span{white-space:pre}
ol.evidence{padding-left:22px}.tool{font-family:ui-monospace,monospace;font-size:12px;color:#57606a}
.rules dt{font-weight:600;margin-top:8px}.rules dd{margin:2px 0 0 0}
"""
# The findings filter: the page's one script, allowed by the CSP through its hash (no 'unsafe-inline').
_SCRIPT = """(function () {
  var form = document.getElementById("filters");
  if (!form) { return; }
  form.hidden = false;
  function visible(root) { return root.querySelector("article.finding:not([hidden])") !== null; }
  function apply() {
    var severities = {};
    form.querySelectorAll("input[name=severity]").forEach(function (box) { severities[box.value] = box.checked; });
    var tool = form.elements.tool.value, state = form.elements.state.value, shown = 0, total = 0;
    document.querySelectorAll("article.finding").forEach(function (card) {
      var ok = severities[card.dataset.severity] && (!tool || card.dataset.tool === tool) &&
        (!state || card.dataset.state === state);
      card.hidden = !ok; total += 1; if (ok) { shown += 1; }
    });
    document.querySelectorAll("details.group").forEach(function (group) {
      group.hidden = !visible(group);
      if (state && group.dataset.state === state) { group.open = true; }
    });
    document.querySelectorAll("section.severity").forEach(function (section) { section.hidden = !visible(section); });
    document.getElementById("shown").textContent = shown + " of " + total + " findings shown";
  }
  form.addEventListener("change", apply);
  apply();
})();"""
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode("utf-8")).digest()).decode("ascii")
CSP = (f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{_SCRIPT_HASH}'; base-uri 'none'; "
       "form-action 'none'")


@dataclass(frozen=True, slots=True)
class ReportFacts:
    """What the CLI knows about the scan besides its results (all optional: a report without them still works).

    `targets`: scanned paths as given; `sarif_inputs`: the files `gate` read; `base_url`/`openapi`: the API
    probed; `commit`/`branch`: git facts of `root`; `policy`: what counts (the "why this failed" list);
    `snippets`: redacted source lines by (path, line), from `secscan.snippets.read_snippets`."""

    generated: str = ""
    version: str = __version__
    root: str | None = None
    targets: tuple[str, ...] = ()
    sarif_inputs: tuple[str, ...] = ()
    base_url: str | None = None
    openapi: str | None = None
    commit: str | None = None
    branch: str | None = None
    policy: Policy | None = None
    snippets: Mapping[tuple[str, int], Snippet] = field(default_factory=dict)


def render(runs: Sequence[ToolRun], verdict: Verdict, review: Review | None = None,
           title: str = "secscan report", facts: ReportFacts | None = None) -> str:
    review = review or Review()
    facts = facts or ReportFacts()
    policy = facts.policy or Policy()
    findings = _ordered([f for r in runs for f in r.findings], policy)
    anchors = {id(f): f"f{n}" for n, f in enumerate(findings, 1)}
    body = [
        f"<h1>{_e(title)}</h1>", _facts(runs, facts), _verdict(verdict),
        "" if verdict.passed else _why(runs, policy, anchors),
        "<h2>Tools</h2>", _tools(runs), _filters(runs, findings), f"<h2>Findings ({len(findings)})</h2>",
        _findings(findings, policy, anchors, facts.snippets) or "<p>No findings.</p>",
        _review(review, runs), _rules(findings), f'<p class="meta">Generated by secscan {_e(facts.version)}.</p>',
    ]
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{_e(title)}</title><style>{_CSS}</style></head>\n<body><main>\n"
        + "\n".join(part for part in body if part) + f"\n</main><script>{_SCRIPT}</script></body></html>\n"
    )


def _e(value: object) -> str:
    """HTML-escaped text without terminal escape sequences or control characters."""
    return escape(printable(str(value)), quote=True)


def _facts(runs: Sequence[ToolRun], facts: ReportFacts) -> str:
    """The header: when, what, which commit, which secscan and tools."""
    git = " on branch ".join(_e(x) for x in (facts.commit, facts.branch) if x)
    rows = [
        ("Date", _e(facts.generated)),
        ("Scanned", _e(", ".join(facts.targets))),
        ("SARIF inputs", _e(", ".join(facts.sarif_inputs))),
        ("API", _e(_api(facts))),
        ("Root", _e(facts.root or "")),
        ("Git commit", git),
        ("secscan", _e(f"{facts.version}" + (f", fail_on {facts.policy.fail_on.label}" if facts.policy else ""))),
        ("Tools", _e(", ".join(f"{r.tool} {r.version}" if r.version else r.tool for r in runs))),
        *(("API coverage", _e(summary)) for r in runs if (summary := coverage_summary(r))),
    ]
    items = "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in rows if value)
    return f'<dl class="facts">{items}</dl>'


def _api(facts: ReportFacts) -> str:
    if not facts.openapi and not facts.base_url:
        return ""
    where = facts.base_url or wording.SPEC_SERVERS
    return f"{where} (spec {facts.openapi})" if facts.openapi else where


def _verdict(verdict: Verdict) -> str:
    kind = "pass" if verdict.passed else ("fail" if verdict.exit_code == 1 else "error")
    word = {"pass": "PASS", "fail": "FAIL", "error": "INCOMPLETE"}[kind]
    reasons = "".join(f"<li>{_e(r)}</li>" for r in verdict.reasons)
    notes = "".join(f"<li>{_e(n)}</li>" for n in verdict.notes)
    return (f'<section class="verdict {kind}" id="verdict"><strong>{word}</strong> (exit {verdict.exit_code})'
            f"<ul>{reasons}</ul></section>" + (f'<div class="notes"><ul>{notes}</ul></div>' if notes else ""))


def _why(runs: Sequence[ToolRun], policy: Policy, anchors: Mapping[int, str]) -> str:
    """Right under the banner: each finding that fails the policy, new ones first, linked to its card."""
    found = failing(runs, policy)
    if not found:
        return ""
    new = ' <span class="badge new">new</span>'
    items = "".join(
        f'<li><a href="#{anchors[id(f)]}"><span class="badge {f.severity.label}">{f.severity.label}</span> '
        f'<span class="loc">{_e(_where(f))}</span> <strong>{_e(f.rule.id)}</strong> {_e(f.rule.title)}'
        f'{new if is_new(f) else ""}</a></li>' for f in found)
    heading = wording.WHY_HEADING.format(count=wording.plural(len(found), "finding"), fail_on=policy.fail_on.label)
    return f'<section id="why"><h2>{_e(heading)}</h2><ol class="why">{items}</ol></section>'


def _where(f: Finding) -> str:
    return f"{f.location.path}:{f.location.start_line}" + (f" ({f.logical_location})" if f.logical_location else "")


def _tools(runs: Sequence[ToolRun]) -> str:
    numeric = {*(s.label for s in _ORDER), "suppressed", "time"}
    head = "".join(f'<th class="num">{h}</th>' if h in numeric else f"<th>{h}</th>"
                   for h in ("tool", "version", "status", *(s.label for s in _ORDER), "suppressed", "time", "messages"))
    rows = []
    for run in runs:
        counts = Counter(f.severity for f in run.findings if not f.suppressed)
        status = _e(run.status.value) if run.status.succeeded else f'<span class="bad">{_e(run.status.value)}</span>'
        messages = "<br>".join(f"{_e(n.level)}: {_e(n.message.splitlines()[0] if n.message else '')}"
                               for n in run.notifications if n.level in ("error", "warning"))
        cells = [_e(run.tool), _e(run.version or ""), status,
                 *(f'<td class="num">{counts.get(s, 0)}</td>' for s in _ORDER),
                 f'<td class="num">{sum(1 for f in run.findings if f.suppressed)}</td>',
                 f'<td class="num">{run.wall_seconds:.1f}s</td>', messages]
        rows.append("<tr>" + "".join(c if c.startswith("<td") else f"<td>{c}</td>" for c in cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _filters(runs: Sequence[ToolRun], findings: Sequence[Finding]) -> str:
    """The filter form; hidden until the script shows it, so a page without JavaScript shows no dead controls."""
    if not findings:
        return ""
    boxes = "".join(f'<label><input type="checkbox" name="severity" value="{s.label}" checked> {s.label}</label>'
                    for s in _ORDER)
    tools = "".join(f'<option value="{_e(t)}">{_e(t)}</option>' for t in dict.fromkeys(r.tool for r in runs))
    states = "".join(f'<option value="{value}">{_e(label)}</option>' for value, label in wording.FILTER_STATES)
    return (f'<form id="filters" class="filters" hidden><fieldset><legend>Severity</legend>{boxes}</fieldset>'
            f'<label>Tool <select name="tool"><option value="">all</option>{tools}</select></label>'
            f'<label>State <select name="state"><option value="">all</option>{states}</select></label>'
            '<output id="shown"></output></form>')


def _state(f: Finding) -> str:
    """The filter's state: suppressed, unchanged (baselined) or new (new, expired suppression, or no baseline)."""
    if f.suppressed:
        return "suppressed"
    return "unchanged" if f.baseline_state == "unchanged" else "new"


def _group(f: Finding, policy: Policy) -> str:
    """Where a card goes: open (everything that counts, new first), or a collapsed unchanged/suppressed group."""
    if f.suppressed:
        return "suppressed"
    return "unchanged" if f.baseline_state == "unchanged" and not counts(f, policy) else "open"


def _ordered(findings: Iterable[Finding], policy: Policy) -> list[Finding]:
    """Page order: severity, then open before collapsed groups, new first, then tool, path and line."""
    rank = {"open": 0, "unchanged": 1, "suppressed": 2}
    return sorted(findings, key=lambda f: (-f.severity, rank[_group(f, policy)], not is_new(f), f.tool,
                                           f.location.path, f.location.start_line, f.rule.id))


def _findings(findings: Sequence[Finding], policy: Policy, anchors: Mapping[int, str],
              snippets: Mapping[tuple[str, int], Snippet]) -> str:
    parts = []
    for severity in _ORDER:
        group = [f for f in findings if f.severity == severity]
        if not group:
            continue
        cards = {kind: [_finding(f, anchors[id(f)], snippets) for f in group if _group(f, policy) == kind]
                 for kind in ("open", "unchanged", "suppressed")}
        parts.append(f'<section class="severity" id="severity-{severity.label}">'
                     f"<h2>{severity.label.title()} ({len(group)})</h2>{''.join(cards['open'])}"
                     + _collapsed("unchanged", wording.UNCHANGED_GROUP, cards["unchanged"])
                     + _collapsed("suppressed", wording.SUPPRESSED_GROUP, cards["suppressed"]) + "</section>")
    return "\n".join(parts)


def _collapsed(state: str, label: str, cards: Sequence[str]) -> str:
    if not cards:
        return ""
    return (f'<details class="group" data-state="{state}"><summary>{len(cards)} {_e(label)}</summary>'
            f"{''.join(cards)}</details>")


def _states(f: Finding) -> list[tuple[str, str]]:
    """(css class, label) badges: the baseline state and the suppression state, each when there is one."""
    states = [(f.baseline_state, f.baseline_state)] if f.baseline_state else []
    if f.suppression is not None:
        states.append(("suppressed", "suppressed") if f.suppressed else ("expired", "expired suppression"))
    return states


def _finding(f: Finding, anchor: str, snippets: Mapping[tuple[str, int], Snippet]) -> str:
    css = f"finding {f.severity.label}" + (" suppressed" if f.suppressed else "")
    badges = "".join(f' <span class="badge {_e(css_class)}">{_e(label)}</span>' for css_class, label in _states(f))
    header = (f'<header><span class="badge {f.severity.label}">{_e(f.severity.label)}</span>'
              f'<strong>{_e(f.rule.id)}</strong> {_e(f.rule.title)} <span class="tool">{_e(f.tool)}</span>'
              f"{badges}</header>")
    data = (f'id="{anchor}" data-severity="{f.severity.label}" data-tool="{_e(f.tool)}" '
            f'data-state="{_state(f)}"')
    snippet = None if f.tool in NO_SOURCE else snippets.get((f.location.path, f.location.start_line))
    return (f'<article class="{css}" {data}>{header}<div class="loc">{_e(_where(f))}</div><p>{_e(f.message)}</p>'
            f"{_source(snippet) if snippet else ''}{_suppression(f)}{_help(f)}{_evidence(f)}"
            f'<div class="meta">{_e(_meta(f))}</div></article>')


def _source(snippet: Snippet) -> str:
    """The redacted source lines, the flagged one marked."""
    lines = []
    for n, text in enumerate(snippet.lines, snippet.start):
        line = f'<span class="ln">{n}</span>{_e(text)}'
        lines.append(f"<mark>{line}</mark>" if n == snippet.flagged else line + "\n")
    return f'<pre class="src">{"".join(lines)}</pre>'


def _suppression(f: Finding) -> str:
    s = f.suppression
    if s is None:
        return ""
    what = "Suppressed" if s.active else "Suppression expired"
    until = f", expires {s.expires}" if s.expires and s.active else (f" on {s.expires}" if s.expires else "")
    return f'<p class="meta">{what} ({_e(s.kind)}, {_e(s.source)}{_e(until)}): {_e(s.justification)}</p>'


def _help(f: Finding) -> str:
    """A link to the rule's entry in the rules section at the end (one copy per rule keeps the page small)."""
    if not (f.rule.help_text or f.rule.description or f.rule.help_uri):
        return ""
    return f'<p class="meta"><a href="#{_rule_anchor(f.tool, f.rule)}">Rule help</a></p>'


def _rule_anchor(tool: str, rule: Rule) -> str:
    digest = hashlib.sha256(f"{tool}\0{rule.id}".encode()).hexdigest()[:12]
    return f"rule-{re.sub(r'[^A-Za-z0-9_-]+', '-', rule.id)[:40]}-{digest}"


def _rules(findings: Sequence[Finding]) -> str:
    """Each rule once: title, help text and its http(s) reference."""
    seen: dict[str, tuple[str, Rule]] = {}
    for f in findings:
        seen.setdefault(_rule_anchor(f.tool, f.rule), (f.tool, f.rule))
    items = []
    for anchor, (tool, rule) in seen.items():
        uri = rule.help_uri or ""
        link = (f' <a href="{_e(uri)}" rel="noreferrer">{_e(uri)}</a>'
                if urlsplit(uri).scheme in ("http", "https") else "")
        items.append(f'<dt id="{anchor}">{_e(tool)} {_e(rule.id)}: {_e(rule.title)}</dt>'
                     f"<dd>{_e(rule.help_text or rule.description)}{link}</dd>")
    return f'<h2>Rules ({len(items)})</h2><dl class="rules">{"".join(items)}</dl>' if items else ""


def _evidence(f: Finding) -> str:
    steps: Any = f.properties.get("evidence")
    if not isinstance(steps, (list, tuple)) or not steps:
        return ""
    items = "".join(f"<li>{_e(step.get('step', ''))} → HTTP {_e(step.get('status'))}{curl_html(step.get('curl'))}</li>"
                    for step in steps if isinstance(step, dict))
    return (f"<details open><summary>{_e(wording.EVIDENCE)}</summary>"
            f'<ol class="evidence">{items}</ol>{_forge_hint(steps)}</details>')


_FORGED = re.compile(r"\$(SECSCAN_FORGED_[A-Z0-9_]+)")


def _forge_hint(steps: Sequence[Any]) -> str:
    """How to define the forged-token variables the curls use (`secscan forge`)."""
    names = dict.fromkeys(n for step in steps if isinstance(step, dict) for n in _FORGED.findall(str(step.get("curl"))))
    if not names:
        return ""
    commands = "".join(f"<br><code>{_e(wording.forge_command(name))}</code>" for name in names)
    return f'<p class="meta">{_e(wording.FORGE_HINT)}{commands}</p>'


def curl_html(command: object) -> str:
    """A curl command whose lines break only between arguments: each argument (quotes kept, so it copies back
    as the same command) is one unbreakable span."""
    if not isinstance(command, str) or not command:
        return ""
    args = "".join(f"<span>{_e(arg)}</span> " for arg in shell_words(command))
    return f'<code class="curl">{args.rstrip()}</code>'


_WORD = re.compile(r"""(?:[^\s'"\\]+|'[^']*'|"(?:[^"\\]|\\.)*"|\\.)+""", re.S)


def shell_words(command: str) -> list[str]:
    """`command` split at unquoted whitespace, each word as written (quotes and escapes kept)."""
    return _WORD.findall(command) or [command]


def _meta(f: Finding) -> str:
    parts = [f"tool {f.tool}"]
    if f.rule.cwe:
        parts.append(", ".join(f"CWE-{c}" for c in f.rule.cwe))
    if f.rule.owasp:
        parts.append(", ".join(f.rule.owasp))
    if "confidence" in f.properties:
        parts.append(f"confidence {f.properties['confidence']}")
    if f.fingerprint:
        parts.append(f"fingerprint {f.fingerprint}")
    return " · ".join(parts)


def _review(review: Review, runs: Sequence[ToolRun]) -> str:
    parts = []
    if review.baseline is not None:
        rows = "".join(f"<tr><td>{_e(e.tool)}</td><td>{_e(e.rule)}</td><td>{_e(e.path)}</td>"
                       f"<td>{_e(e.first_seen)}</td><td><code>{_e(e.fingerprint)}</code></td></tr>"
                       for e in review.absent)
        table = (f"<table><thead><tr><th>tool</th><th>rule</th><th>path</th><th>first seen</th><th>fingerprint</th>"
                 f"</tr></thead><tbody>{rows}</tbody></table>"
                 ) if rows else f"<p>{_e(wording.NO_ABSENT)}</p>"
        parts.append(f"<h2>Baseline {_e(review.baseline)}: absent entries ({len(review.absent)})</h2>{table}")
    for heading, lines in (("Expired suppressions", review.expired), ("Stale suppressions", review.stale),
                           ("Warnings", review.warnings)):
        if lines:
            items = "".join(f"<li>{_e(x)}</li>" for x in lines)
            parts.append(f"<h2>{heading} ({len(lines)})</h2><ul>{items}</ul>")
    failed = [r.tool for r in runs if not r.status.succeeded]
    if failed or review.baseline is not None or review.stale:
        judged = wording.judged_note([r.tool for r in runs if r.status.succeeded], failed)
        parts.append(f'<p class="meta" id="judged">{_e(judged)}</p>')
    return "\n".join(parts)
