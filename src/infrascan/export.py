"""The model as JSON, for other programs; its JSON Schema ships in the package.

Every string that came from the repository is scrubbed on the way out; infrascan's own
metadata (field ids, detector names, the commit id) is not repository text and is left alone.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from infrascan import __version__
from infrascan.gcpause import collector_paused
from infrascan.merge import Model
from infrascan.redact import scrub
from infrascan.render.view import DocumentView

SCHEMA_VERSION = "1.0"


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    return scrub(str(value))


def _gaps(doc: DocumentView) -> list[dict[str, Any]]:
    gaps = []
    for block in doc.environments:
        for f in block.fields:
            if not f.filled:
                gaps.append({"field": f.id, "environment": block.key, "service": None})
    singles = [
        doc.build,
        *doc.tests,
        *doc.triggers,
        doc.monitoring_tools,
        *doc.monitoring,
        *doc.logging,
        *doc.alerts,
        doc.deploy_steps,
        *doc.rollback,
        *doc.migrations,
    ]
    gaps.extend({"field": f.id, "environment": None, "service": None} for f in singles if not f.filled)
    for block in doc.services:
        for f in ([block.headline] if block.headline else []) + block.fields:
            if not f.filled:
                gaps.append({"field": f.id, "environment": None, "service": block.key})
    if doc.services_gap:
        gaps.append({"field": "ext.purpose", "environment": None, "service": None})
    return gaps


def to_json_dict(model: Model, doc: DocumentView) -> dict[str, Any]:
    repo = model.repository
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "infrascan", "version": __version__},
        "repository": {
            "name": scrub(repo.root_name),
            "commit": repo.commit,
            "ref": repo.ref,
            "remote": scrub(repo.remote_url) if repo.remote_url else None,
            "git": repo.is_git,
        },
        "coverage": {"filled": doc.filled, "total": doc.total, "gaps": _gaps(doc)},
        "environments": model.environments,
        "services": model.services,
        "components": model.components,
        "facts": [
            {
                "field": f.field,
                "environment": f.env,
                "service": f.service,
                "item": _clean(f.item),
                "text": scrub(f.text),
                "technology": f.tech,
                "confidence": f.confidence.value,
                "scope": f.scope.value,
                "component": _clean(f.component),
                "evidence": [{"path": scrub(e.path), "line": e.line, "detector": e.detector} for e in f.evidence],
                "attributes": _clean(f.attrs),
            }
            for f in model.facts
        ],
        "diagnostics": [
            {
                "path": scrub(d.path),
                "line": d.line,
                "severity": d.severity.value,
                "message": scrub(d.message),
                "detector": d.detector,
            }
            for d in model.diagnostics
        ],
        "stats": {
            "files_listed": model.files_listed,
            "files_read": model.files_read,
            "detectors": [{"name": s.detector, "files": s.files} for s in model.sources],
        },
    }


def to_json(model: Model, doc: DocumentView) -> str:
    with collector_paused():
        return dumps(to_json_dict(model, doc))


def dumps(data: Any) -> str:
    """JSON with objects indented and each item of a list on one line: a fact per line reads and
    diffs well, and Python's C encoder only runs without `indent` (pretty-printing a 300-service
    monorepo's 20,000 facts took the pure-Python encoder about half a second)."""
    return _dumps(data, "") + "\n"


# One encoder for every item: `json.dumps(..., ensure_ascii=False)` builds a new one per call.
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


def _dumps(data: Any, pad: str) -> str:
    inner = pad + "  "
    if isinstance(data, dict) and data:
        rows = (f"{inner}{_ENCODE(str(k))}: {_dumps(v, inner)}" for k, v in data.items())
        return "{\n" + ",\n".join(rows) + "\n" + pad + "}"
    if isinstance(data, list) and data:
        return "[\n" + ",\n".join(inner + _ENCODE(v) for v in data) + "\n" + pad + "]"
    return _ENCODE(data)


def schema_text() -> str:
    return resources.files("infrascan").joinpath("data/model.schema.json").read_text(encoding="utf-8")
