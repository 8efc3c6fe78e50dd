"""The alerting detector on rule files, Alertmanager, Grafana provisioning and Prometheus configs.

Each fixture under tests/fixtures/alerting/ names the public file it is modelled on.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import FIXTURES, Scanned, facts_for, scan_tree
from infrascan.detectors.alerting import AlertingRulesDetector

from infrascan.model import Confidence, Fact


def tree(*names: str) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {}
    for name in names:
        root = FIXTURES / "alerting" / name
        for path in sorted(root.rglob("*")):
            if path.is_file():
                files[path.relative_to(root).as_posix()] = path.read_text(encoding="utf-8")
    return files


def alerting(scanned: Scanned, field: str) -> list[Fact]:
    return [f for f in facts_for(scanned.model, field) if any(e.detector == "alerting" for e in f.evidence)]


def only(facts: list[Fact], needle: str) -> Fact:
    found = [f for f in facts if needle in f.text]
    assert len(found) == 1, (needle, [f.text for f in facts])
    return found[0]


def test_prometheus_rule_severities(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, tree("prometheus"))
    critical = alerting(scanned, "alert.critical")
    errors = only(critical, "LokiRequestErrors")
    assert errors.confidence is Confidence.DECLARED and errors.evidence[0].line == 5
    assert "for 15m (severity critical, group loki_alerts in rules/loki-alerts.yaml)" in errors.text
    panics = only(critical, "LokiRequestPanics")
    assert "severity page" in panics.text and "#" not in panics.text, "PromQL comments are not the expression"
    assert only(alerting(scanned, "alert.warning"), "LokiTooManyCompactorsRunning").evidence[0].line == 22
    unclassified = only(alerting(scanned, "alert.warning"), "neither critical nor warning")
    assert unclassified.confidence is Confidence.HINT
    assert "severity info or none" in unclassified.text and "LokiCanaryMissing, NoGeneratedLogs" in unclassified.text
    assert not any("job:loki_request" in f.text for f in critical), "recording rules are not alerts"


def test_alertmanager_receivers_routes_and_hosts_only(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, tree("prometheus"))
    channels = alerting(scanned, "alert.channels")
    pager = only(channels, "PagerDuty")
    assert pager.tech == "pagerduty" and "events.pagerduty.com" in pager.text
    assert 'for alerts matching severity="critical"' in pager.text
    slack = only(channels, "Slack")
    assert "hooks.slack.com" in slack.text and "services/T000" not in slack.text, "host only, never the path"
    assert slack.text.count("service=~^(foo1|foo2)$") == 2  # the route, and its warning sub-route
    assert (
        "Email (smtp.example.org) via Alertmanager receiver team-email, the default route"
        in only(channels, "team-email").text
    )
    assert "team@example.org" not in " ".join(f.text for f in channels)
    silent = only(channels, "blackhole")
    assert "not sent anywhere" in silent.text and silent.evidence[0].line == 32
    assert "abcdef0123456789" not in scanned.markdown


def test_scrape_configs_remote_write_and_promtail(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, tree("prometheus"))
    infra = alerting(scanned, "mon.infrastructure")
    jobs = only(infra, "Prometheus scrape jobs")
    assert jobs.text == ("Prometheus scrape jobs prometheus (prometheus:9090), loki, "
                         "node (node-exporter:9100, node-exporter-2:9100) (config/prometheus.yml)")
    assert jobs.evidence[0].line == 9
    remote = only(infra, "remote-writes")
    assert "prometheus-prod-01-eu-west-0.grafana.net" in remote.text and "glc_secret_value" not in scanned.markdown
    promtail = only(alerting(scanned, "log.aggregation"), "Promtail")
    assert "to Loki at gateway" in promtail.text and promtail.tech == "loki"


def test_grafana_provisioned_rules_and_contact_points(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, tree("grafana"))
    latency = only(alerting(scanned, "alert.critical"), "High API latency")
    # at the rule's `title:` and the receiver's `type:`, not at the `- uid:` that opens each item
    # (opentelemetry-demo's citations landed a line before what they said)
    assert latency.tech == "grafana" and latency.evidence[0].line == 10
    assert only(alerting(scanned, "alert.warning"), "Disk filling up")
    channels = alerting(scanned, "alert.channels")
    assert only(channels, "Email via Grafana contact point email-ops").evidence[0].line == 19
    teams = only(channels, "Microsoft Teams")
    assert "example.webhook.office.com" in teams.text and "secret-path" not in teams.text
    assert "for alerts matching severity=critical" in only(channels, "PagerDuty").text
    assert only(channels, "Email via Grafana contact point email-ops")


def test_many_alerts_of_one_severity_are_summarised(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, tree("many"))
    (summary,) = alerting(scanned, "alert.critical")
    assert summary.text.startswith("8 alert rules with a critical severity in node-alerts.yaml")
    assert "and 2 more" in summary.text and len(summary.evidence) == 8


def test_crds_and_helm_templates_belong_to_other_detectors(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, tree("crd", "helm"))
    assert not [f for f in scanned.model.facts if any(e.detector == "alerting" for e in f.evidence)]
    assert not [d for d in scanned.model.diagnostics if d.detector == "alerting"]


def test_broken_rule_file_is_a_diagnostic_and_the_rest_is_documented(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, tree("broken", "many"))
    assert [(d.path, d.line) for d in scanned.model.diagnostics if d.detector == "alerting"] == [("alerts.yml", 7)]
    assert alerting(scanned, "alert.critical")


def test_rule_group_without_a_name(tmp_path: Path) -> None:
    """grafana/loki pkg/tool/rules/testdata/loki_basic_failure.yaml has a group with no name."""
    rules = "groups:\n  - rules:\n      - alert: Unnamed\n        expr: up == 0\n"
    rules += "        labels:\n          severity: critical\n"
    fact = only(alerting(scan_tree(tmp_path, {"rules/unnamed.yml": rules}), "alert.critical"), "Unnamed")
    assert "group" not in fact.text and "(severity critical in rules/unnamed.yml)" in fact.text


def test_default_receiver_that_sends_nothing(tmp_path: Path) -> None:
    """grafana/loki production/docker/config/alertmanager.yml routes everything to a receiver with no integration."""
    config = "route:\n  receiver: 'default-receiver'\n  group_by: [ alertname ]\n\n"
    config += "receivers:\n  - name: 'default-receiver'\n"
    (fact,) = alerting(scan_tree(tmp_path, {"config/alertmanager.yml": config}), "alert.channels")
    assert fact.text.startswith("Alertmanager receiver default-receiver, the default route, has no notification")
    assert fact.evidence[0].line == 6


DATADOG_CATALOG = "modules/datadog-monitor/catalog/monitors/k8s.yaml"


def test_datadog_monitor_catalog_thresholds_are_alert_levels(tmp_path: Path) -> None:
    """tests/fixtures/alerting/datadog is modelled on cloudposse/terraform-aws-components' monitor catalogs."""
    scanned = scan_tree(tmp_path, tree("datadog"))
    critical = alerting(scanned, "alert.critical")
    down = only(critical, "k8s-deployment-replica-pod-down")
    assert down.confidence is Confidence.DECLARED and down.tech == "datadog"
    assert (down.evidence[0].path, down.evidence[0].line) == (DATADOG_CATALOG, 4)
    assert "{stage:${ stage }}" in down.text, "templated values are shown as written, never resolved"
    assert f"(critical threshold 2, query alert in {DATADOG_CATALOG})" in down.text
    restarting = only(alerting(scanned, "alert.warning"), "k8s-pod-restarting")
    assert "warning threshold 3" in restarting.text and restarting.evidence[0].line == 20
    assert "critical threshold 5" in only(critical, "k8s-pod-restarting").text
    agent = only(critical, "k8s-cluster-agent-up")
    assert "no threshold: alerts when the query's condition holds, service check" in agent.text
    assert len(alerting(scanned, "alert.warning")) == 1
    assert not any("users" in f.text or "orders" in f.text for f in critical), "a `type:` alone is not a monitor"


