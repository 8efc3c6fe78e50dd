"""Terraform, OpenTofu and Terragrunt: each environment's databases, URLs and cloud, plus alerts and logs.

Phase 1 parses every `.tf`, `.tofu`, `.tf.json`, `*.tfvars`, `.terraform.lock.hcl` and Terragrunt
file once and records its blocks with their lines; it knows nothing about resource types, so the
knowledge table can change without invalidating cached parses.

Phase 2 works over those records only:

1. Roots: directories with configuration that no other directory calls as a local module, and
   Terragrunt units.
2. Environments of a root, in the order of detection-spec §3.3: an `envs|environments|env|stages/
   <env>/` directory (or an environment word below `live/`, `deployments/`, or anywhere in the path),
   Terragrunt `env.hcl` locals, `<env>.tfvars` files, `terraform.workspace` comparisons, backend
   keys, provider `default_tags`. A root without any is read once, with no environment: what it
   declares is then only a hint for every environment.
3. Module binding: each root is evaluated once per environment; local modules are evaluated with
   the call site's arguments (variables fall back to the environment's tfvars, then defaults), so a
   resource written once in `modules/x` is reported under every environment that uses it, with that
   environment's values. `count`/`for_each` that evaluate to nothing drop the resource there.
   Well-known registry modules are read as the resource they create, input by input.
4. Facts: what each resource type means comes from `data/terraform.yaml` (roles) and the catalog
   (technologies). Databases and URLs belong to their environment; alerts, channels, logs and
   monitoring are document-wide and name the environments they were seen in.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from infrascan import redact
from infrascan.catalog import DATA_STORE_CATEGORIES, Catalog, Tech
from infrascan.detector import Detector, Extraction, Record, ResolveContext, SourceFile
from infrascan.environments import env_from_name, normalise
from infrascan.envvars import is_placeholder_host
from infrascan.images import tag_version
from infrascan.model import DEFAULT_RANK, Code, Confidence, Evidence, Fact, FactScope, Part, Severity, text
from infrascan.source import folder_of, is_example_path, is_retired_path, is_within, near_folder
from infrascan.yamlload import load_yaml

from .terraform_hcl import (
    ERROR,
    UNKNOWN,
    EmptyScope,
    Parsed,
    evaluate,
    heredoc_body,
    is_expression,
    known,
    line_of,
    parse_hcl,
    parse_json,
    reference_path,
    strings_in,
    type_spec,
    warm_up,
    with_type_defaults,
)
from .terraform_state import S3_PROTECTION, StateUse, s3_protection, state_fact

RECORD = "terraform.file"
CONFIG, VARS, LOCK, TERRAGRUNT = "config", "tfvars", "lock", "terragrunt"
MAX_DEPTH = 12  # module nesting; deeper calls are cycles or generated trees

# -- the knowledge table -------------------------------------------------------------------


@cache
def knowledge() -> dict[str, Any]:
    """data/terraform.yaml, loaded once (see its header for the sections)."""
    raw = resources.files("infrascan").joinpath("data/terraform.yaml").read_text(encoding="utf-8")
    loaded = load_yaml(raw)
    doc = loaded.documents[0] if loaded.documents else {}
    return dict(doc) if isinstance(doc, dict) else {}


def _section(name: str) -> dict[str, Any]:
    value = knowledge().get(name)
    return value if isinstance(value, dict) else {}


@cache
def _words(name: str) -> tuple[str, ...]:
    return tuple(str(w) for w in knowledge().get(name) or [])


# -- phase 1 -------------------------------------------------------------------------------


STACK_FILE = "terragrunt.stack.hcl"


def file_kind(path: str) -> str:
    name = posixpath.basename(path)
    if name == ".terraform.lock.hcl":
        return LOCK
    if name.endswith((".tfvars", ".tfvars.json")):
        return VARS
    if name.endswith((".tf", ".tofu", ".tf.json", ".tofu.json")):
        return CONFIG
    return TERRAGRUNT


def _generated_blocks(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Blocks inside Terragrunt `generate` heredocs (the provider.tf a root.hcl writes)."""
    out: list[dict[str, Any]] = []
    for block in blocks:
        contents = block["body"].get("contents") if block["type"] == "generate" else None
        body = heredoc_body(contents) if isinstance(contents, str) else None
        if body is None:
            continue
        offset = line_of(block["lines"], "contents", block["line"])
        inner = parse_hcl(body)
        for item in inner.blocks:
            item["line"] += offset
            item["lines"] = {k: v + offset for k, v in item["lines"].items()}
            out.append(item)
    return out


# -- phase 2: the repository as directories -------------------------------------------------


@dataclass
class Block:
    kind: str
    labels: list[str]
    line: int
    body: dict[str, Any]
    lines: dict[str, int]
    path: str

    @property
    def type(self) -> str:
        return self.labels[0] if self.labels else ""

    @property
    def name(self) -> str:
        return self.labels[-1] if self.labels else ""

    def line_at(self, attr: str) -> int:
        return line_of(self.lines, attr, self.line)


def _block(raw: dict[str, Any], path: str) -> Block:
    body = raw.get("body")
    return Block(
        str(raw.get("type", "")),
        [str(label) for label in raw.get("labels", [])],
        int(raw.get("line", 0)),
        body if isinstance(body, dict) else {},
        dict(raw.get("lines") or {}),
        path,
    )


@dataclass
class VarsFile:
    path: str
    values: dict[str, Any]
    lines: dict[str, int]
    env: str | None
    auto: bool


@dataclass
class HclFile:
    """A Terragrunt file: its blocks, top-level attributes (`inputs`) and generated blocks."""

    path: str
    blocks: list[Block]
    attributes: dict[str, Any]
    attribute_lines: dict[str, int]
    generated: list[Block]


@dataclass
class Directory:
    path: str
    blocks: list[Block] = field(default_factory=list)
    tfvars: list[VarsFile] = field(default_factory=list)
    lock: dict[str, tuple[str, Evidence]] = field(default_factory=dict)
    index: dict[tuple[str, str, str], Block] = field(default_factory=dict)
    variables: dict[str, Block] = field(default_factory=dict)
    locals: dict[str, tuple[Any, Evidence]] = field(default_factory=dict)

    def finish(self, detector: str) -> None:
        self.blocks.sort(key=lambda b: (b.path, b.line))
        for block in self.blocks:
            if block.kind in ("resource", "data") and len(block.labels) == 2:
                self.index.setdefault((block.kind, block.labels[0], block.labels[1]), block)
            elif block.kind == "module":
                self.index.setdefault(("module", "", block.name), block)
            elif block.kind == "variable":
                self.variables.setdefault(block.name, block)
            elif block.kind == "locals":
                for key, value in block.body.items():
                    self.locals.setdefault(key, (value, Evidence(block.path, block.line_at(key), detector)))

    def of(self, kind: str) -> list[Block]:
        return [b for b in self.blocks if b.kind == kind]


_TFVARS_SUFFIX = re.compile(r"(\.auto)?\.tfvars(\.json)?$")


def tfvars_env(path: str) -> str | None:
    """`prod.tfvars`, `env/staging.auto.tfvars`, `production.tfvars.json` -> the raw environment name."""
    stem = _TFVARS_SUFFIX.sub("", posixpath.basename(path))
    return stem if stem != "terraform" and env_from_name(stem) else None


class Repository:
    """Every Terraform directory and Terragrunt file of the repository, from phase-1 records."""

    def __init__(self, records: list[Record], detector: str) -> None:
        self.dirs: dict[str, Directory] = {}
        self.hcl_files: dict[str, HclFile] = {}
        self.loose_vars: list[VarsFile] = []
        for record in records:
            self._add(record, detector)
        for directory in self.dirs.values():
            directory.finish(detector)

    def directory(self, path: str) -> Directory:
        if path not in self.dirs:
            self.dirs[path] = Directory(path)
        return self.dirs[path]

    def _add(self, record: Record, detector: str) -> None:
        data = record.data
        kind = data.get("kind")
        folder = near_folder(record.path)
        if kind == CONFIG:
            self.directory(folder).blocks.extend(_block(b, record.path) for b in data.get("blocks", []))
        elif kind == VARS:
            name = posixpath.basename(record.path)
            self.directory(folder).tfvars.append(
                VarsFile(
                    record.path,
                    dict(data.get("attributes") or {}),
                    dict(data.get("attribute_lines") or {}),
                    tfvars_env(record.path),
                    name in ("terraform.tfvars", "terraform.tfvars.json") or ".auto.tfvars" in name,
                )
            )
        elif kind == LOCK:
            for raw in data.get("blocks", []):
                block = _block(raw, record.path)
                version = block.body.get("version")
                if block.kind == "provider" and isinstance(version, str):
                    source = "/".join(block.name.split("/")[-2:])
                    self.directory(folder).lock[source.lower()] = (
                        version,
                        Evidence(record.path, block.line_at("version"), detector),
                    )
        elif kind == TERRAGRUNT:
            self.hcl_files[record.path] = HclFile(
                record.path,
                [_block(b, record.path) for b in data.get("blocks", [])],
                dict(data.get("attributes") or {}),
                dict(data.get("attribute_lines") or {}),
                [_block(b, record.path) for b in data.get("generated", [])],
            )


def _norm(path: str) -> str:
    cleaned = posixpath.normpath(path.strip().lstrip("/")) if path.strip() else ""
    return "" if cleaned == "." else cleaned


def _local_source(source: Any) -> bool:
    return isinstance(source, str) and (source.startswith(("./", "../")) or source in (".", ".."))


# -- environments --------------------------------------------------------------------------


@dataclass
class Env:
    """One environment a root is read for, with where that environment comes from."""

    name: str | None
    evidence: tuple[Evidence, ...] = ()
    workspace: str | None = None
    var_files: tuple[VarsFile, ...] = ()


def _env_word(part: str) -> str | None:
    """`prod`, `staging-eu` -> the part; `datadog-integration`, `modules` -> None (not environments here)."""
    name = env_from_name(part)
    never = _words_lower("layout", "not_environments")
    if name is None or name in never or part.lower() in never:
        return None
    return part


@cache
def _words_lower(section: str, key: str) -> frozenset[str]:
    """A knowledge list as lower-case words, built once: directory names are checked against it per part."""
    return frozenset(str(w).lower() for w in _section(section).get(key) or [])


def directory_env(path: str) -> str | None:
    """The environment a directory path names: `envs/<env>/...`, `live/.../<env>/...`, `.../prod/...`."""
    parts = [p for p in path.split("/") if p]
    folders = _words_lower("layout", "env_folders")
    parents = _words_lower("layout", "env_parents")
    for index, part in enumerate(parts[:-1] if parts else []):
        if part.lower() in folders and parts[index + 1].lower() not in _words_lower("layout", "not_env_folders"):
            return parts[index + 1]
    for index, part in enumerate(parts):
        if part.lower() in parents:
            found = [w for w in (_env_word(p) for p in parts[index + 1 :]) if w]
            if found:
                return found[-1]
    # Anywhere else in the path, but not above a `modules/` folder: `production/terraform/modules/s3`
    # is a reusable module kept in a folder of production-ready examples, not a production root.
    tail = parts[len(parts) - parts[::-1].index("modules") :] if "modules" in parts else parts
    words = [w for w in (_env_word(p) for p in tail) if w]
    return words[-1] if words else None


_WORKSPACE_COMPARE = re.compile(r'terraform\.workspace\s*[!=]=\s*"([^"$]+)"|"([^"$]+)"\s*[!=]=\s*terraform\.workspace')
_WORKSPACE_MAP = re.compile(
    r"(?:lookup\(\s*|\b)(local|var)\.([\w-]+)(?:\[\s*terraform\.workspace\s*\]|\s*,\s*terraform\.workspace)"
)


def workspace_names(directories: Iterable[Directory]) -> list[tuple[str, Evidence]]:
    """Workspaces a configuration tells apart: `terraform.workspace == "prod"`, maps keyed by it."""
    found: dict[str, Evidence] = {}
    for directory in directories:
        for block in directory.blocks:
            for value in strings_in(block.body):
                if "terraform.workspace" not in value:
                    continue
                evidence = Evidence(block.path, block.line, "terraform")
                for match in _WORKSPACE_COMPARE.finditer(value):
                    found.setdefault(match.group(1) or match.group(2), evidence)
                for match in _WORKSPACE_MAP.finditer(value):
                    for key in _map_keys(directory, match.group(1), match.group(2)):
                        found.setdefault(key, evidence)
    return sorted((k, v) for k, v in found.items() if k != "default")


def _map_keys(directory: Directory, kind: str, name: str) -> list[str]:
    if kind == "local" and name in directory.locals:
        value = directory.locals[name][0]
    elif kind == "var" and name in directory.variables:
        value = directory.variables[name].body.get("default")
    else:
        return []
    return [str(k) for k in value] if isinstance(value, dict) else []


