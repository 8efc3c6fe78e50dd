"""Kamal deployments (`config/deploy.yml`): the servers, URLs, databases and steps of each destination.

Kamal (Rails 8's default deployment tool) reads `config/deploy.yml` and, for `kamal deploy -d
<destination>`, merges `config/deploy.<destination>.yml` over it (a later key wins, a list is
replaced whole). So phase 1 keeps what each file sets, with its line, and phase 2 merges each
folder's base with each of its destinations and states what that deployment runs, citing the
file whose value won. A destination's name is its environment (`staging`, `production`, or a
block of its own such as `beta`); a base file with no destination beside it is deployed by a bare
`kamal deploy`, and its environment is then assumed to be Production, which is said.

What a deployment states: the URLs kamal-proxy answers at (`proxy.host`/`hosts`, over HTTPS when
`proxy.ssl` is set; Kamal 1's Traefik `Host()` rules), accessories that run a data store (the
database of that environment, reachable from the app at `<service>-<accessory>`) and others, the
variables of `env` (through the shared variable reader: names only for `env.secret`, whose
values live in `.kamal/secrets`), and the deploy itself: the image, the registry and each role's
host count. Kamal's own behaviour is stated where the repository relies on it: `kamal rollback
<version>` boots an earlier version's containers, which Kamal keeps on the hosts (5 by default,
`retain_containers`), and kamal-proxy sends traffic to a booted version only once its health
check (`GET /up` by default) answers. Hooks under `.kamal/hooks/` are deployment steps, found in
the listing. A file that does not name a `service` and an `image` is no Kamal configuration.

ERB is evaluated by Kamal before the YAML is read: a line holding only an ERB tag is blanked
(keeping line numbers), and a value holding one is not known here.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from infrascan.catalog import DATA_STORE_CATEGORIES
from infrascan.detector import Detector, Extraction, Record, ResolveContext, SourceFile
from infrascan.environments import env_from_name, normalise
from infrascan.envvars import Variable, VariableReader, is_example_host, is_placeholder_host
from infrascan.model import Code, Confidence, Fact, Part, code_list, phrase_list, text
from infrascan.source import near_folder
from infrascan.yamlload import YDict, line_of

from ._devenv import scalar

FILE = "kamal.file"
BASE = "deploy.yml"
_DESTINATION_NAME = re.compile(r"^[\w-]+$")
# An ERB tag: Kamal renders it before YAML reads the file. Control tags (`<% if x %>`, a block of
# Ruby over many lines) render to nothing; an output tag (`<%= ENV["HOST"] %>`) to a value not known here.
_ERB_TAG = re.compile(r"<%(=?)(.*?)%>", re.S)
_ERB = "<%"
# Kamal 1's routing: a Traefik router rule label with the host names it matches.
_TRAEFIK_RULE = re.compile(r"^traefik\.http\.routers\.[\w-]+\.rule$")
_HOST_RULE = re.compile(r"Host\(\s*`([^`]+)`")
# The hooks of a deploy, in the order Kamal runs them, with when each runs (kamal-deploy.org, "hooks").
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
# The server `rails new` writes into config/deploy.yml: a file still naming only it deploys nowhere yet.
GENERATED_HOSTS = frozenset({"192.168.0.1"})
_PRODUCTION = "production"
ASSUMED = "production assumed: deployed with no destination"

Setting = list[Any]  # [value, path, line]: a value and where it was set


class KamalDetector(Detector):
    name = "kamal"
    version = "1"
    description = "Kamal deployments (config/deploy.yml)"
    patterns = ("**/config/deploy*.yml",)
    looks_for = {
        "env.url": "kamal-proxy hosts (proxy.host, proxy.hosts) of Kamal destinations",
        "env.database": "Kamal accessories that run a data store",
        "env.special": "Kamal accessories that run no data store",
        "ci.deploy.manual": "Kamal configurations (config/deploy.yml)",
        "deploy.steps": "Kamal destinations (image, registry, roles) and hooks in .kamal/hooks/",
        "deploy.rollback.perform": "Kamal configurations (`kamal rollback`, retain_containers)",
        "deploy.rollback.verify": "Kamal health checks (proxy.healthcheck.path, Kamal's default /up)",
    }

    def extract(self, file: SourceFile) -> Extraction:
        """What the file sets, with lines, for phase 2 to merge with its base or its destinations."""
        out = Extraction()
        rendered = SourceFile(file.path, _without_erb(file.text)) if _ERB in file.text else file
        doc = self.yaml_mapping(rendered, out)
        if doc is None:
            return out
        data: dict[str, Any] = {key: _line_setting(doc, key) for key in
                                ("service", "image", "retain_containers", "hooks_path")}
        data["registry"] = _line_setting(doc.get("registry"), "server") if isinstance(doc.get("registry"), YDict) \
            else None
        data["servers"] = _roles(doc.get("servers"))
        data["proxy"] = _proxy(doc.get("proxy"))
        data["traefik"] = "traefik" in doc or "healthcheck" in doc  # Kamal 1
        data["require_destination"] = doc.get("require_destination") is True
        health = doc.get("healthcheck")
        data["health"] = _line_setting(health, "path") if isinstance(health, YDict) else None
        data["labels"] = _traefik_hosts(doc.get("labels"))
        data["env"] = _env(doc.get("env"))
        data["accessories"] = _accessories(doc.get("accessories"))
        out.records.append(Record(FILE, file.path, 1, data))
        return out

    # -- phase 2 ---------------------------------------------------------------------------------

    def resolve(self, ctx: ResolveContext) -> list[Fact]:
        folders: dict[str, dict[str, Record]] = defaultdict(dict)
        for record in ctx.records(FILE):
            folders[near_folder(record.path)][PurePosixPath(record.path).name[: -len(".yml")]] = record
        listed = set(ctx.files)
        out: list[Fact] = []
        for folder, records in sorted(folders.items()):
            configurations = _configurations(records)
            for stem, (base, destinations) in sorted(configurations.items()):
                out += self._configuration(folder, stem, base, destinations)
            if configurations:
                last = max((base for base, _ in configurations.values()), key=lambda r: r.path)
                out += self._hooks(folder, last, listed)
        return out

    def _configuration(self, folder: str, stem: str, base: Record, destinations: dict[str, Record]) -> list[Fact]:
        """One configuration file's deployments: the base alone (a bare `kamal deploy`), each destination."""
        root = str(PurePosixPath(folder).parent) if folder else ""
        relative = base.path[len(root) + 1:] if root not in ("", ".") else base.path
        flag = "" if stem == "deploy" else f" -c {relative}"
        command = f"kamal deploy{flag}"
        # a configuration file of its own (`deploy.review.yml`, `deploy-frontend.yml`) may be named
        # for its environment; `deploy.yml` is not, and its bare deploy is assumed to be Production
        named_env = env_from_name(stem.removeprefix("deploy")) if stem != "deploy" else None
        own: tuple[Part, ...] = ("Kamal",) if stem == "deploy" else ("Kamal configuration ", Code(relative))
        deployments: list[_Deployment] = []
        alone = _merged([base])
        # A bare `kamal deploy` deploys the base alone: the only deployment when there is no
        # destination; beside destinations, one when the base names servers of its own, Kamal does
        # not require a destination, and none of them is Production (which the base is assumed to be).
        if not destinations or (any(role["hosts"][0] for role in alone["servers"].values())
                                and not base.data["require_destination"]
                                and _PRODUCTION not in {_environment(name) for name in destinations}):
            deployments.append(_Deployment(None, alone, named_env or _PRODUCTION, named_env is None, own, command,
                                           flag))
        for name, record in sorted(destinations.items()):
            label = ("Kamal destination ", Code(name), *((" of ", Code(relative)) if stem != "deploy" else ()))
            deployments.append(_Deployment(name, _merged([base, record]), _environment(name), False, label,
                                           f"{command} -d {name}", flag))
        # A configuration as `rails new` wrote it, whose only server is the generator's placeholder,
        # deploys nowhere: said as that, with no deployment made of it.
        real = [deployment for deployment in deployments if not _placeholders(deployment.config)]
        if not real:
            return [self._unset(base, deployments)]
        out: list[Fact] = []
        for deployment in real:
            out += self._deployment(deployment)
        out += self._operations(base, real)
        return out

    def _unset(self, base: Record, deployments: list[_Deployment]) -> Fact:
        """A configuration whose servers are all placeholders: a lead, not a deployment."""
        service = [base.data["service"][0], base.path, base.data["service"][1]]
        names = sorted({host for deployment in deployments for host in _placeholders(deployment.config)})
        return self._fact("ci.deploy.manual",
                          text("Kamal configuration ", Code(base.path), " names only placeholder servers (",
                               *code_list(names), "), so it deploys nowhere until they are set"),
                          service, f"manual:{base.path}", Confidence.HINT)

    def _deployment(self, deployment: _Deployment) -> list[Fact]:
        config, env, label = deployment.config, deployment.env, deployment.label
        confidence = Confidence.INFERRED if deployment.assumed else Confidence.DECLARED
        aside: tuple[Part, ...] = (f"; {ASSUMED}",) if deployment.assumed else ()
        out: list[Fact] = []
        out += self._urls(config, env, label, aside, confidence)
        out += self._accessories(config, env, label, aside, confidence)
        out += self._variables(config, env, label, aside, confidence)
        step = self._deploy_step(deployment)
        if step is not None:
            out.append(step)
        return out

    def _fact(self, field_id: str, parts: tuple[Part, ...], at: Setting, item: str,
              confidence: Confidence = Confidence.DECLARED, also: tuple[Setting, ...] = (), **kw: Any) -> Fact:
        """A fact cited where `at` was set, and where each setting of `also` was."""
        cited = tuple(dict.fromkeys((at[1], at[2]) for at in (at, *also)))
        evidence = tuple(e for path, line in cited for e in self.evidence(path, line))
        order = kw.pop("order", (at[1], at[2]))
        return Fact(field_id, parts, confidence, evidence, item=f"kamal:{item}", order=order, **kw)

    def _urls(self, config: dict[str, Any], env: str, label: tuple[Part, ...], aside: tuple[Part, ...],
              confidence: Confidence) -> list[Fact]:
        """The host names kamal-proxy routes to the app (Kamal 1: Traefik's `Host()` rules). With
        `proxy.ssl`, kamal-proxy serves them over HTTPS; without it, whether HTTPS ends before the
        proxy (a load balancer, a CDN) is not said here, so the URL is the host alone."""
        proxy = config["proxy"]
        ssl = proxy.get("ssl")
        secure = ssl is not None and ssl[0] is True
        hosts = [(host, secure, "kamal-proxy host") for host in proxy.get("hosts", [])]
        hosts += [(host, False, "Traefik rule") for host in config["labels"]]
        out: list[Fact] = []
        seen: set[str] = set()
        for setting, https, what in hosts:
            host = setting[0]
            if host in seen or _ERB in host or is_example_host(host) or is_placeholder_host(host):
                continue
            seen.add(host)
            shown = f"https://{host}" if https else host
            tls: tuple[Part, ...] = () if https or what != "kamal-proxy host" else (", without kamal-proxy's TLS",)
            out.append(self._fact("env.url", text(Code(shown), " (", *label, f" {what}", *tls, *aside, ")"), setting,
                                  f"url:{host}", confidence, also=(ssl,) if https and ssl else (), env=env, rank=20,
                                  attrs={"url": shown}))
        return out

    def _accessories(self, config: dict[str, Any], env: str, label: tuple[Part, ...], aside: tuple[Part, ...],
                     confidence: Confidence) -> list[Fact]:
        """Accessories: a data store is the environment's database (the app reaches it at
        `<service>-<accessory>` on Kamal's network); another is a service said as it is."""
        out: list[Fact] = []
        service = config["service"][0] if config.get("service") else ""
        for name, accessory in sorted(config["accessories"].items()):
            image = accessory.get("image")
            if image is None or _ERB in image[0]:
                continue
            said = (" (", *label, " accessory ", Code(name), *aside, ")")
            found = self.catalog.by_image(image[0])
            if found is not None and found[0].category in DATA_STORE_CATEGORIES:
                tech, ref = found
                version = tech.version_of(ref)
                attrs: dict[str, Any] = {"hosts": [f"{service}-{name}"] if service else []}
                if version:
                    attrs["version"] = version
                out.append(self._fact("env.database", text(tech.label(version), ": ", Code(image[0]), *said), image,
                                      f"db:{name}", confidence, env=env, tech=tech.id, rank=30, attrs=attrs))
            else:
                out.append(self._fact("env.special", text(*label, " accessory ", Code(name), ": ", Code(image[0]),
                                                          *((f" ({ASSUMED})",) if aside else ())),
                                      image, f"accessory:{name}", confidence, env=env, rank=50))
        return out

    def _variables(self, config: dict[str, Any], env: str, label: tuple[Part, ...], aside: tuple[Part, ...],
                   confidence: Confidence) -> list[Fact]:
        """`env.clear` (and per-tag values) with their values, `env.secret` by name: each file's own
        through the shared reader, as the environment's configuration."""
        by_file: dict[str, list[Variable]] = defaultdict(list)
        for name, setting in sorted(config["env"].items()):
            value, path, line = setting
            by_file[path].append(Variable(name, value, line))
        out: list[Fact] = []
        for path, variables in sorted(by_file.items()):
            reader = VariableReader(path=path, detector=self.name, env=env, confidence=confidence,
                                    where=("in the ", Code("env"), " of ", *label, *aside), catalog=self.catalog)
            out += reader.facts(variables)
        return out

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
            pushed = (" to a registry the file computes with ERB",) if _ERB in registry[0] else \
                (" to the registry ", Code(registry[0]))
        on = phrase_list([_role_said(name, role) for name, role in roles])
        parts = text(Code(deployment.command), ": Kamal builds the image ", Code(image[0]), " and pushes it", *pushed,
                     ", then boots it on ", *on, *((" behind kamal-proxy",) if not config["traefik"] else ()),
                     *((f" ({ASSUMED})",) if deployment.assumed else ()))
        also = tuple(s for s in (registry, *(role["hosts"] for _, role in roles)) if s is not None)
        return self._fact("deploy.steps", parts, image, f"deploy:{deployment.command}",
                          Confidence.INFERRED if deployment.assumed else Confidence.DECLARED, also=also, rank=30)

    def _operations(self, base: Record, deployments: list[_Deployment]) -> list[Fact]:
        """How this configuration is deployed, rolled back and checked: Kamal's own commands."""
        service = [base.data["service"][0], base.path, base.data["service"][1]]
        named = [deployment.destination for deployment in deployments if deployment.destination]
        out = [self._fact("ci.deploy.manual",
                          text("Kamal configuration ", Code(base.path), ": ",
                               *code_list([deployment.command for deployment in deployments]),
                               ", run wherever Kamal and its secrets are; who runs it is not in the repository"),
                          service, f"manual:{base.path}", Confidence.HINT)]
        retained = [(deployment.destination, deployment.config["retain_containers"]) for deployment in deployments
                    if deployment.config.get("retain_containers")]
        kept: tuple[Part, ...] = (f"the last {DEFAULT_RETAIN} by default",)
        if retained:
            kept = (*kept, "; ", Code("retain_containers"), " sets ",
                    *phrase_list([f"{setting[0]}", *((" for ", Code(name)) if name else ())]
                                 for name, setting in retained))
        out.append(self._fact("deploy.rollback.perform",
                              text(Code(f"kamal rollback VERSION{deployments[0].flag}"),
                                   *((" (", Code("-d DESTINATION"), " for a destination)") if named else ()),
                                   ": Kamal boots an earlier version's containers again, which it keeps on the hosts (",
                                   *kept, ")"),
                              service, f"rollback:{base.path}", Confidence.INFERRED,
                              also=tuple(setting for _, setting in retained)))
        out += self._health(service, deployments)
        return out

    def _health(self, service: Setting, deployments: list[_Deployment]) -> list[Fact]:
        """The check a booted version passes before it takes traffic: kamal-proxy's (Kamal 2) or
        the container's (Kamal 1), on `/up` unless the configuration sets a path."""
        out: list[Fact] = []
        configs = [deployment.config for deployment in deployments]
        for path in sorted({_health_path(config)[0] for config in configs}):
            settings = [s for config in configs if (s := _health_path(config))[0] == path and s[1]]
            gate = "Kamal" if all(config["traefik"] for config in configs) else "kamal-proxy"
            said = text(gate, " sends traffic to a booted version (a deploy's or a rollback's) only once ",
                        Code(f"GET {path}"), " answers 200",
                        *((" (Kamal's default health check path)",) if not settings else ()))
            at = settings[0] if settings else service
            out.append(self._fact("deploy.rollback.verify", said, at, f"health:{path}",
                                  Confidence.DECLARED if settings else Confidence.INFERRED,
                                  also=tuple(settings[1:])))
        return out

    def _hooks(self, folder: str, base: Record, listed: set[str]) -> list[Fact]:
        """Hooks in `.kamal/hooks/` of the folder Kamal runs from (the configuration's parent, or
        `hooks_path`), in the order a deploy runs them, after the deploys (a name orders after every
        line number); `.sample` files are Kamal's examples."""
        hooks_path = base.data["hooks_path"]
        if hooks_path is not None and _ERB in hooks_path[0]:
            return []
        root = str(PurePosixPath(folder).parent) if folder else ""
        directory = hooks_path[0].strip("/") if hooks_path else ".kamal/hooks"
        if root not in ("", "."):
            directory = f"{root}/{directory}"
        out: list[Fact] = []
        for position, (hook, when) in enumerate(HOOKS):
            path = f"{directory}/{hook}"
            if path in listed:
                out.append(self._fact("deploy.steps", text("Kamal hook ", Code(hook), ": runs ", Code(path), " ", when),
                                      [hook, path, 1], f"hook:{path}", rank=40, order=(base.path, "hooks", position)))
        return out


