"""The Capistrano detector: each stage's servers and what `cap <stage> deploy` runs."""

from __future__ import annotations

from pathlib import Path

from helpers import facts_for, fixture_tree, scan_tree, texts

from infrascan.model import Confidence


def test_each_stage_s_deploy_and_the_project_s_rollback_and_migrations(tmp_path: Path) -> None:
    model = scan_tree(tmp_path, fixture_tree("capistrano", "app")).model
    steps = texts(facts_for(model, "deploy.steps"))
    assert steps == [
        "cap production deploy: Capistrano deploys branch main (unless BRANCH names another) of "
        "git@github.com:acme-books/ledger.git to 3 servers (roles app, db, web) under /srv/ledger, then points "
        "current at the new release",
        "cap staging deploy: Capistrano deploys branch develop of git@github.com:acme-books/ledger.git to 1 server "
        "(roles app, db, web) under /srv/ledger, then points current at the new release",
    ]
    [production] = [f for f in facts_for(model, "deploy.steps") if "production" in f.text]
    assert [(e.path, e.line) for e in production.evidence] == [
        ("config/deploy/production.rb", 5), ("config/deploy.rb", 5), ("config/deploy.rb", 8), ("config/deploy.rb", 11)]
    [rollback] = facts_for(model, "deploy.rollback.perform")
    assert rollback.text == ("cap STAGE deploy:rollback: Capistrano points current back at the previous release, "
                             "of those it keeps on the servers (the last 3); the database stays migrated")
    assert rollback.confidence is Confidence.INFERRED
    [migrate] = facts_for(model, "deploy.migration.strategy")
    assert migrate.text == ("deploy:migrate (require 'capistrano/rails/migrations') runs rake db:migrate on the db "
                            "role's primary server during every cap STAGE deploy, before the new release is "
                            "published")
    assert (migrate.evidence[0].path, migrate.evidence[0].line) == ("Capfile", 14)
    [manual] = facts_for(model, "ci.deploy.manual")
    assert manual.confidence is Confidence.HINT and manual.text.startswith(
        "cap production deploy, cap staging deploy, run by hand")


def test_no_hint_when_ci_runs_cap_and_mina_is_not_capistrano(tmp_path: Path) -> None:
    files = fixture_tree("capistrano", "app")
    files[".github/workflows/deploy.yml"] = (
        "on:\n  push:\n    branches: [main]\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v5\n      - run: bundle exec cap production deploy\n")
    # Mina writes config/deploy.rb too: without a Capfile that loads Capistrano it is not read
    files["tools/config/deploy.rb"] = "require 'mina/rails'\nset :domain, 'tools.acme-books.io'\n"
    files["tools/config/deploy/production.rb"] = "server 'tools.acme-books.io', roles: %w{app}\n"
    model = scan_tree(tmp_path, files).model
    assert not [f for f in facts_for(model, "ci.deploy.manual") if f.evidence[0].detector == "capistrano"]
    assert not [f for f in model.facts if f.evidence[0].path.startswith("tools/")]


def test_generated_stage_files_and_computed_values(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "Capfile": 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
        "config/deploy.rb": 'set :repo_url, "git@example.com:me/my_repo.git"\nset :branch, fetch_branch\n',
        # as `cap install` writes it: every server commented, or an example host
        "config/deploy/production.rb": '# server "example.com", user: "deploy", roles: %w{app db web}\n',
        "config/deploy/staging.rb": 'server "example.com", user: "deploy", roles: %w{app}\n',
        "config/deploy/qa.rb": 'server ENV.fetch("QA_HOST"), roles: %w{app}\nrole :app, ["qa1.internal"]\n',
    }
    model = scan_tree(tmp_path, files).model
    # the example repository and the computed branch are not said; a server named by code is not counted
    assert texts(facts_for(model, "deploy.steps")) == [
        "cap qa deploy: Capistrano deploys the configured branch to 1 server (roles app), then points current at "
        "the new release"]
    assert not facts_for(model, "deploy.migration.strategy")


def test_an_asked_branch_conditional_migrations_and_one_stage(tmp_path: Path) -> None:
    # sul-dlss/argo asks for the branch; avalon migrates only when db/ changed, on the app role
    files: dict[str, str | bytes] = {
        "Capfile": 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/rails"\n',
        "config/deploy.rb": ("set :repo_url, 'https://github.com/acme/avalon.git'\n"
                             "ask :branch, proc { `git rev-parse --abbrev-ref HEAD`.chomp }.call\n"
                             "set :conditionally_migrate, true\nset :migration_role, :app\n"),
        "config/deploy/nu-test.rb": "server 'avalon-dev.acme.edu', roles: %w{web app}, user: 'deploy'\n",
    }
    model = scan_tree(tmp_path, files).model
    [step] = facts_for(model, "deploy.steps")
    assert step.text.startswith("cap nu-test deploy: Capistrano deploys the branch it asks for at deploy time of ")
    [migrate] = facts_for(model, "deploy.migration.strategy")
    assert migrate.text == ("deploy:migrate (require 'capistrano/rails') runs rake db:migrate on the app role's "
                            "primary server during a cap nu-test deploy that changes db/ (conditionally_migrate), "
                            "before the new release is published")
    assert [(e.path, e.line) for e in migrate.evidence] == [("Capfile", 3), ("config/deploy.rb", 4),
                                                            ("config/deploy.rb", 3)]
    [rollback] = facts_for(model, "deploy.rollback.perform")
    assert rollback.text.startswith("cap nu-test deploy:rollback: ")


def test_comments_parentheses_multi_line_statements_and_shared_servers(tmp_path: Path) -> None:
    # code review: a trailing comment or set(...) hid the value; a role over several lines counted one host
    files: dict[str, str | bytes] = {
        "Capfile": 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
        "config/deploy.rb": ('set :keep_releases, 10 # disk is cheap\nset(:branch, "main")\n'
                             'set :repo_url, "git@github.com:acme/shop.git" # the #1 repository\n'
                             'set :deploy_to, "/var/www/shop"\n'
                             'server "jobs.acme.io", roles: %w{worker}  # every stage runs it\n'),
        "config/deploy/production.rb": ('role :app, %w{\n  deploy@app1.acme.io\n  deploy@app2.acme.io\n}\n'
                                        'server "db.acme.io",\n  user: "deploy",\n  roles: %w{db}\n'),
    }
    model = scan_tree(tmp_path, files).model
    [step] = facts_for(model, "deploy.steps")
    assert step.text == ("cap production deploy: Capistrano deploys branch main of git@github.com:acme/shop.git to 4 "
                         "servers (roles app, db, worker) under /var/www/shop, then points current at the new release")
    assert ("config/deploy.rb", 4) in [(e.path, e.line) for e in step.evidence]  # deploy_to is cited
    [rollback] = facts_for(model, "deploy.rollback.perform")
    assert "(the last 10)" in rollback.text
