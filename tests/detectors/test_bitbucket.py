"""Bitbucket Pipelines: triggers per pipeline, deployment tiers, manual steps, services, pipes."""

from __future__ import annotations

from pathlib import Path

from helpers import Scanned, diagnostics_for, facts_for, fixture_text, scan_tree, texts
from infrascan.detectors._pipelines import step_catalog

from infrascan.model import Confidence


def _scan(tmp_path: Path, pipeline: str = "bitbucket-pipelines.yml", extra: dict[str, str] | None = None) -> Scanned:
    files = {"bitbucket-pipelines.yml": fixture_text("bitbucket", pipeline), **(extra or {})}
    return scan_tree(tmp_path, files)


def test_branch_deploy_with_declared_environment_and_pipe(tmp_path: Path) -> None:
    model = _scan(tmp_path, extra={"package.json": fixture_text("bitbucket", "package.json")}).model
    automated = facts_for(model, "ci.deploy.automated")
    staging = [f for f in automated if f.attrs["environment"] == "staging"]
    # both steps of the `deployment: staging` stage are deployment steps in Bitbucket's view
    assert {f.attrs["job"] for f in staging} == {"Update service", "Migrate staging"}
    update = next(f for f in staging if f.attrs["job"] == "Update service")
    assert update.confidence is Confidence.DECLARED  # `deployment: staging` is explicit
    assert "On push to main: deploys to staging (Amazon ECS)" in update.text
    assert update.attrs["triggers"] == ["push to main"] and update.attrs["stage"] == "Deploy to staging"


def test_manual_step_gates_production(tmp_path: Path) -> None:
    model = _scan(tmp_path).model
    manual = [f for f in facts_for(model, "ci.deploy.manual") if f.confidence is not Confidence.HINT]
    production = next(f for f in manual if f.attrs["job"] == "Deploy to production")
    assert production.text.startswith("trigger: manual on step Deploy to production starts the deploy")
    assert "to production (Helm)" in production.text and production.attrs["manual"] is True
    # the permissions of a deployment environment live in the repository settings: a hint
    hints = [f for f in facts_for(model, "ci.deploy.manual") if f.confidence is Confidence.HINT]
    assert any("environment production" in f.text for f in hints)


def test_custom_pipeline_rollback_is_not_a_deploy(tmp_path: Path) -> None:
    model = _scan(tmp_path).model
    rollbacks = texts(facts_for(model, "deploy.rollback.perform"))
    assert any(t.startswith("helm rollback api in job Roll back production") for t in rollbacks)
    assert any(t.startswith("Automatic: helm upgrade --install api") for t in rollbacks)
    deploy_jobs = {
        f.attrs["job"] for f in facts_for(model, "ci.deploy.manual") + facts_for(model, "ci.deploy.automated")
    }
    assert "Roll back production" not in deploy_jobs


def test_services_make_tests_integration_and_npm_test_resolves(tmp_path: Path) -> None:
    model = _scan(tmp_path, extra={"package.json": fixture_text("bitbucket", "package.json")}).model
    integration = facts_for(model, "ci.test.integration")
    assert any(
        "vitest via npm test in job Test" in f.text and "integration: the job starts postgres:16" in f.text
        for f in integration
    )
    e2e = facts_for(model, "ci.test.e2e")
    assert any(f.text.startswith("playwright via npm test in job Test") for f in e2e)
    # the evidence names the package.json script and the pipeline's services line
    paths = {ev.path for f in e2e for ev in f.evidence}
    assert {"package.json", "bitbucket-pipelines.yml"} <= paths
    # pull requests run the same anchored step
    assert any("pull requests" in f.text for f in integration)


def test_build_push_registry_and_deploy_steps_in_order(tmp_path: Path) -> None:
    model = _scan(tmp_path).model
    build = facts_for(model, "ci.build")
    assert any(
        t.startswith("Image $DOCKERHUB_USERNAME/api:$BITBUCKET_COMMIT built and pushed to Docker Hub")
        for t in texts(build)
    )
    assert {"push to main", "tag v*"} <= {trig for f in build for trig in f.attrs["triggers"]}
    production = [f for f in facts_for(model, "deploy.steps") if f.attrs["environment"] == "production"]
    ordered = sorted(production, key=lambda f: f.order)
    assert [f.attrs["step"] for f in ordered] == ["Build", "Push image", "Migrate database", "Deploy", "Verify"]
    migration = texts(facts_for(model, "deploy.migration.strategy"))
    assert any(t.startswith("CI step: job Migrate staging runs prisma migrate deploy") for t in migration)


def test_verify_after_deploy_and_block_scalar_line(tmp_path: Path) -> None:
    model = _scan(tmp_path).model
    (verify,) = [f for f in facts_for(model, "deploy.rollback.verify") if "curl" in f.text]
    assert verify.evidence[0].line == 67  # the line inside `- |`, not the `- |` itself


def test_slack_pipe_is_an_alert_channel_hint(tmp_path: Path) -> None:
    model = _scan(tmp_path).model
    (alert,) = facts_for(model, "alert.channels")
    assert alert.confidence is Confidence.HINT and "pipe atlassian/slack-notify" in alert.text