def _without_erb(source: str) -> str:
    """The file with each ERB tag as Kamal's rendering leaves the YAML around it, on the same lines:
    a control tag gone, an output tag a marker that no value here is taken from."""
    def blank(match: re.Match[str]) -> str:
        return ("<%=%>" if match[1] else "") + "\n" * match[0].count("\n")
    return _ERB_TAG.sub(blank, source)


@dataclass(frozen=True)
class _Deployment:
    """What one `kamal deploy` deploys: a configuration with or without a destination."""

    destination: str | None
    config: dict[str, Any]  # the merged settings, each [value, path, line]
    env: str
    assumed: bool  # Production assumed: a bare deploy of `deploy.yml`
    label: tuple[Part, ...]
    command: str
    flag: str  # ` -c <file>` for a configuration other than deploy.yml, which every command needs


def _configurations(records: dict[str, Record]) -> dict[str, tuple[Record, dict[str, Record]]]:
    """A folder's configurations by file stem, each with its destinations. `<stem>.<name>.yml` is a
    destination of `<stem>.yml`, as `kamal deploy -d <name>` reads it (rubyvideo's
    `deploy.staging.yml` even sets its own service and image), unless it has destinations of its
    own: then it is a configuration of its own, deployed with `-c` (serveme's `deploy.ws-echo.yml`
    and `deploy.ws-echo.eu.yml`), as is any other file with a `service` and an `image`
    (`deploy-frontend.yml`, or `deploy.review.yml` with no `deploy.yml` beside it)."""
    out: dict[str, tuple[Record, dict[str, Record]]] = {}
    for stem in sorted(records, key=len):
        record = records[stem]
        parent = next((base for base in out if _destination_of(stem, base)), None)
        if parent is not None and not any(_destination_of(other, stem) for other in records):
            out[parent][1][stem[len(parent) + 1:]] = record
        elif record.data["service"] and record.data["image"]:
            out[stem] = (record, {})
    return out


