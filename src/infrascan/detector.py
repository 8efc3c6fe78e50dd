"""The detector plugin interface: what every built-in and third-party detector implements.

A detector claims files (by path pattern, or by a cheap look at the content for files such as
Kubernetes manifests that have no naming convention) and works in two phases:

1. `extract(file)`: a pure function of one file's text. It returns facts that one file proves on
   its own, records (raw observations with lines) for later resolution, and diagnostics. Its
   result depends only on the file's content, the detector's version, infrascan's version, the
   catalog and the configuration, which is what lets it be cached by blob id.
2. `resolve(ctx)`: once per repository, over every detector's records. Whatever needs several
   files (includes, extends, reusable workflows, module binding, values merging, a Dockerfile's
   entrypoint script, package.json scripts) happens here, without reading files again.

Open `detectors/compose.py` to see one complete example; they all read the same way.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from infrascan.catalog import Catalog, load_catalog
from infrascan.config import Config
from infrascan.globs import compile_globs
from infrascan.model import Diagnostic, Evidence, Fact, Severity
from infrascan.needles import needles as find_needles
from infrascan.results import Extraction as Extraction  # re-exported: detectors import it from here
from infrascan.results import Record as Record  # re-exported, as Extraction
from infrascan.results import Results
from infrascan.yamlload import YDict, load_yaml


@dataclass(frozen=True)
class SourceFile:
    path: str
    text: str


_MAX_NEEDLES = 8  # a substring test costs about a tenth of a search (needles.py)


@dataclass(frozen=True)
class Sniff:
    """Claims files by content: files with one of `suffixes` whose first bytes match `pattern`,
    unless a detector named in `yields_to` claims the file by its name (GitLab CI's sniff reads
    like Bitbucket's or Azure's pipelines, which have names of their own)."""

    suffixes: tuple[str, ...]
    pattern: re.Pattern[str]
    head: int = 16384
    yields_to: tuple[str, ...] = ()
    # Files whose first bytes also match this belong to a format that reads alike but is not this
    # one (Codefresh and Drone pipelines have GitLab's `stages:` and `stage:` too).
    unless: re.Pattern[str] | None = None
    # Text the pattern cannot match without (needles.py): a head holding none is declined by `in`,
    # a scan in C, where the pattern is tried at every line start. Most YAML files of a repository
    # are claimed by no sniffer, and each was searched by eight patterns.
    needles: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        found = find_needles(self.pattern.pattern, self.pattern.flags)
        # Short needles (GitLab's `.`) are in every file, and each needle is a scan of its own.
        useful = found if found and len(found) <= _MAX_NEEDLES and min(map(len, found)) >= 3 else ()
        object.__setattr__(self, "needles", useful)


# One independent part of a detector's phase 2: its inputs (a picklable value holding everything the
# part reads) and the function computing its facts from them.
Piece = tuple[Any, Callable[[], list[Fact]]]


class PieceStore(Protocol):
    """Where pieces' facts are kept between scans (the scan cache): see ResolveContext.pieces."""

    def pieces(self, detector: Detector, work: Sequence[Piece], diagnostics: list[Diagnostic]) -> list[list[Fact]]:
        ...

    def named(self, results: Sequence[tuple[str, str]]) -> object:
        ...


