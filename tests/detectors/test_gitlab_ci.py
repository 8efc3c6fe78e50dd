"""GitLab CI detector: includes, extends, !reference, rules, environments, facts and broken input.

Fixtures live in tests/fixtures/gitlab_ci/<case>/ (one small repository each); every one names
the public file its shape is modelled on.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import FIXTURES, diagnostics_for, facts_for, scan_tree, texts, write_tree
from infrascan.detectors.gitlab_ci import (
    GitLabCIDetector,
    load_recovering,
    project_path,
    rename_duplicate_anchors,
    url_kind,
)
from infrascan.detectors.gitlab_ci_config import (
    Composer,
    FileDoc,
    GMap,
    decode,
    encode,
    repo_path,
    wildcard_regex,
)
from infrascan.detectors.gitlab_ci_rules import Atom, ExpressionError, When, cond, describe, parse_condition
from infrascan.detectors.scripts import ScriptsDetector

from infrascan.commands import classify
from infrascan.config import load_config
from infrascan.detector import ResolveContext, SourceFile
from infrascan.merge import Model
from infrascan.model import Confidence
from infrascan.registry import Registry
from infrascan.scan import run_scan
from infrascan.source import RepoSource
from infrascan.yamlload import load_yaml


@dataclass
class Scanned:
    model: Model


_SCANS: dict[str, Scanned] = {}


def fixture(tmp_path: Path, name: str) -> Scanned:
    """Scans tests/fixtures/gitlab_ci/<name> with the GitLab CI and scripts detectors, once per session."""
    if name not in _SCANS:
        root = FIXTURES / "gitlab_ci" / name
        files = {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in root.rglob("*") if p.is_file()}
        repo = write_tree(tmp_path / "repo", files)
        config = load_config(repo)
        source = RepoSource(repo, max_file_size=config.max_file_size, skip=config.skip)
        try:
            registry = Registry([GitLabCIDetector(), ScriptsDetector()], [], {})
            _SCANS[name] = Scanned(run_scan(source, config, registry))
        finally:
            source.close()
    return _SCANS[name]


def ci_facts(scanned: Scanned, field: str) -> list[str]:
    """Texts of the GitLab CI facts of a field that fill it (hints are asserted on separately)."""
    return [
        f.text
        for f in facts_for(scanned.model, field)
        if any(e.detector == "gitlab-ci" for e in f.evidence) and f.confidence is not Confidence.HINT
    ]


def one(items: list[str], needle: str) -> str:
    found = [t for t in items if needle.lower() in t.lower()]
    assert len(found) == 1, (needle, items)
    return found[0]


def gitlab_diagnostics(scanned: Scanned) -> list[tuple[str, int | None, str]]:
    return [(d.path, d.line, d.message) for d in scanned.model.diagnostics if d.detector == "gitlab-ci"]


# ==== includes ====================================================================================


def test_local_includes_with_wildcards_slashes_nesting_and_same_project(tmp_path: Path) -> None:
    scanned = fixture(tmp_path, "includes")
    build = one(ci_facts(scanned, "ci.build"), "job build ")
    assert "$CI_REGISTRY_IMAGE/api:$CI_COMMIT_SHA" in build  # the root's variables reach included jobs
    assert "pushed to the GitLab container registry" in build
    assert one(ci_facts(scanned, "ci.test.unit"), "job pytest").startswith("pytest -q tests/unit")
    deploy = one(ci_facts(scanned, "ci.deploy.automated"), "deploy-prod")
    assert "deploys to production on push to main" in deploy
    # `.kube` comes from ci/common.yml, included by ci/deploy.yml (a nested include)
    assert not [d for d in gitlab_diagnostics(scanned) if "extends" in d[2]]
    urls = facts_for(scanned.model, "env.url", env="production")
    assert [f.attrs["url"] for f in urls] == ["https://api.acme-payments.io"]


def test_remote_component_and_other_projects_are_recorded_not_fetched(tmp_path: Path) -> None:
    messages = [m for _, _, m in gitlab_diagnostics(fixture(tmp_path, "includes"))]
    assert any("remote include `https://example.org/shared/ci.yml` not fetched" in m for m in messages)
    assert any("CI/CD component" in m and "scan@1.2.0" in m for m in messages)
    assert any("another project `acme/ci-templates:/templates/notify.yml`" in m for m in messages)
    assert not any("ci/release.yml" in m for m in messages)  # `project: $CI_PROJECT_PATH` is this repository


def test_template_include_is_data_never_fetched(tmp_path: Path) -> None:
    hints = [f for f in facts_for(fixture(tmp_path, "includes").model, "ci.test.unit") if "SAST" in f.text]
    assert len(hints) == 1 and hints[0].confidence is Confidence.HINT
    assert "GitLab template Security/SAST.gitlab-ci.yml" in hints[0].text


def test_include_cycle_is_refused_with_file_and_line(tmp_path: Path) -> None:
    scanned = fixture(tmp_path, "include_loop")
    assert ("ci/b.yml", 2, "include cycle refused: ci/a.yml -> ci/b.yml -> ci/a.yml") in gitlab_diagnostics(scanned)
    assert one(ci_facts(scanned, "ci.build"), "job build").startswith("go build")
    assert one(ci_facts(scanned, "ci.test.unit"), "job unit").startswith("go test")


def test_paths_outside_the_repository_are_refused(tmp_path: Path) -> None:
    scanned = fixture(tmp_path, "include_escape")
    diagnostics = gitlab_diagnostics(scanned)
    assert (".gitlab-ci.yml", 3, "include `../../etc/passwd` points outside the repository; refused") in diagnostics
    assert (
        ".gitlab-ci.yml",
        4,
        "include `/ci/../../secrets.yml` points outside the repository; refused",
    ) in diagnostics
    assert (".gitlab-ci.yml", 5, "included file `ci/missing.yml` does not exist in the repository") in diagnostics
    assert ci_facts(scanned, "ci.test.unit")  # the rest is still documented


def test_project_include_of_this_repository_found_by_remote_url() -> None:
    doc = load_yaml("include:\n  - project: Acme/Shop\n    file: ci/jobs.yml\n").documents[0]
    jobs = load_yaml("deploy:\n  script: [kamal deploy]\n").documents[0]
    files = {
        ".gitlab-ci.yml": FileDoc(".gitlab-ci.yml", decode(encode(doc, []).data, ".gitlab-ci.yml"), None, []),
        "ci/jobs.yml": FileDoc("ci/jobs.yml", decode(encode(jobs, []).data, "ci/jobs.yml"), None, []),
    }
    seen: list[str] = []
    composer = Composer(files, list(files), project_path("git@gitlab.com:acme/shop.git"), lambda *a: seen.append(a[2]))
    assert "deploy" in composer.compose(".gitlab-ci.yml").config and not seen
    other = Composer(
        files, list(files), project_path("https://gitlab.com/acme/other.git"), lambda *a: seen.append(a[2])
    )
    assert "deploy" not in other.compose(".gitlab-ci.yml").config
    assert any("another project" in m for m in seen)


def test_project_path_from_remote_urls() -> None:
    assert project_path("https://gitlab.com/group/sub/project.git") == "group/sub/project"
    assert project_path("git@gitlab.example.org:group/project.git") == "group/project"
    assert project_path(None) is None


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [  # GitLab's grammar (gitlab-org/gitlab!60489): `*` one level, `**/` any directories, `**` anything
        (".gitlab/ci/*.yml", ".gitlab/ci/build.yml", True),
        (".gitlab/ci/*.yml", ".gitlab/ci/sub/build.yml", False),
        (".gitlab/ci/**/*.yml", ".gitlab/ci/build.yml", True),
        (".gitlab/ci/**/*.yml", ".gitlab/ci/a/b/build.yml", True),
        ("configs/**.yml", "configs/x/y.yml", True),
        ("*.yml", "ci/build.yml", False),
    ],
)
def test_wildcard_includes_follow_gitlab_grammar(pattern: str, path: str, matches: bool) -> None:
    assert bool(wildcard_regex(pattern).match(path)) is matches


def test_repo_path_refuses_climbing_out() -> None:
    assert repo_path("/ci/a.yml") == "ci/a.yml"
    assert repo_path("ci/./b/../a.yml") == "ci/a.yml"
    assert repo_path("../x.yml") is None
    assert repo_path("/a/../../x.yml") is None


# ==== extends, !reference, anchors ===============================================================


def test_extends_deep_merges_maps_replaces_lists_and_later_parents_win(tmp_path: Path) -> None:
    scanned = fixture(tmp_path, "extends")
    rspec = one(ci_facts(scanned, "ci.test.integration"), "job rspec")
    assert rspec.startswith("rspec in job rspec")  # `.tagged` (the last parent) replaced `.base`'s script
    assert "PostgreSQL 16 (postgres:16)" in rspec  # services from `.with-db`
    fact = next(f for f in facts_for(scanned.model, "ci.test.integration") if "job rspec" in f.text)
    assert fact.attrs["job"] == "rspec" and fact.attrs["stage"] == "test"


def test_extends_cycle_and_missing_parent_are_diagnosed(tmp_path: Path) -> None:
    scanned = fixture(tmp_path, "extends")
    diagnostics = gitlab_diagnostics(scanned)
    assert (".gitlab-ci.yml", 35, "`extends` cycle in job `.b`: .a -> .b -> .a; ignored") in diagnostics
    assert (".gitlab-ci.yml", 43, "job `orphan` extends `.does-not-exist`, which is not defined") in diagnostics
    assert one(ci_facts(scanned, "ci.test.unit"), "job looping")  # still documented
    assert one(ci_facts(scanned, "ci.test.unit"), "job orphan")


def test_reference_resolves_nested_lists_in_services_before_script_and_rules(tmp_path: Path) -> None:
    scanned = fixture(tmp_path, "reference")
    integration = one(ci_facts(scanned, "ci.test.integration"), "job integration")
    assert "PostgreSQL 15 (postgres:15), Redis 7 (redis:7)" in integration
    assert "push to the default branch" in integration  # rules came through `!reference`
    assert (".gitlab-ci.yml", 33, "`!reference [.nowhere, script]` points at nothing") in gitlab_diagnostics(scanned)
    assert one(ci_facts(scanned, "ci.test.unit"), "job dangling")


def test_anchors_merge_keys_and_redefined_anchors(tmp_path: Path) -> None:
    scanned = fixture(tmp_path, "anchors")
    builds = ci_facts(scanned, "ci.build")
    tag = one(builds, "build-docker-tag")
    assert "acme/shop:${CI_COMMIT_TAG}" in tag and "pushed to Docker Hub" in tag and "on tags" in tag
    main = one(builds, "build-docker-main")  # `*release-tag-rules` is the latest definition
    assert "except matching" in main and "only in namespace acme" in main
    assert gitlab_diagnostics(scanned) == []


def test_renaming_duplicate_anchors_keeps_lines_and_other_text() -> None:
    source = "a: &x 1\nb: *x\nc: &x 2\nd: *x\ne: echo a && b *.log\n"
    renamed = rename_duplicate_anchors(source)
    assert renamed.count("\n") == source.count("\n")
    assert load_yaml(renamed).documents[0] == {"a": 1, "b": 1, "c": 2, "d": 2, "e": "echo a && b *.log"}


# ==== broken input =================================================================================


def test_tab_in_one_job_costs_that_job_only(tmp_path: Path) -> None:
    scanned = fixture(tmp_path, "broken_tab")
    messages = diagnostics_for(scanned.model, ".gitlab-ci.yml")
    assert "`broken` (lines 8-11) left out: it does not parse as YAML" in messages
    assert any(d[1] == 10 and d[2].startswith("invalid YAML") for d in gitlab_diagnostics(scanned))
    assert one(ci_facts(scanned, "ci.test.unit"), "job unit")
    assert one(ci_facts(scanned, "ci.deploy.manual"), "job deploy")


def test_unclosed_bracket_costs_that_job_only(tmp_path: Path) -> None:
    scanned = fixture(tmp_path, "broken_bracket")
    assert (".gitlab-ci.yml", 6, "`lint` (lines 6-8) left out: it does not parse as YAML") in gitlab_diagnostics(
        scanned
    )
    assert one(ci_facts(scanned, "ci.deploy.automated"), "job deploy")
    assert one(ci_facts(scanned, "ci.test.unit"), "job unit")


def test_unknown_tag_is_reported_and_the_file_read(tmp_path: Path) -> None:
    scanned = fixture(tmp_path, "unknown_tag")
    assert (
        ".gitlab-ci.yml",
        3,
        "unknown YAML tag `!vault`: GitLab rejects it; its value is read as plain YAML",
    ) in gitlab_diagnostics(scanned)
    assert one(ci_facts(scanned, "ci.test.unit"), "go test")


def test_load_recovering_gives_up_only_on_unplaceable_errors() -> None:
    assert load_recovering("a: [1, 2\n").documents == []
    recovered = load_recovering("ok:\n  script: [x]\nbad: : :\nalso:\n  script: [y]\n")
    assert set(recovered.documents[0]) == {"ok", "also"}


# ==== rules and triggers ==========================================================================


def test_rules_triggers_manual_delayed_schedule_and_web(tmp_path: Path) -> None:
    scanned = fixture(tmp_path, "rules")
    automated = ci_facts(scanned, "ci.deploy.automated")
    manual = ci_facts(scanned, "ci.deploy.manual")
    assert "deploys to staging on push to the default branch:" in one(automated, "deploy-staging")
    canary = one(automated, "job canary")
    assert "on push to main, 30 minutes after the job is reached (when: delayed)" in canary
    production = one(manual, "deploy-production")
    assert (
        production.startswith("Job deploy-production") and r"on tags matching /^v\d+\.\d+\.\d+$/" in production
    )
    assert "on pipelines run from the UI" in one(manual, "web-only")
    assert one(ci_facts(scanned, "ci.test.e2e"), "nightly-e2e").endswith("scheduled pipelines")
    assert one(ci_facts(scanned, "ci.test.unit"), "job unit").endswith("every push and merge request")
    fact = next(f for f in facts_for(scanned.model, "ci.deploy.manual") if "deploy-production" in f.text)
    assert fact.attrs["manual"] is True and fact.attrs["environment"] == "production"
    assert fact.attrs["ci"] == "gitlab-ci" and fact.attrs["pipeline"] == ".gitlab-ci.yml"
    assert "manual" in fact.attrs["triggers"]


def test_workflow_gates_jobs_it_never_creates_pipelines_for(tmp_path: Path) -> None:
    scanned = fixture(tmp_path, "rules_gate")
    assert (".gitlab-ci.yml", 7, "job `release` never runs: its rules never add it") in gitlab_diagnostics(scanned)
    assert one(ci_facts(scanned, "ci.test.unit"), "go test").endswith("branch pushes and merge requests")


def test_only_except_refs_keywords_regexes_and_projects(tmp_path: Path) -> None:
    scanned = fixture(tmp_path, "only_except")
    builds = ci_facts(scanned, "ci.build")
    assert one(builds, "job package-app ").endswith("on tags; only in project acme/shop")
    dev = one(builds, "package-app-dev")
    assert dev.endswith("on push to any branch; tags (outside project acme/shop)"), "the project is not for both"
    # The diagram draws the project's own pipelines: its tags never start package-app-dev.
    dev_fact = next(f for f in facts_for(scanned.model, "ci.build") if "package-app-dev" in f.text)
    assert dev_fact.attrs["triggers"] == ["push"]
    assert one(builds, "build-util-image").endswith("on push to any branch (manual); changes to util/*")
    docs = one(ci_facts(scanned, "ci.deploy.automated"), "deploy-docs")
    assert "on push to master or branches matching /^release-.*$/; changes to docs/**/*" in docs


@pytest.mark.parametrize(
    ("expression", "dnf"),
    [
        ('$CI_COMMIT_BRANCH == "main"', [(Atom("CI_COMMIT_BRANCH", "==", "str", "main"),)]),
        ("$CI_COMMIT_TAG", [(Atom("CI_COMMIT_TAG", "set"),)]),
        ("$CI_COMMIT_TAG != null", [(Atom("CI_COMMIT_TAG", "set"),)]),
        ('$VAR == ""', [(Atom("VAR", "unset"),)]),
        (
            "($A || $B) && $C =~ /x/i",
            [
                (Atom("A", "set"), Atom("C", "=~", "regex", "/x/i")),
                (Atom("B", "set"), Atom("C", "=~", "regex", "/x/i")),
            ],
        ),
        (
            "$CI_DEFAULT_BRANCH == $CI_COMMIT_BRANCH",
            [(Atom("CI_DEFAULT_BRANCH", "==", "var", "CI_COMMIT_BRANCH"),)],
        ),
    ],
)
def test_rule_expressions_parse_to_normal_form(expression: str, dnf: list[tuple[Atom, ...]]) -> None:
    assert parse_condition(expression) == dnf


@pytest.mark.parametrize("expression", ["$A ==", "($A", "$A == 'x' &&", "== 'x'"])
def test_unreadable_rule_expressions_raise(expression: str) -> None:
    with pytest.raises(ExpressionError):
        parse_condition(expression)


# ==== environments, services, deploys ===========================================================


def test_environments_urls_tiers_candidates_and_review_apps(tmp_path: Path) -> None:
    scanned = fixture(tmp_path, "environments")
    portal = facts_for(scanned.model, "env.url", env="production")
    declared = [f for f in portal if f.confidence is Confidence.DECLARED]
    assert [f.attrs["url"] for f in declared] == [
        "https://portal.acme-retail.com"
    ]  # deployment_tier wins, $DOMAIN substituted
    assert [f.confidence for f in portal if "DYNAMIC" in f.text] == [Confidence.HINT]
    review = facts_for(scanned.model, "env.url", env="review/*")
    assert review[0].confidence is Confidence.INFERRED and "URL pattern" in review[0].text
    assert "review.acme-retail.com" in review[0].attrs["url"]
    purpose = texts(facts_for(scanned.model, "env.purpose", env="review/*"))
    assert purpose == [
        "Review app per merge request: job review (.gitlab-ci.yml) deploys review/$CI_COMMIT_REF_SLUG (merge requests)"
    ]
    special = texts(facts_for(scanned.model, "env.special", env="review/*"))
    assert special == [
        "Torn down by the manual job stop-review (action: stop) and stopped automatically after 3 days (auto_stop_in)"
    ]
    manual = one(ci_facts(scanned, "ci.deploy.manual"), "manual-target")
    assert "deploys to staging, production on pipelines run from the UI" in manual  # `options:` candidates
    assert "values-$TARGET.yaml" in manual  # a choice is not substituted as if it were a value
    assert [f.confidence for f in facts_for(scanned.model, "env.url", env="preview")] == [Confidence.HINT]
    assert not facts_for(scanned.model, "ci.deploy.automated", env=None) or all(
        "stop-review" not in t for t in ci_facts(scanned, "ci.deploy.automated")
    )


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://staging.acme.io", "static"),
        ("https://$CI_ENVIRONMENT_SLUG.review.acme.dev", "pattern"),
        ("https://downloads.acme.io/${CI_COMMIT_REF_NAME}/index.html", "pattern"),
        ("http://$CI_PROJECT_ID-$CI_ENVIRONMENT_SLUG.$KUBE_INGRESS_BASE_DOMAIN", "dynamic"),
        ("$DYNAMIC_ENVIRONMENT_URL", "dynamic"),
        ("https://example.com", "placeholder"),
        ("http://localhost:3000", "placeholder"),
    ],
)
def test_url_kinds(url: str, kind: str) -> None:
    assert url_kind(url) == kind


def test_services_give_test_levels_and_dind_is_tooling(tmp_path: Path) -> None:
    scanned = fixture(tmp_path, "services")
    integration = ci_facts(scanned, "ci.test.integration")
    phpunit = one(integration, "job phpunit")
    assert phpunit.startswith("vendor/bin/phpunit --log-junit unitreport.xml")  # `$PHPUNIT_COMMAND` expanded
    assert "MySQL 8.0 (mysql:8.0)" in phpunit  # the dependency proxy prefix is not the image
    assert "exunit (mix coveralls)" in one(integration, "job exunit")
    assert "selenium/standalone-firefox:latest" in one(ci_facts(scanned, "ci.test.e2e"), "job browser")
    build = one(ci_facts(scanned, "ci.build"), "image-build")
    assert "services" not in build and "built (" in build  # docker:dind is tooling; no push, so "built"
    junit = one(ci_facts(scanned, "ci.test.unit"), "job suite")
    assert junit.startswith("Tests reporting JUnit results (report.xml)")


def test_child_pipeline_parsed_and_downstream_project_unresolved(tmp_path: Path) -> None:
    scanned = fixture(tmp_path, "trigger")
    child = next(f for f in facts_for(scanned.model, "ci.build") if "build-frontend" in f.text)
    assert child.attrs["pipeline"] == "ci/frontend.yml" and "on push to the default branch" in child.text
    automated = ci_facts(scanned, "ci.deploy.automated")
    downstream = one(automated, "trigger deploy to kubernetes")
    assert (
        "through a pipeline of project acme/infra/k8s-deployments (defined outside this repository) on tags"
        in downstream
    )
    assert not [t for t in automated if "integration" in t]  # a downstream test suite is not a deploy
    builds = ci_facts(scanned, "ci.build")
    assert one(builds, "packaging-trigger").startswith(
        "Pipeline of project acme/ops/shop-packaging started (defined outside this repository) in job "
        "packaging-trigger (stage deploy, .gitlab-ci.yml), on tags")
    assert one(builds, "release_notes").startswith(
        "GitLab release of the tag created (release:) in job release_notes (.gitlab-ci.yml), on tags matching")
    assert not [t for t in builds if "integration-suite" in t]  # no build word: not a build step
    assert not [t for t in builds if "package-verification" in t]  # a check, whatever its project's words


def test_templates_auto_devops_and_terraform_as_data(tmp_path: Path) -> None:
    scanned = fixture(tmp_path, "templates")
    automated = ci_facts(scanned, "ci.deploy.automated")
    review = one(automated, "job review")
    assert "GitLab template Jobs/Deploy.gitlab-ci.yml" in review and "except the default branch" in review
    assert "on push to the default branch" in one(automated, "job staging ")
    manual = ci_facts(scanned, "ci.deploy.manual")
    assert "deploys to production on push to the default branch" in one(manual, "production_manual")
    assert "gitlab-terraform apply" in one(manual, "tf-apply")
    # STAGING_ENABLED is set, so Auto DevOps' automatic production job never runs
    assert (".gitlab-ci.yml", 4, "job `production` never runs: its rules never add it") in gitlab_diagnostics(scanned)
    assert any("unknown to infrascan `Nonexistent/Thing.gitlab-ci.yml`" in d[2] for d in gitlab_diagnostics(scanned))
    assert all(f.confidence is not Confidence.DECLARED for f in facts_for(scanned.model, "ci.deploy.automated"))


def test_spec_header_inputs_are_interpolated(tmp_path: Path) -> None:
    scanned = fixture(tmp_path, "spec_header")
    assert one(ci_facts(scanned, "ci.deploy.manual"), "deploy-production").endswith(
        "on tags: kamal deploy -d production"
    )
    assert [f.attrs["url"] for f in facts_for(scanned.model, "env.url", env="production")] == [
        "https://shop.acme-retail.com"
    ]


def test_ci_file_not_included_anywhere_is_a_template_and_gives_hints(tmp_path: Path) -> None:
    scanned = fixture(tmp_path, "not_root")
    facts = [f for f in facts_for(scanned.model, "ci.deploy.automated") if "terraform-apply" in f.text]
    assert len(facts) == 1 and facts[0].confidence is Confidence.HINT
    assert "terraform apply -input=false -auto-approve tfplan from build/tf-wrapper.sh" in facts[0].text
    assert "a template to copy, or a custom CI path" in facts[0].text
    # `tf-wrapper.sh plan` / `init` do not run the script's `terraform apply`
    assert not [f for f in facts_for(scanned.model, "ci.deploy.automated") if "terraform-plan" in f.text]
    assert any("not included by the repository's `.gitlab-ci.yml`" in d[2] for d in gitlab_diagnostics(scanned))


def test_make_npm_and_script_indirection(tmp_path: Path) -> None:
    scanned = fixture(tmp_path, "indirection")
    deploy = one(ci_facts(scanned, "ci.deploy.automated"), "job deploy")
    assert "helm upgrade --install app ./chart" in deploy and deploy.endswith("from Makefile")
    assert one(ci_facts(scanned, "ci.test.unit"), "js-test").startswith("vitest run")
    assert "registry.gitlab.com/acme/app:latest built and pushed" in one(ci_facts(scanned, "ci.build"), "publish-image")
    steps = [f.attrs["step"] for f in sorted(facts_for(scanned.model, "deploy.steps"), key=lambda f: f.order)]
    assert steps == ["Build and push image", "Deploy", "Verify"]
    assert one(ci_facts(scanned, "deploy.rollback.perform"), "Automatic:")
    assert one(ci_facts(scanned, "deploy.rollback.verify"), "kubectl rollout status")
    # The check follows the deploy; that it also verifies a rollback is inferred.
    assert {f.confidence for f in facts_for(scanned.model, "deploy.rollback.verify")} == {Confidence.INFERRED}


def test_workspace_flags_pick_the_package_whose_script_runs(tmp_path: Path) -> None:
    """`pnpm --dir ui/ --filter @acme/console cy:run` runs that package's script, not the root's."""
    scanned = fixture(tmp_path, "workspace_flags")
    e2e = one(ci_facts(scanned, "ci.test.e2e"), "job e2e-console")
    assert e2e.startswith("cypress (pnpm cypress run)")
    unit = one(ci_facts(scanned, "ci.test.unit"), "job web-unit")
    assert unit.startswith("vitest run")
    cited = {(e.path, e.line) for f in facts_for(scanned.model, "ci.test.e2e") for e in f.evidence}
    assert ("ui/packages/console/package.json", 5) in cited


def test_pages_is_a_deploy_and_verify_jobs_are_not(tmp_path: Path) -> None:
    scanned = fixture(tmp_path, "pages_verify")
    automated = ci_facts(scanned, "ci.deploy.automated")
    assert "deploys the GitLab Pages site (public/) on push to the default branch" in one(automated, "job pages")
    assert one(automated, "publish images")
    assert not [t for t in automated if "verify stable images" in t]


def test_pages_that_publishes_a_coverage_report_is_not_the_application_deployment(tmp_path: Path) -> None:
    scanned = fixture(tmp_path, "pages_report")
    assert ci_facts(scanned, "ci.deploy.automated") == []
    assert ci_facts(scanned, "deploy.steps") == []
    hints = [f for f in facts_for(scanned.model, "ci.deploy.automated") if f.confidence is Confidence.HINT]
    assert [f.text for f in hints] == [
        "Job pages (.gitlab-ci.yml) publishes a test report to GitLab Pages (mv htmlcov/ public/) on every push: "
        "a report site, not a deployment of the application"
    ]
    assert [e.line for e in hints[0].evidence] == [14, 18]


# ==== phase 1 purity (what the cache relies on) ===================================================


def test_phase_one_records_are_plain_json_and_phase_two_reads_only_them(tmp_path: Path) -> None:
    detector = GitLabCIDetector()
    source = (FIXTURES / "gitlab_ci" / "reference" / ".gitlab-ci.yml").read_text(encoding="utf-8")
    extraction = detector.extract(SourceFile(".gitlab-ci.yml", source))
    record = extraction.records[0]
    assert json.loads(json.dumps(record.data)) == record.data
    assert detector.extract(SourceFile(".gitlab-ci.yml", source)).records[0].data == record.data
    ctx = ResolveContext([".gitlab-ci.yml"], {("gitlab-ci", ".gitlab-ci.yml"): extraction}, _config(), _catalog())
    facts = detector.resolve(ctx)
    assert any("job integration" in f.text for f in facts)


def _config():  # type: ignore[no-untyped-def]
    from infrascan.config import Config

    return Config()


def _catalog():  # type: ignore[no-untyped-def]
    from infrascan.catalog import load_catalog

    return load_catalog()


def test_block_scalar_commands_keep_their_own_lines() -> None:
    source = "deploy:\n  script:\n    - |\n      echo start\n      kamal deploy\n"
    data = encode(load_yaml(source).documents[0], source.split("\n")).data
    node = decode(data, "f.yml")
    assert isinstance(node, GMap)
    script = node["deploy"]["script"]
    assert script.where_of(0) == ("f.yml", 4)  # the first content line, not the `|` line


# ==== command rules (data/commands/70-gitlab-ci.yaml) ===========================================


@pytest.mark.parametrize(
    ("command", "rule", "kind", "tool"),
    [
        # GitLab's Auto DevOps templates (gitlab-org/gitlab lib/gitlab/ci/templates/Jobs/*.gitlab-ci.yml)
        ("/build/build.sh", "auto-build", "build", "docker"),
        ("/build/build.sh", "auto-build-push", "push", "docker"),
        ("auto-deploy deploy", "auto-deploy", "deploy", "helm"),
        ("auto-deploy deploy canary 25", "auto-deploy", "deploy", "helm"),
        ("/bin/herokuish buildpack test", "herokuish-test", "test", "herokuish"),
        ("herokuish buildpack test", "herokuish-test", "test", "herokuish"),
        # gitlab-org/terraform-images (Terraform/Base.gitlab-ci.yml): the generic rule covers the wrapper
        ("gitlab-terraform apply", "terraform-apply", "deploy", "terraform"),
        ("gitlab-terraform apply -auto-approve", "terraform-apply", "deploy", "terraform"),
        # framasoft/mobilizon/.gitlab-ci.yml
        ("mix coveralls", "mix-coveralls", "test", "exunit"),
        ("mix coveralls.json --umbrella", "mix-coveralls", "test", "exunit"),
        ("mix release --path release/mobilizon", "mix-release", "build", "elixir"),
        ("MIX_ENV=prod mix release", "mix-release", "build", "elixir"),
        # passbolt/passbolt_api/.gitlab-ci/jobs/php_unit_tests/runner.yml
        ('bin/paratest -p "$IMAGE:$PHP_VERSION" -d "$DB"', "paratest", "test", "phpunit"),
        ("vendor/bin/paratest --processes 4", "paratest", "test", "phpunit"),
        # gitlabhq/gitlab-runner/.gitlab/ci/build.gitlab-ci.yml
        ("make -j$(($(nproc) * 2)) helper-bin helper-bin-fips runner-bin", "make-arithmetic-jobs", "indirect", "make"),
        ("gmake -j$((N + 1)) all", "make-arithmetic-jobs", "indirect", "make"),
    ],
)
def test_gitlab_command_rules(command: str, rule: str, kind: str, tool: str) -> None:
    assert (rule, kind, tool) in {(c.rule, c.kind, c.tool) for c in classify(command)}


@pytest.mark.parametrize(
    ("command", "kind"),
    [
        ("auto-deploy download_chart", "deploy"),  # preparing, not deploying
        ("auto-deploy delete", "deploy"),
        ("gitlab-terraform plan", "deploy"),
        ("gitlab-terraform destroy", "deploy"),
        ("mix compile", "build"),
        ("mix deps.get", "test"),
        ("echo /build/build.sh", "build"),
        ("paratest-report summarize", "test"),
    ],
)
def test_gitlab_command_rules_negatives(command: str, kind: str) -> None:
    assert kind not in {c.kind for c in classify(command)}


# ==== fixes found on real repositories ===========================================================


def test_guards_merge_workflow_variables_only_and_build_stage_commands(tmp_path: Path) -> None:
    """gitlab-runner: fork guards on every rule, a workflow that only sets variables, `make -j$((...))`
    in a `build` stage, and a deploy job whose push runs inside a subshell."""
    scanned = fixture(tmp_path, "runner_style")
    binaries = one(ci_facts(scanned, "ci.build"), "job binaries")
    assert binaries.startswith("make -j$(($(nproc) * 2)) helper-bin runner-bin in job binaries (stage build")
    assert "push to the default branch (in project acme/runner or in project acme/security/runner)" in binaries
    assert not [t for t in ci_facts(scanned, "ci.build") if "rpm verify fips" in t]
    deploy = one(ci_facts(scanned, "ci.deploy.automated"), "stable docker images")
    assert deploy.endswith('runs ./pusher runner-images.json "${CI_REGISTRY_IMAGE}" $tags')


def test_pushes_after_a_tag_and_messages_that_mention_push(tmp_path: Path) -> None:
    """fdroidserver: `docker tag` between build and push; an `echo` inside `if ... then` mentions push."""
    scanned = fixture(tmp_path, "fdroid_style")
    build = one(ci_facts(scanned, "ci.build"), "job docker")
    assert "pushed to the GitLab container registry as $CI_REGISTRY_IMAGE:buildserver" in build
    assert one(ci_facts(scanned, "ci.test.unit"), "buildserver run-tests").startswith("Tests (./tests/run-tests")
    assert not [t for t in ci_facts(scanned, "ci.build") if "fdroid build" in t]  # a test of a build command


def test_a_last_trigger_with_its_own_conditions_is_set_apart_whatever_they_end_with() -> None:
    """Decided from the conditions, not from the text: one ending in words is set apart too, and so
    is a manual trigger's."""
    branch, tags = When("branch"), When("tag", qualifiers=(cond("protected refs only"),))
    assert "".join(map(str, describe([branch, tags]))) == "push to any branch; tags (protected refs only)"
    manual = [When("branch", manual=True), When("tag", qualifiers=(cond("protected refs only"),), manual=True)]
    assert "".join(map(str, describe(manual))) == "push to any branch; tags (protected refs only) (manual)"
    assert "".join(map(str, describe([branch, When("schedule")]))) == "push to any branch and scheduled pipelines"


