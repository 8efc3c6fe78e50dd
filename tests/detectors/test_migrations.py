"""The migrations detector: tools found by their files, rollback counts, and migrations nothing applies.

Fixtures under tests/fixtures/migrations/ name their models in a comment; the JSON journal of
`drizzle/` is modelled on openstatusHQ/openstatus packages/db/drizzle/meta/_journal.json and the
package.json files on the scripts of remix-run/blues-stack.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import FIXTURES, Scanned, facts_for, scan_tree
from infrascan.detectors.migrations import MigrationsDetector, _block_verdict

from infrascan.commands import classify
from infrascan.model import Confidence, Evidence, Fact


def tree(*names: str) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {}
    for name in names:
        root = FIXTURES / "migrations" / name
        for path in sorted(root.rglob("*")):
            if path.is_file():
                files[path.relative_to(root).as_posix()] = path.read_text(encoding="utf-8")
    return files


def rollback(scanned: Scanned, item: str) -> Fact:
    found = [f for f in facts_for(scanned.model, "deploy.migration.rollback") if f.item == item]
    assert len(found) == 1, (item, [f.item for f in facts_for(scanned.model, "deploy.migration.rollback")])
    return found[0]


def unapplied(scanned: Scanned) -> list[Fact]:
    return [f for f in facts_for(scanned.model, "deploy.migration.strategy") if f.item.startswith("unapplied:")]


# -- per-tool rollback counts --------------------------------------------------------------------

CASES = [
    ("alembic", "alembic:alembic/migrations/versions", 1, 3, ["`downgrade()` is empty", "`downgrade()` raises"]),
    ("django", "django-migrations:django/shop/migrations", 2, 4, ["`RunPython` without `reverse_code`"]),
    ("rails", "rails-migrations:rails/db/migrate", 3, 5, ["raises `IrreversibleMigration`", "cannot reverse"]),
    ("knex", "knex:knex/migrations", 2, 3, ["empty down step"]),
    ("kysely", "kysely:kysely/apps/server/src/database/migrations", 1, 2, ["empty down step"]),
    ("golang", "golang-migrate:golang/db/migrations", 1, 3, ["no non-empty `.down.sql`"]),
    ("goose", "goose:goose/db/migrations", 1, 2, ["empty `-- +goose Down` section"]),
    ("dbmate", "dbmate:dbmate/db/migrations", 1, 1, []),
    ("sequelize", "sequelize:sequelize/migrations", 1, 2, ["empty down step"]),
    ("typeorm", "typeorm:typeorm/src/migrations", 0, 1, ["empty down step"]),
    ("efcore", "ef-core:efcore/Data/Migrations", 1, 1, []),
    ("laravel", "laravel-migrations:laravel/database/migrations", 2, 3, ["empty down step"]),
    (
        "ecto",
        "ecto:ecto/priv/repo/migrations",
        3,
        6,
        ["only `up`", "`modify` without `from:`", "`execute` with no reverse"],
    ),
    ("phinx", "phinx:phinx/config/Migrations", 1, 4, ["only `up()`", "empty `down()`", "raw SQL"]),
    ("doctrine", "doctrine-migrations:doctrine/module/Core/migrations", 1, 6,
     ["only `up()`", "empty `down()`", "irreversible-migration exception"]),
    ("liquibase", "liquibase:liquibase/src/main/resources/db/changelog", 3, 5, []),
    ("flyway", "flyway:flyway/src/main/resources/db/migration", 1, 2, []),
]


@pytest.fixture(scope="module")
def every_tool(tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    """All tool fixtures side by side in one repository (each in its own folder), scanned once."""
    files = {f"{name}/{path}": text for name, *_ in CASES for path, text in tree(name).items()}
    return scan_tree(tmp_path_factory.mktemp("tools"), files)


@pytest.mark.parametrize(("fixture", "item", "down", "total", "reasons"), CASES, ids=[c[0] for c in CASES])
def test_rollback_counts(
    every_tool: Scanned, fixture: str, item: str, down: int, total: int, reasons: list[str]
) -> None:
    fact = rollback(every_tool, item)
    assert fact.confidence is Confidence.DECLARED
    assert (fact.attrs["down"], fact.attrs["migrations"]) == (down, total)
    rendered = "".join(f"`{p.text}`" if not isinstance(p, str) else p for p in fact.parts)
    for reason in reasons:
        assert reason in rendered, (reason, rendered)


def test_every_tool_without_an_apply_step_gets_a_hint(every_tool: Scanned) -> None:
    hinted = {f.item for f in unapplied(every_tool)}
    assert hinted == {f"unapplied:{item}" for _, item, *_ in CASES}
    assert all(f.confidence is Confidence.HINT for f in unapplied(every_tool))


def test_django_file_that_does_not_parse_is_a_diagnostic_and_still_counted(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, tree("django"))
    assert [d.line for d in scanned.model.diagnostics if d.path == "shop/migrations/0004_py2.py"] == [4]
    assert "1 could not be read" in rollback(scanned, "django-migrations:shop/migrations").text


def test_ecto_words_inside_strings_are_not_calls(tmp_path: Path) -> None:
    """mobilizon's create_search_indexes prints "manually execute them" inside a string."""
    files = {k: v for k, v in tree("ecto").items() if "create_search_indexes" in k or "create_accounts" in k}
    fact = rollback(scan_tree(tmp_path, files), "ecto:priv/repo/migrations")
    assert (fact.attrs["down"], fact.attrs["migrations"]) == (2, 2)


