"""The shared variable vocabulary: names -> technologies, auth kinds, URLs, descriptions, settings."""

from __future__ import annotations

import pytest

from infrascan.envvars import Variable, VariableReader, auth_kind, describe, is_placeholder_host, url_of
from infrascan.model import Code, Confidence, Fact


def read(*variables: Variable, env: str | None = "development", **kwargs: object) -> list[Fact]:
    reader = VariableReader(
        path="k8s/deployment.yaml",
        detector="test",
        env=env,
        where=("in container ", Code("api")),
        confidence=Confidence.DECLARED,
        **kwargs,  # type: ignore[arg-type]
    )
    return reader.facts(list(variables))


def var(name: str, value: str | None = "", line: int = 1, comment: str = "", optional: bool = False) -> Variable:
    return Variable(name, value, line, comment, optional)


@pytest.mark.parametrize(
    ("name", "others", "kind"),
    [
        ("STRIPE_SECRET_KEY", set(), "API key or token"),
        ("OPENAI_API_KEY", set(), "API key or token"),
        ("GITHUB_CLIENT_SECRET", set(), "OAuth client"),
        ("GITHUB_CLIENT_ID", {"GITHUB_CLIENT_SECRET"}, "OAuth client"),
        ("GITHUB_CLIENT_ID", set(), None),
        # signs the OAuth flow's `state`: part of the OAuth app, not an API key (langfuse .env.dev.example)
        ("SLACK_STATE_SECRET", {"SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"}, "OAuth client"),
        ("AUTH_GOOGLE_SECRET", {"AUTH_GOOGLE_ID"}, "OAuth client"),  # Auth.js v5 naming
        ("AUTH_GOOGLE_SECRET", set(), "API key or token"),
        ("SENTRY_DSN", set(), "DSN"),
        ("AWS_ACCESS_KEY_ID", set(), "static access keys"),
        # the secret half of the pair (maybe-finance/maybe .env.example)
        ("S3_SECRET_ACCESS_KEY", {"S3_ACCESS_KEY_ID"}, "static access keys"),
        ("AWS_SECRET_ACCESS_KEY", set(), "static access keys"),
        ("GOOGLE_APPLICATION_CREDENTIALS", set(), "service-account credentials file"),
        ("STRIPE_WEBHOOK_SECRET", set(), "signed inbound webhooks"),
        ("SMTP_PASSWORD", set(), "username and password"),
        # the user beside its password (BookStack's MAIL_USERNAME, sentry self-hosted's SES_USER)
        ("MAIL_USERNAME", {"MAIL_PASSWORD"}, "username and password"),
        ("SES_USER", {"SES_PASSWORD"}, "username and password"),
        ("MAIL_USERNAME", set(), None),
        ("POSTGRES_USER", {"REDIS_PASSWORD"}, None),
        ("NEXT_PUBLIC_POSTHOG_KEY", set(), "public client key (shipped to browsers, not a secret)"),
        ("STRIPE_PUBLISHABLE_KEY", set(), "public client key (shipped to browsers, not a secret)"),
        ("NEXT_PUBLIC_POSTHOG_HOST", set(), None),
        ("STRIPE_TIMEOUT", set(), None),
        ("KEYCLOAK_REALM", set(), None),
    ],
)
def test_auth_kind(name: str, others: set[str], kind: str | None) -> None:
    assert auth_kind(name, others | {name}) == kind


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("postgres://u:p@db:5432/app", ("postgres", "db")),
        ("jdbc:postgresql://db.internal:5432/app", ("postgresql", "db.internal")),
        ("jdbc:sqlserver://db;databaseName=x", ("sqlserver", "db;databasename=x")),
        ("file:./dev.db", ("file", "")),
        ("sqlite:///app.sqlite3", ("sqlite", "")),
        ("'mongodb+srv://cluster0.mongodb.net/app'", ("mongodb+srv", "cluster0.mongodb.net")),
        ("libsql://app-org.turso.io", ("libsql", "app-org.turso.io")),
        ("prisma://accelerate.prisma-data.net/?api_key=x", ("prisma", "accelerate.prisma-data.net")),
        ("postgres:5432", None),
        ("localhost", None),
        ("", None),
        (None, None),
        ("http://[::1", None),
    ],
)
def test_url_of(value: str | None, expected: tuple[str, str] | None) -> None:
    assert url_of(value) == expected


