"""Resolving indirect commands (`npm test`, `make deploy`, `just e2e`) through recorded targets.

The scripts detector records every package.json script and Makefile/justfile/Taskfile target
with its commands, classified. Phase-2 resolvers use this index to see through a pipeline's
`npm run e2e` to the `playwright test` it runs, following chains (`npm test` -> `npm run unit` ->
`jest`) with a depth guard.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infrascan.commands import Classification, classify
from infrascan.detector import Record, ResolveContext

_RUNNER = {"npm": "npm", "make": "make", "just": "just", "task": "task"}


@dataclass(frozen=True)
class Resolved:
    """A concrete classification reached through a chain of targets, with the target's location."""

    classification: Classification
    via: tuple[str, ...]  # "package.json:test", ...
    path: str
    line: int


class TaskIndex:
    def __init__(self, ctx: ResolveContext) -> None:
        self._targets: dict[tuple[str, str], list[tuple[str, Record]]] = {}
        for record in ctx.records("task.target"):
            key = (record.data["runner"], record.data["name"])
            self._targets.setdefault(key, []).append((record.path.rpartition("/")[0], record))

    def find(self, runner: str, name: str, near: str = "") -> Record | None:
        """The target a command run in directory `near` would use: its own file, or (as npm and
        make -C do not) nothing from a sibling directory. The deepest enclosing file wins."""
        near_dir = near.strip("/")
        best: tuple[int, str, Record] | None = None
        for directory, record in self._targets.get((runner, name), []):
            if directory and near_dir != directory and not near_dir.startswith(directory + "/"):
                continue
            key = (-len(directory), record.path, record)
            if best is None or key[:2] < best[:2]:
                best = key
        return best[2] if best else None

    def resolve(
        self, classification: Classification, near: str = "", depth: int = 0, via: tuple[str, ...] = ()
    ) -> list[Resolved]:
        if classification.kind != "indirect" or depth > 5:
            return []
        runner = _RUNNER.get(classification.tool)
        script = str(classification.detail.get("script", ""))
        if runner is None or not script:
            return []
        record = self.find(runner, script, near)
        if record is None:
            return []
        label = f"{record.path}:{script}"
        if label in via:
            return []
        out: list[Resolved] = []
        commands: list[dict[str, Any]] = record.data.get("commands", [])
        for command in commands:
            for found in classify(command["command"]):
                if found.kind == "indirect":
                    out.extend(
                        self.resolve(found, record.path.rpartition("/")[0], depth + 1, (*via, label))
                    )
                else:
                    out.append(Resolved(found, (*via, label), record.path, int(command["line"])))
        return out
