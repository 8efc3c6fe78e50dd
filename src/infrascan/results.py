"""Phase 1's results by (detector, path), some of them still in the cache until phase 2 reads them.

Phase 2 and the merge need three things of every result: its facts, its diagnostics, and which
kinds of record it holds (to answer `records(kind)`). The records themselves are wanted only by
the detectors that resolve again, and they are most of what a result weighs: on the benchmark
monorepo, loading every cached result (12,600 entries) was 0.45 s of a scan whose one changed
values file re-resolves Helm alone. So a scan that has a `Brief` of a result (the early cutoff
keeps one of each from the last scan) takes the brief now and the result from the cache only
when a detector asks for its records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from infrascan.model import Diagnostic, Fact

Result = tuple[str, str]  # (detector, path)


@dataclass
class Record:
    """A raw observation kept for repository-wide resolution (phase 2)."""

    kind: str
    path: str
    line: int
    data: dict[str, Any]


@dataclass
class Extraction:
    """One detector's phase-1 result for one file (detectors import it from infrascan.detector)."""

    facts: list[Fact] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


@dataclass(frozen=True)
class Brief:
    """A result without its records: what the merge and `records(kind)` need to know of it."""

    facts: Sequence[Fact]
    diagnostics: Sequence[Diagnostic]
    kinds: tuple[str, ...]  # the kinds of record it holds, in their first order

    @staticmethod
    def of(extraction: Extraction) -> Brief:
        return Brief(extraction.facts, extraction.diagnostics,
                     tuple(dict.fromkeys(record.kind for record in extraction.records)))


@dataclass(frozen=True)
class Deferred:
    """A result left in the cache: its brief, the content it is of, and the digest it was stored with."""

    brief: Brief
    blob: str
    digest: str


class ResultsEvicted(Exception):
    """A deferred result is no longer in the cache as it was (evicted, or written anew by another
    scan). The scan then loads and extracts phase 1 the ordinary way, and runs phase 2 again."""


# Loads deferred results, in order; raises ResultsEvicted when one is not as it was.
Fetch = Callable[[list[tuple[Result, Deferred]]], list[Extraction]]


class Results(Mapping[Result, Extraction]):
    """Phase 1's results in the order phase 1 gave them; a deferred one is loaded when first read."""

    def __init__(self, loaded: Mapping[Result, Extraction] | None = None, fetch: Fetch | None = None) -> None:
        self._entries: dict[Result, Extraction | Deferred] = dict(loaded or {})
        self._fetch = fetch
        self._briefs: dict[Result, Brief] = {}  # of loaded results: the context, the merge and the cutoff ask

    def put(self, key: Result, extraction: Extraction) -> None:
        self._entries[key] = extraction
        self._briefs.pop(key, None)

    def defer(self, key: Result, deferred: Deferred) -> None:
        self._entries[key] = deferred
        self._briefs.pop(key, None)

    def brief(self, key: Result) -> Brief:
        entry = self._entries[key]
        if isinstance(entry, Deferred):
            return entry.brief
        known = self._briefs.get(key)
        if known is None:
            known = self._briefs[key] = Brief.of(entry)
        return known

    def briefs(self) -> Iterator[tuple[Result, Brief]]:
        return ((key, self.brief(key)) for key in self._entries)

    def load(self, keys: Iterable[Result]) -> dict[Result, Extraction]:
        """These results (which must be here), fetching the deferred ones among them at once."""
        wanted = list(keys)
        deferred = [key for key in wanted if isinstance(self._entries[key], Deferred)]
        if deferred:
            if self._fetch is None:
                raise ResultsEvicted("deferred results with nowhere to fetch them from")
            fetched = self._fetch([(key, self._deferred(key)) for key in deferred])
            for key, extraction in zip(deferred, fetched, strict=True):
                self._briefs[key] = self._deferred(key).brief  # the same result: its brief stands
                self._entries[key] = extraction
        return {key: self._loaded(key) for key in wanted}

    def __getitem__(self, key: Result) -> Extraction:
        if key not in self._entries:
            raise KeyError(key)
        return self.load([key])[key]

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __iter__(self) -> Iterator[Result]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def _deferred(self, key: Result) -> Deferred:
        entry = self._entries[key]
        assert isinstance(entry, Deferred)
        return entry

    def _loaded(self, key: Result) -> Extraction:
        entry = self._entries[key]
        assert not isinstance(entry, Deferred)
        return entry
