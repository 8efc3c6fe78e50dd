"""Speed and scale: the content cache, parallel extraction, the per-file time bound, monorepo components."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import sqlite3
import threading
import time
from pathlib import Path

import git
import pytest
from helpers import generated, git_repo, write_tree

from infrascan.cache import Cache
from infrascan.components import Components
from infrascan.config import Config
from infrascan.detector import Detector, Extraction, SourceFile
from infrascan.model import Code, Confidence, Fact, Severity, text
from infrascan.phase1 import Extractor, extract_one
from infrascan.pipeline import ScanOptions, scanned
from infrascan.registry import Registry, discover
from infrascan.scan import plan, run_scan
from infrascan.source import RepoSource

SERVICE = {
    "Dockerfile": "FROM python:3.12-slim\nUSER app\nEXPOSE 8000\n",
    "docker-compose.yml": "services:\n  db:\n    image: postgres:16\n",
    ".env.example": "SENTRY_DSN=\nSTRIPE_SECRET_KEY=\n",
    "chart/Chart.yaml": "apiVersion: v2\nname: svc\nversion: 0.1.0\n",
    "chart/values.yaml": "replicaCount: 2\n",
}


def monorepo(root: Path, services: int = 4) -> git.Repo:
    files = {f"services/svc{i}/{rel}": body for i in range(services) for rel, body in SERVICE.items()}
    write_tree(root, files)
    repo = git_repo(root)
    repo.git.add(A=True)
    repo.index.commit("monorepo")
    return repo


def monorepo_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, services: int = 4) -> tuple[Path, git.Repo]:
    """The monorepo in tmp_path/repo, with infrascan's cache in tmp_path/cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = tmp_path / "repo"
    return root, monorepo(root, services)


def scan_json(root: Path, options: ScanOptions) -> str:
    from infrascan.export import to_json

    with scanned(str(root), options=options) as run:
        from infrascan.pipeline import render

        _, view = render(run, doc_path="INFRASTRUCTURE.md", use_permalinks=False, template=None)
        data = to_json(run.model, view)
    data = data.replace(f'"commit": "{run.source.commit}"', '"commit": *')
    return data.replace(f'"files_read": {run.model.files_read}', '"files_read": *')


def _phase2_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that grows by one each time a scan runs phase 2 (the model not reused)."""
    import infrascan.scan

    runs: list[int] = []
    original = infrascan.scan.resolve_and_merge

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        runs.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(infrascan.scan, "resolve_and_merge", counting)
    return runs


def test_unchanged_repository_reads_no_candidate_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "repo"
    repo = monorepo(root)
    reads: list[str] = []
    original = RepoSource.read

    def counting(self: RepoSource, entry):  # type: ignore[no-untyped-def]
        reads.append(entry.path)
        return original(self, entry)

    monkeypatch.setattr(RepoSource, "read", counting)
    first = scan_json(root, ScanOptions(use_cache=True))
    assert len(reads) >= 20
    reads.clear()
    second = scan_json(root, ScanOptions(use_cache=True))
    assert reads == [] and first == second
    (root / "services/svc1/Dockerfile").write_text("FROM python:3.13-slim\n")  # modified, not committed
    third = scan_json(root, ScanOptions(use_cache=True))
    assert reads == ["services/svc1/Dockerfile"] and "Python 3.13" in third
    repo.git.add(A=True)
    repo.index.commit("bump")
    reads.clear()
    assert scan_json(root, ScanOptions(use_cache=True)) == third and reads == []


def test_a_first_scan_writes_its_results_with_its_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A first scan puts phase 1's results in the cache and writes them with the model, at its end
    (Cache.store_aside): a later phase 1 alone finds every one of them there."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = tmp_path / "repo"
    monorepo(root, services=3)
    flushed: list[int] = []
    original = Cache.flush

    def counting(self: Cache, background: bool = False) -> None:
        flushed.append(len(self._pending))
        original(self, background)

    monkeypatch.setattr(Cache, "flush", counting)
    scan_json(root, ScanOptions(use_cache=True))
    assert flushed and flushed[0] == 0  # nothing written between phase 1 and phase 2
    source = RepoSource(root)
    candidates = plan(source.files(), discover().detectors)
    again = Extractor(Config(), Cache(), jobs=1).run(source, candidates, None)
    assert again.files_read == 0 and len(again.results) >= 3 * 4


def test_cached_serial_and_parallel_results_are_identical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "repo"
    monorepo(root, services=6)
    serial = scan_json(root, ScanOptions(use_cache=False, jobs=1))
    monkeypatch.setattr("infrascan.phase1.PARALLEL_THRESHOLD", 0.0)
    parallel = scan_json(root, ScanOptions(use_cache=False, jobs=2))
    monkeypatch.setattr("infrascan.phase1.BATCH_COST", 0.0)  # one file per task, finishing in any order
    streamed = scan_json(root, ScanOptions(use_cache=False, jobs=3))
    cached = scan_json(root, ScanOptions(use_cache=True, jobs=2))
    warm = scan_json(root, ScanOptions(use_cache=True, jobs=2))
    assert serial == parallel == streamed == cached == warm


class Crash(Detector):
    """Kills the worker process that runs it, as the kernel's out-of-memory killer would."""

    name = "crash"
    patterns = ("*.crash",)

    def extract(self, file: SourceFile) -> Extraction:
        import os

        os._exit(3)


def _init_with_crash() -> None:
    from infrascan import phase1

    phase1._WORKER_DETECTORS.update({d.name: d for d in discover().detectors})
    phase1._WORKER_DETECTORS["crash"] = Crash()


