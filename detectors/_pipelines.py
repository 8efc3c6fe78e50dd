"""What the CircleCI, Bitbucket, Azure Pipelines, Jenkins and Cloud Build detectors share.

Each of those detectors reads its own format into the same shape, a `Job` (triggers, stage,
needs, environment, manual gate, services, steps with their commands), and records it in phase
1. Phase 2 (`PipelineFacts`) turns every job into the template's CI/CD and deployment facts the
same way for all five systems: indirect commands (`npm test`, `make deploy`, `./deploy.sh apply`)
are resolved through the scripts detector's records, test levels are refined from job names and
services, the environment comes from the pipeline's own declaration or, failing that, from names
and deploy arguments (marked inferred), and facts carry the attrs docs/ci-conventions describe.

Packaged steps (Azure tasks, Bitbucket pipes, CircleCI orbs, Cloud Build builders, Jenkins steps)
are data in `data/pipeline_steps.yaml`; `StepCatalog` reads it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from functools import cache, lru_cache
from importlib import resources
from pathlib import PurePosixPath
from typing import Any

from infrascan.catalog import Catalog
from infrascan.commands import (
    Classification,
    cd_target,
    classify,
    excludes_level,
    folded_offsets,
    image_tools,
    level_from_names,
    registry_of,
    split_commands,
)
from infrascan.detector import Detector, Record, ResolveContext
from infrascan.environments import STAGING, env_from_name, normalise, without_dynamic
from infrascan.model import Code, Confidence, Fact, Part, capitalised, code_list, one_line, phrase_list, text
from infrascan.shellarms import FUNCTION_CALL, call_arguments, running
from infrascan.source import folder_of, near_folder
from infrascan.tasks import TaskIndex
from infrascan.yamlload import load_table

JOB_RECORD = "pipeline.job"
LEVEL_FIELDS = {"unit": "ci.test.unit", "integration": "ci.test.integration", "e2e": "ci.test.e2e"}
# Kinds in the order a deploy runs them; deploy.steps lists a job's steps in this order.
STEP_KINDS = ("build", "push", "migrate", "deploy", "verify")
STEP_TITLES = {
    "build": "Build",
    "push": "Push image",
    "migrate": "Migrate database",
    "deploy": "Deploy",
    "verify": "Verify",
}


# ---- the shape every CI format is read into ---------------------------------------------------


@dataclass
class Trigger:
    """When a job runs: `push` (branch pattern or any), `tag`, `pull_request`, `schedule`, `manual`."""

    kind: str
    value: str = ""
    ignored: tuple[str, ...] = ()  # for a push to any branch: the branches it leaves out

    def label(self) -> str:
        """The attrs form of docs/ci-conventions (`push to main`, `tag v*`, `schedule `0 3 * * *``)."""
        if self.kind == "push" and not self.value and self.ignored:
            return "push except to " + ", ".join(self.ignored)
        return {
            "push": f"push to {self.value}" if self.value else "push",
            "tag": f"tag {self.value}" if self.value else "tag",
            "pull_request": f"pull request to {self.value}" if self.value else "pull request",
            "pull_request_from": f"pull request from {self.value}" if self.value else "pull request",
            "push_default": "push",
            "schedule": f"schedule `{self.value}`",
            "manual": "manual",
            "external": self.value or "external trigger",
        }.get(self.kind, self.kind)

    def parts(self) -> tuple[Part, ...]:
        """The trigger in a sentence: values are repository strings, so code spans."""
        if self.kind == "push" and not self.value and self.ignored:
            return text("every push except to ", *code_list(self.ignored))
        if self.kind == "push":
            return text("push to ", Code(self.value)) if self.value else ("every push",)
        if self.kind == "tag":
            return text("tags ", Code(self.value)) if self.value else ("every tag",)
        if self.kind == "pull_request":
            return text("pull requests to ", Code(self.value)) if self.value else ("pull requests",)
        if self.kind == "pull_request_from":
            return text("pull requests from ", Code(self.value)) if self.value else ("pull requests",)
        if self.kind == "push_default":
            return ("pushes to branches without a pipeline of their own",)
        if self.kind == "schedule":
            return text("schedule ", Code(self.value))
        if self.kind == "manual":
            return (self.value or "manual runs",)
        return (self.value or "an external trigger",)


@dataclass
class Step:
    """One step of a job: a title, shell commands with their lines, and packaged-step results."""

    title: str
    line: int
    commands: list[tuple[str, int]] = field(default_factory=list)
    does: list[dict[str, Any]] = field(default_factory=list)  # classifications from StepCatalog
    on_failure: bool = False  # runs only when the deploy failed (Azure `on: failure`)
    path: str = ""  # the file the step is written in when not the pipeline's (an Azure template)
    ref: str = ""  # the packaged step (`AzureWebApp@1`, `atlassian/aws-ecs-deploy:1.12.1`, an orb job)


@dataclass
class Job:
    ci: str
    pipeline: str
    job: str
    index: int
    line: int
    stage: str | None = None
    needs: list[str] = field(default_factory=list)
    triggers: list[Trigger] = field(default_factory=list)
    environment: str | None = None  # declared by the pipeline (Bitbucket deployment, Azure environment)
    environment_line: int = 0
    manual: bool = False
    manual_how: tuple[Part, ...] = ()  # "approval job `hold`", "`trigger: manual`"
    gate_line: int = 0
    # A manual step after the job's first commands (Jenkins `input` mid-stage): the job pauses
    # for a person, but what ran before it was not gated.
    hold_how: tuple[Part, ...] = ()
    hold_line: int = 0
    names: list[str] = field(default_factory=list)  # job, stage, step, context names: levels and envs
    services: list[dict[str, Any]] = field(default_factory=list)  # {"image", "name", "line"}
    steps: list[Step] = field(default_factory=list)
    stage_label: str = "stage"  # what this CI calls the group a job belongs to (CircleCI: workflow)
    job_label: str = "job"  # what this CI calls a job (Cloud Build: build)
    key: str = ""  # unique within the pipeline when names repeat (Bitbucket steps shared by anchors)

    @property
    def ident(self) -> str:
        """What `needs` refers to: the key when there is one, else the job name."""
        return self.key or self.job

    strategy: str | None = None  # Azure runOnce/rolling/canary

    def to_record(self) -> Record:
        data = asdict(self)
        data["triggers"] = [asdict(t) for t in self.triggers]
        data["manual_how"] = [p.text if isinstance(p, Code) else p for p in self.manual_how]
        data["manual_code"] = [isinstance(p, Code) for p in self.manual_how]
        data["hold_how"] = [p.text if isinstance(p, Code) else p for p in self.hold_how]
        data["hold_code"] = [isinstance(p, Code) for p in self.hold_how]
        return Record(JOB_RECORD, self.pipeline, self.line, data)

    @classmethod
    def from_record(cls, record: Record) -> Job:
        """The job back from its record; keys an older cached record lacks take their defaults."""
        data = dict(record.data)
        manual_how = tuple(
            Code(p) if is_code else p
            for p, is_code in zip(data.pop("manual_how", []), data.pop("manual_code", []), strict=True)
        )
        hold_how = tuple(
            Code(p) if is_code else p
            for p, is_code in zip(data.pop("hold_how", []), data.pop("hold_code", []), strict=True)
        )
        steps = [Step(**_known(Step, s)) for s in data.pop("steps", [])]
        triggers = [Trigger(**_known(Trigger, t)) for t in data.pop("triggers", [])]
        return cls(**_known(cls, data), steps=steps, triggers=triggers, manual_how=manual_how, hold_how=hold_how)


def _known(kind: type, data: Mapping[str, Any]) -> dict[str, Any]:
    """Only the fields a dataclass has: a record written by another version of this module still loads."""
    names = {f.name for f in fields(kind)}
    return {k: v for k, v in data.items() if k in names}


# ---- packaged steps as data -------------------------------------------------------------------


def _does(items: Iterable[str], detail: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        kind, tool, *rest = item.split()
        level = rest[0] if kind == "test" and rest else None
        target = rest[0] if kind == "deploy" and rest else None
        out.append({"kind": kind, "tool": tool, "level": level, "target": target, "detail": dict(detail)})
    return out


@dataclass(frozen=True)
class StepMatch:
    """What a packaged step does: classifications, shell commands to classify, a gate, an alert."""

    does: list[dict[str, Any]]
    commands: list[str]
    gate: bool = False
    alert: str | None = None
    names: tuple[str, ...] = ()


class StepCatalog:
    """Looks packaged steps up in data/pipeline_steps.yaml."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def pattern(self, key: str) -> re.Pattern[str]:
        """A regular expression the catalog keeps beside its steps (`run_ids`, `run_teardown`)."""
        return re.compile(str(self._data[key]))

    def _match(self, entry: Mapping[str, Any], inputs: Mapping[str, Any]) -> StepMatch | None:
        values = {_key(k): v for k, v in {**entry.get("defaults", {}), **inputs}.items()}
        for key, pattern in (entry.get("when") or {}).items():
            value = values.get(_key(key))
            if not isinstance(value, (str, int)) or not re.search(pattern, str(value), re.I):
                return None
        names = tuple(
            str(values[_key(n)]) for n in entry.get("names", []) if isinstance(values.get(_key(n)), (str, int))
        )
        images = [
            _fill(n, values) if "{" in n else str(values[_key(n)])
            for n in entry.get("images", [])
            if ("{" in n and all(isinstance(values.get(_key(k)), (str, int)) for k in re.findall(r"\{([\w-]+)\}", n)))
            or isinstance(values.get(_key(n)), (str, int))
        ]
        detail: dict[str, Any] = {"names": list(names)}
        registries = []
        if entry.get("registry"):
            registries.append({"id": entry["registry"], "name": _registry_label(entry["registry"]), "host": ""})
        for image in images:
            found = registry_of(image)
            if found and found.id not in {r["id"] for r in registries}:
                registries.append({"id": found.id, "name": found.name, "host": found.host})
        if images:
            detail["images"] = images
        if registries:
            detail["registries"] = registries
        commands: list[str] = []
        if entry.get("script"):
            script = values.get(_key(entry["script"]))
            if isinstance(script, str):
                prefix = _fill(str(entry.get("prefix", "")), values)
                commands = [prefix + c.text for c in split_commands(script)]
        if entry.get("template"):
            commands.append(_fill(str(entry["template"]), values))
        does = _does(entry.get("does", []), detail)
        for d in does:
            d["note"] = ", ".join(f"{k}: {_scalar(values.get(_key(k)))}" for k in (entry.get("when") or {}))
            # The inputs that prove it (`verify-revision-is-deployed: true`): a detector that knows
            # their lines cites them (`line`) instead of the step's first line.
            d["keys"] = [str(k) for k in (entry.get("when") or {})]
        return StepMatch(does, commands, bool(entry.get("gate")), entry.get("alert"), names)

    def lookup(self, section: str, key_name: str, name: str, inputs: Mapping[str, Any]) -> StepMatch | None:
        """Every entry of `section` for `name` whose conditions hold, merged; None if none is known.

        Several entries may hold at once: Maven `verify` both builds and tests, and an orb job
        that deploys may also wait for the new revision when an input says so.
        """
        wanted = _norm(name)
        matches = [
            found
            for entry in self._data.get(section, [])
            if _norm(str(entry[key_name])) == wanted
            for found in (self._match(entry, inputs),)
            if found is not None
        ]
        if not matches:
            return None
        return StepMatch(
            [d for m in matches for d in m.does],
            [c for m in matches for c in m.commands],
            any(m.gate for m in matches),
            next((m.alert for m in matches if m.alert), None),
            tuple(n for m in matches for n in m.names),
        )

    def jenkins(self, body: str) -> list[tuple[re.Match[str], StepMatch]]:
        """Jenkins steps written in Groovy (not `sh`), with where they matched."""
        out = []
        for entry in self._data.get("jenkins_steps", []):
            for match in re.finditer(entry["step"], body):
                out.append((match, StepMatch(_does(entry.get("does", []), {}), [], False, entry.get("alert"))))
        return out

    def builder_command(self, image: str) -> str | None:
        """The command a Cloud Build builder image runs (`gcr.io/cloud-builders/docker` -> docker)."""
        name = re.sub(r"[:@][^/]*$", "", image.strip())
        for entry in self._data.get("cloudbuild_builders", []):
            match = re.search(entry["image"], name)
            if match:
                return _expand_groups(str(entry["command"]), [match.group(0), *match.groups()])
        return None

    def keys(self, section: str, key_name: str) -> list[str]:
        return [str(e[key_name]) for e in self._data.get(section, [])]


