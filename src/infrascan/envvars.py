"""What environment variables say about infrastructure, wherever they are declared.

`.env.example` files, compose `environment:`, Kubernetes and Helm `env:` lists, CI variables and
secret names all use the same vocabulary: `DATABASE_URL=postgres://...` is PostgreSQL,
`STRIPE_SECRET_KEY` is Stripe authenticated by an API key, `LOG_LEVEL=debug` is a log level.
Every detector that meets variables hands them here, so the knowledge lives once. Values are
shown only through `redact.value`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlsplit

from infrascan import redact
from infrascan.catalog import DATA_STORE_CATEGORIES, Catalog, Tech, load_catalog
from infrascan.model import Code, Confidence, Evidence, Fact, Part, text


@dataclass(frozen=True)
class Variable:
    name: str
    value: str | None
    line: int
    comment: str = ""
    optional: bool = False  # commented out in the file: an alternative, not the configuration


LOG_LEVEL_NAMES = re.compile(r"^(?:[A-Z0-9]+_)*(?:LOG_?LEVEL|LOGGING_LEVEL|LOG_FORMAT)$|^RUST_LOG$|^DEBUG$")
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
APP_URL_NAMES = re.compile(
    r"^(?:APP|BASE|PUBLIC|SITE|WEB|FRONTEND|HOST|SERVER|ROOT|APP_BASE|WEBAPP|CANONICAL|NEXTAUTH|AUTH)_URL$"
)
CONNECTION_NAMES = re.compile(r"(?:^|_)(?:URL|URI|DSN|ADDR|ADDRESS|HOST|ENDPOINT|SERVER|BROKER_URL)$")
_TIMEOUT = re.compile(
    r"(?:^|_)(?:TIMEOUT|TIMEOUT_MS|TIMEOUT_SECONDS|RETRIES|RETRY|MAX_RETRIES|RETRY_COUNT|FALLBACK\w*)$"
)
_RATE = re.compile(r"(?:^|_)(?:RATE_?LIMIT\w*|RPM|RPS|TPM|MAX_REQUESTS\w*|THROTTLE\w*|QUOTA)$")
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "::1", "host.docker.internal"})
_PERFORMANCE = re.compile(r"(?:^|_)(?:TRACE|TRACES|TRACING|APM|PROFILING|PROFILER|PROFILES|SAMPLE_RATE|SPANS)(?:_|$)")
_LOGS = re.compile(r"(?:^|_)LOGS?(?:_|$)")


def auth_kind(name: str, names_of_service: set[str]) -> str | None:
    """The kind of credential a variable holds, never its value (detection-spec §2.5)."""
    upper = name.upper()
    if upper.endswith("_WEBHOOK_SECRET") or upper.endswith("_SIGNING_SECRET"):
        return "signed inbound webhooks"
    if upper.endswith("_CLIENT_SECRET") or upper.endswith("_CLIENT_ID"):
        base = upper.rsplit("_CLIENT_", 1)[0]
        if {f"{base}_CLIENT_ID", f"{base}_CLIENT_SECRET"} <= names_of_service:
            return "OAuth client"
        return "OAuth client" if upper.endswith("_CLIENT_SECRET") else None
    if upper.endswith("_DSN"):
        return "DSN"
    if upper == "AWS_ACCESS_KEY_ID" or upper.endswith("_ACCESS_KEY_ID"):
        return "static access keys"
    if (
        upper in ("GOOGLE_APPLICATION_CREDENTIALS",)
        or upper.endswith("_SERVICE_ACCOUNT_JSON")
        or upper.endswith("_CREDENTIALS_JSON")
    ):
        return "service-account credentials file"
    if re.search(r"(?:^|_)(?:PASSWORD|PASS|PWD)$", upper):
        return "username and password"
    if re.search(
        r"(?:^|_)(?:API_?KEY|KEY|TOKEN|SECRET|SECRET_KEY|ACCESS_TOKEN|AUTH_TOKEN|PRIVATE_KEY|LICENSE_KEY"
        r"|ROUTING_KEY|INTEGRATION_KEY)$",
        upper,
    ):
        return "API key or token"
    return None


def _url_of(value: str | None) -> tuple[str, str] | None:
    if not value or "://" not in value:
        return None
    raw = value.strip().strip("'\"")
    if raw.startswith("jdbc:"):
        raw = raw[5:]
    try:
        parts = urlsplit(raw)
    except ValueError:
        return None
    if not parts.scheme:
        return None
    return parts.scheme.lower(), (parts.hostname or "").lower()


def is_placeholder_host(host: str) -> bool:
    """Hosts that are never a real environment's address (detection-spec §1.4)."""
    if not host or host in _LOCAL_HOSTS:
        return True
    return (
        host.endswith((".local", ".test", ".invalid", ".localhost", ".example"))
        or host.startswith("example.")
        or ".example." in host
        or host.startswith(("your-", "your_", "<", "$", "{"))
        or "${" in host
        or host in ("example.com", "example.org", "example.net")
        or host.endswith(".example.com")
    )


