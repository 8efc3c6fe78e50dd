"""Phase 2 cached per detector by the questions it asked: reused only when every answer is the same."""

from __future__ import annotations

import pickle
from collections import Counter
from pathlib import Path

import pytest
from test_results import record_charts
from test_scale import monorepo_cached, scan_json

from infrascan.cache import Cache
from infrascan.catalog import load_catalog
from infrascan.config import Config
from infrascan.detector import Detector, Extraction, Piece, Record, ResolveContext
from infrascan.model import Confidence, Diagnostic, Evidence, Fact, text
from infrascan.phase1 import Extractor
from infrascan.pipeline import ScanOptions
from infrascan.registry import discover
from infrascan.resolvememo import AskedContext, Resolved, ResolveMemo
from infrascan.scan import plan, resolve_and_merge
from infrascan.source import RepoSource

ROOT = Path(__file__).parent.parent


class Counting(Detector):
    """Says how many records of kind `x` there are, and warns when there are none of kind `y`."""

    name = "counting"

    def resolve(self, ctx: ResolveContext) -> list[Fact]:
        if not ctx.records("y"):
            ctx.diagnose("a.txt", 1, "no y", self.name)
        count = len(ctx.records("x"))
        return [Fact("mon.performance", text(f"{count} x"), Confidence.DECLARED, self.evidence("a.txt", 1), item="x")]


def context(records: dict[str, list[Record]]) -> ResolveContext:
    results = {("d", path): Extraction(records=found) for path, found in records.items()}
    return ResolveContext(sorted(records), results, Config(), load_catalog())


def traces(cache: Cache, detector: Detector | None = None) -> dict[str, tuple[tuple[str, ...], ...]]:
    return ResolveMemo.load_traces(cache, "repo", [detector or Counting()])


def resolved(memo: ResolveMemo, ctx: ResolveContext, detector: Detector) -> Resolved:
    asked = AskedContext(ctx)
    facts = detector.resolve(asked)
    out = Resolved(facts, list(ctx.diagnostics))
    memo.keep(detector, asked, out)
    memo.cache.flush()
    return out


