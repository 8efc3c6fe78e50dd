"""Jenkinsfiles, read by regular expressions: stages, when, sh in every quoting style, input gates."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import Scanned, diagnostics_for, facts_for, fixture_text, scan_tree, texts
from infrascan.detectors._pipelines import step_catalog
from infrascan.detectors.jenkins import blank_comments, block_end, unbalanced

from infrascan.model import Confidence


@pytest.fixture(scope="module")
def declarative(tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    return scan_tree(tmp_path_factory.mktemp("jenkins"), {"Jenkinsfile": fixture_text("jenkins", "Jenkinsfile")})


def test_when_branch_deploys_staging_automatically(declarative: Scanned) -> None:
    (staging,) = facts_for(declarative.model, "ci.deploy.automated")
    assert staging.text.startswith("On push to main: deploys to staging (Helm)")
    assert staging.attrs["job"] == "Deploy staging" and staging.attrs["triggers"] == ["push to main"]
    # the helm command spans a `\` continuation inside ''' '''; its first line is the evidence
    assert 40 in {ev.line for ev in staging.evidence}


def test_input_directive_makes_the_tag_deploy_manual(declarative: Scanned) -> None:
    (production,) = facts_for(declarative.model, "ci.deploy.manual")
    assert production.text.startswith(
        "input in stage Deploy production (Deploy to production?) starts the deploy to production"
    )
    assert "(Helm, Kubernetes)" in production.text  # helm in sh + kubernetesDeploy(...)
    assert production.text.endswith("the pipeline runs on every tag")


def test_triggers_add_a_schedule_to_job_builds(declarative: Scanned) -> None:
    (build,) = facts_for(declarative.model, "ci.build")
    assert build.attrs["triggers"] == [
        "every build of the Jenkins job (its triggers are set in Jenkins)",
        "schedule `H 2 * * 1-5`",
    ]
    assert build.text.startswith("Image $REGISTRY/api:$BUILD_NUMBER built and pushed to a registry in job Build")
    assert [ev.line for ev in build.evidence] == [16, 17]  # '...' and "..." with escaped dollars


def test_parallel_stages_and_sh_with_named_arguments(declarative: Scanned) -> None:
    assert [f.attrs["job"] for f in facts_for(declarative.model, "ci.test.unit")] == ["Unit"]
    (integration,) = facts_for(declarative.model, "ci.test.integration")
    assert integration.attrs["job"] == "Integration" and integration.evidence[0].line == 29


def test_rollout_status_verifies_and_post_failure_names_slack(declarative: Scanned) -> None:
    assert texts(facts_for(declarative.model, "deploy.rollback.verify")) == [
        "kubectl rollout status deployment/api -n staging after the deploy in job Deploy staging (Jenkinsfile)"
    ]
    (alert,) = facts_for(declarative.model, "alert.channels")
    assert alert.confidence is Confidence.HINT
    assert alert.text == "Slack notification from the pipeline (post { failure })"


def test_input_after_a_deploy_gates_the_next_stage(tmp_path: Path) -> None:
    model = scan_tree(tmp_path, {"Jenkinsfile": fixture_text("jenkins", "helm.Jenkinsfile")}).model
    (testing,) = facts_for(model, "ci.deploy.automated")
    assert testing.attrs["job"] == "Deploy in Testing Environment" and testing.attrs["environment"] == "testing"
    (prod,) = facts_for(model, "ci.deploy.manual")
    assert prod.attrs["job"] == "Deploy in Prod Environment" and prod.attrs["environment"] == "production"
    assert "(Does Pre-Production look good?)" in prod.text
    # `sudo -H -u deployer bash -c '...'` is opened to the helm command it runs
    steps = texts(facts_for(model, "deploy.steps"))
    assert "Deploy (production): helm upgrade --install --namespace production app-prod . in job" in steps[1]


def test_unbalanced_braces_are_a_diagnostic_and_stages_still_read(tmp_path: Path) -> None:
    model = scan_tree(tmp_path, {"ci.jenkinsfile": fixture_text("jenkins", "broken.jenkinsfile")}).model
    assert diagnostics_for(model, "ci.jenkinsfile") == ["unbalanced braces: this `{` or `}` has no match"]
    assert [d.line for d in model.diagnostics if d.path == "ci.jenkinsfile"] == [1]


def test_unterminated_string_is_a_diagnostic(tmp_path: Path) -> None:
    model = scan_tree(tmp_path, {"Jenkinsfile": fixture_text("jenkins", "unterminated.jenkinsfile")}).model
    assert diagnostics_for(model, "Jenkinsfile") == ["cannot parse the Jenkinsfile: unterminated ' string"]
    assert [d.line for d in model.diagnostics if d.path == "Jenkinsfile"] == [5]


def test_comments_and_strings_do_not_confuse_braces() -> None:
    source = "stage('a') { // a { in a comment\n sh 'echo }' /* } */ }\n"
    blanked = blank_comments(source)
    assert len(blanked) == len(source) and "comment" not in blanked
    assert block_end(blanked, source.index("{")) == len(source) - 2
    assert unbalanced(blanked) is None


def test_every_jenkins_step_entry() -> None:
    rows = {
        r"\bkubernetesDeploy\s*\(": ("kubernetesDeploy(configs: 'k8s.yml')", "deploy"),
        r"\bdocker\.build\s*\(": ('def img = docker.build("acme/api:${env.BUILD_ID}")', "build"),
        r"""\.push\s*\(\s*(?:['"][^'"]*['"])?\s*\)""": ("img.push('latest')", "push"),
        r"\bslackSend\b": ("slackSend channel: '#ops'", "alert Slack"),
        r"\b(?:mail|emailext)\s*[\(\s]": ("mail to: 'ops@example.com', subject: 'failed'", "alert e-mail"),
        r"\bmattermostSend\b": ("mattermostSend message: 'done'", "alert Mattermost"),
        r"\bofficeWebhook\b|\bMicrosoftTeams\b|\boffice365ConnectorSend\b": (
            "office365ConnectorSend webhookUrl: env.TEAMS_HOOK",
            "alert Microsoft Teams",
        ),
    }
    catalog = step_catalog()
    assert set(rows) == set(catalog.keys("jenkins_steps", "step"))
    for _, (groovy, expected) in rows.items():
        found = catalog.jenkins(groovy)
        seen = " ".join(
            [d["kind"] for _, m in found for d in m.does] + [f"alert {m.alert}" for _, m in found if m.alert]
        )
        assert seen == expected, groovy


def test_camel_case_stage_names_the_environment(tmp_path: Path) -> None:
    """A fix found on cristioltean/code: `DeployToProduction` was read as no environment at all."""
    model = scan_tree(tmp_path, {"Jenkinsfile": fixture_text("jenkins", "camel.Jenkinsfile")}).model
    (manual,) = facts_for(model, "ci.deploy.manual")
    assert manual.attrs["environment"] == "production"
    assert manual.text.startswith("input in stage DeployToProduction (Deploy to Production?) starts the deploy")
    assert [ev.line for ev in manual.evidence] == [6, 9, 8]  # stage, kubernetesDeploy, input


def test_script_steps_resolve_and_branch_gates_stay_in_their_branch(tmp_path: Path) -> None:
    """Fixes found on jenkins-docs/building-a-multibranch-pipeline-project and simple-java-maven-app:
    `sh './x.sh'` was read as an unterminated string, and a development-only input gated production."""
    files = {
        "jenkins/Jenkinsfile": fixture_text("jenkins", "multibranch.Jenkinsfile"),
        "jenkins/scripts/test.sh": "#!/usr/bin/env sh\nset -x\nnpm test\n",
        "jenkins/scripts/deliver-for-development.sh": "#!/usr/bin/env sh\nnpm run build\nnpm start &\n",
        "jenkins/scripts/deploy-for-production.sh": "#!/usr/bin/env sh\nnpm run build\nkubectl apply -f k8s/\n",
        "jenkins/scripts/kill.sh": "#!/usr/bin/env sh\nkill $(cat .pidfile)\n",
        "package.json": '{"scripts": {"test": "jest --ci", "build": "vite build"}}',
    }
    model = scan_tree(tmp_path, files).model
    assert diagnostics_for(model, "jenkins/Jenkinsfile") == []
    (unit,) = facts_for(model, "ci.test.unit")
    assert unit.text.startswith("jest via ./jenkins/scripts/test.sh in job Test")
    assert {ev.path for ev in unit.evidence} == {"package.json", "jenkins/Jenkinsfile"}
    (production,) = facts_for(model, "ci.deploy.automated")  # its own input comes after the deploy
    assert production.text.startswith("On push to production: deploys to production (Kubernetes)")
    assert facts_for(model, "ci.deploy.manual") == []


def test_deploy_stages_that_only_run_the_app_on_the_agent_say_so(tmp_path: Path) -> None:
    """jenkins-docs/building-a-multibranch-pipeline-project: its "deploy" scripts build, start the app in
    the background on the Jenkins agent (`npm start &`, `serve -s build -l 5000 &`) and wait on `input`
    until someone has looked at it; no environment is deployed to, so none is named."""
    files = {
        "jenkins/Jenkinsfile": fixture_text("jenkins", "multibranch.Jenkinsfile"),
        "jenkins/scripts/test.sh": "#!/usr/bin/env sh\nnpm test\n",
        "jenkins/scripts/deliver-for-development.sh": "#!/usr/bin/env sh\nset -x\nnpm start &\necho $! > .pidfile\n",
        "jenkins/scripts/deploy-for-production.sh": (
            "#!/usr/bin/env sh\nnpm run build\nnpm install serve\n"
            "./node_modules/serve/build/main.js -s build -l 5000 &\n"
        ),
        "jenkins/scripts/kill.sh": "#!/usr/bin/env sh\nkill $(cat .pidfile)\n",
        "package.json": '{"scripts": {"start": "react-scripts start", "build": "react-scripts build"}}',
    }
    model = scan_tree(tmp_path, files).model
    development, production = sorted(facts_for(model, "ci.deploy.automated"), key=lambda f: f.order)
    assert development.text == (
        "On push to development: job Deliver for development (Jenkinsfile) runs the app on the CI agent itself "
        "(react-scripts start via ./jenkins/scripts/deliver-for-development.sh); "
        "no command deploys it to an environment"
    )
    assert production.text == (
        "On push to production: job Deploy for production (Jenkinsfile) runs the app on the CI agent itself "
        "(./node_modules/serve/build/main.js -s build -l 5000 & via ./jenkins/scripts/deploy-for-production.sh, "
        "after npm run build); no command deploys it to an environment"
    )
    assert {f.confidence for f in (development, production)} == {Confidence.INFERRED}
    assert production.attrs["environment"] is None and production.attrs["triggers"] == ["push to production"]
    assert ("jenkins/scripts/deploy-for-production.sh", 4) in {(ev.path, ev.line) for ev in production.evidence}
    pauses = sorted(facts_for(model, "ci.deploy.manual"), key=lambda f: f.order)
    assert [f.text for f in pauses] == [
        f"On push to {branch}: input in stage {stage} (Finished using the web site? (Click \"Proceed\" to continue)) "
        "pauses the build while the app runs on the agent until a person proceeds, "
        "then runs ./jenkins/scripts/kill.sh; it gates no deploy"
        for branch, stage in (("development", "Deliver for development"), ("production", "Deploy for production"))
    ]
    assert [[ev.line for ev in f.evidence] for f in pauses] == [[19, 20], [29, 30]]  # the input, then kill.sh
    assert facts_for(model, "deploy.steps") == []


def test_two_jenkinsfiles_are_told_apart_by_their_path(tmp_path: Path) -> None:
    # Modelled on jenkins-docs/building-a-multibranch-pipeline-project: a stub `Jenkinsfile` at the
    # top and the real pipeline in `jenkins/Jenkinsfile`; "(Jenkinsfile)" named the wrong one.
    stub = "pipeline {\n  agent any\n  stages {\n    stage('Build') {\n      steps {\n        echo 'Hello world!'\n"\
           "      }\n    }\n  }\n}\n"
    real = "pipeline {\n  agent any\n  stages {\n    stage('Test') {\n      steps {\n        sh 'npm test'\n"\
           "      }\n    }\n  }\n}\n"
    scanned = scan_tree(tmp_path, {"Jenkinsfile": stub, "jenkins/Jenkinsfile": real,
                                   "package.json": '{"scripts": {"test": "jest"}}\n'})
    [unit] = [f for f in facts_for(scanned.model, "ci.test.unit") if any(e.detector == "jenkins" for e in f.evidence)]
    assert "(jenkins/Jenkinsfile)" in unit.text
