"""Configuration from `.infrascan.toml` or `[tool.infrascan]` in pyproject.toml.

Unknown keys are errors that name the key: a typo that silently does nothing is how a team ends
up trusting a check that never ran. Every value remembers where it came from, so `infrascan
config` can say why a setting has the value it has.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

CONFIG_FILE = ".infrascan.toml"
DEFAULT_MAX_FILE_SIZE = 5 * 1024 * 1024
DEFAULT_OUTPUT = "INFRASTRUCTURE.md"


class ConfigError(Exception):
    """A configuration problem worth one clear line to the user (exit 2)."""


@dataclass
class Config:
    skip: list[str] = field(default_factory=list)
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    output: str = DEFAULT_OUTPUT
    environment_aliases: dict[str, str] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict, compare=False)

    def fingerprint(self) -> str:
        """A hash of what changes phase-1 results; part of every cache key."""
        relevant = {"max_file_size": self.max_file_size}
        return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()[:16]

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "origins"}


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?i?b?)?\s*$", re.I)
_UNITS = {
    "": 1,
    "b": 1,
    "k": 1024,
    "kb": 1024,
    "kib": 1024,
    "m": 1024**2,
    "mb": 1024**2,
    "mib": 1024**2,
    "g": 1024**3,
    "gb": 1024**3,
    "gib": 1024**3,
}


def parse_size(value: Any, key: str = "max_file_size") -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str):
        match = _SIZE.match(value)
        if match and (match.group(2) or "").lower() in _UNITS:
            size = int(float(match.group(1)) * _UNITS[(match.group(2) or "").lower()])
            if size > 0:
                return size
    raise ConfigError(f"{key}: expected a size such as 5MB or 5242880, got {value!r}")


def _expect_str_list(value: Any, key: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ConfigError(f"{key}: expected a list of strings")


def _apply(config: Config, table: dict[str, Any], origin: str) -> None:
    for key, value in table.items():
        if key == "skip":
            config.skip = _expect_str_list(value, key)
        elif key == "max_file_size":
            config.max_file_size = parse_size(value)
        elif key == "output":
            if not isinstance(value, str) or not value:
                raise ConfigError("output: expected a file path")
            config.output = value
        elif key == "environment_aliases":
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                raise ConfigError("environment_aliases: expected a table of name = environment")
            config.environment_aliases = {k.lower(): v.lower() for k, v in value.items()}
        else:
            raise ConfigError(f"unknown configuration key {key!r} in {origin}")
        config.origins[key] = origin


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
        return data
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path.name}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: invalid TOML: {exc}") from None


def load_config(root: Path | None, explicit: Path | None = None) -> Config:
    """Reads the scan root's configuration (an explicit file wins over the root's own)."""
    config = Config()
    for name in ("skip", "max_file_size", "output", "environment_aliases"):
        config.origins[name] = "default"
    if explicit is not None:
        _apply(config, _read_toml(explicit), str(explicit))
        return config
    if root is None:
        return config
    own = root / CONFIG_FILE
    if own.is_file():
        _apply(config, _read_toml(own), CONFIG_FILE)
        return config
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            return config  # a broken pyproject is the repository's problem, not a config error
        table = data.get("tool", {}).get("infrascan")
        if isinstance(table, dict):
            _apply(config, table, "pyproject.toml [tool.infrascan]")
    return config
