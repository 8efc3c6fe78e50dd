"""The Platform.sh / Upsun detector: apps, services and routes as Production's, hooks as build and deploy steps."""

from __future__ import annotations

from pathlib import Path

from helpers import facts_for, fixture_tree, scan_tree, texts
from infrascan.detectors.platformsh import PlatformshDetector

from infrascan.detector import SourceFile
from infrascan.model import Confidence


def tree(name: str) -> dict[str, str | bytes]:
    return fixture_tree("platformsh", name)


def test_a_drupal_project_gives_production_services_url_runtime_and_hooks(tmp_path: Path) -> None:
    # modelled on AcroMedia/commerce-demo: .platform.app.yaml with .platform/services.yaml and routes.yaml
    model = scan_tree(tmp_path, tree("drupal")).model
    assert texts(facts_for(model, "env.database", env="production")) == [
        "MariaDB 10.6: Platform.sh service db (type mysql:10.6, which Platform.sh runs as MariaDB; every "
        "environment runs its own)",
        "Redis 7: Platform.sh service cache (every environment runs its own)",
        "Apache Solr 9: Platform.sh service search (every environment runs its own)",
    ]
    # `{default}` is a domain set outside the repository: a hint of where; the redirect is no URL of its own
    where, url = facts_for(model, "env.url", env="production")
    assert url.text == "https://shop.acme-tools.example/ (Platform.sh route to app app)"
    assert url.evidence[0].path == ".platform/routes.yaml" and url.evidence[0].line == 11
    assert where.confidence is Confidence.HINT and where.evidence[0].line == 1
    assert where.text == ("https://{default}/ (Platform.sh route to app app): {default} is a domain set in the "
                          "project, outside the repository")
    assert texts(facts_for(model, "env.special", env="production")) == [
        "Platform.sh app app: PHP 8.3",
        "Platform.sh app app runs cron drupal: cd web ; drush core-cron on */20 * * * *",
        "Platform.sh app app runs cron snapshot: platform backup:create --yes --no-wait on 0 3 * * *",
        "Platform.sh service headless: chrome-headless:120",
    ]
    # the hooks' `set -e` and `cd` say nothing of what they do
    [build] = facts_for(model, "ci.build")
    assert build.text == ("Platform.sh app app is built on each push to a branch with an active environment: the "
                          "composer build flavor, then the build hook runs npm ci and npm run build")
    assert build.evidence[0].line == 24
    assert texts(facts_for(model, "deploy.steps")) == [
        "Platform.sh app app: the deploy hook runs drush -y cache-rebuild, drush -y updatedb and drush -y "
        "config-import once the new version has started, before it takes requests",
        "Platform.sh app app: the post_deploy hook runs drush queue:run acme_search_index once the new version "
        "takes requests",
    ]
    [migrate] = facts_for(model, "deploy.migration.strategy")
    assert migrate.tech == "drupal-updates" and migrate.evidence[0].line == 31
    assert migrate.text == ("Platform.sh app app: the deploy hook (once the new version has started, before it takes "
                            "requests) runs drush -y updatedb (Drupal database updates)")
    [trigger] = facts_for(model, "ci.deploy.automated")
    assert trigger.confidence is Confidence.HINT and trigger.text.startswith("Platform.sh builds and deploys each push")
    # the files name no staging environment: a project with one runs its own copy of each service
    staging = facts_for(model, "env.database", env="staging")
    assert {f.confidence for f in staging} == {Confidence.HINT} and len(staging) == 3
    development = facts_for(model, "env.database", env="development")  # other branches' preview copies
    assert {f.confidence for f in development} == {Confidence.HINT} and len(development) == 3
    assert staging[1].text == ("Redis 7: Platform.sh service cache, which every environment runs, a staging one "
                               "included if the project has one")


