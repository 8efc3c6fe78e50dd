"""The console entry point: answers what it can before the command-line machinery loads.

Typer (and through it click, rich and pydantic) costs a noticeable part of a second to import; a
version check in a CI step or a pre-commit hook should not pay it, and neither should a rerun on
an unchanged repository (see `replay`).

A finished command leaves without the interpreter's teardown: freeing a scan's objects one by one
(a monorepo's model, phase 1's results, the imported modules) takes a tenth of a second that
nobody waits for anything in.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import NoReturn


def main() -> None:
    try:
        _main()
    except SystemExit as exit_:
        code = exit_.code
        if code is not None and not isinstance(code, int):
            raise  # a message to print: the interpreter's own way
        _leave(code or 0)
    _leave(0)


def _leave(code: int) -> NoReturn:
    """Exit now, once every output is flushed, unless another thread still works (a cache write)."""
    if threading.active_count() > 1:
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        sys.exit(code)  # a closed reader or stream: the interpreter's ordinary exit reports it
    os._exit(code)


def _main() -> None:
    if sys.argv[1:] == ["--version"]:
        from infrascan import __version__

        sys.stdout.write(f"infrascan {__version__}\n")
        return
    from infrascan import replay

    argv = sys.argv[1:]
    key = replay.run_key(argv)
    if key is not None:
        replayed = replay.replay(key, argv)
        if replayed is not None:
            sys.exit(replayed)
        replay.hand_over()
    from infrascan.cli import main as run

    if key is None:
        run()
        return
    out, err = replay.Tee(sys.stdout), replay.Tee(sys.stderr)
    sys.stdout, sys.stderr = out, err
    replay.watch(argv)
    code: int | None = None
    try:
        run()
        code = 0
    except SystemExit as exit_:
        code = 0 if exit_.code is None else exit_.code if isinstance(exit_.code, int) else None
        raise
    finally:
        sys.stdout, sys.stderr = out.unrecorded, err.unrecorded
        if code is not None:
            replay.record(key, argv, out, err, code)
