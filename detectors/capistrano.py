"""Capistrano deployments (`Capfile`, `config/deploy.rb`, `config/deploy/<stage>.rb`): each stage's
servers and what a deploy runs.

Capistrano 3 loads `config/deploy.rb` and then the stage file `cap <stage> deploy` names; each
`server` (or `role`) line there is a host the release is copied to over SSH, under `deploy_to`,
from `repo_url` at `branch`. The `Capfile` says which of the plugins run on a deploy:
`capistrano/rails/migrations` migrates the database (on the `migration_role`, `db` by default,
before the new release is published). `cap <stage> deploy:rollback` points `current` back at
the previous release, of the `keep_releases` (5 by default) kept on the servers.

The files are Ruby: only the literal forms are read (`set :branch, "main"`, `set :branch,
ENV["BRANCH"] || "main"`, `server "host", roles: %w{app web}`, `role :db, %w{db1}`), each with
its line; a value computed otherwise is not known here and is not said. A stage is its
environment (`production`, `staging`). Without a Capfile that loads Capistrano, `config/deploy.rb`
is another tool's (Mina writes one too) and is not read as Capistrano's.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from infrascan.commands import quoted_deploys
from infrascan.detector import Detector, Extraction, Record, ResolveContext, SourceFile
from infrascan.envvars import is_example_host
from infrascan.model import Code, Confidence, Fact, Part, code_list, text

FILE = "capistrano.file"
DEFAULT_KEEP = 5  # releases Capistrano keeps on the servers (`keep_releases`)
_REQUIRE = re.compile(r"""^\s*require\s+['"]([\w/.-]+)['"]""")
_SET = re.compile(r"^\s*set\s+:(\w+)\s*,\s*(.+?)\s*$")
_SERVER = re.compile(r"""^\s*server\s*\(?\s*(['"])([^'"#]+)\1\s*(?:,(.*))?$""")
_ROLE = re.compile(r"^\s*role\s*\(?\s*:(\w+)\s*,\s*(.+)$")
_PARENS = re.compile(r"^\s*set\s*\(\s*:(\w+)\s*,\s*(.+)\)\s*$")
_WORDS = re.compile(r"%[wiWI]\s*[{(\[]([^})\]]*)[})\]]")
_QUOTED = re.compile(r"""(['"])([^'"#{}]*)\1""")
# Where a `role` line's options start (`primary: true`, `:user => "deploy"`): its hosts come before.
_OPTIONS = re.compile(r"""(?:^|,)\s*(?:\w+:\s|:\w+\s*=>)""")
_ROLES_ARG = re.compile(r"""(?::roles\s*=>|\broles:)\s*(%[wiWI]\s*[{(\[][^})\]]*[})\]]|\[[^\]]*\]|:\w+|['"]\w+['"])""")
# `"main"`, `:main`, `5`; `ENV["BRANCH"] || "main"`, `ENV.fetch("BRANCH", "main")`: a default a variable overrides
_LITERAL = re.compile(r"""^(?:(['"])([^'"#{}]*)\1|:(\w+)|(\d+|true|false))$""")
_ENV_DEFAULT = re.compile(r"""^ENV(?:\[\s*['"](\w+)['"]\s*\]\s*\|\|\s*(.+)
                              |\.fetch\(\s*['"](\w+)['"]\s*,\s*(.+?)\s*\))$""", re.X)
_READ = ("repo_url", "repository", "branch", "deploy_to", "keep_releases", "migration_role", "conditionally_migrate")
# `ask :branch, ...`: Capistrano prompts for the value when it deploys
_ASK = re.compile(r"^\s*ask\s*\(?\s*:(\w+)\b")
ASKED = "?"
_LOADS = ("capistrano/setup", "capistrano/deploy")
# The host of a repository URL (`git@github.com:me/app.git`, `https://github.com/me/app`).
_REPO_HOST = re.compile(r"^(?:[\w+.-]+://)?(?:[^@/]+@)?([^:/]*)")
_MIGRATES = ("capistrano/rails/migrations", "capistrano/rails")


