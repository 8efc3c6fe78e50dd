"""The Kamal detector: a base configuration merged with each destination, as that environment's deployment."""

from __future__ import annotations

from pathlib import Path

from helpers import diagnostics_for, facts_for, fixture_tree, generated, scan_tree, texts, write_tree

from infrascan.model import Confidence

# modelled on basecamp/fizzy's saas/config/deploy.yml and its destinations
BASE = """\
service: shop
image: acme/shop
servers:
  web:
    options:
      group-add: 10001
  jobs:
    cmd: bin/jobs
proxy:
  ssl: true
  healthcheck:
    path: /health
registry:
  server: ghcr.io
  username: acme
  password:
    - KAMAL_REGISTRY_PASSWORD
env:
  clear:
    HOTCELL_ROOT: /run/hotcell
  secret:
    - RAILS_MASTER_KEY
accessories:
  db:
    image: postgres:16
    host: 10.0.0.5
  imgproxy:
    image: ghcr.io/imgproxy/imgproxy:v3.24
"""

PRODUCTION = """\
retain_containers: 2
servers:
  web:
    hosts:
      - app-01.internal: dc1
      - app-02.internal: dc1
  jobs:
    hosts:
      - jobs-01.internal
proxy:
  host: shop.acme.io
env:
  clear:
    RAILS_ENV: production
    RAILS_LOG_LEVEL: warn
    DB_HOST: shop-db
  secret:
    - RAILS_MASTER_KEY
    - SENTRY_DSN
"""

STAGING = """\
servers:
  web:
    - staging-01.internal
proxy:
  hosts:
    - staging.shop.acme.io
env:
  clear:
    DATABASE_URL: postgres://shop:hunter2@staging-db.internal/shop
"""


def kamal_repo() -> dict[str, str | bytes]:
    return {
        "config/deploy.yml": BASE,
        "config/deploy.production.yml": PRODUCTION,
        "config/deploy.staging.yml": STAGING,
        ".kamal/hooks/pre-deploy": "#!/bin/sh\nbin/rails db:migrate\n",
        ".kamal/hooks/post-deploy.sample": "#!/bin/sh\necho sample\n",
        ".kamal/secrets": "KAMAL_REGISTRY_PASSWORD=ghp_supersecrettoken\nRAILS_MASTER_KEY=$(cat config/master.key)\n",
    }


def test_each_destination_merged_over_the_base_is_its_environment(tmp_path: Path) -> None:
    model = scan_tree(tmp_path, kamal_repo()).model
    assert texts(facts_for(model, "env.url", env="production")) == [
        "https://shop.acme.io (kamal-proxy host of Kamal destination production)"]
    [url] = facts_for(model, "env.url", env="staging")
    assert url.text == "https://staging.shop.acme.io (kamal-proxy host of Kamal destination staging)"
    # the host from the destination, HTTPS from the base's proxy.ssl
    assert [(e.path, e.line) for e in url.evidence] == [("config/deploy.staging.yml", 6), ("config/deploy.yml", 10)]
    [db] = [f for f in facts_for(model, "env.database", env="production") if f.tech == "postgresql"
            and "accessory" in f.text]
    assert db.text == "PostgreSQL 16: postgres:16 (Kamal destination production accessory db)"
    assert db.confidence is Confidence.DECLARED and db.attrs["hosts"] == ["shop-db"]
    assert (db.evidence[0].path, db.evidence[0].line) == ("config/deploy.yml", 25)
    special = texts(facts_for(model, "env.special", env="staging"))
    assert "Kamal destination staging accessory imgproxy: ghcr.io/imgproxy/imgproxy:v3.24" in special


