"""GitLab CI configuration as GitLab composes it, over phase-1 records only.

Phase 1 (`encode`) turns one loaded YAML document into plain JSON-able data that keeps the line
of every key and item, so the per-file result can be cached by blob id. Phase 2 (`Composer`)
decodes those records into `GMap`/`GSeq` nodes that remember their file *and* line, then does
what GitLab does before it runs anything:

1. `include:` (string, list or map): `local` (wildcards with GitLab's own grammar, with or
   without a leading `/`), `project` when it names this repository, `template` from the data in
   `data/gitlab.yaml`; `remote`, `component` and other projects are noted, never fetched. Cycles
   and paths that climb out of the repository are refused. Included content first, the including
   file's keys deep-merged over it.
2. `extends:` (deep-merge maps, replace lists, later parents win, cycle guard, GitLab's depth cap).
3. `!reference [job, key, ...]` after extends; nested lists (GitLab yields them) are flattened.
4. `default:` and the legacy top-level defaults, honouring `inherit:`.

Nothing here decides what a job *means*; `gitlab_ci.py` does that with the composed jobs.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from infrascan.model import Severity
from infrascan.yamlload import Tagged, YDict, YList, as_list, load_table

from ._pipelines import folded_block

Where = tuple[str, int]  # (path, 1-based line)
Diagnose = Callable[[str, "int | None", str, Severity], None]

# Top-level keys that are not jobs (GitLab's global keywords).
RESERVED = frozenset(
    {
        "stages",
        "variables",
        "default",
        "include",
        "workflow",
        "image",
        "services",
        "cache",
        "before_script",
        "after_script",
        "spec",
        "types",
    }
)
DEFAULT_KEYS = (
    "after_script",
    "artifacts",
    "before_script",
    "cache",
    "hooks",
    "id_tokens",
    "image",
    "interruptible",
    "retry",
    "services",
    "tags",
    "timeout",
)
LEGACY_GLOBALS = ("image", "services", "cache", "before_script", "after_script")
DEFAULT_STAGES = (".pre", "build", "test", "deploy", ".post")
MAX_EXTENDS_DEPTH = 11  # GitLab rejects deeper `extends` chains
MAX_REFERENCE_DEPTH = 10  # and deeper `!reference` nesting
MAX_INCLUDE_DEPTH = 100
_INPUT = re.compile(r"\$\[\[\s*inputs\.([A-Za-z0-9_-]+)\s*(?:\|[^\]]*)?\]\]")
_BLOCK_SCALAR = re.compile(r"[|>][-+0-9]*\s*(?:#.*)?$")

# ==== nodes that remember where they come from ===================================================


class GMap(dict[Any, Any]):
    """A mapping with the file and line of itself and of each key."""

    where: Where = ("", 0)
    at: dict[Any, Where]
    origin: str = ""  # "template:<name>" for content synthesised from GitLab's templates

    def where_of(self, key: Any) -> Where:
        at: dict[Any, Where] = getattr(self, "at", {})
        return at.get(key, self.where)


class GSeq(list[Any]):
    """A sequence with the file and line of itself and of each item."""

    where: Where = ("", 0)
    at: list[Where]
    origin: str = ""

    def where_of(self, index: int) -> Where:
        items = getattr(self, "at", [])
        return items[index] if 0 <= index < len(items) else self.where


@dataclass(frozen=True)
class Ref:
    """`!reference [job, key, ...]`, resolved after extends."""

    path: tuple[str, ...]
    where: Where


def new_map(where: Where, origin: str = "") -> GMap:
    node = GMap()
    node.where, node.at, node.origin = where, {}, origin
    return node


def new_seq(where: Where, origin: str = "") -> GSeq:
    node = GSeq()
    node.where, node.at, node.origin = where, [], origin
    return node


def put(node: GMap, key: Any, value: Any, where: Where) -> None:
    node[key] = value
    node.at[key] = where


def append(node: GSeq, value: Any, where: Where) -> None:
    node.append(value)
    node.at.append(where)


# ==== phase 1: encode one loaded document =======================================================


@dataclass
class Encoded:
    data: Any
    unknown_tags: list[tuple[str, int]] = field(default_factory=list)
    # Per folded scalar (`- >`), by the line its value is encoded with: the line its text starts on and
    # its source lines. Folding joins lines with spaces, so its commands' lines come from these.
    folded: dict[int, tuple[int, list[str]]] = field(default_factory=dict)


def encode(node: Any, lines: list[str]) -> Encoded:
    """Plain data with lines: maps -> {"m": [[key, value, line]], "l"}, lists -> {"s": [[value, line]], "l"}.

    `!reference` becomes {"r": [...], "l"}; other tags are unknown to GitLab: their value is kept
    and the tag reported. A block scalar's line is that of its first content line, so commands
    inside `script: |` keep their own lines; a folded one's source lines are kept (`Encoded.folded`).
    """
    out = Encoded(None)
    out.data = _encode(node, lines, out)
    return out


def _value_line(value: Any, line: int, lines: list[str], out: Encoded) -> int:
    if not isinstance(value, str) or not 0 < line <= len(lines):
        return line
    block = folded_block(lines, line) if ">" in lines[line - 1] else None  # most values: not folded
    shown = line + 1 if "\n" in value and _BLOCK_SCALAR.search(lines[line - 1]) else line
    if block is not None and len(block) > 1:
        out.folded[shown] = (line + 1, block)
    return shown


def _encode(node: Any, lines: list[str], out: Encoded) -> Any:
    if isinstance(node, YDict):
        entries = []
        for key, value in node.items():
            line = _value_line(value, node.line_of(key), lines, out)
            entries.append([key, _encode(value, lines, out), line])
        return {"m": entries, "l": node.line}
    if isinstance(node, YList):
        items = [[_encode(v, lines, out), _value_line(v, node.line_of(i), lines, out)] for i, v in enumerate(node)]
        return {"s": items, "l": node.line}
    if isinstance(node, Tagged):
        if node.tag == "!reference" and isinstance(node.value, list):
            return {"r": [str(v) for v in node.value], "l": node.line}
        out.unknown_tags.append((node.tag, node.line))
        return _encode(node.value, lines, out)
    if isinstance(node, dict):  # a plain mapping inside a tagged value
        return {"m": [[k, _encode(v, lines, out), 0] for k, v in node.items()], "l": 0}
    if isinstance(node, list):
        return {"s": [[_encode(v, lines, out), 0] for v in node], "l": 0}
    return node


def decode(data: Any, path: str, origin: str = "") -> Any:
    """The inverse of `encode`, with `path` attached to every node."""
    if isinstance(data, dict):
        if "m" in data:
            node = new_map((path, int(data.get("l", 0))), origin)
            for key, value, line in data["m"]:
                put(node, key, decode(value, path, origin), (path, int(line) or node.where[1]))
            return node
        if "s" in data:
            seq = new_seq((path, int(data.get("l", 0))), origin)
            for value, line in data["s"]:
                append(seq, decode(value, path, origin), (path, int(line) or seq.where[1]))
            return seq
        if "r" in data:
            return Ref(tuple(str(p) for p in data["r"]), (path, int(data.get("l", 0))))
    return data


def from_plain(data: Any, where: Where, origin: str) -> Any:
    """Data from `data/gitlab.yaml` (plain dicts) as nodes located at an include line."""
    if isinstance(data, dict):
        node = new_map(where, origin)
        for key, value in data.items():
            put(node, key, from_plain(value, where, origin), where)
        return node
    if isinstance(data, list):
        seq = new_seq(where, origin)
        for value in data:
            append(seq, from_plain(value, where, origin), where)
        return seq
    return data


# ==== merging ====================================================================================


def deep_merge(base: Any, over: Any) -> Any:
    """GitLab's merge: maps merge key by key, anything else (lists included) is replaced."""
    if isinstance(base, GMap) and isinstance(over, GMap):
        return merge_maps(base, over)
    return over


