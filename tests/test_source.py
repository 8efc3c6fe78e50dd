"""Repository access: listing once, blob ids that match the disk, guards that never raise."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import git
import pytest
from helpers import git_repo

from infrascan.source import FileEntry, RepoSource, SourceError, development_dockerfile, git_blob_id, is_example_path

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def make_repo(root: Path, files: dict[str, str]) -> git.Repo:
    repo = git_repo(root)
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    repo.index.add(list(files))
    repo.index.commit("initial")
    return repo


def paths(source: RepoSource) -> list[str]:
    return [e.path for e in source.files()]


def test_git_listing_tracked_untracked_ignored_and_vendored(tmp_path: Path) -> None:
    make_repo(tmp_path, {".gitignore": "secret.yml\nbuild-out/\n", "Dockerfile": "FROM alpine:3.19\n",
                         "node_modules/x/Dockerfile": "FROM node\n", "build/cloudbuild.yaml": "steps: []\n",
                         "third_party/y/compose.yml": "services: {}\n"})
    (tmp_path / "compose.yml").write_text("services: {}\n")  # untracked, not ignored
    (tmp_path / "secret.yml").write_text("x: 1\n")  # ignored
    with RepoSource(tmp_path) as source:
        listed = paths(source)
    assert "compose.yml" in listed and "Dockerfile" in listed and "build/cloudbuild.yaml" in listed
    assert "secret.yml" not in listed
    assert not any(p.startswith(("node_modules/", "third_party/")) for p in listed)


def test_blob_ids_match_content_even_when_modified(tmp_path: Path) -> None:
    make_repo(tmp_path, {"Dockerfile": "FROM alpine:3.19\n"})
    with RepoSource(tmp_path) as source:
        entry = source.entry("Dockerfile")
        assert entry is not None and entry.blob == git_blob_id(b"FROM alpine:3.19\n")
        assert source.read(entry).blob == entry.blob
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\n")
    with RepoSource(tmp_path) as source:
        entry = source.entry("Dockerfile")
        assert entry is not None and entry.blob is None  # modified: hashed from content when read
        result = source.read(entry)
        assert result.text == "FROM alpine:3.20\n" and result.blob == git_blob_id(b"FROM alpine:3.20\n")


def test_scan_root_inside_a_larger_repository(tmp_path: Path) -> None:
    make_repo(tmp_path, {"app/Dockerfile": "FROM alpine\n", "other/Dockerfile": "FROM node\n"})
    with RepoSource(tmp_path / "app") as source:
        assert paths(source) == ["Dockerfile"]
        assert source.prefix == "app/"


def test_ref_reads_a_commit_without_checking_it_out(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"Dockerfile": "FROM alpine:3.18\n"})
    first = repo.head.commit.hexsha
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.19\n")
    (tmp_path / "new.txt").write_text("x")
    repo.index.add(["Dockerfile", "new.txt"])
    repo.index.commit("second")
    with RepoSource(tmp_path, ref=first) as source:
        assert paths(source) == ["Dockerfile"]
        entry = source.entry("Dockerfile")
        assert entry is not None and source.read(entry).text == "FROM alpine:3.18\n"
        assert source.commit == first
    assert (tmp_path / "Dockerfile").read_text() == "FROM alpine:3.19\n"
    with pytest.raises(SourceError):
        RepoSource(tmp_path, ref="no-such-ref")


def test_clone_from_a_file_url_is_shallow_and_removed(tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    make_repo(origin, {"compose.yaml": "services: {}\n"})
    source = RepoSource(f"file://{origin}")
    clone_dir = source.root
    assert paths(source) == ["compose.yaml"]
    assert subprocess.run(["git", "rev-parse", "--is-shallow-repository"], cwd=clone_dir, capture_output=True,
                          text=True).stdout.strip() == "true"
    source.close()
    assert not clone_dir.exists()


def test_bad_url_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError):
        RepoSource(f"file://{tmp_path}/missing")


def test_walk_outside_git_honours_gitignore(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.log\nignored/\n")
    (tmp_path / "a.log").write_text("x")
    (tmp_path / "ignored").mkdir()
    (tmp_path / "ignored" / "Dockerfile").write_text("FROM x\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / ".gitignore").write_text("local.yml\n")
    (tmp_path / "sub" / "local.yml").write_text("x: 1\n")
    (tmp_path / "sub" / "compose.yml").write_text("services: {}\n")
    with RepoSource(tmp_path) as source:
        assert paths(source) == [".gitignore", "sub/.gitignore", "sub/compose.yml"]


def test_linguist_vendored_is_skipped_and_generated_is_read(tmp_path: Path) -> None:
    # saleor marks its `*_auto_*.py` Django migrations linguist-generated: a third of its migrations
    # went uncounted while generated files were skipped like vendored ones
    (tmp_path / ".gitattributes").write_text("gen/** linguist-generated\nlib/* linguist-vendored=true\n"
                                             "keep/* -linguist-vendored\n")
    for rel in ("gen/Dockerfile", "lib/Dockerfile", "keep/Dockerfile", "Dockerfile"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("FROM x\n")
    with RepoSource(tmp_path) as source:
        assert paths(source) == [".gitattributes", "Dockerfile", "gen/Dockerfile", "keep/Dockerfile"]


def test_configured_skips_and_virtualenvs(tmp_path: Path) -> None:
    for rel in ("legacy/Dockerfile", "env/prod/main.tf", "myenv/pyvenv.cfg", "myenv/lib/compose.yml"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x\n")
    with RepoSource(tmp_path, skip=["legacy/"]) as source:
        assert paths(source) == ["env/prod/main.tf"]


def test_guards_become_diagnostics(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("root:x:0:0\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".env.example").symlink_to(outside)
    (repo / "loop").symlink_to(repo / "loop")
    (repo / "Dockerfile").write_bytes(b"FROM x\n\0\0binary")
    (repo / "compose.yml").write_bytes(b"services:\n  web:\n    image: caf\xe9\n")
    (repo / "big.yml").write_text("x" * 2000)
    os.mkfifo(repo / "pipe.yml")
    with RepoSource(repo, max_file_size=1000) as source:
        results = {e.path: source.read(e) for e in source.files()}
    assert results[".env.example"].text is None and "outside" in results[".env.example"].diagnostics[0].message
    assert results["loop"].text is None and results["loop"].diagnostics
    assert results["Dockerfile"].text is None and "binary" in results["Dockerfile"].diagnostics[0].message
    assert results["compose.yml"].text is not None and results["compose.yml"].diagnostics[0].line == 3
    assert results["big.yml"].text is None and "limit" in results["big.yml"].diagnostics[0].message
    assert results["pipe.yml"].text is None and "FIFO" in results["pipe.yml"].diagnostics[0].message


@pytest.mark.skipif(IS_ROOT, reason="running as root: permission bits do not stop root from reading")
def test_unreadable_file_is_a_diagnostic(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("FROM x\n")
    path.chmod(0)
    try:
        with RepoSource(tmp_path) as source:
            result = source.read(FileEntry("Dockerfile", None, None))
        assert result.text is None and "cannot read" in result.diagnostics[0].message
    finally:
        path.chmod(0o644)


def test_bom_is_stripped(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_bytes(b"\xef\xbb\xbfFROM alpine\n")
    with RepoSource(tmp_path) as source:
        assert source.read(source.files()[0]).text == "FROM alpine\n"


def test_example_paths() -> None:
    assert is_example_path("examples/basic/main.tf")
    assert is_example_path("services/api/tests/docker-compose.yml")
    assert not is_example_path("build/cloudbuild.yaml")
    assert not is_example_path("docs.yaml")
    # aks-store-demo sample-manifests/argocd/pets.yaml; compound names with an example word
    assert is_example_path("sample-manifests/argocd/pets.yaml")
    assert is_example_path("deploy/k8s_examples/app.yaml")
    assert not is_example_path("resampler/deploy.yaml")
    assert not is_example_path("sample-manifests.yaml")
    # test doubles and integration-test folders (ory/x, vendored into kratos as oryx/)
    assert is_example_path("oryx/popx/stub/migrations/check/valid/123_a.postgres.up.sql")
    assert is_example_path("oryx/watcherx/integrationtest/Dockerfile")
    assert not is_example_path("persistence/sql/migrations/sql/20150100000001000000_identities.postgres.up.sql")
    # contrib/ holds what the community contributed (miniflux's playbook) as often as a release
    # Dockerfile a pipeline builds: not an example folder by its name (code review)
    assert not is_example_path("contrib/docker/Dockerfile")


@pytest.mark.parametrize(("path", "development"), [
    ("Dockerfile.dev", True), ("dev.Dockerfile", True), ("cmd/loki/Dockerfile.debug", True),
    ("dev/app.Dockerfile", True),  # listmonk: named for nothing, kept in dev/
    (".devcontainer/Dockerfile", True), ("Dockerfile", False), ("docker/Dockerfile.prod", False),
    ("services/devices/Dockerfile", False),  # a word that only starts with "dev"
    # Wiki.js: dev/ also holds the release image its workflow pushes; a dev container's folder counts at any depth
    ("dev/build/Dockerfile", False), ("local/Dockerfile", True), (".devcontainer/app/Dockerfile", True),
    # cloud workspaces: excalidraw's CodeSandbox image made its root component "Node.js 24", not nginx
    (".codesandbox/Dockerfile", True), (".gitpod.Dockerfile", True),
])
def test_development_dockerfiles(path: str, development: bool) -> None:
    assert development_dockerfile(path) is development


def test_the_replay_key_s_listing_is_the_scan_s_listing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a run that may be replayed lists the work tree for its key; when no record answers, the scan
    # takes that listing instead of running git again, and lists the same files under the same ids
    from infrascan import listing, replay

    monkeypatch.setattr(listing, "_offered", {})  # what this test offers stays in it
    root = tmp_path / "repo"
    repo = git_repo(root)
    (root / "api").mkdir()
    (root / "api" / "Dockerfile").write_text("FROM python:3.12\n")
    (root / "compose.yml").write_text("services: {}\n")
    (root / "gone.env").write_text("A=1\n")
    repo.git.add(A=True)
    repo.index.commit("init")
    (root / "compose.yml").write_text("services:\n  db: {}\n")  # modified
    (root / "gone.env").unlink()  # deleted
    (root / "new.tf").write_text('variable "x" {}\n')  # untracked
    monkeypatch.chdir(root)
    monkeypatch.delenv("INFRASCAN_REPLAY", raising=False)
    assert replay.run_key(["scan", str(root)]) is not None
    replay.hand_over()  # no record answered: the command runs
    handed = RepoSource(root)
    calls: list[tuple[str, ...]] = []
    with monkeypatch.context() as patched:
        patched.setattr(RepoSource, "_git", lambda self, *args: calls.append(args) or "")
        entries = handed.files()
    assert calls == [] and str(root) not in listing._offered  # taken once, and git not run again
    assert entries == RepoSource(root).files()
    assert [(e.path, e.blob is None) for e in entries] == [
        ("api/Dockerfile", False), ("compose.yml", True), ("new.tf", True)]
    # a scan of a folder inside the repository lists its own part: the key's listing is not its
    assert replay.run_key(["scan", str(root / "api")]) is not None
    replay.hand_over()
    assert [e.path for e in RepoSource(root / "api").files()] == ["Dockerfile"]
