"""Dependency manifests: SDKs and drivers per ecosystem, runtime versus development, broken files.

Fixtures under tests/fixtures/manifests/ name the public file each is modelled on.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import diagnostics_for, facts_for, fixture_text, scan_tree, texts
from infrascan.detectors.manifests import (
    ManifestsDetector,
    parse_gemfile,
    parse_go_mod,
    parse_requirements,
    requirements_dev,
)

from infrascan.detector import SourceFile
from infrascan.model import Confidence

DETECTOR = ManifestsDetector()


def extract(fixture: str, path: str | None = None) -> dict[str, tuple[str, Confidence, int]]:
    """tech id -> (text, confidence, line) of each fact a fixture gives."""
    result = DETECTOR.extract(SourceFile(path or fixture, fixture_text("manifests", fixture)))
    assert result.diagnostics == []
    return {f.tech or "": (f.text, f.confidence, f.evidence[0].line) for f in result.facts}


def test_requirements_extras_markers_includes() -> None:
    facts = extract("requirements.txt")
    assert facts["sentry"] == ("Sentry SDK sentry-sdk in requirements.txt", Confidence.INFERRED, 7)
    assert facts["redis"][0] == "Redis driver redis in requirements.txt (environment not stated)"  # celery[redis]
    assert facts["redis"][1] is Confidence.HINT
    assert facts["postgresql"][2] == 6  # psycopg[binary] ... ; python_version >= "3.10"
    assert facts["stripe"][0] == "Payments (SDK stripe in requirements.txt)"
    names = [p.name for p in parse_requirements(fixture_text("manifests", "requirements.txt"), dev=False)]
    assert names == ["Django", "celery", "psycopg", "sentry-sdk", "stripe", "tenacity"]  # no -r, -e, URLs, paths


def test_a_compiled_requirement_pinned_only_for_another_package_is_indirect(tmp_path: Path) -> None:
    # microservices-demo's uv-compiled requirements.txt: google-cloud-storage is there "via
    # langchain-google-alloydb-pg", and the document called it the application's object storage
    text = ("google-cloud-secret-manager==2.26.0\n    # via -r requirements.in\n"
            "google-cloud-storage==3.4.0\n    # via langchain-google-alloydb-pg\n"
            "google-crc32c==1.7.1\n    # via\n    #   google-cloud-storage\n    #   google-resumable-media\n"
            "stripe==12.0.0\n    # via\n    #   -r requirements.in\n    #   some-sdk\n"
            # the project's own pyproject.toml, and --generate-hashes (the code review's cases)
            "sentry-sdk==2.1.0 \\\n    --hash=sha256:aaaa \\\n    --hash=sha256:bbbb\n    # via shop (pyproject.toml)\n"
            "certifi==2024.2.2 \\\n    --hash=sha256:cccc\n    # via sentry-sdk\n")
    found = {p.name: (p.dev, p.note) for p in parse_requirements(text, dev=False)}
    assert found == {"google-cloud-secret-manager": (False, ""), "google-cloud-storage": (True, "indirect"),
                     "google-crc32c": (True, "indirect"), "stripe": (False, ""), "sentry-sdk": (False, ""),
                     "certifi": (True, "indirect")}
    scanned = scan_tree(tmp_path, {"requirements.txt": text})
    assert not [f for f in scanned.model.facts if "storage" in f.text.lower() and f.confidence is not Confidence.HINT]


@pytest.mark.parametrize(
    ("path", "dev"),
    [
        ("requirements.txt", False),
        ("requirements-dev.txt", True),
        ("requirements/test.txt", True),
        ("requirements-docker.txt", False),
        ("requirements/prod.txt", False),
        ("requirements_ci.txt", True),
    ],
)
def test_requirements_file_names(path: str, dev: bool) -> None:
    assert requirements_dev(path) is dev


def test_pyproject_pep621_extras_and_dependency_groups() -> None:
    facts = extract("pyproject.toml")
    assert facts["opentelemetry"] == ("OpenTelemetry SDK opentelemetry-sdk in pyproject.toml", Confidence.INFERRED, 7)
    assert facts["datadog"][1] is Confidence.HINT  # in the `test` extra
    assert facts["anthropic"] == (
        "LLM API (SDK anthropic in pyproject.toml) (development dependency)",
        Confidence.HINT,
        16,
    )  # PEP 735 group
    # a group not named for development work is named, not called development (redash's `all_ds` drivers)
    assert facts["mysql"][:2] == (
        "MySQL driver pymysql in pyproject.toml (datasources group dependency) (environment not stated)",
        Confidence.HINT)
    # an extra is installed only when asked for (netbox's `sentry` extra was its "monitoring tool")
    assert facts["redis"][:2] == (
        "Redis driver redis in pyproject.toml (redis extra dependency) (environment not stated)", Confidence.HINT)


def test_pyproject_poetry() -> None:
    facts = extract("poetry.pyproject.toml", "pyproject.toml")
    # line 7: `boto3 = ...` (mealie's psycopg2-binary was cited one line up, at the line before it)
    assert facts["aws-s3"] == ("Object storage (SDK boto3 in pyproject.toml)", Confidence.INFERRED, 7)
    # an optional dependency is installed only with the extra that lists it, as a PEP 621 extra
    assert facts["newrelic"][:2] == ("New Relic tracer newrelic in pyproject.toml (monitoring extra dependency)",
                                     Confidence.HINT)
    assert facts["twilio"][1] is Confidence.HINT and facts["sendgrid"][1] is Confidence.HINT
    assert facts["sentry"][:2] == ("Sentry SDK sentry-sdk in pyproject.toml (server group dependency)", Confidence.HINT)


def test_package_json_dependencies_versus_dev_dependencies() -> None:
    facts = extract("package.json")
    assert facts["sentry"] == ("Sentry SDK @sentry/nextjs in package.json", Confidence.INFERRED, 5)
    # a metrics client linked into the app is application monitoring, not infrastructure
    assert facts["prometheus"][0] == "Prometheus SDK prom-client in package.json"
    assert facts["stripe"] == ("Payments (SDK stripe in package.json) (development dependency)", Confidence.HINT, 13)
    assert facts["opentelemetry"][1] is Confidence.HINT


def test_a_storage_library_of_many_backends_names_no_provider() -> None:
    # netbox-docker installs django-storages[azure,boto3,dropbox,google,libcloud,sftp]: six optional
    # backends, and the document said Amazon S3
    found = DETECTOR.extract(SourceFile("requirements-container.txt",
                                        "django-storages[azure,boto3,dropbox,google,libcloud,sftp]==1.14.4\n"))
    assert [f.tech for f in found.facts] == []
    assert DETECTOR.extract(SourceFile("requirements.txt", "django-storages==1.14.4\n")).facts == []
    redis = DETECTOR.extract(SourceFile("requirements.txt", "celery[redis]==5.4.0\n")).facts
    assert [f.tech for f in redis] == ["redis"]  # one extra: the backend it is set up for


def test_opentelemetry_logs_packages_alone_are_not_monitoring() -> None:
    """openstatus' servers ship logs through OpenTelemetry (exporter-logs-otlp-http, sdk-logs): no
    traces or metrics, so no performance or application monitoring. A tracing SDK is."""
    logs = ('{"dependencies": {"@opentelemetry/exporter-logs-otlp-http": "^0.57.0",'
            ' "@opentelemetry/sdk-logs": "^0.57.0", "@opentelemetry/resources": "^1.30.0"}}')
    assert DETECTOR.extract(SourceFile("apps/server/package.json", logs)).facts == []
    traces = '{"dependencies": {"@opentelemetry/sdk-trace-node": "^1.30.0"}}'
    found = DETECTOR.extract(SourceFile("apps/server/package.json", traces)).facts
    assert [f.text for f in found] == ["OpenTelemetry SDK @opentelemetry/sdk-trace-node in package.json"]


def test_an_apm_tracer_is_performance_monitoring() -> None:
    """outline depends on dd-trace, Datadog's APM tracer: its Performance monitoring was a gap that
    looked for "tracing SDKs in dependency manifests". Datadog's browser SDK stays application monitoring."""
    def found(manifest: str) -> dict[str, str]:
        return {f.text: f.field for f in DETECTOR.extract(SourceFile("package.json", manifest)).facts}

    assert found('{"dependencies": {"dd-trace": "^5.0.0", "newrelic": "^12.0.0"}}') == {
        "Datadog tracer dd-trace in package.json": "mon.performance",
        "New Relic tracer newrelic in package.json": "mon.performance",
    }
    assert found('{"dependencies": {"@datadog/browser-rum": "^5.0.0"}}') == {
        "Datadog SDK @datadog/browser-rum in package.json": "mon.application"}
    # Ruby's tracer is the `datadog` gem since dd-trace-rb 2.0
    gemfile = DETECTOR.extract(SourceFile("Gemfile", 'source "https://rubygems.org"\ngem "datadog"\n')).facts
    assert [(f.text, f.field) for f in gemfile] == [("Datadog tracer datadog in Gemfile", "mon.performance")]


