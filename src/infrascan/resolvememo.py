"""Phase 2 per detector, cached by what the detector asked: a changed file re-resolves only the
detectors whose questions it changes the answers to.

A detector's `resolve` reads nothing but its ResolveContext, and is deterministic. So each run
notes the questions a detector asked (the records of a kind, one result, a detector's paths,
every phase-1 fact, the listing) and keeps its facts and diagnostics under a key made of those
questions and of names for their answers. The next scan asks the noted questions again, names
the answers from its own phase-1 results, and reuses what the detector gave if every name is the
same: the detector, given the same answers, would have asked the same questions and returned the
same facts (a "verifying trace", as build systems call it).

An answer is named by the digests of the cached phase-1 results it is made of (the early cutoff's
digests, each naming one stored result exactly), never by hashing the records again. On the
benchmark monorepo a changed Helm values file leaves the GitHub Actions, Terraform and Dockerfile
detectors' resolves (0.4 s of 0.75 s) to this cache.

Helm itself asks for every chart's records, so one values file changes its answers. Its resolve
hands each chart to `ResolveContext.pieces` with the chart's inputs, and this cache keeps each
chart's facts under a digest of those inputs pickled: 299 of 300 charts are not read again.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Sequence
from dataclasses import dataclass, field

from infrascan.cache import Cache
from infrascan.detector import Detector, Extraction, Piece, Record, ResolveContext
from infrascan.model import Diagnostic, Fact
from infrascan.phase1 import detector_code
from infrascan.results import Result, Results

Question = tuple[str, ...]
Trace = tuple[Question, ...]  # the questions one detector asked, in order


@dataclass
class Resolved:
    """What one detector's resolve gave: its facts, and the diagnostics it reported meanwhile."""

    facts: list[Fact]
    diagnostics: list[Diagnostic]


class AskedContext(ResolveContext):
    """The scan's context, seen by one detector, noting each question it asks in order."""

    def __init__(self, ctx: ResolveContext) -> None:
        # Not ResolveContext.__init__: the indexes (and the diagnostics list) are the scan's own.
        self.__dict__.update(vars(ctx))
        self.scan = ctx
        self.asked: dict[Question, None] = {}

    @property
    def files(self) -> list[str]:
        self.asked[("files",)] = None
        return self._files

    def records(self, kind: str) -> list[Record]:
        self.asked[("records", kind)] = None
        return super().records(kind)

    def record_sources(self, kind: str) -> list[Result]:
        self.asked[("records", kind)] = None  # which results hold them: named as their records are
        return super().record_sources(kind)

    def phase1_facts(self) -> list[Fact]:
        self.asked[("facts",)] = None
        return super().phase1_facts()

    def paths(self, detector: str) -> list[str]:
        self.asked[("paths", detector)] = None
        return super().paths(detector)

    def extraction(self, detector: str, path: str) -> Extraction | None:
        self.asked[("extraction", detector, path)] = None
        return super().extraction(detector, path)

    def extractions(self, results: Sequence[Result]) -> list[Extraction | None]:
        self.asked.update(dict.fromkeys(("extraction", *result) for result in results))
        return super().extractions(results)

    def named(self, results: Sequence[Result]) -> object:
        # Asked as the results themselves: what the detector gives depends on their content.
        self.asked.update(dict.fromkeys(("extraction", *result) for result in results))
        return super().named(results)

    def results(self) -> Results:
        self.asked[("results",)] = None
        return super().results()


