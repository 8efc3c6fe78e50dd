"""The PaaS detector on fixtures modelled on real manifests (each fixture names its model).

JSON fixtures cannot carry a comment, so their models are named here:
- `heroku/app.json`: heroku/ruby-getting-started app.json (addons with plan and version, env
  descriptions, postdeploy, review and test environments) and umami-software/umami app.json
  (an add-on written as a bare string).
- `vercel/vercel.json`: openstatusHQ/openstatus apps/web/vercel.json (crons).
- `fdroid-app-json/tests/source-files/se.manyver/app.json`: f-droid/fdroidserver's test file of the
  same path, an app.json that is not a Heroku manifest.
"""

from __future__ import annotations

from pathlib import Path

from helpers import FIXTURES, Scanned, diagnostics_for, facts_for, git_repo, scan_dir, scan_tree, write_tree

from infrascan.model import Confidence, Fact, FactScope


def tree(name: str, *extra: str) -> dict[str, str | bytes]:
    """A fixture folder (and optionally others) as one repository's files."""
    files: dict[str, str | bytes] = {}
    for folder in (name, *extra):
        root = FIXTURES / "paas" / folder
        for path in sorted(root.rglob("*")):
            if path.is_file():
                files[path.relative_to(root).as_posix()] = path.read_text(encoding="utf-8")
    return files


def paas_facts(scanned: Scanned, field: str, env: str | None = None) -> list[Fact]:
    return [f for f in facts_for(scanned.model, field, env) if any(e.detector == "paas" for e in f.evidence)]


def only(facts: list[Fact], needle: str) -> Fact:
    found = [f for f in facts if needle in f.text]
    assert len(found) == 1, (needle, [f.text for f in facts])
    return found[0]


# -- Fly.io ------------------------------------------------------------------------------------


def test_fly_release_command_auto_rollback_checks_and_url(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, tree("fly"))
    release = only(paas_facts(scanned, "deploy.migration.strategy"), "npx prisma migrate deploy")
    assert release.confidence is Confidence.DECLARED
    assert release.text.startswith("Release command: [deploy] release_command in fly.toml for app indie-notes")
    assert (release.evidence[0].path, release.evidence[0].line) == ("fly.toml", 17)
    assert "`[deploy] release_command` in `fly.toml` for app `indie-notes`" in scanned.markdown
    rollback = only(paas_facts(scanned, "deploy.rollback.perform"), "auto_rollback")
    # Machines apps ignore it (flyctl#1942): a hint, not the automatic rollback it was on Nomad
    assert rollback.confidence is Confidence.HINT and not rollback.attrs.get("automatic")
    assert "Machines apps do not roll back on it" in rollback.text and rollback.evidence[0].line == 21
    check = only(paas_facts(scanned, "deploy.rollback.verify"), "check /healthcheck for app indie-notes every")
    assert "/healthcheck" in check.text and check.evidence[0].line == 45  # [[services.http_checks]] path
    url = only(paas_facts(scanned, "env.url", "production"), "indie-notes.fly.dev")
    assert url.confidence is Confidence.INFERRED and "production assumed" in url.text
    assert only(paas_facts(scanned, "mon.application"), ":8081/metrics").tech == "prometheus"


def test_fly_env_file_names_the_environment_and_release_resolves_through_package_json(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, tree("fly"))
    url = only(paas_facts(scanned, "env.url", "staging"), "indie-notes-staging.fly.dev")
    assert "production assumed" not in url.text
    release = only(paas_facts(scanned, "deploy.migration.strategy"), "npm run db:migrate")
    assert "which runs prisma migrate deploy (package.json:db:migrate)" in release.text
    assert [(e.path, e.line) for e in release.evidence] == [("fly.staging.toml", 7), ("package.json", 4)]
    idle = only(paas_facts(scanned, "env.special", "staging"), "stops every machine when idle")
    assert "min_machines_running = 0" in idle.text


def test_fly_monorepo_strategy_health_check_and_tcp_only_app(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, tree("fly-monorepo"))
    urls = [f.text for f in paas_facts(scanned, "env.url", "production")]
    assert any("https://acme-api.fly.dev" in u for u in urls)
    assert not any("acme-ssh" in u for u in urls), "a raw TCP service has no https://<app>.fly.dev"
    abort = only(paas_facts(scanned, "deploy.rollback.perform"), "strategy = bluegreen")
    assert abort.confidence is Confidence.INFERRED and abort.evidence[0].line == 22
    assert only(paas_facts(scanned, "deploy.rollback.verify"), "/ping").evidence[0].line == 29
    assert only(paas_facts(scanned, "env.sla", "production"), "2 machines always running").confidence is Confidence.HINT
    assert only(paas_facts(scanned, "env.special", "production"), "NODE_ENV=production").evidence[0].line == 32


