"""The facts infrascan knows, with their evidence.

A fact is one statement for one template field (see `fields.py`), always carrying the file and
line it came from. Text is kept as parts: plain words written by infrascan and `Code` spans
holding values read from the repository, so that the one escaping function can render each
safely and JSON can show the plain text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dc_field
from enum import Enum
from typing import Any, Union

from infrascan.fields import FIELD_BY_ID


class Confidence(str, Enum):
    """How directly the repository states a fact.

    declared: an explicit key says it (`environment.url`, `engine_version`).
    inferred: read from names or commands (`helm upgrade` in a job named deploy-prod).
    hint: a weak signal (a package is installed); hints never fill a field on their own.
    """

    DECLARED = "declared"
    INFERRED = "inferred"
    HINT = "hint"

    @property
    def strength(self) -> int:
        return _STRENGTH[self._value_]  # `value` is a descriptor, ten times slower


_STRENGTH = {"declared": 0, "inferred": 1, "hint": 2}  # read for every fact the merge sorts


class FactScope(str, Enum):
    """Whether a fact comes from the application's own files, from examples/tests/docs, or from a
    deprecated or archived folder. Only MAIN facts fill a field; the others are shown as hints."""

    MAIN = "main"
    EXAMPLE = "example"
    RETIRED = "retired"

    @property
    def weight(self) -> int:
        """How far from the repository's own files: MAIN 0, EXAMPLE 1, RETIRED 2 (the order hints
        are listed in, and the one a merge keeps the nearest of)."""
        return _SCOPE_WEIGHTS[self]

    @staticmethod
    def joined(scopes: Iterable[FactScope]) -> FactScope:
        """The scope of facts merged into one: the repository's own wins, then examples."""
        return min(scopes, key=lambda scope: scope.weight, default=FactScope.RETIRED)


_SCOPE_WEIGHTS = {FactScope.MAIN: 0, FactScope.EXAMPLE: 1, FactScope.RETIRED: 2}


@dataclass(frozen=True, order=True)
class Evidence:
    """A file and line that backs a fact. Lines are 1-based; 0 means the whole file."""

    path: str
    line: int
    detector: str = ""


@dataclass(frozen=True)
class Code:
    """A value read from the repository, rendered as a code span (an image, a command, a key)."""

    text: str


Part = Union[str, Code]  # noqa: UP007 - a runtime alias, evaluated on Python 3.10


# Where a fact ranks when its detector says nothing (lower ranks are the stronger statements).
DEFAULT_RANK = 50
# A fact attribute: what the fact states is read by this repository's own pipeline even in a file
# that is a template for others (Detector.templates): app.json's review and CI environments, which
# a Deploy to Heroku button never reads.
OWN_PIPELINE = "own_pipeline"


@dataclass
class Fact:
    field: str
    parts: tuple[Part, ...]
    confidence: Confidence
    evidence: tuple[Evidence, ...]
    env: str | None = None
    service: str | None = None
    item: str = ""
    tech: str | None = None
    order: tuple[Any, ...] = ()
    rank: int = DEFAULT_RANK
    attrs: dict[str, Any] = dc_field(default_factory=dict)
    scope: FactScope = FactScope.MAIN
    component: str = ""

    text: str = dc_field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.field not in FIELD_BY_ID:
            raise ValueError(f"unknown template field {self.field!r}")
        if not self.evidence:
            raise ValueError("a fact without evidence is not a fact")
        # The plain text, computed once: merging, sorting and rendering read it many times.
        self.text = "".join([p if isinstance(p, str) else p.text for p in self.parts])

    def key(self) -> tuple[Any, ...]:
        """Facts with equal keys say the same thing and are merged (their evidence joined)."""
        return (self.field, self.env or "", self.service or "", self.item, self.text, self.component)


def order_key(order: tuple[Any, ...]) -> tuple[tuple[int, Any], ...]:
    """Orders facts by their `order` tuples even when detectors mix numbers and names."""
    if not order:  # most facts: the merge sorts thousands
        return ()
    return tuple((0, v) if isinstance(v, (int, float)) else (1, str(v)) for v in order)


