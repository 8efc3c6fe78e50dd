"""Container image references and the versions they pin.

`postgres:16.2-alpine3.19` pins PostgreSQL 16; `localhost:5000/app` has a port, not a tag;
`python@sha256:...` pins a digest, not a version. Splitting on ":" gets all three wrong
(specfy/stack-analyser does), so references are parsed here once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNPINNED_TAGS = frozenset({"latest", "lts", "stable", "current", "edge", "main", "master", "nightly", "rolling"})
_NUMERIC = re.compile(r"^v?(\d+(?:\.\d+)*)")
# A tag that is a base image's variant (`alpine3.23`, `bookworm`, `windowsservercore-ltsc2022`) names
# the operating system under the technology, not the technology's version.
_VARIANT_TAG = re.compile(
    r"(?i)^(?:alpine|slim|bullseye|bookworm|buster|trixie|stretch|jammy|focal|noble|bionic|"
    r"windowsservercore|nanoserver|ubi|debian|ubuntu)(?:[\d.]*)(?:-|$)"
)


@dataclass(frozen=True)
class ImageRef:
    registry: str
    repository: str  # without registry host and without docker.io's library/ namespace
    tag: str
    digest: str
    # A project's own image of a store, named for it (appwrite/postgres:0.1.0): its tag is the
    # project's release, not the store's version (Catalog.by_image).
    own: bool = False

    @property
    def name(self) -> str:
        """The repository as people write it, registry included when it is not Docker Hub."""
        return f"{self.registry}/{self.repository}" if self.registry else self.repository

    def reference(self) -> str:
        ref = self.name
        if self.tag:
            ref += f":{self.tag}"
        if self.digest:
            ref += f"@{self.digest}"
        return ref


def parse_image(ref: str) -> ImageRef | None:
    """Parses `[registry/]repo[:tag][@digest]`; None for things that are not image names."""
    ref = ref.strip().strip("'\"")
    if not ref or " " in ref or ref.startswith(("-", "$", "{")):
        return None
    digest = ""
    if "@" in ref:
        ref, digest = ref.split("@", 1)
    parts = ref.split("/")
    registry = ""
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        registry = parts[0].lower()
        parts = parts[1:]
    last = parts[-1]
    tag = ""
    if ":" in last:
        last, tag = last.split(":", 1)
    parts[-1] = last
    if registry in ("docker.io", "index.docker.io", "registry-1.docker.io"):
        registry = ""
    if not registry and parts and parts[0] == "library" and len(parts) > 1:
        parts = parts[1:]
    if registry == "public.ecr.aws" and parts[:2] == ["docker", "library"]:
        registry, parts = "", parts[2:]
    repository = "/".join(parts).lower()
    if not repository or not re.fullmatch(r"[a-z0-9][a-z0-9._/\-]*", repository):
        return None
    return ImageRef(registry=registry, repository=repository, tag=tag, digest=digest)


def version_label(name: str, version: str | None, image: ImageRef) -> str:
    """A technology and the version an image pins, saying how it is pinned when it is not by tag.

    `Tech.label` only knows "unpinned"; a maintainer reading `valkey/valkey@sha256:...`,
    `postgres:${PG_VERSION}` or `libsql-server:e4beaca` needs to know the version is fixed
    elsewhere or by a tag that names none, not missing.
    """
    if not version:
        return name
    if version != "unpinned":
        return f"{name} {version}"
    if "$" in image.tag:
        return f"{name} (version set by variable {image.tag})"
    if image.digest:
        return f"{name} (pinned by digest)"
    if re.search(r"\d", image.tag) and not _VARIANT_TAG.match(image.tag):
        # `e4beaca`, `sha-1f2e3d`: a fixed tag that names no version
        return f"{name} (tag {image.tag})"
    return f"{name} (version unpinned)"  # no tag, `latest`, or a variant name (`alpine`, `alpine3.23`)


def worded_version(tag: str, words: tuple[str, ...]) -> str | None:
    """The version a tag writes right after one of `words` (FrankenPHP's `1.8-php8.3`: `8.3`, where
    the tag leads with FrankenPHP's own version; xgo's `go-1.27.x`: `1.27`); None when it writes none so."""
    for word in words:
        written = re.search(rf"(?:^|[-_]){re.escape(word)}-?(\d+(?:\.\d+)*)(?:\.x)?(?:[-_]|$)", tag.lower())
        if written:
            return written.group(1)
    return None


def tag_version(
    tag: str, scheme: str = "major", minor_below: int | None = None, codenames: dict[str, str] | None = None
) -> str:
    """The version a tag pins, as the catalog's scheme reports it; "unpinned" when it pins none.

    major: `16.2-alpine` -> 16; minor: `3.12-slim` -> 3.12; calendar: `24.3.1` -> 24.3.
    """
    if not tag:
        return "unpinned"
    head = tag.split("-", 1)[0].lower()
    if codenames:
        for token in re.split(r"[-_.]", tag.lower()):
            if token in codenames:
                return codenames[token]
    if head in _UNPINNED_TAGS:
        return "unpinned"
    match = _NUMERIC.match(head)
    if not match:
        calendar = re.match(r"^(\d{4})", tag)
        return calendar.group(1) if calendar else "unpinned"
    numbers = match.group(1).split(".")
    major = numbers[0]
    if len(major) >= 6:
        # a date or a build number (nextcloud/all-in-one's `20260817_082005` release tags): a fixed
        # tag that names no version of the technology
        return "unpinned"
    if scheme == "major":
        # Below 1.0 the minor number is the release line (semver): Alertmanager v0.28 is not "0".
        below = 1 if minor_below is None else max(minor_below, 1)
        if major.isdigit() and int(major) < below and len(numbers) > 1:
            return ".".join(numbers[:2])
        return major
    if scheme in ("minor", "calendar"):
        return ".".join(numbers[:2])
    return major
