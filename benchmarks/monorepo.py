"""Generates a synthetic monorepo for benchmarks (a script, not a test).

File sizes are modelled on aws-containers/retail-store-sample-app (measured at its default branch,
2026-11): Dockerfile ~1.1 KB, Chart.yaml ~0.2 KB, values.yaml ~1.8 KB, Helm templates ~1.3 KB,
workflows ~1.9 KB, .tf ~1.5 KB, sources ~2.6 KB. Each service gets sources, a Dockerfile, a Helm
chart with per-environment values, a workflow, a Terraform stack and an .env.example: about 51
files, so 300 services make a repository of about 15,000 files.

    python benchmarks/monorepo.py --services 300 --out /tmp/monorepo
"""

from __future__ import annotations

import argparse
import random
import subprocess
from pathlib import Path

FILLER = "# " + "lorem ipsum dolor sit amet " * 3 + "\n"


def pad(text: str, size: int) -> str:
    """Grows a file to about `size` bytes with comment lines, as real files carry comments."""
    while len(text) < size:
        text += FILLER
    return text


def service_files(name: str, index: int, rng: random.Random) -> dict[str, str]:
    base = f"services/{name}"
    lang = ["python:3.12-slim", "node:20-alpine", "golang:1.22-alpine", "eclipse-temurin:21-jre"][index % 4]
    db = ["postgres:16", "mysql:8.0", "redis:7", "mongo:7"][index % 4]
    files = {
        f"{base}/Dockerfile": pad(
            f"FROM {lang} AS build\nWORKDIR /src\nCOPY . .\nRUN make build\n\nFROM {lang}\n"
            f"COPY --from=build /src/out /app\nUSER app\nEXPOSE 8080\n"
            f"HEALTHCHECK CMD wget -qO- http://localhost:8080/health || exit 1\n"
            f'CMD ["/app/{name}"]\n',
            1100,
        ),
        f"{base}/chart/Chart.yaml": f'apiVersion: v2\nname: {name}\nversion: 0.{index}.0\nappVersion: "1.{index}"\n',
        f"{base}/chart/values.yaml": pad(
            f"replicaCount: 2\nimage:\n  repository: ghcr.io/acme/{name}\n  tag: latest\n"
            "ingress:\n  enabled: false\nresources:\n  limits:\n    cpu: 500m\n"
            "    memory: 256Mi\nenv:\n  - name: LOG_LEVEL\n    value: info\n",
            1800,
        ),
        f"{base}/.env.example": pad(
            f"DATABASE_URL={db.split(':')[0]}://localhost/{name}\nSENTRY_DSN=\nLOG_LEVEL=info\nSTRIPE_SECRET_KEY=\n",
            800,
        ),
        f".github/workflows/{name}.yml": pad(
            f"name: {name}\non:\n  push:\n    branches: [main]\n    paths: ['{base}/**']\n  pull_request:\n"
            f"    paths: ['{base}/**']\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: actions/checkout@v4\n      - run: make test\n  deploy:\n    needs: test\n"
            "    if: github.ref == 'refs/heads/main'\n    runs-on: ubuntu-latest\n    environment:\n"
            f"      name: production\n      url: https://{name}.acme.example.org\n    steps:\n"
            "      - uses: actions/checkout@v4\n"
            f"      - run: helm upgrade --install {name} {base}/chart -f {base}/chart/values-prod.yaml\n",
            1900,
        ),
        f"{base}/infra/main.tf": pad(
            f'resource "aws_db_instance" "{name}" {{\n  engine         = "postgres"\n  engine_version = "15.4"\n'
            f'  instance_class = "db.t3.micro"\n  multi_az       = true\n}}\n\n'
            f'resource "aws_cloudwatch_log_group" "{name}" {{\n  name              = "/svc/{name}"\n'
            f"  retention_in_days = 30\n}}\n",
            1500,
        ),
        f"{base}/infra/variables.tf": pad('variable "region" {\n  type    = string\n  default = "eu-west-1"\n}\n', 700),
        f"{base}/infra/outputs.tf": f'output "db_endpoint" {{\n  value = aws_db_instance.{name}.endpoint\n}}\n',
        f"{base}/infra/versions.tf": 'terraform {\n  required_providers {\n    aws = {\n'
        '      source = "hashicorp/aws"\n'
        '      version = "~> 5.0"\n    }\n  }\n}\n',
        f"{base}/Makefile": "build:\n\tgo build -o out/app ./...\n\ntest:\n\tgo test ./...\n",
    }
    for env in ("dev", "staging", "prod"):
        files[f"{base}/chart/values-{env}.yaml"] = pad(
            f"replicaCount: {1 if env == 'dev' else 3}\ningress:\n  enabled: true\n  hosts:\n"
            f"    - host: {name}.{env}.acme.example.org\n",
            500,
        )
    for t in ("deployment", "service", "ingress", "hpa", "configmap", "serviceaccount", "pdb", "_helpers"):
        suffix = "tpl" if t.startswith("_") else "yaml"
        files[f"{base}/chart/templates/{t}.{suffix}"] = pad(
            f"apiVersion: v1\nkind: {t.capitalize()}\nmetadata:\n  name: {{{{ .Release.Name }}}}\n"
            "{{- if .Values.ingress.enabled }}\n  labels: {}\n{{- end }}\n",
            1300,
        )
    for i in range(30):
        ext = [".py", ".ts", ".go", ".java"][index % 4]
        files[f"{base}/src/module_{i}{ext}"] = pad(f"// {name} module {i} {rng.random()}\n", 2600)
    files[f"{base}/README.md"] = pad(f"# {name}\n", 1200)
    return files


def generate(out: Path, services: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    count = 0
    for index in range(services):
        for rel, text in service_files(f"svc{index:03d}", index, rng).items():
            path = out / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            count += 1
    (out / "README.md").write_text("# Synthetic monorepo for infrascan benchmarks\n")
    count += 1
    subprocess.run(["git", "init", "-q", str(out)], check=True)
    subprocess.run(["git", "-C", str(out), "add", "-A"], check=True)
    subprocess.run(
        [
            "git",
            "-C",
            str(out),
            "-c",
            "user.name=bench",
            "-c",
            "user.email=bench@example.invalid",
            "commit",
            "-q",
            "-m",
            "synthetic monorepo",
        ],
        check=True,
    )
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=300)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.out.exists() and any(args.out.iterdir()):
        raise SystemExit(f"{args.out} is not empty")
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"{generate(args.out, args.services)} files in {args.out}")


if __name__ == "__main__":
    main()
