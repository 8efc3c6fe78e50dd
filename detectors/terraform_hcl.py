"""HCL as Terraform and Terragrunt write it: parse once with line numbers, evaluate what is literal.

Parsing uses python-hcl2 8.x, imported only when a repository has HCL files (it costs about 55 ms
to import and 1.2 s to build its grammar the first time). Its grammar cache is written to
infrascan's cache directory instead of site-packages, which is often read-only. 8.x keeps quotes
on strings and labels and adds `__is_block__`/`__comments__` keys unless told otherwise; the
options below switch that off and a normaliser strips whatever is left, so both shapes read the
same. `with_meta` does nothing in 8.x, so block and attribute lines come from the same parse tree
(its `BlockRule`/`AttributeRule` nodes, read directly). A file the parser rejects is scanned with a
regular expression for its `resource`/`data`/`module` blocks and their literal attributes, so one
syntax error never hides a whole file.

Evaluation covers the expressions environments are made of: references to variables, locals,
`terraform.workspace`, other resources' literal attributes, conditionals, comparisons, templates
and a set of pure functions. Anything else is `UNKNOWN` (known only at apply time, or beyond this
evaluator), and a lookup that fails on a known value is `ERROR`, so `try()` behaves as Terraform's.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from infrascan.cache import cache_dir as infrascan_cache_dir

# -- parsing -------------------------------------------------------------------------------


@dataclass
class Parsed:
    """One file's blocks and top-level attributes, with lines; `error` is (line, message)."""

    blocks: list[dict[str, Any]] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)
    attribute_lines: dict[str, int] = field(default_factory=dict)
    error: tuple[int | None, str] | None = None
    fallback: bool = False


_hcl2_module: Any = None


def cache_dir() -> Path | None:
    """infrascan's cache directory ($XDG_CACHE_HOME/infrascan or ~/.cache/infrascan), if writable."""
    path = infrascan_cache_dir()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return path if os.access(path, os.W_OK) else None


def _hcl2() -> Any:
    """Imports python-hcl2 on first use and points its grammar cache at infrascan's cache."""
    global _hcl2_module
    if _hcl2_module is None:
        module = importlib.import_module("hcl2")
        parser: Any = importlib.import_module("hcl2.parser")
        folder = cache_dir()
        if folder is not None:
            version = re.sub(r"[^\w.]", "_", str(getattr(module, "__version__", "unknown")))
            parser.PARSER_FILE = folder / f"hcl2-{version}-lark.bin"
        _hcl2_module = module
    return _hcl2_module


@dataclass(frozen=True)
class _Hcl2Parts:
    """The pieces of python-hcl2 and lark that `parse_hcl` uses, looked up once per process."""

    parses: Callable[[str], Any]
    block_rule: type
    attribute_rule: type
    block_view: Callable[[Any], Any]
    attribute_view: Callable[[Any], Any]
    options: Any
    unexpected_input: type[Exception]
    lark_error: type[Exception]


_hcl2_parts: _Hcl2Parts | None = None


def _parts() -> _Hcl2Parts:
    global _hcl2_parts
    if _hcl2_parts is None:
        hcl2 = _hcl2()
        rules: Any = importlib.import_module("hcl2.rules.base")
        errors: Any = importlib.import_module("lark.exceptions")
        _hcl2_parts = _Hcl2Parts(
            parses=hcl2.parses,
            block_rule=rules.BlockRule,
            attribute_rule=rules.AttributeRule,
            block_view=importlib.import_module("hcl2.query.blocks").BlockView,
            attribute_view=importlib.import_module("hcl2.query.attributes").AttributeView,
            options=hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=False),
            unexpected_input=errors.UnexpectedInput,
            lark_error=errors.LarkError,
        )
    return _hcl2_parts


_warm = False


def warm_up() -> None:
    """Imports python-hcl2 and builds (or loads) its grammar: the first parse in a process pays it."""
    global _warm
    if not _warm:
        _parts().parses("")
        _warm = True


def normalise(value: Any) -> Any:
    """Strips one pair of quotes from strings and drops `__*__` keys (python-hcl2 7.x and 8.x alike)."""
    if isinstance(value, dict):
        return {
            normalise(k): normalise(v)
            for k, v in value.items()
            if not (isinstance(k, str) and k.startswith("__") and k.endswith("__"))
        }
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return value[1:-1]
    return value


