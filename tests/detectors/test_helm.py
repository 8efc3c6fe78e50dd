"""The Helm detector: charts, values per environment, templates read without a helm binary."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import infrascan.detectors.helm as helm
import pytest
from helpers import FIXTURES, Scanned, facts_for, scan_tree, texts
from hypothesis import given
from hypothesis import strategies as st
from infrascan.detectors.helm import (
    UNKNOWN,
    HelmDetector,
    Layer,
    Merger,
    Scope,
    Values,
    blank_template,
    evaluate,
    guard_state,
    parse_helm_command,
    render,
)

from infrascan.detector import SourceFile
from infrascan.model import Confidence, Fact
from infrascan.yamlload import load_yaml


def fixture_tree(name: str) -> dict[str, str | bytes]:
    root = FIXTURES / "helm" / name
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in root.rglob("*") if p.is_file()}


def scan(tmp_path: Path, name: str, extra: dict[str, str | bytes] | None = None) -> Scanned:
    return scan_tree(tmp_path, {**fixture_tree(name), **(extra or {})})


def one(facts: list[Fact], needle: str) -> Fact:
    found = [f for f in facts if needle in f.text]
    assert len(found) == 1, (needle, texts(facts))
    return found[0]


def paths(fact: Fact) -> set[str]:
    return {e.path for e in fact.evidence}


# -- the shop chart: three values files, a subchart condition, a hook in a .tpl --------------


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    return scan(tmp_path_factory.mktemp("shop"), "shop")


def test_subchart_database_only_where_its_condition_is_true(shop: Scanned) -> None:
    prod = one(facts_for(shop.model, "env.database", "production"), "PostgreSQL")
    assert prod.confidence is Confidence.DECLARED
    assert prod.text.startswith("PostgreSQL 16 in-cluster: subchart postgresql (chart postgresql 14.2.3)")
    assert "bitnamilegacy/postgresql:16.4.0-debian-12-r2" in prod.text  # the prod override of the tag
    assert "charts/shop/values-prod.yaml" in paths(prod)
    dev = one(facts_for(shop.model, "env.database", "development"), "PostgreSQL")
    assert "in-cluster" not in dev.text
    assert "external" in dev.text and "postgresql.enabled: false" in dev.text
    assert "db.dev.shop.internal" in dev.text


def test_chart_version_is_never_the_database_version(shop: Scanned) -> None:
    databases = texts(facts_for(shop.model, "env.database"))
    assert not any(t.startswith("PostgreSQL 14") for t in databases)
    redis = one(facts_for(shop.model, "env.database", "production"), "Redis")
    assert redis.text.startswith("Redis (app version unknown) in-cluster: subchart redis (chart redis 18.4.0)")


def test_external_setting_of_another_engine_is_not_reused(shop: Scanned) -> None:
    """`externalDatabase.host` is PostgreSQL's; Redis switched off has no external setting of its own."""
    redis = one(facts_for(shop.model, "env.database", "development"), "Redis")
    assert redis.confidence is Confidence.HINT
    assert "db.dev.shop.internal" not in redis.text


def test_ingress_hosts_are_urls_and_the_scaffold_host_is_not(shop: Scanned) -> None:
    prod = one(facts_for(shop.model, "env.url", "production"), "https://")
    assert prod.text.startswith("https://shop.acme-retail.com from ingress.hosts.0.host in chart shop")
    assert prod.attrs["url"] == "https://shop.acme-retail.com"
    assert "https://staging.shop.acme-retail.com" in texts(facts_for(shop.model, "env.url", "staging"))[0]
    assert not facts_for(shop.model, "env.url", "development")
    assert not any("chart-example.local" in f.text for f in shop.model.facts)


def test_special_configurations_per_environment(shop: Scanned) -> None:
    prod = texts(facts_for(shop.model, "env.special", "production"))
    assert any("replicaCount: 3 replicas" in t for t in prod)
    assert any("autoscaling: 3–12 replicas at 70% CPU" in t for t in prod)
    assert any("podDisruptionBudget: minAvailable 2" in t for t in prod)
    assert any("resources: requests cpu 500m, memory 512Mi" in t for t in prod)
    staging = texts(facts_for(shop.model, "env.special", "staging"))
    assert any("replicaCount: 2 replicas" in t for t in staging)
    assert not any("autoscaling" in t for t in staging)
    assert any("RAILS_ENV=development" in t for t in texts(facts_for(shop.model, "env.special", "development")))


def test_migration_hook_job_defined_in_a_tpl(shop: Scanned) -> None:
    hook = one(facts_for(shop.model, "deploy.migration.strategy"), "hook Job")
    assert hook.text.startswith("Helm pre-install/pre-upgrade hook Job runs rails db:prepare or rails db:migrate")
    assert "before rollout" in hook.text
    assert "rendered when migrations.enabled: true" in hook.text  # the guard of the include site
    assert "charts/shop/templates/_db-migrate.tpl" in paths(hook)
    assert hook.confidence is Confidence.DECLARED


def test_prometheus_rule_alerts_by_severity(shop: Scanned) -> None:
    critical = one(facts_for(shop.model, "alert.critical"), "ShopHighErrorRate")
    assert critical.confidence is Confidence.DECLARED
    assert "rendered when metrics.prometheusRule.enabled: true (prod)" in critical.text
    warning = one(facts_for(shop.model, "alert.warning"), "ShopSlowCheckout")
    assert "for 10m" in warning.text
    info = one(facts_for(shop.model, "alert.warning"), "ShopQueueBacklog")
    assert info.confidence is Confidence.HINT  # severity info is neither critical nor warning


def test_service_monitor_switched_on_in_some_environments(shop: Scanned) -> None:
    monitor = one(facts_for(shop.model, "mon.infrastructure"), "ServiceMonitor")
    assert monitor.confidence is Confidence.DECLARED  # the Capabilities check is assumed to pass
    assert "(prod, staging)" in monitor.text


