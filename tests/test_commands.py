"""The command classifier's table: real-world command lines and what infrascan says they do.

Every recogniser in `src/infrascan/data/commands/00-*.yaml` ... `60-*.yaml` has at least five rows
here (checked below), each modelled on the public file named in the comment above it; negatives sit
next to the rule they guard against (`helm template`, `terraform plan`, `pip install pytest`, a bare
`npm test` that stays indirect until its script is resolved). Rules other detectors add in their own
`70-<detector>.yaml` are pinned by rows in those detectors' test modules.

Expected values are space-separated `kind:tool[@level|target|script][>registry,...]`, one per
classification, in the order classify() returns them; "" means the line is not recognised at all.
"""

from __future__ import annotations

from collections import Counter
from importlib import resources
from pathlib import Path

import pytest
import yaml
from helpers import Scanned, facts_for, scan_tree

from infrascan.commands import (
    OUTPUT_DIR_NAME,
    Classification,
    classify,
    level_from_names,
    registry_of,
    rules,
    split_commands,
    unwrap,
)

ROWS: list[tuple[str, str]] = [
    # ---- nx-target ---------------------------------------------------------------------------------
    # aws-containers/retail-store-sample-app: .github/workflows/pr.yaml
    ("yarn nx affected --targets=lint,test:integration,test --base origin/main",
     "indirect:nx@affected --targets=lint,test:integration,test --base origin/main"),
    # aws-containers/retail-store-sample-app: .github/workflows/e2e-test.yml
    ("yarn nx execute e2e", "indirect:nx@execute e2e"),
    # nrwl/nx: docs/shared/monorepo-ci-github-actions.md (the CI template)
    ("npx nx affected -t lint test build e2e-ci", "indirect:nx@affected -t lint test build e2e-ci"),
    ("npx nx format:check", ""),
    # aws-containers/retail-store-sample-app: .github/workflows/e2e-test.yml (run-many by tag)
    ("yarn nx run-many -t build --projects=tag:service --parallel=1",
     "indirect:nx@run-many -t build --projects=tag:service --parallel=1"),
    ("pnpm exec nx run web:build:production", "indirect:nx@run web:build:production"),
    ("npx nx graph --file=output.json", ""),
    # ---- npm-script --------------------------------------------------------------------------------
    # calcom/cal.com: .github/workflows/e2e.yml
    ('yarn e2e', 'indirect:npm@e2e'),
    # formbricks/formbricks: .github/workflows/e2e.yml
    ('pnpm test:e2e', 'indirect:npm@test:e2e'),
    # vercel/next.js: .github/workflows/build_and_test.yml
    ('pnpm --filter=next test', 'indirect:npm@test'),
    # umami-software/umami: .github/workflows/ci.yml
    ('npm run test', 'indirect:npm@test'),
    # langfuse/langfuse: .github/workflows/pipeline.yml
    ('pnpm run test-sync --filter=web', 'indirect:npm@test-sync'),
    # actions/starter-workflows: ci/node.js.yml (negative: installs; npm test stays indirect)
    ('npm ci', ''),
    ('npm run build --if-present', 'build:nodejs'),
    ('npm test', 'indirect:npm@test'),
    # karakeep-app/karakeep: .github/workflows/cli.yml (npm trusted publishing)
    ('pnpm publish --access public --no-git-checks --tag canary', 'build:nodejs'),
    # npm docs: npm-publish
    ('npm publish --provenance --access public', 'build:nodejs'),
    ('npm publish --dry-run', ''),
    # yarn berry docs
    ('yarn npm publish --tag next', 'build:nodejs'),
    # changesets/action README.md: the publish script it runs
    ('pnpm changeset publish', 'build:nodejs'),
    # pnpm docs: publishing every workspace package
    ('pnpm -r publish --access public', 'build:nodejs'),
    # negative: a script whose name starts with publish
    ('npm run publish-docs', 'indirect:npm@publish-docs'),
    # PyPI's packaging guide; uv, poetry, flit, hatch and pdm docs
    ('python3 -m twine upload --repository testpypi dist/*', 'build:python'),
    ('twine upload dist/*', 'build:python'),
    ('uv publish --trusted-publishing always', 'build:python'),
    ('poetry publish --build', 'build:python'),
    ('hatch publish', 'build:python'),
    ('poetry publish --dry-run', ''),
    ('twine check dist/*', ''),
    # LemmyNet/lemmy .woodpecker.yml: its tag pipeline publishes the workspace; its PR check tries it
    ('cargo publish --workspace --token "$CARGO_API_TOKEN" --allow-dirty --no-verify', 'build:rust'),
    ('cargo publish --workspace --dry-run', ''),
    ('cargo publish -p lemmy_api_common', 'build:rust'),
    ('cargo publish -n', ''),
    ('cargo package', ''),
    ('cargo publish --locked', 'build:rust'),
    ('cargo publish --registry my-registry', ''),  # not crates.io
    ('cargo publish --allow-dirty', 'build:rust'),
    ('cargo publish --token ${CRATES_IO_TOKEN}', 'build:rust'),
    # RubyGems guides: publishing your gem
    ('gem push pkg/feeds-1.2.0.gem', 'build:ruby'),
    ('gem push --key github --host https://rubygems.pkg.github.com/acme feeds-1.2.0.gem', ''),  # not RubyGems
    ('gem push feeds-1.2.0.gem --otp "$OTP"', 'build:ruby'),
    ('gem build feeds.gemspec', ''),
    ('gem push *.gem', 'build:ruby'),
    ('gem push --key rubygems pkg/*.gem', 'build:ruby'),
    ('gem push --host https://rubygems.org pkg/*.gem', 'build:ruby'),
    ('gem push "$GEM_FILE"', 'build:ruby'),
    ('gem install bundler', ''),
    # mastodon/mastodon: .github/workflows/test-js.yml
    ('yarn test:js', 'indirect:npm@test:js'),
    ('yarn --frozen-lockfile', ''),
    # env-file wrappers with option values (langfuse: .github/workflows/pipeline.yml runs
    # `npx dotenv -e ../.env.test -e ../.env -- vitest ...`; env-cmd docs: `env-cmd -f .env -- ...`)
    ('dotenv -e .env -- pnpm --filter web test', 'indirect:npm@test'),
    ('npx dotenv -e ../.env.test -e ../.env -- npm run e2e', 'indirect:npm@e2e'),
    ('env-cmd -f .env.ci -- npm test', 'indirect:npm@test'),
    # ---- make-target -------------------------------------------------------------------------------
    # kubernetes/ingress-nginx: .github/workflows/ci.yaml
    ('make test', 'indirect:make@test'),
    # prometheus/prometheus: .circleci/config.yml (older) / Makefile.common
    ('make GO_ONLY=1 SKIP_GOLANGCI_LINT=1', ''),
    # grafana/loki: .github/workflows/check.yml
    ('make -C production/helm lint', 'indirect:make@lint'),
    # 20tab/django-uwsgi-template: Makefile (alpha/beta targets) called from CI
    ('make deploy-alpha', 'indirect:make@deploy-alpha'),
    # gitlabhq/gitlab-runner: .gitlab/ci/test.gitlab-ci.yml
    ('make parallel_test_execute', 'indirect:make@parallel_test_execute'),
    # hashicorp/terraform-provider-aws: .github/workflows/acctest-terraform-lint.yml
    ("make -f GNUmakefile testacc TESTARGS='-run=TestAccXXX'", 'indirect:make@testacc'),
    # ---- just-target -------------------------------------------------------------------------------
    # casey/just: .github/workflows/ci.yaml
    ('just test', 'indirect:just@test'),
    # openstatusHQ/openstatus: apps/checker/justfile called from .github/workflows/checker.yml
    ('just build', 'indirect:just@build'),
    # astral-sh/ruff docs CONTRIBUTING.md
    ('just --justfile ./justfile e2e', 'indirect:just@e2e'),
    # nushell/nushell: toolkit docs (justfile recipes)
    ('just -f ci.just deploy staging', 'indirect:just@deploy'),
    # mozilla/sccache: justfile recipes used in CI
    ('just check', 'indirect:just@check'),
    # ---- invoke-task -------------------------------------------------------------------------------
    # GoogleCloudPlatform/cloud-run-microservice-template-python: test/advance.cloudbuild.yaml
    ('python -m invoke test', 'indirect:invoke@test'),
    ('python -m invoke system-test', 'indirect:invoke@system-test'),
    # robocorp/rcc: .github/workflows/rcc.yaml
    ('inv build', 'indirect:invoke@build'),
    ('inv robotsetup', 'indirect:invoke@robotsetup'),
    ('inv robot', 'indirect:invoke@robot'),
    ('python -m pip install invoke', ''),  # installs it: runs no task
    ('inv --list', ''),
    # ---- composer-script ---------------------------------------------------------------------------
    # shlinkio/shlink: .github/workflows/ci-tests.yml (with the caller's input bound)
    ('composer test:unit:ci', 'indirect:composer@test:unit:ci'),
    # shlinkio/shlink: .github/workflows/ci.yml (matrix command)
    ('composer cs', 'indirect:composer@cs'),
    # composer docs: run-script
    ('composer run-script test -- --filter=Foo', 'indirect:composer@test'),
    ('composer run phpstan', 'indirect:composer@phpstan'),
    # laravel/framework style: `composer --no-interaction test`
    ('composer --no-interaction test', 'indirect:composer@test'),
    # composer's working directory takes a value (code review): the script is `test`
    ('composer -d backend test', 'indirect:composer@test'),
    ('composer --working-dir backend test', 'indirect:composer@test'),
    ('composer -d backend install --no-dev', ''),
    # negatives: composer's own commands
    ('composer install --no-dev --optimize-autoloader', ''),
    ('composer update', ''),
    ('composer dump-autoload -o', ''),
    ('composer global require phpstan/phpstan', ''),
    # ---- task-target -------------------------------------------------------------------------------
    # go-task/task: .github/workflows/test.yml
    ('task test', 'indirect:task@test'),
    # go-task/task: Taskfile.yml (docs: `task --taskfile Taskfile.yml build`)
    ('task --taskfile Taskfile.yml build', 'indirect:task@build'),
    # arduino/arduino-cli: .github/workflows/test-go-task.yml
    ('task go:test', 'indirect:task@go:test'),
    # arduino/arduino-cli: .github/workflows/deploy-cobra-mkdocs-versioned-poetry.yml
    ('task website:check', 'indirect:task@website:check'),
    # getsops/sops style Taskfile runner: `task -d services/api deploy:prod`
    ('task -d services/api deploy:prod', 'indirect:task@deploy:prod'),
    # ---- django-migrate ----------------------------------------------------------------------------
    # 20tab/django-uwsgi-template: Makefile
    ('python manage.py migrate --noinput', 'migrate:django-migrations'),
    # cookiecutter/cookiecutter-django: compose/production/django/start
    ('python /app/manage.py migrate', 'migrate:django-migrations'),
    # wagtail/bakerydemo: Procfile release phase
    ('python manage.py migrate', 'migrate:django-migrations'),
    # saleor/saleor: Dockerfile / docs
    ('python3 manage.py migrate --no-input', 'migrate:django-migrations'),
    # django/djangoproject.com: docker-entrypoint.sh
    ('django-admin migrate --settings=djangoproject.settings.docker', 'migrate:django-migrations'),
    # negative: a check, not a migration (django docs, `migrate --check` in CI)
    ('python manage.py migrate --check', ''),
    ('python manage.py makemigrations --check --dry-run', ''),
    # ---- alembic-upgrade ---------------------------------------------------------------------------
    # sqlalchemy/alembic: docs/build/tutorial.rst
    ('alembic upgrade head', 'migrate:alembic'),
    # tiangolo/full-stack-fastapi-template: backend/scripts/prestart.sh
    ('alembic upgrade head', 'migrate:alembic'),
    # apache/superset: docker/docker-init.sh
    ('alembic -c superset/migrations/alembic.ini upgrade head', 'migrate:alembic'),
    # mlflow/mlflow: mlflow/store/db/utils.py docs of `alembic -x` usage
    ('alembic -x db_url=$DATABASE_URL upgrade head', 'migrate:alembic'),
    # netbox-community/netbox-docker style entrypoint with poetry
    ('poetry run alembic upgrade head', 'migrate:alembic'),
    # ---- flask-db-upgrade --------------------------------------------------------------------------
    # miguelgrinberg/microblog: boot.sh
    ('flask db upgrade', 'migrate:alembic'),
    # miguelgrinberg/flasky: Procfile
    ('flask deploy && flask db upgrade', 'migrate:alembic'),
    # apache/superset (older): docker-entrypoint
    ('FLASK_APP=app flask db upgrade', 'migrate:alembic'),
    # cookiecutter-flask/cookiecutter-flask: README.md
    ('flask --app autoapp db upgrade', 'migrate:alembic'),
    # cookiecutter-flask: Procfile
    ('flask db upgrade', 'migrate:alembic'),
    # ---- alembic-downgrade -------------------------------------------------------------------------
    # sqlalchemy/alembic: docs/build/tutorial.rst
    ('alembic downgrade -1', 'migrate-rollback:alembic'),
    # sqlalchemy/alembic: docs/build/tutorial.rst
    ('alembic downgrade base', 'migrate-rollback:alembic'),
    # miguelgrinberg/Flask-Migrate: docs/index.rst
    ('flask db downgrade', 'migrate-rollback:alembic'),
    # apache/airflow: airflow/utils/db.py docs (alembic downgrade to a revision)
    ('alembic -c alembic.ini downgrade 3c20cacc0044', 'migrate-rollback:alembic'),
    # tiangolo/full-stack-fastapi-template: backend docs
    ('docker compose exec backend alembic downgrade -1', 'migrate-rollback:alembic'),
    # ---- medusa-migrate ----------------------------------------------------------------------------
    # medusajs/medusa-starter-default .github/workflows/test-cli.yml: before seeding and starting
    ('npx medusa db:migrate', 'migrate:medusa'),
    # a deployment guide's pre-deploy command, run before each deploy
    ('npx medusa db:migrate && npm run start', 'migrate:medusa indirect:npm@start'),
    # a README, migrating by hand in the running container
    ('docker exec -it backend npx medusa db:migrate', 'migrate:medusa'),
    # a container start script, then an admin user
    ('medusa db:migrate', 'migrate:medusa'),
    # Medusa v1's CLI
    ('medusa migrations run', 'migrate:medusa'),
    # generating a migration applies nothing
    ('npx medusa db:generate --modules cmsPage', ''),
    # ---- prisma-migrate-deploy ---------------------------------------------------------------------
    # remix-run/blues-stack: start.sh / fly.toml release_command
    ('npx prisma migrate deploy', 'migrate:prisma'),
    # umami-software/umami: scripts/check-db.js runs
    ('prisma migrate deploy', 'migrate:prisma'),
    # spliit-app/spliit: scripts/container-entrypoint.sh (the CLI by path in a standalone image)
    ('node node_modules/prisma/build/index.js migrate deploy', 'migrate:prisma'),
    # formbricks/formbricks: packages/database/package.json
    ('prisma db push --accept-data-loss --config ./prisma.config.ts', 'migrate:prisma'),
    # calcom/cal.com: packages/prisma/package.json
    ('yarn prisma migrate deploy', 'migrate:prisma'),
    # prisma/prisma-examples: README (dev migrations)
    ('npx prisma migrate dev --name init', 'migrate:prisma'),
    # ---- make-target -------------------------------------------------------------------------------
    # kubernetes/kubernetes: build/root/Makefile (recursive make through $(MAKE))
    ('$(MAKE) unit', 'indirect:make@unit'),
    ('${MAKE} -C docs html', 'indirect:make@html'),
    # ---- rails-migrate -----------------------------------------------------------------------------
    # mastodon/mastodon: .github/workflows/test-ruby.yml
    ('bin/rails db:create db:schema:load db:seed', ''),
    ('bundle exec rails db:migrate', 'migrate:rails-migrations'),
    # discourse/discourse: .github/workflows/tests.yml
    ('bin/rake db:migrate', 'migrate:rails-migrations'),
    # basecamp/kamal docs / rails Dockerfile template bin/docker-entrypoint
    ('./bin/rails db:prepare', 'migrate:rails-migrations'),
    # forem/forem: Procfile / release-tasks.sh
    ('bundle exec rails db:migrate', 'migrate:rails-migrations'),
    # heroku/ruby-getting-started: Procfile release phase
    ('bundle exec rake db:migrate', 'migrate:rails-migrations'),
    # negative: status only
    ('bin/rails db:migrate:status', ''),
    # ---- rails-rollback ----------------------------------------------------------------------------
    # rails/rails: guides/source/active_record_migrations.md
    ('bin/rails db:rollback', 'migrate-rollback:rails-migrations'),
    ('bin/rails db:rollback STEP=3', 'migrate-rollback:rails-migrations'),
    # mastodon/mastodon: docs (rollback a migration)
    ('RAILS_ENV=production bundle exec rails db:rollback', 'migrate-rollback:rails-migrations'),
    # discourse/discourse: docs
    ('bundle exec rake db:rollback', 'migrate-rollback:rails-migrations'),
    # forem/forem: docs/backend/migrations.md
    ('rails db:rollback', 'migrate-rollback:rails-migrations'),
    # ---- flyway ------------------------------------------------------------------------------------
    # flyway/flyway-docker: README.md
    ('flyway -url=jdbc:h2:mem:test -user=sa migrate', 'migrate:flyway'),
    # flyway/flyway docs: Gradle plugin
    ('./gradlew flywayMigrate -i', 'migrate:flyway'),
    # flyway/flyway docs: Maven plugin
    ('mvn flyway:migrate', 'migrate:flyway'),
    # spring-petclinic style docker run of flyway image in CI
    ('docker run --rm -v $(pwd)/sql:/flyway/sql flyway/flyway -url=$DB_URL -user=$DB_USER -password=$DB_PASS migrate', 'migrate:flyway'),  # noqa: E501
    # flyway docs: `flyway -configFiles=conf/flyway.conf migrate`
    ('flyway -configFiles=conf/flyway.conf migrate', 'migrate:flyway'),
    # ---- flyway-undo -------------------------------------------------------------------------------
    # flyway/flyway docs: undo (Teams edition)
    ('flyway undo', 'migrate-rollback:flyway'),
    ('flyway -url=$DB_URL undo -target=3', 'migrate-rollback:flyway'),
    # flyway docs: Maven plugin
    ('mvn flyway:undo', 'migrate-rollback:flyway'),
    # flyway docs: docker image
    ('docker run --rm flyway/flyway -url=$DB_URL undo', 'migrate-rollback:flyway'),
    # flyway docs: config file
    ('flyway -configFiles=conf/flyway.conf undo', 'migrate-rollback:flyway'),
    # ---- liquibase ---------------------------------------------------------------------------------
    # liquibase/liquibase: README.md
    ('liquibase update', 'migrate:liquibase'),
    ('liquibase --changelog-file=db.changelog-master.xml update', 'migrate:liquibase'),
    # liquibase/docker: README.md
    ('docker run --rm -v $(pwd)/changelog:/liquibase/changelog liquibase/liquibase --changelog-file=changelog.xml update', 'migrate:liquibase'),  # noqa: E501
    # liquibase docs: Maven plugin
    ('mvn liquibase:update', 'migrate:liquibase'),
    # liquibase docs: `liquibase --defaults-file=liquibase.properties update`
    ('liquibase --defaults-file=liquibase.properties update', 'migrate:liquibase'),
    # ---- liquibase-rollback ------------------------------------------------------------------------
    # liquibase docs: rollback-count
    ('liquibase rollback-count 1', 'migrate-rollback:liquibase'),
    ('liquibase rollback v1.0', 'migrate-rollback:liquibase'),
    # liquibase docs: rollback-to-date
    ('liquibase rollback-to-date 2024-01-01', 'migrate-rollback:liquibase'),
    # liquibase docs: Maven plugin
    ('mvn liquibase:rollback -Dliquibase.rollbackCount=1', 'migrate-rollback:liquibase'),
    # liquibase docs: docker
    ('docker run --rm liquibase/liquibase --changelog-file=changelog.xml rollbackCount 1', 'migrate-rollback:liquibase'),  # noqa: E501
    # ---- golang-migrate ----------------------------------------------------------------------------
    # langfuse/langfuse: packages/shared/clickhouse/scripts/up.sh
    ('migrate -source file://clickhouse/migrations/unclustered -database "$DATABASE_URL" up', 'migrate:golang-migrate'),
    # golang-migrate/migrate: README.md
    ('migrate -path ./migrations -database postgres://localhost:5432/db up 2', 'migrate:golang-migrate'),
    # golang-migrate/migrate: README.md (docker)
    ('docker run -v {{ migration dir }}:/migrations --network host migrate/migrate -path=/migrations/ -database postgres://localhost:5432/database up 2', 'migrate:golang-migrate'),  # noqa: E501
    # golang-migrate docs: goto
    ('migrate -path db/migrations -database "$DATABASE_URL" goto 20', 'migrate:golang-migrate'),
    # golang-migrate: cmd docs
    ('migrate -database ${POSTGRESQL_URL} -path db/migrations up', 'migrate:golang-migrate'),
    # ---- golang-migrate-down -----------------------------------------------------------------------
    # langfuse/langfuse: packages/shared/clickhouse/scripts/down.sh
    ('migrate -source file://clickhouse/migrations/unclustered -database "$DATABASE_URL" down', 'migrate-rollback:golang-migrate'),  # noqa: E501
    # golang-migrate/migrate: README.md
    ('migrate -path ./migrations -database postgres://localhost:5432/db down 1', 'migrate-rollback:golang-migrate'),
    # golang-migrate docs (docker)
    ('docker run -v $(pwd)/migrations:/migrations migrate/migrate -path=/migrations -database $DATABASE_URL down 1', 'migrate-rollback:golang-migrate'),  # noqa: E501
    ('migrate -database ${POSTGRESQL_URL} -path db/migrations down', 'migrate-rollback:golang-migrate'),
    # golang-migrate tutorial (docs/database/postgres/TUTORIAL.md)
    ('migrate -database ${POSTGRESQL_URL} -path db/migrations down -all', 'migrate-rollback:golang-migrate'),
    # ---- goose -------------------------------------------------------------------------------------
    # formbricks/formbricks: charts/formbricks/templates/hub-migration-job.yaml
    ('/usr/local/bin/goose -dir /app/migrations postgres "$DATABASE_URL" up', 'migrate:goose'),
    # pressly/goose: README.md
    ('goose sqlite3 ./foo.db up', 'migrate:goose'),
    ('goose -dir db/migrations postgres "user=postgres dbname=postgres sslmode=disable" up-to 20170506082527', 'migrate:goose'),  # noqa: E501
    # pressly/goose: README.md
    ('goose up-by-one', 'migrate:goose'),
    # pressly/goose: README.md (env-based)
    ('GOOSE_DRIVER=postgres GOOSE_DBSTRING="$DATABASE_URL" goose up', 'migrate:goose'),
    # ---- sql-migrate (rubenv/sql-migrate) ---------------------------------------------------------
    # a deploy script: stop the service, upload the binary, start it, migrate
    ('sql-migrate up -config=devops/dbconfig.yml -env=production', 'migrate:sql-migrate'),
    # a Makefile target run from the migration folder
    ('sql-migrate up -env=local', 'migrate:sql-migrate'),
    # a Dockerfile building the app image
    ('sql-migrate up -env production', 'migrate:sql-migrate'),
    # a Makefile with the tool vendored under tools/
    ('./tools/sql-migrate up', 'migrate:sql-migrate'),
    # a README: in the compose service of the app
    ('docker-compose exec gqlgen-example sql-migrate up', 'migrate:sql-migrate'),
    # a Makefile's dry run, and the tool's own help: they apply nothing
    ('sql-migrate up -config=dbconfig.yml -env=development -dryrun', ''),
    ('sql-migrate up --dryrun', ''),
    ('sql-migrate down -dryrun', ''),
    ('sql-migrate status -env=$(ENV)', ''),
    # Makefiles' rollback targets
    ('sql-migrate down -config $(MIGRATIONS_CONFIG)', 'migrate-rollback:sql-migrate'),
    ('sql-migrate down -limit=0', 'migrate-rollback:sql-migrate'),
    ('sql-migrate down -env=$(ENV)', 'migrate-rollback:sql-migrate'),
    ('./tools/sql-migrate down', 'migrate-rollback:sql-migrate'),
    ('sql-migrate down -config=migrations/dbconfig.yml -env=development', 'migrate-rollback:sql-migrate'),
    # ---- dbmate ------------------------------------------------------------------------------------
    # amacneil/dbmate: README.md
    ('dbmate up', 'migrate:dbmate'),
    ('dbmate migrate', 'migrate:dbmate'),
    # amacneil/dbmate: README.md (docker)
    ('docker run --rm -it --network=host -v "$(pwd)/db:/db" ghcr.io/amacneil/dbmate up', 'migrate:dbmate'),
    # amacneil/dbmate: README.md
    ('dbmate --url "postgres://postgres@127.0.0.1:5432/myapp_test?sslmode=disable" up', 'migrate:dbmate'),
    # amacneil/dbmate: README.md (wait)
    ('dbmate --wait up', 'migrate:dbmate'),
    # ---- knex --------------------------------------------------------------------------------------
    # knex/knex: docs (migrations)
    ('npx knex migrate:latest', 'migrate:knex'),
    ('knex migrate:latest --env production', 'migrate:knex'),
    # knex docs: migrate:up
    ('knex migrate:up', 'migrate:knex'),
    # ghost style: yarn knex-migrator? (knex docs example with knexfile)
    ('yarn knex migrate:latest --knexfile ./db/knexfile.js', 'migrate:knex'),
    # knex docs in package.json scripts
    ('./node_modules/.bin/knex migrate:latest', 'migrate:knex'),
    # ---- sequelize ---------------------------------------------------------------------------------
    # sequelize/cli: README.md
    ('npx sequelize-cli db:migrate', 'migrate:sequelize'),
    # sequelize docs: migrations
    ('npx sequelize db:migrate', 'migrate:sequelize'),
    ('sequelize db:migrate --env production', 'migrate:sequelize'),
    # sequelize docs (package.json script)
    ('node_modules/.bin/sequelize db:migrate', 'migrate:sequelize'),
    # negative: undo is not applying
    ('npx sequelize-cli db:migrate:undo', ''),
    # sequelize/cli: docs with url
    ('sequelize-cli db:migrate --url "$DATABASE_URL"', 'migrate:sequelize'),
    # ---- typeorm -----------------------------------------------------------------------------------
    # typeorm/typeorm: docs/migrations.md
    ('npx typeorm migration:run -d path-to-datasource-config', 'migrate:typeorm'),
    ('typeorm-ts-node-commonjs migration:run -d src/data-source.ts', 'migrate:typeorm'),
    # typeorm docs: running in CI
    ('yarn typeorm migration:run', 'migrate:typeorm'),
    # nestjs samples: package.json scripts
    ('typeorm-ts-node-esm migration:run -d ./src/data-source.ts', 'migrate:typeorm'),
    # typeorm docs older CLI
    ('node ./node_modules/typeorm/cli.js migration:run', 'migrate:typeorm'),
    # ---- drizzle -----------------------------------------------------------------------------------
    # openstatusHQ/openstatus: packages/db/package.json
    ('drizzle-kit push', 'migrate:drizzle'),
    # drizzle-team/drizzle-orm docs: migrations
    ('npx drizzle-kit migrate', 'migrate:drizzle'),
    # drizzle docs
    ('drizzle-kit migrate --config=drizzle.config.ts', 'migrate:drizzle'),
    # drizzle docs (pnpm)
    ('pnpm drizzle-kit push', 'migrate:drizzle'),
    # drizzle docs (bun)
    ('bunx drizzle-kit migrate', 'migrate:drizzle'),
    # ---- ef-core -----------------------------------------------------------------------------------
    # dotnet/EntityFramework.Docs: managing-schemas/migrations/applying.md
    ('dotnet ef database update', 'migrate:ef-core'),
    ('dotnet ef database update --project src/Infrastructure --startup-project src/Web', 'migrate:ef-core'),
    # EF docs: a specific migration
    ('dotnet ef database update AddNewTables', 'migrate:ef-core'),
    # eShopOnWeb style CI
    ('dotnet ef database update -c CatalogContext -p src/Infrastructure/Infrastructure.csproj -s src/Web/Web.csproj', 'migrate:ef-core'),  # noqa: E501
    # EF docs: connection string
    ('dotnet ef database update --connection "$CONNECTION_STRING"', 'migrate:ef-core'),
    # ---- laravel -----------------------------------------------------------------------------------
    # 3sidedcube/laravel-api-template: README.md
    ('./vendor/bin/sail artisan migrate', 'migrate:laravel-migrations'),
    # laravel/docs: migrations.md
    ('php artisan migrate --force', 'migrate:laravel-migrations'),
    # laravel/laravel deploy docs (Forge script)
    ('php artisan migrate --force --no-interaction', 'migrate:laravel-migrations'),
    # laravel docs: docker compose
    ('docker compose exec app php artisan migrate', 'migrate:laravel-migrations'),
    # negative: rollback
    ('php artisan migrate:rollback', ''),
    # laravel docs
    ('php artisan migrate --seed', 'migrate:laravel-migrations'),
    # ---- ecto --------------------------------------------------------------------------------------
    # framasoft/mobilizon: .gitlab-ci.yml
    ('mix ecto.migrate', 'migrate:ecto'),
    # framasoft/mobilizon: Makefile
    ('docker compose run --rm api mix ecto.migrate', 'migrate:ecto'),
    # hexpm/hexpm: Procfile / rel scripts
    ('bin/hexpm eval "Hexpm.ReleaseTasks.migrate()"', 'migrate:ecto'),
    # phoenix docs: deployment/releases.md
    ('_build/prod/rel/my_app/bin/my_app eval "MyApp.Release.migrate"', 'migrate:ecto'),
    # plausible/analytics: rel/overlays/migrate.sh
    ('/app/bin/plausible rpc "Plausible.Release.migrate"', 'migrate:ecto'),
    # ---- atlas -------------------------------------------------------------------------------------
    # ariga/atlas: README.md
    ('atlas migrate apply --url "postgres://postgres:pass@localhost:5432/database?search_path=public&sslmode=disable"', 'migrate:atlas'),  # noqa: E501
    ('atlas schema apply --url "mysql://root:pass@localhost:3306/example" --to file://schema.hcl', 'migrate:atlas'),
    # ariga/atlas docs: docker
    ('docker run --rm -v $(pwd)/migrations:/migrations arigaio/atlas migrate apply --url "$DATABASE_URL"', 'migrate:atlas'),  # noqa: E501
    # atlas docs: env
    ('atlas migrate apply --env prod', 'migrate:atlas'),
    # atlas docs
    ('atlas migrate apply --dir file://migrations --url $DATABASE_URL --baseline 20220811074144', 'migrate:atlas'),
    # ---- docker-build ------------------------------------------------------------------------------
    # retail-store-sample-app: src/load-generator/scripts/run-docker.sh
    ('docker build -t retail-store-sample-loadgen:run --pull --quiet -f Dockerfile.run .', 'build:docker'),
    # f-droid/fdroidserver: .gitlab-ci.yml
    ('docker build -t $TEST_IMAGE --build-arg GIT_REV_PARSE_HEAD=$(git rev-parse HEAD) .', 'build:docker'),
    # docker/docs: build/ci/github-actions
    ('docker buildx build --platform linux/amd64,linux/arm64 -t user/app:latest .', 'build:docker>docker-hub'),
    # containers/podman: docs (podman build)
    ('podman build -t quay.io/myorg/app:1.0 -f Containerfile .', 'build:docker>quay'),
    # containers/buildah: README.md
    ('buildah bud -t myimage .', 'build:docker'),
    # docker/docs: bake
    ('docker buildx bake --set *.platform=linux/amd64', 'build:docker'),
    # negatives: build checks only (dani-garcia/vaultwarden: .github/workflows/hadolint.yml; docker docs: build checks)
    ('docker build --check . -f docker/Dockerfile.debian', ''),
    ('docker buildx build --check .', ''),
    ('docker build --help', ''),
    ('docker buildx build --call=check .', ''),
    # ---- gh-release --------------------------------------------------------------------------------
    # passbolt/passbolt_api: .github/workflows/release_candidate.yaml
    ('gh release create "${GITHUB_REF#refs/*/}" -t "$(grep name config/version.php | awk -F "\'" \'{print $4}\')" '
     '-p --notes-file RELEASE_NOTES.md', 'build:github-cli'),
    # pocket-id/pocket-id: scripts/development/create-release.sh
    ('gh release create "v$NEW_VERSION" --title "v$NEW_VERSION" --notes "$CHANGELOG" --draft', 'build:github-cli'),
    # GitHub CLI manual (gh release create): its examples
    ('gh release create v1.2.3 --notes "bugfix release"', 'build:github-cli'),
    ('gh release create v1.2.3 ./dist/*.tgz', 'build:github-cli'),
    ('gh release create v1.2.3 --generate-notes --target main', 'build:github-cli'),
    # negatives: reading or editing releases publishes nothing new
    ('gh release view v1.2.3', ''),
    ('gh release create --help', ''),
    # ---- compose-build -----------------------------------------------------------------------------
    # grafana/loki: tools/dev/loki-tsdb-storage-s3/compose-up.sh
    ('docker compose -f "${SCRIPT_DIR}"/docker-compose.yml build distributor', 'build:docker-compose'),
    # langfuse/langfuse: .github/workflows/pipeline.yml prints the bake file, then bakes it
    ('docker compose -f "$DOCKER_COMPOSE_FILE" build --print', ''),
    ('docker buildx bake -f /tmp/bake.json langfuse-worker', 'build:docker'),
    ('docker buildx bake --print', ''),
    # getredash/redash: .github/workflows/ci.yml
    ('docker compose build --build-arg install_groups="main,all_ds,dev" --build-arg skip_frontend_build=true',
     'build:docker-compose'),
    # docker/awesome-compose: README
    ('docker-compose build', 'build:docker-compose'),
    ('docker compose build --pull web', 'build:docker-compose'),
    # cookiecutter-django docs
    ('docker compose -f docker-compose.production.yml build', 'build:docker-compose'),
    # negative: runs a build script inside a service
    ('docker compose run --rm api npm run build', 'build:nodejs'),
    # ---- kaniko ------------------------------------------------------------------------------------
    # GoogleContainerTools/kaniko: README.md (GitLab CI)
    ('/kaniko/executor --context "${CI_PROJECT_DIR}" --dockerfile "${CI_PROJECT_DIR}/Dockerfile" --destination "${CI_REGISTRY_IMAGE}:${CI_COMMIT_TAG}"', 'build:kaniko>gitlab-registry push:kaniko>gitlab-registry'),  # noqa: E501
    # kaniko docs: Cloud Build
    ('/kaniko/executor --dockerfile=Dockerfile --context=. --destination=gcr.io/$PROJECT_ID/app:$SHORT_SHA --cache=true', 'build:kaniko>gcr push:kaniko>gcr'),  # noqa: E501
    # kaniko: README (no push)
    ('/kaniko/executor --context . --no-push --tar-path image.tar --destination image', 'build:kaniko'),
    # gitlab docs: use_kaniko.md
    ('/kaniko/executor --context $CI_PROJECT_DIR --dockerfile $CI_PROJECT_DIR/Dockerfile --destination $CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA', 'build:kaniko>gitlab-registry push:kaniko>gitlab-registry'),  # noqa: E501
    # kaniko in Jenkins kubernetes agent (container('kaniko'))
    ('executor --context `pwd` --dockerfile Dockerfile --destination 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:${BUILD_NUMBER}', 'build:kaniko>ecr push:kaniko>ecr'),  # noqa: E501
    # ---- ko ----------------------------------------------------------------------------------------
    # ko-build/ko: README.md
    ('ko build ./cmd/app', 'build:ko push:ko'),
    ('KO_DOCKER_REPO=gcr.io/my-project ko build --bare ./cmd/app', 'build:ko push:ko'),
    # ko docs: local
    ('ko build --local ./cmd/app', 'build:ko'),
    # ko docs: apply
    ('ko apply -f config/', 'build:ko push:ko'),
    # knative/serving: hack/release.sh style
    ('ko resolve --platform=all -R -f config/ > release.yaml', 'build:ko push:ko'),
    # ---- jib ---------------------------------------------------------------------------------------
    # GoogleContainerTools/jib: jib-maven-plugin README.md
    ('mvn compile jib:build -Dimage=gcr.io/my-project/image-built-with-jib', 'build:jib>gcr push:jib>gcr'),
    # jib-gradle-plugin README.md
    ('./gradlew jib --image=gcr.io/my-project/image', 'build:jib>gcr push:jib>gcr'),
    ('gradle jibDockerBuild', 'build:jib'),
    # jib maven docs
    ('./mvnw compile jib:dockerBuild', 'build:jib'),
    # spring-petclinic microservices style
    ('./mvnw -B package jib:build -Djib.to.image=ghcr.io/acme/petclinic:latest',
     'build:jib>ghcr push:jib>ghcr test:maven@unit'),
    # ---- pack --------------------------------------------------------------------------------------
    # buildpacks/pack: README / docs
    ('pack build myapp --builder paketobuildpacks/builder-jammy-base', 'build:buildpacks'),
    ('pack build ghcr.io/acme/app:latest --builder heroku/builder:22 --publish', 'build:buildpacks>ghcr push:buildpacks>ghcr'),  # noqa: E501
    # buildpacks docs: app image
    ('pack build sample-app --path samples/apps/java-maven --builder cnbs/sample-builder:jammy', 'build:buildpacks'),
    # paketo docs
    ('pack build registry.fly.io/acme:v1 --buildpack paketo-buildpacks/nodejs --publish', 'build:buildpacks>fly-registry push:buildpacks>fly-registry'),  # noqa: E501
    # buildpacks/pack: github action docs
    ('pack build ${{ env.IMAGE }} --builder paketobuildpacks/builder-jammy-full --publish', 'build:buildpacks push:buildpacks'),  # noqa: E501
    # ---- helm package / helm push: a chart released as an artifact --------------------------------
    # stefanprodan/podinfo: .github/workflows/release.yml
    ('helm package charts/podinfo', 'build:helm'),
    ('helm push podinfo-${{ steps.prep.outputs.VERSION }}.tgz oci://ghcr.io/stefanprodan/charts', 'push:helm'),
    # helm docs: topics/registries.md
    ('helm package mychart/', 'build:helm'),
    ('helm push mychart-0.1.0.tgz oci://localhost:5000/helm-charts', 'push:helm'),
    # Azure docs: container-registry-helm-repos.md
    ('helm push hello-world-0.1.0.tgz oci://$ACR_NAME.azurecr.io/helm', 'push:helm'),
    # AWS docs: ECR push-oci-artifact (Helm chart)
    ('helm push helm-test-chart-0.1.0.tgz oci://aws_account_id.dkr.ecr.region.amazonaws.com/', 'push:helm'),
    # chartmuseum/helm-push: README.md (the plugin's own verb; installing it is not a push)
    ('helm cm-push mychart/ chartmuseum', 'push:helm'),
    ('helm plugin install https://github.com/chartmuseum/helm-push', ''),
    # release workflows: a chart versioned with the tag, dependencies vendored first
    ('helm package --version "$VERSION" --app-version "$VERSION" ./charts/app', 'build:helm'),
    ('helm package --dependency-update charts/api -d .cr-release-packages', 'build:helm'),
    ('helm --kube-context ci package deploy/chart', 'build:helm'),
    # negatives: linting and rendering a chart build nothing
    ('helm lint charts/podinfo', ''),
    ('helm template podinfo charts/podinfo', ''),
    # ---- packer-build ------------------------------------------------------------------------------
    # hashicorp/terraform-aws-consul: _ci/publish-amis.sh (gruntwork module-ci)
    ('build-packer-artifact --packer-template-path "$PACKER_TEMPLATE_PATH" --build-name "$PACKER_BUILD_NAME"',
     'build:packer'),
    # packer docs: a variables file
    ('packer build -var-file=prod.pkrvars.hcl .', 'build:packer'),
    # packer docs: one build of a template
    ('packer build -only=amazon-ebs.ubuntu .', 'build:packer'),
    # packer docs: a legacy JSON template
    ('packer build template.json', 'build:packer'),
    # packer docs: overwrite an existing artifact, stop on the first error
    ('packer build -force -on-error=abort image.pkr.hcl', 'build:packer'),
    # ---- goreleaser --------------------------------------------------------------------------------
    # goreleaser/goreleaser: www/docs/ci/actions.md
    ('goreleaser release --clean', 'build:goreleaser'),
    # goreleaser docs: snapshot build
    ('goreleaser build --snapshot --clean', 'build:goreleaser'),
    # goreleaser docs: GitLab CI
    ('goreleaser release --clean --skip=validate', 'build:goreleaser'),
    # goreleaser docs (quick start)
    ('goreleaser release --snapshot --clean', 'build:goreleaser'),
    # goreleaser docs: check (negative)
    ('goreleaser check', ''),
    # cli/cli: .github/workflows/deployment.yml
    ('goreleaser release --clean --release-notes=CHANGELOG.md', 'build:goreleaser'),
    # ---- gcloud-builds-submit ----------------------------------------------------------------------
    # GoogleCloudPlatform/cloud-run-microservice-template-python README
    ('gcloud builds submit --tag gcr.io/$PROJECT_ID/microservice-template', 'build:google-cloud-build>gcr push:google-cloud-build>gcr'),  # noqa: E501
    # GoogleCloudPlatform/golang-samples: run/README.md
    ('gcloud builds submit --tag us-central1-docker.pkg.dev/$PROJECT_ID/containers/app', 'build:google-cloud-build>artifact-registry push:google-cloud-build>artifact-registry'),  # noqa: E501
    # cloud build docs: config file
    ('gcloud builds submit --config cloudbuild.yaml .', 'build:google-cloud-build'),
    # cloud build docs: substitutions
    ('gcloud builds submit --config=cloudbuild.yaml --substitutions=_ENV=staging .', 'build:google-cloud-build'),
    # GoogleCloudPlatform/microservices-demo: docs
    ('gcloud beta builds submit --config=cloudbuild.yaml --project=$PROJECT_ID', 'build:google-cloud-build'),
    # ---- node-build --------------------------------------------------------------------------------
    # formbricks/formbricks: .github/workflows/e2e.yml
    ('pnpm build --filter=@formbricks/web...', 'build:nodejs'),
    # umami-software/umami: Dockerfile
    ('yarn build', 'build:nodejs'),
    # vercel/next.js examples: Dockerfile
    ('npm run build', 'build:nodejs'),
    # angular/angular-cli docs: deployment
    ('ng build --configuration production', 'build:nodejs'),
    # vitejs/vite docs: static-deploy.md
    ('npx vite build', 'build:nodejs'),
    # vercel/turborepo docs
    ('turbo run build --filter=web', 'build:nodejs'),
    # negative: type check only
    ('tsc --noEmit', ''),
    # ---- maven-package -----------------------------------------------------------------------------
    # aws-containers/retail-store-sample-app: src/ui/Dockerfile
    ('./mvnw -DskipTests package -q', 'build:java'),
    # spring-projects/spring-petclinic: .github/workflows/maven-build.yml
    ('mvn -B package --file pom.xml', 'build:java test:maven@unit'),
    # jenkins-docs/simple-java-maven-app: Jenkinsfile
    ('mvn -B -DskipTests clean package', 'build:java'),
    # apache/kafka style docs
    ('mvn clean install -DskipTests', 'build:java'),
    # actions/starter-workflows: ci/maven-publish.yml
    ('mvn deploy -s $GITHUB_WORKSPACE/settings.xml', 'build:java test:maven@unit'),
    ('mvn -Dmaven.test.skip=true package', 'build:java'),
    # plugin goals are no lifecycle phases: no tests run (code review)
    ('mvn deploy:deploy-file -Durl=https://repo.example.com -Dfile=x.jar', 'build:java'),
    # ---- gradle-build ------------------------------------------------------------------------------
    # actions/starter-workflows: ci/gradle.yml
    # traccar: `build` runs `check`, and so the tests
    ('./gradlew build', 'build:java test:gradle@unit'),
    # f-droid/fdroidserver: tests/metadata (build recipe)
    ('gradle jar', 'build:java'),
    # spring-projects/spring-petclinic: .github/workflows/gradle-build.yml
    ('./gradlew build -x test', 'build:java'),
    ('./gradlew build -x check', 'build:java'),
    # spring boot docs: building images
    ('./gradlew bootBuildImage --imageName=ghcr.io/acme/app', 'build:java'),
    # android/architecture-samples: .github/workflows/blueprints.yaml
    ('./gradlew assembleDebug', 'build:java'),
    # ---- go-build ----------------------------------------------------------------------------------
    # retail-store-sample-app: src/catalog/README.md
    ('go build -o main main.go', 'build:go'),
    # openstatusHQ/openstatus: apps/checker/justfile
    ('go build -o probe ./cmd/server/main.go', 'build:go'),
    # stefanprodan/podinfo: Dockerfile
    ('CGO_ENABLED=0 go build -ldflags "-s -w -X github.com/stefanprodan/podinfo/pkg/version.REVISION=${REVISION}" -a -o bin/podinfo cmd/podinfo/*', 'build:go'),  # noqa: E501
    # actions/starter-workflows: ci/go.yml
    ('go build -v ./...', 'build:go'),
    # gitlabhq/gitlab-runner: Makefile
    ('go build -tags "netgo" -o out/binaries/gitlab-runner .', 'build:go'),
    # ---- cargo-build -------------------------------------------------------------------------------
    # actions/starter-workflows: ci/rust.yml
    ('cargo build --verbose', 'build:rust'),
    # BurntSushi/ripgrep: .github/workflows/release.yml
    ('cargo build --release --target x86_64-unknown-linux-musl', 'build:rust'),
    # rust docs: Dockerfile
    ('cargo build --release --locked', 'build:rust'),
    # aks-store-demo: src/product-service/Dockerfile
    ('cargo build --release --bin product-service', 'build:rust'),
    # tokio-rs/axum: CI
    ('cargo build --all-features', 'build:rust'),
    # ---- python-build ------------------------------------------------------------------------------
    # pypa/gh-action-pypi-publish: README.md
    ('python -m build', 'build:python'),
    # actions/starter-workflows: ci/python-publish.yml
    ('python3 -m build --sdist --wheel', 'build:python'),
    # python-poetry/poetry docs: cli.md
    ('poetry build', 'build:python'),
    # astral-sh/uv docs: guides/package.md
    ('uv build', 'build:python'),
    # pypa/hatch docs
    ('hatch build -t wheel', 'build:python'),
    # ---- dotnet-publish ----------------------------------------------------------------------------
    # actions/starter-workflows: ci/dotnet.yml
    ('dotnet build --no-restore', 'build:dotnet'),
    # dotnet/dotnet-docker: samples/aspnetapp/Dockerfile
    ('dotnet publish -c Release -o /app --no-restore', 'build:dotnet'),
    # MicrosoftDocs/mslearn-tailspin-spacegame-web-deploy: azure-pipelines.yml (script form)
    ('dotnet publish --no-build --configuration Release --output $(Build.ArtifactStagingDirectory)/Release', 'build:dotnet'),  # noqa: E501
    # dotnet-architecture/eShopOnWeb: .github/workflows/dotnetcore.yml
    ('dotnet build ./eShopOnWeb.sln --configuration Release', 'build:dotnet'),
    # dotnet docs: publish single file
    ('dotnet publish -r linux-x64 -p:PublishSingleFile=true --self-contained', 'build:dotnet'),
    # ---- docker-push -------------------------------------------------------------------------------
    # f-droid/fdroidserver: .gitlab-ci.yml
    # discourse/discourse_docker .github/workflows/build.yml: bake pushing by digest
    ('docker buildx bake --load=false --set="*.output=type=registry,push-by-digest=true" base',
     'build:docker push:docker'),
    # a build script's remote push, and Microsoft's Windows container docs
    ('docker buildx build --platform $PLATFORM --output=type=registry -f DockerFileUbuntuPython3 -t $IMAGE_NAME:$VERSION .',  # noqa: E501
     'build:docker push:docker'),
    ('docker buildx build --platform windows/amd64 --output=type=registry -f Dockerfile.install -t $repository/x:$tag .',  # noqa: E501
     'build:docker push:docker'),
    # a README publishing a bake file's images for two platforms
    ('docker buildx bake -f docker-bake.hcl --set "*.platform=linux/amd64,linux/arm64" --set "*.output=type=registry"',
     'build:docker push:docker'),
    # buildx's image exporter with push=true
    ('docker buildx build -o type=image,name=ghcr.io/acme/app,push=true .', 'build:docker push:docker'),
    # a local load is no push
    ('docker buildx build --output=type=docker -t app .', 'build:docker'),
    ('docker push $RELEASE_IMAGE', 'push:docker'),
    # langfuse/langfuse: .github/workflows/preview-build.yml
    ('docker push "${IMAGE}"', 'push:docker'),
    # GitLab docs: ci/docker/using_docker_build.md
    ('docker push $CI_REGISTRY_IMAGE:$CI_COMMIT_REF_SLUG', 'push:docker>gitlab-registry'),
    # aws docs: ECR push
    ('docker push 123456789012.dkr.ecr.us-east-1.amazonaws.com/my-app:latest', 'push:docker>ecr'),
    # docker/docs: multi-platform
    ('docker buildx build --platform linux/amd64,linux/arm64 -t ghcr.io/acme/app:1.2.3 --push .', 'build:docker>ghcr push:docker>ghcr'),  # noqa: E501
    # docker docs: compose push
    ('docker compose push', 'push:docker'),
    # Azure docs: ACR push
    ('docker push myregistry.azurecr.io/samples/nginx', 'push:docker>acr'),
    # fly docs: deploy from registry
    ('docker push registry.fly.io/my-app:deployment-01', 'push:docker>fly-registry'),
    # heroku docs: container registry
    ('docker push registry.heroku.com/my-app/web', 'push:docker>heroku-registry'),
    # quay docs
    ('podman push quay.io/acme/app:v1', 'push:docker>quay'),
    # docker hub from secrets (actions docs)
    ('docker push ${DOCKERHUB_USERNAME}/app:latest', 'push:docker>docker-hub'),
    # google docs: artifact registry
    ('docker push us-central1-docker.pkg.dev/my-project/my-repo/app:v1', 'push:docker>artifact-registry'),
    # ---- docker-manifest ---------------------------------------------------------------------------
    # getredash/redash: .github/workflows/preview-image.yml
    ("docker buildx imagetools create $(jq -cr '.tags | map(\"-t \" + .) | join(\" \")' <<< \"$DOCKER_METADATA_OUTPUT_JSON\") $(printf 'redash/redash@sha256:%s ' *)", 'push:docker'),  # noqa: E501
    # docker docs: multi-platform with imagetools
    ('docker buildx imagetools create -t ghcr.io/acme/app:1.2.3 ghcr.io/acme/app@sha256:aaa ghcr.io/acme/app@sha256:bbb', 'push:docker>ghcr'),  # noqa: E501
    # jitsi/docker-jitsi-meet: .github/workflows/unstable.yml (shape)
    ('docker buildx imagetools create -t jitsi/base:unstable jitsi/base:unstable-amd64 jitsi/base:unstable-arm64', 'push:docker>docker-hub'),  # noqa: E501
    # docker docs: docker manifest
    ('docker manifest push myprivateregistry.mycompany.com/repo/image:1.0', 'push:docker'),
    ('docker manifest push --purge acme/app:latest', 'push:docker'),
    # negative: inspecting or dry-running publishes nothing
    ('docker buildx imagetools create --dry-run -t acme/app:1 acme/app@sha256:aaa', ''),
    ('docker buildx imagetools inspect acme/app:1', ''),
    # ---- kaniko-push -------------------------------------------------------------------------------
    ('/kaniko/executor --context dir:///workspace --destination=europe-west1-docker.pkg.dev/$PROJECT_ID/app/api:$COMMIT_SHA', 'build:kaniko>artifact-registry push:kaniko>artifact-registry'),  # noqa: E501
    # ---- ko-push -----------------------------------------------------------------------------------
    # ---- jib-push ----------------------------------------------------------------------------------
    # ---- pack-publish ------------------------------------------------------------------------------
    ('pack build $CI_REGISTRY_IMAGE:$CI_COMMIT_SHA --builder paketobuildpacks/builder-jammy-base --publish', 'build:buildpacks>gitlab-registry push:buildpacks>gitlab-registry'),  # noqa: E501
    # heroku docs: pack
    ('pack build registry.heroku.com/my-app/web --builder heroku/builder:24 --publish', 'build:buildpacks>heroku-registry push:buildpacks>heroku-registry'),  # noqa: E501
    # ---- gcloud-builds-push ------------------------------------------------------------------------
    ('gcloud builds submit -t gcr.io/my-project/hello .', 'build:google-cloud-build>gcr push:google-cloud-build>gcr'),
    # cloud run docs: quickstart
    ('gcloud builds submit --region=us-west2 --tag us-west2-docker.pkg.dev/$PROJECT_ID/quickstart-docker-repo/quickstart-image:tag1', 'build:google-cloud-build>artifact-registry push:google-cloud-build>artifact-registry'),  # noqa: E501
    # GoogleCloudPlatform/python-docs-samples: run/README.md
    ('gcloud builds submit --tag "gcr.io/${GOOGLE_CLOUD_PROJECT}/helloworld"', 'build:google-cloud-build>gcr push:google-cloud-build>gcr'),  # noqa: E501
    # ---- registries --------------------------------------------------------------------------------
    # GitLab docs: $CI_REGISTRY
    ('docker build -t $CI_REGISTRY/group/project/image:latest .', 'build:docker>gitlab-registry'),
    ('docker push ${CI_REGISTRY_IMAGE}:${CI_COMMIT_SHA}', 'push:docker>gitlab-registry'),
    # gitlab docs (gitlab.com registry)
    ('docker push registry.gitlab.com/acme/app:latest', 'push:docker>gitlab-registry'),
    # aws-actions/amazon-ecr-login README: `$ECR_REGISTRY/$ECR_REPOSITORY:$IMAGE_TAG`
    ('docker build -t $ECR_REGISTRY/$ECR_REPOSITORY:$IMAGE_TAG .', 'build:docker>ecr'),
    ('docker push $ECR_REGISTRY/$ECR_REPOSITORY:$IMAGE_TAG', 'push:docker>ecr'),
    # aws docs: public gallery
    ('docker push public.ecr.aws/acme/app:latest', 'push:docker>ecr'),
    # aws docs (ECR China)
    ('docker push 123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app:1', 'push:docker>ecr'),
    # docker docs: GHCR
    ('docker build . --tag ghcr.io/acme/app:latest', 'build:docker>ghcr'),
    ('docker push ghcr.io/acme/app:latest', 'push:docker>ghcr'),
    # google docs: GCR regions
    ('docker push eu.gcr.io/my-project/app:v1', 'push:docker>gcr'),
    ('docker build -t gcr.io/my-project/app:v1 .', 'build:docker>gcr'),
    # azure docs: ACR via variable
    ('docker push $(ACR_LOGIN_SERVER)/app:$(Build.BuildId)', 'push:docker>acr'),
    ('docker build -t contoso.azurecr.io/web:v2 .', 'build:docker>acr'),
    # fly docs
    ('docker build -t registry.fly.io/my-app:v2 .', 'build:docker>fly-registry'),
    ('flyctl auth docker && docker push registry.fly.io/my-app:v2', 'push:docker>fly-registry'),
    # heroku container registry docs
    ('docker tag app registry.heroku.com/my-app/web && docker push registry.heroku.com/my-app/web', 'push:docker>heroku-registry'),  # noqa: E501
    ('docker build -t registry.heroku.com/my-app/worker .', 'build:docker>heroku-registry'),
    # quay
    ('docker build -t quay.io/acme/app:v1 .', 'build:docker>quay'),
    ('docker push quay.io/acme/app:latest', 'push:docker>quay'),
    ('buildah push quay.io/acme/app:v2', 'push:docker>quay'),
    # docker hub
    ('docker build -t acme/app:1.0 .', 'build:docker>docker-hub'),
    ('docker push docker.io/acme/app:1.0', 'push:docker>docker-hub'),
    ('docker push $DOCKER_USERNAME/app:latest', 'push:docker>docker-hub'),
    # google artifact registry
    ('docker build -t europe-docker.pkg.dev/my-project/repo/app .', 'build:docker>artifact-registry'),
    ('docker push asia-northeast1-docker.pkg.dev/my-project/repo/app:1', 'push:docker>artifact-registry'),
    # ---- ko-push -----------------------------------------------------------------------------------
    # ko-build/ko: docs/configuration.md
    ('KO_DOCKER_REPO=ghcr.io/acme ko build --platform=linux/amd64,linux/arm64 ./cmd/server', 'build:ko push:ko'),
    # ---- jib-push ----------------------------------------------------------------------------------
    # GoogleContainerTools/jib: examples/spring-boot (README)
    ('./mvnw compile com.google.cloud.tools:jib-maven-plugin:3.4.0:build -Dimage=acme.azurecr.io/spring:1', 'build:jib>acr push:jib>acr'),  # noqa: E501
    ('./gradlew jib -Djib.to.image=registry.gitlab.com/acme/api:$CI_COMMIT_SHA', 'build:jib>gitlab-registry push:jib>gitlab-registry'),  # noqa: E501
    # ---- acr ---------------------------------------------------------------------------------------
    # Azure docs: container-registry-get-started-docker-cli.md
    ('docker push $ACR_LOGIN_SERVER/web:$BUILD_ID', 'push:docker>acr'),
    # ---- rsync-deploy ------------------------------------------------------------------------------
    # rsync-based deploys (jekyll docs: deployment/manual.md)
    ("rsync -crvz --rsh='ssh -p2222' --delete-after --delete-excluded _site/ username@example.com:/var/www/", 'deploy:rsync@servers'),  # noqa: E501
    # ---- playwright --------------------------------------------------------------------------------
    # formbricks/formbricks: package.json
    ('playwright test', 'test:playwright@e2e'),
    # langfuse/langfuse: web/package.json
    ('dotenv -e ../.env.test -e ../.env -- playwright test --reporter=line', 'test:playwright@e2e'),
    # microsoft/playwright: docs/src/ci.md
    ('npx playwright test --shard=1/4', 'test:playwright@e2e'),
    # calcom/cal.com: package.json (test-e2e)
    ('yarn playwright test --project=@calcom/web', 'test:playwright@e2e'),
    # playwright docs: docker
    ('docker run --rm --ipc=host mcr.microsoft.com/playwright:v1.44.0-jammy npx playwright test', 'test:playwright@e2e'),  # noqa: E501
    # ---- cypress -----------------------------------------------------------------------------------
    # aws-containers/retail-store-sample-app: src/e2e/package.json
    ('cypress run', 'test:cypress@e2e'),
    # retail-store-sample-app: src/e2e/README.md
    ("CYPRESS_BASE_URL='http://endpoint:8080' yarn cypress run", 'test:cypress@e2e'),
    # cypress-io/cypress-docker-images docs
    ('docker run -it -v $PWD:/e2e -w /e2e cypress/included:13.6.0 cypress run --browser chrome', 'test:cypress@e2e'),
    # cypress docs: CI
    ('npx cypress run --record --key $CYPRESS_RECORD_KEY --parallel', 'test:cypress@e2e'),
    # database-lab-engine style
    ('pnpm cypress run --spec cypress/e2e/login.cy.ts', 'test:cypress@e2e'),
    # requarks/wiki: .github/workflows/build.yml, the image's entrypoint is `cypress run`
    ('docker run --name cypress --ipc=host -v $GITHUB_WORKSPACE:/e2e -w /e2e cypress/included:4.9.0 --record '
     '--key "$CYPRESS_KEY" --headless', 'test:cypress@e2e'),
    ('podman run --rm -v $PWD:/e2e -w /e2e cypress/included', 'test:cypress@e2e'),
    # mattermost/focalboard: webapp/package.json `cypress:ci` (start-server-and-test runs the test
    # script once the server answers); a quoted command is run as written
    ('start-server-and-test runserver-test http://localhost:8088 cypress:run', 'indirect:npm@cypress:run'),
    ('npx start-server-and-test start http://localhost:3000 "cypress run --record"', 'test:cypress@e2e'),
    # negative: interactive runner; pulling the image runs nothing
    ('npx cypress open', ''),
    ('docker pull cypress/included:13.6.0', ''),
    # ---- webdriverio -------------------------------------------------------------------------------
    # webdriverio/webdriverio: docs/gettingstarted
    ('npx wdio run ./wdio.conf.js', 'test:webdriverio@e2e'),
    ('wdio wdio.conf.ts', 'test:webdriverio@e2e'),
    # webdriverio docs: spec filter
    ('npx wdio run ./wdio.conf.js --spec example.e2e.js', 'test:webdriverio@e2e'),
    # webdriverio boilerplate
    ('./node_modules/.bin/wdio ./test/wdio.conf.js', 'test:webdriverio@e2e'),
    # webdriverio docs
    ('npx wdio ./config/wdio.local.conf.ts', 'test:webdriverio@e2e'),
    # ---- testcafe ----------------------------------------------------------------------------------
    # DevExpress/testcafe: README.md
    ('testcafe chrome tests/', 'test:testcafe@e2e'),
    ('npx testcafe "chrome:headless" tests/e2e/*.js', 'test:testcafe@e2e'),
    # testcafe docs: CI
    ('testcafe firefox:headless,chrome:headless tests/ --reporter xunit:report.xml', 'test:testcafe@e2e'),
    # testcafe docs: docker
    ('docker run -v ${TEST_FOLDER}:/tests -it testcafe/testcafe chromium /tests/**/*.js', 'test:testcafe@e2e'),
    # testcafe docs: concurrency
    ('npx testcafe -c 3 chrome tests/test.js', 'test:testcafe@e2e'),
    # ---- detox -------------------------------------------------------------------------------------
    # wix/Detox: docs/introduction/project-setup.mdx
    ('detox test --configuration ios.sim.release', 'test:detox@e2e'),
    ('npx detox test -c android.emu.release --headless', 'test:detox@e2e'),
    # detox docs: CI
    ('detox test --configuration android.att.release --cleanup --record-logs failing', 'test:detox@e2e'),
    # detox example package.json scripts
    ('yarn detox test -c ios.sim.debug', 'test:detox@e2e'),
    # expo docs
    ('npx detox test --configuration ios.release --take-screenshots failing', 'test:detox@e2e'),
    # ---- maestro -----------------------------------------------------------------------------------
    # mobile-dev-inc/maestro: README.md
    ('maestro test flow.yaml', 'test:maestro@e2e'),
    ('maestro test .maestro/', 'test:maestro@e2e'),
    # maestro docs: CI
    ('maestro test --format junit --output report.xml .maestro', 'test:maestro@e2e'),
    # maestro docs: env
    ('maestro test -e APP_ID=com.example.app flows/login.yaml', 'test:maestro@e2e'),
    # maestro docs: include tags
    ('maestro test --include-tags=smoke .maestro/', 'test:maestro@e2e verify:smoke-test'),
    # ---- selenium ----------------------------------------------------------------------------------
    # SeleniumHQ/selenium-ide: side-runner README
    ('selenium-side-runner -c "browserName=chrome" tests/*.side', 'test:selenium@e2e'),
    # pytest-dev/pytest-selenium: docs/user_guide.rst
    ('pytest --driver Firefox tests/', 'test:selenium@e2e'),
    ('pytest --driver Remote --capability browserName chrome --selenium-host localhost', 'test:selenium@e2e'),
    # selenium maven projects: -Dselenium.browser=
    ('mvn verify -Dselenium.browser=chrome', 'build:java test:selenium@e2e'),
    # pytest-selenium docs
    ('python -m pytest --driver=Chrome --html=report.html tests/ui', 'test:selenium@e2e'),
    # ---- robot-framework ---------------------------------------------------------------------------
    # robotframework/robotframework: README.rst
    ('robot tests/', 'test:robot-framework@e2e'),
    ('python -m robot --outputdir results acceptance/', 'test:robot-framework@e2e'),
    # robot docs: variables
    ('robot --variable BROWSER:headlesschrome --outputdir reports tests/ui', 'test:robot-framework@e2e'),
    # pabot (parallel robot)
    ('pabot --processes 4 --outputdir results tests/', 'test:robot-framework@e2e'),
    # robotframework/SeleniumLibrary: atest/run.py docs
    ('robot --include smoke tests/', 'test:robot-framework@e2e verify:smoke-test'),
    # ---- k6 ----------------------------------------------------------------------------------------
    # grafana/k6: README.md
    ('k6 run script.js', 'test:k6@performance'),
    # grafana/k6 docs: docker
    ('docker run --rm -i grafana/k6 run - <script.js', 'test:k6@performance'),
    # k6 docs: cloud
    ('k6 cloud script.js', 'test:k6@performance'),
    # k6 docs: VUs
    ('k6 run --vus 10 --duration 30s tests/load.js', 'test:k6@performance'),
    # grafana/k6-action style
    ('k6 run --out json=results.json test.js', 'test:k6@performance'),
    # ---- locust ------------------------------------------------------------------------------------
    # locustio/locust: docs/quickstart.rst
    ('locust -f locustfile.py --headless -u 100 -r 10 --run-time 1m --host https://staging.example.com', 'test:locust@performance'),  # noqa: E501
    ('locust --headless --users 10 --spawn-rate 1 -H http://localhost:8089', 'test:locust@performance'),
    # locust docs: docker
    ('docker run -p 8089:8089 -v $PWD:/mnt/locust locustio/locust -f /mnt/locust/locustfile.py', 'test:locust@performance'),  # noqa: E501
    # locust docs: config
    ('locust --config=master.conf', 'test:locust@performance'),
    # locust docs: csv
    ('locust -f tests/perf/locustfile.py --headless --csv=results -t 5m', 'test:locust@performance'),
    # ---- artillery ---------------------------------------------------------------------------------
    # aws-containers/retail-store-sample-app: src/load-generator/package.json
    ('artillery run scenario.yml', 'test:artillery@performance'),
    ('npx artillery run --output report.json tests/load.yml', 'test:artillery@performance'),
    # artillery docs: environments
    ('artillery run --environment staging load-test.yml', 'test:artillery@performance'),
    # artillery docs: cloud
    ('artillery run-fargate --region us-east-1 test.yml', 'test:artillery@performance'),
    # artillery docs
    ('artillery run -t https://staging.example.com smoke.yml', 'test:artillery@performance verify:smoke-test'),
    # ---- lighthouse --------------------------------------------------------------------------------
    # GoogleChrome/lighthouse-ci: docs/getting-started.md
    ('lhci autorun', 'test:lighthouse-ci@performance'),
    ('npx @lhci/cli@0.13.x autorun', 'test:lighthouse-ci@performance'),
    # lighthouse-ci docs
    ('lhci autorun --upload.target=temporary-public-storage', 'test:lighthouse-ci@performance'),
    ('lhci collect --url=http://localhost:3000', 'test:lighthouse-ci@performance'),
    # lighthouse-ci docs: config
    ('lhci autorun --config=./lighthouserc.json', 'test:lighthouse-ci@performance'),
    # ---- jmeter ------------------------------------------------------------------------------------
    # apache/jmeter docs: get-started.html (CLI mode)
    ('jmeter -n -t test.jmx -l results.jtl', 'test:jmeter@performance'),
    ('jmeter -n -t plan.jmx -l log.jtl -e -o report/', 'test:jmeter@performance'),
    # justb4/jmeter docker
    ('docker run --rm justb4/jmeter -n -t /tests/test.jmx', 'test:jmeter@performance'),
    # jmeter docs
    ('./apache-jmeter-5.6/bin/jmeter.sh -n -t load.jmx -Jthreads=50', 'test:jmeter@performance'),
    # jmeter maven plugin (not CLI) is gatling-like: keep to CLI
    ('jmeter -Jusers=10 -n -t perf/api.jmx -l out.jtl', 'test:jmeter@performance'),
    # ---- gatling -----------------------------------------------------------------------------------
    # gatling/gatling: docs (maven plugin)
    ('mvn gatling:test', 'test:gatling@performance'),
    ('./mvnw gatling:test -Dgatling.simulationClass=computerdatabase.BasicSimulation', 'test:gatling@performance'),
    # gatling docs: gradle plugin
    ('./gradlew gatlingRun', 'test:gatling@performance'),
    ('gradle gatlingRun-computerdatabase.BasicSimulation', 'test:gatling@performance'),
    # gatling bundle
    ('./bin/gatling.sh -s computerdatabase.BasicSimulation', 'test:gatling@performance'),
    # ---- compose-test ------------------------------------------------------------------------------
    # docker docs: "Use Compose for CI"
    ('docker compose -f docker-compose.test.yml up --abort-on-container-exit --exit-code-from sut', 'test:docker-compose@integration'),  # noqa: E501
    ('docker-compose -f docker-compose.test.yml run --rm sut', 'test:docker-compose@integration'),
    # common CI
    ('docker compose up --exit-code-from tests', 'test:docker-compose@integration'),
    ('docker compose -f compose.test.yaml up --build --abort-on-container-exit', 'test:docker-compose@integration'),
    ('docker compose -p ci -f docker-compose.yml -f docker-compose.test.yml up -d', 'test:docker-compose@integration'),
    # negative: a local dev start
    ('docker compose up -d', ''),
    ('docker-compose up --build', ''),
    # ---- newman ------------------------------------------------------------------------------------
    # postmanlabs/newman: README.md
    ('newman run mycollection.json', 'test:postman@integration'),
    ('newman run https://www.getpostman.com/collections/cb208e7e64056f5294e5 -e dev_environment.json', 'test:postman@integration'),  # noqa: E501
    # newman docs: reporters
    ('npx newman run tests/api.postman_collection.json -r cli,junit', 'test:postman@integration'),
    # newman docker
    ('docker run -v ~/collections:/etc/newman -t postman/newman:alpine run "collection.json"', 'test:postman@integration'),  # noqa: E501
    # newman docs
    ('newman run collection.json --environment staging.postman_environment.json --bail', 'test:postman@integration'),
    # ---- skaffold-test ------------------------------------------------------------------------------
    # GoogleCloudPlatform/bank-of-anthos: .github/cloudbuild/ci-pr.yaml
    ('skaffold test --build-artifacts=/workspace/artifacts.json --assume-yes --profile=development', 'test:skaffold@unit'),  # noqa: E501
    # skaffold docs: testers
    ('skaffold test --build-artifacts=build.json', 'test:skaffold@unit'),
    ('skaffold test -p ci --build-artifacts artifacts.json', 'test:skaffold@unit'),
    ('skaffold test --module frontend --build-artifacts=tags.json', 'test:skaffold@unit'),
    ('skaffold test -m backend -a /workspace/artifacts.json', 'test:skaffold@unit'),
    # negative: building is no test
    ('skaffold build --file-output=build.json', ''),
    # ---- skaffold-verify ----------------------------------------------------------------------------
    # GoogleCloudPlatform/bank-of-anthos: .github/cloudbuild/ci-pr.yaml
    ('skaffold verify --build-artifacts=/workspace/artifacts.json --profile=development -m frontend --env-file=.env', 'test:skaffold@e2e'),  # noqa: E501
    # skaffold docs: verify
    ('skaffold verify --build-artifacts=build.json', 'test:skaffold@e2e'),
    ('skaffold verify -a build.json --profile staging', 'test:skaffold@e2e'),
    ('skaffold verify --module web --build-artifacts=tags.json --namespace=qa', 'test:skaffold@e2e'),
    ('skaffold verify -m backend --env-file=.env.test', 'test:skaffold@e2e'),
    # ---- helm-unittest ------------------------------------------------------------------------------
    # helm-unittest/helm-unittest: README.md
    ('helm unittest $YOUR_CHART', 'test:helm@unit'),
    ("helm unittest -f 'tests/*_test.yaml' charts/app", 'test:helm@unit'),
    ('helm unittest --strict --with-subchart=false ./chart', 'test:helm@unit'),
    ('helm unittest -o test-output.xml -t JUnit charts/podinfo', 'test:helm@unit'),
    # a chart repository's CI, every chart in turn
    ('helm unittest --color charts/*', 'test:helm@unit'),
    # negative: installing the plugin tests nothing
    ('helm plugin install https://github.com/helm-unittest/helm-unittest.git', ''),
    # ---- pytest ------------------------------------------------------------------------------------
    # tiangolo/full-stack-fastapi-template: backend/scripts/test.sh
    ('coverage run --source=app -m pytest', 'test:pytest@unit'),
    # actions/starter-workflows: ci/python-app.yml
    ('pytest', 'test:pytest@unit'),
    # pallets/flask: tox.ini
    ('pytest -v --tb=short --basetemp={envtmpdir} {posargs}', 'test:pytest@unit'),
    # apache/airflow style
    ('python -m pytest tests/ -m "not integration"', 'test:pytest@unit'),
    # python-poetry docs
    ('poetry run pytest --cov=src', 'test:pytest@unit'),
    # integration by marker (pytest docs: mark.rst)
    ('pytest -m integration tests/', 'test:pytest@integration'),
    # integration by path
    ('uv run pytest tests/integration -x', 'test:pytest@integration'),
    # negative: installing pytest is not running it
    ('pip install pytest pytest-cov', ''),
    # negative: echo
    ('echo "pytest"', ''),
    # ---- django-test -------------------------------------------------------------------------------
    # django/djangoproject.com: .github/workflows/tests.yml
    ('python -m coverage run manage.py test -v2', 'test:django@unit'),
    # wagtail/bakerydemo: .github/workflows
    ('python manage.py test', 'test:django@unit'),
    # cookiecutter-django docs
    ('docker compose run --rm django python manage.py test', 'test:django@unit'),
    # saleor style
    ('./manage.py test --parallel', 'test:django@unit'),
    # django docs
    ('python manage.py test --settings=config.settings.test', 'test:django@unit'),
    # ---- tox ---------------------------------------------------------------------------------------
    # 20tab/django-uwsgi-template: bitbucket-pipelines.yml
    ('tox -e coverage,reportxml', 'test:tox@unit'),
    # pallets/flask: .github/workflows/tests.yaml
    ('tox run -e py312', 'test:tox@unit'),
    # tox-dev/tox docs
    ('tox -p auto', 'test:tox@unit'),
    # nox docs (wntrblm/nox)
    ('nox -s tests', 'test:tox@unit'),
    ('nox --session lint tests-3.12', 'test:tox@unit'),
    # ---- unittest ----------------------------------------------------------------------------------
    # f-droid/fdroidserver: README.md
    ('python -m unittest tests/test_metadata.py', 'test:unittest@unit'),
    # f-droid/fdroidserver: .gitlab-ci.yml
    ('python3 -m unittest -k test_update_remote_storage_with_rclone --verbose', 'test:unittest@unit'),
    # python docs: unittest discovery
    ('python -m unittest discover -s tests -p "test_*.py"', 'test:unittest@unit'),
    # f-droid/fdroidserver: .gitlab-ci.yml
    ('python -m unittest $f', 'test:unittest@unit'),
    # cpython docs
    ('python3 -m unittest -v', 'test:unittest@unit'),
    # ---- jest --------------------------------------------------------------------------------------
    # facebook/jest: docs/GettingStarted.md
    ('jest', 'test:jest@unit'),
    ('npx jest --ci --coverage', 'test:jest@unit'),
    # calcom style
    ('yarn jest --runInBand', 'test:jest@unit'),
    # jest docs
    ('node_modules/.bin/jest --selectProjects unit', 'test:jest@unit'),
    # jest docs: CI
    ('jest --ci --reporters=default --reporters=jest-junit', 'test:jest@unit'),
    # jenkins-docs/building-a-multibranch-pipeline-project package.json (Create React App)
    ('react-scripts test', 'test:jest@unit'),
    ('react-scripts test --env=jsdom --watchAll=false', 'test:jest@unit'),
    ('craco test --coverage', 'test:jest@unit'),
    ('react-scripts build', ''),
    # ---- vitest ------------------------------------------------------------------------------------
    # vitest-dev/vitest: docs/guide/cli.md
    ('vitest run', 'test:vitest@unit'),
    ('npx vitest run --coverage', 'test:vitest@unit'),
    # vitest docs
    ('vitest --run --reporter=junit --outputFile=report.xml', 'test:vitest@unit'),
    # formbricks style
    ('pnpm vitest run', 'test:vitest@unit'),
    # gethomepage/homepage: .github/workflows/test.yml (pnpm's own flag before `exec`)
    ('pnpm -s exec vitest run --coverage --shard ${{ matrix.shard }}/4 --pool forks', 'test:vitest@unit'),
    # vitest docs: workspace
    ('vitest run --project unit', 'test:vitest@unit'),
    # ---- mocha -------------------------------------------------------------------------------------
    # mochajs/mocha: docs/index.md
    ('mocha', 'test:mocha@unit'),
    ('npx mocha --recursive test/', 'test:mocha@unit'),
    # mocha docs
    ('mocha --reporter spec "test/**/*.spec.js"', 'test:mocha@unit'),
    # expressjs/express: package.json test script
    ('mocha --require test/support/env --reporter spec --bail --check-leaks test/ test/acceptance/', 'test:mocha@e2e'),
    # mocha docs
    ('./node_modules/.bin/mocha -t 5000', 'test:mocha@unit'),
    # ---- run-go-tests ------------------------------------------------------------------------------
    # hashicorp/terraform-aws-consul: .circleci/config.yml (gruntwork module-ci, Terratest)
    ('run-go-tests --path test', 'test:go@integration'),
    # the same, piped to a log for terratest_log_parser
    ('run-go-tests --path test | tee /tmp/logs/test-all.log', 'test:go@integration'),
    # gruntwork module-ci: a longer timeout for slow suites
    ('run-go-tests --path test --timeout 2h', 'test:go@integration'),
    # gruntwork module-ci: one test selected
    ('run-go-tests --path test --packages "-run TestConsulCluster ."', 'test:go@integration'),
    # gruntwork module-ci: under sudo with the CI environment kept
    ('sudo -E run-go-tests --path test', 'test:go@integration'),
    # ---- go-bench ----------------------------------------------------------------------------------
    # grafana/loki: .github/workflows/logql-bench.yml
    ('go test -run=^$ -bench=LogQL/query=.+/kind=.+/store=local$ -count=10 -timeout=5h -benchmem',
     'test:go@performance'),
    # grafana/loki: pkg/logql/bench/Makefile
    ('go test -bench=. -benchmem -count=1 -timeout=1h', 'test:go@performance'),
    # juanfont/headscale: test-integration.yaml compiles the tests to warm the cache, runs none
    ('go test -c ./integration -o /dev/null', ''),
    # uber-go/zap: Makefile
    ('go test -bench=$(BENCH) -run="^$$" $(BENCH_FLAGS)', 'test:go@performance'),
    # kubernetes-sigs/json: Makefile
    ('go test sigs.k8s.io/json -bench . -benchmem', 'test:go@performance'),
    # buger/jsonparser: Makefile
    ('go test $(LDFLAGS) -test.benchmem -bench $(BENCHMARK) ./benchmark/ $(ARGS) -benchtime $(BENCHTIME) -v',
     'test:go@performance'),
    # ---- go-test -----------------------------------------------------------------------------------
    # terraform-example-foundation: .github/workflows/go-test.yaml
    ('go test ./... -v', 'test:go@unit'),
    # gitlabhq/gitlab-runner: Makefile
    ('go test -count=1 --tags=integration -run=nope ./...', 'test:go@integration'),
    # golang docs
    ('go test -race -coverprofile=coverage.out ./...', 'test:go@unit'),
    # gotestyourself/gotestsum: README.md
    ('gotestsum --format testname -- -race ./...', 'test:go@unit'),
    # testcontainers-go docs
    ('go test -tags=integration ./internal/...', 'test:go@integration'),
    # ---- rspec -------------------------------------------------------------------------------------
    # loki/clients/cmd/logstash/README.md
    ('bundle exec rspec', 'test:rspec@unit'),
    # mastodon/mastodon: .github/workflows/test-ruby.yml
    ('bin/rspec', 'test:rspec@unit'),
    # discourse style
    ('bin/rspec spec/system --tag ~type:system', 'test:rspec@unit'),
    # rspec docs
    ('rspec spec/models', 'test:rspec@unit'),
    # rails docs
    ('bin/rake spec', 'test:rspec@unit'),
    # mastodon/mastodon: .github/workflows/test-ruby.yml (the suite split across processes)
    ('bin/flatware rspec -r ./spec/flatware_helper.rb', 'test:rspec@unit'),
    # grosser/parallel_tests: Readme.md
    ('bundle exec parallel_rspec spec/', 'test:rspec@unit'),
    ('bundle exec rake parallel:spec', 'test:rspec@unit'),
    # serpapi/turbo_tests: README.md
    ('bundle exec turbo_tests', 'test:rspec@unit'),
    # negative: flatware preparing the databases the split suite runs on
    ('bin/flatware fan bin/rails db:test:prepare', ''),
    # ---- rake-task --------------------------------------------------------------------------------
    # chatwoot/chatwoot: Procfile (a task of its lib/tasks/db_enhancements.rake)
    ('bundle exec rails db:chatwoot_prepare', 'indirect:rake@db:chatwoot_prepare'),
    ('bundle exec rails ip_lookup:setup', 'indirect:rake@ip_lookup:setup'),
    # rails/tailwindcss-rails README.md, rails/dartsass-rails README.md
    ('bin/rails tailwindcss:build', 'indirect:rake@tailwindcss:build'),
    ('bin/rails dartsass:build', 'indirect:rake@dartsass:build'),
    # discourse/discourse_docker templates: a plugin's task
    ('bundle exec rake plugin:pull_compatible_all', 'indirect:rake@plugin:pull_compatible_all'),
    # negatives: Rails' own tasks
    ('bundle exec rake assets:precompile', ''),
    ('bin/rails db:migrate:status', ''),
    # ---- skopeo-copy ------------------------------------------------------------------------------
    # paperless-ngx/paperless-ngx: .github/workflows/ci-docker.yml (GHCR tags copied to Docker Hub)
    ('skopeo copy --all "docker://${tag}" "docker://${dockerhub_tag}"', 'push:skopeo'),
    # containers/skopeo docs: skopeo-copy(1)
    ('skopeo copy docker://quay.io/buildah/stable docker://registry.internal.company.com/buildah', 'push:skopeo'),
    ('skopeo copy oci:busybox_ocilayout:latest docker://quay.io/acme/busybox:latest', 'push:skopeo>quay'),
    ('skopeo copy docker-archive:image.tar docker://ghcr.io/acme/app:1.0', 'push:skopeo>ghcr'),
    # where it copies to, not from
    ('skopeo copy --all docker://ghcr.io/acme/app:1.0 docker://docker.io/acme/app:1.0', 'push:skopeo>docker-hub'),
    # negatives: a copy into a local archive or directory, an inspection
    ('skopeo copy docker://docker.io/library/alpine:3 docker-archive:/tmp/alpine.tar', ''),
    ('skopeo inspect docker://ghcr.io/acme/app:1.0', ''),
    # negative: rubocop's rspec plugin
    ('bundle exec rubocop --require rubocop-rspec', ''),
    # ---- rails-system-test -------------------------------------------------------------------------
    # rails/rails: guides/source/testing.md (system tests run in a browser)
    ('bin/rails test:system', 'test:rails@e2e'),
    # maybe-finance/maybe: .github/workflows/ci.yml
    ('DISABLE_PARALLELIZATION=true bin/rails test:system', 'test:rails@e2e'),
    # rails docs: one file
    ('bin/rails test:system test/system/users_test.rb', 'test:rails@e2e'),
    # bundler
    ('bundle exec rails test:system', 'test:rails@e2e'),
    # rake
    ('bundle exec rake test:system', 'test:rails@e2e'),
    # ---- rails-test --------------------------------------------------------------------------------
    # rails/rails: guides/source/testing.md
    ('bin/rails test', 'test:rails@unit'),
    # rails docs
    ('rails test test/models', 'test:rails@unit'),
    # basecamp/kamal demo CI
    ('bundle exec rails test', 'test:rails@unit'),
    # rake
    ('bundle exec rake test', 'test:rails@unit'),
    # rails docs: one test, by its line
    ('bin/rails test test/models/user_test.rb:27', 'test:rails@unit'),
    # Rails 8's generated .github/workflows/ci.yml: one call, the test database, unit and system tests
    ('bin/rails db:test:prepare test test:system', 'test:rails@e2e test:rails@unit'),
    ('bin/rails db:test:prepare test', 'test:rails@unit'),
    # negative: preparing the test database runs no test
    ('bin/rails db:test:prepare', ''),
    # Rails 7.1's test:all runs every test, system tests included; a Rails 2-era rake task one suite
    ('bin/rails test:all', 'test:rails@e2e test:rails@unit'),
    # openstreetmap/openstreetmap-website .github/workflows/tests.yml
    ('bundle exec rails test:all', 'test:rails@e2e test:rails@unit'),
    ('bundle exec rake test:units', 'test:rails@unit'),
    # negative: the app started in the test environment for a browser suite, a runner in it
    ('bin/rails server -e test -p 5017 -d', ''),
    ("bin/rails runner -e test 'puts 1'", ''),
    # ---- maven-test --------------------------------------------------------------------------------
    # aws-containers/retail-store-sample-app: src/ui/project.json
    ('./mvnw test -DexcludedGroups=integration', 'test:maven@unit'),
    ('./mvnw test -Dgroups=integration', 'test:maven@integration'),
    # spring-projects/spring-petclinic: .github/workflows/maven-build.yml
    ('mvn -B verify', 'build:java test:maven@unit'),
    # apache/maven docs: failsafe
    ('mvn verify -P integration-tests', 'build:java test:maven@integration'),
    # simple-java-maven-app: Jenkinsfile
    ('mvn test', 'test:maven@unit'),
    # ---- gradle-test -------------------------------------------------------------------------------
    # android/architecture-samples: .github/workflows
    ('./gradlew test', 'test:gradle@unit'),
    # gradle docs
    ('./gradlew check', 'test:gradle@unit'),
    ('./gradlew integrationTest', 'test:gradle@integration'),
    # spring docs
    ('gradle test --tests "*ServiceTest"', 'test:gradle@unit'),
    # gradle docs
    ('./gradlew :app:testDebugUnitTest', 'test:gradle@unit'),
    # ---- phpunit -----------------------------------------------------------------------------------
    # 3sidedcube/laravel-api-template: bitbucket-pipelines.yml
    ('vendor/bin/phpunit --verbose', 'test:phpunit@unit'),
    # passbolt/passbolt_api: composer.json
    ('phpunit --colors=always', 'test:phpunit@unit'),
    # kimai/kimai .github/workflows/testing.yaml (composer tests-unit): the integration group left out
    ('vendor/bin/phpunit --exclude-group integration tests/', 'test:phpunit@unit'),
    # wallabag/wallabag: .github/workflows/continuous-integration.yml (Symfony functional tests)
    ('php bin/phpunit --testsuite functional -v', 'test:phpunit@integration'),
    # wallabag: the step that prints the suite's deprecations log sets its path first
    ('deprecations_log="$RUNNER_TEMP/wallabag-phpunit-integration.deprecations.log"', ''),
    ('XDEBUG_MODE=coverage vendor/bin/phpunit --coverage-clover=clover.xml', 'test:phpunit@unit'),
    # ---- laravel-test ------------------------------------------------------------------------------
    # laravel/docs: testing.md
    ('php artisan test', 'test:phpunit@unit'),
    ('php artisan test --testsuite=Feature --stop-on-failure', 'test:phpunit@unit'),
    ('php artisan test --parallel --processes=4', 'test:phpunit@unit'),
    ('php artisan test --coverage --min=80.3', 'test:phpunit@unit'),
    # laravel/docs: sail.md
    ('./vendor/bin/sail artisan test', 'test:phpunit@unit'),
    # koel/koel: composer.json `test`
    ('php artisan test --parallel', 'test:phpunit@unit'),
    # pestphp/pest docs
    ('./vendor/bin/pest --parallel', 'test:phpunit@unit'),
    # negative: composer require
    ('composer require --dev phpunit/phpunit', ''),
    # symfony docs
    ('php bin/phpunit', 'test:phpunit@unit'),
    # ---- cargo-test --------------------------------------------------------------------------------
    # pi-hole/docker-pi-hole: build-and-publish.yml's `CIPLATFORM=${{ env.CI_ARCH }} bash test/run.sh`,
    # an assignment whose expression holds spaces before the command
    ('CIPLATFORM=${{ env.CI_ARCH }} cargo test --workspace', 'test:cargo@unit'),
    # aks-store-demo: .github/copilot-instructions.md
    ('cargo test', 'test:cargo@unit'),
    # actions/starter-workflows: ci/rust.yml
    ('cargo test --verbose', 'test:cargo@unit'),
    # nextest docs
    ('cargo nextest run --profile ci', 'test:cargo@unit'),
    # rust docs
    ('cargo test --all-features --workspace', 'test:cargo@unit'),
    # tokio style
    ('cargo test --release -- --test-threads=1', 'test:cargo@unit'),
    # ---- dotnet-test -------------------------------------------------------------------------------
    # actions/starter-workflows: ci/dotnet.yml
    ('dotnet test --no-build --verbosity normal', 'test:dotnet@unit'),
    # eShopOnWeb: .github/workflows/dotnetcore.yml
    ('dotnet test ./eShopOnWeb.sln --configuration Release', 'test:dotnet@unit'),
    # dotnet docs: filters
    ('dotnet test --filter Category=Integration', 'test:dotnet@integration'),
    # tailspin: azure-pipelines.yml script form
    ('dotnet test --no-build --configuration Release /p:CollectCoverage=true', 'test:dotnet@unit'),
    # dotnet docs
    ('dotnet test tests/UnitTests/UnitTests.csproj', 'test:dotnet@unit'),
    # ---- bun-test ----------------------------------------------------------------------------------
    # oven-sh/bun: docs/cli/test.md
    ('bun test', 'test:bun@unit'),
    ('bun test --coverage', 'test:bun@unit'),
    # bun docs
    ('bun test ./test/unit', 'test:bun@unit'),
    # bun docs: timeouts
    ('bun test --timeout 20000', 'test:bun@unit'),
    # bun docs
    ('bun test --bail', 'test:bun@unit'),
    # ---- bats --------------------------------------------------------------------------------------
    # cloudposse/terraform-aws-components: .github/workflows/bats.yml
    ('bats -t /test/terraform/${test}.bats', 'test:bats@unit'),
    # bats-core/bats-core: docs/source/tutorial.rst (bats as a git submodule)
    ('./test/bats/bin/bats test/test.bats', 'test:bats@unit'),
    ('bats test', 'test:bats@unit'),
    # bats-core/bats-core: docs (TAP output for CI)
    ('bats --tap tests/', 'test:bats@unit'),
    ('npx bats test/', 'test:bats@unit'),
    # negatives: installing it, and a name that only starts with it
    ('npm install -g bats', ''),
    ('batsh build script.batsh', ''),
    # ---- mix-test ----------------------------------------------------------------------------------
    # framasoft/mobilizon: .gitlab-ci.yml
    ('mix test', 'test:exunit@unit'),
    # phoenix docs
    ('MIX_ENV=test mix test --cover', 'test:exunit@unit'),
    # plausible/analytics CI
    ('mix test --warnings-as-errors --include slow', 'test:exunit@unit'),
    # elixir docs
    ('mix test test/my_app_web', 'test:exunit@unit'),
    # hexpm CI
    ('mix test --partitions 4', 'test:exunit@unit'),
    # ---- cft-test ----------------------------------------------------------------------------------
    # terraform-google-modules/terraform-example-foundation: build/int.cloudbuild.yaml
    ('cft test run TestBootstrap --stage init --verbose --test-dir /workspace/test/integration', 'test:cft@integration'),  # noqa: E501
    ('cft test run TestOrg --stage verify --verbose --test-dir /workspace/test/integration', 'test:cft@integration'),
    ('./test/disable_tf_files.sh --shared && cft test run TestShared --stage init --verbose --test-dir /workspace/test/integration', 'test:cft@integration'),  # noqa: E501
    # terraform-google-modules/terraform-google-kubernetes-engine: build/int.cloudbuild.yaml
    ('cft test run all --stage init --verbose', 'test:cft@integration'),
    ('cft test run TestSimpleZonal --stage teardown --verbose', 'test:cft@integration'),
    # ---- helm-upgrade ------------------------------------------------------------------------------
    # stefanprodan/podinfo: README.md
    ('helm upgrade --install --wait frontend --namespace test --set replicaCount=2 --set backend=http://backend-podinfo:9898/echo podinfo/podinfo', 'deploy:helm@kubernetes verify:helm'),  # noqa: E501
    # retail-store-sample-app: src/ui/chart/README.md
    ('helm install ui oci://public.ecr.aws/aws-containers/retail-store-sample-ui-chart:0.8.5', 'deploy:helm@kubernetes'),  # noqa: E501
    # retail-store-sample-app: .github/workflows/e2e-test.yml
    ('NODE_PORT=30000 helmfile apply -f src/app/helmfile.yaml --wait --skip-diff-on-install', 'deploy:helm@kubernetes'),
    # tejaavrsk/helm_test: Jenkinsfile
    ("sudo -H -u hekujen bash -c 'helm upgrade --install --namespace production nginx . '", 'deploy:helm@kubernetes'),
    # helm docs
    ('helm --kube-context prod upgrade api ./chart -f values-prod.yaml', 'deploy:helm@kubernetes'),
    # helmfile docs
    ('helmfile -e production sync', 'deploy:helm@kubernetes'),
    # negatives: render, lint, dry run, plugins
    ('helm template podinfo ./charts/podinfo', ''),
    ('helm lint charts/*', ''),
    ('helm upgrade --install app ./chart --dry-run --debug', ''),
    ('helm plugin install https://github.com/databus23/helm-diff', ''),
    # ---- kubectl-apply -----------------------------------------------------------------------------
    # retail-store-sample-app: README.md
    ('kubectl apply -f https://github.com/aws-containers/retail-store-sample-app/releases/latest/download/kubernetes.yaml', 'deploy:kubernetes@kubernetes'),  # noqa: E501
    # Azure-Samples/aks-store-demo: Makefile
    ('kubectl apply -k .', 'deploy:kubernetes@kubernetes'),
    # aks-store-demo: Makefile
    ('kustomize build . | kubectl apply -f -', 'deploy:kubernetes@kubernetes'),
    # k8s docs
    ('kubectl set image deployment/nginx-deployment nginx=nginx:1.16.1', 'deploy:kubernetes@kubernetes'),
    ('kubectl --context prod -n web rollout restart deployment/api', 'deploy:kubernetes@kubernetes'),
    ('kubectl create secret generic api-env --from-env-file=.env --dry-run=client -o yaml | kubectl apply -f -', 'deploy:kubernetes@kubernetes'),  # noqa: E501
    # negatives and edge cases
    ('kubectl get pods', ''),
    ('kubectl apply --dry-run=client -f k8s/', ''),
    ('kubectl diff -f k8s/', ''),
    # ---- argocd-sync -------------------------------------------------------------------------------
    # argoproj/argocd-example-apps: blue-green/README.md
    ('argocd app set blue-green -p image.tag=0.2 && argocd app sync blue-green', 'deploy:argocd@kubernetes deploy:argocd@kubernetes'),  # noqa: E501
    # argo-cd docs: user-guide/ci_automation.md
    ('argocd app sync guestbook', 'deploy:argocd@kubernetes'),
    ('argocd app set guestbook --kustomize-image my-image:$TAG', 'deploy:argocd@kubernetes'),
    ('argocd app sync $APP --prune --timeout 300', 'deploy:argocd@kubernetes'),
    # negatives and edge cases
    ('argocd app get guestbook', ''),
    ('argocd app wait guestbook --health', ''),
    # ---- skaffold-run ------------------------------------------------------------------------------
    # GoogleContainerTools/skaffold: docs (CI/CD)
    ('skaffold run --default-repo=gcr.io/my-project', 'deploy:skaffold@kubernetes'),
    ('skaffold deploy --build-artifacts=build.json', 'deploy:skaffold@kubernetes'),
    # GoogleCloudPlatform/microservices-demo: README
    ('skaffold run -p gcb --default-repo=us-docker.pkg.dev/$PROJECT/repo', 'deploy:skaffold@kubernetes'),
    # skaffold docs
    ('skaffold run --tail=false -p production', 'deploy:skaffold@kubernetes'),
    ('skaffold deploy -a tags.json --status-check', 'deploy:skaffold@kubernetes'),
    # negatives and edge cases
    ('skaffold dev', ''),
    # ---- terraform-apply ---------------------------------------------------------------------------
    # retail-store-sample-app: terraform/ecs/default/README.md
    ('terraform apply', 'deploy:terraform@terraform'),
    # hashicorp/setup-terraform: README.md
    ('terraform apply -auto-approve -input=false', 'deploy:terraform@terraform'),
    # terraform-example-foundation: build/tf-wrapper.sh
    ('terraform apply -no-color -input=false -auto-approve "${tmp_plan}/${tf_file}.tfplan"', 'deploy:terraform@terraform'),  # noqa: E501
    # gruntwork-io/terragrunt docs
    ('terragrunt run-all apply --terragrunt-non-interactive', 'deploy:terraform@terraform'),
    # opentofu docs
    ('tofu apply -auto-approve', 'deploy:terraform@terraform'),
    ('terraform -chdir=envs/production apply tfplan', 'deploy:terraform@terraform'),
    # negatives and edge cases
    ('terraform plan -out=tfplan', ''),
    ('terraform init -backend-config=backend.hcl', ''),
    ('terraform validate', ''),
    # ---- pulumi-up ---------------------------------------------------------------------------------
    # pulumi/pulumi: README.md
    ('pulumi up', 'deploy:pulumi@pulumi'),
    ('pulumi up --yes --stack prod', 'deploy:pulumi@pulumi'),
    # pulumi/actions docs
    ('pulumi up --yes --skip-preview -s dev', 'deploy:pulumi@pulumi'),
    # pulumi docs: gitlab
    ('pulumi up --non-interactive --yes --stack acme/api/staging', 'deploy:pulumi@pulumi'),
    # negatives and edge cases
    ('pulumi preview --stack prod', ''),
    ('pulumi up -y', 'deploy:pulumi@pulumi'),
    # ---- cdk-deploy --------------------------------------------------------------------------------
    # aws/aws-cdk: README.md
    ('cdk deploy', 'deploy:aws-cdk@aws'),
    ('npx cdk deploy --all --require-approval never', 'deploy:aws-cdk@aws'),
    # cdk docs
    ('cdk deploy ProdStack --context env=prod', 'deploy:aws-cdk@aws'),
    # aws-samples style
    ('yarn cdk deploy --require-approval never', 'deploy:aws-cdk@aws'),
    # negatives and edge cases
    ('cdk synth', ''),
    ('cdk deploy "*" --require-approval never', 'deploy:aws-cdk@aws'),
    # ---- sam-deploy --------------------------------------------------------------------------------
    # terraform-aws-components: modules/aws-ssosync/dist/README.md
    ('sam deploy --guided', 'deploy:aws-sam@aws-lambda'),
    # aws/aws-sam-cli docs
    ('sam deploy --no-confirm-changeset --no-fail-on-empty-changeset --stack-name app-prod', 'deploy:aws-sam@aws-lambda'),  # noqa: E501
    ('sam deploy --config-env staging', 'deploy:aws-sam@aws-lambda'),
    # aws docs
    ('sam build && sam deploy --parameter-overrides Stage=prod', 'deploy:aws-sam@aws-lambda'),
    # negatives and edge cases
    ('sam build --use-container', ''),
    ('sam deploy --stack-name api --capabilities CAPABILITY_IAM', 'deploy:aws-sam@aws-lambda'),
    # ---- serverless-deploy -------------------------------------------------------------------------
    # serverless/serverless: docs/providers/aws/cli-reference/deploy.md
    ('serverless deploy --stage production --region us-east-1', 'deploy:serverless@aws-lambda'),
    ('sls deploy -s dev', 'deploy:serverless@aws-lambda'),
    # serverless docs
    ('npx serverless deploy --stage $STAGE', 'deploy:serverless@aws-lambda'),
    # serverless docs: function
    ('sls deploy function -f hello', 'deploy:serverless@aws-lambda'),
    # negatives and edge cases
    ('sls deploy --noDeploy', ''),
    ('serverless deploy --aws-profile prod', 'deploy:serverless@aws-lambda'),
    # ---- helm-upgrade ------------------------------------------------------------------------------
    # negatives: setting helm up is not deploying (azure/setup-helm README; helm docs: install.md)
    ('azure/setup-helm@v4', ''),
    ('curl -fsSL -o get_helm.sh https://raw.githubusercontent.com/helm/helm/main/scripts/get-helm-3 && chmod 700 get_helm.sh && ./get_helm.sh', ''),  # noqa: E501
    ('helm version --short', ''),
    ('helm repo add bitnami https://charts.bitnami.com/bitnami && helm dependency build ./chart', ''),
    # ---- ecs-deploy --------------------------------------------------------------------------------
    # aws docs: update-service
    ('aws ecs update-service --cluster prod --service api --force-new-deployment', 'deploy:aws-ecs@aws-ecs'),
    ('aws ecs update-service --cluster $CLUSTER --service $SERVICE --task-definition $TASK_DEF_ARN', 'deploy:aws-ecs@aws-ecs'),  # noqa: E501
    # fabfuel/ecs-deploy: README.rst
    ('ecs deploy my-cluster my-service --tag 1.2.3', 'deploy:aws-ecs@aws-ecs'),
    # kayac/ecspresso: README.md
    ('ecspresso deploy --config ecspresso.yml', 'deploy:aws-ecs@aws-ecs'),
    # aws/copilot-cli docs
    ('copilot svc deploy --name api --env production', 'deploy:aws-ecs@aws-ecs'),
    ('copilot deploy --env test', 'deploy:aws-ecs@aws-ecs'),
    # ---- lambda-update -----------------------------------------------------------------------------
    # aws docs: lambda update-function-code
    ('aws lambda update-function-code --function-name my-function --zip-file fileb://function.zip', 'deploy:aws-lambda@aws-lambda'),  # noqa: E501
    ('aws lambda update-function-code --function-name $FUNCTION --image-uri $ECR_REGISTRY/fn:$TAG', 'deploy:aws-lambda@aws-lambda'),  # noqa: E501
    # aws docs: s3
    ('aws lambda update-function-code --function-name api --s3-bucket artifacts --s3-key api.zip --publish', 'deploy:aws-lambda@aws-lambda'),  # noqa: E501
    # aws docs
    ('aws --region eu-west-1 lambda update-function-code --function-name worker --zip-file fileb://dist/worker.zip', 'deploy:aws-lambda@aws-lambda'),  # noqa: E501
    # aws-samples style
    ('aws lambda update-function-code --function-name "${FUNCTION_NAME}-prod" --zip-file fileb://build.zip', 'deploy:aws-lambda@aws-lambda'),  # noqa: E501
    # ---- eb-deploy ---------------------------------------------------------------------------------
    # aws/aws-elastic-beanstalk-cli docs: eb deploy
    ('eb deploy', 'deploy:elastic-beanstalk@elastic-beanstalk'),
    ('eb deploy production-env --staged', 'deploy:elastic-beanstalk@elastic-beanstalk'),
    # aws docs
    ('eb deploy my-app-prod --label v$BUILD_NUMBER', 'deploy:elastic-beanstalk@elastic-beanstalk'),
    ('eb deploy --timeout 20', 'deploy:elastic-beanstalk@elastic-beanstalk'),
    ('eb deploy staging -l $CI_COMMIT_SHORT_SHA', 'deploy:elastic-beanstalk@elastic-beanstalk'),
    # ---- s3-sync -----------------------------------------------------------------------------------
    # aws docs: static website
    ('aws s3 sync ./build s3://my-bucket --delete', 'deploy:aws@aws-s3'),
    ('aws s3 sync dist/ s3://$BUCKET_NAME/ --cache-control max-age=31536000', 'deploy:aws@aws-s3'),
    # aws docs
    ('aws s3 sync public s3://www.example.com --acl public-read', 'deploy:aws@aws-s3'),
    ('aws s3 sync ./out s3://${S3_BUCKET} --delete --exclude "*.map"', 'deploy:aws@aws-s3'),
    # negative: downloading from a bucket
    ('aws s3 sync s3://artifacts/models ./models', ''),
    ('aws --profile prod s3 sync build/ s3://site-prod', 'deploy:aws@aws-s3'),
    # ---- cloudformation-deploy ---------------------------------------------------------------------
    # aws docs: cloudformation deploy
    ('aws cloudformation deploy --template-file template.yaml --stack-name app-prod --capabilities CAPABILITY_IAM', 'deploy:aws@aws'),  # noqa: E501
    ('aws cloudformation create-stack --stack-name vpc --template-body file://vpc.yaml', 'deploy:aws@aws'),
    ('aws cloudformation update-stack --stack-name vpc --template-body file://vpc.yaml', 'deploy:aws@aws'),
    # aws-samples
    ('aws cloudformation deploy --stack-name $STACK --template-file packaged.yaml --parameter-overrides Env=staging', 'deploy:aws@aws'),  # noqa: E501
    ('aws --region us-east-1 cloudformation deploy --template-file out.yml --stack-name edge', 'deploy:aws@aws'),
    # negative
    ('aws cloudformation validate-template --template-body file://vpc.yaml', ''),
    # ---- gcloud-deploy -----------------------------------------------------------------------------
    # google-github-actions/deploy-cloudrun docs (gcloud equivalent)
    ('gcloud run deploy api --image us-docker.pkg.dev/$PROJECT/app/api:$SHA --region us-central1', 'deploy:cloud-run@google-cloud'),  # noqa: E501
    # GoogleCloudPlatform/python-docs-samples: run/README.md
    ('gcloud run deploy --image gcr.io/${GOOGLE_CLOUD_PROJECT}/helloworld --platform managed', 'deploy:cloud-run@google-cloud'),  # noqa: E501
    # cloud build docs: cloudbuild.yaml deploy step
    ('gcloud beta run deploy $_SERVICE_NAME --image=$_IMAGE --region=$_DEPLOY_REGION', 'deploy:cloud-run@google-cloud'),
    # cloud run docs
    ('gcloud run services update api --image gcr.io/p/api:2', 'deploy:cloud-run@google-cloud'),
    ('gcloud run services replace service.yaml --region europe-west1', 'deploy:cloud-run@google-cloud'),
    # negative
    ('gcloud run services describe api', ''),
    # ---- gcloud-clouddeploy ------------------------------------------------------------------------
    # GoogleCloudPlatform/bank-of-anthos: src/frontend/cloudbuild.yaml
    ('gcloud deploy releases create frontend-$SHORT_SHA --delivery-pipeline=frontend --region=us-central1 --skaffold-file=skaffold.yaml', 'deploy:cloud-deploy@google-cloud'),  # noqa: E501
    # Cloud Deploy docs
    ('gcloud deploy releases promote --release=rel-01 --delivery-pipeline=my-demo-app-1 --region=us-central1', 'deploy:cloud-deploy@google-cloud'),  # noqa: E501
    ('gcloud deploy rollouts approve rel-01-to-prod-0001 --delivery-pipeline=web --release=rel-01', 'deploy:cloud-deploy@google-cloud'),  # noqa: E501
    ('gcloud beta deploy releases create web-1 --delivery-pipeline=web --region=europe-west1', 'deploy:cloud-deploy@google-cloud'),  # noqa: E501
    ('gcloud deploy rollouts advance rel-01-to-prod-0001 --delivery-pipeline=web --release=rel-01 --region=us-central1', 'deploy:cloud-deploy@google-cloud'),  # noqa: E501
    # negative: reading the pipeline deploys nothing
    ('gcloud deploy delivery-pipelines describe web --region=us-central1', ''),
    # ---- gcloud-app-deploy -------------------------------------------------------------------------
    # GoogleCloudPlatform/python-docs-samples: appengine README
    ('gcloud app deploy', 'deploy:app-engine@google-cloud'),
    ('gcloud app deploy app.yaml --project $PROJECT_ID --quiet', 'deploy:app-engine@google-cloud'),
    # app engine docs
    ('gcloud app deploy --version=v2 --no-promote', 'deploy:app-engine@google-cloud'),
    ('gcloud beta app deploy dispatch.yaml', 'deploy:app-engine@google-cloud'),
    ('gcloud app deploy app.staging.yaml --project my-staging', 'deploy:app-engine@google-cloud'),
    # ---- gcloud-functions-deploy -------------------------------------------------------------------
    # GoogleCloudPlatform/nodejs-docs-samples: functions README
    ('gcloud functions deploy helloHttp --runtime nodejs20 --trigger-http --allow-unauthenticated', 'deploy:gcp@google-cloud'),  # noqa: E501
    ('gcloud functions deploy process --gen2 --region=us-central1 --source=. --trigger-topic=jobs', 'deploy:gcp@google-cloud'),  # noqa: E501
    # functions docs
    ('gcloud beta functions deploy worker --runtime python312', 'deploy:gcp@google-cloud'),
    ('gcloud functions deploy api --entry-point=handler --env-vars-file=.env.prod.yaml', 'deploy:gcp@google-cloud'),
    ('gcloud functions deploy cron --trigger-topic cron --project $PROD_PROJECT', 'deploy:gcp@google-cloud'),
    # ---- mkdocs-gh-deploy --------------------------------------------------------------------------
    # terraform-aws-modules/terraform-aws-eks: .github/workflows/publish-docs.yml
    ('mkdocs gh-deploy --force', 'deploy:mkdocs@github-pages'),
    # mkdocs docs: deploying your docs
    ('mkdocs gh-deploy', 'deploy:mkdocs@github-pages'),
    ('python -m mkdocs gh-deploy --clean --force', 'deploy:mkdocs@github-pages'),
    ('poetry run mkdocs gh-deploy --force --remote-branch gh-pages', 'deploy:mkdocs@github-pages'),
    ('mkdocs gh-deploy --config-file docs/mkdocs.yml --remote-branch gh-pages', 'deploy:mkdocs@github-pages'),
    # negatives: building the site, or asking for help, deploys nothing
    ('mkdocs build --strict', ''),
    ('mkdocs gh-deploy --help', ''),
    ('mkdocs gh-deploy --force -m "Deploy docs (run with -h for help)"', 'deploy:mkdocs@github-pages'),
    # ---- mike-deploy --------------------------------------------------------------------------------
    # jimporter/mike README; squidfunk/mkdocs-material docs (versioning)
    ('mike deploy --push --update-aliases 1.0 latest', 'deploy:mkdocs@github-pages'),
    ('mike deploy --push dev', 'deploy:mkdocs@github-pages'),
    ('poetry run mike deploy --push --update-aliases $VERSION latest', 'deploy:mkdocs@github-pages'),
    ('mike deploy -p -u 2.x latest', 'deploy:mkdocs@github-pages'),
    ('uv run mike deploy --push --branch gh-pages main', 'deploy:mkdocs@github-pages'),
    # negatives: without --push mike only commits to the local gh-pages branch
    ('mike deploy --update-aliases 1.0 latest', ''),
    # ---- firebase-deploy ---------------------------------------------------------------------------
    # firebase/firebase-tools: README.md
    ('firebase deploy', 'deploy:firebase@firebase'),
    ('firebase deploy --only hosting --project production', 'deploy:firebase@firebase'),
    # firebase docs
    ('npx firebase-tools deploy --token "$FIREBASE_TOKEN"', 'deploy:firebase@firebase'),
    ('firebase deploy --only functions:api -P staging', 'deploy:firebase@firebase'),
    ('firebase deploy --non-interactive --project=$PROJECT', 'deploy:firebase@firebase'),
    # ---- az-webapp ---------------------------------------------------------------------------------
    # Azure docs: az webapp deploy
    ('az webapp deploy --resource-group rg --name app-prod --src-path app.zip', 'deploy:azure-app-service@azure'),
    ('az webapp up --name myapp --runtime "PYTHON:3.12"', 'deploy:azure-app-service@azure'),
    ('az functionapp deployment source config-zip -g rg -n fn-prod --src dist.zip', 'deploy:azure-app-service@azure'),
    ('az containerapp update --name api --resource-group rg --image myacr.azurecr.io/api:$TAG', 'deploy:azure-app-service@azure'),  # noqa: E501
    ('az webapp deployment slot swap --resource-group rg --name app --slot staging --target-slot production', 'deploy:azure-app-service@azure'),  # noqa: E501
    # negative
    ('az webapp list --output table', ''),
    # ---- az-deployment -----------------------------------------------------------------------------
    # Azure/bicep docs
    ('az deployment group create --resource-group rg --template-file main.bicep --parameters env=prod', 'deploy:azure@azure'),  # noqa: E501
    ('az deployment sub create --location westeurope --template-file infra/main.bicep', 'deploy:azure@azure'),
    # Azure docs: ARM
    ('az deployment group create -g $RG -f azuredeploy.json -p @azuredeploy.parameters.json', 'deploy:azure@azure'),
    ('az group deployment create --resource-group rg --template-file template.json', 'deploy:azure@azure'),
    ('az deployment mg create --management-group-id mg --location eastus --template-file mg.bicep', 'deploy:azure@azure'),  # noqa: E501
    # negative: what-if
    ('az deployment group what-if --resource-group rg --template-file main.bicep', ''),
    # ---- fly-deploy --------------------------------------------------------------------------------
    # remix-run/blues-stack: .github/workflows/deploy.yml
    ('flyctl deploy --remote-only --build-arg COMMIT_SHA=${{ github.sha }} --app blues-stack-staging', 'build:fly deploy:fly@fly'),  # noqa: E501
    # openstatusHQ/openstatus: .github/workflows/deploy.yml
    ('flyctl deploy --config apps/server/fly.toml', 'build:fly deploy:fly@fly'),
    # openstatusHQ/openstatus: .github/workflows/deploy-checker.yml
    ('flyctl deploy --remote-only --wait-timeout=500', 'build:fly deploy:fly@fly'),
    # superfly docs: continuous deployment
    ('fly deploy --remote-only', 'build:fly deploy:fly@fly'),
    ('fly deploy -c fly.production.toml --strategy rolling', 'build:fly deploy:fly@fly'),
    # ---- vercel-deploy -----------------------------------------------------------------------------
    # vercel docs: GitHub Actions guide
    ('vercel deploy --prebuilt --prod --token=${{ secrets.VERCEL_TOKEN }}', 'deploy:vercel@vercel'),
    ('vercel --prod --token $VERCEL_TOKEN', 'deploy:vercel@vercel'),
    ('npx vercel deploy --prebuilt --token=$VERCEL_TOKEN', 'deploy:vercel@vercel'),
    ('vercel', 'deploy:vercel@vercel'),
    ('vercel deploy --yes', 'deploy:vercel@vercel'),
    # negatives: pulling settings and building locally are not deploys
    ('vercel pull --yes --environment=production --token=${{ secrets.VERCEL_TOKEN }}', ''),
    ('vercel build --prod --token=${{ secrets.VERCEL_TOKEN }}', ''),
    # ---- netlify-deploy ----------------------------------------------------------------------------
    # netlify/cli docs: netlify deploy
    ('netlify deploy --prod --dir=dist', 'deploy:netlify@netlify'),
    ('netlify deploy --dir=build --alias=preview-$PR', 'deploy:netlify@netlify'),
    ('npx netlify-cli deploy --prod --site $NETLIFY_SITE_ID --auth $NETLIFY_AUTH_TOKEN', 'deploy:netlify@netlify'),
    # hedgedoc/hedgedoc: .github/workflows/docs-netlify-deploy.yml (a pinned package; an expression pin)
    ('npx -y netlify-cli@26.0.0 deploy --prod --message "abc"', 'deploy:netlify@netlify'),
    ('npx -y netlify-cli@EXPR deploy --prod', 'deploy:netlify@netlify'),
    ('pnpm dlx netlify-cli@17 deploy --prod --dir dist', 'deploy:netlify@netlify'),
    ('netlify deploy --build --prod', 'deploy:netlify@netlify'),
    ('netlify deploy --dir public --message "Deploy from CI"', 'deploy:netlify@netlify'),
    # ---- heroku-deploy -----------------------------------------------------------------------------
    # heroku docs: git deploy
    ('git push heroku main', 'deploy:heroku@heroku'),
    ('git push -f heroku HEAD:master', 'deploy:heroku@heroku'),
    ('git push https://heroku:$HEROKU_API_KEY@git.heroku.com/$HEROKU_APP.git HEAD:main', 'deploy:heroku@heroku'),
    # heroku docs: container registry
    ('heroku container:release web --app my-app', 'deploy:heroku@heroku'),
    ('heroku container:push web -a my-app && heroku container:release web -a my-app', 'deploy:heroku@heroku'),
    # ---- dokku-deploy ------------------------------------------------------------------------------
    # dokku docs (deployment/application-deployment): the app's remote, named or by URL
    ('git push dokku main', 'deploy:dokku@dokku'),
    ('git push -f dokku@apps.acme.io:shop HEAD:main', 'deploy:dokku@dokku'),
    # dokku docs: the CLI over SSH (git:sync builds from a repository, ps:rebuild redeploys)
    ('ssh -o StrictHostKeyChecking=no dokku@apps.acme.io ps:rebuild shop', 'deploy:dokku@dokku'),
    ('dokku git:sync --build shop https://github.com/acme/shop.git main', 'deploy:dokku@dokku'),
    # dokku docs (deployment/methods/image): deploying an image built elsewhere
    ('ssh dokku@apps.acme.io git:from-image shop ghcr.io/acme/shop:1.2.3', 'deploy:dokku@dokku'),
    # negative: creating an app deploys nothing
    ('dokku apps:create shop', ''),
    # ---- platformsh-push / upsun-push ----------------------------------------------------------------
    # platformsh/cli: `platform push` and `platform environment:deploy`; docs: a push to the project's remote
    ('platform push --yes --target main', 'deploy:platformsh@platformsh'),
    ('~/.platformsh/bin/platform environment:deploy --yes -e staging', 'deploy:platformsh@platformsh'),
    ('platform redeploy -p $PROJECT_ID -e main --yes', 'deploy:platformsh@platformsh'),
    ('git push platform HEAD:main', 'deploy:platformsh@platformsh'),
    ('git push --force abcd1234@git.eu-5.platform.sh:abcd1234.git HEAD:main', 'deploy:platformsh@platformsh'),
    # Upsun demo READMEs and an export script: `upsun push`, with a project, target and --force
    ('upsun push', 'deploy:upsun@upsun'),
    ('upsun push -y', 'deploy:upsun@upsun'),
    ('upsun push -p "$PROJECT_ID" --target main --yes --force', 'deploy:upsun@upsun'),
    ('upsun push -p PROJECT_ID -e ENVIRONMENT_NAME', 'deploy:upsun@upsun'),
    ('upsun environment:redeploy -e main', 'deploy:upsun@upsun'),
    ('git push -f upsun main', 'deploy:upsun@upsun'),
    ('upsun environment:url -p "$PROJECT" -e "$ENV" --primary --pipe', ''),
    ('docker buildx build --platform linux/amd64 --push .', 'build:docker push:docker'),
    ('platform environment:list', ''),
    # ---- railway-up --------------------------------------------------------------------------------
    # railwayapp/cli: README.md
    ('railway up', 'deploy:railway@railway'),
    ('railway up --service api --detach', 'deploy:railway@railway'),
    ('railway up --environment production', 'deploy:railway@railway'),
    ('railway redeploy --service worker --yes', 'deploy:railway@railway'),
    ('railway up -s web -e staging', 'deploy:railway@railway'),
    # ---- wrangler-deploy ---------------------------------------------------------------------------
    # cloudflare/workers-sdk: wrangler docs
    ('wrangler deploy', 'deploy:cloudflare-workers@cloudflare'),
    ('npx wrangler deploy --env production', 'deploy:cloudflare-workers@cloudflare'),
    ('wrangler pages deploy ./dist --project-name=site', 'deploy:cloudflare-workers@cloudflare'),
    ('wrangler publish', 'deploy:cloudflare-workers@cloudflare'),
    ('npx wrangler pages deploy out --branch main', 'deploy:cloudflare-workers@cloudflare'),
    # ---- render-hook -------------------------------------------------------------------------------
    # render docs: deploy hooks
    ('curl "$RENDER_DEPLOY_HOOK_URL"', 'deploy:render@render'),
    ('curl -X POST https://api.render.com/deploy/srv-abc123?key=$RENDER_KEY', 'deploy:render@render'),
    ('curl -fsS "https://api.render.com/deploy/${RENDER_SERVICE_ID}?key=${RENDER_DEPLOY_KEY}"', 'deploy:render@render'),
    ('wget -qO- https://api.render.com/deploy/srv-xyz?key=k', 'deploy:render@render'),
    ('curl --request POST --url "https://api.render.com/deploy/$SERVICE?key=$KEY"', 'deploy:render@render'),
    # ---- vercel-hook -------------------------------------------------------------------------------
    # vercel docs: deploy hooks (by URL, and by the secret that holds it)
    ('curl -X POST https://api.vercel.com/v1/integrations/deploy/prj_abc123/XyZ9', 'deploy:vercel@vercel'),
    ('curl -X POST "https://api.vercel.com/v1/integrations/deploy/QmXyz/abc?buildCache=false"', 'deploy:vercel@vercel'),
    ('curl --request POST --url https://api.vercel.com/v1/integrations/deploy/prj_1/2', 'deploy:vercel@vercel'),
    ('wget --post-data="" https://api.vercel.com/v1/integrations/deploy/prj_1/hook', 'deploy:vercel@vercel'),
    ('curl -X POST "$VERCEL_DEPLOY_HOOK"', 'deploy:vercel@vercel'),
    # Vercel's documented query option; a name with the environment after it
    ('curl -X POST "$VERCEL_DEPLOY_HOOK?buildCache=false"', 'deploy:vercel@vercel'),
    ('curl -X POST $VERCEL_DEPLOY_HOOK_PRODUCTION', 'deploy:vercel@vercel'),
    ('curl -fsS -X POST $VERCEL_DEPLOY_HOOK_URL', 'deploy:vercel@vercel'),
    # negatives: a URL in a message is no call
    ('echo "hook: https://api.vercel.com/v1/integrations/deploy/prj_1/2"', ''),
    # ---- netlify-hook ------------------------------------------------------------------------------
    # netlify docs: build hooks
    ('curl -X POST -d {} https://api.netlify.com/build_hooks/5c23354f454e1350f8543e78', 'deploy:netlify@netlify'),
    ("curl -X POST -d '{}' \"https://api.netlify.com/build_hooks/$HOOK_ID?trigger_branch=main\"",
     'deploy:netlify@netlify'),
    ('curl -s -X POST https://api.netlify.com/build_hooks/abc123', 'deploy:netlify@netlify'),
    ('wget --post-data "" https://api.netlify.com/build_hooks/abc', 'deploy:netlify@netlify'),
    # the usual secret name (10+ public workflows)
    ('curl -X POST -d {} $NETLIFY_BUILD_HOOK', 'deploy:netlify@netlify'),
    ('curl -X POST -d {} "${NETLIFY_DEPLOY_HOOK_URL}"', 'deploy:netlify@netlify'),
    # ---- deploy-hook -------------------------------------------------------------------------------
    # lukevella/rallly: .github/workflows/release.yml (`${{ secrets.DEPLOY_HOOK }}`, read as `$DEPLOY_HOOK`)
    ('curl -X POST -d {} $DEPLOY_HOOK', 'deploy:deploy-hook@deploy-hook'),
    ('curl -X POST "$DEPLOY_HOOK_URL"', 'deploy:deploy-hook@deploy-hook'),
    ('curl -fsSL -X POST $PRODUCTION_DEPLOY_WEBHOOK', 'deploy:deploy-hook@deploy-hook'),
    ('wget -q -O- --post-data "" "${STAGING_DEPLOYHOOK}"', 'deploy:deploy-hook@deploy-hook'),
    ('curl -X POST $COOLIFY_DEPLOY_WEBHOOK -H "Authorization: Bearer $TOKEN"', 'deploy:deploy-hook@deploy-hook'),
    ('curl -X POST $DEPLOY_HOOK_PRODUCTION', 'deploy:deploy-hook@deploy-hook'),
    ('curl -fsS -X POST "$RUDDER_DEPLOY_HOOK?wait=1"', 'deploy:deploy-hook@deploy-hook'),
    ('then curl -X POST "$DEPLOY_HOOK"', 'deploy:deploy-hook@deploy-hook'),
    ('curl -X POST $STEAMSHIP_DEPLOY_HOOK', 'deploy:deploy-hook@deploy-hook'),
    # negatives: Render's hook is Render's; notifications named for deploys, hooks around a deploy,
    # and a header or document named for one deploy nothing
    ('curl "$RENDER_DEPLOY_HOOK_URL"', 'deploy:render@render'),
    ('curl -X POST -H "Content-type: application/json" "$SLACK_WEBHOOK_URL"', ''),
    ("curl -X POST -H 'Content-type: application/json' --data '{\"text\":\"done\"}' $SLACK_DEPLOY_WEBHOOK", ''),
    ('curl -X POST "$DISCORD_DEPLOY_WEBHOOK"', ''),
    ('curl -s $POST_DEPLOY_HOOK', ''),
    ("curl -d '{\"content\":\"Deployed!\"}' \"$DEPLOY_WEBHOOK_URL\"", ''),
    ('curl -H "X-Deploy-Hook: $DEPLOY_HOOK_SECRET" https://api.example.com/status', 'verify:curl'),
    # ---- kamal-deploy ------------------------------------------------------------------------------
    # basecamp/kamal: docs (commands/deploy)
    ('kamal deploy', 'deploy:kamal@servers'),
    ('kamal deploy -d staging', 'deploy:kamal@servers'),
    ('bin/kamal deploy', 'deploy:kamal@servers'),
    ('kamal setup', 'deploy:kamal@servers'),
    ('kamal redeploy --destination production', 'deploy:kamal@servers'),
    # ---- capistrano --------------------------------------------------------------------------------
    # capistrano/capistrano: README.md
    ('cap production deploy', 'deploy:capistrano@servers'),
    ('bundle exec cap staging deploy', 'deploy:capistrano@servers'),
    ('cap production deploy BRANCH=release', 'deploy:capistrano@servers'),
    ('bundle exec cap $STAGE deploy', 'deploy:capistrano@servers'),
    ('cap prod deploy:check && cap prod deploy', 'deploy:capistrano@servers deploy:capistrano@servers'),
    # ---- local-serve: a server started where the command runs (not a deploy) -------------------------
    # jenkins-docs/building-a-multibranch-pipeline-project jenkins/scripts/deploy-for-production.sh
    ('./node_modules/serve/build/main.js -s build -l 5000 &', 'serve:local-server'),
    # jenkins-docs/simple-node-js-react-npm-app jenkins/scripts/deliver.sh (its package.json `start`)
    ('react-scripts start', 'serve:local-server'),
    # vercel/serve README
    ('npx serve -s build -l 3000', 'serve:local-server'),
    # docker/awesome-compose django compose.yaml `command:`
    ('python3 manage.py runserver 0.0.0.0:8000', 'serve:local-server'),
    # http-party/http-server README
    ('npx http-server ./dist -p 8080', 'serve:local-server'),
    # vitejs/vite docs (static deploy: testing the app locally)
    ('vite preview --port 4173', 'serve:local-server'),
    # negatives: a production start command and a bare `serve` script name
    ('next start -p 3000', ''),
    ('npm run serve', 'indirect:npm@serve'),
    # ---- ansible-playbook --------------------------------------------------------------------------
    # 20tab/django-uwsgi-template: Makefile
    ('cd deploy && TARGET=alpha ansible-playbook -vv deploy.yml --skip-tags "init,database,restore"', 'deploy:ansible@servers'),  # noqa: E501
    # ansible docs
    ('ansible-playbook -i inventories/production site.yml', 'deploy:ansible@servers'),
    ('ansible-playbook -i hosts deploy.yml --extra-vars "version=$CI_COMMIT_TAG"', 'deploy:ansible@servers'),
    ('ansible-playbook playbooks/deploy.yml -l web --vault-password-file .vault', 'deploy:ansible@servers'),
    # negative: dry run
    ('ansible-playbook site.yml --check', ''),
    ('ansible-playbook -i inventory/staging deploy.yml -e env=staging', 'deploy:ansible@servers'),
    # ---- compose-up-remote -------------------------------------------------------------------------
    # appleboy/ssh-action equivalent in shell (docs)
    ('ssh -o StrictHostKeyChecking=no deploy@$HOST "cd /srv/app && docker compose pull && docker compose up -d"', 'deploy:docker-compose@servers'),  # noqa: E501
    ("ssh $SSH_USER@$SSH_HOST 'docker-compose -f docker-compose.prod.yml up -d --remove-orphans'", 'deploy:docker-compose@servers'),  # noqa: E501
    # docker docs: contexts
    ('docker --context production compose up -d', 'deploy:docker-compose@servers'),
    ('docker -H ssh://deploy@host compose up -d', 'deploy:docker-compose@servers'),
    ('ssh root@${SERVER} "docker compose -f /opt/app/compose.yml up -d --pull always"', 'deploy:docker-compose@servers'),  # noqa: E501
    # ---- docker-stack-deploy -----------------------------------------------------------------------
    # docker docs: swarm stack deploy
    ('docker stack deploy -c docker-compose.yml app', 'deploy:docker@servers'),
    ('docker stack deploy --compose-file docker-stack.yml --with-registry-auth prod', 'deploy:docker@servers'),
    ('docker --context swarm stack deploy -c stack.yml web', 'deploy:docker@servers'),
    ('docker -H ssh://manager stack deploy -c stack.prod.yml api', 'deploy:docker@servers'),
    ('docker stack deploy -c compose.yml -c compose.prod.yml app --prune', 'deploy:docker@servers'),
    # ---- rsync-deploy ------------------------------------------------------------------------------
    # common static site deploy
    ('rsync -avz --delete ./public/ deploy@example.com:/var/www/site/', 'deploy:rsync@servers'),
    ('rsync -az -e "ssh -p 2222" dist/ $USER@$HOST:/srv/app', 'deploy:rsync@servers'),
    ('rsync -rlvz --delete build/ www-data@192.0.2.10:/var/www/html', 'deploy:rsync@servers'),
    ('rsync -avz -e ssh ./_site/ user@server:/home/user/site', 'deploy:rsync@servers'),
    # negative: local copy
    ('rsync -a src/ dist/', ''),
    # ---- gke-deploy --------------------------------------------------------------------------------
    # GoogleCloudPlatform/cloud-builders: gke-deploy/README.md
    ('gke-deploy run --filename=kubernetes/ --image=gcr.io/$PROJECT_ID/app:$SHORT_SHA --location=us-central1-a --cluster=prod', 'deploy:kubernetes@kubernetes'),  # noqa: E501
    ('gke-deploy run -f k8s/ -i gcr.io/$PROJECT_ID/web:$COMMIT_SHA -l $_LOCATION -c $_CLUSTER', 'deploy:kubernetes@kubernetes'),  # noqa: E501
    ('gke-deploy apply --filename=expanded/ --location=europe-west1 --cluster=staging', 'deploy:kubernetes@kubernetes'),
    ('gke-deploy run --filename=config/ --app=api --version=$TAG_NAME --namespace=production --cluster=$_CLUSTER --location=$_REGION', 'deploy:kubernetes@kubernetes'),  # noqa: E501
    ('gke-deploy run -f manifests --cluster gke-prod --location us-east1 --timeout 10m', 'deploy:kubernetes@kubernetes'),  # noqa: E501
    # negative: preparing manifests without applying them
    ('gke-deploy prepare --filename=k8s/ --image=gcr.io/p/app:1 --output=out/', ''),
    # ---- gcs-deploy --------------------------------------------------------------------------------
    # GoogleCloudPlatform docs: hosting a static website (Cloud Build step)
    ('gsutil -m rsync -r -d build gs://$_BUCKET', 'deploy:gcp@google-cloud'),
    ('gsutil cp -r dist/* gs://www.example.com', 'deploy:gcp@google-cloud'),
    ('gsutil -h "Cache-Control:no-cache" cp index.html gs://$BUCKET_NAME/index.html', 'deploy:gcp@google-cloud'),
    ('gcloud storage rsync public gs://site-staging --recursive --delete-unmatched-destination-objects', 'deploy:gcp@google-cloud'),  # noqa: E501
    ('gsutil -m rsync -r out gs://${_SITE_BUCKET}', 'deploy:gcp@google-cloud'),
    # negative: downloading from a bucket
    ('gsutil cp gs://artifacts/app.tar.gz .', ''),
    # postgres-ai/database-lab-engine: engine/.gitlab-ci.yml (CLI binaries for download)
    ('gsutil -m cp -r bin/cli/* gs://database-lab-cli/master/', ''),
    ('gsutil cp dist/tool-linux-amd64.tar.gz gs://downloads/v1.2/', ''),
    # ---- helm-rollback -----------------------------------------------------------------------------
    # helm docs: helm_rollback.md
    ('helm rollback my-release 2', 'rollback:helm'),
    ('helm rollback api 0 --namespace production --wait', 'rollback:helm'),
    ('helm --kube-context prod rollback web', 'rollback:helm'),
    # helm docs
    ("helm rollback $RELEASE $(helm history $RELEASE -o json | jq '.[-2].revision') -n $NS", 'rollback:helm'),
    ('helm rollback podinfo --cleanup-on-fail', 'rollback:helm'),
    # ---- helm-atomic -------------------------------------------------------------------------------
    # helm docs: helm_upgrade.md
    ('helm upgrade --install --atomic --timeout 5m api ./chart -n prod', 'deploy:helm@kubernetes rollback:helm verify:helm'),  # noqa: E501
    ('helm upgrade app ./chart --install --atomic --wait --values values.prod.yaml', 'deploy:helm@kubernetes rollback:helm verify:helm'),  # noqa: E501
    ('helm install web ./chart --atomic', 'deploy:helm@kubernetes rollback:helm verify:helm'),
    # helm v4 docs
    ('helm upgrade --install api ./chart --rollback-on-failure', 'deploy:helm@kubernetes rollback:helm verify:helm'),
    ('helm upgrade --install --atomic --cleanup-on-fail release charts/app -f values-staging.yaml', 'deploy:helm@kubernetes rollback:helm verify:helm'),  # noqa: E501
    # ---- kubectl-undo ------------------------------------------------------------------------------
    # kubernetes docs: deployment rollback
    ('kubectl rollout undo deployment/nginx-deployment', 'rollback:kubernetes'),
    ('kubectl rollout undo deployment/web --to-revision=2', 'rollback:kubernetes'),
    ('kubectl -n prod rollout undo deploy/api', 'rollback:kubernetes'),
    # argo-rollouts docs: kubectl plugin
    ('kubectl argo rollouts undo rollouts-demo', 'rollback:kubernetes'),
    ('kubectl argo rollouts abort rollouts-demo', 'rollback:kubernetes'),
    # ---- heroku-rollback ---------------------------------------------------------------------------
    # heroku docs: releases
    ('heroku rollback', 'rollback:heroku'),
    ('heroku rollback v102 --app my-app', 'rollback:heroku'),
    ('heroku releases:rollback -a my-app', 'rollback:heroku'),
    ('heroku rollback --app $HEROKU_APP_NAME', 'rollback:heroku'),
    ('heroku releases:rollback v42 --app api-prod', 'rollback:heroku'),
    # ---- vercel-rollback ---------------------------------------------------------------------------
    # vercel docs: cli/rollback
    ('vercel rollback', 'rollback:vercel'),
    ('vercel rollback https://my-app-abc123.vercel.app --token=$VERCEL_TOKEN', 'rollback:vercel'),
    ('npx vercel rollback --yes', 'rollback:vercel'),
    ('vercel rollback $DEPLOYMENT_URL --scope team', 'rollback:vercel'),
    ('vercel rollback $PREVIOUS_DEPLOYMENT_URL --yes', 'rollback:vercel'),
    # ---- kamal-rollback ----------------------------------------------------------------------------
    # basecamp/kamal: docs/commands/rollback
    ('kamal rollback e5d9d7c2b898289dfbc5f7f1334140d984eedae4', 'rollback:kamal'),
    ('kamal rollback $PREVIOUS_VERSION -d production', 'rollback:kamal'),
    ('bin/kamal rollback abc123', 'rollback:kamal'),
    ('kamal rollback -d staging $VERSION', 'rollback:kamal'),
    ('kamal rollback --destination prod 1.2.3', 'rollback:kamal'),
    # ---- cap-rollback ------------------------------------------------------------------------------
    # capistrano docs
    ('cap production deploy:rollback', 'rollback:capistrano'),
    ('bundle exec cap staging deploy:rollback', 'rollback:capistrano'),
    ('cap production deploy:rollback ROLLBACK_RELEASE=20240101120000', 'rollback:capistrano'),
    ('bundle exec cap $STAGE deploy:rollback', 'rollback:capistrano'),
    ('cap prod deploy:rollback', 'rollback:capistrano'),
    # ---- gcloud-traffic ----------------------------------------------------------------------------
    # cloud run docs: rollbacks
    ('gcloud run services update-traffic api --to-revisions api-00042-abc=100', 'rollback:cloud-run'),
    ('gcloud run services update-traffic $SERVICE --to-revisions=$STABLE_REVISION=100 --region us-central1', 'rollback:cloud-run'),  # noqa: E501
    ('gcloud run services update-traffic $SERVICE --to-revisions=LATEST=100 --region us-central1', ''),
    ('gcloud beta run services update-traffic web --to-revisions web-00007=100', 'rollback:cloud-run'),
    ('gcloud run services update-traffic api --to-revisions=$PREVIOUS_REVISION=100 --platform managed', 'rollback:cloud-run'),  # noqa: E501
    # negative: routing to latest is not a rollback target
    ('gcloud run services update-traffic api --to-latest', ''),
    ('gcloud run services update-traffic api --to-revisions prev=100 --project $PROJECT', 'rollback:cloud-run'),
    # ---- argocd-rollback ---------------------------------------------------------------------------
    # argo-cd docs: argocd_app_rollback.md
    ('argocd app rollback guestbook', 'rollback:argocd'),
    ('argocd app rollback guestbook 3', 'rollback:argocd'),
    ('argocd app rollback $APP_NAME $HISTORY_ID --prune', 'rollback:argocd'),
    ('argocd app rollback api-prod --timeout 120', 'rollback:argocd'),
    ('argocd app rollback web 1 --grpc-web', 'rollback:argocd'),
    # ---- fly-image-rollback ------------------------------------------------------------------------
    # superfly community docs: roll back by redeploying an earlier image
    ('fly deploy --image registry.fly.io/my-app:$PREVIOUS_VERSION', 'deploy:fly@fly rollback:fly'),
    ('flyctl deploy --image $PREVIOUS_IMAGE --app my-app', 'deploy:fly@fly rollback:fly'),
    ('fly deploy -a api --image registry.fly.io/api@$ROLLBACK_DIGEST', 'deploy:fly@fly rollback:fly'),
    ('flyctl deploy --image=registry.fly.io/web:last-good', 'deploy:fly@fly rollback:fly'),
    ('fly deploy --image registry.fly.io/app:${PREVIOUS_TAG}', 'deploy:fly@fly rollback:fly'),
    # ---- serverless-rollback -----------------------------------------------------------------------
    # serverless docs: cli-reference/rollback.md
    ('serverless rollback --timestamp 1476790110568', 'rollback:serverless'),
    ('sls rollback -t 1476790110568 --stage prod', 'rollback:serverless'),
    ('sls rollback function -f my-function -v 23', 'rollback:serverless'),
    ('serverless rollback', 'rollback:serverless'),
    ('npx serverless rollback --timestamp $TS', 'rollback:serverless'),
    # ---- rollout-status ----------------------------------------------------------------------------
    # grafana/loki: operator/quickstart.sh
    ('kubectl rollout status deployment token-refresher', 'verify:kubernetes'),
    ('kubectl rollout status deployment/podinfo --timeout=2m', 'verify:kubernetes'),
    ('kubectl -n prod rollout status deploy/api', 'verify:kubernetes'),
    ('kubectl wait --for=condition=available --timeout=120s deployment/web', 'verify:kubernetes'),
    ('kubectl wait pods -l app=api --for=condition=Ready --timeout=90s', 'verify:kubernetes'),
    # ---- helm-wait ---------------------------------------------------------------------------------
    # stefanprodan/podinfo: test/e2e.sh
    ('helm upgrade --install --wait podinfo ./charts/podinfo --namespace=default', 'deploy:helm@kubernetes verify:helm'),  # noqa: E501
    ('helm install web ./chart --wait --timeout 10m', 'deploy:helm@kubernetes verify:helm'),
    ('helm upgrade --install --wait --atomic api ./chart', 'deploy:helm@kubernetes rollback:helm verify:helm'),
    ('helm upgrade api ./chart --wait-for-jobs --wait', 'deploy:helm@kubernetes verify:helm'),
    ('helm install app ./chart --wait -n staging', 'deploy:helm@kubernetes verify:helm'),
    # ---- helm-test ---------------------------------------------------------------------------------
    # helm docs: chart_tests.md
    ('helm test my-release', 'verify:helm'),
    ('helm test podinfo --logs', 'verify:helm'),
    ('helm test $RELEASE -n $NAMESPACE --timeout 5m', 'verify:helm'),
    ('helm test api --filter name=smoke', 'verify:helm'),
    ('helm test web', 'verify:helm'),
    # ---- ecs-wait ----------------------------------------------------------------------------------
    # aws docs: ecs wait
    ('aws ecs wait services-stable --cluster prod --services api', 'verify:aws-ecs'),
    ('aws ecs wait services-stable --cluster $CLUSTER --services $SERVICE --region $AWS_REGION', 'verify:aws-ecs'),
    ('aws ecs wait services-stable --cluster app --services web worker', 'verify:aws-ecs'),
    ('aws --region eu-west-1 ecs wait services-stable --cluster c --services s', 'verify:aws-ecs'),
    ('aws ecs wait services-stable --services ${SERVICE_NAME} --cluster ${CLUSTER_NAME}', 'verify:aws-ecs'),
    # ---- health-curl -------------------------------------------------------------------------------
    # formbricks/formbricks: .github/workflows/docker-build-validation.yml
    ('if curl -f -s -m 10 http://localhost:3000/health >/dev/null 2>&1; then', 'verify:curl'),
    ('curl -fsS https://staging.example.com/healthz', 'verify:curl'),
    ('curl --retry 10 --retry-connrefused --fail https://$APP_HOST/api/health', 'verify:curl'),
    ('wget --spider -q http://localhost:8080/actuator/health', 'verify:curl'),
    ('curl -s -o /dev/null -w "%{http_code}" https://api.example.com/status', 'verify:curl'),
    ('http --check-status GET https://app.example.com/ping', 'verify:curl'),
    # negative: downloading a tool
    ('curl -sSL https://get.helm.sh/helm-v3.15.0-linux-amd64.tar.gz -o helm.tgz', ''),
    # ---- smoke-test --------------------------------------------------------------------------------
    # stefanprodan/podinfo style: test/e2e.sh
    ('./scripts/smoke-test.sh https://staging.example.com', 'verify:smoke-test'),
    ('npm run test:smoke', 'verify:smoke-test'),
    ('make smoke', 'verify:smoke-test'),
    ('pytest -m smoke tests/', 'test:pytest@unit verify:smoke-test'),
    ('bash ci/smoke_tests.sh', 'verify:smoke-test'),
    # CircleCI-Public/circleci-demo-aws-ecs-ecr: .circleci/config.yml (post-steps "Test the deployment")
    ('curl -s --retry 10 http://$ELB_DNS_NAME | grep "Welcome to nginx!"', 'verify:curl'),
    ('curl -sSf https://$APP_URL/ | grep -q "<title>Acme</title>"', 'verify:curl'),
    # negative: grep of a downloaded tool version
    ('curl -sSL https://raw.githubusercontent.com/acme/tool/main/VERSION -o VERSION', ''),
    # ---- repository-dispatch ---- saleor/saleor .github/workflows/create-tag-with-release-pr.yml
    ('gh api /repos/saleor/saleor-multitenant/dispatches --input - <<< "$payload"', "handoff:github"),
    # canonical/sonic-buildimage docs: a workflow_dispatch event through the REST API
    ("gh api --method POST repos/canonical/sonic-buildimage/actions/workflows/resolute-build.yml/dispatches "
     "-f ref=202605_resolute", "handoff:github"),
    # docs.github.com REST "Create a repository dispatch event"
    ("curl -L -X POST -H \"Accept: application/vnd.github+json\" -H \"Authorization: Bearer $TOKEN\" "
     "https://api.github.com/repos/OWNER/REPO/dispatches -d '{\"event_type\":\"on-demand-test\"}'", "handoff:github"),
    # docs.github.com REST "Create a workflow dispatch event"
    ("curl -L -X POST -H \"Authorization: Bearer $TOKEN\" "
     "https://api.github.com/repos/OWNER/REPO/actions/workflows/WORKFLOW_ID/dispatches -d '{\"ref\":\"main\"}'",
     "handoff:github"),
    # cli.github.com manual (gh api): `repos/{owner}/{repo}/dispatches` with a field
    ("gh api repos/acme/infra/dispatches -f event_type=deploy-production", "handoff:github"),
    # negatives: the API's other endpoints
    ("gh api repos/cli/cli/releases --jq '.[0].tag_name'", ""),
    # ---- eas-build ---- linkwarden/linkwarden .github/workflows/mobile-android.yml
    ("eas build --platform android --profile production --local --non-interactive --output build.aab",
     "build:expo-eas"),
    # linkwarden/linkwarden .github/workflows/mobile-ios.yml
    ("eas build --platform ios --profile ${{ inputs.profile }} --local --non-interactive --output build.ipa",
     "build:expo-eas"),
    # docs.expo.dev "Create your first build"
    ("eas build --platform all", "build:expo-eas"),
    # expo/expo-github-action README: EAS through npx
    ("npx eas-cli@latest build --platform all --non-interactive --no-wait", "build:expo-eas"),
    # docs.expo.dev "Build locally"
    ("npx eas-cli build -p android --profile preview --local", "build:expo-eas"),
    # negatives: configuring and listing builds build nothing
    ("eas build:configure", ""),
    ("eas build:list --status finished", ""),
    # ---- eas-submit ---- linkwarden/linkwarden .github/workflows/mobile-android.yml
    ("eas submit --platform android --profile production --path build.aab --non-interactive",
     "deploy:expo-eas@app-stores"),
    # linkwarden/linkwarden .github/workflows/mobile-ios.yml
    ("eas submit --platform ios --profile production --path build.ipa --non-interactive",
     "deploy:expo-eas@app-stores"),
    # docs.expo.dev "Submit to app stores"
    ("eas submit -p ios --latest", "deploy:expo-eas@app-stores"),
    # docs.expo.dev "Automate submissions": a build submitted as soon as it is done
    ("eas build --platform all --auto-submit", "build:expo-eas deploy:expo-eas@app-stores"),
    # expo/expo-github-action README
    ("npx eas-cli@latest submit --platform android --latest --non-interactive", "deploy:expo-eas@app-stores"),
]


