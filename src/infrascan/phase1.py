"""Phase 1 at scale: cached by content, parallel when it pays, bounded in time per file.

For each candidate file: if its blob id is known (git) and every detector that wants it has a
cached result, the file is not read at all. Otherwise it is read once (which also names its
content), looked up again, and whatever is still missing is extracted: in this process when the
estimated work is small, in worker processes when it is not (worker start-up costs about 0.1 s,
so below about half a second of work it would cost more than it saves). Results are merged by
(detector, path), so the output does not depend on the number of workers. A parse that runs past
the per-file time limit is abandoned with a diagnostic.
"""

from __future__ import annotations

import gc
import hashlib
import inspect
import os
import pickle
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from infrascan import __version__
from infrascan.cache import Cache, entry_key
from infrascan.catalog import load_catalog
from infrascan.config import Config
from infrascan.detector import Detector, Extraction, SourceFile
from infrascan.model import Diagnostic, Severity
from infrascan.results import Brief, Deferred, Results, ResultsEvicted
from infrascan.source import FileEntry, ReadResult, RepoSource

DEFAULT_TIMEOUT = 10.0
PARALLEL_THRESHOLD = 0.5  # seconds of estimated work
# Seconds of extraction per byte, by file kind, and per file and detector (measured on the
# benchmark monorepo: Terraform through hcl2 about 3.1 s/MB, YAML, Dockerfiles and env files
# through their detectors 0.1-0.7 s/MB, plus a fixed cost per file).
_COST_PER_BYTE = {".tf": 3.3e-6, ".tofu": 3.3e-6, ".hcl": 3.3e-6, ".tfvars": 3.3e-6}
_DEFAULT_COST = 3e-7
_COST_PER_FILE = 1e-4
BATCH_COST = 0.05  # seconds of estimated work per task sent to a worker
SOURCE = "__source__"
# What reading a file found: whether it is text, the read's diagnostics, which sniffers claimed it.
SourceRead = tuple[bool, list[Diagnostic], tuple[str, ...]]
# A candidate as the last scan's briefs describe it: what reading it found, and each detector's
# result as (detector, the digest of its stored entry, its brief).
Briefed = tuple[SourceRead, list[tuple[Detector, str, Brief]]]

Progress = Callable[[int, int, str], None]


@dataclass
class Candidate:
    entry: FileEntry
    by_name: list[Detector]
    by_content: list[Detector]


@dataclass
class Phase1Result:
    results: Results = field(default_factory=Results)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files_read: int = 0
    cache_hits: int = 0
    # A worker died: the files it took down have a diagnostic in place of their results, which is
    # not what they hold, so neither those results nor a model built on them may be cached.
    incomplete: bool = False


