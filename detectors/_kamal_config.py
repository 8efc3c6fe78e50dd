"""Reading Kamal configuration files as Kamal reads them: ERB first, then YAML, then a destination
merged over its base. Phase 1 keeps what each file sets as plain data, every value with its line;
phase 2 (`merged`) gives every value the file and line it won from."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from infrascan.detector import Record
from infrascan.envvars import is_example_host
from infrascan.yamlload import YDict, line_of

from ._devenv import scalar, setting

Setting = list[Any]  # [value, path, line]: a merged value and where it was set
ERB = "<%"
# An ERB tag. A control tag (`<% if x %>`, a block of Ruby over many lines) renders to nothing; an
# output tag (`<%= ENV["HOST"] %>`) to a value not known here, marked by its expression's digest so
# that two hosts written with the same expression are still one host.
_ERB_TAG = re.compile(r"<%(=?)(.*?)%>", re.S)
_DESTINATION_NAME = re.compile(r"^[\w-]+$")
# Kamal 1's routing: a Traefik router rule label with the host names it matches.
_TRAEFIK_RULE = re.compile(r"^traefik\.http\.routers\.[\w-]+\.rule$")
_HOST_RULE = re.compile(r"Host\(\s*`([^`]+)`")
# The server `rails new` writes into config/deploy.yml: a file still naming only it deploys nowhere yet.
GENERATED_HOSTS = frozenset({"192.168.0.1"})
SCALARS = ("service", "image", "retain_containers", "hooks_path", "primary_role")


def without_erb(source: str) -> str:
    """The file as Kamal's rendering leaves the YAML around each ERB tag, on the same lines."""
    def render(match: re.Match[str]) -> str:
        lines = "\n" * match[0].count("\n")
        if not match[1]:
            return lines
        return f"<%={hashlib.blake2b(match[2].strip().encode(), digest_size=4).hexdigest()}%>{lines}"
    return _ERB_TAG.sub(render, source)


def has_erb_control(source: str) -> bool:
    """Whether the file has ERB control tags (`<% hosts.each do |h| %>`), which may repeat lines."""
    return any(not match[1] for match in _ERB_TAG.finditer(source))


def read(doc: YDict, erb_control: bool = False) -> dict[str, Any]:
    """What one file sets, each value as [value, line]. With ERB control tags, a role's host written
    by an output tag may be one of many a loop writes: the role's hosts are marked computed."""
    data: dict[str, Any] = {key: setting(doc, key) for key in SCALARS}
    registry = doc.get("registry")
    data["registry"] = setting(registry, "server") if isinstance(registry, YDict) else None
    data["servers"] = _roles(doc.get("servers"))
    for role in data["servers"].values():
        role["computed"] = erb_control and any(ERB in host for host in role["hosts"][0])
    data["servers_list"] = isinstance(doc.get("servers"), list)
    data["proxy"] = _proxy(doc.get("proxy"))
    data["require_destination"] = doc.get("require_destination") is True
    health = doc.get("healthcheck")
    data["health"] = setting(health, "path") if isinstance(health, YDict) else None
    servers = doc.get("servers")
    role_labels = [role.get("labels") for role in servers.values() if isinstance(role, YDict)] \
        if isinstance(servers, YDict) else []
    data["labels"] = [host for labels in (doc.get("labels"), *role_labels) for host in _traefik_hosts(labels)]
    # Kamal 1: Traefik routes (its own section, its labels) and the top-level healthcheck
    data["traefik"] = "traefik" in doc or "healthcheck" in doc or bool(data["labels"])
    data["env"] = _env(doc.get("env"))
    data["accessories"] = _accessories(doc.get("accessories"))
    data["logging"] = _logging(doc.get("logging"))
    return data


def configurations(records: dict[str, Record]) -> dict[str, tuple[Record, dict[str, Record]]]:
    """A folder's configurations by file stem, each with its destinations. `<stem>.<name>.yml` is a
    destination of `<stem>.yml`, as `kamal deploy -d <name>` reads it, whatever the base holds
    (dorianmariecom/code's `deploy.yml` is empty; rubyvideo's `deploy.staging.yml` sets its own
    service and image), unless it has destinations of its own: then it is a configuration of its
    own, deployed with `-c` (serveme's `deploy.ws-echo.yml` and `deploy.ws-echo.eu.yml`), as is any
    other file (`deploy-frontend.yml`). A configuration counts when its files name a `service` and
    an `image`, which Kamal requires."""
    out: dict[str, tuple[Record, dict[str, Record]]] = {}
    for stem in sorted(records, key=len):
        record = records[stem]
        parent = next((base for base in out if _destination_of(stem, base)), None)
        if parent is not None and not any(_destination_of(other, stem) for other in records):
            out[parent][1][stem[len(parent) + 1:]] = record
        else:
            out[stem] = (record, {})
    return {stem: (base, destinations) for stem, (base, destinations) in out.items()
            if any(r.data["service"] for r in (base, *destinations.values()))
            and any(r.data["image"] for r in (base, *destinations.values()))}


