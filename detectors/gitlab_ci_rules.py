"""When a GitLab CI job runs: `rules`, `only`/`except`, `when`, `workflow:rules`.

A job's conditions are read into `When`s, one per way the job can start: the pipeline source
(branch push, tag, merge request, schedule, ...), the refs it is limited to, qualifiers a reader
needs (changes to paths, a project guard, a variable), and whether it waits for a person (`when:
manual`) or a timer (`when: delayed`). `rules:if` expressions are parsed (GitLab's grammar:
`$VAR`, strings, `/regex/`, `null`, `==`, `!=`, `=~`, `!~`, `&&`, `||`, parentheses) into
disjunctive normal form; what each predefined variable means is data (`data/gitlab.yaml`).
`when: never` rules are negated into the rules after them where that is exact (single-atom
conditions). Jobs are then intersected with the workflow: a job for tags in a pipeline whose
workflow never creates tag pipelines never runs.

This is an approximation that never invents: a condition it cannot read is quoted as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from infrascan.model import Code, Part, phrase_list, text
from infrascan.yamlload import as_list

from .gitlab_ci_config import GMap, GSeq, Where, knowledge

MAX_CONJUNCTIONS = 64

# ==== expressions ================================================================================

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<op>==|!=|=~|!~|&&|\|\||\(|\))
    | \$\{?(?P<var>[A-Za-z_][A-Za-z0-9_]*)\}?
    | "(?P<dq>(?:\\.|[^"\\])*)"
    | '(?P<sq>(?:\\.|[^'\\])*)'
    | (?P<regex>/(?:\\.|[^/\\])*/[a-z]*)
    | (?P<null>null)\b
    | (?P<word>[^\s()&|=!]+)
    )""",
    re.X,
)


@dataclass(frozen=True)
class Atom:
    """One comparison: `var op value`; op is set, unset, ==, !=, =~ or !~."""

    var: str
    op: str
    kind: str = ""  # str, var, regex
    value: str = ""

    def negated(self) -> Atom:
        flip = {"set": "unset", "unset": "set", "==": "!=", "!=": "==", "=~": "!~", "!~": "=~"}
        return replace(self, op=flip[self.op])

    def written(self) -> str:
        if self.op in ("set", "unset"):
            return f"${self.var}" if self.op == "set" else f"${self.var} == null"
        value = f"${self.value}" if self.kind == "var" else (f'"{self.value}"' if self.kind == "str" else self.value)
        return f"${self.var} {self.op} {value}"


class ExpressionError(ValueError):
    pass


Conjunction = tuple[Atom, ...]


def parse_condition(expression: str) -> list[Conjunction]:
    """`rules:if` in disjunctive normal form: OR of ANDs of atoms."""
    tokens = _tokens(expression)
    parser = _Parser(tokens)
    result = parser.disjunction()
    if parser.pos != len(tokens):
        raise ExpressionError(f"unexpected `{tokens[parser.pos][1]}`")
    return result