def _label(c: Classification) -> str:
    extra = c.level or c.target or (c.detail.get("script") if c.kind == "indirect" else None)
    label = f"{c.kind}:{c.tool}" + (f"@{extra}" if extra else "")
    registries = [r["id"] for r in c.detail.get("registries", [])]
    return label + (">" + ",".join(registries) if registries else "")


def _classified(line: str) -> list[Classification]:
    return [c for part in split_commands(line) for c in classify(part.text)]


@pytest.mark.parametrize(("line", "expected"), ROWS, ids=[f"{i}:{line[:40]}" for i, (line, _) in enumerate(ROWS)])
def test_row(line: str, expected: str) -> None:
    assert " ".join(_label(c) for c in _classified(line)) == expected


def test_needles_never_veto_a_match() -> None:
    # A rule's needles only skip searches that cannot match: every command of the table, and
    # every command unwrapped from it, that a pattern matches holds one of its needles.
    texts = {text for line, _ in ROWS for part in split_commands(line) for text in (part.text, *unwrap(part.text))}
    matched = 0
    for rule in rules():
        for text in texts:
            if rule.pattern.search(text):
                matched += 1
                assert rule.search(text), (rule.id, text)
    assert matched > len(ROWS) / 2


def test_every_pattern_compiles() -> None:
    # Rules compile their regexes on first use; a broken one must still fail here, not mid-scan.
    for rule in rules():
        assert rule.pattern.pattern == rule.pattern_text, rule.id
        assert rule.unless is None or rule.unless.pattern == rule.unless_text, rule.id


