"""`generate` on an existing document: refresh what infrascan wrote, keep every word a person wrote.

The merge unit is a slot's whole value. A slot still holding exactly what infrascan last wrote
(its hash is in the state), or a placeholder, is replaced by the fresh value. A slot a person
changed is kept verbatim; if the facts behind it changed since infrascan last wrote it, that is a
conflict, reported, never overwritten. Blocks the repository gained are added; blocks infrascan
added whose evidence is gone are removed unless a person edited them (then kept and reported).
Everything else in the document (paragraphs, headings, tables, lists) stays byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from infrascan.docparse import HEADER_PREFIX, Block, ParsedDocument, Slot, SlotKey, parse_document
from infrascan.document import FactRecord, SlotState, State, split_state, value_hash
from infrascan.environments import TEMPLATE_TIERS
from infrascan.render.markdown import header_line

KEEP_BLOCKS = {("environment", tier) for tier in TEMPLATE_TIERS}


@dataclass
class Conflict:
    """A value a person wrote, where the repository now says something else than before."""

    key: SlotKey
    line: int  # 1-based line in the document
    label: str
    before: list[FactRecord]
    now: list[FactRecord]


@dataclass
class KeptBlock:
    """A block infrascan once added whose evidence is gone, kept because a person edited it."""

    kind: str
    key: str
    line: int
    facts: list[FactRecord]


@dataclass
class MergeResult:
    text: str  # the document body (without state)
    state: State
    conflicts: list[Conflict] = field(default_factory=list)
    kept: list[KeptBlock] = field(default_factory=list)
    written: set[SlotKey] = field(default_factory=set)


@dataclass
class Fresh:
    """A freshly rendered document and the facts behind each of its slots."""

    text: str
    slot_facts: dict[SlotKey, list[FactRecord]]
    commit: str | None
    template: str = "default"
    component: str | None = None  # the component directory of a per-component document


def _label(doc: ParsedDocument, slot: Slot) -> str:
    return doc.lines[slot.line].strip()[:80]


def _reindent(lines: list[str], delta: int) -> list[str]:
    if delta == 0:
        return lines
    out = []
    for line in lines:
        if not line.strip():
            out.append(line)
        elif delta > 0:
            out.append(" " * delta + line)
        else:
            cut = min(-delta, len(line) - len(line.lstrip(" ")))
            out.append(line[cut:])
    return out


class _Editor:
    """Edits on the old document's lines, applied bottom-up so indexes stay valid."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.edits: list[tuple[int, int, list[str]]] = []

    def replace(self, start: int, end: int, new: list[str]) -> None:
        self.edits.append((start, end, new))

    def apply(self) -> list[str]:
        lines = list(self.lines)
        for start, end, new in sorted(self.edits, key=lambda e: (e[0], e[1]), reverse=True):
            lines[start:end] = new
        return lines


def _slot_lines(fresh_doc: ParsedDocument, slot: Slot) -> list[str]:
    return fresh_doc.lines[slot.line : slot.end]


def _fill(editor: _Editor, old: Slot, new: Slot, fresh_doc: ParsedDocument) -> None:
    """Writes the fresh value into an old slot, keeping the old slot's own indentation."""
    fresh_lines = _slot_lines(fresh_doc, new)
    delta = old.indent - new.indent
    if not new.prefix:  # a numbered list: the whole lines
        replacement = _reindent(fresh_lines, delta)
        if old.line == old.end:  # nothing listed yet: keep a blank line before the list
            replacement = ["", *replacement]
        editor.replace(old.line, old.end, replacement)
        return
    first = (old.prefix if not old.empty else " " * old.indent + new.prefix.lstrip()) + new.value.split("\n")[0]
    rest = _reindent(fresh_lines[1:], delta)
    editor.replace(old.line, old.end, [first, *rest])


def _block_text(fresh_doc: ParsedDocument, block: Block) -> list[str]:
    lines = fresh_doc.lines[block.line : block.end]
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def _insertion_point(old: ParsedDocument, section: str, kind: str) -> int | None:
    same = [b for b in old.blocks if b.section == section and b.kind in (kind, "no-services")]
    if same:
        return max(b.end for b in same)
    bounds = old.sections.get(section)
    if bounds is None:
        return None
    end = bounds[1]
    while end - 1 > bounds[0] and not old.lines[end - 1].strip():
        end -= 1
    return end


