"""Dependency manifests: which SDKs and drivers the application ships with.

An SDK in the runtime dependencies is good evidence the application calls that service
(inferred); one in development or test dependencies is only a hint. Database drivers say which
engine the code talks to, but not in which environment, so they are hints. Packages are
recorded for other detectors too (migration tools, retry libraries).
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from infrascan.catalog import DATA_STORE_CATEGORIES
from infrascan.detector import Detector, Extraction, Record, ResolveContext, SourceFile
from infrascan.model import Code, Confidence, Fact, text
from infrascan.source import is_example_path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# Libraries that retry or break circuits for every outbound call: a fallback story for all services.
RESILIENCE = {
    ("pypi", "tenacity"),
    ("pypi", "backoff"),
    ("pypi", "pybreaker"),
    ("pypi", "stamina"),
    ("pypi", "circuitbreaker"),
    ("npm", "opossum"),
    ("npm", "axios-retry"),
    ("npm", "p-retry"),
    ("npm", "cockatiel"),
    ("npm", "async-retry"),
    ("maven", "io.github.resilience4j:resilience4j-circuitbreaker"),
    ("maven", "io.github.resilience4j:resilience4j-retry"),
    ("maven", "io.github.resilience4j:resilience4j-spring-boot3"),
    ("nuget", "Polly"),
    ("gem", "retriable"),
    ("gem", "circuitbox"),
    ("go", "github.com/sony/gobreaker"),
    ("go", "github.com/cenkalti/backoff/v4"),
    ("go", "github.com/avast/retry-go/v4"),
    ("cargo", "backoff"),
}
_DEV_GROUPS = re.compile(r"(?i)^(?:dev|develop|development|test|tests|testing|lint|docs?|typing|ci|benchmark|bench)$")


@dataclass(frozen=True)
class Package:
    ecosystem: str
    name: str
    line: int
    dev: bool


def _line_of(text: str, needle: str, default: int = 1) -> int:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else default


def _pep508_name(spec: str) -> str:
    return re.split(r"[\s\[<>=!~;@(]", spec.strip(), maxsplit=1)[0]


def parse_requirements(text: str, dev: bool) -> list[Package]:
    out = []
    for index, raw in enumerate(text.splitlines()):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-", "git+", "http:", "https:", ".", "/")):
            continue
        name = _pep508_name(line)
        if name:
            out.append(Package("pypi", name, index + 1, dev))
    return out


def parse_pyproject(text: str) -> list[Package]:
    data = tomllib.loads(text)
    out: list[Package] = []

    def add(specs: Any, dev: bool) -> None:
        for spec in specs if isinstance(specs, list) else []:
            if isinstance(spec, str) and (name := _pep508_name(spec)):
                out.append(Package("pypi", name, _line_of(text, spec), dev))

    project = data.get("project", {})
    add(project.get("dependencies"), False)
    for extra, specs in (project.get("optional-dependencies") or {}).items():
        add(specs, bool(_DEV_GROUPS.match(extra)))
    for specs in (data.get("dependency-groups") or {}).values():
        add(specs, True)
    poetry = data.get("tool", {}).get("poetry", {})
    for name in poetry.get("dependencies") or {}:
        if name.lower() != "python":
            out.append(Package("pypi", name, _line_of(text, f"\n{name}"), False))
    for group, table in (poetry.get("group") or {}).items():
        for name in (table.get("dependencies") or {}) if isinstance(table, dict) else {}:
            out.append(Package("pypi", name, _line_of(text, f"\n{name}"), group != "main"))
    for name in poetry.get("dev-dependencies") or {}:
        out.append(Package("pypi", name, _line_of(text, f"\n{name}"), True))
    return out


def parse_package_json(text: str, ecosystem: str = "npm") -> list[Package]:
    data = json.loads(text)
    out: list[Package] = []
    if not isinstance(data, dict):
        return out
    sections = {
        "dependencies": False,
        "optionalDependencies": False,
        "peerDependencies": False,
        "devDependencies": True,
        "require": False,
        "require-dev": True,
    }
    for section, dev in sections.items():
        deps = data.get(section)
        if isinstance(deps, dict):
            for name in deps:
                out.append(Package(ecosystem, name, _line_of(text, json.dumps(name) + ":"), dev))
    return out


def parse_gemfile(text: str) -> list[Package]:
    out = []
    dev_depth = 0
    for index, raw in enumerate(text.splitlines()):
        line = raw.strip()
        if re.match(r"^group\b.*\b(?:development|test)\b.*\bdo\b", line):
            dev_depth += 1
        elif line == "end" and dev_depth:
            dev_depth -= 1
        match = re.match(r"""^gem\s+['"]([^'"]+)['"](.*)$""", line)
        if match:
            dev = bool(dev_depth) or bool(re.search(r"group:?\s*(?:=>\s*)?\[?:?(?:development|test)", match.group(2)))
            out.append(Package("gem", match.group(1), index + 1, dev))
    return out


def parse_go_mod(text: str) -> list[Package]:
    out = []
    in_block = False
    for index, raw in enumerate(text.splitlines()):
        line = raw.split("//", 1)[0].strip()
        if line.startswith("require ("):
            in_block = True
            continue
        if in_block and line == ")":
            in_block = False
            continue
        match = re.match(r"^(?:require\s+)?(\S+)\s+v\S+", line) if (in_block or line.startswith("require ")) else None
        if match:
            out.append(Package("go", match.group(1), index + 1, False))
    return out


def parse_pom(text: str) -> list[Package]:
    out = []
    for match in re.finditer(r"<dependency>(.*?)</dependency>", text, re.S):
        body = match.group(1)
        group = re.search(r"<groupId>\s*([^<\s]+)\s*</groupId>", body)
        artifact = re.search(r"<artifactId>\s*([^<\s]+)\s*</artifactId>", body)
        if group and artifact:
            dev = bool(re.search(r"<scope>\s*test\s*</scope>", body))
            line = text.count("\n", 0, match.start()) + 1
            out.append(Package("maven", f"{group.group(1)}:{artifact.group(1)}", line, dev))
    return out


def parse_gradle(text: str) -> list[Package]:
    out = []
    pattern = re.compile(r"""^\s*(\w+)\s*\(?\s*['"]([\w.\-]+):([\w.\-]+)(?::[^'"]*)?['"]""", re.M)
    for match in pattern.finditer(text):
        config = match.group(1)
        dev = config.lower().startswith(("test", "androidtest", "integrationtest"))
        line = text.count("\n", 0, match.start()) + 1
        out.append(Package("maven", f"{match.group(2)}:{match.group(3)}", line, dev))
    return out


def parse_cargo(text: str) -> list[Package]:
    data = tomllib.loads(text)
    out = []
    for section, dev in (("dependencies", False), ("dev-dependencies", True), ("build-dependencies", True)):
        for name in data.get(section) or {}:
            out.append(Package("cargo", name, _line_of(text, f"\n{name}"), dev))
    return out


def parse_csproj(text: str) -> list[Package]:
    out = []
    for match in re.finditer(r"""<PackageReference\s+Include=["']([^"']+)["']""", text):
        out.append(Package("nuget", match.group(1), text.count("\n", 0, match.start()) + 1, False))
    return out


def parse_mix(text: str) -> list[Package]:
    out = []
    for match in re.finditer(r"\{:(\w+),", text):
        line_text = text[text.rfind("\n", 0, match.start()) + 1 : text.find("\n", match.start())]
        dev = bool(re.search(r"only:\s*\[?:?(?:dev|test)", line_text))
        out.append(Package("hex", match.group(1), text.count("\n", 0, match.start()) + 1, dev))
    return out


class ManifestsDetector(Detector):
    name = "manifests"
    version = "1"
    description = "dependency manifests: monitoring and service SDKs, database drivers, resilience libraries"
    patterns = (
        "requirements*.txt",
        "requirements/*.txt",
        "pyproject.toml",
        "package.json",
        "Gemfile",
        "go.mod",
        "pom.xml",
        "build.gradle",
        "build.gradle.kts",
        "composer.json",
        "Cargo.toml",
        "*.csproj",
        "mix.exs",
    )
    looks_for = {
        "mon.application": "monitoring SDKs in dependency manifests",
        "mon.performance": "tracing SDKs in dependency manifests",
        "log.aggregation": "log shipping libraries in dependency manifests",
        "ext.purpose": "service SDKs in dependency manifests",
        "ext.fallback": "retry and circuit-breaker libraries in dependency manifests",
    }

    def extract(self, file: SourceFile) -> Extraction:
        out = Extraction()
        name = PurePosixPath(file.path).name
        try:
            packages = self._parse(name, file)
        except (ValueError, tomllib.TOMLDecodeError) as exc:
            out.diagnostics.append(
                self.diagnostic(file.path, getattr(exc, "lineno", None), f"cannot parse {name}: {exc}")
            )
            return out
        seen: set[str] = set()
        for package in packages:
            if (package.ecosystem, package.name) in RESILIENCE:
                out.records.append(
                    Record(
                        "deps.resilience",
                        file.path,
                        package.line,
                        {"ecosystem": package.ecosystem, "name": package.name, "dev": package.dev},
                    )
                )
            tech = self.catalog.by_package(package.ecosystem, package.name)
            if tech is None:
                continue
            out.records.append(
                Record(
                    "deps.package",
                    file.path,
                    package.line,
                    {"ecosystem": package.ecosystem, "name": package.name, "dev": package.dev, "tech": tech.id},
                )
            )
            if tech.id in seen:
                continue
            seen.add(tech.id)
            fact = self._fact(file.path, package, tech.id)
            if fact:
                out.facts.append(fact)
        return out

    @staticmethod
    def _parse(name: str, file: SourceFile) -> list[Package]:
        if name.endswith(".txt"):
            return parse_requirements(file.text, bool(re.search(r"(?i)dev|test|lint|doc|ci", name)))
        parsers = {
            "pyproject.toml": parse_pyproject,
            "package.json": parse_package_json,
            "Gemfile": parse_gemfile,
            "go.mod": parse_go_mod,
            "pom.xml": parse_pom,
            "build.gradle": parse_gradle,
            "build.gradle.kts": parse_gradle,
            "Cargo.toml": parse_cargo,
            "mix.exs": parse_mix,
        }
        if name == "composer.json":
            return parse_package_json(file.text, "composer")
        if name.endswith(".csproj"):
            return parse_csproj(file.text)
        return parsers[name](file.text)

    def _fact(self, path: str, package: Package, tech_id: str) -> Fact | None:
        tech = self.catalog.get(tech_id)
        conf = Confidence.HINT if package.dev else Confidence.INFERRED
        file_name = PurePosixPath(path).name
        ev = self.evidence(path, package.line)
        order = (path, package.line)
        dev_note = " (development dependency)" if package.dev else ""
        if tech.category == "monitoring":
            kind = tech.monitoring[0] if tech.monitoring else "application"
            return Fact(
                f"mon.{kind}",
                text(tech.name, " SDK ", Code(package.name), " in ", Code(file_name), dev_note),
                conf,
                ev,
                item=tech.id,
                tech=tech.id,
                rank=55,
                order=order,
            )
        if tech.category == "logging":
            return Fact(
                "log.aggregation",
                text(tech.name, " library ", Code(package.name), " in ", Code(file_name), dev_note),
                conf,
                ev,
                item=tech.id,
                tech=tech.id,
                rank=55,
                order=order,
            )
        if tech.category == "alerting":
            return Fact(
                "alert.channels",
                text(tech.name, " client ", Code(package.name), " in ", Code(file_name), dev_note),
                Confidence.HINT,
                ev,
                item=tech.id,
                tech=tech.id,
                rank=60,
                order=order,
            )
        if tech.category == "external-service":
            return Fact(
                "ext.purpose",
                text(
                    tech.purpose or "External service",
                    " (SDK ",
                    Code(package.name),
                    " in ",
                    Code(file_name),
                    ")",
                    dev_note,
                ),
                conf,
                ev,
                service=tech.id,
                tech=tech.id,
                item="purpose",
                rank=55,
                order=order,
            )
        if tech.category in DATA_STORE_CATEGORIES:
            return Fact(
                "env.database",
                text(tech.name, " driver ", Code(package.name), " in ", Code(file_name), " (environment not stated)"),
                Confidence.HINT,
                ev,
                item=tech.id,
                tech=tech.id,
                rank=70,
                order=order,
            )
        return None

    def resolve(self, ctx: ResolveContext) -> list[Fact]:
        """A retry or circuit-breaker library is a fallback story for every external service found."""
        libraries = [r for r in ctx.records("deps.resilience") if not r.data.get("dev")]
        if not libraries:
            return []
        services = sorted(
            {
                f.service
                for f in ctx.phase1_facts()
                if f.service and f.confidence is not Confidence.HINT and not is_example_path(f.evidence[0].path)
            }
        )
        facts = []
        for service in services:
            for lib in libraries:
                facts.append(
                    Fact(
                        "ext.fallback",
                        text(
                            "Retry/circuit-breaker library ",
                            Code(lib.data["name"]),
                            " in ",
                            Code(PurePosixPath(lib.path).name),
                            " (application-wide; check it wraps these calls)",
                        ),
                        Confidence.HINT,
                        self.evidence(lib.path, lib.line),
                        service=service,
                        item=f"lib:{lib.data['name']}",
                        rank=60,
                        order=(lib.path, lib.line),
                    )
                )
        return facts
