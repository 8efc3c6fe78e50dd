"""A third-party detector, installed as a real distribution, is found through importlib.metadata."""

from __future__ import annotations

from importlib.metadata import distribution, entry_points
from pathlib import Path

from helpers import facts_for, scan_tree

from infrascan import PLUGIN_GROUP as GROUP
from infrascan.registry import discover


def test_test_plugin_is_an_installed_distribution() -> None:
    dist = distribution("infrascan-testplugin")
    assert any(ep.group == GROUP and ep.name == "testplugin" for ep in dist.entry_points)
    assert any(ep.name == "testplugin" for ep in entry_points(group=GROUP))


def test_discovery_loads_builtins_and_the_plugin_the_same_way() -> None:
    registry = discover()
    names = {d.name for d in registry.detectors}
    assert {"compose", "dockerfile", "envfile", "manifests", "testplugin-uptime"} <= names
    assert registry.origins["testplugin-uptime"] == "infrascan-testplugin"
    assert registry.origins["compose"] == "infrascan"
    assert registry.diagnostics == []


def test_plugin_facts_reach_the_document(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, {"uptime.yaml": "checks:\n  - url: https://status.acme.io/health\n    every: 1m\n"})
    facts = facts_for(scanned.model, "mon.performance")
    assert [f.text for f in facts] == ["Uptime check of https://status.acme.io/health"]
    assert facts[0].evidence[0].line == 2
    assert "uptime.yaml:2" in scanned.markdown
