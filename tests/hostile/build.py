"""Builds a hostile repository: every attack on a scanner at once, next to a few valid files.

Used by tests/test_hostile.py and benchmarks/hostile.py. The large, binary and special files are
made here at run time rather than committed. Run directly to build one for a look:

    python tests/hostile/build.py /tmp/hostile
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

OUTSIDE_MARKER = "OUTSIDE-THE-REPOSITORY-7f3a9c"
SECRETS = {
    "stripe": "sk_live_51HyperSecretKeyThatMustNeverLeak0000",
    "aws": "AKIAZZZZZZZZZZZZZZZZ",
    "aws_secret": "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",
    "github": "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
    "password": "hunter2-correct-horse",
    "slack": "https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/cccccccccccccccccccccccc",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlc2lnbmF0dXJlc2ln",
    "tfvar": "tf-sensitive-value-do-not-print-42",
}
INJECTIONS = ["<script>alert(1)</script>", "--><h1>owned</h1>", "[click](https://evil.example.org)",
              "x\n## Forged heading\n- **Production**:"]


@dataclass
class Hostile:
    root: Path
    broken: list[str] = field(default_factory=list)  # files that must be named in diagnostics
    valid_facts: list[str] = field(default_factory=list)  # strings the document must still contain
    root_only: list[str] = field(default_factory=list)  # cases that need a non-root user


def _alias_bomb(key: str) -> str:
    lines = [f'{key}a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{key}{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def build(root: Path) -> Hostile:
    root.mkdir(parents=True, exist_ok=True)
    h = Hostile(root)
    outside = root.parent / "outside-secret.txt"
    outside.write_text(f"{OUTSIDE_MARKER}\nDATABASE_URL=postgres://root:{SECRETS['password']}@prod-db:5432/x\n")

    def put(rel: str, content: str | bytes) -> Path:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        return path

    # Valid files that must still be documented.
    put("Dockerfile", "FROM python:3.12-slim\nUSER app\nHEALTHCHECK CMD curl -f http://localhost:8000/healthz\n")
    put("docker-compose.yml", "services:\n  db:\n    image: postgres:16\n  web:\n    build: .\n"
        f"    environment:\n      AWS_SECRET_ACCESS_KEY: {SECRETS['aws_secret']}\n"
        f"      DB_PASSWORD: {SECRETS['password']}\n      LOG_LEVEL: info\n")
    h.valid_facts += ["PostgreSQL 16", "Python 3.12"]
    put(".env.example", f"STRIPE_SECRET_KEY={SECRETS['stripe']}\nAWS_ACCESS_KEY_ID={SECRETS['aws']}\n"
        f"SLACK_WEBHOOK_URL={SECRETS['slack']}\nSESSION_TOKEN={SECRETS['jwt']}\nSENTRY_DSN=\n")
    h.valid_facts += ["Stripe"]
    put(".github/workflows/deploy.yml",
        "on:\n  push:\n    branches: [main]\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n"
        "    environment:\n      name: production\n      url: https://shop.acme.io\n    env:\n"
        f"      GH_TOKEN: {SECRETS['github']}\n    steps:\n      - run: helm upgrade --install shop ./chart\n")
    put("infra/prod.tfvars", f'db_password = "{SECRETS["tfvar"]}"\nregion = "eu-west-1"\n')
    put("infra/variables.tf", 'variable "db_password" {\n  type      = string\n  sensitive = true\n}\n')

    # Parsers under attack.
    for rel, key in (("bombs/docker-compose.yml", "x-"), (".github/workflows/bomb.yml", ""),
                     ("bomb-chart/values.yaml", ""), ("bombs/bomb.gitlab-ci.yml", ".")):
        put(rel, _alias_bomb(key))
        h.broken.append(rel)
    put("bomb-chart/Chart.yaml", "apiVersion: v2\nname: bomb\nversion: 0.1.0\n")
    put("deep/compose.yaml", "services: " + "[" * 20_000 + "]" * 20_000 + "\n")
    put("deeper/compose.yaml", "services: " + "{a: " * 100_000 + "1" + "}" * 100_000 + "\n")
    h.broken += ["deep/compose.yaml", "deeper/compose.yaml"]
    put("big-chart/Chart.yaml", "apiVersion: v2\nname: big\nversion: 0.1.0\n")
    put("big-chart/values.yaml", "replicaCount: 1\n" + "# padding padding padding padding\n" * 1_300_000)
    h.broken.append("big-chart/values.yaml")
    put("tools/Dockerfile", b"FROM alpine\n\x00\x01\x02\x03binary\xff\xfe" * 100)
    h.broken.append("tools/Dockerfile")
    put("legacy/.env.example", b"OLD_VAR=caf\xe9\nLOG_LEVEL=debug\n")
    h.broken.append("legacy/.env.example")
    put("infra/broken.tf", 'resource "aws_db_instance" "db" {\n  engine = "postgres"\n  engine_version = \n')
    put("infra/heredoc.tf", 'resource "aws_iam_policy" "p" {\n  policy = <<EOF\n{"Version": "2012-10-17"\n')
    h.broken += ["infra/broken.tf", "infra/heredoc.tf"]
    put("chart/Chart.yaml", "apiVersion: v2\nname: shop\nversion: 1.0.0\n")
    put("chart/values.yaml", f"replicaCount: 2\npostgresql:\n  auth:\n    password: {SECRETS['password']}\n")
    put("chart/templates/deployment.yaml", "{{- if .Values.enabled }}\napiVersion: apps/v1\nkind: Deployment\n"
        "metadata:\n  name: {{ include \"x\" . }}\n  labels: {{- toYaml .Values.labels | nindent 4 }}\n{{- end }}\n")
    put(".gitlab-ci.yml", "include:\n  - local: ci/a.yml\n  - local: ../../etc/passwd\n  - local: /etc/passwd\n"
        "  - remote: https://example.org/evil.yml\n"
        "build:\n  extends: .loop-a\n  script:\n    - !reference [.missing, script]\n"
        ".loop-a:\n  extends: .loop-b\n.loop-b:\n  extends: .loop-a\n")
    put("ci/a.yml", "include:\n  - local: ci/b.yml\na-job:\n  script: [echo a]\n")
    put("ci/b.yml", "include:\n  - local: ci/a.yml\nb-job:\n  script: [echo b]\n")
    h.broken.append(".gitlab-ci.yml")
    put("app/values.yaml", "\t- tabs: are\n\t\tnot: yaml\n")

    # Output injection through repository values.
    names = "\n".join(f"  svc{i}:\n    image: \"redis:7\"\n    container_name: {value!r}\n"
                      for i, value in enumerate(INJECTIONS))
    put("inject/docker-compose.yml", f"services:\n{names}")
    put("inject/.env.example", "".join(f"# {v.splitlines()[0]}\nTWILIO_AUTH_TOKEN_{i}=\n"
                                       for i, v in enumerate(INJECTIONS)))

    # Filesystem attacks.
    (root / ".env.sample").symlink_to(outside)
    (root / "linked-dir").symlink_to(root.parent)
    (root / "loop.yml").symlink_to(root / "loop.yml")
    h.broken += [".env.sample", "loop.yml"]
    os.mkfifo(root / "docker-compose.override.yml")  # git never lists FIFOs; a directory walk must skip it
    if os.geteuid() != 0:
        locked = put("compose.prod.yml", "services:\n  db:\n    image: mysql:8\n")
        locked.chmod(0)
        h.broken.append("compose.prod.yml")
    else:
        h.root_only.append("compose.prod.yml (permission denied: the tests run as root, which reads anything)")
    return h


def cleanup(h: Hostile) -> None:
    """Makes the tree deletable again (locked files)."""
    for path in h.root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            path.chmod(path.stat().st_mode | stat.S_IRUSR | stat.S_IWUSR)


def init_git(root: Path) -> None:
    """Commits what git can hold (not the FIFO), so the scan also exercises the git listing."""
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "--", ".", ":!docker-compose.override.yml", ":!compose.prod.yml"],
                   check=True)
    subprocess.run(["git", "-C", str(root), "-c", "user.name=h", "-c", "user.email=h@example.invalid", "commit",
                    "-q", "-m", "hostile"], check=True)


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/hostile")
    built = build(target)
    init_git(target)
    print(f"hostile repository in {target}; broken files: {len(built.broken)}")