def _rule_files() -> dict[str, list[dict[str, object]]]:
    folder = resources.files("infrascan").joinpath("data/commands")
    return {
        item.name: yaml.safe_load(item.read_bytes()) or []
        for item in sorted(folder.iterdir(), key=lambda i: i.name)
        if item.name.endswith(".yaml")
    }


def _owned(name: str) -> bool:
    """Files 00-69 are this table's; 70 and later belong to other detectors' tests."""
    return int(name.split("-", 1)[0]) < 70


def test_concurrently_runs_each_command_and_script_it_is_given() -> None:
    # jhipster's `ci:e2e:run`: options with values, npm: shortcuts; a README's quoted commands
    assert unwrap("concurrently -k -s first -n application,e2e -c red,blue npm:app:start npm:e2e:headless") == [
        "concurrently -k -s first -n application,e2e -c red,blue npm:app:start npm:e2e:headless",
        "npm run app:start", "npm run e2e:headless"]
    assert [c.detail.get("script") or c.tool for c in classify('npx concurrently "npm run dev" "cypress run"')] == \
        ["cypress"]  # a command a rule names wins over the indirection beside it, as on any line
    assert [c.detail["script"] for c in classify("concurrently npm:api yarn:web")] == ["api", "web"]
    # options that take a value, and pnpm without `exec` (the code review)
    assert unwrap('pnpm concurrently --hide 0 --kill-signal SIGINT "npm run serve" "npm run e2e"')[1:] == [
        "npm run serve", "npm run e2e"]


