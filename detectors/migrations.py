"""Database migration tools, found by their files: which tool, how many migrations, which can be undone.

Each migration file is read on its own in phase 1 (so results cache by blob) and reduced to one
record: the tool, its folder, and whether it has a down step. Phase 2 counts the records per
folder ("12 of 14 migrations have a down step", "forward-only"). Tools whose migrations carry no
down step by design (Prisma, Drizzle) are counted from the file list without reading them.

Where migrations run (release phase, Helm hook, CI step, container start) is told by the
detectors that read those places. This one speaks last: when migration files exist and no
detector found a step that applies them, it says so, as a hint.

A down step means: Alembic `downgrade()` with a body; Django operations that all have a reverse;
Flyway `U<version>__` undo scripts; Liquibase `rollback` blocks or change types Liquibase reverses
itself; Rails, Ecto and Phinx `down` or a reversible `change`; Knex, Kysely, Sequelize, TypeORM, EF Core,
Laravel and Doctrine `down` methods with a body; golang-migrate `.down.sql` files; goose, sql-migrate and dbmate down
sections that are not empty.
"""

from __future__ import annotations

import ast
import json
import posixpath
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from infrascan.catalog import DATA_STORE_CATEGORIES, Tech
from infrascan.commands import argv, classify, split_commands, unwrap
from infrascan.detector import Detector, Extraction, Record, ResolveContext, SourceFile
from infrascan.model import Code, Confidence, Evidence, Fact, Part, text
from infrascan.source import folder_of, is_example_path, is_within

# Liquibase change types it can roll back without a `rollback` block (its "auto rollback" list).
LIQUIBASE_AUTO_ROLLBACK = frozenset(
    {
        "addColumn",
        "addDefaultValue",
        "addForeignKeyConstraint",
        "addLookupTable",
        "addNotNullConstraint",
        "addPrimaryKey",
        "addUniqueConstraint",
        "createIndex",
        "createSequence",
        "createTable",
        "createView",
        "dropNotNullConstraint",
        "renameColumn",
        "renameSequence",
        "renameTable",
        "renameView",
        "tagDatabase",
    }
)
# Elements that sit inside a Liquibase change rather than being one.
LIQUIBASE_NESTED = frozenset({"column", "constraints", "where", "param", "whereParams", "comment", "validCheckSum"})
# Calls inside a reversible `change` that the tool cannot invert (it raises on rollback).
IRREVERSIBLE_IN_CHANGE: dict[str, re.Pattern[str]] = {
    # a column removed without its type, a table dropped with neither a block nor options (Rails
    # reverses `drop_table` given either; `if_exists:` it discards), an index removed by its name
    # alone: Rails cannot recreate them (maybe-finance's `drop_table :currencies`). A default
    # changed without `from:` and `to:` has no old value to go back to. A call may open a line or
    # a one-line block (mastodon's `safety_assured { change_column ... }`).
    "rails-migrations": re.compile(
        r"^\s*(?:[\w.]+\s*(?:\{|\bdo\b)\s*)?"
        r"(?:(?:execute|change_column)\b|change_column_default\b(?![^\n]*\bfrom:)"
        r"|remove_columns?\s+:\w+\s*,\s*:\w+\s*$"
        r"|drop_table\s+:\w+(?:\s*,\s*if_exists:\s*\w+)?\s*$"
        r"|remove_index\s+:\w+\s*,\s*name:(?![^\n]*\bcolumn:)[^\n]*$)", re.M),
    "phinx": re.compile(r"->\s*(?:execute|query)\s*\("),
}
# How each tool's rollback is worded: (what a down step is called, whether `change` counts as one).
DOWN_WORDS: dict[str, str] = {
    "alembic": "a `downgrade()` with a body",
    "django-migrations": "operations that all have a reverse",
    "rails-migrations": "a `down` or a reversible `change`",
    "ecto": "a `down` or a reversible `change`",
    "phinx": "a `down` or a reversible `change()`",
    "doctrine-migrations": "a `down()` with a body",
    "knex": "a `down` with a body",
    "kysely": "a `down` with a body",
    "sequelize": "a `down` with a body",
    "typeorm": "a `down()` with a body",
    "ef-core": "a `Down()` with a body",
    "laravel-migrations": "a `down()` with a body",
    "golang-migrate": "a non-empty `.down.sql`",
    "sql-up-down": "a non-empty `.down.sql`",
    "goose": "a non-empty `-- +goose Down` section or a Go down function that does something",
    "sql-migrate": "a non-empty `-- +migrate Down` section",
    "dbmate": "a non-empty `-- migrate:down` section",
    "liquibase": "a `rollback` block or a change type Liquibase reverses itself",
}
# Tools whose migration runners live in the application: a runtime dependency says where they run.
RUNS_IN_APP: dict[str, str] = {
    # Spring Boot runs them as the application starts, and so do programs that call the library
    # themselves (traccar's DatabaseModule calls liquibase.update without Spring): said as a possibility
    "flyway": "a JVM program of that project may apply them itself as it starts (Spring Boot runs Flyway "
    "then; Java source is not read to tell)",
    "liquibase": "a JVM program of that project may apply them itself as it starts (Spring Boot runs "
    "Liquibase then; Java source is not read to tell)",
    # goose is also a library: grafana/loki's pkg/goldfish embeds its migrations and calls goose.Up
    # at start-up. Finding that call would mean reading every Go file, so it is said as a possibility.
    "goose": "a Go program of that module may apply them itself (goose.Up at start-up or in a command; "
    "Go source is not read to tell which)",
    # and sql-migrate: fathom's datastore calls migrate.Exec(..., migrate.Up) whenever it opens the database
    "sql-migrate": "a Go program of that module may apply them itself (migrate.Exec at start-up or in a "
    "command; Go source is not read to tell which)",
    # knex too: dockge and uptime-kuma call knex.migrate.latest() as their server starts
    "knex": "a Node.js program of that package may apply them itself (knex.migrate.latest() at start-up; "
    "its source is not read to tell which)",
}
PLAIN_SQL = "sql-scripts"
# Numbered SQL files in up and down pairs named otherwise than golang-migrate names them (authelia's
# `V0026.StorageAADRowScoped.up.sql` beside its `.down.sql`, run by its own Go code): no tool is named.
PAIRED_SQL = "sql-up-down"
_TOOLLESS = (PLAIN_SQL, PAIRED_SQL)
RUNNERS = {"npm": "package.json script", "make": "Makefile target", "just": "justfile recipe", "task": "Taskfile task",
           "invoke": "invoke task"}

_DJANGO_NAME = re.compile(r"^\d{4}_\w+\.py$")
_FLYWAY_NAME = re.compile(r"^(?P<kind>[VUR])(?P<version>[\w.]*?)__.+\.sql$")
_GOLANG_NAME = re.compile(r"^(?P<version>\d+)_.+\.(?P<direction>up|down)\.sql$")
_NOOP_SQL = re.compile(r"(?i)\bSELECT\s+(?:1|'[^']*'|NULL|TRUE)\s*(?:;|$)")
_PAIRED_NAME = re.compile(r"^(?P<version>V?\d+)[._-].+\.(?P<direction>up|down)\.sql$", re.I)
_NUMBERED = re.compile(r"^V?\d+")
# `def self.up`/`def self.down`: the class methods of Rails before 3.1 (rubygems.org's 2009 migrations)
_RUBY_DEF = re.compile(r"^(?P<indent>[ \t]*)def\s+(?:self\.)?(?P<name>up|down|change)\b(?P<rest>.*)$", re.M)
_ELIXIR_DELEGATE_DOWN = re.compile(r"^\s*defdelegate\s+down\b", re.M)
_JS_DOWN = re.compile(
    r"exports\.down\s*=|export\s+(?:async\s+)?function\s+down\b|\b(?:const|let|var)\s+down\s*=|\b(?:async\s+)?down\s*\("
    r"|\bdown\s*:\s*(?:async\s*)?(?:function\b|\()"
)
# `module.exports = { async up() {` or umzug's `up({ context })`: no parameters, or destructured
# ones; migrate-mongo's `up(db, client)` is another tool's
_JS_MODULE_MIGRATION = re.compile(
    r"module\.exports\s*=\s*\{.*?\b(?:async\s+)?up\s*(?::\s*(?:async\s*)?(?:function\s*)?)?\(\s*[){]", re.S)
