"""Azure Pipelines: `azure-pipelines.y{a,}ml`, `.azure-pipelines/**` and the templates they use.

A pipeline runs on pushes (`trigger`, every branch when absent, never with `trigger: none`), pull
requests (`pr`) and `schedules`; `stage`/`job` `condition`s narrow that (`eq(variables
['Build.SourceBranch'], 'refs/heads/main')`). Stages run one after the other unless `dependsOn`
says otherwise. A `deployment` job names its `environment` (`prod` or `prod.namespace`) and a
`strategy` (runOnce, rolling, canary) whose lifecycle hooks hold the steps; `on: failure` is the
rollback hook. Approvals and checks live on the environment in Azure DevOps, not in YAML: each
deployment gets a hint to check them. Tasks (`HelmDeploy@0`, `AzureWebApp@1`, `Docker@2`...) are
data in `data/pipeline_steps.yaml`; a `ManualValidation` task is a gate written in the pipeline.

`template:` references to files in this repository are inlined in phase 2 (with their
`parameters`), whatever directory they live in: files are claimed by name or by content (a
`- task: X@1`, `vmImage:` or `displayName:` line). Templates from other repositories
(`file.yml@repo`) are recorded as unresolved.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

from infrascan.detector import Detector, Extraction, Record, ResolveContext, Sniff, SourceFile
from infrascan.model import Code, Confidence, Fact, Severity, text
from infrascan.yamlload import YDict, YList, line_of

from ._pipelines import Job, PipelineFacts, Step, Trigger, script_commands, service_entry, step_catalog

CI = "azure-pipelines"
FILE_RECORD = "azure.file"
MAX_DEPTH = 10  # template nesting Azure DevOps itself allows up to 100 files; cycles stop here
_SCRIPT_KEYS = ("script", "bash", "pwsh", "powershell")
_HOOKS = ("preDeploy", "deploy", "routeTraffic", "postRouteTraffic")
_PARAM = re.compile(r"\$\{\{\s*parameters\.([\w.-]+)\s*\}\}")
_BRANCH_EQ = re.compile(
    r"eq\(\s*variables\[?'?\.?(?:Build\.SourceBranch|build\.sourceBranch)'?\]?\s*,\s*'refs/heads/([^']+)'\s*\)", re.I
)
_BRANCH_NAME_EQ = re.compile(r"eq\(\s*variables\[?'?\.?Build\.SourceBranchName'?\]?\s*,\s*'([^']+)'\s*\)", re.I)
_TAGS = re.compile(r"startsWith\(\s*variables\[?'?\.?Build\.SourceBranch'?\]?\s*,\s*'refs/tags/([^']*)'\s*\)", re.I)
_REASON = re.compile(r"(eq|ne)\(\s*variables\[?'?\.?Build\.Reason'?\]?\s*,\s*'(\w+)'\s*\)", re.I)


def _list(value: Any) -> list[str]:
    if isinstance(value, (str, int)):
        return [str(value)]
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, (str, int))]
    return []


def _includes(value: Any) -> list[str]:
    """`[main, release/*]` or `{branches: {include: [...]}}` -> the included patterns."""
    if isinstance(value, list):
        return _list(value)
    if isinstance(value, dict):
        branches = value.get("branches")
        if isinstance(branches, dict):
            return _list(branches.get("include"))
        return _list(branches)
    return []


def _triggers(doc: YDict) -> list[Trigger]:
    triggers: list[Trigger] = []
    trigger = doc.get("trigger", "__default__")
    if trigger == "__default__":
        triggers.append(Trigger("push"))
    elif trigger != "none" and trigger is not None:
        branches = _includes(trigger)
        triggers.extend(Trigger("push", "" if b == "*" else b) for b in branches)
        if not branches and not (isinstance(trigger, dict) and trigger.get("tags")):
            triggers.append(Trigger("push"))
        if isinstance(trigger, dict) and isinstance(trigger.get("tags"), dict):
            tags = _list(trigger["tags"].get("include")) or [""]
            triggers.extend(Trigger("tag", "" if t == "*" else t) for t in tags)
    pr = doc.get("pr", "__default__")
    if pr == "__default__":
        triggers.append(Trigger("pull_request"))
    elif pr != "none" and pr is not None:
        branches = _includes(pr)
        triggers.extend(Trigger("pull_request", "" if b == "*" else b) for b in branches or ["*"])
    for schedule in doc.get("schedules") or []:
        if isinstance(schedule, dict) and schedule.get("cron"):
            triggers.append(Trigger("schedule", str(schedule["cron"])))
    resources = doc.get("resources")
    pipelines = resources.get("pipelines") if isinstance(resources, dict) else None
    for pipeline in pipelines if isinstance(pipelines, list) else []:
        if isinstance(pipeline, dict) and pipeline.get("trigger") not in (None, "none", False):
            triggers.append(Trigger("external", f"after pipeline {pipeline.get('source') or pipeline.get('pipeline')}"))
    if not triggers:
        triggers.append(Trigger("manual", "runs started by hand in Azure DevOps"))
    return triggers


def narrow(triggers: list[Trigger], condition: str) -> list[Trigger]:
    """The triggers left once a stage or job `condition` is applied."""
    if not condition:
        return triggers
    branches = _BRANCH_EQ.findall(condition) + _BRANCH_NAME_EQ.findall(condition)
    tags = _TAGS.findall(condition)
    out = list(triggers)
    if branches or tags:
        out = [Trigger("push", b) for b in branches if any(t.kind == "push" for t in triggers)]
        out += [Trigger("tag", (t + "*") if t else "") for t in tags]
        if not out:
            out = [Trigger("push", b) for b in branches]
    for op, reason in _REASON.findall(condition):
        kind = {
            "pullrequest": "pull_request",
            "manual": "manual",
            "schedule": "schedule",
            "individualci": "push",
            "batchedci": "push",
        }.get(reason.lower())
        if kind is None:
            continue
        if op.lower() == "ne":
            out = [t for t in out if t.kind != kind]
        else:
            out = [t for t in out if t.kind == kind] or [
                Trigger(kind, "runs started by hand" if kind == "manual" else "")
            ]
    return out


class AzurePipelinesDetector(Detector):
    name = "azure-pipelines"
    version = "1"
    description = "Azure Pipelines: triggers, stages, deployment jobs and environments, tasks, local templates"
    patterns = (
        "azure-pipelines*.{yml,yaml}",
        ".azure-pipelines/**/*.{yml,yaml}",
        ".azuredevops/**/*.{yml,yaml}",
        ".pipelines/**/*.{yml,yaml}",
        "**/azure-pipelines/**/*.{yml,yaml}",
    )
    sniff = Sniff(
        (".yml", ".yaml"),
        re.compile(
            r"(?m)^\s*-\s*task:\s*[\w.-]+@\d+\s*$|^\s*vmImage:\s|^\s*-?\s*displayName:[ \t]+\S"
            r"|^\s*-\s*template:\s*\S+\.ya?ml\s*$"
        ),
        # A GitLab `include: - template: Security/SAST.gitlab-ci.yml` reads like an Azure template
        # reference; files other CI systems claim by name are theirs.
        yields_to=("bitbucket", "circleci", "cloudbuild", "github-actions", "gitlab-ci"),
        # An OpenAPI document's schemas have properties named `displayName` too; a helm-unittest
        # suite's asserts name the template they check (`- template: gatewayclass.yaml`).
        unless=re.compile(r"(?m)^(?:openapi|swagger|suite)[ \t]*:|^[ \t]*-[ \t]*it[ \t]*:"),
    )
    looks_for = {
        "ci.build": "build scripts and tasks (Docker@2, DotNetCoreCLI@2) in Azure Pipelines",
        "ci.test.unit": "test scripts and tasks in Azure Pipelines jobs",
        "ci.test.integration": "test jobs with service containers in Azure Pipelines",
        "ci.test.e2e": "browser-test scripts in Azure Pipelines jobs",
        "ci.deploy.manual": "ManualValidation tasks and environments (approvals are set in Azure DevOps)",
        "ci.deploy.automated": "deployment jobs with environments, triggers and conditions in Azure Pipelines",
        "deploy.steps": "deployment job strategies in Azure Pipelines",
        "env.purpose": "automated deployment jobs to a staging environment in Azure Pipelines",
        "deploy.rollback.perform": "`on: failure` hooks of deployment jobs in Azure Pipelines",
    }

    # -- phase 1: one file as stages/jobs/steps with template references left in place ------

    def extract(self, file: SourceFile) -> Extraction:
        out = Extraction()
        doc = self.yaml_mapping(file, out)
        if doc is None or not any(k in doc for k in ("stages", "jobs", "steps", "extends")):
            return out
        data: dict[str, Any] = {
            "pipeline": any(k in doc for k in ("trigger", "pr", "schedules", "pool", "name"))
            or PurePosixPath(file.path).name.startswith("azure-pipelines"),
            "triggers": [t.__dict__ for t in _triggers(doc)],
            "parameters": self._parameters(doc.get("parameters")),
            "variables": self._variables(doc.get("variables")),
        }
        if isinstance(doc.get("stages"), YList):
            data["stages"] = [self._stage(file, s, i, doc["stages"], out) for i, s in enumerate(doc["stages"])]
        elif isinstance(doc.get("jobs"), YList):
            data["jobs"] = [self._job(file, j, i, doc["jobs"], out) for i, j in enumerate(doc["jobs"])]
        elif isinstance(doc.get("steps"), YList):
            data["steps"] = self._steps(file, doc["steps"], out)
        elif isinstance(doc.get("extends"), dict):
            data["extends"] = self._template_ref(doc["extends"], line_of(doc, "extends"))
            # the stages, jobs or steps the pipeline hands to its template, which runs them (Microsoft's
            # 1ES pipeline templates, in another repository: dotnet/eShop's ci.yml builds in one)
            handed = doc["extends"].get("parameters")
            if isinstance(handed, YDict) and isinstance(handed.get("stages"), YList):
                data["extends"]["stages"] = [self._stage(file, s, i, handed["stages"], out)
                                             for i, s in enumerate(handed["stages"])]
            elif isinstance(handed, YDict) and isinstance(handed.get("jobs"), YList):
                data["extends"]["jobs"] = [self._job(file, j, i, handed["jobs"], out)
                                           for i, j in enumerate(handed["jobs"])]
            elif isinstance(handed, YDict) and isinstance(handed.get("steps"), YList):
                data["extends"]["steps"] = self._steps(file, handed["steps"], out)
        out.records.append(Record(FILE_RECORD, file.path, doc.line, data))
        return out

    @staticmethod
    def _parameters(value: Any) -> dict[str, Any]:
        if isinstance(value, list):  # [{name, default}, ...]
            return {str(p["name"]): p.get("default") for p in value if isinstance(p, dict) and "name" in p}
        return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}

    @staticmethod
    def _variables(value: Any) -> dict[str, str]:
        if isinstance(value, dict):
            return {str(k): str(v) for k, v in value.items() if isinstance(v, (str, int))}
        out = {}
        for item in value if isinstance(value, list) else []:
            if isinstance(item, dict) and "name" in item and isinstance(item.get("value"), (str, int)):
                out[str(item["name"])] = str(item["value"])
        return out

    @staticmethod
    def _template_ref(value: dict[str, Any], line: int) -> dict[str, Any]:
        params = value.get("parameters")
        return {
            "type": "template",
            "path": str(value.get("template", "")),
            "line": line,
            "parameters": {str(k): v for k, v in params.items()} if isinstance(params, dict) else {},
        }

    def _stage(self, file: SourceFile, stage: Any, index: int, parent: YList, out: Extraction) -> dict[str, Any]:
        line = line_of(parent, index)
        if not isinstance(stage, dict):
            return {"type": "unknown", "line": line}
        if "template" in stage:
            return self._template_ref(stage, line)
        jobs = stage.get("jobs")
        return {
            "type": "stage",
            "name": str(stage.get("stage", f"stage{index + 1}")),
            "display": str(stage.get("displayName") or ""),
            "line": line,
            "depends": _list(stage.get("dependsOn")) if "dependsOn" in stage else None,
            "condition": str(stage.get("condition") or ""),
            "jobs": [self._job(file, j, i, jobs, out) for i, j in enumerate(jobs)] if isinstance(jobs, YList) else [],
        }

    def _job(self, file: SourceFile, job: Any, index: int, parent: YList, out: Extraction) -> dict[str, Any]:
        line = line_of(parent, index)
        if not isinstance(job, YDict):
            return {"type": "unknown", "line": line}
        if "template" in job:
            return self._template_ref(job, line)
        kind = "deployment" if "deployment" in job else "job"
        environment = job.get("environment")
        env_name = environment.get("name") if isinstance(environment, dict) else environment
        data: dict[str, Any] = {
            "type": kind,
            "name": str(job.get(kind) or f"job{index + 1}"),
            "display": str(job.get("displayName") or ""),
            "line": line,
            "depends": _list(job.get("dependsOn")),
            "condition": str(job.get("condition") or ""),
            "environment": str(env_name) if isinstance(env_name, (str, int)) else None,
            "env_line": line_of(job, "environment", line),
            "strategy": None,
            "server": (isinstance(job.get("pool"), str) and job["pool"] == "server")
            or (isinstance(job.get("pool"), dict) and job["pool"].get("name") == "server"),
            "services": self._services(job),
            "steps": [],
        }
        if kind == "job":
            data["steps"] = self._steps(file, job.get("steps"), out)
            return data
        strategy = job.get("strategy")
        if not isinstance(strategy, dict) or not strategy:
            out.diagnostics.append(
                self.diagnostic(file.path, line, "deployment job without a `strategy`; nothing runs")
            )
            return data
        name, body = next(iter(strategy.items()))
        data["strategy"] = str(name)
        for hook in _HOOKS:
            section = body.get(hook) if isinstance(body, dict) else None
            if isinstance(section, dict):
                data["steps"].extend(self._steps(file, section.get("steps"), out))
        on = body.get("on") if isinstance(body, dict) else None
        failure = on.get("failure") if isinstance(on, dict) else None
        if isinstance(failure, dict):
            for step in self._steps(file, failure.get("steps"), out):
                step["on_failure"] = True
                data["steps"].append(step)
        return data

    @staticmethod
    def _services(job: YDict) -> list[dict[str, Any]]:
        services = job.get("services")
        out = []
        for name, spec in services.items() if isinstance(services, YDict) else []:
            image = spec if isinstance(spec, str) else (spec.get("image") if isinstance(spec, dict) else None)
            if isinstance(image, str):
                out.append(service_entry(image, str(name), line_of(services, name)))
        return out

    def _steps(self, file: SourceFile, steps: Any, out: Extraction) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        if not isinstance(steps, YList):
            return found
        for index, step in enumerate(steps):
            line = line_of(steps, index)
            if not isinstance(step, YDict):
                continue
            if "template" in step:
                found.append(self._template_ref(step, line))
                continue
            title = str(step.get("displayName") or "")
            key = next((k for k in _SCRIPT_KEYS if k in step), None)
            if key is not None:
                script = str(step[key] or "")
                commands = script_commands(file.text, line_of(step, key, line), script)
                found.append(
                    {
                        "type": "step",
                        "title": title or script.strip().split("\n")[0],
                        "line": line,
                        "commands": commands,
                        "does": [],
                        "on_failure": False,
                        "gate": False,
                    }
                )
            elif isinstance(step.get("task"), str):
                found.append(self._task(step, title, line))
        return found

    @staticmethod
    def _task(step: YDict, title: str, line: int) -> dict[str, Any]:
        task = str(step["task"])
        raw = step.get("inputs")
        inputs: dict[str, Any] = raw if isinstance(raw, dict) else {}
        found = step_catalog().lookup("azure_tasks", "task", task.split("@", 1)[0], inputs)
        data = {
            "type": "step",
            "title": title or task,
            "line": line,
            "commands": [],
            "does": [],
            "on_failure": False,
            "gate": False,
            "task": task,
            "ref": task,
        }
        if found is not None:
            data["does"] = found.does
            data["commands"] = [(c, line) for c in found.commands]
            data["gate"] = found.gate
        return data

    # -- phase 2: expand templates, then jobs -> facts ---------------------------------------

    def resolve(self, ctx: ResolveContext) -> list[Fact]:
        files = {r.path: r.data for r in ctx.records(FILE_RECORD)}
        referenced = {ref for path, data in files.items() for ref in _references(data, path, set(files))}
        facts_builder = PipelineFacts(self, ctx)
        jobs: list[Job] = []
        hints: list[Fact] = []
        for path in sorted(files):
            data = files[path]
            if path in referenced or not data.get("pipeline"):
                continue
            expander = _Expander(self, ctx, files, path)
            jobs.extend(expander.jobs(data, start=len(jobs)))
        facts = facts_builder.facts(jobs)
        for job in jobs:
            if job.environment:
                hints.append(
                    Fact(
                        "ci.deploy.manual",
                        text(
                            "Check approvals and checks on environment ",
                            Code(job.environment),
                            " in Azure DevOps (Pipelines > Environments): they can hold deployment job ",
                            Code(job.job),
                            " for a person",
                        ),
                        Confidence.HINT,
                        self.evidence(job.pipeline, job.environment_line or job.line),
                        item=f"approvals:{job.environment}",
                        rank=70,
                        order=(0, job.pipeline, job.index, 0),
                        attrs=facts_builder.attrs(job, job.environment),
                    )
                )
        return facts + hints


def _resolve_path(ref: str, base: str) -> str | None:
    """A template path relative to the referencing file (or to the repository with a leading /)."""
    if "@" in ref or not ref:
        return None
    if ref.startswith("/"):
        return PurePosixPath(ref.lstrip("/")).as_posix()
    parts: list[str] = []
    for part in PurePosixPath(PurePosixPath(base).parent, ref).parts:
        if part == "..":
            if not parts:
                return None
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def _references(data: Any, path: str, known: set[str]) -> set[str]:
    found: set[str] = set()
    if isinstance(data, dict):
        if data.get("type") == "template":
            resolved = _resolve_path(str(data.get("path", "")), path)
            if resolved in known:
                found.add(resolved)
        for value in data.values():
            found |= _references(value, path, known)
    elif isinstance(data, list):
        for value in data:
            found |= _references(value, path, known)
    return found


def _substitute(value: Any, params: dict[str, Any]) -> Any:
    """`${{ parameters.x }}` replaced wherever a plain value for it is known."""
    if isinstance(value, str):

        def one(match: re.Match[str]) -> str:
            found = params.get(match.group(1))
            return str(found) if isinstance(found, (str, int, bool)) else match.group(0)

        return _PARAM.sub(one, value)
    if isinstance(value, list):
        return [_substitute(v, params) for v in value]
    if isinstance(value, tuple):
        return tuple(_substitute(v, params) for v in value)
    if isinstance(value, dict):
        return {k: _substitute(v, params) for k, v in value.items()}
    return value


class _Expander:
    """One entry pipeline with its local templates inlined, as jobs."""

    def __init__(self, detector: AzurePipelinesDetector, ctx: ResolveContext, files: dict[str, Any], root: str) -> None:
        self.detector = detector
        self.ctx = ctx
        self.files = files
        self.root = root
        self.repeated: dict[str, int] = {}

    def _template(
        self, ref: dict[str, Any], base: str, stack: tuple[str, ...], params: dict[str, Any]
    ) -> tuple[str, dict[str, Any], dict[str, Any]] | None:
        raw = str(_substitute(ref["path"], params))
        path = _resolve_path(raw, base)
        if path is None:
            self.ctx.diagnose(
                base,
                ref["line"],
                f"template `{raw}` is in another repository; not resolved",
                self.detector.name,
                Severity.INFO,
            )
            return None
        if path not in self.files:
            self.ctx.diagnose(base, ref["line"], f"template `{raw}` not found in the repository", self.detector.name)
            return None
        if path in stack or len(stack) > MAX_DEPTH:
            self.ctx.diagnose(
                base, ref["line"], f"template `{raw}` includes itself (a cycle); not expanded", self.detector.name
            )
            return None
        data = self.files[path]
        merged = {**(data.get("parameters") or {}), **_substitute(ref.get("parameters") or {}, params)}
        return path, _substitute(data, merged), merged

    def jobs(self, data: dict[str, Any], start: int) -> list[Job]:
        triggers = [Trigger(**t) for t in data["triggers"]]
        params = dict(data.get("parameters") or {})
        data = _substitute(data, params)
        stages = self._stages(data, self.root, (self.root,), params)
        expanded = [(stage, self._jobs(stage.get("jobs", []), path, (path,), params)) for stage, path in stages]
        for _, stage_jobs_data in expanded:
            for job_data, _ in stage_jobs_data:
                self.repeated[job_data["name"]] = self.repeated.get(job_data["name"], 0) + 1
        jobs: list[Job] = []
        previous_stage: list[str] = []
        stage_jobs: dict[str, list[str]] = {}
        gated: dict[str, Job] = {}
        for stage, stage_jobs_data in expanded:
            depends = stage.get("depends")
            upstream_stages = previous_stage if depends is None else depends
            upstream_jobs = [j for s in upstream_stages for j in stage_jobs.get(s, [])]
            stage_triggers = narrow(triggers, stage.get("condition", ""))
            names_in_stage: list[str] = []
            local: dict[str, str] = {}
            for job_data, job_path in stage_jobs_data:
                job = self._job(job_data, job_path, stage, start + len(jobs), stage_triggers)
                local[job_data["name"]] = job.job
                own = [local.get(d, d) for d in job_data.get("depends") or []]
                job.needs = own or list(upstream_jobs)
                gate = next((gated[n] for n in [*job.needs] if n in gated), None)
                if gate is not None and not job.manual:
                    job.manual, job.manual_how, job.gate_line = True, gate.manual_how, gate.gate_line
                if any(s.get("gate") for s in job_data.get("steps", []) if isinstance(s, dict)):
                    gated[job.job] = job
                    gate_step = next(s for s in job_data["steps"] if isinstance(s, dict) and s.get("gate"))
                    gated[job.job].manual_how = text(
                        "manual validation ", Code(gate_step.get("task", "")), " in job ", Code(job.job)
                    )
                    gated[job.job].gate_line = gate_step["line"]
                elif gate is not None:
                    gated[job.job] = job
                names_in_stage.append(job.job)
                jobs.append(job)
            stage_jobs[stage.get("name", "")] = names_in_stage
            previous_stage = [stage.get("name", "")]
        return jobs

    def _stages(
        self, data: dict[str, Any], path: str, stack: tuple[str, ...], params: dict[str, Any]
    ) -> list[tuple[dict[str, Any], str]]:
        if "extends" in data:
            found = self._template(data["extends"], path, stack, params)
            if found is None:
                # a template this scan cannot read still runs what the pipeline hands it
                handed = {k: data["extends"][k] for k in ("stages", "jobs", "steps") if k in data["extends"]}
                return self._stages(handed, path, stack, params) if handed else []
            ext_path, ext_data, ext_params = found
            return self._stages(ext_data, ext_path, (*stack, ext_path), ext_params)
        if "stages" in data:
            out: list[tuple[dict[str, Any], str]] = []
            for stage in data["stages"]:
                if stage.get("type") == "template":
                    found = self._template(stage, path, stack, params)
                    if found is not None:
                        tpl_path, tpl, tpl_params = found
                        out.extend(self._stages(tpl, tpl_path, (*stack, tpl_path), tpl_params))
                elif stage.get("type") == "stage":
                    out.append((stage, path))
            return out
        if "jobs" in data:
            return [({"name": "", "jobs": data["jobs"], "depends": None, "condition": ""}, path)]
        if "steps" in data:
            job = {
                "type": "job",
                "name": "Job",  # what Azure DevOps calls the one job of a pipeline of top-level steps
                "display": "",
                "line": 0,
                "depends": [],
                "condition": "",
                "environment": None,
                "env_line": 0,
                "strategy": None,
                "server": False,
                "services": [],
                "steps": data["steps"],
            }
            return [({"name": "", "jobs": [job], "depends": None, "condition": ""}, path)]
        return []

    def _jobs(
        self, jobs: list[dict[str, Any]], path: str, stack: tuple[str, ...], params: dict[str, Any]
    ) -> list[tuple[dict[str, Any], str]]:
        out: list[tuple[dict[str, Any], str]] = []
        for job in jobs:
            if job.get("type") == "template":
                found = self._template(job, path, stack, params)
                if found is None:
                    continue
                tpl_path, tpl, tpl_params = found
                if "jobs" in tpl:
                    out.extend(self._jobs(tpl["jobs"], tpl_path, (*stack, tpl_path), tpl_params))
                elif "steps" in tpl:
                    out.extend(self._jobs([{**_empty_job(), "steps": tpl["steps"]}], tpl_path, stack, tpl_params))
            elif job.get("type") in ("job", "deployment"):
                job = {**job, "steps": self._steps(job.get("steps", []), path, stack, params)}
                out.append((job, path))
        return out

    def _steps(
        self, steps: list[dict[str, Any]], path: str, stack: tuple[str, ...], params: dict[str, Any]
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for step in steps:
            if step.get("type") == "template":
                found = self._template(step, path, stack, params)
                if found is not None and "steps" in found[1]:
                    tpl_path, tpl, tpl_params = found
                    out.extend(self._steps(tpl["steps"], tpl_path, (*stack, tpl_path), tpl_params))
            elif step.get("type") == "step":
                out.append({**step, "path": path})
        return out

    def _job(self, data: dict[str, Any], path: str, stage: dict[str, Any], index: int, triggers: list[Trigger]) -> Job:
        name = data["name"]
        stage_name = stage.get("name") or None
        job_id = f"{stage_name}.{name}" if stage_name and self.repeated.get(name, 0) > 1 else name
        job = Job(
            ci=CI,
            pipeline=path,
            job=job_id,
            index=index,
            line=data["line"],
            stage=stage_name,
            triggers=narrow(triggers, data.get("condition", "")),
            environment=_environment_name(data.get("environment")),
            environment_line=data.get("env_line", 0),
            names=[n for n in (name, data.get("display"), stage_name, stage.get("display")) if n],
            services=data.get("services", []),
            strategy=data.get("strategy"),
        )
        job.steps = [
            Step(
                title=s["title"],
                line=s["line"],
                commands=[(str(c[0]), int(c[1])) for c in s["commands"]],
                does=s["does"],
                on_failure=s.get("on_failure", False),
                path=s.get("path", ""),
                ref=s.get("ref", ""),
            )
            for s in data["steps"]
        ]
        return job


def _environment_name(raw: str | None) -> str | None:
    """`prod.web-namespace` names environment `prod` (and a resource in it); unresolved expressions stay."""
    if not raw:
        return None
    return raw if "${{" in raw else raw.split(".", 1)[0]


def _empty_job() -> dict[str, Any]:
    return {
        "type": "job",
        "name": "Job",
        "display": "",
        "line": 0,
        "depends": [],
        "condition": "",
        "environment": None,
        "env_line": 0,
        "strategy": None,
        "server": False,
        "services": [],
        "steps": [],
    }