def test_the_deploy_of_each_destination_names_its_image_registry_and_roles(tmp_path: Path) -> None:
    model = scan_tree(tmp_path, kamal_repo()).model
    steps = texts(facts_for(model, "deploy.steps"))
    assert steps == [
        "kamal deploy -d production: Kamal builds the image acme/shop and pushes it to the registry ghcr.io (unless "
        "run with --skip-push), then boots it on role web (2 hosts, behind kamal-proxy) and role jobs (1 host, "
        "running bin/jobs)",
        "kamal deploy -d staging: Kamal builds the image acme/shop and pushes it to the registry ghcr.io (unless "
        "run with --skip-push), then boots it on role web (1 host, behind kamal-proxy)",  # jobs has no hosts there
        "Kamal hook pre-deploy: runs .kamal/hooks/pre-deploy once the image is pushed, before the new version boots "
        "(where kamal runs)",
    ]
    [manual] = facts_for(model, "ci.deploy.manual")
    assert manual.confidence is Confidence.HINT
    assert manual.text.startswith("Kamal configuration config/deploy.yml: kamal deploy -d production, kamal deploy "
                                  "-d staging, run by hand")  # the base has no servers: no bare deploy
    [rollback] = facts_for(model, "deploy.rollback.perform")
    # no bare deploy exists: the destination is not optional
    assert rollback.text.startswith("kamal rollback VERSION -d DESTINATION: Kamal boots an earlier version's")
    assert "the last 5 by default; retain_containers sets 2 for production" in rollback.text
    assert ("config/deploy.production.yml", 1) in [(e.path, e.line) for e in rollback.evidence]
    [verify] = facts_for(model, "deploy.rollback.verify")
    assert verify.text == ("kamal-proxy sends traffic to a booted version (a deploy's or a rollback's) only once "
                           "GET /health answers 200")
    assert verify.confidence is Confidence.DECLARED and verify.evidence[0].line == 12
    # the check gates a boot (a failing one stops the deploy): no sign that a release went bad
    assert not [f for f in facts_for(model, "deploy.rollback.identify") if "GET /health" in f.text]


def test_variables_are_the_environment_s_and_secrets_are_never_printed(tmp_path: Path) -> None:
    root = write_tree(tmp_path, kamal_repo())
    document = generated(root)
    assert "hunter2" not in document and "ghp_supersecrettoken" not in document
    (tmp_path / "again").mkdir()
    model = scan_tree(tmp_path / "again", kamal_repo()).model
    assert "RAILS_LOG_LEVEL=warn in the env of Kamal destination production" in texts(facts_for(model, "log.levels"))
    staging = [f for f in facts_for(model, "env.database", env="staging") if f.tech == "postgresql"]
    assert staging and all("hunter2" not in f.text for f in staging)
    assert "Sentry" in texts(facts_for(model, "mon.tools"))


def test_a_base_without_destinations_is_assumed_production_and_says_so(tmp_path: Path) -> None:
    model = scan_tree(tmp_path, {"config/deploy.yml": BASE.replace("  jobs:\n    cmd: bin/jobs\n", "")
                                 .replace("    options:\n      group-add: 10001\n", "    - 203.0.113.10\n")
                                 .replace("  ssl: true\n", "  ssl: true\n  host: shop.acme.io\n")}).model
    [url] = facts_for(model, "env.url", env="production")
    assert url.confidence is Confidence.INFERRED
    assert url.text == ("https://shop.acme.io (kamal-proxy host of Kamal "
                        "configuration config/deploy.yml; production assumed: deployed with no "
                        "destination)")
    [step] = facts_for(model, "deploy.steps")
    assert step.text.startswith("kamal deploy: Kamal builds the image acme/shop") and step.text.endswith(
        "(production assumed: deployed with no destination)")
    assert step.confidence is Confidence.INFERRED
    [rollback] = facts_for(model, "deploy.rollback.perform")
    assert rollback.text.startswith("kamal rollback VERSION: ")


def test_the_configuration_rails_new_writes_deploys_nowhere(tmp_path: Path) -> None:
    generated_config = (
        "service: blog\nimage: your-user/blog\nservers:\n  web:\n    - 192.168.0.1\n"
        "proxy:\n  ssl: true\n  host: app.example.com\nregistry:\n  username: your-user\n"
        "  password:\n    - KAMAL_REGISTRY_PASSWORD\nenv:\n  secret:\n    - RAILS_MASTER_KEY\n"
        "  clear:\n    SOLID_QUEUE_IN_PUMA: true\n"
    )
    model = scan_tree(tmp_path, {"config/deploy.yml": generated_config}).model
    [hint] = facts_for(model, "ci.deploy.manual")
    assert hint.confidence is Confidence.HINT
    assert hint.text == ("Kamal configuration config/deploy.yml names only placeholder servers (192.168.0.1), so "
                         "it deploys nowhere until they are set")
    for field in ("deploy.steps", "deploy.rollback.perform", "deploy.rollback.verify"):
        assert not facts_for(model, field)
    assert not facts_for(model, "env.url", env="production")


