"""The scripts detector (records for indirection) and the start-command resolver built on it."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import facts_for, scan_tree
from infrascan.detectors.scripts import (
    Copy,
    Hop,
    ScriptsDetector,
    StartResolver,
    argv_script,
    script_tokens,
    shell_body,
)

from infrascan.catalog import load_catalog
from infrascan.config import Config
from infrascan.detector import Extraction, ResolveContext, SourceFile

DETECTOR = ScriptsDetector()


def records(path: str, text: str) -> list[tuple[str, int, str, str]]:
    result = DETECTOR.extract(SourceFile(path, text))
    return [
        (r.kind, r.line, str(r.data.get("kind", r.data.get("name"))), str(r.data.get("command", "")))
        for r in result.records
    ]


def resolver(files: dict[str, str]) -> StartResolver:
    results = {
        ("scripts", path): DETECTOR.extract(SourceFile(path, text)) if DETECTOR.claims(path) else Extraction()
        for path, text in files.items()
    }
    return StartResolver(ResolveContext(sorted(files), results, Config(), load_catalog()))


def test_shell_script_records_classified_commands_and_calls() -> None:
    text = '#!/usr/bin/env bash\nset -e\nif [ -n "$X" ]; then\n  npm run migrate\nfi\nsh ./scripts/seed.sh\nexec "$@"\n'
    assert records("docker/entrypoint.sh", text) == [
        ("script.command", 4, "indirect", "npm run migrate"),
        ("script.command", 6, "call", "sh ./scripts/seed.sh"),
        ("script.more", 7, "None", ""),  # then it starts what it was given: more than migrating
    ]


def test_scripts_with_other_interpreters_are_skipped() -> None:
    assert records("bin/rails", "#!/usr/bin/env ruby\nrequire_relative '../config/boot'\n") == []


def test_uwsgi_runs_the_commands_of_the_section_it_loads_under_their_conditions() -> None:
    # the code review's cases: another section's exec-asap, an if-env block, commented-out hooks
    text = ("[local]\nexec-asap = ./manage.py migrate\n[uwsgi]\nmodule = app.wsgi\n; exec-asap = ./manage.py flush\n"
            "if-env = RUN_MIGRATIONS\nhook-pre-app = exec:./manage.py migrate\nendif =\n"
            "exec-pre-app = python manage.py collectstatic --noinput\n")
    records = DETECTOR.extract(SourceFile("uwsgi.ini", text)).records
    found = [(r.line, r.data.get("guard", "")) for r in records if r.data.get("kind") == "migrate"]
    assert found == [(7, "if-env = RUN_MIGRATIONS")]


def test_images_and_programs_among_scripts_are_not_read() -> None:
    # miniflux keeps its icons in `internal/ui/static/bin/`: each was a "binary content" warning
    assert not DETECTOR.claims("internal/ui/static/bin/favicon.ico")
    assert not DETECTOR.claims("tools/bin/icon-192.PNG")
    assert not DETECTOR.claims("bin/helper.jar")
    assert DETECTOR.claims("bin/setup") and DETECTOR.claims("tools/bin/release.sh")


def test_node_script_exec_calls() -> None:
    text = (
        "import { execSync, spawnSync } from 'node:child_process';\n"
        "execSync('prisma migrate deploy', { stdio: 'inherit' });\n"
        'spawnSync("npx", ["knex", "migrate:latest"]);\n'
        "execSync(`echo ${x}`);\n"
    )
    found = records("scripts/check-db.js", text)
    assert ("script.command", 2, "migrate", "prisma migrate deploy") in found
    assert ("script.command", 3, "migrate", "knex migrate:latest") in found


def test_package_json_targets_and_invalid_json() -> None:
    result = DETECTOR.extract(SourceFile("package.json", '{"scripts": {"migrate": "prisma migrate deploy", "x": 1}}'))
    [target] = result.records
    assert target.data["name"] == "migrate" and target.data["classified"][0]["tool"] == "prisma"
    broken = DETECTOR.extract(SourceFile("package.json", '{"scripts": {\n'))
    assert broken.diagnostics[0].line == 2 and broken.records == []


def test_composer_json_scripts_as_commands() -> None:
    # modelled on shlinkio/shlink's composer.json: lists, `@name` references, `@putenv`, `@parallel`
    text = (
        '{\n  "scripts": {\n'
        '    "test": ["@parallel test:unit test:db"],\n'
        '    "test:unit": ["@putenv COLUMNS=120", "phpunit --order-by=random"],\n'
        '    "test:unit:ci": ["@putenv XDEBUG_MODE=coverage", "@test:unit --coverage-php=build/unit.cov"],\n'
        '    "migrate": "@php bin/doctrine migrations:migrate",\n'
        '    "post-install-cmd": "App\\\\Installer::postInstall"\n'
        '  }\n}\n'
    )
    targets = {r.data["name"]: r for r in DETECTOR.extract(SourceFile("composer.json", text)).records}
    assert [c["command"] for c in targets["test"].data["commands"]] == ["composer test:unit", "composer test:db"]
    assert [c["command"] for c in targets["test:unit"].data["commands"]] == ["phpunit --order-by=random"]
    assert targets["test:unit"].line == 4 and targets["test:unit"].data["runner"] == "composer"
    assert [c["command"] for c in targets["test:unit:ci"].data["commands"]] == [
        "composer test:unit --coverage-php=build/unit.cov"]
    assert [c["command"] for c in targets["migrate"].data["commands"]] == ["php bin/doctrine migrations:migrate"]
    assert targets["post-install-cmd"].data["commands"] == []


def test_a_composer_script_is_followed_to_what_it_runs(tmp_path: Path) -> None:
    # shlink: a reusable workflow runs `composer test:${{ inputs.test-group }}:ci` with test-group unit
    scanned = scan_tree(tmp_path, {
        "composer.json": '{"scripts": {"test:unit": "phpunit", "test:unit:ci": "@test:unit --coverage-php=x.cov"}}',
        ".github/workflows/ci.yml": (
            "on: push\njobs:\n  unit-tests:\n    uses: ./.github/workflows/tests.yml\n"
            "    with:\n      test-group: unit\n"
        ),
        ".github/workflows/tests.yml": (
            "on:\n  workflow_call:\n    inputs:\n      test-group:\n        type: string\n"
            "jobs:\n  tests:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - run: composer test:${{ inputs.test-group }}:ci\n"
        ),
    })
    [unit] = facts_for(scanned.model, "ci.test.unit")
    assert "PHPUnit" in unit.text and "composer test:unit:ci" in unit.text
    assert any(e.path == "composer.json" for e in unit.evidence)


@pytest.mark.parametrize("flag", ["-d backend", "--working-dir backend", "--working-dir=backend", "-d ./backend/"])
def test_a_composer_script_in_another_directory_is_found_there(tmp_path: Path, flag: str) -> None:
    # `composer -d backend test` runs backend/composer.json's script, not one beside the workflow
    scanned = scan_tree(tmp_path, {
        "backend/composer.json": '{"scripts": {"test": "phpunit"}}',
        ".github/workflows/ci.yml": (
            "on: push\njobs:\n  tests:\n    runs-on: ubuntu-latest\n    steps:\n"
            f"      - run: composer {flag} test\n"
        ),
    })
    [unit] = facts_for(scanned.model, "ci.test.unit")
    assert "PHPUnit" in unit.text
    assert any(e.path == "backend/composer.json" for e in unit.evidence)


def test_a_gitlab_job_finds_a_composer_script_in_another_directory(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, {
        "api/composer.json": '{"scripts": {"test": "phpunit"}}',
        ".gitlab-ci.yml": "test:\n  script:\n    - composer --working-dir=api test\n",
    })
    [unit] = facts_for(scanned.model, "ci.test.unit")
    assert unit.attrs["tool"] == "phpunit" and any(e.path == "api/composer.json" for e in unit.evidence)


def test_recipe_lines_are_split_into_simple_commands() -> None:
    # A recipe line that changes directory first (django-uwsgi-template's Makefile runs
    # `cd deploy && ansible-playbook ...`; charts are often `cd charts && helm upgrade ...`).
    text = "deploy:\n\tcd charts && helm upgrade --install shop ./shop -f values-prod.yaml\nlint:\n\tmake -C x lint\n"
    [deploy, _] = DETECTOR.extract(SourceFile("Makefile", text)).records
    assert [c["command"] for c in deploy.data["commands"]] == [
        "cd charts", "helm upgrade --install shop ./shop -f values-prod.yaml"]
    assert [(c["kind"], c["tool"], c["line"]) for c in deploy.data["classified"]] == [("deploy", "helm", 2)]


def test_a_target_with_only_prerequisites_runs_their_recipes() -> None:
    # miniflux's `build: linux-amd64 linux-arm64 ...`: `make build` in CI read as running nothing
    text = ("build: linux-amd64 linux-arm64 $(BIN)\n\nlinux-amd64:\n\tGOARCH=amd64 go build -o app-amd64\n"
            "linux-arm64:\n\tGOARCH=arm64 go build -o app-arm64\n")
    build = next(r for r in DETECTOR.extract(SourceFile("Makefile", text)).records if r.data["name"] == "build")
    assert [(c["command"], c["line"]) for c in build.data["commands"]] == [
        ("GOARCH=amd64 go build -o app-amd64", 4), ("GOARCH=arm64 go build -o app-arm64", 6)]


def make_targets(text: str) -> dict[str, list[tuple[str, int]]]:
    return {r.data["name"]: [(c["command"], c["line"]) for c in r.data["commands"]]
            for r in DETECTOR.extract(SourceFile("Makefile", text)).records}


def test_make_rules_as_make_reads_them() -> None:
    # the code review's cases: a target's later rule line, a target-specific variable, a continued
    # prerequisite list, a double-colon rule, an inline recipe, and aggregates of aggregates
    assert make_targets("build:\n\tdocker build -t app .\n\ngenerate:\n\tgo generate ./...\n\nbuild: generate\n")[
        "build"] == [("docker build -t app .", 2)]
    assert make_targets("deploy:\n\tkubectl apply -f k8s/\n\ndeploy: NAMESPACE=prod\n")["deploy"] == [
        ("kubectl apply -f k8s/", 2)]
    assert make_targets("build: a \\\n\tb\n\na:\n\tgo build\nb:\n\tdocker build -t app .\n")["build"] == [
        ("go build", 5), ("docker build -t app .", 7)]
    assert make_targets("release:: build\nbuild: ; docker build -t app .\nall: release\n")["all"] == [
        ("docker build -t app .", 2)]
    # each prerequisite once, as make builds it once: t1 needs t0, t2 needs t0 and t1, ...
    chain = "t0:\n\techo hi\n" + "".join(f"t{n}: {' '.join(f't{m}' for m in range(n))}\n" for n in range(1, 40))
    assert make_targets(chain)["t39"] == [("echo hi", 2)]


def test_recipe_lines_continued_with_a_backslash_are_one_command() -> None:
    # miniflux: `@ docker buildx build --load \` and its flags on the next lines read as four commands,
    # and the build step showed "docker buildx build --load \\"
    text = ("debian:\n\t@ docker buildx build --load \\\n\t\t--platform linux/amd64 \\\n"
            "\t\t-f packaging/Dockerfile \\\n\t\t.\n\t@ docker run --rm deb-builder\n")
    [debian] = DETECTOR.extract(SourceFile("Makefile", text)).records
    assert [(c["command"], c["line"]) for c in debian.data["commands"]] == [
        ("docker buildx build --load --platform linux/amd64 -f packaging/Dockerfile .", 2),
        ("docker run --rm deb-builder", 6)]


@pytest.mark.parametrize(
    ("argv", "script"),
    [
        (["sh", "-c", "a && b"], "a && b"),
        (["/bin/bash", "-ec", "a"], "a"),
        (["node", "server.js"], "node server.js"),
        (["echo", "two words"], "echo 'two words'"),
        # getsentry/self-hosted's healthcheck: a script with single quotes is double-quoted
        (["python3", "-c", "import os\nprint('missing')"], "python3 -c \"import os\nprint('missing')\""),
        ([], ""),
    ],
)
def test_argv_script(argv: list[str], script: str) -> None:
    assert argv_script(argv) == script


def test_shell_body_and_script_tokens() -> None:
    assert shell_body("sh -c 'python manage.py migrate && gunicorn app'") == "python manage.py migrate && gunicorn app"
    assert shell_body("python manage.py migrate") is None
    assert script_tokens('dumb-init -- ./web/entrypoint.sh --flag=1 "$X" http://x/y.sh KEY=a/b') == [
        "./web/entrypoint.sh"
    ]
    assert script_tokens("unbalanced 'quote ./x.sh") == ["./x.sh"]


def test_quotes_inside_words_do_not_hide_shells_or_scripts() -> None:
    """The shell reads `'ba'sh` as `bash` and `entry'.s'h` as `entry.sh`; so must these helpers."""
    assert shell_body("'ba'sh -c 'alembic upgrade head'") == "alembic upgrade head"
    assert script_tokens("exec entry'.s'h start") == ["entry.sh"]
    assert script_tokens('node "server.js"') == ["server.js"]
    assert script_tokens("gunicorn app:app --workers 4") == []
    assert shell_body("gunicorn app:app") is None


def test_resolver_picks_among_scripts_of_the_same_name() -> None:
    """Monorepos have one `bin/entrypoint` per service: the longest matching tail wins, then the
    one inside the command's directory, then the first path."""
    r = resolver({f"{svc}/bin/entrypoint": "alembic upgrade head\n" for svc in ("a", "b", "c/d")})
    assert r.script_path("/app/bin/entrypoint", "b") == "b/bin/entrypoint"
    assert r.script_path("/app/bin/entrypoint", "") == "a/bin/entrypoint"
    assert r.script_path("d/bin/entrypoint", "b") == "c/d/bin/entrypoint"  # three parts matched beat "inside"
    assert r.script_path("x/bin/entrypoint", "") is None  # a relative path must match whole
    assert r.script_path("/app/entrypoint", "") is None  # an image path: its last two parts
    assert r.script_path("/entrypoint", "c") == "c/d/bin/entrypoint"


