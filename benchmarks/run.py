"""infrascan benchmarks (a script, not a test): the CLI's wall time next to the physical floor.

    python benchmarks/run.py monorepo [--services 300]   cold, warm, one file changed, next to the floors
    python benchmarks/run.py growth                      cold and warm at 50, 100, 200, 400 services
    python benchmarks/run.py repo PATH                   one real repository (cold, warm, floor)
    python benchmarks/run.py hostile                     the hostile repository: time and peak memory
    python benchmarks/run.py version                     `infrascan --version` start-up

The floor is measured inside one process, start-up excluded: list the repository (`git ls-files`),
read every candidate file, load every YAML candidate with PyYAML's C loader (the "yaml" floor), and
additionally parse every .tf file with python-hcl2 8.x (`hcl2.loads`, its parse to data) and every
Dockerfile with dockerfile-parse (`structure`), serially and with two processes (the "hcl2" floors):
the Python floor of `../shared/reference/libraries.md`, section 7, imports and worker start-up
excluded. Until 41209d7 the hcl2 floors called `hcl2.parses` (the parse tree, without the conversion
to data that reading a file's values needs), counted hcl2's import and left Dockerfiles out: about
0.05 s less on the benchmark monorepo. The CLI is timed as a whole (start-up included) in a fresh
process, with its cache in a private directory: "cold" starts with no cached scan results (only
python-hcl2's grammar tables, built once per machine, are kept); "warm" repeats on the unchanged
repository twice, once with the replay of unchanged runs turned off (INFRASCAN_REPLAY=0: the model
comes from the cache, the document is rendered) and once as users run it (the recorded run is
replayed); "one file changed" edits one values file first, twice: a comment appended (phase 1
re-parses that file only and finds the same result: the model is reused, "early cutoff") and a value
changed (`replicaCount`: phase 2 and rendering run again over the whole repository), each measured
as users run it and again with the replay turned off, as the warm scan it is compared with is (the
replay's key and record, which a changed run also pays, then left out of both sides). Peak memory is
the largest resident set of any process the CLI started (workers included).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).parent))

from monorepo import generate

YAML = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def candidates(root: Path) -> list[str]:
    """The files infrascan would read: what any installed detector claims (by name or by sniffable suffix)."""
    from infrascan.globs import PatternIndex
    from infrascan.registry import discover

    detectors = {d.name: d for d in discover().detectors}
    index = PatternIndex({name: d.patterns for name, d in detectors.items()})
    suffixes = tuple({s for d in detectors.values() if d.sniff for s in d.sniff.suffixes})
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True).stdout
    paths = [p for p in listed.decode().split("\0") if p]
    # a detector's own `claims` refines what its patterns match (the PaaS detector reads the root README only)
    return [p for p in paths if any(detectors[name].claims(p) for name in index.owners(p)) or p.endswith(suffixes)]


def _parse(paths: list[str]) -> int:
    """Parses .tf files to data with python-hcl2 and Dockerfiles with dockerfile-parse; returns the failures."""
    import hcl2
    from dockerfile_parse import DockerfileParser

    failures = 0
    for path in paths:
        try:
            text = Path(path).read_text(encoding="utf-8", errors="replace")
            if path.endswith(".tf"):
                hcl2.loads(text)
            else:
                parser = DockerfileParser(fileobj=io.BytesIO(text.encode()))
                _ = parser.structure
        except Exception:
            failures += 1
    return failures


def _warm_parsers() -> None:
    """Imports python-hcl2 and dockerfile-parse and loads hcl2's grammar tables, outside the timing:
    the floor excludes start-up and imports, as libraries.md's does (the CLI's timing includes them)."""
    import hcl2
    from dockerfile_parse import DockerfileParser

    hcl2.loads('variable "x" {}\n')
    _ = DockerfileParser(fileobj=io.BytesIO(b"FROM scratch\n")).structure


def floor(root: Path) -> dict[str, float]:
    """Seconds to list, read and C-YAML-load the candidates; and the same plus hcl2 on the .tf files and
    dockerfile-parse on the Dockerfiles (serially, and in two processes started beforehand)."""
    started = time.perf_counter()
    files = candidates(root)
    texts = {}
    for rel in files:
        try:
            texts[rel] = (root / rel).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
    for rel, text in texts.items():
        if rel.endswith((".yml", ".yaml")):
            try:
                for _ in yaml.load_all(text, Loader=YAML):
                    pass
            except yaml.YAMLError:
                pass
    yaml_floor = time.perf_counter() - started
    tf = [str(root / rel) for rel in texts if rel.endswith(".tf")]
    parsed = tf + [str(root / rel) for rel in texts if rel.rpartition("/")[2] == "Dockerfile"]
    _warm_parsers()
    began = time.perf_counter()
    _parse(parsed)
    serial = time.perf_counter() - began
    with ProcessPoolExecutor(2, initializer=_warm_parsers) as pool:
        list(pool.map(_parse, [[], []]))  # both workers started, their parsers imported: outside the timing
        began = time.perf_counter()
        list(pool.map(_parse, [parsed[0::2], parsed[1::2]]))
        parallel = time.perf_counter() - began
    return {
        "files": float(len(files)),
        "tf_files": float(len(tf)),
        "yaml": yaml_floor,
        "hcl2_serial": yaml_floor + serial,
        "hcl2_2proc": yaml_floor + parallel,
    }


def cli(args: list[str], cache: Path, replay: bool = True) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB, any process it started) of one infrascan run in a fresh process.

    Python may write bytecode, as it does for an installed package (pip compiles it at install),
    even where PYTHONDONTWRITEBYTECODE is set: otherwise every run would pay to compile infrascan."""
    command = [sys.executable, "-m", "infrascan", "-q", *args]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["XDG_CACHE_HOME"] = str(cache)
    if not replay:
        env["INFRASCAN_REPLAY"] = "0"
    out = subprocess.run([sys.executable, str(Path(__file__).parent / "_measure.py"), "3600", *command],
                         env=env, capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    if result["code"] != 0:
        raise SystemExit(f"infrascan {' '.join(args)} exited {result['code']}")
    return float(result["wall"]), float(result["rss"])


def fresh_cache() -> Path:
    """An empty scan cache, but with python-hcl2's grammar tables already built: building them
    (about 1.2 s) happens once per machine and hcl2 version, not once per repository."""
    cache = Path(tempfile.mkdtemp(prefix="infrascan-bench-cache-"))
    warm = Path(tempfile.mkdtemp(prefix="infrascan-bench-warmup-"))
    (warm / "main.tf").write_text('variable "x" {}\n')
    cli(["scan", str(warm), "--format", "json", "--no-cache"], cache)
    shutil.rmtree(warm, ignore_errors=True)
    return cache


def measure(root: Path, change: Path | None = None, repeat: int = 1) -> dict[str, Any]:
    """Each measure's fastest of `repeat` runs (this VM's timings vary by 10-30% from one run to the
    next; the fastest is the least disturbed), with every run kept in `runs` for the report. Each
    cold run has a fresh cache; each changed run makes a change of its own (another comment, another
    value), measured against the state the run before it left."""
    runs: dict[str, list[float]] = {}
    rss = 0.0
    scan = ["scan", str(root), "--format", "json"]

    def timed(name: str, cache: Path, replay: bool = True) -> None:
        nonlocal rss
        wall, peak = cli(scan, cache, replay=replay)
        runs.setdefault(name, []).append(wall)
        rss = max(rss, peak)

    for _ in range(repeat - 1):  # the extra cold runs, each from nothing
        cache = fresh_cache()
        try:
            timed("cold", cache)
        finally:
            shutil.rmtree(cache, ignore_errors=True)
    cache = fresh_cache()
    try:
        timed("cold", cache)
        for _ in range(repeat):
            timed("warm", cache, replay=False)
        for _ in range(repeat):
            timed("replayed", cache)
        if change is not None:
            original = change.read_text()
            try:
                # each change measured as users run it, and with the replay off as the warm scan is:
                # the replay's own bookkeeping (its key, its record) is then left out of both sides
                for name, replay, first in (("one_comment", True, 0), ("one_comment_no_replay", False, 100)):
                    for i in range(first, first + repeat):
                        change.write_text(original + f"\n# benchmark edit {i}\n")
                        timed(name, cache, replay=replay)
                found = re.search(r"(?m)^replicaCount: (\d+)", original)
                assert found is not None
                replicas = int(found[1])
                for name, replay, first in (("one_value", True, 1), ("one_value_no_replay", False, 101)):
                    for i in range(first, first + repeat):
                        edited = re.sub(r"(?m)^replicaCount: \d+", f"replicaCount: {replicas + i}", original)
                        assert edited != original
                        change.write_text(edited)
                        timed(name, cache, replay=replay)
            finally:
                change.write_text(original)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return {**{name: min(walls) for name, walls in runs.items()}, "rss": rss, "runs": runs}


def report(name: str, timings: dict[str, Any], floors: dict[str, float]) -> None:
    print(f"\n{name}: {int(floors['files'])} candidate files ({int(floors['tf_files'])} .tf)")
    print(
        f"  floor: yaml {floors['yaml']:.2f} s | + hcl2 serial {floors['hcl2_serial']:.2f} s "
        f"| + hcl2 two processes {floors['hcl2_2proc']:.2f} s"
    )
    print(
        f"  cold {timings['cold']:.2f} s = {timings['cold'] / floors['hcl2_serial']:.2f}x the hcl2 floor "
        f"({timings['cold'] / floors['hcl2_2proc']:.2f}x the two-process one)"
    )
    print(f"  warm, replayed {timings['replayed']:.2f} s = {timings['replayed'] / floors['yaml']:.2f}x the yaml floor")
    print(f"  warm, scanned from the cache (replay off) {timings['warm']:.2f} s = "
          f"{timings['warm'] / floors['yaml']:.2f}x the yaml floor")
    if "one_comment" in timings:
        for what, key in (("a comment", "one_comment"), ("a value", "one_value")):
            print(f"  one file changed, {what} {timings[key]:.2f} s = {timings[key] / timings['warm']:.2f}x warm "
                  f"(replay off); with the replay off too {timings[key + '_no_replay']:.2f} s = "
                  f"{timings[key + '_no_replay'] / timings['warm']:.2f}x")
    print(f"  peak RSS of any process: {timings['rss']:.0f} MB")
    if any(len(walls) > 1 for walls in timings["runs"].values()):
        print("  every run (s): " + "; ".join(f"{name} " + ", ".join(f"{w:.2f}" for w in walls)
                                             for name, walls in timings["runs"].items()))


def cmd_monorepo(services: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix="infrascan-bench-") as tmp:
        root = Path(tmp) / "monorepo"
        count = generate(root, services)
        print(f"generated {count} files ({services} services); fastest of {repeat} runs of each measure")
        floors = fastest_floor(root, repeat)
        timings = measure(root, change=root / "services/svc007/chart/values-prod.yaml", repeat=repeat)
        report(f"monorepo, {services} services", timings, floors)


def fastest_floor(root: Path, repeat: int) -> dict[str, float]:
    """Each floor's fastest of `repeat` measurements, as the CLI's timings are."""
    measured = [floor(root) for _ in range(repeat)]
    return {key: min(m[key] for m in measured) for key in measured[0]}


def cmd_growth() -> None:
    print("services | files | cold s | warm s (cache) | warm s (replay) | cold per service ms")
    for services in (50, 100, 200, 400):
        with tempfile.TemporaryDirectory(prefix="infrascan-bench-") as tmp:
            root = Path(tmp) / "monorepo"
            count = generate(root, services)
            timings = measure(root)
            print(
                f"{services:8} | {count:5} | {timings['cold']:6.2f} | {timings['warm']:14.2f} | "
                f"{timings['replayed']:15.2f} | "
                f"{1000 * timings['cold'] / services:8.1f}"
            )


def cmd_repo(path: Path) -> None:
    report(str(path), measure(path), floor(path))


def cmd_hostile() -> None:
    """The hostile repository through `/usr/bin/time -v` (the bound: under 30 s and 500 MB)."""
    sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
    from hostile.build import build, cleanup, init_git

    with tempfile.TemporaryDirectory(prefix="infrascan-hostile-") as tmp:
        hostile = build(Path(tmp) / "repo")
        init_git(hostile.root)
        env = {**os.environ, "XDG_CACHE_HOME": str(Path(tmp) / "cache")}
        command = [sys.executable, "-m", "infrascan", "-q", "generate", str(hostile.root), "--stdout"]
        if Path("/usr/bin/time").exists():
            run = subprocess.run(["/usr/bin/time", "-v", *command], env=env, capture_output=True, text=True)
            stats = dict(line.strip().rsplit(": ", 1) for line in run.stderr.splitlines() if ": " in line)
            wall = stats.get("Elapsed (wall clock) time (h:mm:ss or m:ss)")
            peak = int(stats.get("Maximum resident set size (kbytes)", "0")) / 1024
            print(f"hostile repository: exit {run.returncode}, wall {wall}, peak RSS {peak:.0f} MB")
        else:
            wall, rss = cli(["generate", str(hostile.root), "--stdout"], Path(tmp) / "cache")
            print(f"hostile repository: wall {wall:.2f} s, peak RSS {rss:.0f} MB")
        cleanup(hostile)


def cmd_version() -> None:
    runs = []
    for _ in range(7):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "infrascan", "--version"], stdout=subprocess.DEVNULL, check=True)
        runs.append(time.perf_counter() - started)
    print(f"infrascan --version: median {sorted(runs)[3]:.3f} s over 7 runs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    mono = sub.add_parser("monorepo")
    mono.add_argument("--services", type=int, default=300)
    mono.add_argument("--repeat", type=int, default=3, help="runs of each measure; the fastest is reported")
    sub.add_parser("growth")
    repo = sub.add_parser("repo")
    repo.add_argument("path", type=Path)
    sub.add_parser("hostile")
    sub.add_parser("version")
    args = parser.parse_args()
    if args.command == "monorepo":
        cmd_monorepo(args.services, args.repeat)
    elif args.command == "growth":
        cmd_growth()
    elif args.command == "repo":
        cmd_repo(args.path)
    elif args.command == "hostile":
        cmd_hostile()
    else:
        cmd_version()


if __name__ == "__main__":
    main()
