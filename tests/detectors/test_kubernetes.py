"""The Kubernetes detector: manifests by content, kustomize overlays, Argo CD, Flux, Skaffold."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from helpers import FIXTURES, Scanned, facts_for, scan_tree, texts
from infrascan.detectors.helm import HelmDetector
from infrascan.detectors.kubernetes import (
    FileIndex,
    KubernetesDetector,
    Site,
    describes_environment,
    environment_facts,
    load_documents,
    object_facts,
    split_documents,
    summarise,
)

from infrascan.commands import classify
from infrascan.detector import SourceFile
from infrascan.fields import FIELD_BY_ID
from infrascan.fields import Scope as FieldScope
from infrascan.model import Code, Confidence, Fact


def fixture_tree(name: str) -> dict[str, str | bytes]:
    root = FIXTURES / "kubernetes" / name
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in root.rglob("*") if p.is_file()}


def one(facts: list[Fact], needle: str) -> Fact:
    found = [f for f in facts if needle in f.text]
    assert len(found) == 1, (needle, texts(facts))
    return found[0]


def paths(fact: Fact) -> set[str]:
    return {e.path for e in fact.evidence}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    return scan_tree(tmp_path_factory.mktemp("k8s"), fixture_tree("shop"))


def test_manifests_are_found_by_content_not_name() -> None:
    sniff = KubernetesDetector.sniff
    assert sniff is not None
    assert sniff.pattern.search("---\napiVersion: apps/v1\nkind: Deployment\n")
    assert sniff.pattern.search('{\n  "kind": "Service",\n  "apiVersion": "v1"\n}')
    assert not sniff.pattern.search("services:\n  web:\n    image: nginx\n")  # compose
    assert not sniff.pattern.search("name: CI\non: push\njobs: {}\n")


def test_local_cluster_tool_configs_are_not_manifests(tmp_path: Path) -> None:
    # homepage's k3d/k3d.yaml (`kind: Simple`, `apiVersion: k3d.io/v1alpha3`) counted as a manifest
    scanned = scan_tree(tmp_path, {
        "k3d/k3d.yaml": "kind: Simple\napiVersion: k3d.io/v1alpha3\nname: homepage\nservers: 1\n",
        "kind.yaml": "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n  - role: control-plane\n",
        "deploy/app.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n",
    })
    assert {s.detector: s.files for s in scanned.model.sources}["kubernetes"] == 1


def test_kustomize_overlays_give_each_environment_its_database(shop: Scanned) -> None:
    dev = one(facts_for(shop.model, "env.database", "development"), "in-cluster")
    assert dev.text.startswith("PostgreSQL 15 in-cluster: StatefulSet postgres (image postgres:15.6-alpine)")
    assert ("k8s/overlays/dev/kustomization.yaml", 5) in {(e.path, e.line) for e in dev.evidence}  # `- ../../base`
    prod = one(facts_for(shop.model, "env.database", "production"), "in-cluster")
    assert prod.text.startswith(
        "PostgreSQL 16 in-cluster: StatefulSet postgres (image postgres:16.3-alpine, tag set by"
    )
    assert ("k8s/overlays/prod/kustomization.yaml", 12) in {(e.path, e.line) for e in prod.evidence}  # images


def test_a_job_running_a_database_image_is_a_client_not_a_database(shop: Scanned) -> None:
    assert not [f for f in shop.model.facts if f.field == "env.database" and "db-backup" in f.text]
    backup = one(facts_for(shop.model, "env.special", "production"), "Scheduled backup")
    assert "CronJob db-backup (30 2 * * *)" in backup.text


def test_overlay_replicas_hpa_pdb_and_namespace(shop: Scanned) -> None:
    prod = texts(facts_for(shop.model, "env.special", "production"))
    assert "Deployment web: 4 replicas in k8s/base/deployment.yaml, set by k8s/overlays/prod/kustomization.yaml" in prod
    assert any("Autoscaling for web: 4–20 replicas at 65% CPU" in t for t in prod)
    assert any(t.startswith("PodDisruptionBudget web: minAvailable 2") for t in prod)
    assert any("namespace shop-prod" in t for t in prod)
    assert not any("replicas" in t and "web" in t for t in texts(facts_for(shop.model, "env.special", "development")))


def test_ingress_hosts_per_overlay_and_placeholders(shop: Scanned) -> None:
    url = one(facts_for(shop.model, "env.url", "production"), "shop.acme-retail.com")
    assert url.text.startswith("https://shop.acme-retail.com from Ingress web in k8s/overlays/prod/ingress.yaml")
    assert not facts_for(shop.model, "env.url", "development")  # web.local is a placeholder
    assert not any("http://frontend" in f.text for f in shop.model.facts)  # an in-cluster Service URL


def test_migrations_init_container_and_argocd_presync_hook(shop: Scanned) -> None:
    strategies = facts_for(shop.model, "deploy.migration.strategy")
    init = one(strategies, "Init container")
    assert "before each pod starts (every replica migrates)" in init.text
    hook = one(strategies, "PreSync")
    assert hook.text.startswith("Argo CD PreSync hook Job db-migrate runs python manage.py migrate --noinput")
    assert hook.confidence is Confidence.DECLARED


def test_a_migration_job_without_a_hook_says_no_hook_orders_it(tmp_path: Path) -> None:
    # grafana/oncall's migrate Job (its hook is off by default) runs beside workloads whose init
    # container waits for the migrations: "nothing orders it" said more than the Job shows
    scanned = scan_tree(tmp_path, {"k8s/migrate.yaml": (
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\nspec:\n  template:\n    spec:\n"
        "      containers:\n        - name: migrate\n          image: acme/app:1.0\n"
        "          command: [python, manage.py, migrate]\n      restartPolicy: Never\n")})
    [job] = facts_for(scanned.model, "deploy.migration.strategy")
    assert job.text == ("Kubernetes Job migrate runs python manage.py migrate applied with the workloads "
                        "(no hook orders it before the new pods) in k8s/migrate.yaml")


def test_an_exporter_image_is_named_as_itself_for_its_tool(tmp_path: Path) -> None:
    # prometheus-community/helm-charts: the node-exporter DaemonSet was "Prometheus"
    scanned = scan_tree(tmp_path, {"k8s/monitoring.yaml": (
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: node-exporter\nspec:\n  template:\n"
        "    spec:\n      containers:\n        - name: node-exporter\n"
        "          image: quay.io/prometheus/node-exporter:v1.12.1\n---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: prometheus\nspec:\n  template:\n"
        "    spec:\n      containers:\n        - name: prometheus\n          image: prom/prometheus:v3.5.0\n")})
    said = sorted(f.text for f in facts_for(scanned.model, "mon.infrastructure"))
    assert said[0].startswith("Prometheus 3: Deployment prometheus (image prom/prometheus:v3.5.0)")
    assert said[1].startswith("node-exporter for Prometheus: DaemonSet node-exporter "
                              "(image quay.io/prometheus/node-exporter:v1.12.1)")


def test_argocd_automated_and_manual_sync(shop: Scanned) -> None:
    automated = one(facts_for(shop.model, "ci.deploy.automated"), "web-prod")
    assert "(prune, self-heal)" in automated.text
    assert automated.attrs["environment"] == "prod"
    assert one(facts_for(shop.model, "ci.deploy.manual"), "web-dev").attrs["manual"] is True
    steps = texts(facts_for(shop.model, "deploy.steps"))
    assert any(t.startswith("Argo CD Application web-prod syncs k8s/overlays/prod") for t in steps)


def test_argo_rollouts_canary_with_analysis_rolls_back_by_itself(shop: Scanned) -> None:
    step = one(facts_for(shop.model, "deploy.steps"), "canary")
    assert "20% → pause 10m → 50% → pause until promoted" in step.text
    automatic = one(facts_for(shop.model, "deploy.rollback.perform"), "Automatic")
    assert "analysis success-rate" in automatic.text and automatic.attrs["automatic"] is True
    assert one(facts_for(shop.model, "deploy.rollback.perform"), "kubectl argo rollouts undo api")


def test_prometheus_rules_monitors_and_probes(shop: Scanned) -> None:
    assert one(facts_for(shop.model, "alert.critical"), "ShopDown").text.startswith("ShopDown (severity critical")
    assert one(facts_for(shop.model, "alert.warning"), "ShopLatencyHigh")
    assert not any("job:http_requests" in f.text for f in shop.model.facts)  # a recording rule, not an alert
    assert one(facts_for(shop.model, "mon.infrastructure"), "ServiceMonitor web")
    assert one(facts_for(shop.model, "mon.infrastructure"), "scrape annotations")
    verify = one(facts_for(shop.model, "deploy.rollback.verify"), "probes")
    # the database's own probe holds back its rollout, not a release of the application's
    assert verify.text.startswith("Kubernetes readiness probes on api, web (")


def test_flux_and_skaffold_place_manifests(shop: Scanned) -> None:
    staging = one(facts_for(shop.model, "env.database", "staging"), "Redis")
    assert "clusters/staging/apps.yaml" in paths(staging)
    assert one(facts_for(shop.model, "ci.deploy.automated"), "Flux Kustomization apps applies ./apps/staging")
    qa = one(facts_for(shop.model, "env.database", "qa"), "MongoDB 7")
    assert "skaffold.yaml" in paths(qa)
    assert one(facts_for(shop.model, "env.special", "qa"), "Skaffold profile qa")


def test_a_flux_release_patch_says_what_it_sets_and_nothing_it_lacks(tmp_path: Path) -> None:
    # stefanprodan/flux2-kustomize-helm-example: the base release names the chart and the interval;
    # the production overlay patches the version range in (a kustomization `patches:` entry)
    scanned = scan_tree(tmp_path, {
        "apps/base/podinfo/release.yaml": (
            "apiVersion: helm.toolkit.fluxcd.io/v2beta1\nkind: HelmRelease\nmetadata:\n  name: podinfo\n"
            "  namespace: podinfo\nspec:\n  releaseName: podinfo\n  chart:\n    spec:\n      chart: podinfo\n"
            "      sourceRef:\n        kind: HelmRepository\n        name: podinfo\n  interval: 5m\n"
        ),
        "apps/production/podinfo-values.yaml": (
            "apiVersion: helm.toolkit.fluxcd.io/v2beta1\nkind: HelmRelease\nmetadata:\n  name: podinfo\n"
            "  namespace: podinfo\nspec:\n  chart:\n    spec:\n      version: \">=1.0.0\"\n"
        ),
    })
    deploys = texts(facts_for(scanned.model, "ci.deploy.automated"))
    assert any(t.startswith("Flux HelmRelease podinfo installs chart podinfo every 5m") for t in deploys), deploys
    patch = [t for t in deploys if "a patch" in t]
    assert patch and patch[0].startswith(
        "Flux HelmRelease podinfo (a patch of a release defined elsewhere) sets chart version >=1.0.0"), patch
    assert not any("?" in t for t in deploys), deploys
    ranks = {"a patch" in f.text: f.rank for f in facts_for(scanned.model, "ci.deploy.automated")}
    assert ranks[False] < ranks[True]  # the release is said first, its patches after it


def test_a_database_with_an_init_container_is_still_no_release_health_check(tmp_path: Path) -> None:
    # Bitnami's PostgreSQL StatefulSet runs a volume-permissions init container (second code review)
    scanned = scan_tree(tmp_path, {"k8s/db.yaml": (
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  template:\n    spec:\n"
        "      initContainers:\n        - name: perms\n          image: busybox:1.36\n"
        "      containers:\n        - name: postgresql\n          image: postgres:16\n"
        "          readinessProbe:\n            exec:\n              command: [pg_isready]\n")})
    assert facts_for(scanned.model, "deploy.rollback.verify") == []


def test_a_database_templated_in_a_chart_is_no_release_health_check_either(tmp_path: Path) -> None:
    # the same PostgreSQL StatefulSet, its image from the values: raw and templated manifests agree
    scanned = scan_tree(tmp_path, {
        "chart/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n",
        "chart/values.yaml": "postgres:\n  image: postgres:16\nimage: ghcr.io/acme/web:1.0\n",
        "chart/templates/db.yaml": (
            "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  template:\n    spec:\n"
            "      containers:\n        - name: postgres\n          image: {{ .Values.postgres.image }}\n"
            "          readinessProbe:\n            exec:\n              command: [pg_isready, -U, postgres]\n"),
        "chart/templates/web.yaml": (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n"
            "      containers:\n        - name: web\n          image: {{ .Values.image }}\n"
            "          readinessProbe:\n            httpGet:\n              path: /ready\n              port: 80\n"),
    })
    [verify] = facts_for(scanned.model, "deploy.rollback.verify")
    assert "web" in verify.text and "pg_isready" not in verify.text and "postgres" not in verify.text


def test_configmap_generator_literals_are_variables(shop: Scanned) -> None:
    assert any("LOG_LEVEL=debug" in t for t in texts(facts_for(shop.model, "log.levels")))
    assert one(facts_for(shop.model, "env.special", "development"), "APP_ENV=development")


def test_templated_yaml_that_fails_gives_a_diagnostic_and_the_rest_is_read(shop: Scanned) -> None:
    diagnostics = [d for d in shop.model.diagnostics if d.path == "broken/templated.yaml"]
    assert [d.line for d in diagnostics] == [14]
    assert "template expressions" in diagnostics[0].message
    url = one(facts_for(shop.model, "env.url", "production"), "edge.acme-retail.com")
    assert "broken/templated.yaml" in paths(url)  # the Ingress after the broken document, its namespace the env


def test_chart_templates_are_left_to_the_helm_detector(tmp_path: Path) -> None:
    scanned = scan_tree(
        tmp_path,
        {
            "chart/Chart.yaml": "apiVersion: v2\nname: x\nversion: 1.0.0\n",
            "chart/templates/static.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: pg\n"
            "spec:\n  template:\n    spec:\n      containers:\n        - name: pg\n          image: postgres:16\n",
        },
    )
    db = one([f for f in scanned.model.facts if f.field == "env.database"], "PostgreSQL 16")
    assert {e.detector for e in db.evidence} == {"helm"}


def test_documents_keep_their_lines() -> None:
    text = "a: 1\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  LOG_LEVEL: warn\n"
    assert [start for start, _ in split_documents(text)] == [0, 2]
    docs, errors = load_documents(text + "---\nkey: [unclosed\n")
    assert errors and errors[0][0] == 11  # the line where PyYAML finds the sequence unclosed
    summary = summarise(docs[1])
    assert summary is not None and summary["line"] == 4 and summary["variables"] == [["LOG_LEVEL", "warn", 8]]


def test_no_value_of_a_secret_is_kept(tmp_path: Path) -> None:
    scanned = scan_tree(
        tmp_path,
        {
            "k8s/prod/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: api\nstringData:\n"
            "  STRIPE_SECRET_KEY: sk_live_abcdefghijklmnop1234\n",
        },
    )
    assert not any(re.search(r"sk_live", f.text) for f in scanned.model.facts)
    assert any("STRIPE_SECRET_KEY" in f.text for f in scanned.model.facts)


# -- big monorepos: the same facts for less work ----------------------------------------------


def _fixture_objects() -> list[dict[str, Any]]:
    """Every object the fixtures hold: plain manifests, and chart templates as the Helm detector reads them."""
    objects: list[dict[str, Any]] = []
    for path in sorted((FIXTURES / "kubernetes").rglob("*.yaml")):
        out = KubernetesDetector().extract(SourceFile(path.as_posix(), path.read_text(encoding="utf-8")))
        objects += [r.data for r in out.records if r.kind == "k8s.object"]
    for path in sorted(p for p in (FIXTURES / "helm").rglob("templates/**/*") if p.is_file()):
        out = HelmDetector().extract(SourceFile(path.as_posix(), path.read_text(encoding="utf-8")))
        objects += [doc["summary"] for r in out.records for doc in r.data["docs"]]
    edge_cases = (  # what the fixtures lack: objects whose only environment fact is one of each kind
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: db-backup\nspec:\n  schedule: '0 2 * * *'\n"
        "---\napiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata:\n  name: api\nspec:\n"
        "  secretStoreRef:\n    kind: ClusterSecretStore\n    name: vault\n"
        "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: web\nspec:\n"
        "  hostnames: [shop.acme-retail.com]\n"
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n"
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: env\ndata:\n  LOG_LEVEL: debug\n"
        "  DATABASE_URL: postgres://db.acme-retail.internal:5432/shop\n  APP_URL: https://shop.acme-retail.com\n"
    )
    objects += [o for o in map(summarise, load_documents(edge_cases)[0]) if o]
    return objects


@pytest.mark.parametrize(("env", "active"), [("production", True), (None, True), ("staging", False)])
def test_environment_facts_are_the_environment_part_of_object_facts(env: str | None, active: bool) -> None:
    """A chart renders each template once per environment and asks only for these; nothing may be lost."""
    site = Site(KubernetesDetector(), "k8s/app.yaml", env, (" in ", Code("k8s/app.yaml")), active=active)
    objects = _fixture_objects()
    assert len(objects) >= 37 and any(describes_environment(o) for o in objects)
    quiet = [o for o in objects if not describes_environment(o)]
    assert {o["kind"] for o in quiet} >= {"Service", "ServiceMonitor", "PrometheusRule"}
    for obj in objects:
        expected = [f for f in object_facts(obj, site) if FIELD_BY_ID[f.field].scope is FieldScope.ENVIRONMENT]
        assert environment_facts(obj, site) == expected, obj["kind"]
        if not describes_environment(obj):
            assert expected == [] and not obj.get("containers"), obj["kind"]


def test_file_index_answers_what_a_scan_of_every_path_would() -> None:
    paths = ["top.yaml", "a/x.yaml", "a/b/y.yaml", "ab/z.yaml", "a/b/c/w.yaml", "b/a/v.yaml", "a/b.yaml"]
    index = FileIndex(paths)
    for folder in ("", "a", "a/b", "ab", "b", "b/a", "a/b/c", "missing", "a/x.yaml"):
        prefix = f"{folder}/" if folder else ""
        assert index.in_folder(folder) == [p for p in paths if p.startswith(prefix) and "/" not in p[len(prefix) :]]
        assert index.below(folder) == [p for p in paths if p.startswith(prefix)]
        assert index.has_folder(folder) == (bool(folder) and any(p.startswith(prefix) for p in paths))


def test_documentdb_container_is_documentdb_not_mongodb(tmp_path: Path) -> None:
    """The open-source DocumentDB image is its own engine, named as such (it speaks MongoDB's protocol)."""
    statefulset = (
        "# modelled on Azure-Samples/aks-store-demo kustomize/base/documentdb.yaml\n"
        "apiVersion: apps/v1\n"
        "kind: StatefulSet\n"
        "metadata:\n"
        "  name: orders-db\n"
        "spec:\n"
        "  serviceName: orders-db\n"
        "  template:\n"
        "    spec:\n"
        "      containers:\n"
        "        - name: orders-db\n"
        "          image: ghcr.io/documentdb/documentdb/documentdb-local:pg17-0.112.0\n"
        "          args: [--username, username, --password, password]\n"
    )
    scanned = scan_tree(tmp_path, {"k8s/orders-db.yaml": statefulset})
    found = [f for f in facts_for(scanned.model, "env.database") if "in-cluster" in f.text]
    assert [(f.tech, f.text.split(" in-cluster")[0]) for f in found] == [("documentdb", "DocumentDB")]
    assert found[0].evidence[0].line == 12


def test_azure_managed_prometheus_service_monitor_is_not_prometheus_operator(tmp_path: Path) -> None:
    """azmonitoring.coreos.com monitors are scraped by AKS's ama-metrics add-on, not by Prometheus Operator."""
    azure = (
        "# modelled on Azure-Samples/aks-store-demo kustomize/overlays/kaito/product-service-monitor.yaml\n"
        "apiVersion: azmonitoring.coreos.com/v1\n"
        "kind: ServiceMonitor\n"
        "metadata:\n"
        "  name: api-monitor\n"
        "spec:\n"
        "  selector:\n"
        "    matchLabels:\n"
        "      app: api\n"
        "  endpoints:\n"
        "    - port: http\n"
        "      path: /metrics\n"
    )
    operator = azure.replace("azmonitoring.coreos.com", "monitoring.coreos.com").replace("api-monitor", "web-monitor")
    scanned = scan_tree(tmp_path, {"k8s/api-monitor.yaml": azure, "k8s/web-monitor.yaml": operator})
    found = {f.text.split(" in k8s/")[0]: f.tech for f in facts_for(scanned.model, "mon.infrastructure")}
    assert found == {
        "Azure Monitor managed Prometheus (ama-metrics add-on ServiceMonitor api-monitor; port http, path /metrics)":
            "azure-monitor",
        "Prometheus (Prometheus Operator ServiceMonitor web-monitor; port http, path /metrics)": "prometheus",
    }


def test_a_sidecars_log_level_names_its_container() -> None:
    # modelled on grafana/loki production/helm/loki/templates/backend/statefulset-backend.yaml:
    # the rules-watching sidecar sets LOG_LEVEL, Loki itself does not
    manifest = (
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: loki-backend\nspec:\n  template:\n    spec:\n"
        "      containers:\n        - name: loki\n          image: grafana/loki:3.5.0\n"
        "        - name: loki-sc-rules\n          image: kiwigrid/k8s-sidecar:1.30.3\n          env:\n"
        "            - name: LOG_LEVEL\n              value: INFO\n"
    )
    site = Site(KubernetesDetector(), "k8s/backend.yaml", None, (" in ", Code("k8s/backend.yaml")))
    [obj] = [o for o in map(summarise, load_documents(manifest)[0]) if o]
    level = one([f for f in object_facts(obj, site) if f.field == "log.levels"], "LOG_LEVEL=INFO")
    assert level.text == "LOG_LEVEL=INFO in StatefulSet loki-backend, container loki-sc-rules (k8s/backend.yaml)"
    alone = manifest.replace("        - name: loki\n          image: grafana/loki:3.5.0\n", "")
    [obj] = [o for o in map(summarise, load_documents(alone)[0]) if o]
    level = one([f for f in object_facts(obj, site) if f.field == "log.levels"], "LOG_LEVEL=INFO")
    assert "container" not in level.text  # one container is the workload itself


# Backup recognisers (data/commands/70-kubernetes.yaml, kind `backup`): a line each, modelled on
# the public file named beside it; negatives below.
@pytest.mark.parametrize(
    ("rule", "line"),
    [
        # postgres-dump: giddy87/PostgresOps-Backup-and-Restore-on-K8s-using-S3-buckets db_backup.yml (pg_dumpall)
        ("postgres-dump", "pg_dumpall -h $dbhost -U $dbuser | gzip > /backup/all.sql.gz"),
        # postgres-dump: thienpow/pgdumper example/pgdumper-backup.yaml
        ("postgres-dump", 'pg_dump -h "$PGHOST" -U postgres -Fc mydb -f /backups/mydb.dump'),
        # mysql-dump: MySQL reference manual, mysqldump chapter
        ("mysql-dump", "mysqldump --single-transaction --all-databases -h mysql -u root"),
        # mongo-dump: kbase/mongo-dump README.md
        ("mongo-dump", "mongodump --host=$MONGODB_URL --port=27017 --gzip --archive=/backup/db.tar.gz"),
        # backup-tool: hazkall/kubernetes-etcd-backup-schedule README.md
        ("backup-tool", "etcdctl --endpoints=https://127.0.0.1:2379 snapshot save /var/lib/etcd/snapshot.db"),
        # backup-tool: vmware-tanzu/velero examples/nginx-app README.md
        ("backup-tool", "velero backup create nginx-backup --include-namespaces nginx-example"),
        # backup-tool: restic/restic README.md
        ("backup-tool", "restic -r /srv/restic-repo backup /data"),
    ],
)
def test_backup_command_rules(rule: str, line: str) -> None:
    assert [c.rule for c in classify(line) if c.kind == "backup"] == [rule]


@pytest.mark.parametrize(
    "line",
    [
        "pg_restore -d mydb /backups/mydb.dump",  # a restore is not a backup
        "velero restore create --from-backup nginx-backup",
        "aws s3 sync ./public s3://my-site",  # an upload: a site deploy as often as a backup
        "sleep 60",
    ],
)
def test_not_backup_commands(line: str) -> None:
    assert not [c for c in classify(line) if c.kind == "backup"]


# modelled on stefanprodan/podinfo deploy/bases/database/cronjob-backup-daily.yaml, whose
# scripts/backup.sh is "a simulation of a backup process" (echo, sleep 60, exit $BACKUP_EXIT)
BACKUP_CRONJOB = (
    "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: backup-daily\nspec:\n  schedule: '0 0 * * *'\n"
    "  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n"
    "          - name: backup\n            image: ghcr.io/stefanprodan/podinfo:6.14.1\n"
    "            command:\n            - /bin/sh\n            - /scripts/backup.sh\n"
)


def test_a_cronjob_named_backup_is_a_backup_only_when_it_runs_a_backup_tool() -> None:
    site = Site(KubernetesDetector(), "k8s/backup.yaml", "production", (" in ", Code("k8s/backup.yaml")))
    [obj] = [o for o in map(summarise, load_documents(BACKUP_CRONJOB)[0]) if o]
    [named] = [f for f in object_facts(obj, site) if f.item == "backup:backup-daily"]
    assert named.confidence is Confidence.HINT and not named.text.startswith("Scheduled backup")
    assert named.text.startswith("CronJob backup-daily (0 0 * * *) is named for backups, but runs /bin/sh /scripts/")
    dumping = BACKUP_CRONJOB.replace("- /scripts/backup.sh", '- -c\n            - pg_dump "$DATABASE_URL" > /b.sql')
    [obj] = [o for o in map(summarise, load_documents(dumping)[0]) if o]
    [backup] = [f for f in object_facts(obj, site) if f.item == "backup:backup-daily"]
    assert backup.confidence is Confidence.INFERRED
    assert backup.text.startswith('Scheduled backup: CronJob backup-daily (0 0 * * *) runs pg_dump "$DATABASE_URL"')


def test_a_cronjob_that_runs_a_backup_tool_is_a_backup_whatever_its_name() -> None:
    # The tools are command data (kind `backup`), so a CronJob named `nightly-db` running
    # `mariadb-dump` is found as one, and a `cleanup` job that neither names nor runs one is not.
    site = Site(KubernetesDetector(), "k8s/nightly.yaml", "production", (" in ", Code("k8s/nightly.yaml")))
    nightly = BACKUP_CRONJOB.replace("name: backup-daily", "name: nightly-db").replace(
        "- /scripts/backup.sh", "- -c\n            - mariadb-dump --all-databases > /b.sql")
    [obj] = [o for o in map(summarise, load_documents(nightly)[0]) if o]
    [backup] = [f for f in object_facts(obj, site) if f.item == "backup:nightly-db"]
    assert backup.text.startswith("Scheduled backup: CronJob nightly-db (0 0 * * *) runs mariadb-dump")
    cleanup = BACKUP_CRONJOB.replace("name: backup-daily", "name: cleanup").replace(
        "- /scripts/backup.sh", "- -c\n            - find /tmp -mtime +7 -delete")
    [obj] = [o for o in map(summarise, load_documents(cleanup)[0]) if o]
    assert not [f for f in object_facts(obj, site) if f.item.startswith("backup:")]


def test_liveness_probes_alone_do_not_hold_a_rollout(tmp_path: Path) -> None:
    # Modelled on cloudposse's echo-server chart: a livenessProbe and no readinessProbe. Only a
    # readiness probe keeps a rollout from going on, so neither is said to verify a release.
    deployment = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: echo\nspec:\n  template:\n    spec:\n"
                  "      containers:\n        - name: echo\n          image: ealen/echo-server:0.9\n"
                  "          livenessProbe:\n            httpGet:\n              path: /\n              port: 80\n")
    scanned = scan_tree(tmp_path, {"k8s/deployment.yaml": deployment})
    assert facts_for(scanned.model, "deploy.rollback.verify") == []
    assert facts_for(scanned.model, "deploy.rollback.identify") == []