def test_every_rule_of_the_classifier_has_five_rows() -> None:
    fired: Counter[str] = Counter()
    for line, _ in ROWS:
        for c in _classified(line):
            fired[c.rule] += 1
            fired.update(r["id"] for r in c.detail.get("registries", []))
    owned = [str(rule["id"]) for name, entries in _rule_files().items() if _owned(name) for rule in entries]
    thin = {rule_id: fired[rule_id] for rule_id in owned if fired[rule_id] < 5}
    assert not thin, f"rules with fewer than five real-world rows: {thin}"


def test_rules_added_by_detectors_are_pinned_by_their_tests() -> None:
    tests = Path(__file__).parent
    text = "\n".join(p.read_text(encoding="utf-8") for p in tests.rglob("test_*.py"))
    for name, entries in _rule_files().items():
        if _owned(name):
            continue
        for rule in entries:
            assert str(rule["id"]) in text, f"{name}: rule {rule['id']} has no test row"


def test_rule_ids_are_unique_and_well_formed() -> None:
    ids = [r.id for r in rules()]
    assert len(ids) == len(set(ids))
    for rule in rules():
        assert rule.kind in (
            "build",
            "push",
            "test",
            "deploy",
            "rollback",
            "migrate",
            "migrate-rollback",
            "verify",
            "serve",
            "indirect",
            "registry",
            "backup",
            "handoff",
        ), rule.id
        if rule.kind == "test":
            assert rule.level in ("unit", "integration", "e2e", "performance"), rule.id
        if rule.kind == "deploy":
            assert rule.target, rule.id