class ResolveContext:
    """Everything phase 2 may look at: every detector's phase-1 results, never the files."""

    def __init__(
        self,
        files: list[str],
        results: Mapping[tuple[str, str], Extraction],
        config: Config,
        catalog: Catalog,
        remote_url: str | None = None,
        store: PieceStore | None = None,
    ) -> None:
        self._files = files
        # Where the repository is hosted (None offline): tells an include of "this project" from another.
        self.remote_url = remote_url
        self.config = config
        self.catalog = catalog
        self._results = results if isinstance(results, Results) else Results(results)
        # Which results hold records of each kind, in order; their records are gathered on first
        # asking, which is when a result left in the cache is loaded (see results.py).
        self._sources: dict[str, list[tuple[str, str]]] = defaultdict(list)
        self._by_kind: dict[str, list[Record]] = {}
        self._paths: dict[str, list[str]] = defaultdict(list)
        for key in sorted(self._results):
            self._paths[key[0]].append(key[1])
            for kind in self._results.brief(key).kinds:
                self._sources[kind].append(key)
        self.diagnostics: list[Diagnostic] = []
        self._store = store

    @property
    def files(self) -> list[str]:
        """Every path in the listing (read-only: a property, so that what a detector asks can be traced)."""
        return self._files

    def records(self, kind: str) -> list[Record]:
        found = self._by_kind.get(kind)
        if found is None:
            sources = self.record_sources(kind)
            loaded = self._results.load(sources)
            found = self._by_kind[kind] = [
                record for key in sources for record in loaded[key].records if record.kind == kind]
        return found

    def record_sources(self, kind: str) -> list[tuple[str, str]]:
        """The results, by (detector, path), that hold records of this kind, in the order `records`
        lists those records."""
        return self._sources.get(kind, [])

    def phase1_facts(self) -> list[Fact]:
        """Facts every detector's phase 1 produced (before merging), e.g. to know the services."""
        return [fact for key in sorted(self._results) for fact in self._results.brief(key).facts]

    def paths(self, detector: str) -> list[str]:
        """Files a detector read in phase 1."""
        return self._paths.get(detector, [])

    def extraction(self, detector: str, path: str) -> Extraction | None:
        return self._results.get((detector, path))

    def extractions(self, results: Sequence[tuple[str, str]]) -> list[Extraction | None]:
        """`extraction` of each of these (detector, path), loaded from the cache at once."""
        loaded = self._results.load([key for key in results if key in self._results])
        return [loaded.get(key) for key in results]

    def named(self, results: Sequence[tuple[str, str]]) -> object:
        """A name for these phase-1 results' content, to stand in a piece's inputs for results the
        piece reads itself (with `extractions`) when it runs: with the scan cache, their digests, so
        a piece whose results did not change is not computed and they are not loaded."""
        return tuple(results) if self._store is None else self._store.named(results)

    def results(self) -> Results:
        """Every phase-1 result by (detector, path): what the answers to the other questions are made of."""
        return self._results

    def pieces(self, detector: Detector, work: Sequence[Piece]) -> list[list[Fact]]:
        """The facts of independent parts of a detector's phase 2 (a chart each, for Helm), in order.

        Each part must be a function of its inputs alone: they are what it reads, all of it. With
        the scan cache, a part whose inputs pickle to the same bytes as in an earlier scan gives what
        it gave then without being computed: a monorepo's changed chart is the only one read again."""
        if self._store is None:
            return [compute() for _, compute in work]
        return self._store.pieces(detector, work, self.diagnostics)

    def diagnose(
        self, path: str, line: int | None, message: str, detector: str, severity: Severity = Severity.WARNING
    ) -> None:
        self.diagnostics.append(Diagnostic(path, line, message, severity, detector))