def merge_maps(base: GMap, over: GMap) -> GMap:
    merged = new_map(over.where, over.origin or base.origin)
    for key, value in base.items():
        put(merged, key, value, base.where_of(key))
    for key, value in over.items():
        value = deep_merge(merged[key], value) if key in merged else value
        put(merged, key, value, over.where_of(key))
    return merged


def without(node: GMap, *keys: str) -> GMap:
    copy = new_map(node.where, node.origin)
    for key, value in node.items():
        if key not in keys:
            put(copy, key, value, node.where_of(key))
    return copy


# ==== knowledge ==================================================================================


@dataclass(frozen=True)
class Template:
    names: tuple[str, ...]
    title: str
    includes: tuple[str, ...]
    content: dict[str, Any]
    hints: tuple[dict[str, str], ...]

    def matches(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.names)


@dataclass(frozen=True)
class Knowledge:
    variables: dict[str, str]
    sources: dict[str, str]
    only_keywords: dict[str, str]
    phrases: dict[str, str]
    short: dict[str, str]
    registries: dict[str, str]
    level_words: tuple[tuple[str, re.Pattern[str]], ...]
    e2e_services: tuple[str, ...]
    integration_commands: re.Pattern[str]
    setup_commands: re.Pattern[str]
    verify_jobs: re.Pattern[str]
    build_stages: re.Pattern[str]
    not_build_jobs: re.Pattern[str]
    test_jobs: re.Pattern[str]
    not_test_stages: re.Pattern[str]
    report_pages: re.Pattern[str]
    around_tests: re.Pattern[str]
    dispatch_words: tuple[str, ...]
    templates: tuple[Template, ...]

    def template(self, name: str) -> Template | None:
        cleaned = name.strip().lstrip("/")
        return next((t for t in self.templates if t.matches(cleaned)), None)