def test_prisma_is_forward_only_counted_from_the_file_list(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, tree("prisma"))
    fact = rollback(scanned, "prisma:prisma/migrations")
    assert "forward-only (Prisma has no down migrations); 4 migrations in prisma/migrations" in fact.text
    assert fact.evidence[0].path == "prisma/migrations/migration_lock.toml"
    provider = [f for f in facts_for(scanned.model, "env.database") if "Prisma datasource provider" in f.text]
    assert len(provider) == 1 and provider[0].confidence is Confidence.HINT and provider[0].env is None
    assert provider[0].evidence[0].line == 3


def test_drizzle_counts_its_journal(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, tree("drizzle"))
    fact = rollback(scanned, "drizzle:drizzle")
    assert "forward-only (drizzle-kit has no down migrations); 2 migrations in drizzle" in fact.text
    assert any("Drizzle dialect turso" in f.text for f in facts_for(scanned.model, "env.database"))


def test_flyway_undo_scripts_and_runtime_dependency(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, tree("flyway"))
    fact = rollback(scanned, "flyway:src/main/resources/db/migration")
    assert "1 of 2 versioned migrations" in fact.text and "U{version}__*.sql" in fact.text
    (hint,) = unapplied(scanned)
    assert hint.confidence is Confidence.HINT
    assert "org.flywaydb:flyway-core is a runtime dependency in pom.xml" in hint.text
    # traccar calls Liquibase without Spring: the library alone says the program may apply them
    assert "a JVM program of that project may apply them itself as it starts (Spring Boot runs Flyway then" \
        in hint.text


def test_a_goose_go_migration_whose_down_only_returns_nil_cannot_roll_back(tmp_path: Path) -> None:
    # navidrome: 80 of its 95 Go migrations register a down function that only returns nil ("121 of
    # 128 can be rolled back" was about 40)
    def go(name: str, down_body: str, down: str = "down") -> str:
        registered = down if down == "nil" else down + name
        return ("package migrations\n\nimport (\n\t\"context\"\n\t\"database/sql\"\n\n"
                "\t\"github.com/pressly/goose/v3\"\n)\n\n"
                f"func init() {{\n\tgoose.AddMigrationContext(up{name}, {registered})\n}}\n\n"
                f"func up{name}(ctx context.Context, tx *sql.Tx) error {{\n\t_, err := tx.ExecContext(ctx, \"x\")\n"
                f"\treturn err\n}}\n\nfunc down{name}(ctx context.Context, tx *sql.Tx) error {{\n{down_body}}}\n")

    files: dict[str, str | bytes] = {
        "db/migrations/20200130083147_create_schema.go": go("A", "\treturn nil\n"),
        "db/migrations/20260720015443_ids.go": go("B", "\t// This code is executed when the migration is rolled back.\n"
                                                       "\treturn nil // irreversible data migration\n"),
        "db/migrations/20260801000000_drop.go": go("C", "\t_, err := tx.ExecContext(ctx, \"drop\")\n\treturn err\n"),
        "db/migrations/20260901000000_none.go": go("D", "\treturn nil\n", down="nil"),
        "db/migrations/20260901500000_err.go": go("E", '\treturn errors.New("irreversible")\n'),
        "db/migrations/20260902000000_sql.sql": ("-- +goose Up\nCREATE TABLE t (id int);\n"
                                                 "-- +goose Down\nDROP TABLE t;\n"),
    }
    fact = rollback(scan_tree(tmp_path, files), "goose:db/migrations")
    assert (fact.attrs["down"], fact.attrs["migrations"]) == (2, 6)
    assert "down function only returns nil (2)" in fact.text and "no down function (1)" in fact.text
    assert "down function only returns an error (1)" in fact.text
    assert fact.evidence[0] == Evidence("db/migrations/20200130083147_create_schema.go", 19, "migrations")


def test_goose_as_a_library_of_the_enclosing_module_may_apply_its_migrations(tmp_path: Path) -> None:
    """grafana/loki: pkg/goldfish embeds its goose migrations and calls goose.Up at start-up; goose is
    a direct dependency of the root go.mod. A sibling module's goose dependency says nothing."""
    migration = "-- +goose Up\nCREATE TABLE t (id int);\n-- +goose Down\nDROP TABLE t;\n"
    module = "module example.com/app\n\ngo 1.22\n\nrequire (\n\tgithub.com/pressly/goose/v3 v3.27.3\n)\n"
    files: dict[str, str | bytes] = {
        "app/go.mod": module,
        "app/pkg/store/migrations/20250101000001_create.sql": migration,
        "tools/go.mod": module.replace("example.com/app", "example.com/tools"),
        "svc/go.mod": "module example.com/svc\n\ngo 1.22\n",
        "svc/db/migrations/20250101000001_create.sql": migration,
    }
    hints = {f.item: f for f in unapplied(scan_tree(tmp_path, files))}
    app = hints["unapplied:goose:app/pkg/store/migrations"]
    assert app.confidence is Confidence.HINT
    assert "github.com/pressly/goose/v3 is a runtime dependency in app/go.mod" in app.text
    assert "may apply them itself (goose.Up at start-up or in a command" in app.text
    assert hints["unapplied:goose:svc/db/migrations"].text == (
        "goose: 1 migration in svc/db/migrations, but no deploy, release, hook or start step that "
        "applies them was found (migrating a CI job's test database is not one)")


