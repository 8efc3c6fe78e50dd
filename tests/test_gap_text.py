"""What a gap says about where infrascan looked: it must be true and readable as rendered Markdown."""

from __future__ import annotations

from pathlib import Path

from helpers import generated as document
from helpers import write_tree


def line(text: str, label: str) -> str:
    return next(row for row in text.splitlines() if label in row)


def test_square_brackets_in_where_we_looked_are_escaped_not_erased(tmp_path: Path) -> None:
    # A fly.toml with no [metrics] table: the gap names the table it looked for.
    write_tree(tmp_path, {"fly.toml": 'app = "shop"\nprimary_region = "ams"\n'})
    row = line(document(tmp_path), "Application monitoring:")
    assert r"fly.toml \[metrics\] (1 file)" in row


def test_fields_drawn_from_other_fields_do_not_claim_no_detector_reads_them(tmp_path: Path) -> None:
    write_tree(tmp_path, {"README.md": "# nothing here\n"})
    text = document(tmp_path)
    tools = line(text, "**Monitoring Tools**")
    identify = line(text, "Identify the need for rollback")
    assert "No installed detector" not in tools and \
        "the application, infrastructure and performance monitoring fields below name" in tools
    assert "No installed detector" not in identify and "alerts, health checks and error tracking found" in identify


def test_hints_under_a_gap_put_switched_off_objects_last(tmp_path: Path) -> None:
    # Modelled on retail-store-sample-app: managed databases in Terraform with no environment, and
    # charts whose in-cluster databases are switched off. Only five hints are shown, so order matters.
    write_tree(tmp_path, {
        "chart/Chart.yaml": "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
        "chart/values.yaml": "db:\n  enabled: false\n",
        "chart/templates/db.yaml": (
            "{{- if .Values.db.enabled }}\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n"
            "  template:\n    spec:\n      containers:\n        - name: db\n          image: postgres:16\n{{- end }}\n"
        ),
        "main.tf": 'resource "aws_db_instance" "main" {\n  engine         = "mysql"\n  engine_version = "8.0"\n}\n',
    })
    lines = document(tmp_path).splitlines()
    start = lines.index(next(row for row in lines if row.startswith("- **Production**")))
    field = next(i for i in range(start, len(lines)) if lines[i].startswith("  - Database:"))
    hints = [row for row in lines[field + 1 : field + 4] if row.lstrip().startswith("- hint:")]
    assert "MySQL 8" in hints[0] and "PostgreSQL 16" in hints[1] and "off:" in hints[1], hints


def test_hints_under_a_gap_put_managed_stores_before_in_cluster_ones(tmp_path: Path) -> None:
    # retail-store-sample-app: six managed stores in an env-less Terraform stack, and in-cluster
    # databases its quick-start charts switch on. In-cluster ones came first and hid Aurora and
    # ElastiCache behind "and 15 more hints".
    stores = {f"modules/db{n}/main.tf": f'resource "aws_db_instance" "db{n}" {{\n  engine = "postgres"\n'
                                       f'  engine_version = "1{n}.1"\n}}\n' for n in range(5)}
    write_tree(tmp_path, {
        **stores,
        "chart/Chart.yaml": "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
        "chart/values.yaml": "mysql:\n  create: true\n",
        "chart/templates/db.yaml": (
            "{{- if .Values.mysql.create }}\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n"
            "  template:\n    spec:\n      containers:\n        - name: db\n          image: mysql:8.0\n{{- end }}\n"
        ),
    })
    lines = document(tmp_path).splitlines()
    start = lines.index(next(row for row in lines if row.startswith("- **Production**")))
    field = next(i for i in range(start, len(lines)) if lines[i].startswith("  - Database:"))
    hints = [row for row in lines[field + 1 : field + 7] if row.lstrip().startswith("- hint:")]
    assert len(hints) == 5 and all("PostgreSQL 1" in h for h in hints), hints
    assert "and 1 more hint" in lines[field + 6]


