"""Driver-selector variables: which configured backend a source actually turns on.

A framework's environment file configures every backend the framework supports and picks the one
in use with a selector (a Laravel skeleton has REDIS_HOST and PUSHER_APP_KEY beside
CACHE_DRIVER=file and BROADCAST_DRIVER=log). Read alone, the backend's variables look like a
service in use; read with the selectors they are a framework default. The selectors and their
values are data (`data/env_selectors.yaml`); this module decides, per source, whether a backend's
variables are at most a hint and says why. `envvars.VariableReader` applies the verdicts (and
imports this module when it runs, as this module reads envvars' vocabulary).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from infrascan import redact
from infrascan.catalog import Catalog, Tech
from infrascan.envvars import CONNECTION_NAMES, Variable, auth_kind, engine_named, url_of
from infrascan.model import Code, Part
from infrascan.yamlload import load_table

# Values that leave a setting unset: Laravel writes `null`, compose and dotenv `${OTHER}`.
_UNSET = re.compile(r"^(?:|null|none|~|\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*)$", re.I)
MAX_SHOWN = 3


@dataclass(frozen=True)
class Family:
    """One setting that picks a backend, under every name it has had (CACHE_DRIVER, CACHE_STORE)."""

    keys: frozenset[str]
    selects: dict[str, str]
    others: frozenset[str]


@cache
def load_families() -> tuple[Family, ...]:
    raw = resources.files("infrascan").joinpath("data/env_selectors.yaml").read_bytes()
    return tuple(
        Family(
            keys=frozenset(k.upper() for k in entry["keys"]),
            selects={str(v).lower(): t for v, t in (entry.get("selects") or {}).items()},
            others=frozenset(str(v).lower() for v in entry.get("others") or []),
        )
        for entry in load_table(raw) or []
    )


@cache
def _family_of_key() -> dict[str, Family]:
    return {key: family for family in load_families() for key in family.keys}


def is_selector(name: str) -> bool:
    """Whether a variable picks a backend (DB_CONNECTION, CACHE_STORE): its value is a choice, never
    a secret."""
    return name.upper() in _family_of_key()


@cache
def _selectable() -> frozenset[str]:
    """The catalog ids some selector can turn on."""
    return frozenset(t for family in load_families() for t in family.selects.values())


@dataclass(frozen=True)
class Selector:
    family: Family
    var: Variable
    target: str | None  # the catalog id it turns on; "" for none; None when the value is not known


@dataclass(frozen=True)
class Verdict:
    """Why a backend's variables are at most a hint, and the selector variables that show it."""

    reason: tuple[Part, ...]
    selectors: tuple[Variable, ...] = ()


class Selection:
    """The selectors of one source (one file, one container) and what they turn on."""

    def __init__(self, variables: list[Variable], catalog: Catalog) -> None:
        self.catalog = catalog
        self.selectors: list[Selector] = []
        by_key = _family_of_key()
        for var in variables:
            family = by_key.get(var.name.upper())
            if family is not None and not var.optional:  # `# CACHE_DRIVER=redis` is an alternative
                self.selectors.append(Selector(family, var, self._target(family, var.value)))

    def _target(self, family: Family, value: str | None) -> str | None:
        word = (value or "").strip().strip("'\"").lower()
        if word in family.selects:
            return family.selects[word]
        if word in family.others:
            return ""
        if word in self.catalog.techs:
            return word
        engine = engine_named(self.catalog, word)  # `postgres`, `pgsql`: an engine by scheme or alias
        return engine.id if engine is not None and engine.id in family.selects.values() else None

    def selected(self, tech_id: str) -> list[Variable]:
        """The selector variables that turn this backend on."""
        return [s.var for s in self.selectors if s.target == tech_id]

    def selected_ids(self) -> set[str]:
        return {s.target for s in self.selectors if s.target}

    def verdict(self, tech: Tech, vars_: list[Variable]) -> Verdict | None:
        """None when the variables stand as they are; else why they are at most a hint.

        A backend a selector turns on stands, unless its only host is a local stand-in (the mail
        catcher). One no selector turns on is ruled out when the selectors that could have turned
        it on all hold other known values; it is also only a hint when the source follows the
        selector convention and the backend's credentials (or, for a store, all its values) are
        empty. Sources without selectors (most `.env.example` files) are read as before.
        """
        stand_in = self._stand_in(tech, vars_) if tech.stand_in_hosts else None
        if stand_in is not None:
            return stand_in
        if not self.selectors or tech.id not in _selectable() or self.selected(tech.id):
            return None
        could = [s for s in self.selectors if tech.id in s.family.selects.values()]
        if could and all(s.target is not None for s in could):
            shown = sorted(could, key=lambda s: s.var.name)
            parts: list[Part] = [", but no driver variable selects it ("]
            for i, sel in enumerate(shown[:MAX_SHOWN]):
                parts.extend([", "] if i else [])
                parts.append(_shown(sel.var))
            if len(shown) > MAX_SHOWN:
                parts.append(f" and {len(shown) - MAX_SHOWN} more")
            parts.append("): an option the file configures, not a service in use")
            return Verdict(tuple(parts), tuple(s.var for s in shown))
        if not could and any(s.target is not None for s in self.selectors):
            return self._empty(tech, vars_)
        return None

    def _stand_in(self, tech: Tech, vars_: list[Variable]) -> Verdict | None:
        """`MAIL_HOST=mailhog`: every host the backend is given is a local stand-in."""
        hosts = [(v, _host(v.value)) for v in vars_ if CONNECTION_NAMES.search(v.name.upper()) and not _unset(v.value)]
        if not hosts or not all(tech.stand_in(host) for _, host in hosts):
            return None
        var = hosts[0][0]
        what = tech.stand_in_what or "local stand-in"
        return Verdict(
            (
                "; ",
                _shown(var),
                f" is a {what} (development tooling), so the service used outside development is not stated",
            )
        )

    def _empty(self, tech: Tech, vars_: list[Variable]) -> Verdict | None:
        """`PUSHER_APP_ID=` `PUSHER_APP_KEY=`: a hosted service without credentials is not in use."""
        names = {v.name.upper() for v in vars_}
        credentials = [v for v in vars_ if auth_kind(v.name, names)]
        hosted = tech.category == "external-service"
        checked = credentials if hosted and credentials else vars_
        if not all(_unset(v.value) for v in checked):
            return None
        what = "its credentials are" if checked is credentials else "every value is"
        return Verdict((f", but {what} empty and no driver variable selects it",))


def _shown(var: Variable) -> Code:
    return Code(f"{var.name}={redact.value(var.name, var.value or '')}")


def _unset(value: str | None) -> bool:
    return value is None or bool(_UNSET.match(value.strip().strip("'\"")))


def _host(value: str | None) -> str:
    """The host a value points at: `smtp://mailpit:1025` and `mailpit:1025` are both `mailpit`."""
    url = url_of(value)
    raw = url[1] if url and url[1] else (value or "").strip().strip("'\"")
    return raw.split(":", 1)[0].lower()