def test_a_readiness_probe_is_cited_at_its_key(tmp_path: Path) -> None:
    # spring-petclinic and microservices-demo: the citation was the first line inside the probe
    deployment = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n"
                  "      containers:\n        - name: web\n          image: nginx:1.27\n"
                  "          readinessProbe:\n            httpGet:\n"
                  "              path: /readyz\n              port: 80\n")
    scanned = scan_tree(tmp_path, {"k8s/deployment.yaml": deployment})
    [verify] = facts_for(scanned.model, "deploy.rollback.verify")
    assert [(e.path, e.line) for e in verify.evidence] == [("k8s/deployment.yaml", 11)]


def test_a_prometheus_rule_of_recording_rules_only_alerts_on_nothing(tmp_path: Path) -> None:
    # kube-prometheus-stack's k8s.rules.container_* files record series and hold no alert: they were
    # hinted as "alert rules infrascan could not read"
    rule = ("apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: k8s-rules\nspec:\n"
            "  groups:\n    - name: k8s.rules.container_memory_rss\n      rules:\n"
            "        - expr: sum by (namespace, pod) (container_memory_rss)\n"
            "          record: node_namespace_pod_container:container_memory_rss\n")
    scanned = scan_tree(tmp_path, {"k8s/rules.yaml": rule})
    assert facts_for(scanned.model, "alert.warning") == [] and facts_for(scanned.model, "alert.critical") == []