def merge_document(existing: str, fresh: Fresh) -> MergeResult:
    body, old_state = split_state(existing)
    old = parse_document(body)
    new = parse_document(fresh.text)
    editor = _Editor(old.lines)
    result = MergeResult("", State())
    state = result.state
    state.commit, state.template, state.component = fresh.commit, fresh.template, fresh.component

    if old.header is not None and new.header is not None:
        editor.replace(old.header, old.header + 1, [new.lines[new.header]])
    elif old.header is None and new.header is not None and old_state is None:
        title = next((i for i, line in enumerate(old.lines) if line.startswith("# ")), None)
        if title is not None:
            editor.replace(title + 1, title + 1, ["", new.lines[new.header]])
    if old.rules_comment is not None:
        start, end = old.rules_comment
        editor.replace(start, end + 1 + (1 if end + 1 < len(old.lines) and not old.lines[end + 1].strip() else 0),
                       [])

    removed_blocks = _merge_blocks(old, new, old_state, editor, result)
    removed_lines = {i for b in removed_blocks for i in range(b.line, b.end)}
    for key, slot in old.slots.items():
        if slot.line in removed_lines:
            continue
        _merge_slot(key, slot, old, new, old_state, fresh, editor, result)
    _add_missing_fields(old, new, editor, result, removed_blocks)
    _merge_regions(old, new, old_state, editor, state, fresh)

    text = "\n".join(editor.apply())
    result.text = recount_header(text.rstrip("\n") + "\n")
    _record_state(result, fresh, old_state)
    return result


def recount_header(text: str) -> str:
    """The header counts the document as it now stands: a field a person filled is filled."""
    doc = parse_document(text)
    if doc.header is None:
        return text
    filled = sum(1 for slot in doc.slots.values() if not slot.open)
    lines = list(doc.lines)
    lines[doc.header] = HEADER_PREFIX + header_line(filled, len(doc.slots)).removeprefix("infrascan: ")
    return "\n".join(lines)


def _owned(slot: Slot, key: SlotKey, old_state: State | None) -> bool:
    if old_state is None or key not in old_state.slots:
        return False
    return old_state.slots[key].hash == value_hash(slot.value)


def _merge_slot(key: SlotKey, slot: Slot, old: ParsedDocument, new: ParsedDocument, old_state: State | None,
                fresh: Fresh, editor: _Editor, result: MergeResult) -> None:
    fresh_slot = new.slots.get(key)
    if slot.empty or _owned(slot, key, old_state):
        if fresh_slot is not None:
            _fill(editor, slot, fresh_slot, new)
            result.written.add(key)
        elif not slot.empty and key[0] == "env.special":
            editor.replace(slot.line, slot.end, [])  # an optional line whose evidence is gone
        return
    if old_state is None or key not in old_state.slots:
        return  # a person's value in a document infrascan never wrote: drift checks it by name
    before = {f.id for f in old_state.slot_facts(key)}
    now = {f.id for f in fresh.slot_facts.get(key, [])}
    if before != now:
        result.conflicts.append(Conflict(key, slot.line + 1, _label(old, slot), old_state.slot_facts(key),
                                         fresh.slot_facts.get(key, [])))


def _block_edited(block: Block, old: ParsedDocument, old_state: State | None) -> bool:
    for key in block.slots:
        slot = old.slots[key]
        if not slot.empty and not _owned(slot, key, old_state):
            return True
    return False


