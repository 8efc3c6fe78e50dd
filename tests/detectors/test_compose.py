"""The compose detector: images and versions, ports, healthchecks, env_file, profiles, overrides, migrations.

Fixtures under tests/fixtures/compose/ name the public file each is modelled on.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import Scanned, diagnostics_for, facts_for, fixture_text, scan_tree, texts
from infrascan.detectors.compose import (
    ComposeDetector,
    compose_env,
    first_host_port,
    health_command,
    is_deployed,
    monitoring_tools,
    port_specs,
    start_command,
    substitute,
)

from infrascan.detector import SourceFile
from infrascan.environments import normalise
from infrascan.model import Confidence, FactScope

DETECTOR = ComposeDetector()


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    return scan_tree(
        tmp_path_factory.mktemp("compose"),
        {
            "docker-compose.yml": fixture_text("compose", "docker-compose.yml"),
            "docker-compose.test.yml": fixture_text("compose", "docker-compose.test.yml"),
            "deploy/docker-compose.prod.yml": fixture_text("compose", "docker-compose.prod.yml"),
            "cypress/docker-compose.yml": fixture_text("compose", "cypress-compose.yml"),
            "apps/web/Dockerfile": "FROM node:22\nCMD node server.js\n",
        },
    )


def by_env(scanned: Scanned, field: str, env: str) -> list[str]:
    return texts(facts_for(scanned.model, field, env=env))


# -- images ----------------------------------------------------------------------------------------


def test_database_images_with_versions(scanned: Scanned) -> None:
    dev = by_env(scanned, "env.database", "development")
    assert "PostgreSQL 18: in compose service postgres (image pgvector/pgvector:pg18)" in dev
    assert any(
        t.startswith("Valkey (pinned by digest): in compose service redis (image valkey/valkey@sha256:") for t in dev
    )
    # the app's REDIS_URL/DATABASE_URL in a file that runs its stores adds no line of its own
    assert not [t for t in dev if "connection URL" in t or "configured by" in t]
    assert by_env(scanned, "env.database", "production") == [
        "PostgreSQL 16: in compose service db (image postgres:16-alpine)"
    ]


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("postgres:${TAG:-16}", "PostgreSQL 16"),
        ("postgres:${TAG}", "PostgreSQL (version set by variable ${TAG})"),
        ("docker.io/library/redis:7.2.4@sha256:" + "b" * 64, "Redis 7"),
        ("timescale/timescaledb:2.14.2-pg16", "PostgreSQL 16"),
        ("bitnamilegacy/redis-cluster:8.0", "Redis 8"),
        ("mysql:8.0.36", "MySQL 8.0"),
        ("mcr.microsoft.com/mssql/server:2022-latest", "SQL Server 2022"),
        ("clickhouse/clickhouse-server", "ClickHouse (version unpinned)"),
    ],
)
def test_image_versions(image: str, expected: str) -> None:
    result = DETECTOR.extract(SourceFile("compose.yaml", f"services:\n  db:\n    image: {image}\n"))
    [fact] = [f for f in result.facts if f.field == "env.database"]
    assert fact.text.startswith(expected + ":")
    assert fact.confidence is Confidence.DECLARED and fact.evidence[0].line == 3


def test_companion_images_do_not_version_their_tool() -> None:
    """node-exporter 1.9 beside Prometheus 3 is not "Prometheus 1"; Alloy 1.x is not Loki 1."""
    text = fixture_text("compose", "monitoring-stack.yml")
    result = DETECTOR.extract(SourceFile("docker-compose.yml", text))
    infra = [f.text for f in result.facts if f.field == "mon.infrastructure"]
    # and each is said as itself, for its tool
    assert [t.split(":")[0] for t in infra] == [
        "Prometheus 3",
        "node-exporter for Prometheus",
        "pushgateway for Prometheus",
    ]
    logs = [f.text for f in result.facts if f.field == "log.aggregation"]
    assert [t.split(":")[0] for t in logs] == ["Grafana Loki 3", "alloy for Grafana Loki"]


def test_registry_with_port_is_not_a_tag() -> None:
    assert substitute("localhost:5000/app:${TAG:-1.4}") == "localhost:5000/app:1.4"
    result = DETECTOR.extract(SourceFile("compose.yaml", "services:\n  db:\n    image: localhost:5000/postgres:16\n"))
    # a local mirror of postgres: the version is the tag after the last colon, not the port 5000
    assert [f.text for f in result.facts if f.field == "env.database"] == [
        "PostgreSQL 16: in compose service db (image localhost:5000/postgres:16)"
    ]


def test_local_services_are_named_without_claiming_more(scanned: Scanned) -> None:
    purposes = {f.service: f.text for f in facts_for(scanned.model, "ext.purpose") if f.item == "purpose"}
    # formbricks docker-compose.dev.yml: rustfs-init configures the RustFS server the file runs;
    # its RUSTFS_ADMIN_PASSWORD is not how the application authenticates to object storage
    assert facts_for(scanned.model, "ext.auth", service="aws-s3") == []
    assert "Object storage: in compose service rustfs (image rustfs/rustfs:1.0.0-rc.2@sha256:" in purposes["aws-s3"]
    # a recognised stand-in (arjenz/mailhog) publishes ports, but they are not the app's configuration
    assert not [t for t in by_env(scanned, "env.special", "development") if "mailhog" in t]
    # a mail catcher delivers no mail: a hint that the application sends some, through a service set
    # elsewhere (the Symfony guestbook's review read Mailpit as its email provider)
    smtp = facts_for(scanned.model, "ext.purpose", service="smtp")
    assert "Email delivery: a local mail catcher in compose service mailpit (image axllent/mailpit:v1.21), " \
        "development compose; the service itself is set elsewhere" in texts(smtp)
    assert {f.confidence for f in smtp} == {Confidence.HINT}
    assert purposes["cube"].startswith("Analytics semantic layer (Cube API): in compose service cube")
    assert purposes["vllm"].startswith("Self-hosted LLM inference")  # ${QWEN_VLLM_IMAGE:-vllm/vllm-openai:v0.14.0}


# -- special configurations --------------------------------------------------------------------------


def test_special_configurations_of_development(scanned: Scanned) -> None:
    special = by_env(scanned, "env.special", "development")
    assert "Compose service formbricks reads variables from .env (optional)" in special  # {path, required: false}
    assert "Compose service formbricks reads variables from .env.local" in special  # list item
    assert "Compose service worker reads variables from .env" in special  # plain string
    # long form; its one port is the URL, said once (not again as a special configuration)
    assert not [t for t in special if t.startswith("Compose service formbricks publishes")]
    assert "http://localhost:3000 (local) from compose service formbricks ports" in by_env(scanned, "env.url",
                                                                                          "development")
    assert "Compose service worker publishes ports 22:22, 127.0.0.1:9229:9229" in special  # 22:22 stays a string
    assert "Compose service worker runs 2 replicas" in special
    assert "Compose service cube runs only with profile analytics" in special
    assert "Healthcheck on formbricks: wget -q --spider http://localhost:3000/health" in special  # string form
    # stores' own healthchecks and disabled/NONE checks are not special configuration
    assert not [
        t for t in special if t.startswith(("Healthcheck on postgres", "Healthcheck on worker", "Healthcheck on vllm"))
    ]


def test_development_url_skips_non_http_ports(scanned: Scanned) -> None:
    urls = sorted(
        f.attrs["url"] for f in facts_for(scanned.model, "env.url", env="development") if f.scope is FactScope.MAIN
    )
    assert urls == ["http://localhost:3000"]  # the worker's 22:22 is ssh, not the app


def test_a_migration_service_run_by_its_images_command_cites_both(tmp_path: Path) -> None:
    # the code review's case: the command comes from the Dockerfile the service builds; only the
    # Dockerfile line was cited for a statement about the compose service
    scanned = scan_tree(tmp_path, {
        "docker-compose.yml": ("services:\n  migrate:\n    build: .\n  api:\n    image: acme/api:1\n"
                               "    depends_on:\n      migrate:\n        condition: service_completed_successfully\n"),
        "Dockerfile": ("FROM alpine:3.19\nCOPY dbtool /usr/local/bin/dbtool\n"
                       "CMD [\"/usr/local/bin/dbtool\", \"--apply\"]\n"),
    })
    [fact] = facts_for(scanned.model, "deploy.migration.strategy")
    assert [(e.path, e.line) for e in fact.evidence] == [("docker-compose.yml", 2), ("Dockerfile", 3)]


def test_a_development_url_cites_the_mapping_it_is_read_from(tmp_path: Path) -> None:
    # docker-zulip lists its smtp port first; the URL on port 80 cited the smtp mapping
    compose = ("services:\n  zulip:\n    image: zulip/server:12\n    build: .\n    ports:\n"
               "      - name: smtp\n        target: 25\n        published: 25\n"
               "      - name: http\n        target: 80\n        published: 80\n")
    scanned = scan_tree(tmp_path, {"compose.yaml": compose})
    [url] = facts_for(scanned.model, "env.url", env="development")
    assert url.attrs["url"] == "http://localhost:80" and [e.line for e in url.evidence] == [9]


def test_a_stack_whose_own_services_publish_nothing_is_reached_through_its_web_server(tmp_path: Path) -> None:
    # taiga-docker: images it does not build behind an nginx gateway that publishes 9000:80; the
    # development URL was a gap that said it had looked at published ports
    compose = ("services:\n  db:\n    image: postgres:12.3\n    ports: ['5432:5432']\n"
               "  back:\n    image: acme/back:latest\n  front:\n    image: acme/front:latest\n"
               "  gateway:\n    image: nginx:1.19-alpine\n    ports:\n      - \"9000:80\"\n")
    (tmp_path / "a").mkdir()
    scanned = scan_tree(tmp_path / "a", {"docker-compose.yml": compose})
    [url] = facts_for(scanned.model, "env.url", env="development")
    assert url.text == ("http://localhost:9000 (local) from compose service gateway ports, "
                        "the web server in front of the stack")
    assert [e.line for e in url.evidence] == [12]  # the mapping's line
    # an application service that publishes its own port is the address; the web server is not
    built = compose.replace("  back:\n    image: acme/back:latest\n",
                            "  back:\n    build: .\n    ports: ['8000:8000']\n")
    (tmp_path / "b").mkdir()
    scanned = scan_tree(tmp_path / "b", {"docker-compose.yml": built})
    assert [f.attrs["url"] for f in facts_for(scanned.model, "env.url", env="development")] == ["http://localhost:8000"]
    # a web server that also serves 443 answers at the domain its configuration names (hedgedoc's Caddy)
    tls = compose.replace('      - \"9000:80\"\n', '      - \"80:80\"\n      - \"443:443\"\n')
    (tmp_path / "c").mkdir()
    scanned = scan_tree(tmp_path / "c", {"docker-compose.yml": tls})
    assert facts_for(scanned.model, "env.url", env="development") == []


@pytest.mark.parametrize(
    ("test", "expected"),
    [
        (["CMD", "curl", "-f", "http://localhost/health"], "curl -f http://localhost/health"),
        (["CMD-SHELL", "pg_isready -U postgres || exit 1"], "pg_isready -U postgres || exit 1"),
        ("curl -f http://localhost/", "curl -f http://localhost/"),
        (["NONE"], None),
        ("NONE", None),
        ([], None),
        (None, None),
    ],
)
def test_healthcheck_forms(test: object, expected: str | None) -> None:
    assert health_command(test) == expected


def test_a_healthcheck_merged_from_an_anchor_cites_the_service_and_the_anchor(tmp_path: Path) -> None:
    # getsentry/self-hosted: 37 consumers merge one healthcheck anchor; each cited only the anchor
    scanned = scan_tree(tmp_path, {"docker-compose.yml": (
        "x-health: &health\n  test: [\"CMD\", \"test\", \"-f\", \"/tmp/ok\"]\n  interval: 10s\n"
        "services:\n  worker:\n    image: acme/worker:1\n    healthcheck:\n      <<: *health\n"
        "  web:\n    image: acme/web:1\n    healthcheck:\n      test: [\"CMD\", \"curl\", \"-f\", \"http://localhost\"]\n")})
    lines = {f.item: [e.line for e in f.evidence] for f in facts_for(scanned.model, "env.special", "development")
             if f.item.startswith("health:")}
    assert lines == {"health:worker": [7, 2], "health:web": [12]}


def test_a_healthcheck_script_of_several_lines_is_stood_for_by_its_first(tmp_path: Path) -> None:
    # getsentry/self-hosted's Python heartbeat check, joined into one line, read as invalid Python
    compose = ("services:\n  worker:\n    image: acme/worker:1\n    healthcheck:\n      test:\n"
               "        - CMD-SHELL\n        - |\n          python3 -c \"import os, sys\n"
               "          try:\n              os.remove('/tmp/health.txt')\n"
               "          except FileNotFoundError:\n              sys.exit(1)\"\n")
    [health] = [f for f in facts_for(scan_tree(tmp_path, {"docker-compose.yml": compose}).model, "env.special",
                                     "development") if f.item.startswith("health:")]
    assert health.text == 'Healthcheck on worker: python3 -c "import os, sys …'


def test_port_forms() -> None:
    specs = port_specs(["3000", 8080, "22:22", "127.0.0.1:5432:5432", {"target": 80, "published": 8081}, {"target": 9}])
    assert specs == ["3000", "8080", "22:22", "127.0.0.1:5432:5432", "8081:80", "9"]
    assert first_host_port(specs) == "8081"
    assert first_host_port(["8000-8010:8000-8010/tcp"]) is None


def test_logging_driver_and_log_level(scanned: Scanned) -> None:
    # the driver names where the logs go (catalog `log_drivers`)
    assert "Amazon CloudWatch: Docker awslogs log driver in compose service formbricks, development compose" in texts(
        facts_for(scanned.model, "log.aggregation")
    )
    assert texts(facts_for(scanned.model, "log.levels")) == ["LOG_LEVEL=info by default in compose service formbricks"]


def test_log_rotation_options_are_the_log_retention(tmp_path: Path) -> None:
    # opentelemetry-demo: one `x-default-logging` anchor (json-file, max-size 5m, max-file 2) on every
    # service; FreshRSS: `max-size: 10m` alone, which keeps one file. The gap said none was found.
    compose = ("x-default-logging: &logging\n  driver: json-file\n  options:\n    max-size: 5m\n    max-file: '2'\n"
               "services:\n  cart:\n    image: acme/cart:1\n    logging: *logging\n"
               "  email:\n    image: acme/email:1\n    logging: *logging\n"
               "  rss:\n    image: acme/rss:1\n    logging:\n      options:\n        max-size: 10m\n"
               "  shipper:\n    image: acme/shipper:1\n    logging:\n      driver: syslog\n"
               "      options:\n        max-size: 10m\n"
               # Docker's `local` driver keeps five files by default; `-1` sets no limit (code review)
               "  worker:\n    image: acme/worker:1\n    logging:\n      driver: local\n"
               "      options:\n        max-size: 20m\n"
               "  db:\n    image: acme/db:1\n    logging:\n      options:\n        max-size: '-1'\n")
    retention = facts_for(scan_tree(tmp_path, {"docker-compose.yml": compose}).model, "log.retention")
    assert sorted(texts(retention)) == [
        "Docker keeps 2 log files of up to 5m per container in compose services cart and email, development compose",
        "Docker keeps 5 log files of up to 20m per container in compose service worker, development compose",
        "Docker keeps one log file of up to 10m per container in compose service rss, development compose",
    ]
    [shared] = [f for f in retention if "cart" in f.text]
    assert [(e.path, e.line) for e in shared.evidence] == [("docker-compose.yml", 4)]  # the anchor's max-size


def test_a_certificate_companion_makes_a_built_stack_a_deployment(tmp_path: Path) -> None:
    # pixelfed's docker-compose.yml builds its image, but requests Let's Encrypt certificates for its
    # public host through nginx-proxy's acme companion: a self-hosting install, not Development
    scanned = scan_tree(tmp_path, {"docker-compose.yml": (
        "services:\n  proxy:\n    image: nginxproxy/nginx-proxy:1.4\n    ports: ['443:443']\n"
        "  proxy-acme:\n    image: nginxproxy/acme-companion\n"
        "  web:\n    build: .\n    environment:\n      LETSENCRYPT_HOST: ${APP_DOMAIN}\n"
        "  db:\n    image: mariadb:11.2\n")})
    assert not [f for f in scanned.model.facts if f.env == "development"]
    [database] = [f for f in scanned.model.facts if f.field == "env.database"]
    assert database.text.endswith("(compose file of no stated environment)")
    # a development stack that mounts the project, or asks for certificates only under a named
    # profile, stays a development one (review)
    mounted = tmp_path / "mounted"
    mounted.mkdir()
    scanned = scan_tree(mounted, {"docker-compose.yml": (
        "services:\n  web:\n    build: .\n    volumes: ['.:/app']\n  certbot:\n    image: certbot/certbot\n"
        "  db:\n    image: mariadb:11.2\n")})
    assert [f.env for f in scanned.model.facts if f.field == "env.database"] == ["development"]
    profiled = tmp_path / "profiled"
    profiled.mkdir()
    scanned = scan_tree(profiled, {"docker-compose.yml": (
        "services:\n  web:\n    build: .\n  certbot:\n    image: certbot/certbot\n    profiles: [production]\n"
        "  db:\n    image: mariadb:11.2\n")})
    assert [f.env for f in scanned.model.facts if f.field == "env.database"] == ["development"]
    # a compose file that only builds stays a development one
    plain = tmp_path / "plain"
    plain.mkdir()
    built = "services:\n  web:\n    build: .\n  db:\n    image: mariadb:11.2\n"
    scanned = scan_tree(plain, {"docker-compose.yml": built})
    assert [f.env for f in scanned.model.facts if f.field == "env.database"] == ["development"]


def test_what_a_compose_file_of_no_stated_environment_says_says_so(tmp_path: Path) -> None:
    # docmost/docmost docker-compose.yml: its published image, restarted; shown as hints, one of them
    # under Development's gap, where it read as a development setting
    scanned = scan_tree(tmp_path, {"docker-compose.yml": (
        "services:\n  docmost:\n    image: docmost/docmost:latest\n    ports:\n      - '3000:3000'\n"
        "    restart: unless-stopped\n  db:\n    image: postgres:18\n    restart: unless-stopped\n")})
    hints = [f for f in scanned.model.facts if f.field in ("env.special", "env.database", "env.url")]
    assert hints and all(f.text.endswith("(compose file of no stated environment)") for f in hints), [
        f.text for f in hints]


def test_a_known_tools_own_log_setting_is_not_the_applications() -> None:
    # jitsi/docker-jitsi-meet rtcstats/localstack/localstack.yml: LocalStack's DEBUG flag
    text = ("services:\n  localstack:\n    image: localstack/localstack:3\n    environment:\n      - DEBUG=1\n"
            "  api:\n    build: .\n    environment:\n      LOG_LEVEL: debug\n")
    facts = DETECTOR.extract(SourceFile("docker-compose.yml", text)).facts
    assert [f.text for f in facts if f.field == "log.levels"] == ["LOG_LEVEL=debug in compose service api"]
    # passbolt_api .ddev/docker-compose.openldap.yaml: slapd's log level is the directory's, not the app's
    text = "services:\n  openldap:\n    image: osixia/openldap:latest\n    environment:\n      LDAP_LOG_LEVEL: 256\n"
    assert not [f for f in DETECTOR.extract(SourceFile("docker-compose.yml", text)).facts if f.field == "log.levels"]


# -- environments: names, overrides, test stacks ------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "env"),
    [
        ("docker-compose.yml", "development"),
        ("compose.override.yaml", "development"),
        ("docker-compose.prod.yml", "prod"),
        ("compose.staging.yaml", "staging"),
        ("docker-compose.test.yml", "test"),
        ("deploy/production/compose.yaml", "production"),
        ("docker-compose-lightweight.yaml", "development"),
        (".devcontainer/docker-compose.yml", "development"),
    ],
)
def test_compose_env(path: str, env: str) -> None:
    assert compose_env(path) == env
    assert compose_env(path, deployed=True) == (None if env == "development" else env)


def test_a_compose_file_in_a_devenv_folder_is_development_even_with_restart_policies() -> None:
    # penpot's docker/devenv/docker-compose.infra.yml (PostgreSQL, Valkey) sat under Production
    assert compose_env("docker/devenv/docker-compose.infra.yml", deployed=True) == "devenv"
    assert normalise("devenv") == "development"


def test_a_self_hosting_compose_file_names_no_environment(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, {"docker/docker-compose.yml": fixture_text("compose", "selfhost-compose.yml")})
    assert not [f for f in scanned.model.facts if f.env == "development"]
    [database] = facts_for(scanned.model, "env.database")
    assert database.confidence is Confidence.HINT and database.text.startswith("PostgreSQL 18: in compose service")
    ports = [f for f in facts_for(scanned.model, "env.special") if "publishes ports" in f.text]
    assert [f.confidence for f in ports] == [Confidence.HINT]
    assert not facts_for(scanned.model, "env.url")  # localhost is a development URL, and this is not development
    [migrate] = facts_for(scanned.model, "deploy.migration.strategy")
    assert "(compose file of no stated environment)" in migrate.text and "development" not in migrate.text


@pytest.mark.parametrize(
    ("app", "deployed"),
    [
        ({"image": "ghcr.io/acme/app:1", "restart": "always"}, True),
        ({"image": "ghcr.io/acme/app:1", "deploy": {"restart_policy": {"condition": "any"}}}, True),
        ({"image": "ghcr.io/acme/app:1"}, False),  # no restart policy: nothing says it runs as a deployment
        ({"build": ".", "restart": "always"}, False),  # builds the source: development
        ({"image": "ghcr.io/acme/app:1", "restart": "unless-stopped", "volumes": [".:/app"]}, False),  # live source
    ],
)
def test_is_deployed(app: dict[str, object], deployed: bool) -> None:
    services = {"db": {"image": "postgres:16", "restart": "always"}, "app": app}
    assert is_deployed(services, ["app"]) is deployed


SELF_HOST = """services:
  app:
    image: acme/app:latest
    ports: ["3000:3000"]
    environment: [DATABASE_URL=postgresql://postgres:postgres@postgres:5432/app]
  postgres:
    image: postgres:18
  caddy:
    image: caddy:latest
    command: caddy reverse-proxy --from $HOST --to app:3000
    ports: ["80:80", "443:443", "443:443/udp"]
"""


@pytest.mark.parametrize(
    ("edit", "env"),
    [
        ((), None),  # docuseal's install: the published image behind Caddy taking HTTPS on 443
        (("443:443", "8443:443"), "development"),  # HTTPS on a high port: a local setup
        (("image: acme/app:latest", "build: ."), "development"),  # builds this checkout
        (("    image: caddy:latest\n", "    image: caddy:latest\n    profiles: [tls]\n"), None),
        (('"443:443", "443:443/udp"', '"127.0.0.1:443:443"'), "development"),  # HTTPS for this machine only
        # code review: a language runtime running mounted source behind a local TLS proxy is development
        (("image: acme/app:latest", "image: node:20\n    command: npm run dev\n    volumes: [\"./src:/app/src\"]"),
         "development"),
        # second code review: the same with an administration tool beside it, which the proxy does not serve
        (("image: acme/app:latest", "image: node:20\n    command: npm run dev\n    volumes: [\"./src:/app/src\"]"
          "\n  adminer:\n    image: adminer\n    ports: [\"8080:8080\"]"), "development"),
    ],
)
def test_a_published_image_behind_an_https_proxy_is_no_development_setup(
        tmp_path: Path, edit: tuple[str, ...], env: str | None) -> None:
    compose = SELF_HOST.replace(*edit) if edit else SELF_HOST
    [database] = facts_for(scan_tree(tmp_path, {"docker-compose.yml": compose}).model, "env.database")
    assert database.env == env


def test_one_healthcheck_or_profile_of_many_services_is_one_statement(tmp_path: Path) -> None:
    # getsentry/self-hosted: 37 consumers share a healthcheck from an anchor and 29 services one profile
    # (each cited at its own merge line): 66 lines, now two
    anchor_ = ("x-health: &health\n  healthcheck:\n    test: [\"CMD-SHELL\", \"rm /tmp/health.txt\"]\n"
               "  profiles: [feature-complete]\n")
    services = "".join(f"  consumer-{i}:\n    image: ghcr.io/acme/app:1\n    <<: *health\n" for i in range(7))
    # the same check written out again: its own line is cited beside the anchor's
    services += ("  consumer-7:\n    image: ghcr.io/acme/app:1\n    profiles: [feature-complete]\n"
                 "    healthcheck:\n      test: [\"CMD-SHELL\", \"rm /tmp/health.txt\"]\n")
    scanned = scan_tree(tmp_path, {"docker-compose.yml": anchor_ + "services:\n" + services})
    special = facts_for(scanned.model, "env.special", "development")
    [health] = [f for f in special if "Healthcheck on" in f.text]
    assert health.text == ("Healthcheck on consumer-0, consumer-1, consumer-2, consumer-3, consumer-4 and 3 more: "
                           "rm /tmp/health.txt")
    assert {e.line for e in health.evidence} == {2, 3, 31}
    [profile] = [f for f in special if "profile" in f.text]
    assert profile.text.startswith("Compose services consumer-0, consumer-1, ") and profile.text.endswith(
        "and 3 more run only with profile feature-complete")


@pytest.mark.parametrize(
    ("variables", "env"),
    [
        (["NODE_ENV=production"], "production"),  # its own facts said "NODE_ENV=production" under Development
        (["APPFLOWY_ENVIRONMENT=production"], "production"),  # AppFlowy-Cloud's self-hosting compose
        (["RAILS_ENV=staging"], "staging"),
        (["NODE_ENV=production", "WORKER_ENVIRONMENT=staging"], "development"),  # they disagree: no one says
        (["NODE_ENV=${NODE_ENV}"], "development"),  # read from the environment: names nothing
        # nor does its default: gally's base compose.yml runs with an override setting APP_ENV=dev
        (["APP_ENV=${APP_ENV:-prod}"], "development"),
        (["DJANGO_SETTINGS_MODULE=shop.settings.dev"], "development"),
    ],
)
def test_the_environment_the_services_select_is_the_file_s(tmp_path: Path, variables: list[str], env: str) -> None:
    compose = ("services:\n  app:\n    image: acme/app:1\n    environment:\n"
               + "".join(f"      - {v}\n" for v in variables) + "  db:\n    image: postgres:16\n")
    [database] = facts_for(scan_tree(tmp_path, {"docker-compose.yml": compose}).model, "env.database")
    assert database.env == env


def test_backing_services_that_restart_are_still_development(tmp_path: Path) -> None:
    """The postgres image's own compose example restarts `always`; a database alone is no deployment."""
    compose = "services:\n  db:\n    image: postgres:16\n    restart: always\n"
    [database] = facts_for(scan_tree(tmp_path, {"docker-compose.yml": compose}).model, "env.database", "development")
    assert database.confidence is Confidence.DECLARED


def test_override_file_inherits_the_base_image(scanned: Scanned) -> None:
    """framasoft/mobilizon docker-compose.test.yml only sets POSTGRES_DB on `postgres`."""
    [fact] = facts_for(scanned.model, "env.database", env="test")
    assert (
        fact.text == "PostgreSQL 18: in compose service postgres (image pgvector/pgvector:pg18) via override "
        "docker-compose.test.yml"
    )
    assert [(e.path, e.line) for e in fact.evidence] == [("docker-compose.test.yml", 4), ("docker-compose.yml", 13)]
    assert by_env(scanned, "env.special", "test") == ["MIX_ENV=test in compose service worker"]


def test_production_compose_file(scanned: Scanned) -> None:
    assert "NODE_ENV=production in compose service web" in by_env(scanned, "env.special", "production")
    assert "## Environments" in scanned.markdown and "PostgreSQL 16" in scanned.markdown


def test_compose_stack_of_the_e2e_suite_is_a_test_fact(scanned: Scanned) -> None:
    cypress = [f for f in scanned.model.facts if f.evidence[0].path.startswith("cypress/")]
    assert cypress and all(f.scope is FactScope.EXAMPLE for f in cypress)


# -- migrations --------------------------------------------------------------------------------------


def test_one_shot_migration_service_and_migrate_on_start(scanned: Scanned) -> None:
    found = texts(facts_for(scanned.model, "deploy.migration.strategy"))
    assert (
        "One-shot compose service migrate (development compose) runs /usr/local/bin/goose -dir /app/migrations "
        'postgres "$$DATABASE_URL" up before formbricks start (service_completed_successfully)' in found
    )
    assert (
        "On container start: compose service web (production compose) runs python manage.py migrate --noinput before "
        "the app, in every replica as it starts" in found
    )


def test_one_shot_service_built_from_a_dockerfile(tmp_path: Path) -> None:
    """openstatusHQ/openstatus docker-compose.yaml: db-migrate builds packages/db/Dockerfile (`deno task migrate`)."""
    compose = (
        "services:\n  db-migrate:\n    build:\n      context: .\n      dockerfile: packages/db/Dockerfile\n"
        "  server:\n    build: .\n    depends_on:\n      db-migrate:\n"
        "        condition: service_completed_successfully\n"
    )
    scanned = scan_tree(
        tmp_path,
        {
            "docker-compose.yaml": compose,
            "packages/db/Dockerfile": 'FROM denoland/deno:2\nENTRYPOINT ["deno", "task", "migrate"]\n',
            "packages/db/package.json": fixture_text("dockerfile", "db-package.json"),
        },
    )
    found = texts(facts_for(scanned.model, "deploy.migration.strategy"))
    assert (
        "One-shot compose service db-migrate (development compose), started by the image it builds from "
        "packages/db/Dockerfile, runs packages/db/package.json script migrate, which runs deno run -A --env-file "
        "src/migrate.mts (only its name says it migrates) before server start (service_completed_successfully)" in found
    )


def test_one_shot_service_known_only_by_its_name(tmp_path: Path) -> None:
    compose = (
        "services:\n  db-migrate:\n    image: ghcr.io/acme/api:1\n"
        "  api:\n    image: ghcr.io/acme/api:1\n    depends_on:\n      db-migrate:\n"
        "        condition: service_completed_successfully\n"
    )
    scanned = scan_tree(tmp_path, {"compose.yaml": compose})
    [fact] = facts_for(scanned.model, "deploy.migration.strategy")
    assert fact.confidence is Confidence.INFERRED and "named for migrations" in fact.text
    assert "its command is not in the repository" in fact.text


def test_a_migration_service_others_start_after_without_waiting(tmp_path: Path) -> None:
    # ory/kratos' quickstart: `kratos` depends on `kratos-migrate` with a plain list, so it starts once
    # the migration has started; the document's migration field said nothing applies the migrations
    compose = (
        "services:\n  kratos-migrate:\n    image: oryd/kratos:v26.2.0\n"
        "    command: -c /etc/config/kratos/kratos.yml migrate sql -e --yes\n    restart: on-failure\n"
        "  kratos:\n    depends_on:\n      - kratos-migrate\n    image: oryd/kratos:v26.2.0\n"
        "  ui:\n    image: oryd/kratos-selfservice-ui-node:v26.2.0\n"
    )
    scanned = scan_tree(tmp_path, {"quickstart.yml": compose})
    [fact] = facts_for(scanned.model, "deploy.migration.strategy")
    assert fact.text.startswith("One-shot compose service kratos-migrate")
    assert fact.text.endswith("before kratos starts without waiting for it to finish (a plain depends_on)")
    assert fact.confidence is Confidence.INFERRED


def test_one_shot_service_running_a_script_not_in_the_repository(tmp_path: Path) -> None:
    # lago: `command: ["./scripts/migrate.dev.sh"]`, a script of the api submodule; the statement
    # said the command was not in the repository and cited the service's first line
    compose = (
        "services:\n  migrate:\n    image: api_dev\n    command: [\"./scripts/migrate.dev.sh\"]\n"
        "  api:\n    image: api_dev\n    depends_on:\n      migrate:\n"
        "        condition: service_completed_successfully\n"
    )
    scanned = scan_tree(tmp_path, {"docker-compose.dev.yml": compose})
    [fact] = facts_for(scanned.model, "deploy.migration.strategy")
    assert "(named for migrations) runs ./scripts/migrate.dev.sh before api start" in fact.text
    assert [(e.path, e.line) for e in fact.evidence] == [("docker-compose.dev.yml", 4)]


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        ({"command": "npm start"}, "npm start"),
        ({"command": ["python", "manage.py", "runserver", "0.0.0.0:8000"]}, "python manage.py runserver 0.0.0.0:8000"),
        ({"entrypoint": ["sh", "-c"], "command": ["a && b"]}, "a && b"),
        (
            {"command": ["sh", "-c", "alembic upgrade head && uvicorn app:app"]},
            "alembic upgrade head && uvicorn app:app",
        ),
        ({"entrypoint": "/entrypoint.sh", "command": ["web"]}, "/entrypoint.sh web"),
        ({}, None),
    ],
)
def test_start_command(service: dict[str, object], expected: str | None) -> None:
    assert start_command(service) == expected