@pytest.mark.parametrize(
    ("host", "placeholder"),
    [
        ("localhost", True),
        ("chart-example.local", True),
        ("api.example.com", True),
        ("your-domain.com", True),
        ("${HOST}", True),
        ("app.test", True),
        ("", True),
        ("app.acme.io", False),
        ("shop.fly.dev", False),
    ],
)
def test_placeholder_hosts(host: str, placeholder: bool) -> None:
    assert is_placeholder_host(host) is placeholder


def test_describe_joins_wrapped_lines_cuts_long_text_and_keeps_urls_as_code() -> None:
    parts = describe("Twilio is used to send SMS\nreminders to attendees\nSee https://twilio.com/console")
    assert "".join(p.text if isinstance(p, Code) else p for p in parts) == (
        "Twilio is used to send SMS reminders to attendees. See https://twilio.com/console."
    )
    assert Code("https://twilio.com/console") in parts
    long = describe("word " * 100)
    assert str(long[-1]).endswith(" …") and len(str(long[-1])) <= 205
    assert "sk_live" not in "".join(map(str, describe("key sk_live_51Nq8ZbKp3vR7tY2wQx9LmA4dE6fG8hJ1")))


@pytest.mark.parametrize(("comment", "said"), [
    # outline's .env.sample: a line may start with an acronym or follow a word no sentence ends on
    ('"put" uses a single\nPUT request with a presigned URL.', '"put" uses a single PUT request with a presigned URL.'),
    ("Set this for providers like\nCloudflare R2 that do not support it.",
     "Set this for providers like Cloudflare R2 that do not support it."),
    ("Sentry\nThe DSN of your project", "Sentry. The DSN of your project."),  # a bare title, then a sentence
    # outline: a label in capitals starts a line of its own
    ("Discord sign-in provider\nDOCS: the hosting guide", "Discord sign-in provider. DOCS: the hosting guide."),
])
def test_describe_joins_a_sentence_wrapped_before_a_capital(comment: str, said: str) -> None:
    assert "".join(p.text if isinstance(p, Code) else p for p in describe(comment)) == said


def test_token_boundaries_and_public_prefixes() -> None:
    facts = read(var("ADD_USER", "x"), var("VITE_SENTRY_DSN", "https://k@o1.ingest.sentry.io/1"), var("DD_ENV", "prod"))
    assert sorted(f.tech for f in facts if f.tech) == ["datadog", "sentry"]


def test_monitoring_variables_split_by_kind() -> None:
    facts = read(var("DD_API_KEY"), var("DD_LOGS_ENABLED", "true", 2), var("DD_TRACE_SAMPLE_RATE", "0.2", 3))
    assert sorted((f.field, f.text) for f in facts) == [
        ("log.aggregation", "Datadog: DD_LOGS_ENABLED in container api"),
        ("mon.application", "Datadog: DD_API_KEY in container api"),
        ("mon.performance", "Datadog: DD_TRACE_SAMPLE_RATE in container api"),
    ]


def test_database_urls_and_placeholders() -> None:
    facts = read(
        var("DATABASE_URL", "postgres://app:secret@db:5432/app"),
        var("REDIS_URL", "redis://cache:6379", 2),
        var("MONGO_URI", "", 3),
    )
    assert sorted(f.text for f in facts) == [
        "MongoDB: configured by MONGO_URI in container api",
        "PostgreSQL: DATABASE_URL connection URL (postgres:) in container api",
        "Redis: REDIS_URL connection URL (redis:) in container api",
    ]
    assert all("secret" not in f.text for f in facts)


def test_engine_named_only_in_a_comment_or_not_at_all() -> None:
    [fact] = read(var("DATABASE_URL", "http://127.0.0.1:8080", comment="TURSO SQLITE"))
    assert fact.tech == "turso" and "(engine named in the comment above it)" in fact.text
    [fact] = read(var("DATABASE_URL", "prisma://accelerate.prisma-data.net/?api_key=x"))
    assert fact.item == "database:unknown" and fact.confidence is Confidence.HINT


