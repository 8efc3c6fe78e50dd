"""Which arm of a `case "$1" in` each line of a shell script sits in, and whether a call runs it.

Scripts that take a sub-command (`./scripts/e2e.sh up`, `./ci.sh deploy staging`) pick what to
run by their first argument; a pipeline that calls one runs that arm only. The scripts detector
notes each command's arm in phase 1, and the pipeline detectors that follow a call keep the
commands its first argument selects.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Sequence
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Any

from infrascan.commands import argv

# `case "$1" in`, `case "${1:-all}" in`: a script that picks what to do by its first argument
_CASE_ARG = re.compile(r"""^case\s+["']?\$(?:1|\{1(?::?-(?P<default>[^}"']*))?\})["']?\s+in\b""")
_CASE = re.compile(r"^\s*case\s.*\sin\b")
# `esac` ends a case where a terminator, an operator or the line's end follows it (`esac ;;` closes
# a nested case and its arm at once)
_ESAC = re.compile(r"(?:^|[;\s])esac\b(?=\s*(?:;;&?|;&|;|&&|\|\||\||\)|#|$))")
_ESAC_LINE = re.compile(r"^\s*esac\b")
_LABEL = r"""[\w.*?\[\]\-:/"'=+@!$%{}]+"""
_ARM = re.compile(rf"""^\s*\(?\s*(?P<patterns>{_LABEL}(?:\s*\|\s*{_LABEL})*)\s*\)""")
# What makes `$1` something else than the script's first argument from there on: a function's
# body, a loop (an option loop's `case "$1"` under `shift`), a `shift` or `set --` of the script.
_OPENS = re.compile(r"^\s*(?:function\s+[\w.:-]+(?:\s*\(\s*\))?|[\w.:-]+\s*\(\s*\))\s*\{\s*(?:#.*)?$"
                    r"|^\s*function\s+[\w.:-]+(?:\s*\(\s*\))?\s*(?:#.*)?$"
                    r"|(?:^|[;\s])do\s*(?:#.*)?$|^\s*(?:while|until|for)\b.*;\s*do\b|^\s*\{\s*$")
_CLOSES = re.compile(r"^\s*\}|(?:^|[;\s])done\b")
_SHIFTS = re.compile(r"(?:^|[;&|{(\s])(?:shift|set\s+--)\b")
# The patterns of an arm, and the value `$1` has when the call gives none.
Arm = tuple[tuple[str, ...], str | None]


def shell_arms(text: str) -> dict[int, Arm]:
    """The arm of the script's own `case "$1" in` each line sits in (1-based lines): spliit's
    `./scripts/e2e.sh up` starts the stack, and the `npx playwright test` of its `test)` and
    `all)` arms is not what that call runs. Only a `case` at the script's top level, written at
    the start of its line before any `shift`, reads the script's first argument; a `case` this
    cannot follow (a label it does not read) says nothing, and its commands all stay."""
    arms: dict[int, Arm] = {}
    depth = 0  # function bodies and loops open around the line
    shifted = False
    lines = text.splitlines()
    # The functions whose end is known are passed over whole: counting their braces and loops line
    # by line lost penpot's manage.sh (1,300 lines of functions) its top-level `case $1`.
    skip = {first: last for first, last, _ in _function_spans(text)}
    number, line = _next_code(lines, 0)
    while line is not None:
        if number in skip:
            number, line = _next_code(lines, skip[number])
            continue
        match = _CASE_ARG.match(line) if depth == 0 and not shifted else None
        if match is not None:
            number, found, shifts = _read_case(lines, number, match.group("default"))
            arms.update(found)
            shifted = shifted or shifts
        elif _CASE.match(line) and not _ESAC.search(line):
            number = _skip_case(lines, number)  # another `case`, or one under a function or loop
        else:
            depth = max(0, depth + bool(_OPENS.search(line)) - bool(_CLOSES.match(line)))
            shifted = shifted or (depth == 0 and bool(_SHIFTS.search(line)))
        number, line = _next_code(lines, number)
    return arms


def _next_code(lines: list[str], number: int) -> tuple[int, str | None]:
    """The next line from `lines[number]` on that is neither blank nor a comment, and the number
    after it (1-based, that line's own number); None at the end."""
    while number < len(lines):
        line = lines[number]
        number += 1
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return number, line
    return number, None


def _skip_case(lines: list[str], number: int) -> int:
    """The line after the `esac` of a `case` whose first line is `lines[number - 1]`."""
    nested = 1
    while number < len(lines) and nested:
        line = lines[number]
        nested += bool(_CASE.match(line)) - bool(_ESAC.search(line))
        number += 1
    return number


def _read_case(lines: list[str], number: int, default: str | None) -> tuple[int, dict[int, Arm], bool]:
    """The arms of one `case "$1"` (its `case` line is `lines[number - 1]`), where it ends, and
    whether an arm shifts the arguments; no arms when a label cannot be read."""
    arms: dict[int, Arm] = {}
    current: Arm | None = None
    expect = True  # at the start of an arm: after `in`, or after `;;`
    readable = True
    shifts = False
    while True:
        number, code = _next_code(lines, number)
        if code is None:
            break
        line = code
        shifts = shifts or bool(_SHIFTS.search(line))
        if expect and not _ESAC_LINE.match(line):
            arm = _ARM.match(line)
            if arm is None:
                readable = False
            else:
                current, expect = (_patterns(arm), default), False
                line = line[arm.end():]
        if _CASE.match(line):  # a `case` inside this arm (on this line alone, or to its `esac`)
            end = number if _ESAC.search(line) else _skip_case(lines, number)
            if current is not None:
                arms.update(dict.fromkeys(range(number, end + 1), current))
            closed = _ESAC.search(lines[end - 1])
            if closed and ";;" in lines[end - 1][closed.end():]:
                expect = True  # `esac ;;`: the nested case and this arm end together
            number = end
            continue
        closes = bool(_ESAC.search(line))
        body = re.sub(r";;\s*esac\s*$|^\s*esac\s*$", "", line)
        if current is not None and body.strip() and body.strip() not in (";;", ";&", ";;&"):
            arms[number] = current
        if closes:
            break
        if ";;" in line or ";&" in line:
            expect = True
    return number, arms if readable else {}, shifts


def arm_label_stripped(command: str, arm: Arm) -> str:
    """A command on the line that opens its arm (`unit) go test ./... ;;`), without the label."""
    match = _ARM.match(command)
    if match and _patterns(match) == arm[0]:
        return command[match.end():].lstrip()
    return command


def _patterns(match: re.Match[str]) -> tuple[str, ...]:
    return tuple(p.strip().strip("\"'") for p in match.group("patterns").split("|"))


# `function name {`, `function name() {`, `name() {` (the brace may follow on the next line)
_FUNCTION_DEF = re.compile(r"^(?P<indent>\s*)(?:function\s+(?P<a>[\w.:-]+)(?:\s*\(\s*\))?|(?P<b>[\w.:-]+)\s*\(\s*\))"
                           r"\s*(?P<rest>\{.*)?$")
# The record of a script line that calls one of its own functions (penpot's `build-bundle)` arm:
# `build-frontend-bundle;`), made by the scripts detector.
FUNCTION_CALL = "script.fncall"
# A call that runs the function its first argument names (`"$@"`, `$1 "${@:2}"`): a dispatcher.
DYNAMIC_CALL = "$1"
_DISPATCH_WORDS = frozenset({"$1", "${1}", "$@", "${@}", "$*"})
_ASSIGNMENT = re.compile(r"^[A-Za-z_]\w*=")


def shell_functions(text: str) -> dict[int, str]:
    """The function each line of a script's function bodies belongs to (1-based lines), for the
    functions whose body this can delimit: it ends at a `}` line indented as its definition, or on
    the definition's own line (`f() { cmd; }`). penpot's manage.sh defines forty functions and runs
    the one its `case "$1"` arm calls: its other functions' commands do not run."""
    found: dict[int, str] = {}
    for first, last, name in _function_spans(text):
        if first == last:  # `f() { cmd; }`
            found[first] = name
        else:
            found.update(dict.fromkeys(range(first + 1, last), name))
    return found


@lru_cache(maxsize=4)
def _function_spans(text: str) -> tuple[tuple[int, int, str], ...]:
    """Each delimited function: its definition's line, its closing brace's line (1-based), its name.
    A one-line function (`log() { echo "$*"; }  # helper`) closes on its own line; another ends at
    the next `}` line indented as its definition, unless a definition of that indent comes first
    (then its end is not known, and it is left out rather than take its neighbour's body).
    Memoised on the text: the scripts detector asks for a script's arms and for its functions, and
    both start from these spans."""
    lines = text.splitlines()
    closings: dict[str, list[int]] = defaultdict(list)
    definitions: dict[str, list[int]] = defaultdict(list)
    matches: dict[int, re.Match[str]] = {}
    for index, line in enumerate(lines):
        closing = _CLOSING.match(line)
        if closing:
            closings[closing.group("indent")].append(index)
            continue
        match = _FUNCTION_DEF.match(line)
        if match:
            matches[index] = match
            definitions[match.group("indent")].append(index)
    spans: list[tuple[int, int, str]] = []
    after = -1  # functions inside a function's span are its body's, not the script's
    for index, match in sorted(matches.items()):
        if index <= after:
            continue
        name = match.group("a") or match.group("b")
        rest = match.group("rest") or ""
        if _ONE_LINE.match(rest):
            spans.append((index + 1, index + 1, name))
            continue
        start = index
        if not rest and index + 1 < len(lines) and lines[index + 1].strip() == "{":
            start = index + 1
        elif not rest.strip().startswith("{"):
            continue
        indent = match.group("indent")
        ends = closings.get(indent, [])
        position = bisect.bisect_right(ends, start)
        if position == len(ends):
            continue
        end = ends[position]
        same = definitions.get(indent, [])
        following = bisect.bisect_right(same, index)
        if following < len(same) and same[following] < end:
            continue  # the next definition of this indent starts before the brace: not this one's
        spans.append((index + 1, end + 1, name))
        after = end
    return tuple(spans)


# A body on the definition's own line, braces balanced, then at most a redirection or a comment.
_ONE_LINE = re.compile(r"^\{(?=.*\})[^{}]*(?:\{[^{}]*\}[^{}]*)*\}\s*(?:\d*[<>&|;].*|#.*)?$")
_CLOSING = re.compile(r"^(?P<indent>\s*)\}\s*(?:\d*[<>&|;].*|#.*)?$")
# Words that open a command without being it: `if ! run_e2e; then`, `time build`, `until ready; do`.
_LEADING = frozenset({"if", "elif", "while", "until", "!", "time", "then", "do", "else", "exec", "command"})
_SUBSTITUTED = re.compile(r"\$\(\s*([\w.:-]+)")


def called_functions(command: str, defined: set[str]) -> list[str]:
    """The functions of this script a simple command calls: its command word (after assignments and
    words like `if !` or `time`), and those it runs in a `$(...)`; DYNAMIC_CALL for a dispatcher that
    runs the one its first argument names. None for a function's own definition line."""
    if _FUNCTION_DEF.match(command):
        return []
    found: list[str] = []
    for word in argv(command):
        if _ASSIGNMENT.match(word) or word in _LEADING:
            continue
        if word in defined:
            found.append(word)
        elif word in _DISPATCH_WORDS:
            found.append(DYNAMIC_CALL)
        break
    found += [name for name in _SUBSTITUTED.findall(command) if name in defined and name not in found]
    return found


def running(records: Sequence[Any], calls: Sequence[Any], arguments: Sequence[str]) -> list[Any]:
    """The recorded commands of a script that run when it is called with these arguments: those
    outside functions whose arm allows them (`arm_allows`), and every command of the functions they
    call, through the functions those call. A script that calls none of its functions outside them
    (a library others source) keeps them all, as before functions were read. `records` are its
    command records (with `fn` inside a function), `calls` its function-call records (`calls`)."""
    if not any("fn" not in c.data for c in calls):
        return [r for r in records if arm_allows(r.data, arguments)]
    defined = {str(r.data["fn"]) for r in [*records, *calls] if "fn" in r.data}
    first = arguments[0] if arguments else ""
    frontier = [c for c in calls if "fn" not in c.data and arm_allows(c.data, arguments)]
    called: set[str] = set()
    while frontier:
        name = str(frontier.pop().data["calls"])
        if name == DYNAMIC_CALL:
            names = {first} if first and "$" not in first and first in defined else set(defined)
        else:
            names = {name}
        for target in names - called:
            called.add(target)
            frontier.extend(c for c in calls if c.data.get("fn") == target)
    return [r for r in records if (str(r.data["fn"]) in called if "fn" in r.data else arm_allows(r.data, arguments))]


def arm_allows(data: dict[str, Any], arguments: Sequence[str]) -> bool:
    """Whether a recorded command runs when its script is called with these arguments: always,
    unless it sits in a `case "$1"` arm whose patterns the first argument (or, when none is
    given, the default `${1:-...}` names) does not match. An argument that is itself a variable
    could be anything."""
    patterns = data.get("arm")
    if not patterns:
        return True
    first = arguments[0] if arguments else data.get("arm_default") or ""
    if "$" in first or any("$" in str(p) or "`" in str(p) for p in patterns):
        return True  # a variable argument, or an arm labelled by a variable, could match
    return any(fnmatchcase(first, str(p)) for p in patterns)


_OPERATOR = re.compile(r"\s(?:&&|\|\||[|;&])\s|\s[|;]|[;|]\s")
_REDIRECT = re.compile(r"^(?:\d*[<>]|&>)")


def call_arguments(rest: str) -> list[str]:
    """The arguments a call passes its script (`rest` follows the script's path): words as the shell
    reads them (quotes removed), up to the end of the simple command, without redirections
    (`2>&1`, `> e2e.log`)."""
    rest = _OPERATOR.split(f" {rest} ", 1)[0]
    out: list[str] = []
    skip = False
    for word in argv(rest):
        if word.startswith("#"):
            break  # a comment ends the command
        if skip:
            skip = False
            continue
        if _REDIRECT.match(word):
            # `> e2e.log`, `2> err.log`: the file is the next word; `2>&1` and `>log` hold their target
            skip = word.lstrip("0123456789") in ("<", ">", ">>", ">|", "&>", "&>>")
            continue
        out.append(word)
    return out
