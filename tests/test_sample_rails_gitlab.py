"""sample_repos/rails-gitlab: a Rails app whose GitLab pipeline uses includes (a wildcard and a
template), extends, anchors, `!reference`, review apps, staging on the default branch and manual
production deploys on tags. Hand-written assertions of the facts a reader needs, and of the gaps
that must stay gaps, independent of any golden file.
"""

from __future__ import annotations

import pytest
from helpers import ROOT, Scanned, facts_for, scan_dir, texts

from infrascan.model import Confidence, Fact

SAMPLE = ROOT / "sample_repos" / "rails-gitlab"


@pytest.fixture(scope="module")
def scanned() -> Scanned:
    return scan_dir(SAMPLE)


def gitlab(facts: list[Fact]) -> list[Fact]:
    return [f for f in facts if any(e.detector == "gitlab-ci" for e in f.evidence)]


def only(facts: list[Fact], needle: str) -> Fact:
    found = [f for f in facts if needle.lower() in f.text.lower()]
    assert len(found) == 1, (needle, texts(facts))
    return found[0]


def test_no_gitlab_diagnostics(scanned: Scanned) -> None:
    assert [d for d in scanned.model.diagnostics if d.detector == "gitlab-ci"] == []


def test_image_build_from_the_wildcard_include(scanned: Scanned) -> None:
    build = only(gitlab(facts_for(scanned.model, "ci.build")), "job build-image")
    assert "$CI_REGISTRY_IMAGE/web:$CI_COMMIT_SHA built and pushed to the GitLab container registry" in build.text
    assert build.evidence[0].path == ".gitlab/ci/build.yml" and build.attrs["step"] == "Build and push image"
    assert build.text.endswith("on every push and merge request")


def test_tests_per_level(scanned: Scanned) -> None:
    unit = only(gitlab(facts_for(scanned.model, "ci.test.unit")), "job javascript")
    assert unit.text.startswith("jest in job javascript")  # `yarn test` resolved through package.json
    integration = only(gitlab(facts_for(scanned.model, "ci.test.integration")), "job rspec")
    assert "PostgreSQL 16 (postgres:16), Redis 7 (redis:7)" in integration.text  # anchors + extends
    assert "JUnit report tmp/rspec.xml" in integration.text
    e2e = only(gitlab(facts_for(scanned.model, "ci.test.e2e")), "job system-tests")
    assert "selenium/standalone-chrome:124.0" in e2e.text  # `!reference` in services, flattened
    assert "merge requests and push to the default branch" in e2e.text


def test_deploy_triggers(scanned: Scanned) -> None:
    automated = gitlab(facts_for(scanned.model, "ci.deploy.automated"))
    assert "deploys to review/$CI_COMMIT_REF_SLUG on merge requests" in only(automated, "job review").text
    staging = only(automated, "job deploy-staging")
    assert "deploys to staging on push to the default branch" in staging.text
    assert "resource_group: staging" in staging.text
    manual = [f for f in gitlab(facts_for(scanned.model, "ci.deploy.manual")) if f.confidence is not Confidence.HINT]
    production = only(manual, "deploy-production")
    assert production.text.startswith("Job deploy-production")
    assert r"on tags matching /^v\d+\.\d+\.\d+$/" in production.text
    assert production.attrs["environment"] == "production" and production.attrs["manual"] is True
    assert not [f for f in automated + manual if "stop-review" in f.text or "rollback-production" in f.text]


def test_environments_and_urls(scanned: Scanned) -> None:
    assert [f.attrs["url"] for f in gitlab(facts_for(scanned.model, "env.url", env="production"))] == [
        "https://shop.acme-shop.com"
    ]
    assert [f.attrs["url"] for f in gitlab(facts_for(scanned.model, "env.url", env="staging"))] == [
        "https://staging.acme-shop.dev"
    ]
    review_url = gitlab(facts_for(scanned.model, "env.url", env="review/*"))
    assert [f.confidence for f in review_url] == [Confidence.INFERRED] and "URL pattern" in review_url[0].text
    purpose = texts(gitlab(facts_for(scanned.model, "env.purpose", env="review/*")))
    assert purpose == [
        "Review app per merge request: job review (.gitlab/ci/deploy.yml) deploys review/$CI_COMMIT_REF_SLUG "
        "(merge requests)"
    ]
    assert texts(gitlab(facts_for(scanned.model, "env.special", env="review/*"))) == [
        "Torn down by the manual job stop-review (action: stop) and stopped automatically after 1 week (auto_stop_in)"
    ]
    assert "Pre-production" in texts(gitlab(facts_for(scanned.model, "env.purpose", env="staging")))[0]


def test_deployment_steps_per_environment_in_order(scanned: Scanned) -> None:
    steps = sorted(gitlab(facts_for(scanned.model, "deploy.steps")), key=lambda f: f.order)
    production = [f.attrs["step"] for f in steps if f.attrs["environment"] == "production"]
    assert production == ["Build and push image", "Migrate", "Deploy", "Verify"]
    staging = [(f.attrs["step"], f.attrs["job"]) for f in steps if f.attrs["environment"] == "staging"]
    assert staging == [
        ("Build and push image", "build-image"),
        ("Migrate", "migrate-staging"),
        ("Deploy", "deploy-staging"),
        ("Verify", "deploy-staging"),
    ]


def test_rollback_and_migrations(scanned: Scanned) -> None:
    perform = gitlab(facts_for(scanned.model, "deploy.rollback.perform"))
    assert "runs helm rollback acme-shop-production" in only(perform, "job rollback-production").text
    automatic = [f for f in perform if f.text.startswith("Automatic:")]
    assert {f.attrs["environment"] for f in automatic} == {"staging", "production"}  # not the review apps
    redeploy = only(perform, "earlier successful deployment of production")
    assert redeploy.confidence is Confidence.INFERRED
    verify = texts(gitlab(facts_for(scanned.model, "deploy.rollback.verify")))
    assert any(t.startswith("kubectl rollout status deployment/acme-shop-production-web") for t in verify)
    migrations = gitlab(facts_for(scanned.model, "deploy.migration.strategy"))
    staging = only(migrations, "migrate-staging")
    assert "bin/rails db:migrate" in staging.text and "before deploy-staging" in staging.text
    production = only(migrations, "deploy-production")
    assert production.text.startswith("CI step in the deploy job") and "before helm upgrade" in production.text


def test_template_is_a_hint_and_gaps_stay_gaps(scanned: Scanned) -> None:
    hints = [f for f in facts_for(scanned.model, "ci.test.unit") if f.confidence is Confidence.HINT]
    assert [f.evidence[0].path for f in hints if "Secret Detection" in f.text] == [".gitlab-ci.yml"]
    view = scanned.view
    production = next(b for b in view.environments if b.key == "production")
    sla = next(f for f in production.fields if f.id == "env.sla")
    assert not sla.filled
    staging = next(b for b in view.environments if b.key == "staging")
    assert not next(f for f in staging.fields if f.id == "env.database").filled  # CI services are not staging's DB
    assert all(not f.filled for f in view.alerts)
