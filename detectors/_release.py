"""Commands a platform runs at each deploy, handed from phase 1 to phase 2 to be followed.

A release phase (Heroku's `release:`, Render's `preDeployCommand`) or a deploy hook (Platform.sh)
may call a package script or a shell script of the repository that migrates; phase 1 cannot read
the script, so it records the command, with the words that open the statement made when it
migrates, and the PaaS detector's phase 2 follows it (detectors/paas.py `_release_commands`).
Records stay plain data, as they are cached with the file: parts are stored as [kind, text] pairs,
and a whole statement finished in phase 2 (Platform.sh's scripted hooks, ECS's environment lines)
through `dump_fact` and `load_fact`.
"""

from __future__ import annotations

from typing import Any

from infrascan.detector import Record
from infrascan.model import Code, Confidence, Evidence, Fact, Part

RELEASE = "paas.release"  # a command run at each deploy, followed in phase 2
# What runs a script given as its first argument (`bash deploy.sh`, `php setup.php`).
INTERPRETERS = frozenset({"bash", "sh", "php", "python", "python3", "node", "ruby", "perl"})


def release_record(path: str, line: int, command: str, where: tuple[Part, ...], kind: str,
                   scripts: tuple[str, ...] = ()) -> Record:
    """A command run at each deploy that does not migrate by itself. `where` opens the statement
    made when it migrates. `kind` "release" (a release phase, which exists to run such commands)
    also has phase 2 say when none was found; a hook's commands ("hook") say nothing then.
    `scripts` are the repository paths the command's script may be at, when the platform says
    where scripts are found (an app's root): the script is looked for there only."""
    return Record(RELEASE, path, line, {"command": command, "where": dump_parts(where), "kind": kind,
                                        "scripts": list(scripts)})


def dump_fact(fact: Fact) -> dict[str, Any]:
    """A statement made in phase 1 and finished in phase 2 (which knows the listing, or another
    detector's records), as plain data for a record: its evidence is in the record's file."""
    return {"field": fact.field, "parts": dump_parts(fact.parts), "confidence": fact.confidence.name,
            "lines": [e.line for e in fact.evidence], "env": fact.env, "item": fact.item, "rank": fact.rank,
            "tech": fact.tech, "order": list(fact.order), "attrs": dict(fact.attrs)}


def load_fact(data: dict[str, Any], path: str, detector: str) -> Fact:
    return Fact(data["field"], load_parts(data["parts"]), Confidence[data["confidence"]],
                tuple(Evidence(path, line, detector) for line in data["lines"]), env=data["env"],
                item=data["item"], rank=data["rank"], tech=data["tech"], order=tuple(data["order"]),
                attrs=data["attrs"])


def dump_parts(parts: tuple[Part, ...]) -> list[list[str]]:
    return [["code", p.text] if isinstance(p, Code) else ["text", p] for p in parts]


def load_parts(raw: list[list[str]]) -> tuple[Part, ...]:
    return tuple(Code(t) if kind == "code" else t for kind, t in raw)


def invoked(command: str) -> str:
    """The word naming what a command runs: the script after an interpreter (`bash x.sh`), else the
    first word; "" for an empty command."""
    words = command.split()
    if len(words) > 1 and words[0] in INTERPRETERS:
        return words[1]
    return words[0] if words else ""