def test_erb_is_rendered_away_and_its_values_are_not_known(tmp_path: Path) -> None:
    # fizzy's deploy.beta.yml: a block of Ruby over many lines, then hosts and values from it
    beta = (
        "<%\n  require \"json\"\n  @hosts = JSON.parse(File.read(\"hosts.json\"))\n%>\n"
        "servers:\n  web:\n    hosts:\n      - <%= @hosts[0] %>: dc1\n"
        "proxy:\n  host: <%= ENV[\"BETA_HOST\"] %>\n"
        "env:\n  clear:\n    RAILS_ENV: beta\n"
    )
    model = scan_tree(tmp_path, {"config/deploy.yml": BASE, "config/deploy.beta.yml": beta}).model
    assert not diagnostics_for(model, "config/deploy.beta.yml")
    assert not facts_for(model, "env.url", env="beta")  # the host is Ruby's to say
    [step] = facts_for(model, "deploy.steps")
    # an ERB host in a file with control tags may be one of many a loop writes: not counted
    assert step.text.startswith("kamal deploy -d beta: ") and "role web (hosts the file computes with ERB" in step.text
    assert (step.evidence[-1].path, step.evidence[-1].line) == ("config/deploy.beta.yml", 7)


def test_kamal_1_traefik_rules_and_health_check(tmp_path: Path) -> None:
    config = (
        "service: legacy\nimage: acme/legacy\nservers:\n  - 198.51.100.7\n"
        "labels:\n  traefik.http.routers.legacy.rule: Host(`legacy.acme.io`)\n"
        "traefik:\n  options:\n    publish:\n      - 443:443\n"
        "healthcheck:\n  path: /status\n  port: 3000\n"
    )
    model = scan_tree(tmp_path, {"config/deploy.yml": config}).model
    assert texts(facts_for(model, "env.url", env="production")) == [
        "legacy.acme.io (Traefik rule of Kamal configuration "
        "config/deploy.yml; production assumed: deployed with no destination)"]
    [verify] = facts_for(model, "deploy.rollback.verify")
    assert verify.text == ("Kamal sends traffic to a booted version (a deploy's or a rollback's) only once "
                           "GET /status answers 200")
    [step] = facts_for(model, "deploy.steps")
    assert "kamal-proxy" not in step.text and step.text.endswith(
        "role web (1 host) (production assumed: deployed with no destination)")


def test_other_deploy_yml_files_and_broken_ones(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        # not Kamal's: no service and image
        "config/deploy.yml": "targets:\n  - prod\nstrategy: rolling\n",
        "config/deploy.production.yml": "servers:\n  web:\n    - 203.0.113.1\n",
        # a destination whose base is broken YAML
        "admin/config/deploy.yml": "service: admin\nimage: [acme/admin\n",
        "admin/config/deploy.staging.yml": "servers:\n  web:\n    - 203.0.113.2\n",
        # a destination with no base, and no app of its own
        "orphan/config/deploy.staging.yml": "servers:\n  - 203.0.113.3\n",
    }
    model = scan_tree(tmp_path, files).model
    assert not [f for f in model.facts if f.evidence[0].detector == "kamal"]
    assert any("invalid YAML" in d for d in diagnostics_for(model, "admin/config/deploy.yml"))


