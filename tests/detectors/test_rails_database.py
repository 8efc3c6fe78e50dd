"""Rails' config/database.yml: each environment's engine, read line by line through its ERB."""

from __future__ import annotations

from pathlib import Path

from helpers import facts_for, fixture_text, scan_tree
from infrascan.detectors.rails_database import RailsDatabaseDetector

from infrascan.detector import SourceFile
from infrascan.model import Confidence

DETECTOR = RailsDatabaseDetector()


def facts(path: str, text: str) -> dict[tuple[str | None, str | None], tuple[str, Confidence, list[int]]]:
    found = DETECTOR.extract(SourceFile(path, text)).facts
    return {(f.env, f.tech): (f.text, f.confidence, [e.line for e in f.evidence]) for f in found}


def test_each_environment_s_engine_with_the_lines_that_say_it() -> None:
    found = facts("config/database.yml", fixture_text("rails_database", "config/database.yml"))
    # named databases merging the default: the merge lines and the default's adapter line
    assert found[("development", "postgresql")] == (
        "PostgreSQL: Rails databases primary, replica (adapter: postgresql) in config/database.yml",
        Confidence.DECLARED, [4, 10, 13])
    assert found[("test", "postgresql")] == (
        "PostgreSQL: Rails adapter: postgresql in config/database.yml", Confidence.DECLARED, [4, 18])
    # docuseal: production's ERB branches choose SQLite or PostgreSQL at boot; each is a lead
    assert found[("production", "sqlite")] == (
        "SQLite: Rails adapter: sqlite3 in config/database.yml, one of the branches its ERB conditions "
        "choose between at boot", Confidence.HINT, [23])
    assert found[("production", "postgresql")][1:] == (Confidence.HINT, [4, 26])
    # an adapter an environment variable fills in names no engine; the template block is no environment
    assert set(found) == {("development", "postgresql"), ("test", "postgresql"), ("production", "sqlite"),
                          ("production", "postgresql")}


def test_a_committed_sample_is_inferred_and_adapters_name_their_engines() -> None:
    # lobsters keeps config/database.yml.sample (the real file is ignored): SQLite in production
    sample = ("production:\n  primary:\n    adapter: sqlite3\n    database: storage/primary.sqlite3\n"
              "  cache:\n    adapter: sqlite3\n    database: storage/cache.sqlite3\n"
              "development:\n  adapter: trilogy\n")
    found = facts("config/database.yml.sample", sample)
    assert found[("production", "sqlite")] == (
        "SQLite: Rails databases primary, cache (adapter: sqlite3) in config/database.yml.sample",
        Confidence.INFERRED, [3, 6])
    assert found[("development", "mysql")][0] == "MySQL: Rails adapter: trilogy in config/database.yml.sample"


def test_only_a_config_folder_s_database_yml_is_rails(tmp_path: Path) -> None:
    text = "production:\n  adapter: postgresql\n"
    scanned = scan_tree(tmp_path, {"config/database.yml": text, "docs/database.yml": text,
                                   "database.yml": text})
    databases = [f for f in facts_for(scanned.model, "env.database", "production")
                 if any(e.detector == "rails-database" for e in f.evidence)]
    assert [e.path for f in databases for e in f.evidence] == ["config/database.yml"]


def test_stray_lines_and_broken_erb_are_read_without_error() -> None:
    text = "<%= unclosed\nproduction:\n<% if x\n  adapter: mysql2\n  <<: *missing\n\tbad\n  adapter:\n"
    found = facts("config/database.yml", text)
    assert found == {("production", "mysql"): (
        "MySQL: Rails adapter: mysql2 in config/database.yml, one of the branches its ERB conditions choose "
        "between at boot", Confidence.HINT, [4])}


def test_a_named_database_merges_another_named_one() -> None:
    # Rails 8's production: `primary: &primary_production`, which cache and queue merge
    text = ("default: &default\n  adapter: postgresql\nproduction:\n  primary: &primary_production\n"
            "    <<: *default\n  cache:\n    <<: *primary_production\n    database: app_cache\n")
    assert facts("config/database.yml", text)[("production", "postgresql")] == (
        "PostgreSQL: Rails databases primary, cache (adapter: postgresql) in config/database.yml",
        Confidence.DECLARED, [2, 5, 7])


def test_a_setting_that_holds_a_map_is_no_database_of_its_own() -> None:
    # discourse: `variables:` and `host_names:` are settings of production's one database
    text = ("production:\n  adapter: postgresql\n  database: app\n  variables:\n    statement_timeout: 5000\n"
            "  host_names:\n    - db1\n")
    assert facts("config/database.yml", text)[("production", "postgresql")][:2] == (
        "PostgreSQL: Rails adapter: postgresql in config/database.yml", Confidence.DECLARED)


def test_erb_around_sections_or_commented_branches_no_environment() -> None:
    text = ("<%# Rails 8 defaults %>\ndevelopment:\n  adapter: sqlite3\n<% if ENV['PG'] %>\n"
            "production:\n  adapter: postgresql\n<% end %>\n")
    found = facts("config/database.yml", text)
    assert found[("development", "sqlite")][1] is Confidence.DECLARED
    assert found[("production", "postgresql")][1] is Confidence.DECLARED


def test_a_default_whose_erb_branches_choose_is_a_lead_wherever_it_is_merged() -> None:
    text = ("default: &default\n<% if ENV['MYSQL'] %>\n  adapter: trilogy\n<% else %>\n  adapter: postgresql\n"
            "<% end %>\nproduction:\n  <<: *default\n")
    found = facts("config/database.yml", text)
    assert {k: v[1] for k, v in found.items()} == {("production", "mysql"): Confidence.HINT,
                                                  ("production", "postgresql"): Confidence.HINT}


def test_shared_is_merged_into_every_environment_and_is_none_itself() -> None:
    # Rails merges `shared:` into each environment of the file
    text = "shared:\n  adapter: postgresql\ndevelopment:\n  database: dev\nproduction:\n  adapter: mysql2\n"
    found = facts("config/database.yml", text)
    assert set(found) == {("development", "postgresql"), ("production", "mysql")}


def test_an_environment_written_in_two_erb_branches_is_a_lead_for_each() -> None:
    # review: `<% if %> production: postgresql <% else %> production: sqlite3 <% end %>`
    text = ("<% if ENV['PG'] %>\nproduction:\n  adapter: postgresql\n<% else %>\nproduction:\n  adapter: sqlite3\n"
            "<% end %>\n")
    found = facts("config/database.yml", text)
    assert {k: v[1] for k, v in found.items()} == {("production", "postgresql"): Confidence.HINT,
                                                  ("production", "sqlite"): Confidence.HINT}
