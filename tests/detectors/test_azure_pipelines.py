"""Azure Pipelines: triggers and conditions, stages, deployment jobs, local templates, tasks."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import Scanned, diagnostics_for, facts_for, fixture_text, scan_tree, texts
from infrascan.detectors._pipelines import Trigger, step_catalog
from infrascan.detectors.azure_pipelines import narrow

from infrascan.model import Confidence, Severity


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    files = {
        "azure-pipelines.yml": fixture_text("azure_pipelines", "azure-pipelines.yml"),
        # a template in a directory no naming convention covers: claimed by its content
        "templates/deploy.yml": fixture_text("azure_pipelines", "templates", "deploy.yml"),
    }
    return scan_tree(tmp_path_factory.mktemp("azure"), files)


def test_triggers_and_stage_conditions(pipeline: Scanned) -> None:
    (build,) = [f for f in facts_for(pipeline.model, "ci.build") if f.attrs["step"] == "Build"]
    assert build.attrs["triggers"] == [
        "push to main",
        "push to release/*",
        "pull request to main",
        "schedule `0 2 * * 1-5`",
    ]
    (dev,) = facts_for(pipeline.model, "ci.deploy.automated")
    # `ne(variables['Build.Reason'], 'PullRequest')` on the Dev stage leaves pull requests out
    assert dev.text.startswith("On push to main, push to release/* and schedule 0 2 * * 1-5: deploys to dev")
    assert dev.confidence is Confidence.DECLARED and dev.attrs["environment"] == "dev"


def test_manual_validation_gates_the_templated_production_deploy(pipeline: Scanned) -> None:
    manual = [f for f in facts_for(pipeline.model, "ci.deploy.manual") if f.confidence is not Confidence.HINT]
    (production,) = manual
    assert production.text.startswith(
        "Manual validation ManualValidation@0 in job WaitForValidation starts the deploy to production (Helm)"
    )
    assert production.text.endswith("the pipeline runs on push to main")
    # the environment `${{ parameters.environment }}.${{ parameters.namespace }}` came from the caller
    assert production.attrs["environment"] == "production"
    assert {ev.path for ev in production.evidence} == {"templates/deploy.yml"}


def test_environments_get_an_approvals_hint(pipeline: Scanned) -> None:
    hints = [f for f in facts_for(pipeline.model, "ci.deploy.manual") if f.confidence is Confidence.HINT]
    assert sorted(f.attrs["environment"] for f in hints) == ["dev", "production"]
    assert all("Azure DevOps (Pipelines > Environments)" in f.text for f in hints)


def test_tasks_build_push_and_test(pipeline: Scanned) -> None:
    builds = texts(facts_for(pipeline.model, "ci.build"))
    assert any(
        t.startswith("Image contoso.azurecr.io/web built and pushed to Azure Container Registry") for t in builds
    )
    assert any(t.startswith(".NET build DotNetCoreCLI@2 (command: build) in job Build") for t in builds)
    (integration,) = facts_for(pipeline.model, "ci.test.integration")
    assert integration.text.startswith(".NET in job Build (azure-pipelines.yml)") and "postgres:16" in integration.text


def test_canary_hooks_migration_verify_and_on_failure_rollback(pipeline: Scanned) -> None:
    (migration,) = texts(facts_for(pipeline.model, "deploy.migration.strategy"))
    assert migration.startswith("CI step: job DeployHelm runs dotnet ef database update")
    assert "before HelmDeploy@0 (command: upgrade)" in migration
    (verify,) = texts(facts_for(pipeline.model, "deploy.rollback.verify"))
    assert verify.startswith("kubectl rollout status deployment/web -n web-prod")  # parameters substituted
    (rollback,) = facts_for(pipeline.model, "deploy.rollback.perform")
    assert rollback.text == "On failure of deployment job DeployHelm: helm rollback web -n web-prod (deploy.yml)"
    assert rollback.evidence[0].path == "templates/deploy.yml"


def test_remote_template_is_recorded_unresolved(pipeline: Scanned) -> None:
    (diag,) = [d for d in pipeline.model.diagnostics if d.path == "azure-pipelines.yml"]
    assert (diag.line, diag.severity) == (87, Severity.INFO)
    assert "in another repository; not resolved" in diag.message


def test_stages_handed_to_a_template_in_another_repository_are_read(tmp_path: Path) -> None:
    # dotnet/eShop's ci.yml extends Microsoft's 1ES pipeline template (another repository) and hands it
    # its build stage; the document said no build step was found
    pipeline = (
        "trigger:\n  branches:\n    include:\n      - main\npr: none\n"
        "resources:\n  repositories:\n    - repository: 1esPipelines\n      type: git\n"
        "      name: 1ESPipelineTemplates/1ESPipelineTemplates\n"
        "extends:\n  template: v1/1ES.Unofficial.PipelineTemplate.yml@1esPipelines\n  parameters:\n"
        "    pool:\n      name: Pool\n    stages:\n      - stage: buildStage\n        jobs:\n"
        "          - job: Build\n            displayName: Windows Build\n            steps:\n"
        "              - script: dotnet build eShop.Web.slnf\n")
    model = scan_tree(tmp_path, {"ci.yml": pipeline}).model
    assert texts(facts_for(model, "ci.build")) == [
        ".NET build dotnet build eShop.Web.slnf in job Build, stage buildStage (ci.yml), on push to main"]
    (diag,) = [d for d in model.diagnostics if d.path == "ci.yml"]
    assert "in another repository; not resolved" in diag.message
    # steps alone handed to it, too (the code review)
    steps_only = pipeline.replace(
        "    stages:\n      - stage: buildStage\n        jobs:\n          - job: Build\n"
        "            displayName: Windows Build\n            steps:\n"
        "              - script: dotnet build eShop.Web.slnf\n",
        "    steps:\n      - script: dotnet build eShop.Web.slnf\n        displayName: Build\n")
    assert steps_only != pipeline
    (tmp_path / "steps").mkdir()
    model = scan_tree(tmp_path / "steps", {"ci.yml": steps_only}).model
    built = [f.text.split(" in job ")[0] for f in facts_for(model, "ci.build")]
    assert built == [".NET build dotnet build eShop.Web.slnf"]


def test_template_cycle_is_refused(tmp_path: Path) -> None:
    files = {
        f"cycle/{n}": fixture_text("azure_pipelines", "cycle", n) for n in ("azure-pipelines.yml", "a.yml", "b.yml")
    }
    model = scan_tree(tmp_path, files).model
    messages = [(d.path, d.line, d.message) for d in model.diagnostics if d.detector == "azure-pipelines"]
    assert messages == [("cycle/b.yml", 2, "template `a.yml` includes itself (a cycle); not expanded")]


def test_broken_yaml_is_a_diagnostic_with_a_line(tmp_path: Path) -> None:
    model = scan_tree(tmp_path, {"azure-pipelines.yml": fixture_text("azure_pipelines", "broken.yml")}).model
    (message,) = diagnostics_for(model, "azure-pipelines.yml")
    assert message.startswith("invalid YAML")
    assert [d.line for d in model.diagnostics if d.path == "azure-pipelines.yml"] == [9]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("and(succeeded(), eq(variables['Build.SourceBranch'], 'refs/heads/main'))", ["push to main"]),
        ("startsWith(variables['Build.SourceBranch'], 'refs/tags/')", ["tag"]),
        ("eq(variables['Build.Reason'], 'Manual')", ["manual"]),
        ("ne(variables['Build.Reason'], 'Schedule')", ["push", "pull request"]),
        ("succeeded()", ["push", "pull request", "schedule `0 1 * * *`"]),
    ],
)
def test_conditions_narrow_triggers(condition: str, expected: list[str]) -> None:
    triggers = [Trigger("push"), Trigger("pull_request"), Trigger("schedule", "0 1 * * *")]
    assert [t.label() for t in narrow(triggers, condition)] == expected


def test_every_task_entry() -> None:
    """One row per task entry in data/pipeline_steps.yaml (entries with conditions: one row each)."""
    rows = [
        ("Docker", {}, "build push"),
        ("Docker", {"command": "build"}, "build"),
        ("Docker", {"command": "push"}, "push"),
        ("HelmDeploy", {"command": "upgrade"}, "deploy"),
        ("KubernetesManifest", {}, "deploy"),
        ("KubernetesManifest", {"action": "reject"}, "rollback"),
        ("Kubernetes", {"command": "apply"}, "deploy"),
        ("AzureWebApp", {}, "deploy"),
        ("AzureRmWebAppDeployment", {}, "deploy"),
        ("AzureWebAppContainer", {}, "deploy"),
        ("AzureFunctionApp", {}, "deploy"),
        ("AzureFunctionAppContainer", {}, "deploy"),
        ("AzureAppServiceManage", {"Action": "Swap Slots"}, "deploy"),
        ("AzureContainerApps", {}, "deploy"),
        ("AzureStaticWebApp", {}, "deploy"),
        ("AzureResourceManagerTemplateDeployment", {}, "deploy"),
        ("AzureCLI", {"inlineScript": "az webapp deploy --name app"}, "cmd az webapp deploy --name app"),
        ("AzurePowerShell", {"Inline": "New-AzResourceGroup"}, "cmd New-AzResourceGroup"),
        ("Bash", {"script": "pytest"}, "cmd pytest"),
        ("CmdLine", {"script": "npm test"}, "cmd npm test"),
        ("PowerShell", {"script": "dotnet test"}, "cmd dotnet test"),
        ("TerraformTaskV4", {"command": "apply"}, "deploy"),
        ("TerraformTaskV3", {"command": "apply"}, "deploy"),
        ("TerraformCLI", {"command": "apply"}, "deploy"),
        ("DotNetCoreCLI", {"command": "test"}, "test"),
        ("DotNetCoreCLI", {}, "build"),
        ("VSTest", {}, "test"),
        ("Maven", {"goals": "verify"}, "build test"),
        ("Gradle", {}, "build test"),
        ("Npm", {"command": "custom", "customCommand": "run e2e"}, "cmd npm run e2e"),
        ("ManualValidation", {}, "gate"),
        ("ManualIntervention", {}, "gate"),
    ]
    catalog = step_catalog()
    assert {t for t, _, _ in rows} == set(catalog.keys("azure_tasks", "task"))
    for task, inputs, expected in rows:
        found = catalog.lookup("azure_tasks", "task", task, inputs)
        assert found is not None, task
        seen = " ".join(
            [d["kind"] for d in found.does] + [f"cmd {c}" for c in found.commands] + (["gate"] if found.gate else [])
        )
        assert seen == expected, task
    # `terraform plan` through the task is not a deploy
    assert catalog.lookup("azure_tasks", "task", "TerraformTaskV4", {"command": "plan"}) is None


def test_jobs_with_the_same_name_in_several_stages(tmp_path: Path) -> None:
    """Found on the tailspin sample: three `deployment: Deploy` jobs; each keeps its stage and its chain."""
    model = scan_tree(
        tmp_path, {"azure-pipelines.yml": fixture_text("azure_pipelines", "stages", "azure-pipelines.yml")}
    ).model
    deploys = {f.attrs["job"]: f for f in facts_for(model, "ci.deploy.automated")}
    assert set(deploys) == {"Dev.Deploy", "Staging.Deploy"}
    assert deploys["Staging.Deploy"].attrs["needs"] == ["Dev.Deploy"]
    assert deploys["Dev.Deploy"].text.startswith("On every push and pull requests: deploys to dev (Azure App Service)")
    staging_steps = sorted(
        (f for f in facts_for(model, "deploy.steps") if f.attrs["environment"] == "staging"), key=lambda f: f.order
    )
    assert [(f.attrs["step"], f.evidence[0].line) for f in staging_steps] == [("Build", 13), ("Deploy", 39)]


def test_a_gitlab_pipeline_is_not_also_read_as_azure_pipelines(tmp_path: Path) -> None:
    # database-lab-engine .gitlab-ci.yml: `include: - template: Security/SAST.gitlab-ci.yml` reads like
    # an Azure `- template: x.yml` step, and five gap lines said "... in Azure Pipelines (1 file)" in a
    # repository without Azure Pipelines. An Azure template without a name of its own is still read.
    gitlab = (
        "include:\n  - template: Security/SAST.gitlab-ci.yml\n  - local: 'engine/.gitlab-ci.yml'\n"
        "empty-job:\n  stage: test\n  script:\n    - echo 'success'\n"
    )
    template = "steps:\n- task: DotNetCoreCLI@2\n  displayName: 'Build'\n  inputs:\n    command: build\n"
    scanned = scan_tree(tmp_path, {".gitlab-ci.yml": gitlab, "ci/build-steps.yml": template})
    counts = {s.detector: s.files for s in scanned.model.sources}
    assert counts["azure-pipelines"] == 1 and counts["gitlab-ci"] == 1, counts


def test_an_automated_staging_deployment_gives_staging_its_purpose(tmp_path: Path) -> None:
    # modelled on MicrosoftDocs/mslearn-tailspin-spacegame-web-deploy (blue-green) azure-pipelines.yml:
    # Build, then deployment jobs to dev, test and staging, each stage after the one before. The
    # document said "Purpose: Gap ... None of these is in the repository" beside that pipeline.
    stage = (
        "- stage: '{name}'\n  dependsOn: {after}\n  jobs:\n  - deployment: Deploy\n    environment: {env}\n"
        "    strategy:\n      runOnce:\n        deploy:\n          steps:\n          - task: AzureWebApp@1\n"
        "            inputs:\n              appName: '$(WebApp{name})'\n"
    )
    pipeline = (
        "trigger:\n- '*'\n\nstages:\n- stage: 'Build'\n  jobs:\n  - job: 'Build'\n    steps:\n"
        "    - task: DotNetCoreCLI@2\n      inputs:\n        command: 'publish'\n"
        + stage.format(name="Dev", after="Build", env="dev")
        + stage.format(name="Test", after="Dev", env="test")
        + stage.format(name="Staging", after="Test", env="staging")
    )
    scanned = scan_tree(tmp_path, {"azure-pipelines.yml": pipeline})
    (purpose,) = facts_for(scanned.model, "env.purpose", "staging")
    assert purpose.text == (
        "Pre-production: job Staging.Deploy (azure-pipelines.yml) deploys here on every push and pull requests, "
        "after deploys to dev, test"
    )
    assert [(e.path, e.line) for e in purpose.evidence] == [("azure-pipelines.yml", 40)]
    assert not facts_for(scanned.model, "env.purpose", "development")


def test_an_openapi_document_is_not_a_pipeline(tmp_path: Path) -> None:
    # Modelled on retail-store-sample-app's catalog API: a schema property named `displayName`.
    openapi = ('openapi: 3.0.1\ninfo:\n  title: Catalog API\n  version: "1.0"\ncomponents:\n  schemas:\n    Tag:\n'
               '      properties:\n        displayName:\n          type: string\n')
    pipeline = "trigger: [main]\nsteps:\n  - script: make test\n    displayName: Test\n"
    scanned = scan_tree(tmp_path, {"src/catalog/openapi.yml": openapi, "ci/build.yml": pipeline})
    read = {s.detector: s.files for s in scanned.model.sources}
    assert read["azure-pipelines"] == 1  # ci/build.yml, by its displayName


def test_a_helm_unittest_suite_is_not_a_pipeline(tmp_path: Path) -> None:
    # traefik-helm-chart: five suites whose asserts name a template made "looked in Azure Pipelines (5 files)"
    suite = ("suite: GatewayClass configuration\ntemplates:\n  - gatewayclass.yaml\ntests:\n"
             "  - it: should not deploy a gatewayClass\n    asserts:\n      - template: gatewayclass.yaml\n"
             "        hasDocuments:\n          count: 0\n")
    listed = ("tests:\n  - it: renders\n    asserts:\n      - template: deployment.yaml\n        isKind:\n"
              "          of: Deployment\n")
    scanned = scan_tree(tmp_path, {"chart/tests/gatewayclass_test.yaml": suite, "chart/tests/deploy_test.yaml": listed})
    assert {s.detector: s.files for s in scanned.model.sources}["azure-pipelines"] == 0


def test_a_pipeline_of_top_level_steps_names_its_job_as_azure_devops_does(tmp_path: Path) -> None:
    # Azure-Samples/todo-nodejs-mongo .azdo/pipelines/azure-dev.yml: steps with no jobs
    scanned = scan_tree(tmp_path, {".azdo/pipelines/azure-dev.yml": (
        "trigger:\n  - main\npool:\n  vmImage: ubuntu-latest\nsteps:\n"
        "  - pwsh: azd deploy --no-prompt\n    displayName: Deploy Application\n")})
    [deploy] = facts_for(scanned.model, "ci.deploy.automated")
    assert "(job Job, azure-dev.yml)" in deploy.text, deploy.text