def test_a_base_with_its_own_servers_is_production_beside_a_staging_destination(tmp_path: Path) -> None:
    # the base names the production servers and `kamal deploy -d staging` deploys staging's
    model = scan_tree(tmp_path, fixture_tree("kamal", "app")).model
    assert texts(facts_for(model, "env.url", env="production")) == [
        "https://ledger.acme.io (kamal-proxy host of Kamal "
        "configuration config/deploy.yml; production assumed: deployed with no destination)"]
    assert texts(facts_for(model, "env.url", env="staging")) == [
        "https://staging.ledger.acme.io (kamal-proxy host of Kamal destination staging)"]
    for env in ("production", "staging"):
        found = facts_for(model, "env.database", env=env)
        assert sorted(f.tech or "" for f in found) == ["postgresql", "valkey"]  # not POSTGRES_PASSWORD again
        stores = {f.tech: f for f in found}
        assert stores["postgresql"].text.startswith("PostgreSQL 17: postgres:17.2")
    steps = texts(facts_for(model, "deploy.steps"))
    assert steps[0].startswith("kamal deploy: Kamal builds the image acme/ledger and pushes it to the registry "
                               "ghcr.io (unless run with --skip-push), then boots it on role web (2 hosts, behind "
                               "kamal-proxy) and role job (1 host, running bin/jobs)")
    assert steps[1].startswith("kamal deploy -d staging: ") and "role web (hosts the file computes with ERB" in steps[1]
    assert steps[2] == ("Kamal hook pre-deploy: runs .kamal/hooks/pre-deploy once the image is pushed, before the "
                        "new version boots (where kamal runs)")  # not post-deploy.sample, Kamal's example
    assert len(steps) == 3
    [manual] = facts_for(model, "ci.deploy.manual")
    assert "kamal deploy, kamal deploy -d staging" in manual.text
    # said once per file that sets them: the base's for the configuration, the destination's for it
    assert sorted(texts(facts_for(model, "log.levels"))) == [
        "RAILS_LOG_LEVEL=debug in the env of Kamal destination staging",
        "RAILS_LOG_LEVEL=info in the env of Kamal configuration config/deploy.yml"]


def test_a_destination_is_required_or_production_is_a_destination(tmp_path: Path) -> None:
    base = fixture_tree("kamal", "app")["config/deploy.yml"]
    assert isinstance(base, str)
    for files in ({"config/deploy.yml": base + "require_destination: true\n",
                   "config/deploy.staging.yml": STAGING},
                  {"config/deploy.yml": base, "config/deploy.staging.yml": STAGING,
                   "config/deploy.production.yml": PRODUCTION}):
        root = tmp_path / str(len(files))
        root.mkdir()
        model = scan_tree(root, files).model
        steps = texts(facts_for(model, "deploy.steps"))
        assert not [s for s in steps if s.startswith("kamal deploy:")]  # no bare deploy
        assert not [f for f in facts_for(model, "env.url", env="production") if f.confidence is Confidence.INFERRED]


