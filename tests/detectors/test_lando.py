"""The Lando detector: a folder's Landofiles merged as Lando merges them, as the development environment."""

from __future__ import annotations

from pathlib import Path

from helpers import facts_for, fixture_tree, scan_tree, texts

from infrascan.model import Confidence


def test_landofiles_are_merged_and_each_value_cites_the_file_it_won_from(tmp_path: Path) -> None:
    # bixal-site-drupal: .lando.dist.yml sets the recipe, apache and the database; .lando.yml moves the
    # web server to nginx and adds Redis and a Node.js service
    model = scan_tree(tmp_path, fixture_tree("lando", "drupal")).model
    assert texts(facts_for(model, "env.url", env="development")) == [
        "https://acme.lndo.site (Lando app acme)", "https://admin.acme.lndo.site (Lando app acme)"]  # not mailhog's
    db, cache = facts_for(model, "env.database", env="development")
    assert db.text == "MariaDB 10.6 (Lando database)" and db.tech == "mariadb"
    assert (db.evidence[0].path, db.evidence[0].line) == (".lando.dist.yml", 7)
    assert db.attrs["hosts"] == ["database"]
    assert cache.text == "Redis 6 (Lando cache service)" and cache.evidence[0].path == ".lando.yml"
    [special] = facts_for(model, "env.special", env="development")
    assert special.text == "Lando recipe drupal10: PHP 8.3, web server nginx:1.25 and Node.js 22 (service node)"
    assert [(e.path, e.line) for e in special.evidence] == [
        (".lando.dist.yml", 2), (".lando.dist.yml", 6), (".lando.yml", 3), (".lando.yml", 8)]
    assert not facts_for(model, "env.database", env="production")  # a workstation's, nothing else's


def test_a_recipe_without_database_or_proxy_gets_its_defaults(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "api/.lando.yml": "name: my-shop\nrecipe: laravel\nconfig:\n  php: '8.2'\n  cache: redis\n",
        "legacy/.lando.yml": "name: Old Site\nrecipe: lamp\nservices:\n  database:\n    type: postgres:14\n",
    }
    model = scan_tree(tmp_path, files).model
    # "Old Site" is not the slug Lando makes of it: no URL is made up
    assert texts(facts_for(model, "env.url", env="development")) == ["https://my-shop.lndo.site (Lando app my-shop)"]
    found = {(f.text, f.confidence, f.evidence[0].path) for f in facts_for(model, "env.database", env="development")}
    assert found == {
        ("MySQL, the Lando laravel recipe's default database (the file names none, and the default version "
         "depends on the Lando release)", Confidence.INFERRED, "api/.lando.yml"),
        ("Redis (Lando cache service, Lando's default version)", Confidence.DECLARED, "api/.lando.yml"),
        ("PostgreSQL 14 (Lando database)", Confidence.DECLARED, "legacy/.lando.yml"),
    }


def test_an_app_without_recipe_and_a_broken_file(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "web/.lando.yml": "name: web\nservices:\n  app:\n    type: node:20\n  db:\n    type: mongo:6\n",
        "bad/.lando.yml": "name: bad\nrecipe: [drupal10\n",
    }
    scanned = scan_tree(tmp_path, files)
    model = scanned.model
    assert texts(facts_for(model, "env.special", env="development")) == ["Lando app: Node.js 20 (service app)"]
    assert texts(facts_for(model, "env.database", env="development")) == ["MongoDB 6 (Lando service db)"]
    assert not facts_for(model, "env.url")  # no recipe: no default proxy
    [diagnostic] = [d for d in model.diagnostics if d.detector == "lando"]
    assert diagnostic.path == "bad/.lando.yml" and diagnostic.line


def test_a_type_without_version_runs_lando_s_default_and_a_cache_service_is_said_once(tmp_path: Path) -> None:
    # 40Q/40q-university: `config.cache: redis` and a `cache` service of the same type are one service
    files: dict[str, str | bytes] = {".lando.yml": (
        "name: radicle\nrecipe: wordpress\nconfig:\n  php: '8.1'\n  database: mariadb\n  cache: redis\n"
        "services:\n  build:\n    type: node\n  cache:\n    type: redis\n")}
    model = scan_tree(tmp_path, files).model
    assert texts(facts_for(model, "env.database", env="development")) == [
        "MariaDB (Lando database, Lando's default version)", "Redis (Lando cache service, Lando's default version)"]
    assert texts(facts_for(model, "env.special", env="development")) == [
        "Lando recipe wordpress: PHP 8.1 and Node.js (service build, Lando's default version)"]


def test_the_code_review_s_lando_cases(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        # proxy lists add up across Landofiles, beside the recipe's own <name>.lndo.site
        "shop/.lando.base.yml": ("name: shop\nrecipe: laravel\nconfig:\n  cache: redis\n"
                                 "proxy:\n  appserver:\n    - admin.shop.lndo.site\n"),
        "shop/.lando.yml": "proxy:\n  appserver:\n    - api.shop.lndo.site\n",
        # no recipe: the app server's PHP is said; `!import` is no value to print
        "svc/.lando.yml": "name: svc\nservices:\n  appserver:\n    type: php:8.1\nconfig:\n  via: !import via.txt\n",
        # `config.cache` belongs to the laravel recipe, not to drupal10's
        "cms/.lando.recipe.yml": "name: cms\nrecipe: drupal10\nconfig:\n  cache: redis\n  database: mysql:8.0\n",
    }
    model = scan_tree(tmp_path, files).model
    assert texts(facts_for(model, "env.url", env="development")) == [
        "https://cms.lndo.site (Lando app cms)", "https://shop.lndo.site (Lando app shop)",
        "https://admin.shop.lndo.site (Lando app shop)", "https://api.shop.lndo.site (Lando app shop)"]
    specials = texts(facts_for(model, "env.special", env="development"))
    assert "Lando app: PHP 8.1 (service appserver)" in specials and not [t for t in specials if "Tagged" in t]
    assert [t for t in texts(facts_for(model, "env.database", env="development")) if "Redis" in t] == [
        "Redis (Lando cache service, Lando's default version)"]  # shop's laravel default, not cms's
