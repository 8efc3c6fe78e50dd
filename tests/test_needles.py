"""Needles: the text a regex cannot match without, which the classifier tests before searching."""

from __future__ import annotations

import re

import pytest

from infrascan.needles import needles


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        # The longest literal run of the sequence wins (`upgrade` rules out more than `helm`).
        (r"\bhelm\s+upgrade\b", ("upgrade",)),
        # Alternatives: one needle per branch; the shortest decides between candidates.
        (r"^(?:npm|yarn)\s+test\b", ("test",)),
        (r"\bplaywright\s+test\b|\bcypress\s+run\b", ("cypress", "playwright")),
        # A branch with no literal of its own, an optional part, a repeat that may be absent: no needle.
        (r"kubectl|\w+\s", ()),
        (r"kubectl|\w+ctl\s", ("ctl", "kubectl")),
        (r"(?:deploy)?\s*", ()),
        (r"(?:deploy){0,2}x", ("x",)),
        (r"(?:deploy)+", ("deploy",)),
        # Case-insensitive text is never a needle (str.lower folds case differently from re).
        (r"(?i)docker", ()),
        (r"(?i:docker)\s+push", ("push",)),
        (r"(?i)run\s+(?-i:IT)", ("IT",)),
        # A lookaround that must hold holds text of the searched string too; one that must not, none.
        (r"(?ms)\A(?=.*?^apiVersion:)(?=.*?^kind:)", ("apiVersion:",)),
        (r"(?<=helm )up", ("helm ",)),
        (r"(?!docker)build", ("build",)),
        (r"(?!docker)\w+", ()),
    ],
)
def test_needles(pattern: str, expected: tuple[str, ...]) -> None:
    assert needles(pattern) == expected


def test_flags_given_to_compile_count_as_inline_ones() -> None:
    """Sniff patterns are compiled with flags as arguments: IGNORECASE there rules out needles too."""
    assert needles("docker", re.IGNORECASE) == ()
    assert needles("docker", re.MULTILINE) == ("docker",)


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        (r"\bhelm\s+upgrade\b", "helm   upgrade --install api ./chart"),
        (r"(?:deploy){0,2}x", "x"),
        (r"(?i)run\s+(?-i:IT)", "RUN IT"),
        (r"^(?:npm|yarn)\s+test\b", "yarn test"),
        (r"(?>flyctl|fly)\s+deploy", "flyctl deploy"),
        (r"(?ms)\A(?=.*?^apiVersion:)(?=.*?^kind:)", "kind: Service\napiVersion: v1\n"),
        (r"(?<=helm )up", "helm up"),
    ],
)
def test_a_match_holds_a_needle(pattern: str, text: str) -> None:
    assert re.search(pattern, text)
    assert any(needle in text for needle in needles(pattern)) or not needles(pattern)
