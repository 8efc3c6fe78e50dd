"""Amazon ECS task definitions (`.aws/task-definition.json` and the like): what each container is
configured with.

GitHub's ECS starter workflow, and most teams deploying to ECS with
`aws-actions/amazon-ecs-deploy-task-definition` or `aws ecs register-task-definition
--cli-input-json`, keep the task definition in the repository as JSON: every container's
`environment` (values) and `secrets` (names, whose values Secrets Manager or SSM Parameter Store
hold), its `logConfiguration` (where its logs go) and its `healthCheck`. Those are read here, as
any other deployment's variables are, through the shared variable reader. The environment is the
one the file or its folder is named for (`task-definition-prod.json`), or the tier the task family
names (`shop-staging`; a family's other words are the application's name); else, in phase 2, that
of each GitHub workflow job that deploys the file with the ECS actions under a literal
`environment:` (GitHub's starter workflow has `environment: production`); else the one a
container's selector names (`SPRING_PROFILES_ACTIVE=production`); else what it says of an
environment (its database, its URL) is a hint.

Files are found by name (`*task*def*.json`, anything under `.aws/`) and are task definitions only
when they hold `containerDefinitions`. JSON is read through the YAML loader (JSON is YAML), which
gives every key its line; JSON it refuses (some escapes) is read by the JSON parser, without lines.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections import defaultdict
from dataclasses import replace
from pathlib import PurePosixPath
from typing import Any

from infrascan.catalog import LOCAL_LOG_DRIVERS
from infrascan.detector import Detector, Extraction, Record, ResolveContext, SourceFile
from infrascan.environments import TEMPLATE_TIERS, env_from_name, normalise
from infrascan.envvars import Variable, VariableReader, selected_environment
from infrascan.model import Code, Confidence, Fact, Part, text
from infrascan.yamlload import YDict, line_of, load_yaml

from ._devenv import scalar
from ._release import dump_fact, load_fact
from .github_actions import WORKFLOW

_ENV_REF = re.compile(r"\$\{\{\s*env\.(\w+)\s*\}\}")
UNPLACED = "ecs.unplaced"  # a task definition's environment lines, placed in phase 2
# The actions that render or deploy a task definition given by its path (`task-definition:`).
_ECS_ACTIONS = ("aws-actions/amazon-ecs-render-task-definition", "aws-actions/amazon-ecs-deploy-task-definition")

# Words of a task definition's file name that say what it is, not where it runs.
_GENERIC = re.compile(r"task|def|definition|definitions|ecs|json|aws")


class EcsDetector(Detector):
    name = "ecs"
    version = "1"
    description = "Amazon ECS task definitions (.aws/task-definition.json)"
    patterns = ("**/*task*def*.json", "**/.aws/*.json")
    looks_for = {
        "env.database": "environment and secrets of ECS task definition containers",
        "log.aggregation": "log drivers (awslogs, FireLens) of ECS task definition containers",
        "deploy.rollback.verify": "health checks of ECS task definition containers",
    }

    def extract(self, file: SourceFile) -> Extraction:
        out = Extraction()
        doc = self._document(file, out)
        containers = doc.get("containerDefinitions") if doc is not None else None
        if doc is None or not isinstance(containers, list):
            return out
        family = scalar(doc.get("family"))
        env = _environment(file.path, family)
        task: tuple[Part, ...] = (" (task ", Code(family), ")") if family else ()
        for index, container in enumerate(containers):
            if not isinstance(container, YDict):
                continue
            name = scalar(container.get("name")) or str(index + 1)
            label = ("ECS container ", Code(name), *task)
            line = line_of(containers, index)
            placed, unplaced = self._variables(file.path, container, env, label)
            out.facts += placed
            if unplaced:
                out.records.append(Record(UNPLACED, file.path, line, {
                    "facts": [dump_fact(f) for f in unplaced], "selected": _selected(container.get("environment"))}))
            out.facts += self._logging(file.path, container, label, line)
            out.facts += self._health(file.path, container, label, line)
        return out

    def _document(self, file: SourceFile, out: Extraction) -> YDict | None:
        """The task definition through the YAML loader, for its lines; JSON the loader does not
        take (an escaped emoji, `\\ud83d\\ude80`) through the JSON parser, without lines."""
        loaded = load_yaml(file.text)
        documents = [d for d in loaded.documents if isinstance(d, YDict)]
        if documents and loaded.error is None:
            return documents[0]
        try:
            data = json.loads(file.text)
        except ValueError as exc:
            out.diagnostics.append(self.diagnostic(file.path, getattr(exc, "lineno", None), f"invalid JSON: {exc}"))
            return None
        converted = _mappings(data)
        return converted if isinstance(converted, YDict) else None

    def _variables(self, path: str, container: YDict, env: str | None,
                   label: tuple[Part, ...]) -> tuple[list[Fact], list[Fact]]:
        """`environment` with values; `secrets` by name only, said as secrets (`valueFrom` names the
        Secrets Manager or Parameter Store entry that holds the value)."""
        out: list[Fact] = []
        for key, where in (("environment", ("in the environment of ", *label)),
                           ("secrets", ("in the secrets (Secrets Manager or Parameter Store) of ", *label))):
            entries = container.get(key)
            variables: list[Variable] = []
            for index, entry in enumerate(entries if isinstance(entries, list) else []):
                if not isinstance(entry, YDict) or not scalar(entry.get("name")):
                    continue
                value = entry.get("value") if key == "environment" else None
                variables.append(Variable(scalar(entry.get("name")), None if value is None else str(value),
                                          line_of(entry, "name", line_of(entries, index))))
            if variables:
                reader = VariableReader(path=path, detector=self.name, env=env, confidence=Confidence.DECLARED,
                                        where=where, catalog=self.catalog)
                out += reader.facts(variables)
        # A task definition named for no environment runs wherever it is deployed: its environment's
        # lines wait for phase 2, which looks for the workflow that deploys it (and the selector).
        unplaced = [f for f in out if f.field.startswith("env.") and f.env is None]
        return [f for f in out if f not in unplaced], unplaced

    def resolve(self, ctx: ResolveContext) -> list[Fact]:
        """A task definition named for no environment is that of each workflow job that deploys it
        (`aws-actions/amazon-ecs-*-task-definition` with its path as `task-definition`) under a
        literal `environment:`, as GitHub's ECS starter workflow does (`environment: production`);
        deployed by none, that of a selector among its variables (`NODE_ENV=production`); else what
        it says of an environment stays a hint."""
        records = ctx.records(UNPLACED)
        if not records:
            return []
        deployed = _deployed_environments(ctx)
        out: list[Fact] = []
        for record in records:
            targets = deployed.get(record.path, {})
            selected = record.data["selected"]
            for data in record.data["facts"]:
                fact = load_fact(data, record.path, self.name)
                if targets:
                    out += [replace(fact, env=env, parts=text(*fact.parts, "; deployed to ", env, " by ", Code(path)),
                                    evidence=(*fact.evidence, *self.evidence(path, line)))
                            for env, (path, line) in sorted(targets.items())]
                elif selected:
                    out.append(replace(fact, env=selected))
                else:
                    out.append(replace(fact, confidence=Confidence.HINT,
                                       parts=text(*fact.parts, " (environment not stated)")))
        return out

    def _logging(self, path: str, container: YDict, label: tuple[Part, ...], line: int) -> list[Fact]:
        config = container.get("logConfiguration")
        driver = scalar(config.get("logDriver")) if isinstance(config, YDict) else ""
        if not isinstance(config, YDict) or not driver or driver in LOCAL_LOG_DRIVERS:
            return []
        options = config.get("options")
        group = scalar(options.get("awslogs-group")) if isinstance(options, YDict) else ""
        tech = self.catalog.by_log_driver(driver)
        lead: tuple[Part, ...] = (f"{tech.name}: ",) if tech is not None else ()
        to: tuple[Part, ...] = ("log group ", Code(group), ", by the ") if group else ("the ",)
        at = line_of(config, "logDriver", line)
        return [Fact("log.aggregation", text(*lead, *to, Code(driver), " log driver of ", *label),
                     Confidence.DECLARED, self.evidence(path, at), item=f"ecs:log:{driver}:{group}",
                     tech=tech.id if tech is not None else None, rank=40, order=(path, at))]

    def _health(self, path: str, container: YDict, label: tuple[Part, ...], line: int) -> list[Fact]:
        """The container's health check: ECS replaces a task whose essential container fails it."""
        check = container.get("healthCheck")
        command = check.get("command") if isinstance(check, YDict) else None
        if not isinstance(command, list) or not command:
            return []
        words = [str(word) for word in command]
        shown = " ".join(words[1:]) if words[0] in ("CMD-SHELL", "CMD") else " ".join(words)
        if not shown.strip():
            return []
        at = line_of(check, "command", line)
        return [Fact("deploy.rollback.verify", text("Health check of ", *label, ": ", Code(shown)),
                     Confidence.DECLARED, self.evidence(path, at), item=f"ecs:health:{path}:{at}", rank=50,
                     order=(path, at))]


