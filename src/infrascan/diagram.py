"""The CI/CD pipeline as a Mermaid flowchart: triggers -> build -> tests -> deploy per environment.

Drawn from the attributes every CI detector puts on its facts (pipeline, job, needs, triggers,
environment, manual), so it works the same for every CI system. Manual gates are drawn as
hexagons. Node order is sorted, so the same repository always gives the same diagram. GitHub and
GitLab render Mermaid in Markdown; elsewhere the block reads as a plain list of edges.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from infrascan.environments import display_name, normalise
from infrascan.model import Confidence, Fact, FactScope
from infrascan.redact import scrub

MAX_NODES = 40
ROLES = {
    "ci.build": "build",
    "ci.test.unit": "unit tests",
    "ci.test.integration": "integration tests",
    "ci.test.e2e": "E2E tests",
    "ci.deploy.manual": "deploy",
    "ci.deploy.automated": "deploy",
}


@dataclass
class Job:
    """One node: a job, or its manual half when a job deploys both automatically and by hand."""

    pipeline: str
    name: str
    manual: bool
    roles: set[str] = field(default_factory=set)
    environments: set[str] = field(default_factory=set)
    needs: set[str] = field(default_factory=set)
    triggers: set[str] = field(default_factory=set)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.pipeline, self.name, "manual" if self.manual else "")


def _node_id(prefix: str, *parts: str) -> str:
    raw = "\x1f".join(parts)
    return f"{prefix}_{hashlib.sha256(raw.encode()).hexdigest()[:8]}"


# Characters that could end a label, the node or the Markdown code block, as Mermaid's entity codes:
# dropping them turned paperless-ngx's tag pattern `v[0-9]+.[0-9]+` into "v0-9+.0-9+". Backticks
# only mark code in infrascan's own text (release `published`): dropped.
_ENTITIES = {'"': "#quot;", "`": "", "<": "#lt;", ">": "#gt;", "{": "#123;", "}": "#125;", "[": "#91;",
             "]": "#93;", "|": "#124;", "#": "#35;", ";": "#59;"}


def _label(text: str) -> str:
    """Mermaid label text: nothing that could end the label or the block, cut at 60 characters shown."""
    clean = scrub(re.sub(r"\s+", " ", text)).strip()
    clean = clean if len(clean) <= 60 else clean[:59].rstrip() + "…"
    return "".join(_ENTITIES.get(c, c) for c in clean) or "?"


def _jobs(facts: list[Fact]) -> dict[tuple[str, str, str], Job]:
    jobs: dict[tuple[str, str, str], Job] = {}
    for fact in facts:
        if fact.field not in ROLES or fact.scope is not FactScope.MAIN or fact.confidence is Confidence.HINT:
            continue
        pipeline, name = fact.attrs.get("pipeline"), fact.attrs.get("job")
        if not pipeline or not name:
            continue
        deploys = fact.field.startswith("ci.deploy")
        manual = fact.field == "ci.deploy.manual" or (deploys and bool(fact.attrs.get("manual")))
        # a step of a workflow several workflows call is drawn in each, from that caller's triggers
        placements = fact.attrs.get("callers") or [{"pipeline": pipeline, "triggers": fact.attrs.get("triggers")}]
        for place in placements:
            job = Job(str(place["pipeline"]), str(name), manual)
            job = jobs.setdefault(job.key, job)
            job.roles.add(str(fact.attrs.get("role") or ROLES[fact.field]))  # a fact may say what the job really does
            job.needs.update(str(n) for n in fact.attrs.get("needs") or [])
            job.triggers.update(str(t) for t in place.get("triggers") or [])
            env = fact.attrs.get("environment")
            if fact.field.startswith("ci.deploy") and env:
                # one environment, or the several a manual deploy job offers (written as a list, they
                # read "['github-pages']" in the node)
                names = env if isinstance(env, (list, tuple)) else [env]
                job.environments.update(display_name(normalise(str(e))) for e in names if e)
    return jobs


def _title(job: Job) -> str:
    """A job's node text: its name, what it does, and where it deploys to."""
    roles = ", ".join(sorted(job.roles))
    envs = f" to {', '.join(sorted(job.environments))}" if job.environments else ""
    return f"{roles if roles == job.name else f'{job.name}: {roles}'}{envs}"


def _pipeline_names(pipelines: set[str]) -> dict[str, str]:
    """Each pipeline as a node names it: its file's name without the YAML suffix, or its whole path
    when another has that name too (bank-of-anthos's `src/<service>/cloudbuild.yaml`)."""
    def stem(path: str) -> str:
        return re.sub(r"\.ya?ml$", "", path) or path

    short = {p: stem(p.rsplit("/", 1)[-1]) for p in pipelines}
    taken = Counter(short.values())
    return {p: name if taken[name] == 1 else stem(p) for p, name in short.items()}


def build_diagram(facts: list[Fact]) -> str | None:
    """The Mermaid source, or None when no CI fact carries the attributes to draw from."""
    jobs = _jobs(facts)
    if not jobs:
        return None
    ordered = sorted(jobs.values(), key=lambda j: j.key)
    shown = ordered[:MAX_NODES]
    lines = ["flowchart LR"]
    triggers: dict[str, str] = {}
    edges: dict[tuple[str, str], str] = {}  # (source, target) -> the edge's label
    names: dict[tuple[str, str], list[Job]] = defaultdict(list)  # (pipeline, job) -> its nodes
    for job in shown:
        names[(job.pipeline, job.name)].append(job)
    titles = {job.key: _title(job) for job in shown}
    # a job's manual half is told apart by its shape and "(manual)" already
    counts = Counter((titles[job.key], job.manual) for job in shown)
    repeated = {job.key for job in shown if counts[(titles[job.key], job.manual)] > 1}
    named = _pipeline_names({job.pipeline for job in shown if job.key in repeated})
    for job in shown:
        node = _node_id("job", *job.key)
        title = titles[job.key]
        if job.key in repeated:
            # the same job in several workflows (kutt's three `dockerhub-build-push` builds): which one
            title = f"{named[job.pipeline]} / {title}"
        label = _label(title)
        lines.append(f'  {node}{{{{"{label} (manual)"}}}}' if job.manual else f'  {node}["{label}"]')
        parents = [p for n in sorted(job.needs) for p in names.get((job.pipeline, n), [])]
        # A job that runs on fewer events than the jobs it waits for (a deploy job's `if: push to
        # main` after tests that also run for pull requests) says on which: else the chart reads
        # as if every pull request deployed. One or two: a longer list (gitlab-runner's branch
        # patterns) is no label a chart can carry.
        fewer = 0 < len(job.triggers) <= 2 and any(p.triggers - job.triggers for p in parents)
        edges.update(((_node_id("job", *p.key), node), ", ".join(sorted(job.triggers)) if fewer else "")
                     for p in parents)
        if not parents:
            for trigger in sorted(job.triggers) or ["any change"]:
                tid = triggers.setdefault(trigger, _node_id("trigger", trigger))
                edges[(tid, node)] = ""
    for trigger, tid in sorted(triggers.items(), key=lambda t: t[1]):
        lines.append(f'  {tid}(["{_label(trigger)}"])')
    lines.extend(f"  {source} -->|{_label(label)}| {target}" if label else f"  {source} --> {target}"
                 for (source, target), label in sorted(edges.items()))
    if len(ordered) > len(shown):
        lines.append(f'  more["and {len(ordered) - len(shown)} more jobs"]')
    return "```mermaid\n" + "\n".join(lines) + "\n```"
