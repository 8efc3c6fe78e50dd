"""One scan: list once, read each candidate once, run phase 1 per file and phase 2 per repository.

This module only orchestrates. It owns the two promises that no single detector can keep: a
detector that raises costs its file a diagnostic and nothing else, and every fact that leaves
here has evidence and a field the template knows.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
from collections.abc import Mapping

from infrascan import aside
from infrascan.cache import Cache
from infrascan.catalog import load_catalog
from infrascan.config import Config
from infrascan.cutoff import POINTER, EarlyCutoff
from infrascan.detector import Detector, Extraction, ResolveContext
from infrascan.gcpause import collector_paused, survivors_frozen
from infrascan.globs import PatternIndex, compile_globs
from infrascan.merge import Model, RepoInfo, SourceStat, build_model
from infrascan.model import Diagnostic, Fact
from infrascan.phase1 import (
    DEFAULT_TIMEOUT,
    Candidate,
    Extractor,
    Phase1Result,
    Progress,
    crash_diagnostic,
    detector_code,
)

__all__ = ["Progress", "plan", "resolve_and_merge", "run_scan"]
from infrascan.registry import Registry
from infrascan.resolvememo import AskedContext, Resolved, ResolveMemo, Trace
from infrascan.results import ResultsEvicted
from infrascan.source import FileEntry, ReadResult, RepoSource


def plan(entries: list[FileEntry], detectors: list[Detector]) -> list[Candidate]:
    """Which detectors want which files, by name first; content sniffs are settled on reading."""
    index = PatternIndex({d.name: d.patterns for d in detectors})
    by_name = {d.name: (position, d) for position, d in enumerate(detectors)}  # names are unique (registry)
    # The index matches exactly what the base class's claims() would: only a detector that refines
    # its patterns in code is asked again.
    refines = {id(d) for d in detectors
               if getattr(d.claims, "__func__", None) is not Detector.claims or type(d)._matcher is not None}
    sniffing = [d for d in detectors if d.sniff]
    sniff_suffixes = tuple({s for d in sniffing if d.sniff for s in d.sniff.suffixes})
    by_file_name = not any("/" in s for s in sniff_suffixes)  # then a path ends with one as its name does
    sniffed: dict[tuple[object, ...], list[Detector]] = {}
    candidates = []
    for entry in entries:
        path = entry.path
        # in the registry's order
        named = [d for _, d in sorted(by_name[owner] for owner in index.owners(path))
                 if id(d) not in refines or d.claims(path)]
        sniffers: list[Detector] = []
        if sniff_suffixes and path.endswith(sniff_suffixes):
            # Settled by the suffix and the detectors claiming the name: once per file name.
            key = (path.rpartition("/")[2] if by_file_name else path, *map(id, named))
            found = sniffed.get(key)
            if found is None:
                found = sniffed[key] = [
                    d for d in sniffing if d.sniff and path.endswith(d.sniff.suffixes) and d not in named
                    and not any(n.name in d.sniff.yields_to for n in named)]
            sniffers = list(found)
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
    extractor = Extractor(config, cache, jobs, timeout)
    extractor.preread = _read_modified(source, candidates) if cache is not None else {}
    whole_key = _model_key(source, config, extractor, entries, candidates) if cache is not None else None
    cutoff: EarlyCutoff | None = None
    traces: dict[str, Trace] = {}
    read_before = 0
    if cache is not None and whole_key is not None:
        cached = _cached_model(cache, whole_key)
        if cached is not None:
            # Nothing the scan depends on changed: the same model, under this scan's commit.
            cached.repository = _repo_info(source)
            cached.files_read = 0
            return cached
        cutoff = EarlyCutoff(cache, extractor, source, config, detectors, entries, candidates)
        found, probe = cutoff.probe(progress)
        if isinstance(found, Model):
            # Files changed, but what phase 1 reads in them did not (a comment, a blank line).
            cutoff.remember(whole_key)
            cache.flush(background=True)
            found.repository = _repo_info(source)
            found.files_read = probe.files_read if probe else 0
            return found
        read_before = probe.files_read if probe else 0
        traces = ResolveMemo.load_traces(cache, cutoff.index_key, detectors)
        extractor.briefs = cutoff.briefs()
    # A first scan's results are written with its model, by the process that stores it while the
    # document renders (Cache.store_aside): 0.1 s off the single core between phase 1 and phase 2.
    # Not when phase 2 may have to run phase 1 again (the briefs' fallback below), which looks them up.
    write_later = cutoff is not None and whole_key is not None and not extractor.briefs
    phase1 = extractor.run(source, candidates, progress, write_later)
    if progress:
        progress(len(candidates), len(candidates), "")
    model: Model | None = None
    # Phase 1's results live through phase 2 and until the model is stored; a fallback (below) leaves model None.
    with survivors_frozen(), contextlib.suppress(ResultsEvicted):
        model = _phase2(source, config, detectors, entries, phase1, diagnostics, read_before, cutoff, traces)
    if model is None:
        # A result the briefs stood for is gone from the cache (evicted, or rewritten by another
        # scan): phase 1 the ordinary way, which loads or extracts every result, and phase 2 again.
        # Not frozen meanwhile: phase 1's workers freeze and unfreeze the collector themselves.
        extractor.briefs = {}
        read_before += phase1.files_read
        phase1 = extractor.run(source, candidates, None)
        if cutoff is not None:
            cutoff.reread()
    with survivors_frozen():
        if model is None:
            model = _phase2(source, config, detectors, entries, phase1, diagnostics, read_before, cutoff, traces)
        if cutoff is not None and whole_key is not None and not phase1.incomplete:
            # stored while the document renders
            cutoff.cache.store_aside(functools.partial(cutoff.remember, whole_key, model, phase1.results))
    return model


def _phase2(source: RepoSource, config: Config, detectors: list[Detector], entries: list[FileEntry],
            phase1: Phase1Result, diagnostics: list[Diagnostic], read_before: int, cutoff: EarlyCutoff | None,
            traces: dict[str, Trace]) -> Model:
    memo = _phase2_memo(cutoff, traces) if cutoff is not None and not phase1.incomplete else None
    return resolve_and_merge(source, config, detectors, entries, phase1.results, [*diagnostics, *phase1.diagnostics],
                             read_before + phase1.files_read, memo)


def _phase2_memo(cutoff: EarlyCutoff, traces: dict[str, Trace]) -> ResolveMemo | None:
    """Phase 2's cache per detector, whose answers are named by this scan's result digests (None
    when a result has none). Its other inputs are those of the model: infrascan, the configuration
    and the remote."""
    digests = cutoff.result_digests()
    if digests is None:
        return None
    inputs = "\x1f".join((cutoff.extractor.salt, cutoff.config.canonical(), cutoff.source.remote_url or ""))
    return ResolveMemo(cutoff.cache, cutoff.index_key, inputs, digests, traces)


def _cached_model(cache: Cache, key: str) -> Model | None:
    """The model stored for these inputs: directly, or through the pointer to the key of its results."""
    cached = cache.get_many([key]).get(key)
    if isinstance(cached, tuple) and len(cached) == 2 and cached[0] == POINTER:
        cached = cache.get_many([cached[1]]).get(cached[1])
    return cached if isinstance(cached, Model) else None


# Files modified in the work tree have no blob id in the listing; up to this many are hashed before
# phase 1 so that the model cache still applies (a directory outside git, where every file would
# have to be, is scanned without it, as before).
MAX_NAMED = 256


def _read_modified(source: RepoSource, candidates: list[Candidate]) -> dict[str, ReadResult]:
    """The candidates the listing could not name (modified, untracked), read now: their blob ids
    name them in the model's key, and phase 1 extracts these very reads."""
    unnamed = [c.entry for c in candidates if not c.entry.blob]
    if not unnamed or len(unnamed) > MAX_NAMED:
        return {}
    reads = {}
    for entry in unnamed:
        read = source.read(entry)
        if read.blob is None:
            return {}  # unreadable: the scan goes without the model cache, as before
        reads[entry.path] = read
    return reads