def test_an_upsun_project_reads_its_apps_services_and_routes_from_one_file(tmp_path: Path) -> None:
    # modelled on Elastic-Suite/gally's .upsun/config.yaml: a Node.js admin and a PHP API under their roots
    model = scan_tree(tmp_path, tree("upsun")).model
    assert texts(facts_for(model, "env.database", env="production")) == [
        "PostgreSQL 16: Upsun service postgresql (every environment runs its own)",
        "Redis 7: Upsun service redis (every environment runs its own)",
        "OpenSearch 2: Upsun service opensearch (every environment runs its own)",
    ]
    # every route is under {default}; one at the root of the domain says where the URL is set
    assert [(f.text, f.confidence) for f in facts_for(model, "env.url")] == [
        ("https://{default}/ (Upsun route to app api): {default} is a domain set in the project, outside the "
         "repository", Confidence.HINT)]
    assert texts(facts_for(model, "env.special", env="production")) == [
        "Upsun app admin (front/): Node.js 22",
        "Upsun app api (api/): PHP 8.3",
        "Upsun app api runs cron reindex: bin/console app:index:rebuild on 0 */6 * * *",
    ]
    assert texts(facts_for(model, "ci.build")) == [
        "Upsun app admin is built on each push to a branch with an active environment: the build hook runs yarn "
        "install --frozen-lockfile and yarn build",
        "Upsun app api is built on each push to a branch with an active environment: the composer build flavor, "
        "then the build hook runs bin/console --env=prod assets:install --no-debug",
    ]
    # admin's deploy hook only sets shell options: no step
    assert [f.evidence[0].line for f in facts_for(model, "deploy.steps")] == [31]
    [migrate] = facts_for(model, "deploy.migration.strategy")
    assert migrate.tech == "doctrine-migrations" and migrate.evidence[0].line == 33
    [trigger] = facts_for(model, "ci.deploy.automated")
    assert trigger.text.startswith("Upsun builds and deploys each push")


def test_applications_yaml_lists_apps_and_a_composable_image_names_its_runtimes() -> None:
    source = ("- name: web\n  type: 'composable:25.05'\n  stack: ['php@8.4', {'nodejs@22': {}}]\n"
              "- name: worker\n  type: 'golang:1.23'\n- name: odd\n  type: 'lisp:2.1'\n- just text\n"
              "- name: bare\n  type: 'composable:25.05'\n")
    out = PlatformshDetector().extract(SourceFile(".platform/applications.yaml", source))
    assert [f.text for f in out.facts if f.field == "env.special"] == [
        "Platform.sh app web: PHP 8.4 and Node.js 22",
        "Platform.sh app worker: Go 1.23",
        "Platform.sh app odd: lisp:2.1",
        "Platform.sh app bare: composable:25.05",
    ]
    # a composable image's runtimes are cited at its stack, which names them
    assert [f.evidence[0].line for f in out.facts if f.field == "env.special"] == [3, 5, 7, 10]


def test_broken_and_odd_files_cost_a_diagnostic_and_no_fact() -> None:
    detector = PlatformshDetector()
    out = detector.extract(SourceFile(".platform/services.yaml", "db:\n  type: [postgresql\n"))
    assert not out.facts and out.diagnostics and out.diagnostics[0].line
    odd = "db: postgresql:15\ncache:\n  disk: 256\nsearch:\n  type: ''\nq:\n  type: 'rabbitmq'\n"
    out = detector.extract(SourceFile(".platform/services.yaml", odd))
    # no version written: none said
    assert [f.text for f in out.facts if f.env == "production"] == [
        "RabbitMQ: Platform.sh service q (every environment runs its own)"]
    out = detector.extract(SourceFile(".platform/routes.yaml", "- https://example.com/\n"))
    assert not out.facts and not out.diagnostics
    out = detector.extract(SourceFile(".upsun/config.yaml", "applications: {}\nroutes: 12\n"))
    assert not out.facts


def test_a_deploy_hook_that_calls_a_script_is_followed_into_it(tmp_path: Path) -> None:
    # Platform.sh's Drupal 10 template: `bash $PLATFORM_APP_DIR/drush/platformsh_deploy_drupal.sh` runs
    # `drush -y updatedb`; the hook's own condition, keywords and variables are not listed as commands
    model = scan_tree(tmp_path, tree("drupal-script")).model
    [step] = facts_for(model, "deploy.steps")
    assert step.text == (
        "Platform.sh app drupal: the deploy hook runs php ./drush/platformsh_generate_drush_yml.php, "
        "curl -X PUT \"$SEARCH_URL/_cluster/settings\" -d '{}' and bash $PLATFORM_APP_DIR/drush/"
        "platformsh_deploy_drupal.sh once the new version has started, before it takes requests")
    [migrate] = facts_for(model, "deploy.migration.strategy")
    assert migrate.text == (
        "Platform.sh app drupal: the deploy hook (once the new version has started, before it takes requests) runs "
        "bash $PLATFORM_APP_DIR/drush/platformsh_deploy_drupal.sh, which runs drush -y updatedb "
        "(drush/platformsh_deploy_drupal.sh)")  # the command as the hook writes it
    assert [(e.path, e.line) for e in migrate.evidence] == [
        (".platform.app.yaml", 22), ("drush/platformsh_deploy_drupal.sh", 5)]
    assert migrate.tech == "drupal-updates" and migrate.confidence is Confidence.DECLARED
    # a build hook of shell options only: the build flavor is all the build says
    [build] = facts_for(model, "ci.build")
    assert build.text == ("Platform.sh app drupal is built on each push to a branch with an active environment: the "
                          "composer build flavor")
    assert build.evidence[0].line == 6


