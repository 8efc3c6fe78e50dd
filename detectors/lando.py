"""Lando projects (`.lando.yml`): the local development environment a PHP or Node team runs.

Lando reads several Landofiles in one folder and merges them, a later one overriding an earlier
one key by key and lists concatenated: `.lando.base.yml`, `.lando.dist.yml`, `.lando.recipe.yml`,
`.lando.upstream.yml`, then `.lando.yml` (`.lando.local.yml` holds one developer's own overrides
and is not the project's). So phase 1 keeps what each file sets, with its line, and phase 2
merges each folder's files in that order and states the result, citing the file whose value won.

What it states is the development environment's: the URL (a recipe's `https://<name>.lndo.site`
and the app server's proxy host names), the databases (the recipe's `config.database`, services
whose type is a data store) and the runtime (recipe, PHP version, web server, other runtimes).
Lando's service types are the Docker library images' names (`mariadb:10.6`, `postgres:14`), so
the catalog names them by image. A recipe that names no database gets the recipe's default,
MySQL, whose version changed between Lando releases: that is inferred, with no version.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import PurePosixPath
from typing import Any

from infrascan.catalog import DATA_STORE_CATEGORIES, Tech
from infrascan.detector import Detector, Extraction, Record, ResolveContext, SourceFile
from infrascan.model import Code, Confidence, Fact, Part, phrase_list, text
from infrascan.source import near_folder
from infrascan.yamlload import YDict, line_of

from ._devenv import default_database, default_version, setting

# The Landofiles Lando merges, earliest first (a later file's keys win).
LANDOFILES = (".lando.base.yml", ".lando.dist.yml", ".lando.recipe.yml", ".lando.upstream.yml", ".lando.yml")
FILE = "lando.file"
# Recipes that run a database service named `database`, MySQL unless `config.database` says otherwise.
_MYSQL_RECIPES = re.compile(r"^(?:drupal\d*|lamp|lemp|laravel|wordpress|joomla|backdrop|symfony)$")
# The services a recipe serves the app from: their proxy host names are the app's URLs.
_APP_SERVICES = frozenset({"appserver", "appserver_nginx"})
# Recipes with a `config.cache` option (a cache service named `cache`).
_CACHE_RECIPES = frozenset({"laravel"})
_DB_HOST = "database"  # the recipe database service's host name
_DEFAULT_DOMAIN = "lndo.site"
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_ENV = "development"


class LandoDetector(Detector):
    name = "lando"
    version = "1"
    description = "Lando projects (.lando.yml): the local development URL, databases and runtime"
    patterns = tuple(f"**/{name}" for name in LANDOFILES)
    looks_for = {
        "env.url": "Lando app names and proxy host names in .lando.yml",
        "env.database": "Lando recipe databases and data store services in .lando.yml",
        "env.special": "Lando recipes, PHP versions, web servers and runtime services in .lando.yml",
    }

    def extract(self, file: SourceFile) -> Extraction:
        """What the file sets, with lines, for phase 2 to merge with the folder's other Landofiles."""
        out = Extraction()
        doc = self.yaml_mapping(file, out)
        if doc is None:
            return out
        data: dict[str, Any] = {key: setting(doc, key) for key in ("name", "recipe")}
        config = doc.get("config")
        data["config"] = {key: setting(config, key) for key in ("php", "via", "database", "cache")} \
            if isinstance(config, YDict) else {}
        services = doc.get("services")
        data["services"] = {str(name): setting(service, "type") for name, service in services.items()
                            if isinstance(service, YDict)} if isinstance(services, YDict) else {}
        proxy = doc.get("proxy")
        data["proxy"] = {str(name): _hosts(routes) for name, routes in proxy.items()} \
            if isinstance(proxy, YDict) else {}
        out.records.append(Record(FILE, file.path, 1, data))
        return out

    def resolve(self, ctx: ResolveContext) -> list[Fact]:
        folders: dict[str, list[Record]] = defaultdict(list)
        for record in ctx.records(FILE):
            folders[near_folder(record.path)].append(record)
        out: list[Fact] = []
        for records in folders.values():
            records.sort(key=lambda r: LANDOFILES.index(PurePosixPath(r.path).name))
            out += self._project(_merged(records))
        return out

    def _fact(self, field_id: str, parts: tuple[Part, ...], at: Any, item: str,
              confidence: Confidence = Confidence.DECLARED, also: tuple[Any, ...] = (), **kw: Any) -> Fact:
        """A development fact cited at `at` (path, line), and at the lines of `also` that other
        Landofiles of the folder set."""
        cited = tuple(dict.fromkeys((at, *also)))
        evidence = tuple(e for path, line in cited for e in self.evidence(path, line))
        return Fact(field_id, parts, confidence, evidence, env=_ENV, item=f"lando:{item}", order=at, **kw)

    def _project(self, project: dict[str, Any]) -> list[Fact]:
        return [*self._urls(project), *self._databases(project), *self._runtime(project)]

    def _urls(self, project: dict[str, Any]) -> list[Fact]:
        """A recipe's `<name>.lndo.site` (when the name is already the slug Lando makes of it) and
        the app server's proxy host names."""
        hosts = [(host, at) for service in _APP_SERVICES for host, at in project["proxy"].get(service, [])]
        name, recipe = project.get("name"), project.get("recipe")
        if name and recipe and _SLUG.match(name[0]):  # every recipe's app server answers there too
            hosts.insert(0, (f"{name[0]}.{_DEFAULT_DOMAIN}", name[1]))
        said = (" (Lando app ", Code(name[0]), ")") if name else (" (Lando app)",)
        first: dict[str, Any] = {}  # each host once, cited where it is first named
        for host, at in hosts:
            first.setdefault(host, at)
        return [self._fact("env.url", text(Code(f"https://{host}"), *said), at, f"url:{host}", rank=20,
                           attrs={"url": f"https://{host}"})
                for host, at in first.items()]

    def _databases(self, project: dict[str, Any]) -> list[Fact]:
        out: list[Fact] = []
        config, services = project["config"], dict(project["services"])
        recipe = project.get("recipe")
        # the recipe's database service, unless a service of that name says its own type
        database = services.pop(_DB_HOST, None) or config.get("database")
        if database is not None:
            out += self._store(database, " (Lando database)", _DB_HOST, [_DB_HOST])
        elif recipe and _MYSQL_RECIPES.match(recipe[0]):
            mysql = self.catalog.get("mysql")
            out.append(self._fact(
                "env.database",
                default_database(mysql.name, ("the Lando ", Code(recipe[0]), " recipe's"), "Lando"),
                recipe[1], "db:database", Confidence.INFERRED, tech=mysql.id, rank=60, attrs={"hosts": [_DB_HOST]}))
        # the recipe's cache service (`config.cache`, for the recipes that have one), likewise
        cache = services.pop("cache", None) or (config.get("cache") if recipe and recipe[0] in _CACHE_RECIPES else None)
        if cache is not None:
            out += self._store(cache, " (Lando cache service)", "cache", ["cache"])
        for name, kind in services.items():
            if kind is not None:
                out += self._store(kind, f" (Lando service {name})", name, [name])
        return out

    def _store(self, setting: list[Any], said: str, item: str, hosts: list[str]) -> list[Fact]:
        """A service type that names a data store: its engine and version (none when the type pins
        none: Lando's default version of the service then runs)."""
        kind, at = setting
        found = self._typed(kind)
        if found is None or found[0].category not in DATA_STORE_CATEGORIES:
            return []
        tech, version = found
        attrs: dict[str, Any] = {"hosts": hosts, **({"version": version} if version else {})}
        return [self._fact("env.database", text(tech.label(version), *_defaulted(said, version)), at, f"db:{item}",
                           tech=tech.id, rank=30, attrs=attrs)]

    def _typed(self, kind: str) -> tuple[Tech, str | None] | None:
        """The technology a service type names, with the version it pins (None: Lando's default)."""
        found = self.catalog.by_image(kind)
        if found is None:
            return None
        tech, ref = found
        return tech, tech.version_of(ref) if ":" in kind else None

    def _runtime(self, project: dict[str, Any]) -> list[Fact]:
        """What the app runs: its recipe, PHP version and web server, and runtime services (Node.js)."""
        recipe = project.get("recipe")
        parts: list[tuple[Part, ...]] = []
        cited: list[tuple[str, int]] = []
        for key, label, as_code in (("php", "PHP ", False), ("via", "web server ", True)):
            setting = project["config"].get(key)
            if setting is not None:
                parts.append((label, Code(setting[0]) if as_code else setting[0]))
                cited.append(setting[1])
        for name, kind in project["services"].items():
            # a recipe's app server runs the PHP said above; other runtimes (and an app server of no
            # recipe) are said as services
            said_above = name in _APP_SERVICES and (recipe is not None or "php" in project["config"])
            found = self._typed(kind[0]) if kind is not None and not said_above else None
            if found is not None and found[0].category == "runtime":
                tech, version = found
                parts.append((tech.label(version), *_defaulted((" (service ", Code(name), ")"), version)))
                cited.append(kind[1])
        if recipe is None and not parts:
            return []
        lead: list[Part] = ["Lando", *((" recipe ", Code(recipe[0])) if recipe else (" app",))]
        at = recipe[1] if recipe else cited[0]
        return [self._fact("env.special", text(*lead, *((": ", *phrase_list(parts)) if parts else ())), at,
                           "runtime", also=tuple(cited), rank=40)]