def _expand_groups(template: str, groups: list[str | None]) -> str:
    """`{1}` in a builder's command replaced by the image pattern's first group."""
    return re.sub(r"\{(\d)\}", lambda m: groups[int(m.group(1))] or "", template)


def _norm(name: str) -> str:
    return re.sub(r"@.*$", "", name.strip()).replace("_", "-").lower()


def _scalar(value: Any) -> str:
    """A value as YAML wrote it: `true`, not Python's `True`."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _key(name: Any) -> str:
    """Input names compared the way pipelines write them: `account_id`, `Account-ID` and `account-id` alike."""
    return str(name).lower().replace("_", "-")


def _fill(template: str, values: Mapping[str, Any]) -> str:
    def value(match: re.Match[str]) -> str:
        found = values.get(_key(match.group(1)))
        return str(found) if isinstance(found, (str, int)) else ""

    return re.sub(r"\s+", " ", re.sub(r"\{([\w-]+)\}", value, template)).strip() + (
        " " if template.endswith(" ") else ""
    )


def _registry_label(registry_id: str) -> str:
    from infrascan.commands import rules

    return next((r.label or r.tool for r in rules() if r.id == registry_id), registry_id)


@cache
def step_catalog() -> StepCatalog:
    raw = resources.files("infrascan").joinpath("data/pipeline_steps.yaml").read_bytes()
    return StepCatalog(load_table(raw) or {})


# ---- phase 2: one job -> facts ------------------------------------------------------------------


@dataclass
class Found:
    """A classification inside a job, with the step it came from and where it is written."""

    c: Classification
    step: int
    title: str
    path: str
    line: int
    via: tuple[str, ...] = ()
    on_failure: bool = False
    call: tuple[str, int] | None = None  # the pipeline line that called the script or task it came from

    def places(self) -> tuple[tuple[str, int], ...]:
        """Where the command is written, and where the pipeline calls it when that is elsewhere."""
        return ((self.path, self.line), *((self.call,) if self.call else ()))


def _classification(d: Mapping[str, Any], command: str) -> Classification:
    return Classification(
        d["kind"],
        d["tool"],
        d.get("rule", "pipeline-step"),
        command,
        d.get("level"),
        d.get("target"),
        bool(d.get("automatic", False)),
        dict(d.get("detail") or {}),
    )


# Verbs a wrapper script takes as its first argument and the kinds of work each one means:
# `./tf-wrapper.sh plan` must not be read as the `terraform apply` the same script also holds.
_SCRIPT_VERBS: dict[str, frozenset[str] | None] = {
    **dict.fromkeys(("apply", "deploy", "up", "release", "rollout", "install", "upgrade"), None),
    **dict.fromkeys(
        ("plan", "validate", "init", "lint", "check", "diff", "show", "fmt", "format", "preview"), frozenset()
    ),
    **dict.fromkeys(("test", "tests", "unit", "integration", "e2e"), frozenset({"test"})),
    **dict.fromkeys(("build", "package"), frozenset({"build", "push"})),
    **dict.fromkeys(("migrate",), frozenset({"migrate"})),
    **dict.fromkeys(("rollback",), frozenset({"rollback"})),
}


def _verb_kinds(verb: str) -> frozenset[str] | None:
    """The kinds of work a wrapper-script verb allows; `plan_validate_all` is a plan, not an apply."""
    if verb in _SCRIPT_VERBS:
        return _SCRIPT_VERBS[verb]
    for token in re.split(r"[_-]", verb):
        if token in _SCRIPT_VERBS:
            return _SCRIPT_VERBS[token]
    return None


_SCRIPT_CALL = re.compile(
    r"^(?:(?:ba|z|da)?sh\s+)?(?P<path>(?:\./|/workspace/|\$\{?\w+\}?/)?[\w./-]+\.(?:sh|bash))\b(?P<args>.*)$"
)


class PipelineFacts:
    """Turns recorded jobs into facts, resolving indirection through the scripts detector's records."""

    def __init__(self, detector: Detector, ctx: ResolveContext) -> None:
        self.detector = detector
        self.ctx = ctx
        self.tasks = TaskIndex(ctx)
        self.catalog: Catalog = detector.catalog
        self._scripts: dict[str, list[Record]] = {}
        for record in ctx.records("script.command"):
            self._scripts.setdefault(record.path, []).append(record)
        self._function_calls: dict[str, list[Record]] = {}
        for record in ctx.records(FUNCTION_CALL):
            self._function_calls.setdefault(record.path, []).append(record)
        names = Counter(PurePosixPath(p).name for p in ctx.paths(detector.name))
        self._shared_names = {n for n, count in names.items() if count > 1}

    def shown(self, pipeline: str) -> str:
        """How a fact names a pipeline file: its name, or its path when another file of this kind
        has the same name (a stub `Jenkinsfile` at the top and the real `jenkins/Jenkinsfile`)."""
        name = PurePosixPath(pipeline).name
        return pipeline if name in self._shared_names else name

    def jobs(self) -> list[Job]:
        mine = set(self.ctx.paths(self.detector.name))
        return [Job.from_record(r) for r in self.ctx.records(JOB_RECORD) if r.path in mine]

    # -- commands ---------------------------------------------------------------------------

    def _script_path(self, raw: str, pipeline: str) -> str | None:
        for base in ("", folder_of(pipeline)):
            candidate = PurePosixPath(base, raw).as_posix() if base not in ("", ".") else raw
            candidate = re.sub(r"^(?:\./|/workspace/|\$\{?\w+\}?/)", "", candidate)
            if candidate in self._scripts:
                return candidate
        return None

    def _from_script(self, command: str, job: Job) -> list[tuple[Classification, str, int]]:
        match = _SCRIPT_CALL.match(command.strip())
        if not match:
            return []
        path = self._script_path(match.group("path"), job.pipeline)
        if path is None:
            return []
        arguments = call_arguments(match.group("args"))  # as the shell reads them, redirections left out
        verb = next((a for a in arguments if re.fullmatch(r"[a-z][\w-]*", a)), None)
        allowed = _verb_kinds(verb) if verb else None
        out: list[tuple[Classification, str, int]] = []
        near = folder_of(path)
        # `./ci.sh build`: the arm of that first argument, and the functions it calls (shellarms.py)
        for record in running(self._scripts[path], self._function_calls.get(path, []), arguments):
            if "tool" not in record.data:
                continue  # a call to another script, not a classified command
            c = _classification(record.data, record.data["command"])
            # `npm test` inside the script: what the package.json above it runs
            reached = (
                [(r.classification, r.path, r.line) for r in self.tasks.resolve(c, near)]
                if c.kind == "indirect"
                else [(c, path, record.line)]
            )
            out.extend(r for r in reached if allowed is None or r[0].kind in allowed)
        return out

    def found(self, job: Job) -> list[Found]:
        """Every classification of a job's steps, indirection resolved, in step order."""
        out = self._found(job)
        assigned: dict[str, str] = {}
        for step in job.steps:
            for command, _ in step.commands:
                match = _ASSIGNMENT.match(command)
                if match:
                    assigned[match.group("name")] = next(v for v in match.group("dq", "sq", "bare") if v is not None)
        for f in out:
            if f.c.kind in ("build", "push") and f.c.detail.get("images") and not f.c.detail.get("registries"):
                f.c = _registry_through_variables(f.c, assigned)
        return out

    def _found(self, job: Job) -> list[Found]:
        out: list[Found] = []
        for index, step in enumerate(job.steps):
            path = step.path or job.pipeline
            # a step's commands run in one shell, from the checkout's root: `cd api_tests/` moves the
            # ones after it (lemmy's `pnpm api-test-multiple` is api_tests/package.json's script)
            near = near_folder(job.pipeline)
            moved_to: str | None = None
            for d in step.does:
                name = step.ref or step.title
                note = d.get("note") if d["kind"] in ("verify", "rollback") or step.ref else ""
                c = _classification(d, f"{name} ({note})" if note else name)
                out.append(Found(c, index, step.title, path, d.get("line") or step.line, (), step.on_failure))
            for command, line in step.commands:
                moved = cd_target(command, moved_to or "")
                if moved is not None:
                    near = moved_to = moved
                    continue
                for c in classify(command):
                    if c.kind == "indirect":
                        for r in self.tasks.resolve(c, near):
                            out.append(
                                Found(
                                    r.classification,
                                    index,
                                    step.title,
                                    r.path,
                                    r.line,
                                    (command, *r.via),
                                    step.on_failure,
                                    (path, line),
                                )
                            )
                        continue
                    out.append(Found(c, index, step.title, path, line, (), step.on_failure))
                for c, script, script_line in self._from_script(command, job):
                    out.append(
                        Found(c, index, step.title, script, script_line, (command,), step.on_failure, (path, line))
                    )
        return out

    # -- environment ------------------------------------------------------------------------

    def environment(self, job: Job, found: list[Found]) -> tuple[str | None, Confidence]:
        """The declared environment, else one read from names and deploy arguments (inferred)."""
        if job.environment:
            return job.environment, Confidence.DECLARED
        candidates: list[str] = []
        for f in found:
            if f.c.kind not in ("deploy", "rollback", "migrate"):
                continue
            if f.c.detail.get("prod"):  # `vercel deploy --prod`
                return "production", Confidence.INFERRED
            for key in ("env_flag", "stage", "app", "namespace", "config", "files", "var_files", "names", "project"):
                # a variable's name is no environment (`-n $STAGING_NAMESPACE` may hold anything)
                candidates.extend(without_dynamic(str(v)) for v in f.c.detail.get(key, []))
            candidates.append(_operands(f.c.command))
        candidates.extend(job.names)
        for name in candidates:
            env = env_from_name(_CAMEL.sub(" ", name))  # `DeployToProduction` names production
            if env and env not in ("test", "ci", "e2e", "integration"):
                return env, Confidence.INFERRED
        return None, Confidence.INFERRED

    @staticmethod
    def dynamic_environment(found: list[Found]) -> str | None:
        """A variable a deploy command takes as its environment (`./tf-wrapper.sh apply ${BRANCH_NAME}`)."""
        for f in found:
            if f.c.kind != "deploy":
                continue
            for command in (*f.via, f.c.command):
                match = _ENV_VARIABLE.search(command)
                if match:
                    return match.group(0)
        return None

    # -- facts ------------------------------------------------------------------------------

    def facts(self, jobs: list[Job] | None = None) -> list[Fact]:
        """Facts for `jobs` (by default the jobs this detector recorded in phase 1)."""
        jobs = sorted(self.jobs() if jobs is None else jobs, key=lambda j: (j.pipeline, j.index))
        by_key = {(j.pipeline, j.ident): j for j in jobs}
        found = {(j.pipeline, j.ident): self.found(j) for j in jobs}
        facts: list[Fact] = []
        for job in jobs:
            items = found[(job.pipeline, job.ident)]
            env, env_conf = self.environment(job, items)
            attrs = self.attrs(job, env)
            # Readers (the CI/CD diagram) know jobs by name; Bitbucket steps need each other by key.
            attrs["needs"] = [by_key[(job.pipeline, n)].job if (job.pipeline, n) in by_key else n for n in job.needs]
            facts.extend(self._builds(job, items, attrs))
            facts.extend(self._tests(job, items, attrs))
            deploys = [f for f in items if f.c.kind == "deploy" and not f.on_failure]
            removed = _removed_after(job, deploys) if deploys else None
            if removed is not None:  # deployed to be tested and removed: no environment's deploy
                facts.append(self._throwaway(job, deploys, removed, attrs))
                deploys = []
            rollback_only = not deploys and any(f.c.kind == "rollback" for f in items)
            if deploys or (job.environment and not rollback_only):
                facts.extend(self._deploy(job, items, deploys, env, env_conf, attrs, by_key, found))
            elif any(f.c.kind == "serve" and not f.on_failure for f in items) \
                    and _DEPLOY_NAME.search(f"{job.job} {job.stage or ''}"):
                facts.extend(self._served(job, items, attrs))
            facts.extend(self._rollbacks(job, items, attrs, bool(deploys)))
            later = [
                other.job
                for other in jobs
                if job in self._upstream(other, by_key)
                and any(f.c.kind == "deploy" for f in found[(other.pipeline, other.ident)])
            ]
            facts.extend(self._migrations(job, items, attrs, deploys, later))
        return facts

    def attrs(self, job: Job, env: str | None) -> dict[str, Any]:
        return {
            "ci": job.ci,
            "pipeline": job.pipeline,
            "job": job.job,
            "stage": job.stage,
            "needs": list(job.needs),
            "triggers": [t.label() for t in job.triggers],
            "environment": env,
            "manual": job.manual,
            **({"strategy": job.strategy} if job.strategy else {}),
        }

    def when(self, job: Job) -> tuple[Part, ...]:
        """When a job runs, in words: "every push and pull requests", "manual: approval job `hold`"."""
        triggers = [t for t in job.triggers if t.kind != "manual"] if job.manual else job.triggers
        parts = list(trigger_parts(triggers))
        if job.manual:
            gate = job.manual_how or ("a manual step",)
            parts = [*parts, " (" if parts else "", "after ", *gate, ")" if parts else ""]
        return text(*parts) if parts else ("runs when the CI system triggers it",)

    def _here(self, job: Job) -> tuple[Part, ...]:
        name = self.shown(job.pipeline)
        stage = text(f", {job.stage_label} ", Code(job.stage)) if job.stage and job.stage != job.job else ()
        return text(f" in {job.job_label} ", Code(job.job), *stage, " (", Code(name), ")")

    def _evidence(self, *places: tuple[str, int]) -> tuple[Any, ...]:
        return tuple(ev for path, line in dict.fromkeys(places) for ev in self.detector.evidence(path, line))

    def _tool(self, tool: str) -> Part:
        return self.catalog.techs[tool].name if tool in self.catalog.techs else Code(tool)

    def _builds(self, job: Job, items: list[Found], attrs: dict[str, Any]) -> list[Fact]:
        facts = []
        pushes = [f for f in items if f.c.kind == "push"]
        built_images: set[str] = set()
        for f in items:
            if f.c.kind != "build":
                continue
            images = [str(i) for i in f.c.detail.get("images", [])]
            pushed = [p for p in pushes if p.step == f.step or set(p.c.detail.get("images", [])) & set(images)]
            registries = [r for p in pushed for r in p.c.detail.get("registries", [])] or (
                f.c.detail.get("registries", []) if pushed else []
            )
            built_images.update(images)
            image = f.c.tool in image_tools()
            makes = f.c.detail.get("makes") or []  # what a publish makes (`cargo publish`: crates on crates.io)
            what: tuple[Part, ...] = (
                text("Image ", Code(images[0]), " built")
                if images and image
                else text("Image built with ", Code(_short(f.c.command)))
                if image
                else capitalised(text(str(makes[0]), ": ", Code(_short(f.c.command))))
                if makes
                else text(self._tool(f.c.tool), " build ", Code(_short(f.c.command)))
            )
            where = text(" and pushed to ", *_registry_parts(registries)) if pushed else ()
            title = "Build and push image" if pushed else ("Build image" if f.c.tool in image_tools() else "Build")
            evidence = self._evidence(*f.places(), *(pl for p in pushed for pl in p.places()))
            facts.append(
                Fact(
                    "ci.build",
                    text(*what, *where, *self._here(job), ", on ", *self.when(job)),
                    Confidence.DECLARED if f.path == job.pipeline else Confidence.INFERRED,
                    evidence,
                    item=f"{job.pipeline}:{job.job}:{f.step}:{f.c.command}",
                    tech=_tech(self.catalog, f.c.tool),
                    order=(0, job.pipeline, job.index, f.step),
                    rank=40,
                    attrs={**attrs, "step": title, "images": images, "registries": [r["id"] for r in registries]},
                )
            )
        for p in pushes:
            images = [str(i) for i in p.c.detail.get("images", [])]
            if any(f.c.kind == "build" and f.step == p.step for f in items) or set(images) & built_images:
                continue
            label = text("Image ", Code(images[0])) if images else ("Image",)
            facts.append(
                Fact(
                    "ci.build",
                    text(
                        *label,
                        " pushed to ",
                        *_registry_parts(p.c.detail.get("registries", [])),
                        *self._here(job),
                        ", on ",
                        *self.when(job),
                    ),
                    Confidence.DECLARED,
                    self._evidence((p.path, p.line)),
                    item=f"{job.pipeline}:{job.job}:{p.step}:{p.c.command}",
                    order=(0, job.pipeline, job.index, p.step),
                    rank=40,
                    attrs={**attrs, "step": "Push image", "images": images},
                )
            )
        return facts

    def _level(self, job: Job, f: Found) -> tuple[str | None, tuple[Part, ...]]:
        level = level_from_names(f.c.level, job.job, job.stage or "", f.title, *job.names)
        stores = [s for s in job.services if self._store(s["image"])]
        if level == "unit" and stores and not excludes_level(f.c.command, "integration") \
                and not f.c.detail.get("own_database"):  # `bin/rails test` uses a database by design
            return "integration", text(" (integration: the job starts ", *_join(Code(s["image"]) for s in stores), ")")
        return level, ()

    def _store(self, image: str) -> bool:
        return self.catalog.is_data_store_image(image)

    def _services(self, job: Job) -> tuple[Part, ...]:
        if not job.services:
            return ()
        return text("; services: ", *_join(Code(s["image"]) for s in job.services))

    def _tests(self, job: Job, items: list[Found], attrs: dict[str, Any]) -> list[Fact]:
        facts: list[Fact] = []
        seen: set[tuple[str, str]] = set()
        for f in items:
            if f.c.kind != "test":
                continue
            level, why = self._level(job, f)
            if (f.c.tool, level or "") in seen:
                continue
            seen.add((f.c.tool, level or ""))
            via = text(" via ", Code(f.via[0])) if f.via else ()
            parts = text(
                self._tool(f.c.tool),
                *via,
                *self._here(job),
                ": ",
                *self.when(job),
                *why,
                *(() if why else self._services(job)),
            )
            evidence = self._evidence(*f.places(), *((job.pipeline, s["line"]) for s in job.services if s["line"]))
            if level == "performance":
                facts.append(
                    Fact(
                        "mon.performance",
                        text(self._tool(f.c.tool), " load test", *via, *self._here(job), ": ", *self.when(job)),
                        Confidence.INFERRED,
                        evidence,
                        item=f"{job.pipeline}:{job.job}:{f.c.tool}",
                        tech=_tech(self.catalog, f.c.tool),
                        rank=60,
                        order=(0, job.pipeline, job.index, f.step),
                        attrs={**attrs, "tool": f.c.tool},
                    )
                )
                continue
            field_id = LEVEL_FIELDS.get(level or "unit")
            if field_id is None:
                continue
            facts.append(
                Fact(
                    field_id,
                    parts,
                    Confidence.DECLARED if not f.via else Confidence.INFERRED,
                    evidence,
                    item=f"{job.pipeline}:{job.job}:{f.c.tool}",
                    tech=_tech(self.catalog, f.c.tool),
                    rank=40,
                    order=(0, job.pipeline, job.index, f.step),
                    attrs={**attrs, "tool": f.c.tool, "level": level},
                )
            )
        return facts

    def _throwaway(self, job: Job, deploys: list[Found], removed: tuple[str, str, int],
                   attrs: dict[str, Any]) -> Fact:
        """A job that deploys and removes what it deployed again is an end-to-end test of the
        deployment, whatever it runs against it in between."""
        command, path, line = removed
        return Fact(
            "ci.test.e2e",
            text("Deploys", *self._target(deploys, " with ", ""), ", tests and removes it again (",
                 Code(_short(command)), ")", *self._here(job), ": ", *self.when(job)),
            Confidence.INFERRED,
            self._evidence(*(p for f in deploys for p in f.places()), (path, line), (job.pipeline, job.line)),
            item=f"{job.pipeline}:{job.ident}:throwaway",
            rank=40,
            order=(job.pipeline, job.index),
            attrs={**attrs, "role": "E2E tests"},
        )

    def _target(self, deploys: list[Found], lead: str = " (", close: str = ")") -> tuple[Part, ...]:
        tools = list(dict.fromkeys(f.c.tool for f in deploys))
        return text(lead, *_join(self._tool(t) for t in tools), close) if tools else ()

    def _deploy(
        self,
        job: Job,
        items: list[Found],
        deploys: list[Found],
        env: str | None,
        env_conf: Confidence,
        attrs: dict[str, Any],
        by_key: Mapping[tuple[str, str], Job],
        found: Mapping[tuple[str, str], list[Found]],
    ) -> list[Fact]:
        facts: list[Fact] = []
        tools = self._target(deploys)
        if env:
            target = text(" to ", Code(env), *tools)
            if env_conf is Confidence.INFERRED:
                target = text(*target, " (environment inferred from names)")
        elif (variable := self.dynamic_environment(deploys)) is not None:
            target = text(*self._target(deploys, " with ", ""), " to the environment named by ", Code(variable))
        else:
            target = text(*self._target(deploys, " with ", ""), " (environment not named in the pipeline)")
        evidence = self._evidence(
            (job.pipeline, job.line),
            *(p for f in deploys for p in f.places()),
            *(((job.pipeline, job.environment_line),) if job.environment_line else ()),
            *(((job.pipeline, job.gate_line),) if job.gate_line else ()),
        )
        name = self.shown(job.pipeline)
        where = text(f" ({job.job_label} ", Code(job.job), ", ", Code(name), ")")
        confidence = Confidence.DECLARED if job.environment else Confidence.INFERRED
        if job.manual:
            parts = capitalised(text(*(job.manual_how or ("a manual step",)), " starts the deploy", *target, *where))
            triggers = [t for t in job.triggers if t.kind != "manual"]
            if triggers:
                parts = text(*parts, "; the pipeline runs on ", *trigger_parts(triggers))
            field_id = "ci.deploy.manual"
        else:
            parts = text("On ", *self.when(job), ": deploys", *target, *where)
            field_id = "ci.deploy.automated"
        facts.append(
            Fact(
                field_id,
                parts,
                confidence,
                evidence,
                item=f"{job.pipeline}:{job.job}",
                env=None,
                order=(0, job.pipeline, job.index, 0),
                rank=30 if job.environment else 50,
                attrs=attrs,
            )
        )
        facts.extend(self._deploy_steps(job, items, env, attrs, by_key, found))
        facts.extend(self._staging_purpose(job, deploys, by_key, found))
        return facts

    def _staging_purpose(
        self,
        job: Job,
        deploys: list[Found],
        by_key: Mapping[tuple[str, str], Job],
        found: Mapping[tuple[str, str], list[Found]],
    ) -> list[Fact]:
        """A declared staging environment the pipeline deploys to without a person is its
        pre-production stop, as GitLab's staging jobs are read; the environments deployed before it
        give its place in the promotion (tailspin: dev, then test, then staging)."""
        if not (job.environment and deploys and not job.manual and normalise(job.environment) == STAGING):
            return []
        before = [
            other.environment
            for other in self._upstream(job, by_key)
            if other.environment and any(f.c.kind == "deploy" for f in found[(other.pipeline, other.ident)])
        ]
        name = self.shown(job.pipeline)
        parts = text("Pre-production: ", f"{job.job_label} ", Code(job.job), " (", Code(name), ") deploys here on ",
                     *self.when(job))
        if before:
            parts = text(*parts, ", after deploys to ", *_join(Code(e) for e in dict.fromkeys(before)))
        return [
            Fact(
                "env.purpose",
                parts,
                Confidence.INFERRED,
                self._evidence((job.pipeline, job.environment_line or job.line)),
                item=f"staging:{job.pipeline}:{job.job}",
                env=job.environment,
                order=(0, job.pipeline, job.index, 0),
                rank=60,
            )
        ]

    def _served(self, job: Job, items: list[Found], attrs: dict[str, Any]) -> list[Fact]:
        """A job named as a deploy that only starts the app on its own CI agent (`npm start &`).

        That is a preview for a person to look at, not a release: the facts say what runs and
        when, name no environment, and a pause (`input`) after it is a wait, not an approval.
        """
        serve = next(f for f in items if f.c.kind == "serve" and not f.on_failure)
        builds = [f for f in items if f.c.kind == "build" and f.step <= serve.step]
        via = text(" via ", Code(serve.via[0])) if serve.via else ()
        before = text(", after ", *_join(Code(_short(f.c.command)) for f in builds)) if builds else ()
        name = self.shown(job.pipeline)
        what = text(
            f" {job.job_label} ",
            Code(job.job),
            " (",
            Code(name),
            ") runs the app on the CI agent itself (",
            Code(_short(serve.c.command)),
            *via,
            *before,
            "); no command deploys it to an environment",
        )
        attrs = {**attrs, "environment": None, "role": "runs the app on the agent"}
        places = [(job.pipeline, job.line), *(p for f in [*builds, serve] for p in f.places())]
        if job.manual:
            parts = text("After ", *job.manual_how, ",", *what)
            field_id = "ci.deploy.manual"
            places.append((job.pipeline, job.gate_line))
        else:
            parts = text("On ", *self.when(job), ":", *what)
            field_id = "ci.deploy.automated"
        item, order = f"{job.pipeline}:{job.job}", (0, job.pipeline, job.index, 0)
        evidence = self._evidence(*places)
        facts = [Fact(field_id, parts, Confidence.INFERRED, evidence, item=item, order=order, attrs=attrs)]
        if job.hold_how:
            later = [s for s in job.steps if s.line > job.hold_line]
            rest = text(", then runs ", *_join(Code(_short(s.title)) for s in later)) if later else ()
            # Not a node of the CI diagram: the stage is drawn once, from the fact above.
            pause = {"ci": job.ci, "pipeline": job.pipeline, "triggers": attrs["triggers"], "manual": True}
            facts.append(
                Fact(
                    "ci.deploy.manual",
                    text(
                        "On ",
                        *trigger_parts(job.triggers),
                        ": ",
                        *job.hold_how,
                        " pauses the build while the app runs on the agent until a person proceeds",
                        *rest,
                        "; it gates no deploy",
                    ),
                    Confidence.INFERRED,
                    self._evidence((job.pipeline, job.hold_line), *((job.pipeline, s.line) for s in later)),
                    item=item,
                    order=order,
                    attrs=pause,
                )
            )
        return facts

    def _upstream(self, job: Job, by_key: Mapping[tuple[str, str], Job], seen: set[str] | None = None) -> list[Job]:
        """Jobs this one needs, transitively, nearest last (the order they ran in)."""
        seen = seen if seen is not None else {job.ident}
        out: list[Job] = []
        for need in job.needs:
            other = by_key.get((job.pipeline, need))
            if other is None or other.ident in seen:
                continue
            seen.add(other.ident)
            out = [*self._upstream(other, by_key, seen), *out, other]
        return out

    def _deploy_steps(
        self,
        job: Job,
        items: list[Found],
        env: str | None,
        attrs: dict[str, Any],
        by_key: Mapping[tuple[str, str], Job],
        found: Mapping[tuple[str, str], list[Found]],
    ) -> list[Fact]:
        facts = []
        chain: list[tuple[Job, list[Found]]] = [
            (up, [f for f in found[(up.pipeline, up.ident)] if f.c.kind in ("build", "push", "migrate")])
            for up in self._upstream(job, by_key)
        ]
        chain.append((job, [f for f in items if f.c.kind in STEP_KINDS and not f.on_failure]))
        deploy_commands = {f.c.command for f in items if f.c.kind == "deploy"}
        for source, steps in chain:
            for n, f in enumerate(steps):
                if f.c.kind == "verify" and f.c.command in deploy_commands:
                    continue  # `helm upgrade --wait` is the deploy step; it waits as part of it
                target = text(" (", Code(env), ")") if env else text(f" ({job.job_label} ", Code(job.job), ")")
                facts.append(
                    Fact(
                        "deploy.steps",
                        text(
                            STEP_TITLES[f.c.kind],
                            *target,
                            ": ",
                            Code(_short(f.c.command)),
                            f" in {source.job_label} ",
                            Code(source.job),
                            " (",
                            Code(self.shown(source.pipeline)),
                            ")",
                        ),
                        Confidence.DECLARED if f.path == source.pipeline else Confidence.INFERRED,
                        self._evidence(*f.places()),
                        item=f"{job.pipeline}:{job.job}:{source.job}:{f.step}:{n}",
                        order=(0, job.pipeline, job.index, source.index, f.step, STEP_KINDS.index(f.c.kind)),
                        rank=40,
                        attrs={**attrs, "step": STEP_TITLES[f.c.kind], "environment": env},
                    )
                )
        return facts

    def _rollbacks(self, job: Job, items: list[Found], attrs: dict[str, Any], deploys: bool) -> list[Fact]:
        facts = []
        deploy_commands = {f.c.command for f in items if f.c.kind == "deploy"}
        for f in items:
            if f.c.kind == "rollback":
                if f.c.automatic:
                    parts = text(
                        "Automatic: ", Code(_short(f.c.command)), " rolls a failed release back", *self._here(job)
                    )
                elif f.on_failure:
                    parts = text(
                        "On failure of deployment job ",
                        Code(job.job),
                        ": ",
                        Code(_short(f.c.command)),
                        " (",
                        Code(self.shown(job.pipeline)),
                        ")",
                    )
                else:
                    parts = text(Code(_short(f.c.command)), *self._here(job), ", ", *self.when(job))
                facts.append(
                    Fact(
                        "deploy.rollback.perform",
                        parts,
                        Confidence.DECLARED,
                        self._evidence(*f.places()),
                        item=f"{job.pipeline}:{job.job}:{f.c.tool}",
                        tech=_tech(self.catalog, f.c.tool),
                        order=(0, job.pipeline, job.index, f.step),
                        rank=40,
                        attrs=attrs,
                    )
                )
            elif f.c.kind == "verify" and deploys and not f.on_failure and f.c.command not in deploy_commands:
                # The pipeline checks its deploys; that the same check verifies a rollback (a redeploy
                # of an older version through this job) is our reading, not something it says.
                facts.append(
                    Fact(
                        "deploy.rollback.verify",
                        text(Code(_short(f.c.command)), " after the deploy", *self._here(job)),
                        Confidence.INFERRED,
                        self._evidence(*f.places()),
                        item=f"{job.pipeline}:{job.job}:{f.c.rule}",
                        order=(0, job.pipeline, job.index, f.step),
                        rank=40,
                        attrs=attrs,
                    )
                )
        steps_on_failure = [s for s in job.steps if s.on_failure]
        if steps_on_failure and not any(f.on_failure and f.c.kind == "rollback" for f in items):
            first = steps_on_failure[0]
            facts.append(
                Fact(
                    "deploy.rollback.perform",
                    text(
                        "On failure of deployment job ",
                        Code(job.job),
                        ": the ",
                        Code("on: failure"),
                        " hook runs ",
                        Code(first.title),
                        " (",
                        Code(self.shown(job.pipeline)),
                        ")",
                    ),
                    Confidence.DECLARED,
                    self._evidence((job.pipeline, first.line)),
                    item=f"{job.pipeline}:{job.job}:hook",
                    order=(0, job.pipeline, job.index, 0),
                    rank=45,
                    attrs=attrs,
                )
            )
        return facts

    def _migrations(
        self, job: Job, items: list[Found], attrs: dict[str, Any], deploys: list[Found], later_jobs: list[str]
    ) -> list[Fact]:
        facts = []
        for f in items:
            if f.c.kind == "migrate":
                later = [d for d in deploys if d.step >= f.step]
                when = (
                    text(" before ", Code(_short(later[0].c.command)))
                    if later
                    else text(" before job ", Code(later_jobs[0]))
                    if later_jobs
                    else ()
                )
                facts.append(
                    Fact(
                        "deploy.migration.strategy",
                        text(
                            f"CI step: {job.job_label} ",
                            Code(job.job),
                            " runs ",
                            Code(_short(f.c.command)),
                            *when,
                            " (",
                            Code(self.shown(job.pipeline)),
                            "), on ",
                            *self.when(job),
                        ),
                        Confidence.DECLARED if f.path == job.pipeline else Confidence.INFERRED,
                        self._evidence(*f.places()),
                        item=f"{job.pipeline}:{job.job}:{f.c.tool}",
                        tech=_tech(self.catalog, f.c.tool),
                        order=(0, job.pipeline, job.index, f.step),
                        rank=40,
                        attrs={**attrs, "where": "ci", "tool": f.c.tool},
                    )
                )
            elif f.c.kind == "migrate-rollback":
                facts.append(
                    Fact(
                        "deploy.migration.rollback",
                        text(Code(_short(f.c.command)), *self._here(job), ", on ", *self.when(job)),
                        Confidence.DECLARED,
                        self._evidence(*f.places()),
                        item=f"{job.pipeline}:{job.job}:{f.c.tool}",
                        tech=_tech(self.catalog, f.c.tool),
                        order=(0, job.pipeline, job.index, f.step),
                        rank=40,
                        attrs=attrs,
                    )
                )
        return facts


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _operands(command: str) -> str:
    """A command's words that may name an environment: no option names (bank-of-anthos's
    `--gcs-source-staging-dir` is no staging deploy; `--stage prod` deploys prod) and no variables
    (`$_SOURCE_STAGING_BUCKET`), only the values written."""
    words = []
    for word in command.split():
        if word.startswith("-"):
            word = word.partition("=")[2]
        words.append(without_dynamic(word))
    return " ".join(w for w in words if w.strip())
