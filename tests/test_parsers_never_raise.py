"""Property tests: no installed detector's phase 1 raises, whatever a file holds.

A detector that raises costs its file a diagnostic in a real scan, but that is a bug: bad input
must become a diagnostic the detector writes itself. Every installed detector (found the way a
scan finds them) gets random bytes and text under a file name it claims, and real-world fixture
files (tests/fixtures, sample_repos) mutated the way files break: truncated, bytes flipped, tabs,
brackets and template braces inserted. The "ci" hypothesis profile bounds the examples.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infrascan.detector import Detector, Extraction, SourceFile
from infrascan.registry import discover
from infrascan.source import decode

ROOT = Path(__file__).parent
FIXTURE_ROOTS = (ROOT / "fixtures", ROOT.parent / "sample_repos")
MAX_FIXTURE = 20_000  # characters: long enough for real files, short enough for the time budget
INSERTS = ("\t", "[", "]", "{", "}", "{{", "}}", "${", ":", "- ", "\n", '"', "'", "<<EOF\n", "\\\n", "\ufeff", "\x00")

DETECTORS = discover().detectors


def _example_path(pattern: str) -> str:
    """A concrete path a glob claims: first brace alternative, `x` for wildcards, no `**/`."""
    while (match := re.search(r"\{([^{}]*)\}", pattern)) is not None:
        pattern = pattern[: match.start()] + match.group(1).split(",")[0] + pattern[match.end() :]
    pattern = pattern.replace("**/", "")
    pattern = re.sub(r"\[([^\]])[^\]]*\]", r"\1", pattern)
    return pattern.replace("*", "x").replace("?", "x")


@cache
def claimed_paths(detector: Detector) -> tuple[str, ...]:
    """File names the detector claims, from its patterns and its content sniff's suffixes."""
    paths = [p for p in (_example_path(pat) for pat in detector.patterns) if detector.claims(p)]
    if detector.sniff is not None:
        paths += [f"manifests/x{suffix}" for suffix in detector.sniff.suffixes]
    return tuple(dict.fromkeys(paths)) or ("unclaimed.txt",)


@cache
def fixtures_for(detector: Detector) -> tuple[tuple[str, str], ...]:
    """(path to claim it under, text) of fixture files this detector reads: by name, or in its folder."""
    found: list[tuple[str, str]] = []
    for root in FIXTURE_ROOTS:
        for file in sorted(p for p in root.rglob("*") if p.is_file()):
            rel = file.relative_to(root).as_posix()
            own = rel.startswith((f"{detector.name}/", f"{detector.name.replace('-', '_')}/"))
            sniffed = detector.sniff is not None and file.name.endswith(detector.sniff.suffixes)
            if not (detector.claims(rel) or own or sniffed):
                continue
            text, _ = decode(rel, file.read_bytes()[: MAX_FIXTURE * 4])
            if text is not None:
                found.append((rel if detector.claims(rel) else claimed_paths(detector)[0], text[:MAX_FIXTURE]))
    return tuple(found)


def run(detector: Detector, path: str, text: str) -> Extraction:
    result = detector.extract(SourceFile(path, text))
    assert isinstance(result, Extraction)
    return result


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """A real file broken the ways files break: cut short, bytes flipped, characters inserted."""
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        position = draw(st.integers(min_value=0, max_value=len(text)))
        kind = draw(st.sampled_from(("truncate", "flip", "insert", "duplicate")))
        if kind == "truncate":
            text = text[:position]
        elif kind == "flip" and text:
            at = min(position, len(text) - 1)
            flipped = ord(text[at]) ^ draw(st.integers(min_value=1, max_value=255))
            text = text[:at] + ("?" if 0xD800 <= flipped <= 0xDFFF else chr(flipped)) + text[at + 1 :]
        elif kind == "insert":
            text = text[:position] + draw(st.sampled_from(INSERTS)) + text[position:]
        else:
            text = text[:position] + text[max(0, position - 200) : position] + text[position:]
    return text


# Three properties for each of some twenty detectors: a third of the profile's examples each keeps
# the module near 20 s under the "ci" profile; HYPOTHESIS_PROFILE=long still scales it up.
PER_DETECTOR = settings(
    max_examples=max(10, settings.default.max_examples // 3),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    deadline=None,
)


@pytest.mark.parametrize("detector", DETECTORS, ids=lambda d: d.name)
@PER_DETECTOR
@given(data=st.data())
def test_random_bytes_never_raise(detector: Detector, data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(claimed_paths(detector)), label="path")
    raw = data.draw(st.binary(max_size=2_000), label="bytes")
    text, _ = decode(path, raw)
    run(detector, path, text if text is not None else raw.decode("utf-8", errors="replace"))


@pytest.mark.parametrize("detector", DETECTORS, ids=lambda d: d.name)
@PER_DETECTOR
@given(data=st.data())
def test_random_text_never_raises(detector: Detector, data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(claimed_paths(detector)), label="path")
    # Text as the source hands it over: decoded UTF-8, so never a lone surrogate.
    alphabet = st.sampled_from(list("abcXYZ019 :=-_#\"'{}[]$<>|&;\\/.@*!\n\t")) | st.characters(
        exclude_categories=("Cs",)
    )
    run(detector, path, data.draw(st.text(alphabet=alphabet, max_size=1_500), label="text"))


@pytest.mark.parametrize("detector", DETECTORS, ids=lambda d: d.name)
@PER_DETECTOR
@given(data=st.data())
def test_mutated_real_world_files_never_raise(detector: Detector, data: st.DataObject) -> None:
    fixtures = fixtures_for(detector)
    if not fixtures:
        pytest.skip(f"no fixture file is claimed by {detector.name}")
    path, text = data.draw(st.sampled_from(fixtures), label="fixture")
    run(detector, path, data.draw(mutated(text), label="mutated"))


def test_every_detector_has_a_claimed_example_path() -> None:
    for detector in DETECTORS:
        if detector.patterns:
            assert any(detector.claims(p) for p in claimed_paths(detector)), detector.name


def test_own_detectors_have_fixtures() -> None:
    """The four families this suite was written for are fuzzed from real-world shapes, not only noise."""
    names = {d.name: d for d in DETECTORS}
    for name in ("dockerfile", "compose", "envfile", "manifests", "scripts"):
        assert len(fixtures_for(names[name])) >= 3, name