def test_monitoring_field_of_a_metrics_client(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, {"package.json": fixture_text("manifests", "package.json")})
    assert "Prometheus SDK prom-client in package.json" in texts(facts_for(scanned.model, "mon.application"))
    assert facts_for(scanned.model, "mon.infrastructure") == []


def test_gemfile_groups() -> None:
    facts = extract("Gemfile")
    assert facts["sentry"][1] is Confidence.INFERRED and facts["newrelic"][2] == 21  # after the nested `if ... end`
    assert facts["stripe"][1] is Confidence.HINT  # inside `if` inside `group :development, :test`
    assert facts["twilio"][1] is Confidence.HINT  # group: :test inline
    assert (
        facts["memcached"][0] == "Memcached driver dalli in Gemfile (development dependency) (environment not stated)"
    )
    dev = {p.name: p.dev for p in parse_gemfile(fixture_text("manifests", "Gemfile"))}
    assert dev["activerecord-jdbc-adapter"] is False  # a platforms block is not a dev group


def test_go_mod_require_blocks_and_major_suffixes() -> None:
    facts = extract("go.mod")
    assert facts["sentry"][2] == 6  # single-line require
    assert facts["redis"] == (
        "Redis driver github.com/redis/go-redis/v9 in go.mod (environment not stated)",
        Confidence.HINT,
        10,
    )
    assert facts["mongodb"][0].startswith(
        "MongoDB driver go.mongodb.org/mongo-driver/v2 in go.mod (indirect dependency)"
    )
    assert [p.name for p in parse_go_mod("require (\n\tgithub.com/a/b v1.0.0\n)\nrequire c.io/d v2.0.0\n")] == [
        "github.com/a/b",
        "c.io/d",
    ]


