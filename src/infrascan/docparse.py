"""Reads an INFRASTRUCTURE.md (infrascan's or hand-written) back into the template's slots.

A slot is one template field in one block: (field id, environment, service). Its value is the
text after `Label:` on the field's line plus the lines that continue it (indented deeper, no
blank line in between); for numbered fields (Build Steps, Deployment Steps) it is the numbered
list under the block's title. Everything that is not a slot, a block title, infrascan's header,
one of its marked regions or its state is text a person owns, and is never touched.

The reader is lenient with hand-written documents: `-`, `*` or `+` bullets, bold or plain labels,
any indentation, `[placeholder]` values, and the template's own "Service A/B" examples.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from infrascan.catalog import load_catalog
from infrascan.environments import normalise

SECTIONS = {
    "environments": "Environments",
    "ci/cd pipeline": "CI/CD Pipeline",
    "monitoring & logging": "Monitoring & Logging",
    "deployment process": "Deployment Process",
    "external services": "External Services",
}

# Per section: block title (lower case) -> (field of the block's own inline value or None,
# {field label (lower case) -> field id}, field of a numbered list under the title or None).
BLOCKS: dict[str, dict[str, tuple[str | None, dict[str, str], str | None]]] = {
    "CI/CD Pipeline": {
        "build steps": (None, {}, "ci.build"),
        "test automation": (None, {"unit tests": "ci.test.unit", "integration tests": "ci.test.integration",
                                   "e2e tests": "ci.test.e2e"}, None),
        "deployment triggers": (None, {"manual deployments": "ci.deploy.manual",
                                       "automated deployments": "ci.deploy.automated"}, None),
    },
    "Monitoring & Logging": {
        "monitoring tools": ("mon.tools", {"application monitoring": "mon.application",
                                           "infrastructure monitoring": "mon.infrastructure",
                                           "performance monitoring": "mon.performance"}, None),
        "logging": (None, {"log aggregation": "log.aggregation", "log levels": "log.levels",
                           "log retention": "log.retention"}, None),
        "alert configuration": (None, {"critical alerts": "alert.critical", "warning alerts": "alert.warning",
                                       "alert channels": "alert.channels"}, None),
    },
    "Deployment Process": {
        "deployment steps": (None, {}, "deploy.steps"),
        "rollback procedure": (None, {"identify the need for rollback": "deploy.rollback.identify",
                                      "perform the rollback": "deploy.rollback.perform",
                                      "verify the rollback": "deploy.rollback.verify"}, None),
        "database migrations": (None, {"migration strategy": "deploy.migration.strategy",
                                       "rollback strategy": "deploy.migration.rollback"}, None),
    },
}
ENV_LABELS = {"url": "env.url", "database": "env.database", "special configurations": "env.special",
              "purpose": "env.purpose", "sla": "env.sla"}
SERVICE_LABELS = {"authentication": "ext.auth", "rate limits": "ext.rate_limits", "fallback strategy": "ext.fallback"}
ROLLBACK_BY_POSITION = ("deploy.rollback.identify", "deploy.rollback.perform", "deploy.rollback.verify")
NO_SERVICES = "ext.none"  # the External Services gap line when no service is known

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>[-*+]|\d+[.)])\s+(?P<body>.*)$")
_TITLE = re.compile(r"^(?:\*\*|__)(?P<title>.+?)(?:\*\*|__)\s*:?\s*(?P<rest>.*)$")
_PLAIN_LABEL = re.compile(r"^(?P<title>[A-Za-z0-9][^:\[\]`]{0,60}?)\s*:(?P<rest>.*)$")
_PLACEHOLDER = re.compile(r"^\s*(?:\[[^\]]*\]\s*(?::\s*\[[^\]]*\])?\s*)?$")
REGION_BEGIN = re.compile(r"^<!-- infrascan:begin (?P<name>[\w-]+) -->\s*$")
REGION_END = re.compile(r"^<!-- infrascan:end (?P<name>[\w-]+) -->\s*$")
HEADER_PREFIX = "> infrascan: "
GAP_MARK = "**Gap:**"
RULES_COMMENT_MARK = "RULES FOR AI"

SlotKey = tuple[str, str, str]  # (field id, environment or "", service or "")


@dataclass
class Slot:
    key: SlotKey
    line: int  # 0-based index of the line holding the label (or the first list line)
    end: int  # exclusive end of the value's lines
    prefix: str  # the text kept before the value on the first line ("  - URL:"); "" for lists
    value: str  # the value as written: after the prefix, continuation lines included
    indent: int  # indentation of the slot's own bullet (or of the list)

    @property
    def empty(self) -> bool:
        """A placeholder (`[Development URL]`) or nothing at all: free for infrascan to fill."""
        return is_placeholder(self.value)

    @property
    def open(self) -> bool:
        """Not filled: a placeholder, nothing, or infrascan's own gap flag."""
        if self.key[0] == NO_SERVICES:  # "- **Gap:** no third-party service found" is a gap by definition
            return True
        return self.empty or _LIST_MARKER.sub("", self.value.strip()).startswith(GAP_MARK)