# -- evaluation scopes ---------------------------------------------------------------------


@dataclass
class Value:
    """A variable's value before evaluation: raw text, the scope it is read in, where it is written."""

    raw: Any
    scope: Any
    evidence: Evidence | None


class ModuleScope:
    """One module instance: a directory read for one environment with its inputs bound."""

    def __init__(
        self,
        run: Run,
        directory: Directory,
        env: Env,
        inputs: dict[str, Value],
        *,
        root: str,
        address: str = "",
        chain: tuple[Evidence, ...] = (),
        depth: int = 0,
        parents: frozenset[str] = frozenset(),
    ) -> None:
        self.run = run
        self.directory = directory
        self.env = env
        self.inputs = inputs
        self.root = root
        self.address = address
        self.chain = chain
        self.depth = depth
        self.parents = parents | {directory.path}
        self.example = is_example_path(root + "/x") if root else False
        self._vars: dict[str, Any] = {}
        self._var_evidence: dict[str, list[Evidence]] = {}
        self._local_evidence: dict[str, list[Evidence]] = {}
        self._locals: dict[str, Any] = {}
        self._busy: set[tuple[Any, ...]] = set()
        self._children: dict[str, ModuleScope | None] = {}
        # Root variables whose default values switch this module instance off (`count = 0`).
        self.optional: list[str] = []

    # Scope protocol
    def lookup(self, path: list[Any]) -> tuple[Any, int]:
        head = path[0]
        if head == "var" and len(path) > 1:
            return self.variable(str(path[1])), 2
        if head == "local" and len(path) > 1:
            return self.local(str(path[1])), 2
        if head == "terraform" and len(path) > 1 and path[1] == "workspace":
            return (self.env.workspace if self.env.workspace else UNKNOWN), 2
        if head == "module" and len(path) > 2:
            child = self.child(str(path[1]))
            return (child.output(str(path[2])) if child else UNKNOWN), 3
        if head == "data" and len(path) > 3:
            return self.resource_attr("data", str(path[1]), str(path[2]), path[3:])
        if len(path) > 2 and ("resource", str(head), str(path[1])) in self.directory.index:
            return self.resource_attr("resource", str(head), str(path[1]), path[2:])
        return UNKNOWN, len(path)

    def function(self, name: str) -> Callable[[list[Any]], Any] | None:
        return None

    # values
    def value(self, raw: Any) -> Any:
        return evaluate(raw, self)

    def variable(self, name: str) -> Any:
        """A variable's value: call-site argument, then the environment's tfvars, then the default."""
        if name not in self._vars:
            self._vars[name] = UNKNOWN  # a variable whose value refers to itself stays unknown
            source = self._variable_source(name)
            if source is not None:
                value, self._var_evidence[name] = self.run.traced(source.raw, source.scope, source.evidence)
                block = self.directory.variables.get(name)
                if isinstance(value, dict) and block is not None and "type" in block.body:
                    typed = with_type_defaults(value, type_spec(block.body["type"]))
                    if typed != value:  # an attribute left out takes its `optional(T, default)`: cite the type
                        chain = self._var_evidence[name]
                        chain.insert(min(1, len(chain)), Evidence(block.path, block.line_at("type"), "terraform"))
                    value = typed
                self._vars[name] = value
        self.run.trace.extend(self._var_evidence.get(name, ()))
        return self._vars[name]

    def _variable_source(self, name: str) -> Value | None:
        if name in self.inputs:
            return self.inputs[name]
        if self.depth == 0:
            for vars_file in reversed(self.env.var_files):
                if name in vars_file.values:
                    line = vars_file.lines.get(name, 0)
                    return Value(vars_file.values[name], EmptyScope(), Evidence(vars_file.path, line, "terraform"))
        block = self.directory.variables.get(name)
        if block is not None and "default" in block.body:
            where = Evidence(block.path, block.line_at("default"), "terraform")
            if self.depth == 0:  # whoever runs terraform can override a root default
                self.run.overridable[where] = name
            return Value(block.body["default"], EmptyScope(), where)
        return None

    def local(self, name: str) -> Any:
        if name in self._locals:
            value = self._locals[name]
        elif name not in self.directory.locals or ("local", name) in self._busy:
            return UNKNOWN
        else:
            self._busy.add(("local", name))
            raw, where = self.directory.locals[name]
            value, self._local_evidence[name] = self.run.traced(raw, self, where)
            self._busy.discard(("local", name))
            self._locals[name] = value
        self.run.trace.extend(self._local_evidence.get(name, ()))
        return value

    def resource_attr(self, mode: str, rtype: str, name: str, rest: list[Any]) -> tuple[Any, int]:
        """`TYPE.NAME[.INDEX].ATTR` (or `data.` ...): the attribute as this configuration sets it."""
        used = 2 if mode == "resource" else 3
        block = self.directory.index.get((mode, rtype, name))
        if rest and (not isinstance(rest[0], str) or rest[0].isdigit()):  # aws_x.y[0].attr
            rest, used = rest[1:], used + 1
        if block is None or not rest:
            return UNKNOWN, used + len(rest)
        value, present = self.attr(block, str(rest[0]))
        return (value if present else UNKNOWN), used + 1

    def attr(self, block: Block, dotted: str) -> tuple[Any, bool]:
        """An attribute path of a block, evaluated here; (value, False) when the block does not set it."""
        key = ("attr", id(block), dotted)
        if key in self._busy:
            return UNKNOWN, True
        self._busy.add(key)
        try:
            value: Any = block.body
            for step in dotted.split("."):
                if isinstance(value, str):
                    value = self.value(value)
                if isinstance(value, list) and value and isinstance(value[0], dict):
                    value = value[0]
                if not known(value):
                    return UNKNOWN, True
                if not isinstance(value, dict) or step not in value:
                    return None, False
                value = value[step]
            return self.value(value), True
        finally:
            self._busy.discard(key)

    # modules
    def child(self, name: str) -> ModuleScope | None:
        if name not in self._children:
            self._children[name] = None
            block = self.directory.index.get(("module", "", name))
            if block is not None:
                self._children[name] = self.run.instantiate(self, block)
        return self._children[name]

    def output(self, name: str) -> Any:
        for block in self.directory.of("output"):
            if block.name == name and "value" in block.body:
                value, _ = self.attr(block, "value")
                return value
        return UNKNOWN


# -- Terragrunt ----------------------------------------------------------------------------


class TerragruntScope:
    """One Terragrunt file read for one unit: its locals, includes and Terragrunt's path functions."""

    def __init__(self, run: Run, file: HclFile, unit_dir: str, depth: int = 0) -> None:
        self.run = run
        self.file = file
        self.unit_dir = unit_dir
        self.depth = depth
        self._locals: dict[str, Any] = {}
        self._local_evidence: dict[str, list[Evidence]] = {}  # where each local's value is written
        self._busy: set[str] = set()
        self._includes: dict[str, TerragruntScope] | None = None
        # As an included file: the including `include` block's line, and whether Terragrunt merges it
        # into the unit (every `merge_strategy` but `no_merge` merges `inputs` key by key, the unit winning).
        self.include_line = 0
        self.merged = True

    def lookup(self, path: list[Any]) -> tuple[Any, int]:
        if path[0] == "local" and len(path) > 1:
            return self.local(str(path[1])), 2
        if path[0] == "include" and len(path) > 2:
            included = self.includes().get(str(path[1]))
            return (included.exports().get(str(path[2]), ERROR) if included else UNKNOWN), 3
        return UNKNOWN, len(path)

    def function(self, name: str) -> Callable[[list[Any]], Any] | None:
        functions: dict[str, Callable[[list[Any]], Any]] = {
            "find_in_parent_folders": self._find_in_parent_folders,
            "read_terragrunt_config": self._read_config,
            "dirname": lambda a: near_folder(str(a[0])) if known(a[0]) else a[0],
            "basename": lambda a: posixpath.basename(str(a[0])) if known(a[0]) else a[0],
            "get_terragrunt_dir": lambda a: self.unit_dir,
            "get_original_terragrunt_dir": lambda a: self.unit_dir,
            "get_parent_terragrunt_dir": lambda a: near_folder(self.file.path),
            "path_relative_to_include": lambda a: posixpath.relpath(self.unit_dir or ".", folder_of(self.file.path)),
            "path_relative_from_include": lambda a: posixpath.relpath(
                folder_of(self.file.path), self.unit_dir or "."
            ),
            "get_repo_root": lambda a: "",
            "get_path_to_repo_root": lambda a: posixpath.relpath(".", self.unit_dir or "."),
            "get_env": lambda a: a[1] if len(a) > 1 else UNKNOWN,
        }
        if name in functions:
            return functions[name]
        return (lambda a: UNKNOWN) if name.startswith(("get_", "run_cmd", "sops_")) else None

    def _find_in_parent_folders(self, args: list[Any]) -> Any:
        wanted = str(args[0]) if args and known(args[0]) else "terragrunt.hcl"
        folder = near_folder(self.unit_dir) if self.unit_dir else None
        while folder is not None:
            candidate = _norm(posixpath.join(folder, wanted))
            if candidate in self.run.repo.hcl_files or candidate in self.run.file_set:
                return candidate
            folder = near_folder(folder) if folder else None
        return args[1] if len(args) > 1 else ERROR

    def _read_config(self, args: list[Any]) -> Any:
        if not args or not known(args[0]):
            return UNKNOWN
        other = self.run.repo.hcl_files.get(_norm(str(args[0])))
        if other is None or self.depth > 6:
            return args[1] if len(args) > 1 else UNKNOWN
        return TerragruntScope(self.run, other, self.unit_dir, self.depth + 1).exports()

    def local(self, name: str) -> Any:
        """A local's value; its line, and those of what it reads (a `region.hcl` read through
        `read_terragrunt_config`), go to the run's trace as a Terraform local's do."""
        if name not in self._locals:
            block = next((b for b in self.file.blocks if b.kind == "locals" and name in b.body), None)
            if block is None or name in self._busy:
                return UNKNOWN
            self._busy.add(name)
            where = Evidence(self.file.path, block.line_at(name), "terraform")
            self._locals[name], self._local_evidence[name] = self.run.traced(block.body[name], self, where)
            self._busy.discard(name)
        self.run.trace.extend(self._local_evidence.get(name, ()))
        return self._locals[name]

    def includes(self) -> dict[str, TerragruntScope]:
        if self._includes is None:
            self._includes = {}
            for block in self.file.blocks:
                if block.kind != "include" or self.depth > 6:
                    continue
                target = evaluate(block.body.get("path"), self)
                other = self.run.repo.hcl_files.get(_norm(str(target))) if isinstance(target, str) else None
                if other is not None and other is not self.file:
                    label = block.labels[0] if block.labels else ""
                    included = TerragruntScope(self.run, other, self.unit_dir, self.depth + 1)
                    included.include_line = block.line
                    included.merged = evaluate(block.body.get("merge_strategy"), self) != "no_merge"
                    self._includes[label] = included
        return self._includes

    def exports(self) -> dict[str, Any]:
        names = [k for b in self.file.blocks if b.kind == "locals" for k in b.body]
        inputs = evaluate(self.file.attributes.get("inputs"), self) if "inputs" in self.file.attributes else {}
        return {"locals": {n: self.local(n) for n in names}, "inputs": inputs if isinstance(inputs, dict) else {}}

    def source(self) -> tuple[Any, Block | None]:
        for block in self.file.blocks:
            if block.kind == "terraform" and "source" in block.body:
                return evaluate(block.body["source"], self), block
        return None, None


# -- facts ---------------------------------------------------------------------------------