_PHP_DOWN = re.compile(r"function\s+down\s*\(")
_PHP_CHANGE = re.compile(r"function\s+change\s*\(")
_CS_DOWN = re.compile(r"override\s+void\s+Down\s*\(")
_PRISMA_PROVIDER = re.compile(r"datasource\s+\w+\s*\{[^}]*?\bprovider\s*=\s*\"(\w+)\"", re.S)
_LOCK_PROVIDER = re.compile(r"^\s*provider\s*=\s*\"(\w+)\"", re.M)
_DRIZZLE_DIALECT = re.compile(r"\b(?:dialect|driver)\s*:\s*[\"'](\w[\w-]*)[\"']")
_ALEMBIC_URL = re.compile(r"^\s*sqlalchemy\.url\s*=\s*([a-z][\w+]*)://", re.M)
# a changeSet to its end tag, or one whose own tag closes it: not to the first self-closing change
# inside it (traccar's `<tableExists .../>` in a precondition cut 17 changesets short)
_XML_CHANGESET = re.compile(r"<changeSet\b(?:[^>]*/>|.*?</changeSet>)", re.S)
_XML_ELEMENT = re.compile(r"<(\w+)\b")
_SQL_CHANGESET = re.compile(r"^--\s*changeset\s", re.M | re.I)
_SQL_ROLLBACK = re.compile(r"^--\s*rollback\s", re.M | re.I)
_COMMENTS = re.compile(r"//[^\n]*|/\*.*?\*/|#[^\n]*", re.S)
_SQL_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
_TRIVIAL = re.compile(r"^(?:return\s*(?:Promise\.resolve\(\s*\)|null|undefined)?\s*;?|pass|;)$")


@dataclass(frozen=True)
class Verdict:
    """What one migration file says about undoing it."""

    down: bool
    why: str = ""  # why it cannot be undone, when it cannot
    line: int = 0  # the line that says so (the empty `downgrade()`), when one does
    # when it can: the line of a reverse step that does nothing (Django's `RunPython.noop`), which
    # rolls the migration back without undoing what it did to the data
    noop: int = 0


