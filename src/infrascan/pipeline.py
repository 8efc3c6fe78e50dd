"""From a target (path, URL, ref) to a model and a rendered document; shared by every command."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from infrascan.config import Config, load_config
from infrascan.links import link_function
from infrascan.merge import Model
from infrascan.registry import discover
from infrascan.render.markdown import render_markdown
from infrascan.render.view import DocumentView, build_view
from infrascan.scan import Progress, run_scan
from infrascan.source import RepoSource


@dataclass
class ScanRun:
    source: RepoSource
    config: Config
    model: Model


@contextmanager
def scanned(
    target: str, *, ref: str | None = None, config_file: Path | None = None, progress: Progress | None = None
) -> Iterator[ScanRun]:
    """Opens the repository, scans it, and cleans up (a cloned URL is removed) on exit."""
    config_root = None if "://" in target or target.startswith("git@") else Path(target)
    config = load_config(config_root, config_file)
    source = RepoSource(target, ref=ref, max_file_size=config.max_file_size, skip=config.skip)
    try:
        if config_root is None and config_file is None:
            config = load_config(source.root)
        model = run_scan(source, config, discover(), progress)
        yield ScanRun(source, config, model)
    finally:
        source.close()


def document_path_in_repo(root: Path, output: Path | None) -> str | None:
    """Where the document sits relative to the repository root (None when it is outside)."""
    if output is None:
        return "INFRASTRUCTURE.md"
    try:
        return Path(os.path.abspath(output)).relative_to(root).as_posix()
    except ValueError:
        return None


def render(
    run: ScanRun, *, doc_path: str | None, use_permalinks: bool, template: Path | None
) -> tuple[str, DocumentView]:
    link = link_function(
        doc_path,
        use_permalinks=use_permalinks,
        remote=run.source.remote_url,
        commit=run.source.commit,
        prefix=run.source.prefix,
    )
    view = build_view(run.model, link)
    return render_markdown(view, template), view
