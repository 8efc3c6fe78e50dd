"""Platform-as-a-service manifests: what Heroku, Fly.io, Render, Vercel, Netlify and Serverless deploy.

These files are the whole deployment description for many applications: the app name gives the
platform's default URL, add-ons and `databases:` are the environment's database with its major
version, and a release phase (`release:`, `release_command`, `preDeployCommand`) is where
migrations run, once per deploy, before the new version takes traffic. What the platform keeps in
its dashboard (Vercel and Netlify variables, Render `sync: false`) is said to be there, not guessed.

Platform knowledge (Heroku add-on names, Fly deploy strategies, CloudFormation resource types) is
kept in the tables below, next to the code that reads them. Release commands that call a script
or a package.json script are resolved in phase 2 from the scripts detector's records.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote

from infrascan.catalog import DATA_STORE_CATEGORIES, Tech
from infrascan.commands import Classification, classify, split_commands
from infrascan.detector import Detector, Extraction, Record, ResolveContext, SourceFile
from infrascan.environments import env_from_name
from infrascan.envvars import Variable, VariableReader
from infrascan.images import tag_version
from infrascan.model import OWN_PIPELINE, Code, Confidence, Fact, Part, code_list, one_line, phrase_list, text
from infrascan.source import near_folder
from infrascan.tasks import TaskIndex
from infrascan.yamlload import Tagged, YDict, line_of, load_table

from ._release import RELEASE, invoked, load_parts, release_record
from .scripts import common_tail

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

# Heroku add-on service slugs (the part of `plan` before ":") -> catalog ids.
HEROKU_ADDONS: dict[str, str] = {
    "heroku-postgresql": "postgresql",
    "heroku-redis": "redis",
    "heroku-kafka": "kafka",
    "rediscloud": "redis",
    "redistogo": "redis",
    "jawsdb": "mysql",
    "jawsdb-maria": "mariadb",
    "cleardb": "mysql",
    "mongolab": "mongodb",
    "ormongo": "mongodb",
    "memcachier": "memcached",
    "cloudamqp": "rabbitmq",
    "searchbox": "elasticsearch",
    "bonsai": "elasticsearch",
    "foundelasticsearch": "elasticsearch",
    "papertrail": "papertrail",
    "sentry": "sentry",
    "newrelic": "newrelic",
    "rollbar": "rollbar",
    "bugsnag": "bugsnag",
    "sendgrid": "sendgrid",
    "mailgun": "mailgun",
    "postmark": "postmark",
    "pusher": "pusher",
    "cloudinary": "cloudinary",
    "bucketeer": "aws-s3",
}

# Fly.io `[deploy] strategy` values: what a deploy does, and whether failing checks stop it.
FLY_STRATEGIES: dict[str, tuple[str, bool]] = {
    "rolling": ("machines are replaced one at a time", False),
    "immediate": ("every machine is replaced at once, without waiting for health checks", False),
    "canary": ("one new machine is booted and health-checked first, then the rest are replaced", True),
    "bluegreen": ("a full set of new machines must pass health checks before traffic moves to them", True),
}

# CloudFormation resource types in serverless.yml `resources` -> the Terraform type the catalog knows.
CFN_AS_TERRAFORM: dict[str, str] = {
    "AWS::DynamoDB::Table": "aws_dynamodb_table",
    "AWS::DynamoDB::GlobalTable": "aws_dynamodb_table",
    "AWS::SQS::Queue": "aws_sqs_queue",
    "AWS::SNS::Topic": "aws_sns_topic",
}
# CloudFormation resources whose `Engine` property names the technology.
CFN_ENGINE_TYPES = frozenset(
    {
        "AWS::RDS::DBInstance",
        "AWS::RDS::DBCluster",
        "AWS::ElastiCache::CacheCluster",
        "AWS::ElastiCache::ReplicationGroup",
        "AWS::ElastiCache::ServerlessCache",
    }
)
# RDS/ElastiCache engine names -> catalog ids.
ENGINES: dict[str, str] = {
    "postgres": "postgresql",
    "aurora-postgresql": "postgresql",
    "mysql": "mysql",
    "aurora-mysql": "mysql",
    "aurora": "mysql",
    "mariadb": "mariadb",
    "sqlserver-ee": "sqlserver",
    "sqlserver-se": "sqlserver",
    "sqlserver-ex": "sqlserver",
    "sqlserver-web": "sqlserver",
    "redis": "redis",
    "valkey": "valkey",
    "memcached": "memcached",
}
# Render service types that are a datastore rather than an application.
RENDER_STORES: dict[str, str] = {"redis": "redis", "keyvalue": "valkey"}
# Keys only a Heroku app.json has (React Native, Expo and f-droid metadata share the file name).
HEROKU_KEYS = frozenset({"addons", "buildpacks", "formation", "environments", "success_url", "stack"})
HEROKU_ENV_KEYS = frozenset({"description", "required", "value", "generator"})

_PROCFILE_LINE = re.compile(r"^([A-Za-z0-9_-]+)\s*:\s*(.*)$")
# Phase-1 records: a Procfile's process types, and an app.json that is Heroku's.
PROCFILE = "paas.procfile"
HEROKU_APP = "paas.heroku.app"
HEROKU_YML = "paas.heroku.yml"
# the package scripts and the shell scripts' commands, by path, that commands are followed into
Followed = Callable[[], tuple[TaskIndex, dict[str, list[Record]]]]
PROCFILE_RELEASE = "procfile-release"  # a paas.release record of a Procfile's release line
_PROCFILE_RELEASE_ASIDE = (
    "; Heroku builds this app from images (container stack), whose release phase is heroku.yml's or a pushed"
    " release image's, not this one")
# the package.json script Heroku's Node.js buildpack runs after installing, on every build
_HEROKU_BUILD_SCRIPT = "heroku-postbuild"
# Dokku's deploy hooks in app.json (dokku.com/docs/advanced-usage/deployment-tasks): predeploy
# runs in a container of the new image before any of its containers start, postdeploy once they run.
DOKKU_HOOKS: tuple[tuple[str, str], ...] = (
    ("predeploy", "On each Dokku deploy, before the new containers start"),
    ("postdeploy", "On each Dokku deploy, once the new containers run"),
)
# Records of pipelines and scripts whose text may name Heroku (`git push heroku`, HEROKU_API_KEY,
# `akhileshns/heroku-deploy`): the GitLab CI and GitHub Actions files, the other CI systems' jobs
# and the scripts detector's commands.
_ON_HEROKU = "; production assumed, the Procfile names no environment"
_UNUSED_BY_CONTAINERS = (
    "; Heroku builds this app from images (container stack), so dynos run heroku.yml's run commands or each"
    " image's CMD, not these: the Procfile serves a buildpack deploy only"
)
_NOT_ON_HEROKU = (
    "; nothing in the repository deploys it to Heroku (no Heroku app.json, heroku.yml, release phase"
    " or Heroku command), so no environment is assumed: foreman, honcho and goreman run Procfiles locally too"
)
_PIPELINE_RECORDS = ("gitlab.file", "gha.workflow", "gha.action", "pipeline.job", "script.command")
_TOML_ERROR_LINE = re.compile(r"at line (\d+)")
_TOML_TABLE = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_TOML_KEY = re.compile(
    r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=\s*(.*)$"""
)
_OPT_DEFAULT = re.compile(r"""\$\{\s*(?:opt|param|env|sls):[\w.]+\s*,\s*['"]?([\w.-]+)['"]?\s*\}""")
# a script by its path: relative, or absolute inside the image (Phoenix's `/app/bin/migrate`)
_SCRIPT_PATH = re.compile(r"^(?:\.?/)?(?:[\w.-]+/)*[\w.-]+(?:\.sh|\.bash)?$")
_REVIEW = "review"
BUTTON = "paas.button"
_READMES = ("README.md", "readme.md", "Readme.md", "README")
# a button's repository parameter (Vercel's is URL-encoded), up to the end of the link
_BUTTON_REPO = re.compile(r"[?&](?:repo|template|repository|repository-url)=((?:https?|git)(?::|%3A)[^&\s)\]\"'>]+)")
_URL_END = re.compile(r"[\s)\]\"'>]")
# `github.com/OWNER/NAME`, `gitlab.com/...`, `git@github.com:OWNER/NAME.git`: the name after the owner
_HOSTED_REPO = re.compile(r"(?:github|gitlab|bitbucket)\.(?:com|org)(?::|/|%3A|%2F)+[\w.-]+(?:/|%2F)([\w.-]+)", re.I)

# Folders that hold a project's documentation or website rather than the application: a Netlify
# site built from one (grafana/loki `operator/netlify.toml` publishes `website/public`) deploys the
# docs, so its contexts are not the application's environments. `site`/`public`/`dist` are left out:
# they are as often the application itself.
DOCS_SITE_DIRS = frozenset({"docs", "doc", "documentation", "website"})


# -- small readers -------------------------------------------------------------------------------


def _toml_key_path(raw: str) -> tuple[str, ...]:
    return tuple(
        part.strip().strip("\"'") for part in re.split(r"\s*\.\s*(?=(?:[^\"']*[\"'][^\"']*[\"'])*[^\"']*$)", raw)
    )


@dataclass(frozen=True)
class TomlKey:
    """One `key = value` line of a TOML file, with the table it sits in (array tables indexed)."""

    path: tuple[Any, ...]
    raw: str
    line: int


def toml_keys(source: str) -> Iterator[TomlKey]:
    """Walks a TOML file line by line; tomllib gives values but no lines, and nothing on bad input."""
    table: tuple[Any, ...] = ()
    counts: dict[tuple[Any, ...], int] = {}
    depth = 0
    in_multiline = ""
    for index, line in enumerate(source.splitlines(), start=1):
        if in_multiline:
            if in_multiline in line:
                in_multiline = ""
            continue
        if depth:
            depth += line.count("[") - line.count("]")
            depth = max(depth, 0)
            continue
        header = _TOML_TABLE.match(line)
        if header and not _TOML_KEY.match(line):
            path = _toml_key_path(header.group(2))
            table = (*_with_array_indexes(path[:-1], counts), path[-1])
            if header.group(1) == "[[":
                counts[table] = counts.get(table, -1) + 1
                table = (*table, counts[table])
            yield TomlKey(table, "", index)
            continue
        match = _TOML_KEY.match(line)
        if not match:
            continue
        raw = match.group(2).strip()
        for quote in ('"""', "'''"):
            if raw.startswith(quote) and raw.count(quote) == 1:
                in_multiline = quote
        if raw.startswith("[") and not in_multiline:
            depth = max(raw.count("[") - raw.count("]"), 0)
        yield TomlKey((*table, *_toml_key_path(match.group(1))), raw, index)