# -- broken input --------------------------------------------------------------------------------------


def test_invalid_yaml_is_a_diagnostic_with_its_line(tmp_path: Path) -> None:
    scanned = scan_tree(
        tmp_path,
        {
            "docker-compose.yml": "services:\n  db:\n    image: postgres:16\n   ports: [\n",
            "compose.dev.yaml": "services:\n  cache:\n    image: redis:7\n",
        },
    )
    [message] = diagnostics_for(scanned.model, "docker-compose.yml")
    assert message.startswith("invalid YAML")
    diag = next(d for d in scanned.model.diagnostics if d.path == "docker-compose.yml")
    assert diag.line == 4
    assert "Redis 7: in compose service cache (image redis:7)" in by_env(scanned, "env.database", "development")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "services: []\n",
        "services:\n  web: null\n  db: 3\n",
        "services:\n  web:\n    image: [1, 2]\n    ports: {a: b}\n    env_file: 5\n    healthcheck: [x]\n",
        "services:\n  web:\n    environment: [1, {a: b}, 'X=1']\n    depends_on: [db]\n    profiles: dev\n",
        "- just\n- a list\n",
        "services:\n  a: &a\n    image: postgres:16\n  b:\n    <<: *a\n",
        "services:\n  web:\n    deploy:\n      replicas: ${N:-2}\n    logging: {driver: 5}\n",
    ],
)
def test_odd_shapes_do_not_raise(text: str) -> None:
    DETECTOR.extract(SourceFile("docker-compose.yml", text))


