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
NOT_CLAIMED = "not-claimed"
SOURCE = "__source__"

Progress = Callable[[int, int, str], None]


@dataclass
class Candidate:
    entry: FileEntry
    by_name: list[Detector]
    by_content: list[Detector]


@dataclass
class Phase1Result:
    results: dict[tuple[str, str], Extraction] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files_read: int = 0
    cache_hits: int = 0


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
    return bool(sniff.pattern.search(head)) and not (sniff.unless and sniff.unless.search(head))


def run_file(detectors: list[Detector], sniffers: list[Detector], file: SourceFile,
             timeout: float) -> dict[str, Extraction | str]:
    """Every wanted detector on one file (content sniffs settled first)."""
    out: dict[str, Extraction | str] = {}
    for detector in detectors:
        out[detector.name] = extract_one(detector, file, timeout)
    for detector in sniffers:
        out[detector.name] = extract_one(detector, file, timeout) if _sniffed(detector, file.text) else NOT_CLAIMED
    return out


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


def _worker_batch(files: list[tuple[list[str], list[str], str, str]], timeout: float) -> list[dict[str, bytes]]:
    """Each file's outputs, pickled here: the parent stores these very bytes in the cache, so the
    pickling is done in parallel and only once."""
    if not _WORKER_DETECTORS:
        _worker_init()
    outputs = []
    for names, sniff_names, path, text in files:
        detectors = [_WORKER_DETECTORS[n] for n in names if n in _WORKER_DETECTORS]
        sniffers = [_WORKER_DETECTORS[n] for n in sniff_names if n in _WORKER_DETECTORS]
        output = run_file(detectors, sniffers, SourceFile(path, text), timeout)
        outputs.append({name: pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL) for name, value in output.items()})
    return outputs


