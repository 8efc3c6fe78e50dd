"""The hostile repository, through the real command line: finishes, names every broken file,
leaks nothing from outside the repository, prints no secret, and keeps the document's structure."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hostile.build import OUTSIDE_MARKER, SECRETS, Hostile, build, cleanup, init_git

from infrascan.docparse import parse_document
from infrascan.document import split_state


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "infrascan", *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Hostile:
    h = build(tmp_path_factory.mktemp("hostile") / "repo")
    init_git(h.root)
    yield h
    cleanup(h)


@pytest.fixture(scope="module")
def outputs(hostile: Hostile) -> dict[str, subprocess.CompletedProcess[str]]:
    root = str(hostile.root)
    results = {"generate": run("--verbose", "generate", root), "json": run("scan", root, "--format", "json")}
    subprocess.run(["git", "-C", root, "add", "INFRASTRUCTURE.md"], check=True)
    for fmt in ("text", "json", "sarif", "markdown", "codequality"):
        results[f"drift-{fmt}"] = run("--verbose", "drift", root, "--format", fmt, "--fail-on", "changed")
    return results


def everything(hostile: Hostile, outputs: dict[str, subprocess.CompletedProcess[str]]) -> str:
    doc = (hostile.root / "INFRASTRUCTURE.md").read_text()
    return doc + "".join(r.stdout + r.stderr for r in outputs.values())


def test_generate_and_drift_finish_without_a_traceback(outputs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    assert outputs["generate"].returncode == 0, outputs["generate"].stderr[-3000:]
    for name, result in outputs.items():
        assert "Traceback" not in result.stdout + result.stderr, name
        assert result.returncode in (0, 1), (name, result.stderr[-2000:])


def test_every_broken_file_is_named_in_the_diagnostics(hostile: Hostile,
                                                       outputs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    diagnostics = json.loads(outputs["json"].stdout)["diagnostics"]
    named = {d["path"] for d in diagnostics}
    missing = [path for path in hostile.broken if path not in named]
    assert not missing, f"no diagnostic for {missing}"
    for path in ("infra/broken.tf", ".gitlab-ci.yml", "bombs/docker-compose.yml"):
        assert any(d["path"] == path and d["line"] for d in diagnostics) or path == "bombs/docker-compose.yml"


def test_valid_files_are_still_documented(hostile: Hostile) -> None:
    doc = (hostile.root / "INFRASTRUCTURE.md").read_text()
    for fact in hostile.valid_facts:
        assert fact in doc


def test_no_byte_from_outside_the_repository(hostile: Hostile,
                                             outputs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    assert OUTSIDE_MARKER not in everything(hostile, outputs)


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_no_planted_secret_in_any_output(hostile: Hostile, outputs: dict[str, subprocess.CompletedProcess[str]],
                                         name: str) -> None:
    assert SECRETS[name] not in everything(hostile, outputs)


def test_repository_text_cannot_break_the_document(hostile: Hostile) -> None:
    body, state = split_state((hostile.root / "INFRASTRUCTURE.md").read_text())
    assert state is not None
    assert [line for line in body.splitlines() if line.startswith("## ")] == [
        "## Environments", "## CI/CD Pipeline", "## Monitoring & Logging", "## Deployment Process",
        "## External Services", "## Components"]
    # Our region markers and Mermaid edges between our own node ids are the only arrows allowed.
    ours = re.compile(r"^<!-- infrascan:(?:begin|end) [\w-]+ -->$|^  [a-z]+_[0-9a-f]{8} --> [a-z]+_[0-9a-f]{8}$")
    visible = "\n".join(line for line in body.splitlines() if not ours.match(line))
    assert "<script>" not in visible and "<h1>" not in visible and "-->" not in visible and "<!--" not in visible
    assert "](https://evil.example.org)" not in body
    assert "## Forged heading" not in body
    production = [line for line in body.splitlines() if line.strip() == "- **Production**:"]
    assert len(production) == 1
    parse_document(body)  # reads back without error
    assert "\\<script\\>alert(1)\\</script\\>" in body  # there, but inert


def test_unreadable_file_gives_a_diagnostic(hostile: Hostile,
                                            outputs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    if os.geteuid() == 0:
        pytest.skip("running as root: permission bits do not stop root from reading (" + "; ".join(hostile.root_only)
                    + ")")
    diagnostics = json.loads(outputs["json"].stdout)["diagnostics"]
    assert any(d["path"] == "compose.prod.yml" and "Permission denied" in d["message"] for d in diagnostics)


def test_no_network_is_used(tmp_path: Path) -> None:
    """A full scan with sockets blocked in the interpreter (sitecustomize) passes."""
    blocker = tmp_path / "site"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(
        "import socket\n"
        "def _blocked(*a, **k):\n    raise OSError('network blocked by the test')\n"
        "socket.socket.connect = _blocked\nsocket.socket.connect_ex = _blocked\n"
        "socket.create_connection = _blocked\nsocket.getaddrinfo = _blocked\n")
    repo = tmp_path / "repo"
    hostile = build(repo)
    try:
        env = {**os.environ, "PYTHONPATH": f"{blocker}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
        result = subprocess.run([sys.executable, "-m", "infrascan", "--verbose", "generate", str(repo), "--stdout"],
                                capture_output=True, text=True, timeout=300, env=env)
        assert result.returncode == 0, result.stderr[-2000:]
        assert "PostgreSQL 16" in result.stdout and "network blocked" not in result.stderr
        assert "docker-compose.override.yml: not a regular file (FIFO" in result.stderr  # outside git: walked
    finally:
        cleanup(hostile)