def test_probes_and_helm_test_verify_a_rollout(shop: Scanned) -> None:
    verify = texts(facts_for(shop.model, "deploy.rollback.verify"))
    assert any("readiness probes" in t and "GET /health/ready" in t for t in verify)
    assert any(t.startswith("helm test hook Pod runs curl -fsS") for t in verify)


def test_template_that_is_not_yaml_gives_a_diagnostic_and_the_rest_is_read(shop: Scanned) -> None:
    diagnostics = [d for d in shop.model.diagnostics if d.path.endswith("configmap-broken.yaml")]
    assert [(d.line, d.severity.value) for d in diagnostics] == [(10, "info")]
    assert "not YAML once template actions are removed" in diagnostics[0].message
    assert facts_for(shop.model, "alert.critical")


def test_rendered_document_cites_values_and_chart(shop: Scanned) -> None:
    assert "Helm chart shop (charts/shop/Chart.yaml): chart 4.2.0, app version 2.7.1" in texts(
        facts_for(shop.model, "deploy.steps")
    )


# -- other layouts -----------------------------------------------------------------------------


def test_invalid_values_yaml_is_a_diagnostic_and_the_chart_still_counts(tmp_path: Path) -> None:
    scanned = scan(tmp_path, "broken-values")
    diagnostics = [d for d in scanned.model.diagnostics if d.path == "charts/api/values.yaml"]
    assert len(diagnostics) == 1 and diagnostics[0].line == 9
    assert "invalid YAML in Helm values" in diagnostics[0].message
    assert any("replicaCount: 4 replicas" in t for t in texts(facts_for(scanned.model, "env.special", "production")))
    mongo = one(facts_for(scanned.model, "env.database", "production"), "MongoDB")
    assert "condition mongodb.enabled not set (enabled)" in mongo.text
    assert mongo.confidence is Confidence.DECLARED


def test_helm_create_defaults_are_placeholders(tmp_path: Path) -> None:
    scanned = scan(tmp_path, "helm-create")
    assert not facts_for(scanned.model, "env.url")
    assert not [f for f in facts_for(scanned.model, "env.special") if "replica" in f.text]


def test_values_files_next_to_the_chart_folder(tmp_path: Path) -> None:
    scanned = scan(tmp_path, "next-to-chart")
    prod = one(facts_for(scanned.model, "env.special", "production"), "replicaCount")
    assert prod.text == "Helm value replicaCount: 2 replicas in chart sample-app (values values-prod.yaml)"
    assert "qa" in scanned.model.environments


def test_helmfile_environments_choose_values_files(tmp_path: Path) -> None:
    scanned = scan(tmp_path, "helmfile")
    prod = one(facts_for(scanned.model, "env.url", "production"), "https://web.acme-retail.com")
    assert "(helmfile release web)" in prod.text
    assert "values/production.yaml" in paths(prod)
    assert "http://web.staging.acme-retail.com" in texts(facts_for(scanned.model, "env.url", "staging"))[0]


def test_v1_chart_requirements_yaml(tmp_path: Path) -> None:
    scanned = scan(tmp_path, "v1-requirements")
    mysql = one(facts_for(scanned.model, "env.database", "production"), "MySQL")
    assert mysql.text.startswith("MySQL 8.0 in-cluster: subchart mysql (chart mysql 1.6.9)")


def test_flux_helm_release_of_a_repository_chart(tmp_path: Path) -> None:
    scanned = scan(tmp_path, "flux-release")
    postgres = one(facts_for(scanned.model, "env.database", "production"), "PostgreSQL")
    assert postgres.text.startswith("PostgreSQL 15 in-cluster: chart postgresql, image tag 15.4.0-debian-11-r10")
    automatic = one(facts_for(scanned.model, "deploy.rollback.perform"), "Flux")
    assert automatic.attrs.get("automatic") is True


def test_argocd_value_files_give_the_environment(tmp_path: Path) -> None:
    scanned = scan(tmp_path, "argocd-valuefiles")
    url = one(facts_for(scanned.model, "env.url", "production"), "eu.storefront")
    assert "(Argo CD Application storefront-prod)" in url.text
    assert "deploy/chart/overrides/eu.yaml" in paths(url)
    assert one(facts_for(scanned.model, "ci.deploy.automated"), "storefront-prod")


def test_database_run_by_a_chart_template_follows_its_guard(tmp_path: Path) -> None:
    scanned = scan(tmp_path, "template-store")
    dev = one(facts_for(scanned.model, "env.database", "development"), "MySQL")
    assert dev.text.startswith("MySQL 8.0 in-cluster: StatefulSet (image public.ecr.aws/docker/library/mysql:8.0)")
    assert "rendered when mysql.create: true" in dev.text
    assert not facts_for(scanned.model, "env.database", "production")


def test_vendored_subchart_archive_counts_as_a_dependency(tmp_path: Path) -> None:
    scanned = scan(tmp_path, "vendored", {"chart/charts/redis-18.1.0.tgz": b"\x1f\x8b\x08\x00binary"})
    redis = one([f for f in scanned.model.facts if f.field == "env.database"], "Redis")
    assert "subchart redis (chart redis 18.1.0), always installed" in redis.text
    assert redis.confidence is Confidence.HINT  # chart defaults: no environment is stated


def test_include_site_switched_off_makes_the_hook_a_hint(tmp_path: Path) -> None:
    files = fixture_tree("shop")
    files["charts/shop/values.yaml"] = files["charts/shop/values.yaml"].replace(
        "migrations:\n  enabled: true", "migrations:\n  enabled: false"
    )
    scanned = scan_tree(tmp_path, files)
    hook = one(facts_for(scanned.model, "deploy.migration.strategy"), "hook Job")
    assert hook.confidence is Confidence.HINT
    assert "off: migrations.enabled: false" in hook.text


@pytest.mark.parametrize(("use_hook", "who"), [("false", "Kubernetes Job runs"),
                                               ("true", "Helm pre-install/pre-upgrade hook Job")])