def test_a_phoenix_release_on_fly_migrates_through_its_overlay_script_and_has_a_tcp_check(tmp_path: Path) -> None:
    # live_beats (`mix phx.gen.release --docker`): fly.toml runs `/app/bin/migrate`, which `mix release`
    # copied from `rel/overlays/bin/migrate`; its only health check is a TCP check of the service's port
    fly = (
        'app = "beats"\nprimary_region = "iad"\n\n[deploy]\n  release_command = "/app/bin/migrate"\n\n'
        "[[services]]\n  protocol = \"tcp\"\n  internal_port = 4000\n\n  [[services.tcp_checks]]\n"
        '    interval = "15s"\n    timeout = "2s"\n'
    )
    scanned = scan_tree(tmp_path, {
        "fly.toml": fly,
        "rel/overlays/bin/migrate": '#!/bin/sh\ncd -P -- "$(dirname -- "$0")"\n'
                                    "exec ./beats eval Beats.Release.migrate\n",
        "scripts/migrate": "#!/bin/sh\necho not this one\n",
        "mix.exs": "defmodule Beats.MixProject do\nend\n",
    })
    release = only(paas_facts(scanned, "deploy.migration.strategy"), "/app/bin/migrate")
    assert "which runs ./beats eval Beats.Release.migrate (rel/overlays/bin/migrate)" in release.text
    assert release.confidence is not Confidence.HINT
    check = only(paas_facts(scanned, "deploy.rollback.verify"), "TCP health check of port 4000")
    assert "every 15s" in check.text and check.evidence[0].line == 12


def test_broken_fly_toml_gives_a_diagnostic_and_keeps_what_still_reads(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, tree("fly-broken"))
    assert any("invalid TOML" in m for m in diagnostics_for(scanned.model, "fly.toml"))
    assert [d.line for d in scanned.model.diagnostics if d.path == "fly.toml"] == [6]
    assert only(paas_facts(scanned, "env.url", "production"), "broken-app.fly.dev")
    assert only(paas_facts(scanned, "env.special", "production"), "deploy strategy canary")


# -- Heroku ------------------------------------------------------------------------------------


def test_procfile_release_phase_processes_and_bad_line(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, tree("heroku"))
    release = only(paas_facts(scanned, "deploy.migration.strategy"), "python manage.py migrate")
    assert release.text.startswith("Release phase: Procfile release (once per deploy, before new dynos start)")
    assert release.tech == "django-migrations" and release.evidence[0].line == 2
    processes = only(paas_facts(scanned, "env.special", "production"), "Procfile process types")
    assert "web (gunicorn gettingstarted.wsgi)" in processes.text and processes.confidence is Confidence.INFERRED
    assert [d.line for d in scanned.model.diagnostics if d.path == "Procfile"] == [5]


def test_app_json_addons_versions_env_review_and_test(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, tree("heroku"))
    postgres = only(paas_facts(scanned, "env.database", "production"), "PostgreSQL 16")
    assert postgres.evidence[0].line == 6 and postgres.attrs["version"] == "16"
    redis = only(paas_facts(scanned, "env.database", "production"), "Redis")
    assert "no version option" in redis.text
    assert only(paas_facts(scanned, "env.database", "review"), "PostgreSQL 16"), "review apps inherit add-ons"
    assert only(paas_facts(scanned, "env.database", "test"), "heroku-postgresql:in-dyno")
    assert only(paas_facts(scanned, "log.aggregation"), "papertrail").tech == "papertrail"
    assert only(paas_facts(scanned, "env.purpose", "review"), "Heroku review apps")
    purpose = [f for f in facts_for(scanned.model, "ext.purpose", service="stripe") if f.rank == 20]
    assert purpose and "Charges customers for their subscription" in purpose[0].text
    postdeploy = only(paas_facts(scanned, "deploy.migration.strategy"), "After the first deploy only")
    assert "rails db:migrate db:seed" in postdeploy.text and "review" in postdeploy.text
    assert only(paas_facts(scanned, "ci.test.unit"), "bundle exec rspec")
    assert only(paas_facts(scanned, "env.special", "production"), "Heroku formation: web × 2 (standard-1x)")