def test_duplicate_keys_are_warned(tmp_path: Path) -> None:
    scanned = scan_tree(
        tmp_path, {"compose.yaml": "services:\n  db:\n    image: postgres:15\n    image: postgres:16\n"}
    )
    assert any("duplicate key 'image'" in m for m in diagnostics_for(scanned.model, "compose.yaml"))
    assert by_env(scanned, "env.database", "development") == [
        "PostgreSQL 16: in compose service db (image postgres:16)"
    ]


def test_merge_tags_remove_or_replace_what_an_earlier_file_set() -> None:
    # aws-containers/retail-store-sample-app src/app/compose.override.yaml: the combined app hides the
    # backends' ports with `ports: !override []`; compose also has `!reset`.
    text = (
        "services:\n"
        "  catalog:\n"
        "    build: .\n"
        "    ports: !override []\n"
        "  ui:\n"
        "    build: .\n"
        "    ports: !override\n"
        "      - 8888:8080\n"
        "  orders:\n"
        "    build: .\n"
        "    ports: !reset []\n"
    )
    result = DETECTOR.extract(SourceFile("compose.override.yaml", text))
    shown = [f.text for f in result.facts]
    assert not any("Tagged" in t or "!override" in t or "!reset" in t for t in shown), shown
    ports = [t for t in shown if "publishes ports" in t or "(local)" in t]
    assert ports == ["http://localhost:8888 (local) from compose service ui ports"], shown


