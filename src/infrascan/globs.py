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

MAX_MEMO = 65536  # base names (and folders) whose owners an index remembers


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
    are dictionary lookups, done once per base name. The rest are compiled per owner and tried only
    on paths whose directory holds their literal piece (known once per directory), so a
    15,000-file repository costs two lookups per file rather than one regex per detector per file.
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
        # Each directory pattern is tried only on paths holding its longest literal piece, one that
        # names a directory when it has one (`templates/`, `env/` rather than `.yaml`): a substring
        # test is far cheaper than the regex.
        self.paths: dict[str, list[tuple[re.Pattern[str], str]]] = {}
        for owner, ps in sorted(path_globs.items()):
            for p in ps:
                literal = max(re.split(r"\*\*/|[*?]|\[[^\]]*\]", p), key=lambda piece: ("/" in piece, len(piece)))
                self.paths.setdefault(literal, []).append((re.compile(glob_regex([p])), owner))
        # Memos per base name and per directory: a repository repeats a few hundred names
        # (values.yaml, main.tf) and holds many files per directory.
        self._heads: dict[str, list[tuple[str, list[tuple[re.Pattern[str], str]]]]] = {}
        for literal, entries in self.paths.items():
            self._heads.setdefault(literal[: literal.rfind("/") + 1], []).append((literal, entries))
        self._named: dict[str, frozenset[str]] = {}
        self._in_dir: dict[str, list[tuple[str, list[tuple[re.Pattern[str], str]]]]] = {}

    def owners(self, path: str) -> set[str]:
        folder, _, name = path.rpartition("/")
        by_name = self._named.get(name)
        if by_name is None:
            if len(self._named) >= MAX_MEMO:  # bounded: an index may live as long as the process
                self._named.clear()
            by_name = self._named[name] = frozenset(self._name_owners(name))
        found = set(by_name)
        literals = self._in_dir.get(folder)
        if literals is None:
            if len(self._in_dir) >= MAX_MEMO:
                self._in_dir.clear()
            literals = self._in_dir[folder] = self._possible(folder + "/" if folder else "")
        for literal, entries in literals:
            if literal in path:
                found.update(owner for regex, owner in entries if owner not in found and regex.match(path))
        return found

    def _name_owners(self, name: str) -> set[str]:
        found = set(self.by_name.get(name, ()))
        start = name.find(".")
        while start != -1:
            found.update(self.by_suffix.get(name[start:], ()))
            start = name.find(".", start + 1)
        if self.any_name is not None and self.any_name.match(name):
            found.update(owner for owner, regex in self.names.items() if regex.match(name))
        return found

    def _possible(self, folder: str) -> list[tuple[str, list[tuple[re.Pattern[str], str]]]]:
        """The literals a path in `folder` (with its trailing `/`) can hold. A literal's head (up to
        its last `/`) ends at a slash of the path, so it lies within the folder: a folder without it
        rules the literal out for all of its files. A literal without `/` stays possible."""
        return [pair for head, pairs in self._heads.items() if head in folder for pair in pairs]
