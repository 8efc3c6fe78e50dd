"""Test suites a repository holds that no pipeline runs: a hint under the tests field of their level."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
import yaml
from helpers import facts_for, scan_tree
from infrascan.detectors.suites import runners

from infrascan.globs import compile_globs
from infrascan.model import Confidence

# modelled on umami package.json (its Cypress scripts; `test` runs Vitest)
PACKAGE_JSON = """{
  "name": "app",
  "scripts": {
    "build": "next build",
    "test": "vitest run",
    "cypress-open": "cypress open cypress run",
    "cypress-run": "cypress run cypress run"
  }
}
"""
# modelled on umami .github/workflows/ci.yml: unit tests and a build, no Cypress
CI_UNIT_ONLY = """name: Node.js CI
on: [push]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pnpm install
      - run: pnpm test
      - run: pnpm build
"""
# modelled on blues-stack .github/workflows/deploy.yml: its cypress job
CI_WITH_CYPRESS = CI_UNIT_ONLY + """  cypress:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: cypress-io/github-action@v6
        with:
          start: npm run start:mocks
"""
UMAMI_LIKE = {
    "package.json": PACKAGE_JSON,
    "cypress.config.ts": "import { defineConfig } from 'cypress';\nexport default defineConfig({ e2e: {} });\n",
    "cypress/e2e/login.cy.ts": "describe('Login', () => {});\n",
    "vitest.config.ts": "export default {};\n",
}


def test_a_cypress_suite_no_workflow_runs_is_a_hint_under_e2e(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, {**UMAMI_LIKE, ".github/workflows/ci.yml": CI_UNIT_ONLY})
    [hint] = facts_for(scanned.model, "ci.test.e2e")
    assert hint.confidence is Confidence.HINT
    assert hint.text == (
        "Cypress suite (cypress.config.ts, specs in cypress/e2e; scripts cypress-open, cypress-run in package.json)"
        " that no CI job found in the repository runs: run by hand"
    )
    where = [(e.path, e.line) for e in hint.evidence]
    assert where == [("cypress.config.ts", 0), ("package.json", 6), ("package.json", 7)]
    # Vitest is what `pnpm test` runs in the workflow: no hint for it.
    assert all(f.confidence is not Confidence.HINT for f in facts_for(scanned.model, "ci.test.unit"))


def test_a_reusable_workflow_of_another_repository_may_run_the_suite(tmp_path: Path) -> None:
    # monicahq/monica .github/workflows/tests.yml: the tests run in monicahq/workflows' laravel.yml
    scanned = scan_tree(tmp_path, {
        **UMAMI_LIKE,
        ".github/workflows/ci.yml": CI_UNIT_ONLY,
        ".github/workflows/lint.yml": (
            "on: push\njobs:\n  lint:\n    uses: acme/workflows/.github/workflows/lint.yml@v2\n"),
        ".github/workflows/tests.yml": (
            "on: push\njobs:\n  tests:\n    uses: acme/workflows/.github/workflows/laravel.yml@v2\n"),
    })
    [hint] = facts_for(scanned.model, "ci.test.e2e")
    assert hint.text.endswith(
        "that no CI job found in the repository runs: run by hand, unless the reusable workflow "
        "acme/workflows/.github/workflows/laravel.yml@v2 of another repository runs it (called from tests.yml)")
    assert (".github/workflows/tests.yml", 4) in [(e.path, e.line) for e in hint.evidence]
    # a remote workflow named for no tests (a release, a lint) is no lead (code review), and
    # `attest` and `@latest` are no test words (second code review)
    for job, workflow in (("image", "docker-release.yml@v2"), ("attest", "provenance.yml@latest")):
        (tmp_path / job).mkdir()
        other = scan_tree(tmp_path / job, {
            **UMAMI_LIKE, ".github/workflows/ci.yml": CI_UNIT_ONLY,
            ".github/workflows/release.yml": (
                f"on: push\njobs:\n  {job}:\n    uses: acme/workflows/.github/workflows/{workflow}\n"),
        })
        [plain] = facts_for(other.model, "ci.test.e2e")
        assert plain.text.endswith("run by hand"), job


def test_a_ci_system_infrascan_does_not_read_may_run_the_suite(tmp_path: Path) -> None:
    # authelia's suites run on Buildkite (.buildkite/pipeline.yml); its workflows run CodeQL only
    scanned = scan_tree(tmp_path, {**UMAMI_LIKE, ".github/workflows/ci.yml": CI_UNIT_ONLY,
                                   ".buildkite/pipeline.yml": "steps:\n  - command: .buildkite/pipeline.sh\n",
                                   ".travis.yml": "language: node_js\n"})
    [hint] = facts_for(scanned.model, "ci.test.e2e")
    assert hint.text.endswith(
        "run by hand, unless Buildkite, whose pipelines infrascan does not read, runs it (.buildkite/pipeline.yml, "
        "and 1 more CI system)")
    assert (".buildkite/pipeline.yml", 0) in [(e.path, e.line) for e in hint.evidence]
    # only at the root: a vendored library's .travis.yml runs nothing of this repository's
    (tmp_path / "vendored").mkdir()
    other = scan_tree(tmp_path / "vendored", {**UMAMI_LIKE, ".github/workflows/ci.yml": CI_UNIT_ONLY,
                                              "vendor/lib/.travis.yml": "language: go\n"})
    [plain] = facts_for(other.model, "ci.test.e2e")
    assert plain.text.endswith("run by hand")


def test_no_hint_when_a_workflow_runs_the_suite(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, {**UMAMI_LIKE, ".github/workflows/ci.yml": CI_WITH_CYPRESS})
    assert [f.confidence for f in facts_for(scanned.model, "ci.test.e2e")] == [Confidence.DECLARED]


def test_a_script_in_a_scripts_folder_that_runs_the_suite_through_its_package_runs_it(tmp_path: Path) -> None:
    # penpot: `working-directory: ./frontend` then `./scripts/test-e2e`, a bash script with no suffix
    # that runs `pnpm run test:e2e`, which is `playwright test`: the suite was said to be run by hand
    workflow = ("on: [pull_request]\njobs:\n  test-integration:\n    runs-on: ubuntu-latest\n    steps:\n"
                "      - uses: actions/checkout@v6\n      - name: Run Tests\n        working-directory: ./frontend\n"
                "        run: |\n          ./scripts/test-e2e\n")
    files = {
        ".github/workflows/tests-integration.yml": workflow,
        "frontend/package.json": '{"scripts": {"test:e2e": "playwright test --project default"}}\n',
        "frontend/playwright.config.js": "export default {};\n",
        "frontend/scripts/test-e2e": "#!/usr/bin/env bash\nset -ex\npnpm run test:e2e -x --workers=1 \"$@\";\n",
        # a scripts folder's other files with no suffix are not shell scripts without a shebang
        "frontend/scripts/README": "Build the image with:\ndocker build -t registry.example.com/app .\n",
    }
    (e2e,) = facts_for(scan_tree(tmp_path, files).model, "ci.test.e2e")
    assert e2e.confidence is Confidence.DECLARED
    assert "runs ./scripts/test-e2e → playwright test --project default -x --workers=1" in e2e.text
    assert ("frontend/package.json", 1) in {(e.path, e.line) for e in e2e.evidence}
    (tmp_path / "readme").mkdir()
    readme = {**files, ".github/workflows/tests-integration.yml": workflow.replace("test-e2e", "README")}
    assert not facts_for(scan_tree(tmp_path / "readme", readme).model, "ci.build")


def test_a_make_target_that_changes_folder_runs_that_folder_s_script(tmp_path: Path) -> None:
    # focalboard: `make webapp-ci` runs `cd webapp; npm run cypress:ci`, which starts the server and
    # runs `cypress:run`: its Cypress suite was said to be run by hand
    files = {
        ".github/workflows/ci.yml": ("on: [push]\njobs:\n  ci-ubuntu-webapp:\n    runs-on: ubuntu-latest\n"
                                     "    steps:\n      - run: make webapp-ci\n"),
        "Makefile": "webapp-ci: ## Webapp CI\n\tcd webapp; npm run cypress:ci\n",
        "webapp/package.json": ('{"scripts": {"cypress:ci": "start-server-and-test runserver-test '
                                'http://localhost:8088 cypress:run", "cypress:run": "cypress run"}}\n'),
        "webapp/cypress.json": "{}\n",
    }
    (e2e,) = facts_for(scan_tree(tmp_path, files).model, "ci.test.e2e")
    assert e2e.confidence is Confidence.DECLARED and "runs make webapp-ci → cypress run" in e2e.text
    # and its `cd server/integrationtests; go test ./...` runs integration tests, by the folder's name
    (tmp_path / "go").mkdir()
    go = scan_tree(tmp_path / "go", {
        ".github/workflows/ci.yml": files[".github/workflows/ci.yml"].replace("webapp-ci", "server-test-mini"),
        "Makefile": "server-test-mini:\n\tcd server/integrationtests; go test -v ./...\n",
        "server/go.mod": "module x\n\ngo 1.21\n",
    })
    assert [f.text.split(" in job")[0] for f in facts_for(go.model, "ci.test.integration")] == ["go test"]
    assert not facts_for(go.model, "ci.test.unit")


def test_a_script_alone_shows_a_suite_and_a_monorepo_package_has_its_own(tmp_path: Path) -> None:
    # modelled on aks-store-demo src/store-admin/package.json: `test:unit` runs Vitest, no workflow does
    files = {
        "src/store-admin/package.json": '{\n  "scripts": {\n    "test:unit": "vitest"\n  }\n}\n',
        "src/store-admin/vitest.config.ts": "export default {};\n",
        "src/store-front/package.json": '{\n  "scripts": {\n    "test:unit": "vitest"\n  }\n}\n',
        "src/store-front/src/cart.spec.ts": "test('adds', () => {});\n",
        # linkwarden's mobile app: a test script and not a single test, so no suite to run by hand
        "apps/mobile/package.json": '{\n  "scripts": {\n    "test": "jest --watchAll"\n  }\n}\n',
        "apps/mobile/app/index.tsx": "export default function App() {}\n",
        # a configuration the script names may match test files of any name
        "apps/api/package.json": '{\n  "scripts": {\n    "test:e2e": "jest --config ./test/jest-e2e.json"\n  }\n}\n',
    }
    scanned = scan_tree(tmp_path, files)
    assert {f.text for f in facts_for(scanned.model, "ci.test.unit")} == {
        "Vitest suite (src/store-admin/vitest.config.ts; script test:unit in src/store-admin/package.json)"
        " that no CI job found in the repository runs: run by hand",
        "Vitest suite (script test:unit in src/store-front/package.json)"
        " that no CI job found in the repository runs: run by hand",
        "Jest suite (script test:e2e in apps/api/package.json) that no CI job found in the repository runs: "
        "run by hand",
    }


def test_a_ci_test_job_of_no_named_runner_may_run_any_suite_of_its_level(tmp_path: Path) -> None:
    # modelled on calcom/cal.com: the workflow runs `yarn e2e`, a script that reaches no runner the
    # classifier knows; that job may well run the Playwright suite, so no hint says nothing does.
    workflow = "on: [push]\njobs:\n  e2e:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm run test:e2e\n"
    files = {
        ".github/workflows/e2e.yml": workflow,
        "package.json": '{"scripts": {"test:e2e": "node scripts/e2e.js"}}\n',
        "playwright.config.ts": "export default {};\n",
    }
    scanned = scan_tree(tmp_path, files)
    assert [(f.confidence, f.attrs.get("tool")) for f in facts_for(scanned.model, "ci.test.e2e")] == [
        (Confidence.INFERRED, None)
    ]


def test_suites_in_example_folders_are_not_the_repository_s(tmp_path: Path) -> None:
    files = {
        "examples/next-app/playwright.config.ts": "export default {};\n",
        "tests/e2e/playwright.config.ts": "export default {};\n",
    }
    scanned = scan_tree(tmp_path, files)
    assert [f.text for f in facts_for(scanned.model, "ci.test.e2e")] == [
        "Playwright suite (tests/e2e/playwright.config.ts) that no CI job found in the repository runs: run by hand"
    ]


def test_each_folder_s_configuration_of_one_name_is_its_own_suite(tmp_path: Path) -> None:
    # a monorepo's services each with their jest.config.js (files of one name are looked up once)
    files = {
        "services/a/jest.config.js": "module.exports = {};\n",
        "services/b/jest.config.js": "module.exports = {};\n",
        "services/b/jest.setup.js": "\n",
    }
    scanned = scan_tree(tmp_path, files)
    assert sorted(f.text for f in facts_for(scanned.model, "ci.test.unit")) == [
        f"Jest suite (services/{name}/jest.config.js) that no CI job found in the repository runs: run by hand"
        for name in ("a", "b")
    ]


def test_runner_configs_are_base_names() -> None:
    # `suites` finds a configuration by the listed file's base name, wherever the file is
    assert [c for r in runners().values() for c in r.configs if "/" in c] == []


RUNNER_ROWS = [
    # cypress-io/cypress-realworld-app cypress.config.ts; umami cypress.config.ts; Cypress 9 and older
    ("cypress.config.ts", "cypress"),
    ("cypress.config.js", "cypress"),
    ("cypress.json", "cypress"),
    # formbricks apps/web/playwright.config.ts
    ("apps/web/playwright.config.ts", "playwright"),
    # webdriverio/webdriverio examples: wdio.conf.js, wdio.local.conf.ts
    ("wdio.conf.js", "webdriverio"),
    ("wdio.local.conf.ts", "webdriverio"),
    # DevExpress/testcafe .testcaferc.json
    (".testcaferc.json", "testcafe"),
    # jestjs/jest jest.config.mjs
    ("jest.config.mjs", "jest"),
    # umami vitest.config.ts; vitest's workspace file
    ("vitest.config.ts", "vitest"),
    ("vitest.workspace.ts", "vitest"),
    # pytest-dev/pytest's own pytest.ini-style configuration
    ("pytest.ini", "pytest"),
    # not a runner's configuration
    ("vite.config.ts", ""),
    ("jest.setup.js", ""),
]


@pytest.mark.parametrize(("path", "tool"), RUNNER_ROWS)
def test_runner_table_rows(path: str, tool: str) -> None:
    found = [r.tool for r in runners().values() if compile_globs(r.configs)(path)]
    assert found == ([tool] if tool else [])


def test_every_runner_entry_has_a_row() -> None:
    data = yaml.safe_load(resources.files("infrascan").joinpath("data/test_suites.yaml").read_bytes())
    assert {entry["tool"] for entry in data["runners"]} == {tool for _, tool in RUNNER_ROWS if tool}
