"""Content sniffing: the needles a sniffer tests before its pattern never change what it claims."""

from __future__ import annotations

from pathlib import Path

import pytest

from infrascan.detector import Detector, Sniff
from infrascan.phase1 import sniffs
from infrascan.registry import discover

ROOT = Path(__file__).parent.parent


def _sniffers() -> list[Detector]:
    return [d for d in discover().detectors if d.sniff]


def _texts() -> list[tuple[str, str]]:
    """Every YAML file of the fixtures and sample repositories: thousands of lines of every format
    the sniffers tell apart, and many they must decline."""
    out = []
    for base in (ROOT / "tests", ROOT / "sample_repos"):
        for path in sorted(base.rglob("*")):
            if path.suffix in (".yml", ".yaml", ".rules", ".json") and path.is_file():
                out.append((str(path.relative_to(ROOT)), path.read_text(encoding="utf-8", errors="replace")))
    return out


def test_needles_never_change_a_claim() -> None:
    """The same claims with the needles as with the patterns alone, on every fixture file; and the
    fixtures do hold files the sniffers claim (the comparison is not over files all decline)."""
    sniffers = _sniffers()
    claimed = 0
    for path, text in _texts():
        with_needles = sniffs(sniffers, text)
        without = tuple(d.name for d in sniffers if _pattern_claims(d.sniff, text))
        assert with_needles == without, path
        claimed += bool(with_needles)
    assert claimed > 50


def _pattern_claims(sniff: Sniff | None, text: str) -> bool:
    assert sniff is not None
    head = text[: sniff.head]
    return bool(sniff.pattern.search(head)) and not (sniff.unless and sniff.unless.search(head))


@pytest.mark.parametrize(
    ("detector", "expected"),
    [
        # Lookaheads only: the needle is read from inside them.
        ("kubernetes", ("apiVersion",)),
        ("ansible", ("hosts",)),
        ("compose", ("services:",)),
        # `.` (a hidden job) is in every file: no needles rather than useless ones.
        ("gitlab-ci", ()),
        # Two dozen Datadog monitor types: more scans than the one search they would spare.
        ("alerting", ()),
    ],
)
def test_needles_of_the_built_in_sniffers(detector: str, expected: tuple[str, ...]) -> None:
    found = {d.name: d for d in _sniffers()}[detector]
    assert found.sniff is not None and found.sniff.needles == expected


def test_a_head_without_the_needle_is_declined_unsearched() -> None:
    """The pattern is not even tried: a sniff whose pattern would claim anything still declines a
    head that holds none of its needles."""
    import re

    sniff = Sniff((".yml",), re.compile(r"(?s)\A(?=.*?needle)|.*"))
    assert sniff.needles == ()  # the second branch has no literal: no needle can be told
    strict = Sniff((".yml",), re.compile(r"(?s)\A(?=.*?needle).*"))
    assert strict.needles == ("needle",)

    class Probe(Detector):
        name = "probe"
        sniff = strict

    assert sniffs([Probe()], "a haystack") == ()
    assert sniffs([Probe()], "a haystack with a needle") == ("probe",)