@dataclass
class Block:
    kind: str  # "environment", "service", "group", "no-services"
    key: str  # environment block, service id or group title
    section: str
    line: int
    end: int
    title_line: str
    slots: list[SlotKey] = field(default_factory=list)


@dataclass
class Region:
    name: str
    start: int  # the begin marker's line
    end: int  # the end marker's line (inclusive)


@dataclass
class ParsedDocument:
    lines: list[str]
    slots: dict[SlotKey, Slot]
    blocks: list[Block]
    regions: dict[str, Region]
    sections: dict[str, tuple[int, int]]  # canonical section -> (heading line, end exclusive)
    header: int | None
    rules_comment: tuple[int, int] | None

    def block(self, kind: str, key: str) -> Block | None:
        return next((b for b in self.blocks if b.kind == kind and b.key == key), None)


_LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


def is_placeholder(value: str) -> bool:
    """Empty, or only the template's `[placeholders]` (one per line, list markers allowed)."""
    for line in value.splitlines() or [""]:
        stripped = _LIST_MARKER.sub("", line).strip()
        if stripped and not _PLACEHOLDER.match(stripped) and stripped.lower() not in ("tbd", "todo", "n/a", "-"):
            return False
    return True


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _service_key(title: str) -> str:
    catalog = load_catalog()
    lowered = title.strip().lower()
    for tech in catalog.techs.values():
        if lowered == tech.name.lower() or lowered in (a.lower() for a in tech.aliases):
            return tech.id
    return "service:" + lowered


def _title(body: str) -> tuple[str, str] | None:
    match = _TITLE.match(body)
    if match:
        return match.group("title").strip().rstrip(":").strip(), match.group("rest")
    return None


def _label(body: str) -> tuple[str, str, str] | None:
    """`URL: value` -> ("url", " value", prefix-within-body); also bold labels."""
    bold = _TITLE.match(body)
    if bold:
        idx = body.find(":", body.find(bold.group("title")) + len(bold.group("title")))
        if idx == -1:
            return None
        return bold.group("title").strip().lower(), body[idx + 1 :], body[: idx + 1]
    plain = _PLAIN_LABEL.match(body)
    if plain:
        idx = body.index(":")
        return plain.group("title").strip().lower(), body[idx + 1 :], body[: idx + 1]
    return None


def _continuation_end(lines: list[str], start: int, indent: int, stop_labels: set[str]) -> int:
    """The first line after `start` that does not continue the value started on `start`."""
    end = start + 1
    while end < len(lines):
        line = lines[end]
        if not line.strip() or _indent(line) <= indent or line.lstrip().startswith("<!--"):
            break
        bullet = _BULLET.match(line)
        if bullet and _indent(line) <= indent + 2:
            label = _label(bullet.group("body"))
            if label and label[0] in stop_labels:
                break
        end += 1
    return end


def parse_document(text: str) -> ParsedDocument:
    lines = text.split("\n")
    slots: dict[SlotKey, Slot] = {}
    blocks: list[Block] = []
    regions: dict[str, Region] = {}
    sections: dict[str, tuple[int, int]] = {}
    header: int | None = None
    rules_comment: tuple[int, int] | None = None
    section: str | None = None
    section_start = 0
    block: Block | None = None
    i = 0
    open_region: tuple[str, int] | None = None
    while i < len(lines):
        line = lines[i]
        if open_region is not None:
            end = REGION_END.match(line)
            if end and end.group("name") == open_region[0]:
                regions[open_region[0]] = Region(open_region[0], open_region[1], i)
                open_region = None
            i += 1
            continue
        begin = REGION_BEGIN.match(line)
        if begin:
            open_region = (begin.group("name"), i)
            i += 1
            continue
        if line.startswith("<!--") and RULES_COMMENT_MARK in "\n".join(lines[i : i + 4]):
            end_line = next((j for j in range(i, len(lines)) if "-->" in lines[j]), i)
            rules_comment = (i, end_line)
            i = end_line + 1
            continue
        if line.startswith(HEADER_PREFIX) and header is None and section is None:
            header = i
            i += 1
            continue
        heading = _HEADING.match(line)
        if heading:
            if section is not None:
                sections[section] = (section_start, i)
            if block is not None:
                block.end = i
                block = None
            section = SECTIONS.get(heading.group(2).strip().lower()) if len(heading.group(1)) == 2 else None
            section_start = i
            i += 1
            continue
        bullet = _BULLET.match(line)
        if section is not None and bullet and _indent(line) <= 1 and not bullet.group("marker")[0].isdigit():
            if block is not None:
                block.end = i
            block, i = _start_block(lines, i, bullet.group("body"), section, slots)
            if block is not None:
                blocks.append(block)
            continue
        if section is not None and block is not None and bullet and _indent(line) >= 2:
            i = _field(lines, i, bullet, block, slots)
            continue
        if line.strip() and _indent(line) == 0 and block is not None and not bullet:
            block.end = i
            block = None
        i += 1
    if block is not None:
        block.end = len(lines)
    if section is not None:
        sections[section] = (section_start, len(lines))
    return ParsedDocument(lines, slots, blocks, regions, sections, header, rules_comment)


