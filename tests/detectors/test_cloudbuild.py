"""Google Cloud Build: builder images as commands, images pushed, deploys, wrapper scripts, build/."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import Scanned, diagnostics_for, facts_for, fixture_text, scan_tree, texts
from infrascan.detectors._pipelines import step_catalog

from infrascan.model import Confidence, Severity


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    names = [
        "cloudbuild.yaml",
        "int.cloudbuild.yaml",
        "build/cloudbuild-tf-apply.yaml",
        "build/cloudbuild-tf-plan.yaml",
        "build/tf-wrapper.sh",
    ]
    files = {name: fixture_text("cloudbuild", *name.split("/")) for name in names}
    return scan_tree(tmp_path_factory.mktemp("cloudbuild"), files)


def test_docker_builder_and_images_name_the_registry(builds: Scanned) -> None:
    (build,) = facts_for(builds.model, "ci.build")
    assert build.text.startswith(
        "Image ${_IMAGE}:${SHORT_SHA} built and pushed to Google Artifact Registry (europe-west1-docker.pkg.dev)"
    )
    # the build step, the docker push step and the `images:` list
    assert [ev.line for ev in build.evidence] == [19, 22, 37]
    assert build.attrs["triggers"] == [
        "each run of a Cloud Build trigger (set in Cloud Build or Terraform, not in this file)"
    ]


def test_entrypoint_steps_test_migrate_and_deploy(builds: Scanned) -> None:
    (unit,) = facts_for(builds.model, "ci.test.unit")
    assert unit.text.startswith("pytest in build cloudbuild (cloudbuild.yaml)") and unit.evidence[0].line == 16
    (migration,) = texts(facts_for(builds.model, "deploy.migration.strategy"))
    assert migration.startswith("CI step: build cloudbuild runs python manage.py migrate --noinput before gcloud run")
    deploys = {f.attrs["pipeline"]: f for f in facts_for(builds.model, "ci.deploy.automated")}
    run = deploys["cloudbuild.yaml"]
    assert "deploys to staging (Google Cloud Run) (environment inferred from names)" in run.text  # _ENV: staging
    assert run.confidence is Confidence.INFERRED


def test_wrapper_script_verbs(builds: Scanned) -> None:
    """`./tf-wrapper.sh apply` reaches `terraform apply` in the script; `plan` and `init` do not."""
    deploys = {f.attrs["pipeline"]: f for f in facts_for(builds.model, "ci.deploy.automated")}
    assert "build/cloudbuild-tf-plan.yaml" not in deploys
    apply = deploys["build/cloudbuild-tf-apply.yaml"]
    assert "deploys with Terraform to the environment named by ${BRANCH_NAME}" in apply.text
    assert {(ev.path, ev.line) for ev in apply.evidence} >= {
        ("build/tf-wrapper.sh", 7),
        ("build/cloudbuild-tf-apply.yaml", 26),
    }


def test_shell_in_args_and_unknown_builders(builds: Scanned) -> None:
    (integration,) = facts_for(builds.model, "ci.test.integration")
    assert integration.text.startswith("cft in build int.cloudbuild (int.cloudbuild.yaml)")
    (info,) = [d for d in builds.model.diagnostics if d.path == "int.cloudbuild.yaml"]
    assert info.severity is Severity.INFO and info.line == 7 and "runs its own entrypoint" in info.message


def test_broken_yaml_is_a_diagnostic_with_a_line(tmp_path: Path) -> None:
    model = scan_tree(tmp_path, {"deploy.cloudbuild.yaml": fixture_text("cloudbuild", "broken.cloudbuild.yaml")}).model
    (message,) = diagnostics_for(model, "deploy.cloudbuild.yaml")
    assert message.startswith("invalid YAML")
    assert [d.line for d in model.diagnostics if d.path == "deploy.cloudbuild.yaml"] == [4]


def test_not_a_build_config(tmp_path: Path) -> None:
    model = scan_tree(tmp_path, {"cloudbuild.yaml": "substitutions:\n  _ENV: prod\n"}).model
    assert diagnostics_for(model, "cloudbuild.yaml") == ["no `steps:` list; not a Cloud Build config"]


@pytest.mark.parametrize(
    ("image", "command"),
    [
        ("gcr.io/cloud-builders/docker", "docker"),
        ("gcr.io/cloud-builders/gcloud", "gcloud"),
        ("gcr.io/google.com/cloudsdktool/cloud-sdk:slim", "gcloud"),
        ("gcr.io/cloud-builders/kubectl", "kubectl"),
        ("gcr.io/cloud-builders/gke-deploy", "gke-deploy"),
        ("gcr.io/cloud-builders/gsutil", "gsutil"),
        ("gcr.io/cloud-builders/npm:node-20", "npm"),
        ("gcr.io/kaniko-project/executor:latest", "/kaniko/executor"),
        ("hashicorp/terraform:1.8", "terraform"),
        ("pulumi/pulumi:3.120.0", "pulumi"),
        ("gcr.io/$PROJECT_ID/firebase", "firebase"),
        ("alpine/helm:3.15.2", "helm"),
        ("python:3.12", None),
    ],
)
def test_builder_images(image: str, command: str | None) -> None:
    assert step_catalog().builder_command(image) == command


def test_commands_of_a_folded_script_cite_their_own_lines(tmp_path: Path) -> None:
    # microservices-demo: `- >` folds the script onto one line, and `skaffold run` cited `gcloud`'s
    scanned = scan_tree(tmp_path, {"cloudbuild.yaml": (
        "steps:\n- id: 'Deploy application to cluster'\n  name: 'gcr.io/k8s-skaffold/skaffold:v2.16.1'\n"
        "  entrypoint: 'bash'\n  args:\n  - '-c'\n  - >\n"
        "    gcloud container clusters get-credentials --zone=$_ZONE $_CLUSTER;\n"
        "    skaffold run -f=skaffold.yaml --default-repo=gcr.io/$PROJECT_ID;\n\ntimeout: '3600s'\n")})
    [step] = [f for f in facts_for(scanned.model, "deploy.steps") if "skaffold run" in f.text]
    assert [(e.path, e.line) for e in step.evidence] == [("cloudbuild.yaml", 9)]


def test_a_cloud_build_config_of_another_name_is_read_by_content(tmp_path: Path) -> None:
    # bank-of-anthos: `.github/cloudbuild/ci-pr.yaml` runs the PR pipeline; Drone's steps are not Cloud Build
    scanned = scan_tree(tmp_path, {
        ".github/cloudbuild/ci-pr.yaml": "# licence\n\nsteps:\n  - id: test\n    name: gcr.io/cloud-builders/go:1.16\n"
                                         "    entrypoint: go\n    args: ['test', './...']\n",
        ".drone.yml": "kind: pipeline\nsteps:\n  - name: test\n    image: golang\n    commands: [go test ./...]\n",
        # written on Windows, the first step's args before its name
        "build/release.yaml": "steps:\r\n- args:\r\n  - test\r\n  - ./...\r\n  name: gcr.io/cloud-builders/go\r\n"
                              "  entrypoint: go\r\n",
    })
    paths = {e.path for f in scanned.model.facts for e in f.evidence if e.detector == "cloudbuild"}
    assert paths == {".github/cloudbuild/ci-pr.yaml", "build/release.yaml"}


def test_option_names_and_variables_name_no_environment(tmp_path: Path) -> None:
    # bank-of-anthos: `--gcs-source-staging-dir=$_SOURCE_STAGING_BUCKET` made a Cloud Deploy release a
    # deploy "to staging (environment inferred from names)"
    scanned = scan_tree(tmp_path, {
        "src/web/cloudbuild.yaml": "steps:\n  - name: gcr.io/cloud-builders/gcloud\n    args:\n"
                                   "      - deploy\n      - releases\n      - create\n      - web-$SHORT_SHA\n"
                                   "      - --delivery-pipeline=web\n"
                                   "      - --gcs-source-staging-dir=$_SOURCE_STAGING_BUCKET/$SHORT_SHA\n",
        "api/cloudbuild.yaml": "steps:\n  - name: gcr.io/google.com/cloudsdktool/cloud-sdk\n    entrypoint: bash\n"
                               "    args: ['-c', 'serverless deploy --stage prod']\n",
        # review: a variable in a recognised option's value, and `--prod`, which names production
        "k8s/cloudbuild.yaml": "steps:\n  - name: gcr.io/cloud-builders/kubectl\n"
                               "    args: ['apply', '-f', 'k8s/', '-n', '$_STAGING_NAMESPACE']\n",
        "web/cloudbuild.yaml": "steps:\n  - name: node:20\n    entrypoint: npx\n"
                               "    args: ['vercel', 'deploy', '--prod', '--token=$_VERCEL_TOKEN']\n",
    })
    deploys = {f.evidence[0].path: f.text for f in facts_for(scanned.model, "ci.deploy.automated")}
    assert "staging" not in deploys["src/web/cloudbuild.yaml"] and "staging" not in deploys["k8s/cloudbuild.yaml"]
    assert "deploys to production (Vercel)" in deploys["web/cloudbuild.yaml"]
    assert "(environment not named in the pipeline)" in deploys["src/web/cloudbuild.yaml"]
    assert "deploys to prod" in deploys["api/cloudbuild.yaml"]


def test_a_service_deployed_tested_and_deleted_in_one_build_is_an_end_to_end_test(tmp_path: Path) -> None:
    # cloud-run-microservice-template-python: `gcloud run deploy ${_SERVICE_NAME}-$BUILD_ID`, system
    # tests against its URL, then `gcloud run services delete` of the same service: the document
    # called it an automated deployment and made its steps the deployment steps
    build = (
        "steps:\n"
        '  - id: "Deploy to Cloud Run"\n    name: gcr.io/cloud-builders/gcloud\n    entrypoint: /bin/bash\n'
        "    args:\n      - '-c'\n      - |\n"
        "        gcloud run deploy ${_SERVICE_NAME}-$BUILD_ID --image $_IMAGE --region us-central1\n"
        '  - id: "Run System Tests"\n    name: python:3.12-slim\n    entrypoint: python\n'
        '    args: ["-m", "pytest", "test/test_system.py"]\n'
        '  - id: "Delete service"\n    name: gcr.io/cloud-builders/gcloud\n    entrypoint: /bin/bash\n'
        "    args:\n      - '-c'\n      - |\n"
        "        gcloud run services delete ${_SERVICE_NAME}-$BUILD_ID --region us-central1 --quiet\n"
    )
    scanned = scan_tree(tmp_path, {"cloudbuild.yaml": build})
    assert not facts_for(scanned.model, "ci.deploy.automated") and not facts_for(scanned.model, "deploy.steps")
    [e2e] = facts_for(scanned.model, "ci.test.e2e")
    assert e2e.text.startswith("Deploys with Google Cloud Run, tests and removes it again (gcloud run services delete")
    assert ("cloudbuild.yaml", 19) in [(e.path, e.line) for e in e2e.evidence]
    # a build that deploys and deletes nothing stays a deployment; so does one that deletes something
    # not named for its run (a canary it replaces) before or after deploying (code review of 5faa9ba)
    for name, variant in (("kept", build.split('  - id: "Delete service"')[0]),
                          ("other", build.replace("services delete ${_SERVICE_NAME}-$BUILD_ID",
                                                  "services delete app-canary"))):
        (tmp_path / name).mkdir()
        kept = scan_tree(tmp_path / name, {"cloudbuild.yaml": variant})
        assert facts_for(kept.model, "ci.deploy.automated") and not facts_for(kept.model, "ci.test.e2e"), name
