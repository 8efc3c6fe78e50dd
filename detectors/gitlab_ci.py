"""GitLab CI/CD: builds, tests, deployment triggers and the environments deploy jobs declare.

Phase 1 loads each GitLab CI YAML file once (the one loader: `!reference` arrives as a tag
marker, a `spec:` header makes the file two documents) and records its content with the line of
every key; a file that does not parse keeps every top-level block that does (a tab in one job
costs that job, not the pipeline). Files are claimed by name (`.gitlab-ci.yml`,
`*.gitlab-ci.yml`, `.gitlab/ci/**`, `.gitlab-ci.d/**`) and by content, because `include:local`
can name any file.

Phase 2 works on those records only (`gitlab_ci_config.py`): includes, extends, `!reference`,
`default:`; then each job's conditions (`gitlab_ci_rules.py`) and its commands through the
shared classifier, with `make`/`npm` targets and shell scripts resolved through the scripts
detector's records. The pipeline is the repository's `.gitlab-ci.yml` with everything it
includes and the child pipelines it triggers. Other GitLab CI files that nothing includes (a
`build/gitlab-ci.yml` that a README tells people to copy, a CI file set up under a custom path)
cannot be told apart from here, so their facts are hints that say so.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from infrascan.catalog import DATA_STORE_CATEGORIES
from infrascan.commands import (
    OUTPUT_DIR_NAME,
    Classification,
    Command,
    SplitMemo,
    called_unit,
    cd_target,
    classify,
    folded_offsets,
    image_tools,
    runs_nothing_of_note,
)
from infrascan.detector import Detector, Extraction, Record, ResolveContext, Sniff, SourceFile
from infrascan.environments import display_name, is_dynamic, normalise
from infrascan.envvars import is_placeholder_host, selects_test
from infrascan.images import parse_image
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
    one_line,
    text,
)
from infrascan.redact import is_secret_key
from infrascan.shellarms import FUNCTION_CALL, call_arguments, running
from infrascan.tasks import TaskIndex
from infrascan.yamlload import YDict, as_list, load_yaml

from ._pipelines import allowed_to_fail, removes, run_ids
from .gitlab_ci_config import (
    DEFAULT_STAGES,
    RESERVED,
    Composed,
    Composer,
    FileDoc,
    GMap,
    GSeq,
    JobResolver,
    Where,
    apply_defaults,
    decode,
    encode,
    inherited_variables,
    knowledge,
    new_map,
    put,
)
from .gitlab_ci_rules import (
    Conditions,
    Interpreter,
    When,
    describe,
    expand_any,
    intersect,
    own_ways,
    restrict,
    short_triggers,
)

CI = "gitlab-ci"
RECORD = "gitlab.file"
ROOT_FILES = (".gitlab-ci.yml", ".gitlab-ci.yaml")
_ENTRY_NAME = re.compile(r"(?:^|/)(?:[^/]*\.)?gitlab-ci\.ya?ml$")
_TOP_LEVEL_KEY = re.compile(r"^(?![\s#\-]|---|\.\.\.)(\S)")
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
_SCRIPT_CALL = re.compile(
    r"^(?:(?:ba|z|da)?sh\s+(?:-\w+\s+)*|source\s+|\.\s+)?(?P<path>(?:\$\{?CI_PROJECT_DIR\}?/|\.{1,2}/|/)?"
    r"[\w.\-/]+\.(?:sh|bash))\b|^(?P<exe>\./[\w.\-/]+)(?:\s|$)"
)
_SHELL_KEYWORD = re.compile(r"^(?:(?:then|do|else|elif|\{)\s+)+")
_VAR_PREFIX = re.compile(r"^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/")
_DEPLOY_WORDS = re.compile(r"(?i)(?:deploy|release|rollout|promote|publish)")
_MIGRATE_WORDS = re.compile(r"(?i)migrat")
# Patterns of per-job and per-command helpers, compiled once.
_PROJECT_DIR_SLASH = re.compile(r"^\$\{?CI_PROJECT_DIR\}?/")
_PROJECT_DIR = re.compile(r"^\$\{?CI_PROJECT_DIR\}?/?")
_WORD_PARTS = re.compile(r"[_\-]")
_URL_HOST = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?([^/?#]*)", re.I)
_OUTPUT_REGISTRY = re.compile(r"--output[= ]\S*type=registry")
_OUTPUT_LOCAL = re.compile(r"(?:--output[= ]|-o\s+)type=(?:local|tar)")
_REVIEW_NAME = re.compile(r"(?i)\b(?:review|preview)")


@lru_cache(maxsize=256)
def _whole_word(word: str) -> re.Pattern[str]:
    """`word` as a whole word; the dispatch verbs are few, so each is compiled once."""
    return re.compile(rf"\b{re.escape(word)}\b")


_STOP_ACTIONS = ("stop",)
# GitLab's `environment:action` values that deploy nothing, and infrascan's own `verify` (a job that
# checks an environment) and `build` (a build or packaging job that names one).
_NON_DEPLOY_ACTIONS = ("stop", "prepare", "verify", "access", "build")
MAX_CANDIDATES = 8
# The kind of a build step whose program the same job then runs: a tool the pipeline builds for
# itself, neither a build step of the product nor a step of a deployment.
TOOL_BUILD = "tool-build"


# ==== phase 1: loading one file =================================================================


@dataclass
class Loaded:
    documents: list[Any]
    problems: list[tuple[int | None, str]] = field(default_factory=list)


def _blocks(lines: list[str]) -> list[tuple[int, int]]:
    """Top-level blocks (0-based start, end exclusive): each top-level key with what follows it."""
    starts = [i for i, line in enumerate(lines) if _TOP_LEVEL_KEY.match(line)]
    blocks = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        for j in range(start + 1, end):
            if lines[j].startswith(("---", "...")):
                end = j
                break
        blocks.append((start, end))
    return blocks


def _blank(lines: list[str], blocks: list[tuple[int, int]], skipped: set[int]) -> str:
    out = list(lines)
    for index in skipped:
        start, end = blocks[index]
        for i in range(start, end):
            out[i] = ""
    return "\n".join(out)


def _block_at(blocks: list[tuple[int, int]], line: int, skipped: set[int]) -> int | None:
    """The block holding 0-based `line`, else the nearest block before it (where an open bracket started)."""
    candidates = [i for i, (start, _) in enumerate(blocks) if start <= line and i not in skipped]
    return candidates[-1] if candidates else None


_ANCHOR_OR_ALIAS = re.compile(r"(?:(?<=[\s:\-\[,{])|^)([&*])([A-Za-z0-9_][^\s\[\]{},]*)", re.M)


def _downstream_project(job: Job) -> str:
    """The other project whose pipeline a job starts (`trigger: project`), or ""."""
    trigger = job.node.get("trigger")
    if isinstance(trigger, str):
        return trigger
    if isinstance(trigger, GMap) and isinstance(trigger.get("project"), str):
        return str(trigger["project"])
    return ""


def rename_duplicate_anchors(source: str) -> str:
    """YAML lets a later `&name` redefine an anchor (mobilizon's `&release-tag-rules`, three times);
    PyYAML refuses. Each redefinition and the aliases after it get a name of their own, lines kept."""
    counts: dict[str, int] = defaultdict(int)
    for match in _ANCHOR_OR_ALIAS.finditer(source):
        if match.group(1) == "&":
            counts[match.group(2)] += 1
    repeated = {name for name, count in counts.items() if count > 1}
    if not repeated:
        return source
    seen: dict[str, int] = defaultdict(int)

    def rename(match: re.Match[str]) -> str:
        sigil, name = match.group(1), match.group(2)
        if name not in repeated:
            return match.group(0)
        if sigil == "&":
            seen[name] += 1
        suffix = f"--{seen[name]}" if seen[name] > 1 else ""
        return f"{sigil}{name}{suffix}"

    return _ANCHOR_OR_ALIAS.sub(rename, source)


def load_recovering(source: str) -> Loaded:
    """All documents of a file; a top-level block that breaks the YAML is left out, the rest kept."""
    first = load_yaml(source)
    if first.error is not None and "duplicate anchor" in str(first.error):
        source = rename_duplicate_anchors(source)
        first = load_yaml(source)
    problems: list[tuple[int | None, str]] = [
        (line, f"duplicate key {key!r}; the last one wins") for key, line in first.warnings
    ]
    if first.error is None:
        return Loaded(first.documents, problems)
    problems.append((first.error.line, f"invalid YAML: {first.error}"))
    lines = source.split("\n")
    blocks = _blocks(lines)
    skipped: set[int] = set()
    result = first
    for _ in range(min(len(blocks), 50)):
        if result.error is None or result.error.line is None:
            break
        block = _block_at(blocks, result.error.line - 1, skipped)
        if block is None:
            break
        skipped.add(block)
        result = load_yaml(_blank(lines, blocks, skipped))
    if result.error is not None:
        return Loaded(first.documents, problems)
    for index in sorted(skipped):  # give back blocks that were only caught in another's error
        trial = skipped - {index}
        if load_yaml(_blank(lines, blocks, trial)).error is None:
            skipped = trial
    result = load_yaml(_blank(lines, blocks, skipped))
    for index in sorted(skipped):
        start, end = blocks[index]
        key = lines[start].split(":", 1)[0].strip()
        problems.append((start + 1, f"`{key}` (lines {start + 1}-{end}) left out: it does not parse as YAML"))
    return Loaded(result.documents, problems)


# ==== phase 2 model ==============================================================================


@dataclass(frozen=True)
class Step:
    """One classified command of a job, with where it is written (a script file when resolved there)."""

    kind: str
    tool: str
    level: str | None
    target: str | None
    command: str
    where: Where
    automatic: bool
    detail: dict[str, Any]
    via: str
    index: int


@dataclass(frozen=True)
class Service:
    image: str
    label: str | None  # "PostgreSQL 16" for data stores
    store: bool
    tooling: bool  # docker-in-docker
    where: Where


def _service_labels(services: list[Service]) -> list[Part]:
    """`PostgreSQL 16 (postgres:16), redis:7`: each service by what it runs, or by its image."""
    parts: list[Part] = []
    for i, service in enumerate(services):
        parts += [", " if i else "", *(text(service.label, " (", Code(service.image), ")") if service.label
                                       else (Code(service.image),))]
    return parts


@dataclass(frozen=True)
class Env:
    raw: str
    names: tuple[str, ...]
    url: str | None
    url_where: Where
    action: str
    on_stop: str | None
    auto_stop_in: str | None
    tier: str | None
    namespace: str | None
    where: Where


@dataclass
class Job:
    name: str
    node: GMap
    where: Where
    stage: str
    index: int
    whens: list[When]
    variables: dict[str, str]
    variables_node: GMap
    origin: str
    steps: list[Step] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    env: Env | None = None
    commands: list[tuple[str, Where, str]] = field(default_factory=list)  # (command, where, script key)
    indirect: list[tuple[str, Where]] = field(default_factory=list)  # `make x` whose target is not recorded
    report_pages: tuple[str, Where] | None = None  # a Pages job that publishes a test report: the command

    @property
    def needs(self) -> list[str]:
        out = []
        for need in as_list(self.node.get("needs")):
            name = need.get("job") if isinstance(need, GMap) else need
            if isinstance(name, str):
                out.append(name)
        return out

    def of(self, kind: str) -> list[Step]:
        return [s for s in self.steps if s.kind == kind]

    @property
    def deploys(self) -> bool:
        if self.env is not None:
            return self.env.action not in _NON_DEPLOY_ACTIONS
        if self.removed is not None:  # deployed to be tested and removed: no environment's deploy
            return False
        return bool(self.of("deploy")) or (_is_pages(self) and self.report_pages is None)

    @property
    def removed(self) -> tuple[str, Where] | None:
        """With no environment, the command after a deploy of something named for this pipeline's
        run that removes it again (`gcloud run deploy app-$CI_PIPELINE_ID` ... `gcloud run services
        delete app-$CI_PIPELINE_ID`), as the shared pipeline reader reads other CIs' jobs."""
        if self.env is not None:
            return None
        deploys = self.of("deploy")
        named = {i for s in deploys for i in run_ids(s.command)}
        if not named:
            return None
        first = min(s.index for s in deploys)
        return next(((c, w) for i, (c, w, _) in enumerate(self.commands) if i > first and removes(c, named)), None)

    @property
    def tests(self) -> bool:
        return bool(self.of("test"))


@dataclass
class Pipeline:
    path: str
    hint: bool
    parent: Job | None
    composed: Composed
    stages: list[str]
    workflow: list[When] | None
    jobs: list[Job] = field(default_factory=list)

    def job(self, name: str) -> Job | None:
        return next((j for j in self.jobs if j.name == name), None)


def substitute(value: str, variables: dict[str, str], depth: int = 0) -> str:
    """Literal variables written into a value (`$IMAGE` -> `registry/app`); secrets never expanded."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name in variables and not is_secret_key(name):
            return variables[name]
        return match.group(0)

    expanded = _VAR.sub(one, value)
    return substitute(expanded, variables, depth + 1) if expanded != value and depth < 5 else expanded


def literal_variables(node: GMap, varying: frozenset[str] | set[str] = frozenset()) -> dict[str, str]:
    """The variables whose values are written out, each expanded with the others. `varying` (the
    names a job's matrix sets) have no one value: neither kept nor written into another's value."""
    out: dict[str, str] = {}
    for key, value in node.items():
        if str(key) in varying:
            continue
        if isinstance(value, GMap):
            if value.get("options"):
                continue  # a choice made when the pipeline is run, not a value
            value = value.get("value")
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            out[str(key)] = str(value)
    resolved = {k: substitute(v, out) for k, v in out.items()}
    return {k: v for k, v in resolved.items() if f"${k}" not in v and "${" + k + "}" not in v}


def project_path(remote_url: str | None) -> str | None:
    """`group/sub/project` from a remote URL (https or scp-like ssh)."""
    if not remote_url:
        return None
    url = remote_url.strip()
    match = re.match(r"^[\w.-]+@[\w.-]+:(?P<path>.+)$", url)
    path = match.group("path") if match else urlsplit(url).path
    path = path.strip("/")
    return path[:-4] if path.endswith(".git") else path or None


# ==== the detector ===============================================================================

# What makes a YAML file read like GitLab CI, at the start of a line: an indented job key, a
# top-level `include:`/`workflow:`/`stages:`, or a hidden job (`.template:`); anywhere: a
# `!reference [...]` tag or a predefined `$CI_*` variable.
# An API description's keys read alike: Fern types `extends: Trace` and OpenAPI patches map
# `script: "#/components/..."` (langfuse's and kratos' gap texts counted them as GitLab CI files):
# `extends:` here names a hidden job (`.base`) or a list, and `script:` is no JSON pointer, nor a
# mapping (navidrome's tag mappings: `script:` over `aliases: [...]`): GitLab's is a string or a list.
_SNIFF_LINE = (
    r"(?:[ \t]+(?:(?:script|before_script)[ \t]*:(?![ \t]*[\"']?#/)(?![ \t]*(?:#[^\n]*)?\r?\n[ \t]*[\w.-]+[ \t]*:)"
    r"|stage[ \t]*:"
    r"|extends[ \t]*:[ \t]*(?:\r?\n|#|\[|[\"']?\.))"
    r"|(?:include|workflow|stages)[ \t]*:"
    r"|\.[A-Za-z0-9_][\w:.\-]*[ \t]*:)"
)
_SNIFF_ANYWHERE = (
    r"!reference[ \t]*\[",
    r"\$\{?CI_(?:COMMIT|PIPELINE|PROJECT|REGISTRY|DEFAULT|MERGE_REQUEST|JOB|ENVIRONMENT)_",
)
# The engine searches the first 16 KB of every .yml file in the repository, and most are not
# GitLab CI. Anchored at the start (`\A`), the pattern is tried once instead of at every offset;
# each `.*` (DOTALL) then runs to the end and steps back only to the literal that follows it
# (a newline, `!`, `$`), a scan done in C. It matches exactly the texts that
# `(?m)^<line>|<anywhere>` matches anywhere.
_SNIFF_FROM_START = (_SNIFF_LINE, r".*\n" + _SNIFF_LINE, *(r".*" + anywhere for anywhere in _SNIFF_ANYWHERE))
_SNIFF = re.compile(r"(?s)\A(?:" + "|".join(_SNIFF_FROM_START) + ")")
# GitLab CI has no top-level `steps:`; Codefresh, Drone, Woodpecker and Harness pipelines do. Nor
# does it include anything but YAML, as Cloud Posse's README.yaml (`include: - "docs/targets.md"`)
# and FreshRSS's Jekyll docs/_config.yml (`include: contributing.md`) do. Nor is its top-level
# `services:` (a deprecated default) a mapping of names: a compose file's is (jhipster's
# src/main/docker/services.yml, whose `extends:` blocks read like GitLab's).
_NOT_GITLAB = re.compile(
    r"(?m)^steps[ \t]*:"
    r"|^include:[ \t]*(?:\n[ \t]*-[ \t]*)?[\"']?[^\s\"']+\.(?!ya?ml\b)\w+[\"']?[ \t]*$"
    r"|^services[ \t]*:[ \t]*(?:#[^\n]*)?\r?\n(?:[ \t]*(?:#[^\n]*)?\r?\n)*[ \t]+[\w.-]+[ \t]*:"
)


class GitLabCIDetector(Detector):
    name = "gitlab-ci"
    version = "1"
    description = "GitLab CI/CD: includes, extends, rules, environments, builds, tests and deploy jobs"
    patterns = (
        "*.gitlab-ci.{yml,yaml}",
        "gitlab-ci.{yml,yaml}",
        ".gitlab/ci/**/*.{yml,yaml}",
        ".gitlab-ci.d/**/*.{yml,yaml}",
        ".gitlab-ci/**/*.{yml,yaml}",
    )
    # Included files can have any name: claim YAML that reads like GitLab CI, except a compose file
    # (named as one), whose top-level `include:` lists other compose files.
    sniff = Sniff((".yml", ".yaml"), _SNIFF,
                  yields_to=("azure-pipelines", "bitbucket", "circleci", "cloudbuild", "compose", "github-actions"),
                  unless=_NOT_GITLAB)
    looks_for = {
        "ci.build": "GitLab CI jobs that build or push images and artifacts",
        "ci.test.unit": "GitLab CI test jobs (commands, JUnit reports)",
        "ci.test.integration": "GitLab CI test jobs with database services or integration names",
        "ci.test.e2e": "GitLab CI browser and end-to-end test jobs",
        "ci.deploy.manual": "GitLab CI `when: manual` deploy jobs",
        "ci.deploy.automated": "GitLab CI deploy jobs and their `rules`/`only`",
        "env.url": "`environment:url` of GitLab CI deploy jobs",
        "env.purpose": "GitLab CI review apps and deploy rules",
        "deploy.steps": "GitLab CI deploy jobs, their needs and stages",
        "deploy.rollback.perform": "GitLab CI rollback jobs and environments",
        "deploy.rollback.verify": "GitLab CI verify commands after deploys",
        "deploy.migration.strategy": "GitLab CI migration jobs and steps",
    }

    def extract(self, file: SourceFile) -> Extraction:
        out = Extraction()
        loaded = load_recovering(file.text)
        problems = list(loaded.problems)
        docs = [d for d in loaded.documents if d is not None]
        header = None
        if len(docs) >= 2 and isinstance(docs[0], YDict) and "spec" in docs[0]:
            header, docs = docs[0], docs[1:]
        if len(docs) > 1:
            problems.append((None, "more than one YAML document; GitLab reads a `spec:` header and one configuration"))
        content = docs[0] if docs and isinstance(docs[0], YDict) else None
        lines = file.text.split("\n")
        encoded = encode(content, lines) if content is not None else None
        encoded_header = encode(header, lines) if header is not None else None
        for tag, line in encoded.unknown_tags if encoded else []:
            problems.append((line, f"unknown YAML tag `{tag}`: GitLab rejects it; its value is read as plain YAML"))
        out.records.append(
            Record(
                RECORD,
                file.path,
                1,
                {
                    "doc": encoded.data if encoded else None,
                    "header": encoded_header.data if encoded_header else None,
                    "problems": [[line, message] for line, message in problems],
                    "folded": [[line, start, block] for line, (start, block) in encoded.folded.items()]
                              if encoded else [],
                },
            )
        )
        return out

    def resolve(self, ctx: ResolveContext) -> list[Fact]:
        return Resolution(self, ctx).facts()


# ==== phase 2 ====================================================================================


class Resolution:
    """One repository's GitLab CI: pipelines composed, jobs read, facts written."""

    def __init__(self, detector: GitLabCIDetector, ctx: ResolveContext) -> None:
        self.detector = detector
        self.ctx = ctx
        self.catalog = ctx.catalog
        self.kb = knowledge()
        self.files: dict[str, FileDoc] = {}
        for record in ctx.records(RECORD):
            doc = decode(record.data.get("doc"), record.path)
            header = decode(record.data.get("header"), record.path)
            problems = [(line, str(message)) for line, message in record.data.get("problems", [])]
            self.files[record.path] = FileDoc(
                record.path,
                doc if isinstance(doc, GMap) else None,
                header if isinstance(header, GMap) else None,
                problems,
                {line: (start, block) for line, start, block in record.data.get("folded", [])},
            )
        remote = getattr(ctx, "remote_url", None)
        self.composer = Composer(self.files, ctx.files, project_path(remote), self.diagnose)
        self.tasks = TaskIndex(ctx)
        self.scripts: dict[str, list[Record]] = defaultdict(list)
        for record in ctx.records("script.command"):
            self.scripts[record.path].append(record)
        self.function_calls: dict[str, list[Record]] = defaultdict(list)
        for record in ctx.records(FUNCTION_CALL):
            self.function_calls[record.path].append(record)
        self.reported: set[str] = set()
        # Jobs that extend one template share its scripts: each distinct script is split once here
        # (and each distinct command classified once, by commands.classify); the results are only read.
        self._splits = SplitMemo()

    def diagnose(self, path: str, line: int | None, message: str, severity: Severity = Severity.WARNING) -> None:
        self.ctx.diagnose(path, line, message, self.detector.name, severity)

    # -- which files are pipelines ---------------------------------------------------------

    def pipelines(self) -> list[Pipeline]:
        out: list[Pipeline] = []
        reached: set[str] = set()
        root = next((p for p in ROOT_FILES if p in self.files), None)
        if root is not None:
            out.extend(self._pipeline_tree(root, hint=False, reached=reached))
        candidates = sorted(p for p in self.files if _ENTRY_NAME.search(p) and p not in reached)
        composed = {p: self.composer.compose(p) for p in candidates}
        included = {f for p in candidates for f in composed[p].files if f != p}
        for path in candidates:
            if path not in included and path not in reached:
                out.extend(self._pipeline_tree(path, hint=True, reached=reached))
        return out

    def _pipeline_tree(self, path: str, hint: bool, reached: set[str], parent: Job | None = None) -> list[Pipeline]:
        if path in reached and parent is not None:
            return []
        pipeline = self.build(path, hint, parent)
        reached.update(pipeline.composed.files)
        self._report_problems(pipeline.composed.files)
        out = [pipeline]
        if hint:
            self.diagnose(
                path,
                None,
                "GitLab CI file not included by the repository's `.gitlab-ci.yml`: read as a template or a "
                "custom CI path; its facts are hints",
                Severity.INFO,
            )
        for job in pipeline.jobs:
            child = self._child_path(job)
            if child is not None:
                out.extend(self._pipeline_tree(child, hint, reached, job))
        return out

    def _report_problems(self, paths: Iterable[str]) -> None:
        for path in paths:
            if path in self.reported:
                continue
            self.reported.add(path)
            for line, message in self.files[path].problems:
                self.diagnose(path, line, message)

    def _child_path(self, job: Job) -> str | None:
        trigger = job.node.get("trigger")
        if not isinstance(trigger, GMap):
            return None
        for entry in as_list(trigger.get("include")):
            local = entry if isinstance(entry, str) else entry.get("local") if isinstance(entry, GMap) else None
            if isinstance(local, str):
                target = posixpath.normpath(local.strip().lstrip("/"))
                if target in self.files:
                    return target
                where = trigger.where_of("include")
                self.diagnose(where[0], where[1], f"child pipeline `{local}` not found in the repository")
        return None

    # -- composing one pipeline ------------------------------------------------------------

    def build(self, path: str, hint: bool, parent: Job | None) -> Pipeline:
        composed = self.composer.compose(path)
        config = composed.config
        resolver = JobResolver(config, self.diagnose, lenient=bool(composed.unresolved))
        default = resolver.referenced(config.get("default")) if isinstance(config.get("default"), GMap) else None
        settings = new_map(config.where)
        for key in ("image", "services", "cache", "before_script", "after_script", "variables"):
            if key in config:
                put(settings, key, resolver.referenced(config[key]), config.where_of(key))
        if default is not None:
            put(settings, "default", default, config.where_of("default"))
        global_vars = (
            settings.get("variables") if isinstance(settings.get("variables"), GMap) else new_map(config.where)
        )
        conditions = Conditions(Interpreter(global_vars))
        workflow = self._workflow(resolver, config, conditions, parent)
        stages = self._stages(config)
        pipeline = Pipeline(path, hint, parent, composed, stages, workflow)
        names = [k for k in config if isinstance(k, str) and k not in RESERVED and not k.startswith(".")]
        jobs = []
        for name in names:
            job = self._job(name, config, resolver, settings, conditions, pipeline)
            if job is not None:
                jobs.append(job)
        self._report_rule_problems(conditions, path)
        jobs.sort(key=lambda j: (stages.index(j.stage) if j.stage in stages else len(stages), j.index))
        for position, job in enumerate(jobs):
            job.index = position
        pipeline.jobs = jobs
        for job in jobs:
            self._read_job(job)
            self._undescribed_deploy(job)
        return pipeline

    def _undescribed_deploy(self, job: Job) -> None:
        """A job of the `deploy` stage whose commands infrascan reads as nothing it knows (GNOME's
        `gnome-extensions upload` to extensions.gnome.org on tags): said once, so that the deploy
        gaps name the job rather than say nothing was found."""
        if job.stage != "deploy" or job.deploys or job.steps or not job.commands:
            return
        if job.env is not None or str(job.node.get("when") or "") == "on_failure":
            return  # stops or prepares an environment, or tells of a failure: no deploy left out
        if all(runs_nothing_of_note(command) for command, _, _ in job.commands):
            return  # messages and clean-ups
        shown = ", ".join(f"`{one_line(command, 60)}`" for command, _, _ in job.commands[:2])
        self.diagnose(job.where[0], job.where[1],
                      f"job `{job.name}` (stage deploy) runs commands infrascan does not know ({shown}); "
                      f"{UNDESCRIBED_DEPLOY}", Severity.INFO)

    def _workflow(
        self, resolver: JobResolver, config: GMap, conditions: Conditions, parent: Job | None
    ) -> list[When] | None:
        workflow = resolver.referenced(config.get("workflow"))
        gate = parent.whens if parent is not None else None
        if isinstance(workflow, GMap) and isinstance(workflow.get("rules"), GSeq):
            own = [replace(w, manual=False, delayed=None) for w in conditions.rules(workflow["rules"])]
            return restrict(own, gate) if gate is not None else own
        return [replace(w, manual=False, delayed=None) for w in gate] if gate is not None else None

    @staticmethod
    def _stages(config: GMap) -> list[str]:
        declared = [str(s) for s in as_list(config.get("stages"))] or list(DEFAULT_STAGES[1:-1])
        return [".pre", *[s for s in declared if s not in (".pre", ".post")], ".post"]

    def _job(
        self,
        name: str,
        config: GMap,
        resolver: JobResolver,
        settings: GMap,
        conditions: Conditions,
        pipeline: Pipeline,
    ) -> Job | None:
        if not isinstance(config.get(name), GMap):
            return None
        extended = resolver.extended(name)
        if extended is None:
            return None
        node = apply_defaults(resolver.referenced(extended), settings)
        where = config.where_of(name)
        if not any(k in node for k in ("script", "trigger", "run")):
            if not pipeline.composed.unresolved:
                self.diagnose(where[0], where[1], f"job `{name}` has no `script` or `trigger`; GitLab rejects it")
            return None
        variables_node = inherited_variables(node, settings)
        variables = literal_variables(variables_node, _matrix_names(node))
        whens = self._whens(name, node, conditions, pipeline)
        stage = str(node.get("stage") or "test")
        origin = node.origin[len("template:") :] if node.origin.startswith("template:") else ""
        if not whens:
            why = "its rules never add it" if "rules" in node else "the workflow never creates a pipeline it runs in"
            self.diagnose(where[0], where[1], f"job `{name}` never runs: {why}", Severity.INFO)
            return None
        return Job(name, node, where, stage, list(config).index(name), whens, variables, variables_node, origin)

    def _whens(self, name: str, node: GMap, conditions: Conditions, pipeline: Pipeline) -> list[When]:
        job_when = str(node["when"]) if isinstance(node.get("when"), str) else None
        start_in = str(node.get("start_in")) if node.get("start_in") else None
        when_at = node.where_of("when") if job_when else None
        if "rules" in node:
            whens = conditions.rules(node.get("rules"), job_when, start_in, when_at)
        elif "only" in node or "except" in node:
            only_at = node.where_of("only") if "only" in node else None
            whens = conditions.only_except(node.get("only"), node.get("except"), job_when, start_in, only_at, when_at)
        else:
            delayed = start_in if job_when == "delayed" else None
            proof = when_at if job_when in ("manual", "delayed") else None
            whens = [When("any", manual=job_when == "manual", delayed=delayed, where=proof)]
        whens = expand_any(whens, pipeline.workflow)
        whens = restrict(whens, pipeline.workflow)
        for rules in pipeline.composed.conditions.get(name, []):
            whens = restrict(whens, conditions.rules(rules))
        return whens

    def _report_rule_problems(self, conditions: Conditions, path: str) -> None:
        for problem in conditions.problems:
            self.diagnose(path, problem.line or None, problem.message)
        conditions.problems.clear()

    # -- reading one job ---------------------------------------------------------------------

    def _offsets(self, where: Where, commands: list[Command]) -> list[int]:
        """The line each command of a script item starts on; in a folded scalar (`- >`), found in its
        source lines, as folding puts every command on the first."""
        doc = self.files.get(where[0])
        folded = doc.folded.get(where[1]) if doc is not None else None
        if folded is None:
            return [where[1] + c.offset for c in commands]
        start, block = folded
        return [start + offset for offset in folded_offsets(block, commands)]

    def _read_job(self, job: Job) -> None:
        job.services = self._services(job)
        cwd = ""
        position = 0
        built: dict[str, int] = {}  # program path a build writes -> that build step's position
        helpers: set[int] = set()
        for key in ("before_script", "script", "after_script"):
            value = job.node.get(key)
            items = list(value) if isinstance(value, GSeq) else [value] if isinstance(value, str) else []
            for index, item in enumerate(items):
                if not isinstance(item, str):
                    continue
                where = value.where_of(index) if isinstance(value, GSeq) else job.node.where_of(key)
                inner = _subshell(item)
                outer_cwd = cwd
                commands = self._splits[inner]
                for command, offset in zip(commands, self._offsets(where, commands), strict=True):
                    line = (where[0], offset)
                    expanded = substitute(_SHELL_KEYWORD.sub("", command.text), job.variables)
                    job.commands.append((expanded, line, key))
                    moved = cd_target(expanded, cwd, _PROJECT_DIR)
                    cwd = cwd if moved is None else moved
                    program = _program(expanded, cwd)
                    if program in built:
                        helpers.add(built[program])
                    for step in self._classify(job, expanded, line, cwd, position):
                        job.steps.append(step)
                        output = _built_program(step, cwd)
                        if output:
                            built[output] = position
                        position += 1
                if inner is not item:
                    cwd = outer_cwd
        # A program the job builds and then runs is a tool for the pipeline (gitlab-runner builds
        # `scripts/pusher` to push images), not the product: it is no build step.
        job.steps = [replace(s, kind=TOOL_BUILD) if s.index in helpers else s for s in job.steps]
        job.env = self._environment(job)
        if _is_pages(job):
            job.report_pages = next(
                ((c, w) for c, w, key in job.commands if key == "script" and self.kb.report_pages.search(c)), None
            )

    def _classify(self, job: Job, command: str, where: Where, cwd: str, position: int) -> list[Step]:
        out: list[Step] = []
        for found in classify(command):
            if found.kind == "indirect":
                resolved_steps = self.tasks.resolve(found, near=cwd)
                if not resolved_steps:
                    job.indirect.append((command, where))
                for resolved in resolved_steps:
                    out.append(
                        self._step(resolved.classification, (resolved.path, resolved.line), position, resolved.path)
                    )
            else:
                out.append(self._step(found, where, position, ""))
        if not out:
            out.extend(self._script_file(command, cwd, position, posixpath.dirname(where[0])))
        return out

    def _step(self, found: Classification, where: Where, position: int, via: str) -> Step:
        return Step(
            found.kind,
            found.tool,
            found.level,
            found.target,
            found.command,
            where,
            found.automatic,
            dict(found.detail),
            via,
            position,
        )

    def _script_file(self, command: str, cwd: str, position: int, home: str, depth: int = 0) -> list[Step]:
        """`bash ci/deploy.sh` / `./scripts/build.sh`: the commands the scripts detector recorded
        there, following the scripts it calls in turn. `home` is the CI file's directory, where a
        template's helper scripts sit beside it (`build/gitlab-ci.yml` calls `tf-wrapper.sh`)."""
        match = _SCRIPT_CALL.match(command.strip())
        if not match or depth > 3:
            return []
        raw = match.group("path") or match.group("exe") or ""
        raw = _PROJECT_DIR_SLASH.sub("/", raw)
        path = posixpath.normpath(raw.lstrip("/") if raw.startswith("/") else posixpath.join(cwd, raw))
        if path not in self.scripts and not raw.startswith("/"):
            path = posixpath.normpath(posixpath.join(home, path))
        verbs = self._dispatch_verbs(command[match.end() :])
        arguments = call_arguments(command[match.end() :])
        out: list[Step] = []
        # `./ci/run.sh build`: the arm of that first argument, and the functions it calls (shellarms.py)
        for record in running(self.scripts.get(path, []), self.function_calls.get(path, []), arguments):
            data = record.data
            if data.get("kind") == "call":
                out.extend(self._script_file(str(data.get("command", "")), cwd, position, home, depth + 1))
            elif data.get("kind") and data.get("command"):
                if verbs and not any(_whole_word(v).search(str(data["command"])) for v in verbs):
                    continue  # `tf-wrapper.sh plan`: the script's `terraform apply` belongs to another argument
                out.append(
                    Step(
                        str(data["kind"]),
                        str(data.get("tool", "")),
                        data.get("level"),
                        data.get("target"),
                        str(data["command"]),
                        (record.path, record.line),
                        bool(data.get("automatic")),
                        dict(data.get("detail") or {}),
                        record.path,
                        position,
                    )
                )
        return out

    def _dispatch_verbs(self, arguments: str) -> set[str]:
        """Arguments of a script call that pick a sub-command (`apply`, `plan_validate_all`)."""
        words = {w for token in arguments.split() for w in _WORD_PARTS.split(token.strip("\"'")) if w}
        return words & set(self.kb.dispatch_words)

    def _environment(self, job: Job) -> Env | None:
        raw = job.node.get("environment")
        if raw is None:
            return None
        spec = raw if isinstance(raw, GMap) else None
        name = spec.get("name") if spec is not None else raw
        if not isinstance(name, (str, int)):
            return None
        where = job.node.where_of("environment")
        url = spec.get("url") if spec is not None else None
        kubernetes = spec.get("kubernetes") if spec is not None else None
        namespace = kubernetes.get("namespace") if isinstance(kubernetes, GMap) else None
        return Env(
            raw=str(name),
            names=self._candidates(str(name), job),
            url=substitute(str(url), job.variables) if isinstance(url, str) else None,
            url_where=spec.where_of("url") if spec is not None else where,
            action=self._action(job, spec),
            on_stop=str(spec["on_stop"]) if spec is not None and spec.get("on_stop") else None,
            auto_stop_in=str(spec["auto_stop_in"]) if spec is not None and spec.get("auto_stop_in") else None,
            tier=str(spec["deployment_tier"]) if spec is not None and spec.get("deployment_tier") else None,
            namespace=str(namespace) if namespace else None,
            where=spec.where_of("name") if spec is not None else where,
        )

    def _action(self, job: Job, spec: GMap | None) -> str:
        """`environment:action`. A `verify ...` job that names an environment checks it; a job in a
        build or packaging stage that names one (gitlab-runner's `package-deb`, environment
        `package/$PKGS/...`, running `mage package:deb64`) makes build output: neither deploys,
        unless a command deploys or the job's name says it releases."""
        action = str(spec.get("action") or "start") if spec is not None else "start"
        if action != "start" or job.of("deploy"):
            return action
        if self.kb.verify_jobs.search(job.name):
            return "verify"
        if self.kb.build_stages.search(job.stage) and not _DEPLOY_WORDS.search(job.name):
            return "build"
        return action

    def _candidates(self, name: str, job: Job) -> tuple[str, ...]:
        """Environment names after variables: literal values, `options:` lists and matrix values."""
        names = [name]
        for match in _VAR.finditer(name):
            var = match.group(1) or match.group(2)
            values = self._variable_values(var, job)
            if not values:
                continue
            names = [n.replace(match.group(0), v) for n in names for v in values][:MAX_CANDIDATES]
        return tuple(dict.fromkeys(names))

    def _variable_values(self, var: str, job: Job) -> list[str]:
        spec = job.variables_node.get(var)
        if isinstance(spec, GMap) and isinstance(spec.get("options"), list):
            return [str(o) for o in spec["options"]]
        parallel = job.node.get("parallel")
        matrix = parallel.get("matrix") if isinstance(parallel, GMap) else None
        values = [str(v) for row in as_list(matrix) if isinstance(row, GMap) for v in as_list(row.get(var))]
        if values:
            return list(dict.fromkeys(values))
        return [job.variables[var]] if var in job.variables else []

    def _services(self, job: Job) -> list[Service]:
        raw = job.node.get("services")
        out = []
        for index, entry in enumerate(as_list(raw)):
            image = entry.get("name") if isinstance(entry, GMap) else entry
            if not isinstance(image, str):
                continue
            where = raw.where_of(index) if isinstance(raw, GSeq) else job.node.where_of("services")
            expanded = _VAR_PREFIX.sub("", substitute(image, job.variables))
            out.append(self._service(expanded, where))
        return out

    def _service(self, image: str, where: Where) -> Service:
        ref = parse_image(image)
        found = self.catalog.by_image(ref) if ref else None
        if found is None:
            return Service(image, None, False, False, where)
        tech, parsed = found
        store = tech.category in DATA_STORE_CATEGORIES
        label = tech.image_label(parsed)
        return Service(image, label, store, tech.id == "docker", where)

    # -- facts -------------------------------------------------------------------------------

    def facts(self) -> list[Fact]:
        out: list[Fact] = []
        for pipeline in self.pipelines():
            writer = FactWriter(self, pipeline)
            out.extend(writer.all())
        return out


_HOST_VARIABLE = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")


def url_kind(url: str) -> str:
    """static (a real URL), pattern (a real host, parts filled in at deploy time), dynamic, placeholder."""
    match = _URL_HOST.match(url.strip())
    host = (match.group(1) if match else "").rsplit("@", 1)[-1].split(":")[0].lower()
    pieces = _HOST_VARIABLE.split(host)
    literal = pieces[-1].lstrip(".-") if pieces else ""
    if literal and is_placeholder_host(literal):
        return "placeholder"
    if not literal or "." not in literal:
        return "dynamic"
    return "pattern" if "$" in url else "static"


def _covers_all(upstream: Job, job: Job) -> bool:
    """`upstream` runs in every pipeline `job` runs in (its triggers are as wide or wider)."""

    def wider(u: When, d: When) -> bool:
        return u.source in ("any", d.source) and (not u.refs or u.refs == d.refs)

    return all(any(wider(u, d) for u in upstream.whens) for d in job.whens)


def _is_pages(job: Job) -> bool:
    """GitLab Pages deploys the job called `pages` (or any job with a `pages:` key, GitLab 17.9+).

    Whether that site is the application or only a report about it is `Job.report_pages`.
    """
    return job.name == "pages" or job.node.get("pages") not in (None, False)


def _matrix_names(node: GMap) -> set[str]:
    """Variables `parallel:matrix` sets per job instance: their global values do not apply."""
    parallel = node.get("parallel")
    matrix = parallel.get("matrix") if isinstance(parallel, GMap) else None
    return {str(k) for row in as_list(matrix) if isinstance(row, GMap) for k in row}


def _program(command: str, cwd: str) -> str:
    """The path of the program a command runs when it names one (`./pusher`, `bin/tool`)."""
    first = command.split(maxsplit=1)[0] if command.strip() else ""
    if "/" not in first or first.startswith(("$", "/")):
        return ""
    return posixpath.normpath(posixpath.join(cwd, first))


def _built_program(step: Step, cwd: str) -> str:
    """The path of the program a build step writes, when the classifier knows how it is named."""
    output = step.detail.get("output")
    if step.kind != "build" or not output or step.via:
        return ""
    if output == OUTPUT_DIR_NAME:
        output = posixpath.basename(cwd)
        if not output:
            return ""  # named after the Go module, which the pipeline file does not say
    return posixpath.normpath(posixpath.join(cwd, output))


def _subshell(item: str) -> str:
    """`(cd scripts/pusher && go build)`: the commands inside a one-line subshell."""
    stripped = item.strip()
    if stripped.startswith("(") and stripped.endswith(")") and "\n" not in stripped and not stripped.startswith("(("):
        return stripped[1:-1]
    return item


# ==== facts ======================================================================================


class FactWriter:
    """The facts of one pipeline, following the CI conventions shared by every CI detector."""

    def __init__(self, resolution: Resolution, pipeline: Pipeline) -> None:
        self.r = resolution
        self.p = pipeline
        self.kb = resolution.kb
        self.confidence_cap = Confidence.HINT if pipeline.hint else None

    def all(self) -> list[Fact]:
        out: list[Fact] = []
        for job in self.p.jobs:
            out.extend(self.builds(job))
            out.extend(self.tests(job))
            out.extend(self.throwaway(job))
            out.extend(self.deploys(job))
            out.extend(self.migrations(job))
            out.extend(self.rollbacks(job))
        out.extend(self.environments())
        out.extend(self.deploy_steps())
        out.extend(self.template_hints())
        return out

    # -- shared pieces -----------------------------------------------------------------------

    def fact(
        self,
        field_id: str,
        parts: tuple[Part, ...],
        confidence: Confidence,
        evidence: Iterable[Where],
        *,
        job: Job | None = None,
        item: str = "",
        env: str | None = None,
        order: tuple[Any, ...] = (),
        rank: int = 50,
        tech: str | None = None,
        attrs: dict[str, Any] | None = None,
    ) -> Fact:
        if self.p.hint:
            confidence = Confidence.HINT
            parts = text(
                *parts,
                " (from ",
                Code(self.p.path),
                ", a GitLab CI file that no ",
                Code(".gitlab-ci.yml"),
                " of this repository includes: a template to copy, or a custom CI path)",
            )
        evs = tuple(
            dict.fromkeys(Evidence(path, max(line, 0), self.r.detector.name) for path, line in evidence if path)
        )
        return Fact(
            field_id,
            parts,
            confidence,
            evs or (Evidence(self.p.path, 0, self.r.detector.name),),
            env=env,
            item=item,
            tech=tech,
            order=order,
            rank=rank,
            attrs={**(self.attrs(job) if job is not None else {"ci": CI, "pipeline": self.p.path}), **(attrs or {})},
        )

    def attrs(self, job: Job) -> dict[str, Any]:
        return {
            "ci": CI,
            "pipeline": self.p.path,
            "job": job.name,
            "stage": job.stage,
            "needs": job.needs,
            "triggers": short_triggers(job.whens),
            "environment": job.env.raw if job.env is not None else None,
            "manual": all(w.manual for w in own_ways(job.whens) or job.whens),
        }

    def where_label(self, job: Job) -> tuple[Part, ...]:
        if job.origin:
            return text("GitLab template ", Code(job.origin))
        return (Code(job.where[0]),)

    def job_ref(self, job: Job, stage: bool = False) -> tuple[Part, ...]:
        stage_part = text("stage ", Code(job.stage), ", ") if stage else ()
        return text("job ", Code(job.name), " (", *stage_part, *self.where_label(job), ")")

    def order(self, job: Job, step: int = 0) -> tuple[Any, ...]:
        return (0, self.p.path, job.index, step)

    # -- builds ------------------------------------------------------------------------------

    def builds(self, job: Job) -> list[Fact]:
        out = []
        pushes = job.of("push")
        for n, step in enumerate(job.of("build")):
            images = [t for t in step.detail.get("tags", []) if t]
            pushed = self._pushed(step, images, pushes)
            if (job.tests or (self._named_test_job(job) and not images)) and not pushed:
                # a build that only prepares the job's own tests (gitlab-shell's `make build`); an image
                # a job named as a test job builds is still built there
                continue
            parts, title = self._build_text(step, images, pushed)
            out.append(self._step_fact(job, step, parts, str(n), title, images, bool(pushed)))
        if not out and not job.of("build"):
            # a job that only pushes what another built: mobilizon's multi-platform manifests
            for n, step in enumerate(pushes):
                images = [str(i) for i in step.detail.get("images", []) if i]
                named = text(" ", *code_list(images, 2)) if images else ()
                parts = text("Container image", *named, " pushed (", Code(step.command), ")")
                out.append(self._step_fact(job, step, parts, f"push:{n}", "Push image", images, True))
            if not out:
                out.extend(self._made_elsewhere(job))
        if not out and self._build_job(job):
            command, where = self._saying_command(job)
            out.append(self._build_fact(job, (Code(command),), [where, job.where], "named", "Build",
                                        Confidence.INFERRED, stage=True))
        return out

    def _made_elsewhere(self, job: Job) -> list[Fact]:
        """What a job with no build command still makes: a GitLab release of the tag (its `release:`
        keyword), or the pipeline of another project it starts when a build word names the job, its
        stage or that project (passbolt's `packaging-trigger` starts passbolt-packaging on tags)."""
        out = []
        if isinstance(job.node.get("release"), GMap):
            out.append(self._build_fact(job, ("GitLab release of the tag created (", Code("release:"), ")"),
                                        [job.node.where_of("release"), job.where], "release", "Release",
                                        self._confidence(job)))
        project = _downstream_project(job)
        stage, name, tail = job.stage, job.name, project.rsplit("/", 1)[-1]
        named = any(self.kb.build_stages.search(w) for w in (stage, name, tail))
        checks = any(self.kb.not_build_jobs.search(w) for w in (name, tail))  # `verify-package`, `*-scanning`
        if project and named and not checks and not self._downstream_deploy(job):
            out.append(self._build_fact(job, ("Pipeline of project ", Code(project),
                                              " started (defined outside this repository)"),
                                        [job.node.where_of("trigger"), job.where], "downstream", "Build",
                                        Confidence.INFERRED, stage=True))
        return out

    def _confidence(self, job: Job) -> Confidence:
        """A job from an included template is read as data: what it does is inferred."""
        return Confidence.DECLARED if not job.origin else Confidence.INFERRED

    def _build_fact(self, job: Job, what: tuple[Part, ...], evidence: list[Where], key: str, title: str,
                    confidence: Confidence, *, stage: bool = False, step: Step | None = None,
                    images: Sequence[str] = (), pushed: bool = False) -> Fact:
        """A Build Steps statement: what the job makes, in which job, on which triggers."""
        return self.fact(
            "ci.build",
            text(*what, " in ", *self.job_ref(job, stage=stage), ", on ", *describe(job.whens)),
            confidence,
            evidence,
            job=job,
            item=f"{self.p.path}:{job.name}:{key}",
            order=self.order(job, step.index) if step is not None else self.order(job),
            tech=step.tool if step is not None else None,
            attrs={"step": title, "images": list(images), "pushed": pushed},
        )

    def _step_fact(self, job: Job, step: Step, parts: tuple[Part, ...], key: str, title: str, images: list[str],
                   pushed: bool) -> Fact:
        """A build step: what a step of the job builds or pushes, when and where it runs."""
        return self._build_fact(job, parts, [step.where, job.where], key, title, self._confidence(job), step=step,
                                images=images, pushed=pushed)

    def _build_job(self, job: Job) -> bool:
        """A job named or staged as a build whose commands the classifier cannot see through."""
        named_env = job.env is not None and job.env.action != "build"
        if job.steps or job.deploys or named_env or not self._first_command(job)[0]:
            return False
        staged = self.kb.build_stages.search(job.stage)
        return bool(staged) and not self.kb.not_build_jobs.search(job.name)

    @staticmethod
    def _pushed(step: Step, images: list[str], pushes: list[Step]) -> list[str]:
        """What the job pushes after this build: the build's own `--push`, else `docker push` targets
        (a `docker tag` between them renames the image, so every push in the job counts)."""
        if "--push" in step.command.split() or _OUTPUT_REGISTRY.search(step.command):
            return images
        pushed = []
        for push in pushes:
            if push.command == step.command:
                return images or [step.command]  # one command that builds and pushes (`/build/build.sh`)
            words = [w for w in push.command.split() if not w.startswith("-")]
            target = next((w for w in reversed(words) if w not in ("push", "image", "docker", "podman", "buildah")), "")
            if target and target not in pushed:
                pushed.append(target)
        return pushed

    def _build_text(self, step: Step, images: list[str], pushed: list[str]) -> tuple[tuple[Part, ...], str]:
        if _OUTPUT_LOCAL.search(step.command):
            return text("Artifacts built in a container and exported (", Code(step.command), ")"), "Build"
        if step.tool in image_tools() or images:
            image_parts: list[Part] = []
            for i, image in enumerate(images[:2]):
                image_parts.extend(((", " if i else ""), Code(image)))
            head = text("Container image ", *image_parts) if image_parts else text("Container image")
            if pushed:
                registry = self.registry(pushed[0]) if pushed[0] != step.command else ""
                where = text(" and pushed to ", registry) if registry else text(" and pushed")
                named = pushed[0] != step.command and (
                    "/" in pushed[0] or pushed[0].startswith(tuple(self.kb.registries))
                )
                renamed = text(" as ", Code(pushed[0])) if pushed[0] not in images and named else ()
                return (
                    text(*head, " built", *where, *renamed, " (", Code(step.command), ")"),
                    "Build and push image",
                )
            return text(*head, " built (", Code(step.command), ")"), "Build image"
        tech = self.r.catalog.techs.get(step.tool)
        label = tech.name if tech else step.tool
        return text(Code(step.command), f" ({label} build)"), f"{label} build"

    def registry(self, image: str) -> str:
        for prefix, name in self.kb.registries.items():
            if image.startswith(prefix):
                return name
        ref = parse_image(image) if "$" not in image.split("/", 1)[0] else None
        if ref is None:
            return ""
        return ref.registry or "Docker Hub"

    # -- tests -------------------------------------------------------------------------------

    def tests(self, job: Job) -> list[Fact]:
        out = []
        seen: set[tuple[str, str]] = set()
        for step in job.of("test"):
            level = self._level(job, step.level or "unit", bool(step.detail.get("own_database")))
            if (step.tool, level) in seen:
                continue
            seen.add((step.tool, level))
            out.append(self._test_fact(job, level, step.tool, step.command, [step.where, job.where], step.index))
            why = self._unit_beside_stores(job, level, bool(step.detail.get("own_database")))
            if why:
                out.append(self._database_suite_hint(job, step.tool, step.command, [step.where, job.where], step.index,
                                                     why))
        if not out and not job.deploys and not self._around_tests(job):
            report = self._junit(job)
            if report is not None:
                level = self._level(job, "unit")
                out.append(self._test_fact(job, level, "", "", [report[1], job.where], 0, report[0]))
            # a test job may build what it tests first (gitlab-shell's `make build` before its tests)
            elif all(s.kind == "build" for s in job.steps) and self._named_test_job(job):
                command, where = self._saying_command(job)
                if command:
                    level = self._level(job, "unit")
                    out.append(self._test_fact(job, level, "", command, [where, job.where], 0))
        return [f for f in out if f is not None]

    @staticmethod
    def _suite(tool: str, command: str) -> tuple[Part, ...]:
        """A test runner as a fact names it: `pytest`, or `rspec (bundle exec rspec)`."""
        first = command.split()[0].rsplit("/", 1)[-1] if command else ""
        return text(tool, " (", Code(command), ")") if command and first != tool else (Code(command or tool),)

    def _unit_beside_stores(self, job: Job, level: str, own_database: bool) -> str:
        """Why a suite at the unit level beside database services is not an integration test: its
        runner makes a test database of its own (`bin/rails test`), or the team calls the job unit
        tests (`unit-tests` beside a Postgres service); "" when neither holds."""
        if level != "unit":
            return ""
        if own_database and self._level(job, "unit") == "integration":
            return BY_DESIGN
        if called_unit(job.name, job.stage) and any(s.store for s in job.services):
            return CALLED_UNIT
        return ""

    def _database_suite_hint(self, job: Job, tool: str, command: str, evidence: list[Where], step: int,
                             why: str) -> Fact:
        """A lead for the integration field: a suite beside database services that counts as unit
        tests (`_unit_beside_stores` says why), so that the integration gap, which says it looked
        for tests with database services, names it."""
        stores = [s for s in job.services if s.store]
        return self.fact(
            "ci.test.integration",
            text(*self._suite(tool, command), " in ", *self.job_ref(job), " runs with services ",
                 *_service_labels(stores), why),
            Confidence.HINT,
            [*evidence, *(s.where for s in stores)],
            job=job,
            item=f"{self.p.path}:{job.name}:{tool}:database",
            order=self.order(job, step),
        )

    def _named_test_job(self, job: Job) -> bool:
        """A job whose name says it tests, outside the stages that never test."""
        return bool(self.kb.test_jobs.search(job.name)) and not self.kb.not_test_stages.search(job.stage or "")

    def _around_tests(self, job: Job) -> bool:
        """A job that provisions or tears down what tests run on, or reports on other jobs' results:
        what it does is in its name or in the program and sub-command it runs, not in a JUnit
        report it inherits from the test template it extends."""
        words = [w for w in self._first_command(job)[0].split() if not w.startswith("-")][:2]
        return any(self.kb.around_tests.search(w) for w in (job.name, *words))

    def _level(self, job: Job, level: str, own_database: bool = False) -> str:
        """A test's level: its runner's, unless the job's names say otherwise, a browser beside it
        makes it end-to-end, or a database beside it (one its runner does not use by design, as
        `bin/rails test` does) or an integration command makes it an integration test."""
        if level in ("e2e", "performance"):
            return level
        names = f"{job.name} {job.stage}"
        for word_level, pattern in self.kb.level_words:
            if pattern.search(names):
                return word_level
        if any(self._browser(s.image) for s in job.services):
            return "e2e"
        stores = any(s.store for s in job.services) and not own_database
        if level == "unit" and not called_unit(job.name, job.stage) and (stores or any(
                self.kb.integration_commands.search(c) for c, _, _ in job.commands)):
            return "integration"
        return level

    def _browser(self, image: str) -> bool:
        return any(fnmatch.fnmatchcase(image, pattern) for pattern in self.kb.e2e_services)

    def _junit(self, job: Job) -> tuple[str, Where] | None:
        artifacts = job.node.get("artifacts")
        reports = artifacts.get("reports") if isinstance(artifacts, GMap) else None
        junit = reports.get("junit") if isinstance(reports, GMap) else None
        paths = [str(p) for p in as_list(junit)]
        if not paths or not isinstance(reports, GMap):
            return None
        return ", ".join(paths), reports.where_of("junit")

    def _test_fact(
        self, job: Job, level: str, tool: str, command: str, evidence: list[Where], step: int, report: str = ""
    ) -> Fact:
        field_id = "mon.performance" if level == "performance" else f"ci.test.{level}"
        if tool:
            what = self._suite(tool, command)
        elif report:
            what = text("Tests reporting JUnit results (", Code(report), ")")
        else:
            what = text("Tests (", Code(command), ", named as a test job)")
        details: list[Part] = []
        stores = [s for s in job.services if s.store]
        others = [s for s in job.services if not s.store and not s.tooling]
        if stores or others:
            details += ["; services: ", *_service_labels([*stores, *others])]
        junit = self._junit(job)
        if junit is not None and tool:
            details.extend(text("; JUnit report ", Code(junit[0])))
        # passbolt's MariaDB 11.5 suites never block a pipeline: a reader must not count on them
        lenient = job.node.get("allow_failure") is True
        if lenient:
            details.extend(allowed_to_fail("allow_failure: true"))
            evidence = [*evidence, job.node.where_of("allow_failure")]
        when = describe(job.whens)
        parts = text(*what, " in ", *self.job_ref(job), ": ", *when, *details)
        return self.fact(
            field_id,
            parts,
            Confidence.DECLARED if tool and not job.origin else Confidence.INFERRED,
            [*evidence, *(s.where for s in stores)],
            job=job,
            item=f"{self.p.path}:{job.name}:{tool or 'junit'}",
            order=self.order(job, step),
            rank=40,
            tech=tool or None,
            attrs={"level": level, "tool": tool or None, "services": [s.image for s in job.services if not s.tooling]},
        )

    # -- deploys -----------------------------------------------------------------------------

    def throwaway(self, job: Job) -> list[Fact]:
        """A job that deploys and removes what it deployed: an end-to-end test of the deployment."""
        removed = job.removed
        if removed is None:
            return []
        command, where = removed
        tools = list(dict.fromkeys(s.tool for s in job.of("deploy")))
        named = [self.r.catalog.techs[t].name if t in self.r.catalog.techs else t for t in tools]
        return [self.fact(
            "ci.test.e2e",
            text("Deploys", *((" with ", ", ".join(named)) if named else ()), ", tests and removes it again (",
                 Code(one_line(command, 120)), ") in ", *self.job_ref(job), ": ", *describe(job.whens)),
            Confidence.INFERRED,
            [*(s.where for s in job.of("deploy")[:1]), where, job.where],
            job=job,
            item=f"throwaway:{job.name}",
            order=self.order(job),
            rank=40,
        )]

    def deploys(self, job: Job) -> list[Fact]:
        if job.report_pages is not None and not job.deploys:
            return [self._report_site(job, *job.report_pages)]
        if not job.deploys and not self._downstream_deploy(job):
            return []
        out = []
        automatic = [w for w in job.whens if not w.manual]
        manual = [w for w in job.whens if w.manual]
        targets = self._targets(job)
        how = self._how(job)
        shown = [*([job.env.where] if job.env else []), *(s.where for s in job.of("deploy")[:1])]
        for whens, field_id in ((automatic, "ci.deploy.automated"), (manual, "ci.deploy.manual")):
            if not whens:
                continue
            # The lines that prove the trigger (`rules:` entry, `when: manual`, `only:`) come first;
            # the job's name line only when nothing in the job says how it starts.
            proofs = list(dict.fromkeys(w.where for w in whens if w.where is not None))
            evidence = [*(proofs or [job.where]), *shown]
            delayed = next((w.delayed for w in whens if w.delayed), None)
            later = (
                text(", ", Code(delayed), " after the job is reached (", Code("when: delayed"), ")") if delayed else ()
            )
            ref = self.job_ref(job)
            parts = text(
                *capitalised(ref),
                " deploys ",
                *targets,
                " on ",
                *describe([replace(w, manual=False) for w in whens]),
                *later,
                *how,
            )
            out.append(
                self.fact(
                    field_id,
                    parts,
                    Confidence.DECLARED
                    if (job.env is not None or _is_pages(job)) and not job.origin
                    else Confidence.INFERRED,
                    evidence,
                    job=job,
                    item=f"{self.p.path}:{job.name}",
                    order=self.order(job),
                    rank=20,
                    attrs={"targets": list(job.env.names) if job.env else []},
                )
            )
        if manual and job.env is not None:
            for name in job.env.names:
                if normalise(name) in ("production", "staging"):
                    out.append(
                        self.fact(
                            "ci.deploy.manual",
                            text(
                                "Check Settings > CI/CD > Protected environments for ",
                                Code(name),
                                ": deployment approvals and who may run ",
                                Code(job.name),
                                " live in GitLab, not in the repository",
                            ),
                            Confidence.HINT,
                            [job.env.where],
                            job=job,
                            item=f"protect:{name}",
                            order=self.order(job, 1),
                        )
                    )
        return out

    def _report_site(self, job: Job, command: str, where: Where) -> Fact:
        """A Pages job that publishes a coverage or test report: said, but not as the app's deployment.

        A hint, so it never fills the deployment fields: the application is deployed some other
        way (or not from this repository), and the reader is told what the Pages site is.
        """
        return self.fact(
            "ci.deploy.automated",
            text(
                *capitalised(self.job_ref(job)),
                " publishes a test report to GitLab Pages (",
                Code(command),
                ") on ",
                *describe(job.whens),
                ": a report site, not a deployment of the application",
            ),
            Confidence.HINT,
            [job.where, where],
            job=job,
            item=f"{self.p.path}:{job.name}",
            order=self.order(job),
            rank=70,
        )

    def _targets(self, job: Job) -> tuple[Part, ...]:
        if job.env is not None:
            names = list(job.env.names)
            parts: list[Part] = ["to "]
            for i, name in enumerate(names[:3]):
                parts.extend(((", " if i else ""), Code(name)))
            if len(names) > 3:
                parts.append(f" and {len(names) - 3} more")
            if job.env.tier:
                parts.extend(text(" (deployment tier ", Code(job.env.tier), ")"))
            return text(*parts)
        if _is_pages(job):
            return text("the GitLab Pages site (", Code("public/"), ")")
        downstream = self._downstream_deploy(job)
        if downstream:
            return text("through a pipeline of project ", Code(downstream), " (defined outside this repository)")
        deploys = job.of("deploy")
        tech = self.r.catalog.techs.get(deploys[0].tool) if deploys else None
        tool = text("with ", tech.name, " ") if tech else ()
        return text(*tool, "(no GitLab environment declared)")

    def _how(self, job: Job) -> tuple[Part, ...]:
        deploys = job.of("deploy")
        if deploys:
            shown = deploys[0].command
            via = text(" from ", Code(deploys[0].via)) if deploys[0].via else ()
            extra: tuple[Part, ...] = text(": ", Code(shown), *via)
        else:
            command = self._first_command(job)[0]
            extra = text(": runs ", Code(command)) if command else ()
            image = job.node.get("image")
            name = image.get("name") if isinstance(image, GMap) else image
            found = self.r.catalog.by_image(str(name)) if isinstance(name, str) else None
            if found and found[0].category == "deploy-tool" and found[0].id != "docker":
                extra = text(*extra, " (image ", Code(str(name)), ": ", found[0].name, ")")
        group = job.node.get("resource_group")
        if group:
            extra = text(*extra, "; one deployment at a time (", Code(f"resource_group: {group}"), ")")
        return extra

    def _saying_command(self, job: Job) -> tuple[str, Where]:
        """The command a job named as a build or test runs: a `make` target infrascan could not
        follow, from `script` before `before_script` (gitlab-shell's tests run `make verify
        test_fancy`; `make build` is their shared setup), else the first command that says it."""
        scripted = {where for _, where, key in job.commands if key == "script"}
        indirect = sorted(job.indirect, key=lambda found: found[1] not in scripted)
        return indirect[0] if indirect else self._first_command(job)

    def _first_command(self, job: Job) -> tuple[str, Where]:
        """The command that says what a job does: not setup, not a step already shown; `script` first."""
        shown = {s.where for s in job.steps if s.kind in ("build", TOOL_BUILD, "push", "test") and not s.via}
        own = [
            (command, where, key)
            for command, where, key in job.commands
            if not self.kb.setup_commands.match(command.strip()) and where not in shown
        ]
        main = [(c, w) for c, w, key in own if key == "script"] or [(c, w) for c, w, _ in own]
        return main[0] if main else ("", job.where)

    def _downstream_deploy(self, job: Job) -> str:
        project = _downstream_project(job)
        return project if project and (job.env is not None or _DEPLOY_WORDS.search(job.name)) else ""

    # -- environments --------------------------------------------------------------------------

    def environments(self) -> list[Fact]:
        out: list[Fact] = []
        stops = {j.env.raw: j for j in self.p.jobs if j.env is not None and j.env.action in _STOP_ACTIONS}
        for job in self.p.jobs:
            env = job.env
            if env is None or env.action in _NON_DEPLOY_ACTIONS:
                continue
            for name in env.names:
                block = env.tier if env.tier in ("production", "staging", "development") else name
                out.extend(self._url(job, env, name, block))
                out.extend(self._purpose(job, env, name, block, stops.get(env.raw)))
        return out

    def _url(self, job: Job, env: Env, name: str, block: str) -> list[Fact]:
        if not env.url:
            return []
        url = env.url.replace(env.raw, name) if env.raw in env.url else env.url
        kind = url_kind(url)
        where_from = text(" (environment ", Code(name), " of ", *self.job_ref(job), ")")
        if kind == "static":
            parts, confidence, rank = text(Code(url), *where_from), Confidence.DECLARED, 10
        elif kind == "pattern":
            parts = text("URL pattern ", Code(url), ", its variable part filled in at deploy time", *where_from)
            confidence, rank = Confidence.INFERRED, 20
        else:
            what = "placeholder URL " if kind == "placeholder" else "URL computed at deploy time: "
            parts, confidence, rank = text(what, Code(url), *where_from), Confidence.HINT, 70
        return [
            self.fact(
                "env.url",
                parts,
                confidence,
                [env.url_where],
                job=job,
                env=block,
                order=self.order(job),
                rank=rank,
                attrs={"url": url},
            )
        ]

    @staticmethod
    def _ephemeral(env: Env, name: str, stop: Job | None) -> bool:
        """A review app: a name per ref or merge request that is torn down again (or says `review`)."""
        if not is_dynamic(name):
            return False
        return bool(env.auto_stop_in or stop is not None or _REVIEW_NAME.search(name))

    def _purpose(self, job: Job, env: Env, name: str, block: str, stop: Job | None) -> list[Fact]:
        out = []
        sources = {w.source for w in job.whens}
        stop_job = self.p.job(env.on_stop) if env.on_stop else stop
        if self._ephemeral(env, name, stop_job):
            per = (
                "merge request"
                if sources == {"merge_request"}
                else ("branch or merge request" if "merge_request" in sources else "branch")
            )
            parts = text(
                f"Review app per {per}: ", *self.job_ref(job), " deploys ", Code(name), " (", *describe(job.whens), ")"
            )
            out.append(
                self.fact(
                    "env.purpose",
                    parts,
                    Confidence.INFERRED,
                    [env.where],
                    job=job,
                    env=block,
                    item=f"review:{job.name}",
                    order=self.order(job),
                    rank=40,
                )
            )
        elif normalise(name) == "staging" and any(not w.manual for w in job.whens):
            parts = text(
                "Pre-production: ",
                *self.job_ref(job),
                " deploys here on ",
                *describe([w for w in job.whens if not w.manual]),
            )
            out.append(
                self.fact(
                    "env.purpose",
                    parts,
                    Confidence.INFERRED,
                    [env.where],
                    job=job,
                    env=block,
                    item=f"staging:{job.name}",
                    order=self.order(job),
                    rank=60,
                )
            )
        stopped: list[Part] = []
        if stop_job is not None:
            manual = "the manual " if all(w.manual for w in stop_job.whens) else ""
            stopped.extend(text(f"torn down by {manual}job ", Code(stop_job.name), " (", Code("action: stop"), ")"))
        if env.auto_stop_in:
            stopped.extend(
                text(
                    " and " if stopped else "",
                    "stopped automatically after ",
                    Code(env.auto_stop_in),
                    " (",
                    Code("auto_stop_in"),
                    ")",
                )
            )
        if stopped:
            evidence = [env.where, *([stop_job.where] if stop_job else [])]
            out.append(
                self.fact(
                    "env.special",
                    capitalised(text(*stopped)),
                    Confidence.DECLARED,
                    evidence,
                    job=job,
                    env=block,
                    item=f"stop:{env.raw}",
                    order=self.order(job),
                    rank=40,
                )
            )
        if env.namespace:
            out.append(
                self.fact(
                    "env.special",
                    text("Kubernetes namespace ", Code(env.namespace), " (", *self.job_ref(job), ")"),
                    Confidence.DECLARED,
                    [env.where],
                    job=job,
                    env=block,
                    item=f"namespace:{env.namespace}",
                    order=self.order(job),
                    rank=40,
                )
            )
        return out

    # -- deployment process --------------------------------------------------------------------

    def deploy_steps(self) -> list[Fact]:
        """Per environment (as the deploy job names it), build -> push -> migrate -> deploy -> verify."""
        out: list[Fact] = []
        per_env: dict[str, list[Job]] = {}
        for job in self.p.jobs:
            if job.deploys and job.env is not None:
                per_env.setdefault(job.env.raw, []).append(job)
        for env_index, (name, jobs) in enumerate(per_env.items()):
            steps = [step for job in jobs for step in self._steps_for(job)]
            names = jobs[0].env.names if jobs[0].env is not None else (name,)
            label = " or ".join(dict.fromkeys(display_name(normalise(n)) for n in names))
            head = text(label, ": ") if label.lower() == name.lower() else text(label, " (", Code(name), "): ")
            for n, (title, parts, evidence, job, declared) in enumerate(steps):
                out.append(
                    self.fact(
                        "deploy.steps",
                        text(*head, *parts),
                        Confidence.DECLARED if declared and not job.origin else Confidence.INFERRED,
                        evidence,
                        job=job,
                        item=f"{self.p.path}:{name}:{n}",
                        order=(0, self.p.path, env_index, n),
                        attrs={"step": title, "environment": name},
                    )
                )
        return out

    def _step_text(self, title: str, command: str, job: Job) -> tuple[Part, ...]:
        if command:
            return text(title, ": ", Code(command), " in ", *self.job_ref(job))
        return text(title, " in ", *self.job_ref(job))

    def _steps_for(self, job: Job) -> list[tuple[str, tuple[Part, ...], list[Where], Job, bool]]:
        out: list[tuple[str, tuple[Part, ...], list[Where], Job, bool]] = []
        for upstream in self._upstream(job):
            for step in upstream.of("build"):
                pushed = bool(upstream.of("push")) or "--push" in step.command.split()
                title = "Build and push image" if pushed else "Build"
                out.append((title, self._step_text(title, step.command, upstream), [step.where], upstream, True))
            for step in upstream.of("migrate"):
                out.append(
                    ("Migrate", self._step_text("Migrate", step.command, upstream), [step.where], upstream, True)
                )
        titles = {"build": "Build", "push": "Push image", "migrate": "Migrate", "deploy": "Deploy", "verify": "Verify"}
        deploy_commands = {s.command for s in job.of("deploy")}
        for step in sorted(job.steps, key=lambda s: s.index):
            if step.kind == "verify" and step.command in deploy_commands:
                continue  # `helm upgrade --wait` is the deploy step itself
            if step.kind in titles:
                title = titles[step.kind]
                out.append((title, self._step_text(title, step.command, job), [step.where], job, True))
        if not job.of("deploy"):
            command, where = self._first_command(job)
            out.append(("Deploy", self._step_text("Deploy", command, job), [where], job, False))
        for later in self.p.jobs:
            if job.name in later.needs and later is not job:
                for step in later.of("verify") + [s for s in later.of("test") if s.level == "e2e"]:
                    out.append(("Verify", self._step_text("Verify", step.command, later), [step.where], later, True))
        return out

    def _upstream(self, job: Job) -> list[Job]:
        """Jobs that build, push or migrate for `job`: what it `needs`/depends on, else earlier
        stages that run whenever it runs."""
        named = self._needed(job)
        if named is not None:
            candidates = [j for j in self.p.jobs if j.name in named]
        else:
            stages = self.p.stages
            position = stages.index(job.stage) if job.stage in stages else len(stages)
            candidates = [
                j
                for j in self.p.jobs
                if (stages.index(j.stage) if j.stage in stages else len(stages)) < position and _covers_all(j, job)
            ]
        return [
            j
            for j in candidates
            if (self._ships_image(j) if named is None else (j.of("build") and not j.tests))
            or (j.of("migrate") and not j.tests and not any(s.store for s in j.services))
        ]

    @staticmethod
    def _ships_image(job: Job) -> bool:
        """An earlier-stage job that always runs and pushes an image (what a deploy job without
        `needs` can count on)."""
        always = all(not w.manual and not any(q.kind == "changes" for q in w.qualifiers) for w in job.whens)
        pushes = bool(job.of("push")) or any("--push" in s.command.split() for s in job.of("build"))
        return always and pushes and not job.tests

    def _needed(self, job: Job) -> set[str] | None:
        """Every job `job` waits for through `needs` or `dependencies`; None when it declares neither."""
        if "needs" not in job.node and "dependencies" not in job.node:
            return None
        names: set[str] = set()
        todo = [*job.needs, *(str(d) for d in as_list(job.node.get("dependencies")))]
        while todo:
            name = todo.pop()
            if name in names:
                continue
            names.add(name)
            found = self.p.job(name)
            if found is not None:
                todo.extend([*found.needs, *(str(d) for d in as_list(found.node.get("dependencies")))])
        return names

    @staticmethod
    def _overlap(a: Job, b: Job) -> bool:
        return any(intersect(replace(x, manual=False), replace(y, manual=False)) for x in a.whens for y in b.whens)

    def migrations(self, job: Job) -> list[Fact]:
        steps = job.of("migrate")
        if not steps or self._test_setup(job):
            return []
        first = steps[0]
        deploy = next((s for s in job.steps if s.kind == "deploy" and s.index > first.index), None)
        env = job.env.raw if job.env else None
        where_env = text(" (", Code(env), ")") if env else ()
        if deploy is not None:
            parts = text(
                "CI step in the deploy job: ",
                *self.job_ref(job),
                " runs ",
                Code(first.command),
                " before ",
                Code(deploy.command),
                *where_env,
            )
        else:
            after = [j for j in self.p.jobs if j.deploys and self._overlap(job, j) and j.index > job.index]
            before = (
                text(" before ", *[p for i, j in enumerate(after[:2]) for p in ((", " if i else ""), Code(j.name))])
                if after
                else ()
            )
            parts = text(
                "CI step: ",
                *self.job_ref(job),
                " runs ",
                Code(first.command),
                *before,
                *where_env,
                " on ",
                *describe(job.whens),
            )
        out = [
            self.fact(
                "deploy.migration.strategy",
                parts,
                self._confidence(job),
                [first.where, job.where],
                job=job,
                item=f"ci:{self.p.path}:{job.name}",
                order=self.order(job, first.index),
                rank=30,
                tech=first.tool,
                attrs={"where": "ci", "tool": first.tool},
            )
        ]
        for step in job.of("migrate-rollback"):
            out.append(
                self.fact(
                    "deploy.migration.rollback",
                    text(*capitalised(self.job_ref(job)), " runs ", Code(step.command), " (", *describe(job.whens),
                         ")"),
                    Confidence.DECLARED,
                    [step.where],
                    job=job,
                    item=f"ci:{self.p.path}:{job.name}:rollback",
                    order=self.order(job, step.index),
                    tech=step.tool,
                )
            )
        return out

    def _test_setup(self, job: Job) -> bool:
        """Migrations that prepare a test database (a job with tests or database services) are not releases."""
        if job.env is not None and job.env.action not in _NON_DEPLOY_ACTIONS:
            return False
        if job.tests or any(s.store for s in job.services) or selects_test(job.variables):
            return True
        return not (_MIGRATE_WORDS.search(job.name) or _DEPLOY_WORDS.search(f"{job.name} {job.stage}"))

    def rollbacks(self, job: Job) -> list[Fact]:
        out = []
        env = text(" (", Code(job.env.raw), ")") if job.env else ()
        for step in job.of("rollback"):
            if step.automatic and job.env is not None and is_dynamic(job.env.raw):
                continue  # an automatic rollback of a review app tells nobody anything
            if step.automatic:
                parts = text(
                    "Automatic: ", Code(step.command), " in ", *self.job_ref(job), " rolls a failed release back", *env
                )
            else:
                parts = text(
                    *capitalised(text(*self.job_ref(job))),
                    " runs ",
                    Code(step.command),
                    *env,
                    " on ",
                    *describe(job.whens),
                )
            out.append(
                self.fact(
                    "deploy.rollback.perform",
                    parts,
                    Confidence.DECLARED,
                    [step.where, job.where],
                    job=job,
                    item=f"{self.p.path}:{job.name}:{step.tool}",
                    order=self.order(job, step.index),
                    rank=30,
                    tech=step.tool,
                )
            )
        if job.deploys and job.env is not None and not is_dynamic(job.env.raw):
            out.append(
                self.fact(
                    "deploy.rollback.perform",
                    text(
                        "Re-deploy an earlier successful deployment of ",
                        Code(job.env.raw),
                        " from GitLab's environment page (Operate > Environments): it re-runs ",
                        *self.job_ref(job),
                        " for that commit",
                    ),
                    Confidence.INFERRED,
                    [job.env.where],
                    job=job,
                    item=f"redeploy:{job.env.raw}",
                    order=self.order(job, 99),
                    rank=60,
                )
            )
        if job.deploys and not (job.env is not None and is_dynamic(job.env.raw)):
            deploy_commands = {s.command for s in job.of("deploy")}
            for step in job.of("verify"):
                how = (
                    " waits for the release to be ready in "
                    if step.command in deploy_commands
                    else " after the deploy in "
                )
                # The job checks its deploy; that the check verifies a rollback (a redeploy of an
                # older version through this job) is our reading, not something the pipeline says.
                out.append(
                    self.fact(
                        "deploy.rollback.verify",
                        text(Code(step.command), how, *self.job_ref(job), *env),
                        Confidence.INFERRED,
                        [step.where],
                        job=job,
                        item=f"{self.p.path}:{job.name}:{step.tool}",
                        order=self.order(job, step.index),
                        rank=30,
                        tech=step.tool,
                    )
                )
        return out

    # -- templates -----------------------------------------------------------------------------

    def template_hints(self) -> list[Fact]:
        out = []
        for use in self.p.composed.templates:
            for hint in use.template.hints:
                out.append(
                    self.fact(
                        hint["field"],
                        text(use.template.title, " (GitLab template ", Code(use.name), "): ", hint["text"]),
                        Confidence.HINT,
                        [use.where],
                        item=f"template:{use.name}",
                        order=(0, self.p.path, -1, 0),
                    )
                )
        return out