def _defaulted(said: tuple[Part, ...] | str, version: str | None) -> tuple[Part, ...]:
    """`said` (a parenthesised aside), saying Lando's default version runs when the type pins none."""
    parts = (said,) if isinstance(said, str) else said
    if version:
        return parts
    *head, last = parts
    return (*head, str(last).removesuffix(")") + f", {default_version('Lando')})")


def _hosts(routes: Any) -> list[list[Any]]:
    """A proxy entry's host names without their ports (`mail.app.lndo.site:8025`), each with its line."""
    out: list[list[Any]] = []
    for index, route in enumerate(routes if isinstance(routes, list) else []):
        host = route.get("hostname") if isinstance(route, dict) else route
        if isinstance(host, str) and host.strip() and "*" not in host:
            out.append([host.strip().split(":", 1)[0].split("/", 1)[0], line_of(routes, index)])
    return out


def _merged(records: list[Record]) -> dict[str, Any]:
    """One folder's Landofiles as Lando merges them, each value with the file and line it won from."""
    merged: dict[str, Any] = {"config": {}, "services": {}, "proxy": {}}
    for record in records:
        data = record.data
        for key in ("name", "recipe"):
            if data.get(key) is not None:
                merged[key] = (data[key][0], (record.path, data[key][1]))
        for key, value in data["config"].items():
            if value is not None:
                merged["config"][key] = (value[0], (record.path, value[1]))
        for name, kind in data["services"].items():
            # a service without a type overrides another file's only in what it sets
            if kind is not None or name not in merged["services"]:
                merged["services"][name] = (kind[0], (record.path, kind[1])) if kind is not None else None
        for name, hosts in data["proxy"].items():  # lists add up, each host once
            known = merged["proxy"].setdefault(name, [])
            known += [(host, (record.path, line)) for host, line in hosts if host not in {h for h, _ in known}]
    return merged
