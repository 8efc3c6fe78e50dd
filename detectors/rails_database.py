"""Rails' `config/database.yml`: the database engine each environment connects to.

Each top-level key is an environment (`development`, `test`, `production`), most of them merging a
shared block (`<<: *default`); an environment holds one database (`adapter: postgresql`) or, since
Rails 6, several by name (`primary`, `cache`, `queue`) when every key of the environment is one
(a `variables:` map is a setting of its one database). `shared:` is merged into every environment.
The adapter names the engine (catalog `rails_adapters`); a URL or an adapter an environment variable
fills in (`<%= ENV[...] %>`) says none, and nothing is said for it.

The file is ERB before it is YAML, so it is read line by line rather than loaded: an ERB control
line inside an environment (`<% if ENV['DATABASE_HOST'] %>`) chooses between branches at boot
(docuseal's production is PostgreSQL or SQLite), which no YAML parser can see, and every statement
cites the adapter line it comes from. An environment whose block holds such conditions, that merges
a block that does, or that ERB branches write twice has each of its engines said as a lead, not as
what it runs; an ERB comment or a condition around whole environments chooses nothing inside one. A
committed sample (`database.yml.sample`, lobsters') is the template of the real, ignored file: what
it says is inferred.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from infrascan.catalog import Tech
from infrascan.detector import Detector, Extraction, SourceFile
from infrascan.environments import env_from_name
from infrascan.model import Code, Confidence, Fact, Part, code_list, text

_SECTION = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(?:&([\w-]+))?\s*(?:#.*)?$")
_KEY = re.compile(r"^( +)([A-Za-z_][\w-]*)\s*:\s*(.*?)\s*$")
_ANCHOR_ONLY = re.compile(r"&([\w-]+)\s*(?:#.*)?$")
_MERGE = re.compile(r"^( +)<<\s*:\s*\*([\w-]+)\s*(?:#.*)?$")
_CONTROL = re.compile(r"^\s*<%(?!=)")  # `<% if ... %>`, not `<%= ... %>`
# Blocks that only hold what environments merge in: never an environment themselves.
_TEMPLATES = frozenset({"default", "defaults", "common", "base", "shared"})


@dataclass
class _Block:
    """One database's settings in a section: its adapter lines and the anchors it merges."""

    adapters: list[tuple[str, int]] = field(default_factory=list)
    merges: list[tuple[str, int]] = field(default_factory=list)
    anchor: str = ""  # `primary: &primary_production`: others merge this database's settings
    conditional: bool = False  # written in a section whose ERB branches choose at boot


@dataclass
class _Section:
    name: str
    line: int
    anchor: str = ""
    conditional: bool = False
    top: _Block = field(default_factory=_Block)  # settings of the section itself
    named: dict[str, _Block] = field(default_factory=dict)  # Rails 6 multiple databases by name
    indent: int = 0  # the indentation of the section's own keys
    settings: int = 0  # keys of its own with a value (`adapter: …`, `host: …`): one database, not several

    def databases(self) -> list[tuple[str, _Block]]:
        """Its databases by name; Rails reads several only when every key of the section is one
        (discourse's `variables:` and `host_names:` are settings of its one database)."""
        if self.named and not (self.settings or self.top.adapters or self.top.merges):
            return list(self.named.items())
        return [("", self.top)]


