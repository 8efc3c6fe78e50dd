"""Replaying an unchanged run: the same command on the same repository says the same thing.

A CI job or a pre-commit hook often runs `generate --check` or `drift` on a repository that has
not changed since the last run. Even with every parse cached, that run still imports the
command-line machinery and every detector and renders the whole document: seconds on a large
monorepo. This module answers it in tenths instead, before any of that is imported.

A run is recorded (its stdout, stderr and exit code) under a key made of everything its output
can depend on:

- the command line, the working directory, the interpreter, `sys.path`, the installed
  distributions (where detector plugins come from) and every `INFRASCAN_*` environment variable;
- the repository as git sees it: HEAD, its remotes, every tracked file's blob id (`git ls-files -s`), and for
  files modified in the work tree or untracked, their size and modification time;
- the content of the files named by `--output`, `--doc`, `--config` and `--template`.

Stored with the record, and checked on every replay, are the modification times of every module
the run imported (infrascan, detectors, plugins, libraries) and of infrascan's data files, and the
content of every document the run read. A run is recorded only when it changed nothing it
depends on (a `generate` that wrote the document is not, the next one is), and only when it
ended with exit code 0 or 1. The key is taken again at the end of the run, or, for a command
that prints rather than writes, as soon as it says it reads no more of the repository (`settled`).
Anything unusual (a URL, `--ref`, `--per-component`, `--no-cache`, an option this module does not
know, no git, `INFRASCAN_REPLAY=0`) is never replayed.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TextIO

from infrascan import listing

VERSION = "replay-2"
COMMANDS = frozenset({"generate", "drift", "scan"})
GLOBAL_FLAGS = frozenset({"--quiet", "-q", "--verbose", "-v"})
FLAGS = frozenset({"--stdout", "--check", "--strict", "--permalinks", "--quiet", "-q", "--verbose", "-v",
                   "--no-diagrams"})
VALUE_OPTIONS = frozenset({"--format", "-f", "--fail-on", "--jobs", "-j"})
FILE_OPTIONS = frozenset({"--output", "-o", "--doc", "--config", "--template"})

_inputs: list[Path] = []


def note_input(path: Path) -> None:
    """A document the run read outside what the key covers; its content is checked on replay."""
    _inputs.append(path)


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _stat(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _parse(argv: list[str]) -> tuple[str, list[str]] | None:
    """The target directory and the file options' values, or None when this command is not replayable."""
    args = list(argv)
    while args and args[0] in GLOBAL_FLAGS:
        args.pop(0)
    if not args or args[0] not in COMMANDS:
        return None
    targets: list[str] = []
    files: list[str] = []
    rest = iter(args[1:])
    for token in rest:
        name, eq, value = token.partition("=")
        if not token.startswith("-"):
            targets.append(token)
        elif name in FILE_OPTIONS or name in VALUE_OPTIONS:
            if not eq:
                value = next(rest, "")
            if name in FILE_OPTIONS:
                files.append(value)
        elif token not in FLAGS:
            return None
    if len(targets) > 1 or any("://" in t or t.startswith("git@") for t in targets):
        return None
    return (targets[0] if targets else "."), files


class _Git:
    """git commands started side by side, read later: the key is on every replay's path, the
    work-tree listing alone takes a tenth of a second on a large repository, and the installed
    distributions can be listed meanwhile."""

    def __init__(self, root: str, *commands: tuple[str, ...]) -> None:
        self._outputs: list[bytes | None] | None = None
        self.started: list[subprocess.Popen[bytes] | None] = []
        for args in commands:
            try:
                self.started.append(subprocess.Popen(["git", *args], cwd=root, stdin=subprocess.DEVNULL,
                                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL))
            except OSError:
                self.started.append(None)

    def outputs(self) -> list[bytes | None]:
        """Each command's output, or None where it failed; read once, then remembered."""
        if self._outputs is not None:
            return self._outputs
        outputs: list[bytes | None] = []
        for process in self.started:
            if process is None:
                outputs.append(None)
                continue
            try:
                out, _ = process.communicate(timeout=60)
            except subprocess.SubprocessError:
                process.kill()
                process.communicate()
                outputs.append(None)
                continue
            outputs.append(out if process.returncode == 0 else None)
        self._outputs = outputs
        return outputs


