"""Coverage-guided fuzzing of every installed detector's phase 1 with atheris (optional, not in CI).

The test suite already runs a bounded hypothesis fuzz test per detector
(tests/test_parsers_never_raise.py). For long runs:

    pip install atheris
    python fuzz/fuzz_detectors.py -max_total_time=600 -rss_limit_mb=2048

Each input picks a detector and one of the file names it claims, then hands the bytes over as
the file's text exactly as the scanner would (binary refused, undecodable bytes replaced). Any
exception escaping `extract` is a bug: detectors must turn bad input into diagnostics.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from infrascan.detector import SourceFile
    from infrascan.registry import discover
    from infrascan.source import decode

DETECTORS = discover().detectors
PATHS = {
    "compose": "docker-compose.yml", "dockerfile": "Dockerfile", "envfile": ".env.example",
    "manifests": "package.json", "scripts": "entrypoint.sh", "github-actions": ".github/workflows/ci.yml",
    "gitlab-ci": ".gitlab-ci.yml", "circleci": ".circleci/config.yml", "bitbucket": "bitbucket-pipelines.yml",
    "azure-pipelines": "azure-pipelines.yml", "jenkins": "Jenkinsfile", "cloudbuild": "cloudbuild.yaml",
    "terraform": "main.tf", "helm": "chart/values.yaml", "kubernetes": "k8s/deploy.yaml", "paas": "fly.toml",
    "azd": "azure.yaml", "ansible": "deploy/deploy.yml",
    "migrations": "db/migrate/20240101000000_create_users.rb", "alerting": "alerts/rules.yml",
}


def test_one(data: bytes) -> None:
    if not data:
        return
    detector = DETECTORS[data[0] % len(DETECTORS)]
    path = PATHS.get(detector.name, detector.patterns[0] if detector.patterns else "file.yaml")
    text, _ = decode(path, data[1:])
    if text is not None:
        detector.extract(SourceFile(path, text))


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one)
    atheris.Fuzz()