@cache
def knowledge() -> Knowledge:
    raw = load_table(resources.files("infrascan").joinpath("data/gitlab.yaml").read_bytes())
    templates = tuple(
        Template(
            names=tuple(entry["names"]),
            title=str(entry.get("title", entry["names"][0])),
            includes=tuple(entry.get("includes", [])),
            content=dict(entry.get("content") or {}),
            hints=tuple(entry.get("hints", [])),
        )
        for entry in raw["templates"]
    )
    return Knowledge(
        variables=dict(raw["variables"]),
        sources=dict(raw["sources"]),
        only_keywords=dict(raw["only_keywords"]),
        phrases=dict(raw["phrases"]),
        short=dict(raw["short"]),
        registries=dict(raw["registries"]),
        level_words=tuple((level, re.compile(pattern)) for level, pattern in raw["level_words"].items()),
        e2e_services=tuple(raw["e2e_services"]),
        integration_commands=re.compile(raw["integration_commands"]),
        setup_commands=re.compile(raw["setup_commands"]),
        verify_jobs=re.compile(raw["verify_jobs"]),
        build_stages=re.compile(raw["build_stages"]),
        not_build_jobs=re.compile(raw["not_build_jobs"]),
        test_jobs=re.compile(raw["test_jobs"]),
        not_test_stages=re.compile(raw["not_test_stages"]),
        report_pages=re.compile(raw["report_pages"]),
        around_tests=re.compile(raw["around_tests"]),
        dispatch_words=tuple(raw["dispatch_words"]),
        templates=templates,
    )


# ==== include resolution ========================================================================


@dataclass
class FileDoc:
    """One GitLab CI YAML file as phase 1 recorded it."""

    path: str
    doc: GMap | None
    header: GMap | None
    problems: list[tuple[int | None, str]]
    folded: dict[int, tuple[int, list[str]]] = field(default_factory=dict)  # as `Encoded.folded`