_ASSIGNMENT = re.compile(
    r"""^(?:export\s+)?(?P<name>[A-Za-z_]\w*)=(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>\S*))$"""
)
_VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")


def _registry_through_variables(c: Classification, assigned: Mapping[str, str]) -> Classification:
    """`IMAGE="${AWS_ECR_IMAGE}"` earlier in the job: `docker push $IMAGE:$TAG` goes to ECR."""
    found = []
    for image in c.detail["images"]:
        expanded = _VARIABLE.sub(lambda m: assigned.get(m.group(1) or m.group(2), m.group(0)), str(image))
        registry = registry_of(expanded)
        if registry is not None and registry not in found:
            found.append(registry)
    if not found:
        return c
    # A new classification: the classifier's are shared between every identical command.
    return replace(c, detail={**c.detail, "registries": [{"id": r.id, "name": r.name, "host": r.host} for r in found]})


# A job whose name says it ships the app (`Deploy for production`, `Deliver for development`).
_DEPLOY_NAME = re.compile(r"(?i)\b(?:deploy|deliver|release|ship)")
_ENV_VARIABLE = re.compile(r"\$\{?\w*(?:BRANCH|ENV|ENVIRONMENT|STAGE|TIER)\w*\}?", re.I)


def _tech(catalog: Catalog, tool: str) -> str | None:
    return tool if tool in catalog.techs else None


