"""GitHub Actions workflows: builds, tests, deploys and the environments they target.

Phase 1 reads one workflow (`.github/workflows/*.yml`, top level only: subdirectories are not
workflows) or one action (`action.yml`) into a plain record: triggers, jobs, steps, inputs, with
the line of everything. Phase 2 builds the call graph over those records: local reusable
workflows (`jobs.<id>.uses: ./.github/workflows/x.yml`) and composite actions (`uses: ./path`)
are inlined with the caller's `with:` bound to `inputs.*`, cycles refused; remote ones are noted,
never fetched.

Every run of a job is looked at once per way the workflow can start (a *scenario*: push to
`main`, a pull request, a manual dispatch with input `environment` = `staging`...). `if:`
conditions and `environment:` expressions are evaluated against each scenario by a small
evaluator of GitHub's expression language, so `github.ref == 'refs/heads/main' && 'production'
|| 'staging'` yields production on a push to main and both candidates where the ref is unknown,
and blues-stack's "Deploy Staging" step (`if: github.ref == 'refs/heads/dev'`) is tied to pushes
to `dev`. Steps go through the command classifier (`run:`) or the action table in
`data/actions.yaml` (`uses:`); `npm`/`make`/`just` indirection is followed through the scripts
detector's records (`TaskIndex.find`), walked here so that workspace flags (`pnpm --filter web`),
env-file wrappers (`dotenv -e .env --`) and `turbo run test` fan-out are seen through. Deploys
into a throwaway cluster (kind, minikube) or an environment the same job tears down again are
end-to-end tests, not deployments. Job `services:` are test infrastructure, never an
environment's database.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from dataclasses import fields as dataclass_fields
from fnmatch import fnmatchcase
from functools import cache, cached_property, lru_cache, partial
from importlib import resources
from pathlib import PurePosixPath
from typing import Any, Literal

from infrascan.catalog import Tech
from infrascan.commands import (
    Classification,
    SplitMemo,
    called_unit,
    cd_target,
    classify,
    folded_offsets,
    image_tools,
    level_from_names,
    registry_of,
)
from infrascan.detector import Detector, Extraction, Record, ResolveContext, SourceFile
from infrascan.environments import block_order, env_from_name, normalise
from infrascan.envvars import selects_test
from infrascan.escape import code_safe
from infrascan.images import ImageRef
from infrascan.model import (
    BY_DESIGN,
    CALLED_UNIT,
    UNDESCRIBED_DEPLOY,
    Code,
    Confidence,
    Evidence,
    Fact,
    Part,
    Severity,
    capitalised,
    code_list,
    elide_quoted,
    phrase_list,
    text,
)
from infrascan.shellarms import FUNCTION_CALL, call_arguments, running
from infrascan.source import may_be_unlisted, near_folder, repo_path
from infrascan.tasks import TaskIndex, script_arguments, workspace
from infrascan.yamlload import Tagged, YDict, as_list, line_of, load_table, load_yaml

from ._pipelines import alert_fact, allowed_to_fail, folded_block
from .goreleaser import published, release_config

CI = "github-actions"
WORKFLOW = "gha.workflow"
ACTION = "gha.action"

# ==== knowledge (data/actions.yaml) =============================================================


@dataclass(frozen=True)
class ActionSpec:
    """What one marketplace action does, as `data/actions.yaml` describes it."""

    uses: str
    kinds: tuple[str, ...]
    tool: str = ""
    level: str | None = None
    target: str | None = None
    command: str | None = None
    inputs: Mapping[str, str] = field(default_factory=dict)
    defaults: Mapping[str, str] = field(default_factory=dict)
    verify_when: Mapping[str, str] = field(default_factory=dict)
    # input -> value: the step only installs the tool (chart-releaser's `install_only: true`)
    setup_when: Mapping[str, str] = field(default_factory=dict)
    registry_label: str = ""
    alert: str = ""
    output: str = ""
    makes: str = ""
    # what it makes as a draft, which its `draft` input asks for when true
    drafted: str = ""
    # Read from an unknown action's inputs, not from the table (`Expander._dockerfile_action`).
    inferred: bool = False


@dataclass(frozen=True)
class FileKey:
    """Where phase 2 finds a key of a repository file: a record kind, and its data key holding the value."""

    record: str
    key: str
    data: str


@dataclass(frozen=True)
class AppUrl:
    """Where a deploy's configuration says whether its app serves HTTP (the platform's default URL
    of an app is the catalog's `app_url`)."""

    config: str
    record: str


@dataclass(frozen=True)
class Knowledge:
    actions: Mapping[str, ActionSpec]
    test_tools: Mapping[str, str]
    file_keys: tuple[FileKey, ...]
    app_urls: Mapping[str, AppUrl]
    cluster_commands: re.Pattern[str]
    teardown_commands: re.Pattern[str]
    environment_inputs: re.Pattern[str]
    version_inputs: re.Pattern[str]
    matrix_versions: re.Pattern[str]
    rollback_names: re.Pattern[str]
    checks: re.Pattern[str]
    migrate_scripts: re.Pattern[str]
    test_scripts: re.Pattern[str]
    not_test_scripts: re.Pattern[str]
    not_test_commands: re.Pattern[str]
    compose_up: re.Pattern[str]
    runner_stores: re.Pattern[str]
    test_jobs: re.Pattern[str]
    deploy_test_jobs: re.Pattern[str]
    test_workflows: re.Pattern[str]
    docs_paths: re.Pattern[str]
    docs_tools: frozenset[str]
    unnamed_env_workflows: re.Pattern[str]
    dockerfile_inputs: re.Pattern[str]
    dockerfile_builders: re.Pattern[str]
    dockerfile_checkers: re.Pattern[str]
    context_inputs: re.Pattern[str]
    image_inputs: re.Pattern[str]
    checkout: re.Pattern[str]
    plumbing: re.Pattern[str]
    code_scanning: re.Pattern[str]
    package_indexes: re.Pattern[str]

    def action(self, uses: str) -> ActionSpec | None:
        """The entry for `owner/repo[/path]@ref`; a sub-path action falls back to its repository."""
        name = uses.split("@", 1)[0].strip().lower().rstrip("/")
        while name:
            if name in self.actions:
                return self.actions[name]
            if name.count("/") < 2:
                return None
            name = name.rsplit("/", 1)[0]
        return None


@cache
def knowledge() -> Knowledge:
    raw = resources.files("infrascan").joinpath("data/actions.yaml").read_bytes()
    data = load_table(raw)
    actions = {}
    for entry in data["actions"]:
        spec = ActionSpec(
            uses=entry["uses"].lower(),
            kinds=tuple(entry["kinds"]),
            tool=entry.get("tool", ""),
            level=entry.get("level"),
            target=entry.get("target"),
            command=entry.get("command"),
            inputs=dict(entry.get("inputs", {})),
            defaults={k: str(v) for k, v in entry.get("defaults", {}).items()},
            verify_when={k: str(v) for k, v in entry.get("verify_when", {}).items()},
            setup_when={k: str(v) for k, v in entry.get("setup_when", {}).items()},
            registry_label=entry.get("registry_label", ""),
            alert=entry.get("alert", ""),
            output=entry.get("output", ""),
            makes=entry.get("makes", ""),
            drafted=entry.get("drafted", ""),
        )
        actions[spec.uses] = spec
    # every pattern of the table is read the same way: a Knowledge field typed re.Pattern
    patterns = {f.name: re.compile(data[f.name]) for f in dataclass_fields(Knowledge) if f.type == "re.Pattern[str]"}
    return Knowledge(
        actions=actions,
        test_tools=dict(data["test_tools"]),
        file_keys=tuple(FileKey(**entry) for entry in data["file_keys"]),
        app_urls={str(tool): AppUrl(**entry) for tool, entry in data["app_urls"].items()},
        docs_tools=frozenset(data["docs_tools"]),
        **patterns,
    )


# ==== GitHub's expression language ==============================================================
# Values are sets of possibilities: a known literal, UNKNOWN (could be anything) or FALSY (unknown
# but falsy: the left side of `cond && 'a'` when cond is false). Comparisons on unknowns give
# {True, False}, so `cond && 'production' || 'staging'` yields both candidates, never UNKNOWN.


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


UNKNOWN = _Marker("UNKNOWN")
FALSY = _Marker("FALSY")
# An event payload its event carries (`github.event.pull_request` on a pull request): an object,
# truthy, whose content is not known (kanboard's `if: ${{ ! github.event.pull_request }}` never runs
# on its pull requests). A _Marker is truthy, and no string or null compares equal to it.
PRESENT = _Marker("PRESENT")
Values = frozenset[Any]
ANY: Values = frozenset({UNKNOWN})
_PULL_REQUEST_EVENTS = frozenset({"pull_request", "pull_request_target", "pull_request_review",
                                  "pull_request_review_comment"})
# The event payloads only some events carry: elsewhere the field is null (redash's preview image
# step, `if: ... || !github.event.workflow_run`, runs on its tag pushes and dispatches).
_EVENT_PAYLOADS = {
    "github.event.pull_request": _PULL_REQUEST_EVENTS,
    "github.event.workflow_run": frozenset({"workflow_run"}),
    "github.event.release": frozenset({"release"}),
    "github.event.issue": frozenset({"issues", "issue_comment"}),
    "github.event.comment": frozenset({"issue_comment", "pull_request_review_comment", "commit_comment",
                                       "discussion_comment"}),
    "github.event.review": frozenset({"pull_request_review"}),
    "github.event.head_commit": frozenset({"push"}),
}
BOTH: Values = frozenset({True, False})
EXPR = re.compile(r"\$\{\{(.*?)\}\}", re.S)


@dataclass(frozen=True)
class Glob:
    """A ref known only as a pattern (`refs/heads/release/*`, `refs/tags/v*`), less the patterns of
    refs it is known not to be (a push to any branch but `l10n_development`)."""

    pattern: str
    excluded: tuple[str, ...] = ()

    @property
    def prefix(self) -> str:
        return _GLOB_CHARS.split(self.pattern, maxsplit=1)[0]

    def may_equal(self, value: str) -> Values:
        if any(_glob_match(pattern, value) for pattern in self.excluded):
            return frozenset({False})
        if self.prefix == self.pattern:
            return frozenset({self.pattern.lower() == value.lower()})
        return BOTH if _glob_match(self.pattern, value) else frozenset({False})

    def may_start_with(self, value: str) -> Values:
        prefix, value = self.prefix.lower(), value.lower()
        if prefix.startswith(value):
            return frozenset({True})
        return BOTH if value.startswith(prefix) else frozenset({False})


def _glob_match(pattern: str, value: str) -> bool:
    return _glob_regex(pattern).fullmatch(value) is not None


@lru_cache(maxsize=1024)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A branch or tag glob as a regular expression, compiled once per glob (each trigger asks)."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.I)


class ExprError(ValueError):
    pass


_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<op>==|!=|<=|>=|&&|\|\||[<>!()\[\],])"
    r"|(?P<ident>[A-Za-z_][\w-]*(?:\.(?:[A-Za-z_][\w-]*|\*))*))"
)


