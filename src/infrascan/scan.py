"""One scan: list once, read each candidate once, run phase 1 per file and phase 2 per repository.

This module only orchestrates. It owns the two promises that no single detector can keep: a
detector that raises costs its file a diagnostic and nothing else, and every fact that leaves
here has evidence and a field the template knows.
"""

from __future__ import annotations

import re

from infrascan.cache import Cache
from infrascan.catalog import load_catalog
from infrascan.config import Config
from infrascan.detector import Detector, Extraction, ResolveContext
from infrascan.globs import glob_regex
from infrascan.merge import Model, RepoInfo, SourceStat, build_model
from infrascan.model import Diagnostic, Fact
from infrascan.phase1 import DEFAULT_TIMEOUT, Candidate, Extractor, Progress, crash_diagnostic

__all__ = ["Progress", "plan", "resolve_and_merge", "run_scan"]
from infrascan.registry import Registry
from infrascan.source import FileEntry, RepoSource


def plan(entries: list[FileEntry], detectors: list[Detector]) -> list[Candidate]:
    """Which detectors want which files, by name first; content sniffs are settled on reading."""
    prefilter = re.compile("|".join(f"(?:{glob_regex(d.patterns)})" for d in detectors if d.patterns) or "(?!)")
    sniff_suffixes = tuple({s for d in detectors if d.sniff for s in d.sniff.suffixes})
    candidates = []
    for entry in entries:
        path = entry.path
        named = [d for d in detectors if d.claims(path)] if prefilter.match(path) else []
        sniffers = []
        if sniff_suffixes and path.endswith(sniff_suffixes):
            sniffers = [d for d in detectors if d.sniff and path.endswith(d.sniff.suffixes) and d not in named]
        if named or sniffers:
            candidates.append(Candidate(entry, named, sniffers))
    return candidates


def run_scan(source: RepoSource, config: Config, registry: Registry, progress: Progress | None = None, *,
             cache: Cache | None = None, jobs: int | None = 1, timeout: float = DEFAULT_TIMEOUT) -> Model:
    """Phase 1 over every candidate (cached, maybe parallel), then phase 2 and the merge."""
    detectors = registry.detectors
    entries = source.files()
    diagnostics: list[Diagnostic] = list(registry.diagnostics) + list(source.diagnostics)
    candidates = plan(entries, detectors)
    phase1 = Extractor(config, cache, jobs, timeout).run(source, candidates, progress)
    if progress:
        progress(len(candidates), len(candidates), "")
    diagnostics.extend(phase1.diagnostics)
    return resolve_and_merge(source, config, detectors, entries, phase1.results, diagnostics, phase1.files_read)


def resolve_and_merge(
    source: RepoSource,
    config: Config,
    detectors: list[Detector],
    entries: list[FileEntry],
    results: dict[tuple[str, str], Extraction],
    diagnostics: list[Diagnostic],
    files_read: int,
) -> Model:
    catalog = load_catalog()
    facts: list[Fact] = []
    for extraction in results.values():
        facts.extend(extraction.facts)
        diagnostics.extend(extraction.diagnostics)
    paths = [e.path for e in entries]
    ctx = ResolveContext(paths, results, config, catalog, remote_url=source.remote_url)
    for detector in detectors:
        try:
            facts.extend(detector.resolve(ctx))
        except Exception as exc:
            diagnostics.append(crash_diagnostic(detector, f"<{detector.name} resolve>", "resolve", exc))
    settled = tuple(facts)
    for detector in detectors:
        try:
            facts.extend(detector.conclude(ctx, settled))
        except Exception as exc:
            diagnostics.append(crash_diagnostic(detector, f"<{detector.name} conclude>", "conclude", exc))
    diagnostics.extend(ctx.diagnostics)
    counts = {d.name: len(ctx.paths(d.name)) for d in detectors}
    sources = [SourceStat(d.name, d.description, counts[d.name], dict(d.looks_for)) for d in detectors]
    repo = RepoInfo(source.root.name, source.commit, source.ref, source.remote_url, source.is_git)
    return build_model(
        facts,
        diagnostics,
        paths=paths,
        catalog=catalog,
        aliases=config.environment_aliases,
        sources=sources,
        repository=repo,
        files_read=files_read,
    )