def _merge_blocks(old: ParsedDocument, new: ParsedDocument, old_state: State | None, editor: _Editor,
                  result: MergeResult) -> list[Block]:
    removed: list[Block] = []
    fresh_keys = {(b.kind, b.key) for b in new.blocks}
    for block in old.blocks:
        ident = (block.kind, block.key)
        if block.kind not in ("environment", "service", "no-services") or ident in fresh_keys or ident in KEEP_BLOCKS:
            continue
        placeholder = block.key.startswith("placeholder:") and all(old.slots[k].empty for k in block.slots)
        added_by_us = block.kind == "no-services" or (old_state is not None and ident in old_state.blocks)
        if not (placeholder or added_by_us):
            continue
        if placeholder or not _block_edited(block, old, old_state):
            end = block.end
            while end < len(old.lines) and not old.lines[end].strip():
                end += 1
            editor.replace(block.line, end, [])
            removed.append(block)
        else:
            facts = [f for key in block.slots for f in (old_state.slot_facts(key) if old_state else [])]
            result.kept.append(KeptBlock(block.kind, block.key, block.line + 1, facts))
            result.state.blocks.add(ident)
    old_keys = {(b.kind, b.key) for b in old.blocks}
    for block in new.blocks:
        ident = (block.kind, block.key)
        if block.kind not in ("environment", "service", "no-services") or ident in old_keys:
            continue
        where = _insertion_point(old, block.section, block.kind)
        if where is None:
            continue
        editor.replace(where, where, ["", *_block_text(new, block)])
        result.written.update(block.slots)
        if ident not in KEEP_BLOCKS:
            result.state.blocks.add(ident)
    for block in old.blocks:
        ident = (block.kind, block.key)
        if ident in fresh_keys and old_state is not None and ident in old_state.blocks:
            result.state.blocks.add(ident)
    return removed


def _add_missing_fields(old: ParsedDocument, new: ParsedDocument, editor: _Editor, result: MergeResult,
                        removed: list[Block]) -> None:
    """Fields with new evidence in a block that lacks their line get it (at the block's end)."""
    gone = {(b.kind, b.key) for b in removed}
    for block in new.blocks:
        target = old.block(block.kind, block.key)
        if target is None or (block.kind, block.key) in gone:
            continue
        for key in block.slots:
            if key in old.slots:
                continue
            fresh_slot = new.slots[key]
            if fresh_slot.open:
                continue
            anchor = max((old.slots[k].end for k in target.slots), default=target.line + 1)
            editor.replace(anchor, anchor, _reindent(_slot_lines(new, fresh_slot), 0))
            result.written.add(key)


def _merge_regions(old: ParsedDocument, new: ParsedDocument, old_state: State | None, editor: _Editor,
                   state: State, fresh: Fresh) -> None:
    for name, region in new.regions.items():
        lines = new.lines[region.start : region.end + 1]
        state.regions[name] = value_hash("\n".join(lines))
        if name in old.regions:
            current = old.regions[name]
            editor.replace(current.start, current.end + 1, lines)
        elif old_state is None or name not in old_state.regions:
            section = next((s for s, (a, b) in new.sections.items() if a <= region.start < b), None)
            where = _insertion_point(old, section, "group") if section else None
            if where is not None:
                editor.replace(where, where, ["", *lines])
        else:
            del state.regions[name]  # a person removed it: respect that
    for name, region in old.regions.items():
        if name not in new.regions:
            editor.replace(region.start, region.end + 1, [])


def _record_state(result: MergeResult, fresh: Fresh, old_state: State | None) -> None:
    """Hashes of what infrascan wrote now; a person's slots keep the state of infrascan's last write."""
    merged = parse_document(result.text)
    state = result.state
    if merged.header is not None:
        state.header = value_hash(merged.lines[merged.header])
    for key, slot in merged.slots.items():
        if key in result.written:
            records = fresh.slot_facts.get(key, [])
            state.slots[key] = SlotState(value_hash(slot.value), tuple(r.id for r in records))
            for record in records:
                state.facts[record.id] = record
        elif old_state is not None and key in old_state.slots:
            state.slots[key] = old_state.slots[key]
            for record in old_state.slot_facts(key):
                state.facts[record.id] = record


def fresh_state(fresh: Fresh) -> MergeResult:
    """The state of a document written from scratch: every slot is infrascan's."""
    doc = parse_document(fresh.text)
    result = MergeResult(fresh.text, State(commit=fresh.commit, template=fresh.template, component=fresh.component))
    result.written = set(doc.slots)
    for block in doc.blocks:
        ident = (block.kind, block.key)
        if block.kind in ("environment", "service") and ident not in KEEP_BLOCKS:
            result.state.blocks.add(ident)
    for name, region in doc.regions.items():
        result.state.regions[name] = value_hash("\n".join(doc.lines[region.start : region.end + 1]))
    _record_state(result, fresh, None)
    return result
