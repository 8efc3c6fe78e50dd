"""The django-shop sample's key facts and gaps, asserted by hand (independent of the golden files)."""

from __future__ import annotations

from helpers import ROOT, facts_for, scan_dir, texts

SAMPLE = ROOT / "sample_repos" / "django-shop"


def test_key_facts() -> None:
    scanned = scan_dir(SAMPLE)
    model = scanned.model
    dev_db = texts(facts_for(model, "env.database", env="development"))
    assert any(t.startswith("PostgreSQL 16:") and "postgres:16.2-alpine" in t for t in dev_db)
    assert any(t.startswith("Redis 7:") for t in dev_db)
    assert any("http://localhost:8000" in t for t in texts(facts_for(model, "env.url", env="development")))
    strategies = texts(facts_for(model, "deploy.migration.strategy"))
    assert any("docker/entrypoint.sh" in t and "manage.py migrate" in t for t in strategies)
    assert any("compose service web" in t for t in strategies)
    assert {"stripe", "sendgrid"} <= set(model.services)
    stripe_auth = texts(facts_for(model, "ext.auth", service="stripe"))
    assert any("STRIPE_SECRET_KEY" in t for t in stripe_auth)
    assert any("Signed inbound webhooks" in t for t in stripe_auth)
    assert any(t.startswith("Sentry") for t in texts(facts_for(model, "mon.application")))
    assert any("Python 3.12" in t for t in texts(facts_for(model, "ci.build")))


def test_key_gaps_and_no_secret_values() -> None:
    scanned = scan_dir(SAMPLE)
    assert facts_for(scanned.model, "env.url", env="production") == []
    production = next(b for b in scanned.view.environments if b.key == "production")
    assert all(not f.filled for f in production.fields)
    assert "shop-dev-only" not in scanned.markdown  # the compose POSTGRES_PASSWORD value
    assert "sk_test_replace_me" not in scanned.markdown
