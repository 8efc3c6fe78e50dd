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
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import Any

from infrascan.catalog import DATA_STORE_CATEGORIES
from infrascan.detector import Detector, Extraction, Record, ResolveContext, SourceFile
from infrascan.model import Code, Confidence, Fact, text
from infrascan.source import is_example_path
from infrascan.xmltext import uncommented

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
    ("gem", "faraday-retry"),
    ("gem", "circuitbox"),
    ("gem", "stoplight"),  # mastodon wraps object-storage writes in one
    ("gem", "semian"),
    ("go", "github.com/sony/gobreaker"),
    ("go", "github.com/cenkalti/backoff/v4"),
    ("go", "github.com/avast/retry-go/v4"),
    ("cargo", "backoff"),
}
# Extras and dependency groups named for development work (`dev`, `test-integration`, `lint`).
_DEV_GROUPS = re.compile(
    r"(?i)^(?:dev|develop|development|test|tests|testing|lint|linting|docs?|typing|types|ci|benchmarks?|bench)"
    r"(?:[-_.][a-z0-9]+)*$")
# Tokens of a requirements file name that make it a development file (`requirements-dev.txt`).
_DEV_FILE_TOKENS = frozenset({"dev", "develop", "development", "test", "tests", "testing", "lint", "docs", "ci", "tox"})
_TOML_LINE = re.compile(r"\(at line (\d+)")


@dataclass(frozen=True)
class Package:
    ecosystem: str
    name: str
    line: int
    dev: bool
    note: str = ""  # why a package is not a runtime dependency: "development", "indirect"
    extras: tuple[str, ...] = ()  # `celery[redis]`: the extras name technologies too


def _line_of(text: str, needle: str, default: int = 1) -> int:
    """The line `needle` starts on; a needle that starts with its line's newline (`\nboto3`, a key at
    the start of a line) is on the line after that newline."""
    index = text.find(needle)
    if index < 0:
        return default
    return text.count("\n", 0, index) + 1 + (1 if needle.startswith("\n") else 0)


# From this many extras on, a package's extras are the backends it can use, not one it is set up for.
_BACKEND_CHOICES = 4


def _pep508(spec: str) -> tuple[str, tuple[str, ...]]:
    """The distribution name and extras of a PEP 508 requirement (`celery[redis]>=5; python_version<"4"`)."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?", spec)
    if not match:
        return "", ()
    extras = tuple(e.strip() for e in (match.group(2) or "").split(",") if e.strip())
    return match.group(1), extras


def _pypi(spec: str, line: int, dev: bool) -> Package | None:
    name, extras = _pep508(spec)
    return Package("pypi", name, line, dev, "development" if dev else "", extras) if name else None


def requirements_dev(file_name: str) -> bool:
    """`requirements-dev.txt`, `requirements/test.txt` are development files; `requirements-docker.txt` is not."""
    return bool(_DEV_FILE_TOKENS & set(re.split(r"[-_./]+", file_name.lower())))


def parse_requirements(text: str, dev: bool) -> list[Package]:
    """pip requirement lines; options (`-r`, `-e`, `--hash`), URLs and paths are not packages. In a
    file pip-compile or uv wrote, a package whose `# via` names no `-r` input is a dependency of
    a dependency (microservices-demo pins google-cloud-storage "via langchain-google-alloydb-pg",
    and the application never calls it): kept, as go.mod's `// indirect` modules are."""
    lines = text.splitlines()
    out = []
    for index, raw in enumerate(lines):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-", "git+", "http:", "https:", ".", "/", "\\")):
            continue
        package = _pypi(line, index + 1, dev)
        if package:
            via = _via(lines, index + 1)
            if via and not any(_DIRECT_VIA.search(v) for v in via):
                package = replace(package, dev=True, note="indirect")
            out.append(package)
    return out


# An input file of the compile, not another package: `-r requirements.in`, `-c constraints.txt`,
# or the project itself (`myapp (pyproject.toml)`, `(setup.py)`, `(setup.cfg)`).
_DIRECT_VIA = re.compile(r"^-[rc][ =]|\((?:pyproject\.toml|setup\.py|setup\.cfg)\)$")


def _via(lines: list[str], start: int) -> list[str]:
    """The `# via` entries pip-compile writes under a requirement (on one line, or one per line),
    past the `--hash` lines of `--generate-hashes`."""
    via: list[str] = []
    within = False
    for raw in lines[start:]:
        comment = raw.strip()
        if comment.startswith("--hash") and not within:
            continue
        if comment.startswith("# via"):
            within = True
            via += [comment[len("# via"):].strip()] if comment[len("# via"):].strip() else []
        elif within and comment.startswith("#   "):
            via.append(comment[1:].strip())
        else:
            break
    return via