def test_selector_environment_from_its_value() -> None:
    [fact] = read(var("RAILS_ENV", "production"), env="development", env_from_selector=True)
    assert (fact.field, fact.env) == ("env.special", "production")
    [fact] = read(var("RAILS_ENV", "production"), env="staging")
    assert fact.env == "staging"  # a source that names its environment keeps it


def test_app_urls() -> None:
    facts = read(var("NEXT_PUBLIC_APP_URL", "https://app.acme.io"), var("APP_URL", "http://localhost:3000", 2))
    assert sorted(f.attrs["url"] for f in facts) == ["http://localhost:3000", "https://app.acme.io"]
    assert read(var("APP_URL", "http://localhost:3000"), env="production") == []
    assert read(var("SITE_URL", "https://your-domain.com")) == []


def test_names_are_listed_once_connection_settings_first() -> None:
    [purpose, *_] = read(
        var("STRIPE_WEBHOOK_SECRET"),
        var("STRIPE_API_BASE_URL", "https://api.stripe.com", 2),
        var("STRIPE_WEBHOOK_SECRET", line=3),
    )
    assert purpose.text == "Payments (configured by STRIPE_API_BASE_URL, STRIPE_WEBHOOK_SECRET in container api)"


def test_optional_variables_are_hints() -> None:
    facts = read(var("SENTRY_DSN", optional=True), var("LOG_LEVEL", "debug", 2, optional=True))
    assert {f.confidence for f in facts} == {Confidence.HINT}


def test_a_comment_that_only_names_the_service_is_not_its_description() -> None:
    """openstatus apps/web/.env.example: `# STRIPE` above the Stripe keys is a section title."""
    facts = read(var("STRIPE_SECRET_KEY", comment="STRIPE"), var("STRIPE_TIMEOUT", "5", 2, comment="Stripe:"))
    assert [f for f in facts if f.field == "ext.purpose" and f.rank == 20] == []
    # mobilizon .env.template: `# Email settings` above MOBILIZON_SMTP_* is a section title too
    facts = read(var("SMTP_HOST", "localhost", comment="Email settings"),
                 var("STRIPE_SECRET_KEY", line=3, comment="Stripe configuration"))
    assert [f for f in facts if f.field == "ext.purpose" and f.rank == 20] == []
    # langfuse .env.dev.example: where the keys are used is not what the service is for
    facts = read(var("SLACK_CLIENT_ID", comment="Slack credentials for development."))
    assert [f for f in facts if f.field == "ext.purpose" and f.rank == 20] == []
    facts = read(var("STRIPE_SECRET_KEY", comment="Stripe, for subscriptions"))
    assert [f.text for f in facts if f.rank == 20] == ["“Stripe, for subscriptions.” (comment above STRIPE_SECRET_KEY)"]
    # linkwarden .env.sample: a short title that names no service (`# AI Settings` above Ollama's
    # variables), and a link to a provider's docs above ANTHROPIC_API_KEY, say nothing of either
    facts = read(var("OLLAMA_MODEL", comment="AI Settings"),
                 var("ANTHROPIC_API_KEY", line=3, comment="https://sdk.vercel.ai/providers/ai-sdk-providers/anthropic"))
    assert [f for f in facts if f.field == "ext.purpose" and f.rank == 20] == []
    # docmost: `# options: smtp | postmark` lists a selector's values
    facts = read(var("MAIL_DRIVER", "smtp", comment="options: smtp | postmark"), var("SMTP_HOST", "smtp", 2))
    assert [f for f in facts if f.field == "ext.purpose" and f.rank == 20] == []


def test_a_containers_name_and_host_port_do_not_configure_its_service() -> None:
    # langfuse .env.dev.example: `# REDIS_CONTAINER_NAME=langfuse-redis` and `# REDIS_HOST_PORT=6379`
    # name and publish the local container; they joined REDIS_HOST among Redis' settings
    facts = read(var("REDIS_CONTAINER_NAME", "langfuse-redis"), var("REDIS_HOST_PORT", "6379", 2),
                 var("REDIS_HOST", "localhost", 3))
    assert [f.text for f in facts if f.field == "env.database"] == ["Redis: configured by REDIS_HOST in container api"]


