"""docker-compose files: the development topology, and sometimes more.

A compose file describes development unless its name or its directory says otherwise
(`docker-compose.prod.yml`, `deploy/staging/compose.yaml`) or its content says it is run as a
deployment: it builds nothing, mounts no project source, and the application's own (published)
images restart `always`/`unless-stopped` (formbricks' self-hosting `docker/docker-compose.yml`), or it
is only monitoring tools that all restart so (dockprom's Prometheus stack).
Such a file names no environment, so none is guessed: its environment facts become hints. A
stack under `cypress/` or `playwright/` runs the tests, so its facts are marked as test facts. Per service: the image
says which database, cache, queue, monitoring tool or local service runs (its version from the
tag, `${TAG:-16}` defaults applied); `build` marks the application's own services; ports,
healthchecks, env_file, profiles and replicas are the environment's special configuration.

Phase 2 resolves what needs several files: an override file (`docker-compose.test.yml`) that
only changes a service inherits the base file's image; and a service's start command (its own,
or its Dockerfile's ENTRYPOINT/CMD) is followed through scripts to the migrations it runs,
so a one-shot service that others wait for (`service_completed_successfully`) is reported as
the migration step it is.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import PurePosixPath
from typing import Any

from infrascan.catalog import DATA_STORE_CATEGORIES, LOCAL_LOG_DRIVERS, Tech
from infrascan.detector import Detector, Extraction, Record, ResolveContext, Sniff, SourceFile
from infrascan.environments import DEVELOPMENT, env_from_name, normalise
from infrascan.envvars import ENV_SELECTORS, Variable, VariableReader, local_port_host
from infrascan.fields import FIELD_BY_ID, Scope
from infrascan.images import ImageRef, parse_image
from infrascan.model import Code, Confidence, Fact, FactScope, Part, code_list, phrase_list, text
from infrascan.source import in_test_dir, near_folder
from infrascan.yamlload import Tagged, YDict, YList, as_list, line_of

from ._docker_logs import kept_logs, rotation_item
from .dockerfile import VARIABLE_REF, compose_dockerfile, group_reached, migration_chain, resolve_args, stage_copies
from .scripts import Copy, Reached, StartResolver, argv_script

_BASE_NAMES = frozenset({"compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml",
                         "podman-compose.yaml", "podman-compose.yml"})
_MIGRATE_NAME = re.compile(r"(?i)(?:^|[_\-])(?:db[_\-]?)?migrat(?:e|ion|ions|or)(?:$|[_\-])")
# Restart policies of a long-running deployment (Compose's `restart:` and swarm's `deploy.restart_policy`).
_DEPLOYED_RESTARTS = frozenset({"always", "unless-stopped", "any"})
# Tools whose stack, restarting, is a monitoring deployment (a database's restart policy says nothing).
_MONITORING_CATEGORIES = frozenset({"monitoring", "alerting", "logging"})
# Host sides of a volume that mount the project tree itself into a container: live source, so development.
_PROJECT_MOUNTS = frozenset({".", "./", "..", "../", "../..", "../../", "${PWD}", "$PWD"})
# Published ports that are not the application's web address (ssh, mail, databases, debuggers).
_NOT_HTTP_PORTS = frozenset({"22", "25", "465", "587", "1025", "3306", "5432", "5672", "6379", "9092", "9229", "27017"})


def substitute(value: str) -> str:
    """Compose interpolation with defaults: `${TAG:-16}` -> `16`, `${A:-${B:-80}}` -> `80`;
    unresolvable parts stay as written, an empty default (`${PORT:-}`) and `${DB_PORT:?error}`
    (pixelfed's, no port named "error") among them. Docker's ARGs read references the same way."""
    return resolve_args(value, {}, empty_defaults=False)


def _apply_merge_tags(svc: dict[Any, Any]) -> None:
    """Compose's merge tags, as this file means them: `!reset` removes what an earlier file set
    (`ports: !reset []`: no ports), `!override` replaces it with the tagged value."""
    for key, value in list(svc.items()):
        if isinstance(value, Tagged) and value.tag == "!reset":
            del svc[key]
        elif isinstance(value, Tagged) and value.tag == "!override":
            svc[key] = value.value


# Environments a compose file brings up on the machine that runs it (a laptop, a CI runner): an
# application's published port is their URL, on localhost. Any other (`docker-compose.qa.yml`,
# `.prod.`) may run on a server whose name the file does not hold.
_LOCAL_STACKS = frozenset({"development", "test", "testing", "ci", "e2e", "integration"})


def _shared_by_services(facts: list[Fact]) -> list[Fact]:
    """One statement for the services a setting is shared by: redash's three services take
    `REDASH_LOG_LEVEL` and `env_file: .env` from one YAML anchor, which made three lines citing the
    same line, and Sentry's self-hosted compose gives 37 consumers one healthcheck and 29 services one
    profile, which made 66 lines. Facts are joined when they say the same of different services
    (`... compose service `x` ...`, `Healthcheck on `x`: ...`); their evidence is joined too."""
    groups: dict[tuple[Any, ...], list[tuple[Fact, int]]] = {}
    out: list[Fact | tuple[Any, ...]] = []
    for fact in facts:
        parts = fact.parts
        at = next((i for i in range(1, len(parts)) if isinstance(parts[i], Code)
                   and isinstance(parts[i - 1], str) and str(parts[i - 1]).lower().endswith(_SUBJECTS)), None)
        if at is None:
            out.append(fact)
            continue
        key = (fact.field, fact.env, fact.service, fact.confidence, fact.scope,
               fact.parts[:at], fact.parts[at + 1 :], repr(sorted(fact.attrs.items())))
        if key not in groups:
            groups[key] = []
            out.append(key)
        groups[key].append((fact, at))
    joined: list[Fact] = []
    for entry in out:
        if isinstance(entry, Fact):
            joined.append(entry)
            continue
        group = groups[entry]
        first, at = group[0]
        if len(group) == 1:
            joined.append(first)
            continue
        names = [part.text for f, i in group if isinstance(part := f.parts[i], Code)]
        lead = str(first.parts[at - 1])
        after = list(first.parts[at + 1 :])
        if after and isinstance(after[0], str) and lead.startswith("Compose"):  # the subject: its verb agrees
            verb, _, rest = after[0].lstrip().partition(" ")
            if verb not in _PLURAL:
                joined.extend(f for f, _ in group)
                continue
            after[0] = " " + _PLURAL[verb] + (" " + rest if rest else "")
        if lead.lower().endswith("service "):
            lead = lead[: -len("service ")] + "services "
        listed = phrase_list([Code(n)] for n in names) if len(names) <= 6 else code_list(names, 5)
        parts = text(*first.parts[: at - 1], lead, *listed, *after)
        evidence = tuple(sorted({e for f, _ in group for e in f.evidence}))
        joined.append(replace(first, parts=parts, evidence=evidence, item="|".join(f.item for f, _ in group)))
    return joined


_PLURAL = {"reads": "read", "publishes": "publish", "runs": "run"}
# the words before a service's name in a statement about one service
_SUBJECTS = ("compose service ", "healthcheck on ")


def compose_env(path: str, deployed: bool = False, selected: str | None = None) -> str | None:
    """The environment a compose file describes: from its name, else its directories, else the one
    its services' environment selectors name (`selected`: `NODE_ENV=production`); else none when its
    content says it is deployed (`deployed`), else development."""
    stem = PurePosixPath(path).name
    named = env_from_name(re.sub(r"^(?:docker-)?compose", "", stem).rsplit(".", 1)[0])
    if named:
        return named
    for directory in reversed(PurePosixPath(path).parts[:-1]):
        found = env_from_name(directory)
        if found:
            return found
    if selected:
        return selected
    return None if deployed else "development"


def selected_env(services: dict[Any, Any]) -> str | None:
    """The one environment the services' selectors name, when they agree: AppFlowy-Cloud's
    `APPFLOWY_ENVIRONMENT=production` runs its compose file as production, and a file whose app
    sets `NODE_ENV=production` under Development contradicted itself. A value read from the
    environment (`${APP_ENV}`) names nothing, nor does its default (`${APP_ENV:-prod}`): gally's base
    compose.yml, run with the compose.override.yml that sets `APP_ENV: dev` (Compose merges it on a
    plain `docker compose up`), and with CI and integration overrides, is no production file."""
    found: set[str] = set()
    for svc in services.values():
        if not isinstance(svc, YDict):
            continue
        for var in ComposeDetector._variables(svc, substituted=False):
            name = var.name.upper()
            if (name in ENV_SELECTORS or name.endswith("_ENVIRONMENT")) and var.value and "$" not in var.value:
                env = env_from_name(var.value.strip().strip("'\""))
                if env:
                    found.add(normalise(env))
    # development is what a compose file is taken for anyway
    return found.pop() if len(found) == 1 and DEVELOPMENT not in found else None


def is_deployed(services: dict[Any, Any], app_services: list[str], monitoring_stack: Sequence[str] = (),
                web_servers: Sequence[str] = (), published_apps: Sequence[str] = (),
                deployment_only: Sequence[str] = ()) -> bool:
    """Whether a compose file is run as a deployment rather than for development: nothing is built,
    no service mounts the project tree, and an application service (one whose image the catalog
    does not know as infrastructure) restarts `always` or `unless-stopped`, or a web server
    (`web_servers`) takes HTTPS on the host's port 443 (not on the loopback address) in front of an
    application's published image (`published_apps`: one the catalog does not know, not a language
    runtime that could be running mounted source), or the file is a monitoring stack
    (`monitoring_stack`, see `monitoring_tools`) whose tools all restart so.

    A database that restarts is still a development backing service; dockprom's Prometheus,
    Alertmanager, Grafana and cAdvisor behind Caddy are the monitoring deployment itself; docuseal's
    published image behind a Caddy that serves `$HOST` on 80 and 443 is its self-hosting install
    (local development serves plain HTTP on a high port, or builds the source). A service no local
    development runs (`deployment_only`: pixelfed's Let's Encrypt companion) makes it a deployment
    even when it builds its image, unless a service mounts the project."""
    svcs = [s for s in services.values() if isinstance(s, dict)]
    if deployment_only and not any(_mounts_project(s) for s in svcs):
        return True
    if any("build" in s or _mounts_project(s) for s in svcs):
        return False
    if published_apps and any(isinstance(services.get(n), dict) and _publishes(services[n], "443")
                              for n in web_servers):
        return True
    if monitoring_stack and all(
        isinstance(services.get(n), dict) and _restart_policy(services[n]) in _DEPLOYED_RESTARTS
        for n in monitoring_stack
    ):
        return True
    return any(
        _restart_policy(services[n]) in _DEPLOYED_RESTARTS for n in app_services if isinstance(services[n], dict)
    )


def monitoring_tools(images: dict[str, tuple[Tech, ImageRef] | None]) -> list[str]:
    """The services of a file made only of monitoring, alerting and logging tools (and a web server
    in front of them): its tool services; empty when any service is a store, an app or anything else."""
    categories = {n: found[0].category if found else None for n, found in images.items()}
    tools = [n for n, c in categories.items() if c in _MONITORING_CATEGORIES]
    if not tools or any(c not in _MONITORING_CATEGORIES and c != "web-server" for c in categories.values()):
        return []
    return tools


def _restart_policy(svc: dict[Any, Any]) -> str:
    deploy = svc.get("deploy")
    policy = deploy.get("restart_policy") if isinstance(deploy, dict) else None
    condition = policy.get("condition") if isinstance(policy, dict) else None
    return str(svc.get("restart") or condition or "").strip().lower()


def _proxied(services: dict[Any, Any], web_servers: list[str], name: str) -> bool:
    """Whether a web server of the file stands in front of this service: it waits for it
    (`depends_on`) or its command names it (docuseal's `caddy reverse-proxy --to app:3000`). An
    administration tool beside the app (adminer) is no application the proxy serves."""
    word = re.compile(r"(?<![\w.-])" + re.escape(name) + r"(?![\w-])")
    for server in web_servers:
        svc = services.get(server)
        if not isinstance(svc, dict):
            continue
        if _depends_on(svc, name):
            return True
        command = svc.get("command")
        words = " ".join(str(c) for c in command) if isinstance(command, list) else str(command or "")
        if word.search(words):
            return True
    return False


def _publishes(svc: dict[Any, Any], port: str) -> bool:
    """Whether the service publishes this port on the host, to others than the host itself."""
    mappings = host_ports(port_specs(svc.get("ports")))
    return any(host == port and address not in _LOOPBACK for address, host, _ in mappings)


_LOOPBACK = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})


def host_ports(specs: list[str]) -> list[tuple[str, str, str]]:
    """(host address, host port, container port) of each published mapping (`127.0.0.1:443:443/tcp`)."""
    out = []
    for spec in specs:
        mapping = spec.split("/", 1)[0]
        address = ""
        if mapping.startswith("["):  # an IPv6 address: `[::1]:443:443`
            address, _, mapping = mapping.partition("]:")
            address += "]"
        parts = mapping.split(":")
        if len(parts) >= 2:
            out.append((address or ":".join(parts[:-2]), parts[-2], parts[-1]))
    return out


def _mounts_project(svc: dict[Any, Any]) -> bool:
    for volume in as_list(svc.get("volumes")):
        source = volume.get("source") if isinstance(volume, dict) else str(volume).split(":", 1)[0]
        if isinstance(source, str) and source.strip() in _PROJECT_MOUNTS:
            return True
    return False


def _rotation(logging: dict[Any, Any]) -> tuple[tuple[Part, ...], int | None] | None:
    """What Docker keeps of a service's log under `logging.options` (opentelemetry-demo's shared
    `x-default-logging` anchor: `max-size: 5m`, `max-file: 2`), with the line of `max-size`."""
    options = logging.get("options")
    if not isinstance(options, dict) or "max-size" not in options:
        return None
    files = options.get("max-file")
    kept = kept_logs(substitute(str(logging.get("driver") or "json-file")), substitute(str(options["max-size"])),
                     substitute(str(files)) if files else None)
    if kept is None:
        return None
    line = options.line_of("max-size", 0) if isinstance(options, YDict) else 0
    return kept, line or None


def _named_profiles(svc: Any) -> list[str]:
    """The profiles a service runs only under, by name (`profiles: [production]`); a profile an
    empty variable names (`${DOCKER_PROXY_ACME_PROFILE:-}`) leaves it running by default, and so
    does the empty profile `''` (Compose's default profile)."""
    profiles = [str(p) for p in as_list(svc.get("profiles"))] if isinstance(svc, dict) else []
    if any(not p.strip() for p in profiles):
        return []
    return [p for p in profiles if "$" not in p]


def _defaulted(raw: str | None) -> bool:
    """Whether a value is a reference with a default (`${APP_ENV:-prod}`), which runs unless the
    variable is set."""
    match = VARIABLE_REF.fullmatch(raw.strip()) if raw else None  # the one pattern `substitute` reads references by
    return match is not None and match.group(2) is not None


def compose_label(env: str | None) -> str:
    """How a fact names the compose file's environment (`development compose`)."""
    return f"{normalise(env)} compose" if env else "compose file of no stated environment"


def _infrastructure(found: tuple[Tech, ImageRef] | None) -> bool:
    """A database, cache, proxy or tool the catalog knows by its image; a runtime image is the app's."""
    return found is not None and found[0].category != "runtime"


def unplaced(facts: list[Fact]) -> list[Fact]:
    """A compose file of no stated environment: what it says of an environment is a hint for each,
    and says so (shown under one environment's gap, docmost's ports read as a development setting)."""
    return [
        replace(f, env=None, confidence=Confidence.HINT, parts=_of_no_stated_environment(f))
        if FIELD_BY_ID[f.field].scope is Scope.ENVIRONMENT else f
        for f in facts
    ]


def _of_no_stated_environment(fact: Fact) -> tuple[Part, ...]:
    """A fact's words, saying it comes from a compose file of no stated environment unless they do."""
    return fact.parts if "no stated environment" in fact.text else (*fact.parts, f" ({compose_label(None)})")


def start_command(svc: dict[Any, Any]) -> str | None:
    """The shell line a service starts with: `entrypoint` and `command` combined, exec forms opened."""
    entrypoint, command = svc.get("entrypoint"), svc.get("command")
    if entrypoint is None and command is None:
        return None
    if isinstance(entrypoint, list) and isinstance(command, (list, str)):
        return argv_script([*entrypoint, *as_list(command)])
    pieces = [argv_script(p) if isinstance(p, list) else str(p) for p in (entrypoint, command) if p is not None]
    return " ".join(pieces)


def health_command(test: Any) -> str | None:
    """A healthcheck's command in its four forms; None for `NONE` (the image's check switched off)."""
    if isinstance(test, list):
        words = [str(t) for t in test if t is not None]
        if not words or words[0].upper() == "NONE":
            return None
        if words[0] == "CMD-SHELL":
            return " ".join(words[1:]) or None
        if words[0] == "CMD":
            return argv_script(words[1:]) or None
        return argv_script(words)
    if isinstance(test, str) and test.strip() and test.strip().upper() != "NONE":
        return test.strip()
    return None


def port_specs(ports: Any) -> list[str]:
    """Port mappings as `host:container` text, from short (`"8080:80"`) and long (`published:`) forms."""
    specs = []
    for entry in as_list(ports):
        if isinstance(entry, dict):
            target = entry.get("target")
            published = entry.get("published")
            host_ip = f"{entry['host_ip']}:" if entry.get("host_ip") else ""
            spec = f"{host_ip}{published}:{target}" if published not in (None, "") else str(target)
            specs.append(substitute(spec))
        elif entry is not None:
            specs.append(substitute(str(entry)))
    return specs


def _local_ports(svc: dict[Any, Any]) -> list[str]:
    """The host ports a service publishes (`6379:6379`): where the developer's machine reaches it."""
    return [port for _, port, _ in host_ports(port_specs(svc.get("ports"))) if port.isdigit()]


def first_host_port(specs: list[str]) -> str | None:
    """The first published host port that may serve the application over HTTP."""
    for _, host, container in host_ports(specs):
        if host.isdigit() and container not in _NOT_HTTP_PORTS:
            return host
    return None


# Compose files named for what they add (docker-jitsi-meet's `jibri.yml`, `prometheus.yml`, used with
# `-f`): a top-level `services:` whose first service has an image, a build or an extends, and no
# top-level key Compose does not know (azd's azure.yaml has `services:` and `metadata:`).
_SNIFF = re.compile(
    r"(?m)^services:[ \t]*(?:#.*)?\r?\n(?:[ \t]*(?:#.*)?\r?\n)*([ \t]+)[\"']?[\w.-]+[\"']?:[ \t]*(?:&[\w.-]+)?"
    r"[ \t]*(?:#.*)?\r?\n(?:[ \t]*(?:#.*)?\r?\n|\1[ \t]+[^#\s].*\n)*?\1[ \t]+(?:image|build|extends|<<)[ \t]*:")
_NOT_COMPOSE = re.compile(
    r"(?m)^(?!(?:version|name|services|networks|volumes|configs|secrets|models|include|x-[\w.-]*)[ \t]*:)"
    r"[A-Za-z_][\w.-]*[ \t]*:")
# Formats with a compose-like `services:` of their own: Tugboat previews, Lando recipes.
_NOT_COMPOSE_PATHS = re.compile(r"(?:^|/)(?:\.tugboat/|\.lando[^/]*\.ya?ml$)")


class ComposeDetector(Detector):
    name = "compose"
    version = "18"
    description = "docker-compose files: services, images, ports, healthchecks, migrations on start"
    patterns = ("{docker-,podman-,}compose*.{yml,yaml}",)  # podman-compose reads its own name first
    sniff = Sniff((".yml", ".yaml"), _SNIFF, unless=_NOT_COMPOSE,
                  yields_to=("alerting", "ansible", "azd", "azure-pipelines", "bitbucket", "circleci", "cloudbuild",
                             "github-actions", "gitlab-ci", "helm", "kubernetes", "log-stores", "paas"))
    looks_for = {
        "env.url": "published ports of compose services",
        "env.database": "compose service images",
        "env.special": "compose ports, healthchecks, env_file, profiles, replicas",
        "mon.infrastructure": "monitoring images in compose",
        "mon.application": "monitoring variables in compose",
        "log.aggregation": "compose logging drivers and log shipper images",
        "log.levels": "LOG_LEVEL-style variables in compose",
        "log.retention": "Docker log rotation (`logging.options` max-size, max-file) of compose services",
        "deploy.migration.strategy": "compose commands and one-shot migration services",
        "ext.purpose": "service images (mailpit, stripe-mock, minio, localstack) and variables in compose",
    }

    def extract(self, file: SourceFile) -> Extraction:
        out = Extraction()
        if _NOT_COMPOSE_PATHS.search(file.path):
            return out
        documents = self.yaml_documents(file, out)
        docs = [d for d in documents if isinstance(d, dict)]
        services = docs[0].get("services") if docs else None
        if not isinstance(services, dict):
            return out
        for svc in services.values():
            if isinstance(svc, dict):
                _apply_merge_tags(svc)
        images = {str(n): self._image(s) for n, s in services.items() if isinstance(s, dict)}
        apps = [n for n, s in services.items() if isinstance(s, dict) and not _infrastructure(images.get(str(n)))]
        web_servers = [n for n, found in images.items() if found and found[0].category == "web-server"]
        published = [n for n in apps if images.get(str(n)) is None and isinstance(services[n], dict)
                     and services[n].get("image") and _proxied(services, web_servers, str(n))]
        only_deployed = [n for n, found in images.items() if found and found[0].deployment_only
                   and not _named_profiles(services[n])]
        env = compose_env(file.path, is_deployed(services, apps, monitoring_tools(images), web_servers, published,
                                                 only_deployed), selected_env(services))
        running = {found[0].id for found in images.values() if found}
        # A stack whose own services publish nothing is reached through its web server: taiga-docker's
        # nginx gateway publishes 9000:80 in front of images it does not build, and the document's
        # development URL was a gap that said it had looked at published ports. Not one that also
        # serves 443 (hedgedoc's Caddy, AppFlowy's nginx): that one answers at the domain its
        # configuration names, and localhost may not be it.
        served = any(port_specs(services[n].get("ports")) for n in apps if isinstance(services[n], dict))
        fronts = set() if served else {
            n for n in web_servers if isinstance(services[n], dict)
            and (specs := port_specs(services[n].get("ports"))) and first_host_port(specs)
            and not any(container.split("/")[0] == "443" for _, _, container in host_ports(specs))}
        same_image: dict[tuple[str, str], list[tuple[str, int]]] = {}
        for name, svc in services.items():
            if isinstance(svc, YDict):
                found = images.get(str(name))
                if found:
                    svc_line = services.line_of(name) if isinstance(services, YDict) else svc.line
                    image_key = (found[0].id, found[1].reference())
                    same_image.setdefault(image_key, []).append((str(name), line_of(svc, "image", svc_line)))
                self._service(file.path, str(name), svc, services, env, found, running, out, str(name) in fronts)
        # the host ports each service publishes, as its record holds them
        published_at = {r.data["service"]: r.data["ports"] for r in out.records if r.kind == "compose.service"}
        for (tech_id, reference), users in same_image.items():
            ref = parse_image(reference)
            if ref is not None:
                ports = [port for s, _ in users for port in published_at.get(s, [])]
                out.facts.extend(
                    self.image_facts(
                        file.path, [n for _, n in users], [s for s, _ in users], self.catalog.get(tech_id), ref, env,
                        ports,
                    )
                )
        out.facts = _shared_by_services(out.facts)
        if in_test_dir(file.path):
            for fact in out.facts:
                fact.scope = FactScope.EXAMPLE
        if env is None:
            out.facts = unplaced(out.facts)
        return out

    def _image(self, svc: dict[Any, Any]) -> tuple[Tech, ImageRef] | None:
        raw = svc.get("image")
        image = parse_image(substitute(raw)) if isinstance(raw, str) else None
        return self.catalog.by_image(image) if image else None

    def _service(
        self,
        path: str,
        name: str,
        svc: YDict,
        services: dict[Any, Any],
        env: str | None,
        found: tuple[Tech, ImageRef] | None,
        running: set[str],
        out: Extraction,
        front: bool = False,
    ) -> None:
        svc_line = services.line_of(name) if isinstance(services, YDict) else svc.line
        infrastructure = _infrastructure(found)
        # a service built here whose name names a tool (petclinic's `grafana-server`, built from
        # ./docker/grafana) builds that tool: its port is no address of the application
        builds_tool = "build" in svc and any(tech.category not in ("runtime", "os") for tech, _, _ in
                                             self.catalog.mentions(re.sub(r"[-_.]", " ", str(name))))
        app_service = ("build" in svc and not builds_tool) or (found is not None and found[0].category == "runtime")
        if front:  # the web server the stack is reached through (extract)
            self._ports(path, name, svc, svc_line, env, True, out, front=True)
        if not infrastructure:  # the application's own (or an unrecognised) service
            self._ports(path, name, svc, svc_line, env, app_service, out)
            self._health(path, name, svc, svc_line, env, out)
            self._env_files(path, name, svc, svc_line, env, out)
        self._extras(path, name, svc, svc_line, env, out)
        facts = self._variable_facts(path, name, svc, env, running)
        # a known tool's own log settings (LocalStack's DEBUG=1 in jitsi's rtcstats stack) are not
        # the application's log levels
        out.facts.extend(f for f in facts if not (infrastructure and f.field == "log.levels"))
        out.records.append(self._record(path, name, svc, svc_line, services, env, found))

    def image_facts(
        self, path: str, lines: list[int], names: list[str], tech: Tech, ref: ImageRef, env: str | None,
        ports: Sequence[str] = (),
    ) -> list[Fact]:
        """What services' image is: a database for the environment, a monitoring tool, a service.

        Services of one file running the same image (a six-node Redis cluster) are one statement.
        A store is reached by its services' names, and on the developer's machine by the host ports
        they publish (`localhost:6379`): both are hosts a connection URL may name (merge.py).
        """
        version = tech.version_of(ref)
        label = tech.image_label(ref)
        detail = text(" in ", *_services(names), " (image ", Code(ref.reference()), ")")
        line = lines[0]
        ev = tuple(e for n in lines for e in self.evidence(path, n))
        attrs = {"image": ref.reference(), "version": version} if version else {"image": ref.reference()}
        qualifier = f", {compose_label(env)}"
        if tech.category in DATA_STORE_CATEGORIES:
            return [
                Fact(
                    "env.database",
                    text(label, ":", *detail),
                    Confidence.DECLARED,
                    ev,
                    env=env,
                    item=tech.id,
                    tech=tech.id,
                    rank=30,
                    order=(path, line),
                    # the names other services reach it by, and the local ports it is published on
                    attrs={**attrs, "hosts": [*names, *(local_port_host(port) for port in ports)]},
                )
            ]
        if tech.category in ("monitoring", "alerting"):
            kind = (
                "infrastructure" if "infrastructure" in tech.monitoring or not tech.monitoring else tech.monitoring[0]
            )
            field_id = f"mon.{kind}"
        elif tech.category == "logging":
            field_id = "log.aggregation"
        elif tech.category == "external-service":
            purpose = tech.purpose or "External service"
            # a stand-in's image (Mailpit catches mail, it delivers none): a hint of the service, not it
            stand_in = tech.stand_in(ref.repository.rpartition("/")[2])
            said = text(purpose, ": a ", tech.stand_in_what, *detail, qualifier, "; the service itself is set "
                        "elsewhere") if stand_in else text(purpose, ":", *detail, qualifier)
            return [
                Fact(
                    "ext.purpose",
                    said,
                    Confidence.HINT if stand_in else Confidence.INFERRED,
                    ev,
                    service=tech.id,
                    tech=tech.id,
                    item="purpose",
                    rank=55,
                    order=(path, line),
                    attrs=attrs,
                )
            ]
        elif tech.category == "web-server":
            return [
                Fact(
                    "env.special",
                    text("Web server / reverse proxy ", label, *detail),
                    Confidence.DECLARED,
                    ev,
                    env=env,
                    item=f"proxy:{names[0]}",
                    tech=tech.id,
                    rank=40,
                    order=(path, line),
                    attrs=attrs,
                )
            ]
        else:
            return []
        # an exporter beside its tool is said as itself, for the tool (`node-exporter` for Prometheus)
        subject: tuple[Part, ...] = (Code(companion), f" for {tech.name}") \
            if (companion := tech.companion(ref)) else (label,)
        return [
            Fact(
                field_id,
                text(*subject, ":", *detail, qualifier),
                Confidence.INFERRED,
                ev,
                item=tech.id,
                tech=tech.id,
                rank=50,
                order=(path, line),
                # where the tool runs: one in a development stack tells nothing about a release (merge.py)
                attrs={**attrs, "runs_in": normalise(env)} if env else attrs,
            )
        ]

    def _special(
        self, path: str, line: int, env: str | None, item: str, parts: tuple[Part, ...], rank: int = 40
    ) -> Fact:
        return Fact(
            "env.special",
            parts,
            Confidence.DECLARED,
            self.evidence(path, line),
            env=env,
            item=item,
            rank=rank,
            order=(path, line),
        )

    def _ports(
        self, path: str, name: str, svc: YDict, svc_line: int, env: str | None, app_service: bool, out: Extraction,
        front: bool = False,
    ) -> None:
        specs = port_specs(svc.get("ports"))
        if not specs:
            return
        ports = svc.get("ports")
        # the first mapping's line (linkwarden's `3000:3000` sits under `ports:`), which the URL is read from
        line = ports.line_of(0) if isinstance(ports, YList) and ports else line_of(svc, "ports", svc_line)
        host = first_host_port(specs)
        # the environment as the file's name writes it (uptime-kuma's docker-compose-dev.yml: `dev`)
        local_url = bool(app_service and host and env and normalise(env) in _LOCAL_STACKS)
        if not (local_url and len(specs) == 1):
            # one port that the URL below states already is not said twice (spliit's `3000:3000`)
            out.facts.append(
                self._special(
                    path,
                    line,
                    env,
                    f"ports:{name}",
                    text("Compose service ", Code(name), " publishes ports ", Code(", ".join(specs))),
                )
            )
        if local_url:
            url = f"http://localhost:{host}"
            # the mapping the URL is read from (docker-zulip lists its smtp port before http)
            at = next((ports.line_of(i) for i, item in enumerate(ports)
                       if first_host_port(port_specs([item])) == host), line) if isinstance(ports, YList) else line
            out.facts.append(
                Fact(
                    "env.url",
                    text(Code(url), " (local) from compose service ", Code(name), " ports",
                         ", the web server in front of the stack" if front else ""),
                    Confidence.INFERRED,
                    self.evidence(path, at),
                    env=env,
                    rank=70,
                    order=(path, line),
                    attrs={"url": url},
                )
            )

    def _health(self, path: str, name: str, svc: YDict, svc_line: int, env: str | None, out: Extraction) -> None:
        health = svc.get("healthcheck")
        if not isinstance(health, dict) or health.get("disable") is True:
            return
        command = health_command(health.get("test"))
        if command:
            lines = [part.strip() for part in command.strip().splitlines() if part.strip()]
            if len(lines) > 1:
                # a script of several lines (getsentry's Python heartbeat check) read as one line is no
                # longer the script: its first line stands for it
                command = lines[0] + " …"
            line = line_of(health, "test", svc_line)
            fact = self._special(
                path, line, env, f"health:{name}", text("Healthcheck on ", Code(name), ": ", Code(command))
            )
            if line < svc_line:
                # a merged anchor's `test:` (getsentry's `<<: *file_healthcheck_defaults`, written once
                # above every service that uses it): the service's own `healthcheck:` first
                own = self.evidence(path, line_of(svc, "healthcheck", svc_line))
                fact = replace(fact, evidence=(*own, *fact.evidence))
            out.facts.append(fact)

    def _env_files(self, path: str, name: str, svc: YDict, svc_line: int, env: str | None, out: Extraction) -> None:
        for entry in as_list(svc.get("env_file")):
            file_name = entry.get("path") if isinstance(entry, dict) else entry
            if not isinstance(file_name, str):
                continue
            optional = " (optional)" if isinstance(entry, dict) and entry.get("required") is False else ""
            out.facts.append(
                self._special(
                    path,
                    line_of(svc, "env_file", svc_line),
                    env,
                    f"env_file:{name}:{file_name}",
                    text("Compose service ", Code(name), " reads variables from ", Code(file_name), optional),
                    rank=45,
                )
            )

    def _extras(self, path: str, name: str, svc: YDict, svc_line: int, env: str | None, out: Extraction) -> None:
        raw = [str(p) for p in as_list(svc.get("profiles"))]
        # `${DOCKER_PROXY_PROFILE:-}` is empty unless set: Compose drops an empty profile, so the
        # service runs by default and the variable is a switch that puts it behind a profile (pixelfed)
        switches: list[str] = []
        profiles: list[str] = []
        for profile in raw:
            match = VARIABLE_REF.fullmatch(profile.strip())
            if match and match.group(2) == "":
                switches.append(match.group(1))
            else:
                profiles.append(substitute(profile))
        # A profile named `''` is Docker Compose's (undocumented) default profile: the service runs
        # when no profile is selected (jhipster's services.yml: `profiles: ['', prod]`)
        default = "" in (p.strip() for p in profiles)
        profiles = [p for p in profiles if p.strip()]
        said = None
        if default:
            said = text("Compose service ", Code(name), " runs when no profile is selected (its empty profile ",
                        Code("''"), ")", *((" and with profile ", Code(", ".join(profiles))) if profiles else ()))
        elif profiles:
            said = text("Compose service ", Code(name), " runs only with profile ", Code(", ".join(profiles)))
        elif switches:
            said = text("Compose service ", Code(name), " runs by default, unless ", *code_list(switches, sep=" or "),
                        " names a profile to put it behind")
        if said is not None:
            out.facts.append(
                self._special(path, line_of(svc, "profiles", svc_line), env, f"profile:{name}", said, rank=45))
        deploy = svc.get("deploy")
        if isinstance(deploy, dict) and isinstance(deploy.get("replicas"), int):
            out.facts.append(
                self._special(
                    path,
                    line_of(deploy, "replicas", svc_line),
                    env,
                    f"replicas:{name}",
                    text("Compose service ", Code(name), " runs ", str(deploy["replicas"]), " replicas"),
                )
            )
        logging = svc.get("logging")
        rotation = _rotation(logging) if isinstance(logging, dict) else None
        if rotation is not None:
            kept, line = rotation
            out.facts.append(Fact(
                "log.retention",
                text("Docker keeps ", *kept, " per container in compose service ", Code(name),
                     f", {compose_label(env)}"),
                Confidence.DECLARED,
                self.evidence(path, line_of(logging, "options", svc_line) if line is None else line),
                item=rotation_item(kept),
                rank=40,
                order=(path, svc_line),
            ))
        if isinstance(logging, dict) and isinstance(logging.get("driver"), str):
            driver = substitute(logging["driver"])
            if driver not in LOCAL_LOG_DRIVERS:
                line = line_of(logging, "driver", svc_line)
                shipped = self.catalog.by_log_driver(driver)
                out.facts.append(
                    Fact(
                        "log.aggregation",
                        text(
                            *((f"{shipped.name}: ",) if shipped else ()),
                            "Docker ",
                            Code(driver),
                            " log driver in compose service ",
                            Code(name),
                            f", {compose_label(env)}",
                        ),
                        Confidence.DECLARED,
                        self.evidence(path, line),
                        item=f"driver:{driver}",
                        tech=shipped.id if shipped else None,
                        rank=40,
                        order=(path, line),
                    )
                )

    def _variable_facts(self, path: str, name: str, svc: YDict, env: str | None, running: set[str]) -> list[Fact]:
        """Facts from `environment:`, minus what the file's images already say.

        `POSTGRES_PASSWORD` or `RUSTFS_ADMIN_PASSWORD` configure servers the file runs, not the
        application's access to a third party; the app's `DATABASE_URL` in a file that runs its
        stores adds nothing to the images' own lines; and a service with neither image nor build
        is an override whose store is resolved from the base file in phase 2.
        """
        variables = self._variables(svc)
        if not variables:
            return []
        reader = VariableReader(
            path=path,
            detector=self.name,
            env=env,
            where=("in compose service ", Code(name)),
            confidence=Confidence.INFERRED,
        )
        stores = any(self.catalog.get(t).category in DATA_STORE_CATEGORIES for t in running)
        override = "image" not in svc and "build" not in svc
        kept = []
        for fact in reader.facts(variables):
            if fact.tech in running:
                continue
            if fact.field == "env.database" and (stores or override):
                continue
            if env and fact.field.startswith("mon."):  # as for the images: where the tool reports from
                fact = replace(fact, attrs={**fact.attrs, "runs_in": normalise(env)})
            kept.append(fact)
        return kept

    @staticmethod
    def _variables(svc: YDict, substituted: bool = True) -> list[Variable]:
        """A service's environment variables, with `${VAR:-default}` read as its default unless
        `substituted` is False (the value as written)."""
        environment = svc.get("environment")
        variables: list[Variable] = []
        shown: Callable[[str], str] = substitute if substituted else str
        if isinstance(environment, dict):
            for key, value in environment.items():
                raw = None if value is None else str(value)
                variables.append(Variable(str(key), None if raw is None else shown(raw), line_of(environment, key, 0),
                                          defaulted=_defaulted(raw)))
        elif isinstance(environment, list):
            for index, item in enumerate(environment):
                if isinstance(item, str):
                    key, sep, value = item.partition("=")
                    variables.append(Variable(key.strip(), shown(value) if sep else None, line_of(environment, index),
                                              defaulted=bool(sep) and _defaulted(value)))
        return variables

    def _record(
        self,
        path: str,
        name: str,
        svc: YDict,
        svc_line: int,
        services: dict[Any, Any],
        env: str | None,
        found: tuple[Tech, ImageRef] | None,
    ) -> Record:
        """What phase 2 needs: the image, the build, the start command and who waits for it."""
        build = svc.get("build")
        build_data = None
        if isinstance(build, str):
            build_data = {"context": substitute(build), "dockerfile": "Dockerfile", "target": None}
        elif isinstance(build, dict):
            build_data = {
                "context": substitute(str(build.get("context", "."))),
                "dockerfile": substitute(str(build.get("dockerfile", "Dockerfile"))),
                "target": str(build["target"]) if build.get("target") else None,
            }
        start = start_command(svc)
        start_key = "command" if "command" in svc else "entrypoint"
        waiters = sorted(
            str(other) for other, spec in services.items() if isinstance(spec, dict) and _waits_for(spec, name)
        )
        # started after it, without waiting for it to finish (a plain `depends_on` list)
        followers = sorted(
            str(other) for other, spec in services.items() if isinstance(spec, dict) and _depends_on(spec, name)
            and str(other) not in waiters
        )
        return Record(
            "compose.service",
            path,
            svc_line,
            {
                "service": name,
                "env": env,
                "tech": found[0].id if found else None,
                "image_line": line_of(svc, "image", svc_line),
                "image": found[1].reference() if found else None,
                "build": build_data,
                "start": [start, line_of(svc, start_key, svc_line)] if start else None,
                "waiters": waiters,
                "followers": followers,
                "test_stack": in_test_dir(path),
                "user": substitute(str(svc["user"])) if svc.get("user") not in (None, "") else None,
                "ports": _local_ports(svc),
            },
        )

    # -- phase 2 ------------------------------------------------------------------------------

    def resolve(self, ctx: ResolveContext) -> list[Fact]:
        records = ctx.records("compose.service")
        facts = self._overrides(records)
        resolver = StartResolver(ctx)
        dockerfiles = {r.path: r for r in ctx.records("dockerfile.image")}
        for record in records:
            facts.extend(self._migrations(resolver, record, dockerfiles))
        return facts

    def _overrides(self, records: list[Record]) -> list[Fact]:
        """`docker-compose.test.yml` changing only `environment:` of `postgres` still runs its image."""
        bases: dict[tuple[str, str], Record] = {}
        for record in records:
            if PurePosixPath(record.path).name in _BASE_NAMES and record.data["image"]:
                bases[(posixpath.dirname(record.path), record.data["service"])] = record
        facts: list[Fact] = []
        for record in records:
            data = record.data
            if data["image"] or data["build"] or PurePosixPath(record.path).name in _BASE_NAMES:
                continue
            base = bases.get((posixpath.dirname(record.path), data["service"]))
            if base is None or base.data["tech"] is None:
                continue
            same = base.data["env"] == data["env"]
            ports = data["ports"]
            if same and not ports:
                continue
            tech = self.catalog.get(base.data["tech"])
            ref = parse_image(base.data["image"])
            if ref is None or tech.category not in DATA_STORE_CATEGORIES:
                continue
            for fact in self.image_facts(
                base.path, [base.data["image_line"]], [data["service"]], tech, ref, data["env"], ports
            ):
                here = self.evidence(record.path, record.line)
                if same:
                    # `docker-compose.override.yml` publishing the base's store: the base's own
                    # statement, reached at those local ports too (merged with it by its text)
                    fact.evidence = (*fact.evidence, *here)
                else:
                    fact.parts = text(*fact.parts, " via override ", Code(PurePosixPath(record.path).name))
                    fact.evidence = (*here, *fact.evidence)
                owner = base if same else record
                fact.scope = FactScope.EXAMPLE if owner.data["test_stack"] else FactScope.MAIN
                facts.extend(unplaced([fact]) if data["env"] is None else [fact])
        return facts

    def _migrations(self, resolver: StartResolver, record: Record, dockerfiles: dict[str, Record]) -> list[Fact]:
        data = record.data
        stage, final = self._build_stage(record, dockerfiles)
        near = _norm(posixpath.dirname(record.path))
        copies: tuple[Copy, ...] = ()
        if stage is not None:
            copies = stage_copies(stage)
            near = resolver.repo_dir(str(stage.get("workdir", "")), copies, near_folder(compose_dockerfile(record)))
        if data["start"]:
            command, line = data["start"]
            where = (record.path, int(line))
        elif stage and (data["waiters"] or not final):
            # The Dockerfile detector reports its final stage's start; compose adds a waited-for
            # one-shot service, or a `build.target` stage the Dockerfile detector does not follow.
            start = stage.get("entrypoint") or stage.get("cmd")
            if not start:
                return self._named_one_shot(record)
            command, line = start
            where = (compose_dockerfile(record), int(line))
        else:
            return self._named_one_shot(record)
        reached, only = resolver.migrations(str(command), where, near, copies)
        if not reached:
            return self._named_one_shot(record, (str(command), where))
        return [self._migration_fact(record, where, found, lines, only, position)
                for position, (found, lines) in enumerate(group_reached(reached))]


    def _build_stage(self, record: Record, dockerfiles: dict[str, Record]) -> tuple[dict[str, Any] | None, bool]:
        """The Dockerfile stage a service builds (its `build.target`, else the last) and whether it is the last."""
        dockerfile = dockerfiles.get(compose_dockerfile(record)) if record.data["build"] else None
        if dockerfile is None:
            return None, True
        stages: list[dict[str, Any]] = dockerfile.data["stages"]
        target = record.data["build"]["target"]
        stage = next((s for s in stages if target and s["alias"] == target.lower()), stages[-1])
        return stage, stage is stages[-1]

    def _migration_fact(self, record: Record, where: tuple[str, int], found: Reached, lines: list[tuple[str, int]],
                        only: bool, position: int) -> Fact:
        """One migration tool a service runs; `position` keeps the tools in the order the command runs them."""
        data = record.data
        service = data["service"]
        chain = migration_chain(found, where[0])
        compose = f" ({compose_label(data['env'])})"
        if where[0] != record.path:  # the service keeps its image's start command
            compose += ", started by the image it builds from"
            chain = [Code(where[0]), ", ", *chain]
        if data["waiters"]:
            parts = text(
                "One-shot compose service ",
                Code(service),
                compose,
                " ",
                *chain,
                " before ",
                *code_list(data["waiters"]),
                " start (",
                Code("service_completed_successfully"),
                ")",
            )
        elif only:
            parts = text("Compose service ", Code(service), compose, " ", *chain, " (a migration-only service)")
        else:
            parts = text(
                "On container start: compose service ",
                Code(service),
                compose,
                " ",
                *chain,
                " before the app, in every replica as it starts",
            )
        evidence = tuple(
            dict.fromkeys(
                (
                    *self.evidence(record.path, record.line),
                    *self.evidence(*where),
                    *(e for p, n in lines for e in self.evidence(p, n)),
                )
            )
        )
        return Fact(
            "deploy.migration.strategy",
            parts,
            Confidence.INFERRED if found.by_name else Confidence.DECLARED,
            evidence,
            item=f"compose:{service}:{found.tool or found.command}",
            tech=found.tool or None,
            rank=40,
            order=(record.path, record.line, position),
            attrs={"where": "one-shot service" if data["waiters"] else "container start", "tool": found.tool or None},
            scope=FactScope.EXAMPLE if data["test_stack"] else FactScope.MAIN,
        )

    def _named_one_shot(self, record: Record, start: tuple[str, tuple[str, int]] | None = None) -> list[Fact]:
        """A service named `migrate` that others wait to complete: its command is not in the repository,
        or runs what infrascan cannot follow (lago's `./scripts/migrate.dev.sh` lives in a submodule)."""
        data = record.data
        followers = data["followers"]
        if not (data["waiters"] or followers) or not _MIGRATE_NAME.search(data["service"]):
            return []
        command = " ".join(start[0].split()) if start else ""
        # the command's line, and the service's when the command is its image's (a Dockerfile's)
        cited = [start[1]] if start and start[1][0] == record.path else \
            [(record.path, record.line), *([start[1]] if start else [])]
        if command.startswith("-") and data["image"]:  # arguments to the image's own program (migrate/migrate)
            runs: tuple[Part, ...] = (" (named for migrations) runs image ", Code(data["image"]), " with ",
                                      Code(command), " before ")
        elif command:
            runs = (" (named for migrations) runs ", Code(command), " before ")
        else:
            runs = (" (named for migrations; its command is not in the repository) runs before ",)
        if data["waiters"]:
            after: tuple[Part, ...] = (*code_list(data["waiters"]), " start (", Code("service_completed_successfully"),
                                       ")")
        else:
            # ory/kratos' quickstart: `kratos` depends on `kratos-migrate` and starts once it has started,
            # not once it has finished (the migration's `restart: on-failure` retries it meanwhile)
            after = (*code_list(followers), " starts" if len(followers) == 1 else " start",
                     " without waiting for it to finish (a plain ", Code("depends_on"), ")")
        parts = text(
            "One-shot compose service ",
            Code(data["service"]),
            f" ({compose_label(data['env'])})",
            *runs,
            *after,
        )
        return [
            Fact(
                "deploy.migration.strategy",
                parts,
                Confidence.INFERRED,
                tuple(e for where in cited for e in self.evidence(*where)),
                item=f"compose:{data['service']}",
                rank=55,
                order=(record.path, record.line),
                attrs={"where": "one-shot service"},
                scope=FactScope.EXAMPLE if data["test_stack"] else FactScope.MAIN,
            )
        ]


def _norm(path: str) -> str:
    """A repository-relative path without `./` and `a/../`; the root is ""."""
    normal = posixpath.normpath(path) if path else "."
    return "" if normal == "." else normal


def _depends_on(spec: dict[Any, Any], name: str) -> bool:
    """Whether a service starts after `name`, in either form of `depends_on`."""
    depends = spec.get("depends_on")
    return name in depends if isinstance(depends, (dict, list)) else False


def _waits_for(spec: dict[Any, Any], name: str) -> bool:
    depends = spec.get("depends_on")
    if isinstance(depends, dict):
        cond = depends.get(name)
        return isinstance(cond, dict) and cond.get("condition") == "service_completed_successfully"
    return False


def _services(names: list[str], limit: int = 3) -> list[Part]:
    """`compose service `db`` or `compose services `a`, `b` and 4 more`."""
    return ["compose service " if len(names) == 1 else "compose services ", *code_list(names, limit)]