def test_a_hook_annotation_in_a_block_of_its_own_is_a_hook_only_where_it_renders(
        tmp_path: Path, use_hook: str, who: str) -> None:
    # oncall: the migrate Job is a hook only with `migrate.useHook: true`, false by default
    job = (
        "{{- if .Values.migrate.enabled -}}\napiVersion: batch/v1\nkind: Job\nmetadata:\n"
        "  {{- if .Values.migrate.useHook }}\n  name: app-migrate\n  annotations:\n"
        '    "helm.sh/hook": pre-install,pre-upgrade\n  {{- else }}\n  name: app-migrate-{{ now | date "15-04" }}\n'
        "  {{- end }}\nspec:\n  template:\n    spec:\n      containers:\n      - name: migrate\n"
        "        image: app:1\n        command: [python, manage.py, migrate]\n{{- end }}\n"
    )
    assert _migration_job(tmp_path, f"migrate:\n  enabled: true\n  useHook: {use_hook}\n", job).text.startswith(who)


@pytest.mark.parametrize(("pre", "who"), [("true", "Helm pre-install/pre-upgrade hook Job"),
                                          ("false", "Helm post-install/post-upgrade hook Job")])
def test_a_hook_per_branch_is_the_hook_of_the_branch_that_renders(tmp_path: Path, pre: str, who: str) -> None:
    # the code review's case: a hook in both branches of an if/else, the else one read as no hook
    job = (
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: app-migrate\n  annotations:\n"
        "    {{- if .Values.migrate.preUpgrade }}\n    \"helm.sh/hook\": pre-install,pre-upgrade\n    {{- else }}\n"
        "    \"helm.sh/hook\": post-install,post-upgrade\n    {{- end }}\nspec:\n  template:\n    spec:\n"
        "      containers:\n      - name: migrate\n        image: app:1\n"
        "        command: [python, manage.py, migrate]\n"
    )
    assert _migration_job(tmp_path, f"migrate:\n  preUpgrade: {pre}\n", job).text.startswith(who)


def _migration_job(tmp_path: Path, values: str, job: str) -> Fact:
    """The migration statement of a chart `app` with these values and this migrate Job template."""
    scanned = scan_tree(tmp_path, {
        "chart/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\n",
        "chart/values.yaml": values,
        "chart/templates/job-migrate.yaml": job,
    })
    [migration] = [f for f in facts_for(scanned.model, "deploy.migration.strategy")
                   if "chart/templates/job-migrate.yaml" in paths(f)]
    return migration


# -- the template reader and the expression evaluator -----------------------------------------


def test_blanking_keeps_lines_and_records_guards() -> None:
    source = '{{- if .Values.a.enabled }}\nkind: Job\nmetadata:\n  name: {{ include "x" . }}-job\n{{- end }}\n'
    blanked = blank_template(source)
    assert blanked.text.split("\n")[:4] == ["", "kind: Job", "metadata:", "  name: __TPL0__-job"]
    assert blanked.tokens[0][0] == 'include "x" .'
    assert [(b.kind, b.conds) for b in blanked.stacks[1]] == [("if", (".Values.a.enabled",))]


def scope(values: dict[str, object], defines: dict[str, str] | None = None) -> Scope:
    root: dict[str, object] = {"Values": values, "Chart": {"AppVersion": "1.2.3"}, "Capabilities": UNKNOWN}
    return Scope(root, root, None, defines or {})


@pytest.mark.parametrize(
    ("expr", "values", "expected"),
    [
        (".Values.a.enabled", {"a": {"enabled": True}}, True),
        ("and .Values.a .Values.b", {"a": True, "b": 0}, 0),
        ("or .Values.a (not .Values.b)", {"a": False}, True),
        ('eq .Values.kind "mysql"', {"kind": "mysql"}, True),
        (".Values.image.tag | default .Chart.AppVersion", {"image": {"tag": ""}}, "1.2.3"),
        ('printf "%s:%s" .Values.r .Values.t', {"r": "redis", "t": "7.2"}, "redis:7.2"),
        ("(.Values.serviceMonitor).enabled", {"serviceMonitor": {"enabled": True}}, True),
        ('.Capabilities.APIVersions.Has "monitoring.coreos.com/v1"', {}, True),
        ('lookup "v1" "Secret" "ns" "x"', {}, UNKNOWN),
    ],
)
def test_expressions(expr: str, values: dict[str, object], expected: object) -> None:
    assert evaluate(expr, scope(values)) == expected or evaluate(expr, scope(values)) is expected


def test_render_a_helper_define() -> None:
    body = (
        '{{- if .Values.image.digest -}}{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}'
        '{{- else -}}{{- printf "%s:%s" .Values.image.repository .Values.image.tag -}}{{- end -}}'
    )
    assert render(body, scope({"image": {"repository": "valkey/valkey", "tag": "8.0"}})) == "valkey/valkey:8.0"
    assert render("{{ range .Values.x }}{{ . }}{{ end }}", scope({"x": [1]})) is UNKNOWN


def test_guards_inside_with_blocks_read_relative_values() -> None:
    values = {"monitoring": {"rules": {"enabled": False, "alerting": True}}}
    blocks = [["with", [".Values.monitoring.rules"], 0, False], ["if", ["and .enabled .alerting"], 0, False]]
    run = scope(values)
    assert guard_state(blocks, run) is False
    assert "monitoring.rules.enabled" in run.used


def test_terraform_templatefile_values_are_not_misread(tmp_path: Path) -> None:
    scanned = scan(tmp_path, "terraform-values")
    assert not [d for d in scanned.model.diagnostics if d.path == "values/carts.yaml"]


def test_inline_helmfile_values_cite_the_helmfile(tmp_path: Path) -> None:
    files = fixture_tree("template-store")
    files["helmfile.yaml"] = (
        "releases:\n  - name: catalog\n    chart: ./chart\n    values:\n      - mysql:\n          create: true\n"
    )
    scanned = scan_tree(tmp_path, files)
    mysql = one([f for f in scanned.model.facts if "(helmfile release catalog)" in f.text], "MySQL 8.0")
    assert ("helmfile.yaml", 6) in {(e.path, e.line) for e in mysql.evidence}
    assert all("#" not in e.path for f in scanned.model.facts for e in f.evidence)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    return scan(tmp_path_factory.mktemp("app"), "app-chart")


