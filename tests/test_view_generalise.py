"""A statement made in many components is written once: each component's path and name left out."""

from __future__ import annotations

import random
import re

import pytest

from infrascan.model import Evidence
from infrascan.render.view import _generaliser, render_links


def _reference(component: str, value: str) -> str:
    """The rule as first written: the path prefix, then the name wherever no `[\\w-]` touches it."""
    own = component.rpartition("/")[2]
    value = value.replace(component + "/", "…/")
    return re.sub(r"(?<![\w-])" + re.escape(own) + r"(?![\w-])", "…", value)


def test_the_name_is_left_out_only_as_a_whole_word() -> None:
    general = _generaliser("services/api")
    assert general.value("services/api/Dockerfile") == "…/Dockerfile"
    assert general.value("chart api (api.v2, my_api, api-gateway, apiapi, (api))") == \
        "chart … (….v2, my_api, api-gateway, apiapi, (…))"
    assert _generaliser("services/api.v2").value("api.v2 and xapi.v2 and api.v2x") == "… and xapi.v2 and api.v2x"


@pytest.mark.parametrize("component", ["services/api", "svc007", "apps/web-app", "apps/my_app", "apps/api.v2",
                                       "apps/café", "apps/a b"])
def test_any_value_is_generalised_as_the_rule_says(component: str) -> None:
    own = component.rpartition("/")[2]
    pieces = [own, own, component + "/", "-", "_", ".", " ", "/", "x", "1", "é", "…", "a"]
    rng = random.Random(component)
    for _ in range(400):
        value = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 7)))
        assert _generaliser(component).value(value) == _reference(component, value), value


def test_a_place_cited_twice_is_linked_once() -> None:
    # netbox-docker: `redis` and `redis-cache` share an anchor, and the Valkey line cited :52 twice
    cited = (Evidence("a.yml", 52, "compose"), Evidence("b.yml", 3, "compose"), Evidence("a.yml", 52, "helm"))
    assert render_links(cited, lambda e: e.path) == "[a.yml:52](a.yml), [b.yml:3](b.yml)"


def test_an_environmentless_hint_from_two_components_is_one_line(tmp_path) -> None:
    """linkwarden's Meilisearch driver is in two packages' manifests: listed under Production's gap
    as two identical lines, the state kept one of them (both had one fact id) and lost the other's
    evidence. Such hints are joined as the field's own facts are."""
    from helpers import scan_tree

    manifest = '{"name": "%s", "dependencies": {"meilisearch": "^0.41.0"}}\n'
    scanned = scan_tree(tmp_path, {
        "apps/worker/package.json": manifest % "worker",
        "packages/lib/package.json": manifest % "lib",
        "apps/worker/Dockerfile": "FROM node:20\nCMD node index.js\n",
        "packages/lib/Dockerfile": "FROM node:20\nCMD node index.js\n",
    })
    lines = [line for line in scanned.markdown.splitlines() if "Meilisearch driver" in line]
    assert len(lines) == 1
    assert "apps/worker/package.json" in lines[0] and "packages/lib/package.json" in lines[0]