def test_datadog_notification_handles_are_channel_hints_without_addresses(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, tree("datadog"))
    channels = alerting(scanned, "alert.channels")
    assert all(f.confidence is Confidence.HINT for f in channels)
    pager = only(channels, "PagerDuty")
    assert pager.tech == "pagerduty" and "@pagerduty-Platform" in pager.text
    assert [e.line for e in pager.evidence] == [4, 20], "every monitor that pages it is cited"
    assert "@slack-platform-alerts" in only(channels, "Slack").text
    assert "@opsgenie-${ team }" in only(channels, "Opsgenie").text, "templated handles as written"
    email = only(channels, "Email")
    assert "example.com" not in email.text and "ops-team" not in email.text, "never an address"
    assert not any("unknownthing" in f.text for f in channels)


def test_datadog_catalog_with_many_monitors_is_summarised(tmp_path: Path) -> None:
    monitor = "m{0}:\n  type: metric alert\n  query: avg(last_5m):avg:system.load.1{{*}} > {0}\n"
    monitor += "  options:\n    thresholds:\n      critical: {0}\n"
    catalog = "".join(monitor.format(n) for n in range(8))
    (fact,) = alerting(scan_tree(tmp_path, {"catalog/monitors/host.yaml": catalog}), "alert.critical")
    assert fact.text.startswith("8 Datadog monitors with a critical alert in catalog/monitors/host.yaml: m0, m1")
    assert "and 2 more" in fact.text and len(fact.evidence) == 8


def test_every_channel_names_a_catalog_tool_or_itself_and_every_datadog_handle_a_channel() -> None:
    from infrascan.detectors import _channels, _datadog

    from infrascan.catalog import load_catalog

    techs = load_catalog().techs
    assert all(tech is None or tech in techs for tech, _ in _channels._table().values())
    assert set(_datadog._handle_kinds().values()) <= set(_channels._table())


@pytest.mark.parametrize(
    ("text", "claimed"),
    [
        # Prometheus and Grafana rule files: groups of rules
        ("groups:\n  - name: api\n    rules:\n      - alert: HighErrorRate\n", True),
        ("apiVersion: 1\ngroups:\n  - orgId: 1\n    name: g\n    folder: f\n    rules:\n      - uid: x\n", True),
        ("route:\n  receiver: team\n", True),
        # langfuse's Fern generators.yml: groups of code generators, no rules
        ("default-group: local\ngroups:\n  local:\n    generators:\n      - name: fernapi/fern-python-sdk\n", False),
    ],
)
def test_the_sniff_claims_rule_files_not_any_groups(text: str, claimed: bool) -> None:
    sniff = AlertingRulesDetector.sniff
    assert sniff is not None and bool(sniff.pattern.search(text)) is claimed