def test_sql_migrate_sections_roll_back_and_its_library_may_apply_them(tmp_path: Path) -> None:
    """usefathom/fathom: rubenv/sql-migrate files per engine with `-- +migrate Up`/`Down` sections (some
    Down sections empty), applied by the program's datastore through the library. They were "SQL
    scripts with no migration tool found and no down scripts"."""
    module = "module github.com/usefathom/fathom\n\ngo 1.19\n\nrequire (\n\tgithub.com/rubenv/sql-migrate v1.2.0\n)\n"
    files: dict[str, str | bytes] = {
        "go.mod": module,
        "pkg/datastore/sqlstore/migrations/mysql/1_initial_tables.sql": (
            "-- +migrate Up\nCREATE TABLE users(id INT);\n\n-- +migrate Down\nDROP TABLE IF EXISTS users;\n"),
        "pkg/datastore/sqlstore/migrations/mysql/2_add_column.sql": (
            "-- +migrate Up\n-- +migrate StatementBegin\nALTER TABLE users ADD COLUMN name TEXT;\n"
            "-- +migrate StatementEnd\n\n-- +migrate Down\n-- +migrate StatementBegin\n-- +migrate StatementEnd\n"),
        "pkg/datastore/sqlstore/migrations/mysql/3_index.sql": "-- +migrate Up\nCREATE INDEX i ON users(id);\n",
    }
    scanned = scan_tree(tmp_path, files)
    fact = rollback(scanned, "sql-migrate:pkg/datastore/sqlstore/migrations/mysql")
    assert fact.text.startswith("sql-migrate: 1 of 3 migrations in pkg/datastore/sqlstore/migrations/mysql can be "
                                "rolled back")
    assert fact.text.endswith("2 cannot (first: 2_add_column.sql): empty -- +migrate Down section (1), "
                             "no -- +migrate Down section (1)")
    [hint] = unapplied(scanned)
    assert "github.com/rubenv/sql-migrate is a runtime dependency in go.mod" in hint.text
    assert "may apply them itself (migrate.Exec at start-up or in a command" in hint.text


def test_knex_as_a_runtime_dependency_may_apply_its_migrations(tmp_path: Path) -> None:
    # louislam/dockge: knex is a dependency of the server's package.json, whose start-up calls
    # knex.migrate.latest(); the hint said no step applied the migrations
    migration = ("import { Knex } from \"knex\";\n\nexport async function up(knex: Knex): Promise<void> {\n"
                 "    return knex.schema.createTable(\"agent\", (table) => { table.increments(\"id\"); });\n}\n\n"
                 "export async function down(knex: Knex): Promise<void> {\n"
                 "    return knex.schema.dropTable(\"agent\");\n}\n")
    files: dict[str, str | bytes] = {
        "package.json": '{"name": "dockge", "dependencies": {"knex": "~2.5.1"}}\n',
        "backend/migrations/2023-12-20-2117-agent-table.ts": migration,
    }
    [hint] = unapplied(scan_tree(tmp_path, files))
    assert "knex is a runtime dependency in package.json" in hint.text
    assert "may apply them itself (knex.migrate.latest() at start-up" in hint.text


def test_atlas_counts_the_sql_files_beside_its_sum_file(tmp_path: Path) -> None:
    """Atlas' layout (ariga/atlas docs: `migrations/atlas.sum` beside `<version>_<name>.sql`):
    only the .sql files of that folder count, not those of a subfolder or of a folder with a
    similar name, and the folder's numbered SQL is Atlas', not loose scripts."""
    sql = "CREATE TABLE t (id int);\n"
    files: dict[str, str | bytes] = {
        "db/migrations/atlas.sum": "h1:abc=\n20240101000000_init.sql h1:def=\n",
        "db/migrations/20240101000000_init.sql": sql,
        "db/migrations/20240102000000_users.sql": sql,
        "db/migrations/archive/20230101000000_old.sql": sql,
        "db/migrations-old/20220101000000_older.sql": sql,
        "other/atlas.summary.sql": sql,
    }
    scanned = scan_tree(tmp_path, files)
    fact = rollback(scanned, "atlas:db/migrations")
    assert "2 versioned migrations in db/migrations" in fact.text
    items = [f.item for f in facts_for(scanned.model, "deploy.migration.rollback")]
    assert not [item for item in items if item.startswith("sql-scripts:db/migrations")]


def test_loose_numbered_sql_scripts(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, tree("sqlscripts"))
    fact = rollback(scanned, "sql-scripts:db/clickhouse/migrations")
    assert fact.confidence is Confidence.INFERRED and "(2 files)" in fact.text  # seed.sql is not numbered


def test_migrations_of_test_fixtures_are_not_the_applications(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, tree("tests-only"))
    assert not facts_for(scanned.model, "deploy.migration.rollback")
    assert not unapplied(scanned)


# -- the strategy hint (phase 3) ----------------------------------------------------------------