def _tokens(source: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    source = source.strip()
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        if not match or match.end() == pos:
            raise ExprError(f"cannot read {source[pos : pos + 20]!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
        while pos < len(source) and source[pos].isspace():
            pos += 1
    return out


class _Parser:
    """Recursive descent over GitHub's operators: || < && < == != < < > <= >= < ! < primary."""

    def __init__(self, source: str) -> None:
        self.tokens = _tokens(source)
        self.pos = 0

    def parse(self) -> tuple[Any, ...]:
        node = self._or()
        if self.pos != len(self.tokens):
            raise ExprError("trailing tokens")
        return node

    def _peek(self) -> str:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else ""

    def _take(self) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise ExprError("unexpected end")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def _or(self) -> tuple[Any, ...]:
        node = self._and()
        while self._peek() == "||":
            self._take()
            node = ("or", node, self._and())
        return node

    def _and(self) -> tuple[Any, ...]:
        node = self._equality()
        while self._peek() == "&&":
            self._take()
            node = ("and", node, self._equality())
        return node

    def _equality(self) -> tuple[Any, ...]:
        node = self._relation()
        while self._peek() in ("==", "!="):
            op = self._take()[1]
            node = ("cmp", op, node, self._relation())
        return node

    def _relation(self) -> tuple[Any, ...]:
        node = self._unary()
        while self._peek() in ("<", ">", "<=", ">="):
            op = self._take()[1]
            node = ("cmp", op, node, self._unary())
        return node

    def _unary(self) -> tuple[Any, ...]:
        if self._peek() == "!":
            self._take()
            return ("not", self._unary())
        return self._primary()

    def _primary(self) -> tuple[Any, ...]:
        kind, value = self._take()
        if value == "(" and kind == "op":
            node = self._or()
            if self._take()[1] != ")":
                raise ExprError("expected )")
            return self._postfix(node)
        if kind == "str":
            return ("lit", value[1:-1].replace("''", "'"))
        if kind == "num":
            return ("lit", float(value) if "." in value else int(value))
        if kind == "ident":
            if value in ("true", "false"):
                return ("lit", value == "true")
            if value == "null":
                return ("lit", None)
            if self._peek() == "(":
                self._take()
                args: list[tuple[Any, ...]] = []
                while self._peek() != ")":
                    args.append(self._or())
                    if self._peek() == ",":
                        self._take()
                self._take()
                return self._postfix(("call", value.lower(), args, value))  # matched by name, shown as written
            return self._postfix(("ref", value))
        raise ExprError(f"unexpected {value!r}")

    def _postfix(self, node: tuple[Any, ...]) -> tuple[Any, ...]:
        while self._peek() == "[":
            self._take()
            index = self._or()
            if self._take()[1] != "]":
                raise ExprError("expected ]")
            if node[0] == "ref" and index[0] == "lit" and isinstance(index[1], str):
                node = ("ref", f"{node[1]}.{index[1]}")
            else:
                node = ("lit", UNKNOWN)
        return node


@cache
def parse_expression(source: str) -> tuple[Any, ...]:
    return _Parser(source).parse()


Lookup = Callable[[str], Values]


def truthy(value: Any) -> bool:
    if value is FALSY:
        return False
    if isinstance(value, Glob):
        return True
    return bool(value) and value != 0


def evaluate(node: tuple[Any, ...], lookup: Lookup) -> Values:
    kind = node[0]
    if kind == "lit":
        return frozenset({node[1]})
    if kind == "ref":
        return lookup(node[1])
    if kind == "not":
        return frozenset(_not(v) for v in evaluate(node[1], lookup))
    if kind == "and":
        out: set[Any] = set()
        for left in evaluate(node[1], lookup):
            if left is UNKNOWN:
                out |= {FALSY, *evaluate(node[2], lookup)}
            elif truthy(left):
                out |= evaluate(node[2], lookup)
            else:
                out.add(left)
        return frozenset(out)
    if kind == "or":
        out = set()
        for left in evaluate(node[1], lookup):
            if left is UNKNOWN:
                out |= {UNKNOWN, *evaluate(node[2], lookup)}
            elif truthy(left):
                out.add(left)
            else:
                out |= evaluate(node[2], lookup)
        return frozenset(out)
    if kind == "cmp":
        lefts, rights = evaluate(node[2], lookup), evaluate(node[3], lookup)
        return frozenset(r for a in lefts for b in rights for r in _compare(node[1], a, b))
    if kind == "call":
        return _call(node[1], [evaluate(a, lookup) for a in node[2]])
    raise ExprError(kind)


def _not(value: Any) -> Any:
    return True if value is FALSY else (UNKNOWN if value is UNKNOWN else not truthy(value))


def _compare(op: str, a: Any, b: Any) -> Values:
    if isinstance(b, Glob) and not isinstance(a, Glob):
        a, b = b, a
    if a in (UNKNOWN, FALSY) or b in (UNKNOWN, FALSY) or isinstance(b, Glob):
        return BOTH
    if isinstance(a, Glob):
        equal = a.may_equal(str(b))
        return equal if op == "==" else (frozenset(not e for e in equal) if op == "!=" else BOTH)
    if op in ("==", "!="):
        same = _loosely_equal(a, b)
        return frozenset({same if op == "==" else not same})
    try:
        x, y = float(a), float(b)
    except (TypeError, ValueError):
        return BOTH
    return frozenset({{"<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y}[op]})


def _loosely_equal(a: Any, b: Any) -> bool:
    """GitHub's `==`: strings ignore case, and mismatched types compare as numbers, where null (the
    `null` literal, or a field the event does not carry, read as "") and false are both 0. So
    hedgedoc's `(github.event_name == 'pull_request_target') == github.event.pull_request.head.repo.fork`
    holds on a push, and plane's `github.event.pull_request.requested_reviewers != null` does not
    on a dispatch."""
    a_null, b_null = a is None or a == "", b is None or b == ""
    if a_null or b_null:
        other = b if a_null else a
        if (b_null if a_null else a_null):
            return True
        return other is False or (isinstance(other, (int, float)) and not isinstance(other, bool) and other == 0)
    return bool(_norm(a) == _norm(b))


def _norm(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    return value.lower() if isinstance(value, str) else value


def _call(name: str, args: list[Values]) -> Values:
    if name in ("success", "always"):
        return frozenset({True})
    if name in ("failure", "cancelled"):
        return frozenset({False})
    if name in ("contains", "startswith", "endswith") and len(args) == 2:
        return frozenset(r for a in args[0] for b in args[1] for r in _string_test(name, a, b))
    if name == "format" and args and all(UNKNOWN not in a and len(a) == 1 for a in args):
        template, *rest = (next(iter(a)) for a in args)
        if isinstance(template, str):
            return frozenset({re.sub(r"\{(\d+)\}", lambda m: str(rest[int(m.group(1))]), template)})
    return ANY


def _string_test(name: str, a: Any, b: Any) -> Values:
    if a in (UNKNOWN, FALSY) or b in (UNKNOWN, FALSY) or isinstance(b, Glob):
        return BOTH
    if isinstance(a, Glob):
        return a.may_start_with(str(b)) if name == "startswith" else BOTH
    if isinstance(a, (list, tuple)):
        return frozenset({any(_norm(x) == _norm(b) for x in a)})
    x, y = str(a).lower(), str(b).lower()
    return frozenset({y in x if name == "contains" else x.startswith(y) if name == "startswith" else x.endswith(y)})


def condition(source: str | None, lookup: Lookup) -> Values:
    """What an `if:` allows: {True}, {False} or both; unreadable conditions allow everything."""
    if source is None or str(source).strip() == "":
        return frozenset({True})
    body = str(source).strip()
    whole = EXPR.fullmatch(body)
    if whole:
        body = whole.group(1)
    elif "${{" in body:
        return frozenset({True})  # a non-empty string after interpolation: always truthy
    try:
        values = evaluate(parse_expression(body), lookup)
    except (ExprError, RecursionError, IndexError):
        return BOTH
    allowed: set[bool] = set()
    for value in values:
        allowed |= {True, False} if value is UNKNOWN else {truthy(value)}
    return frozenset(allowed)


def residual(source: str | None, lookup: Lookup) -> str | None:
    """What an `if:` still asks once the values `lookup` knows are put in, written out again
    (`github.repository_owner == 'miniflux'` of miniflux's `(github.event_name == 'schedule' &&
    github.repository_owner == 'miniflux') || github.event_name == 'pull_request'` on its schedule);
    None when it is unreadable or asks nothing."""
    body = _condition_body(source or "")
    try:
        whole = parse_expression(body)
        left = _residual(whole, lookup)
    except (ExprError, RecursionError, IndexError):
        return None
    if isinstance(left, bool) or not _writable(left):
        return None
    return body if left == whole else _unparse(left)  # as written, when nothing was settled


def _writable(node: tuple[Any, ...]) -> bool:
    """Whether a tree can be written back as an expression: no value the scan made up (an index
    it could not read), no context name that only an index could hold (`a['my key']`)."""
    kind = node[0]
    if kind == "lit":
        return node[1] is None or isinstance(node[1], (str, int, float, bool))
    if kind == "ref":
        return bool(re.fullmatch(r"[A-Za-z_][\w-]*(?:\.(?:[A-Za-z_][\w-]*|\*))*", str(node[1])))
    if kind == "call":
        return all(_writable(a) for a in node[2])
    return all(_writable(n) for n in node[1:] if isinstance(n, tuple))


def _residual(node: tuple[Any, ...], lookup: Lookup) -> tuple[Any, ...] | bool:
    """`node` with every part whose truth `lookup` settles replaced by it, `&&`, `||` and `!` folded."""
    kind = node[0]
    if kind in ("and", "or"):
        left = _residual(node[1], lookup)
        if isinstance(left, bool) and left is (kind == "or"):
            return left  # `true || x`, `false && x`
        right = _residual(node[2], lookup)
        if isinstance(left, bool):
            return right
        if isinstance(right, bool):
            return left if right is (kind == "and") else right
        return (kind, left, right)
    if kind == "not":
        inner = _residual(node[1], lookup)
        return (not inner) if isinstance(inner, bool) else ("not", inner)
    allowed = {True, False} if UNKNOWN in (values := evaluate(node, lookup)) else {truthy(v) for v in values}
    return allowed.pop() if len(allowed) == 1 else node


def _unparse(node: tuple[Any, ...], within: str = "") -> str:
    """An expression tree written as GitHub's syntax; parentheses where `||` sits inside `&&` or `!`."""
    kind = node[0]
    if kind == "lit":
        value = node[1]
        if isinstance(value, bool):
            return "true" if value else "false"
        if value is None:
            return "null"
        return "'" + value.replace("'", "''") + "'" if isinstance(value, str) else str(value)
    if kind == "ref":
        return str(node[1])
    if kind == "not":
        inner = node[1]
        return "!" + (_unparse(inner) if inner[0] in ("lit", "ref", "call") else f"({_unparse(inner)})")
    if kind == "cmp":
        sides = [_unparse(side, "cmp") for side in node[2:4]]
        sides = [f"({text_})" if side[0] == "cmp" else text_ for side, text_ in zip(node[2:4], sides, strict=True)]
        return f"{sides[0]} {node[1]} {sides[1]}"
    if kind == "call":
        return f"{node[3]}({', '.join(_unparse(a) for a in node[2])})"
    joined = f" {'&&' if kind == 'and' else '||'} ".join((_unparse(node[1], kind), _unparse(node[2], kind)))
    return f"({joined})" if within and within != kind else joined


def interpolate(template: str, lookup: Lookup) -> Values:
    """A string with `${{ }}` parts: every literal result it can have, or UNKNOWN."""
    whole = EXPR.fullmatch(template.strip())
    try:
        if whole:
            return evaluate(parse_expression(whole.group(1)), lookup)
        results: set[str] = {""}
        pos = 0
        for match in EXPR.finditer(template):
            values = evaluate(parse_expression(match.group(1)), lookup)
            if UNKNOWN in values or FALSY in values or len(values) * len(results) > 16:
                return ANY
            literal = template[pos : match.start()]
            results = {r + literal + _as_text(v) for r in results for v in values}
            pos = match.end()
        return frozenset(r + template[pos:] for r in results)
    except (ExprError, RecursionError, IndexError):
        return ANY


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Glob):
        return value.pattern
    return "" if value is None else str(value)


def literals(values: Values) -> list[str]:
    """The literal strings among a value set, in a stable order."""
    return sorted({_as_text(v) for v in values if v not in (UNKNOWN, FALSY) and not isinstance(v, Glob) and v != ""})


# ==== phase 1: one workflow or action file as a plain record ====================================

_BLOCK_SCALAR = re.compile(r":\s*(?:[|>][-+0-9]*)?\s*(?:#.*)?$")
_OPEN_FLOW = re.compile(r"[\[{]")


def _text(value: Any) -> str:
    """A scalar as GitHub reads it (`true`, `18`), or the empty string for nothing."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Tagged):
        return ""
    return str(value)


def _strings(value: Any) -> list[str]:
    return [_text(v) for v in as_list(value) if not isinstance(v, (dict, list))]


def _str_map(value: Any) -> dict[str, str]:
    return {str(k): _text(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _tags_in(value: Any, out: list[Tagged]) -> None:
    if isinstance(value, Tagged):
        out.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            _tags_in(item, out)
    elif isinstance(value, list):
        for item in value:
            _tags_in(item, out)


def load_lenient(text: str) -> tuple[Any, list[tuple[int | None, str]]]:
    """The first YAML document, skipping lines that break it; and what was skipped (line, why).

    A tab, an unclosed bracket or a stray character costs its line, not the whole workflow: the
    line that opened an unclosed bracket (or else the offending line) is blanked and loading
    retried, a few times; line numbers never move.
    """
    problems: list[tuple[int | None, str]] = []
    lines = text.split("\n")
    loaded = load_yaml(text)
    for _ in range(8):
        error = loaded.error
        if error is None or not error.line:
            break
        attempt = _next_attempt(lines, error.line)
        if attempt is None:
            break
        skipped, lines = attempt
        problems.append((skipped, f"{error} (reported at line {error.line}); line {skipped} skipped"))
        loaded = load_yaml("\n".join(lines))
    if loaded.error is not None:
        problems.append((loaded.error.line, f"{loaded.error}; the file is not read"))
        return None, problems
    docs = [d for d in loaded.documents if d is not None]
    problems.extend(
        (line, f"duplicate key {key!r}; GitHub rejects the file, infrascan keeps the last")
        for key, line in loaded.warnings
    )
    return (docs[0] if docs else None), problems


def _next_attempt(lines: list[str], error_line: int) -> tuple[int, list[str]] | None:
    """The lines with one line blanked so that loading gets further: the line that opened a bracket
    left unclosed before the error, else the error line itself. Returns (blanked line, lines)."""
    index = error_line - 1
    candidates = []
    for start in range(min(index, len(lines) - 1), max(-1, index - 30), -1):
        if len(_OPEN_FLOW.findall(lines[start])) > len(re.findall(r"[\]}]", lines[start])):
            candidates.append(start)
            break
    candidates.append(index)
    for candidate in candidates:
        if not (0 <= candidate < len(lines)) or not lines[candidate].strip():
            continue
        attempt = list(lines)
        attempt[candidate] = ""
        result = load_yaml("\n".join(attempt))
        if result.error is None or (result.error.line or 0) > error_line:
            return candidate + 1, attempt
    return None


def _event_config(name: str, value: Any, line: int) -> dict[str, Any]:
    config: dict[str, Any] = {"line": line}
    if name == "schedule" and isinstance(value, list):
        config["crons"] = [
            [_text(item.get("cron")), line_of(value, i)] for i, item in enumerate(value) if isinstance(item, dict)
        ]
        return config
    if not isinstance(value, dict):
        return config
    for key in ("branches", "branches-ignore", "tags", "tags-ignore", "paths", "paths-ignore", "types", "workflows"):
        if key in value:
            config[key.replace("-", "_")] = _strings(value[key])
    inputs = value.get("inputs")
    if isinstance(inputs, dict):
        config["inputs"] = {
            str(k): {
                "type": _text(v.get("type")) if isinstance(v, dict) else "",
                "options": _strings(v.get("options")) if isinstance(v, dict) else [],
                "default": _text(v.get("default")) if isinstance(v, dict) and "default" in v else None,
                "line": line_of(inputs, k),
            }
            for k, v in inputs.items()
        }
    return config


def read_on(doc: dict[Any, Any]) -> tuple[dict[str, dict[str, Any]], int]:
    """`on:` in all its forms (a string, a list, a map with null or flow values) as {event: config}."""
    key = "on" if "on" in doc else (True if True in doc else None)
    if key is None:
        return {}, 0
    raw, on_line = doc[key], line_of(doc, key)
    if isinstance(raw, str):
        return {raw: {"line": on_line}}, on_line
    if isinstance(raw, list):
        return {_text(e): {"line": line_of(raw, i)} for i, e in enumerate(raw) if isinstance(e, str)}, on_line
    if isinstance(raw, dict):
        return {str(k): _event_config(str(k), v, line_of(raw, k, on_line)) for k, v in raw.items()}, on_line
    return {}, on_line


def _run_line(lines: list[str], key_line: int) -> int:
    """The line a `run:` script starts on: the key's line, or the next one for `|`, `>` and bare keys."""
    source = lines[key_line - 1] if 0 < key_line <= len(lines) else ""
    return key_line + 1 if _BLOCK_SCALAR.search(source.split("run", 1)[-1]) else key_line


def read_step(step: YDict, lines: list[str]) -> dict[str, Any]:
    run_key = line_of(step, "run", step.line)
    return {
        "line": step.line,
        "name": _text(step.get("name")),
        "id": _text(step.get("id")),
        "uses": _text(step.get("uses")),
        "uses_line": line_of(step, "uses", step.line),
        "with": _str_map(step.get("with")),
        "with_lines": _key_lines(step.get("with")),
        "run": _text(step.get("run")) if "run" in step else None,
        "run_line": _run_line(lines, run_key) if "run" in step else step.line,
        # a folded script (`run: >`) keeps its source lines: its commands' offsets are all 0
        **({"run_block": block} if "run" in step and (block := folded_block(lines, run_key)) is not None else {}),
        "if": _text(step.get("if")) if "if" in step else None,
        "env": _str_map(step.get("env")),
        "wd": _text(step.get("working-directory")),
        "may_fail_line": _may_fail_line(step),
    }


def _may_fail_line(node: YDict) -> int:
    """The line of `continue-on-error: true` (0 without): a failure there blocks nothing."""
    return line_of(node, "continue-on-error") if node.get("continue-on-error") is True else 0


def _key_lines(node: Any) -> dict[str, int]:
    """Each key's line in a mapping (a step's `with:`): a setting is cited where it is written."""
    return {str(k): v for k, v in getattr(node, "key_lines", {}).items()} if isinstance(node, YDict) else {}


def _with_line(step: dict[str, Any], key: str, default: int) -> int:
    """The line of one of a step's `with:` inputs (`helmfile-args:`), else `default` (its `uses:`)."""
    return int(step.get("with_lines", {}).get(key, default))


def _matrix(strategy: Any) -> dict[str, Any]:
    """Matrix dimensions as literal lists, or the expression text where the matrix is computed."""
    matrix = strategy.get("matrix") if isinstance(strategy, dict) else None
    if isinstance(matrix, str):
        return {"*": matrix}
    if not isinstance(matrix, dict):
        return {}
    dims: dict[str, Any] = {}
    for key, value in matrix.items():
        if key == "include" and isinstance(value, list):
            for entry in value:
                for k, v in entry.items() if isinstance(entry, dict) else ():
                    dims.setdefault(str(k), [])
                    if isinstance(dims[str(k)], list) and not isinstance(v, (dict, list)):
                        dims[str(k)].append(_text(v))
        elif key != "exclude":
            dims[str(key)] = _strings(value) if isinstance(value, list) else _text(value)
    return dims


def read_job(
    job_id: str, job: YDict, jobs: YDict, lines: list[str], diags: list[tuple[int | None, str]]
) -> dict[str, Any]:
    line = jobs.line_of(job_id)
    environment = job.get("environment")
    env_record = None
    if isinstance(environment, dict):
        env_record = {
            "name": _text(environment.get("name")),
            "url": _text(environment.get("url")) or None,
            "line": line_of(job, "environment", line),
            "url_line": line_of(environment, "url", line_of(job, "environment", line)),
        }
    elif environment is not None:
        env_record = {"name": _text(environment), "url": None, "line": line_of(job, "environment", line), "url_line": 0}
    services = job.get("services")
    steps: list[dict[str, Any]] = []
    raw_steps = job.get("steps")
    if isinstance(raw_steps, list):
        for index, step in enumerate(raw_steps):
            if isinstance(step, YDict):
                steps.extend(read_step(s, lines) for s in _flat_steps(step))
            else:
                diags.append(
                    (line_of(raw_steps, index), f"step {index + 1} of job {job_id!r} is not a mapping; skipped")
                )
    container = job.get("container")
    container_image = container.get("image") if isinstance(container, dict) else container
    return {
        "id": job_id,
        "line": line,
        "name": _text(job.get("name")),
        "needs": _strings(job.get("needs")),
        "needs_line": line_of(job, "needs", line),
        "if": _text(job.get("if")) if "if" in job else None,
        "if_line": line_of(job, "if", line),
        "may_fail_line": _may_fail_line(job),
        "environment": env_record,
        "uses": _text(job.get("uses")),
        "uses_line": line_of(job, "uses", line),
        "with": _str_map(job.get("with")),
        "matrix": _matrix(job.get("strategy")),
        "matrix_line": line_of(job, "strategy", line),
        "services": [
            {
                "name": str(name),
                "image": _text(spec.get("image") if isinstance(spec, dict) else spec),
                # the image a service runs is what a test statement names, and where it is written
                "line": line_of(spec, "image", line_of(services, name)) if isinstance(spec, dict)
                else line_of(services, name),
            }
            for name, spec in (services.items() if isinstance(services, dict) else ())
        ],
        "container": _text(container_image) or None,
        "container_line": line_of(job, "container", line),
        "env": _str_map(job.get("env")),
        "wd": _default_wd(job),
        "steps": steps,
    }


def _default_wd(holder: Any) -> str:
    defaults = holder.get("defaults") if isinstance(holder, dict) else None
    run = defaults.get("run") if isinstance(defaults, dict) else None
    return _text(run.get("working-directory")) if isinstance(run, dict) else ""


def read_workflow(doc: Any, lines: list[str], diags: list[tuple[int | None, str]]) -> dict[str, Any] | None:
    if not isinstance(doc, YDict):
        diags.append((None, "not a workflow: the file is not a mapping"))
        return None
    events, on_line = read_on(doc)
    jobs = doc.get("jobs")
    job_records = []
    if isinstance(jobs, YDict):
        for job_id, job in jobs.items():
            if isinstance(job, YDict):
                job_records.append(read_job(str(job_id), job, jobs, lines, diags))
            else:
                diags.append((jobs.line_of(job_id), f"job {job_id!r} is not a mapping; skipped"))
    else:
        diags.append((line_of(doc, "jobs", doc.line), "no `jobs:` mapping; nothing runs"))
    if not events:
        diags.append((doc.line, "no `on:` triggers; GitHub never starts this workflow"))
    return {
        "name": _text(doc.get("name")),
        "events": events,
        "on_line": on_line,
        "env": _str_map(doc.get("env")),
        "wd": _default_wd(doc),
        "jobs": job_records,
    }


_STEP_GROUPS = ("parallel", "sequential")


def _flat_steps(step: YDict, depth: int = 0) -> list[YDict]:
    """A step, or the steps of a group: a `parallel:` block runs its steps side by side (GitHub
    Actions' parallel steps, 2026), each item a step or a `sequential:` list of them. They are read
    in the order written: what the document says is what runs, not when (karakeep's test job runs
    its four suites in one `parallel:` block, which was read as no step at all)."""
    group = next((step[key] for key in _STEP_GROUPS if key in step and isinstance(step[key], list)), None)
    if group is None or depth > 4:
        return [step]
    return [inner for item in group if isinstance(item, YDict) for inner in _flat_steps(item, depth + 1)]


def read_action(doc: Any, lines: list[str]) -> dict[str, Any] | None:
    if not isinstance(doc, YDict) or not isinstance(doc.get("runs"), dict):
        return None
    runs = doc["runs"]
    steps = runs.get("steps")
    inputs = doc.get("inputs")
    return {
        "name": _text(doc.get("name")),
        "using": _text(runs.get("using")).lower(),
        "steps": [read_step(f, lines) for s in steps if isinstance(s, YDict) for f in _flat_steps(s)]
        if isinstance(steps, list) else [],
        "inputs": {str(k): _text(v.get("default")) if isinstance(v, dict) else "" for k, v in inputs.items()}
        if isinstance(inputs, dict)
        else {},
    }


# ==== phase 2, part 1: how a workflow starts (triggers and scenarios) ===========================


@dataclass(frozen=True)
class Trigger:
    """One way a workflow starts, as the document says it: `push to` `main` (paths `api/**`)."""

    path: str
    line: int
    event: str
    phrase: str
    subject: str = ""
    tail: str = ""
    note_label: str = ""
    note_values: tuple[str, ...] = ()
    manual: bool = False
    paren: bool = False  # the subject is shown in parentheses: nightly (`0 3 * * *`)
    # what a job's `if:` still asks on this trigger alone, when it asks nothing on the others
    # (miniflux: `(github.event_name == 'schedule' && github.repository_owner == 'miniflux') || ...`)
    condition: str = ""
    excluded: tuple[str, ...] = ()  # the branch patterns a push trigger leaves out (`branches-ignore`)

    def label(self) -> str:
        """The plain form used in attrs["triggers"]: "push to main", "tag push v*", "manual"."""
        subject = f"`{self.subject}`" if self.paren and self.subject else self.subject
        return " ".join(p for p in (self.phrase, subject, self.tail) if p)


@dataclass(frozen=True)
class Scope:
    """What expressions can see in one scenario: github.* and inputs.* values, env, matrix."""

    values: Mapping[str, Values]
    env: tuple[Mapping[str, str], ...] = ()
    matrix: Mapping[str, Any] = field(default_factory=dict)

    def lookup(self, name: str, depth: int = 0) -> Values:
        if name.startswith("github.event.inputs."):
            name = "inputs." + name[len("github.event.inputs.") :]
        if name in self.values:
            return self.values[name]
        if name.startswith("env.") and depth < 4:
            key = name[4:]
            for layer in self.env:
                if key in layer:
                    value = layer[key]
                    if value == _RUN_TIME_VALUE:
                        return ANY
                    if "${{" not in value:
                        return frozenset({value})
                    return interpolate(value, lambda n: self.lookup(n, depth + 1))
            return ANY
        if name.startswith("matrix."):
            dim = self.matrix.get(name[7:])
            return frozenset(dim) if isinstance(dim, list) and dim else ANY
        return ANY

    def if_lookup(self, name: str) -> Values:
        """As `lookup`, for an `if:` condition, where what an event does not carry is null: a push has
        no inputs (redash's release image step, `if: github.event.inputs.dockerRepository ==
        'redash'`, never runs on its tag pushes), no pull request (plane's `requested_reviewers !=
        null` job never runs on its dispatch) and no workflow run (`_EVENT_PAYLOADS`). Not for
        commands and image names, which show the expression as written rather than an empty string."""
        value = self.lookup(name)
        events = self.values.get("github.event_name", ANY)
        if UNKNOWN not in value or UNKNOWN in events:
            return value
        if name.startswith(("inputs.", "github.event.inputs.")) and "workflow_dispatch" not in events:
            return frozenset({""})
        payload = ".".join(name.split(".")[:3])
        carried = _EVENT_PAYLOADS.get(payload)
        if carried is not None and not events & carried:
            return frozenset({""})
        if carried is not None and name == payload and events <= carried:
            return frozenset({PRESENT})
        return value

    def raw_env(self, name: str) -> str | None:
        for layer in self.env:
            if name in layer:
                return None if layer[name] == _RUN_TIME_VALUE else layer[name]
        return None

    def expand(self, text: str) -> str:
        """`text` with single-valued expressions replaced and `${{ env.X }}` spelled out, even when X
        itself holds an expression (`openstatus-api-preview-${{ github.ref_name }}`)."""
        if "${{" not in text:  # most scripts and inputs: nothing to expand
            return text
        for _ in range(3):
            expanded = _ENV_REF.sub(lambda m: self.raw_env(m.group(1)) or m.group(0), text)
            if expanded == text:
                break
            text = expanded
        return substitute(text, self.lookup)

    def child(self, env: Mapping[str, str] | None = None, values: Mapping[str, Values] | None = None) -> Scope:
        return Scope(
            {**self.values, **(values or {})},
            ((env,) if env else ()) + self.env,
            self.matrix,
        )


@dataclass(frozen=True)
class Scenario:
    trigger: Trigger
    scope: Scope
    fixed: tuple[tuple[str, str], ...] = ()  # workflow_dispatch inputs chosen in this scenario
    # The job's own scope, kept for the steps of a composite action, whose `inputs.*` are the
    # action's: the job's `environment: ${{ inputs.environment }}` reads the workflow's (flagsmith's
    # reusable ECS deploy, whose deploy step is a local action, was "chosen at run time").
    job_scope: Scope | None = None

    @property
    def jobs(self) -> Scope:
        """The scope the job's own expressions (its environment) are read in."""
        return self.job_scope or self.scope

    @property
    def key(self) -> tuple[Trigger, tuple[tuple[str, str], ...]]:
        """The same start seen from different steps (each step has its own scope)."""
        return (self.trigger, self.fixed)


_ENV_REF = re.compile(r"\$\{\{\s*env\.([\w-]+)\s*\}\}")
_DEFAULT_PR_TYPES = ("opened", "synchronize", "reopened")


def _ref(prefix: str, pattern: str) -> Any:
    return prefix + pattern if not _GLOB_CHARS.search(pattern) else Glob(prefix + pattern)


def _paths_note(config: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    if config.get("paths"):
        return "paths", tuple(config["paths"])
    if config.get("paths_ignore"):
        return "ignoring paths", tuple(config["paths_ignore"])
    return "", ()


_ONE_DAY = re.compile(r"(?i)[0-7]|sun|mon|tue|wed|thu|fri|sat")
_WEEKDAYS = re.compile(r"(?i)1-5|mon-fri")


def _cron_phrase(cron: str) -> str:
    """Once a day, once a week or every weekday at a fixed time; anything else is a schedule."""
    fields = cron.split()
    if len(fields) != 5 or not (fields[0].isdigit() and fields[1].isdigit()) or fields[2:4] != ["*", "*"]:
        return "schedule"
    if fields[4] == "*":
        return "nightly" if int(fields[1]) < 7 or int(fields[1]) >= 22 else "daily"
    if _ONE_DAY.fullmatch(fields[4]):
        return "weekly"
    if _WEEKDAYS.fullmatch(fields[4]):
        return "every weekday"
    return "schedule"


def _event_values(event: str) -> dict[str, Values]:
    return {"github.event_name": frozenset({event})}


_EVERY_NAME = frozenset({"*", "**"})


def _push(path: str, config: Mapping[str, Any]) -> Iterator[tuple[Trigger, dict[str, Values]]]:
    line, (label, paths) = config["line"], _paths_note(config)
    branches, tags = config.get("branches", []), config.get("tags", [])
    ignored_b, ignored_t = config.get("branches_ignore", []), config.get("tags_ignore", [])
    if not (branches or tags or ignored_b or ignored_t):
        yield Trigger(path, line, "push", "every push", "", "", label, paths), _event_values("push")
        return
    for branch in branches:
        ref = _ref("refs/heads/", branch)
        values = {**_event_values("push"), "github.ref": frozenset({ref}), "github.ref_type": frozenset({"branch"})}
        if isinstance(ref, str):
            values["github.ref_name"] = frozenset({branch})
        yield Trigger(path, line, "push", "push to", branch, "", label, paths), values
    # `**` ignores every name, and `*` every name without a slash: all tags but `release/v1`-style
    # ones (`branches: ['*']` with `tags-ignore: ['*']` means "branches, never tags": flux2 examples'
    # e2e), but not the `feature/x` branches, which still run.
    if ignored_b and not branches and "**" not in ignored_b:
        values = {**_event_values("push"), "github.ref_type": frozenset({"branch"})}
        yield Trigger(path, line, "push", "push to branches except", ", ".join(ignored_b), "", label, paths,
                      excluded=tuple(ignored_b)), values
    # GitHub does not evaluate path filters for tag pushes: flagsmith's production deploy runs on
    # every tag, whatever its `paths: [api/**]` says of branch pushes
    for tag in tags:
        ref = _ref("refs/tags/", tag)
        values = {**_event_values("push"), "github.ref": frozenset({ref}), "github.ref_type": frozenset({"tag"})}
        yield Trigger(path, line, "push", "tag push", tag, "", "", ()), values
    if ignored_t and not tags and not _EVERY_NAME & set(ignored_t):
        values = {**_event_values("push"), "github.ref_type": frozenset({"tag"})}
        yield Trigger(path, line, "push", "tag push except", ", ".join(ignored_t), "", "", ()), values


def _pull_request(path: str, event: str, config: Mapping[str, Any]) -> Iterator[tuple[Trigger, dict[str, Values]]]:
    line, (label, paths) = config["line"], _paths_note(config)
    types = config.get("types") or list(_DEFAULT_PR_TYPES)
    targets = config.get("branches") or [""]
    # a pull request's ref is a branch (vikunja calls its release workflow `if: github.ref_type ==
    # 'tag' || github.ref_name == 'main'`, which no pull request meets)
    base = {**_event_values(event), "github.ref": frozenset({Glob("refs/pull/*/merge")}),
            "github.ref_type": frozenset({"branch"})}
    if event == "pull_request":
        # `<number>/merge`: searxng deploys its docs `if: github.ref_name == 'master'`, never from a pull request
        base["github.ref_name"] = frozenset({Glob("*/merge")})
    groups: list[tuple[str, dict[str, Values]]] = []
    ordinary = [t for t in types if t not in ("closed", "labeled")]
    if ordinary:
        groups.append(
            (
                "pull requests",
                {"github.event.action": frozenset(ordinary), "github.event.pull_request.merged": frozenset({False})},
            )
        )
    if "labeled" in types:
        groups.append(
            (
                "labelled pull requests",
                {"github.event.action": frozenset({"labeled"}), "github.event.pull_request.merged": frozenset({False})},
            )
        )
    if "closed" in types:
        closed = frozenset({"closed"})
        groups.append(
            (
                "merged pull requests",
                {"github.event.action": closed, "github.event.pull_request.merged": frozenset({True})},
            )
        )
        groups.append(
            (
                "closed pull requests",
                {"github.event.action": closed, "github.event.pull_request.merged": frozenset({False})},
            )
        )
    for phrase, values in groups:
        for target in targets:
            scoped = {**base, **values}
            if target:
                scoped["github.base_ref"] = frozenset({_ref("", target)})
            yield Trigger(path, line, event, phrase + (" to" if target else ""), target, "", label, paths), scoped


def _input_options(spec: Mapping[str, Any]) -> list[Any]:
    """The values a `workflow_dispatch` input can take: a boolean's two, a choice's options, else none known."""
    return [True, False] if spec.get("type") == "boolean" else list(spec.get("options") or [])


def _dispatch_inputs(workflow: Mapping[str, Any]) -> Mapping[str, Any]:
    """A workflow's `workflow_dispatch` inputs by name (none when it cannot be dispatched)."""
    inputs: Mapping[str, Any] = workflow["events"].get("workflow_dispatch", {}).get("inputs", {})
    return inputs


def _dispatch(
    path: str, config: Mapping[str, Any], referenced: str
) -> Iterator[tuple[Trigger, dict[str, Values], tuple[tuple[str, str], ...]]]:
    """One scenario per choice of the inputs that pick environments or that conditions test."""
    line = config["line"]
    inputs: Mapping[str, Any] = config.get("inputs", {})
    values: dict[str, Values] = {**_event_values("workflow_dispatch")}
    enumerate_: list[tuple[str, list[Any]]] = []
    know = knowledge()
    for name, spec in inputs.items():
        options = _input_options(spec)
        mentioned = re.search(rf"inputs\.{re.escape(name)}\b", referenced) is not None
        if options and (know.environment_inputs.match(name) or mentioned):
            enumerate_.append((name, options))
        values[f"inputs.{name}"] = frozenset(options) if options else ANY
    combos: list[tuple[tuple[str, Any], ...]] = [()]
    for name, options in enumerate_:
        if len(combos) * len(options) > 32:
            continue
        combos = [(*c, (name, o)) for c in combos for o in options]
    for combo in combos:
        scoped = dict(values)
        for name, option in combo:
            scoped[f"inputs.{name}"] = frozenset({option})
        fixed = tuple((n, _as_text(o)) for n, o in combo)
        yield Trigger(path, line, "workflow_dispatch", "manual dispatch", manual=True), scoped, fixed


def _other(path: str, event: str, config: Mapping[str, Any]) -> Iterator[tuple[Trigger, dict[str, Values]]]:
    line = config["line"]
    values = _event_values(event)
    if event == "schedule":
        for cron, cron_line in config.get("crons", []) or [["", line]]:
            yield Trigger(path, cron_line, event, _cron_phrase(cron), cron, paren=True), values
    elif event == "release":
        types = ", ".join(config.get("types", []))
        ref = {"github.ref": frozenset({Glob("refs/tags/*")}), "github.ref_type": frozenset({"tag"})}
        yield Trigger(path, line, event, "release", types, paren=bool(types)), {**values, **ref}
    elif event == "workflow_run":
        names = ", ".join(config.get("workflows", [])) or "?"
        branches = tuple(config.get("branches", []))
        note = "on" if branches else ""
        if "requested" in config.get("types", []) and "completed" not in config.get("types", []):
            yield Trigger(path, line, event, "when workflow", names, "starts", note, branches), values
            return
        key = "github.event.workflow_run.conclusion"
        success = {**values, key: frozenset({"success"})}
        yield Trigger(path, line, event, "after workflow", names, "succeeds", note, branches), success
        failed = {**values, key: frozenset({"failure"})}
        yield Trigger(path, line, event, "after workflow", names, "completes", note, branches), failed
    elif event == "repository_dispatch":
        types = ", ".join(config.get("types", []))
        yield Trigger(path, line, event, "external repository dispatch", types, paren=bool(types)), values
    elif event == "merge_group":
        # the queue tests a temporary branch: homepage's docs deploy (`if: github.ref ==
        # 'refs/heads/main'`) does not run there
        ref = {"github.ref": frozenset({Glob("refs/heads/gh-readonly-queue/*")}),
               "github.ref_name": frozenset({Glob("gh-readonly-queue/*")}), "github.ref_type": frozenset({"branch"})}
        yield Trigger(path, line, event, "merge queue"), {**values, **ref}
    elif event in ("issue_comment", "pull_request_review_comment"):
        commands = ", ".join(config.get("commands", []))
        yield (
            Trigger(
                path, line, event, "comment" if commands else "issue or pull request comment", commands, manual=True
            ),
            values,
        )
    elif event in ("deployment", "deployment_status"):
        yield Trigger(path, line, event, "GitHub deployment event"), values
    else:
        yield Trigger(path, line, event, event.replace("_", " ")), values


def scenarios_for(path: str, workflow: Mapping[str, Any]) -> list[Scenario]:
    """Every way a workflow starts on its own (workflow_call is its callers' business)."""
    referenced = _conditions_text(workflow)
    base = Scope({}, (workflow.get("env", {}),))
    out: list[Scenario] = []
    for event, config in workflow.get("events", {}).items():
        if event == "workflow_call":
            continue
        if event == "push":
            out.extend(Scenario(t, base.child(values=v)) for t, v in _push(path, config))
        elif event in ("pull_request", "pull_request_target"):
            out.extend(Scenario(t, base.child(values=v)) for t, v in _pull_request(path, event, config))
        elif event == "workflow_dispatch":
            out.extend(Scenario(t, base.child(values=v), f) for t, v, f in _dispatch(path, config, referenced))
        else:
            if event in ("issue_comment", "pull_request_review_comment"):
                config = {**config, "commands": _commands_in(referenced)}
            out.extend(Scenario(t, base.child(values=v)) for t, v in _other(path, event, config))
    return out


def _conditions_text(workflow: Mapping[str, Any]) -> str:
    """Every condition and environment expression of a workflow, to know which inputs matter."""
    parts: list[str] = []
    for job in workflow.get("jobs", []):
        parts.append(job.get("if") or "")
        env = job.get("environment") or {}
        parts.append(env.get("name") or "")
        parts.extend(job.get("with", {}).values())
        parts.extend(s.get("if") or "" for s in job.get("steps", []))
    return "\n".join(parts)


# ==== phase 2, part 2: job runs, steps and what each step does ==================================


@dataclass
class Found:
    """One thing a step does (build, test, deploy...), with where it is written.

    `path`/`line` are the workflow (or composite action) step; `source` is where the command
    really lives when it was reached through `npm test`, a Makefile target or a script.
    """

    kind: str
    tool: str
    command: str
    path: str
    line: int
    level: str | None = None
    target: str | None = None
    entry: str = ""  # the command the workflow wrote, when `command` was reached through it
    source: tuple[str, int] | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    automatic: bool = False
    images: tuple[str, ...] = ()
    inferred: bool = False

    def evidence(self) -> list[tuple[str, int]]:
        return [(self.path, self.line)] + ([self.source] if self.source else [])


@dataclass(frozen=True)
class Resolved:
    """A step's `run:` and `with:` with the expressions one scenario settles filled in."""

    run: str
    with_: dict[str, str]
    lookup: Lookup


@dataclass
class StepRun:
    path: str
    step: dict[str, Any]
    index: tuple[int, ...]
    scenarios: list[Scenario]
    wd: str  # where its commands run: its own working-directory, else its job's or workflow's default
    groups: list[tuple[list[Scenario], list[Found]]] = field(default_factory=list)

    @cached_property
    def finds(self) -> list[Found]:
        """Everything the step does; read only once the runs are built (`Expander.runs`), when the
        groups no longer change, and read again by many statements, so kept."""
        return [f for _, finds in self.groups for f in finds]


@dataclass
class JobRun:
    path: str  # the file that holds the job (a reusable workflow for called jobs)
    job: dict[str, Any]
    workflow: dict[str, Any]
    top: str  # the workflow whose trigger starts this run
    order: tuple[Any, ...]
    scenarios: list[Scenario]
    calls: tuple[tuple[str, int], ...]  # `uses:` call sites from the top workflow down to this file
    steps: list[StepRun] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    callee: list[JobRun] = field(default_factory=list)
    # The `if:` conditions the scan cannot decide for this run's triggers, as the document words
    # them, with their place; its calling jobs' first: `needs.release.outputs.created` holds on
    # some pushes only, and a statement that the job runs "on push to `main`" says so.
    undecided: tuple[tuple[tuple[Part, ...], str, int], ...] = ()
    # The `if:` lines that narrowed a push trigger to a branch (or away from one): cited as the
    # conditions are, since the trigger the document names comes from them (`_pinned_push`).
    pinned_at: tuple[tuple[str, int], ...] = ()

    @property
    def instance(self) -> tuple[str, tuple[tuple[str, int], ...]]:
        return (self.top, self.calls)

    # The three below are read only once the runs are built (`Expander.runs`), when steps and their
    # groups no longer change; every statement asks them again, so they are kept.
    @cached_property
    def finds(self) -> list[Found]:
        return [f for s in self.steps for f in s.finds]

    @cached_property
    def kinds(self) -> frozenset[str]:
        return frozenset(f.kind for f in self.finds)

    def has(self, kind: str) -> bool:
        return kind in self.kinds

    @cached_property
    def ephemeral(self) -> bool:
        """Deploys into a cluster started in the runner, or an environment torn down again, or is a
        job named for tests that deploys to no environment it names (microservices-demo's
        `deployment-tests` deploys each branch to its own namespace of a CI cluster and smoke-tests it)."""
        kinds = self.kinds
        if "cluster" in kinds or ("teardown" in kinds and bool(kinds & {"test", "deploy"})):
            return True
        named = f"{self.job['id']} {self.job['name'] or ''}"
        return "deploy" in kinds and not self.job["environment"] and bool(knowledge().deploy_test_jobs.search(named))


_LOCAL_SCRIPT = re.compile(
    r"^(?:(?:ba|z|da)?sh\s+(?:-\w+\s+)*)?(?P<path>(?:\.{1,2}/|/?[\w.@-]+/)[\w.@/-]*\.(?:sh|bash)|\./[\w.@/-]+)(?:\s|$)"
)


_GIT_PUSH = re.compile(r"\bgit\s+push\b.*?\s\+?(?P<src>[\w./-]+):(?:refs/heads/)?(?P<dst>[\w./-]+)(?:\s|$)")
_SUBSTITUTION = re.compile(r"\$\(([^()]+)\)")
_TURBO = re.compile(r"^(?:(?:npx|pnpm|yarn|bunx|pnpm\s+exec|npm\s+exec)\s+)?turbo\s+(?:run\s+)?(?P<task>[\w:.\-]+)")
# A script that does nothing (`"test": "exit 0"`, a placeholder so `npm test` passes) is no test.
_NO_OP = re.compile(r"^\s*(?:exit\s+0|true|:|echo\b.*)\s*$")
# A script or target named for tests: `test`, `test:unit`, `e2e-ci`; Makefile targets also use dots
# (searxng's CI runs `make ci.test`, which reaches its tests through a `./manage` script).
_PLACEHOLDER = "EXPR"
# Patterns of per-step and per-value helpers, compiled once.
_GLOB_CHARS = re.compile(r"[*?\[]")
_PROD = re.compile(r"(?:^|\s)--prod\b|^true$")
_OUTPUT_NAME = re.compile(r"(?:^|,)\s*name=([^,\s]+)")
_OUTPUT_PUSH = re.compile(r"(?:^|,)\s*push=true\b")
# buildx's local and tar exporters write the build's files, not an image: `type=local,dest=./out`
_EXPORTED = re.compile(r"^\s*type=(?P<type>local|tar)\b(?:.*?(?:^|,)\s*dest=(?P<dest>[^,\n]+))?")
_STEP_OUTPUT = re.compile(r"steps\.([\w-]+)\.outputs\.")
_IMAGE_SEPARATOR = re.compile(r"[,\n]")
_EXPRESSION_LOGIC = re.compile(r"&&|\|\||==|!=")


def _meta_images(raw: str) -> str:
    """docker/metadata-action's `images`, one per line: a line in its attribute form
    (`name=ghcr.io/acme/app,enable=true`) is its `name`, and nothing when `enable=false`; any other
    line is image names as they are (pixelfed's `enable=true` was taken for an image)."""
    out: list[str] = []
    for line in raw.splitlines():
        attrs = dict(part.strip().partition("=")[::2] for part in _attribute_parts(line))
        if "name" not in attrs:
            out.append(line)
        elif attrs.get("enable", "true").strip().lower() != "false":
            out.append(attrs["name"])
    return "\n".join(out)


def _split_outside_expressions(raw: str, separator: re.Pattern[str]) -> list[str]:
    """`raw` split where `separator` matches outside `${{ }}` (`format('{0}:{1}', a, b)` is one part)."""
    spans: list[str] = []

    def hide(match: re.Match[str]) -> str:
        spans.append(match.group(0))
        return f"\x00{len(spans) - 1}\x00"

    masked = EXPR.sub(hide, raw)
    return [re.sub(r"\x00(\d+)\x00", lambda m: spans[int(m.group(1))], part) for part in separator.split(masked)]


def _attribute_parts(line: str) -> list[str]:
    """A line's comma-separated parts, commas inside `${{ }}` kept."""
    return _split_outside_expressions(line, _COMMA)


def _image_names(raw: str) -> list[str]:
    """Image references in a comma- or newline-separated input. Commas inside `${{ }}` do not
    separate (`format('ghcr.io/{0}:{1}', a, b)`), and an entry that is one conditional expression
    (`${{ a == 'ecr' && x || y }}`) names no image that can be written down."""
    names = []
    for part in _split_outside_expressions(raw, _IMAGE_SEPARATOR):
        name = part.strip()
        whole = EXPR.fullmatch(name)
        if name and not (whole and _EXPRESSION_LOGIC.search(whole.group(1))):
            names.append(name)
    return names


_COMMA = re.compile(",")
_CONFIG_SUFFIX = re.compile(r"\.(?:ya?ml|toml|json|tfvars)$")
_ANY_SCHEME = re.compile(r"^[a-z]+://")
_HTTP_SCHEME = re.compile(r"^https?://")
# An app name as a platform takes it: no expression or placeholder left in it.
_APP_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
_RUNTIME_TAG = re.compile(r":(?:\$\{\{[^}]*\}\}|EXPR)$")


def substitute(text: str, lookup: Lookup, keep: bool = True) -> str:
    """Replaces each `${{ }}` that has one literal value here; the others stay (or become EXPR)."""

    def one(match: re.Match[str]) -> str:
        try:
            values = evaluate(parse_expression(match.group(1)), lookup)
        except (ExprError, RecursionError, IndexError):
            values = ANY
        found = [v for v in values if v not in (UNKNOWN, FALSY) and not isinstance(v, Glob)]
        if len(found) == 1 and len(values) == 1:
            return _as_text(found[0])
        return match.group(0) if keep else _PLACEHOLDER

    return EXPR.sub(one, text)


class Expander:
    """Builds every job run of a repository: workflows, reusable workflows, composite actions."""

    def __init__(self, ctx: ResolveContext, detector: str) -> None:
        self.ctx = ctx
        self.detector = detector
        self.workflows = {r.path: r.data for r in ctx.records(WORKFLOW)}
        self.actions = {r.path: r.data for r in ctx.records(ACTION)}
        self.tasks = TaskIndex(ctx)
        self.npm_targets = self.tasks.npm_scripts
        self.goreleaser = {r.path: r for r in ctx.records("goreleaser.config")}
        self.scripts: dict[str, list[Record]] = {}
        for record in ctx.records("script.command"):
            self.scripts.setdefault(record.path, []).append(record)
        self.function_calls: dict[str, list[Record]] = {}
        for record in ctx.records(FUNCTION_CALL):
            self.function_calls.setdefault(record.path, []).append(record)
        self.know = knowledge()
        self._reported: set[tuple[str, int, str]] = set()
        self._scripts_seen: dict[tuple[str, str, str, int], list[Found]] = {}
        # Monorepos repeat commands (`make test` in every service's workflow) and targets: each distinct
        # script is split once here, each (runner, target, directory) looked up once (and each distinct
        # command classified once, by commands.classify).
        self._splits = SplitMemo()
        self._targets: dict[tuple[str, str, str], Record | None] = {}

    def diagnose(self, path: str, line: int, message: str, severity: Severity = Severity.WARNING) -> None:
        key = (path, line, message)
        if key not in self._reported:
            self._reported.add(key)
            self.ctx.diagnose(path, line, message, self.detector, severity)

    # -- job runs ---------------------------------------------------------------------------------

    def runs(self) -> list[JobRun]:
        out: list[JobRun] = []
        for path in sorted(self.workflows):
            workflow = self.workflows[path]
            scenarios = scenarios_for(path, workflow)
            if scenarios:
                out.extend(self._workflow(path, workflow, scenarios, (), (path,), (path,)))
        return out

    def _workflow(
        self,
        path: str,
        workflow: dict[str, Any],
        scenarios: list[Scenario],
        calls: tuple[tuple[str, int], ...],
        order: tuple[Any, ...],
        stack: tuple[str, ...],
    ) -> list[JobRun]:
        out: list[JobRun] = []
        jobs = workflow.get("jobs", [])
        scoped_by_job = [
            [Scenario(s.trigger, Scope(s.scope.values, (job["env"], *s.scope.env), job["matrix"]), s.fixed)
             for s in scenarios]
            for job in jobs
        ]
        runnable = _runnable(jobs, scoped_by_job)
        made: dict[str, JobRun] = {}  # this workflow's own runs by job id (needs name earlier jobs)
        pins: dict[tuple[str, int], Pin | None] = {}  # (job id, scenario) -> its branch, None for none
        # (job id, scenario) -> what its `if:` asks there alone, and the `if:` line that says so
        asked: dict[tuple[str, int], tuple[str, tuple[str, int]]] = {}
        for index, job in enumerate(jobs):
            passing = []
            indices: list[int] = []
            pinned_at: set[tuple[str, int]] = set()
            regardless = bool(_REGARDLESS.search(str(job["if"] or "")))  # runs whatever its needs did
            for i, scenario in enumerate(scoped_by_job[index]):
                if i not in runnable[index]:
                    continue
                # a job that runs on one branch only, or after one that does, runs on a push to it
                pin = _pinned_push(job["if"], job["if_line"], scenario)
                if pin is False and not regardless:
                    pin = next((pins[(need, i)] for need in job["needs"] if (need, i) in pins), False)
                if pin is not False:
                    pins[(job["id"], i)] = pin
                if pin is None:
                    continue  # no push to a branch it runs on
                if pin:
                    pinned_at.add((pin[0].path, pin[0].line))
                    scenario = replace(scenario, trigger=pin[0], scope=scenario.scope.child(values=pin[1]))
                passing.append(scenario)
                indices.append(i)
            if not passing:
                continue
            passing, cited = self._asked_per_trigger(job, passing, indices, asked, regardless, path)
            run = JobRun(path, job, workflow, order[0], (*order, index), passing, calls,
                         pinned_at=tuple(sorted(pinned_at | cited)))
            clause = _undecided(job["if"], [s for s in passing if not s.trigger.condition])
            # a job that needs an undecided one runs only when it did (unless it checks the status):
            # the deploy after `build` (`if: needs.release.outputs.created`) waits on that too
            inherited = () if regardless else tuple(
                c for need in job["needs"] if need in made for c in made[need].undecided)
            own = ((clause, path, job["if_line"]),) if clause else ()
            run.undecided = tuple(dict.fromkeys((*inherited, *own)))
            made[job["id"]] = run
            out.append(run)
            if job["uses"]:
                run.callee = self._call(run, stack)
                for called in run.callee:
                    called.undecided = (*run.undecided, *called.undecided)
                out.extend(run.callee)
            else:
                wd = job["wd"] or workflow.get("wd", "")
                run.steps = self._steps(path, job["steps"], passing, (), job, wd, (path,))
                run.unresolved = sorted({s["uses"] for s in job["steps"] if self._unknown_remote(s["uses"])})
        return out

    def _only_checks(self, step: dict[str, Any], found: Found) -> bool:
        """`npm run typecheck` reaching `tsc`, or a step named "Type check": a check, not a build."""
        if found.kind != "build" or found.images:
            return False
        name = step["name"]
        named = bool(name) and self.know.checks.search(name) is not None and "build" not in name.lower()
        return named or (bool(found.entry) and self.know.checks.search(found.entry) is not None)

    @cached_property
    def _dockerfiles(self) -> frozenset[str]:
        """The Dockerfiles of the repository (the Dockerfile detector's files)."""
        return frozenset(self.ctx.paths("dockerfile"))

    def _dockerfile_action(self, uses: str, with_: Mapping[str, str], lookups: list[Lookup]) -> ActionSpec | None:
        """An action the table does not know, given a Dockerfile of this repository in an input
        named for one (as written, or each value its matrix gives): it builds that Dockerfile, by
        inference (plane's `makeplane/actions/build-push` with `dockerfile-path`: the image
        pipeline the document otherwise never mentioned)."""
        # the repository and path say what the action does; the owner's name does not
        _, _, named = uses.split("@", 1)[0].partition("/")
        builds = self.know.dockerfile_builders.search(named) and not self.know.dockerfile_checkers.search(named)
        if not builds or not self._unknown_remote(uses):
            return None
        dockerfiles = self._dockerfiles
        for key, value in with_.items():
            if not self.know.dockerfile_inputs.match(key):
                continue
            values = {v for lookup in lookups for v in literals(interpolate(value, lookup))} or {value}
            if any(repo_path("", v.strip()) in dockerfiles for v in values):
                roles = {"context": self.know.context_inputs, "image": self.know.image_inputs}
                inputs = {"file": key, **{role: found for role, pattern in roles.items()
                                           if (found := next((k for k in with_ if pattern.match(k)), None))}}
                return ActionSpec(uses.split("@", 1)[0].lower(), ("build",), "docker", inputs=inputs, inferred=True)
        return None

    def _unknown_remote(self, uses: str) -> bool:
        """A marketplace action the table does not know and that is not plumbing (checkout, setup-*)."""
        remote = bool(uses) and not uses.startswith(("./", "docker://"))
        return remote and self.know.action(uses) is None and not self.know.plumbing.search(uses)

    @staticmethod
    def _asked_per_trigger(job: dict[str, Any], passing: list[Scenario], indices: list[int],
                           asked: dict[tuple[str, int], tuple[str, tuple[str, int]]], regardless: bool,
                           path: str) -> tuple[list[Scenario], set[tuple[str, int]]]:
        """The job's scenarios, each trigger carrying what the job's `if:` still asks on it alone when
        the condition holds outright on another trigger (not another run of the same one, which a
        dispatch input splits): miniflux's package tests run on pull requests, and on schedule only
        `if github.repository_owner == 'miniflux'`. A job after such a one asks the same on that
        trigger, and its own question besides (unless its `if:` runs it whatever became of its
        needs). Also the `if:` lines that say so, which the statements cite."""
        settled = [condition(job["if"], _with_results(s.scope.if_lookup)) for s in passing]
        outright = {s.trigger.label() for s, allowed in zip(passing, settled, strict=True) if allowed == {True}}
        out, cited = [], set()
        for scenario, i, allowed in zip(passing, indices, settled, strict=True):
            own = ""
            if allowed == BOTH and outright and scenario.trigger.label() not in outright:
                own = residual(job["if"], _with_results(scenario.scope.if_lookup)) or ""
            inherited = [] if regardless else [asked[(need, i)] for need in job["needs"] if (need, i) in asked]
            questions = list(dict.fromkeys([*(q for q, _ in inherited), *([own] if own else [])]))
            question = " && ".join(questions)
            if (allowed == BOTH and not own) or len(question) > SHOWN_CONDITION or "|" in question:
                question = ""  # said after the triggers, as before, or too long to hold in a code span
            if question:
                lines = {at for _, at in inherited} | ({(path, int(job["if_line"]))} if own else set())
                asked[(job["id"], i)] = (question, min(lines))
                cited |= lines
                scenario = replace(scenario, trigger=replace(scenario.trigger, condition=question))
            out.append(scenario)
        return out, cited

    def _call(self, run: JobRun, stack: tuple[str, ...]) -> list[JobRun]:
        job = run.job
        uses, line = job["uses"], job["uses_line"]
        if not uses.startswith("./"):
            self.diagnose(
                run.path,
                line,
                f"remote reusable workflow {uses} is not fetched; its jobs are not described",
                Severity.INFO,
            )
            return []
        target = _local_path(uses)
        if target in stack:
            self.diagnose(run.path, line, f"reusable workflow cycle: {' -> '.join((*stack, target))}; not followed")
            return []
        callee = self.workflows.get(target)
        if callee is None:
            self.diagnose(run.path, line, f"reusable workflow {uses} not found in the repository")
            return []
        declared = callee.get("events", {}).get("workflow_call", {}).get("inputs", {})
        scenarios = [Scenario(s.trigger, self._bind(s, job["with"], declared, callee), s.fixed) for s in run.scenarios]
        return self._workflow(target, callee, scenarios, (*run.calls, (run.path, line)), run.order, (*stack, target))

    @staticmethod
    def _bind(
        scenario: Scenario, with_: Mapping[str, str], declared: Mapping[str, Any], callee: dict[str, Any]
    ) -> Scope:
        """The callee's scope: the caller's github.* values, its `with:` as inputs, its own env."""
        values = {k: v for k, v in scenario.scope.values.items() if not k.startswith("inputs.")}
        for name in {*declared, *with_}:
            spec = declared.get(name, {})
            if name in with_:
                bound = interpolate(with_[name], scenario.scope.lookup)
            elif spec.get("default") is not None:
                bound = interpolate(spec["default"], scenario.scope.lookup)
            else:
                bound = frozenset({False if spec.get("type") == "boolean" else ""})
            if spec.get("type") == "boolean":
                bound = frozenset(v == "true" if isinstance(v, str) and v in ("true", "false") else v for v in bound)
            values[f"inputs.{name}"] = bound
        return Scope(values, (callee.get("env", {}),))

    # -- steps --------------------------------------------------------------------------------------

    def _steps(
        self,
        path: str,
        steps: list[dict[str, Any]],
        scenarios: list[Scenario],
        prefix: tuple[int, ...],
        job: dict[str, Any],
        wd: str,
        stack: tuple[str, ...],
    ) -> list[StepRun]:
        out: list[StepRun] = []
        for index, step in enumerate(steps):
            scoped = [replace(s, scope=s.scope.child(env=step["env"])) for s in scenarios]
            ran = [True in condition(step["if"], s.scope.if_lookup) for s in scoped]
            passing = [s for s, runs in zip(scoped, ran, strict=True) if runs]
            if not passing:
                continue
            run = StepRun(path, step, (*prefix, index), passing, step["wd"] or wd)
            out.append(run)
            uses = step["uses"]
            if uses.startswith("./"):
                out.extend(self._composite(run, job, wd, stack))
            elif uses and not uses.startswith("docker://"):
                spec = self.know.action(uses) or self._dockerfile_action(uses, step["with"],
                                                                          [s.scope.lookup for s in scoped])
                if spec is not None:
                    run.groups = self._grouped(run, job, partial(self._action, spec=spec, job=job, run=run))
                if spec is not None and spec.output and step["id"]:
                    # The steps after this one see its output (`steps.app_name.outputs.value`).
                    scenarios = [
                        self._with_output(spec, step, plain, scope.scope.lookup) if runs else plain
                        for plain, scope, runs in zip(scenarios, scoped, ran, strict=True)
                    ]
            if step["run"] is not None:
                run.groups += self._grouped(run, job, partial(self._script, run=run, wd=run.wd))
                written = _GITHUB_ENV_WRITE.findall(step["run"])
                if written:
                    # the steps after this one see what it wrote to $GITHUB_ENV, known only at run time:
                    # pocketbase's job sets `flags: ""`, and a step writes `flags=--snapshot` for branches
                    later = {name: _RUN_TIME_VALUE for name in written}
                    scenarios = [replace(s, scope=s.scope.child(env=later)) for s in scenarios]
        return out

    def _with_output(self, spec: ActionSpec, step: dict[str, Any], scenario: Scenario, lookup: Lookup) -> Scenario:
        """The scenario with a read action's output known, when its file and key name one recorded value."""
        with_ = step["with"]
        file_values = interpolate(with_.get(spec.inputs.get("file", ""), ""), lookup)
        key_values = interpolate(with_.get(spec.inputs.get("key", ""), ""), lookup)
        files, keys = literals(file_values), literals(key_values)
        if len(files) != 1 or len(keys) != 1 or len(file_values) != 1 or len(key_values) != 1:
            return scenario
        path = repo_path("", files[0])
        values = {
            str(record.data[entry.data])
            for entry in self.know.file_keys
            if entry.key == keys[0]
            for record in self.ctx.records(entry.record)
            if record.path == path and record.data.get(entry.data)
        }
        if len(values) != 1:
            return scenario
        output = {f"steps.{step['id']}.outputs.{spec.output}": frozenset(values)}
        return replace(scenario, scope=scenario.scope.child(values=output))

    def _grouped(
        self, run: StepRun, job: dict[str, Any], classify_: Callable[[Resolved], list[Found]]
    ) -> list[tuple[list[Scenario], list[Found]]]:
        """Classifies the step once per distinct text its expressions give across scenarios."""
        groups: dict[str, tuple[Resolved, list[Scenario]]] = {}
        step = run.step
        for scenario in run.scenarios:
            resolved = Resolved(
                scenario.scope.expand(step["run"]) if step["run"] else "",
                {k: scenario.scope.expand(v) for k, v in step["with"].items()},
                scenario.scope.lookup,
            )
            key = repr((resolved.run, sorted(resolved.with_.items())))
            groups.setdefault(key, (resolved, []))[1].append(scenario)
        return [
            (scns, self._releases(self._handoffs([f for f in classify_(resolved) if not self._only_checks(step, f)],
                                                 job, step, resolved), scns[0].scope))
            for resolved, scns in groups.values()
        ]

    @staticmethod
    def _handoffs(finds: list[Found], job: dict[str, Any], step: dict[str, Any], resolved: Resolved) -> list[Found]:
        """A dispatch to another repository's workflows (`gh api repos/o/r/dispatches`, curl to the same
        endpoint, peter-evans/repository-dispatch) hands the deploy over where the job, the step
        or the event it sends says it deploys: saleor's `deploy` job sends `deploy-staging` to
        saleor/saleor-multitenant, and its deployment gaps blamed a token action. Any other dispatch
        (a docs rebuild, a downstream test) is not said."""
        if not any(f.kind == "handoff" for f in finds):
            return finds
        said = " ".join([str(job["id"]), str(job["name"] or ""), str(step["name"] or ""), resolved.run,
                         *resolved.with_.values()])
        deploys = _DEPLOYS.search(said) is not None
        out = []
        for found in finds:
            if found.kind == "handoff":
                if not deploys:
                    continue
                found = replace(found, kind="deploy")  # a copy: Found lists of scripts are shared
            out.append(found)
        return out

    def _composite(self, run: StepRun, job: dict[str, Any], wd: str, stack: tuple[str, ...]) -> list[StepRun]:
        step = run.step
        target = _local_action(step["uses"], self.actions)
        if target is None:
            self.diagnose(
                run.path,
                step["uses_line"],
                f"local action {step['uses']} is not in the repository (no action.yml; checked out at run time?); "
                "its steps are not described",
                Severity.INFO,
            )
            return []
        if target in stack:
            self.diagnose(run.path, step["uses_line"], f"composite action cycle through {target}; not followed")
            return []
        action = self.actions[target]
        if action["using"] != "composite":
            return []
        scenarios = []
        for scenario in run.scenarios:
            values = {k: v for k, v in scenario.scope.values.items() if not k.startswith("inputs.")}
            for name, default in action["inputs"].items():
                raw = step["with"].get(name, default)
                values[f"inputs.{name}"] = interpolate(raw, scenario.scope.lookup) if raw else frozenset({""})
            scenarios.append(replace(scenario, scope=Scope(values, scenario.scope.env, scenario.scope.matrix),
                                     job_scope=scenario.jobs))
        return self._steps(target, action["steps"], scenarios, run.index, job, wd, (*stack, target))

    # -- what a step does ---------------------------------------------------------------------------

    def _action(self, resolved: Resolved, spec: ActionSpec, job: dict[str, Any], run: StepRun) -> list[Found]:
        step, with_ = run.step, resolved.with_
        line = step["uses_line"]
        name = step["uses"].split("@", 1)[0]
        out: list[Found] = []
        installs_only = any(with_.get(key, "").strip().lower() == value for key, value in spec.setup_when.items())
        for kind in ("setup",) if installs_only else spec.kinds:
            if kind in ("alert", "read"):
                continue  # FactBuilder.alerts reads notify steps on every path; reads set outputs (_steps)
            if kind == "command":
                key = spec.inputs.get("args", "")
                args = with_.get(key, "")
                command = f"{spec.command} {args}".strip()
                at = _with_line(step, key, line) if args else line
                out.extend(self._command(_expr_free(command), command, run.path, at, ""))
                continue
            if kind == "remote-script":
                script = with_.get(spec.inputs.get("script", ""), "")
                split = self._splits[_expr_free(script)]
                for cmd, display in zip(split, _with_expressions([c.text for c in split], script), strict=True):
                    for found in self._command("ssh remote " + cmd.text, display, run.path, line, "", remote=True):
                        found.entry = name  # shown as `appleboy/ssh-action` → `docker compose up -d`
                        out.append(found)
                continue
            if kind == "push" and _value_of(spec, with_, "push") != "true" and not _outputs_push(spec, with_):
                continue
            elsewhere = _value_of(spec, with_, "elsewhere") if kind == "deploy" else ""
            if elsewhere and not elsewhere.strip("'\"").endswith(".github.io"):
                # (a user or organisation Pages repository, `acme/acme.github.io`, is the site's deploy)
                # shlink's spec goes to the shlink-open-api-specs repository: published files, not
                # a deploy of this project
                found = Found("build", spec.tool, name, run.path, line)
                found.detail = {"published_to": elsewhere}
                out.append(found)
                continue
            found = Found(kind, spec.tool, name, run.path, line, spec.level, spec.target)
            found.detail = self._action_detail(spec, with_, resolved.lookup)
            found.inferred = spec.inferred
            exported = _EXPORTED.search(_value_of(spec, with_, "outputs")) if kind == "build" else None
            if exported:  # navidrome's `outputs: type=local,dest=./output/...`: binaries, no image
                found.detail["exports"] = exported.group("dest") or exported.group("type")
            if spec.makes and kind == "build":
                found.detail["makes"] = _made(spec, with_)
            if kind in ("build", "push", "meta", "deploy"):
                found.images = self._images(spec, with_, job, resolved.lookup)
            if kind == "login":
                found.detail["registry"] = _value_of(spec, with_, "registry") or spec.registry_label
            out.append(found)
        for key, expected in spec.verify_when.items():
            if with_.get(key, "").lower() == expected:
                at = _with_line(step, key, line)
                out.append(Found("verify", spec.tool, f"{key}: {expected}", run.path, at, entry=name))
        return out

    @staticmethod
    def _action_detail(spec: ActionSpec, with_: Mapping[str, str], lookup: Lookup) -> dict[str, Any]:
        """Inputs that say where a step goes; a matrix-driven input lists its candidates."""
        detail: dict[str, Any] = {}
        for role in ("app", "environment", "context", "file", "target", "url"):
            value = _value_of(spec, with_, role)
            if value and "${{" in value:
                detail[role] = literals(interpolate(value, lookup)) or [value]
            elif value:
                detail[role] = [value]
        prod = _value_of(spec, with_, "prod")
        if prod and _PROD.search(prod):
            detail["prod"] = True
        return detail

    def _images(
        self, spec: ActionSpec, with_: Mapping[str, str], job: dict[str, Any], lookup: Lookup
    ) -> tuple[str, ...]:
        raw = _value_of(spec, with_, "image")
        named = _OUTPUT_NAME.search(_value_of(spec, with_, "outputs"))
        if named and not raw:
            raw = named.group(1)
        step_ref = _STEP_OUTPUT.search(raw)
        if step_ref:
            meta = next((s for s in job["steps"] if s["id"] == step_ref.group(1)), None)
            meta_spec = self.know.action(meta["uses"]) if meta and meta["uses"] else None
            if meta is not None and meta_spec is not None and "meta" in meta_spec.kinds:
                raw = _meta_images(substitute(meta["with"].get(meta_spec.inputs.get("image", ""), ""), lookup))
        return tuple(dict.fromkeys(n for n in _image_names(raw) if not n.startswith(("type=", "#"))))

    def _script(self, resolved: Resolved, run: StepRun, wd: str) -> list[Found]:
        """What a `run:` script does; the same script text in the same place is read once."""
        key = (resolved.run, wd, run.path, run.step["run_line"])
        if key not in self._scripts_seen:
            out = self._script_text(resolved.run, run, wd)
            # a command a matrix value names (`pnpm ${{ matrix.job }}`) is read once per value, for
            # what the script as written does not show; expressions stay as written where it does
            known = {(f.kind, f.tool, f.level, f.line) for f in out}
            named: list[Found] = []
            for variant in _matrix_variants(resolved.run, resolved.lookup):
                for found in self._script_text(variant, run, wd):
                    if (found.kind, found.tool, found.level, found.line) not in known:
                        known.add((found.kind, found.tool, found.level, found.line))
                        named.append(found)
            # what the values name settles what only the script's name suggested (outline's `yarn
            # test:${{ matrix.test-group }}`, a test by its name, is Vitest for each group)
            settled = {(f.kind, f.line) for f in named}
            out = [f for f in out if not (f.inferred and not f.tool and (f.kind, f.line) in settled)] + named
            self._scripts_seen[key] = out
        return [replace(f, detail=dict(f.detail)) for f in self._scripts_seen[key]]

    def _script_text(self, shown: str, run: StepRun, wd: str) -> list[Found]:
        """What the commands of one script text do, each at its own line."""
        plain = _expr_free(shown)
        commands = self._splits[plain]
        displays = _with_expressions([c.text for c in commands], shown) if plain != shown else None
        block = run.step.get("run_block")
        offsets = folded_offsets(block, commands) if block is not None else [c.offset for c in commands]
        out: list[Found] = []
        for index, command in enumerate(commands):
            display = displays[index] if displays else command.text
            out.extend(self._command(command.text, display, run.path, run.step["run_line"] + offsets[index], wd))
        return out

    def _command(
        self, command: str, display: str, path: str, line: int, wd: str, remote: bool = False, depth: int = 0
    ) -> list[Found]:
        """What one shell command does, seen through scripts, package.json scripts and task runners."""
        out = self._markers(command, display, path, line)
        if depth < 5:  # `url=$(vercel deploy --prod)`: the command inside the substitution runs too
            for inner in _SUBSTITUTION.findall(command):
                out.extend(self._command(inner, inner, path, line, wd, remote, depth + 1))
        script = _LOCAL_SCRIPT.match(command) if not remote else None
        if script and self._script_path(script["path"], wd) in self.scripts:
            # the arguments as written (`${{ matrix.suite }}` could select any arm; the classifier's
            # copy has a placeholder there)
            written = _LOCAL_SCRIPT.match(display)
            rest = display[written.end():] if written else command[script.end():]
            return out + self._script_finds(self._script_path(script["path"], wd), display, path, line, (path,),
                                            call_arguments(rest), wd, depth)
        normalised, near = workspace(command, wd, self.npm_targets)
        found_kinds = classify(normalised)
        if "${{" in display and not any(f.kind == "deploy" for f in found_kinds):
            # a deploy hook known by the name of the secret that holds its URL (rallly's
            # `curl -X POST -d {} ${{ secrets.DEPLOY_HOOK }}`): the classifier reads it as a variable
            found_kinds += [f for f in classify(_NAMED_REF.sub(r"$\1", display)) if f.kind == "deploy"]
        shown = display[len("ssh remote ") :] if display.startswith("ssh remote ") else display
        for found in found_kinds:
            if found.kind == "indirect":
                out.extend(self._indirect(found, near, display, path, line, depth))
            else:
                out.append(
                    Found(
                        found.kind,
                        found.tool,
                        shown,
                        path,
                        line,
                        found.level,
                        found.target,
                        detail=dict(found.detail),
                        automatic=found.automatic,
                    )
                )
                if found.tool == "goreleaser" and found.kind == "build":
                    self._goreleaser(out[-1], normalised, display, near)
        turbo = _TURBO.match(normalised)
        if turbo and not any(f.kind != "indirect" for f in found_kinds):
            out.extend(self._turbo(turbo["task"], display, path, line, depth, _TURBO_FILTER.findall(normalised)))
        return out

    def _goreleaser(self, found: Found, command: str, display: str, wd: str) -> None:
        """`goreleaser release`: the configuration it publishes with (goreleaser.py), and its
        arguments as written; what that publishes is said once the step's environment is known
        (`_releases`)."""
        record = release_config(command, wd, self.goreleaser)
        if record is not None:
            found.detail["goreleaser"] = record.path
            run_time = _RUN_TIME_ARGS.search(display)
            found.detail["goreleaser_run_time"] = run_time.group(0) if run_time else ""

    def _releases(self, finds: list[Found], scope: Scope) -> list[Found]:
        """What each `goreleaser release` of a step publishes, said and cited: its configuration read
        with the environment the workflow, the job and the step give it (pocket-id's build-next job
        sets SKIP_RELEASE, which its `release.disable` template reads); a value only known at run
        time is none."""
        out = []
        env = {k: v for layer in reversed(scope.env) for k, v in layer.items() if v != _RUN_TIME_VALUE}
        for found in finds:
            record = self.goreleaser.get(found.detail.get("goreleaser", ""))
            phrase, line = published(record, env) if record is not None else ([], 0)
            if record is not None and phrase:
                # flags set at run time may make it a snapshot: pocketbase passes `${{ env.flags }}`,
                # which an earlier step sets to `--snapshot` for anything but a tag
                later = found.detail["goreleaser_run_time"]
                unless: list[Part] = [", unless flags set at run time (", Code(later),
                                      ") skip publishing"] if later else []
                found = replace(found, source=(record.path, line),  # a shared Found (scripts are memoised)
                                detail={**found.detail,
                                        "makes": ["publishes ", *phrase, " (", Code(record.path), ")", *unless]})
            out.append(found)
        return out

    def _markers(self, command: str, display: str, path: str, line: int) -> list[Found]:
        """Things no command rule says: a cluster started in the runner, an environment torn down,
        services started for tests, a branch pushed to."""
        know, out = self.know, []
        for kind, pattern in (
            ("cluster", know.cluster_commands),
            ("teardown", know.teardown_commands),
            ("services", know.compose_up),
            ("services", know.runner_stores),
        ):
            if pattern.search(command):
                out.append(Found(kind, command.split()[0], display, path, line))
        push = _GIT_PUSH.search(command)
        if push:
            out.append(
                Found("promote", "git", display, path, line, detail={"source": push["src"], "branch": push["dst"]})
            )
        return out

    def _script_finds(self, script: str, display: str, path: str, line: int, seen: tuple[str, ...],
                      arguments: Sequence[str] = (), wd: str = "", depth: int = 0) -> list[Found]:
        """What a repository script does when called with these arguments (in the step's working
        directory `wd`), following the scripts it calls (the scripts detector's records) and the
        package.json scripts and task targets it runs."""
        out: list[Found] = []
        # `./scripts/e2e.sh up`: the arm of that argument, and the functions it calls (shellarms.py)
        for record in running(self.scripts.get(script, []), self.function_calls.get(script, []), arguments):
            data = record.data
            if data["kind"] == "call":
                for token in _LOCAL_SCRIPT.finditer(data["command"]):
                    called = self._script_path(token["path"], "")
                    if called in self.scripts and called not in seen and len(seen) < 6:
                        out.extend(self._script_finds(called, display, path, line, (*seen, script),
                                                      call_arguments(data["command"][token.end():]), wd, depth))
                continue
            if data["kind"] == "indirect" and depth < 4:
                # penpot's `./scripts/test-e2e` runs `pnpm run test:e2e`, which is `playwright test`: the
                # target as npm finds it from the directory the script was started in
                followed = self._command(data["command"], data["command"], path, line, wd, depth=depth + 1)
                if followed:
                    out.extend(replace(f, entry=display) for f in followed)
                    continue
            found = Found(
                data["kind"],
                data.get("tool", ""),
                data["command"],
                path,
                line,
                data.get("level"),
                data.get("target"),
                display,
                (record.path, record.line),
                dict(data.get("detail") or {}),
                bool(data.get("automatic")),
            )
            out.append(found)
            if self.know.cluster_commands.search(data["command"]):
                out.append(
                    Found(
                        "cluster",
                        data["command"].split()[0],
                        data["command"],
                        path,
                        line,
                        source=(record.path, record.line),
                    )
                )
        return out

    @staticmethod
    def _script_path(raw: str, wd: str) -> str:
        """A script's repository path, as a step in `wd` names it (`/x` from the top)."""
        return repo_path("", raw[1:]) if raw.startswith("/") else repo_path(wd, raw)

    def _indirect(
        self, found: Classification, near: str, display: str, path: str, line: int, depth: int
    ) -> list[Found]:
        """`npm test`, `make deploy`: the target's commands, followed; else what its name says."""
        script = str(found.detail.get("script", ""))
        if found.tool == "nx":
            return self._nx(script, display, path, line, depth)
        key = (found.tool, script, near)
        if key not in self._targets:
            self._targets[key] = self.tasks.find(*key)
        record = self._targets[key]
        # npm and yarn hand a script's extra arguments to its command: `yarn test:e2e:ci
        # --filter=@hedgedoc/backend` runs `turbo run test:e2e:ci --filter=@hedgedoc/backend`
        extra = script_arguments(display, script) if found.tool == "npm" else ""  # as written, expressions too
        out = self._target(record, display, path, line, depth, extra) if record is not None and depth < 5 else []
        where = (record.path, record.line) if record else None
        commands = record.data.get("commands", []) if record is not None else None
        # a placeholder (`exit 0`), a code checker or an install: named for tests, it runs none
        # (excalidraw's `test:code` is `eslint ...`, akaunting's composer `test` is `composer install`)
        texts = [str(c["command"]) for c in commands or []]
        runs_none = bool(texts) and all(_NO_OP.match(t) or self.know.not_test_commands.search(t) for t in texts)
        if not any(f.kind not in ("services", "promote") for f in out) and self.know.test_scripts.search(script) \
                and not self.know.not_test_scripts.search(script) and not runs_none:
            level = _level_by_name("unit", script) or "unit"
            out.append(Found("test", "", display, path, line, level, None, display, where, inferred=True))
        elif not out and self.know.migrate_scripts.search(script):
            shown = " ".join(c["command"] for c in record.data.get("commands", [])) if record else display
            out.append(Found("migrate", "", shown or display, path, line, None, None, display, where, inferred=True))
        return out

    def _target(self, record: Record, display: str, path: str, line: int, depth: int, extra: str = "") -> list[Found]:
        """The commands of a package.json script or task target, each followed further; `extra`
        arguments go to the last of them, as npm appends them to the script."""
        home = near_folder(record.path)
        here, at = home, -1
        out: list[Found] = []
        commands = record.data.get("commands", [])
        for index, command in enumerate(commands):
            text_ = str(command["command"])
            if int(command["line"]) != at:  # each recipe line is a shell of its own; a script's one line too
                here, at = home, int(command["line"])
            moved = cd_target(text_, here)
            if moved is not None:
                # focalboard's `webapp-ci:` target: `cd webapp; npm run cypress:ci` runs webapp's script
                here = moved
                continue
            if extra and index == len(commands) - 1:
                text_ = f"{text_} {extra}"
            for found in self._command(_expr_free(text_), text_, path, line, here, depth=depth + 1):
                if found.kind == "test" and here != home:
                    # a folder named for its tests' level (focalboard's `cd server/integrationtests; go test`)
                    found.level = _level_by_name(found.level, here)
                found.source = found.source or (record.path, int(command["line"]))
                found.entry = display
                out.append(found)
        return out

    def _nx(self, arguments: str, display: str, path: str, line: int, depth: int) -> list[Found]:
        """`nx affected -t lint,test:integration`: the commands of each project target it runs; a
        target's name gives its tests their level (`test:integration`), as a script name does."""
        out: list[Found] = []
        for record in self.tasks.nx_records(arguments) if depth < 5 else []:
            target = str(record.data["name"]).partition(":")[2]
            named = _level_by_name(None, target)
            for found in self._target(record, display, path, line, depth):
                if found.kind == "test":
                    # a level the command's words gave (NestJS's `jest --config test/jest-e2e.json`)
                    # yields to the one the team's target names (`test:integration`); a tool's own
                    # level (Playwright's e2e) does not
                    worded = named is not None and found.level == _level_by_name(None, found.command)
                    found.level = named if worded else _level_by_name(found.level, target)
                    found.detail["nx_target"] = target
                out.append(found)
        return out

    def _turbo(self, task: str, display: str, path: str, line: int, depth: int,
               filters: Sequence[str] = ()) -> list[Found]:
        """`turbo run test`: the `test` script of every workspace package that has one, or of those
        its `--filter`s name (hedgedoc's E2E jobs run the backend's, not the frontend's Cypress)."""
        out: list[Found] = []
        for record in sorted(_turbo_selected(self.npm_targets.get(task, []), filters), key=lambda r: r.path):
            here = near_folder(record.path)
            for command in record.data.get("commands", []):
                text_ = str(command["command"])
                if _TURBO.match(text_) or depth >= 5:
                    continue
                for found in self._command(text_, text_, path, line, here, depth=depth + 1):
                    found.source = found.source or (record.path, int(command["line"]))
                    found.entry = display
                    out.append(found)
        return out


def _documentation(scenarios: list[Scenario], unit: DeployUnit) -> bool:
    """Whether a deploy publishes the documentation site (actions.yaml's docs_paths, docs_tools):
    every find is a docs generator's, or every trigger filters paths to documentation paths only."""
    know = knowledge()
    if unit.finds and all(f.tool in know.docs_tools for _, f in unit.finds):
        return True
    triggers = _triggers(scenarios)
    filtered = [t for t in triggers if t.note_label == "paths"]
    return bool(filtered) and len(filtered) == len(triggers) and all(
        know.docs_paths.match(p) for t in filtered for p in t.note_values)


_TURBO_FILTER = re.compile(r"""--filter(?:=|\s+)["']?([^\s"']+)""")


def _turbo_selected(records: list[Record], filters: Sequence[str]) -> list[Record]:
    """The packages turbo's `--filter`s select, by package name or directory (globs too). Filters
    this does not read (dependency and git-range selectors, exclusions) select every package."""
    if not filters or any(re.search(r"\.\.\.|[\[\]{}!^]", f) for f in filters):
        return records
    chosen = [r for r in records if any(r.data.get("package") == f or fnmatchcase(near_folder(r.path), f.strip("./"))
                                        for f in filters)]
    return chosen or records


def _fanned(finds: list[Found]) -> list[Found]:
    """The finds of the first one's kind and entry, one per distinct command; none when the first
    has no entry (commands written in the step itself fan out from nothing)."""
    first = finds[0]
    if not first.entry:
        return []
    distinct: dict[str, Found] = {}
    for found in finds:
        if found.kind == first.kind and found.entry == first.entry:
            distinct.setdefault(_short(found.command), found)
    return list(distinct.values())


_CI_WORDS = re.compile(r"(?i)continuous[-_ ]integration")


def _level_by_name(level: str | None, *names: str) -> str | None:
    """The classifier's level-by-name, minus "Continuous Integration", which names CI, not a level."""
    return level_from_names(level, *(_CI_WORDS.sub(" ", n) for n in names if n))


def _matrix_variants(script: str, lookup: Lookup) -> list[str]:
    """A `run:` script once per value its matrix expressions take (Dokploy's pull-request job runs
    `pnpm ${{ matrix.job }}` over build, test and typecheck); none when it has no matrix expression,
    or an expression in it is not settled to a few literal values."""
    if "matrix." not in script:
        return []
    values = interpolate(script, lookup)
    return literals(values) if UNKNOWN not in values and FALSY not in values else []


def _outputs_push(spec: ActionSpec, with_: Mapping[str, str]) -> bool:
    """`outputs: type=image,name=ghcr.io/x,push=true`: buildx pushes without `push: true`."""
    return _OUTPUT_PUSH.search(_value_of(spec, with_, "outputs")) is not None


def _local_path(uses: str) -> str:
    return uses[2:].split("@", 1)[0].strip("/")


def _local_action(uses: str, actions: Mapping[str, Any]) -> str | None:
    """The action file a local `uses: ./path` runs, among the repository's actions."""
    base = _local_path(uses)
    folder = f"{base}/" if base else ""  # `uses: ./` is the action at the repository's root
    return next((p for p in (f"{folder}action.yml", f"{folder}action.yaml") if p in actions), None)


# `${{ secrets.NAME }}`, `${{ vars.NAME }}`, `${{ env.NAME }}`: a value known only by its name
_NAMED_REF = re.compile(r"\$\{\{\s*(?:secrets|vars|env)\.([A-Za-z_]\w*)\s*\}\}")


def _expr_free(text: str) -> str:
    return EXPR.sub(_PLACEHOLDER, text)


def _with_expressions(commands: list[str], script: str) -> list[str]:
    """The commands split from `_expr_free(script)`, with the expressions it hid put back in order
    for display: the placeholder is for the classifier, never for a reader. Splitting the script
    itself is no way round it (`${{ a && 'x' || '' }}` holds the shell's own `&&`)."""
    expressions = [m.group(0) for m in EXPR.finditer(script)]
    if sum(c.count(_PLACEHOLDER) for c in commands) != len(expressions):  # a literal EXPR, or text dropped
        return [c.replace(_PLACEHOLDER, "${{ … }}") for c in commands]
    remaining = iter(expressions)
    return [re.sub(_PLACEHOLDER, lambda _: next(remaining), c) for c in commands]


def _literal(text: str, shell: bool = True) -> bool:
    """Whether a value is written out: no workflow expression (`${{ x }}`, or the placeholder that
    stands for one) and, with `shell`, no shell variable (`$TAG`) either."""
    return "EXPR" not in text and "${{" not in text and not (shell and "$" in text)


def _registry_parts(registries: Sequence[str | Code]) -> list[Part]:
    """Registries in a sentence: by name, or as the expression that names one (`_registries`)."""
    parts: list[Part] = []
    for index, registry in enumerate(registries):
        parts.append(", " if index else "")
        parts += ["the registry ", registry, " names"] if isinstance(registry, Code) else [registry]
    return parts


# `${{ secrets.DOCKER_REGISTRY }}`: one expression naming one value
_ONE_EXPRESSION = re.compile(r"\$\{\{\s*([\w.\-]+)\s*\}\}")


def _expression_host(image: str) -> str:
    """The expression that gives an image reference's registry (`secrets.DOCKER_REGISTRY` in
    `${{ secrets.DOCKER_REGISTRY }}/backend`), when no registry rule knows its name; else ""."""
    host, slash, _ = image.partition("/")
    whole = _ONE_EXPRESSION.fullmatch(host) if slash and registry_of(image) is None else None
    return whole.group(1) if whole else ""


def _expression_image(image: str) -> str:
    """The expression an image reference is, registry and repository both (`env.RUNS_ON_ECR_CACHE` in
    `${{ env.RUNS_ON_ECR_CACHE }}:${{ github.sha }}`); else ""."""
    whole = _ONE_EXPRESSION.match(image.strip())
    rest = image.strip()[whole.end():] if whole else ""
    return whole.group(1) if whole and (not rest or rest.startswith(":")) else ""


def _written_host(image: str) -> bool:
    """Whether an image reference starts with a registry host, or a Docker Hub namespace, free of
    expressions (`ghcr.io/${{ github.repository }}`, documenso's `documenso/documenso-$BUILD_PLATFORM`)."""
    host = image.split("/", 1)[0]
    return "/" in image and _literal(host)


def _made(spec: ActionSpec, with_: Mapping[str, str]) -> list[Part]:
    """What a release action makes, in the middle of a sentence: a draft when its `draft` input is
    true; when an expression decides, either (dashy, docmost and koel draft their GitHub releases
    for a person to publish; memos publishes its own)."""
    if not spec.drafted:
        return [spec.makes]
    value = _value_of(spec, with_, "draft")
    if "${{" in value:
        return [spec.makes, " or ", spec.drafted, ", as input ", Code("draft"), " decides"]
    return [spec.drafted if value.lower() == "true" else spec.makes]


def _value_of(spec: ActionSpec, with_: Mapping[str, str], role: str) -> str:
    name = spec.inputs.get(role)
    if name and name in with_:
        return with_[name].strip()
    return spec.defaults.get(role, "")


# ==== phase 2, part 3: from job runs to facts ===================================================

_STEP_TITLES = {
    "build": "Build",
    "push": "Push image",
    "build+push": "Build and push image",
    "migrate": "Run migrations",
    "deploy": "Deploy",
    "verify": "Verify",
    "gate": "Wait for checks",
}
_URL_CONTEXT = (
    (re.compile(r"github\.(?:ref_name|head_ref)|\bbranch"), "per branch"),
    (re.compile(r"event\.number|pull_request\.number|\bpr[-_]?number"), "per pull request"),
    (re.compile(r"github\.sha"), "per commit"),
)
_PLACEHOLDER_HOST = re.compile(
    r"^(?:localhost|127\.0\.0\.1|0\.0\.0\.0|.*\.local|.*\.test|.*\.invalid|example\.\w+|.*\.example\.\w+|<.*>|your[-_].*)$",
    re.I,
)
_LABEL_GATE = re.compile(
    r"(?P<neg>!\s*)?(?:contains\(\s*github\.event\.pull_request\.labels\.\*\.name\s*,\s*'(?P<a>[^']+)'\s*\)"
    r"|github\.event\.label\.name\s*==\s*'(?P<b>[^']+)')"
)
_COMMENT_GATE = re.compile(
    r"contains\(\s*github\.event\.comment\.body\s*,\s*'(?P<c>[^']+)'\s*\)|"
    r"startsWith\(\s*github\.event\.comment\.body\s*,\s*'(?P<d>[^']+)'\s*\)"
)


def describe(triggers: Iterable[Trigger], gates: Iterable[str] = ()) -> tuple[Part, ...]:
    """ "push to `main`, `dev` and pull requests labelled `deploy`": triggers grouped by phrase."""
    groups: dict[tuple[str, str, str, tuple[str, ...], bool, str], list[str]] = {}
    triggers = list(triggers)
    gates = list(gates)
    completes = {(t.path, t.subject) for t in triggers if t.tail == "completes"}
    ordinary = {(t.path, t.subject) for t in triggers if t.phrase.startswith("pull requests")}
    for trigger in triggers:
        if trigger.tail == "succeeds" and (trigger.path, trigger.subject) in completes:
            continue
        if gates and trigger.phrase.startswith("labelled") and (trigger.path, trigger.subject) in ordinary:
            continue  # "pull requests labelled `x`" already says it
        key = (trigger.phrase, trigger.tail, trigger.note_label, trigger.note_values, trigger.paren, trigger.condition)
        subjects = groups.setdefault(key, [])
        if trigger.subject and trigger.subject not in subjects:
            subjects.append(trigger.subject)
    gate_parts = code_list(gates)
    phrases: list[list[Part]] = []
    noted = False  # whether the last phrase carries a note of its own (paths, branches ignored)
    for (phrase, tail, note_label, note_values, paren, asked), subjects in groups.items():
        noted = bool(note_label)
        parts: list[Part] = [phrase]
        if subjects:
            parts += [" (", *code_list(subjects), ")"] if paren else [" ", *code_list(subjects)]
        if tail:
            parts.append(" " + tail)
        if note_label:
            shown = list(note_values[:3]) + (["…"] if len(note_values) > 3 else [])
            parts += [f" ({note_label} ", *code_list(shown), ")"]
        if gate_parts and "pull request" in phrase:
            parts += [" labelled ", *gate_parts]
        if asked:
            parts += [" if ", Code(asked)]
        phrases.append(parts)
    # a trigger's own condition must not read as if it held for the next: `; ` between them all
    return phrase_list(phrases, apart=noted or any(key[5] for key in groups))


def _labels(triggers: Iterable[Trigger]) -> list[str]:
    return list(dict.fromkeys(t.label() for t in triggers))


def _gates(*conditions: str | None) -> list[str]:
    """Labels a condition requires (`contains(...labels.*.name, 'deploy')`), and comment commands."""
    gates: list[str] = []
    for source in conditions:
        for match in _LABEL_GATE.finditer(source or ""):
            if not match["neg"]:
                gates.append(match["a"] or match["b"])
    return list(dict.fromkeys(gates))


# A condition with one of these runs whatever became of the jobs it needs; any other (none
# included) starts with an implicit `success()`, false when a needed job was skipped. An explicit
# `success()` is evaluated where it stands (`success() || github.event_name == 'pull_request'`).
_STATUS_CHECK = re.compile(r"\b(?:always|failure|cancelled|success)\s*\(")
_SUCCESS_CALL = re.compile(r"\bsuccess\s*\(\s*\)")
# The status checks that let a job run whatever its needed jobs did (`success()` waits on them).
_REGARDLESS = re.compile(r"\b(?:always|failure|cancelled)\s*\(")


# `github.ref == 'refs/heads/main'`, `github.ref_name != 'main'`, either way round
_REF_TEST = re.compile(r"github\.ref(_name)?\s*([=!]=)\s*'([^']*)'|'([^']*)'\s*([=!]=)\s*github\.ref(_name)?\b")
_ANOTHER = "\x00another"  # a name no repository gives a branch or a tag


Pin = tuple[Trigger, dict[str, Values]]


def _branch_values(name: str, prefix: str = "refs/heads/", kind: str = "branch") -> dict[str, Values]:
    """What a push to one branch (or tag) makes `github.ref`, `github.ref_name` and `github.ref_type`."""
    return {"github.ref": frozenset({prefix + name}), "github.ref_name": frozenset({name}),
            "github.ref_type": frozenset({kind})}


def _pinned_push(source: object, line: int | None, scenario: Scenario) -> Pin | Literal[False] | None:
    """A push whose branch the trigger leaves open ("every push", "push to branches except …"), to
    a job whose `if:` holds on one branch only: a push to that branch, cited at the `if:`
    (paperless-ngx deploys its docs `if: github.event_name == 'push' && github.ref == 'refs/heads/main'`,
    on every branch's push but `translations**`). None when the trigger leaves that branch out (the
    job runs on no push); False when the trigger names its branches, when the condition names no
    single branch, or when another branch or a tag would run the job too."""
    trigger = scenario.trigger
    if trigger.event != "push" or "github.ref" in scenario.scope.values or not isinstance(source, str):
        return False
    tested: dict[str, set[str]] = {"==": set(), "!=": set()}  # branches by the test made of them
    for match in _REF_TEST.finditer(source):
        value, op = (match[3], match[2]) if match[3] is not None else (match[4], match[5])
        if match[1] or match[6]:
            tested[op].add(value)
        elif value.startswith("refs/heads/"):
            tested[op].add(value.removeprefix("refs/heads/"))
    if len(tested["!="]) == 1 and not tested["=="]:
        return _skipped_branch(source, line, scenario, tested["!="].pop())
    if len(tested["=="]) != 1:
        return False
    branch = tested["=="].pop()
    if not branch or _GLOB_CHARS.search(branch):
        return False
    for kind, prefix in (("branch", "refs/heads/"), ("tag", "refs/tags/")):
        if True in condition(source, scenario.scope.child(values=_branch_values(_ANOTHER, prefix, kind)).if_lookup):
            return False
    pinned = _branch_values(branch)
    if True not in condition(source, scenario.scope.child(values=pinned).if_lookup):
        return False
    if any(_glob_match(pattern, branch) for pattern in trigger.excluded):
        return None
    return Trigger(trigger.path, line or trigger.line, "push", "push to", branch, "", trigger.note_label,
                   trigger.note_values), pinned


def _skipped_branch(source: str, line: int | None, scenario: Scenario, branch: str) -> Pin | Literal[False]:
    """A push whose branch the trigger leaves open, to a job whose `if:` holds on every branch but
    one: a push to the others (BookStack skips its tests `if: github.ref !=
    'refs/heads/l10n_development'`, and the document had said "every push, if …")."""
    if not branch or _GLOB_CHARS.search(branch):
        return False
    lookup = scenario.scope.child
    if True in condition(source, lookup(values=_branch_values(branch)).if_lookup) or \
            True not in condition(source, lookup(values=_branch_values(_ANOTHER)).if_lookup):
        return False
    trigger = scenario.trigger
    excluded = (*trigger.excluded, branch)
    if trigger.excluded:  # branches only, as the trigger's were
        refs = Glob("refs/heads/**", tuple(f"refs/heads/{p}" for p in excluded))
        phrase, subject = "push to branches except", ", ".join(excluded)
    else:  # and tags, as every push has
        refs = Glob("**", (f"refs/heads/{branch}",))
        phrase, subject = "every push except to", branch
    values: dict[str, Values] = {"github.ref": frozenset({refs}),
                                 "github.ref_name": frozenset({Glob("**", excluded)})}
    return Trigger(trigger.path, line or trigger.line, "push", phrase, subject, "", trigger.note_label,
                   trigger.note_values, excluded=excluded), values


def _runnable(jobs: list[dict[str, Any]], scoped: list[list[Scenario]]) -> list[set[int]]:
    """Per job, which of the workflow's scenarios (by position) it runs in: those its `if:` allows
    and, unless it checks the status itself, in which every job it needs ran too (a release job
    skipped on pull requests skips the build that needs it). A condition that checks the status
    is asked with what became of the needed jobs in each scenario: `needs.x.result` is `skipped`
    where x did not run, and `success()` is false there."""
    by_id = {job["id"]: index for index, job in enumerate(jobs)}
    out: dict[int, set[int]] = {}

    def runs(index: int, seen: frozenset[int]) -> set[int]:
        if index in out:
            return out[index]
        job = jobs[index]
        source = job["if"] if isinstance(job["if"], str) else None
        needed = {need: runs(by_id[need], seen | {index}) for need in job["needs"]
                  if need in by_id and by_id[need] not in seen}  # a cycle is GitHub's error to report
        allowed: set[int] = set()
        for i, scenario in enumerate(scoped[index]):
            ran = {need for need, where in needed.items() if i in where}
            if not _STATUS_CHECK.search(source or ""):
                if len(ran) == len(needed) and True in condition(source, scenario.scope.if_lookup):
                    allowed.add(i)
                continue
            asked = _SUCCESS_CALL.sub("true" if len(ran) == len(needed) else "false", source or "")
            if True in condition(asked, _with_results(scenario.scope.if_lookup, set(needed) - ran)):
                allowed.add(i)
        out[index] = allowed
        return allowed

    return [runs(index, frozenset()) for index in range(len(jobs))]


def _with_results(lookup: Lookup, skipped: Iterable[str] = ()) -> Lookup:
    """`needs.<job>.result` on the success path the document describes: `skipped` for a needed job
    that did not run in the scenario, `success` for any other."""
    gone = frozenset(skipped)

    def look(name: str) -> Values:
        match = _NEEDS_RESULT.fullmatch(name)
        if match:
            return frozenset({"skipped" if match.group(1) in gone else "success"})
        return lookup(name)

    return look


_NEEDS_RESULT = re.compile(r"needs\.([\w-]+)\.result")


_CONTEXT_REF = re.compile(r"\b(?:github|needs|vars|inputs|env|steps|jobs|matrix)(?:\.[\w-]+)+")
# `!cancelled() && (...)`: the status part holds on the success path the document describes
_STATUS_PREFIX = re.compile(r"^\s*(?:!\s*cancelled\(\)|always\(\)|success\(\))\s*&&\s*")
SHOWN_CONDITION = 80


def _by_stem(finds: list[Found]) -> list[list[Found]]:
    """Checks grouped by their command without its last word, in order of first appearance."""
    groups: dict[str, list[Found]] = {}
    for found in finds:
        groups.setdefault(_verify_stem(found.command), []).append(found)
    return list(groups.values())


def _verify_stem(command: str) -> str:
    """A check without the object it names last (`kubectl wait --for=condition=available deployment/a`
    without `deployment/a`), so that one step's checks of many objects read as one; a short
    command is its own stem."""
    words = command.split()
    return " ".join(words[:-1]) if len(words) >= 3 and not words[-1].startswith("-") else command


def _undecided(source: str | None, scenarios: Iterable[Scenario]) -> tuple[Part, ...]:
    """How a job's `if:` that may go either way for some of these triggers (a job output, a
    repository variable) is named: ", if `cond`", or, for a long or `|`-bearing condition (which
    no code span holds), ", depending on `what the scan cannot know`". Nothing for a label or
    comment gate, which the trigger phrase names. Asked on the success path, as the status
    functions are: `needs.migrate.result == 'success'` orders jobs, not when they run."""
    if not isinstance(source, str) or not source or _gates(source) or _commands_in(source):
        return ()

    undecided = [s for s in scenarios if condition(source, _with_results(s.scope.if_lookup)) == BOTH]
    if not undecided:
        return ()
    # what it still asks once each trigger's own values are in (miniflux's package release asks
    # `github.event_name == 'push' && github.repository_owner == 'miniflux'` on a tag push)
    left = {residual(source, _with_results(s.scope.if_lookup)) for s in undecided}
    if len(left) == 1 and (asked := left.pop()) and len(asked) <= SHOWN_CONDITION and "|" not in asked:
        # asked on some triggers only, the others running it outright: which ones (dashy's release
        # step, on a tag push only; a manual dispatch always releases)
        holds = any(condition(source, _with_results(s.scope.if_lookup)) == frozenset({True}) for s in scenarios)
        plain = [replace(t, condition="") for t in _triggers(undecided)]  # the job's own questions are said there
        return (", if ", Code(asked), *((" on ", *describe(plain)) if holds else ()))
    body = _condition_body(source)
    while _STATUS_PREFIX.match(body):
        body = _STATUS_PREFIX.sub("", body, count=1)
    if len(body) > SHOWN_CONDITION or "|" in body:
        unknown = [ref for ref in dict.fromkeys(_CONTEXT_REF.findall(body))
                   if any(UNKNOWN in _with_results(s.scope.lookup)(ref) for s in undecided)]
        if unknown:
            return (", depending on ", *code_list(unknown, limit=3))
        if "|" in body:  # no code span holds it, and it names nothing the scan could look up
            return (", under a condition the scan cannot decide",)
    return (", if ", *shown_condition(body))


def _condition_body(condition: str) -> str:
    """An `if:` without its `${{ }}` and with its whitespace collapsed."""
    whole = EXPR.fullmatch(condition.strip())
    return " ".join((whole.group(1) if whole else condition).split())


def shown_condition(condition: str) -> list[Part]:
    """An `if:` as the document can show it: in a code span, cut at SHOWN_CONDITION (not _short:
    `count > 0` is no redirection); one holding `||`, which no code span holds, by the contexts
    it reads (`a condition on github.ref`)."""
    body = _condition_body(condition)
    if "|" in body:
        refs = list(dict.fromkeys(_CONTEXT_REF.findall(body)))
        # a status check it also needs (`failure() && ...`: langfuse's Slack step) is what says when
        status = _status_checks(body)
        lead: list[Part] = [*code_list(status), " and "] if status else []
        return [*lead, "a condition on ", *code_list(refs, limit=3)] if refs else [*lead, "a condition on the run"]
    return [Code(body if len(body) <= SHOWN_CONDITION else body[: SHOWN_CONDITION - 1] + "…")]


# `echo "NAME=value" >> $GITHUB_ENV`: a variable the job's later steps see. Its value is known at
# run time only, and stands for no value an expression can settle.
_GITHUB_ENV_WRITE = re.compile(r"""(?:echo|printf)\s+["']?([A-Za-z_]\w*)=[^\n]*?>>\s*["']?\$\{?GITHUB_ENV\}?""")
_RUN_TIME_VALUE = "\x00written at run time"
# An argument a command gets at run time: an expression or a shell variable.
_RUN_TIME_ARGS = re.compile(r"\$\{\{[^}]*\}\}|\$\{?[A-Za-z_]\w*\}?")
def _status_checks(body: str) -> list[str]:
    """The status functions a condition needs (`failure()`), read by the expression parser among
    the terms its top-level `&&` joins; one inside an `||` is not needed."""
    try:
        node = parse_expression(body)
    except (ExprError, RecursionError, IndexError):
        return []
    terms: list[tuple[Any, ...]] = []

    def flatten(term: tuple[Any, ...]) -> None:
        if term[0] == "and":
            flatten(term[1])
            flatten(term[2])
        else:
            terms.append(term)

    flatten(node)
    return [f"{t[1]}()" for t in terms if t[0] == "call" and t[1] in _STATUS_FUNCTIONS and not t[2]]


_STATUS_FUNCTIONS = frozenset({"success", "failure", "always", "cancelled"})


def _commands_in(*conditions: str | None) -> list[str]:
    return list(dict.fromkeys(m["c"] or m["d"] for c in conditions for m in _COMMENT_GATE.finditer(c or "")))


def _triggers(scenarios: Iterable[Scenario]) -> list[Trigger]:
    return list(dict.fromkeys(s.trigger for s in scenarios))


_ASSIGNMENTS = re.compile(
    r"^(?:[A-Za-z_][A-Za-z0-9_]*=(?:'[^']*'|\"[^\"]*\"|\$\([^()]*\)|\$\{[^}]*\}|[^\s'\"$]|\$(?![({]))*\s+)+(?=\S)")
_RELATIVE_DIR = re.compile(r"^[\w.-]+(?:/[\w.-]+)*$")
_ACTION_NAME = re.compile(r"^[\w.-]+/[\w./-]+$")  # `owner/repo[/path]`: a step that uses an action
# A word that starts a substitution or a redirection: where a shown command is cut (not a pipe: in
# `helm template chart/ | kubectl apply -f -` what deploys comes after it).
_SHELL_OPERATOR = re.compile(r"^(?:\$\(|`|<|\d*>)")
_REDIRECT = re.compile(r"\s+\d*(?:>>?|&>)\s*&?[^\s;&|]+|\s*&\s*$")


def _short(command: str, limit: int = 160) -> str:
    """A command as the document shows it: one line, without output redirections, cut to `limit`.
    One that a code span cannot hold (a pipe, `<<<`) is cut before its first substitution, pipe or
    redirection: lago's `docker buildx imagetools create $(jq -cr '.tags | map(...)' <<< ...)` read
    as escaped prose; `docker buildx imagetools create …` says what the step does."""
    command = " ".join(command.split())
    if len(command) > limit:  # before the redirections: a `>` in a quoted string is text (a quote, in Markdown)
        command = elide_quoted(command)
    command = _REDIRECT.sub("", command)
    # leading `NAME=value` words set the command's environment (miniflux's integration tests set six,
    # a password among them): the command is what follows
    command = _ASSIGNMENTS.sub("", command) or command
    if not code_safe(command):
        words = command.split(" ")
        cut = next((i for i, w in enumerate(words) if _SHELL_OPERATOR.match(w)), len(words))
        if cut >= 2:
            command = " ".join(words[:cut]) + (" …" if cut < len(words) else "")
    return command if len(command) <= limit else command[: limit - 1] + "…"


def _tested_dirs(step: StepRun, found: Found) -> list[str]:
    """The directories a test step runs in: its working directory, the folder of the package.json or
    task file whose script it runs (oncall's `working-directory: engine`), and the relative paths the
    test command names (traefik-helm-chart's `helm unittest ./traefik`), for the components table."""
    dirs = [step.wd.strip().removeprefix("./").strip("/")]
    if found.source:
        dirs.append(posixpath.dirname(found.source[0]))
    for word in found.command.split():
        if word.startswith("./") or ("/" in word and not word.startswith(("-", "/")) and "://" not in word):
            dirs.append(re.sub(r"(?:/\.\.\.|/\*+)$", "", word.removeprefix("./")).strip("/"))
    return [d for d in dict.fromkeys(dirs)
            if d and _RELATIVE_DIR.match(d) and not set(d) <= {".", "/"} and _literal(d, shell=False)]


@lru_cache(maxsize=4096)
def _file(path: str) -> str:
    """A workflow's file name; asked for the same few paths by nearly every statement."""
    return PurePosixPath(path).name


@dataclass
class DeployUnit:
    """A deploy job aimed at one environment, with the scenarios that run it."""

    run: JobRun
    env: str | None
    declared: bool
    expression: str
    scenarios: list[Scenario] = field(default_factory=list)
    finds: list[tuple[StepRun, Found]] = field(default_factory=list)

    def add(self, scenario: Scenario, step: StepRun, found: Found) -> None:
        if all(s is not scenario for s in self.scenarios):
            self.scenarios.append(scenario)
        if all(f is not found for _, f in self.finds):
            self.finds.append((step, found))


class FactBuilder:
    """Turns job runs into template facts; one method per kind of statement."""

    def __init__(self, detector: GitHubActionsDetector, expander: Expander, runs: list[JobRun]) -> None:
        self.d = detector
        self.x = expander
        self.runs = runs
        self.know = knowledge()
        self.catalog = detector.catalog
        self.by_instance: dict[tuple[Any, ...], dict[str, JobRun]] = {}
        self.caller: dict[int, JobRun] = {}
        self._tiers: dict[str, str] = {}
        for run in runs:
            self.by_instance.setdefault((*run.instance, run.path), {})[run.job["id"]] = run
            for called in run.callee:
                self.caller[id(called)] = run
        self.units = self._deploy_units()

    # -- shared pieces ------------------------------------------------------------------------

    @cached_property
    def _listed(self) -> frozenset[str]:
        """Every path in the repository's listing."""
        return frozenset(self.x.ctx.files)

    def _missing_dockerfile(self, run: JobRun, finds: list[Found]) -> str | None:
        """A Dockerfile a build step names that the repository does not have: the workflow is stale
        (plane's feature-deployment.yml builds ./aio/Dockerfile-app, removed with aio/). Said only
        when it cannot be elsewhere: not beside the build's context (elgohr's action reads it from
        its `workdir`), not in a checkout to a sub-path or of another repository, not under a
        folder infrascan leaves unlisted (vendored trees, configured skips)."""
        if any(self.know.checkout.match((s["uses"] or "").split("@", 1)[0]) and {"path", "repository"} & set(s["with"])
               for s in run.job["steps"]):
            return None
        for found in finds:
            contexts = [str(c) for c in found.detail.get("context", []) if _literal(c, shell=False)]
            for value in (str(v) for v in found.detail.get("file", []) if _literal(v, shell=False)):
                places = {repo_path("", value), *(repo_path(repo_path("", c), value) for c in contexts)}
                if places & self._listed:
                    continue
                if not any(may_be_unlisted(p, self.x.ctx.config.skip) for p in places):
                    return value
        return None

    def ev(self, *places: tuple[str, int]) -> tuple[Evidence, ...]:
        seen = dict.fromkeys((p, max(line, 0)) for p, line in places if p)
        return tuple(Evidence(p, line, self.d.name) for p, line in seen)

    def where(self, run: JobRun, caller: bool = True) -> list[Part]:
        """job `deploy` (`deploy.yml`), or job `x` (`called.yml`, called from `deploy.yml`)."""
        return ["job ", Code(run.job["id"]), " (", *self.inner(run, with_job=False, caller=caller), ")"]

    @staticmethod
    def if_clause(run: JobRun) -> list[Part]:
        """", if `needs.release.outputs.created`": what else a run waits for, after its triggers (a
        called job's callers' conditions first). A condition that a chain of jobs repeats is said
        once: paperless-ngx's frontend jobs each wait on `needs.changes.outputs.frontend_changed`."""
        return [part for clause in dict.fromkeys(clause for clause, _, _ in run.undecided) for part in clause]

    @staticmethod
    def if_places(run: JobRun) -> list[tuple[str, int]]:
        return [*((path, line) for _, path, line in run.undecided), *run.pinned_at]

    def inner(self, run: JobRun, with_job: bool = True, caller: bool = True) -> list[Part]:
        """The same inside parentheses: job `deploy`, `deploy.yml`."""
        parts: list[Part] = ["job ", Code(run.job["id"]), ", "] if with_job else []
        parts.append(Code(_file(run.path)))
        if run.calls and caller:
            parts += [", called from ", Code(_file(run.top))]
        return parts

    def attrs(self, run: JobRun, scenarios: Iterable[Scenario], **extra: Any) -> dict[str, Any]:
        scns = list(scenarios)
        return {
            "ci": CI,
            "pipeline": run.top,
            "file": run.path,
            "job": run.job["id"],
            "stage": None,
            "needs": list(run.job["needs"]),
            "triggers": _labels(_triggers(scns)),
            "environment": None,
            "manual": bool(scns) and all(s.trigger.manual for s in scns),
            **({"unresolved": run.unresolved} if run.unresolved else {}),
            **self._caller_attrs(run),
            **extra,
        }

    def _callers_attrs(self, called: dict[tuple[str, str], tuple[JobRun, list[Scenario]]]) -> dict[str, Any]:
        """For a step of a workflow several workflows call: each calling job, its workflow, what it
        waits for and its triggers, so that the diagram draws the step in each, from its own triggers."""
        if len({top for top, _ in called}) < 2:
            return {}
        return {"callers": [{"pipeline": top, **self._caller_attrs(run), "triggers": _labels(_triggers(scns))}
                            for (top, _), (run, scns) in called.items()]}

    def _caller_attrs(self, run: JobRun) -> dict[str, Any]:
        """For a job of a reusable workflow: the calling job and what it waits for (the diagram's edges)."""
        caller = self.caller.get(id(run))
        return {"caller_job": caller.job["id"], "caller_needs": list(caller.job["needs"])} if caller else {}

    def upstream(self, run: JobRun) -> list[JobRun]:
        """Jobs this one waits for (`needs`, transitively), in workflow order; for a job of a
        reusable workflow, the jobs its calling job waits for come first."""
        siblings = self.by_instance.get((*run.instance, run.path), {})
        seen: dict[str, JobRun] = {}
        todo = list(run.job["needs"])
        while todo:
            name = todo.pop(0)
            if name in seen or name not in siblings:
                continue
            seen[name] = siblings[name]
            todo.extend(siblings[name].job["needs"])
        order = [j["id"] for j in run.workflow["jobs"]]
        own = sorted(seen.values(), key=lambda r: order.index(r.job["id"]))
        caller = self.caller.get(id(run))
        return (self.upstream(caller) if caller is not None else []) + own

    def downstream_deploys(self, run: JobRun) -> list[JobRun]:
        siblings = self.by_instance.get((*run.instance, run.path), {})
        return [r for r in siblings.values() if run in self.upstream(r) and self.deploys(r)]

    def deploys(self, run: JobRun) -> bool:
        return not run.ephemeral and (
            run.has("deploy") or any(self.deploys(c) for c in run.callee if c.job is not run.job)
        )

    @staticmethod
    def service_image(run: JobRun, service: Mapping[str, Any]) -> str:
        """A service container's image, with the job's single-valued matrix and env expressions
        spelled out (koel's `mariadb:${{ matrix.mariadb-version }}` over a one-entry matrix)."""
        image = str(service["image"] or "")
        return run.scenarios[0].scope.expand(image) if "${{" in image and run.scenarios else image

    @classmethod
    def service_images(cls, run: JobRun, service: Mapping[str, Any]) -> list[str]:
        """Every image a service container can have: one per value of a matrix its tag names
        (solidtime's `postgres:${{ matrix.postgres_version }}` over 15, 16 and 17), else the one
        `service_image` spells out."""
        image = cls.service_image(run, service)
        if "${{" not in image:
            return [image]
        values = interpolate(image, run.scenarios[0].scope.lookup)
        images = literals(values)
        return images if images and len(images) == len(values) else [image]

    def services(self, run: JobRun, which: Sequence[Mapping[str, Any]] | None = None) -> list[Part]:
        """The job's service containers (or `which` of them), each by what its image runs."""
        parts: list[Part] = []
        for i, service in enumerate(run.job["services"] if which is None else which):
            image = self.service_image(run, service)
            found = [self.catalog.by_image(each) for each in self.service_images(run, service)]
            if i:
                parts.append(", ")
            if found and all(found):
                parts += [*self._images_label([f for f in found if f]), " (", Code(image), ")"]
            else:
                parts.append(Code(image or service["name"]))
        return parts

    @staticmethod
    def _images_label(found: list[tuple[Tech, ImageRef]]) -> tuple[Part, ...]:
        """`PostgreSQL 15`, or for a matrix of one technology's versions `PostgreSQL 9.6, 10 and 11`
        (in version order)."""
        labels = list(dict.fromkeys(tech.image_label(ref) for tech, ref in found))
        tech = found[0][0]
        versions = [label[len(tech.name) + 1:] for label in labels if label.startswith(tech.name + " ")]
        if len(labels) > 1 and len({t.id for t, _ in found}) == 1 and len(versions) == len(labels) \
                and all(v[:1].isdigit() for v in versions):
            ordered = sorted(versions, key=lambda v: [int(n) if n.isdigit() else 0 for n in re.split(r"\D+", v) if n])
            return text(tech.name, " ", *phrase_list([v] for v in ordered))
        return phrase_list([label] for label in labels)

    def has_store_service(self, run: JobRun, which: Sequence[Mapping[str, Any]] | None = None) -> bool:
        return any(self.catalog.is_data_store_image(image) for s in (run.job["services"] if which is None else which)
                   for image in self.service_images(run, s))

    def tool_name(self, tool: str) -> str:
        tech = self.catalog.techs.get(tool)
        return tech.name if tech else ""

    def how(self, found: Found) -> list[Part]:
        """`npm run build` → `remix build`: what the workflow runs, and what that really is."""
        if found.entry and found.entry != found.command:
            return [Code(_short(found.entry)), " → ", Code(_short(found.command))]
        return [Code(_short(found.command))]

    def fanned_how(self, finds: list[Found], fanned: list[Found]) -> list[Part]:
        """`turbo run build` → `tsc`, `next build`: every command one entry fans out to (a script in
        each workspace, `_fanned`), not the first one's as if every workspace ran it."""
        if len(fanned) < 2:
            return self.how(finds[0])
        return [Code(_short(finds[0].entry)), " → ", *code_list([_short(f.command) for f in fanned], 3)]

    # -- deploy units: one per job and target environment ----------------------------------------

    def _deploy_units(self) -> dict[tuple[Any, ...], DeployUnit]:
        units: dict[tuple[Any, ...], DeployUnit] = {}
        for run in self.runs:
            if run.ephemeral:
                continue
            for step in run.steps:
                for scenarios, finds in step.groups:
                    for found in finds:
                        if found.kind != "deploy":
                            continue
                        for scenario in scenarios:
                            for env, declared, expression in self._envs(run, step, found, scenario):
                                key = (run.top, run.calls, run.path, run.job["id"], env)
                                unit = units.setdefault(key, DeployUnit(run, env, declared, expression))
                                unit.add(scenario, step, found)
        return units

    def _envs(self, run: JobRun, step: StepRun, found: Found, scenario: Scenario) -> list[tuple[str | None, bool, str]]:
        declared = run.job["environment"]
        if declared and declared["name"]:
            return self._declared_envs(run, scenario)
        return [(self._infer_env(run, step, found), False, "")]

    def _infer_env(self, run: JobRun, step: StepRun, found: Found) -> str | None:
        if found.detail.get("prod"):
            return "production"
        if found.tool in knowledge().docs_tools:
            # a documentation site's versions are no environments: headscale's "Deploy development
            # docs" step runs `mike deploy --push development unstable`, its docs' development version
            return None
        values: list[str] = []
        for key in ("environment", "env_flag", "stage", "namespace", "app", "config", "files", "var_files"):
            values += [PurePosixPath(str(v)).name for v in found.detail.get(key, [])]
        stem = PurePosixPath(run.path).stem
        values += [
            step.step["name"],
            run.job["id"],
            run.job["name"],
            # `azure-dev.yml` is the workflow the Azure Developer CLI writes, whatever environment it
            # deploys (todo-nodejs-mongo's goes to the one `vars.AZURE_ENV_NAME` names)
            "" if knowledge().unnamed_env_workflows.match(stem) else stem,
            run.workflow["name"],
        ]
        for value in values:
            env = env_from_name(_CONFIG_SUFFIX.sub("", value)) if value else None
            if env and env not in ("ci", "e2e", "integration", "test", "testing", "shared", "load", "perf"):
                return env
        return None

    def tier(self, env: str) -> str:
        """`normalise(env)`, once per name: every unit of an environment asks again."""
        if env not in self._tiers:
            self._tiers[env] = normalise(env)
        return self._tiers[env]

    def env_label(self, units: Iterable[DeployUnit]) -> list[Part]:
        """`staging`, `production` as declared; inferred names as the tier they mean."""
        names: dict[str, Part] = {}
        for unit in sorted(units, key=self._env_rank):
            if unit.env is None:
                continue
            # Declared or picked from a dispatch input's options: as written. Read from names: the tier.
            shown: Part = Code(unit.env) if unit.declared or unit.expression else self.tier(unit.env)
            names.setdefault(shown.text if isinstance(shown, Code) else shown, shown)
        out: list[Part] = []
        for i, part in enumerate(names.values()):
            out += ([", "] if i else []) + [part]
        return out

    def _env_rank(self, unit: DeployUnit) -> tuple[int, str]:
        """Environments in the template's order (development, staging, production), then by name."""
        return block_order(self.tier(unit.env)) if unit.env else (9, "")

    def deploy_how(self, unit: DeployUnit) -> list[Part]:
        found = unit.finds[0][1]
        tool = self.tool_name(found.tool)
        return ([tool, " "] if tool else []) + self.how(found)

    def deploy_triggers(self) -> list[Fact]:
        facts: list[Fact] = []
        manual_groups: dict[tuple[Any, ...], list[DeployUnit]] = {}
        for unit in self.units.values():
            automated = [s for s in unit.scenarios if not s.trigger.manual]
            if automated:
                facts.append(self._automated(unit, automated))
            if any(s.trigger.manual for s in unit.scenarios):
                manual_groups.setdefault((unit.run.top, unit.run.path, unit.run.job["id"]), []).append(unit)
        for units in manual_groups.values():
            facts.append(self._manual(units))
        return facts

    def _automated(self, unit: DeployUnit, scenarios: list[Scenario]) -> Fact:
        run = unit.run
        steps = [s for s, _ in unit.finds]
        gates = _gates(run.job["if"], *(s.step["if"] for s in steps))
        parts: list[Part] = [*capitalised(describe(_triggers(scenarios), gates)), *self.if_clause(run), ": deploys"]
        if _documentation(scenarios, unit):
            parts.append(" the documentation site")
        if unit.env:
            parts += [" to ", *self.env_label([unit])]
        parts += [" with ", *self.deploy_how(unit), " (", *self.inner(run), ")"]
        if unit.env is None:
            parts += self._unnamed_env(run, unit.expression)
        confidence = Confidence.DECLARED if unit.declared or unit.env is None else Confidence.INFERRED
        return Fact(
            "ci.deploy.automated",
            text(*parts),
            confidence,
            self.ev(
                *[(t.path, t.line) for t in _triggers(scenarios)][:1],
                *self.if_places(run),
                (run.path, run.job["line"]),
                *[f.evidence()[0] for _, f in unit.finds],
            ),
            item=f"{run.top}:{run.job['id']}:{unit.env or ''}",
            order=(0, *run.order),
            rank=20,
            attrs=self.attrs(run, scenarios, environment=unit.env, manual=False),
        )

    def _manual(self, units: list[DeployUnit]) -> Fact:
        run = units[0].run
        scenarios = [s for u in units for s in u.scenarios if s.trigger.manual]
        triggers = _triggers(scenarios)
        parts: list[Part] = []
        if any(t.event == "workflow_dispatch" for t in triggers):
            parts += [Code("workflow_dispatch"), " of ", Code(_file(run.top)), *self._inputs_note(scenarios)]
            asked = next((t.condition for t in triggers if t.condition and t.event == "workflow_dispatch"), "")
            parts += [" (if ", Code(asked), ")"] if asked else []
        else:
            parts += [*capitalised(tuple(describe(triggers))), " (", Code(_file(run.top)), ")"]
        parts += [" runs job ", Code(run.job["id"])]
        if run.path != run.top:
            parts += [" (", Code(_file(run.path)), ")"]
        parts += self.if_clause(run)
        envs = [u for u in units if u.env]
        hows = {u.env: text(*self.deploy_how(u)) for u in envs}
        if len(set(hows.values())) > 1:
            # Steps gated by the chosen environment (`if: inputs.ENVIRONMENT == 'staging'`) deploy
            # each with its own command: the first one's command is not the others'.
            order = sorted(envs, key=self._env_rank)
            parts += [" to deploy to ", *phrase_list([*self.env_label([u]), " with ", *hows[u.env]] for u in order)]
        else:
            if envs:
                parts += [" to deploy to ", *self.env_label(envs)]
            parts += [" with ", *self.deploy_how(units[0])]
        if not envs:
            parts += self._unnamed_env(run, next((u.expression for u in units if u.expression), ""))
        declared = all(u.declared or u.env is None for u in units)
        return Fact(
            "ci.deploy.manual",
            text(*parts),
            Confidence.DECLARED if declared else Confidence.INFERRED,
            self.ev(
                *[(t.path, t.line) for t in triggers][:1],
                *self.if_places(run),
                (run.path, run.job["line"]),
                *[f.evidence()[0] for u in units for _, f in u.finds][:2],
            ),
            item=f"{run.top}:{run.job['id']}:manual",
            order=(0, *run.order),
            rank=20,
            attrs=self.attrs(run, scenarios, environment=[u.env for u in envs] or None, manual=True),
        )

    def _unnamed_env(self, run: JobRun, expression: str) -> list[Part]:
        """Why no environment is named: picked at dispatch, computed at run time, or never said."""
        if not expression:
            return ["; the target environment is not named"]
        inputs = _dispatch_inputs(self.x.workflows[run.top])
        picked = [n for n, spec in inputs.items() if spec.get("type") == "environment" and f"inputs.{n}" in expression]
        if picked:
            return [
                "; the environment is picked at dispatch from the repository's environments (input ",
                Code(picked[0]),
                ", ",
                Code("type: environment"),
                ")",
            ]
        return ["; environment chosen at run time (", Code(expression), ")"]

    def _inputs_note(self, scenarios: list[Scenario], top: str | None = None) -> list[Part]:
        """The dispatch inputs these scenarios chose; with `top` (the workflow dispatched), only the
        inputs some of whose options they leave out: redash's release image is built only when
        `dockerRepository` is `redash`, its preview image whatever the input."""
        chosen: dict[str, list[str]] = {}
        for scenario in scenarios:
            for name, value in scenario.fixed:
                values = chosen.setdefault(name, [])
                if value not in values:
                    values.append(value)
        if top is not None:
            inputs = _dispatch_inputs(self.x.workflows[top])
            for name in list(chosen):
                spec = inputs.get(name, {})
                options = _input_options(spec)
                if {_as_text(o) for o in options} <= set(chosen[name]):
                    del chosen[name]
        if not chosen:
            return []
        parts: list[Part] = [" ("]
        for i, (name, values) in enumerate(chosen.items()):
            parts += (["; "] if i else []) + [
                "input ",
                Code(name),
                ": " if len(values) > 1 else " = ",
                *code_list(values),
            ]
        return [*parts, ")"]

    # -- build steps ------------------------------------------------------------------------------

    def builds(self) -> list[Fact]:
        groups: dict[tuple[Any, ...], dict[str, Any]] = {}
        # (top, file, job) -> its image builds so far: each one's group and the image names it builds
        built: dict[tuple[Any, ...], list[tuple[tuple[Any, ...], set[str]]]] = {}
        for run in self.runs:
            # a code-scanning job's compile is for the scanner (Kavita's `dotnet build` between CodeQL's
            # init and analyze steps), no build that delivers anything
            if run.ephemeral or any(self.know.code_scanning.search(str(s.get("uses") or "")) for s in run.job["steps"]):
                continue
            last_test = max((s.index for s in run.steps if any(f.kind == "test" for f in s.finds)), default=())
            job = (run.top, run.path, run.job["id"])
            for step in run.steps:
                # a reusable workflow's step, called with other inputs (another image) by another caller,
                # is another statement; one caller's images are all its triggers' (a tag that depends on
                # the trigger is one step still)
                called_images = tuple(sorted({t for _, finds in step.groups for t in _tags_of(
                    [f for f in finds if f.kind in ("build", "push")])})) if run.calls else ()
                for scenarios, finds in step.groups:
                    made = [f for f in finds if f.kind in ("build", "push")]
                    if not made or (step.index <= last_test and not any(f.kind == "push" for f in made)):
                        continue  # built for the tests that follow, not a deliverable
                    image_build = any(f.tool in image_tools() or f.images for f in made)
                    what = (
                        ("image", run.path, run.job["id"], step.index, called_images)
                        if image_build
                        else ("command", run.path, made[0].entry or made[0].command)
                    )
                    # a reusable workflow's step is one step whichever workflows call it (outline's
                    # docker-build.yml, called by its nightly and its release workflow): its callers are listed
                    key = what
                    if image_build and all(f.kind == "push" for f in made):
                        # `docker push` of the image a step before built: that build, pushed
                        key = _pushed_build(built.get(job, []), _names(made)) or key
                    elif image_build:
                        built.setdefault(job, []).append((key, _names(made)))
                    group = groups.setdefault(
                        key, {"run": run, "step": step, "scenarios": [], "pushed": [], "finds": [], "jobs": [],
                              "names": [], "callers": {}, "key": key},
                    )
                    # each calling job, with its own conditions (two jobs of one workflow may call it)
                    calling = self.caller.get(id(run))
                    caller = group["callers"].setdefault((run.top, calling.job["id"] if calling else ""), (run, []))
                    caller[1].extend(s for s in scenarios if s not in caller[1])
                    group.setdefault("ifs", set()).add(step.step["if"] or "")
                    if step.step["name"] not in group["names"]:
                        group["names"].append(step.step["name"])
                    group["scenarios"] += [s for s in scenarios if s not in group["scenarios"]]
                    if any(f.kind == "push" for f in made):
                        group["pushed"] += scenarios
                    group["finds"] += [f for f in made if f not in group["finds"]]
                    if run.job["id"] not in group["jobs"]:
                        group["jobs"].append(run.job["id"])
        return [self._build_fact(key[0] == "image", group) for key, group in groups.items()]

    def _build_fact(self, image_build: bool, group: dict[str, Any]) -> Fact:
        run, step, finds = group["run"], group["step"], group["finds"]
        scenarios: list[Scenario] = group["scenarios"]
        pushed: list[Scenario] = group["pushed"]
        fanned = _fanned(finds)
        parts: list[Part]
        registries: list[str | Code] = []
        built = True
        where: list[str] = []  # the Dockerfiles and contexts built from (also for the components table, view.py)
        if image_build:
            tags = [i.strip() for f in finds for i in (f.images or _tags(f))]
            written = list(dict.fromkeys(_repository(i) for i in tags))
            images = [i for i in written if _literal(i)]
            # `app:latest` and `app:${{ env.VERSION }}` are one image and two tags (linkding's read as two
            # images, the second untagged): the run-time tag is said, not shown as a bare name
            runtime = {i.rpartition(":")[0] for i in tags if "${{" in i.rpartition("/")[2].partition(":")[2]}
            tagged = {i.rpartition(":")[0] for i in images if ":" in i.rpartition("/")[2]}
            also_runtime = sorted(runtime & tagged)
            images = [i for i in images if i not in also_runtime]
            # an image named by an expression after a registry written out (mealie's
            # `ghcr.io/${{ github.repository }}`) still says where it goes
            hosted = [i.split("/", 1)[0] + "/image" for i in written if i not in images and _written_host(i)]
            registries = self._registries(run, [*images, *hosted], " ".join(group["names"]),
                                          [i for i in written if i not in images])
            # a step that pushes what it pulled (or what a job before it built): no build here
            built = any(f.kind == "build" for f in finds)
            verb = ["built"] if built else ["pushed", *([" to ", *_registry_parts(registries)] if registries else [])]
            where = [v for f in finds for v in f.detail.get("file", []) or f.detail.get("context", [])]
            where = [w for w in dict.fromkeys(where) if _literal(w, shell=False)]
            exports = [str(f.detail["exports"]) for f in finds if f.detail.get("exports")]
            if built and exports and not images and not pushed:
                parts = ["Files built with ", *self.how(finds[0])]
                if where:
                    parts += [" (", Code(where[0]), *self._targets(finds), ")"]
                parts += [", exported to ", Code(exports[0]), " (no image)"]
            elif images:
                parts = ["Docker image ", *code_list(images, 3),
                         " (and tags set at run time)" if also_runtime else "", " ", *verb]
            else:
                parts = ["Docker image ", *verb, " with ", *self.how(finds[0])]
                if len(where) > 1:
                    parts += [
                        " (one image per matrix entry: ",
                        *code_list(where[:3]),
                        f", and {len(where) - 3} more)" if len(where) > 3 else ")",
                    ]
                elif where:
                    parts += [" (", Code(where[0]), *self._targets(finds), ")"]
            title = "Build and push image" if built and pushed else "Build image" if built else "Push image"
        else:
            parts = [*self.fanned_how(finds, fanned)]
            makes = finds[0].detail.get("makes")
            if makes:
                # a release action (helm/chart-releaser-action) or tool (GoReleaser, by its
                # configuration): what it makes, not only its name
                parts = [*capitalised(tuple(makes)), " with ", *parts]
            elif finds[0].detail.get("published_to"):
                parts = ["Files published to repository ", Code(str(finds[0].detail["published_to"])), " with ",
                         *parts]
            title = "Build" + (f" ({finds[0].tool})" if finds[0].tool else "")
        called: dict[tuple[str, str], tuple[JobRun, list[Scenario]]] = group["callers"]
        tops = list(dict.fromkeys(top for top, _ in called))
        jobs, callers = group["jobs"], [t for t in tops if t != run.path]
        if len(jobs) > 1:
            parts += [" in jobs ", *code_list(jobs), " (", Code(_file(run.path))]
        else:
            parts += [" in job ", Code(run.job["id"]), " (", Code(_file(run.path))]
        parts += [", called from ", *code_list(_file(t) for t in callers), ")"] if callers else [")"]
        # the one job's own conditions; callers whose conditions differ are named with theirs
        gated = self.if_places(run) if len(jobs) == 1 and len(tops) == 1 else []
        if len(jobs) == 1 and len(called) > 1 and any(r.undecided for r, _ in called.values()):
            gated = [place for r, _ in called.values() for place in self.if_places(r)]
            parts += [", on "]
            per_top = [top for top, _ in called]
            for index, ((top, job_id), (caller, scns)) in enumerate(called.items()):
                named: list[Part] = ["job ", Code(job_id), ", "] if job_id and per_top.count(top) > 1 else []
                parts += ["; " if index else "", *describe(_triggers(scns)), *self.if_clause(caller),
                          " (", *named, Code(_file(top)), ")"]
        else:
            parts += [", on ", *describe(_triggers(scenarios)), *self._inputs_note(scenarios, run.top),
                      *(self.if_clause(run) if gated else [])]
        # the step's own condition, when every step stated here has it (k6 pushes `:latest` only
        # `if: needs.configure.outputs.is_latest_stable == 'true'`)
        ifs: set[str] = group["ifs"]
        parts += _undecided(next(iter(ifs)), scenarios) if len(ifs) == 1 else ()
        # A chart or other artifact sent on by its own command (`helm push`): named, and cited.
        sent = [f for f in finds if f.kind == "push" and f.command != finds[0].command] if pushed else []
        if image_build and pushed:
            parts += ["; pushed", *([" to ", *_registry_parts(registries)] if registries else [])] if built else []
            if len(_triggers(pushed)) < len(_triggers(scenarios)):
                parts += [" on ", *describe(_triggers(pushed)), " only"]
        elif sent:
            parts += ["; pushed with ", Code(_short(sent[0].command))]
        gone = self._missing_dockerfile(run, finds)
        if gone:
            parts += ["; ", Code(gone), " is not in the repository"]
        evidence = [e for f in (finds[:2] if image_build or len(fanned) < 2 else [*fanned[:3], *sent[:1]])
                    for e in f.evidence()]
        # an action infrascan does not know builds the Dockerfile its input names: an inference
        inferred = any(f.inferred for f in finds)
        return Fact(
            "ci.build",
            text(*parts),
            Confidence.INFERRED if inferred else Confidence.DECLARED,
            self.ev(*evidence[:1], *gated, *evidence[1:]),
            item=f"{run.top}:{run.job['id']}:{'.'.join(map(str, step.index))}"
                 + (f":{','.join(group['key'][4])}" if image_build and group["key"][4] else ""),
            order=(0, *run.order, *step.index),
            rank=30,
            attrs=self.attrs(run, scenarios, step=title, images=_tags_of(finds), jobs=jobs,
                             **({"paths": where} if where else {}), **self._callers_attrs(group["callers"])),
        )

    @staticmethod
    def _targets(finds: list[Found]) -> list[Part]:
        """The build stage a step stops at (`target: backend`): hoppscotch builds four images from one
        Dockerfile, which read as four identical steps without it."""
        targets = [t for t in dict.fromkeys(v for f in finds for v in f.detail.get("target", []))
                   if _literal(t, shell=False)]
        return [", target ", *code_list(targets)] if targets else []

    def _registries(self, run: JobRun, images: list[str], step_name: str,
                    unnamed: Sequence[str] = ()) -> list[str | Code]:
        """Registry names (GitHub Container Registry, Amazon ECR) of the images; for images whose
        registry an expression gives (`unnamed`, the images not written out), that expression as a
        code span; else of the job's registry logins, narrowed to the one a step's name mentions
        ("Build and push to GHCR")."""
        names = [r.name for r in (registry_of(i) for i in images) if r is not None]
        if names:
            # beside images written with their registry, one an expression names whole, in a job that
            # logs in to Docker Hub, goes there (CTFd tags `${{ env.IMAGE_NAME }}:latest` beside
            # `ghcr.io/${{ env.IMAGE_NAME }}:latest`, after logging in to both)
            hub = registry_of("docker.io/image")
            logged_in_hub = any(f.kind == "login" and registry_of(f"{f.detail.get('registry', '')}/image") == hub
                                for f in run.finds)
            if hub is not None and logged_in_hub and any(_expression_image(i) for i in unnamed):
                names.append(hub.name)
            return list(dict.fromkeys(names))
        # penpot's `${{ secrets.DOCKER_REGISTRY }}/backend` after logging in to `registry: ${{
        # secrets.DOCKER_REGISTRY }}`: that registry, not Docker Hub, whose login beside it is for
        # pulling without rate limits. Without such a login the expression is a Docker Hub namespace
        # as likely (AppFlowy's `${{ secrets.DOCKER_HUB_USERNAME }}/appflowy_cloud`).
        logged_in = {m.group(1) for other in run.finds if other.kind == "login"
                     and (m := _ONE_EXPRESSION.fullmatch(str(other.detail.get("registry", ""))))}
        hosts = [host for host in (_expression_host(i) for i in unnamed) if host and host in logged_in]
        if hosts:
            return [Code(host) for host in dict.fromkeys(hosts)]
        logins: list[tuple[str, str]] = []
        for other in run.finds:
            registry = other.detail.get("registry", "") if other.kind == "login" else ""
            if registry and _literal(registry, shell=False):
                found = registry_of(registry + "/image") if "." in registry else None
                logins.append((registry.split(".")[0].lower(), found.name if found else registry))
        said = step_name.lower()

        def named_in(text: str) -> list[str]:
            return [name for label, name in logins if label in text or name.lower() in text]

        named = named_in(said)
        if named:
            return list(dict.fromkeys(named))
        # appwrite's `${{ env.RUNS_ON_ECR_CACHE }}:<tag>` in a step that names no registry, in a job
        # whose only login is conditional (Docker Hub, when a token is set, for pulling): an expression
        # that is the whole image names its registry too. A login every run makes is where a tags
        # output (`${{ steps.meta.outputs.tags }}`) goes, as before.
        always = any(f.kind == "login" for step in run.steps if not step.step.get("if") for f in step.finds)
        wholes = [whole for whole in (_expression_image(i) for i in unnamed) if whole] if not always else []
        if wholes:
            return [Code(whole) for whole in dict.fromkeys(wholes)]
        # the registries other pushing steps of the job name are theirs (paperless-ngx's "Copy to
        # Docker Hub" and "Copy to Quay.io" after a manifest pushed to GHCR): not this step's
        theirs = {name for step in run.steps if any(f.kind == "push" for f in step.finds)
                  for name in named_in(str(step.step.get("name") or "").lower()) if name}
        rest = [name for _, name in logins if name not in theirs]
        return list(dict.fromkeys(rest or [name for _, name in logins]))

    # -- tests --------------------------------------------------------------------------------------

    def tests(self) -> list[Fact]:
        groups: dict[tuple[Any, ...], dict[str, Any]] = {}
        for run in self.runs:
            for step, scenarios, found in self._test_finds(run):
                level, why_unit = self._level(run, step, found)
                key = (run.path, run.job["id"], found.tool or found.entry, level)
                group = groups.setdefault(
                    key, {"run": run, "step": step, "found": found, "level": level, "scenarios": [], "tops": [],
                          "dirs": [], "why_unit": why_unit}
                )
                group["dirs"] += [d for d in _tested_dirs(step, found) if d not in group["dirs"]]
                group["scenarios"] += [s for s in scenarios if s not in group["scenarios"]]
                # another suite of the same tool and level in the job (wallabag's `--testsuite
                # functional` after `--testsuite integration`): named on the line too
                steps = group.setdefault("steps", [group["step"].index])
                if step.index not in steps and found.command != group["found"].command:
                    steps.append(step.index)  # one per step: a script's other lines are that suite's
                    group.setdefault("more", []).append(found)
                if run.top not in group["tops"]:
                    group["tops"].append(run.top)
        facts = [self._test_fact(g) for g in groups.values()]
        return facts + [self._database_suite_hint(g, f, g["why_unit"]) for g, f in
                        zip(groups.values(), facts, strict=True) if g["why_unit"]]

    def _started(self, services: list[Found]) -> tuple[Part, ...]:
        """`databases started by `cmd`, `cmd``: the steps before a test that start what it uses; beyond
        the first, only database starts (a script that merely mentions `docker compose up` in a
        message, langfuse's timeout echo, matches the compose pattern too)."""
        databases = self.know.runner_stores
        starts = list(dict.fromkeys(f.command for i, f in enumerate(services)
                                    if not i or databases.search(f.command) or _ACTION_NAME.match(f.command)))
        what = "containers" if all(self.know.compose_up.search(c) for c in starts) else "databases"
        return (f"{what} started by ", *code_list([_short(c, 80) for c in starts], 3))

    def _database_suite_hint(self, group: dict[str, Any], fact: Fact, why: str) -> Fact:
        """A lead for the integration field when a suite runs beside database services but counts as
        unit tests because its runner makes a test database on every run (netbox's Django suite with
        PostgreSQL and Redis, solidtime's `php artisan test`): a reader who sees the integration
        gap, after "looked for tests with database services", is told which job has them and why
        it is not there."""
        run, step, found = group["run"], group["step"], group["found"]
        name = self.know.test_tools.get(found.tool, "") or found.tool or found.entry
        stores = [s for s in run.job["services"] if self.has_store_service(run, (s,))]
        services = ["services ", *self.services(run, stores)] if stores else \
            list(self._started(self.services_before(run, step)))
        return Fact(
            "ci.test.integration",
            text(name, " in job ", Code(run.job["id"]), " (", Code(_file(run.path)), ") runs with ", *services,
                 why),
            Confidence.HINT,
            fact.evidence,
            item=f"{fact.item}:database",
            order=fact.order,
        )

    def _test_finds(self, run: JobRun) -> Iterator[tuple[StepRun, list[Scenario], Found]]:
        """Test steps; a job that deploys into a throwaway environment is itself one end-to-end test."""
        found_any = False
        for step in run.steps:
            for scenarios, finds in step.groups:
                for found in finds:
                    if found.kind == "test":
                        found_any = True
                        yield step, scenarios, found
        if not run.ephemeral or found_any:
            return
        cluster = next((f.tool for f in run.finds if f.kind == "cluster"), "")
        # The repository's own deploy first: a manifest applied from a URL (cert-manager's, before
        # podinfo's chart) sets the cluster up, and is not what the job tests.
        kinds = ("deploy", "cluster", "teardown")
        candidates = [(step, scenarios, found) for step in run.steps for scenarios, finds in step.groups
                      for found in finds if found.kind in kinds]
        if candidates:
            step, scenarios, found = min(candidates, key=lambda c: (kinds.index(c[2].kind), "://" in c[2].command))
            yield (
                step,
                scenarios,
                Found(
                    "test",
                    cluster,
                    found.entry or found.command,
                    found.path,
                    found.line,
                    None,
                    None,
                    "",
                    found.source,
                    detail={"starts_cluster": found.kind == "cluster"},
                    inferred=True,
                ),
            )

    def _level(self, run: JobRun, step: StepRun, found: Found) -> tuple[str, str]:
        """The suite's level, and why a database service beside it did not make it integration
        tests ("" when none is beside it, or it is): its runner's own test database, or the team's
        name for the job."""
        level = found.level or "unit"
        why_unit = ""
        if level in ("unit", None):
            named = _level_by_name(
                None,
                found.source[0] if found.source else "",
                # An Nx target fanned out from `nx affected -t lint,test:integration,test` is named by
                # its own target, not by the whole command line that also names the others.
                found.detail.get("nx_target") or found.entry,
                step.step["name"],
                run.job["id"],
                run.job["name"],
                _file(run.path),
                run.workflow["name"],
            )
            said_unit = called_unit(step.step["name"], run.job["id"], run.job["name"])
            stores = bool(self.has_store_service(run) or self.services_before(run, step))
            beside = stores and not said_unit
            if named:
                level = named
            elif beside and not found.detail.get("own_database"):
                # a database beside the tests makes them integration tests, unless the team calls
                # them unit tests (saleor's "Run unit tests" step, with a Postgres service) or the
                # runner's tests use one by design (`bin/rails test`)
                level = "integration"
            elif run.ephemeral and self.environment_before(run, step):
                level = "e2e"
            if not named and level == "unit" and stores:
                why_unit = BY_DESIGN if beside else CALLED_UNIT
        return level, why_unit

    @staticmethod
    def environment_before(run: JobRun, step: StepRun) -> bool:
        """Whether this step or one before it starts the job's throwaway cluster or deploys into it:
        the tests before it cannot use it (traefik-helm-chart's `helm unittest` runs before the kind
        cluster that only a release pull request's install test needs). A job that provisions an
        environment and tears it down (`azd provision` ... `azd down`) is one end-to-end test whole."""
        if not any(f.kind == "cluster" for f in run.finds):
            return True
        return any(s.index <= step.index and any(f.kind in ("cluster", "deploy") for f in s.finds) for s in run.steps)

    @staticmethod
    def services_before(run: JobRun, step: StepRun) -> list[Found]:
        """What the steps before this one start for the tests (`docker compose up`, a database): the
        steps that always run first, then those under a condition of their own (appwrite's `docker
        compose up -d --wait gitea`, for one matrix entry, came before its whole stack's start and was
        the one named), each in order."""
        before = [s for s in run.steps if s.index < step.index]
        ordered = [s for s in before if not s.step.get("if")] + [s for s in before if s.step.get("if")]
        return [f for s in ordered for f in s.finds if f.kind == "services"]

    def _test_fact(self, group: dict[str, Any]) -> Fact:
        run, step, found, level = group["run"], group["step"], group["found"], group["level"]
        scenarios: list[Scenario] = group["scenarios"]
        name = self.know.test_tools.get(found.tool, "")
        parts: list[Part] = [name] if name else [Code(_short(found.entry or found.command))]
        parts += [" in job ", Code(run.job["id"]), " (", Code(_file(run.path))]
        callers = [t for t in group["tops"] if t != run.path]
        if callers:
            parts += [", called from ", *code_list(_file(t) for t in callers)]
        gated = self.if_places(run) if len(group["tops"]) == 1 else []  # callers' conditions differ
        parts += ["): ", *describe(_triggers(scenarios), _gates(run.job["if"], step.step["if"]))]
        parts += self.if_clause(run) if gated else []
        if name:
            parts += [] if found.detail.get("starts_cluster") else ["; runs ", *self.how(found)]
            more: list[Found] = group.get("more", [])
            if more and not found.detail.get("starts_cluster"):
                parts += [" and ", *self.how(more[0]), *([f" and {len(more) - 1} more"] if len(more) > 1 else [])]
        if run.job["services"]:
            parts += ["; services: ", *self.services(run)]
        # every step before this one that starts services (healthchecks starts MySQL, PostgreSQL and
        # MariaDB in three steps, one per matrix entry): the first is cited
        services = self.services_before(run, step)
        started = services[0] if services else None
        if started is not None:
            parts += ["; ", *self._started(services)]
        parts += self._matrix_note(run)
        if run.job["container"]:
            parts += ["; in container ", Code(run.job["container"])]
        # a suite whose failures block nothing: a reader must not count on it
        may_fail = next(((p, n) for p, n in ((step.path, step.step.get("may_fail_line")),
                                             (run.path, run.job.get("may_fail_line"))) if n), None)
        if may_fail:
            parts += allowed_to_fail("continue-on-error: true")
        if run.ephemeral:
            cluster = next((f for f in run.finds if f.kind == "cluster"), None)
            teardown = next((f for f in run.finds if f.kind == "teardown"), None)
            if teardown and not cluster:
                parts += ["; provisions its own environment and removes it (", Code(_short(teardown.command, 60)), ")"]
        field_id = "mon.performance" if level == "performance" else f"ci.test.{level}"
        if field_id not in ("ci.test.unit", "ci.test.integration", "ci.test.e2e", "mon.performance"):
            field_id = "ci.test.unit"
        return Fact(
            field_id,
            text(*parts),
            Confidence.INFERRED if found.inferred else Confidence.DECLARED,
            self.ev(*found.evidence(), *[(run.path, int(s["line"])) for s in run.job["services"][:1]], *gated,
                    (run.path, run.job["line"]), *(started.evidence() if started else ()),
                    *([may_fail] if may_fail else [])),
            item=f"{run.path}:{run.job['id']}:{found.tool or found.entry}",
            order=(0, *run.order, *step.index),
            rank=30 if not found.inferred else 55,
            attrs=self.attrs(run, scenarios, tool=found.tool or None, level=level,
                             **({"paths": group["dirs"]} if group["dirs"] else {})),
        )

    def _matrix_note(self, run: JobRun) -> list[Part]:
        matrix = run.job["matrix"]
        if "*" in matrix:
            return ["; matrix computed at run time (", Code(_short(matrix["*"], 60)), ", not resolved)"]
        parts: list[Part] = []
        for key, values in matrix.items():
            if isinstance(values, list) and values and self.know.matrix_versions.match(key):
                parts += ["; matrix ", Code(key), ": ", *code_list(dict.fromkeys(values))]
        return parts

    # -- environments: URLs, protection rules, per-branch environments -----------------------------

    def environments(self) -> list[Fact]:
        facts: list[Fact] = []
        for run in self.runs:
            declared = run.job["environment"]
            if not declared or not declared["name"]:
                continue
            for scenario in run.scenarios:
                for name, is_declared, _ in self._declared_envs(run, scenario):
                    if name is None or not is_declared:
                        continue
                    facts.extend(self._env_facts(run, scenario, name, declared))
        facts += self._app_urls()
        known = {f.env for f in facts if f.field == "env.url" and f.confidence is Confidence.DECLARED}
        return [f for f in facts if not (f.field == "env.url" and f.confidence is Confidence.HINT and f.env in known)]

    def _app_urls(self) -> list[Fact]:
        """`flyctl deploy --app X-staging` to staging: X-staging answers on the platform's default
        URL when the configuration the deploy reads serves HTTP. The configuration's own app has
        its URL from that file already (the paas detector)."""
        facts: list[Fact] = []
        for unit in self.units.values():
            if unit.env is None:
                continue
            for step, found in unit.finds:
                spec = self.know.app_urls.get(found.tool)
                tech = self.catalog.techs.get(found.tool)
                config = self._deploy_config(step, found, spec) if spec else None
                if spec is None or config is None or tech is None or not tech.app_url:
                    continue
                for app in found.detail.get("app", []):
                    app = str(app)
                    if app == config.data["app"] or not _APP_NAME.fullmatch(app):
                        continue
                    url = tech.app_url.format(app=app)
                    facts.append(
                        Fact(
                            "env.url",
                            text(
                                Code(url),
                                f" ({tech.name} default hostname of app ",
                                Code(app),
                                ", deployed by ",
                                *self.where(unit.run),
                                " with ",
                                Code(config.path),
                                ")",
                            ),
                            Confidence.INFERRED,
                            self.ev(*found.evidence(), (config.path, config.line)),
                            env=unit.env,
                            item=f"app-url:{app}",
                            rank=50,
                            order=(unit.run.path, found.line),
                            attrs={"url": url, "ci": CI, "job": unit.run.job["id"], "pipeline": unit.run.top},
                        )
                    )
        return facts

    def _deploy_config(self, step: StepRun, found: Found, spec: AppUrl) -> Record | None:
        """The platform configuration a deploy reads (a config flag, else the default name in its
        working directory), when phase 1 recorded it serving HTTP."""
        named = [str(c) for c in found.detail.get("config", [])]
        path = repo_path(step.wd, named[0] if named else spec.config)
        record = next((r for r in self.x.ctx.records(spec.record) if r.path == path), None)
        return record if record is not None and record.data.get("http") else None

    def _declared_envs(self, run: JobRun, scenario: Scenario) -> list[tuple[str | None, bool, str]]:
        declared = run.job["environment"]
        raw, lookup = declared["name"], scenario.jobs.lookup
        values = interpolate(raw, lookup)
        names = literals(values)
        if names and UNKNOWN not in values and FALSY not in values:
            return [(n, True, "") for n in names]
        partial = scenario.jobs.expand(raw)
        if EXPR.fullmatch(partial.strip()) is None and "${{" in partial:
            return [(partial, True, "")]
        chosen = next((v for n, v in scenario.fixed if self.know.environment_inputs.match(n)), None)
        if chosen:
            return [(chosen, False, partial)]
        return [(n, True, partial) for n in names] or [(None, False, partial)]

    def _env_facts(self, run: JobRun, scenario: Scenario, name: str, declared: dict[str, Any]) -> list[Fact]:
        facts: list[Fact] = []
        env_line = declared["line"]
        here = [" (environment ", Code(name), " of ", *self.where(run, caller=False), ")"]
        if "${{" in name:
            facts.append(self._dynamic_env(run, scenario, name, env_line))
        elif self.deploys(run) or run.has("promote") or run.has("push"):
            facts.append(
                Fact(
                    "ci.deploy.manual",
                    text(
                        "Check the protection rules (required reviewers, wait timer, deployment branches) of "
                        "environment ",
                        Code(name),
                        " in the repository settings: approvals are not in the repository",
                    ),
                    Confidence.HINT,
                    self.ev((run.path, env_line)),
                    item=f"protection:{name}",
                    order=(9, name),
                    rank=70,
                    attrs={"ci": CI, "environment": name},
                )
            )
        if declared["url"]:
            url = scenario.scope.expand(declared["url"])
            host = _ANY_SCHEME.sub("", url).split("/", 1)[0].split(":", 1)[0]
            if self.know.package_indexes.match(host):
                return facts  # a publishing gate (a package index's page), not where the application runs
            if "${{" not in url and _HTTP_SCHEME.match(url) and not _PLACEHOLDER_HOST.match(host):
                facts.append(
                    Fact(
                        "env.url",
                        text(Code(url), *here),
                        Confidence.DECLARED,
                        self.ev((run.path, declared["url_line"])),
                        env=name,
                        rank=10,
                        order=(run.path, declared["url_line"]),
                        attrs={"url": url, "ci": CI, "job": run.job["id"], "pipeline": run.top},
                    )
                )
            else:
                candidates = literals(interpolate(declared["url"], scenario.scope.lookup))
                why = next((w for p, w in _URL_CONTEXT if p.search(url)), "set at deploy time")
                shown: list[Part] = [Code(url)]
                if len(candidates) > 1 and EXPR.fullmatch(declared["url"].strip()):
                    why, shown = "one of", code_list(candidates)
                facts.append(
                    Fact(
                        "env.url",
                        text("URL ", why, ": ", *shown, *here),
                        Confidence.HINT,
                        self.ev((run.path, declared["url_line"])),
                        env=name,
                        rank=70,
                        order=(run.path, declared["url_line"]),
                    )
                )
        return facts

    def _dynamic_env(self, run: JobRun, scenario: Scenario, name: str, line: int) -> Fact:
        per = next((w for p, w in _URL_CONTEXT if p.search(name)), "per run")
        parts: list[Part] = [
            f"One environment {per} (",
            Code(name),
            "), created by ",
            *self.where(run),
            " on ",
            *describe(_triggers(run.scenarios), _gates(run.job["if"])),
            *self.if_clause(run),
        ]
        siblings = self.by_instance.get((*run.instance, run.path), {})
        removers = [r for r in siblings.values() if r is not run and any(f.kind == "teardown" for f in r.finds)]
        if removers:
            parts += ["; removed by job ", *code_list(r.job["id"] for r in removers)]
        return Fact(
            "env.purpose",
            text(*parts),
            Confidence.INFERRED,
            self.ev((run.path, line), *self.if_places(run)),
            env=name,
            item=f"dynamic:{run.path}:{run.job['id']}",
            rank=50,
            order=(run.path, line),
        )

    # -- deployment steps per environment ---------------------------------------------------------

    def deploy_steps(self) -> list[Fact]:
        by_job: dict[tuple[Any, ...], list[DeployUnit]] = {}
        rollbacks = self._rollback_tops()
        # A redeploy of an earlier version is the rollback procedure, not the deploy, unless it is
        # the only way the repository deploys (formbricks' cloud deploy takes the version to release).
        skipped = rollbacks if any(u.run.top not in rollbacks for u in self.units.values()) else {}
        for unit in self.units.values():
            if unit.run.top in skipped:
                continue
            by_job.setdefault((unit.run.top, unit.run.calls, unit.run.path, unit.run.job["id"]), []).append(unit)
        facts: list[Fact] = []
        for units in by_job.values():
            facts.extend(self._job_steps(units))
        return facts

    def _job_steps(self, units: list[DeployUnit]) -> list[Fact]:
        run = units[0].run
        entries: dict[tuple[Any, ...], dict[str, Any]] = {}
        upstream = self.upstream(run)
        producing = ("build", "push", "migrate", "deploy")
        checks = [
            j
            for j in upstream
            if j.has("test")
            or (
                not any(j.has(k) for k in producing)
                and (
                    self.know.checks.search(f"{j.job['id']} {j.job['name']}")
                    or self.know.test_jobs.search(f"{j.job['id']} {j.job['name']}")
                )
            )
        ]
        if checks:
            entries[("gate",)] = {"units": units, "kind": "gate", "run": run, "step": None, "found": None}
        for job in upstream:
            if job.has("test") or job.ephemeral:
                continue
            for step in job.steps:
                for found in step.finds:
                    if found.kind in ("build", "push", "migrate"):
                        entry = entries.setdefault(
                            (job.order, step.index, _step_kind(found.kind)),
                            {"units": units, "kind": found.kind, "run": job, "step": step, "found": found,
                             "finds": [found]},
                        )
                        entry["kind"] = _merge_kind(entry["kind"], found.kind)
        for unit in units:
            for step in run.steps:
                for scenarios, finds in step.groups:
                    keys = {s.key for s in unit.scenarios}
                    if not any(s.key in keys for s in scenarios):
                        continue
                    for found in finds:
                        if found.kind in ("build", "push", "migrate", "deploy", "verify"):
                            if found.kind == "deploy" and all(f is not found for _, f in unit.finds):
                                continue
                            if found.kind == "verify" and any(
                                f.kind == "deploy" and f.command == found.command for f in finds
                            ):
                                continue  # `helm upgrade --wait` is the deploy step itself
                            kind = _step_kind(found.kind)
                            # one step's checks of many objects (`kubectl wait ... deployment/a`, `.../b`)
                            # are one statement
                            shown = _verify_stem(found.command) if found.kind == "verify" else found.command
                            entry = entries.setdefault(
                                (run.order, step.index, kind, "" if kind == "image" else shown),
                                {"units": [], "kind": found.kind, "run": run, "step": step, "found": found,
                                 "finds": []},
                            )
                            if all(f is not found for f in entry["finds"]):
                                entry["finds"].append(found)
                            entry["kind"] = _merge_kind(entry["kind"], found.kind)
                            if unit not in entry["units"]:
                                entry["units"].append(unit)
        return [self._step_fact(key, entry, checks) for key, entry in entries.items()]

    def _step_fact(self, key: tuple[Any, ...], entry: dict[str, Any], upstream: list[JobRun]) -> Fact:
        units: list[DeployUnit] = entry["units"]
        run: JobRun = entry["run"]
        kind = entry["kind"]
        label = self.env_label(units) or [Code(_file(units[0].run.top))]
        parts: list[Part] = [*capitalised(tuple(label)), ": "]
        if kind == "gate":
            parts += [
                "jobs ",
                *code_list(j.job["id"] for j in upstream),
                " pass first (",
                Code("needs"),
                " of ",
                *self.inner(units[0].run),
                ")",
            ]
            # the `needs:` line itself (the job's own line when the wait comes from the job that calls it)
            evidence = self.ev((units[0].run.path, units[0].run.job["needs_line"]))
            order: tuple[Any, ...] = (-1,)
        else:
            step, found = entry["step"], entry["found"]
            verb = {
                "build": "build ",
                "push": "push ",
                "build+push": "build and push ",
                "migrate": "migrate the database with ",
                "deploy": "deploy with ",
                "verify": "verify with ",
            }[kind]
            if kind == "deploy" and all(_documentation(u.scenarios, u) for u in units):
                verb = "deploy the documentation site with "  # as its trigger statement says
            tool = self.tool_name(found.tool) if kind == "deploy" else ""
            images = [i for i in dict.fromkeys(_repository(i) for i in found.images or _tags(found)) if "$" not in i]
            makes = found.detail.get("makes") if kind == "build" else None
            if images and kind in ("build", "push", "build+push"):
                parts += [verb, "image ", *code_list(images, 2), " (", *self.how(found), ")"]
            elif makes:  # a release (rallly's draft GitHub release after its deploy): what it makes
                parts += [*makes, " with ", *self.how(found)]
            elif kind == "verify":
                parts += [verb, *self.checks(entry["finds"])]
            else:
                parts += [verb, *([tool, " "] if tool else []), *self.how(found)]
            if step.step["name"]:
                parts += [" (step ", Code(step.step["name"]), " of ", *self.inner(run), ")"]
            else:
                parts += [" (", *self.inner(run), ")"]
            evidence = self.ev(*(e for f in entry["finds"] for e in f.evidence()))
            order = (0, *run.order, 1, *step.index)
        first = min((block_order(self.tier(u.env)) if u.env else (9, "") for u in units), default=(9, ""))
        scenarios = [s for u in units for s in u.scenarios]
        envs = [u.env for u in units if u.env]
        return Fact(
            "deploy.steps",
            text(*parts),
            Confidence.DECLARED if all(u.declared or not u.env for u in units) else Confidence.INFERRED,
            evidence,
            item=f"{units[0].run.top}:{units[0].run.job['id']}:{'/'.join(map(str, key))}:{','.join(map(str, envs))}",
            order=(*first, *order),
            rank=30,
            attrs=self.attrs(
                units[0].run,
                scenarios,
                step=_STEP_TITLES[kind],
                environment=envs[0] if len(envs) == 1 else (envs or None),
            ),
        )

    # -- rollback and verification ----------------------------------------------------------------

    def rollbacks(self) -> list[Fact]:
        facts: list[Fact] = []
        for run in self.runs:
            if run.ephemeral:
                continue
            for step in run.steps:
                for scenarios, finds in step.groups:
                    for found in finds:
                        if found.kind != "rollback":
                            continue
                        if found.automatic:
                            parts: list[Part] = [
                                "Automatic: ",
                                *self.how(found),
                                " rolls a failed release back (",
                                *self.inner(run),
                                ")",
                            ]
                        else:
                            parts = [*self.how(found), " in ", *self.where(run), ": ",
                                     *describe(_triggers(scenarios)), *self.if_clause(run)]
                        facts.append(
                            Fact(
                                "deploy.rollback.perform",
                                text(*parts),
                                Confidence.DECLARED,
                                self.ev(*found.evidence(), *self.if_places(run)),
                                item=f"{run.path}:{run.job['id']}:{found.command}",
                                order=(0, *run.order, *step.index),
                                rank=30,
                                attrs=self.attrs(run, scenarios, tool=found.tool, automatic=found.automatic),
                            )
                        )
        facts.extend(self._redeploys())
        return facts

    def _rollback_tops(self) -> dict[str, list[str]]:
        """Workflows run by hand that redeploy an earlier version: top path -> the version inputs.

        A `workflow_dispatch` input named `version`/`tag`/`ref`/`image_tag` that reaches the deploy
        job, or a workflow named "rollback" that deploys.
        """
        tops: dict[str, list[str]] = {}
        for unit in self.units.values():
            if not any(s.trigger.manual and s.trigger.event == "workflow_dispatch" for s in unit.scenarios):
                continue
            top = unit.run.top
            workflow = self.x.workflows[top]
            inputs = _dispatch_inputs(workflow)
            mentions = self._mentions(top)
            picked = [
                n
                for n in inputs
                if self.know.version_inputs.match(n) and re.search(rf"inputs\.{re.escape(n)}\b", mentions)
            ]
            if picked or self.know.rollback_names.search(f"{top} {workflow['name']}"):
                tops[top] = picked
        return tops

    def _redeploys(self) -> list[Fact]:
        facts: list[Fact] = []
        for top, picked in self._rollback_tops().items():
            units = [u for u in self.units.values() if u.run.top == top]
            workflow = self.x.workflows[top]
            inputs = workflow["events"]["workflow_dispatch"].get("inputs", {})
            run = units[0].run
            parts: list[Part] = [
                "Redeploy an earlier version: run ",
                Code(_file(top)),
                " manually (",
                Code("workflow_dispatch"),
                ")",
            ]
            if picked:
                parts += [" with input ", *code_list(picked)]
            parts += ["; ", *self.where(run), " deploys it"]
            envs = [u for u in units if u.env]
            if envs:
                parts += [" to ", *self.env_label(envs)]
            lines = [(top, inputs[n]["line"]) for n in picked] or [
                (top, workflow["events"]["workflow_dispatch"]["line"])
            ]
            facts.append(
                Fact(
                    "deploy.rollback.perform",
                    text(*parts),
                    Confidence.INFERRED,
                    self.ev(*lines, (run.path, run.job["line"])),
                    item=f"redeploy:{top}",
                    order=(0, *run.order),
                    rank=40,
                    attrs=self.attrs(run, [s for u in units for s in u.scenarios], inputs=picked),
                )
            )
        return facts

    def _mentions(self, top: str) -> str:
        """Every string the jobs of one workflow run (callees included) hand to a command."""
        parts: list[str] = []
        for run in self.runs:
            if run.top != top:
                continue
            job = run.job
            parts += [*job["with"].values(), *job["env"].values()]
            for step in job["steps"]:
                parts += [step["run"] or "", *step["with"].values(), *step["env"].values()]
        return "\n".join(parts)

    def verifications(self) -> list[Fact]:
        facts: list[Fact] = []
        deploy_runs = {id(u.run): u.run for u in self.units.values()}
        rollback_runs = {
            id(r): r
            for r in self.runs
            if not r.ephemeral and any(f.kind == "rollback" and not f.automatic for f in r.finds)
        }
        for what, runs in (("deploy", deploy_runs), ("rollback", rollback_runs)):
            for run in runs.values():
                for step in run.steps:
                    for scenarios, finds in step.groups:
                        for group in _by_stem([f for f in finds if f.kind == "verify"]):
                            parts = [*self.checks(group), f" after the {what} in ", *self.where(run, caller=False)]
                            # After a rollback it verifies the rollback; after a deploy, that it
                            # would also verify a rollback (a redeploy of an older version) is our reading.
                            confidence = Confidence.DECLARED if what == "rollback" else Confidence.INFERRED
                            facts.append(self._verify_fact(run, step, scenarios, group, parts, confidence))
        deploying = {
            n for u in self.units.values() for n in (self.x.workflows[u.run.top]["name"], _file(u.run.top)) if n
        }
        for run in self.runs:
            after = [
                s
                for s in run.scenarios
                if s.trigger.event == "workflow_run" and set(s.trigger.subject.split(", ")) & deploying
            ]
            if not after:
                continue
            for step in run.steps:
                for found in step.finds:
                    if found.kind in ("verify", "test"):
                        parts = [*self.how(found), " in ", *self.where(run), ", ", *describe(_triggers(after)),
                                 *self.if_clause(run)]
                        facts.append(self._verify_fact(run, step, after, [found], parts, Confidence.INFERRED))
        return facts

    def _verify_fact(
        self, run: JobRun, step: StepRun, scenarios: list[Scenario], finds: list[Found], parts: list[Part],
        confidence: Confidence,
    ) -> Fact:
        command = finds[0].command if len(finds) == 1 else _verify_stem(finds[0].command)
        return Fact(
            "deploy.rollback.verify",
            text(*parts),
            confidence,
            self.ev(*(e for f in finds for e in f.evidence()), *self.if_places(run)),
            item=f"{run.path}:{run.job['id']}:{'.'.join(map(str, step.index))}:{command}",
            order=(0, *run.order, *step.index),
            rank=30,
            attrs=self.attrs(run, scenarios, tool=finds[0].tool),
        )

    def checks(self, finds: list[Found]) -> list[Part]:
        """What one step's checks run: the command, or, for checks of many objects with one command
        (`kubectl wait ... deployment/a`, `.../b`), the command once and the objects it checks."""
        if len(finds) == 1:
            return self.how(finds[0])
        return [Code(_short(_verify_stem(finds[0].command))), " on ",
                *code_list([f.command.split()[-1] for f in finds], limit=3)]

    # -- migrations and promotions ------------------------------------------------------------------

    def migrations(self) -> list[Fact]:
        facts: list[Fact] = []
        for run in self.runs:
            if run.ephemeral:
                continue
            for step in run.steps:
                for scenarios, finds in step.groups:
                    for found in finds:
                        if found.kind in ("migrate", "migrate-rollback"):
                            fact = self._migration(run, step, scenarios, found)
                            if fact:
                                facts.append(fact)
        return facts

    def _migration(self, run: JobRun, step: StepRun, scenarios: list[Scenario], found: Found) -> Fact | None:
        step_name: list[Part] = [" (step ", Code(step.step["name"]), ")"] if step.step["name"] else []
        gated: list[tuple[str, int]] = []  # the job's conditions, where the statement names its triggers
        if found.kind == "migrate-rollback":
            gated = self.if_places(run)
            parts: list[Part] = [
                *self.how(found),
                *step_name,
                " in ",
                *self.where(run),
                ": ",
                *describe(_triggers(scenarios)),
                *self.if_clause(run),
            ]
            field_id, where = "deploy.migration.rollback", "ci"
        elif self.deploys(run):
            deploy_at = min((s.index for s in run.steps if any(f.kind == "deploy" for f in s.finds)), default=())
            when = "before" if step.index < deploy_at else "after"
            parts = [
                f"CI step {when} deploy: ",
                *self.how(found),
                *step_name,
                f" runs {when} the deploy step in ",
                *self.where(run),
            ]
            field_id, where = "deploy.migration.strategy", f"ci {when} deploy"
        elif (run.has("test") or run.job["services"] or selects_test(run.job["env"], step.step["env"])
              or self.know.test_jobs.search(f"{run.job['id']} {run.job['name']}")):
            return None  # preparing a test database (lobsters' `RAILS_ENV: test` schema check)
        elif self.downstream_deploys(run):
            later = self.downstream_deploys(run)
            parts = [
                "CI step before deploy: ",
                *self.where(run),
                " runs ",
                *self.how(found),
                " before job ",
                *code_list(r.job["id"] for r in later),
            ]
            field_id, where = "deploy.migration.strategy", "ci before deploy"
        else:
            gated = self.if_places(run)
            parts = [
                "CI job: ",
                *self.where(run),
                " runs ",
                *self.how(found),
                " on ",
                *describe(_triggers(scenarios)),
                *self.if_clause(run),
                "; not ordered with a deploy job",
            ]
            field_id, where = "deploy.migration.strategy", "ci job"
        return Fact(
            field_id,
            text(*parts),
            Confidence.INFERRED if found.inferred else Confidence.DECLARED,
            self.ev(*found.evidence(), *gated),
            item=f"gha:{run.path}:{run.job['id']}:{found.command}",
            tech=found.tool or None,
            order=(0, *run.order, *step.index),
            rank=35,
            attrs=self.attrs(run, scenarios, where=where, tool=found.tool),
        )

    def promotions(self) -> list[Fact]:
        """`git push origin +main:production` in a job, where pushing `production` deploys."""
        facts: list[Fact] = []
        for run in self.runs:
            for step in run.steps:
                for scenarios, finds in step.groups:
                    for found in finds:
                        if found.kind == "promote":
                            facts.extend(self._promotion(run, scenarios, found))
        return facts

    def _promotion(self, run: JobRun, scenarios: list[Scenario], found: Found) -> list[Fact]:
        branch = found.detail["branch"]
        targets = [
            u
            for u in self.units.values()
            if any(
                s.trigger.phrase == "push to"
                and (s.trigger.subject == branch or _glob_match(s.trigger.subject, branch))
                for s in u.scenarios
            )
        ]
        if not targets:
            return []
        facts = []
        deploy_runs = list({id(u.run): u.run for u in targets}.values())
        for manual in (True, False):
            scns = [s for s in scenarios if s.trigger.manual == manual]
            if not scns:
                continue
            how: list[Part] = (
                [Code("workflow_dispatch"), " of ", Code(_file(run.top)), *self.if_clause(run)]
                if manual
                else [*capitalised(describe(_triggers(scns))), *self.if_clause(run), ":"]
            )
            parts = [
                *how,
                " pushes ",
                Code(found.detail["source"]),
                " to branch ",
                Code(branch),
                " (",
                *self.inner(run),
                "), which deploys through ",
                *code_list(_file(r.top) for r in deploy_runs),
            ]
            envs = [u for u in targets if u.env]
            if envs:
                parts += [" to ", *self.env_label(envs)]
            field_id = "ci.deploy.manual" if manual else "ci.deploy.automated"
            facts.append(
                Fact(
                    field_id,
                    text(*parts),
                    Confidence.INFERRED,
                    self.ev(*found.evidence(), *self.if_places(run),
                            *[(r.path, r.job["line"]) for r in deploy_runs][:1]),
                    item=f"promote:{run.path}:{run.job['id']}:{branch}",
                    order=(0, *run.order),
                    rank=25,
                    attrs=self.attrs(
                        run, scns, environment=[u.env for u in envs] or None, manual=manual, promotes=branch
                    ),
                )
            )
        return facts

    def alerts(self) -> list[Fact]:
        """Notify steps (`slackapi/slack-github-action`), read from the workflow files themselves.

        The job runs above follow the success path, and notify steps mostly run under `failure()`
        (langfuse's `notify-slack-on-failure` job), so they are looked for in every job and in the
        local composite actions those jobs use.
        """
        facts: list[Fact] = []
        for path, workflow in sorted(self.x.workflows.items()):
            for job in workflow.get("jobs", []):
                for step in job["steps"]:
                    for channel, through in self._notifies(step, ()):
                        where: list[Part] = [" (", *self._job_in(job, path)]
                        if through:
                            where += [", through local action ", *code_list(through, sep=" → ")]
                        conditions = [c for c in (job["if"], step["if"]) if c]
                        for index, condition in enumerate(conditions):
                            where += [" and " if index else ", if ", *shown_condition(condition)]
                        facts.append(alert_fact(self.d, path, step["uses_line"], channel, text(*where, ")")))
        return facts

    def _notifies(self, step: dict[str, Any], through: tuple[str, ...]) -> Iterator[tuple[str, tuple[str, ...]]]:
        """The channels a step posts to, directly or inside the composite action it runs."""
        uses = step["uses"]
        if uses.startswith("./"):
            target = _local_action(uses, self.x.actions)
            if target is None or target in through:
                return
            for inner in self.x.actions[target]["steps"]:
                yield from self._notifies(inner, (*through, target))
        elif uses and (spec := self.know.action(uses)) is not None and spec.alert:
            yield spec.alert, tuple(PurePosixPath(t).parent.name for t in through)

    @staticmethod
    def _job_in(job: dict[str, Any], path: str) -> list[Part]:
        return ["job ", Code(job["id"]), ", ", Code(_file(path))]


def _tags(found: Found) -> tuple[str, ...]:
    """Image names a `docker build -t` / `docker push` command names (from the classifier)."""
    return tuple(str(i) for i in found.detail.get("images", []))


def _step_kind(kind: str) -> str:
    """Build and push of one step are one deployment step."""
    return "image" if kind in ("build", "push") else kind


def _merge_kind(seen: str, kind: str) -> str:
    return "build+push" if {seen, kind} == {"build", "push"} or "build+push" in (seen, kind) else seen


def _repository(image: str) -> str:
    """`registry/app:${{ github.sha }}` -> `registry/app`: a tag known only at run time is left out."""
    return _RUNTIME_TAG.sub("", image.strip())


def _names(finds: Iterable[Found]) -> set[str]:
    """The image names (without tag or digest) steps build or push."""
    return {re.sub(r"(?::[^/:]*)?(?:@.*)?$", "", i) for i in _tags_of(finds)}


def _pushed_build(builds: list[tuple[tuple[Any, ...], set[str]]], pushed: set[str]) -> tuple[Any, ...] | None:
    """The build a push-only step pushes: the last that built one of the pushed names; when names cannot
    be compared (held in expressions), the job's last build. None for a push of an image no build of
    the job made (pulled and retagged: its own statement)."""
    known = {n for n in pushed if _literal(n)}
    keys = [key for key, names in builds if known & names]
    if keys:
        return keys[-1]
    if builds and (not known or not {n for n in builds[-1][1] if _literal(n)}):
        return builds[-1][0]
    return None


def _tags_of(finds: Iterable[Found]) -> list[str]:
    return list(dict.fromkeys(i for f in finds for i in (f.images or _tags(f))))


# ==== the detector ==================================================================================

_DEPLOYISH = re.compile(r"(?i)deploy|release|publish|rollout|promote")
_DEPLOYS = re.compile(r"(?i)deploy|rollout|promot")


class GitHubActionsDetector(Detector):
    name = "github-actions"
    version = "2"
    description = "GitHub Actions workflows, reusable workflows and local composite actions"
    patterns = (".github/workflows/*.{yml,yaml}", "action.{yml,yaml}")
    looks_for = {
        "ci.build": "build and push steps in GitHub workflows",
        "ci.test.unit": "test commands and actions in GitHub workflows",
        "ci.test.integration": "tests with database services or integration names in GitHub workflows",
        "ci.test.e2e": "Playwright/Cypress steps and throwaway-cluster jobs in GitHub workflows",
        "ci.deploy.manual": "workflow_dispatch and comment-triggered deploy jobs in GitHub workflows",
        "ci.deploy.automated": "push, tag, release, schedule and workflow_run deploy jobs in GitHub workflows",
        "env.url": "`environment.url` of GitHub workflow jobs",
        "env.purpose": "per-branch and per-pull-request environments of GitHub workflow jobs",
        "deploy.steps": "the steps of deploy jobs in GitHub workflows",
        "deploy.rollback.perform": "rollback commands and version inputs of GitHub workflows",
        "deploy.rollback.verify": "health checks after deploy steps in GitHub workflows",
        "deploy.migration.strategy": "migration steps in GitHub workflow jobs",
        "deploy.migration.rollback": "migration rollback steps in GitHub workflow jobs",
        "mon.performance": "load tests in GitHub workflows",
        "alert.channels": "notify steps (Slack, e-mail, Discord) in GitHub workflows",
    }

    def extract(self, file: SourceFile) -> Extraction:
        out = Extraction()
        doc, problems = load_lenient(file.text)
        lines = file.text.split("\n")
        for line, message in problems:
            severity = Severity.WARNING if message.startswith("duplicate key") else Severity.ERROR
            out.diagnostics.append(self.diagnostic(file.path, line, _problem(message, doc is not None), severity))
        if doc is None:
            return out
        tagged: list[Tagged] = []
        _tags_in(doc, tagged)
        for tag in tagged:
            out.diagnostics.append(
                self.diagnostic(
                    file.path,
                    tag.line,
                    f"unknown YAML tag {tag.tag}: GitHub rejects it; the value is ignored",
                    Severity.ERROR,
                )
            )
        if file.path.startswith(".github/workflows/"):
            notes: list[tuple[int | None, str]] = []
            data = read_workflow(doc, lines, notes)
            out.diagnostics += [self.diagnostic(file.path, line, message) for line, message in notes]
            if data is not None:
                out.records.append(Record(WORKFLOW, file.path, data["on_line"], data))
        else:
            action = read_action(doc, lines)
            if action is not None:
                out.records.append(Record(ACTION, file.path, 1, action))
        return out

    def resolve(self, ctx: ResolveContext) -> list[Fact]:
        if not ctx.records(WORKFLOW):
            return []
        expander = Expander(ctx, self.name)
        runs = expander.runs()
        builder = FactBuilder(self, expander, runs)
        facts = [
            *builder.builds(),
            *builder.tests(),
            *builder.deploy_triggers(),
            *builder.promotions(),
            *builder.environments(),
            *builder.deploy_steps(),
            *builder.rollbacks(),
            *builder.verifications(),
            *builder.migrations(),
            *builder.alerts(),
        ]
        self._unknown_deploy_actions(expander, runs, builder)
        return facts

    @staticmethod
    def _unknown_deploy_actions(expander: Expander, runs: list[JobRun], builder: FactBuilder) -> None:
        """A job named like a deploy whose actions infrascan does not know: say so, once."""
        for run in runs:
            named = _DEPLOYISH.search(f"{run.job['id']} {run.job['name']}")
            unknown = run.unresolved
            done = builder.deploys(run) or any(run.has(k) for k in ("build", "push", "promote", "test"))
            if named and unknown and not done:
                # only a job that says it deploys stands for a deploy in the gaps; a release or
                # publish job (release-please, a Linear sync) may make no deploy at all
                says_deploy = _DEPLOYS.search(f"{run.job['id']} {run.job['name']}") is not None
                expander.diagnose(
                    run.path,
                    run.job["line"],
                    f"job {run.job['id']!r} uses actions infrascan does not know "
                    f"({', '.join(unknown[:3])}); "
                    + (UNDESCRIBED_DEPLOY if says_deploy else "what it releases or deploys is not described"),
                    Severity.INFO,
                )


def _problem(message: str, recovered: bool) -> str:
    if message.startswith("duplicate key"):
        return message
    return f"invalid YAML: {message}" + ("; the rest of the file is read" if recovered else "")