class MigrationsDetector(Detector):
    name = "migrations"
    version = "2"
    description = "database migration tools and their files"
    patterns = (
        "alembic.ini",
        "**/versions/*.py",
        "**/migrations/[0-9][0-9][0-9][0-9]_*.py",
        "V*__*.sql",
        "U*__*.sql",
        "R__*.sql",
        "*changelog*.{xml,yaml,yml,json,sql}",
        "**/changelog/**/*.{xml,yaml,yml,json,sql}",
        "**/changelogs/**/*.{xml,yaml,yml,json,sql}",
        "*.prisma",
        "migration_lock.toml",
        "**/db/migrate/*.rb",
        "**/db/*_migrate/*.rb",
        "**/{migrations,migration}/*.{js,ts,cjs,mjs}",
        # a folder named for its tool or purpose (uptime-kuma's db/knex_migrations): the reader
        # states only what a known tool's shape says
        "**/*_migrations/*.{js,ts,cjs,mjs}",
        "**/*-migrations/*.{js,ts,cjs,mjs}",
        # or for the database they are for (wiki.js's server/db/migrations-sqlite beside its migrations)
        "**/migrations-*/*.{js,ts,cjs,mjs}",
        "**/migrations_*/*.{js,ts,cjs,mjs}",
        "drizzle.config.{ts,js,mjs,cjs,json}",
        "**/meta/_journal.json",
        "*.{up,down}.sql",
        "**/{migrations,migration,migrate}/**/*.sql",
        "**/migrations/*.go",
        "**/Migrations/*.cs",
        "**/database/migrations/*.php",
        "**/{Migrations,migrations}/*.php",
        "**/priv/**/migrations/*.exs",
    )
    looks_for = {
        "deploy.migration.rollback": "migration files (down steps, undo scripts, rollback blocks)",
        "deploy.migration.strategy": "migration files that no release, hook, CI or start step applies",
        "env.database": "Prisma datasource providers, Drizzle dialects and alembic.ini URL schemes",
    }
    # the engine comes from these alone: goose's .sql files or a changelog name none
    looks_in = {"env.database": ("*.prisma", "drizzle.config.{ts,js,mjs,cjs,json}", "alembic.ini")}

    def claims(self, path: str) -> bool:
        """Prisma's `migration.sql` files are counted from the file list, never read; EF designer files are
        code; a changelog in a hidden folder configures a release tool's changelog, not a database
        (traefik-helm-chart's `.github/workflows/changelog.json` counted as a migration file)."""
        name = PurePosixPath(path).name
        if name == "migration.sql" or name.endswith((".Designer.cs", "ModelSnapshot.cs")):
            return False
        if "changelog" in path.lower() and any(part.startswith(".") for part in path.split("/")[:-1]):
            return False
        return super().claims(path)

    # -- phase 1 ---------------------------------------------------------------------------------

    def extract(self, file: SourceFile) -> Extraction:
        out = Extraction()
        pure = PurePosixPath(file.path)
        name = pure.name
        reader = self._reader(name, pure.suffix)
        if reader is not None:
            reader(file, out)
        return out

    def _reader(self, name: str, suffix: str) -> Callable[[SourceFile, Extraction], None] | None:
        by_name: dict[str, Callable[[SourceFile, Extraction], None]] = {
            "alembic.ini": self._alembic_ini,
            "migration_lock.toml": self._prisma_lock,
            "_journal.json": self._drizzle_journal,
        }
        if name in by_name:
            return by_name[name]
        if name.startswith("drizzle.config."):
            return self._drizzle_config
        by_suffix: dict[str, Callable[[SourceFile, Extraction], None]] = {
            ".py": self._python,
            ".sql": self._sql,
            ".prisma": self._prisma_schema,
            ".rb": self._rails,
            ".exs": self._ecto,
            ".php": self._php,
            ".cs": self._ef_core,
            ".go": self._goose_go,
            ".xml": self._liquibase,
            ".yaml": self._liquibase,
            ".yml": self._liquibase,
            ".json": self._liquibase,
        }
        return by_suffix.get(suffix) or (self._javascript if suffix in (".js", ".ts", ".cjs", ".mjs") else None)

    def _migration(self, out: Extraction, file: SourceFile, tool: str, verdict: Verdict | None, **data: Any) -> None:
        pure = PurePosixPath(file.path)
        out.records.append(
            Record(
                "migration.file",
                file.path,
                1,
                {
                    "tool": tool,
                    "dir": pure.parent.as_posix(),
                    "name": pure.name,
                    "down": None if verdict is None else verdict.down,
                    "why": "" if verdict is None else verdict.why,
                    **({"why_line": verdict.line} if verdict is not None and verdict.line else {}),
                    **({"noop_line": verdict.noop} if verdict is not None and verdict.noop else {}),
                    **data,
                },
            )
        )

    def _config(self, out: Extraction, path: str, line: int, tool: str, **data: Any) -> None:
        out.records.append(Record("migration.config", path, line, {"tool": tool, **data}))

    # Python: Alembic revisions and Django migrations

    def _python(self, file: SourceFile, out: Extraction) -> None:
        name = PurePosixPath(file.path).name
        is_alembic = "down_revision" in file.text and "def upgrade" in file.text
        is_django = _DJANGO_NAME.match(name) and "migrations.Migration" in file.text
        if not (is_alembic or is_django):
            return
        try:
            tree = ast.parse(file.text)
        except (SyntaxError, ValueError) as exc:
            line = getattr(exc, "lineno", None)
            out.diagnostics.append(
                self.diagnostic(file.path, line, f"cannot parse migration as Python: {exc}; counted, rollback unknown")
            )
            self._migration(out, file, "alembic" if is_alembic else "django-migrations", None)
            return
        if is_alembic:
            self._migration(out, file, "alembic", _alembic_verdict(tree))
        else:
            self._migration(out, file, "django-migrations", _django_verdict(tree))

    def _alembic_ini(self, file: SourceFile, out: Extraction) -> None:
        match = _ALEMBIC_URL.search(file.text)
        scheme = match.group(1) if match else None
        line = file.text.count("\n", 0, match.start()) + 1 if match else 1
        self._config(out, file.path, line, "alembic", engine=scheme)
        tech = self._engine(scheme) if scheme else None
        if tech is not None:
            out.facts.append(self._engine_hint(tech, "SQLAlchemy URL scheme ", scheme or "", file.path, line))

    # SQL: Flyway, golang-migrate, goose, sql-migrate, dbmate, Liquibase formatted SQL, plain numbered scripts

    def _sql(self, file: SourceFile, out: Extraction) -> None:
        name = PurePosixPath(file.path).name
        head = file.text[:4096]
        if re.match(r"^\s*--\s*liquibase\s+formatted\s+sql", head, re.I):
            changesets = len(_SQL_CHANGESET.findall(file.text))
            rollbacks = len(_SQL_ROLLBACK.findall(file.text))
            self._migration(
                out, file, "liquibase", None, changesets=changesets, rollbackable=min(rollbacks, changesets)
            )
            return
        flyway = _FLYWAY_NAME.match(name)
        if flyway:
            kind = flyway.group("kind")
            self._migration(out, file, "flyway", None, kind=kind, version=flyway.group("version"))
            return
        if "-- +goose" in file.text:
            self._migration(out, file, "goose", _section_verdict(file.text, r"--\s*\+goose\s+Down", "-- +goose Down"))
            return
        if re.search(r"^--\s*\+migrate\s+Up\b", file.text, re.M):
            self._migration(out, file, "sql-migrate",
                            _section_verdict(file.text, r"--\s*\+migrate\s+Down", "-- +migrate Down"))
            return
        if re.search(r"^--\s*migrate:up", file.text, re.M):
            self._migration(out, file, "dbmate", _section_verdict(file.text, r"--\s*migrate:down", "-- migrate:down"))
            return
        paired = _GOLANG_NAME.match(name) or _PAIRED_NAME.match(name)
        if paired:
            # focalboard's 40 down files hold `SELECT 1;` alone (a CI check keeps them so): they undo nothing
            empty = not _NOOP_SQL.sub("", _SQL_COMMENTS.sub("", file.text)).strip()
            self._migration(
                out,
                file,
                "golang-migrate" if paired.re is _GOLANG_NAME else PAIRED_SQL,
                None,
                version=paired.group("version").upper(),
                direction=paired.group("direction").lower(),
                empty=empty,
            )
            return
        if "--> statement-breakpoint" in file.text:
            return  # Drizzle's SQL; counted from its journal
        if _NUMBERED.match(name):
            self._migration(out, file, PLAIN_SQL, None)

    # Liquibase XML/YAML/JSON changelogs

    def _liquibase(self, file: SourceFile, out: Extraction) -> None:
        if "databaseChangeLog" not in file.text:
            return
        if file.path.endswith(".xml"):
            changesets = _XML_CHANGESET.findall(file.text)
            rollbackable = sum(1 for body in changesets if _xml_changeset_reversible(body))
            self._migration(out, file, "liquibase", None, changesets=len(changesets), rollbackable=rollbackable)
            return
        documents = self._structured(file, out)
        entries: list[Any] = []
        for doc in documents:
            log = doc.get("databaseChangeLog") if isinstance(doc, dict) else None
            entries.extend(log if isinstance(log, list) else [])
        changesets = [e["changeSet"] for e in entries if isinstance(e, dict) and isinstance(e.get("changeSet"), dict)]
        rollbackable = sum(1 for c in changesets if _structured_changeset_reversible(c))
        self._migration(out, file, "liquibase", None, changesets=len(changesets), rollbackable=rollbackable)

    def _structured(self, file: SourceFile, out: Extraction) -> list[Any]:
        if file.path.endswith(".json"):
            try:
                return [json.loads(file.text)]
            except ValueError as exc:
                out.diagnostics.append(self.diagnostic(file.path, getattr(exc, "lineno", None), f"invalid JSON: {exc}"))
                return []
        return self.yaml_documents(file, out)

    # Prisma and Drizzle: configuration only; their migrations have no down step by design

    def _prisma_schema(self, file: SourceFile, out: Extraction) -> None:
        match = _PRISMA_PROVIDER.search(file.text)
        if not match:
            return
        line = file.text.count("\n", 0, match.start(1)) + 1
        provider = match.group(1)
        self._config(out, file.path, line, "prisma", engine=provider)
        tech = self._engine(provider)
        if tech is not None:
            out.facts.append(self._engine_hint(tech, "Prisma datasource provider ", provider, file.path, line))

    def _prisma_lock(self, file: SourceFile, out: Extraction) -> None:
        match = _LOCK_PROVIDER.search(file.text)
        line = file.text.count("\n", 0, match.start()) + 1 if match else 1
        self._config(out, file.path, line, "prisma", engine=match.group(1) if match else None, lock=True)

    def _drizzle_config(self, file: SourceFile, out: Extraction) -> None:
        dialect = _DRIZZLE_DIALECT.search(file.text)
        line = file.text.count("\n", 0, dialect.start()) + 1 if dialect else 1
        self._config(out, file.path, line, "drizzle", engine=dialect.group(1) if dialect else None)
        tech = self._engine(dialect.group(1)) if dialect else None
        if tech is not None and dialect is not None:
            out.facts.append(self._engine_hint(tech, "Drizzle dialect ", dialect.group(1), file.path, line))

    def _drizzle_journal(self, file: SourceFile, out: Extraction) -> None:
        data = self.json_mapping(file, out)
        entries = data.get("entries") if data else None
        if not isinstance(entries, list):
            return
        folder = folder_of(folder_of(file.path))
        self._config(out, file.path, 1, "drizzle", journal=True, dir=folder, entries=len(entries))

    # Ruby, Elixir, PHP, C#, Go, JavaScript migrations

    def _rails(self, file: SourceFile, out: Extraction) -> None:
        if "ActiveRecord::Migration" not in file.text:
            return
        self._migration(out, file, "rails-migrations", _block_verdict(file.text, "rails-migrations"))

    def _ecto(self, file: SourceFile, out: Extraction) -> None:
        if "Ecto.Migration" not in file.text:
            return
        self._migration(out, file, "ecto", _ecto_verdict(file.text))

    def _php(self, file: SourceFile, out: Extraction) -> None:
        if _DOCTRINE.search(file.text):  # also an AbstractMigration: Doctrine's, not Phinx's
            self._migration(out, file, "doctrine-migrations", _doctrine_verdict(file.text))
        elif re.search(r"\b(?:AbstractMigration|BaseMigration)\b", file.text):
            self._migration(out, file, "phinx", _phinx_verdict(file.text))
        elif re.search(r"\bextends\s+\w*Migration\b", file.text) and "Illuminate" in file.text:
            # Laravel's Migration, or a package's subclass of it (Pulse's PulseMigration, monica)
            self._migration(out, file, "laravel-migrations", _brace_verdict(file.text, _PHP_DOWN, "no `down()`"))

    def _ef_core(self, file: SourceFile, out: Extraction) -> None:
        if "MigrationBuilder" not in file.text or not re.search(r":\s*Migration\b", file.text):
            return
        self._migration(out, file, "ef-core", _brace_verdict(file.text, _CS_DOWN, "no `Down()`"))

    def _goose_go(self, file: SourceFile, out: Extraction) -> None:
        match = re.search(r"goose\.AddMigration\w*\(\s*[\w.]+\s*,\s*([\w.]+)\s*\)", file.text)
        if match:
            self._migration(out, file, "goose", _goose_go_verdict(file.text, match.group(1)))

    def _javascript(self, file: SourceFile, out: Extraction) -> None:
        source = file.text
        if "MigrationInterface" in source or "QueryRunner" in source:
            tool = "typeorm"
        elif "queryInterface" in source:
            tool = "sequelize"
        elif re.search(r"""from\s+['"]kysely['"]|\bKysely<""", source) and re.search(r"\bup\b", source):
            tool = "kysely"  # docmost's `export async function up(db: Kysely<any>)`
        elif re.search(r"\bknex\b|\bKnex\b", source) and re.search(r"\bup\b", source):
            tool = "knex"
        elif _JS_MODULE_MIGRATION.search(source):
            # sequelize-cli's and umzug's shape, with no queryInterface to name it (outline's data
            # migrations run a script in `up` and leave `down` empty): still one of its migrations
            tool = "sequelize"
        else:
            return
        self._migration(out, file, tool, _brace_verdict(source, _JS_DOWN, "no `down`"))

    # shared

    def _engine(self, name: str) -> Tech | None:
        """A provider or dialect name as the catalog knows it: an id (`turso`) or a URL scheme (`postgresql`)."""
        lowered = name.lower()
        tech = self.catalog.techs.get(lowered) or self.catalog.by_url_scheme(lowered)
        return tech if tech is not None and tech.category in DATA_STORE_CATEGORIES else None

    def _engine_hint(self, tech: Tech, what: str, value: str, path: str, line: int) -> Fact:
        return Fact(
            "env.database",
            text(tech.name, ": ", what, Code(value), " in ", Code(path), " (environment not stated)"),
            Confidence.HINT,
            self.evidence(path, line),
            item=tech.id,
            tech=tech.id,
            rank=70,
            order=(path, line),
        )

    # -- phase 2 ---------------------------------------------------------------------------------

    def resolve(self, ctx: ResolveContext) -> list[Fact]:
        """Counts per tool and folder: how many migrations can be rolled back."""
        groups = [group for group in _groups(ctx) if not is_example_path(group.anchor)]
        named = _named_tools(ctx) if any(g.tool in _NAMED_BY_FILES_ONLY for g in groups) else set()
        return [self._rollback_fact(group, named) for group in groups]

    def conclude(self, ctx: ResolveContext, facts: Sequence[Fact]) -> list[Fact]:
        """Migration files that no detector's release, hook, CI or start step applies: say so, as a hint."""
        groups = _groups(ctx)
        if not groups:  # no migrations: no fact needs looking through
            return []
        covered = _covered_tools(facts)
        if covered is None:  # a step names no tool: it may apply any
            return []
        out: list[Fact] = []
        appliers = _Appliers(ctx)
        named = _named_tools(ctx) if any(g.tool in _NAMED_BY_FILES_ONLY for g in groups) else set()
        for group in groups:
            if group.tool in covered or is_example_path(group.anchor):
                continue
            out.append(self._unapplied(group, appliers, named))
        return out

    def _rollback_fact(self, group: Group, named: set[str]) -> Fact:
        tool = self._tool_name(group.tool, named)
        where = Code(group.shown)
        parts: tuple[Part, ...]
        confidence = Confidence.DECLARED
        if group.tool == "prisma":
            parts = text(
                tool,
                ": forward-only (Prisma has no down migrations); ",
                _counted(group.total, "migration"),
                " in ",
                where,
                ". To undo a change, write a new migration (",
                Code("prisma migrate diff"),
                " can generate the reverse SQL)",
            )
        elif group.tool == "drizzle":
            parts = text(
                tool,
                ": forward-only (drizzle-kit has no down migrations); ",
                _counted(group.total, "migration"),
                " in ",
                where,
            )
        elif group.tool == "atlas":
            parts = text(
                tool,
                ": ",
                _counted(group.total, "versioned migration"),
                " in ",
                where,
                ", no down files; ",
                Code("atlas migrate down"),
                " plans the reverse against a dev database",
            )
        elif group.tool == "flyway":
            parts = _flyway_text(tool, group, where)
        elif group.tool == PLAIN_SQL:
            confidence = Confidence.INFERRED
            parts = text(
                "Numbered SQL scripts in ",
                where,
                f" ({group.total} files) with no migration tool found and no down scripts: changes are undone by hand",
            )
        else:
            parts = _count_text(tool, group, where)
        return Fact(
            "deploy.migration.rollback",
            parts,
            confidence,
            group.evidence(self.name),
            item=f"{group.tool}:{group.shown}",
            tech=group.tool if group.tool not in _TOOLLESS else None,
            rank=30,
            order=(group.shown, 0),
            attrs={"tool": group.tool, "migrations": group.total, "down": group.down},
        )

    def _unapplied(self, group: Group, appliers: _Appliers, named: set[str]) -> Fact:
        tool = self._tool_name(group.tool, named) if group.tool != PLAIN_SQL else "Numbered SQL scripts"
        unit = {"prisma": "migration folder", PLAIN_SQL: "file", "liquibase": "changeset"}.get(group.tool, "migration")
        parts: list[Part] = [tool, ": ", _counted(group.total, unit), " in ", Code(group.shown)]
        evidence = list(group.evidence(self.name))
        in_app = appliers.runtime_dependency(group.tool, folder_of(group.anchor))
        if in_app is not None:
            parts += [
                " and no separate step applies them; ",
                Code(str(in_app.data["name"])),
                " is a runtime dependency in ",
                Code(in_app.path),
                ", and ",
                RUNS_IN_APP[group.tool],
            ]
            evidence = [*self.evidence(in_app.path, in_app.line), *evidence]
        else:
            # a CI job that migrates the database its tests use applies nothing to an environment
            # (lobsters' check.yml loads the schema and migrates before its specs)
            parts.append(", but no deploy, release, hook or start step that applies them was found"
                         " (migrating a CI job's test database is not one)")
            defined = appliers.defined_commands(group.tool)
            if defined:
                record, command = _for_group(defined, group)
                where = RUNNERS.get(str(record.data.get("runner", "")), "script")
                label = record.data.get("name")
                parts += ["; ", where, " "]
                parts += [Code(str(label)), " in "] if label else []
                parts += [Code(record.path), " runs ", Code(_migrate_part(command))]
                callers = appliers.callers(record.path) if record.kind == "script.command" else []
                if callers:  # run by hand, then: the target is no deploy step
                    caller = callers[0]
                    parts += [", which ", RUNNERS.get(str(caller.data.get("runner", "")), "a task"), " ",
                              Code(str(caller.data.get("name"))), " runs"]
                    evidence = [*self.evidence(caller.path, caller.line), *evidence]
                else:
                    parts.append(", but nothing found calls it")
                evidence = [*self.evidence(record.path, record.line), *evidence]
        return Fact(
            "deploy.migration.strategy",
            text(*parts),
            Confidence.HINT,
            tuple(evidence),
            item=f"unapplied:{group.tool}:{group.shown}",
            tech=group.tool if group.tool not in _TOOLLESS else None,
            rank=70,
            order=(group.shown, 0),
        )

    def _tool_name(self, tool: str, named: Collection[str] = ()) -> str:
        """The tool's name; for a tool known by its files' names alone and nowhere else named in
        the repository, the naming (shiori's `.up.sql` files are applied by its own Go code)."""
        if tool in _NAMED_BY_FILES_ONLY and tool not in named:
            return _NAMED_BY_FILES_ONLY[tool]
        return self.catalog.techs[tool].name if tool in self.catalog.techs else tool