def test_default_pipeline_with_postgres_service(tmp_path: Path) -> None:
    model = _scan(tmp_path, "django-uwsgi.yml").model
    (fact,) = facts_for(model, "ci.test.integration")
    assert fact.text.startswith("tox in job step 1 (bitbucket-pipelines.yml): every push (integration")
    assert "postgres:12" in fact.text


def test_broken_yaml_is_a_diagnostic_with_a_line(tmp_path: Path) -> None:
    model = _scan(tmp_path, "broken-unclosed.yml").model
    (message,) = diagnostics_for(model, "bitbucket-pipelines.yml")
    assert message.startswith("invalid YAML")
    assert [d.line for d in model.diagnostics if d.path == "bitbucket-pipelines.yml"] == [5]


def test_file_without_pipelines_says_so(tmp_path: Path) -> None:
    model = _scan(tmp_path, "no-pipelines.yml").model
    assert diagnostics_for(model, "bitbucket-pipelines.yml") == ["no `pipelines:` map; nothing runs"]


def test_every_pipe_entry_is_known_to_the_catalog() -> None:
    """One row per pipe in data/pipeline_steps.yaml: what it does, from the variables a step gives."""
    rows = {
        "atlassian/aws-ecs-deploy": ({"CLUSTER_NAME": "c"}, ["deploy aws-ecs"]),
        "atlassian/aws-elasticbeanstalk-deploy": ({}, ["deploy elastic-beanstalk"]),
        "atlassian/aws-lambda-deploy": ({}, ["deploy aws-lambda"]),
        "atlassian/aws-sam-deploy": ({}, ["deploy aws-sam"]),
        "atlassian/aws-s3-deploy": ({}, ["deploy aws"]),
        "atlassian/aws-code-deploy": ({}, ["deploy aws"]),
        "atlassian/aws-cloudformation-deploy": ({}, ["deploy aws"]),
        "atlassian/aws-ecr-push-image": ({"IMAGE_NAME": "api"}, ["push docker"]),
        "atlassian/heroku-deploy": ({"HEROKU_APP_NAME": "api-prod"}, ["deploy heroku"]),
        "atlassian/kubectl-run": ({"KUBECTL_COMMAND": "apply", "RESOURCE_PATH": "k8s/"}, ["cmd kubectl apply -f k8s/"]),
        "atlassian/google-gke-kubectl-run": ({"KUBECTL_COMMAND": "get pods"}, ["cmd kubectl get pods -f"]),
        "atlassian/azure-aks-deploy": ({}, ["deploy kubernetes"]),
        "atlassian/azure-web-apps-deploy": ({}, ["deploy azure-app-service"]),
        "atlassian/azure-functions-deploy": ({}, ["deploy azure-app-service"]),
        "atlassian/google-app-engine-deploy": ({}, ["deploy app-engine"]),
        "atlassian/google-cloud-storage-deploy": ({}, ["deploy gcp"]),
        "atlassian/firebase-deploy": ({}, ["deploy firebase"]),
        "atlassian/ssh-run": (
            {"SSH_USER": "deploy", "SERVER": "web1", "COMMAND": "docker compose up -d"},
            ["cmd ssh deploy@web1 docker compose up -d"],
        ),
        "atlassian/rsync-deploy": ({}, ["deploy rsync"]),
        "atlassian/sftp-deploy": ({}, ["deploy sftp"]),
        "atlassian/scp-deploy": ({}, ["deploy scp"]),
        "atlassian/slack-notify": ({}, ["alert Slack"]),
    }
    catalog = step_catalog()
    assert set(rows) == set(catalog.keys("bitbucket_pipes", "pipe"))
    for pipe, (variables, expected) in rows.items():
        found = catalog.lookup("bitbucket_pipes", "pipe", pipe, variables)
        assert found is not None, pipe
        seen = [f"{d['kind']} {d['tool']}" for d in found.does] + [f"cmd {c}" for c in found.commands]
        seen += [f"alert {found.alert}"] if found.alert else []
        assert seen == expected, pipe


def test_each_manual_step_is_its_own_gate_and_variables_name_the_registry(tmp_path: Path) -> None:
    """A fix found on fuzonmedia/aws-ecs-fargate-deployment-...: production named the staging step as its gate."""
    model = _scan(tmp_path, "manual-steps.yml").model
    manual = {
        f.attrs["environment"]: f.text
        for f in facts_for(model, "ci.deploy.manual")
        if f.attrs.get("job") and f.confidence is not Confidence.HINT
    }
    assert manual["staging"].startswith("trigger: manual on step Deploy to ECS in Staging Environment")
    assert manual["production"].startswith("trigger: manual on step Deploy to ECS in Production Environment")
    (build,) = facts_for(model, "ci.build")
    assert build.text.startswith("Image $IMAGE:$TAG built and pushed to Amazon ECR (${AWS_ECR_IMAGE})")