def test_a_monitoring_stack_that_restarts_is_deployed_and_lists_cadvisor(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, {"docker-compose.yml": fixture_text("compose", "prometheus-stack.yml")})
    assert not [f for f in scanned.model.facts if f.env == "development"]
    [cadvisor] = [f for f in facts_for(scanned.model, "mon.infrastructure") if f.tech == "cadvisor"]
    assert cadvisor.text == (
        "cAdvisor 0.52: in compose service cadvisor (image gcr.io/cadvisor/cadvisor:v0.52.1), "
        "compose file of no stated environment"
    )
    assert "cAdvisor" in texts(facts_for(scanned.model, "mon.tools"))


MONITORING = {"image": "prom/prometheus:v3", "restart": "unless-stopped"}
REDIS = {"image": "redis:7", "restart": "unless-stopped"}


@pytest.mark.parametrize(
    ("services", "deployed"),
    [
        ({"prometheus": MONITORING, "grafana": {"image": "grafana/grafana", "restart": "always"}}, True),
        ({"prometheus": MONITORING, "grafana": {"image": "grafana/grafana"}}, False),  # one tool not kept running
        ({"prometheus": {**MONITORING, "volumes": [".:/etc/prometheus"]}}, False),  # live project tree
        ({"prometheus": MONITORING, "db": {"image": "postgres:16", "restart": "always"}}, False),  # a backing store
        # Local backing services with a tracer beside them: still development.
        ({"jaeger": {"image": "jaegertracing/all-in-one", "restart": "always"}, "redis": REDIS}, False),
    ],
)
def test_a_restarting_monitoring_stack_is_deployed_a_backing_stack_is_not(
    services: dict[str, dict[str, object]], deployed: bool
) -> None:
    images = {n: DETECTOR._image(s) for n, s in services.items()}
    apps = [n for n, found in images.items() if found is None]
    assert is_deployed(services, apps, monitoring_tools(images)) is deployed


