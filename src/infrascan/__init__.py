"""infrascan: writes a repository's INFRASTRUCTURE.md from cited evidence and keeps it honest."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

__version__ = "0.1.0"
# The entry-point group detectors register under, built-in and third-party alike (the registry
# loads it).
PLUGIN_GROUP = "infrascan.detectors"


@cache
def plugin_entry_points() -> tuple[EntryPoint, ...]:
    """The installed detector plugins, in a fixed order, read once per process: reading every
    distribution's metadata costs up to 40 ms."""
    from importlib.metadata import entry_points

    return tuple(sorted(entry_points(group=PLUGIN_GROUP), key=lambda e: (e.name, e.value)))
