"""The one escaping function for repository text that lands in Markdown.

Repository values are written by strangers. Where they land in the document they must stay
inert: no raw HTML (`<script>`), no `-->` that could close infrascan's hidden comments, no line
breaks that forge a new field or heading, no `[text](url)` that forges an evidence link, no `|`
that breaks a table. Values are redacted first, then escaped.
"""

from __future__ import annotations

import re
from functools import lru_cache

from infrascan.redact import scrub

MAX_VALUE_LENGTH = 240
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u0085]+")
# Characters that change meaning in Markdown wherever they stand; `_` only at a word's edge
# (GitHub never emphasises inside words, so `LOG_LEVEL` stays readable in the source).
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|~&]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
_CODE_UNSAFE = re.compile(r"[`<>|\\]|-->|<!--")
_CODE_SPAN = re.compile(r"(`[^`\n]*`)")
_TRUSTED_SPECIAL = re.compile(r"([<>|\[\]])")


# An image digest pinned in a tag (`node:24-alpine@sha256:` and 64 hex digits) is shown by its first
# twelve, as `docker images` shows ids: six build stages pinned so made a build step unreadable
# (opentelemetry-demo). The JSON and the cited line keep it whole.
_DIGEST = re.compile(r"(@sha256:[0-9a-f]{12})[0-9a-f]{52}\b")


def _flatten(text: str, limit: int | None) -> str:
    flat = " ".join(_CONTROL.sub(" ", _DIGEST.sub(r"\1…", text)).split())
    if limit is not None and len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return flat


@lru_cache(maxsize=65536)
def escape_md(text: str, *, code: bool = False, limit: int | None = MAX_VALUE_LENGTH) -> str:
    """Renders repository text for Markdown: as a code span when asked and safe, else escaped.

    Values read from a repository are cut at `limit` characters (a 10 KB command line helps nobody);
    infrascan's own sentences pass `limit=None`. Memoised: a monorepo's 300 services repeat the same
    paths and values (27,000 calls, 6,000 distinct texts).
    """
    flat = _flatten(scrub(text), limit)
    if not flat:
        return "`\u00a0`" if code else ""
    if code and not _CODE_UNSAFE.search(flat):
        return f"`{flat}`"
    return _MD_SPECIAL.sub(r"\\\1", flat)


def code_safe(text: str) -> bool:
    """Whether `escape_md` can show this text as a code span (else it escapes it as prose)."""
    return not _CODE_UNSAFE.search(text)


def escape_trusted(text: str) -> str:
    """Detector-written sentences (not repository text): their `code` spans are kept, while anything
    that could open HTML, a link or a table cell is neutralised all the same. Outside code spans
    it is escaped, not blanked: "fly.toml [metrics]" must still name the `[metrics]` table."""
    parts = _CODE_SPAN.split(text.replace("\r", " ").replace("\n", " "))
    return "".join(part if len(part) > 1 and part.startswith("`") and part.endswith("`")
                   else _TRUSTED_SPECIAL.sub(r"\\\1", part) for part in parts)