# -- phase-2 grouping ---------------------------------------------------------------------------------


@dataclass
class Group:
    """Migrations of one tool in one folder, as counted from the records."""

    tool: str
    shown: str  # the folder as shown to the reader
    anchor: str  # a file path in it (for example-path checks and evidence)
    total: int
    down: int
    lacking: list[tuple[str, str]]  # (path, why) of migrations without a down step
    unknown: int = 0
    undo_kind: str = ""
    lines: dict[str, int] = field(default_factory=dict)  # path -> the line that says it cannot be undone
    noops: list[tuple[str, int]] = field(default_factory=list)  # (path, line) of no-op reverse steps

    def evidence(self, detector: str) -> tuple[Evidence, ...]:
        """The first two migrations that cannot be undone, at the line that says so when one does
        (redash's empty `downgrade()`); when every one can, the last migration by name (or the
        tool's marker file). Not the last one beside them: healthchecks' count over `hc` cited an
        unrelated `payments` migration, which read as one that cannot be undone."""
        paths = [p for p, _ in self.lacking[:2]] or [self.anchor]
        cited = [Evidence(p, self.lines.get(p, 0), detector) for p in paths]
        if self.noops:  # the first reverse step that does nothing, which the text names
            cited.append(Evidence(*min(self.noops), detector))
        return tuple(cited)


