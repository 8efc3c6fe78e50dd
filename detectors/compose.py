"""docker-compose files: the development topology, and sometimes more.

A compose file describes development unless its name says otherwise (`docker-compose.prod.yml`).
Per service: the image says which database, cache, queue, monitoring tool or mail stand-in runs;
`build` marks the application's own services; ports, healthchecks, env_file, profiles and replicas
are the environment's special configuration; `command` may run migrations on start, and a
one-shot service other services wait for (`service_completed_successfully`) is a migration step.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

from infrascan.catalog import DATA_STORE_CATEGORIES, Tech
from infrascan.commands import classify
from infrascan.detector import Detector, Extraction, Record, SourceFile
from infrascan.environments import env_from_name
from infrascan.envvars import Variable, VariableReader
from infrascan.images import ImageRef, parse_image
from infrascan.model import Code, Confidence, Fact, Part, text
from infrascan.yamlload import YDict, line_of, load_yaml

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-=?]([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def substitute(value: str) -> str:
    """Compose interpolation with defaults: `${TAG:-16}` -> `16`; unresolvable parts stay as written."""
    return _VAR.sub(lambda m: m.group(2) if m.group(2) is not None and m.group(2) != "" else m.group(0), value)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _command_text(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value) if value is not None else ""


class ComposeDetector(Detector):
    name = "compose"
    version = "1"
    description = "docker-compose files: services, images, ports, healthchecks, migrations on start"
    patterns = ("{docker-,}compose*.{yml,yaml}",)
    looks_for = {
        "env.url": "published ports of compose services",
        "env.database": "compose service images",
        "env.special": "compose ports, healthchecks, env_file, profiles, replicas",
        "mon.infrastructure": "monitoring images in compose",
        "mon.application": "monitoring variables in compose",
        "log.aggregation": "compose logging drivers and log shipper images",
        "log.levels": "LOG_LEVEL-style variables in compose",
        "deploy.migration.strategy": "compose commands and one-shot migration services",
        "ext.purpose": "dev stand-ins (mailhog, stripe-mock, localstack) and variables in compose",
    }

    def extract(self, file: SourceFile) -> Extraction:
        out = Extraction()
        loaded = load_yaml(file.text)
        if loaded.error:
            out.diagnostics.append(self.diagnostic(file.path, loaded.error.line, f"invalid YAML: {loaded.error}"))
        for key, line in loaded.warnings:
            out.diagnostics.append(self.diagnostic(file.path, line, f"duplicate key {key!r}; the last one wins"))
        docs = [d for d in loaded.documents if isinstance(d, dict)]
        if not docs:
            return out
        doc = docs[0]
        services = doc.get("services")
        if not isinstance(services, dict):
            return out
        stem = PurePosixPath(file.path).name
        env = env_from_name(re.sub(r"^(?:docker-)?compose", "", stem).rsplit(".", 1)[0]) or "development"
        where = PurePosixPath(file.path).name
        for name, svc in services.items():
            if isinstance(svc, YDict):
                self._service(file.path, str(name), svc, services, env, where, out)
        return out

    def _service(
        self, path: str, name: str, svc: YDict, services: dict[Any, Any], env: str, where: str, out: Extraction
    ) -> None:
        line = line_of(svc, "image", svc.line if isinstance(svc, YDict) else 0)
        svc_line = services.line_of(name) if isinstance(services, YDict) else line
        image_raw = svc.get("image")
        image = parse_image(substitute(str(image_raw))) if isinstance(image_raw, str) else None
        found = self.catalog.by_image(image) if image else None
        builds = "build" in svc
        here: list[Part] = [" in compose service ", Code(name)]
        if found:
            tech, ref = found
            self._image_facts(path, line, name, tech, ref, env, here, out)
        if builds:
            build = svc.get("build")
            context = (
                build if isinstance(build, str) else (build.get("context", ".") if isinstance(build, dict) else ".")
            )
            dockerfile = build.get("dockerfile", "Dockerfile") if isinstance(build, dict) else "Dockerfile"
            target = build.get("target") if isinstance(build, dict) else None
            out.records.append(
                Record(
                    "compose.build",
                    path,
                    line_of(svc, "build", svc_line),
                    {
                        "service": name,
                        "context": str(context),
                        "dockerfile": str(dockerfile),
                        "target": str(target) if target else None,
                        "env": env,
                    },
                )
            )
        app_service = builds or (found is not None and found[0].category in ("runtime",))
        self._ports(path, name, svc, svc_line, env, app_service, out)
        self._extras(path, name, svc, svc_line, env, out)
        self._commands(path, name, svc, svc_line, services, out)
        variables = self._variables(svc)
        if variables:
            reader = VariableReader(
                path=path,
                detector=self.name,
                env=env,
                where=("in compose service ", Code(name), " (", Code(where), ")"),
                confidence=Confidence.INFERRED,
            )
            out.facts.extend(reader.facts(variables))
        logging = svc.get("logging")
        if isinstance(logging, dict) and isinstance(logging.get("driver"), str):
            driver = logging["driver"]
            if driver not in ("json-file", "local", "none", "journald"):
                out.facts.append(
                    Fact(
                        "log.aggregation",
                        text("Docker ", Code(driver), " log driver", *here),
                        Confidence.DECLARED,
                        self.evidence(path, line_of(logging, "driver", svc_line)),
                        item=f"driver:{driver}",
                        rank=40,
                        order=(path, svc_line),
                    )
                )

    def _image_facts(
        self, path: str, line: int, name: str, tech: Tech, ref: ImageRef, env: str, here: list[Part], out: Extraction
    ) -> None:
        version = tech.version_of(ref)
        label = tech.label(version)
        detail = text(*here, " (image ", Code(ref.reference()), ")")
        ev = self.evidence(path, line)
        attrs = {"image": ref.reference(), "version": version} if version else {"image": ref.reference()}
        if tech.category in DATA_STORE_CATEGORIES:
            out.facts.append(
                Fact(
                    "env.database",
                    text(label, ":", *detail),
                    Confidence.DECLARED,
                    ev,
                    env=env,
                    item=tech.id,
                    tech=tech.id,
                    rank=30,
                    order=(path, line),
                    attrs=attrs,
                )
            )
        elif tech.category == "monitoring":
            kind = (
                "infrastructure" if "infrastructure" in tech.monitoring or not tech.monitoring else tech.monitoring[0]
            )
            out.facts.append(
                Fact(
                    f"mon.{kind}",
                    text(label, ":", *detail, f", {env} compose"),
                    Confidence.INFERRED,
                    ev,
                    item=tech.id,
                    tech=tech.id,
                    rank=50,
                    order=(path, line),
                )
            )
        elif tech.category == "logging":
            out.facts.append(
                Fact(
                    "log.aggregation",
                    text(label, ":", *detail, f", {env} compose"),
                    Confidence.INFERRED,
                    ev,
                    item=tech.id,
                    tech=tech.id,
                    rank=50,
                    order=(path, line),
                )
            )
        elif tech.category == "alerting":
            out.facts.append(
                Fact(
                    "mon.infrastructure",
                    text(label, ":", *detail, f", {env} compose"),
                    Confidence.INFERRED,
                    ev,
                    item=tech.id,
                    tech=tech.id,
                    rank=50,
                    order=(path, line),
                )
            )
        elif tech.category == "external-service":
            purpose = tech.purpose or "External service"
            out.facts.append(
                Fact(
                    "ext.purpose",
                    text(purpose, ": local stand-in", *detail),
                    Confidence.INFERRED,
                    ev,
                    service=tech.id,
                    tech=tech.id,
                    item="purpose",
                    rank=55,
                    order=(path, line),
                )
            )
        elif tech.category == "web-server":
            out.facts.append(
                Fact(
                    "env.special",
                    text("Web server / reverse proxy ", label, *detail),
                    Confidence.DECLARED,
                    ev,
                    env=env,
                    item=f"proxy:{name}",
                    tech=tech.id,
                    rank=40,
                    order=(path, line),
                )
            )

    def _ports(
        self, path: str, name: str, svc: YDict, svc_line: int, env: str, app_service: bool, out: Extraction
    ) -> None:
        ports = svc.get("ports")
        if not isinstance(ports, list) or not ports:
            return
        published: list[str] = []
        for entry in ports:
            if isinstance(entry, dict):
                host_port = entry.get("published")
                target = entry.get("target")
                spec = f"{host_port}:{target}" if host_port else str(target)
            else:
                spec = substitute(str(entry))
            published.append(spec)
        line = line_of(svc, "ports", svc_line)
        if app_service:
            out.facts.append(
                Fact(
                    "env.special",
                    text("Compose service ", Code(name), " publishes ports ", Code(", ".join(published))),
                    Confidence.DECLARED,
                    self.evidence(path, line),
                    env=env,
                    item=f"ports:{name}",
                    rank=40,
                    order=(path, line),
                )
            )
            host = self._first_host_port(published)
            if host and env == "development":
                url = f"http://localhost:{host}"
                out.facts.append(
                    Fact(
                        "env.url",
                        text(Code(url), " (local) from compose service ", Code(name), " ports"),
                        Confidence.INFERRED,
                        self.evidence(path, line),
                        env=env,
                        rank=70,
                        order=(path, line),
                        attrs={"url": url},
                    )
                )

    @staticmethod
    def _first_host_port(published: list[str]) -> str | None:
        for spec in published:
            spec = spec.split("/", 1)[0]
            parts = spec.split(":")
            host = parts[-2] if len(parts) >= 2 else None
            if host and host.isdigit():
                return host
        return None

    def _extras(self, path: str, name: str, svc: YDict, svc_line: int, env: str, out: Extraction) -> None:
        health = svc.get("healthcheck")
        if isinstance(health, dict) and "test" in health:
            test = health["test"]
            if isinstance(test, list):
                test = (
                    " ".join(str(t) for t in test[1:] if t)
                    if test and test[0] in ("CMD", "CMD-SHELL")
                    else " ".join(str(t) for t in test)
                )
            if str(test).strip().upper() != "NONE":
                line = line_of(health, "test", svc_line)
                out.facts.append(
                    Fact(
                        "env.special",
                        text("Healthcheck on ", Code(name), ": ", Code(str(test))),
                        Confidence.DECLARED,
                        self.evidence(path, line),
                        env=env,
                        item=f"health:{name}",
                        rank=40,
                        order=(path, line),
                    )
                )
        for env_file in _as_list(svc.get("env_file")):
            file_name = env_file.get("path") if isinstance(env_file, dict) else env_file
            if isinstance(file_name, str):
                line = line_of(svc, "env_file", svc_line)
                out.facts.append(
                    Fact(
                        "env.special",
                        text("Compose service ", Code(name), " reads variables from ", Code(file_name)),
                        Confidence.DECLARED,
                        self.evidence(path, line),
                        env=env,
                        item=f"env_file:{name}:{file_name}",
                        rank=45,
                        order=(path, line),
                    )
                )
        profiles = [str(p) for p in _as_list(svc.get("profiles"))]
        if profiles:
            line = line_of(svc, "profiles", svc_line)
            out.facts.append(
                Fact(
                    "env.special",
                    text("Compose service ", Code(name), " runs only with profile ", Code(", ".join(profiles))),
                    Confidence.DECLARED,
                    self.evidence(path, line),
                    env=env,
                    item=f"profile:{name}",
                    rank=45,
                    order=(path, line),
                )
            )
        deploy = svc.get("deploy")
        if isinstance(deploy, dict) and isinstance(deploy.get("replicas"), int):
            line = line_of(deploy, "replicas", svc_line)
            out.facts.append(
                Fact(
                    "env.special",
                    text("Compose service ", Code(name), " runs ", str(deploy["replicas"]), " replicas"),
                    Confidence.DECLARED,
                    self.evidence(path, line),
                    env=env,
                    item=f"replicas:{name}",
                    rank=40,
                    order=(path, line),
                )
            )

    def _commands(
        self, path: str, name: str, svc: YDict, svc_line: int, services: dict[Any, Any], out: Extraction
    ) -> None:
        for key in ("entrypoint", "command"):
            raw = svc.get(key)
            if raw is None:
                continue
            command = _command_text(raw)
            migrations = [c for c in classify(command) if c.kind == "migrate"]
            if not migrations:
                continue
            line = line_of(svc, key, svc_line)
            waiting = sorted(
                str(other) for other, spec in services.items() if isinstance(spec, dict) and self._waits_for(spec, name)
            )
            if waiting:
                parts: tuple[Part, ...] = text(
                    "One-shot compose service ",
                    Code(name),
                    " runs ",
                    Code(migrations[0].command),
                    " before ",
                    *[p for i, w in enumerate(waiting) for p in ((", " if i else ""), Code(w))],
                    " start (",
                    Code("service_completed_successfully"),
                    ")",
                )
            else:
                parts = text(
                    "On container start: compose service ",
                    Code(name),
                    " runs ",
                    Code(migrations[0].command),
                    " before the app; with several replicas each one migrates, so run it once in production",
                )
            out.facts.append(
                Fact(
                    "deploy.migration.strategy",
                    parts,
                    Confidence.DECLARED,
                    self.evidence(path, line),
                    item=f"compose:{name}",
                    tech=migrations[0].tool,
                    rank=40,
                    order=(path, line),
                    attrs={"where": "container start", "tool": migrations[0].tool},
                )
            )

    @staticmethod
    def _waits_for(spec: dict[Any, Any], name: str) -> bool:
        depends = spec.get("depends_on")
        if isinstance(depends, dict):
            cond = depends.get(name)
            return isinstance(cond, dict) and cond.get("condition") == "service_completed_successfully"
        return False

    @staticmethod
    def _variables(svc: YDict) -> list[Variable]:
        environment = svc.get("environment")
        variables: list[Variable] = []
        if isinstance(environment, dict):
            for key, value in environment.items():
                variables.append(
                    Variable(str(key), None if value is None else str(value), line_of(environment, key, 0))
                )
        elif isinstance(environment, list):
            for index, item in enumerate(environment):
                if isinstance(item, str):
                    key, sep, value = item.partition("=")
                    variables.append(Variable(key.strip(), value if sep else None, line_of(environment, index)))
        return variables