@dataclass(frozen=True)
class Unresolved:
    kind: str  # remote, component, project, template, variable
    target: str
    where: Where


@dataclass(frozen=True)
class TemplateUse:
    template: Template
    name: str
    where: Where


@dataclass
class Composed:
    """One file with everything it includes merged in (GitLab's view before extends)."""

    config: GMap
    files: list[str]  # every repository file merged in, in order
    unresolved: list[Unresolved]
    templates: list[TemplateUse]
    conditions: dict[str, list[GSeq]]  # top-level key -> `include:rules` it came in under


def wildcard_regex(pattern: str) -> re.Pattern[str]:
    """GitLab's grammar for `include:local` wildcards: `**/` any directories, `**` anything, `*` one level."""
    escaped = re.escape(pattern)
    escaped = escaped.replace(r"\*\*/", "(?:.*?/)?").replace(r"\*\*", ".*?").replace(r"\*", "[^/]*?")
    return re.compile("^" + escaped + "$")


def repo_path(raw: str) -> str | None:
    """A `local:` path relative to the repository root, or None when it climbs out of it."""
    cleaned = posixpath.normpath(raw.strip().lstrip("/"))
    if cleaned in (".", "") or cleaned.startswith("../") or cleaned == ".." or raw.strip().startswith("~"):
        return None
    return cleaned