def _start_block(lines: list[str], i: int, body: str, section: str,
                 slots: dict[SlotKey, Slot]) -> tuple[Block | None, int]:
    titled = _title(body)
    if titled is None:
        return None, i + 1
    title, rest = titled
    lower = title.lower()
    if section == "Environments":
        block = Block("environment", normalise(title), section, i, i + 1, lines[i])
        return block, i + 1
    if section == "External Services":
        if lower == "gap:" or lower == "gap":
            block = Block("no-services", NO_SERVICES, section, i, i + 1, lines[i])
            _inline_slot(lines, i, (NO_SERVICES, "", ""), block, slots, set(SERVICE_LABELS))
            return block, block.end
        service = _service_key(title)
        if re.fullmatch(r"service [a-z]", lower) and is_placeholder(rest):
            service = "placeholder:" + lower
        block = Block("service", service, section, i, i + 1, lines[i])
        _inline_slot(lines, i, ("ext.purpose", "", service), block, slots, set(SERVICE_LABELS))
        return block, block.end
    spec = BLOCKS.get(section, {}).get(lower)
    if spec is None:
        return None, i + 1
    inline, labels, steps = spec
    block = Block("group", lower, section, i, i + 1, lines[i])
    if inline:
        _inline_slot(lines, i, (inline, "", ""), block, slots, set(labels))
        return block, block.end
    if steps:
        j = i + 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        end = j
        while end < len(lines):
            candidate = lines[end]
            if not candidate.strip():
                nxt = next((k for k in range(end, len(lines)) if lines[k].strip()), len(lines))
                if nxt < len(lines) and _indent(lines[nxt]) >= 2 and not _HEADING.match(lines[nxt]):
                    end = nxt
                    continue
                break
            if _indent(candidate) < 2 or _HEADING.match(candidate):
                break
            end += 1
        if end > j:
            key = (steps, "", "")
            slots[key] = Slot(key, j, end, "", "\n".join(lines[j:end]), _indent(lines[j]))
        else:
            key = (steps, "", "")
            slots[key] = Slot(key, i + 1, i + 1, "", "", 2)
        block.slots.append(key)
        block.end = max(end, i + 1)
        return block, block.end
    return block, i + 1


_TITLE_PREFIX = re.compile(r"^(\s*[-*+]\s+(?:\*\*|__).+?(?:\*\*|__)\s*:?)|^(\s*[-*+]\s+[^:]+:)")


def _inline_slot(lines: list[str], i: int, key: SlotKey, block: Block, slots: dict[SlotKey, Slot],
                 stop_labels: set[str]) -> None:
    """A block title's own value: `- **Stripe**: Payments ...` and the lines that continue it."""
    line = lines[i]
    match = _TITLE_PREFIX.match(line)
    prefix = match.group(0) if match else line
    end = _continuation_end(lines, i, _indent(line), stop_labels)
    value = "\n".join([line[len(prefix) :], *lines[i + 1 : end]])
    slots[key] = Slot(key, i, end, prefix, value, _indent(line))
    block.slots.append(key)
    block.end = end


def _field(lines: list[str], i: int, bullet: re.Match[str], block: Block, slots: dict[SlotKey, Slot]) -> int:
    body = bullet.group("body")
    labelled = _label(body)
    field_id: str | None = None
    env = service = ""
    if block.kind == "environment":
        if labelled:
            field_id = ENV_LABELS.get(labelled[0])
        env = block.key
    elif block.kind == "service":
        if labelled:
            field_id = SERVICE_LABELS.get(labelled[0])
        service = block.key
    elif block.kind == "group":
        spec = BLOCKS[block.section][block.key]
        if labelled:
            field_id = spec[1].get(labelled[0])
        if field_id is None and block.key == "rollback procedure" and bullet.group("marker")[0].isdigit():
            position = int(bullet.group("marker")[:-1]) - 1
            if 0 <= position < len(ROLLBACK_BY_POSITION):
                field_id = ROLLBACK_BY_POSITION[position]
                if labelled is None:
                    labelled = ("", body, "")
    if field_id is None or labelled is None:
        return i + 1
    key: SlotKey = (field_id, env, service)
    if key in slots:
        return i + 1
    line = lines[i]
    prefix = line[: len(line) - len(body)] + labelled[2]
    labels = set(ENV_LABELS) | set(SERVICE_LABELS)
    if block.kind == "group":
        labels |= set(BLOCKS[block.section][block.key][1])
    end = _continuation_end(lines, i, _indent(line), labels)
    value = "\n".join([line[len(prefix):], *lines[i + 1 : end]])
    slots[key] = Slot(key, i, end, prefix, value, _indent(line))
    block.slots.append(key)
    block.end = end
    return end