def test_a_composable_image_names_its_runtimes_and_stores_not_its_nix_packages() -> None:
    # Skvare's Drupal/CiviCRM template and CopticScriptorium/cts: stacks of runtimes, Nix packages and
    # a search engine an app runs itself; a cron of several lines; a hook's conditions and variables
    source = (
        "applications:\n"
        "  drupal:\n"
        "    type: 'composable:25.05'\n"
        "    stack:\n"
        "      - php@8.3:\n"
        "          extensions: [redis, blackfire]\n"
        "      - gnupg\n"
        "      - python3Packages.boto3\n"
        "      - upsun\n"
        "    crons:\n"
        "      mailing:\n"
        "        spec: '*/5 * * * *'\n"
        "        commands:\n"
        "          start: |\n"
        "            cd web\n"
        "            drush civicrm:api job.process_mailing --yes\n"
        "    hooks:\n"
        "      deploy: |\n"
        "        if ( [ \"$PLATFORM_ENVIRONMENT_TYPE\" = production ] || [ \"$X\" = staging ] ); then\n"
        "          export MODE=update\n"
        "        fi\n"
        "        MODE=install\n"
        "        drush -y cache-rebuild\n"
        "  search:\n"
        "    stack: [ 'meilisearch' ]\n"
    )
    out = PlatformshDetector().extract(SourceFile(".upsun/config.yaml", source))
    assert [(f.field, f.text) for f in out.facts if f.field.startswith("env.")] == [
        ("env.special", "Upsun app drupal: PHP 8.3"),
        ("env.special", "Upsun app drupal runs cron mailing: cd web; drush civicrm:api job.process_mailing --yes "
                        "on */5 * * * *"),
        ("env.database", "Meilisearch: Upsun app search runs it (its image's stack)"),
    ]
    [step] = [f for f in out.facts if f.field == "deploy.steps"]
    assert step.text == ("Upsun app drupal: the deploy hook runs drush -y cache-rebuild once the new version has "
                         "started, before it takes requests")


def test_a_script_a_hook_or_cron_runs_that_the_repository_lacks_is_said_to_be_missing(tmp_path: Path) -> None:
    # bixal-site-drupal's cron runs `bash cron/upload_logs_to_s3.sh`, which was never committed; the Upsun
    # Drupal/CiviCRM template's deploy hook calls two drush/ scripts it does not have
    app = (
        "name: app\n"
        "type: 'php:8.3'\n"
        "hooks:\n"
        "  build: |\n"
        "    curl -fsS -o tools/install.sh https://example.com/install.sh\n"
        "  deploy: |\n"
        "    bash tools/install.sh\n"
        "    $PLATFORM_APP_DIR/orch/deploy.sh\n"
        "    vendor/bin/drush deploy.php\n"
        "crons:\n"
        "  logs:\n"
        "    spec: '0 * * * *'\n"
        "    commands:\n"
        "      start: '[ \"$PLATFORM_BRANCH\" = main ] && bash cron/upload_logs_to_s3.sh'\n"
        "  drupal:\n"
        "    spec: '*/19 * * * *'\n"
        "    cmd: 'php ./drush/cron.php && bash drush/cron.sh'\n"
    )
    files: dict[str, str | bytes] = {".platform.app.yaml": app, "orch/deploy.sh": "#!/bin/sh\ndrush cr\n"}
    model = scan_tree(tmp_path, files).model
    assert texts(facts_for(model, "env.special", env="production"))[1:] == [
        "Platform.sh app app runs cron logs: [ \"$PLATFORM_BRANCH\" = main ] && bash cron/upload_logs_to_s3.sh on "
        "0 * * * * (cron/upload_logs_to_s3.sh is not in the repository)",
        "Platform.sh app app runs cron drupal: php ./drush/cron.php && bash drush/cron.sh on */19 * * * * "
        "(drush/cron.php and drush/cron.sh are not in the repository)",
    ]
    # the build downloads what the deploy hook runs, the other script is committed, vendor/ is installed
    [step] = facts_for(model, "deploy.steps")
    assert "not in the repository" not in step.text and step.evidence[0].line == 6