def _groups(ctx: ResolveContext) -> list[Group]:
    files = ctx.records("migration.file")
    configs = ctx.records("migration.config")
    groups: list[Group] = []
    by_key: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for record in files:
        tool = str(record.data["tool"])
        folder = "" if tool == "django-migrations" else str(record.data["dir"])
        if tool == PLAIN_SQL:
            folder = _release_parent(folder)
        by_key[(tool, folder)].append(record)
    claimed_dirs = _tool_dirs(ctx, configs)
    for (tool, folder), records in sorted(by_key.items()):
        if tool == PLAIN_SQL and (folder in claimed_dirs or len(records) < 2):
            continue
        groups.append(_count(tool, folder, records))
    groups.extend(_prisma_groups(ctx, configs))
    groups.extend(_drizzle_groups(configs))
    groups.extend(_atlas_groups(ctx))
    return groups


def _count(tool: str, folder: str, records: list[Record]) -> Group:
    records = sorted(records, key=lambda r: r.path)
    if tool in ("golang-migrate", PAIRED_SQL):
        return _count_paired(tool, folder, records)
    if tool == "flyway":
        return _count_flyway(folder, records)
    if tool == "liquibase":
        total = sum(int(r.data.get("changesets", 0)) for r in records)
        down = sum(int(r.data.get("rollbackable", 0)) for r in records)
        lacking = [
            (r.path, "") for r in records if int(r.data.get("rollbackable", 0)) < int(r.data.get("changesets", 0))
        ]
        return Group(tool, folder, records[-1].path, total, down, lacking)
    known = [r for r in records if r.data.get("down") is not None]
    down = sum(1 for r in known if r.data["down"])
    lacking = [(r.path, str(r.data.get("why", ""))) for r in known if not r.data["down"]]
    shown = folder or _common_parent([r.path for r in records])
    lines = {r.path: int(r.data["why_line"]) for r in known if not r.data["down"] and r.data.get("why_line")}
    noops = [(r.path, int(r.data["noop_line"])) for r in known if r.data["down"] and r.data.get("noop_line")]
    return Group(tool, shown, records[-1].path, len(records), down, lacking, unknown=len(records) - len(known),
                 lines=lines, noops=noops)


def _count_paired(tool: str, folder: str, records: list[Record]) -> Group:
    ups = {str(r.data["version"]): r for r in records if r.data.get("direction") == "up"}
    downs = {
        str(r.data["version"]): r for r in records if r.data.get("direction") == "down" and not r.data.get("empty")
    }
    lacking = [(r.path, "no non-empty `.down.sql`") for v, r in sorted(ups.items()) if v not in downs]
    anchor = records[-1].path
    return Group(tool, folder, anchor, len(ups), len(ups) - len(lacking), lacking)


def _count_flyway(folder: str, records: list[Record]) -> Group:
    versions = {str(r.data["version"]) for r in records if r.data.get("kind") == "V"}
    undos = {str(r.data["version"]) for r in records if r.data.get("kind") == "U"}
    lacking = [(r.path, "") for r in records if r.data.get("kind") == "V" and str(r.data["version"]) not in undos]
    return Group("flyway", folder, records[-1].path, len(versions), len(versions & undos), lacking)


def _tool_dirs(ctx: ResolveContext, configs: list[Record]) -> set[str]:
    """Folders whose SQL belongs to a tool known by a marker file, not to loose scripts."""
    dirs = {folder_of(p) for p in _named(ctx.files, "atlas.sum")}
    for record in configs:
        if record.data.get("journal"):
            dirs.add(str(record.data["dir"]))
        if record.data.get("lock"):
            dirs.add(folder_of(record.path))
    return dirs


def _prisma_groups(ctx: ResolveContext, configs: list[Record]) -> list[Group]:
    locks = sorted({folder_of(r.path) for r in configs if r.data.get("lock")})
    if not locks:
        return []
    counts: dict[str, int] = defaultdict(int)
    for path in _named(ctx.files, "migration.sql"):
        counts[folder_of(folder_of(path))] += 1
    return [Group("prisma", folder, f"{folder}/migration_lock.toml", counts[folder], 0, []) for folder in locks]


def _drizzle_groups(configs: list[Record]) -> list[Group]:
    journals = [r for r in configs if r.data.get("journal")]
    return [Group("drizzle", str(r.data["dir"]), r.path, int(r.data["entries"]), 0, []) for r in journals]


def _atlas_groups(ctx: ResolveContext) -> list[Group]:
    sums = _named(ctx.files, "atlas.sum")
    if not sums:
        return []
    sql_files: dict[str, int] = defaultdict(int)  # folder -> .sql files in it, counted once
    for path in ctx.files:
        if path.endswith(".sql"):
            sql_files[folder_of(path)] += 1
    groups = []
    for path in sums:
        folder = folder_of(path)
        groups.append(Group("atlas", folder, path, sql_files.get(folder, 0), 0, []))
    return groups


def _named(paths: list[str], name: str) -> list[str]:
    """The paths whose file name is `name`; a substring test first, as building a path object for
    every file of a large repository costs more than the rest of the grouping."""
    return [p for p in paths if name in p and PurePosixPath(p).name == name]


_RELEASE_DIR = re.compile(r"v?\d+(?:[._-]\d+)*")


def _release_parent(folder: str) -> str:
    """Plain SQL scripts kept in a folder per release (memos' `store/migration/mysql/0.17/`) are one
    set, in the folder above the releases: 3 sets of scripts, not 34."""
    path = PurePosixPath(folder)
    while path.name and _RELEASE_DIR.fullmatch(path.name) and path.parent != path:
        path = path.parent
    return path.as_posix() if path.name else folder


def _common_parent(paths: list[str]) -> str:
    parts = [PurePosixPath(p).parent.parts for p in paths]
    common: list[str] = []
    for items in zip(*parts, strict=False):
        if len(set(items)) != 1:
            break
        common.append(items[0])
    return "/".join(common) or "."