class Subject:
    """A resource, data source or well-known module call read through the knowledge table."""

    def __init__(self, scope: ModuleScope, block: Block, rtype: str, mapping: dict[str, Any] | None = None) -> None:
        self.scope = scope
        self.block = block
        self.type = rtype
        self.mapping = mapping
        self.data = block.kind == "data"
        prefix = "data." if self.data else ""
        own = f"module.{block.name}" if mapping is not None else f"{prefix}{block.type}.{block.name}"
        self.address = scope.address + own
        self.origins: dict[str, list[Evidence]] = {}
        self.optional: list[str] = list(scope.optional)
        # How counts name its type: the resource type, or the module's source when an input that
        # picks the type is not resolved (a log-export sink whose parent type is a variable).
        self.shown_type = rtype

    @property
    def path(self) -> str:
        return self.block.path

    def where(self) -> tuple[Part, ...]:
        """How the text names it: its address, or the Terragrunt unit that deploys a remote module."""
        if self.block.kind == "unit":
            return ("Terragrunt unit ", Code(self.block.name))
        return (Code(self.address),)

    def _inputs(self, attr: str) -> list[str]:
        if self.mapping is None:
            return [attr]
        names = (self.mapping.get("inputs") or {}).get(attr)
        return [str(n) for n in names] if isinstance(names, list) else ([str(names)] if names else [])

    def get(self, attr: str) -> tuple[Any, bool]:
        if self.mapping is not None and attr == "engine" and self.mapping.get("engine"):
            return self.mapping["engine"], True
        for name in self._inputs(attr):
            start = len(self.scope.run.trace)
            value, present = self.scope.attr(self.block, name)
            self.origins.setdefault(attr, []).extend(self.scope.run.trace[start:])
            if present and value is not None:
                return value, True
        return None, False

    def raw(self, attr: str) -> Any:
        for name in self._inputs(attr):
            if name in self.block.body:
                return self.block.body[name]
        return None

    def line_at(self, attr: str) -> int:
        for name in self._inputs(attr):
            if name in self.block.lines:
                return self.block.lines[name]
        return self.block.line

    def evidence(self, *attrs: str) -> tuple[Evidence, ...]:
        """The attributes' lines, where their values were written (tfvars, call sites), the root's call."""
        lines = [self.line_at(a) for a in attrs] or [self.block.line]
        own = [Evidence(self.path, line, "terraform") for line in lines]
        origins = [e for a in attrs for e in self.origins.get(a, [])[:2]]
        env = [e for e in self.scope.env.evidence if all(o.path != e.path for o in origins)]
        return tuple(dict.fromkeys([*own, *origins, *self.scope.chain[:1], *env]))[:5]


_SHOWN_EXPRESSION = 60
# A doubled separator, or one at either end: what an empty default leaves in a name.
_HANGING = re.compile(r"(?<!:)//|--|__|^[-_.]|[-_.]$")


def _plain(value: Any) -> str | None:
    """A scalar value as text, or None for structures and unknowns."""
    if not known(value) or value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_CAMEL_BOUNDARY = re.compile(r"([a-z0-9])([A-Z])")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def _tokens(name: str) -> list[str]:
    spaced = _CAMEL_BOUNDARY.sub(r"\1 \2", name)
    return [t for t in _NOT_ALNUM.split(spaced.lower()) if t]


def _raw_text(raw: Any) -> str:
    if isinstance(raw, str):
        return raw[2:-1] if raw.startswith("${") and raw.endswith("}") else raw
    return json.dumps(raw, default=str)[:60]


@dataclass(frozen=True)
class Tally:
    """One resource counted in a document-wide summary line (`CloudWatch: 4 metric alarms`)."""

    field: str
    tech: str
    type: str
    say: str
    evidence: Evidence
    name: str
    to: str = ""  # what the counted resources write to (`to a Pub/Sub topic`), after the count


def _optional_rank(kw: dict[str, Any]) -> int:
    """A resource its root's defaults switch off is a weaker lead than the stores that are on: its
    rank is raised to the default rank (50) when stronger, so it follows managed (30) and in-cluster
    (32) stores among the hints. Kubernetes instead adds SWITCHED_OFF_RANK to a switched-off
    object's rank; both put the switched-off after what runs."""
    return max(int(kw.get("rank", DEFAULT_RANK)), DEFAULT_RANK)


def _optional_note(switches: list[str]) -> list[Part]:
    """` (optional: off with the default of `x`)` for resources a root variable's default switches off."""
    if not switches:
        return []
    parts: list[Part] = [f" (optional: off with the default{'s' if len(switches) > 1 else ''} of "]
    for index, name in enumerate(switches):
        parts.extend([", " if index else "", Code(name)])
    parts.append(")")
    return parts


@dataclass
class DocEntry:
    fact: Fact
    envs: set[str] = field(default_factory=set)
    main: bool = False


class Collector:
    """Gathers facts; document-wide ones seen in several environments become one fact naming them."""

    def __init__(self) -> None:
        self.env_facts: list[Fact] = []
        self.doc: dict[tuple[Any, ...], DocEntry] = {}
        self.groups: dict[tuple[str, str, bool], dict[str, Any]] = {}
        self.states: dict[tuple[str, str], dict[str, StateUse]] = {}

    def env_fact(self, fact: Fact, example: bool) -> None:
        if example:
            fact.scope = FactScope.EXAMPLE
        self.env_facts.append(fact)

    def doc_fact(self, fact: Fact, env: str | None, example: bool) -> None:
        key = (fact.field, fact.item, fact.parts)
        entry = self.doc.get(key)
        if entry is None:
            entry = self.doc[key] = DocEntry(fact)
        else:
            evidence = tuple(dict.fromkeys([*entry.fact.evidence, *fact.evidence]))
            if fact.confidence.strength < entry.fact.confidence.strength:
                entry.fact.confidence = fact.confidence
            entry.fact.evidence = evidence
        if env:
            entry.envs.add(env)
        entry.main = entry.main or not example

    def count(self, tally: Tally, example: bool, optional: list[str]) -> None:
        """Counts a resource into its tool's summary line (optional ones into a line of their own)."""
        key = (tally.field, tally.tech, bool(optional))
        group = self.groups.setdefault(key, {"types": {}, "evidence": {}, "main": False, "switches": set()})
        entry = group["types"].setdefault((tally.type, tally.to), {"say": tally.say, "to": tally.to, "names": {}})
        names = entry["names"]
        names.setdefault((tally.evidence.path, tally.evidence.line), tally.name)
        group["evidence"].setdefault(tally.evidence, None)
        group["main"] = group["main"] or not example
        group["switches"].update(optional)

    def state(self, env: str, backend: str, use: StateUse) -> None:
        self.states.setdefault((env, backend), {}).setdefault(use.owner, use)

    def finish(self, catalog: Catalog, provider_facts: list[tuple[Fact, str, bool]]) -> list[Fact]:
        out = list(self.env_facts)
        out.extend(
            state_fact(env, backend, list(uses.values())) for (env, backend), uses in sorted(self.states.items())
        )
        for entry in self.doc.values():
            fact = entry.fact
            if entry.envs:
                fact.parts = text(*fact.parts, f" ({', '.join(sorted(entry.envs, key=_env_sort))})")
            if not entry.main:
                fact.scope = FactScope.EXAMPLE
            out.append(fact)
        counted = set()
        for (field_id, tech_id, _), group in sorted(self.groups.items()):
            counted.add(tech_id)
            out.append(_count_fact(field_id, catalog.techs.get(tech_id), tech_id, group))
        # One provider fact per tool: the one from the repository's own roots when there is one, not
        # whichever example or deprecated root sorts first.
        for fact, tech_id, example in sorted(provider_facts, key=_demoted_provider):
            if tech_id in counted or any(f.tech == tech_id and f.field == fact.field for f in out):
                continue
            if example:
                fact.scope = FactScope.EXAMPLE
            out.append(fact)
        return out


def _demoted_provider(entry: tuple[Fact, str, bool]) -> tuple[bool, bool]:
    fact, _, example = entry
    return example, all(is_retired_path(e.path) for e in fact.evidence)


def _env_sort(env: str) -> tuple[int, str]:
    order = {"development": 0, "staging": 1, "production": 2}
    return order.get(normalise(env), 3), env


def _count_fact(field_id: str, tech: Tech | None, tech_id: str, group: dict[str, Any]) -> Fact:
    parts: list[Part] = [f"{tech.name if tech else tech_id} (Terraform): "]
    for index, ((rtype, _), entry) in enumerate(sorted(group["types"].items())):
        names = [n for _, n in sorted(entry["names"].items()) if n]
        count = len(entry["names"])
        said = f"{count} {_counted(entry['say'], count)}{entry['to']} ("
        parts.extend([", " if index else "", said, Code(rtype), ")"])
        shown = list(dict.fromkeys(names))[:3]
        if shown:
            parts.append(": ")
            for i, name in enumerate(shown):
                parts.extend([", " if i else "", Code(name)])
            if len(dict.fromkeys(names)) > 3:
                parts.append(", ...")
    switches = sorted(group["switches"])
    parts.extend(_optional_note(switches))
    evidence = tuple(sorted(group["evidence"]))
    fact = Fact(
        field_id,
        text(*parts),
        Confidence.HINT if switches else Confidence.DECLARED,
        evidence,
        item=f"terraform:{tech_id}" + (":optional" if switches else ""),
        tech=tech_id if tech else None,
        rank=30,
        order=(evidence[0].path, evidence[0].line),
    )
    if not group["main"]:
        fact.scope = FactScope.EXAMPLE
    return fact


