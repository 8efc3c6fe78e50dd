"""Arms of a `case "$1"` in shell scripts: which commands a call with a given first argument runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import facts_for, scan_tree

from infrascan.shellarms import (
    DYNAMIC_CALL,
    arm_allows,
    call_arguments,
    called_functions,
    running,
    shell_arms,
    shell_functions,
)

# modelled on spliit-app/spliit scripts/e2e.sh
E2E = """#!/usr/bin/env bash
set -euo pipefail
compose() { docker compose -f compose.e2e.yaml "$@"; }
up() {
  compose up --wait --build
}
case "${1:-all}" in
up) up ;;
down|stop) compose down --volumes ;;
test)
  shift
  npx playwright test "$@"
  ;;
all)
  case "${CI:-}" in
    true) echo ci ;;
  esac
  up
  npx playwright test "$@"
  ;;
*)
  echo "usage: $0 [all|up|test|down]" >&2
  ;;
esac
echo done
"""


def test_each_line_knows_its_arm_and_the_default() -> None:
    arms = shell_arms(E2E)
    lines = E2E.splitlines()
    by_text = {lines[n - 1].strip(): arm for n, arm in arms.items()}
    assert by_text["up) up ;;"] == (("up",), "all")
    assert by_text["down|stop) compose down --volumes ;;"] == (("down", "stop"), "all")
    assert by_text['npx playwright test "$@"'] in ((("test",), "all"), (("all",), "all"))
    assert by_text["true) echo ci ;;"] == (("all",), "all")  # a nested case stays in its outer arm
    assert by_text['echo "usage: $0 [all|up|test|down]" >&2'] == (("*",), "all")
    assert "echo done" not in by_text and "compose up --wait --build" not in by_text


@pytest.mark.parametrize(
    ("arguments", "runs"),
    [
        (["up"], False),
        (["test", "--ui"], True),
        ([], True),  # no argument: the default, all
        (["$SUITE"], True),  # a variable could be anything
        (["logs"], False),
    ],
)
def test_a_call_runs_the_arm_its_first_argument_selects(arguments: list[str], runs: bool) -> None:
    test_arm = {"arm": ["test", "all"], "arm_default": "all"}
    assert arm_allows(test_arm, arguments) is runs
    assert arm_allows({}, arguments)  # a command outside every arm always runs


def test_a_script_without_a_default_selects_nothing_by_silence() -> None:
    arms = shell_arms('case "$1" in\n  deploy) helm upgrade app ./chart ;;\nesac\n')
    [arm] = arms.values()
    assert arm == (("deploy",), None)
    assert not arm_allows({"arm": list(arm[0])}, [])


def test_a_workflow_calling_one_arm_does_not_run_another(tmp_path: Path) -> None:
    # spliit: `./scripts/e2e.sh up` starts the stack; the next step runs the tests itself
    scanned = scan_tree(tmp_path, {
        "scripts/e2e.sh": E2E,
        ".github/workflows/e2e.yml": (
            "on: push\njobs:\n  e2e:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - run: ./scripts/e2e.sh up\n      - run: npx playwright test\n"
        ),
        ".github/workflows/all.yml": (
            "on: push\njobs:\n  suite:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ./scripts/e2e.sh\n"
        ),
    })
    e2e = facts_for(scanned.model, "ci.test.e2e")
    started_then_run = next(f for f in e2e if "e2e.yml" in f.text)
    assert "scripts/e2e.sh" not in {e.path for e in started_then_run.evidence}, started_then_run.evidence
    whole = next(f for f in e2e if "all.yml" in f.text)
    assert "scripts/e2e.sh" in {e.path for e in whole.evidence}, whole.evidence


def test_a_gitlab_job_calling_one_arm_does_not_run_another(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, {
        "ci/run.sh": 'case "$1" in\n  unit) go test ./... ;;\n  e2e) npx playwright test ;;\nesac\n',
        ".gitlab-ci.yml": "unit:\n  script:\n    - ./ci/run.sh unit\n",
    })
    assert [f.text for f in facts_for(scanned.model, "ci.test.e2e")] == []
    [unit] = facts_for(scanned.model, "ci.test.unit")
    assert "go test" in unit.text


@pytest.mark.parametrize(
    ("script", "kept"),
    [
        # a function's own `case "$1"` (code review: the function's argument, not the script's)
        ('run() {\n  case "$1" in\n    build) docker build . ;;\n  esac\n}\nrun build\n', "docker build ."),
        # an option loop under `shift`
        ('while [ $# -gt 0 ]; do\n  case "$1" in\n    --push) docker push x ;;\n  esac\n  shift\ndone\n',
         "docker push x"),
        # after a top-level shift, `$1` is the second argument
        ('shift\ncase "$1" in\n  deploy) helm upgrade app ./chart ;;\nesac\n', "helm upgrade app ./chart"),
        # a label this does not read: the whole case says nothing
        ('case "$1" in\n  +([0-9])) echo n ;;\n  deploy) helm upgrade app ./chart ;;\nesac\n',
         "helm upgrade app ./chart"),
    ],
)
def test_a_case_that_does_not_read_the_scripts_first_argument_filters_nothing(script: str, kept: str) -> None:
    lines = script.splitlines()
    assert not [lines[n - 1] for n in shell_arms(script) if kept in lines[n - 1]]


def test_one_line_nested_cases_and_esac_after_the_last_arm() -> None:
    script = ('case "$1" in\n  build)\n    case "$CI" in true) echo on-ci ;; esac\n    docker build . ;;\n'
              '  deploy) helm upgrade app ./chart ;; esac\nkubectl rollout status deploy/app\n')
    arms = shell_arms(script)
    assert arms[4] == (("build",), None) and arms[5] == (("deploy",), None)
    assert 6 not in arms  # after the case


@pytest.mark.parametrize(
    ("rest", "arguments"),
    [
        (' "unit"', ["unit"]),
        (" 'e2e' --ui", ["e2e", "--ui"]),
        (" 2>&1 | tee e2e.log", []),
        (" > e2e.log", []),
        (" up && echo ok", ["up"]),
        (" ${{ matrix.suite }}", ["${{", "matrix.suite", "}}"]),
    ],
)
def test_call_arguments_as_the_shell_reads_them(rest: str, arguments: list[str]) -> None:
    assert call_arguments(rest) == arguments


def test_a_call_with_an_expression_may_run_any_arm(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, {
        "scripts/ci.sh": 'case "$1" in\n  unit) go test ./... ;;\n  e2e) npx playwright test ;;\nesac\n',
        ".github/workflows/ci.yml": (
            "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n"
            "        suite: [unit, e2e]\n    steps:\n      - run: ./scripts/ci.sh ${{ matrix.suite }}\n"),
    })
    assert facts_for(scanned.model, "ci.test.unit") and facts_for(scanned.model, "ci.test.e2e")


def test_the_other_pipelines_follow_the_arm_a_call_selects(tmp_path: Path) -> None:
    # the pipelines built on _pipelines.PipelineFacts (Bitbucket, CircleCI, Jenkins, Azure Pipelines)
    scanned = scan_tree(tmp_path, {
        "scripts/ci.sh": '#!/bin/sh\ncase "$1" in\n  unit) go test ./... ;;\n  e2e) npx playwright test ;;\nesac\n',
        "bitbucket-pipelines.yml": (
            "pipelines:\n  default:\n    - step:\n        script:\n          - ./scripts/ci.sh unit\n"),
    })
    assert facts_for(scanned.model, "ci.test.unit")
    assert facts_for(scanned.model, "ci.test.e2e") == []


@pytest.mark.parametrize(
    "script",
    [
        # a nested case closed by `esac ;;`, on one line and on its own (second code review)
        'case "$1" in\n  build) case "$CI" in true) echo ci ;; esac ;;\n  deploy) helm upgrade app ./chart ;;\nesac\n',
        'case "$1" in\n  build)\n    case "$(uname -m)" in\n      x86_64) A=amd64 ;;\n    esac ;;\n'
        '  deploy) helm upgrade app ./chart ;;\nesac\n',
        # an indented esac
        'case "$1" in\n  build) docker build . ;;\n  deploy) helm upgrade app ./chart ;;\n  esac\n',
    ],
)
def test_the_deploy_arm_stays_its_own_after_a_nested_case(script: str) -> None:
    lines = script.splitlines()
    arms = shell_arms(script)
    helm = next(n for n, line in enumerate(lines, 1) if "helm upgrade" in line)
    assert arms[helm] == (("deploy",), None)
    assert arm_allows({"arm": list(arms[helm][0])}, ["deploy"]) and not arm_allows({"arm": ["build"]}, ["deploy"])


@pytest.mark.parametrize(
    "script",
    [
        'ENVIRONMENT=$1; shift\ncase "$1" in\n  deploy) helm upgrade app ./chart ;;\nesac\n',
        'if [ "$1" = "--dry-run" ]; then DRY=1; shift; fi\ncase "$1" in\n  deploy) helm upgrade app ./chart ;;\nesac\n',
        'case "$1" in\n  -v) set -x; shift ;;\nesac\ncase "$1" in\n  deploy) helm upgrade app ./chart ;;\nesac\n',
        'function run() {\n  case "$1" in\n    deploy) helm upgrade app ./chart ;;\n  esac\n}\n',
    ],
)
def test_a_shift_anywhere_or_a_function_keyword_ends_the_filtering(script: str) -> None:
    lines = script.splitlines()
    helm = next(n for n, line in enumerate(lines, 1) if "helm upgrade" in line)
    assert helm not in shell_arms(script)


def test_redirections_to_files_and_variable_labels() -> None:
    assert call_arguments(" 2> err.log deploy") == ["deploy"]
    assert call_arguments(" deploy >> out.log") == ["deploy"]
    assert arm_allows({"arm": ["$DEFAULT_ENV"]}, ["production"])  # an arm labelled by a variable


# modelled on penpot's manage.sh: forty functions, and a `case $1` whose arms call them
MANAGE = """#!/usr/bin/env bash
function build-devenv {
    docker build -t penpotapp/devenv:latest .
}

