"""Woodpecker CI: steps as jobs, `when` filters as triggers, plugins and services."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import facts_for, fixture_tree, scan_tree
from infrascan.detectors._pipelines import Job, step_catalog
from infrascan.detectors.woodpecker import WoodpeckerDetector

from infrascan.detector import SourceFile
from infrascan.model import Fact

DETECTOR = WoodpeckerDetector()


def ours(facts: list[Fact]) -> list[str]:
    return [f.text for f in facts if any(e.detector == "woodpecker" for e in f.evidence)]


def jobs(text: str, path: str = ".woodpecker.yml") -> dict[str, Job]:
    return {r.data["job"]: Job.from_record(r) for r in DETECTOR.extract(SourceFile(path, text)).records}


def test_a_rust_service_s_checks_tests_images_and_deploy(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, fixture_tree("woodpecker"))
    model = scanned.model
    builds = ours(facts_for(model, "ci.build"))
    assert "Rust build cargo build --release in job build (.woodpecker.yml), on pull requests" in builds
    assert ("Image acme/feeds built and pushed to Docker Hub (acme) in job publish_image (.woodpecker.yml), "
            "on tags v* and cron job nightly") in builds
    # tests beside the PostgreSQL service are integration tests; `cd api_tests/` moves the script
    # lookup into that folder's package.json
    integration = ours(facts_for(model, "ci.test.integration"))
    assert any(t.startswith("cargo in job test (.woodpecker.yml): pull requests") for t in integration)
    assert any("jest via npm run api-test in job api_tests" in t for t in integration), integration
    # a deployment event is one a person sends (the CLI or the UI)
    [manual] = ours(facts_for(model, "ci.deploy.manual"))
    assert manual.startswith("A deployment event (woodpecker-cli pipeline deploy or the UI) starts the deploy "
                             "with Kubernetes"), manual


def test_when_filters_become_triggers() -> None:
    text = (
        "when:\n  - event: push\n    branch: main\n"
        "steps:\n"
        "  - name: lint\n    image: node\n    commands: npm run lint\n"
        "  - name: release\n    image: node\n    commands: [npm publish]\n"
        "    when:\n      event: [tag, manual]\n"
        "  - name: preview\n    image: node\n    commands: [npm run build]\n"
        "    when:\n      - event: pull_request\n        branch:\n          include: [main, 'release/*']\n"
        "  - name: always\n    image: alpine\n    commands: [echo hi]\n    when:\n      - status: [failure]\n"
    )
    found = jobs(text)
    # the workflow's own `when` holds for a step without one
    assert [t.label() for t in found["lint"].triggers] == ["push to main"]
    assert [t.label() for t in found["release"].triggers] == ["tag", "manual"]
    assert not found["release"].manual  # a tag also runs it
    assert [t.label() for t in found["preview"].triggers] == ["pull request to main", "pull request to release/*"]
    assert [t.label() for t in found["always"].triggers] == [
        "every event Woodpecker runs the workflow on (no `event` filter)"]
    # list steps run one after the other
    assert found["preview"].needs == ["release"]


def test_excluded_branches_depends_on_and_the_old_pipeline_key() -> None:
    text = (
        "pipeline:\n  build:\n    image: golang\n    commands: [go build ./...]\n"
        "    when:\n      event: push\n      branch:\n        exclude: [gh-pages]\n"
        "  docs:\n    image: alpine\n    commands: [make docs]\n    depends_on: []\n"
    )
    found = jobs(text)
    assert [t.label() for t in found["build"].triggers] == ["push except to gh-pages"]
    assert found["docs"].needs == []


def test_malformed_workflows_are_reported_and_skipped() -> None:
    out = DETECTOR.extract(SourceFile(".woodpecker/ci.yml", "steps:\n  - just a string\n  - image: alpine\n"))
    assert [d.message for d in out.diagnostics] == ["step `step 1` is not a map; skipped"]
    out = DETECTOR.extract(SourceFile(".woodpecker/ci.yml", "labels:\n  x: y\n"))
    assert [d.message for d in out.diagnostics] == ["no `steps:`; not a Woodpecker workflow"]


@pytest.mark.parametrize(
    ("image", "settings", "does"),
    [
        ("woodpeckerci/plugin-docker-buildx", {"repo": "acme/api"}, ["build docker", "push docker"]),
        ("woodpeckerci/plugin-docker-buildx", {"repo": "acme/api", "dry_run": "true"}, ["build docker"]),
        ("plugins/docker", {"repo": "acme/api"}, ["build docker", "push docker"]),
        ("woodpeckerci/plugin-kaniko", {"repo": "acme/api"}, ["build kaniko", "push kaniko"]),
        ("plugins/kaniko", {"repo": "acme/api"}, ["build kaniko", "push kaniko"]),
    ],
)
def test_plugin_rows(image: str, settings: dict[str, str], does: list[str]) -> None:
    found = step_catalog().lookup("woodpecker_plugins", "image", image, settings)
    assert found is not None and [f"{d['kind']} {d['tool']}" for d in found.does] == does


def test_every_plugin_entry_has_a_row() -> None:
    rows = {"woodpeckerci/plugin-docker-buildx", "plugins/docker", "woodpeckerci/plugin-kaniko", "plugins/kaniko"}
    assert set(step_catalog().keys("woodpecker_plugins", "image")) == rows


def test_a_publish_says_what_it_publishes(tmp_path: Path) -> None:
    # lemmy publishes its crates on every tag; the dry run on pull requests publishes nothing
    workflow = ("steps:\n  check:\n    image: rust\n    commands: [cargo publish --workspace --dry-run]\n"
                "    when:\n      event: pull_request\n"
                "  publish:\n    image: rust\n    commands:\n"
                "      - cargo publish --workspace --token \"$CARGO_API_TOKEN\"\n    when:\n      event: tag\n")
    scanned = scan_tree(tmp_path, {".woodpecker.yml": workflow})
    assert ours(facts_for(scanned.model, "ci.build")) == [
        'Crates published to crates.io: cargo publish --workspace --token "$CARGO_API_TOKEN" in job publish '
        "(.woodpecker.yml), on every tag"]
