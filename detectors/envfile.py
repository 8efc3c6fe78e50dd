"""The `.env.example` family: which services an application is configured for.

Variable names name technologies (`STRIPE_SECRET_KEY` is Stripe, by an API key), connection URLs
name database engines by their scheme, and the comment block above a key says what it is for.
Example files are not safe (real repositories commit working keys in them), so values are shown
only for a few harmless keys and always through redaction. A plain `.env` is never read;
committed environment files (`.env.production`) are read for names only.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from infrascan.detector import Detector, Extraction, SourceFile
from infrascan.environments import env_from_name
from infrascan.envvars import Variable, VariableReader
from infrascan.model import Code, Confidence

_ASSIGNMENT = re.compile(r"^\s*(?P<hash>#\s*)?(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_.\-]*)\s*=\s*(?P<rest>.*)$")
_BANNER = re.compile(r"^\s*#\s*(?:[-=#*~_]{3,}.*|.*[-=#*~_]{3,})\s*$")
_EXAMPLE_WORDS = re.compile(r"(?i)(?:^|[._-])(?:example|sample|template|dist|defaults?|env)(?=$|[._-])")
_REAL_FILES = frozenset({".env.development", ".env.production", ".env.test", ".env.staging"})
_SEE = re.compile(r"@see\s+\S+|https?://\S+")


def parse_env_file(text: str) -> list[Variable]:
    """Dotenv syntax, line by line: comments, `export`, quotes, multi-line values, commented keys."""
    variables: list[Variable] = []
    comment: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        raw = lines[i]
        line_no = i + 1
        i += 1
        stripped = raw.strip()
        if not stripped:
            comment = []
            continue
        match = _ASSIGNMENT.match(raw)
        if match and (not match.group("hash") or _looks_like_assignment(match.group("key"), match.group("rest"))):
            rest = match.group("rest")
            value, consumed = _value(rest, lines, i)
            i += consumed
            description = " ".join(comment).strip()
            variables.append(
                Variable(
                    match.group("key"),
                    value,
                    line_no,
                    _SEE.sub("", description).strip(" .:-"),
                    optional=bool(match.group("hash")),
                )
            )
            comment = []
            continue
        if stripped.startswith("#"):
            if _BANNER.match(stripped):
                comment = []
            else:
                comment.append(stripped.lstrip("#").strip())
            continue
        comment = []
    return variables


def _looks_like_assignment(key: str, rest: str) -> bool:
    """`# SENTRY_DSN=` is a commented-out key; `# Set this = that` is prose."""
    return key.isupper() and " " not in rest.strip()[:1]


def _value(rest: str, lines: list[str], index: int) -> tuple[str, int]:
    rest = rest.strip()
    if rest and rest[0] in "\"'":
        quote = rest[0]
        body = rest[1:]
        consumed = 0
        while quote not in body and index + consumed < len(lines):
            body += "\n" + lines[index + consumed]
            consumed += 1
        return body.split(quote, 1)[0], consumed
    return re.split(r"\s+#", rest, maxsplit=1)[0].strip(), 0


class EnvFileDetector(Detector):
    name = "envfile"
    version = "1"
    description = ".env.example-style files: variable names, connection URLs, descriptions"
    patterns = (
        ".env.{example,sample,template,dist,defaults}",
        ".env.*.{example,sample,template}",
        ".env.{example,sample,template}.*",
        "{example,sample}.env",
        "env.{example,sample,template}",
        "*.env.{example,sample,template}",
        ".env-{example,sample,template}",
        ".env.{development,production,test,staging}",
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
            variables = [Variable(v.name, None, v.line, v.comment, v.optional) for v in variables]
        env = env_from_name(_EXAMPLE_WORDS.sub(".", name)) or "development"
        reader = VariableReader(
            path=file.path, detector=self.name, env=env, where=("in ", Code(name)), confidence=Confidence.INFERRED
        )
        return Extraction(facts=reader.facts(variables))