def _members(body: Any, kind: type) -> list[Any]:
    """A body's blocks or attributes, in order, read off the rule tree directly.

    The query API (`DocumentView.blocks()`) gathers each member's leading comments, which are
    never used here and cost more than serialising the member.
    """
    return [child for child in body.children if isinstance(child, kind)]


def _lines(block: Any, prefix: str, out: dict[str, int], hcl: _Hcl2Parts) -> None:
    """Records `path -> line` for every attribute and nested block under a block."""
    for attribute in _members(block.body, hcl.attribute_rule):
        out.setdefault(prefix + hcl.attribute_view(attribute).name, attribute._meta.line)
    for nested in _members(block.body, hcl.block_rule):
        name = ".".join(hcl.block_view(nested).labels)
        out.setdefault(prefix + name, nested._meta.line)
        _lines(nested, prefix + name + ".", out, hcl)


def _peel(data: Any, labels: list[str]) -> Any:
    """A block serialises as {label1: {label2: body}}; returns the body."""
    for label in labels:
        if isinstance(data, dict) and label in data and len(data) == 1:
            data = data[label]
    return data


_HCL2_FAILURES = (RecursionError, RuntimeError, ValueError, TypeError, AttributeError, KeyError, IndexError)


def parse_hcl(text: str) -> Parsed:
    """Parses HCL once; blocks carry their body and the lines of their attributes."""
    hcl = _parts()
    try:
        document = hcl.parses(text).body
        out = Parsed()
        for block in _members(document, hcl.block_rule):
            labels = [str(label) for label in hcl.block_view(block).labels]
            body = normalise(_peel(block.serialize(options=hcl.options), labels[1:]))
            lines: dict[str, int] = {}
            _lines(block, "", lines, hcl)
            out.blocks.append(
                {
                    "type": labels[0],
                    "labels": labels[1:],
                    "line": block._meta.line,
                    "body": body if isinstance(body, dict) else {},
                    "lines": lines,
                }
            )
        for attribute in _members(document, hcl.attribute_rule):
            value = normalise(attribute.serialize(options=hcl.options))
            name = hcl.attribute_view(attribute).name
            out.attributes[name] = value.get(name) if isinstance(value, dict) else value
            out.attribute_lines[name] = attribute._meta.line
        return out
    except hcl.unexpected_input as exc:
        return _failed(text, getattr(exc, "line", None), str(exc).splitlines()[0][:160])
    except hcl.lark_error as exc:
        return _failed(text, None, f"{type(exc).__name__}: {str(exc)[:200]}")
    except _HCL2_FAILURES as exc:  # python-hcl2's own failures on odd input; a timeout passes through
        return _failed(text, None, f"{type(exc).__name__}: {str(exc)[:200]}")


def _failed(text: str, line: int | None, message: str) -> Parsed:
    heredoc = unterminated_heredoc(text)
    if heredoc is not None:
        line, message = heredoc[0], f"unterminated heredoc <<{heredoc[1]}"
    parsed = Parsed(blocks=regex_blocks(text), error=(line if line and line > 0 else None, message), fallback=True)
    return parsed


_HEREDOC_OPEN = re.compile(r"<<-?([A-Za-z][A-Za-z0-9_]*)\s*$")


def unterminated_heredoc(text: str) -> tuple[int, str] | None:
    """The line and marker of the first `<<EOF` whose closing marker never comes."""
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        match = _HEREDOC_OPEN.search(lines[index])
        if match and "#" not in lines[index][: match.start()]:
            marker = match.group(1)
            close = next((j for j in range(index + 1, len(lines)) if lines[j].strip() == marker), None)
            if close is None:
                return index + 1, marker
            index = close
        index += 1
    return None


_BLOCK_HEAD = re.compile(r'^\s*(resource|data|module)\s+"([\w-]+)"(?:\s+"([^"]+)")?\s*\{', re.M)
_LITERAL_ATTR = re.compile(
    r'^\s*([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|(-?\d+(?:\.\d+)?)|(true|false))\s*(?:#.*|//.*)?$'
)