def test_workers_start_migrations_and_monitoring_extensions() -> None:
    source = (
        "name: api\n"
        "type: 'php:8.3'\n"
        "runtime:\n"
        "  extensions:\n"
        "    - redis\n"
        "    - name: newrelic\n"
        "      configuration: {}\n"
        "    - blackfire\n"
        "web:\n"
        "  commands:\n"
        "    start: 'php bin/console doctrine:migrations:migrate -n && php-fpm'\n"
        "workers:\n"
        "  queue:\n"
        "    commands:\n"
        "      start: |\n"
        "        php bin/console messenger:consume async --time-limit=3600\n"
        "source:\n"
        "  operations:\n"
        "    update:\n"
        "      command: 'composer update --no-interaction && git add composer.lock && git commit -m Update'\n"
    )
    out = PlatformshDetector().extract(SourceFile(".platform.app.yaml", source))
    by_field = {(f.field, f.text) for f in out.facts}
    assert ("mon.application", "New Relic: PHP extension newrelic of Platform.sh app api (its credentials are set "
            "outside the repository)") in by_field
    assert ("mon.performance", "Blackfire: PHP extension blackfire of Platform.sh app api (its credentials are set "
            "outside the repository)") in by_field
    assert ("env.special", "Platform.sh app api runs worker queue: php bin/console messenger:consume async "
            "--time-limit=3600") in by_field
    [start] = [f for f in out.facts if f.field == "deploy.migration.strategy"]
    assert start.text == ("Platform.sh app api: its start command runs php bin/console doctrine:migrations:migrate "
                          "-n before the app, in every instance as it starts") and start.evidence[0].line == 11
    # a source operation updates dependencies by hand: not how the project is deployed by hand
    assert not [f for f in out.facts if f.field == "ci.deploy.manual"]
    # a monitoring probe is a hint: its credentials are elsewhere, and it draws no release signal
    assert {f.confidence for f in out.facts if f.field.startswith("mon.")} == {Confidence.HINT}


def test_symfony_s_deploy_script_migrates_and_says_with_what() -> None:
    # the Symfony book's .platform.app.yaml (AdrianGonzalezMeda/guestbook and hundreds of others):
    # `symfony-deploy` runs Doctrine migrations, if any, in the web container
    source = ("name: app\ntype: php:8.3\nhooks:\n  build: |\n    set -x -e\n    curl -fs "
              "https://get.symfony.com/cloud/configurator | bash\n    NODE_VERSION=22 symfony-build\n"
              "  deploy: |\n    set -x -e\n    symfony-deploy\n")
    out = PlatformshDetector().extract(SourceFile(".platform.app.yaml", source))
    [migrate] = [f for f in out.facts if f.field == "deploy.migration.strategy"]
    assert migrate.text == ("Platform.sh app app: the deploy hook (once the new version has started, before it takes "
                            "requests) runs symfony-deploy (Doctrine Migrations)")
    assert migrate.evidence[0].line == 10 and migrate.tech == "doctrine-migrations"


