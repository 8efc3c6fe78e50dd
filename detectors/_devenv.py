"""What the local development environment tools' files share (DDEV's .ddev/config.yaml, Lando's
Landofiles): their settings are scalars as written, and a database type without a version runs
the tool's own default version, which changed between its releases. Kamal's configuration files
read their settings the same way (`setting`)."""

from __future__ import annotations

from typing import Any

from infrascan.model import Part, text
from infrascan.yamlload import YDict, line_of


def scalar(value: Any) -> str:
    """A key's value as text, or "" for a list, a mapping, a tag (`!import`), a boolean or nothing
    (a YAML number with a dot is text already: yamlload keeps versions as written)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""


def setting(container: Any, key: str) -> list[Any] | None:
    """A scalar setting as [text, line], or None when the key is missing or holds no scalar (a
    mapping, a list, Lando's `!import` tag), or the container is no mapping."""
    if not isinstance(container, YDict):
        return None
    value = scalar(container.get(key))
    return [value, line_of(container, key, container.line)] if value else None


def default_version(tool: str) -> str:
    """The aside for a service type that pins no version (`type: mariadb`)."""
    return f"{tool}'s default version"


def default_database(engine: str, whose: tuple[Part, ...], tool: str) -> tuple[Part, ...]:
    """`MariaDB, DDEV's default database (...)`: the engine a tool runs when its file names none,
    whose version the file cannot say."""
    return text(engine, ", ", *whose, " default database (the file names none, and the default version depends "
                f"on the {tool} release)")
