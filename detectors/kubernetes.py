"""Kubernetes manifests, Kustomize overlays, Argo CD, Flux and Skaffold.

Manifests have no naming convention, so they are found by content (`apiVersion` + `kind`).
Phase 1 reads each document into a plain summary (workload images, commands, probes, replicas,
ingress hosts, autoscalers, monitors, alert rules, GitOps objects) and records it; nothing in a
manifest says which environment it belongs to, so every environment-scoped fact is made in
phase 2, once the files that point at a manifest are known:

1. Kustomize: `overlays/<env>/kustomization.yaml` and the bases it reaches give the environment,
   and its `images`, `replicas`, `namespace`, patches and configMapGenerator literals apply.
2. Argo CD Applications and Flux Kustomizations: the environment in the application's name,
   destination namespace or source path, for the manifests under that path.
3. The manifest's own directory or file name (`k8s/production/web.yaml`), then its namespace.

A manifest nothing places in an environment still counts: its environment facts become hints
that say so. The summaries and fact builders here are also what the Helm detector uses for the
documents of chart templates it could read.
"""

from __future__ import annotations

import json
import re
import shlex
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from infrascan.catalog import DATA_STORE_CATEGORIES, Catalog
from infrascan.commands import classify, split_commands
from infrascan.detector import Detector, Extraction, Record, ResolveContext, Sniff, SourceFile
from infrascan.environments import env_from_name
from infrascan.envvars import Variable, VariableReader, is_placeholder_host
from infrascan.fields import FIELD_BY_ID, Scope
from infrascan.images import parse_image
from infrascan.model import DEFAULT_RANK, Code, Confidence, Evidence, Fact, Part, code_list, text
from infrascan.source import folder_of, is_example_path, near_folder, repo_path
from infrascan.yamlload import Tagged, YDict, YList, line_of, load_yaml

from ._datadog import MAX_LISTED

WORKLOAD_KINDS = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod", "Rollout", "DeploymentConfig"}
)
_JOB_KINDS = frozenset({"Job", "CronJob"})
# ServiceMonitor/PodMonitor API groups -> who scrapes them (label, catalog id). Azure's managed
# Prometheus add-on (ama-metrics) reads its own copy of the CRDs; Prometheus Operator ignores it.
MONITOR_GROUPS: dict[str, tuple[str, str]] = {
    "monitoring.coreos.com": ("Prometheus (Prometheus Operator ", "prometheus"),
    "azmonitoring.coreos.com": ("Azure Monitor managed Prometheus (ama-metrics add-on ", "azure-monitor"),
}
_MIGRATION_NAME = re.compile(r"(?i)migrat|schema[-_]?(?:upgrade|update)|db[-_]?(?:upgrade|prepare|setup)")
# A CronJob worth checking for backups: its name, or a dump tool in its command (checked against
# the `backup` command rules before anything is said).
# Words that say a CronJob is about backups; the backup tools themselves are command data
# (data/commands, kind `backup`).
_BACKUP_NAME = re.compile(r"(?i)backup|snapshot")
_SHELLS = frozenset({"sh", "bash", "/bin/sh", "/bin/bash", "ash", "/bin/ash", "zsh", "dash"})
_DOC_MARKER = re.compile(r"^(?:---|\.\.\.)(?:[ \t].*)?$")
_VARIABLE_KEY = re.compile(r"[A-Z][A-Z0-9_]*")  # a ConfigMap/Secret key that reads as an environment variable
_CRITICAL = frozenset({"critical", "page", "p1", "sev1", "error", "high", "emergency", "fatal", "disaster"})
_WARNING = frozenset({"warning", "warn", "p2", "p3", "sev2", "sev3", "medium", "low", "minor", "major"})
# alert rules of one level in one object stated one by one; beyond, counted (the alerting detector's cap)
MAX_ALERTS = MAX_LISTED
_HELM_HOOK = "helm.sh/hook"
_ARGO_HOOK = "argocd.argoproj.io/hook"
_EXAMPLE_LIMIT = 3
# the summary keys the environment fact builders (and probes) read: see `describes_environment`
_ENVIRONMENT_KEYS = ("containers", "replicas", "hpa", "pdb", "store", "hosts", "variables")


# -- phase 1: reading documents ---------------------------------------------------------------


def split_documents(text_: str) -> list[tuple[int, str]]:
    """The documents of a multi-document YAML file, each with its 0-based first line."""
    lines = text_.split("\n")
    chunks: list[tuple[int, str]] = []
    start = 0
    for index, line in enumerate(lines):
        if line.startswith(("---", "...")) and _DOC_MARKER.match(line):
            chunks.append((start, "\n".join(lines[start:index])))
            start = index + 1
    chunks.append((start, "\n".join(lines[start:])))
    return [(s, body) for s, body in chunks if body.strip()]


def load_documents(text_: str) -> tuple[list[Any], list[tuple[int | None, str]]]:
    """Loads every document on its own, so one broken document costs only itself.

    Each chunk is padded with the newlines before it, so line numbers stay those of the file.
    """
    docs: list[Any] = []
    errors: list[tuple[int | None, str]] = []
    for start, body in split_documents(text_):
        loaded = load_yaml("\n" * start + body)
        docs.extend(d for d in loaded.documents if d is not None)
        if loaded.error:
            errors.append((loaded.error.line, str(loaded.error)))
    return docs, errors


def plain(value: Any) -> Any:
    """Loaded YAML to JSON-able data (records are cached); tags become their written value."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, Tagged):
        return plain(value.value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def key_lines(value: Any, prefix: str = "", out: dict[str, int] | None = None) -> dict[str, int]:
    """Dotted key path -> line, for every key and list item of a loaded mapping (`a.b.0.c`)."""
    out = {} if out is None else out
    if isinstance(value, YDict):
        for key, child in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            out[path] = value.line_of(key)
            key_lines(child, path, out)
    elif isinstance(value, YList):
        for index, child in enumerate(value):
            path = f"{prefix}.{index}" if prefix else str(index)
            out[path] = value.line_of(index)
            key_lines(child, path, out)
    return out


def _map(value: Any) -> YDict:
    return value if isinstance(value, YDict) else YDict()


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    if isinstance(value, Tagged):
        value = value.value
    if isinstance(value, bool) or value is None:
        return None
    return str(value) if isinstance(value, (str, int, float)) else None


def command_text(command: Any, args: Any) -> str:
    """A container's command and args as one shell line; `sh -c <script>` gives the script."""
    words = [w for w in (_as_words(command) + _as_words(args)) if w]
    if len(words) >= 3 and words[0] in _SHELLS and words[1].startswith("-") and "c" in words[1]:
        return " ".join(words[2:])
    return " ".join(shlex.quote(w) if (" " in w and "\n" not in w) else w for w in words)


def _as_words(value: Any) -> list[str]:
    if isinstance(value, list):
        return [s for s in (_str(v) for v in value) if s is not None]
    single = _str(value)
    return [single] if single else []


def _probe(kind: str, probe: Any, line: int) -> tuple[str, str, int] | None:
    """A probe's kind, what it checks, and the line of its key (`readinessProbe:`, not the first
    line inside it)."""
    if not isinstance(probe, YDict):
        return None
    http = _map(probe.get("httpGet"))
    if http:
        path = _str(http.get("path")) or "/"
        port = _str(http.get("port"))
        return kind, f"GET {path}" + (f" (port {port})" if port else ""), line
    exec_ = _map(probe.get("exec"))
    if exec_:
        return kind, command_text(exec_.get("command"), None), line
    tcp = _map(probe.get("tcpSocket"))
    if tcp:
        return kind, f"TCP port {_str(tcp.get('port')) or '?'}", line
    grpc = _map(probe.get("grpc"))
    if grpc:
        return kind, f"gRPC port {_str(grpc.get('port')) or '?'}", line
    return None


def _container(c: YDict, init: bool) -> dict[str, Any]:
    env: list[list[Any]] = []
    for index, item in enumerate(_list(c.get("env"))):
        if isinstance(item, YDict) and _str(item.get("name")):
            has_value = "value" in item
            env.append(
                [_str(item.get("name")), _str(item.get("value")) if has_value else None, line_of(c.get("env"), index)]
            )
    kinds = ("readiness", "liveness", "startup")
    probes = [p for p in (_probe(k, c.get(f"{k}Probe"), line_of(c, f"{k}Probe")) for k in kinds) if p]
    # where the quoted command starts: `command:`, else `args:` alone (line_of falls back to the
    # container's own line for a missing key, so each is asked only when present)
    command_line = next((line_of(c, key) for key in ("command", "args") if key in c), c.line)
    return {
        "name": _str(c.get("name")) or "",
        "image": _str(c.get("image")),
        "line": line_of(c, "image", c.line),
        "command": command_text(c.get("command"), c.get("args")),
        "command_line": command_line,
        "init": init,
        "probes": [list(p) for p in probes],
        "env": env,
    }


def _pod_template(kind: str, spec: YDict) -> tuple[YDict, YDict]:
    """The pod spec and the pod template's metadata of a workload."""
    if kind == "Pod":
        return spec, YDict()
    if kind == "CronJob":
        spec = _map(_map(spec.get("jobTemplate")).get("spec"))
    template = _map(spec.get("template"))
    return _map(template.get("spec")), _map(template.get("metadata"))


_NO_ROLLOUT = frozenset({"OnDelete", "Recreate"})


def _workload(kind: str, spec: YDict, out: dict[str, Any]) -> None:
    pod, pod_meta = _pod_template(kind, spec)
    containers = [_container(c, True) for c in _list(pod.get("initContainers")) if isinstance(c, YDict)]
    containers += [_container(c, False) for c in _list(pod.get("containers")) if isinstance(c, YDict)]
    out["containers"] = containers
    replicas = spec.get("replicas")
    if isinstance(replicas, int) and not isinstance(replicas, bool):
        out["replicas"] = [replicas, line_of(spec, "replicas")]
    # how new pods replace old ones: `OnDelete` (a StatefulSet's pods replaced by hand) and
    # `Recreate` (all at once) have no rollout a readiness probe holds back
    update = _str(_map(spec.get("updateStrategy" if kind in ("StatefulSet", "DaemonSet") else "strategy")).get("type"))
    if update:
        out["update"] = update
    if kind == "CronJob":
        out["schedule"] = _str(spec.get("schedule"))
    pod_annotations = _map(pod_meta.get("annotations"))
    if str(pod_annotations.get("prometheus.io/scrape", "")).lower() == "true":
        out["scrape"] = pod_annotations.line_of("prometheus.io/scrape")
    if kind == "Rollout":
        _rollout(spec, out)