def test_resolver_maps_image_paths_back_through_copy() -> None:
    r = resolver({"docker/entrypoint.sh": "python manage.py migrate\n", "other/entrypoint.sh": "echo\n"})
    copies = (Copy(("docker/entrypoint.sh",), "/usr/local/bin/", "/app"),)
    assert r.script_path("/usr/local/bin/entrypoint.sh", "", copies) == "docker/entrypoint.sh"
    assert r.script_path("./entrypoint.sh", "other") == "other/entrypoint.sh"  # the nearest one
    assert r.script_path("/rails/bin/docker-entrypoint", "") is None  # nothing read by that name
    assert r.script_path("../outside.sh", "") is None


def test_resolver_reports_the_way_to_the_migration_and_whether_it_is_all_the_command_does() -> None:
    r = resolver(
        {
            "package.json": '{"scripts": {"start": "npm run migrate && node server.js", '
            '"migrate": "prisma migrate deploy"}}',
            "bin/entrypoint.sh": '#!/bin/sh\nnpm run migrate\nexec "$@"\n',
        }
    )
    reached, only = r.migrations("npm start", ("Dockerfile", 9), "")
    assert only is False and [(x.command, x.via) for x in reached] == [
        ("prisma migrate deploy", (Hop("package.json", "start"), Hop("package.json", "migrate")))
    ]
    reached, only = r.migrations("npm run migrate", ("Dockerfile", 9), "")
    assert only is True and reached[0].tool == "prisma"
    reached, only = r.migrations("bin/entrypoint.sh", ("Dockerfile", 9), "")
    assert only is False and reached[0].via == (Hop("bin/entrypoint.sh"), Hop("package.json", "migrate"))
    assert r.migrations("node server.js", ("Dockerfile", 9), "") == ([], False)