class Composer:
    """Merges includes for one repository's GitLab CI files (phase 2, records only)."""

    def __init__(
        self,
        files: dict[str, FileDoc],
        repo_paths: list[str],
        project: str | None,
        diagnose: Diagnose,
    ) -> None:
        self.files = files
        self.repo_paths = repo_paths
        self.repo_set = set(repo_paths)
        self.project = project.lower() if project else None
        self.diagnose = diagnose
        self.kb = knowledge()

    def compose(self, path: str) -> Composed:
        result = Composed(new_map((path, 0)), [], [], [], {})
        config = self._file(path, (), {}, result)
        result.config = config if config is not None else new_map((path, 0))
        return result

    # -- one file ------------------------------------------------------------------------

    def _file(self, path: str, stack: tuple[str, ...], inputs: dict[str, Any], out: Composed) -> GMap | None:
        doc = self.files[path].doc
        if doc is None:
            return None
        if path not in out.files:
            out.files.append(path)
        if inputs or self.files[path].header is not None:
            doc = interpolate(doc, self._input_values(path, inputs))
        merged = new_map(doc.where)
        for included, conditions in self._includes(doc, (*stack, path), out):
            merged = self._merge_included(merged, included, conditions, out)
        return merge_maps(merged, without(doc, "include"))

    def _merge_included(self, merged: GMap, included: GMap, conditions: GSeq | None, out: Composed) -> GMap:
        if conditions is not None:
            for key in included:
                if isinstance(key, str) and key not in RESERVED:
                    out.conditions.setdefault(key, []).append(conditions)
        return merge_maps(merged, included)

    def _input_values(self, path: str, given: dict[str, Any]) -> dict[str, Any]:
        header = self.files[path].header
        values: dict[str, Any] = {}
        spec = header.get("spec") if isinstance(header, GMap) else None
        declared = spec.get("inputs") if isinstance(spec, GMap) else None
        if isinstance(declared, GMap):
            for name, options in declared.items():
                if isinstance(options, GMap) and "default" in options:
                    values[str(name)] = options["default"]
        values.update(given)
        return values

    # -- include entries -----------------------------------------------------------------

    def _includes(self, doc: GMap, stack: tuple[str, ...], out: Composed) -> Iterator[tuple[GMap, GSeq | None]]:
        raw = doc.get("include")
        if raw is None:
            return
        entries = raw if isinstance(raw, GSeq) else [raw]
        for index, entry in enumerate(entries):
            where = raw.where_of(index) if isinstance(raw, GSeq) else doc.where_of("include")
            yield from self._one_include(entry, where, stack, out)

    def _one_include(
        self, entry: Any, where: Where, stack: tuple[str, ...], out: Composed
    ) -> Iterator[tuple[GMap, GSeq | None]]:
        if isinstance(entry, str):
            if re.match(r"^https?://", entry):
                self._unresolved(out, "remote", entry, where)
                return
            yield from self._local(entry, {}, None, where, stack, out)
            return
        if not isinstance(entry, GMap):
            self.diagnose(
                where[0], where[1], "include entry is neither a path nor a mapping; ignored", Severity.WARNING
            )
            return
        rules = entry.get("rules") if isinstance(entry.get("rules"), GSeq) else None
        inputs = dict(entry["inputs"]) if isinstance(entry.get("inputs"), GMap) else {}
        if "local" in entry:
            yield from self._local(str(entry["local"]), inputs, rules, where, stack, out)
        elif "project" in entry:
            yield from self._project(entry, inputs, rules, where, stack, out)
        elif "template" in entry:
            template = self._template(str(entry["template"]), where, out, ())
            if template is not None:
                yield template, rules
        elif "remote" in entry:
            self._unresolved(out, "remote", str(entry["remote"]), where)
        elif "component" in entry:
            self._unresolved(out, "component", str(entry["component"]), where)
        else:
            self.diagnose(
                where[0], where[1], "include entry without local/project/template/remote/component", Severity.WARNING
            )

    def _local(
        self, raw: str, inputs: dict[str, Any], rules: GSeq | None, where: Where, stack: tuple[str, ...], out: Composed
    ) -> Iterator[tuple[GMap, GSeq | None]]:
        if "$" in raw:
            self._unresolved(out, "variable", raw, where)
            return
        if "*" in raw:
            regex = wildcard_regex(raw.strip().lstrip("/"))
            matches = sorted(p for p in self.repo_paths if regex.match(p) and p.endswith((".yml", ".yaml")))
            if not matches:
                self.diagnose(
                    where[0], where[1], f"include `{raw}` matches no file in the repository", Severity.WARNING
                )
            targets = matches
        else:
            target = repo_path(raw)
            if target is None:
                self.diagnose(
                    where[0], where[1], f"include `{raw}` points outside the repository; refused", Severity.WARNING
                )
                return
            targets = [target]
        for target in targets:
            included = self._load(target, inputs, where, stack, out)
            if included is not None:
                yield included, rules

    def _project(
        self,
        entry: GMap,
        inputs: dict[str, Any],
        rules: GSeq | None,
        where: Where,
        stack: tuple[str, ...],
        out: Composed,
    ) -> Iterator[tuple[GMap, GSeq | None]]:
        project = str(entry["project"]).strip()
        files = [str(f) for f in as_list(entry.get("file"))]
        same = project in ("$CI_PROJECT_PATH", "${CI_PROJECT_PATH}") or (
            self.project is not None and project.lower().strip("/") == self.project
        )
        if not same:
            self._unresolved(out, "project", f"{project}:{', '.join(files)}", where)
            return
        for raw in files:
            yield from self._local(raw, inputs, rules, where, stack, out)

    def _load(
        self, target: str, inputs: dict[str, Any], where: Where, stack: tuple[str, ...], out: Composed
    ) -> GMap | None:
        if target in stack:
            chain = " -> ".join([*stack[stack.index(target) :], target])
            self.diagnose(where[0], where[1], f"include cycle refused: {chain}", Severity.WARNING)
            return None
        if len(stack) > MAX_INCLUDE_DEPTH:
            self.diagnose(where[0], where[1], "includes nested too deeply; stopped", Severity.WARNING)
            return None
        if target in out.files and not inputs:
            return None  # GitLab merges a file once
        if target not in self.files:
            message = (
                f"included file `{target}` is not a GitLab CI YAML file infrascan could read"
                if target in self.repo_set
                else f"included file `{target}` does not exist in the repository"
            )
            self.diagnose(where[0], where[1], message, Severity.WARNING)
            return None
        return self._file(target, stack, inputs, out)

    def _template(self, name: str, where: Where, out: Composed, seen: tuple[str, ...]) -> GMap | None:
        template = self.kb.template(name)
        if template is None:
            self._unresolved(out, "template", name, where)
            return None
        out.templates.append(TemplateUse(template, name, where))
        origin = f"template:{name.strip().lstrip('/')}"
        merged = new_map(where, origin)
        for nested in template.includes:
            if nested not in seen:
                inner = self._template(nested, where, out, (*seen, name))
                if inner is not None:
                    merged = deep_merge(merged, inner)
        content = from_plain(template.content, where, origin)
        return deep_merge(merged, content) if isinstance(content, GMap) else merged

    def _unresolved(self, out: Composed, kind: str, target: str, where: Where) -> None:
        out.unresolved.append(Unresolved(kind, target, where))
        what = {
            "remote": "remote include",
            "component": "CI/CD component",
            "project": "include from another project",
            "template": "GitLab template unknown to infrascan",
            "variable": "include path built from variables",
        }[kind]
        self.diagnose(
            where[0],
            where[1],
            f"{what} `{target}` not fetched: jobs defined there are not documented",
            Severity.INFO,
        )


