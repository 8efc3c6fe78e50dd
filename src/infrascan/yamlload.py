"""The one YAML loader every detector uses.

PyYAML is YAML 1.1: bare `on` loads as True, `22:22` as 1342, `3.10` as 3.1, and unknown tags
such as GitLab's `!reference` or CloudFormation's `!Ref` raise. Pipelines are written for YAML
1.2 readers, so this loader keeps its own resolvers: only true/false are booleans, numbers are
plain decimal integers, everything else stays the string that was written. Unknown tags load as
`Tagged` markers. Mappings and sequences remember the line of every key and item.

The C loader (about 14x faster) is used when PyYAML has it. It crashes the whole process on
documents nested some 50,000 levels deep, and an alias bomb expands to billions of nodes when
walked, so a cheap pass over the text caps nesting before loading and a pass over the loaded
graph caps the expanded size before any detector sees it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

try:  # the manylinux wheels carry libyaml; a source build may not
    from yaml import CSafeLoader as _BaseLoader

    C_LOADER = True
except ImportError:  # pragma: no cover - depends on the installed wheel
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

    C_LOADER = False

MAX_FLOW_DEPTH = 256
MAX_INDENT_RUN = 1024
MAX_EXPANDED_NODES = 1_000_000


class YDict(dict[Any, Any]):
    """A mapping that remembers its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[Any, int]

    def line_of(self, key: Any, default: int | None = None) -> int:
        lines: dict[Any, int] = getattr(self, "key_lines", {})
        return lines.get(key, default if default is not None else self.line)


class YList(list[Any]):
    """A sequence that remembers its own line and the line of each item (1-based)."""

    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        lines = getattr(self, "item_lines", [])
        return lines[index] if 0 <= index < len(lines) else self.line


@dataclass(frozen=True)
class Tagged:
    """A value under a tag the loader does not know (`!reference [.x, script]`, `!Ref Bucket`)."""

    tag: str
    value: Any
    line: int


class YamlLoadError(Exception):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


class InfrascanLoader(_BaseLoader):
    """SafeLoader semantics with YAML 1.2-like scalars, line numbers and tag markers."""

    yaml_implicit_resolvers: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
    yaml_constructors = dict(_BaseLoader.yaml_constructors)
    yaml_multi_constructors = dict(_BaseLoader.yaml_multi_constructors)

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicate_keys: list[tuple[str, int]] = []

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        """PyYAML's `resolve` for this table, which has no wildcard or path resolvers: the C parser
        calls it for every node, and the general version builds a list of resolvers each time."""
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, regexp in self.yaml_implicit_resolvers.get(value[:1], ()):
                    if regexp.match(value):
                        return tag
            return self.DEFAULT_SCALAR_TAG
        return self.DEFAULT_SEQUENCE_TAG if kind is yaml.SequenceNode else self.DEFAULT_MAPPING_TAG


# A fresh resolver table: assigning into the inherited dict would change PyYAML's own loaders.
InfrascanLoader.yaml_implicit_resolvers = {}
InfrascanLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
InfrascanLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?(?:0|[1-9][0-9]*)|0x[0-9a-fA-F]+|0o[0-7]+)$"),
    list("-+0123456789"),
)
InfrascanLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
InfrascanLoader.add_implicit_resolver("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), ["<"])


_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_SPECIAL_KEY_TAGS = frozenset({_MERGE, "tag:yaml.org,2002:value"})


def _construct_int(loader: InfrascanLoader, node: yaml.ScalarNode) -> int:
    value: str = str(loader.construct_scalar(node))
    if value.startswith("0x"):
        return int(value, 16)
    if value.startswith("0o"):
        return int(value[2:], 8)
    return int(value)


def _construct_map(loader: InfrascanLoader, node: yaml.MappingNode) -> Any:
    data = YDict()
    data.line = node.start_mark.line + 1
    yield data
    seen: set[Any] = set()
    special = False  # a merge (`<<`) or `!!value` key: only then has flatten_mapping anything to do
    for key_node, _ in node.value:
        if key_node.tag in _SPECIAL_KEY_TAGS:
            special = True
            if key_node.tag == _MERGE:
                continue
        if isinstance(key_node, yaml.ScalarNode):
            if key_node.value in seen:
                loader.duplicate_keys.append((key_node.value, key_node.start_mark.line + 1))
            seen.add(key_node.value)
    if special:
        loader.flatten_mapping(node)
    key_lines: dict[Any, int] = {}
    construct = loader.construct_object
    for key_node, value_node in node.value:
        if key_node.tag == _STR and key_node.__class__ is yaml.ScalarNode:
            key = key_node.value  # what construct_object gives a plain string, without its bookkeeping
        else:
            key = construct(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, "found an unhashable key", key_node.start_mark
                ) from None
        if value_node.tag == _STR and value_node.__class__ is yaml.ScalarNode:
            data[key] = value_node.value
        else:
            data[key] = construct(value_node, deep=False)
        key_lines[key] = key_node.start_mark.line + 1
    data.key_lines = key_lines


def _construct_seq(loader: InfrascanLoader, node: yaml.SequenceNode) -> Any:
    data = YList()
    data.line = node.start_mark.line + 1
    yield data
    construct = loader.construct_object
    data.extend(
        child.value if child.tag == _STR and child.__class__ is yaml.ScalarNode else construct(child, deep=False)
        for child in node.value
    )
    data.item_lines = [child.start_mark.line + 1 for child in node.value]


def _construct_str(loader: InfrascanLoader, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


def _construct_tagged(loader: InfrascanLoader, suffix: str, node: yaml.Node) -> Tagged:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = [loader.construct_object(child, deep=True) for child in node.value]
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return Tagged(tag="!" + suffix, value=value, line=node.start_mark.line + 1)


InfrascanLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
InfrascanLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
InfrascanLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)
InfrascanLoader.add_constructor("tag:yaml.org,2002:omap", _construct_seq)
InfrascanLoader.add_constructor("tag:yaml.org,2002:float", _construct_str)
InfrascanLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_str)
InfrascanLoader.add_constructor("tag:yaml.org,2002:value", _construct_str)
InfrascanLoader.add_constructor("tag:yaml.org,2002:binary", _construct_str)
InfrascanLoader.add_multi_constructor("!", _construct_tagged)
InfrascanLoader.add_multi_constructor("tag:", _construct_tagged)

