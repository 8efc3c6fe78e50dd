"""Woodpecker CI: `.woodpecker.yml` (or `.yaml`) and each workflow of a `.woodpecker/` folder.

A workflow is a list or map of `steps` (`pipeline:` in Woodpecker before 1.0), each a container
`image` that runs `commands` (from its `directory:`, if it names one), or a plugin image configured
by `settings` (a Docker build and push with `woodpeckerci/plugin-docker-buildx`; data in
`data/pipeline_steps.yaml`). `services` start beside the steps; a step uses those whose host its
commands or environment name (every one, when no step names any). Every step is read as a job: in
order, after the last step that runs on the same events, unless `depends_on` anywhere makes the
steps a graph.

What runs a step is its own `when:` (one filter, or a list of filters any of which may hold) and
the workflow's, both: an `event` (`push`, `pull_request`, `tag`, `cron`, `manual`, `deployment`)
and a `branch` (a pattern, a list, or `include`/`exclude`). A filter on `status`, `path`,
`evaluate` or `matrix` narrows when a step runs without saying which event runs it, and is not
said; a step with no event filter runs on every event Woodpecker sends the workflow, and is said
so. Woodpecker's YAML also merges a sequence into a sequence (`- <<: *paths`), which a file YAML
rejects as written is read with. Lemmy's CI is one such file: its tests on pull requests, its
images pushed to Docker Hub on tags and a nightly cron.
"""

from __future__ import annotations

import re
from typing import Any

from infrascan.detector import Detector, Extraction, ResolveContext, SourceFile
from infrascan.images import parse_image
from infrascan.model import Code, Fact, text
from infrascan.yamlload import YDict, YList, as_list, line_of

from ._pipelines import Job, PipelineFacts, Step, Trigger, script_commands, service_entry, step_catalog

CI = "woodpecker"
_EVENTS = {
    "push": "push",
    "pull_request": "pull_request",
    "tag": "tag",
    "cron": "schedule",
    "manual": "manual",
    "deployment": "manual",
}
_EVERY_EVENT = "every event Woodpecker runs the workflow on (no `event` filter)"
# The events a person sends: the trigger's label, and how the document says a deploy is started.
_MANUAL = {
    "manual": ("a manual run",
               text("a manual run from the Woodpecker UI or ", Code("woodpecker-cli pipeline create"))),
    "deployment": ("a deployment event",
                   text("a ", Code("deployment"), " event (", Code("woodpecker-cli pipeline deploy"), " or the UI)")),
}


