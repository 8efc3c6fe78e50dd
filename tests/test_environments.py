"""Environment names normalise by whole tokens; nonprod is never production."""

from __future__ import annotations

import pytest

from infrascan.environments import display_name, env_from_name, normalise


@pytest.mark.parametrize(("raw", "block"), [
    ("prod", "production"), ("production", "production"), ("PRD", "production"), ("live", "production"),
    ("prod-eu-1", "production"), ("production/eu", "production"), ("stage", "staging"), ("stg", "staging"),
    ("preprod", "staging"), ("pre-prod", "staging"), ("uat", "staging"), ("dev", "development"),
    ("local", "development"), ("development", "development"), ("devenv", "development"),
    ("nonprod", "nonprod"), ("non-prod", "nonprod"), ("nonproduction", "nonproduction"),
    ("non-production", "nonproduction"), ("qa", "qa"), ("test", "test"), ("preview", "preview"),
    ("review/$CI_COMMIT_REF_SLUG", "review/*"), ("pr-${{ github.event.number }}", "pr-*"), ("sandbox", "sandbox"),
])
def test_normalise(raw: str, block: str) -> None:
    assert normalise(raw) == block


def test_configured_aliases_win() -> None:
    assert normalise("acc", {"acc": "staging"}) == "staging"
    assert normalise("acc-eu", {"acc": "staging"}) == "staging"


@pytest.mark.parametrize(("name", "env"), [
    ("docker-compose.prod.yml", "prod"), ("values-staging.yaml", "staging"), (".qa", "qa"),
    ("compose.override.yml", None), ("nonprod.tfvars", "nonprod"),
    # an environment named for a cloud (second code review): azd's workflow name is read elsewhere
    ("values-azure-dev.yaml", "dev"), ("aws-dev.tfvars", "dev"),
])
def test_env_from_file_names(name: str, env: str | None) -> None:
    assert env_from_name(name) == env


def test_display_names() -> None:
    assert display_name("production") == "Production"
    assert display_name("qa") == "QA"
    assert display_name("review/*") == "Review/*"
