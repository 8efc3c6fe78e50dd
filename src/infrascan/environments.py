"""Environment names, normalised by whole tokens.

`prod-eu-1` and `production/eu` are production; `nonprod` and `non-prod` never are (substring
matching made that mistake in GitLab, #377916). Names that are not one of the three template
tiers keep a block of their own (qa, test, review/*, preview, sandbox, demo).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

PRODUCTION = "production"
STAGING = "staging"
DEVELOPMENT = "development"
TEMPLATE_TIERS = (DEVELOPMENT, STAGING, PRODUCTION)

_TIER_TOKENS: tuple[tuple[str, frozenset[str]], ...] = (
    (PRODUCTION, frozenset({"prod", "production", "prd", "live"})),
    (STAGING, frozenset({"stage", "staging", "stg", "preprod", "preproduction", "uat"})),
    # `devenv`: penpot's docker/devenv, devenv.sh's name: a development environment, one word
    (DEVELOPMENT, frozenset({"dev", "development", "local", "devenv"})),
)
# Prefixes that turn the next token into a different word: pre-prod is staging, non-prod is
# its own (never production) environment.
_JOINING_PREFIXES = frozenset({"pre", "non"})
_NEVER_A_TIER = frozenset({"nonprod", "nonproduction"})

# ${VAR}, $VAR, ${{ expr }}, {{ .Values.x }}, %VAR% → one wildcard.
_DYNAMIC = re.compile(r"\$\{\{.*?\}\}|\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\{\{.*?\}\}|%[A-Za-z_]+%")


def clean(name: str) -> str:
    """Lower-cases a raw name and replaces dynamic parts by `*` (`review/$CI_COMMIT_REF_SLUG`)."""
    cleaned = _DYNAMIC.sub("*", name.strip()).lower()
    cleaned = re.sub(r"\*+", "*", cleaned)
    return cleaned


def without_dynamic(text: str) -> str:
    """The parts of a name or command written out: its dynamic parts (`$STAGING_NAMESPACE`, `${{ x }}`)
    may hold anything, so their own names name no environment."""
    return _DYNAMIC.sub(" ", text)


def tokens(name: str) -> list[str]:
    raw = [t for t in re.split(r"[^a-z0-9]+", name.lower()) if t]
    joined: list[str] = []
    i = 0
    while i < len(raw):
        if raw[i] in _JOINING_PREFIXES and i + 1 < len(raw):
            joined.append(raw[i] + raw[i + 1])
            i += 2
        else:
            joined.append(raw[i])
            i += 1
    return joined


def normalise(name: str, aliases: Mapping[str, str] | None = None) -> str:
    """Returns the block an environment name belongs to: a template tier or the cleaned name."""
    cleaned = clean(name)
    if aliases and cleaned in aliases:
        return aliases[cleaned]
    toks = tokens(cleaned)
    if aliases:
        for tok in toks:
            if tok in aliases:
                return aliases[tok]
    never = [t for t in toks if t in _NEVER_A_TIER]
    if never:  # `non-prod` and `nonprod` are one (never production) environment
        return never[0]
    for tier, words in _TIER_TOKENS:
        if any(t in words for t in toks):
            return tier
    return cleaned


def is_dynamic(name: str) -> bool:
    return "*" in clean(name)


def display_name(block: str) -> str:
    """Development/Staging/Production as in the template; other names as written, readable."""
    if block in TEMPLATE_TIERS:
        return block.capitalize()
    if block.isalpha() and len(block) <= 3:
        return block.upper()
    return block[:1].upper() + block[1:]


def block_order(block: str) -> tuple[int, str]:
    """Template tiers first in template order, then other environments alphabetically."""
    if block in TEMPLATE_TIERS:
        return (TEMPLATE_TIERS.index(block), "")
    return (len(TEMPLATE_TIERS), block)


# Words that name an environment of their own when a file or directory is named after them.
OTHER_ENV_WORDS = frozenset(
    {
        "test",
        "testing",
        "qa",
        "ci",
        "e2e",
        "preview",
        "sandbox",
        "demo",
        "review",
        "integration",
        "perf",
        "performance",
        "load",
        "canary",
        "nonprod",
        "nonproduction",
        "acceptance",
        "sit",
        "shared",
    }
)
_TIER_WORDS = frozenset(w for _, words in _TIER_TOKENS for w in words)


# Variables whose value names the environment a deploy targets (`TARGET=production` on a make
# line, Cloud Build's `_ENV` substitution); matched lower-case, without a leading `_`.
ENV_VARIABLE_NAMES = frozenset({"env", "environment", "stage", "deploy_env", "target_env", "tier", "target"})


def env_from_name(name: str) -> str | None:
    """The environment a file or directory name refers to (`docker-compose.prod.yml`, `values-qa`)."""
    toks = tokens(name)
    for tok in toks:
        if tok in _NEVER_A_TIER or tok in OTHER_ENV_WORDS:
            return tok
        if tok in _TIER_WORDS:
            return tok
    return None