def test_unapplied_hint_names_the_script_that_would_apply_them(tmp_path: Path) -> None:
    (hint,) = unapplied(scan_tree(tmp_path, tree("prisma")))
    assert hint.text.startswith("Prisma Migrate: 4 migration folders in prisma/migrations, but no deploy, release")
    assert "package.json script db:deploy in package.json runs prisma migrate deploy" in hint.text
    assert (hint.evidence[0].path, hint.evidence[0].line) == ("package.json", 4)


def test_no_hint_when_a_release_step_applies_them(tmp_path: Path) -> None:
    files = {**tree("prisma"), "fly.toml": 'app = "notes"\n[deploy]\n  release_command = "npx prisma migrate deploy"\n'}
    assert not unapplied(scan_tree(tmp_path, files))


def test_a_step_for_one_tool_does_not_cover_another(tmp_path: Path) -> None:
    """langfuse: Prisma migrations run on start, the ClickHouse (golang-migrate) ones are checked separately."""
    files = {**tree("prisma", "golang"), "Procfile": "release: npx prisma migrate deploy\n"}
    hints = unapplied(scan_tree(tmp_path, files))
    assert [h.item for h in hints] == ["unapplied:golang-migrate:db/migrations"]


def test_a_step_that_names_no_tool_covers_every_tool(tmp_path: Path) -> None:
    """An app's own CLI (passbolt's `bin/cake passbolt migrate`) names no tool: it may apply any of them."""
    files = {
        **tree("phinx"),
        "Dockerfile": 'FROM php:8.3-fpm\nENTRYPOINT ["./docker-entrypoint.sh"]\n',
        "docker-entrypoint.sh": "#!/bin/sh\nset -e\nbin/cake passbolt migrate\nexec php-fpm\n",
    }
    scanned = scan_tree(tmp_path, files)
    assert not unapplied(scanned)
    assert any("passbolt migrate" in f.text for f in facts_for(scanned.model, "deploy.migration.strategy"))


@pytest.mark.parametrize(
    ("change", "reversible"),
    [
        # modelled on maybe-finance/maybe db/migrate
        ("drop_table :currencies", False),
        ("drop_table :currencies, if_exists: true", False),
        ("drop_table :currencies do |t|\n      t.string :code\n    end", True),
        # options make it reversible too (Rails' invert_drop_table); `if_exists:` alone does not
        ("drop_table :sessions, force: :cascade", True),
        ("drop_table :legacy_users, id: :uuid do |t|\n      t.string :name\n    end", True),
        ('remove_index :securities, name: "index_securities_on_ticker"', False),
        ('remove_index :securities, column: :ticker, name: "index_securities_on_ticker"', True),
        ("remove_column :accounts, :mode", False),
        ("remove_column :accounts, :mode, :string", True),
        ("add_index :securities, :ticker", True),
        # modelled on mastodon/mastodon db/migrate: a default with no old value, a column change
        # inside a one-line block
        ("change_column_default :users, :admin, false # rubocop:disable Rails/ReversibleMigration", False),
        ("change_column_default :users, :admin, from: nil, to: false", True),
        ("safety_assured { change_column :blocks, :account_id, :bigint, null: true }", False),
        ("safety_assured do\n      change_column_default :imports, :approved, false\n    end", False),
        ("safety_assured { change_column_null :statuses, :reply, false, false }", True),
        ("# change_column :blocks, :account_id, :bigint", True),
    ],
)
def test_rails_change_steps_rails_cannot_reverse(change: str, reversible: bool) -> None:
    source = f"class M < ActiveRecord::Migration[7.2]\n  def change\n    {change}\n  end\nend\n"
    assert _block_verdict(source, "rails-migrations").down is reversible


def test_up_sql_files_are_golang_migrates_only_where_the_repository_names_it(tmp_path: Path) -> None:
    # go-shiori/shiori: `.up.sql` files its own Go code applies; no golang-migrate anywhere else
    files = {"internal/database/migrations/sqlite/0001_init.up.sql": "CREATE TABLE t (id int);\n"}
    (tmp_path / "alone").mkdir()
    (tmp_path / "named").mkdir()
    alone = rollback(scan_tree(tmp_path / "alone", files), "golang-migrate:internal/database/migrations/sqlite")
    assert alone.text.startswith("SQL migrations named as golang-migrate names them (up and down files): ")
    named = {**files, "go.mod": "module x\n\ngo 1.22\n\nrequire github.com/golang-migrate/migrate/v4 v4.17.0\n"}
    tool = rollback(scan_tree(tmp_path / "named", named), "golang-migrate:internal/database/migrations/sqlite")
    assert tool.text.startswith("golang-migrate: ")
    # named by a CI step alone (second code review)
    (tmp_path / "ci").mkdir()
    ci = {**files, ".github/workflows/migrate.yml": (
        "on: push\njobs:\n  migrate:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: docker run --rm -v $PWD/migrations:/migrations migrate/migrate -path=/migrations "
        "-database $DB up\n")}
    by_ci = rollback(scan_tree(tmp_path / "ci", ci), "golang-migrate:internal/database/migrations/sqlite")
    assert by_ci.text.startswith("golang-migrate: ")