def test_an_indirect_monitoring_library_is_no_monitoring_tool(tmp_path: Path) -> None:
    # go-shiori/shiori go.mod: OpenTelemetry comes in `// indirect` through testcontainers
    scanned = scan_tree(tmp_path, {"go.mod": (
        "module example.com/app\n\ngo 1.22\n\nrequire (\n\tgithub.com/getsentry/sentry-go v0.27.0\n"
        "\tgo.opentelemetry.io/otel v1.35.0 // indirect\n)\n")})
    [otel] = [f for f in scanned.model.facts if f.tech == "opentelemetry" and f.field != "mon.tools"]
    assert "(indirect dependency)" in otel.text
    assert [f.tech for f in facts_for(scanned.model, "mon.tools")] == ["sentry"]


def test_opentelemetry_sdks_of_dotnet_and_rust_are_monitoring(tmp_path: Path) -> None:
    # dotnet/eShop's ServiceDefaults and the OpenTelemetry demo's cart service (.NET), its shipping
    # service (Rust): the performance monitoring line said no SDK was found
    scanned = scan_tree(tmp_path, {
        "src/ServiceDefaults/ServiceDefaults.csproj": (
            '<Project Sdk="Microsoft.NET.Sdk">\n  <ItemGroup>\n'
            '    <PackageReference Include="OpenTelemetry.Exporter.OpenTelemetryProtocol" />\n'
            '    <PackageReference Include="OpenTelemetry.Instrumentation.AspNetCore" />\n'
            '  </ItemGroup>\n</Project>\n'),
        "src/shipping/Cargo.toml": '[package]\nname = "shipping"\n\n[dependencies]\nopentelemetry_sdk = "0.31"\n',
    })
    found = sorted(f.text for f in facts_for(scanned.model, "mon.performance"))
    assert found[0].startswith(
        "OpenTelemetry SDK OpenTelemetry.Exporter.OpenTelemetryProtocol in ServiceDefaults.csproj")
    assert any(t.startswith("OpenTelemetry SDK opentelemetry_sdk in Cargo.toml") for t in found)