def _rollout(spec: YDict, out: dict[str, Any]) -> None:
    strategy = _map(spec.get("strategy"))
    for name in ("canary", "blueGreen"):
        body = strategy.get(name)
        if not isinstance(body, YDict):
            continue
        steps: list[str] = []
        analyses: list[str] = []
        for step in _list(body.get("steps")):
            if not isinstance(step, YDict):
                continue
            if "setWeight" in step:
                steps.append(f"{step['setWeight']}%")
            elif "pause" in step:
                duration = _str(_map(step.get("pause")).get("duration"))
                steps.append(f"pause {duration}" if duration else "pause until promoted")
            elif "analysis" in step:
                steps.append("analysis")
                analyses += _analysis_names(step.get("analysis"))
        for key in ("analysis", "prePromotionAnalysis", "postPromotionAnalysis"):
            analyses += _analysis_names(body.get(key))
        auto = body.get("autoPromotionEnabled")
        out["rollout"] = {
            "strategy": name,
            "line": strategy.line_of(name),
            "steps": steps,
            "analysis": sorted(set(analyses)),
            "auto_promotion": auto if isinstance(auto, bool) else None,
            "preview": _str(body.get("previewService")),
        }


def _analysis_names(value: Any) -> list[str]:
    names = []
    for template in _list(_map(value).get("templates")):
        name = _str(_map(template).get("templateName"))
        if name:
            names.append(name)
    return names


def _ingress(spec: YDict, out: dict[str, Any]) -> None:
    tls_hosts = {str(h) for t in _list(spec.get("tls")) for h in _list(_map(t).get("hosts"))}
    hosts: list[list[Any]] = []
    for index, rule in enumerate(_list(spec.get("rules"))):
        host = _str(_map(rule).get("host"))
        if host:
            hosts.append([host, line_of(_map(rule), "host", line_of(spec.get("rules"), index)), host in tls_hosts])
    out["hosts"] = hosts


def _hpa(spec: YDict, out: dict[str, Any]) -> None:
    target = _map(spec.get("scaleTargetRef"))
    cpu = spec.get("targetCPUUtilizationPercentage")
    for metric in _list(spec.get("metrics")):
        resource = _map(_map(metric).get("resource"))
        if resource.get("name") == "cpu":
            cpu = _map(resource.get("target")).get("averageUtilization", resource.get("targetAverageUtilization"))
    out["hpa"] = {
        "target": _str(target.get("name")),
        "min": _str(spec.get("minReplicas")) or "1",
        "max": _str(spec.get("maxReplicas")),
        "cpu": _str(cpu),
    }


def _alerts(spec: YDict, out: dict[str, Any]) -> None:
    alerts: list[dict[str, Any]] = []
    records = 0
    for group in _list(spec.get("groups")):
        for rule in _list(_map(group).get("rules")):
            rule = _map(rule)
            name = _str(rule.get("alert"))
            records += bool(_str(rule.get("record")))
            if not name:
                continue
            alerts.append(
                {
                    "alert": name,
                    "severity": _str(_map(rule.get("labels")).get("severity")),
                    "for": _str(rule.get("for")),
                    "line": line_of(rule, "alert", rule.line),
                    "group": _str(_map(group).get("name")),
                }
            )
    out["alerts"] = alerts
    out["records"] = records


def _argo_source(source: YDict) -> dict[str, Any]:
    helm = _map(source.get("helm"))
    values: Any = helm.get("valuesObject")
    if values is None and isinstance(helm.get("values"), str):
        loaded = load_yaml(helm["values"])
        values = loaded.documents[0] if loaded.documents and not loaded.error else None
    for param in _list(helm.get("parameters")):
        name, value = _str(_map(param).get("name")), _map(param).get("value")
        if name:
            values = _set_dotted(values if isinstance(values, dict) else {}, name, value)
    return {
        "repo": _str(source.get("repoURL")),
        "path": _str(source.get("path")),
        "chart": _str(source.get("chart")),
        "revision": _str(source.get("targetRevision")),
        "value_files": [str(v) for v in _list(helm.get("valueFiles"))],
        "values": plain(values) if isinstance(values, dict) else None,
        "value_lines": key_lines(values) if isinstance(values, YDict) and values is helm.get("valuesObject") else {},
        "line": source.line,
        "recurse": bool(_map(source.get("directory")).get("recurse")),
    }


def _set_dotted(data: dict[Any, Any], dotted: str, value: Any) -> dict[Any, Any]:
    node = data
    parts = dotted.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {}) if isinstance(node.get(part), dict) or part not in node else {}
    node[parts[-1]] = value
    return data


def _application(spec: YDict, out: dict[str, Any]) -> None:
    sources = [spec["source"]] if isinstance(spec.get("source"), YDict) else []
    sources += [s for s in _list(spec.get("sources")) if isinstance(s, YDict)]
    destination = _map(spec.get("destination"))
    sync = _map(spec.get("syncPolicy"))
    automated = sync.get("automated")
    out["app"] = {
        "sources": [_argo_source(s) for s in sources],
        "namespace": _str(destination.get("namespace")),
        "cluster": _str(destination.get("name")) or _str(destination.get("server")),
        "automated": automated is not None and "automated" in sync,
        "automated_line": sync.line_of("automated") if "automated" in sync else 0,
        "prune": bool(_map(automated).get("prune")),
        "self_heal": bool(_map(automated).get("selfHeal")),
    }


def _application_set(spec: YDict, out: dict[str, Any]) -> None:
    names: list[list[Any]] = []
    for generator in _list(spec.get("generators")):
        for elements in _walk_key(generator, "elements"):
            for index, element in enumerate(_list(elements)):
                for value in _map(element).values():
                    if isinstance(value, str) and env_from_name(value):
                        names.append([value, line_of(elements, index)])
    template = _map(spec.get("template"))
    inner: dict[str, Any] = {}
    _application(_map(template.get("spec")), inner)
    out["app"] = inner["app"]
    out["generated_envs"] = names


def _walk_key(value: Any, key: str) -> Iterator[Any]:
    if isinstance(value, dict):
        for k, v in value.items():
            if k == key:
                yield v
            else:
                yield from _walk_key(v, key)
    elif isinstance(value, list):
        for v in value:
            yield from _walk_key(v, key)


def _flux(kind: str, spec: YDict, out: dict[str, Any]) -> None:
    out["flux"] = {
        "path": _str(spec.get("path")),
        "interval": _str(spec.get("interval")),
        "prune": bool(spec.get("prune")),
        "source": _str(_map(spec.get("sourceRef")).get("name")),
    }
    if kind == "HelmRelease":
        chart_spec = _map(_map(spec.get("chart")).get("spec"))
        remediation = _map(_map(spec.get("upgrade")).get("remediation"))
        values = spec.get("values")
        out["flux"].update(
            {
                "chart": _str(chart_spec.get("chart")) or _str(_map(spec.get("chartRef")).get("name")),
                "version": _str(chart_spec.get("version")),
                "values": plain(values) if isinstance(values, dict) else None,
                "value_lines": key_lines(values) if isinstance(values, YDict) else {},
                "remediation": _str(remediation.get("strategy")) or ("retry" if remediation else None),
                "remediation_line": remediation.line if remediation else 0,
            }
        )


def _variables(data: Any, names_only: bool) -> list[list[Any]]:
    """ConfigMap/Secret keys that look like environment variables, with their lines."""
    out: list[list[Any]] = []
    if isinstance(data, YDict):
        for key, value in data.items():
            if isinstance(key, str) and _VARIABLE_KEY.fullmatch(key):
                out.append([key, None if names_only else _str(value), data.line_of(key)])
    return out


def summarise(doc: Any) -> dict[str, Any] | None:
    """What infrascan needs of one Kubernetes object, as plain data; None for anything else."""
    if not isinstance(doc, YDict):
        return None
    kind, api = _str(doc.get("kind")), _str(doc.get("apiVersion"))
    if not kind or not api:
        return None
    meta = _map(doc.get("metadata"))
    annotations = {str(k): str(_str(v) or "") for k, v in _map(meta.get("annotations")).items()}
    out: dict[str, Any] = {
        "kind": kind,
        "api": api,
        "name": _str(meta.get("name")) or _str(meta.get("generateName")) or "",
        "namespace": _str(meta.get("namespace")),
        "line": doc.line_of("kind"),
        "annotations": annotations,
        "annotation_lines": {str(k): _map(meta.get("annotations")).line_of(k) for k in annotations},
    }
    spec = _map(doc.get("spec"))
    if kind in WORKLOAD_KINDS:
        _workload(kind, spec, out)
    elif kind == "Ingress":
        _ingress(spec, out)
    elif kind == "HTTPRoute":
        out["hosts"] = [[str(h), line_of(spec, "hostnames"), False] for h in _list(spec.get("hostnames"))]
    elif kind == "HorizontalPodAutoscaler":
        _hpa(spec, out)
    elif kind == "PodDisruptionBudget":
        out["pdb"] = [
            [key, _str(spec[key]), line_of(spec, key)] for key in ("minAvailable", "maxUnavailable") if key in spec
        ]
    elif kind in ("ServiceMonitor", "PodMonitor"):
        endpoints = _list(spec.get("endpoints")) + _list(spec.get("podMetricsEndpoints"))
        first = _map(endpoints[0]) if endpoints else YDict()
        out["monitor"] = {
            "group": api.partition("/")[0],
            "port": _str(first.get("port")),
            "path": _str(first.get("path")),
            "interval": _str(first.get("interval")),
        }
    elif kind == "PrometheusRule":
        _alerts(spec, out)
    elif kind == "Application" and api.startswith("argoproj.io"):
        _application(spec, out)
    elif kind == "ApplicationSet":
        _application_set(spec, out)
    elif api.startswith(("kustomize.toolkit.fluxcd.io", "helm.toolkit.fluxcd.io")):
        _flux(kind, spec, out)
    elif kind == "ConfigMap":
        out["variables"] = _variables(doc.get("data"), names_only=False)
    elif kind == "Secret":
        out["variables"] = _variables(doc.get("stringData") or doc.get("data"), names_only=True)
    elif kind in ("ExternalSecret", "ClusterExternalSecret"):
        store = _map(spec.get("secretStoreRef"))
        out["store"] = [_str(store.get("kind")) or "SecretStore", _str(store.get("name"))]
    return out