def test_configuration_files_of_their_own_beside_deploy_yml(tmp_path: Path) -> None:
    # serveme: deploy.ws-echo.yml is another app (`-c`), with destinations of its own; bike_index's
    # deploy.review.yml is named for its environment; scout's deploy-frontend.yml for a component
    files: dict[str, str | bytes] = {
        "config/deploy.yml": "service: serveme\nimage: arie/serveme\nrequire_destination: true\n",
        "config/deploy.eu.yml": "servers:\n  web: { hosts: [eu1.serveme.tf] }\nproxy:\n  ssl: true\n"
                                "  hosts: [serveme.tf]\n",
        "config/deploy.ws-echo.yml": "service: ws-echo\nimage: arie/ws-echo\nproxy:\n  ssl: false\n",
        "config/deploy.ws-echo.eu.yml": "servers:\n  web:\n    hosts: [eu1.serveme.tf]\nproxy:\n"
                                        "  hosts: [serveme.tf]\n",
        "review/config/deploy.review.yml": "service: shop-review\nimage: acme/shop\nservers:\n  - 198.51.100.4\n",
        # rubyvideo: a destination that sets its own service and image is still `-d staging`
        "config/deploy.staging.yml": "service: serveme-staging\nimage: arie/serveme-staging\nservers:\n"
                                     "  - 198.51.100.6\n",
        "config/deploy-frontend.yml": "service: front\nimage: acme/front\nservers:\n  - 198.51.100.5\n"
                                      "registry:\n  server: <%= ENV.fetch('REGISTRY') %>\n",
    }
    model = scan_tree(tmp_path, files).model
    steps = [t.split(":")[0] for t in texts(facts_for(model, "deploy.steps"))]
    assert sorted(steps) == ["kamal deploy -c config/deploy-frontend.yml",
                             "kamal deploy -c config/deploy.review.yml (in review/)",
                             "kamal deploy -c config/deploy.ws-echo.yml -d eu", "kamal deploy -d eu",
                             "kamal deploy -d staging"]
    [staging] = [f for f in facts_for(model, "deploy.steps") if "-d staging" in f.text]
    assert "image arie/serveme-staging" in staging.text
    urls = {(f.env, f.text) for f in model.facts if f.field == "env.url"}
    assert urls == {
        ("eu", "https://serveme.tf (kamal-proxy host of Kamal destination eu)"),
        # the other app's proxy does not terminate TLS: no scheme is made up
        ("eu", "serveme.tf (kamal-proxy host of Kamal destination eu of config/deploy.ws-echo.yml, without "
               "kamal-proxy's TLS)"),
    }
    [review] = [f for f in facts_for(model, "deploy.steps") if "review" in f.text]
    assert review.confidence is Confidence.DECLARED and "assumed" not in review.text
    [front] = [f for f in facts_for(model, "deploy.steps") if "frontend" in f.text]
    assert front.confidence is Confidence.INFERRED and front.text.endswith(
        "(production assumed: deployed with no destination)")
    assert "pushes it to a registry the file computes with ERB" in front.text
    rollbacks = {t.split(":")[0] for t in texts(facts_for(model, "deploy.rollback.perform"))}
    assert "kamal rollback VERSION -c config/deploy-frontend.yml" in rollbacks


PLACECAL_LIKE = """\
service: placecal
image: acme/placecal
servers:
  web:
    options:
      memory: 512m
  job_worker:
    cmd: bin/rails jobs:work
    proxy: false
proxy:
  ssl:
    certificate_pem: SSL_CERTIFICATE_PEM
    private_key_pem: SSL_PRIVATE_KEY_PEM
  app_port: 3000
logging:
  driver: json-file
  options:
    max-size: 100m
    max-file: 5
env:
  secret:
    - RAILS_MASTER_KEY
"""


def test_custom_certificates_wildcards_shared_hosts_and_log_rotation(tmp_path: Path) -> None:
    # PlaceCal: a certificate of its own is HTTPS too; the app and the worker share each destination's host
    production = ("servers:\n  web:\n    hosts:\n      - <%= ENV[\"PRODUCTION_HOST\"] %>\n  job_worker:\n"
                  "    hosts:\n      - <%= ENV[\"PRODUCTION_HOST\"] %>\n"
                  "proxy:\n  hosts:\n    - placecal.org\n    - \"*.placecal.org\"\n")
    model = scan_tree(tmp_path, {"config/deploy.yml": PLACECAL_LIKE, "config/deploy.production.yml": production}).model
    assert texts(facts_for(model, "env.url", env="production")) == [
        "https://placecal.org (kamal-proxy host of Kamal destination production)"]  # not the wildcard
    [step] = facts_for(model, "deploy.steps")
    assert step.text.endswith("then boots it on role web (1 host, behind kamal-proxy) and role job_worker (1 host, "
                              "running bin/rails jobs:work); 1 host in all")
    [retention] = facts_for(model, "log.retention")
    assert retention.text == ("Docker keeps 5 log files of up to 100m per container on the hosts (Kamal "
                              "configuration config/deploy.yml)")
    assert not facts_for(model, "log.aggregation")  # json-file stays on the host


