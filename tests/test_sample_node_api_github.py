"""The node-api-github sample's key facts and gaps, asserted by hand (independent of the golden files).

A Node.js API on GitHub Actions: CI with unit, integration (PostgreSQL service) and Playwright
E2E tests; a CD workflow that builds an image for ECR and calls a reusable deploy workflow for
staging (push to main) and production (release, or a manual run choosing the environment); the
reusable workflow migrates the database before deploying to ECS; a rollback workflow redeploys
an earlier image by its `version` input.
"""

from __future__ import annotations

import pytest
from helpers import ROOT, Scanned, facts_for, scan_dir, texts

from infrascan.model import Confidence

SAMPLE = ROOT / "sample_repos" / "node-api-github"


@pytest.fixture(scope="module")
def scanned() -> Scanned:
    return scan_dir(SAMPLE)


def test_environment_urls_from_the_reusable_deploy_workflow(scanned: Scanned) -> None:
    model = scanned.model
    assert [f.attrs["url"] for f in facts_for(model, "env.url", "staging")] == ["https://staging.api.acmeshop.io"]
    assert [f.attrs["url"] for f in facts_for(model, "env.url", "production")] == ["https://api.acmeshop.io"]
    assert all(f.confidence is Confidence.DECLARED for f in facts_for(model, "env.url", "production"))


def test_build_and_tests_by_level(scanned: Scanned) -> None:
    model = scanned.model
    [build] = [f for f in facts_for(model, "ci.build") if f.attrs.get("ci") == "github-actions"]
    assert "123456789012.dkr.ecr.eu-west-1.amazonaws.com/node-api" in build.text
    assert build.text.endswith("pushed to Amazon ECR") and "release (published)" in build.text
    [unit] = facts_for(model, "ci.test.unit")
    assert unit.text.startswith("Vitest in job unit (ci.yml): push to main and pull requests")
    assert "vitest run --dir src" in unit.text and "matrix node-version: 20, 22" in unit.text
    [integration] = facts_for(model, "ci.test.integration")
    assert "services: PostgreSQL 16 (postgres:16-alpine)" in integration.text
    assert (".github/workflows/ci.yml", 35) in [(e.path, e.line) for e in integration.evidence]  # the image
    [e2e] = facts_for(model, "ci.test.e2e")
    assert e2e.text.startswith("Playwright in job e2e (ci.yml)") and "playwright test" in e2e.text


def test_automated_and_manual_deploys_with_their_environments(scanned: Scanned) -> None:
    automated = texts(facts_for(scanned.model, "ci.deploy.automated"))
    assert any(t.startswith("Push to main: deploys to staging with Amazon ECS") for t in automated)
    assert any(t.startswith("Release (published): deploys to production with Amazon ECS") for t in automated)
    manual = [f for f in facts_for(scanned.model, "ci.deploy.manual") if f.confidence is not Confidence.HINT]
    cd = [f for f in manual if "workflow_dispatch of cd.yml" in f.text]
    assert len(cd) == 1 and "(input environment: staging, production)" in cd[0].text
    assert cd[0].attrs["manual"] is True and cd[0].attrs["environment"] == ["staging", "production"]
    hints = [f for f in facts_for(scanned.model, "ci.deploy.manual") if f.confidence is Confidence.HINT]
    assert sorted(f.attrs["environment"] for f in hints) == ["production", "staging"]


def test_deploy_steps_build_migrate_deploy_verify_per_environment(scanned: Scanned) -> None:
    steps = texts(facts_for(scanned.model, "deploy.steps"))
    staging = [s for s in steps if s.startswith("staging:")]
    assert [s.split(":", 1)[1].split()[0] for s in staging] == ["build", "migrate", "deploy", "verify", "verify"]
    assert "prisma migrate deploy" in staging[1] and "curl --fail" in staging[4]
    assert len([s for s in steps if s.startswith("production:")]) == 5
    assert not any("rollback.yml" in s for s in steps)  # the rollback run is not the deploy procedure


def test_rollback_migrations_and_verification(scanned: Scanned) -> None:
    model = scanned.model
    [rollback] = [f for f in facts_for(model, "deploy.rollback.perform") if f.attrs.get("ci") == "github-actions"]
    assert rollback.text.startswith("Redeploy an earlier version: run rollback.yml manually (workflow_dispatch)")
    assert "with input version" in rollback.text
    strategies = texts(facts_for(model, "deploy.migration.strategy"))
    assert any(
        s.startswith("CI step before deploy: job migrate (deploy.yml, called from cd.yml)")
        and "prisma migrate deploy" in s
        for s in strategies
    )
    verify = texts(facts_for(model, "deploy.rollback.verify"))
    assert any("wait-for-service-stability: true after the deploy" in t for t in verify)
    assert any('curl --fail --retry 5 --retry-delay 10 "$APP_URL/healthz"' in t for t in verify)


def test_key_gaps(scanned: Scanned) -> None:
    model = scanned.model
    # CI service containers are test infrastructure: staging and production databases stay gaps
    assert [f for f in facts_for(model, "env.database", "staging") if f.confidence is not Confidence.HINT] == []
    assert [f for f in facts_for(model, "env.database", "production") if f.confidence is not Confidence.HINT] == []
    assert facts_for(model, "env.sla", "production") == []
    # migrations only go forward: no workflow rolls the schema back
    assert [f for f in facts_for(model, "deploy.migration.rollback") if f.attrs.get("ci") == "github-actions"] == []
    # the CI database URL carries a password: it is never printed
    assert "postgres:postgres@" not in scanned.markdown
