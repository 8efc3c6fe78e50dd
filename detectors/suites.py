"""Test suites that a repository holds and no pipeline runs: a hint under the tests field of their level.

umami has a full Cypress suite (`cypress.config.ts`, specs in `cypress/e2e`, a `cypress-run` script)
that no workflow runs; "E2E tests: gap" beside it reads as if there were no such tests, where a
maintainer would say "it's right there, run by hand". The suite shows in the file listing (the
runner's configuration file, its default spec folder) and in package.json scripts that the command
classifier reads as a test runner; when no CI test fact names that runner, the suite is one a
person runs. Runners and their files are data (`data/test_suites.yaml`).

This runs as the scripts detector's last step (`conclude`): only then are every pipeline's test
facts known, and the package.json scripts are that detector's records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache
from importlib import resources
from typing import Any

from infrascan.detector import Record, ResolveContext
from infrascan.globs import PatternIndex
from infrascan.model import Code, Confidence, Evidence, Fact, Part, code_list, text
from infrascan.source import folder_of, is_example_beyond_tests
from infrascan.yamlload import load_table

from ._pipelines import LEVEL_FIELDS
from .github_actions import knowledge

# Fields whose facts say a pipeline runs tests (load tests run a runner too).
_RUN_FIELDS = frozenset({*LEVEL_FIELDS.values(), "mon.performance"})


@dataclass(frozen=True)
class Runner:
    tool: str
    level: str
    configs: tuple[str, ...]
    specs: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()
    test_dirs: tuple[str, ...] = ()
    config_flags: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def _table() -> dict[str, Any]:
    return dict(load_table(resources.files("infrascan").joinpath("data/test_suites.yaml").read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def runners() -> dict[str, Runner]:
    raw = _table()
    found = {}
    for entry in raw["runners"]:
        runner = Runner(str(entry["tool"]), str(entry["level"]), tuple(entry["configs"]), tuple(entry.get("specs", ())),
                        tuple(entry.get("tests", ())), tuple(entry.get("test_dirs", ())),
                        tuple(entry.get("config_flags", ())))
        found[runner.tool] = runner
    return found


@lru_cache(maxsize=1)
def _configs() -> PatternIndex:
    """Which runner a configuration file belongs to: one lookup per listed file, not one per runner."""
    return PatternIndex({tool: runner.configs for tool, runner in runners().items()})


@dataclass
class Suite:
    """One runner's suite in one folder: its configuration files and the scripts that run it."""

    tool: str
    level: str
    folder: str
    configs: list[str] = field(default_factory=list)
    scripts: list[tuple[Record, str]] = field(default_factory=list)  # (package.json target, script name)


def ci_runs(facts: Sequence[Fact]) -> tuple[set[str], set[str]]:
    """The runners some pipeline runs, and the test fields where a pipeline runs tests through a
    tool not named (`npm run check` reaching no known runner): such a job may run any suite there."""
    tools: set[str] = set()
    unnamed: set[str] = set()
    for fact in facts:
        if fact.field not in _RUN_FIELDS or fact.confidence is Confidence.HINT:
            continue
        tool = fact.attrs.get("tool") or fact.tech
        if tool:
            tools.add(str(tool))
        else:
            unnamed.add(fact.field)
    return tools, unnamed


def suites(ctx: ResolveContext) -> list[Suite]:
    """Every suite the listing and the package.json scripts show, outside example folders."""
    found: dict[tuple[str, str], Suite] = {}

    def suite(tool: str, level: str, path: str) -> Suite:
        folder = folder_of(path)
        return found.setdefault((tool, folder), Suite(tool, level, folder))

    index, known = _configs(), runners()
    for path in ctx.files:
        tools = index.owners(path)  # remembered per base name and folder by the index itself
        if tools and not is_example_beyond_tests(path):
            for tool in sorted(tools):
                suite(tool, known[tool].level, path).configs.append(path)
    for record in ctx.records("task.target"):
        if record.data.get("runner") != "npm" or is_example_beyond_tests(record.path):
            continue
        for command in record.data.get("classified", []):
            tool, level = _runner_of(command)
            if tool and level in LEVEL_FIELDS:
                entry = suite(tool, level, record.path)
                if not any(listed is record for listed, _ in entry.scripts):
                    entry.scripts.append((record, str(record.data["name"])))
    return [found[key] for key in sorted(found)]


def _runner_of(command: dict[str, Any]) -> tuple[str, str]:
    """A classified script command's runner and level; the table's level wins for runners it lists."""
    if command.get("kind") != "test" or not command.get("tool"):
        return "", ""
    tool = str(command["tool"])
    known = runners().get(tool)
    return tool, known.level if known else str(command.get("level") or "unit")


def unrun_suites(ctx: ResolveContext, facts: Sequence[Fact], detector: str) -> list[Fact]:
    """Hints for the suites whose runner no pipeline runs."""
    found = suites(ctx)
    if not found:  # then no fact needs looking through
        return []
    tools, unnamed = ci_runs(facts)
    unrun = [suite for suite in found if suite.tool not in tools and LEVEL_FIELDS[suite.level] not in unnamed
             and (suite.configs or _configured(suite) or _has_tests(ctx, suite))]
    if not unrun:
        return []
    remote, unread = _remote_workflows(ctx), _unread_pipelines(ctx)
    return [_hint(ctx, suite, detector, remote, unread) for suite in unrun]