def regex_blocks(text: str) -> list[dict[str, Any]]:
    """`resource "type" "name"` blocks (and data, module) with their literal top-level attributes."""
    blocks: list[dict[str, Any]] = []
    lines = text.splitlines()
    for match in _BLOCK_HEAD.finditer(text):
        kind, first, second = match.group(1), match.group(2), match.group(3)
        if kind != "module" and second is None:
            continue
        labels = [first] if kind == "module" else [first, second]
        start = text.count("\n", 0, match.start(1)) + 1
        body, attr_lines = _literal_attributes(lines, start)
        blocks.append({"type": kind, "labels": labels, "line": start, "body": body, "lines": attr_lines})
    return blocks


def _literal_attributes(lines: list[str], start: int) -> tuple[dict[str, Any], dict[str, int]]:
    body: dict[str, Any] = {}
    where: dict[str, int] = {}
    depth = 0
    for number in range(start, len(lines) + 1):
        line = lines[number - 1]
        if depth == 1:
            match = _LITERAL_ATTR.match(line)
            if match:
                key, string, num, boolean = match.groups()
                if string is not None:
                    body[key] = string
                elif num is not None:
                    body[key] = float(num) if "." in num else int(num)
                else:
                    body[key] = boolean == "true"
                where[key] = number
        depth += line.count("{") - line.count("}")
        if depth <= 0:
            break
    return body, where


def parse_json(text: str, config: bool) -> Parsed:
    """`.tf.json` (blocks) or `.tfvars.json` (attributes) in the shape `parse_hcl` returns."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return Parsed(error=(exc.lineno, f"invalid JSON: {exc.msg}"))
    if not isinstance(data, dict):
        return Parsed(error=(1, "a Terraform JSON file must hold an object"))
    if not config:
        return Parsed(attributes=data, attribute_lines={key: _json_line(text, key, 0)[0] for key in data})
    out = Parsed()
    for block_type, content in data.items():
        if block_type.startswith("//"):
            continue
        type_line, type_at = _json_line(text, block_type, 0)
        for labels, body in _json_blocks(block_type, content):
            line, at = type_line, type_at
            for label in labels:
                line, at = _json_line(text, label, at)
            lines = {key: _json_line(text, key, at)[0] for key in body}
            out.blocks.append({"type": block_type, "labels": labels, "line": line, "body": body, "lines": lines})
    return out


_LABEL_DEPTH = {"resource": 2, "data": 2, "module": 1, "variable": 1, "output": 1, "provider": 1}


def _json_blocks(block_type: str, content: Any) -> Iterator[tuple[list[str], dict[str, Any]]]:
    depth = _LABEL_DEPTH.get(block_type, 0)
    items = content if isinstance(content, list) else [content]
    for item in items:
        yield from _json_labelled(item, depth, [])


def _json_labelled(item: Any, depth: int, labels: list[str]) -> Iterator[tuple[list[str], dict[str, Any]]]:
    if depth == 0:
        for body in item if isinstance(item, list) else [item]:
            if isinstance(body, dict):
                yield labels, body
        return
    if isinstance(item, dict):
        for key, value in item.items():
            yield from _json_labelled(value, depth - 1, [*labels, str(key)])


def _json_line(text: str, key: str, start: int) -> tuple[int, int]:
    """The line and offset of `"key"` at or after `start` (JSON keeps no positions)."""
    index = text.find(json.dumps(key), max(start, 0))
    if index < 0:
        return 0, start
    return text.count("\n", 0, index) + 1, index


# -- navigating bodies ----------------------------------------------------------------------


def line_of(lines: dict[str, int], path: str, default: int) -> int:
    """The line of an attribute path, else of its nearest enclosing block, else `default`."""
    while path:
        if path in lines:
            return lines[path]
        path = path.rpartition(".")[0]
    return default


def strings_in(value: Any) -> Iterator[str]:
    """Every string inside a body (keys excluded), for scans such as `terraform.workspace` uses."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


# -- evaluation -----------------------------------------------------------------------------


