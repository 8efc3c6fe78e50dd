"""Property test: arbitrary strings in repository values go through generate and drift without
changing the document's structure (same headings, same fields, no raw HTML, state intact)."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from infrascan.config import load_config
from infrascan.docparse import parse_document
from infrascan.document import split_state
from infrascan.pipeline import ScanRun, build_document, check_drift
from infrascan.registry import discover
from infrascan.reports import render_json, render_sarif
from infrascan.scan import run_scan
from infrascan.source import RepoSource

NASTY = st.sampled_from(
    [
        "<script>alert(1)</script>",
        "-->",
        "<!--",
        "\n## Heading\n",
        "[x](https://evil.example)",
        "`",
        "``",
        "|",
        "\\",
        "**bold**",
        "- **Production**:",
        "  - URL: https://evil",
        "&lt;",
        "\u2028",
        "\r\n",
        "{{ 7*7 }}",
        "${{ secrets.X }}",
        "<!-- infrascan:state",
        "<!-- infrascan:end ci-diagram -->",
        '"',
        "'",
        "#",
        "\t",
    ]
)
VALUE = st.lists(st.one_of(NASTY, st.text(max_size=12)), min_size=1, max_size=5).map("".join)


def _quoted(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid YAML double-quoted scalar


def files(value: str) -> dict[str, str]:
    q = _quoted(value)
    # A NUL byte makes the whole .env file binary (not read, by design and tested elsewhere), which
    # would drop its facts; everywhere else the value goes in as it is.
    env_value = value.replace("\x00", " ")
    return {
        "docker-compose.yml": f"services:\n  db:\n    image: postgres:16\n    container_name: {q}\n"
        f"    environment:\n      LOG_LEVEL: {q}\n",
        ".env.example": "# " + env_value.replace("\n", " ").replace("\r", " ") + "\nSTRIPE_SECRET_KEY=\n"
        f"APP_URL={env_value.splitlines()[0] if env_value.splitlines() else env_value}\n",
        ".github/workflows/deploy.yml": "on:\n  push:\n    branches: [main]\njobs:\n  deploy:\n"
        f"    name: {q}\n    runs-on: ubuntu-latest\n    environment:\n"
        f"      name: production\n      url: {q}\n    steps:\n"
        f"      - run: helm upgrade --install {q} ./chart\n",
    }


def structure(text: str) -> tuple[list[str], list[tuple[str, str, str]]]:
    body, state = split_state(text)
    assert state is not None
    doc = parse_document(body)
    headings = [line for line in body.splitlines() if line.startswith("#")]
    return headings, sorted(doc.slots)


def generate_and_drift(root: Path) -> tuple[str, str, str]:
    config = load_config(root)
    source = RepoSource(root)
    try:
        run = ScanRun(source, config, run_scan(source, config, discover()))
        outcome = build_document(run, existing=None, doc_path="INFRASTRUCTURE.md", use_permalinks=False, template=None)
        (root / "INFRASTRUCTURE.md").write_text(outcome.text)
        report = check_drift(run, outcome.text, root / "INFRASTRUCTURE.md", ("changed",))
        return outcome.text, render_json(report), render_sarif(report)
    finally:
        source.close()


def build(value: str) -> Path:
    root = Path(tempfile.mkdtemp(prefix="infrascan-inject-"))
    for rel, content in files(value).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(content)
    return root


BASELINE = "plain-value"


@settings(
    max_examples=int(os.environ.get("INFRASCAN_PROPERTY_EXAMPLES", "20")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(value=VALUE)
def test_repository_values_cannot_change_the_document_structure(value: str) -> None:
    baseline_root, root = build(BASELINE), build(value)
    try:
        expected = structure(generate_and_drift(baseline_root)[0])
        text, drift_json, sarif = generate_and_drift(root)
        assert structure(text) == expected
        body, _ = split_state(text)
        outside_regions = re.sub(r"<!-- infrascan:begin ([\w-]+) -->.*?<!-- infrascan:end \1 -->", "", body, flags=re.S)
        assert not re.search(r"(?<!\\)<", outside_regions), "raw HTML in the document"
        assert "-->" not in outside_regions.replace("--\\>", "")
        json.loads(drift_json)
        json.loads(sarif)
    finally:
        shutil.rmtree(baseline_root, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)
