"""GoReleaser configurations: what `goreleaser release` publishes, said where CI runs it."""

from __future__ import annotations

import pytest
from helpers import fixture_text, scan_tree
from infrascan.detectors.goreleaser import GoReleaserDetector, published, release_config

from infrascan.detector import SourceFile
from infrascan.results import Record

DETECTOR = GoReleaserDetector()


def record(text: str, path: str = ".goreleaser.yml") -> Record:
    out = DETECTOR.extract(SourceFile(path, text))
    assert not out.diagnostics
    (found,) = out.records
    return found


def test_a_configuration_names_its_images_release_packages_and_tap() -> None:
    found = record(fixture_text("goreleaser", "release.goreleaser.yml"))
    data = found.data
    # repositories without their tags, each once, with the line it is first written on
    assert [name for name, _ in data["images"]] == [
        "acme/mailer", "ghcr.io/{{ .Env.GITHUB_ORG }}/{{ .ProjectName }}", "{{ .Env.DOCKER_ORG }}/mailer"]
    assert data["images"][0][1] == 16
    assert data["release_disabled"] is False and data["packages"] == ["deb", "rpm"]
    assert data["taps"] == ["acme/homebrew-tap"]
    phrase, line = published(found, {})
    said = "".join(p if isinstance(p, str) else f"`{p.text}`" for p in phrase)
    assert said == ("Docker image `acme/mailer`, images named by templates on GitHub Container Registry and others, "
                    "a release with its archives, deb, rpm packages and the Homebrew tap `acme/homebrew-tap`")
    assert line == 16


def test_a_disabled_release_and_no_images_publish_nothing() -> None:
    found = record("release:\n  disable: true\nbuilds:\n  - goos: [linux]\n")
    assert published(found, {}) == ([], 0)


@pytest.mark.parametrize(
    ("disable", "env", "said"),
    [
        # pocket-id: its build-next job sets SKIP_RELEASE, its release job does not
        ('{{ if index .Env "SKIP_RELEASE" }}true{{ end }}', {"SKIP_RELEASE": "true"}, ""),
        ('{{ if index .Env "SKIP_RELEASE" }}true{{ end }}', {}, "a draft release with its archives"),
        ("{{ if .Env.NIGHTLY }}true{{ end }}", {"NIGHTLY": "1"}, ""),
        ('{{ if not (isEnvSet "PUBLISH") }}true{{ end }}', {"PUBLISH": ""}, "a draft release with its archives"),
        # a template of another form is not evaluated, and the sentence says so
        ("{{ .Env.DISABLE_RELEASE }}", {}, "a draft release with its archives, unless its template disables it"),
    ],
)
def test_a_templated_release_switch_is_read_with_the_step_s_environment(disable: str, env: dict[str, str],
                                                                        said: str) -> None:
    found = record(f"release:\n  draft: true\n  disable: '{disable}'\n")
    phrase, _ = published(found, env)
    assert "".join(p for p in phrase if isinstance(p, str)) == said


@pytest.mark.parametrize(
    ("command", "wd", "expected"),
    [
        ("goreleaser release --clean", "", ".goreleaser.yml"),
        ("goreleaser", "", ".goreleaser.yml"),  # release is the default command
        ("goreleaser release --config .goreleaser-nightly.yml", "", ".goreleaser-nightly.yml"),
        ("goreleaser release -f=build/goreleaser.yaml", "", "build/goreleaser.yaml"),
        ("goreleaser --config ../.goreleaser-nightly.yml release", "cli", ".goreleaser-nightly.yml"),
        ("goreleaser release --clean", "cli", "cli/.goreleaser.yaml"),
        # what publishes nothing, or reads no configuration here
        ("goreleaser release --snapshot --clean", "", None),
        ("goreleaser release --skip=publish", "", None),
        ("goreleaser release --skip=validate,publish", "", None),
        ("goreleaser build --single-target", "", None),
        ("goreleaser check", "", None),
        ("goreleaser release --config missing.yml", "", None),
    ],
)
def test_the_configuration_a_command_releases_with(command: str, wd: str, expected: str | None) -> None:
    configs = {p: Record("goreleaser.config", p, 1, {}) for p in (
        ".goreleaser.yml", ".goreleaser-nightly.yml", "build/goreleaser.yaml", "cli/.goreleaser.yaml")}
    found = release_config(command, wd, configs)
    assert (found.path if found else None) == expected


