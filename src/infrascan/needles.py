"""Text a regular expression cannot match without: a substring test to run before the search.

The command classifier tries about 190 patterns on every distinct command, and most cannot match
because the tool they name is not in the command at all. A `str in str` test costs a tenth of a
regex search, so each pattern carries its needles: strings one of which is in every text it matches.
They are read from the pattern's syntax tree as the `re` module itself parses it, so no regex
syntax is re-implemented here; a part the reading does not understand only makes the test weaker.
"""

from __future__ import annotations

import sys
from typing import Any

if sys.version_info >= (3, 11):
    from re import _parser as sre_parse
else:
    import sre_parse

_OPS = {name: getattr(sre_parse, name, None) for name in ("LITERAL", "SUBPATTERN", "ATOMIC_GROUP", "BRANCH", "ASSERT")}
_REPEATS = {getattr(sre_parse, name, None) for name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")} - {None}


def needles(pattern: str, flags: int = 0) -> tuple[str, ...]:
    """Strings one of which every text `pattern` matches in contains; () when none can be told.

    Case-insensitive literals are left out (`(?i)`): `str.lower` and the regex engine fold case
    differently for a few characters, and a needle must never veto a match.
    """
    parsed = sre_parse.parse(pattern, flags)  # flags given to re.compile, as (?i) in the pattern
    found = _sequence(parsed.data, bool(parsed.state.flags & sre_parse.SRE_FLAG_IGNORECASE))
    return tuple(sorted(found)) if found else ()


def _sequence(items: list[tuple[Any, Any]], ignorecase: bool) -> frozenset[str] | None:
    """The best needle set of a sequence: every item of it is matched, so any item's set will do."""
    best: frozenset[str] | None = None
    run: list[str] = []

    def consider(candidate: frozenset[str] | None) -> None:
        nonlocal best
        if candidate and (best is None or _strength(candidate) > _strength(best)):
            best = candidate

    for op, av in items:
        if op == _OPS["LITERAL"] and not ignorecase:
            run.append(chr(av))
            continue
        consider(frozenset({"".join(run)}) if run else None)
        run = []
        if op == _OPS["SUBPATTERN"]:
            _group, add_flags, del_flags, sub = av
            inner = (ignorecase or bool(add_flags & sre_parse.SRE_FLAG_IGNORECASE)) and not (
                del_flags & sre_parse.SRE_FLAG_IGNORECASE
            )
            consider(_sequence(sub.data, inner))
        elif op == _OPS["ATOMIC_GROUP"]:
            consider(_sequence(av.data, ignorecase))
        elif op == _OPS["ASSERT"]:
            # A lookaround (ahead or behind) that must hold: what it matches is in the searched text
            # too, though outside the match (Kubernetes' sniff is two lookaheads: `apiVersion`, `kind`).
            consider(_sequence(av[1].data, ignorecase))
        elif op == _OPS["BRANCH"]:
            alternatives = [_sequence(sub.data, ignorecase) for sub in av[1]]
            if all(alternatives):
                consider(frozenset().union(*[a for a in alternatives if a]))
        elif op in _REPEATS and av[0] >= 1:
            consider(_sequence(av[2].data, ignorecase))
    consider(frozenset({"".join(run)}) if run else None)
    return best


def _strength(candidate: frozenset[str]) -> tuple[int, int]:
    """A set whose shortest needle is longest rules out most; then the set with fewer needles."""
    return min(len(n) for n in candidate), -len(candidate)
