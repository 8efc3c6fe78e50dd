"""Image references and the versions they pin (detection-spec §5)."""

from __future__ import annotations

import pytest

from infrascan.catalog import load_catalog
from infrascan.images import ImageRef, parse_image, tag_version, version_label


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("postgres", ImageRef("", "postgres", "", "")),
        ("postgres:16.2-alpine3.19", ImageRef("", "postgres", "16.2-alpine3.19", "")),
        ("docker.io/library/postgres:16", ImageRef("", "postgres", "16", "")),
        ("public.ecr.aws/docker/library/redis:7", ImageRef("", "redis", "7", "")),
        ("localhost:5000/app", ImageRef("localhost:5000", "app", "", "")),  # a port, not a tag
        ("localhost:5000/app:1.4", ImageRef("localhost:5000", "app", "1.4", "")),
        ("localhost/app:2", ImageRef("localhost", "app", "2", "")),
        ("ghcr.io/Acme/API:1.0", ImageRef("ghcr.io", "acme/api", "1.0", "")),
        ("valkey/valkey@sha256:" + "a" * 64, ImageRef("", "valkey/valkey", "", "sha256:" + "a" * 64)),
        ("node:20@sha256:" + "b" * 64, ImageRef("", "node", "20", "sha256:" + "b" * 64)),
        ("'redis:7'", ImageRef("", "redis", "7", "")),
        ("node:${NODE_VERSION}", ImageRef("", "node", "${NODE_VERSION}", "")),
    ],
)
def test_parse_image(ref: str, expected: ImageRef) -> None:
    assert parse_image(ref) == expected


@pytest.mark.parametrize(
    "ref", ["", "  ", "$IMAGE", "${REGISTRY}/app", "-x", "two words", ":16", "{{ .Values.image }}"]
)
def test_not_images(ref: str) -> None:
    assert parse_image(ref) is None


def test_reference_round_trip() -> None:
    for ref in ("ghcr.io/acme/api:1.0", "postgres", "localhost:5000/app:1.4@sha256:" + "c" * 64):
        parsed = parse_image(ref)
        assert parsed is not None and parsed.reference() == ref


@pytest.mark.parametrize(
    ("tag", "scheme", "minor_below", "expected"),
    [
        ("16.2-alpine3.19", "major", None, "16"),
        ("16.1.0-debian-12-r5", "major", None, "16"),
        ("9.6", "major", 10, "9.6"),
        ("3.12-slim", "minor", None, "3.12"),
        ("24.3.1.2672", "calendar", None, "24.3"),
        ("2022-latest", "calendar", None, "2022"),
        ("v0.14.0", "major", None, "0.14"),  # below 1.0 the minor is the release line (semver)
        ("1.0.3", "major", None, "1"),
        ("latest", "major", None, "unpinned"),
        ("lts-alpine", "major", None, "unpinned"),
        ("alpine", "major", None, "unpinned"),
        ("", "major", None, "unpinned"),
        ("${TAG}", "major", None, "unpinned"),
        # nextcloud/all-in-one's release tags are dates: PostgreSQL 20260817 is no version
        ("20260817_082005", "major", None, "unpinned"),
        ("202608", "calendar", None, "unpinned"),
    ],
)
def test_tag_version(tag: str, scheme: str, minor_below: int | None, expected: str) -> None:
    assert tag_version(tag, scheme, minor_below) == expected


@pytest.mark.parametrize(
    ("ref", "label"),
    [
        ("pgvector/pgvector:pg18", "PostgreSQL 18"),  # formbricks docker-compose.dev.yml
        ("pgvector/pgvector:0.8.0-pg17-bookworm", "PostgreSQL 17"),
        ("timescale/timescaledb:latest-pg16", "PostgreSQL 16"),
        ("postgres:9.6-alpine", "PostgreSQL 9.6"),
        ("ubuntu:jammy", "Ubuntu 22.04"),
        ("debian:bookworm-slim", "Debian 12"),
        ("valkey/valkey@sha256:" + "d" * 64, "Valkey (pinned by digest)"),
        ("postgres:${PG_VERSION}", "PostgreSQL (version set by variable ${PG_VERSION})"),
        ("redis:latest", "Redis (version unpinned)"),
        ("redis", "Redis (version unpinned)"),
        ("redis:alpine", "Redis (version unpinned)"),  # a variant, not a release
        ("golang:alpine3.23", "Go (version unpinned)"),  # miniflux: the Alpine release, not Go's
        ("node:bookworm-slim", "Node.js (version unpinned)"),
        ("ghcr.io/tursodatabase/libsql-server:e4beaca", "Turso (libSQL) (tag e4beaca)"),  # openstatus test.yml
        ("stripe/stripe-mock:0.186", "Stripe"),  # services have no version scheme
        # solidtime: FrankenPHP's tags lead with its own version; the PHP one follows `php`
        ("dunglas/frankenphp:1.8-php8.3", "PHP 8.3"),
        ("dunglas/frankenphp:1-builder-php8.4-bookworm", "PHP 8.4"),
        ("dunglas/frankenphp:latest", "PHP (version unpinned)"),
        ("dunglas/frankenphp:1.8", "PHP"),  # FrankenPHP 1.8, whose PHP the tag does not name
        ("php:8.3-apache", "PHP 8.3"),
        # vikunja: the Go cross-compiler its API is built with; its tags name the Go release after `go-`
        ("ghcr.io/techknowlogick/xgo:go-1.27.x", "Go 1.27"),
        ("techknowlogick/xgo:go-1.22.4", "Go 1.22"),
        ("techknowlogick/xgo:latest", "Go (version unpinned)"),
        ("golang:1.22-alpine", "Go 1.22"),
        ("getlago/postgres-partman:15.0-alpine", "PostgreSQL 15"),  # lago: PostgreSQL with pg_partman
    ],
)
def test_version_label(ref: str, label: str) -> None:
    found = load_catalog().by_image(ref)
    assert found is not None
    tech, image = found
    assert version_label(tech.name, tech.version_of(image), image) == label