# -- phase 2: facts from summaries ------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    """Where an object's facts come from and which environment they describe.

    `where` names the source (`in `k8s/web.yaml``). Environment facts also get `note` (which
    values or overlay) and `placement` evidence (the overlay that deploys the file); every fact
    gets `guard` (the template condition it depends on) and `evidence`.
    """

    detector: Detector
    path: str
    env: str | None
    where: tuple[Part, ...]
    evidence: tuple[Evidence, ...] = ()
    note: tuple[Part, ...] = ()
    active: bool = True  # False: a chart template switched off (its facts become hints)
    certain: bool = True  # False: a template guard infrascan could not evaluate (declared becomes inferred)
    guard: tuple[Part, ...] = ()
    placement: tuple[Evidence, ...] = ()

    def ev(self, line: int, env_scoped: bool = True) -> tuple[Evidence, ...]:
        own = self.detector.evidence(self.path, line)
        extra = (*self.evidence, *self.placement) if env_scoped else self.evidence
        if not extra and len(own) == 1:
            return own  # most sites: nothing to join or sort (Evidence compares in Python, slowly)
        return tuple(sorted({*own, *extra}))


SWITCHED_OFF_RANK = 50
# A data store run in the cluster ranks just after one a cloud provider manages (Terraform's rank
# 30): where a repository has both, the in-cluster one is usually the quick-start variant, and
# among hints of no stated environment the managed stores are the stronger leads.
IN_CLUSTER_RANK = 32


def fact(site: Site, field_id: str, parts: Iterable[Part], confidence: Confidence, line: int, **kw: Any) -> Fact:
    """A fact from a site: environment facts without an environment, or switched off, become hints."""
    env_scoped = FIELD_BY_ID[field_id].scope is Scope.ENVIRONMENT
    body = text(*parts, *(site.note if env_scoped else ()), *site.guard)
    if confidence is Confidence.DECLARED and not site.certain:
        confidence = Confidence.INFERRED
    if env_scoped and site.env is None:
        body = text(*body, " (environment not stated)")
        confidence = Confidence.HINT
    if not site.active:
        confidence = Confidence.HINT
        # Switched off is weaker than anything switched on: listed after it among the hints.
        kw["rank"] = kw.get("rank", DEFAULT_RANK) + SWITCHED_OFF_RANK
    return Fact(
        field_id,
        body,
        confidence,
        site.ev(line, env_scoped),
        env=site.env if env_scoped else None,
        order=kw.pop("order", (site.path, line)),
        **kw,
    )


def label(obj: dict[str, Any]) -> tuple[Part, ...]:
    name = obj.get("name") or ""
    return (f"{obj['kind']} ", Code(name)) if name and "{{" not in name else (obj["kind"],)


def image_facts(obj: dict[str, Any], site: Site) -> list[Fact]:
    """Databases, caches and queues a workload runs in-cluster; monitoring and log agents it runs."""
    facts: list[Fact] = []
    if obj["kind"] in _JOB_KINDS:
        return facts  # a Job's `postgres` image is a client (pg_dump, psql), not a database
    for container in obj.get("containers", []):
        image = parse_image(container.get("image") or "")
        found = site.detector.catalog.by_image(image) if image else None
        if not found or container.get("init"):
            continue
        tech, ref = found
        name = tech.image_label(ref)
        retag = container.get("retag")
        set_by: tuple[Part, ...] = (", tag set by ", Code(f"{retag[1]}:{retag[2]}")) if retag else ()
        at = replace(site, evidence=(*site.evidence, *site.detector.evidence(retag[1], retag[2]))) if retag else site
        detail = (" in-cluster: ", *label(obj), " (image ", Code(str(container["image"])), *set_by, ")", *site.where)
        line = int(container["line"])
        if tech.category in DATA_STORE_CATEGORIES:
            version = tech.version_of(ref)
            facts.append(
                fact(
                    at,
                    "env.database",
                    (name, *detail),
                    Confidence.DECLARED,
                    line,
                    item=tech.id,
                    tech=tech.id,
                    rank=IN_CLUSTER_RANK,
                    attrs={"image": ref.reference(), "version": version, "in_cluster": True, "hosts": _hosts(obj)},
                )
            )
        elif tech.category in ("monitoring", "alerting"):
            kind = tech.monitoring[0] if tech.monitoring else "infrastructure"
            # an image released on its own version line beside the tool (an exporter, the Pushgateway)
            # is that image, for the tool: prometheus-community's node-exporter DaemonSet was "Prometheus"
            said: tuple[Part, ...] = (Code(companion), f" for {tech.name}") \
                if (companion := tech.companion(ref)) else (name,)
            facts.append(
                fact(
                    site,
                    f"mon.{kind}",
                    (*said, ": ", *detail[1:]),
                    Confidence.DECLARED,
                    line,
                    item=tech.id,
                    tech=tech.id,
                    rank=35,
                )
            )
        elif tech.category == "logging":
            facts.append(
                fact(
                    site,
                    "log.aggregation",
                    (name, ": ", *detail[1:]),
                    Confidence.DECLARED,
                    line,
                    item=tech.id,
                    tech=tech.id,
                    rank=35,
                )
            )
    return facts


def _hosts(obj: dict[str, Any]) -> list[str]:
    """The name other pods may reach a workload by: its own (its Service usually shares it)."""
    name = obj.get("name") or ""
    return [name] if name and "{{" not in name else []


def _timing(obj: dict[str, Any]) -> tuple[str, str]:
    """When a Job runs relative to the rollout, from its hook annotations; (phrase, where-attr)."""
    annotations = obj.get("annotations", {})
    helm_hooks = [h.strip() for h in str(annotations.get(_HELM_HOOK, "")).split(",") if h.strip()]
    argo = str(annotations.get(_ARGO_HOOK, "")).strip()
    before = [h for h in helm_hooks if h in ("pre-install", "pre-upgrade")]
    after = [h for h in helm_hooks if h in ("post-install", "post-upgrade")]
    also = f" (also {'/'.join(after)} after rollout)" if before and after else ""
    if "pre-upgrade" in before:
        return f"Helm {'/'.join(before)} hook Job", "before rollout" + also
    if before:
        return f"Helm {'/'.join(before)} hook Job", "before the first install only" + also
    if after:
        return f"Helm {'/'.join(after)} hook Job", "after rollout (the new pods may already run against the old schema)"
    if argo in ("PreSync", "Sync", "PostSync", "SyncFail"):
        phrase = {
            "PreSync": "before the sync applies the workloads",
            "Sync": "during the sync (ordered by sync waves)",
            "PostSync": "after a successful sync",
            "SyncFail": "when a sync fails",
        }[argo]
        return f"Argo CD {argo} hook Job", phrase
    # what is known is the Job's own: the workloads may still wait for it (grafana/oncall's pods have
    # an init container that loops on `manage.py migrate --check`)
    return "Kubernetes Job", "applied with the workloads (no hook orders it before the new pods)"


def _named(obj: dict[str, Any]) -> tuple[Part, ...]:
    name = obj.get("name") or ""
    return (" ", Code(name)) if name and "{{" not in name else ()


def _migrations(container: dict[str, Any]) -> tuple[list[Any], str]:
    """The migrate commands a container runs, and how they combine.

    A Helm template can give one command per `if`/`else` branch (`variants`): one of them runs
    (" or "). Commands in one script (`goose up && river migrate-up`) all run (" and ").
    """
    variants = container.get("variants")
    scripts = variants if variants else [container.get("command") or ""]
    found = [c for script in scripts for part in split_commands(script) for c in classify(part.text)]
    return [c for c in found if c.kind == "migrate"], " or " if variants else " and "


def _commands(found: list[Any], joiner: str) -> tuple[Part, ...]:
    """One or two distinct commands (`a` and `b`), as code spans."""
    distinct = list(dict.fromkeys(c.command for c in found))[:2]
    parts: list[Part] = []
    for i, command in enumerate(distinct):
        parts += [joiner if i else "", Code(command)]
    return tuple(parts)


def _job_migration(obj: dict[str, Any], container: dict[str, Any], site: Site) -> Fact | None:
    """A Job or hook that migrates: by its command, or (inferred) by a name that says so."""
    migrations, joiner = _migrations(container)
    named = not container.get("init") and _MIGRATION_NAME.search(
        f"{obj.get('name', '')} {container.get('name', '')} {site.path}"
    )
    if not migrations and not named:
        return None
    who, when = _timing(obj)
    if obj["kind"] == "CronJob":
        who, when = "Kubernetes CronJob", f"on schedule {obj.get('schedule') or '?'}"
    shown = short(container.get("command") or "") or "its image's default command"
    what = (" runs ", *_commands(migrations, joiner)) if migrations else (" (named as a migration) runs ", Code(shown))
    line = int(container.get("command_line") or container.get("line") or obj["line"])
    return fact(
        site,
        "deploy.migration.strategy",
        (who, *_named(obj), *what, " ", when, *site.where),
        Confidence.DECLARED if migrations else Confidence.INFERRED,
        line,
        item=f"k8s-job:{site.path}:{obj.get('name')}",
        tech=migrations[0].tool if migrations else None,
        rank=30,
        attrs={"where": "kubernetes job", "when": when},
    )


def migration_facts(obj: dict[str, Any], site: Site) -> list[Fact]:
    """Where a workload migrates: an init container (every pod), a Job or hook, or the start command."""
    facts: list[Fact] = []
    kind = obj["kind"]
    hooked = bool(obj.get("annotations", {}).get(_HELM_HOOK) or obj.get("annotations", {}).get(_ARGO_HOOK))
    containers = obj.get("containers", [])
    if kind in _JOB_KINDS or hooked:
        # A Job's init containers wait for the database; its main container is what it runs.
        ordered = [c for c in containers if not c.get("init")] + [c for c in containers if c.get("init")]
        for container in ordered:
            found = _job_migration(obj, container, site)
            if found:
                return [found]
        return facts
    for container in containers:
        migrations, joiner = _migrations(container)
        line = int(container.get("command_line") or container.get("line") or obj["line"])
        if not migrations:
            continue
        if container.get("init"):
            parts: tuple[Part, ...] = (
                "Init container ",
                Code(container.get("name") or "?"),
                " of ",
                *label(obj),
                " runs ",
                *_commands(migrations, joiner),
                " before each pod starts (every replica migrates)",
                *site.where,
            )
            where = "init container"
        else:
            parts = (
                "On container start: ",
                *label(obj),
                " container ",
                Code(container.get("name") or "?"),
                " runs ",
                *_commands(migrations, joiner),
                ", in every replica as it starts",
                *site.where,
            )
            where = "container start"
        facts.append(
            fact(
                site,
                "deploy.migration.strategy",
                parts,
                Confidence.DECLARED,
                line,
                item=f"k8s-{where}:{site.path}:{obj.get('name')}",
                tech=migrations[0].tool,
                rank=35,
                attrs={"where": where, "tool": migrations[0].tool},
            )
        )
    return facts


def verify_hook_facts(obj: dict[str, Any], site: Site) -> list[Fact]:
    """A Helm `test` hook is a smoke test `helm test` runs after a release."""
    hooks = str(obj.get("annotations", {}).get(_HELM_HOOK, ""))
    if "test" not in [h.strip() for h in hooks.split(",")]:
        return []
    running = [c for c in obj.get("containers", []) if c.get("command")]
    what: tuple[Part, ...] = (" runs ", Code(short(running[0]["command"]))) if running else ()
    line = int(obj.get("annotation_lines", {}).get(_HELM_HOOK) or obj["line"])
    made = fact(
        site,
        "deploy.rollback.verify",
        (Code("helm test"), " hook ", *label(obj), *what, *site.where),
        Confidence.DECLARED,
        line,
        item=f"helm-test:{PurePosixPath(site.path).parent}",
        rank=40,
    )
    quoted = int(running[0].get("command_line") or 0) if running else 0
    if quoted:  # the hook annotation, and the command the fact quotes
        made = replace(made, evidence=tuple(sorted({*made.evidence, *site.detector.evidence(site.path, quoted)})))
    return [made]


def once(facts: list[Fact]) -> list[Fact]:
    """Facts about the whole system that several environments repeat (a base's `LOG_LEVEL`), once.

    The same manifest deployed by three overlays says `LOG_LEVEL=info` three times; environment
    facts stay per environment, the others are kept once with their evidence joined.
    """
    seen: dict[tuple[str, str, str | None], int] = {}
    out: list[Fact] = []
    for found in facts:
        if FIELD_BY_ID[found.field].scope is Scope.ENVIRONMENT:
            out.append(found)
            continue
        key = (found.field, found.text, found.service)
        if key in seen:
            first = out[seen[key]]
            out[seen[key]] = replace(first, evidence=tuple(sorted({*first.evidence, *found.evidence})))
        else:
            seen[key] = len(out)
            out.append(found)
    return out


def short(command: str, limit: int = 90) -> str:
    """A command on one line, cut at `limit` characters (test scripts run to many lines)."""
    flat = "; ".join(line.strip().rstrip("&;").strip() for line in command.splitlines() if line.strip())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _backup_fact(obj: dict[str, Any], site: Site) -> Fact | None:
    """A CronJob that runs a backup tool (data/commands, kind `backup`) is a scheduled backup; one
    only named or scripted for backups is a hint (podinfo's `backup-daily` runs a script that
    sleeps and exits); any other, None."""
    commands = [c["command"] for c in obj["containers"] if c.get("command")]
    tools = [c for cmd in commands for part in split_commands(cmd) for c in classify(part.text) if c.kind == "backup"]
    if not tools and not _BACKUP_NAME.search(f"{obj.get('name')} {commands}"):
        return None
    schedule = ("(", Code(obj.get("schedule") or "?"), ")")
    if tools:
        parts: tuple[Part, ...] = (
            "Scheduled backup: ",
            *label(obj),
            " ",
            *schedule,
            " runs ",
            *_commands(tools, " and "),
        )
    else:
        ran: tuple[Part, ...] = (" runs ", Code(short(commands[0]))) if commands else (" shows no command",)
        says = " is named for backups" if _BACKUP_NAME.search(str(obj.get("name"))) else " mentions backups"
        parts = (*label(obj), " ", *schedule, says, ", but", *ran, " (no backup tool infrascan knows)")
    return fact(
        site,
        "env.special",
        (*parts, *site.where),
        Confidence.INFERRED if tools else Confidence.HINT,
        int(obj["line"]),
        item=f"backup:{obj.get('name')}",
        rank=45,
    )


def special_facts(obj: dict[str, Any], site: Site, replicas_set_here: bool = False) -> list[Fact]:
    """Replicas, autoscalers, disruption budgets, backups and secret stores of an environment."""
    facts: list[Fact] = []
    kind = obj["kind"]
    replicas = obj.get("replicas")
    if replicas and kind != "Job" and (int(replicas[0]) > 1 or replicas_set_here):
        count = int(replicas[0])
        source = obj.get("replicas_from")
        by: tuple[Part, ...] = (", set by ", Code(source[0])) if source else ()
        where = replace(site, evidence=(*site.evidence, *site.detector.evidence(*source))) if source else site
        facts.append(
            fact(
                where,
                "env.special",
                (*label(obj), f": {count} replica{'s' if count != 1 else ''}", *site.where, *by),
                Confidence.DECLARED,
                int(replicas[1]) if not source else int(obj.get("line") or 0),
                item=f"replicas:{obj.get('name')}",
                rank=40,
            )
        )
    hpa = obj.get("hpa")
    if hpa:
        target = (" for ", Code(hpa["target"])) if hpa.get("target") and "{{" not in hpa["target"] else ()
        cpu = f" at {hpa['cpu']}% CPU" if hpa.get("cpu") else ""
        facts.append(
            fact(
                site,
                "env.special",
                (
                    "Autoscaling",
                    *target,
                    f": {hpa['min']}–{hpa.get('max') or '?'} replicas{cpu} (HorizontalPodAutoscaler)",
                    *site.where,
                ),
                Confidence.DECLARED,
                int(obj["line"]),
                item=f"hpa:{obj.get('name')}",
                rank=40,
            )
        )
    budgets = [b for b in obj.get("pdb", []) if b[1] and "{{" not in str(b[1])]
    if budgets:
        pdb = budgets[0]  # a chart template lists both; the values set one
        facts.append(
            fact(
                site,
                "env.special",
                ("PodDisruptionBudget", *_named(obj), f": {pdb[0]} ", Code(str(pdb[1])), *site.where),
                Confidence.DECLARED,
                int(pdb[2]),
                item=f"pdb:{obj.get('name')}",
                rank=45,
            )
        )
    backup = _backup_fact(obj, site) if kind == "CronJob" else None
    if backup is not None:
        facts.append(backup)
    store = obj.get("store")
    if store:
        facts.append(
            fact(
                site,
                "env.special",
                (
                    "Secrets synced by External Secrets from ",
                    store[0],
                    " ",
                    Code(store[1] or "?"),
                    " (",
                    *label(obj),
                    ")",
                    *site.where,
                ),
                Confidence.DECLARED,
                int(obj["line"]),
                item=f"external-secrets:{store[1]}",
                rank=45,
            )
        )
    return facts


def url_facts(obj: dict[str, Any], site: Site) -> list[Fact]:
    facts: list[Fact] = []
    for host, line, tls in obj.get("hosts", []):
        host = str(host)
        if host.startswith("*") or "{{" in host or is_placeholder_host(host.lower()):
            continue
        url = f"{'https' if tls else 'http'}://{host}"
        facts.append(
            fact(
                site,
                "env.url",
                (Code(url), " from ", *label(obj), *site.where),
                Confidence.DECLARED,
                int(line),
                rank=20,
                attrs={"url": url},
            )
        )
    return facts


def monitoring_facts(obj: dict[str, Any], site: Site) -> list[Fact]:
    """Prometheus Operator (or Azure managed Prometheus) monitors and scrape annotations; alert rules by severity."""
    facts: list[Fact] = []
    monitor = obj.get("monitor")
    if monitor is not None:
        detail = ", ".join(
            f"{k} {monitor[k]}" for k in ("port", "path", "interval") if monitor.get(k) and "{{" not in monitor[k]
        )
        scraper, tech = MONITOR_GROUPS.get(monitor.get("group", ""), MONITOR_GROUPS["monitoring.coreos.com"])
        facts.append(
            fact(
                site,
                "mon.infrastructure",
                (scraper, *label(obj), f"; {detail})" if detail else ")", *site.where),
                Confidence.DECLARED,
                int(obj["line"]),
                item=f"monitor:{site.path}:{obj.get('name')}",
                tech=tech,
                rank=35,
            )
        )
    by_level: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for alert in obj.get("alerts", []):
        by_level[_alert_level(alert)].append(alert)
    for level, alerts in by_level.items():
        # beyond six of a level, one statement for the object (as the alerting detector states a
        # rule file's): kube-prometheus-stack's templates hold 45 critical and 105 warning rules
        if level and len(alerts) > MAX_ALERTS:
            facts.append(alert_summary(level, alerts, obj, site))
        else:
            facts.extend(alert_fact(alert, obj, site) for alert in alerts)
    if obj["kind"] == "PrometheusRule" and not obj.get("alerts") and not obj.get("records"):
        # grafana/loki builds its rules from another file (`.Files.Get`): say so, never guess them;
        # rules read whole that only record series (kube-prometheus-stack's k8s.rules.*) alert on nothing.
        # Not "with alert rules": traefik's chart copies the rules a user sets in values, and its own
        # values set none
        facts.append(
            fact(
                site,
                "alert.warning",
                ("PrometheusRule", *_named(obj), *site.where, ": its rules are not written in it (built from "
                 "values or another file), so infrascan cannot tell which alerts, if any, it raises"),
                Confidence.HINT,
                int(obj["line"]),
                item=f"rules:{site.path}",
                tech="prometheus",
                rank=70,
            )
        )
    return facts


def _alert_level(alert: dict[str, Any]) -> str:
    """critical, warning, or empty for a severity that is neither (info, none, templated)."""
    severity = (alert.get("severity") or "").lower()
    return "critical" if severity in _CRITICAL else "warning" if severity in _WARNING else ""


def rules_counted(names: list[str], severities: list[str]) -> tuple[Part, ...]:
    """"45 alert rules with severity `critical` (`A`, `B` ... and 39 more)": rules of one level said
    as a count and the first few names (one object's, or a chart's)."""
    return (f"{len(names)} alert rules with severity ", *code_list(severities), " (",
            *code_list(names, MAX_ALERTS), ")")


def alert_summary(level: str, alerts: list[dict[str, Any]], obj: dict[str, Any], site: Site) -> Fact:
    """Many alert rules of one level in one object: how many, and the first few by name."""
    severities = list(dict.fromkeys((a.get("severity") or "").lower() for a in alerts))
    names = [a["alert"] for a in alerts]
    parts = (*rules_counted(names, severities), " in ", *label(obj), *site.where)
    first = int(alerts[0]["line"])
    summary = fact(site, f"alert.{level}", parts, Confidence.DECLARED, first,
                   item=f"alerts:{site.path}:{obj.get('name')}:{level}", tech="prometheus", rank=30,
                   attrs={"severity": severities[0], "severities": severities, "alerts": names})
    return replace(summary, evidence=tuple(sorted({*summary.evidence,
                                                   *(e for a in alerts[1:] for e in site.ev(int(a["line"])))})))


def alert_fact(alert: dict[str, Any], obj: dict[str, Any], site: Site) -> Fact:
    severity = (alert.get("severity") or "").lower()
    duration = (", for ", Code(alert["for"])) if alert.get("for") and "{{" not in alert["for"] else ()
    parts: tuple[Part, ...] = (
        Code(alert["alert"]),
        " (severity ",
        Code(severity or "unset"),
        *duration,
        ") in ",
        *label(obj),
        *site.where,
    )
    level = _alert_level(alert)
    field_id, confidence = f"alert.{level or 'warning'}", Confidence.DECLARED
    if not level:
        confidence = Confidence.HINT  # info, none or templated: not a warning either
    facts_site = site if confidence is not Confidence.HINT else replace(site, active=False)
    return fact(
        facts_site,
        field_id,
        parts,
        confidence,
        int(alert["line"]),
        item=f"alert:{alert['alert']}:{severity}",
        tech="prometheus",
        rank=30,
        attrs={"severity": severity, "alert": alert["alert"]},
    )


def rollout_facts(obj: dict[str, Any], site: Site) -> list[Fact]:
    """Argo Rollouts: the strategy is a deployment step and the way back; analysis rolls back itself."""
    rollout = obj.get("rollout")
    if not rollout:
        return []
    line = int(rollout["line"])
    name = obj.get("name") if obj.get("name") and "{{" not in obj["name"] else "ROLLOUT_NAME"
    facts: list[Fact] = []
    if rollout["strategy"] == "canary":
        steps = " → ".join(rollout["steps"]) if rollout["steps"] else "default steps"
        step: tuple[Part, ...] = ("Argo Rollouts canary of ", *label(obj), ": ", Code(steps), *site.where)
    else:
        promote = {True: "promoted automatically", False: "promoted by hand", None: "promoted automatically"}
        step = (
            "Argo Rollouts blue-green of ",
            *label(obj),
            ": new version behind a preview service",
            *((" ", Code(rollout["preview"])) if rollout.get("preview") and "{{" not in rollout["preview"] else ()),
            ", ",
            promote[rollout.get("auto_promotion")],
            *site.where,
        )
    facts.append(
        fact(
            site,
            "deploy.steps",
            step,
            Confidence.DECLARED,
            line,
            item=f"rollout:{name}",
            rank=30,
            attrs={"step": "Progressive rollout"},
        )
    )
    if rollout["analysis"]:
        templates = ", ".join(rollout["analysis"])
        facts.append(
            fact(
                site,
                "deploy.rollback.perform",
                (
                    "Automatic: Argo Rollouts aborts ",
                    *label(obj),
                    " and returns to the stable version when analysis ",
                    Code(templates),
                    " fails",
                    *site.where,
                ),
                Confidence.DECLARED,
                line,
                item=f"rollout:{name}",
                rank=20,
                attrs={"automatic": True},
            )
        )
        facts.append(
            fact(
                site,
                "deploy.rollback.identify",
                ("Argo Rollouts analysis ", Code(templates), " on ", *label(obj), *site.where),
                Confidence.DECLARED,
                line,
                item=f"rollout:{name}",
                rank=30,
            )
        )
    facts.append(
        fact(
            site,
            "deploy.rollback.perform",
            (
                Code(f"kubectl argo rollouts abort {name}"),
                " (back to the stable ReplicaSet) or ",
                Code(f"kubectl argo rollouts undo {name}"),
                " for ",
                *label(obj),
                *site.where,
            ),
            Confidence.INFERRED,
            line,
            item=f"rollout-manual:{name}",
            rank=40,
        )
    )
    return facts


def variable_facts(obj: dict[str, Any], site: Site) -> list[Fact]:
    """Container env lists and ConfigMap/Secret keys, read the way every other source is read."""
    groups: list[tuple[tuple[Part, ...], list[Variable]]] = []
    containers = obj.get("containers", [])
    for container in containers:
        variables = [
            Variable(n, v if v is None or "{{" not in v else None, int(line)) for n, v, line in container.get("env", [])
        ]
        if variables:
            groups.append(
                (("in ", *label(obj), *_container_label(container, containers), " (", Code(site.path), ")"), variables)
            )
    if obj.get("variables"):
        variables = [Variable(n, v, int(line)) for n, v, line in obj["variables"]]
        groups.append((("in ", *label(obj), " (", Code(site.path), ")"), variables))
    facts: list[Fact] = []
    for where, variables in groups:
        facts += read_variables(site.detector, site.path, site.env, where, variables, site.active)
    return facts


def _container_label(container: dict[str, Any], containers: list[dict[str, Any]]) -> tuple[Part, ...]:
    """`, container loki-sc-rules`: in a pod of several containers a setting belongs to the one that sets it.

    A sidecar's `LOG_LEVEL` (the Loki chart's rules-watching sidecar) is not the application's log level.
    """
    name = container.get("name") or ""
    if len(containers) < 2 or not name or "{{" in name:
        return ()
    return (", ", "init container " if container.get("init") else "container ", Code(name))


def read_variables(
    detector: Detector, path: str, env: str | None, where: tuple[Part, ...], variables: list[Variable], active: bool
) -> list[Fact]:
    """VariableReader facts for a cluster: `http://frontend` is a Service inside it, not the site's URL."""
    reader = VariableReader(
        path=path,
        detector=detector.name,
        env=env,
        where=where,
        confidence=Confidence.INFERRED,
        catalog=detector.catalog,
    )
    facts: list[Fact] = []
    for found in reader.facts(variables):
        if found.field == "env.url" and "." not in (urlsplit(str(found.attrs.get("url", ""))).hostname or ""):
            continue
        env_scoped = FIELD_BY_ID[found.field].scope is Scope.ENVIRONMENT
        if (env_scoped and env is None) or not active:
            found = replace(found, confidence=Confidence.HINT, env=None if env_scoped else found.env)
        facts.append(found)
    return facts


