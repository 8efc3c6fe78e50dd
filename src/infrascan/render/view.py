"""The model arranged as the template reads: sections, blocks, fields, entries, gaps.

Both the default template and users' own templates render this view. Everything that needs a
decision (which fact is best, what is a gap, where infrascan looked, how a link is written) is
decided here, so templates only lay text out, and every repository string they receive has
already passed the one escaping function.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from urllib.parse import quote

from infrascan.catalog import load_catalog
from infrascan.components import is_marker
from infrascan.diagram import build_diagram
from infrascan.environments import DEVELOPMENT, PRODUCTION, STAGING, TEMPLATE_TIERS, display_name
from infrascan.escape import escape_md, escape_trusted
from infrascan.fields import (
    ENV_BLOCK_FIELDS,
    EXTRA_ENV_FIELDS,
    FIELD_BY_ID,
    OPTIONAL_ENV_FIELDS,
    SERVICE_FIELDS,
)
from infrascan.gcpause import collector_paused
from infrascan.globs import compile_globs
from infrascan.merge import Model, SourceStat
from infrascan.model import Code, Confidence, Diagnostic, Evidence, Fact, FactScope, Part, order_key
from infrascan.source import development_dockerfile, is_within

MAX_LINKS = 3
MAX_ALSO = 5  # "also" lines under one entry; the JSON has them all
MAX_HINTS = 5
REPEATED = 3  # a statement made in this many components is written once, for all of them
GAP = "**Gap:**"

LinkFn = Callable[[Evidence], str]


@dataclass
class FactView:
    fact: Fact
    text: str  # escaped markdown
    links: str  # escaped markdown links
    qualifier: str  # "", " (inferred)", " (example file)"

    @property
    def line(self) -> str:
        links = f" — {self.links}" if self.links else ""
        return f"{self.text}{self.qualifier}{links}"


@dataclass
class Entry:
    best: FactView
    also: list[FactView]
    more: int = 0  # "also" facts not listed


@dataclass
class FieldView:
    id: str
    label: str
    shape: str
    entries: list[Entry]
    hints: list[FactView]
    gap: str  # escaped markdown, empty when filled
    more_hints: int = 0

    @property
    def filled(self) -> bool:
        return bool(self.entries)


@dataclass
class BlockView:
    key: str
    title: str
    fields: list[FieldView]
    headline: FieldView | None = None  # a service's purpose, shown on its own bullet line


@dataclass
class ComponentRow:
    """One line of the monorepo summary: what one component runs on, stores, and ships with."""

    path: str
    link: str
    runtime: str
    databases: str
    ci: str
    deploy: str
    environments: str

    def found_any(self) -> bool:
        return any(cell != "-" for cell in (self.runtime, self.databases, self.ci, self.deploy, self.environments))


@dataclass
class DocumentView:
    environments: list[BlockView]
    build: FieldView
    tests: list[FieldView]
    triggers: list[FieldView]
    monitoring_tools: FieldView
    monitoring: list[FieldView]
    logging: list[FieldView]
    alerts: list[FieldView]
    deploy_steps: FieldView
    rollback: list[FieldView]
    migrations: list[FieldView]
    services: list[BlockView]
    services_gap: str
    filled: int
    total: int
    extras: dict[str, object] = field(default_factory=dict)
    # With no service in use: the services configured but never selected (firefly-iii's Mailgun and
    # Pusher settings in .env.example), each as a hint under the gap line, with its name.
    service_hints: list[FactView] = field(default_factory=list)
    components: list[ComponentRow] = field(default_factory=list)
    # Components in which nothing the table shows was found (a monorepo's library packages): named
    # under the table, not given a row of dashes each.
    quiet_components: list[ComponentRow] = field(default_factory=list)

    @property
    def gaps(self) -> int:
        return self.total - self.filled


def relative_links(doc_path: str) -> LinkFn:
    """Links relative to where the document lives (`docs/INFRA.md` links `../deploy.yml`)."""
    doc_dir = posixpath.dirname(doc_path)

    def link(ev: Evidence) -> str:
        target = posixpath.relpath(ev.path, doc_dir) if doc_dir else ev.path
        anchor = f"#L{ev.line}" if ev.line > 0 else ""
        return quote(target, safe="/._-~+@") + anchor

    return link


def render_part(part: str | Code) -> str:
    return escape_md(part.text, code=True) if isinstance(part, Code) else escape_md(part)


def render_text(fact: Fact) -> str:
    out = []
    for part in fact.parts:
        rendered = render_part(part)
        # escape_md flattens whitespace; keep the spaces that separate parts
        if isinstance(part, str):
            if not part.strip():
                rendered = " " if part else ""
            else:
                if part[:1].isspace():
                    rendered = " " + rendered
                if part[-1:].isspace():
                    rendered = rendered + " "
        out.append(rendered)
    return "".join(out).strip()


def render_links(evidence: tuple[Evidence, ...], link: LinkFn) -> str:
    # one link per place: two services sharing a YAML anchor cite the anchor's line twice (netbox-docker)
    first: dict[tuple[str, int], Evidence] = {}
    for ev in evidence:
        first.setdefault((ev.path, ev.line), ev)
    evidence = tuple(first.values())
    shown = []
    for ev in evidence[:MAX_LINKS]:
        label = escape_md(f"{ev.path}:{ev.line}" if ev.line > 0 else ev.path)
        shown.append(f"[{label}]({link(ev)})")
    more = len(evidence) - MAX_LINKS
    if more > 0:
        shown.append(f"and {more} more")
    return ", ".join(shown)


def _qualifier(fact: Fact) -> str:
    parts = []
    if fact.scope is FactScope.EXAMPLE and fact.attrs.get("template"):
        parts.append(f" (from a template others deploy: {escape_md(str(fact.attrs['template']))})")
    elif fact.scope is FactScope.EXAMPLE:
        parts.append(" (from an example or test file)")
    elif fact.scope is FactScope.RETIRED:
        parts.append(" (from a deprecated or archived folder)")
    elif fact.confidence is Confidence.INFERRED:
        parts.append(" (inferred)")
    repeated = fact.attrs.get("in_components")
    if repeated:
        parts.append(f" (in {repeated} components)")
    return "".join(parts)


class ViewBuilder:
    def __init__(self, model: Model, link: LinkFn, component: str | None = None, diagrams: bool = True) -> None:
        self.component = component
        self.diagrams = diagrams
        self.model = model
        self.link = link
        self.catalog = load_catalog()
        self._index: dict[tuple[str, str | None, str | None], list[Fact]] = defaultdict(list)
        for fact in model.facts:
            if component is None or fact.component == component:
                self._index[(fact.field, fact.env, fact.service)].append(fact)
        self.filled = 0
        self.total = 0
        self._hint_homes: dict[str, str | None] = {}
        self._unparsed_paths: dict[str, set[str]] = defaultdict(set)  # detector -> files it could not parse
        self._undescribed: list[Diagnostic] = []  # deploy-like jobs it could not describe
        for diagnostic in model.diagnostics:
            if not diagnostic.detector or (component is not None and not is_within(diagnostic.path, component)):
                continue
            if diagnostic.unparsed:
                self._unparsed_paths[diagnostic.detector].add(diagnostic.path)
            elif diagnostic.undescribed_deploy:
                self._undescribed.append(diagnostic)

    def fact_view(self, fact: Fact) -> FactView:
        return FactView(fact, render_text(fact), render_links(fact.evidence, self.link), _qualifier(fact))

    def looked(self, field_id: str) -> str:
        """Where infrascan looked, as Markdown: what it read (with file counts); when it read
        nothing that could hold this field, the kinds of files it would have read."""
        read: list[str] = []
        absent: list[str] = []
        for src in sorted(self.model.sources, key=lambda s: s.detector):
            what = src.looks_for.get(field_id)
            if not what:
                continue
            files = src.files_for(field_id)
            if files:
                plural = "s" if files != 1 else ""
                read.append(f"{escape_trusted(what)} ({files} file{plural}{self._unparsed(src, field_id, files)})")
            elif src.files and field_id in src.looks_in:  # it read other kinds of files: name the missing ones
                absent.extend(escape_trusted(f"`{glob}`") for glob in src.looks_in[field_id])
            else:
                absent.append(escape_trusted(src.description.split(":")[0]))
        if read:
            return "Looked for " + "; ".join(read) + self._undescribed_note(field_id)
        if absent:
            return "None of these is in the repository: " + ", ".join(sorted(set(absent)))
        if field_id in _DRAWN_FROM:
            return _DRAWN_FROM[field_id]
        return "No installed detector reads evidence for this field"

    def _hint_home(self, field_id: str) -> str | None:
        """The environment whose gap lists this field's hints that name no environment: production's
        when it is a gap (where such leads matter most), else development's, staging's, then the
        first other environment's."""
        if field_id not in self._hint_homes:
            # only a block that shows the field when it is a gap (production has no "Special
            # configurations" line unless something fills it: linkding's pointed there for nothing)
            envs = [e for e in self.model.environments if field_id in ENV_BLOCK_FIELDS.get(e, EXTRA_ENV_FIELDS)]
            order = [e for e in (PRODUCTION, DEVELOPMENT, STAGING) if e in envs] + \
                [e for e in envs if e not in TEMPLATE_TIERS]
            # Special configurations are each their own: with every block that shows them filled,
            # still under the first (podinfo's autoscaling of deploy/secure, in no environment, was
            # in the model and nowhere in the document). A database or URL hint beside a settled
            # value only repeats it (a driver in a manifest under the PostgreSQL it connects to).
            kept = order[0] if order and field_id in _HINTS_KEPT_WHEN_FILLED else None
            self._hint_homes[field_id] = next(
                (e for e in order if not any(_fills(f) for f in self._index.get((field_id, e, None), []))), kept)
        return self._hint_homes[field_id]

    def _undescribed_note(self, field_id: str) -> str:
        """". Deploy jobs that run actions or commands infrascan does not know: `a.yml:96`": what the
        deploy steps' gap must not hide (the diagnostics say which)."""
        if field_id not in _DEPLOY_GAPS or not self._undescribed:
            return ""
        places = sorted({d.location() for d in self._undescribed})
        shown = ", ".join(escape_md(p, code=True) for p in places[:3])
        more = f" and {len(places) - 3} more" if len(places) > 3 else ""
        return f". Deploy jobs that run actions or commands infrascan does not know: {shown}{more}"

    def _unparsed(self, src: SourceStat, field_id: str, files: int) -> str:
        """`, 1 of them not fully parsed: docker-compose.yml`: a gap may come from a file infrascan
        could not read rather than from the repository (the diagnostics say where and why)."""
        paths = sorted(self._unparsed_paths.get(src.detector, ()))
        if paths and field_id in src.looks_in:  # only the files that could hold this field
            matches = compile_globs(src.looks_in[field_id])
            paths = [p for p in paths if matches(p)]
        if not paths:
            return ""
        shown = ", ".join(escape_md(p) for p in paths[:2])
        more = f" and {len(paths) - 2} more" if len(paths) > 2 else ""
        which = "" if files == 1 else f" {len(paths)} of them"
        return f",{which} not fully parsed: {shown}{more}"

    def field_view(
        self, field_id: str, env: str | None = None, service: str | None = None, count: bool = True
    ) -> FieldView:
        spec = FIELD_BY_ID[field_id]
        facts = _coalesce(self._index.get((field_id, env, service), []))
        groups: dict[str, list[Fact]] = defaultdict(list)
        for fact in facts:
            groups[fact.item].append(fact)
        entries: list[Entry] = []
        hints: list[FactView] = []
        for item_facts in _ordered_groups(groups):
            fills = [f for f in item_facts if _fills(f)]
            if not fills:
                hints.extend(self.fact_view(f) for f in item_facts)
                continue
            ranked = sorted(item_facts, key=_best_key)
            best = next(f for f in ranked if _fills(f))
            others = [f for f in ranked if f is not best]
            also = [self.fact_view(f) for f in others[:MAX_ALSO]]
            entries.append(Entry(self.fact_view(best), also, max(0, len(others) - MAX_ALSO)))
        gap = ""
        elsewhere = None
        if env is not None:
            # Hints that name no environment (a database driver, a compose file of no stated
            # environment) are leads for every environment's gap, but listed under one only: five
            # reviewers read the same block under Staging and Production as noise.
            envless = [f for f in self._index.get((field_id, None, None), []) if not _fills(f)]
            home = self._hint_home(field_id)
            if env == home:
                # coalesced as the field's own facts are, where they are listed: linkwarden's
                # Meilisearch driver, in two packages' manifests, was two identical lines, one of
                # them missing from the state
                hints.extend(self.fact_view(f) for f in _coalesce(envless))
            elif envless and home is not None and not entries:
                elsewhere = display_name(home)
        if not entries:
            reason = _gap_reason(field_id, env, bool(hints), elsewhere)
            gap = f"{GAP} {escape_md(reason)} {self.looked(field_id)}."
        if count:
            self.total += 1
            self.filled += bool(entries)
        # The strongest hints first (a managed database with no environment before a driver in a
        # manifest), the repository's own files before examples and retired folders (a deprecated
        # module is the weakest lead): only MAX_HINTS are shown. Stable, so equal ranks keep the
        # document's order.
        # Under a filled field, the block's own hints before those of no environment listed there
        # (podinfo's backup CronJob in development, behind five autoscalers of no environment).
        hints.sort(key=lambda h: (bool(entries) and h.fact.env is None, h.fact.scope.weight, h.fact.rank))
        more_hints = max(0, len(hints) - MAX_HINTS)
        return FieldView(field_id, spec.label, spec.shape.value, entries, hints[:MAX_HINTS], gap, more_hints)

    def environment(self, env: str) -> BlockView:
        ids = ENV_BLOCK_FIELDS.get(env, EXTRA_ENV_FIELDS)
        fields = [self.field_view(fid, env=env) for fid in ids]
        for optional in OPTIONAL_ENV_FIELDS:
            if optional in ids:
                continue
            candidate = self.field_view(optional, env=env, count=False)
            if candidate.filled:
                self.total += 1
                self.filled += 1
                fields.append(candidate)
        return BlockView(env, display_name(env), fields)

    def unselected_services(self) -> list[FactView]:
        """The strongest purpose hint of each service only hints speak of, led by the service's name:
        the JSON had firefly-iii's Mailgun, Pusher and SMTP settings while the document said no
        service was found."""
        out: list[FactView] = []
        for (field_id, env, service), facts in sorted(self._index.items(), key=lambda i: str(i[0])):
            if field_id != "ext.purpose" or env is not None or not service or service in self.model.services:
                continue
            hints = [f for f in _coalesce(facts) if not _fills(f)]
            if not hints:
                continue
            tech = self.catalog.techs.get(service)
            name = escape_md(tech.name if tech else service)
            view = self.fact_view(hints[0])  # in the document's order: its purpose before a comment quoted
            out.append(replace(view, text=f"{name}: {view.text}"))
        return out[:MAX_HINTS]

    def service(self, service: str) -> BlockView:
        tech = self.catalog.techs.get(service)
        title = tech.name if tech else service
        headline = self.field_view("ext.purpose", service=service)
        fields = [self.field_view(fid, service=service) for fid in SERVICE_FIELDS]
        return BlockView(service, title, fields, headline)

    def build(self) -> DocumentView:
        envs = [self.environment(env) for env in self.model.environments]
        doc = DocumentView(
            environments=envs,
            build=self.field_view("ci.build"),
            tests=[self.field_view(f) for f in ("ci.test.unit", "ci.test.integration", "ci.test.e2e")],
            triggers=[self.field_view(f) for f in ("ci.deploy.manual", "ci.deploy.automated")],
            monitoring_tools=self.field_view("mon.tools"),
            monitoring=[self.field_view(f) for f in ("mon.application", "mon.infrastructure", "mon.performance")],
            logging=[self.field_view(f) for f in ("log.aggregation", "log.levels", "log.retention")],
            alerts=[self.field_view(f) for f in ("alert.critical", "alert.warning", "alert.channels")],
            deploy_steps=self.field_view("deploy.steps"),
            rollback=[
                self.field_view(f)
                for f in ("deploy.rollback.identify", "deploy.rollback.perform", "deploy.rollback.verify")
            ],
            migrations=[self.field_view(f) for f in ("deploy.migration.strategy", "deploy.migration.rollback")],
            services=[self.service(s) for s in self.model.services],
            services_gap="",
            filled=0,
            total=0,
        )
        if not doc.services:
            self.total += 1
            looked = self.looked("ext.purpose")
            # Monitoring and alerting tools (Sentry, PagerDuty) are documented in their own section,
            # not here: without this, "none found" reads as if they had been missed.
            listed = any(_fills(f) for f in self._index.get(("mon.tools", None, None), []))
            besides = " besides the monitoring tools listed above" if listed else ""
            doc.service_hints = self.unselected_services()
            leads = "; the hints below are services configured but not shown in use" if doc.service_hints else ""
            doc.services_gap = f"{GAP} no third-party service found{besides}{leads}. {looked}."
        doc.filled, doc.total = self.filled, self.total
        rows = self.components() if self.component is None else []
        doc.components = [r for r in rows if r.found_any()]
        doc.quiet_components = [r for r in rows if not r.found_any()]
        if self.diagrams:
            facts = [f for f in self.model.facts if self.component is None or f.component == self.component]
            diagram = build_diagram(facts)
            if diagram:
                doc.extras["ci_diagram"] = diagram
        return doc

    def components(self) -> list[ComponentRow]:
        """The monorepo summary table (from two components up): one row per component directory."""
        names = [c for c in self.model.components if c]
        if len(names) < 2:
            return []
        facts_of: dict[str, list[Fact]] = defaultdict(list)
        for fact in self.model.facts:
            if fact.confidence is not Confidence.HINT and fact.scope is FactScope.MAIN:
                facts_of[fact.component].append(fact)
        ci_facts = [f for f in self.model.facts if f.attrs.get("ci") and f.confidence is not Confidence.HINT]
        mentions: dict[str, list[Fact]] = defaultdict(list)
        path_token = re.compile(r"[\w./-]+/")
        for fact in ci_facts:
            # the paths a fact's text names, and those it built from without naming them (docker-jitsi-meet's
            # image `ghcr.io/jitsi/base` is built from `./base`)
            built_from = {str(p).rstrip("/") + "/" for p in fact.attrs.get("paths", ())}
            for token in {fact.component + "/"} | set(path_token.findall(fact.text)) | built_from:
                for prefix in _prefixes(token):
                    mentions[prefix].append(fact)
        rows = []
        # the repository root is a component too, the one the others sit in (vikunja's API server,
        # lago's and docmost's root compose stacks): a row when something was found in it
        for name in ["", *names]:
            own = facts_of.get(name, [])
            mentioning = list({id(f): f for f in mentions.get(name + "/", [])}.values())
            rows.append(ComponentRow(
                path=escape_md(name or "(repository root)"),
                link=self.link(Evidence(name + "/" if name else "./", 0)),
                runtime=self._cell(self._runtimes(own)),
                databases=self._cell(sorted({self._tech_name(f.tech) for f in own
                                             if f.field == "env.database" and f.tech})),
                ci=self._cell(sorted({self._tech_name(str(f.attrs["ci"])) for f in mentioning})),
                deploy=self._cell(sorted({str(f.attrs["target"]) for f in mentioning + own
                                          if f.field.startswith("ci.deploy") and f.attrs.get("target")}
                                         | {self._tech_name(f.tech) for f in own if f.tech in self.catalog.techs
                                            and self.catalog.techs[f.tech].category == "deploy-tool"}
                                         | self._deploy_configs(own))),
                environments=self._cell(sorted({display_name(f.env) for f in own if f.env})),
            ))
        # the root's row when it holds a component's files itself, as any component does: not a
        # Terraform layout whose shared modules/ sit at the top (terraform-envs' stacks are envs/*)
        marked = any("/" not in e.path and is_marker(e.path) for f in facts_of.get("", []) for e in f.evidence)
        return rows if marked and rows[0].found_any() else rows[1:]

    def _deploy_configs(self, facts: list[Fact]) -> set[str]:
        """The platforms whose app configuration a component's deploy facts cite (`fly.toml`: Fly.io,
        its strategy, region or URL): the component is deployed there, whichever workflow runs the
        deploy. Not its build facts: a Netlify build of a component's documentation site is not
        where the component runs (loki's operator)."""
        paths = {e.path for f in facts if f.field.startswith(_DEPLOY_FIELDS) for e in f.evidence}
        return {tech.name for path in paths for tech in self.catalog.by_file(path) if tech.platform}

    def _tech_name(self, tech_id: str | None) -> str:
        return self.catalog.techs[tech_id].name if tech_id in self.catalog.techs else str(tech_id)

    def _runtimes(self, facts: list[Fact]) -> list[str]:
        """Runtimes of the component's images: the language runtime a Dockerfile's final stage runs
        on (langfuse's web compiles a Go tool in a build stage and runs on Node.js); when it runs on
        a bare base (`distroless/static`, `scratch`: a compiled Go binary), any build step's runtime
        image. A final image the catalog knows as something else runs that, not the runtime of the
        stage that built what it serves (nginx 1.31, not the Python that built the site). An image that
        builds distribution packages runs nothing (miniflux's packaging/rpm)."""
        every = [f for f in facts if f.field == "ci.build" and not f.attrs.get("builds_packages")]
        # A development Dockerfile beside the one that ships runs what development needs (plane's admin
        # has Dockerfile.dev on Node.js and Dockerfile.admin served by nginx); one that builds on a bare
        # base still says what the program is written in (database-lab-engine's Go, whose only
        # Dockerfile with a Go stage is Dockerfile.dblab-server-debug).
        builds = [f for f in every if not development_dockerfile(f.evidence[0].path)] or every
        images = {id(f): str(f.attrs["runtime_image"]) for f in builds if f.attrs.get("runtime_image")}
        final = self._runtime_labels(images.values())
        if final:
            return final
        # a bare base that installs its runtime from the distribution runs that, whatever the stage it
        # copies files from ran (microservices-demo's currencyservice: `node:20` installs modules for
        # `alpine` + `apk add nodejs`): named without a version, which the package manager chose
        installed = {self.catalog.techs[t].name for f in builds for t in f.attrs.get("installs", ())
                     if t in self.catalog.techs}
        if installed:
            return sorted(installed)
        served = {key: found[0].image_label(found[1]) for key, image in images.items()
                  if (found := self.catalog.by_image(image)) and found[0].category != "os"}
        bare = [*builds, *(f for f in every if f not in builds
                           and not self._runtime_labels([str(f.attrs.get("runtime_image", ""))]))]
        # what built the program: the stages the image copies from, where the build step names them
        built = self._runtime_labels(image for f in bare if id(f) not in served
                                     for image in (f.attrs["copied_from"] if "copied_from" in f.attrs
                                                   else [p.text for p in f.parts if isinstance(p, Code)]))
        return sorted({*built, *served.values()})

    def _runtime_labels(self, images: Iterable[str]) -> list[str]:
        labels = set()
        for image in images:
            found = self.catalog.by_image(image)
            if found and found[0].category == "runtime":
                labels.add(found[0].image_label(found[1]))
        return sorted(labels)

    @staticmethod
    def _cell(values: list[str]) -> str:
        return escape_md(", ".join(values)) if values else "-"


