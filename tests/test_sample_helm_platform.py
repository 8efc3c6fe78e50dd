"""sample_repos/helm-platform: a Helm-per-environment service, checked fact by fact (not a golden file).

What a maintainer of this repository would expect infrascan to say, and what it must leave as gaps.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import ROOT, Scanned, facts_for, scan_dir, texts

from infrascan.model import Confidence

SAMPLE = ROOT / "sample_repos" / "helm-platform"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    # Scanned from a copy: the sample sits inside infrascan's own git work tree.
    copy = Path(tmp_path_factory.mktemp("sample")) / "helm-platform"
    shutil.copytree(SAMPLE, copy)
    return scan_dir(copy)


def only(sample: Scanned, field: str, env: str | None = None) -> list[str]:
    return [f.text for f in facts_for(sample.model, field, env) if f.confidence is not Confidence.HINT]


def test_urls_per_environment(sample: Scanned) -> None:
    assert only(sample, "env.url", "production") == [
        "https://ledger.northwind-pay.com from ingress.hosts.0.host in chart ledger (values values-prod.yaml)"
    ]
    assert only(sample, "env.url", "staging")[0].startswith("https://ledger.staging.northwind-pay.com")
    assert only(sample, "env.url", "development") == []  # ingress off; chart-example.local is a placeholder
    assert "**Gap:**" in sample.markdown.split("- **Development**")[1].split("- URL:")[1].split("\n")[0]


def test_databases_per_environment(sample: Scanned) -> None:
    prod = only(sample, "env.database", "production")
    assert any(t.startswith("PostgreSQL: external (bundled subchart postgresql, disabled by") for t in prod)
    assert any("rds.amazonaws.com" in t for t in prod)
    assert any(t.startswith("Redis 7 in-cluster: subchart redis (chart redis 19.6.4)") for t in prod)
    for env in ("staging", "development"):
        assert [t for t in only(sample, "env.database", env) if t.startswith("PostgreSQL 16 in-cluster")]
        assert not [t for t in only(sample, "env.database", env) if t.startswith("Redis")]
    assert not any("PostgreSQL 15" in f.text for f in sample.model.facts)  # 15.5.38 is the chart's version


def test_production_special_configuration(sample: Scanned) -> None:
    prod = " | ".join(only(sample, "env.special", "production"))
    assert "Autoscaling: 3–10 replicas at 65% CPU (HorizontalPodAutoscaler)" in prod
    assert "PodDisruptionBudget: minAvailable 2" in prod
    assert "requests cpu 250m, memory 384Mi; limits memory 768Mi" in prod
    assert "replicaCount: 2 replicas" in " ".join(only(sample, "env.special", "staging"))


def test_monitoring_and_alerts(sample: Scanned) -> None:
    monitors = only(sample, "mon.infrastructure")
    assert any("ServiceMonitor" in t and "(prod, staging)" in t for t in monitors)
    assert sorted(t.split(" ")[0] for t in only(sample, "alert.critical")) == ["LedgerApiDown", "LedgerHighErrorRate"]
    assert sorted(t.split(" ")[0] for t in only(sample, "alert.warning")) == [
        "LedgerDatabaseConnectionsHigh",
        "LedgerLatencyHigh",
    ]
    assert not facts_for(sample.model, "alert.channels")  # no Alertmanager receivers in this repository


def test_deployment_process(sample: Scanned) -> None:
    migration = only(sample, "deploy.migration.strategy")
    assert migration == [
        "Helm pre-install/pre-upgrade hook Job runs alembic upgrade head before rollout in chart ledger "
        "(deploy/helm/ledger/templates/_migrate.tpl), rendered when migrations.enabled: true (dev, prod, staging)"
    ]
    assert only(sample, "ci.deploy.automated")[0].startswith("Argo CD Application ledger-staging syncs automatically")
    assert only(sample, "ci.deploy.manual")[0].startswith("Argo CD Application ledger-prod: manual sync")
    verify = texts(facts_for(sample.model, "deploy.rollback.verify"))
    assert any("readiness probes" in t and "/healthz/ready" in t for t in verify)
    assert any(t.startswith("helm test hook Pod runs curl -fsS") for t in verify)


def test_gaps_stay_gaps(sample: Scanned) -> None:
    production = sample.markdown.split("- **Production**")[1].split("## CI/CD Pipeline")[0]
    assert "SLA: **Gap:**" in production
    assert "Log retention: **Gap:**" in sample.markdown
    assert "Alert channels: **Gap:**" in sample.markdown
    assert not only(sample, "deploy.rollback.perform")  # nothing in the repository performs a rollback
