"""Drift: what went stale between an INFRASTRUCTURE.md and the repository it describes.

Three questions. Did the repository gain, lose or change facts since infrascan last wrote the
document (changed, undocumented, stale)? Does text a person wrote name a tool, service, engine or
URL the repository gives no evidence for, or a different one than the evidence shows
(contradicted)? Which fields are still open (gaps)? Facts are compared by what they say, never
by their line numbers, so a cited line that merely moved is not drift, and the scanned commit
never counts.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dc_field

from infrascan import __version__
from infrascan.catalog import Catalog, Tech, load_catalog
from infrascan.config import IgnoreRule
from infrascan.docparse import NO_SERVICES, ParsedDocument, Slot, SlotKey, parse_document
from infrascan.document import FactRecord, State, split_state, value_hash
from infrascan.environments import display_name
from infrascan.fields import FIELD_BY_ID

CATEGORIES = ("changed", "undocumented", "stale", "contradicted", "gaps")
_URL = re.compile(r"https?://([A-Za-z0-9.\-]+)(?::\d+)?[^\s)>\]`'\"]*")
_VERSION_AFTER = re.compile(r"[ \t]*v?(\d+)(?:\.\d+)*\b")
_NUMBER = re.compile(r"(?<![\w.:/@-])v?(\d+)(?:\.\d+)*\b")
_PLACEHOLDER_HOST = re.compile(r"(?:^|\.)(?:example\.(?:com|org|net)|localhost|local|test|invalid)$")


@dataclass
class Finding:
    category: str
    message: str
    doc_line: int | None  # 1-based line in the document
    field: str | None = None
    environment: str | None = None
    service: str | None = None
    technology: str | None = None
    evidence: list[tuple[str, int]] = dc_field(default_factory=list)
    before: str | None = None
    after: str | None = None
    key: str = ""  # what the finding is about, independent of line numbers

    def __post_init__(self) -> None:
        # Two facts often cite the same line (a variable and the service it names); say it once.
        self.evidence = list(dict.fromkeys(self.evidence))

    @property
    def fingerprint(self) -> str:
        """Stable across line moves: the category and what the finding is about, never line numbers."""
        raw = "\x1f".join((self.category, self.field or "", self.environment or "", self.service or "",
                           self.technology or "", self.key))
        return hashlib.sha256(raw.encode()).hexdigest()[:32]


@dataclass
class DriftReport:
    document: str
    findings: list[Finding]
    fail_on: tuple[str, ...]
    context: dict[str, object] = dc_field(default_factory=dict)
    notes: list[str] = dc_field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(CATEGORIES, 0)
        for finding in self.findings:
            counts[finding.category] += 1
        return counts

    @property
    def failing(self) -> list[Finding]:
        return [f for f in self.findings if f.category in self.fail_on]

    @property
    def in_sync(self) -> bool:
        return not self.failing


def _describe(key: SlotKey) -> str:
    field_id, env, service = key
    if field_id == NO_SERVICES:
        return "External Services"
    label = FIELD_BY_ID[field_id].label if field_id in FIELD_BY_ID else field_id
    techs = load_catalog().techs
    service_name = techs[service].name if service in techs else service.removeprefix("service:")
    where = display_name(env) if env else service_name
    return f"{where} {label}".strip() if where else label


def _best(records: list[FactRecord]) -> dict[str, FactRecord]:
    """The fact shown for each item of a slot (its best entry); hints and "also" lines do not count."""
    out: dict[str, FactRecord] = {}
    for record in records:
        if record.role == "best":
            out.setdefault(record.item, record)
    return out


def _facts_drift(key: SlotKey, slot: Slot | None, before: list[FactRecord], now: list[FactRecord],
                 existing_paths: set[str]) -> list[Finding]:
    field_id, env, service = key
    line = slot.line + 1 if slot else None
    label = _describe(key)
    old, new = _best(before), _best(now)
    findings = []
    for item in sorted(set(old) | set(new)):
        was, is_ = old.get(item), new.get(item)
        if was and is_ and was.text != is_.text:
            findings.append(Finding("changed", f"{label}: the document says “{was.text}”; the repository now says "
                                    f"“{is_.text}”", line, field_id, env or None, service or None, is_.tech,
                                    list(is_.evidence), was.text, is_.text, item))
        elif is_ and not was:
            findings.append(Finding("undocumented", f"{label}: the repository says “{is_.text}”, which the "
                                    "document does not mention", line, field_id, env or None, service or None,
                                    is_.tech, list(is_.evidence), None, is_.text, item))
        elif was and not is_:
            gone = [p for p, _ in was.evidence if p not in existing_paths]
            why = f"its evidence file {gone[0]} was deleted" if gone else "its evidence is gone"
            findings.append(Finding("stale", f"{label}: the document says “{was.text}”, but {why}", line, field_id,
                                    env or None, service or None, was.tech, list(was.evidence), was.text, None, item))
    return findings


def _section_of(doc: ParsedDocument, line: int) -> str | None:
    for name, (start, end) in doc.sections.items():
        if start <= line < end:
            return name
    return None


def _person_text(doc: ParsedDocument, state: State | None) -> list[tuple[int, str, SlotKey | None]]:
    """Lines a person wrote: edited slot values, and free text inside the template's sections."""
    owned: set[int] = set()
    pieces: list[tuple[int, str, SlotKey | None]] = []
    for key, slot in doc.slots.items():
        owned.update(range(slot.line, max(slot.end, slot.line + 1)))
        if slot.open:
            continue
        if state is not None and key in state.slots and state.slots[key].hash == value_hash(slot.value):
            continue
        for offset, text in enumerate(slot.value.split("\n")):
            pieces.append((slot.line + offset, text, key))
    for block in doc.blocks:
        owned.add(block.line)
    for region in doc.regions.values():
        owned.update(range(region.start, region.end + 1))
    if doc.header is not None:
        owned.add(doc.header)
    for start, end in doc.sections.values():
        for index in range(start + 1, end):
            if index not in owned and doc.lines[index].strip():
                pieces.append((index, doc.lines[index], None))
    return sorted(pieces, key=lambda p: p[0])


