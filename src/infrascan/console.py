"""The console entry point: `infrascan --version` answers before the command-line machinery loads.

Typer (and through it click, rich and pydantic) costs a noticeable part of a second to import; a
version check in a CI step or a pre-commit hook should not pay it.
"""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from infrascan import __version__

        sys.stdout.write(f"infrascan {__version__}\n")
        return
    from infrascan.cli import main as run

    run()