def _names(vars_: list[Variable], limit: int = 3) -> list[Part]:
    parts: list[Part] = []
    for i, var in enumerate(vars_[:limit]):
        if i:
            parts.append(", ")
        parts.append(Code(var.name))
    if len(vars_) > limit:
        parts.append(f" and {len(vars_) - limit} more")
    return parts


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
    ) -> None:
        self.path = path
        self.detector = detector
        self.env = env
        self.where = where  # ("in ", Code(".env.example")), ("in compose service ", Code("web"))
        self.confidence = confidence
        self.catalog = catalog or load_catalog()

    def _ev(self, *vars_: Variable) -> tuple[Evidence, ...]:
        return tuple(sorted({Evidence(self.path, v.line, self.detector) for v in vars_}))

    def _conf(self, vars_: list[Variable]) -> Confidence:
        return Confidence.HINT if all(v.optional for v in vars_) else self.confidence

    def facts(self, variables: list[Variable]) -> list[Fact]:
        facts: list[Fact] = []
        by_tech: dict[str, list[Variable]] = defaultdict(list)
        store_by_url: dict[str, list[Variable]] = defaultdict(list)
        for var in variables:
            name = var.name.upper()
            url = _url_of(var.value)
            if url and CONNECTION_NAMES.search(name):
                scheme, host = url
                tech = self.catalog.by_url_scheme(scheme)
                host_tech = self.catalog.by_host(host) if host else None
                if tech is not None and tech.category in DATA_STORE_CATEGORIES:
                    store_by_url[tech.id].append(var)
                    continue
                if host_tech is not None:
                    by_tech[host_tech.id].append(var)
                    continue
                if tech is not None:
                    by_tech[tech.id].append(var)
                    continue
            if name in ("SMTP_HOST", "EMAIL_HOST", "MAIL_HOST", "SMTP_SERVER") and var.value:
                host_tech = self.catalog.by_host(var.value.strip().strip("'\""))
                if host_tech is not None:
                    by_tech[host_tech.id].append(var)
                    continue
            for tech in self.catalog.by_env_name(var.name):
                by_tech[tech.id].append(var)
            if LOG_LEVEL_NAMES.match(name) and var.value is not None:
                facts.append(self._log_level(var))
            elif name in ENV_SELECTORS and var.value:
                facts.append(self._selector(var))
            elif APP_URL_NAMES.match(name) and var.value:
                fact = self._app_url(var)
                if fact:
                    facts.append(fact)
        for tech_id, vars_ in sorted(store_by_url.items()):
            tech = self.catalog.get(tech_id)
            url = _url_of(vars_[0].value)
            scheme = f"{url[0]}://" if url else ""
            facts.append(
                Fact(
                    "env.database",
                    text(
                        tech.name,
                        ": ",
                        *_names(vars_),
                        " connection URL (",
                        Code(scheme),
                        ") ",
                        *self.where,
                    ),
                    self._conf(vars_),
                    self._ev(*vars_),
                    env=self.env,
                    item=tech.id,
                    tech=tech.id,
                    rank=40,
                    order=(self.path, vars_[0].line),
                )
            )
        for tech_id, vars_ in sorted(by_tech.items()):
            facts.extend(self._tech_facts(self.catalog.get(tech_id), vars_, store_by_url))
        return facts

    def _tech_facts(self, tech: Tech, vars_: list[Variable], store_by_url: dict[str, list[Variable]]) -> list[Fact]:
        conf = self._conf(vars_)
        ev = self._ev(*vars_)
        order = (self.path, vars_[0].line)
        if tech.category in DATA_STORE_CATEGORIES:
            if tech.id in store_by_url:
                return []
            return [
                Fact(
                    "env.database",
                    text(tech.name, ": configured by ", *_names(vars_), " ", *self.where),
                    conf,
                    ev,
                    env=self.env,
                    item=tech.id,
                    tech=tech.id,
                    rank=45,
                    order=order,
                )
            ]
        if tech.category == "external-service":
            return self._service_facts(tech, vars_, conf)
        if tech.category == "monitoring":
            facts = []
            groups: dict[str, list[Variable]] = defaultdict(list)
            for var in vars_:
                upper = var.name.upper()
                if _LOGS.search(upper) and tech.is_a("logging"):
                    groups["log.aggregation"].append(var)
                elif _PERFORMANCE.search(upper) and "performance" in tech.monitoring:
                    groups["mon.performance"].append(var)
                else:
                    kind = tech.monitoring[0] if tech.monitoring else "application"
                    groups[f"mon.{kind}"].append(var)
            for field_id, group in sorted(groups.items()):
                facts.append(
                    Fact(
                        field_id,
                        text(tech.name, ": ", *_names(group), " ", *self.where),
                        self._conf(group),
                        self._ev(*group),
                        item=tech.id,
                        tech=tech.id,
                        rank=45,
                        order=(self.path, group[0].line),
                    )
                )
            return facts
        if tech.category == "logging":
            return [
                Fact(
                    "log.aggregation",
                    text(tech.name, ": ", *_names(vars_), " ", *self.where),
                    conf,
                    ev,
                    item=tech.id,
                    tech=tech.id,
                    rank=45,
                    order=order,
                )
            ]
        if tech.category == "alerting":
            return [
                Fact(
                    "alert.channels",
                    text(tech.name, ": ", *_names(vars_), " ", *self.where),
                    conf,
                    ev,
                    item=tech.id,
                    tech=tech.id,
                    rank=45,
                    order=order,
                )
            ]
        return []

    def _service_facts(self, tech: Tech, vars_: list[Variable], conf: Confidence) -> list[Fact]:
        facts: list[Fact] = []
        sid = tech.id
        purpose = tech.purpose or tech.category
        facts.append(
            Fact(
                "ext.purpose",
                text(purpose, " (configured by ", *_names(vars_), " ", *self.where, ")"),
                conf,
                self._ev(*vars_),
                service=sid,
                tech=sid,
                rank=50,
                item="purpose",
                order=(self.path, vars_[0].line),
            )
        )
        for var in vars_:
            if var.comment:
                facts.append(
                    Fact(
                        "ext.purpose",
                        text("“", var.comment, "” (comment above ", Code(var.name), ")"),
                        Confidence.DECLARED if not var.optional else Confidence.HINT,
                        self._ev(var),
                        service=sid,
                        tech=sid,
                        rank=20,
                        item="purpose",
                        order=(self.path, var.line),
                    )
                )
        names = {v.name.upper() for v in vars_}
        kinds: dict[str, list[Variable]] = defaultdict(list)
        for var in vars_:
            kind = auth_kind(var.name, names)
            if kind:
                kinds[kind].append(var)
        for kind, group in sorted(kinds.items()):
            facts.append(
                Fact(
                    "ext.auth",
                    text(kind[0].upper() + kind[1:], " (", *_names(group), ")"),
                    self._conf(group),
                    self._ev(*group),
                    service=sid,
                    tech=sid,
                    item=kind,
                    rank=40,
                    order=(self.path, group[0].line),
                )
            )
        for var in vars_:
            upper = var.name.upper()
            shown = redact.value(var.name, var.value) if var.value else ""
            value_part: list[Part] = [" = ", Code(shown)] if shown and shown.replace(".", "").isdigit() else []
            if _RATE.search(upper):
                facts.append(
                    Fact(
                        "ext.rate_limits",
                        text("Declared limit ", Code(var.name), *value_part),
                        self._conf([var]),
                        self._ev(var),
                        service=sid,
                        tech=sid,
                        item=var.name,
                        rank=40,
                        order=(self.path, var.line),
                    )
                )
            elif _TIMEOUT.search(upper):
                label = "Fallback setting " if "FALLBACK" in upper else "Timeout/retry setting "
                facts.append(
                    Fact(
                        "ext.fallback",
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
        where: list[Part] = [" ", *self.where]
        return Fact(
            "log.levels",
            text(Code(f"{var.name}={shown}"), *where),
            self._conf([var]),
            self._ev(var),
            item=f"{self.env or ''}:{var.name}",
            rank=40,
            order=(self.path, var.line),
            attrs={"environment": self.env} if self.env else {},
        )

    def _selector(self, var: Variable) -> Fact:
        shown = redact.value(var.name, var.value or "")
        return Fact(
            "env.special",
            text(Code(f"{var.name}={shown}"), " ", *self.where),
            self._conf([var]),
            self._ev(var),
            env=self.env,
            item=f"selector:{var.name}",
            rank=40,
            order=(self.path, var.line),
        )

    def _app_url(self, var: Variable) -> Fact | None:
        url = _url_of(var.value)
        if not url or url[0] not in ("http", "https"):
            return None
        host = url[1]
        local = host in _LOCAL_HOSTS
        if (is_placeholder_host(host) and not local) or (local and (self.env or "development") != "development"):
            return None
        value = redact.value(var.name, (var.value or "").strip().strip("'\""))
        if value in (redact.REDACTED, redact.PLACEHOLDER):
            return None
        suffix = " (local)" if local else ""
        return Fact(
            "env.url",
            text(Code(value), suffix, " from ", Code(var.name), " ", *self.where),
            Confidence.INFERRED if not var.optional else Confidence.HINT,
            self._ev(var),
            env=self.env,
            rank=60,
            order=(self.path, var.line),
            attrs={"url": value},
        )