def _tokens(expression: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    expression = expression.strip()
    while pos < len(expression):
        match = _TOKEN.match(expression, pos)
        if not match or match.end() == pos:
            raise ExpressionError(f"cannot read `{expression[pos:]}`")
        pos = match.end()
        kind = match.lastgroup or ""
        value = match.group(kind) if kind else ""
        if kind in ("dq", "sq"):
            kind = "str"
        out.append((kind, value or ""))
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        token = self._peek()
        if token is None:
            raise ExpressionError("expression ends too early")
        self.pos += 1
        return token

    def disjunction(self) -> list[Conjunction]:
        result = self.conjunction()
        while self._peek() == ("op", "||"):
            self._take()
            result = result + self.conjunction()
            if len(result) > MAX_CONJUNCTIONS:
                raise ExpressionError("condition too complex")
        return result

    def conjunction(self) -> list[Conjunction]:
        result = self.primary()
        while self._peek() == ("op", "&&"):
            self._take()
            right = self.primary()
            result = [a + b for a in result for b in right]
            if len(result) > MAX_CONJUNCTIONS:
                raise ExpressionError("condition too complex")
        return result

    def primary(self) -> list[Conjunction]:
        token = self._take()
        if token == ("op", "("):
            inner = self.disjunction()
            if self._take() != ("op", ")"):
                raise ExpressionError("missing `)`")
            return inner
        left = token
        nxt = self._peek()
        if nxt is not None and nxt[0] == "op" and nxt[1] in ("==", "!=", "=~", "!~"):
            self._take()
            right = self._take()
            return [(_comparison(left, nxt[1], right),)]
        if left[0] == "var":
            return [(Atom(left[1], "set"),)]
        if left[0] in ("str", "word"):  # a bare literal: true when not empty
            return [()] if left[1] else []
        raise ExpressionError(f"unexpected `{left[1]}`")


def _comparison(left: tuple[str, str], op: str, right: tuple[str, str]) -> Atom:
    if left[0] != "var" and right[0] == "var":
        left, right = right, left
    if left[0] != "var":
        raise ExpressionError("a comparison needs a variable")
    if right[0] == "null":
        return Atom(left[1], "unset" if op == "==" else "set")
    kind = {"var": "var", "regex": "regex", "str": "str", "word": "str"}.get(right[0], "str")
    if right[0] == "str" and right[1] == "" and op in ("==", "!="):
        return Atom(left[1], "unset" if op == "==" else "set")
    return Atom(left[1], op, kind, right[1])


# ==== when a job runs ===========================================================================


@dataclass(frozen=True)
class Qualifier:
    """A condition a reader needs beside the trigger; `guard`s (project, namespace, instance) and
    `changes` are factored out of a job's phrase when every way it starts shares them. A guard
    `away` holds only where this project is not (forks, other namespaces or instances): the
    project's own pipelines never start the job that way."""

    parts: tuple[Part, ...]
    kind: str = "condition"  # condition, guard, changes
    away: bool = False


def cond(*parts: Part) -> Qualifier:
    return Qualifier(text(*parts))


def guard(*parts: Part, away: bool = False) -> Qualifier:
    return Qualifier(text(*parts), "guard", away)


def changed(*parts: Part) -> Qualifier:
    return Qualifier(text(*parts), "changes")


@dataclass(frozen=True)
class When:
    """One way a job starts."""

    source: str = "any"  # push, branch, tag, merge_request, schedule, web, api, trigger, pipeline, ...
    refs: tuple[str, ...] = ()  # "$default", a name, or "/regex/"
    not_refs: tuple[str, ...] = ()
    qualifiers: tuple[Qualifier, ...] = ()
    manual: bool = False
    delayed: str | None = None
    # The line that proves how the job starts (the `rules:` entry, its `when: manual`, the `only:`
    # key): what a trigger statement cites. Not part of what the `When` means, so not compared.
    where: Where | None = field(default=None, compare=False)


def _literal_variables(variables: GMap | None) -> dict[str, str]:
    """Variables whose value is written in the file (`value:` of the long form included)."""
    out: dict[str, str] = {}
    for key, value in (variables or {}).items():
        if isinstance(value, GMap):
            value = value.get("value")
        if isinstance(value, (str, int)) and not isinstance(value, bool) and "$" not in str(value):
            out[str(key)] = str(value)
    return out


def _is_tagish(value: str) -> bool:
    """A ref name or pattern that names release tags (`v1.2`, `/^v\\d+/`, `/\\Av[0-9]/`)."""
    return bool(re.match(r"^(?:/\^?(?:\\A)?\(?v|v\d)", value))


class Interpreter:
    """Turns conditions into `When`s, knowing the pipeline's literal variables."""

    def __init__(self, variables: GMap | None) -> None:
        self.kb = knowledge()
        self.known = _literal_variables(variables)

    # -- atoms -----------------------------------------------------------------------------

    def when_of(self, atoms: Iterable[Atom]) -> list[When]:
        """The `When`s one conjunction allows; empty when it can never hold."""
        state = _State()
        seen: set[Atom] = set()
        for atom in atoms:
            if atom in seen:
                continue
            if atom.negated() in seen or not self._apply(state, atom):
                return []
            seen.add(atom)
        return state.finish()

    def _apply(self, state: _State, atom: Atom) -> bool:
        meaning = self.kb.variables.get(atom.var)
        if meaning is None:
            if atom.var.startswith(("CI_", "GITLAB_")):
                state.qualifiers.append(cond("when ", Code(atom.written())))
                return True
            return self._custom(state, atom)
        if meaning in ("ignore", "open_mr"):
            return True  # open_mr only picks a branch or a merge request pipeline for the same push
        handler = getattr(self, f"_on_{meaning}", None)
        return bool(handler(state, atom)) if handler else True

    def _custom(self, state: _State, atom: Atom) -> bool:
        """A project variable: decided by its literal value where the file sets one."""
        known = self.known.get(atom.var)
        if known is not None and atom.kind in ("", "str"):
            return _decide(atom, known)
        if atom.kind == "var" and known is not None and atom.value in self.known:
            return _decide(replace(atom, kind="str", value=self.known[atom.value]), known)
        value: Part = Code(atom.value if atom.kind != "var" else f"${atom.value}")
        phrase = {
            "set": text("when ", Code(atom.var), " is set"),
            "unset": text("unless ", Code(atom.var), " is set"),
            "==": text("when ", Code(atom.var), " is ", value),
            "!=": text("unless ", Code(atom.var), " is ", value),
            "=~": text("when ", Code(atom.var), " matches ", value),
            "!~": text("unless ", Code(atom.var), " matches ", value),
        }[atom.op]
        default = text(" (default ", Code(known), ")") if known is not None else ()
        state.qualifiers.append(cond(*phrase, *default))
        return True

    def _on_source(self, state: _State, atom: Atom) -> bool:
        values = self._source_values(atom)
        if atom.op in ("==", "=~"):
            state.sources = values if state.sources is None else state.sources & values
        elif atom.op in ("!=", "!~"):
            state.not_sources |= values
        return state.sources is None or bool(state.sources - state.not_sources)

    def _source_values(self, atom: Atom) -> set[str]:
        if atom.kind == "regex":
            words = re.findall(r"[a-z_]+", atom.value)
            return {self.kb.sources[w] for w in words if w in self.kb.sources}
        return {self.kb.sources.get(atom.value, atom.value)}

    def _on_branch(self, state: _State, atom: Atom) -> bool:
        return self._pipeline_ref(state, atom, "branch")

    def _on_tag(self, state: _State, atom: Atom) -> bool:
        return self._pipeline_ref(state, atom, "tag")

    def _pipeline_ref(self, state: _State, atom: Atom, kind: str) -> bool:
        """CI_COMMIT_BRANCH / CI_COMMIT_TAG: set only in branch / tag pipelines."""
        if atom.op == "unset":
            state.not_sources.add(kind)
            return True
        if atom.op in ("set", "==", "=~"):
            setattr(state, kind, True)
        return atom.op == "set" or self._ref(state, atom, kind)

    def _on_ref(self, state: _State, atom: Atom) -> bool:
        if atom.op in ("set", "unset"):
            return True
        if atom.op in ("==", "=~"):
            if _is_tagish(atom.value):
                state.tag = True
            else:
                state.branch = True
        return self._ref(state, atom)

    def _ref(self, state: _State, atom: Atom, kind: str = "ref") -> bool:
        value = self._ref_value(atom)
        if value is None:
            state.qualifiers.append(cond("when ", Code(atom.written())))
            return True
        if atom.op in ("==", "=~"):
            if (
                state.refs
                and value not in state.refs
                and not value.startswith("/")
                and not state.refs[0].startswith("/")
            ):
                return False
            state.refs.append(value)
        else:
            state.not_refs.append((kind, value))
        return True

    def _ref_value(self, atom: Atom) -> str | None:
        if atom.kind == "var":
            meaning = self.kb.variables.get(atom.value)
            if meaning == "default_branch":
                return "$default"
            return self.known.get(atom.value, None) or (f"${atom.value}" if meaning is None else None)
        if atom.kind == "regex":
            return atom.value
        return atom.value

    def _on_default_branch(self, state: _State, atom: Atom) -> bool:
        if atom.kind == "var" and self.kb.variables.get(atom.value) in ("branch", "ref"):
            flipped = Atom(atom.value, atom.op, "var", atom.var)
            return self._on_branch(state, flipped)
        return True

    def _on_merge_request(self, state: _State, atom: Atom) -> bool:
        if atom.op == "unset":
            state.not_sources.add("merge_request")
        else:
            state.merge_request = True
        return True

    def _on_mr_target(self, state: _State, atom: Atom) -> bool:
        state.merge_request = True
        if atom.op in ("==", "=~"):
            value = self._ref_value(atom) or atom.value
            phrase = "the default branch" if value == "$default" else None
            state.qualifiers.append(cond("into ", phrase) if phrase else cond("into ", Code(value)))
        return True

    def _on_mr_source(self, state: _State, atom: Atom) -> bool:
        state.merge_request = True
        if atom.op in ("==", "=~"):
            state.qualifiers.append(cond("from ", Code(atom.value)))
        return True

    def _on_mr_labels(self, state: _State, atom: Atom) -> bool:
        state.merge_request = True
        if atom.op in ("=~", "=="):
            state.qualifiers.append(cond("labelled ", Code(atom.value)))
        elif atom.op in ("!~", "!="):
            state.qualifiers.append(cond("not labelled ", Code(atom.value)))
        return True

    def _on_mr_source_project(self, state: _State, atom: Atom) -> bool:
        """`$CI_MERGE_REQUEST_SOURCE_PROJECT_PATH == $CI_PROJECT_PATH`: merge requests from this project, not forks."""
        state.merge_request = True
        own = atom.kind == "var" and self.kb.variables.get(atom.value) == "project"
        if own and atom.op in ("==", "!="):
            # both hold in this project's own pipelines: a fork's merge request runs here too
            state.qualifiers.append(guard("from this project, not forks" if atom.op == "==" else "from forks"))
        elif atom.op in ("==", "=~"):
            state.qualifiers.append(guard("from project ", Code(atom.value)))
        return True

    def _on_project(self, state: _State, atom: Atom) -> bool:
        return self._guard(state, atom, "project")

    def _on_namespace(self, state: _State, atom: Atom) -> bool:
        return self._guard(state, atom, "namespace")

    def _on_server(self, state: _State, atom: Atom) -> bool:
        return self._guard(state, atom, "instance")

    def _guard(self, state: _State, atom: Atom, what: str) -> bool:
        if atom.op in ("set", "unset"):
            return atom.op == "set"
        value = self._ref_value(atom) if atom.kind == "var" else atom.value
        if atom.op in ("==", "=~"):
            state.qualifiers.append(guard(f"in {what} ", Code(value or atom.written())))
        else:
            state.qualifiers.append(guard(f"outside {what} ", Code(value or atom.written()), away=True))
        return True

    def _on_message(self, state: _State, atom: Atom) -> bool:
        phrase = "commit message matching " if atom.op in ("=~", "==") else "commit message not matching "
        state.qualifiers.append(cond(phrase, Code(atom.value)))
        return True

    def _on_protected(self, state: _State, atom: Atom) -> bool:
        positive = (atom.op == "==" and atom.value == "true") or atom.op == "set"
        state.qualifiers.append(cond("protected refs only" if positive else "unprotected refs only"))
        return True

    def _on_freeze(self, state: _State, atom: Atom) -> bool:
        state.qualifiers.append(cond("outside deploy freezes" if atom.op == "unset" else "during a deploy freeze"))
        return True

    def _on_triggered(self, state: _State, atom: Atom) -> bool:
        if atom.op in ("set", "==") and atom.value in ("", "true"):
            state.sources = {"trigger"} if state.sources is None else state.sources & {"trigger"}
        return True

    def _on_kubernetes(self, state: _State, atom: Atom) -> bool:
        positive = atom.op == "set" or (atom.op == "==" and atom.value == "true")
        state.qualifiers.append(
            cond("with a Kubernetes cluster connected" if positive else "without a Kubernetes cluster")
        )
        return True


def _decide(atom: Atom, known: str) -> bool:
    if atom.op == "set":
        return known != ""
    if atom.op == "unset":
        return known == ""
    if atom.op == "==":
        return known == atom.value
    if atom.op == "!=":
        return known != atom.value
    pattern = _python_regex(atom.value)
    if pattern is None:
        return True
    found = bool(pattern.search(known))
    return found if atom.op == "=~" else not found


def _python_regex(value: str) -> re.Pattern[str] | None:
    match = re.fullmatch(r"/(.*)/([a-z]*)", value, re.S)
    if not match:
        return None
    body = match.group(1).replace(r"\A", "^").replace(r"\z", "$").replace(r"\Z", "$")
    try:
        return re.compile(body, re.I if "i" in match.group(2) else 0)
    except re.error:
        return None


@dataclass
class _State:
    """What one conjunction has said so far about the pipeline it holds in."""

    sources: set[str] | None = None
    not_sources: set[str] = field(default_factory=set)
    branch: bool = False
    tag: bool = False
    merge_request: bool = False
    refs: list[str] = field(default_factory=list)
    not_refs: list[tuple[str, str]] = field(default_factory=list)  # (branch|tag|ref, name or /regex/)
    qualifiers: list[Qualifier] = field(default_factory=list)

    def finish(self) -> list[When]:
        kinds = [
            k for k, on in (("merge_request", self.merge_request), ("tag", self.tag), ("branch", self.branch)) if on
        ]
        if len(kinds) > 1:
            return []  # CI_COMMIT_BRANCH, CI_COMMIT_TAG and merge request variables never meet
        implied = kinds[0] if kinds else None
        if implied in self.not_sources:
            return []
        if self.sources is None:
            candidates = [implied or "any"]
        else:
            candidates = [c for c in (self._fit(s, implied) for s in sorted(self.sources)) if c]
        out: list[When] = []
        for source in candidates:
            if source in self.not_sources:
                continue
            if source == "any" and self.not_sources:
                out.extend(self._when(s) for s in ("branch", "tag", "merge_request") if s not in self.not_sources)
            else:
                out.append(self._when(source))
        return out

    @staticmethod
    def _fit(source: str, implied: str | None) -> str | None:
        """A pipeline source narrowed by what the ref variables imply (a push to a branch is `branch`)."""
        if implied is None:
            return source
        if implied == "merge_request":
            return source if source == "merge_request" else None
        if source == "merge_request":
            return None
        return implied if source == "push" else source

    def _when(self, source: str) -> When:
        refs = tuple(self.refs) if source not in ("merge_request", "parent_pipeline", "pipeline", "trigger") else ()
        # `$CI_COMMIT_BRANCH != "main"` says nothing about tag pipelines (the variable is unset there)
        excluded = [r for kind, r in self.not_refs if kind == "ref" or (kind == "tag") == (source == "tag")]
        if source == "merge_request":
            excluded = []
        return When(source, refs, tuple(dict.fromkeys(excluded)), tuple(self.qualifiers))


# ==== rules, only/except, workflow ==============================================================


@dataclass
class RuleProblem:
    message: str
    line: int


def _changes(rule: GMap) -> list[Qualifier]:
    out: list[Qualifier] = []
    changes = rule.get("changes")
    if isinstance(changes, GMap):
        changes = changes.get("paths")
    paths = [str(p) for p in as_list(changes)]
    if paths:
        shown = ", ".join(paths[:3]) + (", ..." if len(paths) > 3 else "")
        out.append(changed("changes to ", Code(shown)))
    exists = rule.get("exists")
    if isinstance(exists, GMap):
        exists = exists.get("paths")
    files = [str(p) for p in as_list(exists)]
    if files:
        out.append(cond("when ", Code(", ".join(files[:3])), " exists"))
    return out


class Conditions:
    """Reads one job's (or the workflow's) conditions into `When`s."""

    def __init__(self, interpreter: Interpreter) -> None:
        self.interpreter = interpreter
        self.problems: list[RuleProblem] = []

    def rules(
        self, rules: Any, job_when: str | None = None, start_in: str | None = None, job_when_at: Where | None = None
    ) -> list[When]:
        """`job_when_at` is where the job's own `when:` is written: it proves a manual start when the
        rule that adds the job says nothing."""
        out: list[When] = []
        negations: list[Atom] = []
        for index, rule in enumerate(as_list(rules)):
            if not isinstance(rule, GMap):
                continue
            entry = rules.where_of(index) if isinstance(rules, GSeq) else None
            line = entry[1] if entry else 0
            dnf = self._condition(rule, line)
            if dnf is None:
                continue
            when = str(rule.get("when") or job_when or "on_success")
            qualifiers = _changes(rule)
            if when == "never":
                if qualifiers:
                    continue
                if dnf == [()]:
                    break
                if all(len(conj) == 1 for conj in dnf):
                    negations.extend(conj[0].negated() for conj in dnf)
                continue
            delayed = str(rule.get("start_in") or start_in or "") if when == "delayed" else None
            proof = entry
            if when in ("manual", "delayed"):
                proof = rule.where_of("when") if "when" in rule else job_when_at or entry
            for conj in dnf:
                for found in self.interpreter.when_of((*conj, *negations)):
                    out.append(
                        replace(
                            found,
                            qualifiers=_unique(found.qualifiers + tuple(qualifiers)),
                            manual=when == "manual",
                            delayed=delayed or None,
                            where=proof,
                        )
                    )
            if dnf == [()] and not qualifiers:
                break
        return out

    def _condition(self, rule: GMap, line: int) -> list[Conjunction] | None:
        expression = rule.get("if")
        if expression is None:
            return [()]
        try:
            return parse_condition(str(expression))
        except ExpressionError as exc:
            self.problems.append(RuleProblem(f"cannot read rule condition `{expression}`: {exc}", line))
            return None

    def only_except(
        self,
        only: Any,
        except_: Any,
        job_when: str | None,
        start_in: str | None,
        only_at: Where | None = None,
        job_when_at: Where | None = None,
    ) -> list[When]:
        """`only_at` and `job_when_at` are where `only:` and the job's `when:` are written: the
        lines that prove when the job starts and that a person starts it."""
        manual = job_when == "manual"
        proof = job_when_at if job_when in ("manual", "delayed") else only_at
        delayed = str(start_in or "") if job_when == "delayed" else None
        only_refs, only_vars, only_changes = _only_parts(only)
        if only is None or (isinstance(only, GMap) and "refs" not in only):
            only_refs = only_refs or ["branches", "tags"]
        whens = [w for ref in only_refs for w in self._ref_when(ref)]
        if only_vars:
            combined: list[When] = []
            for expression in only_vars:
                try:
                    dnf = parse_condition(expression)
                except ExpressionError as exc:
                    self.problems.append(RuleProblem(f"cannot read `only:variables` `{expression}`: {exc}", 0))
                    continue
                for conj in dnf:
                    for extra in self.interpreter.when_of(conj):
                        combined.extend(w for w in (intersect(base, extra) for base in whens) if w is not None)
            whens = combined
        if only_changes:
            whens = [replace(w, qualifiers=_unique((*w.qualifiers, *only_changes))) for w in whens]
        whens = self._except(whens, except_)
        return [replace(w, manual=manual, delayed=delayed or None, where=proof) for w in whens]

    def _ref_when(self, ref: str) -> list[When]:
        name, _, project = ref.partition("@")
        qualifiers: tuple[Qualifier, ...] = (guard("in project ", Code(project)),) if project else ()
        keyword = self.interpreter.kb.only_keywords.get(name)
        if keyword:
            return [When(keyword, qualifiers=qualifiers)]
        source = "tag" if _is_tagish(name) else "branch"
        return [When(source, refs=(name,), qualifiers=qualifiers)]

    def _except(self, whens: list[When], except_: Any) -> list[When]:
        refs, variables, changes = _only_parts(except_)
        out = []
        for when in whens:
            kept: When | None = when
            for ref in refs:
                if kept is None:
                    break
                kept = self._exclude(kept, ref)
            if kept is not None and variables:
                extra = tuple(cond("unless ", Code(v)) for v in variables)
                kept = replace(kept, qualifiers=_unique(kept.qualifiers + extra))
            if kept is not None and changes:
                kept = replace(
                    kept,
                    qualifiers=_unique(
                        (*kept.qualifiers, changed("unless only these change: ", *changes[0].parts[1:]))
                    ),
                )
            if kept is not None:
                out.append(kept)
        return out

    def _exclude(self, when: When, ref: str) -> When | None:
        name, _, project = ref.partition("@")
        keyword = self.interpreter.kb.only_keywords.get(name)
        if project:
            if keyword and keyword == when.source:
                elsewhere = guard("outside project ", Code(project), away=True)
                return replace(when, qualifiers=_unique((*when.qualifiers, elsewhere)))
            return when
        if keyword:
            return None if keyword == when.source or (keyword == "push" and when.source in ("branch", "tag")) else when
        if name in when.refs:
            return None
        return replace(when, not_refs=(*when.not_refs, name))


def _only_parts(value: Any) -> tuple[list[str], list[str], list[Qualifier]]:
    if value is None:
        return [], [], []
    if isinstance(value, GMap):
        refs = [str(r) for r in as_list(value.get("refs"))]
        variables = [str(v) for v in as_list(value.get("variables"))]
        changes = _changes(GMap({"changes": value.get("changes")})) if value.get("changes") else []
        return refs, variables, changes
    return [str(r) for r in as_list(value)], [], []


def _unique(items: Iterable[Qualifier]) -> tuple[Qualifier, ...]:
    seen: list[Qualifier] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return tuple(seen)


def intersect(job: When, outer: When) -> When | None:
    """The part of `job` that `outer` (the workflow, an include's rules) lets run."""
    source = _meet_source(job.source, outer.source)
    if source is None:
        return None
    refs = job.refs or outer.refs
    if job.refs and outer.refs and not _refs_meet(job.refs, outer.refs):
        return None
    return When(
        source=source,
        refs=refs,
        not_refs=tuple(dict.fromkeys((*job.not_refs, *outer.not_refs))),
        qualifiers=_unique((*outer.qualifiers, *job.qualifiers)),
        manual=job.manual or outer.manual,
        delayed=job.delayed or outer.delayed,
        where=job.where,
    )


def _meet_source(a: str, b: str) -> str | None:
    if a == b:
        return a
    if a == "any":
        return b
    if b == "any":
        return a
    pair = {a, b}
    if pair == {"push", "branch"}:
        return "branch"
    if pair == {"push", "tag"}:
        return "tag"
    if "branch" in pair and pair & _ON_A_BRANCH:
        return next(iter(pair & _ON_A_BRANCH))  # a scheduled or UI pipeline runs on a branch too
    return None


# Pipeline sources that run on a branch, where `$CI_COMMIT_BRANCH` is set as in a push.
_ON_A_BRANCH = frozenset({"schedule", "web", "api", "trigger", "pipeline", "chat"})


def _refs_meet(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    for x in a:
        for y in b:
            if x == y or ("$default" in (x, y) and not (x.startswith("/") or y.startswith("/"))):
                return True
            if x.startswith("/") or y.startswith("/"):
                regex, literal = (x, y) if x.startswith("/") else (y, x)
                pattern = _python_regex(regex)
                if literal.startswith("/") or literal.startswith("$") or pattern is None or pattern.search(literal):
                    return True
    return False


def restrict(whens: list[When], outer: list[When] | None) -> list[When]:
    """Every combination of a job's `When`s with the workflow's (or an include's) `When`s."""
    if outer is None:
        return whens
    out: list[When] = []
    for job in whens:
        for gate in outer:
            met = intersect(job, gate)
            if met is not None and met not in out:
                out.append(met)
    return out


def default_whens() -> list[When]:
    """A pipeline without `workflow:rules`: branch and tag pushes (merge request pipelines need rules)."""
    return [When("branch"), When("tag")]


def expand_any(whens: list[When], workflow: list[When] | None) -> list[When]:
    """A job with no conditions runs in every pipeline the workflow creates."""
    base = workflow if workflow is not None else default_whens()
    out: list[When] = []
    for when in whens:
        if when.source == "any":
            for gate in base:
                met = intersect(when, gate)
                if met is not None and met not in out:
                    out.append(met)
        elif when not in out:
            out.append(when)
    return out


# ==== phrases ===================================================================================


def ref_phrase(ref: str) -> tuple[Part, ...]:
    if ref == "$default":
        return text("the default branch")
    return (Code(ref),)


def when_phrase(when: When, skip: frozenset[Qualifier] = frozenset()) -> tuple[Part, ...]:
    kb = knowledge()
    parts: list[Part] = []
    if when.source == "branch" and when.refs:
        parts.extend(text("push to "))
        parts.extend(_refs_list(when.refs, "branches"))
    elif when.source == "tag" and when.refs:
        parts.extend(text("tags "))
        parts.extend(_refs_list(when.refs, ""))
    elif when.source in ("schedule", "web", "api", "any") and when.refs:
        parts.extend(text(kb.phrases.get(when.source, when.source), " on "))
        parts.extend(_refs_list(when.refs, "branches"))
    else:
        parts.append(kb.phrases.get(when.source, when.source))
    if when.not_refs:
        parts.append(" except ")
        parts.extend(_refs_list(when.not_refs, ""))
    shown = [q for q in when.qualifiers if q not in skip]
    for index, qualifier in enumerate(shown):
        parts.append("; " if index else " (")
        parts.extend(qualifier.parts)
    if shown:
        parts.append(")")
    return text(*parts)


def _refs_list(refs: tuple[str, ...], plural: str) -> list[Part]:
    out: list[Part] = []
    for index, ref in enumerate(refs):
        if index:
            out.append(" or " if index == len(refs) - 1 else ", ")
        if ref.startswith("/"):
            out.extend(text(f"{plural} matching " if plural else "matching ", Code(ref)))
        else:
            out.extend(ref_phrase(ref))
    return out


def simplify(whens: list[When]) -> list[When]:
    """Drops `When`s another one already covers (an unconditional `any`, or the same trigger with fewer conditions)."""
    out: list[When] = []
    for when in whens:
        if any(_covers(other, when) for other in whens if other is not when and not _covers(when, other)):
            continue
        if when not in out:
            out.append(when)
    return out


def _covers(a: When, b: When) -> bool:
    if a.manual != b.manual or a.delayed != b.delayed:
        return False
    if a.source not in ("any", b.source):
        return False
    if a.refs and a.refs != b.refs:
        return False
    return set(a.not_refs) <= set(b.not_refs) and set(a.qualifiers) <= set(b.qualifiers)


def describe(whens: list[When]) -> tuple[Part, ...]:
    """All of a job's `When`s in one phrase: manual ones marked, shared conditions said once.

    Project guards (`$CI_PROJECT_PATH == ...`, the usual fork protection) are merged per trigger
    (`in project a or in project b`) and, when every trigger has the same, said once at the end.
    """
    whens = _merge_refs(_merge_guards(simplify(whens)))
    common = frozenset.intersection(*(frozenset(w.qualifiers) for w in whens)) if whens else frozenset()
    shared = [q for q in (whens[0].qualifiers if whens else ()) if q in common]
    pieces: list[tuple[Part, ...]] = []
    # `push to any branch and tags (outside project x)` reads as if the project held for both: a
    # last trigger with conditions of its own is set apart (phrase_list's `apart`).
    automatic = _dedupe_phrases([w for w in whens if not w.manual], common)
    if automatic:
        pieces.append(phrase_list((p for p, _ in automatic), apart=automatic[-1][1]))
    manual = _dedupe_phrases([w for w in whens if w.manual], common)
    if manual:
        pieces.append(text(*phrase_list((p for p, _ in manual), apart=manual[-1][1]), " (manual)"))
    if not pieces:
        return text("never")
    parts = list(phrase_list(pieces, apart=True))
    for qualifier in shared:
        parts.extend(("; only " if qualifier.kind == "guard" else "; ", *qualifier.parts))
    return text(*parts)


def _merge_guards(whens: list[When]) -> list[When]:
    """`When`s that differ only in project guards become one with the guards joined by `or`;
    one without any guard wins (it runs everywhere)."""
    groups: dict[When, list[tuple[Qualifier, ...]]] = {}
    for when in whens:
        key = replace(when, qualifiers=tuple(q for q in when.qualifiers if q.kind != "guard"))
        groups.setdefault(key, []).append(tuple(q for q in when.qualifiers if q.kind == "guard"))
    out: list[When] = []
    for key, guard_sets in groups.items():
        if any(not g for g in guard_sets):
            out.append(key)
            continue
        alternatives: list[Part] = []
        for index, guards in enumerate(dict.fromkeys(guard_sets)):
            alternatives.append(" or " if index else "")
            for n, qualifier in enumerate(guards):
                alternatives.extend((" and " if n else "", *qualifier.parts))
        out.append(replace(key, qualifiers=(*key.qualifiers, Qualifier(text(*alternatives), "guard"))))
    return out


def _merge_refs(whens: list[When]) -> list[When]:
    """`push to main` and `push to develop` read as one: `push to main or develop`."""
    out: list[When] = []
    for when in whens:
        twin = next(
            (
                i
                for i, seen in enumerate(out)
                if when.refs and seen.refs and replace(seen, refs=()) == replace(when, refs=())
            ),
            None,
        )
        if twin is None:
            out.append(when)
        else:
            out[twin] = replace(out[twin], refs=tuple(dict.fromkeys((*out[twin].refs, *when.refs))))
    return out


def _dedupe_phrases(whens: list[When], skip: frozenset[Qualifier]) -> list[tuple[tuple[Part, ...], bool]]:
    phrases: list[tuple[tuple[Part, ...], bool]] = []
    for phrase in _phrases(whens, skip):
        if phrase not in phrases:
            phrases.append(phrase)
    return phrases


def _phrases(whens: list[When], skip: frozenset[Qualifier]) -> list[tuple[tuple[Part, ...], bool]]:
    """Each phrase, with whether it carries conditions of its own (shown in parentheses)."""

    def own(w: When) -> bool:
        return any(q not in skip for q in w.qualifiers)

    def plain_when(w: When) -> bool:
        return not w.refs and not w.not_refs and not own(w)

    plain = {w.source for w in whens if plain_when(w)}
    out: list[tuple[tuple[Part, ...], bool]] = []
    if {"branch", "tag"} <= plain or "push" in plain or "any" in plain:
        wide = "any" in plain
        plain -= {"branch", "tag", "push", "any"}
        if "merge_request" in plain or wide:
            plain.discard("merge_request")
            out.append((text("every push and merge request" if not wide else "every pipeline"), False))
        else:
            out.append((text("every push"), False))
    elif {"branch", "merge_request"} <= plain:
        plain -= {"branch", "merge_request"}
        out.append((text("branch pushes and merge requests"), False))
    for when in whens:
        if plain_when(when):
            if when.source in plain:
                plain.discard(when.source)
                out.append((when_phrase(when, skip), False))
        else:
            out.append((when_phrase(when, skip), own(when)))
    return out


def own_ways(whens: list[When]) -> list[When]:
    """The ways this project's own pipelines start a job: not those that hold only elsewhere
    (`except: tags@project`, `$CI_PROJECT_PATH != ...`). The diagram draws these."""
    return [w for w in whens if not any(q.away for q in w.qualifiers)]


def short_triggers(whens: list[When]) -> list[str]:
    """attrs["triggers"]: `push to main`, `tag /^v/`, `merge request`, `schedule`, `manual`."""
    kb = knowledge()
    out: list[str] = []
    whens = own_ways(whens)
    if not whens:
        return ["outside this project only"]
    for when in whens:
        base = kb.short.get(when.source, when.source)
        refs = ", ".join("default branch" if r == "$default" else r for r in when.refs)
        label = f"{base} to {refs}" if refs and when.source == "branch" else (f"{base} {refs}" if refs else base)
        if label not in out:
            out.append(label)
    if any(w.manual for w in whens):
        out.append("manual")
    if any(w.delayed for w in whens):
        out.append("delayed")
    return out