def test_a_migration_job_shows_its_main_container_not_the_wait(app: Scanned) -> None:
    job = one(facts_for(app.model, "deploy.migration.strategy"), "app-migration")
    assert job.text.startswith(
        "Argo CD Sync hook Job app-migration (named as a migration) runs "
        "node packages/database/dist/scripts/apply-migrations.js during the sync"
    )
    assert job.confidence is Confidence.INFERRED


def test_commands_of_one_script_all_run(app: Scanned) -> None:
    init = one(facts_for(app.model, "deploy.migration.strategy"), "hub-migrate")
    assert 'postgres "$DATABASE_URL" up and /usr/local/bin/river migrate-up' in init.text
    assert "every replica migrates" in init.text


def test_parenthesised_guard_names_its_switch_once(app: Scanned) -> None:
    monitors = facts_for(app.model, "mon.infrastructure")
    assert len(monitors) == 1
    assert "rendered when serviceMonitor.enabled: true" in monitors[0].text


def test_a_pdb_template_with_both_budgets_reports_the_one_set(app: Scanned) -> None:
    pdb = one(facts_for(app.model, "env.special", "production"), "PodDisruptionBudget")
    assert pdb.text.startswith("PodDisruptionBudget app: minAvailable 1")


def test_values_holding_tpl_strings_are_still_values(tmp_path: Path) -> None:
    """grafana/loki's values.yaml holds `{{ include ... }}` strings for `tpl`; it is still the chart's values."""
    files = fixture_tree("shop")
    files["charts/shop/values.yaml"] += 'fullnameOverride: "{{ .Release.Name }}-shop"\n'
    scanned = scan_tree(tmp_path, files)
    staging = one(facts_for(scanned.model, "env.database", "staging"), "PostgreSQL")
    assert staging.text.startswith("PostgreSQL 16 in-cluster")


def test_rules_built_from_another_file_are_a_hint_and_zero_replicas_are_not_reported(tmp_path: Path) -> None:
    """Modelled on grafana/loki: PrometheusRule groups from `.Files.Get`, components switched off by replicas: 0."""
    files = fixture_tree("app-chart")
    files["charts/app/values.yaml"] += "ingester:\n  replicas: 0\nmonitoring:\n  rules:\n    enabled: true\n"
    files["charts/app/templates/rules.yaml"] = (
        "{{- with .Values.monitoring.rules }}\n{{- if .enabled }}\napiVersion: monitoring.coreos.com/v1\n"
        "kind: PrometheusRule\nmetadata:\n  name: app-alerts\nspec:\n  groups:\n"
        '  {{- include "app.ruleGroups" (tpl ($.Files.Get "src/alerts.yaml.tpl") $ | fromYaml) | indent 4 }}\n'
        "{{- end }}\n{{- end }}\n"
    )
    scanned = scan_tree(tmp_path, files)
    rules = one(facts_for(scanned.model, "alert.warning"), "cannot tell which alerts, if any")
    assert rules.confidence is Confidence.HINT
    assert "rendered when monitoring.rules.enabled: true" in rules.text
    assert not any("0 replicas" in f.text for f in scanned.model.facts)


def test_a_component_switched_off_in_the_values_configures_nothing(tmp_path: Path) -> None:
    """Modelled on n8n-io/n8n-hosting charts/n8n/values.yaml: `webhookProcessor.enabled: false`
    beside its `replicaCount: 2`, and `multiMain.enabled: false` with `replicas: 2`."""
    files = fixture_tree("app-chart")
    files["charts/app/values.yaml"] += (
        "webhookProcessor:\n  enabled: false\n  replicaCount: 2\n  logLevel: debug\n"
        "  readinessProbe:\n    httpGet:\n      path: /healthz/webhook\n"
        "worker:\n  enabled: true\n  replicaCount: 3\n")
    scanned = scan_tree(tmp_path, files)
    said = " ".join(f.text for f in scanned.model.facts)
    assert "webhookProcessor" not in said
    assert "/healthz/webhook" not in said  # its probe holds no rollout back (second code review)
    assert "worker.replicaCount: 3 replicas" in said


def _rules_template(index: int) -> str:
    rules = ""
    for name, severity in ((f"AppDown{index}", "critical"), (f"AppSlow{index}", "warning")):
        rules += (f"    - alert: {name}\n      expr: up == 0\n"
                  f"      for: {{{{ dig \"{name}\" \"for\" \"10m\" .Values.customRules }}}}\n      labels:\n"
                  f"        severity: {{{{ dig \"{name}\" \"severity\" \"{severity}\" .Values.customRules }}}}\n")
    return ("apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n"
            f"  name: rules-{index}\nspec:\n  groups:\n  - name: app\n    rules:\n{rules}")


@pytest.mark.parametrize("templates", [2, 8])
def test_rule_severities_from_dig_defaults_and_many_rules_said_once(tmp_path: Path, templates: int) -> None:
    """Modelled on kube-prometheus-stack: `severity: {{ dig "X" "severity" "critical" .Values.customRules }}`
    is critical unless the values say otherwise (read as an unknown severity, a warning hint, before);
    its 41 critical and 105 warning rules in 30 templates read as one statement per level."""
    files = fixture_tree("app-chart")
    files["charts/app/values.yaml"] += "customRules:\n  AppDown1:\n    severity: warning\n"
    for index in range(templates):
        files[f"charts/app/templates/rules-{index}.yaml"] = _rules_template(index)
    scanned = scan_tree(tmp_path, files)
    critical = [f for f in facts_for(scanned.model, "alert.critical") if "App" in f.text]
    warning = [f for f in facts_for(scanned.model, "alert.warning") if "App" in f.text]
    assert all(f.confidence is not Confidence.HINT for f in critical + warning)
    if templates == 2:  # AppDown1 is a warning by the values
        assert [f.text.split(" (")[0] for f in critical] == ["AppDown0"]
        assert "(severity critical, for 10m)" in critical[0].text
        assert sorted(f.text.split(" (")[0] for f in warning) == ["AppDown1", "AppSlow0", "AppSlow1"]
    else:
        [critical_rules], [warning_rules] = critical, warning
        assert critical_rules.text.startswith("7 alert rules with severity critical (AppDown0, AppDown2, ")
        assert critical_rules.text.endswith(
            "and 1 more) in PrometheusRule templates in chart app, rendered by its values")
        assert warning_rules.text.startswith("9 alert rules with severity warning (")
        assert len({e.path for e in warning_rules.evidence if "templates/" in e.path}) == 8