def test_scripts_are_found_from_the_app_s_folder_and_where_cd_moved(tmp_path: Path) -> None:
    # the code review's repros: a root script of the same name is not the app's, an `!include`d
    # build hook is a script too, and a skipped folder's script may well be there
    config = (
        "applications:\n"
        "  api:\n"
        "    source:\n"
        "      root: backend\n"
        "    type: 'php:8.3'\n"
        "    hooks:\n"
        "      build: !include\n"
        "        type: string\n"
        "        path: build.sh\n"
        "      deploy: |\n"
        "        bash scripts/deploy.sh\n"
        "        bash tools/cleanup.sh\n"
        "      post_deploy: |\n"
        "        cd web\n"
        "        bash ../scripts/warm.sh\n"
    )
    files: dict[str, str | bytes] = {
        ".upsun/config.yaml": config,
        "scripts/deploy.sh": "#!/bin/sh\ndrush -y updb\n",  # another script of the same name, at the top
        "backend/tools/cleanup.sh": "#!/bin/sh\nrm -rf var/cache\n",
        "backend/scripts/warm.sh": "#!/bin/sh\ncurl -s localhost\n",
        ".infrascan.toml": 'skip = ["backend/tools/"]\n',
    }
    model = scan_tree(tmp_path, files).model
    [build] = facts_for(model, "ci.build")
    assert build.text.endswith("the build hook runs the script build.sh (!include) (backend/build.sh is not in the "
                               "repository)")
    deploy, post = facts_for(model, "deploy.steps")
    assert deploy.text.endswith("(backend/scripts/deploy.sh is not in the repository)")  # not tools/, skipped
    assert "not in the repository" not in post.text
    assert not facts_for(model, "deploy.migration.strategy")  # the top's scripts/deploy.sh is not the app's


def test_a_script_the_build_runs_is_checked_and_one_it_writes_is_not(tmp_path: Path) -> None:
    app = ("name: app\ntype: 'php:8.3'\nhooks:\n  build: |\n    bash scripts/build.sh\n"
           "    curl -fsS -o bin/install.sh https://example.com/i.sh\n  deploy: |\n    bash bin/install.sh\n")
    model = scan_tree(tmp_path, {".platform.app.yaml": app}).model
    [build] = facts_for(model, "ci.build")
    assert build.text.endswith("(scripts/build.sh is not in the repository)")
    [deploy] = facts_for(model, "deploy.steps")
    assert "not in the repository" not in deploy.text


def test_a_php_app_without_build_flavor_gets_composer_and_a_stack_mapping_names_its_extensions() -> None:
    # docs.platform.sh: PHP apps build with `composer` unless told otherwise; Upsun's
    # `stack: {runtimes: [...]}` form holds the same `php@X: {extensions: [...]}` entries
    source = ("applications:\n  app:\n    type: 'php:8.3'\n  web:\n    type: 'composable:25.05'\n"
              "    stack:\n      runtimes:\n        - php@8.4:\n            extensions: [blackfire]\n"
              "      packages: [yarn]\n    build:\n      flavor: none\n")
    out = PlatformshDetector().extract(SourceFile(".upsun/config.yaml", source))
    assert [f.text for f in out.facts if f.field == "ci.build"] == [
        "Upsun app app is built on each push to a branch with an active environment: the composer build flavor "
        "(the runtime's default)"]
    assert [f.text for f in out.facts if f.field == "mon.performance"] == [
        "Blackfire: PHP extension blackfire of Upsun app web (its credentials are set outside the repository)"]


def test_a_cron_of_several_lines_reads_as_the_shell_runs_it_and_magento_deploys_migrate() -> None:
    # AdrianGonzalezMeda/guestbook's cron read `if [ ... ]; then; croncape ...`, which no shell takes;
    # Elpikachu/magento2-demochallenge's `ece-tools deploy` runs setup:upgrade
    source = ("name: app\ntype: php:8.3\ncrons:\n  cleanup:\n    spec: '50 23 * * *'\n    cmd: |\n"
              "      if [ \"$PLATFORM_ENVIRONMENT_TYPE\" = \"production\" ]; then\n"
              "        croncape symfony console app:comment:cleanup\n      fi\n"
              "hooks:\n  deploy: |\n    set -e\n    php ./vendor/bin/ece-tools deploy\n")
    out = PlatformshDetector().extract(SourceFile(".platform.app.yaml", source))
    [cron] = [f for f in out.facts if f.field == "env.special" and "cron" in f.text]
    assert cron.text == ("Platform.sh app app runs cron cleanup: if [ \"$PLATFORM_ENVIRONMENT_TYPE\" = "
                         "\"production\" ]; then croncape symfony console app:comment:cleanup; fi on 50 23 * * *")
    [migrate] = [f for f in out.facts if f.field == "deploy.migration.strategy"]
    assert migrate.tech == "magento-setup-upgrade" and migrate.text.endswith(
        "runs php ./vendor/bin/ece-tools deploy (Magento setup:upgrade)")
