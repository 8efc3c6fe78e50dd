"""The command classifier: what a shell line in a pipeline, script or container start does.

Pipelines, Dockerfiles, compose files, Procfiles and task runners all end in shell commands;
this is the one place that reads them. Recognisers are data (`data/commands/*.yaml`, read in file
name order); this module splits scripts into simple commands, strips wrappers (`sudo`, `FOO=bar`,
`sh -c '...'`, `docker compose run web ...`), applies the rules, and refines test levels.

Rule keys: id, kind (build, push, test, deploy, rollback, migrate, migrate-rollback, verify, serve:
a server started where the command runs, not a deploy; backup: a backup tool run; handoff: a
dispatch to another repository's workflows, a deploy where its job says so; indirect, registry),
tool (a catalog id where there is one), pattern (a Python regex searched in one simple command), and
optionally level (tests: unit, integration, e2e, performance), target (deploys), unless (a regex
that vetoes the match), automatic (a rollback that happens by itself), label (registries: the name a
reader knows), output (builds that make a program: how its path is named, `package` = `-o PATH`,
else after the package built, else after the working directory, as `go build` does), image (a build
whose output is a container image, or a push that copies one between registries; a pattern's
`image` group names the image it pushes), also (a test
rule that matches beside an earlier one of the same tool at another level: one call that runs two
suites), own_database (a test runner whose suites use
a database by design, Rails' fixtures or Django's test database: a database service beside them does
not make them integration tests; `detail["own_database"]`), makes (a build that publishes what it
makes, said before its command, in the middle of a sentence: `a package published to the npm
registry`; `detail["makes"]`, a list of parts),
env_flags (the tool's own flags that name an environment beside --env and --environment: Expo's
`--profile production`; not every tool's, whose `--profile` is often a credentials profile).
Rules are tried in order; at most one rule per kind matches a command, but for `also`.
`registry` rules are not matched against commands but against the image references a build or
push names (`-t`, `--tag`, `--destination`, `docker push IMAGE`), so that
a classification says where the image goes (`detail["registries"]`).
tests/test_commands.py holds the table of real-world command lines, negatives included, that pins
every rule.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from importlib import resources
from typing import Any

from infrascan.model import Code, Fact
from infrascan.needles import needles as find_needles
from infrascan.yamlload import load_table

KINDS = (
    "build",
    "push",
    "test",
    "deploy",
    "rollback",
    "migrate",
    "migrate-rollback",
    "verify",
    "serve",
    "indirect",
    "registry",
    "backup",
    "handoff",  # a dispatch to another repository's workflows: a deploy where its job says so
)
TEST_LEVELS = ("unit", "integration", "e2e", "performance")


@dataclass(frozen=True)
class Rule:
    """One recogniser. Its regexes are compiled on first use: in most scans most rules never get
    past their needles (`needles.py`), and compiling all of them cost more than classifying."""

    id: str
    kind: str
    tool: str
    pattern_text: str
    unless_text: str | None = None
    level: str | None = None
    target: str | None = None
    automatic: bool = False
    label: str | None = None
    output: str | None = None
    image: bool = False
    also: bool = False
    own_database: bool = False
    makes: str | None = None
    env_flags: tuple[str, ...] = ()

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(self.pattern_text)

    @cached_property
    def unless(self) -> re.Pattern[str] | None:
        return re.compile(self.unless_text) if self.unless_text else None

    @cached_property
    def needles(self) -> tuple[str, ...]:
        return find_needles(self.pattern_text)

    def search(self, text: str) -> re.Match[str] | None:
        """The pattern searched in `text`, skipped when no needle is there (most rules, most commands)."""
        for needle in self.needles:
            if needle in text:
                return self.pattern.search(text)
        return None if self.needles else self.pattern.search(text)


@dataclass(frozen=True)
class Registry:
    """Where an image is pushed: a registry rule's id and name, and the host as written."""

    id: str
    name: str
    host: str


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