# ---- details: where an image goes, what a deploy names ---------------------------------------


def test_push_names_image_and_registry() -> None:
    # GitLab docs: ci/docker/using_docker_build.md
    (push,) = classify("docker push $CI_REGISTRY_IMAGE:$CI_COMMIT_REF_SLUG")
    assert push.detail["images"] == ["$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_SLUG"]
    assert push.detail["registries"] == [
        {"id": "gitlab-registry", "name": "GitLab Container Registry", "host": "$CI_REGISTRY_IMAGE"}
    ]
    # docker/docs: multi-platform builds; the build names the same image the push sends
    build, push = classify("docker buildx build --platform linux/amd64 -t ghcr.io/acme/app:1.2.3 --push .")
    assert build.kind == "build" and push.kind == "push"
    assert push.detail["registries"][0]["name"] == "GitHub Container Registry"
    assert push.detail["registries"][0]["host"] == "ghcr.io"


def test_kaniko_destination_is_the_pushed_image() -> None:
    # GoogleContainerTools/kaniko README: several --destination flags push several tags
    found = classify(
        "/kaniko/executor --context . --destination=123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:1 "
        "--destination 123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:latest"
    )
    push = next(c for c in found if c.kind == "push")
    assert len(push.detail["images"]) == 2
    assert [r["id"] for r in push.detail["registries"]] == ["ecr"]


