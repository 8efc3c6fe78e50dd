"""The GitHub Actions detector: triggers, reusable workflows, composite actions, what steps do.

Fixtures under tests/fixtures/github_actions/ name the public workflow each is modelled on
(remix-run/blues-stack, stefanprodan/podinfo, openstatusHQ/openstatus, umami-software/umami,
langfuse/langfuse, Azure-Samples/aks-store-demo). Each group below is one small repository.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
import yaml
from helpers import Scanned, diagnostics_for, facts_for, fixture_text, scan_tree, texts
from infrascan.detectors.github_actions import (
    ANY,
    BOTH,
    Expander,
    GitHubActionsDetector,
    Glob,
    _short,
    condition,
    evaluate,
    interpolate,
    knowledge,
    literals,
    load_lenient,
    parse_expression,
    read_on,
    residual,
    shown_condition,
    substitute,
)

from infrascan.commands import classify
from infrascan.detector import SourceFile
from infrascan.export import to_json
from infrascan.model import Code, Confidence, Fact

DETECTOR = GitHubActionsDetector()
W = ".github/workflows/"


def fx(name: str) -> str:
    return fixture_text("github_actions", name)


def ours(scanned: Scanned, field: str, env: str | None = None) -> list[Fact]:
    """Facts of one field this detector backs (other detectors fill the same fields)."""
    return [f for f in facts_for(scanned.model, field, env) if any(e.detector == "github-actions" for e in f.evidence)]


def one(facts: list[Fact], *needles: str) -> Fact:
    found = [f for f in facts if all(n in f.text for n in needles)]
    assert len(found) == 1, (needles, [f.text for f in facts])
    return found[0]


def scan(tmp: pytest.TempPathFactory, name: str, files: dict[str, str]) -> Scanned:
    return scan_tree(tmp.mktemp(name), files)


@pytest.fixture(scope="module")
def blues(tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    return scan(
        tmp_path_factory, "blues", {W + "deploy.yml": fx("blues_deploy.yml"), "package.json": fx("blues_package.json")}
    )


@pytest.fixture(scope="module")
def envs(tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    return scan(
        tmp_path_factory,
        "envs",
        {
            W + "deploy.yml": fx("ternary_deploy.yml"),
            W + "preview.yml": fx("preview_pr.yml"),
            W + "after-ci.yml": fx("after_ci.yml"),
            W + "nightly.yml": fx("nightly.yml"),
            W + "servers.yml": fx("servers_deploy.yml"),
            W + "rollback.yml": fx("helm_rollback.yml"),
            W + "synthetic.yml": fx("synthetic.yml"),
            W + "storybook.yml": fx("storybook_vercel.yml"),
        },
    )


@pytest.fixture(scope="module")
def ephemeral(tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    return scan(
        tmp_path_factory,
        "ephemeral",
        {
            W + "e2e.yml": fx("kind_e2e.yml"),
            "test/e2e.sh": fx("kind_e2e.sh"),
            ".github/actions/runner-cleanup/action.yml": fx("runner_cleanup_action.yml"),
            W + "test-e2e-reusable.yaml": fx("azd_e2e_reusable.yaml"),
            W + "test-e2e.yaml": fx("azd_e2e_callers.yaml"),
            ".github/actions/wait-for-services/action.yml": fx("wait_for_services_action.yml"),
        },
    )


@pytest.fixture(scope="module")
def promote(tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    return scan(
        tmp_path_factory,
        "promote",
        {
            W + "deploy.yml": fx("promote_deploy.yml"),
            W + "_deploy_ecs_service.yml": fx("promote_ecs_service.yml"),
            W + "release.yml": fx("promote_release.yml"),
        },
    )


@pytest.fixture(scope="module")
def monorepo(tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    return scan(
        tmp_path_factory,
        "monorepo",
        {
            W + "test.yml": fx("monorepo_ci.yml"),
            W + "migrate.yml": fx("monorepo_migrate.yml"),
            "package.json": '{"scripts": {"test": "turbo run test"}}',
            "packages/db/package.json": (
                '{"scripts": {"migrate": "deno run -A src/migrate.mts", "test": "deno test -A"}}'
            ),
            "packages/shared/package.json": '{"scripts": {"test": "dotenv -e ../../.env -- vitest run"}}',
            "apps/server/package.json": '{"scripts": {"test": "bun test"}}',
        },
    )


@pytest.fixture(scope="module")
def publish(tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    return scan(
        tmp_path_factory,
        "publish",
        {
            W + "cd.yml": fx("publish_images.yml"),
            W + "release.yml": fx("goreleaser_tags.yml"),
            W + "docker-publish.yml": fx("matrix_images.yml"),
            # the Dockerfiles the workflows build (a build of one the repository lacks says so)
            **{f"{d}/Dockerfile": "FROM node:22-alpine\n" for d in ("apps/server", "apps/checker", "web")},
        },
    )


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    return scan(
        tmp_path_factory,
        "broken",
        {
            W + "tabs.yml": fx("broken_tabs.yml"),
            W + "bracket.yml": fx("broken_bracket.yml"),
            W + "tag.yml": fx("broken_tag.yml"),
            W + "cycle-a.yml": fx("cycle_a.yml"),
            W + "cycle-b.yml": fx("cycle_b.yml"),
            ".github/actions/loop/action.yml": fx("loop_action.yml"),
            W + "helpers/workflow.yml": fx("nightly.yml"),
        },
    )


# ---- the expression language -----------------------------------------------------------------


def values(expr: str, **known: object) -> frozenset[object]:
    def lookup(name: str) -> frozenset[object]:
        return frozenset({known[name]}) if name in known else ANY

    return evaluate(parse_expression(expr), lookup)


def test_ternary_gives_both_candidates_when_the_condition_is_unknown() -> None:
    expr = "github.ref == 'refs/heads/main' && 'production' || 'staging'"
    assert values(expr) == {"production", "staging"}
    assert values(expr, **{"github.ref": "refs/heads/main"}) == {"production"}
    assert values(expr, **{"github.ref": "refs/heads/dev"}) == {"staging"}


def test_unknown_truthiness_keeps_unknown_only_where_it_can_win() -> None:
    assert literals(values("inputs.environment || 'staging'")) == ["staging"]
    assert len(values("inputs.environment || 'staging'")) == 2  # UNKNOWN may win
    assert values("inputs.deploy && 'prod' || 'dev'") == {"prod", "dev"}


def test_refs_known_as_patterns() -> None:
    tag = {"github.ref": Glob("refs/tags/v*")}
    assert values("startsWith(github.ref, 'refs/tags/')", **tag) == {True}
    assert values("github.ref == 'refs/heads/main'", **tag) == {False}
    assert values("github.ref == 'refs/tags/v1.2.0'", **tag) == BOTH


def test_status_functions_describe_the_success_path() -> None:
    assert condition("${{ failure() }}", lambda n: ANY) == {False}
    assert condition("always() && github.event_name == 'push'", lambda n: frozenset({"push"})) == {True}
    assert condition("!cancelled()", lambda n: ANY) == {True}
    assert condition("not an ( expression", lambda n: ANY) == BOTH


def test_comparisons_ignore_case_and_contains_reads_strings() -> None:
    assert values("github.event_name == 'PUSH'", **{"github.event_name": "push"}) == {True}
    assert values("contains(github.event.comment.body, '/deploy')", **{"github.event.comment.body": "pls /deploy"}) == {
        True
    }


def test_null_and_false_are_loosely_equal() -> None:
    # hedgedoc test-and-build.yml: on a push there is no pull request, its fork flag is null (""),
    # and `false == null` holds (both coerce to 0), so the job runs on pushes too
    expr = "(github.event_name == 'pull_request_target') == github.event.pull_request.head.repo.fork"
    on_push = {"github.event_name": "push", "github.event.pull_request.head.repo.fork": ""}
    assert values(expr, **on_push) == {True}
    assert values("github.event.pull_request.head.repo.fork == true", **on_push) == {False}
    assert values(expr, **{"github.event_name": "pull_request_target",
                           "github.event.pull_request.head.repo.fork": True}) == {True}
    # plane: a dispatch carries no pull request, so neither its reviewers nor `null` are anything
    dispatch = {"github.event.pull_request.requested_reviewers": "", "github.event.pull_request.draft": ""}
    assert values("github.event.pull_request.requested_reviewers != null", **dispatch) == {False}
    assert values("github.event.pull_request.draft == false", **dispatch) == {True}
    assert values("github.event.pull_request.draft == 'x'", **dispatch) == {False}


def test_interpolate_and_substitute() -> None:
    def lookup(name: str) -> frozenset[object]:
        return {"inputs.environment": frozenset({"staging"})}.get(name, ANY)

    assert interpolate("app-${{ inputs.environment }}", lookup) == {"app-staging"}
    assert interpolate("app-${{ github.ref_name }}", lookup) == ANY
    assert substitute("--app x-${{ inputs.environment }} --sha ${{ github.sha }}", lookup) == (
        "--app x-staging --sha ${{ github.sha }}"
    )


# ---- phase 1: reading one file ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "events"),
    [
        ("on: push\n", ["push"]),
        ("on: [push, pull_request]\n", ["push", "pull_request"]),
        ("on:\n  push:\n  workflow_dispatch:\n", ["push", "workflow_dispatch"]),
        ("on: {push: {branches: [main]}, release: {types: [published]}}\n", ["push", "release"]),
        # a `true:` key (what a YAML 1.1 reader makes of `on:`) is read as `on` too
        ("true: push\n", ["push"]),
    ],
)
def test_on_in_all_its_forms(source: str, events: list[str]) -> None:
    doc, problems = load_lenient(source + "jobs: {}\n")
    assert problems == []
    found, _ = read_on(doc)
    assert list(found) == events


def test_on_filters_and_inputs_are_recorded_with_lines() -> None:
    doc, _ = load_lenient(
        "on:\n  push:\n    branches: main\n    tags: ['v*']\n    paths-ignore: [docs/**]\n"
        "  workflow_dispatch:\n    inputs:\n      environment:\n        type: choice\n"
        "        options: [staging, production]\n"
        "  schedule:\n    - cron: '0 3 * * *'\njobs: {}\n"
    )
    events, on_line = read_on(doc)
    assert on_line == 1
    assert events["push"] == {"line": 2, "branches": ["main"], "tags": ["v*"], "paths_ignore": ["docs/**"]}
    assert events["workflow_dispatch"]["inputs"]["environment"]["options"] == ["staging", "production"]
    assert events["schedule"]["crons"] == [["0 3 * * *", 12]]


def test_run_lines_point_at_the_script() -> None:
    text = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: |\n          npm ci\n          npm test\n"
    [record] = DETECTOR.extract(SourceFile(W + "ci.yml", text)).records
    step = record.data["jobs"][0]["steps"][0]
    assert step["run_line"] == 7


def test_only_top_level_workflows_and_action_files_are_claimed() -> None:
    assert DETECTOR.claims(".github/workflows/ci.yml")
    assert DETECTOR.claims(".github/actions/setup/action.yaml")
    assert not DETECTOR.claims(".github/workflows/helpers/workflow.yml")
    assert not DETECTOR.claims(".gitlab-ci.yml")


# ---- blues-stack: tests, then deploys tied to branches by step conditions ---------------------------


def test_step_conditions_tie_each_deploy_to_its_branch(blues: Scanned) -> None:
    automated = ours(blues, "ci.deploy.automated")
    staging = one(automated, "Push to dev", "staging", "-staging")
    production = one(automated, "Push to main", "production")
    assert "-staging" not in production.text
    assert staging.confidence is Confidence.INFERRED  # the environment is read from the step name
    assert staging.attrs["triggers"] == ["push to dev"] and staging.attrs["manual"] is False
    assert staging.attrs["ci"] == "github-actions" and staging.attrs["job"] == "deploy"
    assert staging.attrs["needs"] == ["lint", "typecheck", "vitest", "cypress"]
    assert not any("pull request" in f.text for f in automated)  # the job `if:` rules pull requests out
    assert ours(blues, "ci.deploy.manual") == []


# modelled on blues-stack fly.toml: the app, and a service with HTTP handlers
FLY_TOML = """app = "blues-stack-template"
kill_signal = "SIGINT"

[[services]]
  internal_port = 8080
  protocol = "tcp"

  [[services.ports]]
    handlers = ["tls", "http"]
    port = 443
"""
# the same app serving raw TCP only: nothing answers on its default https URL
FLY_TOML_TCP = """app = "blues-stack-template"

[[services]]
  internal_port = 5432
  protocol = "tcp"

  [[services.ports]]
    port = 5432
"""


def _blues_with(tmp_path: Path, fly_toml: str) -> Scanned:
    files = {W + "deploy.yml": fx("blues_deploy.yml"), "package.json": fx("blues_package.json"), "fly.toml": fly_toml}
    return scan_tree(tmp_path, files)


def test_toml_action_output_names_the_app_and_staging_gets_its_fly_url(tmp_path: Path) -> None:
    scanned = _blues_with(tmp_path, FLY_TOML)
    automated = ours(scanned, "ci.deploy.automated")
    staging = one(automated, "Push to dev", "staging")
    assert "--app blues-stack-template-staging" in staging.text
    assert "--app blues-stack-template " in one(automated, "Push to main").text + " "
    [url] = [f for f in facts_for(scanned.model, "env.url", env="staging") if f.confidence is not Confidence.HINT]
    assert url.confidence is Confidence.INFERRED
    assert url.text == (
        "https://blues-stack-template-staging.fly.dev (Fly.io default hostname of app blues-stack-template-staging,"
        " deployed by job deploy (deploy.yml) with fly.toml)"
    )
    assert [(e.path, e.line) for e in url.evidence] == [(W + "deploy.yml", 75), ("fly.toml", 1)]
    # production's URL is fly.toml's own (the paas detector's), not a second one from the workflow
    assert [f.attrs["url"] for f in facts_for(scanned.model, "env.url", env="production")] == [
        "https://blues-stack-template.fly.dev"
    ]


def test_no_fly_url_for_an_app_whose_configuration_serves_no_http(tmp_path: Path) -> None:
    scanned = _blues_with(tmp_path, FLY_TOML_TCP)
    assert "--app blues-stack-template-staging" in one(ours(scanned, "ci.deploy.automated"), "Push to dev").text
    assert facts_for(scanned.model, "env.url", env="staging") == []


def test_a_key_no_record_holds_leaves_the_output_unresolved(tmp_path: Path) -> None:
    workflow = fx("blues_deploy.yml").replace("field: app", "field: primary_region")
    files = {W + "deploy.yml": workflow, "package.json": fx("blues_package.json"), "fly.toml": FLY_TOML}
    scanned = scan_tree(tmp_path, files)
    staging = one(ours(scanned, "ci.deploy.automated"), "Push to dev")
    assert "--app ${{ steps.app_name.outputs.value }}-staging" in staging.text
    assert facts_for(scanned.model, "env.url", env="staging") == []


def test_tests_by_level_with_when_they_run(blues: Scanned) -> None:
    unit = one(ours(blues, "ci.test.unit"), "Vitest")
    assert "job vitest" in unit.text and "push to main, dev and pull requests" in unit.text
    assert "`npm run test -- --coverage` → `vitest --coverage`" in blues.markdown  # npm appends the arguments
    e2e = one(ours(blues, "ci.test.e2e"), "Cypress")
    assert "containers started by docker compose up -d" in e2e.text
    assert ours(blues, "ci.test.integration") == []


def test_test_setup_is_neither_a_build_step_nor_a_migration(blues: Scanned) -> None:
    # `npm run build` before Cypress, `tsc` for the type check, `prisma migrate reset` for the test DB;
    # the image is built by `flyctl deploy` itself, on Fly's remote builder
    builds = texts(ours(blues, "ci.build"))
    assert len(builds) == 2 and all(b.startswith("Docker image built with flyctl deploy --remote-only") for b in builds)
    assert ours(blues, "deploy.migration.strategy") == []


def test_deploy_steps_start_with_the_checks_they_wait_for(blues: Scanned) -> None:
    steps = texts(ours(blues, "deploy.steps"))
    assert steps[0].startswith("Staging, production: jobs lint, typecheck, vitest, cypress pass first")
    [gate] = [f for f in ours(blues, "deploy.steps") if "pass first" in f.text]
    assert [e.line for e in gate.evidence] == [60], "the `needs:` line, not the job's"
    assert any(s.startswith("Staging: deploy with Fly.io") for s in steps)
    assert any(s.startswith("Production: deploy with Fly.io") for s in steps)


def test_a_security_scan_job_is_a_check_the_deploy_waits_for(tmp_path: Path) -> None:
    """Rails 8's generated CI: the deploy needs `scan_ruby` (Brakeman) as well as `test`."""
    workflow = ("on:\n  push:\n    branches: [main]\njobs:\n  scan_ruby:\n    runs-on: ubuntu-latest\n"
                "    steps:\n      - run: bin/brakeman --no-pager\n  test:\n    runs-on: ubuntu-latest\n"
                "    steps:\n      - run: bin/rails test\n  deploy:\n    needs: [scan_ruby, test]\n"
                "    runs-on: ubuntu-latest\n    environment: production\n    steps:\n"
                "      - run: bin/kamal deploy\n")
    scanned = scan_tree(tmp_path, {W + "ci.yml": workflow})
    [gate] = [f for f in ours(scanned, "deploy.steps") if "pass first" in f.text]
    assert gate.text.startswith("production: jobs scan_ruby, test pass first")


def test_a_path_filter_of_the_last_trigger_is_not_read_as_everyones(tmp_path: Path) -> None:
    """openstatus go-tests.yml: the paths filter only pull requests; pushes to main run every time."""
    workflow = ("on:\n  push:\n    branches: [main]\n  pull_request:\n    paths: ['apps/checker/**']\n"
                "jobs:\n  ci:\n    runs-on: ubuntu-latest\n    steps:\n      - run: go test ./...\n")
    scanned = scan_tree(tmp_path, {W + "go-tests.yml": workflow})
    unit = one(ours(scanned, "ci.test.unit"), "go test")
    assert "push to main; pull requests (paths apps/checker/**)" in unit.text
    # a schedule's cron in parentheses is its subject, not a note: joined as usual
    nightly = workflow.replace("  pull_request:\n    paths: ['apps/checker/**']\n",
                               "  schedule:\n    - cron: '0 3 * * *'\n")
    (tmp_path / "nightly").mkdir()
    scanned = scan_tree(tmp_path / "nightly", {W + "go-tests.yml": nightly})
    unit = one(ours(scanned, "ci.test.unit"), "go test")
    assert ": push to main and " in unit.text and ";" not in unit.text.split(": ", 1)[1].split("; runs")[0]


# ---- environments: expressions, previews, merged PRs, workflow_run, type: environment ---------------


def test_ternary_environment_names_and_urls(envs: Scanned) -> None:
    assert texts(ours(envs, "env.url", "production")) == [
        "https://shop.acme.dev (environment production of job deploy (deploy.yml))"
    ]
    assert [f.attrs["url"] for f in ours(envs, "env.url", "staging")] == ["https://staging.shop.acme.dev"]
    automated = ours(envs, "ci.deploy.automated")
    one(automated, "Push to main: deploys to production", "helm upgrade")
    one(automated, "Push to develop: deploys to staging")
    manual = one(ours(envs, "ci.deploy.manual"), "workflow_dispatch of deploy.yml")
    assert "staging, production" in manual.text  # the ref of a manual run is unknown: both candidates


def test_protection_rules_are_a_hint_per_environment(envs: Scanned) -> None:
    hints = [f for f in ours(envs, "ci.deploy.manual") if f.confidence is Confidence.HINT]
    assert sorted(f.attrs["environment"] for f in hints) == ["production", "staging"]
    assert "protection rules" in hints[0].text


def test_preview_per_pull_request_labelled(envs: Scanned) -> None:
    preview = one(ours(envs, "ci.deploy.automated"), "pr-${{ github.event.number }}")
    assert preview.text.startswith("Pull requests to main labelled preview: deploys to")
    [purpose] = ours(envs, "env.purpose", "pr-*")
    assert purpose.text.startswith("One environment per pull request") and "removed by job teardown" in purpose.text
    [url] = ours(envs, "env.url", "pr-*")
    assert url.confidence is Confidence.HINT and "https://shop-pr-${{ github.event.number }}.fly.dev" in url.text


def test_merged_pull_request_and_workflow_run_deploys(envs: Scanned) -> None:
    automated = ours(envs, "ci.deploy.automated")
    merged = one(automated, "Merged pull requests to main")
    assert "flyctl deploy --config fly.production.toml" in merged.text  # via superfly/flyctl-actions args
    after = one(automated, "After workflow CI succeeds (on main)")
    assert "Heroku" in after.text and "production" in after.text


def test_environment_picked_at_dispatch_and_ssh_compose_deploy(envs: Scanned) -> None:
    manual = one(ours(envs, "ci.deploy.manual"), "servers.yml")
    assert "appleboy/ssh-action → docker compose up -d --remove-orphans" in manual.text
    assert "picked at dispatch from the repository's environments" in manual.text
    # azure/setup-helm followed by `helm version` deploys nothing
    assert not any("tools" in f.attrs.get("job", "") for f in ours(envs, "ci.deploy.manual"))


def test_helm_rollback_atomic_and_rollout_status(envs: Scanned) -> None:
    rollbacks = texts(ours(envs, "deploy.rollback.perform"))
    assert any(t.startswith("helm rollback shop") and "manual dispatch" in t for t in rollbacks)
    assert any(t.startswith("Automatic: helm upgrade --install shop") for t in rollbacks)
    verify = {f.text: f.confidence for f in ours(envs, "deploy.rollback.verify")}
    # A check after the rollback verifies it; one after a deploy only would, by our reading.
    after_deploy = [c for t, c in verify.items() if "rollout status deployment/shop -n shop after the deploy" in t]
    after_rollback = [c for t, c in verify.items() if "rollout status" in t and "after the rollback in job" in t]
    assert after_deploy == [Confidence.INFERRED] and after_rollback == [Confidence.DECLARED]