class WoodpeckerDetector(Detector):
    name = "woodpecker"
    version = "1"
    description = "Woodpecker CI workflows: steps and their `when` filters, plugins, services"
    patterns = (".woodpecker.{yml,yaml}", ".woodpecker/*.{yml,yaml}")
    looks_for = {
        "ci.build": "build commands and Docker plugins in Woodpecker workflows",
        "ci.test.unit": "test commands in Woodpecker workflow steps",
        "ci.test.integration": "test steps beside database services in Woodpecker workflows",
        "ci.test.e2e": "browser-test commands in Woodpecker workflow steps",
        "ci.deploy.manual": "deploy steps of manual and deployment events in Woodpecker workflows",
        "ci.deploy.automated": "deploy steps on push, tag and cron events in Woodpecker workflows",
        "deploy.steps": "steps of Woodpecker deploy workflows",
    }

    def extract(self, file: SourceFile) -> Extraction:
        out = Extraction()
        doc = self.yaml_mapping(file, out)
        if doc is None and "<<" in file.text:  # Woodpecker's sequence merges, which YAML rejects
            retry = Extraction()
            doc = self.yaml_mapping(SourceFile(file.path, _sequence_merges(file.text)), retry)
            out = retry if doc is not None else out
        if doc is None:
            return out
        steps = doc.get("steps", doc.get("pipeline"))
        if not isinstance(steps, (YDict, YList)):
            out.diagnostics.append(self.diagnostic(file.path, doc.line, "no `steps:`; not a Woodpecker workflow"))
            return out
        workflow_when = _filters(doc.get("when"))
        services = _services(doc.get("services"))
        named = list(steps.items()) if isinstance(steps, YDict) else [
            (str(step.get("name") or f"step {n + 1}") if isinstance(step, dict) else f"step {n + 1}", step)
            for n, step in enumerate(steps)]
        jobs: list[Job] = []
        # with `depends_on` anywhere the steps form a graph, and a step without one starts at once
        graph = any(isinstance(step, dict) and "depends_on" in step for _, step in named)
        # steps that name the services they reach use those; when none names any (a settings file
        # holds the host), every step may use them all
        reached = {str(n): _used(services, step) for n, step in named if isinstance(step, YDict)}
        if not any(reached.values()):
            reached = dict.fromkeys(reached, services)
        for index, (name, step) in enumerate(named):
            line = line_of(steps, name if isinstance(steps, YDict) else index, doc.line)
            if not isinstance(step, YDict):
                out.diagnostics.append(self.diagnostic(file.path, line, f"step `{name}` is not a map; skipped"))
                continue
            filters = _combined(workflow_when, _filters(step.get("when")))
            if filters is None:
                continue  # its own filter and the workflow's share no event: it never runs
            triggers = _triggers(filters)
            labels = {t.label() for t in triggers}
            if graph:
                needs = [str(n) for n in _values(step.get("depends_on"))]
            else:  # in order, after the step before it that runs on the same events
                needs = next(([j.job] for j in reversed(jobs) if _overlap(labels, {t.label() for t in j.triggers})), [])
            # a step only a person starts (a manual run, or a deployment event sent by
            # `woodpecker-cli deploy` or the UI) is a manual one
            manual = [e for f in filters for e in _values(f.get("event")) if _EVENTS.get(e) == "manual"]
            job = Job(
                ci=CI,
                pipeline=file.path,
                job=str(name),
                index=index,
                line=line,
                needs=needs,
                triggers=triggers,
                manual=bool(triggers) and all(t.kind == "manual" for t in triggers),
                manual_how=_MANUAL[manual[0]][1] if manual else (),
                gate_line=line_of(step, "when", line),
                names=[str(name), file.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]],
                services=reached[str(name)],
            )
            job.steps = [self._step(file, str(name), step, line)]
            jobs.append(job)
        out.records.extend(job.to_record() for job in jobs)
        return out

    @staticmethod
    def _step(file: SourceFile, name: str, step: YDict, line: int) -> Step:
        commands = step.get("commands")
        if isinstance(commands, str):
            commands = [commands]
        if isinstance(commands, list):
            found: list[tuple[str, int]] = []
            folder = step.get("directory")
            if isinstance(folder, str) and folder.strip():  # the folder the commands start in (woodpecker's web/)
                found.append((f"cd {folder.strip()}", line_of(step, "directory", line)))
            for index, command in enumerate(commands):
                if isinstance(command, (str, int)):
                    at = line_of(commands, index, line) if isinstance(commands, YList) else line_of(step, "commands")
                    found += script_commands(file.text, at, str(command))
            return Step(title=name, line=line, commands=found)
        image = str(step.get("image") or "")
        settings = step.get("settings")
        plugin = step_catalog().lookup("woodpecker_plugins", "image", _plugin_name(image),
                                       settings if isinstance(settings, dict) else {})
        result = Step(title=name, line=line, ref=image)
        if plugin is not None:
            result.does = plugin.does
            result.commands = [(c, line) for c in plugin.commands]
        return result

    def resolve(self, ctx: ResolveContext) -> list[Fact]:
        return PipelineFacts(self, ctx).facts()


def _filters(when: Any) -> list[dict[str, Any]]:
    """A `when:` as the list of filters any of which runs the step."""
    if isinstance(when, dict):
        return [dict(when)]
    if isinstance(when, list):
        return [dict(f) for f in when if isinstance(f, dict)]
    return []


_SEQUENCE_MERGE = re.compile(r"^(?P<lead>[ \t]*-[ \t]+)<<[ \t]*:[ \t]*(?P<alias>\*[\w-]+)[ \t]*(?:#.*)?$")


def _sequence_merges(text: str) -> str:
    """Woodpecker's YAML merges a sequence into a sequence (`path: [- <<: *when_path, - 'web/**']`,
    woodpecker's own test.yaml), which YAML's `<<` does only for maps: such an item is written
    here as the alias it merges, a list inside the list that `_values` flattens. An item whose map
    goes on below it is a map's merge, and stays. Lines keep their numbers. Used only for a file
    YAML rejects, so a valid file is never read otherwise."""
    if "<<" not in text:
        return text
    lines = text.split("\n")
    for index, line in enumerate(lines):
        merge = _SEQUENCE_MERGE.match(line)
        if merge is None:
            continue
        following = next((n for n in lines[index + 1:] if n.strip() and not n.lstrip().startswith("#")), "")
        deeper = len(following) - len(following.lstrip()) > line.index("-")
        continues = deeper and not following.lstrip().startswith("-")
        if not continues:
            lines[index] = merge["lead"] + merge["alias"]
    return "\n".join(lines)