def text(*parts: Part) -> tuple[Part, ...]:
    """Builds fact text; adjacent plain strings are joined so equal texts compare equal."""
    out: list[Part] = []
    run = ""  # the plain strings since the last code span (every fact's text is built here: kept lean)
    for p in parts:
        if isinstance(p, str):
            run = run + p if run else p
        else:
            if run:
                out.append(run)
                run = ""
            out.append(p)
    if run:
        out.append(run)
    return tuple(out)


def capitalised(parts: tuple[Part, ...]) -> tuple[Part, ...]:
    """Fact text that starts a sentence: its first plain word capitalised (a code span stays as written)."""
    if parts and isinstance(parts[0], str) and parts[0]:
        return (parts[0][:1].upper() + parts[0][1:], *parts[1:])
    return parts


def phrase_list(phrases: Iterable[Iterable[Part]], apart: bool = False) -> tuple[Part, ...]:
    """Phrases in one sentence: `a, b and c`. With `apart`, `a; b; c`: for a list whose last phrase
    carries a note of its own (`push to main; pull requests (paths api/**)`), which after "and"
    would read as if it held for every phrase."""
    shown = [tuple(phrase) for phrase in phrases]
    parts: list[Part] = []
    for index, phrase in enumerate(shown):
        if index:
            parts.append("; " if apart else " and " if index == len(shown) - 1 else ", ")
        parts.extend(phrase)
    return text(*parts)


def one_line(value: str, limit: int) -> str:
    """A command or expression as a fact quotes it: whitespace runs as one space, cut to `limit` with …."""
    flat = " ".join(value.split())
    if len(flat) > limit:
        flat = elide_quoted(flat)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


_LONG_QUOTED = re.compile(r'"(?:[^"\\]|\\.){40,}"' + r"|'[^']{40,}'")


def elide_quoted(command: str) -> str:
    """A command too long to show whole, with its long quoted strings as `"…"`: release notes or a
    message are what the command carries, and the options after them say what it does (listmonk's
    `gh release create nightly --notes "…" --prerelease dist/*.tar.gz`)."""
    return _LONG_QUOTED.sub(lambda m: f"{m[0][0]}…{m[0][0]}", command)


def code_list(names: Iterable[str], limit: int | None = None, sep: str = ", ") -> list[Part]:
    """`a`, `b`, `c` and 2 more: names as code spans, at most `limit` of them."""
    shown = list(names)
    parts: list[Part] = []
    for index, name in enumerate(shown if limit is None else shown[:limit]):
        if index:
            parts.append(sep)
        parts.append(Code(name))
    if limit is not None and len(shown) > limit:
        parts.append(f" and {len(shown) - limit} more")
    return parts


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


UNDESCRIBED_DEPLOY = "what it deploys is not described"
# Why a suite beside database services is said as a lead for integration tests, not as one.
BY_DESIGN = "; infrascan counts its tests as unit tests, since the runner makes a test database of its own"
# ...and when the team's own name for the job, step or stage calls them unit tests (grafana/oncall's
# `unit-test-backend-mysql-rabbitmq`), which infrascan takes at its word
CALLED_UNIT = "; the pipeline names them unit tests, and infrascan counts them so"
_UNPARSED = re.compile(r"invalid (?:YAML|JSON|TOML)\b|cannot parse\b")


@dataclass(frozen=True)
class Diagnostic:
    """Something infrascan could not read or understand, with where it happened."""

    path: str
    line: int | None
    message: str
    severity: Severity = Severity.WARNING
    detector: str = ""

    def location(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path

    @property
    def unparsed(self) -> bool:
        """Whether it says a detector could not parse the file (wholly or in part): by convention
        such messages start "invalid YAML", "invalid JSON", "invalid TOML" or "cannot parse" (what
        `Detector.yaml_documents` and `json_mapping` write), and no other message does ("cannot read
        rule condition" is one expression, not the file). A gap line names these files: "looked in
        1 file" must not hide that the file could not be read."""
        return _UNPARSED.match(self.message) is not None

    @property
    def undescribed_deploy(self) -> bool:
        """Whether it says a job that looks like a deploy does things infrascan cannot describe (by
        convention the message ends with `UNDESCRIBED_DEPLOY`): the deploy fields' gaps name the
        job, as "no evidence found" would hide it (saleor's release jobs run unknown actions)."""
        return self.message.endswith(UNDESCRIBED_DEPLOY)

    def sort_key(self) -> tuple[str, int, str, str]:
        return (self.path, self.line or 0, self.detector, self.message)
