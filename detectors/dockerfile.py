"""Dockerfiles: how the application's container image is built and how it starts.

dockerfile-parse reads the instructions (always from a file object: given a path it opens, and
given nothing it writes, `./Dockerfile`). It does not know heredocs, whose bodies it would turn
into bogus instructions (a `FROM` inside one would become a stage), so their bodies are blanked
first, line numbers kept; a UTF-8 BOM is stripped, or the first instruction is lost. Base images
are resolved through ARG defaults, recursively, and stage aliases are dropped, so
`FROM base AS final` is not mistaken for an image called "base".

Facts: a build step per Dockerfile (runtime and its version, build stages, exposed ports, user),
the HEALTHCHECK as the way a release is verified, `ENV` settings (log levels, `NODE_ENV`), and,
in phase 2, migrations run on container start: directly, or through the entrypoint script,
package.json scripts and the scripts those call (`scripts.StartResolver`).
"""

from __future__ import annotations

import fnmatch
import io
import json
import posixpath
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import PurePosixPath
from typing import Any

from infrascan.catalog import load_catalog
from infrascan.commands import HEREDOC, SYSTEM_MANAGER_WORDS, argv, split_commands, system_packages
from infrascan.detector import Detector, Extraction, Record, ResolveContext, SourceFile
from infrascan.environments import DEVELOPMENT, normalise
from infrascan.envvars import Variable, VariableReader, public_suffix
from infrascan.images import parse_image
from infrascan.model import Code, Confidence, Evidence, Fact, Part, Severity, code_list, phrase_list, text
from infrascan.source import development_dockerfile, near_folder, under_development_dir
from infrascan.yamlload import load_table

from .scripts import S6_INIT, Copy, Reached, StartResolver, argv_script, guard_meets

