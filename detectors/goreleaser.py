"""GoReleaser configurations (`.goreleaser.yaml`): what `goreleaser release` publishes.

A workflow step that runs `goreleaser release --clean` says nothing of what it ships: the
configuration does. listmonk's pushes two image repositories for four architectures and attaches
archives to a GitHub release; a step read alone was one line, `goreleaser release`, and the
Dockerfile it builds looked built by nothing. This detector keeps, per configuration, the image
repositories (`dockers`, `docker_manifests`, `dockers_v2`, `kos`), whether a release is made
(`release.disable`), the Linux packages (`nfpms`) and the Homebrew taps; the GitHub Actions
detector says them where a step runs it (`Expander._releases`).

Names are as written, without their tag template (`listmonk/listmonk:{{ .Tag }}-amd64` is the
repository `listmonk/listmonk`); a repository made of templates (`{{ .Env.DOCKER_ORG }}/{{
.ProjectName }}`, listmonk's own) is not one this file can name: it is said by its registry, where
the name says it (`ghcr.io/{{ .Env.GITHUB_ORG }}/...`), and never guessed.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from typing import Any

from infrascan.commands import argv, registry_of
from infrascan.detector import Detector, Extraction, Record, SourceFile
from infrascan.model import Part, code_list, phrase_list
from infrascan.yamlload import YDict, YList, as_list

# Where each kind of image entry names its repositories: the key, and whether it holds a list.
_IMAGE_KEYS = (
    ("dockers", "image_templates", True),
    ("docker_manifests", "name_template", False),
    ("dockers_v2", "images", True),
    ("kos", "repository", False),
    ("kos", "repositories", True),
)


class GoReleaserDetector(Detector):
    name = "goreleaser"
    version = "1"
    description = "GoReleaser configurations: the images, releases and packages a release publishes"
    # The usual names, and the variants a workflow passes with `--config` (listmonk's
    # `.goreleaser-nightly.yml`).
    patterns = ("**/.goreleaser*.{yml,yaml}", "**/goreleaser*.{yml,yaml}")
    looks_for = {
        "ci.build": "image repositories, releases and packages in GoReleaser configurations that CI runs",
    }

    def extract(self, file: SourceFile) -> Extraction:
        out = Extraction()
        doc = self.yaml_mapping(file, out)
        if doc is not None:
            out.records.append(Record("goreleaser.config", file.path, doc.line or 1, config_data(doc)))
        return out


def config_data(doc: YDict) -> dict[str, Any]:
    """What a configuration publishes, each with its line: image repositories, the release, packages."""
    images: dict[str, int] = {}
    for section, key, many in _IMAGE_KEYS:
        for entry in _entries(doc.get(section)):
            values = entry.get(key)
            named = values if many and isinstance(values, list) else [values] if not many else []
            for index, value in enumerate(named):
                repository = _repository(value)
                if repository and repository not in images:
                    line = values.line_of(index) if isinstance(values, YList) else entry.line_of(key)
                    images[repository] = line
    release = doc.get("release")
    disable = release.get("disable") if isinstance(release, dict) else None
    # true, false, or a template the release step's environment settles (pocket-id's
    # `{{ if index .Env "SKIP_RELEASE" }}true{{ end }}`, which its build-next job sets)
    disabled: bool | str = disable if isinstance(disable, str) and "{{" in disable else disable in (True, "true")
    packages = sorted({str(f) for entry in _entries(doc.get("nfpms")) for f in as_list(entry.get("formats"))
                       if isinstance(f, str) and "{{" not in f})
    taps = [name for section in ("brews", "homebrew_casks") for entry in _entries(doc.get(section))
            if (name := _tap(entry))]
    return {
        "images": [[name, line] for name, line in images.items()],
        "release_disabled": disabled,
        "draft": isinstance(release, dict) and release.get("draft") in (True, "true"),
        "release_line": doc.line_of("release") if isinstance(release, dict) else 0,
        "packages": packages,
        "packages_line": doc.line_of("nfpms") if packages else 0,
        "taps": taps,
        "taps_line": next((doc.line_of(s) for s in ("brews", "homebrew_casks") if s in doc), 0) if taps else 0,
    }


# `{{ if index .Env "X" }}true{{ end }}`, `{{ if .Env.X }}true{{ end }}`, `{{ if isEnvSet "X" }}...`,
# each maybe under `not (...)`: the forms a switch takes; any other template is not evaluated.
_SWITCH = re.compile(
    r'^\{\{-?\s*if\s+(?P<not>not\s+\(\s*)?(?:index\s+\.Env\s+"(?P<a>\w+)"|\.Env\.(?P<b>\w+)|isEnvSet\s+"(?P<c>\w+)")'
    r'\s*\)?\s*-?\}\}\s*true\s*\{\{-?\s*end\s*-?\}\}$')


def _template_true(template: str, env: Mapping[str, str]) -> bool | None:
    """Whether a switch template renders `true` in `env`; None for a template of another form."""
    match = _SWITCH.match(template.strip())
    if match is None:
        return None
    name = match["a"] or match["b"] or match["c"]
    value = env.get(name, "")
    truthy = name in env if match["c"] else bool(value)
    return truthy != bool(match["not"])


def _entries(value: Any) -> list[YDict]:
    return [entry for entry in value if isinstance(entry, YDict)] if isinstance(value, list) else []


def _repository(value: Any) -> str:
    """`ghcr.io/knadh/listmonk:{{ .Tag }}-amd64` -> `ghcr.io/knadh/listmonk`: the repository, without
    its tag; templates in it stay as written (`published` names those by their registry only)."""
    if not isinstance(value, str):
        return ""
    name = value.strip()
    last = name.rpartition("/")[2]
    if ":" in last:
        name = name[: len(name) - len(last) + last.index(":")]
    return name


def _tap(entry: YDict) -> str:
    """The tap repository a Homebrew formula or cask goes to (`repository:`, or v1's `tap:`)."""
    for key in ("repository", "tap"):
        repo = entry.get(key)
        if isinstance(repo, dict):
            owner, name = repo.get("owner"), repo.get("name")
            if isinstance(owner, str) and isinstance(name, str) and "{{" not in owner + name:
                return f"{owner}/{name}"
    return ""


CONFIG_NAMES = (".goreleaser.yaml", ".goreleaser.yml", "goreleaser.yaml", "goreleaser.yml")  # GoReleaser's order
_CONFIG_FLAGS = ("--config", "-f")
_SKIPS_PUBLISHING = re.compile(r"(?:^|\s)--(?:snapshot|skip-publish|skip[= ](?:\S*,)?publish\b)")


def release_config(command: str, wd: str, configs: Mapping[str, Record]) -> Record | None:
    """The configuration a `goreleaser` command publishes with: its `--config` (or `-f`), else the
    first of GoReleaser's default names in the directory it runs in. None for a command that
    publishes nothing: another subcommand (`goreleaser build`, `check`), `--snapshot`, or
    `--skip=publish`."""
    words = argv(command)
    if not words or words[0] != "goreleaser" or _SKIPS_PUBLISHING.search(command):
        return None
    config, subcommand = "", ""
    for index, word in enumerate(words[1:], 1):
        flag, equals, value = word.partition("=")
        if flag in _CONFIG_FLAGS:
            config = value if equals else (words[index + 1] if index + 1 < len(words) else "")
        elif not subcommand and not word.startswith("-") and words[index - 1] not in _CONFIG_FLAGS:
            subcommand = word
    if subcommand not in ("", "release"):  # `goreleaser` alone releases
        return None
    base = posixpath.normpath(wd or ".")
    if config:
        return configs.get(posixpath.normpath(posixpath.join(base, config)))
    defaults = (posixpath.normpath(posixpath.join(base, name)) for name in CONFIG_NAMES)
    return next((configs[path] for path in defaults if path in configs), None)


def published(record: Record, env: Mapping[str, str]) -> tuple[list[Part], int]:
    """What a configuration publishes, as a phrase (`Docker images `a`, `b`, a release with its
    archives and deb, rpm packages`), with the line to cite; ([], 0) when it publishes nothing.
    `env` is the environment the step gives GoReleaser, which a `release.disable` template reads."""
    data = record.data
    phrases: list[list[Part]] = []
    lines: list[int] = [line for _, line in data["images"]]  # where what is said is written
    named = [name for name, _ in data["images"] if "{{" not in name]
    templated = [name for name, _ in data["images"] if "{{" in name]
    if named:
        phrases.append(["Docker images " if len(named) > 1 else "Docker image ", *code_list(named, 3)])
    if templated:
        # `ghcr.io/{{ .Env.ORG }}/app` says its registry; `{{ .Env.DOCKER_ORG }}/app` does not
        registries = [r.name if r else "" for r in map(registry_of, templated)]
        hosts = list(dict.fromkeys(r for r in registries if r))
        where = f" on {', '.join(hosts)}{' and others' if '' in registries else ''}" if hosts else ""
        phrases.append([f"{'images' if named else 'Docker images'} named by templates{where}"])
    disabled = data["release_disabled"]
    off = _template_true(disabled, env) if isinstance(disabled, str) else disabled
    if off is not True:
        release = "a draft release with its archives" if data["draft"] else "a release with its archives"
        phrases.append([release, ", unless its template disables it" if off is None else ""])
        lines.append(data["release_line"])  # 0 for GoReleaser's default release, which no line writes
    if data["packages"]:
        phrases.append([", ".join(data["packages"]) + " packages"])
        lines.append(data["packages_line"])
    if data["taps"]:
        phrases.append(["the Homebrew tap ", *code_list(data["taps"], 2)])
        lines.append(data["taps_line"])
    if not phrases:
        return [], 0
    return list(phrase_list(phrases)), min((line for line in lines if line), default=record.line)
