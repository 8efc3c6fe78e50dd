"""Phase 2 on two cores: the detector with the most files resolves in a forked child while this
process resolves the others.

On a 300-service monorepo Helm's resolve takes 0.28 s over its 3,900 files and the others 0.3 s
together, one after the other on one core while the other sits idle. A resolve reads nothing but
its context and is deterministic (resolvememo.py relies on it too), so a child can run it: the
child sends back what the resolve gave (its facts and diagnostics) and what it stored meanwhile
(the resolve memo's entries, pickled already), and the scan takes them in the detector's place,
exactly as if it had run here. A child that fails costs nothing but the time: its detector is
resolved here.

Below MIN_FILES on either side the fork and the pickling cost more than they save, so a small
repository, or a changed file whose other detectors the memo recalls, stays in one process.
"""

from __future__ import annotations

import contextlib
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from infrascan.cache import Cache, forkable
from infrascan.detector import Detector, ResolveContext
from infrascan.model import Diagnostic, Fact
from infrascan.results import ResultsEvicted

MIN_FILES = 1000

# What resolving one detector gave: its facts, and the diagnostics it reported meanwhile.
Outcome = tuple[list[Fact], list[Diagnostic]]
Resolve = Callable[[Detector], Outcome]


@dataclass
class Aside:
    """A detector resolving in a child, and the pipe its outcome comes back through."""

    detector: Detector
    pid: int
    reader: int

    def outcome(self, cache: Cache | None) -> Outcome | None:
        """What the child's resolve gave, with what it stored taken into `cache`; None when the
        child failed. Raises ResultsEvicted when the child found a result gone from the cache."""
        with os.fdopen(self.reader, "rb") as pipe:
            data = pipe.read()
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        try:
            sent: Any = pickle.loads(data)
        except Exception:
            return None
        if sent == "evicted":
            raise ResultsEvicted()
        facts, diagnostics, stored = sent
        if cache is not None:
            cache.adopt(stored)
        return facts, diagnostics


def chosen(detectors: list[Detector], ctx: ResolveContext) -> Detector | None:
    """The detector to resolve aside: the one with the most files, when it and the others each
    have at least MIN_FILES."""
    if len(detectors) < 2:
        return None
    files = {d.name: len(ctx.paths(d.name)) for d in detectors}
    largest = max(detectors, key=lambda d: files[d.name])
    rest = sum(files.values()) - files[largest.name]
    return largest if files[largest.name] >= MIN_FILES and rest >= MIN_FILES else None


def start(detector: Detector, resolve: Resolve, cache: Cache | None) -> Aside | None:
    """Forks a child that resolves `detector` with `resolve`; None where a fork is not safe.

    The cache's connection is closed first: a child must open its own, never use an inherited one."""
    if not forkable():
        return None
    mark = cache.release() if cache is not None else None
    reader, writer = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(reader)
        os.close(writer)
        return None
    if pid == 0:  # the child: resolve, send, and leave without running anything the parent owns
        code = 1
        try:
            os.close(reader)
            try:
                facts, diagnostics = resolve(detector)
                sent: Any = (facts, diagnostics, cache.stored_since(mark) if cache is not None else [])
            except ResultsEvicted:
                sent = "evicted"
            with os.fdopen(writer, "wb") as pipe:
                pickle.dump(sent, pipe, protocol=pickle.HIGHEST_PROTOCOL)
            code = 0
        finally:
            os._exit(code)
    os.close(writer)
    return Aside(detector, pid, reader)
