"""Ansible playbooks: the tasks a deploy runs on the servers, and who runs the playbook.

A playbook is a YAML list of plays, each with `hosts:` and its tasks (or roles). It is found by
content (playbooks have no fixed name) and by the usual names under `ansible/`, `deploy/` and
`playbooks/`. Playbooks are often templated themselves (cookiecutter's `{% verbatim %}`,
`{{ var }}` values), so Jinja tags are blanked and expressions replaced by placeholders before
loading, then put back: a file that still does not load is a diagnostic.

Each task is a deployment step in playbook order, named by what its module does (a data table:
`data/ansible.yaml`); `command`/`shell` tasks go through the command classifier, so a task that
runs `manage.py migrate` is also the migration strategy. Who runs the playbook is decided once
every detector has spoken: a Makefile (justfile, package.json) target that runs `ansible-playbook`
and that no CI deploy reaches is a manual deploy by a person. Its environment is named only when
the invocation names it: an environment variable such as `TARGET=production`, `-e env=prod`,
an inventory path (`-i inventories/production`) or a `--limit` group.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import PurePosixPath
from typing import Any

from infrascan.commands import argv, cd_target, classify, split_commands
from infrascan.detector import Detector, Extraction, Record, ResolveContext, Sniff, SourceFile
from infrascan.environments import ENV_VARIABLE_NAMES, env_from_name, is_dynamic
from infrascan.model import Code, Confidence, Evidence, Fact, Part, code_list, one_line, text
from infrascan.source import near_folder, repo_path
from infrascan.yamlload import YDict, YList, line_of, load_table

PLAYBOOK = "ansible.playbook"
# Task keys that are not the module (Ansible's task keywords).
_TASK_KEYWORDS = frozenset(
    {
        "name", "tags", "when", "register", "become", "become_user", "become_method", "become_flags", "vars",
        "args", "notify", "loop", "loop_control", "ignore_errors", "ignore_unreachable", "changed_when",
        "failed_when", "delegate_to", "delegate_facts", "run_once", "environment", "no_log", "retries", "delay",
        "until", "check_mode", "diff", "listen", "any_errors_fatal", "collections", "connection", "throttle",
        "timeout", "module_defaults", "debugger", "remote_user", "port", "async", "poll",
    }
)
_TASK_SECTIONS = ("pre_tasks", "roles", "tasks", "post_tasks")
_IMPORT_PLAYBOOK = ("import_playbook", "ansible.builtin.import_playbook")
# Flags of ansible-playbook that take a value (the rest are switches).
_VALUE_FLAGS = frozenset(
    {
        "-i", "--inventory", "--inventory-file", "-l", "--limit", "-e", "--extra-vars", "-t", "--tags",
        "--skip-tags", "-u", "--user", "-f", "--forks", "-c", "--connection", "--vault-id",
        "--vault-password-file", "--private-key", "--key-file", "-M", "--module-path", "--start-at-task",
        "-T", "--timeout", "--become-method", "--become-user", "--ssh-common-args", "--ssh-extra-args",
    }
)
# The options whose values may name the environment: inventory, host limit, extra variables.
_OPTION_KEYS = {
    "-i": "i", "--inventory": "i", "--inventory-file": "i", "-l": "l", "--limit": "l", "-e": "e", "--extra-vars": "e"
}
_RUNNER_COMMAND = {"make": "make", "just": "just", "task": "task", "npm": "npm run"}
_JINJA_TAG = re.compile(r"\{%.*?%\}|\{#.*?#\}", re.S)
_JINJA_EXPR = re.compile(r"\{\{.*?\}\}", re.S)
_PLACEHOLDER = re.compile(r"__J(\d+)J__")
_SNIFF = re.compile(
    r"\A(?=.*?^- )(?=.*?^(?:- +|\s+)hosts\s*:)(?=.*?^(?:- +|\s+)(?:tasks|roles|pre_tasks|post_tasks)\s*:)",
    re.M | re.S,
)
_MAX_COMMAND = 80


@dataclass(frozen=True)
class StepRule:
    """A row of `data/ansible.yaml`: the modules (and argument values) that make one kind of step."""

    modules: frozenset[str]
    step: str
    label: str
    args: tuple[tuple[str, frozenset[str]], ...] = ()
    tool: str | None = None

    def matches(self, module: str, args: dict[str, Any]) -> bool:
        return module in self.modules and all(str(args.get(key, "")) in values for key, values in self.args)


@dataclass(frozen=True)
class Knowledge:
    rules: tuple[StepRule, ...]
    commands: frozenset[str]
    command_labels: dict[str, str]
    housekeeping: frozenset[str]


@cache
def knowledge() -> Knowledge:
    raw = load_table(resources.files("infrascan").joinpath("data/ansible.yaml").read_bytes())
    rules = tuple(
        StepRule(
            frozenset(entry["modules"]),
            entry["step"],
            entry["label"],
            tuple((key, frozenset(str(v) for v in values)) for key, values in (entry.get("args") or {}).items()),
            entry.get("tool"),
        )
        for entry in raw["steps"]
    )
    return Knowledge(rules, frozenset(raw["commands"]), dict(raw["command_labels"]), frozenset(raw["housekeeping"]))


@dataclass(frozen=True)
class Step:
    kind: str
    line: int
    parts: tuple[Part, ...]
    tool: str | None = None
    command: str = ""
    name: str = ""


class AnsibleDetector(Detector):
    name = "ansible"
    version = "1"
    description = "Ansible playbooks (found by content): tasks in order, migrations, who runs ansible-playbook"
    patterns = ("**/{ansible,deploy,playbooks}/{playbook*,site,deploy*}.{yml,yaml}",)
    sniff = Sniff((".yml", ".yaml"), _SNIFF)
    looks_for = {
        "deploy.steps": "tasks of Ansible playbooks",
        "deploy.migration.strategy": "Ansible playbook tasks that run migrations",
        "ci.deploy.manual": "Makefile, justfile and package.json targets that run an Ansible playbook",
    }

    def extract(self, file: SourceFile) -> Extraction:
        out = Extraction()
        plain, expressions = detemplate(file.text)
        documents = self.yaml_documents(SourceFile(file.path, plain), out)
        plays = next((doc for doc in documents if is_playbook(doc)), None)
        if plays is None:
            return out
        restore(plays, expressions)
        steps = list(playbook_steps(plays))
        out.facts.extend(self._step_fact(file.path, index, step) for index, step in enumerate(steps))
        out.facts.extend(self._migration_fact(file.path, index, len(steps), step)
                         for index, step in enumerate(steps) if step.kind == "migrate")
        out.records.append(Record(PLAYBOOK, file.path, plays.line, {"hosts": _hosts(plays)}))
        return out

    def _step_fact(self, path: str, index: int, step: Step) -> Fact:
        return Fact(
            "deploy.steps",
            text("Ansible playbook ", Code(path), *step.parts),
            Confidence.DECLARED,
            self.evidence(path, step.line),
            item=f"ansible:{path}:{index}",
            tech="ansible",
            order=(path, index),
            rank=30,
            attrs={"step": step.kind, "tool": "ansible"},
        )

    def _migration_fact(self, path: str, index: int, total: int, step: Step) -> Fact:
        task = (" task ", Code(step.name)) if step.name else (" a task",)
        what = (" runs ", Code(_short(step.command))) if step.command else (" applies the migrations",)
        return Fact(
            "deploy.migration.strategy",
            text("During the Ansible deploy: playbook ", Code(path), *task, *what,
                 f" (step {index + 1} of {total})"),
            Confidence.DECLARED,
            self.evidence(path, step.line),
            item=f"ansible-migrate:{path}:{index}",
            tech=step.tool,
            rank=30,
            order=(path, index),
            attrs={"where": "deploy playbook", "tool": step.tool},
        )

    def conclude(self, ctx: ResolveContext, facts: Sequence[Fact]) -> list[Fact]:
        """Targets a person runs (`make production`) that run a playbook and that no CI deploy
        reaches: a CI job calling the target cites its line in a deploy fact of its own."""
        invoked = list(invocations(ctx.records("task.target")))
        if not invoked:  # then no fact needs looking through (8,000 on a 300-service monorepo)
            return []
        reached = {
            (e.path, e.line)
            for f in facts
            if f.field.startswith(("ci.deploy", "deploy.steps")) and f.confidence is not Confidence.HINT
            for e in f.evidence
            if e.detector != self.name
        }
        playbooks = {record.path: record for record in ctx.records(PLAYBOOK)}
        groups: dict[tuple[str, str], list[Invocation]] = defaultdict(list)
        for invocation in invoked:
            if (invocation.path, invocation.line) not in reached:
                groups[(invocation.playbook, invocation.environment or "")].append(invocation)
        return [self._manual_fact(group, playbooks) for _, group in sorted(groups.items())]

    def _manual_fact(self, group: list[Invocation], playbooks: dict[str, Record]) -> Fact:
        group = sorted(group, key=lambda i: (len(i.target), i.path, i.line))
        first = group[0]
        record = playbooks.get(first.playbook)
        ran: tuple[Part, ...] = (" runs ", Code(_short(first.command)))
        if record:
            hosts = [str(h) for h in record.data.get("hosts", [])]
            on = (" on hosts ", *code_list(hosts)) if hosts else ()
            ran = (" runs Ansible playbook ", Code(first.playbook), *on)
        skips: tuple[Part, ...] = (" without the tasks tagged ", *code_list(first.skip_tags)) if first.skip_tags else ()
        env: tuple[Part, ...] = (
            (" for environment ", Code(first.environment), " (", Code(first.named_by), ")")
            if first.environment
            else (" (the invocation names no environment)",)
        )
        also: tuple[Part, ...] = ("; also ", *code_list([i.run for i in group[1:]])) if len(group) > 1 else ()
        callers = "these targets" if len(group) > 1 else "this target"
        evidence: list[Evidence] = [e for i in group for e in self.evidence(i.path, i.line)]
        if record:
            evidence.extend(self.evidence(record.path, record.line))
        return Fact(
            "ci.deploy.manual",
            text(Code(first.run), *ran, *skips, *env, *also, f"; no CI pipeline calls {callers}"),
            Confidence.DECLARED,
            tuple(evidence),
            item=f"ansible-manual:{first.playbook}:{first.environment}",
            tech="ansible",
            order=(first.path, first.line),
            rank=30,
            attrs={"manual": True, "environment": first.environment, "tool": "ansible"},
        )


# -- reading the playbook ---------------------------------------------------------------------------


def detemplate(source: str) -> tuple[str, list[str]]:
    """The text with Jinja tags blanked and `{{ }}` expressions replaced by placeholders (a value
    that starts with `{{` would read as a YAML flow mapping), newlines kept so lines still match."""
    expressions: list[str] = []

    def placeholder(match: re.Match[str]) -> str:
        expressions.append(match.group(0))
        return f"__J{len(expressions) - 1}J__" + "\n" * match.group(0).count("\n")

    blanked = _JINJA_TAG.sub(lambda m: "\n" * m.group(0).count("\n"), source)
    return _JINJA_EXPR.sub(placeholder, blanked), expressions


def restore(node: Any, expressions: list[str]) -> Any:
    """Puts the `{{ }}` expressions back into every string value (in place for maps and lists)."""
    if isinstance(node, str):
        return _PLACEHOLDER.sub(lambda m: expressions[int(m.group(1))], node) if "__J" in node else node
    if isinstance(node, dict):
        for key, value in node.items():
            node[key] = restore(value, expressions)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            node[index] = restore(value, expressions)
    return node


def is_playbook(doc: Any) -> bool:
    """A list of plays: every map in it has `hosts:` and something to run, or imports a playbook."""
    if not isinstance(doc, YList) or not doc or not all(isinstance(item, YDict) for item in doc):
        return False
    plays = [item for item in doc if not any(key in item for key in _IMPORT_PLAYBOOK)]
    return all("hosts" in play and any(key in play for key in _TASK_SECTIONS) for play in plays)


def _hosts(plays: YList) -> list[str]:
    return [str(play["hosts"]) for play in plays if "hosts" in play]


def playbook_steps(plays: YList) -> Iterator[Step]:
    for play in plays:
        imported = next((play[key] for key in _IMPORT_PLAYBOOK if key in play), None)
        if imported is not None:
            yield Step("playbook", play.line, (": runs playbook ", Code(str(imported))))
            continue
        hosts: tuple[Part, ...] = (" (hosts ", Code(str(play.get("hosts"))), "): ")
        for section in _TASK_SECTIONS:
            entries = play.get(section)
            if not isinstance(entries, YList):
                continue
            for index, entry in enumerate(entries):
                if section == "roles":
                    yield _role_step(entry, line_of(entries, index), hosts)
                else:
                    yield from _task_steps(entry, line_of(entries, index), hosts)


def _role_step(entry: Any, line: int, hosts: tuple[Part, ...]) -> Step:
    role = (entry.get("role") or entry.get("name")) if isinstance(entry, dict) else entry
    return Step("role", line, (*hosts, "Apply role ", Code(str(role))))


def _task_steps(task: Any, line: int, hosts: tuple[Part, ...]) -> Iterator[Step]:
    if not isinstance(task, YDict):
        return
    for section in ("block", "always"):  # `rescue` runs only when the block fails
        if isinstance(task.get(section), YList):
            for index, inner in enumerate(task[section]):
                yield from _task_steps(inner, line_of(task[section], index), hosts)
    if "block" in task:
        return
    found = _module(task)
    if found is None or found[0] in knowledge().housekeeping:
        return
    module, value, key = found
    name = str(task["name"]) if isinstance(task.get("name"), str) else ""
    tags = _tags(task.get("tags"))
    tagged: tuple[Part, ...] = ("; tagged ", *code_list(tags)) if tags else ()
    step = _step(module, value, task.get("args"), name, line_of(task, key, line))
    yield Step(step.kind, step.line, (*hosts, *step.parts, *tagged), step.tool, step.command, name)


def _module(task: YDict) -> tuple[str, Any, Any] | None:
    """The task's module (short name), its argument and the key it was written under."""
    for key, value in task.items():
        key = str(key)
        if key in _TASK_KEYWORDS or key.startswith("with_"):
            continue
        if key in ("action", "local_action"):
            if isinstance(value, str) and value.strip():
                module, _, rest = value.strip().partition(" ")
                return module.rsplit(".", 1)[-1], rest, key
            if isinstance(value, dict) and isinstance(value.get("module"), str):
                args = {k: v for k, v in value.items() if k != "module"}
                return value["module"].rsplit(".", 1)[-1], args, key
            return None
        return key.rsplit(".", 1)[-1], value, key
    return None


