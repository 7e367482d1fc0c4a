"""semgrep also gets templates (.html, .htm, .jinja, .jinja2, .j2) for the rule pack's template rules; without such
rules they cost nothing and never fail the run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from secscan import pipeline
from secscan.models import Status
from secscan.targets import collect
from secscan.tools.semgrep import Semgrep, rules_dir

TEMPLATE = """<html><body>
{% autoescape false %}<p>{{ comment }}</p>{% endautoescape %}
<p>{{ user.bio|safe }}</p>
<p>{{ "&nbsp;"|safe }}</p>
</body></html>
"""


def test_semgrep_takes_python_files_and_templates_only(tmp_path: Path):
    for name in ("app.py", "types.pyi", "t/page.html", "t/old.htm", "t/a.jinja", "t/b.jinja2", "t/c.j2", "t/D.HTML",
                 "static/site.css", "notes.txt", "t/mail.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x\n")
    targets = collect([tmp_path], root=tmp_path)
    chosen = sorted(targets.relative(f) for f in Semgrep().files(targets))
    assert chosen == ["app.py", "t/D.HTML", "t/a.jinja", "t/b.jinja2", "t/c.j2", "t/old.htm", "t/page.html",
                      "types.pyi"]


def _template_rules() -> list[str]:
    """Rule ids in the pack that can match a template (regex/generic languages or an html path)."""
    ids = []
    for path in rules_dir().glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"languages:\s*\[?\s*-?\s*(regex|generic|html)", text):
            ids += re.findall(r"(?m)^\s*-\s*id:\s*([\w.-]+)", text)
    return ids


@pytest.mark.slow
def test_templates_are_scanned_without_errors(tmp_path: Path):
    root = tmp_path / "repo"
    (root / "templates").mkdir(parents=True)
    (root / "app.py").write_text("from flask import render_template\n\n\ndef page():\n"
                                 "    return render_template('page.html')\n")
    for suffix in (".html", ".htm", ".jinja", ".jinja2", ".j2"):
        (root / "templates" / f"page{suffix}").write_text(TEMPLATE)
    result = pipeline.run(pipeline.ScanRequest(start=root, overrides={"tools": ["semgrep"]}))
    run = result.runs[0]
    assert run.status is Status.OK and not run.error_messages, run.notifications
    assert {f"templates/page{s}" for s in (".html", ".htm", ".jinja", ".jinja2", ".j2")} <= set(run.command)
    in_templates = {(f.location.path, f.location.start_line) for f in run.findings
                    if f.location.path.startswith("templates/")}
    if not _template_rules():
        assert not in_templates  # nothing to run on them yet: passed along, nothing found, nothing broken
        return
    # with the pack's template rules: `autoescape false` (line 2) and `|safe` on a variable (line 3) in every one
    for suffix in (".html", ".htm", ".jinja", ".jinja2", ".j2"):
        assert (f"templates/page{suffix}", 3) in in_templates, sorted(in_templates)