def _plugin_name(image: str) -> str:
    """A plugin image without its tag and registry host: `docker.io/woodpeckerci/plugin-kaniko:2` and
    `codeberg.org/woodpecker-plugins/docker-buildx` are named as the plugin table writes them."""
    ref = parse_image(image)
    return ref.repository if ref is not None else image


def _used(services: list[dict[str, Any]], step: YDict) -> list[dict[str, Any]]:
    """The workflow's services a step reaches: those whose name, the host Woodpecker gives them, its
    commands or environment write (woodpecker's `host=postgres` in its postgres step's datasource;
    its unit tests beside them reach none)."""
    written = " ".join(str(v) for v in [*as_list(step.get("commands")),
                                        *(step["environment"].values() if isinstance(step.get("environment"), dict)
                                          else as_list(step.get("environment")))])
    return [s for s in services if re.search(rf"(?<![\w.-]){re.escape(s['name'])}(?![\w-])", written)]


def _overlap(ours: set[str], theirs: set[str]) -> bool:
    """Whether two steps run on some event in common (one with no event filter runs on all)."""
    return bool(ours & theirs) or _EVERY_EVENT in ours | theirs


def _combined(workflow: list[dict[str, Any]], step: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """What runs a step: the workflow's filter and its own must both hold, so each pair of their
    filters is merged (the step's branch and other keys narrowing the workflow's), on the events
    both name; None when no pair shares one, and the step never runs."""
    if not workflow or not step:
        return step or workflow
    out = []
    for outer in workflow:
        for inner in step:
            merged = {**outer, **inner}
            events = _values(outer.get("event"))
            if events and inner.get("event") is not None:
                merged["event"] = [e for e in _values(inner.get("event")) if e in events]
                if not merged["event"]:
                    continue
            out.append(merged)
    return out or None


def _values(value: Any) -> list[str]:
    if isinstance(value, (str, int)):
        return [str(value)]
    if isinstance(value, list):  # a merged sequence is a list inside the list
        return [v for item in value for v in _values(item)]
    if isinstance(value, dict):
        return _values(value.get("include"))
    return []


def _triggers(filters: list[dict[str, Any]]) -> list[Trigger]:
    """What runs a step: each filter's events, for pushes and pull requests on its branches."""
    if not filters:
        return [Trigger("external", _EVERY_EVENT)]
    found: list[Trigger] = []
    for flt in filters:
        events = _values(flt.get("event"))
        branches = _values(flt.get("branch")) or [""]
        excluded = _values(flt["branch"].get("exclude")) if isinstance(flt.get("branch"), dict) else []
        if not events:
            found.append(Trigger("external", _EVERY_EVENT))
            continue
        for event in events:
            kind = _EVENTS.get(event)
            if kind is None:
                continue
            if kind in ("push", "pull_request"):
                found += [Trigger(kind, branch, tuple(excluded) if not branch else ()) for branch in branches]
            elif kind == "tag":
                found.append(Trigger("tag", _tag_pattern(flt)))
            elif kind == "schedule":  # cron jobs are set in Woodpecker; a filter may name them
                named = _values(flt.get("cron"))
                said = f"cron job {', '.join(named)}" if named else "cron jobs set in Woodpecker"
                found.append(Trigger("external", said))
            else:
                found.append(Trigger("manual", _MANUAL[event][0]))
    return list({(t.kind, t.value, t.ignored): t for t in found}.values())


def _tag_pattern(flt: dict[str, Any]) -> str:
    """`ref: refs/tags/v*` names the tags; anything else is every tag."""
    refs = [r.removeprefix("refs/tags/") for r in _values(flt.get("ref")) if r.startswith("refs/tags/")]
    return ", ".join(refs)


def _services(services: Any) -> list[dict[str, Any]]:
    named = list(services.items()) if isinstance(services, YDict) else [
        (str(s.get("name") or ""), s) for s in services if isinstance(s, dict)] if isinstance(services, YList) else []
    out = []
    for index, (name, spec) in enumerate(named):
        image = spec.get("image") if isinstance(spec, dict) else None
        if isinstance(image, str):
            where = line_of(services, name if isinstance(services, YDict) else index)
            out.append(service_entry(image, str(name), where))
    return out