def _migrate_part(command: str) -> str:
    """The simple command that migrates, out of a wrapper (`docker compose run api bash -c '...; mix ecto.migrate'`)."""
    parts = [part for piece in split_commands(command) for part in unwrap(piece.text)]
    migrating = [part for part in parts if any(c.kind == "migrate" for c in classify(part))]
    shortest = min(migrating, key=len) if migrating else command
    return shortest if len(shortest) <= 80 else shortest[:79] + "…"


def _covered_tools(facts: Sequence[Fact]) -> set[str] | None:
    """Tools some detector found a step for; None when a step names no tool (it may apply any)."""
    covered: set[str] = set()
    for fact in facts:
        if fact.field != "deploy.migration.strategy" or fact.confidence is Confidence.HINT:
            continue
        if all(is_example_path(e.path) for e in fact.evidence):
            continue
        tool = fact.attrs.get("tool") or fact.tech
        if not tool:
            return None
        covered.add(str(tool))
    return covered


# Tools told by file names other tools share: without a dependency, image, script or task of the
# tool, the files are said by their naming, not as the tool's.
_NAMED_BY_FILES_ONLY = {"golang-migrate": "SQL migrations named as golang-migrate names them (up and down files)",
                        PAIRED_SQL: "Numbered SQL migrations in up and down files"}


def _named_tools(ctx: ResolveContext) -> set[str]:
    """Tools the repository names outside their migration files: a dependency, a compose or
    workload image, a classified script, task, CI step or Dockerfile command."""
    named = {str(r.data.get("tech")) for r in ctx.records("deps.package")}
    named |= {str(r.data.get("tech")) for r in ctx.records("compose.service")}
    named |= {str(r.data.get("tool")) for r in ctx.records("script.command")}
    named |= {str(c.get("tool")) for r in ctx.records("task.target") for c in r.data.get("classified", [])}
    commands: list[str] = []
    for record in ctx.records("gha.workflow"):  # CI steps (`docker run ... migrate/migrate ... up`)
        commands += [str(step.get("run") or "") for job in record.data.get("jobs", []) for step in job.get("steps", [])]
    for record in ctx.records("dockerfile.image"):  # `CMD ["migrate", ...]`, `RUN go install .../migrate`
        for stage in record.data.get("stages", []):
            commands += [str(stage[key][0]) for key in ("entrypoint", "cmd") if stage.get(key)]
    for command in commands:
        named |= {c.tool for simple in split_commands(command) for c in classify(simple.text)}
    for record in ctx.records("k8s.object"):  # a migration Job's `image: migrate/migrate`
        for container in record.data.get("containers", []):
            found = ctx.catalog.by_image(str(container.get("image") or "")) if container.get("image") else None
            if found:
                named.add(found[0].id)
    return named


class _Appliers:
    """What could apply each tool's migrations, read in one pass over the records (on first use):
    a monorepo has a migration folder per service, and each folder's hint asks for its tool."""

    def __init__(self, ctx: ResolveContext) -> None:
        self._ctx = ctx
        self._runtime: dict[str, list[Record]] | None = None  # tool -> its runtime (not dev) dependencies
        self._defined: dict[str, list[tuple[Record, dict[str, Any]]]] | None = None  # tool -> (record, command)

    def runtime_dependency(self, tool: str, folder: str) -> Record | None:
        """The dependency through which the application itself applies this tool's migrations: the
        nearest manifest whose folder holds the migrations (a sibling module's does not apply them)."""
        if tool not in RUNS_IN_APP:
            return None
        if self._runtime is None:
            self._runtime = defaultdict(list)
            for record in self._ctx.records("deps.package"):
                tech = record.data.get("tech")
                if isinstance(tech, str) and not record.data.get("dev"):
                    self._runtime[tech].append(record)
        runtime = self._runtime.get(tool, [])
        enclosing = [r for r in runtime if is_within(folder, folder_of(r.path))]
        return max(enclosing, key=lambda r: r.path.count("/"), default=None)

    def callers(self, script: str) -> list[Record]:
        """The task-runner targets that run this script (wallabag's `make update` runs
        scripts/update.sh), by its path from the target's folder, directly or through `sh`/`bash`."""
        found = []
        for record in self._ctx.records("task.target"):
            folder = folder_of(record.path)
            for command in record.data.get("commands", []):
                words = argv(str(command.get("command", "")))
                if len(words) > 1 and words[0] in ("sh", "bash"):
                    words = words[1:]
                if words and posixpath.normpath(posixpath.join(folder, words[0])) == script:
                    found.append(record)
                    break
        return found

    def defined_commands(self, tool: str) -> list[tuple[Record, str]]:
        """Task-runner targets and scripts that would apply this tool's migrations."""
        if self._defined is None:
            self._defined = defaultdict(list)
            for record in self._ctx.records("task.target"):
                for classified in record.data.get("classified", []):
                    if classified.get("kind") == "migrate" and isinstance(classified.get("tool"), str):
                        self._defined[classified["tool"]].append((record, classified))
            for record in self._ctx.records("script.command"):
                if record.data.get("kind") == "migrate" and isinstance(record.data.get("tool"), str):
                    self._defined[record.data["tool"]].append((record, record.data))
        found = [(record, str(command["command"])) for record, command in self._defined.get(tool, [])]
        return sorted(found, key=lambda f: (is_example_path(f[0].path), f[0].path, f[0].line))


def _for_group(defined: list[tuple[Record, str]], group: Group) -> tuple[Record, str]:
    """Of the targets that would apply a tool's migrations, the one whose name or command names the
    group's folder (homarr's `migration:postgresql:run` for packages/db/migrations/postgresql, not
    the first, `migration:mysql:run`, for all three); else the first."""
    leaf = group.shown.rstrip("/").rpartition("/")[2].lower()

    def names_it(item: tuple[Record, str]) -> bool:
        record, command = item
        return bool(leaf) and (leaf in command.lower() or leaf in str(record.data.get("name") or "").lower())

    return next((item for item in defined if names_it(item)), defined[0])


# -- texts ------------------------------------------------------------------------------------------


def _count_text(tool: str, group: Group, where: Code) -> tuple[Part, ...]:
    words = _marked(DOWN_WORDS.get(group.tool, "a down step"))
    unit = "changesets" if group.tool == "liquibase" else "migrations"
    known = group.total - group.unknown
    if known == 1 and group.down == 1:
        share = f"the only {unit[:-1]}"
    elif group.down == known and known:
        share = f"all {known} {unit}"
    else:
        share = f"{group.down} of {known} {unit}"
    parts: list[Part] = [tool, f": {share} in ", where, " can be rolled back (", *words, ")"]
    if group.noops:
        # rolled back, but what they did to the data stays (paperless-ngx's checksum rewrite)
        first = min(group.noops)[0].rsplit("/", 1)[-1]
        them = "it" if len(group.noops) == 1 else f"{len(group.noops)} of them"
        parts += [f", {them} with a reverse step that does nothing (", "first: " if len(group.noops) > 1 else "",
                  Code(first), "): rolled back, what that step did to the data stays"]
    reasons = Counter(why for _, why in group.lacking if why)
    if reasons:
        parts.append(f"; {len(group.lacking)} cannot")
        first = group.lacking[0][0]
        if first != group.anchor:  # the second citation (Group.evidence), named: not the newest one's reason
            # named beside the count, not after the last reason, which it need not have (passbolt)
            parts += [" (", "first: " if len(group.lacking) > 1 else "", Code(first.rsplit("/", 1)[-1]), ")"]
        parts.append(": ")
        # each reason with its count after it: a reason is a verb phrase ("raises `IrreversibleMigration`"),
        # which a plural count before it would not agree with; one reason for all needs no count
        alone = len(reasons) == 1 and sum(reasons.values()) == len(group.lacking)
        for index, (why, count) in enumerate(reasons.most_common(3)):
            parts += [", " if index else "", *_marked(why), "" if alone else f" ({count})"]
    if group.unknown:
        parts.append(f"; {group.unknown} could not be read")
    return text(*parts)


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _marked(words: str) -> list[Part]:
    """Prose with `backticked` names, as parts: the names become code spans."""
    return [Code(piece) if index % 2 else piece for index, piece in enumerate(words.split("`")) if piece]


