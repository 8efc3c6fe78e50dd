"""Helpers for tests: build a repository from a dict, scan it in-process, look at the result."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import git

from infrascan.config import load_config
from infrascan.merge import Model
from infrascan.model import Fact
from infrascan.pipeline import ScanRun, render
from infrascan.registry import discover
from infrascan.render.view import DocumentView
from infrascan.scan import run_scan
from infrascan.source import RepoSource

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).parent.parent


@dataclass
class Scanned:
    model: Model
    markdown: str
    view: DocumentView


def git_repo(root: Path) -> git.Repo:
    """A new git repository at `root` with a committer identity (CI machines often have none)."""
    root.mkdir(parents=True, exist_ok=True)
    repo = git.Repo.init(root)
    with repo.config_writer() as cfg:
        cfg.set_value("user", "name", "Test")
        cfg.set_value("user", "email", "test@example.invalid")
    return repo


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def scan_dir(root: Path) -> Scanned:
    config = load_config(root)
    source = RepoSource(root, max_file_size=config.max_file_size, skip=config.skip)
    try:
        model = run_scan(source, config, discover())
        markdown, view = render(ScanRun(source, config, model), doc_path="INFRASTRUCTURE.md", use_permalinks=False,
                                template=None)
    finally:
        source.close()
    return Scanned(model, markdown, view)


def scan_tree(tmp_path: Path, files: dict[str, str | bytes]) -> Scanned:
    """Writes `files` under a fresh directory and scans it (no git)."""
    root = tmp_path / "repo"
    root.mkdir(exist_ok=True)
    write_tree(root, files)
    return scan_dir(root)


def generated(root: Path) -> str:
    """The document `generate` writes for the repository at `root`, with no document there before
    (its visible text: the hidden state comment repeats every fact's text)."""
    from infrascan.pipeline import build_document, scanned

    with scanned(str(root)) as run:
        return build_document(run, existing=None, doc_path="INFRASTRUCTURE.md", use_permalinks=False,
                              template=None).merge.text


def fixture_text(*parts: str) -> str:
    return FIXTURES.joinpath(*parts).read_text(encoding="utf-8")


def fixture_tree(*parts: str) -> dict[str, str | bytes]:
    """Every file under a fixture folder, by its path inside it: a small repository to scan."""
    root = FIXTURES.joinpath(*parts)
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*"))
            if p.is_file()}


def facts_for(model: Model, field: str, env: str | None = None, service: str | None = None) -> list[Fact]:
    return [f for f in model.facts if f.field == field and (env is None or f.env == env)
            and (service is None or f.service == service)]


def texts(facts: list[Fact]) -> list[str]:
    return [f.text for f in facts]


def diagnostics_for(model: Model, path: str) -> list[str]:
    return [d.message for d in model.diagnostics if d.path == path]


def no_git_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("GIT_DIR", None)
    return env