def test_schedules_matrix_versions_and_load_tests(envs: Scanned) -> None:
    e2e = one(ours(envs, "ci.test.e2e"), "Playwright")
    assert "nightly (0 3 * * *) and manual dispatch" in e2e.text
    assert "matrix node-version: 20, 22" in e2e.text and "shard" not in e2e.text.split(";")[-2]
    assert "in container mcr.microsoft.com/playwright:v1.42.1-jammy" in e2e.text
    load = one(ours(envs, "mon.performance"), "k6")
    assert "matrix computed at run time" in load.text


# ---- throwaway environments are tests, not deployments -------------------------------------------


def test_kind_cluster_job_is_an_e2e_test(ephemeral: Scanned) -> None:
    e2e = one(ours(ephemeral, "ci.test.e2e"), "kind")
    assert e2e.text.startswith("Deploy to a throwaway kind cluster in job kind-helm (e2e.yml)")
    assert ("test/e2e.sh", 6) in [(e.path, e.line) for e in e2e.evidence]  # the helm upgrade in the script
    assert ours(ephemeral, "ci.deploy.automated") == [] and ours(ephemeral, "deploy.steps") == []
    assert ours(ephemeral, "ci.build") == []  # `docker build` for the kind cluster is test setup


def test_a_command_a_code_span_cannot_hold_is_shown_up_to_its_first_substitution(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    # lago's manifest merge read as escaped prose: imagetools create $(jq -cr '.tags \| map(...)' \<\<\< ...)
    scanned = scan(tmp_path_factory, "manifest", {
        W + "release.yml": (
            "on:\n  release:\n    types: [released]\njobs:\n  merge:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: docker/login-action@v3\n"
            "      - run: |\n          docker buildx imagetools create "
            "$(jq -cr '.tags | map(\"-t \" + .) | join(\" \")' "
            "<<< \"$DOCKER_METADATA_OUTPUT_JSON\") $(printf 'acme/app@sha256:%s ' *)\n"
        ),
    })
    build = one(ours(scanned, "ci.build"), "imagetools")
    assert "with docker buildx imagetools create …" in build.text
    assert "`docker buildx imagetools create …`" in scanned.markdown


def test_a_test_step_names_the_directories_it_tests(tmp_path_factory: pytest.TempPathFactory) -> None:
    # oncall: pytest in `working-directory: engine` and a package.json script of grafana-plugin;
    # the components table said neither component had CI
    scanned = scan(tmp_path_factory, "tested-dirs", {
        W + "ci.yml": (
            "on: pull_request\njobs:\n  backend:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - working-directory: engine\n        run: pytest -x\n"
            "  frontend:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - run: pnpm --dir grafana-plugin test\n"
        ),
        "grafana-plugin/package.json": '{"name": "plugin", "scripts": {"test": "jest --verbose"}}\n',
    })
    assert one(ours(scanned, "ci.test.unit"), "pytest").attrs["paths"] == ["engine"]
    # traefik-helm-chart: `helm unittest ./traefik` then `./hub-manager`, one statement for both charts
    scanned = scan(tmp_path_factory, "tested-charts", {
        W + "test.yaml": ("on: pull_request\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
                          "      - run: helm unittest ./traefik\n      - run: helm unittest ./hub-manager\n"
                          "      - run: go test ./...\n"),
    })
    assert one(ours(scanned, "ci.test.unit"), "helm").attrs["paths"] == ["traefik", "hub-manager"]
    assert "paths" not in one(ours(scanned, "ci.test.unit"), "go test").attrs  # `./...` names no folder


def test_a_chart_release_action_says_it_publishes_helm_charts(tmp_path_factory: pytest.TempPathFactory) -> None:
    # traefik-helm-chart publishes its charts to ghcr.io: the build steps were a gap
    scanned = scan(tmp_path_factory, "chart-release", {
        W + "release.yaml": (
            "on:\n  push:\n    branches: [master]\njobs:\n  release:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: appany/helm-oci-chart-releaser@v0.5.0\n        with:\n          name: traefik\n"
            "          registry: ghcr.io\n          path: ./traefik\n"
        ),
    })
    build = one(ours(scanned, "ci.build"), "helm-oci-chart-releaser")
    assert build.text.startswith(
        "Helm charts packaged and published with appany/helm-oci-chart-releaser in job release")


def test_a_shown_command_leaves_out_the_environment_it_sets(tmp_path_factory: pytest.TempPathFactory) -> None:
    # miniflux: `make integration-test` runs `TEST_MINIFLUX_BASE_URL=... TEST_MINIFLUX_ADMIN_PASSWORD=...
    # go test ...` (one recipe line continued with backslashes): six assignments before the command
    scanned = scan(tmp_path_factory, "assignments", {
        W + "tests.yml": "on: pull_request\njobs:\n  it:\n    runs-on: ubuntu-latest\n    steps:\n"
                         "      - run: make integration-test\n",
        "Makefile": ("integration-test:\n\tTEST_BASE_URL=http://127.0.0.1:8080 \\\n\tTEST_ADMIN_PASSWORD=test123 \\\n"
                     "\tgo test -v -count=1 ./internal/api\n"),
    })
    [tests] = [f for f in scanned.model.facts if f.field.startswith("ci.test")]
    assert "runs make integration-test → go test -v -count=1 ./internal/api" in tests.text


@pytest.mark.parametrize(("command", "shown"), [
    # the code review's cases: a pipe before the tool that deploys, an assignment from a substitution
    ("yes y | helm upgrade --install app ./chart", "yes y | helm upgrade --install app ./chart"),
    ("helm template chart/ | kubectl apply -f -", "helm template chart/ | kubectl apply -f -"),
    ("DATABASE_URL=$(cat .db-url) pytest tests/", "pytest tests/"),
    ("A=${B:-x} C=\"a b\" go test ./...", "go test ./..."),
    ("docker buildx imagetools create $(jq -cr '.tags | map(x)' <<< \"$J\") $(printf x)",
     "docker buildx imagetools create …"),
])
def test_a_shown_command(command: str, shown: str) -> None:
    assert _short(command) == shown


def test_a_provisioned_and_torn_down_environment_makes_its_tests_end_to_end(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    # the code review's case: azd provision, pytest, azd down; c28f9c4 called the tests unit tests
    scanned = scan(tmp_path_factory, "teardown", {
        W + "ci.yml": ("on: pull_request\njobs:\n  preview:\n    runs-on: ubuntu-latest\n    steps:\n"
                       "      - run: azd provision --no-prompt\n      - run: pytest tests/\n"
                       "      - run: azd down --force --purge\n"),
    })
    assert one(ours(scanned, "ci.test.e2e"), "pytest")


def test_a_tag_set_at_run_time_beside_a_written_one_is_said_not_shown_bare(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    # linkding pushes app:latest and app:${{ env.VERSION }}: "app:latest, app" read as two images
    scanned = scan(tmp_path_factory, "runtime-tags", {
        W + "build.yaml": (
            "on: workflow_dispatch\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: docker/build-push-action@v6\n        with:\n          push: true\n          tags: |\n"
            "            acme/app:latest\n            acme/app:${{ env.VERSION }}\n"
            "            acme/app:${{ env.VERSION }}-alpine\n"
        ),
    })
    build = one(ours(scanned, "ci.build"), "acme/app")
    assert build.text.startswith("Docker image acme/app:latest (and tags set at run time) built")


def test_a_step_pushing_many_images_says_how_many_it_does_not_name(tmp_path_factory: pytest.TempPathFactory) -> None:
    # listmonk's nightly job pushes eight per-architecture images; three were named, as if all
    scanned = scan(tmp_path_factory, "many-images", {
        W + "nightly.yml": (
            "on:\n  schedule:\n    - cron: '0 2 * * *'\njobs:\n  nightly:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - run: |\n" + "".join(f"          docker push acme/app:nightly-{a}\n"
                                         for a in ("amd64", "arm64", "armv6", "armv7", "s390x"))
        ),
    })
    build = one(ours(scanned, "ci.build"), "acme/app:nightly-amd64")
    assert "and 2 more pushed" in build.text


def test_databases_started_in_the_runner_make_integration_tests(tmp_path_factory: pytest.TempPathFactory) -> None:
    scanned = scan(tmp_path_factory, "runner-db-pytest", {
        W + "tests.yml": (
            "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - name: Start PostgreSQL\n        run: sudo systemctl start postgresql.service\n"
            "      - name: Run Tests\n        run: pytest\n"
        ),
    })
    tests = one(ours(scanned, "ci.test.integration"), "pytest")
    assert "databases started by sudo systemctl start postgresql.service" in tests.text
    assert not ours(scanned, "ci.test.unit")


def test_a_runner_that_uses_a_database_by_design_stays_unit_tests_beside_one(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    # healthchecks: a matrix over database engines, each started in the runner before `manage.py test`,
    # which makes a test database on every run: the project's own tests, run against each engine
    scanned = scan(tmp_path_factory, "runner-db", {
        W + "tests.yml": (
            "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n"
            "        db: [sqlite, postgres, mysql]\n    steps:\n"
            "      - name: Start MySQL\n        if: matrix.db == 'mysql'\n"
            "        run: sudo systemctl start mysql.service\n"
            "      - name: Start PostgreSQL\n        if: matrix.db == 'postgres'\n"
            "        run: sudo systemctl start postgresql.service\n"
            "      - name: Run Tests\n        run: python manage.py test\n"
        ),
    })
    tests = one(ours(scanned, "ci.test.unit"), "manage.py test")
    assert ("databases started by sudo systemctl start mysql.service, sudo systemctl start postgresql.service"
            in tests.text)
    assert "matrix db: sqlite, postgres, mysql" in tests.text
    # netbox: the integration gap said it looked for tests with database services; the suite that has
    # them is a lead there, with why it is counted as unit tests
    [lead] = ours(scanned, "ci.test.integration")
    assert lead.confidence is Confidence.HINT
    assert lead.text == ("Django test runner in job test (tests.yml) runs with databases started by sudo systemctl "
                         "start mysql.service, sudo systemctl start postgresql.service; infrascan counts its tests "
                         "as unit tests, since the runner makes a test database of its own")


def test_a_service_image_over_a_matrix_is_each_of_its_versions(tmp_path_factory: pytest.TempPathFactory) -> None:
    # solidtime: `postgres:${{ matrix.postgres_version }}` over 15, 16 and 17 was an unknown image, so
    # its PHPUnit suite ran beside no database as far as the scan could tell
    scanned = scan(tmp_path_factory, "service-matrix", {
        W + "phpunit.yml": (
            "on: push\njobs:\n  phpunit:\n    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n"
            "        postgres_version: [15, 16, 17]\n    services:\n      pgsql_test:\n"
            "        image: postgres:${{ matrix.postgres_version }}\n      gotenberg:\n"
            "        image: gotenberg/gotenberg:8\n    steps:\n      - run: php artisan test\n"
        ),
    })
    tests = one(ours(scanned, "ci.test.unit"), "PHPUnit")
    assert ("services: PostgreSQL 15, 16 and 17 (postgres:${{ matrix.postgres_version }}), gotenberg/gotenberg:8"
            in tests.text)
    # the lead names the database services only (not gotenberg), and says why they are not integration tests
    [lead] = ours(scanned, "ci.test.integration")
    assert lead.confidence is Confidence.HINT
    assert lead.text == ("PHPUnit in job phpunit (phpunit.yml) runs with services PostgreSQL 15, 16 and 17 "
                         "(postgres:${{ matrix.postgres_version }}); infrascan counts its tests as unit tests, since "
                         "the runner makes a test database of its own")


@pytest.mark.parametrize(
    ("versions", "said"),
    [
        ("['9.6', 10, 11]", "PostgreSQL 9.6, 10 and 11"),  # in version order, not as strings
        ("[15, latest]", "PostgreSQL 15 and PostgreSQL (version unpinned)"),
    ],
)
def test_a_service_matrix_s_versions_in_order(tmp_path_factory: pytest.TempPathFactory, versions: str,
                                               said: str) -> None:
    scanned = scan(tmp_path_factory, "service-order-" + str(abs(hash(versions))), {
        W + "ci.yml": ("on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n"
                       f"        pg: {versions}\n    services:\n      db:\n"
                       "        image: postgres:${{ matrix.pg }}\n    steps:\n      - run: bundle exec rspec\n"),
    })
    [tests] = ours(scanned, "ci.test.integration")
    assert f"services: {said} (postgres:${{{{ matrix.pg }}}})" in tests.text, tests.text


def test_a_merge_queue_runs_on_its_own_temporary_branch(tmp_path_factory: pytest.TempPathFactory) -> None:
    # homepage: the docs deploy runs `if: github.ref == 'refs/heads/main'`; the merge queue's ref is
    # refs/heads/gh-readonly-queue/main/..., so the queue never deploys
    scanned = scan(tmp_path_factory, "merge-queue", {
        W + "docs.yml": (
            "on:\n  push:\n    branches: [main]\n  merge_group:\njobs:\n  deploy:\n"
            "    if: github.ref == 'refs/heads/main'\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: actions/deploy-pages@v4\n"
        ),
    })
    [deploy] = ours(scanned, "ci.deploy.automated")
    assert deploy.text.startswith("Push to main:") and "merge queue" not in deploy.text


def test_a_message_naming_compose_up_is_not_a_start_of_services(tmp_path_factory: pytest.TempPathFactory) -> None:
    # langfuse: a wait loop's `echo "Timed out waiting for background docker compose up"` was listed as
    # a second start of the test's containers once every start was named (ded0449)
    scanned = scan(tmp_path_factory, "compose-echo", {
        W + "ci.yml": ("on: push\njobs:\n  e2e:\n    runs-on: ubuntu-latest\n    steps:\n"
                       "      - run: docker compose -f docker-compose.dev.yml up -d --wait\n"
                       "      - run: timeout 60 sh -c 'until nc -z localhost 5432; do sleep 1; done' || "
                       "{ echo \"Timed out waiting for docker compose up\"; exit 1; }\n"
                       "      - run: npx playwright test\n"),
    })
    e2e = one(ours(scanned, "ci.test.e2e"), "Playwright")
    assert "containers started by docker compose -f docker-compose.dev.yml up -d --wait" in e2e.text
    assert "Timed out" not in e2e.text


def test_a_github_pages_deploy_is_a_deployment(tmp_path_factory: pytest.TempPathFactory) -> None:
    # lago: "Deploy Github Page" publishes its install script with actions/deploy-pages; the
    # deployment fields were gaps
    scanned = scan(tmp_path_factory, "pages", {
        W + "gh-page.yml": (
            "on:\n  push:\n    branches: [main]\n  workflow_dispatch:\njobs:\n  deploy:\n"
            "    environment:\n      name: github-pages\n      url: ${{ steps.deployment.outputs.page_url }}\n"
            "    runs-on: ubuntu-latest\n    steps:\n      - id: deployment\n        uses: actions/deploy-pages@v4\n"
        ),
    })
    assert "with actions/deploy-pages" in one(ours(scanned, "ci.deploy.automated"), "Push to main").text
    assert ours(scanned, "ci.deploy.manual")


@pytest.mark.parametrize(
    ("command", "deploys"),
    [
        ("curl -X POST -d {} ${{ secrets.DEPLOY_HOOK }}", True),  # rallly's production deploy on Vercel
        ("curl -fsS ${{ vars.RENDER_DEPLOY_HOOK_URL }}", True),
        ("curl -X POST -d '{}' ${{ secrets.SLACK_WEBHOOK }}", False),  # a notification deploys nothing
        ("curl -X POST -d '{}' ${{ secrets.SLACK_DEPLOY_WEBHOOK }}", False),  # even one named for deploys
        # curl's -s is no stage: the environment is the step's ("deploy to production")
        ("curl -s -X POST ${{ secrets.DEV_DEPLOY_HOOK }} -o /dev/null", True),
    ],
)
def test_a_deploy_hook_known_by_its_secret_s_name_is_a_deployment(
        tmp_path_factory: pytest.TempPathFactory, command: str, deploys: bool) -> None:
    scanned = scan(tmp_path_factory, "hook", {
        W + "release.yml": (
            "on:\n  push:\n    tags: ['v*']\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
            f"      - name: Trigger deploy to production\n        run: |\n          {command}\n"
        ),
    })
    found = ours(scanned, "ci.deploy.automated")
    assert bool(found) is deploys
    if deploys:
        assert one(found, "Tag push").text.startswith("Tag push v*: deploys to production with ")


def test_a_deploy_hook_url_is_never_written_out(tmp_path_factory: pytest.TempPathFactory) -> None:
    # a Vercel deploy hook's URL deploys for whoever calls it: the deployment is said, the URL is not
    token = "prj_FTkLiRiaUuTNfHoFkpFUQ9D5z8BK/Ulb8VhbQ7X"
    scanned = scan(tmp_path_factory, "hook-url", {
        W + "release.yml": ("on:\n  push:\n    branches: [main]\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n"
                            f"    steps:\n      - run: curl -X POST https://api.vercel.com/v1/integrations/deploy/{token}\n"),
    })
    assert one(ours(scanned, "ci.deploy.automated"), "Push to main")
    assert "`curl -X POST https://api.vercel.com/[redacted]`" in scanned.markdown
    assert "FTkLiRia" not in scanned.markdown and "Ulb8VhbQ7X" not in scanned.markdown
    assert "Ulb8VhbQ7X" not in to_json(scanned.model, scanned.view)


def test_a_reusable_workflow_s_build_is_one_step_whichever_workflows_call_it(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    # outline: docker-build.yml, called by docker-nightly.yml and docker.yml, read as six build steps
    # (three per caller, each with one caller's triggers) instead of three
    caller = ("on:\n  {on}\njobs:\n  publish:\n    if: {cond}\n"
              "    uses: ./.github/workflows/docker-build.yml\n    secrets: inherit\n")
    called = ("on:\n  workflow_call:\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
              "      - uses: docker/build-push-action@v6\n        with:\n          push: true\n"
              "          tags: acme/app:latest\n")

    def built(name: str, release_condition: str) -> str:
        [build] = ours(scan(tmp_path_factory, name, {
            W + "docker.yml": caller.format(on="push:\n    tags: ['v*']", cond=release_condition),
            W + "nightly.yml": caller.format(on="schedule:\n    - cron: '0 3 * * *'", cond="true"),
            W + "docker-build.yml": called,
        }), "ci.build")
        return build.text

    # one caller's condition is not the other's: each caller is named with its own
    assert built("two-callers", "github.repository == 'acme/app'") == (
        "Docker image acme/app:latest built in job build (docker-build.yml, called from docker.yml, nightly.yml), "
        "on tag push v*, if github.repository == 'acme/app' (docker.yml); nightly (0 3 * * *) (nightly.yml); "
        "pushed to Docker Hub")
    # callers with no condition of their own: their triggers together
    assert "called from docker.yml, nightly.yml), on tag push v* and nightly (0 3 * * *); pushed" in built(
        "two-plain-callers", "true")


# A reusable workflow that builds the image its caller names, and a calling job (`{image}` to fill).
_CALLED_IMAGE_BUILD = (
    "on:\n  workflow_call:\n    inputs:\n      image:\n        type: string\njobs:\n  build:\n"
    "    runs-on: ubuntu-latest\n    steps:\n      - uses: docker/build-push-action@v6\n"
    "        with:\n          push: true\n          tags: acme/${{ inputs.image }}:latest\n")
_CALL_WITH_IMAGE = "    uses: ./.github/workflows/docker-build.yml\n    with:\n      image: {image}\n"


def test_callers_of_a_reusable_build_with_other_inputs_or_conditions_keep_them(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    # code review of 00e7c74: callers passing other images were pooled (acme/web "built on pull
    # requests"), and a second calling job's condition in one caller was dropped
    called, call = _CALLED_IMAGE_BUILD, _CALL_WITH_IMAGE
    scanned = scan(tmp_path_factory, "callers-differ", {
        W + "docker-build.yml": called,
        W + "ci.yml": "on: pull_request\njobs:\n  api:\n" + call.format(image="api"),
        W + "release.yml": ("on:\n  push:\n    branches: [main]\njobs:\n  api:\n" + call.format(image="api")
                            + "  release:\n    runs-on: ubuntu-latest\n    outputs:\n"
                              "      created: ${{ steps.r.outputs.created }}\n    steps:\n      - id: r\n"
                              "        run: echo created=true >> $GITHUB_OUTPUT\n"
                            + "  web:\n    needs: release\n    if: needs.release.outputs.created\n"
                            + call.format(image="web")),
    })
    builds = {f.text for f in ours(scanned, "ci.build")}
    web = one(ours(scanned, "ci.build"), "acme/web")
    assert "pull requests" not in web.text and "if needs.release.outputs.created" in web.text, builds
    api = one(ours(scanned, "ci.build"), "acme/api")
    assert api.text.startswith("Docker image acme/api:latest built in job build (docker-build.yml, called from "
                               "ci.yml, release.yml), on pull requests and push to main")
    # the diagram draws the build in each calling workflow, from that workflow's triggers, named by it
    diagram = scanned.markdown[scanned.markdown.index("flowchart"):]
    assert '["ci / build"]' in diagram and '["release / build"]' in diagram


@pytest.mark.parametrize(("job", "environment", "e2e"), [
    ("deployment-tests", "", True),  # microservices-demo: each branch in its own namespace, smoke-tested
    ("e2e", "", True),
    ("deploy-test", "", False),  # a deploy to an environment named test
    ("deployment-tests", "    environment: gke-staging\n", False),  # deploys to a named environment
])
def test_a_job_named_for_tests_that_deploys_is_an_end_to_end_test(
        tmp_path_factory: pytest.TempPathFactory, job: str, environment: str, e2e: bool) -> None:
    scanned = scan(tmp_path_factory, "deploy-tests", {
        W + "ci.yml": (f"on:\n  push:\n    branches: [main]\njobs:\n  {job}:\n    runs-on: ubuntu-latest\n"
                       f"{environment}    steps:\n      - run: skaffold run --namespace=pr-$GITHUB_SHA\n"),
    })
    assert bool(ours(scanned, "ci.test.e2e")) is e2e
    assert bool(ours(scanned, "ci.deploy.automated")) is not e2e


def test_a_tag_that_depends_on_the_trigger_is_one_build_and_its_push(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    # second code review: splitting builds by their tags (79b3481) gave `edge` on main a statement
    # without its push and claimed both tags on both triggers
    scanned = scan(tmp_path_factory, "tag-by-trigger", {
        W + "docker.yml": ("on:\n  push:\n    branches: [main]\n  release:\n    types: [published]\n"
                           "env:\n  TAG: ${{ github.event_name == 'release' && 'stable' || 'edge' }}\n"
                           "jobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
                           "      - run: docker build -t acme/app:${{ env.TAG }} .\n"
                           "      - run: docker push acme/app:${{ env.TAG }}\n"),
    })
    [build] = ours(scanned, "ci.build")
    assert "on push to main and release (published); pushed to Docker Hub" in build.text


def test_two_calling_jobs_of_one_workflow_building_other_images_are_two_statements(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    # second code review: both statements had one item, so the second was an "also" line drift ignored
    called, call = _CALLED_IMAGE_BUILD, _CALL_WITH_IMAGE
    scanned = scan(tmp_path_factory, "two-calls", {
        W + "docker-build.yml": called,
        W + "release.yml": ("on:\n  push:\n    branches: [main]\njobs:\n  api:\n" + call.format(image="api")
                            + "  web:\n" + call.format(image="web")),
    })
    builds = ours(scanned, "ci.build")
    assert len(builds) == 2 and len({f.item for f in builds}) == 2
    steps = scanned.markdown[scanned.markdown.index("Build Steps"):scanned.markdown.index("Test Automation")]
    assert "- also:" not in steps


def test_a_release_action_is_a_build_step_that_says_what_it_makes(tmp_path_factory: pytest.TempPathFactory) -> None:
    # terraform-aws-eks cuts its releases with semantic-release; Build Steps was a gap
    scanned = scan(tmp_path_factory, "semantic-release", {
        W + "release.yml": ("on:\n  push:\n    branches: [main]\njobs:\n  release:\n    runs-on: ubuntu-latest\n"
                            "    steps:\n      - uses: cycjimmy/semantic-release-action@v5\n"),
    })
    [build] = ours(scanned, "ci.build")
    assert build.text == ("Releases versioned from commit messages, tagged and published with "
                          "cycjimmy/semantic-release-action in job release (release.yml), on push to main")


def test_an_unknown_action_given_a_dockerfile_of_the_repository_builds_it(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # makeplane/plane: its own makeplane/actions/build-push, given `dockerfile-path`, builds and
    # publishes every image; the document never mentioned that workflow.
    step = ("      - uses: acme/actions/build-push@v1.4.0\n        with:\n"
            "          dockerfile-path: {path}\n          build-context: .\n")
    workflow = ("on:\n  push:\n    branches: [preview]\njobs:\n  push_api:\n    runs-on: ubuntu-latest\n"
                "    steps:\n" + step.format(path="./apps/api/Dockerfile.api")
                + "  push_docs:\n    runs-on: ubuntu-latest\n    steps:\n" + step.format(path="./docs/Dockerfile"))
    scanned = scan(tmp_path_factory, "unknown-build-action", {
        W + "build-branch.yml": workflow,
        "apps/api/Dockerfile.api": "FROM python:3.12-alpine\nCMD [\"gunicorn\"]\n",
    })
    [build] = ours(scanned, "ci.build")
    assert build.text == ("Docker image built with acme/actions/build-push (./apps/api/Dockerfile.api) in job push_api "
                          "(build-branch.yml), on push to preview")
    assert build.confidence is Confidence.INFERRED  # the action is not known: its input says what it builds
    assert build.attrs["paths"] == ["./apps/api/Dockerfile.api"]
    # an input named for the image names it (the code review's case)
    named = scan(tmp_path_factory, "unknown-build-action-image", {
        W + "build-branch.yml": workflow.replace("          build-context: .\n",
                                                 "          build-context: .\n          image: acme/api\n"),
        "apps/api/Dockerfile.api": "FROM python:3.12-alpine\n",
    })
    assert ours(named, "ci.build")[0].text.startswith("Docker image acme/api built in job push_api")
    # a matrix gives the Dockerfile (the code review's case)
    matrixed = ("on: push\njobs:\n  images:\n    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n"
                "        dockerfile: [./apps/api/Dockerfile.api]\n    steps:\n"
                "      - uses: acme/actions/build-push@v1.4.0\n        with:\n"
                "          dockerfile-path: ${{ matrix.dockerfile }}\n")
    scanned = scan(tmp_path_factory, "unknown-build-action-matrix", {
        W + "images.yml": matrixed, "apps/api/Dockerfile.api": "FROM python:3.12-alpine\n"})
    [build] = ours(scanned, "ci.build")
    assert "./apps/api/Dockerfile.api" in build.text and build.confidence is Confidence.INFERRED
    # vaultwarden: a linter given the Dockerfile builds nothing
    linted = scan(tmp_path_factory, "unknown-lint-action", {
        W + "hadolint.yml": ("on: push\njobs:\n  hadolint:\n    runs-on: ubuntu-latest\n    steps:\n"
                             "      - uses: hadolint/hadolint-action@v3.1.0\n        with:\n"
                             "          dockerfile: docker/Dockerfile.debian\n"),
        "docker/Dockerfile.debian": "FROM debian:trixie-slim\n",
    })
    assert ours(linted, "ci.build") == []
    # the owner's name says nothing of what the action does (`acme-design` holds "sign")
    owned = scan(tmp_path_factory, "unknown-owner-words", {
        W + "build-branch.yml": workflow.replace("acme/actions/build-push", "acme-design/actions/build-push"),
        "apps/api/Dockerfile.api": "FROM python:3.12-alpine\n",
    })
    assert len(ours(owned, "ci.build")) == 1


def test_a_suite_allowed_to_fail_says_so(tmp_path_factory: pytest.TempPathFactory) -> None:
    # as GitLab's allow_failure (passbolt's MariaDB suites): `continue-on-error: true` on the step
    # or the job means its failures block nothing
    workflow = ("on: push\njobs:\n  unit:\n    runs-on: ubuntu-latest\n    steps:\n"
                "      - run: pytest tests/unit\n"
                "  nightly-db:\n    runs-on: ubuntu-latest\n    continue-on-error: true\n    steps:\n"
                "      - run: pytest tests/db\n"
                "  flaky:\n    runs-on: ubuntu-latest\n    steps:\n"
                "      - run: pytest tests/flaky\n        continue-on-error: true\n")
    scanned = scan(tmp_path_factory, "lenient-tests", {W + "ci.yml": workflow})
    tests = {f.attrs["job"]: f for f in ours(scanned, "ci.test.unit")}
    assert not tests["unit"].text.endswith("(continue-on-error: true)")
    for job, line in (("nightly-db", 9), ("flaky", 16)):
        assert tests[job].text.endswith("; allowed to fail (continue-on-error: true)"), tests[job].text
        assert (W + "ci.yml", line) in [(e.path, e.line) for e in tests[job].evidence]


def test_a_build_of_a_dockerfile_the_repository_lacks_says_so(tmp_path_factory: pytest.TempPathFactory) -> None:
    # plane's feature-deployment.yml still builds ./aio/Dockerfile-app, removed with aio/
    step = ("on: workflow_dispatch\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: docker/build-push-action@v6\n        with:\n          context: .\n"
            "          file: {path}\n          tags: acme/app:latest\n")
    scanned = scan(tmp_path_factory, "stale-dockerfile", {
        W + "stale.yml": step.format(path="./aio/Dockerfile-app"),
        W + "fine.yml": step.format(path="./app/Dockerfile"),
        "app/Dockerfile": "FROM node:22\n",
    })
    builds = {f.attrs["file"]: f.text for f in ours(scanned, "ci.build")}
    assert builds[W + "stale.yml"].endswith("; ./aio/Dockerfile-app is not in the repository")
    assert "not in the repository" not in builds[W + "fine.yml"]
    # the code review's cases: elgohr's action reads `dockerfile` from its `workdir`; a checkout to a
    # sub-path puts the files elsewhere; a vendored tree is not listed; none of them is stale
    elgohr = ("on: push\njobs:\n  api:\n    runs-on: ubuntu-latest\n    steps:\n"
              "      - uses: elgohr/Publish-Docker-Github-Action@v5\n        with:\n          name: acme/api\n"
              "          workdir: api\n          dockerfile: Dockerfile.prod\n")
    sub = step.format(path="src/web/Dockerfile").replace(
        "    steps:\n", "    steps:\n      - uses: actions/checkout@v4\n        with:\n          path: src\n")
    scanned = scan(tmp_path_factory, "not-stale-dockerfiles", {
        W + "elgohr.yml": elgohr, W + "sub.yml": sub,
        W + "vendored.yml": step.format(path="third_party/proxy/Dockerfile"),
        # under a skip pattern that is no literal prefix (the session 21 leftover)
        W + "generated.yml": step.format(path="deploy/generated/Dockerfile"),
        ".infrascan.toml": 'skip = ["**/generated/"]\n',
        "api/Dockerfile.prod": "FROM node:22\n", "web/Dockerfile": "FROM node:22\n",
        "third_party/proxy/Dockerfile": "FROM nginx:1.27\n", "deploy/generated/Dockerfile": "FROM nginx:1.27\n",
    })
    texts = [f.text for f in ours(scanned, "ci.build")]
    assert len(texts) == 4 and not [t for t in texts if "not in the repository" in t], texts


def test_tests_before_the_throwaway_cluster_keep_their_level(tmp_path_factory: pytest.TempPathFactory) -> None:
    # traefik-helm-chart: `helm unittest` runs before the kind cluster a release PR's install test needs
    scanned = scan(tmp_path_factory, "cluster-later", {
        W + "test.yaml": (
            "on: pull_request\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: actions/checkout@v4\n"
            "      - name: Test Chart\n        run: helm unittest ./chart\n"
            "      - name: Create kind cluster\n        uses: helm/kind-action@v1.14.0\n"
            "      - name: Check install\n        run: ct install --charts chart/\n"
        ),
    })
    assert "helm unittest" in one(ours(scanned, "ci.test.unit"), "helm").text
    assert not [f for f in ours(scanned, "ci.test.e2e") if "helm unittest" in f.text]
    # loki's operator scorecard: the cluster step itself stands for the job's only test
    scanned = scan(tmp_path_factory, "cluster-only", {
        W + "scorecard.yaml": (
            "on: pull_request\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: helm/kind-action@v1.14.0\n      - run: operator-sdk scorecard bundle\n"
        ),
    })
    assert one(ours(scanned, "ci.test.e2e"), "throwaway kind cluster")


def test_provisioned_and_destroyed_environment_via_reusable_workflow(ephemeral: Scanned) -> None:
    e2e = one(ours(ephemeral, "ci.test.e2e"), "Playwright")
    assert "called from test-e2e.yaml" in e2e.text
    assert "weekly (0 0 * * 0) and comment /test-e2e" in e2e.text
    assert "provisions its own environment and removes it (azd down --force --purge)" in e2e.text
    assert e2e.attrs["manual"] is False and "comment /test-e2e" in e2e.attrs["triggers"]


def test_what_a_condition_asks_on_one_trigger_is_said_at_that_trigger(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    # miniflux: its package tests run on pull requests, and on schedule only in its own repository;
    # "depending on github.repository_owner" did not say which trigger it gates, nor how
    scanned = scan(tmp_path_factory, "asked", {
        W + "packages.yml": (
            "on:\n  workflow_dispatch:\n  push:\n    tags: ['[0-9]+.[0-9]+.[0-9]+']\n"
            "  schedule:\n    - cron: '0 0 * * 1,4'\n  pull_request:\n    branches: [main]\njobs:\n"
            "  test-packages:\n"
            "    if: (github.event_name == 'schedule' && github.repository_owner == 'miniflux')\n"
            "      || github.event_name == 'pull_request'\n"
            "    runs-on: ubuntu-latest\n    steps:\n      - run: docker build -t acme/deb-builder .\n"
            "  publish:\n    if: github.event_name == 'push' && github.repository_owner == 'miniflux'\n"
            "    runs-on: ubuntu-latest\n    steps:\n      - run: docker build -t acme/deb-release .\n"
            "  smoke:\n    needs: test-packages\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - run: docker build -t acme/smoke .\n"
        ),
    })
    tests = one(ours(scanned, "ci.build"), "acme/deb-builder")
    assert tests.text.endswith("on schedule (0 0 * * 1,4) if github.repository_owner == 'miniflux'; "
                               "pull requests to main"), tests.text
    assert (W + "packages.yml", 11) in [(e.path, e.line) for e in tests.evidence]  # the `if:` it says
    # one trigger, on which the event test holds: what is left is the owner
    publish = one(ours(scanned, "ci.build"), "acme/deb-release")
    assert publish.text.endswith("on tag push [0-9]+.[0-9]+.[0-9]+, if github.repository_owner == 'miniflux'")
    # the job after it asks the same on that trigger
    smoke = one(ours(scanned, "ci.build"), "acme/smoke")
    assert smoke.text.endswith("on schedule (0 0 * * 1,4) if github.repository_owner == 'miniflux'; "
                               "pull requests to main"), smoke.text


def test_an_undecided_condition_is_named_after_the_triggers(tmp_path_factory: pytest.TempPathFactory) -> None:
    # release-please's pattern: the reusable build runs on push to main only when a release was
    # cut; a job gated by the event alone, or by a pull request label, needs no clause of its own.
    scanned = scan(tmp_path_factory, "undecided", {
        ".github/workflows/release.yml": """on:
  push:
    branches: [main]
  pull_request:
jobs:
  release-please:
    if: github.event_name == 'push'
    runs-on: ubuntu-latest
    outputs:
      created: ${{ steps.rp.outputs.release_created }}
    steps:
      - uses: googleapis/release-please-action@v4
        id: rp
  artifacts:
    needs: release-please
    if: ${{ needs.release-please.outputs.created }}
    uses: ./.github/workflows/artifacts.yml
  docs:
    needs: release-please
    if: ${{ !cancelled() && (github.event_name != 'push' || needs.release-please.outputs.skip != 'true') }}
    runs-on: ubuntu-latest
    steps:
      - run: docker build -t ghcr.io/acme/docs:1 docs
  smoke:
    needs: release-please
    if: always()
    runs-on: ubuntu-latest
    steps:
      - run: npx playwright test
  preview:
    if: contains(github.event.pull_request.labels.*.name, 'preview')
    runs-on: ubuntu-latest
    environment: preview
    steps:
      - run: helm upgrade --install web ./chart
""",
        ".github/workflows/artifacts.yml": """on:
  workflow_call:
jobs:
  build:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - uses: actions/checkout@v4
      - run: docker build -t ghcr.io/acme/web:latest .
      - run: helm upgrade --install web ./chart
""",
    })
    build = one(ours(scanned, "ci.build"), "called from release.yml")
    assert "on push to main, if needs.release-please.outputs.created" in build.text
    assert (".github/workflows/release.yml", 16) in [(e.path, e.line) for e in build.evidence]
    deploy = one(ours(scanned, "ci.deploy.automated"), "production")
    assert deploy.text.startswith("Push to main, if needs.release-please.outputs.created: deploys")
    # a condition that holds outright on one trigger (pull requests) says what it still asks on the
    # other, at that trigger; the status part holds on the success path the document describes
    docs = one(ours(scanned, "ci.build"), "ghcr.io/acme/docs")
    assert docs.text.endswith("on push to main if needs.release-please.outputs.skip != 'true'; pull requests")
    # a job that needs the release job runs only where it ran, unless it checks the status itself
    smoke = one(ours(scanned, "ci.test.e2e"), "Playwright")
    assert "push to main and pull requests" in smoke.text and ", if " not in smoke.text
    preview = one(ours(scanned, "ci.deploy.automated"), "preview")
    assert "labelled preview" in preview.text and ", if " not in preview.text


# ---- promotion by git push, reusable deploys, environments from a matrix ------------------------------


def test_promotion_by_pushing_a_branch(promote: Scanned) -> None:
    manual = one(ours(promote, "ci.deploy.manual"), "release.yml pushes main to branch production")
    assert "which deploys through deploy.yml" in manual.text
    automated = one(ours(promote, "ci.deploy.automated"), "Tag push v[0-9]+.[0-9]+.[0-9]+: pushes main")
    assert automated.attrs["promotes"] == "production"
    assert "protected branches" in one(ours(promote, "ci.deploy.manual"), "protection rules").text


def test_environment_from_a_matrix_is_chosen_at_run_time(promote: Scanned) -> None:
    pushed = one(ours(promote, "ci.deploy.automated"), "Push to main, production")
    assert "environment chosen at run time (${{ inputs.environment }})" in pushed.text
    manual = one(ours(promote, "ci.deploy.manual"), "workflow_dispatch of deploy.yml")
    assert "(input environment: staging, prod-eu, prod-us)" in manual.text
    assert manual.confidence is Confidence.INFERRED  # the input's options, not the job's declaration
    assert ours(promote, "ci.deploy.automated")[0].attrs["pipeline"] == W + "deploy.yml"


def test_notification_jobs_on_failure_are_not_steps(promote: Scanned) -> None:
    assert not any("notify" in f.text for f in ours(promote, "deploy.steps"))
    steps = texts(ours(promote, "deploy.steps"))
    assert any("build and push docker build -t $REGISTRY/web" in s for s in steps)
    assert any("wait-for-service-stability: true" in s for s in steps)
    [verify] = [f for f in ours(promote, "deploy.rollback.verify") if "wait-for-service-stability" in f.text]
    assert (W + "_deploy_ecs_service.yml", 32) in [(e.path, e.line) for e in verify.evidence]  # the key, not uses:


def test_image_pushed_to_ecr_from_a_login_step(promote: Scanned) -> None:
    build = one(ours(promote, "ci.build"), "docker build")
    assert build.text.endswith("pushed to Amazon ECR")


# ---- monorepos: turbo, pnpm --filter, dotenv, migrations ----------------------------------------------


def test_turbo_fans_out_to_every_package_test(monorepo: Scanned) -> None:
    integration = [f for f in ours(monorepo, "ci.test.integration") if f.attrs["job"] == "test"]
    assert sorted(f.attrs["tool"] for f in integration) == ["bun", "deno", "vitest"]
    assert all("services: Turso" in f.text for f in integration)  # a database service: integration


def test_pnpm_filter_and_dotenv_reach_the_runner(monorepo: Scanned) -> None:
    unit = one(ours(monorepo, "ci.test.unit"), "job tests-shared")
    assert "pnpm --filter @acme/shared run test → dotenv -e ../../.env -- vitest run" in unit.text
    assert ("packages/shared/package.json", 1) in [(e.path, e.line) for e in unit.evidence]


def test_pnpm_filter_finds_a_package_by_its_name(tmp_path_factory: pytest.TempPathFactory) -> None:
    # redash: `pnpm --filter @redash/viz test` runs viz-lib's jest; it cited the root's test script
    scanned = scan(tmp_path_factory, "filter-name", {
        W + "ci.yml": "on: push\njobs:\n  fe:\n    runs-on: ubuntu-latest\n    steps:\n"
                      "      - run: pnpm run test\n      - run: pnpm --filter @redash/viz test\n",
        "pnpm-workspace.yaml": "packages:\n  - viz-lib\n",
        "package.json": '{\n  "name": "client",\n  "scripts": {\n    "test": "run-s type-check mocha"\n  }\n}\n',
        "viz-lib/package.json": '{\n  "name": "@redash/viz",\n  "scripts": {\n    "test": "jest"\n  }\n}\n',
    })
    viz = one(ours(scanned, "ci.test.unit"), "pnpm --filter @redash/viz test")
    assert "→ jest" in viz.text
    assert ("viz-lib/package.json", 4) in [(e.path, e.line) for e in viz.evidence]
    assert "package.json" not in [e.path for e in viz.evidence]


def test_migrations_in_a_test_job_prepare_the_test_database(monorepo: Scanned) -> None:
    [strategy] = ours(monorepo, "deploy.migration.strategy")
    assert strategy.text.startswith("CI job: job migrate (migrate.yml) runs pnpm migrate")
    assert "not ordered with a deploy job" in strategy.text
    assert strategy.confidence is Confidence.INFERRED  # only the script's name says it migrates


def test_a_migration_in_a_job_that_selects_the_test_environment_prepares_a_test_database(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    # lobsters: `database-consistency` sets RAILS_ENV: test and loads a throwaway SQLite schema
    scanned = scan(tmp_path_factory, "test-env-migrate", {
        W + "check.yml": (
            "on: push\njobs:\n  database-consistency:\n    runs-on: ubuntu-latest\n    env:\n"
            "      DATABASE_URL: sqlite3::///tmp/test.sqlite3\n      RAILS_ENV: test\n    steps:\n"
            "      - run: ./bin/rails db:schema:load db:migrate\n      - run: bundle exec database_consistency\n"
            "  migrate:\n    runs-on: ubuntu-latest\n    steps:\n      - run: bin/rails db:migrate\n"
            "        env:\n          RAILS_ENV: production\n"
        ),
    })
    [strategy] = ours(scanned, "deploy.migration.strategy")
    assert strategy.text.startswith("CI job: job migrate (check.yml) runs bin/rails db:migrate")


# ---- image builds ----------------------------------------------------------------------------------------


def test_push_conditions_and_registries(publish: Scanned) -> None:
    builds = ours(publish, "ci.build")
    ghcr = one(builds, "GitHub Container Registry", "job build")
    assert "pushed to GitHub Container Registry on tag push v*.*.* and manual dispatch only" in ghcr.text
    hub = one(builds, "pushed to Docker Hub", "job build")
    assert "only" not in hub.text


def test_images_from_metadata_action_and_goreleaser(publish: Scanned) -> None:
    builds = ours(publish, "ci.build")
    image = one(builds, "docker.io/acme/podinfo")
    assert "ghcr.io/acme/podinfo" in image.text and image.text.endswith(
        "pushed to Docker Hub, GitHub Container Registry"
    )
    assert "on tag push *" in image.text
    one(builds, "goreleaser release --skip=validate")


def test_a_packaged_chart_is_a_build_step_and_says_how_it_is_pushed(publish: Scanned) -> None:
    chart = one(ours(publish, "ci.build"), "helm package charts/podinfo")
    assert "on tag push *" in chart.text
    assert chart.text.endswith("pushed with helm push podinfo-${{ github.ref_name }}.tgz oci://ghcr.io/acme/charts")


def test_a_version_input_without_a_deploy_is_not_a_rollback(publish: Scanned) -> None:
    assert ours(publish, "deploy.rollback.perform") == []
    assert ours(publish, "ci.deploy.manual") == [] and ours(publish, "ci.deploy.automated") == []


# ---- broken inputs ----------------------------------------------------------------------------------------


def test_tabs_cost_their_line_only(broken: Scanned) -> None:
    [message] = diagnostics_for(broken.model, W + "tabs.yml")
    assert "line 8 skipped" in message
    assert [d.line for d in broken.model.diagnostics if d.path == W + "tabs.yml"] == [8]
    one(ours(broken, "ci.test.unit"), "go test in job test (tabs.yml)")


def test_unclosed_bracket_blanks_the_line_that_opened_it(broken: Scanned) -> None:
    diags = [d for d in broken.model.diagnostics if d.path == W + "bracket.yml"]
    assert [d.line for d in diags] == [5] and "reported at line 6" in diags[0].message
    one(ours(broken, "ci.test.unit"), "pytest in job test (bracket.yml)")


def test_unknown_tag_is_reported_and_ignored(broken: Scanned) -> None:
    [diag] = [d for d in broken.model.diagnostics if d.path == W + "tag.yml"]
    assert diag.line == 8 and "!reference" in diag.message
    one(ours(broken, "ci.test.unit"), "cargo test")


def test_call_graph_problems_are_diagnostics_with_lines(broken: Scanned) -> None:
    found = {(d.path, d.line): d.message for d in broken.model.diagnostics}
    assert "reusable workflow cycle" in found[(W + "cycle-b.yml", 7)]
    assert "not found in the repository" in found[(W + "cycle-a.yml", 10)]
    assert "remote reusable workflow acme/platform" in found[(W + "cycle-a.yml", 12)]
    assert "is not in the repository" in found[(W + "cycle-a.yml", 18)]
    assert "composite action cycle" in found[(".github/actions/loop/action.yml", 6)]
    # the composite action's own `npm test` is still described, once
    assert len([f for f in ours(broken, "ci.test.unit") if "npm test" in f.text]) == 1


def test_workflows_in_subdirectories_are_not_workflows(broken: Scanned) -> None:
    assert not any("helpers" in e.path for f in broken.model.facts for e in f.evidence)


def test_extract_never_raises_on_garbage() -> None:
    for text in ("", "- a\n- b\n", "on: push\njobs: [1, 2]\n", "\x00\x01", "on: {push: {branches: [ma"):
        result = DETECTOR.extract(SourceFile(W + "x.yml", text))
        assert all(d.path == W + "x.yml" for d in result.diagnostics)


# ---- data tables: every action entry and every command rule of ours has rows -------------------------

ACTION_ROWS: list[tuple[str, tuple[str, ...]]] = [
    # podinfo release.yml, umami cd.yml, aks-store-demo package-*.yaml
    ("docker/build-push-action@v5", ("build", "push")),
    # openstatus publish-checker.yml
    ("depot/build-push-action@v1", ("build", "push")),
    # langfuse pipeline.yml
    ("useblacksmith/build-push-action@fb9e3e6", ("build", "push")),
    ("docker/bake-action@v4", ("build", "push")),
    # prometheus-community/helm-charts release.yaml
    ("helm/chart-releaser-action@v1.7.0", ("build",)),
    # memos' release.yml, dashy's draft-release.yml, koel's release.yml
    ("softprops/action-gh-release@v2", ("build",)),
    ("ncipollo/release-action@v1", ("build",)),
    # netbox's release.yml: Test PyPI through trusted publishing
    ("pypa/gh-action-pypi-publish@release/v1", ("build",)),
    # release-drafter drafts notes, and on pull requests only labels them (paperless-ngx): no release said
    ("release-drafter/release-drafter@v6", ()),
    # traefik-helm-chart release.yaml
    ("stefanprodan/helm-gh-pages@v1.7.0", ("build",)),
    ("appany/helm-oci-chart-releaser@v0.5.0", ("build", "push")),
    # terraform-aws-modules/terraform-aws-eks release.yml
    ("cycjimmy/semantic-release-action@v5", ("build",)),
    # googleapis/release-please-action README; its former name
    ("googleapis/release-please-action@v4", ("build",)),
    ("google-github-actions/release-please-action@v3", ("build",)),
    # docker-jitsi-meet unstable.yml
    ("int128/docker-manifest-create-action@44422a4b046d55dc036df622039ed3aec43c613c", ("push",)),
    # umami cd-cloud.yml
    ("mr-smithers-excellent/docker-build-push@v6", ("build", "push")),
    ("elgohr/Publish-Docker-Github-Action@v5", ("build", "push")),
    ("redhat-actions/buildah-build@v2", ("build",)),
    ("redhat-actions/push-to-registry@v2", ("push",)),
    # podinfo release.yml
    ("goreleaser/goreleaser-action@v5", ("command",)),
    # peter-evans/repository-dispatch README: a dispatch to another repository
    ("peter-evans/repository-dispatch@v3", ("handoff",)),
    ("docker/metadata-action@v5", ("meta",)),
    ("docker/login-action@v3", ("login",)),
    # langfuse _deploy_ecs_service.yml
    ("aws-actions/amazon-ecr-login@v2", ("login",)),
    ("azure/docker-login@v1", ("login",)),
    # podinfo test.yml: setup-helm alone is not a deploy
    ("azure/setup-helm@v4", ("setup",)),
    ("azure/setup-kubectl@v4", ("setup",)),
    ("Azure/k8s-set-context@v4", ("setup",)),
    ("azure/aks-set-context@v4", ("setup",)),
    ("google-github-actions/get-gke-credentials@v2", ("setup",)),
    # blues-stack deploy.yml
    ("superfly/flyctl-actions/setup-flyctl@v1", ("setup",)),
    ("hashicorp/setup-terraform@v3", ("setup",)),
    ("opentofu/setup-opentofu@v1", ("setup",)),
    ("pulumi/setup-pulumi@v2", ("setup",)),
    ("aws-actions/amazon-ecs-render-task-definition@v1", ("setup",)),
    ("docker/setup-buildx-action@v3", ("setup",)),
    ("docker/setup-qemu-action@v3", ("setup",)),
    # podinfo e2e.yml
    ("helm/kind-action@v1.10.0", ("cluster",)),
    ("engineerd/setup-kind@v0.5.0", ("cluster",)),
    ("medyagh/setup-minikube@latest", ("cluster",)),
    ("manusa/actions-setup-minikube@v2", ("cluster",)),
    ("AbsaOSS/k3d-action@v2", ("cluster",)),
    ("nolar/setup-k3d-k3s@v1", ("cluster",)),
    # blues-stack deploy.yml
    ("cypress-io/github-action@v6", ("test",)),
    ("DevExpress/testcafe-action@latest", ("test",)),
    ("grafana/k6-action@v0.3.1", ("test",)),
    ("grafana/run-k6-action@v1", ("test",)),
    ("treosh/lighthouse-ci-action@v11", ("test",)),
    ("superfly/flyctl-actions@1.5", ("command",)),
    # formbricks deploy-formbricks-cloud.yml
    ("helmfile/helmfile-action@v2.0.4", ("command",)),
    # langfuse _deploy_ecs_service.yml
    ("aws-actions/amazon-ecs-deploy-task-definition@v2", ("deploy",)),
    ("aws-actions/aws-cloudformation-github-deploy@v1", ("deploy",)),
    ("google-github-actions/deploy-cloudrun@v2", ("deploy",)),
    ("google-github-actions/deploy-appengine@v2", ("deploy",)),
    ("google-github-actions/deploy-cloud-functions@v3", ("deploy",)),
    ("azure/webapps-deploy@v3", ("deploy",)),
    ("Azure/functions-action@v1", ("deploy",)),
    ("azure/container-apps-deploy-action@v2", ("deploy",)),
    ("Azure/static-web-apps-deploy@v1", ("deploy",)),
    ("azure/k8s-deploy@v5", ("deploy",)),
    ("akhileshns/heroku-deploy@v3.13.15", ("deploy",)),
    # dokku/github-action's README: a push to the app's Dokku remote
    ("dokku/github-action@v1.7.0", ("deploy",)),
    ("amondnet/vercel-action@v25", ("deploy",)),
    ("nwtgck/actions-netlify@v3", ("deploy",)),
    ("netlify/actions/cli@master", ("command",)),
    ("cloudflare/wrangler-action@v3", ("deploy",)),
    ("cloudflare/pages-action@v1", ("deploy",)),
    # healthchecks tests.yml: databases started in the runner for the tests
    ("ankane/setup-mariadb@v1", ("services",)),
    ("ankane/setup-postgres@v1", ("services",)),
    ("ankane/setup-mysql@v1", ("services",)),
    ("ankane/setup-mongodb@v1", ("services",)),
    ("ikalnytskyi/action-setup-postgres@v6", ("services",)),
    ("harmon758/postgresql-action@v1", ("services",)),
    ("mirromutth/mysql-action@v1.1", ("services",)),
    ("shogo82148/actions-setup-mysql@v1", ("services",)),
    ("supercharge/redis-github-action@1.8.0", ("services",)),
    ("supercharge/mongodb-github-action@1.11.0", ("services",)),
    # lago gh-page.yml, paperless-ngx ci-docs.yml, listmonk github-pages.yml
    ("actions/deploy-pages@v4", ("deploy",)),
    ("peaceiris/actions-gh-pages@v3", ("deploy",)),
    ("JamesIves/github-pages-deploy-action@v4", ("deploy",)),
    ("FirebaseExtended/action-hosting-deploy@v0", ("deploy",)),
    ("w9jds/firebase-action@master", ("command",)),
    ("johnbeynon/render-deploy-action@v0.0.8", ("deploy",)),
    ("deliverybot/helm@v1", ("deploy",)),
    ("bitovi/github-actions-deploy-eks-helm@v1.2.9", ("deploy",)),
    ("WyriHaximus/github-action-helm3@v3", ("command",)),
    ("actions-hub/kubectl@master", ("command",)),
    ("dflook/terraform-apply@v1", ("deploy",)),
    ("pulumi/actions@v5", ("command",)),
    ("appleboy/ssh-action@v1.0.3", ("remote-script",)),
    ("appleboy/scp-action@v0.1.7", ("deploy",)),
    ("easingthemes/ssh-deploy@v5", ("deploy",)),
    ("Jtalk/url-health-check-action@v4", ("verify",)),
    ("cygnetdigital/wait_for_response@v2.0.0", ("verify",)),
    # openstatus synthetic.yml
    ("openstatushq/openstatus-github-action@v1", ("verify",)),
    ("joshuaavalon/flyway-action@v3", ("migrate",)),
    ("liquibase-github-actions/update@v4.25.0", ("migrate",)),
    # blues-stack deploy.yml: reads the app name from fly.toml into a step output
    ("SebRollen/toml-action@v1.2.0", ("read",)),
    # langfuse .github/actions/notify-slack-failure/action.yml
    ("slackapi/slack-github-action@v3.0.3", ("alert",)),
    ("rtCamp/action-slack-notify@v2", ("alert",)),
    ("8398a7/action-slack@v3", ("alert",)),
    ("dawidd6/action-send-mail@v3", ("alert",)),
    ("sarisia/actions-status-discord@v1", ("alert",)),
    # negatives: plumbing is not in the table
    ("actions/checkout@v4", ()),
]


@pytest.mark.parametrize(("uses", "kinds"), ACTION_ROWS, ids=[u for u, _ in ACTION_ROWS])
def test_action_table_rows(uses: str, kinds: tuple[str, ...]) -> None:
    spec = knowledge().action(uses)
    assert (spec.kinds if spec else ()) == kinds


def test_every_action_entry_has_a_row() -> None:
    data = yaml.safe_load(resources.files("infrascan").joinpath("data/actions.yaml").read_bytes())
    rows = {knowledge().action(u).uses for u, kinds in ACTION_ROWS if kinds}  # type: ignore[union-attr]
    assert {entry["uses"].lower() for entry in data["actions"]} == rows


COMMAND_ROWS: list[tuple[str, str]] = [
    # ---- azd-up ---- Azure-Samples/aks-store-demo .github/workflows/test-e2e-reusable.yaml
    ("azd up --no-prompt", "deploy:azure"),
    # Azure-Samples/todo-nodejs-mongo .github/workflows/azure-dev.yml
    ("azd deploy --no-prompt", "deploy:azure"),
    # Azure-Samples/azure-search-openai-demo .github/workflows/azure-dev.yml
    ("azd up --no-prompt --environment $AZURE_ENV_NAME", "deploy:azure"),
    # Azure-Samples/contoso-chat .github/workflows/azure-dev.yaml
    ("azd deploy api --no-prompt", "deploy:azure"),
    # Azure-Samples/openai-chat-app-quickstart .github/workflows/azure-dev.yaml
    ('azd up --no-prompt -e "$AZURE_ENV_NAME"', "deploy:azure"),
    # Azure/azure-dev templates: `azd provision` alone creates infrastructure, `azd down` removes it
    ("azd provision --no-prompt", ""),
    ("azd down --force --purge", ""),
    # ---- deno-test ---- openstatusHQ/openstatus packages/*/package.json
    ("deno test --parallel -A --no-check --sloppy-imports", "test:deno@unit"),
    # openstatusHQ/openstatus packages/services/package.json
    ("NODE_ENV=test RESEND_API_KEY=test-key deno test --parallel -A", "test:deno@unit"),
    # denoland/fresh .github/workflows/ci.yml
    ("deno test -A", "test:deno@unit"),
    # denoland/deno_std .github/workflows/ci.yml
    ("deno test --doc --allow-all --coverage=./cov", "test:deno@unit"),
    # lumeland/lume .github/workflows/deno.yml: an integration directory is named so
    ("deno test -A tests/integration", "test:deno@integration"),
    # negatives: running a script or linting is not a test
    ("deno run -A src/migrate.mts", ""),
    ("deno lint", ""),
]


@pytest.mark.parametrize(("line", "expected"), COMMAND_ROWS, ids=[line[:40] for line, _ in COMMAND_ROWS])
def test_command_rows_of_70_github_actions(line: str, expected: str) -> None:
    labels = [f"{c.kind}:{c.tool}" + (f"@{c.level}" if c.level else "") for c in classify(line)]
    assert " ".join(labels) == expected


def test_every_rule_of_70_github_actions_has_five_rows() -> None:
    rules = yaml.safe_load(resources.files("infrascan").joinpath("data/commands/70-github-actions.yaml").read_bytes())
    for rule in rules:
        fired = [line for line, _ in COMMAND_ROWS for c in classify(line) if c.rule == rule["id"]]
        assert len(fired) >= 5, rule["id"]


def test_fixtures_name_the_public_file_they_model() -> None:
    folder = Path(__file__).parent.parent / "fixtures" / "github_actions"
    for path in folder.iterdir():
        if path.suffix in (".yml", ".yaml", ".sh"):
            head = path.read_text(encoding="utf-8")[:400]
            assert "Modelled on" in head or "calling each other" in head or "uses itself" in head, path.name


# ---- composite actions get the caller's inputs -----------------------------------------------------------


def test_composite_action_deploys_where_the_callers_input_says(tmp_path_factory: pytest.TempPathFactory) -> None:
    scanned = scan(
        tmp_path_factory,
        "composite",
        {
            W + "release.yml": fx("composite_caller.yml"),
            ".github/actions/fly-deploy/action.yml": fx("composite_deploy_action.yml"),
        },
    )
    automated = ours(scanned, "ci.deploy.automated")
    staging = one(automated, "External repository dispatch (deploy-staging): deploys to staging")
    assert "flyctl deploy --remote-only --app shop-staging" in staging.text
    assert (".github/actions/fly-deploy/action.yml", 16) in [(e.path, e.line) for e in staging.evidence]
    production = one(automated, "Release (published): deploys to production")
    assert "shop-production" in production.text and production.attrs["job"] == "production"


def test_status_checks_are_asked_with_what_became_of_the_needed_jobs(tmp_path_factory: pytest.TempPathFactory) -> None:
    # the code review's cases: `needs.x.result == 'success'` is false where x was skipped, and an
    # explicit success() is evaluated where it stands
    job = "    needs: release\n    if: {cond}\n    runs-on: ubuntu-latest\n    steps:\n      - run: {run}\n"
    scanned = scan(tmp_path_factory, "status", {W + "ci.yml": (
        "on:\n  push:\n    branches: [main]\n  pull_request:\njobs:\n  release:\n    if: github.event_name == 'push'\n"
        "    runs-on: ubuntu-latest\n    steps:\n      - run: echo release\n"
        "  smoke:\n" + job.format(cond="${{ !cancelled() && needs.release.result == 'success' }}",
                                  run="npx playwright test")
        + "  unit:\n" + job.format(cond="success() || github.event_name == 'pull_request'", run="npx vitest run"))})
    smoke = one(ours(scanned, "ci.test.e2e"), "Playwright")
    assert "push to main" in smoke.text and "pull requests" not in smoke.text
    unit = one(ours(scanned, "ci.test.unit"), "Vitest")
    assert "push to main and pull requests" in unit.text


def test_a_job_that_needs_an_undecided_one_carries_its_condition(tmp_path_factory: pytest.TempPathFactory) -> None:
    # the code review's case: build runs `if: needs.release.outputs.created`; the deploy that needs
    # build was said to run on every push to main
    scanned = scan(tmp_path_factory, "chain", {W + "cd.yml": (
        "on:\n  push:\n    branches: [main]\njobs:\n  release:\n    runs-on: ubuntu-latest\n"
        "    outputs:\n      created: ${{ steps.r.outputs.created }}\n    steps:\n      - id: r\n        run: echo\n"
        "  build:\n    needs: release\n    if: needs.release.outputs.created\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: docker build -t ghcr.io/acme/web:1 .\n"
        "  deploy:\n    needs: build\n    runs-on: ubuntu-latest\n    environment: production\n"
        "    steps:\n      - run: helm upgrade --install web ./chart\n"
        # an explicit success() waits on the needed jobs just the same
        "  preview:\n    needs: build\n    if: success()\n    runs-on: ubuntu-latest\n    environment: staging\n"
        "    steps:\n      - run: helm upgrade --install web-preview ./chart\n")})
    deploy = one(ours(scanned, "ci.deploy.automated"), "production")
    assert deploy.text.startswith("Push to main, if needs.release.outputs.created: deploys to production")
    preview = one(ours(scanned, "ci.deploy.automated"), "staging")
    assert preview.text.startswith("Push to main, if needs.release.outputs.created: deploys to staging")


def test_an_undecided_condition_no_code_span_holds_is_said_so(tmp_path_factory: pytest.TempPathFactory) -> None:
    # the code review's case: `||` and nothing to look up printed an escaped, "…"-cut condition
    scanned = scan(tmp_path_factory, "pipes", {W + "cd.yml": (
        "on:\n  push:\n    branches: [main]\njobs:\n  deploy:\n"
        "    if: hashFiles('go.sum') != '' || hashFiles('go.mod') != ''\n    runs-on: ubuntu-latest\n"
        "    environment: production\n    steps:\n      - run: helm upgrade --install web ./chart\n")})
    deploy = one(ours(scanned, "ci.deploy.automated"), "production")
    assert deploy.text.startswith("Push to main, under a condition the scan cannot decide: deploys")
    assert (".github/workflows/cd.yml", 6) in [(e.path, e.line) for e in deploy.evidence]


def test_the_repository_root_action_runs_for_uses_dot_slash(tmp_path_factory: pytest.TempPathFactory) -> None:
    # getsentry/self-hosted: `uses: ./` is the action.yaml at the root, which runs the tests
    scanned = scan(tmp_path_factory, "root-action", {
        W + "test.yml": "on: [pull_request]\njobs:\n  e2e:\n    runs-on: ubuntu-latest\n    steps:\n"
                        "      - uses: actions/checkout@v4\n      - uses: ./\n",
        "action.yaml": "name: e2e\nruns:\n  using: composite\n  steps:\n    - shell: bash\n"
                       "      run: pytest -x _integration-test/\n",
    })
    tests = one(ours(scanned, "ci.test.e2e"), "pytest in job e2e")
    assert ("action.yaml", 6) in [(e.path, e.line) for e in tests.evidence]
    assert not scanned.model.diagnostics


def test_commands_of_a_folded_run_cite_their_own_lines(tmp_path_factory: pytest.TempPathFactory) -> None:
    # `run: >` joins its lines with spaces: every command cited the first line of the block
    scanned = scan(tmp_path_factory, "folded", {W + "deploy.yml": (
        "on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    environment: production\n    steps:\n"
        "      - run: >\n          gcloud container clusters get-credentials prod;\n"
        "          helm upgrade --install web ./chart\n")})
    [step] = [f for f in ours(scanned, "deploy.steps") if "helm upgrade" in f.text]
    assert [e.line for e in step.evidence] == [9]


def test_one_step_s_checks_of_many_objects_are_one_statement(tmp_path_factory: pytest.TempPathFactory) -> None:
    # microservices-demo: twelve `kubectl wait ... deployment/x` lines made twelve deploy steps,
    # twelve health signals and twelve rollback checks, per workflow
    waits = "".join(f"          kubectl wait --for=condition=available --timeout=1000s deployment/{name}\n"
                    for name in ("adservice", "cartservice", "checkoutservice", "frontend"))
    scanned = scan(tmp_path_factory, "waits", {W + "deploy.yml": (
        "on:\n  push:\n    branches: [main]\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    environment: staging\n"
        "    steps:\n      - run: skaffold run --default-repo=gcr.io/acme\n"
        "      - name: Wait For Pods\n        run: |\n" + waits)})
    [step] = [f for f in ours(scanned, "deploy.steps") if "kubectl wait" in f.text]
    assert step.text.startswith("staging: verify with kubectl wait --for=condition=available --timeout=1000s on "
                                "deployment/adservice, deployment/cartservice, deployment/checkoutservice and 1 more")
    assert [e.line for e in step.evidence] == [12, 13, 14, 15]
    [verify] = [f for f in ours(scanned, "deploy.rollback.verify") if "kubectl wait" in f.text]
    assert "and 1 more after the deploy in job deploy" in verify.text


def test_tests_the_team_calls_unit_tests_stay_unit_beside_a_database(tmp_path_factory: pytest.TempPathFactory) -> None:
    # saleor: "Run unit tests" with a Postgres service was filed under integration tests
    job = ("    runs-on: ubuntu-latest\n    services:\n      postgres:\n        image: postgres:16\n"
           "    steps:\n      - name: {name}\n        run: pytest\n")
    scanned = scan(tmp_path_factory, "unit-named", {W + "ci.yml": (
        "on: [pull_request]\njobs:\n  unit_tests:\n" + job.format(name="Run unit tests")
        + "  api:\n" + job.format(name="Run tests"))})
    assert one(ours(scanned, "ci.test.unit"), "pytest in job unit_tests")
    assert one(ours(scanned, "ci.test.integration"), "pytest in job api")
    # grafana/oncall's `unit-test-backend-mysql-rabbitmq`: the integration gap, which says it looked
    # for tests with database services, names the job and why it is not there
    hint = one(ours(scanned, "ci.test.integration"), "pytest in job unit_tests")
    assert hint.confidence is Confidence.HINT
    assert hint.text == ("pytest in job unit_tests (ci.yml) runs with services PostgreSQL 16 (postgres:16); the "
                         "pipeline names them unit tests, and infrascan counts them so")


def test_checks_after_the_deploy_workflow_verify_it(envs: Scanned) -> None:
    verify = one(ours(envs, "deploy.rollback.verify"), "openstatushq/openstatus-github-action")
    assert verify.text.endswith("after workflow Deploy completes (on main)")  # success and failure alike
    assert verify.confidence is Confidence.INFERRED


def test_deploy_inside_a_command_substitution(envs: Scanned) -> None:
    deploy = one(ours(envs, "ci.deploy.automated"), "vercel deploy web/storybook-static")
    # the environment is read from the workflow's name ("Storybook preview"): inferred, as the tier
    assert deploy.text.startswith("Push to main: deploys to preview with Vercel")
    assert deploy.confidence is Confidence.INFERRED


def test_continuous_integration_is_not_a_test_level(monorepo: Scanned) -> None:
    one(ours(monorepo, "ci.test.unit"), "go test in job ci (test.yml)")
    assert not any("job ci " in f.text for f in ours(monorepo, "ci.test.integration"))


def test_compose_containers_before_tests_make_them_integration_tests(monorepo: Scanned) -> None:
    web = one(ours(monorepo, "ci.test.integration"), "job tests-web")
    assert "containers started by docker compose -f docker-compose.dev.yml up -d --wait" in web.text
    assert "/tmp/compose-up.log" not in web.text  # redirections are not part of the command shown
    # the step that starts them is cited (documenso's E2E line cited only the job for it)
    assert (W + "test.yml", 54) in [(e.path, e.line) for e in web.evidence]


def test_matrix_images_and_buildx_outputs(publish: Scanned) -> None:
    builds = ours(publish, "ci.build")
    matrix = one(builds, "job build-and-push")
    assert "one image per matrix entry: apps/checker/Dockerfile, apps/server/Dockerfile" in matrix.text
    digest = one(builds, "ghcr.io/acme/web")
    assert digest.text.endswith("pushed to GitHub Container Registry")


def test_environments_that_only_hold_secrets_get_no_protection_hint(promote: Scanned) -> None:
    hints = [f.attrs["environment"] for f in ours(promote, "ci.deploy.manual") if f.confidence is Confidence.HINT]
    assert hints == ["protected branches"]


def test_helmfile_action_is_a_helm_deploy(tmp_path_factory: pytest.TempPathFactory) -> None:
    # formbricks .github/workflows/deploy-formbricks-cloud.yml: a dispatch with an environment choice,
    # one helmfile-action step per environment.
    workflow = (
        "on:\n  workflow_dispatch:\n    inputs:\n      ENVIRONMENT:\n        type: choice\n"
        "        options: [staging, production]\n"
        "jobs:\n  helmfile-deploy:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - uses: helmfile/helmfile-action@v2.0.4\n"
        "        if: inputs.ENVIRONMENT == 'production'\n"
        "        with:\n          helmfile-args: apply -l environment=prod\n"
    )
    scanned = scan(tmp_path_factory, "helmfile", {W + "deploy.yml": workflow})
    manual = one(ours(scanned, "ci.deploy.manual"), "workflow_dispatch of deploy.yml")
    assert "helmfile apply" in manual.text and "production" in manual.text


def test_the_azure_developer_clis_workflow_name_names_no_environment(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    # Azure-Samples/todo-nodejs-mongo .github/workflows/azure-dev.yml; a `deploy-dev.yml` still names dev
    scanned = scan(tmp_path_factory, "azd-workflow", {
        W + "azure-dev.yml": "on:\n  push:\n    branches: [main]\njobs:\n  build:\n    runs-on: ubuntu-latest\n"
                             "    steps:\n      - run: azd deploy --no-prompt\n",
        W + "deploy-dev.yml": "on:\n  push:\n    branches: [develop]\njobs:\n  ship:\n    runs-on: ubuntu-latest\n"
                              "    steps:\n      - run: azd deploy --no-prompt\n",
    })
    deploys = {f.attrs["job"]: f.text for f in ours(scanned, "ci.deploy.automated")}
    assert "the target environment is not named" in deploys["build"], deploys
    assert "to development" in deploys["ship"], deploys


def test_a_deploy_of_the_documentation_says_so(tmp_path_factory: pytest.TempPathFactory) -> None:
    # hedgedoc docs-netlify-deploy.yml (only docs/** triggers it); Tandoor's docs.yml (mkdocs gh-deploy)
    scanned = scan(tmp_path_factory, "docs-deploys", {
        W + "docs-netlify.yml": (
            "on:\n  push:\n    branches: [develop]\n    paths: ['docs/**']\njobs:\n  deploy:\n"
            "    runs-on: ubuntu-latest\n    steps:\n      - run: npx netlify-cli deploy --prod\n"),
        W + "docs.yml": (
            "on:\n  push:\n    branches: [master]\njobs:\n  pages:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - run: mkdocs gh-deploy --force\n"),
        W + "app.yml": (
            "on:\n  push:\n    branches: [main]\n    paths: ['src/**', 'docs/**']\njobs:\n  app:\n"
            "    runs-on: ubuntu-latest\n    steps:\n      - run: npx netlify-cli deploy --prod\n"),
    })
    deploys = {f.attrs["job"]: f.text for f in ours(scanned, "ci.deploy.automated")}
    assert ": deploys the documentation site to production with Netlify" in deploys["deploy"], deploys
    assert ": deploys the documentation site with mkdocs" in deploys["pages"], deploys
    assert "documentation" not in deploys["app"], deploys
    steps = {f.attrs["job"]: f.text for f in ours(scanned, "deploy.steps")}
    assert "deploy the documentation site with Netlify" in steps["deploy"], steps
    assert "documentation" not in steps["app"], steps


def test_pages_published_to_another_repository_are_files_not_a_deploy(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    # shlinkio/shlink .github/workflows/publish-openapi-spec.yml: the spec goes to another repository
    scanned = scan(tmp_path_factory, "pages-elsewhere", {
        W + "publish.yml": (
            "on:\n  push:\n    tags: ['v*']\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: JamesIves/github-pages-deploy-action@v4\n        with:\n"
            "          repository-name: 'shlinkio/shlink-open-api-specs'\n          branch: main\n"
            "          folder: specs\n"
        ),
        W + "docs.yml": (
            "on:\n  push:\n    branches: [main]\njobs:\n  docs:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: peaceiris/actions-gh-pages@v4\n        with:\n          publish_dir: ./site\n"
        ),
    })
    [published] = ours(scanned, "ci.build")
    assert published.text.startswith(
        "Files published to repository shlinkio/shlink-open-api-specs with JamesIves/github-pages-deploy-action")
    [deploy] = ours(scanned, "ci.deploy.automated")
    assert "peaceiris/actions-gh-pages" in deploy.text and "docs.yml" in deploy.text
    # a user or organisation site's repository is the site's own deploy (code review)
    user_site = scan(tmp_path_factory, "pages-user-site", {W + "gh-pages.yml": (
        "on:\n  push:\n    branches: [main]\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: peaceiris/actions-gh-pages@v4\n        with:\n"
        "          external_repository: acme/acme.github.io\n          publish_dir: ./public\n")})
    assert ours(user_site, "ci.deploy.automated") and not ours(user_site, "ci.build")


@pytest.mark.parametrize("every", ["'**'", "'*'"])
def test_ignoring_every_tag_means_no_tag_trigger(tmp_path_factory: pytest.TempPathFactory, every: str) -> None:
    # laravel-api-template .github/workflows/run-tests.yml: every branch, never a tag (`**`);
    # stefanprodan/flux2-kustomize-helm-example .github/workflows/e2e.yaml writes it with `*`.
    workflow = (
        f"on:\n  push:\n    branches:\n      - {every}\n    tags-ignore:\n      - {every}\n"
        "jobs:\n  run-tests:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - run: php artisan test --parallel\n"
    )
    name = "tags-ignore-" + str(len(every))
    scanned = scan(tmp_path_factory, name, {W + "run-tests.yml": workflow})
    unit = one(ours(scanned, "ci.test.unit"), "php artisan test")
    assert "push to" in unit.text and "tag" not in unit.text, unit.text



def test_ignoring_branches_named_star_keeps_the_branches_with_a_slash(tmp_path_factory: pytest.TempPathFactory) -> None:
    # `*` matches no `/` (code review): `branches-ignore: ['*']` still runs on `feature/x` pushes
    scanned = scan(tmp_path_factory, "branches-star", {W + "t.yml": (
        "on:\n  push:\n    branches-ignore: ['*']\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: go test ./...\n")})
    [unit] = ours(scanned, "ci.test.unit")
    assert "push to branches except *" in unit.text, unit.text


def test_image_names_never_split_inside_an_expression() -> None:
    from infrascan.detectors.github_actions import _image_names

    # formbricks .github/actions/build-and-push-docker/action.yml: one conditional expression
    # choosing between registries, with commas inside format(); it names no image to write down.
    tags = ("${{ inputs.registry_type == 'ecr' && steps.ecr-tags.outputs.tags || (inputs.registry_type == 'ghcr' "
            "&& format('ghcr.io/{0}:{1}', inputs.ghcr_image_name, steps.version.outputs.version)) }}")
    assert _image_names(tags) == []
    assert _image_names("ghcr.io/acme/api:${{ github.sha }},ghcr.io/acme/api:latest") == [
        "ghcr.io/acme/api:${{ github.sha }}", "ghcr.io/acme/api:latest"]
    assert _image_names("${{ format('ghcr.io/{0}:{1}', github.repository, github.sha) }}\nacme/api:1") == [
        "${{ format('ghcr.io/{0}:{1}', github.repository, github.sha) }}", "acme/api:1"]


# Modelled on aws-containers/retail-store-sample-app: one `nx affected` line runs each project's
# project.json targets; `nx execute e2e` runs a target Nx infers from the project's package.json.
_NX_WORKFLOW = """name: PR
on:
  pull_request:
    branches: [main]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: yarn nx affected --targets=lint,test:integration,test --base origin/main
  e2e:
    runs-on: ubuntu-latest
    steps:
      - run: CYPRESS_BASE_URL='http://localhost:8888' yarn nx execute e2e
"""
_NX_FILES = {
    ".github/workflows/pr.yaml": _NX_WORKFLOW,
    "src/catalog/project.json": (
        '{\n  "name": "catalog",\n  "targets": {\n    "test": {\n      "executor": "nx:run-commands",\n'
        '      "options": { "command": "exit 0" }\n    },\n    "test:integration": {\n'
        '      "executor": "nx:run-commands",\n      "options": { "command": "go test -v ./test/..." }\n    }\n  }\n}\n'
    ),
    "src/cart/project.json": (
        '{\n  "name": "cart",\n  "targets": {\n    "test": {\n      "executor": "nx:run-commands",\n'
        '      "options": { "command": "./mvnw test -DexcludedGroups=integration" }\n    },\n'
        '    "lint": { "executor": "nx:run-commands", "options": { "command": "./mvnw checkstyle:checkstyle" } }\n'
        '  }\n}\n'
    ),
    "src/checkout/project.json": ('{\n  "name": "checkout",\n  "targets": {\n    "test": { "dependsOn": ["build"] },\n'
                                  '    "test:integration": { "dependsOn": ["test"] }\n  }\n}\n'),
    "src/checkout/package.json": ('{\n  "name": "checkout",\n  "scripts": {\n    "test": "exit 0",\n'
                                  '    "test:integration": "jest --config ./test/jest-e2e.json"\n  }\n}\n'),
    "src/e2e/project.json": ('{\n  "name": "e2e",\n  "targets": {\n    "execute": { "dependsOn": ["install"] }\n'
                             '  }\n}\n'),
    "src/e2e/package.json": '{\n  "name": "e2e",\n  "scripts": {\n    "execute": "cypress run"\n  }\n}\n',
}


def test_nx_targets_are_followed_and_named_by_their_own_target(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, _NX_FILES)
    unit = one(ours(scanned, "ci.test.unit"), "Maven")
    assert "./mvnw test -DexcludedGroups=integration" in unit.text
    assert ("src/cart/project.json", 6) in [(e.path, e.line) for e in unit.evidence]
    integration = one(ours(scanned, "ci.test.integration"), "go test")
    assert "go test -v ./test/..." in integration.text  # level from its target, `test:integration`
    assert ("src/catalog/project.json", 10) in [(e.path, e.line) for e in integration.evidence]
    e2e = one(ours(scanned, "ci.test.e2e"), "Cypress")
    assert ("src/e2e/package.json", 4) in [(e.path, e.line) for e in e2e.evidence]
    # checkout's `test:integration` runs NestJS's `test/jest-e2e.json`: the team's target name says
    # the level, not the config file's name
    jest = one(ours(scanned, "ci.test.integration"), "Jest")
    assert "jest --config ./test/jest-e2e.json" in jest.text
    assert not any("Jest" in f.text for f in ours(scanned, "ci.test.e2e"))
    # `"test": "exit 0"` (a placeholder so the target passes) is no test, by name or otherwise
    assert len(ours(scanned, "ci.test.unit")) == 1 and len(ours(scanned, "ci.test.integration")) == 2


def test_nx_plugin_targets_build_each_project_with_a_dockerfile(tmp_path: Path) -> None:
    # retail-store-sample-app's release: `nx run-many -t container`, a target no project.json writes,
    # which nx.json's @nx-tools/nx-container plugin gives every project holding a Dockerfile.
    release = ("on:\n  push:\n    branches: [main]\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
               "      - run: yarn nx run-many -t container --projects=tag:service --tags acme/{projectName}:1\n")
    files = {
        ".github/workflows/release.yaml": release,
        "nx.json": '{\n  "plugins": [\n    { "plugin": "@nx-tools/nx-container" },\n    "@nx-go/nx-go"\n  ]\n}\n',
        "src/cart/project.json": _NX_FILES["src/cart/project.json"].replace('"name": "cart",',
                                                                           '"name": "cart",\n  "tags": ["service"],'),
        "src/cart/Dockerfile": "FROM eclipse-temurin:21-jre\nCMD java -jar app.jar\n",
        "src/catalog/project.json": _NX_FILES["src/catalog/project.json"],  # no Dockerfile: no target
        "src/tools/project.json": ('{\n  "name": "tools",\n  "targets": {\n    "lint": { "command": "eslint ." }\n'
                                   '  }\n}\n'),
        "src/tools/Dockerfile": "FROM node:22\n",  # not tagged `service`: not built by this command
    }
    scanned = scan_tree(tmp_path, files)
    build = one(ours(scanned, "ci.build"), "nx run-many -t container")
    assert "→ docker build ." in build.text
    assert ("src/cart/Dockerfile", 1) in [(e.path, e.line) for e in build.evidence]
    assert not any(e.path.startswith(("src/catalog/", "src/tools/")) for e in build.evidence)
    # retail-store's pull-request job: `--exclude='*,!tag:container'` keeps only projects tagged
    # `container`, and none is: it builds nothing
    files[".github/workflows/release.yaml"] = release.replace(
        "run-many -t container --projects=tag:service", "affected --targets=container --exclude='*,!tag:container'")
    (tmp_path / "again").mkdir()
    assert not ours(scan_tree(tmp_path / "again", files), "ci.build")


def test_notify_steps_are_alert_channels_on_the_failure_path(tmp_path_factory: pytest.TempPathFactory) -> None:
    scanned = scan(
        tmp_path_factory,
        "notify",
        {
            W + "deploy.yml": fx("notify_deploy.yml"),
            ".github/actions/notify-failure/action.yml": fx("notify_action.yml"),
        },
    )
    channels = ours(scanned, "alert.channels")
    assert sorted(f.text for f in channels) == [
        "Slack notification from the pipeline (job notify-slack-on-failure, deploy.yml,"
        " through local action notify-failure, if failure())",
        "e-mail notification from the pipeline (job mail, deploy.yml, if always())",
    ]
    assert {f.confidence for f in channels} == {Confidence.HINT}
    slack = one(channels, "Slack")
    assert [(e.path, e.line) for e in slack.evidence] == [(W + "deploy.yml", 20)]
    # langfuse pipeline.yml: an `||` condition, which no code span holds, printed half escaped
    either = fx("notify_deploy.yml").replace("if: failure()", "if: failure() && (github.ref == 'refs/heads/main' "
                                                               "|| startsWith(github.ref, 'refs/tags/'))")
    assert either != fx("notify_deploy.yml")
    scanned = scan(tmp_path_factory, "notify-or", {
        W + "deploy.yml": either, ".github/actions/notify-failure/action.yml": fx("notify_action.yml")})
    slack = one(ours(scanned, "alert.channels"), "Slack")
    assert slack.text.endswith("through local action notify-failure, if failure() and a condition on github.ref)")
    assert "|" not in slack.text
    # a comparison is no shell redirection: `> 1` stays
    retried = fx("notify_deploy.yml").replace("if: failure()", "if: github.run_attempt > 1")
    scanned = scan(tmp_path_factory, "notify-gt", {
        W + "deploy.yml": retried, ".github/actions/notify-failure/action.yml": fx("notify_action.yml")})
    assert one(ours(scanned, "alert.channels"), "Slack").text.endswith("if github.run_attempt > 1)")


def test_a_deploy_s_config_flag_is_read_from_the_step_s_working_directory(tmp_path: Path) -> None:
    # `--config ../fly.staging.toml` run in deploy/: the configuration at the top, `..` resolved
    workflow = (
        "on: [push]\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    environment: staging\n"
        "    defaults:\n      run:\n        working-directory: deploy\n    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - run: flyctl deploy --config ../fly.staging.toml --app shop-staging --remote-only\n"
    )
    files = {W + "deploy.yml": workflow, "fly.staging.toml": FLY_TOML.replace("blues-stack-template", "shop"),
             "deploy/README.md": "deploy from here\n"}
    scanned = scan_tree(tmp_path, files)
    assert "https://shop-staging.fly.dev" in {f.attrs.get("url") for f in facts_for(scanned.model, "env.url")}


def test_a_script_path_is_resolved_from_the_step_s_working_directory() -> None:
    # a working directory that starts with a dot keeps it (`.ops`, not `ops`); `/x` is from the top
    assert Expander._script_path("./deploy.sh", ".ops/scripts") == ".ops/scripts/deploy.sh"
    assert Expander._script_path("../bin/release.sh", "./app") == "bin/release.sh"
    assert Expander._script_path("/tools/run.sh", "app") == "tools/run.sh"


# modelled on formbricks' cloud deploy: one job, a step per environment gated by the dispatch input
PER_ENV_STEPS = """name: Cloud deploy
on:
  workflow_dispatch:
    inputs:
      TARGET:
        type: choice
        required: true
        options: [staging, production]
jobs:
  ship:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Deploy production
        if: inputs.TARGET == 'production'
        run: helmfile apply -l tier=prod
      - name: Deploy staging
        if: inputs.TARGET == 'staging'
        run: helmfile apply -l tier=stage
"""


def test_manual_deploy_names_each_environments_own_command(tmp_path_factory: pytest.TempPathFactory) -> None:
    scanned = scan(tmp_path_factory, "per-env-steps", {W + "cloud.yml": PER_ENV_STEPS})
    manual = one(ours(scanned, "ci.deploy.manual"), "workflow_dispatch of cloud.yml")
    # not "to staging, production with `helmfile apply -l tier=prod`": staging runs its own command
    assert "to deploy to staging with Helm helmfile apply -l tier=stage and production with Helm " \
           "helmfile apply -l tier=prod" in manual.text
    assert {e.line for e in manual.evidence} >= {16, 19}  # both run: lines


def test_turbo_build_names_every_workspace_command(tmp_path_factory: pytest.TempPathFactory) -> None:
    scanned = scan(tmp_path_factory, "turbo-build", {
        W + "warm.yml": "on: push\njobs:\n  warm:\n    runs-on: ubuntu-latest\n    steps:\n"
                        "      - run: pnpm turbo run build:test\n",
        "package.json": '{"name": "root", "private": true}\n',
        "pnpm-workspace.yaml": "packages:\n  - web\n  - worker\n  - runtime\n",
        "runtime/package.json": '{\n  "name": "runtime",\n  "scripts": {\n    "build:test": "tsc"\n  }\n}\n',
        "web/package.json": '{\n  "name": "web",\n  "scripts": {\n    "build:test": "next build"\n  }\n}\n',
        "worker/package.json": '{\n  "name": "worker",\n  "scripts": {\n    "build:test": "tsc"\n  }\n}\n',
    })
    build = one(ours(scanned, "ci.build"), "turbo run build:test")
    # not "→ tsc" alone, citing web's `next build` as if it were tsc
    assert build.text.startswith("pnpm turbo run build:test → tsc, next build in job warm")
    assert {(e.path, e.line) for e in build.evidence} >= {("runtime/package.json", 4), ("web/package.json", 4)}


def test_a_filter_after_a_script_narrows_the_turbo_run_it_reaches(tmp_path_factory: pytest.TempPathFactory) -> None:
    # hedgedoc e2e-tests.yml: `yarn test:e2e:ci --filter=@hedgedoc/backend` runs the root script
    # `dotenv -c test -- turbo run test:e2e:ci` with the filter: the backend's Jest, not the frontend's Cypress
    scanned = scan(tmp_path_factory, "turbo-filter", {
        W + "e2e.yml": "on: push\njobs:\n  backend:\n    runs-on: ubuntu-latest\n    steps:\n"
                       "      - run: yarn test:e2e:ci --filter=@hedgedoc/backend\n",
        "package.json": '{"name": "root", "scripts": {"test:e2e:ci": "dotenv -c test -- turbo run test:e2e:ci"}}\n',
        "backend/package.json": '{"name": "@hedgedoc/backend", "scripts": {"test:e2e:ci": "jest --config e2e.json"}}\n',
        "frontend/package.json": '{"name": "@hedgedoc/frontend", "scripts": {"test:e2e:ci": "cypress run"}}\n',
    })
    e2e = [f.text for f in ours(scanned, "ci.test.e2e") + ours(scanned, "ci.test.unit")]
    assert e2e and not any("cypress" in t.lower() for t in e2e), e2e
    assert any("jest --config e2e.json" in t for t in e2e), e2e


def test_a_service_image_named_by_the_matrix_is_read_as_its_value(tmp_path_factory: pytest.TempPathFactory) -> None:
    # koel/koel test-backend-mariadb.yml: `image: mariadb:${{ matrix.mariadb-version }}` over one version
    scanned = scan(tmp_path_factory, "matrix-service", {W + "test.yml": (
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n"
        "        mariadb-version: ['11.7']\n    services:\n      mariadb:\n"
        "        image: mariadb:${{ matrix.mariadb-version }}\n    steps:\n      - run: vendor/bin/phpunit\n"
    )})
    [tests] = ours(scanned, "ci.test.integration")
    assert "services: MariaDB 11.7 (mariadb:11.7)" in tests.text, tests.text


def test_a_build_step_chosen_by_a_dispatch_input_names_it(tmp_path_factory: pytest.TempPathFactory) -> None:
    # getredash/redash preview-image.yml: the preview image on tag pushes and every dispatch (a push
    # carries no workflow_run, so `!github.event.workflow_run` holds), the release image only when
    # the dispatch picks `dockerRepository: redash`
    scanned = scan(tmp_path_factory, "dispatch-input", {W + "preview-image.yml": (
        "on:\n  push:\n    tags: ['*-dev']\n  workflow_dispatch:\n    inputs:\n      dockerRepository:\n"
        "        type: choice\n        default: preview\n        options: [preview, redash]\n"
        "jobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: docker/build-push-action@v6\n"
        "        if: ${{ github.event.inputs.dockerRepository == 'preview' || !github.event.workflow_run }}\n"
        "        with:\n          tags: acme/redash:preview\n          push: true\n"
        "      - uses: docker/build-push-action@v6\n"
        "        if: ${{ github.event.inputs.dockerRepository == 'redash' }}\n"
        "        with:\n          tags: acme/redash:release\n          push: true\n"
    )})
    preview = one(ours(scanned, "ci.build"), "acme/redash:preview")
    assert "on tag push *-dev and manual dispatch;" in preview.text and "depending on" not in preview.text
    assert "input" not in preview.text  # built whatever the input says
    release = one(ours(scanned, "ci.build"), "acme/redash:release")
    assert "on manual dispatch (input dockerRepository = redash)" in release.text


def test_npm_keeps_its_own_options_and_yarn_passes_them(tmp_path_factory: pytest.TempPathFactory) -> None:
    # npm's run-script: options before `--` are npm's (code review: `npm run deploy --prod`)
    scanned = scan(tmp_path_factory, "npm-options", {
        W + "ci.yml": "on: push\njobs:\n  ci:\n    runs-on: ubuntu-latest\n    steps:\n"
                      "      - run: npm run deploy --prod\n      - run: yarn test --coverage\n",
        "package.json": '{"scripts": {"deploy": "vercel deploy", "test": "vitest"}}\n',
    })
    [deploy] = ours(scanned, "ci.deploy.automated")
    assert "→ vercel deploy (" in deploy.text and "production" not in deploy.text, deploy.text
    [unit] = ours(scanned, "ci.test.unit")
    assert "→ vitest --coverage" in unit.text, unit.text
    # after a variable assignment, and an option's value (second code review)
    assigned = scan(tmp_path_factory, "npm-options-env", {
        W + "ci.yml": "on: push\njobs:\n  ci:\n    runs-on: ubuntu-latest\n    steps:\n"
                      "      - run: VERCEL_ORG_ID=x npm run deploy --prod\n      - run: npm test --workspace web\n",
        "package.json": '{"scripts": {"deploy": "vercel deploy", "test": "vitest"}}\n',
    })
    [deploy] = ours(assigned, "ci.deploy.automated")
    assert "production" not in deploy.text, deploy.text
    [unit] = ours(assigned, "ci.test.unit")
    assert "→ vitest (" in unit.text or unit.text.rstrip().endswith("→ vitest"), unit.text


def test_arguments_passed_to_a_script_keep_their_expressions(tmp_path_factory: pytest.TempPathFactory) -> None:
    # outline ci.yml: `yarn test:server --maxWorkers=2 --shard=${{ matrix.shard }}/4`
    scanned = scan(tmp_path_factory, "script-args", {
        W + "ci.yml": "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n"
                      "        shard: [1, 2]\n    steps:\n"
                      "      - run: yarn test:server --shard=${{ matrix.shard }}/2\n",
        "package.json": '{"scripts": {"test:server": "vitest run --project server"}}\n',
    })
    [unit] = ours(scanned, "ci.test.unit")
    assert "vitest run --project server --shard=${{ matrix.shard }}/2" in unit.text, unit.text


def test_throwaway_cluster_job_cites_its_own_deploy_not_a_remote_manifest(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    # Modelled on podinfo's test/e2e.sh: cert-manager applied from a URL, then the chart under test.
    script = ("#!/bin/sh\nset -e\nkind load docker-image test/app:latest\n"
              "kubectl apply -f https://example.org/releases/cert-manager.yaml\n"
              "helm upgrade --install --wait app ./charts/app\nhelm test app\n")
    workflow = ("on: pull_request\njobs:\n  kind-helm:\n    runs-on: ubuntu-latest\n    steps:\n"
                "      - uses: helm/kind-action@v1\n      - run: ./test/e2e.sh\n")
    chart = "apiVersion: v2\nname: app\nversion: 1.0.0\n"
    scanned = scan(tmp_path_factory, "kind-remote", {W + "e2e.yml": workflow, "test/e2e.sh": script,
                                                      "charts/app/Chart.yaml": chart})
    e2e = one(ours(scanned, "ci.test.e2e"), "throwaway kind cluster")
    assert ("test/e2e.sh", 5) in [(e.path, e.line) for e in e2e.evidence]
    assert ("test/e2e.sh", 4) not in [(e.path, e.line) for e in e2e.evidence]


def test_a_versioned_manual_deploy_that_is_the_only_deploy_gives_the_steps(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    # Modelled on formbricks' cloud deploy: dispatched with the VERSION to release, and no other
    # deploy. It is the rollback (redeploy an earlier version) and also the deployment's steps.
    workflow = ("on:\n  workflow_dispatch:\n    inputs:\n      VERSION:\n        required: true\n"
                "jobs:\n  deploy:\n    runs-on: ubuntu-latest\n    environment: production\n    steps:\n"
                "      - run: helm upgrade --install app ./chart --set image.tag=${{ inputs.VERSION }}\n")
    scanned = scan(tmp_path_factory, "versioned-only", {W + "deploy.yml": workflow})
    assert one(ours(scanned, "deploy.rollback.perform"), "Redeploy an earlier version")
    step = one(ours(scanned, "deploy.steps"), "helm upgrade --install app ./chart")
    assert step.text.startswith("production: deploy with Helm")


@pytest.mark.parametrize(
    ("cron", "phrase"),
    [
        ("0 3 * * *", "nightly"),
        ("0 12 * * *", "daily"),
        ("0 0 * * 0", "weekly"),
        ("0 6 * * MON", "weekly"),
        ("30 2 * * 1-5", "every weekday"),  # loki's logql-correctness, once called "weekly"
        ("0 6 * * 1,3,5", "schedule"),
        ("*/15 3 * * 1", "schedule"),
        ("0 0 1 * *", "schedule"),
    ],
)
def test_cron_phrases_say_how_often(cron: str, phrase: str) -> None:
    from infrascan.detectors.github_actions import _cron_phrase

    assert _cron_phrase(cron) == phrase


def test_expressions_are_shown_as_written_never_as_the_placeholder(tmp_path_factory: pytest.TempPathFactory) -> None:
    # Modelled on loki's logql-bench: an expression holding the shell's own `&&` and `||` made the
    # split of the script differ from the classifier's, and "EXPR" reached the document.
    workflow = ("on: workflow_dispatch\njobs:\n  bench:\n    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n"
                "        store: [local, remote]\n    steps:\n      - run: |\n"
                "          go test -run=^$ -bench=Query/store=${{ matrix.store }}$ "
                "${{ inputs.instant == true && '-range-type=instant' || '' }} -count=10\n"
                "          go test -v -slow-tests -remote-transport=${{ matrix.store }} ./pkg/...\n")
    scanned = scan(tmp_path_factory, "expr-display", {W + "bench.yml": workflow})
    shown = [f.text for f in scanned.model.facts if "go test" in f.text]
    assert shown and not any("EXPR" in t for t in shown), shown
    assert any("-remote-transport=${{ matrix.store }}" in t for t in shown), shown


def test_an_action_run_command_is_cited_at_the_input_holding_it(tmp_path_factory: pytest.TempPathFactory) -> None:
    # formbricks: `helmfile-args: apply -l environment=prod` is the command; `uses:` is not.
    workflow = ("on: workflow_dispatch\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    environment: production\n"
                "    steps:\n      - uses: helmfile/helmfile-action@v2\n        with:\n"
                "          helmfile-version: v1.0.0\n          helmfile-args: apply -l environment=prod\n")
    scanned = scan(tmp_path_factory, "helmfile-args", {W + "deploy.yml": workflow})
    step = one(ours(scanned, "deploy.steps"), "helmfile apply -l environment=prod")
    assert [(e.path, e.line) for e in step.evidence] == [(W + "deploy.yml", 10)]


def test_a_chart_pushed_by_its_own_command_cites_that_command(tmp_path_factory: pytest.TempPathFactory) -> None:
    # podinfo's release: `helm package` then `helm push`; the build fact says "pushed with helm push".
    workflow = ("on:\n  push:\n    tags: ['*']\njobs:\n  release:\n    runs-on: ubuntu-latest\n    steps:\n"
                "      - run: |\n          helm package charts/podinfo\n"
                "          helm push podinfo-6.0.0.tgz oci://ghcr.io/acme/charts\n")
    scanned = scan(tmp_path_factory, "helm-push", {W + "release.yml": workflow})
    build = one(ours(scanned, "ci.build"), "pushed with helm push")
    assert {(e.path, e.line) for e in build.evidence} == {(W + "release.yml", 9), (W + "release.yml", 10)}


def test_commands_written_in_a_step_are_no_fan_out(tmp_path_factory: pytest.TempPathFactory) -> None:
    # Two builds written in one `run:` have no entry that fans out to them: no `→` with nothing before it.
    workflow = ("on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n"
                "      - run: |\n          go build ./cmd/a\n          cargo build --release\n")
    scanned = scan(tmp_path_factory, "no-entry", {W + "build.yml": workflow})
    builds = [f.text for f in ours(scanned, "ci.build")]
    assert builds and not any(t.startswith(" →") or "→" in t.split(" in job")[0] for t in builds), builds


def test_a_docker_push_after_the_build_is_that_build_pushed(tmp_path_factory: pytest.TempPathFactory) -> None:
    # documenso: `docker build` then two `docker push` steps were three build steps, the pushes
    # "Docker image built with `docker push ...`"
    scanned = scan(tmp_path_factory, "pushes", {W + "publish.yml": (
        "on:\n  push:\n    branches: [release]\njobs:\n  publish:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: docker/login-action@v3\n        with:\n          registry: ghcr.io\n"
        "      - run: docker build -f ./docker/Dockerfile -t \"ghcr.io/acme/app-$PLATFORM:$SHA\"\n"
        "          -t \"acme/app-$PLATFORM\" .\n"
        "      - name: Push to Docker Hub\n        run: docker push --all-tags \"acme/app-$PLATFORM\"\n"
        "      - name: Push to GitHub Container Registry\n"
        "        run: docker push --all-tags \"ghcr.io/acme/app-$PLATFORM\"\n"
        "  retag:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: docker pull ghcr.io/acme/app:rc && docker tag ghcr.io/acme/app:rc ghcr.io/acme/app:stable\n"
        "      - run: docker push ghcr.io/acme/app:stable\n")})
    builds = ours(scanned, "ci.build")
    assert [f.text.split(" in job")[0] for f in builds] == [
        "Docker image built with docker build -f ./docker/Dockerfile -t \"ghcr.io/acme/app-$PLATFORM:$SHA\" "
        "-t \"acme/app-$PLATFORM\" .",
        "Docker image ghcr.io/acme/app:stable pushed to GitHub Container Registry",
    ]
    # both registries, though the image names hold a variable (the review: only GHCR was named)
    assert builds[0].text.endswith("; pushed to GitHub Container Registry, Docker Hub")
    assert [e.line for e in builds[0].evidence] == [11, 14]


def test_image_builds_of_one_dockerfile_name_their_target_stage(tmp_path_factory: pytest.TempPathFactory) -> None:
    # hoppscotch: four build-push-action steps of prod.Dockerfile, targets backend, app, sh_admin and
    # aio, read as four identical build steps
    step = ("      - uses: docker/build-push-action@v6\n        with:\n          context: .\n"
            "          file: ./prod.Dockerfile\n          target: {}\n          push: true\n"
            "          tags: ${{{{ secrets.ORG }}}}/{}\n")
    scanned = scan(tmp_path_factory, "targets", {W + "release.yml": (
        "on:\n  push:\n    tags: ['*.*.*']\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
        + step.format("backend", "backend") + step.format("app", "frontend"))})
    assert [f.text.split(" in job")[0] for f in ours(scanned, "ci.build")] == [
        "Docker image built with docker/build-push-action (./prod.Dockerfile, target backend)",
        "Docker image built with docker/build-push-action (./prod.Dockerfile, target app)",
    ]


def test_a_step_testing_a_dispatch_input_never_runs_on_a_push(tmp_path_factory: pytest.TempPathFactory) -> None:
    # redash: the release image step (`if: github.event.inputs.dockerRepository == 'redash'`) was
    # said to run on tag pushes; a push has no inputs
    scanned = scan(tmp_path_factory, "inputs", {W + "image.yml": (
        "on:\n  push:\n    tags: ['*-dev']\n  workflow_dispatch:\n    inputs:\n      dockerRepository:\n"
        "        type: choice\n        options: [preview, redash]\njobs:\n  image:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - uses: docker/build-push-action@v6\n"
        "        if: ${{ github.event.inputs.dockerRepository == 'redash' }}\n"
        "        with:\n          push: true\n          tags: acme/redash:1.0\n")})
    [build] = ours(scanned, "ci.build")
    assert "tag push" not in build.text and "manual dispatch" in build.text


def test_a_registry_written_before_an_expression_is_named(tmp_path_factory: pytest.TempPathFactory) -> None:
    # mealie pushes `hkotel/mealie:<tag>` and `ghcr.io/${{ github.repository }}:<tag>`: only Docker Hub was named
    scanned = scan(tmp_path_factory, "hosted", {W + "release.yml": (
        "on:\n  release:\n    types: [published]\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: docker/build-push-action@v6\n        with:\n          push: true\n          tags: |\n"
        "            hkotel/mealie:${{ github.ref_name }}\n"
        "            ghcr.io/${{ github.repository }}:${{ github.ref_name }}\n"
        "            ${{ secrets.EXTRA_TAG }}\n")})
    [build] = ours(scanned, "ci.build")
    assert build.text.endswith("; pushed to Docker Hub, GitHub Container Registry")


def test_a_registry_an_expression_gives_is_named_by_it(tmp_path_factory: pytest.TempPathFactory) -> None:
    # penpot tags `${{ secrets.DOCKER_REGISTRY }}/backend:<ref>` after logging in there, and logs in
    # to Docker Hub only to pull without rate limits: the images were said to go to Docker Hub
    scanned = scan(tmp_path_factory, "secret-registry", {W + "build-docker.yml": (
        "on:\n  workflow_dispatch:\njobs:\n  build-and-push:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: docker/login-action@v4\n        with:\n          registry: ${{ secrets.DOCKER_REGISTRY }}\n"
        "          username: ${{ secrets.DOCKER_USERNAME }}\n"
        "      - uses: docker/login-action@v4\n        with:\n          username: ${{ secrets.PUB_DOCKER_USERNAME }}\n"
        "      - uses: docker/build-push-action@v7\n        with:\n          file: ./docker/images/Dockerfile.backend\n"
        "          push: true\n          tags: ${{ secrets.DOCKER_REGISTRY }}/backend:${{ github.ref_name }}\n")})
    [build] = ours(scanned, "ci.build")
    assert "; pushed to the registry secrets.DOCKER_REGISTRY names;" in build.text
    assert Code("secrets.DOCKER_REGISTRY") in build.parts
    # AppFlowy-Cloud's `${{ secrets.DOCKER_HUB_USERNAME }}/appflowy_cloud` after a Docker Hub login:
    # the expression is a Docker Hub namespace there, not a registry
    hub = scan(tmp_path_factory, "namespace", {W + "push.yml": (
        "on:\n  workflow_dispatch:\njobs:\n  image:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: docker/login-action@v3\n        with:\n          username: ${{ secrets.DOCKER_HUB_USERNAME }}\n"
        "      - uses: docker/build-push-action@v5\n        with:\n          push: true\n"
        "          tags: ${{ secrets.DOCKER_HUB_USERNAME }}/appflowy_cloud:latest\n")})
    [pushed] = ours(hub, "ci.build")
    assert pushed.text.endswith("; pushed to Docker Hub")
    # appwrite's `${{ env.RUNS_ON_ECR_CACHE }}:<tag>` (a runner's ECR cache) beside a Docker Hub login
    # made only when a token is set: the expression is the whole image, registry included
    cache = scan(tmp_path_factory, "whole", {W + "ci.yml": (
        "on: [push]\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - if: ${{ env.DOCKERHUB_AUTH_AVAILABLE == 'true' }}\n        uses: docker/login-action@v4\n"
        "        with:\n          username: ${{ vars.DOCKERHUB_USERNAME }}\n"
        "      - uses: docker/build-push-action@v7\n        with:\n          push: true\n"
        "          tags: ${{ env.RUNS_ON_ECR_CACHE }}:${{ env.IMAGE }}-${{ github.sha }}\n")})
    [cached] = ours(cache, "ci.build")
    assert cached.text.endswith("; pushed to the registry env.RUNS_ON_ECR_CACHE names")
    # a login every run makes is where a tags output goes (code review)
    meta = scan(tmp_path_factory, "meta", {W + "release.yml": (
        "on:\n  push:\n    tags: [v*]\njobs:\n  image:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: docker/login-action@v3\n        with:\n          registry: ghcr.io\n"
        "      - id: meta\n        run: echo \"tags=ghcr.io/acme/app:${GITHUB_REF_NAME}\" >> $GITHUB_OUTPUT\n"
        "      - uses: docker/build-push-action@v5\n        with:\n          push: true\n"
        "          tags: ${{ steps.meta.outputs.tags }}\n")})
    [tagged] = ours(meta, "ci.build")
    assert tagged.text.endswith("; pushed to GitHub Container Registry")


def test_a_job_testing_the_pull_request_never_runs_on_a_dispatch(tmp_path_factory: pytest.TempPathFactory) -> None:
    # plane: `if: github.event.pull_request.requested_reviewers != null` was said to run on manual dispatch
    scanned = scan(tmp_path_factory, "pr-only", {W + "lint.yml": (
        "on:\n  workflow_dispatch:\n  pull_request:\n    branches: [preview]\njobs:\n  build:\n"
        "    runs-on: ubuntu-latest\n    if: |\n      github.event.pull_request.draft == false &&\n"
        "      github.event.pull_request.requested_reviewers != null\n    steps:\n      - run: npm run build\n")})
    [build] = ours(scanned, "ci.build")
    assert "pull requests to preview" in build.text and "manual dispatch" not in build.text


def test_a_script_that_does_more_than_migrate_is_followed_without_a_crash(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    # the scripts detector's record of a line doing "more" once crashed every reader of script commands
    scanned = scan(tmp_path_factory, "more", {
        W + "deploy.yml": "on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    environment: production\n"
                          "    steps:\n      - run: ./scripts/deploy.sh\n",
        "scripts/deploy.sh": "#!/bin/sh\nset -e\nhelm upgrade --install web ./chart\nnotify-team done\n",
    })
    assert not [d for d in scanned.model.diagnostics if "failed" in d.message]
    assert any("helm upgrade" in f.text for f in ours(scanned, "deploy.steps"))


def test_an_input_a_push_lacks_is_null_in_conditions_only(tmp_path_factory: pytest.TempPathFactory) -> None:
    # review: nulling the inputs in every expression showed `ghcr.io/acme/worker:` for a push
    scanned = scan(tmp_path_factory, "null-display", {W + "b.yml": (
        "on:\n  push:\n    tags: ['v*']\n  workflow_dispatch:\n    inputs:\n      version:\n        type: string\n"
        "jobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: docker/build-push-action@v6\n"
        "        with:\n          push: true\n          tags: ghcr.io/acme/worker:${{ inputs.version }}\n")})
    [build] = ours(scanned, "ci.build")
    assert build.text.startswith("Docker image ghcr.io/acme/worker built") and "worker:," not in build.text


def test_a_push_joins_the_build_of_the_image_it_pushes(tmp_path_factory: pytest.TempPathFactory) -> None:
    # review: every push joined the job's last build, whatever it pushed (a retagged redis was "built")
    scanned = scan(tmp_path_factory, "push-names", {W + "ci.yml": (
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: docker build -t ghcr.io/acme/api:1 ./api\n"
        "      - run: docker build -t ghcr.io/acme/web:1 ./web\n"
        "      - run: docker push ghcr.io/acme/api:1\n"
        "      - run: docker push ghcr.io/acme/web:1\n"
        "      - run: docker pull redis:7 && docker tag redis:7 ghcr.io/acme/redis:7\n"
        "      - run: docker push ghcr.io/acme/redis:7\n")})
    texts_ = sorted(f.text.split(" in job")[0] + (" +push" if "; pushed" in f.text else "")
                    for f in ours(scanned, "ci.build"))
    assert texts_ == ["Docker image ghcr.io/acme/api:1 built +push",
                      "Docker image ghcr.io/acme/redis:7 pushed to GitHub Container Registry",
                      "Docker image ghcr.io/acme/web:1 built +push"]


def test_metadata_action_images_in_attribute_form_are_their_names(tmp_path_factory: pytest.TempPathFactory) -> None:
    # pixelfed: `name=ghcr.io/...,enable=true` gave a "Docker image enable=true pushed to Docker Hub"
    scanned = scan(tmp_path_factory, "meta-attrs", {
        W + "docker.yml": (
            "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: docker/metadata-action@v5\n        id: meta\n        with:\n          images: |\n"
            "            name=ghcr.io/acme/app,enable=true\n            name=acme/app-old,enable=false\n"
            "      - uses: docker/build-push-action@v5\n        with:\n          push: true\n"
            "          tags: ${{ steps.meta.outputs.tags }}\n"
        ),
    })
    [build] = ours(scanned, "ci.build")
    assert "ghcr.io/acme/app" in build.text and "pushed to GitHub Container Registry" in build.text
    assert "enable" not in build.text and "Docker Hub" not in build.text and "app-old" not in build.text


@pytest.mark.parametrize(("install_only", "built"), [("true", False), ("false", True)])
def test_an_action_told_only_to_install_its_tool_builds_nothing(
        tmp_path_factory: pytest.TempPathFactory, install_only: str, built: bool) -> None:
    # external-dns: chart-releaser-action with `install_only: true` installs `cr` for its own script
    scanned = scan(tmp_path_factory, f"install-only-{install_only}", {
        W + "release.yml": (
            "on:\n  push:\n    branches: [main]\njobs:\n  release:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: helm/chart-releaser-action@v1.7.0\n        with:\n"
            f"          install_only: {install_only}\n"
        ),
    })
    assert bool([f for f in ours(scanned, "ci.build") if "Helm charts packaged and published" in f.text]) is built


def test_a_release_whose_notes_span_lines_shows_what_it_uploads(tmp_path_factory: pytest.TempPathFactory) -> None:
    """listmonk's nightly: `--notes "` opens six lines of Markdown. The step was cut at the quote, and
    the archives it uploads, after it, were lost; shown whole, the notes crowded them out."""
    workflow = (
        "on: {schedule: [{cron: '0 2 * * *'}]}\n"
        "jobs:\n"
        "  nightly:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - run: |\n"
        "          gh release create nightly \\\n"
        '            --title "Nightly release" \\\n'
        '            --notes "\n'
        "          > **Warning**: This is an automated nightly build from the main branch.\n"
        "          > It may contain bugs and breaking changes. Use at your own risk.\n"
        "\n"
        '          Built from commit: $(git rev-parse --short HEAD)" \\\n'
        "            --prerelease \\\n"
        "            dist/*.tar.gz\n"
    )
    scanned = scan(tmp_path_factory, "notes", {".github/workflows/nightly.yml": workflow})
    step = one(ours(scanned, "ci.build"), "gh release create nightly")
    assert '--notes "…" --prerelease dist/*.tar.gz' in step.text
    assert "Warning" not in step.text


def test_a_dispatch_to_another_repository_is_a_deploy_where_the_job_says_so(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """saleor's `deploy` job sends `deploy-staging` to saleor/saleor-multitenant with `gh api
    .../dispatches`: the document's deployment fields were gaps blaming a token action. A dispatch
    that triggers a docs rebuild elsewhere is no deploy of this project."""
    workflow = (
        "on: {push: {branches: [main]}}\n"
        "jobs:\n"
        "  deploy:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - name: Trigger staging deployment\n"
        "        run: |\n"
        "          payload=$(jq -n --arg v \"$VERSION\"\n"
        "            '{event_type: \"deploy-staging\", client_payload: {version: $v}}')\n"
        "          gh api /repos/acme/platform/dispatches --input - <<< \"$payload\"\n"
        "  docs:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - run: gh api repos/acme/website/dispatches -f event_type=rebuild\n"
        "  notify:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: peter-evans/repository-dispatch@v3\n"
        "        with:\n"
        "          repository: acme/infra\n"
        "          event-type: deploy-production\n"
    )
    scanned = scan(tmp_path_factory, "dispatch", {".github/workflows/release.yml": workflow})
    automated = ours(scanned, "ci.deploy.automated")
    said = " | ".join(f.text for f in automated)
    assert "gh api /repos/acme/platform/dispatches" in said and "(job deploy" in said
    assert "peter-evans/repository-dispatch" in said and "(job notify" in said
    assert "acme/website" not in said and "job docs" not in said


@pytest.mark.parametrize(
    ("condition", "shown"),
    [
        # langfuse's Slack step: the status check it needs is what says when it notifies
        ("failure() && github.event_name == 'push' && (github.ref == 'refs/heads/main' || github.ref == 'v3')",
         "`failure()` and a condition on `github.event_name`, `github.ref`"),
        ("${{ always() && (a == 'x' || b) }}", "`always()` and a condition on the run"),
        # a status check inside an `||` is not one the step needs
        ("failure() || cancelled()", "a condition on the run"),
        ("(failure() && github.ref == 'x') || github.event_name == 'schedule'",
         "a condition on `github.ref`, `github.event_name`"),
    ],
)
def test_a_condition_a_code_span_cannot_hold_keeps_its_status_check(condition: str, shown: str) -> None:
    assert "".join(p if isinstance(p, str) else f"`{p.text}`" for p in shown_condition(condition)) == shown


def test_a_make_target_named_for_tests_with_dots_is_a_test(tmp_path_factory: pytest.TempPathFactory) -> None:
    """searxng's CI runs `make V=1 ci.test`; its Makefile's `test.unit` and `test.robot` run through a
    `./manage` script no reader follows. A target named for tests is a test by its name, whichever of
    `:`, `_`, `-` or `.` joins the words; `make ci.lint` stays nothing."""
    workflow = (
        "on: push\njobs:\n  checks:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: make V=1 ci.test\n      - run: make ci.lint\n"
    )
    makefile = "ci.test: test.unit test.robot\nci.lint:\n\t./manage lint\n"
    scanned = scan(tmp_path_factory, "dots", {".github/workflows/ci.yml": workflow, "Makefile": makefile})
    unit = ours(scanned, "ci.test.unit")
    assert [f.text.split(" in job")[0] for f in unit] == ["make V=1 ci.test"]
    assert unit[0].confidence is Confidence.INFERRED


def test_a_step_for_one_branch_name_never_runs_on_a_pull_request(tmp_path_factory: pytest.TempPathFactory) -> None:
    """searxng deploys its docs `if: github.ref_name == 'master'` in a workflow that also runs on pull
    requests to master; the document said pull requests deployed. A pull request's ref_name is
    `<number>/merge`."""
    workflow = (
        "on:\n  push: {branches: [master]}\n  pull_request: {branches: [master]}\n"
        "jobs:\n  release:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make docs\n"
        "      - uses: JamesIves/github-pages-deploy-action@v4\n        if: github.ref_name == 'master'\n"
        "        with: {folder: dist/docs}\n"
    )
    scanned = scan(tmp_path_factory, "refname", {".github/workflows/docs.yml": workflow})
    (deploy,) = ours(scanned, "ci.deploy.automated")
    assert deploy.text.startswith("Push to master: deploys")
    assert "pull request" not in deploy.text


def test_a_pull_request_s_ref_is_a_branch(tmp_path_factory: pytest.TempPathFactory) -> None:
    """vikunja calls its release workflow `if: github.ref_type == 'tag' || github.ref_name == 'main'`
    from a workflow that also runs on pull requests; the document said the release images were built
    "on pull requests if `github.ref_type == 'tag'`", which no pull request meets."""
    ci = (
        "on:\n  pull_request:\n  push:\n    tags: ['v*']\n    branches: [main]\n"
        "jobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: go test ./...\n"
        "  release:\n    uses: ./.github/workflows/release.yml\n"
        "    if: ${{ github.ref_type == 'tag' || github.ref_name == 'main' }}\n    needs: [test]\n"
    )
    release = (
        "on:\n  workflow_call:\njobs:\n  docker:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - if: ${{ github.ref_type != 'tag' }}\n        uses: docker/build-push-action@v6\n"
        "        with: {push: true, tags: 'acme/app:unstable'}\n"
        "      - if: ${{ github.ref_type == 'tag' }}\n        uses: docker/build-push-action@v6\n"
        "        with: {push: true, tags: 'acme/app:latest'}\n"
    )
    scanned = scan(tmp_path_factory, "reftype", {W + "ci.yml": ci, W + "release.yml": release})
    builds = {f.text for f in ours(scanned, "ci.build")}
    assert any(t.startswith("Docker image acme/app:unstable built")
               and t.endswith("on push to main; pushed to Docker Hub") for t in builds), builds
    assert any(t.startswith("Docker image acme/app:latest built")
               and t.endswith("on tag push v*; pushed to Docker Hub") for t in builds), builds
    assert not [t for t in builds if "pull request" in t]


def test_a_tag_push_ignores_path_filters(tmp_path_factory: pytest.TempPathFactory) -> None:
    """flagsmith deploys production `on: push: tags: ['*'] paths: [api/**]`: GitHub does not evaluate
    path filters for tag pushes, so every tag deploys; the document said only API changes did."""
    workflow = (
        "on:\n  push:\n    branches: [main]\n    tags: ['*']\n    paths: ['api/**']\n"
        "jobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: aws ecs update-service --cluster c --service api\n"
    )
    scanned = scan(tmp_path_factory, "tagpaths", {".github/workflows/deploy.yml": workflow})
    said = " | ".join(f.text for f in ours(scanned, "ci.deploy.automated"))
    assert "Push to main (paths api/**)" in said
    assert "tag push *: deploys" in said and "tag push * (paths" not in said


def test_a_script_that_prepares_tests_is_not_a_test_run(tmp_path_factory: pytest.TempPathFactory) -> None:
    """flagsmith's E2E job runs `npm run test:install` (`playwright install firefox`) before the suite
    a retry wrapper runs; the document listed the install as its E2E tests."""
    workflow = ("on: push\njobs:\n  e2e:\n    runs-on: ubuntu-latest\n    steps:\n"
                "      - run: npm run test:install\n      - run: npm run test:unit\n")
    package = '{"scripts": {"test:install": "playwright install firefox", "test:unit": "run-my-tests"}}\n'
    scanned = scan(tmp_path_factory, "prep", {".github/workflows/e2e.yml": workflow, "package.json": package})
    said = [f.text for level in ("unit", "integration", "e2e") for f in ours(scanned, f"ci.test.{level}")]
    assert len(said) == 1 and said[0].startswith("npm run test:unit")


def test_a_script_named_for_tests_that_only_checks_code_is_not_a_test_run(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """excalidraw's lint job runs `yarn test:code` (`eslint ...`) and `yarn test:other` (`yarn prettier
    --list-different`): both were listed as its unit tests, by their names."""
    workflow = ("on: pull_request\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n"
                "      - run: |\n          yarn test:other\n          yarn test:code\n          yarn test:app\n")
    package = ('{"scripts": {"test:code": "eslint --max-warnings=0 --ext .js,.ts,.tsx .", '
               '"test:other": "yarn prettier --list-different", "test:app": "run-my-tests"}}\n')
    scanned = scan(tmp_path_factory, "checks", {".github/workflows/lint.yml": workflow, "package.json": package})
    said = [f.text for level in ("unit", "integration", "e2e") for f in ours(scanned, f"ci.test.{level}")]
    assert len(said) == 1 and said[0].startswith("yarn test:app")
    # akaunting's "Install Composer" step runs `composer test`: `composer install ...`, then
    # `composer dump-autoload`, before its suite
    workflow = ("on: push\njobs:\n  tests:\n    runs-on: ubuntu-latest\n    steps:\n"
                "      - name: Install Composer\n        run: composer test\n"
                "      - name: Execute tests\n        run: php artisan test --parallel\n")
    composer = ('{"scripts": {"test": ["composer install --prefer-dist --no-interaction --no-scripts", '
                '"composer dump-autoload"]}}\n')
    scanned = scan(tmp_path_factory, "composer", {".github/workflows/tests.yml": workflow, "composer.json": composer})
    said = [f.text for level in ("unit", "integration", "e2e") for f in ours(scanned, f"ci.test.{level}")]
    assert len(said) == 1 and said[0].startswith("PHPUnit"), said


def test_a_build_exported_as_files_is_no_image(tmp_path_factory: pytest.TempPathFactory) -> None:
    """navidrome cross-compiles its binaries with build-push-action's local exporter (`outputs:
    type=local,dest=./output/${{ env.PLATFORM }}`, target `binary`, FROM scratch): it was a Docker image built."""
    workflow = ("on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
                "      - uses: docker/build-push-action@v7\n        with:\n          file: Dockerfile\n"
                "          target: binary\n          outputs: |\n"
                "            type=local,dest=./output/${{ env.PLATFORM }}\n"
                "      - uses: docker/build-push-action@v7\n        with:\n          file: Dockerfile\n"
                "          outputs: type=tar,dest=image.tar\n")
    scanned = scan(tmp_path_factory, "exported", {".github/workflows/build.yml": workflow,
                                                  "Dockerfile": "FROM golang:1.26 AS build\nFROM scratch AS binary\n"})
    built = [f.text for f in ours(scanned, "ci.build") if "build-push-action" in f.text]
    assert built == [
        "Files built with docker/build-push-action (Dockerfile, target binary), exported to "
        "./output/${{ env.PLATFORM }} (no image) in job build (build.yml), on every push",
        "Files built with docker/build-push-action (Dockerfile), exported to image.tar (no image) in job build "
        "(build.yml), on every push"]


def test_an_e2e_suite_started_beside_its_server_by_concurrently_is_named(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """jhipster-sample-app's CI runs `npm run ci:e2e:package`, `ci:e2e:run` and `ci:e2e:teardown`: the
    first builds the jar, the last stops the services, and `ci:e2e:run` is `concurrently ...
    npm:ci:e2e:server:start npm:e2e:headless`, whose second script runs Cypress. All three were E2E
    tests by their names, and Cypress was never named."""
    workflow = ("on: [push]\njobs:\n  pipeline:\n    runs-on: ubuntu-latest\n    steps:\n"
                "      - run: npm run ci:e2e:package\n      - run: npm run ci:e2e:run\n"
                "      - run: npm run ci:e2e:teardown\n")
    package = ('{"scripts": {"ci:e2e:package": "npm run java:jar:prod -- -Pe2e", '
               '"ci:e2e:run": "concurrently -k -s first -n application,e2e -c red,blue npm:ci:e2e:server:start '
               'npm:e2e:headless", "ci:e2e:server:start": "java -jar target/e2e.jar", '
               '"e2e:headless": "cypress run --e2e --browser chrome", '
               '"ci:e2e:teardown": "docker compose -f src/main/docker/services.yml down -v"}}\n')
    scanned = scan(tmp_path_factory, "concurrently", {".github/workflows/ci.yml": workflow, "package.json": package})
    said = [f.text for f in ours(scanned, "ci.test.e2e")]
    assert said == ["Cypress in job pipeline (ci.yml): every push; runs npm run ci:e2e:run → "
                    "cypress run --e2e --browser chrome"], said
    # a name that leads with `test` tests what its other words name (the code review): still tests
    workflow = ("on: [push]\njobs:\n  unit:\n    runs-on: ubuntu-latest\n    steps:\n"
                "      - run: npm run test:server\n      - run: npm run test:build\n")
    package = ('{"scripts": {"test:server": "node scripts/run-server-tests.js", '
               '"test:build": "node test/build-output.js"}}\n')
    scanned = scan(tmp_path_factory, "test-server", {".github/workflows/ci.yml": workflow, "package.json": package})
    assert len(ours(scanned, "ci.test.unit")) == 2


def test_what_a_code_scanning_job_compiles_is_no_build_step(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Kareadita/Kavita's codeql.yml builds the solution between CodeQL's init and analyze steps; the
    document listed `dotnet build Kavita.sln` among its build steps."""
    workflow = ("on: push\njobs:\n  analyze:\n    runs-on: ubuntu-latest\n    steps:\n"
                "      - uses: github/codeql-action/init@v3\n        with:\n          languages: csharp\n"
                "      - run: dotnet build Kavita.sln\n      - uses: github/codeql-action/analyze@v3\n"
                "  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: dotnet build Kavita.sln\n")
    scanned = scan(tmp_path_factory, "codeql", {".github/workflows/codeql.yml": workflow})
    assert [f.text.split(" in job ")[1].split()[0] for f in ours(scanned, "ci.build")] == ["build"]


def test_a_command_a_matrix_value_names_is_read_once_per_value(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Dokploy's pull-request job runs `pnpm ${{ matrix.job }}` over build, test and typecheck; its
    Vitest suite was "run by hand" and its unit tests a gap."""
    workflow = ("on:\n  pull_request:\n    branches: [main]\njobs:\n  pr-check:\n    runs-on: ubuntu-latest\n"
                "    strategy:\n      matrix:\n        job: [build, test, typecheck]\n    steps:\n"
                "      - run: pnpm ${{ matrix.job }}\n")
    package = '{"scripts": {"build": "tsc -p .", "test": "vitest --run", "typecheck": "tsc --noEmit"}}\n'
    scanned = scan(tmp_path_factory, "matrix-job", {".github/workflows/pull-request.yml": workflow,
                                                    "package.json": package, "src/a.test.ts": "test('a', () => {})\n"})
    assert [f.text for f in ours(scanned, "ci.test.unit")] == [
        "Vitest in job pr-check (pull-request.yml): pull requests to main; runs pnpm test → vitest --run"]
    assert not [f for f in facts_for(scanned.model, "ci.test.unit") if f.confidence is Confidence.HINT]
    # values that run one tool at two levels are two suites (the code review)
    workflow = ("on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n"
                "        suite: [unit, integration]\n    steps:\n      - run: yarn test:${{ matrix.suite }}\n")
    package = ('{"scripts": {"test:unit": "jest", "test:integration": "jest -c jest.integration.config.js"}}\n')
    scanned = scan(tmp_path_factory, "matrix-levels", {".github/workflows/ci.yml": workflow, "package.json": package,
                                                       "src/a.test.ts": "test('a', () => {})\n"})
    assert [f.text.split(" in job ")[0] for f in ours(scanned, "ci.test.unit")] == ["Jest"]
    assert [f.text.split(" in job ")[0] for f in ours(scanned, "ci.test.integration")] == ["Jest"]


def test_an_image_an_expression_names_whole_goes_to_docker_hub_beside_written_registries(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """CTFd pushes `${{ env.IMAGE_NAME }}:latest` and `ghcr.io/${{ env.IMAGE_NAME }}:latest` after logging
    in to Docker Hub and GHCR: the document said GitHub Container Registry only."""
    workflow = ("on:\n  release:\n    types: [published]\njobs:\n  docker:\n    runs-on: ubuntu-latest\n"
                "    steps:\n      - run: echo \"IMAGE_NAME=${GITHUB_REPOSITORY@L}\" >> ${GITHUB_ENV}\n"
                "      - uses: docker/login-action@v3\n        with:\n          username: u\n          password: p\n"
                "      - uses: docker/login-action@v3\n        with:\n          registry: ghcr.io\n"
                "          username: u\n          password: p\n"
                "      - uses: docker/build-push-action@v6\n        with:\n          push: true\n          tags: |\n"
                "            ${{ env.IMAGE_NAME }}:latest\n            ghcr.io/${{ env.IMAGE_NAME }}:latest\n")
    scanned = scan(tmp_path_factory, "hub-beside", {".github/workflows/docker-build.yml": workflow})
    [build] = ours(scanned, "ci.build")
    assert build.text.endswith("; pushed to GitHub Container Registry, Docker Hub")


def test_a_called_workflow_s_environment_is_read_in_the_job_not_in_its_local_action(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """flagsmith's production and staging workflows call one reusable ECS deploy with `environment:
    production` and `staging`; its job's `environment: ${{ inputs.environment }}` was read with the
    inputs of the local action its deploy step runs, and the document said the environment was
    chosen at run time."""
    files = {
        ".github/workflows/prod.yml": "on: {push: {tags: ['*']}}\njobs:\n  deploy-ecs:\n"
                                      "    uses: ./.github/workflows/deploy.yml\n    with: {environment: production}\n",
        ".github/workflows/deploy.yml": (
            "on:\n  workflow_call:\n    inputs:\n      environment: {type: string, required: true}\n"
            "jobs:\n  deploy:\n    environment: ${{ inputs.environment }}\n    runs-on: ubuntu-latest\n"
            "    steps:\n      - uses: ./.github/actions/ecs\n        with: {cluster: api}\n"),
        ".github/actions/ecs/action.yml": (
            "name: ecs\ninputs:\n  cluster: {required: true}\nruns:\n  using: composite\n  steps:\n"
            "    - shell: bash\n      run: aws ecs update-service --cluster ${{ inputs.cluster }} --service api\n"),
    }
    scanned = scan(tmp_path_factory, "reusable-env", files)
    (deploy,) = ours(scanned, "ci.deploy.automated")
    assert deploy.text.startswith("Tag push *: deploys to production with Amazon ECS")
    assert "chosen at run time" not in deploy.text


def test_an_app_store_submission_is_a_deploy_to_the_profile_it_names(tmp_path_factory: pytest.TempPathFactory) -> None:
    """linkwarden's mobile workflows build with `eas build` and submit with `eas submit --profile
    production`: its manual deployments were a gap, and its job named "Build iOS (eas build --local)"
    read as a development deploy."""
    workflow = (
        "on: {workflow_dispatch: {inputs: {submit: {type: boolean, default: true}}}}\n"
        "jobs:\n  build:\n    name: Build iOS (eas build --local)\n    runs-on: macos-latest\n    steps:\n"
        "      - run: eas build --platform ios --profile production --local --non-interactive --output build.ipa\n"
        "      - if: ${{ inputs.submit }}\n"
        "        run: eas submit --platform ios --profile production --path build.ipa --non-interactive\n"
    )
    scanned = scan(tmp_path_factory, "eas", {".github/workflows/mobile-ios.yml": workflow})
    (manual,) = ours(scanned, "ci.deploy.manual")
    assert "to deploy to production with eas submit --platform ios" in manual.text
    assert any(f.text.startswith("eas build --platform ios") for f in ours(scanned, "ci.build"))


# Modelled on paperless-ngx's docs workflow: every branch's push but `translations**` starts it,
# and the deploy job's `if:` keeps one branch.
_ONE_BRANCH_DEPLOY = """name: Docs
on:
  push:
    branches-ignore: ['translations**']
  pull_request:
jobs:
  changes:
    runs-on: ubuntu-latest
    outputs:
      docs: ${{ steps.filter.outputs.docs }}
    steps:
      - id: filter
        run: echo "docs=true" >> "$GITHUB_OUTPUT"
  deploy:
    needs: changes
    if: github.event_name == 'push' && github.ref == '{ref}' && needs.changes.outputs.docs == 'true'
    runs-on: ubuntu-latest
    environment:
      name: github-pages
    steps:
      - uses: actions/deploy-pages@v4
  announce:
    needs: deploy
    runs-on: ubuntu-latest
    environment: production
    steps:
      - uses: actions/deploy-pages@v4
"""


@pytest.mark.parametrize(
    ("ref", "said"),
    [
        ("refs/heads/main", "Push to `main`"),
        ("refs/heads/release/v1", "Push to `release/v1`"),
        # the trigger leaves the branch out: the job runs on no push, so nothing is pinned
        ("refs/heads/translations-fr", None),
        ("refs/heads/feat*", "Push to branches except `translations**`"),  # a pattern names no branch
    ],
)
def test_a_job_that_runs_on_one_branch_of_an_open_push_trigger_runs_on_a_push_to_it(
    tmp_path_factory: pytest.TempPathFactory, ref: str, said: str | None
) -> None:
    name = "one-branch-" + ref.replace("/", "-").replace("*", "star")
    scanned = scan(tmp_path_factory, name, {W + "docs.yml": _ONE_BRANCH_DEPLOY.replace("{ref}", ref)})
    automated = [f.text for f in ours(scanned, "ci.deploy.automated")]
    if said is None:
        assert not any("github-pages" in t for t in automated), automated
        return
    [pages] = [t for t in automated if "github-pages" in t]
    assert pages.startswith(said.replace("`", "")), pages
    assert ("github.ref" not in pages and "translations" not in pages) or "except" in said, pages
    # the job after it runs after it, so on the same push; the trigger is cited at the `if:`
    [after] = [t for t in automated if "job announce" in t]
    assert after.startswith(said.replace("`", "")), after
    if "except" not in said:
        deploy = next(f for f in ours(scanned, "ci.deploy.automated") if "github-pages" in f.text)
        assert (W + "docs.yml", 16) in [(e.path, e.line) for e in deploy.evidence]


@pytest.mark.parametrize(
    "condition",
    [
        "github.ref == 'refs/heads/main' || startsWith(github.ref, 'refs/tags/')",  # tags too
        "github.ref == 'refs/heads/main' || github.ref == 'refs/heads/dev'",  # two branches
        "github.ref != 'refs/heads/main'",
    ],
)
def test_a_condition_that_other_refs_pass_pins_no_branch(tmp_path_factory: pytest.TempPathFactory,
                                                         condition: str) -> None:
    workflow = ("on: push\njobs:\n  deploy:\n    if: " + condition + "\n    runs-on: ubuntu-latest\n"
                "    environment: production\n    steps:\n      - uses: actions/deploy-pages@v4\n")
    scanned = scan(tmp_path_factory, "no-pin-" + str(abs(hash(condition))), {W + "d.yml": workflow})
    [deploy] = ours(scanned, "ci.deploy.automated")
    assert deploy.text.startswith("Every push"), deploy.text


def test_a_condition_a_chain_of_jobs_repeats_is_said_once(tmp_path_factory: pytest.TempPathFactory) -> None:
    # paperless-ngx's frontend jobs: each waits on the same output of the `changes` job
    workflow = (
        "on: push\njobs:\n  changes:\n    runs-on: ubuntu-latest\n    outputs:\n      fe: ${{ steps.f.outputs.fe }}\n"
        "    steps:\n      - id: f\n        run: echo fe=true >> $GITHUB_OUTPUT\n"
        "  install:\n    needs: changes\n    if: needs.changes.outputs.fe == 'true'\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: npm ci\n"
        "  unit:\n    needs: [changes, install]\n    if: needs.changes.outputs.fe == 'true'\n"
        "    runs-on: ubuntu-latest\n    steps:\n      - run: npx jest\n")
    scanned = scan(tmp_path_factory, "repeated-if", {W + "fe.yml": workflow})
    [unit] = ours(scanned, "ci.test.unit")
    assert unit.text.count("needs.changes.outputs.fe == 'true'") == 1, unit.text
    assert {12, 18} <= {e.line for e in unit.evidence}, unit.evidence


@pytest.mark.parametrize(
    ("on", "said"),
    [
        # BookStack's test workflows: every push but the translations branch's, and pull requests
        ("push:\n  pull_request:", "every push except to l10n_development and pull requests; runs"),
        ("push:\n    branches-ignore: ['dependabot/**']",
         "push to branches except dependabot/**, l10n_development; runs"),
    ],
)
def test_a_job_that_skips_one_branch_of_an_open_push_trigger_runs_on_the_others(
    tmp_path_factory: pytest.TempPathFactory, on: str, said: str
) -> None:
    workflow = ("on:\n  " + on + "\njobs:\n  build:\n    if: github.ref != 'refs/heads/l10n_development'\n"
                "    runs-on: ubuntu-latest\n    steps:\n      - run: vendor/bin/phpunit\n")
    scanned = scan(tmp_path_factory, "skip-branch-" + str(len(on)), {W + "test.yml": workflow})
    [unit] = ours(scanned, "ci.test.unit")
    assert said in unit.text and "github.ref" not in unit.text, unit.text
    if_line = workflow.splitlines().index("    if: github.ref != 'refs/heads/l10n_development'") + 1
    assert if_line in [e.line for e in unit.evidence], unit.evidence



@pytest.mark.parametrize(
    ("uses", "with_", "said"),
    [
        ("softprops/action-gh-release@v2", "tag_name: v1", "A GitHub release with"),
        ("softprops/action-gh-release@v2", "draft: true", "A draft GitHub release with"),
        ("ncipollo/release-action@v1", "draft: false", "A GitHub release with"),
        ("softprops/action-gh-release@v2", "draft: ${{ inputs.draft }}",
         "A GitHub release or a draft GitHub release, as input draft decides with"),
    ],
)
def test_a_release_action_says_whether_it_publishes_or_drafts(tmp_path_factory: pytest.TempPathFactory, uses: str,
                                                             with_: str, said: str) -> None:
    workflow = ("on:\n  push:\n    tags: ['v*']\n  workflow_dispatch:\n    inputs:\n      draft:\n"
                "        type: boolean\njobs:\n  release:\n    runs-on: ubuntu-latest\n    steps:\n"
                f"      - uses: {uses}\n        with:\n          {with_}\n")
    scanned = scan(tmp_path_factory, "release-" + str(abs(hash((uses, with_)))), {W + "release.yml": workflow})
    [build] = [f for f in ours(scanned, "ci.build") if "release" in f.text.lower()]
    assert build.text.startswith(said), build.text


def test_registries_another_step_names_are_not_an_unnamed_push_s(tmp_path_factory: pytest.TempPathFactory) -> None:
    # paperless-ngx's merge job: logins to GHCR, Docker Hub and Quay.io, a manifest pushed to tags
    # set at run time, then "Copy to Docker Hub" and "Copy to Quay.io" with skopeo
    workflow = (
        "on:\n  push:\n    tags: ['v*']\njobs:\n  merge:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: docker/login-action@v3\n        with:\n          registry: ghcr.io\n"
        "      - uses: docker/login-action@v3\n        with:\n          username: u\n"
        "      - uses: docker/login-action@v3\n        with:\n          registry: quay.io\n"
        "      - name: Create manifest list and push\n        run: docker buildx imagetools create ${tags} ${digests}\n"
        "      - name: Copy to Docker Hub\n        run: skopeo copy --all \"docker://${tag}\" \"docker://${hub_tag}\"\n"
        "      - name: Copy to Quay.io\n        run: skopeo copy --all \"docker://${tag}\" \"docker://${quay_tag}\"\n")
    scanned = scan(tmp_path_factory, "registries-by-step", {W + "merge.yml": workflow})
    said = sorted(f.text.split(" with ")[0] for f in ours(scanned, "ci.build"))
    assert said == ["Docker image pushed to Docker Hub", "Docker image pushed to GitHub Container Registry",
                    "Docker image pushed to Quay.io"], said


def test_a_release_in_a_deploy_job_is_a_deployment_step_that_says_what_it_makes(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # rallly's release.yml: a deploy hook, then a draft GitHub release, on tags
    workflow = ("on:\n  push:\n    tags: ['v*']\njobs:\n  build:\n    runs-on: ubuntu-latest\n"
                "    environment: production\n"
                "    steps:\n      - name: Trigger deploy to production\n        run: curl -X POST -d {} $DEPLOY_HOOK\n"
                "      - name: Create Release\n        uses: ncipollo/release-action@v1\n        with:\n"
                "          draft: true\n")
    scanned = scan(tmp_path_factory, "release-in-deploy", {W + "release.yml": workflow})
    steps = [f.text for f in ours(scanned, "deploy.steps")]
    assert any(": a draft GitHub release with ncipollo/release-action (step Create Release" in t for t in steps), steps


def test_steps_in_a_parallel_block_are_steps(tmp_path_factory: pytest.TempPathFactory) -> None:
    # karakeep's ci.yml: four suites in one `parallel:` block (GitHub Actions' parallel steps)
    workflow = ("on: push\njobs:\n  tests:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
                "      - parallel:\n        - name: Unit\n          run: npx vitest run\n"
                "        - sequential:\n          - run: npx playwright install\n          - name: E2E Tests\n"
                "            run: npx playwright test\n      - wait-all:\n")
    scanned = scan(tmp_path_factory, "parallel-steps", {W + "ci.yml": workflow})
    assert [f.text.split(" in job")[0] for f in ours(scanned, "ci.test.unit")] == ["Vitest"]
    [e2e] = ours(scanned, "ci.test.e2e")
    assert e2e.text.startswith("Playwright in job tests") and 13 in [e.line for e in e2e.evidence], e2e.text


def test_a_package_index_environment_is_a_publishing_gate(tmp_path_factory: pytest.TempPathFactory) -> None:
    # netbox: environment `testpypi` (url test.pypi.org) guards trusted publishing; it was an
    # environment block of its own, and the upload itself was said nowhere
    scanned = scan(tmp_path_factory, "pypi-gate", {
        W + "release.yml": (
            "on:\n  push:\n    tags: ['v*']\njobs:\n  publish:\n    runs-on: ubuntu-latest\n"
            "    environment:\n      name: testpypi\n      url: https://test.pypi.org/p/netbox\n"
            "    permissions:\n      id-token: write\n    steps:\n"
            "      - uses: pypa/gh-action-pypi-publish@release/v1\n        with:\n"
            "          repository-url: https://test.pypi.org/legacy/\n"
        ),
    })
    assert not [f for f in scanned.model.facts if f.env == "testpypi"]
    [build] = ours(scanned, "ci.build")
    assert build.text.startswith("A package published to a Python package index with pypa/gh-action-pypi-publish "
                                 "in job publish (release.yml), on tag push v*"), build.text


def test_a_residual_condition_is_written_only_as_an_expression_can_say_it() -> None:
    on_push = {"github.event_name": frozenset({"push"})}

    def look(name: str) -> frozenset[object]:
        return on_push.get(name, ANY)

    assert residual("github.event_name == 'push' && (inputs.a == (inputs.b == 'x'))", look) == (
        "inputs.a == (inputs.b == 'x')")
    # an index the scan could not read, and a key only an index can hold, are not written back
    assert residual("github.event_name == 'push' && fromJSON(inputs.list)[0] == 'web'", look) is None
    assert residual("github.event_name == 'push' && github.event.inputs['my key'] == 'x'", look) is None
    assert residual("github.event_name == 'push' && !inputs.skip", look) == "!inputs.skip"
    assert residual("github.event_name == 'push' && inputs['1st'] == 'x'", look) is None  # `inputs.1st` is no name


def test_a_manual_deploy_says_what_its_condition_still_asks(tmp_path_factory: pytest.TempPathFactory) -> None:
    # review: the dispatch's own condition was dropped from the manual deploy once it moved to the trigger
    scanned = scan(tmp_path_factory, "manual-asked", {
        W + "deploy.yml": (
            "on:\n  push:\n    branches: [main]\n  workflow_dispatch:\njobs:\n  deploy:\n"
            "    if: github.event_name == 'push' || github.actor == 'octocat'\n    runs-on: ubuntu-latest\n"
            "    environment: production\n    steps:\n      - run: flyctl deploy --remote-only\n"
        ),
    })
    manual = one(ours(scanned, "ci.deploy.manual"), "workflow_dispatch")
    assert manual.text.startswith("workflow_dispatch of deploy.yml (if github.actor == 'octocat') runs job deploy")
    # the push, on which it holds outright, says nothing of it
    [automated] = ours(scanned, "ci.deploy.automated")
    assert automated.text.startswith("Push to main: deploys to production"), automated.text


def test_a_dispatch_says_only_its_own_question(tmp_path_factory: pytest.TempPathFactory) -> None:
    # review: an issue comment's leftover condition was printed as the dispatch's
    scanned = scan(tmp_path_factory, "dispatch-own", {
        W + "d.yml": (
            "on:\n  workflow_dispatch:\n  issue_comment:\n  push:\n    branches: [main]\njobs:\n  deploy:\n"
            "    if: github.event_name != 'issue_comment' || contains(github.event.comment.body, '/deploy')\n"
            "    runs-on: ubuntu-latest\n    environment: production\n    steps:\n      - run: flyctl deploy\n"
        ),
    })
    manual = one(ours(scanned, "ci.deploy.manual"), "workflow_dispatch")
    assert "(if" not in manual.text.split("runs job")[0], manual.text


def test_a_job_s_second_suite_of_one_tool_and_level_is_named_on_its_line(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    # wallabag: `--testsuite integration`, a step printing its deprecations log (a path naming
    # phpunit, no test), then `--testsuite functional`, in one job: the line named the first only
    workflow = (
        "on: push\njobs:\n  phpunit:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: php bin/phpunit --testsuite integration\n"
        "      - run: |\n          deprecations_log=\"$RUNNER_TEMP/wallabag-phpunit-integration.deprecations.log\"\n"
        "          cat \"$deprecations_log\"\n"
        "      - run: php bin/phpunit --testsuite functional\n"
    )
    scanned = scan(tmp_path_factory, "suites", {W + "ci.yml": workflow})
    [line] = [f.text for f in ours(scanned, "ci.test.integration")]
    assert line.endswith(
        "runs php bin/phpunit --testsuite integration and php bin/phpunit --testsuite functional"), line


def test_the_stack_a_job_always_starts_is_named_before_one_a_condition_starts(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    # appwrite's E2E job starts Gitea for one matrix entry (`if:`), then its whole stack: the first,
    # conditional start was the one named
    scanned = scan(tmp_path_factory, "starts", {W + "ci.yml": (
        "on: [push]\njobs:\n  e2e:\n    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n"
        "        service: [Users, VCSGitea]\n    steps:\n"
        "      - if: matrix.service == 'VCSGitea'\n        run: docker compose up -d --wait gitea\n"
        "      - run: docker compose up -d --quiet-pull --wait\n"
        "      - run: npx playwright test\n")})
    [e2e] = ours(scanned, "ci.test.e2e")
    assert "containers started by docker compose up -d --quiet-pull --wait" in e2e.text


def test_a_documentation_site_s_versions_are_no_environments(tmp_path_factory: pytest.TempPathFactory) -> None:
    # headscale's "Deploy development docs" step runs `mike deploy --push development unstable`: the
    # docs' development version, said to be a deploy to the Development environment
    scanned = scan(tmp_path_factory, "mike", {W + "docs-deploy.yml": (
        "name: Deploy docs\non:\n  push:\n    branches: [main]\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - name: Deploy development docs\n        run: mike deploy --push development unstable\n")})
    [deploy] = ours(scanned, "ci.deploy.automated")
    assert "development" not in deploy.text.split(" with ")[0].lower() and deploy.env is None
    assert "the documentation site" in deploy.text



def test_a_job_that_runs_when_no_pull_request_is_there_never_runs_on_one(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    # kanboard's multiplatform build: `if: ${{ ! github.event.pull_request }}`, said to run "on pull
    # requests to main if ! github.event.pull_request"
    scanned = scan(tmp_path_factory, "no-pr", {W + "docker.yml": (
        "on:\n  schedule:\n    - cron: '0 1 * * *'\n  pull_request:\n    branches: [main]\njobs:\n"
        "  multiplatform-build:\n    if: ${{ ! github.event.pull_request }}\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - uses: docker/build-push-action@v6\n        with:\n          push: true\n"
        "          tags: acme/app:nightly\n")})
    [build] = ours(scanned, "ci.build")
    assert "pull request" not in build.text and "nightly" in build.text
