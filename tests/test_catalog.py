"""The catalog's schema, and one signal row per technology: every entry is reachable by a signal."""

from __future__ import annotations

from importlib import resources
from typing import Any

import pytest
import yaml

from infrascan.catalog import CATEGORIES, ECOSYSTEMS, SIGNAL_KEYS, load_catalog

ENTRY_KEYS = {
    "id",
    "name",
    "category",
    "categories",
    "aliases",
    "ambiguous",
    "purpose",
    "auth",
    "stand_in",
    "monitoring",
    "version",
    "codenames",
    "signals",
    "speaks",
    "app_url",
    "platform",
    "collected",
    "deployment_only",
    "forwards",
    "credentials_of",
    "credentials",
}


def raw_entries() -> list[dict[str, Any]]:
    folder = resources.files("infrascan").joinpath("data/catalog")
    entries: list[dict[str, Any]] = []
    for item in sorted(folder.iterdir(), key=lambda i: i.name):
        if item.name.endswith(".yaml"):
            entries.extend(yaml.safe_load(item.read_bytes()) or [])
    return entries


def test_schema() -> None:
    entries = raw_entries()
    ids = [e["id"] for e in entries]
    assert len(ids) == len(set(ids)), "duplicate ids"
    assert len(ids) >= 40
    for entry in entries:
        assert set(entry) <= ENTRY_KEYS, entry["id"]
        assert entry["category"] in CATEGORIES, entry["id"]
        for extra in entry.get("categories", []):
            assert extra in CATEGORIES, entry["id"]
        assert set(entry.get("signals", {})) <= set(SIGNAL_KEYS), entry["id"]
        assert set(entry.get("signals", {}).get("packages", {}) or {}) <= set(ECOSYSTEMS), entry["id"]
        # a tracer is performance monitoring: only a tool that provides it has one
        assert set(entry.get("signals", {}).get("tracers", {}) or {}) <= set(ECOSYSTEMS), entry["id"]
        if entry.get("signals", {}).get("tracers"):
            assert "performance" in entry.get("monitoring", []), entry["id"]
            # a tracer is its entry's own, and not also one of its plain packages
            for ecosystem, names in entry["signals"]["tracers"].items():
                assert not set(names) & set(entry["signals"].get("packages", {}).get(ecosystem, [])), entry["id"]
                assert all(load_catalog().by_package(ecosystem, n).id == entry["id"] for n in names), entry["id"]
        assert set(entry.get("monitoring", [])) <= {"application", "infrastructure", "performance"}, entry["id"]
        assert entry.get("version", {}).get("scheme", "major") in ("major", "minor", "calendar", "none")
        if "platform" in entry:  # a platform's app configuration names it: the file must say so
            assert entry["platform"] is True and entry["signals"].get("files"), entry["id"]
        if "collected" in entry:  # only a monitoring tool's libraries hand data to a server
            assert entry["collected"] is True and entry.get("monitoring"), entry["id"]
        if "stand_in" in entry:
            assert set(entry["stand_in"]) == {"what", "hosts"} and entry["stand_in"]["hosts"], entry["id"]
        if entry["category"] == "external-service":
            assert entry.get("purpose"), f"{entry['id']} needs a purpose"
        assert set(entry.get("speaks", [])) <= set(ids) - {entry["id"]}, entry["id"]


def _first_signal(entry: dict[str, Any]) -> tuple[str, Any]:
    signals = entry.get("signals", {})
    for key in SIGNAL_KEYS:
        value = signals.get(key)
        if value:
            if key == "packages":
                eco = next(e for e in ECOSYSTEMS if value.get(e))
                return key, (eco, value[eco][0])
            return key, value[0]
    raise AssertionError(f"{entry['id']} has no signal")


@pytest.mark.parametrize("entry", raw_entries(), ids=lambda e: e["id"])
def test_one_signal_row_per_entry(entry: dict[str, Any]) -> None:
    """Each technology is found by its first signal (an image, a variable, a resource type...)."""
    catalog = load_catalog()
    key, signal = _first_signal(entry)
    tech_id = entry["id"]
    if key == "images":
        image = signal[:-2] + "/x" if signal.endswith("/*") else signal
        found = catalog.by_image(image + ":1")
        assert found and found[0].id == tech_id
    elif key == "env_names":
        assert tech_id in [t.id for t in catalog.by_env_name(signal)]
    elif key == "env_prefixes":
        assert tech_id in [t.id for t in catalog.by_env_name(signal + "_SOMETHING")]
    elif key == "env_words":
        assert tech_id in [t.id for t in catalog.by_env_name("MY_" + signal + "_KEY")]
    elif key == "url_schemes":
        assert catalog.by_url_scheme(signal).id == tech_id  # type: ignore[union-attr]
    elif key == "hosts":
        assert catalog.by_host(signal).id == tech_id  # type: ignore[union-attr]
    elif key == "terraform":
        rtype = signal[:-1] + "thing" if signal.endswith("*") else signal
        assert catalog.by_terraform_type(rtype).id == tech_id  # type: ignore[union-attr]
    elif key == "helm":
        assert catalog.by_helm_dependency(signal).id == tech_id  # type: ignore[union-attr]
    elif key == "packages":
        eco, name = signal
        name = name[:-1] + "x" if name.endswith("*") else name
        assert catalog.by_package(eco, name).id == tech_id  # type: ignore[union-attr]
    elif key == "files":
        path = signal.replace("*", "x")
        assert tech_id in [t.id for t in catalog.by_file(path)]