def _coalesce(facts: list[Fact]) -> list[Fact]:
    """One entry per statement: equal statements are joined, and a statement made in several
    components (the same Dockerfile shape in 300 services) is written once, for all of them."""
    return _across_components(_join(facts, lambda f: (f.item, f.text)))


def _join(facts: list[Fact], key: Callable[[Fact], tuple[str, str]]) -> list[Fact]:
    groups: dict[tuple[str, str], list[Fact]] = {}
    for fact in facts:
        groups.setdefault(key(fact), []).append(fact)
    return [_joined(group) for group in groups.values()]


def _joined(group: list[Fact], parts: tuple[Part, ...] | None = None, item: str | None = None) -> Fact:
    first = group[0]
    if len(group) == 1 and parts is None:
        return first
    attrs = dict(first.attrs)
    if parts is not None:
        attrs["in_components"] = len({f.component for f in group})
    return replace(
        first,
        parts=parts if parts is not None else first.parts,
        item=item if item is not None else first.item,
        evidence=tuple(sorted({e for f in group for e in f.evidence})),
        confidence=min((f.confidence for f in group), key=lambda c: c.strength),
        scope=FactScope.joined(f.scope for f in group),
        rank=min(f.rank for f in group),
        attrs=attrs,
    )


# A component's own name stands as a whole word when nothing of `[\w-]` touches it: when its name is
# made of such characters only, that is when it is a whole run of them.
_WORD_RUN = re.compile(r"[\w-]+")