def test_matrix_variables_and_local_exports(tmp_path: Path) -> None:
    """mobilizon: a global ARCH is not the value of a `parallel:matrix` ARCH; `--output type=local`."""
    builds = ci_facts(fixture(tmp_path, "anchors"), "ci.build")
    assert "acme/shop:${CI_COMMIT_TAG}-${ARCH}" in one(builds, "build-docker-tag")
    packaged = one(builds, "package-multi-arch-release")
    assert packaged.startswith("Artifacts built in a container and exported")
    # nor in a job variable that names it: the matrix sets ARCH to arm64 there, not the global amd64
    assert "APP_ASSET=shop_${CI_COMMIT_REF_NAME}_${ARCH}.tar.gz" in packaged and "amd64" not in packaged


def test_builds_inside_test_jobs_are_not_build_steps(tmp_path: Path) -> None:
    scanned = fixture(tmp_path, "rules")
    assert not [t for t in ci_facts(scanned, "ci.build") if "nightly-e2e" in t]


def test_merge_requests_from_this_project_only(tmp_path: Path) -> None:
    deploy = one(ci_facts(fixture(tmp_path, "rules"), "ci.deploy.automated"), "mr-preview-cli")
    assert "on merge requests; only from this project, not forks" in deploy


def test_a_job_whose_only_rule_is_never(tmp_path: Path) -> None:
    scanned = fixture(tmp_path, "rules_gate")
    assert (".gitlab-ci.yml", 18, "job `release-upload` never runs: its rules never add it") in gitlab_diagnostics(
        scanned
    )


