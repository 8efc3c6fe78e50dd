"""The JSON writer: the same data as `json.dumps`, laid out a fact per line."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from infrascan.export import dumps

_LEAF = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
_JSON = st.recursive(_LEAF, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                     max_leaves=30)


@given(_JSON)
def test_round_trips_whatever_the_shape(data: Any) -> None:
    assert json.loads(dumps(data)) == data


def test_objects_indented_and_each_list_item_on_one_line() -> None:
    data = {"facts": [{"field": "ci.build", "evidence": [{"path": "Dockerfile", "line": 1}]}, {"field": "x"}],
            "coverage": {"filled": 1, "gaps": [{"field": "env.url"}]}, "empty": [], "name": "ünïcode"}
    assert dumps(data) == (
        '{\n'
        '  "facts": [\n'
        '    {"field": "ci.build", "evidence": [{"path": "Dockerfile", "line": 1}]},\n'
        '    {"field": "x"}\n'
        '  ],\n'
        '  "coverage": {\n'
        '    "filled": 1,\n'
        '    "gaps": [\n'
        '      {"field": "env.url"}\n'
        '    ]\n'
        '  },\n'
        '  "empty": [],\n'
        '  "name": "ünïcode"\n'
        '}\n'
    )
