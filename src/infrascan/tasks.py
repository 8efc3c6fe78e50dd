"""Resolving indirect commands (`npm test`, `make deploy`, `just e2e`) through recorded targets.

The scripts detector records every package.json and composer.json script, Makefile/justfile/Taskfile
target and pyinvoke task with its commands, classified. Phase-2 resolvers use this index to see through a pipeline's
`npm run e2e` to the `playwright test` it runs, following chains (`npm test` -> `npm run unit` ->
`jest`) with a depth guard. Workspace flags (`pnpm --dir ui --filter @acme/web test`, `yarn
workspace web test`) say which package.json a script comes from, whichever CI file runs it.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cache
from importlib import resources
from pathlib import PurePosixPath
from typing import Any

from infrascan.commands import Classification, classify, strip_wrappers
from infrascan.detector import Record, ResolveContext
from infrascan.source import near_folder
from infrascan.yamlload import load_table

_RUNNER = {"npm": "npm", "make": "make", "just": "just", "task": "task", "composer": "composer", "rake": "rake",
           "invoke": "invoke"}
_NX_MANY = frozenset({"run-many", "affected"})
_NX_TARGET_FLAGS = frozenset({"-t", "--target", "--targets"})
_NX_PROJECT_FLAGS = frozenset({"-p", "--projects", "--project"})
_NX_EXCLUDE_FLAGS = frozenset({"--exclude"})
_WORKSPACE_FLAG = re.compile(
    r"^(?P<runner>npm|pnpm|yarn|bun)\s+(?P<flags>(?:(?:--filter|-F|--dir|-C|--prefix|--workspace|-w|--cwd)(?:=|\s+)\S+\s+)+)"
)
_WORKSPACE_ARG = re.compile(r"(--filter|-F|--dir|-C|--prefix|--workspace|-w|--cwd)(?:=|\s+)(\S+)")
_DIRECTORY_FLAGS = frozenset({"--dir", "-C", "--prefix", "--cwd"})
# npm's own options that take a value in the next word: its workspace ones and a few more
_NPM_VALUED = frozenset({"-w", "--workspace", "--prefix", "-C", "--loglevel", "--userconfig", "--cache"})
_YARN_WORKSPACE = re.compile(r"^yarn\s+workspace\s+(?P<ws>\S+)\s+(?:run\s+)?(?P<rest>.+)$")
_RUN_WORD = re.compile(r"^(?:run\s+)")
_COMPOSER_DIR_FLAGS = frozenset({"-d", "--working-dir"})


@cache
def nx_plugins() -> dict[str, dict[str, Any]]:
    """Nx plugins that infer targets (data/nx_plugins.yaml): the file a project must hold, and the
    targets it then gets, each as the command it amounts to."""
    text = resources.files("infrascan").joinpath("data/nx_plugins.yaml").read_text(encoding="utf-8")
    return {str(k): dict(v) for k, v in (load_table(text) or {}).items()}


@dataclass(frozen=True)
class Resolved:
    """A concrete classification reached through a chain of targets, with the target's location."""

    classification: Classification
    via: tuple[str, ...]  # "package.json:test", ...
    path: str
    line: int