def test_per_ref_environments_without_teardown_are_not_review_apps(tmp_path: Path) -> None:
    scanned = fixture(tmp_path, "environments")
    assert one(ci_facts(scanned, "ci.deploy.automated"), "package-deb")
    assert not [f for f in facts_for(scanned.model, "env.purpose") if "package" in f.text]


def test_include_rules_apply_to_the_included_jobs(tmp_path: Path) -> None:
    scan = one(ci_facts(fixture(tmp_path, "includes"), "ci.test.unit"), "cve-scan")
    assert scan.endswith("scheduled pipelines; when SECURITY_AUDIT is 1")


# The sniff as first written: every line start and every offset tried. The detector's own pattern
# is rewritten for speed and must claim exactly the texts this one claims.
_READABLE_SNIFF = re.compile(
    r"(?m)^[ \t]+(?:(?:script|before_script)[ \t]*:(?![ \t]*[\"']?#/)|stage[ \t]*:"
    r"|extends[ \t]*:[ \t]*(?:\r?\n|#|\[|[\"']?\.))|!reference[ \t]*\["
    r"|\$\{?CI_(?:COMMIT|PIPELINE|PROJECT|REGISTRY|DEFAULT|MERGE_REQUEST|JOB|ENVIRONMENT)_"
    r"|^(?:include|workflow|stages)[ \t]*:|^\.[A-Za-z0-9_][\w:.\-]*[ \t]*:"
)


