"""The ECS detector: a task definition's containers' variables, log drivers and health checks."""

from __future__ import annotations

from pathlib import Path

from helpers import diagnostics_for, facts_for, fixture_tree, generated, scan_tree, texts, write_tree

from infrascan.model import Confidence


def test_a_task_definition_s_variables_logs_and_health_check(tmp_path: Path) -> None:
    model = scan_tree(tmp_path, fixture_tree("ecs")).model
    # the family is named for production
    databases = {f.tech: f for f in facts_for(model, "env.database", env="production")}
    assert {"postgresql", "redis"} <= set(databases)
    assert databases["postgresql"].evidence[0].path == ".aws/task-definition.json"
    assert "ECS container api (task orders-api-production)" in databases["postgresql"].text
    [logs] = facts_for(model, "log.aggregation")
    assert logs.text == ("Amazon CloudWatch: log group /ecs/orders-api, by the awslogs log driver of ECS container "
                         "api (task orders-api-production)")
    assert logs.tech == "cloudwatch" and logs.evidence[0].line == 26
    [health] = facts_for(model, "deploy.rollback.verify")
    assert health.text == ("Health check of ECS container api (task orders-api-production): "
                           "curl -f http://localhost:8080/healthz || exit 1")
    assert health.confidence is Confidence.DECLARED
    assert "Sentry" in texts(facts_for(model, "mon.tools"))  # a secret's name says what is configured


def test_values_of_secrets_are_never_printed(tmp_path: Path) -> None:
    document = generated(write_tree(tmp_path, fixture_tree("ecs")))
    for value in ("s3cr3t-Pa55", "whsec_notarealvalue", "secret:orders/stripe"):
        assert value not in document


def test_the_environment_comes_from_the_file_or_family_name(tmp_path: Path) -> None:
    task = ('{"family": "%s", "containerDefinitions": [{"name": "web", "image": "x", "environment": '
            '[{"name": "DATABASE_URL", "value": "mysql://db.internal:3306/app"}]}]}')
    files: dict[str, str | bytes] = {
        "deploy/task-definition-staging.json": task % "shop",
        ".aws/task-definition.json": task % "shop-web",
        "infra/taskdef.json": "{\"family\": \"notatask\"}",  # no containerDefinitions: not a task definition
    }
    model = scan_tree(tmp_path, files).model
    staging = facts_for(model, "env.database", env="staging")
    assert [f.evidence[0].path for f in staging] == ["deploy/task-definition-staging.json"]
    unnamed = [f for f in model.facts
               if f.field == "env.database" and f.evidence[0].path == ".aws/task-definition.json"]
    # named for no environment: none is made up, and what it says of one is a lead
    assert unnamed and all(f.env is None and f.confidence is Confidence.HINT for f in unnamed)
    assert all(f.text.endswith("(environment not stated)") for f in unnamed)
    assert not [f for f in model.facts if f.evidence[0].path == "infra/taskdef.json"]


def test_broken_json_is_a_diagnostic(tmp_path: Path) -> None:
    model = scan_tree(tmp_path, {".aws/task-definition.json": '{"containerDefinitions": [{"name": "x",'}).model
    assert any("invalid YAML" in d or "invalid JSON" in d for d in diagnostics_for(model, ".aws/task-definition.json"))


def test_a_selector_names_the_environment_and_secrets_are_said_as_secrets(tmp_path: Path) -> None:
    # watchman-java: a task definition named for no environment whose SPRING_PROFILES_ACTIVE is production
    task = ('{"family": "watchman", "containerDefinitions": [{"name": "app", "image": "x", "environment": ['
            '{"name": "SPRING_PROFILES_ACTIVE", "value": "production"}, '
            '{"name": "DATABASE_URL", "value": "postgres://db.internal:5432/watchman"}], '
            '"secrets": [{"name": "SENTRY_DSN", "valueFrom": "arn:aws:ssm:us-east-1:1:parameter/dsn"}]}]}')
    model = scan_tree(tmp_path, {".aws/task-definition.json": task}).model
    [db] = facts_for(model, "env.database", env="production")
    assert db.confidence is Confidence.DECLARED and db.tech == "postgresql"
    [sentry] = facts_for(model, "mon.application")
    assert "in the secrets (Secrets Manager or Parameter Store) of ECS container app" in sentry.text


