"""build_model: every fact is placed (block, scope, component) and equal facts are joined."""

from __future__ import annotations

from pathlib import Path

from helpers import scan_dir, write_tree

from infrascan.catalog import load_catalog
from infrascan.merge import Model, RepoInfo, _watched, build_model
from infrascan.model import Code, Confidence, Evidence, Fact, FactScope, text


def _model(facts: list[Fact], paths: list[str], aliases: dict[str, str] | None = None) -> Model:
    return build_model(facts, [], paths=paths, catalog=load_catalog(), aliases=aliases or {}, sources=[],
                       repository=RepoInfo("repo", None, None, None, False), files_read=0)


def test_a_fact_whose_parts_a_detector_changed_is_merged_by_its_new_text() -> None:
    # Detectors append to a fact's parts after making it (terraform: "(staging, production)").
    fact = Fact("env.url", text("URL ", Code("https://shop.example.org")), Confidence.DECLARED,
                (Evidence("deploy/app.tf", 3),), env="production")
    fact.parts = text(*fact.parts, " (production)")
    (placed,) = _model([fact], ["deploy/app.tf"]).facts
    assert placed.text == "URL https://shop.example.org (production)"


def test_each_fact_gets_its_own_block_scope_and_component() -> None:
    paths = ["services/api/Dockerfile", "services/web/Dockerfile", "examples/demo/app.tf"]
    facts = [
        Fact("env.url", text("API"), Confidence.DECLARED, (Evidence("services/api/Dockerfile", 1),), env="prod"),
        Fact("env.url", text("Web"), Confidence.DECLARED, (Evidence("services/web/Dockerfile", 1),), env="stage"),
        Fact("env.url", text("Demo"), Confidence.DECLARED, (Evidence("examples/demo/app.tf", 1),), env="prod"),
        Fact("env.url", text("QA"), Confidence.DECLARED, (Evidence("services/web/Dockerfile", 2),), env="qa"),
    ]
    placed = {f.text: f for f in _model(facts, paths, aliases={"qa": "staging"}).facts}
    assert (placed["API"].env, placed["API"].component, placed["API"].scope) == (
        "production", "services/api", FactScope.MAIN)
    assert (placed["Web"].env, placed["Web"].component) == ("staging", "services/web")
    assert (placed["Demo"].env, placed["Demo"].scope) == ("production", FactScope.EXAMPLE)
    assert placed["QA"].env == "staging"
    assert facts[0].env == "prod" and facts[0].component == ""  # the detector's facts are left as they were


def test_a_metrics_library_alone_is_no_rollback_signal_an_error_tracker_is(tmp_path: Path) -> None:
    # Modelled on podinfo and database-lab-engine: prometheus/client_golang in go.mod exposes
    # metrics nothing in the repository collects; a Sentry SDK reports each new error to Sentry.
    write_tree(tmp_path, {
        "go.mod": "module example.com/api\n\ngo 1.22\n\nrequire (\n\tgithub.com/prometheus/client_golang v1.19.0\n"
                  "\tgithub.com/getsentry/sentry-go v0.27.0\n)\n",
    })
    model = scan_dir(tmp_path).model
    signals = [f.text for f in model.facts if f.field == "deploy.rollback.identify"]
    assert signals == ["New errors after a release in Sentry"]  # an SDK alone: errors, no traces


def test_variables_that_configure_an_exporter_are_no_rollback_signal(tmp_path: Path) -> None:
    # opentelemetry-demo's accounting image sets OTEL_* in its ENV: the SDK exports spans, and the
    # document said to look "in OpenTelemetry" for errors after a release; SENTRY_DSN still does.
    write_tree(tmp_path, {
        "Dockerfile": "FROM python:3.12\nENV OTEL_EXPORTER_OTLP_ENDPOINT=http://otel-collector:4317\n"
                      "ENV OTEL_SERVICE_NAME=accounting\nCMD python app.py\n",
        ".env.example": "SENTRY_DSN=\n",
    })
    model = scan_dir(tmp_path).model
    signals = [f.text for f in model.facts if f.field == "deploy.rollback.identify"]
    assert signals == ["New errors after a release in Sentry"]
    assert any(f.tech == "opentelemetry" for f in model.facts if f.field.startswith("mon."))


def test_a_running_collector_is_no_place_to_see_a_release_s_errors(tmp_path: Path) -> None:
    # opentelemetry-demo and docker-jitsi-meet run the OpenTelemetry Collector: it forwards telemetry
    # to Jaeger and Grafana, which are where anyone looks; the document said "in OpenTelemetry"
    write_tree(tmp_path, {
        "k8s/production/collector.yaml": (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: otel-collector\nspec:\n  template:\n"
            "    spec:\n      containers:\n        - name: otelcol\n"
            "          image: otel/opentelemetry-collector-contrib:0.130.0\n"),
        "k8s/production/jaeger.yaml": (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: jaeger\nspec:\n  template:\n"
            "    spec:\n      containers:\n        - name: jaeger\n          image: jaegertracing/all-in-one:1.57\n"),
    })
    model = scan_dir(tmp_path).model
    signals = [f.text for f in model.facts if f.field == "deploy.rollback.identify"]
    assert "New errors or slowdowns after a release in OpenTelemetry" not in signals
    assert "Slowdowns after a release in Jaeger" in signals  # a tracer shows latency, not errors


def test_a_release_signal_says_what_the_tool_shows() -> None:
    # Blackfire profiles, Bugsnag tracks errors, Sentry does both: "errors or slowdowns" only for both
    techs = load_catalog().techs
    both = {"application", "performance"}
    assert [_watched(techs[t], both) for t in ("blackfire", "bugsnag", "sentry")] == [
        "Slowdowns", "New errors", "New errors or slowdowns"]
    # and of what a tool can do, what the repository's facts show it used for
    assert _watched(techs["sentry"], {"application"}) == "New errors"
    assert _watched(techs["sentry"], {"performance"}) == "Slowdowns"


def test_an_error_tracker_shows_slowdowns_once_tracing_is_set_up(tmp_path: Path) -> None:
    # netbox-docker installs sentry-sdk and sets nothing: errors. django-shop's .env.example also sets
    # SENTRY_TRACES_SAMPLE_RATE: Sentry's performance monitoring, so slowdowns too.
    write_tree(tmp_path, {"requirements.txt": "sentry-sdk==2.0\n"})
    signals = [f.text for f in scan_dir(tmp_path).model.facts if f.field == "deploy.rollback.identify"]
    assert signals == ["New errors after a release in Sentry"]
    write_tree(tmp_path, {".env.example": "SENTRY_DSN=\nSENTRY_TRACES_SAMPLE_RATE=0.1\n"})
    signals = [f.text for f in scan_dir(tmp_path).model.facts if f.field == "deploy.rollback.identify"]
    assert signals == ["New errors or slowdowns after a release in Sentry"]


def test_a_sample_rate_of_zero_sets_up_no_tracing(tmp_path: Path) -> None:
    # flagsmith's production task definition sets SENTRY_TRACES_SAMPLE_RATE to "0": Sentry traces
    # nothing there, and a release's slowdowns would not show in it
    write_tree(tmp_path, {".env.example": "SENTRY_DSN=\nSENTRY_TRACES_SAMPLE_RATE=0\n"})
    model = scan_dir(tmp_path).model
    signals = [f.text for f in model.facts if f.field == "deploy.rollback.identify"]
    assert signals == ["New errors after a release in Sentry"]
    assert not [f for f in model.facts if f.field == "mon.performance"]