def test_monitoring_in_a_development_stack_is_no_release_signal(tmp_path: Path) -> None:
    # Modelled on podinfo's otel/ demo stack: a Jaeger only a development compose file starts sees no
    # release, so it is not a way to tell that one went bad; the one production runs is.
    jaeger = "services:\n  jaeger:\n    image: jaegertracing/all-in-one:1.57.0\n"
    (tmp_path / "dev").mkdir()
    (tmp_path / "prod").mkdir()
    dev = scan_tree(tmp_path / "dev", {"otel/docker-compose.dev.yml": jaeger})
    assert [f.text for f in facts_for(dev.model, "mon.performance")]  # still documented as a tool
    assert facts_for(dev.model, "deploy.rollback.identify") == []
    prod = scan_tree(tmp_path / "prod", {"docker-compose.prod.yml": jaeger})
    [signal] = facts_for(prod.model, "deploy.rollback.identify")
    assert signal.text == "Slowdowns after a release in Jaeger"
    # loki's tools/dev stack: an exporter endpoint set in a development service, the same
    exporter = "services:\n  api:\n    image: acme/api:1\n    environment:\n      - OTEL_EXPORTER_OTLP_ENDPOINT=http://jaeger:4318\n"
    (tmp_path / "otel").mkdir()
    otel = scan_tree(tmp_path / "otel", {"tools/dev/docker-compose.dev.yml": exporter})
    assert any(f.tech == "opentelemetry" for f in otel.model.facts if f.field.startswith("mon."))  # still documented
    assert facts_for(otel.model, "deploy.rollback.identify") == []