class Missing:
    """A value the evaluator cannot give: UNKNOWN (beyond it) or ERROR (a failed lookup)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


UNKNOWN = Missing("UNKNOWN")
ERROR = Missing("ERROR")


def known(value: Any) -> bool:
    return not isinstance(value, Missing)


class Scope(Protocol):
    """What an expression can refer to: `lookup` returns (value, steps used) for a reference path."""

    def lookup(self, path: list[Any]) -> tuple[Any, int]: ...

    def function(self, name: str) -> Callable[[list[Any]], Any] | None: ...


class EmptyScope:
    """A scope that knows nothing: literals and functions of literals still evaluate."""

    def lookup(self, path: list[Any]) -> tuple[Any, int]:
        return UNKNOWN, len(path)

    def function(self, name: str) -> Callable[[list[Any]], Any] | None:
        return None


def evaluate(value: Any, scope: Scope, depth: int = 0) -> Any:
    """A body value with every string template and expression evaluated (recursively)."""
    if depth > 40:
        return UNKNOWN
    if isinstance(value, str):
        return evaluate_string(value, scope, depth)
    if isinstance(value, dict):
        return {k: evaluate(v, scope, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [evaluate(v, scope, depth + 1) for v in value]
    return value


_HEREDOC_START = re.compile(r"<<(-?)([A-Za-z][A-Za-z0-9_]*)\r?\n")


def heredoc_body(value: str) -> str | None:
    """The text of a heredoc as python-hcl2 returns it (`<<-EOT\\n...\\n  EOT`), else None."""
    match = _HEREDOC_START.match(value)
    if not match:
        return None
    body = value[match.end() :]
    body = re.sub(r"\r?\n?[ \t]*" + re.escape(match.group(2)) + r"\s*$", "", body)
    if match.group(1):
        rows = body.splitlines()
        indents = [len(r) - len(r.lstrip()) for r in rows if r.strip()]
        cut = min(indents) if indents else 0
        body = "\n".join(r[cut:] for r in rows)
    return body


def evaluate_string(value: str, scope: Scope, depth: int = 0) -> Any:
    body = heredoc_body(value)
    return render_template(body if body is not None else value, scope, depth)


def is_expression(value: Any) -> bool:
    return isinstance(value, str) and ("${" in value or "%{" in value)


def render_template(raw: str, scope: Scope, depth: int = 0) -> Any:
    """A template's value: one whole `${expr}` keeps its type, otherwise text with parts filled in."""
    if "${" not in raw and "%{" not in raw:
        return raw.replace("$${", "${")
    pieces: list[str] = []
    index = 0
    while index < len(raw):
        if raw.startswith("$${", index) or raw.startswith("%%{", index):
            pieces.append(raw[index + 1 : index + 3])
            index += 3
            continue
        if raw.startswith("%{", index):
            return UNKNOWN
        if raw.startswith("${", index):
            end = _closing_brace(raw, index + 2)
            if end < 0:
                return UNKNOWN
            inner = raw[index + 2 : end].strip().strip("~").strip()
            result = evaluate_expression(inner, scope, depth + 1)
            if index == 0 and end == len(raw) - 1:
                return result
            if not known(result):
                return result
            if isinstance(result, (dict, list)):
                return UNKNOWN
            pieces.append(_as_text(result))
            index = end + 1
            continue
        pieces.append(raw[index])
        index += 1
    return "".join(pieces)


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _closing_brace(src: str, start: int) -> int:
    """Index of the `}` closing an interpolation opened just before `start` (strings skipped)."""
    depth = 1
    index = start
    while index < len(src):
        char = src[index]
        if char == '"':
            index = _string_end(src, index + 1)
            if index < 0:
                return -1
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return -1


def _string_end(src: str, start: int) -> int:
    """Index of the closing quote of a string whose content starts at `start`."""
    index = start
    while index < len(src):
        char = src[index]
        if char == "\\":
            index += 2
            continue
        if char == '"':
            return index
        if src.startswith("${", index):
            end = _closing_brace(src, index + 2)
            if end < 0:
                return -1
            index = end + 1
            continue
        index += 1
    return -1