def test_token_boundaries_and_public_prefixes() -> None:
    catalog = load_catalog()
    assert catalog.by_env_name("ADD_USER") == []
    assert [t.id for t in catalog.by_env_name("NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY")] == ["stripe"]
    assert [t.id for t in catalog.by_env_name("VITE_SENTRY_DSN")] == ["sentry"]
    assert [t.id for t in catalog.by_env_name("PGHOST")] == ["postgresql"]
    # a vendor named by an English word is named at the start only (vaultwarden's .env.template)
    assert catalog.by_env_name("SIGNUPS_VERIFY_RESEND_LIMIT") == []
    assert catalog.by_env_name("RESEND_CONFIRMATION_AFTER_MINUTES") == []  # an app's own setting
    assert [t.id for t in catalog.by_env_name("RESEND_API_KEY")] == ["resend"]
    assert [t.id for t in catalog.by_env_name("NEXT_PRIVATE_RESEND_API_KEY")] == ["resend"]  # documenso


def test_exporters_are_monitoring_not_the_database() -> None:
    catalog = load_catalog()
    found = catalog.by_image("oliver006/redis_exporter:v1.58.0")
    assert found and found[0].category == "monitoring"


@pytest.mark.parametrize(
    ("image", "version"),
    [
        ("prom/prometheus:v3.4.2", "3"),
        ("prom/node-exporter:v1.9.1", None),  # dockprom runs it beside Prometheus 3
        ("quay.io/prometheus/node-exporter:v1.8.0", None),
        ("jenkins/jenkins:2.452.1-lts", "2"),
        ("jenkins/inbound-agent:3283.v92c105e0f819-1", None),
        ("grafana/loki:3.0.0", "3"),
        ("grafana/alloy:v1.9.2", None),
        ("confluentinc/cp-kafka:7.6.13", None),  # getsentry/self-hosted: Confluent Platform 7.6 ships Kafka 3.6
        ("redpandadata/redpanda:v24.1.1", None),
        ("confluentinc/cp-kafka:latest", "unpinned"),  # loki's tools/kafka: unpinned whoever publishes it
        ("wurstmeister/kafka", "unpinned"),
        ("apache/kafka:3.9.0", "3"),
        ("gcr.io/distroless/nodejs24-debian12:nonroot", "24"),  # the version in the name
        ("gcr.io/distroless/java17-debian12", "17"),
        # paperless-ngx: uv's tags lead with uv's version and name the Python they carry
        ("ghcr.io/astral-sh/uv:0.11.32-python3.12-trixie-slim", "3.12"),
        ("ghcr.io/astral-sh/uv:python3.13-bookworm-slim", "3.13"),
    ],
)
def test_only_version_images_give_the_version(image: str, version: str | None) -> None:
    found = load_catalog().by_image(image)
    assert found is not None
    tech, ref = found
    assert tech.version_of(ref) == version


def test_an_image_that_carries_a_runtime_only_in_some_tags_is_that_runtime_only_in_those() -> None:
    """uv's `debian` and version tags hold uv alone (copied into images with `COPY --from`)."""
    catalog = load_catalog()
    found = catalog.by_image("ghcr.io/astral-sh/uv:0.11.32-python3.12-trixie-slim")
    assert found is not None and found[0].id == "python"
    assert catalog.by_image("ghcr.io/astral-sh/uv:debian") is None
    assert catalog.by_image("ghcr.io/astral-sh/uv:0.5") is None