def test_dotnet_drivers_and_sdks_name_their_stores_and_tools(tmp_path: Path) -> None:
    # Kareadita/Kavita keeps its library in SQLite through EF Core; dotnet/eShop's services reach
    # Redis and RabbitMQ through Aspire's client packages: hints said nothing of either
    scanned = scan_tree(tmp_path, {
        "API/API.csproj": ('<Project Sdk="Microsoft.NET.Sdk.Web">\n  <ItemGroup>\n'
                           '    <PackageReference Include="Microsoft.EntityFrameworkCore.Sqlite" Version="8.0.8" />\n'
                           '    <PackageReference Include="Sentry.AspNetCore" Version="4.0.0" />\n'
                           '  </ItemGroup>\n</Project>\n'),
        "src/Basket.API/Basket.API.csproj": ('<Project Sdk="Microsoft.NET.Sdk.Web">\n  <ItemGroup>\n'
                                             '    <PackageReference Include="Aspire.StackExchange.Redis" />\n'
                                             '    <PackageReference Include="Aspire.RabbitMQ.Client" />\n'
                                             '  </ItemGroup>\n</Project>\n'),
    })
    found = {f.tech for f in scanned.model.facts if f.tech}
    assert {"sqlite", "redis", "rabbitmq", "sentry"} <= found


def test_pom_gradle_csproj_cargo_mix_composer() -> None:
    pom = extract("pom.xml")
    assert "sentry" not in pom  # inside an XML comment
    assert pom["stripe"][1] is Confidence.HINT and "(test dependency)" in pom["stripe"][0]
    assert pom["prometheus"][0] == "Prometheus SDK io.micrometer:micrometer-registry-prometheus in pom.xml"
    gradle = extract("build.gradle.kts")
    assert gradle["kafka"][2] == 3 and gradle["stripe"][1] is Confidence.HINT
    csproj = extract("Api.csproj")
    assert csproj["azure-monitor"][2] == 5  # Version before Include
    cargo = extract("Cargo.toml")
    assert cargo["postgresql"][0].startswith("PostgreSQL driver tokio-postgres") and cargo["postgresql"][2] == 7
    mix = extract("mix.exs")
    assert mix["redis"][0] == "Redis driver redix in mix.exs (development dependency) (environment not stated)"
    composer = extract("composer.json")
    assert composer["stripe"][1] is Confidence.INFERRED and composer["pusher"][1] is Confidence.HINT
    # passbolt_api: sign-in services a self-hosted product integrates with
    assert {"duo", "yubico", "ldap"} <= set(composer)


def test_retry_library_is_a_fallback_hint_for_services(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, {"requirements.txt": fixture_text("manifests", "requirements.txt")})
    fallback = facts_for(scanned.model, "ext.fallback", service="stripe")
    assert [f.confidence for f in fallback] == [Confidence.HINT] and "tenacity" in fallback[0].text


def test_a_ruby_circuit_breaker_is_a_fallback_hint_for_services(tmp_path: Path) -> None:
    # mastodon's Gemfile: `gem 'stoplight'`, which wraps its object-storage writes
    gemfile = "source 'https://rubygems.org'\n\ngem 'stripe'\ngem 'stoplight', '~> 4.1'\n"
    scanned = scan_tree(tmp_path, {"Gemfile": gemfile})
    fallback = facts_for(scanned.model, "ext.fallback", service="stripe")
    assert [f.confidence for f in fallback] == [Confidence.HINT] and "stoplight" in fallback[0].text
    assert [e.line for e in fallback[0].evidence] == [4]


@pytest.mark.parametrize(
    ("path", "text", "line"),
    [
        ("package.json", '{\n  "dependencies": {\n    "stripe": "^1",\n  }\n}\n', 4),
        ("pyproject.toml", '[project]\nname = "x"\ndependencies = ["a",\n[tool]\n', 4),
        ("Cargo.toml", "[dependencies]\nsentry = \n", 2),
        ("composer.json", "[1, 2", 1),
    ],
)
def test_malformed_manifests_are_diagnostics_with_lines(tmp_path: Path, path: str, text: str, line: int) -> None:
    scanned = scan_tree(tmp_path, {path: text, "requirements.txt": "sentry-sdk\n"})
    [message] = [m for m in diagnostics_for(scanned.model, path) if m.startswith("cannot parse")]
    assert [d.line for d in scanned.model.diagnostics if d.message == message] == [line]
    assert texts(facts_for(scanned.model, "mon.application")) == ["Sentry SDK sentry-sdk in requirements.txt"]


def test_deeply_nested_json_is_a_diagnostic() -> None:
    result = DETECTOR.extract(SourceFile("package.json", "[" * 100_000))
    assert result.diagnostics and result.facts == []