def folded_offsets(block: list[str], commands: list[Command]) -> list[int]:
    """The 0-based line, in the block's source lines, of each command split from a folded scalar
    (`key: >`). Folding joins lines with spaces, so the commands' own offsets are all 0: each one is
    found by its text in the block joined the same way, after the end of the last one found (a
    command whose first words an earlier one repeats is not taken for it), else by its first two
    words (an expression hidden in it); one not found at all stays on the last line found."""
    flat: list[str] = []
    starts: list[int] = []  # where each source line begins in the joined text
    length = 0
    for line in block:
        words = " ".join(line.split())
        starts.append(length)
        flat.append(words)
        length += len(words) + 1
    joined = " ".join(flat)
    out = []
    cursor, line_at = 0, 0
    for command in commands:
        text = " ".join(command.text.split())
        found = joined.find(text, cursor) if text else -1
        if found < 0 and text:  # rewritten on the way (an expression hidden): its first two words
            text = " ".join(text.split()[:2])
            found = joined.find(text, cursor)
        if found >= 0:
            line_at = max(n for n, begin in enumerate(starts) if begin <= found)
            cursor = found + len(text)
        out.append(line_at)
    return out


@cache
def rules() -> tuple[Rule, ...]:
    folder = resources.files("infrascan").joinpath("data/commands")
    entries: list[dict[str, Any]] = []
    for item in sorted(folder.iterdir(), key=lambda i: i.name):
        if item.name.endswith(".yaml"):
            entries.extend(load_table(item.read_bytes()) or [])
    out = []
    for e in entries:
        out.append(
            Rule(
                id=e["id"],
                kind=e["kind"],
                tool=e["tool"],
                pattern_text=e["pattern"],
                unless_text=e.get("unless") or None,
                level=e.get("level"),
                target=e.get("target"),
                automatic=bool(e.get("automatic", False)),
                label=e.get("label"),
                output=e.get("output"),
                image=bool(e.get("image", False)),
                also=bool(e.get("also", False)),
                own_database=bool(e.get("own_database", False)),
                makes=e.get("makes"),
                env_flags=tuple(e.get("env_flags", ())),
            )
        )
    return tuple(out)


@cache
def _command_index() -> tuple[tuple[Rule, ...], tuple[tuple[str, tuple[int, ...]], ...], frozenset[int]]:
    """The rules matched against commands (`registry` rules read image references instead), each
    needle with the rules it admits, and the rules without needles: a command is tested for the
    ~190 needles once rather than rule by rule."""
    command_rules = tuple(r for r in rules() if r.kind != "registry")
    admits: dict[str, list[int]] = {}
    for index, rule in enumerate(command_rules):
        for needle in rule.needles:
            admits.setdefault(needle, []).append(index)
    always = frozenset(i for i, rule in enumerate(command_rules) if not rule.needles)
    return command_rules, tuple((n, tuple(indices)) for n, indices in admits.items()), always


def _candidates(cmd: str) -> list[Rule]:
    """The command rules, in order, whose needles `cmd` holds (Rule.search, for all rules at once)."""
    command_rules, admits, always = _command_index()
    picked = set(always)
    for needle, indices in admits:
        if needle in cmd:
            picked.update(indices)
    return [command_rules[i] for i in sorted(picked)]


@cache
def image_tools() -> frozenset[str]:
    """The tools whose builds (or copies between registries) are container images (rule key
    `image`): every CI detector tells "Docker image built" from a language build by this one set."""
    return frozenset(r.tool for r in rules() if r.kind in ("build", "push") and r.image)