@pytest.mark.parametrize(
    ("text", "claimed"),
    [
        ("include:\n  - local: ci/build.yml\n", True),  # first line, first column
        ("  script:\n    - make\n", True),  # indented key on the first line
        (".deploy-template:\n  image: alpine\n", True),  # hidden job on the first line
        ("# ci\nstages: [build]\n", True),
        ("build:\n  stage: build\n", True),
        ("a: 1\n.base:\n  x: 1\n", True),
        ("job:\n  image: alpine\n  variables:\n    TAG: $CI_COMMIT_SHORT_SHA\n", True),  # anywhere on a line
        ("rules: !reference [.rules, deploy]\n", True),
        ("x: ${CI_PROJECT_DIR}/out\n", True),
        ("apiVersion: v1\nkind: ConfigMap\ndata:\n  script.sh: echo\n", False),  # `script.sh`, not `script:`
        ("name: CI\non: push\njobs:\n  build:\n    steps:\n      - run: make\n", False),  # GitHub Actions
        ("xinclude: 1\nstagesx: 2\n", False),
        ("key: include:\nvalue: $CI_UNKNOWN_THING\n", False),
        ("", False),
        # API descriptions: Fern's `extends:` names a type, an OpenAPI patch's `script:` a JSON pointer
        ("types:\n  Trace:\n    extends: Trace\n", False),
        ("- op: add\n  value:\n    mapping:\n      script: \"#/components/schemas/x\"\n", False),
        ("job:\n  extends: .base\n", True),
        ("job:\n  extends:\n    - .base\n", True),
    ],
)
def test_the_sniff_claims_yaml_that_reads_like_gitlab_ci(text: str, claimed: bool) -> None:
    sniff = GitLabCIDetector.sniff
    assert sniff is not None
    assert bool(sniff.pattern.search(text)) is claimed
    assert bool(_READABLE_SNIFF.search(text)) is claimed