def _destination_of(stem: str, base: str) -> bool:
    return stem.startswith(base + ".") and bool(_DESTINATION_NAME.match(stem[len(base) + 1:]))


def _environment(destination: str) -> str:
    """A destination's environment: the tier its name says, else the name itself (a block of its own)."""
    return env_from_name(destination) or normalise(destination)


def _placeholders(config: dict[str, Any]) -> list[str]:
    """The deployment's servers when every one is a placeholder (the one `rails new` writes, an
    example host); else none."""
    names = [host for role in config["servers"].values() for host in role["hosts"][0]]
    if all(host in GENERATED_HOSTS or (is_example_host(host) and _ERB not in host) for host in names):
        return names
    return []


def _role_said(name: str, role: dict[str, Any]) -> tuple[Part, ...]:
    count = len(role["hosts"][0])
    hosts = f"{count} host" + ("" if count == 1 else "s")
    cmd = role.get("cmd")
    runs: tuple[Part, ...] = (", running ", Code(cmd[0])) if cmd and _ERB not in cmd[0] else ()
    return ("role ", Code(name), f" ({hosts}", *runs, ")")


def _health_path(config: dict[str, Any]) -> list[Any]:
    """[path, path of the file, line] of the health check, or [default, None, 0] when none is set."""
    setting: Setting | None = config["proxy"].get("health") or config.get("health")
    if setting is None or _ERB in setting[0]:
        return [DEFAULT_HEALTH_PATH, None, 0]
    return setting


