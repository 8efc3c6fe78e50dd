"""Application logging configuration files: the level the root logger writes at, and how long
rotated log files are kept.

Three formats, each the usual way its ecosystem configures logging in a file:
- Python's `logging.config.dictConfig` schema in JSON or YAML (`version: 1`, `handlers`, `root`;
  mealie's `logconf.prod.json` rotates `mealie.log` at 10,000 bytes and keeps 3 old files);
- Logback (`logback.xml`, `logback-spring.xml`): `<root level>`, and a rolling policy's
  `<maxHistory>` and `<totalSizeCap>`;
- Log4j 2 (`log4j2.xml`): `<Root level>`, `<DefaultRolloverStrategy max>` and the age a `<Delete>`
  action removes files after (`<IfLastModified age="30d"/>`).

The XML formats are read line by line, comments blanked out first: every statement cites the line
that says it, which an XML tree does not keep. A value an environment variable or a property fills
in (`${LOG_LEVEL:-INFO}`, `${sys:level}`) is not known here, and is not said.
"""

from __future__ import annotations

import re
from typing import Any

from infrascan.detector import Detector, Extraction, SourceFile
from infrascan.environments import PRODUCTION, env_from_name, normalise
from infrascan.model import Code, Confidence, Fact, Part, text
from infrascan.xmltext import uncommented
from infrascan.yamlload import YDict, line_of

# dictConfig's rotating handlers, and what their arguments mean
_ROTATING = "logging.handlers.RotatingFileHandler"
_TIMED = "logging.handlers.TimedRotatingFileHandler"
_WHEN = {"s": "second", "m": "minute", "h": "hour", "d": "day", "midnight": "day", "w": "week"}
_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "WARNING", "ERROR", "CRITICAL", "FATAL", "OFF", "ALL")

# A tag's attributes are looked for within its first 500 characters: an unclosed tag repeated
# through a large one-line file would otherwise be scanned to the end once per occurrence.
_ROOT_LEVEL = re.compile(r"<root\b[^>]{0,500}?\blevel\s*=\s*\"([^\"]{1,64})\"", re.I)
_ROOT_OPEN = re.compile(r"<root\b[^>]{0,500}>", re.I)
_LEVEL_ELEMENT = re.compile(r"<level\s+value\s*=\s*\"([^\"]{1,64})\"", re.I)  # log4j 1 style inside <root>
_MAX_HISTORY = re.compile(r"<maxHistory>\s*([^<\s]{1,64})\s*</maxHistory>")
_TOTAL_CAP = re.compile(r"<totalSizeCap>\s*([^<\s]{1,64})\s*</totalSizeCap>")
_ROLLOVER_MAX = re.compile(r"<DefaultRolloverStrategy\b[^>]{0,500}?\bmax\s*=\s*\"([^\"]{1,64})\"")
_DELETE_AGE = re.compile(r"<IfLastModified\b[^>]{0,500}?\bage\s*=\s*\"([^\"]{1,64})\"")
# the date in a Logback file name pattern, whose finest unit is the period maxHistory counts
_DATE_PATTERN = re.compile(r"%d(?:\{([^}\n]{0,64})\})?")
_PERIODS = (("m", "minutes"), ("H", "hours"), ("d", "days"), ("w", "weeks"), ("M", "months"), ("y", "years"))