def test_migration_tools_of_one_service_keep_the_order_its_command_runs_them(tmp_path: Path) -> None:
    # Modelled on formbricks' hub-migrate (goose, then river): listed as run, not by tool name.
    compose = ("services:\n  migrate:\n    image: acme/api:1.0\n    command: sh -c 'python manage.py migrate && "
               "alembic upgrade head'\n  api:\n    image: acme/api:1.0\n    depends_on:\n      migrate:\n"
               "        condition: service_completed_successfully\n")
    scanned = scan_tree(tmp_path, {"docker-compose.yml": compose})
    shown = [line for line in scanned.markdown.splitlines() if line.lstrip().startswith("- One-shot compose service")]
    assert len(shown) == 2 and "manage.py migrate" in shown[0] and "alembic upgrade head" in shown[1], shown


def test_a_podman_compose_file_is_a_compose_file(tmp_path: Path) -> None:
    # umami's podman/podman-compose.yml: the self-hosting stack, which the compose glob left unread.
    podman = ("services:\n  umami:\n    image: ghcr.io/umami-software/umami:postgresql-latest\n    ports:\n"
              "      - 127.0.0.1:3000:3000\n  db:\n    image: docker.io/library/postgres:15-alpine\n")
    scanned = scan_tree(tmp_path, {"podman/podman-compose.yml": podman})
    assert {s.detector: s.files for s in scanned.model.sources}["compose"] == 1
    assert any("PostgreSQL 15" in f.text for f in facts_for(scanned.model, "env.database"))


