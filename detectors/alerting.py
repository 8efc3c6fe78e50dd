"""Alerting configuration outside Kubernetes objects: Prometheus rule files, Alertmanager, Grafana provisioning.

These files have no naming convention (`alerts.yml`, `rules/node.rules`, `config/alertmanager.yml`),
so they are found by content: a YAML file with a top-level `groups:` whose rules have `alert:` is a
Prometheus (or Loki/Mimir ruler) rule file; `route:` with `receivers:` is Alertmanager;
`contactPoints:`, `policies:` and `groups:` of titled rules are Grafana provisioning; and
`scrape_configs:` is a Prometheus (or Promtail) configuration; a map of mappings with a Datadog
monitor `type:` and `query:` is a Datadog monitor catalog (`_datadog`). PrometheusRule objects, and rule
files inside Helm `templates/`, belong to the Kubernetes and Helm detectors and are left to them.

Severities map to the template's critical and warning alerts through the table below; anything
else is listed as unclassified rather than guessed. Channels are reported by kind and host only:
webhook paths, routing keys and addresses are never printed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from infrascan.detector import Detector, Extraction, Sniff, SourceFile, is_helm_template
from infrascan.model import Code, Confidence, Evidence, Fact, Part, code_list, one_line, text
from infrascan.yamlload import YDict, YList, line_of

from . import _datadog
from ._channels import channel

# Severity label values -> the template's alert levels (lower-cased; anything else is unclassified).
SEVERITY_LEVELS: dict[str, str] = {
    "critical": "critical",
    "crit": "critical",
    "page": "critical",
    "pager": "critical",
    "p1": "critical",
    "sev1": "critical",
    "sev-1": "critical",
    "emergency": "critical",
    "warning": "warning",
    "warn": "warning",
    "p3": "warning",
    "sev3": "warning",
    "sev-3": "warning",
}
# Keys that hold a channel's endpoint URL (the host is shown, never the rest).
URL_KEYS = ("api_url", "url", "webhook_url", "smarthost", "apiUrl", "endpointUrl", "webhookUrl")
MAX_LISTED = _datadog.MAX_LISTED  # one cap for Prometheus rules and Datadog monitors

# `groups:` is a rule file's (Prometheus, Grafana) when rules follow: Fern's generators.yml has
# `groups:` of code generators (langfuse's gap texts counted it as Prometheus configuration).
_SNIFF = re.compile(
    r"(?m)^groups\s*:(?=(?s:.*?)\n[ \t-]*rules[ \t]*:)|^(?:route|receivers|scrape_configs|contactPoints|policies)\s*:|"
    + _datadog.sniff_pattern()
)


def _is_k8s_object(doc: dict[Any, Any]) -> bool:
    return "apiVersion" in doc and "kind" in doc


def _table(data: Any, key: str) -> dict[Any, Any]:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def _kind(system: str) -> str:
    """Prometheus, Loki and Mimir rulers share one rule format; Grafana's own rules are different."""
    return "Grafana alert rule" if system == "Grafana" else "alert rule"


def _short(value: str) -> str:
    """One line of an expression, PromQL `#` comment lines dropped."""
    return one_line("\n".join(line for line in value.splitlines() if not line.lstrip().startswith("#")), 90)


def _host(raw: Any) -> str | None:
    """The host of an endpoint URL or `host:port`; None for templates and anything unreadable."""
    if not isinstance(raw, str) or not raw.strip() or "{{" in raw or "${" in raw:
        return None
    value = raw.strip()
    if "://" not in value:
        value = "//" + value
    try:
        host = urlsplit(value).hostname
    except ValueError:
        return None
    return host or None


@dataclass
class Rule:
    """One alerting rule, as far as the document needs it."""

    name: str
    line: int
    group: str
    severity: str
    expr: str = ""
    duration: str = ""


@dataclass
class Routing:
    """Which conditions send alerts to each receiver, from a route or notification-policy tree."""

    default: str | None = None
    conditions: dict[str, list[str]] = field(default_factory=dict)


