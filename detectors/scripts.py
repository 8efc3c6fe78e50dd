"""Shell scripts and task runners: the commands that pipelines and containers call indirectly.

`npm test`, `make deploy` and `ENTRYPOINT ["./docker-entrypoint.sh"]` say nothing by themselves;
what they run lives in package.json scripts, Makefile/justfile/Taskfile targets, shell scripts
and the small Node scripts that call `execSync('prisma migrate deploy')`. This detector records
those commands (classified) so that other detectors resolve the indirection in phase 2. A
script nobody calls is not a step, so the one statement of its own comes last (`conclude`): test
suites that scripts and runner configurations show and that no pipeline runs (`suites.py`).

`StartResolver` is that phase-2 resolution for container start commands, shared by the
Dockerfile and compose detectors: it follows a start command through package.json scripts
(`npm run`, `npm-run-all`, `deno task`), script files (found by their path in the repository or
by where a Dockerfile copied them) and the scripts those call, and reports the migrations it
reaches and the way there.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from pathlib import PurePosixPath
from typing import Any

from infrascan.commands import argv, classify, split_commands
from infrascan.detector import Detector, Extraction, Record, ResolveContext, SourceFile
from infrascan.globs import compile_globs
from infrascan.model import Fact
from infrascan.shellarms import FUNCTION_CALL, Arm, arm_label_stripped, called_functions, shell_arms, shell_functions
from infrascan.source import near_folder
from infrascan.tasks import TaskIndex, nx_plugins, target_home
from infrascan.yamlload import YDict, YList, as_list, line_of, load_table

from .suites import unrun_suites

_MAKE_TARGET = re.compile(r"^([A-Za-z0-9_][A-Za-z0-9_./%-]*)\s*::?(?![:=])(.*)$")  # `::`: a double-colon rule
_JUST_RECIPE = re.compile(r"^@?([A-Za-z0-9_][A-Za-z0-9_-]*)(?:\s+[^:=]*)?:(?!=)(.*)$")
# Calls in Node scripts that run a shell command given as a string literal.
_NODE_EXEC = re.compile(
    r"\b(?:execSync|exec|execa|execaSync|execaCommand|execaCommandSync|spawnSync|spawn|execFileSync)\s*\(\s*"
    r"(?P<q>['\"`])(?P<cmd>(?:(?!(?P=q)).){1,400})(?P=q)(?:\s*,\s*\[(?P<args>[^\]]{0,400})\])?"
)
_SHELL_NAMES = frozenset({"sh", "bash", "zsh", "dash", "ash"})
_SCRIPT_SUFFIXES = (".sh", ".bash", ".js", ".mjs", ".cjs", ".ts", ".mts")
_QUOTING = str.maketrans("", "", "'\"\\")
_C_FLAG = re.compile(r"-\w*c")
_SPACE = re.compile(r"\s")
# Files a `bin/` directory also holds that no one runs: images, fonts, archives, compiled programs
# (miniflux's icons under `static/bin/` were 16 "binary content" warnings).
_ASSETS = frozenset({
    ".png", ".jpg", ".jpeg", ".gif", ".ico", ".svg", ".webp", ".bmp", ".ttf", ".otf", ".woff", ".woff2",
    ".eot", ".pdf", ".zip", ".gz", ".tgz", ".xz", ".jar", ".war", ".class", ".exe", ".dll", ".so",
    ".dylib", ".wasm", ".mp3", ".mp4",
})
_SHELL_SHEBANG = re.compile(r"\b(?:ba|z|da|k)?sh\b")
_QUOTED_ARG = re.compile(r"""['"`]([^'"`]*)['"`]""")
# A record of the first line of a shell script that does more than migrate, wait or call a script:
# a record kind of its own, as every reader of `script.command` records takes them for commands.
MORE = "script.more"
_KEYWORD = re.compile(r"^(?:then|do|else|elif|\{|\()\s+")
# Script lines that neither migrate nor start anything: shell settings, messages, waiting for a database.
_NEUTRAL = re.compile(
    r"(?:set|echo|printf|sleep|cd|export|unset|true|false|:|exit|source|\.|local|readonly|trap|umask|shift|done|fi"
    r"|esac|until|while|if|for|then|do|else|elif|test|\[\[?|\}|\))(?:\s|;|$)|.*\bwait[_-]?for|.*\bpg_isready\b|.*\bnc\s+-z\b|dockerize\s+-wait\b")
_RUN_ALL = re.compile(r"^(?:npx\s+)?(?:npm-run-all2?|run-s|run-p)\b(?P<args>.*)$")
# A package.json script or task whose name says it migrates (`migrate`, `db:migrate`, `migrate:deploy`).
_MIGRATE_NAME = re.compile(r"(?i)(?:^|[:_\-])(?:migrate|migrations?)(?:$|[:_\-])")
MAX_DEPTH = 6
# uWSGI options that run a command at a point of its start (`exec-asap`, `exec-pre-app`) and hooks
# whose action is a command (`hook-pre-app = exec:...`); `unix:`/`mount:` actions are not commands.
_UWSGI_EXEC = re.compile(r"^\s*(?:exec-[\w-]+|hook-[\w-]+\s*=\s*exec)\s*[=:]\s*(?P<command>\S.*)$")
# Where s6-overlay (an image whose ENTRYPOINT is its `/init`, as in paperless-ngx and the
# linuxserver.io images) finds what it runs at start: s6-rc services, legacy cont-init scripts and
# services. Their paths inside the image are fixed; the group is that path.
_S6_START = re.compile(r"(?:^|/)(/?etc/(?:s6-overlay/s6-rc\.d/[^/]+/run|cont-init\.d/[^/]+|services\.d/[^/]+/run))$")
S6_INIT = re.compile(r"^\s*(?:\[\s*)?[\"']?/init[\"']?\s*(?:\]\s*)?$")


def _classified(command: str) -> list[dict[str, Any]]:
    return [
        {
            "kind": c.kind,
            "tool": c.tool,
            "level": c.level,
            "target": c.target,
            "command": c.command,
            "rule": c.rule,
            "automatic": c.automatic,
            "detail": c.detail,
        }
        for c in classify(command)
    ]


_IF = re.compile(r"^\s*(el)?if\s+(.+?)\s*(?:;\s*then\b\s*(.*))?$")
_ELSE = re.compile(r"^\s*else\b")
_FI = re.compile(r"^\s*fi\b|;\s*fi\s*$")


def shell_guards(text: str) -> dict[int, str]:
    """The `if` condition each line of a shell script runs under (1-based lines; the innermost),
    for lines inside an `if` block: Rails' docker-entrypoint migrates only `if [ "${1}" ==
    "./bin/rails" ] && [ "${2}" == "server" ]`, so a worker from the same image does not."""
    guards: dict[int, str] = {}
    stack: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        match = _IF.match(line)
        if match:
            condition = match.group(2).rstrip(" ;")  # `if [[ ... ]];` with `then` on the next line
            if match.group(1) and stack:  # elif: another branch of the same block
                stack[-1] = condition
            elif not match.group(1):
                stack.append(condition)
            if match.group(3):  # `if c; then cmd; fi` on one line
                guards[number] = stack[-1]
            if _FI.search(line) and stack:
                stack.pop()
            continue
        if _ELSE.match(line) and stack:
            stack[-1] = f"! ({stack[-1]})"
            continue
        if _FI.search(line) and stack:
            if line.strip() != "fi":  # `cmd; fi`: the command still runs under it
                guards[number] = stack[-1]
            stack.pop()
            continue
        if stack and line.strip():
            guards[number] = stack[-1]
    return guards


_TEST_ARGUMENT = re.compile(
    r"""^(?:\[\[?|test)\s+"?\$(?:(\d)|\{(\d+)\}|\{@:\s*(-\d+):1\})"?\s+(==?|!=)\s+(["']?)(.*?)\5\s*(?:\]\]?)?$""")


def guard_meets(guard: str, args: Sequence[str]) -> bool | None:
    """Whether a script's `if` condition holds for these arguments (`[ "$1" = 'uwsgi' ]`, Rails'
    `[ "${@: -2:1}" == "./bin/rails" ]`, joined by `&&`, negated by an `else`); None when it tests
    anything else, which cannot be known here."""
    guard = guard.strip()
    if guard.startswith("! (") and guard.endswith(")"):
        inner = guard_meets(guard[3:-1], args)
        return None if inner is None else not inner
    results = []
    for term in guard.split("&&"):
        match = _TEST_ARGUMENT.match(term.strip())
        if match is None:
            return None
        if match.group(3):  # `${@: -2:1}`: the second argument from the end
            index = int(match.group(3))
        else:
            index = int(match.group(1) or match.group(2)) - 1
            if index < 0:  # `$0` is the script's own name
                return None
        value = args[index] if -len(args) <= index < len(args) else ""
        results.append((value == match.group(6)) == (match.group(4) != "!="))
    return all(results)


_RAKE_DEPTH = 16
# `namespace :db do`, `db_namespace = namespace :db do`
_RAKE_NAMESPACE = re.compile(r"^(?:(?P<var>\w+)\s*=\s*)?namespace\s*\(?\s*[:'\"](?P<name>\w+)['\"]?\s*\)?\s+do\b")
_RUBY_END = re.compile(r"end\b")
_RUBY_BLOCK_OPENS = re.compile(r"\bdo\s*(?:\|[^|]*\|)?\s*$")
# `task :prepare do`, `task chatwoot_prepare: :load_config do`, `task prepare: [:a, :b] do`
_RAKE_TASK = re.compile(r"^task\s*\(?\s*(?::(?P<sym>\w+)|(?P<key>\w+):|['\"](?P<str>[\w:]+)['\"])")
# what a task invokes: `Rake::Task['db:migrate'].invoke`, `db_namespace['migrate'].invoke`
_RAKE_INVOKE = re.compile(r"(?:Rake::Task|(?P<var>\w+))\[\s*['\"](?P<task>[\w:]+)['\"]\s*\]\.(?:invoke|execute)\b")
# and the shell commands it runs: `sh "bin/rails db:migrate"`, `system("...")`
_RAKE_SHELL = re.compile(r"^(?:sh|system)\s*\(?\s*(['\"])(?P<command>[^'\"]+)\1")


def _rake_commands(line: str, aliases: dict[str, str]) -> list[str]:
    """The commands one line of a rake task runs: each task it invokes as `rake <task>`."""
    out = []
    for match in _RAKE_INVOKE.finditer(line):
        var = match.group("var")
        if var is None:
            out.append(f"rake {match.group('task')}")
        elif var in aliases:
            out.append(f"rake {aliases[var]}:{match.group('task')}")
    shell = _RAKE_SHELL.match(line)
    if shell:
        out.append(shell.group("command"))
    return out


# `from invoke import task` or `import invoke`: a tasks.py of invoke's, not of Celery's
_INVOKE_IMPORT = re.compile(r"(?m)^\s*(?:from\s+invoke\s+import\b|import\s+invoke\b)")


def _invoke_task(node: ast.FunctionDef) -> str | None:
    """The name invoke runs a function decorated `@task`, `@task(...)` or `@invoke.task` by: the
    decorator's `name=`, else the function's name with dashes for underscores; None if not a task."""
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if (isinstance(target, ast.Name) and target.id == "task") or (
                isinstance(target, ast.Attribute) and target.attr == "task"
                and isinstance(target.value, ast.Name) and target.value.id == "invoke"):
            named = next((k.value.value for k in getattr(decorator, "keywords", ())
                          if k.arg == "name" and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)),
                         None)
            return named or _task_name(node.name)
    return None


def _invoke_pre(decorator: ast.expr) -> list[str]:
    """The tasks `@task(pre=[a, b])` (or `@task(a, b)`) runs first."""
    if not isinstance(decorator, ast.Call):
        return []
    listed: list[ast.expr] = list(decorator.args)
    for keyword in decorator.keywords:
        if keyword.arg == "pre" and isinstance(keyword.value, (ast.List, ast.Tuple)):
            listed.extend(keyword.value.elts)
    return [item.id for item in listed if isinstance(item, ast.Name)]


def _task_name(function: str) -> str:
    """The name invoke runs a task function by: underscores become dashes."""
    return function.strip("_").replace("_", "-")


def _literal(node: ast.expr) -> str | None:
    """A command as written: a string, or an f-string with `${name}` where it interpolates."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                parts.append(value.value)
            elif isinstance(value, ast.FormattedValue):
                parts.append("${" + (ast.unparse(value.value) if isinstance(value.value, ast.Name) else "value") + "}")
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):  # "a " + "b" over lines
        # flattened without recursion: a chain of thousands of `+` is one line deep per term
        terms: list[ast.expr] = []
        while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            terms.append(node.right)
            node = node.left
        terms.append(node)
        pieces: list[str] = []
        for term in reversed(terms):
            piece = _literal(term) if not isinstance(term, ast.BinOp) else None
            if piece is None:
                return None
            pieces.append(piece)
        return "".join(pieces)
    return None


def argv_script(argv: Iterable[Any]) -> str:
    """An exec-form command as the shell line it runs: `["sh", "-c", "a && b"]` is `a && b`."""
    words = [str(a) for a in argv]
    if len(words) >= 3 and PurePosixPath(words[0]).name in _SHELL_NAMES and _C_FLAG.fullmatch(words[1]):
        return words[2]
    return " ".join(_quoted(w) for w in words)


def _quoted(word: str) -> str:
    """A word as a shell line would hold it: quoted when it has a space, with the quote it lacks
    (getsentry's healthcheck passes `python3 -c` a script full of single quotes)."""
    if not _SPACE.search(word):
        return word
    if "'" not in word:
        return f"'{word}'"
    return f'"{word}"' if '"' not in word else word


def shell_body(command: str) -> str | None:
    """The script inside `sh -c '...'`, or None when the command is not a shell given a script."""
    if "sh" not in command.translate(_QUOTING):  # every shell's name has it: no need to split words
        return None
    words = argv(command)
    body = argv_script(words)
    return body if len(words) >= 3 and body == words[2] else None


# The folders a container's PATH holds by default, where a COPY puts a command to run by name.
_PATH_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")


def script_tokens(command: str) -> list[str]:
    """Words of a command that may name a script file (`./docker-entrypoint.sh`, `bin/setup`)."""
    # Splitting into words only drops quotes and backslashes, so a word with a `/` or a script
    # suffix needs one in the command without them: most commands are answered without shlex.
    bare = command.translate(_QUOTING)
    if "/" not in bare and not any(suffix in bare for suffix in _SCRIPT_SUFFIXES):
        return []
    found = []
    for word in argv(command):
        if word.startswith("-") or "://" in word or "=" in word:
            continue
        if "$" in word:
            # a variable folder and a script named for migrating (homarr's `node
            # ./db/migrations/$DB_DIALECT/migrate.cjs`): no file is found by it, but its name says what
            # it does. Not any such word: `. "$APP_HOME/env.sh"` is no call of a script infrascan can follow.
            name = word.rpartition("/")[2]
            if "$" not in name and name.endswith(_SCRIPT_SUFFIXES) and _MIGRATE_NAME.search(PurePosixPath(name).stem):
                found.append(word)
            continue
        if word.endswith(_SCRIPT_SUFFIXES) or "/" in word:
            found.append(word)
    return found


_SCRIPTS_FOLDER = "**/scripts/*"


def _arm_data(arm: Arm | None) -> dict[str, Any]:
    """A recorded line's arm of the script's `case "$1"`: its patterns, and `$1`'s default."""
    if arm is None:
        return {}
    return {"arm": list(arm[0]), **({"arm_default": arm[1]} if arm[1] is not None else {})}


class ScriptsDetector(Detector):
    name = "scripts"
    version = "12"
    description = "shell scripts, package.json scripts, Makefile/justfile/Taskfile targets, invoke tasks (indirection)"
    patterns = (
        "*.sh",
        "*.bash",
        "**/bin/*",
        "*entrypoint*",
        # Laravel Sail's name for the script its images start with, kept by many Laravel Dockerfiles
        # (solidtime's `ENTRYPOINT ["start-container"]`, which migrates when AUTO_DB_MIGRATE is true)
        "start-container",
        "Makefile",
        "makefile",
        "GNUmakefile",
        "*.mk",
        "justfile",
        "Justfile",
        ".justfile",
        "Taskfile.{yml,yaml}",
        "Taskfile.dist.{yml,yaml}",
        "package.json",
        "composer.json",
        "project.json",
        "nx.json",
        "**/scripts/*.{js,mjs,cjs,ts,mts}",
        # extensionless shell scripts in a scripts folder (penpot's CI runs `./scripts/test-e2e` in
        # frontend/), read when their shebang names a shell (_shell)
        "**/scripts/*",
        "uwsgi*.ini",
        "lib/tasks/**/*.rake",
        # pyinvoke's tasks (`invoke test`, `python -m invoke deploy`); other tasks.py (Celery's) are
        # read for nothing
        "tasks.py",
        "**/etc/s6-overlay/s6-rc.d/*/run",
        "**/etc/cont-init.d/*",
        "**/etc/services.d/*/run",
    )

    def claims(self, path: str) -> bool:
        """Not an image or a compiled program that sits among the scripts; of a scripts folder's other
        files, those with no suffix (its JavaScript and TypeScript have patterns of their own)."""
        suffix = PurePosixPath(path).suffix.lower()
        if suffix in _ASSETS or not super().claims(path):
            return False
        return not suffix or not _in_scripts_folder_only(path)

    def extract(self, file: SourceFile) -> Extraction:
        out = Extraction()
        name = PurePosixPath(file.path).name
        if name == "package.json":
            self._package_json(file, out)
        elif name == "composer.json":
            self._composer_json(file, out)
        elif name == "project.json":
            self._nx_project(file, out)
        elif name == "nx.json":
            self._nx_workspace(file, out)
        elif name in ("Makefile", "makefile", "GNUmakefile") or name.endswith(".mk"):
            self._makefile(file, out)
        elif name.lower() in ("justfile", ".justfile"):
            self._justfile(file, out)
        elif name.startswith("Taskfile"):
            self._taskfile(file, out)
        elif name.endswith((".js", ".mjs", ".cjs", ".ts", ".mts")):
            self._node_script(file, out)
        elif name.endswith(".ini"):
            self._uwsgi(file, out)
        elif name.endswith(".rake"):
            self._rake(file, out)
        elif name == "tasks.py":
            self._invoke(file, out)
        elif not name.endswith((".py", ".rb", ".go", ".json", ".md", ".txt", ".yml", ".yaml")):
            self._shell(file, out)
        return out

    def conclude(self, ctx: ResolveContext, facts: Sequence[Fact]) -> list[Fact]:
        """Test suites no pipeline runs: known only once every CI detector has resolved its tests."""
        return unrun_suites(ctx, facts, self.name)

    def _shell(self, file: SourceFile, out: Extraction) -> None:
        first = file.text.split("\n", 1)[0]
        if first.startswith("#!") and not _SHELL_SHEBANG.search(first):
            return  # a python or node script with no extension
        if not first.startswith("#!") and not PurePosixPath(file.path).suffix and _in_scripts_folder_only(file.path):
            return  # a scripts folder's README or data file: only a shebang says it is a shell script
        guards, arms = shell_guards(file.text), shell_arms(file.text)
        functions = shell_functions(file.text)
        defined = set(functions.values())
        more = 0  # the first line that does something else than migrate, call a script or wait
        for command in split_commands(file.text):
            line = command.offset + 1
            body = _KEYWORD.sub("", command.text)
            arm = arms.get(line)
            if arm is not None:
                body = arm_label_stripped(body, arm)
            fn = functions.get(line)
            calls = called_functions(body, defined) if defined else []
            for name in calls:
                # which of its functions the script runs, for the pipelines that call it (shellarms.running)
                out.records.append(Record(FUNCTION_CALL, file.path, line, {
                    "calls": name, **({"fn": fn} if fn else {}), **_arm_data(arm)}))
            if not self._record(out, file.path, line, body, guards.get(line, ""), arm, fn) and not more \
                    and not _NEUTRAL.match(body) and not calls:
                more = line
        if more:
            # plane's migrator entrypoint waits for the database and migrates: a service running it
            # does nothing else; one whose script then starts a server migrates before the app
            out.records.append(Record(MORE, file.path, more, {}))

    def _record(self, out: Extraction, path: str, line: int, command: str, guard: str = "",
                arm: Arm | None = None, fn: str | None = None) -> bool:
        """Records what a script line does, and the scripts it calls (for phase 2 to follow); with
        the `if` condition it runs under, when it runs under one, the first arguments that select
        it, when it sits in an arm of a `case "$1"`, and the function whose body it is in. Whether
        it recorded anything."""
        extra: dict[str, Any] = {"guard": guard} if guard else {}
        extra.update(_arm_data(arm))
        if fn:
            extra["fn"] = fn
        before = len(out.records)
        for found in _classified(command):
            out.records.append(Record("script.command", path, line, {**found, **extra}))
        if script_tokens(command):
            out.records.append(Record("script.command", path, line, {"kind": "call", "command": command, **extra}))
        return len(out.records) > before

    def _uwsgi(self, file: SourceFile, out: Extraction) -> None:
        """uWSGI runs the commands of its `exec-*` options and `hook-*` options' `exec:` actions as it
        starts (healthchecks' `hook-pre-app = exec:./manage.py migrate`): an image whose CMD starts
        uwsgi with this file runs them. The server itself is more than migrating."""
        section = ""
        guards: list[str] = []  # the `if-env = X` (`if-exists`, ...) blocks a line is in
        for index, raw in enumerate(file.text.splitlines()):
            stripped = raw.strip()
            if stripped.startswith("[") and stripped.endswith("]"):
                section, guards = stripped[1:-1].strip(), []
                continue
            if section != "uwsgi":  # the section `uwsgi file.ini` loads; others need `file.ini:name`
                continue
            key = stripped.split("=", 1)[0].strip()
            if key.startswith("if-"):
                guards.append(" ".join(stripped.split()))
            elif key == "endif" and guards:
                guards.pop()
            elif match := _UWSGI_EXEC.match(raw):
                self._record(out, file.path, index + 1, match.group("command").strip(), "; ".join(guards))
        out.records.append(Record(MORE, file.path, 1, {}))

    def _node_script(self, file: SourceFile, out: Extraction) -> None:
        """`execSync('prisma migrate deploy')` in a Node script is a command like any other."""
        for match in _NODE_EXEC.finditer(file.text):
            command = match.group("cmd")
            if match.group("args"):
                args = _QUOTED_ARG.findall(match.group("args"))
                command = " ".join([command, *args])
            line = file.text.count("\n", 0, match.start()) + 1
            for found in _classified(command):
                out.records.append(Record("script.command", file.path, line, found))

    def _target(
        self, out: Extraction, path: str, runner: str, name: str, line: int, commands: list[tuple[str, int]],
        tags: list[str] | None = None, package: str | None = None, home: str | None = None,
    ) -> None:
        """One target (a package.json script, a make or Nx target) with its commands; an Nx target
        carries its project's tags, which `nx run-many --projects=tag:x` selects by, and a package.json
        script its package's name, which `pnpm --filter @redash/viz` selects by."""
        # One simple command each (`cd deploy && helm upgrade ...` is two): the classifier reads
        # simple commands, and a recipe line that changes directory first is the usual shape.
        commands = [(c.text, line) for command, line in commands for c in split_commands(command)]
        classified = []
        for command, cmd_line in commands:
            for found in _classified(command):
                classified.append({**found, "line": cmd_line})
        out.records.append(
            Record(
                "task.target",
                path,
                line,
                {
                    "runner": runner,
                    "name": name,
                    "commands": [{"command": c, "line": ln} for c, ln in commands],
                    "classified": classified,
                    **({"tags": tags} if tags else {}),
                    **({"package": package} if package else {}),
                    **({"home": home} if home is not None else {}),
                },
            )
        )

    def _json_scripts(
        self, file: SourceFile, out: Extraction
    ) -> tuple[dict[str, Any], dict[str, Any], list[str]] | None:
        """A package.json's or composer.json's document, its `scripts` map and its lines, if it has one."""
        data = self.json_mapping(file, out)
        scripts = data.get("scripts") if data else None
        if data is None or not isinstance(scripts, dict):
            return None
        return data, scripts, file.text.splitlines()

    def _package_json(self, file: SourceFile, out: Extraction) -> None:
        found = self._json_scripts(file, out)
        if found is None:
            return
        data, scripts, lines = found
        package = data.get("name") if isinstance(data.get("name"), str) else None
        for script_name, command in scripts.items():
            if not isinstance(command, str):
                continue
            line = _json_key_line(lines, script_name)
            self._target(out, file.path, "npm", script_name, line, [(c.text, line) for c in split_commands(command)],
                         package=package)

    def _composer_json(self, file: SourceFile, out: Extraction) -> None:
        """composer.json scripts: a command or a list of them, where `@name` runs another script,
        `@php`/`@composer` run those programs and `@putenv` only sets a variable; a PHP callback
        (`Vendor\\Class::method`) runs no command."""
        found = self._json_scripts(file, out)
        if found is None:
            return
        _, scripts, lines = found
        for script_name, value in scripts.items():
            entries = as_list(value)
            line = _json_key_line(lines, script_name)
            commands = [(command, line) for entry in entries if isinstance(entry, str)
                        for command in _composer_commands(entry)]
            self._target(out, file.path, "composer", str(script_name), line, commands)

    def _nx_project(self, file: SourceFile, out: Extraction) -> None:
        """An Nx project's targets (`nx test web`): each target's `command`/`commands`, else what its
        executor amounts to, else (as Nx infers it) the package.json script of the same name."""
        data = self.json_mapping(file, out)
        targets = data.get("targets") if data else None
        if not data or not isinstance(targets, dict):
            return  # not an Nx project (or one whose targets Nx infers from plugins)
        project = data.get("name") if isinstance(data.get("name"), str) else PurePosixPath(file.path).parent.name
        raw_tags = data.get("tags")
        tags = [t for t in raw_tags if isinstance(t, str)] if isinstance(raw_tags, list) else []
        lines = file.text.splitlines()
        for target, spec in targets.items():
            if not isinstance(spec, dict):
                continue
            line = _json_key_line(lines, target)
            commands = [(c.text, _json_value_line(lines, command, line)) for command in _nx_commands(spec)
                        for c in split_commands(command)]
            if not commands and "executor" not in spec and "command" not in spec:
                commands = [(f"npm run {target}", line)]  # inferred from the project's package.json
            self._target(out, file.path, "nx", f"{project}:{target}", line, commands, tags)

    def _nx_workspace(self, file: SourceFile, out: Extraction) -> None:
        """nx.json's plugins that infer targets (`@nx-tools/nx-container` gives every project with a
        Dockerfile a `container` target): phase 2 adds those targets to the projects it finds."""
        data = self.json_mapping(file, out)
        plugins = data.get("plugins") if data else None
        if not isinstance(plugins, list):
            return
        lines = file.text.splitlines()
        for entry in plugins:
            name = entry.get("plugin") if isinstance(entry, dict) else entry
            if isinstance(name, str) and name in nx_plugins():
                line = _json_value_line(lines, name, 1)
                out.records.append(Record("task.nx-plugin", file.path, line, {"plugin": name}))

    def _makefile(self, file: SourceFile, out: Extraction) -> None:
        rules: list[tuple[str, int, list[tuple[str, int]], list[str]]] = []  # name, line, recipe, prerequisites
        commands: list[tuple[str, int]] = []
        prerequisites: list[str] = []
        current = False  # a target's recipe may follow
        continued = False  # the last recipe line ended with a backslash: this one goes on with it
        listing = False  # the last rule line's prerequisites ended with a backslash
        for index, raw in enumerate(file.text.splitlines()):
            if listing:
                listing = raw.rstrip().endswith("\\")
                prerequisites.extend(raw.strip().rstrip("\\").split())
                continue
            if continued and current and commands:
                command, first = commands[-1]
                commands[-1] = (f"{command[:-1].rstrip()} {raw.strip()}".rstrip(), first)
                continued = raw.rstrip().endswith("\\")
                continue
            if raw.startswith("\t") and current:
                body = raw.strip().lstrip("@-+").strip()
                if body:
                    commands.append((body, index + 1))
                    continued = body.endswith("\\")
                continue
            continued = False
            match = _MAKE_TARGET.match(raw)
            if match and not raw.startswith((" ", "\t")) and "=" not in match.group(1):
                listed, _, inline = match.group(2).partition(";")
                if "=" in listed:  # `deploy: NAMESPACE=prod`: a target-specific variable, not a rule
                    current, commands = False, []
                    continue
                commands, prerequisites = [], listed.rstrip().rstrip("\\").split()
                listing = listed.rstrip().endswith("\\")
                if inline.strip():
                    commands.append((inline.strip(), index + 1))
                    continued = inline.rstrip().endswith("\\")
                rules.append((match.group(1), index + 1, commands, prerequisites))
                current = True
            elif raw.strip() and not raw.startswith(("#", " ")):
                current, commands = False, []
        # A target named on several rule lines: its prerequisites add up, and the rule with a recipe
        # gives it (the last one, as make takes it), and the line cited.
        defined: dict[str, tuple[int, list[tuple[str, int]], list[str]]] = {}
        for name, line, recipe, listed in rules:
            known = defined.get(name)
            if known is None:
                defined[name] = (line, recipe, list(listed))
            else:
                keep = (line, recipe) if recipe else (known[0], known[1])
                defined[name] = (*keep, known[2] + [p for p in listed if p not in known[2]])
        expanded: dict[str, list[tuple[str, int]]] = {}

        def runs(name: str, seen: tuple[str, ...]) -> list[tuple[str, int]]:
            """An aggregate (miniflux's `build: linux-amd64 linux-arm64 ...`, listmonk's `dist: build
            build-frontend pack-bin`) runs its prerequisites' recipes, in order, through aggregates:
            each once, as make builds each prerequisite once."""
            if name in expanded:
                return expanded[name]
            _, recipe, listed = defined.get(name, (0, [], []))
            if recipe or name in seen or len(seen) > MAX_DEPTH:
                return recipe
            found = list(dict.fromkeys(c for p in listed for c in runs(p, (*seen, name))))
            expanded[name] = found
            return found

        for name, (line, _, _) in defined.items():
            self._target(out, file.path, "make", name, line, runs(name, ()))

    def _justfile(self, file: SourceFile, out: Extraction) -> None:
        lines = file.text.splitlines()
        current: tuple[str, int] | None = None
        commands: list[tuple[str, int]] = []
        for index, raw in enumerate(lines):
            if raw[:1] in (" ", "\t") and current:
                body = raw.strip().lstrip("@-").strip()
                if body and not body.startswith("#"):
                    commands.append((body, index + 1))
                continue
            match = _JUST_RECIPE.match(raw)
            if current:
                self._target(out, file.path, "just", current[0], current[1], commands)
                current, commands = None, []
            if match and not raw.startswith(("#", "set ", "export ", "alias ", "import ", "mod ")):
                current = (match.group(1), index + 1)
        if current:
            self._target(out, file.path, "just", current[0], current[1], commands)

    def _invoke(self, file: SourceFile, out: Extraction) -> None:
        """pyinvoke's tasks (cloud-run-microservice-template-python's `invoke test` in Cloud Build): each
        `@task` function by the name invoke gives it (`system_test` is `system-test`), with the
        commands its `c.run(...)` calls run and the tasks it runs first (`pre=[...]`) or calls."""
        if not _INVOKE_IMPORT.search(file.text):  # a Celery tasks.py names no invoke task
            return
        try:
            module = ast.parse(file.text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):  # nested past the parser's depth
            return
        tasks = {node.name: name for node in module.body
                 if isinstance(node, ast.FunctionDef) and (name := _invoke_task(node)) is not None}
        for node in module.body:
            if not isinstance(node, ast.FunctionDef) or node.name not in tasks:
                continue
            commands: list[tuple[str, int]] = []
            for decorator in node.decorator_list:
                for pre in _invoke_pre(decorator):
                    if pre in tasks:
                        commands.append((f"invoke {tasks[pre]}", decorator.lineno))
            for call in ast.walk(node):
                if not isinstance(call, ast.Call):
                    continue
                if isinstance(call.func, ast.Attribute) and call.func.attr in ("run", "sudo") and call.args:
                    command = _literal(call.args[0])
                    if command:
                        commands.append((command, call.lineno))
                elif isinstance(call.func, ast.Name) and call.func.id in tasks:
                    commands.append((f"invoke {tasks[call.func.id]}", call.lineno))
            self._target(out, file.path, "invoke", tasks[node.name], node.lineno, commands)

    def _rake(self, file: SourceFile, out: Extraction) -> None:
        """Rails' own rake tasks (`lib/tasks/*.rake`): each task's name within its namespaces, and
        the tasks it invokes and the shell commands it runs, as commands (`rake db:migrate`), so
        that a release step calling the task is followed to what it does (chatwoot's Procfile runs
        `rails db:chatwoot_prepare`, which invokes `db:migrate`). Blocks are read by indentation,
        each ended by the `end` at its own indent, the usual layout."""
        scopes: list[tuple[int, str]] = []  # (indent, namespace) of the open namespaces
        aliases: dict[str, str] = {}  # `db_namespace = namespace :db do`: the variable names the namespace
        task: tuple[int, str, int] | None = None  # (indent, full name, line)
        commands: list[tuple[str, int]] = []
        # the application the tasks belong to, whose root `rails <task>` runs in
        home = f"/{file.path}".split("/lib/tasks/", 1)[0].strip("/")
        for number, raw in enumerate(file.text.splitlines(), 1):
            stripped = raw.strip()
            if not stripped or stripped.startswith("#"):
                continue
            indent = len(raw) - len(raw.lstrip())
            if task is not None:
                if indent <= task[0] and _RUBY_END.match(stripped):
                    self._target(out, file.path, "rake", task[1], task[2], commands, home=home)
                    task, commands = None, []
                    continue
                commands += [(command, number) for command in _rake_commands(stripped, aliases)]
                continue
            if scopes and indent <= scopes[-1][0] and _RUBY_END.match(stripped):
                scopes.pop()
                continue
            namespace = _RAKE_NAMESPACE.match(stripped)
            if namespace and len(scopes) >= _RAKE_DEPTH:
                return  # nested past any real task file's: a generated or hostile file
            if namespace:
                full = ":".join([*(n for _, n in scopes), namespace.group("name")])
                if namespace.group("var"):
                    aliases[namespace.group("var")] = full
                scopes.append((indent, namespace.group("name")))
                continue
            defined = _RAKE_TASK.match(stripped)
            if defined and _RUBY_BLOCK_OPENS.search(stripped):
                name = defined.group("sym") or defined.group("key") or defined.group("str")
                task = (indent, ":".join([*(n for _, n in scopes), name]), number)

    def _taskfile(self, file: SourceFile, out: Extraction) -> None:
        for doc in self.yaml_documents(file, out):
            tasks = doc.get("tasks") if isinstance(doc, dict) else None
            if not isinstance(tasks, dict):
                continue
            for task_name, task in tasks.items():
                line = line_of(tasks, task_name)
                cmds = task.get("cmds") if isinstance(task, dict) else task
                commands: list[tuple[str, int]] = []
                # its `deps` run first, then its `cmds`; either may call another task (`- task: build:backend`,
                # filebrowser's `build`), which is followed as `task build:backend` is
                for key_list in ((task.get("deps") if isinstance(task, dict) else None), cmds):
                    if not isinstance(key_list, (list, YList)):
                        continue
                    for index, cmd in enumerate(key_list):
                        cmd_line = line_of(key_list, index) if isinstance(key_list, YList) else line
                        if isinstance(cmd, str) and key_list is cmds:
                            commands.extend((c.text, cmd_line + c.offset) for c in split_commands(cmd))
                        elif isinstance(cmd, str):  # a dependency by its name
                            commands.append((f"task {cmd}", cmd_line))
                        elif isinstance(cmd, (dict, YDict)) and isinstance(cmd.get("cmd"), str):
                            commands.extend((c.text, cmd_line + c.offset) for c in split_commands(cmd["cmd"]))
                        elif isinstance(cmd, (dict, YDict)) and isinstance(cmd.get("task"), str):
                            commands.append((f"task {cmd['task']}", cmd_line))
                self._target(out, file.path, "task", str(task_name), line, commands)


_COMPOSER_CALLBACK = re.compile(r"^[A-Za-z_][\w\\]*::\w+$")


def _composer_commands(entry: str) -> list[str]:
    """One composer.json script entry as shell commands: `@test:unit --coverage` is `composer
    test:unit --coverage`; `@parallel a b` (a plugin's) runs scripts a and b."""
    entry = entry.strip()
    if not entry or _COMPOSER_CALLBACK.match(entry):
        return []
    if not entry.startswith("@"):
        return [entry]
    word, _, rest = entry[1:].partition(" ")
    if word == "putenv":
        return []
    if word in ("php", "composer"):
        return [entry[1:]]
    if word == "parallel":
        return [f"composer {name}" for name in rest.split()]
    return [f"composer {entry[1:]}"]


def _nx_commands(spec: dict[str, Any]) -> list[str]:
    options = spec.get("options")
    if not isinstance(options, dict):
        options = {}
    raw = spec.get("command") or options.get("command") or options.get("commands") or []
    entries = raw if isinstance(raw, list) else [raw]
    commands = [e if isinstance(e, str) else e.get("command") for e in entries if isinstance(e, (str, dict))]
    found = [c for c in commands if isinstance(c, str) and c.strip()]
    executor = str(spec.get("executor") or "").replace("@nrwl/", "@nx/")
    if not found and executor in _nx_executors():
        found = [_nx_executors()[executor]]
    return found


@lru_cache(maxsize=1)
def _nx_executors() -> dict[str, str]:
    text = resources.files("infrascan").joinpath("data/nx_executors.yaml").read_text(encoding="utf-8")
    return {str(k): str(v) for k, v in (load_table(text) or {}).items()}


def _json_key_line(lines: list[str], key: str) -> int:
    needle = json.dumps(key) + ":"
    return next((i + 1 for i, text in enumerate(lines) if needle in text.replace('": ', '":')), 1)


def _json_value_line(lines: list[str], value: str, start: int) -> int:
    """The line holding a string value, searched from its key's line on (JSON has no line numbers)."""
    needle = json.dumps(value)[1:-1]
    return next((i + 1 for i in range(start - 1, len(lines)) if needle in lines[i]), start)


# -- phase 2: following a container's start command ----------------------------------------------


@dataclass(frozen=True)
class Hop:
    """A step on the way from a start command to a migration: a script file, or a named target."""

    path: str
    name: str = ""  # a package.json script or task target; "" for a script file


@dataclass(frozen=True)
class Reached:
    """A migration a start command runs, where that command is written and the hops to it."""

    command: str
    tool: str
    path: str
    line: int
    via: tuple[Hop, ...]
    by_name: bool = False  # only the name of a script says it migrates (`npm run migrate`)
    guard: str = ""  # the `if` condition of the script it runs under, if any
    # the commands other branches of the script run instead (dockerfile.group_reached)
    alternatives: tuple[str, ...] = ()


@dataclass(frozen=True)
class Copy:
    """A Dockerfile COPY/ADD from the build context: sources and the destination in the image."""

    sources: tuple[str, ...]
    dest: str
    workdir: str


@dataclass
class _Walk:
    """One resolution's fixed inputs, so the recursive steps take only what changes."""

    copies: tuple[Copy, ...]
    seen: set[str]


class StartResolver:
    """Follows start commands through scripts and task runners to the migrations they run."""

    def __init__(self, ctx: ResolveContext) -> None:
        self.tasks = TaskIndex(ctx)
        self.files = set(ctx.files)
        self.scripts: dict[str, list[Record]] = {}
        for record in ctx.records("script.command"):
            self.scripts.setdefault(record.path, []).append(record)
        self.more = {record.path for record in ctx.records(MORE)}  # scripts that do more than migrate
        # Script files by base name: a command's script argument must match a file's last part, so
        # a lookup reads only the files of that name, not the repository's every script.
        self._by_name: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        self._scripts_read = set(ctx.paths("scripts")) | set(self.scripts)
        for path in sorted(self._scripts_read):
            parts = PurePosixPath(path).parts
            if parts:
                self._by_name.setdefault(parts[-1], []).append((path, parts))
        self._dirs: set[str] | None = None

    def s6_start_scripts(self, near: str, copies: tuple[Copy, ...]) -> list[str]:
        """The scripts s6-overlay runs when the image starts, as paths inside it: those a COPY of this
        image puts at s6's fixed places (`/etc/s6-overlay/s6-rc.d/*/run`, `/etc/cont-init.d/*`)."""
        found = []
        for path in sorted(self._scripts_read):
            match = _S6_START.search(path)
            if match is None:
                continue
            inside = "/" + match.group(1).lstrip("/")
            if path in self._copied_from(inside, copies, near):  # by a COPY, not by name alone
                found.append(inside)
        return found

    def migrations(
        self, script: str, where: tuple[str, int], near: str, copies: tuple[Copy, ...] = ()
    ) -> tuple[list[Reached], bool]:
        """Migrations the start script runs, and whether migrating is all it does.

        `near` is the directory the command runs from in the repository (the Dockerfile's or the
        compose file's), `copies` how the image was assembled, to map `/app/entrypoint.sh` back
        to `docker/entrypoint.sh`.
        """
        reached, only = self._walk(script, where, near, 0, (), _Walk(copies, set()))
        unique = list({(r.path, r.line, r.command): r for r in reached}.values())
        return unique, only and bool(unique)

    def _walk(
        self, script: str, where: tuple[str, int], near: str, depth: int, via: tuple[Hop, ...], walk: _Walk
    ) -> tuple[list[Reached], bool]:
        """Every simple command of a script; "only" when each of them does nothing but migrate."""
        found: list[Reached] = []
        only = True
        commands = split_commands(script)
        for command in commands:
            body = _KEYWORD.sub("", command.text)
            line = where[1] + command.offset
            inner = shell_body(body)
            if inner is not None and depth <= MAX_DEPTH:
                reached, pure = self._walk(inner, (where[0], line), near, depth + 1, via, walk)
            else:
                reached, pure = self._command(body, (where[0], line), near, depth, via, walk)
            found.extend(reached)
            only = only and pure
        return found, only and bool(commands)

    def _command(
        self, body: str, where: tuple[str, int], near: str, depth: int, via: tuple[Hop, ...], walk: _Walk
    ) -> tuple[list[Reached], bool]:
        if depth > MAX_DEPTH:
            return [], False
        found: list[Reached] = []
        pure = True
        for c in classify(body):
            if c.kind == "migrate":
                found.append(Reached(c.command, c.tool, where[0], where[1], via))
            elif c.kind == "indirect":
                reached, target_pure = self._target(
                    c.tool, str(c.detail.get("script", "")), body, where, near, depth, via, walk
                )
                found.extend(reached)
                pure = pure and target_pure
        run_all = _RUN_ALL.match(body)
        if run_all:
            for name in (w for w in run_all.group("args").split() if not w.startswith("-")):
                reached, target_pure = self._target("npm", name, body, where, near, depth, via, walk)
                found.extend(reached)
                pure = pure and target_pure
        for token in [*self._on_path(body, near, walk.copies), *script_tokens(body)]:
            path = self.script_path(token, near, walk.copies)
            reached = []
            script_pure = False  # a script file not read may do anything besides migrating
            if path is not None and path not in walk.seen:
                walk.seen.add(path)
                reached, script_pure = self._script(path, depth, (*via, Hop(path)), walk)
            if not reached and token.endswith(_SCRIPT_SUFFIXES) and _MIGRATE_NAME.search(PurePosixPath(token).stem):
                reached = [Reached(body, "", where[0], where[1], via, by_name=True)]  # `node apply-migrations.js`
            elif path is not None:
                pure = pure and script_pure
            found.extend(reached)
        return found, pure and bool(found)

    def _target(
        self,
        runner: str,
        name: str,
        body: str,
        where: tuple[str, int],
        near: str,
        depth: int,
        via: tuple[Hop, ...],
        walk: _Walk,
    ) -> tuple[list[Reached], bool]:
        """A package.json script or task target: what it runs, or its name when that is all there is."""
        target = self.tasks.find(runner, name, near) if name else None
        if target is None:
            by_name = [Reached(body, "", where[0], where[1], via, by_name=True)] if _MIGRATE_NAME.search(name) else []
            return by_name, bool(by_name)
        key = f"{target.path}:{name}"
        if key in walk.seen:
            return [], False
        walk.seen.add(key)
        hop = (*via, Hop(target.path, name))
        directory = target_home(target)
        found: list[Reached] = []
        only = True
        commands = target.data.get("commands", [])
        for command in commands:
            reached, pure = self._walk(
                str(command["command"]),
                (target.path, int(command["line"])),
                directory,
                depth + 1,
                hop,
                walk,
            )
            found.extend(reached)
            only = only and pure
        if not found and _MIGRATE_NAME.search(name):
            first = str(commands[0]["command"]) if commands else body
            return [Reached(first, "", target.path, target.line, hop, by_name=True)], True
        return found, only and bool(commands)

    def _script(self, path: str, depth: int, via: tuple[Hop, ...], walk: _Walk) -> tuple[list[Reached], bool]:
        """The migrations a script file runs, directly or through what it calls, and whether that is
        all it does (no `more` record: nothing but migrations, waits and calls that only migrate)."""
        found: list[Reached] = []
        near = near_folder(path)
        pure = True
        for record in self.scripts.get(path, []):
            kind = record.data.get("kind")
            guard = str(record.data.get("guard", ""))
            if kind == "migrate":
                found.append(Reached(str(record.data["command"]), str(record.data["tool"]), path, record.line, via,
                                     guard=guard))
            elif kind in ("indirect", "call"):
                reached, called = self._command(str(record.data["command"]), (path, record.line), near, depth + 1, via,
                                                walk)
                # what a guarded call reaches runs under that guard too
                found.extend(replace(r, guard=r.guard or guard) for r in reached)
                pure = pure and called
        return found, pure and bool(found) and path not in self.more

    def script_path(self, token: str, near: str, copies: tuple[Copy, ...] = ()) -> str | None:
        """The repository file a command's script argument names, if infrascan read it."""
        token = token.strip("'\"")
        for candidate in self._copied_from(token, copies, near):
            if candidate in self.files:
                return candidate
        parts = [p for p in PurePosixPath(token).parts if p not in ("/", ".")]
        if not parts or ".." in parts:
            return None
        # A relative path must match whole; an absolute one (a path inside the image) by its last
        # two parts, so /rails/bin/docker-entrypoint finds bin/docker-entrypoint.
        need = len(parts) if not token.startswith("/") else min(2, len(parts))
        best: tuple[int, int, str] | None = None
        for path, path_parts in self._by_name.get(parts[-1], []):
            matched = common_tail(parts, path_parts)
            if matched < need:
                continue
            inside = near == "" or path.startswith(near + "/")
            rank = (-matched, 0 if inside else 1, path)
            if best is None or rank < (best[0], best[1], best[2]):
                best = rank
        return best[2] if best else None

    def _on_path(self, body: str, near: str, copies: tuple[Copy, ...]) -> list[str]:
        """The command a body runs by a bare name, as the path where a COPY put it on the image's
        PATH (solidtime's `ENTRYPOINT ["start-container"]` after `COPY … /usr/local/bin/start-container`);
        nothing for a name no COPY placed there (`php`, `exec`)."""
        words = body.split(maxsplit=1)
        name = words[0].strip("'\"") if words else ""
        if not copies or not name or "/" in name or "$" in name:
            return []
        for folder in _PATH_DIRS:
            inside = f"{folder}/{name}"
            if any(candidate in self.files for candidate in self._copied_from(inside, copies, near)):
                return [inside]
        return []

    def repo_dir(self, workdir: str, copies: tuple[Copy, ...], default: str) -> str:
        """The repository directory an image's WORKDIR holds, by the COPY that filled it; else `default`.

        Commands run in the WORKDIR, so `deno task migrate` in `/app/packages/db` uses
        `packages/db/package.json` when `COPY packages/db /app/packages/db` put it there.
        """
        if workdir:
            for candidate in self._copied_from(workdir.rstrip("/") or "/", copies, default):
                if candidate.rstrip("/") in self._directories():
                    return candidate.rstrip("/")
        return default

    def _directories(self) -> set[str]:
        """Every `d` such that some file path starts with `d/`: the folders that hold files, built once."""
        if self._dirs is None:
            self._dirs = set()
            for path in self.files:
                slash = path.find("/")
                while slash >= 0:
                    self._dirs.add(path[:slash])
                    slash = path.find("/", slash + 1)
        return self._dirs

    @staticmethod
    def _copied_from(token: str, copies: tuple[Copy, ...], near: str) -> list[str]:
        """Repository paths a file in the image came from, by the COPY instructions that put it there."""
        out: list[str] = []
        for copy in copies:
            dest = copy.dest if copy.dest.startswith("/") else f"{copy.workdir.rstrip('/')}/{copy.dest}"
            absolute = token if token.startswith("/") else f"{copy.workdir.rstrip('/')}/{token}"
            absolute = str(PurePosixPath(absolute))
            for source in copy.sources:
                source = source.strip("/").removeprefix("./")
                name = PurePosixPath(source).name
                if absolute == str(PurePosixPath(dest)) or absolute == str(PurePosixPath(dest) / name):
                    rel = source
                elif absolute.startswith(str(PurePosixPath(dest)).rstrip("/") + "/") and source in ("", "."):
                    rel = absolute[len(str(PurePosixPath(dest)).rstrip("/")) + 1 :]
                elif absolute.startswith(str(PurePosixPath(dest)).rstrip("/") + "/"):
                    rel = f"{source}/{absolute[len(str(PurePosixPath(dest)).rstrip('/')) + 1 :]}"
                else:
                    continue
                rel = rel.lstrip("/")
                out.extend([f"{near}/{rel}" if near else rel, rel])
        return out


def common_tail(a: Sequence[str], b: Sequence[str]) -> int:
    """How many trailing components (of paths split into parts) two paths share."""
    count = 0
    for x, y in zip(reversed(a), reversed(b), strict=False):
        if x != y:
            break
        count += 1
    return count


# The detector's patterns but the scripts folder's catch-all.
_OWN_PATTERNS = compile_globs(tuple(p for p in ScriptsDetector.patterns if p != _SCRIPTS_FOLDER))


def _in_scripts_folder_only(path: str) -> bool:
    """Whether only the scripts folder's catch-all claims this file: a suffixed one is then not read,
    and one with no suffix only when its shebang names a shell."""
    return PurePosixPath(path).parent.name == "scripts" and not _OWN_PATTERNS(path)