def _flyway_text(tool: str, group: Group, where: Code) -> tuple[Part, ...]:
    if group.down == 0:
        return text(
            tool,
            ": forward-only; " + ("the only" if group.total == 1 else f"none of the {group.total}"),
            " versioned migration" if group.total == 1 else " versioned migrations",
            " in ",
            where,
            " has no undo script (" if group.total == 1 else " has an undo script (",
            Code("U{version}__*.sql"),
            ", a Flyway Teams/Enterprise feature)",
        )
    return text(
        tool,
        f": {group.down} of {group.total} versioned migrations in ",
        where,
        " have an undo script (",
        Code("U{version}__*.sql"),
        ", applied by ",
        Code("flyway undo"),
        " in Flyway Teams/Enterprise)",
    )


# -- per-file verdicts --------------------------------------------------------------------------------


def _alembic_verdict(tree: ast.Module) -> Verdict:
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == "downgrade":
            body = [s for s in node.body if not _is_noop(s)]
            if not body:
                return Verdict(False, "`downgrade()` is empty", node.lineno)
            if all(isinstance(s, ast.Raise) for s in body):
                return Verdict(False, "`downgrade()` raises", node.lineno)
            return Verdict(True)
    return Verdict(False, "no `downgrade()`")


def _is_noop(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.Pass):
        return True
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)


def _django_verdict(tree: ast.Module) -> Verdict:
    noop = 0
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        reverse = {"RunPython": "reverse_code", "RunSQL": "reverse_sql"}.get(name)
        if reverse is None:
            continue
        given = [k.value for k in node.keywords if k.arg == reverse] or node.args[1:2]
        if not given or (isinstance(given[0], ast.Constant) and given[0].value is None):
            return Verdict(False, f"`{name}` without `{reverse}`", node.lineno)
        if not noop and _does_nothing(given[0]):
            noop = given[0].lineno
    return Verdict(True, noop=noop)


def _does_nothing(step: ast.expr) -> bool:
    """`migrations.RunPython.noop`, `RunSQL.noop`, an empty SQL string or list."""
    if isinstance(step, ast.Attribute):
        return step.attr == "noop"
    if isinstance(step, ast.Constant):
        return step.value == ""
    return isinstance(step, ast.List | ast.Tuple) and not step.elts


def _section_verdict(source: str, marker: str, label: str) -> Verdict:
    match = re.search(marker, source)
    if not match:
        return Verdict(False, f"no `{label}` section")
    rest = source[match.end() :]
    following_up = re.search(r"--\s*(?:\+(?:goose|migrate)\s+Up|migrate:up)", rest)
    section = rest[: following_up.start()] if following_up else rest
    section = re.sub(r"^--\s*\+(?:goose|migrate)\s+Statement(?:Begin|End)\s*$", "", section, flags=re.M)
    if _SQL_COMMENTS.sub("", section).strip():
        return Verdict(True)
    return Verdict(False, f"empty `{label}` section")


def _ruby_bodies(source: str) -> dict[str, str]:
    """`def up/down/change` bodies, ended by the `end` at the same indentation (the usual layout)."""
    bodies: dict[str, str] = {}
    for match in _RUBY_DEF.finditer(source):
        if re.match(r"\s*,\s*do:", match.group("rest")):
            bodies[match.group("name")] = match.group("rest")
            continue
        end = re.compile(rf"^{re.escape(match.group('indent'))}end\b", re.M).search(source, match.end())
        bodies[match.group("name")] = source[match.end() : end.start() if end else len(source)]
    return bodies


def _block_verdict(source: str, tool: str) -> Verdict:
    """Rails and Ecto: a `down`, or a `change` with nothing the tool cannot invert."""
    if "IrreversibleMigration" in source:
        return Verdict(False, "raises `IrreversibleMigration`")
    bodies = _ruby_bodies(source)
    if "down" in bodies or _ELIXIR_DELEGATE_DOWN.search(source):
        return Verdict(True) if bodies.get("down", "x").strip() else Verdict(False, "empty `down`")
    change = bodies.get("change")
    if change is None:
        return Verdict(False, "only `up`")
    pattern = IRREVERSIBLE_IN_CHANGE.get(tool)
    if pattern and pattern.search(change) and not re.search(r"\breversible\b|\bup_only\b", change):
        return Verdict(False, "`change` runs a command it cannot reverse")
    return Verdict(True)


def _ecto_verdict(source: str) -> Verdict:
    """Ecto's `change` cannot reverse `execute/1`, `modify` without `from:` or `remove/1`."""
    verdict = _block_verdict(source, "ecto")
    bodies = _ruby_bodies(source)
    if not verdict.down or "down" in bodies or "change" not in bodies:
        return verdict
    change = _code_only(bodies["change"])
    for name in ("execute", "remove"):  # execute/2 and remove/2 (with a type) are reversible
        if any(len(args) < 2 for args in _elixir_calls(change, name)):
            return Verdict(False, f"`change` calls `{name}` with no reverse")
    for args in _elixir_calls(change, "modify"):
        if not any(a.lstrip().startswith("from:") or "from:" in a for a in args):
            return Verdict(False, "`change` calls `modify` without `from:`")
    return verdict


def _code_only(source: str) -> str:
    """Elixir or Ruby code with string literals emptied and `#` comments removed, so words in SQL
    or in a printed message are not mistaken for calls; argument commas stay where they were."""
    out: list[str] = []
    i = 0
    while i < len(source):
        if source.startswith(('"""', "'''"), i):
            end = source.find(source[i : i + 3], i + 3)
            out.append('""')
            i = len(source) if end < 0 else end + 3
        elif source[i] in "\"'":
            j = i + 1
            while j < len(source) and source[j] != source[i]:
                j += 2 if source[j] == "\\" else 1
            out.append('""')
            i = j + 1
        elif source[i] == "#":
            end = source.find("\n", i)
            i = len(source) if end < 0 else end
        else:
            out.append(source[i])
            i += 1
    return "".join(out)


def _elixir_calls(source: str, name: str) -> list[list[str]]:
    """Top-level arguments of each `name(...)` / `name ...` call (strings and nesting respected)."""
    calls: list[list[str]] = []
    for match in re.finditer(rf"(?<![\w.:]){name}(?=[\s(])", source):
        rest = source[match.end() :]
        args = _split_args(rest[1:], ")") if rest.startswith("(") else _split_args(rest, "\n")
        if args:
            calls.append(args)
    return calls


def _split_args(source: str, closer: str) -> list[str]:
    args: list[str] = []
    depth = 0
    current: list[str] = []
    i = 0
    while i < len(source):
        ch = source[i]
        if source.startswith('"""', i):
            end = source.find('"""', i + 3)
            end = len(source) if end < 0 else end + 3
            current.append(source[i:end])
            i = end
            continue
        if ch in "\"'":
            j = i + 1
            while j < len(source) and source[j] != ch:
                j += 2 if source[j] == "\\" else 1
            current.append(source[i : j + 1])
            i = j + 1
            continue
        if depth == 0 and ch == closer:
            break
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                break
            depth -= 1
        if ch == "," and depth == 0:
            args.append("".join(current))
            current = []
            if closer == "\n":
                # a trailing comma continues a paren-less call on the next line
                nxt = source.find("\n", i)
                if nxt >= 0 and not source[i + 1 : nxt].strip():
                    i = nxt + 1
                    continue
        else:
            current.append(ch)
        i += 1
    last = "".join(current).strip()
    if last:
        args.append(last)
    return [a.strip() for a in args if a.strip()]