def test_numbered_up_and_down_files_of_no_tool_are_counted_in_pairs(tmp_path: Path) -> None:
    # authelia: `V0026.StorageAADRowScoped.up.sql` beside its `.down.sql`, applied by its own Go code,
    # were "Numbered SQL scripts (52 files) with no migration tool found and no down scripts"
    folder = "internal/storage/migrations/postgres"
    files = {
        f"{folder}/V0001.Initial_Schema.up.sql": "CREATE TABLE t (id int);\n",
        f"{folder}/V0001.Initial_Schema.down.sql": "DROP TABLE t;\n",
        f"{folder}/V0002.WebAuthn.up.sql": "ALTER TABLE t ADD COLUMN k text;\n",
        f"{folder}/V0002.WebAuthn.down.sql": "-- nothing to undo\n",
    }
    said = rollback(scan_tree(tmp_path, files), f"sql-up-down:{folder}")
    assert said.text == (f"Numbered SQL migrations in up and down files: 1 of 2 migrations in {folder} can be rolled "
                         "back (a non-empty .down.sql); 1 cannot: no non-empty .down.sql")
    assert said.tech is None


# -- the command rules this detector adds (data/commands/70-migrations.yaml) -----------------------

COMMANDS = [
    ("bin/cake migrations migrate", "migrate", "phinx", "phinx-migrate"),
    ("vendor/bin/phinx migrate -e production", "migrate", "phinx", "phinx-migrate"),
    ("php vendor/bin/phinx migrate -c config/phinx.php", "migrate", "phinx", "phinx-migrate"),
    ("docker compose exec php bin/cake migrations migrate --plugin Audit", "migrate", "phinx", "phinx-migrate"),
    ("./bin/cake migrations migrate -c default", "migrate", "phinx", "phinx-migrate"),
    ("bin/cake migrations rollback", "migrate-rollback", "phinx", "phinx-rollback"),
    ("phinx rollback -t 20240101", "migrate-rollback", "phinx", "phinx-rollback"),
    ("vendor/bin/phinx rollback -e staging", "migrate-rollback", "phinx", "phinx-rollback"),
    ("bin/cake passbolt migrate", "migrate", "", "app-cli-migrate"),
    # Doctrine Migrations: Symfony's console, the standalone CLI, shlink's own bin/doctrine
    ("php bin/console doctrine:migrations:migrate --no-interaction", "migrate", "doctrine-migrations",
     "doctrine-migrate"),
    ("bin/console doctrine:migrations:migrate -n --allow-no-migration", "migrate", "doctrine-migrations",
     "doctrine-migrate"),
    ("vendor/bin/doctrine-migrations migrate --no-interaction", "migrate", "doctrine-migrations",
     "doctrine-migrate"),
    ("php vendor/bin/doctrine-migrations migrations:migrate", "migrate", "doctrine-migrations",
     "doctrine-migrate"),
    ("php bin/doctrine migrations:migrate --no-interaction", "migrate", "doctrine-migrations", "doctrine-migrate"),
    # kimai .github/workflows/testing.yaml: every migration up, then all the way down
    ("bin/console doctrine:migrations:migrate -n", "migrate", "doctrine-migrations", "doctrine-migrate"),
    ("bin/console doctrine:migrations:migrate first -n", "migrate-rollback", "doctrine-migrations",
     "doctrine-rollback"),
    ("php bin/console doctrine:migrations:migrate prev --no-interaction", "migrate-rollback", "doctrine-migrations",
     "doctrine-rollback"),
    ("vendor/bin/doctrine-migrations migrate first", "migrate-rollback", "doctrine-migrations", "doctrine-rollback"),
    ("php bin/console doctrine:migrations:migrate -n current-1", "migrate-rollback", "doctrine-migrations",
     "doctrine-rollback"),
    ("/app/bin/server migrate", "migrate", "", "app-cli-migrate"),
    # plausible/community-edition docker-compose.yml: the image's entrypoint with a release task
    ("/entrypoint.sh db migrate", "migrate", "", "app-cli-migrate"),
    ("docker-entrypoint.sh migrate", "migrate", "", "app-cli-migrate"),
    ("./bin/myapp db migrate", "migrate", "", "app-cli-migrate"),
    ("./bin/rails db:migrate", "migrate", "rails-migrations", "rails-migrate"),
    # Drupal on Platform.sh (AcroMedia/commerce-demo's deploy hook) and drush's own deploy command
    ("drush -y updatedb", "migrate", "drupal-updates", "drush-updatedb"),
    ("vendor/bin/drush updb --yes", "migrate", "drupal-updates", "drush-updatedb"),
    ("drush @self deploy -y", "migrate", "drupal-updates", "drush-updatedb"),
    # the Symfony book's .platform.app.yaml deploy hook, and SymfonyCloud's
    ("symfony-deploy", "migrate", "doctrine-migrations", "symfony-deploy"),
    ("(>&2 symfony-deploy)", "migrate", "doctrine-migrations", "symfony-deploy"),
    # Magento on Platform.sh (Elpikachu/magento2-demochallenge's deploy hook) and by hand
    ("php ./vendor/bin/ece-tools deploy", "migrate", "magento-setup-upgrade", "magento-setup-upgrade"),
    ("bin/magento setup:upgrade --keep-generated", "migrate", "magento-setup-upgrade", "magento-setup-upgrade"),
    ("php bin/magento -n setup:upgrade", "migrate", "magento-setup-upgrade", "magento-setup-upgrade"),
]
NOT_MIGRATING = [
    "/entrypoint.sh db createdb",
    "/entrypoint.sh migrate status",
    "bin/console doctrine:migrations:migrate first -n",  # down, all the way (a rollback, not a migration)
    "vendor/bin/doctrine-migrations migrate first",  # the standalone CLI, and an app's wrapper, down
    "php bin/doctrine migrations:migrate prev",
    "bin/myapp migrate status",
    "bin/console doctrine:migrations:migrate:rollback",
    "kubectl migrate",
    "bin/rake -T",
    "exec /bin/mobilizon start",
    "npm run migrate",
    "drush updatedb:status",
    "drush -y cache-rebuild",
    "NODE_VERSION=22 symfony-build",
    "php ./vendor/bin/ece-tools deploy:mode:set production",
    "php ./vendor/bin/ece-tools post-deploy",
    "bin/magento setup:upgrade:status",
]


