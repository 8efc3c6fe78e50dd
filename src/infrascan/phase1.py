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

import hashlib
import inspect
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infrascan import __version__
from infrascan.cache import Cache, entry_key
from infrascan.catalog import load_catalog
from infrascan.config import Config
from infrascan.detector import Detector, Extraction, SourceFile
from infrascan.model import Diagnostic, Severity
from infrascan.source import FileEntry, RepoSource

DEFAULT_TIMEOUT = 10.0
PARALLEL_THRESHOLD = 0.5  # seconds of estimated work
# Seconds of parsing per byte, by file kind (measured: hcl2 about 3.3 s/MB, C YAML about 0.04 s/MB).
_COST_PER_BYTE = {".tf": 3.3e-6, ".tofu": 3.3e-6, ".hcl": 3.3e-6, ".tfvars": 3.3e-6}
_DEFAULT_COST = 4e-8
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
        with time_limit(timeout):
            return detector.extract(file)
    except ParseTimeout:
        return Extraction(diagnostics=[Diagnostic(
            file.path, None, f"detector {detector.name} took longer than {timeout:g} s; abandoned this file",
            Severity.ERROR, detector.name)])
    except Exception as exc:  # RecursionError and MemoryError included
        return Extraction(diagnostics=[crash_diagnostic(detector, file.path, "extract", exc)])


def _sniffed(detector: Detector, text: str) -> bool:
    assert detector.sniff is not None
    return bool(detector.sniff.pattern.search(text[: detector.sniff.head]))


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
            digest = hashlib.sha256()
            for path in files:
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
            _FINGERPRINTS[name] = digest.hexdigest()[:16]
        except (OSError, TypeError):
            _FINGERPRINTS[name] = ""
    return _FINGERPRINTS[name]


# -- worker processes ---------------------------------------------------------------------------

_WORKER_DETECTORS: dict[str, Detector] = {}


def _worker_init() -> None:
    from infrascan.registry import discover

    _WORKER_DETECTORS.update({d.name: d for d in discover().detectors})


def _worker_run(names: list[str], sniff_names: list[str], path: str, text: str,
                timeout: float) -> dict[str, Extraction | str]:
    if not _WORKER_DETECTORS:
        _worker_init()
    detectors = [_WORKER_DETECTORS[n] for n in names if n in _WORKER_DETECTORS]
    sniffers = [_WORKER_DETECTORS[n] for n in sniff_names if n in _WORKER_DETECTORS]
    return run_file(detectors, sniffers, SourceFile(path, text), timeout)


# -- the driver ---------------------------------------------------------------------------------


