"""sample_repos/drupal-platformsh: a Drupal site hosted on Platform.sh (app, services and routes
files, a deploy hook that hands Drupal's updates to a script), developed locally in DDEV and
tested by GitHub Actions. Hand-written assertions of the facts a reader needs, and of the gaps
that must stay gaps, independent of any golden file.
"""

from __future__ import annotations

import pytest
from helpers import ROOT, Scanned, facts_for, scan_dir, texts

from infrascan.model import Confidence

SAMPLE = ROOT / "sample_repos" / "drupal-platformsh"


@pytest.fixture(scope="module")
def scanned() -> Scanned:
    return scan_dir(SAMPLE)


def test_no_diagnostics(scanned: Scanned) -> None:
    assert scanned.model.diagnostics == []


def test_production_is_what_the_platform_files_say(scanned: Scanned) -> None:
    model = scanned.model
    urls = facts_for(model, "env.url", env="production")
    assert [(f.text, f.confidence) for f in urls if f.confidence is not Confidence.HINT] == [
        ("https://www.acme-library.org/ (Platform.sh route to app app)", Confidence.DECLARED)]  # not `{default}`
    assert texts(facts_for(model, "env.database", env="production")) == [
        "MariaDB 10.11: Platform.sh service db (every environment runs its own)",
        "Redis 7: Platform.sh service cache (every environment runs its own)",
        "Apache Solr 9: Platform.sh service search (every environment runs its own)"]
    assert "Platform.sh app app: PHP 8.3" in texts(facts_for(model, "env.special", env="production"))


def test_development_is_ddev_and_staging_stays_a_gap(scanned: Scanned) -> None:
    model = scanned.model
    declared = [f for f in facts_for(model, "env.database", env="development") if f.confidence is not Confidence.HINT]
    assert texts(declared) == ["MariaDB 10.11 (DDEV database)"]  # the platform's preview copies are hints
    assert not facts_for(model, "env.url", env="staging")
    assert {f.confidence for f in facts_for(model, "env.database", env="staging")} == {Confidence.HINT}


def test_build_deploy_and_migrations_come_from_the_hooks(scanned: Scanned) -> None:
    model = scanned.model
    [build] = facts_for(model, "ci.build")
    assert build.text.endswith("the composer build flavor, then the build hook runs npm ci --no-audit and "
                               "npm run build")
    assert [f.evidence[0].line for f in facts_for(model, "deploy.steps")] == [52, 57]
    [migration] = facts_for(model, "deploy.migration.strategy")
    assert migration.tech == "drupal-updates"
    assert [(e.path, e.line) for e in migration.evidence] == [
        (".platform.app.yaml", 56), ("drush/platformsh_deploy_drupal.sh", 8)]
    [trigger] = facts_for(model, "ci.deploy.automated")
    assert trigger.confidence is Confidence.HINT  # the GitHub integration is set up outside the repository


def test_tests_are_split_by_level(scanned: Scanned) -> None:
    model = scanned.model
    assert "--testsuite unit" in facts_for(model, "ci.test.unit")[0].text
    [kernel] = facts_for(model, "ci.test.integration")
    assert "--testsuite kernel" in kernel.text and "MariaDB 10.11" in kernel.text
    assert not facts_for(model, "ci.test.e2e")
