"""Early cutoff: a scan whose files changed but whose phase-1 results did not reuses its model.

The model cache (scan.py) is keyed by what goes in: every candidate's content. A comment added
to one values file changes that key although no detector reads anything different, and the scan
would then load every cached phase-1 result and run phase 2 again: seconds on a large monorepo.
Keyed instead by what comes out of phase 1 (a digest of each result as cached), the model is
found again. This module remembers, per repository, the digest of the result of each input it
last scanned, so that a later scan extracts only the files whose content is new, and looks the
model up under the key of the results: as in build systems' "early cutoff", a result equal to
the last one stops the work there.

Phase 2 reads nothing but phase-1 results and the listing, so a model keyed by the results, the
listing, the configuration and infrascan's own code is the model those inputs give.
"""

from __future__ import annotations

import hashlib
import time
import zlib
from collections import defaultdict
from typing import Any

from infrascan.cache import TOUCH_AFTER, Cache, entry_key
from infrascan.config import Config
from infrascan.detector import Detector
from infrascan.gcpause import collector_paused
from infrascan.phase1 import SOURCE, Candidate, Extractor, Phase1Result, Progress, detector_code
from infrascan.results import Results
from infrascan.source import FileEntry, RepoSource

Label = tuple[str, str, str]  # (detector or SOURCE, path, blob): one phase-1 result
POINTER = "model-at"
BRIEF_BUCKETS = 64
DECLINED = "declined"  # the digest of no result: a sniffer's "not this file", or a file that could not be read