def test_slack_webhook_is_an_alert_channel_and_a_slack_app_is_a_service() -> None:
    """langfuse .env.dev.example: SLACK_CLIENT_ID/SECRET is the Slack integration users install."""
    facts = read(var("SLACK_CLIENT_ID"), var("SLACK_CLIENT_SECRET", line=2), var("SLACK_ALERTS_WEBHOOK_URL", line=3))
    assert [(f.field, f.text) for f in facts if f.field in ("alert.channels", "ext.auth")] == [
        ("ext.auth", "OAuth client (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET)"),
        ("alert.channels", "Slack: SLACK_ALERTS_WEBHOOK_URL in container api"),
    ]


def test_service_auth_kind_comes_from_the_catalog_not_from_id_and_secret_names() -> None:
    """laravel/laravel .env.example: PUSHER_APP_ID/KEY/SECRET are a Pusher app's credentials."""
    facts = read(var("PUSHER_APP_ID"), var("PUSHER_APP_KEY", line=2), var("PUSHER_APP_SECRET", line=3))
    assert [f.text for f in facts if f.field == "ext.auth"] == [
        "App credentials (app id, key and secret) (PUSHER_APP_ID, PUSHER_APP_KEY, PUSHER_APP_SECRET)"
    ]


@pytest.mark.parametrize(
    ("name", "value", "tech"),
    [
        ("DB_CONNECTION", "pgsql", "postgresql"),
        ("DB_CONNECTION", "mysql", "mysql"),
        ("DATABASE_TYPE", "postgresql", "postgresql"),
        ("DB_DRIVER", "sqlite", "sqlite"),
        # homarr's .env.example: the driver package names the engine
        ("DB_DRIVER", "better-sqlite3", "sqlite"),
        ("DB_CLIENT", "mysql2", "mysql"),
        ("DB_CONNECTION", "x", None),
        ("DB_DRIVER", "left-pad", None),
    ],
)
def test_engine_named_by_a_selector_value(name: str, value: str, tech: str | None) -> None:
    """Laravel's DB_CONNECTION; umami podman/env.sample DATABASE_TYPE=postgresql."""
    facts = [f for f in read(var(name, value)) if f.field == "env.database"]
    assert [f.tech for f in facts] == ([tech] if tech else [])
    if tech:
        assert f"({name}={value})" in facts[0].text


def test_url_alone_is_the_application_s_address() -> None:
    # outline-style `URL=https://docs.example.org`: the application's own URL, as APP_URL would be
    [url] = [f for f in read(var("URL", "https://wiki.acme-corp.io"), env="production") if f.field == "env.url"]
    assert url.text.startswith("https://wiki.acme-corp.io from URL")
    assert not [f for f in read(var("WEBHOOK_URL", "https://hooks.acme-corp.io/x")) if f.field == "env.url"]


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("RUN_MIGRATIONS", "1", True),  # miniflux
        ("NEX_AUTO_MIGRATE", "true", True),
        ("ORION_STORAGE__AUTO_MIGRATE", "yes", True),
        ("MIGRATE_ON_STARTUP", "'True'", True),
        ("DB_MIGRATE", "on", True),
        ("RUN_MIGRATIONS", "0", False),  # switched off: migrated some other way, which is not said here
        ("RUN_MIGRATIONS", "", False),
        ("MIGRATE", "true", False),  # too bare a name to say what it migrates
        ("MIGRATIONS_DIR", "db/migrations", False),
    ],
)
def test_a_switch_that_migrates_on_start_is_the_migration_strategy(name: str, value: str, said: bool) -> None:
    facts = [f for f in read(var(name, value, line=13)) if f.field == "deploy.migration.strategy"]
    assert bool(facts) is said
    if said:
        (fact,) = facts
        assert fact.text == (f"On application start: {name}={value} in container api switches on migrations "
                             "as the application starts (by the variable's name)")
        assert fact.confidence is Confidence.INFERRED and fact.env is None


def test_a_commented_out_migration_switch_is_a_hint() -> None:
    (fact,) = [f for f in read(var("RUN_MIGRATIONS", "true", optional=True)) if f.field == "deploy.migration.strategy"]
    assert fact.confidence is Confidence.HINT and "commented out" in fact.text