@dataclass
class ResolveMemo:
    """The cache of each detector's phase 2 for one scan.

    `scope` names the repository (traces are per repository, as the early cutoff's index is);
    `inputs` is what every detector's phase 2 depends on beyond its questions (infrascan's code,
    catalog and configuration, the remote); `digests` names each phase-1 result of this scan;
    `traces` are the questions each detector asked in the last scan (`load_traces`)."""

    cache: Cache
    scope: str
    inputs: str
    digests: dict[Result, str]
    traces: dict[str, Trace]
    _named: dict[Question, str | None] = field(default_factory=dict, repr=False)

    @staticmethod
    def load_traces(cache: Cache, scope: str, detectors: list[Detector]) -> dict[str, Trace]:
        """The questions each detector asked in the last scan of this repository (none on a first
        scan, whose phase 2 then never looks for what it has not stored yet)."""
        keys = {_trace_key(scope, d): d.name for d in detectors}
        return {keys[key]: trace for key, trace in cache.get_many(keys).items() if isinstance(trace, tuple)}

    def recall(self, detectors: list[Detector], ctx: ResolveContext) -> dict[str, Resolved]:
        """What each detector gave last time its questions had the answers they have now."""
        keys: dict[str, str] = {}
        for detector in detectors:
            trace = self.traces.get(detector.name)
            key = self._key(detector, trace, ctx) if trace is not None else None
            if key is not None:
                keys[detector.name] = key
        if not keys:
            return {}
        found = self.cache.get_many(keys.values())
        return {name: found[key] for name, key in keys.items() if isinstance(found.get(key), Resolved)}

    def keep(self, detector: Detector, asked: AskedContext, resolved: Resolved) -> None:
        """Stores what the detector gave under its questions, unless an answer cannot be named (a
        result this scan has no digest for)."""
        trace = tuple(asked.asked)
        key = self._key(detector, trace, asked.scan)
        if key is not None:
            self.cache.put(_trace_key(self.scope, detector), trace)
            self.cache.put(key, resolved)

    def pieces(self, detector: Detector, work: Sequence[Piece], diagnostics: list[Diagnostic]) -> list[list[Fact]]:
        """Each piece's facts: kept under a digest of its pickled inputs (with the detector's code and
        the scan's inputs), computed only when not kept yet. Inputs that do not pickle are computed."""
        code = "\x1f".join((self.inputs, detector_code(detector)))
        keys: list[str | None] = []
        for inputs, _ in work:
            try:
                blob = pickle.dumps(inputs, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:
                keys.append(None)
                continue
            keys.append("resolved-piece:" + hashlib.sha256(code.encode() + b"\0" + blob).hexdigest())
        # A detector with no trace here has not run on this repository yet: its parts are new too,
        # and looking for them would read the cache for nothing.
        found = self.cache.get_many(key for key in keys if key) if detector.name in self.traces else {}
        out: list[list[Fact]] = []
        for (_, compute), key in zip(work, keys, strict=True):
            known = found.get(key) if key else None
            if isinstance(known, Resolved):
                diagnostics.extend(known.diagnostics)
                out.append(known.facts)
                continue
            before = len(diagnostics)
            facts = compute()
            out.append(facts)
            if key:
                self.cache.put(key, Resolved(list(facts), diagnostics[before:]))
        return out

    def named(self, results: Sequence[Result]) -> object:
        """The results as their digests name them; when one has none, a name that does not pickle,
        so that a piece holding it is computed every time."""
        names = []
        for result in results:
            digest = self.digests.get(result)
            if digest is None:
                return Unnamed()
            names.append((*result, digest))
        return tuple(names)

    def _key(self, detector: Detector, trace: Trace, ctx: ResolveContext) -> str | None:
        parts = [self.inputs, detector_code(detector)]
        for question in trace:
            answer = self._answer(question, ctx)
            if answer is None:
                return None
            parts.append("\x1f".join(question))
            parts.append(answer)
        return "resolved:" + _hash(parts)

    def _answer(self, question: Question, ctx: ResolveContext) -> str | None:
        """A name for the answer to a question, equal only for equal answers; None when unnameable."""
        if question in self._named:
            return self._named[question]
        what = question[0]
        name: str | None
        if what == "files":
            name = _hash(ctx.files)
        elif what == "paths" and len(question) == 2:
            name = _hash(ctx.paths(question[1]))
        elif what == "extraction" and len(question) == 3:
            result = (question[1], question[2])
            name = self._digest_of([result]) if result in ctx.results() else "-"  # without loading it
        elif what == "records" and len(question) == 2:
            name = self._digest_of(ctx.record_sources(question[1]))
        elif what == "facts":
            results = ctx.results()
            name = self._digest_of(sorted(r for r in results if results.brief(r).facts))
        elif what == "results":
            name = self._digest_of(sorted(ctx.results()))
        else:  # a question this version does not know: never matched
            name = None
        self._named[question] = name
        return name

    def _digest_of(self, results: list[Result]) -> str | None:
        parts = []
        for result in results:
            digest = self.digests.get(result)
            if digest is None:
                return None
            parts.append(f"{result[0]}\0{result[1]}\0{digest}")
        return _hash(parts)


class Unnamed:
    """Results with no digest (a file phase 1 could not open) in a piece's inputs: never pickled,
    so never the key of a cached piece."""

    def __reduce__(self) -> str:
        raise TypeError("results with no digest cannot name a piece")


def _trace_key(scope: str, detector: Detector) -> str:
    return f"resolve-trace:{scope}:{detector.name}"


def _hash(parts: list[str]) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()