def test_each_app_json_addon_object_cites_its_own_plan(tmp_path: Path) -> None:
    # outline's app.json: every add-on cited the first one's "plan" line
    scanned = scan_tree(tmp_path, {"app.json": (
        '{\n  "addons": [\n    {\n      "plan": "heroku-redis"\n    },\n    {\n      "plan": "heroku-postgresql"\n'
        '    }\n  ],\n  "environments": {\n    "review": {\n      "addons": [\n        {\n'
        '          "plan": "heroku-redis:mini"\n        },\n        {\n'
        '          "plan": "heroku-postgresql:essential-0"\n'
        '        }\n      ]\n    }\n  }\n}\n')})
    lines = {(f.env, f.tech): f.evidence[0].line for f in paas_facts(scanned, "env.database", None)}
    assert lines == {("production", "redis"): 4, ("production", "postgresql"): 7,
                     ("review", "redis"): 14, ("review", "postgresql"): 17}


# gitlab-org/gitlab-runner: Procfile (one `web` line, no other Heroku file in the repository)
_LOCAL_PROCFILE = 'web: gitlab-runner run-single -addr=":$PORT" -builds-dir="/tmp"\n'


def test_procfile_alone_assumes_no_environment(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, {"Procfile": _LOCAL_PROCFILE})
    assert not paas_facts(scanned, "env.special", "production")
    hint = only(paas_facts(scanned, "env.special"), "Procfile process types")
    assert hint.confidence is Confidence.HINT and hint.env is None
    assert "no environment is assumed" in hint.text


def test_procfile_with_heroku_evidence_is_production(tmp_path: Path) -> None:
    # heroku.yml modelled on Heroku's container-registry docs; the GitLab job on the
    # `git push heroku` deploys of Heroku's GitLab CI guides
    heroku_yml = "build:\n  docker:\n    web: Dockerfile\n"
    push = "git push https://heroku:$HEROKU_API_KEY@git.heroku.com/app.git HEAD:main"
    ci = f"deploy:\n  stage: deploy\n  script:\n    - {push}\n"
    for index, extra in enumerate(({"heroku.yml": heroku_yml}, {".gitlab-ci.yml": ci})):
        (tmp_path / str(index)).mkdir()
        scanned = scan_tree(tmp_path / str(index), {"Procfile": _LOCAL_PROCFILE, **extra})
        if "heroku.yml" in extra:  # Heroku runs the images heroku.yml builds, not the Procfile (Heroku's docs)
            processes = only(paas_facts(scanned, "env.special", "production"), "Procfile process types")
            assert processes.confidence is Confidence.HINT and "buildpack deploy only" in processes.text
            continue
        processes = only(paas_facts(scanned, "env.special", "production"), "Procfile process types")
        assert processes.confidence is Confidence.INFERRED and "production assumed" in processes.text


def test_release_phase_script_resolved_in_phase_two(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, tree("heroku-script"))
    release = only(paas_facts(scanned, "deploy.migration.strategy"), "./bin/release.sh")
    assert "which runs rails db:migrate (bin/release.sh)" in release.text
    assert [(e.path, e.line) for e in release.evidence] == [("Procfile", 2), ("bin/release.sh", 3)]


def test_release_phase_that_does_not_migrate_is_only_a_hint(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, {"Procfile": "release: ./bin/notify-slack\nweb: node server.js\n"})
    hint = only(paas_facts(scanned, "deploy.migration.strategy"), "notify-slack")
    assert hint.confidence is Confidence.HINT and "whether that migrates was not found" in hint.text


def test_app_json_that_is_not_heroku_is_left_alone(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, tree("fdroid-app-json"))
    assert not [f for f in scanned.model.facts if any(e.detector == "paas" for e in f.evidence)]
    assert not [d for d in scanned.model.diagnostics if d.detector == "paas"]


def test_invalid_app_json_is_a_diagnostic_with_its_line(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, {"app.json": '{\n  "addons": [\n    "heroku-postgresql"\n  ,\n}\n', **tree("vercel")})
    assert [d.line for d in scanned.model.diagnostics if d.path == "app.json"] == [5]
    assert paas_facts(scanned, "env.special", "production"), "vercel.json is still documented"


# -- Render, Vercel, Netlify, Serverless -------------------------------------------------------------