def object_facts(obj: dict[str, Any], site: Site, replicas_set_here: bool = False) -> list[Fact]:
    """Every fact one object gives in one environment (probes are collected separately)."""
    return [
        *image_facts(obj, site),
        *migration_facts(obj, site),
        *verify_hook_facts(obj, site),
        *special_facts(obj, site, replicas_set_here),
        *url_facts(obj, site),
        *monitoring_facts(obj, site),
        *rollout_facts(obj, site),
        *variable_facts(obj, site),
    ]


def describes_environment(obj: dict[str, Any]) -> bool:
    """Whether `environment_facts` can find anything in an object: what its builders read.

    Without containers, replicas, an autoscaler, a disruption budget, a secret store, hosts or
    variables (and not a CronJob, whose name may say backup) an object gives no environment
    facts and no probes, so a chart's environments need not build a site for it.
    """
    return obj["kind"] == "CronJob" or any(obj.get(key) for key in _ENVIRONMENT_KEYS)


def environment_facts(obj: dict[str, Any], site: Site) -> list[Fact]:
    """The environment (`env.*`) facts of `object_facts`, in its order, from only the builders that make any.

    Migrations, hooks, monitors, alerts and rollouts describe the system, never one environment;
    a chart renders each template once per environment, and only these facts differ between them.
    """
    found = [*image_facts(obj, site), *special_facts(obj, site), *url_facts(obj, site), *variable_facts(obj, site)]
    return [f for f in found if FIELD_BY_ID[f.field].scope is Scope.ENVIRONMENT]