def test_mentions_finds_what_every_name_s_pattern_finds_without_the_literal_prefilter() -> None:
    """The prefilter skips a name's regex when its literal is absent; Unicode case folding (ſ is s,
    K is k) must never make it skip a match."""
    import random
    import re

    from infrascan.catalog import _sentence_start

    catalog = load_catalog()
    patterns = [(re.compile(r"(?<![\w.-])" + re.escape(alias) + r"(?![\w-])", flags), tech, strict)
                for alias, flags, tech, strict in catalog._name_sources]

    def every_pattern(text: str) -> list[tuple[str, int, int]]:
        found = sorted(((tech, m.start(), m.end()) for pattern, tech, strict in patterns for m in pattern.finditer(text)
                        if not (strict and _sentence_start(text, m.start()))), key=lambda m: (m[1], m[1] - m[2]))
        kept, end = [], -1
        for tech, start, stop in found:
            if start >= end:
                kept.append((tech.id, start, stop))
                end = stop
        return kept

    aliases = [alias for alias, _, _, _ in catalog._name_sources]
    rng = random.Random(7)
    texts = ["We run PostgreSQL 16 and redis on \u212aubernetes (K8S).", "Go to settings. We deploy with Go."]
    folded = str.maketrans({"s": "ſ", "k": "\u212a"})  # long s and the Kelvin sign: s and k ignoring case

    def spelt(alias: str) -> str:
        return rng.choice([alias, alias.upper(), alias.lower(), alias.swapcase(), alias.lower().translate(folded)])

    for _ in range(1500):
        words = [spelt(a) + rng.choice([" ", ". ", "-", "é", "\n"]) for a in rng.sample(aliases, 4)]
        texts.append("".join(words))
    for text in texts:
        assert [(t.id, s, e) for t, s, e in catalog.mentions(text)] == every_pattern(text), text


def test_cloud_deploy_counts_in_prose_only_as_written() -> None:
    # review: "our cloud deploy script" in a hand-written line made drift report Google Cloud Deploy
    catalog = load_catalog()
    assert [t.id for t, _, _ in catalog.mentions("A person runs our cloud deploy script from a laptop.")] == []
    assert [t.id for t, _, _ in catalog.mentions("Releases go through Cloud Deploy.")] == ["cloud-deploy"]


def test_log_drivers_name_where_container_logs_go() -> None:
    catalog = load_catalog()
    assert catalog.by_log_driver("awslogs") is catalog.get("cloudwatch")
    assert catalog.by_log_driver("Splunk") is catalog.get("splunk")
    assert catalog.by_log_driver("json-file") is None  # kept on the host: no service
    assert catalog.by_log_driver("gelf") is None  # a protocol several services speak


def test_os_packages_name_the_runtime_a_distribution_installs() -> None:
    catalog = load_catalog()
    named = {p: (t.id if (t := catalog.by_os_package(p)) else None)
             for p in ("nodejs", "python3", "python3.12", "openjdk-17-jre-headless", "php83", "ruby", "curl", "make")}
    assert named == {"nodejs": "nodejs", "python3": "python", "python3.12": "python",
                     "openjdk-17-jre-headless": "java", "php83": "php", "ruby": "ruby", "curl": None, "make": None}


def test_a_store_image_a_project_builds_is_named_for_the_store_last() -> None:
    """docker-zulip's compose runs `zulip/zulip-postgresql:14`, its own build of PostgreSQL; an
    exporter or a backup tool named after a store is not that store."""
    catalog = load_catalog()
    found = catalog.by_image("zulip/zulip-postgresql:14")
    assert found is not None and found[0].id == "postgresql" and found[1].tag == "14"
    # its tag is the project's release, not the store's version: appwrite/postgres:0.1.0 was "PostgreSQL 0.1"
    assert found[0].version_of(found[1]) is None
    own = catalog.by_image("appwrite/postgres:0.1.0")
    assert own is not None and own[0].image_label(own[1]) == "PostgreSQL"
    assert catalog.by_image("postgres:16")[0].image_label(catalog.by_image("postgres:16")[1]) == "PostgreSQL 16"
    assert catalog.by_image("acme/postgres-exporter:1") is None
    assert catalog.by_image("acme/mysql-backup:2") is None
    assert catalog.by_image("postgresql") is None  # no vendor: not an image of ours to guess at


def test_mobile_sdks_are_only_the_mobile_apps_packages() -> None:
    # baa32f2 put Datadog's `mobile_sdks:` key in the middle of its packages, and its Ruby and Go
    # server clients became mobile SDKs: a Rails API's Datadog then signalled no bad release
    catalog = load_catalog()
    assert not catalog.is_mobile_sdk("gem", "dogstatsd-ruby") and not catalog.is_mobile_sdk(
        "go", "github.com/DataDog/datadog-go")
    assert catalog.by_package("gem", "dogstatsd-ruby").id == "datadog"
    for entry in raw_entries():
        for ecosystem, names in entry.get("signals", {}).get("mobile_sdks", {}).items():
            assert all(any(word in n.lower() for word in ("mobile", "native", "expo", "flutter", "android", "ios",
                                                          "capacitor", "cordova"))
                       for n in names), (entry["id"], ecosystem, names)
