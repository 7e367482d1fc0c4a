"""ApiFinding -> secscan.models.Finding (tool secscan-api), located at the operation's line in the spec."""

from __future__ import annotations

from secscan.models import API_TOOL, Finding, Location, Rule
from secscan_probes.engine.context import ApiFinding
from secscan_probes.engine.spec import ApiSpec

HELP_URI = "https://owasp.org/API-Security/editions/2023/en/0x11-t10/"


def rule_for(item: ApiFinding) -> Rule:
    rule = item.rule
    return Rule(id=rule.rule_id, title=rule.title, description=rule.description or rule.title,
                severity=item.severity, help_uri=HELP_URI, precision="high", cwe=(rule.cwe,),
                owasp=(item.owasp,) if item.owasp else ())


def to_finding(item: ApiFinding, spec: ApiSpec, spec_path: str) -> Finding:
    op = spec.find(item.method, item.path)
    properties = {
        "owasp": item.owasp, "method": item.method, "pathTemplate": item.path, "url": item.url,
        "tenants": list(item.tenants), "confirmed": item.confirmed,
        "evidence": [step.as_dict() for step in item.evidence],
    }
    if item.parameter:
        properties["parameter"] = item.parameter
    return Finding(
        tool=API_TOOL, rule=rule_for(item), message=item.message,
        location=Location(spec_path, op.line if op else 1), severity=item.severity,
        context=f"{item.method}|{item.path}|{item.rule_id}|{item.variant}",
        logical_location=f"{item.method} {item.path}", properties=properties,
    )
