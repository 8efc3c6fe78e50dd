"""The Terraform detector: environments, module binding, data stores, URLs, logs, alerts, Terragrunt.

Fixture trees under tests/fixtures/terraform/<case>/ name the public repository each is modelled on;
each case is scanned once (module-scoped), so the module stays fast.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import FIXTURES, ROOT, Scanned, diagnostics_for, facts_for, scan_tree, texts
from infrascan.detectors.terraform import TerraformDetector, decode_version, directory_env, tfvars_env
from infrascan.detectors.terraform_hcl import (
    UNKNOWN,
    EmptyScope,
    cache_dir,
    evaluate_string,
    parse_hcl,
    regex_blocks,
    type_spec,
    unterminated_heredoc,
    with_type_defaults,
)

from infrascan.catalog import load_catalog
from infrascan.detector import SourceFile
from infrascan.model import Confidence, Evidence, FactScope

DETECTOR = TerraformDetector()


def tree(case: str) -> dict[str, str | bytes]:
    base = FIXTURES / "terraform" / case
    return {p.relative_to(base).as_posix(): p.read_text(encoding="utf-8") for p in base.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Scanned]:
    names = ("terragrunt", "workspaces", "gcp_tfvars", "aws_modules", "azure", "foundation", "reusable", "broken")
    return {name: scan_tree(tmp_path_factory.mktemp(name), tree(name)) for name in names}


def declared(scanned: Scanned, field: str, env: str | None = None) -> list[str]:
    return [f.text for f in facts_for(scanned.model, field, env) if f.confidence is not Confidence.HINT]


def hints(scanned: Scanned, field: str, env: str | None = None) -> list[str]:
    return [f.text for f in facts_for(scanned.model, field, env) if f.confidence is Confidence.HINT]


# -- the HCL layer ---------------------------------------------------------------------------


def test_blocks_carry_body_and_attribute_lines() -> None:
    source = '# c\nresource "aws_db_instance" "db" {\n  engine = "postgres"\n  settings {\n    tier = "x"\n  }\n}\n'
    parsed = parse_hcl(source)
    block = parsed.blocks[0]
    assert (block["type"], block["labels"], block["line"]) == ("resource", ["aws_db_instance", "db"], 2)
    assert block["body"]["engine"] == "postgres"  # quotes stripped, no __is_block__ keys
    assert block["lines"] == {"engine": 3, "settings": 4, "settings.tier": 5}
    assert parsed.error is None


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('${var.env == "prod" ? 1 : 0}', 1),
        ("db-${var.env}", "db-prod"),
        ('${lookup(local.sizes, var.env, "small")}', "large"),
        ("${local.sizes[var.env]}", "large"),
        ('${try(local.sizes.qa, "none")}', "none"),
        ("${module.vpc.id}", UNKNOWN),
        ('${join(".", [var.env, module.dns.outputs.zone])}', UNKNOWN),  # never `prod.UNKNOWN`
        ('${format("%s-%s", var.env, "eu")}', "prod-eu"),
        ("${[for x in var.list : x]}", UNKNOWN),
        ('${var.env != "prod" && module.x.y}', False),
        ("$${literal}", "${literal}"),
    ],
)
def test_expressions_evaluate_what_is_literal(expression: str, expected: object) -> None:
    class Scope(EmptyScope):
        def lookup(self, path: list[object]) -> tuple[object, int]:
            values = {("var", "env"): "prod", ("local", "sizes"): {"prod": "large", "dev": "small"}}
            key = (str(path[0]), str(path[1])) if len(path) > 1 else ("", "")
            return (values[key], 2) if key in values else (UNKNOWN, len(path))

    assert evaluate_string(expression, Scope()) == expected


def test_object_type_defaults_fill_missing_attributes() -> None:
    # terraform-example-foundation 1-org/modules/centralized-logging: retention_days = optional(number, 30)
    spec = type_spec("${object({log_bucket_id = optional(string, null), retention_days = optional(number, 30)})}")
    assert with_type_defaults({"log_bucket_id": "AggregatedLogs"}, spec) == {
        "log_bucket_id": "AggregatedLogs",
        "retention_days": 30,
    }


@pytest.mark.parametrize(
    ("value", "tech", "expected"),
    [
        ("15.4", "postgresql", "15"),
        ("9.6.22", "postgresql", "9.6"),
        ("POSTGRES_15", "postgresql", "15"),
        ("8.0.mysql_aurora.3.05.2", "mysql", "8.0"),
        ("MYSQL_8_0", "mysql", "8.0"),
        ("REDIS_7_0", "redis", "7"),
        ("OpenSearch_2.11", "opensearch", "2"),
        ("7.x", "redis", "7"),
        ("latest", "redis", None),
    ],
)
def test_engine_versions_decode_to_major(value: str, tech: str, expected: str | None) -> None:
    assert decode_version(value, load_catalog().get(tech)) == expected


@pytest.mark.parametrize(
    ("path", "env"),
    [
        ("envs/production", "production"),
        ("environments/prod/us-east-1", "prod"),
        ("live/acme-prod/eu-west-1/staging/app", "staging"),
        ("4-projects/business_unit_1/nonproduction", "nonproduction"),
        ("production/terraform/modules/s3", None),  # grafana/loki: a module, not a production root
        ("terraform/eks/default", None),
        ("envs/modules", None),
        ("envs/integration", "integration"),
        ("modules/datadog-integration", None),  # cloudposse/terraform-aws-components: a component, not an env
    ],
)
def test_environment_of_a_directory(path: str, env: str | None) -> None:
    assert directory_env(path) == env


def test_environment_of_a_tfvars_file() -> None:
    assert tfvars_env("env/prod.tfvars") == "prod"
    assert tfvars_env("staging.auto.tfvars") == "staging"
    assert tfvars_env("terraform.tfvars") is None
    assert tfvars_env("common.tfvars") is None


def test_grammar_cache_directory_falls_back_when_unwritable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert cache_dir() is None
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert cache_dir() == tmp_path / "cache" / "infrascan"


def test_hcl2_is_imported_only_for_terraform_and_caches_its_grammar_in_infrascan_cache(tmp_path: Path) -> None:
    plain, terraform = tmp_path / "plain", tmp_path / "tf"
    (plain / "src").mkdir(parents=True)
    (plain / "docker-compose.yml").write_text("services:\n  db:\n    image: postgres:16\n")
    terraform.mkdir()
    (terraform / "main.tf").write_text('resource "aws_sqs_queue" "q" {\n  name = "q"\n}\n')
    script = textwrap.dedent(
        f"""
        import json, sys
        sys.path.insert(0, {str(ROOT / "tests")!r})
        from helpers import scan_dir
        scan_dir(__import__("pathlib").Path({str(plain)!r}))
        before = "hcl2" in sys.modules
        scan_dir(__import__("pathlib").Path({str(terraform)!r}))
        import hcl2.parser
        print(json.dumps([before, str(hcl2.parser.PARSER_FILE)]))
        """
    )
    # conftest gives the session its own XDG_CACHE_HOME; the subprocess inherits it.
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    before, parser_file = json.loads(out.stdout.strip().splitlines()[-1])
    assert before is False
    assert parser_file.startswith(str(Path(os.environ["XDG_CACHE_HOME"]) / "infrascan"))
    assert Path(parser_file).exists()


# -- broken input ----------------------------------------------------------------------------


def test_a_syntax_error_is_a_diagnostic_and_its_resources_are_still_found(cases: dict[str, Scanned]) -> None:
    broken = cases["broken"]
    [message] = diagnostics_for(broken.model, "envs/prod/main.tf")
    assert "cannot parse" in message and "regex fallback" in message
    assert [d.line for d in broken.model.diagnostics if d.path == "envs/prod/main.tf"] == [5]
    databases = declared(broken, "env.database", "production")
    assert "PostgreSQL 14 (Amazon RDS): aws_db_instance.main" in databases
    assert "Redis 6 (Amazon ElastiCache): aws_elasticache_cluster.cache" in databases


def test_an_unterminated_heredoc_is_named_with_its_line(cases: dict[str, Scanned]) -> None:
    broken = cases["broken"]
    [message] = diagnostics_for(broken.model, "envs/prod/policy.tf")
    assert "unterminated heredoc <<POLICY" in message
    assert [d.line for d in broken.model.diagnostics if d.path == "envs/prod/policy.tf"] == [3]
    assert unterminated_heredoc("a = <<EOT\nx\nEOT\nb = <<-X\n") == (4, "X")
    assert "Amazon SQS: aws_sqs_queue.jobs" in declared(broken, "env.database", "production")


def test_terraform_json_is_read_and_invalid_json_is_a_diagnostic(cases: dict[str, Scanned]) -> None:
    broken = cases["broken"]
    assert "Amazon SQS (FIFO): aws_sqs_queue.events" in declared(broken, "env.database", "production")
    assert declared(broken, "env.url", "production") == ["https://shop.acme-retail.com (output app_url)"]
    assert any("invalid JSON" in m for m in diagnostics_for(broken.model, "envs/prod/bad.tf.json"))


def test_regex_fallback_reads_literal_attributes() -> None:
    [block] = regex_blocks('\n\nresource "aws_db_instance" "x" {\n  engine = "mysql" # c\n  count = 2\n}\n')
    assert block["line"] == 3 and block["body"] == {"engine": "mysql", "count": 2}


def test_extract_never_raises_on_garbage() -> None:
    out = DETECTOR.extract(SourceFile("main.tf", 'resource "a" {{{ "\n<<EOF\n${'))
    assert out.diagnostics and out.records


# -- environments, module binding, count --------------------------------------------------------


def test_workspaces_are_environments_and_count_drops_resources(cases: dict[str, Scanned]) -> None:
    ws = cases["workspaces"]
    assert declared(ws, "env.database", "production") == [
        "MySQL 8.0 (Amazon RDS, db.r6g.xlarge, Multi-AZ): aws_db_instance.main",
        "Memcached 1.6 (Amazon ElastiCache, cache.t4g.small, 2 nodes): aws_elasticache_cluster.memcached",
    ]
    assert declared(ws, "env.database", "staging") == ["MySQL 8.0 (Amazon RDS, db.t4g.small): aws_db_instance.main"]


def test_env_tfvars_kept_apart_bind_variables_per_environment(cases: dict[str, Scanned]) -> None:
    gcp = cases["gcp_tfvars"]
    prod = declared(gcp, "env.database", "production")
    assert (
        "PostgreSQL 15 (Cloud SQL, db-custom-4-16384, regional (high availability)): google_sql_database_instance.main"
        in prod
    )
    assert "MySQL 8.0 (Cloud SQL, db-f1-micro): google_sql_database_instance.legacy" in prod
    assert "Redis 7 (Memorystore for Redis, 1 GB, Standard HA tier): google_redis_instance.cache" in prod
    assert "PostgreSQL 15 (Cloud SQL, db-custom-1-3840): google_sql_database_instance.main" in declared(
        gcp, "env.database", "staging"
    )
    evidence = next(f for f in facts_for(gcp.model, "env.database", "production") if "PostgreSQL" in f.text).evidence
    assert any(e.path == "infra/environments/production.tfvars" for e in evidence)


def test_data_sources_are_pre_existing_not_managed(cases: dict[str, Scanned]) -> None:
    assert hints(cases["gcp_tfvars"], "env.database", "production") == [
        "Existing Cloud SQL read by data.google_sql_database_instance.analytics (a data source: not managed here)"
    ]


def test_ha_settings_and_slos_are_sla_signals_never_an_sla(cases: dict[str, Scanned]) -> None:
    gcp = cases["gcp_tfvars"]
    assert declared(gcp, "env.sla", "production") == []
    signals = hints(gcp, "env.sla", "production")
    assert "Availability signal, not an SLA: google_redis_instance.cache Standard HA tier" in signals
    assert any(s.startswith("Service level objective 99.5% of requests succeed 99.5%") for s in signals)
    assert not [s for s in hints(gcp, "env.sla", "staging") if "Availability signal" in s]


def test_dns_records_resolve_relative_to_their_zone(cases: dict[str, Scanned]) -> None:
    gcp = cases["gcp_tfvars"]
    assert declared(gcp, "env.url", "production") == [
        "https://app.orders.acme-retail.com (Cloud DNS record google_dns_record_set.app)"
    ]
    assert declared(gcp, "env.url", "staging")[0].startswith("https://app.staging.orders.acme-retail.com")


def test_terragrunt_units_take_environment_from_env_hcl(cases: dict[str, Scanned]) -> None:
    tg = cases["terragrunt"]
    assert {f.env for f in tg.model.facts if f.env} == {"production", "qa"}
    mysql = hints(tg, "env.database", "qa")
    assert mysql == [
        "Probably MySQL (from the module's name; its engine and version are set inside module "
        "github.com/acme/infrastructure-modules//modules/mysql v0.8.0, which is not in this repository): "
        "Terragrunt unit mysql"
    ]
    # cited at the `source` line that names the module, not at `terraform {`
    [hint] = [f for f in facts_for(tg.model, "env.database", "qa") if f.confidence is Confidence.HINT]
    assert hint.evidence[0] == Evidence("non-prod/us-east-1/qa/mysql/terragrunt.hcl", 11, "terraform")
    assert "AWS, region us-east-1 (provider generated by root.hcl)" in declared(tg, "env.special", "qa")
    prod_special = declared(tg, "env.special", "production")
    assert "AWS, region eu-west-1 (provider generated by root.hcl)" in prod_special
    [provider] = [f for f in facts_for(tg.model, "env.special", "production") if "provider generated by" in f.text]
    # where the region is written, not only the template line that reads it
    assert "prod/eu-west-1/region.hcl" in {e.path for e in provider.evidence}


def test_terragrunt_local_module_is_bound_with_unit_inputs(cases: dict[str, Scanned]) -> None:
    tg = cases["terragrunt"]
    assert declared(tg, "env.database", "production") == [
        "Valkey 8 (Amazon ElastiCache, cache.r6g.large, automatic failover, 3 nodes): "
        "aws_elasticache_replication_group.this"
    ]
    assert not declared(tg, "env.database", "qa")


def test_root_defaults_that_switch_a_resource_off_make_it_optional(cases: dict[str, Scanned]) -> None:
    # Azure-Samples/aks-store-demo: `count = local.deploy_x ? 1 : 0`, deploy_x defaults to "false".
    azure = cases["azure"]
    [bus] = hints(azure, "env.database", "staging")
    assert bus.startswith("Azure Service Bus (Standard, module Azure/avm-res-servicebus-namespace/azurerm 0.4.0)")
    assert bus.endswith("(optional: off with the default of deploy_azure_servicebus)")
    # a weaker lead than anything switched on: listed after it among the hints (aks-store-demo)
    [bus_fact] = [f for f in facts_for(azure.model, "env.database", "staging") if f.text == bus]
    assert bus_fact.rank >= 50
    assert hints(azure, "log.retention") == [
        "Log Analytics workspace logs-store: 30 days (optional: off with the default of "
        "deploy_observability_tools) (staging)"
    ]


def test_backend_key_names_the_environment(cases: dict[str, Scanned]) -> None:
    azure = cases["azure"]
    assert "Terraform state in the azurerm backend: staging.terraform.tfstate" in declared(
        azure, "env.special", "staging"
    )
    assert "PostgreSQL 16 (Azure Database for PostgreSQL, GP_Standard_D2s_v3, ZoneRedundant high availability)" in (
        " ".join(declared(azure, "env.database", "staging"))
    )


def test_roots_without_environment_are_hints_for_every_environment(cases: dict[str, Scanned]) -> None:
    # aws-containers/retail-store-sample-app: roots per target (ecs/default), no environment named.
    aws = cases["aws_modules"]
    stores = hints(aws, "env.database")
    assert {f.env for f in facts_for(aws.model, "env.database")} == {None}
    assert (
        "PostgreSQL 15 (Amazon Aurora, db.t3.medium, 2 instances, module terraform-aws-modules/rds-aurora/aws 7.7.1): "
        "module.dependencies.module.orders_rds" in stores
    )
    assert any(s.startswith("MySQL 8.0 (Amazon Aurora") for s in stores)
    assert any(s.startswith("Redis (Amazon ElastiCache, no engine_version input: the module's default") for s in stores)
    assert "RabbitMQ 3 (Amazon MQ, mq.m5.large): module.dependencies.aws_mq_broker.mq" in stores
    assert hints(aws, "env.url") == []  # an output known after apply, with no environment: nothing to say


def test_a_module_under_a_production_folder_is_not_production(cases: dict[str, Scanned]) -> None:
    reusable = cases["reusable"]
    assert [f.env for f in facts_for(reusable.model, "env.database")] == [None]


def test_unknown_parts_never_reach_a_url_and_vendor_urls_are_not_the_environments(cases: dict[str, Scanned]) -> None:
    reusable = cases["reusable"]
    assert facts_for(reusable.model, "env.url") == []
    assert "unknown" not in reusable.markdown.lower().replace("unknown)", "")


def test_optional_object_attributes_resolve_module_inputs(cases: dict[str, Scanned]) -> None:
    foundation = cases["foundation"]
    assert declared(foundation, "log.retention") == ["Cloud Logging bucket AggregatedLogs: 30 days (shared)"]
    [retention] = facts_for(foundation.model, "log.retention")
    # the 30 comes from the variable's type (`optional(number, 30)`), which the call leaves out: cited
    assert ("1-org/modules/centralized-logging/main.tf", 52) in [(e.path, e.line) for e in retention.evidence]
    assert "Terraform state in the gcs backend: terraform/org/state" in declared(foundation, "env.special", "shared")
    # `>= 3.50, < 8.0` pins no major version, and `.tf.example` files are not configuration
    assert "Google Cloud (provider hashicorp/google)" in declared(foundation, "env.special", "nonproduction")
    assert not any("not/read" in f.text for f in foundation.model.facts)
    assert "nonproduction" in foundation.model.environments and "production" not in {
        f.env for f in foundation.model.facts
    }


# -- monitoring, logs, alerts, channels ---------------------------------------------------------


def test_alert_policies_by_declared_severity(cases: dict[str, Scanned]) -> None:
    gcp = cases["gcp_tfvars"]
    assert declared(gcp, "alert.critical") == [
        "Cloud Monitoring alert policy Cloud SQL instance down: database/up == 0 (severity = CRITICAL) (staging, "
        "production)"
    ]
    assert declared(gcp, "alert.warning") == [
        "Cloud Monitoring alert policy p99 latency: p99 > 2s (severity = WARNING) (staging, production)"
    ]
    assert declared(gcp, "alert.channels") == [
        "Email: Cloud Monitoring notification channel On-call email (staging, production)"
    ]


def test_azure_severities_and_action_group_receivers(cases: dict[str, Scanned]) -> None:
    azure = cases["azure"]
    assert declared(azure, "alert.critical") == [
        "Azure Monitor metric alert db-cpu: cpu_percent GreaterThan 90 (severity = 1) (staging)"
    ]
    assert hints(azure, "alert.warning") == [
        "Azure Monitor metric alert db-storage: storage_percent GreaterThan 80 (severity = 3 by default: "
        "informational) (staging)"
    ]
    [channel] = declared(azure, "alert.channels")
    assert channel == "Email, Microsoft Teams: Azure Monitor action group ops (staging)"
    assert "IncomingWebhook" not in azure.markdown


def test_log_retention_per_environment_and_monitoring_counts(cases: dict[str, Scanned]) -> None:
    gcp = cases["gcp_tfvars"]
    assert sorted(declared(gcp, "log.retention")) == [
        "Cloud Logging bucket _Default: 30 days (staging)",
        "Cloud Logging bucket _Default: 400 days (production)",
    ]
    assert declared(gcp, "mon.performance") == [
        "Google Cloud Monitoring and Logging (Terraform): 1 SLO (google_monitoring_slo): availability, "
        "1 uptime check (google_monitoring_uptime_check_config): https"
    ]
    aws = cases["aws_modules"]
    assert declared(aws, "log.retention") == [
        "CloudWatch log group retail-store-ecs-tasks: never expires (no retention_in_days)",
        "CloudWatch log group retail-store-eks-tasks: never expires (no retention_in_days)",
    ]
    assert declared(aws, "mon.infrastructure") == [
        "Amazon CloudWatch (Terraform): 1 Container Insights on ECS cluster (aws_ecs_cluster): retail-store-ecs-cluster"
    ]


def test_a_topic_a_log_sink_writes_to_is_not_a_queue(cases: dict[str, Scanned]) -> None:
    reusable = cases["reusable"]
    assert not any("Pub/Sub" in t for t in texts(facts_for(reusable.model, "env.database")))
    assert (
        "Google Cloud Monitoring and Logging (Terraform): "
        "1 log sink to a Pub/Sub topic (google_logging_project_sink): cloud-logs"
        in declared(reusable, "log.aggregation")
    )


def test_example_roots_are_example_scoped(tmp_path: Path) -> None:
    scanned = scan_tree(
        tmp_path,
        {
            "main.tf": 'variable "engine_version" {}\nresource "aws_db_instance" "db" {\n  engine = "postgres"\n'
            "  engine_version = var.engine_version\n}\n",
            "examples/complete/main.tf": 'module "db" {\n  source = "../.."\n  engine_version = "16.1"\n}\n'
            'provider "aws" {\n  region = "us-east-1"\n}\n',
            "examples/complete/prod.tfvars": "",
        },
    )
    example = [f for f in facts_for(scanned.model, "env.database", "production")]
    assert [f.text for f in example] == ["PostgreSQL 16 (Amazon RDS): module.db.aws_db_instance.db"]
    assert example[0].scope is FactScope.EXAMPLE


def test_lessons_from_real_repositories(cases: dict[str, Scanned]) -> None:
    """One assertion per fix made while reading real repositories' documents (see the fixtures' comments)."""
    aws, azure, reusable = cases["aws_modules"], cases["azure"], cases["reusable"]
    # retail-store: the same library module under two roots without environment is said once
    assert len(hints(aws, "env.sla")) == 1
    # cloudposse deprecated components: git URLs of registry modules are mapped and shown short
    assert (
        "MySQL 5.6 (Amazon RDS, db.t2.micro, module github.com/cloudposse/terraform-aws-rds tags/0.4.4): "
        "module.dependencies.module.legacy_rds" in hints(aws, "env.database")
    )
    # aks-store-demo: Azure's verified Cosmos DB module with a MongoDB server version; an OIDC issuer is no URL
    assert (
        "MongoDB 4 (Azure Cosmos DB, module Azure/avm-res-documentdb-databaseaccount/azurerm 0.10.0): module.db"
        in declared(azure, "env.database", "staging")
    )
    assert facts_for(azure.model, "env.url") == []
    # cloudposse: an implied provider source is not invented, a DB hostname output is no URL,
    # and a retention that is only the component's default says so
    [datadog] = facts_for(reusable.model, "mon.infrastructure")
    assert (datadog.text, datadog.confidence) == (
        "Datadog: managed from Terraform (provider datadog)",
        Confidence.INFERRED,
    )
    assert declared(reusable, "log.retention") == [
        "CloudWatch log group /aws/events/api: 3 days (default of retention_in_days)"
    ]


def test_roots_declaring_the_same_state_are_alternatives_not_stacks(cases: dict[str, Scanned]) -> None:
    # terraform-example-foundation: the roots of one environment share one state line; the two network
    # stages (svpc, hub-and-spoke) declare the same bucket and prefix, so they are not two deployed stacks
    assert (
        "Terraform state in the gcs backend (3 root modules): terraform/environments/nonproduction, "
        "terraform/networks/nonproduction; 3-networks-hub-and-spoke/envs/nonproduction and "
        "3-networks-svpc/envs/nonproduction declare the same state (terraform/networks/nonproduction): "
        "alternatives, not separate stacks"
    ) in declared(cases["foundation"], "env.special", "nonproduction")


def test_terragrunt_remote_state_is_read_per_unit(cases: dict[str, Scanned]) -> None:
    # gruntwork-io/terragrunt-infrastructure-live-example root.hcl: `remote_state { backend = "s3" }`
    # with `key = "${path_relative_to_include()}/tf.tfstate"`, evaluated for each unit that includes it;
    # its lock table and encryption are said too (the table is shared infrastructure operators must know)
    tg = cases["terragrunt"]
    assert (
        "Terraform state in the s3 backend, bucket acme-tf-state-eu-west-1 (when TG_BUCKET_PREFIX is unset), "
        "locked by DynamoDB table tf-locks, encrypted (2 Terragrunt units): "
        "prod/eu-west-1/prod/cache/tf.tfstate, prod/eu-west-1/prod/mysql/tf.tfstate"
    ) in declared(tg, "env.special", "production")
    assert (
        "Terraform state in the s3 backend, bucket acme-tf-state-us-east-1 (when TG_BUCKET_PREFIX is unset), "
        "locked by DynamoDB table tf-locks, encrypted: non-prod/us-east-1/qa/mysql/tf.tfstate"
    ) in declared(tg, "env.special", "qa")
    [state] = [f for f in facts_for(tg.model, "env.special", "qa") if f.text.startswith("Terraform state")]
    assert state.evidence[0] == Evidence("root.hcl", 19, "terraform"), "`backend = \"s3\"`, not `config = {`"


def test_an_s3_backend_says_how_its_state_is_locked_and_whether_it_is_encrypted(tmp_path: Path) -> None:
    # Terraform 1.10's `use_lockfile` needs no table; a table left as a placeholder is not a name to
    # print; stacks that lock differently share no lock on their line
    def backend(env: str, settings: str) -> str:
        return (f'terraform {{\n  backend "s3" {{\n    bucket = "acme-state"\n    key = "{env}.tfstate"\n'
                f'{settings}  }}\n}}\nprovider "aws" {{\n  region = "eu-west-1"\n}}\n'
                'resource "aws_s3_bucket" "assets" {\n  bucket = "acme-assets"\n}\n')

    scanned = scan_tree(tmp_path, {
        "envs/production/main.tf": backend("production", '    use_lockfile = true\n    encrypt = true\n'),
        "envs/staging/main.tf": backend("staging", '    dynamodb_table = "REPLACE_ME"\n'),
        "envs/dev/a/main.tf": backend("dev-a", '    dynamodb_table = "locks"\n    encrypt = true\n'),
        "envs/dev/b/main.tf": backend("dev-b", '    encrypt = true\n'),
    })
    assert ("Terraform state in the s3 backend, bucket acme-state, locked by a lock file beside the state, "
            "encrypted: production.tfstate") in declared(scanned, "env.special", "production")
    assert "Terraform state in the s3 backend, bucket acme-state: staging.tfstate" in declared(
        scanned, "env.special", "staging")
    assert ("Terraform state in the s3 backend, bucket acme-state, encrypted (2 root modules): "
            "dev-a.tfstate, dev-b.tfstate") in declared(scanned, "env.special", "development")


def test_terragrunt_units_get_their_component_defaults_from_envcommon(cases: dict[str, Scanned]) -> None:
    # gruntwork-io/terragrunt-infrastructure-live-example: `include "envcommon"` brings
    # _envcommon/mysql.hcl's inputs, shallow-merged under the unit's own (the unit wins); root.hcl's
    # inputs reach every unit and are not repeated on each line; `no_merge` includes merge nothing
    tg = cases["terragrunt"]
    assert (
        "Terragrunt unit mysql sets allocated_storage = 100, instance_class = db.r6g.large, "
        "and gets name = mysql_prod from _envcommon/mysql.hcl"
    ) in declared(tg, "env.special", "production")
    [qa] = [f for f in facts_for(tg.model, "env.special", "qa") if f.text.startswith("Terragrunt unit")]
    assert (
        qa.text == "Terragrunt unit mysql gets instance_class = db.t3.micro, name = mysql_qa from _envcommon/mysql.hcl"
    )
    # the unit's include first: the fact belongs to the unit's component, as a unit that sets its own
    # inputs does (the components table gave the prod units an environment and the qa ones none)
    assert [(e.path, e.line) for e in qa.evidence] == [
        ("non-prod/us-east-1/qa/mysql/terragrunt.hcl", 5),
        ("_envcommon/mysql.hcl", 8),
    ]
    assert qa.component == "non-prod/us-east-1/qa/mysql"
    assert "Terragrunt unit cache sets node_type = cache.r6g.large, replicas = 2" in declared(
        tg, "env.special", "production"
    )


def test_log_export_sinks_name_their_parent_type_and_destination(cases: dict[str, Scanned]) -> None:
    # terraform-example-foundation centralized-logging: terraform-google-modules/log-export calls. The
    # sink type follows `parent_resource_type` (the module's source when that is not resolved), the
    # destination is the URI's service or the destination submodule (one with `count = 0` is not
    # created), and a call whose `log_sink_name` is not resolved is named by its address, not its label
    [line] = declared(cases["foundation"], "log.aggregation")
    assert line == (
        "Google Cloud Monitoring and Logging (Terraform): "
        "1 Cloud Logging bucket (google_logging_project_bucket_config): AggregatedLogs, "
        "1 log sink to a Cloud Logging bucket (google_logging_project_sink): sk-c-logging-prj-la, "
        "1 log sink to a Cloud Storage bucket (terraform-google-modules/log-export/google): module.log_export"
    )


def test_a_name_an_empty_default_leaves_hanging_is_shown_as_written(tmp_path: Path) -> None:
    # terraform-aws-eks: `name = "/aws/eks/${var.name}/cluster"` with `default = ""` was shown as
    # "/aws/eks//cluster"; an empty prefix that leaves nothing hanging still reads as its value
    scanned = scan_tree(tmp_path, {
        "variables.tf": 'variable "name" {\n  type    = string\n  default = ""\n}\n'
                        'variable "prefix" {\n  type    = string\n  default = ""\n}\n',
        "main.tf": 'resource "aws_cloudwatch_log_group" "this" {\n'
                   '  name              = "/aws/eks/${var.name}/cluster"\n  retention_in_days = 90\n}\n'
                   'resource "aws_cloudwatch_log_group" "app" {\n  name              = "${var.prefix}app-logs"\n'
                   '  retention_in_days = 30\n}\n',
    })
    retention = texts(facts_for(scanned.model, "log.retention"))
    assert "CloudWatch log group /aws/eks/${var.name}/cluster: 90 days" in retention
    assert "CloudWatch log group app-logs: 30 days" in retention


def test_a_terragrunt_stack_s_units_are_read_and_its_nested_stacks_named_as_unread(tmp_path: Path) -> None:
    # terragrunt-infrastructure-live-stacks-example: its only deployables are the `unit` blocks of
    # terragrunt.stack.hcl files, from a catalog; the document filled none of 32 fields
    stack = ('locals {\n  name = "svc"\n}\n\nunit "db" {\n'
             '  source = "github.com/acme/catalog//units/dynamodb-table"\n  path = "db"\n'
             '  values = {\n    version = "main"\n    name = "${local.name}-db"\n    hash_key = "Id"\n  }\n}\n\n'
             'unit "role" {\n  source = "github.com/acme/catalog//units/lambda-iam-role-to-dynamodb"\n'
             '  path = "roles/role"\n  values = {\n    name = "${local.name}-role"\n  }\n}\n')
    scanned = scan_tree(tmp_path, {"root.hcl": 'locals {\n  x = 1\n}\n',
                                   "prod/us-east-1/svc/terragrunt.stack.hcl": stack})
    assert hints(scanned, "env.database", "production") == [
        "Probably DynamoDB (from the module's name; its engine and version are set inside module "
        "github.com/acme/catalog//units/dynamodb-table main, which is not in this repository): Terragrunt unit db"
    ], "a role granting access to a table is not the table"
    special = declared(scanned, "env.special", "production")
    assert "Terragrunt stack unit db sets hash_key = Id, name = svc-db (catalog version main)" in special
    [db] = [f for f in facts_for(scanned.model, "env.special", "production") if "unit db" in f.text]
    assert db.evidence[0] == Evidence("prod/us-east-1/svc/terragrunt.stack.hcl", 8, "terraform")
    # a nested stack's units come from another stack file: named as not read
    nested = 'stack "services" {\n  source = "github.com/acme/catalog//stacks/services"\n  path = "services"\n}\n'
    (tmp_path / "nested").mkdir()
    scanned = scan_tree(tmp_path / "nested", {"prod/terragrunt.stack.hcl": nested})
    [diagnostic] = [d for d in scanned.model.diagnostics if d.detector == "terraform"]
    assert (diagnostic.path, diagnostic.line) == ("prod/terragrunt.stack.hcl", 1) and diagnostic.unparsed
    assert "not fully parsed: prod/terragrunt.stack.hcl" in scanned.markdown
