"""The DDEV detector: `.ddev/config.yaml` as the development environment's URL, database and runtime."""

from __future__ import annotations

from pathlib import Path

from helpers import facts_for, fixture_tree, scan_tree
from infrascan.detectors.ddev import DdevDetector

from infrascan.detector import SourceFile
from infrascan.model import Confidence


def tree(name: str) -> dict[str, str | bytes]:
    return fixture_tree("ddev", name)


def dev_texts(tmp_path: Path, name: str, field: str) -> list[str]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    scanned = scan_tree(tmp_path, tree(name))
    return [f.text for f in facts_for(scanned.model, field, env="development")]


def test_a_cakephp_project_gives_its_url_database_and_runtime(tmp_path: Path) -> None:
    # passbolt_api: the development environment was three gaps though .ddev/config.yaml says all three
    scanned = scan_tree(tmp_path, tree("cakephp"))
    [url] = facts_for(scanned.model, "env.url", env="development")
    assert url.text == "https://shop-api.ddev.site (DDEV project shop-api)" and url.evidence[0].line == 2
    [db] = facts_for(scanned.model, "env.database", env="development")
    assert db.text == "MariaDB 10.11 (DDEV database)" and db.tech == "mariadb" and db.evidence[0].line == 11
    assert db.confidence is Confidence.DECLARED
    [special] = facts_for(scanned.model, "env.special", env="development")
    assert special.text == "DDEV project of type cakephp: PHP 8.4, web server nginx-fpm"
    assert not facts_for(scanned.model, "env.url", env="production")  # a workstation's, nothing else's


def test_extra_host_names_use_the_project_tld_and_fqdns_stand_as_written(tmp_path: Path) -> None:
    model = scan_tree(tmp_path, tree("drupal")).model
    assert [f.text for f in facts_for(model, "env.url", env="development")] == [
        "https://acme-cms.ddev.test (DDEV project acme-cms)",
        "https://admin.acme-cms.ddev.test (DDEV project acme-cms)",
        "https://cms.acme.local (DDEV project acme-cms)",
    ]  # the wildcard host names no one URL
    assert [f.text for f in facts_for(model, "env.database", env="development")] == ["PostgreSQL 16 (DDEV database)"]
    assert [f.text for f in facts_for(model, "env.special", env="development")] == [
        "DDEV project of type drupal11: PHP 8.3, Node.js 22, web server apache-fpm"]


def test_no_database_container_and_no_name_say_nothing_of_them(tmp_path: Path) -> None:
    assert dev_texts(tmp_path, "no-db", "env.database") == []
    assert dev_texts(tmp_path / "url", "no-db", "env.url") == []


def test_a_file_without_database_says_ddev_s_default_without_a_version() -> None:
    out = DdevDetector().extract(SourceFile(".ddev/config.yaml", "name: shop\ntype: laravel\n"))
    [db] = [f for f in out.facts if f.field == "env.database"]
    assert db.confidence is Confidence.INFERRED and db.text.startswith("MariaDB, DDEV's default database")
    assert db.tech == "mariadb"
    # a version with no type is DDEV's default engine too; odd values are not printed as Python
    out = DdevDetector().extract(SourceFile(".ddev/config.yaml", (
        "name: shop\nproject_tld: [a]\nphp_version: true\ndatabase:\n  version: '10.6'\n")))
    texts_ = [f.text for f in out.facts]
    assert "https://shop.ddev.site (DDEV project shop)" in texts_ and not [t for t in texts_ if "True" in t]
    assert [f.tech for f in out.facts if f.field == "env.database"] == ["mariadb"]


def test_a_project_in_a_subfolder_is_read(tmp_path: Path) -> None:
    # a monorepo keeps a DDEV project per app (the code review's case)
    scanned = scan_tree(tmp_path, {"apps/shop/.ddev/config.yaml": "name: shop\ndatabase:\n  type: postgres\n"
                                                                   "  version: '16'\n"})
    assert [f.text for f in facts_for(scanned.model, "env.database", env="development")] == [
        "PostgreSQL 16 (DDEV database)"]


def test_invalid_yaml_is_a_diagnostic_with_its_line() -> None:
    out = DdevDetector().extract(SourceFile(".ddev/config.yaml", "name: shop\ntype: [a\nphp_version: 8\n"))
    assert out.facts == [] and [d.line for d in out.diagnostics] == [3]


def test_ddev_before_1_19_names_its_database_by_version_key() -> None:
    # AOEpeople/meals: `mariadb_version: ""` beside `mysql_version: "5.7"`, and a router on 8443
    out = DdevDetector().extract(SourceFile(".ddev/config.yaml", (
        'name: meals\ntype: php\nrouter_https_port: "8443"\nmariadb_version: ""\nmysql_version: "5.7"\n')))
    assert [f.text for f in out.facts if f.field == "env.database"] == ["MySQL 5.7 (DDEV database)"]
    assert [f.text for f in out.facts if f.field == "env.url"] == ["https://meals.ddev.site:8443 (DDEV project meals)"]


def test_the_applications_db_host_is_the_ddev_database(tmp_path: Path) -> None:
    # Symfony on DDEV: `DATABASE_URL=mysql://db:db@db:3306/db` reaches DDEV's MariaDB, host `db`
    scanned = scan_tree(tmp_path, {**tree("cakephp"),
                                   ".env.example": "DATABASE_URL=mysql://db:db@db:3306/db\n"})
    found = [f.text for f in facts_for(scanned.model, "env.database", env="development")]
    assert not [t for t in found if t.startswith("MySQL")], found
    assert any("host db runs MariaDB here (it speaks the MySQL protocol)" in t for t in found), found


def test_a_database_type_without_version_runs_ddev_s_default_version() -> None:
    # the code review: `database: {type: mariadb}` read "MariaDB (version unpinned)", a floating image
    # tag, where DDEV runs its own default version of the engine
    out = DdevDetector().extract(SourceFile(".ddev/config.yaml", "name: shop\ndatabase:\n  type: mariadb\n"))
    [db] = [f for f in out.facts if f.field == "env.database"]
    assert db.text == "MariaDB (DDEV database, DDEV's default version)" and db.tech == "mariadb"