def test_resolver_survives_cycles() -> None:
    r = resolver(
        {
            "package.json": '{"scripts": {"a": "npm run b", "b": "npm run a"}}',
            "x.sh": "sh ./y.sh\n",
            "y.sh": "sh ./x.sh\nalembic upgrade head\n",
        }
    )
    assert r.migrations("npm run a", ("Dockerfile", 1), "") == ([], False)
    reached, _ = r.migrations("sh ./x.sh", ("Dockerfile", 1), "")
    assert [x.command for x in reached] == ["alembic upgrade head"]


def test_workdir_maps_back_to_the_repository_directory_it_was_copied_from() -> None:
    """openstatus packages/db/Dockerfile: COPY "packages/db" "/app/packages/db", WORKDIR /app/packages/db."""
    r = resolver({"packages/db/package.json": '{"scripts": {"migrate": "drizzle-kit migrate"}}'})
    copies = (Copy(("packages/db",), "/app/packages/db", "/app"),)
    assert r.repo_dir("/app/packages/db", copies, "") == "packages/db"
    assert r.repo_dir("/elsewhere", copies, "docker") == "docker"
    # A folder is one that holds files: `packages/dbx/` does not make `packages/db` one.
    other = resolver({"packages/dbx/package.json": "{}"})
    assert other.repo_dir("/app/packages/db", copies, "docker") == "docker"
    reached, only = r.migrations("deno task migrate", ("Dockerfile", 3), r.repo_dir("/app/packages/db", copies, ""))
    assert only and reached[0].tool == "drizzle"


