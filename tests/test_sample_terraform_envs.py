"""sample_repos/terraform-envs: Terraform per environment over one local module, checked fact by fact.

envs/staging and envs/production each call modules/app with their own tfvars; the module holds
RDS PostgreSQL, ElastiCache Redis, Route 53, CloudWatch log groups and alarms, SNS subscriptions
and a Datadog monitor. This is what a maintainer would expect the document to say, and to leave open.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import ROOT, Scanned, facts_for, scan_dir

from infrascan.model import Confidence

SAMPLE = ROOT / "sample_repos" / "terraform-envs"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    # Scanned from a copy: the sample sits inside infrascan's own git work tree.
    copy = Path(tmp_path_factory.mktemp("sample")) / "terraform-envs"
    shutil.copytree(SAMPLE, copy)
    return scan_dir(copy)


def only(sample: Scanned, field: str, env: str | None = None) -> list[str]:
    return [f.text for f in facts_for(sample.model, field, env) if f.confidence is not Confidence.HINT]


def hinted(sample: Scanned, field: str, env: str | None = None) -> list[str]:
    return [f.text for f in facts_for(sample.model, field, env) if f.confidence is Confidence.HINT]


def section(sample: Scanned, title: str) -> str:
    return sample.markdown.split(f"- **{title}**:")[1].split("\n- **")[0]


def test_each_environment_gets_the_module_with_its_own_values(sample: Scanned) -> None:
    prod = only(sample, "env.database", "production")
    staging = only(sample, "env.database", "staging")
    assert (
        "PostgreSQL 15 (Amazon RDS, db.r6g.large, 50 GB, backups kept 14 days, Multi-AZ): "
        "module.app.aws_db_instance.main" in prod
    )
    assert (
        "PostgreSQL 16 (Amazon RDS, db.t4g.medium, 50 GB, backups kept 1 day): module.app.aws_db_instance.main"
        in staging
    )
    assert (
        "Redis 7 (Amazon ElastiCache, cache.t4g.small, automatic failover, 2 nodes): "
        "module.app.aws_elasticache_replication_group.cache" in prod
    )
    assert "Redis 7 (Amazon ElastiCache, cache.t4g.small): module.app.aws_elasticache_replication_group.cache" in (
        staging
    )
    assert "Amazon SQS: module.app.aws_sqs_queue.orders" in prod
    # SNS topics the alarms notify are alert plumbing, not queues
    assert not [t for t in prod + staging if "SNS" in t]
    evidence = next(f for f in facts_for(sample.model, "env.database", "production") if "PostgreSQL" in f.text).evidence
    assert {"modules/app/database.tf", "envs/production/prod.tfvars"} <= {e.path for e in evidence}


def test_urls_resolve_per_environment(sample: Scanned) -> None:
    assert only(sample, "env.url", "production")[0] == "https://shopfront.io (output app_url)"
    assert only(sample, "env.url", "staging")[0] == "https://staging.shopfront.io (output app_url)"
    assert "https://staging.shopfront.io (Route 53 record module.app.aws_route53_record.app)" in only(
        sample, "env.url", "staging"
    )
    assert not any("_shop-verification" in t for t in only(sample, "env.url", "staging"))  # a TXT record


def test_sla_stays_a_gap_with_availability_signals(sample: Scanned) -> None:
    assert only(sample, "env.sla", "production") == []
    assert "**Gap:**" in section(sample, "Production").split("- SLA:")[1].split("\n")[0]
    signals = hinted(sample, "env.sla", "production")
    assert "Availability signal, not an SLA: module.app.aws_db_instance.main Multi-AZ" in signals
    assert hinted(sample, "env.sla", "staging") == []


def test_special_configuration_names_cloud_region_and_state(sample: Scanned) -> None:
    prod = only(sample, "env.special", "production")
    assert "AWS, region eu-west-1 (provider hashicorp/aws 5 locked at 5.46.0)" in prod
    assert ("Terraform state in the s3 backend, bucket shopfront-terraform-state, locked by DynamoDB table "
            "terraform-locks: production/app.tfstate") in prod
    staging = only(sample, "env.special", "staging")
    assert ("Terraform state in the s3 backend, bucket shopfront-terraform-state, locked by DynamoDB table "
            "terraform-locks: staging/app.tfstate") in staging
    assert sample.model.environments[:3] == ["development", "staging", "production"]
    assert "**Gap:**" in section(sample, "Development").split("- Database:")[1].split("\n")[0]


def test_log_retention_and_never_expiring_groups(sample: Scanned) -> None:
    retention = only(sample, "log.retention")
    assert "CloudWatch log group /ecs/shop-production: 90 days (production)" in retention
    # staging keeps its root variable's default: whoever applies it may pass another value
    assert "CloudWatch log group /ecs/shop-staging: 14 days (default of log_retention_days) (staging)" in retention
    assert (
        "CloudWatch log group /ecs/shop-production-migrations: never expires (no retention_in_days) (production)"
        in retention
    )
    assert only(sample, "log.aggregation")[0].startswith("Amazon CloudWatch (Terraform): 2 CloudWatch log groups")


def test_alerts_by_severity(sample: Scanned) -> None:
    critical = facts_for(sample.model, "alert.critical")
    by_text = {f.text: f for f in critical}
    name_inferred = (
        "CloudWatch alarm shop-production-db-cpu-critical: CPUUtilization GreaterThanThreshold 90 "
        "(severity inferred from name) (production)"
    )
    assert by_text[name_inferred].confidence is Confidence.INFERRED
    assert (
        "CloudWatch alarm shop-production-api-5xx: HTTPCode_Target_5XX_Count GreaterThanThreshold 25 "
        "(severity inferred from SNS topic shop-production-critical) (production)" in by_text
    )
    datadog = [t for t in only(sample, "alert.critical") if t.startswith("Datadog monitor Shop production")]
    assert datadog and datadog[0].endswith("(critical threshold 1.5) (production)")
    assert any(t.endswith("(warning threshold 1) (production)") for t in only(sample, "alert.warning"))
    assert any("db-free-storage-warning" in t for t in only(sample, "alert.warning"))
    unclassified = hinted(sample, "alert.critical")
    assert any("orders-queue-depth" in t and "severity unclassified" in t for t in unclassified)


def test_alert_channels_show_hosts_never_paths(sample: Scanned) -> None:
    channels = only(sample, "alert.channels")
    assert (
        "PagerDuty via SNS topic shop-production-critical: https subscription to events.pagerduty.com (production)"
        in channels
    )
    assert (
        "Email via SNS topic shop-staging-warnings: email subscription to an address at shopfront.io (staging)"
        in channels
    )
    assert "Slack: Datadog notification handle @slack-shop-alerts (staging, production)" in channels
    assert "0f1e2d3c4b5a69788796a5b4c3d2e1f0" not in sample.markdown
    assert "oncall@shopfront.io" not in sample.markdown


def test_monitoring_tools(sample: Scanned) -> None:
    tools = only(sample, "mon.tools")
    assert tools == ["Amazon CloudWatch", "Datadog"]
    infrastructure = only(sample, "mon.infrastructure")
    assert any(t.startswith("Amazon CloudWatch (Terraform): 4 metric alarms") for t in infrastructure)