def test_a_gap_with_hints_under_it_does_not_say_there_is_no_evidence(tmp_path: Path) -> None:
    """openstatus: 'no evidence for this environment' above a hint citing a URL per branch."""
    write_tree(tmp_path, {"requirements.txt": "psycopg[binary]==3.2.1\n", ".env.example": "DEBUG=1\n"})
    rows = [r for r in document(tmp_path).splitlines() if r.startswith("  - Database:")]
    # the hints that name no environment are listed once, under production's gap; the other
    # environments' gaps point there (five reviewers read the repeated blocks as noise)
    development, staging, production = rows
    assert "**Gap:** nothing found settles it; the hints below are leads to check." in production
    for row in (development, staging):
        assert "the hints under Production (no environment stated) are leads here too." in row
    assert not [r for r in rows if "no evidence" in r]
    assert document(tmp_path).count("hint: PostgreSQL driver") == 1
    without = tmp_path / "bare"
    write_tree(without, {".env.example": "DEBUG=1\n"})
    assert "**Gap:** no evidence found." in line(document(without), "  - Database:")


def test_hints_that_name_no_environment_go_where_the_field_is_shown(tmp_path: Path) -> None:
    # linkding: production shows no "Special configurations" line when nothing fills it, and the
    # development gap pointed to hints under Production that were never written
    write_tree(tmp_path, {"docker-compose.yml": "services:\n  app:\n    image: acme/app:1\n    ports: ['9090:9090']\n"
                                                "    restart: unless-stopped\n"})
    text = document(tmp_path)
    special = line(text, "  - Special configurations:")
    assert "the hints below are leads to check" in special
    assert "hint: Compose service `app` publishes ports `9090:9090`" in text


def test_a_field_counts_only_the_files_that_can_hold_it(tmp_path: Path) -> None:
    # Modelled on fdroidserver: a Heroku app.json (a test fixture there) and no render.yaml, while
    # the gap for manual deploys said "Render services with autoDeploy off (1 file)".
    write_tree(tmp_path / "heroku", {"app.json": '{"name": "shop", "addons": ["heroku-postgresql"]}\n'})
    manual = line(document(tmp_path / "heroku"), "Manual deployments:")
    assert "autoDeploy" not in manual and "(1 file)" not in manual
    assert "None of these is in the repository: " in manual and manual.endswith(", `render.yaml`.")
    write_tree(tmp_path / "render", {"app.json": '{"name": "shop"}\n', "render.yaml": "services: []\n"})
    manual = line(document(tmp_path / "render"), "Manual deployments:")
    assert "Render services with autoDeploy off (1 file)" in manual


def test_hints_from_retired_folders_come_after_the_repositorys_own(tmp_path: Path) -> None:
    # Modelled on cloudposse/terraform-aws-components: deprecated/ modules sorted first by path
    # filled the five hints shown, and the current modules were left in "and N more".
    db = 'resource "aws_db_instance" "{name}" {{\n  engine         = "{engine}"\n  engine_version = "{version}"\n}}\n'
    write_tree(tmp_path, {
        "deprecated/aws/rds.tf": db.format(name="old", engine="mysql", version="5.6"),
        "modules/rds/main.tf": db.format(name="main", engine="postgres", version="15.4"),
    })
    text = document(tmp_path)
    block = text[text.index("- **Production**"):]
    hints = [row for row in block.splitlines() if row.lstrip().startswith("- hint:")][:2]
    assert "PostgreSQL 15" in hints[0] and "MySQL 5.6" in hints[1], hints


def test_no_services_gap_points_at_the_monitoring_tools_it_leaves_out(tmp_path: Path) -> None:
    # Modelled on laravel-api-template: Sentry under Monitoring, and "no third-party service found".
    write_tree(tmp_path / "sentry", {"package.json": '{"name": "api", "dependencies": {"@sentry/node": "^8.0.0"}}\n'})
    gap = line(document(tmp_path / "sentry"), "no third-party service found")
    assert "no third-party service found besides the monitoring tools listed above." in gap
    write_tree(tmp_path / "plain", {"package.json": '{"name": "api", "dependencies": {"express": "^4.0.0"}}\n'})
    gap = line(document(tmp_path / "plain"), "no third-party service found")
    assert "no third-party service found. Looked for" in gap
    # only a hint (an SDK the tests use) under a Monitoring Tools gap; an indirect one is not even that
    write_tree(tmp_path / "hint", {"package.json": '{"name": "api", "devDependencies": {"@sentry/node": "^8"}}\n'})
    text = document(tmp_path / "hint")
    assert "**Monitoring Tools**: **Gap:** nothing found settles it; the hints that follow are leads" in text
    assert "no third-party service found. " in line(text, "no third-party service found")