def test_the_sniff_claims_what_the_readable_pattern_claims() -> None:
    """Random texts from the pieces both patterns look for, plus every YAML fixture of the suite."""
    sniff = GitLabCIDetector.sniff
    assert sniff is not None
    pieces = "\n| |\t|script|before_script|extends|stage|stages|include|workflow|:|.|.job|x|-|!reference| [|$|{|CI_"
    pieces += "|COMMIT|JOB|_|#|#/|\"|["
    rng = random.Random(20261125)
    words = pieces.split("|")
    texts_ = ["".join(rng.choice(words) for _ in range(rng.randint(0, 14))) for _ in range(20000)]
    texts_ += [p.read_text(encoding="utf-8", errors="replace") for p in FIXTURES.rglob("*.y*ml")]
    claimed = [t for t in texts_ if _READABLE_SNIFF.search(t[: sniff.head])]
    assert 200 < len(claimed) < len(texts_) - 200  # the generator reaches both answers
    assert [t for t in texts_ if sniff.pattern.search(t[: sniff.head])] == claimed


def test_a_test_word_in_a_build_or_release_job_name_is_not_a_test_job(tmp_path: Path) -> None:
    # gitlab-runner: `clone test repo` (stage build) and `package test variables` (postrelease)
    # were listed as unit tests with a fragment of their scripts as the command.
    pipeline = (
        "stages: [build, test, postrelease]\n"
        "clone test repo:\n  stage: build\n  script:\n    - git clone https://example.com/fixtures.git tmp\n"
        "package test variables:\n  stage: postrelease\n  script:\n    - ./write-vars.sh > vars.env\n"
        "unit tests:\n  stage: test\n  script:\n    - make check-all\n"
    )
    repo = write_tree(tmp_path / "repo", {".gitlab-ci.yml": pipeline})
    source = RepoSource(repo)
    try:
        model = run_scan(source, load_config(repo), Registry([GitLabCIDetector(), ScriptsDetector()], [], {}))
    finally:
        source.close()
    shown = texts(facts_for(model, "ci.test.unit"))
    assert not any("clone test repo" in t or "package test variables" in t for t in shown), shown
    assert any("unit tests" in t for t in shown), shown  # the name still counts in a test stage