def parse_pyproject(text: str) -> list[Package]:
    """PEP 621 dependencies and extras, PEP 735 dependency groups, Poetry dependencies and groups."""
    data = tomllib.loads(text)
    out: list[Package] = []

    # A package's note says why it is no runtime dependency ("development", "all_ds group"); one with a
    # note is a hint, one without ships with the application.
    def add(specs: Any, note: str = "") -> None:
        for spec in specs if isinstance(specs, list) else []:
            package = _pypi(spec, _line_of(text, spec), bool(note)) if isinstance(spec, str) else None
            if package:
                out.append(replace(package, note=note))

    poetry = _table(_table(data.get("tool")).get("poetry"))
    # Poetry's extras: an `optional = true` dependency is installed only with an extra that lists it
    extra_of = {str(dep).lower(): str(extra) for extra, deps in _table(poetry.get("extras")).items()
                for dep in (deps if isinstance(deps, list) else [])}

    def add_poetry(table: Any, note: str = "") -> None:
        for name, spec in (table.items() if isinstance(table, dict) else []):
            if str(name).lower() == "python":
                continue
            optional = isinstance(spec, dict) and spec.get("optional") is True
            said = note or (_extra_note(extra_of.get(str(name).lower(), "optional")) if optional else "")
            out.append(Package("pypi", str(name), _line_of(text, f"\n{name}"), bool(said), said))

    project = data.get("project", {})
    project = project if isinstance(project, dict) else {}
    add(project.get("dependencies"))
    for extra, specs in _table(project.get("optional-dependencies")).items():
        add(specs, _extra_note(extra))
    for group, specs in _table(data.get("dependency-groups")).items():
        add(specs, _group_note(group))
    add_poetry(poetry.get("dependencies"))
    for group, table in _table(poetry.get("group")).items():
        add_poetry(_table(table).get("dependencies"), "" if group == "main" else _group_note(group))
    add_poetry(poetry.get("dev-dependencies"), "development")
    return out


def _extra_note(extra: str) -> str:
    """Why an optional extra's packages are no runtime dependency: installed only when the extra is
    asked for (`pip install netbox[sentry]`), so netbox's `sentry` extra is a lead to Sentry, not a
    monitoring tool it runs."""
    return "development" if _DEV_GROUPS.match(extra) else f"{extra} extra"


def _group_note(group: str) -> str:
    """Why a dependency group's packages are no runtime dependency of the project: installed only when
    the group is asked for, for development work when it is named for it; any other group is named
    (redash's `all_ds` holds the data-source drivers its image installs)."""
    return "development" if _DEV_GROUPS.match(group) else f"{group} group"


