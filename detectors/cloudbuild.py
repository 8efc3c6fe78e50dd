"""Google Cloud Build: `cloudbuild*.y{a,}ml` and `*.cloudbuild.y{a,}ml`, in any directory (`build/` too).

A build is a list of `steps`: each runs a builder image (`name`) with `args`, or an `entrypoint`
(often `bash -c` with a script), or a `script`. Builder images map to the command they run
(`gcr.io/cloud-builders/docker` + args is `docker build ...`; data in `data/pipeline_steps.yaml`),
and the commands go through the classifier: builds, `gcloud run deploy`, `kubectl`, `terraform
apply`, wrapper scripts resolved through the scripts detector (`./tf-wrapper.sh apply`). Steps run
one after the other unless `waitFor` says otherwise. `images:` are pushed when the build succeeds.
`substitutions:` (`_ENV: staging`) name environments. What starts a build is a Cloud Build trigger
configured outside the file (console, gcloud or Terraform), so triggers are stated as such.
"""

from __future__ import annotations

import re
import shlex
from pathlib import PurePosixPath
from typing import Any

from infrascan.commands import registry_of
from infrascan.detector import Detector, Extraction, ResolveContext, Sniff, SourceFile
from infrascan.environments import ENV_VARIABLE_NAMES, env_from_name
from infrascan.model import Fact, Severity
from infrascan.yamlload import YDict, YList, line_of

from ._pipelines import Job, PipelineFacts, Step, Trigger, script_commands, step_catalog

CI = "google-cloud-build"
_SHELLS = re.compile(r"^(?:/bin/|/usr/bin/)?(?:ba|da|z)?sh$")


def _quote(arg: str) -> str:
    return arg if re.fullmatch(r"[\w@%+=:,./${}\-]+", arg) else shlex.quote(arg)


# A Cloud Build config of another name (bank-of-anthos's `.github/cloudbuild/ci-pr.yaml`): top-level
# `steps:` whose first step runs a builder image from Google's registries. Drone, Woodpecker and
# Codefresh steps have top-level `steps:` too, but name their images under `image:`.
_SNIFF = re.compile(
    r"(?m)^steps:[ \t]*(?:#.*)?\r?\n(?:[ \t]*(?:#.*)?\r?\n)*[ \t]*-[ \t]+(?:[^\n]*\n[ \t]+){0,12}?"
    r"name:[ \t]*[\"']?(?:[\w.-]*gcr\.io/|[\w-]+-docker\.pkg\.dev/)")