def test_other_tools_yaml_is_not_read_as_gitlab_ci(tmp_path: Path) -> None:
    # Modelled on codefresh-contrib/helm-promotion-sample-app pipelines/1_basic_deploy.yml: `stages:`
    # and `stage:` like GitLab, but a top-level `steps:`, which GitLab CI does not have.
    codefresh = ('version: "1.0"\nstages:\n  - "clone"\n  - "build"\nsteps:\n  build:\n    title: "Building"\n'
                 '    type: "build"\n    image_name: "acme/app"\n    stage: "build"\n')
    drone = "kind: pipeline\ntype: docker\nname: default\nsteps:\n  - name: test\n    image: golang\n    commands:\n" \
            "      - go test ./...\n"
    gitlab = "stages: [test]\nunit:\n  stage: test\n  script:\n    - go test ./...\n"
    # cloudposse/terraform-aws-components README.yaml: the README generator's own `include:`
    readme = 'name: components\ndescription: |-\n  Catalog.\ninclude:\n  - "docs/targets.md"\ncontributors: []\n'
    # FreshRSS's Jekyll docs/_config.yml: `include:` of one Markdown file, on its line
    jekyll = "theme: jekyll-theme-cayman\ntitle: FreshRSS\n\nshow_downloads: true\n\ninclude: contributing.md\n"
    # navidrome's resources/mappings.yaml: a tag named `script` whose value is a mapping
    mappings = "main:\n  title:\n    aliases: [ tit2, title ]\nadditional:\n  script:\n    aliases: [ txxx:script ]\n"
    # jhipster's src/main/docker/services.yml: a compose file by another name, whose services
    # `extends:` another file's; GitLab's global `services:` is a list, never a mapping of names
    compose = ("name: app\nservices:\n  postgresql:\n    extends:\n      file: ./postgresql.yml\n"
               "      service: postgresql\n    profiles:\n      - ''\n      - prod\n")
    scanned = scan_tree(tmp_path, {"pipelines/basic.yml": codefresh, ".drone.yml": drone, ".gitlab-ci.yml": gitlab,
                                   "README.yaml": readme, "docs/_config.yml": jekyll,
                                   "resources/mappings.yaml": mappings, "src/main/docker/services.yml": compose})
    read = {s.detector: s.files for s in scanned.model.sources}
    assert read["gitlab-ci"] == 1  # .gitlab-ci.yml only
    cited = {e.path for f in facts_for(scanned.model, "ci.test.unit") for e in f.evidence}
    assert cited == {".gitlab-ci.yml"}


def _scan_pipeline(tmp_path: Path, files: dict[str, str | bytes]) -> Model:
    repo = write_tree(tmp_path / "repo", files)
    source = RepoSource(repo)
    try:
        return run_scan(source, load_config(repo), Registry([GitLabCIDetector(), ScriptsDetector()], [], {}))
    finally:
        source.close()


def _lines(model: Model, field: str, job: str) -> list[int]:
    fact = next(f for f in facts_for(model, field) if f.attrs.get("job") == job)
    return [e.line for e in fact.evidence]


def test_deploy_triggers_cite_the_line_that_proves_them(tmp_path: Path) -> None:
    # modelled on the deploy jobs of a Rails app's .gitlab/ci/deploy.yml (rules with `when: manual`)
    # and on older `only:` + `when: manual` release jobs
    pipeline = (
        "stages: [staging, production]\n"  # 1
        "deploy-staging:\n"  # 2
        "  stage: staging\n"  # 3
        "  script: [helm upgrade --install app ./chart]\n"  # 4
        "  environment: {name: staging}\n"  # 5
        "  rules:\n"  # 6
        "    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH\n"  # 7
        "deploy-production:\n"  # 8
        "  stage: production\n"  # 9
        "  script: [helm upgrade --install app ./chart]\n"  # 10
        "  environment: {name: production}\n"  # 11
        "  rules:\n"  # 12
        "    - if: $CI_COMMIT_TAG\n"  # 13
        "      when: manual\n"  # 14
        "deploy-legacy:\n"  # 15
        "  stage: production\n"  # 16
        "  when: manual\n"  # 17
        "  only: [tags]\n"  # 18
        "  script: [helm upgrade --install legacy ./chart]\n"  # 19
        "  environment: {name: legacy}\n"  # 20
    )
    model = _scan_pipeline(tmp_path, {".gitlab-ci.yml": pipeline})
    assert _lines(model, "ci.deploy.automated", "deploy-staging")[0] == 7  # the rule entry
    assert _lines(model, "ci.deploy.manual", "deploy-production")[0] == 14  # its `when: manual`
    assert _lines(model, "ci.deploy.manual", "deploy-legacy")[0] == 17  # the job's `when: manual`


def test_jobs_around_tests_are_not_test_jobs(tmp_path: Path) -> None:
    # modelled on gitlab-runner .gitlab/ci/test-kubernetes-integration.gitlab-ci.yml (provision and
    # destroy jobs extend the test template and inherit its JUnit report) and coverage.gitlab-ci.yml
    pipeline = (
        "stages: [test, coverage]\n"
        ".integration k8s:\n"
        "  stage: test\n"
        "  script:\n"
        "    - gotestsum --junitfile=junit.xml -- -tags=integration,kubernetes ./executors/kubernetes/...\n"
        "  artifacts:\n    reports:\n      junit: junit.xml\n"
        "provision integration k8s:\n"
        "  extends: .integration k8s\n"
        "  script: [mage k8s:provisionIntegrationKubernetes $CI_PIPELINE_ID]\n"
        "integration k8s:\n"
        "  extends: .integration k8s\n"
        "  needs: [provision integration k8s]\n"
        "teardown k8s:\n"
        "  extends: .integration k8s\n"
        "  script: [mage k8s:destroyIntegrationKubernetes $CI_PIPELINE_ID]\n"
        "test coverage report:\n"
        "  stage: coverage\n"
        "  script: [make cobertura_report]\n"
        "unit tests:\n"
        "  stage: test\n"
        "  script: [make splitic-unit]\n"
        "  artifacts:\n    reports:\n      junit: .splitic/junit_*.xml\n"
    )
    model = _scan_pipeline(tmp_path, {".gitlab-ci.yml": pipeline})
    jobs = {f.attrs.get("job") for field in ("ci.test.unit", "ci.test.integration") for f in facts_for(model, field)}
    assert "integration k8s" in jobs  # the template's own test command
    assert "unit tests" in jobs  # a JUnit report on a job that does nothing else still counts
    assert not jobs & {"provision integration k8s", "teardown k8s", "test coverage report"}, jobs


