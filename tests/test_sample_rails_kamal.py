"""sample_repos/rails-kamal: a Rails 8 app deployed with Kamal (production from a bare `bin/kamal
deploy` on pushes to main, staging from `-d staging` by hand), with a PostgreSQL accessory per
environment, a pre-deploy hook and Rails 8's generated CI. Hand-written assertions of the facts a
reader needs, and of the gaps that must stay gaps, independent of any golden file.
"""

from __future__ import annotations

import pytest
from helpers import ROOT, Scanned, facts_for, generated, scan_dir, texts

from infrascan.model import Confidence

SAMPLE = ROOT / "sample_repos" / "rails-kamal"


@pytest.fixture(scope="module")
def scanned() -> Scanned:
    return scan_dir(SAMPLE)


def test_no_diagnostics(scanned: Scanned) -> None:
    assert scanned.model.diagnostics == []


def test_each_environment_s_url_and_database(scanned: Scanned) -> None:
    model = scanned.model
    [production] = facts_for(model, "env.url", env="production")
    assert production.text.startswith("https://books.acme-books.io (kamal-proxy host of Kamal "
                                      "configuration config/deploy.yml; production assumed")
    assert production.confidence is Confidence.INFERRED  # a bare deploy's environment is assumed, and says so
    assert texts(facts_for(model, "env.url", env="staging")) == [
        "https://staging.acme-books.io (kamal-proxy host of Kamal destination staging)"]
    [staging] = facts_for(model, "env.database", env="staging")
    assert staging.tech == "postgresql" and staging.attrs["version"] == "17" and "accessory db" in staging.text
    # production: the accessory Kamal runs, and config/database.yml's three databases on it
    production = {f.evidence[0].path: f for f in facts_for(model, "env.database", env="production")}
    accessory, rails = production["config/deploy.yml"], production["config/database.yml"]
    assert accessory.attrs["version"] == "17" and "accessory db" in accessory.text
    assert rails.text == ("PostgreSQL: Rails databases primary, cache, queue (adapter: postgresql) "
                          "in config/database.yml")
    dev = facts_for(model, "env.database", env="development")
    assert sorted(f.evidence[0].path for f in dev) == ["config/database.yml", "docker-compose.yml"]


def test_deployment_is_kamal_from_ci_and_by_hand(scanned: Scanned) -> None:
    model = scanned.model
    [automated] = facts_for(model, "ci.deploy.automated")
    assert "bin/kamal deploy" in automated.text and automated.env is None
    # CI runs Kamal: no hint that people do
    assert not [f for f in facts_for(model, "ci.deploy.manual") if f.evidence[0].detector == "kamal"]
    steps = [f for f in facts_for(model, "deploy.steps") if f.evidence[0].detector == "kamal"]
    # written as the team runs them: through the bin/kamal binstub
    assert [s.text.split(":")[0] for s in steps] == ["bin/kamal deploy", "bin/kamal deploy -d staging",
                                                     "Kamal hook pre-deploy"]
    assert "role web (1 host, behind kamal-proxy) and role job (1 host, running bin/jobs)" in steps[0].text
    assert steps[1].text.endswith("; 1 host in all")  # staging's roles share one host


def test_rollback_and_its_checks(scanned: Scanned) -> None:
    model = scanned.model
    [perform] = facts_for(model, "deploy.rollback.perform")
    assert perform.text.startswith("bin/kamal rollback VERSION (-d DESTINATION for a destination)")
    assert "retain_containers sets 3" in perform.text
    [verify] = facts_for(model, "deploy.rollback.verify")
    assert "GET /up" in verify.text and verify.confidence is Confidence.DECLARED
    # kamal-proxy's check gates the boot; Sentry is what tells a bad release
    assert texts(facts_for(model, "deploy.rollback.identify")) == ["New errors after a release in Sentry"]


def test_tests_and_migrations(scanned: Scanned) -> None:
    model = scanned.model
    assert [f.evidence[0].path for f in facts_for(model, "ci.test.e2e")] == [".github/workflows/ci.yml"]
    # `bin/rails test` beside a Postgres service: Rails' own tests, which use the database by design
    assert [f.evidence[0].path for f in facts_for(model, "ci.test.unit")] == [".github/workflows/ci.yml"]
    # ... and only a lead for the integration field, which says why it is not there
    assert [f.confidence for f in facts_for(model, "ci.test.integration")] == [Confidence.HINT]
    [strategy] = facts_for(model, "deploy.migration.strategy")
    assert "./bin/rails db:prepare" in strategy.text and strategy.evidence[-1].path == "bin/docker-entrypoint"


def test_secrets_are_never_printed() -> None:
    document = generated(SAMPLE)
    assert "$(cat config/master.key)" not in document
    assert "secrets.RAILS_MASTER_KEY" not in document