def test_a_workflow_step_says_what_its_release_publishes(tmp_path) -> None:
    """listmonk's release job ran `goreleaser release`, and the document said only that; the
    configuration pushes images to two registries and attaches archives to a GitHub release."""
    workflow = (
        "on: {push: {tags: ['v*']}}\n"
        "jobs:\n"
        "  release:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: goreleaser/goreleaser-action@v6\n"
        "        with:\n"
        "          args: release --clean\n"
        "  nightly:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - run: goreleaser release --snapshot --clean\n"
    )
    scanned = scan_tree(tmp_path, {
        ".github/workflows/release.yml": workflow,
        ".goreleaser.yml": "dockers:\n  - image_templates: ['acme/mailer:{{ .Tag }}', 'ghcr.io/acme/mailer:latest']\n",
    })
    builds = {f.text: f for f in scanned.model.facts if f.field == "ci.build"}
    release = next(f for t, f in builds.items() if "release --clean" in t and "snapshot" not in t)
    assert release.text.startswith("Publishes Docker images acme/mailer, ghcr.io/acme/mailer and a release with "
                                   "its archives (.goreleaser.yml) with goreleaser release --clean in job release")
    assert (".goreleaser.yml", 2) in [(e.path, e.line) for e in release.evidence]
    snapshot = next(f for t, f in builds.items() if "snapshot" in t)
    assert "Publishes" not in snapshot.text  # a snapshot publishes nothing


def test_flags_written_at_run_time_may_skip_publishing(tmp_path) -> None:
    """pocketbase's job sets `flags: ""`, a step writes `flags=--snapshot` to $GITHUB_ENV for anything
    but a tag, and GoReleaser runs `release --clean ${{ env.flags }}`: the document said pull
    requests published a release. A variable a step writes to $GITHUB_ENV is known at run time only."""
    workflow = (
        "on: [push, pull_request]\n"
        "jobs:\n"
        "  goreleaser:\n"
        "    runs-on: ubuntu-latest\n"
        "    env:\n"
        "      flags: \"\"\n"
        "    steps:\n"
        "      - if: ${{ !startsWith(github.ref, 'refs/tags/v') }}\n"
        "        run: echo \"flags=--snapshot\" >> $GITHUB_ENV\n"
        "      - uses: goreleaser/goreleaser-action@v6\n"
        "        with:\n"
        "          args: release --clean ${{ env.flags }}\n"
    )
    scanned = scan_tree(tmp_path, {
        ".github/workflows/release.yaml": workflow,
        ".goreleaser.yaml": "release:\n  draft: true\n",
    })
    (release,) = [f for f in scanned.model.facts if f.field == "ci.build" and "goreleaser" in f.text]
    assert release.text.startswith("Publishes a draft release with its archives (.goreleaser.yaml), unless flags "
                                   "set at run time (${{ env.flags }}) skip publishing with goreleaser release --clean")


def test_the_release_switch_reads_the_workflow_s_env_too(tmp_path) -> None:
    # the switch's variable set for the whole workflow, not only in the job or the step
    workflow = ("on: {push: {tags: ['v*']}}\nenv:\n  SKIP_RELEASE: 'true'\njobs:\n  release:\n"
                "    runs-on: ubuntu-latest\n    steps:\n      - run: goreleaser release --clean\n")
    config = "release:\n  disable: '{{ if index .Env \"SKIP_RELEASE\" }}true{{ end }}'\nnfpms:\n  - formats: [deb]\n"
    scanned = scan_tree(tmp_path, {".github/workflows/release.yml": workflow, ".goreleaser.yml": config})
    [release] = [f for f in scanned.model.facts if f.field == "ci.build" and "goreleaser" in f.text]
    assert release.text.startswith("Publishes deb packages (.goreleaser.yml) with"), release.text
