"""Property test: a secret planted in any supported file type, in any position, never appears in any output."""

from __future__ import annotations

import shutil
import string
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from infrascan.config import load_config
from infrascan.export import to_json
from infrascan.pipeline import ScanRun, build_document, check_drift
from infrascan.redact import scrub
from infrascan.registry import discover
from infrascan.reports import RENDERERS
from infrascan.scan import run_scan
from infrascan.source import RepoSource

ALNUM = string.ascii_letters + string.digits


def shaped(prefix: str, alphabet: str, size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=size, max_size=size).map(lambda s: prefix + s)


# Secrets by shape (whatever key they sit under) and passwords by key name.
SHAPED = st.one_of(
    shaped("sk_live_", ALNUM, 24),
    shaped("AKIA", string.ascii_uppercase + string.digits, 16),
    shaped("ghp_", ALNUM, 36),
    shaped("xoxb-1234567890-", ALNUM, 24),
    shaped("glpat-", ALNUM, 20),
    shaped("AIza", ALNUM + "_-", 35),
    shaped("eyJhbGciOiJIUzI1NiJ9.eyJ", ALNUM, 20),
    st.text(alphabet=ALNUM, min_size=40, max_size=40).filter(
        lambda s: (
            sum(c.isdigit() for c in s) > 5 and sum(c.isupper() for c in s) > 5 and sum(c.islower() for c in s) > 5
        )
    ),
)
PASSWORD = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=12, max_size=20).map(lambda s: "pw-" + s)

# (path, template with {secret_key_value} and {shaped} slots) in every file type infrascan reads.
FILES = {
    ".env.example": "API_URL=https://api.acme.io\nSTRIPE_SECRET_KEY={password}\nTOKEN_HINT={shaped}\n"
    "DATABASE_URL=postgres://app:{password}@db.acme.io:5432/app\n# old key: {shaped}\n",
    "docker-compose.yml": "services:\n  web:\n    image: nginx:1.25\n    environment:\n      DB_PASSWORD: {password}\n"
    "      BUILD_ID: {shaped}\n    command: sh -c \"curl -H 'Authorization: Bearer {shaped}' x\"\n",
    ".github/workflows/ci.yml": "on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    env:\n"
    "      API_TOKEN: {password}\n    steps:\n      - run: deploy --token {shaped} --app web\n"
    "      - run: echo {shaped}\n",
    ".gitlab-ci.yml": "variables:\n  DEPLOY_PASSWORD: {password}\n  RELEASE: {shaped}\ndeploy:\n  script:\n"
    "    - helm upgrade --install web ./chart --set secret={shaped}\n  environment: production\n",
    "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
    "chart/values.yaml": "image:\n  tag: {shaped}\nauth:\n  password: {password}\nenv:\n  - name: SECRET_KEY\n"
    "    value: {password}\n",
    "infra/main.tf": 'variable "db_password" {{\n  default   = "{password}"\n  sensitive = true\n}}\n'
    'resource "aws_db_instance" "db" {{\n  engine = "postgres"\n  password = "{password}"\n'
    '  identifier = "{shaped}"\n}}\n',
    "infra/prod.tfvars": 'db_password = "{password}"\napi_key = "{shaped}"\n',
    "Dockerfile": "FROM python:3.12-slim\nARG NPM_TOKEN={shaped}\nENV API_KEY={password}\nENV BUILD={shaped}\n",
    "k8s/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n"
    "    spec:\n      containers:\n        - name: web\n          image: web:{shaped}\n"
    "          env:\n            - name: DB_PASSWORD\n              value: {password}\n",
    "fly.toml": 'app = "web"\n[env]\n  SECRET_KEY_BASE = "{password}"\n  RELEASE = "{shaped}"\n',
    "app.json": '{{"name": "web", "env": {{"SECRET_KEY": {{"value": "{password}"}}, "X": {{"value": "{shaped}"}}}}}}\n',
    "Jenkinsfile": "pipeline {{\n  environment {{\n    API_TOKEN = '{password}'\n  }}\n  stages {{\n"
    "    stage('deploy') {{ steps {{ sh 'curl -u admin:{password} https://ci.acme.io/{shaped}' }} }}\n  }}\n}}\n",
    "package.json": '{{"name": "web", "scripts": {{"deploy": "vercel --token {shaped} --prod"}}, '
    '"dependencies": {{}}}}\n',
}


def outputs(root: Path) -> str:
    config = load_config(root)
    source = RepoSource(root, max_file_size=config.max_file_size)
    try:
        model = run_scan(source, config, discover())
        run = ScanRun(source, config, model)
        outcome = build_document(run, existing=None, doc_path="INFRASTRUCTURE.md", use_permalinks=False, template=None)
        (root / "INFRASTRUCTURE.md").write_text(outcome.text)
        report = check_drift(run, outcome.text, root / "INFRASTRUCTURE.md", ("changed",))
        rendered = [renderer(report) for renderer in RENDERERS.values()]
        diagnostics = [scrub(f"{d.location()}: {d.message}") for d in model.diagnostics]
        return "\n".join([outcome.text, to_json(model, outcome.view), *rendered, *diagnostics])
    finally:
        source.close()


@settings(
    max_examples=int(__import__("os").environ.get("INFRASCAN_PROPERTY_EXAMPLES", "15")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)  # a failing example is reported as drawn
@given(shaped_secret=SHAPED, password=PASSWORD)
def test_planted_secrets_never_appear_in_any_output(shaped_secret: str, password: str) -> None:
    root = Path(tempfile.mkdtemp(prefix="infrascan-secret-"))
    try:
        for rel, template in FILES.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(template.format(shaped=shaped_secret, password=password))
        everything = outputs(root)
        assert shaped_secret not in everything
        assert password not in everything
    finally:
        shutil.rmtree(root, ignore_errors=True)