@pytest.mark.parametrize(("path", "url"), [
    ("docker/testing/compose.yml", "http://localhost:3000"),  # documenso's test stack
    (".ci/compose.ci.yaml", "http://localhost:3000"),
    ("docker-compose.qa.yml", None),  # a QA server's name is not in the file
    ("load-balancer/docker-compose.yml", None),  # "load" from a directory's name is no local test stack
])
def test_a_local_stack_s_published_port_is_its_url(tmp_path: Path, path: str, url: str | None) -> None:
    scanned = scan_tree(tmp_path, {path: "services:\n  web:\n    build: .\n    ports:\n      - 3000:3000\n"})
    assert [f.attrs["url"] for f in facts_for(scanned.model, "env.url")] == ([url] if url else [])


def test_compose_files_named_for_what_they_add_are_read_by_content(tmp_path: Path) -> None:
    # docker-jitsi-meet: `log-analyser.yml` (Loki) and `prometheus.yml`, used with `-f`, were never read
    scanned = scan_tree(tmp_path, {
        "log-analyser.yml": "services:\n    # logs\n    loki:\n        image: grafana/loki:3.0.0\n",
        "rtcstats/mongodb/mongodb.yml": "version: '3'\nservices:\n  mongodb:\n    restart: always\n    image: mongo\n",
        # written on Windows; a service from an anchor (Ruby on Whales' `rails: &backend` / `<<: *app`)
        "stack.yml": "services:\r\n  db:\r\n    image: postgres:16\r\n",
        "dip.yml": "x-app: &app\n  build: .\nservices:\n  rails: &backend\n    <<: *app\n    ports:\n"
                   "      - 3000:3000\n",
        # not compose: a project file with keys Compose does not know (azd's azure.yaml has them too), a
        # list of services, Tugboat's and Lando's formats
        "infra/project.yaml": "name: app\nmetadata:\n  template: x\nservices:\n  web:\n    image: acme/web:1\n",
        "config/services.yml": "services:\n  - name: web\n    image: acme/web:1\n",
        ".tugboat/config.yml": "services:\n  db:\n    image: tugboatqa/postgres:15\n",
        ".lando.yml": "name: app\nservices:\n  web:\n    build:\n      - composer install\n",
    })
    compose_paths = {e.path for f in scanned.model.facts for e in f.evidence if e.detector == "compose"}
    assert compose_paths == {"log-analyser.yml", "rtcstats/mongodb/mongodb.yml", "stack.yml", "dip.yml"}
    assert any(f.tech == "loki" for f in facts_for(scanned.model, "log.aggregation"))


def test_a_setting_services_share_through_an_anchor_is_one_statement(tmp_path: Path) -> None:
    # redash: `x-redash-service: &redash-service` gives three services `env_file: .env` and
    # REDASH_LOG_LEVEL; the document said each three times, citing the same line
    scanned = scan_tree(tmp_path, {"compose.yaml": (
        "x-redash-service: &redash-service\n  image: redash/redash:26\n  env_file: .env\n"
        "  environment:\n    REDASH_LOG_LEVEL: INFO\nservices:\n"
        "  server:\n    <<: *redash-service\n    ports:\n      - 5001:5000\n"
        "  scheduler:\n    <<: *redash-service\n  worker:\n    <<: *redash-service\n")})
    special = [f.text for f in facts_for(scanned.model, "env.special") if "variables from" in f.text]
    assert special == ["Compose services server, scheduler and worker read variables from .env"]
    [level] = facts_for(scanned.model, "log.levels")
    assert level.text.startswith("REDASH_LOG_LEVEL=INFO in compose services server, scheduler and worker")
    assert [(e.path, e.line) for e in level.evidence] == [("compose.yaml", 5)]