# Functional suites (Symfony's WebTestCase through the kernel and a database: wallabag's
# `phpunit --testsuite functional`) test the application whole, as integration suites do.
_INTEGRATION = re.compile(
    r"(?i)(?:\bintegration\b|\bintegration[-_]?tests?\b|\bit[-_]tests?\b|[-_:]it\b|-m\s+['\"]?integration"
    r"|\bfunctional\b"
    r"|-tags[= ]['\"]?integration|\btestcontainers\b|integrationTest|failsafe|(?-i:\bIT\b))"
)
# `-DexcludedGroups=integration`, `-m "not integration"`, `-tags=!e2e`, PHPUnit's `--exclude-group
# integration` (kimai's quick unit tests): a level left out is not the level run.
_EXCLUDED_LEVEL = re.compile(
    r"(?i)(?:exclude[\w-]*[= ]['\"]?|\bnot\s+|!|--skip[= ]?)[\w,.-]*?(?:integration|e2e|acceptance)[\w-]*"
)
_E2E = re.compile(r"(?i)(?:\be2e\b|end[-_ ]to[-_ ]end|\bacceptance\b|\bsystem[-_]tests?\b|\bbrowser[-_]tests?\b)")
_WRAPPERS = re.compile(
    r"^(?:(?:sudo(?:\s+(?:-[ugCDhprtT]\s+(?!-)\S+|-\S+))*|time|exec|nohup|env(?:\s+-\S+)*|npx(?:\s+--yes|\s+-y)?|bunx|pnpx|"
    r"(?:pnpm|yarn)(?:\s+(?:--filter|-F)[= ]\S+|\s+-{1,2}[a-z][\w-]*)*\s+(?:exec|dlx)"
    r"|bundle\s+exec|poetry\s+run|uv\s+run|pipenv\s+run|pdm\s+run|hatch\s+run"
    r"|(?:dotenv(?:-cli)?|env-cmd)(?:\s+-[\w-]+(?:[= ](?!-)\S+)?)*\s+--)\s+"
    # `FOO=bar`, and `FOO=${{ env.ARCH }}` whose expression holds spaces (docker-pi-hole's
    # `CIPLATFORM=${{ env.CI_ARCH }} bash test/run.sh` hid the test command)
    r"|[A-Za-z_][A-Za-z0-9_]*=(?:\"[^\"]*\"|'[^']*'|(?:\$\{\{[^}]*\}\}|\S)*)\s+)+"
)
# A whole simple command that only assigns a quoted command line to a variable named for one
# (`COMMAND=`, `MIGRATE_CMD=`): a `HINT="helm upgrade ..."` message runs nothing.
_STORED = re.compile(
    r"""^(?:[A-Za-z0-9_]*_)?(?:CMD|COMMAND|COMMANDS|CMDLINE)=(?P<q>["'])(?P<body>[^"'$`]*\s[^"'$`]*)(?P=q)$""", re.I)
_SHELL_C = re.compile(
    r"""^(?:/bin/|/usr/bin/)?(?:ba|z|da)?sh\s+(?:-[a-z]+\s+)*-[a-z]*c\s+(?P<q>["'])(?P<body>.*)(?P=q)\s*$""", re.S
)
_CONTAINER_RUN = re.compile(
    r"^(?:docker(?:-|\s+)compose|podman-compose|docker|kubectl)\b(?:\s+-[\w-]+(?:[= ]\S+)?)*\s+(?:run|exec)\b"
    r"(?:\s+(?:--rm|-[dTit]+|--no-deps|--service-ports|--build|--detach|--interactive|--tty|--privileged|--init"
    r"|--use-aliases|-[\w-]+(?:[= ](?!-)\S+)?))*\s+(?P<service>[\w.\-/:]+)\s+(?:--\s+)?(?P<rest>.+)$"
)
_SKIP = re.compile(r"^(?:echo|printf|cat|#|:|true|false|set|export\s+\w+=|cd|mkdir|rm|cp|mv|ls|test|\[)\b")
# Waits and exits, which the classifier cannot skip: it reads some scripts whole (`sleep 5 && pytest`).
_IDLE = re.compile(r"^(?:exit|sleep|env)\b")
# Installing a tool is not running it: `pip install pytest`, `npm i -g vercel`, `go install .../goose`.
_INSTALL = re.compile(
    r"^(?:(?:pip3?|python3?\s+-m\s+pip|uv\s+(?:pip|tool)|pipx|apt(?:-get)?|apk|yum|dnf|brew|gem|choco|conda|mamba"
    r"|go|cargo|dotnet\s+tool|helm\s+plugin)\s+(?:install|add)\b|(?:npm|pnpm|yarn|bun)\s+(?:install|i|add|ci|global\s+add)\b"
    r"|poetry\s+add\b|composer\s+(?:require|install|global\s+require)\b|asdf\s+install\b|mise\s+(?:install|use)\b)"
)


def runs_nothing_of_note(command: str) -> bool:
    """Whether a simple command only prints, waits or shuffles files: a deploy-stage job made of
    these left no deploy out. The classifier skips the same commands."""
    command = command.strip()
    return bool(_SKIP.match(command) or _IDLE.match(command))