def _with_array_indexes(path: tuple[str, ...], counts: dict[tuple[Any, ...], int]) -> tuple[Any, ...]:
    """`[services.http_checks.headers]` after `[[services]]` and `[[services.http_checks]]` is in the last of each."""
    out: list[Any] = []
    for part in path:
        out.append(part)
        if tuple(out) in counts:
            out.append(counts[tuple(out)])
    return tuple(out)


def toml_lines(source: str) -> dict[tuple[Any, ...], int]:
    lines: dict[tuple[Any, ...], int] = {}
    for key in toml_keys(source):
        lines.setdefault(key.path, key.line)
        for size in range(1, len(key.path)):
            lines.setdefault(key.path[:size], key.line)
    return lines


def toml_salvage(source: str) -> dict[str, Any]:
    """The keys of a broken TOML file that still read on their own, so the rest is documented."""
    data: dict[str, Any] = {}
    for key in toml_keys(source):
        if not key.raw:
            continue  # a table header
        try:
            value = tomllib.loads(f"v = {key.raw}")["v"]
        except tomllib.TOMLDecodeError:
            continue
        node: Any = data
        for part, following in zip(key.path, (*key.path[1:], None), strict=True):
            if following is None:
                if isinstance(node, dict) and isinstance(part, str):
                    node[part] = value
                break
            if isinstance(following, int):
                items = node.setdefault(part, []) if isinstance(node, dict) else None
                if not isinstance(items, list):
                    break
                while len(items) <= following:
                    items.append({})
                node = items
            elif isinstance(part, int) and isinstance(node, list):
                node = node[part]
            elif isinstance(node, dict):
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    break
                node = child
    return data


class JsonLines:
    """Approximate lines of JSON keys: each key searched after its parent's position."""

    def __init__(self, source: str) -> None:
        self.source = source

    def line(self, *path: str) -> int:
        position = 0
        found = 0
        for key in path:
            index = self.source.find(json.dumps(key) + ":", position)
            if index < 0:
                index = self.source.find(json.dumps(key), position)
            if index < 0:
                break
            position, found = index + 1, index
        return self.source.count("\n", 0, found) + 1 if found or path else 1


def _string(value: Any) -> str | None:
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list, Tagged)):
        return None
    return str(value)


def _docs_site(path: str, build: dict[str, Any]) -> str | None:
    """The folder a netlify.toml's site is built from when that is a docs folder, else None.

    The site's folder is the file's own folder, then `[build] base`, then `publish`; any docs folder
    on that path (`docs/`, `website/public`) makes the site the project's documentation.
    """
    folder = PurePosixPath(path).parent
    site = folder.joinpath(_string(build.get("base")) or ".", _string(build.get("publish")) or ".")
    parts = [p for p in site.parts if p not in (".", "")]
    if not any(p.lower() in DOCS_SITE_DIRS for p in parts):
        return None
    return "/".join(parts)


def _short(command: str) -> str:
    return one_line(command, 80)


def _migrations(command: str) -> list[Classification]:
    return [c for c in classify(command) if c.kind == "migrate"]


# -- the detector ----------------------------------------------------------------------------------


