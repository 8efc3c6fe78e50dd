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


class PatternIndex:
    """Which of several pattern sets match a path, in O(1) for the common shapes.

    Most detector patterns are a plain base name (`Dockerfile`, `Chart.yaml`) or `*.suffix`; those
    are dictionary lookups. The rest are compiled per owner and tried only when one combined regex
    says some owner might match, so a 15,000-file repository costs one lookup and one regex test
    per file rather than one regex per detector per file.
    """

    def __init__(self, owners: dict[str, Iterable[str]]) -> None:
        self.by_name: dict[str, set[str]] = {}
        self.by_suffix: dict[str, set[str]] = {}
        name_globs: dict[str, list[str]] = {}  # wildcards within the base name only (`requirements*.txt`)
        path_globs: dict[str, list[str]] = {}  # patterns with directories (`**/templates/*.tpl`)
        for owner, patterns in owners.items():
            for pattern in patterns:
                for expanded in _expand_braces(pattern):
                    if "/" not in expanded and not any(c in expanded for c in "*?["):
                        self.by_name.setdefault(expanded, set()).add(owner)
                    elif (expanded.startswith("*.") and "/" not in expanded
                          and not any(c in expanded[1:] for c in "*?[")):
                        self.by_suffix.setdefault(expanded[1:], set()).add(owner)
                    elif "/" not in expanded:
                        name_globs.setdefault(owner, []).append(expanded)
                    else:
                        path_globs.setdefault(owner, []).append(expanded)
        self.names = {owner: re.compile("^(?:" + "|".join(_translate(p) for p in ps) + ")$")
                      for owner, ps in name_globs.items()}
        self.any_name = re.compile("^(?:" + "|".join(_translate(p) for ps in name_globs.values() for p in ps)
                                   + ")$") if name_globs else None
        # Each directory pattern is tried only on paths holding its longest literal piece
        # (`/templates/`, `.github/workflows/`): a substring test is far cheaper than the regex,
        # and one search for any literal spares most paths even those.
        self.paths: dict[str, list[tuple[re.Pattern[str], str]]] = {}
        for owner, ps in sorted(path_globs.items()):
            for p in ps:
                literal = max(re.split(r"\*\*/|[*?]|\[[^\]]*\]", p), key=len)
                self.paths.setdefault(literal, []).append((re.compile(glob_regex([p])), owner))
        self.any_literal = re.compile("|".join(re.escape(lit) for lit in sorted(self.paths))) if self.paths else None

    def owners(self, path: str) -> set[str]:
        name = path.rpartition("/")[2]
        found = set(self.by_name.get(name, ()))
        start = name.find(".")
        while start != -1:
            found.update(self.by_suffix.get(name[start:], ()))
            start = name.find(".", start + 1)
        if self.any_name is not None and self.any_name.match(name):
            found.update(owner for owner, regex in self.names.items() if regex.match(name))
        if self.any_literal is not None and self.any_literal.search(path):
            for literal, entries in self.paths.items():
                if literal in path:
                    found.update(owner for regex, owner in entries if owner not in found and regex.match(path))
        return found