def _versions(text: str, mentioned: list[tuple[Tech, int, int]]) -> dict[str, set[str]]:
    """Major versions written right after a technology's name ("PostgreSQL 16", "Redis v7.2"), of
    the names the catalog found in the text (found once per text: drift's costliest step)."""
    found: dict[str, set[str]] = defaultdict(set)
    for tech, _, stop in mentioned:
        match = _VERSION_AFTER.match(text, stop)
        if match:
            found[tech.id].add(match.group(1))
    return found


@dataclass
class SectionEvidence:
    """What a section's evidence shows: the record first naming each technology, the major versions
    written after its name, and the lines that show them. Built once per section, with one pass of
    the catalog's names over each record, not once per paragraph a person wrote in it."""

    techs: dict[str, FactRecord] = dc_field(default_factory=dict)
    versions: dict[str, set[str]] = dc_field(default_factory=lambda: defaultdict(set))
    cited: dict[str, list[tuple[str, int]]] = dc_field(default_factory=lambda: defaultdict(list))


def _section_evidence(records: list[FactRecord], catalog: Catalog) -> SectionEvidence:
    found = SectionEvidence()
    for record in records:
        ids = {record.tech} if record.tech else set()
        if record.service:
            ids.add(record.service)
        mentioned = catalog.mentions(record.text)
        ids.update(tech.id for tech, _, _ in mentioned)
        for tech_id, versions in _versions(record.text, mentioned).items():
            found.versions[tech_id] |= versions
            found.cited[tech_id].extend(record.evidence)
        for tech_id in ids:
            if tech_id:
                found.techs.setdefault(tech_id, record)
    return found