class TaskIndex:
    def __init__(self, ctx: ResolveContext) -> None:
        self._targets: dict[tuple[str, str], list[tuple[str, Record]]] = {}
        # package.json scripts by name, for workspace selectors (`--filter web`) and turbo fan-out.
        self.npm_scripts: dict[str, list[Record]] = {}
        # Nx projects: each one's directory and its project.json tags (`--projects=tag:service`).
        self._nx_dirs: dict[str, str] = {}
        self._nx_tags: dict[str, set[str]] = defaultdict(set)
        for record in ctx.records("task.target"):
            key = (record.data["runner"], record.data["name"])
            self._targets.setdefault(key, []).append((target_home(record), record))
            if key[0] == "npm":
                self.npm_scripts.setdefault(key[1], []).append(record)
            elif key[0] == "nx":
                project = key[1].partition(":")[0]
                self._nx_dirs.setdefault(near_folder(record.path), project)
                self._nx_tags[project].update(record.data.get("tags", ()))
        plugins = ctx.records("task.nx-plugin")
        if plugins:
            self._infer_nx_targets(plugins, ctx.files)

    def _infer_nx_targets(self, plugins: list[Record], files: list[str]) -> None:
        """The targets nx.json's plugins give projects that hold their file (a `container` target
        per project with a Dockerfile), unless project.json writes a target of that name itself.
        Each is a record of the file it comes from (the Dockerfile), so what it runs cites that."""
        listed = set(files)
        for plugin in plugins:
            spec = nx_plugins().get(str(plugin.data.get("plugin")))
            if spec is None:
                continue
            for directory, project in self._nx_dirs.items():
                held = f"{directory}/{spec['file']}" if directory else str(spec["file"])
                if held not in listed:
                    continue
                for target, command in spec["targets"].items():
                    key = ("nx", f"{project}:{target}")
                    if key in self._targets:
                        continue
                    data = {"runner": "nx", "name": key[1], "commands": [{"command": str(command), "line": 1}]}
                    self._targets[key] = [(directory, Record("task.target", held, 1, data))]

    def find(self, runner: str, name: str, near: str = "") -> Record | None:
        """The target a command run in directory `near` would use: its own file, or (as npm and
        make -C do not) nothing from a sibling directory. The deepest enclosing file wins."""
        near_dir = near.strip("/")
        best: tuple[int, str, Record] | None = None
        for directory, record in self._targets.get((runner, name), []):
            if directory and near_dir != directory and not near_dir.startswith(directory + "/"):
                continue
            key = (-len(directory), record.path, record)
            if best is None or key[:2] < best[:2]:
                best = key
        return best[2] if best else None

    def nx_records(self, arguments: str) -> list[Record]:
        """The project.json targets an `nx` command line runs (its arguments after `nx`):
        `run web:test`, `test web`, `web:test`, or every project's `-t lint,test` for `run-many`
        and `affected`, narrowed by `--projects` and `--exclude` (`_nx_selected`; `affected` is taken
        as every project, since what changed is not known). Nx projects are global names: where the
        command runs does not matter."""
        try:
            words = shlex.split(arguments)
        except ValueError:
            words = arguments.split()
        if not words:
            return []
        if words[0] in _NX_MANY:
            targets = _flag_values(words[1:], _NX_TARGET_FLAGS)
            chosen = self._nx_selected(_flag_values(words[1:], _NX_PROJECT_FLAGS),
                                       _flag_values(words[1:], _NX_EXCLUDE_FLAGS))
            wanted = [
                record
                for (runner, name), found in self._targets.items()
                if runner == "nx" and name.partition(":")[2] in targets and name.partition(":")[0] in chosen
                for _, record in found
            ]
            return sorted(wanted, key=lambda r: (r.path, r.line))
        if words[0] == "run" and len(words) > 1:
            spec = words[1]
        elif len(words) > 1 and not words[1].startswith("-") and ":" not in words[0]:
            spec = f"{words[1]}:{words[0]}"  # `nx test web`
        else:
            spec = words[0]  # `nx web:test`
        project, _, rest = spec.partition(":")
        # `web:build:production` is target `build` with a configuration, unless a target is named so.
        for name in (f"{project}:{rest}", f"{project}:{rest.rpartition(':')[0]}"):
            found = self._targets.get(("nx", name))
            if found:
                return [found[0][1]]
        return []

    def _nx_selected(self, projects: list[str], excludes: list[str]) -> set[str]:
        """The Nx projects `--projects` and `--exclude` leave: names, globs and `tag:x` (project.json
        `tags`), excludes in order with `!` taking a pattern back (`--exclude='*,!tag:container'`
        keeps the projects tagged `container`, none when no project is)."""
        tags = self._nx_tags
        names = set(tags)
        if not projects and not excludes:
            return names
        chosen = {p for p in names if any(_nx_matches(pattern, p, tags[p]) for pattern in projects)} \
            if projects else names
        excluded: set[str] = set()
        for pattern in excludes:
            hit = {p for p in names if _nx_matches(pattern.lstrip("!"), p, tags[p])}
            excluded = excluded - hit if pattern.startswith("!") else excluded | hit
        return chosen - excluded

    def resolve(
        self, classification: Classification, near: str = "", depth: int = 0, via: tuple[str, ...] = ()
    ) -> list[Resolved]:
        if classification.kind != "indirect" or depth > 5:
            return []
        script = str(classification.detail.get("script", ""))
        if classification.tool == "nx":
            return [r for record in self.nx_records(script) for r in self._follow(record, script, depth, via)]
        runner = _RUNNER.get(classification.tool)
        if runner is None or not script:
            return []
        if runner in ("npm", "composer"):
            near = workspace(classification.command, near, self.npm_scripts)[1]
        record = self.find(runner, script, near)
        if record is None:
            return []
        return self._follow(record, script, depth, via)

    def _follow(self, record: Record, script: str, depth: int, via: tuple[str, ...]) -> list[Resolved]:
        """A target's commands, classified, with indirect ones followed further."""
        label = f"{record.path}:{record.data.get('name') or script}"
        if label in via:
            return []
        out: list[Resolved] = []
        commands: list[dict[str, Any]] = record.data.get("commands", [])
        for command in commands:
            for found in classify(command["command"]):
                if found.kind == "indirect":
                    out.extend(
                        self.resolve(found, target_home(record), depth + 1, (*via, label))
                    )
                else:
                    out.append(Resolved(found, (*via, label), record.path, int(command["line"])))
        return out