# A tiny expression language: tokens, then a precedence-climbing parser producing tuples.
_TOKEN = re.compile(
    r"(?P<skip>\s+|#[^\n]*|//[^\n]*|/\*.*?\*/)"
    r"|(?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<id>[A-Za-z_][A-Za-z0-9_-]*)"
    r"|(?P<op>==|!=|<=|>=|&&|\|\||\.\.\.|=>|::|[-+*/%<>!?:.,()\[\]{}=])",
    re.S,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


class _Syntax(Exception):
    pass


def _tokens(src: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    index = 0
    while index < len(src):
        if src[index] == '"':
            end = _string_end(src, index + 1)
            if end < 0:
                raise _Syntax("unterminated string")
            out.append(("str", src[index + 1 : end]))
            index = end + 1
            continue
        match = _TOKEN.match(src, index)
        if not match:
            raise _Syntax(f"unexpected {src[index]!r}")
        kind = match.lastgroup or "skip"
        if kind == "num":
            text = match.group(kind)
            out.append(("num", float(text) if any(c in text for c in ".eE") else int(text)))
        elif kind != "skip":
            out.append((kind, match.group(kind)))
        index = match.end()
    out.append(("end", None))
    return out


_BINARY = (("||",), ("&&",), ("==", "!="), ("<", ">", "<=", ">="), ("+", "-"), ("*", "/", "%"))


class _Parser:
    def __init__(self, src: str) -> None:
        self.tokens = _tokens(src)
        self.pos = 0

    def peek(self, value: str | None = None) -> bool:
        kind, text = self.tokens[self.pos]
        return text == value if value is not None else kind != "end"

    def take(self, value: str | None = None) -> tuple[str, Any]:
        token = self.tokens[self.pos]
        if value is not None and token[1] != value:
            raise _Syntax(f"expected {value!r}")
        self.pos += 1
        return token

    def parse(self) -> Any:
        node = self.expression()
        if self.tokens[self.pos][0] != "end":
            raise _Syntax("trailing input")
        return node

    def expression(self) -> Any:
        condition = self.binary(0)
        if self.tokens[self.pos] == ("op", "?"):
            self.take()
            yes = self.expression()
            self.take(":")
            no = self.expression()
            return ("cond", condition, yes, no)
        return condition

    def binary(self, level: int) -> Any:
        if level == len(_BINARY):
            return self.unary()
        node = self.binary(level + 1)
        while self.tokens[self.pos][0] == "op" and self.tokens[self.pos][1] in _BINARY[level]:
            op = self.take()[1]
            node = ("bin", op, node, self.binary(level + 1))
        return node

    def unary(self) -> Any:
        if self.tokens[self.pos] in (("op", "!"), ("op", "-")):
            op = self.take()[1]
            return ("un", op, self.unary())
        return self.postfix(self.primary())

    def postfix(self, node: Any) -> Any:
        while True:
            kind, text = self.tokens[self.pos]
            if (kind, text) == ("op", "."):
                self.take()
                step_kind, step = self.take()
                if step == "*":
                    node = ("unknown",)
                elif step_kind in ("id", "num"):
                    node = ("attr", node, step)
                else:
                    raise _Syntax("bad attribute")
            elif (kind, text) == ("op", "["):
                self.take()
                if self.tokens[self.pos] == ("op", "*"):
                    self.take()
                    self.take("]")
                    node = ("unknown",)
                else:
                    index = self.expression()
                    self.take("]")
                    node = ("index", node, index)
            else:
                return node

    def primary(self) -> Any:
        kind, text = self.take()
        if kind == "num":
            return ("lit", text)
        if kind == "str":
            return ("tmpl", text)
        if kind == "id":
            return self.identifier(text)
        if (kind, text) == ("op", "("):
            node = self.expression()
            self.take(")")
            return node
        if (kind, text) == ("op", "["):
            return self.sequence()
        if (kind, text) == ("op", "{"):
            return self.mapping()
        raise _Syntax(f"unexpected {text!r}")

    def identifier(self, name: str) -> Any:
        if name in ("true", "false"):
            return ("lit", name == "true")
        if name == "null":
            return ("lit", None)
        while self.tokens[self.pos] == ("op", "::"):
            self.take()
            name += "::" + str(self.take()[1])
        if self.tokens[self.pos] == ("op", "("):
            self.take()
            args: list[Any] = []
            while not self.peek(")"):
                args.append(self.expression())
                if self.peek("..."):
                    self.take()
                    args.append(("unknown",))
                if not self.peek(")"):
                    self.take(",")
            self.take(")")
            return ("call", name, args)
        return ("ref", name)

    def sequence(self) -> Any:
        if self.tokens[self.pos] == ("id", "for"):
            self.skip_to("]")
            return ("unknown",)
        items = []
        while not self.peek("]"):
            items.append(self.expression())
            if not self.peek("]"):
                self.take(",")
        self.take("]")
        return ("list", items)

    def mapping(self) -> Any:
        if self.tokens[self.pos] == ("id", "for"):
            self.skip_to("}")
            return ("unknown",)
        pairs = []
        while not self.peek("}"):
            key_kind, key_text = self.tokens[self.pos]
            if key_kind == "id" and self.tokens[self.pos + 1][1] in ("=", ":"):
                self.take()
                key: Any = ("lit", key_text)
            else:
                key = self.expression()
            self.take()  # = or :
            pairs.append((key, self.expression()))
            if self.peek(","):
                self.take()
        self.take("}")
        return ("obj", pairs)

    def skip_to(self, closer: str) -> None:
        depth = 1
        while self.tokens[self.pos][0] != "end":
            text = self.take()[1]
            if text in ("[", "{", "("):
                depth += 1
            elif text in ("]", "}", ")"):
                depth -= 1
                if depth == 0:
                    return
        raise _Syntax(f"missing {closer!r}")


def parse_expression(src: str) -> Any:
    """The syntax tree of an expression, or ("unknown",) when it is beyond this parser."""
    try:
        return _Parser(src).parse()
    except (_Syntax, IndexError, RecursionError):
        return ("unknown",)


def evaluate_expression(src: str, scope: Scope, depth: int = 0) -> Any:
    return _Evaluator(scope, depth).run(parse_expression(src))


def reference_path(src: Any) -> list[str] | None:
    """`aws_route53_zone.main.zone_id` (or `${...}` around it) as its parts; None if not a plain reference."""
    if not isinstance(src, str):
        return None
    text = src.strip()
    if text.startswith("${") and text.endswith("}"):
        text = text[2:-1].strip()
    node = parse_expression(text)
    parts: list[str] = []
    while node[0] in ("attr", "index"):
        if node[0] == "attr":
            parts.append(str(node[2]))
        elif node[2][0] == "lit" or (node[2][0] == "tmpl" and "${" not in node[2][1]):
            parts.append(str(node[2][1]))
        else:
            return None
        node = node[1]
    if node[0] != "ref":
        return None
    return [node[1], *reversed(parts)]


class _Evaluator:
    def __init__(self, scope: Scope, depth: int) -> None:
        self.scope = scope
        self.depth = depth

    def run(self, node: Any) -> Any:
        if self.depth > 40:
            return UNKNOWN
        try:
            return self.node(node)
        except RecursionError:
            return UNKNOWN

    def node(self, node: Any) -> Any:
        kind = node[0]
        if kind == "lit":
            return node[1]
        if kind == "tmpl":
            return render_template(_unescape(node[1]), self.scope, self.depth + 1)
        if kind in ("ref", "attr", "index"):
            return self.reference(node)
        if kind == "cond":
            return self.conditional(node)
        if kind == "un":
            return _unary(node[1], self.node(node[2]))
        if kind == "bin":
            return self.binary(node)
        if kind == "list":
            return [self.node(n) for n in node[1]]
        if kind == "obj":
            return self.mapping(node[1])
        if kind == "call":
            return self.call(node[1], node[2])
        return UNKNOWN

    def mapping(self, pairs: list[tuple[Any, Any]]) -> Any:
        out: dict[str, Any] = {}
        for key_node, value_node in pairs:
            key = self.node(key_node)
            if not known(key):
                return UNKNOWN
            out[_as_text(key)] = self.node(value_node)
        return out

    def conditional(self, node: Any) -> Any:
        condition = self.node(node[1])
        if condition is True:
            return self.node(node[2])
        if condition is False:
            return self.node(node[3])
        yes, no = self.node(node[2]), self.node(node[3])
        return yes if known(yes) and yes == no else UNKNOWN

    def binary(self, node: Any) -> Any:
        op = node[1]
        left = self.node(node[2])
        if op == "&&" and left is False:
            return False
        if op == "||" and left is True:
            return True
        right = self.node(node[3])
        return _binary(op, left, right)

    def reference(self, node: Any) -> Any:
        steps: list[Any] = []
        while node[0] in ("attr", "index"):
            steps.append(node[2] if node[0] == "attr" else self.node(node[2]))
            node = node[1]
        steps.reverse()
        if node[0] == "ref":
            path = [node[1], *steps]
            if any(not known(s) for s in path):
                return UNKNOWN
            value, used = self.scope.lookup(path)
            rest = path[used:]
        else:
            value, rest = self.node(node), steps
        for step in rest:
            value = _index(value, step)
        return value

    def call(self, name: str, arg_nodes: list[Any]) -> Any:
        if name == "try":
            for arg in arg_nodes:
                value = self.node(arg)
                if value is not ERROR:
                    return value
            return ERROR
        if name == "can":
            value = self.node(arg_nodes[0]) if arg_nodes else ERROR
            return UNKNOWN if value is UNKNOWN else value is not ERROR
        args = [self.node(a) for a in arg_nodes]
        custom = self.scope.function(name)
        if custom is not None:
            return custom(args)
        builtin = _FUNCTIONS.get(name)
        if builtin is None:
            return UNKNOWN
        missing = [m for a in args for m in _missing_in(a)]
        if name != "coalesce" and missing:
            return UNKNOWN if UNKNOWN in missing else ERROR
        try:
            return builtin(args)
        except (TypeError, ValueError, IndexError, KeyError, AttributeError, ZeroDivisionError):
            return ERROR


def _missing_in(value: Any) -> list[Missing]:
    """The unknowns inside a value (a list holding one is not a known list)."""
    if isinstance(value, Missing):
        return [value]
    if isinstance(value, list):
        return [m for v in value for m in _missing_in(v)]
    if isinstance(value, dict):
        return [m for v in value.values() for m in _missing_in(v)]
    return []


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), text)