def test_shell_guards_give_each_line_its_innermost_if() -> None:
    from infrascan.detectors.scripts import shell_guards

    script = ("#!/bin/sh\nif [ \"$1\" = web ]; then\n  migrate up\n  if [ -n \"$SEED\" ]; then\n    seed\n  fi\n"
              "elif [ \"$1\" = worker ]; then\n  work\nelse\n  other\nfi\nif [ -f x ]; then once; fi\nexec \"$@\"\n")
    guards = shell_guards(script)
    assert guards[3] == '[ "$1" = web ]' and guards[5] == '[ -n "$SEED" ]'
    assert guards[8] == '[ "$1" = worker ]' and guards[10] == '! ([ "$1" = worker ])'
    assert guards[12] == "[ -f x ]" and 13 not in guards
    # wger's entrypoint.sh: `if [[ ... ]];` with `then` on the next line
    assert shell_guards('if [[ "$MIGRATE" == "True" ]];\nthen\n  ./manage.py migrate\nfi\n')[3] == (
        '[[ "$MIGRATE" == "True" ]]')


def test_a_migration_in_both_branches_runs_under_no_one_condition(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, {
        "Dockerfile": "FROM ruby:3.3\nCOPY bin/entrypoint /usr/bin/entrypoint\nENTRYPOINT [\"/usr/bin/entrypoint\"]\n",
        "bin/entrypoint": "#!/bin/sh\nif [ -n \"$FAST\" ]; then\n  bin/rails db:migrate\nelse\n"
                          "  bin/rails db:migrate\nfi\nexec \"$@\"\n",
    })
    [fact] = facts_for(scanned.model, "deploy.migration.strategy")
    assert "bin/rails db:migrate, in every replica" in fact.text and " if " not in fact.text