def _contradicted_versions(text: str, mentioned: list[tuple[Tech, int, int]], evidence: SectionEvidence,
                           catalog: Catalog, section: str, index: int, key: SlotKey | None) -> list[Finding]:
    """A version a person wrote that the repository's evidence for the same technology never shows.

    Only when no number in the text is one of the versions the repository shows, so "from
    PostgreSQL 15 to 16" is not flagged while the repository says 16."""
    written = _versions(text, mentioned)
    if not written:
        return []
    numbers = {m.group(1) for m in _NUMBER.finditer(text)}
    shown, cited = evidence.versions, evidence.cited
    findings = []
    for tech_id, versions in written.items():
        if tech_id not in shown or numbers & shown[tech_id]:
            continue
        name = catalog.techs[tech_id].name if tech_id in catalog.techs else tech_id
        said = ", ".join(f"{name} {v}" for v in sorted(versions, key=int))
        now = ", ".join(f"{name} {v}" for v in sorted(shown[tech_id], key=int))
        findings.append(Finding(
            "contradicted", f"{section}: the document says {said}, but the repository shows {now}", index + 1,
            field=key[0] if key else None, environment=(key[1] or None) if key else None,
            service=(key[2] or None) if key else None, technology=tech_id, evidence=cited[tech_id][:5],
            before=said, after=now, key=f"version:{tech_id}:{','.join(sorted(versions))}"))
    return findings


def _contradictions(doc: ParsedDocument, state: State | None, now: dict[SlotKey, list[FactRecord]],
                    host_known: Callable[[str], bool], catalog: Catalog) -> list[Finding]:
    by_section: dict[str, list[FactRecord]] = defaultdict(list)
    for key, records in now.items():
        section = FIELD_BY_ID[key[0]].section if key[0] in FIELD_BY_ID else "External Services"
        by_section[section].extend(r for r in records if r.role != "hint")
    evidence = {name: _section_evidence(records, catalog) for name, records in by_section.items()}
    findings: list[Finding] = []
    for index, text, slot_key in _person_text(doc, state):
        where = _section_of(doc, index)
        if where is None:
            continue
        section = where
        shown = evidence.get(section) or SectionEvidence()
        known = shown.techs
        mentioned = catalog.mentions(text)
        for tech, _, _ in mentioned:
            if tech.id in known:
                continue
            findings.append(_contradicted_tech(tech, known, catalog, section, index, slot_key))
        findings.extend(_contradicted_versions(text, mentioned, shown, catalog, section, index, slot_key))
        if section == "Environments":
            for match in _URL.finditer(text):
                host = match.group(1).lower()
                if _PLACEHOLDER_HOST.search(host) or host_known(host):
                    continue
                findings.append(Finding(
                    "contradicted", f"{section}: the document names {match.group(0)}, but no file in the "
                    "repository mentions that host", index + 1, field=slot_key[0] if slot_key else None,
                    environment=(slot_key[1] or None) if slot_key else None, key=f"url:{host}"))
    unique: dict[str, Finding] = {}
    for finding in findings:
        unique.setdefault(finding.fingerprint + str(finding.doc_line), finding)
    return list(unique.values())


def _contradicted_tech(tech: Tech, known: dict[str, FactRecord], catalog: Catalog, section: str, index: int,
                       key: SlotKey | None) -> Finding:
    rivals = sorted({catalog.techs[t].name for t in known if t in catalog.techs
                     and set(catalog.techs[t].categories) & set(tech.categories)})
    rival_records = [known[t] for t in known if t in catalog.techs and catalog.techs[t].name in rivals]
    if rivals:
        message = (f"{section}: the document names {tech.name}, but the repository shows {', '.join(rivals)} "
                   f"and no evidence of {tech.name}")
    else:
        message = f"{section}: the document names {tech.name}, but the repository gives no evidence of it here"
    evidence = [e for r in rival_records for e in r.evidence][:5]
    return Finding("contradicted", message, index + 1, field=key[0] if key else None,
                   environment=(key[1] or None) if key else None, service=(key[2] or None) if key else None,
                   technology=tech.id, evidence=evidence, key=f"tech:{tech.id}")


