"""CircleCI: workflows, filters, approval gates, orbs, reusable commands, services, schedules."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import Scanned, diagnostics_for, facts_for, fixture_text, scan_tree, texts
from infrascan.detectors._pipelines import step_catalog

from infrascan.model import Confidence

CONFIG = ".circleci/config.yml"


@pytest.fixture(scope="module")
def workflows(tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    return scan_tree(tmp_path_factory.mktemp("circleci"), {CONFIG: fixture_text("circleci", "workflows.yml")})


def test_approval_job_gates_the_production_deploy(workflows: Scanned) -> None:
    (manual,) = facts_for(workflows.model, "ci.deploy.manual")
    assert manual.text.startswith(
        "Approval job hold in workflow build-test-deploy starts the deploy to production (Amazon ECS)"
    )
    assert manual.text.endswith("the pipeline runs on push to main")  # hold requires a main-only job
    assert manual.attrs["manual"] is True and manual.attrs["needs"] == ["migrate"]
    assert {ev.line for ev in manual.evidence} >= {80}  # the `hold` entry


def test_branch_filter_and_context_name_the_staging_deploy(workflows: Scanned) -> None:
    (automated,) = facts_for(workflows.model, "ci.deploy.automated")
    assert automated.text.startswith("On push to main: deploys to staging (Amazon ECS) (environment inferred")
    assert automated.confidence is Confidence.INFERRED  # CircleCI has no environment key
    assert automated.attrs["triggers"] == ["push to main"] and automated.attrs["stage"] == "build-test-deploy"


def test_orb_build_names_the_ecr_image(workflows: Scanned) -> None:
    (build,) = facts_for(workflows.model, "ci.build")
    image = "${AWS_ACCOUNT_ID}.dkr.ecr.${AWS_REGION}.amazonaws.com/api"
    assert build.text.startswith(f"Image {image} built and pushed to Amazon ECR in job build-image")
    assert build.attrs["registries"] == ["ecr"] and build.attrs["needs"] == ["test"]


def test_second_docker_image_is_a_service_and_marker_keeps_unit(workflows: Scanned) -> None:
    unit = facts_for(workflows.model, "ci.test.unit")
    assert sorted(texts(unit)) == [
        "pytest in job test, workflow build-test-deploy (config.yml): every push; services: cimg/postgres:16.2",
        "pytest in job test, workflow nightly (config.yml): schedule 0 3 * * *; services: cimg/postgres:16.2",
    ]
    # the command comes from a reusable command with a parameter default; the line is inside its block
    assert {ev.line for f in unit for ev in f.evidence} == {30, 13}
    (e2e,) = facts_for(workflows.model, "ci.test.e2e")
    assert e2e.text == "playwright in job e2e, workflow build-test-deploy (config.yml): push to main"


def test_migration_job_runs_before_the_deploy_job(workflows: Scanned) -> None:
    (migration,) = texts(facts_for(workflows.model, "deploy.migration.strategy"))
    assert migration.startswith("CI step: job migrate runs alembic upgrade head before job deploy-production")


def test_post_steps_and_orb_parameters_verify(workflows: Scanned) -> None:
    verify = texts(facts_for(workflows.model, "deploy.rollback.verify"))
    assert any(
        t.startswith("curl -fsS --retry 10 https://staging.example.com/healthz after the deploy") for t in verify
    )
    assert any(t.startswith("aws-ecs/deploy_service_update (verify-revision-is-deployed: true)") for t in verify)


def test_orb_verify_cites_the_parameter_that_turns_it_on(workflows: Scanned) -> None:
    # The orb job starts at line 86; `verify_revision_is_deployed: true` (line 90) is what proves it verifies.
    orb = [
        f
        for field in ("deploy.rollback.verify", "deploy.steps")
        for f in facts_for(workflows.model, field)
        if "verify-revision-is-deployed" in f.text
    ]
    assert len(orb) == 2
    assert all([ev.line for ev in f.evidence] == [90] for f in orb)


def test_a_check_after_the_deploy_verifies_a_rollback_only_by_inference(workflows: Scanned) -> None:
    verify = facts_for(workflows.model, "deploy.rollback.verify")
    assert len(verify) == 2 and all(f.confidence is Confidence.INFERRED for f in verify)


def test_deploy_steps_follow_the_requires_chain(workflows: Scanned) -> None:
    production = sorted(
        (f for f in facts_for(workflows.model, "deploy.steps") if f.attrs["environment"] == "production"),
        key=lambda f: f.order,
    )
    assert [f.attrs["step"] for f in production] == ["Build", "Push image", "Migrate database", "Deploy", "Verify"]


def test_slack_orb_is_an_alert_channel_hint(workflows: Scanned) -> None:
    (alert,) = facts_for(workflows.model, "alert.channels")
    assert alert.confidence is Confidence.HINT and alert.text.startswith("Slack notification")


def test_tag_filters(tmp_path: Path) -> None:
    model = scan_tree(tmp_path, {CONFIG: fixture_text("circleci", "tags.yml")}).model
    (unit,) = facts_for(model, "ci.test.unit")
    assert unit.attrs["triggers"] == ["push", "tag /^v.*/"]  # branches by default, tags by filter
    builds = {f.attrs["job"]: f.attrs["triggers"] for f in facts_for(model, "ci.build")}
    assert builds == {"build": ["push", "tag /^v.*/"], "release": ["tag /^v.*/"]}


def test_broken_yaml_is_a_diagnostic_with_a_line(tmp_path: Path) -> None:
    model = scan_tree(tmp_path, {CONFIG: fixture_text("circleci", "broken-tab.yml")}).model
    assert [(d.line, d.message.startswith("invalid YAML")) for d in model.diagnostics if d.path == CONFIG] == [
        (4, True)
    ]


def test_undefined_job_is_reported_and_the_rest_documented(tmp_path: Path) -> None:
    model = scan_tree(tmp_path, {CONFIG: fixture_text("circleci", "undefined-job.yml")}).model
    assert diagnostics_for(model, CONFIG) == ["workflow job `deploy-prod` is not defined under `jobs:` or by an orb"]
    assert [d.line for d in model.diagnostics if d.path == CONFIG] == [14]
    # npm test has no package.json to resolve through: nothing is claimed about it
    assert facts_for(model, "ci.test.unit") == []


def test_every_orb_entry() -> None:
    """One row per orb job or command in data/pipeline_steps.yaml."""
    rows = {
        "circleci/aws-ecr/build-and-push-image": (
            {"account-url": "1.dkr.ecr.x.amazonaws.com", "repo": "a"},
            "build push",
        ),
        "circleci/aws-ecr/push-image": ({"repo": "a"}, "push"),
        "circleci/aws-ecs/deploy-service-update": ({"verify-revision-is-deployed": True}, "deploy verify"),
        "circleci/aws-ecs/update-service": ({}, "deploy"),
        "circleci/aws-ecs/verify-revision-is-deployed": ({}, "verify"),
        "circleci/aws-eks/update-container-image": ({}, "deploy"),
        "circleci/aws-s3/sync": ({}, "deploy"),
        "circleci/heroku/deploy-via-git": ({}, "deploy"),
        "circleci/heroku/release-docker-image": ({}, "deploy"),
        "circleci/helm/upgrade-helm-chart": ({}, "deploy"),
        "circleci/helm/install-helm-chart": ({}, "deploy"),
        "circleci/kubernetes/create-or-update-resource": ({}, "deploy"),
        "circleci/gcp-gke/publish-and-rollout-image": ({}, "build push deploy"),
        "circleci/gcp-gke/rollout-image": ({}, "deploy"),
        "circleci/gcp-gcr/build-and-push-image": ({"image": "gcr.io/p/app"}, "build push"),
        "circleci/gcp-cloud-run/deploy": ({}, "deploy"),
        "circleci/docker/publish": ({"image": "acme/app"}, "build push"),
        "circleci/docker/build": ({}, "build"),
        "circleci/docker/push": ({}, "push"),
        "circleci/terraform/apply": ({}, "deploy"),
        "circleci/node/test": ({}, "cmd npm run test"),
        "circleci/python/test": ({"test-tool": "unittest"}, "cmd python -m unittest"),
        "cypress-io/cypress/run": ({}, "test"),
        "circleci/slack/notify": ({}, "alert Slack"),
        "circleci/slack/on-hold": ({}, "alert Slack"),
    }
    catalog = step_catalog()
    assert set(rows) == set(catalog.keys("circleci_orbs", "orb"))
    for orb, (params, expected) in rows.items():
        found = catalog.lookup("circleci_orbs", "orb", orb, params)
        assert found is not None, orb
        seen = " ".join(
            [d["kind"] for d in found.does]
            + [f"cmd {c}" for c in found.commands]
            + ([f"alert {found.alert}"] if found.alert else [])
        )
        assert seen == expected, orb


def test_a_branch_ignore_filter_is_named_in_the_trigger(tmp_path: Path) -> None:
    # hashicorp/terraform-aws-consul: tests run on every branch but publish-amis, which only builds AMIs
    scanned = scan_tree(tmp_path, {".circleci/config.yml": (
        "version: 2\njobs:\n  test:\n    docker:\n      - image: cimg/go:1.22\n    steps:\n      - checkout\n"
        "      - run: run-go-tests --path test\n  deploy:\n    docker:\n      - image: cimg/go:1.22\n    steps:\n"
        "      - run: packer build -only=amazon-ebs.ubuntu .\n"
        "workflows:\n  version: 2\n  build-and-test:\n    jobs:\n      - test:\n          filters:\n"
        "            branches:\n              ignore: publish-amis\n      - deploy:\n          filters:\n"
        "            branches:\n              only: publish-amis\n")})
    [tests] = facts_for(scanned.model, "ci.test.integration")
    assert tests.text.endswith("every push except to publish-amis")
    [build] = facts_for(scanned.model, "ci.build")
    assert build.text.startswith("Packer build packer build -only=amazon-ebs.ubuntu .")