def _step(module: str, value: Any, extra: Any, name: str, line: int) -> Step:
    know = knowledge()
    task: tuple[Part, ...] = (" (task ", Code(name), ", ", Code(module), ")") if name else (" (", Code(module), ")")
    if module in know.commands:
        command = _command(value, extra)
        if command:
            found = [c for simple in split_commands(command) for c in classify(simple.text)]
            first = next((c for c in found if c.kind == "migrate"), found[0] if found else None)
            label = know.command_labels.get(first.kind, "Run") if first else "Run"
            tool = first.tool if first else None
            named = (" (task ", Code(name), ")") if name else ()
            return Step(first.kind if first else "command", line, (label, ": ", Code(_short(command)), *named),
                        tool, command)
    args = _arguments(value, extra)
    rule = next((r for r in know.rules if r.matches(module, args)), None)
    if rule is None:
        plain: tuple[Part, ...] = ("Task ", Code(name), " (", Code(module), ")") if name else ("Module ", Code(module))
        return Step("task", line, plain)
    return Step(rule.step, line, (rule.label, *task), rule.tool, "")


def _command(value: Any, extra: Any) -> str:
    """The shell line of a command/shell task: free form, `cmd:` or `argv:`."""
    if isinstance(value, str):
        return value.strip()
    for holder in (value, extra):
        if isinstance(holder, dict):
            if isinstance(holder.get("cmd"), str):
                return str(holder["cmd"]).strip()
            if isinstance(holder.get("argv"), list):
                return " ".join(str(word) for word in holder["argv"])
    return ""


