"""From the facts of every detector to one model: normalised, merged, ordered.

Equal facts (same field, block, item and text) are joined and their evidence combined. Facts
that say different things about one field are all kept; the renderer shows the best and lists
the others. Environment names are normalised here, once, so `prod` in a workflow and
`production` in a values file land in the same block.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from infrascan.catalog import Catalog, Tech
from infrascan.components import Components
from infrascan.environments import PRODUCTION, STAGING, TEMPLATE_TIERS, block_order, normalise
from infrascan.envvars import is_local_port_host
from infrascan.fields import FIELD_BY_ID, Scope
from infrascan.model import OWN_PIPELINE, Code, Confidence, Diagnostic, Fact, FactScope, order_key, text
from infrascan.source import is_example_beyond_tests, is_example_path, is_retired_path


@dataclass
class SourceStat:
    """One detector's reach: what it reads and how many files it read in this repository."""

    detector: str
    description: str
    files: int
    looks_for: dict[str, str]
    # Per field, when only some kinds of the files read can hold it (`Detector.looks_in`): their
    # globs, and how many of the files read match them.
    looks_in: dict[str, tuple[str, ...]] = field(default_factory=dict)
    field_files: dict[str, int] = field(default_factory=dict)

    def files_for(self, field_id: str) -> int:
        """How many files read could hold this field."""
        return self.field_files.get(field_id, self.files)


@dataclass
class RepoInfo:
    root_name: str
    commit: str | None
    ref: str | None
    remote_url: str | None
    is_git: bool


@dataclass
class Model:
    facts: list[Fact]
    diagnostics: list[Diagnostic]
    environments: list[str]
    services: list[str]
    components: list[str]
    sources: list[SourceStat]
    repository: RepoInfo
    files_listed: int = 0
    files_read: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def facts_for(self, field_id: str, env: str | None = None, service: str | None = None) -> list[Fact]:
        return [f for f in self.facts if f.field == field_id and f.env == env and f.service == service]


def fact_sort_key(fact: Fact) -> tuple[Any, ...]:
    return (
        fact.field,
        fact.env or "",
        fact.service or "",
        order_key(fact.order),
        fact.item,
        fact.confidence.strength,
        fact.rank,
        fact.text,
        fact.evidence,
    )


def _merge(group: list[Fact]) -> Fact:
    """Facts that say the same thing: one fact, all their evidence, the strongest confidence."""
    first = group[0]
    if len(group) == 1:
        return first
    attrs: dict[str, Any] = {}
    for fact in reversed(group):
        attrs.update(fact.attrs)
    orders = [f.order for f in group if f.order]
    return replace(
        first,
        evidence=tuple(sorted({e for f in group for e in f.evidence})),
        confidence=min((f.confidence for f in group), key=lambda c: c.strength),
        rank=min(f.rank for f in group),
        attrs=attrs,
        scope=FactScope.joined(f.scope for f in group),
        order=min(orders, key=order_key) if orders else (),
    )


def engines_behind_hosts(facts: list[Fact], catalog: Catalog) -> list[Fact]:
    """A connection URL (or a `*_HOST` variable) whose host is a store service of the repository
    names that service's engine.

    The scheme names a protocol, not an engine: `mongodb://documentdb:10260` reaches the compose
    service or workload `documentdb`, which runs DocumentDB (it speaks MongoDB's protocol). The URL
    fact then names DocumentDB, says why, and cites the store's line. Only an engine the catalog
    says speaks the scheme's protocol is taken, and only when every store of that name runs it.
    A `localhost:<port>` host names only a store of the same environment that publishes that port.
    """
    runs: dict[str, list[Fact]] = {}
    for fact in facts:
        if fact.field == "env.database" and fact.tech:
            for host in fact.attrs.get("hosts", ()):
                runs.setdefault(host, []).append(fact)
    if not runs:
        return facts
    return [_named_by_host(fact, runs, catalog) if fact.field == "env.database" and "host" in fact.attrs else fact
            for fact in facts]


def _named_by_host(fact: Fact, runs: dict[str, list[Fact]], catalog: Catalog) -> Fact:
    host = fact.attrs["host"]
    stores = runs.get(host, []) if isinstance(host, str) else []
    if is_local_port_host(host):
        # a local port is the stack of the same environment's, never another's (a production
        # .env's `localhost` is the production host)
        stores = [s for s in stores if s.env == fact.env]
    engines = {s.tech for s in stores}
    engine = catalog.techs.get(engines.pop() or "") if len(engines) == 1 else None
    spoken = catalog.techs.get(fact.tech or "")
    first = fact.parts[0] if fact.parts else ""
    if engine is None or spoken is None or spoken.id not in engine.speaks or not isinstance(first, str):
        return fact
    if not first.startswith(f"{spoken.name}: "):
        return fact
    detector = fact.evidence[0].detector
    # Cite the store the same kind of source runs in the same environment (the workload, not a compose service).
    store = min(stores, key=lambda s: (s.env != fact.env, s.evidence[0].detector != detector, s.evidence))
    return replace(
        fact,
        parts=text(
            engine.name,
            first[len(spoken.name) :],
            *fact.parts[1:],
            "; host ",
            Code(str(host)),
            f" runs {engine.name} here (it speaks the {spoken.name} protocol)",
        ),
        tech=engine.id,
        item=engine.id,
        evidence=tuple(sorted({*fact.evidence, *store.evidence})),
    )


