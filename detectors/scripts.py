"""Shell scripts and task runners: the commands that pipelines and containers call indirectly.

`npm test`, `make deploy` and `ENTRYPOINT ["./docker-entrypoint.sh"]` say nothing by themselves;
what they run lives in package.json scripts, Makefile/justfile/Taskfile targets and shell
scripts. This detector records those commands (classified) so that other detectors resolve
the indirection in phase 2. It emits no facts of its own: a script nobody calls is not a step.
"""

from __future__ import annotations

import json
import re
from pathlib import PurePosixPath
from typing import Any

from infrascan.commands import classify, split_commands
from infrascan.detector import Detector, Extraction, Record, SourceFile
from infrascan.yamlload import YDict, YList, line_of, load_yaml

_MAKE_TARGET = re.compile(r"^([A-Za-z0-9_][A-Za-z0-9_./%-]*)\s*:(?![:=])(.*)$")
_JUST_RECIPE = re.compile(r"^@?([A-Za-z0-9_][A-Za-z0-9_-]*)(?:\s+[^:=]*)?:(?!=)(.*)$")


def _classified(command: str) -> list[dict[str, Any]]:
    return [
        {
            "kind": c.kind,
            "tool": c.tool,
            "level": c.level,
            "target": c.target,
            "command": c.command,
            "rule": c.rule,
            "automatic": c.automatic,
            "detail": c.detail,
        }
        for c in classify(command)
    ]


class ScriptsDetector(Detector):
    name = "scripts"
    version = "1"
    description = "shell scripts, package.json scripts, Makefile/justfile/Taskfile targets (for indirection)"
    patterns = (
        "*.sh",
        "*.bash",
        "**/bin/*",
        "*entrypoint*",
        "Makefile",
        "makefile",
        "GNUmakefile",
        "*.mk",
        "justfile",
        "Justfile",
        ".justfile",
        "Taskfile.{yml,yaml}",
        "Taskfile.dist.{yml,yaml}",
        "package.json",
    )

    def extract(self, file: SourceFile) -> Extraction:
        out = Extraction()
        name = PurePosixPath(file.path).name
        if name == "package.json":
            self._package_json(file, out)
        elif name in ("Makefile", "makefile", "GNUmakefile") or name.endswith(".mk"):
            self._makefile(file, out)
        elif name.lower() in ("justfile", ".justfile"):
            self._justfile(file, out)
        elif name.startswith("Taskfile"):
            self._taskfile(file, out)
        elif not name.endswith((".py", ".rb", ".js", ".ts", ".go", ".json", ".md", ".txt", ".yml", ".yaml")):
            self._shell(file, out)
        return out

    def _shell(self, file: SourceFile, out: Extraction) -> None:
        first = file.text.split("\n", 1)[0]
        if first.startswith("#!") and not re.search(r"\b(?:ba|z|da|k)?sh\b", first):
            return  # a python or node script with no extension
        for command in split_commands(file.text):
            for found in _classified(command.text):
                out.records.append(Record("script.command", file.path, command.offset + 1, found))

    def _target(
        self, out: Extraction, path: str, runner: str, name: str, line: int, commands: list[tuple[str, int]]
    ) -> None:
        classified = []
        for command, cmd_line in commands:
            for found in _classified(command):
                classified.append({**found, "line": cmd_line})
        out.records.append(
            Record(
                "task.target",
                path,
                line,
                {
                    "runner": runner,
                    "name": name,
                    "commands": [{"command": c, "line": ln} for c, ln in commands],
                    "classified": classified,
                },
            )
        )

    def _package_json(self, file: SourceFile, out: Extraction) -> None:
        try:
            data = json.loads(file.text)
        except ValueError as exc:
            out.diagnostics.append(self.diagnostic(file.path, getattr(exc, "lineno", None), f"invalid JSON: {exc}"))
            return
        scripts = data.get("scripts") if isinstance(data, dict) else None
        if not isinstance(scripts, dict):
            return
        lines = file.text.splitlines()
        for script_name, command in scripts.items():
            if not isinstance(command, str):
                continue
            needle = json.dumps(script_name) + ":"
            line = next((i + 1 for i, text in enumerate(lines) if needle in text.replace('": ', '":')), 1)
            self._target(out, file.path, "npm", script_name, line, [(c.text, line) for c in split_commands(command)])

    def _makefile(self, file: SourceFile, out: Extraction) -> None:
        lines = file.text.splitlines()
        current: tuple[str, int] | None = None
        commands: list[tuple[str, int]] = []
        for index, raw in enumerate(lines):
            if raw.startswith("\t") and current:
                body = raw.strip().lstrip("@-+").strip()
                if body:
                    commands.append((body, index + 1))
                continue
            match = _MAKE_TARGET.match(raw)
            if match and not raw.startswith((" ", "\t")) and "=" not in match.group(1):
                if current:
                    self._target(out, file.path, "make", current[0], current[1], commands)
                current, commands = (match.group(1), index + 1), []
                inline = match.group(2).split(";", 1)
                if len(inline) == 2 and inline[1].strip():
                    commands.append((inline[1].strip(), index + 1))
            elif raw.strip() and not raw.startswith(("#", " ")):
                if current:
                    self._target(out, file.path, "make", current[0], current[1], commands)
                current, commands = None, []
        if current:
            self._target(out, file.path, "make", current[0], current[1], commands)

    def _justfile(self, file: SourceFile, out: Extraction) -> None:
        lines = file.text.splitlines()
        current: tuple[str, int] | None = None
        commands: list[tuple[str, int]] = []
        for index, raw in enumerate(lines):
            if raw[:1] in (" ", "\t") and current:
                body = raw.strip().lstrip("@-").strip()
                if body and not body.startswith("#"):
                    commands.append((body, index + 1))
                continue
            match = _JUST_RECIPE.match(raw)
            if current:
                self._target(out, file.path, "just", current[0], current[1], commands)
                current, commands = None, []
            if match and not raw.startswith(("#", "set ", "export ", "alias ", "import ", "mod ")):
                current = (match.group(1), index + 1)
        if current:
            self._target(out, file.path, "just", current[0], current[1], commands)

    def _taskfile(self, file: SourceFile, out: Extraction) -> None:
        loaded = load_yaml(file.text)
        if loaded.error:
            out.diagnostics.append(self.diagnostic(file.path, loaded.error.line, f"invalid YAML: {loaded.error}"))
        for doc in loaded.documents:
            tasks = doc.get("tasks") if isinstance(doc, dict) else None
            if not isinstance(tasks, dict):
                continue
            for task_name, task in tasks.items():
                line = line_of(tasks, task_name)
                cmds = task.get("cmds") if isinstance(task, dict) else task
                commands: list[tuple[str, int]] = []
                if isinstance(cmds, (list, YList)):
                    for index, cmd in enumerate(cmds):
                        cmd_line = line_of(cmds, index) if isinstance(cmds, YList) else line
                        if isinstance(cmd, str):
                            commands.extend((c.text, cmd_line + c.offset) for c in split_commands(cmd))
                        elif isinstance(cmd, (dict, YDict)) and isinstance(cmd.get("cmd"), str):
                            commands.extend((c.text, cmd_line + c.offset) for c in split_commands(cmd["cmd"]))
                self._target(out, file.path, "task", str(task_name), line, commands)