class ParseTimeout(Exception):
    pass


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupts pure-Python parsing that runs past `seconds` (main thread only: POSIX signals)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise ParseTimeout()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def crash_diagnostic(detector: Detector, path: str, phase: str, exc: BaseException) -> Diagnostic:
    """A detector bug as a diagnostic naming the detector, the file and where it failed."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" ({frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno})" if frames else ""
    return Diagnostic(path, None, f"detector {detector.name} failed in {phase}: {type(exc).__name__}: {exc}{where}",
                      Severity.ERROR, detector.name)


def extract_one(detector: Detector, file: SourceFile, timeout: float) -> Extraction:
    """One detector on one file, isolated: a crash or a timeout costs a diagnostic, never the scan."""
    try:
        detector.prepare()
        with time_limit(timeout):
            return detector.extract(file)
    except ParseTimeout:
        return Extraction(diagnostics=[Diagnostic(
            file.path, None, f"detector {detector.name} took longer than {timeout:g} s; abandoned this file",
            Severity.ERROR, detector.name)])
    except Exception as exc:  # RecursionError and MemoryError included
        return Extraction(diagnostics=[crash_diagnostic(detector, file.path, "extract", exc)])


def _sniffed(detector: Detector, text: str) -> bool:
    sniff = detector.sniff
    assert sniff is not None
    head = text[: sniff.head]
    if sniff.needles and not any(needle in head for needle in sniff.needles):
        return False
    return bool(sniff.pattern.search(head)) and not (sniff.unless and sniff.unless.search(head))


def sniffs(sniffers: list[Detector], text: str) -> tuple[str, ...]:
    """The detectors, of those that look for their files by content, that claim this text."""
    return tuple(d.name for d in sniffers if _sniffed(d, text))


def run_file(detectors: list[Detector], file: SourceFile, timeout: float) -> dict[str, Extraction]:
    """Every detector that claimed the file, on it."""
    return {detector.name: extract_one(detector, file, timeout) for detector in detectors}


_FINGERPRINTS: dict[str, str] = {}


def engine_fingerprint() -> str:
    """A hash of infrascan's own code and data: phase 1 uses the shared loader, classifier and
    variable vocabulary, so a change there must not be served from results the old code cached."""
    if "__engine__" not in _FINGERPRINTS:
        package = Path(__file__).parent
        digest = hashlib.sha256()
        for path in sorted(package.rglob("*")):
            if path.suffix in (".py", ".yaml", ".json", ".j2") and "detectors" not in path.relative_to(package).parts:
                digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
        _FINGERPRINTS["__engine__"] = digest.hexdigest()[:16]
    return _FINGERPRINTS["__engine__"]


def detector_code(detector: Detector) -> str:
    """A detector as cache keys name it: name, version and a hash of its code."""
    return f"{detector.name}:{detector.version}:{code_fingerprint(type(detector))}"


def code_fingerprint(cls: type) -> str:
    """A hash of the detector's code (its package's modules, so helpers it imports count too): a
    plugin that changes its code without bumping its version never gets its old code's results."""
    name = f"{cls.__module__}.{cls.__qualname__}"
    if name not in _FINGERPRINTS:
        try:
            source = inspect.getsourcefile(cls)
            module = sys.modules.get(cls.__module__)
            in_package = bool(module is not None and module.__package__ and "." in cls.__module__)
            if not source:
                files: list[Path] = []
            else:
                files = sorted(Path(source).parent.glob("*.py")) if in_package else [Path(source)]
            _FINGERPRINTS[name] = _files_digest(tuple((path, _stat_key(path)) for path in files))
        except (OSError, TypeError):
            _FINGERPRINTS[name] = ""
    return _FINGERPRINTS[name]


def _stat_key(path: Path) -> tuple[int, ...]:
    st = path.stat()
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


@lru_cache(maxsize=64)
def _files_digest(files: tuple[tuple[Path, tuple[int, ...]], ...]) -> str:
    """The hash of these files' names and contents; keyed by their stat too, so the detectors of
    one package (each hashing the whole package) read and hash it once, and an edited file is read again."""
    digest = hashlib.sha256()
    for path, _ in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


# -- worker processes ---------------------------------------------------------------------------

_WORKER_DETECTORS: dict[str, Detector] = {}


def _worker_init() -> None:
    from infrascan.registry import discover

    gc.enable()  # a forked worker inherits the parent's paused collector

    _WORKER_DETECTORS.update({d.name: d for d in discover().detectors})


def _worker_batch(files: list[tuple[list[str], str, str]], timeout: float) -> list[dict[str, bytes]]:
    """Each file's outputs, pickled here: the parent stores these very bytes in the cache, so the
    pickling is done in parallel and only once."""
    if not _WORKER_DETECTORS:
        _worker_init()
    outputs = []
    for names, path, text in files:
        detectors = [_WORKER_DETECTORS[n] for n in names if n in _WORKER_DETECTORS]
        output = run_file(detectors, SourceFile(path, text), timeout)
        outputs.append({name: pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL) for name, value in output.items()})
    return outputs


def _estimate(path: str, detectors: int, text: str) -> float:
    """Seconds this file is likely to take: decides whether workers pay off, and balances batches."""
    per_byte = _COST_PER_BYTE.get(os.path.splitext(path)[1], _DEFAULT_COST)
    return (len(text) * per_byte + _COST_PER_FILE) * max(1, detectors)


# -- the driver ---------------------------------------------------------------------------------