class RailsDatabaseDetector(Detector):
    name = "rails-database"
    version = "1"
    description = "Rails config/database.yml: each environment's database engine"
    # only Rails' place for it: a `database.yml` in a `config` folder
    patterns = ("**/config/database.yml", "**/config/database.yml.{sample,example,dist,template}")
    looks_for = {"env.database": "adapters of Rails `config/database.yml` environments"}

    def extract(self, file: SourceFile) -> Extraction:
        out = Extraction()
        sections = _sections(file.text)
        anchors = {s.anchor: s.top for s in sections if s.anchor}
        anchors.update({b.anchor: b for s in sections for b in s.named.values() if b.anchor})
        sample = not file.path.endswith(".yml")
        # Rails merges `shared:` into every environment: its adapter is theirs unless they set one
        shared = next((s.top for s in sections if s.name == "shared"), None)
        # an environment written twice is one that ERB branches around whole sections choose between
        written = Counter(s.name for s in sections)
        for section in sections:
            env = env_from_name(section.name)
            if env is None or section.name == "shared" or (section.anchor and section.name.lower() in _TEMPLATES):
                continue
            found: dict[str, tuple[Tech, str, list[str], list[int]]] = {}
            conditional = False
            for db_name, block in section.databases():
                adapters = _adapters(block, anchors, every=section.conditional)
                if not adapters and shared is not None and not db_name:
                    adapters = _adapters(shared, anchors)
                conditional = conditional or any(c for _, _, c in adapters)
                for adapter, lines, _ in adapters:
                    tech = self.catalog.by_rails_adapter(adapter)
                    if tech is None:
                        continue
                    entry = found.setdefault(tech.id, (tech, adapter, [], []))
                    if db_name and db_name not in entry[2]:
                        entry[2].append(db_name)
                    entry[3].extend(line for line in lines if line not in entry[3])
            for tech, adapter, names, lines in found.values():
                out.facts.append(self._fact(file.path, env, tech, adapter, names, sorted(lines),
                                            section.conditional or conditional or written[section.name] > 1, sample))
        return out

    def _fact(self, path: str, env: str, tech: Tech, adapter: str, names: list[str], lines: list[int],
              conditional: bool, sample: bool) -> Fact:
        what: list[Part] = [tech.name, ": Rails "]
        if names:
            what += ["databases " if len(names) > 1 else "database ", *code_list(names), " ("]
        what += [Code(f"adapter: {adapter}")]
        what += [")"] if names else []
        what += [" in ", Code(path)]
        if conditional:
            what.append(", one of the branches its ERB conditions choose between at boot")
        return Fact(
            "env.database",
            text(*what),
            Confidence.HINT if conditional else Confidence.INFERRED if sample else Confidence.DECLARED,
            tuple(e for line in lines for e in self.evidence(path, line)),
            env=env,
            item=f"rails-database:{tech.id}",
            tech=tech.id,
            rank=30,
            order=(path, lines[0] if lines else 0),
        )


def _sections(source: str) -> list[_Section]:
    """The file's top-level keys with their databases' adapter and merge lines."""
    sections: list[_Section] = []
    current: _Section | None = None
    block: _Block | None = None
    lines = source.split("\n")
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if _CONTROL.match(line):
            # a condition inside a section's body (the next line written is indented) branches it;
            # one around whole sections, or an ERB comment, does not
            following = next((n for n in lines[number:] if n.strip() and not _CONTROL.match(n)), "")
            if current is not None and following.startswith((" ", "\t")) and not line.lstrip().startswith("<%#"):
                current.conditional = True
            continue
        section = _SECTION.match(line)
        if section:
            current = _Section(section.group(1), number, section.group(2) or "")
            sections.append(current)
            block = current.top
            continue
        if current is None or not line.startswith(" "):
            current = None
            continue
        indent = len(line) - len(line.lstrip(" "))
        current.indent = current.indent or indent
        merge = _MERGE.match(line)
        key = _KEY.match(line)
        if indent == current.indent:
            anchor = _ANCHOR_ONLY.match(key.group(3)) if key else None
            if key and (not key.group(3) or anchor):  # `primary:` opens a named database
                block = current.named.setdefault(key.group(2), _Block(anchor=anchor.group(1) if anchor else ""))
                continue
            block = current.top
            current.settings += bool(key and key.group(2) != "adapter")
        target = block if block is not None else current.top
        if merge:
            target.merges.append((merge.group(2), number))
        elif key and key.group(2) == "adapter":
            value = key.group(3).split("#", 1)[0].strip().strip("'\"")
            if value and "<%" not in value:
                target.adapters.append((value, number))
    for each in sections:
        for written in (each.top, *each.named.values()):
            written.conditional = each.conditional
    return sections


def _adapters(block: _Block, anchors: dict[str, _Block], depth: int = 0,
              every: bool = False) -> list[tuple[str, list[int], bool]]:
    """A database's adapters with the lines that say them, and whether ERB branches chose them: its
    own, else those of the blocks it merges (with the merge line), as YAML's `<<` gives keys
    written here precedence. With `every` (a block whose ERB branches each set one up), its own
    and those it merges."""
    found: list[tuple[str, list[int], bool]] = [(adapter, [line], block.conditional)
                                                for adapter, line in block.adapters]
    if found and not every:
        return found
    for anchor, line in block.merges:
        source = anchors.get(anchor)
        if source is None or depth > 4:
            continue
        found += [(adapter, [line, *lines], chosen) for adapter, lines, chosen in _adapters(source, anchors, depth + 1)]
    return found
