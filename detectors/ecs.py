"""Amazon ECS task definitions (`.aws/task-definition.json` and the like): what each container is
configured with.

GitHub's ECS starter workflow, and most teams deploying to ECS with
`aws-actions/amazon-ecs-deploy-task-definition` or `aws ecs register-task-definition
--cli-input-json`, keep the task definition in the repository as JSON: every container's
`environment` (values) and `secrets` (names, whose values Secrets Manager or SSM Parameter Store
hold), its `logConfiguration` (where its logs go) and its `healthCheck`. Those are read here, as
any other deployment's variables are, through the shared variable reader. The environment is the
one the file or the task family is named for (`task-definition-prod.json`, `shop-staging`), else
the one a container's selector names (`SPRING_PROFILES_ACTIVE=production`), else not stated: the
task runs wherever the workflow that registers it deploys it, and what it says of an environment
(its database, its URL) is a hint.

Files are found by name (`*task*def*.json`, anything under `.aws/`) and are task definitions only
when they hold `containerDefinitions`. JSON is read through the YAML loader (JSON is YAML), which
gives every key its line.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import PurePosixPath
from typing import Any

from infrascan.detector import Detector, Extraction, SourceFile
from infrascan.environments import env_from_name
from infrascan.envvars import ENV_SELECTORS, Variable, VariableReader
from infrascan.model import Code, Confidence, Fact, Part, text
from infrascan.yamlload import YDict, line_of

from ._devenv import scalar

# Log drivers that ship a container's logs somewhere, with the catalog entry they ship to.
SHIPPING_DRIVERS: dict[str, str | None] = {"awslogs": "cloudwatch", "awsfirelens": None, "splunk": "splunk",
                                           "fluentd": None, "gelf": None, "syslog": None}
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
        doc = self.yaml_mapping(file, out)
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
            out.facts += self._variables(file.path, container, env, label)
            out.facts += self._logging(file.path, container, label, line)
            out.facts += self._health(file.path, container, label, line)
        return out

    def _variables(self, path: str, container: YDict, env: str | None, label: tuple[Part, ...]) -> list[Fact]:
        """`environment` with values; `secrets` by name only, said as secrets (`valueFrom` names the
        Secrets Manager or Parameter Store entry that holds the value). With no environment named,
        a selector among them (`SPRING_PROFILES_ACTIVE=production`) names it."""
        out: list[Fact] = []
        env = env or _selected(container.get("environment"))
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
        # A task definition named for no environment runs wherever it is deployed: an environment's
        # line from it is a lead, said as such, not a statement about one environment.
        return [replace(f, confidence=Confidence.HINT, parts=text(*f.parts, " (environment not stated)"))
                if f.field.startswith("env.") and f.env is None else f for f in out]

    def _logging(self, path: str, container: YDict, label: tuple[Part, ...], line: int) -> list[Fact]:
        config = container.get("logConfiguration")
        driver = scalar(config.get("logDriver")) if isinstance(config, YDict) else ""
        if not isinstance(config, YDict) or driver not in SHIPPING_DRIVERS:
            return []
        options = config.get("options")
        group = scalar(options.get("awslogs-group")) if isinstance(options, YDict) else ""
        tech_id = SHIPPING_DRIVERS[driver]
        tech = self.catalog.techs.get(tech_id or "")
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


def _selected(environment: Any) -> str | None:
    """The environment a selector among a container's variables names (`NODE_ENV=production`)."""
    for entry in environment if isinstance(environment, list) else []:
        if isinstance(entry, YDict) and scalar(entry.get("name")) in ENV_SELECTORS:
            env = env_from_name(scalar(entry.get("value")))
            if env:
                return env
    return None


def _environment(path: str, family: str) -> str | None:
    """The environment the file or the task family is named for, if any (`task-definition-prod`)."""
    stem = PurePosixPath(path).stem
    for name in (stem, family, PurePosixPath(path).parent.name):
        words = [w for w in re.split(r"[^A-Za-z0-9]+", name) if w and not _GENERIC.fullmatch(w.lower())]
        env = env_from_name("-".join(words)) if words else None
        if env:
            return env
    return None