def _monitoring_tools(facts: Iterable[Fact], catalog: Catalog) -> list[Fact]:
    """The "Monitoring Tools" line lists every tool the monitoring sub-fields found, once each; not
    a library only a dependency depends on (shiori's go.mod pulls OpenTelemetry in `// indirect`,
    which its own sub-field shows as such)."""
    derived = []
    for fact in facts:
        if fact.field.startswith("mon.") and fact.field != "mon.tools" and fact.tech in catalog.techs \
                and not fact.attrs.get("indirect"):
            tech = catalog.get(fact.tech)
            derived.append(
                replace(
                    fact,
                    field="mon.tools",
                    parts=text(tech.name),
                    item=tech.id,
                    order=(),
                    attrs={},
                    env=None,
                    service=None,
                )
            )
    return derived


# Where a monitoring tool must run for its errors and slowdowns to tell that a release went bad: a
# Jaeger that only a development compose file starts sees no release.
RELEASED = (PRODUCTION, STAGING)


def _only_a_client(fact: Fact) -> bool:
    """Known from a client alone: a library the code uses (`prometheus/client_golang`) or the
    variables that configure one (`OTEL_EXPORTER_OTLP_ENDPOINT`), which for a collected tool
    (`Tech.collected`) send what nothing shown here collects or shows."""
    return bool(fact.attrs.get("configured")) or all(e.detector == "manifests" for e in fact.evidence)


def _watched(tech: Tech, used: set[str]) -> str:
    """What a monitoring tool shows of a bad release: a profiler (Blackfire, Skylight) slowdowns,
    not errors; an error tracker without performance monitoring, errors. Of what the tool can do,
    what the repository uses (`used`, the monitoring fields its facts are in): a Sentry SDK alone
    reports errors, and slowdowns only once tracing is set up (netbox-docker's `sentry-sdk`)."""
    kinds = set(tech.monitoring) & {"application", "performance"}
    kinds = (kinds & used) or kinds
    if kinds == {"performance"}:
        return "Slowdowns"
    if kinds == {"application"}:
        return "New errors"
    return "New errors or slowdowns"


def _mobile_apps(facts: Iterable[Fact]) -> tuple[str, ...]:
    """The folders (with their trailing `/`) of the mobile apps whose monitoring SDK a manifest
    names: what else a file in them configures (linkwarden's SENTRY_AUTH_TOKEN in
    apps/mobile/.env.sample) reports from users' devices too, not from a release."""
    return tuple(sorted({e.path.rpartition("/")[0] + "/" for fact in facts if fact.attrs.get("runs_in") == "mobile app"
                         for e in fact.evidence if "/" in e.path}))


def _rollback_signals(facts: Iterable[Fact], catalog: Catalog) -> list[Fact]:
    """What would tell a team a release is bad: their error tracking, critical alerts, health checks."""
    facts = [fact for fact in facts if fact.confidence is not Confidence.HINT]
    apps = _mobile_apps(facts)
    watching = [(fact, tech) for fact in facts
                if fact.field in ("mon.application", "mon.performance")
                and (tech := catalog.techs.get(fact.tech or "")) is not None
                and fact.attrs.get("runs_in") in (None, *RELEASED)
                and not (apps and all(e.path.startswith(apps) for e in fact.evidence))
                and not tech.forwards and not (tech.collected and _only_a_client(fact))]
    used: dict[str, set[str]] = defaultdict(set)  # per tool, what its facts show it used for
    for fact, tech in watching:
        used[tech.id].add(fact.field.removeprefix("mon."))
    derived = [
        replace(
            fact,
            field="deploy.rollback.identify",
            confidence=Confidence.INFERRED,
            parts=text(_watched(tech, used[tech.id]), " after a release in ", tech.name),
            item=f"monitoring:{tech.id}",
            order=(),
            attrs={},
            env=None,
            service=None,
        )
        for fact, tech in watching
    ]
    for fact in facts:
        if fact.field == "alert.critical":
            derived.append(
                replace(
                    fact,
                    field="deploy.rollback.identify",
                    confidence=Confidence.INFERRED,
                    parts=text("Critical alerts firing after a release (see Alert Configuration)"),
                    item="alerts",
                    order=(),
                    attrs={},
                    env=None,
                    service=None,
                )
            )
        elif fact.field == "deploy.rollback.verify" and not fact.attrs.get("boot_gate"):
            # a check that gates a version's boot (Kamal's) stops a bad deploy before it is a release
            derived.append(
                replace(
                    fact,
                    field="deploy.rollback.identify",
                    confidence=Confidence.INFERRED,
                    parts=text("Failing health checks after a release: ", *fact.parts),
                    item=f"health:{fact.item}",
                    order=(),
                    attrs={},
                    env=None,
                    service=None,
                )
            )
    return derived