@dataclass
class NameSet:
    """Objects that share one property (probes, scrape annotations), reported as one fact.

    Dozens of workloads with readiness probes are one statement about how rollouts are verified,
    not dozens; the fact names a few and cites them all (up to twelve lines).
    """

    names: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    kinds: set[str] = field(default_factory=set)
    example: str = ""

    def add(self, name: str, site: Site, line: int, kind: str = "", example: str = "") -> None:
        if "{{" in name or not name:
            name = PurePosixPath(site.path).name
        if name not in self.names:
            self.names.append(name)
        if kind:
            self.kinds.add(kind)
        if not self.example and example and "{{" not in example:
            self.example = example
        self.evidence.extend(site.detector.evidence(site.path, line))

    def add_probes(self, obj: dict[str, Any], site: Site) -> None:
        """Readiness probes only: they alone hold a rollout back (a liveness probe restarts a
        container, and a Deployment whose pods have only that rolls on)."""
        if obj.get("update") in _NO_ROLLOUT:  # vault-helm's server StatefulSet updates OnDelete
            return
        if _runs_a_data_store(obj, site.detector.catalog):  # raw manifests and Helm templates alike
            return
        for container in obj.get("containers", []):
            if container.get("init"):
                continue
            for kind, desc, line in container.get("probes", []):
                if kind == "readiness":
                    name = obj.get("name") or ""
                    self.add(name if name and "{{" not in name else obj["kind"], site, int(line), kind, desc)

    def shown(self) -> tuple[Part, ...]:
        parts: list[Part] = []
        for i, name in enumerate(self.names[:_EXAMPLE_LIMIT]):
            parts += [", " if i else "", Code(name)]
        if len(self.names) > _EXAMPLE_LIMIT:
            parts.append(f" and {len(self.names) - _EXAMPLE_LIMIT} more")
        return tuple(parts)

    def cited(self) -> tuple[Evidence, ...]:
        return tuple(sorted(set(self.evidence)))[:12]

    def probe_fact(self, what: tuple[Part, ...], order: tuple[Any, ...]) -> Fact | None:
        if not self.names:
            return None
        example: tuple[Part, ...] = (" (e.g. ", Code(self.example), ")") if self.example else ()
        kinds = "/".join(sorted(self.kinds, reverse=True))
        return Fact(
            "deploy.rollback.verify",
            text(
                f"Kubernetes {kinds} probes on ",
                *self.shown(),
                *example,
                *what,
                ": a rollout only proceeds while new pods pass them",
            ),
            Confidence.DECLARED,
            self.cited(),
            item=f"probes:{order}",
            rank=40,
            order=order,
        )

    def scrape_fact(self, what: tuple[Part, ...], order: tuple[Any, ...]) -> Fact | None:
        if not self.names:
            return None
        return Fact(
            "mon.infrastructure",
            text("Prometheus scrape annotations (", Code("prometheus.io/scrape"), ") on ", *self.shown(), *what),
            Confidence.INFERRED,
            self.cited(),
            item=f"scrape:{order}",
            tech="prometheus",
            rank=50,
            order=order,
        )


