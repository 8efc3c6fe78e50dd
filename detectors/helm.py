"""Helm charts: dependencies, values per environment, and what the templates deploy.

A chart is found by its Chart.yaml. What it deploys depends on the values, and the values
depend on the environment, so everything environment-scoped is decided in phase 2, per
"deployment" of a chart: its values.yaml deep-merged (maps merge, lists replace, null deletes)
with the files an environment adds. Environments come from values file names (`values-prod.yaml`,
`values.prod.yaml`, `prod-values.yaml`, `values/prod.yaml`, also next to the chart folder),
helmfile environments and releases, Argo CD `helm.valueFiles`, Flux HelmRelease values, Skaffold
profiles and `helm upgrade -f` commands in scripts and Makefile targets. A chart nothing places
in an environment is read with its defaults, and its environment facts become hints that say so.

- A dependency is an in-cluster database only when its `condition` is true in that deployment's
  values; the chart version is never the database version (the major comes from the values'
  `image.tag`, else "app version unknown").
- `templates/` is not YAML. Each template is read tolerantly: template actions on lines of their
  own are blanked, inline ones become `__TPLn__` tokens, and each document is loaded as YAML when
  it can be (a regex scan otherwise). The `if`/`with` blocks around a document are its guards;
  they and the tokens are evaluated against each deployment's values by a small evaluator of the
  Go template expressions charts use (`and`, `or`, `not`, `eq`, `default`, `printf`, `include`...).
  What it cannot evaluate stays unknown, never guessed: an unknown guard makes a fact inferred.
- The Kubernetes detector's summaries and fact builders turn the resolved documents into facts,
  so a chart's Job, Ingress or PrometheusRule reads the same as a plain manifest's.
"""

from __future__ import annotations

import functools
import re
import shlex
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import Any

from infrascan import redact
from infrascan.catalog import DATA_STORE_CATEGORIES, Tech
from infrascan.catalog import load_catalog as detector_catalog
from infrascan.detector import Detector, Extraction, Piece, Record, ResolveContext, SourceFile
from infrascan.environments import env_from_name
from infrascan.envvars import LOG_LEVEL_KEYS, Variable, is_placeholder_host
from infrascan.fields import FIELD_BY_ID
from infrascan.fields import Scope as FieldScope
from infrascan.images import parse_image
from infrascan.model import Code, Confidence, Evidence, Fact, Part, Severity, text
from infrascan.source import folder_of, repo_path
from infrascan.yamlload import YamlResult, YDict, line_of, load_yaml

from .kubernetes import (
    IN_CLUSTER_RANK,
    MAX_ALERTS,
    NameSet,
    Site,
    describes_environment,
    environment_facts,
    fact,
    in_chart,
    key_lines,
    object_facts,
    once,
    plain,
    read_variables,
    rules_counted,
    short,
    split_documents,
    summarise,
)

_ACTION = re.compile(r"\{\{(-?)(.*?)(-?)\}\}", re.S)
_TOKEN = re.compile(r"__TPL(\d+)__")
_TERRAFORM_DIRECTIVE = re.compile(r"^\s*%\{", re.M)  # `%{ if x }` lines of a Terraform templatefile
_INCLUDE = re.compile(r"\b(?:include|template)\s+\"([^\"]+)\"")
_SENTINEL = re.compile(r"\x00(\d+)\x01")
_KIND = re.compile(r"^kind:\s*[\"']?([A-Za-z]+)", re.M)
_HELM_HOOK_LINE = re.compile(r"[\"']?helm\.sh/hook[\"']?\s*:\s*[\"']?([a-z,\- ]+)")
_ARGO_HOOK_LINE = re.compile(r"[\"']?argocd\.argoproj\.io/hook[\"']?\s*:\s*[\"']?(\w+)")
_ALERT_LINE = re.compile(r"^\s*-?\s*alert:\s*[\"']?([A-Za-z0-9_:]+)")
_SEVERITY_LINE = re.compile(r"^\s*severity:\s*[\"']?([A-Za-z0-9_]+)")
_NAME_LINE = re.compile(r"^\s{2}name:\s*[\"']?([A-Za-z0-9_.\-]+)[\"']?\s*$")
_VALUES_FILE = re.compile(r"(?:^|[-_.])values(?:[-_.]|$)", re.I)
_PRINTF_VERB = re.compile(r"%[sdv]")
_VALUES_PATH = re.compile(r"\$?\.Values(?:\.[A-Za-z_][\w-]*)+")
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ENVIRONMENT_NAME = re.compile(r"\{\{\s*\.Environment\.Name\s*\}\}")  # helmfile's `{{ .Environment.Name }}`
_VENDORED_CHART = re.compile(r"([a-z0-9][\w.-]*?)-(v?\d[\w.+-]*)\.tgz")  # `charts/postgresql-12.1.0.tgz`
_DATABASE_URL_KEYS = re.compile(
    r"(?i)(?:^|_)(?:DATABASE|DB|POSTGRES(?:QL)?|MYSQL|MONGO(?:DB)?|REDIS)_?(?:URL|URI|DSN)$"
)
_ENV_KEYS = ("env", "extraEnv", "extraEnvVars", "envVars", "environment", "extraEnvs")
_SPECIAL_KEYS = ("replicaCount", "replicas", "autoscaling", "resources", "podDisruptionBudget", "pdb")
_MONITORING_SWITCHES = (
    ("serviceMonitor", "ServiceMonitor"),
    ("podMonitor", "PodMonitor"),
    ("prometheusRule", "PrometheusRule"),
)
_SWITCH_KEYS = tuple(k for k, _ in _MONITORING_SWITCHES)
_SWITCH_KINDS = dict(_MONITORING_SWITCHES)
_TEMPLATE_KIND = {
    "autoscaling": "HorizontalPodAutoscaler",
    "podDisruptionBudget": "PodDisruptionBudget",
    "pdb": "PodDisruptionBudget",
}
_HELM_CREATE_HOSTS = frozenset({"chart-example.local"})
_MAX_NESTING = 3


# -- templates: blanking, tokens and guards ---------------------------------------------------


@dataclass(frozen=True)
class Block:
    """An open `if`/`with`/`range`/`define` around a line; `conds` are the conditions of its branches so far."""

    kind: str
    conds: tuple[str, ...]
    branch: int
    otherwise: bool  # the current branch is a plain `else`
    line: int


@dataclass
class Blanked:
    text: str
    tokens: list[list[Any]]  # [expression, line, enclosing with/range blocks]
    stacks: list[tuple[Block, ...]]  # the open blocks at the start of each line (0-based)
    defines: dict[str, str]
    includes: list[list[Any]]  # [define name, guards] where a define is included outside any define


_KEYWORDS = tuple(
    (word, (word + " ", word + "("))
    for word in ("else if", "else with", "if", "with", "range", "define", "block", "end", "else")
)


@functools.lru_cache(maxsize=4096)
def _keyword(inner: str) -> tuple[str, str]:
    """(keyword, what follows it) of an action's text; charts repeat their actions (`- end`, `- else`)."""
    inner = inner.strip()
    for word, followed in _KEYWORDS:
        if inner == word or inner.startswith(followed):
            return word, inner[len(word) :].strip()
    return "", inner


def blank_template(source: str) -> Blanked:
    """Template actions out, line numbers kept: directive lines blanked, inline actions tokenised."""
    actions: list[str] = []
    marked = _ACTION.sub(lambda m: _mark(actions, m.group(2), m.group(0).count("\n")), source)
    stack: list[Block] = []
    lines_out: list[str] = []
    stacks: list[tuple[Block, ...]] = []
    tokens: list[list[Any]] = []
    defines: dict[str, str] = {}
    includes: list[list[Any]] = []
    define_start: dict[int, tuple[str, int]] = {}
    offsets: list[int] = []  # where each line starts, computed at the first `define`
    current: tuple[Block, ...] = ()  # the open blocks as a tuple, rebuilt only when they change
    for index, line in enumerate(marked.split("\n")):
        stacks.append(current)
        if "\x00" not in line:  # no template action on this line: kept as it is
            lines_out.append(line)
            continue
        found = [int(n) for n in _SENTINEL.findall(line)]
        directive_only = bool(found) and not _SENTINEL.sub("", line).strip()
        for n in found:
            word, rest = _keyword(actions[n])
            included = _INCLUDE.search(actions[n])
            if included and not any(b.kind == "define" for b in stack):
                includes.append([included.group(1), guards_of(tuple(stack))])
            if word in ("if", "with", "range"):
                stack.append(Block(word, (rest,), 0, False, index + 1))
            elif word in ("else if", "else with") and stack:
                top = stack.pop()
                stack.append(replace(top, conds=(*top.conds, rest), branch=top.branch + 1, otherwise=False))
            elif word == "else" and stack:
                top = stack.pop()
                stack.append(replace(top, branch=top.branch + 1, otherwise=True))
            elif word in ("define", "block"):
                name = rest.split('"')[1] if rest.count('"') >= 2 else rest
                stack.append(Block("define", (name,), 0, False, index + 1))
                offsets = offsets or _line_offsets(source)
                define_start[len(stack)] = (name, offsets[index + 1] if index + 1 < len(offsets) else len(source))
            elif word == "end" and stack:
                if stack[-1].kind == "define" and len(stack) in define_start:
                    name, start = define_start.pop(len(stack))
                    defines[name] = source[start : offsets[index]]
                stack.pop()
        current = tuple(stack)
        if directive_only:
            lines_out.append("")
            continue
        context = [[b.kind, b.conds[0]] for b in stack if b.kind in ("with", "range")]

        def token(match: re.Match[str], line_no: int = index + 1, ctx: list[list[str]] = context) -> str:
            tokens.append([actions[int(match.group(1))].strip(), line_no, ctx])
            return f"__TPL{len(tokens) - 1}__"

        lines_out.append(_SENTINEL.sub(token, line))
    return Blanked("\n".join(lines_out), tokens, stacks, defines, includes)


def guards_of(stack: tuple[Block, ...]) -> list[list[Any]]:
    """Open blocks as record data: [kind, conditions, branch, plain else]."""
    return [[b.kind, list(b.conds), b.branch, b.otherwise] for b in stack]


def _mark(actions: list[str], inner: str, newlines: int) -> str:
    actions.append(inner)
    return f"\x00{len(actions) - 1}\x01" + "\n" * newlines


def _line_offsets(source: str) -> list[int]:
    offsets = [0]
    position = source.find("\n")
    while position != -1:
        offsets.append(position + 1)
        position = source.find("\n", position + 1)
    return offsets


# -- Go template expressions ------------------------------------------------------------------