def _mappings(value: Any) -> Any:
    """Parsed JSON with its objects as the loader's mappings (lines unknown: 0)."""
    if isinstance(value, dict):
        mapping = YDict()
        mapping.update((key, _mappings(item)) for key, item in value.items())
        return mapping
    if isinstance(value, list):
        return [_mappings(item) for item in value]
    return value


def _deployed_environments(ctx: ResolveContext) -> dict[str, dict[str, tuple[str, int]]]:
    """Task definition path -> the environments workflow jobs deploy it to, each with where the
    job names it."""
    out: dict[str, dict[str, tuple[str, int]]] = defaultdict(dict)
    for workflow in ctx.records(WORKFLOW):
        for job in workflow.data.get("jobs", []):
            environment = job.get("environment") or {}
            name = environment.get("name") or ""
            if not name or "${{" in name:
                continue
            variables = {**(workflow.data.get("env") or {}), **(job.get("env") or {})}
            for step in job.get("steps", []):
                uses = step.get("uses") or ""
                # the starter workflow names the file in the workflow's env: `${{ env.ECS_TASK_DEFINITION }}`
                path = _expanded((step.get("with") or {}).get("task-definition", ""), variables)
                if uses.startswith(_ECS_ACTIONS) and path and "${{" not in path:
                    out[posixpath.normpath(path)].setdefault(normalise(name), (workflow.path, environment["line"]))
    return out


def _expanded(value: str, variables: dict[str, str]) -> str:
    """`${{ env.X }}` in a step input, as the job's or the workflow's `env` sets it."""
    return _ENV_REF.sub(lambda m: variables.get(m[1], m[0]), value)


def _selected(environment: Any) -> str | None:
    """The environment a selector among a container's variables names (`NODE_ENV=production`)."""
    for entry in environment if isinstance(environment, list) else []:
        if isinstance(entry, YDict) and (env := selected_environment(scalar(entry.get("name")),
                                                                     scalar(entry.get("value")))):
            return env
    return None


def _environment(path: str, family: str) -> str | None:
    """The environment the file or its folder is named for (`task-definition-qa.json`), or the
    tier the task family names (`shop-staging`): a family is an application's name, whose other
    words (`integration-service`) name no environment."""
    stem = PurePosixPath(path).stem
    for name, tiers_only in ((stem, False), (family, True), (PurePosixPath(path).parent.name, False)):
        words = [w for w in re.split(r"[^A-Za-z0-9]+", name) if w and not _GENERIC.fullmatch(w.lower())]
        env = env_from_name("-".join(words)) if words else None
        if env and (not tiers_only or normalise(env) in TEMPLATE_TIERS):
            return normalise(env)
    return None