def test_values_passed_with_f_in_a_makefile_target(tmp_path: Path) -> None:
    scanned = scan(tmp_path, "makefile-f")
    url = one(facts_for(scanned.model, "env.url", "production"), "eu.shop.acme-retail.com")
    assert "(helm upgrade --install shop ./charts/shop -n shop-prod" in url.text
    assert ("Makefile", 3) in {(e.path, e.line) for e in url.evidence}


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (
            "helm upgrade --install web ./chart -f a.yaml --values=b.yaml -n prod",
            ("web", "./chart", ["a.yaml", "b.yaml"], "prod"),
        ),
        ("helm install ./chart --generate-name", ("", "./chart", [], "")),
        ("helm upgrade web $CHART", None),
        ("helm rollback web 3", None),
    ],
)
def test_parse_helm_command(command: str, expected: object) -> None:
    assert parse_helm_command(command) == expected


def test_charts_sharing_a_name_are_told_apart_by_folder(tmp_path: Path) -> None:
    """argoproj/argocd-example-apps: blue-green/ and helm-guestbook/ both name their chart helm-guestbook."""
    chart = "apiVersion: v2\nname: helm-guestbook\nversion: 0.1.0\n"
    scanned = scan_tree(
        tmp_path,
        {
            "blue-green/Chart.yaml": chart,
            "blue-green/values-prod.yaml": "replicaCount: 2\n",
            "helm-guestbook/Chart.yaml": chart,
            "helm-guestbook/values-prod.yaml": "replicaCount: 4\n",
        },
    )
    found = sorted(texts(facts_for(scanned.model, "env.special", "production")))
    assert found[0].startswith("Helm value replicaCount: 2 replicas in chart helm-guestbook (blue-green/)")
    assert found[1].startswith("Helm value replicaCount: 4 replicas in chart helm-guestbook (values")


# -- big monorepos: the same output, with each piece of work done once ------------------------


def _deep_copy_merge(
    data: dict[str, Any], origin: dict[str, tuple[str, int]], layer: Layer
) -> tuple[dict[str, Any], dict[str, tuple[str, int]]]:
    """The values merge as first written (deep copies, a scan of every key per key): the reference."""
    out, where = copy.deepcopy(data), dict(origin)

    def forget(path: str) -> None:
        for key in [k for k in where if k == path or k.startswith(path + ".")]:
            del where[key]

    def merge(base: dict[str, Any], over: dict[str, Any], prefix: str) -> None:
        for key, value in over.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            line = layer.lines.get(path, 0)
            if value is None:
                base.pop(key, None)
                forget(path)
            elif isinstance(value, dict) and isinstance(base.get(key), dict):
                where[path] = (layer.path, line)
                merge(base[key], value, path)
            else:
                forget(path)
                base[key] = copy.deepcopy(value)
                where[path] = (layer.path, line)
                for sub, sub_line in layer.lines.items():
                    if sub.startswith(path + "."):
                        where[sub] = (layer.path, sub_line)

    merge(out, layer.data, "")
    return out, where


def _key_lines(value: Any, prefix: str = "", out: dict[str, int] | None = None) -> dict[str, int]:
    """Dotted paths to made-up lines, as `key_lines` gives them for a loaded values file."""
    out = {} if out is None else out
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        path = f"{prefix}.{key}" if prefix else str(key)
        out[path] = len(out) + 1
        _key_lines(child, path, out)
    return out


# Keys with dots on purpose: `a.b` at the top shares its path with `b` under `a`.
_KEYS = st.sampled_from(["a", "b", "c", "a.b", "b.c", "0"])
_SCALARS = st.one_of(st.none(), st.integers(0, 3), st.sampled_from(["x", "y"]), st.booleans())
_VALUES = st.recursive(
    _SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_KEYS, inner, max_size=4)),
    max_leaves=12,
)


@given(st.lists(st.dictionaries(_KEYS, _VALUES, max_size=5), min_size=1, max_size=4))
def test_memoised_merge_agrees_with_a_deep_copy_merge(layers_data: list[dict[str, Any]]) -> None:
    snapshot = copy.deepcopy(layers_data)
    layers = [Layer(f"values-{i}.yaml", data, _key_lines(data)) for i, data in enumerate(layers_data)]
    merger = Merger()
    data: dict[str, Any] = {}
    origin: dict[str, tuple[str, int]] = {}
    for count in range(1, len(layers) + 1):
        data, origin = _deep_copy_merge(data, origin, layers[count - 1])
        merged = merger.values(layers[:count])
        assert json.dumps(merged.data) == json.dumps(data)  # key order included: facts follow it
        assert merged.origin == origin
    assert layers_data == snapshot  # merged values share the layers' maps but never change them


def _counting(function: Callable[..., Any], calls: list[Any]) -> Callable[..., Any]:
    """`function`, noting its first argument in `calls` each time it runs."""

    def counted(first: Any, *rest: Any) -> Any:
        calls.append(first)
        return function(first, *rest)

    return counted