def _model_key(source: RepoSource, config: Config, extractor: Extractor, entries: list[FileEntry],
               candidates: list[Candidate]) -> str | None:
    """What the whole model depends on: every path (phase 2 reads the listing), every candidate's
    content, every detector's code, the configuration and infrascan itself. None when a candidate's
    content cannot be named (then phase 1's per-file cache still applies)."""
    parts = [extractor.salt, config.canonical(), source.remote_url or ""]
    codes: dict[int, str] = {}  # each detector's part, made once (a monorepo has thousands of candidates)
    for cand in candidates:
        blob = extractor.blob_of(cand)
        if not blob:
            return None
        parts.append(f"{cand.entry.path}\0{blob}\0")
        for det in (*cand.by_name, *cand.by_content):
            code = codes.get(id(det))
            if code is None:
                code = codes[id(det)] = detector_code(det) + "\0"
            parts.append(code)
    parts.append("\0".join(entry.path for entry in entries))
    parts.append("\0" if entries else "")
    # One update of the whole text hashes the same bytes as one update per piece did.
    return "model:" + hashlib.sha256("".join(parts).encode()).hexdigest()


def _field_files(detector: Detector, paths: list[str]) -> dict[str, int]:
    """Per field the detector looks for in some of its files only, how many of those it read."""
    counts = {}
    for field_id, globs in detector.looks_in.items():
        matches = compile_globs(globs)
        counts[field_id] = sum(1 for path in paths if matches(path))
    return counts