class Reporter:
    """Turns resources, module calls, outputs, providers and backends into facts (table-driven)."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.catalog = run.catalog
        self.out = run.out
        self._alarm_targets: dict[str, set[tuple[str, str]]] = {}
        self.provider_facts: list[tuple[Fact, str, bool]] = []

    # -- entry points
    def subject(self, subject: Subject) -> None:
        rtype = subject.type
        if rtype in _section("stores"):
            self.store(subject, _section("stores")[rtype])
        if subject.data:
            return
        for name, handler in (
            ("urls", self.url),
            ("logs", self.log),
            ("alerts", self.alert),
            ("channels", self.channel),
            ("slos", self.slo),
        ):
            spec = _section(name).get(rtype)
            if isinstance(spec, dict):
                handler(subject, spec)
        monitoring = _section("monitoring").get(rtype)
        if isinstance(monitoring, dict):
            self.monitoring(subject, monitoring)

    def _env_fact(self, subject: Subject, field_id: str, parts: tuple[Part, ...], **kw: Any) -> None:
        env = subject.scope.env.name
        confidence = kw.pop("confidence", Confidence.DECLARED)
        if env is None:
            if subject.scope.example:
                return
            confidence = Confidence.HINT
        if subject.optional:
            confidence, parts = Confidence.HINT, text(*parts, *_optional_note(subject.optional))
            kw["rank"] = _optional_rank(kw)
        evidence = kw.pop("evidence", None) or subject.evidence()
        fact = Fact(
            field_id,
            parts,
            confidence,
            evidence,
            env=env,
            order=(subject.path, subject.block.line),
            **kw,
        )
        self.out.env_fact(fact, subject.scope.example)

    def _doc_fact(self, subject: Subject, field_id: str, parts: tuple[Part, ...], **kw: Any) -> None:
        confidence = kw.pop("confidence", Confidence.DECLARED)
        if subject.optional:
            confidence, parts = Confidence.HINT, text(*parts, *_optional_note(subject.optional))
            kw["rank"] = _optional_rank(kw)
        evidence = kw.pop("evidence", None) or subject.evidence()
        fact = Fact(field_id, parts, confidence, evidence, order=(subject.path, subject.block.line), **kw)
        self.out.doc_fact(fact, subject.scope.env.name, subject.scope.example)

    def _tech_id(self, subject: Subject) -> str | None:
        tech = self.catalog.by_terraform_type(subject.type)
        return tech.id if tech else None

    def _name(self, subject: Subject, attr: Any, label: bool = False) -> str:
        """The resource's own name attribute; as written when it holds an expression it cannot
        resolve (`/aws/eks/${var.name}/cluster`); else its label (in counts) or its address."""
        if isinstance(attr, str):
            value, _ = subject.get(attr)
            raw = subject.raw(attr)
            written = raw.strip('"') if isinstance(raw, str) else ""
            # as written when the expression is unknown, or when an empty default left a separator
            # hanging (terraform-aws-eks: `/aws/eks/${var.name}/cluster` was "/aws/eks//cluster")
            # short enough to read: a long expression (a `coalesce(...)`) says less than the address
            shown = written if is_expression(written) and not re.fullmatch(r"\$\{[^}]*\}", written) \
                and len(written) <= _SHOWN_EXPRESSION else ""
            plain = _plain(value)
            if plain and not (shown and _HANGING.search(plain)):
                return plain
            if shown:
                return shown
        return subject.block.name if label else subject.address

    # -- databases, caches, queues
    def store(self, subject: Subject, spec: dict[str, Any]) -> None:
        if spec.get("unless_plumbing") and self._plumbing_topic(subject):
            return
        tech, family, named = self._engine(subject, spec)
        if subject.data:
            what = f"{tech.name} ({spec.get('service')})" if tech else str(spec.get("service"))
            parts = text("Existing ", what, " read by ", *subject.where(), " (a data source: not managed here)")
            self._env_fact(subject, "env.database", parts, confidence=Confidence.HINT, item=f"tf:{subject.address}")
            return
        version, version_note = self._version(subject, spec, tech)
        label: list[Part] = [tech.label(version)] if tech else named
        service = str(spec.get("service"))
        if family and family not in service:
            service = f"{family} ({service})"
        elif tech is not None and tech.name == service:
            service = ""
        details: list[list[Part]] = [[service]] if service else []
        if version_note:
            details.append(version_note)
        details.extend(self._details(subject, spec))
        ha = self._ha(subject, spec)
        for say, attr in ha:
            details.append([say])
            self._env_fact(
                subject,
                "env.sla",
                text("Availability signal, not an SLA: ", *subject.where(), " ", say),
                confidence=Confidence.HINT,
                item=f"ha:{_store_item(subject.scope, subject.address)}:{attr}",
                evidence=subject.evidence(attr),
            )
        if subject.mapping is not None:
            source = str(subject.raw("source") or subject.block.body.get("source"))
            version = _plain(subject.scope.attr(subject.block, "version")[0]) or _ref(source)
            details.append(["module ", Code(_display_source(source) + (f" {version}" if version else ""))])
        joined: list[Part] = [p for i, item in enumerate(details) for p in ([", "] if i else []) + item]
        parts = text(*label, *((" (", *joined, ")") if details else ()), ": ", *subject.where())
        attrs = {"address": subject.address, "version": version} if version else {"address": subject.address}
        self._env_fact(
            subject,
            "env.database",
            parts,
            item=_store_item(subject.scope, subject.address),
            tech=tech.id if tech else None,
            rank=30,
            attrs=attrs,
            evidence=subject.evidence(*(a for a in (spec.get("version"), spec.get("engine")) if a)),
        )

    def _engine(self, subject: Subject, spec: dict[str, Any]) -> tuple[Tech | None, str, list[Part]]:
        """The store's technology (or, when the catalog has none, how to name it) and its family."""
        if spec.get("tech"):
            return self.catalog.techs.get(str(spec["tech"])), "", []
        value: Any = None
        for attr, engine in (spec.get("engine_if_set") or {}).items():
            if subject.get(str(attr))[0] is not None:
                value = engine
                break
        if value is None and spec.get("engine"):
            value, present = subject.get(str(spec["engine"]))
            if not present:
                value = spec.get("engine_default")
        engine = _plain(value)
        if engine is None:
            raw = subject.raw(str(spec.get("engine")))
            return None, "", ["Database (engine ", Code(_raw_text(raw)), " not resolved)"] if raw else ["Database"]
        found = _engine_entry(engine)
        if found is None:
            return None, "", ["Engine ", Code(engine)]
        family = str(found.get("family") or "")
        if found.get("label"):
            return None, family, [str(found["label"])]
        return self.catalog.techs.get(str(found.get("tech"))), family, []

    def _version(self, subject: Subject, spec: dict[str, Any], tech: Tech | None) -> tuple[str | None, list[Part]]:
        attr = spec.get("version")
        if not attr or tech is None or tech.version_scheme == "none":
            return None, []
        value, present = subject.get(str(attr))
        if not present:
            if subject.mapping is not None:
                return None, ["no ", Code(str(attr)), " input: the module's default"]
            return None, ["no ", Code(str(attr)), ": the provider's default at creation"]
        plain = _plain(value)
        if plain is None:
            return None, ["version from ", Code(_raw_text(subject.raw(str(attr)))), " not resolved"]
        version = decode_version(plain, tech)
        if version is None:
            return None, ["version ", Code(plain)]
        return version, []

    def _details(self, subject: Subject, spec: dict[str, Any]) -> list[list[Part]]:
        """The table's `details` that this resource sets (`db.t3.micro`, `50 GB`, `FIFO`)."""
        items: list[list[Part]] = []
        for detail in spec.get("details") or []:
            value, present = subject.get(str(detail.get("attr")))
            plain = _plain(value)
            if not present or plain is None:
                continue
            if "is" in detail:
                if str(plain).lower() == str(detail["is"]).lower():
                    items.append([str(detail.get("say"))])
            elif plain == "0" and detail.get("say_zero"):
                items.append([str(detail["say_zero"])])
            elif detail.get("say"):
                items.append([_singular_one(str(detail["say"]).format(plain))])
            else:
                items.append([Code(plain)])
        return items

    def _ha(self, subject: Subject, spec: dict[str, Any]) -> list[tuple[str, str]]:
        signals = list(spec.get("ha") or [])
        if subject.mapping is not None:
            signals.extend(subject.mapping.get("ha") or [])
        inputs = (subject.mapping or {}).get("inputs") or {}
        found = []
        for signal in signals:
            attr = str(signal.get("attr"))
            if subject.mapping is None or attr in inputs:
                value, present = subject.get(attr)
            else:  # a module input of its own (rds-aurora `instances`)
                value, present = subject.scope.attr(subject.block, attr)
            if not present or not known(value):
                continue
            say = _ha_signal(signal, value)
            if say:
                found.append((say, attr))
        return found

    def _plumbing_topic(self, subject: Subject) -> bool:
        """A topic alarms notify or a log sink writes to (or named like one) is plumbing, not a queue."""
        directory = subject.scope.directory
        if directory.path not in self._alarm_targets:
            targets = set()
            for block in directory.blocks:
                infer = (_section("alerts").get(block.type) or {}).get("infer") or {}
                for attr in infer.get("topics") or []:
                    raw = block.body.get(str(attr))
                    for item in raw if isinstance(raw, list) else re.findall(r"[\w.-]+", str(raw or "")):
                        ref = reference_path(item)
                        if ref and len(ref) >= 2:
                            targets.add((ref[0], ref[1]))
            self._alarm_targets[directory.path] = targets
        if (subject.block.type, subject.block.name) in self._alarm_targets[directory.path]:
            return True
        name = self._name(subject, "name", label=True)
        if any(t in set(_words("alert_topic_words")) for t in _tokens(name)):
            return True
        own = [f"{subject.block.type}.{subject.block.name}", f"topics/{name}"]
        if isinstance(subject.raw("name"), str):
            own.append(f"topics/{subject.raw('name')}")  # both written `${var.name}`: the same topic
        for block in subject.scope.directory.blocks:
            attr = (_section("logs").get(block.type) or {}).get("destination")
            destination = block.body.get(str(attr)) if attr else None
            if isinstance(destination, str) and any(o in destination for o in own):
                return True
        return False

    # -- URLs
    def url(self, subject: Subject, spec: dict[str, Any]) -> None:
        record_type, _ = subject.get(str(spec.get("type"))) if spec.get("type") else (None, False)
        allowed = [str(t).upper() for t in spec.get("types") or []]
        if allowed and _plain(record_type) and str(_plain(record_type)).upper() not in allowed:
            return
        zone = self._zone(subject, spec.get("zone"))
        for attr in spec.get("hosts") or []:
            value, present = subject.get(str(attr))
            if not present:
                continue
            values = value if isinstance(value, list) else [value]
            for host in values:
                self._host(subject, spec, str(attr), host, zone)

    def _zone(self, subject: Subject, attr: Any) -> str | None:
        if not attr:
            return None
        ref = reference_path(subject.raw(str(attr)))
        if ref and len(ref) >= 3:
            mode, rtype, name = ("data", ref[1], ref[2]) if ref[0] == "data" else ("resource", ref[0], ref[1])
            zone_attr = _section("zones").get(rtype)
            block = subject.scope.directory.index.get((mode, rtype, name))
            if zone_attr and block is not None:
                value, _ = subject.scope.attr(block, str(zone_attr))
                return _plain(value)
        value, _ = subject.get(str(attr))
        plain = _plain(value)
        return plain if plain and "." in plain else None

    def _host(self, subject: Subject, spec: dict[str, Any], attr: str, host: Any, zone: str | None) -> None:
        plain = _plain(host)
        if plain is None:
            raw = subject.raw(attr)
            if isinstance(raw, str) and is_expression(raw) and "." in raw and not raw.startswith(("${", "*")):
                self._env_fact(
                    subject,
                    "env.url",
                    text(Code(raw), " (", str(spec.get("what")), " ", *subject.where(), ", not resolved)"),
                    confidence=Confidence.HINT,
                    rank=70,
                )
            return
        name = plain.rstrip(".").lower()
        if zone:
            zone = zone.rstrip(".").lower()
            if name in ("", "@"):
                name = zone
            elif name != zone and not name.endswith("." + zone):
                name = f"{name}.{zone}"
        if not name or "." not in name or name.startswith(("*", "_")) or is_placeholder_host(name):
            return
        url = f"https://{name}"
        self._env_fact(
            subject,
            "env.url",
            text(Code(url), " (", str(spec.get("what")), " ", *subject.where(), ")"),
            rank=30,
            attrs={"url": url},
            evidence=subject.evidence(attr),
        )

    def output(self, scope: ModuleScope, block: Block) -> None:
        tokens = "_".join(_tokens(block.name))
        if scope.depth or not any(w in tokens for w in _words("url_outputs")):
            return
        if any(w in _tokens(block.name) for w in _words("url_outputs_except")):
            return
        value, present = scope.attr(block, "value")
        subject = Subject(scope, block, "output")
        subject.address = f"output.{block.name}"
        raw = block.body.get("value")
        plain = _plain(value)
        if plain is None:
            if scope.env.name and present and isinstance(raw, str) and _APPLY_TIME.search(raw):
                parts = text("Output ", Code(block.name), " = ", Code(_raw_text(raw)), " (known after apply)")
                self._env_fact(subject, "env.url", parts, confidence=Confidence.HINT, rank=70)
            return
        url = plain if "://" in plain else f"https://{plain}"
        host = urlsplit(url).hostname or ""
        if not host or "." not in host or is_placeholder_host(host) or self.catalog.by_host(host):
            return  # a vendor's address (`api.datadoghq.com`) is not the environment's
        parts = text(Code(url), " (output ", Code(block.name), ")")
        self._env_fact(subject, "env.url", parts, rank=25, attrs={"url": url}, evidence=subject.evidence("value"))

    # -- logs
    def log(self, subject: Subject, spec: dict[str, Any]) -> None:
        name = self._name(subject, spec.get("name"))
        if spec.get("name") and not _plain(subject.get(str(spec["name"]))[0]):
            name = self._bucket_name(subject, str(spec["name"])) or name
        only = [str(w) for w in spec.get("only_names") or []]
        if only and not any(w in name.lower() for w in only):
            return
        tech = self.catalog.by_terraform_type(subject.type)
        if spec.get("aggregate", True) and tech is not None:
            evidence = Evidence(subject.path, subject.block.line, "terraform")
            # A module call's label is no sink's name: an unresolved name shows the call's address.
            label = f"module.{subject.block.name}" if subject.mapping is not None else subject.block.name
            shown = name if name != subject.address else label
            kinds = self._destinations(subject, str(spec["destination"])) if spec.get("destination") else []
            to = f" to {_a(kinds[0])}{_either(kinds)}" if kinds else ""
            what = _plural(str(spec.get("what")))
            tally = Tally("log.aggregation", tech.id, subject.shown_type, what, evidence, shown, to)
            self.out.count(tally, subject.scope.example, subject.optional)
        if spec.get("retention"):
            self._retention(subject, spec, name)

    def _destinations(self, subject: Subject, attr: str) -> list[str]:
        """What a sink writes to (`Cloud Storage bucket`), from its destination as written or the
        modules and resources it refers to, following locals; several when it picks one per instance."""
        value = _plain(subject.get(attr)[0])
        return self._destination_kinds(subject.scope, value or subject.raw(attr), 0)

    def _destination_kinds(self, scope: ModuleScope, raw: Any, depth: int) -> list[str]:
        table = _section("log_destinations")
        directory = scope.directory
        found: list[str] = []
        for item in strings_in(raw) if depth < 4 else []:
            inner = _raw_text(item)
            uri = next((str(u["say"]) for u in table.get("uris") or [] if re.search(str(u["match"]), inner)), None)
            if uri:
                found.append(uri)
                continue
            for kind, name in re.findall(r"\b(module|local|[a-z][a-z0-9]*_[\w]+)\.([\w-]+)", inner):
                if kind == "local" and name in directory.locals:
                    found.extend(self._destination_kinds(scope, directory.locals[name][0], depth + 1))
                elif kind == "module" and (call := directory.index.get(("module", "", name))) is not None:
                    if not self.run._switch(scope, call)[0]:  # `count = 0`: that destination is not created
                        continue
                    source = call.body.get("source")
                    say = (table.get("modules") or {}).get(_registry_key(source)) if isinstance(source, str) else None
                    found.extend([str(say)] if say else [])
                elif kind in (table.get("resources") or {}):
                    found.append(str(table["resources"][kind]))
        return list(dict.fromkeys(found))

    def _bucket_name(self, subject: Subject, attr: str) -> str | None:
        ref = reference_path(subject.raw(attr))
        if ref and len(ref) >= 2:
            block = subject.scope.directory.index.get(("resource", ref[0], ref[1]))
            if block is not None:
                value, _ = subject.scope.attr(block, "bucket")
                return _plain(value) or ref[1]
        return None

    def _retention(self, subject: Subject, spec: dict[str, Any], name: str) -> None:
        attr = str(spec["retention"])
        value, present = subject.get(attr)
        what: list[Part] = [str(spec.get("what")), " ", Code(name), ": "]
        confidence = Confidence.DECLARED
        if not present:
            if not spec.get("when_absent"):
                return
            said: list[Part] = _spans(str(spec["when_absent"]))
        elif _plain(value) is None:
            said = ["retention from ", Code(_raw_text(subject.raw(attr))), ", not resolved"]
            confidence = Confidence.HINT
        elif str(_plain(value)) == "0" and spec.get("when_zero"):
            said = _spans(str(spec["when_zero"]))
        else:
            said = [f"{_plain(value)} days"]
            defaults = sorted(
                {self.run.overridable[e] for e in subject.origins.get(attr, []) if e in self.run.overridable}
            )
            if defaults:  # whoever applies the root may set another value
                said.extend([" (default of ", Code(defaults[0]), ")"])
        parts = text(*what, *said)
        self._doc_fact(
            subject,
            "log.retention",
            parts,
            confidence=confidence,
            item=f"retention:{subject.type}:{name}:{''.join(p if isinstance(p, str) else p.text for p in said)}",
            tech=self._tech_id(subject),
            rank=30,
            evidence=subject.evidence(attr),
        )

    # -- alerts
    def alert(self, subject: Subject, spec: dict[str, Any]) -> None:
        name = self._name(subject, spec.get("name"))
        condition = self._condition(subject, spec)
        head: list[Part] = [str(spec.get("what")), " ", Code(name)]
        if condition:
            head.extend([": ", Code(condition)])
        for level, how, confidence, attr in self._levels(subject, spec, name):
            if level in ("critical", "warning"):
                field_id = f"alert.{level}"
            else:
                field_id, confidence = "alert.warning" if level == "info" else "alert.critical", Confidence.HINT
            self._doc_fact(
                subject,
                field_id,
                text(*head, *how),
                confidence=confidence,
                item=f"alert:{subject.type}:{name}",
                tech=self._tech_id(subject),
                rank=30 if confidence is Confidence.DECLARED else 50,
                evidence=subject.evidence(attr) if attr else subject.evidence(),
            )
        if spec.get("handles"):
            self._handles(subject, str(spec["handles"]))

    def _condition(self, subject: Subject, spec: dict[str, Any]) -> str:
        pieces = []
        for attr in spec.get("condition") or []:
            value, present = subject.get(str(attr))
            plain = _plain(value)
            if present and plain:
                pieces.append(" ".join(plain.split()))
        joined = " ".join(pieces)
        return joined if len(joined) <= 100 else joined[:97] + "..."

    def _levels(
        self, subject: Subject, spec: dict[str, Any], name: str
    ) -> list[tuple[str, list[Part], Confidence, str]]:
        severity = spec.get("severity")
        if isinstance(severity, dict):
            attr = str(severity.get("attr"))
            value, present = subject.get(attr)
            default = not present and "default" in severity
            if default:
                value = severity["default"]
            mapping = {str(k).upper(): str(v) for k, v in (severity.get("map") or {}).items()}
            plain = _plain(value)
            if plain is not None and plain.upper() in mapping:
                level = mapping[plain.upper()]
                how: list[Part] = [" (", Code(f"{attr} = {plain}"), " by default)" if default else ")"]
                if level == "info":
                    how = [" (", Code(f"{attr} = {plain}"), " by default" if default else "", ": informational)"]
                return [(level, how, Confidence.DECLARED, attr)]
        levels = spec.get("levels")
        if isinstance(levels, dict):
            found = []
            for level, path in levels.items():
                value, present = subject.get(str(path))
                if present and value is not None:
                    shown = _plain(value)
                    how = [f" ({level} threshold ", Code(shown), ")"] if shown else [f" ({level} threshold)"]
                    found.append((str(level), how, Confidence.DECLARED, str(path)))
            if found:
                return found
        if spec.get("default_level"):
            return [(str(spec["default_level"]), [" (alert threshold in the query)"], Confidence.DECLARED, "")]
        if isinstance(spec.get("infer"), dict):
            inferred = self._infer(subject, spec["infer"], name)
            if inferred:
                return [inferred]
        return [
            ("unclassified", [" (severity unclassified: no severity in its name, tags or topics)"], Confidence.HINT, "")
        ]

    def _infer(
        self, subject: Subject, infer: dict[str, Any], name: str
    ) -> tuple[str, list[Part], Confidence, str] | None:
        level = _severity_of(name)
        if level:
            return level, [" (severity inferred from name)"], Confidence.INFERRED, ""
        if infer.get("tags"):
            tags, _ = subject.get(str(infer["tags"]))
            if isinstance(tags, dict):
                keys = {w.lower() for w in _words("severity_tags")}
                for key, value in sorted(tags.items()):
                    plain = _plain(value)
                    if str(key).lower() in keys and plain and (level := _severity_of(plain)):
                        return (
                            level,
                            [" (severity inferred from tag ", Code(f"{key} = {plain}"), ")"],
                            Confidence.INFERRED,
                            str(infer["tags"]),
                        )
        for attr in infer.get("topics") or []:
            for topic in self._topics(subject, str(attr)):
                level = _severity_of(topic)
                if level:
                    return (
                        level,
                        [" (severity inferred from SNS topic ", Code(topic), ")"],
                        Confidence.INFERRED,
                        str(attr),
                    )
        return None

    def _topics(self, subject: Subject, attr: str) -> Iterator[str]:
        """Names of the SNS topics (in the same module) an attribute refers to."""
        raw = subject.raw(attr)
        items = raw if isinstance(raw, list) else [raw]
        if isinstance(raw, str) and raw.startswith("${["):
            items = re.findall(r"[\w.\[\]\"-]+", raw[3:-2])
        for item in items:
            ref = reference_path(item)
            if not ref or len(ref) < 2:
                continue
            block = subject.scope.directory.index.get(("resource", ref[0], ref[1]))
            if block is None:
                continue
            value, _ = subject.scope.attr(block, "name")
            yield _plain(value) or block.name

    def _handles(self, subject: Subject, attr: str) -> None:
        value, _ = subject.get(attr)
        if not isinstance(value, str):
            raw = subject.raw(attr)
            value = raw if isinstance(raw, str) else ""
        for handle in sorted(set(re.findall(r"(?<![\w@])@([\w.+-]+(?:@[\w.-]+)?)", value))):
            if "@" in handle:
                kind, shown = "Email", f"an address at {handle.split('@', 1)[1]}"
            else:
                prefix = handle.split("-", 1)[0].lower()
                kind = _channel_kind(prefix, self.catalog) or ""
                if not kind:
                    continue
                shown = f"@{handle}"
            parts = text(kind, ": Datadog notification handle ", Code(shown) if shown.startswith("@") else shown)
            self._doc_fact(
                subject, "alert.channels", parts, item=f"handle:{shown}", rank=40, evidence=subject.evidence(attr)
            )

    # -- channels
    def channel(self, subject: Subject, spec: dict[str, Any]) -> None:
        if spec.get("protocol"):
            self._subscription(subject, spec)
            return
        name = self._name(subject, spec.get("name"))
        kinds: list[str] = []
        if spec.get("kind"):
            kind_value, _ = subject.get(str(spec["kind"]))
            kind = _channel_kind(_plain(kind_value) or "", self.catalog)
            if kind:
                kinds.append(kind)
        receivers = spec.get("receivers") or {}
        endpoints = spec.get("endpoints") or {}
        for block_name, label in receivers.items():
            if block_name in subject.block.body:
                endpoint = endpoints.get(block_name)
                host = self._endpoint_host(subject, f"{block_name}.{endpoint}") if endpoint else None
                tech = self.catalog.by_host(host) if host else None
                shown = tech.name if tech else (_channel_kind(str(label), self.catalog) or str(label))
                kinds.append(f"{shown} ({host})" if host and not tech else shown)
        tech_id = spec.get("tech")
        lead = self.catalog.techs[str(tech_id)].name if tech_id and str(tech_id) in self.catalog.techs else None
        label = lead or (", ".join(dict.fromkeys(kinds)) if kinds else "Notifications")
        parts = text(label, ": ", str(spec.get("what")), " ", Code(name))
        self._doc_fact(
            subject,
            "alert.channels",
            parts,
            item=f"channel:{subject.type}:{name}",
            rank=30,
            tech=str(tech_id) if tech_id else None,
        )

    def _endpoint_host(self, subject: Subject, attr: str) -> str | None:
        value, _ = subject.get(attr)
        plain = _plain(value)
        if not plain:
            return None
        return (urlsplit(plain).hostname or None) if "://" in plain else None

    def _subscription(self, subject: Subject, spec: dict[str, Any]) -> None:
        protocol = _plain(subject.get(str(spec["protocol"]))[0]) or "?"
        endpoint_attr = str(spec.get("endpoint"))
        endpoint = _plain(subject.get(endpoint_attr)[0])
        topics = list(self._topics(subject, str(spec.get("topic"))))
        topic = topics[0] if topics else None
        target: list[Part]
        tech: Tech | None = None
        if endpoint and protocol.lower() in ("http", "https"):
            host = urlsplit(endpoint).hostname or ""
            tech = self.catalog.by_host(host) if host else None
            target = [" to ", Code(host)] if host else []
        elif endpoint and protocol.lower().startswith("email") and "@" in endpoint:
            target = [" to an address at ", Code(endpoint.rsplit("@", 1)[1])]
        elif protocol.lower() in ("lambda", "sqs", "firehose") and (ref := reference_path(subject.raw(endpoint_attr))):
            target = [" to ", Code(".".join(ref[:2]))]
        else:
            target = [" (endpoint not in the repository)"] if not endpoint and protocol.lower() != "sms" else []
        kind = tech.name if tech else (_channel_kind(protocol.lower(), self.catalog) or protocol)
        via: list[Part] = [" via SNS topic ", Code(topic)] if topic else [" via SNS"]
        parts = text(kind, *via, ": ", Code(protocol), " subscription", *target)
        self._doc_fact(
            subject,
            "alert.channels",
            parts,
            item=f"sns:{topic}:{protocol}:{''.join(p if isinstance(p, str) else p.text for p in target)}",
            tech=tech.id if tech else None,
            rank=30,
            evidence=subject.evidence(endpoint_attr),
        )

    # -- monitoring and SLOs
    def monitoring(self, subject: Subject, spec: dict[str, Any]) -> None:
        fixed = spec.get("tech")
        tech = self.catalog.techs.get(str(fixed)) if fixed else self.catalog.by_terraform_type(subject.type)
        if tech is None:
            return
        when = spec.get("when")
        if isinstance(when, dict):
            value, present = subject.get(str(when.get("attr")))
            if not present or not _ha_signal({**when, "say": "yes"}, value):
                return
        name_attr = (_section("alerts").get(subject.type) or {}).get("name") or "name"
        evidence = Evidence(subject.path, subject.block.line, "terraform")
        name = self._name(subject, name_attr, label=True)
        tally = Tally(f"mon.{spec.get('kind')}", tech.id, subject.type, str(spec.get("say")), evidence, name)
        self.out.count(tally, subject.scope.example, subject.optional)

    def slo(self, subject: Subject, spec: dict[str, Any]) -> None:
        name = self._name(subject, spec.get("name"))
        goal, _ = subject.get(str(spec.get("goal")))
        number = _plain(goal)
        said: list[Part] = []
        if number is not None:
            try:
                percent = float(number) * (100 if spec.get("fraction") else 1)
                said = [f" {percent:g}%"]
            except ValueError:
                said = [" ", Code(number)]
        parts = text(
            "Service level objective ",
            Code(name),
            *said,
            " (",
            *subject.where(),
            "): an objective, not an agreed SLA",
        )
        self._env_fact(
            subject,
            "env.sla",
            parts,
            confidence=Confidence.HINT,
            item=f"slo:{subject.address}",
            evidence=subject.evidence(str(spec.get("goal"))),
        )

    # -- remote modules
    def remote_module(self, scope: ModuleScope, block: Block, source: str, optional: list[str]) -> None:
        mapping = _module_mapping(source)
        if mapping is not None:
            rtype, known_type = _mapped_type(scope, block, mapping)
            mapped = Subject(scope, block, rtype, mapping)
            mapped.shown_type = rtype if known_type else _registry_key(source)
            mapped.optional = optional
            self.subject(mapped)
            return
        tech = _named_store(self.catalog, source)
        if tech is None or scope.env.name is None:
            return
        subject = Subject(scope, block, "module")
        subject.optional = optional
        subject.address = scope.address + f"module.{block.name}"
        version = _plain(scope.attr(block, "version")[0]) or _ref(source)
        parts = text(
            f"Probably {tech.name} (from the module's name; its engine and version are set inside module ",
            Code(_display_source(source) + (f" {version}" if version else "")),
            ", which is not in this repository): ",
            *subject.where(),
        )
        self._env_fact(
            subject,
            "env.database",
            parts,
            confidence=Confidence.HINT,
            item=_store_item(scope, subject.address),
            tech=tech.id,
        )

    # -- providers and backends (once per root instance)
    def providers(self, scope: ModuleScope, dirs: list[Directory]) -> None:
        """Cloud, platform, monitoring and alerting providers a root (and its local modules) use."""
        required: dict[str, tuple[str, str | None, Evidence, bool]] = {}
        for directory in dirs:
            own = directory.path == scope.directory.path
            for block in directory.of("terraform"):
                for name, source, constraint, line in _required(block):
                    evidence = Evidence(block.path, line, "terraform")
                    if own or name.lower() not in required:
                        required[name.lower()] = (source or name.lower(), constraint, evidence, own)
        used: dict[str, dict[str, Any]] = {}
        for _, (source, constraint, evidence, own) in sorted(required.items()):
            self._use(used, source, evidence).update({"constraint": constraint if own else None})
        for directory in dirs:
            for block in directory.of("provider"):
                source = required.get(block.type.lower(), (block.type.lower(),))[0]  # implied source: its name
                entry = self._use(used, source, Evidence(block.path, block.line, "terraform"))
                entry["blocks"].append(block)
        by_tech: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
        for source, entry in sorted(used.items()):
            tech_id = _section("providers").get(source.split("/")[-1].lower())
            if tech_id and str(tech_id) in self.catalog.techs:
                by_tech[str(tech_id)].append((source, entry))
        for tech_id, entries in sorted(by_tech.items()):
            self._provider(scope, self.catalog.techs[tech_id], entries)

    @staticmethod
    def _use(used: dict[str, dict[str, Any]], source: str, evidence: Evidence) -> dict[str, Any]:
        entry = used.setdefault(source, {"blocks": [], "evidence": [], "constraint": None})
        entry["evidence"].append(evidence)
        return entry

    def _provider(self, scope: ModuleScope, tech: Tech, entries: list[tuple[str, dict[str, Any]]]) -> None:
        lock = self.run.repo.dirs.get(scope.root, Directory(scope.root)).lock
        label: list[Part] = ["provider " if len(entries) == 1 else "providers "]
        evidence: list[Evidence] = []
        blocks: list[Block] = []
        for index, (source, entry) in enumerate(entries):
            locked = lock.get(source.lower()) or lock.get(f"hashicorp/{source.lower()}")
            version = _major(locked[0]) if locked else _major(entry["constraint"])
            label.extend([", " if index else "", Code(source), f" {version}" if version else ""])
            if locked:
                label.extend([" locked at ", Code(locked[0])])
                evidence.append(locked[1])
            evidence.extend(entry["evidence"])
            blocks.extend(entry["blocks"])
        ev = tuple(dict.fromkeys(evidence))
        if tech.category in DATA_STORE_CATEGORIES:
            return
        if tech.category not in ("cloud", "deploy-tool"):
            field_id = "alert.channels" if tech.category == "alerting" else "mon.infrastructure"
            parts = text(tech.name, ": managed from Terraform (", *label, ")")
            fact = Fact(field_id, parts, Confidence.INFERRED, ev, item=f"terraform:{tech.id}", tech=tech.id, rank=60)
            self.provider_facts.append((fact, tech.id, scope.example))
            return
        if scope.env.name is None or scope.example:
            return
        regions = sorted({r for b in blocks if (r := _plain(scope.attr(b, "region")[0]))})
        where: list[Part] = [", region " if len(regions) == 1 else ", regions "] if regions else []
        for index, region in enumerate(regions):
            where.extend([", " if index else "", Code(region)])
        lead = tech.name if tech.category == "cloud" else f"Deploys with {tech.name}"
        fact = Fact(
            "env.special",
            text(lead, *where, " (", *label, ")"),
            Confidence.DECLARED,
            ev,
            env=scope.env.name,
            item=f"cloud:{tech.id}",
            tech=tech.id,
            rank=40,
            order=(ev[0].path, ev[0].line),
        )
        self.out.env_fact(fact, False)

    def backend(self, scope: ModuleScope, block: Block) -> None:
        """Where a root keeps its state; one line per environment and backend type lists the roots' keys."""
        if scope.env.name is None or scope.example:
            return
        for key in _labelled(block.body.get("backend")):
            value = next(
                (v for a in ("key", "prefix") if (v := _plain(scope.attr(block, f"backend.{key}.{a}")[0]))), None
            )
            bucket = _plain(scope.attr(block, f"backend.{key}.bucket")[0])
            evidence = Evidence(block.path, block.line_at(f"backend.{key}"), "terraform")
            lock, encrypted = s3_protection(
                {name: _plain(scope.attr(block, f"backend.{key}.{name}")[0]) for name in S3_PROTECTION}
            ) if key == "s3" else (None, False)
            self.out.state(scope.env.name, key, StateUse(scope.root, False, value, bucket, (evidence,),
                                                         lock=lock, encrypted=encrypted))