def target_home(record: Record) -> str:
    """The directory a target serves, where its commands run: its file's, unless the reader that
    recorded it says (`home`: a rake task's Rails application, whose `lib/tasks` holds it)."""
    home = record.data.get("home")
    return str(home) if home is not None else near_folder(record.path)


def workspace(command: str, wd: str, targets: Mapping[str, list[Record]]) -> tuple[str, str]:
    """`pnpm --filter web run test` -> (`pnpm run test`, the web package's directory), `composer -d
    backend test` -> (itself, `backend`); env-file
    wrappers (`dotenv -e .env --`) dropped. Without it a script of a workspace package is looked
    for beside the CI file and not found (database-lab-engine's `pnpm --dir ui/ --filter
    @postgres.ai/ce cy:run` is its Cypress run)."""
    near = wd.strip("./")
    command = strip_wrappers(command)
    if command.startswith("composer "):
        return command, _composer_dir(command, near)
    yarn = _YARN_WORKSPACE.match(command)
    if yarn:
        return f"yarn run {yarn['rest']}", _package_dir(yarn["ws"], yarn["rest"].split()[0], targets) or near
    match = _WORKSPACE_FLAG.match(command)
    if not match:
        return command, near
    rest = command[match.end() :]
    script = _RUN_WORD.sub("", rest).split(" ", 1)[0]
    for flag in _WORKSPACE_ARG.finditer(match["flags"]):
        value = flag.group(2).strip("'\"")
        in_directory = flag.group(1) in _DIRECTORY_FLAGS
        near = value.strip("./") if in_directory else _package_dir(value, script, targets) or near
    return f"{match['runner']} {rest}", near


def script_arguments(command: str, script: str) -> str:
    """What the runner hands a package.json script of what follows its name: yarn, pnpm and bun
    pass everything; npm keeps the options written before `--` for itself (`npm run deploy --prod`
    runs `vercel deploy`, not `vercel deploy --prod`) and passes the rest (`--` dropped)."""
    words = strip_wrappers(command).split()  # after `CI=true` and the like
    if script not in words:
        return ""
    rest = words[words.index(script) + 1 :]
    if "--" in rest:
        cut = rest.index("--")
        before, after = rest[:cut], rest[cut + 1 :]
    else:
        before, after = rest, []
    if words and words[0] == "npm":
        kept: list[str] = []
        skip = False
        for word in before:
            if skip:
                skip = False
            elif word.startswith("-"):
                skip = word in _NPM_VALUED  # `-w web`: the option's value is npm's too
            else:
                kept.append(word)
        before = kept
    return " ".join([*before, *after])


def _composer_dir(command: str, wd: str) -> str:
    """The directory whose composer.json `composer -d backend test` (or `--working-dir=backend`)
    reads: its option's value, taken from where the command runs; `wd` without one."""
    words = command.split()
    for index, word in enumerate(words[1:], 1):
        flag, equals, value = word.partition("=")
        if flag in _COMPOSER_DIR_FLAGS:
            value = value if equals else (words[index + 1] if index + 1 < len(words) else "")
            joined = posixpath.normpath(posixpath.join(wd or ".", value))
            return "" if joined == "." else joined.strip("/")
        if not word.startswith("-"):
            break  # the script: options after it are its own
    return wd


def _package_dir(selector: str, script: str, targets: Mapping[str, list[Record]]) -> str | None:
    """The directory of the workspace package a `--filter` names: by its package.json name
    (`@redash/viz` -> viz-lib), else by its directory (`@langfuse/shared` -> packages/shared)."""
    selector = selector.rstrip(".^").strip("{}")
    name = selector.split("/")[-1]
    candidates = targets.get(script, [])
    named = [r for r in candidates if r.data.get("package") == selector]
    for record in named or candidates:
        directory = PurePosixPath(record.path).parent
        if named or directory.name == name or str(directory) == selector.strip("./"):
            return str(directory)
    return None


def _nx_matches(pattern: str, project: str, tags: set[str]) -> bool:
    """An Nx project pattern: `tag:x` matches a tag, anything else the project's name (globs too)."""
    if pattern.startswith("tag:"):
        return any(fnmatchcase(tag, pattern[4:]) for tag in tags)
    return fnmatchcase(project, pattern)


def _flag_values(words: list[str], flags: frozenset[str]) -> list[str]:
    """`--targets=lint,test`, `-t lint,test` and `-t lint test build` (Nx 16+): the values of any
    of `flags`, comma- or space-separated, up to the next option."""
    values: list[str] = []
    for index, word in enumerate(words):
        flag, equals, value = word.partition("=")
        if flag not in flags:
            continue
        if equals:
            values.extend(v for v in value.split(",") if v)
            continue
        for following in words[index + 1 :]:
            if following.startswith("-"):
                break
            values.extend(v for v in following.split(",") if v)
    return values
