"""Golden files: each sample repository's expected document and JSON, byte for byte.

Regenerate on purpose only: `INFRASCAN_UPDATE_GOLDENS=1 python -m pytest tests/test_samples.py`, then
read the diff and explain every change in the commit message. Key facts and gaps of each sample
are also asserted by hand in tests/test_sample_*.py, independently of these files.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from helpers import ROOT, scan_dir

from infrascan.export import schema_text, to_json

SAMPLES = sorted(p for p in (ROOT / "sample_repos").iterdir() if p.is_dir() and not p.name.endswith(".expected"))
UPDATE = os.environ.get("INFRASCAN_UPDATE_GOLDENS") == "1"


def normalised_json(text: str) -> dict[str, Any]:
    """The JSON without what depends on where the sample sits (the enclosing repository's commit)."""
    data: dict[str, Any] = json.loads(text)
    data["repository"].update(commit=None, remote=None)
    data["tool"]["version"] = "*"
    return data


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_sample_matches_its_golden_files(sample: Path) -> None:
    scanned = scan_dir(sample)
    markdown = scanned.markdown
    data = normalised_json(to_json(scanned.model, scanned.view))
    jsonschema.validate(json.loads(to_json(scanned.model, scanned.view)), json.loads(schema_text()))
    expected = sample.parent / f"{sample.name}.expected"
    rendered_json = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if UPDATE:
        expected.mkdir(exist_ok=True)
        (expected / "INFRASTRUCTURE.md").write_text(markdown, encoding="utf-8")
        (expected / "model.json").write_text(rendered_json, encoding="utf-8")
    assert (expected / "INFRASTRUCTURE.md").read_text(encoding="utf-8") == markdown
    assert (expected / "model.json").read_text(encoding="utf-8") == rendered_json


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_output_is_byte_identical_across_runs(sample: Path) -> None:
    assert scan_dir(sample).markdown == scan_dir(sample).markdown


def test_template_rules_comment_is_never_copied() -> None:
    for sample in SAMPLES:
        markdown = scan_dir(sample).markdown
        assert "RULES FOR AI" not in markdown and "<!--\nIMPORTANT" not in markdown