class PaasDetector(Detector):
    name = "paas"
    version = "4"
    # Named by its platforms, not as "PaaS manifests": a gap listing what is absent would otherwise
    # say there is no PaaS manifest, beside the Platform.sh files the same document cites.
    description = ("Heroku, Fly.io, Render, Vercel, Netlify and Serverless manifests: Procfile, app.json, heroku.yml, "
                   "fly.toml, render.yaml, vercel.json, netlify.toml, serverless.yml")
    patterns = (
        "Procfile",
        "app.json",
        "heroku.yml",
        "fly.toml",
        "fly.*.toml",
        "render.yaml",
        "vercel.json",
        "netlify.toml",
        "serverless.{yml,yaml}",
        *(_READMES),
    )
    looks_for = {
        "env.url": "Fly.io app names, Render service names and custom domains",
        "env.database": "Heroku add-ons, Render databases, serverless.yml CloudFormation resources",
        "env.special": "platform regions, scaling, cron jobs, process types and deploy strategies",
        "env.purpose": "review apps, preview environments and Netlify deploy contexts",
        "env.sla": "instance counts and high-availability settings on PaaS manifests",
        "ci.build": "netlify.toml build commands",
        "ci.deploy.automated": "Render autoDeploy and PaaS Git integrations",
        "ci.deploy.manual": "Render services with autoDeploy off",
        "deploy.rollback.perform": "fly.toml auto_rollback and deploy strategies",
        "deploy.rollback.verify": "fly.toml health checks, Render healthCheckPath",
        "deploy.migration.strategy": (
            "Procfile and heroku.yml release phase, fly release_command, Render preDeployCommand"),
        "log.retention": "serverless.yml logRetentionInDays and log group resources",
        "mon.application": "fly.toml [metrics]",
    }
    # Each field from the platforms whose manifests can hold it (env.special: every one of them).
    looks_in = {
        "env.url": ("fly.toml", "fly.*.toml", "render.yaml"),
        "env.database": ("app.json", "render.yaml", "serverless.{yml,yaml}"),
        "env.purpose": ("app.json", "render.yaml", "netlify.toml", "serverless.{yml,yaml}"),
        "env.sla": ("app.json", "fly.toml", "fly.*.toml", "render.yaml"),
        "ci.build": ("netlify.toml",),
        "ci.deploy.automated": ("render.yaml", "vercel.json", "netlify.toml"),
        "ci.deploy.manual": ("render.yaml",),
        "deploy.rollback.perform": ("fly.toml", "fly.*.toml"),
        "deploy.rollback.verify": ("fly.toml", "fly.*.toml", "render.yaml"),
        "deploy.migration.strategy": ("Procfile", "app.json", "heroku.yml", "fly.toml", "fly.*.toml", "render.yaml"),
        "log.retention": ("serverless.{yml,yaml}",),
        "mon.application": ("fly.toml", "fly.*.toml"),
    }

    def extract(self, file: SourceFile) -> Extraction:
        out = Extraction()
        name = PurePosixPath(file.path).name
        if name == "Procfile":
            self._procfile(file, out)
        elif name == "app.json":
            self._app_json(file, out)
        elif name == "heroku.yml":
            self._heroku_yml(file, out)
        elif name.startswith("fly.") and name.endswith(".toml"):
            self._fly(file, out)
        elif name == "render.yaml":
            self._render(file, out)
        elif name == "vercel.json":
            self._vercel(file, out)
        elif name == "netlify.toml":
            self._netlify(file, out)
        elif name.startswith("serverless."):
            self._serverless(file, out)
        elif name in _READMES:
            self._readme(file, out)
        return out

    def claims(self, path: str) -> bool:
        """The platforms' files anywhere, and the README at the root, for its deploy buttons."""
        return super().claims(path) and ("/" not in path or PurePosixPath(path).name not in _READMES)

    def counted(self, paths: Sequence[str]) -> int:
        """The platforms' files: a README holds no manifest, and gaps must not count it as one."""
        return sum(1 for path in paths if PurePosixPath(path).name not in _READMES)

    def _readme(self, file: SourceFile, out: Extraction) -> None:
        """The deploy buttons of a README: each platform's, with the repository it deploys."""
        for number, line in enumerate(file.text.splitlines(), 1):
            for platform, button in _deploy_buttons().items():
                for match in button.link.finditer(line):
                    tail = line[match.start():]
                    end = _URL_END.search(tail)
                    repo = _BUTTON_REPO.search(tail[: end.start()] if end else tail)
                    out.records.append(Record(BUTTON, file.path, number, {
                        "platform": platform, "repo": unquote(repo.group(1)) if repo else ""}))

    def templates(self, ctx: ResolveContext) -> dict[str, str]:
        """The files a README's deploy button deploys into the reader's own account, when the button
        deploys this repository: documenso's `render.yaml` backs its Deploy to Render button."""
        listed = set(ctx.files)
        own = _repository_name(ctx.remote_url)
        out: dict[str, str] = {}
        for record in ctx.records(BUTTON):
            deployed = _repository_name(str(record.data["repo"])) if record.data["repo"] else own
            if own and deployed and deployed != own:
                continue  # docuseal's buttons deploy docuseal-heroku, docuseal-render
            button = _deploy_buttons()[str(record.data["platform"])]
            folder = near_folder(record.path)
            for name in button.files:
                path = f"{folder}/{name}" if folder else name
                if path in listed:
                    out.setdefault(path, f"the {button.name} deploy button in {record.path}, line {record.line}")
        return out

    # -- shared fact builders --------------------------------------------------------------------

    def _fact(
        self,
        field: str,
        parts: tuple[Part, ...],
        confidence: Confidence,
        path: str,
        line: int,
        *,
        item: str,
        rank: int = 40,
        **extra: Any,
    ) -> Fact:
        return Fact(
            field, parts, confidence, self.evidence(path, line), item=item, rank=rank, order=(path, line), **extra
        )

    def _release(self, out: Extraction, path: str, line: int, command: str, where: tuple[Part, ...], kind: str) -> None:
        """A command the platform runs once per deploy (or once per new app): a migration step or not."""
        found = _migrations(command)
        if found:
            out.facts.append(self._release_fact(path, line, where, command, found[0], ()))
            return
        out.records.append(release_record(path, line, command, where, kind))

    def _release_fact(
        self,
        path: str,
        line: int,
        where: tuple[Part, ...] | list[Part],
        command: str,
        found: Classification,
        via: tuple[Part, ...],
        extra: tuple[Any, ...] = (),
    ) -> Fact:
        parts = text(*where, " runs ", Code(_short(command)), *via)
        if found.command not in command and not via:
            parts = text(*parts, " (", Code(_short(found.command)), ")")
        return Fact(
            "deploy.migration.strategy",
            parts,
            Confidence.DECLARED,
            (*self.evidence(path, line), *extra),
            item=f"release:{path}:{line}",
            tech=found.tool,
            rank=20,
            order=(path, line),
            attrs={"where": "release phase", "tool": found.tool},
        )

    def _stores(self, tech: Tech, version: str | None, env: str, parts: tuple[Part, ...], path: str, line: int) -> Fact:
        label = tech.label(version) if version else tech.name
        return self._fact(
            "env.database",
            text(label, ": ", *parts),
            Confidence.DECLARED,
            path,
            line,
            item=tech.id,
            rank=30,
            env=env,
            tech=tech.id,
            attrs={"version": version} if version else {},
        )

    def _service_fact(self, tech: Tech, parts: tuple[Part, ...], path: str, line: int, env: str) -> Fact:
        """An add-on or resource that is not a datastore, filed where its catalog category belongs."""
        if tech.category in ("monitoring", "logging"):
            kind = tech.monitoring[0] if tech.monitoring else "application"
            field = "log.aggregation" if tech.category == "logging" or tech.is_a("logging") else f"mon.{kind}"
            return self._fact(
                field, text(tech.name, ": ", *parts), Confidence.DECLARED, path, line, item=tech.id, tech=tech.id
            )
        if tech.category == "alerting":
            return self._fact(
                "alert.channels",
                text(tech.name, ": ", *parts),
                Confidence.DECLARED,
                path,
                line,
                item=tech.id,
                tech=tech.id,
            )
        if tech.category == "external-service":
            return self._fact(
                "ext.purpose",
                text(tech.purpose or tech.name, " (", *parts, ")"),
                Confidence.DECLARED,
                path,
                line,
                item="purpose",
                service=tech.id,
                tech=tech.id,
            )
        return self._fact(
            "env.special",
            text(tech.name, ": ", *parts),
            Confidence.DECLARED,
            path,
            line,
            item=f"addon:{tech.id}",
            env=env,
        )

    # -- Procfile --------------------------------------------------------------------------------

    def _procfile(self, file: SourceFile, out: Extraction) -> None:
        processes: list[tuple[str, str, int]] = []
        for index, raw in enumerate(file.text.splitlines(), start=1):
            stripped = raw.strip()
            if not stripped or stripped.startswith("#"):
                continue
            match = _PROCFILE_LINE.match(stripped)
            if not match:
                out.diagnostics.append(
                    self.diagnostic(file.path, index, "not a `process: command` line; the line is ignored")
                )
                continue
            processes.append((match.group(1), match.group(2).strip(), index))
        here = ("Procfile ",)
        for name, command, line in processes:
            if name == "release":
                # stated in phase 2, which knows whether a heroku.yml beside it sets the Procfile aside
                where = text("Release phase: ", *here, Code("release"), " (once per deploy, before new dynos start)")
                out.records.append(release_record(file.path, line, command, where, PROCFILE_RELEASE))
                continue
            found = _migrations(command)
            if found:
                out.facts.append(
                    Fact(
                        "deploy.migration.strategy",
                        text(
                            "On dyno start: ",
                            *here,
                            Code(name),
                            " runs ",
                            Code(_short(found[0].command)),
                            " before the app, in every dyno as it starts",
                        ),
                        Confidence.DECLARED,
                        self.evidence(file.path, line),
                        item=f"start:{file.path}:{name}",
                        tech=found[0].tool,
                        rank=40,
                        order=(file.path, line),
                        attrs={"where": "container start", "tool": found[0].tool},
                    )
                )
        others = [(n, c, ln) for n, c, ln in processes if n != "release"]
        if others:
            data = {"processes": [list(p) for p in others], "release": any(n == "release" for n, _, _ in processes)}
            out.records.append(Record(PROCFILE, file.path, others[0][2], data))

    # -- Heroku app.json -------------------------------------------------------------------------

    def _app_json(self, file: SourceFile, out: Extraction) -> None:
        try:
            data = json.loads(file.text)
        except ValueError as exc:
            out.diagnostics.append(self.diagnostic(file.path, getattr(exc, "lineno", None), f"invalid JSON: {exc}"))
            return
        if not _is_heroku_manifest(data):
            # React Native, Expo or other metadata that shares the name; or an app.json Dokku alone
            # reads (its deploy scripts), which says nothing of Heroku
            scripts = data.get("scripts") if isinstance(data, dict) else None
            if isinstance(scripts, dict) and "expo" not in data:
                self._dokku_scripts(file.path, scripts, JsonLines(file.text), (), out)
            return
        out.records.append(Record(HEROKU_APP, file.path, 1, {"stack": _string(data.get("stack"))}))
        lines = JsonLines(file.text)
        environments = _table(data, "environments")
        review = environments.get(_REVIEW)
        review = review if isinstance(review, dict) else None
        base_envs = ["production"] + ([_REVIEW] if review is not None and "addons" not in review else [])
        for env in base_envs:
            start = len(out.facts)
            self._heroku_addons(file.path, data.get("addons"), env, lines, ("addons",), out)
            if env == _REVIEW:
                _own_pipeline(out.facts[start:])
        start = len(out.facts)
        for env_name, overrides in environments.items():
            if not isinstance(overrides, dict):
                continue
            self._heroku_addons(
                file.path, overrides.get("addons"), str(env_name), lines, ("environments", str(env_name), "addons"), out
            )
            self._heroku_scripts(file.path, overrides.get("scripts"), lines, ("environments", str(env_name)), out)
        _own_pipeline(out.facts[start:])
        if review is not None:
            out.facts.append(
                self._fact(
                    "env.purpose",
                    text("Heroku review apps: a temporary app per pull request, created from ", Code("app.json")),
                    Confidence.DECLARED,
                    file.path,
                    lines.line("environments", _REVIEW),
                    item="heroku-review",
                    env=_REVIEW,
                    attrs={OWN_PIPELINE: True},
                )
            )
        self._heroku_scripts(file.path, data.get("scripts"), lines, (), out)
        self._heroku_env(file.path, data.get("env"), lines, out)
        self._heroku_formation(file.path, data.get("formation"), lines, out)

    def _heroku_yml(self, file: SourceFile, out: Extraction) -> None:
        """heroku.yml, the manifest of Heroku's container stack (bakerydemo's): each process runs an
        image built from a Dockerfile; the release command runs once per deploy, in one of those images;
        the run commands, or else each image's CMD, are what dynos run, not a Procfile's."""
        doc = self.yaml_mapping(file, out)
        if doc is None:
            return
        build = doc.get("build")
        docker = build.get("docker") if isinstance(build, YDict) else None
        images = docker if isinstance(docker, YDict) else YDict()
        out.records.append(Record(HEROKU_YML, file.path, 1, {"docker": bool(images), "run": bool(doc.get("run"))}))
        for process, spec in images.items():
            dockerfile = _string(spec.get("dockerfile")) if isinstance(spec, dict) else _string(spec)
            if not dockerfile:
                continue
            out.facts.append(self._fact(
                "env.special",
                text("Heroku container stack: ", Code(str(process)), " dynos run the image built from ",
                     Code(dockerfile), " (", Code("heroku.yml"), ")"),
                Confidence.DECLARED, file.path, line_of(images, process), item=f"heroku-image:{file.path}:{process}",
                env="production",
            ))
        release = doc.get("release")
        if isinstance(release, YDict):
            command = release.get("command")
            commands = [str(c) for c in command if c is not None] if isinstance(command, list) \
                else [str(command)] if isinstance(command, str) else []
            image = _string(release.get("image"))
            where = text("Release phase: ", Code("heroku.yml"), " ", Code("release"),
                         *((" in the ", Code(image), " image") if image else ()),
                         " (once per deploy, before new dynos start)")
            for command_text in commands:
                self._release(out, file.path, line_of(release, "command", line_of(doc, "release")), command_text, where,
                              "release")

    def _heroku_addons(
        self, path: str, addons: Any, env: str, lines: JsonLines, at: tuple[str, ...], out: Extraction
    ) -> None:
        if not isinstance(addons, list):
            return
        for addon in addons:
            plan = addon if isinstance(addon, str) else addon.get("plan") if isinstance(addon, dict) else None
            if not isinstance(plan, str) or not plan:
                continue
            # the plan's own string: "plan" alone is the first add-on's key, whichever add-on this is
            line = lines.line(*at, plan) if isinstance(addon, str) else lines.line(*at, "plan", plan)
            slug = plan.split(":", 1)[0]
            tech_id = HEROKU_ADDONS.get(slug)
            where = text("Heroku add-on ", Code(plan), " in ", Code("app.json"))
            if tech_id is None:
                out.facts.append(
                    self._fact("env.special", where, Confidence.DECLARED, path, line, item=f"addon:{slug}", env=env)
                )
                continue
            tech = self.catalog.get(tech_id)
            if tech.category not in DATA_STORE_CATEGORIES:
                out.facts.append(self._service_fact(tech, where, path, line, env))
                continue
            options = addon.get("options") if isinstance(addon, dict) else None
            raw = _string(options.get("version")) if isinstance(options, dict) else None
            version = tag_version(raw, tech.version_scheme, tech.minor_below) if raw else None
            suffix: tuple[Part, ...] = () if version else (" (no version option: Heroku's default major version)",)
            out.facts.append(self._stores(tech, version, env, text(*where, *suffix), path, line))

    def _dokku_scripts(self, path: str, scripts: dict[str, Any], lines: JsonLines, at: tuple[str, ...],
                       out: Extraction) -> None:
        """Dokku's deploy hooks in app.json (`scripts.dokku`): commands run at each deploy."""
        dokku = scripts.get("dokku")
        env_label: tuple[Part, ...] = (" for ", Code(at[1])) if at else ()
        for hook, when in DOKKU_HOOKS:
            command = dokku.get(hook) if isinstance(dokku, dict) else None
            if isinstance(command, str) and command.strip():
                self._release(out, path, lines.line(*at, "scripts", "dokku", hook), command,
                              text(f"{when}: ", Code(f"scripts.dokku.{hook}"), " in ", Code("app.json"), *env_label),
                              "hook")

    def _heroku_scripts(self, path: str, scripts: Any, lines: JsonLines, at: tuple[str, ...], out: Extraction) -> None:
        if not isinstance(scripts, dict):
            return
        env_label: tuple[Part, ...] = (" for ", Code(at[1])) if at else ()
        postdeploy = scripts.get("postdeploy")
        if isinstance(postdeploy, str) and postdeploy.strip():
            self._release(
                out,
                path,
                lines.line(*at, "scripts", "postdeploy"),
                postdeploy,
                text(
                    "After the first deploy only: ",
                    Code("scripts.postdeploy"),
                    " in ",
                    Code("app.json"),
                    *env_label,
                    " (a new Heroku Button app or review app; not on later releases)",
                ),
                "postdeploy",
            )
        self._dokku_scripts(path, scripts, lines, at, out)
        test = scripts.get("test")
        if isinstance(test, str) and test.strip():
            line = lines.line(*at, "scripts", "test")
            for found in classify(test):
                if found.kind == "test":
                    out.facts.append(
                        self._fact(
                            f"ci.test.{found.level if found.level in ('integration', 'e2e') else 'unit'}",
                            text(
                                "Heroku CI runs ",
                                Code(_short(test)),
                                " (",
                                Code("scripts.test"),
                                " in ",
                                Code("app.json"),
                                ")",
                            ),
                            Confidence.DECLARED,
                            path,
                            line,
                            item=f"heroku-ci:{path}",
                            tech=found.tool,
                        )
                    )
                    break

    def _heroku_env(self, path: str, env: Any, lines: JsonLines, out: Extraction) -> None:
        if not isinstance(env, dict):
            return
        variables: list[Variable] = []
        for name, spec in env.items():
            line = lines.line("env", str(name))
            if isinstance(spec, dict):
                value = _string(spec.get("value"))
                comment = _string(spec.get("description")) or ""
                variables.append(Variable(str(name), value, line, comment.strip()))
            else:
                variables.append(Variable(str(name), _string(spec), line))
        reader = VariableReader(
            path=path,
            detector=self.name,
            env="production",
            where=("in the ", Code("env"), " of ", Code("app.json")),
            confidence=Confidence.INFERRED,
            catalog=self.catalog,
            described_by="description",
        )
        out.facts.extend(reader.facts(variables))

    def _heroku_formation(self, path: str, formation: Any, lines: JsonLines, out: Extraction) -> None:
        if not isinstance(formation, dict) or not formation:
            return
        parts: list[Part] = ["Heroku formation: "]
        scaled: list[tuple[str, int]] = []
        for index, (process, spec) in enumerate(formation.items()):
            spec = spec if isinstance(spec, dict) else {}
            quantity = spec.get("quantity")
            size = _string(spec.get("size"))
            parts += [", " if index else "", Code(str(process))]
            if isinstance(quantity, int):
                parts.append(f" × {quantity}")
                if quantity >= 2:
                    scaled.append((str(process), quantity))
            if size:
                parts += [" (", Code(size), ")"]
        line = lines.line("formation")
        out.facts.append(
            self._fact(
                "env.special", text(*parts), Confidence.DECLARED, path, line, item=f"formation:{path}", env="production"
            )
        )
        for process, quantity in scaled:
            out.facts.append(
                self._fact(
                    "env.sla",
                    text(
                        f"{quantity} ",
                        Code(process),
                        " dynos (",
                        Code("app.json"),
                        " formation): no single point of failure",
                    ),
                    Confidence.HINT,
                    path,
                    lines.line("formation", process),
                    item=f"ha:{path}:{process}",
                    env="production",
                )
            )

    # -- Fly.io ----------------------------------------------------------------------------------

    def _toml(self, file: SourceFile, out: Extraction) -> tuple[dict[str, Any], dict[tuple[Any, ...], int]]:
        """The file's data and each key's line; broken TOML costs a diagnostic and keeps the keys
        that still read on their own."""
        lines = toml_lines(file.text)
        try:
            return tomllib.loads(file.text), lines
        except tomllib.TOMLDecodeError as exc:
            match = _TOML_ERROR_LINE.search(str(exc))
            out.diagnostics.append(
                self.diagnostic(
                    file.path,
                    int(match.group(1)) if match else None,
                    f"invalid TOML: {exc}; the keys that still read are documented",
                )
            )
            return toml_salvage(file.text), lines

    def _fly(self, file: SourceFile, out: Extraction) -> None:
        data, lines = self._toml(file, out)
        app = _string(data.get("app"))
        env, named = self._fly_env(file.path, app)
        label: tuple[Part, ...] = (" for app ", Code(app)) if app else ()
        if app:
            http = _fly_serves_http(data)
            out.records.append(
                Record(
                    "paas.fly.app",
                    file.path,
                    lines.get(("app",), 1),
                    {"app": app, "env": env, "named": named, "http": http},
                )
            )
            if http:
                url = self.catalog.get("fly").app_url.format(app=app)
                qualifier = "" if named else "; production assumed, the file names no environment"
                out.facts.append(
                    self._fact(
                        "env.url",
                        text(Code(url), " (Fly.io default hostname of app ", Code(app), qualifier, ")"),
                        Confidence.INFERRED,
                        file.path,
                        lines.get(("app",), 1),
                        item=f"fly:{app}",
                        rank=50,
                        env=env,
                        attrs={"url": url},
                    )
                )
        self._fly_env_vars(file.path, data.get("env"), lines, env, out)
        self._fly_deploy(file.path, data, lines, env, label, out)
        self._fly_checks(file.path, data, lines, label, out)
        self._fly_special(file.path, data, lines, env, label, out)

    @staticmethod
    def _fly_env(path: str, app: str | None) -> tuple[str, bool]:
        """`fly.staging.toml`, a `staging/` folder or an app named `x-staging` name the environment."""
        pure = PurePosixPath(path)
        middle = pure.name[len("fly.") : -len(".toml")]
        for candidate in (middle, pure.parent.name, (app or "").rsplit("-", 1)[-1] if app and "-" in app else ""):
            env = env_from_name(candidate) if candidate else None
            if env:
                return env, True
        return "production", False

    def _fly_env_vars(
        self, path: str, env_table: Any, lines: dict[tuple[Any, ...], int], env: str, out: Extraction
    ) -> None:
        if not isinstance(env_table, dict):
            return
        variables = [
            Variable(str(k), _string(v), lines.get(("env", str(k)), lines.get(("env",), 1)))
            for k, v in env_table.items()
        ]
        reader = VariableReader(
            path=path,
            detector=self.name,
            env=env,
            where=("in the ", Code("[env]"), " table of ", Code(path)),
            confidence=Confidence.DECLARED,
            catalog=self.catalog,
        )
        out.facts.extend(reader.facts(variables))

    def _fly_deploy(
        self,
        path: str,
        data: dict[str, Any],
        lines: dict[tuple[Any, ...], int],
        env: str,
        label: tuple[Part, ...],
        out: Extraction,
    ) -> None:
        deploy = _table(data, "deploy")
        release = _string(deploy.get("release_command"))
        if release:
            self._release(
                out,
                path,
                lines.get(("deploy", "release_command"), 1),
                release,
                text(
                    "Release command: ",
                    Code("[deploy] release_command"),
                    " in ",
                    Code(path),
                    *label,
                    " (once per deploy, in a temporary machine, before new machines start)",
                ),
                "release",
            )
        strategy = _string(deploy.get("strategy"))
        if strategy:
            line = lines.get(("deploy", "strategy"), 1)
            meaning, aborts = FLY_STRATEGIES.get(strategy.lower(), ("", False))
            described: tuple[Part, ...] = (": ", meaning) if meaning else ()
            out.facts.append(
                self._fact(
                    "env.special",
                    text("Fly.io deploy strategy ", Code(strategy), *label, *described),
                    Confidence.DECLARED,
                    path,
                    line,
                    item=f"fly-strategy:{path}",
                    env=env,
                )
            )
            if aborts:
                out.facts.append(
                    self._fact(
                        "deploy.rollback.perform",
                        text(
                            "Automatic abort: with ",
                            Code(f"strategy = {strategy}"),
                            " in ",
                            Code(path),
                            ", new machines that fail their health checks are discarded and the old ones keep serving",
                        ),
                        Confidence.INFERRED,
                        path,
                        line,
                        item=f"fly-strategy:{path}",
                        rank=40,
                        attrs={"automatic": True},
                    )
                )
        experimental = _table(data, "experimental")
        if experimental.get("auto_rollback") is True:
            # A setting of Fly's Nomad platform (Apps V1): flyctl drops it from Machines apps'
            # configuration (superfly/flyctl#1942), so it is a lead to check, not a rollback.
            out.facts.append(
                self._fact(
                    "deploy.rollback.perform",
                    text(
                        Code("[experimental] auto_rollback = true"),
                        " in ",
                        Code(path),
                        ": an Apps V1 (Nomad) setting; Fly.io Machines apps do not roll back on it",
                    ),
                    Confidence.HINT,
                    path,
                    lines.get(("experimental", "auto_rollback"), 1),
                    item=f"fly-auto-rollback:{path}",
                    rank=60,
                )
            )

    def _fly_checks(
        self,
        path: str,
        data: dict[str, Any],
        lines: dict[tuple[Any, ...], int],
        label: tuple[Part, ...],
        out: Extraction,
    ) -> None:
        for kind, target, line, interval in _fly_health_checks(data, lines):
            every: tuple[Part, ...] = (" every ", Code(interval)) if interval else ()
            out.facts.append(
                self._fact(
                    "deploy.rollback.verify",
                    text(f"Fly.io {kind} ", Code(target), *label, *every, " (", Code(path), ")"),
                    Confidence.DECLARED,
                    path,
                    line,
                    item=f"fly-check:{path}:{target}",
                    rank=40,
                )
            )

    def _fly_special(
        self,
        path: str,
        data: dict[str, Any],
        lines: dict[tuple[Any, ...], int],
        env: str,
        label: tuple[Part, ...],
        out: Extraction,
    ) -> None:
        region = _string(data.get("primary_region"))
        if region:
            out.facts.append(
                self._fact(
                    "env.special",
                    text("Fly.io primary region ", Code(region), *label),
                    Confidence.DECLARED,
                    path,
                    lines.get(("primary_region",), 1),
                    item=f"fly-region:{path}",
                    env=env,
                )
            )
        service = _table(data, "http_service")
        self._fly_idle(path, service, lines, env, label, out)
        mounts = data.get("mounts")
        for index, mount in enumerate(
            mounts if isinstance(mounts, list) else [mounts] if isinstance(mounts, dict) else []
        ):
            if isinstance(mount, dict) and _string(mount.get("source")) and _string(mount.get("destination")):
                line = lines.get(("mounts", index), lines.get(("mounts",), 1))
                out.facts.append(
                    self._fact(
                        "env.special",
                        text(
                            "Fly.io volume ",
                            Code(str(mount["source"])),
                            " mounted at ",
                            Code(str(mount["destination"])),
                            *label,
                        ),
                        Confidence.DECLARED,
                        path,
                        line,
                        item=f"fly-volume:{path}:{mount['source']}",
                        env=env,
                    )
                )
        metrics = data.get("metrics")
        for metric in metrics if isinstance(metrics, list) else [metrics] if isinstance(metrics, dict) else []:
            if isinstance(metric, dict) and metric.get("port") is not None:
                target = f":{metric.get('port')}{metric.get('path') or '/metrics'}"
                out.facts.append(
                    self._fact(
                        "mon.application",
                        text("Fly.io managed Prometheus scrapes ", Code(target), *label, " (", Code("[metrics]"), ")"),
                        Confidence.DECLARED,
                        path,
                        lines.get(("metrics",), 1),
                        item="prometheus",
                        tech="prometheus",
                    )
                )

    def _fly_idle(
        self,
        path: str,
        service: dict[str, Any],
        lines: dict[tuple[Any, ...], int],
        env: str,
        label: tuple[Part, ...],
        out: Extraction,
    ) -> None:
        """How many machines stay up: idle machines stop (cold starts), two or more always up is an HA signal."""
        running = service.get("min_machines_running")
        stops = _string(service.get("auto_stop_machines"))
        stopping = stops is not None and stops.lower() not in ("off", "false")
        if not isinstance(running, int) or isinstance(running, bool):
            return
        line = lines.get(("http_service", "min_machines_running"), 1)
        verb = "suspends" if (stops or "").lower() == "suspend" else "stops"
        if running == 0 and stopping:
            said = text(
                f"Fly.io {verb} every machine when idle",
                *label,
                " (",
                Code(f"auto_stop_machines = {stops}"),
                ", ",
                Code("min_machines_running = 0"),
                "): the first request after a quiet period waits for a machine to start",
            )
        else:
            idle: tuple[Part, ...] = (f", {verb} the others when idle",) if stopping else ()
            said = text("Fly.io keeps at least ", str(running), " machine(s) running", *label, *idle)
        out.facts.append(
            self._fact("env.special", said, Confidence.DECLARED, path, line, item=f"fly-min:{path}", env=env)
        )
        if running >= 2:
            out.facts.append(
                self._fact(
                    "env.sla",
                    text(str(running), " machines always running", *label, " (", Code("min_machines_running"), ")"),
                    Confidence.HINT,
                    path,
                    line,
                    item=f"fly-ha:{path}",
                    env=env,
                )
            )

    # -- Render ----------------------------------------------------------------------------------

    def _render(self, file: SourceFile, out: Extraction) -> None:
        doc = self.yaml_mapping(file, out)
        if doc is None:
            return
        groups: list[tuple[str, YDict]] = [("production", doc)]
        projects = doc.get("projects")
        for project in projects if isinstance(projects, list) else []:
            envs = project.get("environments") if isinstance(project, dict) else None
            for environment in envs if isinstance(envs, list) else []:
                if isinstance(environment, YDict) and _string(environment.get("name")):
                    groups.append((str(environment["name"]), environment))
        for env, group in groups:
            databases = self._render_databases(file.path, group.get("databases"), env, out)
            services = group.get("services")
            for index, service in enumerate(services if isinstance(services, list) else []):
                if isinstance(service, YDict):
                    self._render_service(file.path, service, line_of(services, index), env, databases, out)
            for fact in databases.values():
                _said_uses(fact)
        self._render_previews(file.path, doc, out)

    def _render_databases(self, path: str, databases: Any, env: str, out: Extraction) -> dict[str, Fact]:
        found: dict[str, Fact] = {}
        postgres = self.catalog.get("postgresql")
        for index, database in enumerate(databases if isinstance(databases, list) else []):
            if not isinstance(database, YDict):
                continue
            name = _string(database.get("name")) or f"#{index + 1}"
            raw = _string(database.get("postgresMajorVersion"))
            version = tag_version(raw, postgres.version_scheme, postgres.minor_below) if raw else None
            line = line_of(database, "postgresMajorVersion", line_of(databases, index))
            suffix: tuple[Part, ...] = (
                ()
                if version
                else (
                    " (no ",
                    Code("postgresMajorVersion"),
                    ": Render's default)",
                )
            )
            fact = self._stores(
                postgres,
                version,
                env,
                text("Render database ", Code(name), " (", Code("render.yaml"), ")", *suffix),
                path,
                line,
            )
            found[name] = fact
            out.facts.append(fact)
            high = database.get("highAvailability")
            if (isinstance(high, dict) and high.get("enabled") is True) or database.get("readReplicas"):
                out.facts.append(
                    self._fact(
                        "env.sla",
                        text("Render database ", Code(name), " has high availability or read replicas"),
                        Confidence.HINT,
                        path,
                        line_of(database, "highAvailability", line_of(database, "readReplicas", line)),
                        item=f"render-ha:{name}",
                        env=env,
                    )
                )
        return found

    def _render_service(
        self, path: str, service: YDict, line: int, env: str, databases: dict[str, Fact], out: Extraction
    ) -> None:
        name = _string(service.get("name")) or f"line {line}"
        kind = (_string(service.get("type")) or "").lower()
        runtime = _string(service.get("runtime")) or _string(service.get("env"))
        label: tuple[Part, ...] = (" for service ", Code(name))
        if kind in RENDER_STORES:
            tech = self.catalog.get(RENDER_STORES[kind])
            out.facts.append(
                self._stores(
                    tech,
                    None,
                    env,
                    text("Render Key Value service ", Code(name), " (", Code("render.yaml"), ")"),
                    path,
                    line,
                )
            )
            return
        if kind == "web":
            self._render_urls(path, service, name, env, line, out)
        if kind == "cron" and _string(service.get("schedule")):
            out.facts.append(
                self._fact(
                    "env.special",
                    text(
                        "Render cron job ",
                        Code(name),
                        " runs ",
                        Code(_short(str(service.get("startCommand") or ""))),
                        " on ",
                        Code(str(service["schedule"])),
                    ),
                    Confidence.DECLARED,
                    path,
                    line_of(service, "schedule", line),
                    item=f"render-cron:{name}",
                    env=env,
                )
            )
        self._render_settings(path, service, name, kind, runtime, env, line, out)
        self._render_trigger(path, service, name, kind, line, out)
        health = _string(service.get("healthCheckPath"))
        if health:
            out.facts.append(
                self._fact(
                    "deploy.rollback.verify",
                    text("Render health check ", Code(health), *label, ": a deploy goes live only after it passes"),
                    Confidence.DECLARED,
                    path,
                    line_of(service, "healthCheckPath", line),
                    item=f"render-health:{name}",
                )
            )
        pre = _string(service.get("preDeployCommand"))
        if pre:
            self._release(
                out,
                path,
                line_of(service, "preDeployCommand", line),
                pre,
                text(
                    "Pre-deploy command: Render ",
                    Code("preDeployCommand"),
                    *label,
                    " (after the build, before the new version starts)",
                ),
                "release",
            )
        start = _string(service.get("startCommand"))
        found = _migrations(start) if start and kind != "cron" else []
        if start and found:
            out.facts.append(
                Fact(
                    "deploy.migration.strategy",
                    text(
                        "On service start: Render ",
                        Code("startCommand"),
                        *label,
                        " runs ",
                        Code(_short(found[0].command)),
                        " before the app, in every instance as it starts",
                    ),
                    Confidence.DECLARED,
                    self.evidence(path, line_of(service, "startCommand", line)),
                    item=f"start:{path}:{name}",
                    tech=found[0].tool,
                    rank=40,
                    order=(path, line),
                    attrs={"where": "container start", "tool": found[0].tool},
                )
            )
        self._render_env_vars(path, service, name, env, databases, out)

    def _render_urls(self, path: str, service: YDict, name: str, env: str, line: int, out: Extraction) -> None:
        domains = service.get("domains")
        for index, domain in enumerate(domains if isinstance(domains, list) else []):
            if isinstance(domain, str) and domain:
                url = f"https://{domain}"
                out.facts.append(
                    self._fact(
                        "env.url",
                        text(Code(url), " (custom domain of Render service ", Code(name), ")"),
                        Confidence.DECLARED,
                        path,
                        line_of(domains, index),
                        item=f"render:{name}:{domain}",
                        rank=20,
                        env=env,
                        attrs={"url": url},
                    )
                )
        if env == "production":
            url = f"https://{name}.onrender.com"
            out.facts.append(
                self._fact(
                    "env.url",
                    text(
                        Code(url),
                        " (Render default hostname of service ",
                        Code(name),
                        "; Render adds a suffix when the name is taken)",
                    ),
                    Confidence.INFERRED,
                    path,
                    line_of(service, "name", line),
                    item=f"render:{name}",
                    rank=50,
                    env=env,
                    attrs={"url": url},
                )
            )

    def _render_settings(
        self, path: str, service: YDict, name: str, kind: str, runtime: str | None, env: str, line: int, out: Extraction
    ) -> None:
        parts: list[Part] = ["Render ", Code(kind or "service"), " service ", Code(name)]
        if runtime:
            parts += [" (", Code(runtime), ")"]
        for key in ("plan", "region", "numInstances"):
            value = _string(service.get(key))
            if value:
                parts += [f", {key} ", Code(value)]
        scaling = service.get("scaling")
        if isinstance(scaling, dict) and scaling.get("minInstances") is not None:
            parts += [
                ", autoscaling ",
                Code(f"{scaling.get('minInstances')}-{scaling.get('maxInstances')}"),
                " instances",
            ]
        out.facts.append(
            self._fact(
                "env.special", text(*parts), Confidence.DECLARED, path, line, item=f"render-service:{name}", env=env
            )
        )
        instances = service.get("numInstances")
        minimum = scaling.get("minInstances") if isinstance(scaling, dict) else None
        count = instances if isinstance(instances, int) else minimum if isinstance(minimum, int) else 0
        if count >= 2:
            out.facts.append(
                self._fact(
                    "env.sla",
                    text(f"{count} instances of Render service ", Code(name)),
                    Confidence.HINT,
                    path,
                    line_of(service, "numInstances", line_of(service, "scaling", line)),
                    item=f"render-ha:{name}",
                    env=env,
                )
            )

    def _render_trigger(self, path: str, service: YDict, name: str, kind: str, line: int, out: Extraction) -> None:
        trigger = _string(service.get("autoDeployTrigger"))
        auto = service.get("autoDeploy")
        branch = _string(service.get("branch"))
        on_branch: tuple[Part, ...] = (" to ", Code(branch)) if branch else (" to the repository's default branch",)
        if auto is False or (trigger or "").lower() == "off":
            key = "autoDeployTrigger" if trigger else "autoDeploy"
            out.facts.append(
                self._fact(
                    "ci.deploy.manual",
                    text(
                        "Render service ",
                        Code(name),
                        " deploys only when triggered by hand (",
                        Code(f"{key}: {trigger or 'false'}"),
                        ")",
                    ),
                    Confidence.DECLARED,
                    path,
                    line_of(service, key, line),
                    item=f"render-deploy:{name}",
                    attrs={"manual": True},
                )
            )
            return
        declared = auto is True or trigger is not None
        when = " after CI checks pass" if (trigger or "").lower() == "checkspass" else ""
        out.facts.append(
            self._fact(
                "ci.deploy.automated",
                text(
                    "Render deploys service ",
                    Code(name),
                    " on every push",
                    *on_branch,
                    when,
                    "" if declared else " (autoDeploy is on unless set to false)",
                ),
                Confidence.DECLARED if declared else Confidence.INFERRED,
                path,
                line_of(service, "autoDeployTrigger", line_of(service, "autoDeploy", line)),
                item=f"render-deploy:{name}",
                attrs={"trigger": "push", "branches": [branch] if branch else []},
            )
        )

    def _render_env_vars(
        self, path: str, service: YDict, name: str, env: str, databases: dict[str, Fact], out: Extraction
    ) -> None:
        env_vars = service.get("envVars")
        variables: list[Variable] = []
        dashboard: list[tuple[str, int]] = []
        for index, var in enumerate(env_vars if isinstance(env_vars, list) else []):
            if not isinstance(var, YDict) or not _string(var.get("key")):
                continue
            key = str(var["key"])
            line = line_of(env_vars, index)
            source = var.get("fromDatabase")
            if isinstance(source, dict) and _string(source.get("name")) in databases:
                fact = databases[str(source["name"])]
                # said once all services are read: documenso's app takes two variables from one database
                fact.attrs.setdefault("used_by", {}).setdefault(name, []).append(key)
                fact.evidence = (*fact.evidence, *self.evidence(path, line))
                continue
            if var.get("sync") is False:
                dashboard.append((key, line))
            if "generateValue" in var or "fromService" in var or "fromDatabase" in var:
                variables.append(Variable(key, None, line))
            else:
                variables.append(Variable(key, _string(var.get("value")), line))
        if variables:
            reader = VariableReader(
                path=path,
                detector=self.name,
                env=env,
                where=("in Render service ", Code(name), " (", Code("render.yaml"), ")"),
                confidence=Confidence.DECLARED,
                catalog=self.catalog,
            )
            out.facts.extend(reader.facts(variables))
        if dashboard:
            out.facts.append(
                self._fact(
                    "env.special",
                    text(
                        *code_list([k for k, _ in dashboard], 4),
                        " of Render service ",
                        Code(name),
                        " are set in the Render dashboard (",
                        Code("sync: false"),
                        "), not in the repository",
                    ),
                    Confidence.HINT,
                    path,
                    dashboard[0][1],
                    item=f"render-dashboard:{name}",
                    env=env,
                )
            )

    def _render_previews(self, path: str, doc: YDict, out: Extraction) -> None:
        previews = doc.get("previews")
        generation = _string(previews.get("generation")) if isinstance(previews, dict) else None
        legacy = doc.get("previewsEnabled") is True
        if (generation or "").lower() in ("automatic", "auto_preview", "manual") or legacy:
            key = "previews" if generation else "previewsEnabled"
            how = "on request" if (generation or "").lower() == "manual" else "for every pull request"
            out.facts.append(
                self._fact(
                    "env.purpose",
                    text(
                        "Render preview environments: a copy of the Blueprint ",
                        how,
                        " (",
                        Code(f"{key}: {generation or 'true'}"),
                        ")",
                    ),
                    Confidence.DECLARED,
                    path,
                    line_of(doc, key),
                    item="render-previews",
                    env=_REVIEW,
                )
            )

    # -- Vercel ----------------------------------------------------------------------------------

    def _vercel(self, file: SourceFile, out: Extraction) -> None:
        try:
            data = json.loads(file.text)
        except ValueError as exc:
            out.diagnostics.append(self.diagnostic(file.path, getattr(exc, "lineno", None), f"invalid JSON: {exc}"))
            return
        if not isinstance(data, dict):
            return
        lines = JsonLines(file.text)
        crons = data.get("crons")
        for index, cron in enumerate(crons if isinstance(crons, list) else []):
            if isinstance(cron, dict) and _string(cron.get("path")) and _string(cron.get("schedule")):
                out.facts.append(
                    self._fact(
                        "env.special",
                        text(
                            "Vercel cron job calls ",
                            Code(str(cron["path"])),
                            " on ",
                            Code(str(cron["schedule"])),
                            " (production deployments only)",
                        ),
                        Confidence.DECLARED,
                        file.path,
                        _nth_line(file.text, '"path"', index, lines.line("crons")),
                        item=f"vercel-cron:{cron['path']}",
                        env="production",
                    )
                )
        regions = data.get("regions")
        if isinstance(regions, list) and regions:
            out.facts.append(
                self._fact(
                    "env.special",
                    text("Vercel functions run in region(s) ", *code_list([str(r) for r in regions], 4)),
                    Confidence.DECLARED,
                    file.path,
                    lines.line("regions"),
                    item=f"vercel-regions:{file.path}",
                    env="production",
                )
            )
        legacy = _table(data, "env")
        if legacy:
            variables = [Variable(str(k), _string(v), lines.line("env", str(k))) for k, v in legacy.items()]
            reader = VariableReader(
                path=file.path,
                detector=self.name,
                env="production",
                where=("in the ", Code("env"), " of ", Code("vercel.json")),
                confidence=Confidence.INFERRED,
                catalog=self.catalog,
            )
            out.facts.extend(reader.facts(variables))
        out.facts.append(
            self._fact(
                "env.special",
                text(
                    "Vercel keeps this project's environment variables in its dashboard, per environment; ",
                    Code(file.path),
                    " does not list them",
                ),
                Confidence.HINT,
                file.path,
                1,
                item=f"vercel-dashboard:{file.path}",
                env="production",
            )
        )
        git = _table(data, "git")
        enabled = git.get("deploymentEnabled")
        if enabled is not False:
            # `{"l10n_*": false}`: branches (globs) whose pushes are not deployed (rallly's translation
            # branches); a branch any `true` rule matches deploys, so `{"**": false, "main": true}` is main only
            rules = enabled if isinstance(enabled, dict) else {}
            kept = sorted(str(b) for b, on in rules.items() if on is True)
            # a true `**` deploys every branch whatever else is false; only `**` matches every branch
            # (minimatch's `*` stops at a slash)
            skipped = [] if "**" in kept else sorted(str(b) for b, on in rules.items() if on is False)
            if "**" in skipped:
                which: tuple[Part, ...] = (" deploys pushes to branches ", *code_list(kept, 5), " only") if kept \
                    else (" deploys no branch",)
                what: tuple[Part, ...] = (" (",)
            else:
                which = (" deploys every push", *((" except to branches ", *code_list(skipped, 5)) if skipped else ()))
                what = (": the production branch to Production, other branches as Preview deployments (",)
                if {"main", "master"} & set(skipped):  # the production branch is one it keeps out
                    what = (": other branches as Preview deployments (",)
            out.facts.append(
                self._fact(
                    "ci.deploy.automated",
                    text(
                        "Vercel's Git integration, when the project is connected,",
                        *which,
                        *what,
                        Code(file.path),
                        ")",
                    ),
                    Confidence.HINT,
                    file.path,
                    lines.line("git") if git else 1,
                    item=f"vercel-git:{file.path}",
                )
            )

    # -- Netlify ---------------------------------------------------------------------------------

    def _netlify(self, file: SourceFile, out: Extraction) -> None:
        data, lines = self._toml(file, out)
        build = _table(data, "build")
        command = _string(build.get("command"))
        publish = _string(build.get("publish"))
        docs = _docs_site(file.path, build)
        # hedgedoc's docs/netlify.toml: `command = "echo Pseudo build command because the build is made
        # by the CI"`: Netlify builds nothing, the files come ready-made from a CLI deploy
        ready_made = command is not None and _no_op_build(command)
        if ready_made and command is not None:
            out.facts.append(self._fact(
                "ci.deploy.automated",
                text("Netlify site configuration (", Code(file.path), ") whose build command does nothing (",
                     Code(_short(command)), "): the site is built elsewhere and deployed ready-made",
                     *((" from ", Code(publish)) if publish else ()), ", not by Netlify's Git integration"),
                Confidence.HINT,
                file.path,
                lines.get(("build", "command"), 1),
                item=f"netlify-git:{file.path}",
            ))
        elif command or publish:
            parts: list[Part] = ["Netlify build of the documentation site" if docs else "Netlify build"]
            if command:
                parts += [" runs ", Code(_short(command))]
            if publish:
                parts += [" and publishes " if command else " publishes ", Code(publish)]
            out.facts.append(
                Fact(
                    "ci.build",
                    text(*parts, " (", Code(file.path), ")"),
                    Confidence.DECLARED,
                    self.evidence(file.path, lines.get(("build", "command"), lines.get(("build",), 1))),
                    item=f"netlify:{file.path}",
                    rank=40,
                    order=(1, file.path),
                    attrs={"step": "Netlify build"},
                )
            )
        contexts = [str(c) for c, settings in _table(data, "context").items() if isinstance(settings, dict)]
        if docs:
            if not ready_made:
                out.facts.append(self._netlify_docs(file.path, docs, contexts))
            return  # the docs site's contexts and variables say nothing about the application's environments
        self._netlify_variables(file.path, build.get("environment"), ("build", "environment"), "production", lines, out)
        for context in contexts:
            self._netlify_context(file.path, context, data, lines, out)
        if ready_made:
            return
        out.facts.append(
            self._fact(
                "ci.deploy.automated",
                text(
                    "Netlify's Git integration, when the site is connected, deploys every push: the production branch "
                    "to production, pull requests as Deploy Previews (",
                    Code(file.path),
                    ")",
                ),
                Confidence.HINT,
                file.path,
                1,
                item=f"netlify-git:{file.path}",
            )
        )

    def _netlify_docs(self, path: str, docs: str, contexts: list[str]) -> Fact:
        """A documentation site's deploys: one hint, with its contexts, instead of environments."""
        named: list[Part] = []
        for index, context in enumerate(contexts):
            named += [", " if index else "", Code(context)]
        with_contexts: tuple[Part, ...] = (" (deploy contexts ", *named, ")") if named else ()
        return self._fact(
            "ci.deploy.automated",
            text(
                "Netlify's Git integration, when the site is connected, deploys the documentation site in ",
                Code(docs),
                *with_contexts,
                " on every push, not the application (",
                Code(path),
                ")",
            ),
            Confidence.HINT,
            path,
            1,
            item=f"netlify-git:{path}",
        )

    def _netlify_context(
        self,
        path: str,
        context: str,
        data: dict[str, Any],
        lines: dict[tuple[Any, ...], int],
        out: Extraction,
    ) -> None:
        settings = _table(_table(data, "context"), context)
        line = lines.get(("context", context), 1)
        purposes = {
            "deploy-preview": "Netlify Deploy Previews: a deploy per pull request",
            "branch-deploy": "Netlify branch deploys: a deploy per pushed branch other than production",
        }
        if context in purposes:
            publish = _string(_table(data, "build").get("publish"))
            site: tuple[Part, ...] = (", publishing ", Code(publish)) if publish else ()
            out.facts.append(
                self._fact(
                    "env.purpose",
                    text(purposes[context], " (", Code(f"[context.{context}]"), " in ", Code(path), *site, ")"),
                    Confidence.DECLARED,
                    path,
                    line,
                    item=f"netlify:{context}",
                    env=context,
                )
            )
        command = _string(settings.get("command"))
        if command:
            out.facts.append(
                self._fact(
                    "env.special",
                    text("Netlify context ", Code(context), " builds with ", Code(_short(command))),
                    Confidence.DECLARED,
                    path,
                    lines.get(("context", context, "command"), line),
                    item=f"netlify-command:{context}",
                    env=context,
                )
            )
        self._netlify_variables(
            path, settings.get("environment"), ("context", context, "environment"), context, lines, out
        )

    def _netlify_variables(
        self, path: str, table: Any, at: tuple[str, ...], env: str, lines: dict[tuple[Any, ...], int], out: Extraction
    ) -> None:
        if not isinstance(table, dict) or not table:
            return
        variables = [Variable(str(k), _string(v), lines.get((*at, str(k)), lines.get(at, 1))) for k, v in table.items()]
        reader = VariableReader(
            path=path,
            detector=self.name,
            env=env,
            where=("in the ", Code("[" + ".".join(at) + "]"), " table of ", Code(path)),
            confidence=Confidence.DECLARED,
            catalog=self.catalog,
        )
        out.facts.extend(reader.facts(variables))

    # -- Serverless Framework --------------------------------------------------------------------

    def _serverless(self, file: SourceFile, out: Extraction) -> None:
        doc = self.yaml_mapping(file, out)
        if doc is None:
            return
        provider = _ytable(doc, "provider")
        stage_raw = _string(provider.get("stage"))
        stage = _default_of(stage_raw) if stage_raw else "dev"
        stage_line = line_of(provider, "stage", doc.line_of("provider", 1))
        declared = f"{stage_raw} (default {stage})" if stage_raw and stage != stage_raw else stage_raw or "dev"
        out.facts.append(
            self._fact(
                "env.purpose",
                text(
                    "Serverless Framework stage ",
                    Code(stage),
                    " (",
                    Code(f"provider.stage: {declared}") if stage_raw else "no provider.stage: the Framework's default",
                    "); ",
                    Code("--stage"),
                    " on the command line deploys other stages",
                ),
                Confidence.DECLARED if stage_raw else Confidence.INFERRED,
                file.path,
                stage_line,
                item=f"serverless-stage:{file.path}",
                env=stage,
            )
        )
        params = doc.get("params")
        for name in params if isinstance(params, dict) else {}:
            if str(name) != "default":
                out.facts.append(
                    self._fact(
                        "env.purpose",
                        text("Serverless Framework stage ", Code(str(name)), " (", Code(f"params.{name}"), ")"),
                        Confidence.DECLARED,
                        file.path,
                        line_of(params, name),
                        item=f"serverless-stage:{file.path}",
                        env=str(name),
                    )
                )
        region = _string(provider.get("region"))
        if region:
            out.facts.append(
                self._fact(
                    "env.special",
                    text(
                        "AWS region ",
                        Code(_default_of(region)),
                        " (",
                        Code("provider.region"),
                        " in ",
                        Code(file.path),
                        ")",
                    ),
                    Confidence.DECLARED,
                    file.path,
                    line_of(provider, "region", stage_line),
                    item=f"serverless-region:{file.path}",
                    env=stage,
                )
            )
        environment = provider.get("environment")
        if isinstance(environment, YDict):
            variables = [Variable(str(k), _string(v), line_of(environment, k)) for k, v in environment.items()]
            reader = VariableReader(
                path=file.path,
                detector=self.name,
                env=stage,
                where=("in the ", Code("provider.environment"), " of ", Code(file.path)),
                confidence=Confidence.DECLARED,
                catalog=self.catalog,
            )
            out.facts.extend(reader.facts(variables))
        functions = _ytable(doc, "functions")
        self._serverless_events(file.path, functions, stage, out)
        self._serverless_logs(file.path, provider, functions, stage_line, out)
        resources = doc.get("resources")
        cfn = resources.get("Resources") if isinstance(resources, dict) else None
        if isinstance(cfn, YDict):
            self._cloudformation(file.path, cfn, stage, out)

    def _serverless_events(self, path: str, functions: YDict, stage: str, out: Extraction) -> None:
        by_kind: dict[str, list[tuple[str, int]]] = {}
        for name, spec in functions.items():
            events = spec.get("events") if isinstance(spec, dict) else None
            for event in events if isinstance(events, list) else []:
                if isinstance(event, dict):
                    for kind in event:
                        by_kind.setdefault(str(kind), []).append((str(name), line_of(functions, name)))
        for kind, entries in sorted(by_kind.items()):
            names = sorted({n for n, _ in entries})
            out.facts.append(
                self._fact(
                    "env.special",
                    text("Lambda functions triggered by ", Code(kind), " events: ", *code_list(names, 4)),
                    Confidence.DECLARED,
                    path,
                    entries[0][1],
                    item=f"serverless-events:{kind}",
                    env=stage,
                )
            )

    def _serverless_logs(self, path: str, provider: YDict, functions: YDict, line: int, out: Extraction) -> None:
        if not functions or (_string(provider.get("name")) or "aws") != "aws":
            return
        days = provider.get("logRetentionInDays")
        if isinstance(days, int) and not isinstance(days, bool):
            out.facts.append(
                self._fact(
                    "log.retention",
                    text(
                        "Lambda function logs are kept ",
                        str(days),
                        " days (",
                        Code("provider.logRetentionInDays"),
                        " in ",
                        Code(path),
                        ")",
                    ),
                    Confidence.DECLARED,
                    path,
                    line_of(provider, "logRetentionInDays", line),
                    item=f"serverless-logs:{path}",
                    tech="cloudwatch",
                )
            )
            return
        out.facts.append(
            self._fact(
                "log.retention",
                text(
                    "Lambda function log groups never expire: ",
                    Code(path),
                    " sets no ",
                    Code("provider.logRetentionInDays"),
                    ", so CloudWatch keeps the logs indefinitely",
                ),
                Confidence.INFERRED,
                path,
                line,
                item=f"serverless-logs:{path}",
                tech="cloudwatch",
            )
        )

    def _cloudformation(self, path: str, resources: YDict, stage: str, out: Extraction) -> None:
        for logical, resource in resources.items():
            if not isinstance(resource, dict):
                continue
            rtype = _string(resource.get("Type")) or ""
            props = _table(resource, "Properties")
            line = line_of(resources, logical)
            where = text("CloudFormation resource ", Code(str(logical)), " (", Code(rtype), ") in ", Code(path))
            if rtype in CFN_AS_TERRAFORM:
                tech = self.catalog.by_terraform_type(CFN_AS_TERRAFORM[rtype])
                if tech is not None:
                    out.facts.append(self._stores(tech, None, stage, where, path, line))
            elif rtype in CFN_ENGINE_TYPES:
                engine = (_string(props.get("Engine")) or ("redis" if "ElastiCache" in rtype else "")).lower()
                tech_id = ENGINES.get(engine)
                if tech_id is None:
                    continue
                tech = self.catalog.get(tech_id)
                raw = _string(props.get("EngineVersion")) or _string(props.get("MajorEngineVersion"))
                version = tag_version(raw, tech.version_scheme, tech.minor_below) if raw else None
                out.facts.append(
                    self._stores(tech, version if version != "unpinned" else None, stage, where, path, line)
                )
            elif rtype == "AWS::Logs::LogGroup":
                days = props.get("RetentionInDays")
                said = (
                    text(" are kept ", str(days), " days")
                    if isinstance(days, int) and not isinstance(days, bool)
                    else text(" never expire (no ", Code("RetentionInDays"), ")")
                )
                out.facts.append(
                    self._fact(
                        "log.retention",
                        text("Logs in log group ", Code(str(logical)), *said, " (", Code(path), ")"),
                        Confidence.DECLARED,
                        path,
                        line,
                        item=f"cfn-logs:{logical}",
                        tech="cloudwatch",
                    )
                )

    # -- phase 2 ---------------------------------------------------------------------------------

    def resolve(self, ctx: ResolveContext) -> list[Fact]:
        # the package and shell scripts release and build commands are followed into: read once, and
        # only when a repository has such a command
        followed = functools.cache(lambda: (TaskIndex(ctx), _scripts_by_path(ctx)))
        containers = _container_stacks(ctx)  # where no Procfile or buildpack hook runs
        return [*self._process_types(ctx, containers), *self._release_commands(ctx, followed, containers),
                *self._heroku_build_migrations(ctx, followed, containers)]

    def _heroku_build_migrations(self, ctx: ResolveContext, followed: Followed, containers: set[str]) -> list[Fact]:
        """Heroku's Node.js buildpack runs package.json's `heroku-postbuild` on every build of an app:
        outline's `yarn build && yarn db:migrate` migrates at each release, before it starts (its
        app.json's `postdeploy` runs once per new app only). Read beside a Heroku app.json, on the
        buildpack stack (an app built from images runs no buildpack)."""
        apps = {near_folder(r.path) for r in ctx.records(HEROKU_APP)} - containers
        if not apps:
            return []
        tasks, scripts = followed()
        where = text("On every Heroku build: ", Code(_HEROKU_BUILD_SCRIPT), " in ", Code("package.json"))
        facts: list[Fact] = []
        for record in tasks.npm_scripts.get(_HEROKU_BUILD_SCRIPT, []):
            if near_folder(record.path) not in apps:
                continue
            for command in record.data.get("commands", []):
                text_ = str(command["command"])
                found = self._followed(record, text_, tasks, scripts)
                if found is None:
                    continue
                classification, via, extra = found
                fact = self._release_fact(record.path, record.line, where, text_, classification, via, extra)
                # one statement per migrating command, made while the app is built
                facts.append(replace(fact, item=f"{fact.item}:{text_}",
                                     attrs={**fact.attrs, "where": "build"}))
        return facts

    def _process_types(self, ctx: ResolveContext, containers: set[str]) -> list[Fact]:
        """A Procfile's process types. foreman, honcho, goreman and overmind run a Procfile on a
        developer's machine too (gitlab-runner's has no other Heroku file), so production is only
        assumed when something in the repository puts the app on Heroku."""
        records = ctx.records(PROCFILE)
        heroku = bool(records) and (any(r.data.get("release") for r in records) or _heroku_evidence(ctx))
        # beside a heroku.yml that builds images, dynos run its run commands or the images' CMD
        facts: list[Fact] = []
        for record in records:
            parts: list[Part] = ["Procfile process types: "]
            for index, (name, command, _) in enumerate(record.data["processes"]):
                parts += [", " if index else "", Code(str(name)), " (", Code(one_line(str(command), 60)), ")"]
            unused = near_folder(record.path) in containers
            tail = _UNUSED_BY_CONTAINERS if unused else _ON_HEROKU if heroku else _NOT_ON_HEROKU
            facts.append(
                self._fact(
                    "env.special",
                    text(*parts, tail),
                    Confidence.INFERRED if heroku and not unused else Confidence.HINT,
                    record.path,
                    record.line,
                    item=f"processes:{record.path}",
                    env="production" if heroku else None,
                )
            )
        return facts

    def _release_commands(self, ctx: ResolveContext, followed: Followed, containers: set[str]) -> list[Fact]:
        """Release commands that call a package.json script or a shell script: what do they run?"""
        records = ctx.records(RELEASE)
        if not records:
            return []
        tasks, scripts = followed()
        facts: list[Fact] = []
        for record in records:
            command = str(record.data["command"])
            where = load_parts(record.data["where"])
            procfile = record.data["kind"] == PROCFILE_RELEASE
            # a release line that migrates itself was said in phase 1, unless it is the Procfile's
            found = self._followed(record, command, tasks, scripts, direct=procfile)
            fact: Fact | None = None
            if found is not None:
                classification, via, extra = found
                fact = self._release_fact(record.path, record.line, where, command, classification, via, extra)
            elif record.data["kind"] in ("release", PROCFILE_RELEASE):
                fact = Fact(
                    "deploy.migration.strategy",
                    text(*where, " runs ", Code(_short(command)), "; whether that migrates was not found"),
                    Confidence.HINT,
                    self.evidence(record.path, record.line),
                    item=f"release:{record.path}:{record.line}",
                    rank=60,
                    order=(record.path, record.line),
                )
            if fact is not None and procfile and near_folder(record.path) in containers:
                # Heroku's container stack runs heroku.yml's release, not the Procfile's
                fact = replace(fact, parts=text(*fact.parts, _PROCFILE_RELEASE_ASIDE), confidence=Confidence.HINT)
            if fact is not None:
                facts.append(fact)
        return facts

    def _followed(
        self, record: Record, command: str, tasks: TaskIndex, scripts: dict[str, list[Record]], direct: bool = True
    ) -> tuple[Classification, tuple[Part, ...], tuple[Any, ...]] | None:
        """The migration a command runs: itself (when `direct`), or through a package script or task,
        or a shell script of the repository."""
        found = _migrations(command) if direct else []
        if found:
            return found[0], (), ()
        return self._through_tasks(record, command, tasks) or self._through_script(record, command, scripts)

    def _through_tasks(
        self, record: Record, command: str, tasks: TaskIndex
    ) -> tuple[Classification, tuple[Part, ...], tuple[Any, ...]] | None:
        near = near_folder(record.path)
        for classification in classify(command):
            for resolved in tasks.resolve(classification, near):
                if resolved.classification.kind == "migrate":
                    via = text(
                        ", which runs ",
                        Code(_short(resolved.classification.command)),
                        " (",
                        Code(resolved.via[-1]),
                        ")",
                    )
                    return resolved.classification, via, self.evidence(resolved.path, resolved.line)
        return None

    def _through_script(
        self, record: Record, command: str, scripts: dict[str, list[Record]]
    ) -> tuple[Classification, tuple[Part, ...], tuple[Any, ...]] | None:
        candidates = list(record.data.get("scripts") or [])  # where the platform looks for it, when it says
        if not candidates:
            first = invoked(command)
            if not _SCRIPT_PATH.match(first):
                return None
            beside = (PurePosixPath(record.path).parent / first.removeprefix("./")).as_posix().removeprefix("./")
            # the script whose path ends as the command's does comes first: `/app/bin/migrate` is
            # `rel/overlays/bin/migrate`, which `mix release` copies into the release's `bin`
            same_name = sorted((p for p in scripts if PurePosixPath(p).name == PurePosixPath(first).name),
                               key=lambda p: (-common_tail(PurePosixPath(p).parts, PurePosixPath(first).parts), p))
            candidates = [beside, *same_name]
        for candidate in candidates:
            for cmd in scripts.get(candidate, []):
                if cmd.data.get("kind") == "migrate":
                    classification = Classification(
                        "migrate", str(cmd.data.get("tool")), str(cmd.data.get("rule")), str(cmd.data["command"])
                    )
                    via = text(", which runs ", Code(_short(classification.command)), " (", Code(candidate), ")")
                    return classification, via, self.evidence(cmd.path, cmd.line)
        return None


