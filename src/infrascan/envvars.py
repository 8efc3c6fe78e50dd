"""What environment variables say about infrastructure, wherever they are declared.

`.env.example` files, compose `environment:`, Dockerfile `ENV`, Kubernetes and Helm `env:`
lists, CI variables and secret names all use the same vocabulary: `DATABASE_URL=postgres://...`
is PostgreSQL, `STRIPE_SECRET_KEY` is Stripe authenticated by an API key, `LOG_LEVEL=debug` is a
log level. Every detector that meets variables hands them here, so the knowledge lives once.
Values are shown only through `redact.value`.

Fact texts name the source kind (`in compose service web`, `in .env examples`) but not the
file: the evidence links name the file, and equal statements from several files (a monorepo's
ten `.env.example`) then merge into one entry with all their evidence.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from infrascan import redact
from infrascan.catalog import DATA_STORE_CATEGORIES, ECOSYSTEMS, PUBLIC_PREFIXES, Catalog, Tech, load_catalog
from infrascan.environments import env_from_name, normalise
from infrascan.model import Code, Confidence, Evidence, Fact, Part, code_list, text

if TYPE_CHECKING:
    from infrascan.envselect import Verdict


@dataclass(frozen=True)
class Variable:
    name: str
    value: str | None
    line: int
    comment: str = ""
    optional: bool = False  # commented out in the file: an alternative, not the configuration
    defaulted: bool = False  # the default of a reference (`${APP_ENV:-prod}`): what runs unless it is set


# A Helm values key keeps its component's path (`INJECTOR.LOGLEVEL`: vault-helm's injector, not its server).
LOG_LEVEL_NAMES = re.compile(
    r"^(?:[A-Z0-9_-]+\.)*(?:[A-Z0-9]+_)*(?:LOG_?LEVEL|LOGGING_?LEVEL|LOG_FORMAT)$|^RUST_LOG$|^DEBUG$"
    # a values tree's `log.level` (traefik's chart), `logs.general.level` (its v2 layout), `logging.level`
    r"|^(?:[A-Z0-9_-]+\.)*(?:LOGS?|LOGGING)(?:\.GENERAL)?\.LEVEL$")


# A switch that has the application apply its own migrations as it starts (miniflux's
# `RUN_MIGRATIONS=1`, `*_AUTO_MIGRATE=true`, `MIGRATE_ON_STARTUP`): known by its name only, as the
# code that reads it is not read; set to a true value it is the migration strategy's lead.
MIGRATE_ON_START_NAMES = re.compile(
    r"^(?:[A-Z0-9_]*_)?(?:RUN_(?:DB_)?MIGRATIONS?|AUTO_?MIGRATE|AUTO_?MIGRATIONS?|MIGRATE_ON_START(?:UP)?"
    r"|(?:DB|DATABASE)_(?:AUTO_)?MIGRATE)$")
_TRUE_VALUES = frozenset({"1", "true", "yes", "on"})


def _debug_switch(name: str, value: str) -> bool:
    """`DEBUG=1` or `DEBUG=false` turns a debug mode on or off (pixelfed's Let's Encrypt companion,
    miniflux's long-removed option), which says no log level; `DEBUG=app:*` names the namespaces
    the `debug` package logs, which does."""
    return name == "DEBUG" and (value.strip().strip("'\"").lower() in (*_TRUE_VALUES, "0", "false", "no", "off", ""))


# The same setting as a configuration key (Helm values `logLevel: info`, `log_level: debug`).
LOG_LEVEL_KEYS = re.compile(r"^(?:log_?level|logging_?level)$", re.I)
ENV_SELECTORS = frozenset(
    {
        "NODE_ENV",
        "RAILS_ENV",
        "RACK_ENV",
        "APP_ENV",
        "FLASK_ENV",
        "DJANGO_SETTINGS_MODULE",
        "ASPNETCORE_ENVIRONMENT",
        "DOTNET_ENVIRONMENT",
        "SPRING_PROFILES_ACTIVE",
        "MIX_ENV",
        "ENVIRONMENT",
        "APP_ENVIRONMENT",
        "GO_ENV",
    }
)
# `URL` alone is the application's own address too (outline's `.env.development`: URL=https://local.outline.dev:3000)
APP_URL_NAMES = re.compile(
    r"^(?:(?:APP|BASE|PUBLIC|SITE|WEB|FRONTEND|HOST|SERVER|ROOT|APP_BASE|WEBAPP|CANONICAL|NEXTAUTH|AUTH)_)?URL$"
)
CONNECTION_NAMES = re.compile(r"(?:^|_)(?:URL|URI|DSN|ADDR|ADDRESS|HOST|ENDPOINT|SERVER|BROKER_URL|CONNECTION_STRING)$")
# Variables that hold the application's own database connection, whatever the engine.
DATABASE_URL_NAMES = re.compile(r"(?:^|_)(?:DATABASE|DB)_(?:URL|URI|DSN)$|^DATASOURCE_URL$|_DATASOURCE_URL$")
# Variables whose value names the database engine (Laravel's DB_CONNECTION=pgsql, DATABASE_TYPE=postgresql).
ENGINE_NAMES = re.compile(r"(?:^|_)(?:DB|DATABASE)_(?:CONNECTION|DRIVER|TYPE|ENGINE|DIALECT|CLIENT|PROVIDER)$")
# The database host and port beside an engine selector (Laravel's DB_HOST=db, DB_PORT=3306).
DB_HOST_NAMES = re.compile(r"^(?:DB|DATABASE)_HOST(?:NAME)?$")
DB_PORT_NAMES = re.compile(r"^(?:DB|DATABASE)_PORT$")
# Host variables of a mail server: their value names the provider (smtp.sendgrid.net is SendGrid).
MAIL_HOST_NAMES = re.compile(r"(?:^|_)(?:SMTP|MAIL|EMAIL|MAILER)_(?:HOST|SERVER|ADDRESS|HOSTNAME)$")
_TIMEOUT = re.compile(
    r"(?:^|_)(?:TIMEOUT|TIMEOUT_MS|TIMEOUT_SECONDS|RETRIES|RETRY|MAX_RETRIES|RETRY_COUNT|FALLBACK\w*)$"
)
_RATE = re.compile(r"(?:^|_)(?:RATE_?LIMIT\w*|RPM|RPS|TPM|MAX_REQUESTS\w*|THROTTLE\w*|QUOTA)$")
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "::1", "host.docker.internal"})
# the words of a section title around a service's name (`# Email settings`, `# Stripe configuration`,
# `# Slack credentials for development`); environment names (environments.env_from_name) count
# too: where the setting is used is not what the service is for
_SECTION_WORDS = frozenset({"settings", "setting", "configuration", "config", "options", "variables", "vars",
                            "credentials", "keys", "env", "section", "for", "the"})
_PERFORMANCE = re.compile(r"(?:^|_)(?:TRACE|TRACES|TRACING|APM|PROFILING|PROFILER|PROFILES|SAMPLE_RATE|SPANS)(?:_|$)")
_LOGS = re.compile(r"(?:^|_)LOGS?(?:_|$)")
_OFF = re.compile(r"(?i)^(?:0(?:\.0*)?|false|no|off)$")  # a sample rate of 0, a switch set off
# Variables that only switch a feature on or off, or name the app an integration installs as.
_SWITCH = re.compile(r"(?:^|_)(?:ENABLED?|DISABLED?|APP_ID)$|^(?:ENABLE|DISABLE)_")
# Compose interpolation knobs for a service's container (langfuse's REDIS_CONTAINER_NAME,
# POSTGRES_HOST_PORT): how the local container is named and published, not how the service is used.
_CONTAINER_KNOB = re.compile(r"_(?:CONTAINER_NAME|HOST_PORT)$")
_WEBHOOK = re.compile(r"(?:^|_)(?:WEBHOOK|HOOK)(?:_|$)")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):(.*)$", re.I)
# A comment that lists the values a variable takes rather than saying what anything is for.
_CHOICES = re.compile(r"(?i)\s*(?:options?|possible values|values|choices|one of|allowed(?: values)?)\s*:")
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"'`)]+")
_SENTENCE_END = (".", "!", "?", ":", ";")
# Words a sentence does not end on: a line that ends with one is continued on the next
_JOINING_WORDS = frozenset({"a", "an", "the", "of", "to", "for", "with", "like", "and", "or", "in", "on", "by",
                            "from", "as", "at", "into", "than", "that", "which", "is", "are", "be", "your",
                            "our", "this", "these", "such", "via", "using", "use", "uses", "e.g.", "i.e."})
# The line that names a backend (its store line, its service's purpose); a selector verdict is
# written there. Quoted comments (rank 20) and the auth and limit lines only become hints.
_HEADLINE_FIELDS = frozenset({"env.database", "ext.purpose"})
_HEADLINE_RANK = 40
MAX_DESCRIPTION = 200


def selected_environment(name: str, value: str | None) -> str | None:
    """The environment an environment selector's value names (`RAILS_ENV=production`: production),
    normalised; None for another variable, or a value that names none."""
    if name.upper() not in ENV_SELECTORS or not value:
        return None
    env = env_from_name(value.strip().strip("'\""))
    return normalise(env) if env else None


def selects_test(*variables: Mapping[str, Any]) -> bool:
    """Whether a job's or step's variables select the test environment (`RAILS_ENV: test`, `MIX_ENV:
    test`): what such a job migrates is a test database (lobsters' schema check)."""
    return any(selected_environment(str(name), str(value)) in ("test", "testing")
               for env in variables for name, value in (env or {}).items())


def public_suffix(name: str) -> tuple[str, bool]:
    """The name without a browser-exposure prefix (`NEXT_PUBLIC_APP_URL` -> `APP_URL`), and whether it had one."""
    upper = name.upper()
    for prefix in PUBLIC_PREFIXES:
        if upper.startswith(prefix) and len(upper) > len(prefix):
            return upper[len(prefix) :], True
    return upper, False


# Kinds read from variable names alone; a catalog entry's `auth` replaces them for its service.
_GENERIC_CREDENTIALS = frozenset({"OAuth client", "API key or token"})


def auth_kind(name: str, names_of_service: set[str]) -> str | None:
    """The kind of credential a variable holds, never its value (detection-spec §2.5).

    `names_of_service` are the other variable names of the same service in the same source, so
    that pairs (`*_CLIENT_ID` + `*_CLIENT_SECRET`, Auth.js' `AUTH_GITHUB_ID` + `AUTH_GITHUB_SECRET`)
    are recognised as an OAuth client rather than a loose key.
    """
    upper = name.upper()
    bare, public = public_suffix(upper)
    kind = _credential_kind(bare, names_of_service)
    if kind and (public or bare.endswith(("_PUBLISHABLE_KEY", "_PUBLIC_KEY"))):
        return "public client key (shipped to browsers, not a secret)"
    return kind


_OAUTH_PAIRS = tuple((a, b) for one, other in (("_CLIENT_ID", "_CLIENT_SECRET"), ("_ID", "_SECRET"))
                     for a, b in ((one, other), (other, one)))
_LOGIN_PAIRS = tuple((user, word) for user in ("_USERNAME", "_USER") for word in ("_PASSWORD", "_PASS"))


def _paired(upper: str, pairs: Iterable[tuple[str, str]], names: set[str]) -> bool:
    """Whether a name ends in a pair's suffix and the same stem with its partner is among `names`
    (`SMTP_USER` beside `SMTP_PASSWORD`, `GITHUB_CLIENT_ID` beside `GITHUB_CLIENT_SECRET`)."""
    return any(upper.endswith(suffix) and upper[: -len(suffix)] + partner in names for suffix, partner in pairs)


def _credential_kind(upper: str, names_of_service: set[str]) -> str | None:
    if upper.endswith(("_WEBHOOK_SECRET", "_SIGNING_SECRET", "_WEBHOOK_SECRET_KEY", "_SIGNING_KEY")):
        return "signed inbound webhooks"
    if _paired(upper, _OAUTH_PAIRS, names_of_service):
        return "OAuth client"
    if upper.endswith(("_CLIENT_SECRET", "_STATE_SECRET")):
        return "OAuth client"  # a state secret signs the OAuth flow's `state` (langfuse's SLACK_STATE_SECRET)
    if upper.endswith("_DSN"):
        return "DSN"
    if upper == "AWS_ACCESS_KEY_ID" or upper.endswith(("_ACCESS_KEY_ID", "_SECRET_ACCESS_KEY")):
        return "static access keys"  # either half of the pair (maybe-finance's S3_SECRET_ACCESS_KEY)
    if (
        upper in ("GOOGLE_APPLICATION_CREDENTIALS",)
        or upper.endswith("_SERVICE_ACCOUNT_JSON")
        or upper.endswith("_CREDENTIALS_JSON")
    ):
        return "service-account credentials file"
    if re.search(r"(?:^|_)(?:PASSWORD|PASS|PWD)$", upper):
        return "username and password"
    # the user of a password beside it (BookStack's MAIL_USERNAME), paired as a client's id and secret are
    if _paired(upper, _LOGIN_PAIRS, names_of_service):
        return "username and password"
    if re.search(
        r"(?:^|_)(?:API_?KEY|KEY|TOKEN|SECRET|SECRET_KEY|ACCESS_TOKEN|AUTH_TOKEN|PRIVATE_KEY|LICENSE_KEY"
        r"|ROUTING_KEY|INTEGRATION_KEY)$",
        upper,
    ):
        return "API key or token"
    return None


def _connection_text(value: str) -> str:
    """A connection value as a URL: unquoted, without JDBC's `jdbc:` prefix."""
    raw = value.strip().strip("'\"")
    return raw[5:] if raw.lower().startswith("jdbc:") else raw


def _port_of(value: str) -> str:
    """The port a connection URL names, or ""."""
    try:
        port = urlsplit(_connection_text(value)).port
    except ValueError:
        return ""
    return str(port) if port else ""


def url_of(value: str | None) -> tuple[str, str] | None:
    """The scheme and host of a connection value; `jdbc:` is stripped, `file:./dev.db` has no host."""
    if not value:
        return None
    raw = _connection_text(value)
    if "://" not in raw:
        match = _SCHEME.match(raw)
        # `file:./dev.db` and `sqlite:memory` are URLs; `postgres:5432` is a host and a port.
        if not match or not match.group(2) or match.group(2).isdigit():
            return None
        return match.group(1).lower(), ""
    try:
        parts = urlsplit(raw)
        host = parts.hostname or ""
    except ValueError:
        return None
    if not parts.scheme:
        return None
    return parts.scheme.lower(), host.lower()


def is_placeholder_host(host: str) -> bool:
    """Hosts that are never a real environment's address (detection-spec §1.4): an example's, or a
    name reserved for the developer's machine (`.test`, `.local`), which a development site may use."""
    if not host or host in _LOCAL_HOSTS:
        return True
    return host.endswith((".local", ".test", ".invalid", ".localhost")) or is_example_host(host)


def is_example_host(host: str) -> bool:
    """A host an example or template leaves in place (`example.com`, `staging.example.com`, `your-app`)."""
    return (
        host.endswith(".example")
        or host.startswith("example.")
        or ".example." in host
        or host.startswith(("your-", "your_", "<", "$", "{"))
        or "${" in host
        or host in ("example.com", "example.org", "example.net")
        or host.endswith(".example.com")
    )


def local_port_host(port: str) -> str:
    """The host a connection on the project's own machine names for a published port: a compose
    store is reached there too (`localhost:6379`), and merge.engines_behind_hosts matches it only
    within one environment."""
    return f"localhost:{port}"


def is_local_port_host(host: object) -> bool:
    return isinstance(host, str) and host.startswith("localhost:")


def _host_attrs(host: str) -> dict[str, str]:
    """A host the model may match to a store of the repository (merge.engines_behind_hosts)."""
    return {"host": host} if is_service_name(host) or is_local_port_host(host) else {}


def is_service_name(host: str) -> bool:
    """A one-label host (`db`, `documentdb`): a compose service's or Kubernetes workload's name."""
    return bool(re.fullmatch(r"[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?", host)) and not is_placeholder_host(host)


# A setting that names the image or release a service runs (mattermost/docker's env.example:
# `POSTGRES_IMAGE_TAG=13-alpine`, which its compose file's `postgres:${POSTGRES_IMAGE_TAG}` reads):
# its value is shown with its name, the only place the version is written.
_RELEASE_NAME = re.compile(r"(?:_IMAGE_TAG|_IMAGE|_TAG|_VERSION)$")
_RELEASE_VALUE = re.compile(r"[\w][\w.\-/:@]{0,79}")


def _names(vars_: list[Variable], limit: int = 3) -> list[Part]:
    """Variable names once each, connection settings first, then alphabetical: the same set reads
    the same in every file (so equal statements merge) and the telling names come first. A setting
    naming a release (`POSTGRES_IMAGE_TAG=13-alpine`) is shown with its value."""
    values = {v.name: v.value.strip().strip("'\"") for v in vars_ if v.value and not v.optional}

    def release(name: str) -> str | None:
        value = values.get(name, "")
        shown = _RELEASE_NAME.search(name.upper()) and _RELEASE_VALUE.fullmatch(value) \
            and not redact.is_secret_key(name) and not redact.looks_secret(value)
        # not one the redactor would blank as written (`AZURE_OPENAI_API_VERSION=2024-02-15-preview`
        # reads as a token): the name alone then, as before
        return value if shown and redact.scrub(f"{name}={value}") == f"{name}={value}" else None

    names = sorted({v.name for v in vars_},
                   key=lambda n: (not CONNECTION_NAMES.search(n.upper()), release(n) is None, n))
    return code_list([f"{n}={release(n)}" if release(n) is not None else n for n in names], limit)


def _continues(before: str, line: str) -> bool:
    """Whether a comment line goes on with the sentence of the line before it, which has no end
    mark: it starts in lower case, or with an acronym (outline's "uses a single" / "PUT request"),
    or the line before ends with a word no sentence ends on ("providers like" / "Cloudflare R2").
    A capitalised line after a bare title (`# Sentry` / `# The DSN...`) starts a sentence."""
    first = line.split(maxsplit=1)[0]
    last = before.rsplit(maxsplit=1)[-1].lower()
    acronym = len(first) > 1 and first.isupper() and not first.endswith(":")  # `DOCS:` labels a line of its own
    return not first[:1].isupper() or acronym or last in _JOINING_WORDS


def describe(comment: str) -> list[Part]:
    """A comment block as a short description: wrapped lines joined, URLs as code, long text cut."""
    sentences: list[str] = []
    for line in comment.split("\n"):
        line = line.strip()
        if not line:
            continue
        if sentences and not sentences[-1].endswith(_SENTENCE_END) and _continues(sentences[-1], line):
            sentences[-1] = f"{sentences[-1]} {line}"  # one sentence wrapped over two lines
        else:
            sentences.append(line)
    joined = " ".join(s if s.endswith(_SENTENCE_END) else s + "." for s in sentences)
    joined = redact.scrub(re.sub(r"@see\s+", "", joined))
    if len(joined) > MAX_DESCRIPTION:
        cut = joined[:MAX_DESCRIPTION].rsplit(" ", 1)[0]
        joined = cut.rstrip(" ,;:-") + " …"
    parts: list[Part] = []
    last = 0
    for match in _URL_IN_TEXT.finditer(joined):
        url = match.group(0).rstrip(".,;:")
        parts.append(joined[last : match.start()])
        parts.append(Code(url))
        last = match.start() + len(url)
    parts.append(joined[last:])
    return [p for p in parts if p != ""]


def _dedupe(variables: list[Variable]) -> list[Variable]:
    """One variable per name: the active one over a commented-out alternative, else the first."""
    chosen: dict[str, Variable] = {}
    for var in variables:
        current = chosen.get(var.name)
        if current is None or (current.optional and not var.optional):
            chosen[var.name] = var
    return sorted(chosen.values(), key=lambda v: v.line)


# A mail provider's setting for the mail it delivers to the application, not the mail it sends.
_INBOUND = re.compile(r"(?:^|_)(?:INGRESS|INBOUND|INCOMING)(?:_|$)")


def engine_named(catalog: Catalog, value: str | None) -> Tech | None:
    """The data store a value names: by URL scheme (`postgres`), name or alias (`pgsql`, `MSSQL`),
    or driver package (homarr's `DB_DRIVER='better-sqlite3'`, SQLite's npm driver)."""
    word = (value or "").strip().strip("'\"")
    tech = catalog.by_url_scheme(word) if word else None
    if tech is None and word:
        tech = next((t for t, _, _ in catalog.mentions(word) if t.category in DATA_STORE_CATEGORIES), None)
    if tech is None and word and not any(c.isspace() for c in word):
        found = (catalog.by_package(ecosystem, word) for ecosystem in ECOSYSTEMS)
        tech = next((t for t in found if t is not None and t.category in DATA_STORE_CATEGORIES), None)
    return tech if tech is not None and tech.category in DATA_STORE_CATEGORIES else None


class VariableReader:
    """Turns the variables of one source (a file, a service, a job) into facts."""

    def __init__(
        self,
        *,
        path: str,
        detector: str,
        env: str | None,
        where: tuple[Part, ...],
        confidence: Confidence,
        catalog: Catalog | None = None,
        env_from_selector: bool = False,
        on_host: bool = False,
        described_by: str = "comment",
    ) -> None:
        self.path = path
        self.detector = detector
        self.env = env
        self.where = where  # ("in compose service ", Code("web")), ("in .env examples",)
        self.confidence = confidence
        self.catalog = catalog or load_catalog()
        # When the source names no environment itself (`.env.docker.example`, a Dockerfile ENV),
        # an environment selector's value (`NODE_ENV=production`) says which one it configures.
        self.env_from_selector = env_from_selector
        # Values read on the machine that runs the project (an .env file), not inside a container:
        # `localhost:6379` there is a port the same environment's compose stack publishes.
        self.on_host = on_host
        # What a variable's `comment` is in this source: a comment above it, or (app.json) the
        # `description` it is given
        self.described_by = described_by

    def _ev(self, *vars_: Variable) -> tuple[Evidence, ...]:
        if len(vars_) == 1:
            return (Evidence(self.path, vars_[0].line, self.detector),)
        # One path and detector: ordering by line is Evidence's order, without comparing Evidence.
        return tuple(Evidence(self.path, line, self.detector) for line in sorted({v.line for v in vars_}))

    def _place(self, vars_: list[Variable]) -> tuple[Part, ...]:
        """Where the variables are, and that they are commented out when every one is: the file
        offers them (`# SENTRY_DSN=`), it does not set them, and a hint should not read as a setting."""
        lead = " commented out " if vars_ and all(v.optional for v in vars_) else " "
        return (lead, *self.where)

    def _conf(self, vars_: list[Variable]) -> Confidence:
        return Confidence.HINT if all(v.optional for v in vars_) else self.confidence

    def facts(self, variables: list[Variable]) -> list[Fact]:
        from infrascan.envselect import Selection  # envselect reads this module's vocabulary

        facts: list[Fact] = []
        by_tech: dict[str, list[Variable]] = defaultdict(list)
        store_by_url: dict[str, list[Variable]] = defaultdict(list)
        unknown_db: list[Variable] = []
        named_by_comment: set[str] = set()
        variables = _dedupe(variables)
        selection = Selection(variables, self.catalog)
        for var in variables:
            name = var.name.upper()
            if self._by_value(var, name, by_tech, store_by_url):
                continue
            engine = self._engine_in_value(var) if ENGINE_NAMES.search(name) else None
            if engine is not None:
                store_by_url[engine.id].append(var)
                continue
            if DATABASE_URL_NAMES.search(name):
                engine = self._engine_in_comment(var.comment)
                if engine is not None:
                    store_by_url[engine.id].append(var)
                    named_by_comment.add(var.name)
                    continue
                unknown_db.append(var)
            if not _CONTAINER_KNOB.search(name):
                for tech in self.catalog.by_env_name(var.name):
                    by_tech[tech.id].append(var)
            facts.extend(self._setting(var, name))
        self._join_mail_provider(by_tech)
        for tech_id in sorted(selection.selected_ids()):  # `CACHE_DRIVER=redis` is Redis, host or not
            group = store_by_url if tech_id in store_by_url else by_tech
            group[tech_id].extend(v for v in selection.selected(tech_id) if v not in group[tech_id])
        verdicts = {
            tech_id: verdict
            for tech_id, vars_ in (*by_tech.items(), *store_by_url.items())
            if (verdict := selection.verdict(self.catalog.get(tech_id), vars_)) is not None
        }
        selected_host = self._selected_host(variables)
        for tech_id, vars_ in sorted(store_by_url.items()):
            facts.append(self._store_url_fact(self.catalog.get(tech_id), vars_, named_by_comment, selected_host))
        # `SHADOW_DATABASE_URL=` (no value) beside a postgres:// DATABASE_URL says nothing new.
        unknown_db = [v for v in unknown_db if url_of(v.value) or not store_by_url]
        if unknown_db:
            facts.append(self._unknown_db_fact(unknown_db))
        for tech_id, vars_ in sorted(by_tech.items()):
            tech = self.catalog.get(tech_id)
            facts.extend(self._tech_facts(tech, vars_, store_by_url, by_tech.get(tech.credentials_of, [])))
        return [self._downgrade(f, verdicts[f.tech]) if f.tech in verdicts else f for f in facts]

    def _downgrade(self, fact: Fact, verdict: Verdict) -> Fact:
        """A backend no selector turns on: a hint, and its headline line (the store or the service's
        purpose, not a quoted comment) says why and cites the selectors."""
        if fact.field not in _HEADLINE_FIELDS or fact.rank < _HEADLINE_RANK:
            return replace(fact, confidence=Confidence.HINT)
        return replace(
            fact,
            parts=text(*fact.parts, *verdict.reason),
            confidence=Confidence.HINT,
            evidence=tuple(sorted({*fact.evidence, *self._ev(*verdict.selectors)})),
        )

    def _by_value(
        self, var: Variable, name: str, by_tech: dict[str, list[Variable]], store_by_url: dict[str, list[Variable]]
    ) -> bool:
        """Sorts a variable by what its value points at (a URL scheme, a known host); False if nothing."""
        url = url_of(var.value)
        if url and CONNECTION_NAMES.search(name):
            scheme, host = url
            tech = self.catalog.by_url_scheme(scheme)
            host_tech = self.catalog.by_host(host) if host else None
            if tech is not None and tech.category in DATA_STORE_CATEGORIES:
                store_by_url[tech.id].append(var)
                return True
            if host_tech is not None:
                by_tech[host_tech.id].append(var)
                return True
            # `DATABASE_URL=prisma://...` names a proxy, not the engine behind it.
            if tech is not None and not DATABASE_URL_NAMES.search(name):
                by_tech[tech.id].append(var)
                return True
            return False
        if MAIL_HOST_NAMES.search(name) and var.value:
            host_tech = self.catalog.by_host(var.value.strip().strip("'\""))
            if host_tech is not None:
                by_tech[host_tech.id].append(var)
                return True
        return False

    def _join_mail_provider(self, by_tech: dict[str, list[Variable]]) -> None:
        """`SMTP_HOST=smtp.sendgrid.net`: the other SMTP settings (user, password) are SendGrid's too."""
        for provider, vars_ in list(by_tech.items()):
            for var in [v for v in vars_ if MAIL_HOST_NAMES.search(v.name.upper())]:
                for generic in self.catalog.by_env_name(var.name):
                    if generic.id != provider and generic.id in by_tech:
                        vars_.extend(by_tech.pop(generic.id))

    def _engine_in_value(self, var: Variable) -> Tech | None:
        """`DB_CONNECTION=pgsql`: the value is the engine's name, a URL scheme or an alias."""
        return engine_named(self.catalog, var.value)

    def _engine_in_comment(self, comment: str) -> Tech | None:
        """`# TURSO SQLITE` above `DATABASE_URL=http://...`: the comment names the engine."""
        for tech, _, _ in self.catalog.mentions(comment) if comment else []:
            if tech.category in DATA_STORE_CATEGORIES:
                return tech
        return None

    def _setting(self, var: Variable, name: str) -> list[Fact]:
        if LOG_LEVEL_NAMES.match(name) and var.value is not None and not _debug_switch(name, var.value):
            return [self._log_level(var)]
        if name in ENV_SELECTORS and var.value:
            return [self._selector(var)]
        if MIGRATE_ON_START_NAMES.match(name) and (var.value or "").strip().strip("'\"").lower() in _TRUE_VALUES:
            return [self._migrate_on_start(var)]
        bare, public = public_suffix(name)
        if (APP_URL_NAMES.match(bare) or (public and bare == "URL")) and var.value:
            fact = self._app_url(var)
            return [fact] if fact else []
        return []

    def _selected_host(self, variables: list[Variable]) -> str:
        """The host the file's `DB_HOST` names, as merge.engines_behind_hosts matches hosts: an engine
        selector (`DB_CONNECTION=mysql`) reaches the database there, and `DB_HOST=db` beside a DDEV
        project is its MariaDB. `127.0.0.1` with `DB_PORT` is the port published on the machine."""
        values = {v.name.upper(): (v.value or "").strip().strip("'\"") for v in variables}
        host = next((value for name, value in values.items() if DB_HOST_NAMES.match(name)), "")
        if host in _LOCAL_HOSTS and self.on_host:
            port = next((value for name, value in values.items() if DB_PORT_NAMES.match(name)), "")
            return local_port_host(port) if port.isdigit() else ""
        return host

    def _store_url_fact(self, tech: Tech, vars_: list[Variable], named_by_comment: set[str],
                        selected_host: str = "") -> Fact:
        first = vars_[0]
        url = url_of(first.value)
        how: list[Part] = [" connection URL (", Code(f"{url[0]}:"), ")"] if url else []
        if ENGINE_NAMES.search(first.name.upper()):
            how = [" (", Code(f"{first.name}={redact.value(first.name, first.value or '')}"), ")"]
        if vars_[0].name in named_by_comment:
            how.append(" (engine named in the comment above it)" if self.described_by == "comment"
                       else " (engine named in its description)")
        # The scheme names a protocol; a bare host (`mongodb://documentdb`) may be a compose service
        # or workload of the repository, and the model then names the engine it runs (merge.py).
        host = url[1] if url and self.catalog.by_url_scheme(url[0]) is tech else ""
        if host in _LOCAL_HOSTS and self.on_host:  # `redis://localhost:6379`: what compose publishes there
            port = _port_of(first.value or "")
            host = local_port_host(port) if port else ""
        if not url and ENGINE_NAMES.search(first.name.upper()):  # `DB_CONNECTION=mysql` beside `DB_HOST=db`
            host = selected_host
        return Fact(
            "env.database",
            text(tech.name, ": ", *_names(vars_), *how, *self._place(vars_)),
            self._conf(vars_),
            self._ev(*vars_),
            env=self.env,
            item=tech.id,
            tech=tech.id,
            rank=40,
            order=(self.path, vars_[0].line),
            attrs=_host_attrs(host),
        )

    def _unknown_db_fact(self, vars_: list[Variable]) -> Fact:
        """A database is configured, but neither the URL scheme nor a comment names the engine."""
        url = url_of(vars_[0].value)
        how: list[Part] = [" (", Code(f"{url[0]}:"), " URL)"] if url else []
        return Fact(
            "env.database",
            text("Database, engine not stated: ", *_names(vars_), *how, *self._place(vars_)),
            Confidence.HINT,
            self._ev(*vars_),
            env=self.env,
            item="database:unknown",
            rank=70,
            order=(self.path, vars_[0].line),
        )

    def _tech_facts(self, tech: Tech, vars_: list[Variable], store_by_url: dict[str, list[Variable]],
                    cloud: list[Variable]) -> list[Fact]:
        """`cloud`: the variables of the cloud whose credentials the service takes (`credentials_of`)."""
        conf = self._conf(vars_)
        ev = self._ev(*vars_)
        order = (self.path, vars_[0].line)
        if tech.category in DATA_STORE_CATEGORIES:
            if tech.id in store_by_url:
                return []
            # `REDIS_HOST=plane-redis` names a service of the repository as the URL's host does: the
            # model then names the engine it runs (merge.py), Valkey behind Redis variables
            host = next(((v.value or "").strip().strip("'\"") for v in vars_ if v.name.upper().endswith("_HOST")), "")
            return [
                Fact(
                    "env.database",
                    text(tech.name, ": configured by ", *_names(vars_), *self._place(vars_)),
                    conf,
                    ev,
                    env=self.env,
                    item=tech.id,
                    tech=tech.id,
                    rank=45,
                    order=order,
                    attrs=_host_attrs(host),
                )
            ]
        if tech.category == "external-service":
            return self._service_facts(tech, vars_, conf, cloud)
        if tech.category == "alerting" and tech.is_a("external-service"):
            # Slack or Discord: a webhook URL posts alerts; a bot token or an OAuth app is an
            # integration the application offers its users, an external service like any other.
            hooks = [v for v in vars_ if _WEBHOOK.search(v.name.upper())]
            others = [v for v in vars_ if v not in hooks]
            facts = self._service_facts(tech, others, self._conf(others), []) if others else []
            return facts + (self._named_facts("alert.channels", tech, hooks) if hooks else [])
        if tech.category == "monitoring":
            return self._monitoring_facts(tech, vars_)
        if tech.category == "alerting" and all(_SWITCH.search(v.name.upper()) for v in vars_):
            # healthchecks' `PD_ENABLED`, `MSTEAMS_ENABLED`, `OPSGENIE_ENABLED`: switches of integrations
            # the application offers its users, with no key or address that alerts would go to
            return [replace(fact, confidence=Confidence.HINT,
                            parts=text(*fact.parts, " (only switched on or off: no key or address alerts go to)"))
                    for fact in self._named_facts("alert.channels", tech, vars_)]
        field_id = {"logging": "log.aggregation", "alerting": "alert.channels"}.get(tech.category)
        return self._named_facts(field_id, tech, vars_) if field_id else []

    def _named_facts(self, field_id: str, tech: Tech, vars_: list[Variable]) -> list[Fact]:
        return [
            Fact(
                field_id,
                text(tech.name, ": ", *_names(vars_), *self._place(vars_)),
                self._conf(vars_),
                self._ev(*vars_),
                item=tech.id,
                tech=tech.id,
                rank=45,
                order=(self.path, vars_[0].line),
            )
        ]

    def _monitoring_facts(self, tech: Tech, vars_: list[Variable]) -> list[Fact]:
        groups: dict[str, list[Variable]] = defaultdict(list)
        for var in vars_:
            upper = var.name.upper()
            if _LOGS.search(upper) and tech.is_a("logging"):
                groups["log.aggregation"].append(var)
            elif _PERFORMANCE.search(upper) and "performance" in tech.monitoring:
                if not _OFF.match((var.value or "").strip().strip("'\"")):
                    # `SENTRY_TRACES_SAMPLE_RATE: "0"` (flagsmith's production task) traces nothing
                    groups["mon.performance"].append(var)
            else:
                kind = tech.monitoring[0] if tech.monitoring else "application"
                groups[f"mon.{kind}"].append(var)
        return [
            Fact(
                field_id,
                text(tech.name, ": ", *_names(group), *self._place(group)),
                self._conf(group),
                self._ev(*group),
                item=tech.id,
                tech=tech.id,
                rank=45,
                order=(self.path, group[0].line),
                attrs={"configured": True},  # by variables: a client's settings, not the tool running
            )
            for field_id, group in sorted(groups.items())
        ]

    def _service_facts(self, tech: Tech, vars_: list[Variable], conf: Confidence,
                       cloud: list[Variable]) -> list[Fact]:
        sid = tech.id
        names = {v.name.upper() for v in vars_}
        kinds = self._credentials(tech, vars_)
        # none of its own: the file's credentials of the cloud it is part of (mastodon's S3 settings
        # sit under `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`)
        own = self.catalog.get(tech.credentials_of).credentials if cloud else ()
        shared = {} if kinds else self._credentials(tech, [v for v in cloud if v.name.upper() in own])
        purpose = tech.purpose or tech.category
        if tech.is_a("email") and all(_INBOUND.search(v.name.upper()) for v in vars_):
            # chatwoot's `MAILGUN_INGRESS_SIGNING_KEY`: the provider hands the app the mail it receives
            purpose = "Inbound email (the mail the application receives)"
        # a chat tool (Slack, Discord) with an OAuth client and nothing that posts (a webhook, a
        # channel, a bot token) is no notification channel, whatever else the app is given
        chat_app = tech.category == "alerting" and "OAuth client" in kinds and not any(
            word in name for name in names for word in ("WEBHOOK", "CHANNEL", "BOT_TOKEN"))
        if (set(kinds) == {"OAuth client"} or chat_app) and "sign-in" not in purpose.lower():
            # a client id and secret, no bot token, webhook or channel: users sign in (outline's Discord,
            # and its Slack, whose verification token serves its slash command) or install the app into
            # their workspace (formbricks' Slack, which then posts); the catalog's "Chat notifications"
            # alone would say more than the variables do
            purpose = "Sign-in or app integration"
        facts = [
            Fact(
                "ext.purpose",
                text(purpose, " (configured by ", *_names(vars_), *self._place(vars_), ")"),
                conf,
                self._ev(*vars_),
                service=sid,
                tech=sid,
                rank=50,
                item="purpose",
                order=(self.path, vars_[0].line),
            )
        ]
        described = self._description(tech, vars_, kinds)
        if described is not None:
            facts.append(self._description_fact(sid, described))
        cloud_name = self.catalog.get(tech.credentials_of).name if shared else ""
        for kind, group in sorted(kinds.items()) or sorted(shared.items()):
            facts.append(
                Fact(
                    "ext.auth",
                    text(kind[0].upper() + kind[1:], " (", *_names(group),
                         *((": ", cloud_name, " credentials, in the file of its settings") if shared else ()), ")"),
                    self._conf(group) if not shared else Confidence.INFERRED,
                    self._ev(*group),
                    service=sid,
                    tech=sid,
                    item=kind,
                    rank=40,
                    order=(self.path, group[0].line),
                )
            )
        facts.extend(self._limits_and_fallbacks(sid, vars_))
        return facts

    @staticmethod
    def _credentials(tech: Tech, vars_: list[Variable]) -> dict[str, list[Variable]]:
        """The variables among these that authenticate, by kind of credential."""
        names = {v.name.upper() for v in vars_}
        kinds: dict[str, list[Variable]] = defaultdict(list)
        for var in vars_:
            kind = auth_kind(var.name, names)
            if kind in _GENERIC_CREDENTIALS and tech.auth:
                kind = tech.auth  # the catalog knows what this service's ids, keys and secrets are
            if kind:
                kinds[kind].append(var)
        return kinds

    def _description(self, tech: Tech, vars_: list[Variable], kinds: dict[str, list[Variable]]) -> Variable | None:
        """The one comment that best says what a service is for: one that names the service, else
        the comment above its credential, else above its URL, else the first."""
        credentials = {v.name for group in kinds.values() for v in group}

        def priority(var: Variable) -> tuple[int, int, int]:
            names_it = any(found is tech for found, _, _ in self.catalog.mentions(var.comment))
            connection = CONNECTION_NAMES.search(var.name.upper())
            return (0 if names_it else 1, 1 if var.name in credentials else 2 if connection else 3, var.line)

        described = [v for v in vars_ if v.comment and not self._only_names(v.comment, tech)]
        return min(described, key=priority) if described else None

    def _only_names(self, comment: str, tech: Tech) -> bool:
        """`# STRIPE`, `# Sentry:` or `# Email settings` is a section title, not a description; so is
        a short title that ends in a section word whatever it names (linkwarden's `# AI Settings`
        above its Ollama variables), a comment that is only a link (its `# https://sdk.vercel.ai/…`
        above ANTHROPIC_API_KEY), and a list of a selector's values (docmost's `# options: smtp |
        postmark` above MAIL_DRIVER)."""
        words = re.sub(r"[^\w\s]", " ", _URL_IN_TEXT.sub(" ", comment)).split()
        if not words or (len(words) <= 3 and words[-1].lower() in _SECTION_WORDS) or _CHOICES.match(comment):
            return True
        names = {n.lower() for n in (tech.name, *tech.aliases, *tech.name.split())}
        return all(w.lower() in names or w.lower() in _SECTION_WORDS or env_from_name(w) for w in words)

    def _description_fact(self, sid: str, var: Variable) -> Fact:
        return Fact(
            "ext.purpose",
            text("“", *describe(var.comment), "” (comment above " if self.described_by == "comment"
                 else "” (description of ", Code(var.name), ")"),
            Confidence.DECLARED if not var.optional else Confidence.HINT,
            self._ev(var),
            service=sid,
            tech=sid,
            rank=20,
            item="purpose",
            order=(self.path, var.line),
        )

    def _limits_and_fallbacks(self, sid: str, vars_: list[Variable]) -> list[Fact]:
        facts = []
        for var in vars_:
            upper = var.name.upper()
            shown = redact.value(var.name, var.value) if var.value else ""
            value_part: list[Part] = [" = ", Code(shown)] if shown and shown.replace(".", "").isdigit() else []
            if _RATE.search(upper):
                field_id, label = "ext.rate_limits", "Declared limit "
            elif _TIMEOUT.search(upper):
                field_id = "ext.fallback"
                label = "Fallback setting " if "FALLBACK" in upper else "Timeout/retry setting "
            else:
                continue
            facts.append(
                Fact(
                    field_id,
                    text(label, Code(var.name), *value_part),
                    self._conf([var]),
                    self._ev(var),
                    service=sid,
                    tech=sid,
                    item=var.name,
                    rank=40,
                    order=(self.path, var.line),
                )
            )
        return facts

    def _log_level(self, var: Variable) -> Fact:
        shown = redact.value(var.name, var.value or "")
        return Fact(
            "log.levels",
            text(Code(f"{var.name}={shown}"), " by default" if var.defaulted else "", *self._place([var])),
            self._conf([var]),
            self._ev(var),
            item=f"{self.env or ''}:{var.name}",
            rank=40,
            order=(self.path, var.line),
            attrs={"environment": self.env} if self.env else {},
        )

    def _migrate_on_start(self, var: Variable) -> Fact:
        return Fact(
            "deploy.migration.strategy",
            text("On application start: ", Code(f"{var.name}={(var.value or '').strip()}"), *self._place([var]),
                 " switches on migrations as the application starts (by the variable's name)"),
            Confidence.INFERRED if not var.optional else Confidence.HINT,  # a name, not a command
            self._ev(var),
            item=f"migrate-on-start:{var.name}",
            rank=60,
            order=(self.path, var.line),
        )

    def _selector(self, var: Variable) -> Fact:
        shown = redact.value(var.name, var.value or "")
        env = self.env
        if self.env_from_selector:
            env = env_from_name(shown) or env
        return Fact(
            "env.special",
            text(Code(f"{var.name}={shown}"), " by default" if var.defaulted else "", *self._place([var])),
            self._conf([var]),
            self._ev(var),
            env=env,
            item=f"selector:{var.name}",
            rank=40,
            order=(self.path, var.line),
        )

    def _app_url(self, var: Variable) -> Fact | None:
        url = url_of(var.value)
        if not url or url[0] not in ("http", "https"):
            return None
        host = url[1]
        local = host in _LOCAL_HOSTS
        if (is_placeholder_host(host) and not local) or (local and (self.env or "development") != "development"):
            return None
        # The application's address by its name: `auth` makes NEXTAUTH_URL and AUTH_URL read as
        # secrets by name (linkwarden's development URL was a gap), but an address is none; what a
        # URL may carry (a password in it, a token) is still scrubbed, and such a URL not shown.
        raw = (var.value or "").strip().strip("'\"")
        value = redact.scrub(raw)
        if value != raw or redact.is_placeholder(raw):
            return None
        suffix = " (local)" if local else ""
        return Fact(
            "env.url",
            text(Code(value), suffix, " from ", Code(var.name), *self._place([var])),
            Confidence.INFERRED if not var.optional else Confidence.HINT,
            self._ev(var),
            env=self.env,
            rank=60,
            order=(self.path, var.line),
            attrs={"url": value},
        )
