"""The model arranged as the template reads: sections, blocks, fields, entries, gaps.

Both the default template and users' own templates render this view. Everything that needs a
decision (which fact is best, what is a gap, where infrascan looked, how a link is written) is
decided here, so templates only lay text out, and every repository string they receive has
already passed the one escaping function.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import quote

from infrascan.catalog import load_catalog
from infrascan.environments import TEMPLATE_TIERS, display_name
from infrascan.escape import escape_md
from infrascan.fields import (
    ENV_BLOCK_FIELDS,
    EXTRA_ENV_FIELDS,
    FIELD_BY_ID,
    OPTIONAL_ENV_FIELDS,
    SERVICE_FIELDS,
)
from infrascan.merge import Model, SourceStat
from infrascan.model import Code, Confidence, Evidence, Fact, FactScope, order_key

MAX_LINKS = 3
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


@dataclass
class FieldView:
    id: str
    label: str
    shape: str
    entries: list[Entry]
    hints: list[FactView]
    gap: str  # escaped markdown, empty when filled

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
            if part[:1].isspace():
                rendered = " " + rendered
            if part[-1:].isspace():
                rendered = rendered + " "
        out.append(rendered)
    return "".join(out).strip()


def render_links(evidence: tuple[Evidence, ...], link: LinkFn) -> str:
    shown = []
    for ev in evidence[:MAX_LINKS]:
        label = escape_md(f"{ev.path}:{ev.line}" if ev.line > 0 else ev.path)
        shown.append(f"[{label}]({link(ev)})")
    more = len(evidence) - MAX_LINKS
    if more > 0:
        shown.append(f"and {more} more")
    return ", ".join(shown)


def _qualifier(fact: Fact) -> str:
    if fact.scope is FactScope.EXAMPLE:
        return " (from an example or test file)"
    if fact.confidence is Confidence.INFERRED:
        return " (inferred)"
    return ""


class ViewBuilder:
    def __init__(self, model: Model, link: LinkFn) -> None:
        self.model = model
        self.link = link
        self.catalog = load_catalog()
        self._index: dict[tuple[str, str | None, str | None], list[Fact]] = defaultdict(list)
        for fact in model.facts:
            self._index[(fact.field, fact.env, fact.service)].append(fact)
        self.filled = 0
        self.total = 0

    def fact_view(self, fact: Fact) -> FactView:
        return FactView(fact, render_text(fact), render_links(fact.evidence, self.link), _qualifier(fact))

    def looked(self, field_id: str) -> str:
        read: list[str] = []
        absent: list[str] = []
        for src in sorted(self.model.sources, key=lambda s: s.detector):
            what = src.looks_for.get(field_id)
            if not what:
                continue
            if src.files:
                read.append(f"{what} ({_files(src)})")
            else:
                absent.append(src.description.split(":")[0])
        parts = []
        if read:
            parts.append("Looked for " + "; ".join(read))
        if absent:
            parts.append(("No " if read else "Looked in, and found no ") + ", ".join(sorted(set(absent)))
                         + " in the repository")
        if not parts:
            return "No installed detector reads evidence for this field"
        return ". ".join(parts)

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
            also = [self.fact_view(f) for f in ranked if f is not best]
            entries.append(Entry(self.fact_view(best), also))
        gap = ""
        if not entries and env is not None:
            # Hints that name no environment (a database driver) belong under every environment's gap.
            hints.extend(self.fact_view(f) for f in self._index.get((field_id, None, None), []) if not _fills(f))
        if not entries:
            gap = f"{GAP} {escape_md(_gap_reason(field_id, env))} {escape_md(self.looked(field_id), limit=None)}."
        if count:
            self.total += 1
            self.filled += bool(entries)
        return FieldView(field_id, spec.label, spec.shape.value, entries, hints, gap)

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
            looked = escape_md(self.looked("ext.purpose"), limit=None)
            doc.services_gap = f"{GAP} no third-party service found. {looked}."
        doc.filled, doc.total = self.filled, self.total
        return doc


def _coalesce(facts: list[Fact]) -> list[Fact]:
    """One entry for a statement repeated across components (the same SDK in 300 services)."""
    merged: dict[tuple[str, str], Fact] = {}
    for fact in facts:
        key = (fact.item, fact.text)
        if key not in merged:
            merged[key] = fact
            continue
        first = merged[key]
        evidence = tuple(sorted(set(first.evidence) | set(fact.evidence)))
        strongest = min(first.confidence, fact.confidence, key=lambda c: c.strength)
        scope = FactScope.MAIN if FactScope.MAIN in (first.scope, fact.scope) else FactScope.EXAMPLE
        merged[key] = replace(first, evidence=evidence, confidence=strongest, scope=scope,
                              rank=min(first.rank, fact.rank))
    return list(merged.values())


def _files(src: SourceStat) -> str:
    return f"{src.files} file{'s' if src.files != 1 else ''}"


def _fills(fact: Fact) -> bool:
    return fact.confidence is not Confidence.HINT and fact.scope is FactScope.MAIN


def _best_key(fact: Fact) -> tuple[int, int, int, str]:
    return (0 if _fills(fact) else 1, fact.confidence.strength, fact.rank, fact.text)


def _ordered_groups(groups: dict[str, list[Fact]]) -> list[list[Fact]]:
    return [groups[k] for k in sorted(groups, key=lambda k: (min(order_key(f.order) for f in groups[k]), k))]


_GAP_REASONS = {
    "env.sla": "service levels are never declared in a repository; write the agreed SLA here.",
    "ext.rate_limits": "vendor rate limits are not in the repository.",
    "deploy.rollback.identify": "no alerting, health check or error tracking found that would signal a bad release.",
}


def _gap_reason(field_id: str, env: str | None) -> str:
    if field_id in _GAP_REASONS:
        return _GAP_REASONS[field_id]
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


def build_view(model: Model, link: LinkFn) -> DocumentView:
    return ViewBuilder(model, link).build()