@cache
def _run_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """A run's own id in a command, and the commands that remove what was deployed
    (data/pipeline_steps.yaml `run_ids`, `run_teardown`)."""
    catalog = step_catalog()
    return catalog.pattern("run_ids"), catalog.pattern("run_teardown")


def run_ids(command: str) -> set[str]:
    """The CI run's own ids a command names (`$BUILD_ID`, `${CI_PIPELINE_ID}`): what a throwaway
    deployment is named for."""
    return {m.group(0).strip("${}") for m in _run_patterns()[0].finditer(command)}


def removes(command: str, named: set[str]) -> bool:
    """Whether a command removes something named for one of these run ids (`gcloud run services
    delete app-$BUILD_ID`): the end of a throwaway deployment."""
    return bool(named) and bool(_run_patterns()[1].search(command)) and bool(run_ids(command) & named)


def _removed_after(job: Job, deploys: list[Found]) -> tuple[str, str, int] | None:
    """The command after a deploy of something named for this run that removes that same thing
    (the same run id in both), with where it is written; None for any other job. Not a step that
    runs only when the deploy failed."""
    named = {i for f in deploys for i in run_ids(f.c.command)}
    if not named:
        return None
    first = min(f.step for f in deploys)
    for index, step in enumerate(job.steps):
        if index <= first or step.on_failure:
            continue
        for command, line in step.commands:
            if removes(command, named):
                return command, step.path or job.pipeline, line
    return None