def _table(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse_package_json(text: str, ecosystem: str = "npm") -> list[Package]:
    """dependencies ship with the application; devDependencies are tests and tooling (composer alike)."""
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
                line = _line_of(text, json.dumps(name) + ":")
                out.append(Package(ecosystem, name, line, dev, "development" if dev else ""))
    return out


_RUBY_BLOCK = re.compile(r"^(?:if|unless|case|begin|while|until)\b|\bdo(?:\s*\|[^|]*\|)?\s*$")


def parse_gemfile(text: str) -> list[Package]:
    """Gems, in or out of `group :development, :test do ... end` blocks (nested blocks counted)."""
    out = []
    blocks: list[bool] = []  # one entry per open block: whether it is a development/test group
    for index, raw in enumerate(text.splitlines()):
        line = raw.split("#", 1)[0].strip()
        if re.match(r"^end\b", line):
            if blocks:
                blocks.pop()
            continue
        match = re.match(r"""^gem\s+['"]([^'"]+)['"](.*)$""", line)
        if match:
            inline = re.search(r"group:?\s*(?:=>\s*)?\[?\s*:?(?:development|test)", match.group(2))
            dev = any(blocks) or bool(inline)
            out.append(Package("gem", match.group(1), index + 1, dev, "development" if dev else ""))
        elif _RUBY_BLOCK.search(line):
            blocks.append(bool(re.match(r"^group\b", line)) and bool(re.search(r":(?:development|test)\b", line)))
    return out


def parse_go_mod(text: str) -> list[Package]:
    """`require` lines and blocks; `// indirect` modules are dependencies of dependencies."""
    out = []
    in_block = False
    for index, raw in enumerate(text.splitlines()):
        code, _, comment = raw.partition("//")
        line = code.strip()
        if re.match(r"^require\s*\($", line):
            in_block = True
            continue
        if in_block and line == ")":
            in_block = False
            continue
        match = re.match(r"^(?:require\s+)?(\S+)\s+v\S+", line) if (in_block or line.startswith("require ")) else None
        if match:
            indirect = comment.strip() == "indirect"
            out.append(Package("go", match.group(1), index + 1, indirect, "indirect" if indirect else ""))
    return out


def parse_pom(text: str) -> list[Package]:
    """`<dependency>` elements outside comments; `<scope>test</scope>` is a test dependency."""
    text = uncommented(text)
    out = []
    for match in re.finditer(r"<dependency>(.*?)</dependency>", text, re.S):
        body = match.group(1)
        group = re.search(r"<groupId>\s*([^<\s]+)\s*</groupId>", body)
        artifact = re.search(r"<artifactId>\s*([^<\s]+)\s*</artifactId>", body)
        if group and artifact:
            dev = bool(re.search(r"<scope>\s*test\s*</scope>", body))
            line = text.count("\n", 0, match.start()) + 1
            out.append(Package("maven", f"{group.group(1)}:{artifact.group(1)}", line, dev, "test" if dev else ""))
    return out


def parse_gradle(text: str) -> list[Package]:
    """`implementation("group:artifact:version")` and friends; `test*` configurations are tests."""
    out = []
    pattern = re.compile(r"""^\s*(\w+)\s*\(?\s*['"]([\w.\-]+):([\w.\-]+)(?::[^'"]*)?['"]""", re.M)
    for match in pattern.finditer(text):
        config = match.group(1)
        dev = config.lower().startswith(("test", "androidtest", "integrationtest"))
        line = text.count("\n", 0, match.start()) + 1
        out.append(Package("maven", f"{match.group(2)}:{match.group(3)}", line, dev, "test" if dev else ""))
    return out


def parse_cargo(text: str) -> list[Package]:
    data = tomllib.loads(text)
    out = []
    tables = [
        ("dependencies", False, data),
        ("dev-dependencies", True, data),
        ("build-dependencies", True, data),
        ("dependencies", False, _table(data.get("workspace"))),
    ]
    for section, dev, root in tables:
        for name in _table(root.get(section)):
            out.append(Package("cargo", name, _line_of(text, f"\n{name}"), dev, "development" if dev else ""))
    return out


def parse_csproj(text: str) -> list[Package]:
    out = []
    for match in re.finditer(r"""<PackageReference\b[^>]*?\bInclude=["']([^"']+)["']""", text):
        out.append(Package("nuget", match.group(1), text.count("\n", 0, match.start()) + 1, False))
    return out


def parse_mix(text: str) -> list[Package]:
    """`{:sentry, "~> 8.1"}` tuples in mix.exs; `only: [:dev, :test]` ones are development."""
    out = []
    for match in re.finditer(r"\{:(\w+),", text):
        line_text = text[text.rfind("\n", 0, match.start()) + 1 : text.find("\n", match.start())]
        dev = bool(re.search(r"only:\s*\[?\s*:(?:dev|test)\b", line_text)) and "prod" not in line_text
        out.append(
            Package("hex", match.group(1), text.count("\n", 0, match.start()) + 1, dev, "development" if dev else "")
        )
    return out


def _error_line(exc: BaseException) -> int | None:
    """The line a parser reports: JSON's `lineno`, TOML's "(at line N, column M)"."""
    line = getattr(exc, "lineno", None)
    if isinstance(line, int):
        return line
    match = _TOML_LINE.search(str(exc))
    return int(match.group(1)) if match else None


class ManifestsDetector(Detector):
    name = "manifests"
    version = "9"
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
        except (ValueError, RecursionError) as exc:  # JSONDecodeError and TOMLDecodeError are ValueErrors
            out.diagnostics.append(self.diagnostic(file.path, _error_line(exc), f"cannot parse {name}: {exc}"))
            return out
        seen: set[str] = set()
        for package in self._with_extras(packages):
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

    def _with_extras(self, packages: list[Package]) -> list[Package]:
        """`celery[redis]` installs the Redis client too: an extra that names a package is one. Not
        when the extras are a list of interchangeable backends (netbox-docker's
        `django-storages[azure,boto3,dropbox,google,libcloud,sftp]`): installing them all chooses none."""
        out = []
        for package in packages:
            out.append(package)
            if len(package.extras) >= _BACKEND_CHOICES:
                continue
            for extra in package.extras:
                out.append(Package(package.ecosystem, extra, package.line, package.dev, package.note))
        return out

    @staticmethod
    def _parse(name: str, file: SourceFile) -> list[Package]:
        if name.endswith(".txt"):
            return parse_requirements(file.text, requirements_dev(file.path))
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
        dev_note = f" ({package.note} dependency)" if package.note else ""
        if tech.category == "monitoring":
            # A library linked into the application measures the application: Prometheus'
            # client is application metrics even though Prometheus itself is infrastructure.
            kinds = [k for k in tech.monitoring if k != "infrastructure"] or ["application"]
            # an APM tracer traces requests: performance monitoring (outline's dd-trace)
            tracer = "performance" in kinds and self.catalog.is_tracer(package.ecosystem, package.name)
            kind = "performance" if tracer else kinds[0]
            # a mobile app's SDK reports from users' devices: not from a deployed release (karakeep's
            # `@sentry/react-native` in apps/mobile), so no sign of a bad deployment (merge.py)
            mobile = self.catalog.is_mobile_sdk(package.ecosystem, package.name)
            attrs: dict[str, Any] = {"indirect": True} if package.note == "indirect" else {}
            return Fact(
                f"mon.{kind}",
                text(tech.name, " tracer " if tracer else " SDK ", Code(package.name),
                     " (a mobile app's)" if mobile else "", " in ", Code(file_name), dev_note),
                conf,
                ev,
                item=tech.id,
                tech=tech.id,
                rank=55,
                order=order,
                attrs={**attrs, "runs_in": "mobile app"} if mobile else attrs,
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
                text(
                    tech.name,
                    " driver ",
                    Code(package.name),
                    " in ",
                    Code(file_name),
                    dev_note,
                    " (environment not stated)",
                ),
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