def _unread_pipelines(ctx: ResolveContext) -> list[tuple[str, str]]:
    """The CI systems infrascan does not read that hold pipelines here: (name, the file)."""
    listed = set(ctx.files)
    found = []
    for entry in _table().get("unread_ci", []):
        path = next((str(p) for p in entry["files"] if str(p) in listed), None)
        if path is not None:
            found.append((str(entry["name"]), path))
    return found


def _configured(suite: Suite) -> bool:
    """Whether a script hands its runner a configuration (`jest --config jest.e2e.json`, one of the
    runner's `config_flags`), which may name test files of any name."""
    runner = runners().get(suite.tool)
    flags = runner.config_flags if runner else ()
    return any(word == flag or word.startswith(flag + "=")
               for record, _ in suite.scripts for command in record.data.get("classified", [])
               for word in str(command.get("command", "")).split() for flag in flags)


def _has_tests(ctx: ResolveContext, suite: Suite) -> bool:
    """Whether the suite's folder holds a file its runner runs by default; true for a runner whose
    test files the table does not know."""
    runner = runners().get(suite.tool)
    if runner is None or not (runner.tests or runner.test_dirs):
        return True
    base = "" if suite.folder == "." else f"{suite.folder}/"
    for path in ctx.files:
        if not path.startswith(base):
            continue
        folders, _, name = path.rpartition("/")
        if any(fnmatchcase(name, glob) for glob in runner.tests) or \
                not set(runner.test_dirs).isdisjoint(folders.split("/")):
            return True
    return False


def _remote_workflows(ctx: ResolveContext) -> list[tuple[str, int, str]]:
    """The reusable workflows of other repositories that GitHub workflows call for tests (file,
    line, `uses`; named for tests in the file, the job or the workflow): what they run is not in
    this repository (monica's tests run in monicahq/workflows' laravel.yml)."""
    calls = []
    for record in ctx.records("gha.workflow"):
        for job in record.data.get("jobs", []):
            uses = str(job.get("uses") or "")
            remote = bool(uses) and not uses.startswith("./") and "/.github/workflows/" in uses
            # named for tests in the file, the job or the workflow: a release workflow runs none
            workflow = uses.split("@", 1)[0]  # not the ref: `@latest`
            if remote and knowledge().test_workflows.search(f"{record.path} {job.get('id', '')} {workflow}"):
                calls.append((record.path, int(job.get("uses_line") or record.line), uses))
    return sorted(calls)


def _hint(ctx: ResolveContext, suite: Suite, detector: str, remote: list[tuple[str, int, str]],
          unread: list[tuple[str, str]]) -> Fact:
    name = knowledge().test_tools.get(suite.tool)
    what: list[Part] = code_list(suite.configs)
    specs = _spec_folder(ctx, suite)
    if specs:
        what += [", " if what else "", "specs in ", Code(specs)]
    if suite.scripts:
        what += ["; " if what else "", "scripts " if len(suite.scripts) > 1 else "script "]
        what += code_list(script for _, script in suite.scripts)
        what += [" in ", Code(suite.scripts[0][0].path)]
    evidence = [Evidence(config, 0, detector) for config in suite.configs]
    evidence += [Evidence(record.path, record.line, detector) for record, _ in suite.scripts]
    unless: list[Part] = []
    if remote:
        path, line, uses = remote[0]
        unless = [", unless the reusable workflow ", Code(uses), " of another repository runs it (called from ",
                  Code(path.rpartition("/")[2]), f", and {len(remote) - 1} more" if len(remote) > 1 else "", ")"]
        evidence.append(Evidence(path, line, detector))
    if unread:
        # authelia's suites run on Buildkite: "run by hand" would be said of what its pipeline runs
        system, path = unread[0]
        others = len(unread) - 1
        more = f", and {others} more CI system{'s' if others > 1 else ''}" if others else ""
        unless += [", unless " if not unless else "; or unless ", system, ", whose pipelines infrascan does not read, "
                   "runs it (", Code(path), more,
                   ")"]
        evidence.append(Evidence(path, 0, detector))
    return Fact(
        LEVEL_FIELDS[suite.level],
        text(
            name if name else Code(suite.tool),
            " suite (",
            *what,
            ") that no CI job found in the repository runs: run by hand",
            *unless,
        ),
        Confidence.HINT,
        tuple(evidence),
        item=f"unrun:{suite.tool}:{suite.folder}",
        rank=80,
        order=(9, suite.folder, suite.tool),
        attrs={"tool": suite.tool, "level": suite.level},
    )


def _spec_folder(ctx: ResolveContext, suite: Suite) -> str | None:
    """The runner's default spec folder beside its configuration, when it holds files."""
    runner = runners().get(suite.tool)
    if runner is None or not runner.specs:
        return None
    base = "" if suite.folder == "." else f"{suite.folder}/"
    for spec in runner.specs:
        prefix = f"{base}{spec}/"
        if any(path.startswith(prefix) for path in ctx.files):
            return prefix.rstrip("/")
    return None