def test_migration_files_are_not_counted_as_prisma_or_drizzle_files(tmp_path: Path) -> None:
    # loki: 15 goose .sql files were "Prisma datasource providers and Drizzle dialects (15 files)".
    write_tree(tmp_path, {"pkg/goldfish/migrations/001_init.sql": "-- +goose Up\nCREATE TABLE t (id int);\n",
                          "pkg/goldfish/migrations/002_more.sql": "-- +goose Up\nALTER TABLE t ADD x int;\n"})
    database = line(document(tmp_path), "Database:")
    assert "Prisma datasource providers" not in database  # nothing read could hold a provider
    assert "`*.prisma`" in database and "`alembic.ini`" in database


def test_a_gap_names_the_files_it_could_not_parse(tmp_path: Path) -> None:
    # The Bitbucket ECS demo: `NPM_TOKEN: {{token}}` made its only compose file invalid YAML, and the
    # gap read "Looked for published ports of compose services (1 file)" as if that file had none.
    broken = "services:\n  api:\n    ports:\n      - \"3002:3002\"\n    environment:\n      NPM_TOKEN: {{token}}\n"
    write_tree(tmp_path / "one", {"docker-compose.yml": broken})
    url = line(document(tmp_path / "one"), "URL:")
    assert "published ports of compose services (1 file, not fully parsed: docker-compose.yml)" in url
    write_tree(tmp_path / "two", {"docker-compose.yml": broken,
                                  "docker-compose.test.yml": "services:\n  db:\n    image: postgres:16\n"})
    url = line(document(tmp_path / "two"), "URL:")
    assert "(2 files, 1 of them not fully parsed: docker-compose.yml)" in url


def test_one_hint_left_out_is_said_in_the_singular(tmp_path: Path) -> None:
    # Six managed databases with no environment: five hints are shown, "and 1 more hint".
    db = 'resource "aws_db_instance" "db{n}" {{\n  engine         = "postgres"\n  engine_version = "1{n}.1"\n}}\n'
    write_tree(tmp_path, {f"modules/db{n}/main.tf": db.format(n=n) for n in range(6)})
    text = document(tmp_path)
    assert "and 1 more hint (`infrascan scan --format json` lists them)" in text
    assert "1 more hints" not in text


def test_hints_left_out_of_a_steps_gap_are_counted(tmp_path: Path) -> None:
    # prometheus-community/helm-charts: the deployment steps gap listed 5 of 44 charts and did not
    # say that 39 were left out, as every other field's gap does
    chart = "apiVersion: v2\nname: c{n}\nversion: 1.{n}.0\nappVersion: v0.{n}.0\n"
    write_tree(tmp_path, {f"charts/c{n}/Chart.yaml": chart.format(n=n) for n in range(7)})
    text = document(tmp_path)
    steps = text[text.index("- **Deployment Steps**:"):text.index("- **Rollback Procedure**:")]
    assert steps.count("- hint: Helm chart") == 5
    assert "   - and 2 more hints (`infrascan scan --format json` lists them)" in steps


def test_a_condition_infrascan_cannot_read_does_not_make_the_file_unparsed(tmp_path: Path) -> None:
    # "cannot read rule condition ..." is about one expression in a file that parsed: no gap names
    # .gitlab-ci.yml as not fully parsed for it.
    ci = "deploy:\n  script: [./deploy.sh]\n  rules:\n    - if: $CI_COMMIT_BRANCH =~ /(/\n"
    write_tree(tmp_path, {".gitlab-ci.yml": ci})
    text = document(tmp_path)
    assert "not fully parsed" not in text


def test_a_deploy_gap_names_the_deploy_jobs_it_could_not_describe(tmp_path: Path) -> None:
    # saleor: deploy jobs that run actions infrascan does not know; the gap said "no evidence found".
    # A job named release or publish (release-please) is no deploy, and is not named.
    write_tree(tmp_path, {".github/workflows/release.yml": (
        "on:\n  push:\n    tags: ['v*']\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: acme/internal-release-action@v3\n  release:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: googleapis/release-please-action@v4\n")})
    doc = document(tmp_path)
    lines = [line for line in doc.splitlines() if "Deploy jobs that run actions or commands" in line]
    assert len(lines) == 1 and "`.github/workflows/release.yml:5`" in lines[0] and "Gap" in lines[0]
    assert "release.yml:9" not in lines[0]