function build-frontend-bundle {
    mkdir -p ./bundles
    docker run --rm -v $PWD:/src node:24 npm run build
}

case $1 in
    build-devenv)
        build-devenv
        ;;
    ## production builds
    build-bundle)
        build-frontend-bundle;
        ;;
esac
"""


def test_a_call_runs_the_functions_its_arm_calls_and_no_other(tmp_path: Path) -> None:
    # penpot's `./manage.sh build-bundle` was said to build the devenv image of another function
    assert shell_functions(MANAGE) == {3: "build-devenv", 7: "build-frontend-bundle", 8: "build-frontend-bundle"}
    assert 17 in shell_arms(MANAGE)  # the case after 1,300 lines of functions is still read
    job = "on: push\njobs:\n  {job}:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ./manage.sh {arm}\n"
    scanned = scan_tree(tmp_path, {
        "manage.sh": MANAGE,
        ".github/workflows/bundle.yml": job.format(job="build-bundle", arm="build-bundle"),
        ".github/workflows/devenv.yml": job.format(job="build-devenv", arm="build-devenv"),
    })
    built = {f.attrs.get("jobs", [""])[0]: f.text for f in facts_for(scanned.model, "ci.build")}
    assert "penpotapp/devenv" in built["build-devenv"]
    assert "penpotapp/devenv" not in built.get("build-bundle", "")


class _Line:
    def __init__(self, **data: object) -> None:
        self.data = data


def test_a_dispatcher_runs_the_function_its_argument_names_and_a_library_keeps_all() -> None:
    build, deploy = _Line(kind="build", fn="build"), _Line(kind="deploy", fn="deploy")
    dispatch = [_Line(calls=DYNAMIC_CALL), _Line(calls="build", fn="deploy")]  # `"$@"`; deploy builds first
    assert running([build, deploy], dispatch, ["deploy"]) == [build, deploy]
    assert running([build, deploy], dispatch, ["build"]) == [build]
    assert running([build, deploy], dispatch, ["$TARGET"]) == [build, deploy]
    # functions nothing outside them calls (a library others source): all stay, as before
    assert running([build, deploy], [_Line(calls="build", fn="deploy")], []) == [build, deploy]
    assert called_functions('FOO=1 "$@"', {"build"}) == [DYNAMIC_CALL]
    assert called_functions("build --fast", {"build"}) == ["build"] and called_functions("make", {"build"}) == []


def test_function_bodies_end_where_they_do_and_calls_are_found_after_keywords() -> None:
    # code review: a one-liner with a comment, and a `}` with a redirection, took the next
    # function's body; `if ! run_e2e; then` and `x=$(fn)` called nothing; `deploy () {` was a call
    script = ('log() { echo "$*"; }   # helper\ndeploy() {\n  kubectl apply -f k8s/\n}\n'
              'quiet() {\n  x\n} 2>/dev/null\nnext() {\n  y\n}\n')
    assert shell_functions(script) == {1: "log", 3: "deploy", 6: "quiet", 9: "next"}
    defined = {"run_e2e", "version", "deploy"}
    assert called_functions("if ! run_e2e", defined) == ["run_e2e"]
    assert called_functions("TAG=$(version)", defined) == ["version"]
    assert called_functions("time deploy --fast", defined) == ["deploy"]
    assert called_functions("deploy () {", defined) == []
    assert called_functions('"$@"', defined) == [DYNAMIC_CALL]