def test_registry_of_references() -> None:
    assert registry_of("europe-west1-docker.pkg.dev/p/r/app:1").name == "Google Artifact Registry"  # type: ignore[union-attr]
    assert registry_of("api:1") is None  # a local tag goes nowhere
    assert registry_of("$IMAGE") is None  # unknown until the variable is known


def test_deploy_detail_names_app_config_and_namespace() -> None:
    # remix-run/blues-stack: .github/workflows/deploy.yml
    build, deploy = classify("flyctl deploy --remote-only --app blues-stack-staging")
    assert build.kind == "build" and deploy.detail["app"] == ["blues-stack-staging"]
    # helm docs: values file and namespace say the environment
    deploy = classify("helm upgrade --install api ./chart -f values-prod.yaml -n production")[0]
    assert deploy.detail["files"] == ["values-prod.yaml"] and deploy.detail["namespace"] == ["production"]


@pytest.mark.parametrize(
    ("line", "output"),
    [
        # gitlabhq/gitlab-runner: .gitlab/ci/release.gitlab-ci.yml (`cd scripts/pusher && go build`)
        ("go build", OUTPUT_DIR_NAME),
        ("go build .", OUTPUT_DIR_NAME),
        # stefanprodan/podinfo: Makefile
        ('go build -ldflags "-s -w" -a -o bin/podinfo cmd/podinfo/*', "bin/podinfo"),
        ("go build -tags netgo ./cmd/helper", "helper"),
        ("go build -o=out/probe main.go", "out/probe"),
        ("go build main.go", "main"),
        ("go build -v ./...", ""),  # several packages: nothing is written
    ],
)
def test_go_build_names_the_program_it_writes(line: str, output: str) -> None:
    (build,) = classify(line)
    assert build.detail["output"] == output


