"""The .env.example family: dotenv syntax, descriptions, services and their auth, URLs, secrets.

Fixtures under tests/fixtures/envfile/ name the public file each is modelled on.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import Scanned, facts_for, fixture_text, scan_tree, texts
from infrascan.detectors.envfile import EnvFileDetector, parse_env_file

from infrascan.envvars import Variable
from infrascan.export import to_json
from infrascan.model import Confidence

PLANTED = {
    "stripe": "sk_live_51Nq8ZbKp3vR7tY2wQx9LmA4dE6fG8hJ1kL3mN5pQ7rS9tU",
    "aws": "AKIAQ3EGRZ7XK4LT2WNP",
    "token": "Zx9vQ2mLp8Rt4Wy7Kb3Nc6Hd1Jf5Gs0Aq8Ue2Io4",
}


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    planted = (
        "# Payments\n"
        f"STRIPE_SECRET_KEY={PLANTED['stripe']}\n"
        f"AWS_ACCESS_KEY_ID={PLANTED['aws']}\n"
        f"LOG_LEVEL={PLANTED['token']}\n"
        f"# {PLANTED['token']} is the staging token\n"
        f"POSTHOG_API_KEY={PLANTED['token']}\n"
    )
    return scan_tree(
        tmp_path_factory.mktemp("envfile"),
        {
            ".env.example": fixture_text("envfile", ".env.example"),
            ".env.docker.example": fixture_text("envfile", "docker.env.example"),
            ".env.prod.example": fixture_text("envfile", "prod.env.example"),
            "services/billing/.env.sample": planted,
            ".env": "STRIPE_SECRET_KEY=sk_live_never_read_this_file_at_all_12345\n",
        },
    )


def service(scanned: Scanned, field: str, sid: str) -> list[str]:
    return texts(facts_for(scanned.model, field, service=sid))


# -- dotenv syntax -------------------------------------------------------------------------------------


def test_parse_env_file_syntax() -> None:
    text = (
        "\ufeff# Database settings\n# for the app\nexport DATABASE_URL=postgres://db/app\n"
        'QUOTED="a # b"  # trailing comment\n'
        "SINGLE='x \"y\"'\n"
        "UNQUOTED=abc # comment\n"
        "HASH=abc#def\n"
        'ESCAPED="say \\"hi\\""\n'
        'MULTI="line1\nline2"\n'
        "# OPTIONAL_KEY=value\n"
        "# LONE_OPTIONAL_KEY\n"
        "# Prose = not a key\n"
        "EMPTY=\n"
        'BROKEN="never closed\n'
        "AFTER=1\n"
    )
    parsed = {v.name: v for v in parse_env_file(text)}
    assert parsed["DATABASE_URL"] == Variable("DATABASE_URL", "postgres://db/app", 3, "Database settings\nfor the app")
    assert parsed["QUOTED"].value == "a # b"
    assert parsed["SINGLE"].value == 'x "y"'
    assert parsed["UNQUOTED"].value == "abc"
    assert parsed["HASH"].value == "abc#def"
    assert parsed["ESCAPED"].value == 'say "hi"'
    assert parsed["MULTI"].value == "line1\nline2" and parsed["MULTI"].line == 9
    assert parsed["OPTIONAL_KEY"].optional and parsed["OPTIONAL_KEY"].value == "value"
    assert parsed["LONE_OPTIONAL_KEY"].optional and parsed["LONE_OPTIONAL_KEY"].value is None
    assert "Prose" not in parsed
    assert parsed["EMPTY"].value == ""
    assert parsed["BROKEN"].value == "never closed" and parsed["AFTER"].line == 16  # one stray quote swallows nothing


def test_descriptions_stop_at_blank_lines_and_banners() -> None:
    text = "# Unrelated\n\n# ====\n# Stripe keys\nSTRIPE_KEY=\n# ----- Section -----\nNEXT=\n"
    parsed = {v.name: v.comment for v in parse_env_file(text)}
    assert parsed == {"STRIPE_KEY": "Stripe keys", "NEXT": ""}


# -- services, auth, descriptions ---------------------------------------------------------------------


def test_comment_above_a_key_is_the_purpose(scanned: Scanned) -> None:
    [fact] = [f for f in facts_for(scanned.model, "ext.purpose", service="tinybird") if f.rank == 20]
    assert fact.text == (
        "“Tinybird (optional - for monitor analytics and charts). Leave empty to disable analytics features. "
        "Get from: https://www.tinybird.co.” (comment above TINY_BIRD_API_KEY)"
    )
    assert fact.confidence is Confidence.DECLARED
    assert any(getattr(p, "text", None) == "https://www.tinybird.co" for p in fact.parts)  # URLs are code spans


def test_the_comment_that_names_the_service_describes_it(scanned: Scanned) -> None:
    """formbricks .env.example: the comment above CUBEJS_API_URL names Cube; the one above the secret does not."""
    [fact] = [f for f in facts_for(scanned.model, "ext.purpose", service="cube") if f.rank == 20]
    assert fact.text.startswith("“Cube semantic-layer API. Required.")


def test_auth_kinds(scanned: Scanned) -> None:
    assert service(scanned, "ext.auth", "github-oauth") == ["OAuth client (AUTH_GITHUB_ID, AUTH_GITHUB_SECRET)"]
    assert sorted(service(scanned, "ext.auth", "stripe")) == [
        "API key or token (STRIPE_SECRET_KEY)",
        "Public client key (shipped to browsers, not a secret) (NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY)",
        "Signed inbound webhooks (STRIPE_WEBHOOK_SECRET_KEY)",
    ]
    assert service(scanned, "ext.auth", "aws-s3") == ["API key or token (S3_ACCESS_KEY, S3_SECRET_KEY)"]


def test_smtp_host_names_the_provider_and_takes_its_settings(scanned: Scanned) -> None:
    assert service(scanned, "ext.auth", "sendgrid") == ["Username and password (SMTP_PASSWORD, SMTP_USER)"]
    purposes = service(scanned, "ext.purpose", "sendgrid")
    assert (
        "“Email: SMTP through SendGrid. Used for verification and invite emails.” (comment above SMTP_HOST)" in purposes
    )
    assert "smtp" not in scanned.model.services


def test_names_at_token_boundaries_and_public_prefixes(scanned: Scanned) -> None:
    services = scanned.model.services
    for sid in ("tinybird", "twilio", "vercel-blob", "upstash", "resend"):  # TINY_BIRD_, TWILLIO_ (sic), BLOB_READ_...
        assert sid in services, sid
    app = texts(facts_for(scanned.model, "mon.application"))
    assert "Datadog: DD_AGENT_HOST in .env examples" in app  # and ADD_USER is not Datadog
    assert not [t for t in app if "ADD_USER" in t]
    assert "Sentry: NEXT_PUBLIC_SENTRY_DSN, SENTRY_AUTH_TOKEN in .env examples" in app


def test_commented_keys_are_hints(scanned: Scanned) -> None:
    mailgun = facts_for(scanned.model, "ext.purpose", service="mailgun")
    assert mailgun and all(f.confidence is Confidence.HINT for f in mailgun)
    assert "mailgun" not in scanned.model.services  # hints never make a service
    [uptime] = [f for f in facts_for(scanned.model, "mon.application") if f.tech == "betterstack-uptime"]
    assert uptime.confidence is Confidence.HINT  # BETTERSTACK_UPTIME_ is uptime checks, not Logtail logs


def test_rate_limits_and_fallbacks(scanned: Scanned) -> None:
    assert service(scanned, "ext.rate_limits", "openai") == ["Declared limit OPENAI_RATE_LIMIT_RPM = 60"]
    assert service(scanned, "ext.fallback", "stripe") == ["Timeout/retry setting STRIPE_TIMEOUT_MS = 10000"]


# -- databases, URLs, environments ----------------------------------------------------------------


def test_connection_url_schemes(scanned: Scanned) -> None:
    dev = texts(facts_for(scanned.model, "env.database", env="development"))
    assert "PostgreSQL: DATABASE_URL connection URL (postgresql:) in .env examples" in dev
    assert "MySQL: ANALYTICS_DATASOURCE_URL connection URL (mysql:) in .env examples" in dev  # jdbc: stripped
    assert "Redis: CACHE_URL connection URL (rediss:) in .env examples" in dev
    assert "Turso (libSQL): TURSO_DATABASE_URL connection URL (libsql:) in .env examples" in dev
    # http://libsql:8080 names no engine; the comment above it does
    assert (
        "Turso (libSQL): DATABASE_URL connection URL (http:) (engine named in the comment above it) in .env examples"
        in dev
    )
    hints = [f for f in facts_for(scanned.model, "env.database", env="development") if f.item == "database:unknown"]
    assert texts(hints) == ["Database, engine not stated: ACCELERATE_DATABASE_URL (prisma: URL) in .env examples"]


def test_url_and_environment_from_file_name_and_selector(scanned: Scanned) -> None:
    urls = {f.attrs["url"] for f in facts_for(scanned.model, "env.url", env="development")}
    assert urls == {"http://localhost:3000"}  # api.example.com is a placeholder host
    assert texts(facts_for(scanned.model, "env.url", env="production")) == []  # localhost is not production's URL
    prod = texts(facts_for(scanned.model, "env.database", env="production"))
    assert prod == ["PostgreSQL: DATABASE_URL, DIRECT_URL connection URL (postgresql:) in .env examples"]
    # .env.docker.example names no environment; NODE_ENV=production says which one it configures
    assert texts(facts_for(scanned.model, "env.special", env="production")) == ["NODE_ENV=production in .env examples"]


def test_log_levels(scanned: Scanned) -> None:
    levels = facts_for(scanned.model, "log.levels")
    assert "LOG_LEVEL=info in .env examples" in texts(levels)
    assert any(f.text == "LANGFUSE_LOG_LEVEL=info commented out in .env examples"
               and f.confidence is Confidence.HINT for f in levels)


# -- secrets -----------------------------------------------------------------------------------------


def test_planted_secrets_never_reach_any_output(scanned: Scanned) -> None:
    output = scanned.markdown + to_json(scanned.model, scanned.view)
    assert "LOG_LEVEL=[redacted]" in output and "PostHog" in output  # the planted lines were read
    for value in PLANTED.values():
        assert value not in output
    assert "sk_live_never_read" not in output  # a plain .env is never read
    assert "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7" not in output  # multi-line PEM value
    assert "not # a comment" not in output  # SMTP_PASSWORD's value
    json.loads(to_json(scanned.model, scanned.view))


def test_committed_env_files_are_read_for_names_only(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, {"apps/api/.env.test": "LOG_LEVEL=debug\nRESEND_API_KEY=re_live_abcdefgh_ijklmnop\n"})
    assert texts(facts_for(scanned.model, "ext.auth", service="resend")) == ["API key or token (RESEND_API_KEY)"]
    assert "re_live" not in scanned.markdown  # values of committed files are not shown...
    # ...but for the settings that only choose a word (see the next test)
    assert "LOG_LEVEL=debug" in scanned.markdown


@pytest.mark.parametrize(
    "path",
    [
        ".env.example",
        ".env.sample",
        ".env.template",
        ".env.dist",
        ".env.defaults",
        ".env.dev.example",
        ".env.docker-lightweight.example",
        "example.env",
        ".example.env",
        ".sample.env",
        "env.sample",
        "podman/env.sample",
        "app.env.example",
        ".env.example.local",
        ".env.production",
        ".env.test",
    ],
)
def test_claimed_file_names(path: str) -> None:
    assert EnvFileDetector().claims(path)


@pytest.mark.parametrize("path", [".env", ".env.local", ".env.production.local", "env.py", ".envrc"])
def test_unclaimed_file_names(path: str) -> None:
    assert not EnvFileDetector().claims(path)


def test_an_oauth_client_alone_is_sign_in_not_the_catalog_s_purpose(tmp_path: Path) -> None:
    # outline's .env.sample: Discord with a client id and secret (no bot token, no webhook) was
    # "Chat notifications"; so was its Slack, its sign-in provider, whose verification token serves a
    # slash command; Slack with a webhook keeps its catalog purpose
    scanned = scan_tree(tmp_path, {".env.example": "DISCORD_CLIENT_ID=\nDISCORD_CLIENT_SECRET=\nDISCORD_SERVER_ID=\n"
                                                   "SLACK_CLIENT_ID=\nSLACK_CLIENT_SECRET=\nSLACK_VERIFICATION_TOKEN=\n"})
    discord = texts(facts_for(scanned.model, "ext.purpose", service="discord"))
    assert discord == ["Sign-in or app integration (configured by DISCORD_CLIENT_ID, DISCORD_CLIENT_SECRET, "
                       "DISCORD_SERVER_ID in .env examples)"]
    assert texts(facts_for(scanned.model, "ext.purpose", service="slack"))[0].startswith("Sign-in or app integration")
    (tmp_path / "hook").mkdir()
    bot = "SLACK_CLIENT_ID=\nSLACK_CLIENT_SECRET=\nSLACK_BOT_TOKEN=\n"
    hooked = scan_tree(tmp_path / "hook", {".env.example": bot})
    assert texts(facts_for(hooked.model, "ext.purpose", service="slack"))[0].startswith("Chat notifications")


def test_an_alerting_tool_only_switched_on_or_off_is_a_hint(tmp_path: Path) -> None:
    # healthchecks: `PD_ENABLED`, `OPSGENIE_ENABLED` switch integrations the application offers its
    # users; they were its team's alert channels. A routing key still says where alerts go.
    scanned = scan_tree(tmp_path, {".env.example": "PD_APP_ID=\nPD_ENABLED=False\nOPSGENIE_ENABLED=True\n"
                                                   "PAGERDUTY_ROUTING_KEY=\n"})
    channels = facts_for(scanned.model, "alert.channels")
    assert {f.tech: f.confidence for f in channels} == {"opsgenie": Confidence.HINT, "pagerduty": Confidence.INFERRED}
    sole = tmp_path / "sole"
    sole.mkdir()
    scanned = scan_tree(sole, {".env.example": "PD_APP_ID=\nPD_ENABLED=False\n"})
    [pagerduty] = facts_for(scanned.model, "alert.channels")
    assert pagerduty.confidence is Confidence.HINT and "only switched on or off" in pagerduty.text


def test_a_committed_env_file_gives_a_connection_url_s_scheme_and_nothing_after_it(tmp_path: Path) -> None:
    # outline's .env.development: "Database, engine not stated" although the URL says postgres://
    scanned = scan_tree(tmp_path, {".env.development": "DATABASE_URL=postgres://outline:s3cr3t-pw@db.internal:5432/app\n"
                                                       "SECRET_KEY=abcdef0123456789\n",
                                   # no scheme: the first word is a user, or a host (the code review's cases)
                                   ".env.production": "DATABASE_URL=admin:hunter2@cache.corp:6379\n",
                                   ".env.staging": "DATABASE_URL=db01.corp-internal.example:5432/app\n"})
    [database] = [f for f in facts_for(scanned.model, "env.database", "development") if f.tech == "postgresql"]
    assert database.text.startswith("PostgreSQL: DATABASE_URL connection URL")
    exported = scanned.markdown + to_json(scanned.model, scanned.view)
    assert not any(secret in exported for secret in ("s3cr3t-pw", "db.internal", "abcdef0123456789", "outline:",
                                                     "admin", "hunter2", "db01", "corp-internal"))


def test_a_committed_env_file_named_for_dev_is_development_s(tmp_path: Path) -> None:
    # ghostfolio: DEVELOPMENT.md says to copy .env.dev to .env; it was not read, and .env.example
    # (its self-hosting compose file's) was the development database's only evidence
    scanned = scan_tree(tmp_path, {".env.dev": "REDIS_HOST=localhost\n"
                                               "DATABASE_URL=postgresql://user:dev-secret-pw@localhost:5432/ghostfolio-db\n"})
    [database] = [f for f in facts_for(scanned.model, "env.database", "development") if f.tech == "postgresql"]
    assert database.evidence[0].path == ".env.dev"
    assert "dev-secret-pw" not in scanned.markdown + to_json(scanned.model, scanned.view)


def test_a_committed_env_file_keeps_the_settings_that_only_choose(tmp_path: Path) -> None:
    # solidtime's .env.production, which every image build copies in: PostgreSQL and a debug log
    # level in production, while the keys beside them stay unread
    scanned = scan_tree(tmp_path, {".env.production": "APP_ENV=production\nAPP_KEY=base64:c2VjcmV0LWtleQ==\n"
                                                      "LOG_LEVEL=debug\nDB_CONNECTION=pgsql\nDB_PASSWORD=Hunter2pw\n"
                                                      "CACHE_STORE=s3cr3t/value=with+slashes\n"})
    [database] = facts_for(scanned.model, "env.database", "production")
    assert database.tech == "postgresql" and "DB_CONNECTION=pgsql" in database.text
    assert [f.text for f in facts_for(scanned.model, "log.levels")] == ["LOG_LEVEL=debug in committed .env files"]
    exported = scanned.markdown + to_json(scanned.model, scanned.view)
    # a chosen value is one word: anything else a selector holds is not read
    assert not any(secret in exported for secret in ("c2VjcmV0", "Hunter2pw", "s3cr3t"))


def test_a_value_built_from_variables_above_it_is_read_expanded(tmp_path: Path) -> None:
    # plane: `REDIS_URL="redis://${REDIS_HOST}:6379/"` beside `REDIS_HOST="plane-redis"`, the compose
    # service that runs Valkey; the URL named Redis beside the Valkey store
    scanned = scan_tree(tmp_path, {
        "apps/api/.env.example": 'REDIS_HOST="plane-redis"\nREDIS_URL="redis://${REDIS_HOST}:6379/"\n',
        "docker-compose.yml": "services:\n  plane-redis:\n    image: valkey/valkey:7.2.11-alpine\n",
    })
    texts_ = [f.text for f in facts_for(scanned.model, "env.database")]
    assert any(t.startswith("Valkey: REDIS_URL connection URL") and "host plane-redis runs Valkey" in t
               for t in texts_), texts_
    # a default applies when nothing above sets the name; an unknown name stays as written
    values = {v.name: v.value for v in parse_env_file(
        "CACHE_URL=redis://${CACHE_HOST:-cache}:6379\nQUEUE_URL=amqp://${MQ_HOST}:5672\n")}
    assert values == {"CACHE_URL": "redis://cache:6379", "QUEUE_URL": "amqp://${MQ_HOST}:5672"}


def test_a_setting_naming_a_release_is_shown_with_its_value(tmp_path: Path) -> None:
    # mattermost/docker: env.example's POSTGRES_IMAGE_TAG=13-alpine is the only place the version of
    # the compose file's `postgres:${POSTGRES_IMAGE_TAG}` is written
    example = ("POSTGRES_IMAGE_TAG=13-alpine\nPOSTGRES_DATA_PATH=./volumes/db/var/lib/postgresql/data\n"
               "POSTGRES_USER=mmuser\nPOSTGRES_PASSWORD=mmuser_password\nPOSTGRES_DB=mattermost\n"
               "# a value the redactor reads as a token keeps its name alone\n"
               "POSTGRES_TOKEN_VERSION=9f8e7d6c5b4a39281706f5e4d3c2b1a0\n")
    scanned = scan_tree(tmp_path, {"env.example": example})
    [database] = texts(facts_for(scanned.model, "env.database"))
    assert database.startswith("PostgreSQL: configured by POSTGRES_IMAGE_TAG=13-alpine, "), database
    assert "mmuser" not in scanned.markdown and "9f8e7d6c5b4a" not in scanned.markdown
