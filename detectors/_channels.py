"""Alert notification channels by kind, from data/alert_channels.yaml: shared by the Alertmanager
and Grafana readers and by Datadog monitors' handles, so a channel is named the same whichever
configuration sends to it."""

from __future__ import annotations

from functools import cache
from importlib import resources

from infrascan.catalog import Catalog
from infrascan.yamlload import load_table


@cache
def _table() -> dict[str, tuple[str | None, str]]:
    raw = resources.files("infrascan").joinpath("data/alert_channels.yaml").read_bytes()
    return {str(kind): (entry.get("tech"), str(entry["name"])) for kind, entry in load_table(raw).items()}


def channel(kind: str, catalog: Catalog) -> tuple[str, str | None]:
    """(name, catalog id) of a channel kind; an unknown kind is named as written."""
    tech_id, fallback = _table().get(kind.lower(), (None, kind))
    return (catalog.techs[tech_id].name if tech_id and tech_id in catalog.techs else fallback), tech_id