class AlertingRulesDetector(Detector):
    name = "alerting"
    version = "3"
    description = "Prometheus rule files, Alertmanager and Grafana alerting configuration, Datadog monitor catalogs"
    sniff = Sniff((".yml", ".yaml", ".rules"), _SNIFF)
    looks_for = {
        "alert.critical": "Prometheus rule files, Grafana alert rules and Datadog monitor catalogs: critical levels",
        "alert.warning": "Prometheus rule files, Grafana alert rules and Datadog monitor catalogs: warning levels",
        "alert.channels": "Alertmanager receivers, Grafana contact points and Datadog notification handles",
        "mon.infrastructure": "Prometheus scrape configurations and Alertmanager",
        "log.aggregation": "Promtail configurations",
    }

    def extract(self, file: SourceFile) -> Extraction:
        out = Extraction()
        if is_helm_template(file):
            return out
        documents = self.yaml_documents(file, out)
        for doc in documents:
            if isinstance(doc, YDict) and not _is_k8s_object(doc):
                self._document(file.path, doc, out)
        return out

    def _document(self, path: str, doc: YDict, out: Extraction) -> None:
        groups = doc.get("groups")
        if isinstance(groups, YList):
            prometheus, grafana = _rules(groups)
            self._alert_facts(path, prometheus, "Prometheus", out)
            self._alert_facts(path, grafana, "Grafana", out)
        if isinstance(doc.get("receivers"), YList) and isinstance(doc.get("route"), YDict):
            self._alertmanager(path, doc, out)
        if isinstance(doc.get("contactPoints"), YList):
            self._contact_points(path, doc, out)
        if isinstance(doc.get("scrape_configs"), YList):
            self._scrape(path, doc, out)
        monitors = _datadog.monitors(doc)
        if monitors:
            out.facts.extend(_datadog.alert_facts(self.name, path, monitors))
            out.facts.extend(_datadog.channel_facts(self.name, path, monitors, self.catalog))

    # -- alert rules -------------------------------------------------------------------------

    def _alert_facts(self, path: str, rules: list[Rule], system: str, out: Extraction) -> None:
        by_level: dict[str, list[Rule]] = {"critical": [], "warning": [], "": []}
        for rule in rules:
            by_level[SEVERITY_LEVELS.get(rule.severity.lower(), "")].append(rule)
        for level in ("critical", "warning"):
            chosen = by_level[level]
            if len(chosen) <= MAX_LISTED:
                out.facts.extend(self._rule_fact(path, rule, system, level) for rule in chosen)
            elif chosen:
                out.facts.append(self._summary_fact(path, chosen, system, level))
        unclassified = by_level[""]
        if unclassified:
            severities = sorted({r.severity for r in unclassified if r.severity})
            said: list[Part] = (
                [" with severity ", *code_list(severities, MAX_LISTED)] if severities else [" with no severity label"]
            )
            if severities and any(not r.severity for r in unclassified):
                said.append(" or none")
            out.facts.append(
                Fact(
                    "alert.warning",
                    text(
                        f"{len(unclassified)} {_kind(system)}(s) in ",
                        Code(path),
                        *said,
                        ", so neither critical nor warning: ",
                        *code_list([r.name for r in unclassified], MAX_LISTED),
                    ),
                    Confidence.HINT,
                    tuple(Evidence(path, r.line, self.name) for r in unclassified),
                    item=f"unclassified:{system}:{path}",
                    rank=60,
                    order=(path, unclassified[0].line),
                )
            )

    def _rule_fact(self, path: str, rule: Rule, system: str, level: str) -> Fact:
        parts: list[Part] = [Code(rule.name), ": "]
        if rule.expr:
            parts.append(Code(_short(rule.expr)))
        else:
            parts.append(_kind(system))
        if rule.duration:
            parts += [" for ", Code(rule.duration)]
        group: list[Part] = [", group ", Code(rule.group)] if rule.group else []
        parts += [" (severity ", Code(rule.severity), *group, " in ", Code(path), ")"]
        return Fact(
            f"alert.{level}",
            text(*parts),
            Confidence.DECLARED,
            self.evidence(path, rule.line),
            item=f"{system}:{path}:{rule.group}:{rule.name}",
            tech="prometheus" if system == "Prometheus" else "grafana",
            rank=30,
            order=(path, rule.line),
            attrs={"severity": rule.severity, "system": system},
        )

    def _summary_fact(self, path: str, rules: list[Rule], system: str, level: str) -> Fact:
        groups = sorted({r.group for r in rules})
        return Fact(
            f"alert.{level}",
            text(
                f"{len(rules)} {_kind(system)}s with a {level} severity in ",
                Code(path),
                " (group(s) ",
                *code_list(groups, MAX_LISTED),
                "): ",
                *code_list([r.name for r in rules], MAX_LISTED),
            ),
            Confidence.DECLARED,
            tuple(Evidence(path, r.line, self.name) for r in rules),
            item=f"{system}:{path}:{level}",
            tech="prometheus" if system == "Prometheus" else "grafana",
            rank=30,
            order=(path, rules[0].line),
            attrs={"alerts": [r.name for r in rules], "system": system},
        )

    # -- Alertmanager ------------------------------------------------------------------------

    def _alertmanager(self, path: str, doc: YDict, out: Extraction) -> None:
        routing = Routing()
        _walk_route(doc["route"], routing, [])
        glob = _table(doc, "global")
        receivers: YList = doc["receivers"]
        for index, receiver in enumerate(receivers):
            if not isinstance(receiver, YDict) or not isinstance(receiver.get("name"), str):
                continue
            name = receiver["name"]
            integrations = [
                (str(key)[: -len("_configs")], configs, line_of(receiver, key))
                for key, configs in receiver.items()
                if str(key).endswith("_configs") and isinstance(configs, list) and configs
            ]
            where = text(" via Alertmanager receiver ", Code(name), *_conditions(routing, name), " (", Code(path), ")")
            if not integrations:
                out.facts.append(self._silent_receiver(path, name, routing, line_of(receivers, index)))
            for kind, configs, line in integrations:
                hosts = sorted({h for c in configs if isinstance(c, dict) for h in _config_hosts(kind, c, glob)})
                out.facts.append(
                    self._channel_fact(path, kind, hosts, where, line, f"alertmanager:{path}:{name}:{kind}")
                )
        out.facts.append(
            Fact(
                "mon.infrastructure",
                text("Alertmanager routes alerts to ", str(len(receivers)), " receiver(s) (", Code(path), ")"),
                Confidence.INFERRED,
                self.evidence(path, doc.line_of("route", 1)),
                item="alertmanager",
                tech="alertmanager",
                rank=50,
                order=(path, doc.line_of("route", 1)),
            )
        )

    def _silent_receiver(self, path: str, name: str, routing: Routing, line: int) -> Fact:
        reach = _conditions(routing, name)
        parts = text(
            "Alertmanager receiver ",
            Code(name),
            *reach,
            "," if reach else "",
            " has no notification integration: alerts routed to it are not sent anywhere (",
            Code(path),
            ")",
        )
        return Fact(
            "alert.channels",
            parts,
            Confidence.DECLARED,
            self.evidence(path, line),
            item=f"alertmanager:{path}:{name}",
            rank=40,
            order=(path, line),
        )

    def _channel_fact(
        self, path: str, kind: str, hosts: list[str], where: tuple[Part, ...], line: int, item: str
    ) -> Fact:
        name, tech_id = channel(kind, self.catalog)
        at: list[Part] = [" (", *code_list(hosts, MAX_LISTED), ")"] if hosts else []
        return Fact(
            "alert.channels",
            text(name, *at, *where),
            Confidence.DECLARED,
            self.evidence(path, line),
            item=item,
            tech=tech_id,
            rank=30,
            order=(path, line),
            attrs={"kind": kind, "hosts": hosts},
        )

    # -- Grafana contact points ------------------------------------------------------------

    def _contact_points(self, path: str, doc: YDict, out: Extraction) -> None:
        routing = Routing()
        policies = doc.get("policies")
        for policy in policies if isinstance(policies, list) else []:
            _walk_route(policy, routing, [])
        points: YList = doc["contactPoints"]
        for index, point in enumerate(points):
            if not isinstance(point, YDict) or not isinstance(point.get("name"), str):
                continue
            name = point["name"]
            receivers = point.get("receivers")
            for r_index, receiver in enumerate(receivers if isinstance(receivers, YList) else []):
                if not isinstance(receiver, YDict) or not isinstance(receiver.get("type"), str):
                    continue
                kind = receiver["type"]
                settings = _table(receiver, "settings")
                hosts = sorted(_config_hosts(kind, settings, {}))
                where = text(
                    " via Grafana contact point ", Code(name), *_conditions(routing, name), " (", Code(path), ")"
                )
                # at the receiver's `type:` (email, slack), which the line states, not its `- uid:`
                line = line_of(receiver, "type", line_of(receivers, r_index)) if isinstance(receivers, YList) \
                    else line_of(points, index)
                out.facts.append(self._channel_fact(path, kind, hosts, where, line, f"grafana:{path}:{name}:{kind}"))

    # -- Prometheus and Promtail configuration ---------------------------------------------

    def _scrape(self, path: str, doc: YDict, out: Extraction) -> None:
        named = [str(j["job_name"]) for j in doc["scrape_configs"] if isinstance(j, dict) and j.get("job_name")]
        jobs = list(dict.fromkeys(named))  # one name per job, in file order (a job may repeat per target group)
        line = doc.line_of("scrape_configs", 1)
        clients = doc.get("clients")
        if isinstance(clients, list) or "positions" in doc:
            hosts = sorted({h for c in clients or [] if isinstance(c, dict) for h in [_host(c.get("url"))] if h})
            to: list[Part] = [" to Loki at ", *code_list(hosts, MAX_LISTED)] if hosts else [" to Loki"]
            out.facts.append(
                Fact(
                    "log.aggregation",
                    text("Promtail ships logs (scrape jobs ", *code_list(jobs, MAX_LISTED), ")", *to,
                         " (", Code(path), ")"),
                    Confidence.DECLARED,
                    self.evidence(path, doc.line_of("clients", line)),
                    item="loki",
                    tech="loki",
                    rank=40,
                    order=(path, line),
                )
            )
            return
        if jobs:
            # each job with the targets it lists (jitsi's one job `prometheus` scrapes prosody, jvb,
            # jicofo and otel): a job's name alone need not say what it scrapes
            targets: dict[str, list[str]] = {job: [] for job in jobs}
            for job in doc["scrape_configs"]:
                if isinstance(job, dict) and job.get("job_name"):
                    listed = targets[str(job["job_name"])]
                    listed.extend(t for t in _static_targets(job) if t not in listed)
            said: list[Part] = []
            for index, job in enumerate(jobs[:MAX_LISTED]):
                said += [", " if index else "", Code(job)]
                if targets[job]:
                    said += [" (", *code_list(targets[job], MAX_LISTED), ")"]
            if len(jobs) > MAX_LISTED:
                said.append(f" and {len(jobs) - MAX_LISTED} more")
            out.facts.append(
                Fact(
                    "mon.infrastructure",
                    text("Prometheus scrape job" + ("s " if len(jobs) > 1 else " "), *said, " (", Code(path), ")"),
                    Confidence.DECLARED,
                    self.evidence(path, line),
                    item=f"prometheus-scrape:{path}",
                    tech="prometheus",
                    rank=40,
                    order=(path, line),
                    attrs={"jobs": jobs},
                )
            )
        remote = doc.get("remote_write")
        hosts = sorted({h for r in remote or [] if isinstance(r, dict) for h in [_host(r.get("url"))] if h})
        if hosts:
            out.facts.append(
                Fact(
                    "mon.infrastructure",
                    text("Prometheus remote-writes metrics to ", *code_list(hosts, MAX_LISTED), " (", Code(path), ")"),
                    Confidence.DECLARED,
                    self.evidence(path, doc.line_of("remote_write", line)),
                    item=f"prometheus-remote:{path}",
                    tech="prometheus",
                    rank=40,
                    order=(path, doc.line_of("remote_write", line)),
                )
            )