def is_app(config: dict[str, Any]) -> bool:
    """Whether merged settings name what Kamal requires of a deployment: a service and an image."""
    return bool(config.get("service") and config.get("image"))


def _destination_of(stem: str, base: str) -> bool:
    return stem.startswith(base + ".") and bool(_DESTINATION_NAME.match(stem[len(base) + 1:]))


def merged(records: list[Record]) -> dict[str, Any]:
    """A base and its destination as Kamal merges them (ActiveSupport's deep_merge: mappings merge
    key by key, anything else, a list included, replaces what the base had)."""
    out: dict[str, Any] = {"servers": {}, "proxy": {}, "labels": [], "accessories": {}, "logging": {},
                           "traefik": False}
    clear: dict[str, Any] = {}
    secret: dict[str, Any] = {}
    tags: dict[str, Any] = {}
    for record in records:
        data, path = record.data, record.path
        for key in (*SCALARS, "registry", "health"):
            if data.get(key) is not None:
                out[key] = [data[key][0], path, data[key][1]]
        out["traefik"] = out["traefik"] or data["traefik"]
        if data["servers_list"]:  # a list of hosts replaces every role the base had
            out["servers"] = {}
        for name, role in data["servers"].items():
            _merge_role(out["servers"], name, role, path)
        for key, value in data["proxy"].items():
            out["proxy"][key] = _placed(key, value, path)
        if data["labels"]:
            out["labels"] = [[host, path, line] for host, line in data["labels"]]
        env = data["env"]
        clear.update({name: [value, path, line] for name, (value, line) in env["clear"].items()})
        tags.update({name: [value, path, line] for name, (value, line) in env["tags"].items()})
        if env["secret"] is not None:  # a list: the destination's replaces the base's
            secret = {name: [None, path, line] for name, (_, line) in env["secret"].items()}
        for name, accessory in data["accessories"].items():
            if accessory["image"] is not None:
                out["accessories"][name] = {"image": [accessory["image"][0], path, accessory["image"][1]]}
        for key, value in data["logging"].items():
            out["logging"][key] = [value[0], path, value[1]]
    # a host tag's value applies to that tag's hosts: said only where `clear` and `secret` say nothing
    out["env"] = {**{name: value for name, value in tags.items() if name not in clear and name not in secret},
                  **secret, **clear}
    return out


def _merge_role(roles: dict[str, Any], name: str, role: dict[str, Any], path: str) -> None:
    """One role of a later file over the same role of an earlier one: a mapping over a mapping
    merges (a role that sets only options keeps its hosts), anything else replaces."""
    known = roles.get(name)
    if known is None or role["shape"] == "list" or known["shape"] == "list":
        known = roles[name] = {"hosts": [[], path, 0], "cmd": None, "proxy": None, "proxy_settings": {},
                               "shape": role["shape"]}
    if role["hosts"][0]:
        known["hosts"] = [role["hosts"][0], path, role["hosts"][1]]
        known["computed"] = role.get("computed", False)
    if role["cmd"]:
        known["cmd"] = [role["cmd"][0], path, role["cmd"][1]]
    if role["proxy"] is not None:
        known["proxy"] = role["proxy"]
    for key, value in role["proxy_settings"].items():
        known["proxy_settings"][key] = _placed(key, value, path)


def _placed(key: str, value: Any, path: str) -> Any:
    if key == "hosts":
        return [[host, path, line] for host, line in value]
    return [value[0], path, value[1]]


def placeholders(config: dict[str, Any]) -> list[Setting]:
    """The deployment's server lists when every server is a placeholder (the one `rails new` writes,
    an example host); else none. A host ERB computes is not one."""
    lists = [role["hosts"] for role in config["servers"].values() if role["hosts"][0]]
    names = [host for hosts in lists for host in hosts[0]]
    if names and all(host in GENERATED_HOSTS or (is_example_host(host) and ERB not in host) for host in names):
        return lists
    return []


def proxy_settings(config: dict[str, Any]) -> list[dict[str, Any]]:
    """kamal-proxy's settings for each role it serves: the role's own over the top-level ones (the
    top-level ones alone when no role with hosts is served, as in a destination that sets none)."""
    roles = proxied(config)
    if not roles:
        return [] if config["traefik"] else [config["proxy"]]
    return [{**config["proxy"], **config["servers"][name]["proxy_settings"]} for name in roles]


def proxied(config: dict[str, Any]) -> list[str]:
    """The roles kamal-proxy serves: the primary role (`web` unless `primary_role` says) unless it
    sets `proxy: false`, and another role that turns it on (Kamal 2)."""
    if config["traefik"]:
        return []
    primary = config["primary_role"][0] if config.get("primary_role") else "web"
    return [name for name, role in config["servers"].items() if role["hosts"][0]
            and (role["proxy"] is True or (name == primary and role["proxy"] is not False))]


# -- one file ---------------------------------------------------------------------------------------


