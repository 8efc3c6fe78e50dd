"""Runs one command and prints its wall time and the peak RSS of its whole process tree.

A separate process, so that each measurement starts from zero: `RUSAGE_CHILDREN` is a running
maximum over every child a process ever waited for (workers included, since each parent waits for
its own children).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time


def main() -> None:
    timeout = float(sys.argv[1])
    started = time.perf_counter()
    try:
        code = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              timeout=timeout).returncode
    except subprocess.TimeoutExpired:
        code = -1
    wall = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"wall": wall, "rss": peak_mb, "code": code}))


if __name__ == "__main__":
    main()