@pytest.mark.parametrize(("command", "kind", "tool", "rule"), COMMANDS)
def test_migration_command_rules(command: str, kind: str, tool: str, rule: str) -> None:
    found = [c for c in classify(command) if c.kind == kind]
    assert found and (found[0].tool, found[0].rule) == (tool, rule), [
        (c.kind, c.tool, c.rule) for c in classify(command)
    ]


@pytest.mark.parametrize("command", NOT_MIGRATING)
def test_commands_that_do_not_migrate(command: str) -> None:
    assert not [c for c in classify(command) if c.kind == "migrate"]


def test_a_migrate_mongo_file_is_not_taken_for_sequelize(tmp_path: Path) -> None:
    # same module.exports shape as sequelize-cli's, but `up(db, client)`: another tool's migration
    scanned = scan_tree(tmp_path, {"migrations/20240101-add-index.js": (
        "module.exports = {\n  async up(db, client) {\n    await db.collection('users').createIndex({ email: 1 });\n"
        "  },\n  async down(db, client) {\n  },\n};\n")})
    assert not [f for f in facts_for(scanned.model, "deploy.migration.rollback") if f.item.startswith("sequelize")]


def test_the_count_names_the_first_migration_that_cannot_be_undone(tmp_path: Path) -> None:
    # saleor: the newest migration is cited first, and was read as an irreversible example; healthchecks:
    # an unrelated `payments` migration was cited first for a count over `hc`
    head = "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    operations = ["
    files = {
        "shop/migrations/0001_initial.py": head + "migrations.DeleteModel('Old')]\n",
        "shop/migrations/0002_backfill.py": head + "migrations.RunPython(lambda a, s: None)]\n",
        "shop/migrations/0003_more.py": head + "migrations.RunPython(lambda a, s: None)]\n",
        "shop/migrations/0004_newest.py": head + "migrations.RunPython(lambda a, s: None, "
                                                "reverse_code=migrations.RunPython.noop)]\n",
    }
    [fact] = facts_for(scan_tree(tmp_path, files).model, "deploy.migration.rollback")
    # and the reverse step that does nothing, which the text names
    assert [e.path.rsplit("/", 1)[-1] for e in fact.evidence] == ["0002_backfill.py", "0003_more.py",
                                                                  "0004_newest.py"]
    assert fact.text.endswith("2 cannot (first: 0002_backfill.py): RunPython without reverse_code"), fact.text


@pytest.mark.parametrize(
    ("reverse", "noop"),
    [
        ("migrations.RunPython.noop", True),
        ("reverse_code=migrations.RunPython.noop", True),
        ("reverse_code=undo_backfill", False),
    ],
)
def test_a_reverse_step_that_does_nothing_is_said_with_the_migrations_that_can_be_rolled_back(
    tmp_path: Path, reverse: str, noop: bool
) -> None:
    # paperless-ngx: 0016_sha256_checksums rewrites every checksum, and its reverse does nothing
    head = "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    operations = ["
    files = {
        "shop/migrations/0001_initial.py": head + "migrations.DeleteModel('Old')]\n",
        "shop/migrations/0002_checksums.py": head + f"\n        migrations.RunPython(rehash, {reverse}),\n    ]\n",
        "shop/migrations/0003_drop.py": head + "\n        migrations.RunSQL('DROP TABLE t', reverse_sql=''),\n    ]\n",
    }
    [fact] = facts_for(scan_tree(tmp_path, files).model, "deploy.migration.rollback")
    assert fact.text.startswith("Django migrations: all 3 migrations in shop/migrations can be rolled back"), fact.text
    first, count = ("0002_checksums.py", "2 of them") if noop else ("0003_drop.py", "it")
    said = f"{count} with a reverse step that does nothing ({'first: ' if noop else ''}{first})"
    assert said in fact.text, fact.text
    assert (f"shop/migrations/{first}", 6) in [(e.path, e.line) for e in fact.evidence]


def test_the_first_migration_that_cannot_be_undone_is_cited_at_its_down_step(tmp_path: Path) -> None:
    # redash: the citation of the first irreversible migration was the whole file
    files = tree("alembic", "knex")
    scanned = scan_tree(tmp_path, files)
    for item, signature in (("alembic:migrations/versions", "def downgrade"), ("knex:migrations", "down")):
        cited = rollback(scanned, item).evidence[0]
        assert cited.line > 0
        assert signature in str(files[cited.path]).splitlines()[cited.line - 1]


