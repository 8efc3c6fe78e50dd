"""Replaying an unchanged run: fast, identical, and never taken for a fresh scan when anything changed."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import git
import pytest
from helpers import git_repo

from infrascan import replay

NOTE = "repeated that run's output"
COMPOSE = "services:\n  db:\n    image: postgres:16\n"


def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "infrascan", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120, env=env)


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, git.Repo]:
    root = tmp_path / "shop"
    handle = git_repo(root)
    (root / "docker-compose.yml").write_text(COMPOSE)
    (root / ".env.example").write_text("SENTRY_DSN=\n")
    handle.git.add(A=True)
    handle.index.commit("app")
    assert run("generate", str(root)).returncode == 0
    handle.git.add(A=True)
    handle.index.commit("docs")
    return root, handle


def twice(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess[str], ...]:
    """The run that records, then the one that may replay."""
    return run(*args, env=env), run(*args, env=env)


def test_an_unchanged_rerun_repeats_stdout_stderr_and_exit_code_and_says_so(repo: tuple[Path, git.Repo]) -> None:
    root, _ = repo
    (root / "INFRASTRUCTURE.md").write_text((root / "INFRASTRUCTURE.md").read_text()
                                            .replace("## CI/CD Pipeline\n", "## CI/CD Pipeline\n\nWe use Jenkins.\n"))
    for args in (("drift", str(root)), ("drift", str(root), "--format", "sarif"), ("scan", str(root)),
                 ("generate", str(root), "--check"), ("generate", str(root), "--stdout")):
        first, second = twice(*args)
        assert NOTE not in first.stderr and NOTE in second.stderr, args
        assert (second.returncode, second.stdout) == (first.returncode, first.stdout), args
        assert second.stderr.replace(second.stderr.splitlines()[-1] + "\n", "") == first.stderr, args
    assert run("drift", str(root)).returncode == 1  # the Jenkins claim is contradicted, replayed or not
    quiet = run("drift", str(root), "--quiet")
    assert NOTE not in run("drift", str(root), "--quiet").stderr and quiet.returncode == 1


@pytest.mark.parametrize("change", ["commit", "edit tracked", "add untracked", "edit document", "new remote",
                                    "edit ignored document", "config"])
def test_any_change_the_output_depends_on_means_a_fresh_scan(repo: tuple[Path, git.Repo], change: str) -> None:
    root, handle = repo
    if change == "edit ignored document":
        (root / ".gitignore").write_text("INFRASTRUCTURE.md\n")
        handle.index.remove(["INFRASTRUCTURE.md"], cached=True)
        handle.git.add(A=True)
        handle.index.commit("ignore the document")
    twice("drift", str(root))
    if change == "commit":
        (root / "docker-compose.yml").write_text(COMPOSE.replace("postgres:16", "postgres:17"))
        handle.git.add(A=True)
        handle.index.commit("postgres 17")
    elif change == "edit tracked":
        (root / "docker-compose.yml").write_text(COMPOSE.replace("postgres:16", "postgres:17"))
    elif change == "add untracked":
        (root / "Dockerfile").write_text("FROM python:3.12-slim\n")
    elif change in ("edit document", "edit ignored document"):
        doc = root / "INFRASTRUCTURE.md"
        doc.write_text(doc.read_text().replace("PostgreSQL 16", "PostgreSQL 15", 1))
    elif change == "new remote":
        handle.create_remote("origin", "https://github.com/acme/shop.git")
    elif change == "config":
        (root / ".infrascan.toml").write_text("[drift]\nfail_on = ['gaps']\n")
    after = run("drift", str(root))
    assert NOTE not in after.stderr, change
    if change not in ("new remote", "add untracked"):
        assert after.returncode == 1, (change, after.stdout)


def test_a_run_that_wrote_is_not_recorded_and_the_next_one_is(repo: tuple[Path, git.Repo]) -> None:
    root, _ = repo
    (root / "docker-compose.yml").write_text(COMPOSE.replace("postgres:16", "postgres:17"))
    wrote = run("generate", str(root))
    assert "wrote" in wrote.stderr
    unchanged = run("generate", str(root))
    assert "unchanged" in unchanged.stderr and NOTE not in unchanged.stderr
    replayed = run("generate", str(root))
    assert "unchanged" in replayed.stderr and NOTE in replayed.stderr


def test_never_replayed(repo: tuple[Path, git.Repo], tmp_path: Path) -> None:
    root, _ = repo
    for args in (("drift", str(root), "--no-cache"), ("generate", str(root), "--stdout", "--ref", "HEAD")):
        assert NOTE not in twice(*args)[1].stderr, args
    summary = tmp_path / "summary.md"
    env = {**os.environ, "GITHUB_STEP_SUMMARY": str(summary)}
    twice("drift", str(root), env=env)
    assert summary.read_text().count("infrascan drift") == 2  # both runs appended their summary
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "docker-compose.yml").write_text(COMPOSE)
    assert NOTE not in twice("generate", str(plain), "--stdout")[1].stderr  # not a git repository


@pytest.mark.parametrize(("argv", "expected"), [
    (["generate"], (".", [])),
    (["-q", "drift", "repo", "--doc", "d.md", "--format=json"], ("repo", ["d.md"])),
    (["generate", "x", "-o", "out.md", "--template", "t.j2", "-j", "2"], ("x", ["out.md", "t.j2"])),
    (["generate", "https://github.com/acme/shop.git", "--stdout"], None),
    (["generate", "--ref", "main"], None),
    (["generate", "--per-component"], None),
    (["generate", "--no-cache"], None),
    (["generate", "--help"], None),
    (["generate", "-qv"], None),  # unknown to the parser here: never guess
    (["generate", "a", "b"], None),
    (["detectors"], None),
    ([], None),
])
def test_which_command_lines_are_replayable(argv: list[str], expected: tuple[str, list[str]] | None) -> None:
    assert replay._parse(argv) == expected


def test_a_record_is_invalid_once_a_code_file_or_an_input_changed(tmp_path: Path) -> None:
    code, doc = tmp_path / "module.py", tmp_path / "INFRASTRUCTURE.md"
    code.write_text("x = 1\n")
    doc.write_text("# doc\n")
    record = {"code_files": [(str(code), replay._stat(str(code)))], "inputs": [(str(doc), replay._digest(doc))]}
    assert replay._still_valid(record)
    doc.write_text("# doc, edited\n")
    assert not replay._still_valid(record)
    doc.write_text("# doc\n")
    assert replay._still_valid(record)
    os.utime(code, ns=(1, 1))
    assert not replay._still_valid(record)


def _recorded(root: Path, argv: list[str], settle: bool, edit: bool, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Whether a run of `argv` is recorded when a tracked file is edited before it ends, after it
    said (or without its saying) that it reads no more of the repository."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(root.parent / "cache"))
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.delenv("INFRASCAN_REPLAY", raising=False)
    key = replay.run_key(argv)
    assert key is not None
    monkeypatch.setattr(replay, "_recording", None)  # restored after the test, with `_after`
    monkeypatch.setattr(replay, "_after", None)
    replay.watch(argv)
    if settle:
        replay.settled()
        assert replay._after is not None
        for process in replay._after.git.started:  # the state is taken: its git commands have run
            assert process is not None
            process.wait()
    if edit:
        (root / "docker-compose.yml").write_text(COMPOSE.replace("postgres:16", "postgres:17"))
    out, err = replay.Tee(io.StringIO()), replay.Tee(io.StringIO())
    out.write("{}")
    replay.record(key, argv, out, err, 0)
    from infrascan.cache import Cache

    cache = Cache()
    found = f"run:{key}" in cache.get_many([f"run:{key}"])
    cache.close()
    return found


@pytest.mark.parametrize(("settle", "edit", "kept"), [(True, True, True), (False, True, False), (True, False, True),
                                                      (False, False, True)])
def test_the_state_after_a_run_is_taken_when_it_is_done_with_the_repository(
        repo: tuple[Path, git.Repo], monkeypatch: pytest.MonkeyPatch, settle: bool, edit: bool, kept: bool) -> None:
    """A file edited once a printing command has read everything does not change what it printed:
    the run is recorded. Without that word (a `generate` that writes), the edit comes before the
    end of the run and the run is not recorded: its output may not be the repository's."""
    root, _ = repo
    assert _recorded(root, ["scan", str(root)], settle, edit, monkeypatch) is kept


def test_installing_or_reinstalling_a_plugin_changes_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the key names the distributions on sys.path, not their entry points (which cost a fifth of a
    # replayed run to read): a plugin installed, or reinstalled with other entry points, is seen
    from infrascan.replay import _distributions

    monkeypatch.setattr(sys, "path", [str(tmp_path)])
    before = _distributions.__wrapped__()
    plugin = tmp_path / "acme_detectors-1.0.dist-info"
    plugin.mkdir()
    (plugin / "entry_points.txt").write_text("[infrascan.detectors]\nacme = acme:Detector\n")
    installed = _distributions.__wrapped__()
    assert installed != before
    os.utime(plugin / "entry_points.txt", ns=(1, 1))
    assert _distributions.__wrapped__() != installed