class _Unknown:
    """A value infrascan cannot know without a cluster or a renderer (`.Capabilities`, `lookup`)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()
_EXPR_TOKEN = re.compile(
    r"\s*(?:(?P<str>\"(?:[^\"\\]|\\.)*\"|`[^`]*`)|(?P<num>-?\d+(?:\.\d+)?)"
    r"|(?P<field>\$?[A-Za-z_0-9]*(?:\.[A-Za-z_][A-Za-z_0-9]*)+|\$[A-Za-z_0-9]*|\.)"
    r"|(?P<punct>[()|,])|(?P<assign>:?=)|(?P<word>[A-Za-z_][A-Za-z_0-9]*))"
)


def truthy(value: Any) -> Any:
    """Go template truth: false, 0, nil and empty things are false; unknown stays unknown."""
    if value is UNKNOWN:
        return UNKNOWN
    return bool(value) if not isinstance(value, (int, float)) or isinstance(value, bool) else value != 0


@dataclass
class Scope:
    """What a template expression sees: the root (`$`), the dot, and where the dot sits in the values."""

    root: dict[str, Any]
    dot: Any
    dot_path: str | None  # the dot's path in .Values, when it is a part of the values
    defines: dict[str, str]
    used: list[str] = field(default_factory=list)  # values paths looked up, to cite them
    depth: int = 0
    variables: dict[str, Any] = field(default_factory=dict)


def _lookup(scope: Scope, name: str) -> Any:
    if name == ".":
        return scope.dot
    if name == "$":
        return scope.root
    base, path_prefix = scope.dot, scope.dot_path
    chain = name.split(".")
    head = chain[0]
    if head == "$":
        base, path_prefix = scope.root, None
    elif head.startswith("$"):
        base, path_prefix = scope.variables.get(head, UNKNOWN), None
    chain = chain[1:]
    if base is scope.root and chain[:1] == ["Values"]:
        base, path_prefix, chain = scope.root["Values"], "", chain[1:]
    value = base
    walked: list[str] = []
    for key in chain:
        if value is UNKNOWN:
            return UNKNOWN
        if value is None:
            break
        if not isinstance(value, dict):
            return UNKNOWN
        value = value.get(key)
        walked.append(key)
    if path_prefix is not None and walked:
        scope.used.append(".".join(p for p in (path_prefix, *walked) if p))
    return value


def _tokenize(expr: str) -> list[tuple[str, str, bool]]:
    out: list[tuple[str, str, bool]] = []
    pos = 0
    while pos < len(expr):
        match = _EXPR_TOKEN.match(expr, pos)
        if not match or match.end() == pos:
            if expr[pos:].strip():
                raise ValueError(f"cannot read {expr[pos:]!r}")
            break
        kind = match.lastgroup or ""
        spaced = match.start(kind) > pos or pos == 0
        out.append((kind, match.group(kind), spaced))
        pos = match.end()
    return out


class _Parser:
    """A pipeline (`cmd | cmd`) of commands (`fn arg arg`) of operands, as nested tuples."""

    def __init__(self, tokens: list[tuple[str, str, bool]]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> tuple[str, str, bool] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def pipeline(self) -> tuple[Any, ...]:
        commands = [self.command()]
        while (tok := self.peek()) and tok[1] == "|":
            self.pos += 1
            commands.append(self.command())
        return ("pipe", tuple(commands))

    def command(self) -> tuple[Any, ...]:
        operands: list[Any] = []
        while (tok := self.peek()) and tok[1] not in ("|", ")", ","):
            operands.append(self.operand())
        return tuple(operands)

    def operand(self) -> tuple[Any, ...]:
        kind, value, _ = self.tokens[self.pos]
        self.pos += 1
        term: tuple[Any, ...]
        if value == "(":
            term = self.pipeline()
            if (tok := self.peek()) and tok[1] == ")":
                self.pos += 1
        elif kind == "str":
            term = ("lit", value[1:-1].encode().decode("unicode_escape") if value[0] == '"' else value[1:-1])
        elif kind == "num":
            term = ("lit", float(value) if "." in value else int(value))
        elif kind == "field":
            term = ("field", value)
        elif kind == "word":
            term = {"true": ("lit", True), "false": ("lit", False), "nil": ("lit", None)}.get(value, ("fn", value))
        else:
            term = ("lit", UNKNOWN)
        while (tok := self.peek()) and tok[0] == "field" and tok[1].startswith(".") and not tok[2] and tok[1] != ".":
            self.pos += 1
            term = ("chain", term, tuple(tok[1][1:].split(".")))
        return term


def evaluate(expr: str, scope: Scope) -> Any:
    """The value of a Go template pipeline, UNKNOWN where it depends on what infrascan cannot see."""
    variable, pipeline = _parsed(expr)
    if pipeline is None:
        return UNKNOWN
    value = _eval(pipeline, scope)
    if variable is not None:  # `$name := pipeline`
        scope.variables[variable] = value
        return ""
    return value


@functools.lru_cache(maxsize=4096)
def _parsed(expr: str) -> tuple[str | None, tuple[Any, ...] | None]:
    """(variable it assigns, pipeline) of an expression; parsed once per text, as charts repeat theirs.

    The pipeline is immutable (nested tuples), so every evaluation can share it.
    """
    try:
        tokens = _tokenize(expr)
    except ValueError:
        return None, None
    if len(tokens) >= 2 and tokens[0][0] == "field" and tokens[0][1].startswith("$") and tokens[1][0] == "assign":
        return tokens[0][1], _Parser(tokens[2:]).pipeline()
    if not tokens:
        return None, None
    return None, _Parser(tokens).pipeline()


def _eval(node: tuple[Any, ...], scope: Scope, piped: tuple[Any, ...] = ()) -> Any:
    kind = node[0]
    if kind == "pipe":
        value: tuple[Any, ...] = ()
        for command in node[1]:
            value = (_command(command, scope, value),)
        return value[0] if value else UNKNOWN
    if kind == "lit":
        return node[1]
    if kind == "field":
        return _lookup(scope, node[1])
    if kind == "chain":
        before = len(scope.used)
        base = _eval(node[1], scope)
        if len(scope.used) > before:  # `(.Values.serviceMonitor).enabled` reads serviceMonitor.enabled
            scope.used.append(".".join([scope.used[-1], *node[2]]))
        for key in node[2]:
            base = (
                UNKNOWN
                if base is UNKNOWN or (base is not None and not isinstance(base, dict))
                else (base.get(key) if isinstance(base, dict) else None)
            )
        return base
    if kind == "fn":
        return _call(node[1], [], scope)
    return UNKNOWN


def _command(operands: tuple[Any, ...], scope: Scope, piped: tuple[Any, ...]) -> Any:
    if not operands:
        return piped[0] if piped else UNKNOWN
    head = operands[0]
    if head[0] == "fn":
        args = [_eval(o, scope) for o in operands[1:]] + list(piped)
        return _call(head[1], args, scope)
    if head[0] == "field" and ".Capabilities." in f".{head[1].lstrip('$')}" and len(operands) > 1:
        return True  # `.Capabilities.APIVersions.Has "monitoring.coreos.com/v1"`: the cluster is assumed to have it
    if len(operands) > 1 or piped:
        return UNKNOWN  # another method call
    return _eval(head, scope)


def _call(name: str, args: list[Any], scope: Scope) -> Any:
    handler = _FUNCTIONS.get(name)
    if handler is None:
        return UNKNOWN
    try:
        return handler(args, scope)
    except (TypeError, ValueError, IndexError, KeyError):
        return UNKNOWN


def _and(args: list[Any], _scope: Scope) -> Any:
    unknown = False
    for arg in args:
        t = truthy(arg)
        if t is UNKNOWN:
            unknown = True
        elif not t:
            return arg
    return UNKNOWN if unknown else (args[-1] if args else UNKNOWN)


def _or(args: list[Any], _scope: Scope) -> Any:
    unknown = False
    for arg in args:
        t = truthy(arg)
        if t is UNKNOWN:
            unknown = True
        elif t:
            return arg
    return UNKNOWN if unknown else (args[-1] if args else UNKNOWN)


def _not(args: list[Any], _scope: Scope) -> Any:
    t = truthy(args[0])
    return UNKNOWN if t is UNKNOWN else not t


def _eq(args: list[Any], _scope: Scope) -> Any:
    if any(a is UNKNOWN for a in args):
        return UNKNOWN
    return any(args[0] == other for other in args[1:])


def _ne(args: list[Any], scope: Scope) -> Any:
    same = _eq(args, scope)
    return UNKNOWN if same is UNKNOWN else not same


def _default(args: list[Any], _scope: Scope) -> Any:
    fallback, value = args[0], (args[1] if len(args) > 1 else None)
    t = truthy(value)
    return UNKNOWN if t is UNKNOWN else (value if t else fallback)


def _dig(args: list[Any], _scope: Scope) -> Any:
    """Sprig's `dig "a" "b" DEFAULT MAP`: MAP.a.b, or DEFAULT when a key is missing (kube-prometheus-stack
    gives each alert rule's severity as `dig "AlertmanagerFailedReload" "severity" "critical"
    .Values.customRules`: critical unless the values say otherwise)."""
    if len(args) < 3 or any(a is UNKNOWN for a in args):
        return UNKNOWN
    *keys, fallback, node = args
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            return fallback
        node = node[key]
    return node


def _printf(args: list[Any], _scope: Scope) -> Any:
    if any(a is UNKNOWN for a in args):
        return UNKNOWN
    fmt = str(args[0])
    return _PRINTF_VERB.sub("{}", fmt).format(*("" if a is None else a for a in args[1:]))


def _include(args: list[Any], scope: Scope) -> Any:
    name = args[0]
    if not isinstance(name, str) or name not in scope.defines or scope.depth > 8:
        return UNKNOWN
    inner = Scope(scope.root, args[1] if len(args) > 1 else None, None, scope.defines, scope.used, scope.depth + 1)
    if len(args) > 1 and args[1] is scope.root:
        inner.dot = scope.root
    return render(scope.defines[name], inner)


def _string_fn(transform: Callable[..., str]) -> Callable[[list[Any], Scope], Any]:
    def apply(args: list[Any], _scope: Scope) -> Any:
        if any(a is UNKNOWN for a in args):
            return UNKNOWN
        return transform(*["" if a is None else (str(a).lower() if isinstance(a, bool) else str(a)) for a in args])

    return apply


_FUNCTIONS: dict[str, Callable[[list[Any], Scope], Any]] = {
    "and": _and,
    "or": _or,
    "not": _not,
    "eq": _eq,
    "ne": _ne,
    "default": _default,
    "dig": _dig,
    "empty": lambda args, s: _not([args[0] if args else None], s),
    "required": lambda args, _s: args[-1],
    "hasKey": lambda args, _s: UNKNOWN if args[0] is UNKNOWN else (isinstance(args[0], dict) and args[1] in args[0]),
    "coalesce": lambda args, _s: next((a for a in args if truthy(a) is UNKNOWN or truthy(a)), None),
    "ternary": lambda args, _s: UNKNOWN if truthy(args[2]) is UNKNOWN else (args[0] if truthy(args[2]) else args[1]),
    "printf": _printf,
    "print": _string_fn(lambda *a: "".join(a)),
    "quote": _string_fn(lambda *a: '"' + " ".join(a) + '"'),
    "squote": _string_fn(lambda *a: "'" + " ".join(a) + "'"),
    "toString": _string_fn(lambda a: a),
    "lower": _string_fn(lambda a: a.lower()),
    "upper": _string_fn(lambda a: a.upper()),
    "trim": _string_fn(lambda a: a.strip()),
    "trimSuffix": _string_fn(lambda suffix, a: a[: -len(suffix)] if suffix and a.endswith(suffix) else a),
    "trimPrefix": _string_fn(lambda prefix, a: a[len(prefix) :] if a.startswith(prefix) else a),
    "trunc": lambda args, _s: UNKNOWN if args[1] is UNKNOWN else str(args[1])[: int(args[0])],
    "include": _include,
    "semverCompare": lambda _args, _s: True,  # Kubernetes version checks pick an apiVersion; both branches deploy
    "template": _include,
}


@dataclass(frozen=True)
class _Action:
    """One `{{ }}` of a helper's body, as `render` reads it."""

    start: int
    end: int
    trim_before: bool  # `{{-`
    inner: str
    trim_after: bool  # `-}}`
    word: str  # `_keyword` of the inner text
    rest: str
    comment: bool  # `{{/* ... */}}`


@functools.lru_cache(maxsize=1024)
def _actions(body: str) -> tuple[_Action, ...]:
    """The actions of a helper's body. Every include of a helper renders its body again (per
    template, environment and nesting level), so the scan for its actions is done once per text."""
    return tuple(
        _Action(
            m.start(),
            m.end(),
            m.group(1) == "-",
            m.group(2),
            m.group(3) == "-",
            *_keyword(m.group(2)),
            m.group(2).strip().startswith("/*"),
        )
        for m in _ACTION.finditer(body)
    )


def render(body: str, scope: Scope) -> Any:
    """A small renderer for helper templates (`define`): text, actions, if/else/with; else UNKNOWN."""
    out: list[str] = []
    active: list[bool] = []  # per open block: is the current branch being rendered
    taken: list[bool] = []  # per open block: has an earlier branch been rendered
    pos = 0
    for action in _actions(body):
        chunk = body[pos : action.start]
        if action.trim_before:
            chunk = chunk.rstrip()
        if out and out[-1] == "\x02":  # the previous action trimmed what follows it
            out.pop()
            chunk = chunk.lstrip()
        if all(active):
            out.append(chunk)
        pos = action.end
        word, rest = action.word, action.rest
        live = all(active)
        if word in ("if", "with"):
            value = truthy(evaluate(rest, scope)) if live else False
            if value is UNKNOWN:
                return UNKNOWN
            active.append(bool(value))
            taken.append(bool(value))
        elif word in ("else if", "else"):
            if not active:
                return UNKNOWN
            if taken[-1]:
                active[-1] = False
            else:
                value = True if word == "else" else (truthy(evaluate(rest, scope)) if all(active[:-1]) else False)
                if value is UNKNOWN:
                    return UNKNOWN
                active[-1] = taken[-1] = bool(value)
        elif word == "end":
            if not active:
                return UNKNOWN
            active.pop()
            taken.pop()
        elif word in ("range", "define", "block", "else with"):
            return UNKNOWN
        elif live and not action.comment:
            value = evaluate(action.inner, scope)
            if value is UNKNOWN:
                return UNKNOWN
            out.append("" if value is None else (str(value).lower() if isinstance(value, bool) else str(value)))
        if action.trim_after:
            out.append("\x02")
    tail = body[pos:]
    if out and out[-1] == "\x02":
        out.pop()
        tail = tail.lstrip()
    out.append(tail)
    return "".join(out).strip()


def guard_state(blocks: list[list[Any]], scope: Scope) -> Any:
    """Whether the blocks around a document let it render: True, False or UNKNOWN.

    Each block is [kind, conds, branch, otherwise]: the conditions of the branches so far, the
    current branch and whether it is a plain `else`. `with` moves the dot for the blocks inside.
    """
    state: Any = True
    for kind, conds, branch, otherwise in blocks:
        if kind == "define":
            continue
        results: list[Any] = []
        for cond in conds[: branch if not otherwise else len(conds)]:
            value = truthy(evaluate(cond, scope))
            results.append(UNKNOWN if value is UNKNOWN else not value)
        if not otherwise and branch < len(conds):
            before = len(scope.used)
            raw = evaluate(conds[branch], scope)
            own = truthy(raw)
            if kind == "with" and own is True:
                single = _VALUES_PATH.fullmatch(conds[branch].strip())
                scope.dot, scope.dot_path = raw, (scope.used[-1] if single and len(scope.used) > before else None)
            elif kind == "range":
                own = False if own is False else UNKNOWN
                scope.dot, scope.dot_path = UNKNOWN, None
            results.append(own)
        if any(r is False for r in results):
            return False
        if any(r is UNKNOWN for r in results):
            state = UNKNOWN
    return state


# -- values -----------------------------------------------------------------------------------


@dataclass
class Layer:
    """One values source of a deployment: a file, or inline values (helmfile, Argo CD, Flux)."""

    path: str
    data: dict[str, Any]
    lines: dict[str, int]
    prefix: str = ""  # inline values sit under a key of their file (`spec.values`)


@dataclass
class Values:
    """Effective values with the file and line each key came from.

    Values are never changed once merged: a merge copies only the maps it changes and shares the
    rest, so every deployment of a chart can share its values.yaml without copying it.
    """

    data: dict[str, Any] = field(default_factory=dict)
    origin: dict[str, tuple[str, int]] = field(default_factory=dict)
    # dotted prefix -> the origin keys below it (`a` -> `a.b`, `a.b.0`): forgetting a key is then
    # proportional to what it removes, not to the size of the values
    below: dict[str, dict[str, None]] = field(default_factory=dict, repr=False, compare=False)

    def merged(self, layer: Layer, lines_below: Mapping[str, list[tuple[str, int]]] | None = None) -> Values:
        """These values with `layer` over them (maps merge, anything else replaces, null deletes).

        `lines_below` is `layer.lines` grouped by dotted prefix (`below_lines`), when the caller has it.
        """
        out = Values(self.data, dict(self.origin), {prefix: dict(keys) for prefix, keys in self.below.items()})
        grouped = lines_below if lines_below is not None else below_lines(layer.lines)
        out.data = out._merge(self.data, layer.data, "", layer, grouped)
        return out

    def _merge(
        self,
        base: dict[str, Any],
        over: dict[str, Any],
        prefix: str,
        layer: Layer,
        lines_below: Mapping[str, list[tuple[str, int]]],
    ) -> dict[str, Any]:
        merged = dict(base)
        for key, value in over.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            line = layer.lines.get(path, 0)
            if value is None:
                merged.pop(key, None)
                self._forget(path)
            elif isinstance(value, dict) and isinstance(merged.get(key), dict):
                self._note(path, (layer.path, line))
                merged[key] = self._merge(merged[key], value, path, layer, lines_below)
            else:
                self._forget(path)
                merged[key] = value  # shared with the layer: nothing changes merged values in place
                self._note(path, (layer.path, line))
                for sub, sub_line in lines_below.get(path, ()):
                    self._note(sub, (layer.path, sub_line))
        return merged

    def _note(self, path: str, where: tuple[str, int]) -> None:
        if path not in self.origin and "." in path:
            for prefix in _dot_prefixes(path):
                keys = self.below.get(prefix)
                if keys is None:
                    keys = self.below[prefix] = {}
                keys[path] = None
        self.origin[path] = where

    def _forget(self, path: str) -> None:
        """Drops `path` and every key below it (`path.` followed by anything)."""
        doomed = ([path] if path in self.origin else []) + list(self.below.get(path, ()))
        for key in doomed:
            del self.origin[key]
            for prefix in _dot_prefixes(key):
                keys = self.below[prefix]
                del keys[key]
                if not keys:
                    del self.below[prefix]

    def get(self, path: str) -> Any:
        node: Any = self.data
        for part in path.split("."):
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return None
        return node

    def has(self, path: str) -> bool:
        node: Any = self.data
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return True

    def where(self, path: str) -> tuple[str, int] | None:
        return self.origin.get(path)


@functools.lru_cache(maxsize=8192)
def _dot_prefixes(key: str) -> tuple[str, ...]:
    """`a.b.c` -> `a`, `a.b`: the strings `p` for which `key.startswith(p + ".")`.

    Charts and their environments repeat the same key paths, so each is split once.
    """
    prefixes: list[str] = []
    dot = key.find(".")
    while dot != -1:
        prefixes.append(key[:dot])
        dot = key.find(".", dot + 1)
    return tuple(prefixes)


def below_lines(lines: Mapping[str, int]) -> dict[str, list[tuple[str, int]]]:
    """A layer's key lines grouped under each dotted prefix, in file order (`a` -> `a.b`, `a.b.0`...)."""
    grouped: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for key, line in lines.items():
        if "." in key:
            for prefix in _dot_prefixes(key):
                grouped[prefix].append((key, line))
    return grouped


class Merger:
    """Merged values per chain of layers, each chain merged once per scan.

    A chart's environments share its values.yaml, so `values.yaml` alone is merged once and each
    environment adds only its own file; a chain is keyed by the identity of its layers (which it
    keeps alive, so an identity is never reused while the merger lives).
    """

    def __init__(self) -> None:
        self._chains: dict[tuple[int, ...], tuple[Values, tuple[Layer, ...]]] = {}
        self._lines: dict[int, tuple[dict[str, list[tuple[str, int]]], Layer]] = {}

    def values(self, layers: Sequence[Layer]) -> Values:
        key = tuple(map(id, layers))
        if key not in self._chains:
            if not layers:
                result = Values()
            else:
                last = layers[-1]
                if id(last) not in self._lines:
                    self._lines[id(last)] = (below_lines(last.lines), last)
                result = self.values(layers[:-1]).merged(last, self._lines[id(last)][0])
            self._chains[key] = (result, tuple(layers))
        return self._chains[key][0]


@dataclass
class Deployment:
    """A chart installed in one environment (or with its defaults, env None) with its value layers."""

    env: str | None
    layers: list[Layer]
    via: tuple[Part, ...]  # how infrascan knows: (" (values ", Code("values-prod.yaml"), ")")
    evidence: tuple[Evidence, ...] = ()
    values: Values = field(default_factory=Values)


@dataclass
class Chart:
    directory: str
    record: Record
    values: Layer | None = None
    deployments: list[Deployment] = field(default_factory=list)
    parent: str | None = None

    @property
    def name(self) -> str:
        return str(self.record.data.get("name") or PurePosixPath(self.directory).name)


def _values_env(path: str, chart_dir: str) -> tuple[bool, str | None]:
    """(is an overlay, its environment) for a values file of a chart."""
    folder = folder_of(path)
    stem = _base(path).rsplit(".", 1)[0]
    if folder == chart_dir and stem == "values":
        return False, None
    env = env_from_name(_VALUES_FILE.sub("-", stem)) if stem != "values" else None
    if env is None:
        relative = folder[len(chart_dir) :].strip("/") if chart_dir else folder
        for part in reversed(PurePosixPath(relative).parts if relative else ()):
            env = env_from_name(part)
            if env:
                break
    return True, env


class HelmDetector(Detector):
    name = "helm"
    version = "6"
    description = "Helm charts: dependencies, values per environment, templates, helmfile"
    patterns = (
        "Chart.yaml",
        "requirements.yaml",
        "Chart.lock",
        "*values*.{yaml,yml}",
        "**/{values,overrides,environments,envs,env}/**/*.{yaml,yml}",
        "**/{values,overrides,environments,envs,env}/*.{yaml,yml}",
        "**/templates/**/*.{yaml,yml,tpl}",
        "**/templates/*.{yaml,yml,tpl}",
        "helmfile*.{yaml,yml}",
        "**/helmfile.d/*.{yaml,yml}",
    )
    looks_for = {
        "env.url": "Helm values ingress hosts per environment",
        "env.database": "Helm chart dependencies and their conditions per environment",
        "env.special": "Helm values (replicas, autoscaling, resources, PDB) per environment",
        "mon.infrastructure": "ServiceMonitor/PrometheusRule switches and templates in Helm charts",
        "alert.critical": "PrometheusRule templates in Helm charts",
        "alert.warning": "PrometheusRule templates in Helm charts",
        "deploy.migration.strategy": "Helm hook Jobs and migrating containers in chart templates",
        "deploy.rollback.verify": "probes and `helm test` hooks in Helm charts",
        "ci.deploy.automated": "Argo CD Applications generated by Helm charts (app of apps)",
        "log.levels": "LOG_LEVEL-style variables in Helm values per environment",
    }

    def counted(self, paths: Sequence[str]) -> int:
        """The files read, less `templates/` files outside any chart: Gatekeeper's policy templates
        or a docs site's are not Helm, and "looked in 81 Helm files" would say they were."""
        charts = {folder_of(p) for p in paths if _base(p) == "Chart.yaml"}
        return sum(1 for p in paths if "templates" not in p.split("/")[:-1] or in_chart(p, charts, ("templates",)))

    # -- phase 1 --

    def extract(self, file: SourceFile) -> Extraction:
        out = Extraction()
        parts = file.path.split("/")
        if "templates" in parts[:-1]:
            self._template(file, out)
        elif parts[-1] in ("Chart.yaml", "requirements.yaml", "Chart.lock"):
            self._chart_file(file, out)
        elif parts[-1].startswith("helmfile") or parts[-2:-1] == ["helmfile.d"]:
            self._helmfile(file, out)
        else:
            self._values(file, out)
        return out

    def _load_one(self, file: SourceFile, out: Extraction, what: str, loaded: YamlResult | None = None) -> Any:
        """The first document of a file (`loaded`, when the caller has already loaded it), with diagnostics."""
        if loaded is None:
            loaded = load_yaml(file.text)
        if loaded.error:
            out.diagnostics.append(
                self.diagnostic(file.path, loaded.error.line, f"invalid YAML in {what}: {loaded.error}")
            )
        for key, line in loaded.warnings:
            out.diagnostics.append(self.diagnostic(file.path, line, f"duplicate key {key!r}; the last one wins"))
        return loaded.documents[0] if loaded.documents else None

    def _chart_file(self, file: SourceFile, out: Extraction) -> None:
        name = _base(file.path)
        doc = self._load_one(file, out, name)
        if not isinstance(doc, YDict):
            return
        dependencies = []
        deps = doc.get("dependencies")
        for index, dep in enumerate(deps if isinstance(deps, list) else []):
            if isinstance(dep, YDict) and dep.get("name"):
                dependencies.append(
                    {
                        "name": str(dep.get("name")),
                        "alias": str(dep["alias"]) if dep.get("alias") else None,
                        "version": str(dep["version"]) if dep.get("version") is not None else None,
                        "repository": str(dep.get("repository") or ""),
                        "condition": str(dep["condition"]) if dep.get("condition") else None,
                        "tags": [str(t) for t in dep.get("tags") or [] if isinstance(t, str)],
                        "line": line_of(deps, index, doc.line),
                    }
                )
        kind = {"Chart.yaml": "helm.chart", "requirements.yaml": "helm.requirements", "Chart.lock": "helm.lock"}
        data: dict[str, Any] = {"dependencies": dependencies}
        if kind[name] == "helm.chart":
            data.update(
                {
                    "name": str(doc.get("name") or ""),
                    "version": str(doc.get("version") or ""),
                    "app_version": str(doc["appVersion"]) if doc.get("appVersion") is not None else None,
                    "version_line": doc.line_of("version") if "version" in doc else 0,
                    "app_version_line": doc.line_of("appVersion"),
                    "api": str(doc.get("apiVersion") or "v1"),
                    "type": str(doc.get("type") or "application"),
                    "description": str(doc.get("description") or ""),
                }
            )
        out.records.append(Record(kind[name], file.path, doc.line, data))

    def _values(self, file: SourceFile, out: Extraction) -> None:
        """A values file; values may hold `{{ }}` strings for `tpl`, but a values *template* is skipped."""
        if "%{" in file.text and _TERRAFORM_DIRECTIVE.search(file.text):
            return  # a Terraform templatefile: its keys are not values until Terraform renders it
        loaded = load_yaml(file.text)
        if "{{" in file.text and loaded.error:
            return  # a helmfile `.gotmpl`-style template: not YAML until helmfile renders it
        doc = self._load_one(file, out, "Helm values", loaded)
        if not isinstance(doc, dict) or ("apiVersion" in doc and "kind" in doc):
            return  # not values: a Kubernetes manifest in an environment folder is the kubernetes detector's
        out.records.append(Record("helm.values", file.path, 1, {"data": plain(doc), "lines": key_lines(doc)}))

    def _helmfile(self, file: SourceFile, out: Extraction) -> None:
        blanked = blank_template(file.text) if "{{" in file.text else None
        body = blanked.text if blanked else file.text
        releases: list[dict[str, Any]] = []
        environments: list[list[Any]] = []
        for start, chunk in split_documents(body):
            loaded = load_yaml("\n" * start + chunk)
            if loaded.error:
                out.diagnostics.append(self.diagnostic(file.path, loaded.error.line, f"invalid YAML: {loaded.error}"))
            for doc in loaded.documents:
                if not isinstance(doc, YDict):
                    continue
                envs = doc.get("environments")
                if isinstance(envs, YDict):
                    environments += [[str(name), envs.line_of(name)] for name in envs]
                for release in doc.get("releases") or []:
                    if isinstance(release, YDict):
                        releases.append(self._helmfile_release(release, blanked))
        out.records.append(Record("helm.helmfile", file.path, 1, {"releases": releases, "environments": environments}))

    @staticmethod
    def _helmfile_release(release: YDict, blanked: Blanked | None) -> dict[str, Any]:
        def untoken(value: str) -> str:
            if blanked is None:
                return value
            return _TOKEN.sub(lambda m: "{{ " + str(blanked.tokens[int(m.group(1))][0]) + " }}", value)

        files: list[str] = []
        inline: list[dict[str, Any]] = []
        for item in release.get("values") or []:
            if isinstance(item, str):
                files.append(untoken(item))
            elif isinstance(item, YDict):
                inline.append({"data": plain(item), "lines": key_lines(item)})
        return {
            "name": untoken(str(release.get("name") or "")),
            "chart": untoken(str(release.get("chart") or "")),
            "namespace": untoken(str(release.get("namespace") or "")),
            "files": files,
            "inline": inline,
            "line": release.line,
        }

    def _template(self, file: SourceFile, out: Extraction) -> None:
        blanked = blank_template(file.text)
        docs: list[dict[str, Any]] = []
        for start, chunk in split_documents(blanked.text):
            kind = _KIND.search(chunk)
            if not kind:
                continue
            kind_line = start + chunk.count("\n", 0, kind.start()) + 1
            loaded = load_yaml("\n" * start + chunk)
            summary = next((s for s in (summarise(d) for d in loaded.documents) if s), None)
            parsed = summary is not None and not loaded.error
            if summary is None:
                summary = self._scanned(chunk, start, kind.group(1), kind_line)
                out.diagnostics.append(
                    self.diagnostic(
                        file.path,
                        loaded.error.line if loaded.error else kind_line,
                        f"{kind.group(1)} template is not YAML once template actions are removed; read by pattern",
                        Severity.INFO,
                    )
                )
            hook_lines = self._scan_lines(chunk, start, summary)
            self._command_variants(summary, blanked)
            line = int(summary["line"])
            stack = blanked.stacks[line - 1] if 0 < line <= len(blanked.stacks) else ()
            doc: dict[str, Any] = {"summary": summary, "guards": guards_of(stack), "parsed": parsed}
            # Hook annotations inside blocks of their own (oncall's `{{- if .Values.migrate.useHook }}`, or
            # one hook per branch of an if/else): the Job is the hook of the branches that render.
            branches = self._hook_branches(hook_lines, blanked, stack)
            if branches:
                doc["hook_guards"] = branches
            env_guards = self._env_guards(summary, blanked, stack)
            if env_guards:
                doc["env_guards"] = env_guards
            # a scrape annotation in a block of its own (zitadel's `{{- if .Values.metrics.enabled }}`)
            scrape = int(summary.get("scrape") or 0)
            if not (stack and stack[0].kind == "define") and 0 < scrape <= len(blanked.stacks) \
                    and blanked.stacks[scrape - 1] != stack:
                doc["scrape_guards"] = guards_of(blanked.stacks[scrape - 1])
            docs.append(doc)
        out.records.append(
            Record(
                "helm.template",
                file.path,
                1,
                {"docs": docs, "tokens": blanked.tokens, "defines": blanked.defines, "includes": blanked.includes},
            )
        )

    @staticmethod
    def _hook_branches(hook_lines: list[tuple[int, list[str]]], blanked: Blanked,
                       stack: tuple[Block, ...]) -> list[list[Any]]:
        """Each Helm hook annotation line's hooks with the guards of its line, when a line sits in
        blocks the document's own line does not; else none (the hooks hold wherever it renders)."""
        if stack and stack[0].kind == "define":
            # in a `define`, `.` is what the include passes (mastodon's `.prepare`), not the values
            return []
        branches = [(blanked.stacks[at - 1] if 0 < at <= len(blanked.stacks) else stack, hooks)
                    for at, hooks in hook_lines]
        if all(line_stack == stack for line_stack, _ in branches):
            return []
        return [[guards_of(line_stack), hooks] for line_stack, hooks in branches]

    @staticmethod
    def _env_guards(summary: dict[str, Any], blanked: Blanked, stack: tuple[Block, ...]) -> list[list[Any]]:
        """Each container variable whose line sits in blocks the document's own line does not, with
        the guards of its line (microservices-demo's `OTEL_SERVICE_NAME` only `if
        .Values.opentelemetryCollector.create`): a variable set only where the values say so."""
        if stack and stack[0].kind == "define":
            return []  # in a `define`, `.` is what the include passes, not the values
        out = []
        for container in summary.get("containers", []):
            for _, _, line in container.get("env", []):
                at = int(line)
                if 0 < at <= len(blanked.stacks) and blanked.stacks[at - 1] != stack:
                    out.append([at, guards_of(blanked.stacks[at - 1])])
        return out

    @staticmethod
    def _scanned(chunk: str, start: int, kind: str, kind_line: int) -> dict[str, Any]:
        """A summary from patterns, for a template document that is not YAML even blanked."""
        name = next((m.group(1) for m in map(_NAME_LINE.match, chunk.split("\n")) if m), "")
        containers: list[dict[str, Any]] = []
        for offset, raw in enumerate(chunk.split("\n")):
            stripped = raw.strip().lstrip("-").strip().strip("\"'")
            if raw.strip().startswith(("image:", "- image:")):
                containers.append(
                    {
                        "name": "",
                        "image": stripped.split(":", 1)[1].strip().strip("\"'"),
                        "line": start + offset + 1,
                        "command": "",
                        "command_line": 0,
                        "init": False,
                        "probes": [],
                        "env": [],
                    }
                )
        commands = [
            (start + i + 1, line.strip().lstrip("-").strip().strip("\"'"))
            for i, line in enumerate(chunk.split("\n"))
            if line.strip() and not line.strip().endswith(":")
        ]
        if containers:
            containers[0]["command"] = "\n".join(c for _, c in commands if not c.startswith(("image:", "name:")))
            containers[0]["command_line"] = containers[0]["line"]
        return {
            "kind": kind,
            "api": "",
            "name": name,
            "namespace": None,
            "line": kind_line,
            "annotations": {},
            "annotation_lines": {},
            "containers": containers,
        }

    @staticmethod
    def _scan_lines(chunk: str, start: int, summary: dict[str, Any]) -> list[tuple[int, list[str]]]:
        """Hooks from every branch (a duplicate key keeps only one), and alerts YAML could not give.
        Each Helm hook line and its hooks are returned, for the guards of its branch."""
        hooks: list[str] = []
        hook_lines: list[tuple[int, list[str]]] = []
        hooked = "helm.sh/hook" in chunk or "argocd.argoproj.io/hook" in chunk  # what both patterns need
        for offset, line in enumerate(chunk.split("\n") if hooked else ()):
            match = _HELM_HOOK_LINE.search(line)
            if match:
                named = [h.strip() for h in match.group(1).split(",") if h.strip()]
                hooks += [h for h in named if h not in hooks]
                hook_lines.append((start + offset + 1, named))
                summary["annotation_lines"].setdefault("helm.sh/hook", start + offset + 1)
            argo = _ARGO_HOOK_LINE.search(line)
            if argo:
                summary["annotations"]["argocd.argoproj.io/hook"] = argo.group(1)
                summary["annotation_lines"].setdefault("argocd.argoproj.io/hook", start + offset + 1)
        if hooks:
            summary["annotations"]["helm.sh/hook"] = ",".join(hooks)
        if summary["kind"] == "PrometheusRule" and not summary.get("alerts"):
            alerts: list[dict[str, Any]] = []
            for offset, line in enumerate(chunk.split("\n")):
                alert = _ALERT_LINE.match(line)
                severity = _SEVERITY_LINE.match(line)
                if alert:
                    alerts.append({"alert": alert.group(1), "severity": None, "for": None, "line": start + offset + 1})
                elif severity and alerts and alerts[-1]["severity"] is None:
                    alerts[-1]["severity"] = severity.group(1)
            summary["alerts"] = alerts
        return hook_lines

    @staticmethod
    def _command_variants(summary: dict[str, Any], blanked: Blanked) -> None:
        """A command list split by `if`/`else` gives one command per branch (`db:prepare` or `db:migrate`)."""
        for container in summary.get("containers", []):
            words = container.get("command", "")
            line = int(container.get("command_line") or 0)
            if not words or not line:
                continue
            items = _command_items(blanked.text, line)
            branches: dict[tuple[int, int], list[str]] = defaultdict(list)
            common: list[tuple[int, str]] = []
            for item_line, word in items:
                stack = blanked.stacks[item_line - 1] if item_line - 1 < len(blanked.stacks) else ()
                inner = [b for b in stack if b.kind == "if" and b.line > line]
                if inner:
                    branches[(inner[-1].line, inner[-1].branch)].append(word)
                else:
                    common.append((item_line, word))
            if len(branches) < 2:
                continue
            container["variants"] = [" ".join([w for _, w in common] + extra) for _, extra in sorted(branches.items())]

    # -- phase 2 --

    def resolve(self, ctx: ResolveContext) -> list[Fact]:
        charts = self._charts(ctx)
        # one layer per values file, shared by every deployment that uses it (merges are memoised by layer)
        layers = {r.path: Layer(r.path, r.data["data"], r.data["lines"]) for r in ctx.records("helm.values")}
        overlays = self._attach_values(ctx, charts, layers)
        # Templates are read in their chart's piece: a piece's inputs name them by their results, so
        # the templates of a chart whose facts are cached are never loaded.
        templates: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for result in ctx.record_sources("helm.template"):
            chart = _owner(result[1], charts, "templates")
            if chart:
                templates[chart.directory].append(result)
        uses = ChartUses.of(ctx) if charts else ChartUses()
        merger = Merger()
        # Each chart's facts are a function of the chart (its values, templates and deployments) and
        # of the default values of its dependencies vendored in its `charts/` folder: a piece, so a
        # monorepo's changed chart is the only one read. A vendored subchart is read through its
        # parent (its values only): it has no deployments of its own.
        work: list[Piece] = []
        for chart in sorted(charts.values(), key=lambda c: c.directory):
            if chart.parent is None:
                self._deployments(chart, overlays.get(chart.directory, []), layers, uses)
                vendored = {}
                for dep in chart.record.data["dependencies"]:
                    sub = charts.get(_join(chart.directory, f"charts/{dep['name']}"))
                    if sub is not None and sub.values is not None:
                        vendored[dep["name"]] = sub.values
                own = templates.get(chart.directory, [])
                work.append(((chart, vendored, ctx.named(own)),
                             functools.partial(self._chart_facts, ctx, chart, own, vendored, merger)))
        facts = [fact for found in ctx.pieces(self, work) for fact in found]
        return facts + self._remote_releases(ctx, charts)

    def _chart_facts(self, ctx: ResolveContext, chart: Chart, templates: list[tuple[str, str]],
                     vendored: dict[str, Layer], merger: Merger) -> list[Fact]:
        # The templates and merged values are made here, in the chart's piece: functions of what
        # the piece's inputs hold (its templates' results, its layers), needed only for a chart
        # whose facts are not cached.
        read = [record for extraction in ctx.extractions(templates) if extraction
                for record in extraction.records if record.kind == "helm.template"]
        for deployment in chart.deployments:
            deployment.values = merger.values(deployment.layers)
        return ChartReader(self, chart, read, vendored, merger).facts()

    def _remote_releases(self, ctx: ResolveContext, charts: dict[str, Chart]) -> list[Fact]:
        """Charts installed from a chart repository by Flux or Argo CD, read through their inline values."""
        facts: list[Fact] = []
        for record in ctx.records("k8s.object"):
            obj = record.data
            releases: list[tuple[str, str | None, dict[str, Any] | None, dict[str, int], int]] = []
            flux = obj.get("flux")
            if obj["kind"] == "HelmRelease" and flux and flux.get("chart"):
                releases.append(
                    (
                        flux["chart"],
                        flux.get("version"),
                        flux.get("values"),
                        flux.get("value_lines", {}),
                        int(obj["line"]),
                    )
                )
            for source in (obj.get("app") or {}).get("sources", []):
                if source.get("chart"):
                    releases.append(
                        (
                            source["chart"],
                            source.get("revision"),
                            source.get("values"),
                            {},
                            int(source.get("line") or obj["line"]),
                        )
                    )
            for chart, version, inline, lines, line in releases:
                if _join("", chart) in charts:
                    continue  # a chart of this repository: read with its own values above
                values = Values().merged(Layer(record.path, inline or {}, lines))
                env = _first_env(
                    [
                        obj.get("name") or "",
                        (obj.get("app") or {}).get("namespace") or "",
                        obj.get("namespace") or "",
                        record.path,
                    ]
                )
                facts += self._release_facts(record.path, line, obj, chart, version, values, env)
        return facts

    def _release_facts(
        self,
        path: str,
        line: int,
        obj: dict[str, Any],
        chart: str,
        version: str | None,
        values: Values,
        env: str | None,
    ) -> list[Fact]:
        kind = "Flux HelmRelease " if obj["kind"] == "HelmRelease" else "Argo CD Application "
        where: tuple[Part, ...] = (" (", kind, Code(obj.get("name") or "?"), " in ", Code(path), ")")
        site = Site(self, path, env, where)
        facts: list[Fact] = []
        tech = self.catalog.by_helm_dependency(chart.rsplit("/", 1)[-1])
        if tech is not None and tech.category in DATA_STORE_CATEGORIES:
            name, image, ev = store_version(self, tech, f"{chart} {version or '?'}", values, "", Values())
            facts.append(
                fact(
                    replace(site, evidence=ev),
                    "env.database",
                    (name, " in-cluster: chart ", Code(chart), *image, *where),
                    Confidence.DECLARED,
                    line,
                    item=tech.id,
                    tech=tech.id,
                    rank=IN_CLUSTER_RANK,
                    attrs={"in_cluster": True, "chart": chart},
                )
            )
        for key, host, tls in _ingress_hosts(values.data, set()):
            origin = values.where(key)
            if origin and not is_placeholder_host(host.lower()):
                url = f"{'https' if tls else 'http'}://{host}"
                facts.append(
                    fact(
                        site,
                        "env.url",
                        (Code(url), " from ", Code(key), *where),
                        Confidence.DECLARED,
                        origin[1],
                        rank=20,
                        attrs={"url": url},
                    )
                )
        return facts

    def _charts(self, ctx: ResolveContext) -> dict[str, Chart]:
        charts: dict[str, Chart] = {}
        for record in ctx.records("helm.chart"):
            directory = folder_of(record.path)
            charts[directory] = Chart(directory, record)
        extra: dict[str, list[dict[str, Any]]] = defaultdict(list)
        pins: dict[str, dict[str, str]] = defaultdict(dict)
        for record in ctx.records("helm.requirements"):
            extra[folder_of(record.path)] += record.data["dependencies"]
        for record in ctx.records("helm.lock"):
            for dep in record.data["dependencies"]:
                if dep.get("version"):
                    pins[folder_of(record.path)][dep["name"]] = dep["version"]
        vendored: dict[str, list[str]] = defaultdict(list)  # chart directory -> its charts/*.tgz
        for path in ctx.files:
            if path.endswith(".tgz") and "/charts/" in path:
                vendored[path.rsplit("/charts/", 1)[0]].append(path)
        for directory, chart in charts.items():
            # Copies: the records are phase 1's, shared with every detector and cached phase 2 results.
            deps = [dict(d) for d in (*chart.record.data["dependencies"], *extra.get(directory, []))]
            declared = {d["name"] for d in deps}
            for path in vendored.get(directory, []):
                match = _VENDORED_CHART.fullmatch(path[len(directory) + len("/charts/") :])
                if match and match.group(1) not in declared:
                    deps.append(
                        {
                            "name": match.group(1),
                            "alias": None,
                            "version": match.group(2),
                            "repository": "vendored",
                            "condition": None,
                            "tags": [],
                            "line": 0,
                            "file": path,
                        }
                    )
            for dep in deps:
                dep.setdefault("file", chart.record.path)
                if dep["name"] in pins[directory]:
                    dep["pinned"] = pins[directory][dep["name"]]
            chart.record = Record(
                chart.record.kind, chart.record.path, chart.record.line, {**chart.record.data, "dependencies": deps}
            )
            parts = directory.split("/") if directory != "." else []
            for i in range(len(parts) - 1, 0, -1):
                holder = "/".join(parts[: i - 1]) or "."
                if parts[i - 1] == "charts" and holder in charts:
                    chart.parent = holder
                    break
        return charts

    def _attach_values(
        self, ctx: ResolveContext, charts: dict[str, Chart], layers: dict[str, Layer]
    ) -> dict[str, list[tuple[str | None, Layer]]]:
        """Each values file to its chart: the chart's own folder, or the folder that holds the chart."""
        overlays: dict[str, list[tuple[str | None, Layer]]] = defaultdict(list)
        by_parent: dict[str, list[Chart]] = defaultdict(list)
        for chart in charts.values():
            by_parent[folder_of(chart.directory)].append(chart)
        for record in ctx.records("helm.values"):
            layer = layers[record.path]
            owner = _owner(record.path, charts, None)
            if owner is None:
                siblings = by_parent.get(folder_of(record.path), [])
                owner = siblings[0] if len(siblings) == 1 else None
            if owner is None:
                continue
            chart = owner
            relative = record.path[len(chart.directory) + 1 :] if chart.directory not in ("", ".") else record.path
            if relative.startswith(("ci/", "tests/", "test/", "charts/")) and relative != "values.yaml":
                continue  # chart-testing and vendored values are not environments
            overlay, env = _values_env(record.path, chart.directory)
            if not overlay:
                chart.values = layer
            elif env:
                overlays[chart.directory].append((env, layer))
        return overlays

    def _deployments(
        self,
        chart: Chart,
        overlays: list[tuple[str | None, Layer]],
        layers: dict[str, Layer],
        uses: ChartUses,
    ) -> None:
        base = [chart.values] if chart.values else []
        by_env: dict[str, list[Layer]] = defaultdict(list)
        for env, layer in sorted(overlays, key=lambda o: o[1].path):
            by_env[str(env)].append(layer)
        for env, env_layers in sorted(by_env.items()):
            names = ", ".join(_base(layer.path) for layer in env_layers)
            chart.deployments.append(
                Deployment(
                    env,
                    base + env_layers,
                    (" (values ", Code(names), ")"),
                )
            )
        chart.deployments += self._referenced(chart, base, layers.get, uses)
        if not chart.deployments:
            chart.deployments.append(Deployment(None, base, (" (chart defaults)",)))
        seen: set[tuple[Any, ...]] = set()
        unique = []
        for deployment in chart.deployments:
            key = (deployment.env, tuple((layer.path, layer.prefix) for layer in deployment.layers))
            if key not in seen:
                seen.add(key)
                unique.append(deployment)
        chart.deployments = unique

    def _referenced(
        self, chart: Chart, base: list[Layer], layer_of: Callable[[str], Layer | None], uses: ChartUses
    ) -> list[Deployment]:
        """Deployments other files declare: helmfile releases, Argo CD and Flux objects, Skaffold profiles."""
        found: list[Deployment] = []
        for record, release in uses.helmfile.get(chart.directory, []):
            directory = folder_of(record.path)
            envs = [name for name, _ in record.data["environments"]] or [None]
            inline = [
                Layer(record.path, values["data"], values["lines"], f"{release['name']}.{index}")
                for index, values in enumerate(release["inline"])
            ]
            for env in envs:
                layers = list(base)
                for raw in release["files"]:
                    path = _join(directory, _ENVIRONMENT_NAME.sub(env or "", raw))
                    layer = layer_of(path) if "{{" not in path else None
                    if layer:
                        layers.append(layer)
                layers += inline
                name = env or env_from_name(release["name"]) or env_from_name(release["namespace"])
                found.append(
                    Deployment(
                        name,
                        layers,
                        (" (helmfile release ", Code(release["name"]), ")"),
                        self.evidence(record.path, release["line"]),
                    )
                )
        for record in uses.gitops.get(chart.directory, []):
            found += self._gitops_deployment(chart, base, record, layer_of)
        for record, profile, release in uses.skaffold.get(chart.directory, []):
            directory = folder_of(record.path)
            layers = base + [x for x in (layer_of(_join(directory, v)) for v in release["values"]) if x]
            env = env_from_name(profile["name"] or "") and profile["name"]
            found.append(
                Deployment(
                    env,
                    layers,
                    (" (Skaffold profile ", Code(profile["name"] or "default"), ")"),
                    self.evidence(record.path, release["line"] or 1),
                )
            )
        for path, line, command, parsed in uses.commands.get(chart.directory, []):
            found += self._command_deployment(chart, base, path, line, command, parsed, layer_of)
        return found

    def _command_deployment(
        self,
        chart: Chart,
        base: list[Layer],
        path: str,
        line: int,
        command: str,
        parsed: tuple[str, str, list[str], str],
        layer_of: Callable[[str], Layer | None],
    ) -> list[Deployment]:
        """`helm upgrade --install web ./charts/web -f values/prod.yaml` in a script or Makefile target."""
        release, target, files, namespace = parsed
        roots = [folder_of(path), "."]
        root = next((r for r in roots if _join(r, target) == chart.directory), None)
        if root is None:
            return []
        layers = base + [x for x in (layer_of(_join(root, f)) for f in files) if x]
        env = _first_env([*files, release, namespace])
        return [Deployment(env, layers, (" (", Code(short(command, 60)), ")"), self.evidence(path, line))]

    def _gitops_deployment(
        self, chart: Chart, base: list[Layer], record: Record, layer_of: Callable[[str], Layer | None]
    ) -> list[Deployment]:
        obj = record.data
        found: list[Deployment] = []
        app, flux = obj.get("app"), obj.get("flux")
        names = [obj.get("name") or "", (app or {}).get("namespace") or "", obj.get("namespace") or ""]
        for source in (app or {}).get("sources", []):
            if not source.get("path") or _join("", source["path"]) != chart.directory:
                continue
            layers = base + [x for x in (layer_of(_join(chart.directory, v)) for v in source["value_files"]) if x]
            if source.get("values"):
                layers.append(Layer(record.path, source["values"], source.get("value_lines", {}), "helm.values"))
            env = _first_env(names + [PurePosixPath(v).name for v in source["value_files"]])
            found.append(
                Deployment(
                    env,
                    layers,
                    (" (Argo CD Application ", Code(obj.get("name") or "?"), ")"),
                    self.evidence(record.path, int(source.get("line") or obj["line"])),
                )
            )
        chart_path = flux.get("chart") if flux else None
        if flux and obj["kind"] == "HelmRelease" and chart_path and _join("", chart_path) == chart.directory:
            layers = list(base)
            if flux.get("values"):
                layers.append(Layer(record.path, flux["values"], flux.get("value_lines", {})))
            found.append(
                Deployment(
                    _first_env([*names, record.path]),
                    layers,
                    (" (Flux HelmRelease ", Code(obj.get("name") or "?"), ")"),
                    self.evidence(record.path, int(obj["line"])),
                )
            )
        return found


@dataclass
class ChartUses:
    """What other files say about each chart folder, indexed once per scan by the folder they name.

    Helmfile releases, Argo CD / Flux objects, Skaffold profiles and `helm upgrade` commands each
    name a chart path; indexing them by that path lets every chart read only its own instead of
    every chart scanning every record. Each list keeps the records' order.
    """

    helmfile: dict[str, list[tuple[Record, dict[str, Any]]]] = field(default_factory=dict)
    gitops: dict[str, list[Record]] = field(default_factory=dict)
    skaffold: dict[str, list[tuple[Record, dict[str, Any], dict[str, Any]]]] = field(default_factory=dict)
    commands: dict[str, list[tuple[str, int, str, tuple[str, str, list[str], str]]]] = field(default_factory=dict)

    @classmethod
    def of(cls, ctx: ResolveContext) -> ChartUses:
        uses = cls()
        for record in ctx.records("helm.helmfile"):
            directory = folder_of(record.path)
            for release in record.data["releases"]:
                uses.helmfile.setdefault(_join(directory, release["chart"]), []).append((record, release))
        for record in ctx.records("k8s.object"):
            for target in dict.fromkeys(_gitops_targets(record.data)):
                uses.gitops.setdefault(target, []).append(record)
        for record in ctx.records("k8s.skaffold"):
            directory = folder_of(record.path)
            for profile in record.data["profiles"]:
                for release in profile["helm"]:
                    if release["chart"]:
                        uses.skaffold.setdefault(_join(directory, release["chart"]), []).append(
                            (record, profile, release)
                        )
        for path, line, command in _helm_commands(ctx):
            parsed = parse_helm_command(command)
            if parsed is None:
                continue
            roots = (folder_of(path), ".")
            for target in dict.fromkeys(_join(root, parsed[1]) for root in roots):
                uses.commands.setdefault(target, []).append((path, line, command, parsed))
        return uses


def _gitops_targets(obj: dict[str, Any]) -> Iterator[str]:
    """The chart folders an Argo CD Application (source paths) or a Flux HelmRelease (chart) points at."""
    for source in (obj.get("app") or {}).get("sources", []):
        if source.get("path"):
            yield _join("", source["path"])
    flux = obj.get("flux")
    if flux and obj["kind"] == "HelmRelease" and flux.get("chart"):
        yield _join("", flux["chart"])


class ChartReader:
    """The facts of one chart: dependencies, values and templates, for each of its deployments."""

    def __init__(self, detector: HelmDetector, chart: Chart, templates: list[Record], vendored: dict[str, Layer],
                 merger: Merger) -> None:
        self.detector = detector
        self.chart = chart
        self.templates = templates  # the chart's own `templates/`, one record each
        self.vendored = vendored  # default values of the dependencies vendored in its `charts/`, by name
        self.merger = merger
        # memos, per deployment (keyed by its identity: deployments live as long as the reader)
        self._roots: dict[int, dict[str, Any]] = {}
        self._token_values: dict[tuple[int, str, tuple[tuple[str, ...], ...]], str | None] = {}
        self._objects: dict[tuple[Any, ...], dict[str, Any]] = {}
        self._holes: dict[int, tuple[Any, list[int]]] = {}  # per template document: `_token_sites`
        self.defines: dict[str, str] = {}
        for record in templates:
            self.defines.update(record.data["defines"])
        folder = _base(chart.directory)
        # two charts may share a name (argocd-example-apps: blue-green/ and helm-guestbook/)
        named_by_folder = folder == chart.name or chart.directory == "."
        self.where: tuple[Part, ...] = (" in chart ", Code(chart.name)) + (
            () if named_by_folder else (" (", Code(chart.directory + "/"), ")")
        )
        self.aliases = {d.get("alias") or d["name"] for d in chart.record.data["dependencies"]}
        self.probes = NameSet()
        self.scrapes = NameSet()
        self.value_probes = NameSet()  # probes set in the values: cited only when no template shows one
        self.guarded: set[str] = set()  # values paths that guard a template (monitor switches seen there)
        self.kinds = {doc["summary"]["kind"] for record in templates for doc in record.data["docs"]}
        self.includes: dict[str, list[list[list[Any]]]] = defaultdict(list)
        for record in templates:
            for name, guards in record.data.get("includes", []):
                self.includes[name].append(guards)

    def facts(self) -> list[Fact]:
        facts: list[Fact] = [self._chart_fact()]
        for deployment in self.chart.deployments:
            facts += self._dependency_facts(deployment)
            facts += self._values_facts(deployment)
        facts += self._monitoring_dependencies()
        facts += self._template_facts()
        facts += self._switch_facts()
        facts = _alerts_of_chart(once(facts), self.where, self.chart.directory)
        order = (self.chart.record.path,)
        probes = self.probes if self.probes.names else self.value_probes
        summaries = (probes.probe_fact(self.where, order), self.scrapes.scrape_fact(self.where, order))
        return facts + [f for f in summaries if f]

    def site(self, deployment: Deployment, path: str, **kw: Any) -> Site:
        """Where a fact of this chart comes from; the deployment's evidence and qualifier unless overridden."""
        return Site(
            self.detector,
            path,
            deployment.env,
            kw.pop("where", self.where),
            kw.pop("evidence", deployment.evidence),
            kw.pop("note", deployment.via),
            **kw,
        )

    def scope(self, deployment: Deployment) -> Scope:
        """A fresh scope over the deployment's root (`.Values`, `.Chart`...), which is built once."""
        root = self._roots.get(id(deployment))
        if root is None:
            root = self._roots[id(deployment)] = self._root(deployment)
        return Scope(root, root, None, self.defines)

    def _root(self, deployment: Deployment) -> dict[str, Any]:
        data = self.chart.record.data
        return {
            "Values": deployment.values.data,
            "Chart": {"Name": data.get("name"), "Version": data.get("version"), "AppVersion": data.get("app_version")},
            "Release": {
                "Name": UNKNOWN,
                "Namespace": UNKNOWN,
                "Service": "Helm",
                "IsInstall": UNKNOWN,
                "IsUpgrade": UNKNOWN,
                "Revision": UNKNOWN,
            },
            "Capabilities": UNKNOWN,
            "Files": UNKNOWN,
            "Template": UNKNOWN,
        }

    def _chart_fact(self) -> Fact:
        data = self.chart.record.data
        parts: list[Part] = [
            "Helm chart ",
            Code(self.chart.name),
            " (",
            Code(self.chart.record.path),
            "): chart ",
            Code(data.get("version") or "?"),
        ]
        parts += [", app version ", Code(data["app_version"])] if data.get("app_version") else [", no appVersion"]
        return Fact(
            "deploy.steps",
            text(*parts),
            Confidence.HINT,
            # both versions the fact names, each where it is written
            tuple(Evidence(self.chart.record.path, line, self.detector.name) for line in dict.fromkeys(
                (data.get("version_line") or 1, *([data["app_version_line"]] if data.get("app_version") else [])))),
            item=f"chart:{self.chart.directory}",
            tech="helm",
            rank=60,
            order=(self.chart.record.path, 0),
        )

    # dependencies

    def _dependency_facts(self, deployment: Deployment) -> list[Fact]:
        """Database, cache and queue subcharts: in-cluster when their condition holds, else external."""
        facts: list[Fact] = []
        for dep in self.chart.record.data["dependencies"]:
            tech = self.detector.catalog.by_helm_dependency(dep["name"])
            if tech is None or tech.category not in DATA_STORE_CATEGORIES:
                continue
            enabled, reason, ev = self._enabled(dep, deployment)
            key = dep.get("alias") or dep["name"]
            site = self.site(deployment, dep["file"], evidence=(*deployment.evidence, *ev))
            line = int(dep["line"])
            if enabled is False:
                facts.append(self._external(tech, dep, deployment, site, reason, line))
                continue
            name, image_part, image_ev = self._store_version(tech, key, dep, deployment)
            site = replace(site, evidence=(*site.evidence, *image_ev), certain=enabled is True)
            facts.append(
                fact(
                    site,
                    "env.database",
                    (
                        name,
                        " in-cluster: subchart ",
                        Code(key),
                        " (chart ",
                        Code(_chart_version(dep)),
                        ")",
                        *reason,
                        *image_part,
                        *self.where,
                    ),
                    Confidence.DECLARED,
                    line,
                    item=tech.id,
                    tech=tech.id,
                    rank=IN_CLUSTER_RANK,
                    attrs={"in_cluster": True, "chart": dep["name"]},
                )
            )
        return facts

    def _monitoring_dependencies(self) -> list[Fact]:
        """Monitoring and logging subcharts (kube-prometheus-stack, loki...), enabled in which environments."""
        facts: list[Fact] = []
        for dep in self.chart.record.data["dependencies"]:
            tech = self.detector.catalog.by_helm_dependency(dep["name"])
            if tech is None or tech.category not in ("monitoring", "logging", "alerting"):
                continue
            on: list[Deployment] = []
            evidence: list[Evidence] = []
            for deployment in self.chart.deployments:
                state, _reason, ev = self._enabled(dep, deployment)
                evidence += ev
                if state is not False:
                    on.append(deployment)
            envs = _env_list(on)
            condition = dep.get("condition") or ""
            when: tuple[Part, ...] = (", always installed",)
            if condition:
                when = (
                    (", enabled by ", Code(condition), f" ({envs})" if envs else "")
                    if on
                    else (", off: ", Code(condition))
                )
            field_id = (
                "log.aggregation"
                if tech.category == "logging"
                else (f"mon.{tech.monitoring[0]}" if tech.monitoring else "mon.infrastructure")
            )
            key = dep.get("alias") or dep["name"]
            facts.append(
                Fact(
                    field_id,
                    text(
                        tech.name,
                        ": subchart ",
                        Code(key),
                        " (chart ",
                        Code(_chart_version(dep)),
                        ")",
                        *when,
                        *self.where,
                    ),
                    Confidence.DECLARED if on else Confidence.HINT,
                    tuple(sorted({*self.detector.evidence(dep["file"], int(dep["line"])), *evidence})),
                    item=tech.id,
                    tech=tech.id,
                    rank=35,
                    order=(dep["file"], int(dep["line"])),
                )
            )
        return facts

    def _enabled(
        self, dep: dict[str, Any], deployment: Deployment
    ) -> tuple[Any, tuple[Part, ...], tuple[Evidence, ...]]:
        """Helm's rule: the first condition path that exists decides; then tags; else enabled."""
        values = deployment.values
        for path in [p.strip() for p in (dep.get("condition") or "").split(",") if p.strip()]:
            if values.has(path):
                value = values.get(path)
                origin = values.where(path)
                ev = self.detector.evidence(*origin) if origin else ()
                where = (" in ", Code(PurePosixPath(origin[0]).name)) if origin else ()
                state = truthy(value)
                return (
                    state,
                    (", enabled by " if state else ", disabled by ", Code(f"{path}: {_show(value)}"), *where),
                    ev,
                )
        tags = dep.get("tags") or []
        if tags:
            states = [values.get(f"tags.{t}") for t in tags if values.has(f"tags.{t}")]
            if states:
                state = any(truthy(s) for s in states)
                return state, (", enabled by tags " if state else ", disabled by tags ", Code(", ".join(tags))), ()
        if dep.get("condition"):
            return True, (", condition ", Code(dep["condition"]), " not set (enabled)"), ()
        return True, (", always installed",), ()

    def _store_version(
        self, tech: Tech, key: str, dep: dict[str, Any], deployment: Deployment
    ) -> tuple[str, tuple[Part, ...], tuple[Evidence, ...]]:
        """The database's major version from the values' image (the chart version is not it)."""
        vendored = self.vendored.get(dep["name"])
        defaults = self.merger.values([vendored] if vendored else [])
        chart = f"{dep['name']} {dep.get('pinned') or dep.get('version') or '?'}"
        return store_version(self.detector, tech, chart, deployment.values, f"{key}.", defaults)

    def _external(
        self, tech: Tech, dep: dict[str, Any], deployment: Deployment, site: Site, reason: tuple[Part, ...], line: int
    ) -> Fact:
        key = dep.get("alias") or dep["name"]
        found = _external_setting(deployment.values, key, tech)
        chart_part: tuple[Part, ...] = ("bundled subchart ", Code(key), *reason)
        if found is None:
            return fact(
                replace(site, active=False),
                "env.database",
                (
                    tech.name,
                    ": not in-cluster (",
                    *chart_part,
                    "); no external connection setting in the values",
                    *self.where,
                ),
                Confidence.DECLARED,
                line,
                item=tech.id,
                tech=tech.id,
                rank=60,
            )
        path, value = found
        origin = deployment.values.where(path)
        ev = self.detector.evidence(*origin) if origin else ()
        shown = redact.value(path.rsplit(".", 1)[-1], str(value)) if value not in (None, "") else ""
        setting: tuple[Part, ...] = (
            (Code(path), " = ", Code(shown)) if shown else (Code(path), " (empty in the values)")
        )
        return fact(
            replace(site, evidence=(*site.evidence, *ev)),
            "env.database",
            (tech.name, ": external (", *chart_part, "; ", *setting, ")", *self.where),
            Confidence.DECLARED,
            line,
            item=tech.id,
            tech=tech.id,
            rank=35,
            attrs={"in_cluster": False},
        )

    # templates

    def _template_facts(self) -> list[Fact]:
        """Each template document as each deployment renders it.

        Environment facts are made per deployment (and dropped where the document is switched
        off); facts about the whole system (a migration hook, an alert rule) once, saying in
        which environments the document renders.
        """
        facts: list[Fact] = []
        for record in self.templates:
            where: tuple[Part, ...] = (" in chart ", Code(self.chart.name), " (", Code(record.path), ")")
            for doc in record.data["docs"]:
                runs = [self._render(doc, record, deployment) for deployment in self.chart.deployments]
                collect: dict[int, bool] = {}  # deployments that give a document the same values share its object
                for run in runs:
                    wanted = collect.get(id(run.obj))
                    if wanted is None:
                        wanted = collect[id(run.obj)] = describes_environment(run.obj) or bool(run.obj.get("scrape"))
                    if not wanted:
                        continue  # no environment facts, probes or scrape annotations to collect
                    site = self.site(
                        run.deployment,
                        record.path,
                        where=where,
                        evidence=run.evidence,
                        placement=run.deployment.evidence,
                        guard=run.guard,
                        active=run.state is not False,
                        certain=run.state is True,
                    )
                    for found in environment_facts(run.obj, site):  # the others are said once, below
                        if run.state is not False or (found.field == "env.database" and run.deployment.env is None):
                            facts.append(found)
                    if run.state is not False:
                        self.probes.add_probes(run.obj, site)
                        if run.obj.get("scrape"):
                            self.scrapes.add(run.obj.get("name") or run.obj["kind"], site, int(run.obj["scrape"]))
                facts += self._document_facts(runs, record.path, where)
        return facts

    def _render(self, doc: dict[str, Any], record: Record, deployment: Deployment) -> Rendered:
        guards = doc["guards"]
        obj = self._resolve(doc["summary"], record.data["tokens"], deployment)
        if "hook_guards" in doc:
            scope = self.scope(deployment)
            hooks = [h for guards, branch in doc["hook_guards"] if guard_state(guards, scope) is not False
                     for h in branch]
            obj = self._hooked(obj, list(dict.fromkeys(hooks)))
        if "scrape_guards" in doc and guard_state(doc["scrape_guards"], self.scope(deployment)) is False:
            obj = {k: v for k, v in obj.items() if k != "scrape"}  # annotated only where the values say so
        if "env_guards" in doc:
            # each guard evaluated in a scope of its own: a `with` moves the dot for its block only
            off = {at for at, line_guards in doc["env_guards"]
                   if guard_state(line_guards, self.scope(deployment)) is False}
            if off:
                obj = {**obj, "containers": [{**c, "env": [e for e in c.get("env", []) if int(e[2]) not in off]}
                                             for c in obj.get("containers", [])]}
        if not guards:  # outside any block: always rendered, no values read to cite
            return Rendered(deployment, True, [], obj, (), ())
        scope = self.scope(deployment)
        state: Any = True
        if guards and guards[0][0] == "define":
            state = self._include_state(guards[0][1][0], scope)
        if state is not False:
            inner = guard_state(guards, scope)
            state = inner if state is True or inner is False else UNKNOWN
        used = list(dict.fromkeys(scope.used))
        paths = [p for p in used if not any(q.startswith(p + ".") for q in used)]
        if obj["kind"] in ("ServiceMonitor", "PodMonitor", "PrometheusRule"):
            self.guarded.update(paths)
        guard, evidence = self._guard_note(paths, deployment, state)
        return Rendered(deployment, state, paths, obj, guard, evidence)

    def _include_state(self, name: str, scope: Scope) -> Any:
        """A document inside a `define` renders where it is included: the guards of those places."""
        sites = self.includes.get(name, [])
        if not sites:
            return True
        states = []
        for guards in sites:
            site_scope = replace(scope, dot=scope.root, dot_path=None, variables={})
            states.append(guard_state(guards, site_scope))
        if any(s is True for s in states):
            return True
        return UNKNOWN if any(s is UNKNOWN for s in states) else False

    def _document_facts(self, runs: list[Rendered], path: str, where: tuple[Part, ...]) -> list[Fact]:
        active = [r for r in runs if r.state is not False]
        chosen = active[0] if active else runs[0]
        guard: tuple[Part, ...] = ()
        evidence: tuple[Evidence, ...] = tuple(e for r in (active or runs[:1]) for e in r.evidence)
        if chosen.paths:
            shown = _guard_text(chosen.paths, chosen.deployment.values)
            if active:
                envs = _env_list([r.deployment for r in active])
                guard = (", rendered when ", Code(shown), f" ({envs})" if envs else "")
            else:
                guard = (", off: ", Code(shown))
        if "tests" in path.split("/"):  # `templates/tests/` is where `helm test` hooks live, not examples
            evidence = (*evidence, *self.detector.evidence(self.chart.record.path, self.chart.record.line))
        site = Site(
            self.detector,
            path,
            None,
            where,
            evidence,
            guard=guard,
            active=bool(active),
            certain=any(r.state is True for r in runs),
        )
        return [
            f
            for f in [*object_facts(chosen.obj, site), *self._app_of_apps(chosen.obj, site)]
            if FIELD_BY_ID[f.field].scope is not FieldScope.ENVIRONMENT
        ]

    def _hooked(self, obj: dict[str, Any], hooks: list[str]) -> dict[str, Any]:
        """The object with the Helm hooks of the branches that render (none: no hook annotation): one
        copy per object and hooks, as deployments that give a document the same values share its object."""
        key = ("hooks", id(obj), *hooks)
        found = self._objects.get(key)
        if found is None:
            annotations = {k: v for k, v in obj.get("annotations", {}).items() if k != "helm.sh/hook"}
            if hooks:
                annotations["helm.sh/hook"] = ",".join(hooks)
            found = self._objects[key] = {**obj, "annotations": annotations}
        return found

    def _resolve(self, summary: dict[str, Any], tokens: list[list[Any]], deployment: Deployment) -> dict[str, Any]:
        """The summary with every token it can evaluate replaced by its value in this deployment.

        The object depends only on the values of the tokens the summary holds, so deployments that
        give them the same values share one object (objects are never changed once built).
        """
        holes = self._holes.get(id(summary))
        if holes is None:
            found: list[int] = []
            holes = self._holes[id(summary)] = (_token_sites(summary, found), list(dict.fromkeys(found)))
        sites, indices = holes
        if not indices:
            key: tuple[Any, ...] = (id(summary),)
            values: dict[int, str | None] = {}
        else:
            values = {index: self._token_value(tokens[index], deployment) for index in indices}
            key = (id(summary), *values.values())
        obj = self._objects.get(key)
        if obj is None:
            obj = self._objects[key] = _substituted(summary, sites, tokens, values)
        return obj

    def _token_value(self, token: list[Any], deployment: Deployment) -> str | None:
        """A template token's value in a deployment (None when unknown), evaluated once per deployment.

        The value depends on the expression, the `with`/`range` blocks around it and the deployment
        only, and charts repeat the same expressions (`include "app.fullname" .`) in every template.
        """
        expr, _line, context = token
        key = (id(deployment), expr, tuple(map(tuple, context)) if context else ())
        if key not in self._token_values:
            scope = self.scope(deployment)
            for kind, cond in context:
                if kind == "range":
                    scope.dot = UNKNOWN
                    break
                scope.dot = evaluate(cond, scope)
            result = evaluate(expr, scope)
            self._token_values[key] = (
                None
                if result is UNKNOWN or isinstance(result, (dict, list))
                else ("" if result is None else str(result).lower() if isinstance(result, bool) else str(result))
            )
        return self._token_values[key]

    def _guard_note(
        self, paths: list[str], deployment: Deployment, state: Any
    ) -> tuple[tuple[Part, ...], tuple[Evidence, ...]]:
        if not paths:
            return (), ()
        ev = tuple(e for p in paths if (o := deployment.values.where(p)) for e in self.detector.evidence(*o))
        word = {True: ", rendered when ", False: ", off: "}.get(state, ", rendered depending on ")
        return (word, Code(_guard_text(paths, deployment.values))), ev

    def _app_of_apps(self, obj: dict[str, Any], site: Site) -> list[Fact]:
        """Argo CD Applications a chart generates (app of apps): what they deploy, how they sync,
        and the way back, as a plain Application manifest gets them (kubernetes `_argo_facts`).

        Their names and sources are usually template expressions over the chart's values (one
        Application per entry of a list), so the statements speak of the generated set.
        """
        app = obj.get("app")
        if obj["kind"] not in ("Application", "ApplicationSet") or not app:
            return []
        site = replace(site, env=None)
        line = int(obj["line"])
        item = f"argocd-apps:{self.chart.directory}"
        noun = "Argo CD Applications generated by this chart"
        facts = [
            fact(
                site,
                "deploy.steps",
                ("Argo CD syncs the Applications this chart generates", *_app_sources(app), *site.where),
                Confidence.DECLARED,
                int(app["sources"][0]["line"]) if app["sources"] else line,
                item=item,
                tech="argocd",
                rank=30,
                attrs={"step": "Argo CD sync"},
            )
        ]
        if app.get("automated"):
            options = [o for o, on in (("prune", app["prune"]), ("self-heal", app["self_heal"])) if on]
            facts.append(
                fact(
                    site,
                    "ci.deploy.automated",
                    (noun, " sync automatically", f" ({', '.join(options)})" if options else "", *site.where),
                    Confidence.DECLARED,
                    int(app.get("automated_line") or line),
                    item=item,
                    tech="argocd",
                    rank=25,
                    attrs={"trigger": "gitops"},
                )
            )
        else:
            facts.append(
                fact(
                    site,
                    "ci.deploy.manual",
                    (noun, ": manual sync (no ", Code("syncPolicy.automated"), ")", *site.where),
                    Confidence.DECLARED,
                    line,
                    item=item,
                    tech="argocd",
                    rank=30,
                    attrs={"manual": True},
                )
            )
        caveat = " (turn automated sync off first, or it syncs forward again)" if app.get("automated") else ""
        facts.append(
            fact(
                site,
                "deploy.rollback.perform",
                (
                    "Argo CD keeps each generated Application's sync history: ",
                    Code("argocd app rollback APP_NAME"),
                    caveat,
                    *site.where,
                ),
                Confidence.HINT,
                line,
                item=item,
                tech="argocd",
                rank=60,
            )
        )
        return facts

    # values

    def _values_facts(self, deployment: Deployment) -> list[Fact]:
        facts: list[Fact] = []
        values = deployment.values
        for path, host, tls in _ingress_hosts(values.data, self.aliases):
            origin = values.where(path)
            if not origin or host.lower() in _HELM_CREATE_HOSTS or is_placeholder_host(host.lower()):
                continue
            url = f"{'https' if tls else 'http'}://{host}"
            site = self.site(deployment, origin[0])
            facts.append(
                fact(
                    site,
                    "env.url",
                    (Code(url), " from ", Code(path), *self.where),
                    Confidence.DECLARED,
                    origin[1],
                    rank=20,
                    attrs={"url": url},
                )
            )
        facts += self._special_facts(deployment)
        facts += self._variable_facts(deployment)
        self._switches(deployment)
        self._value_probes(deployment)
        return facts

    def _special_facts(self, deployment: Deployment) -> list[Fact]:
        facts: list[Fact] = []
        values = deployment.values
        base_path = self.chart.values.path if self.chart.values else ""
        base = self.merger.values([self.chart.values] if self.chart.values else [])
        for prefix, node in _components(values.data, self.aliases):
            for key in _SPECIAL_KEYS:
                if key not in node:
                    continue
                path = f"{prefix}{key}"
                origin = values.where(path)
                described = _describe_special(key, node[key])
                if not origin or not described:
                    continue
                if (
                    key in ("replicaCount", "replicas")
                    and node[key] == 1
                    and (origin[0] == base_path or base.get(path) == 1)
                ):
                    continue  # one replica is Helm's default (`helm create`), not a configuration
                if _TEMPLATE_KIND.get(key) in self.kinds:
                    continue  # the chart's own HPA/PDB template says it, with its condition
                site = self.site(deployment, origin[0], where=(*self.where,))
                facts.append(
                    fact(
                        site,
                        "env.special",
                        ("Helm value ", Code(path), ": ", described, *self.where),
                        Confidence.DECLARED,
                        origin[1],
                        item=f"helm:{self.chart.directory}:{path}",
                        rank=40,
                    )
                )
        return facts

    def _variable_facts(self, deployment: Deployment) -> list[Fact]:
        values = deployment.values
        by_file: dict[str, list[Variable]] = defaultdict(list)
        for prefix, node in _components(values.data, self.aliases):
            for name, value in [*node.items(), *_nested_levels(node)]:  # `logLevel: info`, `log: {level: INFO}`
                if isinstance(name, str) and (LOG_LEVEL_KEYS.match(name) or name.endswith(".level")) \
                        and isinstance(value, (str, int)) \
                        and not isinstance(value, bool) and str(value).strip():  # "": the program's default
                    origin = values.where(f"{prefix}{name}")
                    if origin:
                        # named with its component (vault-helm's `injector.logLevel` is the injector's, not
                        # the server's)
                        by_file[origin[0]].append(Variable(f"{prefix}{name}", str(value), origin[1]))
            for key in _ENV_KEYS:
                if key not in node:
                    continue
                for name, value, path in _env_entries(node[key], f"{prefix}{key}"):
                    origin = values.where(path) or values.where(f"{prefix}{key}")
                    if origin:
                        by_file[origin[0]].append(Variable(name, value, origin[1]))
        facts: list[Fact] = []
        for path, variables in sorted(by_file.items()):
            where = ("in Helm values ", Code(_base(path)), " of chart ", Code(self.chart.name))
            facts += read_variables(self.detector, path, deployment.env, where, variables, True)
        return facts

    def _switches(self, deployment: Deployment) -> None:
        self._switch_states = getattr(self, "_switch_states", defaultdict(list))
        for path, kind in _monitor_switches(deployment.values.data):
            origin = deployment.values.where(f"{path}.enabled")
            if origin:
                self._switch_states[(path, kind)].append(
                    (deployment.env, truthy(deployment.values.get(f"{path}.enabled")), origin)
                )

    def _switch_facts(self) -> list[Fact]:
        facts: list[Fact] = []
        for (path, kind), states in sorted(getattr(self, "_switch_states", {}).items()):
            if f"{path}.enabled" in self.guarded:
                continue  # the template itself was reported, with this switch as its guard
            on = [s for s in states if s[1] is True]
            owner = path.split(".")[0]
            subject: tuple[Part, ...] = (" of subchart ", Code(owner)) if owner in self.aliases else ()
            envs = sorted({str(s[0]) for s in on if s[0]})
            when = f" ({', '.join(envs)})" if envs else ""
            origin = (on or states)[0][2]
            body: tuple[Part, ...] = (
                "Prometheus (Prometheus Operator ",
                kind,
                *subject,
                " switched on by " if on else " available but off: ",
                Code(f"{path}.enabled"),
                when,
                *self.where,
                ")",
            )
            facts.append(
                Fact(
                    "mon.infrastructure",
                    text(*body),
                    Confidence.DECLARED if on else Confidence.HINT,
                    self.detector.evidence(*origin),
                    item=f"switch:{self.chart.directory}:{path}",
                    tech="prometheus",
                    rank=40,
                    order=origin,
                )
            )
        return facts

    def _value_probes(self, deployment: Deployment) -> None:
        values = deployment.values
        for prefix, _node in _components(values.data, self.aliases):
            # vault-helm's `server.updateStrategyType: OnDelete`: the component's pods are replaced by
            # hand, and no rollout waits on its readiness probe
            update = next((str(v) for key in ("updateStrategyType", "updateStrategy.type", "strategy.type")
                           if isinstance(v := values.get(f"{prefix}{key}"), str)), "")
            for kind in ("readiness", "liveness"):
                for path in (f"{prefix}{kind}Probe", f"{prefix}probes.{kind}"):
                    probe = values.get(path)
                    origin = values.where(path) if isinstance(probe, dict) else None
                    # an empty `readinessProbe: {}` is a place for one, not a probe
                    if isinstance(probe, dict) and probe and origin and probe.get("enabled", True) is not False:
                        http = probe.get("httpGet")
                        desc = f"GET {http['path']}" if isinstance(http, dict) and http.get("path") else ""
                        obj = {
                            "kind": "Helm values",
                            "name": self.chart.name,
                            "update": update,
                            "containers": [{"probes": [[kind, desc, origin[1]]]}],
                        }
                        self.value_probes.add_probes(obj, Site(self.detector, origin[0], deployment.env, ()))


_HELM_VALUE_FLAGS = frozenset(
    {
        "-f",
        "--values",
        "-n",
        "--namespace",
        "--set",
        "--set-string",
        "--set-file",
        "--version",
        "--kube-context",
        "--timeout",
        "--repo",
        "--post-renderer",
        "--description",
        "--history-max",
        "--kubeconfig",
    }
)


def parse_helm_command(command: str) -> tuple[str, str, list[str], str] | None:
    """(release, chart, values files, namespace) of a `helm install/upgrade`; None for anything else."""
    try:
        argv = shlex.split(command)
    except ValueError:
        argv = command.split()
    if "helm" not in argv:
        return None
    argv = argv[argv.index("helm") + 1 :]
    if not argv or argv[0] not in ("install", "upgrade"):
        return None
    positional: list[str] = []
    files: list[str] = []
    namespace = ""
    index = 1
    while index < len(argv):
        arg = argv[index]
        flag, _, inline = arg.partition("=")
        if flag in _HELM_VALUE_FLAGS:
            value = inline or (argv[index + 1] if index + 1 < len(argv) else "")
            index += 0 if inline else 1
            if flag in ("-f", "--values"):
                files += [v for v in value.split(",") if v and "$" not in v]
            elif flag in ("-n", "--namespace"):
                namespace = value
        elif not arg.startswith("-"):
            positional.append(arg)
        index += 1
    if not positional or "$" in positional[-1]:
        return None
    release = positional[0] if len(positional) > 1 else ""
    return release, positional[-1], files, namespace


def _helm_commands(ctx: ResolveContext) -> Iterator[tuple[str, int, str]]:
    """Helm deploy commands the scripts detector classified, in scripts and task targets."""
    for record in ctx.records("script.command"):
        if record.data.get("kind") == "deploy" and record.data.get("tool") == "helm":
            yield record.path, record.line, str(record.data.get("command", ""))
    for record in ctx.records("task.target"):
        for found in record.data.get("classified", []):
            if found.get("kind") == "deploy" and found.get("tool") == "helm":
                yield record.path, int(found.get("line") or record.line), str(found.get("command", ""))


def _join(base: str, relative: str) -> str:
    """A chart's or a values file's repository path from `base`: `.` for the top, as charts are keyed
    (`folder_of`), where `repo_path` says `""`."""
    return repo_path(base, relative) or "."


def _owner(path: str, charts: dict[str, Chart], inside: str | None) -> Chart | None:
    """The nearest chart above `path` (and, with `inside`, only through that subfolder of it)."""
    parts = path.split("/")
    for i in range(len(parts) - 1, -1, -1):
        directory = "/".join(parts[:i]) if i else "."
        chart = charts.get(directory) or (charts.get("") if directory == "." else None)
        if chart is None:
            continue
        if inside is None or (i < len(parts) - 1 and parts[i] == inside):
            return chart
        return None
    return None


def _base(path: str) -> str:
    """A file's name. Repository paths are relative, `/`-separated and normalised, so string
    operations give what `PurePosixPath` would, without its cost in per-record loops."""
    return path.rsplit("/", 1)[-1]


def _first_env(names: list[str]) -> str | None:
    for name in names:
        if name and "__TPL" not in name:
            env = env_from_name(PurePosixPath(name).name) or (env_from_name(name) if "/" in name else None)
            if env:
                return env
    return None


def _token_sites(node: Any, found: list[int]) -> Any:
    """Where a summary's strings hold template tokens (`__TPLn__`), so that only those are rebuilt.

    True for such a string, a map from key or index to what lies below for a container that
    holds some, None where there are none; `found` gets the token numbers in walk order.
    """
    if isinstance(node, str):
        if "__TPL" not in node:
            return None
        found.extend(map(int, _TOKEN.findall(node)))
        return True
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    sites: dict[Any, Any] = {}
    for key, child in children:
        if isinstance(child, str):  # most of a summary: read here rather than in a call of its own
            if "__TPL" in child:
                found.extend(map(int, _TOKEN.findall(child)))
                sites[key] = True
        elif isinstance(child, (dict, list)):
            below = _token_sites(child, found)
            if below is not None:
                sites[key] = below
    return sites or None


def _substituted(
    summary: dict[str, Any], sites: Any, tokens: list[list[Any]], values: dict[int, str | None]
) -> dict[str, Any]:
    """A template document's summary with its tokens replaced by their values.

    Only the maps and lists on the way to a token are copied; the rest is shared with the record,
    which nothing changes in phase 2.
    """

    def fill(node: Any, below: Any) -> Any:
        if below is True:
            return _TOKEN.sub(lambda m: values[int(m.group(1))] or _unresolved(tokens[int(m.group(1))][0]), node)
        copied: Any = dict(node) if isinstance(node, dict) else list(node)
        for key, deeper in below.items():
            copied[key] = fill(node[key], deeper)
        return copied

    obj: dict[str, Any] = fill(summary, sites) if sites else dict(summary)
    obj.pop("replicas", None)  # `replicas: {{ .Values.replicaCount }}`: the values give it, with its file
    if any("__TPL" in str(h[0]) for h in summary.get("hosts", [])):
        obj.pop("hosts", None)  # values ingress hosts give these, with their file
    return obj


def _alerts_of_chart(facts: list[Fact], where: tuple[Part, ...], chart: str) -> list[Fact]:
    """Beyond six alert rules of a level in a chart, one statement for the chart: kube-prometheus-stack's
    templates hold 45 critical and 105 warning rules in 30 files, which read as 150 lines. Each
    template's own switches are left out: only rules the chart's values render are grouped."""
    groups: dict[tuple[str, Confidence], list[Fact]] = defaultdict(list)
    for found in facts:
        if found.field in ("alert.critical", "alert.warning") and found.confidence is not Confidence.HINT \
                and ("alert" in found.attrs or "alerts" in found.attrs):
            groups[(found.field, found.confidence)].append(found)
    named = {key: _alert_names(members) for key, members in groups.items()}
    grouped = {id(f) for key, members in groups.items() if len(named[key]) > MAX_ALERTS for f in members}
    if not grouped:
        return facts
    out = [f for f in facts if id(f) not in grouped]
    for (field_id, confidence), members in groups.items():
        names = named[(field_id, confidence)]
        if len(names) <= MAX_ALERTS:
            continue
        severities = list(dict.fromkeys(str(s) for f in members
                                        for s in f.attrs.get("severities", [f.attrs.get("severity", "")])))
        out.append(Fact(
            field_id,
            text(*rules_counted(names, severities), " in PrometheusRule templates", *where, ", rendered by its values"),
            confidence,
            tuple(sorted({e for f in members for e in f.evidence})),
            item=f"alerts:{chart}:{field_id}",
            tech="prometheus",
            rank=30,
            order=min(f.order for f in members),
            attrs={"severity": severities[0], "alerts": names},
        ))
    return out


def _alert_names(facts: list[Fact]) -> list[str]:
    return [name for f in facts for name in (f.attrs["alerts"] if "alerts" in f.attrs else [f.attrs["alert"]])]


def _unresolved(expr: str) -> str:
    """How a template expression infrascan could not evaluate is shown (it still reads as a template)."""
    return "{{ " + expr + " }}" if len(expr) <= 40 else "{{…}}"


def _guard_text(paths: list[str], values: Values) -> str:
    """`a.enabled: true, b (3 entries)`: the values a template's guard read, a map or a list by its
    name and size (argocd-example-apps' `range .Values.applications` read "rendered when
    applications", as if a switch)."""
    def shown(path: str, value: Any) -> str:
        if isinstance(value, list):
            return f"{path} ({len(value)} {'entry' if len(value) == 1 else 'entries'})"
        if isinstance(value, dict):
            return f"{path} ({len(value)} {'key' if len(value) == 1 else 'keys'})"
        return f"{path}: {_show(value)}"

    return ", ".join(shown(p, values.get(p)) for p in paths[:2])


def _app_sources(app: dict[str, Any]) -> tuple[Part, ...]:
    """What generated Applications sync: literal path, repository and revision, else a note that
    template expressions decide them (never the expression text itself)."""
    parts: list[Part] = []
    for source in app["sources"]:
        where = source.get("path") or source.get("chart") or ""
        named = (("", where), (" from ", source.get("repo")), (" at ", source.get("revision")))
        literal = [(w, v) for w, v in named if v]
        if not literal or any("{{" in v for _, v in literal):
            return (" (each one's source path, repository and revision come from template expressions)",)
        parts.append(", " if parts else ": ")
        for joiner, value in literal:
            parts += [joiner, Code(value)] if joiner else [Code(value)]
    return tuple(parts)


@dataclass
class Rendered:
    """One template document in one deployment: whether it renders, and its summary there."""

    deployment: Deployment
    state: Any
    paths: list[str]
    obj: dict[str, Any]
    guard: tuple[Part, ...]
    evidence: tuple[Evidence, ...]


def _chart_version(dep: dict[str, Any]) -> str:
    """`postgresql 14.2.3`: the dependency's chart and its pinned (Chart.lock) or declared version."""
    return f"{dep['name']} {dep.get('pinned') or dep.get('version') or '(no version)'}"


def _env_list(deployments: list[Deployment]) -> str:
    names = sorted({d.env or "chart defaults" for d in deployments})
    return ", ".join(names)


def _show(value: Any) -> str:
    """A values scalar as YAML writes it (`true`, `null`, `""`)."""
    if isinstance(value, bool):
        return str(value).lower()
    if value == "":
        return '""'
    return "null" if value is None else str(value)


def store_version(
    detector: Detector, tech: Tech, chart: str, values: Values, prefix: str, defaults: Values
) -> tuple[str, tuple[Part, ...], tuple[Evidence, ...]]:
    """(label, image parts, evidence) for a database chart: the major from `image.tag`, never the chart's.

    `prefix` is where the chart's values sit (`postgresql.` for a subchart, "" for a release of the
    chart itself); `defaults` are the chart's own values when they are vendored in the repository.
    """

    def part(name: str) -> str | None:
        for source, path in ((values, f"{prefix}image.{name}"), (defaults, f"image.{name}")):
            found = source.get(path)
            if isinstance(found, (str, int, float)) and not isinstance(found, bool) and str(found):
                return str(found)
        return None

    repository, tag, registry = part("repository"), part("tag"), part("registry")
    image = values.get(f"{prefix}image")
    if isinstance(image, str):
        repository, tag = image.rsplit(":", 1) if ":" in image.split("/")[-1] else (image, None)
    if not tag:
        return f"{tech.name} (app version unknown)", (), ()
    ref = parse_image(f"{registry + '/' if registry else ''}{repository or chart.split()[0]}:{tag}")
    if ref is None:
        return f"{tech.name} (app version unknown)", (), ()
    found = detector.catalog.by_image(ref)
    owner = found[0] if found and found[0].category == tech.category else tech
    # the line the tag was read from: the deployment's values, or the vendored chart's own defaults
    origin = values.where(f"{prefix}image.tag") or values.where(f"{prefix}image") or defaults.where("image.tag")
    ev = detector.evidence(*origin) if origin else ()
    shown = ref.reference() if repository else f"tag {tag}"
    return owner.image_label(ref), (", image ", Code(shown)), ev


def _external_setting(values: Values, key: str, tech: Tech) -> tuple[str, Any] | None:
    """Where an environment points at a database outside the chart (`externalDatabase.host`...)."""
    own = values.get(key)
    if isinstance(own, dict):
        for name, value in own.items():
            if str(name).lower().startswith("external") and not isinstance(value, dict):
                return f"{key}.{name}", value
    words = {tech.id.replace("-", ""), tech.name.lower().replace(" ", "")} | (
        {"database", "db"} if tech.category == "database" else set()
    )
    for name, value in values.data.items():
        lowered = str(name).lower()
        if lowered.startswith("external") and any(w in lowered for w in words):
            if isinstance(value, dict):
                for sub in ("url", "uri", "host", "hostname", "existingSecret", "dsn"):
                    if sub in value:
                        return f"{name}.{sub}", value[sub]
            return str(name), value if not isinstance(value, dict) else ""
    for prefix, node in _components(values.data, set(), running=False):
        for env_key in _ENV_KEYS:
            for name, value, path in _env_entries(node.get(env_key), f"{prefix}{env_key}"):
                scheme = (value or "").split("://", 1)[0].lower() if value and "://" in value else ""
                by_scheme = detector_catalog().by_url_scheme(scheme) if scheme else None
                matches = (
                    by_scheme.id == tech.id if by_scheme else tech.category == "database" or tech.id in name.lower()
                )
                if _DATABASE_URL_KEYS.search(name) and matches:
                    return path, value
    return None


def _nested_levels(node: Mapping[Any, Any]) -> list[tuple[str, Any]]:
    """A component's log level written as a tree (traefik's chart: `log: {level: INFO}`, and
    `logs: {general: {level: INFO}}` in its v2 layout; `logging: {level: debug}`): named by its path."""
    found = []
    for key in ("log", "logs", "logging"):
        section = node.get(key)
        if not isinstance(section, Mapping):
            continue
        if "level" in section:
            found.append((f"{key}.level", section["level"]))
        general = section.get("general")
        if isinstance(general, Mapping) and "level" in general:
            found.append((f"{key}.general.level", general["level"]))
    return found


def _components(
    data: dict[str, Any], aliases: set[str], running: bool = True
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The values root and its first-level maps (`web.`, `worker.`), skipping subcharts' values and,
    when only `running` ones are wanted, a component switched off (n8n's `webhookProcessor.enabled:
    false`), which runs no replicas and configures nothing that runs."""
    yield "", data
    for key, node in data.items():
        if isinstance(node, dict) and key not in aliases and key != "global" \
                and not (running and node.get("enabled") is False):
            yield f"{key}.", node


def _env_entries(node: Any, path: str) -> Iterator[tuple[str, str | None, str]]:
    """Variables in a values `env` list (`- name: X value: y`) or map (`X: y`), with their key paths."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                value = item.get("value")
                yield (
                    item["name"],
                    None if value is None or isinstance(value, (dict, list)) else str(value),
                    (f"{path}.{index}.name"),
                )
    elif isinstance(node, dict):
        for name, value in node.items():
            if isinstance(name, str) and _VARIABLE_NAME.fullmatch(name):
                shown = None if value is None or isinstance(value, (dict, list)) else str(value)
                yield name, shown, f"{path}.{name}"


def _ingress_hosts(data: dict[str, Any], aliases: set[str]) -> Iterator[tuple[str, str, bool]]:
    """(key path, host, tls) for every enabled `ingress`/`httpRoute` map in the values."""
    for path, node in _maps_named(data, ("ingress", "httpRoute", "route"), aliases):
        if node.get("enabled") is False or (path.endswith("route") and node.get("enabled") is not True):
            continue
        tls = node.get("tls")
        tls_all = tls is True
        tls_list = tls if isinstance(tls, list) else []
        tls_hosts = {str(h) for t in tls_list if isinstance(t, dict) for h in t.get("hosts") or []}
        candidates: list[tuple[str, Any]] = []
        for index, item in enumerate(node.get("hosts") or []):
            host = item.get("host") or item.get("name") if isinstance(item, dict) else item
            candidates.append(
                (
                    f"{path}.hosts.{index}"
                    + (
                        ".host"
                        if isinstance(item, dict) and "host" in item
                        else ".name"
                        if isinstance(item, dict)
                        else ""
                    ),
                    host,
                )
            )
        for key in ("host", "hostname"):
            candidates.append((f"{path}.{key}", node.get(key)))
        for index, item in enumerate(node.get("extraHosts") or []):
            candidates.append((f"{path}.extraHosts.{index}.name", item.get("name") if isinstance(item, dict) else None))
        for index, item in enumerate(node.get("hostnames") or []):
            candidates.append((f"{path}.hostnames.{index}", item))
        for index, entry in enumerate(tls_list):
            for sub, host in enumerate(entry.get("hosts") or [] if isinstance(entry, dict) else []):
                candidates.append((f"{path}.tls.{index}.hosts.{sub}", host))
        seen: set[str] = set()
        for key_path, host in candidates:
            if isinstance(host, str) and host and "{{" not in host and host not in seen:
                seen.add(host)
                yield key_path, host, tls_all or host in tls_hosts


def _maps_named(
    data: dict[str, Any], names: tuple[str, ...], aliases: set[str], prefix: str = "", depth: int = 0
) -> Iterator[tuple[str, dict[str, Any]]]:
    for key, node in data.items():
        if not isinstance(node, dict) or (depth == 0 and key in aliases):
            continue
        path = f"{prefix}{key}"
        if key in names:
            yield path, node
        elif depth < _MAX_NESTING:
            yield from _maps_named(node, names, aliases, path + ".", depth + 1)


def _monitor_switches(data: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for path, node in _maps_named(data, _SWITCH_KEYS, set()):
        if "enabled" in node:
            yield path, _SWITCH_KINDS[path.rsplit(".", 1)[-1]]


def _describe_special(key: str, value: Any) -> str | None:
    if key in ("replicaCount", "replicas") and isinstance(value, int) and not isinstance(value, bool):
        # 0 switches a component off (grafana/loki's deployment modes): not a replica count to report
        return f"{value} replica{'s' if value != 1 else ''}" if value > 0 else None
    if not isinstance(value, dict):
        return None
    if key == "autoscaling":
        if value.get("enabled") is not True:
            return None
        cpu = value.get("targetCPUUtilizationPercentage") or value.get("targetCPU")
        return f"{value.get('minReplicas', '?')}–{value.get('maxReplicas', '?')} replicas" + (
            f" at {cpu}% CPU" if cpu else ""
        )
    if key == "resources":
        parts = []
        for kind in ("requests", "limits"):
            body = value.get(kind)
            if isinstance(body, dict) and body:
                parts.append(f"{kind} " + ", ".join(f"{k} {v}" for k, v in body.items()))
        return "; ".join(parts) or None
    if value.get("enabled") is False:
        return None
    for budget in ("minAvailable", "maxUnavailable"):
        if value.get(budget) is not None:
            return f"{budget} {value[budget]}"
    return "enabled" if value.get("enabled") is True else None


# -- helpers used by the detector -------------------------------------------------------------


def _command_items(blanked_text: str, line: int) -> list[tuple[int, str]]:
    """The `- item` lines of the command/args lists starting at `line` (1-based)."""
    lines = blanked_text.split("\n")
    items: list[tuple[int, str]] = []
    if line - 1 >= len(lines):
        return items
    indent = len(lines[line - 1]) - len(lines[line - 1].lstrip())
    for index in range(line, len(lines)):
        raw = lines[index]
        if not raw.strip():
            continue
        current = len(raw) - len(raw.lstrip())
        stripped = raw.strip()
        if current < indent or (current == indent and not stripped.startswith(("- ", "args:", "command:"))):
            break
        if stripped.startswith("- "):
            items.append((index + 1, stripped[2:].strip().strip("\"'")))
    return items