def _arguments(value: Any, extra: Any) -> dict[str, Any]:
    """A module's arguments as a map: YAML keys, or the `key=value` free form, plus `args:`."""
    args: dict[str, Any] = {}
    if isinstance(value, dict):
        args.update(value)
    elif isinstance(value, str):
        for word in argv(value):
            key, sep, val = word.partition("=")
            if sep:
                args[key] = val
    if isinstance(extra, dict):
        args.update(extra)
    return args


def _tags(value: Any) -> list[str]:
    if isinstance(value, str):
        return [t.strip() for t in value.split(",") if t.strip()]
    if isinstance(value, list):
        return [str(t) for t in value]
    return []


def _short(command: str) -> str:
    return one_line(command, _MAX_COMMAND)


# -- who runs the playbook --------------------------------------------------------------------------


@dataclass(frozen=True)
class Invocation:
    """One `ansible-playbook` command in a task-runner target."""

    run: str  # how a person starts it: `make production`
    target: str
    path: str
    line: int
    command: str
    playbook: str  # repository path when it can be told, else as written
    environment: str | None
    named_by: str  # the words of the invocation that name the environment
    skip_tags: list[str]


def invocations(records: Sequence[Record]) -> Iterator[Invocation]:
    """Every `ansible-playbook` run in a target, with the folder it runs in (`cd deploy && ...`)."""
    for record in records:
        runner = _RUNNER_COMMAND.get(str(record.data.get("runner")))
        if runner is None:
            continue
        folder = near_folder(record.path)
        line = None
        cwd = ""
        for command in record.data.get("commands", []):
            # The scripts detector splits `cd deploy && ansible-playbook ...` into two commands of
            # one line; a `cd` holds for the rest of its line (each recipe line is its own shell).
            if command.get("line") != line:
                line, cwd = command.get("line"), folder
            for simple in split_commands(str(command.get("command", ""))):
                moved = cd_target(simple.text, cwd)
                if moved is not None:
                    cwd = moved
                    continue
                words = argv(simple.text)
                # The words first: classifying every target's commands costs the command rules'
                # first load (0.05 s) in a scan that has no playbook to find.
                found = _parse(words)
                if found is None or not any(c.kind == "deploy" and c.tool == "ansible" for c in classify(simple.text)):
                    continue
                yield Invocation(
                    f"{runner} {record.data.get('name')}",
                    str(record.data.get("name")),
                    record.path,
                    int(command.get("line") or record.line),
                    simple.text,
                    repo_path(cwd, found.playbook) if found.playbook else "",
                    found.environment,
                    found.named_by,
                    found.skip_tags,
                )