def _short(command: str) -> str:
    return one_line(command, 120)


def _join(parts: Iterable[Part]) -> tuple[Part, ...]:
    out: list[Part] = []
    for i, part in enumerate(parts):
        if i:
            out.append(", ")
        out.append(part)
    return tuple(out)


def _registry_parts(registries: list[dict[str, Any]]) -> tuple[Part, ...]:
    unique = list({r["id"]: r for r in registries}.values())
    if not unique:
        return ("a registry",)
    out: list[Part] = []
    for i, r in enumerate(unique):
        out.append(", " if i else "")
        out.extend(text(r["name"], " (", Code(r["host"]), ")") if r.get("host") else (r["name"],))
    return text(*out)


def trigger_parts(triggers: list[Trigger]) -> tuple[Part, ...]:
    """Triggers joined in a sentence: "push to `main`, tags `v*` and pull requests"."""
    return phrase_list(trigger.parts() for trigger in triggers)


_BLOCK_SCALAR = re.compile(r"[|>][-+]?\d*\s*(?:#.*)?$")


def content_line(lines: Sequence[str], line: int) -> int:
    """The first line of a scalar's text: the line after `key: |` for block scalars."""
    if 0 < line <= len(lines) and _BLOCK_SCALAR.search(lines[line - 1]):
        return line + 1
    return line