# A reference to a resource, data source or module: its value is known only after apply.
_APPLY_TIME = re.compile(r"(?<![\w.\"-])(?!(?:var|local|each|count|path|terraform|self)\.)[a-z][\w-]*\.[a-z][\w-]*")


def _labelled(value: Any) -> Iterator[str]:
    """The labels of labelled nested blocks (`backend "s3" {}` -> `s3`)."""
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            for key, body in item.items():
                if isinstance(body, dict):
                    yield str(key)


def _required(block: Block) -> Iterator[tuple[str, str | None, str | None, int]]:
    for item in block.body.get("required_providers") or []:
        if not isinstance(item, dict):
            continue
        for name, spec in item.items():
            line = block.line_at(f"required_providers.{name}")
            if isinstance(spec, dict):
                source = spec.get("source")
                version = spec.get("version")
                yield (
                    str(name),
                    str(source) if isinstance(source, str) else None,
                    str(version) if isinstance(version, str) else None,
                    line,
                )
            elif isinstance(spec, str):
                yield str(name), None, spec, line


_CONSTRAINT = re.compile(r"^\s*(~>|>=|<=|!=|=|>|<)?\s*v?(\d+)(?:\.(\d+))?(?:\.\d+)?\s*$")


def _major(constraint: Any) -> str | None:
    """The major version a lock entry or constraint pins (`~> 5.40`, `5.46.0`, `>= 4.0, < 5.0`), else None."""
    if not isinstance(constraint, str):
        return None
    terms = [_CONSTRAINT.match(part) for part in constraint.split(",")]
    if not terms or any(t is None for t in terms):
        return None
    parsed = [(t.group(1) or "=", int(t.group(2)), t.group(3)) for t in terms if t]
    majors = {m for op, m, minor in parsed if op in ("=", "~>") and (op == "=" or minor is not None)}
    if len(majors) == 1:
        major = majors.pop()
        minor = next((mi for op, m, mi in parsed if m == major), None)
        return f"0.{minor or 0}" if major == 0 else str(major)
    lower = [m for op, m, _ in parsed if op == ">="]
    upper = [(m, mi) for op, m, mi in parsed if op == "<"]
    if len(lower) == 1 and len(upper) == 1 and upper[0] == (lower[0] + 1, "0") and lower[0] > 0:
        return str(lower[0])
    return None