def interpolate(node: Any, values: dict[str, Any]) -> Any:
    """Replaces `$[[ inputs.name ]]` by the literal input value where one is known."""
    if isinstance(node, str):
        whole = _INPUT.fullmatch(node.strip())
        if whole and whole.group(1) in values:
            return values[whole.group(1)]
        return _INPUT.sub(lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), node)
    if isinstance(node, GMap):
        copy = new_map(node.where, node.origin)
        for key, value in node.items():
            name = interpolate(key, values) if isinstance(key, str) else key
            put(copy, name, interpolate(value, values), node.where_of(key))
        return copy
    if isinstance(node, GSeq):
        seq = new_seq(node.where, node.origin)
        for index, value in enumerate(node):
            append(seq, interpolate(value, values), node.where_of(index))
        return seq
    return node


# ==== extends, !reference, default ===============================================================


class JobResolver:
    """Resolves `extends`, then `!reference`, for every key of one composed configuration."""

    def __init__(self, config: GMap, diagnose: Diagnose, lenient: bool) -> None:
        self.config = config
        self.diagnose = diagnose
        self.lenient = lenient  # unresolved includes exist: a missing parent may live there
        self._extended: dict[str, GMap | None] = {}

    def extended(self, name: str, stack: tuple[str, ...] = ()) -> GMap | None:
        if name in self._extended:
            return self._extended[name]
        node = self.config.get(name)
        if not isinstance(node, GMap):
            return None
        result = new_map(node.where, node.origin)
        parents = [str(p) for p in as_list(node.get("extends"))]
        where = node.where_of("extends")
        for parent in parents:
            parent_node = self._parent(name, parent, (*stack, name), where)
            if parent_node is not None:
                result = merge_maps(result, parent_node)
        result = merge_maps(result, without(node, "extends"))
        self._extended[name] = result
        return result

    def _parent(self, name: str, parent: str, stack: tuple[str, ...], where: Where) -> GMap | None:
        if parent in stack:
            chain = " -> ".join([*stack[stack.index(parent) :], parent])
            self.diagnose(where[0], where[1], f"`extends` cycle in job `{name}`: {chain}; ignored", Severity.WARNING)
            return None
        if len(stack) > MAX_EXTENDS_DEPTH:
            self.diagnose(
                where[0],
                where[1],
                f"`extends` of job `{name}` nested deeper than GitLab allows ({MAX_EXTENDS_DEPTH}); stopped",
                Severity.WARNING,
            )
            return None
        if not isinstance(self.config.get(parent), GMap):
            if self.lenient:
                message = f"job `{name}` extends `{parent}`, not defined here (maybe in an include not fetched)"
                self.diagnose(where[0], where[1], message, Severity.INFO)
            else:
                self.diagnose(
                    where[0], where[1], f"job `{name}` extends `{parent}`, which is not defined", Severity.WARNING
                )
            return None
        return self.extended(parent, stack)

    def referenced(self, node: Any, depth: int = 0) -> Any:
        """`node` with every `!reference` replaced by what it points at, nested lists flattened."""
        if isinstance(node, Ref):
            return self._lookup(node, depth)
        if isinstance(node, GMap):
            copy = new_map(node.where, node.origin)
            for key, value in node.items():
                resolved = self.referenced(value, depth)
                if resolved is not None or not isinstance(value, Ref):
                    put(copy, key, resolved, node.where_of(key))
            return copy
        if isinstance(node, GSeq):
            seq = new_seq(node.where, node.origin)
            for index, value in enumerate(node):
                resolved = self.referenced(value, depth)
                if isinstance(value, Ref) and resolved is None:
                    continue
                self._append_flat(seq, resolved, node.where_of(index))
            return seq
        return node

    def _append_flat(self, seq: GSeq, value: Any, where: Where) -> None:
        if isinstance(value, GSeq):
            for index, item in enumerate(value):
                self._append_flat(seq, item, value.where_of(index))
        else:
            append(seq, value, where)

    def _lookup(self, ref: Ref, depth: int) -> Any:
        shown = ", ".join(ref.path)
        if depth >= MAX_REFERENCE_DEPTH:
            self.diagnose(ref.where[0], ref.where[1], f"`!reference [{shown}]` nested too deeply", Severity.WARNING)
            return None
        if not ref.path:
            self.diagnose(ref.where[0], ref.where[1], "empty `!reference`", Severity.WARNING)
            return None
        target: Any = self.extended(ref.path[0]) if isinstance(self.config.get(ref.path[0]), GMap) else None
        if target is None:
            target = self.config.get(ref.path[0])
        for key in ref.path[1:]:
            target = target.get(key) if isinstance(target, GMap) else None
        if target is None:
            severity = Severity.INFO if self.lenient else Severity.WARNING
            self.diagnose(ref.where[0], ref.where[1], f"`!reference [{shown}]` points at nothing", severity)
            return None
        return self.referenced(target, depth + 1)