_DEEP_INDENT = re.compile(rf"^[ \t?:-]{{{MAX_INDENT_RUN + 1},}}", re.M)
_BRACKETS_ONLY = re.compile(r"[^\[\]{}]+")
_ANCHOR = re.compile(r"&[^\s\[\]{},]")


@dataclass
class YamlResult:
    """The documents of one file, and what went wrong while loading them."""

    documents: list[Any]
    error: YamlLoadError | None = None
    warnings: tuple[tuple[str, int], ...] = ()


def _nesting_problem(text: str) -> YamlLoadError | None:
    match = _DEEP_INDENT.search(text)
    if match:
        line = text.count("\n", 0, match.start()) + 1
        return YamlLoadError(f"nesting deeper than infrascan reads (indentation over {MAX_INDENT_RUN})", line)
    if "[" not in text and "{" not in text:
        return None  # no flow collection opens: nothing to count
    depth = 0
    for ch in _BRACKETS_ONLY.sub("", text):
        if ch in "[{":
            depth += 1
            if depth > MAX_FLOW_DEPTH:
                return YamlLoadError(f"nesting deeper than {MAX_FLOW_DEPTH} levels; not loaded", None)
        elif depth:
            depth -= 1
    return None


def _expanded_size(root: Any) -> int:
    """Counts the nodes a full walk would visit, sharing work between aliases (O(unique nodes))."""
    memo: dict[int, int] = {}
    active: set[int] = set()

    def size(obj: Any) -> int:
        if not isinstance(obj, (dict, list, Tagged)):
            return 1
        oid = id(obj)
        if oid in memo:
            return memo[oid]
        if oid in active:
            raise YamlLoadError("a recursive alias (a structure that contains itself); not loaded", None)
        active.add(oid)
        if isinstance(obj, dict):
            total = 1 + sum(size(k) + size(v) for k, v in obj.items())
        elif isinstance(obj, Tagged):
            total = 1 + size(obj.value)
        else:
            total = 1 + sum(size(v) for v in obj)
        active.discard(oid)
        memo[oid] = min(total, MAX_EXPANDED_NODES + 1)
        return memo[oid]

    return size(root)


def load_yaml(text: str) -> YamlResult:
    """Loads every document of a YAML file; never raises on bad input."""
    problem = _nesting_problem(text)
    if problem:
        return YamlResult([], problem)
    loader = InfrascanLoader(text)
    documents: list[Any] = []
    try:
        while loader.check_node():
            doc = loader.construct_document(loader.get_node())
            if doc is not None:
                documents.append(doc)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        return YamlResult(documents, YamlLoadError(message or "invalid YAML", line))
    except yaml.YAMLError as exc:
        return YamlResult(documents, YamlLoadError(str(exc).splitlines()[0] if str(exc) else "invalid YAML", None))
    except (RecursionError, MemoryError):
        return YamlResult([], YamlLoadError("YAML too deeply nested or too large to load", None))
    finally:
        loader.dispose()
    if _ANCHOR.search(text):
        try:
            for doc in documents:
                if _expanded_size(doc) > MAX_EXPANDED_NODES:
                    return YamlResult(
                        [],
                        YamlLoadError(
                            f"aliases expand to more than {MAX_EXPANDED_NODES:,} nodes (an alias bomb?); not loaded",
                            None,
                        ),
                    )
        except YamlLoadError as exc:
            return YamlResult([], exc)
    return YamlResult(documents, None, tuple(loader.duplicate_keys))


def as_list(value: Any) -> list[Any]:
    """A key that holds one value or a list of them (`profiles: dev`, `formats: [deb, rpm]`) as a list."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def line_of(container: Any, key: Any, default: int = 0) -> int:
    """The 1-based line of a key in a loaded mapping (or an index in a sequence)."""
    if isinstance(container, YDict):
        return container.line_of(key, default or container.line)
    if isinstance(container, YList) and isinstance(key, int):
        return container.line_of(key)
    return default


def load_table(raw: str | bytes) -> Any:
    """One of infrascan's own data tables (the catalog, command rules, CI knowledge): trusted text
    written for PyYAML's safe loader, no lines wanted. libyaml's loader builds the same objects
    3-5x faster, and every scan loads these tables again."""
    return yaml.load(raw, Loader=_BaseLoader)
