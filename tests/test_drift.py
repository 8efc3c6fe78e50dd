"""Drift scenarios in temporary git repositories: each change lands in the right category, every format."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import git
import pytest
from helpers import git_repo

from infrascan.catalog import load_catalog

COMPOSE = "services:\n  db:\n    image: postgres:16\n  web:\n    build: .\n"
ENV = "STRIPE_SECRET_KEY=\nSENTRY_DSN=\n"
PROD_ENV = "APP_URL=https://shop.acme.io\n"


def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "infrascan", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120, env=env)


def commit(repo: git.Repo, message: str) -> None:
    repo.git.add(A=True)
    repo.index.commit(message)


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, git.Repo]:
    root = tmp_path / "shop"
    repo = git_repo(root)
    (root / "docker-compose.yml").write_text(COMPOSE)
    (root / ".env.example").write_text(ENV)
    (root / ".env.production.example").write_text(PROD_ENV)
    commit(repo, "app")
    assert run("generate", str(root)).returncode == 0
    commit(repo, "docs")
    return root, repo


def drift_json(root: Path, *extra: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = run("drift", str(root), "--format", "json", *extra)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def test_fresh_document_is_in_sync_and_gaps_are_informational(project: tuple[Path, git.Repo]) -> None:
    root, _ = project
    code, report = drift_json(root)
    assert code == 0 and report["in_sync"] is True
    assert report["counts"]["gaps"] > 0
    assert {f["category"] for f in report["findings"]} == {"gaps"}
    code, _ = drift_json(root, "--fail-on", "gaps")
    assert code == 1


def test_each_change_lands_in_its_category(project: tuple[Path, git.Repo]) -> None:
    root, repo = project
    (root / "docker-compose.yml").write_text(COMPOSE.replace("postgres:16", "postgres:17")
                                             + "  cache:\n    image: redis:7\n")
    (root / ".env.production.example").write_text("APP_URL=https://www.shop.acme.io\n")
    (root / ".env.example").write_text("SENTRY_DSN=\nTWILIO_AUTH_TOKEN=\n")
    commit(repo, "infra changes")
    code, report = drift_json(root)
    assert code == 1
    by_category: dict[str, list[str]] = {}
    for finding in report["findings"]:
        by_category.setdefault(finding["category"], []).append(finding["message"])
    assert any("PostgreSQL 16" in m and "PostgreSQL 17" in m for m in by_category["changed"])
    assert any("https://shop.acme.io" in m and "https://www.shop.acme.io" in m for m in by_category["changed"])
    assert any("Redis 7" in m for m in by_category["undocumented"])
    assert any("new external service Twilio" in m for m in by_category["undocumented"])
    assert any("STRIPE_SECRET_KEY" in m for m in by_category["stale"])
    changed = next(f for f in report["findings"] if "PostgreSQL 17" in (f["after"] or ""))
    assert changed["evidence"] == [{"path": "docker-compose.yml", "line": 3}]
    doc_lines = (root / "INFRASTRUCTURE.md").read_text().splitlines()
    assert "PostgreSQL 16" in doc_lines[changed["document_line"] - 1]
    history = report["context"]
    assert history["available"] and history["changed_since"][0]["subject"] == "infra changes"
    assert set(history["changed_since"][0]["paths"]) == {".env.example", ".env.production.example",
                                                          "docker-compose.yml"}


def test_uncommitted_edits_are_named_and_evidence_is_cited_once(project: tuple[Path, git.Repo]) -> None:
    """The scan reads the working tree, so history must not claim "nothing changed" over uncommitted edits."""
    root, _ = project
    (root / ".env.example").write_text(ENV + "TWILIO_AUTH_TOKEN=\n")
    (root / "notes.txt").write_text("not infrastructure\n")
    _, report = drift_json(root)
    assert report["context"]["changed_since"] == []
    assert report["context"]["uncommitted"] == [".env.example"]
    twilio = next(f for f in report["findings"] if "Twilio" in f["message"])
    assert len(twilio["evidence"]) == len({(e["path"], e["line"]) for e in twilio["evidence"]}) >= 1
    text = run("drift", str(root)).stdout
    assert "Changed but not committed: .env.example" in text
    assert "No infrastructure file changed since." not in text


def test_moved_lines_are_not_drift_and_fingerprints_survive_moves(project: tuple[Path, git.Repo]) -> None:
    root, repo = project
    (root / "docker-compose.yml").write_text("# dev stack\n\n" + COMPOSE)
    commit(repo, "comment")
    code, report = drift_json(root)
    assert code == 0, report
    (root / "docker-compose.yml").write_text(COMPOSE.replace("postgres:16", "postgres:17"))
    commit(repo, "upgrade")
    first = run("drift", str(root), "--format", "sarif")
    doc = root / "INFRASTRUCTURE.md"
    doc.write_text(doc.read_text().replace("## Environments", "Intro paragraph.\n\n## Environments"))
    second = run("drift", str(root), "--format", "sarif")

    def prints(out: str) -> set[str]:
        results = json.loads(out)["runs"][0]["results"]
        return {r["partialFingerprints"]["infrascanFinding/v1"] for r in results if r["ruleId"] != "infrascan/gaps"}

    assert prints(first.stdout) and prints(first.stdout) == prints(second.stdout)


@pytest.mark.parametrize(("person", "flagged"), [
    ("PostgreSQL 15 on RDS", True),
    ("PostgreSQL 15: in compose service `db` (image `postgres:16`)", True),
    ("PostgreSQL 16 on RDS, managed by the DBA team", False),
    ("PostgreSQL 15, moving to 16 in Q3", False),
    ("PostgreSQL on RDS", False),
])
def test_a_version_a_person_wrote_is_checked_against_the_evidence(project: tuple[Path, git.Repo], person: str,
                                                                  flagged: bool) -> None:
    root, _ = project
    doc = root / "INFRASTRUCTURE.md"
    lines = doc.read_text().splitlines()
    db = next(i for i, line in enumerate(lines) if "PostgreSQL 16" in line)
    lines[db] = lines[db].split("Database:")[0] + "Database: " + person
    doc.write_text("\n".join(lines) + "\n")
    _, report = drift_json(root)
    versions = [f for f in report["findings"] if f["category"] == "contradicted"]
    if flagged:
        assert [(f["before"], f["after"], f["document_line"]) for f in versions] == [
            ("PostgreSQL 15", "PostgreSQL 16", db + 1)]
        assert versions[0]["evidence"] == [{"path": "docker-compose.yml", "line": 3}]
    else:
        assert versions == []


def test_false_claims_are_contradicted(project: tuple[Path, git.Repo]) -> None:
    root, _ = project
    doc = root / "INFRASTRUCTURE.md"
    text = doc.read_text()
    text = text.replace("## CI/CD Pipeline", "We deploy from Jenkins.\n\n## CI/CD Pipeline")
    text = text.replace("## Monitoring & Logging", "## Monitoring & Logging\n\nErrors go to Sentry and Rollbar. Go "
                        "services log to stdout.\n")
    lines = text.splitlines()
    db = next(i for i, line in enumerate(lines) if "PostgreSQL 16" in line)
    lines[db] = lines[db].split("Database:")[0] + "Database: MySQL 8 on RDS"
    doc.write_text("\n".join(lines) + "\n")
    code, report = drift_json(root)
    assert code == 1
    contradicted = [f for f in report["findings"] if f["category"] == "contradicted"]
    messages = [f["message"] for f in contradicted]
    assert any("Jenkins" in m for m in messages)
    assert any("MySQL" in m and "shows PostgreSQL" in m for m in messages)
    assert any("Rollbar" in m and "shows Sentry" in m for m in messages)
    assert {f["technology"] for f in contradicted} == {"jenkins", "mysql", "rollbar"}


def test_a_document_naming_every_catalog_entry_is_contradicted_by_an_empty_repository(tmp_path: Path) -> None:
    root = tmp_path / "empty"
    repo = git_repo(root)
    (root / "README.md").write_text("nothing here\n")
    catalog = load_catalog()
    names = [tech.name for tech in catalog.techs.values()]
    sections = ["Environments", "CI/CD Pipeline", "Monitoring & Logging", "Deployment Process", "External Services"]
    body = "# INFRASTRUCTURE.md\n\n" + "".join(f"## {s}\n\nWe use {', '.join(names)}.\n\n" for s in sections)
    (root / "INFRASTRUCTURE.md").write_text(body)
    commit(repo, "docs")
    code, report = drift_json(root)
    assert code == 1
    named = {f["technology"] for f in report["findings"] if f["category"] == "contradicted"}
    assert named == set(catalog.techs)


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "markdown", "codequality"])
def test_every_format_reports_the_same_findings(project: tuple[Path, git.Repo], fmt: str, tmp_path: Path) -> None:
    root, repo = project
    (root / "docker-compose.yml").write_text(COMPOSE.replace("postgres:16", "postgres:17"))
    commit(repo, "upgrade")
    summary = tmp_path / "summary.md"
    env = {**__import__("os").environ, "GITHUB_STEP_SUMMARY": str(summary)}
    result = run("drift", str(root), "--format", fmt, env=env)
    assert result.returncode == 1, result.stderr
    assert "PostgreSQL 17" in result.stdout
    assert "PostgreSQL 17" in summary.read_text()
    if fmt == "sarif":
        sarif = json.loads(result.stdout)
        assert sarif["version"] == "2.1.0"
        rules = [r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]]
        assert rules == [f"infrascan/{c}" for c in ("changed", "undocumented", "stale", "contradicted", "gaps")]
        result0 = sarif["runs"][0]["results"][0]
        assert result0["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "INFRASTRUCTURE.md"
    if fmt == "codequality":
        issues = json.loads(result.stdout)
        assert all({"description", "check_name", "fingerprint", "severity", "location"} <= set(i) for i in issues)


def test_ignore_rules_and_errors(project: tuple[Path, git.Repo]) -> None:
    root, repo = project
    (root / "docker-compose.yml").write_text(COMPOSE.replace("postgres:16", "postgres:17"))
    (root / ".infrascan.toml").write_text('[drift]\nignore = [{category = "changed", technology = "postgresql"}]\n')
    commit(repo, "upgrade, accepted")
    code, _ = drift_json(root)
    assert code == 0
    missing = run("drift", str(root), "--doc", str(root / "nope.md"))
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


def test_shallow_clone_says_so(project: tuple[Path, git.Repo], tmp_path: Path) -> None:
    root, repo = project
    (root / "docker-compose.yml").write_text(COMPOSE + "  cache:\n    image: redis:7\n")
    commit(repo, "more")
    clone = tmp_path / "clone"
    git.Repo.clone_from(f"file://{root}", clone, depth=1)
    _, report = drift_json(clone)
    assert report["context"]["shallow"] is True and "fetch-depth: 0" in report["context"]["note"]