def _index(value: Any, step: Any) -> Any:
    if not known(value):
        return value
    if isinstance(value, dict):
        return value.get(_as_text(step) if not isinstance(step, str) else step, ERROR)
    if isinstance(value, list):
        if isinstance(step, bool) or not isinstance(step, (int, float)):
            try:
                step = int(step)
            except (TypeError, ValueError):
                return ERROR
        return value[int(step)] if 0 <= int(step) < len(value) else ERROR
    return ERROR


def _unary(op: str, value: Any) -> Any:
    if not known(value):
        return value
    if op == "!":
        return (not value) if isinstance(value, bool) else ERROR
    return -value if isinstance(value, (int, float)) and not isinstance(value, bool) else ERROR


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return float(value) if "." in value else int(value)
        except ValueError:
            return None
    return None


def _binary(op: str, left: Any, right: Any) -> Any:
    if op in ("&&", "||"):
        if left is UNKNOWN or right is UNKNOWN:
            return False if op == "&&" and False in (left, right) else UNKNOWN
        if not (isinstance(left, bool) and isinstance(right, bool)):
            return ERROR
        return (left and right) if op == "&&" else (left or right)
    if not known(left) or not known(right):
        return UNKNOWN if UNKNOWN in (left, right) else ERROR
    if op == "==":
        return _same(left, right)
    if op == "!=":
        return not _same(left, right)
    a, b = _number(left), _number(right)
    if a is None or b is None:
        return ERROR
    operations: dict[str, Callable[[Any, Any], Any]] = {
        "<": lambda x, y: x < y,
        ">": lambda x, y: x > y,
        "<=": lambda x, y: x <= y,
        ">=": lambda x, y: x >= y,
        "+": lambda x, y: x + y,
        "-": lambda x, y: x - y,
        "*": lambda x, y: x * y,
        "/": lambda x, y: x / y if y else ERROR,
        "%": lambda x, y: x % y if y else ERROR,
    }
    return operations[op](a, b)


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    a, b = _number(left), _number(right)
    if isinstance(left, (int, float)) and isinstance(right, (int, float)) and a is not None and b is not None:
        return a == b
    return bool(left == right)