@lru_cache(maxsize=4)
def _source_lines(source: str) -> tuple[str, ...]:
    """A pipeline file's lines, split once for all its steps' scripts (not once per script)."""
    return tuple(source.splitlines())


def script_commands(source: str, line: int, script: str) -> list[tuple[str, int]]:
    """A script's commands, each with the line it starts on; in a folded scalar (`key: >`), the line
    its own text starts on (microservices-demo's Cloud Build step cited `gcloud`'s line for the
    `skaffold run` below it)."""
    lines = _source_lines(source)
    start = content_line(lines, line)
    commands = split_commands(script)
    block = folded_block(lines, line)
    if block is None:
        return [(c.text, start + c.offset) for c in commands]
    return [(c.text, start + offset) for c, offset in zip(commands, folded_offsets(block, commands), strict=True)]


def folded_block(lines: Sequence[str], line: int) -> list[str] | None:
    """The source lines of the folded scalar (`key: >`, `- >-`) whose indicator is on `line` (1-based),
    up to the first line indented no deeper than it; None when it is not one."""
    if not 0 < line <= len(lines):
        return None
    indicator = lines[line - 1].split(" #")[0].rstrip()
    if not re.search(r"(?:^|[\s:-])>[-+0-9]*$", indicator):
        return None
    # the text is indented past its parent: the key of `- run: >` (not the dash), or the dash of `- >`
    item = re.match(r"(\s*)-\s+(?=[^\s>][^:]*:)", indicator)
    indent = item.end() if item else len(indicator) - len(indicator.lstrip())
    block = []
    for text_line in lines[line:]:
        if text_line.strip() and len(text_line) - len(text_line.lstrip()) <= indent:
            break
        block.append(text_line)
    return block


def allowed_to_fail(setting: str) -> tuple[Part, ...]:
    """What a test statement adds for a suite whose failures block nothing (`allow_failure: true`,
    `continue-on-error: true`): a reader must not count on it."""
    return text("; allowed to fail (", Code(setting), ")")


def alert_fact(detector: Detector, path: str, line: int, channel: str, where: tuple[Part, ...]) -> Fact:
    """A pipeline that notifies a channel: the channel exists; what it is told about is set elsewhere."""
    return Fact(
        "alert.channels",
        text(channel, " notification from the pipeline", *where),
        Confidence.HINT,
        detector.evidence(path, line),
        item=f"ci:{channel.lower()}",
        order=(path, line),
        rank=70,
    )


def service_entry(image: str, name: str, line: int) -> dict[str, Any]:
    return {"image": image, "name": name, "line": line}
