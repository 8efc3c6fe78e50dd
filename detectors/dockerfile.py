"""Dockerfiles: how the application's container image is built and how it starts.

dockerfile-parse reads the instructions (always from a file object: given a path it opens, and
given nothing it writes, `./Dockerfile`). It does not know heredocs, whose bodies it would turn
into bogus instructions, so their bodies are blanked first (line numbers kept). Base images are
resolved through ARG defaults, recursively, and stage aliases are dropped, so `FROM base AS final`
is not mistaken for an image called "base".

Facts: a build step per Dockerfile (runtime, stages, exposed ports, user), the HEALTHCHECK as the
way a release is verified, migrations run on container start (directly, or in the entrypoint
script, resolved in phase 2 from the scripts detector's records).
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from infrascan.commands import classify
from infrascan.detector import Detector, Extraction, Record, ResolveContext, SourceFile
from infrascan.images import parse_image
from infrascan.model import Code, Confidence, Fact, Part, text
from infrascan.redact import is_secret_key

_HEREDOC = re.compile(r"<<(-?)\s*[\"']?([A-Za-z_][A-Za-z0-9_]*)[\"']?")
_ARG_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::[-+]([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")
_TOOLING_DIRS = (".devcontainer/", ".github/actions/", ".github/")
_SCRIPT = re.compile(r"(?:^|[\s\"'/])((?:\./)?[\w./-]*(?:entrypoint|start|run|boot|init|docker)[\w.-]*(?:\.sh)?)\b")


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
            terminators = [(m.group(2), m.group(1) == "-") for m in _HEREDOC.finditer(line)]
    return "\n".join(out)


def resolve_args(value: str, args: dict[str, str], depth: int = 0) -> str:
    def sub(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        if args.get(name):
            return args[name]
        return match.group(2) if match.group(2) is not None else match.group(0)

    resolved = _ARG_REF.sub(sub, value)
    return resolve_args(resolved, args, depth + 1) if resolved != value and depth < 5 else resolved


@dataclass
class Stage:
    index: int
    line: int
    image: str  # as resolved, or the parent stage's name
    alias: str | None
    parent: str | None  # alias of an earlier stage this one builds on
    expose: list[str] = field(default_factory=list)
    user: str | None = None
    healthcheck: tuple[str, int] | None = None
    entrypoint: tuple[str, int] | None = None
    cmd: tuple[str, int] | None = None
    env: list[tuple[str, str, int]] = field(default_factory=list)


def _exec_form(value: str) -> str:
    value = value.strip()
    if value.startswith("["):
        try:
            parts = json.loads(value)
            if isinstance(parts, list):
                return " ".join(str(p) for p in parts)
        except ValueError:
            pass
    return value


def _env_pairs(value: str) -> list[tuple[str, str]]:
    value = value.strip()
    if "=" not in value.split(" ", 1)[0]:
        key, _, rest = value.partition(" ")
        return [(key, rest.strip())]
    pairs = []
    for match in re.finditer(r"([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|'[^']*'|\S*)", value):
        pairs.append((match.group(1), match.group(2).strip("\"'")))
    return pairs


class DockerfileDetector(Detector):
    name = "dockerfile"
    version = "1"
    description = "Dockerfiles: stages, base images and runtimes, ports, user, healthcheck, start commands"
    patterns = (
        "Dockerfile",
        "Dockerfile.*",
        "*.Dockerfile",
        "*.dockerfile",
        "dockerfile",
        "Containerfile",
        "Containerfile.*",
    )
    looks_for = {
        "ci.build": "Dockerfiles (base images, stages)",
        "deploy.rollback.verify": "Dockerfile HEALTHCHECK",
        "deploy.migration.strategy": "Dockerfile ENTRYPOINT/CMD and the scripts they run",
    }

    def extract(self, file: SourceFile) -> Extraction:
        out = Extraction()
        if file.path.startswith(_TOOLING_DIRS):
            return out  # dev containers and container actions are tooling, not the application
        from dockerfile_parse import DockerfileParser

        parser = DockerfileParser(fileobj=io.BytesIO(blank_heredocs(file.text).encode("utf-8")))
        try:
            structure = parser.structure
        except Exception as exc:  # dockerfile-parse raises on some malformed input
            out.diagnostics.append(self.diagnostic(file.path, None, f"cannot parse Dockerfile: {exc}"))
            return out
        stages = self._stages(file.path, structure, out)
        if not stages:
            out.diagnostics.append(self.diagnostic(file.path, None, "no FROM instruction; not a Dockerfile"))
            return out
        out.records.append(
            Record(
                "dockerfile.stages",
                file.path,
                stages[0].line,
                {"stages": [{"alias": s.alias, "image": s.image, "line": s.line} for s in stages]},
            )
        )
        final = stages[-1]
        out.facts.append(self._build_fact(file.path, stages, final))
        self._start_facts(file.path, stages, final, out)
        return out

    def _stages(self, path: str, structure: list[dict[str, Any]], out: Extraction) -> list[Stage]:
        args: dict[str, str] = {}
        stages: list[Stage] = []
        aliases: set[str] = set()
        for instr in structure:
            name = str(instr.get("instruction", "")).upper()
            value = str(instr.get("value", ""))
            line = int(instr.get("startline", 0)) + 1
            if name == "ARG":
                for key, default in _arg_pairs(value):
                    if is_secret_key(key):
                        out.diagnostics.append(
                            self.diagnostic(
                                path,
                                line,
                                f"build argument {key} looks like a secret; build arguments are kept in "
                                "the image history (use a BuildKit secret mount)",
                            )
                        )
                    if not stages:  # only ARGs before the first FROM can be used in FROM lines
                        args[key] = default
            elif name == "FROM":
                tokens = [t for t in value.split() if not t.startswith("--")]
                if not tokens:
                    continue
                image = resolve_args(tokens[0], args)
                alias = tokens[2] if len(tokens) >= 3 and tokens[1].lower() == "as" else None
                parent = image if image in aliases else None
                stages.append(Stage(len(stages), line, image, alias, parent))
                if alias:
                    aliases.add(alias)
            elif stages:
                stage = stages[-1]
                if name == "EXPOSE":
                    stage.expose.extend(value.split())
                elif name == "USER":
                    stage.user = value.strip()
                elif name == "HEALTHCHECK":
                    stage.healthcheck = (value.strip(), line)
                elif name == "ENTRYPOINT":
                    stage.entrypoint = (_exec_form(value), line)
                elif name == "CMD":
                    stage.cmd = (_exec_form(value), line)
                elif name == "ENV":
                    stage.env.extend((k, v, line) for k, v in _env_pairs(value))
        return stages

    def _inherit(self, stages: list[Stage], stage: Stage, attr: str) -> Any:
        seen = set()
        current: Stage | None = stage
        while current is not None and current.index not in seen:
            seen.add(current.index)
            value = getattr(current, attr)
            if value:
                return value
            current = next((s for s in stages if s.alias == current.parent), None) if current.parent else None
        return None

    def _root_image(self, stages: list[Stage], stage: Stage) -> str:
        current = stage
        for _ in range(len(stages)):
            if current.parent is None:
                return current.image
            parent = next((s for s in stages if s.alias == current.parent), None)
            if parent is None:
                return current.image
            current = parent
        return current.image

    def _build_fact(self, path: str, stages: list[Stage], final: Stage) -> Fact:
        parts: list[Part] = ["Container image from ", Code(path)]
        runtime_ref = self._root_image(stages, final)
        described = self._describe_image(runtime_ref)
        tech_id = None
        if described:
            label, tech_id = described
            parts += [": runtime ", label, " (", Code(runtime_ref), ")"]
        elif runtime_ref and runtime_ref != "scratch":
            parts += [": base ", Code(runtime_ref)]
        elif runtime_ref == "scratch":
            parts += [": from ", Code("scratch")]
        builders = [s for s in stages[:-1] if s.parent is None and s.image != runtime_ref]
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
            parts += ["; exposes ", Code(" ".join(expose))]
        user = self._inherit(stages, final, "user")
        if user and user.split(":")[0] not in ("root", "0"):
            parts += ["; runs as ", Code(user)]
        else:
            parts.append("; runs as root (no USER)")
        return Fact(
            "ci.build",
            text(*parts),
            Confidence.DECLARED,
            self.evidence(path, final.line),
            item=f"image:{path}",
            tech=tech_id,
            rank=40,
            order=(1, path),
            attrs={"step": "Build container image", "runtime_image": runtime_ref},
        )

    def _describe_image(self, ref: str) -> tuple[str, str] | None:
        image = parse_image(ref)
        if image is None:
            return None
        found = self.catalog.by_image(image)
        if not found:
            return None
        tech, parsed = found
        return tech.label(tech.version_of(parsed)), tech.id

    def _start_facts(self, path: str, stages: list[Stage], final: Stage, out: Extraction) -> None:
        health = self._inherit(stages, final, "healthcheck")
        if health and not health[0].upper().startswith("NONE"):
            command = re.sub(r"^(?:--[\w-]+=\S+\s+)*CMD\s+", "", health[0], flags=re.I)
            out.facts.append(
                Fact(
                    "deploy.rollback.verify",
                    text("Container ", Code("HEALTHCHECK"), " in ", Code(path), ": ", Code(_exec_form(command))),
                    Confidence.DECLARED,
                    self.evidence(path, health[1]),
                    item=f"health:{path}",
                    rank=50,
                    order=(1, path),
                )
            )
        for attr in ("entrypoint", "cmd"):
            value = self._inherit(stages, final, attr)
            if not value:
                continue
            command, line = value
            migrations = [c for c in classify(command) if c.kind == "migrate"]
            if migrations:
                out.facts.append(
                    _start_migration(self, path, line, attr.upper(), migrations[0].command, migrations[0].tool)
                )
                continue
            for script in {m.group(1) for m in _SCRIPT.finditer(command)}:
                out.records.append(
                    Record(
                        "dockerfile.start_script",
                        path,
                        line,
                        {
                            "script": script.lstrip("./") if script.startswith("./") else script,
                            "instruction": attr.upper(),
                        },
                    )
                )

    def resolve(self, ctx: ResolveContext) -> list[Fact]:
        """Migrations hidden in the entrypoint script a Dockerfile starts."""
        scripts: dict[str, list[Any]] = {}
        for record in ctx.records("script.command"):
            scripts.setdefault(record.path, []).append(record)
        facts = []
        for record in ctx.records("dockerfile.start_script"):
            base = PurePosixPath(record.data["script"]).name
            directory = PurePosixPath(record.path).parent.as_posix()
            candidates = sorted(
                (p for p in scripts if PurePosixPath(p).name == base),
                key=lambda p: (not p.startswith("" if directory == "." else directory + "/"), p.count("/"), p),
            )
            if not candidates:
                continue
            script_path = candidates[0]
            for cmd in scripts[script_path]:
                if cmd.data.get("kind") == "migrate":
                    facts.append(
                        Fact(
                            "deploy.migration.strategy",
                            text(
                                "On container start: ",
                                Code(record.path),
                                " ",
                                record.data["instruction"],
                                " runs ",
                                Code(script_path),
                                ", which runs ",
                                Code(cmd.data["command"]),
                                "; with several replicas each one migrates, so run it once in production",
                            ),
                            Confidence.DECLARED,
                            (*self.evidence(record.path, record.line), *self.evidence(cmd.path, cmd.line)),
                            item=f"start:{record.path}",
                            tech=cmd.data.get("tool"),
                            rank=40,
                            order=(1, record.path),
                            attrs={"where": "container start", "tool": cmd.data.get("tool")},
                        )
                    )
                    break
        return facts


def _start_migration(detector: Detector, path: str, line: int, instruction: str, command: str, tool: str) -> Fact:
    return Fact(
        "deploy.migration.strategy",
        text(
            "On container start: ",
            Code(path),
            f" {instruction} runs ",
            Code(command),
            "; with several replicas each one migrates, so run it once in production",
        ),
        Confidence.DECLARED,
        detector.evidence(path, line),
        item=f"start:{path}",
        tech=tool,
        rank=40,
        order=(1, path),
        attrs={"where": "container start", "tool": tool},
    )


def _arg_pairs(value: str) -> list[tuple[str, str]]:
    pairs = []
    for token in value.split():
        key, _, default = token.partition("=")
        pairs.append((key, default.strip("\"'")))
    return pairs