def _lookup(args: list[Any]) -> Any:
    table, key = args[0], _as_text(args[1])
    if isinstance(table, dict) and key in table:
        return table[key]
    return args[2] if len(args) > 2 else ERROR


def _coalesce(args: list[Any]) -> Any:
    for value in args:
        if not known(value):
            return UNKNOWN
        if value is not None and value != "":
            return value
    return ERROR


def _format(args: list[Any]) -> Any:
    template, values = str(args[0]), list(args[1:])

    def fill(match: re.Match[str]) -> str:
        if match.group(0) == "%%":
            return "%"
        return _as_text(values.pop(0))

    return re.sub(r"%%|%[-+ #0]*\d*(?:\.\d+)?[sdvqf]", fill, template)


def _flatten(values: Any) -> list[Any]:
    out: list[Any] = []
    for value in values:
        out.extend(_flatten(value) if isinstance(value, list) else [value])
    return out


def _merge(args: list[Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for arg in args:
        if arg is None:
            continue
        if not isinstance(arg, dict):
            raise TypeError("merge takes maps")
        merged.update(arg)
    return merged


_FUNCTIONS: dict[str, Callable[[list[Any]], Any]] = {
    "lookup": _lookup,
    "coalesce": _coalesce,
    "contains": lambda a: a[1] in a[0],
    "lower": lambda a: str(a[0]).lower(),
    "upper": lambda a: str(a[0]).upper(),
    "title": lambda a: str(a[0]).title(),
    "format": _format,
    "join": lambda a: str(a[0]).join(_as_text(v) for v in a[1]),
    "split": lambda a: str(a[1]).split(str(a[0])),
    "concat": lambda a: [v for part in a for v in part],
    "merge": _merge,
    "tostring": lambda a: _as_text(a[0]),
    "tonumber": lambda a: _number(a[0]) if _number(a[0]) is not None else ERROR,
    "tobool": lambda a: a[0] if isinstance(a[0], bool) else {"true": True, "false": False}[str(a[0])],
    "tolist": lambda a: list(a[0]),
    "toset": lambda a: list(dict.fromkeys(a[0])),
    "tomap": lambda a: dict(a[0]),
    "length": lambda a: len(a[0]),
    "element": lambda a: a[0][int(a[1]) % len(a[0])],
    "keys": lambda a: sorted(a[0]),
    "values": lambda a: [a[0][k] for k in sorted(a[0])],
    "replace": lambda a: str(a[0]).replace(str(a[1]), str(a[2])),
    "trimprefix": lambda a: str(a[0])[len(str(a[1])) :] if str(a[0]).startswith(str(a[1])) else str(a[0]),
    "trimsuffix": lambda a: str(a[0])[: -len(str(a[1]))] if a[1] and str(a[0]).endswith(str(a[1])) else str(a[0]),
    "trimspace": lambda a: str(a[0]).strip(),
    "startswith": lambda a: str(a[0]).startswith(str(a[1])),
    "endswith": lambda a: str(a[0]).endswith(str(a[1])),
    "substr": lambda a: str(a[0])[int(a[1]) : int(a[1]) + int(a[2]) if int(a[2]) >= 0 else None],
    "max": lambda a: max(float(v) for v in _flatten(a)),
    "min": lambda a: min(float(v) for v in _flatten(a)),
    "compact": lambda a: [v for v in a[0] if v not in (None, "")],
    "flatten": lambda a: _flatten(a[0]),
    "distinct": lambda a: list(dict.fromkeys(a[0])),
    "one": lambda a: (a[0][0] if a[0] else None) if len(a[0]) <= 1 else ERROR,
}


# -- type constraints ----------------------------------------------------------------------


@dataclass(frozen=True)
class OptionalAttribute:
    """`optional(type, default)` inside an `object({...})` type constraint."""

    type: Any
    default: Any


class _TypeScope:
    """Evaluates a type constraint into a tree: objects as dicts, `optional()` as OptionalAttribute."""

    def lookup(self, path: list[Any]) -> tuple[Any, int]:
        return str(path[0]), len(path)

    def function(self, name: str) -> Callable[[list[Any]], Any] | None:
        if name == "optional":
            return lambda a: OptionalAttribute(a[0] if a else None, a[1] if len(a) > 1 else None)
        if name == "object":
            return lambda a: a[0] if a and isinstance(a[0], dict) else UNKNOWN
        if name in ("map", "list", "set", "tuple"):
            return lambda a: UNKNOWN
        return None


def type_spec(raw: Any) -> Any:
    """The tree of a variable's `type` (only object attributes and their optional defaults matter)."""
    return evaluate(raw, _TypeScope()) if isinstance(raw, str) else None


def with_type_defaults(value: Any, spec: Any) -> Any:
    """Fills the defaults `optional(T, default)` gives object attributes that are missing or null."""
    if isinstance(spec, OptionalAttribute):
        spec = spec.type
    if not isinstance(spec, dict) or not isinstance(value, dict):
        return value
    out = dict(value)
    for key, sub in spec.items():
        if out.get(key) is None and isinstance(sub, OptionalAttribute) and sub.default is not None:
            out[key] = sub.default
        if key in out:
            out[key] = with_type_defaults(out[key], sub)
    return out