@pytest.mark.parametrize("count", [6, 7])
def test_beyond_six_alert_rules_of_a_level_a_prometheus_rule_is_one_statement(tmp_path: Path, count: int) -> None:
    # as the alerting detector states a rule file's: a PrometheusRule of 40 rules is not 40 lines
    rules = "".join(f"        - alert: Down{i}\n          expr: up == 0\n          labels:\n"
                    f"            severity: critical\n" for i in range(count))
    rule = ("apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: app\nspec:\n"
            f"  groups:\n    - name: app\n      rules:\n{rules}")
    scanned = scan_tree(tmp_path, {"k8s/rules.yaml": rule})
    critical = facts_for(scanned.model, "alert.critical")
    if count == 6:
        assert len(critical) == 6
    else:
        [summary] = critical
        assert summary.text == ("7 alert rules with severity critical (Down0, Down1, Down2, Down3, Down4, Down5 "
                                "and 1 more) in PrometheusRule app in k8s/rules.yaml")
        assert len(summary.evidence) == 7


def test_readiness_probes_of_workloads_replaced_by_hand_hold_no_rollout(tmp_path: Path) -> None:
    # vault-helm: the server StatefulSet updates OnDelete (its readiness probe was said to hold a
    # rollout back); a Recreate Deployment has no rolling update either
    def workload(kind: str, strategy: str, name: str) -> str:
        return (f"apiVersion: apps/v1\nkind: {kind}\nmetadata:\n  name: {name}\nspec:\n{strategy}  template:\n"
                f"    spec:\n      containers:\n        - name: {name}\n          image: nginx:1.27\n"
                "          readinessProbe:\n            httpGet:\n              path: /ready\n              port: 80\n")
    scanned = scan_tree(tmp_path, {
        "k8s/vault.yaml": workload("StatefulSet", "  updateStrategy:\n    type: OnDelete\n", "vault"),
        "k8s/batch.yaml": workload("Deployment", "  strategy:\n    type: Recreate\n", "batch"),
        "k8s/web.yaml": workload("Deployment", "", "web"),
    })
    [verify] = facts_for(scanned.model, "deploy.rollback.verify")
    assert "probes on web " in verify.text and "vault" not in verify.text and "batch" not in verify.text


def test_helm_values_probes_of_a_component_replaced_by_hand_hold_no_rollout(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, {
        "chart/Chart.yaml": "apiVersion: v2\nname: vault\nversion: 0.1.0\n",
        "chart/values.yaml": "server:\n  updateStrategyType: OnDelete\n  readinessProbe:\n    enabled: true\n"
                             "    path: /v1/sys/health\ninjector:\n  readinessProbe:\n    httpGet:\n"
                             "      path: /health\n"
                             "alertmanager:\n  readinessProbe: {}\n",
        "chart/templates/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n",
    })
    [verify] = facts_for(scanned.model, "deploy.rollback.verify")
    assert [e.line for e in verify.evidence] == [7]  # the injector's probe: not the server's, not an empty one