@dataclass(frozen=True)
class _Generaliser:
    """A statement with one component left out: `services/api/Dockerfile` -> `…/Dockerfile`, and a
    value that is the component's own name (chart `api`) -> `…`."""

    prefix: str  # `services/api/`
    own: str  # `api`
    name: re.Pattern[str]  # finds `api` where it may stand as a whole word

    def value(self, value: str) -> str:
        value = value.replace(self.prefix, "…/")
        if self.own not in value:
            return value
        return self.name.sub(lambda m: "…" if m.group() == self.own else m.group(), value)

    def text(self, part: Part) -> str:
        return self.value(part.text) if isinstance(part, Code) else part.replace(self.prefix, "…/")

    def parts(self, parts: tuple[Part, ...]) -> tuple[Part, ...]:
        return tuple(Code(self.text(p)) if isinstance(p, Code) else self.text(p) for p in parts)


@lru_cache(maxsize=4096)
def _generaliser(component: str) -> _Generaliser:
    """One per component; a pattern of its own only for a name with other characters (compiling
    one per component cost 25 ms on a 300-service monorepo)."""
    own = component.rpartition("/")[2]
    if _WORD_RUN.fullmatch(own):
        return _Generaliser(component + "/", own, _WORD_RUN)
    return _Generaliser(component + "/", own, re.compile(r"(?<![\w-])" + re.escape(own) + r"(?![\w-])"))


