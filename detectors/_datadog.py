"""Datadog monitor catalogs, read for the alerting detector.

Teams that manage Datadog monitors as data keep them in YAML maps, one monitor per top-level key
(cloudposse's `datadog-monitor` component reads `catalog/monitors/*.yaml` into
`cloudposse/platform/datadog//modules/monitors`). Such files have no fixed name, so they are found by
content: a mapping whose values are mappings with a Datadog monitor `type` and a `query`.

A monitor's levels come from the thresholds it declares: `options.thresholds.critical` is a critical
alert and `warning` a warning one. A monitor with no threshold alerts when its query's own condition
holds, which Datadog reports as an alert, so it is critical. Templated values (`${stage}`) are shown
as written and never resolved. Notification handles in `message` name the integration; an email
handle says only "Email", never the address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from infrascan.catalog import Catalog
from infrascan.model import Code, Confidence, Evidence, Fact, Part, code_list, one_line, text
from infrascan.yamlload import YDict, load_table

from ._channels import channel

MAX_LISTED = 6
LEVELS = ("critical", "warning")
# `@slack-ops`, `@pagerduty-${service}`, `@user@example.com`; a handle ends at a space or a `{{` block.
_HANDLE = re.compile(r"(?<![\w@])@((?:[\w.+-]|\$\{[^}\n]*\})+(?:@[\w.-]+)?)")


@cache
def _data() -> dict[str, Any]:
    raw = resources.files("infrascan").joinpath("data/datadog.yaml").read_bytes()
    data: dict[str, Any] = load_table(raw)
    return data


@cache
def monitor_types() -> frozenset[str]:
    return frozenset(str(t) for t in _data()["monitor_types"])


def sniff_pattern() -> str:
    """An indented `type: metric alert` (quoted or not): the line every catalog monitor has."""
    types = "|".join(re.escape(t) for t in sorted(monitor_types()))
    return rf"^[ \t]+type:[ \t]*[\"']?(?:{types})[\"']?[ \t]*(?:#.*)?$"


@dataclass
class Monitor:
    """One catalog monitor, as far as the document needs it."""

    key: str
    line: int
    type: str
    query: str
    thresholds: dict[str, str] = field(default_factory=dict)
    message: str = ""


def monitors(doc: YDict) -> list[Monitor]:
    """The document's monitors, in file order; empty when it is not a monitor catalog."""
    found = []
    types = monitor_types()
    for key, value in doc.items():
        if not isinstance(value, YDict) or not isinstance(value.get("query"), str):
            continue
        kind = value.get("type")
        if not isinstance(kind, str) or kind.strip().lower() not in types:
            continue
        options = value.get("options")
        raw = options.get("thresholds") if isinstance(options, dict) else None
        thresholds = {
            level: str(raw[level]) for level in LEVELS if isinstance(raw, dict) and raw.get(level) is not None
        }
        message = value.get("message")
        found.append(
            Monitor(
                str(key),
                doc.line_of(key),
                kind.strip(),
                value["query"],
                thresholds,
                message if isinstance(message, str) else "",
            )
        )
    return found


@cache
def _handle_kinds() -> dict[str, str]:
    return {str(k): str(v) for k, v in _data()["handles"].items()}


def handles(message: str, catalog: Catalog) -> list[tuple[str, str | None, str]]:
    """(integration name, catalog id, handle as shown) for each known handle; email shows no address."""
    table = _handle_kinds()
    found: dict[str, tuple[str, str | None, str]] = {}
    for handle in _HANDLE.findall(message):
        if "@" in handle:
            found.setdefault("email", (*channel("email", catalog), ""))  # named by the table, as every kind
            continue
        kind = table.get(handle.split("-", 1)[0].lower()) if "-" in handle else None
        if kind is None:
            continue
        name, tech_id = channel(kind, catalog)
        found.setdefault(handle, (name, tech_id, "@" + handle))
    return sorted(found.values(), key=lambda h: (h[0], h[2]))


def _short(value: str) -> str:
    return one_line(value, 90)


def alert_facts(detector: str, path: str, found: list[Monitor]) -> list[Fact]:
    """Critical and warning alerts: one fact per monitor, or one per level past MAX_LISTED monitors."""
    facts: list[Fact] = []
    for level in LEVELS:
        chosen = [m for m in found if level in m.thresholds or (level == "critical" and not m.thresholds)]
        if len(chosen) > MAX_LISTED:
            facts.append(_summary_fact(detector, path, chosen, level))
        else:
            facts.extend(_monitor_fact(detector, path, m, level) for m in chosen)
    return facts


def _monitor_fact(detector: str, path: str, monitor: Monitor, level: str) -> Fact:
    if level in monitor.thresholds:
        how: list[Part] = [f"{level} threshold ", Code(monitor.thresholds[level])]
    else:
        how = ["no threshold: alerts when the query's condition holds"]
    return Fact(
        f"alert.{level}",
        text(
            "Datadog monitor ",
            Code(monitor.key),
            ": ",
            Code(_short(monitor.query)),
            " (",
            *how,
            f", {monitor.type} in ",
            Code(path),
            ")",
        ),
        Confidence.DECLARED,
        (Evidence(path, monitor.line, detector),),
        item=f"datadog:{path}:{monitor.key}",
        tech="datadog",
        rank=30,
        order=(path, monitor.line),
        attrs={"system": "Datadog", "threshold": monitor.thresholds.get(level)},
    )


def _summary_fact(detector: str, path: str, chosen: list[Monitor], level: str) -> Fact:
    return Fact(
        f"alert.{level}",
        text(
            f"{len(chosen)} Datadog monitors with a {level} alert in ",
            Code(path),
            ": ",
            *code_list([m.key for m in chosen], MAX_LISTED),
        ),
        Confidence.DECLARED,
        tuple(Evidence(path, m.line, detector) for m in chosen),
        item=f"datadog:{path}:{level}",
        tech="datadog",
        rank=30,
        order=(path, chosen[0].line),
        attrs={"alerts": [m.key for m in chosen], "system": "Datadog"},
    )


def channel_facts(detector: str, path: str, found: list[Monitor], catalog: Catalog) -> list[Fact]:
    """One hint per notification handle, citing every monitor whose message names it."""
    cited: dict[tuple[str, str | None, str], list[Monitor]] = {}
    for monitor in found:
        for handle in handles(monitor.message, catalog):
            cited.setdefault(handle, []).append(monitor)
    facts = []
    for (name, tech, shown), users in sorted(cited.items(), key=lambda kv: (kv[0][0], kv[0][2])):
        said: list[Part] = (
            [": Datadog notification handle ", Code(shown)]
            if shown
            else [": Datadog notifications to an email address"]
        )
        facts.append(
            Fact(
                "alert.channels",
                text(name, *said, " in monitor(s) ", *code_list([m.key for m in users], MAX_LISTED),
                     " (", Code(path), ")"),
                Confidence.HINT,
                tuple(Evidence(path, m.line, detector) for m in users),
                item=f"datadog-handle:{path}:{shown or 'email'}",
                tech=tech,
                rank=40,
                order=(path, users[0].line),
            )
        )
    return facts