def test_environments_share_the_merge_of_values_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    merged_layers: list[str] = []
    merge = Values.merged

    def counted(self: Values, layer: Layer, lines_below: Any = None) -> Values:
        merged_layers.append(layer.path)
        return merge(self, layer, lines_below)

    monkeypatch.setattr(Values, "merged", counted)
    base = Layer("values.yaml", {"replicaCount": 1, "image": {"tag": "1.0"}}, {"replicaCount": 1, "image": 2})
    dev = Layer("values-dev.yaml", {"replicaCount": 2}, {"replicaCount": 1})
    prod = Layer("values-prod.yaml", {"image": {"tag": "2.0"}}, {"image": 1, "image.tag": 2})
    merger = Merger()
    assert merger.values([base, dev]).data == {"replicaCount": 2, "image": {"tag": "1.0"}}
    assert merger.values([base, prod]).data == {"replicaCount": 1, "image": {"tag": "2.0"}}
    assert merger.values([base, prod]).where("image.tag") == ("values-prod.yaml", 2)
    assert merger.values([base]) is merger.values([base])
    assert merged_layers == ["values.yaml", "values-dev.yaml", "values-prod.yaml"]


def test_each_chart_reads_only_the_commands_that_name_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A monorepo Makefile deploying one chart of many: its command is read once, not once per chart."""
    parsed: list[str] = []
    monkeypatch.setattr(helm, "parse_helm_command", _counting(parse_helm_command, parsed))
    files: dict[str, str | bytes] = {
        f"services/svc{i}/chart/Chart.yaml": f"apiVersion: v2\nname: svc{i}\nversion: 0.1.0\n" for i in range(6)
    }
    files["services/svc3/chart/overrides/eu.yaml"] = "replicaCount: 3\n"
    files["Makefile"] = (
        "deploy-prod:\n\thelm upgrade --install svc3 services/svc3/chart -n svc3-prod -f "
        "services/svc3/chart/overrides/eu.yaml\n"
    )
    scanned = scan_tree(tmp_path, files)
    replicas = one(facts_for(scanned.model, "env.special", "production"), "replicaCount: 3 replicas")
    assert "in chart svc3" in replicas.text and ("Makefile", 2) in {(e.path, e.line) for e in replicas.evidence}
    assert len(parsed) == 1


def test_a_helper_is_rendered_once_per_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every template of a chart names its objects with the same `include`: evaluated once per environment."""
    rendered: list[str] = []
    monkeypatch.setattr(helm, "render", _counting(render, rendered))
    files: dict[str, str | bytes] = {
        "chart/Chart.yaml": "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
        "chart/values.yaml": "nameOverride: shop\n",
        "chart/values-dev.yaml": "nameOverride: shop-dev\n",
        "chart/values-prod.yaml": "nameOverride: shop-prod\n",
        "chart/templates/_helpers.tpl": '{{- define "shop.fullname" -}}{{ .Values.nameOverride }}{{- end }}\n',
    }
    for kind in ("Service", "ConfigMap", "ServiceAccount", "Secret"):
        files[f"chart/templates/{kind.lower()}.yaml"] = (
            f'apiVersion: v1\nkind: {kind}\nmetadata:\n  name: {{{{ include "shop.fullname" . }}}}\n'
        )
    scan_tree(tmp_path, files)
    assert len(rendered) == 2  # development and production, not once per template and environment


def test_a_values_file_with_template_strings_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    loads: list[str] = []
    monkeypatch.setattr(helm, "load_yaml", _counting(load_yaml, loads))
    out = HelmDetector().extract(SourceFile("chart/values.yaml", 'greeting: "hello {{ .Release.Name }}"\n'))
    assert [r.kind for r in out.records] == ["helm.values"] and len(loads) == 1


def test_a_log_level_key_in_values_is_the_log_level(tmp_path: Path) -> None:
    # stefanprodan/podinfo charts/podinfo/values-prod.yaml: `logLevel: info` at the top of the values.
    scanned = scan_tree(tmp_path, {
        "charts/podinfo/Chart.yaml": "apiVersion: v2\nname: podinfo\nversion: 6.0.0\n",
        "charts/podinfo/values.yaml": "replicaCount: 1\nlogLevel: info\n",
        "charts/podinfo/values-prod.yaml": "replicaCount: 2\nlogLevel: warn\nui:\n  enabled: true\n",
        "charts/podinfo/templates/deployment.yaml": "kind: Deployment\nspec:\n  replicas: {{ .Values.replicaCount }}\n",
    })
    shown = texts(facts_for(scanned.model, "log.levels"))
    assert any("logLevel=warn" in t and "values-prod.yaml" in t for t in shown), shown
    assert not any("logLevel=info" in t for t in shown), shown  # overridden in production


def test_a_log_level_written_as_a_tree_in_values_is_the_log_level(tmp_path: Path) -> None:
    # traefik/traefik-helm-chart: `log: {level: "INFO"}` in traefik/values.yaml, `logs: {level: INFO}`
    # in hub-manager's; traefik v2's `logs: {general: {level: ...}}`; the log levels gap said none
    scanned = scan_tree(tmp_path, {
        "traefik/Chart.yaml": "apiVersion: v2\nname: traefik\nversion: 41.3.0\n",
        "traefik/values.yaml": ('log:\n  format:\n  # -- levels are TRACE, DEBUG, INFO\n  level: "INFO"\n'
                                '  filePath: ""\n'),
        "traefik/templates/deployment.yaml": "kind: Deployment\nspec:\n  replicas: 1\n",
        "legacy/Chart.yaml": "apiVersion: v2\nname: legacy\nversion: 10.0.0\n",
        "legacy/values.yaml": "logs:\n  general:\n    level: ERROR\n  access:\n    enabled: false\n",
        "legacy/templates/deployment.yaml": "kind: Deployment\nspec:\n  replicas: 1\n",
    })
    shown = texts(facts_for(scanned.model, "log.levels"))
    assert any(t.startswith("log.level=INFO in Helm values values.yaml of chart traefik") for t in shown), shown
    assert any(t.startswith("logs.general.level=ERROR in Helm values values.yaml of chart legacy")
               for t in shown), shown


# -- app of apps: a chart whose templates generate Argo CD Applications ------------------------
# modelled on argocd-example-apps apps/templates/applications.yaml (one Application per values entry)