class Extractor:
    def __init__(self, config: Config, cache: Cache | None, jobs: int | None = None,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        self.config = config
        self.cache = cache
        self.jobs = max(1, jobs or os.cpu_count() or 1)
        self.timeout = timeout
        self.salt = "\x1f".join((__version__, engine_fingerprint(), load_catalog().digest, config.fingerprint()))

    def key(self, detector: Detector, path: str, blob: str) -> str:
        """Content and path: results cite their file, so two identical Dockerfiles are two entries."""
        return entry_key(detector.name, detector.version, code_fingerprint(type(detector)), self.salt, path, blob)

    def source_key(self, blob: str) -> str:
        return entry_key(SOURCE, self.salt, blob)

    def run(self, source: RepoSource, candidates: list[Candidate], progress: Progress | None) -> Phase1Result:
        result = Phase1Result()
        wanted: dict[str, tuple[Candidate, str]] = {}  # cache key -> (candidate, detector name)
        for cand in candidates:
            if cand.entry.blob:
                for det in (*cand.by_name, *cand.by_content):
                    wanted[self.key(det, cand.entry.path, cand.entry.blob)] = (cand, det.name)
                wanted[self.source_key(cand.entry.blob)] = (cand, SOURCE)
        cached = self.cache.get_many(wanted) if self.cache else {}
        pending: list[tuple[Candidate, str, str]] = []  # candidate, text, blob
        for index, cand in enumerate(candidates):
            if progress:
                progress(index, len(candidates), cand.entry.path)
            if cand.entry.blob and self._complete(cand, cand.entry.blob, cached):
                self._use_cached(cand, cand.entry.blob, cached, result)
                continue
            read = source.read(cand.entry)
            result.diagnostics.extend(read.diagnostics)
            if self.cache and read.blob:
                self.cache.put(self.source_key(read.blob), (read.text is not None, list(read.diagnostics)))
            if read.text is None or read.blob is None:
                continue
            result.files_read += 1
            if not cand.entry.blob and self.cache:
                wanted_now = [self.key(d, cand.entry.path, read.blob) for d in (*cand.by_name, *cand.by_content)]
                more = self.cache.get_many(wanted_now)
                cached.update(more)
                if self._complete(cand, read.blob, cached, need_source=False):
                    self._use_cached(cand, read.blob, cached, result, with_source=False)
                    continue
            pending.append((cand, read.text, read.blob))
        self._extract(pending, result, progress, len(candidates))
        if self.cache:
            result.cache_hits = self.cache.hits
            self.cache.flush()
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

    def _estimate(self, pending: list[tuple[Candidate, str, str]]) -> float:
        total = 0.0
        for cand, text, _ in pending:
            suffix = os.path.splitext(cand.entry.path)[1]
            total += len(text) * _COST_PER_BYTE.get(suffix, _DEFAULT_COST) * max(1, len(cand.by_name))
        return total

    def _extract(self, pending: list[tuple[Candidate, str, str]], result: Phase1Result, progress: Progress | None,
                 total: int) -> None:
        outputs: list[dict[str, Extraction | str]]
        if self.jobs > 1 and len(pending) > 1 and self._estimate(pending) > PARALLEL_THRESHOLD:
            outputs = self._parallel(pending, progress, total)
        else:
            outputs = [run_file(cand.by_name, cand.by_content, SourceFile(cand.entry.path, text), self.timeout)
                       for cand, text, _ in pending]
        for (cand, _, blob), output in zip(pending, outputs, strict=True):
            for det in (*cand.by_name, *cand.by_content):
                value = output.get(det.name, NOT_CLAIMED)
                if self.cache:
                    self.cache.put(self.key(det, cand.entry.path, blob), value)
                if value != NOT_CLAIMED:
                    assert isinstance(value, Extraction)
                    result.results[(det.name, cand.entry.path)] = value

    def _parallel(self, pending: list[tuple[Candidate, str, str]], progress: Progress | None,
                  total: int) -> list[dict[str, Extraction | str]]:
        # Largest files first, so one big Terraform file does not finish last on an idle pool.
        order = sorted(range(len(pending)), key=lambda i: -len(pending[i][1]))
        futures: dict[int, Future[dict[str, Extraction | str]]] = {}
        with ProcessPoolExecutor(max_workers=self.jobs, initializer=_worker_init) as pool:
            for i in order:
                cand, text, _ = pending[i]
                futures[i] = pool.submit(_worker_run, [d.name for d in cand.by_name],
                                         [d.name for d in cand.by_content], cand.entry.path, text, self.timeout)
            outputs = []
            for done, i in enumerate(range(len(pending))):
                outputs.append(self._collect(futures[i], pending[i][0]))
                if progress:
                    progress(total - len(pending) + done, total, pending[i][0].entry.path)
        return outputs

    def _collect(self, future: Future[dict[str, Extraction | str]], cand: Candidate) -> dict[str, Extraction | str]:
        try:
            return future.result()
        except Exception as exc:  # a worker that died (killed, out of memory)
            diag = Diagnostic(cand.entry.path, None, f"worker failed on this file: {type(exc).__name__}: {exc}",
                              Severity.ERROR, "scan")
            return {d.name: Extraction(diagnostics=[diag]) for d in cand.by_name}
