"""Woodpecker CI: steps as jobs, `when` filters as triggers, plugins and services."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import facts_for, fixture_tree, scan_tree
from infrascan.detectors._pipelines import Job, step_catalog
from infrascan.detectors.woodpecker import WoodpeckerDetector, _plugin_name, _sequence_merges

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
    # a step that reaches the PostgreSQL service (its DATABASE_URL names the service's host) runs
    # integration tests; `cd api_tests/` moves the script lookup into that folder's package.json,
    # whose suite reaches no service
    integration = ours(facts_for(model, "ci.test.integration"))
    assert integration == ["cargo in job test (.woodpecker.yml): pull requests (integration: the job starts "
                           "postgres:16-alpine)"], integration
    assert any("jest via npm run api-test in job api_tests" in t for t in ours(facts_for(model, "ci.test.unit")))
    # a deployment event is one a person sends (the CLI or the UI)
    [manual] = ours(facts_for(model, "ci.deploy.manual"))
    assert manual.startswith("A deployment event (woodpecker-cli pipeline deploy or the UI) starts the deploy "
                             "with Kubernetes"), manual


def test_when_filters_become_triggers() -> None:
    text = (
        "steps:\n"
        "  - name: lint\n    image: node\n    commands: npm run lint\n"
        "    when:\n      event: push\n      branch: main\n"
        "  - name: release\n    image: node\n    commands: [npm publish]\n"
        "    when:\n      event: [tag, manual]\n"
        "  - name: preview\n    image: node\n    commands: [npm run build]\n"
        "    when:\n      - event: pull_request\n        branch:\n          include: [main, 'release/*']\n"
        "  - name: always\n    image: alpine\n    commands: [echo hi]\n    when:\n      - status: [failure]\n"
    )
    found = jobs(text)
    assert [t.label() for t in found["lint"].triggers] == ["push to main"]
    assert [t.label() for t in found["release"].triggers] == ["tag", "manual"]
    assert not found["release"].manual  # a tag also runs it
    assert [t.label() for t in found["preview"].triggers] == ["pull request to main", "pull request to release/*"]
    assert [t.label() for t in found["always"].triggers] == [
        "every event Woodpecker runs the workflow on (no `event` filter)"]
    # list steps run one after the other: after the last one that runs on the same events
    assert found["always"].needs == ["preview"] and found["preview"].needs == []


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
        ("woodpecker-plugins/docker-buildx", {"repo": "acme/api"}, ["build docker", "push docker"]),
    ],
)
def test_plugin_rows(image: str, settings: dict[str, str], does: list[str]) -> None:
    found = step_catalog().lookup("woodpecker_plugins", "image", image, settings)
    assert found is not None and [f"{d['kind']} {d['tool']}" for d in found.does] == does


def test_every_plugin_entry_has_a_row() -> None:
    rows = {"woodpeckerci/plugin-docker-buildx", "plugins/docker", "woodpeckerci/plugin-kaniko", "plugins/kaniko",
            "woodpecker-plugins/docker-buildx"}
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


def test_cd_moves_from_the_checkout_root_and_cd_back_moves_nowhere(tmp_path: Path) -> None:
    # review: in .woodpecker/test.yml, `cd web` is the repository's web/ (the checkout), not
    # .woodpecker/web; `cd -` is no folder named `-`
    files = {
        ".woodpecker/test.yml": "steps:\n  web:\n    image: node\n    commands:\n      - cd web\n      - npm test\n"
                                "  root:\n    image: node\n    commands:\n      - cd -\n      - npm test\n",
        "web/package.json": '{"scripts": {"test": "vitest run"}}\n',
        "package.json": '{"scripts": {"test": "mocha"}}\n',
    }
    scanned = scan_tree(tmp_path, files)
    tests = ours(facts_for(scanned.model, "ci.test.unit"))
    assert any("vitest" in t and "job web" in t for t in tests), tests
    assert any("mocha" in t and "job root" in t for t in tests), tests


def test_a_step_s_when_narrows_the_workflow_s_and_order_follows_the_events() -> None:
    # review: a failure-only step of a workflow that runs on pushes to main ran "on every event"
    text = ("when:\n  - event: push\n    branch: main\n"
            "steps:\n  build:\n    image: node\n    commands: [npm run build]\n"
            "  notify:\n    image: alpine\n    commands: [kubectl rollout undo deploy/web]\n"
            "    when:\n      - status: [failure]\n"
            "  tag-only:\n    image: alpine\n    commands: [echo never]\n    when:\n      event: tag\n")
    found = jobs(text)
    assert [t.label() for t in found["notify"].triggers] == ["push to main"]
    assert "tag-only" not in found  # the workflow runs on pushes only: a tag step never runs
    assert found["notify"].needs == ["build"]


def test_steps_with_depends_on_form_a_graph_and_others_start_at_once() -> None:
    text = ("steps:\n  lint:\n    image: node\n    commands: [npm run lint]\n"
            "  build:\n    image: node\n    commands: [npm run build]\n"
            "  deploy:\n    image: alpine\n    commands: [kubectl apply -f k8s/]\n    depends_on: build\n")
    found = jobs(text)
    assert (found["lint"].needs, found["build"].needs, found["deploy"].needs) == ([], [], ["build"])
    # in order, a step follows the last one that runs on the same events, not a pull-request check
    text = ("steps:\n  check:\n    image: rust\n    commands: [cargo build]\n    when:\n      event: pull_request\n"
            "  deploy:\n    image: alpine\n    commands: [kubectl apply -f k8s/]\n    when:\n      event: deployment\n")
    assert jobs(text)["deploy"].needs == []


@pytest.mark.parametrize(("image", "name"), [
    ("woodpeckerci/plugin-docker-buildx", "woodpeckerci/plugin-docker-buildx"),
    ("docker.io/woodpeckerci/plugin-kaniko:2.1", "woodpeckerci/plugin-kaniko"),
    ("codeberg.org/woodpecker-plugins/docker-buildx:5", "woodpecker-plugins/docker-buildx"),
    ("localhost:5000/plugins/docker", "plugins/docker"),
])
def test_a_plugin_is_named_without_its_registry_and_tag(image: str, name: str) -> None:
    assert _plugin_name(image) == name


def test_a_merged_sequence_a_step_s_folder_and_the_services_it_reaches() -> None:
    # woodpecker's own test.yaml: `- <<: *when_path` merges a list of paths into a list, which YAML's
    # merge key does only for maps; the file was invalid YAML and nothing of it was read
    text = ("variables:\n  - &paths\n    - 'go.*'\n    - '**/*.go'\n"
            "when:\n  - event: push\n    path:\n      - <<: *paths\n      - '.woodpecker/**'\n"
            "steps:\n  web:\n    image: node\n    directory: web/\n    commands: [pnpm test]\n"
            "  postgres:\n    image: golang\n    environment:\n      DSN: 'host=postgres user=postgres'\n"
            "    commands: [make test-datastore]\n"
            "services:\n  postgres:\n    image: postgres:18\n")
    out = DETECTOR.extract(SourceFile(".woodpecker/test.yaml", text))
    assert not out.diagnostics
    found = {r.data["job"]: Job.from_record(r) for r in out.records}
    assert found["web"].steps[0].commands[0][0] == "cd web/"  # the folder its commands start in
    assert [s["name"] for s in found["postgres"].services] == ["postgres"] and not found["web"].services
    # a map's merge (`- <<: *base` with keys below it) stays a map
    assert _sequence_merges("a:\n  - <<: *base\n    event: push\n") == "a:\n  - <<: *base\n    event: push\n"


def test_services_reach_every_step_when_no_step_names_one() -> None:
    # review: a Django step reaches `postgres` through its settings file, which the workflow does not show
    text = ("steps:\n  test:\n    image: python\n    commands: [python manage.py test]\n"
            "services:\n  postgres:\n    image: postgres:16\n")
    assert [s["name"] for s in jobs(text)["test"].services] == ["postgres"]


def test_a_valid_map_merge_is_read_as_yaml_reads_it() -> None:
    # review: a `- <<: *steps` merge of a list of maps is valid YAML, and stays as YAML reads it
    text = ("variables:\n  - &base\n    image: node\n  - &more\n    commands: [npm test]\n"
            "steps:\n  test:\n    <<: [*base, *more]\n")
    out = DETECTOR.extract(SourceFile(".woodpecker.yml", text))
    assert not out.diagnostics and [r.data["job"] for r in out.records] == ["test"]