def _estimate(cand: Candidate, text: str) -> float:
    """Seconds this file is likely to take: decides whether workers pay off, and balances batches."""
    per_byte = _COST_PER_BYTE.get(os.path.splitext(cand.entry.path)[1], _DEFAULT_COST)
    detectors = max(1, len(cand.by_name))
    return (len(text) * per_byte + _COST_PER_FILE) * detectors


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
        # Files the scan already read (to name modified files by their content): phase 1 uses these
        # reads, so what was named is what is extracted, and nothing is read twice.
        self.preread: dict[str, ReadResult] = {}

    def key(self, detector: Detector, path: str, blob: str) -> str:
        """Content and path: results cite their file, so two identical Dockerfiles are two entries.
        Memoised: each key is wanted when looking up and again when storing."""
        known = self._keys.get((detector.name, path, blob))
        if known is None:
            known = entry_key(detector.name, detector.version, code_fingerprint(type(detector)), self.salt, path, blob)
            self._keys[(detector.name, path, blob)] = known
        return known

    def named(self, path: str) -> str | None:
        """The blob id of a file the listing could not name, from the scan's read of it."""
        read = self.preread.get(path)
        return read.blob if read else None

    def source_key(self, blob: str) -> str:
        return entry_key(SOURCE, self.salt, blob)

    def run(self, source: RepoSource, candidates: list[Candidate], progress: Progress | None) -> Phase1Result:
        result = Phase1Result()
        wanted: dict[str, tuple[Candidate, str]] = {}  # cache key -> (candidate, detector name)
        for cand in candidates if self.cache else ():
            if cand.entry.blob:
                for det in (*cand.by_name, *cand.by_content):
                    wanted[self.key(det, cand.entry.path, cand.entry.blob)] = (cand, det.name)
                wanted[self.source_key(cand.entry.blob)] = (cand, SOURCE)
        cached = self.cache.get_many(wanted, digest=True) if self.cache else {}
        # Everything the parent makes here (texts, cached and returned results) lives on through
        # phase 2, and none of it forms garbage cycles: collections would only walk it again and
        # again (on a warm monorepo scan they cost more than unpickling the cached results).
        # Extraction in this process (small scans, --jobs 1) collects as usual: parsers do make cycles.
        collecting = gc.isenabled()
        gc.disable()
        work = _Work(self.jobs, self.timeout, len(candidates), progress, collecting)
        pending: list[tuple[Candidate, str]] = []  # candidate, blob
        try:
            for cand in candidates:
                if cand.entry.blob and self._complete(cand, cand.entry.blob, cached):
                    self._use_cached(cand, cand.entry.blob, cached, result)
                    work.skipped(cand.entry.path)
                    continue
                read = self.preread.get(cand.entry.path) or source.read(cand.entry)
                result.diagnostics.extend(read.diagnostics)
                if self.cache and read.blob:
                    readable = (read.text is not None, list(read.diagnostics))
                    self.cache.put(self.source_key(read.blob), readable, digest=True)
                if read.text is None or read.blob is None:
                    work.skipped(cand.entry.path)
                    continue
                result.files_read += 1
                if not cand.entry.blob and self.cache:
                    wanted_now = [self.key(d, cand.entry.path, read.blob) for d in (*cand.by_name, *cand.by_content)]
                    more = self.cache.get_many(wanted_now, digest=True)
                    cached.update(more)
                    if self._complete(cand, read.blob, cached, need_source=False):
                        self._use_cached(cand, read.blob, cached, result, with_source=False)
                        work.skipped(cand.entry.path)
                        continue
                pending.append((cand, read.blob))
                work.add(cand, read.text)
            outputs = work.finish()
        finally:
            work.close()  # an interrupted scan leaves no worker behind
            if collecting:
                gc.enable()
        for (cand, blob), (output, pickled) in zip(pending, outputs, strict=True):
            for det in (*cand.by_name, *cand.by_content):
                value = output.get(det.name, NOT_CLAIMED)
                if self.cache:
                    key = self.key(det, cand.entry.path, blob)
                    if det.name in pickled:
                        self.cache.put_pickled(key, pickled[det.name], digest=True)
                    else:
                        self.cache.put(key, value, digest=True)
                if value != NOT_CLAIMED:
                    assert isinstance(value, Extraction)
                    result.results[(det.name, cand.entry.path)] = value
        if self.cache:
            result.cache_hits = self.cache.hits
            self.cache.flush(background=True)  # written while phase 2 runs
            if self.cache.note:
                result.diagnostics.append(Diagnostic("<cache>", None, self.cache.note, Severity.INFO, "cache"))
        return result

    def _complete(self, cand: Candidate, blob: str, cached: dict[str, Any], need_source: bool = True) -> bool:
        if need_source:
            if self.source_key(blob) not in cached:
                return False
            if not cached[self.source_key(blob)][0]:
                return True  # known unreadable (binary, too big): nothing to extract
        return all(self.key(d, cand.entry.path, blob) in cached for d in (*cand.by_name, *cand.by_content))

    def _use_cached(self, cand: Candidate, blob: str, cached: dict[str, Any], result: Phase1Result,
                    with_source: bool = True) -> None:
        if with_source:
            readable, diagnostics = cached[self.source_key(blob)]
            result.diagnostics.extend(diagnostics)
            if not readable:
                return
        for det in (*cand.by_name, *cand.by_content):
            value = cached[self.key(det, cand.entry.path, blob)]
            if value != NOT_CLAIMED:
                result.results[(det.name, cand.entry.path)] = value


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
        self.files: list[tuple[Candidate, str, float]] = []  # candidate, text, estimated cost
        self.outputs: dict[int, dict[str, Extraction | str]] = {}
        self.pickled: dict[int, dict[str, bytes]] = {}  # the same outputs as workers pickled them
        self.queue: list[int] = []
        self.queued_cost = 0.0
        self.estimated = 0.0
        self.pool: ProcessPoolExecutor | None = None
        self.futures: dict[Future[list[dict[str, bytes]]], list[int]] = {}
        self.done = 0

    def skipped(self, path: str) -> None:
        """A candidate that needs no extraction (cached or unreadable) counts as done."""
        self._advance(1, path)

    def add(self, cand: Candidate, text: str) -> None:
        cost = _estimate(cand, text)
        self.files.append((cand, text, cost))
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

    def finish(self) -> list[tuple[dict[str, Extraction | str], dict[str, bytes]]]:
        """Every added file's output (and its pickles when a worker made them), in the order added."""
        if self.pool is None:
            if self.collect:
                gc.enable()
            try:
                for i, (cand, text, _) in enumerate(self.files):
                    self.outputs[i] = run_file(cand.by_name, cand.by_content, SourceFile(cand.entry.path, text),
                                               self.timeout)
                    self._advance(1, cand.entry.path)
            finally:
                gc.disable()
        else:
            self._submit()
            self._collect(wait=True)
        return [(self.outputs[i], self.pickled.get(i, {})) for i in range(len(self.files))]

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
            gc.unfreeze()

    def _submit(self) -> None:
        assert self.pool is not None
        # Costliest first: a big Terraform file started last would finish alone on an idle pool.
        order = sorted(self.queue, key=lambda i: -self.files[i][2])
        batch: list[int] = []
        spent = 0.0
        for i in order:
            batch.append(i)
            spent += self.files[i][2]
            if spent >= BATCH_COST or i == order[-1]:
                payload = [([d.name for d in self.files[j][0].by_name], [d.name for d in self.files[j][0].by_content],
                            self.files[j][0].entry.path, self.files[j][1]) for j in batch]
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
                    self.outputs[i] = _worker_failed(self.files[i][0], exc)
            else:
                for i, raw in zip(batch, pickled, strict=True):
                    self.pickled[i] = raw
                    self.outputs[i] = {name: pickle.loads(blob) for name, blob in raw.items()}
            self._advance(len(batch), self.files[batch[-1]][0].entry.path)

    def _advance(self, count: int, path: str) -> None:
        self.done += count
        if self.progress:
            self.progress(self.done, self.total, path)


def _worker_failed(cand: Candidate, exc: Exception) -> dict[str, Extraction | str]:
    diag = Diagnostic(cand.entry.path, None,
                      f"worker failed on this file or one parsed with it: {type(exc).__name__}: {exc}",
                      Severity.ERROR, "scan")
    return {d.name: Extraction(diagnostics=[diag]) for d in cand.by_name}