def split_commands(script: str) -> list[Command]:
    """Splits a shell script into simple commands (newlines, `&&`, `||`, `;`), keeping offsets.

    A line goes on past its end after a backslash, and while a quoted string it opens is still open
    (listmonk's `gh release create nightly --notes "` spans six lines, and its `--prerelease`
    and `dist/*.tar.gz` were lost). Not in a heredoc's body, whose lines are data or the commands
    it feeds (`ssh host <<EOF`), and an apostrophe there (`it's`) opens nothing."""
    commands: list[Command] = []
    lines = script.splitlines()
    heredoc = ""  # the word that ends the heredoc the lines are in
    i = 0
    while i < len(lines):
        start = i
        line = lines[i]
        if heredoc:
            heredoc = "" if line.strip() == heredoc else heredoc
        else:
            while i + 1 < len(lines):
                if line.rstrip().endswith("\\"):
                    i += 1
                    line = line.rstrip()[:-1] + " " + lines[i].strip()
                    continue
                closes = _quote_closes(lines, i, line)
                if closes is None:
                    break
                line = " ".join([line, *(more.strip() for more in lines[i + 1 : closes + 1])])
                i = closes
            opened = HEREDOC.search(line)
            heredoc = opened["word"] if opened else ""
        i += 1
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        for part in _split_operators(stripped):
            part = part.strip()
            if part:
                commands.append(Command(part, start))
    return commands


# `<<EOF`, `<<-'EOF'` (not a `<<<` here-string): the word that ends the body, and `-` for tab-stripped
HEREDOC = re.compile(r"(?<!<)<<(?P<dash>-?)(?!<)[ \t]*(?P<q>['\"]?)(?P<word>[A-Za-z_][\w-]*)(?P=q)")


def _quote_closes(lines: list[str], index: int, line: str) -> int | None:
    """The index of the line that closes a quoted string `line` (lines[index], maybe joined) leaves
    open; None when it leaves none open, or when no later line closes it (a stray quote: the lines
    stay apart, as they were)."""
    quote = _open_quote(line, "")
    if not quote:
        return None
    for later in range(index + 1, min(len(lines), index + _QUOTE_SPAN)):
        quote = _open_quote(lines[later], quote)
        if not quote:
            return later
    return None


# The most lines one quoted string is followed over: a stray quote on each line of a long script
# would otherwise read the rest of it once per line.
_QUOTE_SPAN = 200