# -- the detector -----------------------------------------------------------------------------


@dataclass
class Placement:
    """One environment a manifest file is deployed to, and what the overlay changes there."""

    env: str | None
    evidence: tuple[Evidence, ...] = ()
    images: dict[str, tuple[str, str, int]] = field(default_factory=dict)  # name -> (new ref, file, line)
    replicas: dict[str, tuple[int, str, int]] = field(default_factory=dict)
    namespace: str | None = None


def _runs_a_data_store(obj: dict[str, Any], catalog: Catalog) -> bool:
    """A workload that runs a database or a cache (TandoorRecipes' Bitnami PostgreSQL StatefulSet):
    its readiness probes hold its own rollout back, and say nothing of a release of the application."""
    # an init container (Bitnami's volume-permissions) runs before, and is not, the workload
    images = [str(c.get("image") or "") for c in obj.get("containers", []) if not c.get("init")]
    return bool(images) and all(catalog.is_data_store_image(image) for image in images)


class KubernetesDetector(Detector):
    name = "kubernetes"
    version = "5"
    description = "Kubernetes manifests (found by content), Kustomize overlays, Argo CD, Flux, Skaffold"
    patterns = ("kustomization.{yaml,yml}", "Kustomization", "skaffold.{yaml,yml}")
    sniff = Sniff(
        (".yaml", ".yml", ".json"),
        re.compile(
            r"\A(?=.*?^[ \t\-]*[\"']?apiVersion[\"']?[ \t]*:)(?=.*?^[ \t\-]*[\"']?kind[\"']?[ \t]*:)", re.M | re.S
        ),
        # Configuration of the tools that create local clusters reads like a manifest (homepage's k3d
        # `kind: Simple`, `apiVersion: k3d.io/v1alpha3`) but is applied to no cluster.
        unless=re.compile(r"(?m)^[ \t]*[\"']?apiVersion[\"']?[ \t]*:[ \t]*[\"']?"
                          r"(?:k3d\.io|kind\.x-k8s\.io|ctlptl\.dev|kubeadm\.k8s\.io|minikube\.sigs\.k8s\.io)/"),
    )
    looks_for = {
        "env.url": "Ingress and HTTPRoute hosts in Kubernetes manifests",
        "env.database": "database images of Kubernetes workloads",
        "env.special": "replicas, autoscalers, disruption budgets and overlays in Kubernetes manifests",
        "mon.infrastructure": "ServiceMonitor/PodMonitor objects and scrape annotations",
        "alert.critical": "PrometheusRule objects",
        "alert.warning": "PrometheusRule objects",
        "ci.deploy.automated": "Argo CD Applications and Flux objects",
        "ci.deploy.manual": "Argo CD Applications without automated sync",
        "deploy.steps": "Argo CD Applications, Flux objects and Argo Rollouts",
        "deploy.rollback.perform": "Argo Rollouts strategies and Flux remediation",
        "deploy.rollback.verify": "Kubernetes probes",
        "deploy.migration.strategy": "Kubernetes Jobs, hooks and init containers",
    }

    # -- phase 1 --

    def extract(self, file: SourceFile) -> Extraction:
        out = Extraction()
        pure = PurePosixPath(file.path)
        if pure.name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
            self._kustomization(file, out)
            return out
        if pure.name in ("skaffold.yaml", "skaffold.yml"):
            self._skaffold(file, out)
            return out
        if "{{" in file.text and ("templates" in pure.parts[:-1] or pure.suffix == ".tpl"):
            return out  # a Helm template: the helm detector reads it
        if pure.suffix == ".json":
            docs = self._json(file, out)
            errors: list[tuple[int | None, str]] = []
        else:
            docs, errors = load_documents(file.text)
        for line, message in errors:
            hint = "; it holds template expressions" if "{{" in file.text or "${" in file.text else ""
            out.diagnostics.append(
                self.diagnostic(
                    file.path, line, f"invalid YAML{hint}: {message}; the other documents of this file are still read"
                )
            )
        for doc in docs:
            for item in _list(doc.get("items")) if isinstance(doc, YDict) and doc.get("kind") == "List" else [doc]:
                summary = summarise(item)
                if summary:
                    out.records.append(Record("k8s.object", file.path, summary["line"], summary))
        return out

    def _json(self, file: SourceFile, out: Extraction) -> list[Any]:
        try:
            json.loads(file.text)
        except ValueError as exc:
            line = getattr(exc, "lineno", None)
            out.diagnostics.append(self.diagnostic(file.path, line, f"invalid JSON: {exc}"))
            return []
        loaded = load_yaml(file.text)  # JSON is YAML; this keeps line numbers
        return list(loaded.documents)

    def _kustomization(self, file: SourceFile, out: Extraction) -> None:
        loaded = load_yaml(file.text)
        if loaded.error:
            out.diagnostics.append(self.diagnostic(file.path, loaded.error.line, f"invalid YAML: {loaded.error}"))
        doc = next((d for d in loaded.documents if isinstance(d, YDict)), None)
        if doc is None:
            return
        entries: list[list[Any]] = []
        for key in ("resources", "bases", "components", "patchesStrategicMerge", "crds"):
            for index, value in enumerate(_list(doc.get(key))):
                if isinstance(value, str):
                    entries.append([value, line_of(doc.get(key), index), key])
        inline: list[dict[str, Any]] = []
        for key in ("patches", "patchesJson6902"):
            for index, patch in enumerate(_list(doc.get(key))):
                line = line_of(doc.get(key), index)
                if isinstance(patch, str):
                    entries.append([patch, line, key])
                elif isinstance(patch, YDict):
                    if isinstance(patch.get("path"), str):
                        entries.append([patch["path"], line, key])
                    inline.extend(self._inline_patch(patch, line))
        images = []
        for index, image in enumerate(_list(doc.get("images"))):
            image = _map(image)
            if _str(image.get("name")):
                images.append(
                    {
                        "name": _str(image.get("name")),
                        "new_name": _str(image.get("newName")),
                        "tag": _str(image.get("newTag")),
                        "digest": _str(image.get("digest")),
                        "line": line_of(doc.get("images"), index),
                    }
                )
        replicas = [
            [_str(_map(r).get("name")), _map(r).get("count"), line_of(doc.get("replicas"), i)]
            for i, r in enumerate(_list(doc.get("replicas")))
        ]
        literals: list[list[Any]] = []
        for generator in _list(doc.get("configMapGenerator")):
            generator = _map(generator)
            for index, literal in enumerate(_list(generator.get("literals"))):
                key, sep, value = str(literal).partition("=")
                if sep:
                    literals.append([key.strip(), value.strip(), line_of(generator.get("literals"), index)])
        out.records.append(
            Record(
                "k8s.kustomization",
                file.path,
                doc.line,
                {
                    "entries": entries,
                    "images": images,
                    "replicas": replicas,
                    "namespace": _str(doc.get("namespace")),
                    "namespace_line": doc.line_of("namespace"),
                    "literals": literals,
                    "inline": inline,
                    "helm_charts": [plain(c) for c in _list(doc.get("helmCharts")) if isinstance(c, YDict)],
                },
            )
        )

    @staticmethod
    def _inline_patch(patch: YDict, line: int) -> list[dict[str, Any]]:
        """Replica counts set by inline patches (strategic merge or JSON 6902)."""
        body = patch.get("patch")
        target = _str(_map(patch.get("target")).get("name"))
        if not isinstance(body, str):
            return []
        loaded = load_yaml(body)
        found: list[dict[str, Any]] = []
        for doc in loaded.documents:
            if isinstance(doc, YDict):
                replicas = _map(doc.get("spec")).get("replicas")
                name = _str(_map(doc.get("metadata")).get("name")) or target
                if isinstance(replicas, int) and name:
                    found.append({"name": name, "replicas": replicas, "line": line})
            for op in _list(doc):
                op = _map(op)
                if op.get("path") == "/spec/replicas" and isinstance(op.get("value"), int) and target:
                    found.append({"name": target, "replicas": op["value"], "line": line})
        return found

    def _skaffold(self, file: SourceFile, out: Extraction) -> None:
        docs, errors = load_documents(file.text)
        for line, message in errors:
            out.diagnostics.append(self.diagnostic(file.path, line, f"invalid YAML: {message}"))
        profiles: list[dict[str, Any]] = []
        for doc in docs:
            if not isinstance(doc, YDict):
                continue
            profiles.append(self._skaffold_profile(None, doc, doc.line))
            for profile in _list(doc.get("profiles")):
                profile = _map(profile)
                name = _str(profile.get("name"))
                if name:
                    profiles.append(self._skaffold_profile(name, profile, line_of(profile, "name")))
        out.records.append(Record("k8s.skaffold", file.path, 1, {"profiles": profiles}))

    @staticmethod
    def _skaffold_profile(name: str | None, body: YDict, line: int) -> dict[str, Any]:
        deploy = _map(body.get("deploy"))
        manifests = _map(body.get("manifests"))
        releases = _list(_map(deploy.get("helm")).get("releases")) + _list(_map(manifests.get("helm")).get("releases"))
        helm = [
            {
                "name": _str(_map(r).get("name")),
                "chart": _str(_map(r).get("chartPath")),
                "values": [str(v) for v in _list(_map(r).get("valuesFiles"))],
                "line": _map(r).line,
            }
            for r in releases
        ]
        paths = [str(p) for p in _list(_map(deploy.get("kubectl")).get("manifests")) + _list(manifests.get("rawYaml"))]
        paths += [str(p) for p in _list(_map(deploy.get("kustomize")).get("paths"))]
        paths += [str(p) for p in _list(_map(manifests.get("kustomize")).get("paths"))]
        return {"name": name, "line": line, "helm": helm, "paths": paths}

    # -- phase 2 --

    def resolve(self, ctx: ResolveContext) -> list[Fact]:
        charts = {folder_of(r.path) for r in ctx.records("helm.chart")}  # `.` at the top
        objects: dict[str, list[Record]] = defaultdict(list)
        for record in ctx.records("k8s.object"):
            if not in_chart(record.path, charts):
                objects[record.path].append(record)
        placements = self._placements(ctx, objects)
        facts: list[Fact] = []
        # Probes and scrape annotations are one statement each (examples and docs kept apart).
        probes: dict[bool, NameSet] = defaultdict(NameSet)
        scrapes: dict[bool, NameSet] = defaultdict(NameSet)
        for path, records in sorted(objects.items()):
            for placement in placements.get(path) or [Placement(_path_env(path))]:
                for record in records:
                    obj = self._apply(record.data, placement)
                    env = placement.env or _namespace_env(obj.get("namespace"))
                    site = Site(self, path, env, (" in ", Code(path)), placement=placement.evidence)
                    replicas_set_here = obj.get("replicas") != record.data.get("replicas")
                    facts.extend(object_facts(obj, site, replicas_set_here))
                    facts.extend(self._gitops_facts(obj, site))
                    probes[is_example_path(path)].add_probes(obj, site)
                    if obj.get("scrape"):
                        scrapes[is_example_path(path)].add(obj.get("name") or obj["kind"], site, int(obj["scrape"]))
        for example, names in sorted(probes.items()):
            facts += [f for f in [names.probe_fact((" (Kubernetes manifests)",), ("k8s", example))] if f]
        for example, names in sorted(scrapes.items()):
            facts += [f for f in [names.scrape_fact((" (Kubernetes manifests)",), ("k8s", example))] if f]
        facts.extend(self._kustomize_facts(ctx))
        facts.extend(self._skaffold_facts(ctx))
        return once(facts)

    def _placements(self, ctx: ResolveContext, objects: dict[str, list[Record]]) -> dict[str, list[Placement]]:
        """For each manifest file, the environments that deploy it (kustomize and GitOps paths first)."""
        kustomizations = {folder_of(r.path): r for r in ctx.records("k8s.kustomization")}
        found: dict[str, dict[str | None, Placement]] = defaultdict(dict)
        listing = FileIndex(ctx.files)
        manifests = FileIndex(list(objects))

        def place(files: Iterable[str], placement: Placement) -> None:
            for path in files:
                if path in objects and placement.env not in found[path]:
                    found[path][placement.env] = placement

        def place_reached(reached: list[tuple[str, int]], placement: Placement, origin: str | None) -> None:
            """Each file cites the line of the overlay's `resources` entry that brings it in."""
            for path, line in reached:
                evidence = self.evidence(origin, line) if origin else placement.evidence
                place([path], replace(placement, evidence=evidence))

        for directory, record in sorted(kustomizations.items()):
            env = _dir_env(directory)
            if env is None:
                continue
            placement = Placement(env, self.evidence(record.path, record.line))
            reached = self._reach(directory, kustomizations, listing, placement, set())
            place_reached(reached, placement, record.path)
        for app_path, env, evidence, recurse in self._gitops_paths(objects, listing):
            if env is None:
                continue
            placement = Placement(env, evidence)
            if app_path in kustomizations:
                place_reached(self._reach(app_path, kustomizations, listing, placement, set()), placement, None)
            else:
                place(manifests.below(app_path) if recurse else manifests.in_folder(app_path), placement)
        for skaffold in ctx.records("k8s.skaffold"):
            base = folder_of(skaffold.path)
            for profile in skaffold.data["profiles"]:
                env = env_from_name(profile["name"] or "")
                if not env:
                    continue
                placement = Placement(env, self.evidence(skaffold.path, profile["line"]))
                for raw in profile["paths"]:
                    target = repo_path(base, raw)
                    if target in kustomizations:
                        reached = self._reach(target, kustomizations, listing, placement, set())
                        place_reached(reached, placement, None)
                    elif "*" not in target:  # a plain path: the glob would match only itself
                        place([target], placement)
                    else:
                        pattern = re.compile(_glob(target))  # once per glob a profile lists
                        place([p for p in objects if pattern.fullmatch(p)], placement)
        return {path: list(envs.values()) for path, envs in found.items()}

    def _reach(
        self, directory: str, kustomizations: dict[str, Record], files: FileIndex, placement: Placement, seen: set[str]
    ) -> list[tuple[str, int]]:
        """Manifest files a kustomization builds, each with the line of the entry here that reaches it.

        The kustomization's images/replicas/namespace are applied to `placement` on the way.
        """
        if directory in seen or directory not in kustomizations:
            return []
        seen.add(directory)
        record = kustomizations[directory]
        data = record.data
        for image in data["images"]:
            ref = image["new_name"] or image["name"]
            if image["tag"]:
                ref = f"{ref}:{image['tag']}"
            if image["digest"]:
                ref = f"{ref}@{image['digest']}"
            parsed = parse_image(image["name"])
            placement.images.setdefault(parsed.name if parsed else image["name"], (ref, record.path, image["line"]))
        for name, count, line in data["replicas"]:
            if name and isinstance(count, int):
                placement.replicas.setdefault(name, (count, record.path, line))
        for patch in data["inline"]:
            placement.replicas.setdefault(patch["name"], (patch["replicas"], record.path, patch["line"]))
        if data["namespace"] and placement.namespace is None:
            placement.namespace = data["namespace"]
        reached: list[tuple[str, int]] = []
        for entry, line, _key in data["entries"]:
            if "://" in entry or entry.startswith(("github.com/", "git@")):
                continue
            target = repo_path(directory, entry)
            if target in kustomizations:
                reached += [(f, line) for f, _ in self._reach(target, kustomizations, files, placement, seen)]
            elif target in files.paths:
                reached.append((target, line))
            elif target:  # a folder: the files directly in it
                reached += [(f, line) for f in files.in_folder(target)]
        return reached

    def _gitops_paths(
        self, objects: dict[str, list[Record]], files: FileIndex
    ) -> Iterator[tuple[str, str | None, tuple[Evidence, ...], bool]]:
        """(path, environment, evidence, recursive) for each Argo CD / Flux source inside this repository."""
        for path, records in objects.items():
            for record in records:
                obj = record.data
                app = obj.get("app")
                flux = obj.get("flux")
                sources = app["sources"] if app else ([{"path": flux["path"], "recurse": True}] if flux else [])
                for source in sources:
                    raw = source.get("path")
                    if not raw or "{{" in raw:
                        continue
                    target = repo_path("", raw)
                    if not files.has_folder(target) and target not in ("", "."):
                        continue
                    env = _app_env(obj, target)
                    yield target, env, self.evidence(path, int(obj["line"])), bool(source.get("recurse"))

    @staticmethod
    def _apply(obj: dict[str, Any], placement: Placement) -> dict[str, Any]:
        """The object as an overlay deploys it: images retagged, replicas and namespace set."""
        if not (placement.images or placement.replicas or placement.namespace):
            return obj
        out = dict(obj)
        if placement.namespace and not obj.get("namespace"):
            out["namespace"] = placement.namespace
        containers = []
        for container in obj.get("containers", []):
            image = parse_image(container.get("image") or "")
            if image and image.name in placement.images:
                container = {
                    **container,
                    "image": placement.images[image.name][0],
                    "retag": placement.images[image.name],
                }
            containers.append(container)
        if containers:
            out["containers"] = containers
        name = obj.get("name")
        if name in placement.replicas and obj["kind"] in WORKLOAD_KINDS:
            count, _path, line = placement.replicas[name]
            out["replicas"] = [count, line]
            out["replicas_from"] = [placement.replicas[name][1], line]
        return out

    def _gitops_facts(self, obj: dict[str, Any], site: Site) -> list[Fact]:
        kind = obj["kind"]
        app, flux = obj.get("app"), obj.get("flux")
        if not app and not flux:
            return []
        facts: list[Fact] = []
        source_path = (app["sources"][0].get("path") if app and app["sources"] else flux["path"] if flux else "") or ""
        env = _app_env(obj, source_path) or site.env
        site = replace(site, env=env)
        if app:
            facts.extend(self._argo_facts(obj, app, site))
        elif flux and kind == "Kustomization":
            automated = (
                "Flux Kustomization ",
                Code(obj["name"]),
                " applies ",
                Code(flux["path"] or "./"),
                *((" from ", Code(flux["source"])) if flux["source"] else ()),
                *_every(flux),
                ", pruning removed objects" if flux["prune"] else "",
                *site.where,
            )
            facts.append(
                fact(
                    site,
                    "ci.deploy.automated",
                    automated,
                    Confidence.DECLARED,
                    int(obj["line"]),
                    item=f"flux:{obj['name']}",
                    tech="flux",
                    rank=20,
                    attrs={"trigger": "gitops", "environment": env},
                )
            )
        elif flux and kind == "HelmRelease":
            version = (" ", Code(flux["version"])) if flux["version"] else ()
            # Without a chart the object is a patch of a release written elsewhere (a kustomize
            # overlay's values, as flux2-kustomize-helm-example's apps/production/podinfo-values.yaml)
            does = (" installs chart ", Code(flux["chart"]), *version) if flux["chart"] else (
                " (a patch of a release defined elsewhere)",
                *((" sets chart version", *version) if version else ()))
            facts.append(
                fact(
                    site,
                    "ci.deploy.automated",
                    ("Flux HelmRelease ", Code(obj["name"]), *does, *_every(flux), *site.where),
                    Confidence.DECLARED,
                    int(obj["line"]),
                    item=f"flux:{obj['name']}",
                    tech="flux",
                    rank=20 if flux["chart"] else 30,  # the release itself before the patches of it
                    attrs={"trigger": "gitops", "environment": env},
                )
            )
            if flux.get("remediation") == "rollback":
                facts.append(
                    fact(
                        site,
                        "deploy.rollback.perform",
                        (
                            "Automatic: Flux rolls HelmRelease ",
                            Code(obj["name"]),
                            " back when an upgrade fails (",
                            Code("upgrade.remediation.strategy: rollback"),
                            ")",
                            *site.where,
                        ),
                        Confidence.DECLARED,
                        int(flux["remediation_line"]),
                        item=f"flux:{obj['name']}",
                        tech="flux",
                        rank=20,
                        attrs={"automatic": True},
                    )
                )
        return facts

    def _argo_facts(self, obj: dict[str, Any], app: dict[str, Any], site: Site) -> list[Fact]:
        facts: list[Fact] = []
        line = int(obj["line"])
        generated = obj.get("generated_envs") or []
        noun: tuple[Part, ...] = ("Argo CD ", *label(obj))
        for source in app["sources"]:
            what: list[Part] = [Code(source.get("path") or source.get("chart") or "?")]
            if source.get("repo"):
                what += [" from ", Code(source["repo"])]
            if source.get("revision"):
                what += [" at ", Code(source["revision"])]
            if app.get("namespace") and "{{" not in app["namespace"]:
                what += [" into namespace ", Code(app["namespace"])]
            facts.append(
                fact(
                    site,
                    "deploy.steps",
                    (*noun, " syncs ", *what, *site.where),
                    Confidence.DECLARED,
                    line,
                    item=f"argocd:{obj['name']}:{source.get('path') or source.get('chart')}",
                    tech="argocd",
                    rank=30,
                    attrs={"step": "Argo CD sync", "environment": site.env},
                )
            )
        for env_name, env_line in generated:
            facts.append(
                fact(
                    replace(site, env=env_name),
                    "env.special",
                    ("Deployed by Argo CD ", *label(obj), " (generator element ", Code(env_name), ")", *site.where),
                    Confidence.DECLARED,
                    int(env_line),
                    item=f"argocd:{obj['name']}",
                    rank=45,
                )
            )
        if app["automated"]:
            options = [o for o, on in (("prune", app["prune"]), ("self-heal", app["self_heal"])) if on]
            extra = f" ({', '.join(options)})" if options else ""
            facts.append(
                fact(
                    site,
                    "ci.deploy.automated",
                    (*noun, " syncs automatically on every commit to its source", extra, *site.where),
                    Confidence.DECLARED,
                    int(app["automated_line"] or line),
                    item=f"argocd:{obj['name']}",
                    tech="argocd",
                    rank=20,
                    attrs={"trigger": "gitops", "environment": site.env},
                )
            )
        else:
            facts.append(
                fact(
                    site,
                    "ci.deploy.manual",
                    (*noun, ": manual sync (no ", Code("syncPolicy.automated"), ")", *site.where),
                    Confidence.DECLARED,
                    line,
                    item=f"argocd:{obj['name']}",
                    tech="argocd",
                    rank=30,
                    attrs={"manual": True, "environment": site.env},
                )
            )
        name = obj["name"] if obj.get("name") and "{{" not in obj["name"] else "APP_NAME"
        caveat = " (turn automated sync off first, or it syncs forward again)" if app["automated"] else ""
        facts.append(
            fact(
                site,
                "deploy.rollback.perform",
                ("Argo CD keeps the sync history: ", Code(f"argocd app rollback {name}"), caveat, *site.where),
                Confidence.HINT,
                line,
                item=f"argocd:{obj['name']}",
                tech="argocd",
                rank=60,
            )
        )
        return facts

    def _kustomize_facts(self, ctx: ResolveContext) -> list[Fact]:
        """Overlay namespaces and configMapGenerator literals of environment overlays."""
        facts: list[Fact] = []
        for record in ctx.records("k8s.kustomization"):
            directory = folder_of(record.path)
            env = _dir_env(directory)
            if env is None:
                continue
            site = Site(self, record.path, env, (" in ", Code(record.path)))
            data = record.data
            if data["namespace"]:
                facts.append(
                    fact(
                        site,
                        "env.special",
                        ("Kustomize overlay deploys into namespace ", Code(data["namespace"]), *site.where),
                        Confidence.DECLARED,
                        int(data["namespace_line"]),
                        item="namespace",
                        rank=45,
                    )
                )
            variables = [Variable(k, v, int(line)) for k, v, line in data["literals"]]
            if variables:
                reader = VariableReader(
                    path=record.path,
                    detector=self.name,
                    env=env,
                    where=("in kustomize configMapGenerator (", Code(record.path), ")"),
                    confidence=Confidence.INFERRED,
                    catalog=self.catalog,
                )
                facts.extend(reader.facts(variables))
        return facts

    def _skaffold_facts(self, ctx: ResolveContext) -> list[Fact]:
        facts: list[Fact] = []
        for record in ctx.records("k8s.skaffold"):
            for profile in record.data["profiles"]:
                env = env_from_name(profile["name"] or "")
                if not profile["name"] or not env:
                    continue
                how: list[Part] = []
                for release in profile["helm"]:
                    how += [" Helm release ", Code(release["name"] or "?")]
                    if release["values"]:
                        how += [" with values ", Code(", ".join(release["values"]))]
                if profile["paths"]:
                    how += [" manifests ", Code(", ".join(profile["paths"]))]
                site = Site(self, record.path, profile["name"], (" in ", Code(record.path)))
                facts.append(
                    fact(
                        site,
                        "env.special",
                        (
                            "Skaffold profile ",
                            Code(profile["name"]),
                            " deploys",
                            *(how or [" the default configuration"]),
                            *site.where,
                        ),
                        Confidence.DECLARED,
                        int(profile["line"]),
                        item=f"skaffold:{profile['name']}",
                        tech="skaffold",
                        rank=45,
                    )
                )
        return facts


