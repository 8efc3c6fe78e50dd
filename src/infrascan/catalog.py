"""The technology catalog: which image, variable, URL scheme, resource or package means what.

Technology knowledge lives in `data/catalog/*.yaml`; this module only indexes it. Detectors ask
questions ("which technology is the image `bitnami/postgresql`?") and never carry lists of
their own, so that a new technology is one catalog entry.

Entry keys:
  id, name, category (see CATEGORIES); categories: extra categories (Datadog is monitoring,
  logging and alerting); aliases: other names people write (drift matches them in prose);
  ambiguous: aliases that are also common words (Go, Render, Slack), matched in prose only as written
  and not as a sentence's first word; purpose: what an external service is used for; auth: the
  credential its variables hold when their names mislead (Pusher's app id/key/secret are app
  credentials, not an OAuth client); stand_in: {what, hosts}: host names of a local stand-in
  (MAIL_HOST=mailhog is a mail catcher: it names SMTP but no delivery service); monitoring: the
  kinds of monitoring it provides (application, infrastructure, performance); version: {scheme: major (default) |
  minor | calendar | none, minor_below: N, images: [...]}; `images` names the entry's images whose tag
  is the technology's version, when its other images are companions released on their own version
  line (node-exporter 1.9 runs beside Prometheus 3), and `words` the tag words the version follows
  in a companion image's tag that leads with its own version (FrankenPHP's `1.8-php8.3`); codenames:
  tag words that name versions (bookworm);
  speaks: ids of technologies whose wire protocol it serves, so their URL schemes reach it (DocumentDB
  speaks MongoDB's: `mongodb://documentdb:10260` is DocumentDB when `documentdb` runs it);
  app_url: a platform's default URL of an app, `{app}` standing for its name (`https://{app}.fly.dev`);
  platform: true for a platform an app runs on once deployed with it, whose `files` are that app's own
  configuration there (fly.toml, vercel.json): a monorepo component holding one names it as its deploy
  target. Not where a file name is shared (Procfile, app.yaml);
  collected: true for a tool whose client libraries only expose or export data for a server the
  team runs (Prometheus, OpenTelemetry, Jaeger): a library alone shows no one watching a release,
  while an error tracker's SDK (Sentry) reports each new error to the service;
  forwards: true for a pipeline that passes telemetry on (the OpenTelemetry Collector): running it
  is no place where anyone sees a release's errors;
  deployment_only: true for a service no local development runs (Let's Encrypt's certificate
  companions serve public hosts): a compose file that runs one is a deployment;
  signals:
    images: image names (registry host only when not Docker Hub; no tag); a trailing * matches every
    name that starts so, and a version right after that start is the image's version
    (`gcr.io/distroless/nodejs*`: `nodejs24-debian12` runs Node.js 24); `name:tag-glob` matches
    that image only with such a tag (uv's images carry Python only in tags that name it:
    `ghcr.io/astral-sh/uv:*python*`), before any other
    env_names: exact variable names; env_prefixes: name prefixes matched on whole `_` tokens at
    the start; env_words: token sequences matched anywhere (distinctive vendor names)
    url_schemes, rails_adapters (`adapter:` values of Rails' config/database.yml), hosts (host
    names or suffixes), terraform (resource types, trailing * = prefix),
    helm (subchart names), packages (per ecosystem: pypi, npm, gem, go, maven, composer, cargo,
    nuget, hex), tracers (packages, as `packages`, that are the technology's tracing agent: a
    dependency on one is performance monitoring, as Datadog's `dd-trace` is), mobile_sdks (packages,
    as `packages`, that report from a mobile app's devices, not from a release: `@sentry/react-native`),
    files (file names or
    globs that mean the technology is in use), php_extensions (PHP extensions that are the
    technology's probe, as a PaaS enables them: Blackfire's `blackfire`), platformsh_types
    (Platform.sh and Upsun service types whose names are not the entry's id: MariaDB's `mysql`),
    log_drivers (Docker log drivers that ship container logs to the technology: `awslogs`),
    os_packages (distribution packages, `apk`/`apt`/`dnf` names or globs, that install the
    technology in an image: Alpine's `nodejs`)
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from typing import Any

from infrascan.globs import PatternIndex
from infrascan.images import ImageRef, parse_image, tag_version, version_label, worded_version
from infrascan.yamlload import load_table

# A version written in an image's name after its catalog prefix (`nodejs24-debian12`).
_NAMED_VERSION = re.compile(r"\d+(?:\.\d+)*(?=-|$)")

CATEGORIES = (
    "database",
    "cache",
    "queue",
    "job-queue",
    "search",
    "monitoring",
    "logging",
    "alerting",
    "external-service",
    "email",  # a service that sends (and may receive) the application's mail
    "ci",
    "deploy-tool",
    "migration-tool",
    "cloud",
    "runtime",
    "web-server",
    "os",
)
# Categories whose technologies are stores an environment's "Database" line reports.
DATA_STORE_CATEGORIES = frozenset({"database", "cache", "queue", "search"})
# Docker log drivers that keep a container's logs on its host (or nowhere): no aggregation.
LOCAL_LOG_DRIVERS = frozenset({"json-file", "local", "none", "journald"})
ECOSYSTEMS = ("pypi", "npm", "gem", "go", "maven", "composer", "cargo", "nuget", "hex")
SIGNAL_KEYS = (
    "images",
    "env_names",
    "env_prefixes",
    "env_words",
    "url_schemes",
    "rails_adapters",
    "hosts",
    "terraform",
    "helm",
    "packages",
    "tracers",
    "mobile_sdks",
    "files",
    "php_extensions",
    "platformsh_types",
    "log_drivers",
    "os_packages",
)

# Framework prefixes that expose a variable to the browser; the rest of the name is what counts.
PUBLIC_PREFIXES = (
    "NEXT_PUBLIC_",
    "VITE_",
    "REACT_APP_",
    "NUXT_PUBLIC_",
    "EXPO_PUBLIC_",
    "PUBLIC_",
    "GATSBY_",
    "VUE_APP_",
    "NG_APP_",
    "STORYBOOK_",
)


@dataclass(frozen=True)
class Tech:
    id: str
    name: str
    category: str
    categories: tuple[str, ...]
    aliases: tuple[str, ...]
    purpose: str
    monitoring: tuple[str, ...]
    version_scheme: str
    minor_below: int | None
    codenames: dict[str, str] = field(hash=False, compare=False)
    signals: dict[str, Any] = field(hash=False, compare=False)
    auth: str = ""
    stand_in_hosts: tuple[str, ...] = ()
    stand_in_what: str = ""
    version_images: frozenset[str] = frozenset()
    version_words: tuple[str, ...] = ()
    speaks: tuple[str, ...] = ()
    app_url: str = ""
    platform: bool = False
    collected: bool = False
    deployment_only: bool = False
    forwards: bool = False
    # The cloud whose credentials the service takes when it has none of its own: Amazon S3 reads
    # `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`, which name AWS, not S3.
    credentials_of: str = ""
    # A cloud's own credential variables, which a service of it with none of its own takes.
    credentials: tuple[str, ...] = ()

    def is_a(self, category: str) -> bool:
        return category in self.categories

    def companion(self, image: ImageRef) -> str | None:
        """The name an image released on its own version line beside this technology goes by (an
        exporter, Prometheus' Pushgateway: `node-exporter`), to be said as itself, for the tool;
        None for one of the technology's own images (`version.images`)."""
        if self.version_images and not {image.name.lower(), image.repository.lower()} & self.version_images:
            return image.repository.rsplit("/", 1)[-1]
        return None

    def version_of(self, image: ImageRef) -> str | None:
        """The version an image tag pins, in this technology's scheme; None if it has none."""
        if self.version_scheme == "none":
            return None
        if image.own:  # appwrite/postgres:0.1.0 is Appwrite's release 0.1.0 of a PostgreSQL image
            return "unpinned" if tag_version(image.tag) == "unpinned" else None
        worded = worded_version(image.tag, self.version_words) if self.version_words else None
        if worded is not None:
            return tag_version(worded, self.version_scheme, self.minor_below)
        if self.companion(image):
            # a companion image (an exporter, Confluent's Kafka): its tag is its own version, not
            # this one's; but `:latest` or no tag is unpinned whoever publishes it
            return "unpinned" if tag_version(image.tag) == "unpinned" else None
        return tag_version(image.tag, self.version_scheme, self.minor_below, self.codenames or None)

    def stand_in(self, host: str) -> bool:
        """Whether a host is a local stand-in for this technology (`mailpit`, `mailhog.local`)."""
        host = host.lower()
        return any(host == name or host.startswith(name + ".") for name in self.stand_in_hosts)

    def image_label(self, image: ImageRef) -> str:
        """This technology as an image runs it: its version, or how the image is pinned instead."""
        return version_label(self.name, self.version_of(image), image)

    def label(self, version: str | None) -> str:
        if not version:
            return self.name
        if version == "unpinned":
            return f"{self.name} (version unpinned)"
        return f"{self.name} {version}"


def _norm_package(ecosystem: str, name: str) -> str:
    name = name.strip()
    if ecosystem == "pypi":  # PEP 503
        return re.sub(r"[-_.]+", "-", name).lower()
    if ecosystem in ("npm", "gem", "composer", "cargo", "hex"):
        return name.lower()
    if ecosystem == "go":  # module paths carry a /vN major suffix
        return re.sub(r"/v\d+$", "", name)
    return name


class Catalog:
    def __init__(self, entries: list[dict[str, Any]], digest: str) -> None:
        self.digest = digest
        self.techs: dict[str, Tech] = {}
        self._images: dict[str, Tech] = {}
        self._image_globs: list[tuple[str, Tech]] = []
        self._tagged_images: list[tuple[str, str, Tech]] = []  # (name, tag glob, tech)
        self._env_names: dict[str, Tech] = {}
        self._env_prefixes: list[tuple[tuple[str, ...], Tech]] = []
        self._env_words: list[tuple[tuple[str, ...], Tech]] = []
        self._env_memo: dict[str, tuple[Tech, ...]] = {}
        self._schemes: dict[str, Tech] = {}
        self._rails_adapters: dict[str, Tech] = {}
        self._hosts: list[tuple[str, Tech]] = []
        self._tf_exact: dict[str, Tech] = {}
        self._tf_prefix: list[tuple[str, Tech]] = []
        self._helm: dict[str, Tech] = {}
        self._packages: dict[tuple[str, str], Tech] = {}
        self._tracers: set[tuple[str, str]] = set()
        self._mobile_sdks: set[tuple[str, str]] = set()
        self._package_globs: list[tuple[str, str, Tech]] = []
        # Names in prose (drift, comments) and configuration files are matched by regexes compiled
        # on first use: a few hundred of them, which most scans (a cached one, say) never need.
        self._name_sources: list[tuple[str, int, Tech, bool]] = []
        self._names: list[tuple[re.Pattern[str], Tech, bool, str | None]] | None = None
        self._file_globs: list[tuple[list[str], Tech]] = []
        self._files: PatternIndex | None = None
        self._php_extensions: dict[str, Tech] = {}
        self._log_drivers: dict[str, Tech] = {}
        self._os_packages: list[tuple[str, Tech]] = []
        self._store_words: dict[str, Tech] = {}  # data stores by id and alias, for images built of them
        self._platformsh_types: dict[str, Tech] = {}
        for entry in entries:
            self._add(entry)
        # Longest prefixes first: NEW_RELIC before NEW, AWS_S3 before AWS.
        self._env_prefixes.sort(key=lambda p: -len(p[0]))
        self._env_words.sort(key=lambda p: -len(p[0]))
        self._tf_prefix.sort(key=lambda p: -len(p[0]))
        self._image_globs.sort(key=lambda p: -len(p[0]))  # gcr.io/distroless/nodejs* before gcr.io/distroless/*

    def _add(self, entry: dict[str, Any]) -> None:
        version = entry.get("version") or {}
        tech = Tech(
            id=entry["id"],
            name=entry["name"],
            category=entry["category"],
            categories=(entry["category"], *entry.get("categories", [])),
            aliases=tuple(entry.get("aliases", [])),
            purpose=entry.get("purpose", ""),
            monitoring=tuple(entry.get("monitoring", [])),
            version_scheme=version.get("scheme", "major"),
            minor_below=version.get("minor_below"),
            codenames=dict(entry.get("codenames", {})),
            version_words=tuple(str(w).lower() for w in version.get("words", [])),
            signals=dict(entry.get("signals", {})),
            auth=entry.get("auth", ""),
            stand_in_hosts=tuple(h.lower() for h in (entry.get("stand_in") or {}).get("hosts", [])),
            stand_in_what=(entry.get("stand_in") or {}).get("what", ""),
            version_images=frozenset(i.lower() for i in version.get("images", [])),
            speaks=tuple(entry.get("speaks", [])),
            app_url=str(entry.get("app_url", "")),
            platform=bool(entry.get("platform", False)),
            collected=bool(entry.get("collected", False)),
            deployment_only=bool(entry.get("deployment_only", False)),
            forwards=bool(entry.get("forwards", False)),
            credentials_of=str(entry.get("credentials_of", "")),
            credentials=tuple(str(name).upper() for name in entry.get("credentials", ())),
        )
        self.techs[tech.id] = tech
        if tech.category in DATA_STORE_CATEGORIES:
            for word in (tech.id, *tech.aliases):
                self._store_words.setdefault(word.lower().replace(" ", ""), tech)
        sig = tech.signals
        for image in sig.get("images", []):
            name, colon, tags = image.rpartition(":")
            if colon and "/" not in tags:
                self._tagged_images.append((name.lower(), tags.lower(), tech))
            elif image.endswith("*"):
                self._image_globs.append((image[:-1], tech))
            else:
                self._images.setdefault(image.lower(), tech)
        for env_name in sig.get("env_names", []):
            self._env_names.setdefault(env_name.upper(), tech)
        for prefix in sig.get("env_prefixes", []):
            self._env_prefixes.append((tuple(prefix.upper().split("_")), tech))
        for word in sig.get("env_words", []):
            self._env_words.append((tuple(word.upper().split("_")), tech))
        for scheme in sig.get("url_schemes", []):
            self._schemes.setdefault(scheme.lower(), tech)
        for adapter in sig.get("rails_adapters", []):
            self._rails_adapters.setdefault(adapter.lower(), tech)
        for extension in sig.get("php_extensions", []):
            self._php_extensions.setdefault(extension.lower(), tech)
        for driver in sig.get("log_drivers", []):
            self._log_drivers.setdefault(driver.lower(), tech)
        self._os_packages.extend((package.lower(), tech) for package in sig.get("os_packages", []))
        for service_type in sig.get("platformsh_types", []):
            self._platformsh_types.setdefault(service_type.lower(), tech)
        for host in sig.get("hosts", []):
            self._hosts.append((host.lower(), tech))
        for rtype in sig.get("terraform", []):
            if rtype.endswith("*"):
                self._tf_prefix.append((rtype[:-1], tech))
            else:
                self._tf_exact.setdefault(rtype, tech)
        for chart in sig.get("helm", []):
            self._helm.setdefault(chart.lower(), tech)
        # a tracer is a package that also traces requests; a mobile SDK one that reports from users' devices
        for signal in ("packages", "tracers", "mobile_sdks"):
            for ecosystem, names in (sig.get(signal) or {}).items():
                for name in names or []:
                    if name.endswith("*"):  # a prefix: `@scope/*`, `@opentelemetry/sdk-trace-*`
                        self._package_globs.append((ecosystem, name[:-1].lower(), tech))
                        continue
                    key = (ecosystem, _norm_package(ecosystem, name))
                    self._packages.setdefault(key, tech)
                    if signal == "tracers":
                        self._tracers.add(key)
                    elif signal == "mobile_sdks":
                        self._mobile_sdks.add(key)
        if sig.get("files"):
            self._file_globs.append((sig["files"], tech))
        ambiguous = set(entry.get("ambiguous", []))
        for alias in {tech.name, *tech.aliases}:
            # Short names (PG, DO) and common words (Go, Render, Slack) count in prose only as written,
            # and never as a sentence's first word ("Go to settings").
            strict = alias in ambiguous or len(alias) <= 3
            flags = 0 if strict else re.I
            self._name_sources.append((alias, flags, tech, strict))

    # -- lookups -------------------------------------------------------------------------

    def get(self, tech_id: str) -> Tech:
        return self.techs[tech_id]

    def is_data_store_image(self, ref: str) -> bool:
        """Whether an image runs a database, cache, queue or search engine (`postgres:16`)."""
        found = self.by_image(ref) if ref else None
        return bool(found and found[0].category in DATA_STORE_CATEGORIES)

    def by_image(self, ref: str | ImageRef) -> tuple[Tech, ImageRef] | None:
        image = parse_image(ref) if isinstance(ref, str) else ref
        if image is None:
            return None
        for name, tags, tech in self._tagged_images:
            if image.name.lower() == name and fnmatch.fnmatchcase(image.tag.lower(), tags):
                return tech, image
        for key in (image.name, image.repository):
            if key in self._images:
                return self._images[key], image
        for prefix, tech in self._image_globs:
            if image.name.startswith(prefix):
                # the name may carry the version (`gcr.io/distroless/nodejs24-debian12:nonroot`)
                named = _NAMED_VERSION.match(image.name, len(prefix))
                return tech, replace(image, tag=named.group(0)) if named else image
        # A data store a project builds and publishes itself is named for it last (docker-zulip's
        # `zulip/zulip-postgresql:14`); `postgres-exporter` or `mysql-backup` name something else.
        last = image.name.rsplit("/", 1)[-1].rsplit("-", 1)[-1]
        store = self._store_words.get(last) if "/" in image.name else None
        return (store, replace(image, own=True)) if store is not None else None

    def by_env_name(self, name: str) -> list[Tech]:
        """Technologies a variable name points at, matched on whole `_`-separated tokens.

        Memoised: a monorepo repeats the same few hundred names thousands of times, and each miss
        walks every prefix and word in the catalog."""
        if name not in self._env_memo:
            self._env_memo[name] = tuple(self._match_env_name(name))
        return list(self._env_memo[name])

    def _match_env_name(self, name: str) -> list[Tech]:
        upper = name.upper()
        for prefix in PUBLIC_PREFIXES:
            if upper.startswith(prefix) and len(upper) > len(prefix):
                upper = upper[len(prefix) :]
                break
        toks = tuple(t for t in upper.split("_") if t)
        found: list[Tech] = [self._env_names[upper]] if upper in self._env_names else []
        for prefix_toks, tech in self._env_prefixes:
            if found:
                break
            if toks[: len(prefix_toks)] == prefix_toks:
                found.append(tech)
                break
        for word_toks, tech in self._env_words:
            n = len(word_toks)
            if tech not in found and any(toks[i : i + n] == word_toks for i in range(len(toks) - n + 1)):
                found.append(tech)
        return found

    def by_url_scheme(self, scheme: str) -> Tech | None:
        return self._schemes.get(scheme.lower())

    def by_rails_adapter(self, adapter: str) -> Tech | None:
        """The engine a Rails `config/database.yml` adapter connects to (`trilogy`: MySQL)."""
        return self._rails_adapters.get(adapter.lower())

    def by_log_driver(self, driver: str) -> Tech | None:
        """The service a Docker log driver ships container logs to (`awslogs`: CloudWatch)."""
        return self._log_drivers.get(driver.lower())

    def by_os_package(self, package: str) -> Tech | None:
        """The runtime a distribution package installs (`apk add nodejs`: Node.js)."""
        name = package.lower()
        return next((tech for pattern, tech in self._os_packages if fnmatch.fnmatchcase(name, pattern)), None)

    def by_php_extension(self, extension: str) -> Tech | None:
        return self._php_extensions.get(extension.lower())

    def by_platformsh_type(self, service_type: str) -> Tech | None:
        """The technology a Platform.sh or Upsun service type runs: the entry it names by a
        `platformsh_types` signal, else the entry whose id it is (`postgresql`, `redis`)."""
        key = service_type.lower()
        return self._platformsh_types.get(key) or self.techs.get(key)

    def by_host(self, host: str) -> Tech | None:
        host = host.lower()
        for suffix, tech in self._hosts:
            if host == suffix or host.endswith("." + suffix) or (("/" in suffix) and suffix in host):
                return tech
        return None

    def by_terraform_type(self, resource_type: str) -> Tech | None:
        if resource_type in self._tf_exact:
            return self._tf_exact[resource_type]
        for prefix, tech in self._tf_prefix:
            if resource_type.startswith(prefix):
                return tech
        return None

    def by_helm_dependency(self, name: str) -> Tech | None:
        return self._helm.get(name.lower())

    def by_package(self, ecosystem: str, name: str) -> Tech | None:
        key = (ecosystem, _norm_package(ecosystem, name))
        if key in self._packages:
            return self._packages[key]
        lowered = name.lower()
        for eco, prefix, tech in self._package_globs:
            if eco == ecosystem and lowered.startswith(prefix):
                return tech
        return None

    def is_mobile_sdk(self, ecosystem: str, name: str) -> bool:
        """A monitoring SDK for mobile apps (`@sentry/react-native`): it reports from users' devices,
        not from a deployed release."""
        return (ecosystem, _norm_package(ecosystem, name)) in self._mobile_sdks

    def is_tracer(self, ecosystem: str, name: str) -> bool:
        """Whether the package is its technology's tracing agent (`signals.tracers`)."""
        return (ecosystem, _norm_package(ecosystem, name)) in self._tracers

    def by_file(self, path: str) -> list[Tech]:
        """Technologies whose own configuration file this is (`fly.toml`, `.gitlab-ci.yml`)."""
        if self._files is None:  # the index the planner uses: not every entry's regex on every path
            self._files = PatternIndex({tech.id: patterns for patterns, tech in self._file_globs})
        owners = self._files.owners(path)
        return [tech for _, tech in self._file_globs if tech.id in owners] if owners else []

    def mentions(self, text: str) -> list[tuple[Tech, int, int]]:
        """Catalog names and aliases written in free text, with their spans (for drift)."""
        found: list[tuple[Tech, int, int]] = []
        if self._names is None:
            # An alias counts as a whole word; ignoring case, it is looked for in the lowered text only
            # when both are ASCII (Unicode case folding matches more than lower() does).
            self._names = [(re.compile(r"(?<![\w.-])" + re.escape(alias) + r"(?![\w-])", flags), tech, strict,
                            alias if strict else alias.lower() if alias.isascii() else None)
                           for alias, flags, tech, strict in self._name_sources]
        # A name's regex runs only where its text is: drift asks this of every evidence line, and
        # 400 searches of a line cost 1.5 ms.
        lowered = text.lower() if text.isascii() else None
        for pattern, tech, strict, needle in self._names:
            haystack = text if strict else lowered
            if needle is not None and haystack is not None and needle not in haystack:
                continue
            for match in pattern.finditer(text):
                if strict and _sentence_start(text, match.start()):
                    continue
                found.append((tech, match.start(), match.end()))
        found.sort(key=lambda m: (m[1], -(m[2] - m[1])))
        result: list[tuple[Tech, int, int]] = []
        end = -1
        for tech, start, stop in found:
            if start >= end:
                result.append((tech, start, stop))
                end = stop
        return result

    def in_category(self, category: str) -> list[Tech]:
        return [t for t in self.techs.values() if t.is_a(category)]


def _sentence_start(text: str, index: int) -> bool:
    before = text[:index].rstrip(" \t*_-•>")
    return not before or before[-1] in ".!?:\n"


@cache
def load_catalog() -> Catalog:
    folder = resources.files("infrascan").joinpath("data/catalog")
    digest = hashlib.sha256()
    entries: list[dict[str, Any]] = []
    for item in sorted(folder.iterdir(), key=lambda i: i.name):
        if item.name.endswith(".yaml"):
            raw = item.read_bytes()
            digest.update(item.name.encode() + b"\0" + raw)
            entries.extend(load_table(raw) or [])
    return Catalog(entries, digest.hexdigest()[:16])
