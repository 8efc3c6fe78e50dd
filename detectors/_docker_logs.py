"""What Docker keeps of a container's log: read from a compose service's `logging` and from Kamal's
`logging` options alike, so that both say the same of the same settings."""

from __future__ import annotations

import re

from infrascan.model import Code, Part

# `10m`, `1.5g`, `100k`; Docker's `-1` (no limit) is none
_LOG_SIZE = re.compile(r"(?i)\d+(?:\.\d+)?[kmg]?b?")


def kept_logs(driver: str | None, size: str | None, files: str | None) -> tuple[Part, ...] | None:
    """`2 log files of up to 5m`: what the json-file driver (the default) or `local` keeps under
    these options; None when they rotate nothing (`max-file` without `max-size`, `max-size: -1`) or
    the driver ships the log elsewhere. Without `max-file`, json-file keeps one file and `local`
    five (Docker's defaults)."""
    driver = driver or "json-file"
    if driver not in ("json-file", "local") or size is None or not _LOG_SIZE.fullmatch(size):
        return None
    files = files or ("5" if driver == "local" else "1")
    if not files.isdigit():
        return None
    return ("one log file" if files == "1" else f"{files} log files", " of up to ", Code(size))


def rotation_item(kept: tuple[Part, ...]) -> str:
    """The item of a statement of what Docker keeps: its words, so equal settings merge."""
    return "rotation:" + "".join(p.text if isinstance(p, Code) else p for p in kept)