class CloudBuildDetector(Detector):
    name = "cloudbuild"
    version = "2"
    description = "Google Cloud Build configs: steps and builders, images pushed, deploy commands, substitutions"
    patterns = ("cloudbuild*.{yml,yaml}", "*.cloudbuild.{yml,yaml}")
    sniff = Sniff((".yml", ".yaml"), _SNIFF, yields_to=("github-actions", "gitlab-ci", "helm", "kubernetes"))
    looks_for = {
        "ci.build": "docker/kaniko/pack builder steps and `images:` in Cloud Build configs",
        "ci.test.unit": "test commands in Cloud Build config steps",
        "ci.test.integration": "integration-test commands in Cloud Build config steps",
        "ci.test.e2e": "browser-test commands in Cloud Build config steps",
        "ci.deploy.automated": "gcloud run deploy, kubectl, terraform apply steps in Cloud Build configs",
        "deploy.steps": "deploy steps of Cloud Build configs",
    }

    def extract(self, file: SourceFile) -> Extraction:
        out = Extraction()
        doc = self.yaml_mapping(file, out)
        if doc is None:
            return out
        steps = doc.get("steps")
        if not isinstance(steps, YList):
            out.diagnostics.append(self.diagnostic(file.path, doc.line, "no `steps:` list; not a Cloud Build config"))
            return out
        trigger = Trigger(
            "external", "each run of a Cloud Build trigger (set in Cloud Build or Terraform, not in this file)"
        )
        stem = PurePosixPath(file.path).name.rsplit(".", 1)[0]
        job = Job(
            ci=CI,
            pipeline=file.path,
            job=stem,
            index=0,
            line=steps.line,
            triggers=[trigger],
            names=[stem, *self._environment_names(doc)],
            job_label="build",
        )
        unknown: set[str] = set()  # builders already reported, once per file
        for index, step in enumerate(steps):
            line = line_of(steps, index)
            if not isinstance(step, YDict):
                out.diagnostics.append(self.diagnostic(file.path, line, "a step that is not a map; skipped"))
                continue
            step_id = str(step.get("id") or step.get("name") or f"step {index + 1}")
            job.steps.append(self._step(file, step, step_id, line, out, unknown))
        images = doc.get("images")
        if isinstance(images, YList) and images:
            job.steps.append(self._images(images, self._substitutions(doc)))
        jobs = [job]
        out.records.extend(job.to_record() for job in jobs)
        return out

    @staticmethod
    def _environment_names(doc: YDict) -> list[str]:
        subs = doc.get("substitutions")
        if not isinstance(subs, dict):
            return []
        return [str(v) for k, v in subs.items() if str(k).startswith("_") and str(k)[1:].lower() in ENV_VARIABLE_NAMES
                and isinstance(v, str) and env_from_name(v)]

    def _step(self, file: SourceFile, step: YDict, step_id: str, line: int, out: Extraction, unknown: set[str]) -> Step:
        builder = str(step.get("name") or "")
        args = step.get("args")
        args_list = [str(a) for a in args] if isinstance(args, list) else ([str(args)] if args else [])
        entrypoint = step.get("entrypoint")
        script = step.get("script")
        commands: list[tuple[str, int]] = []
        if isinstance(script, str):
            commands = script_commands(file.text, line_of(step, "script", line), script)
        elif (shell := self._shell_script(entrypoint, args_list)) is not None:
            body, index = shell
            commands = script_commands(file.text, line_of(args, index) if isinstance(args, YList) else line, body)
        else:
            program = str(entrypoint) if isinstance(entrypoint, str) else step_catalog().builder_command(builder)
            if program is None:
                if builder and builder not in unknown:
                    unknown.add(builder)
                    out.diagnostics.append(
                        self.diagnostic(
                            file.path,
                            line,
                            f"builder `{builder}` runs its own entrypoint; its steps are not classified",
                            Severity.INFO,
                        )
                    )
            else:
                commands = [(" ".join([program, *(_quote(a) for a in args_list)]), line_of(step, "args", line))]
        return Step(title=step_id, line=line, commands=commands)

    @staticmethod
    def _shell_script(entrypoint: Any, args: list[str]) -> tuple[str, int] | None:
        """`entrypoint: bash` + `args: [-c, script]`, or `args: [/bin/bash, -c, script]`: the script."""
        if isinstance(entrypoint, str) and _SHELLS.match(entrypoint):
            if len(args) >= 2 and re.fullmatch(r"-\w*c\w*", args[0]):
                return args[1], 1
            return None
        if entrypoint is None and len(args) >= 3 and _SHELLS.match(args[0]) and re.fullmatch(r"-\w*c\w*", args[1]):
            return args[2], 2
        return None

    @staticmethod
    def _substitutions(doc: YDict) -> dict[str, str]:
        subs = doc.get("substitutions")
        return {str(k): str(v) for k, v in subs.items() if isinstance(v, (str, int))} if isinstance(subs, dict) else {}

    @staticmethod
    def _images(images: YList, substitutions: dict[str, str]) -> Step:
        """`images:` are pushed once every step succeeded; defaults of `substitutions` name their registry."""
        refs = [str(i) for i in images]

        def expand(ref: str) -> str:
            return re.sub(
                r"\$\{(_\w+)\}|\$(_\w+)", lambda m: substitutions.get(m.group(1) or m.group(2), m.group(0)), ref
            )

        found = [registry_of(expand(ref)) for ref in refs]
        registries = [{"id": r.id, "name": r.name, "host": r.host} for r in dict.fromkeys(r for r in found if r)]
        detail: dict[str, Any] = {"images": refs, "registries": registries}
        does = [{"kind": "push", "tool": "google-cloud-build", "level": None, "target": None, "detail": detail}]
        return Step(title="images", line=line_of(images, 0), does=does, ref="images: " + ", ".join(refs))

    def resolve(self, ctx: ResolveContext) -> list[Fact]:
        return PipelineFacts(self, ctx).facts()
