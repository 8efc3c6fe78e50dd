"""One scan: list once, read each candidate once, run phase 1 per file and phase 2 per repository.

This module only orchestrates. It owns the two promises that no single detector can keep: a
detector that raises costs its file a diagnostic and nothing else, and every fact that leaves
here has evidence and a field the template knows.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from infrascan.catalog import load_catalog
from infrascan.config import Config
from infrascan.detector import Detector, Extraction, ResolveContext, SourceFile
from infrascan.globs import glob_regex
from infrascan.merge import Model, RepoInfo, SourceStat, build_model
from infrascan.model import Diagnostic, Fact, Severity
from infrascan.registry import Registry
from infrascan.source import FileEntry, RepoSource

Progress = Callable[[int, int, str], None]


@dataclass
class Candidate:
    entry: FileEntry
    by_name: list[Detector]
    by_content: list[Detector]


def _crash(detector: Detector, path: str, phase: str, exc: BaseException) -> Diagnostic:
    """A detector bug becomes a diagnostic naming the detector, the file and where it failed."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" ({frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno})" if frames else ""
    return Diagnostic(
        path,
        None,
        f"detector {detector.name} failed in {phase}: {type(exc).__name__}: {exc}{where}",
        Severity.ERROR,
        detector.name,
    )


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


def extract_one(detector: Detector, file: SourceFile) -> Extraction:
    try:
        result = detector.extract(file)
    except Exception as exc:  # isolation: one detector, one file (RecursionError included)
        return Extraction(diagnostics=[_crash(detector, file.path, "extract", exc)])
    return result


def run_scan(source: RepoSource, config: Config, registry: Registry, progress: Progress | None = None) -> Model:
    detectors = registry.detectors
    entries = source.files()
    diagnostics: list[Diagnostic] = list(registry.diagnostics) + list(source.diagnostics)
    results: dict[tuple[str, str], Extraction] = {}
    files_read = 0
    candidates = plan(entries, detectors)
    for index, candidate in enumerate(candidates):
        if progress:
            progress(index, len(candidates), candidate.entry.path)
        read = source.read(candidate.entry)
        diagnostics.extend(read.diagnostics)
        if read.text is None:
            continue
        files_read += 1
        chosen = list(candidate.by_name)
        for detector in candidate.by_content:
            assert detector.sniff is not None
            if detector.sniff.pattern.search(read.text[: detector.sniff.head]):
                chosen.append(detector)
        file = SourceFile(candidate.entry.path, read.text)
        for detector in chosen:
            results[(detector.name, file.path)] = extract_one(detector, file)
    if progress:
        progress(len(candidates), len(candidates), "")
    return resolve_and_merge(source, config, detectors, entries, results, diagnostics, files_read)


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
            diagnostics.append(_crash(detector, f"<{detector.name} resolve>", "resolve", exc))
    settled = tuple(facts)
    for detector in detectors:
        try:
            facts.extend(detector.conclude(ctx, settled))
        except Exception as exc:
            diagnostics.append(_crash(detector, f"<{detector.name} conclude>", "conclude", exc))
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
