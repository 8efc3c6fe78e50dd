"""Driver-selector variables: a framework skeleton's backends are hints unless a selector turns them on.

The Laravel fixture (tests/fixtures/envfile/laravel.env.example) is modelled on the laravel/laravel
9.x skeleton's `.env.example`, as committed by laravel-api-template.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import facts_for, fixture_text, scan_tree, texts
from infrascan.detectors.envfile import EnvFileDetector

from infrascan.catalog import load_catalog
from infrascan.detector import SourceFile
from infrascan.envselect import load_families
from infrascan.model import Confidence, Fact

LARAVEL = fixture_text("envfile", "laravel.env.example")


def extract(text: str) -> list[Fact]:
    return list(EnvFileDetector().extract(SourceFile(".env.example", text)).facts)


def by_tech(facts: list[Fact], tech: str, field: str) -> list[Fact]:
    return [f for f in facts if f.tech == tech and f.field == field]


def edited(**changes: str | None) -> str:
    """The Laravel fixture with some variables set to other values (None removes the line)."""
    lines = []
    for line in LARAVEL.splitlines():
        key = line.split("=", 1)[0]
        if key in changes:
            if changes[key] is None:
                continue
            line = f"{key}={changes[key]}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def test_selector_data_names_catalog_technologies() -> None:
    catalog = load_catalog()
    for family in load_families():
        assert set(family.selects.values()) <= set(catalog.techs), family.keys
        assert not set(family.selects) & family.others, family.keys


def test_skeleton_backends_no_selector_picks_are_hints() -> None:
    facts = extract(LARAVEL)
    redis = by_tech(facts, "redis", "env.database")
    assert [f.confidence for f in redis] == [Confidence.HINT]
    assert redis[0].text == (
        "Redis: configured by REDIS_HOST, REDIS_PASSWORD, REDIS_PORT in .env examples, but no driver variable "
        "selects it (BROADCAST_DRIVER=log, CACHE_DRIVER=file, QUEUE_CONNECTION=sync and 1 more): "
        "an option the file configures, not a service in use"
    )
    assert {e.line for e in redis[0].evidence} >= {11, 12, 14, 15}  # the selectors are cited
    memcached = by_tech(facts, "memcached", "env.database")
    assert [f.confidence for f in memcached] == [Confidence.HINT]
    assert "(CACHE_DRIVER=file, SESSION_DRIVER=file)" in memcached[0].text
    pusher = [f for f in facts if f.service == "pusher"]
    assert pusher and all(f.confidence is Confidence.HINT for f in pusher)
    assert any("no driver variable selects it (BROADCAST_DRIVER=log)" in f.text for f in pusher)
    # the engine DB_CONNECTION names is not a backend of any selector: unchanged
    mysql = by_tech(facts, "mysql", "env.database")
    assert [f.confidence for f in mysql] == [Confidence.INFERRED]


def test_scout_drivers_pick_the_search_engine() -> None:
    # koel/koel .env.example: Meilisearch and Algolia configured, SCOUT_DRIVER=tntsearch in use
    text = ("SCOUT_DRIVER=tntsearch\nALGOLIA_APP_ID=\nALGOLIA_SECRET=\n"
            "MEILISEARCH_HOST=http://127.0.0.1:7700\nMEILISEARCH_KEY=\n")
    facts = extract(text)
    search = [f for f in facts if f.tech in ("meilisearch", "algolia")]
    assert search and all(f.confidence is Confidence.HINT for f in search), [(f.tech, f.text) for f in search]
    assert any("(SCOUT_DRIVER=tntsearch)" in f.text for f in search)
    chosen = extract(text.replace("tntsearch", "meilisearch"))
    assert any(f.tech == "meilisearch" and f.confidence is not Confidence.HINT for f in chosen)


def test_an_applications_storage_driver_picks_its_object_store() -> None:
    # docmost/docmost .env.example: STORAGE_DRIVER=local with S3 and Azure settings beside it
    text = ("STORAGE_DRIVER=local\nAWS_S3_ACCESS_KEY_ID=\nAWS_S3_SECRET_ACCESS_KEY=\nAWS_S3_BUCKET=\n"
            "AZURE_STORAGE_CONNECTION_STRING=\n")
    stores = [f for f in extract(text) if f.tech in ("aws-s3", "azure-blob-storage")]
    assert stores and all(f.confidence is Confidence.HINT for f in stores), [(f.tech, f.text) for f in stores]
    assert any("(STORAGE_DRIVER=local): an option the file configures" in f.text for f in stores)


@pytest.mark.parametrize(("engine", "hint"), [("sqlite", True), ("postgres", False)])
def test_an_applications_sql_engine_selector_picks_among_its_engines(engine: str, hint: bool) -> None:
    # mealie's docker-compose.yml: `DB_ENGINE: sqlite # Optional: 'sqlite', 'postgres'` above its
    # POSTGRES_* settings; a Redis beside them is no SQL engine the selector picks among
    text = (f"DB_ENGINE={engine}\nPOSTGRES_USER=mealie\nPOSTGRES_SERVER=postgres\nPOSTGRES_PORT=5432\n"
            "POSTGRES_DB=mealie\nREDIS_HOST=redis\n")
    facts = extract(text)
    [postgres] = by_tech(facts, "postgresql", "env.database")
    assert (postgres.confidence is Confidence.HINT) is hint, postgres.text
    assert ("(DB_ENGINE=sqlite): an option the file configures" in postgres.text) is hint, postgres.text
    [redis] = by_tech(facts, "redis", "env.database")
    assert redis.confidence is not Confidence.HINT, redis.text
    if hint:
        assert [f.confidence for f in by_tech(facts, "sqlite", "env.database")] == [Confidence.INFERRED]
    # BookStack's .env.example.complete: STORAGE_TYPE=local above its STORAGE_S3_* settings
    booked = extract("STORAGE_TYPE=local\nSTORAGE_S3_KEY=\nSTORAGE_S3_SECRET=\nSTORAGE_S3_BUCKET=\n"
                     "STORAGE_S3_ENDPOINT=https://my-custom-s3-compatible.service.com:8001\n")
    assert all(f.confidence is Confidence.HINT for f in booked if f.tech == "aws-s3")


def test_a_mail_catcher_is_development_tooling_not_delivery() -> None:
    smtp = [f for f in extract(LARAVEL) if f.service == "smtp"]
    # MAIL_MAILER=smtp selects it, but mailhog is local: its purpose and its login are hints
    assert [(f.field, f.confidence) for f in smtp] == [("ext.purpose", Confidence.HINT), ("ext.auth", Confidence.HINT)]
    assert "MAIL_HOST=mailhog is a local mail catcher (development tooling)" in smtp[0].text
    # ...also without any selector, and with a URL or a port
    for value in ("mailpit", "smtp://mailpit:1025", "mailhog.local:1025"):
        generic = [f for f in extract(f"SMTP_HOST={value}\nSMTP_PORT=1025\n") if f.service == "smtp"]
        assert generic and all(f.confidence is Confidence.HINT for f in generic), value
    real = [f for f in extract("MAIL_MAILER=smtp\nMAIL_HOST=smtp.office365.com\n") if f.service == "smtp"]
    assert [f.confidence for f in real] == [Confidence.INFERRED]
    assert real[0].text == "Email delivery (configured by MAIL_HOST, MAIL_MAILER in .env examples)"


def test_a_selector_keeps_its_backend_and_can_name_it_alone() -> None:
    facts = extract(
        edited(CACHE_DRIVER="redis", BROADCAST_DRIVER="pusher", PUSHER_APP_ID="1234567", MAIL_MAILER="ses")
    )
    redis = by_tech(facts, "redis", "env.database")
    assert [f.confidence for f in redis] == [Confidence.INFERRED]
    assert redis[0].text == "Redis: configured by REDIS_HOST, CACHE_DRIVER, REDIS_PASSWORD and 1 more in .env examples"
    assert all(f.confidence is Confidence.INFERRED for f in facts if f.service == "pusher")
    # MAIL_MAILER=ses: Amazon SES with no SES_ variable at all; SMTP is ruled out, mailhog or not
    ses = [f for f in facts if f.service == "amazon-ses"]
    assert texts(ses) == ["Transactional email (configured by MAIL_MAILER in .env examples)"]
    smtp = [f for f in facts if f.service == "smtp"]
    assert [f.confidence for f in smtp] == [Confidence.HINT, Confidence.HINT]  # its purpose and its login
    # CACHE_DRIVER=redis does not turn Memcached on; SESSION_DRIVER=file still rules it out
    assert [f.confidence for f in by_tech(facts, "memcached", "env.database")] == [Confidence.HINT]


@pytest.mark.parametrize("value", ["${CACHE_DRIVER}", "tiered", "failover"])
def test_a_selector_value_not_known_rules_nothing_out(value: str) -> None:
    """A connection the application names itself (config/cache.php `tiered`) may be Memcached."""
    facts = extract(edited(CACHE_DRIVER=value))
    assert [f.confidence for f in by_tech(facts, "memcached", "env.database")] == [Confidence.INFERRED]


def test_commented_selectors_are_alternatives() -> None:
    facts = extract(edited(CACHE_DRIVER=None, SESSION_DRIVER=None) + "# CACHE_DRIVER=file\n")
    assert [f.confidence for f in by_tech(facts, "memcached", "env.database")] == [Confidence.INFERRED]


def test_without_its_selector_an_uncredentialed_service_is_a_hint() -> None:
    facts = extract(edited(BROADCAST_DRIVER=None))
    pusher = [f for f in facts if f.service == "pusher" and f.field == "ext.purpose"]
    assert [f.confidence for f in pusher] == [Confidence.HINT]
    assert pusher[0].text.endswith(", but its credentials are empty and no driver variable selects it")
    keyed = extract(edited(BROADCAST_DRIVER=None, PUSHER_APP_KEY="a1b2c3"))
    assert all(f.confidence is Confidence.INFERRED for f in keyed if f.service == "pusher")


def test_files_without_selectors_read_as_before() -> None:
    """Most `.env.example` files have no driver variables: empty keys there are still services."""
    facts = extract("REDIS_HOST=127.0.0.1\nPUSHER_APP_ID=\nPUSHER_APP_KEY=\nSTRIPE_SECRET_KEY=\n")
    assert all(f.confidence is Confidence.INFERRED for f in facts if f.tech in ("redis", "pusher", "stripe"))


def test_skeleton_document_lists_no_service(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, {".env.example": LARAVEL})
    assert scanned.model.services == []
    assert "no third-party service found; the hints below are services configured but not shown in use." \
        in scanned.markdown
    # firefly-iii: these were in the JSON and nowhere in the document
    assert "\n  - hint: Pusher: Realtime messaging (configured by `MIX_PUSHER_APP_KEY`" in scanned.markdown
    assert "\n  - hint: SMTP email: Email delivery" in scanned.markdown
    database = texts(facts_for(scanned.model, "env.database", env="development"))
    assert any(t.startswith("MySQL") for t in database)
    assert "- hint: Redis: configured by `REDIS_HOST`" in scanned.markdown


@pytest.mark.parametrize("value", ["pgsql", "postgres", "postgresql"])
def test_an_sql_engine_selector_reads_its_value_as_the_engine_variables_name(value: str) -> None:
    # Laravel's DB_CONNECTION=pgsql, a URL scheme, the engine's id: each picks PostgreSQL, so the
    # MySQL settings beside it are an option the file configures
    facts = extract(f"DB_DRIVER={value}\nMYSQL_HOST=db\nMYSQL_DATABASE=app\nMYSQL_PASSWORD=\n")
    [mysql] = by_tech(facts, "mysql", "env.database")
    assert mysql.confidence is Confidence.HINT and f"DB_DRIVER={value}" in mysql.text, mysql.text