@cache
def _engines() -> dict[str, Any]:
    """The `engines` table keyed in lower case, built once (callers copy what they take)."""
    return {str(k).lower(): v for k, v in _section("engines").items()}


def _engine_entry(engine: str) -> dict[str, Any] | None:
    engines = _engines()
    lowered = engine.lower()
    candidates = [lowered, lowered.split("_")[0], lowered.split("-")[0], _FROM_FIRST_NON_LETTER.sub("", lowered)]
    for candidate in candidates:
        if candidate in engines and isinstance(engines[candidate], dict):
            return dict(engines[candidate])
    return None


_FROM_FIRST_NON_LETTER = re.compile(r"[^a-z].*$")
_ENUM_VERSION = re.compile(r"^[A-Za-z][A-Za-z-]*_(\d.*)$")
_DIGIT_START = re.compile(r"^\d")


def decode_version(value: str, tech: Tech) -> str | None:
    """`15.4` -> 15; `8.0.mysql_aurora.3.05.2` -> 8.0; `POSTGRES_15` -> 15; `REDIS_7_0` -> 7; `OpenSearch_2.11` -> 2."""
    cleaned = value.strip()
    enum = _ENUM_VERSION.match(cleaned)
    if enum:
        cleaned = enum.group(1).replace("_", ".")
    cleaned = cleaned.lstrip("vV")
    if not _DIGIT_START.match(cleaned):
        return None
    version = tag_version(cleaned, tech.version_scheme, tech.minor_below, None)
    return None if version == "unpinned" else version


def _store_item(scope: ModuleScope, address: str) -> str:
    """One entry per resource and environment; without an environment, one per resource across roots."""
    return f"tf:{scope.root}:{address}" if scope.env.name else f"tf:{address}"


def _ha_signal(signal: dict[str, Any], value: Any) -> str | None:
    say = str(signal.get("say") or "")
    plain = _plain(value)
    if "is" in signal:
        expected = signal["is"]
        return say if plain is not None and plain.lower() == str(expected).lower() else None
    if "in" in signal:
        options = {str(o).lower() for o in signal["in"] or []}
        return say.format(plain) if plain is not None and plain.lower() in options else None
    if "at_least" in signal:
        try:
            number = float(plain) if plain is not None else None
        except ValueError:
            return None
        return say.format(plain) if number is not None and number >= float(signal["at_least"]) else None
    if "items_at_least" in signal and isinstance(value, (list, dict)):
        return say.format(len(value)) if len(value) >= int(signal["items_at_least"]) else None
    return None


def _severity_of(name: str) -> str | None:
    words = knowledge().get("severity_words") or {}
    tokens = set(_tokens(name))
    for level in ("critical", "warning"):
        if tokens & {str(w) for w in words.get(level) or []}:
            return level
    return None


def _channel_kind(kind: str, catalog: Catalog) -> str | None:
    kinds = _section("channel_kinds")
    label = kinds.get(kind.lower()) if kind else None
    if label is None:
        return None
    tech = catalog.techs.get(str(label))
    return tech.name if tech else str(label)


def _counted(say: str, count: int) -> str:
    """`monitors` for 2, `monitor` for 1 (`canaries` -> `canary`)."""
    if count != 1:
        return say
    if say.endswith("ies"):
        return say[:-3] + "y"
    return say[:-1] if say.endswith("s") else say


def _singular_one(said: str) -> str:
    """`backups kept 1 days` -> `backups kept 1 day`."""
    return re.sub(r"(?<![\d.])1 (\w+?)s\b", r"1 \1", said)


def _spans(said: str) -> list[Part]:
    """Knowledge-table prose with `code` spans -> parts (code stays code in the document)."""
    return [Code(piece) if index % 2 else piece for index, piece in enumerate(said.split("`")) if piece]


def _plural(what: str) -> str:
    return what + "s" if not what.endswith("s") else what


def _mapped_type(scope: ModuleScope, block: Block, mapping: dict[str, Any]) -> tuple[str, bool]:
    """The resource type a well-known module call creates: `as`, or chosen by an input (`as_from`);
    and whether that is known (False when the choosing input is set but not resolved)."""
    chooser = mapping.get("as_from")
    if isinstance(chooser, dict):
        value, present = scope.attr(block, str(chooser.get("input")))
        chosen = (chooser.get("types") or {}).get(_plain(value)) if _plain(value) else None
        if chosen:
            return str(chosen), True
        if present:
            return str(mapping["as"]), False
    return str(mapping["as"]), True


def _a(word: str) -> str:
    return "an " if word[:1].lower() in "aeiou" else "a "


