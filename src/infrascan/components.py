"""Components: the directories of a monorepo that are deployable units of their own.

A directory is a component when it holds its own Dockerfile, Helm chart, package manifest,
Terraform root or compose file, and no directory above it (but the root) is one: the chart and
the Terraform stack inside `services/api/` are parts of the `services/api` component. Every fact
belongs to the nearest component above its evidence; the repository root is the component ""
that everything else falls back to.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from infrascan.source import is_example_dir, is_retired_dir, is_within

_MARKERS = re.compile(
    r"^(?:(?:Docker|Container)file(?:\..+)?|.+\.[Dd]ockerfile|Chart\.ya?ml|package\.json|pyproject\.toml"
    r"|setup\.py|go\.mod|Gemfile|pom\.xml|build\.gradle(?:\.kts)?|Cargo\.toml|composer\.json|mix\.exs"
    r"|.+\.csproj|(?:docker-)?compose(?:\..+)?\.ya?ml|main\.tf|terragrunt\.hcl)$"
)
# Directories that group files of their parent rather than being components themselves (and any
# hidden directory: `.github`, `.devcontainer`, redash's `.ci` of CI compose files).
_NOT_COMPONENTS = frozenset({"templates", "charts", "modules"})


def is_marker(file_name: str) -> bool:
    """Whether a file of this name makes its directory a component (a Dockerfile, a manifest...)."""
    return bool(_MARKERS.match(file_name))


def _ancestors(directory: str) -> list[str]:
    """`a/b/c` -> `a/b`, `a`: checking these against a set is linear, where comparing every pair of
    component roots was quadratic (a second on a 300-service monorepo)."""
    parts = directory.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


class Components:
    def __init__(self, paths: list[str]) -> None:
        roots: set[str] = {""}
        listed: set[str] | None = None
        for path in paths:  # every listed path: plain string work, no pathlib objects
            parent, _, name = path.rpartition("/")
            if not parent or not _MARKERS.match(name):
                continue
            if any(p in _NOT_COMPONENTS or p.startswith(".") or is_example_dir(p) or is_retired_dir(p)
                   for p in parent.split("/")):
                continue
            if name == "setup.py":
                # a module of a Python package (redash's `redash/handlers/setup.py` serves /setup), not
                # a project's setuptools file
                listed = set(paths) if listed is None else listed
                if f"{parent}/__init__.py" in listed:
                    continue
            roots.add(parent)
        # A chart or a Terraform stack inside a service's directory belongs to that service.
        outermost = {r for r in roots if r and not any(a in roots for a in _ancestors(r))}
        self.roots = sorted({""} | outermost)
        self._memo: dict[str, str] = {}

    def of(self, path: str) -> str:
        """The nearest component directory that contains `path`."""
        directory = path.rpartition("/")[0]
        if directory in self._memo:
            return self._memo[directory]
        self._memo[directory] = self._nearest(directory)
        return self._memo[directory]

    def _nearest(self, directory: str) -> str:
        index = bisect_right(self.roots, directory) - 1
        while index >= 0:
            root = self.roots[index]
            if is_within(directory, root):
                return root
            index -= 1
        return ""
