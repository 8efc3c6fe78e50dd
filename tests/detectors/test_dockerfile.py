"""The Dockerfile detector: stages and base images, heredocs, users, healthchecks, start commands.

Fixtures under tests/fixtures/dockerfile/ name the public file each is modelled on.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import diagnostics_for, facts_for, fixture_text, scan_tree, texts
from infrascan.detectors.dockerfile import DockerfileDetector, blank_heredocs, resolve_args, secret_build_arg
from infrascan.detectors.scripts import guard_meets

from infrascan.commands import classify
from infrascan.detector import SourceFile
from infrascan.model import Confidence, FactScope

DETECTOR = DockerfileDetector()


def extract(text: str, path: str = "Dockerfile"):
    """Phase 1, with the image statement phase 2 makes of its record when no compose file builds it."""
    result = DETECTOR.extract(SourceFile(path, text))
    result.facts[:0] = [r.data["build_fact"] for r in result.records if "build_fact" in r.data]
    return result


def build_text(text: str, path: str = "Dockerfile") -> str:
    facts = [f for f in extract(text, path).facts if f.field == "ci.build"]
    assert len(facts) == 1
    return facts[0].text


# -- stages, base images, ARGs -------------------------------------------------------------------


def test_multistage_with_nested_args_resolves_the_runtime_and_drops_stage_aliases() -> None:
    result = extract(fixture_text("dockerfile", "multistage-args.Dockerfile"), "web/Dockerfile")
    build = next(f for f in result.facts if f.field == "ci.build")
    # ARG NODE_IMAGE=node:${NODE_MAJOR}-alpine, FROM ${NODE_IMAGE} AS alpine, FROM alpine AS runner
    assert build.text.startswith("Container image from web/Dockerfile: runtime Node.js 24 (node:24-alpine by default)")
    assert "build stages golang:1.26" in build.text
    assert "alpine AS" not in build.text and "builder" not in build.text  # aliases are not images
    assert "exposes 3000" in build.text and "runs as nextjs" in build.text
    assert build.tech == "nodejs" and build.confidence is Confidence.DECLARED
    # the runtime stage's FROM, then the FROM that names its image (`FROM alpine AS runner` builds on a
    # stage), then the build stage's FROM, EXPOSE and USER it quotes (redash's build stage was uncited)
    assert [e.line for e in build.evidence] == [19, 6, 9, 26, 27]


@pytest.mark.parametrize(
    ("dockerfile", "expected"),
    [
        ("FROM postgres:16.2-alpine3.19\n", "runtime PostgreSQL 16 (postgres:16.2-alpine3.19)"),
        ("FROM python:3.12-slim\n", "runtime Python 3.12 (python:3.12-slim)"),
        ("FROM node:latest\n", "runtime Node.js (version unpinned) (node:latest)"),
        ("ARG V\nFROM node:${V}\n", "runtime Node.js (version set by variable ${V}) (node:${V})"),
        ("FROM node@sha256:" + "a" * 64 + "\n", "runtime Node.js (pinned by digest)"),
        ("FROM debian:bookworm-slim\n", "runtime Debian 12 (debian:bookworm-slim)"),
        ("ARG GO=1.22\nFROM golang:${GO:-1.21}-alpine\n", "runtime Go 1.22 (golang:1.22-alpine by default)"),
        ("FROM golang:${GO:-1.21}-alpine\n", "runtime Go 1.21 (golang:1.21-alpine by default)"),
        ("FROM registry.example.com:5000/team/app:2.1\n", "base registry.example.com:5000/team/app:2.1"),
        ("FROM scratch\n", "from scratch"),
        ("from Ubuntu:jammy as base\nfrom BASE\n", "runtime Ubuntu 22.04 (Ubuntu:jammy)"),
    ],
)
def test_base_image_versions(dockerfile: str, expected: str) -> None:
    assert expected in build_text(dockerfile)


def test_an_image_that_builds_distribution_packages_names_no_runtime() -> None:
    """miniflux's packaging/debian/Dockerfile: a Go image with Debian's packaging tools is where the
    .deb is made, not a Go runtime a service runs on. The line that installs them is cited."""
    build = next(f for f in extract("FROM docker.io/golang:1-trixie AS build\n"
                                    "RUN apt-get update -q && \\\n"
                                    "    apt-get install -y -qq build-essential devscripts dh-make debhelper\n"
                                    "CMD [\"/src/packaging/debian/build.sh\"]\n", "packaging/debian/Dockerfile").facts
                 if f.field == "ci.build")
    assert build.text == ("Container image from packaging/debian/Dockerfile (builds distribution packages: installs "
                          "devscripts, dh-make, debhelper): base docker.io/golang:1-trixie; runs as root (no USER)")
    assert build.tech is None and build.attrs["builds_packages"]
    assert [e.line for e in build.evidence] == [1, 2]
    # navidrome's release/wix/msitools.dockerfile makes the Windows installer
    assert build_text("FROM alpine\nRUN apk update && apk add jq msitools\n", "release/wix/msitools.dockerfile") == (
        "Container image from release/wix/msitools.dockerfile (builds distribution packages: installs msitools): "
        "base alpine; runs as root (no USER)")
    # an image that serves a port installs a packaging tool for something else (the code review:
    # Oracle's Instant Client RPM through alien, or any tool) and keeps its runtime
    assert "runtime Python 3.12" in build_text("FROM python:3.12-slim\nRUN apt-get install -y rpm-build\n"
                                               "EXPOSE 8000\nCMD [\"gunicorn\", \"app:app\"]\n")
    assert "runtime Python 3.12" in build_text("FROM python:3.12-slim\nRUN apt-get install -y alien libaio1\n")
    # compiling a native extension needs build-essential and dpkg-dev: still a runtime image
    assert "runtime Python 3.12" in build_text("FROM python:3.12-slim\n"
                                               "RUN apt-get install -y build-essential dpkg-dev\n")


def test_args_defined_after_the_first_from_do_not_resolve_from_lines() -> None:
    text = "FROM alpine AS a\nARG TAG=3.19\nFROM alpine:${TAG}\n"
    assert "alpine:${TAG}" in build_text(text)
    assert resolve_args("${A}", {"A": "${B}", "B": "x"}) == "x"  # nested ARG
    assert resolve_args("${A}", {"A": "${A}"}) == "${A}"  # a self-reference stops


def test_a_placeholder_default_or_an_unread_form_stays_as_written() -> None:
    # gotify: `ARG GO_VERSION=PLEASE_PROVIDE_GO_VERSION` asks for a value; `${X/arm\/v7/arm-7}` is
    # a substitution not read here; `EXPOSE $PORT` takes the stage's own `ARG PORT=80`
    text = ("ARG GO_VERSION=PLEASE_PROVIDE_GO_VERSION\nARG P=${TARGETPLATFORM/\\//-}\n"
            "FROM gotify/build:${GO_VERSION}-${P} AS builder\nFROM debian:sid-slim\nARG PORT=80\n"
            "EXPOSE $PORT\n")
    said = build_text(text)
    assert "gotify/build:${GO_VERSION}-${P}" in said and "PLEASE" not in said
    assert "exposes 80" in said
    assert resolve_args("${V}", {"V": "CHANGE_ME"}) == "${V}"


def test_bom_is_stripped_so_the_first_instruction_is_kept() -> None:
    assert "runtime Node.js 20" in build_text("\ufeffFROM node:20\nCMD node app.js\n")


# -- heredocs ------------------------------------------------------------------------------------


def test_heredoc_bodies_never_become_instructions() -> None:
    result = extract(fixture_text("dockerfile", "heredoc.Dockerfile"), "packages/db/Dockerfile")
    build = next(f for f in result.facts if f.field == "ci.build")
    # FROM scratch / EXPOSE 9999 / USER root inside `RUN <<EOF` are shell lines, not a stage
    assert "scratch" not in build.text and "9999" not in build.text
    assert "runs as 1000:1000" in build.text
    assert "runtime Deno (pinned by digest)" in build.text
    stages = result.records[0].data["stages"]
    assert [s["alias"] for s in stages] == ["install", "runtime"]
    assert tuple(stages[-1]["entrypoint"]) == ("deno task migrate", 25)


def test_blank_heredocs_keeps_line_numbers_and_handles_dash_and_quotes() -> None:
    text = "RUN <<EOF\nFROM x\nEOF\nCOPY <<-'A' <<B /x\n\tline\n\tA\nb\nB\nFROM y\n"
    blanked = blank_heredocs(text)
    assert blanked.count("\n") == text.count("\n")
    assert blanked.splitlines()[-1] == "FROM y"
    assert "FROM x" not in blanked and "line" not in blanked
    # a shell bit shift is not a heredoc; a commented marker is not either
    assert blank_heredocs("RUN echo $((1<<2))\nFROM z\n") == "RUN echo $((1<<2))\nFROM z\n"
    assert blank_heredocs("# RUN <<EOF\nFROM z\n") == "# RUN <<EOF\nFROM z\n"


def test_unterminated_heredoc_does_not_crash() -> None:
    result = extract("FROM alpine\nRUN <<EOF\necho hi\n")
    assert any(f.field == "ci.build" for f in result.facts)


# -- USER, HEALTHCHECK, ENV, build args ------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_lines", "expected"),
    [
        ("", "runs as root (no USER)"),
        ("USER root\n", "runs as root (USER root)"),
        ("USER 0:0\n", "runs as root (USER 0:0)"),
        ("USER 10001\n", "runs as 10001"),
        ("USER app:app\n", "runs as app:app"),
    ],
)
def test_user(user_lines: str, expected: str) -> None:
    assert build_text(f"FROM python:3.12\n{user_lines}CMD python app.py\n").endswith(expected)


def test_a_user_named_by_a_variable_is_the_value_the_stages_set() -> None:
    # shlinkio/shlink Dockerfile: ENV in the base stage, USER in the final stage built on it
    dockerfile = ("FROM php:8.5-alpine3.22 AS base\nENV USER_ID='1001'\nFROM base AS builder\nRUN true\n"
                  "FROM base\nUSER ${USER_ID}\n")
    assert build_text(dockerfile).endswith("runs as 1001")
    assert build_text("FROM alpine:3.20\nUSER ${APP_UID}\n").endswith("runs as ${APP_UID}")  # unknown: as written
    # an ARG of the stage, and a child's ENV that comes after the parent's USER (code review)
    assert build_text("FROM alpine:3.20\nARG APP_UID=1001\nUSER ${APP_UID}\n").endswith("runs as 1001")
    assert build_text("FROM alpine:3.20 AS base\nENV APP_USER=app\nUSER ${APP_USER}\n"
                      "FROM base\nENV APP_USER=root\n").endswith("runs as app")
    # an ARG after the USER line, or a parent stage's, is not in force (second code review)
    assert build_text("FROM alpine:3.20\nUSER ${APP_UID}\nARG APP_UID=1001\n").endswith("runs as ${APP_UID}")
    assert build_text("FROM alpine:3.20 AS base\nARG APP_UID=1001\nFROM base\nUSER ${APP_UID}\n").endswith(
        "runs as ${APP_UID}")


def test_a_base_image_from_a_build_argument_decides_the_user() -> None:
    # Modelled on gitlab-runner's runner-helper images: `FROM $BASE_IMAGE`, whose USER is not here.
    text = build_text("ARG BASE_IMAGE\nFROM $BASE_IMAGE\nCOPY helper /usr/bin/\nCMD helper\n")
    assert "runs as root" not in text
    assert text.endswith("no USER here: the user is whatever base image $BASE_IMAGE sets")


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        # opentelemetry-demo's services run on distroless `:nonroot` tags ("runs as root" was false)
        ("gcr.io/distroless/nodejs22-debian12:nonroot",
         "runs as nonroot (no USER: base image gcr.io/distroless/nodejs22-debian12:nonroot sets it)"),
        ("gcr.io/distroless/static-debian12", "runs as root (no USER)"),
        ("cgr.dev/chainguard/python:latest",
         "runs as nonroot (no USER: base image cgr.dev/chainguard/python:latest sets it)"),
        ("grafana/k6:1.4.0", "runs as k6 (no USER: base image grafana/k6:1.4.0 sets it)"),
        ("mcr.microsoft.com/dotnet/aspnet:8.0", "runs as root (no USER)"),
        ("docker.io/library/alpine:3.20", "runs as root (no USER)"),
        # retail-store's load generator: Amazon Linux's own image, from ECR Public
        ("public.ecr.aws/amazonlinux/amazonlinux:2023-minimal", "runs as root (no USER)"),
        ("gcr.io/cloud-builders/gcloud-slim", "runs as root (no USER)"),  # terraform-example-foundation's bootstrap
        # the code review's cases: official images that set a user, and .NET's chiseled images
        ("memcached:1.6", "runs as memcache (no USER: base image memcached:1.6 sets it)"),
        ("haproxy:2.9", "no USER here: the user is whatever base image haproxy:2.9 sets"),
        ("mcr.microsoft.com/dotnet/aspnet:8.0-noble-chiseled",
         "runs as app (no USER: base image mcr.microsoft.com/dotnet/aspnet:8.0-noble-chiseled sets it)"),
        # a company's own base image: its Dockerfile, not this one, decides
        ("registry.example.com/platform/base:2", "no USER here: the user is whatever base image "
                                                 "registry.example.com/platform/base:2 sets"),
    ],
)
def test_without_user_the_base_image_decides(base: str, expected: str) -> None:
    assert build_text(f"FROM golang:1.23 AS build\nRUN go build -o /app .\nFROM {base}\nCOPY --from=build /app /app\n"
                      "ENTRYPOINT [\"/app\"]\n").endswith(expected)


def test_user_and_healthcheck_are_inherited_from_the_parent_stage() -> None:
    text = "FROM node:20 AS base\nUSER node\nHEALTHCHECK CMD curl -f http://localhost/ || exit 1\nFROM base\n"
    result = extract(text)
    assert "runs as node" in next(f for f in result.facts if f.field == "ci.build").text
    health = facts_for_field(result, "deploy.rollback.verify")
    assert health == ["Container HEALTHCHECK in Dockerfile: curl -f http://localhost/ || exit 1"]


def test_the_healthchecks_of_every_target_are_named_by_stage() -> None:
    # karakeep's docker/Dockerfile: `aio` and `web` check /api/health, `workers` and the last stage
    # `mcp` have no check; kimai's `FROM ${BASE}-base` chooses between two bases, which are no targets
    text = ("ARG BASE=fpm\nFROM node:24 AS builder\nRUN make\n"
            "FROM builder AS aio\nHEALTHCHECK CMD wget -q --spider http://127.0.0.1:3000/api/health\n"
            "FROM builder AS web\nHEALTHCHECK CMD wget -q --spider http://127.0.0.1:3000/api/health\n"
            "FROM builder AS workers\nCMD node worker.js\n"
            "FROM php:8.3-fpm AS fpm-base\nHEALTHCHECK CMD cgi-fcgi -bind -connect 127.0.0.1:9000\n"
            "FROM php:8.3-apache AS apache-base\nHEALTHCHECK CMD curl -f http://127.0.0.1:8001\n"
            "FROM ${BASE}-base AS php\nFROM node:24-slim AS mcp\nCMD node mcp.js\n")
    health = [f for f in extract(text).facts if f.field == "deploy.rollback.verify"]
    assert [(f.text, [e.line for e in f.evidence]) for f in health] == [
        ("Container HEALTHCHECK in Dockerfile (stages aio, web): wget -q --spider http://127.0.0.1:3000/api/health",
         [5, 7]),
        # the target built on the base the build argument chooses by default
        ("Container HEALTHCHECK in Dockerfile (stage php): cgi-fcgi -bind -connect 127.0.0.1:9000", [11]),
    ]
    # a single image says no stage
    assert facts_for_field(extract("FROM node:20\nHEALTHCHECK CMD curl -f http://localhost/\n"),
                           "deploy.rollback.verify") == ["Container HEALTHCHECK in Dockerfile: curl -f http://localhost/"]


def test_a_from_that_is_an_image_argument_alone_chooses_no_stage() -> None:
    # louislam/uptime-kuma docker/dockerfile: `FROM $BASE_IMAGE AS release` (an image by default) checks
    # health, `rootless` builds on it; the last stage uploads an artifact. The argument's pattern matched
    # every stage as a base to choose from, so no target was left and no check was found.
    text = ("ARG BASE_IMAGE=louislam/uptime-kuma:base2\nFROM louislam/uptime-kuma:base2 AS build\nRUN npm ci\n"
            "FROM $BASE_IMAGE AS release\nHEALTHCHECK --interval=60s CMD extra/healthcheck\n"
            "CMD [\"node\", \"server/server.js\"]\nFROM release AS rootless\nUSER node\n"
            "FROM louislam/uptime-kuma:base2 AS upload-artifact\nRUN tar -zcvf dist.tar.gz dist\n")
    assert facts_for_field(extract(text), "deploy.rollback.verify") == [
        "Container HEALTHCHECK in Dockerfile (stage rootless): extra/healthcheck"]
    # the image statement is the last stage's, which a build makes without `--target`: it says so
    assert build_text(text).startswith("Container image from Dockerfile (last stage upload-artifact; other targets "
                                       "rootless): base louislam/uptime-kuma:base2")
    # a stage another mounts (`RUN --mount=...,from=deps`) is used, as one copied from is (the code review)
    assert "other targets" not in build_text("FROM node:24 AS deps\nRUN npm ci\nCMD [\"node\"]\n"
                                             "FROM node:24-slim AS app\n"
                                             "RUN --mount=type=bind,from=deps,source=/n,target=/n npm run build\n"
                                             "CMD [\"node\", \"server.js\"]\n")
    # `--target` takes a stage's name: an unnamed stage is no other target (the code review)
    assert "other targets" not in build_text("FROM node:20\nCMD [\"node\", \"a.js\"]\nFROM nginx:1.27 AS web\n"
                                             "CMD [\"nginx\"]\n")
    assert build_text("FROM node:24 AS build\nRUN make\nFROM node:24-slim AS app\nCOPY --from=build /a /a\n") == \
        "Container image from Dockerfile: runtime Node.js 24 (node:24-slim); build stages node:24; runs as root " \
        "(no USER)"


def test_healthcheck_none_switches_the_check_off() -> None:
    text = "FROM node:20 AS base\nHEALTHCHECK CMD curl -f http://localhost/\nFROM base\nHEALTHCHECK NONE\n"
    assert facts_for_field(extract(text), "deploy.rollback.verify") == []


def test_an_env_set_from_a_build_argument_holds_unless_a_build_sets_it() -> None:
    # chatwoot's docker/Dockerfile: `ARG RAILS_ENV=production` then `ENV RAILS_ENV ${RAILS_ENV}`, which
    # its development compose builds with `RAILS_ENV: development`; maybe's one ENV line sets
    # RAILS_ENV plainly beside a value from another argument
    text = ("FROM ruby:3.3\nARG RAILS_ENV=production\nARG BUILD_COMMIT_SHA\nENV RAILS_ENV ${RAILS_ENV}\n"
            "ENV NODE_ENV=production BUILD_COMMIT_SHA=${BUILD_COMMIT_SHA}\n")
    special = {f.text: sorted(e.line for e in f.evidence) for f in extract(text).facts if f.field == "env.special"}
    assert special == {
        "RAILS_ENV=production in the Dockerfile image's ENV, unless a build sets the build argument RAILS_ENV": [2, 4],
        "NODE_ENV=production in the Dockerfile image's ENV, so in every environment that runs it": [5],
    }


def test_env_of_the_runtime_image_gives_log_level_and_production_selector() -> None:
    result = extract(fixture_text("dockerfile", "rails.Dockerfile"))
    special = [f for f in result.facts if f.field == "env.special"]
    assert [(f.env, f.text) for f in special] == [
        ("production", "RAILS_ENV=production in the Dockerfile image's ENV, so in every environment that runs it")]
    result = extract(fixture_text("dockerfile", "multistage-args.Dockerfile"))
    assert facts_for_field(result, "log.levels") == ["LOG_LEVEL=info in the Dockerfile image's ENV"]
    assert facts_for_field(result, "mon.application") == ["Datadog: DD_SERVICE in the Dockerfile image's ENV"]


def test_build_args_that_look_like_secrets_are_diagnosed() -> None:
    result = extract(fixture_text("dockerfile", "multistage-args.Dockerfile"), "web/Dockerfile")
    flagged = sorted((d.line, d.message.split()[2]) for d in result.diagnostics)
    assert flagged == [(5, "NPM_TOKEN"), (15, "SENTRY_AUTH_TOKEN")]
    # Neither is in the final stage (`runner`): not in the image's history, but in the build cache.
    assert all("not in the final stage" in d.message and "image history" not in d.message for d in result.diagnostics)
    final = extract("FROM alpine AS build\nRUN make\nFROM alpine\nARG GITHUB_TOKEN\nRUN fetch\n")
    assert [(d.line, d.message) for d in final.diagnostics] == [
        (4, "build argument GITHUB_TOKEN looks like a secret; build arguments are kept in the image history "
            "(use a BuildKit secret mount)")]
    assert not secret_build_arg("NEXT_PUBLIC_PREVIEW_PR_AUTHOR")  # "AUTH" inside AUTHOR, and public
    assert not secret_build_arg("KEYCLOAK_VERSION")
    assert secret_build_arg("GITHUB_TOKEN") and secret_build_arg("DB_PASSWORD")
    # a credential tool's version, a token file's path: not the secret (cloudposse's runner image)
    assert not secret_build_arg("ECR_CREDENTIAL_HELPER_VERSION") and not secret_build_arg("NPM_TOKEN_FILE")
    assert secret_build_arg("SECRET_KEY_BASE") and secret_build_arg("AWS_SECRET_ACCESS_KEY")
    assert secret_build_arg("GITHUB_TOKEN_URL")  # https://x-access-token:<token>@github.com


# -- broken input ----------------------------------------------------------------------------------


def test_binary_content_in_a_file_named_dockerfile_is_a_diagnostic() -> None:
    result = extract("\x7fELF\x02\x01\x01\x00\x00\x00garbage\x00FROM")
    assert result.facts == [] and "binary" in result.diagnostics[0].message


def test_a_file_without_from_is_a_diagnostic(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, {"Dockerfile": "RUN echo hi\n", "docker/Dockerfile.dev": b"\xff\xfe\x00\x01"})
    assert "no FROM instruction; not a Dockerfile" in diagnostics_for(scanned.model, "Dockerfile")
    assert diagnostics_for(scanned.model, "docker/Dockerfile.dev")  # binary: the source guard says so
    assert facts_for(scanned.model, "ci.build") == []


def test_tooling_dockerfiles_are_not_the_application() -> None:
    for path in (
        ".devcontainer/Dockerfile",
        "tools/.devcontainer/Dockerfile",
        ".gitpod.Dockerfile",
        ".github/actions/lint/Dockerfile",
        # DDEV's local environment images, modelled on passbolt_api .ddev/web-build/Dockerfile.*
        ".ddev/web-build/Dockerfile.claude-code",
        # Cursor's cloud agent environment, modelled on langfuse .cursor/Dockerfile (built per .cursor/environment.json)
        ".cursor/Dockerfile",
    ):
        assert extract("FROM gitpod/workspace-full\n", path).facts == [], path


@pytest.mark.parametrize(
    ("path", "text"),
    [
        # vaultwarden's docker/Dockerfile.j2, rendered into Dockerfile.debian and Dockerfile.alpine
        ("docker/Dockerfile.j2", "FROM docker.io/vaultwarden/web-vault@{{ vault_image_digest }} AS vault\n"
                                 "FROM {{ runtime_stage_base_image }}\nEXPOSE 80\nHEALTHCHECK CMD /healthcheck.sh\n"),
        ("build/Dockerfile.tmpl", "FROM golang:1.22\n"),
        ("images/app.Dockerfile.erb", "FROM <%= base %>\n"),
        # a template by its content alone
        ("Dockerfile", "{% set base = 'alpine:3.20' %}\nFROM {{ base }}\nRUN apk add curl\n"),
    ],
)
def test_a_dockerfile_template_is_not_an_image(path: str, text: str) -> None:
    result = extract(text, path)
    assert result.facts == [] and result.records == []
    assert result.diagnostics[0].message.startswith("a Dockerfile template")
    assert result.diagnostics[0].severity.value == "info"


def test_an_image_only_a_development_compose_file_builds_says_so(tmp_path: Path) -> None:
    # shlinkio/shlink: data/infra/php.Dockerfile is built by the development compose file's shlink_php;
    # the root Dockerfile, which compose builds too, is as likely the one a pipeline ships
    scanned = scan_tree(tmp_path, {
        "Dockerfile": "FROM php:8.5-alpine3.22\nUSER 1001\n",
        "data/infra/php.Dockerfile": "FROM php:8.5-fpm-alpine3.22\n",
        "docker-compose.yml": (
            "services:\n  shlink:\n    build: .\n  shlink_php:\n    build:\n      context: .\n"
            "      dockerfile: ./data/infra/php.Dockerfile\n    user: 1000:1000\n"),
    })
    built = {f.evidence[0].path: f for f in facts_for(scanned.model, "ci.build")}
    assert built["data/infra/php.Dockerfile"].text.startswith(
        "Container image from data/infra/php.Dockerfile (built by the development compose file docker-compose.yml, "
        "service shlink_php, which runs it as 1000:1000): runtime PHP 8.5")
    assert ("docker-compose.yml", 4) in [(e.path, e.line) for e in built["data/infra/php.Dockerfile"].evidence]
    assert "compose" not in built["Dockerfile"].text


def test_an_image_in_a_development_folder_is_development_only_if_its_folder_or_a_compose_file_says_so(
        tmp_path: Path) -> None:
    # requarks/wiki: dev/build/Dockerfile is the release image its workflow pushes; dev/containers/Dockerfile
    # is built by the compose file beside it, which is development's (`dev`, as its folder names it).
    # BookStack: the root compose file builds dev/docker/Dockerfile.
    scanned = scan_tree(tmp_path, {
        "dev/build/Dockerfile": "FROM node:24-alpine\nUSER node\n",
        "dev/containers/Dockerfile": "FROM node:24\n",
        "dev/containers/docker-compose.yml": (
            "services:\n  wiki:\n    build:\n      context: ../..\n      dockerfile: dev/containers/Dockerfile\n"),
        "dev/app.Dockerfile": "FROM golang:1.26\n",  # listmonk: kept in dev/ itself
    })
    built = {f.evidence[0].path: f.text for f in facts_for(scanned.model, "ci.build")}
    assert built["dev/build/Dockerfile"] == "Container image from dev/build/Dockerfile: runtime Node.js 24 " \
                                            "(node:24-alpine); runs as node"
    assert built["dev/containers/Dockerfile"].startswith(
        "Container image from dev/containers/Dockerfile (built by the development compose file "
        "dev/containers/docker-compose.yml, service wiki): runtime Node.js 24")
    assert built["dev/app.Dockerfile"].startswith(
        "Container image from dev/app.Dockerfile (a development image, by its name or folder)")


def test_builders_in_several_development_compose_files_name_each_file(tmp_path: Path) -> None:
    # hoppscotch: prod.Dockerfile's seven builders are in two compose files; one was named for all
    build = "    build:\n      context: .\n      dockerfile: prod.Dockerfile\n"
    scanned = scan_tree(tmp_path, {
        "prod.Dockerfile": "FROM alpine:3.24\n",
        "docker-compose.deploy.yml": "services:\n  aio:\n" + build,
        "docker-compose.yml": "services:\n  backend:\n" + build + "  frontend:\n" + build,
    })
    [built] = [f for f in facts_for(scanned.model, "ci.build") if f.evidence[0].path == "prod.Dockerfile"]
    assert "(built by the development compose files docker-compose.deploy.yml, docker-compose.yml: service aio " \
           "and 2 more)" in built.text


def test_a_copy_source_named_by_a_stage_argument_is_followed(tmp_path: Path) -> None:
    # wger-project/wger extras/docker/production/Dockerfile: `ARG DOCKER_DIR=./extras/docker/production`
    # in the final stage, `COPY ${DOCKER_DIR}/entrypoint.sh`, and the entrypoint migrates
    scanned = scan_tree(tmp_path, {
        "extras/docker/production/Dockerfile": (
            "FROM python:3.12 AS builder\nRUN true\nFROM python:3.12 AS final\n"
            "ARG DOCKER_DIR=./extras/docker/production\nWORKDIR /home/wger/src\n"
            "COPY ${DOCKER_DIR}/entrypoint.sh /home/wger/entrypoint.sh\nCMD [\"/home/wger/entrypoint.sh\"]\n"),
        "extras/docker/production/entrypoint.sh": "#!/bin/bash\npython3 manage.py migrate\nexec gunicorn wger.wsgi\n",
    })
    [strategy] = facts_for(scanned.model, "deploy.migration.strategy")
    assert "entrypoint.sh" in strategy.text and "manage.py migrate" in strategy.text, strategy.text


def test_a_balena_dockerfile_template_is_the_projects_image() -> None:
    # balena's Dockerfile.template is built as it is, with %%BALENA_MACHINE_NAME%% filled in
    text = build_text("FROM balenalib/%%BALENA_MACHINE_NAME%%-node:18-run\nEXPOSE 80\n", "Dockerfile.template")
    assert text.startswith("Container image from Dockerfile.template: base balenalib/%%BALENA_MACHINE_NAME%%")


def test_braces_outside_from_lines_are_an_ordinary_dockerfile() -> None:
    # Go templates in a RUN's --format, as podinfo-style Dockerfiles write them
    assert "runtime Alpine" in build_text("FROM alpine:3.20\nRUN docker inspect --format '{{.Id}}' x\n")


# -- migrations on start (phase 2) ------------------------------------------------------------------


def migration_texts(scanned) -> list[str]:
    return texts(facts_for(scanned.model, "deploy.migration.strategy"))


def test_rails_entrypoint_runs_db_prepare(tmp_path: Path) -> None:
    scanned = scan_tree(
        tmp_path,
        {
            "Dockerfile": fixture_text("dockerfile", "rails.Dockerfile"),
            "bin/docker-entrypoint": fixture_text("dockerfile", "docker-entrypoint"),
        },
    )
    # only when the container runs the server: a worker started from the same image does not migrate
    # (maybe-finance's sidekiq service), which "in every replica" alone said it did
    assert migration_texts(scanned) == [
        "On container start: Dockerfile ENTRYPOINT runs bin/docker-entrypoint, which runs ./bin/rails db:prepare "
        'if [ "${@: -2:1}" == "./bin/rails" ] && [ "${@: -1:1}" == "server" ], in every replica as it starts'
    ]
    fact = facts_for(scanned.model, "deploy.migration.strategy")[0]
    assert [(e.path, e.line) for e in fact.evidence] == [("Dockerfile", 44), ("bin/docker-entrypoint", 13)]
    assert fact.tech == "rails-migrations" and fact.confidence is Confidence.DECLARED


def test_an_entrypoint_condition_the_image_s_cmd_does_not_meet_is_a_lead(tmp_path: Path) -> None:
    # bakerydemo: the entrypoint migrates only `if [ "$1" = '/venv/bin/uwsgi' ]`, and the CMD starts `uwsgi`
    scanned = scan_tree(tmp_path, {
        "Dockerfile": "FROM python:3.12-slim\nCOPY docker-entrypoint.sh /code/\n"
                      'ENTRYPOINT ["/code/docker-entrypoint.sh"]\nCMD ["uwsgi", "/code/etc/uwsgi.ini"]\n',
        "docker-entrypoint.sh": "#!/bin/sh\nset -e\nif [ \"$1\" = '/venv/bin/uwsgi' ]; then\n"
                                "    /venv/bin/python manage.py migrate --noinput\nfi\nexec \"$@\"\n",
    })
    [fact] = facts_for(scanned.model, "deploy.migration.strategy")
    assert fact.confidence is Confidence.HINT
    assert fact.text.endswith("which the image's CMD uwsgi /code/etc/uwsgi.ini does not meet: only a container "
                              "started with another command migrates")
    assert ("Dockerfile", 4) in [(e.path, e.line) for e in fact.evidence]


@pytest.mark.parametrize(("guard", "args", "meets"), [
    ("[ \"$1\" = '/venv/bin/uwsgi' ]", ["uwsgi", "/code/etc/uwsgi.ini"], False),
    ("[ \"$1\" = '/venv/bin/uwsgi' ]", ["/venv/bin/uwsgi"], True),
    ('[ "${@: -2:1}" == "./bin/rails" ] && [ "${@: -1:1}" == "server" ]', ["./bin/thrust", "./bin/rails", "server"],
     True),
    ('[ "${1}" == "./bin/rails" ] && [ "${2}" == "server" ]', ["./bin/thrust", "./bin/rails", "server"], False),
    ("[[ $1 != worker ]]", ["web"], True),
    ('! ([ "$1" = x ])', ["x"], False),
    ("[ -f /app/migrate.lock ]", ["x"], None),  # not about the arguments: cannot be known
    ('[ "$0" = x ]', ["x"], None),
])
def test_a_condition_on_the_script_s_arguments_is_evaluated(guard: str, args: list[str], meets: bool | None) -> None:
    assert guard_meets(guard, args) is meets


def test_entrypoint_script_found_through_copy_and_nested_scripts(tmp_path: Path) -> None:
    scanned = scan_tree(
        tmp_path,
        {
            "web/Dockerfile": fixture_text("dockerfile", "multistage-args.Dockerfile"),
            "web/entrypoint.sh": fixture_text("dockerfile", "web-entrypoint.sh"),
            "worker/entrypoint.sh": '#!/bin/sh\nexec "$@"\n',
            "packages/shared/clickhouse/scripts/up.sh": fixture_text("dockerfile", "clickhouse-up.sh"),
        },
    )
    found = migration_texts(scanned)
    assert len(found) == 2
    assert any("runs web/entrypoint.sh, which runs prisma migrate deploy" in t for t in found)
    clickhouse = next(f for f in facts_for(scanned.model, "deploy.migration.strategy") if f.tech == "golang-migrate")
    assert (
        "web/entrypoint.sh, which runs packages/shared/clickhouse/scripts/up.sh, which runs migrate" in clickhouse.text
    )
    # the if/else branches of up.sh are one step with both lines as evidence, and both commands said
    assert "unclustered" in clickhouse.text and " or migrate " in clickhouse.text
    assert "(by a condition in the script)" in clickhouse.text
    assert {(e.path, e.line) for e in clickhouse.evidence} >= {
        ("packages/shared/clickhouse/scripts/up.sh", 4),
        ("packages/shared/clickhouse/scripts/up.sh", 6),
    }


def test_an_entrypoint_run_by_name_from_the_path_is_the_script_a_copy_put_there(tmp_path: Path) -> None:
    # solidtime: Laravel Sail's `start-container`, copied onto the PATH and started by its bare name,
    # migrates when AUTO_DB_MIGRATE is true; neither the name nor the PATH lookup was followed
    dockerfile = (
        'ARG DOCKER_FILES_BASE_PATH="docker/prod/"\nFROM php:8.3-cli AS base\nARG DOCKER_FILES_BASE_PATH\n'
        "COPY ${DOCKER_FILES_BASE_PATH}deployment/start-container /usr/local/bin/start-container\n"
        'ENTRYPOINT ["start-container"]\n'
    )
    script = (
        "#!/usr/bin/env sh\nset -e\nauto_db_migrate=${AUTO_DB_MIGRATE:-false}\n"
        'if [ "$auto_db_migrate" = "true" ]; then\n    php artisan migrate --isolated --force\nfi\n'
        "exec supervisord\n"
    )
    scanned = scan_tree(tmp_path, {
        "docker/prod/Dockerfile": dockerfile,
        "docker/prod/deployment/start-container": script,
        # a `php` on the PATH is the interpreter, never a repository file of that name
        "tools/php": "#!/bin/sh\nphp artisan migrate\n",
    })
    [found] = migration_texts(scanned)
    assert found.startswith("On container start: docker/prod/Dockerfile ENTRYPOINT runs "
                            "docker/prod/deployment/start-container, which runs php artisan migrate --isolated --force")
    # built from its own folder, the COPY's source is beside the Dockerfile
    nested = tmp_path / "nested"
    nested.mkdir()
    scanned = scan_tree(nested, {
        "docker/Dockerfile": 'FROM php:8.3-cli\nCOPY start-container /usr/local/bin/start-container\n'
                             'ENTRYPOINT ["start-container"]\n',
        "docker/start-container": script,
    })
    [found] = migration_texts(scanned)
    assert "runs docker/start-container, which runs php artisan migrate" in found, found


def test_worker_entrypoint_is_not_confused_with_another_entrypoint_of_the_same_name(tmp_path: Path) -> None:
    worker = (
        "FROM node:24-alpine\nCOPY ./worker/entrypoint.sh ./worker/entrypoint.sh\n"
        'ENTRYPOINT ["dumb-init", "--", "./worker/entrypoint.sh"]\n'
    )
    scanned = scan_tree(
        tmp_path,
        {
            "worker/Dockerfile": worker,
            "worker/entrypoint.sh": '#!/bin/sh\nexec "$@"\n',
            "web/entrypoint.sh": fixture_text("dockerfile", "web-entrypoint.sh"),
        },
    )
    assert migration_texts(scanned) == []  # langfuse's worker does not migrate; its web image does


def test_django_entrypoint_with_migrate_and_direct_shell_cmd(tmp_path: Path) -> None:
    scanned = scan_tree(
        tmp_path,
        {
            "Dockerfile": "FROM python:3.12-slim\nWORKDIR /app\nCOPY docker/entrypoint.sh /usr/local/bin/\n"
            'ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]\nCMD ["gunicorn", "app.wsgi"]\n',
            "docker/entrypoint.sh": '#!/bin/sh\nset -e\npython manage.py migrate --noinput\nexec "$@"\n',
            "api/Dockerfile": 'FROM python:3.12\nCMD ["sh", "-c", "alembic upgrade head && uvicorn app:app"]\n',
        },
    )
    found = migration_texts(scanned)
    assert (
        "On container start: Dockerfile ENTRYPOINT runs docker/entrypoint.sh, which runs python manage.py "
        "migrate --noinput, in every replica as it starts" in found
    )
    assert any(t.startswith("On container start: api/Dockerfile CMD runs alembic upgrade head") for t in found)


def test_uwsgi_start_hooks_run_at_start(tmp_path: Path) -> None:
    # healthchecks: CMD uwsgi with an ini file whose `hook-pre-app = exec:./manage.py migrate` migrates
    files = {
        "docker/Dockerfile": ('FROM python:3.12-slim\nWORKDIR /opt/app\nCOPY . /opt/app/\n'
                              'CMD [ "uwsgi", "/opt/app/docker/uwsgi.ini"]\n'),
        "docker/uwsgi.ini": ("[uwsgi]\nmodule = app.wsgi\nhook-asap = mount:proc none /proc\n"
                             "hook-pre-app = exec:./manage.py migrate\nattach-daemon = ./manage.py sendalerts\n"),
    }
    assert migration_texts(scan_tree(tmp_path, files)) == [
        "On container start: docker/Dockerfile CMD runs docker/uwsgi.ini, which runs ./manage.py migrate, "
        "in every replica as it starts"
    ]


def test_a_development_image_says_so(tmp_path: Path) -> None:
    # listmonk: dev/app.Dockerfile, built by its development compose file, read as a CI build step
    scanned = scan_tree(tmp_path, {"dev/app.Dockerfile": "FROM node:16\nCMD [\"yarn\", \"dev\"]\n",
                                   "Dockerfile": "FROM alpine:3.20\nCMD [\"./app\"]\n"})
    built = {f.evidence[0].path: f.text for f in facts_for(scanned.model, "ci.build")}
    assert built["dev/app.Dockerfile"].startswith("Container image from dev/app.Dockerfile (a development image")
    assert "development" not in built["Dockerfile"]


def test_s6_overlay_services_run_at_start(tmp_path: Path) -> None:
    # paperless-ngx: ENTRYPOINT ["/init"] starts s6-overlay, whose init-migrations service (copied in
    # with the image's root file system) migrates; the migration strategy was a gap
    files = {
        "Dockerfile": 'FROM python:3.12-slim\nCOPY ./docker/rootfs /\nENTRYPOINT ["/init"]\n',
        "docker/rootfs/etc/s6-overlay/s6-rc.d/init-migrations/run": (
            "#!/command/with-contenv /usr/bin/bash\ncd /app\nexec python3 manage.py migrate --no-input\n"),
        "docker/rootfs/etc/s6-overlay/s6-rc.d/svc-webserver/run": (
            "#!/command/with-contenv /usr/bin/bash\nexec granian app\n"),
        # another image's service tree, which this image does not copy
        "other/rootfs/etc/cont-init.d/10-migrate": "#!/bin/sh\nalembic upgrade head\n",
    }
    found = migration_texts(scan_tree(tmp_path, files))
    assert found == [
        "On container start: Dockerfile ENTRYPOINT runs docker/rootfs/etc/s6-overlay/s6-rc.d/init-migrations/run, "
        "which runs python3 manage.py migrate --no-input, in every replica as it starts"
    ]


def test_cmd_through_package_json_scripts_to_a_node_script(tmp_path: Path) -> None:
    """umami-software/umami: CMD pnpm start-docker -> npm-run-all check-db ... -> scripts/check-db.js."""
    package = (
        '{"scripts": {"start-docker": "npm-run-all check-db update-tracker start-server",'
        ' "check-db": "node scripts/check-db.js", "start-server": "node server.js",'
        ' "update-tracker": "node scripts/update-tracker.js"}}'
    )
    check_db = (
        "import { execSync } from 'node:child_process';\nasync function apply() {\n"
        "  console.log(execSync('prisma migrate deploy').toString());\n}\n"
    )
    scanned = scan_tree(
        tmp_path,
        {
            "Dockerfile": 'FROM node:22-alpine\nCOPY scripts ./scripts\nCMD ["pnpm", "start-docker"]\n',
            "package.json": package,
            "scripts/check-db.js": check_db,
            "scripts/update-tracker.js": "console.log('no commands here')\n",
        },
    )
    assert migration_texts(scanned) == [
        "On container start: Dockerfile CMD runs package.json script start-docker, which runs package.json script "
        "check-db, which runs scripts/check-db.js, which runs prisma migrate deploy, in every replica as it starts"
    ]


def test_migration_only_image_through_a_task_named_migrate(tmp_path: Path) -> None:
    scanned = scan_tree(
        tmp_path,
        {
            "packages/db/Dockerfile": fixture_text("dockerfile", "heredoc.Dockerfile"),
            "packages/db/package.json": fixture_text("dockerfile", "db-package.json"),
        },
    )
    [fact] = facts_for(scanned.model, "deploy.migration.strategy")
    assert fact.text == (
        "Migration image: packages/db/Dockerfile ENTRYPOINT runs packages/db/package.json script migrate, which runs "
        "deno run -A --env-file src/migrate.mts (only its name says it migrates)"
    )
    assert fact.confidence is Confidence.INFERRED


def test_release_command_in_entrypoint_script(tmp_path: Path) -> None:
    scanned = scan_tree(
        tmp_path,
        {
            "docker/production/Dockerfile": fixture_text("dockerfile", "mobilizon.Dockerfile"),
            "docker/production/docker-entrypoint.sh": fixture_text("dockerfile", "mobilizon-entrypoint.sh"),
        },
    )
    [fact] = facts_for(scanned.model, "deploy.migration.strategy")
    assert "runs docker/production/docker-entrypoint.sh, which runs /bin/mobilizon_ctl migrate" in fact.text
    build = facts_for(scanned.model, "ci.build")[0]
    assert (
        "runtime Alpine Linux (version unpinned) (alpine); build stages node:20-alpine, elixir:1.16-alpine"
        in build.text
    )
    assert build.text.endswith("runs as nobody")


def test_dockerfiles_under_test_directories_are_examples(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, {"docker/tests/Dockerfile": "FROM elixir:latest\n"})
    [fact] = facts_for(scanned.model, "ci.build")
    assert fact.scope is FactScope.EXAMPLE


# -- command rules added by this detector (src/infrascan/data/commands/70-dockerfile.yaml) -------------


@pytest.mark.parametrize(
    ("command", "rule", "detail"),
    [
        ("deno task migrate", "deno-task", {"script": "migrate"}),  # openstatus packages/db/Dockerfile
        ("deno task --cwd packages/db db:push", "deno-task", {"script": "db:push"}),
        ("/bin/mobilizon_ctl migrate", "release-ctl-migrate", {}),  # mobilizon docker-entrypoint.sh
        ("./bin/pleroma_ctl migrate", "release-ctl-migrate", {}),
    ],
)
def test_command_rules(command: str, rule: str, detail: dict[str, str]) -> None:
    [found] = classify(command)
    assert (found.rule, dict(found.detail)) == (rule, detail)


@pytest.mark.parametrize("command", ["deno run -A src/migrate.mts", "systemctl migrate", "mobilizon_ctl status"])
def test_command_rules_negatives(command: str) -> None:
    assert not [c for c in classify(command) if c.rule in ("deno-task", "release-ctl-migrate")]


def facts_for_field(result, field: str) -> list[str]:
    return [f.text for f in result.facts if f.field == field]


def test_an_image_named_by_build_arguments_is_the_default_one() -> None:
    # Modelled on loki-build-image: `FROM $BUILD_IMAGE` with `golang:$GO_VERSION`, GO_VERSION=latest
    # by default; the Makefile passes a pinned version, so "latest" is only the default.
    text = build_text("ARG GO_VERSION=latest\nARG BUILD_IMAGE=golang:$GO_VERSION\nFROM $BUILD_IMAGE\nCMD go\n")
    assert "runtime Go (version unpinned) (golang:latest by default)" in text
    assert "by default" not in build_text("FROM golang:1.22\nCMD go\n")


def test_the_build_fact_cites_every_expose_and_the_user_it_quotes() -> None:
    # loki's Dockerfile.debug: `EXPOSE 3100` and, further down, `EXPOSE 40000`; both are quoted.
    result = extract("FROM python:3.12\nUSER app\nEXPOSE 3100\nRUN true\nEXPOSE 40000\nCMD python app.py\n")
    build = next(f for f in result.facts if f.field == "ci.build")
    assert "exposes 3100 40000" in build.text and "runs as app" in build.text
    assert [e.line for e in build.evidence] == [1, 2, 3, 5]


def test_exposed_ports_are_read_through_env_values() -> None:
    # mealie: `ENV APP_PORT=9000` then `EXPOSE ${APP_PORT}` twice read "exposes ${APP_PORT} ${APP_PORT}"
    result = extract("FROM python:3.12-slim\nENV APP_PORT=9000\nEXPOSE ${APP_PORT}\nEXPOSE $APP_PORT\n"
                     "EXPOSE ${METRICS_PORT}\nCMD python app.py\n")
    build = next(f for f in result.facts if f.field == "ci.build")
    assert "exposes 9000 ${METRICS_PORT};" in build.text


@pytest.mark.parametrize(("dockerfile", "expected"), [
    # mealie: gosu installed, and its entry.sh runs `gosu "$PUID"`: "runs as root" misled
    ("FROM python:3.10-slim\nRUN apt-get update && apt-get install -y gosu\nENTRYPOINT [\"/app/run.sh\"]\n",
     "starts as root (no USER) and installs gosu to switch users"),
    ("FROM alpine:3.20\nRUN apk add --no-cache su-exec\nENTRYPOINT [\"su-exec\", \"app\", \"/bin/server\"]\n",
     "starts as root (no USER) and runs su-exec to switch users"),
    ("FROM python:3.10-slim\nCMD [\"python\", \"app.py\"]\n", "runs as root (no USER)"),
])
def test_an_image_that_switches_users_at_start_says_so(dockerfile: str, expected: str) -> None:
    build = next(f for f in extract(dockerfile).facts if f.field == "ci.build")
    assert build.text.endswith(expected)


def test_env_values_resolve_with_the_args_in_force_and_never_from_a_secret_arg(tmp_path: Path) -> None:
    # AppFlowy-Cloud: `ENV PORT=${APPFLOWY_APPLICATION_PORT:-${PORT:-8000}}` after bare ARGs exposes 8000
    text = ("FROM debian:bookworm-slim\nARG APP_PORT\nARG PORT\nENV PORT=${APP_PORT:-${PORT:-8000}}\n"
            "EXPOSE $PORT\nARG API_TOKEN=tok-1234567890\nENV LOG_SINK=${API_TOKEN} LOG_LEVEL=${LEVEL:-info}\n")
    assert "exposes 8000" in build_text(text)
    scanned = scan_tree(tmp_path, {"Dockerfile": text})
    assert "tok-1234567890" not in scanned.markdown
    assert any("LOG_LEVEL=info" in f.text for f in scanned.model.facts)


def test_a_port_a_build_argument_without_default_gives_is_said_so() -> None:
    # spring-petclinic-microservices: `ARG EXPOSED_PORT` then `EXPOSE ${EXPOSED_PORT}`; Maven passes the port per module
    said = build_text("FROM eclipse-temurin:17\nARG EXPOSED_PORT\nEXPOSE ${EXPOSED_PORT}\n")
    assert "exposes ${EXPOSED_PORT} (the port build argument EXPOSED_PORT gives, with no default)" in said
    assert "(the port" not in build_text("FROM eclipse-temurin:17\nENV PORT=8080\nEXPOSE $PORT\n")


def test_a_dockerfile_named_with_a_dash_is_read(tmp_path: Path) -> None:
    # ory/kratos keeps its images in .docker/Dockerfile-alpine and Dockerfile-distroless-static; none was read
    scanned = scan_tree(tmp_path, {
        ".docker/Dockerfile-alpine": "FROM alpine:3.22\nCOPY kratos /usr/bin/kratos\nUSER 10000\n"
                                     "ENTRYPOINT [\"kratos\"]\n",
        ".docker/Dockerfile-debug": "FROM golang:1.24\nCMD [\"dlv\"]\n",
    })
    builds = {f.text.split(":")[0] for f in facts_for(scanned.model, "ci.build")}
    assert "Container image from .docker/Dockerfile-alpine" in builds
    assert any("Dockerfile-debug" in b for b in builds)


def test_a_dockerfiles_own_ignore_file_is_not_a_dockerfile(tmp_path: Path) -> None:
    # authelia: BuildKit's per-Dockerfile ignore files, `Dockerfile.coverage.dockerignore`, were read
    # as Dockerfiles and each gave a "no FROM instruction" warning
    scanned = scan_tree(tmp_path, {
        "Dockerfile.coverage": "FROM alpine:3.22\n",
        "Dockerfile.coverage.dockerignore": "*\n!dist\n",
        "Dockerfile.dockerignore": "node_modules\n",
    })
    assert not [d for d in scanned.model.diagnostics if "dockerignore" in d.path]
    cited = {e.path for f in scanned.model.facts for e in f.evidence}
    assert "Dockerfile.coverage" in cited and not any(path.endswith(".dockerignore") for path in cited)


def test_a_start_script_running_a_migrate_program_in_a_variable_folder_migrates_by_its_name(tmp_path: Path) -> None:
    # homarr: CMD ["sh", "run.sh"] (COPY scripts/run.sh ./run.sh) runs
    # `node ./db/migrations/$DB_DIALECT/migrate.cjs` on every start; its migrations were said to be applied by nothing
    scanned = scan_tree(tmp_path, {
        "Dockerfile": "FROM node:24-alpine\nWORKDIR /app\nCOPY scripts/run.sh ./run.sh\nCMD [\"sh\", \"run.sh\"]\n",
        "scripts/run.sh": (
            "#!/usr/bin/env bash\nmkdir -p /appdata/db\n"
            "if [ \"$DB_MIGRATIONS_DISABLED\" = \"true\" ]; then\n  echo skipping\nelse\n"
            "  DISABLE_REDIS_LOGS=true node ./db/migrations/$DB_DIALECT/migrate.cjs ./db/migrations/$DB_DIALECT\nfi\n"
            "node apps/nextjs/server.js\n"),
    })
    [fact] = facts_for(scanned.model, "deploy.migration.strategy")
    assert fact.text.startswith(
        "On container start: Dockerfile CMD runs scripts/run.sh, which runs DISABLE_REDIS_LOGS=true node "
        "./db/migrations/$DB_DIALECT/migrate.cjs ./db/migrations/$DB_DIALECT if ")
    assert "(only its name says it migrates)" in fact.text and fact.confidence is Confidence.INFERRED
    assert ("scripts/run.sh", 6) in {(e.path, e.line) for e in fact.evidence}