def test_render_blueprint(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, tree("render"))
    database = only(paas_facts(scanned, "env.database", "production"), "PostgreSQL 16")
    assert "used by shop-web through DATABASE_URL" in database.text
    assert {(e.path, e.line) for e in database.evidence} == {("render.yaml", 46), ("render.yaml", 19)}
    assert only(paas_facts(scanned, "env.database", "production"), "Render Key Value service shop-cache")
    pre = only(paas_facts(scanned, "deploy.migration.strategy"), "preDeployCommand")
    assert "python manage.py migrate" in pre.text and pre.evidence[0].line == 13
    assert only(paas_facts(scanned, "deploy.rollback.verify"), "/healthz").evidence[0].line == 15
    assert (
        only(paas_facts(scanned, "env.url", "production"), "https://shop.example.org").confidence is Confidence.DECLARED
    )
    default = only(paas_facts(scanned, "env.url", "production"), "shop-web.onrender.com")
    assert default.confidence is Confidence.INFERRED
    assert only(paas_facts(scanned, "ci.deploy.manual"), "shop-worker").evidence[0].line == 32
    assert "on every push to main" in only(paas_facts(scanned, "ci.deploy.automated"), "shop-web").text
    dashboard = only(paas_facts(scanned, "env.special", "production"), "Render dashboard")
    assert dashboard.confidence is Confidence.HINT and "SENTRY_DSN, STRIPE_SECRET_KEY" in dashboard.text
    assert only(paas_facts(scanned, "env.purpose", "review"), "Render preview environments")
    assert only(
        paas_facts(scanned, "env.special", "production"), "cron job nightly-report runs python manage.py report"
    )
    assert len(paas_facts(scanned, "env.sla", "production")) == 2


def test_broken_render_yaml_keeps_the_rest_of_the_repository(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, tree("render-broken", "netlify"))
    assert [d.line for d in scanned.model.diagnostics if d.path == "render.yaml"] == [6]
    assert only(paas_facts(scanned, "ci.build"), "publishes website/public")


def test_vercel_crons_regions_and_dashboard_variables(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, tree("vercel"))
    cron = only(paas_facts(scanned, "env.special", "production"), "/api/cron/cleanup")
    assert "0 4 * * *" in cron.text and cron.evidence[0].line == 8
    assert only(paas_facts(scanned, "env.special", "production"), "region(s) fra1")
    assert only(paas_facts(scanned, "env.special", "production"), "in its dashboard").confidence is Confidence.HINT
    assert only(paas_facts(scanned, "ci.deploy.automated"), "Vercel's Git integration").confidence is Confidence.HINT


def test_netlify_contexts_are_environments(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, tree("netlify-app"))
    preview = only(paas_facts(scanned, "env.purpose", "deploy-preview"), "Deploy Previews")
    assert preview.evidence[0].line == 11 and "in netlify.toml, publishing public" in preview.text
    assert only(paas_facts(scanned, "env.purpose", "branch-deploy"), "branch deploys")
    assert only(paas_facts(scanned, "env.special", "production"), "GOBIN=/tmp/gobin").evidence[0].line == 9
    level = only(facts_for(scanned.model, "log.levels"), "LOG_LEVEL=debug")
    assert level.evidence[0].line == 18


def test_a_netlify_site_whose_build_does_nothing_is_deployed_ready_made(tmp_path: Path) -> None:
    # hedgedoc/hedgedoc docs/netlify.toml: the docs are built by CI and pushed with the Netlify CLI
    scanned = scan_tree(tmp_path, {"docs/netlify.toml": (
        '[build]\npublish = "site"\ncommand = "echo Pseudo build command because the build is made by the CI"\n')})
    assert paas_facts(scanned, "ci.build") == []
    [hint] = paas_facts(scanned, "ci.deploy.automated")
    assert hint.confidence is Confidence.HINT and hint.evidence[0].line == 3
    assert hint.text == (
        "Netlify site configuration (docs/netlify.toml) whose build command does nothing (echo Pseudo build command "
        "because the build is made by the CI): the site is built elsewhere and deployed ready-made from site, "
        "not by Netlify's Git integration")


def test_a_build_that_echoes_then_builds_builds_and_contexts_stay(tmp_path: Path) -> None:
    # code review: `echo ... && npm run build` builds; a no-op build keeps its deploy contexts
    (tmp_path / "echo").mkdir()
    echoing = scan_tree(tmp_path / "echo", {"netlify.toml": (
        '[build]\ncommand = "echo Building for $CONTEXT && npm run build"\npublish = "dist"\n')})
    assert only(paas_facts(echoing, "ci.build"), "npm run build")
    assert only(paas_facts(echoing, "ci.deploy.automated"), "Git integration").text.startswith("Netlify's Git")
    (tmp_path / "noop").mkdir()
    noop = scan_tree(tmp_path / "noop", {"netlify.toml": (
        "[build]\ncommand = \"echo 'built by CI'\"\npublish = \"dist\"\n"
        "[context.deploy-preview]\ncommand = \"echo preview\"\n")})
    assert any("deploy-preview" in f.text or f.env == "deploy-preview" for f in noop.model.facts), [
        f.text for f in noop.model.facts]