_APPS_CHART = {
    "apps/Chart.yaml": "apiVersion: v2\nname: applications\nversion: 0.1.0\n",
    "apps/values.yaml": (
        "config:\n  repoURL: https://git.example.org/platform/apps\n  revision: main\n"
        "applications:\n  - name: web\n  - name: worker\n    path: jobs/worker\n"
    ),
    "apps/templates/applications.yaml": (
        "{{- range .Values.applications }}\n"
        "{{- $config := $.Values.config -}}\n"
        "apiVersion: argoproj.io/v1alpha1\n"
        "kind: Application\n"
        "metadata:\n"
        "  name: {{ .name | quote }}\n"
        "  namespace: argocd\n"
        "spec:\n"
        "  destination:\n"
        "    namespace: {{ .name | quote }}\n"
        "    server: https://kubernetes.default.svc\n"
        "  project: default\n"
        "  source:\n"
        "    path: {{ .path | default .name | quote }}\n"
        "    repoURL: {{ $config.repoURL }}\n"
        "    targetRevision: {{ $config.revision }}\n"
        "  syncPolicy:\n"
        "    automated:\n"
        "      prune: true\n"
        "---\n"
        "{{ end -}}\n"
    ),
}


def test_app_of_apps_chart_states_the_sync_as_a_deployment_step(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, _APPS_CHART)
    step = one(facts_for(scanned.model, "deploy.steps"), "Argo CD syncs the Applications this chart generates")
    assert "template expressions" in step.text and "{{" not in step.text
    assert "apps/templates/applications.yaml" in paths(step)
    automated = one(facts_for(scanned.model, "ci.deploy.automated"), "this chart sync automatically (prune)")
    assert automated.confidence is not Confidence.HINT
    rollback = one(facts_for(scanned.model, "deploy.rollback.perform"), "argocd app rollback APP_NAME")
    assert rollback.confidence is Confidence.HINT and "turn automated sync off first" in rollback.text


def test_app_of_apps_chart_without_automated_sync_is_a_manual_deploy(tmp_path: Path) -> None:
    chart = dict(_APPS_CHART)
    template = chart["apps/templates/applications.yaml"]
    chart["apps/templates/applications.yaml"] = (
        template.replace("    repoURL: {{ $config.repoURL }}\n", "    repoURL: https://git.example.org/platform/apps\n")
        .replace("    targetRevision: {{ $config.revision }}\n", "    targetRevision: main\n")
        .replace("    path: {{ .path | default .name | quote }}\n", "    path: envs/shared\n")
        .replace("  syncPolicy:\n    automated:\n      prune: true\n", "")
    )
    scanned = scan_tree(tmp_path, chart)
    step = one(facts_for(scanned.model, "deploy.steps"), "Argo CD syncs the Applications this chart generates")
    assert "generates: envs/shared from https://git.example.org/platform/apps at main in chart" in step.text
    manual = one(facts_for(scanned.model, "ci.deploy.manual"), "generated by this chart: manual sync")
    assert "syncPolicy.automated" in manual.text
    assert not facts_for(scanned.model, "ci.deploy.automated")


def test_a_vendored_subchart_s_own_values_give_the_database_version(tmp_path: Path) -> None:
    # a dependency unpacked into charts/ (not a .tgz): its values.yaml holds the image the release runs
    files = {
        "deploy/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - name: postgresql\n"
                                 "    version: 12.1.0\n    repository: https://charts.bitnami.com/bitnami\n",
        "deploy/app/values.yaml": "replicaCount: 1\n",
        "deploy/app/charts/postgresql/Chart.yaml": "apiVersion: v2\nname: postgresql\nversion: 12.1.0\n",
        "deploy/app/charts/postgresql/values.yaml": "image:\n  repository: bitnami/postgresql\n"
                                                    "  tag: 15.1.0-debian-11-r0\n",
    }
    scanned = scan_tree(tmp_path, files)
    [database] = facts_for(scanned.model, "env.database")
    assert database.text.startswith("PostgreSQL 15 in-cluster: subchart postgresql")
    assert ("deploy/app/charts/postgresql/values.yaml", 3) in {(e.path, e.line) for e in database.evidence}


def test_a_chart_at_the_repository_root_is_found_by_its_releases_and_its_vendored_charts(tmp_path: Path) -> None:
    # `chart: .` names the top folder, which charts are keyed by as `.`; charts/ at the top holds its subcharts
    files = {
        "Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\ndependencies:\n  - name: postgresql\n"
                      "    version: 12.1.0\n    repository: https://charts.bitnami.com/bitnami\n",
        "values.yaml": "replicaCount: 1\n",
        "values-prod.yaml": "replicaCount: 3\n",
        "helmfile.yaml": "releases:\n  - name: web\n    chart: .\n    values:\n      - values-prod.yaml\n",
        "charts/postgresql/Chart.yaml": "apiVersion: v2\nname: postgresql\nversion: 12.1.0\n",
        "charts/postgresql/values.yaml": "image:\n  repository: bitnami/postgresql\n  tag: 15.1.0\n",
    }
    scanned = scan_tree(tmp_path, files)
    assert "Helm value replicaCount: 3 replicas in chart web (helmfile release web) (environment not stated)" in {
        f.text for f in facts_for(scanned.model, "env.special")}
    databases = facts_for(scanned.model, "env.database")
    assert databases and all(f.text.startswith("PostgreSQL 15 in-cluster: subchart postgresql") for f in databases)


def test_templates_outside_a_chart_are_not_counted_as_helm_files(tmp_path: Path) -> None:
    # Modelled on terraform-example-foundation's policy-library: Gatekeeper ConstraintTemplates in a
    # `templates/` folder with no chart above it, which "Looked for ... (81 files)" counted as Helm.
    policy = ("apiVersion: templates.gatekeeper.sh/v1beta1\nkind: ConstraintTemplate\nmetadata:\n"
              "  name: gcp-storage-location\n")
    scanned = scan_tree(tmp_path, {
        "policy-library/policies/templates/storage.yaml": policy,
        "policy-library/policies/templates/network.yaml": policy.replace("storage", "network"),
        "charts/api/Chart.yaml": "apiVersion: v2\nname: api\nversion: 1.0.0\n",
        "charts/api/values.yaml": "replicaCount: 2\n",
        "charts/api/templates/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
                                                "  name: {{ .Release.Name }}\n",
    })
    read = {s.detector: s.files for s in scanned.model.sources}
    assert read["helm"] == 3  # the chart's Chart.yaml, values and template