# -- phase 1: what one file sets ---------------------------------------------------------------------


def _line_setting(container: Any, key: str) -> list[Any] | None:
    """A scalar setting as [text, line]; None when missing, not a scalar, or empty."""
    if not isinstance(container, YDict):
        return None
    value = scalar(container.get(key))
    return [value, line_of(container, key, container.line)] if value else None


def _host_names(value: Any) -> list[list[Any]]:
    """A role's or accessory's hosts as [name, line]: a list of names, or of `host: tag` pairs."""
    out: list[list[Any]] = []
    for index, entry in enumerate(value if isinstance(value, list) else []):
        host = next(iter(entry), None) if isinstance(entry, dict) and len(entry) == 1 else entry
        if isinstance(host, str) and host.strip():
            out.append([host.strip(), line_of(value, index)])
    return out


def _roles(servers: Any) -> dict[str, Any]:
    """Each role's host count (with its line) and command: `servers` is a list of hosts (the `web`
    role) or a mapping of roles, each a list of hosts or a mapping with `hosts` and `cmd`."""
    if isinstance(servers, list):
        return {"web": {"hosts": [_names(servers), line_of(servers, 0)], "cmd": None}}
    roles: dict[str, Any] = {}
    if not isinstance(servers, YDict):
        return roles
    for name, role in servers.items():
        line = line_of(servers, name)
        hosts = role.get("hosts") if isinstance(role, YDict) else role
        entry: dict[str, Any] = {"hosts": [_names(hosts), line_of(role, "hosts", line) if
                                           isinstance(role, YDict) else line]}
        entry["cmd"] = _line_setting(role, "cmd")
        entry["proxy"] = _proxy(role.get("proxy")) if isinstance(role, YDict) else {}
        roles[str(name)] = entry
    return roles