def test_a_netlify_docs_site_is_not_the_applications_environments(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, {f"operator/{p}": t for p, t in tree("netlify").items()})
    assert "deploy-preview" not in scanned.model.environments and "branch-deploy" not in scanned.model.environments
    assert not [f for f in scanned.model.facts if f.env and any(e.detector == "paas" for e in f.evidence)]
    deploys = only(paas_facts(scanned, "ci.deploy.automated"), "documentation site")
    assert deploys.confidence is Confidence.HINT
    assert deploys.text == (
        "Netlify's Git integration, when the site is connected, deploys the documentation site in "
        "operator/website/public (deploy contexts production, deploy-preview, branch-deploy) on every push, "
        "not the application (operator/netlify.toml)"
    )
    build = only(paas_facts(scanned, "ci.build"), "Netlify build")
    assert build.text == "Netlify build of the documentation site publishes website/public (operator/netlify.toml)"
    # a netlify.toml kept in docs/ (Docusaurus, MkDocs) builds the docs whatever it publishes
    (tmp_path / "in-docs").mkdir()
    in_docs = scan_tree(tmp_path / "in-docs", {"docs/netlify.toml": '[build]\npublish = "build"\n'})
    assert only(paas_facts(in_docs, "ci.deploy.automated"), "documentation site in docs/build")


def test_serverless_stages_resources_and_log_retention(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, tree("serverless"))
    stage = only(paas_facts(scanned, "env.purpose", "development"), "stage dev")
    assert "${opt:stage, 'dev'}" in stage.text
    assert only(paas_facts(scanned, "env.purpose", "production"), "params.prod")
    databases = paas_facts(scanned, "env.database", "development")
    assert only(databases, "CloudFormation resource TodosDynamoDbTable").tech == "dynamodb"
    assert only(databases, "PostgreSQL 15").evidence[0].line == 45
    assert only(databases, "JobsQueue").tech == "aws-sqs"
    never = only(paas_facts(scanned, "log.retention"), "never expire")
    assert never.confidence is Confidence.INFERRED
    assert only(paas_facts(scanned, "log.retention"), "kept 30 days").evidence[0].line == 54
    assert only(paas_facts(scanned, "env.special", "development"), "httpApi events: create, list")
    assert only(paas_facts(scanned, "env.special", "development"), "AWS region eu-west-1")


def test_migrating_on_start_says_every_instance_does_without_advice(tmp_path: Path) -> None:
    # A fact, not a recommendation: the start command runs in each dyno and each Render instance.
    scanned = scan_tree(tmp_path, {
        "Procfile": "web: bundle exec rails db:migrate && bundle exec puma -C config/puma.rb\n",
        "render.yaml": "services:\n  - type: web\n    name: shop\n    runtime: python\n"
                       "    startCommand: python manage.py migrate && gunicorn shop.wsgi\n",
    })
    texts_ = [f.text for f in paas_facts(scanned, "deploy.migration.strategy")]
    assert any(t.startswith("On dyno start: Procfile web runs") and t.endswith("before the app, in every dyno as it "
                                                                                 "starts") for t in texts_), texts_
    assert any(t.startswith("On service start: Render startCommand") and t.endswith("in every instance as it starts")
               for t in texts_), texts_