def test_roles_without_kamal_proxy_have_no_health_gate(tmp_path: Path) -> None:
    # scout: the API, MCP and worker configurations set `proxy: false`; only the frontend is proxied
    worker = ("service: worker\nimage: acme/api\nservers:\n  web:\n    hosts:\n      - 198.51.100.8\n"
              "    cmd: python manage.py procrastinate worker\n    proxy: false\n"
              "logging:\n  driver: awslogs\n  options:\n    awslogs-region: us-east-1\n"
              "    awslogs-group: /scout/worker\n")
    model = scan_tree(tmp_path, {"config/deploy-worker.yml": worker}).model
    [step] = facts_for(model, "deploy.steps")
    assert "kamal-proxy" not in step.text
    assert not facts_for(model, "deploy.rollback.verify")
    [shipping] = facts_for(model, "log.aggregation")
    assert shipping.text == ("Amazon CloudWatch: Docker awslogs log driver to group /scout/worker (Kamal "
                             "configuration config/deploy-worker.yml)")
    assert shipping.tech == "cloudwatch"


def test_a_hook_that_migrates_is_the_migration_strategy(tmp_path: Path) -> None:
    # serveme's pre-deploy hook migrates once per destination before the rolling restart
    files = kamal_repo()
    files[".kamal/hooks/pre-deploy"] = (
        "#!/bin/bash\n\n# Runs migrations once per destination.\nset -euo pipefail\n\n"
        "exec kamal app exec --roles web ${KAMAL_DESTINATION:+-d \"$KAMAL_DESTINATION\"} "
        "--version=\"$KAMAL_VERSION\" 'bin/rails db:prepare'\n")
    model = scan_tree(tmp_path, files).model
    [migration] = [f for f in facts_for(model, "deploy.migration.strategy") if f.evidence[0].detector == "kamal"]
    assert migration.text.startswith("Kamal hook pre-deploy runs kamal app exec --roles web")
    assert migration.text.endswith("'bin/rails db:prepare' once the image is pushed, before the new version boots, "
                                   "on every deploy and kamal rollback")
    assert (migration.evidence[0].path, migration.evidence[0].line) == (".kamal/hooks/pre-deploy", 6)


def test_the_manual_hint_leaves_out_what_ci_runs_and_regions_take_their_selector_s_tier(tmp_path: Path) -> None:
    files = kamal_repo()
    files["config/deploy.eu.yml"] = ("servers:\n  web:\n    - 198.51.100.9\nenv:\n  clear:\n"
                                     "    RAILS_ENV: production\n")
    files[".github/workflows/deploy.yml"] = (
        "on:\n  push:\n    branches: [main]\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v5\n      - run: bin/kamal deploy -d production\n")
    model = scan_tree(tmp_path, files).model
    # CI deploys production; the other destinations are left to be run by hand (code review: a CI job
    # for one destination dropped the statement for all)
    [manual] = [f for f in facts_for(model, "ci.deploy.manual") if f.evidence[0].detector == "kamal"]
    assert manual.text.startswith("Kamal configuration config/deploy.yml: kamal deploy -d eu, kamal deploy -d staging, "
                                  "run by hand")
    assert manual.text.endswith("no CI job of the repository runs them)")
    # a region named for no environment, whose RAILS_ENV says production
    assert [f for f in facts_for(model, "deploy.steps") if "-d eu" in f.text]
    assert any("Kamal destination eu" in f.text for f in model.facts if f.env == "production")
    assert "eu" not in model.environments


def test_destinations_of_an_empty_base_and_a_path_prefix(tmp_path: Path) -> None:
    # dorianmariecom/code: config/deploy.yml is `--- {}` and CI runs `--destination staging`; serveme's
    # websocket echo answers under /ping of the main app's host
    destination = ("service: code-staging\nimage: acme/code-staging\nservers:\n  web:\n    - 198.51.100.11\n"
                   "proxy:\n  ssl: false\n  host: staging.code.acme.io\n  path_prefixes: [\"/ping\"]\n")
    files: dict[str, str | bytes] = {"config/deploy.yml": "--- {}\n", "config/deploy.staging.yml": destination,
                                     "bin/kamal": "#!/usr/bin/env ruby\n"}
    model = scan_tree(tmp_path, files).model
    [step] = facts_for(model, "deploy.steps")
    assert step.text.startswith("bin/kamal deploy -d staging: Kamal builds the image acme/code-staging")
    assert texts(facts_for(model, "env.url", env="staging")) == [
        "staging.code.acme.io/ping (kamal-proxy host of Kamal destination staging, without kamal-proxy's TLS)"]
    [rollback] = facts_for(model, "deploy.rollback.perform")
    assert rollback.text.startswith("bin/kamal rollback VERSION -d DESTINATION: ")