def _names(hosts: Any) -> list[str]:
    return [host for host, _ in _host_names(hosts)]


def _proxy(proxy: Any) -> dict[str, Any]:
    """kamal-proxy's host names, SSL and health check path, each with its line."""
    if not isinstance(proxy, YDict):
        return {}
    out: dict[str, Any] = {}
    hosts = [[h.strip(), line_of(proxy, "host")] for h in str(scalar(proxy.get("host"))).split(",") if h.strip()]
    hosts += _host_names(proxy.get("hosts"))
    if hosts:
        out["hosts"] = hosts
    if isinstance(proxy.get("ssl"), bool):
        out["ssl"] = [proxy["ssl"], line_of(proxy, "ssl")]
    health = proxy.get("healthcheck")
    if isinstance(health, YDict) and (path := _line_setting(health, "path")):
        out["health"] = path
    return out


def _traefik_hosts(labels: Any) -> list[list[Any]]:
    """Kamal 1's Traefik router rules' `Host()` names, with their lines."""
    if not isinstance(labels, YDict):
        return []
    out: list[list[Any]] = []
    for key, rule in labels.items():
        if isinstance(key, str) and _TRAEFIK_RULE.match(key) and isinstance(rule, str):
            out += [[host, line_of(labels, key)] for match in _HOST_RULE.finditer(rule)
                    for host in match[1].split("`, `")]
    return out