def _either(items: list[str]) -> str:
    """`a`, `a or b`, `a, b or c`."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


def _module_mapping(source: str) -> dict[str, Any] | None:
    key = _registry_key(source)
    for entry in knowledge().get("modules") or []:
        if isinstance(entry, dict) and _registry_key(str(entry.get("source"))) == key:
            return dict(entry)
    return None


def _registry_key(source: str) -> str:
    """`registry.terraform.io/ns/rds/aws//modules/x?ref=1` -> `ns/rds/aws//modules/x`; GitHub URLs alike."""
    cleaned = re.sub(r"^(?:tfr://|registry\.terraform\.io/|registry\.opentofu\.org/|app\.terraform\.io/)", "", source)
    cleaned = cleaned.split("?", 1)[0].lower().strip("/")
    git = re.match(
        r"^(?:git::)?(?:https://|ssh://git@|git@)github\.com[:/]([\w.-]+)/terraform-(\w+)-([\w.-]+?)(?:\.git)?(//.*)?$",
        cleaned,
    )
    if git:
        owner, provider, name, sub = git.groups()
        cleaned = f"{owner}/{name}/{provider}{sub or ''}"
    return cleaned


def _ref(source: str) -> str | None:
    """The `?ref=v0.8.0` a git source pins."""
    match = re.search(r"[?&]ref=([^&]+)", source)
    return match.group(1) if match else None


def _display_source(source: str) -> str:
    """`git::https://github.com/o/m.git?ref=1` -> `github.com/o/m`; registry sources stay as written."""
    shown = re.sub(r"^(?:git::)?(?:https://|ssh://)?|\?.*$", "", source).replace("git@github.com:", "github.com/")
    return re.sub(r"\.git(?=//|$)", "", shown)


def _named_store(catalog: Catalog, source: str) -> Tech | None:
    tail = _registry_key(source).split("//")[-1].rstrip("/")
    words = tail.split("/")[-1].replace("_", "-")
    if _words_lower("module_names", "not_stores") & set(words.lower().split("-")):
        return None
    for tech, _, _ in catalog.mentions(words.replace("-", " ")):
        if tech.category in ("database", "cache", "search"):  # `pubsub`, `sqs` modules are plumbing too often
            return tech
    return None


# -- the run -------------------------------------------------------------------------------


class Run:
    """Phase 2 for one repository: roots, environments, module binding, facts."""

    def __init__(self, detector: TerraformDetector, ctx: ResolveContext) -> None:
        self.detector = detector
        self.ctx = ctx
        self.catalog = ctx.catalog
        self.repo = Repository(ctx.records(RECORD), detector.name)
        self.file_set = set(ctx.files)
        self.out = Collector()
        self.trace: list[Evidence] = []
        self.reporter = Reporter(self)
        self.called: dict[str, set[str]] = defaultdict(set)
        self.loose_vars: dict[str, list[VarsFile]] = defaultdict(list)
        self.overridable: dict[Evidence, str] = {}
        self._find_calls()

    def traced(self, raw: Any, scope: Any, where: Evidence | None) -> tuple[Any, list[Evidence]]:
        """Evaluates, returning the value and where it was written (`where`, then what it refers to:
        the lines variables and locals read on the way add themselves to `trace`)."""
        start = len(self.trace)
        value = evaluate(raw, scope)
        chain = [*([where] if where else []), *self.trace[start:]]
        del self.trace[start:]
        return value, list(dict.fromkeys(chain))

    def facts(self) -> list[Fact]:
        units = self._terragrunt_units()
        for unit in units:
            self.called[unit[1]].add(near_folder(unit[0].path))
        roots = self._roots()
        self._bind_loose_vars(roots)
        for root in roots:
            for env in self._environments(root):
                scope = ModuleScope(self, root, env, {}, root=root.path)
                self.walk(scope)
                self._root_facts(scope)
        for unit_file, module_dir in units:
            self._unit(unit_file, module_dir)
        for path, file in sorted(self.repo.hcl_files.items()):
            if posixpath.basename(path) == STACK_FILE:
                self._stack(file)
        return self.out.finish(self.catalog, self.reporter.provider_facts)

    # roots and calls
    def _find_calls(self) -> None:
        for directory in self.repo.dirs.values():
            for block in directory.of("module"):
                source = block.body.get("source")
                if isinstance(source, str) and _local_source(source):
                    self.called[_norm(posixpath.join(directory.path, source))].add(directory.path)

    def _roots(self) -> list[Directory]:
        roots = []
        for path, directory in sorted(self.repo.dirs.items()):
            if not any(b.kind in ("resource", "module", "data", "output", "provider") for b in directory.blocks):
                continue
            callers = self.called.get(path, set())
            if not callers or (all(is_example_path(c + "/x") for c in callers) and not is_example_path(path + "/x")):
                roots.append(directory)
        return roots

    def _reachable(self, root: Directory) -> list[Directory]:
        seen: dict[str, Directory] = {}
        stack = [root]
        while stack and len(seen) < 200:
            directory = stack.pop()
            if directory.path in seen:
                continue
            seen[directory.path] = directory
            for block in directory.of("module"):
                source = block.body.get("source")
                if isinstance(source, str) and _local_source(source):
                    target = self.repo.dirs.get(_norm(posixpath.join(directory.path, source)))
                    if target is not None:
                        stack.append(target)
        return list(seen.values())

    # environments
    def _environments(self, root: Directory) -> list[Env]:
        var_files = self._var_files(root)
        base = tuple(v for v in var_files if v.auto and not v.env)
        named = [v for v in var_files if v.env]
        dir_env = directory_env(root.path)
        if dir_env:
            same = tuple(v for v in named if normalise(v.env or "") == normalise(dir_env))
            return [Env(dir_env, var_files=base + same)]
        if named:
            grouped: dict[str, list[VarsFile]] = defaultdict(list)
            for vars_file in named:
                grouped[str(vars_file.env)].append(vars_file)
            return [
                Env(env, (Evidence(files[0].path, 0, self.detector.name),), var_files=base + tuple(files))
                for env, files in sorted(grouped.items())
            ]
        workspaces = workspace_names(self._reachable(root))
        if workspaces:
            return [Env(name, (evidence,), workspace=name, var_files=base) for name, evidence in workspaces]
        for found in (self._backend_env(root), self._tagged_env(root, base)):
            if found is not None:
                return [Env(found[0], (found[1],), var_files=base)]
        return [Env(None, var_files=base)]

    def _var_files(self, root: Directory) -> list[VarsFile]:
        return sorted([*root.tfvars, *self.loose_vars.get(root.path, [])], key=lambda v: v.path)

    def _bind_loose_vars(self, roots: list[Directory]) -> None:
        """tfvars kept apart from configuration (`envs/prod.tfvars`) belong to the nearest root above."""
        root_paths = {d.path for d in roots}
        for path, directory in sorted(self.repo.dirs.items()):
            if not directory.tfvars or directory.blocks:
                continue
            folder: str | None = near_folder(path) if path else None
            owner = None
            while folder is not None and owner is None:
                owner = folder if folder in root_paths else None
                folder = near_folder(folder) if folder else None
            if owner is None and len(root_paths) == 1:
                owner = next(iter(root_paths))
            if owner is not None:
                self.loose_vars[owner].extend(directory.tfvars)

    def _backend_env(self, root: Directory) -> tuple[str, Evidence] | None:
        scope = ModuleScope(self, root, Env(None), {}, root=root.path)
        for block in root.of("terraform"):
            for key in _labelled(block.body.get("backend")):
                for attr in ("key", "prefix", "workspace_key_prefix"):
                    value = _plain(scope.attr(block, f"backend.{key}.{attr}")[0])
                    name = _path_env(value) if value else None
                    if name:
                        return name, Evidence(block.path, block.line_at(f"backend.{key}.{attr}"), self.detector.name)
            for kind in ("cloud", "backend.remote"):
                value = _plain(scope.attr(block, f"{kind}.workspaces.name")[0])
                name = _path_env(value) if value else None
                if name:
                    return name, Evidence(block.path, block.line_at(f"{kind}.workspaces.name"), self.detector.name)
        return None

    def _tagged_env(self, root: Directory, base: tuple[VarsFile, ...]) -> tuple[str, Evidence] | None:
        scope = ModuleScope(self, root, Env(None, var_files=base), {}, root=root.path)
        tag_keys = [str(k) for k in _section("layout").get("env_tags") or []]
        for block in root.of("provider"):
            tags, _ = scope.attr(block, "default_tags.tags")
            if isinstance(tags, dict):
                for key in tag_keys:
                    value = _plain(tags.get(key))
                    if value and env_from_name(value):
                        return value, Evidence(block.path, block.line_at("default_tags.tags"), self.detector.name)
        for vars_file in base:
            for key in _section("layout").get("env_locals") or []:
                value = _plain(vars_file.values.get(str(key)))
                if value and env_from_name(value):
                    return value, Evidence(vars_file.path, vars_file.lines.get(str(key), 0), self.detector.name)
        return None

    # walking module instances
    def walk(self, scope: ModuleScope) -> None:
        for block in scope.directory.blocks:
            self.trace = []
            if block.kind in ("resource", "data") and len(block.labels) == 2:
                present, switches = self._switch(scope, block)
                if present:
                    subject = Subject(scope, block, block.type)
                    subject.optional = [*scope.optional, *switches]
                    self.reporter.subject(subject)
            elif block.kind == "module":
                self._module(scope, block)
            elif block.kind == "output":
                self.reporter.output(scope, block)

    def _switch(self, scope: ModuleScope, block: Block) -> tuple[bool, list[str]]:
        """Whether a block exists here, and the root variables whose defaults switch it off.

        `count = var.env == "prod" ? 1 : 0` evaluated to 0, or an empty `for_each`, drops the block in
        this environment. When root variable defaults decide it, whoever runs Terraform may override
        them (`-var`, CI variables), so the block is kept as optional, naming those variables.
        """
        for attr in ("count", "for_each"):
            if attr not in block.body:
                continue
            start = len(self.trace)
            value, _ = scope.attr(block, attr)
            if attr == "count":
                empty = isinstance(value, (int, float)) and not isinstance(value, bool) and value <= 0
            else:
                empty = isinstance(value, (list, dict)) and not value
            if empty:
                switches = sorted({self.overridable[e] for e in self.trace[start:] if e in self.overridable})
                return bool(switches), switches
        return True, []

    def _module(self, scope: ModuleScope, block: Block) -> None:
        present, switches = self._switch(scope, block)
        if not present:
            return
        source, _ = scope.attr(block, "source")
        if not isinstance(source, str):
            return
        if _local_source(source):
            child = scope.child(block.name)
            if child is not None:
                child.optional = [*scope.optional, *switches]
                self.walk(child)
            elif _norm(posixpath.join(scope.directory.path, source)) not in self.repo.dirs:
                self.ctx.diagnose(
                    block.path,
                    block.line_at("source"),
                    f"module {block.name!r}: local source {source!r} has no Terraform files in the repository",
                    self.detector.name,
                )
            return
        self.reporter.remote_module(scope, block, source, [*scope.optional, *switches])

    def instantiate(self, parent: ModuleScope, block: Block) -> ModuleScope | None:
        source = block.body.get("source")
        if not isinstance(source, str) or not _local_source(source) or parent.depth >= MAX_DEPTH:
            return None
        target = self.repo.dirs.get(_norm(posixpath.join(parent.directory.path, source)))
        if target is None or target.path in parent.parents:
            return None
        inputs = {
            key: Value(raw, parent, Evidence(block.path, block.line_at(key), self.detector.name))
            for key, raw in block.body.items()
            if key not in ("source", "version", "count", "for_each", "providers", "depends_on")
        }
        return ModuleScope(
            self,
            target,
            parent.env,
            inputs,
            root=parent.root,
            address=parent.address + f"module.{block.name}.",
            chain=parent.chain or (Evidence(block.path, block.line, self.detector.name),),
            depth=parent.depth + 1,
            parents=parent.parents,
        )

    def _root_facts(self, scope: ModuleScope) -> None:
        dirs = self._reachable(scope.directory)
        self.reporter.providers(scope, dirs)
        for block in scope.directory.of("terraform"):
            if block.body.get("backend"):
                self.reporter.backend(scope, block)

    # Terragrunt
    def _terragrunt_units(self) -> list[tuple[HclFile, str]]:
        """Terragrunt units (terragrunt.hcl) with the directory of the module they deploy ("" if remote)."""
        units = []
        for path, file in sorted(self.repo.hcl_files.items()):
            if posixpath.basename(path) != "terragrunt.hcl":
                continue
            unit_dir = near_folder(path)
            scope = TerragruntScope(self, file, unit_dir)
            source = self._unit_source(scope)
            if isinstance(source, str) and _local_source(source):
                units.append((file, _norm(posixpath.join(unit_dir, source.replace("//", "/")))))
            elif isinstance(source, str) or unit_dir in self.repo.dirs:
                units.append((file, unit_dir if not isinstance(source, str) else ""))
        return units

    def _stack(self, file: HclFile) -> None:
        """A Terragrunt stack (terragrunt.stack.hcl): each `unit` block deploys a unit of a catalog
        (terragrunt-infrastructure-live-stacks-example's DynamoDB table and Lambda): the module it
        names and the values it sets, in the environment the stack's folders name."""
        stack_dir = near_folder(file.path)
        scope = TerragruntScope(self, file, stack_dir)
        env = self._unit_env(scope, stack_dir)
        for block in file.blocks:
            if block.kind != "unit" or env.name is None or is_example_path(file.path):
                continue
            source = evaluate(block.body.get("source"), scope)
            raw = evaluate(block.body.get("values"), scope)
            values = raw if isinstance(raw, dict) else {}
            values_line = block.line_at("values")
            unit = Block("unit", [block.name], block.line_at("source"), {**values, "source": source},
                         dict.fromkeys(values, values_line), file.path)
            unit_scope = ModuleScope(self, Directory(stack_dir), env, {}, root=stack_dir)
            if isinstance(source, str) and not _local_source(source):
                self.reporter.remote_module(unit_scope, unit, source, [])
            shown = _assignments({k: v for k, v in values.items() if k != "version"})
            if not shown:
                continue
            version = _plain(values.get("version"))
            self.out.env_fact(Fact(
                "env.special",
                text("Terragrunt stack unit ", Code(block.name), " sets ", *shown,
                     *((" (catalog version ", Code(version), ")") if version else ())),
                Confidence.DECLARED,
                (Evidence(file.path, values_line, self.detector.name), *env.evidence),
                env=env.name,
                item=f"terragrunt-stack:{file.path}:{block.name}",
                rank=40,
                order=(file.path, block.line),
            ), False)

    def _unit_source(self, scope: TerragruntScope) -> Any:
        source, _ = scope.source()
        if source is not None:
            return source
        for included in scope.includes().values():
            source, _ = included.source()
            if source is not None:
                return source
        return None

    def _unit(self, file: HclFile, module_dir: str) -> None:
        unit_dir = near_folder(file.path)
        scope = TerragruntScope(self, file, unit_dir)
        env = self._unit_env(scope, unit_dir)
        inputs: dict[str, Any] = {}
        for included in scope.includes().values():
            if included.merged:
                inputs.update(included.exports().get("inputs") or {})
        own = scope.exports().get("inputs") or {}
        inputs.update(own)
        source = self._unit_source(scope)
        block_line = next((b.line for b in file.blocks if b.kind == "terraform"), 1)
        # the module the unit deploys is named on its `source` line, not on `terraform {`
        source_line = next((b.line_at("source") for b in file.blocks if b.kind == "terraform"), block_line)
        inputs_line = file.attribute_lines.get("inputs", block_line)
        name = posixpath.basename(unit_dir) or "unit"
        body = {**inputs, "source": source}
        unit_block = Block("unit", [name], source_line, body, dict.fromkeys(inputs, inputs_line), file.path)
        unit_scope = ModuleScope(self, Directory(unit_dir), env, {}, root=unit_dir)
        if module_dir in self.repo.dirs:
            evidence = Evidence(file.path, inputs_line, self.detector.name)
            values = {k: Value(v, EmptyScope(), evidence) for k, v in inputs.items()}
            call = (Evidence(file.path, block_line, self.detector.name),)
            module = self.repo.dirs[module_dir]
            self.walk(ModuleScope(self, module, env, values, root=unit_dir, chain=call, depth=1))
            self._root_facts(ModuleScope(self, module, env, values, root=unit_dir))
        elif isinstance(source, str):
            self.reporter.remote_module(unit_scope, unit_block, source, [])
        self._unit_facts(scope, unit_scope, unit_block, own, file)

    @staticmethod
    def _component_inputs(scope: TerragruntScope, own: dict[str, Any]) -> list[tuple[TerragruntScope, dict[str, Any]]]:
        """Inputs a unit gets from included files outside its parent folders (`_envcommon/mysql.hcl`).

        A file in a parent folder (`root.hcl`) holds what the whole tree shares, and every unit gets its
        inputs: they are not repeated on each unit's line. The unit's own inputs win (Terragrunt's merge).
        """
        found = []
        taken = set(own)
        for included in scope.includes().values():
            folder = near_folder(included.file.path)
            if is_within(scope.unit_dir, folder) or not included.merged:
                continue
            inputs = {k: v for k, v in (included.exports().get("inputs") or {}).items() if k not in taken}
            taken.update(inputs)
            if _assignments(inputs):
                found.append((included, inputs))
        return found

    def _unit_state(self, scope: TerragruntScope, env: str, file: HclFile) -> None:
        """A Terragrunt `remote_state` block (the unit's own, else the first included one) for this unit."""
        for included in [scope, *scope.includes().values()]:
            block = next((b for b in included.file.blocks if b.kind == "remote_state"), None)
            if block is None or (included is not scope and not included.merged):
                continue
            backend = _plain(evaluate(block.body.get("backend"), included))
            config = block.body.get("config")
            if not backend or not isinstance(config, dict):
                return
            key = next((v for a in ("key", "prefix") if (v := _plain(evaluate(config.get(a), included)))), None)
            raw_bucket = config.get("bucket")
            bucket = _plain(evaluate(raw_bucket, included)) if raw_bucket is not None else None
            env_var = _GET_ENV.search(raw_bucket) if isinstance(raw_bucket, str) else None
            # `backend = "s3"`: nested attributes (the bucket) have no lines of their own
            evidence = [Evidence(block.path, block.line_at("backend"), self.detector.name)]
            if included is not scope:
                evidence.append(Evidence(file.path, included.include_line, self.detector.name))
            lock, encrypted = s3_protection(
                {name: _plain(evaluate(config.get(name), included)) for name in S3_PROTECTION}
            ) if backend == "s3" else (None, False)
            use = StateUse(near_folder(file.path), True, key, bucket, tuple(evidence),
                           env_var.group(1) if env_var else None, lock, encrypted)
            self.out.state(env, backend, use)
            return

    def _unit_env(self, scope: TerragruntScope, unit_dir: str) -> Env:
        folder: str | None = unit_dir
        names = [str(n) for n in _section("layout").get("env_locals") or []]
        while folder is not None:
            candidate = _norm(posixpath.join(folder, "env.hcl"))
            env_file = self.repo.hcl_files.get(candidate)
            if env_file is not None:
                env_scope = TerragruntScope(self, env_file, unit_dir)
                for name in names:
                    value = _plain(env_scope.local(name))
                    if value:
                        line = next(
                            (b.line_at(name) for b in env_file.blocks if b.kind == "locals" and name in b.body), 1
                        )
                        return Env(value, (Evidence(env_file.path, line, self.detector.name),))
            folder = near_folder(folder) if folder else None
        return Env(directory_env(unit_dir))

    def _unit_facts(
        self, scope: TerragruntScope, module_scope: ModuleScope, unit_block: Block, own: dict[str, Any], file: HclFile
    ) -> None:
        env = module_scope.env.name
        if env is None or is_example_path(file.path):
            return
        unit = unit_block.name
        line = file.attribute_lines.get("inputs", unit_block.line)
        parts: list[Part] = [" sets ", *_assignments(own)] if _assignments(own) else []
        evidence = [Evidence(file.path, line, self.detector.name)] if parts else []
        for included, inherited in self._component_inputs(scope, own):
            path = included.file.path
            parts.extend([", and" if parts else "", " gets ", *_assignments(inherited), " from ", Code(path)])
            # The unit's include first: a unit that sets nothing itself is still the one it cites
            # first, which places the fact in the unit's component (the monorepo table's row).
            evidence.append(Evidence(file.path, included.include_line, self.detector.name))
            evidence.append(Evidence(path, included.file.attribute_lines.get("inputs", 1), self.detector.name))
        if parts:
            fact = Fact(
                "env.special",
                text("Terragrunt unit ", Code(unit), *parts),
                Confidence.DECLARED,
                tuple(evidence),
                env=env,
                item=f"terragrunt:{file.path}",
                rank=40,
                order=(file.path, line),
            )
            self.out.env_fact(fact, False)
        self._unit_state(scope, env, file)
        for included in [scope, *scope.includes().values()]:
            for block in included.file.generated:
                if block.kind != "provider":
                    continue
                tech_id = _section("providers").get(block.type.lower())
                tech = self.catalog.techs.get(str(tech_id)) if tech_id else None
                if tech is None or tech.category != "cloud":
                    continue
                raw, chain = self.traced(block.body["region"], included, None) if "region" in block.body else (None, [])
                region = _plain(raw)
                # where the region is written (`region.hcl`), beside the generated block's line
                written = [e for e in chain if e.path != block.path] if region else []
                where: list[Part] = [", region ", Code(region)] if region else []
                fact = Fact(
                    "env.special",
                    text(
                        tech.name, *where, " (provider generated by ", Code(posixpath.basename(included.file.path)), ")"
                    ),
                    Confidence.DECLARED,
                    (Evidence(block.path, block.line_at("region"), self.detector.name), *written[-1:]),
                    env=env,
                    item=f"cloud:terragrunt:{tech.id}",
                    tech=tech.id,
                    rank=40,
                    order=(block.path, block.line),
                )
                self.out.env_fact(fact, False)


def _assignments(values: dict[str, Any], limit: int = 6) -> list[Part]:
    parts: list[Part] = []
    shown = 0
    for key, value in sorted(values.items()):
        plain = _plain(value)
        if plain is None:
            continue
        if shown:
            parts.append(", ")
        parts.append(Code(f"{key} = {redact.value(key, plain)}"))
        shown += 1
        if shown == limit:
            break
    remaining = sum(1 for v in values.values() if _plain(v) is not None) - shown
    if remaining > 0:
        parts.append(f" and {remaining} more")
    return parts


_STATE_KEY_SEPARATOR = re.compile(r"[/:]")
_GET_ENV = re.compile(r'get_env\(\s*"([^"]+)"')


def _path_env(value: str) -> str | None:
    """The environment a state key names: `prod/app.tfstate`, `staging.terraform.tfstate` -> the word."""
    for part in reversed(_STATE_KEY_SEPARATOR.split(value)):
        name = env_from_name(part)
        if name and name not in _words_lower("layout", "not_environments"):
            return name
    return None


# -- the detector --------------------------------------------------------------------------


class TerraformDetector(Detector):
    name = "terraform"
    version = "2"
    description = "Terraform, OpenTofu and Terragrunt: environments, data stores, URLs, alerts, logs"
    patterns = (
        "*.tf",
        "*.tofu",
        "*.tf.json",
        "*.tofu.json",
        "*.tfvars",
        "*.tfvars.json",
        ".terraform.lock.hcl",
        "{terragrunt,root,env,account,region}.hcl",
        "**/_envcommon/*.hcl",
        # a Terragrunt stack: its `unit` blocks (Run._stack)
        "terragrunt.stack.hcl",
    )
    looks_for = {
        "env.url": "Terraform DNS records, certificates, CDN aliases, domain mappings, url/domain outputs",
        "env.database": "Terraform database, cache and queue resources and modules per environment",
        "env.special": "Terraform providers, regions, state backends, Terragrunt inputs per environment",
        "env.sla": "Terraform HA settings (multi-AZ, regional, replicas) and SLO resources",
        "mon.infrastructure": "Terraform alarms, dashboards, monitors and monitoring providers",
        "mon.performance": "Terraform synthetics, uptime checks and SLO resources",
        "mon.application": "Terraform Application Insights and Sentry resources",
        "log.aggregation": "Terraform log groups, log sinks, subscription filters, workspaces",
        "log.retention": "Terraform log group and log bucket retention settings",
        "alert.critical": "Terraform alarms, alert policies and monitors with their severities",
        "alert.warning": "Terraform alarms, alert policies and monitors with their severities",
        "alert.channels": "Terraform SNS subscriptions, notification channels, PagerDuty/Opsgenie resources",
    }

    def prepare(self) -> None:
        warm_up()

    def extract(self, file: SourceFile) -> Extraction:
        out = Extraction()
        kind = file_kind(file.path)
        json_file = file.path.endswith(".json")
        parsed = parse_json(file.text, config=kind == CONFIG) if json_file else parse_hcl(file.text)
        if parsed.error:
            out.diagnostics.append(self.diagnostic(file.path, parsed.error[0], self._problem(parsed)))
        data: dict[str, Any] = {
            "kind": kind,
            "blocks": parsed.blocks,
            "attributes": parsed.attributes,
            "attribute_lines": parsed.attribute_lines,
        }
        if kind == TERRAGRUNT:
            data["generated"] = _generated_blocks(parsed.blocks)
        if posixpath.basename(file.path) == STACK_FILE:
            # A nested stack generates units from its own stack file, elsewhere (a catalog): the gaps
            # name this file as not fully parsed rather than say it held nothing
            nested = [b for b in parsed.blocks if b.get("type") == "stack"]
            if nested:
                out.diagnostics.append(self.diagnostic(
                    file.path, int(nested[0].get("line", 1)), f"cannot parse Terragrunt stacks: the units of "
                    f"{len(nested)} nested stack block{'s' if len(nested) != 1 else ''} come from stack files "
                    "infrascan does not read", Severity.INFO))
        out.records.append(Record(RECORD, file.path, 1, data))
        return out

    @staticmethod
    def _problem(parsed: Parsed) -> str:
        assert parsed.error is not None
        message = f"cannot parse: {parsed.error[1]}"
        if parsed.fallback:
            count = len(parsed.blocks)
            message += f"; read {count} resource/data/module block{'s' if count != 1 else ''} with a regex fallback"
        return message

    def resolve(self, ctx: ResolveContext) -> list[Fact]:
        if not ctx.records(RECORD):
            return []
        return Run(self, ctx).facts()