def _gaps(doc: ParsedDocument) -> list[Finding]:
    findings = []
    for key, slot in sorted(doc.slots.items(), key=lambda kv: kv[1].line):
        if slot.open:
            findings.append(Finding("gaps", f"{_describe(key)} is still open", slot.line + 1, field=key[0],
                                    environment=key[1] or None, service=key[2] or None, key="gap"))
    return findings


def _ignored(finding: Finding, rules: tuple[IgnoreRule, ...]) -> bool:
    for rule in rules:
        if rule.category and rule.category != finding.category:
            continue
        if rule.technology and rule.technology != finding.technology:
            continue
        if rule.field and rule.field != finding.field:
            continue
        if rule.path and not any(fnmatch.fnmatch(p, rule.path) for p, _ in finding.evidence):
            continue
        return True
    return False


def fact_hosts(now: dict[SlotKey, list[FactRecord]]) -> set[str]:
    """Hosts the repository's own facts name (environment URLs, endpoints)."""
    return {m.group(1).lower() for records in now.values() for r in records for m in _URL.finditer(r.text)}


def compute_drift(document_text: str, document_name: str, now: dict[SlotKey, list[FactRecord]],
                  existing_paths: set[str], host_known: Callable[[str], bool], *, fail_on: tuple[str, ...],
                  ignore: tuple[IgnoreRule, ...] = ()) -> DriftReport:
    catalog = load_catalog()
    body, state = split_state(document_text)
    doc = parse_document(body)
    findings: list[Finding] = []
    keys = set(now) | set(doc.slots) | (set(state.slots) if state else set())
    new_blocks = {("service", k[2]) for k in now if k[2]} | {("environment", k[1]) for k in now if k[1]}
    documented_blocks = {(b.kind, b.key) for b in doc.blocks}
    reported_blocks: set[tuple[str, str]] = set()
    for key in sorted(keys):
        if key[0] == NO_SERVICES:
            continue
        slot = doc.slots.get(key)
        owner: tuple[str, str] | None = ("service", key[2]) if key[2] else (("environment", key[1]) if key[1] else None)
        records_now = now.get(key, [])
        if owner and owner in new_blocks and owner not in documented_blocks:
            if owner not in reported_blocks and any(r.role == "best" for r in records_now):
                reported_blocks.add(owner)
                facts = [r for k, rs in now.items() if (("service", k[2]) if k[2] else ("environment", k[1])) == owner
                         for r in rs if r.role == "best"]
                name = catalog.techs[owner[1]].name if owner[1] in catalog.techs else owner[1]
                kind = "external service" if owner[0] == "service" else "environment"
                findings.append(Finding("undocumented", f"new {kind} {name}: " + "; ".join(f.text for f in facts[:3]),
                                        None, service=key[2] or None, environment=key[1] or None,
                                        technology=owner[1] if owner[0] == "service" else None,
                                        evidence=[e for f in facts[:3] for e in f.evidence], key=f"block:{owner[1]}"))
            continue
        if state is not None and key in state.slots:
            before = state.slot_facts(key)
        elif slot is not None and slot.open:
            before = []
        else:
            continue  # a person's value in a slot infrascan never wrote: checked by name below
        findings.extend(_facts_drift(key, slot, before, records_now, existing_paths))
    findings.extend(_contradictions(doc, state, now, host_known, catalog))
    findings.extend(_gaps(doc))
    findings = [f for f in findings if not _ignored(f, ignore)]
    order = {c: i for i, c in enumerate(CATEGORIES)}
    findings.sort(key=lambda f: (order[f.category], f.doc_line or 0, f.message))
    report = DriftReport(document_name, findings, fail_on)
    if state is not None and state.tool and state.tool != __version__:
        report.notes.append(f"the document was written by infrascan {state.tool} and this is {__version__}: "
                            "wording may have changed; run `infrascan generate` once to refresh it")
    return report