def test_a_command_kept_in_a_variable_is_that_command() -> None:
    # netbox's upgrade.sh: `COMMAND="python3 netbox/manage.py migrate"`, then `eval $COMMAND`; the
    # assignment was taken for an env prefix, and the command shown as `netbox/manage.py migrate"`
    [found] = classify('COMMAND="python3 netbox/manage.py migrate"')
    assert (found.kind, found.command) == ("migrate", "python3 netbox/manage.py migrate")
    assert unwrap("FOO='a b' bin/rails db:migrate") == ["bin/rails db:migrate"]  # an env prefix, as before
    assert classify("VERSION=1.2.3") == []
    # a message that names a command runs nothing (review: `HINT=` in a deploy script was a deploy)
    assert classify('HINT="helm upgrade --install web ./chart"') == []
    [stored] = classify('MIGRATE_CMD="bin/rails db:migrate"')
    assert stored.command == "bin/rails db:migrate"


def test_indirect_keeps_the_script_name() -> None:
    (found,) = classify("npm run test:e2e -- --headed")
    assert (found.kind, found.detail["script"]) == ("indirect", "test:e2e")


# ---- levels from names: jobs and steps say `integration` and `e2e` as often as commands -------


@pytest.mark.parametrize(
    ("level", "names", "expected"),
    [
        ("unit", ("integration-tests",), "integration"),  # CircleCI job names
        ("unit", ("test", "Run e2e suite"), "e2e"),
        ("unit", ("test:unit",), "unit"),
        ("unit", ("pytest -m 'not integration'",), "unit"),  # an excluded level is not the level run
        ("e2e", ("integration",), "e2e"),  # a browser test stays a browser test
        ("unit", ("Acceptance",), "e2e"),
    ],
)
def test_level_from_names(level: str, names: tuple[str, ...], expected: str) -> None:
    assert level_from_names(level, *names) == expected


