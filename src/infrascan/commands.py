"""The command classifier: what a shell line in a pipeline, script or container start does.

Pipelines, Dockerfiles, compose files, Procfiles and task runners all end in shell commands;
this is the one place that reads them. Recognisers are data (`data/commands/*.yaml`, read in file
name order); this module splits scripts into simple commands, strips wrappers (`sudo`, `FOO=bar`,
`sh -c '...'`, `docker compose run web ...`), applies the rules, and refines test levels.

Rule keys: id, kind (build, push, test, deploy, rollback, migrate, migrate-rollback, verify,
indirect), tool (a catalog id where there is one), pattern (a Python regex searched in one simple
command), and optionally level (tests: unit, integration, e2e, performance), target (deploys),
unless (a regex that vetoes the match), automatic (a rollback that happens by itself). Rules are
tried in order; at most one rule per kind matches a command. tests/test_commands.py holds the
table of real-world command lines, negatives included, that pins every rule.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

KINDS = ("build", "push", "test", "deploy", "rollback", "migrate", "migrate-rollback", "verify", "indirect")


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    tool: str
    pattern: re.Pattern[str]
    unless: re.Pattern[str] | None = None
    level: str | None = None
    target: str | None = None
    automatic: bool = False


@dataclass(frozen=True)
class Classification:
    kind: str
    tool: str
    rule: str
    command: str
    level: str | None = None
    target: str | None = None
    automatic: bool = False
    detail: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Command:
    """One simple command from a script, with its 0-based line offset inside that script."""

    text: str
    offset: int


@cache
def rules() -> tuple[Rule, ...]:
    folder = resources.files("infrascan").joinpath("data/commands")
    entries: list[dict[str, Any]] = []
    for item in sorted(folder.iterdir(), key=lambda i: i.name):
        if item.name.endswith(".yaml"):
            entries.extend(yaml.load(item.read_bytes(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or [])
    out = []
    for e in entries:
        out.append(
            Rule(
                id=e["id"],
                kind=e["kind"],
                tool=e["tool"],
                pattern=re.compile(e["pattern"]),
                unless=re.compile(e["unless"]) if e.get("unless") else None,
                level=e.get("level"),
                target=e.get("target"),
                automatic=bool(e.get("automatic", False)),
            )
        )
    return tuple(out)


_INTEGRATION = re.compile(
    r"(?i)(?:\bintegration\b|\bintegration[-_]?tests?\b|\bit[-_]tests?\b|[-_:]it\b|-m\s+['\"]?integration"
    r"|-tags[= ]['\"]?integration|\btestcontainers\b|integrationTest|failsafe|\bIT\b)"
)
_E2E = re.compile(r"(?i)(?:\be2e\b|end[-_ ]to[-_ ]end|\bacceptance\b|\bsystem[-_]tests?\b|\bbrowser[-_]tests?\b)")
_WRAPPERS = re.compile(
    r"^(?:(?:sudo(?:\s+-\S+)*|time|exec|nohup|env(?:\s+-\S+)*|npx(?:\s+--yes|\s+-y)?|bunx|pnpx|"
    r"(?:pnpm|yarn)\s+(?:exec|dlx)|bundle\s+exec|poetry\s+run|uv\s+run|pipenv\s+run|pdm\s+run|hatch\s+run"
    r"|dotenv(?:\s+-\S+)*\s+--)\s+|[A-Za-z_][A-Za-z0-9_]*=(?:\"[^\"]*\"|'[^']*'|\S*)\s+)+"
)
_SHELL_C = re.compile(
    r"""^(?:/bin/|/usr/bin/)?(?:ba|z|da)?sh\s+(?:-[a-z]+\s+)*-[a-z]*c\s+(?P<q>["'])(?P<body>.*)(?P=q)\s*$""", re.S
)
_CONTAINER_RUN = re.compile(
    r"^(?:docker(?:-|\s+)compose|podman-compose|docker|kubectl)\b(?:\s+-[\w-]+(?:[= ]\S+)?)*\s+(?:run|exec)\b"
    r"(?:\s+-[\w-]+(?:[= ](?!-)\S+)?)*\s+(?P<service>[\w.\-/:]+)\s+(?:--\s+)?(?P<rest>.+)$"
)
_SKIP = re.compile(r"^(?:echo|printf|cat|#|:|true|false|set|export\s+\w+=|cd|mkdir|rm|cp|mv|ls|test|\[)\b")


def split_commands(script: str) -> list[Command]:
    """Splits a shell script into simple commands (newlines, `&&`, `||`, `;`), keeping offsets."""
    commands: list[Command] = []
    lines = script.splitlines()
    i = 0
    while i < len(lines):
        start = i
        line = lines[i]
        while line.rstrip().endswith("\\") and i + 1 < len(lines):
            i += 1
            line = line.rstrip()[:-1] + " " + lines[i].strip()
        i += 1
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        for part in _split_operators(stripped):
            part = part.strip()
            if part:
                commands.append(Command(part, start))
    return commands


def _split_operators(line: str) -> list[str]:
    """Splits on &&, || and ; outside quotes."""
    parts: list[str] = []
    buf: list[str] = []
    quote = ""
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            buf.append(ch)
            if ch == quote:
                quote = ""
            elif ch == "\\" and quote == '"' and i + 1 < len(line):
                buf.append(line[i + 1])
                i += 1
        elif ch in "\"'":
            quote = ch
            buf.append(ch)
        elif line.startswith(("&&", "||"), i):
            parts.append("".join(buf))
            buf = []
            i += 1
        elif ch == ";":
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    parts.append("".join(buf))
    return parts


def unwrap(command: str, depth: int = 0) -> list[str]:
    """The commands that actually run: `sh -c '...'` opened, wrappers and env prefixes removed."""
    command = _WRAPPERS.sub("", command.strip())
    if depth < 3:
        match = _SHELL_C.match(command)
        if match:
            return [c for part in split_commands(match.group("body")) for c in unwrap(part.text, depth + 1)]
        match = _CONTAINER_RUN.match(command)
        if match:
            return [command, *unwrap(match.group("rest"), depth + 1)]
    return [command]


def _refine_level(rule: Rule, command: str) -> str | None:
    if rule.kind != "test" or rule.level in ("e2e", "performance"):
        return rule.level
    if _E2E.search(command):
        return "e2e"
    if _INTEGRATION.search(command):
        return "integration"
    return rule.level


def classify(command: str) -> list[Classification]:
    """Every recogniser that matches one simple command; at most one per kind."""
    results: list[Classification] = []
    seen_kinds: set[str] = set()
    for cmd in unwrap(command):
        if _SKIP.match(cmd):
            continue
        for rule in rules():
            if rule.kind in seen_kinds:
                continue
            match = rule.pattern.search(cmd)
            if not match or (rule.unless and rule.unless.search(cmd)):
                continue
            detail: dict[str, Any] = {}
            if rule.kind == "indirect":
                detail["script"] = match.group("script")
            detail.update(_deploy_detail(rule, cmd))
            results.append(
                Classification(
                    rule.kind, rule.tool, rule.id, cmd, _refine_level(rule, cmd), rule.target, rule.automatic, detail
                )
            )
            seen_kinds.add(rule.kind)
    if any(r.kind != "indirect" for r in results):
        results = [r for r in results if r.kind != "indirect"]
    return results


def _deploy_detail(rule: Rule, cmd: str) -> dict[str, Any]:
    """Arguments that name where a deploy goes: config files, app names, namespaces, var files."""
    if rule.kind not in ("deploy", "build", "push", "rollback", "verify"):
        return {}
    try:
        argv = shlex.split(cmd, posix=True)
    except ValueError:
        argv = cmd.split()
    detail: dict[str, Any] = {}
    flags = {
        "-f": "files",
        "--values": "files",
        "-c": "config",
        "--config": "config",
        "-a": "app",
        "--app": "app",
        "-n": "namespace",
        "--namespace": "namespace",
        "-var-file": "var_files",
        "--var-file": "var_files",
        "-t": "tags",
        "--tag": "tags",
        "--env": "env_flag",
        "--environment": "env_flag",
        "--stage": "stage",
        "-s": "stage",
        "--project": "project",
        "--prod": "prod",
    }
    i = 0
    while i < len(argv):
        arg = argv[i]
        key, _, inline = arg.partition("=")
        if key in flags:
            name = flags[key]
            if name == "prod":
                detail["prod"] = True
            else:
                value = inline or (argv[i + 1] if i + 1 < len(argv) else "")
                if not inline:
                    i += 1
                detail.setdefault(name, []).append(value)
        i += 1
    return detail