class Detector:
    """Base class for detectors; subclasses set the class attributes and override the phases."""

    name: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    description: ClassVar[str] = ""
    patterns: ClassVar[tuple[str, ...]] = ()
    sniff: ClassVar[Sniff | None] = None
    # Field id -> where this detector looks for that field's evidence; gaps quote these.
    looks_for: ClassVar[Mapping[str, str]] = {}
    # Fields only some kinds of the files it reads can hold, with those files' globs: a gap then
    # counts them alone ("Render services with autoDeploy off (1 file)" must not count a Procfile).
    looks_in: ClassVar[Mapping[str, tuple[str, ...]]] = {}

    _matcher: Callable[[str], bool] | None = None

    def claims(self, path: str) -> bool:
        if self._matcher is None:
            self._matcher = compile_globs(self.patterns)
        return self._matcher(path)

    def prepare(self) -> None:
        """Loads, once per process, what extraction needs whatever the file (a parser's tables).

        Called before each extraction, outside the per-file time limit: building python-hcl2's
        grammar takes over a second, and on a busy machine it made the first Terraform file of a
        scan run past the limit and be abandoned. Must be cheap after its first call."""

    def extract(self, file: SourceFile) -> Extraction:
        return Extraction()

    def resolve(self, ctx: ResolveContext) -> list[Fact]:
        return []

    def counted(self, paths: Sequence[str]) -> int:
        """How many of the files it read the detector reports as its own (a gap's "where we looked"
        names that count): all of them, unless its patterns also claim files that only turn out to
        be its kind in phase 2 (a `templates/` folder is Helm's only inside a chart)."""
        return len(paths)

    def templates(self, ctx: ResolveContext) -> dict[str, str]:
        """Optional: files of the repository that are templates for others to deploy, each with what
        says so (the `render.yaml` a README's Deploy to Render button deploys into the reader's own
        account). Every fact they alone evidence is said as an example, not as where this
        repository runs, unless its attributes carry `OWN_PIPELINE`: the parts of such a file that
        what the button deploys never reads. Read only the context, as `resolve` does."""
        return {}

    def conclude(self, ctx: ResolveContext, facts: Sequence[Fact]) -> list[Fact]:
        """Optional last step: facts about what no detector found, given every phase-1 and phase-2 fact.

        Most detectors never need it. It exists for statements of absence ("migration files exist
        but no step applies them") that are only true once every other detector has resolved.
        """
        return []

    # -- helpers shared by detectors ---------------------------------------------------------

    @property
    def catalog(self) -> Catalog:
        return load_catalog()

    def evidence(self, path: str, line: int) -> tuple[Evidence, ...]:
        return (Evidence(path, max(line, 0), self.name),)

    def yaml_documents(self, file: SourceFile, out: Extraction) -> list[Any]:
        """The file's YAML documents through the one loader; an error (with its line) and duplicate
        keys become diagnostics, and the documents that did load are still returned."""
        loaded = load_yaml(file.text)
        if loaded.error:
            out.diagnostics.append(self.diagnostic(file.path, loaded.error.line, f"invalid YAML: {loaded.error}"))
        for key, line in loaded.warnings:
            out.diagnostics.append(self.diagnostic(file.path, line, f"duplicate key {key!r}; the last one wins"))
        return loaded.documents

    def yaml_mapping(self, file: SourceFile, out: Extraction) -> YDict | None:
        """The file's first mapping document (a pipeline or manifest is one map), loaded as
        `yaml_documents` loads it."""
        return next((d for d in self.yaml_documents(file, out) if isinstance(d, YDict)), None)

    def json_mapping(self, file: SourceFile, out: Extraction) -> dict[str, Any] | None:
        """The file's JSON object (package.json, project.json, a migration journal); invalid JSON
        costs a diagnostic at the line the parser stopped, anything but an object is None."""
        try:
            data = json.loads(file.text)
        except ValueError as exc:
            out.diagnostics.append(self.diagnostic(file.path, getattr(exc, "lineno", None), f"invalid JSON: {exc}"))
            return None
        return data if isinstance(data, dict) else None

    def diagnostic(
        self, path: str, line: int | None, message: str, severity: Severity = Severity.WARNING
    ) -> Diagnostic:
        return Diagnostic(path, line, message, severity, self.name)


def is_helm_template(file: SourceFile) -> bool:
    """A templated file in a chart's `templates/`: not YAML until Helm renders it, and the Helm
    detector's to read. Content sniffs (alert rules, log store configs) leave it alone."""
    return "/templates/" in f"/{file.path}" and "{{" in file.text


def records_by_path(records: Iterable[Record]) -> dict[str, list[Record]]:
    grouped: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        grouped[record.path].append(record)
    return grouped