# -- helpers ----------------------------------------------------------------------------------


def in_chart(path: str, charts: set[str], folders: tuple[str, ...] = ("templates", "charts", "crds")) -> bool:
    """Files inside one of a chart's `folders` (templates/, vendored charts/, crds/) belong to the
    Helm detector.

    `charts` are the chart folders (`.` at the top); a path's folders are joined from its parts
    (repository paths are relative and normalised), not rebuilt with `PurePosixPath` each time.
    """
    parts = path.split("/")
    return any(parts[i] in folders and ("/".join(parts[:i]) if i else ".") in charts for i in range(len(parts) - 1))


class FileIndex:
    """Repository paths indexed once per scan by folder, so each lookup costs what it returns.

    Placements ask which files sit directly in a folder (a kustomization's directory entry, a
    non-recursive Argo CD path) and which lie anywhere below one (a recursive source). Lists keep
    the order of the paths given.
    """

    def __init__(self, paths: list[str]) -> None:
        self.order = paths
        self.paths = set(paths)
        self._folders: dict[str, list[str]] | None = None
        self._trees: dict[str, list[str]] | None = None
        self._all_folders: set[str] | None = None

    def has_folder(self, folder: str) -> bool:
        """Whether some path lies below `folder`."""
        if self._all_folders is None:
            self._all_folders = set()
            for path in self.order:
                slash = path.rfind("/")
                while slash != -1 and path[:slash] not in self._all_folders:
                    self._all_folders.add(path[:slash])
                    slash = path.rfind("/", 0, slash)
        return folder in self._all_folders

    def in_folder(self, folder: str) -> list[str]:
        """Paths directly in `folder` (`""`: at the top)."""
        if self._folders is None:
            self._folders = defaultdict(list)
            for path in self.order:
                self._folders[near_folder(path)].append(path)
        return self._folders.get(folder, [])

    def below(self, folder: str) -> list[str]:
        """Paths anywhere below `folder` (`""`: all of them)."""
        if not folder:
            return self.order
        if self._trees is None:
            self._trees = defaultdict(list)
            for path in self.order:
                slash = path.find("/")
                while slash != -1:
                    self._trees[path[:slash]].append(path)
                    slash = path.find("/", slash + 1)
        return self._trees.get(folder, [])