# Doctrine's AbstractMigration, or an application's subclass of it in the bundle's namespace working
# on Doctrine's Schema (kimai's `namespace DoctrineMigrations; use App\Doctrine\AbstractMigration`)
_DOCTRINE = re.compile(
    r"\bDoctrine\\(?:DBAL\\)?Migrations\\AbstractMigration\b|^namespace\s+DoctrineMigrations\b"
    r"|\bDoctrine\\DBAL\\Schema\\Schema\b", re.M)
# A `down()` that only keeps Doctrine from warning about an empty migration does nothing (kimai)
_DOCTRINE_NO_OP = re.compile(r"\$this->preventEmptyMigrationWarning\(\)\s*;")
_DOCTRINE_IRREVERSIBLE = re.compile(r"->\s*throwIrreversibleMigrationException\s*\(|->\s*abortIf\s*\(\s*true\b")
# A `down()` whose first statement refuses: it throws Doctrine's skip or irreversible exception, or
# skips itself outright (wallabag's "Too complex" rollbacks: `throw new SkipMigration(...)`, and
# `$this->skipIf(true, ...)`). Only the first statement: a throw inside one platform's branch leaves
# the others reversible.
_REFUSAL = (r"(?:throw\s+new\s+\\?(?:\w+\\)*(?:SkipMigration|IrreversibleMigration)\w*\s*\("
            r"|\$this->(?:skipIf|abortIf)\s*\(\s*true\b)")
_DOCTRINE_REFUSES = re.compile(r"\A\s*" + _REFUSAL)
# Where it refuses, to cite: the same statement at the start of a line (not in a comment)
_DOCTRINE_REFUSAL = re.compile(r"(?m)^[ \t]*" + _REFUSAL)
# A generated `down()` on PostgreSQL that starts by creating the `public` schema, which always exists
# there: the down migration fails on its first statement (doctrine/dbal#6243, doctrine/migrations#494).
_DOCTRINE_PUBLIC_SCHEMA = re.compile(r"""addSql\(\s*(['"])CREATE SCHEMA public\1\s*\)""", re.I)


def _goose_go_verdict(source: str, down: str) -> Verdict:
    """A Go migration's down function: none (`nil`), one that only returns nil (navidrome's 80 of 95,
    some commented "irreversible"), or one that does something."""
    if down == "nil":
        return Verdict(False, "no down function")
    signature = re.search(rf"func\s+{re.escape(down.rsplit('.', 1)[-1])}\s*\([^)]*\)\s*error\s*", source)
    body = _brace_body(source, signature.end()) if signature else None
    stripped = _COMMENTS.sub("", body) if body is not None else None
    line = source.count("\n", 0, signature.start()) + 1 if signature else 0
    if stripped is not None and re.fullmatch(r"\s*return\s+nil\s*", stripped):
        return Verdict(False, "down function only returns nil", line)
    if stripped is not None and re.fullmatch(r"\s*return\s+(?:errors\.New|fmt\.Errorf)\(.*\)\s*", stripped, re.S):
        return Verdict(False, "down function only returns an error", line)
    return Verdict(True)


def _doctrine_verdict(source: str) -> Verdict:
    """Doctrine Migrations: a `down()` that does something, not one that says it cannot."""
    down = _PHP_DOWN.search(source)
    if down is None:
        return Verdict(False, "only `up()`")
    body = _brace_body(source, down.end())
    if body is None or not _has_statements(_DOCTRINE_NO_OP.sub("", body)):
        return Verdict(False, "empty `down()`")
    if _DOCTRINE_IRREVERSIBLE.search(body):
        return Verdict(False, "`down()` throws an irreversible-migration exception")
    if _DOCTRINE_REFUSES.search(_COMMENTS.sub("", body)):
        # one reason whatever the exception (one line of reasons, not one per class name), cited
        # where it refuses: the body's first `throw` or `$this->`
        opened = source.find("{", down.end())
        refusal = _DOCTRINE_REFUSAL.search(source, opened)
        at = refusal.start() if refusal else opened
        return Verdict(False, "`down()` only refuses to run", source.count("\n", 0, at) + 1)
    if _DOCTRINE_PUBLIC_SCHEMA.search(body):
        return Verdict(False, "`down()` creating schema `public`, which PostgreSQL already has")
    return Verdict(True)


def _phinx_verdict(source: str) -> Verdict:
    down = _PHP_DOWN.search(source)
    if down:
        body = _brace_body(source, down.end())
        return Verdict(True) if body is not None and _has_statements(body) else Verdict(False, "empty `down()`")
    change = _PHP_CHANGE.search(source)
    if change is None:
        return Verdict(False, "only `up()`")
    body = _brace_body(source, change.end()) or ""
    if IRREVERSIBLE_IN_CHANGE["phinx"].search(body):
        return Verdict(False, "`change()` runs raw SQL, which Phinx cannot reverse")
    return Verdict(True)


def _brace_verdict(source: str, signature: re.Pattern[str], missing: str) -> Verdict:
    """C-like languages: the down method exists and its body does something other than throw."""
    match = signature.search(source)
    if match is None:
        return Verdict(False, missing)
    line = source.count("\n", 0, match.start() + len(match.group()) - len(match.group().lstrip())) + 1
    rest = source[match.end() :]
    arrow = rest.find("=>")
    brace = rest.find("{")
    if arrow >= 0 and (brace < 0 or arrow < brace) and not rest[arrow + 2 :].lstrip().startswith("{"):
        expression = rest[arrow + 2 :].split("\n", 1)[0]
        return Verdict(True) if expression.strip(" ;") else Verdict(False, "empty down", line)
    body = _brace_body(source, match.end())
    if body is None or not _has_statements(body):
        return Verdict(False, "empty down step", line)
    if re.match(r"^\s*throw\b", _COMMENTS.sub("", body).strip()):
        return Verdict(False, "down step throws", line)
    return Verdict(True)


def _brace_body(source: str, start: int) -> str | None:
    """The text between the first `{` after `start` and its matching `}`, skipping strings and comments."""
    open_at = source.find("{", start)
    if open_at < 0:
        return None
    depth = 0
    i = open_at
    while i < len(source):
        ch = source[i]
        if source.startswith(("//", "#"), i) and not source.startswith("#[", i):
            end = source.find("\n", i)
            i = len(source) if end < 0 else end
            continue
        if source.startswith("/*", i):
            end = source.find("*/", i + 2)
            i = len(source) if end < 0 else end + 2
            continue
        if ch in "\"'`":
            j = i + 1
            while j < len(source) and source[j] != ch:
                j += 2 if source[j] == "\\" else 1
            i = j + 1
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return source[open_at + 1 : i]
        i += 1
    return None


def _has_statements(body: str) -> bool:
    lines = [line.strip() for line in _COMMENTS.sub("", body).splitlines()]
    return any(line and not _TRIVIAL.match(line) for line in lines)


def _xml_changeset_reversible(body: str) -> bool:
    if "<rollback" in body:
        return True
    inner = re.sub(r"<(comment|preConditions|validCheckSum)\b.*?</\1>", "", body, flags=re.S)
    changes = {e for e in _XML_ELEMENT.findall(inner)[1:] if e not in LIQUIBASE_NESTED}
    return bool(changes) and changes <= LIQUIBASE_AUTO_ROLLBACK


def _structured_changeset_reversible(changeset: dict[str, Any]) -> bool:
    if changeset.get("rollback") is not None:
        return True
    changes = changeset.get("changes")
    kinds = [next(iter(c)) for c in changes if isinstance(c, dict) and c] if isinstance(changes, list) else []
    return bool(kinds) and all(str(k) in LIQUIBASE_AUTO_ROLLBACK for k in kinds)
