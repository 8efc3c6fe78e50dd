"""From a target (path, URL, ref) to a model and a rendered document; shared by every command.

The Markdown renderer (Jinja2), the document merge and drift are imported by the functions that
use them: `scan --format json` needs none of them, and they cost it 0.05 s to import.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from infrascan.cache import Cache
from infrascan.config import Config, load_config
from infrascan.gcpause import survivors_frozen
from infrascan.links import link_function
from infrascan.merge import Model
from infrascan.phase1 import DEFAULT_TIMEOUT
from infrascan.registry import discover
from infrascan.render.view import DocumentView, build_view, slot_facts
from infrascan.scan import Progress, run_scan
from infrascan.source import RepoSource

if TYPE_CHECKING:
    from infrascan.docmerge import MergeResult
    from infrascan.document import State
    from infrascan.drift import DriftReport


@dataclass
class ScanRun:
    source: RepoSource
    config: Config
    model: Model


@dataclass
class ScanOptions:
    """How to scan, as opposed to what: caching, parallelism, progress."""

    use_cache: bool = False
    jobs: int | None = 1
    timeout: float = DEFAULT_TIMEOUT
    progress: Progress | None = None


@contextmanager
def scanned(target: str, *, ref: str | None = None, config_file: Path | None = None,
            options: ScanOptions | None = None) -> Iterator[ScanRun]:
    """Opens the repository, scans it, and cleans up (a cloned URL is removed) on exit."""
    options = options or ScanOptions()
    config_root = None if "://" in target or target.startswith("git@") else Path(target)
    config = load_config(config_root, config_file)
    source = RepoSource(target, ref=ref, max_file_size=config.max_file_size, skip=config.skip)
    cache = Cache() if options.use_cache else None
    try:
        if config_root is None and config_file is None:
            config = load_config(source.root)
        model = run_scan(source, config, discover(), options.progress, cache=cache, jobs=options.jobs,
                         timeout=options.timeout)
        with survivors_frozen():  # the model lives while the caller renders it
            yield ScanRun(source, config, model)
    finally:
        if cache is not None:
            cache.close()
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
    run: ScanRun, *, doc_path: str | None, use_permalinks: bool, template: Path | None, component: str | None = None
) -> tuple[str, DocumentView]:
    from infrascan.render.markdown import render_markdown

    view = view_of(run, doc_path=doc_path, use_permalinks=use_permalinks, component=component)
    return render_markdown(view, template), view


def view_of(run: ScanRun, *, doc_path: str | None, use_permalinks: bool, component: str | None = None) -> DocumentView:
    """The document's fields and gaps without its Markdown: what the JSON output needs."""
    link = link_function(
        doc_path,
        use_permalinks=use_permalinks,
        remote=run.source.remote_url,
        commit=run.source.commit,
        prefix=run.source.prefix,
    )
    return build_view(run.model, link, component, diagrams=run.config.diagrams)


@dataclass
class Outcome:
    """A document ready to write: merged with what exists, its state, and what the merge found."""

    text: str
    view: DocumentView
    merge: MergeResult
    existing: str | None

    @property
    def changed(self) -> bool:
        """Whether the document differs in facts or values (line moves and the commit do not count)."""
        from infrascan.document import split_state

        if self.existing is None:
            return True
        body, old_state = split_state(self.existing)
        if self.merge.state.template == "custom" or old_state is None:
            return body != self.merge.text
        return _signature(old_state) != _signature(self.merge.state) or bool(self.merge.conflicts)


def _signature(state: State) -> tuple[object, ...]:
    return (
        sorted((key, tuple(sorted(slot.facts))) for key, slot in state.slots.items()),
        sorted(state.blocks),
        sorted(state.regions.items()),
    )


def build_document(run: ScanRun, *, existing: str | None, doc_path: str | None, use_permalinks: bool,
                   template: Path | None, component: str | None = None) -> Outcome:
    """Renders the fresh document (of the repository, or of one component) and folds it into the
    existing one (or writes it whole)."""
    from infrascan.docmerge import Fresh, fresh_state, merge_document
    from infrascan.document import FactRecord, render_state, split_state

    text, view = render(run, doc_path=doc_path, use_permalinks=use_permalinks, template=template,
                        component=component)
    records = {key: [FactRecord.of(f, role) for f, role in facts] for key, facts in slot_facts(view).items()}
    fresh = Fresh(text, records, run.source.commit, "custom" if template is not None else "default", component)
    _, old_state = split_state(existing) if existing is not None else ("", None)
    whole = existing is None or template is not None or (old_state is not None and old_state.template == "custom")
    merged = fresh_state(fresh) if whole else merge_document(existing or "", fresh)
    full = merged.text.rstrip("\n") + "\n\n" + render_state(merged.state)
    return Outcome(full, view, merged, existing)


def check_drift(run: ScanRun, document_text: str, doc_path: Path, fail_on: tuple[str, ...]) -> DriftReport:
    """Drift of a document against this scan, with git history as context."""
    from infrascan.document import FactRecord, split_state
    from infrascan.drift import compute_drift, fact_hosts
    from infrascan.history import history_context

    doc_rel = document_path_in_repo(run.source.root, doc_path) or doc_path.name
    _, state = split_state(document_text)
    component = state.component if state is not None and state.component is not None else None
    _, view = render(run, doc_path=doc_rel, use_permalinks=False, template=None, component=component)
    now = {key: [FactRecord.of(f, role) for f, role in facts] for key, facts in slot_facts(view).items()}
    paths = {e.path for e in run.source.files()}
    known_hosts = fact_hosts(now)
    cache: dict[str, bool] = {}

    def host_known(host: str) -> bool:
        if host in known_hosts:
            return True
        if host not in cache:
            cache[host] = _repository_mentions(run.source, host, doc_rel)
        return cache[host]

    report = compute_drift(document_text, doc_rel, now, paths, host_known, fail_on=fail_on,
                           ignore=run.config.ignore)
    detectors = discover().detectors
    report.context = history_context(run.source, doc_rel, lambda p: any(d.claims(p) for d in detectors))
    return report


def _repository_mentions(source: RepoSource, needle: str, exclude: str) -> bool:
    """Whether any tracked file other than the document mentions `needle` (one `git grep`)."""
    if source.repo is None or source.ref:
        return False
    try:
        out = source.repo.git.execute(["git", "grep", "-l", "-F", "-I", needle, "--", source.prefix or ".",
                                       f":(exclude){source.prefix}{exclude}"], with_extended_output=False)
    except Exception:  # exit 1 means no match; anything else means we cannot tell
        return False
    return bool(str(out).strip())