# -- readers ---------------------------------------------------------------------------------------


def _rules(groups: YList) -> tuple[list[Rule], list[Rule]]:
    """Prometheus-style rules (`alert:`/`expr:`) and Grafana provisioned rules (`title:`/`condition:`)."""
    prometheus: list[Rule] = []
    grafana: list[Rule] = []
    for group in groups:
        if not isinstance(group, YDict) or not isinstance(group.get("rules"), YList):
            continue
        group_name = str(group.get("name") or group.get("folder") or "")
        rules: YList = group["rules"]
        for index, rule in enumerate(rules):
            if not isinstance(rule, YDict):
                continue
            labels = _table(rule, "labels")
            severity = str(labels.get("severity") or "")
            duration = str(rule.get("for") or "")
            line = line_of(rules, index)
            if isinstance(rule.get("alert"), str):
                expr = rule.get("expr")
                prometheus.append(Rule(rule["alert"], line, group_name, severity, str(expr or ""), duration))
            elif isinstance(rule.get("title"), str) and ("condition" in rule or "data" in rule):
                # at its title, which names it: a provisioned rule's item starts with its `uid:`
                grafana.append(Rule(rule["title"], line_of(rule, "title", line), group_name, severity, "", duration))
    return prometheus, grafana


def _walk_route(route: Any, routing: Routing, inherited: list[str]) -> None:
    """Alertmanager routes and Grafana policies: the matchers on the way to each receiver."""
    if not isinstance(route, dict):
        return
    here = inherited + list(_matchers(route))
    receiver = route.get("receiver")
    if isinstance(receiver, str):
        if not here and routing.default is None:
            routing.default = receiver
        elif here and ", ".join(here) not in routing.conditions.get(receiver, []):
            routing.conditions.setdefault(receiver, []).append(", ".join(here))
    children = route.get("routes")
    for child in children if isinstance(children, list) else []:
        if isinstance(child, dict) and "receiver" not in child and isinstance(receiver, str):
            child = {**child, "receiver": receiver}
        _walk_route(child, routing, here)