class LogConfigDetector(Detector):
    name = "log-config"
    version = "1"
    description = "Application logging configuration (Python dictConfig, Logback, Log4j 2)"
    patterns = (
        "logback.xml",
        "logback-*.xml",
        "log4j2.xml",
        "log4j2-*.xml",
        "logging.{json,yaml,yml}",
        "logging.*.{json,yaml,yml}",
        "logconf*.{json,yaml,yml}",
        "log_conf*.{json,yaml,yml}",
        "log-conf*.{json,yaml,yml}",
        "logging_conf*.{json,yaml,yml}",
        "logging-conf*.{json,yaml,yml}",
    )
    looks_for = {
        "log.levels": "the root logger's level in logging configuration files (dictConfig, Logback, Log4j 2)",
        "log.retention": "rotated log files kept by logging configuration files (dictConfig, Logback, Log4j 2)",
    }

    def extract(self, file: SourceFile) -> Extraction:
        out = Extraction()
        if file.path.endswith(".xml"):
            out.facts.extend(self._xml_facts(file))
            return out
        doc = self.yaml_mapping(file, out)
        if doc is not None and doc.get("version") == 1 and isinstance(doc.get("handlers"), dict):
            out.facts.extend(self._dict_config_facts(file.path, doc))
        return out

    # -- Python's dictConfig ------------------------------------------------------------------

    def _dict_config_facts(self, path: str, doc: YDict) -> list[Fact]:
        facts: list[Fact] = []
        root = doc.get("root")
        if not isinstance(root, YDict):
            loggers = doc.get("loggers")
            root = loggers.get("") if isinstance(loggers, YDict) else None
        if isinstance(root, YDict):
            level = _known_level(root.get("level"))
            if level:
                facts.append(self._level_fact(path, level, line_of(root, "level")))
        for name, handler in doc["handlers"].items():
            if isinstance(handler, YDict):
                fact = self._rotation(path, str(name), handler)
                if fact is not None:
                    facts.append(fact)
        return facts

    def _rotation(self, path: str, name: str, handler: YDict) -> Fact | None:
        """A rotating file handler's rotation: at what size or interval, and how many old files it keeps."""
        cls = str(handler.get("class", ""))
        kept = handler.get("backupCount")
        if cls not in (_ROTATING, _TIMED) or not isinstance(kept, int) or isinstance(kept, bool):
            return None
        target = handler.get("filename")
        where: tuple[Part, ...] = (" ", Code(str(target))) if isinstance(target, str) and target else ()
        if kept == 0:
            keeps: tuple[Part, ...] = (", and no old file is removed (`backupCount: 0`)",)
        else:
            keeps = (f", {kept} old file{'s' if kept != 1 else ''} kept",)
        if cls == _ROTATING:
            size = handler.get("maxBytes")
            if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
                return None  # maxBytes 0 never rolls over: backupCount keeps nothing
            when: tuple[Part, ...] = (f" rotates at {size:,} bytes",)
        else:
            every = str(handler.get("when", "h")).lower()  # `W0`-`W6`: weekly, on a given day
            unit = _WHEN.get(every if every == "midnight" else every[:1])
            interval = handler.get("interval", 1)
            if unit is None or not isinstance(interval, int) or interval <= 0:
                return None
            when = (f" rotates every {unit}" if interval == 1 else f" rotates every {interval} {unit}s",)
        variant = _variant(path)
        return Fact(
            "log.retention",
            text("Log file", *where, *when, *keeps, " (handler ", Code(name), " in ", Code(path), *_named_for(variant),
                 ")"),
            Confidence.DECLARED,
            (*self.evidence(path, line_of(handler, "class")), *self.evidence(path, line_of(handler, "backupCount"))),
            item=f"rotation:{path}:{name}",
            rank=_rank(variant),
            order=(variant is not None, path, handler.line),
        )

    # -- Logback and Log4j 2 -------------------------------------------------------------------

    def _xml_facts(self, file: SourceFile) -> list[Fact]:
        source = uncommented(file.text)
        lines = source.splitlines()
        facts: list[Fact] = []
        level = _root_level(lines)
        if level is not None:
            facts.append(self._level_fact(file.path, *level))
        tool = "Log4j 2" if "log4j2" in file.path.rsplit("/", 1)[-1].lower() else "Logback"
        variant = _variant(file.path)
        rules = (
            (_MAX_HISTORY, ("Rolled log files kept for ", "{} " + _periods(source), " (", Code("maxHistory"))),
            (_TOTAL_CAP, ("Rolled log files capped at ", "{} in total", " (", Code("totalSizeCap"))),
            (_ROLLOVER_MAX, ("Rolled files numbered up to ", "{}", ", the oldest deleted (",
                             Code("DefaultRolloverStrategy max"))),
            (_DELETE_AGE, ("Rolled log files deleted after ", "{}", " (", Code("IfLastModified age"))),
        )
        for number, line in enumerate(lines, 1):
            for pattern, phrase in rules:
                match = pattern.search(line)
                if match is None or "$" in match.group(1):
                    continue
                facts.append(
                    Fact(
                        "log.retention",
                        text(phrase[0], phrase[1].format(match.group(1)), *phrase[2:], " of ", tool, " in ",
                             Code(file.path), *_named_for(variant), ")"),
                        Confidence.DECLARED,
                        self.evidence(file.path, number),
                        item=f"rotation:{file.path}:{number}",
                        rank=_rank(variant),
                        order=(variant is not None, file.path, number),
                    )
                )
        return facts

    def _level_fact(self, path: str, level: str, line: int) -> Fact:
        variant = _variant(path)
        return Fact(
            "log.levels",
            text("Root logger at ", Code(level), " (", Code(path), *_named_for(variant), ")"),
            Confidence.DECLARED,
            self.evidence(path, line),
            item=f"root-level:{level}",  # one entry per level, each with the files that set it
            rank=_rank(variant),
            order=(variant is not None, path, line),
        )


def _variant(path: str) -> str | None:
    """The environment other than production a configuration file's name is for (penpot's
    `log4j2-devenv.xml`, `logback-test.xml`): its rotation is not what the deployed program does."""
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    named = env_from_name(stem)
    env = normalise(named) if named else None
    return env if env != PRODUCTION else None


def _named_for(variant: str | None) -> tuple[Part, ...]:
    return (", named for ", variant) if variant else ()


def _rank(variant: str | None) -> int:
    """A file named for another environment after the plain one (`log4j2.xml`)."""
    return 60 if variant else 40


def _periods(source: str) -> str:
    """What Logback's maxHistory counts: the finest unit of the date in the file name pattern
    (`%d` alone is a day); "rollover periods" when the file names none, or several patterns differ."""
    units = set()
    for match in _DATE_PATTERN.finditer(source):
        if "fileNamePattern" not in source[max(0, match.start() - 200) : match.start()]:
            continue
        pattern = match.group(1) or "yyyy-MM-dd"
        units.add(next((unit for letter, unit in _PERIODS if letter in pattern), "rollover periods"))
    return units.pop() if len(units) == 1 else "rollover periods"


def _root_level(lines: list[str]) -> tuple[str, int] | None:
    """The root logger's level and its line: `<root level="INFO">`, or a `<level value>` inside `<root>`."""
    inside = False
    for number, line in enumerate(lines, 1):
        found = _ROOT_LEVEL.search(line)
        if found:
            level = _known_level(found.group(1))
            return (level, number) if level else None
        if _ROOT_OPEN.search(line):
            inside = not line.rstrip().endswith("/>")
        elif inside:
            found = _LEVEL_ELEMENT.search(line)
            if found:
                level = _known_level(found.group(1))
                return (level, number) if level else None
            if re.search(r"</root\s*>", line, re.I):
                inside = False
    return None


def _known_level(value: Any) -> str | None:
    """A level as written, when it is one (not a `${LOG_LEVEL}` a property or the environment fills in)."""
    if not isinstance(value, str):
        return None
    return value if value.strip().upper() in _LEVELS else None