def test_a_gitlab_deploy_stage_job_of_unknown_commands_is_named_by_the_gaps(tmp_path: Path) -> None:
    # GNOME/gnome-shell-extensions: `dist-bundles`, in the deploy stage, uploads the extensions with
    # `gnome-extensions upload` on tags; the deploy gaps said no evidence was found
    write_tree(tmp_path, {".gitlab-ci.yml": (
        "stages: [build, deploy]\nbuild-bundles:\n  stage: build\n  script:\n    - ./export-zips.sh\n"
        "dist-bundles:\n  stage: deploy\n  needs: [build-bundles]\n  rules:\n    - if: $CI_COMMIT_TAG\n"
        "  script:\n    - gnome-extensions upload --accept-tos zip-files/*.zip\n")})
    lines = [line for line in document(tmp_path).splitlines()
             if "Deploy jobs that run actions or commands infrascan does not know" in line]
    assert lines and all("`.gitlab-ci.yml:6`" in line for line in lines)
    # a failure notice, a stop job and a clean-up in the deploy stage deploy nothing (the code review)
    write_tree(tmp_path / "quiet", {".gitlab-ci.yml": (
        "stages: [deploy]\nnotify:\n  stage: deploy\n  when: on_failure\n  script:\n    - ./notify.sh\n"
        "stop_review:\n  stage: deploy\n  environment:\n    name: review\n    action: stop\n"
        "  script:\n    - ./teardown.sh\ncleanup:\n  stage: deploy\n  script:\n    - rm -rf build\n"
        "    - echo done\n")})
    assert "infrascan does not know" not in document(tmp_path / "quiet")


def test_a_runner_hardening_action_is_no_deploy_left_undescribed(tmp_path: Path) -> None:
    # terraform-aws-eks-blueprints: a destroy job that audits its runner's traffic with
    # step-security/harden-runner was said to deploy with it
    write_tree(tmp_path, {".github/workflows/destroy.yml": (
        "on: workflow_dispatch\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: step-security/harden-runner@v2\n        with:\n          egress-policy: audit\n"
        "      - run: terraform destroy -auto-approve\n")})
    assert "Deploy jobs that run actions or commands" not in document(tmp_path)


def test_monitoring_tools_and_their_hints_stay_on_the_field_s_line(tmp_path: Path) -> None:
    # outline: Datadog and Sentry as bullets sat at the level of the three monitoring fields below;
    # the code review: a hint (a ServiceMonitor switched off) did too
    write_tree(tmp_path, {
        "package.json": '{"name": "app", "dependencies": {"dd-trace": "^5.0.0", "@sentry/node": "^8.0.0"}}\n',
        "chart/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n",
        "chart/values.yaml": "serviceMonitor:\n  enabled: false\n",
        "chart/templates/sm.yaml": ("{{- if .Values.serviceMonitor.enabled }}\n"
                                    "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n"
                                    "  name: app\nspec:\n  endpoints:\n  - port: http\n{{- end }}\n"),
    })
    text = document(tmp_path)
    tools = line(text, "**Monitoring Tools**")
    assert tools.startswith("- **Monitoring Tools**: Datadog (inferred) — ") and "; Sentry (inferred) — " in tools
    assert "; hint: Prometheus" in tools
    after = text[text.index(tools) + len(tools):].lstrip("\n")
    assert after.startswith("  - Application monitoring:")


def test_hints_of_no_environment_are_listed_even_where_every_block_is_filled(tmp_path: Path) -> None:
    # podinfo: autoscalers in deploy/secure (no environment) were in the model and nowhere in the
    # document, because Development's "Special configurations" (the only block that shows the field
    # as a gap) was filled; they follow the block's own hints
    hpa = ("apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: {name}\nspec:\n"
           "  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: {name}}}\n"
           "  minReplicas: 1\n  maxReplicas: {most}\n")
    write_tree(tmp_path, {
        "deploy/dev/hpa.yaml": hpa.format(name="web", most=2),
        "deploy/secure/hpa.yaml": hpa.format(name="backend", most=4),
    })
    text = document(tmp_path)
    dev = text.split("- **Development**", 1)[1].split("\n- **", 1)[0]
    special = dev.split("  - Special configurations:", 1)[1]
    assert "Autoscaling for `web`: 1–2 replicas" in special
    assert "hint: Autoscaling for `backend`: 1–4 replicas" in special and "(environment not stated)" in special
