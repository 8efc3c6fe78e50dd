"""Path patterns for detectors, compiled once.

A pattern without `/` matches a file's base name anywhere (`Dockerfile*`); a pattern with `/`
matches the whole relative path, where `*` stays within one directory and `**/` spans any
number of them (`.github/workflows/*.yml`, `**/templates/*.tpl`). Brace lists `{yml,yaml}` are
expanded. Patterns of all detectors are also combined into one prefilter, so the thousands of
ordinary source files of a large repository cost one regex test each.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable


def _expand_braces(pattern: str) -> list[str]:
    match = re.search(r"\{([^{}]*)\}", pattern)
    if not match:
        return [pattern]
    head, tail = pattern[: match.start()], pattern[match.end() :]
    return [x for alt in match.group(1).split(",") for x in _expand_braces(head + alt + tail)]


def _translate(pattern: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:[^/]+/)*")
            i += 3
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            end = pattern.find("]", i)
            if end == -1:
                out.append(re.escape(pattern[i]))
                i += 1
            else:
                out.append(pattern[i : end + 1])
                i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


def glob_regex(patterns: Iterable[str]) -> str:
    """One regex source matching a relative path against any of the patterns."""
    alternatives = []
    for pattern in patterns:
        for expanded in _expand_braces(pattern):
            body = _translate(expanded)
            alternatives.append(body if "/" in expanded else "(?:[^/]+/)*" + body)
    return "^(?:" + "|".join(alternatives) + ")$" if alternatives else "(?!)"


def compile_globs(patterns: Iterable[str]) -> Callable[[str], bool]:
    regex = re.compile(glob_regex(patterns))
    return lambda path: regex.match(path) is not None
