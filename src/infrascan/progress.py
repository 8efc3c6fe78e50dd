"""A progress bar on stderr for scans that take more than about a second, only on a terminal.

rich is imported only when a bar is actually shown, so short scans, pipes and `--quiet` pay
nothing for it.
"""

from __future__ import annotations

import sys
import time
from typing import Any

DELAY = 1.0


class TerminalProgress:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.started = time.monotonic()
        self._bar: Any = None
        self._task: Any = None

    def __call__(self, done: int, total: int, path: str) -> None:
        if not self.enabled:
            return
        if self._bar is None:
            if time.monotonic() - self.started < DELAY or done >= total:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._bar = Progress(TextColumn("infrascan"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.description}"), transient=True,
                                 # the terminal itself: a recorded run (see replay) must not replay a bar
                                 console=Console(file=getattr(sys.stderr, "unrecorded", sys.stderr)))
            self._bar.start()
            self._task = self._bar.add_task("", total=total)
        self._bar.update(self._task, completed=done, total=total, description=path[-60:])
        if done >= total:
            self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