def test_kombu_names_no_broker(tmp_path: Path) -> None:
    # saleor's pyproject: kombu[sqs] and celery[redis, sqs] were a "RabbitMQ driver" hint
    scanned = scan_tree(tmp_path, {"pyproject.toml": '[project]\nname = "shop"\ndependencies = [\n'
                                                     '  "celery[redis, sqs]>=5.4",\n  "kombu[sqs]>=5.4",\n]\n'})
    assert not [f for f in scanned.model.facts if f.tech == "rabbitmq"]
    assert [f.tech for f in facts_for(scanned.model, "env.database") if f.tech == "redis"]


def test_rails_monitoring_logging_and_retry_gems(tmp_path: Path) -> None:
    # maybe-finance: skylight (APM), logtail-rails (log shipping) and faraday-retry were gaps
    scanned = scan_tree(tmp_path, {"Gemfile": 'source "https://rubygems.org"\ngem "rails", "~> 7.2"\n'
                                              'gem "logtail-rails"\ngem "skylight", groups: [:production]\n'
                                              'gem "faraday-retry"\ngem "stripe"\n'})
    assert [f.tech for f in facts_for(scanned.model, "mon.performance")] == ["skylight"]
    assert [f.tech for f in facts_for(scanned.model, "log.aggregation")] == ["betterstack"]
    assert any("faraday-retry" in f.text for f in scanned.model.facts if f.field == "ext.fallback")


def test_google_api_auth_libraries_are_no_sign_in(tmp_path: Path) -> None:
    # linkwarden: google-auth-library calls the Google Play billing API; it was "Sign-in with Google"
    scanned = scan_tree(tmp_path, {"package.json": '{"dependencies": {"google-auth-library": "^9.0.0"}}\n',
                                   "requirements.txt": "google-auth-oauthlib==1.2.0\n"})
    assert not [f for f in scanned.model.facts if f.tech == "google-oauth"]


def test_a_mobile_app_s_monitoring_sdk_signals_no_bad_deployment(tmp_path: Path) -> None:
    # karakeep: Sentry only in apps/mobile (`@sentry/react-native`); the server has none
    def manifest(name: str, package: str) -> str:
        return f'{{\n  "name": "{name}",\n  "dependencies": {{\n    "{package}": "1"\n  }}\n}}\n'

    (tmp_path / "mobile").mkdir()
    scanned = scan_tree(tmp_path / "mobile", {"apps/mobile/package.json": manifest("mobile", "@sentry/react-native"),
                                             "apps/web/package.json": manifest("web", "next")})
    [sdk] = facts_for(scanned.model, "mon.application")
    assert sdk.text == "Sentry SDK @sentry/react-native (a mobile app's) in package.json", sdk.text
    assert not facts_for(scanned.model, "deploy.rollback.identify")
    (tmp_path / "server").mkdir()
    server = scan_tree(tmp_path / "server", {"package.json": manifest("api", "@sentry/node")})
    signals = [f.text for f in facts_for(server.model, "deploy.rollback.identify")]
    assert signals == ["New errors after a release in Sentry"]
    # linkwarden: what else the mobile app's folder configures for Sentry (its .env.sample's upload
    # token) is the mobile app's too; a server's Sentry variables are still a signal
    (tmp_path / "env").mkdir()
    env = scan_tree(tmp_path / "env", {"apps/mobile/package.json": manifest("mobile", "@sentry/react-native"),
                                       "apps/mobile/.env.sample": "SENTRY_AUTH_TOKEN=\nSENTRY_DSN=\n"})
    assert facts_for(env.model, "mon.application") and not facts_for(env.model, "deploy.rollback.identify")
    (tmp_path / "both").mkdir()
    both = scan_tree(tmp_path / "both", {"apps/mobile/package.json": manifest("mobile", "@sentry/react-native"),
                                         "apps/api/.env.example": "SENTRY_DSN=\n"})
    assert [f.text for f in facts_for(both.model, "deploy.rollback.identify")] == [
        "New errors after a release in Sentry"]


def test_a_statsd_client_is_application_metrics_but_no_release_signal(tmp_path: Path) -> None:
    # healthchecks: `statsd` in requirements.txt sends counters to the StatsD server STATSD_HOST names;
    # a metrics client alone tells nobody a release went bad
    scanned = scan_tree(tmp_path, {"requirements.txt": "Django==5.2\nstatsd==4.0.1\n"})
    assert [f.text for f in facts_for(scanned.model, "mon.application")] == ["StatsD SDK statsd in requirements.txt"]
    assert not facts_for(scanned.model, "deploy.rollback.identify")