def _placed(fact: Fact, **changes: Any) -> Fact:
    """`replace` for what the merge settles (block, scope, component), in a third of its time (8,000
    facts on a 300-service monorepo): the attributes copied as they are, then `__post_init__` as
    `replace` runs it, since a detector may have changed a fact's parts after making it and its
    text is derived here again."""
    placed = object.__new__(Fact)
    placed.__dict__.update(fact.__dict__, **changes)
    placed.__post_init__()
    return placed


def _scope(fact: Fact) -> FactScope:
    """Where a fact's evidence lives: only in deprecated or archived folders, only in examples, tests
    and docs (or a detector said it is an example), or in the repository's own files. For the test
    fields, a folder of tests is the repository's own: it is where its suites live."""
    tests_own = fact.field.startswith(_TEST_FIELDS)
    scopes = [_path_scope(e.path, tests_own) for e in fact.evidence]
    if FactScope.MAIN in scopes:
        return FactScope.EXAMPLE if fact.scope is FactScope.EXAMPLE else FactScope.MAIN
    return FactScope.EXAMPLE if FactScope.EXAMPLE in scopes else FactScope.RETIRED


_TEST_FIELDS = "ci.test."


def _as_template(fact: Fact, templates: dict[str, str]) -> Fact:
    """A fact of the repository's own files that only templates for others cite is an example, and
    says whose template (Detector.templates), unless the detector said the template's deploy never
    reads what it states (`OWN_PIPELINE`)."""
    if fact.scope is not FactScope.MAIN or fact.attrs.get(OWN_PIPELINE):
        return fact
    own = [e.path for e in fact.evidence if _path_scope(e.path) is FactScope.MAIN]
    if not own or not all(path in templates for path in own):
        return fact
    return _placed(fact, scope=FactScope.EXAMPLE, attrs={**fact.attrs, "template": templates[own[0]]})


def _path_scope(path: str, tests_own: bool = False) -> FactScope:
    """One evidence path's scope (every test is memoised per path: many facts cite one file)."""
    if is_retired_path(path):
        return FactScope.RETIRED
    example = is_example_beyond_tests(path) if tests_own else is_example_path(path)
    return FactScope.EXAMPLE if example else FactScope.MAIN


def build_model(
    facts: list[Fact],
    diagnostics: list[Diagnostic],
    *,
    paths: list[str],
    catalog: Catalog,
    aliases: dict[str, str],
    sources: list[SourceStat],
    repository: RepoInfo,
    files_read: int,
    templates: dict[str, str] | None = None,
) -> Model:
    """The model of these facts. `templates`: files others deploy as templates (Detector.templates),
    with why; a fact only they evidence is an example, and says why."""
    components = Components(paths)
    templates = templates or {}
    blocks: dict[str, str] = {}  # environment name as written -> its block (a few names, thousands of facts)
    prepared: list[Fact] = []
    for fact in facts:
        spec = FIELD_BY_ID[fact.field]
        env = None
        if fact.env and spec.scope is Scope.ENVIRONMENT:
            env = blocks.get(fact.env)
            if env is None:
                env = blocks[fact.env] = normalise(fact.env, aliases)
        service = fact.service if spec.scope is Scope.SERVICE else None
        prepared.append(
            _placed(fact, env=env, service=service, scope=_scope(fact), component=components.of(fact.evidence[0].path))
        )
    prepared = engines_behind_hosts(prepared, catalog)
    prepared.extend(_monitoring_tools(prepared, catalog))
    prepared.extend(_rollback_signals(prepared, catalog))
    if templates:  # after the facts derived from them, which cite them too
        prepared = [_as_template(fact, templates) for fact in prepared]

    groups: dict[tuple[Any, ...], list[Fact]] = {}
    for fact in prepared:
        groups.setdefault(fact.key(), []).append(fact)
    ordered = sorted((_merge(group) for group in groups.values()), key=fact_sort_key)

    environments = list(TEMPLATE_TIERS)
    extra = sorted(
        {
            f.env
            for f in ordered
            if f.env
            and f.env not in TEMPLATE_TIERS
            and f.scope is FactScope.MAIN
            and f.confidence is not Confidence.HINT
        },
        key=block_order,
    )
    environments.extend(extra)
    services = sorted(
        {f.service for f in ordered if f.service and f.scope is FactScope.MAIN and f.confidence is not Confidence.HINT},
        key=lambda s: catalog.techs[s].name.lower() if s in catalog.techs else s,
    )
    unique_diags = sorted(set(diagnostics), key=Diagnostic.sort_key)
    return Model(
        facts=ordered,
        diagnostics=unique_diags,
        environments=environments,
        services=services,
        components=components.roots,
        sources=sources,
        repository=repository,
        files_listed=len(paths),
        files_read=files_read,
    )