def test_a_detector_is_reused_only_while_the_results_it_read_are_the_same(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c")
    detector = Counting()
    records = {"a.txt": [Record("x", "a.txt", 1, {})], "b.txt": [Record("z", "b.txt", 1, {})]}
    first = resolved(ResolveMemo(cache, "repo", "in", {("d", "a.txt"): "A1", ("d", "b.txt"): "B1"}, {}),
                     context(records), detector)
    assert [d.message for d in first.diagnostics] == ["no y"]

    def recall(digests: dict[tuple[str, str], str], records: dict[str, list[Record]] = records) -> dict[str, Resolved]:
        return ResolveMemo(cache, "repo", "in", digests, traces(cache)).recall([detector], context(records))

    # b.txt holds no record it asked for: a new b.txt changes nothing it read
    assert recall({("d", "a.txt"): "A1", ("d", "b.txt"): "B2"}) == {"counting": first}
    assert recall({("d", "a.txt"): "A2", ("d", "b.txt"): "B1"}) == {}  # a.txt, which it read, changed
    # a file now holding a kind it asked for and found none of: asked the same, answered otherwise
    with_y = {**records, "c.txt": [Record("y", "c.txt", 1, {})]}
    assert recall({("d", "a.txt"): "A1", ("d", "b.txt"): "B1", ("d", "c.txt"): "C1"}, with_y) == {}
    other = ResolveMemo(cache, "repo", "other inputs", {("d", "a.txt"): "A1", ("d", "b.txt"): "B1"}, traces(cache))
    assert other.recall([detector], context(records)) == {}  # another configuration or infrascan


def test_an_answer_with_no_digest_is_never_stored(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c")
    records = {"a.txt": [Record("x", "a.txt", 1, {})]}
    resolved(ResolveMemo(cache, "repo", "in", {}, {}), context(records), Counting())  # a.txt unnamed
    memo = ResolveMemo(cache, "repo", "in", {("d", "a.txt"): "A1"}, traces(cache))
    assert memo.recall([Counting()], context(records)) == {}


def test_a_changed_values_file_resolves_only_the_detectors_that_read_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = monorepo_cached(tmp_path, monkeypatch)
    calls: Counter[str] = Counter()
    for detector in discover().detectors:
        original = type(detector).resolve

        def counting(self: Detector, ctx: ResolveContext, original=original) -> list[Fact]:  # type: ignore[no-untyped-def]
            calls[self.name] += 1
            return original(self, ctx)

        monkeypatch.setattr(type(detector), "resolve", counting)
    charts = record_charts(monkeypatch)
    scan_json(root, ScanOptions(use_cache=True))
    assert calls["helm"] == calls["dockerfile"] == 1 and len(charts) == 4
    (root / "services/svc2/chart/values.yaml").write_text("replicaCount: 7\n")
    calls.clear()
    charts.clear()
    changed = scan_json(root, ScanOptions(use_cache=True))
    assert calls == {"helm": 1}  # no other detector asked for values files
    assert charts == ["services/svc2/chart"]  # and Helm read the one chart they belong to
    assert changed == scan_json(root, ScanOptions(use_cache=False)) and "7 replicas" in changed
    (root / "services/svc1/Dockerfile").write_text("FROM python:3.13-slim\nUSER app\nEXPOSE 8000\n")
    calls.clear()
    again = scan_json(root, ScanOptions(use_cache=True))
    assert calls["dockerfile"] == 1 and calls["helm"] == 0
    assert again == scan_json(root, ScanOptions(use_cache=False)) and "3.13" in again


SAMPLES = ["django-shop", "helm-platform", "node-api-github", "polyglot-monorepo", "rails-gitlab", "terraform-envs"]


@pytest.mark.parametrize("sample", SAMPLES)
def test_phase_2_leaves_phase_1_results_as_they_were(sample: str) -> None:
    """A detector skipped because its answers are cached must not have changed what later ones read:
    no resolve may change a phase-1 result in place."""
    source = RepoSource(str(ROOT / "sample_repos" / sample))
    try:
        registry = discover()
        entries = source.files()
        phase1 = Extractor(Config(), None, 1).run(source, plan(entries, registry.detectors), None)
        before = pickle.dumps(dict(phase1.results))
        resolve_and_merge(source, Config(), registry.detectors, entries, phase1.results, [], 0)
        assert pickle.dumps(dict(phase1.results)) == before
    finally:
        source.close()


def test_a_detector_that_crashes_is_not_remembered(tmp_path: Path) -> None:
    class Broken(Counting):
        name = "broken"

        def resolve(self, ctx: ResolveContext) -> list[Fact]:
            ctx.records("x")
            raise RuntimeError("bug")

    cache = Cache(tmp_path / "c")
    records = {"a.txt": [Record("x", "a.txt", 1, {})]}
    memo = ResolveMemo(cache, "repo", "in", {("d", "a.txt"): "A1"}, {})
    diagnostics: list[Diagnostic] = []
    source = RepoSource(str(tmp_path))
    try:
        resolve_and_merge(source, Config(), [Broken()], [], context(records).results(), diagnostics, 0, memo)
    finally:
        source.close()
    cache.flush()
    assert any("failed in resolve" in d.message for d in diagnostics)
    assert traces(cache, Broken()) == {}


def test_a_piece_is_computed_once_for_its_inputs_and_every_time_when_they_do_not_pickle(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c")
    computed: list[str] = []

    def piece(name: str, inputs: object) -> Piece:
        def compute() -> list[Fact]:
            computed.append(name)
            return [Fact("mon.performance", text(name), Confidence.DECLARED, (Evidence("a.txt", 1, "counting"),))]
        return inputs, compute

    memo = ResolveMemo(cache, "repo", "in", {}, {"counting": ()})  # it ran here before: its parts are looked up
    first = memo.pieces(Counting(), [piece("a", {"chart": "a"}), piece("b", lambda: None)], [])
    cache.flush()
    again = memo.pieces(Counting(), [piece("a", {"chart": "a"}), piece("b", lambda: None), piece("c", {"chart": "c"})],
                        [])
    assert computed == ["a", "b", "b", "c"]
    assert again[:2] == first and again[2][0].text == "c"


def test_a_file_that_cannot_be_read_leaves_the_early_cutoff_and_phase_2_s_cache_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, repo = monorepo_cached(tmp_path, monkeypatch)
    (root / "services/svc0/Dockerfile").write_bytes(b"FROM python:3.12\n\x00\x01binary\n")
    repo.git.add(A=True)
    repo.index.commit("a binary Dockerfile")
    import infrascan.scan

    phase2: list[int] = []
    original = infrascan.scan.resolve_and_merge

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        phase2.append(1 if args[-1] is not None else 0)  # 1: with phase 2's cache
        return original(*args, **kwargs)

    monkeypatch.setattr(infrascan.scan, "resolve_and_merge", counting)
    first = scan_json(root, ScanOptions(use_cache=True))
    values = root / "services/svc2/chart/values.yaml"
    values.write_text("replicaCount: 2\n# a comment\n")
    assert scan_json(root, ScanOptions(use_cache=True)) == first and phase2 == [1]  # early cutoff
    values.write_text("replicaCount: 6\n")
    assert "6 replicas" in scan_json(root, ScanOptions(use_cache=True)) and phase2 == [1, 1]