# -- helpers that read one platform's conventions ----------------------------------------------------


def _table(data: Any, key: str) -> dict[str, Any]:
    """A sub-table, or an empty one when the key is missing or holds something else."""
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def _ytable(data: Any, key: str) -> YDict:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, YDict) else YDict()


def _scripts_by_path(ctx: ResolveContext) -> dict[str, list[Record]]:
    """The commands of every shell script read, by the script's path: what a release or build
    command that runs one is followed into."""
    scripts: dict[str, list[Record]] = {}
    for record in ctx.records("script.command"):
        scripts.setdefault(record.path, []).append(record)
    return scripts


def _said_uses(fact: Fact) -> None:
    """A Render database's services and the variables they read it through, each service once:
    ", used by `app` through `DATABASE_URL` and `DIRECT_DATABASE_URL`"."""
    uses: dict[str, list[str]] = fact.attrs.pop("used_by", {})
    for service, keys in uses.items():
        fact.parts = text(*fact.parts, ", used by ", Code(service), " through ", *phrase_list([Code(k)] for k in keys))


def _container_stacks(ctx: ResolveContext) -> set[str]:
    """The folders whose Heroku app is built from images (heroku.yml `build.docker`, or app.json's
    `"stack": "container"`): there the Procfile and the Node.js buildpack's scripts do not run."""
    return {near_folder(r.path) for r in ctx.records(HEROKU_YML) if r.data.get("docker")} | {
        near_folder(r.path) for r in ctx.records(HEROKU_APP) if r.data.get("stack") == "container"}


