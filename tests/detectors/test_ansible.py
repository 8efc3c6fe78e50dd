"""The Ansible detector: playbook tasks as deployment steps, and who runs `ansible-playbook`."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import FIXTURES, Scanned, diagnostics_for, facts_for, scan_tree
from infrascan.detectors.ansible import AnsibleDetector, detemplate, is_playbook

from infrascan.detector import SourceFile
from infrascan.model import Confidence
from infrascan.yamlload import load_yaml


def tree(name: str) -> dict[str, str | bytes]:
    root = FIXTURES / "ansible" / name
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in files}


@pytest.fixture(scope="module")
def uwsgi(tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    return scan_tree(tmp_path_factory.mktemp("uwsgi"), tree("uwsgi"))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    return scan_tree(tmp_path_factory.mktemp("site"), tree("site"))


def test_templated_playbook_tasks_are_the_deployment_steps_in_order(uwsgi: Scanned) -> None:
    steps = [f for f in facts_for(uwsgi.model, "deploy.steps") if f.tech == "ansible"]
    assert [(f.attrs["step"], f.evidence[0].path, f.evidence[0].line) for f in steps] == [
        ("checkout", "deploy/deploy.yml", 12),
        ("install", "deploy/deploy.yml", 17),
        ("upload", "deploy/deploy.yml", 25),
        ("migrate", "deploy/deploy.yml", 29),
        ("task", "deploy/deploy.yml", 33),
    ]
    assert all(f.confidence is Confidence.DECLARED for f in steps)
    assert steps[0].text == (
        "Ansible playbook deploy/deploy.yml (hosts webservers): Check out the code (task Fetch the code, git)"
    )
    assert steps[2].text.endswith("(task Upload a database dump, copy); tagged restore")
    # `{{ }}` survives the placeholders; the `debug` task is not a step.
    assert "manage.py migrate --noinput" in steps[3].text and "{{site_dir}}" in steps[3].text
    assert steps[4].text.endswith("Task Reload uwsgi (file)")


def test_migrating_task_is_the_migration_strategy(uwsgi: Scanned) -> None:
    [fact] = [f for f in facts_for(uwsgi.model, "deploy.migration.strategy") if f.tech == "django-migrations"
              and f.evidence[0].detector == "ansible"]
    assert fact.text.startswith("During the Ansible deploy: playbook deploy/deploy.yml task Apply migrations runs ")
    assert fact.text.endswith("(step 4 of 5)")
    assert fact.evidence[0].line == 29


def test_make_targets_are_manual_deploys_with_the_environment_they_name(uwsgi: Scanned) -> None:
    manual = {f.attrs["environment"]: f for f in facts_for(uwsgi.model, "ci.deploy.manual") if f.tech == "ansible"}
    assert set(manual) == {"qa", "production", None}
    live = manual["production"]
    assert live.text == (
        "make live runs Ansible playbook deploy/deploy.yml on hosts webservers without the tasks tagged "
        "restore for environment production (STAGE=production); also make restorelive; "
        "no CI pipeline calls these targets"
    )
    assert [(e.path, e.line) for e in live.evidence] == [("Makefile", 12), ("Makefile", 15), ("deploy/deploy.yml", 4)]
    # `-i hosts` names no environment, and none is guessed.
    assert manual[None].text == (
        "make adhoc runs Ansible playbook deploy/deploy.yml on hosts webservers "
        "(the invocation names no environment); no CI pipeline calls this target"
    )


def test_inventory_names_the_environment_and_a_target_ci_runs_is_not_manual(site: Scanned) -> None:
    manual = [f for f in facts_for(site.model, "ci.deploy.manual") if f.tech == "ansible"]
    assert [f.text for f in manual] == [
        "make deploy-production runs Ansible playbook playbooks/site.yml on hosts app "
        "for environment production (-i inventories/production); no CI pipeline calls this target"
    ]


def test_modules_map_to_step_kinds(site: Scanned) -> None:
    steps = [f for f in facts_for(site.model, "deploy.steps") if f.tech == "ansible"]
    assert [f.attrs["step"] for f in steps] == [
        "pull", "role", "role", "deploy", "migrate", "restart", "migrate", "playbook"
    ]
    assert "Restart a service (task Restart shop, systemd)" in steps[5].text
    strategies = facts_for(site.model, "deploy.migration.strategy")
    assert sorted(f.tech or "" for f in strategies if f.evidence[0].detector == "ansible") == [
        "alembic", "django-migrations"
    ]


def test_tasks_files_and_other_yaml_lists_are_not_playbooks(uwsgi: Scanned) -> None:
    cited = {e.path for f in uwsgi.model.facts for e in f.evidence if e.detector == "ansible"}
    assert cited == {"deploy/deploy.yml", "Makefile"}
    for path in ("roles/web/tasks/main.yml", "config/balancer.yml"):
        assert not is_playbook(load_yaml(tree("uwsgi")[path]).documents[0])  # type: ignore[arg-type]


def test_templated_file_that_does_not_load_is_a_diagnostic(uwsgi: Scanned) -> None:
    assert diagnostics_for(uwsgi.model, "deploy/deploy-broken.yml") == [
        "invalid YAML: mapping values are not allowed in this context"
    ]


def test_detemplate_keeps_lines() -> None:
    plain, expressions = detemplate("a: 1{% if x %}\nb: {{ c }}\n{# note\n#}d: 2\n")
    assert plain.count("\n") == 4 and expressions == ["{{ c }}"]
    assert "b: __J0J__" in plain


@pytest.mark.parametrize("source", ["", "- [", "- hosts: x\n  tasks: {{ broken", "- hosts: a\n  tasks:\n    - 3\n"])
def test_bad_input_never_raises(source: str) -> None:
    AnsibleDetector().extract(SourceFile("deploy/deploy.yml", source))


def test_sniff_claims_playbooks_by_content(tmp_path: Path) -> None:
    playbook = "- hosts: all\n  tasks:\n    - name: Pull\n      git:\n        repo: x\n        dest: /srv\n"
    scanned = scan_tree(tmp_path, {"ops/release.yml": playbook})
    assert [f.attrs["step"] for f in facts_for(scanned.model, "deploy.steps")] == ["checkout"]


def test_a_cd_to_a_folder_the_scan_cannot_know_keeps_the_folder(tmp_path: Path) -> None:
    # `cd "$DEPLOY_DIR"` moves nowhere the scan can name: the playbook is still found from where
    # the recipe runs, not looked for under a folder named `$DEPLOY_DIR`.
    files = {k: v for k, v in tree("uwsgi").items() if k.startswith(("deploy/deploy.yml", "roles/"))}
    files["Makefile"] = 'ship:\n\tcd "$$DEPLOY_DIR" && cd ~ && ansible-playbook deploy/deploy.yml\n'
    scanned = scan_tree(tmp_path, files)
    manual = [f for f in facts_for(scanned.model, "ci.deploy.manual") if f.tech == "ansible"]
    assert [f.text for f in manual] == [
        "make ship runs Ansible playbook deploy/deploy.yml on hosts webservers "
        "(the invocation names no environment); no CI pipeline calls this target"
    ]