# A shell-style reference, as Docker's ARGs and Compose's interpolation read it: `${NAME}`,
# `${NAME:-default}` (group 2) or `$NAME`. A default holds no reference of its own:
# `${A:-${PORT:-8000}}` resolves its inner reference first. `${NAME:?message}` and `${NAME:+alt}`
# are not matched: they give no value here.
VARIABLE_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-((?:[^${}]|\$(?!\{))*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")
# A Dockerfile that a tool renders before anything builds it (vaultwarden's `Dockerfile.j2` writes
# its `Dockerfile.debian` and `Dockerfile.alpine`, which are read in their own right): its images
# are those of the files rendered from it, and its `FROM {{ ... }}` names no image. Not a
# `Dockerfile.template`: balena builds it, rendering only `%%BALENA_MACHINE_NAME%%`, and it is often
# the project's only Dockerfile.
_TEMPLATE_NAME = re.compile(r"(?i)\.(?:j2|jinja2?|tmpl|tpl|erb|mustache|hbs)$")
_TEMPLATED_FROM = re.compile(r"(?im)^[ \t]*FROM[ \t][^\n]*(?:\{\{|\{%|<%)")
# Dev environments (dev containers, DDEV, Cursor's cloud agents, Gitpod) and container actions:
# tooling images, not the application's.
_TOOLING = re.compile(r"(?:^|/)(?:\.devcontainer|\.ddev|\.cursor|\.github)/|(?:^|/)\.gitpod\.[Dd]ockerfile$")
# Build arguments are stored in the image history; these name tokens mark a credential.
_COPY_FROM = re.compile(r"--from=(\S+)")
# `RUN --mount=type=bind,from=deps,source=/app/node_modules,target=/app/node_modules`: the stage it mounts
_MOUNT_FROM = re.compile(r"--mount=\S*?\bfrom=([^,\s]+)")
# An ARG default that asks for a value rather than giving one (gotify's `GO_VERSION=PLEASE_PROVIDE_GO_VERSION`)
_PLACEHOLDER = re.compile(r"(?i)please[_-]|(?:change|replace|set)[_-]?me\b|must[_-]be[_-]set|^(?:required|todo|fixme)$")
_SECRET_ARG = re.compile(
    r"(?:^|_)(?:SECRET|TOKEN|PASSWORD|PASSWD|PWD|APIKEY|API_KEY|PRIVATE_KEY|ACCESS_KEY|CREDENTIALS?|AUTH_KEY)(?:_|$)"
)
# What a credential-named argument holds when its name ends so: a version, a path or a name, not the
# secret (cloudposse's ARG ECR_CREDENTIAL_HELPER_VERSION=0.5.0, a download's version). Not a URL,
# which can carry the token (`https://x-access-token:ghp_...@github.com`).
_NOT_SECRET_ARG = re.compile(r"_(?:VERSION|VER|HOST|PORT|PATH|FILE|DIR|NAME|TYPE|ENABLED)$")
_ROOT_USERS = frozenset({"root", "0"})
_ROOT = "root"


@lru_cache(maxsize=1)
def _base_images() -> dict[str, Any]:
    return dict(load_table(resources.files("infrascan").joinpath("data/base_images.yaml").read_bytes()))


@lru_cache(maxsize=1)
def _user_switch() -> re.Pattern[str]:
    """Tools that start a program as another user (data/base_images.yaml `switches`), as words."""
    return re.compile(r"\b(" + "|".join(re.escape(t) for t in _base_images()["switches"]) + r")\b")


@lru_cache(maxsize=1024)
def _base_user(ref: str) -> str | None:
    """The user a base image runs as when the Dockerfile sets none: `_ROOT`, a named user, or None
    when infrascan does not know it (data/base_images.yaml)."""
    image = parse_image(ref) if "$" not in ref else None
    if image is None:
        return None
    table = _base_images()
    for entry in table["nonroot"]:
        if fnmatch.fnmatchcase(image.name, entry["image"]) and (
                "tags" not in entry or any(fnmatch.fnmatchcase(image.tag, t) for t in entry["tags"])):
            return str(entry["user"])
    if any(fnmatch.fnmatchcase(image.name, pattern) for pattern in table["unknown"]):
        return None
    official = not image.registry and "/" not in image.repository
    if any(official if root == "official" else fnmatch.fnmatchcase(image.name, root) for root in table["root"]):
        return _ROOT
    return None


def blank_heredocs(text: str) -> str:
    """Replaces heredoc bodies (and terminators) by empty lines, keeping every line number."""
    lines = text.split("\n")
    out: list[str] = []
    terminators: list[tuple[str, bool]] = []
    for line in lines:
        if terminators:
            word, strip_tabs = terminators[0]
            candidate = line.lstrip("\t") if strip_tabs else line
            if candidate.strip() == word:
                terminators.pop(0)
            out.append("")
            continue
        out.append(line)
        if not line.lstrip().startswith("#"):
            terminators = [(m["word"], m["dash"] == "-") for m in HEREDOC.finditer(line)]
    return "\n".join(out)


def resolve_args(value: str, args: dict[str, str], depth: int = 0, empty_defaults: bool = True) -> str:
    """Substitutes ARG values (`${GO_VERSION}`, `${V:-1.22}`), following ARGs defined by ARGs.
    Compose's interpolation is the same with no values known (compose.substitute), but for an
    empty default, which it keeps as written (`empty_defaults` False): an empty port is no port."""

    def sub(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        known = args.get(name)
        if known and not _PLACEHOLDER.search(known):
            value = resolve_args(known, args, depth + 1, empty_defaults) if depth < 5 else known
            # a value still holding a reference (`${X/arm\/v7/arm-7}`, a form not read here) is no value
            return match.group(0) if "${" in value else value
        default = match.group(2)
        return default if default is not None and (default or empty_defaults) else match.group(0)

    resolved = VARIABLE_REF.sub(sub, value)
    # what an inner reference resolved to may complete an outer one (`${A:-8000}`)
    return resolve_args(resolved, args, depth + 1, empty_defaults) if resolved != value and depth < 5 else resolved


def _reference_pattern(written: str) -> re.Pattern[str]:
    """What a reference made of build arguments may name: each argument any text (`build_.*`)."""
    pieces, at = [], 0
    for match in VARIABLE_REF.finditer(written):
        pieces += [re.escape(written[at : match.start()]), ".*"]
        at = match.end()
    return re.compile("".join([*pieces, re.escape(written[at:])]), re.I)


def _targets(stages: list[Stage], final: Stage) -> list[Stage]:
    """The images a Dockerfile builds: its last stage, and every stage no other builds on or copies
    from, which only a build's `--target` makes."""
    used = {s.parent for s in stages if s.parent} | {ref for s in stages for ref in (*s.copied_from, *s.mounted_from)}
    # a FROM that build arguments choose (`FROM ${BASE}-base`, `build_${TARGETARCH}`) may build on
    # any stage its pattern matches: those are bases to choose from, not targets. A reference that
    # is an argument alone chooses a stage only when its default names one: uptime-kuma's
    # `FROM $BASE_IMAGE AS release` defaults to an image, and matched every stage.
    aliases = {s.alias for s in stages if s.alias}
    chosen = [_reference_pattern(s.written) for s in stages if "$" in s.written
              and (VARIABLE_REF.sub("", s.written) or s.image in aliases)]
    return [s for s in stages if s is final or not (
        {s.alias, str(s.index)} & used or any(p.fullmatch(s.alias or "") for p in chosen))]


def secret_build_arg(name: str) -> bool:
    """`ARG NPM_TOKEN` is a credential baked into the image history; `ARG NEXT_PUBLIC_PR_AUTHOR` is not."""
    bare, public = public_suffix(name)
    return not public and bool(_SECRET_ARG.search(bare)) and not _NOT_SECRET_ARG.search(bare)


@dataclass
class Stage:
    index: int
    line: int
    image: str  # as resolved, or the parent stage's name
    alias: str | None
    parent: str | None  # alias of an earlier stage this one builds on
    written: str = ""  # the FROM image as written, when build arguments resolved it
    expose: list[str] = field(default_factory=list)
    expose_lines: list[int] = field(default_factory=list)
    user: tuple[str, int] | None = None
    healthcheck: tuple[str, int] | None = None
    entrypoint: tuple[str, int] | None = None
    cmd: tuple[str, int] | None = None
    env: list[tuple[str, str, int]] = field(default_factory=list)
    # an ENV whose value is a build argument's (`ENV RAILS_ENV ${RAILS_ENV}` after `ARG
    # RAILS_ENV=production`): its name and the argument's, since a build may pass another value
    env_args: dict[str, str] = field(default_factory=dict)
    copies: list[Copy] = field(default_factory=list)
    workdir: str = ""
    # the build arguments the stage declares, with their defaults (a global ARG's value when it
    # declares one without) and lines: what `COPY ${DOCKER_DIR}/entrypoint.sh` copies (wger)
    args: dict[str, tuple[str, int]] = field(default_factory=dict)
    # a tool that switches users at start (`gosu`): its name, its line, and whether the start command
    # runs it here ("runs") or a RUN line installs it ("installs")
    switches: tuple[str, int, str] | None = None
    # the stages (by alias or index) and images its `COPY --from=` take files from
    copied_from: list[str] = field(default_factory=list)
    # and those its `RUN --mount=...,from=` mount: used by it too, so no target of their own
    mounted_from: list[str] = field(default_factory=list)
    # runtimes a RUN line installs from the distribution (`apk add nodejs`), with the line
    installs: list[tuple[str, int]] = field(default_factory=list)
    # tools that build distribution packages a RUN line installs (`dnf install rpm-build`), with the line
    packaging: list[tuple[str, int]] = field(default_factory=list)

    def known(self, env: bool = False, before: int | None = None) -> dict[str, str]:
        """The stage's own ARG values (those declared above line `before`), and with `env` its ENVs
        over them: what `${VAR}` means in its instructions."""
        values = {k: v for k, (v, line) in self.args.items() if before is None or line < before}
        if env:
            values.update((k, v) for k, v, _ in self.env)
        return values



def _installed_packages(run: str) -> list[str]:
    """The packages a RUN line installs with the system package manager."""
    if not SYSTEM_MANAGER_WORDS.search(run):  # most RUN lines install nothing this way: not split
        return []
    commands = split_commands(run.replace("\\\n", " "))
    return [package for command in commands for package in system_packages(command.text)]


def _installed_runtimes(packages: list[str]) -> list[str]:
    """The catalog runtimes among packages a RUN line installs (microservices-demo's currencyservice:
    `apk add --no-cache nodejs` on `alpine`)."""
    catalog = load_catalog()
    found: list[str] = []
    for package in packages:
        tech = catalog.by_os_package(package)
        if tech is not None and tech.category == "runtime" and tech.id not in found:
            found.append(tech.id)
    return found


def _exec_form(value: str) -> str:
    value = value.strip()
    if value.startswith("["):
        try:
            parts = json.loads(value)
        except ValueError:
            return value
        if isinstance(parts, list):
            return argv_script(parts)
    return value


_ENV_PAIR = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|'[^']*'|\S*)")


def _env_pairs(value: str) -> list[tuple[str, str]]:
    value = value.strip()
    if "=" not in value.split(" ", 1)[0]:
        key, _, rest = value.partition(" ")
        return [(key, rest.strip().strip("\"'"))]
    pairs = []
    for match in _ENV_PAIR.finditer(value):
        pairs.append((match.group(1), match.group(2).strip("\"'")))
    return pairs


def _arg_pairs(value: str) -> list[tuple[str, str]]:
    pairs = []
    for token in value.split():
        key, _, default = token.partition("=")
        pairs.append((key, default.strip("\"'")))
    return pairs


def _copy(value: str, workdir: str) -> Copy | None:
    """A COPY/ADD from the build context (not `--from` another stage), for mapping paths back."""
    value = value.strip()
    if value.startswith("["):
        try:
            words = [str(w) for w in json.loads(value)]
        except ValueError:
            return None
    else:
        words = value.split()
    if any(w.startswith("--from") for w in words):
        return None
    words = [w for w in words if not w.startswith("--")]
    if len(words) < 2 or any("://" in w or w.startswith("<<") for w in words):  # URLs, heredoc files
        return None
    return Copy(tuple(words[:-1]), words[-1], workdir)


class DockerfileDetector(Detector):
    name = "dockerfile"
    version = "14"
    description = "Dockerfiles: stages, base images and runtimes, ports, user, healthcheck, start commands"
    patterns = (
        "Dockerfile",
        "Dockerfile.*",
        "Dockerfile-*",  # ory/kratos' .docker/Dockerfile-alpine, Dockerfile-distroless-static
        "*.Dockerfile",
        "*.dockerfile",
        "dockerfile",
        "Containerfile",
        "Containerfile.*",
        "Containerfile-*",
    )
    # BuildKit reads `<Dockerfile name>.dockerignore` beside a Dockerfile as its own ignore file
    # (authelia's `Dockerfile.coverage.dockerignore`): "Dockerfile.*" matches it, and it holds no image.
    _IGNORE_FILE = ".dockerignore"
    looks_for = {
        "ci.build": "Dockerfiles (base images, stages)",
        "env.special": "Dockerfile ENV selectors (NODE_ENV, RAILS_ENV)",
        "log.levels": "Dockerfile ENV log levels",
        "deploy.rollback.verify": "Dockerfile HEALTHCHECK",
        "deploy.migration.strategy": "Dockerfile ENTRYPOINT/CMD and the scripts they run",
    }

    def claims(self, path: str) -> bool:
        return super().claims(path) and not path.endswith(self._IGNORE_FILE)

    def extract(self, file: SourceFile) -> Extraction:
        out = Extraction()
        if _TOOLING.search(file.path):
            return out  # dev containers, Gitpod workspaces and container actions are tooling
        if "\x00" in file.text:
            out.diagnostics.append(self.diagnostic(file.path, None, "binary content in a Dockerfile; not read"))
            return out
        if _TEMPLATE_NAME.search(file.path) or _TEMPLATED_FROM.search(file.text):
            out.diagnostics.append(self.diagnostic(
                file.path, None, "a Dockerfile template (rendered before it is built); its images are not read",
                Severity.INFO))
            return out
        from dockerfile_parse import DockerfileParser

        source = blank_heredocs(file.text.lstrip("\ufeff"))
        parser = DockerfileParser(fileobj=io.BytesIO(source.encode("utf-8", errors="replace")))
        try:
            structure = parser.structure
        except Exception as exc:  # dockerfile-parse raises on some malformed input
            out.diagnostics.append(self.diagnostic(file.path, None, f"cannot parse Dockerfile: {exc}"))
            return out
        stages = self._stages(file.path, structure, out)
        if not stages:
            out.diagnostics.append(self.diagnostic(file.path, None, "no FROM instruction; not a Dockerfile"))
            return out
        final = stages[-1]
        record = self._record(file.path, stages)
        # said in phase 2, which knows the compose files that build the image (`resolve`)
        record.data["build_fact"] = self._build_fact(file.path, stages, final)
        out.records.append(record)
        self._health_fact(file.path, stages, final, out)
        out.facts.extend(self._env_facts(file.path, stages, final))
        return out

    # -- phase 1 ------------------------------------------------------------------------------

    def _stages(self, path: str, structure: list[dict[str, Any]], out: Extraction) -> list[Stage]:
        args: dict[str, str] = {}
        stages: list[Stage] = []
        secrets: list[tuple[str, int, int]] = []  # a credential-named ARG: name, line, its stage's index
        for instr in structure:
            name = str(instr.get("instruction", "")).upper()
            value = str(instr.get("value", ""))
            line = int(instr.get("startline", 0)) + 1
            if name == "ARG":
                for key, default in _arg_pairs(value):
                    if secret_build_arg(key):
                        secrets.append((key, line, len(stages) - 1))
                    if not stages:  # only ARGs before the first FROM can be used in FROM lines
                        args[key] = resolve_args(default, args)
                    else:
                        value = resolve_args(default, {**args, **stages[-1].known()}) or args.get(key, "")
                        stages[-1].args[key] = (value, line)
            elif name == "FROM":
                self._from(value, line, args, stages)
            elif name == "EXPOSE" and stages:
                # `EXPOSE ${APP_PORT}` after `ENV APP_PORT=9000` (mealie) exposes 9000
                known = {**args, **stages[-1].known(env=True)}  # gotify: `ARG GOTIFY_SERVER_EXPOSE=80` in the stage
                ports = [resolve_args(p, known) for p in value.split()]
                stages[-1].expose.extend(p for p in dict.fromkeys(ports) if p not in stages[-1].expose)
                stages[-1].expose_lines.append(line)
            elif stages:
                self._instruction(stages[-1], name, value, line)
        for key, line, stage in secrets:
            # The last stage is the image; an earlier one's ARGs are not in its history (langfuse's
            # SENTRY_AUTH_TOKEN, in its builder stage), but still in the build cache and in the
            # values a provenance attestation records.
            kept = ("build arguments are kept in the image history" if stage == len(stages) - 1 else
                    "it is not in the final stage, but build arguments stay in the build cache and in "
                    "provenance attestations")
            out.diagnostics.append(self.diagnostic(
                path, line, f"build argument {key} looks like a secret; {kept} (use a BuildKit secret mount)"))
        return stages

    @staticmethod
    def _from(value: str, line: int, args: dict[str, str], stages: list[Stage]) -> None:
        tokens = [t for t in value.split() if not t.startswith("--")]
        if not tokens:
            return
        image = resolve_args(tokens[0], args)
        alias = tokens[2].lower() if len(tokens) >= 3 and tokens[1].lower() == "as" else None
        aliases = {s.alias for s in stages if s.alias}
        parent = image.lower() if image.lower() in aliases else None
        stage = Stage(len(stages), line, image, alias, parent, written=tokens[0] if "$" in tokens[0] else "")
        base = next((s for s in stages if s.alias == parent), None) if parent else None
        stage.workdir = base.workdir if base else ""
        stages.append(stage)

    @staticmethod
    def _instruction(stage: Stage, name: str, value: str, line: int) -> None:
        if name == "USER":
            stage.user = (value.strip(), line)
        elif name == "HEALTHCHECK":
            stage.healthcheck = (value.strip(), line)
        elif name == "ENTRYPOINT":
            stage.entrypoint = (_exec_form(value), line)
            if switch := _user_switch().search(value):
                stage.switches = (switch.group(1), line, "runs")
        elif name == "RUN":
            if (switch := _user_switch().search(value)) and not stage.switches:
                stage.switches = (switch.group(1), line, "installs")
            stage.mounted_from.extend(m.group(1).lower() for m in _MOUNT_FROM.finditer(value))
            packages = _installed_packages(value)
            stage.installs.extend((tech, line) for tech in _installed_runtimes(packages) if tech not in
                                  {t for t, _ in stage.installs})
            builders = _base_images()["package_builders"]
            stage.packaging.extend((p, line) for p in dict.fromkeys(packages) if p in builders)
        elif name == "CMD":
            stage.cmd = (_exec_form(value), line)
        elif name == "ENV":
            # resolved as Docker does, with the ARGs and ENVs in force at this line (AppFlowy's
            # `ENV PORT=${APPFLOWY_APPLICATION_PORT:-${PORT:-8000}}` after `ARG PORT`), but for
            # credentials: a secret ARG's default must not surface as another variable's value
            known = {k: v for k, v in stage.known(env=True).items() if not secret_build_arg(k)}
            for k, v in _env_pairs(value):
                stage.env.append((k, resolve_args(v, known) if "$" in v else v, line))
                arg = next((m[1] or m[3] for m in VARIABLE_REF.finditer(v) if (m[1] or m[3]) in stage.args), None)
                if arg:
                    stage.env_args[k] = arg
                else:
                    stage.env_args.pop(k, None)
        elif name == "WORKDIR":
            target = value.strip().strip("\"'")
            stage.workdir = target if target.startswith("/") else f"{stage.workdir.rstrip('/')}/{target}"
        elif name in ("COPY", "ADD"):
            if "$" in value:
                value = resolve_args(value, stage.known(env=True))
            if source := _COPY_FROM.search(value):
                stage.copied_from.append(source.group(1).lower())
            copy = _copy(value, stage.workdir or "/")
            if copy:
                stage.copies.append(copy)

    @staticmethod
    def _chain(stages: list[Stage], stage: Stage) -> list[Stage]:
        """The stage and the stages it builds on, nearest first."""
        chain: list[Stage] = []
        current: Stage | None = stage
        while current is not None and current not in chain:
            chain.append(current)
            current = next((s for s in stages if s.alias == current.parent), None) if current.parent else None
        return chain

    def _inherit(self, stages: list[Stage], stage: Stage, attr: str) -> Any:
        for current in self._chain(stages, stage):
            value = getattr(current, attr)
            if value:
                return value
        return None

    def _record(self, path: str, stages: list[Stage]) -> Record:
        """Per stage, what phase 2 needs to follow its start command: commands, copies, workdir."""
        data = []
        for stage in stages:
            chain = self._chain(stages, stage)
            data.append(
                {
                    "alias": stage.alias,
                    "image": stage.image,
                    "line": stage.line,
                    "entrypoint": self._inherit(stages, stage, "entrypoint"),
                    "cmd": self._inherit(stages, stage, "cmd"),
                    "copies": [(list(c.sources), c.dest, c.workdir) for s in chain for c in s.copies],
                    "workdir": stage.workdir,
                }
            )
        return Record("dockerfile.image", path, stages[-1].line, {"stages": data})

    def _build_fact(self, path: str, stages: list[Stage], final: Stage) -> Fact:
        parts: list[Part] = ["Container image from ", Code(path)]
        if development_dockerfile(path):
            # listmonk's dev/app.Dockerfile is built by its development compose file, not by CI
            parts.append(" (a development image, by its name or folder)")
        chain = self._chain(stages, final)
        # what the file builds by default, when a build's `--target` may build others (uptime-kuma's
        # last stage uploads an artifact; `rootless` and `pr-test2` are images)
        # (those that start something: a stage left unused, a tool built for nothing, is no image to ship)
        # (by name: `--target` takes a stage's name only)
        others = [s.alias for s in _targets(stages, final) if s is not final and s.alias
                  and any(self._inherit(stages, s, attr) for attr in ("cmd", "entrypoint"))]
        if others and final.alias:
            parts += [" (last stage ", Code(final.alias), "; other targets ", *code_list(others), ")"]
        # an image that builds distribution packages runs no service: its base is no runtime (miniflux's
        # packaging/debian/Dockerfile installs devscripts on `golang:1-trixie`)
        # (not an image that serves a port: it installs the tool for something else)
        packaging = [(package, line) for stage in reversed(chain) for package, line in stage.packaging] \
            if not self._inherit(stages, final, "expose") else []
        if packaging:
            parts += [" (builds distribution packages: installs ", *code_list(dict.fromkeys(p for p, _ in packaging)),
                      ")"]
        named_at = chain[-1]  # the stage whose FROM names the runtime image
        runtime_ref = named_at.image
        described = self._describe_image(runtime_ref) if not packaging else None
        tech_id = None
        # `FROM $BUILD_IMAGE`: the image its ARG defaults give "by default"; a build may pass another
        default: list[Part] = [" by default"] if named_at.written and "$" not in runtime_ref else []
        if described:
            label, tech_id = described
            parts += [": runtime ", label, " (", Code(runtime_ref), *default, ")"]
        elif runtime_ref == "scratch":
            parts += [": from ", Code("scratch")]
        elif runtime_ref:
            parts += [": base ", Code(runtime_ref), *default]
        # a bare base given its runtime by the distribution (`apk add nodejs` on `alpine`)
        installs = [(tech, line) for stage in reversed(chain) for tech, line in stage.installs]
        if tech_id is not None and self.catalog.techs[tech_id].category != "os":
            installs = []  # a runtime image's own runtime is what it runs
        if installs:
            parts += ["; installs ", *phrase_list([self.catalog.techs[t].name] for t, _ in installs),
                      " with the system package manager"]
        builders = [s for s in stages if s not in chain and s.parent is None and s.image != runtime_ref]
        if builders:
            parts.append("; build stages ")
            for i, stage in enumerate(builders[:3]):
                if i:
                    parts.append(", ")
                parts.append(Code(stage.image))
            if len(builders) > 3:
                parts.append(f" and {len(builders) - 3} more")
        expose = self._inherit(stages, final, "expose")
        if expose:
            # `EXPOSE ${EXPOSED_PORT}` after a bare `ARG EXPOSED_PORT` (petclinic): each build says the port
            unset = [name for p in expose if (ref := VARIABLE_REF.fullmatch(p))
                     and (name := ref.group(1) or ref.group(3)) and any(name in c.args for c in chain)]
            parts += ["; exposes ", Code(" ".join(expose))]
            if unset:
                parts += [" (the port build argument" + ("s " if len(unset) > 1 else " "), *code_list(unset),
                          " gives, with no default)"]
        user: tuple[str, int] | None = self._inherit(stages, final, "user")
        if user and "$" in user[0]:
            # `USER ${USER_ID}` after `ENV USER_ID='1001'` in the stage it builds on (shlink), read
            # in the stage that says USER, with the ARGs and ENVs in force at its line
            declaring = next(c for c in chain if c.user == user)
            known: dict[str, str] = {}
            for ancestor in reversed(chain[chain.index(declaring):]):  # it and the stages it builds on
                known.update((k, v) for k, v, line in ancestor.env if ancestor is not declaring or line < user[1])
            # ARGs are not inherited: the declaring stage's own, above the USER line
            known.update(declaring.known(before=user[1]))
            user = (resolve_args(user[0], known), user[1])
        switches: tuple[str, int, str] | None = None if user else self._inherit(stages, final, "switches")
        parts += self._user(user, runtime_ref)
        if switches and parts[-1] == "; runs as root (no USER)":
            # it starts as root; what it starts may not run as root (mealie's entry.sh: `gosu "$PUID"`)
            parts[-1] = f"; starts as root (no USER) and {switches[2]} "
            parts += [Code(switches[0]), " to switch users"]
        # the final stage, the FROM that names its image when that is an earlier stage's (`FROM base`),
        # and the FROM, EXPOSE and USER lines the fact quotes
        exposed = self._inherit(stages, final, "expose_lines") or []
        quoted = {*exposed, *([user[1]] if user else []), *([switches[1]] if switches else []),
                  *(stage.line for stage in builders[:3]), *(line for _, line in installs),
                  *(line for _, line in packaging)}
        lines = (final.line, named_at.line, *sorted(quoted))
        return Fact(
            "ci.build",
            text(*parts),
            Confidence.DECLARED,
            tuple(dict.fromkeys(e for line in lines if line for e in self.evidence(path, line))),
            item=f"image:{path}",
            tech=tech_id,
            rank=40,
            order=(1, path),
            attrs={"step": "Build container image", "runtime_image": runtime_ref if not packaging else "",
                   "copied_from": self._copied_images(stages, chain),
                   "installs": self._started(stages, final, [t for t, _ in installs]),
                   **({"builds_packages": True} if packaging else {})},
        )

    def _started(self, stages: list[Stage], final: Stage, installed: list[str]) -> list[str]:
        """The installed runtimes the image's start command runs (`ENTRYPOINT ["node", "server.js"]`
        after `apk add nodejs`): the image's runtime. One installed for a helper (mobilizon's Elixir
        release beside Alpine's python3) is not."""
        starts = [self._inherit(stages, final, attr) for attr in ("entrypoint", "cmd")]
        programs = [PurePosixPath(words[0]).name.lower() for start in starts if start
                    for words in (argv(str(start[0])),) if words]
        out = []
        for tech_id in installed:
            tech = self.catalog.techs[tech_id]
            names = {tech.id, *(a.lower().replace(" ", "") for a in (tech.name, *tech.aliases))}
            if any(program.startswith(name) for program in programs for name in names):
                out.append(tech_id)
        return out

    def _copied_images(self, stages: list[Stage], chain: list[Stage]) -> list[str]:
        """The images of the stages the image's own stages copy files from (`COPY --from=builder`):
        what built the program a bare base runs (gotify's Go stage, not the Node.js stage that built
        the UI the Go stage embeds)."""
        images: list[str] = []
        for stage in chain:
            for ref in stage.copied_from:
                source = next((s for s in stages if s.alias == ref or str(s.index) == ref), None)
                images.append(self._chain(stages, source)[-1].image if source is not None else ref)
        return list(dict.fromkeys(images))

    @staticmethod
    def _user(user: tuple[str, int] | None, base: str) -> list[Part]:
        """USER absent means the base image's user: root for the images known to leave it so, the
        user a known non-root image sets (distroless `:nonroot`), else whatever the base image
        (a build argument, a company's own) sets, which this file cannot show. `USER 0` and `USER
        root:root` are root, said as written."""
        if not user:
            default = _base_user(base)
            if default == _ROOT:
                return ["; runs as root (no USER)"]
            if default:
                return ["; runs as ", Code(default), " (no USER: base image ", Code(base), " sets it)"]
            return ["; no USER here: the user is whatever base image ", Code(base), " sets"]
        name = user[0]
        if name.split(":")[0] in _ROOT_USERS:
            return ["; runs as root (", Code(f"USER {name}"), ")"]
        return ["; runs as ", Code(name)]

    def _describe_image(self, ref: str) -> tuple[str, str] | None:
        image = parse_image(ref)
        if image is None:
            return None
        found = self.catalog.by_image(image)
        if not found:
            return None
        tech, parsed = found
        return tech.image_label(parsed), tech.id

    def _health_fact(self, path: str, stages: list[Stage], final: Stage, out: Extraction) -> None:
        """The HEALTHCHECK of each image the file builds: the last stage's, and that of every stage
        no other builds on or copies from, which only a build's `--target` makes (karakeep's `aio`
        and `web` check `/api/health`; its last stage, `mcp`, has none). Named by stage when the
        file has several such targets; one statement for the targets that run the same check."""
        targets = _targets(stages, final)
        checks: dict[str, list[tuple[Stage, int]]] = {}
        for stage in targets:
            health = self._inherit(stages, stage, "healthcheck")
            if not health or health[0].upper().startswith("NONE"):
                continue  # HEALTHCHECK NONE switches off the base image's check
            command = re.sub(r"^(?:--[\w-]+=\S+\s+)*CMD\s+", "", health[0], flags=re.I)
            checks.setdefault(command, []).append((stage, health[1]))
        for command, where in checks.items():
            named = [stage.alias or str(stage.index + 1) for stage, _ in where]
            stages_part: tuple[Part, ...] = () if len(targets) == 1 else (
                " (", "stage " if len(named) == 1 else "stages ", *code_list(named), ")")
            out.facts.append(
                Fact(
                    "deploy.rollback.verify",
                    text("Container ", Code("HEALTHCHECK"), " in ", Code(path), *stages_part, ": ",
                         Code(_exec_form(command))),
                    Confidence.DECLARED,
                    tuple(e for line in sorted({line for _, line in where}) for e in self.evidence(path, line)),
                    item=f"health:{path}" if any(stage is final for stage, _ in where) else
                    f"health:{path}:{where[0][0].alias or where[0][0].index}",
                    rank=50,
                    order=(1, path),
                )
            )

    def _env_facts(self, path: str, stages: list[Stage], final: Stage) -> list[Fact]:
        """ENV baked into the runtime image: log levels, `NODE_ENV=production`, monitoring settings.

        The image runs wherever it is deployed, so these name no environment of their own; a
        selector's value (`RAILS_ENV=production`) says which one the image is configured for.
        """
        variables: dict[str, Variable] = {}
        args: dict[str, tuple[str, int]] = {}  # an ENV set from a build argument -> the argument, its line
        for stage in reversed(self._chain(stages, final)):
            for key, value, line in stage.env:
                variables[key] = Variable(key, value, line)
                arg = stage.env_args.get(key)
                if arg:
                    args[key] = (arg, stage.args[arg][1])
                else:
                    args.pop(key, None)
        if not variables:
            return []
        reader = VariableReader(
            path=path,
            detector=self.name,
            env=None,
            where=("in the ", Code(path), " image's ENV"),
            confidence=Confidence.INFERRED,
            env_from_selector=True,
        )
        # A selector names one environment, but the image carries it to every one that runs it;
        # unless its value is a build argument's, which a build may set otherwise (chatwoot's
        # development compose builds the production Dockerfile with `RAILS_ENV: development`).
        def everywhere(fact: Fact) -> Fact:
            # the variables a fact names, as its code spans show them (`RAILS_ENV=production`): one
            # ENV line may set several, of which only some come from build arguments
            named = [part.text.split("=", 1)[0] for part in fact.parts if isinstance(part, Code)]
            arg = next((args[name] for name in named if name in args), None)
            if arg is None:
                return replace(fact, parts=text(*fact.parts, ", so in every environment that runs it"))
            return replace(fact, parts=text(*fact.parts, ", unless a build sets the build argument ", Code(arg[0])),
                           evidence=tuple(sorted({*fact.evidence, *self.evidence(path, arg[1])})))

        return [
            everywhere(f) if f.field.startswith("env.") else f
            for f in reader.facts(sorted(variables.values(), key=lambda v: v.line))
            if not f.field.startswith("env.") or f.env
        ]

    # -- phase 2 ------------------------------------------------------------------------------

    def resolve(self, ctx: ResolveContext) -> list[Fact]:
        """Each image, said with the development compose services that build it, and the migrations
        the runtime stage's ENTRYPOINT/CMD run, through scripts and package.json."""
        resolver = StartResolver(ctx)
        facts: list[Fact] = []
        builders = _development_builders(ctx)
        for record in ctx.records("dockerfile.image"):
            facts.append(_with_builders(record.data["build_fact"], builders.get(record.path, [])))
            final = record.data["stages"][-1]
            facts.extend(self.start_migrations(resolver, record.path, final))
        return facts

    def start_migrations(self, resolver: StartResolver, path: str, stage: dict[str, Any]) -> list[Fact]:
        copies = stage_copies(stage)
        near = resolver.repo_dir(str(stage.get("workdir", "")), copies, near_folder(path))
        facts = []
        for instruction in ("entrypoint", "cmd"):
            start = stage.get(instruction)
            if not start:
                continue
            command, line = start
            reached, only = resolver.migrations(str(command), (path, int(line)), near, copies)
            if not reached and S6_INIT.match(str(command)):
                # s6-overlay's `/init` runs the scripts the image put at its fixed places (paperless-ngx's
                # init-migrations service), before the services that wait for them
                for script in resolver.s6_start_scripts(near, copies):
                    more, _ = resolver.migrations(script, (path, int(line)), near, copies)
                    reached += more
                only = False
            # the entrypoint script is given the CMD as its arguments: bakerydemo's migrates only
            # `if [ "$1" = '/venv/bin/uwsgi' ]`, and its CMD starts `uwsgi`
            cmd = stage.get("cmd") if instruction == "entrypoint" and len(argv(str(command))) == 1 else None
            for position, (found, evidence) in enumerate(group_reached(reached)):
                unmet = bool(cmd and found.guard and len(found.via) == 1
                             and guard_meets(found.guard, argv(str(cmd[0]))) is False)
                facts.append(self._migration_fact(path, int(line), instruction.upper(), found, evidence, only,
                                                  position, cmd if unmet else None))
        return facts

    def _migration_fact(
        self, path: str, line: int, instruction: str, found: Reached, lines: list[tuple[str, int]], only: bool,
        position: int, unmet_by: tuple[str, int] | None = None,
    ) -> Fact:
        """One migration tool a start command runs; `position` keeps the tools in the order it runs them.
        `unmet_by`: the image's CMD (and its line), when the condition it migrates under does not hold
        for it: a lead, not the image's strategy."""
        chain = migration_chain(found, path)
        if only:
            parts = text("Migration image: ", Code(path), f" {instruction} ", *chain)
        elif unmet_by is not None:
            parts = text("On container start: ", Code(path), f" {instruction} ", *chain, ", which the image's CMD ",
                         Code(unmet_by[0]), " does not meet: only a container started with another command migrates")
            lines = [*lines, (path, unmet_by[1])]
        else:
            parts = text(
                "On container start: ",
                Code(path),
                f" {instruction} ",
                *chain,
                ", in every replica as it starts",
            )
        evidence = tuple(
            dict.fromkeys((*self.evidence(path, line), *(e for p, n in lines for e in self.evidence(p, n))))
        )
        return Fact(
            "deploy.migration.strategy",
            parts,
            Confidence.HINT if unmet_by is not None else Confidence.INFERRED if found.by_name else Confidence.DECLARED,
            evidence,
            item=f"start:{path}:{found.tool or found.command}",
            tech=found.tool or None,
            rank=40,
            order=(1, path, position),
            attrs={"where": "migration image" if only else "container start", "tool": found.tool or None},
        )


def stage_copies(stage: dict[str, Any]) -> tuple[Copy, ...]:
    """A recorded stage's COPY instructions, back as `Copy` values."""
    return tuple(Copy(tuple(src), dest, workdir) for src, dest, workdir in stage.get("copies", []))


def group_reached(reached: list[Reached]) -> list[tuple[Reached, list[tuple[str, int]]]]:
    """One statement per way and tool: the `if`/`else` branches of a script running the same
    migration tool are one migration step, with every line as evidence, and each command a branch
    runs is said (langfuse's up.sh runs `.../unclustered` or `.../clustered`, by a variable; only
    the first was shown)."""
    groups: dict[tuple[Any, ...], list[Reached]] = {}
    for found in reached:
        groups.setdefault((found.via, found.tool, found.by_name), []).append(found)
    out = []
    for group in groups.values():
        first = group[0]
        if len({r.guard for r in group}) > 1:
            # branches under different conditions (`if`/`else`) migrate either way: no one condition holds
            others = tuple(dict.fromkeys(r.command for r in group if r.command != first.command))
            first = replace(first, guard="", alternatives=others)
        out.append((first, [(r.path, r.line) for r in group]))
    return out


def migration_chain(found: Reached, start_path: str) -> list[Part]:
    """`runs `docker/entrypoint.sh`, which runs `manage.py migrate``, naming where each hop is written."""
    parts: list[Part] = []
    for hop in found.via:
        parts.append("runs " if not parts else ", which runs ")
        parts += [Code(hop.path), " script ", Code(hop.name)] if hop.name else [Code(hop.path)]
    parts += ["runs " if not parts else ", which runs ", Code(found.command)]
    for other in found.alternatives[:2]:
        parts += [" or ", Code(other)]
    if found.alternatives:
        parts.append(" (by a condition in the script)")
    if found.guard:  # Rails' entrypoint: only when the container runs the server
        parts += [" if ", Code(found.guard)]
    if found.by_name:
        parts.append(" (only its name says it migrates)")
    return parts


def compose_dockerfile(record: Record) -> str:
    """The Dockerfile a compose service's `build:` names, relative to the repository."""
    build = record.data["build"]
    context = posixpath.join(posixpath.dirname(record.path), build["context"])
    normal = posixpath.normpath(posixpath.join(context, build["dockerfile"]))
    return "" if normal == "." else normal


Builder = tuple[str, str, int, "str | None"]  # compose file, service, line, the `user` it runs the image as


def _development_builders(ctx: ResolveContext) -> dict[str, list[Builder]]:
    """Per Dockerfile, the development compose services that build it."""
    out: dict[str, list[Builder]] = {}
    for record in ctx.records("compose.service"):
        env = record.data.get("env")  # as the compose file's name or folder writes it (`dev`)
        if record.data.get("build") and env and normalise(env, ctx.config.environment_aliases) == DEVELOPMENT:
            out.setdefault(compose_dockerfile(record), []).append(
                (record.path, str(record.data["service"]), record.line, record.data.get("user")))
    return out


def _with_builders(fact: Fact, builders: list[Builder]) -> Fact:
    """An image under a name of its own that a development compose file builds says so after its name
    (shlink's data/infra/php.Dockerfile is built by its compose file's `shlink_php`, and no workflow
    builds it): a reader tells the images of development from those a pipeline ships. Not said of
    a development image by its name, which says so already. A directory's own Dockerfile is as likely
    the one a pipeline ships, unless it sits in a folder for development work (BookStack's
    dev/docker/Dockerfile, which its compose file builds)."""
    path = fact.evidence[0].path
    own = posixpath.basename(path) in ("Dockerfile", "Containerfile")
    if not builders or development_dockerfile(path) or (own and not under_development_dir(path)):
        return fact
    compose, service, line, user = builders[0]
    # the others counted by their files: hoppscotch's seven builders are in two compose files
    files = list(dict.fromkeys(b[0] for b in builders))
    others = len(builders) - 1
    more = f" and {others} more" if others else ""
    # the image's own user is said after; the service may run it as another (shlink's `user: 1000:1000`)
    runs = (", which runs it as ", Code(user)) if user and len(builders) == 1 else ()
    note: tuple[Part, ...] = (" (built by the development compose file ", Code(compose), ", service ", Code(service),
                              *runs, f"{more})")
    if len(files) > 1:
        note = (" (built by the development compose files ", *code_list(files), ": service ", Code(service),
                f"{more})")
    cited = Evidence(compose, line, fact.evidence[0].detector)
    return replace(fact, parts=(*fact.parts[:2], *note, *fact.parts[2:]), evidence=(*fact.evidence, cited))