def test_heroku_postbuild_migrations_run_on_every_build_of_a_heroku_app(tmp_path: Path) -> None:
    # outline: `"heroku-postbuild": "yarn build && yarn db:migrate"` beside a Heroku app.json migrates at
    # every release; only app.json's postdeploy (once per new app) was read
    package = ('{\n  "name": "app",\n  "scripts": {\n    "build": "vite build",\n'
               '    "db:migrate": "sequelize db:migrate",\n'
               '    "heroku-postbuild": "yarn build && yarn db:migrate"\n  }\n}\n')
    app_json = '{\n  "name": "app",\n  "addons": ["heroku-postgresql"],\n  "scripts": {}\n}\n'
    (tmp_path / "heroku").mkdir()
    (tmp_path / "alone").mkdir()
    scanned = scan_tree(tmp_path / "heroku", {"package.json": package, "app.json": app_json})
    build = only(paas_facts(scanned, "deploy.migration.strategy"), "On every Heroku build")
    assert build.text == ("On every Heroku build: heroku-postbuild in package.json runs yarn db:migrate, "
                          "which runs sequelize db:migrate (package.json:db:migrate)")
    assert [(e.path, e.line) for e in build.evidence] == [("package.json", 6), ("package.json", 5)]
    # code review: two migrations in one script are two statements
    (tmp_path / "two").mkdir()
    two = package.replace('"yarn build && yarn db:migrate"', '"prisma migrate deploy && knex migrate:latest"')
    both = scan_tree(tmp_path / "two", {"package.json": two, "app.json": app_json})
    assert len([f for f in paas_facts(both, "deploy.migration.strategy") if "every Heroku build" in f.text]) == 2
    # second code review: a shell script the build script runs is followed too
    (tmp_path / "script").mkdir()
    script = package.replace('"yarn build && yarn db:migrate"', '"./bin/migrate.sh"')
    followed = scan_tree(tmp_path / "script", {"package.json": script, "app.json": app_json,
                                               "bin/migrate.sh": "#!/bin/sh\nset -e\nnpx prisma migrate deploy\n"})
    assert only(paas_facts(followed, "deploy.migration.strategy"), "every Heroku build").text.startswith(
        "On every Heroku build: heroku-postbuild in package.json runs ./bin/migrate.sh")
    # without a Heroku app.json, nothing says the buildpack runs the script
    alone = scan_tree(tmp_path / "alone", {"package.json": package})
    assert not paas_facts(alone, "deploy.migration.strategy")


def test_branches_vercel_does_not_deploy_are_named(tmp_path: Path) -> None:
    # rallly: `"git": {"deploymentEnabled": {"l10n_*": false}}` keeps Crowdin's translation branches from
    # deploying; the hint said every push deploys, citing the very line that says otherwise
    vercel = '{\n  "git": {\n    "deploymentEnabled": {"l10n_*": false}\n  }\n}\n'
    scanned = scan_tree(tmp_path, {"vercel.json": vercel})
    hint = only(paas_facts(scanned, "ci.deploy.automated"), "Vercel's Git integration")
    assert hint.text.startswith("Vercel's Git integration, when the project is connected, deploys every push except "
                                "to branches l10n_*: the production branch to Production")
    assert hint.evidence[0].line == 2


def test_heroku_yml_builds_images_runs_its_release_phase_and_sets_the_procfile_aside(tmp_path: Path) -> None:
    # wagtail/bakerydemo deploys with heroku.yml's container stack; its release phase migrated unseen,
    # and the Procfile (a buildpack deploy's) was stated as what production runs
    heroku_yml = ("build:\n  docker:\n    web:\n      dockerfile: Dockerfile\n  config:\n    NIGHTLY: 0\n\n"
                  "release:\n  image: web\n  command:\n    - /venv/bin/python manage.py migrate --noinput\n")
    scanned = scan_tree(tmp_path, {"heroku.yml": heroku_yml, "Procfile": "web: uwsgi ./etc/uwsgi.ini\n",
                                   "Dockerfile": "FROM python:3.12-slim\nCMD [\"uwsgi\", \"/code/etc/uwsgi.ini\"]\n"})
    release = only(paas_facts(scanned, "deploy.migration.strategy"), "heroku.yml")
    assert release.text == ("Release phase: heroku.yml release in the web image (once per deploy, before new dynos "
                            "start) runs /venv/bin/python manage.py migrate --noinput")
    assert release.evidence[0].line == 10
    image = only(paas_facts(scanned, "env.special", "production"), "Heroku container stack")
    assert image.text == "Heroku container stack: web dynos run the image built from Dockerfile (heroku.yml)"
    procfile = only(paas_facts(scanned, "env.special", "production"), "Procfile process types")
    assert procfile.confidence is Confidence.HINT and "the Procfile serves a buildpack deploy only" in procfile.text
    assert "the Procfile serves a buildpack deploy only" in scanned.markdown  # shown, not only in the state


