"""Kamal deployments (`config/deploy.yml`): the servers, URLs, databases and steps of each destination.

Kamal (Rails 8's default deployment tool) reads `config/deploy.yml` and, for `kamal deploy -d
<destination>`, merges `config/deploy.<destination>.yml` over it (a later key wins, a list is
replaced whole); `-c` picks another configuration file. So phase 1 keeps what each file sets,
with its line (`_kamal_config`), and phase 2 merges each base with each of its destinations and
states what that deployment runs, citing the file whose value won. A destination's name is its
environment (`staging`, `production`, or a block of its own such as `beta`); a bare `kamal
deploy` of `deploy.yml` is assumed to be Production, which is said.

What a deployment states: the URLs kamal-proxy answers at (`proxy.host`/`hosts`, with `https://`
only when kamal-proxy serves TLS; Kamal 1's Traefik `Host()` rules), accessories that run a data
store (that environment's database, reachable from the app at `<service>-<accessory>`) and
others, the variables of `env` (through the shared variable reader: names only for `env.secret`,
whose values live in `.kamal/secrets*` files, which are never read), the Docker log driver and rotation,
and the deploy itself: the image, the registry and each role's hosts. Kamal's own behaviour is
stated where the repository relies on it: `kamal rollback VERSION` boots an earlier version's
containers, which Kamal keeps on the hosts (5 by default, `retain_containers`), and kamal-proxy
sends traffic to a booted version only once its health check (`GET /up` by default) answers,
which gates a deploy rather than tells that a release went bad. Hooks in `.kamal/hooks/` are
deployment steps, and a hook that migrates is the migration strategy. A file that names no
`service` and `image` is no Kamal configuration; one whose servers are all placeholders (what
`rails new` writes) deploys nowhere and is a hint.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from infrascan.catalog import DATA_STORE_CATEGORIES, LOCAL_LOG_DRIVERS
from infrascan.commands import classify, quoted_deploys, split_commands
from infrascan.detector import Detector, Extraction, Record, ResolveContext, SourceFile
from infrascan.environments import env_from_name, normalise
from infrascan.envvars import Variable, VariableReader, is_example_host, is_placeholder_host, selected_environment
from infrascan.model import Code, Confidence, Fact, Part, code_list, phrase_list, text
from infrascan.source import near_folder

from . import _kamal_config as kc
from ._docker_logs import kept_logs, rotation_item

FILE = "kamal.file"
HOOK = "kamal.hook"
# The hooks of a deploy, in the order Kamal runs them, with when each runs (kamal-deploy.org, "hooks").
# They run where `kamal` runs, not on the servers.
HOOKS: tuple[tuple[str, str], ...] = (
    ("pre-connect", "before Kamal connects to the hosts"),
    ("pre-build", "before the image is built"),
    ("pre-deploy", "once the image is pushed, before the new version boots"),
    ("pre-app-boot", "before each role's new containers boot"),
    ("post-app-boot", "once each role's new containers booted"),
    ("post-deploy", "once the deploy finished"),
)
DEFAULT_RETAIN = 5  # old versions whose containers and images Kamal keeps (`retain_containers`)
DEFAULT_HEALTH_PATH = "/up"
_PRODUCTION = "production"
ASSUMED = "production assumed: deployed with no destination"
_DESTINATION_FLAG = re.compile(r"(?:^|\s)(?:-d|--destination)[\s=]+([\w-]+)")


@dataclass(frozen=True)
class _Deployment:
    """What one `kamal deploy` deploys: a configuration with or without a destination."""

    destination: str | None
    config: dict[str, Any]  # the merged settings, each [value, path, line]
    env: str
    assumed: bool  # Production assumed: a bare deploy of `deploy.yml`
    label: tuple[Part, ...]
    command: str
    program: str  # `bin/kamal` (the binstub) or `kamal`
    flag: str  # ` -c <file>` for a configuration other than deploy.yml, which every command needs
    where: tuple[Part, ...]  # ` (in `saas/`)`: the folder Kamal runs in, when not the top
    source: str  # the destination's file, or the base's for a bare deploy


@dataclass(frozen=True)
class _Configuration:
    base: Record
    deployments: list[_Deployment]  # every one, placeholders included


class KamalDetector(Detector):
    name = "kamal"
    version = "1"
    description = "Kamal deployments (config/deploy.yml)"
    patterns = ("**/config/deploy*.yml", "**/.kamal/hooks/*")
    looks_for = {
        "env.url": "kamal-proxy hosts (proxy.host, proxy.hosts) of Kamal destinations",
        "env.database": "Kamal accessories that run a data store",
        "env.special": "Kamal accessories that run no data store",
        "ci.deploy.manual": "Kamal configurations (config/deploy.yml)",
        "log.aggregation": "Docker log drivers of Kamal configurations",
        "log.retention": "Docker log rotation (max-file, max-size) of Kamal configurations",
        "deploy.steps": "Kamal destinations (image, registry, roles) and hooks in .kamal/hooks/",
        "deploy.rollback.perform": "Kamal configurations (`kamal rollback`, retain_containers)",
        "deploy.rollback.verify": "Kamal health checks (proxy.healthcheck.path, Kamal's default /up)",
        "deploy.migration.strategy": "migrations in Kamal hooks (.kamal/hooks/)",
    }
    # Hooks hold only steps and migrations; every other field is in the configuration files.
    looks_in = {
        **{field: ("**/config/deploy*.yml",) for field in looks_for if field not in ("deploy.steps",
                                                                                    "deploy.migration.strategy")},
        "deploy.migration.strategy": ("**/.kamal/hooks/*",),
    }

    def extract(self, file: SourceFile) -> Extraction:
        """A configuration file: what it sets, with lines, for phase 2 to merge. A hook: the
        migrations it runs."""
        out = Extraction()
        if "/.kamal/hooks/" in f"/{file.path}":
            out.records.append(Record(HOOK, file.path, 1, {"migrations": _migrations(file.text)}))
            return out
        rendered = SourceFile(file.path, kc.without_erb(file.text)) if kc.ERB in file.text else file
        doc = self.yaml_mapping(rendered, out)
        if doc is not None:
            out.records.append(Record(FILE, file.path, 1, kc.read(doc, kc.has_erb_control(file.text))))
        return out

    # -- phase 2 ---------------------------------------------------------------------------------

    def resolve(self, ctx: ResolveContext) -> list[Fact]:
        out: list[Fact] = []
        hooks = {record.path: record for record in ctx.records(HOOK)}
        for folder, configurations in _plan(ctx):
            for configuration in configurations:
                out += self._configuration(configuration)
            last = max((c.base for c in configurations), key=lambda r: r.path)
            out += self._hooks(folder, last, configurations[0].deployments[0].where, hooks)
        return out

    def conclude(self, ctx: ResolveContext, facts: Sequence[Fact]) -> list[Fact]:
        """How each deployment no CI job of the repository runs is deployed: by hand (a deployment a
        CI job runs is said by that job's detector). A CI statement quotes its `kamal deploy`, whose
        destination (`-d staging`) says which deployment it runs."""
        plan = _plan(ctx)  # first: classifying every CI statement is the costly part
        if not plan:
            return []
        ci = quoted_deploys(facts, "kamal", self.name)
        out: list[Fact] = []
        for _, configurations in plan:
            for configuration in configurations:
                by_hand = [d for d in _real(configuration.deployments) if not any(_runs(d, said) for said in ci)]
                if by_hand:
                    base = configuration.base
                    unrun = "no CI job of the repository runs Kamal" if not ci else "no CI job of the repository " \
                        "runs " + ("it" if len(by_hand) == 1 else "them")
                    out.append(self._fact(
                        "ci.deploy.manual",
                        text("Kamal configuration ", Code(base.path), ": ", *code_list([d.command for d in by_hand]),
                             *by_hand[0].where, ", run by hand from a machine with Kamal and its secrets files (",
                             Code(".kamal/secrets*"), f"; {unrun})"),
                        by_hand[0].config["service"], f"manual:{base.path}", Confidence.HINT))
        return out

    def _configuration(self, configuration: _Configuration) -> list[Fact]:
        real = _real(configuration.deployments)
        if not real:
            return [self._unset(configuration)]
        out: list[Fact] = []
        for deployment in real:
            out += self._deployment(deployment)
        out += self._shared_variables(configuration.base, real)
        out += self._logging(configuration.base, real)
        out += self._rollback(configuration.base, real)
        out += self._health(real)
        return out

    def _unset(self, configuration: _Configuration) -> Fact:
        """A configuration whose servers are all placeholders: a lead, not a deployment."""
        lists = [hosts for d in configuration.deployments for hosts in kc.placeholders(d.config)]
        names = sorted({host for hosts in lists for host in hosts[0]})
        return self._fact("ci.deploy.manual",
                          text("Kamal configuration ", Code(configuration.base.path), " names only placeholder "
                               "servers (", *code_list(names), "), so it deploys nowhere until they are set"),
                          lists[0], f"manual:{configuration.base.path}", Confidence.HINT, also=tuple(lists[1:]))

    def _fact(self, field_id: str, parts: tuple[Part, ...], at: kc.Setting, item: str,
              confidence: Confidence = Confidence.DECLARED, also: tuple[kc.Setting, ...] = (), **kw: Any) -> Fact:
        """A fact cited where `at` was set, and where each setting of `also` was."""
        cited = tuple(dict.fromkeys((s[1], s[2]) for s in (at, *also)))
        evidence = tuple(e for path, line in cited for e in self.evidence(path, line))
        order = kw.pop("order", (at[1], at[2]))
        return Fact(field_id, parts, confidence, evidence, item=f"kamal:{item}", order=order, **kw)

    def _deployment(self, deployment: _Deployment) -> list[Fact]:
        config, env, label = deployment.config, deployment.env, deployment.label
        confidence = Confidence.INFERRED if deployment.assumed else Confidence.DECLARED
        aside: tuple[Part, ...] = (f"; {ASSUMED}",) if deployment.assumed else ()
        out: list[Fact] = []
        out += self._urls(config, env, label, aside, confidence)
        stores = self._accessories(config, env, label, aside, confidence)
        out += stores
        # `POSTGRES_PASSWORD` beside a PostgreSQL accessory configures that accessory: its line says it
        running = {f.tech for f in stores if f.field == "env.database"}
        out += [f for f in self._variables(config, env, label, aside, confidence)
                if not (f.field == "env.database" and f.tech in running)]
        step = self._deploy_step(deployment)
        if step is not None:
            out.append(step)
        return out

    def _urls(self, config: dict[str, Any], env: str, label: tuple[Part, ...], aside: tuple[Part, ...],
              confidence: Confidence) -> list[Fact]:
        """The host names kamal-proxy routes to the app, each role's own settings over the top-level
        ones (Kamal 1: Traefik's `Host()` rules). When kamal-proxy serves TLS the URL is `https://`;
        otherwise whether HTTPS ends before it (a load balancer, a CDN) is not said here, so the URL
        is the host alone."""
        hosts: list[tuple[kc.Setting, kc.Setting | None, kc.Setting | None, str]] = []
        for proxy in kc.proxy_settings(config):
            ssl = proxy.get("ssl")
            hosts += [(host, ssl if ssl and ssl[0] is True else None, proxy.get("path"), "kamal-proxy host")
                      for host in proxy.get("hosts", [])]
        hosts += [(host, None, None, "Traefik rule") for host in config["labels"]]
        out: list[Fact] = []
        seen: set[str] = set()
        for setting, ssl, prefix, what in hosts:
            host = setting[0]
            path = prefix[0] if prefix else ""
            if f"{host}{path}" in seen or kc.ERB in host or is_example_host(host) or is_placeholder_host(host):
                continue
            seen.add(f"{host}{path}")
            shown = (f"https://{host}" if ssl else host) + path
            tls: tuple[Part, ...] = () if ssl or what != "kamal-proxy host" else (", without kamal-proxy's TLS",)
            # a host whose scheme is not known here ranks after one served over HTTPS
            out.append(self._fact("env.url", text(Code(shown), f" ({what} of ", *label, *tls, *aside, ")"), setting,
                                  f"url:{host}{path}", confidence, also=tuple(s for s in (ssl, prefix) if s), env=env,
                                  rank=20 if ssl else 25, attrs={"url": shown}))
        return out

    def _accessories(self, config: dict[str, Any], env: str, label: tuple[Part, ...], aside: tuple[Part, ...],
                     confidence: Confidence) -> list[Fact]:
        """Accessories: a data store is the environment's database (the app reaches it at
        `<service>-<accessory>` on Kamal's network); another is a service said as it is."""
        out: list[Fact] = []
        service = config["service"][0] if config.get("service") else ""
        for name, accessory in sorted(config["accessories"].items()):
            image = accessory["image"]
            if kc.ERB in image[0]:
                continue
            found = self.catalog.by_image(image[0])
            if found is not None and found[0].category in DATA_STORE_CATEGORIES:
                tech, ref = found
                version = tech.version_of(ref)
                attrs: dict[str, Any] = {"hosts": [f"{service}-{name}"] if service else []}
                if version:
                    attrs["version"] = version
                out.append(self._fact("env.database", text(tech.label(version), ": ", Code(image[0]), " (", *label,
                                                           " accessory ", Code(name), *aside, ")"),
                                      image, f"db:{name}", confidence, env=env, tech=tech.id, rank=30, attrs=attrs))
            else:
                out.append(self._fact("env.special", text(*label, " accessory ", Code(name), ": ", Code(image[0]),
                                                          *((f" ({ASSUMED})",) if aside else ())),
                                      image, f"accessory:{name}", confidence, env=env, rank=50))
        return out

    def _variables(self, config: dict[str, Any], env: str, label: tuple[Part, ...], aside: tuple[Part, ...],
                   confidence: Confidence) -> list[Fact]:
        """`env.clear` (and per-tag values) with their values, `env.secret` by name: each file's own
        through the shared reader, as the environment's configuration (its database, URL, settings);
        what they say of the whole project is said once per file (`_shared_variables`)."""
        out: list[Fact] = []
        for path, variables in _variables_by_file([config]).items():
            reader = VariableReader(path=path, detector=self.name, env=env, confidence=confidence,
                                    where=("in the ", Code("env"), " of ", *label, *aside), catalog=self.catalog)
            out += [f for f in reader.facts(variables) if f.field.startswith("env.")]
        return out

    def _shared_variables(self, base: Record, deployments: list[_Deployment]) -> list[Fact]:
        """What the deployments' variables say of the project (monitoring, logs, services), once per
        file that sets them: the base's for every deployment, a destination file's for its own."""
        labels = {d.source: d.label for d in deployments if d.destination}
        out: list[Fact] = []
        for path, variables in _variables_by_file([d.config for d in deployments]).items():
            label = labels.get(path) if path != base.path else None
            where = ("in the ", Code("env"), " of ", *(label or ("Kamal configuration ", Code(base.path))))
            reader = VariableReader(path=path, detector=self.name, env=None, confidence=Confidence.DECLARED,
                                    where=where, catalog=self.catalog)
            out += [f for f in reader.facts(variables) if not f.field.startswith("env.")]
        return out

    def _logging(self, base: Record, deployments: list[_Deployment]) -> list[Fact]:
        """Where the containers' logs go (a driver that ships them) and how long the hosts keep them
        (json-file rotation): once per setting, for the configuration when the base sets it, for a
        destination when its own file does."""
        out: dict[str, Fact] = {}
        for deployment in deployments:
            logging = deployment.config["logging"]
            driver, size, files = logging.get("driver"), logging.get("max-size"), logging.get("max-file")
            driver, size, files = (s if s is None or kc.ERB not in s[0] else None for s in (driver, size, files))
            if driver is not None and driver[0] not in LOCAL_LOG_DRIVERS:
                group = logging.get("awslogs-group")
                to = (" to group ", Code(group[0])) if group and kc.ERB not in group[0] else ()
                shipped = self.catalog.by_log_driver(driver[0])
                parts = text(*((f"{shipped.name}: ",) if shipped else ()), "Docker ", Code(driver[0]), " log driver",
                             *to, *_whose(base, deployment, driver))
                out.setdefault(f"driver:{driver[1]}:{driver[2]}", self._fact(
                    "log.aggregation", parts, driver, f"driver:{driver[0]}", also=(group,) if to and group else (),
                    tech=shipped.id if shipped else None, rank=40))
            kept = kept_logs(driver[0] if driver else None, size[0] if size else None, files[0] if files else None)
            if kept is not None and size is not None:  # kept_logs asks for a size
                parts = text("Docker keeps ", *kept, " per container on the hosts", *_whose(base, deployment, size))
                out.setdefault(f"rotation:{size[1]}:{size[2]}", self._fact(
                    "log.retention", parts, size, rotation_item(kept),
                    also=(files,) if files else (), rank=40))
        return list(out.values())

    def _deploy_step(self, deployment: _Deployment) -> Fact | None:
        """`kamal deploy [-c x] [-d y]`: the image built and pushed, and the roles it boots on."""
        config = deployment.config
        image = config["image"]
        roles = [(name, role) for name, role in config["servers"].items() if role["hosts"][0]]
        if not roles:
            return None  # a destination that sets no hosts deploys nowhere this file says
        registry = config.get("registry")
        pushed: tuple[Part, ...] = (" to Docker Hub",)
        if registry is not None:
            pushed = (" to a registry the file computes with ERB",) if kc.ERB in registry[0] else \
                (" to the registry ", Code(registry[0]))
        proxied = kc.proxied(config)
        on = phrase_list([_role_said(name, role, name in proxied) for name, role in roles])
        hosts = {host for _, role in roles for host in role["hosts"][0]}
        shared = () if any(role.get("computed") for _, role in roles) else \
            (f"; {len(hosts)} host" + ("" if len(hosts) == 1 else "s") + " in all",) \
            if len(hosts) < sum(len(role["hosts"][0]) for _, role in roles) else ()
        built: tuple[Part, ...] = ("an image the file computes with ERB",) if kc.ERB in image[0] else \
            ("the image ", Code(image[0]))
        parts = text(Code(deployment.command), *deployment.where, ": Kamal builds ", *built,
                     " and pushes it", *pushed, " (unless run with ", Code("--skip-push"), "), then boots it on ",
                     *on, *shared, *((f" ({ASSUMED})",) if deployment.assumed else ()))
        also = tuple(s for s in (registry, *(role["hosts"] for _, role in roles), *(role["cmd"] for _, role in roles))
                     if s is not None)
        return self._fact("deploy.steps", parts, image, f"deploy:{deployment.command}",
                          Confidence.INFERRED if deployment.assumed else Confidence.DECLARED, also=also, rank=30)

    def _rollback(self, base: Record, deployments: list[_Deployment]) -> list[Fact]:
        """`kamal rollback`: with `-d` whenever no bare deploy exists (a destination is required, or
        the base names no servers)."""
        flag = deployments[0].flag
        named = any(d.destination for d in deployments)
        destination: tuple[Part, ...] = ()
        if named:
            destination = (" (", Code("-d DESTINATION"), " for a destination)") if any(
                d.destination is None for d in deployments) else ()
        command = f"{deployments[0].program} rollback VERSION{flag}" + (
            "" if destination or not named else " -d DESTINATION")
        retained: dict[tuple[str, int], tuple[kc.Setting, list[str]]] = {}
        for d in deployments:
            setting = d.config.get("retain_containers")
            if setting and kc.ERB not in setting[0]:
                retained.setdefault((setting[1], setting[2]), (setting, []))[1].append(d.destination or "")
        kept: tuple[Part, ...] = (f"the last {DEFAULT_RETAIN} by default",)
        if retained:
            kept = (*kept, "; ", Code("retain_containers"), " sets ", *phrase_list(
                [setting[0], *((" for ", *code_list(names)) if setting[1] != base.path else ())]
                for setting, names in retained.values()))
        return [self._fact("deploy.rollback.perform",
                           text(Code(command), *destination, *deployments[0].where,
                                ": Kamal boots an earlier version's containers again, which it keeps on the hosts (",
                                *kept, ")"),
                           deployments[0].config["service"], f"rollback:{base.path}", Confidence.INFERRED,
                           also=tuple(setting for setting, _ in retained.values()))]

    def _health(self, deployments: list[_Deployment]) -> list[Fact]:
        """The check a booted version passes before it takes traffic: kamal-proxy's (Kamal 2) or
        the container's (Kamal 1), on `/up` unless the configuration sets a path. It gates the boot
        (a failing check stops the deploy, the old version serving on), so it is no sign that a
        release went bad (`boot_gate`)."""
        configs = [d.config for d in deployments if d.config["traefik"] or kc.proxied(d.config)]
        out: list[Fact] = []
        for path in sorted({_health_path(config)[0] for config in configs}):
            settings = [s for config in configs if (s := _health_path(config))[0] == path and s[1]]
            gate = "Kamal" if all(config["traefik"] for config in configs) else "kamal-proxy"
            said = text(gate, " sends traffic to a booted version (a deploy's or a rollback's) only once ",
                        Code(f"GET {path}"), " answers 200",
                        *((" (Kamal's default health check path)",) if not settings else ()))
            at = settings[0] if settings else deployments[0].config["service"]
            out.append(self._fact("deploy.rollback.verify", said, at, f"health:{path}",
                                  Confidence.DECLARED if settings else Confidence.INFERRED,
                                  also=tuple(settings[1:]), attrs={"boot_gate": True}))
        return out

    def _hooks(self, folder: str, base: Record, where: tuple[Part, ...], hooks: dict[str, Record]) -> list[Fact]:
        """Hooks in `.kamal/hooks/` of the folder Kamal runs in (the configuration's parent), in
        the order a deploy runs them, after the deploys (a name orders after every line number);
        `.sample` files are Kamal's examples, and a `hooks_path` set elsewhere is not read."""
        if base.data["hooks_path"] is not None:
            return []
        root = str(PurePosixPath(folder).parent) if folder else ""
        directory = ".kamal/hooks" if root in ("", ".") else f"{root}/.kamal/hooks"
        out: list[Fact] = []
        for position, (hook, when) in enumerate(HOOKS):
            record = hooks.get(f"{directory}/{hook}")
            if record is None:
                continue
            at = [hook, record.path, 1]
            out.append(self._fact("deploy.steps", text("Kamal hook ", Code(hook), ": runs ", Code(record.path), " ",
                                                       when, " (where ", Code("kamal"), " runs", *where, ")"),
                                  at, f"hook:{record.path}", rank=40, order=(base.path, "hooks", position)))
            # `kamal rollback` runs the pre-deploy hook too (Kamal's cli/main.rb)
            also: tuple[Part, ...] = (" and ", Code("kamal rollback")) if hook == "pre-deploy" else ()
            for command, line, tool in record.data["migrations"]:
                out.append(self._fact("deploy.migration.strategy",
                                      text("Kamal hook ", Code(hook), " runs ", Code(command), " ", when,
                                           ", on every deploy", *also),
                                      [command, record.path, line], f"migrate:{record.path}:{line}", tech=tool or None,
                                      rank=30))
        return out


def _plan(ctx: ResolveContext) -> list[tuple[str, list[_Configuration]]]:
    """Each folder of configuration files with its configurations and their deployments."""
    folders: dict[str, dict[str, Record]] = defaultdict(dict)
    for record in ctx.records(FILE):
        folders[near_folder(record.path)][PurePosixPath(record.path).name[: -len(".yml")]] = record
    out: list[tuple[str, list[_Configuration]]] = []
    listed = set(ctx.files)
    for folder, records in sorted(folders.items()):
        found = [_configuration(folder, stem, base, destinations, listed)
                 for stem, (base, destinations) in sorted(kc.configurations(records).items())]
        found = [configuration for configuration in found if configuration.deployments]
        if found:
            out.append((folder, found))
    return out


def _configuration(folder: str, stem: str, base: Record, destinations: dict[str, Record],
                   listed: set[str]) -> _Configuration:
    """One configuration file's deployments: the base alone (a bare `kamal deploy`), each destination.
    Commands are written as the team runs them: through the `bin/kamal` binstub when there is one
    (serveme's loads patches Kamal needs for one of its roles)."""
    root = str(PurePosixPath(folder).parent) if folder else ""
    nested = root not in ("", ".")
    relative = base.path[len(root) + 1:] if nested else base.path
    program = "bin/kamal" if (f"{root}/bin/kamal" if nested else "bin/kamal") in listed else "kamal"
    flag = "" if stem == "deploy" else f" -c {relative}"
    where: tuple[Part, ...] = (" (in ", Code(f"{root}/"), ")") if nested else ()
    # a configuration file of its own (`deploy.review.yml`) may be named for its environment;
    # `deploy.yml` is not, and its bare deploy is assumed to be Production
    named_env = env_from_name(stem.removeprefix("deploy")) if stem != "deploy" else None
    own: tuple[Part, ...] = ("Kamal configuration ", Code(relative))
    deployments: list[_Deployment] = []
    alone = kc.merged([base])
    # A bare `kamal deploy` deploys the base alone: the only deployment when there is no destination;
    # beside destinations, one when the base names servers of its own, Kamal does not require a
    # destination, and none of them is Production (which the base is assumed to be).
    if kc.is_app(alone) and (not destinations or (
            any(role["hosts"][0] for role in alone["servers"].values()) and not base.data["require_destination"]
            and _PRODUCTION not in {_environment(name, None) for name in destinations})):
        deployments.append(_Deployment(None, alone, named_env or _PRODUCTION, named_env is None, own,
                                       f"{program} deploy{flag}", program, flag, where, base.path))
    for name, record in sorted(destinations.items()):
        config = kc.merged([base, record])
        if not kc.is_app(config):
            continue
        label = ("Kamal destination ", Code(name), *((" of ", Code(relative)) if stem != "deploy" else ()))
        deployments.append(_Deployment(name, config, _environment(name, config), False, label,
                                       f"{program} deploy{flag} -d {name}", program, flag, where, record.path))
    return _Configuration(base, deployments)


def _runs(deployment: _Deployment, command: str) -> bool:
    """Whether a quoted `kamal deploy` command deploys this deployment: the same destination (`-d
    staging`, `--destination=staging`), or none for a bare deploy."""
    named = _DESTINATION_FLAG.search(command)
    return (named[1] if named else None) == deployment.destination


def _variables_by_file(configs: list[dict[str, Any]]) -> dict[str, list[Variable]]:
    """The variables of merged configurations, by the file that set each (each once)."""
    found: dict[str, dict[str, Variable]] = defaultdict(dict)
    for config in configs:
        for name, (value, path, line) in config["env"].items():
            found[path].setdefault(name, Variable(name, value, line))
    return {path: [variables[name] for name in sorted(variables)] for path, variables in sorted(found.items())}


def _real(deployments: list[_Deployment]) -> list[_Deployment]:
    return [d for d in deployments if not kc.placeholders(d.config)]


def _environment(destination: str, config: dict[str, Any] | None) -> str:
    """A destination's environment: the tier its name says, else the tier its environment selector
    (`RAILS_ENV: production`) names, else the name itself (a block of its own: serveme's regions)."""
    named = env_from_name(destination)
    if named:
        return normalise(named)
    for name, (value, _, _) in sorted((config or {}).get("env", {}).items()):
        if tier := selected_environment(name, value):
            return tier
    return normalise(destination)


def _whose(base: Record, deployment: _Deployment, setting: kc.Setting) -> tuple[Part, ...]:
    """` of <the configuration>` for a setting of the base file, which all its deployments share;
    ` of <destination>` for a destination's own."""
    if setting[1] == base.path:
        return (" (Kamal configuration ", Code(base.path), ")")
    return (" (", *deployment.label, ")")


def _role_said(name: str, role: dict[str, Any], proxied: bool) -> tuple[Part, ...]:
    """`role web (2 hosts, running bin/jobs, behind kamal-proxy)`. Hosts an ERB loop may write
    (an ERB host in a file with control tags) are not counted."""
    count = len(role["hosts"][0])
    hosts = f"{count} host" + ("" if count == 1 else "s")
    if role.get("computed"):
        hosts = "hosts the file computes with ERB"
    cmd = role.get("cmd")
    runs: tuple[Part, ...] = (", running ", Code(cmd[0])) if cmd and kc.ERB not in cmd[0] else ()
    return ("role ", Code(name), f" ({hosts}", *runs, *((", behind kamal-proxy",) if proxied else ()), ")")


def _health_path(config: dict[str, Any]) -> list[Any]:
    """[path, path of the file, line] of the health check, or [default, None, 0] when none is set."""
    setting: kc.Setting | None = config["proxy"].get("health") or config.get("health")
    if setting is None or kc.ERB in setting[0]:
        return [DEFAULT_HEALTH_PATH, None, 0]
    return setting


def _migrations(source: str) -> list[list[Any]]:
    """The commands of a hook script that migrate a database, with their lines and tools."""
    out: list[list[Any]] = []
    for command in split_commands(source):
        found = next((c for c in classify(command.text) if c.kind == "migrate"), None)
        if found is not None:
            out.append([command.text.removeprefix("exec ").strip(), command.offset + 1, found.tool or ""])
    return out