@dataclass(frozen=True)
class _Button:
    name: str
    link: re.Pattern[str]
    files: tuple[str, ...]


@functools.cache
def _deploy_buttons() -> dict[str, _Button]:
    raw = resources.files("infrascan").joinpath("data/deploy_buttons.yaml").read_bytes()
    return {str(key): _Button(str(entry["name"]), re.compile(str(entry["link"])), tuple(map(str, entry["files"])))
            for key, entry in load_table(raw).items()}


def _repository_name(url: str | None) -> str:
    """A repository URL's name (`https://github.com/documenso/documenso/tree/main` -> `documenso`),
    or "" when the URL names no hosted repository (a remote that is a local path)."""
    match = _HOSTED_REPO.search(url or "")
    return match.group(1).lower().removesuffix(".git") if match else ""


def _heroku_evidence(ctx: ResolveContext) -> bool:
    """Something besides a Procfile that puts the app on Heroku: a Heroku app.json, a heroku.yml,
    a fact of the catalog's Heroku signals (HEROKU_* variables, the Terraform provider), or a
    pipeline or script that names Heroku."""
    if ctx.records(HEROKU_APP) or any(PurePosixPath(p).name == "heroku.yml" for p in ctx.files):
        return True
    if any(f.tech == "heroku" for f in ctx.phase1_facts()):
        return True
    return any(_names_heroku(r.data) for kind in _PIPELINE_RECORDS for r in ctx.records(kind))