def _start_repository_state(root: str) -> _Git:
    return _Git(
        root,
        ("rev-parse", "--verify", "--quiet", "HEAD"),
        ("remote", "-v"),
        ("ls-files", "-s", "-z"),
        # two processes, run side by side: the modified files (a stat of every tracked file) and the
        # untracked ones (a walk of every folder) take about as long each
        ("ls-files", "-z", "-t", "-m", "-d"),
        ("ls-files", "-z", "-t", "-o", "--exclude-standard"),
    )


def _repository_state(root: str, git: _Git) -> str | None:
    """HEAD, the remotes (permalinks name them), the index's blob ids, and size and time of files
    that differ from the index."""
    head, remotes, tracked, modified, untracked = git.outputs()
    if tracked is None or modified is None or untracked is None:  # not a git work tree (ls-files fails outside one)
        return None
    changed = modified + untracked
    digest = hashlib.sha256(head or b"unborn")
    digest.update(remotes or b"")
    for record in tracked.split(b"\0"):
        if record.startswith(b"120000 "):  # a symlink's blob is its target's name; its content may change
            path = record.partition(b"\t")[2].decode("utf-8", "surrogateescape")
            digest.update(repr(_stat(os.path.join(root, path))).encode())
    digest.update(tracked)
    for record in changed.split(b"\0"):
        if record:
            path = record[2:].decode("utf-8", "surrogateescape")
            digest.update(record + repr(_stat(os.path.join(root, path))).encode())
    return digest.hexdigest()


@cache
def _distributions() -> tuple[str, ...]:
    """The installed distributions, once per process: each metadata folder on `sys.path` with the
    modification time of its entry points, which installing, removing or reinstalling a detector
    plugin changes. Listing them costs a folder read per `sys.path` entry and a stat per
    distribution (2 ms); reading every distribution's entry points and version cost 30-40 ms, a
    fifth of a replayed run. The key computed again after the run checks what the run may have
    changed, the repository, not what was installed."""
    found = []
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as listing:
                folders = [e.path for e in listing if e.name.endswith((".dist-info", ".egg-info"))]
        except OSError:
            continue
        for folder in folders:
            try:
                stamp = os.stat(os.path.join(folder, "entry_points.txt")).st_mtime_ns
            except OSError:
                stamp = 0  # no entry points: its name (and so its version) is what counts
            found.append(f"{folder}@{stamp}")
    return tuple(sorted(found))


_keyed: _KeyTaken | None = None  # the last key taken by `run_key`, whose listing `hand_over` offers


def run_key(argv: list[str]) -> str | None:
    """The key of this run, or None when it must not be replayed."""
    global _keyed
    _keyed = _take_key(argv)
    return _keyed.key() if _keyed is not None else None


def hand_over() -> None:
    """Said when no record answered and the command runs now: the work-tree listing the key was
    taken from is offered to its scan (`listing`), which then need not run git again."""
    global _keyed
    if _keyed is not None:
        _, _, tracked, modified, untracked = _keyed.git.outputs()
        if tracked is not None and modified is not None and untracked is not None:
            listing.offer(_keyed.root, tracked, modified + untracked)
    _keyed = None


@dataclass
class _KeyTaken:
    """A key being taken: its git commands started, their outputs read by `key`."""

    argv: list[str]
    root: str
    files: list[str]
    git: _Git

    def key(self) -> str | None:
        plugins = _distributions()
        state = _repository_state(self.root, self.git)
        if state is None:
            return None
        from infrascan import __version__

        parts: dict[str, Any] = {
            "v": [VERSION, __version__],
            "argv": self.argv,
            "cwd": os.getcwd(),
            "python": [sys.executable, sys.path],
            "env": sorted((k, v) for k, v in os.environ.items() if k.startswith("INFRASCAN_")),
            "tty": [_isatty(sys.stdout), _isatty(sys.stderr)],
            "plugins": plugins,
            "repo": state,
            "files": [(f, _digest(Path(f))) for f in self.files],
        }
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _take_key(argv: list[str]) -> _KeyTaken | None:
    if os.environ.get("GITHUB_STEP_SUMMARY"):  # drift appends to it: a side effect to keep
        return None
    if os.environ.get("INFRASCAN_REPLAY") == "0":
        return None
    parsed = _parse(argv)
    if parsed is None:
        return None
    target, files = parsed
    root = os.path.abspath(target)
    if not os.path.isdir(root):
        return None
    return _KeyTaken(argv, root, files, _start_repository_state(root))


