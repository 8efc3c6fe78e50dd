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