@pytest.mark.skipif(multiprocessing.get_start_method() != "fork", reason="the patched worker needs fork")
def test_a_worker_that_dies_costs_its_files_a_diagnostic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "repo"
    monorepo(root, services=2)
    write_tree(root, {"boom.crash": "x"})
    monkeypatch.setattr("infrascan.phase1.PARALLEL_THRESHOLD", 0.0)
    monkeypatch.setattr("infrascan.phase1._worker_init", _init_with_crash)
    registry = discover()
    registry.detectors.append(Crash())
    model = run_scan(RepoSource(str(root)), Config(), registry, jobs=2)
    failed = [d for d in model.diagnostics if "worker failed" in d.message]
    assert any(d.path == "boom.crash" for d in failed) and all(d.severity is Severity.ERROR for d in failed)


def test_corrupt_cache_is_rebuilt(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    monorepo(root)
    cache_db = Path(Cache().path)
    scan_json(root, ScanOptions(use_cache=True))
    cache_db.write_bytes(b"this is not a database" * 100)
    with scanned(str(root), options=ScanOptions(use_cache=True)) as run:
        assert any(d.detector == "cache" for d in run.model.diagnostics)
    with sqlite3.connect(cache_db) as db:
        assert db.execute("SELECT count(*) FROM entries").fetchone()[0] > 0


def test_cache_is_bounded_least_recently_used_first(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c", max_bytes=20_000)
    for i in range(100):
        cache.put(f"k{i:03d}", "x" * 1000)
    cache.flush()
    with sqlite3.connect(cache.path) as db:
        total = db.execute("SELECT SUM(size) FROM entries").fetchone()[0]
        newest = db.execute("SELECT count(*) FROM entries WHERE key = 'k099'").fetchone()[0]
    assert total <= 20_000 and newest == 1
    cache.close()


def _hammer(directory: str, worker: int) -> int:
    cache = Cache(Path(directory))
    for i in range(200):
        cache.put(f"w{worker}-{i}", list(range(50)))
        if i % 20 == 0:
            cache.flush()
            cache.get_many([f"w{(worker + 1) % 4}-{i}"])
    cache.close()
    return worker


def test_cache_is_safe_under_concurrent_processes(tmp_path: Path) -> None:
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        assert sorted(pool.starmap(_hammer, [(str(tmp_path), w) for w in range(4)])) == [0, 1, 2, 3]
    found = Cache(tmp_path).get_many([f"w{w}-199" for w in range(4)])
    assert len(found) == 4


class Slow(Detector):
    name = "slow"
    patterns = ("*.slow",)

    def extract(self, file: SourceFile) -> Extraction:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # a parser stuck in pure Python
            pass
        return Extraction()


def test_a_parse_past_the_time_limit_is_abandoned_with_a_diagnostic() -> None:
    started = time.monotonic()
    result = extract_one(Slow(), SourceFile("x.slow", "x"), timeout=0.3)
    assert time.monotonic() - started < 5
    assert "took longer than 0.3 s" in result.diagnostics[0].message


class SlowToLoad(Detector):
    """Like python-hcl2: the first use in a process builds tables for longer than one file may take."""

    name = "slow-to-load"
    patterns = ("*.slow",)
    loaded = False

    def prepare(self) -> None:
        if not self.loaded:
            time.sleep(0.6)
            self.loaded = True

    def extract(self, file: SourceFile) -> Extraction:
        if not self.loaded:
            raise RuntimeError("extract before prepare")
        return Extraction()


def test_loading_a_parser_does_not_count_against_the_first_files_time_limit() -> None:
    result = extract_one(SlowToLoad(), SourceFile("x.slow", "x"), timeout=0.3)
    assert result.diagnostics == []


def test_components_are_the_outermost_unit_directories() -> None:
    components = Components(["services/api/Dockerfile", "services/api/chart/Chart.yaml", "services/api/infra/main.tf",
                             "services/web/package.json", "infra/main.tf", "Dockerfile", "docs/example/Dockerfile"])
    assert components.roots == ["", "infra", "services/api", "services/web"]
    assert components.of("services/api/chart/values.yaml") == "services/api"
    assert components.of("README.md") == "" and components.of("docs/example/Dockerfile") == ""


def test_hidden_directories_and_package_modules_named_setup_are_no_components() -> None:
    # redash: `.ci` holds CI compose files and `redash/handlers/setup.py` is a Flask module
    components = Components([".ci/compose.ci.yaml", ".ci/Dockerfile.cypress", "redash/handlers/__init__.py",
                             "redash/handlers/setup.py", "viz-lib/package.json", "sdk/setup.py", "pyproject.toml"])
    assert components.roots == ["", "sdk", "viz-lib"]


def test_repeated_facts_are_written_once_and_summarised_per_component(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    monorepo(root, services=5)
    doc = generated(root)
    build_lines = [line for line in doc.splitlines() if "Container image from" in line]
    assert len(build_lines) == 1 and "(in 5 components)" in build_lines[0] and "`…/Dockerfile`" in build_lines[0]
    assert "<!-- infrascan:begin components -->" in doc
    assert "| [services/svc3](services/svc3/) | Python 3.12 | PostgreSQL |" in doc


def test_a_component_runtime_pinned_by_digest_is_not_called_unpinned(tmp_path: Path) -> None:
    """openstatus: `FROM node@sha256:...` pins the runtime; the table says how, as build steps do."""
    root = tmp_path / "repo"
    write_tree(root, {"apps/web/Dockerfile": f"FROM node@sha256:{'a' * 64}\nCMD [\"node\", \"server.js\"]\n",
                      "apps/api/Dockerfile": "FROM python:3.12-slim\nCMD [\"python\", \"app.py\"]\n"})
    doc = generated(root)
    assert "| [apps/web](apps/web/) | Node.js (pinned by digest) |" in doc
    assert "| [apps/api](apps/api/) | Python 3.12 |" in doc


def test_a_component_runtime_is_its_final_image_not_a_build_stage(tmp_path: Path) -> None:
    """langfuse's web: a Go stage builds a migration tool, the image runs on Node.js."""
    root = tmp_path / "repo"
    write_tree(root, {"web/Dockerfile": "FROM golang:1.26 AS tools\nRUN go build -o /migrate ./cmd\n"
                                        "FROM node:24-alpine\nCOPY --from=tools /migrate /usr/bin/\n"
                                        "CMD node server.js\n",
                      "worker/Dockerfile": "FROM node:24-alpine\nCMD node worker.js\n"})
    doc = generated(root)
    assert "| [web](web/) | Node.js 24 |" in doc


def test_a_component_runtime_from_distroless_names_and_other_final_images(tmp_path: Path) -> None:
    """opentelemetry-demo: the frontend builds on node:25 and runs on distroless nodejs24 (was
    "Node.js 25"); telemetry-docs builds with Python and serves with nginx (was "Python 3.14");
    a Go binary on distroless/static still shows the Go that built it."""
    root = tmp_path / "repo"
    write_tree(root, {
        "frontend/Dockerfile": "FROM node:25 AS build\nRUN npm run build\n"
                               "FROM gcr.io/distroless/nodejs24-debian12:nonroot\nCOPY --from=build /app /app\n",
        "telemetry-docs/Dockerfile": "FROM python:3.14 AS site\nRUN mkdocs build\nFROM nginx:1.31-alpine\n"
                                     "COPY --from=site /site /usr/share/nginx/html\n",
        "shipping/Dockerfile": "FROM golang:1.25 AS build\nRUN go build -o /app .\n"
                               "FROM gcr.io/distroless/static-debian12:nonroot\nCOPY --from=build /app /app\n"})
    doc = generated(root)
    table = doc[doc.index("<!-- infrascan:begin components -->"):doc.index("<!-- infrascan:end components -->")]
    assert "| [frontend](frontend/) | Node.js 24 |" in table
    assert "| [shipping](shipping/) | Go 1.25 |" in table
    assert "| [telemetry-docs](telemetry-docs/) | nginx 1.31 |" in table and "Python" not in table


def test_a_component_runtime_on_a_bare_base_is_what_built_the_files_it_copies(tmp_path: Path) -> None:
    """gotify: a Node.js stage builds the UI, a Go stage copies it in and builds the binary, and the
    Debian image copies only the binary (was "Node.js 24"); a stage copied from by index counts."""
    root = tmp_path / "repo"
    write_tree(root, {
        "server/Dockerfile": "FROM node:24 AS js\nRUN make build-js\nFROM golang:1.25 AS builder\n"
                             "COPY --from=js /ui /ui\nRUN go build -o /target/app .\n"
                             "FROM debian:sid-slim\nCOPY --from=builder /target /\nCMD [\"/app\"]\n",
        "api/Dockerfile": "FROM node:24 AS js\nFROM golang:1.24\nRUN go build -o /app .\n"
                          "FROM debian:bookworm-slim\nCOPY --from=1 /app /app\n"})
    doc = generated(root)
    table = doc[doc.index("<!-- infrascan:begin components -->"):doc.index("<!-- infrascan:end components -->")]
    assert "| [server](server/) | Go 1.25 |" in table
    assert "| [api](api/) | Go 1.24 |" in table and "Node.js" not in table


def test_a_component_runtime_installed_from_the_distribution_is_named_without_a_version(tmp_path: Path) -> None:
    """microservices-demo's currencyservice: `node:20` installs the modules, `alpine` + `apk add
    nodejs` runs them (was "Node.js 20"); a build stage's `apk add python3` (node-gyp) is no runtime."""
    root = tmp_path / "repo"
    write_tree(root, {
        "currency/Dockerfile": "FROM node:20-alpine AS builder\nRUN apk add --no-cache python3 make g++\n"
                               "RUN npm install --only=production\nFROM alpine:3.24\nRUN apk add --no-cache nodejs\n"
                               "COPY --from=builder /app/node_modules ./node_modules\nCOPY . .\n"
                               'ENTRYPOINT ["node", "server.js"]\n',
        "email/Dockerfile": "FROM golang:1.25\n",
        # mobilizon: the Elixir release runs on alpine beside a python3 it installs for a helper
        "events/Dockerfile": "FROM elixir:1.16-alpine AS builder\nRUN mix release\nFROM alpine\n"
                             "RUN apk add --no-cache python3 imagemagick\n"
                             "COPY --from=builder /app/_build/prod/rel/ev ./\n"
                             'CMD ["bin/ev", "start"]\n'})
    doc = generated(root)
    table = doc[doc.index("<!-- infrascan:begin components -->"):doc.index("<!-- infrascan:end components -->")]
    assert "| [currency](currency/) | Node.js |" in table and "Python" not in table
    assert "| [events](events/) | Elixir 1.16 |" in table
    assert "installs Node.js with the system package manager" in doc


def test_a_component_an_image_build_names_only_by_its_context_is_built_in_ci(tmp_path: Path) -> None:
    """docker-jitsi-meet: CI builds ghcr.io/jitsi/base from ./base, and the table said no CI."""
    root = tmp_path / "repo"
    step = ("      - uses: docker/build-push-action@v6\n        with:\n          context: ./{0}\n"
            "          tags: ghcr.io/acme/{0}:latest\n")
    write_tree(root, {"base/Dockerfile": "FROM debian:trixie-slim\n", "web/Dockerfile": "FROM node:22\n",
                      ".github/workflows/ci.yml": "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n"
                                                  "    steps:\n" + step.format("base") + step.format("web")})
    doc = generated(root)
    table = doc[doc.index("<!-- infrascan:begin components -->"):doc.index("<!-- infrascan:end components -->")]
    assert "| [web](web/) | Node.js 22 | - | GitHub Actions |" in table
    assert "| [base](base/) | - | - | GitHub Actions |" in table  # an OS image is no runtime


def test_a_component_runtime_is_not_its_development_dockerfile_s(tmp_path: Path) -> None:
    """plane: apps/admin's Dockerfile.dev runs Node.js, the Dockerfile it ships is served by nginx."""
    root = tmp_path / "repo"
    write_tree(root, {"apps/admin/Dockerfile.dev": "FROM node:22-alpine\nCMD npm run dev\n",
                      "apps/admin/Dockerfile.admin": "FROM node:22-alpine AS builder\nRUN npm run build\n"
                                                     "FROM nginx:1.29-alpine\nCOPY --from=builder /app /srv\n",
                      "apps/api/Dockerfile.dev": "FROM python:3.12-slim\n",
                      # database-lab-engine: only the debug Dockerfile has the Go stage of the server
                      "engine/Dockerfile.server": "FROM alpine:3.23\nCOPY bin/server /usr/bin/\n",
                      "engine/Dockerfile.server-debug": "FROM golang:1.26 AS build\nRUN go build ./cmd/server\n"
                                                        "FROM alpine:3.23\nCOPY --from=build /server /usr/bin/\n"})
    doc = generated(root)
    table = doc[doc.index("<!-- infrascan:begin components -->"):doc.index("<!-- infrascan:end components -->")]
    assert "| [apps/admin](apps/admin/) | nginx 1.29 |" in table
    assert "| [apps/api](apps/api/) | Python 3.12 |" in table  # only a development Dockerfile: that one
    assert "| [engine](engine/) | Go 1.26 |" in table


def test_a_component_that_builds_distribution_packages_has_no_runtime(tmp_path: Path) -> None:
    """miniflux: packaging/debian's image installs devscripts on `golang:1-trixie` and packaging/rpm's
    copies the binary a Go stage built into `rockylinux:9` with rpm-build: they make packages, and run
    nothing a deployment runs."""
    root = tmp_path / "repo"
    write_tree(root, {"packaging/debian/Dockerfile": "FROM docker.io/golang:1-trixie AS build\n"
                                                     "RUN apt-get update -q && \\\n"
                                                     "    apt-get install -y -qq build-essential devscripts debhelper\n"
                                                     "ADD . /src\nCMD [\"/src/packaging/debian/build.sh\"]\n",
                      "packaging/rpm/Dockerfile": "FROM golang:1 AS build\nRUN make miniflux\nFROM rockylinux:9\n"
                                                  "RUN dnf install -y rpm-build systemd-rpm-macros\n"
                                                  "COPY --from=build /go/src/app/miniflux /root/rpmbuild/SOURCES/\n",
                      "packaging/docker/Dockerfile": "FROM golang:1.25 AS build\nRUN go build\n"
                                                     "FROM alpine:3.22\nCOPY --from=build /miniflux /usr/bin/\n"})
    doc = generated(root)
    table = doc[doc.index("<!-- infrascan:begin components -->"):doc.index("<!-- infrascan:end components -->")]
    assert "| [packaging/docker](packaging/docker/) | Go 1.25 |" in table
    # with nothing else found in them, they have no row
    assert "[packaging/debian](packaging/debian/), [packaging/rpm](packaging/rpm/)." in table
    assert "| [packaging/debian]" not in table and "| [packaging/rpm]" not in table


def test_components_with_nothing_found_are_named_under_the_table_not_given_rows(tmp_path: Path) -> None:
    """openstatus: forty library packages made forty rows of dashes."""
    root = tmp_path / "repo"
    write_tree(root, {"apps/api/Dockerfile": "FROM python:3.12-slim\n", "apps/web/Dockerfile": "FROM node:22\n",
                      "apps/api/fly.toml": 'app = "acme-api"\n[deploy]\n  strategy = "rolling"\n',
                      # loki's operator: Netlify builds its documentation site, not the component
                      "apps/web/netlify.toml": '[build]\n  publish = "website/public"\n[context.production]\n'
                                               '  command = "make web"\n',
                      "packages/icons/package.json": '{"name": "icons"}\n',
                      "packages/ui/package.json": '{"name": "ui"}\n'})
    doc = generated(root)
    table = doc[doc.index("<!-- infrascan:begin components -->"):doc.index("<!-- infrascan:end components -->")]
    assert "| [apps/api](apps/api/) | Python 3.12 | - | - | Fly.io |" in table, "its own fly.toml: deployed there"
    assert "| [apps/web](apps/web/) | Node.js 22 | - | - | - |" in table and "| [packages/" not in table
    assert ("Also 2 components with no runtime, database, CI, deploy target or environment found in them: "
            "[packages/icons](packages/icons/), [packages/ui](packages/ui/).") in table


def test_the_repository_root_is_a_row_when_it_holds_a_component_s_files(tmp_path: Path) -> None:
    """vikunja: the API server (go.mod, Dockerfile) is the repository root, and the table listed only
    its frontend; a root that only holds shared Terraform modules (the stacks are envs/*) gets no row."""
    root = tmp_path / "repo"
    write_tree(root, {
        "Dockerfile": "FROM golang:1.22 AS build\nRUN go build -o /app .\nFROM scratch\nCOPY --from=build /app /app\n",
        "docker-compose.yml": "services:\n  db:\n    image: postgres:16\n",
        "frontend/Dockerfile": "FROM node:22\n", "desktop/package.json": '{"name": "desktop"}\n'})
    doc = generated(root)
    table = doc[doc.index("<!-- infrascan:begin components -->"):doc.index("<!-- infrascan:end components -->")]
    assert "| [(repository root)](./) | Go 1.22 | PostgreSQL | - | - | Development |" in table
    assert "| [frontend](frontend/) | Node.js 22 |" in table
    modules = tmp_path / "modules-repo"
    write_tree(modules, {
        "modules/db/main.tf": 'resource "aws_db_instance" "db" {\n  engine = "postgres"\n}\n',
        **{f"envs/{env}/main.tf": 'module "db" {\n  source = "../../modules/db"\n}\n' for env in ("staging", "prod")}})
    doc = generated(modules)
    assert "(repository root)" not in doc


def test_per_component_documents_have_their_own_merge_and_drift(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = tmp_path / "repo"
    repo = monorepo(root, services=3)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "infrascan", *args], capture_output=True, text=True, timeout=120)

    assert run("generate", str(root), "--per-component").returncode == 0
    for i in range(3):
        doc = (root / f"services/svc{i}/INFRASTRUCTURE.md").read_text()
        assert "(../../" not in doc
        assert f"[services/svc{i}/docker-compose.yml:3](docker-compose.yml#L3)" in doc
    repo.git.add(A=True)
    repo.index.commit("docs")
    (root / "services/svc1/docker-compose.yml").write_text("services:\n  db:\n    image: postgres:17\n")
    drift = run("drift", str(root), "--doc", str(root / "services/svc1/INFRASTRUCTURE.md"), "--format", "json")
    assert drift.returncode == 1 and "PostgreSQL 17" in drift.stdout
    assert run("drift", str(root), "--doc", str(root / "services/svc0/INFRASTRUCTURE.md")).returncode == 0
    assert run("generate", str(root), "--per-component", "--check").returncode == 1


def test_registry_fixture_is_not_mutated() -> None:
    assert all(d.name != "slow" for d in discover().detectors)


def test_run_scan_accepts_a_custom_registry(tmp_path: Path) -> None:
    class Marker(Detector):
        name = "marker"
        patterns = ("*.marker",)

        def extract(self, file: SourceFile) -> Extraction:
            return Extraction(facts=[Fact("mon.performance", text("Marker ", Code(file.path)), Confidence.DECLARED,
                                          self.evidence(file.path, 1))])

    write_tree(tmp_path, {"a.marker": "x"})
    source = RepoSource(tmp_path)
    model = run_scan(source, Config(), Registry([Marker()], [], {"marker": "test"}))
    assert [f.text for f in model.facts if f.field == "mon.performance"] == ["Marker a.marker"]


def test_extraction_in_process_collects_garbage_and_the_scan_restores_the_collector(tmp_path: Path) -> None:
    import gc

    seen: list[bool] = []

    class Probe(Detector):
        name = "probe"
        patterns = ("*.probe",)

        def extract(self, file: SourceFile) -> Extraction:
            seen.append(gc.isenabled())  # parsers make cycles: a paused collector would keep them all
            return Extraction()

    write_tree(tmp_path, {"a.probe": "x", "b.probe": "y"})
    run_scan(RepoSource(tmp_path), Config(), Registry([Probe()], [], {"probe": "test"}), jobs=1)
    assert seen == [True, True] and gc.isenabled()


def test_phase_one_leaves_what_it_made_frozen_and_the_collector_running(tmp_path: Path) -> None:
    """The first collection after phase 1's pause would walk every result it made; frozen, none does."""
    import gc

    write_tree(tmp_path, {"Dockerfile": "FROM python:3.12\n"})
    source = RepoSource(tmp_path)
    registry = discover()
    candidates = plan(source.files(), registry.detectors)
    gc.unfreeze()
    try:
        result = Extractor(Config(), None, jobs=1).run(source, candidates, None)
        assert gc.isenabled() and gc.get_freeze_count() > 0
        assert any(gc.is_tracked(value) for value in result.results.values())
        assert gc.get_count()[0] < 700  # nothing made in the pause is left for the young generation
        gc.unfreeze()
        gc.disable()  # a caller that paused the collector keeps it paused, and nothing is frozen for it
        Extractor(Config(), None, jobs=1).run(source, candidates, None)
        assert not gc.isenabled() and gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()
        gc.enable()


def test_the_pattern_index_agrees_with_every_detector() -> None:
    from helpers import ROOT

    from infrascan.globs import PatternIndex

    detectors = discover().detectors
    index = PatternIndex({d.name: d.patterns for d in detectors})
    paths = [
        *git.Repo(ROOT).git.ls_files().split("\n"),
        "a/b/Dockerfile.prod", "x.Dockerfile", ".github/workflows/ci.yml", ".github/workflows/sub/x.yml",
        "infra/main.tf", "charts/a/templates/_helpers.tpl", "requirements-dev.txt", "compose.override.yaml",
    ]
    for path in paths:
        assert {d.name for d in detectors if d.claims(path)} <= index.owners(path), path


def test_the_pattern_index_memos_tell_folders_and_names_apart() -> None:
    from infrascan.globs import PatternIndex

    index = PatternIndex({"helm": ["**/templates/*.yaml"], "ansible": ["**/ansible/site.yml"], "chart": ["Chart.yaml"]})
    # The same base name in another folder, and the same folder with another name, each asked after the other.
    assert index.owners("charts/a/templates/x.yaml") == {"helm"}
    assert index.owners("charts/a/other/x.yaml") == set()
    assert index.owners("charts/a/templates/x.yml") == set()
    assert index.owners("charts/a/templates/Chart.yaml") == {"helm", "chart"}
    assert index.owners("charts/a/Chart.yaml") == {"chart"}
    # A literal that spans the folder and the name: the folder alone does not settle it.
    assert index.owners("ansible/site.yml") == {"ansible"}
    assert index.owners("ansible/other.yml") == set()
    assert index.owners("x/ansible/site.yml") == {"ansible"}


def test_a_detector_package_edited_in_place_gets_a_new_code_fingerprint(tmp_path: Path) -> None:
    import importlib.util
    import sys

    from infrascan.phase1 import code_fingerprint

    package = tmp_path / "fpplugin"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "helper.py").write_text("X = 1\n")
    (package / "one.py").write_text("class One:\n    pass\n")
    (package / "two.py").write_text("class Two:\n    pass\n")
    sys.path.insert(0, str(tmp_path))
    try:
        import fpplugin.one
        import fpplugin.two

        first = code_fingerprint(fpplugin.one.One)
        assert first and code_fingerprint(fpplugin.two.Two) == first  # one package, one hash
        (package / "helper.py").write_text("X = 22\n")  # a helper both import, changed in place
        spec = importlib.util.spec_from_file_location("fpplugin.three", package / "two.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["fpplugin.three"] = module
        spec.loader.exec_module(module)
        assert code_fingerprint(module.Two) not in ("", first)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n == "fpplugin" or n.startswith("fpplugin.")]:
            del sys.modules[name]


def test_a_change_phase_1_reads_the_same_reuses_the_model_and_any_other_change_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = monorepo_cached(tmp_path, monkeypatch)

    phase2 = _phase2_runs(monkeypatch)
    values = root / "services/svc2/chart/values.yaml"
    first = scan_json(root, ScanOptions(use_cache=True))
    assert phase2 == [1]
    values.write_text("replicaCount: 2\n# scaled by the autoscaler in production\n")  # a comment only
    assert scan_json(root, ScanOptions(use_cache=True)) == first and phase2 == [1]  # early cutoff
    values.write_text("replicaCount: 5\n")  # what phase 1 reads changed: the model is computed again
    changed = scan_json(root, ScanOptions(use_cache=True))
    assert phase2 == [1, 1] and changed != first and "5 replicas" in changed
    values.write_text("replicaCount: 5\n\n")
    assert scan_json(root, ScanOptions(use_cache=True)) == changed and phase2 == [1, 1]
    (root / "services/svc3/chart/values-prod.yaml").write_text("replicaCount: 2\n")  # a new file: new listing
    assert "values-prod.yaml" in scan_json(root, ScanOptions(use_cache=True)) and phase2 == [1, 1, 1]


def test_reading_an_entry_refreshes_its_use_only_when_stale(tmp_path: Path) -> None:
    """Eviction goes by last use: an entry read long ago is marked used again, while one used
    within the hour is not rewritten (a warm scan reads thousands of entries)."""
    cache = Cache(tmp_path / "c")
    cache.put("old", 1)
    cache.put("recent", 2)
    cache.flush()
    long_ago = time.time() - 2 * 86400
    recently = time.time() - 60
    with sqlite3.connect(cache.path) as db:
        db.execute("UPDATE entries SET used = ? WHERE key = 'old'", (long_ago,))
        db.execute("UPDATE entries SET used = ? WHERE key = 'recent'", (recently,))
    assert cache.get_many(["old", "recent"]) == {"old": 1, "recent": 2}
    cache.flush()
    with sqlite3.connect(cache.path) as db:
        used = dict(db.execute("SELECT key, used FROM entries").fetchall())
    assert used["old"] > time.time() - 60
    assert used["recent"] == recently
    cache.close()


def test_a_background_flush_is_seen_by_the_next_read_and_kept_by_close(tmp_path: Path) -> None:
    """Phase 1's entries are written while phase 2 runs; whatever comes next on the same cache
    waits for that write, and closing the cache never abandons it."""
    cache = Cache(tmp_path / "c")
    for i in range(200):
        cache.put(f"k{i}", list(range(i)))
    cache.flush(background=True)
    assert cache.get_many(["k0", "k199"]) == {"k0": [], "k199": list(range(199))}
    cache.put("late", "after the background write")
    cache.flush(background=True)
    cache.close()
    with sqlite3.connect(cache.path) as db:
        assert db.execute("SELECT count(*) FROM entries").fetchone()[0] == 201
    assert not any(t.name == "infrascan-cache-writer" for t in threading.enumerate())


def test_stored_aside_in_a_child_and_waited_for_by_close(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the next scan starts from is pickled and written by a forked child while this process
    renders: entries pending before it and entries `fill` puts are all stored once `close` returns."""
    forks: list[int] = []
    original_fork = os.fork

    def fork() -> int:
        pid = original_fork()
        if pid:
            forks.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", fork)
    cache = Cache(tmp_path / "c")
    cache.put("before", "pending at the fork")
    cache.store_aside(lambda: cache.put("model", list(range(1000))))
    assert len(forks) == 1 and cache.get_many(["model"]) in ({}, {"model": list(range(1000))})
    cache.close()
    with sqlite3.connect(cache.path) as db:
        assert sorted(k for (k,) in db.execute("SELECT key FROM entries")) == ["before", "model"]
    with pytest.raises(ChildProcessError):
        os.waitpid(forks[0], os.WNOHANG)  # reaped by close


def test_stored_in_this_process_when_it_cannot_fork(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("infrascan.cache.forkable", lambda: False)
    cache = Cache(tmp_path / "c")
    cache.store_aside(lambda: cache.put("model", "stored here"))
    cache.close()
    assert Cache(tmp_path / "c").get_many(["model"]) == {"model": "stored here"}


def test_a_child_that_fails_to_store_costs_only_the_next_scan_s_reuse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    root, _ = monorepo_cached(tmp_path, monkeypatch)
    import infrascan.cutoff

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError("disk full")

    monkeypatch.setattr(infrascan.cutoff.EarlyCutoff, "remember", broken)
    first = scan_json(root, ScanOptions(use_cache=True))
    assert first == scan_json(root, ScanOptions(use_cache=False))
    assert "disk full" not in capfd.readouterr().err  # the child leaves without a word
    monkeypatch.undo()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    phase2 = _phase2_runs(monkeypatch)
    assert scan_json(root, ScanOptions(use_cache=True)) == first and phase2 == [1]  # nothing was stored
    assert scan_json(root, ScanOptions(use_cache=True)) == first and phase2 == [1]  # now it was


def test_a_large_value_is_stored_compressed_and_read_back_with_the_digest_of_its_pickle(tmp_path: Path) -> None:
    """A monorepo's model and run record are megabytes of repeated text: stored compressed, counted
    for the size bound as stored, and named by the digest of their pickle, as small values are."""
    model = [{"field": "deploy.target", "text": f"service {i} deploys to production"} for i in range(20_000)]
    cache = Cache(tmp_path / "c")
    cache.put("model", model, digest=True)
    cache.put("small", [1, 2, 3], digest=True)
    written = dict(cache.digests)
    cache.close()
    with sqlite3.connect(cache.path) as db:
        sizes = dict(db.execute("SELECT key, size FROM entries").fetchall())
        stored = db.execute("SELECT value FROM entries WHERE key = 'model'").fetchone()[0]
    assert sizes["model"] == len(stored) < len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)) // 5
    again = Cache(tmp_path / "c")
    assert again.get_many(["model", "small"], digest=True) == {"model": model, "small": [1, 2, 3]}
    assert again.digests == written
    again.close()


def _committed(root: Path, files: dict[str, str | bytes]) -> git.Repo:
    repo = git_repo(root)
    write_tree(root, files)
    repo.index.add(list(files))
    repo.index.commit("files")
    return repo


def test_a_sniffer_that_declines_a_file_stores_nothing_of_its_own(tmp_path: Path) -> None:
    """Reading a YAML file settles which content-sniffing detectors claim it; those that decline
    leave no entry per detector (on a monorepo they were most of what a changed scan loaded)."""
    root = tmp_path / "repo"
    _committed(root, {"notes.yaml": "owner: platform-team\n"})
    source = RepoSource(str(root))
    registry = discover()
    candidates = plan(source.files(), registry.detectors)
    assert [len(c.by_content) for c in candidates] and all(c.by_content for c in candidates)
    cache = Cache(tmp_path / "c")
    stored: list[str] = []
    original = cache.put

    def put(key: str, value: object, digest: bool = False) -> None:
        stored.append(key)
        original(key, value, digest)

    cache.put = put  # type: ignore[method-assign]
    extractor = Extractor(Config(), cache, jobs=1)
    first = extractor.run(source, candidates, None)
    assert len(stored) == 1 and first.results == {}  # what reading the file found, sniffs included
    again = Extractor(Config(), cache, jobs=1).run(source, candidates, None)
    assert again.files_read == 0 and again.results == {}
    cache.close()


def test_a_file_a_sniffer_starts_claiming_is_extracted_and_one_it_stops_claiming_is_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = tmp_path / "repo"
    repo = _committed(root, {"deploy/app.yaml": "owner: platform-team\n"})
    plain = scan_json(root, ScanOptions(use_cache=True))
    manifest = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop\nspec:\n  replicas: 3\n"
                "  template:\n    spec:\n      containers:\n        - name: shop\n          image: shop:1.4\n")
    (root / "deploy/app.yaml").write_text(manifest)
    repo.index.add(["deploy/app.yaml"])
    repo.index.commit("a manifest")
    claimed = scan_json(root, ScanOptions(use_cache=True))
    assert "Deployment shop: 3 replicas" in claimed and "Deployment shop" not in plain
    (root / "deploy/app.yaml").write_text("owner: platform-team\n# no longer a manifest\n")
    assert "Deployment shop" not in scan_json(root, ScanOptions(use_cache=True))


@pytest.mark.skipif(multiprocessing.get_start_method() != "fork", reason="the patched worker needs fork")
def test_what_a_dead_worker_took_down_is_not_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The files of a dead worker's batches hold a diagnostic in place of their results: the next
    scan must parse them again, not repeat the failure from the cache."""
    root = tmp_path / "repo"
    monorepo(root, services=2)
    write_tree(root, {"boom.crash": "x"})
    cache_dir = tmp_path / "c"
    with monkeypatch.context() as patched:
        patched.setattr("infrascan.phase1.PARALLEL_THRESHOLD", 0.0)
        patched.setattr("infrascan.phase1._worker_init", _init_with_crash)
        registry = discover()
        registry.detectors.append(Crash())
        cache = Cache(cache_dir)
        crashed = run_scan(RepoSource(str(root)), Config(), registry, cache=cache, jobs=2)
        cache.close()
    assert any("worker failed" in d.message and d.path != "boom.crash" for d in crashed.diagnostics)
    cache = Cache(cache_dir)
    again = run_scan(RepoSource(str(root)), Config(), discover(), cache=cache, jobs=1)
    cache.close()
    assert not [d for d in again.diagnostics if "worker failed" in d.message]
    assert again.facts == run_scan(RepoSource(str(root)), Config(), discover(), jobs=1).facts


def test_a_read_s_diagnostics_keep_their_own_path_when_two_files_are_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = tmp_path / "repo"
    same = b"FROM postgres:15\n# caf\xe9\n"  # undecodable as UTF-8: reading it costs a diagnostic
    repo = _committed(root, {"a/Dockerfile": same, "b/Dockerfile": same})
    scan_json(root, ScanOptions(use_cache=True))
    write_tree(root, {"README.txt": "notes\n"})  # a new path: the model is computed again from cached entries
    repo.index.add(["README.txt"])
    with scanned(str(root), options=ScanOptions(use_cache=True)) as run:
        undecodable = sorted(d.path for d in run.model.diagnostics if "undecodable" in d.message)
    assert undecodable == ["a/Dockerfile", "b/Dockerfile"]


def test_a_claims_override_on_the_instance_is_asked(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _committed(root, {"Dockerfile": "FROM python:3.12\n"})
    registry = discover()
    dockerfile = next(d for d in registry.detectors if d.name == "dockerfile")
    dockerfile.claims = lambda path: False  # type: ignore[method-assign]  # a plugin may configure an instance
    assert not [c for c in plan(RepoSource(str(root)).files(), registry.detectors)
                if any(d.name == "dockerfile" for d in c.by_name)]


def test_a_cache_trimmed_once_is_not_summed_at_every_flush(tmp_path: Path) -> None:
    """A trim frees pages that the file keeps: over the bound on disk, under it in use."""
    cache = Cache(tmp_path / "c", max_bytes=200_000)
    for i in range(100):
        cache.put(f"k{i:03d}", os.urandom(5000))
    cache.flush()
    assert cache._db is not None
    with sqlite3.connect(cache.path) as db:
        assert db.execute("SELECT SUM(size) FROM entries").fetchone()[0] <= 200_000  # trimmed
    assert cache.path.stat().st_size + Path(str(cache.path) + "-wal").stat().st_size > 200_000
    statements: list[str] = []
    cache._db.set_trace_callback(statements.append)
    cache.put("small", "y" * 1000)
    cache.flush()
    assert statements and not any("SUM(size)" in s for s in statements)
    cache.close()


def test_the_bound_is_measured_without_reading_values(tmp_path: Path) -> None:
    """A cache made before the index gets it; the sum and the order of use then read the index alone."""
    (tmp_path / "c").mkdir()
    with sqlite3.connect(tmp_path / "c" / "phase1.sqlite3") as db:  # as an earlier infrascan made it
        db.execute("CREATE TABLE entries (key TEXT PRIMARY KEY, value BLOB NOT NULL, size INTEGER NOT NULL, "
                   "used REAL NOT NULL)")
        db.execute("INSERT INTO entries VALUES ('k', x'00', 1, 0)")
    cache = Cache(tmp_path / "c", max_bytes=10_000_000)
    assert cache.get_many(["k"]) == {}  # not a pickle: a miss, the database kept
    assert cache._db is not None
    plans = [" ".join(str(step[-1]) for step in cache._db.execute(f"EXPLAIN QUERY PLAN {query}"))
             for query in ("SELECT COALESCE(SUM(size), 0) FROM entries", "SELECT key, size FROM entries ORDER BY used")]
    assert "COVERING INDEX entries_used" in plans[0] and "INDEX entries_used" in plans[1]
    cache.close()


def test_a_cache_whose_index_cannot_be_made_is_kept_and_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read-only or locked cache cannot take the index: it must still serve reads, not be rebuilt."""
    cache = Cache(tmp_path / "c", max_bytes=10_000_000)
    cache.put("k", "kept")
    cache.close()
    monkeypatch.setattr("infrascan.cache.USED_INDEX", "CREATE INDEX entries_used ON no_such_table (used)")
    again = Cache(tmp_path / "c", max_bytes=10_000_000)
    assert again.get_many(["k"]) == {"k": "kept"} and again.note is None
    again.close()


def test_a_cache_under_its_bound_is_not_summed_at_every_flush(tmp_path: Path) -> None:
    """Summing the entries scans the whole table; the file's size tells first whether it can be over."""
    cache = Cache(tmp_path / "c", max_bytes=10_000_000)
    cache.put("k", "x" * 1000)
    cache.flush()
    statements: list[str] = []
    assert cache._db is not None
    cache._db.set_trace_callback(statements.append)
    cache.put("k2", "y" * 1000)
    cache.flush()
    assert statements and not any("SUM(size)" in s for s in statements)
    cache.close()


def _aside_forced(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every scan resolves its largest detector in a child (whatever its size); the children's pids."""
    import infrascan.aside

    monkeypatch.setattr(infrascan.aside, "MIN_FILES", 1)
    children: list[int] = []
    original_fork = os.fork
    parent = os.getpid()

    def fork() -> int:
        pid = original_fork()
        if pid and os.getpid() == parent:
            children.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", fork)
    return children


def test_a_detector_resolved_aside_gives_what_it_would_give_here(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    root, _ = monorepo_cached(tmp_path, monkeypatch)
    here = scan_json(root, ScanOptions(use_cache=False))
    children = _aside_forced(monkeypatch)
    assert scan_json(root, ScanOptions(use_cache=False)) == here
    assert len(children) == 1  # no cache: nothing stored aside
    cached = scan_json(root, ScanOptions(use_cache=True))
    assert cached == here and len(children) == 3  # Helm's resolve, then the store
    with sqlite3.connect(tmp_path / "cache" / "infrascan" / "phase1.sqlite3") as db:
        keys = [k for (k,) in db.execute("SELECT key FROM entries")]
    # what the child's resolve stored for the next scan came back and was written
    assert any(k.startswith("resolve-trace:") and k.endswith(":helm") for k in keys)
    assert sum(k.startswith("resolved-piece:") for k in keys) == 4  # one per chart
    (root / "services/svc1/chart/values.yaml").write_text("replicaCount: 7\n")
    assert "7 replicas" in scan_json(root, ScanOptions(use_cache=True))


def test_a_child_that_fails_to_resolve_leaves_its_detector_to_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    root, _ = monorepo_cached(tmp_path, monkeypatch)
    here = scan_json(root, ScanOptions(use_cache=False))
    children = _aside_forced(monkeypatch)
    import infrascan.aside

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("pipe closed")

    monkeypatch.setattr(infrascan.aside.pickle, "dump", broken)
    assert scan_json(root, ScanOptions(use_cache=True)) == here and children
    assert "pipe closed" not in capfd.readouterr().err


def test_a_result_a_child_finds_evicted_reruns_the_scan_the_ordinary_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = monorepo_cached(tmp_path, monkeypatch)
    here = scan_json(root, ScanOptions(use_cache=False))
    children = _aside_forced(monkeypatch)
    from infrascan.detectors.helm import HelmDetector

    from infrascan.results import ResultsEvicted

    flag = tmp_path / "evicted-once"
    original = HelmDetector.resolve

    def resolve(self: HelmDetector, ctx):  # type: ignore[no-untyped-def]
        if not flag.exists():  # the first child: its result "gone from the cache"
            flag.write_text("")
            raise ResultsEvicted()
        return original(self, ctx)

    monkeypatch.setattr(HelmDetector, "resolve", resolve)
    assert scan_json(root, ScanOptions(use_cache=True)) == here and flag.exists()
    assert len(children) == 3  # the child that found it, the one of the scan's second phase 2, the store