class EarlyCutoff:
    def __init__(self, cache: Cache, extractor: Extractor, source: RepoSource, config: Config,
                 detectors: list[Detector], entries: list[FileEntry], candidates: list[Candidate]) -> None:
        self.cache = cache
        self.extractor = extractor
        self.source = source
        self.config = config
        self.entries = entries
        self.candidates = candidates
        self.index: dict[Label, str] = {}
        self.output_key = ""  # the key of the results, once known
        self._settled = False  # index and output key are those of phase 1's results
        self._all_labels: list[list[Label]] | None = None
        self._kept: dict[int, int] = {}  # bucket -> how many briefs it holds, for buckets stored whole
        code = "\0".join(detector_code(d) for d in detectors)
        scope = entry_key(extractor.salt, code, str(source.root), source.ref or "")
        self.index_key = "cutoff:" + scope
        self.briefs_key = "cutoff-briefs:" + scope

    def probe(self, progress: Progress | None) -> tuple[Any, Phase1Result | None]:
        """The cached model when the results of the files that changed are the results last seen
        for them (with those files extracted, and cached, on the way); else (None, that run)."""
        index = self.cache.get_many([self.index_key]).get(self.index_key)
        if not isinstance(index, dict):
            return None, None
        # The labels and indexes made here live through the scan: collections in the middle of
        # them free nothing and walk every object loaded so far (0.05-0.1 s on a monorepo). Not
        # around phase 1, which collects as it needs to when it extracts in this process.
        with collector_paused():
            changed = [c for c, labels in zip(self.candidates, self.labels, strict=True)
                       if any(label not in index for label in labels)]
        partial = self.extractor.run(self.source, changed, progress)
        fresh = self._digests(changed)
        if fresh is None:
            return None, partial
        with collector_paused():
            digests = {**index, **fresh}
            self.index = {label: digests[label] for labels in self.labels for label in labels}
            self.output_key = self._output_key(self.index)
        return self.cache.get_many([self.output_key]).get(self.output_key), partial

    def remember(self, whole_key: str, model: Any | None = None, results: Results | None = None) -> None:
        """Stores the input key's pointer to the model of these results and, when the model was
        just computed, the model and this scan's index (of the results phase 1 gave) with the
        briefs of those results, for the next scan to start from."""
        if model is not None:
            if not self._settle():  # a result with no digest (a file phase 1 could not open): cached by its inputs only
                self.cache.put(whole_key, model)
                return
            self.cache.put(self.output_key, model)
            self.cache.put(self.index_key, self.index)
            if results is not None:
                with collector_paused():  # briefs, made and pickled, stay alive until the write
                    for bucket, briefs in self._changed_briefs(results).items():
                        self.cache.put(f"{self.briefs_key}:{bucket}", briefs)
        self.cache.put(whole_key, (POINTER, self.output_key))

    def briefs(self) -> dict[Label, tuple[str, Any]]:
        """The last scan's briefs of the results this scan's index names by the same digest: what
        reading each file found, and each result's facts, diagnostics and kinds of record. Stored
        apart from the index, which a scan whose results did not change reads alone, and in
        buckets of paths, so that a scan rewrites only the buckets its changes fall in; checked
        against the index label by label, as another scan may have written any of them since."""
        index = self.index
        if not index:  # the probe named no result: no brief can be checked, none is loaded
            return {}
        keys = {f"{self.briefs_key}:{bucket}": bucket for bucket in range(BRIEF_BUCKETS)}
        out: dict[Label, tuple[str, Any]] = {}
        now = time.time()
        with collector_paused():  # what is kept here lives through the scan
            for key, stored in self.cache.get_many(keys).items():
                if not (isinstance(stored, tuple) and len(stored) == 2 and isinstance(stored[1], dict)):
                    continue
                touched, briefs = stored
                valid = {label: entry for label, entry in briefs.items() if index.get(label) == entry[0]}
                out.update(valid)
                if len(valid) == len(briefs) and now - touched <= TOUCH_AFTER:
                    self._kept[keys[key]] = len(valid)
        return out

    def _changed_briefs(self, results: Results) -> dict[int, tuple[float, dict[Label, tuple[str, Any]]]]:
        """The buckets of briefs to store: a bucket is kept as it is when every one of its candidates
        took its results from the stored briefs, it held nothing else, and it was stored within the
        hour. A bucket stored anew marks its candidates' entries as used: those taken from briefs
        were not read, and the size bound evicts the least recently used first."""
        buckets: dict[int, list[tuple[Candidate, list[Label]]]] = defaultdict(list)
        for cand, labels in zip(self.candidates, self.labels, strict=True):
            buckets[_bucket(cand.entry.path)].append((cand, labels))
        served = self.extractor.from_briefs
        out = {}
        now = time.time()
        for bucket in range(BRIEF_BUCKETS):
            members = buckets.get(bucket, [])
            if all(c.entry.path in served for c, _ in members) and \
                    self._kept.get(bucket) == sum(1 + len(self.extractor.extracted(c) or []) for c, _ in members):
                continue
            out[bucket] = (now, self._briefs(members, results))
            self.cache.touch(key for cand, _ in members if cand.entry.path in served for key in self._keys(cand))
        return out

    def _keys(self, cand: Candidate) -> list[str]:
        """The cache keys of what reading a candidate found and of its results."""
        blob = self._blob(cand)
        extracted = self.extractor.extracted(cand) or []
        path = cand.entry.path
        return [self.extractor.source_key(cand, blob), *(self.extractor.key(d, path, blob) for d in extracted)]

    def _briefs(self, members: list[tuple[Candidate, list[Label]]], results: Results) -> dict[Label, tuple[str, Any]]:
        """The briefs of these candidates: what reading each found, and each of its results."""
        out: dict[Label, tuple[str, Any]] = {}
        index, sources = self.index, self.extractor.sources
        for cand, labels in members:
            path = cand.entry.path
            extracted = self.extractor.extracted(cand)
            if path not in sources or extracted is None:
                continue
            source = labels[0]
            out[source] = (index[source], sources[path])
            for det in extracted:
                label = (det.name, path, source[2])
                out[label] = (index[label], results.brief((det.name, path)))
        return out

    def reread(self) -> None:
        """Phase 1 ran again, loading and extracting every result the ordinary way, because a result
        the briefs stood for was gone from the cache or stored anew: with no result taken from
        briefs, settling digests every one again."""
        self._settled = False

    def result_digests(self) -> dict[tuple[str, str], str] | None:
        """The digest of each phase-1 result of this scan, by (detector, path), once phase 1 ran. None
        when a result has none (a file phase 1 could not open)."""
        if not self._settle():
            return None
        return {(label[0], label[1]): digest for label, digest in self.index.items()
                if label[0] != SOURCE and digest != DECLINED}

    def _settle(self) -> bool:
        """Whether this scan's index and output key are known, for the results phase 1 loaded or
        made. After a probe, the results phase 1 took from the last scan's briefs are those the
        index names (each brief was checked against it, and a fetched result against its digest);
        every other result is digested now, from the entry as this scan loaded or stored it (an
        entry evicted since and extracted anew, or stored anew by another scan, need not have the
        bytes the index names: a parse abandoned at the time limit is not always the same). Without
        a probe, every result is (0.2 s on the benchmark monorepo, which a changed scan saves)."""
        if self._settled:
            return True
        briefed = self.extractor.from_briefs
        again = [c for c in self.candidates if c.entry.path not in briefed] if self.output_key else None
        fresh = self._digests(self.candidates if again is None else again)
        if fresh is None:
            return False
        if again is None or any(self.index.get(label) != digest for label, digest in fresh.items()):
            self.index = {**self.index, **fresh}
            self.output_key = self._output_key(self.index)
        self._settled = True
        return True

    @property
    def labels(self) -> list[list[Label]]:
        """Each candidate's results, in candidate order."""
        if self._all_labels is None:
            self._all_labels = [self._labels(c) for c in self.candidates]
        return self._all_labels

    def _digests(self, candidates: list[Candidate]) -> dict[Label, str] | None:
        """The digest of each of these candidates' results, from this run; None when one has none
        (a file that could not be read). A sniffer that declined a file has no result of its own:
        its verdict is part of what reading the file found, whose digest covers it."""
        out: dict[Label, str] = {}
        digests = self.cache.digests
        for cand in candidates:
            extracted = self.extractor.extracted(cand)
            if extracted is None:
                return None
            path, blob = cand.entry.path, self._blob(cand)
            source, *keys = self._keys(cand)
            if source not in digests:
                return None
            out[(SOURCE, path, blob)] = digests[source]
            # what reading found (an unreadable file, a sniffer's "not this file") is the source's digest
            out.update(((d.name, path, blob), DECLINED) for d in (*cand.by_name, *cand.by_content))
            for det, key in zip(extracted, keys, strict=True):
                if key not in digests:
                    return None
                out[(det.name, path, blob)] = digests[key]
        return out

    def _blob(self, cand: Candidate) -> str:
        return self.extractor.blob_of(cand) or ""

    def _labels(self, cand: Candidate) -> list[Label]:
        path, blob = cand.entry.path, self._blob(cand)
        return [(SOURCE, path, blob), *((d.name, path, blob) for d in (*cand.by_name, *cand.by_content))]

    def _output_key(self, digests: dict[Label, str]) -> str:
        """What the model depends on, named by results: each result's digest (with its detector
        and path), the listing, the configuration, infrascan and every detector's code."""
        parts = [self.index_key, self.config.canonical(),
                 self.source.remote_url or ""]
        parts += (f"{label[0]}\0{label[1]}\0{digests.get(label, '')}" for labels in self.labels for label in labels)
        parts += (entry.path for entry in self.entries)
        return "model-out:" + hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _bucket(path: str) -> int:
    """A path's bucket of briefs: fixed by the path alone, so a file's briefs stay in one row."""
    return zlib.crc32(path.encode()) % BRIEF_BUCKETS
