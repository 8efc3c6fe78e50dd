"""Log store configuration files (Loki's `loki.yaml`): the store's log level and how long it keeps logs.

These files have no naming convention (`loki.yaml`, `config.yml`, `loki-local-config.yaml`), so
they are found by content: top-level keys only that store uses. Those keys, where the log level
and retention live, and which switch makes a retention period delete anything come from
`data/log_stores.yaml`. Retention needs both halves: Loki's `limits_config.retention_period: 336h`
deletes nothing unless `compactor.retention_enabled` is true, so a period without its switch (or a
switch without a period) is a hint that says so, never a retention.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from infrascan import redact
from infrascan.detector import Detector, Extraction, Sniff, SourceFile, is_helm_template
from infrascan.model import Code, Confidence, Fact, Part, text
from infrascan.yamlload import YDict, load_table


@dataclass(frozen=True)
class RetentionRule:
    period: str
    enabled: str
    enabled_default: bool
    period_default: str
    by: str


@dataclass(frozen=True)
class LogStore:
    id: str
    name: str
    keys: tuple[str, ...]
    log_level: str
    retention: tuple[RetentionRule, ...]
    forever: frozenset[str]
    overrides: str


@cache
def log_stores() -> tuple[LogStore, ...]:
    """data/log_stores.yaml, loaded once."""
    raw = load_table(resources.files("infrascan").joinpath("data/log_stores.yaml").read_bytes()) or []
    return tuple(
        LogStore(
            id=entry["id"],
            name=entry["name"],
            keys=tuple(entry["keys"]),
            log_level=entry.get("log_level", ""),
            retention=tuple(RetentionRule(**rule) for rule in entry.get("retention", [])),
            forever=frozenset(str(v) for v in entry.get("forever", [])),
            overrides=entry.get("overrides", ""),
        )
        for entry in raw
    )


def store_of(doc: YDict) -> LogStore | None:
    """The log store whose configuration this document is, by its top-level keys."""
    return next((s for s in log_stores() if any(isinstance(doc.get(k), dict) for k in s.keys)), None)


def _at(doc: YDict, dotted: str) -> tuple[Any, int] | None:
    """The scalar at a dotted path and its line; None when absent, a table or templated."""
    *parents, last = dotted.split(".")
    node: Any = doc
    for key in parents:
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, YDict) or last not in node or isinstance(node[last], (dict, list)) or node[last] is None:
        return None
    value = node[last]
    if isinstance(value, str) and ("{{" in value or "${" in value):
        return None  # a value a template or the environment fills in: not known here
    return value, node.line_of(last, doc.line)


class LogStoresDetector(Detector):
    name = "log-stores"
    version = "1"
    description = "Log store configuration (Loki)"
    sniff = Sniff(
        (".yml", ".yaml"),
        re.compile(r"(?m)^(?:" + "|".join(re.escape(k) for s in log_stores() for k in s.keys) + r")\s*:"),
    )
    looks_for = {
        "log.levels": "the log level in Loki configuration (`server.log_level`)",
        "log.retention": "Loki retention (`limits_config.retention_period` and `compactor.retention_enabled`)",
    }

    def extract(self, file: SourceFile) -> Extraction:
        out = Extraction()
        if is_helm_template(file):
            return out
        for doc in self.yaml_documents(file, out):
            store = store_of(doc) if isinstance(doc, YDict) else None
            if store is not None:
                out.facts.extend(log_store_facts(self, file.path, doc, store))
        return out


def log_store_facts(detector: Detector, path: str, doc: YDict, store: LogStore) -> list[Fact]:
    facts = [f for rule in store.retention for f in [_retention(detector, path, doc, store, rule)] if f]
    level = _at(doc, store.log_level) if store.log_level else None
    if level is not None:
        value, line = level
        facts.append(
            Fact(
                "log.levels",
                text(
                    f"{store.name} ",
                    Code(f"{store.log_level}: {redact.value('log_level', str(value))}"),
                    " (",
                    Code(path),
                    ")",
                ),
                Confidence.DECLARED,
                detector.evidence(path, line),
                item=f"{store.id}:log_level:{value}",  # one entry per level, each with the files that set it
                tech=store.id,
                rank=40,
                order=(path, line),
            )
        )
    return facts


def _retention(detector: Detector, path: str, doc: YDict, store: LogStore, rule: RetentionRule) -> Fact | None:
    period = _at(doc, rule.period)
    switch = _at(doc, rule.enabled)
    enabled = switch[0] is True if switch else rule.enabled_default
    if period is None and not enabled:
        return None  # this mechanism is not configured here
    said: tuple[Part, ...] = (
        (Code(f"{rule.enabled}: {str(switch[0]).lower()}"),)
        if switch
        else (Code(rule.enabled), f" not set (default {str(rule.enabled_default).lower()})")
    )
    lines = [ln for ln in (period[1] if period else 0, switch[1] if switch else 0) if ln]
    parts: list[Part]
    confidence = Confidence.HINT
    if period is not None and enabled:
        value = str(period[0])
        confidence = Confidence.DECLARED
        forever = value in store.forever
        parts = [
            f"{store.name} keeps logs indefinitely" if forever else f"{store.name} deletes logs older than ",
            *([] if forever else [Code(value)]),
            " (",
            Code(f"{rule.period}: {value}"),
            f", applied by {rule.by}: ",
            *said,
            ")",
        ]
    elif period is not None:
        parts = [
            f"{store.name} ",
            Code(f"{rule.period}: {period[0]}"),
            " is set but ",
            *said,
            f", so {rule.by} deletes nothing and logs are kept indefinitely",
        ]
    else:
        parts = [
            f"{store.name} retention is switched on (",
            *said,
            ") but ",
            Code(rule.period),
            " is not set: its default ",
            Code(rule.period_default),
            " keeps logs indefinitely unless ",
            store.overrides or "another file",
            " set one",
        ]
    return Fact(
        "log.retention",
        text(*parts, " (", Code(path), ")"),
        confidence,
        tuple(sorted({e for ln in lines for e in detector.evidence(path, ln)})),
        item=f"{store.id}:retention:{rule.period}",
        tech=store.id,
        rank=30 if confidence is Confidence.DECLARED else 60,
        order=(path, min(lines) if lines else 1),
    )