def _host_names(value: Any) -> list[list[Any]]:
    """A role's or accessory's hosts as [name, line]: a list of names, or of `host: tag` pairs."""
    out: list[list[Any]] = []
    for index, entry in enumerate(value if isinstance(value, list) else []):
        host = next(iter(entry), None) if isinstance(entry, dict) and len(entry) == 1 else entry
        if isinstance(host, str) and host.strip():
            out.append([host.strip(), line_of(value, index)])
    return out


def _roles(servers: Any) -> dict[str, Any]:
    """Each role's hosts (with the line of their list), command and proxy: `servers` is a list of
    hosts (the `web` role) or a mapping of roles, each a list of hosts or a mapping with `hosts`,
    `cmd` and `proxy`."""
    if isinstance(servers, list):
        return {"web": {"hosts": [[h for h, _ in _host_names(servers)], line_of(servers, 0)], "cmd": None,
                        "proxy": None, "proxy_settings": {}, "shape": "list"}}
    roles: dict[str, Any] = {}
    if not isinstance(servers, YDict):
        return roles
    for name, role in servers.items():
        line = line_of(servers, name)
        mapping = role if isinstance(role, YDict) else None
        hosts = mapping.get("hosts") if mapping is not None else role
        proxy = mapping.get("proxy") if mapping is not None else None
        roles[str(name)] = {
            "hosts": [[h for h, _ in _host_names(hosts)], line_of(mapping, "hosts", line) if mapping else line],
            "cmd": setting(mapping, "cmd"),
            "proxy": proxy if isinstance(proxy, bool) else (True if isinstance(proxy, YDict) else None),
            "proxy_settings": _proxy(proxy),
            "shape": "map" if mapping is not None else "list",
        }
    return roles


def _proxy(proxy: Any) -> dict[str, Any]:
    """kamal-proxy's host names (not a wildcard's), TLS and health check path, each with its line.
    TLS is `ssl: true` (Let's Encrypt) or a mapping naming the certificate to serve."""
    if not isinstance(proxy, YDict):
        return {}
    out: dict[str, Any] = {}
    hosts: list[list[Any]] = [[h.strip(), line_of(proxy, "host")] for h in scalar(proxy.get("host")).split(",")
                              if h.strip()]
    hosts = [entry for entry in (*hosts, *_host_names(proxy.get("hosts"))) if "*" not in str(entry[0])]
    if hosts:
        out["hosts"] = hosts
    ssl = proxy.get("ssl")
    if isinstance(ssl, (bool, YDict)):
        out["ssl"] = [bool(ssl), line_of(proxy, "ssl")]
    health = proxy.get("healthcheck")
    if isinstance(health, YDict) and (path := setting(health, "path")):
        out["health"] = path
    prefixes = proxy.get("path_prefixes") or proxy.get("path_prefix")
    prefix = prefixes[0] if isinstance(prefixes, list) and prefixes else prefixes
    if isinstance(prefix, str) and prefix.startswith("/") and ERB not in prefix:
        key = "path_prefixes" if "path_prefixes" in proxy else "path_prefix"
        out["path"] = [prefix.rstrip("/"), line_of(proxy, key)]
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
    """`env`: `clear` values (a flat mapping is all clear), `secret` names (None when the file has
    no `secret` list, which then leaves the base's), and `tags`' values (each host tag's): each
    name -> [value, line]."""
    out: dict[str, Any] = {"clear": {}, "secret": None, "tags": {}}
    if not isinstance(env, YDict):
        return out
    sectioned = "clear" in env or "secret" in env or "tags" in env
    out["clear"] = _values(env.get("clear") if sectioned else env)
    tags = env.get("tags")
    for section in tags.values() if isinstance(tags, YDict) else ():
        out["tags"].update(_values(section.get("clear", section) if isinstance(section, YDict) else None))
    secrets = env.get("secret")
    if isinstance(secrets, list):
        # `NAME:ALIAS` reads the secret ALIAS into NAME
        out["secret"] = {name.split(":", 1)[0].strip(): [None, line_of(secrets, index)]
                         for index, name in enumerate(secrets) if isinstance(name, str) and name.strip()}
    return out


def _values(clear: Any) -> dict[str, Any]:
    if not isinstance(clear, YDict):
        return {}
    return {str(name): [_text(value), line_of(clear, name)] for name, value in clear.items()
            if name not in ("clear", "secret") and not isinstance(value, (dict, list))}


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if value is not None else None


def _accessories(accessories: Any) -> dict[str, Any]:
    if not isinstance(accessories, YDict):
        return {}
    return {str(name): {"image": setting(accessory, "image")} for name, accessory in accessories.items()
            if isinstance(accessory, YDict)}


def _logging(logging: Any) -> dict[str, Any]:
    """Docker's log driver and its rotation options for every container Kamal starts."""
    if not isinstance(logging, YDict):
        return {}
    options = logging.get("options")
    out = {"driver": setting(logging, "driver")}
    for key in ("max-size", "max-file", "awslogs-group"):
        out[key] = setting(options, key) if isinstance(options, YDict) else None
    return {key: value for key, value in out.items() if value is not None}