def test_release_changelogs_in_hidden_folders_are_not_migration_files() -> None:
    # traefik-helm-chart: `.github/workflows/changelog.json` and `test-changelog.yaml` made the
    # rollback gap say infrascan looked in "migration files (2 files)" in a repository without any
    detector = MigrationsDetector()
    assert not detector.claims(".github/workflows/changelog.json")
    assert not detector.claims(".gitlab/changelog.yml")
    assert detector.claims("src/main/resources/db/changelog/db.changelog-master.yaml")
    assert detector.claims("db/changelog-master.xml")


def test_plain_sql_scripts_in_a_folder_per_release_are_one_set(tmp_path: Path) -> None:
    # usememos/memos keeps store/migration/<driver>/<release>/NN__name.sql: 34 sets read as 34 lines
    files = {f"store/migration/{driver}/{release}/0{n}__change.sql": "ALTER TABLE memo ADD COLUMN x INT;\n"
             for driver in ("mysql", "sqlite") for release in ("0.17", "0.18", "0.21") for n in (1, 2)}
    rollbacks = facts_for(scan_tree(tmp_path, files).model, "deploy.migration.rollback")
    assert sorted(f.item for f in rollbacks) == ["sql-scripts:store/migration/mysql",
                                                 "sql-scripts:store/migration/sqlite"]
    assert all("(6 files)" in f.text for f in rollbacks)


def test_a_doctrine_down_that_recreates_postgresql_s_public_schema_cannot_run(tmp_path: Path) -> None:
    # the Symfony book's guestbook: every generated `down()` starts with `CREATE SCHEMA public`, which
    # fails on PostgreSQL (doctrine/dbal#6243): "all 8 can be rolled back" was false
    files = {k: v for k, v in tree("doctrine").items() if "Version20250320151224" in k}
    fact = rollback(scan_tree(tmp_path, files), "doctrine-migrations:module/Core/migrations")
    assert (fact.attrs["down"], fact.attrs["migrations"]) == (0, 1)
    assert "creating schema public, which PostgreSQL already has" in fact.text


def test_a_doctrine_down_that_only_refuses_cannot_roll_back(tmp_path: Path) -> None:
    # wallabag: five `down()` methods only throw `SkipMigration` ("Too complex ...") or call
    # `$this->skipIf(true, ...)`; "all 64 can be rolled back" was false. A throw in one platform's
    # branch leaves the migration reversible on the others.
    def migration(version: str, down: str) -> str:
        return ("<?php\n\nnamespace Application\\Migrations;\n\nuse Doctrine\\DBAL\\Schema\\Schema;\n"
                "use Doctrine\\Migrations\\AbstractMigration;\nuse Doctrine\\Migrations\\Exception\\SkipMigration;\n\n"
                f"final class Version{version} extends AbstractMigration\n{{\n"
                "    public function up(Schema $schema): void\n    {\n"
                "        $this->addSql('ALTER TABLE entry ADD x INT');\n"
                f"    }}\n\n    public function down(Schema $schema): void\n    {{\n{down}    }}\n}}\n")

    files = {
        "migrations/Version20161001072726.php": migration(
            "20161001072726", "        throw new SkipMigration('Too complex ...');\n"),
        "migrations/Version20190129120000.php": migration(
            "20190129120000", "        // throw away nothing\n        $this->skipIf(true, 'Required.');\n"),
        "migrations/Version20170511211659.php": migration(
            "20170511211659", "        switch (true) {\n            case $this->platform instanceof SqlitePlatform:\n"
                              "                throw new SkipMigration('Not on SQLite');\n            default:\n"
                              "                $this->addSql('ALTER TABLE entry DROP x');\n        }\n"),
        "migrations/Version20200101000000.php": migration(
            "20200101000000", "        $this->addSql('ALTER TABLE entry DROP x');\n"),
    }
    fact = rollback(scan_tree(tmp_path, files), "doctrine-migrations:migrations")
    assert (fact.attrs["down"], fact.attrs["migrations"]) == (2, 4)
    assert "2 cannot (first: Version20161001072726.php): down() only refuses to run" in fact.text
    assert [(e.path, e.line) for e in fact.evidence] == [
        ("migrations/Version20161001072726.php", 18), ("migrations/Version20190129120000.php", 19)]


def test_a_migrating_script_names_the_target_that_runs_it(tmp_path: Path) -> None:
    # wallabag: scripts/update.sh runs the migrations and `make update` runs it (the upgrade guide's
    # step); the hint said "nothing found calls it"
    files: dict[str, str | bytes] = {
        k: v for k, v in tree("doctrine").items() if "Version20250320151224" in k}
    files["scripts/update.sh"] = ("#!/usr/bin/env bash\nENV=$1\ngit checkout $TAG --force\n"
                                  "php bin/console doctrine:migrations:migrate --no-interaction --env=$ENV\n")
    (tmp_path / "alone").mkdir()
    (tmp_path / "called").mkdir()
    alone = unapplied(scan_tree(tmp_path / "alone", files))
    assert len(alone) == 1 and alone[0].text.endswith(", but nothing found calls it")
    files["Makefile"] = ("install: ## Install\n\t@./scripts/install.sh $(ENV)\n\n"
                         "update: ## Update the installation to the latest version\n\t@./scripts/update.sh $(ENV)\n")
    [called] = unapplied(scan_tree(tmp_path / "called", files))
    assert called.text.endswith(", which Makefile target update runs"), called.text
    assert [(e.path, e.line) for e in called.evidence[:2]] == [("scripts/update.sh", 4), ("Makefile", 4)]


