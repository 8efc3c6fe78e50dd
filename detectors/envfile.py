"""The `.env.example` family: which services an application is configured for.

Variable names name technologies (`STRIPE_SECRET_KEY` is Stripe, by an API key), connection URLs
name database engines by their scheme, and the comment block above a key says what it is for.
Example files are not safe (real repositories commit working keys in them), so values are shown
only for a few harmless keys and always through redaction. A plain `.env` is never read;
committed environment files (`.env.production`) are read for names, and for the scheme of a
connection URL (`postgres://`: the engine, never the credentials or host that follow it).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from infrascan.detector import Detector, Extraction, SourceFile
from infrascan.environments import env_from_name
from infrascan.envselect import is_selector
from infrascan.envvars import CONNECTION_NAMES, ENV_SELECTORS, LOG_LEVEL_NAMES, Variable, VariableReader
from infrascan.model import Confidence

from .dockerfile import resolve_args

_ASSIGNMENT = re.compile(r"^\s*(?P<hash>#\s*)?(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_.\-]*)\s*=\s*(?P<rest>.*)$")
_LONE_KEY = re.compile(r"^\s*#\s*(?P<key>[A-Z][A-Z0-9_]*_[A-Z0-9_]+)\s*$")
_BANNER = re.compile(r"^\s*#\s*(?:[-=#*~_]{3,}.*|.*[-=#*~_]{3,})\s*$")
_INLINE_COMMENT = re.compile(r"\s+#")
_EXAMPLE_WORDS = re.compile(r"(?i)(?:^|[._-])(?:example|sample|template|dist|defaults?|env)(?=$|[._-])")
MAX_VALUE_LINES = 200
_URL_SCHEME = re.compile(r"(?:jdbc:)?([A-Za-z][A-Za-z0-9+.-]*)://")
# committed environment files, by their environment's full name or its short one (ghostfolio's
# development guide says to copy `.env.dev` to `.env`)
_REAL_FILES = frozenset({".env.development", ".env.production", ".env.test", ".env.staging", ".env.dev", ".env.prod"})
_CHOICE = re.compile(r"[A-Za-z][\w.-]{0,31}")  # a word a setting chooses, never a key or a password


def _committed_value(var: Variable) -> str | None:
    """What a committed file's value says without a secret: `postgres://` of outline's
    `DATABASE_URL=postgres://user:pass@127.0.0.1:5432/outline` names the engine. Only a value
    written `scheme://`: in `admin:pw@db:5432` or `db01.corp:5432/app` the first word is a user
    or a host. A setting that only chooses (`DB_CONNECTION=pgsql`, `APP_ENV=production`,
    `LOG_LEVEL=debug` of solidtime's `.env.production`, which its images ship) keeps a one-word value."""
    name = var.name.upper()
    if is_selector(name) or name in ENV_SELECTORS or LOG_LEVEL_NAMES.match(name):
        value = (var.value or "").strip().strip("'\"")
        return value if _CHOICE.fullmatch(value) else None
    if not CONNECTION_NAMES.search(name):
        return None
    match = _URL_SCHEME.match((var.value or "").strip().strip("'\""))
    return f"{match.group(1).lower()}://" if match else None


def _expand(value: str, earlier: list[Variable]) -> str:
    """`${NAME}`, `${NAME:-default}` and `$NAME` from the variables set above it in the same file, as
    dotenv expands them (the Dockerfile's ARG resolution: the same syntax); one not set there stays."""
    return resolve_args(value, {v.name: v.value for v in earlier if v.value is not None and not v.optional})


def parse_env_file(text: str) -> list[Variable]:
    """Dotenv syntax, line by line: comments, `export`, quotes, multi-line values, commented keys.

    python-dotenv drops comments, which hold the descriptions and the optional keys, so the
    syntax is read here. A comment block directly above a key (up to a blank line or a banner)
    is its description; `# KEY=value` and a lone `# KEY` are optional (commented-out) keys.
    """
    variables: list[Variable] = []
    comment: list[str] = []
    lines = text.lstrip("\ufeff").splitlines()
    i = 0
    while i < len(lines):
        raw = lines[i]
        line_no = i + 1
        i += 1
        stripped = raw.strip()
        match = _ASSIGNMENT.match(raw)
        if match and (not match.group("hash") or _looks_like_assignment(match.group("key"))):
            value, consumed = _value(match.group("rest"), lines, i)
            i += consumed
            optional = bool(match.group("hash"))
            if value and "$" in value:  # `REDIS_URL=redis://${REDIS_HOST}:6379` (plane): as dotenv expands it
                value = _expand(value, variables)
            variables.append(Variable(match.group("key"), value, line_no, "\n".join(comment), optional=optional))
            comment = []
        elif (lone := _LONE_KEY.match(raw)) is not None:
            variables.append(Variable(lone.group("key"), None, line_no, "\n".join(comment), optional=True))
            comment = []
        elif stripped.startswith("#") and not _BANNER.match(stripped):
            comment.append(stripped.lstrip("#").strip())
        else:  # a blank line, a banner or a line that is not dotenv syntax ends the description
            comment = []
    return variables


def _looks_like_assignment(key: str) -> bool:
    """`# SENTRY_DSN=` is a commented-out key; `# Set this=that` is prose."""
    return key.isupper()


def _value(rest: str, lines: list[str], index: int) -> tuple[str, int]:
    """The value after `=` and how many further lines it used.

    Quoted values may span lines (up to MAX_VALUE_LINES; an unterminated quote is read as the
    rest of its own line, as dotenv does, so one stray quote does not swallow the file). ` #`
    starts a comment only in unquoted values.
    """
    rest = rest.strip()
    if not rest or rest[0] not in "\"'`":
        return _INLINE_COMMENT.split(rest, maxsplit=1)[0].strip(), 0
    quote = rest[0]
    chunks = [rest[1:]]
    for consumed in range(min(MAX_VALUE_LINES, len(lines) - index) + 1):
        if consumed:
            chunks.append(lines[index + consumed - 1])
        end = _closing_quote(chunks[-1], quote)
        if end >= 0:
            chunks[-1] = chunks[-1][:end]
            value = "\n".join(chunks)
            return (value.replace('\\"', '"') if quote == '"' else value), consumed
    return rest[1:], 0


def _closing_quote(chunk: str, quote: str) -> int:
    """Index of the quote that closes a value; a backslash escapes it inside double quotes."""
    i = 0
    while i < len(chunk):
        if chunk[i] == "\\" and quote == '"':
            i += 2
            continue
        if chunk[i] == quote:
            return i
        i += 1
    return -1


class EnvFileDetector(Detector):
    name = "envfile"
    version = "10"
    description = ".env.example-style files: variable names, connection URLs, descriptions"
    patterns = (
        ".env.{example,sample,template,dist,defaults}",
        ".env.*.{example,sample,template}",
        ".env.{example,sample,template}.*",
        "{example,sample}.env",
        ".{example,sample}.env",  # kutt's .example.env
        "env.{example,sample,template}",
        "*.env.{example,sample,template}",
        ".env-{example,sample,template}",
        ".env.{development,production,test,staging,dev,prod}",
    )
    looks_for = {
        "env.url": "APP_URL-style variables in .env example files",
        "env.database": "DATABASE_URL schemes and database variables in .env example files",
        "env.special": "NODE_ENV/RAILS_ENV-style variables in .env example files",
        "mon.application": "monitoring variables (SENTRY_, DD_, NEW_RELIC_, OTEL_) in .env example files",
        "mon.performance": "tracing variables in .env example files",
        "log.aggregation": "log service variables in .env example files",
        "log.levels": "LOG_LEVEL-style variables in .env example files",
        "alert.channels": "alerting variables (PAGERDUTY_, SLACK_WEBHOOK_URL) in .env example files",
        "ext.purpose": "service variables and their comments in .env example files",
        "ext.auth": "credential variable names in .env example files",
        "ext.rate_limits": "RATE_LIMIT/RPM variables in .env example files",
        "ext.fallback": "TIMEOUT/RETRIES/FALLBACK variables in .env example files",
    }

    def extract(self, file: SourceFile) -> Extraction:
        name = PurePosixPath(file.path).name
        real_file = name in _REAL_FILES
        variables = parse_env_file(file.text)
        if real_file:  # committed environment files: names are evidence, values are secrets
            variables = [Variable(v.name, _committed_value(v), v.line, v.comment, v.optional) for v in variables]
        named_env = env_from_name(_EXAMPLE_WORDS.sub(".", name))
        reader = VariableReader(
            path=file.path,
            detector=self.name,
            env=named_env or "development",
            where=("in committed .env files" if real_file else "in .env examples",),
            confidence=Confidence.INFERRED,
            env_from_selector=named_env is None,
            on_host=True,
        )
        return Extraction(facts=reader.facts(variables))