def _across_components(facts: list[Fact]) -> list[Fact]:
    buckets: dict[tuple[str, str], list[Fact]] = {}
    kept: list[Fact] = []
    for fact in facts:
        if not fact.component:
            kept.append(fact)
            continue
        general = _generaliser(fact.component)
        key = (general.value(fact.item), "".join(general.text(p) for p in fact.parts))
        buckets.setdefault(key, []).append(fact)
    for (item, _), members in buckets.items():
        if len({f.component for f in members}) >= REPEATED:
            # Only a statement that is joined needs its generalised parts (one Code per value).
            first = members[0]
            kept.append(_joined(members, _generaliser(first.component).parts(first.parts), item))
        else:
            kept.extend(members)
    return kept


_DEPLOY_FIELDS = ("deploy.", "ci.deploy", "env.")  # where and how it is deployed, not how it is built


def _prefixes(path: str) -> list[str]:
    """`services/api/chart/` -> `services/`, `services/api/`, `services/api/chart/` (and the same without
    a leading `./`), so a component finds every CI fact that names a path inside it."""
    parts = path.removeprefix("./").strip("/").split("/")
    return ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def _fills(fact: Fact) -> bool:
    return fact.confidence is not Confidence.HINT and fact.scope is FactScope.MAIN


def _best_key(fact: Fact) -> tuple[int, int, int, str]:
    return (0 if _fills(fact) else 1, fact.confidence.strength, fact.rank, fact.text)