class Extractor:
    def __init__(self, config: Config, cache: Cache | None, jobs: int | None = None,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        self.config = config
        self.cache = cache
        self.jobs = max(1, jobs or os.cpu_count() or 1)
        self.timeout = timeout
        self.salt = "\x1f".join((__version__, engine_fingerprint(), load_catalog().digest, config.fingerprint()))
        self._keys: dict[tuple[str, str, str], str] = {}
        self._source_keys: dict[tuple[str, str], str] = {}
        # Files the scan already read (to name modified files by their content): phase 1 uses these
        # reads, so what was named is what is extracted, and nothing is read twice.
        self.preread: dict[str, ReadResult] = {}
        # What reading each candidate found, as this scan found or loaded it (whether it is text,
        # and which content-sniffing detectors claimed it: the early cutoff names results by it).
        self.sources: dict[str, SourceRead] = {}
        # The last scan's briefs of its results, by (detector or SOURCE, path, blob), each with the
        # digest of the stored entry it describes (the early cutoff's): a candidate they all cover
        # is not looked up, and its results are loaded only when phase 2 reads their records.
        self.briefs: dict[tuple[str, str, str], tuple[str, Any]] = {}
        # The candidates whose results the last run took from those briefs.
        self.from_briefs: set[str] = set()
        self._detectors: dict[str, Detector] = {}  # by name: the detectors of those results

    def key(self, detector: Detector, path: str, blob: str) -> str:
        """Content and path: results cite their file, so two identical Dockerfiles are two entries.
        Memoised: each key is wanted when looking up and again when storing."""
        known = self._keys.get((detector.name, path, blob))
        if known is None:
            known = entry_key(detector_code(detector), self.salt, path, blob)
            self._keys[(detector.name, path, blob)] = known
        return known

    def named(self, path: str) -> str | None:
        """The blob id of a file the listing could not name, from the scan's read of it."""
        read = self.preread.get(path)
        return read.blob if read else None

    def source_key(self, cand: Candidate, blob: str) -> str:
        """What reading the file found: readable or not (with why), and which of the detectors that
        sniff its kind of file claim it. One entry per file rather than one per sniffer: on the
        benchmark monorepo sniffers declined 22,800 times, and loading those entries was half of
        what a changed scan loads. Keyed by the content and by those sniffers' code, and by the path:
        a read's diagnostics (undecodable bytes, binary content) name their file."""
        path = cand.entry.path
        known = self._source_keys.get((path, blob))  # one candidate per path in a scan: the same sniffers
        if known is None:
            sniffers = "\0".join(detector_code(d) for d in cand.by_content)
            known = self._source_keys[(path, blob)] = entry_key(SOURCE, self.salt, path, blob, sniffers)
        return known

    def extracting(self, cand: Candidate, claims: tuple[str, ...]) -> list[Detector]:
        """The detectors that extract this file: those that want it by name and the sniffers that
        claimed it (read-only: most files no sniffer claims, and their list is the candidate's own)."""
        if not claims:
            return cand.by_name
        return [*cand.by_name, *(d for d in cand.by_content if d.name in claims)]

    def extracted(self, cand: Candidate) -> list[Detector] | None:
        """The detectors with a result for this candidate in this scan: none for a file that could
        not be read; None when phase 1 has not seen it."""
        read = self.sources.get(cand.entry.path)
        return None if read is None else self._with_results(cand, read)

    def _with_results(self, cand: Candidate, read: SourceRead) -> list[Detector]:
        """The detectors with a result for a candidate, given what reading it found."""
        return self.extracting(cand, read[2]) if read[0] else []

    def blob_of(self, cand: Candidate) -> str | None:
        """A candidate's blob id: from the listing, or from the scan's read of a file the listing
        could not name (modified in the work tree)."""
        return cand.entry.blob or self.named(cand.entry.path)

    def run(self, source: RepoSource, candidates: list[Candidate], progress: Progress | None,
            write_later: bool = False) -> Phase1Result:
        """Phase 1 over these candidates. Everything the parent makes here (briefs taken, texts,
        cached and returned results) lives on through phase 2, and none of it forms garbage cycles:
        collections would only walk it again and again (on a warm monorepo scan they cost more than
        unpickling the cached results). So the collector is paused throughout, and what the run
        made is left frozen when it resumes: the first collection after the pause would otherwise
        walk every object made meanwhile (0.14 s on a cold monorepo scan). The scan unfreezes it
        with what phase 2 made (`survivors_frozen`). Extraction in this process (small scans,
        --jobs 1) collects as usual: parsers do make cycles. With `write_later`, what the run puts in
        the cache waits for the scan's last write (Cache.store_aside), for a scan that reads none of
        it back before."""
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._run(source, candidates, progress, collecting, write_later)
        finally:
            if collecting:
                gc.freeze()
                gc.enable()

    def _run(self, source: RepoSource, candidates: list[Candidate], progress: Progress | None,
             collecting: bool, write_later: bool) -> Phase1Result:
        result = Phase1Result(Results(fetch=self._fetch))
        work = _Work(self.jobs, self.timeout, len(candidates), progress, collecting)
        pending: list[tuple[Candidate, list[Detector], str]] = []  # candidate, its detectors, blob
        try:
            briefed = {c.entry.path: found for c in candidates if (found := self._briefed(c)) is not None}
            self.from_briefs = set(briefed)
            cached = self._lookup([c for c in candidates if c.entry.path not in briefed])
            for cand in candidates:
                if cand.entry.path in briefed:
                    self._use_briefs(cand, briefed[cand.entry.path], result)
                    work.skipped(cand.entry.path)
                    continue
                if cand.entry.blob and self._use_cached(cand, cand.entry.blob, cached, result):
                    work.skipped(cand.entry.path)
                    continue
                read = self.preread.get(cand.entry.path) or source.read(cand.entry)
                result.diagnostics.extend(read.diagnostics)
                claims = sniffs(cand.by_content, read.text) if read.text is not None else ()
                readable = self.sources[cand.entry.path] = (read.text is not None, list(read.diagnostics), claims)
                if self.cache and read.blob:
                    self.cache.put(self.source_key(cand, read.blob), readable, digest=True)
                if read.text is None or read.blob is None:  # a read with text always names its blob
                    work.skipped(cand.entry.path)
                    continue
                result.files_read += 1
                detectors = self.extracting(cand, claims)
                if not detectors:  # every sniffer declined it
                    work.skipped(cand.entry.path)
                    continue
                if not cand.entry.blob and self.cache:
                    cached.update(self.cache.get_many([self.key(d, cand.entry.path, read.blob) for d in detectors],
                                                      digest=True))
                    if self._has_results(cand.entry.path, detectors, read.blob, cached):
                        self._use_results(cand.entry.path, detectors, read.blob, cached, result)
                        work.skipped(cand.entry.path)
                        continue
                pending.append((cand, detectors, read.blob))
                work.add(cand.entry.path, detectors, read.text)
            outputs = work.finish()
        finally:
            work.close()  # an interrupted scan leaves no worker behind
        for (cand, detectors, blob), (output, pickled, failed) in zip(pending, outputs, strict=True):
            result.incomplete |= failed
            for det in detectors:
                value = output[det.name]
                if self.cache and not failed:
                    key = self.key(det, cand.entry.path, blob)
                    if det.name in pickled:
                        self.cache.put_pickled(key, pickled[det.name], digest=True)
                    else:
                        self.cache.put(key, value, digest=True)
                result.results.put((det.name, cand.entry.path), value)
        if self.cache:
            result.cache_hits = self.cache.hits
            if not write_later:
                # written now (0.1 s for a monorepo's 15,000 entries): a writer thread running through
                # phase 2 would keep it from resolving a detector in a forked child (aside.py)
                self.cache.flush()
            if self.cache.note:
                result.diagnostics.append(Diagnostic("<cache>", None, self.cache.note, Severity.INFO, "cache"))
        return result

    def _lookup(self, candidates: list[Candidate]) -> dict[str, Any]:
        """The cached entries of the candidates the listing names: what reading each found first,
        then the results of the detectors that wanted it (by name, or by a sniff that claimed it)."""
        if not self.cache:
            return {}
        named = [(c, c.entry.blob) for c in candidates if c.entry.blob]
        cached = self.cache.get_many([self.source_key(c, blob) for c, blob in named], digest=True)
        wanted: list[str] = []
        for cand, blob in named:
            found = cached.get(self.source_key(cand, blob))
            if found is not None:
                wanted.extend(self.key(d, cand.entry.path, blob) for d in self._with_results(cand, found))
        cached.update(self.cache.get_many(wanted, digest=True))
        return cached

    def _use_cached(self, cand: Candidate, blob: str, cached: dict[str, Any], result: Phase1Result) -> bool:
        """Takes a candidate's results from the cache when all of them are there."""
        found = cached.get(self.source_key(cand, blob))
        if found is None:
            return False
        detectors = self._with_results(cand, found)  # none for a file that is not text (binary, too big)
        if not self._has_results(cand.entry.path, detectors, blob, cached):
            return False
        self.sources[cand.entry.path] = found
        result.diagnostics.extend(found[1])
        self._use_results(cand.entry.path, detectors, blob, cached, result)
        return True

    def _has_results(self, path: str, detectors: list[Detector], blob: str, cached: dict[str, Any]) -> bool:
        return all(self.key(d, path, blob) in cached for d in detectors)

    def _use_results(self, path: str, detectors: list[Detector], blob: str, cached: dict[str, Any],
                     result: Phase1Result) -> None:
        for det in detectors:
            result.results.put((det.name, path), cached[self.key(det, path, blob)])

    def _briefed(self, cand: Candidate) -> Briefed | None:
        """What reading the candidate found and its results' briefs (with their digests), when the
        last scan's briefs cover every one of them."""
        path = cand.entry.path
        blob = self.blob_of(cand)
        if not blob or not self.briefs:
            return None
        source = self.briefs.get((SOURCE, path, blob))
        if source is None:
            return None
        read: SourceRead = source[1]
        covered = []
        for det in self._with_results(cand, read):
            found = self.briefs.get((det.name, path, blob))
            if found is None:
                return None
            covered.append((det, found[0], found[1]))
        return read, covered

    def _use_briefs(self, cand: Candidate, briefed: Briefed, result: Phase1Result) -> None:
        """Takes a candidate's results as briefs, to be loaded if phase 2 reads their records."""
        read, covered = briefed
        path = cand.entry.path
        blob = self.blob_of(cand) or ""  # briefed: named
        self.sources[path] = read
        result.diagnostics.extend(read[1])
        for det, digest, brief in covered:
            self._detectors[det.name] = det
            result.results.defer((det.name, path), Deferred(brief, blob, digest))

    def _fetch(self, deferred: list[tuple[tuple[str, str], Deferred]]) -> list[Extraction]:
        """Deferred results from the cache, each as the digest it was briefed with names it."""
        keys = [self.key(self._detectors[detector], path, d.blob) for (detector, path), d in deferred]
        found = self.cache.get_many(keys, digest=True) if self.cache else {}
        out = []
        for key, (_, d) in zip(keys, deferred, strict=True):
            value = found.get(key)
            if not isinstance(value, Extraction) or self.cache is None or self.cache.digests.get(key) != d.digest:
                raise ResultsEvicted(key)
            out.append(value)
        return out


class _Work:
    """Extraction of the files that need it, overlapped with reading them.

    Files are queued as the parent reads them. While the estimated work stays small they are
    extracted here at the end (worker start-up would cost more than it saves); once it passes
    PARALLEL_THRESHOLD a pool starts, and from then on the queue leaves in batches of about
    BATCH_COST seconds, so the workers parse while the parent is still reading. Batches, not one
    task per file: per-task traffic costs more than parsing a small YAML file. Outputs come back
    in the order files were added, whatever the number of workers.
    """

    def __init__(self, jobs: int, timeout: float, total: int, progress: Progress | None, collect: bool) -> None:
        self.jobs = jobs
        self.collect = collect
        self.timeout = timeout
        self.total = total
        self.progress = progress
        self.files: list[tuple[str, list[Detector], str, float]] = []  # path, detectors, text, estimated cost
        self.outputs: dict[int, dict[str, Extraction]] = {}
        self.pickled: dict[int, dict[str, bytes]] = {}  # the same outputs as workers pickled them
        self.failed: set[int] = set()  # files whose worker died
        self.queue: list[int] = []
        self.queued_cost = 0.0
        self.estimated = 0.0
        self.pool: ProcessPoolExecutor | None = None
        self.futures: dict[Future[list[dict[str, bytes]]], list[int]] = {}
        self.done = 0

    def skipped(self, path: str) -> None:
        """A candidate that needs no extraction (cached or unreadable) counts as done."""
        self._advance(1, path)

    def add(self, path: str, detectors: list[Detector], text: str) -> None:
        cost = _estimate(path, len(detectors), text)
        self.files.append((path, detectors, text, cost))
        self.queue.append(len(self.files) - 1)
        self.queued_cost += cost
        self.estimated += cost
        if self.pool is None and self.jobs > 1 and self.estimated > PARALLEL_THRESHOLD:
            # Forked workers share the parent's memory until they write to it, and a collection
            # writes to every object it walks: frozen objects are never walked.
            gc.freeze()
            self.pool = ProcessPoolExecutor(max_workers=self.jobs, initializer=_worker_init)
        if self.pool is not None and self.queued_cost >= BATCH_COST:
            self._submit()
            self._collect(wait=False)

    def finish(self) -> list[tuple[dict[str, Extraction], dict[str, bytes], bool]]:
        """Every added file's output (and its pickles when a worker made them), in the order added."""
        if self.pool is None:
            if self.collect:
                gc.enable()
            try:
                for i, (path, detectors, text, _) in enumerate(self.files):
                    self.outputs[i] = run_file(detectors, SourceFile(path, text), self.timeout)
                    self._advance(1, path)
            finally:
                gc.disable()
        else:
            self._submit()
            self._collect(wait=True)
        return [(self.outputs[i], self.pickled.get(i, {}), i in self.failed) for i in range(len(self.files))]

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
            gc.unfreeze()

    def _submit(self) -> None:
        assert self.pool is not None
        # Costliest first: a big Terraform file started last would finish alone on an idle pool.
        order = sorted(self.queue, key=lambda i: -self.files[i][3])
        batch: list[int] = []
        spent = 0.0
        for i in order:
            batch.append(i)
            spent += self.files[i][3]
            if spent >= BATCH_COST or i == order[-1]:
                payload = [([d.name for d in self.files[j][1]], self.files[j][0], self.files[j][2]) for j in batch]
                self.futures[self.pool.submit(_worker_batch, payload, self.timeout)] = batch
                batch, spent = [], 0.0
        self.queue, self.queued_cost = [], 0.0

    def _collect(self, wait: bool) -> None:
        finished = as_completed(list(self.futures)) if wait else [f for f in list(self.futures) if f.done()]
        for future in finished:
            batch = self.futures.pop(future)
            try:
                pickled = future.result()
            except Exception as exc:  # a worker that died (killed, out of memory)
                for i in batch:
                    self.outputs[i] = _worker_failed(*self.files[i][:2], exc)
                    self.failed.add(i)
            else:
                for i, raw in zip(batch, pickled, strict=True):
                    self.pickled[i] = raw
                    self.outputs[i] = {name: pickle.loads(blob) for name, blob in raw.items()}
            self._advance(len(batch), self.files[batch[-1]][0])

    def _advance(self, count: int, path: str) -> None:
        self.done += count
        if self.progress:
            self.progress(self.done, self.total, path)


def _worker_failed(path: str, detectors: list[Detector], exc: Exception) -> dict[str, Extraction]:
    """Every detector of the file has a result, so phase 2 still sees the file; the diagnostic is
    given once, by the first."""
    diag = Diagnostic(path, None, f"worker failed on this file or one parsed with it: {type(exc).__name__}: {exc}",
                      Severity.ERROR, "scan")
    return {d.name: Extraction(diagnostics=[diag] if i == 0 else []) for i, d in enumerate(detectors)}