def test_a_bitbucket_pipeline_is_not_also_read_as_gitlab_ci(tmp_path: Path) -> None:
    # laravel-api-template bitbucket-pipelines.yml: its indented `script:` lines read like GitLab CI,
    # and gap lines said "GitLab CI ... (1 file)" in a repository without GitLab CI. A GitLab include
    # with a name of its own is still read by content.
    pipeline = (
        "image: php:8.2\npipelines:\n  default:\n    - step:\n        name: Test\n"
        "        script:\n          - vendor/bin/phpunit\n"
    )
    include = "test:\n  script:\n    - make\n"
    scanned = scan_tree(tmp_path, {"bitbucket-pipelines.yml": pipeline, "ci/jobs.yml": include})
    counts = {s.detector: s.files for s in scanned.model.sources}
    assert counts["bitbucket"] == 1 and counts["gitlab-ci"] == 1, counts


def test_the_diagram_runs_steps_in_order(tmp_path: Path) -> None:
    # aws-ecs-fargate-deployment-...-bitbucket: build, then a manual staging deploy, then production;
    # the diagram drew both deploys straight from the push.
    pipeline = (
        "pipelines:\n  default:\n"
        "    - step:\n        name: Build\n        script:\n          - docker build -t $IMAGE:$TAG .\n"
        "          - docker push $IMAGE:$TAG\n"
        "    - step:\n        name: Deploy staging\n        deployment: staging\n        trigger: manual\n"
        "        script:\n          - pipe: atlassian/aws-ecs-deploy:1.0.0\n"
        "    - step:\n        name: Deploy production\n        deployment: production\n        trigger: manual\n"
        "        script:\n          - pipe: atlassian/aws-ecs-deploy:1.0.0\n"
    )
    markdown = scan_tree(tmp_path, {"bitbucket-pipelines.yml": pipeline}).markdown
    diagram = markdown[markdown.index("```mermaid"):]
    diagram = diagram[: diagram.index("```", 3)]
    ids = {label: line.split("[")[0].split("{")[0].strip() for line in diagram.splitlines()
           for label in ("Build", "Deploy staging", "Deploy production") if f'"{label}' in line}
    edges = [line.strip() for line in diagram.splitlines() if "-->" in line]
    assert f"{ids['Build']} --> {ids['Deploy staging']}" in edges
    assert f"{ids['Deploy staging']} --> {ids['Deploy production']}" in edges
    assert len(edges) == 3, edges  # and the push starts the build only


def test_only_an_automated_staging_step_gives_staging_its_purpose(tmp_path: Path) -> None:
    # modelled on aws-ecs-fargate-deployment-...-bitbucket bitbucket-pipelines.yml: the staging step
    # runs on every push to main; production waits for a person and gets no "pre-production" line.
    pipeline = (
        "pipelines:\n  branches:\n    main:\n"
        "      - step:\n          name: Deploy staging\n          deployment: staging\n"
        "          script:\n            - pipe: atlassian/aws-ecs-deploy:1.0.0\n"
        "      - step:\n          name: Deploy production\n          deployment: production\n"
        "          trigger: manual\n          script:\n            - pipe: atlassian/aws-ecs-deploy:1.0.0\n"
    )
    scanned = scan_tree(tmp_path, {"bitbucket-pipelines.yml": pipeline})
    (purpose,) = facts_for(scanned.model, "env.purpose")
    assert purpose.env == "staging" and purpose.text == (
        "Pre-production: job Deploy staging (bitbucket-pipelines.yml) deploys here on push to main"
    )


def test_a_manual_step_that_only_runs_the_app_on_the_agent_reads_as_a_sentence(tmp_path: Path) -> None:
    # the code review's case: the last writer of a 'Manual: ' prefix (a manual step serving the build)
    pipeline = ("pipelines:\n  default:\n    - step:\n        name: Build\n        script:\n          - npm run build\n"
                "    - step:\n        name: Deploy preview\n        trigger: manual\n        script:\n"
                "          - npx serve -s dist -l 5000 &\n")
    scanned = scan_tree(tmp_path, {"bitbucket-pipelines.yml": pipeline, "package.json": '{"name": "web"}'})
    manual = [f.text for f in facts_for(scanned.model, "ci.deploy.manual")]
    assert manual and all(t.startswith("After trigger: manual on step Deploy preview") for t in manual), manual


def test_a_runner_that_uses_a_database_by_design_stays_unit_tests_beside_one(tmp_path: Path) -> None:
    """Django's `manage.py test` makes a test database on every run: a Postgres service beside it
    is that database, not a sign of integration tests."""
    pipeline = (
        "definitions:\n  services:\n    postgres:\n      image: postgres:16\n"
        "pipelines:\n  default:\n    - step:\n        name: Test\n        services: [postgres]\n"
        "        script:\n          - python manage.py test\n"
    )
    model = scan_tree(tmp_path, {"bitbucket-pipelines.yml": pipeline}).model
    assert any(f.text.startswith("django in job Test") for f in facts_for(model, "ci.test.unit"))
    assert not facts_for(model, "ci.test.integration")