def test_packaging_jobs_that_name_an_environment_build_rather_than_deploy(tmp_path: Path) -> None:
    # modelled on gitlab-runner .gitlab/ci/package.gitlab-ci.yml: `.packages` (stage package,
    # environment package/$PKGS/$CI_COMMIT_REF_NAME, `mage package:$PKGS`) and a matrix of package jobs
    pipeline = (
        "stages: [build, package, deploy]\n"
        ".packages:\n"
        "  stage: package\n"
        "  environment:\n    name: package/$PKGS/$CI_COMMIT_REF_NAME\n"
        "  script:\n    - mage package:prepare\n    - mage package:$PKGS\n"
        "  artifacts:\n    paths: [out/deb/, out/rpm/]\n"
        "package-deb:\n"
        "  extends: .packages\n"
        "  parallel:\n    matrix:\n      - PKGS: [deb64, debArm64]\n"
        "publish packages:\n"
        "  stage: package\n"
        "  environment: {name: packages/stable}\n"
        "  script: [mage pulp:push deb]\n"
        "ship:\n"
        "  stage: deploy\n"
        "  environment: {name: production}\n"
        "  script: [./ship.sh]\n"
    )
    model = _scan_pipeline(tmp_path, {".gitlab-ci.yml": pipeline})
    deploys = {f.attrs.get("job") for f in facts_for(model, "ci.deploy.automated")}
    builds = {f.attrs.get("job") for f in facts_for(model, "ci.build")}
    assert "package-deb" not in deploys and "package-deb" in builds
    assert {"publish packages", "ship"} <= deploys  # a release word in the name, a deploy stage
    assert not [f for f in facts_for(model, "deploy.steps") if f.attrs.get("job") == "package-deb"]


def test_a_program_the_job_builds_and_then_runs_is_a_tool_not_a_build_step(tmp_path: Path) -> None:
    # modelled on gitlab-runner .gitlab/ci/release.gitlab-ci.yml: `(cd scripts/pusher && go build)`
    # then `(cd scripts/pusher && ./pusher runner-images.json ...)`
    pipeline = (
        "stages: [build, release]\n"
        "docker images:\n"
        "  stage: release\n"
        "  script:\n"
        "    - (cd scripts/pusher && go build)\n"
        "    - tags=$(make print_image_tags)\n"
        '    - (cd scripts/pusher && ./pusher runner-images.json "${CI_REGISTRY_IMAGE}" $tags)\n'
        "generate:\n"
        "  stage: build\n"
        "  script:\n"
        "    - go build -o bin/gen ./tools/gen\n"
        "    - bin/gen --out api/\n"
        "binaries:\n"
        "  stage: build\n"
        "  script:\n"
        "    - go build -o out/binaries/app ./cmd/app\n"
    )
    model = _scan_pipeline(tmp_path, {".gitlab-ci.yml": pipeline})
    builds = {f.attrs.get("job") for f in facts_for(model, "ci.build")}
    assert builds == {"binaries"}, builds  # the product's build is still one


def test_nx_targets_run_by_a_gitlab_job_are_followed(tmp_path: Path) -> None:
    # Nx's CI template (nrwl/nx docs/shared/monorepo-ci-gitlab.md) runs `npx nx affected -t lint test build`.
    files = {
        ".gitlab-ci.yml": "stages: [test, build]\nci:\n  stage: test\n  script:\n    - npx nx affected -t lint test\n"
                          "release-build:\n  stage: build\n  script:\n    - npx nx run api:build:production\n",
        "apps/api/project.json": '{\n  "name": "api",\n  "targets": {\n    "test": { "executor": "@nx/jest:jest" },\n'
                                 '    "build": { "command": "go build -o dist/api ./cmd/api" }\n  }\n}\n',
        "apps/web/project.json": '{\n  "name": "web",\n  "targets": {\n    "test": { "executor": "@nx/vite:test" }\n'
                                 '  }\n}\n',
    }
    scanned = scan_tree(tmp_path, files)
    cited = {(e.path, e.line) for f in facts_for(scanned.model, "ci.test.unit") for e in f.evidence}
    assert {("apps/api/project.json", 4), ("apps/web/project.json", 4)} <= cited
    builds = [f for f in facts_for(scanned.model, "ci.build") if "go build" in f.text]
    assert builds and ("apps/api/project.json", 5) in {(e.path, e.line) for e in builds[0].evidence}


def test_a_compose_file_with_include_is_not_gitlab_ci(tmp_path: Path) -> None:
    # Modelled on aws-containers/retail-store-sample-app src/app/docker-compose.yml: compose's own
    # top-level `include:` of the services' compose files.
    compose = "include:\n  - ../cart/docker-compose.yml\n  - ../ui/docker-compose.yml\n"
    scanned = scan_tree(tmp_path, {"src/app/docker-compose.yml": compose,
                                   "src/ui/docker-compose.yml": "services:\n  ui:\n    image: acme/ui:1.0\n"})
    read = {s.detector: s.files for s in scanned.model.sources}
    assert read["gitlab-ci"] == 0 and read["compose"] == 2


def test_a_test_job_that_installs_testcontainers_runs_integration_tests(tmp_path: Path) -> None:
    # Modelled on fdroidserver's test_deploy_to_s3_with_rclone: MinIO started by testcontainers
    # through a docker:dind service; the test command alone reads like unit tests.
    ci = ("s3_test:\n  image: debian:trixie-slim\n  services:\n    - name: docker:dind\n  before_script:\n"
          "    - pip install testcontainers[minio]\n  script:\n    - python3 -m unittest -k test_remote_storage\n"
          "unit:\n  image: python:3.12\n  script:\n    - python3 -m unittest discover\n")
    scanned = scan_tree(tmp_path, {".gitlab-ci.yml": ci})
    assert [f.attrs["job"] for f in facts_for(scanned.model, "ci.test.integration")] == ["s3_test"]
    assert [f.attrs["job"] for f in facts_for(scanned.model, "ci.test.unit")] == ["unit"]


def test_a_test_job_is_named_by_its_script_not_its_shared_setup(tmp_path: Path) -> None:
    # gitlab-shell: every test job's before_script runs `make build`; the job runs `make verify test_fancy`.
    # `make build` compiles (through the aggregates `build: compile`, `compile: bin/gitlab-shell`): a
    # test job may build what it tests first, and stays a test job; that build is no build step.
    scanned = scan_tree(tmp_path, {
        ".gitlab-ci.yml": ".test-job:\n  before_script:\n    - make build\n\ntests_without_cgo:\n  extends: .test-job\n"
                          "  script:\n    - make verify test_fancy\n",
        "Makefile": "build: compile\ncompile: bin/gitlab-shell\nbin/gitlab-shell:\n\tgo build -o bin ./cmd/...\n"
                    "test_fancy:\n\t@${GOTESTSUM} --junitfile ./cover.xml -- ./...\n",
    })
    assert not facts_for(scanned.model, "ci.build")
    [tests] = [f for f in facts_for(scanned.model, "ci.test.unit") if "named as a test job" in f.text]
    assert tests.text.startswith("Tests (make verify test_fancy, named as a test job) in job tests_without_cgo")


def test_an_image_a_job_named_as_a_test_job_builds_is_a_build_step(tmp_path: Path) -> None:
    # the code review's case: `test:docker-build` builds and tags an image; 3016788 dropped it
    ci = ("test:docker-build:\n  stage: test\n  script:\n"
          "    - docker build -t registry.example.com/acme/app:$CI_COMMIT_SHA .\n")
    scanned = scan_tree(tmp_path, {".gitlab-ci.yml": ci})
    assert [f.attrs["job"] for f in facts_for(scanned.model, "ci.build")] == ["test:docker-build"]


def test_ways_only_other_projects_start_a_job_are_left_out_of_the_diagram(tmp_path: Path) -> None:
    # the code review's cases: a job forks alone run is drawn as such, not as "any change"; a fork's
    # merge request runs in this project's own pipeline, so its manual start stays
    ci = ("build-release:\n  stage: build\n  script:\n    - docker build -t acme/shop .\n"
          "  except:\n    - branches\n    - tags@acme/shop\n"
          "e2e:\n  stage: test\n  script:\n    - npx playwright test\n  rules:\n"
          "    - if: $CI_PIPELINE_SOURCE == 'merge_request_event' && "
          "$CI_MERGE_REQUEST_SOURCE_PROJECT_PATH == $CI_PROJECT_PATH\n"
          "    - if: $CI_PIPELINE_SOURCE == 'merge_request_event' && "
          "$CI_MERGE_REQUEST_SOURCE_PROJECT_PATH != $CI_PROJECT_PATH\n      when: manual\n")
    scanned = scan_tree(tmp_path, {".gitlab-ci.yml": ci})
    triggers = {f.attrs["job"]: f.attrs["triggers"] for f in scanned.model.facts if "triggers" in f.attrs}
    assert triggers["build-release"] == ["outside this project only"]
    assert triggers["e2e"] == ["merge request", "manual"]