def _ordered_groups(groups: dict[str, list[Fact]]) -> list[list[Fact]]:
    return [groups[k] for k in sorted(groups, key=lambda k: (min(order_key(f.order) for f in groups[k]), k))]


# Fields no detector reads directly: they are drawn from other fields of the document, so their
# gap says where those are rather than "no detector reads this".
# The field whose gap names the deploy jobs infrascan could not describe: the steps, which every
# trigger's deploy has (the trigger fields would need each job's triggers to place it rightly).
_DEPLOY_GAPS = frozenset({"deploy.steps"})
_DRAWN_FROM = {
    # (three reviewers found "It lists the tools the three monitoring fields below found" garbled)
    "mon.tools": "This line lists the tools that the application, infrastructure and performance monitoring "
                 "fields below name",
    "deploy.rollback.identify": "This step is filled from the alerts, health checks and error tracking found "
                                "elsewhere in this document",
}

# Fields whose hints that name no environment are listed even where every block is filled (_hint_home)
_HINTS_KEPT_WHEN_FILLED = frozenset({"env.special"})

# Fields the template writes with their hints on their own line (Monitoring Tools: as list items its
# hints would sit among the three monitoring fields below it).
_HINTS_ON_ITS_LINE = frozenset({"mon.tools"})

_GAP_REASONS = {
    "env.sla": "service levels are never declared in a repository; write the agreed SLA here.",
    "ext.rate_limits": "vendor rate limits are not in the repository.",
    # of a released environment: a development compose file's healthcheck may be listed above (umami)
    "deploy.rollback.identify": "no alerting, health check or error tracking of a released environment "
                                "(staging, production) found that would signal a bad release.",
}


