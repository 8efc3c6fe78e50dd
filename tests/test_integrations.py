"""The CI integration files: their structure, and the exact commands they run, run here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import ROOT, git_repo

COMPOSE = "services:\n  db:\n    image: postgres:16\n"


def env_with_infrascan(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


@pytest.fixture
def drifted(tmp_path: Path) -> Path:
    """A repository whose committed document no longer matches (PostgreSQL 16 -> 17)."""
    root = tmp_path / "repo"
    repo = git_repo(root)
    (root / "docker-compose.yml").write_text(COMPOSE)
    subprocess.run(["infrascan", "generate", "--quiet", str(root)], check=True, env=env_with_infrascan())
    repo.git.add(A=True)
    repo.index.commit("app and docs")
    (root / "docker-compose.yml").write_text(COMPOSE.replace("16", "17"))
    return root


def test_pre_commit_hooks(drifted: Path) -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"infrascan-drift", "infrascan-generate"}
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["pass_filenames"] is False and hook["always_run"] is True

    def run(hook_id: str) -> int:
        cmd = hooks[hook_id]["entry"].split()
        return subprocess.run(cmd, cwd=drifted, env=env_with_infrascan(), capture_output=True).returncode

    assert run("infrascan-drift") == 1
    before = (drifted / "INFRASTRUCTURE.md").read_text()
    assert run("infrascan-generate") == 0
    assert (drifted / "INFRASTRUCTURE.md").read_text() != before  # pre-commit sees the change and stops
    assert run("infrascan-drift") == 0


def test_github_action(drifted: Path, tmp_path: Path) -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    cache = next(s for s in steps if s.get("uses", "").startswith("actions/cache"))
    assert cache["with"]["path"] == "~/.cache/infrascan"
    install = next(s for s in steps if "Install" in s.get("name", ""))
    assert install["env"]["INFRASCAN_SOURCE"] == "${{ github.action_path }}"
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif"))
    assert "inputs.upload-sarif" in upload["if"]
    drift = next(s for s in steps if s.get("id") == "drift")
    output, summary = tmp_path / "out", tmp_path / "summary.md"
    env = env_with_infrascan(INFRASCAN_PATH=".", INFRASCAN_DOC="", INFRASCAN_FAIL_ON="changed,undocumented",
                             INFRASCAN_SARIF="true", GITHUB_OUTPUT=str(output), GITHUB_STEP_SUMMARY=str(summary))
    result = subprocess.run(["bash", "-e", "-c", drift["run"]], cwd=drifted, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert output.read_text().strip() == "exit-code=1"
    assert "PostgreSQL 17" in summary.read_text()
    sarif = json.loads((drifted / "infrascan.sarif").read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]
    final = next(s for s in steps if s.get("name") == "Fail on drift")
    assert subprocess.run(["bash", "-c", final["run"]], env={**env, "CODE": "1"}).returncode == 1


def test_gitlab_template(drifted: Path) -> None:
    template = yaml.safe_load((ROOT / "ci" / "gitlab-infrascan.yml").read_text())
    job = template["infrascan-drift"]
    assert job["variables"]["GIT_DEPTH"] == "0"
    assert job["cache"]["paths"] == [".cache/infrascan"]
    assert job["artifacts"]["reports"]["codequality"] == "gl-code-quality-report.json"
    script = "\n".join(job["script"])
    env = env_with_infrascan(INFRASCAN_FAIL_ON=job["variables"]["INFRASCAN_FAIL_ON"],
                             XDG_CACHE_HOME=str(drifted / ".cache"))
    result = subprocess.run(["bash", "-c", script], cwd=drifted, env=env, capture_output=True, text=True)
    assert result.returncode == 1
    issues = json.loads((drifted / "gl-code-quality-report.json").read_text())
    assert any("PostgreSQL 17" in issue["description"] for issue in issues)
    assert "drift found" in result.stdout