def test_the_container_stack_sets_aside_the_procfile_release_and_the_buildpack_s_scripts(tmp_path: Path) -> None:
    # code review of c828f32 and b223397: beside a heroku.yml that builds images (or an app.json on the
    # container stack), neither the Procfile's release line nor package.json's heroku-postbuild runs
    package = '{\n  "scripts": {\n    "heroku-postbuild": "prisma migrate deploy"\n  }\n}\n'
    procfile = "release: bundle exec rake db:migrate\nweb: bundle exec puma\n"
    for name, files in (
        ("yml", {"heroku.yml": "build:\n  docker:\n    web: Dockerfile\n", "Dockerfile": "FROM ruby:3.3\n",
                 "app.json": '{"addons": ["heroku-postgresql"]}\n'}),
        ("stack", {"app.json": '{"stack": "container", "addons": ["heroku-postgresql"]}\n'}),
    ):
        (tmp_path / name).mkdir()
        scanned = scan_tree(tmp_path / name, {**files, "Procfile": procfile, "package.json": package})
        strategies = paas_facts(scanned, "deploy.migration.strategy")
        assert not any("heroku-postbuild" in f.text for f in strategies), name
        release = only(strategies, "Procfile release")
        assert release.confidence is Confidence.HINT
        assert "whose release phase is heroku.yml's or a pushed release image's, not this one" in release.text
    # on the buildpack stack both are what Heroku runs
    (tmp_path / "buildpack").mkdir()
    scanned = scan_tree(tmp_path / "buildpack", {"app.json": '{"addons": ["heroku-postgresql"]}\n',
                                                 "Procfile": procfile, "package.json": package})
    strategies = paas_facts(scanned, "deploy.migration.strategy")
    assert only(strategies, "Procfile release").confidence is Confidence.DECLARED
    assert only(strategies, "heroku-postbuild").confidence is Confidence.DECLARED


def test_vercel_branch_rules_where_a_true_rule_wins(tmp_path: Path) -> None:
    # Vercel: a branch any `true` rule matches deploys; `{"**": false, "main": true}` is main only
    vercel = '{"git": {"deploymentEnabled": {"**": false, "main": true}}}'
    scanned = scan_tree(tmp_path, {"vercel.json": vercel})
    hint = only(paas_facts(scanned, "ci.deploy.automated"), "Vercel's Git integration")
    assert hint.text == ("Vercel's Git integration, when the project is connected, deploys pushes to branches main "
                         "only (vercel.json)")
    # a true `**` wins over any false rule; a production branch kept out is not said to deploy
    for rules, said in (('{"**": true, "l10n_*": false}', "deploys every push: the production branch"),
                        ('{"main": false}', "deploys every push except to branches main: other branches as Preview")):
        (tmp_path / rules[3:8]).mkdir()
        vercel = '{"git": {"deploymentEnabled": ' + rules + "}}"
        scanned = scan_tree(tmp_path / rules[3:8], {"vercel.json": vercel})
        assert said in only(paas_facts(scanned, "ci.deploy.automated"), "Vercel's Git integration").text


def test_a_render_database_read_through_two_variables_says_its_service_once(tmp_path: Path) -> None:
    # documenso: "used by documenso-app through A, used by documenso-app through B"
    blueprint = ("services:\n  - type: web\n    name: app\n    runtime: node\n    envVars:\n"
                 "      - key: DATABASE_URL\n        fromDatabase:\n          name: db\n"
                 "          property: connectionString\n"
                 "      - key: DIRECT_DATABASE_URL\n        fromDatabase:\n          name: db\n"
                 "          property: connectionString\ndatabases:\n  - name: db\n    postgresMajorVersion: \"16\"\n")
    scanned = scan_tree(tmp_path, {"render.yaml": blueprint})
    database = only(paas_facts(scanned, "env.database", "production"), "Render database")
    assert database.text.endswith(", used by app through DATABASE_URL and DIRECT_DATABASE_URL")
    assert "used_by" not in database.attrs


def test_dokku_deploy_scripts_in_app_json(tmp_path: Path) -> None:
    # dokku.com/docs/advanced-usage/deployment-tasks: the app.json of a Dokku-deployed Rails app
    app_json = ('{\n  "name": "shop",\n  "scripts": {\n    "dokku": {\n'
                '      "predeploy": "bundle exec rails db:migrate",\n'
                '      "postdeploy": "bin/notify-release"\n    },\n    "test": "bin/rails test"\n  }\n}\n')
    model = scan_tree(tmp_path, {"app.json": app_json, "bin/notify-release": "#!/bin/sh\necho ok\n"}).model
    [migration] = facts_for(model, "deploy.migration.strategy")
    assert migration.text == ("On each Dokku deploy, before the new containers start: scripts.dokku.predeploy in "
                              "app.json runs bundle exec rails db:migrate")
    assert (migration.evidence[0].path, migration.evidence[0].line) == ("app.json", 5)
    # Dokku's scripts alone do not make the file Heroku's (code review): no Heroku statement
    assert not [f for f in model.facts if "Heroku" in f.text]


# -- deploy buttons ----------------------------------------------------------------------------

