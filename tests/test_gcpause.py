"""The collector's pauses: what paused work made is out of the young generations afterwards, and
thawed with the rest when a frozen step ends."""

from __future__ import annotations

import gc

from infrascan.gcpause import collector_paused, survivors_frozen


class Node:
    """A tracked object, found again among the collector's generations by identity."""


def _young() -> set[int]:
    return {id(o) for generation in (0, 1) for o in gc.get_objects(generation)}


def test_what_a_pause_made_is_frozen_then_thawed_with_the_rest() -> None:
    assert gc.isenabled()
    with survivors_frozen():
        with collector_paused():
            made = [Node() for _ in range(1000)]
        assert gc.isenabled()
        young = _young()
        assert not any(id(node) in young for node in made)  # no collection walks them again
        assert gc.get_freeze_count() >= len(made)
    assert gc.get_freeze_count() == 0
    oldest = {id(o) for o in gc.get_objects(2)}
    assert all(id(node) in oldest for node in made)


def test_a_nested_pause_leaves_the_collector_paused() -> None:
    with survivors_frozen(), collector_paused():
        with collector_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()