def _env(env: Any) -> dict[str, Any]:
    """`env`: `clear` values and `secret` names (a flat mapping is all clear), with `tags`' values
    too (each host tag's, which every environment of those hosts gets): name -> [value, line]."""
    out: dict[str, Any] = {}
    if not isinstance(env, YDict):
        return out
    sections = [env] if "clear" not in env and "secret" not in env and "tags" not in env else \
        [env.get("clear"), *((env["tags"] or {}).values() if isinstance(env.get("tags"), YDict) else ())]
    for section in sections:
        clear = section.get("clear", section) if isinstance(section, YDict) else None
        if not isinstance(clear, YDict):
            continue
        for name, value in clear.items():
            if name in ("clear", "secret") or isinstance(value, (dict, list)):
                continue
            out[str(name)] = [_text(value), line_of(clear, name)]
    secrets = env.get("secret")
    for index, name in enumerate(secrets if isinstance(secrets, list) else []):
        if isinstance(name, str) and name.strip():
            # `NAME:ALIAS` reads the secret ALIAS into NAME
            out[name.split(":", 1)[0].strip()] = [None, line_of(secrets, index)]
    return out


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if value is not None else None


def _accessories(accessories: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not isinstance(accessories, YDict):
        return out
    for name, accessory in accessories.items():
        if isinstance(accessory, YDict):
            out[str(name)] = {"image": _line_setting(accessory, "image")}
    return out


# -- phase 2: a base and a destination merged -------------------------------------------------------


def _merged(records: list[Record]) -> dict[str, Any]:
    """A base and its destination as Kamal merges them, each value as [value, path, line]."""
    merged: dict[str, Any] = {"servers": {}, "proxy": {}, "labels": [], "env": {}, "accessories": {},
                              "traefik": False}
    for record in records:
        data, path = record.data, record.path
        for key in ("service", "image", "retain_containers", "registry", "health"):
            if data.get(key) is not None:
                merged[key] = [data[key][0], path, data[key][1]]
        merged["traefik"] = merged["traefik"] or data["traefik"]
        for name, role in data["servers"].items():
            known = merged["servers"].setdefault(name, {"hosts": [[], path, 0], "cmd": None})
            if role["hosts"][0]:  # a destination's role that sets only options keeps the base's hosts
                known["hosts"] = [role["hosts"][0], path, role["hosts"][1]]
            if role.get("cmd"):
                known["cmd"] = [role["cmd"][0], path, role["cmd"][1]]
            for key, value in (role.get("proxy") or {}).items():  # the primary role's proxy settings
                merged["proxy"][key] = _placed(key, value, path)
        for key, value in data["proxy"].items():
            merged["proxy"][key] = _placed(key, value, path)
        if data["labels"]:
            merged["labels"] = [[host, path, line] for host, line in data["labels"]]
        for name, (value, line) in data["env"].items():
            merged["env"][name] = [value, path, line]
        for name, accessory in data["accessories"].items():
            image = accessory["image"]
            if image is not None:
                merged["accessories"][name] = {"image": [image[0], path, image[1]]}
    return merged


def _placed(key: str, value: Any, path: str) -> Any:
    if key == "hosts":
        return [[host, path, line] for host, line in value]
    return [value[0], path, value[1]]

