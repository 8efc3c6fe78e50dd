"""Which arm of a `case "$1" in` each line of a shell script sits in, and whether a call runs it.

Scripts that take a sub-command (`./scripts/e2e.sh up`, `./ci.sh deploy staging`) pick what to
run by their first argument; a pipeline that calls one runs that arm only. The scripts detector
notes each command's arm in phase 1, and the pipeline detectors that follow a call keep the
commands its first argument selects.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from fnmatch import fnmatchcase
from typing import Any

# `case "$1" in`, `case "${1:-all}" in`: a script that picks what to do by its first argument
_CASE_ARG = re.compile(r"""^\s*case\s+["']?\$(?:1|\{1(?::?-(?P<default>[^}"']*))?\})["']?\s+in\b""")
_CASE = re.compile(r"^\s*case\s.*\sin\b")
_ESAC = re.compile(r"^\s*esac\b|;\s*esac\s*$")
_ARM = re.compile(r"""^\s*\(?\s*(?P<patterns>[\w.*?\[\]\-:/"']+(?:\s*\|\s*[\w.*?\[\]\-:/"']+)*)\s*\)""")
# The patterns of an arm, and the value `$1` has when the call gives none.
Arm = tuple[tuple[str, ...], str | None]


def shell_arms(text: str) -> dict[int, Arm]:
    """The arm of a top-level `case "$1" in` each line sits in (1-based lines): spliit's
    `./scripts/e2e.sh up` starts the stack, and the `npx playwright test` of its `test)` and
    `all)` arms is not what that call runs."""
    arms: dict[int, Arm] = {}
    default: str | None = None
    inside = nested = 0
    current: Arm | None = None
    expect = False  # at the start of an arm: after `in`, or after `;;`
    for number, line in enumerate(text.splitlines(), 1):
        if not inside:
            match = _CASE_ARG.match(line)
            if match:
                inside, default, current, expect = 1, match.group("default"), None, True
            continue
        if nested:
            nested += bool(_CASE.match(line)) - bool(_ESAC.search(line))
        elif _ESAC.match(line):
            inside, current = 0, None
            continue
        elif _CASE.match(line):
            nested = 1
        elif expect and (arm := _ARM.match(line)):
            current, expect = (_patterns(arm), default), False
            line = line[arm.end():]
        if current is not None and line.strip():
            arms[number] = current
        if ";;" in line or ";&" in line:
            expect = True
    return arms


def arm_label_stripped(command: str, arm: Arm) -> str:
    """A command on the line that opens its arm (`unit) go test ./... ;;`), without the label."""
    match = _ARM.match(command)
    if match and _patterns(match) == arm[0]:
        return command[match.end():].lstrip()
    return command


def _patterns(match: re.Match[str]) -> tuple[str, ...]:
    return tuple(p.strip().strip("\"'") for p in match.group("patterns").split("|"))


def arm_allows(data: dict[str, Any], arguments: Sequence[str]) -> bool:
    """Whether a recorded command runs when its script is called with these arguments: always,
    unless it sits in a `case "$1"` arm whose patterns the first argument (or, when none is
    given, the default `${1:-...}` names) does not match. An argument that is itself a variable
    could be anything."""
    patterns = data.get("arm")
    if not patterns:
        return True
    first = arguments[0] if arguments else data.get("arm_default") or ""
    if "$" in first:
        return True
    return any(fnmatchcase(first, str(p)) for p in patterns)