def _gap_reason(field_id: str, env: str | None, hinted: bool, elsewhere: str | None = None) -> str:
    """Why a field is empty. With hints under it, not "no evidence": the hints cite evidence, just
    none that settles the field (a URL per branch, a driver in a manifest). `elsewhere` is the
    environment whose gap lists the hints that name no environment."""
    if field_id in _GAP_REASONS:
        return _GAP_REASONS[field_id]
    if hinted and elsewhere:
        return f"nothing found settles it; the hints below and those under {elsewhere} are leads to check."
    if elsewhere:
        return f"nothing found settles it; the hints under {elsewhere} (no environment stated) are leads here too."
    if hinted:
        where = "that follow" if field_id in _HINTS_ON_ITS_LINE else "below"
        return f"nothing found settles it; the hints {where} are leads to check."
    if env and env not in TEMPLATE_TIERS:
        return "no evidence for this environment."
    return "no evidence found."


def slot_facts(doc: DocumentView) -> dict[tuple[str, str, str], list[tuple[Fact, str]]]:
    """The facts behind each slot of the document, each with its role (best, also, hint)."""

    def facts(f: FieldView) -> list[tuple[Fact, str]]:
        out: list[tuple[Fact, str]] = []
        for entry in f.entries:
            out.append((entry.best.fact, "best"))
            out.extend((also.fact, "also") for also in entry.also)
        out.extend((hint.fact, "hint") for hint in f.hints)
        return out

    out: dict[tuple[str, str, str], list[tuple[Fact, str]]] = {}
    for block in doc.environments:
        for f in block.fields:
            out[(f.id, block.key, "")] = facts(f)
    singles = [doc.build, *doc.tests, *doc.triggers, doc.monitoring_tools, *doc.monitoring, *doc.logging,
               *doc.alerts, doc.deploy_steps, *doc.rollback, *doc.migrations]
    for f in singles:
        out[(f.id, "", "")] = facts(f)
    for block in doc.services:
        for f in ([block.headline] if block.headline else []) + block.fields:
            out[(f.id, "", block.key)] = facts(f)
    return out


def build_view(model: Model, link: LinkFn, component: str | None = None, diagrams: bool = True) -> DocumentView:
    """The document view of the whole repository, or of one component's facts."""
    with collector_paused():
        return ViewBuilder(model, link, component, diagrams).build()