def _matchers(route: dict[Any, Any]) -> Iterator[str]:
    for matcher in route.get("matchers") or []:
        if isinstance(matcher, str):
            yield matcher.replace(" ", "")
    for key in ("match", "match_re"):
        table = route.get(key)
        for name, value in table.items() if isinstance(table, dict) else []:
            yield f"{name}{'=~' if key == 'match_re' else '='}{value}"
    for matcher in route.get("object_matchers") or []:
        if isinstance(matcher, list) and len(matcher) == 3:
            yield "".join(str(m) for m in matcher)


def _conditions(routing: Routing, receiver: str) -> tuple[Part, ...]:
    """Which alerts reach a receiver: the default route's (all that match nothing else), or matchers."""
    conditions = routing.conditions.get(receiver, [])
    parts: list[Part] = [", the default route"] if routing.default == receiver else []
    if not conditions:
        return tuple(parts)
    parts.append(" and" if parts else "")
    parts.append(" for alerts matching ")
    for index, condition in enumerate(conditions[:2]):
        parts += [" or " if index else "", Code(condition)]
    if len(conditions) > 2:
        parts.append(f" and {len(conditions) - 2} more routes")
    return tuple(parts)


def _config_hosts(kind: str, config: dict[Any, Any], glob: dict[Any, Any]) -> set[str]:
    """Endpoint hosts of one integration; Alertmanager's `global` supplies Slack and SMTP defaults."""
    hosts = {h for key in URL_KEYS for h in [_host(config.get(key))] if h}
    if not hosts and kind == "slack":
        hosts |= {h for h in [_host(glob.get("slack_api_url"))] if h}
    if not hosts and kind == "email":
        hosts |= {h for h in [_host(glob.get("smtp_smarthost"))] if h}
    return hosts


def _static_targets(job: dict[str, Any]) -> list[str]:
    """The targets a scrape job lists itself (`static_configs`), not those service discovery finds."""
    out: list[str] = []
    for group in job.get("static_configs") or []:
        if isinstance(group, dict) and isinstance(group.get("targets"), list):
            out.extend(str(t) for t in group["targets"] if isinstance(t, (str, int)))
    return out