def test_an_auth_url_is_an_address_not_a_secret() -> None:
    """linkwarden's NEXTAUTH_URL=http://localhost:3000/api/v1/auth: `auth` made the name read as a
    secret's and the development URL a gap. A password in such a URL still keeps it out."""
    reader = VariableReader(path=".env.example", detector="test", env="development",
                            where=("in .env examples",), confidence=Confidence.INFERRED)
    (url,) = [f for f in reader.facts([var("NEXTAUTH_URL", "http://localhost:3000/api/v1/auth")])
              if f.field == "env.url"]
    assert url.attrs["url"] == "http://localhost:3000/api/v1/auth"
    assert not [f for f in reader.facts([var("AUTH_URL", "https://admin:hunter2secret@auth.acme.dev")])
                if f.field == "env.url"]


def test_a_service_with_no_credentials_of_its_own_takes_its_cloud_s_from_the_same_file() -> None:
    # mastodon's .env.production.sample: S3 settings beside AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
    facts = read(var("S3_ENABLED", "true", 1), var("S3_BUCKET", "files", 2), var("AWS_ACCESS_KEY_ID", "", 3),
                 var("AWS_SECRET_ACCESS_KEY", "", 4), var("AWS_CLOUDFRONT_PRIVATE_KEY", "", 5))
    [auth] = [f for f in facts if f.field == "ext.auth"]
    assert (auth.service, auth.confidence) == ("aws-s3", Confidence.INFERRED)
    assert auth.text == ("Static access keys (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: AWS credentials, "
                         "in the file of its settings)")
    assert [e.line for e in auth.evidence] == [3, 4]  # not a signing key of another AWS service
    # its own keys are its credentials, and the cloud's are not added to them
    own = read(var("S3_BUCKET", "files", 1), var("S3_ACCESS_KEY", "", 2), var("S3_SECRET_KEY", "", 3),
               var("AWS_ACCESS_KEY_ID", "", 4), var("AWS_SECRET_ACCESS_KEY", "", 5))
    [auth] = [f for f in own if f.field == "ext.auth"]
    assert "AWS_" not in auth.text and auth.service == "aws-s3", auth.text
    # a service of another cloud, or none at all, takes nothing
    assert not [f for f in read(var("GCS_BUCKET", "b", 1), var("AWS_ACCESS_KEY_ID", "", 2))
                if f.field == "ext.auth"]


def test_a_mail_provider_set_up_only_for_the_mail_it_receives_is_inbound_email() -> None:
    # chatwoot's .env.example, under "# Mail Incoming"
    [inbound] = [f for f in read(var("MAILGUN_INGRESS_SIGNING_KEY", "", 3)) if f.field == "ext.purpose"]
    assert inbound.text.startswith("Inbound email (the mail the application receives) (configured by"), inbound.text
    both = read(var("MAILGUN_API_KEY", "", 1), var("MAILGUN_INGRESS_SIGNING_KEY", "", 2))
    [sending] = [f for f in both if f.field == "ext.purpose"]
    assert sending.text.startswith("Transactional email"), sending.text


def test_laravel_s_mail_username_and_password_are_its_smtp_mailer_s() -> None:
    # BookStack's .env.example
    facts = read(var("MAIL_DRIVER", "smtp", 1), var("MAIL_HOST", "localhost", 2), var("MAIL_USERNAME", "null", 3),
                 var("MAIL_PASSWORD", "null", 4))
    [auth] = [f for f in facts if f.field == "ext.auth"]
    assert (auth.service, auth.text) == ("smtp", "Username and password (MAIL_PASSWORD, MAIL_USERNAME)")


def test_a_debug_switch_is_no_log_level_but_debug_namespaces_are() -> None:
    # pixelfed's Let's Encrypt companion sets DEBUG=0, miniflux's example DEBUG=1: a debug mode on
    # or off; `DEBUG=app:*` is what the `debug` package logs
    for value in ("0", "1", "true", "False", ""):
        assert not [f for f in read(var("DEBUG", value)) if f.field == "log.levels"], value
    [level] = [f for f in read(var("DEBUG", "app:*,-app:verbose")) if f.field == "log.levels"]
    assert "DEBUG=app:*,-app:verbose" in level.text