class CapistranoDetector(Detector):
    name = "capistrano"
    version = "1"
    description = "Capistrano deployments (Capfile, config/deploy.rb, config/deploy/<stage>.rb)"
    patterns = ("**/Capfile", "**/config/deploy.rb", "**/config/deploy/*.rb")
    looks_for = {
        "ci.deploy.manual": "Capistrano stages (config/deploy/<stage>.rb)",
        "deploy.steps": "Capistrano stages' servers, repository and branch",
        "deploy.rollback.perform": "Capistrano configurations (`cap <stage> deploy:rollback`, keep_releases)",
        "deploy.migration.strategy": "capistrano/rails/migrations in the Capfile",
    }

    def extract(self, file: SourceFile) -> Extraction:
        """The literal settings, servers, roles and requires of one file, each with its line."""
        data: dict[str, Any] = {"requires": [], "settings": {}, "servers": []}
        for number, line in _statements(file.text):
            if match := _REQUIRE.match(line):
                data["requires"].append([match[1], number])
            elif (match := _SET.match(_unwrapped(line))) and match[1] in _READ:
                value = _value(match[2])
                if value is not None:
                    data["settings"][match[1]] = [*value, number]
            elif (match := _ASK.match(line)) and match[1] in _READ:
                data["settings"][match[1]] = ["", ASKED, number]
            elif match := _SERVER.match(line):
                data["servers"].append([match[2].strip(), _roles(match[3] or ""), number])
            elif match := _ROLE.match(line):
                for host in _hosts(match[2]):
                    data["servers"].append([host, [match[1]], number])
        return Extraction(records=[Record(FILE, file.path, 1, data)])

    # -- phase 2 ---------------------------------------------------------------------------------

    def resolve(self, ctx: ResolveContext) -> list[Fact]:
        out: list[Fact] = []
        for project in _projects(ctx):
            out += self._project(project)
        return out

    def conclude(self, ctx: ResolveContext, facts: Sequence[Fact]) -> list[Fact]:
        """How each project is deployed by hand, when no CI job of the repository runs `cap`."""
        projects = _projects(ctx)  # first: classifying every CI statement is the costly part
        if not projects or quoted_deploys(facts, "capistrano", self.name):
            return []
        out: list[Fact] = []
        for project in projects:
            stages = [stage for stage in project.stages if stage.servers]
            if stages:
                out.append(Fact("ci.deploy.manual",
                                text(*code_list([f"cap {stage.name} deploy" for stage in stages]),
                                     *project.where, ", run by hand from a machine with SSH access to the servers "
                                     "(no CI job of the repository runs Capistrano)"),
                                Confidence.HINT, self.evidence(project.capfile.path, project.capfile_line),
                                item=f"capistrano:manual:{project.capfile.path}"))
        return out

    def _project(self, project: _Project) -> list[Fact]:
        out: list[Fact] = []
        for stage in project.stages:
            step = self._stage(project, stage)
            if step is not None:
                out.append(step)
        if not any(stage.servers for stage in project.stages):
            return out
        keep = project.setting("keep_releases")
        kept = f"the last {keep[0]}" if keep else f"the last {DEFAULT_KEEP} by default"
        cited = [(project.capfile.path, project.capfile_line), *([(keep[2], keep[3])] if keep else [])]
        out.append(Fact("deploy.rollback.perform",
                        text(Code(f"cap {project.stage_word} deploy:rollback"), *project.where, ": Capistrano points ",
                             Code("current"), " back at the previous release, of those it keeps on the servers (",
                             kept, ")", *self._unmigrated(project)),
                        Confidence.INFERRED, tuple(e for path, line in cited for e in self.evidence(path, line)),
                        item=f"capistrano:rollback:{project.capfile.path}"))
        migrates = next((r for r in project.capfile.data["requires"] if r[0] in _MIGRATES), None)
        if migrates is not None:
            role = project.setting("migration_role")
            on = role[0] if role else "db"
            # `conditionally_migrate` skips the migration when no file under db/ changed
            conditional = project.setting("conditionally_migrate")
            when: tuple[Part, ...] = ("during every ", Code(f"cap {project.stage_word} deploy"))
            if conditional and conditional[0] == "true":
                when = ("during a ", Code(f"cap {project.stage_word} deploy"), " that changes ", Code("db/"),
                        " (", Code("conditionally_migrate"), ")")
            cited = [(project.capfile.path, migrates[1]), *((s[2], s[3]) for s in (role, conditional) if s)]
            out.append(Fact("deploy.migration.strategy",
                            text(Code("deploy:migrate"), " (", Code(f"require '{migrates[0]}'"),
                                 ") runs ", Code("rake db:migrate"), " on the ", Code(on),
                                 " role's primary server ", *when, ", before the new release is published"),
                            Confidence.DECLARED, tuple(e for path, line in cited for e in self.evidence(path, line)),
                            item=f"capistrano:migrate:{project.capfile.path}", tech="rails-migrations", rank=30))
        return out

    def _unmigrated(self, project: _Project) -> tuple[Part, ...]:
        if any(r[0] in _MIGRATES for r in project.capfile.data["requires"]):
            return ("; the database stays migrated",)
        return ()

    def _stage(self, project: _Project, stage: _Stage) -> Fact | None:
        """`cap <stage> deploy`: from which repository and branch, to which servers and roles."""
        if not stage.servers:
            return None
        repo, branch, deploy_to = (project.setting(key, stage) for key in ("repo_url", "branch", "deploy_to"))
        if repo is None:
            repo = project.setting("repository", stage)
        parts: list[Part] = [Code(f"cap {stage.name} deploy"), *project.where, ": Capistrano deploys "]
        parts += _said_branch(branch) if branch else ["the configured branch"]
        if repo and not is_example_host(_repo_host(repo[0])):
            parts += [" of ", Code(repo[0])]
        hosts = sorted({server[0] for server in stage.servers})
        roles = sorted({role for server in stage.servers for role in server[1]})
        parts += [f" to {len(hosts)} server" + ("" if len(hosts) == 1 else "s")]
        if roles:
            parts += [" (roles ", *code_list(roles), ")"]
        if deploy_to:
            parts += [" under ", Code(deploy_to[0])]
        parts += [", then points ", Code("current"), " at the new release"]
        first = stage.servers[0]
        cited = [(first[3], first[2]), *((s[2], s[3]) for s in (repo, branch, deploy_to) if s)]
        return Fact("deploy.steps", text(*parts), Confidence.DECLARED,
                    tuple(e for path, line in dict.fromkeys(cited) for e in self.evidence(path, line)),
                    item=f"capistrano:deploy:{stage.record.path}", rank=30, order=(stage.record.path, first[2]))


