"""Phase-1 results left in the cache as briefs: loaded only when phase 2 reads their records."""

from __future__ import annotations

import pickle
import sqlite3
from pathlib import Path

import pytest
from infrascan.detectors.helm import Chart, HelmDetector
from test_scale import monorepo_cached, scan_json

from infrascan.cache import Cache
from infrascan.catalog import load_catalog
from infrascan.config import Config
from infrascan.cutoff import BRIEF_BUCKETS
from infrascan.detector import Extraction, Record, ResolveContext
from infrascan.model import Confidence, Diagnostic, Fact, text
from infrascan.phase1 import Extractor
from infrascan.pipeline import ScanOptions
from infrascan.registry import discover
from infrascan.resolvememo import ResolveMemo
from infrascan.results import Brief, Deferred, Results, ResultsEvicted


def fact(path: str) -> Fact:
    from infrascan.model import Evidence

    return Fact("mon.performance", text(path), Confidence.DECLARED, (Evidence(path, 1, "d"),), item=path)


def scanned_monorepo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The 4-service monorepo, scanned once with the cache on (in tmp_path)."""
    root, _ = monorepo_cached(tmp_path, monkeypatch)
    scan_json(root, ScanOptions(use_cache=True))
    return root


def record_fetches(monkeypatch: pytest.MonkeyPatch) -> list[tuple[tuple[str, str], Deferred]]:
    """Every deferred result phase 2 fetches from now on."""
    fetched: list[tuple[tuple[str, str], Deferred]] = []
    original = Extractor._fetch

    def counting(self: Extractor, deferred: list[tuple[tuple[str, str], Deferred]]) -> list[Extraction]:
        fetched.extend(deferred)
        return original(self, deferred)

    monkeypatch.setattr(Extractor, "_fetch", counting)
    return fetched


def record_charts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The charts whose Helm piece is computed (not taken from the cache) from now on."""
    computed: list[str] = []
    chart_facts = HelmDetector._chart_facts

    def reading(self: HelmDetector, ctx: ResolveContext, chart: Chart, *args):  # type: ignore[no-untyped-def]
        computed.append(chart.directory)
        return chart_facts(self, ctx, chart, *args)

    monkeypatch.setattr(HelmDetector, "_chart_facts", reading)
    return computed


def test_a_deferred_result_is_fetched_only_for_the_records_asked_for() -> None:
    stored = {
        ("d", "a.txt"): Extraction([fact("a.txt")], [Record("x", "a.txt", 1, {"n": 1})]),
        ("d", "b.txt"): Extraction([fact("b.txt")], [Record("y", "b.txt", 2, {"n": 2}), Record("x", "b.txt", 3, {})],
                                   [Diagnostic("b.txt", 2, "odd", detector="d")]),
    }
    fetched: list[str] = []

    def fetch(deferred: list[tuple[tuple[str, str], Deferred]]) -> list[Extraction]:
        fetched.extend(key[1] for key, _ in deferred)
        return [stored[key] for key, _ in deferred]

    results = Results(fetch=fetch)
    for key, extraction in stored.items():
        results.defer(key, Deferred(Brief.of(extraction), "blob", "digest"))
    ctx = ResolveContext(["a.txt", "b.txt"], results, Config(), load_catalog())
    assert [f.item for f in ctx.phase1_facts()] == ["a.txt", "b.txt"] and ctx.paths("d") == ["a.txt", "b.txt"]
    assert [d.message for _, brief in results.briefs() for d in brief.diagnostics] == ["odd"]
    assert fetched == []  # facts, diagnostics and paths come from the briefs
    assert [r.line for r in ctx.records("y")] == [2] and fetched == ["b.txt"]
    assert [r.path for r in ctx.records("x")] == ["a.txt", "b.txt"] and fetched == ["b.txt", "a.txt"]
    assert ctx.records("z") == [] and ctx.extraction("d", "a.txt") is stored[("d", "a.txt")]
    assert len(fetched) == 2  # each fetched once