def test_published_ports_are_cited_at_the_mapping(tmp_path: Path) -> None:
    # linkwarden and mealie: the URL and the ports line cited `ports:`, the line above the mapping
    scanned = scan_tree(tmp_path, {"compose.yaml": "services:\n  web:\n    build: .\n    ports:\n      - 3000:3000\n"})
    [url] = facts_for(scanned.model, "env.url")
    assert [(e.path, e.line) for e in url.evidence] == [("compose.yaml", 5)]


@pytest.mark.parametrize(("script", "expected"), [
    # plane's migrator entrypoint: waits for the database, migrates, and ends
    ("#!/bin/bash\nset -e\n\npython manage.py wait_for_db $1\n\npython manage.py migrate $1\n",
     "(a migration-only service)"),
    ("#!/bin/bash\nset -e\npython manage.py migrate\nexec gunicorn app.wsgi\n",
     "before the app, in every replica as it starts"),
])
def test_a_service_whose_script_only_migrates_is_a_migration_only_service(
        tmp_path: Path, script: str, expected: str) -> None:
    scanned = scan_tree(tmp_path, {
        "bin/docker-entrypoint-migrator.sh": script,
        "docker-compose.yml": "services:\n  migrator:\n    image: acme/api:1\n"
                              "    command: ./bin/docker-entrypoint-migrator.sh\n",
    })
    [strategy] = facts_for(scanned.model, "deploy.migration.strategy")
    assert strategy.text.endswith(expected)


def test_a_selector_s_default_is_said_to_be_one(tmp_path: Path) -> None:
    # gally's `APP_ENV: ${APP_ENV:-prod}` read "APP_ENV=prod" under Development
    compose = "services:\n  php:\n    image: acme/php:1\n    environment:\n      APP_ENV: ${APP_ENV:-prod}\n"
    special = facts_for(scan_tree(tmp_path, {"compose.yml": compose}).model, "env.special", "development")
    assert [f.text for f in special if "APP_ENV" in f.text] == ["APP_ENV=prod by default in compose service php"]


def test_a_required_variable_is_no_value_and_an_empty_profile_is_a_switch(tmp_path: Path) -> None:
    # pixelfed: `${DOCKER_DB_HOST_PORT:?error}` errors when unset (it published "ports error:error"), and
    # `profiles: [${DOCKER_PROXY_PROFILE:-}]` is empty by default: the service runs unless it is set
    compose = (
        "services:\n  proxy:\n    image: nginxproxy/nginx-proxy:1.4\n    profiles:\n      - ${DOCKER_PROXY_PROFILE:-}\n"
        "    ports:\n      - \"${DOCKER_PROXY_HTTP_PORT:-80}:80\"\n"
        "  db:\n    image: mariadb:11.2\n    ports:\n      - \"${DB_PORT:?error}:${DB_CONTAINER_PORT:?error}\"\n"
    )
    scanned = scan_tree(tmp_path, {"docker-compose.yml": compose})
    special = texts(facts_for(scanned.model, "env.special"))
    assert "Compose service proxy runs by default, unless DOCKER_PROXY_PROFILE names a profile to put it behind" \
        in special
    assert not [t for t in special if "error" in t or "runs only with profile" in t]


def test_a_service_built_here_that_names_a_tool_gives_no_application_url(tmp_path: Path) -> None:
    # spring-petclinic-microservices: `grafana-server` is built from ./docker/grafana; its 3030 was
    # given as the development URL
    compose = ("services:\n  grafana-server:\n    build: ./docker/grafana\n    ports:\n    - 3030:3000\n"
               "  web:\n    build: .\n    ports:\n      - 8080:8080\n")
    scanned = scan_tree(tmp_path, {"docker-compose.yml": compose})
    urls = texts(facts_for(scanned.model, "env.url"))
    assert urls == ["http://localhost:8080 (local) from compose service web ports"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("${TAG:-16}", "16"),
        # nested defaults resolve from the inside out (the outer default was cut at the inner `}`)
        ("${APP_PORT:-${PORT:-8000}}:8000", "8000:8000"),
        ("${A:-${B}}", "${A:-${B}}"),  # no default anywhere: as written
        # searxng's host-address prefix: `:+` gives no value here, and stays as written
        ("${SEARXNG_HOST:+${SEARXNG_HOST}:}${SEARXNG_PORT:-8080}:8080", "${SEARXNG_HOST:+${SEARXNG_HOST}:}8080:8080"),
    ],
)
def test_compose_interpolation(value: str, expected: str) -> None:
    assert substitute(value) == expected


def test_a_development_compose_file_named_dev_gives_the_local_url() -> None:
    # louislam/uptime-kuma's docker/docker-compose-dev.yml: its environment is written `dev`, compared
    # as written with the local stacks' names it gave no URL
    text = "services:\n  app:\n    build: .\n    ports:\n      - \"3001:3001\"\n"
    shown = [f.text for f in DETECTOR.extract(SourceFile("docker/docker-compose-dev.yml", text)).facts]
    assert "http://localhost:3001 (local) from compose service app ports" in shown


def test_the_empty_profile_runs_a_service_when_no_profile_is_selected() -> None:
    # jhipster's src/main/docker/services.yml: `profiles: ['', prod]` ran "only with profile , prod";
    # Compose starts it when no profile is selected too (its CI runs `docker compose up` bare)
    text = "services:\n  postgresql:\n    image: postgres:18.4\n    profiles:\n      - ''\n      - prod\n" \
           "  sonar:\n    image: sonarqube:26\n    profiles: ['']\n"
    shown = [f.text for f in DETECTOR.extract(SourceFile("docker-compose.yml", text)).facts]
    assert "Compose service postgresql runs when no profile is selected (its empty profile '') and with profile " \
           "prod" in shown
    assert "Compose service sonar runs when no profile is selected (its empty profile '')" in shown


def test_an_exporter_service_is_named_as_itself_for_its_tool() -> None:
    # as for a cluster's workloads (prometheus-community/helm-charts): node-exporter is not Prometheus
    text = ("services:\n  node-exporter:\n    image: prom/node-exporter:v1.9.1\n    restart: always\n"
            "  prometheus:\n    image: prom/prometheus:v3.5.0\n    restart: always\n")
    shown = sorted(f.text for f in DETECTOR.extract(SourceFile("docker-compose.yml", text)).facts
                   if f.field == "mon.infrastructure")
    assert shown[0].startswith("Prometheus 3: in compose service prometheus (image prom/prometheus:v3.5.0)")
    assert shown[1].startswith("node-exporter for Prometheus: in compose service node-exporter "
                               "(image prom/node-exporter:v1.9.1)")
