"""infrascan's hidden state inside the document it writes.

The state lives in one HTML comment at the end of the document, so the document alone carries
everything `generate` and `drift` need and nothing else has to be committed: for every slot, a
hash of the value infrascan wrote (so a person's edit is recognised) and the facts behind it (so
drift can say what changed, with the evidence of then and now); the blocks infrascan added; its
marked regions; and the commit scanned. One JSON object per line keeps git diffs of the state
readable. `<`, `>` and `&` are escaped inside the JSON, so no repository value can close the
comment early.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from infrascan import __version__
from infrascan.model import Fact
from infrascan.redact import scrub

STATE_OPEN = "<!-- infrascan:state"
STATE_CLOSE = "-->"
STATE_VERSION = 2

SlotKey = tuple[str, str, str]


def fact_id(field_id: str, env: str | None, service: str | None, item: str, text: str) -> str:
    raw = "\x1f".join((field_id, env or "", service or "", item, text))
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def value_hash(value: str) -> str:
    """A slot value's identity, insensitive to trailing spaces and trailing blank lines."""
    normal = "\n".join(line.rstrip() for line in value.strip("\n").split("\n")).strip()
    return hashlib.sha256(normal.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class FactRecord:
    """What infrascan stated: enough to say later what changed and where the evidence was."""

    id: str
    field: str
    env: str
    service: str
    item: str
    text: str
    tech: str | None
    evidence: tuple[tuple[str, int], ...]
    role: str = "best"  # best (shown), also (listed under it), hint (listed, never filling)

    @classmethod
    def of(cls, fact: Fact, role: str = "best") -> FactRecord:
        """The fact as the state keeps it: its text passes the one redaction function, like every output."""
        shown = scrub(fact.text)
        return cls(fact_id(fact.field, fact.env, fact.service, fact.item, shown), fact.field, fact.env or "",
                   fact.service or "", scrub(fact.item), shown, fact.tech,
                   tuple((scrub(e.path), e.line) for e in fact.evidence), role)

    def to_json(self) -> dict[str, Any]:
        return {"fact": self.id, "field": self.field, "env": self.env, "service": self.service, "item": self.item,
                "text": self.text, "tech": self.tech, "evidence": [list(e) for e in self.evidence], "role": self.role}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FactRecord:
        return cls(str(data["fact"]), str(data["field"]), str(data.get("env") or ""), str(data.get("service") or ""),
                   str(data.get("item") or ""), str(data.get("text") or ""), data.get("tech"),
                   tuple((str(p), int(n)) for p, n in data.get("evidence", [])), str(data.get("role", "best")))


@dataclass
class SlotState:
    hash: str
    facts: tuple[str, ...]


@dataclass
class State:
    commit: str | None = None
    template: str = "default"
    component: str | None = None
    tool: str = __version__
    slots: dict[SlotKey, SlotState] = field(default_factory=dict)
    facts: dict[str, FactRecord] = field(default_factory=dict)
    blocks: set[tuple[str, str]] = field(default_factory=set)
    regions: dict[str, str] = field(default_factory=dict)
    header: str = ""

    def slot_facts(self, key: SlotKey) -> list[FactRecord]:
        slot = self.slots.get(key)
        return [self.facts[f] for f in slot.facts if f in self.facts] if slot else []


def _safe(data: Any) -> str:
    raw = json.dumps(data, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return raw.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_state(state: State) -> str:
    lines = [f"{STATE_OPEN} {STATE_VERSION}",
             _safe({"commit": state.commit, "infrascan": state.tool, "template": state.template,
                    "header": state.header, **({"component": state.component} if state.component is not None else {})})]
    for key in sorted(state.slots):
        slot = state.slots[key]
        lines.append(_safe({"slot": list(key), "hash": slot.hash, "facts": list(slot.facts)}))
    for kind, block in sorted(state.blocks):
        lines.append(_safe({"block": [kind, block]}))
    for name in sorted(state.regions):
        lines.append(_safe({"region": name, "hash": state.regions[name]}))
    used = {f for slot in state.slots.values() for f in slot.facts}
    for fid in sorted(used):
        if fid in state.facts:
            lines.append(_safe(state.facts[fid].to_json()))
    lines.append(STATE_CLOSE)
    return "\n".join(lines) + "\n"


def split_state(text: str) -> tuple[str, State | None]:
    """The document without its state block, and the state (None when there is none or it is broken)."""
    start = text.rfind(STATE_OPEN)
    if start == -1:
        return text, None
    end = text.find(STATE_CLOSE, start)
    if end == -1:
        return text, None
    body = text[:start].rstrip("\n") + "\n"
    block = text[start:end]
    return body, _parse_state(block)


def _parse_state(block: str) -> State | None:
    lines = block.split("\n")
    state = State()
    try:
        for line in lines[1:]:
            line = line.strip()
            if not line:
                continue
            data = json.loads(line)
            if "slot" in data:
                key = tuple(str(k) for k in data["slot"])
                state.slots[(key[0], key[1], key[2])] = SlotState(str(data["hash"]), tuple(data.get("facts", [])))
            elif "block" in data:
                state.blocks.add((str(data["block"][0]), str(data["block"][1])))
            elif "region" in data:
                state.regions[str(data["region"])] = str(data["hash"])
            elif "fact" in data:
                record = FactRecord.from_json(data)
                state.facts[record.id] = record
            else:
                state.commit = data.get("commit")
                state.tool = str(data.get("infrascan", ""))
                state.template = str(data.get("template", "default"))
                state.header = str(data.get("header", ""))
                state.component = data.get("component")
    except (ValueError, KeyError, TypeError, IndexError):
        return None
    return state


def is_infrascan_document(text: str) -> bool:
    return STATE_OPEN in text