def apply_defaults(job: GMap, config: GMap) -> GMap:
    """`default:` and legacy top-level keys fill what the job leaves out, unless `inherit` says no."""
    inherit = job.get("inherit")
    allowed: Any = True
    if isinstance(inherit, GMap) and "default" in inherit:
        allowed = inherit["default"]
    if allowed is False:
        return job
    default = config.get("default") if isinstance(config.get("default"), GMap) else None
    result = new_map(job.where, job.origin)
    sources: list[tuple[GMap, tuple[str, ...]]] = [(config, LEGACY_GLOBALS)]
    if default is not None:
        sources.append((default, DEFAULT_KEYS))
    for source, keys in sources:
        for key in keys:
            if key in source and key not in job and (allowed is True or (isinstance(allowed, list) and key in allowed)):
                put(result, key, source[key], source.where_of(key))
    for key, value in job.items():
        put(result, key, value, job.where_of(key))
    return result


def inherited_variables(job: GMap, config: GMap) -> GMap:
    """Global variables the job inherits, overridden by its own."""
    declared = config.get("variables")
    glob = declared if isinstance(declared, GMap) else new_map(config.where)
    inherit = job.get("inherit")
    allowed: Any = inherit.get("variables", True) if isinstance(inherit, GMap) else True
    merged = new_map(job.where)
    if allowed is not False:
        for key, value in glob.items():
            if allowed is True or (isinstance(allowed, list) and key in allowed):
                put(merged, key, value, glob.where_of(key))
    own = job.get("variables")
    if isinstance(own, GMap):
        for key, value in own.items():
            put(merged, key, value, own.where_of(key))
    return merged
