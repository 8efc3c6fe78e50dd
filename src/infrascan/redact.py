"""The one redaction function every output path uses.

Example files are not safe (real repositories commit working keys in `.env.example`), so any
value read from a repository passes through `scrub` on its way to markdown, JSON, drift reports,
diagnostics and logs. Detectors also call `value` when they are about to show the value of a
key, so a password under a harmless-looking value is caught by its key name.

infrascan's own metadata (commit ids, image digests `sha256:...`, pinned action SHAs) is not a
secret and is left alone.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache

REDACTED = "[redacted]"
PLACEHOLDER = "[placeholder]"

SECRET_KEY = re.compile(
    r"(?i)secret|token|passw|pwd|api_?key|apikey|private|credential|dsn|auth|salt|signing|webhook"
    r"|cert|license|access_?key|session_?key|encryption_?key|master_?key|_key$|^key$|cookie|jwt"
)

_TOKEN_SHAPES = re.compile(
    r"""
      (?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[A-Z0-9]{16}          # AWS access key ids
    | (?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{8,}                     # Stripe keys
    | whsec_[A-Za-z0-9]{16,}                                         # Stripe webhook secrets
    | sk-(?:ant-|proj-)?(?=[A-Za-z0-9_\-]*[0-9])(?=[A-Za-z0-9_\-]*[A-Z])[A-Za-z0-9_\-]{20,}  # OpenAI / Anthropic
    | gh[pousr]_[A-Za-z0-9]{20,}                                     # GitHub tokens
    | github_pat_[A-Za-z0-9_]{20,}
    | glpat-[A-Za-z0-9_\-]{16,}                                      # GitLab tokens
    | xox[abposr]-[A-Za-z0-9\-]{8,}                                  # Slack tokens
    | AIza[0-9A-Za-z_\-]{30,}                                        # Google API keys
    | ya29\.[0-9A-Za-z_\-]{20,}                                      # Google OAuth tokens
    | SG\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}                   # SendGrid
    | key-[0-9a-f]{32}                                               # Mailgun
    | re_[A-Za-z0-9]{8,}_[A-Za-z0-9]{8,}                             # Resend
    | SK[0-9a-f]{32}                                                 # Twilio API keys
    | npm_[A-Za-z0-9]{30,}                                           # npm tokens
    | eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}(?:\.[A-Za-z0-9_\-]*)?  # JWTs
    """,
    re.X,
)
_PEM = re.compile(r"-----BEGIN[A-Z0-9 ]*-----.*?(?:-----END[A-Z0-9 ]*-----|\Z)", re.S)
_URL_WITH_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^\s/@'\"<>]+@([^\s/?#'\"<>:]+)[^\s'\"<>]*")
# URLs that are credentials: a notification webhook posts as its owner, a platform's deploy hook
# (Vercel, Netlify build hooks, Render's `?key=`) deploys for whoever calls it.
_SECRET_URL = re.compile(
    r"(?i)(?:\bhttps?://|(?<![\w./@-]))(hooks\.slack\.com|discord(?:app)?\.com/api/webhooks|events\.pagerduty\.com/integration"
    r"|outlook\.office\.com/webhook|[a-z0-9.\-]*webhook\.office\.com|api\.vercel\.com/v1/integrations/deploy"
    r"|api\.netlify\.com/build_hooks|api\.render\.com/deploy)[^\s'\"<>]*"
)
_SECRET_ASSIGNMENT = re.compile(
    r"(?i)(\b[A-Za-z0-9_.\-]*(?:secret|token|passw|pwd|api[_-]?key|apikey|credential|private[_-]?key)"
    r"[A-Za-z0-9_.\-]*\s*=(?!=)\s*)(?!\"?\$|\[redacted\])(\"[^\"]*\"|'[^']*'|[^\s,;'\"]+)"
)  # `=` assigns; `==` compares (`outputs.colors_to_tokens == 'true'` in a job's `if:`) and is shown
_SECRET_FLAG = re.compile(
    r"(?i)((?<![\w-])--?[A-Za-z0-9\-]*(?:secret|token|passw|pwd|api-?key|apikey)[A-Za-z0-9\-]*\s+)"
    r"(?!\"?\$|-|\[redacted\])(\"[^\"]*\"|'[^']*'|[^\s,;'\"]+)"
)
# MySQL and MariaDB clients take the password glued to `-p` (`mysql -uroot -pRootPass123`).
_MYSQL_PASSWORD = re.compile(
    r"(?i)(\b(?:mysql|mariadb)[\w-]*\b[^|;&\n]*?\s-p)(?!\"?\$|'?\$|\[redacted\])(\"[^\"]*\"|'[^']*'|[^\s'\"]+)"
)
_AUTH_HEADER = re.compile(r"(?i)(authorization:\s*(?:bearer\s+|basic\s+|token\s+)?)(?!\$)([^\s'\"]+)")
# `curl -u admin:hunter2`, `wget --user=deploy:pw`: the user stays, the password after its colon goes.
# Not a numeric `uid:gid` (`docker run -u 1000:1000`).
_USER_PASSWORD = re.compile(
    r"((?<!\S)(?:-u|--user)(?:\s+|=)[\"']?[^\s:'\"$]+:)(?!\$|\[redacted\]|\d+(?:[\s'\"]|$))([^\s'\"]+)")
# `composer config http-basic.repo.example.com deploy s3cr3t` and its token forms (a private
# package repository's credentials, typical of Platform.sh build hooks).
_COMPOSER_AUTH = re.compile(
    r"(?i)(\bconfig\b[^|;&\n]*?\b(?:(?:http-basic|bitbucket-oauth)\.\S+\s+\S+|"
    r"(?:github-oauth|gitlab-oauth|gitlab-token|bearer)\.\S+)\s+)(?![\"']?\$|\[redacted\])([^\s'\"]+)"
)
_CANDIDATE = re.compile(r"[A-Za-z0-9+/=_\-]{20,}")
_EXEMPT_BEFORE = re.compile(r"(?:sha256:|sha512:|@)$")
_PLACEHOLDER_VALUE = re.compile(
    r"(?i)^(?:|changeme|change[_-]?me|xxx+|\*+|\.\.\.|todo|replace[_-]?me|update[_-]?me|secret|password|none|null"
    r"|your[_-].*|<.*>|\[.*\]|\{\{.*\}\}|\$\{.*\}|\$[A-Z_][A-Z0-9_]*|.*_here|example|dummy|test|fake.*)$"
)


def shannon_entropy(data: str) -> float:
    if not data:
        return 0.0
    counts = Counter(data)
    total = len(data)
    return -sum(c / total * math.log2(c / total) for c in counts.values())


_WORDY = re.compile(r"[a-z]{3,}|[A-Z][a-z]{2,}")
_SEPARATORS = re.compile(r"[/_.\-]")
_CAMEL_WORD = re.compile(r"[A-Z][a-z]{2,}|[a-z]{3,}|[0-9]+")
_HEX = re.compile(r"[0-9a-fA-F]+")
_DIGIT = re.compile(r"[0-9]")
_LETTER = re.compile(r"[A-Za-z]")
_LOWER = re.compile(r"[a-z]")
_UPPER = re.compile(r"[A-Z]")


def _looks_like_a_name(token: str) -> bool:
    """Paths and identifiers (`db/migrate/20240115_add_users.rb`, `services/payments-api/values`) are
    words joined by separators, or camelCase words (`k8sContainerCpuUsageSecondsTotal`, a Helm
    values key); credentials are not."""
    pieces = [p for p in _SEPARATORS.split(token) if p]
    if len(pieces) < 2:
        # three capitalised words at least, digits not counted as words: lowercase hex and base36
        # keys (Datadog's, Twilio's) are runs of letters and digits too
        words = _CAMEL_WORD.findall(token)
        capitalised = sum(1 for w in words if w[0].isupper())
        return capitalised >= 3 and sum(map(len, words)) * 10 >= len(token) * 9
    wordy = sum(1 for p in pieces if p.isdigit() or _WORDY.fullmatch(p))
    return wordy * 2 >= len(pieces)


@lru_cache(maxsize=65536)
def _high_entropy(token: str) -> bool:
    """detect-secrets' defaults: base64 alphabet above 4.5 bits, hex above 3.0, length >= 20.

    Memoised: the same path pieces (`github/workflows/svc001`) recur in thousands of distinct texts."""
    if len(token) < 20 or token.isdigit() or _looks_like_a_name(token):
        return False
    if _HEX.fullmatch(token):
        return shannon_entropy(token) > 3.0
    if not (_DIGIT.search(token) and _LETTER.search(token)):
        return False
    return shannon_entropy(token) > 4.5 or (
        len(token) >= 32
        and bool(_LOWER.search(token))
        and bool(_UPPER.search(token))
        and shannon_entropy(token) > 4.0
    )


# A DynamoDB table's schema keys, named exactly so (its `hash_key = "Id"` was `[redacted]`): not
# `cookie_hash_key` (an HMAC key) nor `primary_key` (Azure's access keys), which stay secrets
_SCHEMA_KEY = re.compile(r"(?i)^(?:hash|range|sort|partition)_key$")


def is_secret_key(key: str) -> bool:
    return bool(SECRET_KEY.search(key)) and not _SCHEMA_KEY.search(key)


def is_placeholder(value: str) -> bool:
    return bool(_PLACEHOLDER_VALUE.match(value.strip()))


def looks_secret(value: str) -> bool:
    """True when a value has the shape of a credential whatever key it sits under."""
    return (
        bool(_TOKEN_SHAPES.search(value))
        or bool(_PEM.search(value))
        or bool(_URL_WITH_USERINFO.search(value))
        or any(_high_entropy(tok) for tok in _CANDIDATE.findall(value))
    )


def value(key: str, raw: str) -> str:
    """What may be shown of the value of `key`: the value, `[placeholder]` or `[redacted]`."""
    stripped = raw.strip()
    if is_secret_key(key):
        return PLACEHOLDER if is_placeholder(stripped) else REDACTED
    scrubbed = scrub(stripped)
    return scrubbed


def _scrub_candidate(match: re.Match[str]) -> str:
    token = match.group(0)
    if not _high_entropy(token):
        return token
    before = match.string[max(0, match.start() - 8) : match.start()]
    return token if _EXEMPT_BEFORE.search(before) else REDACTED


# Every pattern below needs one of these: a scheme, a PEM header, a run of 8+ token characters
# (the shortest secret shape), a secret-like word, a MySQL client's glued `-p`, a `-u`/`--user`
# flag or a Composer auth key. Text with none of them is returned as is.
_SUSPICIOUS = re.compile(
    r"://|-----BEGIN|[A-Za-z0-9+/=_\-]{8}|(?i:secret|token|passw|pwd|api.?key|authorization)| -p\S|-u[\s=]|--user"
    r"|(?i:http-basic|-oauth|bearer)\."
)


@lru_cache(maxsize=131072)
def scrub(text: str) -> str:
    """Removes anything secret-shaped from text bound for any output (memoised: paths repeat a lot)."""
    if not text or not _SUSPICIOUS.search(text):
        return text
    # Each pattern runs only on text holding a literal it cannot match without (`=` for an
    # assignment, `://` for a URL): the assignment pattern alone backtracks through every word.
    if "-----BEGIN" in text:
        text = _PEM.sub(REDACTED, text)
    if "://" in text and "@" in text:
        text = _URL_WITH_USERINFO.sub(lambda m: f"{m.group(1)}{m.group(2)}", text)
    if "://" in text or ".com/" in text:  # a webhook or deploy hook, with its scheme or without
        text = _SECRET_URL.sub(lambda m: f"https://{m.group(1).split('/')[0]}/{REDACTED}", text)
    text = _TOKEN_SHAPES.sub(REDACTED, text)
    if " -p" in text and ("mysql" in text.lower() or "mariadb" in text.lower()):
        text = _MYSQL_PASSWORD.sub(lambda m: m.group(1) + REDACTED, text)
    if ":" in text and ("-u" in text or "--user" in text):
        text = _USER_PASSWORD.sub(lambda m: m.group(1) + REDACTED, text)
    if "config" in text and "." in text:
        text = _COMPOSER_AUTH.sub(lambda m: m.group(1) + REDACTED, text)
    if _may_name_a_secret(text):
        for needed, pattern in (("=", _SECRET_ASSIGNMENT), ("-", _SECRET_FLAG), (":", _AUTH_HEADER)):
            if needed in text:
                text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return _CANDIDATE.sub(_scrub_candidate, text)


# A word each of the assignment, flag and header patterns needs (`key` stands for `api_key`,
# `apikey` and `private-key`).
_SECRET_WORDS = ("secret", "token", "passw", "pwd", "key", "credential", "authorization")


def _may_name_a_secret(text: str) -> bool:
    """False only when none of the secret words is in the text: a cheap test that spares most texts
    three regular expressions. Only ASCII text is tested: under IGNORECASE `ſ` matches `s` and
    `K` (Kelvin) matches `k`, which `lower()` does not reproduce."""
    if not text.isascii():
        return True
    lowered = text.lower()
    return any(word in lowered for word in _SECRET_WORDS)