def _open_quote(line: str, quote: str) -> str:
    """The quote still open at the end of `line`, given the one open at its start ('' for none). A
    `#` that starts a word outside quotes starts a comment, where quotes mean nothing (`# don't`)."""
    if not quote and "'" not in line and '"' not in line:
        return ""  # most lines
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == quote:
                quote = ""
            elif ch == "\\" and quote == '"':
                i += 1
        elif ch == "\\":
            i += 1
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t;&|("):
            break
        i += 1
    return quote


class SplitMemo(dict[str, list[Command]]):
    """`split_commands` once per distinct script text, for the lifetime of one resolve: monorepos
    and job templates repeat the same scripts hundreds of times. The lists are only read."""

    def __missing__(self, script: str) -> list[Command]:
        commands = self[script] = split_commands(script)
        return commands


def _split_operators(line: str) -> list[str]:
    """Splits on &&, || and ; outside quotes and command substitutions (`$(for t in $TAGS; do ...;
    done)` in docker-zulip's manifest step is one argument of one command)."""
    if ";" not in line and "&&" not in line and "||" not in line:
        return [line]  # most lines: nothing to split, and the walk below is per character
    parts: list[str] = []
    buf: list[str] = []
    quote = ""
    depth = 0  # open `$(` substitutions
    tick = False  # inside a backtick substitution
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
        elif line.startswith("$(", i):
            depth += 1
            buf.append("$(")
            i += 1
        elif ch == ")" and depth:
            depth -= 1
            buf.append(ch)
        elif ch == "`":
            tick = not tick
            buf.append(ch)
        elif depth or tick:
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


def strip_wrappers(command: str) -> str:
    """A command without what only runs it (`sudo`, `npx`, `dotenv -e .env --`, `FOO=bar`); a
    package runner's version pin goes too (`npx -y netlify-cli@26.0.0 deploy`, hedgedoc)."""
    command = command.strip()
    stripped = _WRAPPERS.sub("", command)
    if stripped != command and _PACKAGE_RUNNER.match(command):
        stripped = _PINNED_PACKAGE.sub(r"\1", stripped, count=1)
    return stripped


# The system package managers and the verbs that install with them (`apk add`, `apt-get install`).
_SYSTEM_MANAGERS = {"apk": ("add",), "apt-get": ("install",), "apt": ("install",), "yum": ("install",),
                    "dnf": ("install",), "microdnf": ("install",), "zypper": ("install", "in")}
SYSTEM_MANAGER_WORDS = re.compile(r"\b(?:" + "|".join(map(re.escape, _SYSTEM_MANAGERS)) + r")\b")


def system_packages(command: str) -> list[str]:
    """The packages one simple command installs with a system package manager, without version pins
    (`DEBIAN_FRONTEND=noninteractive apt-get install -y python3=3.11*` -> `python3`); [] for any other."""
    words = argv(strip_wrappers(command))
    verbs = _SYSTEM_MANAGERS.get(words[0], ()) if words else ()
    at = next((i for i, word in enumerate(words) if word in verbs), None)
    if at is None:
        return []
    return [re.split(r"[=~<>]", word)[0] for word in words[at + 1:] if not word.startswith("-")]


_PACKAGE_RUNNER = re.compile(r"^(?:[A-Za-z_]\w*=\S*\s+)*(?:npx|bunx|pnpx|(?:pnpm|yarn)\b[^|;&]*?\bdlx)\b")
_PINNED_PACKAGE = re.compile(r"^(@?[\w.-]+(?:/[\w.-]+)?)@\S+")


_CD = re.compile(r"^cd\s+(\S+)\s*$")


def cd_target(command: str, cwd: str, project_dir: re.Pattern[str] | None = None) -> str | None:
    """The repository folder a `cd` moves a script's later commands to, from `cwd` ("" the checkout's
    root), or None for any other command. `project_dir` matches the variable a CI names the checkout
    by (GitLab's `$CI_PROJECT_DIR`); a target the scan cannot know (`cd $DIR`, `cd -`, `cd ~`) keeps
    `cwd`, and one above the checkout is its root."""
    match = _CD.match(command.strip())
    if not match:
        return None
    target = match.group(1).strip("'\"")
    if project_dir is not None:
        target = project_dir.sub("/", target)
    if target.startswith(("$", "~")) or target == "-":
        return cwd
    joined = target.lstrip("/") if target.startswith("/") else posixpath.join(cwd, target)
    normal = posixpath.normpath(joined) if joined else ""
    return "" if normal in (".", "") or normal.startswith("..") else normal


def unwrap(command: str, depth: int = 0) -> list[str]:
    """The commands that actually run: `sh -c '...'` opened, wrappers and env prefixes removed, and
    a command kept in a variable to run later taken out of its quotes (netbox's upgrade.sh sets
    `COMMAND="python3 netbox/manage.py migrate"`, then runs `eval $COMMAND`)."""
    stored = _STORED.match(command.strip()) if depth < 3 else None
    if stored:
        return unwrap(stored.group("body"), depth + 1)
    command = strip_wrappers(command)
    if depth < 3:
        match = _SHELL_C.match(command)
        if match:
            return [c for part in split_commands(match.group("body")) for c in unwrap(part.text, depth + 1)]
        match = _CONTAINER_RUN.match(command)
        if match:
            return [command, *unwrap(match.group("rest"), depth + 1)]
        match = _SERVER_AND_TEST.match(command)
        if match:
            # start-server-and-test starts one npm script (or quoted command), a server, waits for the
            # URL, then runs the other, its tests: focalboard's `cypress:ci` runs `cypress:run` so
            return [command, *unwrap(_npm_script_or_command(match.group("test")), depth + 1)]
        if _CONCURRENTLY.match(command):
            return [command, *(c for part in _concurrent_commands(command) for c in unwrap(part, depth + 1))]
    return [command]


# `concurrently [options] "cmd" npm:script ...`: every command it starts runs (jhipster's `ci:e2e:run`
# starts the server script beside `npm:e2e:headless`, its Cypress suite)
_CONCURRENTLY = re.compile(r"^(?:(?:npx|pnpm(?:\s+exec)?|yarn|bunx)\s+)?concurrently\s")
# its options that take a value (`-n application,e2e`, `-c red,blue`, `-s first`; concurrently's --help)
_CONCURRENTLY_VALUES = frozenset({"-n", "--names", "-c", "--prefix-colors", "-s", "--success", "-p", "--prefix",
                                  "-l", "--prefix-length", "-t", "--timestamp-format", "--restart-tries",
                                  "--restart-after", "-m", "--max-processes", "--default-input-target",
                                  "--name-separator", "--hide", "--kill-signal", "--teardown", "--cwd"})

# `npm:e2e:headless`: concurrently's short form of a package manager's run of a script
_MANAGER_SCRIPT = re.compile(r"^(?:npm|yarn|pnpm|bun):[\w:.\-]+$")


def _concurrent_commands(command: str) -> list[str]:
    """The commands a `concurrently` line starts, `npm:name` (and `yarn:`, `pnpm:`, `bun:`) as the
    package manager's run of that script."""
    words = argv(command)
    start = words.index("concurrently") + 1 if "concurrently" in words else len(words)
    out: list[str] = []
    skip = False
    for word in words[start:]:
        if skip:
            skip = False
        elif word.startswith("-"):
            skip = word in _CONCURRENTLY_VALUES
        elif _MANAGER_SCRIPT.match(word):
            manager, _, script = word.partition(":")
            out.append(f"{manager} run {script}")
        else:
            out.append(word)
    return out


# `start-server-and-test <start> <url> <test>` (and its `server-test`/`start-test` aliases)
_SERVER_AND_TEST = re.compile(
    r"^(?:(?:npx|pnpm\s+exec|yarn)\s+)?(?:start-server-and-test|server-test|start-test)\s+"
    r"""(?P<start>'[^']*'|"[^"]*"|\S+)\s+\S+\s+(?P<test>'[^']*'|"[^"]*"|\S+)\s*$""")


def _npm_script_or_command(argument: str) -> str:
    """A start-server-and-test argument as the command it runs: a quoted command, else `npm run` of
    the script it names."""
    if argument[:1] in "'\"" and argument[-1:] == argument[:1]:
        return argument[1:-1]
    return f"npm run {argument}"


def _refine_level(rule: Rule, command: str) -> str | None:
    if rule.kind != "test" or rule.level in ("e2e", "performance"):
        return rule.level
    return level_from_names(rule.level, command)


_UNIT_NAMED = re.compile(r"(?i)(?:^|[\W_])unit(?:[\W_]|$)")


def called_unit(*names: str | None) -> bool:
    """Whether a job or step name calls its tests unit tests ("Run unit tests", `unit-tests`): the
    team's word, which a database beside the tests does not overrule (saleor)."""
    return any(_UNIT_NAMED.search(name or "") for name in names)


def level_from_names(level: str | None, *names: str) -> str | None:
    """A unit-level test seen in a job, stage or file named `e2e`/`integration` is that level.

    Pipelines say the level in names (`integration-tests`, `test:e2e`, `tests/integration`) as
    often as in commands, so detectors pass the job and step names they know.
    """
    if level in ("e2e", "performance"):
        return level
    text = _EXCLUDED_LEVEL.sub(" ", " ".join(n for n in names if n))
    if _E2E.search(text):
        return "e2e"
    if _INTEGRATION.search(text):
        return "integration"
    return level


def excludes_level(command: str, level: str) -> bool:
    """Whether a command leaves a level out (`pytest -m "not integration"`, `-DexcludedGroups=integration`)."""
    return any(level in m.group(0).lower() for m in _EXCLUDED_LEVEL.finditer(command))


def classify(command: str) -> list[Classification]:
    """Every recogniser that matches one simple command; at most one per kind.

    Memoised: monorepos and matrix jobs repeat the same commands hundreds of times, and each
    costs a pass over every rule. The classifications are shared, so callers never mutate them.
    """
    return list(_classify(command))


@lru_cache(maxsize=16384)
def _classify(command: str) -> tuple[Classification, ...]:
    results: list[Classification] = []
    seen_kinds: set[str] = set()
    for cmd in unwrap(command):
        if _SKIP.match(cmd) or _INSTALL.match(cmd):
            continue
        for rule in _candidates(cmd):
            # each script a line hands on runs (`sh -c 'npm run a && npm run b'`, `concurrently npm:a npm:b`)
            if rule.kind in seen_kinds and not _another_level(rule, results) and not (
                    rule.kind == "indirect" and all(r.command != cmd for r in results if r.kind == "indirect")):
                continue
            match = rule.pattern.search(cmd)
            if not match or (rule.unless and rule.unless.search(cmd)):
                continue
            detail: dict[str, Any] = {}
            if rule.kind == "indirect":
                detail["script"] = match.group("script")
            detail.update(_deploy_detail(rule, cmd))
            if rule.output == "package":
                detail["output"] = _program_output(argv(cmd))
            if rule.own_database:
                detail["own_database"] = True
            if rule.makes:
                detail["makes"] = [rule.makes]
            results.append(Classification(
                rule.kind, rule.tool, rule.id, cmd, _refine_level(rule, cmd), rule.target, rule.automatic, detail
            ))
            seen_kinds.add(rule.kind)
    if any(r.kind != "indirect" for r in results):
        results = [r for r in results if r.kind != "indirect"]
    return tuple(results)


def quoted_deploys(facts: Iterable[Fact], tool: str, besides: str) -> list[str]:
    """The commands that deploy with `tool` quoted in other detectors' deployment statements (a CI
    job's `bin/kamal deploy -d staging`): what a tool's own detector needs to know which of its
    deployments a pipeline already runs, read by the same rules that found them."""
    out: list[str] = []
    for fact in facts:
        if not fact.field.startswith(("ci.deploy.", "deploy.steps")) or all(e.detector == besides
                                                                             for e in fact.evidence):
            continue
        for part in fact.parts:
            if isinstance(part, Code):
                out += [c.command for c in classify(part.text) if c.kind == "deploy" and c.tool == tool]
    return out


def _another_level(rule: Rule, results: list[Classification]) -> bool:
    """Whether an `also` rule adds a level the command's earlier rules of its tool did not: one call
    of a test runner may run two suites (`bin/rails test test:system`: unit and system)."""
    prior = [r for r in results if r.kind == rule.kind]
    return rule.also and all(r.tool == rule.tool and r.level != rule.level for r in prior)


def registry_of(image: str) -> Registry | None:
    """The registry an image reference is pushed to (`ghcr.io/acme/api:1` -> GitHub Container Registry).

    A reference without a host goes to Docker Hub; one that starts with a variable
    (`$CI_REGISTRY_IMAGE`, `${ECR_REGISTRY}/api`) is matched on the variable's name.
    """
    ref = image.strip().strip("'\"")
    if not ref or ref.startswith("-"):
        return None
    for rule in rules():
        if rule.kind == "registry" and rule.search(ref):
            host = ref.split("/", 1)[0]
            host = re.split(r"(?<=[}\w)]):", host, maxsplit=1)[0] if host.startswith("$") else host
            return Registry(rule.id, rule.label or rule.tool, host)
    return None


# Flags that name the image a build produces or a push sends (docker/podman/buildah, kaniko,
# gcloud builds submit, jib, pack).
_IMAGE_FLAGS = frozenset({"-t", "--tag", "--destination", "-d", "--image"})
_IMAGE_PROPERTIES = re.compile(r"^-D(?:jib\.to\.image|image)=(?P<image>\S+)$")
_POSITIONAL_IMAGE = re.compile(r"^(?:docker|podman|buildah)\s+(?:image\s+)?push\b|^pack\s+build\b")
# The characters shlex splits words at (not str.split's: no \v, \f or Unicode spaces).
_SHLEX_WHITESPACE = re.compile(r"[ \t\r\n]+")


def argv(cmd: str) -> list[str]:
    """A command's words as the shell splits them; on unbalanced quotes, as whitespace does."""
    if "'" not in cmd and '"' not in cmd and "\\" not in cmd:
        # Without quotes or escapes shlex only splits at its whitespace, at a fraction of the cost.
        return [word for word in _SHLEX_WHITESPACE.split(cmd) if word]
    try:
        return shlex.split(cmd, posix=True)
    except ValueError:
        return cmd.split()


def _images(rule: Rule, cmd: str, words: list[str]) -> list[str]:
    """Image references a build or push names, in the order written."""
    images: list[str] = []
    i = 0
    while i < len(words):
        arg = words[i]
        key, sep, inline = arg.partition("=")
        prop = _IMAGE_PROPERTIES.match(arg)
        if prop:
            images.append(prop.group("image"))
        elif key in _IMAGE_FLAGS and not (key == "-d" and rule.tool != "kaniko"):
            value = inline if sep else (words[i + 1] if i + 1 < len(words) else "")
            if _looks_like_image(value):
                images.append(value)
            i += 0 if sep else 1
        i += 1
    named = rule.pattern.search(cmd)
    if named and "image" in named.groupdict():  # a rule that names where the image goes (skopeo's destination)
        return [named["image"]]
    if not images and _POSITIONAL_IMAGE.search(cmd):
        positional = [a for a in words[2:] if not a.startswith("-") and a not in ("push", "build")]
        images.extend(a for a in positional[:1] if _looks_like_image(a))
    return images


def _looks_like_image(value: str) -> bool:
    """An image reference, possibly with variables; not a flag or a half-split `${{ expr }}`."""
    return bool(value) and not value.startswith("-") and value.count("{") == value.count("}") and " " not in value


# `output` of a build named after the directory it runs in (`go build` with no package argument).
OUTPUT_DIR_NAME = "."
# Go build flags that take no value; every other flag written without `=` takes the next word.
_GO_BOOL_FLAGS = frozenset(
    {"-a", "-n", "-v", "-x", "-race", "-msan", "-asan", "-cover", "-trimpath", "-linkshared", "-modcacherw", "-work"}
)


def _program_output(argv: list[str]) -> str:
    """The program a build writes, relative to its working directory: `-o PATH`; else named after
    the package argument (`./cmd/tool` -> `tool`, `main.go` -> `main`); else OUTPUT_DIR_NAME.
    A pipeline that then runs that path built a tool for itself (gitlab-runner's `pusher`)."""
    packages: list[str] = []
    words = argv[argv.index("build") + 1 :] if "build" in argv else []
    i = 0
    while i < len(words):
        word = words[i]
        key, sep, inline = word.partition("=")
        if key in ("-o", "--output"):
            return inline if sep else (words[i + 1] if i + 1 < len(words) else "")
        if word.startswith("-"):
            i += 1 if sep or word in _GO_BOOL_FLAGS else 2
            continue
        packages.append(word)
        i += 1
    if not packages:
        return OUTPUT_DIR_NAME
    first = packages[0].rstrip("/")
    if first.endswith(".go"):
        return first.rsplit("/", 1)[-1][: -len(".go")]
    if first in (".", ""):
        return OUTPUT_DIR_NAME
    return "" if "..." in first else first.rsplit("/", 1)[-1]


_HTTP_CLIENTS = frozenset({"curl", "wget", "http", "https"})


def _deploy_detail(rule: Rule, cmd: str) -> dict[str, Any]:
    """Arguments that name where a deploy goes: config files, app names, namespaces, var files.

    Builds and pushes also get `images` and `registries` (ids, names and hosts of the
    registries those images go to), so a step can say "pushed to GitHub Container Registry".
    """
    if rule.kind not in ("deploy", "build", "push", "rollback", "verify"):
        return {}
    words = argv(cmd)
    if words and words[0] in _HTTP_CLIENTS:
        return {}  # a deploy hook called over HTTP: curl's `-s` is not a stage, nor its `-f` a file
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
        **{flag: "env_flag" for flag in rule.env_flags},
        "--stage": "stage",
        "-s": "stage",
        "--project": "project",
        "--prod": "prod",
    }
    i = 0
    while i < len(words):
        arg = words[i]
        key, _, inline = arg.partition("=")
        if key in flags:
            name = flags[key]
            if name == "prod":
                detail["prod"] = True
            else:
                value = inline or (words[i + 1] if i + 1 < len(words) else "")
                if not inline:
                    i += 1
                detail.setdefault(name, []).append(value)
        i += 1
    if rule.kind in ("build", "push"):
        images = _images(rule, cmd, words)
        if images:
            detail["images"] = images
            found = [r for r in (registry_of(image) for image in images) if r is not None]
            if found:
                detail["registries"] = [{"id": r.id, "name": r.name, "host": r.host} for r in dict.fromkeys(found)]
    return detail
