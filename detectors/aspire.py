""".NET Aspire AppHosts (`*.AppHost/Program.cs`, `AppHost.cs`): the data stores a .NET team's
application model starts when it runs the app.

An AppHost is C#, but its resources are declared in one builder shape that the Aspire documentation
and templates use throughout: `builder.AddPostgres("postgres").WithImage("ankane/pgvector")
.WithImageTag("latest")`, then `postgres.AddDatabase("catalogdb")`. This detector reads those calls
only (which hosting integration is which technology is data: `data/aspire.yaml`), never the
program around them. Running the AppHost (`dotnet run`, `aspire run`) starts each such resource as
a container on the developer's machine: a development database, declared. What a deployment of the
same model provisions (`azd up`, `aspire deploy`) depends on the publisher and the target, which
the AppHost does not say, so nothing is said of other environments.

Without `WithImageTag`, a resource runs the tag its hosting integration package pins, which changes
with the Aspire release: the version is said to be Aspire's default, not guessed.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

from infrascan.catalog import DATA_STORE_CATEGORIES, Tech
from infrascan.detector import Detector, Extraction, SourceFile
from infrascan.images import parse_image
from infrascan.model import Code, Confidence, Fact, Part, code_list, text
from infrascan.yamlload import load_table

from .jenkins import blank_comments

_ENV = "development"
# The AppHost's entry point: what every AppHost calls first. A file without it is no AppHost.
_APP_HOST = re.compile(r"\bDistributedApplication\s*\.\s*CreateBuilder\s*\(")
_ADD = re.compile(r"(?:\b(?P<var>\w+)\s*=\s*)?\b\w+\s*\.\s*(?P<method>Add\w+)\s*\(\s*\"(?P<name>[^\"]+)\"")
# `.WithImage("ankane/pgvector")`, `.WithImage("postgres", "16.4")`, `.WithImage(image: "postgres", tag: "16.4")`
_WITH_IMAGE = re.compile(r"\.\s*WithImage\s*\(\s*(?:image\s*:\s*)?\"(?P<image>[^\"]+)\""
                         r"(?:\s*,\s*(?:tag\s*:\s*)?\"(?P<tag>[^\"]+)\")?")
_WITH_TAG = re.compile(r"\.\s*WithImageTag\s*\(\s*(?:tag\s*:\s*)?\"(?P<tag>[^\"]+)\"")
# a C# verbatim string (`@"C:\temp\"`): its backslashes escape nothing, `""` is its one escape
_VERBATIM = re.compile(r'@"(?:[^"]|"")*"')
_DATABASE = re.compile(r"\b(?P<var>\w+)\s*\.\s*AddDatabase\s*\(\s*\"(?P<name>[^\"]+)\"")


@cache
def _resources() -> dict[str, str]:
    """Hosting integration methods (`AddPostgres`) and the catalog technologies they start."""
    raw = resources.files("infrascan").joinpath("data/aspire.yaml").read_bytes()
    return {str(k): str(v) for k, v in load_table(raw)["resources"].items()}


class AspireDetector(Detector):
    name = "aspire"
    version = "1"
    description = ".NET Aspire AppHosts (*.AppHost/Program.cs): the data stores the app model starts"
    patterns = ("**/*AppHost/Program.cs", "**/*AppHost/AppHost.cs", "**/AppHost.cs")
    looks_for = {"env.database": "data store resources of .NET Aspire AppHosts (AddPostgres, AddRedis, ...)"}

    def extract(self, file: SourceFile) -> Extraction:
        out = Extraction()
        # C#'s comments are Groovy's: blanked, line for line, strings kept (a commented-out resource is none);
        # a verbatim string's content first, whose backslashes the blanker would read as escapes
        source = blank_comments(_VERBATIM.sub(lambda m: '@"' + re.sub(r"[^\n]", " ", m.group(0)[2:-1]) + '"',
                                              file.text))
        if not _APP_HOST.search(source):
            return out
        databases: dict[str, list[str]] = {}
        for match in _DATABASE.finditer(source):
            databases.setdefault(match.group("var"), []).append(match.group("name"))
        known = _resources()
        for match in _ADD.finditer(source):
            tech_id = known.get(match.group("method"))
            tech = self.catalog.techs.get(tech_id or "")
            if tech is None or tech.category not in DATA_STORE_CATEGORIES:
                continue
            end = source.find(";", match.end())  # the statement's chained calls
            chain = _outer_calls(source[match.end():end if end >= 0 else len(source)])
            line = source.count("\n", 0, match.start("method")) + 1
            owned = databases.get(match.group("var") or "", [])
            out.facts.append(self._store(file.path, line, tech, match.group("name"), chain, owned,
                                         source.count("\n", 0, match.end())))
        return out

    def _store(self, path: str, line: int, tech: Tech, name: str, chain: str, owned: list[str],
               chain_line: int) -> Fact:
        """One store resource: its engine, the image and tag it runs when the chain sets them (their
        lines cited too), and the databases the AppHost adds to it."""
        # in the order called: `WithImage` sets the image and its tag (the one given, the one in the
        # name, else `latest`), `WithImageTag` the tag alone
        calls = sorted([*_WITH_IMAGE.finditer(chain), *_WITH_TAG.finditer(chain)], key=lambda m: m.start())
        lines = [line, *(chain_line + chain.count("\n", 0, m.start()) + 1 for m in calls)]
        written, tag = "", None
        for call in calls:
            if call.re is _WITH_IMAGE:
                written, named_tag = call.group("image"), ""
                if ":" in written.rsplit("/", 1)[-1]:  # a tag in the name, not a registry's port
                    written, named_tag = written.rsplit(":", 1)
                tag = call.group("tag") or named_tag or "latest"
            else:
                tag = call.group("tag")
        attrs: dict[str, Any] = {"hosts": [name]}
        if tag is not None:
            ref = parse_image(f"{written or _image_of(tech)}:{tag}")
            found = self.catalog.by_image(ref) if ref is not None and written else None
            engine = found[0] if found is not None and found[0].category in DATA_STORE_CATEGORIES else tech
            version = engine.version_of(ref) if ref is not None else None
            label: tuple[Part, ...] = (engine.label(version), ": ")
            run: tuple[Part, ...] = ("image ", Code(f"{written}:{tag}"), ", ") if written else \
                ("image tag ", Code(tag), ", ")
            if version and version != "unpinned":
                attrs["version"] = version
        else:
            engine = tech
            label = (engine.name, " (the image tag Aspire's integration pins, which changes with its release): ")
            run = ("image ", Code(written), ", ") if written else ()
        dbs: tuple[Part, ...] = (" (databases ", *code_list(owned, 5), ")") if owned else ()
        return Fact(
            "env.database",
            text(*label, *run, ".NET Aspire resource ", Code(name), *dbs,
                 ", which the AppHost starts as a container when the app runs"),
            Confidence.DECLARED,
            tuple(e for at in dict.fromkeys(lines) for e in self.evidence(path, at)),
            env=_ENV,
            item=f"aspire:{name}",
            tech=engine.id,
            rank=30,
            order=(path, line),
            attrs=attrs,
        )


def _outer_calls(chain: str) -> str:
    """A statement's chained calls with the lambdas they pass blanked (newlines kept): a companion
    container's image (`.WithPgAdmin(c => c.WithImage("dpage/pgadmin4"))`) is not the store's."""
    out = list(chain)
    depth, start = 0, -1
    for at, char in enumerate(chain):
        if char == "(":
            depth += 1
            if depth == 1:
                start = at
        elif char == ")" and depth:
            depth -= 1
            if depth == 0 and "=>" in chain[start:at]:
                out[start + 1:at] = [c if c == "\n" else " " for c in chain[start + 1:at]]
    return "".join(out)


def _image_of(tech: Tech) -> str:
    """The image a technology's version is read from: its first image (`postgres`)."""
    images = tech.signals.get("images") or [tech.id]
    return str(images[0]).rstrip("*")