def test_migrations_in_a_folder_named_for_their_tool_are_read(tmp_path: Path) -> None:
    """uptime-kuma keeps its 55 knex migrations in db/knex_migrations: the migrations detector read
    none of them. A `*_migrations` or `*-migrations` folder's scripts are read; only a known tool's
    shape says anything."""
    files = {f"db/knex_migrations/{name}": text for name, text in tree("knex").items()
             if name.startswith("migrations/") for name in [name.split("/", 1)[1]]}
    files["db/knex_migrations/README.js"] = "// notes, no migration\nmodule.exports = {};\n"
    # wiki.js: server/db/migrations-sqlite, the migrations for one database beside the others
    files.update({f"server/db/migrations-sqlite/{path.rpartition('/')[2]}": text
                  for path, text in files.items() if path.startswith("db/knex_migrations/2")})
    scanned = scan_tree(tmp_path, files)
    fact = rollback(scanned, "knex:db/knex_migrations")
    assert "of 3 migrations in db/knex_migrations" in fact.text
    sqlite = rollback(scanned, "knex:server/db/migrations-sqlite")
    assert "of 3 migrations in server/db/migrations-sqlite" in sqlite.text


def test_rails_class_method_migrations_have_their_down() -> None:
    # rubygems.org's 2009 migrations: `def self.up` / `def self.down`, the form before Rails 3.1;
    # 62 of them were "only up"
    source = ("class ClearanceCreateUsers < ActiveRecord::Migration\n  def self.up\n    create_table :users\n"
              "  end\n\n  def self.down\n    drop_table :users\n  end\nend\n")
    assert _block_verdict(source, "rails-migrations").down is True
    empty = source.replace("    drop_table :users\n", "")
    assert _block_verdict(empty, "rails-migrations").why == "empty `down`"


def test_each_folder_s_hint_names_the_target_for_that_folder(tmp_path: Path) -> None:
    # homarr: three Drizzle folders, one `migration:<dialect>:run` script each; every hint quoted the
    # first, `migration:mysql:run`
    files = {
        "db/migrations/mysql/0001_init.up.sql": "CREATE TABLE t (id int);\n",
        "db/migrations/postgres/0001_init.up.sql": "CREATE TABLE t (id int);\n",
        "package.json": ('{"scripts": {"migrate:mysql": "migrate -path db/migrations/mysql -database $MYSQL_URL up",\n'
                         '  "migrate:postgres": "migrate -path db/migrations/postgres -database $PG_URL up"}}\n'),
    }
    hints = {h.item: h.text for h in unapplied(scan_tree(tmp_path, files))}
    assert "script migrate:mysql in package.json" in hints["unapplied:golang-migrate:db/migrations/mysql"]
    assert "script migrate:postgres in package.json" in hints["unapplied:golang-migrate:db/migrations/postgres"]


def test_a_liquibase_changeset_is_read_to_its_end_tag_past_self_closing_elements(tmp_path: Path) -> None:
    # traccar: `<preConditions><not><tableExists .../></not></preConditions>` then `<createTable>`: the
    # changeset was cut at the first `/>`, and 18 of 35 were said to roll back where 24 do
    changelog = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<databaseChangeLog>\n'
        '  <changeSet author="a" id="1">\n    <preConditions onFail="MARK_RAN">\n      <not>\n'
        '        <tableExists tableName="tc_actions"/>\n      </not>\n    </preConditions>\n'
        '    <createTable tableName="tc_actions">\n      <column name="id" type="INT"/>\n    </createTable>\n'
        '  </changeSet>\n'
        '  <changeSet author="a" id="2">\n    <dropColumn tableName="tc_users" columnName="x"/>\n  </changeSet>\n'
        '  <changeSet author="a" id="3"/>\n'
        '</databaseChangeLog>\n')
    fact = rollback(scan_tree(tmp_path, {"schema/changelog-6.7.0.xml": changelog}), "liquibase:schema")
    assert (fact.attrs["down"], fact.attrs["migrations"]) == (1, 3)


def test_a_down_file_that_only_selects_a_constant_undoes_nothing(tmp_path: Path) -> None:
    # focalboard: all 40 `.down.sql` files hold `SELECT 1;` (a CI check keeps them so); "all 40
    # migrations can be rolled back" was said
    folder = "server/services/store/sqlstore/migrations"
    files = {f"{folder}/000001_init.up.sql": "CREATE TABLE t (id int);\n",
             f"{folder}/000001_init.down.sql": "SELECT 1;\n",
             f"{folder}/000002_add.up.sql": "ALTER TABLE t ADD COLUMN x int;\n",
             f"{folder}/000002_add.down.sql": "-- undo\nALTER TABLE t DROP COLUMN x;\n"}
    fact = rollback(scan_tree(tmp_path, files), f"golang-migrate:{folder}")
    assert (fact.attrs["down"], fact.attrs["migrations"]) == (1, 2)