def test_split_commands_keeps_quoted_operators_and_offsets() -> None:
    script = 'echo start\nssh deploy@host "cd /srv && docker compose up -d" && \\\n  curl -f https://x/health\n'
    commands = split_commands(script)
    assert [c.text for c in commands] == [
        "echo start",
        'ssh deploy@host "cd /srv && docker compose up -d"',
        "curl -f https://x/health",
    ]
    assert [c.offset for c in commands] == [0, 1, 1]


def test_split_commands_joins_a_quoted_string_that_spans_lines() -> None:
    """listmonk's nightly release: `--notes "` opens a string that closes five lines down; the
    options after it (`--prerelease`, the archives it uploads) belong to the same command."""
    script = (
        'gh release create nightly \\\n  --notes "\n> **Warning**: it\'s a nightly build\n\n'
        'Built from: $(git rev-parse --short HEAD)" \\\n  --prerelease \\\n  dist/*.tar.gz\nmake dist\n'
    )
    commands = split_commands(script)
    assert [c.offset for c in commands] == [0, 7]
    assert commands[0].text.startswith('gh release create nightly  --notes " > **Warning**')
    assert commands[0].text.endswith('"  --prerelease  dist/*.tar.gz')
    assert commands[1].text == "make dist"


def test_split_commands_leaves_stray_quotes_comments_and_heredocs_alone() -> None:
    # a quote no later line closes: the lines stay apart, as they were
    assert [c.text for c in split_commands('echo "unclosed\nnpm test')] == ['echo "unclosed', "npm test"]
    # an apostrophe in a comment opens nothing
    assert [c.text for c in split_commands("make build # don't push\nmake push # it's 'fine\nnpm test")] == [
        "make build # don't push", "make push # it's 'fine", "npm test"]
    # nor one in a heredoc's body, whose lines are what `ssh` runs there
    script = "ssh deploy@host <<'EOF'\necho it's deploying\ndocker compose up -d\nEOF\necho 'done'"
    assert [c.text for c in split_commands(script)] == [
        "ssh deploy@host <<'EOF'", "echo it's deploying", "docker compose up -d", "EOF", "echo 'done'"]


def test_split_commands_keeps_command_substitutions_whole() -> None:
    # docker-zulip's manifest step: a `$(for ...; do ...; done)` argument was cut into three commands
    line = 'docker buildx imagetools create $(for t in "${TAGS[@]}"; do echo "-t $t"; done) $(printf x)'
    assert [c.text for c in split_commands(line)] == [line]
    assert [c.text for c in split_commands("a $(b; c) && d; echo `x; y`; z")] == ["a $(b; c)", "d", "echo `x; y`", "z"]


# ---- indirection: what `npm test`, `make ci`, `just e2e` and `task deploy` run (infrascan.tasks) --
# A Bitbucket pipeline is the caller here; every CI detector resolves indirection the same way.

_PIPELINE = """\
pipelines:
  default:
    - step:
        name: checks
        script:
          - npm test
          - make ci
          - just e2e
          - task deploy
          - npm run loop
"""
# Modelled on calcom/cal.com package.json (test -> test:unit/e2e chains), kubernetes-style Makefiles
# calling other targets, casey/just justfiles and go-task Taskfiles; `loop` calls itself back.
_INDIRECTION = {
    "bitbucket-pipelines.yml": _PIPELINE,
    "package.json": (
        '{"scripts": {"test": "npm run test:unit && npm run test:int", "test:unit": "vitest run",'
        ' "test:int": "pytest -m integration", "loop": "npm run loop2", "loop2": "npm run loop"}}'
    ),
    "Makefile": "ci: lint unit\n\t$(MAKE) unit\n\nunit:\n\tgo test ./...\n\nlint:\n\tgolangci-lint run\n",
    "justfile": "e2e:\n    npx playwright test --project=chromium\n",
    "Taskfile.yml": "version: '3'\ntasks:\n  deploy:\n    cmds:\n      - helm upgrade --install web ./chart -n web\n",
}


@pytest.fixture(scope="module")
def indirection(tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    return scan_tree(tmp_path_factory.mktemp("indirection"), _INDIRECTION)


def test_npm_script_chain_resolves_to_each_tool(indirection: Scanned) -> None:
    unit = {f.attrs["tool"]: f for f in facts_for(indirection.model, "ci.test.unit")}
    assert unit["vitest"].text.startswith("vitest via npm test in job checks")
    evidence = [(ev.path, ev.line) for ev in unit["vitest"].evidence]
    assert evidence == [("package.json", 1), ("bitbucket-pipelines.yml", 6)]
    integration = {f.attrs["tool"] for f in facts_for(indirection.model, "ci.test.integration")}
    assert "pytest" in integration  # `-m integration` in the script the chain reaches


def test_make_just_and_task_targets_resolve(indirection: Scanned) -> None:
    unit = {f.attrs["tool"] for f in facts_for(indirection.model, "ci.test.unit")}
    assert "go" in unit  # make ci -> $(MAKE) unit -> go test
    (e2e,) = facts_for(indirection.model, "ci.test.e2e")
    assert e2e.text.startswith("playwright via just e2e")
    (deploy,) = facts_for(indirection.model, "ci.deploy.automated")
    assert "deploys with Helm (environment not named" in deploy.text
    assert any(ev.path == "Taskfile.yml" for ev in deploy.evidence)


def test_script_cycles_end_quietly(indirection: Scanned) -> None:
    fields = ("ci.test.unit", "ci.test.integration")
    claimed = {f.attrs["tool"] for field in fields for f in facts_for(indirection.model, field)}
    assert "npm" not in claimed  # `npm run loop` reaches nothing but itself: no fact, no hang


def test_folded_commands_are_found_after_the_one_before() -> None:
    # the code review's cases: a command whose first words an earlier one repeats, and a command
    # whose first words an echo mentions first
    from infrascan.commands import folded_offsets

    for block, lines in ((["docker build -t a . && docker push a;", "docker push b;"], [0, 0, 1]),
                         (["echo deploying with helm upgrade;", "helm upgrade b ./c"], [0, 1])):
        assert folded_offsets(block, split_commands(" ".join(block))) == lines


def test_a_folded_block_under_a_list_item_key_ends_at_the_key_s_siblings() -> None:
    from infrascan.detectors._pipelines import folded_block

    lines = ["    steps:", "      - run: >", "          echo a", "        env:", "          X: 1"]
    assert folded_block(lines, 2) == ["          echo a"]
    assert folded_block(["  args:", "  - >", "    gcloud x;", "    skaffold run;", "timeout: 1"], 2) == \
        ["    gcloud x;", "    skaffold run;"]


def test_a_task_that_calls_other_tasks_is_followed_into_them(tmp_path: Path) -> None:
    """filebrowser's CI runs `task build`, whose cmds are `- task: build:frontend` and `- task:
    build:backend` (and a task's `deps` run first): the build step was missing from the document."""
    taskfile = (
        "version: '3'\ntasks:\n  build:frontend:\n    dir: frontend\n    cmds:\n      - pnpm run build\n"
        "  build:backend:\n    cmds:\n      - go build -o app .\n"
        "  build:\n    cmds:\n      - task: build:frontend\n      - task: build:backend\n"
        "  dist:\n    deps: [build:backend]\n"
    )
    workflow = ("on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: task build\n"
                "  dist:\n    runs-on: ubuntu-latest\n    steps:\n      - run: task dist\n")
    scanned = scan_tree(tmp_path, {"Taskfile.yml": taskfile, ".github/workflows/ci.yml": workflow})
    builds = [f.text for f in facts_for(scanned.model, "ci.build")]
    assert any(t.startswith("task build → pnpm run build, go build -o app . in job build") for t in builds), builds
    assert any(t.startswith("task dist → go build -o app . in job dist") for t in builds), builds


def test_a_profile_names_an_environment_only_for_a_tool_whose_profiles_are_environments() -> None:
    # Expo's build profiles are environments; an AWS CLI profile is a set of credentials
    [eas] = classify("eas submit --platform ios --profile production")
    assert eas.detail.get("env_flag") == ["production"]
    for command in ("aws s3 sync dist s3://site --profile ci-deployer", "sam deploy --profile sandbox"):
        assert all("env_flag" not in c.detail for c in classify(command)), command
