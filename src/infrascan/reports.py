"""Drift reports in the formats CI systems read: text, JSON, SARIF 2.1.0, Markdown, GitLab Code Quality.

Every string that came from the repository or the document passes through `scrub` on its way out.
JSON, SARIF and Code Quality are built as data and serialised, so no value can break their
structure; Markdown goes through the one escaping function.
"""

from __future__ import annotations

import json
from typing import Any

from infrascan import __version__
from infrascan.drift import CATEGORIES, DriftReport, Finding
from infrascan.escape import escape_md
from infrascan.redact import scrub

REPORT_SCHEMA_VERSION = "1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
CATEGORY_HELP = {
    "changed": "A value the document states now differs from what the repository says.",
    "undocumented": "The repository has infrastructure facts the document does not mention.",
    "stale": "The document states something whose evidence is gone from the repository.",
    "contradicted": "Text a person wrote names a tool, service, engine or URL the repository gives no evidence "
                    "for, or a different one than the evidence shows.",
    "gaps": "A template field is still open.",
}
TITLES = {"changed": "Changed", "undocumented": "Undocumented", "stale": "Stale", "contradicted": "Contradicted",
          "gaps": "Gaps"}


def _where(finding: Finding, document: str) -> str:
    parts = [f"{document}:{finding.doc_line}" if finding.doc_line else document]
    parts.extend(f"{p}:{n}" if n else p for p, n in finding.evidence[:3])
    return " <- ".join([parts[0], ", ".join(parts[1:])]) if len(parts) > 1 else parts[0]


def _status(report: DriftReport) -> str:
    counts = report.counts()
    summary = ", ".join(f"{counts[c]} {c}" for c in CATEGORIES if counts[c])
    state = "in sync" if report.in_sync else "drift found"
    return f"infrascan drift: {report.document}: {state}" + (f" ({summary})" if summary else "")


def render_text(report: DriftReport) -> str:
    lines = [_status(report)]
    for category in CATEGORIES:
        items = [f for f in report.findings if f.category == category]
        if not items:
            continue
        marker = "" if category in report.fail_on else " (informational)"
        lines.append("")
        lines.append(f"{TITLES[category]} ({len(items)}){marker}")
        for finding in items:
            lines.append(f"  - {scrub(finding.message)}")
            lines.append(f"    at {scrub(_where(finding, report.document))}")
    lines.extend(_context_text(report.context))
    lines.extend(f"Note: {note}" for note in report.notes)
    return "\n".join(lines) + "\n"


def _context_text(context: dict[str, Any]) -> list[str]:
    if not context:
        return []
    lines = [""]
    if not context.get("available"):
        lines.append(f"History: unavailable ({context.get('reason', 'unknown')})")
        return lines
    if context.get("note"):
        lines.append(f"History: {context['note']}")
        return lines
    doc = context.get("document_commit", {})
    lines.append(f"History: the document last changed in {doc.get('sha', '')[:10]} ({doc.get('date', '')}): "
                 f"{scrub(str(doc.get('subject', '')))}")
    changed = context.get("changed_since", [])
    uncommitted = context.get("uncommitted", [])
    if changed:
        lines.append("Infrastructure files changed since:")
        for commit in changed:
            lines.append(f"  {commit['sha'][:10]} {commit['date'][:10]} {scrub(commit['subject'])}: "
                         f"{scrub(_some(commit['paths']))}")
    else:
        lines.append("No infrastructure file changed in a commit since." if uncommitted
                     else "No infrastructure file changed since.")
    if uncommitted:
        lines.append(f"Changed but not committed: {scrub(_some(uncommitted))}")
    return lines


def _some(paths: list[str]) -> str:
    return ", ".join(paths[:6]) + (f" and {len(paths) - 6} more" if len(paths) > 6 else "")


def _finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "category": finding.category,
        "message": scrub(finding.message),
        "document_line": finding.doc_line,
        "field": finding.field,
        "environment": finding.environment,
        "service": finding.service,
        "technology": finding.technology,
        "evidence": [{"path": scrub(p), "line": n} for p, n in finding.evidence],
        "before": scrub(finding.before) if finding.before else None,
        "after": scrub(finding.after) if finding.after else None,
        "fingerprint": finding.fingerprint,
    }


def render_json(report: DriftReport) -> str:
    data = {
        "schema_version": REPORT_SCHEMA_VERSION,
        "tool": {"name": "infrascan", "version": __version__},
        "document": report.document,
        "in_sync": report.in_sync,
        "fail_on": list(report.fail_on),
        "counts": report.counts(),
        "findings": [_finding_json(f) for f in report.findings],
        "context": report.context,
        "notes": report.notes,
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def render_sarif(report: DriftReport) -> str:
    rules = [{"id": f"infrascan/{c}", "name": TITLES[c], "shortDescription": {"text": CATEGORY_HELP[c]},
              "defaultConfiguration": {"level": "error" if c in report.fail_on else "note"}} for c in CATEGORIES]
    results = []
    for finding in report.findings:
        location: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": report.document}}}
        if finding.doc_line:
            location["physicalLocation"]["region"] = {"startLine": finding.doc_line}
        related = [{"id": i, "physicalLocation": {"artifactLocation": {"uri": scrub(p)},
                                                    **({"region": {"startLine": n}} if n else {})},
                    "message": {"text": "evidence"}} for i, (p, n) in enumerate(finding.evidence[:10])]
        results.append({
            "ruleId": f"infrascan/{finding.category}",
            "ruleIndex": CATEGORIES.index(finding.category),
            "level": "error" if finding.category in report.fail_on else "note",
            "message": {"text": scrub(finding.message)},
            "locations": [location],
            "relatedLocations": related,
            "partialFingerprints": {"infrascanFinding/v1": finding.fingerprint},
        })
    sarif = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "infrascan", "version": __version__,
                                "informationUri": "https://pypi.org/project/infrascan/", "rules": rules}},
            "results": results,
        }],
    }
    return json.dumps(sarif, indent=2, ensure_ascii=False) + "\n"


def render_markdown(report: DriftReport) -> str:
    lines = [f"### {escape_md(_status(report))}", ""]
    if not report.findings:
        lines.append("The document matches the repository.")
    for category in CATEGORIES:
        items = [f for f in report.findings if f.category == category]
        if not items:
            continue
        marker = "" if category in report.fail_on else " (informational)"
        lines.append(f"<details{' open' if category in report.fail_on else ''}><summary><b>{TITLES[category]}</b> "
                     f"({len(items)}){marker}</summary>")
        lines.append("")
        for finding in items:
            where = escape_md(_where(finding, report.document))
            lines.append(f"- {escape_md(finding.message)} ({where})")
        lines.append("")
        lines.append("</details>")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def render_codequality(report: DriftReport) -> str:
    severity = {"changed": "major", "undocumented": "minor", "stale": "major", "contradicted": "critical",
                "gaps": "info"}
    issues = [{
        "description": scrub(f.message),
        "check_name": f"infrascan/{f.category}",
        "fingerprint": f.fingerprint,
        "severity": severity[f.category] if f.category in report.fail_on else "info",
        "location": {"path": report.document, "lines": {"begin": f.doc_line or 1}},
    } for f in report.findings]
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"


RENDERERS = {"text": render_text, "json": render_json, "sarif": render_sarif, "markdown": render_markdown,
             "codequality": render_codequality}