def _glob(path: str) -> str:
    return re.escape(path).replace(r"\*\*/", "(?:[^/]+/)*").replace(r"\*", "[^/]*")


def _dir_env(directory: str) -> str | None:
    """The environment a directory path names, nearest segment first (`deploy/overlays/prod`)."""
    for part in reversed(PurePosixPath(directory).parts):
        env = env_from_name(part)
        if env:
            return env
    return None


def _path_env(path: str) -> str | None:
    pure = PurePosixPath(path)
    return env_from_name(pure.stem) or _dir_env(pure.parent.as_posix())


def _namespace_env(namespace: Any) -> str | None:
    return env_from_name(namespace) if isinstance(namespace, str) and "{{" not in namespace else None


def _app_env(obj: dict[str, Any], path: str) -> str | None:
    """An Argo CD / Flux object's environment: its name, destination namespace, then source path."""
    app = obj.get("app") or {}
    for candidate in (obj.get("name"), app.get("namespace"), obj.get("namespace") if not app else None):
        if isinstance(candidate, str) and "{{" not in candidate:
            env = env_from_name(candidate)
            if env:
                return env
    return _dir_env(path) if path else None


def _every(flux: dict[str, Any]) -> tuple[Part, ...]:
    """How often Flux reconciles an object, when the object says (a patch may not)."""
    return (" every ", Code(flux["interval"])) if flux["interval"] else ()
