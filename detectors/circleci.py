"""CircleCI: `.circleci/config.yml`.

Workflows list the jobs that run (`workflows.<name>.jobs[]`), with `requires` (the job graph),
`filters` (branches and tags: CircleCI runs a job on every branch and on no tag unless filters say
otherwise), `context` (often named after the environment) and `type: approval` (a job that waits
for a person: everything that requires it is a manual deploy). Scheduled workflows
(`triggers: - schedule`) run on cron instead of on push. A job's first `docker:` image is where its
steps run; the others are services (test databases). Steps are `run` commands, reusable
`commands` (inlined) and orb jobs and commands (`aws-ecs/deploy-service-update`), which are data in
`data/pipeline_steps.yaml`.
"""

from __future__ import annotations

import re
from typing import Any

from infrascan.detector import Detector, Extraction, ResolveContext, SourceFile
from infrascan.model import Code, Fact, text
from infrascan.yamlload import YDict, YList, line_of

from ._pipelines import Job, PipelineFacts, Step, Trigger, alert_fact, script_commands, service_entry, step_catalog

CI = "circleci"
MAX_INLINE = 8  # reusable commands calling reusable commands: depth guard against cycles


def _patterns(value: Any) -> list[str]:
    if isinstance(value, (str, int)):
        return [str(value)]
    return [str(v) for v in value] if isinstance(value, list) else []


def _filter_triggers(filters: Any) -> list[Trigger] | None:
    """The triggers a job's `filters` allow; None when the job has no filters of its own."""
    if not isinstance(filters, dict):
        return None
    raw_branches, raw_tags = filters.get("branches"), filters.get("tags")
    branches: dict[str, Any] = raw_branches if isinstance(raw_branches, dict) else {}
    tags: dict[str, Any] = raw_tags if isinstance(raw_tags, dict) else {}
    triggers: list[Trigger] = []
    only = _patterns(branches.get("only"))
    ignore = _patterns(branches.get("ignore"))
    if only:
        triggers.extend(Trigger("push", p) for p in only)
    elif not any(p in ("/.*/", ".*") for p in ignore):
        triggers.append(Trigger("push", "", tuple(ignore)))
    triggers.extend(Trigger("tag", p) for p in _patterns(tags.get("only")))
    if tags and not tags.get("only") and tags.get("ignore") is None:
        triggers.append(Trigger("tag", ""))
    return triggers


class CircleCIDetector(Detector):
    name = "circleci"
    version = "1"
    description = "CircleCI: workflows, job filters and approvals, orbs, services, scheduled workflows"
    patterns = (".circleci/config.yml", ".circleci/config.yaml")
    looks_for = {
        "ci.build": "build commands and orb jobs in .circleci/config.yml",
        "ci.test.unit": "test commands in .circleci/config.yml jobs",
        "ci.test.integration": "test jobs with service containers in .circleci/config.yml",
        "ci.test.e2e": "browser-test commands and orbs in .circleci/config.yml",
        "ci.deploy.manual": "`type: approval` jobs in .circleci/config.yml workflows",
        "ci.deploy.automated": "deploy jobs and their branch/tag filters in .circleci/config.yml",
        "deploy.steps": "deploy jobs and the jobs they require in .circleci/config.yml",
    }

    def extract(self, file: SourceFile) -> Extraction:
        out = Extraction()
        config = self.yaml_mapping(file, out)
        if config is None:
            return out
        reader = _ConfigReader(self, file, config, out)
        out.records.extend(job.to_record() for job in reader.jobs())
        return out

    def resolve(self, ctx: ResolveContext) -> list[Fact]:
        return PipelineFacts(self, ctx).facts()


