"""Platform.sh and Upsun projects: the apps, services and routes a push to the project deploys.

Platform.sh reads `.platform.app.yaml` (one per app, at any depth) or `.platform/applications.yaml`,
with `.platform/services.yaml` and `.platform/routes.yaml` beside it; Upsun reads every YAML file
under `.upsun/`, whose `applications`, `services` and `routes` keys hold the same three things.
What they say is the production environment's: the default branch is Production, and each other
branch's environment runs the same apps and services with their own URLs, which the repository
does not hold. So services are Production's databases (and hints for Staging and Development,
whose environments, if the project has them, run their own copies), a route written with its own
domain (not `{default}` or `{all}`) is Production's URL, and the build and deploy hooks are the
build and deployment steps each push runs. Whether a push reaches the platform (its own Git
remote, or a repository integrated with it) is set outside the repository: that deploy trigger
is a hint. A hook, cron or worker that runs a script of the repository (found from the app's
folder) is said in phase 2, which knows whether the script is there.

Service types are looked up in the catalog (`Catalog.by_platformsh_type`): by their own name, or
by the entry's `platformsh_types` signal where names differ (`mysql` is MariaDB on Platform.sh,
`oracle-mysql` is MySQL).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import Any

from infrascan.catalog import DATA_STORE_CATEGORIES, Tech
from infrascan.commands import classify, split_commands
from infrascan.detector import Detector, Extraction, Record, ResolveContext, SourceFile
from infrascan.images import tag_version
from infrascan.model import Code, Confidence, Fact, Part, code_list, one_line, phrase_list, text
from infrascan.source import may_be_unlisted, near_folder, repo_path
from infrascan.yamlload import Tagged, YDict, line_of

from ._pipelines import script_commands
from ._release import dump_fact, invoked, load_fact, release_record

# The build flavor a runtime gets when its app sets none (docs.platform.sh, "build"): what it runs.
DEFAULT_FLAVORS: dict[str, str] = {"php": "composer", "nodejs": "default"}
# App runtime types -> catalog ids, where the names differ.
RUNTIME_TYPES: dict[str, str] = {"golang": "go"}
# Hooks in the order a deploy runs them, with when each runs.
DEPLOY_HOOKS: tuple[tuple[str, str], ...] = (
    ("deploy", "once the new version has started, before it takes requests"),
    ("post_deploy", "once the new version takes requests"),
)
# Commands of a hook that do not say what it does: shell options, messages, moves between folders,
# variables set alone, and the shell's own control flow (its conditions and keywords).
_NOISE = re.compile(r"""^(?:set\s+-|echo\b|printf\b|cd\b|export\b|true$|:$|exit\b
                        |(?:if|elif|while|until|for|case)\b|\[|test\s|(?:then|else|fi|do|done|esac|[{}])$
                        |\w+=(?:"[^"]*"|'[^']*'|\$\([^)]*\)|\S*)$)""", re.X)
# The end of a line that the next one continues: a block's opening keyword, an operator, a brace.
_CONTINUED = re.compile(r"(?:\b(?:then|do|else)|&&|\|\||\||\{|\\)$")
# A keyword the command that follows it on its line starts with (`then drush updb`).
_LEADING_KEYWORD = re.compile(r"^(?:then|else|do)\s+")
# The app's folder as its commands name it (`$PLATFORM_APP_DIR/orch/deploy.sh`, `/app/bin/x.sh`).
_APP_PREFIX = re.compile(r"^(?:\$\{?PLATFORM_APP_DIR\}?|/app)(?=/|$)")
# A route at the root of a domain the project sets (`https://{default}/`, `https://api.{all}`).
_PLACEHOLDER_ROOT = re.compile(r"^https?://[\w.-]*(\{(?:default|all)\})/?$")
# What a script's name ends with.
_SCRIPT = re.compile(r"\.(?:sh|bash|php|py|js|mjs|rb|pl)$")
# A statement that runs scripts of the repository: made in phase 2, which knows the listing.
SCRIPTED = "platformsh.scripted"
_SHOWN_COMMANDS = 4
_ENV = "production"


@dataclass(frozen=True)
class _Project:
    """What one file holds, and whose it is."""

    brand: str  # "Platform.sh" or "Upsun"
    apps: list[tuple[str, YDict, int]]  # name, configuration, line
    services: YDict | None
    routes: YDict | None


class PlatformshDetector(Detector):
    name = "platformsh"
    version = "1"
    description = "Platform.sh and Upsun projects (.platform.app.yaml, .platform/, .upsun/)"
    patterns = (".platform.app.yaml", ".platform/{applications,services,routes}.yaml", ".upsun/*.yaml")
    looks_for = {
        "env.url": "Platform.sh and Upsun routes written with their own domain",
        "env.database": "Platform.sh and Upsun services",
        "env.special": "Platform.sh and Upsun app runtimes, crons, workers and other services",
        "ci.build": "Platform.sh and Upsun build hooks",
        "ci.deploy.automated": "Platform.sh and Upsun projects (each push deploys its branch's environment)",
        "mon.application": "monitoring PHP extensions of Platform.sh and Upsun apps",
        "mon.performance": "profiling PHP extensions (Blackfire, Tideways) of Platform.sh and Upsun apps",
        "deploy.steps": "Platform.sh and Upsun deploy and post_deploy hooks",
        "deploy.migration.strategy": "migrations in Platform.sh and Upsun deploy hooks and start commands",
    }

    # Routes are in routes.yaml or an Upsun file: an app file holds no URL.
    looks_in = {"env.url": (".platform/routes.yaml", ".upsun/*.yaml")}

    def extract(self, file: SourceFile) -> Extraction:
        out = Extraction()
        documents = self.yaml_documents(file, out)
        project = _project(file.path, documents[0] if documents else None)
        if project is None:
            return out
        for name, app, line in project.apps:
            self._app(file, project.brand, name, app, line, out)
        if project.apps:
            out.facts.append(self._trigger(file.path, project.brand, project.apps[0][2]))
        if project.services is not None:
            out.facts.extend(self._services(file.path, project.brand, project.services))
        if project.routes is not None:
            out.facts.extend(self._routes(file.path, project.brand, project.routes))
        return out

    def _fact(self, field_id: str, parts: tuple[Part, ...], path: str, line: int, item: str,
              confidence: Confidence = Confidence.DECLARED, **kw: Any) -> Fact:
        return Fact(field_id, parts, confidence, self.evidence(path, line), item=f"platformsh:{item}",
                    order=kw.pop("order", (path, line)), **kw)

    # -- apps ------------------------------------------------------------------------------------

    def _app(self, file: SourceFile, brand: str, name: str, app: YDict, line: int, out: Extraction) -> None:
        label = (f"{brand} app ", Code(name))
        out.facts.extend(self._runtime(file.path, label, name, app, line))
        out.facts.extend(self._extensions(file.path, label, name, app))
        out.facts.extend(self._start(file.path, label, name, app))
        hooks = app.get("hooks")
        hooks = hooks if isinstance(hooks, YDict) else YDict()
        root = _app_root(file.path, app)
        build = _hook(file, hooks, "build", root)
        made = _made(build.commands)
        for fact, commands in (*self._crons(file.path, label, name, app, root),
                               *self._workers(file.path, label, name, app, root),
                               *self._build(file.path, label, name, app, build),
                               *self._deploy_hooks(file, label, name, hooks, root, out)):
            self._said(fact, commands, made, out)

    def _said(self, fact: Fact, commands: list[_Command], made: set[str], out: Extraction) -> None:
        """A statement of commands, said now; or, when they run scripts of the repository (and the
        build does not make them), in phase 2, which knows whether the scripts are there."""
        scripts = list(dict.fromkeys(script for command in commands for script in command.scripts
                                     if script.rpartition("/")[2] not in made))
        if not scripts:
            out.facts.append(fact)
            return
        where = fact.evidence[0]
        out.records.append(Record(SCRIPTED, where.path, where.line, {**dump_fact(fact), "scripts": scripts}))

    def resolve(self, ctx: ResolveContext) -> list[Fact]:
        """The statements that run scripts, each saying which of its scripts the repository lacks
        (a deploy hook calling a script no one committed fails on every deploy). A script under a
        folder the listing leaves out (vendored trees, configured skips) may be there: not said."""
        records = ctx.records(SCRIPTED)
        if not records:
            return []
        listed = set(ctx.files)
        out: list[Fact] = []
        for record in records:
            fact = load_fact(record.data, record.path, self.name)
            missing = [script for script in record.data["scripts"]
                       if script not in listed and not may_be_unlisted(script, ctx.config.skip)]
            if missing:
                verb = " is" if len(missing) == 1 else " are"
                fact = replace(fact, parts=text(*fact.parts, " (", *phrase_list([Code(script)] for script in missing),
                                                verb, " not in the repository)"))
            out.append(fact)
        return out

    def _runtime(self, path: str, label: tuple[Part, ...], name: str, app: YDict, line: int) -> list[Fact]:
        """What the app runs: its type's runtime, or a composable image's (Upsun) `stack` entries
        the catalog knows as runtimes; a data store in the stack (Meilisearch) is a database the
        app serves. Other stack entries are Nix packages: tools in the image, not said."""
        kind = app.get("type")
        kind = kind.strip() if isinstance(kind, str) else ""
        runtimes: list[tuple[Part, ...]] = []
        out: list[Fact] = []
        at = line_of(app, "stack", line_of(app, "type", line))
        for entry in _stack(app):
            tool, _, version = entry.partition("@")
            tech = self.catalog.techs.get(RUNTIME_TYPES.get(tool, tool))
            if tech is not None and tech.category == "runtime":
                runtimes.append(self._runtime_label(tool, version))
            elif tech is not None and tech.category in DATA_STORE_CATEGORIES:
                said = tech.label(_major(tech, version))
                out.append(self._fact("env.database", text(said, ": ", *label, " runs it (its image's ", Code("stack"),
                                                           ")"), path, at, f"stack:{name}:{tech.id}", env=_ENV,
                                      tech=tech.id, rank=30))
        cited = at  # the stack, which names the runtimes; else the type
        if not runtimes and kind and not (kind.startswith("composable") and out):
            runtimes = [self._runtime_label(*kind.split(":", 1))]
            cited = line_of(app, "type", at)
        if runtimes:
            root = _source_root(app)
            where: tuple[Part, ...] = (" (", Code(root + "/"), ")") if root else ()
            out.insert(0, self._fact("env.special", text(*label, *where, ": ", *phrase_list(runtimes)), path,
                                     cited, f"runtime:{name}", env=_ENV, rank=40))
        return out

    def _runtime_label(self, kind: str, version: str = "") -> tuple[Part, ...]:
        """`PHP 8.3` for a runtime the catalog knows (its version as the catalog counts versions),
        else the type as written."""
        tech = self.catalog.techs.get(RUNTIME_TYPES.get(kind, kind))
        if tech is None or tech.category != "runtime":
            return (Code(f"{kind}:{version}" if version else kind),)
        return (tech.label(_major(tech, version)),)

    def _extensions(self, path: str, label: tuple[Part, ...], name: str, app: YDict) -> list[Fact]:
        """PHP extensions that are a monitoring tool's probe (Blackfire, New Relic, Tideways), from
        `runtime.extensions` or a composable stack's `php@8.3: {extensions: [...]}`: hints, as the
        tool watches the app only once its credentials, set outside the repository, are there (and
        a profiler's probe may only be used by hand), so no release signal is drawn from them."""
        out: list[Fact] = []
        for extension, line in _php_extensions(app):
            tech = self.catalog.by_php_extension(extension)
            if tech is None or tech.category != "monitoring":
                continue
            kind = tech.monitoring[0] if tech.monitoring else "application"
            out.append(self._fact(
                f"mon.{kind}", text(tech.name, ": PHP extension ", Code(extension), " of ", *label,
                                    " (its credentials are set outside the repository)"),
                path, line, f"extension:{name}:{extension}", Confidence.HINT, tech=tech.id))
        return out

    def _start(self, path: str, label: tuple[Part, ...], name: str, app: YDict) -> list[Fact]:
        """Migrations in the web start command: they run in every instance as it starts."""
        web = app.get("web")
        commands = web.get("commands") if isinstance(web, YDict) else None
        start = commands.get("start") if isinstance(commands, YDict) else None
        if not isinstance(start, str):
            return []
        found = [c for simple in split_commands(start) for c in classify(simple.text) if c.kind == "migrate"]
        if not found:
            return []
        return [self._fact(
            "deploy.migration.strategy",
            text(*label, ": its start command runs ", Code(one_line(found[0].command, 80)),
                 " before the app, in every instance as it starts"),
            path, line_of(commands, "start"), f"start:{name}", tech=found[0].tool, rank=40,
            attrs={"tool": found[0].tool})]

    def _workers(self, path: str, label: tuple[Part, ...], name: str, app: YDict,
                 root: str) -> list[tuple[Fact, list[_Command]]]:
        """Workers: copies of the app that run a command of their own (a queue consumer)."""
        workers = app.get("workers")
        out: list[tuple[Fact, list[_Command]]] = []
        for worker, spec in workers.items() if isinstance(workers, YDict) else ():
            commands = spec.get("commands") if isinstance(spec, YDict) else None
            start = commands.get("start") if isinstance(commands, YDict) else None
            if isinstance(start, str) and start.strip():
                out.append((self._fact("env.special", text(*label, " runs worker ", Code(str(worker)), ": ",
                                                           Code(_one_script(start))),
                                       path, line_of(commands, "start"), f"worker:{name}:{worker}", env=_ENV, rank=45),
                            _walk_text(start, root)))
        return out

    def _crons(self, path: str, label: tuple[Part, ...], name: str, app: YDict,
               root: str) -> list[tuple[Fact, list[_Command]]]:
        crons = app.get("crons")
        out: list[tuple[Fact, list[_Command]]] = []
        for cron, spec in crons.items() if isinstance(crons, YDict) else ():
            if not isinstance(spec, YDict) or not isinstance(spec.get("spec"), str):
                continue
            commands = spec.get("commands")
            command = commands.get("start") if isinstance(commands, YDict) else spec.get("cmd")
            if not isinstance(command, str) or not command.strip():
                continue
            out.append((self._fact(
                "env.special",
                text(*label, " runs cron ", Code(str(cron)), ": ", Code(_one_script(command)), " on ",
                     Code(spec["spec"])),
                path, line_of(spec, "spec", line_of(crons, cron)), f"cron:{name}:{cron}", env=_ENV, rank=45),
                _walk_text(command, root)))
        return out

    def _build(self, path: str, label: tuple[Part, ...], name: str, app: YDict,
               hook: _Hook) -> list[tuple[Fact, list[_Command]]]:
        """The build: a `build.flavor` other than `none` (the platform's own install step), then the
        build hook's commands."""
        build = app.get("build")
        flavor = build.get("flavor") if isinstance(build, YDict) else None
        parts: list[Part] = []
        if isinstance(flavor, str) and flavor not in ("none", ""):
            parts += ["the ", Code(flavor), " build flavor"]
        elif flavor is None and (default := DEFAULT_FLAVORS.get(_runtime_type(app))):
            parts += ["the ", Code(default), " build flavor (the runtime's default)"]
        if hook.commands:
            parts += [", then " if parts else "", "the build hook runs ", *hook.listed()]
        if not parts:
            return []
        line = hook.commands[0].line if hook.commands else line_of(build, "flavor", 1)
        return [(self._fact("ci.build", text(*label, " is built on each push to a branch with an active environment: ",
                                             *parts),
                            path, line, f"build:{name}", rank=40, order=(1, path, line)),
                 hook.commands)]

    def _deploy_hooks(self, file: SourceFile, label: tuple[Part, ...], name: str, hooks: YDict, root: str,
                      out: Extraction) -> list[tuple[Fact, list[_Command]]]:
        """Each deploy hook as a deployment step (returned with its commands), and its commands as
        migrations: those that migrate, here; those that call a script, once phase 2 has read it."""
        steps: list[tuple[Fact, list[_Command]]] = []
        for index, (name_of_hook, when) in enumerate(DEPLOY_HOOKS):
            hook = _hook(file, hooks, name_of_hook, root)
            if not hook.commands:
                continue
            line = line_of(hooks, name_of_hook)
            steps.append((self._fact(
                "deploy.steps", text(*label, ": the ", Code(name_of_hook), " hook runs ", *hook.listed(), " ", when),
                file.path, line, f"hook:{name}:{name_of_hook}", rank=20, order=(file.path, line, index)),
                hook.commands))
            where = text(*label, ": the ", Code(name_of_hook), " hook (", when, ")")
            for command in hook.commands:
                found = [c for c in classify(command.text) if c.kind == "migrate"]
                if found:
                    out.facts.append(self._fact(
                        "deploy.migration.strategy",
                        text(*where, " runs ", Code(one_line(command.text, 80)), *self._tool(found[0].tool)),
                        file.path, command.line, f"migrate:{name}:{name_of_hook}:{command.line}",
                        tech=found[0].tool, rank=20, attrs={"tool": found[0].tool}))
                elif command.scripts:  # a script of the repository may migrate: followed in phase 2
                    out.records.append(release_record(file.path, command.line, command.text, where, "hook",
                                                      command.scripts))
        return steps

    def _tool(self, tool: str) -> tuple[Part, ...]:
        """` (Doctrine Migrations)`: what migrates, which a wrapper (`symfony-deploy`) does not say."""
        tech = self.catalog.techs.get(tool)
        return (f" ({tech.name})",) if tech is not None else ()

    def _trigger(self, path: str, brand: str, line: int) -> Fact:
        """Every push to a branch with an active environment builds and deploys it; whether the
        repository's pushes reach the platform is set outside it."""
        return self._fact(
            "ci.deploy.automated",
            text(brand, " builds and deploys each push to a branch with an active environment, Production's "
                 "included, when this repository is the project's remote or integrated with it"),
            path, line, f"git:{brand}", Confidence.HINT, attrs={"trigger": "push"})

    # -- services and routes ---------------------------------------------------------------------

    def _services(self, path: str, brand: str, services: YDict) -> list[Fact]:
        out: list[Fact] = []
        for name, service in services.items():
            kind = service.get("type") if isinstance(service, YDict) else None
            if not isinstance(kind, str) or not kind.strip():
                continue
            engine, _, raw = kind.strip().partition(":")
            line = line_of(service, "type", line_of(services, name))
            said: tuple[Part, ...] = (f"{brand} service ", Code(str(name)))
            tech = self.catalog.by_platformsh_type(engine)
            if tech is None or tech.category not in DATA_STORE_CATEGORIES:
                out.append(self._fact("env.special", text(*said, ": ", Code(kind.strip())), path, line,
                                      f"service:{name}", env=_ENV, rank=50))
                continue
            version = _major(tech, raw)
            aside: tuple[Part, ...] = (" (every environment runs its own)",)
            # a type named for another engine than it runs (`mysql` is MariaDB): said with the type
            if engine in self.catalog.techs and self.catalog.techs[engine] is not tech:
                aside = (" (type ", Code(kind.strip()), f", which {brand} runs as {tech.name}; every environment "
                         "runs its own)")
            engine_label = tech.label(version) if version else tech.name
            attrs = {"version": version} if version else {}
            out.append(self._fact("env.database", text(engine_label, ": ", *said, *aside), path, line, f"db:{name}",
                                  env=_ENV, tech=tech.id, rank=30, attrs=attrs))
            # a staging environment, when the project has one, and the development (preview) environments
            # of other branches run their own copies: the files cannot say which the project has
            for env, which in (("staging", "a staging one included if the project has one"),
                               ("development", "the development (preview) ones of other branches included")):
                out.append(self._fact("env.database", text(engine_label, ": ", *said, ", which every environment "
                                                           "runs, ", which),
                                      path, line, f"db:{name}", Confidence.HINT, env=env, tech=tech.id, rank=60,
                                      attrs=attrs))
        return out

    def _routes(self, path: str, brand: str, routes: YDict) -> list[Fact]:
        """Routes written with their own domain are Production's URLs (other environments get
        generated host names). A route under `{default}` or `{all}` is served at domains set outside
        the repository: its root is a hint of where Production's URL is set."""
        out: list[Fact] = []
        for url, route in routes.items():
            if not isinstance(url, str) or not isinstance(route, YDict) or route.get("type") != "upstream":
                continue
            if not url.startswith(("https://", "http://")):
                continue
            upstream = str(route.get("upstream") or "").split(":", 1)[0]
            to: tuple[Part, ...] = (" to app ", Code(upstream)) if upstream else ()
            line = line_of(routes, url)
            if "{" not in url:
                out.append(self._fact("env.url", text(Code(url), f" ({brand} route", *to, ")"), path, line,
                                      f"url:{url}", env=_ENV, rank=15 if route.get("primary") is True else 25,
                                      attrs={"url": url}))
            elif placeholder := _PLACEHOLDER_ROOT.match(url):
                out.append(self._fact("env.url", text(Code(url), f" ({brand} route", *to, "): ", Code(placeholder[1]),
                                                      " is a domain set in the project, outside the repository"),
                                      path, line, f"url:{url}", Confidence.HINT, env=_ENV, rank=60))
        return out


def _project(path: str, doc: Any) -> _Project | None:
    """The apps, services and routes one file holds, by the file it is."""
    if path.startswith(".upsun/"):
        if not isinstance(doc, YDict):
            return None
        return _Project("Upsun", _apps(doc.get("applications")), _mapping(doc.get("services")),
                        _mapping(doc.get("routes")))
    if path == ".platform/services.yaml":
        return _Project("Platform.sh", [], _mapping(doc), None)
    if path == ".platform/routes.yaml":
        return _Project("Platform.sh", [], None, _mapping(doc))
    if path == ".platform/applications.yaml":
        return _Project("Platform.sh", _apps(doc), None, None)
    if isinstance(doc, YDict):  # .platform.app.yaml: one app
        return _Project("Platform.sh", [(str(doc.get("name") or "app"), doc, line_of(doc, "type", 1))], None, None)
    return None


def _apps(value: Any) -> list[tuple[str, YDict, int]]:
    """Apps from a list of configurations each naming itself, or a mapping of names to them."""
    if isinstance(value, list):
        return [(str(app.get("name") or f"#{index + 1}"), app, getattr(app, "line", 1))
                for index, app in enumerate(value) if isinstance(app, YDict)]
    if isinstance(value, YDict):
        return [(str(name), app, line_of(value, name)) for name, app in value.items() if isinstance(app, YDict)]
    return []


def _mapping(value: Any) -> YDict | None:
    return value if isinstance(value, YDict) else None


def _stack_entries(app: YDict) -> list[Any]:
    """A composable image's stack as written: a list, or the `runtimes` of a mapping."""
    stack = app.get("stack")
    if isinstance(stack, YDict):
        stack = stack.get("runtimes")
    return stack if isinstance(stack, list) else []


def _stack(app: YDict) -> list[str]:
    """A composable image's runtimes (`stack: ["php@8.3", {"nodejs@22": ...}]`)."""
    out: list[str] = []
    for entry in _stack_entries(app):
        named = entry if isinstance(entry, str) else next(iter(entry), None) if isinstance(entry, dict) else None
        if isinstance(named, str) and named.strip():
            out.append(named.strip())
    return out


def _php_extensions(app: YDict) -> list[tuple[str, int]]:
    """The PHP extensions an app enables, with their lines: `runtime.extensions` (names, or
    mappings with a `name`) and a composable stack's `php@X: {extensions: [...]}`."""
    lists: list[Any] = []
    runtime = app.get("runtime")
    if isinstance(runtime, YDict):
        lists.append(runtime.get("extensions"))
    for entry in _stack_entries(app):
        if isinstance(entry, YDict):
            lists += [value.get("extensions") for key, value in entry.items()
                      if str(key).startswith("php@") and isinstance(value, YDict)]
    out: list[tuple[str, int]] = []
    for extensions in lists:
        for index, extension in enumerate(extensions if isinstance(extensions, list) else []):
            named = extension.get("name") if isinstance(extension, YDict) else extension
            if isinstance(named, str):
                out.append((named.strip().lower(), line_of(extensions, index)))
    return out


def _major(tech: Tech, version: str) -> str | None:
    """A `type:` or stack version as the catalog counts versions (`10.6.18` is MariaDB 10.6), or
    None when none is written."""
    counted = tag_version(version, tech.version_scheme, tech.minor_below) if version else None
    return None if counted == "unpinned" else counted


def _runtime_type(app: YDict) -> str:
    """The runtime an app's `type` names (`php` of `php:8.3`), or ""."""
    kind = app.get("type")
    return kind.strip().split(":", 1)[0] if isinstance(kind, str) else ""


def _source_root(app: YDict) -> str:
    source = app.get("source")
    root = source.get("root") if isinstance(source, YDict) else None
    return root.strip().strip("/") if isinstance(root, str) else ""


@dataclass(frozen=True)
class _Command:
    """A command of a hook, cron or worker: its text, line, and the repository paths of the
    scripts it runs (from the folder it runs in)."""

    text: str
    line: int
    scripts: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Hook:
    """A hook's commands; `included` when the hook is a file (`!include`, type string)."""

    commands: list[_Command]
    included: str | None = None

    def listed(self) -> tuple[Part, ...]:
        """`a`, `b` and `c`; past four commands, the first four and how many more; an included
        file as itself."""
        if self.included is not None:
            return ("the script ", Code(self.included), " (", Code("!include"), ")")
        shown = list(dict.fromkeys(one_line(c.text, 80) for c in self.commands))  # cut alike: said once
        if len(shown) > _SHOWN_COMMANDS:
            return tuple(code_list(shown, _SHOWN_COMMANDS))
        return phrase_list([Code(command)] for command in shown)


def _app_root(path: str, app: YDict) -> str:
    """The app's folder in the repository, which its hooks start in and `$PLATFORM_APP_DIR` names:
    `.platform.app.yaml`'s own folder; for `.platform/applications.yaml` and `.upsun/`, the
    repository's top, moved by `source.root`."""
    base = near_folder(path) if PurePosixPath(path).name == ".platform.app.yaml" else ""
    return repo_path(base, _source_root(app))


def _hook(file: SourceFile, hooks: YDict, name: str, root: str) -> _Hook:
    """A hook's commands with their lines, without its shell options, messages and control flow;
    an `!include`d file (a path from the app's folder) as the one script it runs."""
    script = hooks.get(name)
    if isinstance(script, Tagged) and script.tag == "!include" and isinstance(script.value, dict):
        path = script.value.get("path")
        if isinstance(path, str) and path.strip() and script.value.get("type", "yaml") == "string":
            return _Hook([_Command(path.strip(), script.line, (repo_path(root, path.strip()),))], path.strip())
        return _Hook([])
    if not isinstance(script, str):
        return _Hook([])
    return _Hook(_walk(script_commands(file.text, line_of(hooks, name), script), root))


def _walk(commands: list[tuple[str, int]], root: str) -> list[_Command]:
    """The commands that say what a script does, each with the scripts it runs: from the folder
    it runs in, which `cd` moves (`cd web` then `bash ../scripts/deploy.sh`)."""
    out: list[_Command] = []
    folder = root
    for raw, line in commands:
        command = _LEADING_KEYWORD.sub("", raw.strip())
        words = command.split()
        if len(words) == 2 and words[0] == "cd":
            target = words[1].strip("'\"")
            if _APP_PREFIX.match(target):
                folder = _in_app(target, root)
            elif "$" not in target and not target.startswith(("/", "~")):
                folder = repo_path(folder, target)
        if command and not command.startswith("#") and not _NOISE.match(command):
            out.append(_Command(command, line, tuple(_scripts(command, folder, root))))
    return out


def _walk_text(command: str, root: str) -> list[_Command]:
    """A cron's or worker's command (no lines to cite inside it), walked as a hook's script is."""
    return _walk([(simple.text, 0) for simple in split_commands(command)], root)


def _scripts(command: str, folder: str, root: str) -> list[str]:
    """The script of the repository a command runs (`bash $PLATFORM_APP_DIR/orch/deploy.sh`,
    `php ./drush/setup.php`), by its repository path: a file with a script's extension. Not one
    under what the build installs (`vendor/`, `node_modules/`) or outside the app."""
    word = invoked(command).strip("'\"")
    if not _SCRIPT.search(word) or word.startswith(("~", "-", "vendor/", "node_modules/")):
        return []
    if _APP_PREFIX.match(word):
        return [_in_app(word, root)]
    if word.startswith(("/", "$")):
        return []
    return [repo_path(folder, word)]


def _in_app(path: str, root: str) -> str:
    """A path as the app names its own folder (`$PLATFORM_APP_DIR/x`, `/app/x`), in the repository."""
    return repo_path(root, _APP_PREFIX.sub("", path, count=1))


def _made(commands: list[_Command]) -> set[str]:
    """File names the build hook writes or names other than as a script it runs (`curl -o
    install.sh`, `chmod +x deploy.sh`): a later hook's call of one is not checked against the
    repository."""
    return {word.rpartition("/")[2].strip("'\"") for command in commands for word in command.text.split()[1:]
            if word.rpartition("/")[2] not in {script.rpartition("/")[2] for script in command.scripts}}


def _one_script(command: str) -> str:
    """A cron's or worker's command of several lines as one (`cd web; drush cron`), cut for quoting:
    lines end with `;`, but not a line that opens a block or continues (`then`, `do`, `&&`, `|`)."""
    joined = ""
    for part in (line.strip() for line in command.strip().splitlines()):
        if part:
            joined += (" " if not joined or _CONTINUED.search(joined) else "; ") + part
    return one_line(joined.strip(), 120)  # a cron's guard and wrapper come before what it does