def _names_heroku(data: Any) -> bool:
    if isinstance(data, str):
        return "heroku" in data.lower()
    if isinstance(data, dict):
        return any(_names_heroku(k) or _names_heroku(v) for k, v in data.items())
    if isinstance(data, list):
        return any(_names_heroku(v) for v in data)
    return False


def _own_pipeline(facts: list[Fact]) -> None:
    """app.json's `environments` (review apps, Heroku CI) configure the pipeline of whoever connects
    the repository to Heroku, its own team; a Deploy to Heroku button never reads them, so they stay
    the repository's own when the button makes the rest of the file a template (chatwoot's)."""
    for fact in facts:
        fact.attrs[OWN_PIPELINE] = True


def _is_heroku_manifest(data: Any) -> bool:
    """An app.json is Heroku's when it has a key only Heroku reads, not just name/description."""
    if not isinstance(data, dict) or "expo" in data:
        return False
    if HEROKU_KEYS & set(data):
        return True
    scripts = data.get("scripts")
    if isinstance(scripts, dict) and {"postdeploy", "pr-predestroy"} & set(scripts):
        return True
    env = data.get("env")
    return isinstance(env, dict) and any(isinstance(v, dict) and HEROKU_ENV_KEYS & set(v) for v in env.values())


def _fly_serves_http(data: dict[str, Any]) -> bool:
    """Only apps with an HTTP service answer on `https://<app>.fly.dev` (a raw TCP service does not)."""
    if isinstance(data.get("http_service"), dict):
        return True
    services = data.get("services")
    for service in services if isinstance(services, list) else []:
        ports = service.get("ports") if isinstance(service, dict) else None
        for port in ports if isinstance(ports, list) else []:
            handlers = port.get("handlers") if isinstance(port, dict) else None
            if isinstance(handlers, list) and {"http", "tls"} & {str(h) for h in handlers}:
                return True
    return False