def test_a_destination_merges_as_kamal_deep_merges(tmp_path: Path) -> None:
    # lists replace (servers given as a list, env.secret), mappings merge; a tag's value does not
    # override clear; `prod` is Production; a role's own proxy host is served too (code review)
    base = ("service: app\nimage: acme/app\nservers:\n  web:\n    hosts: [203.0.113.1, 203.0.113.2]\n"
            "  job:\n    hosts: [203.0.113.3]\n    cmd: bin/jobs\n  api:\n    hosts: [203.0.113.4]\n"
            "    proxy:\n      host: api.acme.io\nproxy:\n  ssl: true\n  host: acme.io\n"
            "env:\n  clear:\n    RAILS_LOG_LEVEL: info\n  secret:\n    - RAILS_MASTER_KEY\n    - SENTRY_DSN\n"
            "  tags:\n    canary:\n      RAILS_LOG_LEVEL: debug\n")
    staging = "servers:\n  - 198.51.100.7\nenv:\n  secret:\n    - RAILS_MASTER_KEY\n"
    prod = "servers:\n  web: [203.0.113.9]\n"
    model = scan_tree(tmp_path, {"config/deploy.yml": base, "config/deploy.staging.yml": staging,
                                 "config/deploy.prod.yml": prod}).model
    steps = {f.text.split(":")[0]: f.text for f in facts_for(model, "deploy.steps")}
    assert set(steps) == {"kamal deploy -d prod", "kamal deploy -d staging"}  # `prod` is Production: no bare deploy
    assert steps["kamal deploy -d staging"].endswith("then boots it on role web (1 host, behind kamal-proxy)")
    assert "role api (1 host, behind kamal-proxy)" in steps["kamal deploy -d prod"]
    assert "https://api.acme.io (kamal-proxy host of Kamal destination prod)" in texts(
        facts_for(model, "env.url", env="production"))
    sentry = [f for f in facts_for(model, "mon.application") if f.evidence[0].detector == "kamal"]
    # said once, from the base file that sets it (prod keeps it; staging's secret list replaced it)
    assert [f.text for f in sentry] == ["Sentry: SENTRY_DSN in the env of Kamal configuration config/deploy.yml"]
    # the clear value, not the canary tag's
    assert texts(facts_for(model, "log.levels")) == [
        "RAILS_LOG_LEVEL=info in the env of Kamal configuration config/deploy.yml"]


def test_erb_values_and_kamal_1_labels_are_not_said_as_written(tmp_path: Path) -> None:
    erb = ("service: app\nimage: <%= ENV.fetch(\"IMAGE\", \"acme/app\") %>\nservers:\n  web:\n    - 203.0.113.5\n"
           "retain_containers: <%= ENV.fetch(\"RETAIN\", 10) %>\nlogging:\n  driver: <%= ENV[\"LOG_DRIVER\"] %>\n")
    labels = ("service: old\nimage: acme/old\nservers:\n  web:\n    hosts: [203.0.113.6]\n    labels:\n"
              "      traefik.http.routers.old.rule: Host(`old.acme.io`)\n")
    model = scan_tree(tmp_path, {"config/deploy.yml": erb, "legacy/config/deploy.yml": labels}).model
    document = " ".join(f.text for f in model.facts)
    assert "<%=" not in document
    [erb_step] = [f for f in facts_for(model, "deploy.steps") if f.evidence[0].path == "config/deploy.yml"]
    assert "Kamal builds an image the file computes with ERB" in erb_step.text
    assert not facts_for(model, "log.aggregation")
    [legacy] = [f for f in facts_for(model, "deploy.steps") if f.evidence[0].path.startswith("legacy/")]
    assert "kamal-proxy" not in legacy.text  # Kamal 1, routed by Traefik
    assert ("old.acme.io (Traefik rule of Kamal configuration config/deploy.yml; production assumed: deployed "
            "with no destination)") in texts(facts_for(model, "env.url", env="production"))