@dataclass
class _Stage:
    """One `config/deploy/<stage>.rb`: its environment and the servers it names (an example host,
    as the generated file's commented lines have, is none)."""

    name: str
    record: Record
    base: Record | None = None  # config/deploy.rb: its servers are every stage's too
    servers: list[list[Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        files = (self.record, *((self.base,) if self.base is not None else ()))
        # each server as [host, roles, line, path of the file that names it]
        self.servers = [[*server, record.path] for record in files for server in record.data["servers"]
                        if not is_example_host(server[0])]


@dataclass
class _Project:
    """A folder with a Capfile that loads Capistrano, its deploy.rb and its stages."""

    capfile: Record
    base: Record | None
    stages: list[_Stage]
    where: tuple[Part, ...]

    @property
    def stage_word(self) -> str:
        """The stage in a command: its name when only one stage deploys anywhere, else `STAGE`."""
        deployed = [stage.name for stage in self.stages if stage.servers]
        return deployed[0] if len(deployed) == 1 else "STAGE"

    @property
    def capfile_line(self) -> int:
        return next((int(r[1]) for r in self.capfile.data["requires"] if r[0] in _LOADS), 1)

    def setting(self, key: str, stage: _Stage | None = None) -> list[Any] | None:
        """[value, override variable, path, line]: the stage file's, else deploy.rb's."""
        for record in (stage.record if stage else None, self.base):
            if record is not None and key in record.data["settings"]:
                value = record.data["settings"][key]
                return [value[0], value[1], record.path, value[2]]
        return None


def _projects(ctx: ResolveContext) -> list[_Project]:
    """Each folder with a Capfile that loads Capistrano, its deploy.rb and its stage files."""
    by_root: dict[str, dict[str, Record]] = defaultdict(dict)
    for record in ctx.records(FILE):
        path = PurePosixPath(record.path)
        if path.name == "Capfile":
            by_root[str(path.parent)]["Capfile"] = record
        elif path.name == "deploy.rb" and path.parent.name == "config":
            by_root[str(path.parent.parent)]["deploy.rb"] = record
        elif path.parent.name == "deploy" and path.parent.parent.name == "config":
            by_root[str(path.parent.parent.parent)][f"stage:{path.stem}"] = record
    out: list[_Project] = []
    for root, files in sorted(by_root.items()):
        capfile = files.get("Capfile")
        if capfile is None or not any(r[0] in _LOADS for r in capfile.data["requires"]):
            continue
        stages = [_Stage(key.removeprefix("stage:"), record, files.get("deploy.rb"))
                  for key, record in sorted(files.items()) if key.startswith("stage:")]
        where: tuple[Part, ...] = (" (in ", Code(f"{root}/"), ")") if root not in ("", ".") else ()
        out.append(_Project(capfile, files.get("deploy.rb"), stages, where))
    return out


def _statements(source: str) -> list[tuple[int, str]]:
    """The file's statements without comments, each with the line it starts on: a statement goes
    on while its line ends with a comma or a bracket it opened is still open (`role :app, %w{`,
    one host per line)."""
    out: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, raw in enumerate(source.splitlines(), 1):
        line = _without_comment(raw).strip()
        if pending is not None:
            pending = (pending[0], f"{pending[1]} {line}")
        elif line:
            pending = (number, line)
        if pending is not None and not _continues(pending[1]):
            out.append(pending)
            pending = None
    if pending is not None:
        out.append(pending)
    return out


def _without_comment(line: str) -> str:
    """The line up to a Ruby comment: a `#` outside quotes that opens no interpolation (`#{`)."""
    quote = ""
    for index, char in enumerate(line):
        if quote:
            if char == quote and line[index - 1] != "\\":
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "#" and line[index + 1:index + 2] != "{":
            return line[:index]
    return line


def _continues(statement: str) -> bool:
    if statement.endswith((",", "\\")):
        return True
    depth = sum(statement.count(o) - statement.count(c) for o, c in ("()", "[]", "{}"))
    return depth > 0 and len(statement) < 4000  # a runaway bracket stops somewhere


def _unwrapped(statement: str) -> str:
    """`set(:branch, "main")` as `set :branch, "main"`."""
    match = _PARENS.match(statement)
    return f"set :{match[1]}, {match[2]}" if match else statement


def _value(raw: str) -> list[Any] | None:
    """[value, variable that overrides it or ""] of a literal setting, or None when computed."""
    if literal := _literal(raw):
        return [literal, ""]
    if match := _ENV_DEFAULT.match(raw.strip()):
        literal = _literal(match[2] or match[4] or "")
        if literal:
            return [literal, match[1] or match[3]]
    return None


def _literal(raw: str) -> str:
    match = _LITERAL.match(raw.strip())
    if match is None:
        return ""
    return match[2] if match[1] else match[3] or match[4]


def _repo_host(url: str) -> str:
    match = _REPO_HOST.match(url)
    return match[1] if match else ""


def _roles(args: str) -> list[str]:
    match = _ROLES_ARG.search(args)
    if match is None:
        return []
    return [word.lstrip(":").strip("'\"") for word in _words(match[1])]


def _hosts(args: str) -> list[str]:
    """The hosts of a `role` line (`%w{a b}` or quoted names, before its options), without `user@`."""
    head = _OPTIONS.split(args, maxsplit=1)[0]
    words = _WORDS.search(head)
    names = words[1].split() if words else [m[2] for m in _QUOTED.finditer(head)]
    return [name.rpartition("@")[2] for name in names if name]


def _words(raw: str) -> list[str]:
    if match := _WORDS.search(raw):
        return match[1].split()
    return [w for w in re.split(r"[\s,\[\]]+", raw) if w]


def _said_branch(branch: list[Any]) -> list[Part]:
    value, variable = branch[0], branch[1]
    if variable == ASKED:
        return ["the branch it asks for at deploy time"]
    if variable:
        return ["branch ", Code(value), " (unless ", Code(variable), " names another)"]
    return ["branch ", Code(value)]