def _repo_info(source: RepoSource) -> RepoInfo:
    return RepoInfo(source.root.name, source.commit, source.ref, source.remote_url, source.is_git)


def resolve_and_merge(
    source: RepoSource,
    config: Config,
    detectors: list[Detector],
    entries: list[FileEntry],
    results: Mapping[tuple[str, str], Extraction],
    diagnostics: list[Diagnostic],
    files_read: int,
    memo: ResolveMemo | None = None,
) -> Model:
    """Phase 2 over phase 1's results, then the merge. With `memo`, a detector whose questions have
    the answers they had in an earlier scan gives what it gave then, without resolving."""
    catalog = load_catalog()
    paths = [e.path for e in entries]
    ctx = ResolveContext(paths, results, config, catalog, remote_url=source.remote_url, store=memo)
    facts: list[Fact] = []
    for _, brief in ctx.results().briefs():  # without loading a result left in the cache (results.py)
        facts.extend(brief.facts)
        diagnostics.extend(brief.diagnostics)
    recalled = memo.recall(detectors, ctx) if memo is not None else {}

    def resolve(detector: Detector) -> aside.Outcome:
        """One detector's facts, and the diagnostics it reported (a crash is one), which are in
        `ctx.diagnostics` too."""
        asked = AskedContext(ctx) if memo is not None else ctx
        before = len(ctx.diagnostics)
        try:
            found = list(detector.resolve(asked))
        except ResultsEvicted:
            raise
        except Exception as exc:
            ctx.diagnostics.append(crash_diagnostic(detector, f"<{detector.name} resolve>", "resolve", exc))
            return [], ctx.diagnostics[before:]
        if memo is not None and isinstance(asked, AskedContext):
            memo.keep(detector, asked, Resolved(found, ctx.diagnostics[before:]))
        return found, ctx.diagnostics[before:]

    outcomes: dict[str, aside.Outcome] = {}  # what each detector gave, wherever it was resolved
    elsewhere: set[str] = set()  # recalled or resolved aside: their diagnostics are not in ctx's yet
    cache = memo.cache if memo is not None else None
    away = aside.chosen([d for d in detectors if d.name not in recalled], ctx)
    child = aside.start(away, resolve, cache) if away is not None else None
    try:
        for detector in detectors:
            known = recalled.get(detector.name)
            if known is not None:
                outcomes[detector.name] = known.facts, known.diagnostics
                elsewhere.add(detector.name)
            elif child is None or detector is not child.detector:
                outcomes[detector.name] = resolve(detector)
    finally:
        got = child.outcome(cache) if child is not None else None
    if child is not None:
        if got is not None:
            elsewhere.add(child.detector.name)
        outcomes[child.detector.name] = got if got is not None else resolve(child.detector)
    for detector in detectors:  # in the detectors' order, wherever each was resolved
        found, reported = outcomes[detector.name]
        facts.extend(found)
        if detector.name in elsewhere:
            ctx.diagnostics.extend(reported)
    templates: dict[str, str] = {}
    for detector in detectors:
        try:
            templates.update(detector.templates(ctx))
        except ResultsEvicted:
            raise
        except Exception as exc:
            diagnostics.append(crash_diagnostic(detector, f"<{detector.name} templates>", "templates", exc))
    settled = tuple(facts)
    for detector in detectors:
        try:
            facts.extend(detector.conclude(ctx, settled))
        except ResultsEvicted:
            raise
        except Exception as exc:
            diagnostics.append(crash_diagnostic(detector, f"<{detector.name} conclude>", "conclude", exc))
    diagnostics.extend(ctx.diagnostics)
    counts = {d.name: d.counted(ctx.paths(d.name)) for d in detectors}
    sources = [SourceStat(d.name, d.description, counts[d.name], dict(d.looks_for), dict(d.looks_in),
                          _field_files(d, ctx.paths(d.name))) for d in detectors]
    repo = _repo_info(source)
    with collector_paused():  # every fact made here lives in the model: a collection would free nothing
        return build_model(
            facts,
            diagnostics,
            paths=paths,
            catalog=catalog,
            aliases=config.environment_aliases,
            sources=sources,
            repository=repo,
            files_read=files_read,
            templates=templates,
        )
