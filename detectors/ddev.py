"""DDEV projects (`.ddev/config.yaml`): the local development environment a PHP or Node team runs.

DDEV serves a project at `https://<name>.<project_tld>` (`ddev.site` unless the file sets
another), plus each of its `additional_hostnames` under the same domain and each of its
`additional_fqdns` as written; its database container runs the engine and version under
`database:`. Both are what DDEV documents for the keys, so they are declared facts of the
development environment. A file that sets no `database:` (or no `type:` in it) gets DDEV's default
engine, MariaDB, whose version has changed between DDEV releases: that is inferred, with no
version. DDEV's engine names (`mariadb`, `mysql`, `postgres`) are the Docker library images'
names, so the catalog names them by image.
"""

from __future__ import annotations

from typing import Any

from infrascan.catalog import DATA_STORE_CATEGORIES
from infrascan.detector import Detector, Extraction, SourceFile
from infrascan.model import Code, Confidence, Fact, Part, text
from infrascan.yamlload import YDict, line_of

from ._devenv import default_database, default_version, scalar

_DEFAULT_TLD = "ddev.site"
# The database container's host name inside a DDEV project (also its name in `omit_containers`).
_DB_HOST = "db"
# The engine DDEV runs when the file names none (only its version changed between releases).
_DEFAULT_ENGINE = "mariadb"
# The database keys of DDEV before 1.19, each naming its engine.
_LEGACY_VERSIONS = {"mariadb_version": "mariadb", "mysql_version": "mysql"}
_ENV = "development"


class DdevDetector(Detector):
    name = "ddev"
    version = "1"
    description = "DDEV projects (.ddev/config.yaml): the local development URL, database and runtime"
    patterns = ("**/.ddev/config.yaml",)  # a monorepo keeps a DDEV project per app
    looks_for = {
        "env.url": "DDEV project URLs (name, additional hostnames) in .ddev/config.yaml",
        "env.database": "DDEV database engine and version in .ddev/config.yaml",
        "env.special": "DDEV project type, PHP version and web server in .ddev/config.yaml",
    }

    def extract(self, file: SourceFile) -> Extraction:
        out = Extraction()
        doc = self.yaml_mapping(file, out)
        if doc is None:
            return out
        out.facts.extend(self._urls(file.path, doc))
        out.facts.extend(self._database(file.path, doc))
        out.facts.extend(self._runtime(file.path, doc))
        return out

    def _fact(self, field_id: str, parts: tuple[Part, ...], path: str, line: int, item: str,
              confidence: Confidence = Confidence.DECLARED, **kw: Any) -> Fact:
        return Fact(field_id, parts, confidence, self.evidence(path, line), env=_ENV, item=f"ddev:{item}",
                    order=(path, line), **kw)

    def _urls(self, path: str, doc: YDict) -> list[Fact]:
        """The project's URL and its extra host names: none without `name` (DDEV then takes the
        directory's name, which the file does not hold)."""
        name = scalar(doc.get("name"))
        if not name:
            return []
        tld = scalar(doc.get("project_tld")) or _DEFAULT_TLD
        port = scalar(doc.get("router_https_port"))
        at = f":{port}" if port.isdigit() and port != "443" else ""  # the router's https port, moved off 443
        hosts: list[tuple[str, int]] = [(f"{name}.{tld}", line_of(doc, "name"))]
        for key, suffix in (("additional_hostnames", f".{tld}"), ("additional_fqdns", "")):
            values = doc.get(key)
            for value in values if isinstance(values, list) else []:
                if isinstance(value, str) and value.strip() and "*" not in value:
                    hosts.append((value.strip() + suffix, line_of(doc, key)))
        return [
            self._fact("env.url", text(Code(f"https://{host}{at}"), " (DDEV project ", Code(name), ")"),
                       path, line, f"url:{host}", rank=20, attrs={"url": f"https://{host}{at}"})
            for host, line in dict.fromkeys(hosts)
        ]

    def _database(self, path: str, doc: YDict) -> list[Fact]:
        omitted = doc.get("omit_containers")
        if isinstance(omitted, list) and _DB_HOST in omitted:
            return []  # no database container
        database = doc.get("database")
        legacy = next((key for key in _LEGACY_VERSIONS if doc.get(key) not in (None, "")), None)
        if isinstance(database, YDict) and isinstance(database.get("type"), str) and database["type"]:
            engine, version = database["type"], database.get("version")
            line = line_of(database, "type", database.line)
        elif legacy is not None:  # DDEV before 1.19: `mysql_version: "5.7"` (the other one left "")
            engine, version, line = _LEGACY_VERSIONS[legacy], doc[legacy], line_of(doc, legacy)
        else:
            line = line_of(doc, "database", line_of(doc, "name", 1))
            default = self.catalog.get(_DEFAULT_ENGINE)
            return [self._fact("env.database", default_database(default.name, ("DDEV's",), "DDEV"),
                               path, line, default.id, Confidence.INFERRED, tech=default.id, rank=60,
                               attrs={"hosts": [_DB_HOST]})]
        version = scalar(version) or None
        found = self.catalog.by_image(f"{engine}:{version}" if version else engine)
        if found is None or found[0].category not in DATA_STORE_CATEGORIES:
            label: list[Part] = [Code(engine), *([" ", str(version)] if version else [])]
            return [self._fact("env.database", text(*label, " (DDEV database)"), path, line, "db", rank=30)]
        tech, ref = found
        attrs: dict[str, Any] = {"version": tech.version_of(ref)} if version else {}
        attrs["hosts"] = [_DB_HOST]  # what the application reaches it by (`DB_HOST=db`)
        said = text(tech.image_label(ref), " (DDEV database)") if version else \
            text(tech.name, f" (DDEV database, {default_version('DDEV')})")
        return [self._fact("env.database", said, path, line, tech.id, tech=tech.id, rank=30, attrs=attrs)]

    def _runtime(self, path: str, doc: YDict) -> list[Fact]:
        """What the web container runs: the project type, PHP and Node.js versions, the web server."""
        parts: list[tuple[Part, ...]] = []
        cited = ""  # the first key the statement reads: where it is cited
        for key, label, as_code in (("php_version", "PHP ", False), ("nodejs_version", "Node.js ", False),
                                    ("webserver_type", "web server ", True)):
            value = scalar(doc.get(key))
            if value:
                parts.append((label, Code(value) if as_code else value))
                cited = cited or key
        kind = scalar(doc.get("type"))
        if not parts and not kind:
            return []
        lead: list[Part] = ["DDEV project", *((" of type ", Code(kind)) if kind else ())]
        joined: list[Part] = [p for i, part in enumerate(parts) for p in ((", " if i else ": "), *part)]
        line = line_of(doc, "type" if kind else cited, 1)
        return [self._fact("env.special", text(*lead, *joined), path, line, "runtime", rank=40)]