class _ConfigReader:
    """Reads one config: orbs, executors, jobs, reusable commands, workflows."""

    def __init__(self, detector: CircleCIDetector, file: SourceFile, config: YDict, out: Extraction) -> None:
        self.detector = detector
        self.file = file
        self.out = out
        self.orbs = {str(k): str(v).split("@", 1)[0] for k, v in _map(config.get("orbs")).items() if isinstance(v, str)}
        self.executors = _map(config.get("executors"))
        self.jobs_def = _map(config.get("jobs"))
        self.commands = _map(config.get("commands"))
        self.workflows = config.get("workflows")
        self.config = config

    def _warn(self, line: int, message: str) -> None:
        self.out.diagnostics.append(self.detector.diagnostic(self.file.path, line, message))

    def jobs(self) -> list[Job]:
        if not isinstance(self.workflows, YDict):
            if self.jobs_def:
                self._warn(self.config.line, "no `workflows:`; CircleCI 2.0 runs only the job named `build`")
                build = self.jobs_def.get("build")
                if isinstance(build, YDict):
                    job = self._job("build", "build", {}, [Trigger("push")], 0, line_of(self.jobs_def, "build"))
                    return [job] if job else []
            return []
        jobs: list[Job] = []
        for wf_name, workflow in self.workflows.items():
            if wf_name == "version" or not isinstance(workflow, YDict):
                continue
            jobs.extend(self._workflow(str(wf_name), workflow, len(jobs)))
        return jobs

    def _workflow(self, name: str, workflow: YDict, start: int) -> list[Job]:
        scheduled = self._schedules(workflow)
        entries = workflow.get("jobs")
        if not isinstance(entries, YList):
            self._warn(workflow.line, f"workflow `{name}` has no `jobs:` list")
            return []
        parsed: dict[str, tuple[str, dict[str, Any], int]] = {}
        for index, entry in enumerate(entries):
            key, params = (entry, {}) if isinstance(entry, str) else next(iter(entry.items()), ("", {}))
            params = params if isinstance(params, dict) else {}
            alias = str(params.get("name") or key)
            parsed[alias] = (str(key), params, line_of(entries, index))
        approvals = {a for a, (_, p, _) in parsed.items() if p.get("type") == "approval"}
        triggers: dict[str, list[Trigger]] = {}

        def effective(alias: str, seen: frozenset[str] = frozenset()) -> list[Trigger]:
            if alias in triggers:
                return triggers[alias]
            _, params, _ = parsed[alias]
            own = _filter_triggers(params.get("filters"))
            if own is None:
                upstream = [r for r in _patterns(params.get("requires")) if r in parsed and r not in seen]
                own = [t for r in upstream for t in effective(r, seen | {alias})] if upstream else [Trigger("push")]
                own = list({(t.kind, t.value): t for t in own}.values())
            triggers[alias] = scheduled if scheduled is not None else own
            return triggers[alias]

        jobs: list[Job] = []
        for alias, (key, params, line) in parsed.items():
            if alias in approvals:
                continue
            gate = self._gate(alias, parsed, approvals)
            job = self._job(key, alias, params, effective(alias), start + len(jobs), line)
            if job is None:
                continue
            job.stage = name
            job.stage_label = "workflow"
            job.needs = self._needs(alias, parsed, approvals)
            if gate:
                job.manual = True
                job.manual_how = text("approval job ", Code(gate), " in workflow ", Code(name))
                job.gate_line = parsed[gate][2]
            if isinstance(params.get("context"), (str, list)):
                job.names.extend(_patterns(params.get("context")))
            jobs.append(job)
        return jobs

    @staticmethod
    def _needs(alias: str, parsed: dict[str, tuple[str, dict[str, Any], int]], approvals: set[str]) -> list[str]:
        """The jobs this one requires, seeing through approval jobs to what they require."""
        needs: list[str] = []
        todo, seen = list(_patterns(parsed[alias][1].get("requires"))), {alias}
        while todo:
            req = todo.pop(0)
            if req in seen or req not in parsed:
                continue
            seen.add(req)
            if req in approvals:
                todo.extend(_patterns(parsed[req][1].get("requires")))
            else:
                needs.append(req)
        return needs

    def _gate(self, alias: str, parsed: dict[str, tuple[str, dict[str, Any], int]], approvals: set[str]) -> str | None:
        """The approval job this job waits for, directly or through the jobs it requires."""
        todo, seen = [alias], {alias}
        while todo:
            current = todo.pop(0)
            for req in _patterns(parsed[current][1].get("requires")):
                if req in approvals:
                    return req
                if req in parsed and req not in seen:
                    seen.add(req)
                    todo.append(req)
        return None

    def _schedules(self, workflow: YDict) -> list[Trigger] | None:
        triggers = workflow.get("triggers")
        if not isinstance(triggers, list):
            return None
        found = [
            Trigger("schedule", str(t["schedule"].get("cron")))
            for t in triggers
            if isinstance(t, dict) and isinstance(t.get("schedule"), dict) and t["schedule"].get("cron")
        ]
        return found or None

    # -- one job ----------------------------------------------------------------------------

    def _job(
        self, key: str, alias: str, params: dict[str, Any], triggers: list[Trigger], index: int, line: int
    ) -> Job | None:
        job = Job(
            ci=CI,
            pipeline=self.file.path,
            job=alias,
            index=index,
            line=line,
            triggers=triggers,
            names=[alias] if alias == key else [alias, key],
        )
        if "/" in key:
            job.steps = [
                *self._steps(params.get("pre-steps"), params, 0),
                self._orb_step(key, params, line, (params,)),
                *self._steps(params.get("post-steps"), params, 0),
            ]
            return job
        definition = self.jobs_def.get(key)
        if not isinstance(definition, YDict):
            self._warn(line, f"workflow job `{key}` is not defined under `jobs:` or by an orb")
            return None
        job.services = self._services(definition)
        job.steps = [
            *self._steps(params.get("pre-steps"), params, 0),
            *self._steps(definition.get("steps"), {**params}, 0),
            *self._steps(params.get("post-steps"), params, 0),
        ]
        return job

    def _services(self, definition: YDict) -> list[dict[str, Any]]:
        images = definition.get("docker")
        executor = definition.get("executor")
        if images is None and executor is not None:
            name = executor.get("name") if isinstance(executor, dict) else executor
            spec = self.executors.get(str(name)) if name is not None else None
            images = spec.get("docker") if isinstance(spec, dict) else None
        if not isinstance(images, YList):
            return []
        out = []
        for i, item in enumerate(images):
            if i == 0 or not isinstance(item, dict) or not isinstance(item.get("image"), str):
                continue
            out.append(service_entry(item["image"], str(item.get("name") or item["image"]), line_of(images, i)))
        return out

    def _steps(self, steps: Any, params: dict[str, Any], depth: int) -> list[Step]:
        out: list[Step] = []
        if not isinstance(steps, YList):
            return out
        for index, raw in enumerate(steps):
            line = line_of(steps, index)
            if isinstance(raw, str):
                out.extend(self._named_step(raw, {}, line, params, depth))
                continue
            if not isinstance(raw, dict) or not raw:
                continue
            name, body = next(iter(raw.items()))
            if name == "run":
                out.append(self._run(body, line, params))
            elif name in ("when", "unless") and isinstance(body, dict):
                out.extend(self._steps(body.get("steps"), params, depth))
            else:
                out.extend(self._named_step(str(name), body if isinstance(body, dict) else {}, line, params, depth))
        return out

    def _run(self, body: Any, line: int, params: dict[str, Any]) -> Step:
        if isinstance(body, dict):
            command, title = str(body.get("command", "")), str(body.get("name") or body.get("command", ""))
            start = line_of(body, "command", line)
        else:
            command, title, start = str(body), str(body), line
        command = _substitute(command, params)
        commands = script_commands(self.file.text, start, command)
        return Step(title=title.strip().splitlines()[0] if title.strip() else "run", line=line, commands=commands)

    def _named_step(self, name: str, body: dict[str, Any], line: int, params: dict[str, Any], depth: int) -> list[Step]:
        if "/" in name:
            return [self._orb_step(name, {**params, **body}, line, (body, params))]
        command = self.commands.get(name)
        if isinstance(command, YDict) and depth < MAX_INLINE:
            defaults = {
                str(k): v.get("default") for k, v in _map(command.get("parameters")).items() if isinstance(v, dict)
            }
            return self._steps(command.get("steps"), {**defaults, **params, **body}, depth + 1)
        if isinstance(command, YDict):
            self._warn(line, f"reusable command `{name}` nests deeper than {MAX_INLINE} levels (a cycle?); not inlined")
        return []

    def _orb_step(self, name: str, params: dict[str, Any], line: int, written: tuple[Any, ...]) -> Step:
        """An orb job or command; `written` are the mappings its parameters were read from (for lines)."""
        alias, _, rest = name.partition("/")
        orb = self.orbs.get(alias, alias)
        found = step_catalog().lookup("circleci_orbs", "orb", f"{orb}/{rest}", params)
        step = Step(title=name, line=line, ref=name)
        if found is not None:
            step.does = found.does
            for d in step.does:
                # `verify-revision-is-deployed: true` proves the verify, not the orb's first line.
                lines = [_param_line(m, k) for k in d.get("keys", []) for m in written]
                d["line"] = next((n for n in lines if n), 0)
            step.commands = [(c, line) for c in found.commands]
            if found.alert:
                self.out.facts.append(
                    alert_fact(self.detector, self.file.path, line, found.alert, text(" (orb step ", Code(name), ")"))
                )
        return step


def _param_line(mapping: Any, name: str) -> int:
    """The line of parameter `name` in a loaded mapping (written `a_b` or `a-b`), 0 when absent."""
    if not isinstance(mapping, YDict):
        return 0
    wanted = name.lower().replace("_", "-")
    key = next((k for k in mapping if str(k).lower().replace("_", "-") == wanted), None)
    return mapping.line_of(key, 0) if key is not None else 0


def _map(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


_PARAM = re.compile(r"<<\s*parameters\.([\w-]+)\s*>>")


def _substitute(command: str, params: dict[str, Any]) -> str:
    """`<< parameters.env >>` replaced by the value the workflow passes (kept as written otherwise)."""

    def value(match: re.Match[str]) -> str:
        found = params.get(match.group(1))
        return str(found) if isinstance(found, (str, int)) else match.group(0)

    return _PARAM.sub(value, command)