@pytest.mark.parametrize(("command", "line"), [
    # helm-promotion-sample-app: the command starts at `command:`
    ("      command: ['wget']\n      args: ['app:{{ .Values.service.port }}']\n", 11),
    # loki's test-canary: `args:` alone, after the env (was cited at the container's name line)
    ("      env:\n        - name: TIMEOUT\n          value: 1m\n      args:\n        - -test.v\n", 14),
])
def test_a_helm_test_hook_cites_its_command_and_names_helm_test_as_code(tmp_path: Path, command: str,
                                                                         line: int) -> None:
    # The hook's citations stopped at the annotation; "`helm test`" was written with its backticks escaped.
    scanned = scan_tree(tmp_path, {
        "chart/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n",
        "chart/values.yaml": "service:\n  port: 80\n",
        "chart/templates/tests/test-connection.yaml": (
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app-test\n  annotations:\n    \"helm.sh/hook\": test\n"
            "spec:\n  containers:\n    - name: wget\n      image: busybox\n" + command + "  restartPolicy: Never\n"),
    })
    [verify] = [f for f in facts_for(scanned.model, "deploy.rollback.verify") if "hook" in f.text]
    assert ("chart/templates/tests/test-connection.yaml", line) in [(e.path, e.line) for e in verify.evidence]
    assert "`helm test` hook" in scanned.markdown and r"\`helm test\`" not in scanned.markdown


def test_a_component_s_log_level_is_named_with_its_component(tmp_path: Path) -> None:
    # vault-helm: `injector.logLevel: info` was shown as `logLevel=info` (the server's reads as the same);
    # `server.logLevel: ""` leaves Vault's default
    scanned = scan_tree(tmp_path, {
        "Chart.yaml": "apiVersion: v2\nname: vault\nversion: 0.29.0\n",
        "values.yaml": "injector:\n  enabled: true\n  logLevel: \"info\"\nserver:\n  logLevel: \"\"\n"
                       "csi:\n  logLevel: debug\n",
        "templates/server.yaml": "kind: StatefulSet\nspec:\n  replicas: 1\n",
    })
    shown = sorted(t.split(" in Helm")[0] for t in texts(facts_for(scanned.model, "log.levels")))
    assert shown == ["csi.logLevel=debug", "injector.logLevel=info"]


@pytest.mark.parametrize(("create", "said"), [("false", False), ("true", True)])
def test_a_container_variable_in_a_block_of_its_own_is_set_only_where_it_renders(
        tmp_path: Path, create: str, said: bool) -> None:
    # microservices-demo: OTEL_SERVICE_NAME is set only `if .Values.opentelemetryCollector.create`,
    # false by default; the document named OpenTelemetry as set up in every service
    deployment = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: checkout\nspec:\n  template:\n    spec:\n"
        "      containers:\n      - name: server\n        image: checkout:1\n        env:\n"
        "        - name: PORT\n          value: \"5050\"\n"
        "        {{- if .Values.opentelemetryCollector.create }}\n"
        "        - name: OTEL_SERVICE_NAME\n          value: checkout\n"
        "        {{- end }}\n"
    )
    scanned = scan_tree(tmp_path, {
        "chart/Chart.yaml": "apiVersion: v2\nname: shop\nversion: 1.0.0\n",
        "chart/values.yaml": f"opentelemetryCollector:\n  create: {create}\n",
        "chart/templates/checkout.yaml": deployment,
    })
    otel = [f for f in scanned.model.facts if "OTEL_SERVICE_NAME" in f.text]
    assert bool(otel) is said


def test_a_guard_over_a_list_says_how_many_entries_it_has(tmp_path: Path) -> None:
    # argocd-example-apps: `range .Values.applications` read "rendered when applications", as if a switch
    template = (
        "{{- range .Values.applications }}\n---\napiVersion: argoproj.io/v1alpha1\nkind: Application\n"
        "metadata:\n  name: {{ .name }}\nspec:\n  source:\n    repoURL: https://github.com/acme/apps\n"
        "    path: {{ .name }}\n  syncPolicy:\n    automated:\n      prune: true\n{{- end }}\n"
    )
    scanned = scan_tree(tmp_path, {
        "apps/Chart.yaml": "apiVersion: v2\nname: applications\nversion: 1.0.0\n",
        "apps/values.yaml": "applications:\n  - name: guestbook\n  - name: blue-green\n",
        "apps/templates/applications.yaml": template,
    })
    said = [f.text for f in scanned.model.facts if "rendered when" in f.text]
    assert said and all("rendered when applications (2 entries)" in t for t in said)


@pytest.mark.parametrize(("enabled", "said"), [("false", False), ("true", True)])
def test_scrape_annotations_in_a_block_of_their_own_count_only_where_the_values_render_them(
        tmp_path: Path, enabled: str, said: bool) -> None:
    # zitadel-charts: `{{- if .Values.metrics.enabled }}` around the pod's prometheus.io annotations,
    # `metrics.enabled: false` by default; Prometheus was said to scrape it, and was its monitoring tool
    deployment = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  template:\n"
        "    metadata:\n      annotations:\n        checksum/config: abc\n"
        "        {{- if .Values.metrics.enabled }}\n        prometheus.io/scrape: \"true\"\n"
        "        prometheus.io/port: \"8080\"\n        {{- end }}\n    spec:\n      containers:\n"
        "        - name: app\n          image: ghcr.io/acme/app:1.0\n")
    scanned = scan_tree(tmp_path, {"charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\n",
                                   "charts/app/values.yaml": f"metrics:\n  enabled: {enabled}\n",
                                   "charts/app/templates/deployment.yaml": deployment})
    scrapes = [f for f in facts_for(scanned.model, "mon.infrastructure") if "prometheus.io/scrape" in f.text]
    assert bool(scrapes) is said
