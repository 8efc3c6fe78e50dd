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

from infrascan.replay import note_input

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

CONFIG_FILE = ".infrascan.toml"
DEFAULT_MAX_FILE_SIZE = 5 * 1024 * 1024
DEFAULT_OUTPUT = "INFRASTRUCTURE.md"
DRIFT_CATEGORIES = ("changed", "undocumented", "stale", "contradicted", "gaps")
DEFAULT_FAIL_ON = ("changed", "undocumented", "stale", "contradicted")


@dataclass(frozen=True)
class IgnoreRule:
    """A known, accepted difference: drift findings matching every given key are not reported."""

    category: str | None = None
    technology: str | None = None
    path: str | None = None
    field: str | None = None
    reason: str = ""


class ConfigError(Exception):
    """A configuration problem worth one clear line to the user (exit 2)."""


@dataclass
class Config:
    skip: list[str] = field(default_factory=list)
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    output: str = DEFAULT_OUTPUT
    environment_aliases: dict[str, str] = field(default_factory=dict)
    template: str | None = None
    diagrams: bool = True
    required_version: str | None = None
    fail_on: tuple[str, ...] = DEFAULT_FAIL_ON
    ignore: tuple[IgnoreRule, ...] = ()
    origins: dict[str, str] = field(default_factory=dict, compare=False)

    def fingerprint(self) -> str:
        """A hash of what changes phase-1 results; part of every cache key."""
        relevant = {"max_file_size": self.max_file_size}
        return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()[:16]

    def canonical(self) -> str:
        """The effective configuration as one string: what the model's and phase 2's cache keys name."""
        return json.dumps(self.as_dict(), sort_keys=True, default=str)

    def as_dict(self) -> dict[str, Any]:
        """The effective configuration, keyed as in the file (drift settings under `drift.`)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name == "origins":
                continue
            value = getattr(self, f.name)
            key = {"fail_on": "drift.fail_on", "ignore": "drift.ignore"}.get(f.name, f.name)
            if f.name == "ignore":
                value = [{k: v for k, v in vars(rule).items() if v} for rule in value]
            elif isinstance(value, tuple):
                value = list(value)
            out[key] = value
        return out


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


def parse_fail_on(value: Any, key: str = "fail_on") -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ConfigError(f"{key}: expected a list of drift categories")
    out = tuple(str(i).strip() for i in items if str(i).strip())
    unknown = [i for i in out if i not in DRIFT_CATEGORIES]
    if unknown:
        raise ConfigError(f"{key}: unknown drift category {unknown[0]!r} (known: {', '.join(DRIFT_CATEGORIES)})")
    return out


def _ignore_rules(value: Any) -> tuple[IgnoreRule, ...]:
    if not isinstance(value, list):
        raise ConfigError("drift.ignore: expected a list of tables like {category = \"undocumented\", path = \"x/**\"}")
    rules = []
    for entry in value:
        if not isinstance(entry, dict) or not entry:
            raise ConfigError("drift.ignore: each rule is a table with category, technology, path, field or reason")
        unknown = set(entry) - {"category", "technology", "path", "field", "reason"}
        if unknown:
            raise ConfigError(f"unknown configuration key {sorted(unknown)[0]!r} in a drift.ignore rule")
        if entry.get("category") is not None:
            parse_fail_on([entry["category"]], "drift.ignore.category")
        rules.append(IgnoreRule(**{k: str(v) for k, v in entry.items()}))
    return tuple(rules)


def _apply_drift(config: Config, table: Any, origin: str) -> None:
    if not isinstance(table, dict):
        raise ConfigError("drift: expected a table")
    for key, value in table.items():
        if key == "fail_on":
            config.fail_on = parse_fail_on(value, "drift.fail_on")
        elif key == "ignore":
            config.ignore = _ignore_rules(value)
        else:
            raise ConfigError(f"unknown configuration key 'drift.{key}' in {origin}")
        config.origins[f"drift.{key}"] = origin


def check_required_version(spec: str, version: str) -> None:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        allowed = SpecifierSet(spec)
    except InvalidSpecifier:
        raise ConfigError(f"required_version: {spec!r} is not a version range such as '>=0.1,<0.2'") from None
    if not allowed.contains(version, prereleases=True):
        raise ConfigError(f"this is infrascan {version}, but the configuration requires {spec}; install a "
                          f"matching version so local runs and CI agree")


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
        elif key == "template":
            if not isinstance(value, str) or not value:
                raise ConfigError("template: expected a file path")
            config.template = value
        elif key == "diagrams":
            if not isinstance(value, bool):
                raise ConfigError("diagrams: expected true or false")
            config.diagrams = value
        elif key == "required_version":
            if not isinstance(value, str):
                raise ConfigError("required_version: expected a version range such as '>=0.1,<0.2'")
            config.required_version = value
        elif key == "drift":
            _apply_drift(config, value, origin)
            continue
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
    for name in ("skip", "max_file_size", "output", "environment_aliases", "template", "diagrams",
                 "required_version", "drift.fail_on", "drift.ignore"):
        config.origins[name] = "default"
    if root is not None:  # a rerun is replayed only while these read the same (even when ignored by git)
        note_input(root / CONFIG_FILE)
        note_input(root / "pyproject.toml")
    if explicit is not None:
        _apply(config, _read_toml(explicit), str(explicit))
    elif root is not None and (root / CONFIG_FILE).is_file():
        _apply(config, _read_toml(root / CONFIG_FILE), CONFIG_FILE)
    elif root is not None and (root / "pyproject.toml").is_file():
        try:
            data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            data = {}  # a broken pyproject is the repository's problem, not a configuration error
        table = data.get("tool", {}).get("infrascan")
        if isinstance(table, dict):
            _apply(config, table, "pyproject.toml [tool.infrascan]")
    if config.required_version:
        from infrascan import __version__

        check_required_version(config.required_version, __version__)
    return config