def test_a_stored_result_that_is_not_the_one_briefed_is_not_used(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c")
    extractor = Extractor(Config(), cache)
    detector = next(d for d in discover().detectors if d.name == "dockerfile")
    extractor._detectors[detector.name] = detector
    key = extractor.key(detector, "Dockerfile", "blob1")
    cache.put(key, Extraction([fact("Dockerfile")]), digest=True)
    cache.flush()
    brief = Brief.of(Extraction([fact("Dockerfile")]))
    right = cache.digests[key]
    result = ("dockerfile", "Dockerfile")
    assert extractor._fetch([(result, Deferred(brief, "blob1", right))])[0].facts[0].item == "Dockerfile"
    with pytest.raises(ResultsEvicted):
        extractor._fetch([(result, Deferred(brief, "blob1", "another digest"))])  # rewritten since it was briefed
    with pytest.raises(ResultsEvicted):
        extractor._fetch([(result, Deferred(brief, "blob2", right))])  # evicted (or never stored)


def test_a_changed_values_file_loads_only_the_results_helm_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = scanned_monorepo(tmp_path, monkeypatch)
    fetched = record_fetches(monkeypatch)
    (root / "services/svc2/chart/values.yaml").write_text("replicaCount: 7\n")
    changed = scan_json(root, ScanOptions(use_cache=True))
    assert changed == scan_json(root, ScanOptions(use_cache=False)) and "7 replicas" in changed
    kinds = {kind for _, d in fetched for kind in d.brief.kinds}
    assert fetched and all(kind.startswith("helm") for kind in kinds), kinds
    assert {detector for (detector, _), _ in fetched} == {"helm"}  # no Dockerfile, compose or env file


def test_a_result_evicted_since_the_last_scan_is_extracted_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = scanned_monorepo(tmp_path, monkeypatch)
    db = sqlite3.connect(tmp_path / "cache/infrascan/phase1.sqlite3")
    helm = [key for key, value in db.execute("SELECT key, value FROM entries")
            if isinstance(entry := pickle.loads(value), Extraction)
            and any(r.kind.startswith("helm") for r in entry.records)]
    assert helm
    with db:
        db.executemany("DELETE FROM entries WHERE key = ?", [(key,) for key in helm])
    db.close()
    runs: list[int] = []
    original = Extractor.run

    def counting(self: Extractor, *args, **kwargs):  # type: ignore[no-untyped-def]
        runs.append(len(self.briefs))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Extractor, "run", counting)
    (root / "services/svc2/chart/values.yaml").write_text("replicaCount: 5\n")
    changed = scan_json(root, ScanOptions(use_cache=True))
    # the probe, phase 1 with the briefs, and phase 1 again without them once Helm found its results gone
    assert len(runs) == 3 and runs[1] > 0 and runs[2] == 0
    assert changed == scan_json(root, ScanOptions(use_cache=False)) and "5 replicas" in changed
    runs.clear()
    (root / "services/svc2/chart/values.yaml").write_text("replicaCount: 4\n")
    assert "4 replicas" in scan_json(root, ScanOptions(use_cache=True)) and len(runs) == 2  # stored again


def test_a_scan_rewrites_only_the_buckets_of_briefs_its_changes_fall_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = monorepo_cached(tmp_path, monkeypatch, services=8)
    monkeypatch.setattr("infrascan.cache.forkable", lambda: False)  # the puts are counted in this process
    written: list[str] = []
    original_put = Cache.put

    def put(self: Cache, key: str, value: object, digest: bool = False) -> None:
        if key.startswith("cutoff-briefs:"):
            written.append(key)
        original_put(self, key, value, digest)

    monkeypatch.setattr(Cache, "put", put)
    served: list[tuple[int, int]] = []
    original_run = Extractor.run

    def run(self: Extractor, source, candidates, progress, write_later=False):  # type: ignore[no-untyped-def]
        out = original_run(self, source, candidates, progress, write_later)
        served.append((len(self.from_briefs), len(candidates)))
        return out

    monkeypatch.setattr(Extractor, "run", run)
    scan_json(root, ScanOptions(use_cache=True))
    assert len(written) == BRIEF_BUCKETS and served[-1][0] == 0  # a first scan writes every bucket
    for replicas, path in ((7, "services/svc2/chart/values.yaml"), (8, "services/svc5/chart/values.yaml"),
                           (9, "services/svc2/chart/values.yaml")):
        written.clear()
        (root / path).write_text(f"replicaCount: {replicas}\n")
        changed = scan_json(root, ScanOptions(use_cache=True))
        assert len(written) == 1, (replicas, written)  # the changed file's bucket
        assert served[-1][0] == served[-1][1] - 1  # every other candidate from the briefs, the last change's too
        assert changed == scan_json(root, ScanOptions(use_cache=False)) and f"{replicas} replicas" in changed
    (root / "services/svc5/Dockerfile").unlink()
    written.clear()
    gone = scan_json(root, ScanOptions(use_cache=True))
    assert len(written) == 1 and gone == scan_json(root, ScanOptions(use_cache=False))
    written.clear()
    (root / "services/svc5/chart/values.yaml").write_text("replicaCount: 3\n")
    assert scan_json(root, ScanOptions(use_cache=True)) == scan_json(root, ScanOptions(use_cache=False))
    assert served[-2][0] == served[-2][1] - 1  # the deleted file's bucket, rewritten, serves the rest