_recording: list[str] | None = None  # the command line of the run being recorded
_after: _KeyTaken | None = None  # the key after that run, taken once it said it was done with the repository


def watch(argv: list[str]) -> None:
    """This run is to be recorded once it ends (if nothing it depends on changed meanwhile)."""
    global _recording, _after
    _recording, _after = argv, None


def settled() -> None:
    """Said by a command that prints what it found rather than write it, once it reads no more of
    the repository: the state after the run is taken now, its git commands running (0.07 s on the
    benchmark monorepo) while the command renders, instead of after it."""
    global _after
    if _recording is not None and _after is None:
        _after = _take_key(_recording)


def _isatty(stream: TextIO | None) -> bool:
    return bool(stream is not None and stream.isatty())


def _code_files() -> list[tuple[str, tuple[int, int] | None]]:
    """Every imported module's file, and infrascan's data files (catalog, templates)."""
    paths = {str(f) for m in list(sys.modules.values()) if (f := getattr(m, "__file__", None))}
    import infrascan

    for base in infrascan.__path__:
        for folder, dirs, names in os.walk(base):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            paths.update(os.path.join(folder, n) for n in names if not n.endswith(".pyc"))
    return [(p, _stat(p)) for p in sorted(paths)]


class Tee:
    """A text stream that writes through and remembers what it wrote."""

    def __init__(self, stream: TextIO) -> None:
        self.unrecorded = stream  # for output that must not be replayed (the progress bar)
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        written = self.unrecorded.write(text)  # first: click probes streams with b"" and expects TypeError
        self.parts.append(text)
        return written

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.unrecorded, name)


def replay(key: str, argv: list[str]) -> int | None:
    """Prints a recorded run's output and returns its exit code, or None when there is none valid.

    The recorded summary counts the files that run read; a note says the output is a replay, so
    nobody takes it for a fresh scan."""
    from infrascan.cache import Cache

    cache = Cache()
    try:
        record = cache.get_many([f"run:{key}"]).get(f"run:{key}")
        if not isinstance(record, dict) or not _still_valid(record):
            return None
    finally:  # closing also stores the record's last use, for the size bound
        cache.close()
    sys.stdout.write(record["stdout"])
    sys.stdout.flush()
    sys.stderr.write(record["stderr"])
    if not {"--quiet", "-q"}.intersection(argv):
        sys.stderr.write("infrascan: nothing it depends on changed since an identical run; repeated that run's "
                         "output (--no-cache scans again)\n")
    sys.stderr.flush()
    return int(record["code"])


def _still_valid(record: dict[str, Any]) -> bool:
    code_unchanged = all(_stat(path) == (tuple(st) if st else None) for path, st in record["code_files"])
    return code_unchanged and all(_digest(Path(path)) == digest for path, digest in record["inputs"])


def record(key: str, argv: list[str], out: Tee, err: Tee, code: int) -> None:
    """Stores the run if it ended normally and left everything it depends on as it found it."""
    try:
        after = _after.key() if _after is not None and _recording == argv else run_key(argv)
        if code in (0, 1) and after == key:
            _store(key, out, err, code)
    except Exception:  # a run that succeeded must not fail for want of a cache entry
        return


def _store(key: str, out: Tee, err: Tee, code: int) -> None:
    from infrascan.cache import Cache

    entry = {
        "stdout": "".join(out.parts),
        "stderr": "".join(err.parts),
        "code": code,
        "code_files": _code_files(),
        "inputs": [(str(p), _digest(p)) for p in dict.fromkeys(_inputs)],
    }
    cache = Cache()
    cache.put(f"run:{key}", entry)
    cache.close()