def test_a_rails_rake_task_is_a_target_that_runs_what_it_invokes() -> None:
    # chatwoot's lib/tasks/db_enhancements.rake (the namespace through a variable), and the usual
    # `Rake::Task[...]` and `sh` forms in nested namespaces
    text = (
        "Rake::Task['db:migrate'].enhance do\n  puts 'x'\nend\n\n"
        "db_namespace = namespace :db do\n"
        "  desc 'Runs setup if database does not exist, or runs migrations if it does'\n"
        "  task chatwoot_prepare: :load_config do\n"
        "    ActiveRecord::Base.configurations.configs_for(env_name: Rails.env).each do |db_config|\n"
        "      db_namespace['migrate'].invoke\n"
        "    rescue ActiveRecord::NoDatabaseError\n"
        "      db_namespace['setup'].invoke\n"
        "    end\n"
        "  end\n"
        "end\n\n"
        "namespace :release do\n  namespace :app do\n    task :prepare do\n"
        "      Rake::Task[\"db:migrate\"].invoke\n      sh 'bin/rails assets:precompile'\n    end\n  end\nend\n"
    )
    out = ScriptsDetector().extract(SourceFile("lib/tasks/release.rake", text))
    tasks = {r.data["name"]: [(c["command"], c["line"]) for c in r.data["commands"]] for r in out.records
             if r.kind == "task.target"}
    assert tasks == {
        "db:chatwoot_prepare": [("rake db:migrate", 9), ("rake db:setup", 11)],
        "release:app:prepare": [("rake db:migrate", 19), ("bin/rails assets:precompile", 20)],
    }


def test_a_release_phase_that_calls_a_rake_task_migrates_through_it(tmp_path: Path) -> None:
    task = ("db_namespace = namespace :db do\n  task app_prepare: :load_config do\n"
            "    db_namespace['migrate'].invoke\n  end\nend\n")
    scanned = scan_tree(tmp_path, {
        "Procfile": "release: bundle exec rails db:app_prepare\nweb: bundle exec puma\n",
        "lib/tasks/db.rake": task,
        "db/migrate/20240101000000_a.rb": "class A < ActiveRecord::Migration[7.1]\n  def change\n  end\nend\n",
    })
    [strategy] = facts_for(scanned.model, "deploy.migration.strategy")
    assert "which runs rake db:migrate (lib/tasks/db.rake:db:app_prepare)" in strategy.text, strategy.text
    assert ("lib/tasks/db.rake", 3) in [(e.path, e.line) for e in strategy.evidence]