TEMPLATE = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicaCount }}
  template:
    spec:
      containers:
        - name: app
          image: "registry.example.com/app:1.0"
          readinessProbe:
            httpGet:
              path: /PATH
              port: 8080
"""


def test_a_chart_s_templates_are_loaded_only_when_its_piece_is_computed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, repo = monorepo_cached(tmp_path, monkeypatch)
    for i in range(4):
        (root / f"services/svc{i}/chart/templates").mkdir()
        (root / f"services/svc{i}/chart/templates/deployment.yaml").write_text(TEMPLATE.replace("PATH", "ready"))
    repo.git.add(A=True)
    repo.index.commit("templates")
    scan_json(root, ScanOptions(use_cache=True))
    fetched = record_fetches(monkeypatch)
    computed = record_charts(monkeypatch)
    (root / "services/svc2/chart/values.yaml").write_text("replicaCount: 7\n")
    changed = scan_json(root, ScanOptions(use_cache=True))
    assert computed == ["services/svc2/chart"]
    assert [p for (_, p), _ in fetched if "/templates/" in p] == ["services/svc2/chart/templates/deployment.yaml"]
    assert changed == scan_json(root, ScanOptions(use_cache=False))
    computed.clear()
    (root / "services/svc1/chart/templates/deployment.yaml").write_text(TEMPLATE.replace("PATH", "healthz"))
    changed = scan_json(root, ScanOptions(use_cache=True))
    assert computed == ["services/svc1/chart"]  # a changed template, named by its result, re-reads its chart
    assert changed == scan_json(root, ScanOptions(use_cache=False)) and "GET /healthz" in changed


def test_results_with_no_digest_never_name_a_cached_piece(tmp_path: Path) -> None:
    memo = ResolveMemo(Cache(tmp_path / "c"), "repo", "in", {("helm", "a.yaml"): "A1"}, {})
    assert memo.named([("helm", "a.yaml")]) == (("helm", "a.yaml", "A1"),)
    with pytest.raises(TypeError):
        pickle.dumps((1, memo.named([("helm", "a.yaml"), ("helm", "b.yaml")])))


def test_results_taken_from_briefs_are_marked_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The size bound evicts the least recently used entries first: a result a scan stood on
    through its brief, without reading it, must not look unused."""
    import time

    root = scanned_monorepo(tmp_path, monkeypatch)
    path = tmp_path / "cache/infrascan/phase1.sqlite3"

    def dockerfile_used() -> float:
        db = sqlite3.connect(path)
        try:
            return next(used for value, used in db.execute("SELECT value, used FROM entries")
                        if isinstance(entry := pickle.loads(value), Extraction)
                        and any(r.path == "services/svc0/Dockerfile" for r in entry.records))
        finally:
            db.close()

    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE entries SET used = used - 7200")  # two hours ago
    db.close()
    before = dockerfile_used()
    later = time.time() + 7200  # this scan runs two hours after the briefs were stored
    monkeypatch.setattr(time, "time", lambda: later)
    (root / "services/svc2/chart/values.yaml").write_text("replicaCount: 7\n")
    assert "7 replicas" in scan_json(root, ScanOptions(use_cache=True))
    assert dockerfile_used() > before + 3600