@dataclass(frozen=True)
class Parsed:
    """What one `ansible-playbook` command line says."""

    playbook: str
    environment: str | None
    named_by: str
    skip_tags: list[str]


def _parse(words: list[str]) -> Parsed | None:
    """The playbook an `ansible-playbook` command runs, the environment its words name and the
    tags it skips."""
    start = next((i for i, w in enumerate(words) if PurePosixPath(w).name == "ansible-playbook"), None)
    if start is None:
        return None
    variables = [w.partition("=") for w in words[:start] if "=" in w]
    options: dict[str, list[str]] = defaultdict(list)
    playbooks: list[str] = []
    index = start + 1
    while index < len(words):
        flag, eq, inline = words[index].partition("=")
        if flag in _VALUE_FLAGS:
            value = inline if eq else (words[index + 1] if index + 1 < len(words) else "")
            options[_OPTION_KEYS.get(flag, flag)].append(value)
            index += 1 if eq else 2
            continue
        if not flag.startswith("-") and words[index].endswith((".yml", ".yaml")):
            playbooks.append(words[index])
        index += 1
    for value in options["e"]:
        variables.extend(w.partition("=") for w in argv(value) if "=" in w)
    playbook = playbooks[0] if playbooks else ""
    skips = _tags(",".join(options["--skip-tags"]))
    for name, _, value in variables:
        if name.lower() in ENV_VARIABLE_NAMES and value and not is_dynamic(value):
            return Parsed(playbook, value, f"{name}={value}", skips)
    for key, option in (("i", "-i"), ("l", "--limit")):
        for value in options[key]:
            env = env_from_name(value) if not is_dynamic(value) else None
            if env:
                return Parsed(playbook, env, f"{option} {value}", skips)
    return Parsed(playbook, None, "", skips)
