"""Bitbucket Pipelines: `bitbucket-pipelines.yml`.

Pipelines run on every push (`default`), pushes to matching branches (`branches`), tags (`tags`),
pull requests from matching branches (`pull-requests`) or by hand (`custom`). Each step is a job:
its `deployment:` names the environment explicitly (Bitbucket's test/staging/production tiers or a
custom environment), `trigger: manual` pauses the pipeline there (that step and the steps after it
wait for a person), `services:` start test infrastructure from `definitions.services`, and scripts
mix shell commands with pipes (`atlassian/aws-ecs-deploy`), which are data in
`data/pipeline_steps.yaml`. Anchors (`- step: *deploy`) are resolved by the YAML loader.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infrascan.detector import Detector, Extraction, ResolveContext, SourceFile
from infrascan.model import Code, Confidence, Fact, text
from infrascan.yamlload import YDict, YList, line_of

from ._pipelines import Job, PipelineFacts, Step, Trigger, alert_fact, script_commands, service_entry, step_catalog

CI = "bitbucket-pipelines"


@dataclass(frozen=True)
class _Context:
    """Where a pipeline sits in the file: its line, the service definitions, the first job index."""

    line: int
    services: Any
    start: int
    has_branches: bool


def _steps(items: Any) -> list[tuple[YDict, YDict | None]]:
    """The steps of a pipeline in order, each with the `stage` it belongs to (parallel groups flattened)."""
    out: list[tuple[YDict, YDict | None]] = []
    if not isinstance(items, list):
        return out
    for item in items:
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("step"), YDict):
            out.append((item["step"], None))
        parallel = item.get("parallel")
        if isinstance(parallel, dict):
            parallel = parallel.get("steps")
        out.extend(_steps(parallel))
        stage = item.get("stage")
        if isinstance(stage, YDict):
            out.extend((step, stage) for step, _ in _steps(stage.get("steps")))
    return out


class BitbucketPipelinesDetector(Detector):
    name = "bitbucket"
    version = "1"
    description = "Bitbucket Pipelines: pipelines and triggers, steps, deployments, manual steps, services, pipes"
    patterns = ("bitbucket-pipelines.yml", "bitbucket-pipelines.yaml")
    looks_for = {
        "ci.build": "build commands and pipes in bitbucket-pipelines.yml steps",
        "ci.test.unit": "test commands in bitbucket-pipelines.yml steps",
        "ci.test.integration": "test steps with definitions.services in bitbucket-pipelines.yml",
        "ci.test.e2e": "browser-test commands in bitbucket-pipelines.yml steps",
        "ci.deploy.manual": "`trigger: manual` steps and custom pipelines in bitbucket-pipelines.yml",
        "ci.deploy.automated": "`deployment:` steps on branch/tag pipelines in bitbucket-pipelines.yml",
        "deploy.steps": "steps of deployment pipelines in bitbucket-pipelines.yml",
        "env.purpose": "automated steps with `deployment: staging` in bitbucket-pipelines.yml",
    }

    def extract(self, file: SourceFile) -> Extraction:
        out = Extraction()
        doc = self.yaml_mapping(file, out)
        if doc is None:
            return out
        pipelines = doc.get("pipelines")
        if not isinstance(pipelines, YDict):
            out.diagnostics.append(self.diagnostic(file.path, doc.line, "no `pipelines:` map; nothing runs"))
            return out
        definitions = doc.get("definitions")
        services = definitions.get("services") if isinstance(definitions, dict) else None
        jobs: list[Job] = []
        has_branches = isinstance(pipelines.get("branches"), dict) and bool(pipelines["branches"])
        for section, pattern, items, line in self._pipelines(pipelines, file, out):
            context = _Context(line, services, len(jobs), has_branches)
            jobs.extend(self._pipeline(file, section, pattern, items, context, out))
        out.records.extend(job.to_record() for job in jobs)
        return out

    def _pipelines(self, pipelines: YDict, file: SourceFile, out: Extraction) -> list[tuple[str, str | None, Any, int]]:
        found: list[tuple[str, str | None, Any, int]] = []
        for section, value in pipelines.items():
            line = line_of(pipelines, section)
            if section == "default":
                found.append((section, None, value, line))
            elif section in ("branches", "tags", "pull-requests", "custom") and isinstance(value, YDict):
                found.extend((section, str(k), v, line_of(value, k)) for k, v in value.items())
            else:
                out.diagnostics.append(self.diagnostic(file.path, line, f"unknown pipelines section {section!r}"))
        return found

    @staticmethod
    def _trigger(section: str, pattern: str | None, has_branches: bool) -> tuple[list[Trigger], tuple[Any, ...]]:
        if section == "default":
            return [Trigger("push_default" if has_branches else "push")], ()
        if section == "branches":
            return [Trigger("push", pattern or "")], ()
        if section == "tags":
            return [Trigger("tag", pattern or "")], ()
        if section == "pull-requests":
            return [Trigger("pull_request_from", "" if pattern in ("**", "*") else pattern or "")], ()
        return [Trigger("manual", "")], text("running custom pipeline ", Code(pattern or ""), " from Bitbucket")

    def _pipeline(
        self, file: SourceFile, section: str, pattern: str | None, items: Any, context: _Context, out: Extraction
    ) -> list[Job]:
        triggers, manual_how = self._trigger(section, pattern, context.has_branches)
        where = "default" if pattern is None else f"{section}: {pattern}"
        if items is not None and not isinstance(items, list):
            out.diagnostics.append(
                self.diagnostic(file.path, context.line, f"pipeline `{where}` is not a list of steps")
            )
        jobs: list[Job] = []
        gate: tuple[Any, ...] = manual_how
        gate_line = context.line if manual_how else 0
        previous: str | None = None
        seen_stages: set[int] = set()
        for n, (step, stage) in enumerate(_steps(items)):
            name = str(step.get("name") or (stage.get("name") if stage else None) or f"step {n + 1}")
            first_of_stage = stage is not None and id(stage) not in seen_stages
            if stage is not None:
                seen_stages.add(id(stage))
            stage_manual = stage is not None and first_of_stage and stage.get("trigger") == "manual"
            # every `trigger: manual` step waits for its own click; steps after it wait for that one
            if step.get("trigger") == "manual" or stage_manual:
                gate = text(Code("trigger: manual"), " on step ", Code(name))
                holder = stage if stage_manual and stage is not None else step
                gate_line = line_of(holder, "trigger", holder.line)
            environment = step.get("deployment") or (stage.get("deployment") if stage else None)
            env_line = line_of(step, "deployment", 0) or (line_of(stage, "deployment", 0) if stage else 0)
            key = f"{where}#{n + 1}"
            job = Job(
                ci=CI,
                pipeline=file.path,
                job=name,
                key=key,
                index=context.start + len(jobs),
                line=step.line,
                stage=str(stage.get("name")) if stage and stage.get("name") else None,
                needs=[previous] if previous else [],
                triggers=triggers,
                environment=str(environment) if isinstance(environment, str) else None,
                environment_line=env_line,
                manual=bool(gate),
                manual_how=gate,
                gate_line=gate_line,
                names=[name, where],
                services=self._services(step, context.services),
            )
            job.steps = self._step_commands(file, step, out)
            jobs.append(job)
            previous = key
        return jobs

    @staticmethod
    def _services(step: YDict, definitions: Any) -> list[dict[str, Any]]:
        names = step.get("services")
        out = []
        for index, service in enumerate(names if isinstance(names, list) else []):
            spec = definitions.get(service) if isinstance(definitions, dict) else None
            image = spec.get("image") if isinstance(spec, dict) else None
            if isinstance(image, dict):
                image = image.get("name")
            if isinstance(image, str):
                out.append(service_entry(image, str(service), line_of(names, index)))
        return out

    def _step_commands(self, file: SourceFile, step: YDict, out: Extraction) -> list[Step]:
        steps: list[Step] = []
        for key in ("script", "after-script"):
            script = step.get(key)
            if script is None:
                continue
            if not isinstance(script, YList):
                out.diagnostics.append(
                    self.diagnostic(file.path, line_of(step, key), f"`{key}` is not a list of commands")
                )
                continue
            for index, item in enumerate(script):
                line = line_of(script, index)
                if isinstance(item, (str, int)):
                    title = str(step.get("name") or item)
                    commands = script_commands(file.text, line, str(item))
                    steps.append(Step(title=title, line=line, commands=commands))
                elif isinstance(item, dict) and isinstance(item.get("pipe"), str):
                    steps.append(self._pipe(file, item, line, out))
        return steps

    def _pipe(self, file: SourceFile, item: dict[str, Any], line: int, out: Extraction) -> Step:
        pipe = str(item["pipe"])
        raw = item.get("variables")
        variables: dict[str, Any] = raw if isinstance(raw, dict) else {}
        name = pipe.split(":", 1)[0]
        found = step_catalog().lookup("bitbucket_pipes", "pipe", name, variables)
        step = Step(title=pipe, line=line, ref=pipe)
        if found is None:
            return step
        step.does = found.does
        step.commands = [(c, line) for c in found.commands]
        if found.alert:
            out.facts.append(alert_fact(self, file.path, line, found.alert, text(" (pipe ", Code(name), ")")))
        return step

    def resolve(self, ctx: ResolveContext) -> list[Fact]:
        facts = PipelineFacts(self, ctx)
        out = facts.facts()
        for job in facts.jobs():
            if job.environment:
                out.append(
                    Fact(
                        "ci.deploy.manual",
                        text(
                            "Check the deployment permissions of environment ",
                            Code(job.environment),
                            " in the repository settings (Bitbucket can restrict who deploys and from which branch)",
                        ),
                        Confidence.HINT,
                        self.evidence(job.pipeline, job.environment_line or job.line),
                        item=f"permissions:{job.environment}",
                        rank=70,
                        order=(0, job.pipeline, job.index, 0),
                        attrs=facts.attrs(job, job.environment),
                    )
                )
        return out
