"""The CI/CD Mermaid diagram: drawn from CI facts' attributes, deterministic, gates marked, optional."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from helpers import ROOT

from infrascan.diagram import _node_id, build_diagram
from infrascan.model import Confidence, Evidence, Fact, text


def ci_fact(field: str, job: str, *, needs: list[str] | None = None, triggers: list[str] | None = None,
            env: str | None = None, manual: bool = False) -> Fact:
    return Fact(field, text(f"{job} does it"), Confidence.DECLARED, (Evidence(".github/workflows/ci.yml", 3),),
                attrs={"ci": "github-actions", "pipeline": ".github/workflows/ci.yml", "job": job,
                       "needs": needs or [], "triggers": triggers or [], "environment": env, "manual": manual})


def test_triggers_build_tests_and_deploys_with_manual_gates() -> None:
    facts = [
        ci_fact("ci.build", "build", triggers=["push to main"]),
        ci_fact("ci.test.unit", "test", needs=["build"], triggers=["push to main"]),
        ci_fact("ci.deploy.automated", "deploy", needs=["test"], env="stg"),
        ci_fact("ci.deploy.manual", "release", needs=["test"], env="prod", manual=True),
    ]
    diagram = build_diagram(facts)
    assert diagram is not None and diagram.startswith("```mermaid\nflowchart LR\n")
    assert '["deploy to Staging"]' in diagram and '{{"release: deploy to Production (manual)"}}' in diagram
    assert '(["push to main"])' in diagram
    assert diagram.count("-->") == 4  # trigger -> build -> test -> (deploy, release)
    assert build_diagram(list(reversed(facts))) == diagram


def test_the_same_job_in_several_workflows_names_its_workflow() -> None:
    # kutt: three workflows, each with one `dockerhub-build-push` job; three identical boxes
    facts = []
    for workflow, trigger in (("docker-build-latest.yaml", "push to main"), ("docker-build-release.yml", "release")):
        fact = ci_fact("ci.build", "dockerhub-build-push", triggers=[trigger])
        fact.attrs["pipeline"] = f".github/workflows/{workflow}"
        facts.append(fact)
    facts.append(ci_fact("ci.test.unit", "test"))
    lone = ci_fact("ci.deploy.automated", "publish", env="prod")
    lone.attrs["pipeline"] = ".github/workflows/docker-build-latest.yaml"
    facts.append(lone)
    diagram = build_diagram(facts)
    assert diagram is not None
    assert '["docker-build-latest / dockerhub-build-push: build"]' in diagram
    assert '["docker-build-release / dockerhub-build-push: build"]' in diagram
    assert '["test: unit tests"]' in diagram  # a name no other box has stays as it was
    assert '["publish: deploy to Production"]' in diagram  # even in a workflow that has a repeated one
    # bank-of-anthos: one cloudbuild.yaml per service folder, each job named `cloudbuild`
    for fact, folder in zip(facts[:2], ("src/accounts", "src/ledger"), strict=True):
        fact.attrs["pipeline"] = f"{folder}/cloudbuild.yaml"
    diagram = build_diagram(facts)
    assert diagram is not None and '["src/accounts/cloudbuild / dockerhub-build-push: build"]' in diagram


def test_labels_cannot_break_out_of_the_diagram() -> None:
    diagram = build_diagram([ci_fact("ci.build", 'evil"]; click x "https://evil" ```', triggers=["push"])])
    assert diagram is not None
    body = diagram.removeprefix("```mermaid\n").removesuffix("\n```")
    assert "```" not in body and "click" not in body.split('"')[0]
    assert body.count('"') % 2 == 0


def test_a_manual_deploy_to_several_environments_names_each() -> None:
    # lago: a manual deploy job's environments are a list, drawn as "deploy to ['github-pages']"
    fact = ci_fact("ci.deploy.manual", "deploy", manual=True)
    fact.attrs["environment"] = ["staging", "prod"]
    diagram = build_diagram([fact])
    assert diagram is not None and '{{"deploy to Production, Staging (manual)"}}' in diagram


def test_label_characters_are_kept_as_entity_codes() -> None:
    # paperless-ngx: the tag pattern `v[0-9]+.[0-9]+.[0-9]+` lost its brackets in the trigger's label
    diagram = build_diagram([ci_fact("ci.build", "build", triggers=["tag push v[0-9]+.[0-9]+"])])
    assert diagram is not None and '(["tag push v#91;0-9#93;+.#91;0-9#93;+"])' in diagram


def test_a_job_that_runs_on_fewer_events_than_the_jobs_it_waits_for_says_on_which() -> None:
    # Rails 8's CI: tests on pull requests and pushes, the deploy after them only on a push to main
    facts = [
        ci_fact("ci.test.unit", "test", triggers=["pull requests", "push to main"]),
        ci_fact("ci.deploy.automated", "deploy", needs=["test"], triggers=["push to main"], env="production"),
        ci_fact("ci.test.e2e", "e2e", needs=["test"], triggers=["pull requests", "push to main"]),
    ]
    diagram = build_diagram(facts)
    assert diagram is not None
    test, deploy, e2e = (_node_id("job", ".github/workflows/ci.yml", job, "") for job in ("test", "deploy", "e2e"))
    assert f"  {test} -->|push to main| {deploy}\n" in diagram
    assert f"  {test} --> {e2e}\n" in diagram  # the same events: nothing to say
    branches = ["push to main", "push to a", "push to b"]
    many = [ci_fact("ci.test.unit", "test", triggers=["pull requests", *branches]),
            ci_fact("ci.deploy.automated", "deploy", needs=["test"], triggers=branches)]
    assert "-->|" not in (build_diagram(many) or "")  # three events or more: no label a chart can carry


def test_no_ci_facts_no_diagram() -> None:
    assert build_diagram([]) is None


def test_no_diagrams_option_and_configuration(tmp_path: Path) -> None:
    sample = ROOT / "sample_repos" / "node-api-github"

    def markdown(*extra: str) -> str:
        return subprocess.run([sys.executable, "-m", "infrascan", "scan", str(sample), "--format", "markdown",
                               *extra], capture_output=True, text=True, timeout=120).stdout

    assert "<!-- infrascan:begin ci-diagram -->" in markdown()
    assert "ci-diagram" not in markdown("--no-diagrams")
    config = tmp_path / "infrascan.toml"
    config.write_text("diagrams = false\n")
    assert "ci-diagram" not in markdown("--config", str(config))