def test_a_job_named_unit_tests_stays_unit_beside_a_database(tmp_path: Path) -> None:
    # as GitHub Actions does (saleor): the team's name for the job wins over the database beside it
    scanned = scan_tree(tmp_path, {".gitlab-ci.yml": (
        "unit-tests:\n  services:\n    - postgres:16\n  script:\n    - pytest\n"
        "api-tests:\n  services:\n    - postgres:16\n  script:\n    - pytest\n"
        # passbolt: the PHPUnit jobs are named for their matrix cell, and staged `unit-test`
        "seq-php8.2-mysql8:\n  stage: unit-test\n  services:\n    - mysql:8.0\n  script:\n"
        "    - vendor/bin/phpunit\n  allow_failure: true\n")})
    assert [f.text.split(" in job ")[1].split()[0] for f in facts_for(scanned.model, "ci.test.unit")] == \
        ["unit-tests", "seq-php8.2-mysql8"]
    # its failures block nothing, which the reader must know
    lenient = next(f for f in facts_for(scanned.model, "ci.test.unit") if "seq-php8.2-mysql8" in f.text)
    assert lenient.text.endswith("; allowed to fail (allow_failure: true)")
    assert not next(f for f in facts_for(scanned.model, "ci.test.unit") if "unit-tests" in f.text).text.endswith(
        "(allow_failure: true)")
    integration = facts_for(scanned.model, "ci.test.integration")
    assert [f.text.split(" in job ")[1].split()[0] for f in integration if f.confidence is not Confidence.HINT] == \
        ["api-tests"]
    # the integration gap names the unit-named jobs beside a database, and why they are not there
    assert sorted(f.text for f in integration if f.confidence is Confidence.HINT) == [
        "pytest in job unit-tests (.gitlab-ci.yml) runs with services PostgreSQL 16 (postgres:16); the pipeline "
        "names them unit tests, and infrascan counts them so",
        "vendor/bin/phpunit in job seq-php8.2-mysql8 (.gitlab-ci.yml) runs with services MySQL 8.0 (mysql:8.0); "
        "the pipeline names them unit tests, and infrascan counts them so"]


def test_commands_of_a_folded_script_item_cite_their_own_lines(tmp_path: Path) -> None:
    # `- >` joins its lines with spaces: every command cited the line the block starts on
    scanned = scan_tree(tmp_path, {".gitlab-ci.yml": (
        "deploy:\n  stage: deploy\n  environment: production\n  script:\n    - echo start\n    - >\n"
        "      gcloud container clusters get-credentials prod;\n"
        "      helm upgrade --install web ./chart\n"
        "      --set image.tag=$CI_COMMIT_SHA\n    - echo done\n")})
    [step] = [f for f in facts_for(scanned.model, "deploy.steps") if "helm upgrade" in f.text]
    assert [e.line for e in step.evidence if e.path == ".gitlab-ci.yml"] == [8]
    assert not scanned.model.diagnostics


def test_a_job_that_only_pushes_a_manifest_is_a_build_step(tmp_path: Path) -> None:
    # mobilizon: `docker manifest create` / `docker manifest push` jobs make the tag users pull
    scanned = scan_tree(tmp_path, {".gitlab-ci.yml": (
        "stages: [build, release]\nbuild:\n  stage: build\n  script:\n"
        "    - docker build -t acme/app:$CI_COMMIT_TAG-amd64 .\n"
        "    - docker push acme/app:$CI_COMMIT_TAG-amd64\n  rules:\n    - if: $CI_COMMIT_TAG\n"
        "docker-manifest-push:\n  stage: release\n  script:\n"
        "    - docker manifest create acme/app:$CI_COMMIT_TAG --amend acme/app:$CI_COMMIT_TAG-amd64\n"
        "    - docker manifest push --purge acme/app:$CI_COMMIT_TAG\n  rules:\n    - if: $CI_COMMIT_TAG\n")})
    builds = texts(facts_for(scanned.model, "ci.build"))
    assert any(t.startswith("Container image pushed (docker manifest push --purge acme/app:$CI_COMMIT_TAG) "
                            "in job docker-manifest-push") for t in builds), builds


def test_a_runner_that_uses_a_database_by_design_stays_unit_tests_beside_one(tmp_path: Path) -> None:
    """`bin/rails test` beside a Postgres service runs Rails' own tests, which load fixtures into a
    test database; RSpec beside one is filed as integration tests, as before."""
    pipeline = (
        "test:\n  image: ruby:3.3\n  services:\n    - postgres:16\n  script:\n    - bin/rails test\n"
        "specs:\n  image: ruby:3.3\n  services:\n    - postgres:16\n  script:\n    - bundle exec rspec\n"
        "laravel:\n  image: php:8.3\n  services:\n    - mariadb:11.7\n  script:\n    - php artisan test --parallel\n"
    )
    scanned = scan_tree(tmp_path, {".gitlab-ci.yml": pipeline})
    assert "job test" in one(ci_facts(scanned, "ci.test.unit"), "bin/rails test")
    assert "job specs" in one(ci_facts(scanned, "ci.test.integration"), "rspec")
    assert one(ci_facts(scanned, "ci.test.unit"), "job laravel")  # koel: Laravel's suite against MariaDB
    # the integration field, which looked for tests with database services, names them as leads
    leads = [f for f in facts_for(scanned.model, "ci.test.integration") if f.confidence is Confidence.HINT]
    assert sorted(f.text for f in leads) == [
        "bin/rails test in job test (.gitlab-ci.yml) runs with services PostgreSQL 16 (postgres:16); "
        "infrascan counts its tests as unit tests, since the runner makes a test database of its own",
        "phpunit (php artisan test --parallel) in job laravel (.gitlab-ci.yml) runs with services MariaDB 11.7 "
        "(mariadb:11.7); infrascan counts its tests as unit tests, since the runner makes a test database of its own",
    ]


def test_a_migration_in_a_job_that_selects_the_test_environment_prepares_a_test_database(tmp_path: Path) -> None:
    # as lobsters' GitHub job: `RAILS_ENV: test` makes what the job migrates a test database
    pipeline = (
        "migrate-check:\n  image: ruby:3.3\n  variables:\n    RAILS_ENV: test\n  script:\n"
        "    - bin/rails db:schema:load db:migrate\n"
        "migrate:\n  image: ruby:3.3\n  variables:\n    RAILS_ENV: production\n  script:\n    - bin/rails db:migrate\n"
    )
    scanned = scan_tree(tmp_path, {".gitlab-ci.yml": pipeline})
    strategies = ci_facts(scanned, "deploy.migration.strategy")
    assert strategies and all("migrate-check" not in t for t in strategies), strategies


def test_a_job_that_deploys_and_removes_what_it_deployed_is_an_end_to_end_test(tmp_path: Path) -> None:
    # the shared pipeline reader's rule (cloud-run-microservice-template-python), for GitLab jobs:
    # a service named for the pipeline run, deployed, tested and deleted by that name
    pipeline = (
        "e2e:\n  script:\n    - gcloud run deploy app-$CI_PIPELINE_ID --image gcr.io/p/app --region us-central1\n"
        "    - ./run-e2e.sh\n    - gcloud run services delete app-$CI_PIPELINE_ID --region us-central1 --quiet\n"
        "deploy:\n  script:\n    - gcloud run services delete app-canary --quiet\n"
        "    - gcloud run deploy app --image gcr.io/p/app --region us-central1\n"
    )
    scanned = scan_tree(tmp_path, {".gitlab-ci.yml": pipeline})
    [e2e] = facts_for(scanned.model, "ci.test.e2e")
    assert e2e.text.startswith("Deploys with Google Cloud Run, tests and removes it again (gcloud run services delete")
    assert ".gitlab-ci.yml" in e2e.text and (".gitlab-ci.yml", 5) in [(e.path, e.line) for e in e2e.evidence]
    deploys = texts(facts_for(scanned.model, "ci.deploy.automated"))
    assert len(deploys) == 1 and deploys[0].startswith("Job deploy"), deploys