def test_pyinvoke_tasks_are_targets_and_a_cloud_build_step_runs_them(tmp_path: Path) -> None:
    # GoogleCloudPlatform/cloud-run-microservice-template-python: Cloud Build runs
    # `python -m invoke test`, the task runs pytest; the unit-test gap said the file had been searched
    tasks = ('import os\n\nfrom invoke import task\n\nREGION = os.environ.get("REGION", "us-central1")\n\n\n'
             "@task\ndef require_venv_test(c):\n    c.run('pip install -r requirements-test.txt')\n\n\n"
             "@task(pre=[require_venv_test])\ndef test(c):\n    \"\"\"Run unit tests.\"\"\"\n"
             "    c.run(\"pytest test/test_app.py\")\n\n\n"
             "@task\ndef system_test(c):\n    c.run(\"pytest test/test_system.py\")\n\n\n"
             "@task\ndef deploy(c):\n    c.run(\n        \"gcloud run deploy microservice-template \"\n"
             "        f\"--region {REGION}\"\n    )\n")
    out = ScriptsDetector().extract(SourceFile("tasks.py", tasks))
    targets = {r.data["name"]: [c["command"] for c in r.data["commands"]] for r in out.records
               if r.kind == "task.target"}
    assert targets == {
        "require-venv-test": ["pip install -r requirements-test.txt"],
        "test": ["invoke require-venv-test", "pytest test/test_app.py"],
        "system-test": ["pytest test/test_system.py"],
        "deploy": ["gcloud run deploy microservice-template --region ${REGION}"],
    }
    celery = "from celery import shared_task\n\n@shared_task\ndef send(x):\n    return x\n"
    assert not ScriptsDetector().extract(SourceFile("shop/tasks.py", celery)).records
    # a Celery app's tasks mentioning "invoked", and a task renamed by `name=` (code review of a7b8705)
    celery_app = ('"""Tasks invoked by the scheduler."""\nimport subprocess\n\nfrom .celery import app\n\n\n'
                  '@app.task\ndef migrate_tenants():\n    subprocess.run("alembic upgrade head", shell=True)\n')
    assert not ScriptsDetector().extract(SourceFile("app/tasks.py", celery_app)).records
    renamed = ('from invoke import task\n\n\n@task(name="migrate")\ndef run_migrations(c):\n'
               '    c.run("alembic upgrade head")\n')
    [record] = ScriptsDetector().extract(SourceFile("tasks.py", renamed)).records
    assert record.data["name"] == "migrate"
    build = ('steps:\n  - id: "Run Unit Tests"\n    name: python:3.12-slim\n    entrypoint: python\n'
             '    args: ["-m", "invoke", "test"]\n')
    scanned = scan_tree(tmp_path, {"tasks.py": tasks, "cloudbuild.yaml": build})
    [unit] = facts_for(scanned.model, "ci.test.unit")
    assert "pytest" in unit.text and "invoke test" in unit.text
    assert ("tasks.py", 16) in [(e.path, e.line) for e in unit.evidence]


def test_namespaces_nested_past_any_real_task_file_s_are_not_read() -> None:
    # each level names every task below it: a file nested thousands deep cost seconds to read
    deep = "".join(f"{'  ' * i}namespace :n{i} do\n" for i in range(40)) + "task :t do\n  sh 'rake db:migrate'\nend\n"
    assert not [r for r in ScriptsDetector().extract(SourceFile("lib/tasks/deep.rake", deep)).records
                if r.kind == "task.target"]


def test_an_invoke_tasks_py_past_the_parser_s_depth_is_read_for_nothing() -> None:
    # hostile input: Python's own parser gives up (RecursionError) on a command of 3,000 `+` terms
    deep = "import invoke\n@task\ndef t(c):\n    c.run(" + "'a' + " * 3000 + "'b')\n"
    assert not ScriptsDetector().extract(SourceFile("tasks.py", deep)).records
    # a command written in a few `+` pieces over lines is one command
    joined = ('from invoke import task\n\n@task\ndef deploy(c):\n'
              '    c.run("gcloud run deploy app " +\n          "--region x")\n')
    [record] = ScriptsDetector().extract(SourceFile("tasks.py", joined)).records
    assert record.data["commands"] == [{"command": "gcloud run deploy app --region x", "line": 5}]


def test_a_script_word_with_a_variable_folder_counts_only_when_its_name_says_it_migrates() -> None:
    # homarr's start script runs its migrate program from a folder a variable names
    assert script_tokens("node ./db/migrations/$DB_DIALECT/migrate.cjs ./db/migrations/$DB_DIALECT") == [
        "./db/migrations/$DB_DIALECT/migrate.cjs"]
    # sourcing an environment file kept a migrate-only script pure before (code review)
    assert script_tokens('. "$APP_HOME/env.sh"') == [] and script_tokens('source "$NVM_DIR/nvm.sh"') == []