def _fly_health_checks(data: dict[str, Any],
                       lines: dict[tuple[Any, ...], int]) -> list[tuple[str, str, int, str | None]]:
    """Health checks wherever fly.toml has had them: [[services.http_checks]], [[services.tcp_checks]],
    [[http_service.checks]], [checks.x]; each as its kind ("HTTP health check", "TCP health check of
    port"), what it checks (a path, a port), its line and its interval."""
    found: list[tuple[str, str, int, str | None]] = []

    def add(check: Any, key: tuple[Any, ...], port: Any = None) -> None:
        if not isinstance(check, dict):
            return
        kind = _string(check.get("type")) or ("tcp" if key[-2] == "tcp_checks" else "http")
        target = _string(check.get("path")) if kind == "http" else _string(check.get("port") or port)
        if not target:
            return
        at = [tuple([*key, k]) for k in ("path", "port", "interval", "grace_period", "timeout", "type")]
        line = next((lines[k] for k in at if k in lines), 1)
        said = "HTTP health check" if kind == "http" else "TCP health check of port"
        found.append((said, target, line, _string(check.get("interval"))))

    services = data.get("services")
    for s_index, service in enumerate(services if isinstance(services, list) else []):
        if not isinstance(service, dict):
            continue
        for table in ("http_checks", "tcp_checks"):
            checks = service.get(table)
            for c_index, check in enumerate(checks if isinstance(checks, list) else []):
                add(check, ("services", s_index, table, c_index), service.get("internal_port"))
    service = data.get("http_service")
    checks = service.get("checks") if isinstance(service, dict) else None
    for c_index, check in enumerate(checks if isinstance(checks, list) else []):
        add(check, ("http_service", "checks", c_index))
    top = data.get("checks")
    for name, check in top.items() if isinstance(top, dict) else []:
        add(check, ("checks", str(name)))
    return found


def _default_of(value: str) -> str:
    """`${opt:stage, 'dev'}` deploys `dev` unless told otherwise; a plain value is itself."""
    match = _OPT_DEFAULT.search(value)
    return match.group(1) if match else value


def _nth_line(source: str, needle: str, index: int, default: int) -> int:
    position = -1
    for _ in range(index + 1):
        position = source.find(needle, position + 1)
        if position < 0:
            return default
    return source.count("\n", 0, position) + 1


# A build command that builds nothing: the files Netlify publishes come from somewhere else.
_NO_OP_BUILD = re.compile(r"^\s*(?:echo\b|true\s*$|:\s*$|exit\s+0\s*$)")


def _no_op_build(command: str) -> bool:
    """One simple command that does nothing (`echo ...`, `true`, `:`, `exit 0`): not `echo "Building"
    && npm run build`, which builds."""
    commands = split_commands(command)
    return len(commands) == 1 and _NO_OP_BUILD.match(commands[0].text) is not None