STARTER = """\
# modelled on GitHub's ECS starter workflow (deploy-to-amazon-ecs), as courshare-payment-service keeps it
on:
  push:
    branches: [main]
env:
  ECS_TASK_DEFINITION: .aws/task-definition.json
  CONTAINER_NAME: web
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: %s
    steps:
      - uses: actions/checkout@v5
      - uses: aws-actions/amazon-ecs-render-task-definition@v1
        id: task-def
        with:
          task-definition: ${{ env.ECS_TASK_DEFINITION }}
          container-name: ${{ env.CONTAINER_NAME }}
          image: ${{ steps.build-image.outputs.image }}
      - uses: aws-actions/amazon-ecs-deploy-task-definition@v2
        with:
          task-definition: ${{ steps.task-def.outputs.task-definition }}
          service: web
          cluster: main
"""
TASK = ('{"family": "shop-web", "containerDefinitions": [{"name": "web", "image": "x", "environment": '
        '[{"name": "DATABASE_URL", "value": "mysql://db.internal:3306/app"}]}]}')


def test_an_unnamed_task_takes_the_environment_of_the_job_that_deploys_it(tmp_path: Path) -> None:
    model = scan_tree(tmp_path, {".aws/task-definition.json": TASK,
                                 ".github/workflows/aws.yml": STARTER % "production"}).model
    [db] = [f for f in facts_for(model, "env.database", env="production") if f.evidence[0].detector == "ecs"]
    assert db.confidence is Confidence.DECLARED
    assert db.text.endswith("; deployed to production by .github/workflows/aws.yml")
    assert (db.evidence[-1].path, db.evidence[-1].line) == (".github/workflows/aws.yml", 11)


def test_a_task_deployed_to_two_environments_is_said_in_each(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {".aws/task-definition.json": TASK,
                                     ".github/workflows/prod.yml": STARTER % "production",
                                     ".github/workflows/dev.yml": STARTER % "staging"}
    model = scan_tree(tmp_path, files).model
    found = {f.env: f for f in model.facts if f.field == "env.database" and f.evidence[0].detector == "ecs"}
    assert set(found) == {"production", "staging"}
    assert found["staging"].text.endswith("; deployed to staging by .github/workflows/dev.yml")


def test_the_deploying_job_wins_over_a_selector_and_a_family_names_only_tiers(tmp_path: Path) -> None:
    # code review: NODE_ENV=production in a task the staging job deploys; an app named integration-service
    task = ('{"family": "integration-service", "containerDefinitions": [{"name": "web", "image": "x", '
            '"environment": [{"name": "NODE_ENV", "value": "production"}, '
            '{"name": "DATABASE_URL", "value": "mysql://db.internal:3306/app"}]}]}')
    files: dict[str, str | bytes] = {".aws/task-definition.json": task,
                                     ".github/workflows/aws.yml": STARTER % "staging"}
    model = scan_tree(tmp_path, files).model
    [db] = [f for f in model.facts if f.field == "env.database" and f.evidence[0].detector == "ecs"]
    assert db.env == "staging"
    assert "integration" not in model.environments


def test_json_the_yaml_loader_refuses_is_read_as_json(tmp_path: Path) -> None:
    task = ('{"family": "shop-production", "containerDefinitions": [{"name": "web", "image": "x", "environment": ['
            '{"name": "GREETING", "value": "\\ud83d\\ude80"}, '
            '{"name": "DATABASE_URL", "value": "mysql://db.internal:3306/app"}]}]}')
    model = scan_tree(tmp_path, {".aws/task-definition.json": task}).model
    assert not diagnostics_for(model, ".aws/task-definition.json")
    assert [f.tech for f in facts_for(model, "env.database", env="production")] == ["mysql"]
