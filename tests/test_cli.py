"""The command line, through the real entry point in a subprocess: exit codes, messages, files."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import git
import jsonschema
import pytest
from helpers import git_repo

COMPOSE = "services:\n  db:\n    image: postgres:16\n  web:\n    build: .\n    ports: ['8000:8000']\n"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "infrascan", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def make_repo(root: Path, files: dict[str, str], origin: str | None = None) -> git.Repo:
    repo = git_repo(root)
    for rel, content in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(content)
    repo.index.add(list(files))
    repo.index.commit("initial")
    if origin:
        repo.create_remote("origin", origin)
    return repo


def assert_one_line_error(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert result.stderr.strip().count("\n") == 0, result.stderr


def test_version_and_help() -> None:
    from infrascan import __version__

    assert run("--version").stdout.strip() == f"infrascan {__version__}"
    help_text = run("--help").stdout
    for command in ("generate", "scan", "detectors", "schema"):
        assert command in help_text


def test_generate_writes_the_document_and_is_stable(tmp_path: Path) -> None:
    make_repo(tmp_path, {"docker-compose.yml": COMPOSE})
    first = run("generate", str(tmp_path))
    assert first.returncode == 0, first.stderr
    doc = (tmp_path / "INFRASTRUCTURE.md").read_text()
    assert "PostgreSQL 16" in doc and "[docker-compose.yml:3](docker-compose.yml#L3)" in doc
    assert "infrascan: " in first.stderr and "fields filled" in first.stderr
    assert run("generate", str(tmp_path)).returncode == 0
    assert (tmp_path / "INFRASTRUCTURE.md").read_text() == doc


def test_a_scan_the_cache_answered_says_so_rather_than_that_it_read_nothing(tmp_path: Path) -> None:
    # three reviewers read "221 files listed, 0 read" as a scan that had found nothing to read
    make_repo(tmp_path, {"docker-compose.yml": COMPOSE + f"# {tmp_path.name}\n"})  # content no test cached
    first = run("scan", str(tmp_path))
    assert first.returncode == 0 and "files listed, 1 read," in first.stderr, first.stderr
    again = subprocess.run([sys.executable, "-m", "infrascan", "scan", str(tmp_path)], capture_output=True,
                           text=True, timeout=120, env={**os.environ, "INFRASCAN_REPLAY": "0"})
    assert "files listed, 0 read (every result from the cache)," in again.stderr, again.stderr
    assert again.stdout == first.stdout.replace('"files_read": 1', '"files_read": 0')


def test_generate_refuses_a_file_that_is_not_such_a_document(tmp_path: Path) -> None:
    make_repo(tmp_path, {"docker-compose.yml": COMPOSE})
    (tmp_path / "INFRASTRUCTURE.md").write_text("# Our notes\n\nHand written.\n")
    result = run("generate", str(tmp_path))
    assert_one_line_error(result)
    assert "does not look like an INFRASTRUCTURE.md" in result.stderr
    assert (tmp_path / "INFRASTRUCTURE.md").read_text() == "# Our notes\n\nHand written.\n"


def test_output_elsewhere_links_relative_to_the_document(tmp_path: Path) -> None:
    make_repo(tmp_path, {"docker-compose.yml": COMPOSE})
    assert run("generate", str(tmp_path), "-o", str(tmp_path / "docs" / "INFRA.md")).returncode == 0
    assert "(../docker-compose.yml#L3)" in (tmp_path / "docs" / "INFRA.md").read_text()


def test_url_scan_needs_an_output_and_works_with_stdout(tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    make_repo(origin, {"docker-compose.yml": COMPOSE})
    assert_one_line_error(run("generate", f"file://{origin}"))
    result = run("generate", f"file://{origin}", "--stdout")
    assert result.returncode == 0, result.stderr
    assert "PostgreSQL 16" in result.stdout


def test_ref_reads_an_older_commit(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"docker-compose.yml": COMPOSE})
    first = repo.head.commit.hexsha
    (tmp_path / "docker-compose.yml").write_text(COMPOSE.replace("postgres:16", "postgres:17"))
    repo.index.add(["docker-compose.yml"])
    repo.index.commit("upgrade")
    assert "PostgreSQL 16" in run("scan", str(tmp_path), "--ref", first, "--format", "markdown").stdout
    assert "PostgreSQL 17" in run("scan", str(tmp_path), "--format", "markdown").stdout


def test_scan_json_matches_the_published_schema(tmp_path: Path) -> None:
    make_repo(tmp_path, {"docker-compose.yml": COMPOSE})
    result = run("scan", str(tmp_path), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    jsonschema.validate(data, json.loads(run("schema").stdout))
    assert data["schema_version"] == "1.0"
    assert data["repository"]["commit"] and data["repository"]["git"] is True


def test_unreadable_repository_is_one_line_exit_2(tmp_path: Path) -> None:
    assert_one_line_error(run("generate", str(tmp_path / "missing")))


def test_unknown_configuration_key_is_named(tmp_path: Path) -> None:
    make_repo(tmp_path, {"docker-compose.yml": COMPOSE, ".infrascan.toml": "skip = []\nsikp = ['x']\n"})
    result = run("generate", str(tmp_path), "--stdout")
    assert_one_line_error(result)
    assert "'sikp'" in result.stderr


def test_permalinks_use_the_origin_remote(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"docker-compose.yml": COMPOSE}, origin="git@github.com:acme/shop.git")
    result = run("generate", str(tmp_path), "--stdout", "--permalinks")
    sha = repo.head.commit.hexsha
    assert f"(https://github.com/acme/shop/blob/{sha}/docker-compose.yml#L3)" in result.stdout
    repo.delete_remote(repo.remote("origin"))
    assert_one_line_error(run("generate", str(tmp_path), "--stdout", "--permalinks"))


@pytest.mark.parametrize(("remote", "expected"), [
    ("https://gitlab.com/acme/shop.git", "https://gitlab.com/acme/shop/-/blob/{sha}/docker-compose.yml#L3"),
    ("git@bitbucket.org:acme/shop.git", "https://bitbucket.org/acme/shop/src/{sha}/docker-compose.yml#lines-3"),
])
def test_permalink_forms(tmp_path: Path, remote: str, expected: str) -> None:
    repo = make_repo(tmp_path, {"docker-compose.yml": COMPOSE}, origin=remote)
    result = run("scan", str(tmp_path), "--format", "markdown", "--permalinks")
    assert expected.format(sha=repo.head.commit.hexsha) in result.stdout


def test_custom_template_renders_in_a_sandbox(tmp_path: Path) -> None:
    make_repo(tmp_path, {"docker-compose.yml": COMPOSE})
    good = tmp_path / "t.j2"
    good.write_text("{% for b in doc.environments %}{{ b.title }}: {{ b.fields[1].entries|length }}\n{% endfor %}")
    result = run("generate", str(tmp_path), "--stdout", "--template", str(good))
    assert result.returncode == 0 and "Development: 1" in result.stdout
    evil = tmp_path / "evil.j2"
    evil.write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    result = run("generate", str(tmp_path), "--stdout", "--template", str(evil))
    assert_one_line_error(result)
    assert "sandbox" in result.stderr


def test_detectors_lists_builtins_with_patterns() -> None:
    out = run("detectors").stdout
    assert re.search(r"^compose \d+  \(infrascan\)$", out, re.M)
    assert "files: {docker-,podman-,}compose*.{yml,yaml}" in out
    assert re.search(r"^testplugin-uptime 1  \(infrascan-testplugin\)$", out, re.M)


def test_config_shows_values_and_their_origin(tmp_path: Path) -> None:
    make_repo(tmp_path, {"pyproject.toml": "[tool.infrascan]\noutput = 'docs/INFRA.md'\n"
                                           "[tool.infrascan.drift]\nfail_on = ['changed']\n"})
    out = run("config", str(tmp_path)).stdout
    assert 'output = "docs/INFRA.md"    # pyproject.toml [tool.infrascan]' in out
    assert 'drift.fail_on = ["changed"]    # pyproject.toml [tool.infrascan]' in out
    assert "max_file_size = 5242880    # default" in out


def test_required_version_outside_the_range_refuses_to_run(tmp_path: Path) -> None:
    make_repo(tmp_path, {"docker-compose.yml": COMPOSE, ".infrascan.toml": "required_version = '>=99'\n"})
    result = run("generate", str(tmp_path), "--stdout")
    assert_one_line_error(result)
    assert "requires >=99" in result.stderr
    (tmp_path / ".infrascan.toml").write_text("required_version = '>=0.1'\n")
    assert run("generate", str(tmp_path), "--stdout").returncode == 0


def test_check_mode(tmp_path: Path) -> None:
    make_repo(tmp_path, {"docker-compose.yml": COMPOSE})
    missing = run("generate", str(tmp_path), "--check")
    assert missing.returncode == 1 and "does not exist" in missing.stdout
    assert run("generate", str(tmp_path)).returncode == 0
    assert run("generate", str(tmp_path), "--check").returncode == 0
    (tmp_path / "docker-compose.yml").write_text(COMPOSE.replace("postgres:16", "postgres:17"))
    stale = run("generate", str(tmp_path), "--check")
    assert stale.returncode == 1
    assert "-  - Database: PostgreSQL 16" in stale.stdout and "+  - Database: PostgreSQL 17" in stale.stdout
    assert "PostgreSQL 16" in (tmp_path / "INFRASTRUCTURE.md").read_text()  # --check writes nothing


def test_strict_makes_conflicts_fail(tmp_path: Path) -> None:
    make_repo(tmp_path, {"docker-compose.yml": COMPOSE})
    assert run("generate", str(tmp_path)).returncode == 0
    doc = tmp_path / "INFRASTRUCTURE.md"
    lines = doc.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if "PostgreSQL 16" in line)
    lines[index] = lines[index].split("Database:")[0] + "Database: PostgreSQL 16 (managed by ops)"
    doc.write_text("\n".join(lines) + "\n")
    (tmp_path / "docker-compose.yml").write_text(COMPOSE.replace("postgres:16", "postgres:17"))
    normal = run("generate", str(tmp_path))
    assert normal.returncode == 0 and "conflict:" in normal.stderr and "PostgreSQL 17" in normal.stderr
    assert run("generate", str(tmp_path), "--strict").returncode == 1
    assert "(managed by ops)" in doc.read_text()