RENDER_BLUEPRINT = (
    "services:\n  - type: web\n    name: docs-app\n    runtime: node\n    plan: free\n"
    "    healthCheckPath: /api/health\n    startCommand: npm start\n"
)


def test_the_files_a_readme_deploy_button_deploys_are_a_template_for_others(tmp_path: Path) -> None:
    # documenso: render.yaml backs the README's Deploy to Render button, for self-hosters; it is not
    # where the project runs
    readme = ("# Docs app\n\nSelf-host it:\n\n"
              "[![Deploy to Render](https://render.com/images/deploy-to-render-button.svg)]"
              "(https://render.com/deploy?repo=https://github.com/acme/docs-app)\n")
    scanned = scan_tree(tmp_path, {"render.yaml": RENDER_BLUEPRINT, "README.md": readme,
                                   "apps/web/README.md": readme})
    facts = [f for f in scanned.model.facts if any(e.path == "render.yaml" for e in f.evidence)]
    assert facts and all(f.scope is FactScope.EXAMPLE for f in facts)
    assert {f.attrs["template"] for f in facts} == {"the Render deploy button in README.md, line 5"}
    assert "(from a template others deploy: the Render deploy button in README.md, line 5)" in scanned.markdown
    assert "URL: `https://docs-app.onrender.com`" not in scanned.markdown  # not the repository's own URL
    # the README is read for its buttons, never counted as a manifest, and only at the root
    paas = next(s for s in scanned.model.sources if s.detector == "paas")
    assert paas.files == 1


def test_app_json_environments_stay_the_repository_s_own_under_a_deploy_button(tmp_path: Path) -> None:
    # chatwoot: its app.json backs a Deploy to Heroku button, but its review and test environments
    # are read by the project's own Heroku pipeline (review apps, Heroku CI), never by the button
    app = ('{\n  "name": "chat",\n  "repository": "https://github.com/acme/chat",\n'
           '  "addons": [\n    "heroku-postgresql:essential-0"\n  ],\n'
           '  "environments": {\n    "test": {\n      "scripts": {\n        "test": "bundle exec rake test"\n'
           '      }\n    },\n    "review": {\n      "scripts": {\n'
           '        "postdeploy": "bundle exec rails db:seed"\n      }\n    }\n  }\n}\n')
    readme = "[![Deploy](https://www.herokucdn.com/deploy/button.svg)](https://heroku.com/deploy?template=https://github.com/acme/chat)\n"
    scanned = scan_tree(tmp_path, {"app.json": app, "README.md": readme})
    facts = [f for f in scanned.model.facts if any(e.path == "app.json" for e in f.evidence)]
    own = {(f.field, f.env) for f in facts if f.scope is FactScope.MAIN}
    assert own == {("env.purpose", "review"), ("env.database", "review"), ("ci.test.unit", None)}
    # what the button deploys is still the template's: the production database
    [production] = [f for f in facts if f.env == "production"]
    assert production.scope is FactScope.EXAMPLE
    assert "Purpose: Heroku review apps: a temporary app per pull request" in scanned.markdown


def test_a_deploy_button_of_another_repository_leaves_this_one_s_files_alone(tmp_path: Path) -> None:
    # docuseal: its buttons deploy docuseal-heroku and docuseal-render, repositories of their own
    root = tmp_path / "repo"
    readme = "[Deploy](https://render.com/deploy?repo=https://github.com/acme/docs-app-render)\n"
    repo = git_repo(root)
    write_tree(root, {"render.yaml": RENDER_BLUEPRINT, "README.md": readme})
    repo.create_remote("origin", "https://github.com/acme/docs-app.git")
    scanned = scan_dir(root)
    facts = [f for f in scanned.model.facts if any(e.path == "render.yaml" for e in f.evidence)]
    assert facts and all(f.scope is FactScope.MAIN for f in facts)


def test_an_app_json_description_is_said_as_one_not_as_a_comment(tmp_path: Path) -> None:
    # papercups: app.json's `description` of MAILGUN_API_KEY was quoted as "comment above MAILGUN_API_KEY"
    app = ('{\n  "name": "chat",\n  "env": {\n    "MAILGUN_API_KEY": {\n      "description": "Mailgun api key",\n'
           '      "required": false\n    }\n  }\n}\n')
    scanned = scan_tree(tmp_path, {"app.json": app})
    purpose = only(paas_facts(scanned, "ext.purpose"), "Mailgun api key")
    assert purpose.text.endswith("(description of MAILGUN_API_KEY)")
