"""The phase-1 cache: a detector's result for a file, keyed by what determines it.

Phase 1 is a pure function of (detector, detector version and code, infrascan version, catalog,
effective configuration, file path, file content), so its results are cached under a hash of
exactly that. The path is part of the key because facts cite their file: two identical
Dockerfiles are two entries. The content is named by its git blob id (free from `git ls-files
-s`; hashed from the bytes for files outside git or modified in the work tree). An unchanged
repository is then scanned without reading a single candidate file.

Storage is one SQLite database under `$XDG_CACHE_HOME/infrascan` (default `~/.cache/infrascan`):
safe under concurrent runs (WAL journal, busy timeout), bounded in size (least recently used
entries go first), and thrown away and rebuilt when it is corrupt. Values are pickles written by
infrascan itself (compressed when large); the cache directory is the user's own, like any other tool's cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sqlite3
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from infrascan.gcpause import collector_paused

DEFAULT_MAX_BYTES = 512 * 1024 * 1024
SCHEMA = "CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value BLOB NOT NULL, size INTEGER NOT NULL, " \
         "used REAL NOT NULL)"
# The bound's questions (how much is stored, what was used least recently) answered from this index
# alone: the table stores `size` and `used` after each value, so summing it read every value (0.13 s
# on a 500 MB cache, at each flush of a cache near its bound). Made once on a cache that lacks it.
USED_INDEX = "CREATE INDEX IF NOT EXISTS entries_used ON entries (used, size)"
_CHUNK = 500
# An entry's last use is rewritten only when it is older than this: eviction needs the order of
# use, not the second, and rewriting every entry a warm monorepo scan reads (6,000 rows) cost
# that scan 0.3 s.
TOUCH_AFTER = 3600.0
# Values larger than this are stored compressed (zlib level 1: 7 ms for a monorepo's 3 MB model,
# stored in 0.3 MB). A changed monorepo scan stores its model, its index and its run record anew,
# about 9 MB raw: the size bound would otherwise fill with them in a few dozen changed scans and
# evict the phase-1 results they stand on. Phase-1 results are mostly far smaller and stay raw.
COMPRESS_OVER = 64 * 1024
_COMPRESSED = b"z"  # the first byte of a compressed value; a pickle's is 0x80


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "infrascan"


def entry_key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _digest(blob: bytes) -> str:
    return hashlib.blake2b(blob, digest_size=16).hexdigest()


def _stored(blob: bytes) -> bytes:
    """A value as stored: compressed when large."""
    return _COMPRESSED + zlib.compress(blob, 1) if len(blob) > COMPRESS_OVER else blob


# Entries put (key, pickle, time) and entries marked used (time, key), not written yet.
Stored = tuple[list[tuple[str, bytes, float]], list[tuple[float, str]]]


def forkable() -> bool:
    """Whether this process can fork safely: not on macOS, whose system libraries are not safe to
    use after a fork, and not with a second thread, whose locks would stay held in the child."""
    return hasattr(os, "fork") and sys.platform != "darwin" and threading.active_count() == 1


class Cache:
    """A key-value store of pickled phase-1 results; every failure degrades to a cache miss."""

    def __init__(self, directory: Path | None = None, max_bytes: int | None = None) -> None:
        self.directory = directory or cache_dir()
        env_max = os.environ.get("INFRASCAN_CACHE_MAX_MB")
        self.max_bytes = max_bytes or (int(env_max) * 1024 * 1024 if env_max and env_max.isdigit()
                                       else DEFAULT_MAX_BYTES)
        self.path = self.directory / "phase1.sqlite3"
        self.problem: str | None = None
        self.note: str | None = None
        self._db: sqlite3.Connection | None = None
        self._pending: list[tuple[str, bytes, float]] = []
        self._touched: list[tuple[float, str]] = []
        self._writer: threading.Thread | None = None
        self._child: int | None = None  # the process storing aside (`store_aside`)
        self.hits = 0
        self.misses = 0
        # A digest of the stored bytes of every phase-1 entry this run read or wrote: equal digests
        # are equal results, which lets a scan whose inputs changed find that its results did not.
        self.digests: dict[str, str] = {}

    def _connect(self) -> sqlite3.Connection | None:
        if self._db is not None or self.problem is not None:
            return self._db
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._db = self._open()
        except sqlite3.DatabaseError as exc:  # corrupt: start over
            self._discard(f"cache was unreadable ({exc}); rebuilt it")
            try:
                self._db = self._open()
            except (sqlite3.Error, OSError) as again:
                self.problem = f"cache unavailable: {again}"
        except OSError as exc:
            self.problem = f"cache unavailable: {exc}"
        return self._db

    def _open(self) -> sqlite3.Connection:
        # A background flush writes through this connection while the scan goes on; every other
        # use of it waits for that write first (`_wait`), so it is never used by two threads at once.
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA busy_timeout=10000")
        with contextlib.suppress(sqlite3.OperationalError):
            db.execute("PRAGMA journal_mode=WAL")
        # A cache need not survive a power cut, only stay consistent: in WAL mode, NORMAL syncs at
        # checkpoints and never at a commit (each commit's sync cost a scan 20-30 ms).
        with contextlib.suppress(sqlite3.OperationalError):
            db.execute("PRAGMA synchronous=NORMAL")
        db.execute(SCHEMA)
        # Best effort: a read-only cache, or one another process holds locked, still serves reads
        # (and is not taken for corrupt and rebuilt); without the index, the bound reads the table.
        with contextlib.suppress(sqlite3.OperationalError):
            db.execute(USED_INDEX)
        db.execute("SELECT count(*) FROM entries LIMIT 1").fetchone()
        return db

    def _discard(self, why: str) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                Path(str(self.path) + suffix).unlink()
        self.problem = None
        self.note = why

    def get_many(self, keys: Iterable[str], digest: bool = False) -> dict[str, Any]:
        """The values stored under these keys; with `digest`, each one's digest is kept too (phase-1
        results, for the early cutoff: not the model or a run record, megabytes hashed for nothing)."""
        self._wait()
        db = self._connect()
        wanted = list(dict.fromkeys(keys))
        found: dict[str, Any] = {}
        if db is None or not wanted:
            self.misses += len(wanted)
            return found
        now = time.time()
        # Unpickling makes objects that all stay alive (results, a model): collections in the middle
        # of it free nothing and walk ever more of them (0.1 s of a warm monorepo scan).
        with collector_paused():
            try:
                for start in range(0, len(wanted), _CHUNK):
                    chunk = wanted[start : start + _CHUNK]
                    marks = ",".join("?" * len(chunk))
                    for key, blob, used in db.execute(f"SELECT key, value, used FROM entries WHERE key IN ({marks})",
                                                      chunk):
                        try:
                            if blob[:1] == _COMPRESSED:
                                blob = zlib.decompress(blob[1:])
                            found[key] = pickle.loads(blob)
                        except Exception:  # a stale or damaged value is a miss
                            continue
                        if digest:
                            self.digests[key] = _digest(blob)
                        if now - used > TOUCH_AFTER:
                            self._touched.append((now, key))
            except sqlite3.DatabaseError as exc:
                self._discard(f"cache was unreadable ({exc}); rebuilt it")
                found = {}
        self.hits += len(found)
        self.misses += len(wanted) - len(found)
        return found

    def put(self, key: str, value: Any, digest: bool = False) -> None:
        try:
            blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # an unpicklable result is simply not cached
            return
        self.put_pickled(key, blob, digest)

    def touch(self, keys: Iterable[str]) -> None:
        """Marks entries as used without reading them: results a scan stands on through a brief of
        them (cutoff.py) must not be the first the size bound evicts."""
        now = time.time()
        self._touched.extend((now, key) for key in keys)

    def put_pickled(self, key: str, blob: bytes, digest: bool = False) -> None:
        """Stores a value pickled elsewhere (by a worker process, which already had to). Its digest is
        that of the pickle, as `get_many` digests what it unpickles."""
        self._pending.append((key, blob, time.time()))
        if digest:
            self.digests[key] = _digest(blob)

    def flush(self, background: bool = False) -> None:
        """Writes pending entries and usage times in one transaction, then trims to the size bound.

        In the background (a thread: SQLite and zlib release the GIL) the write overlaps the scan's
        next steps; the next use of the cache, or `close`, waits for it."""
        self._wait()
        db = self._connect()
        if db is None or (not self._pending and not self._touched):
            return
        pending, touched = self._pending, self._touched
        self._pending, self._touched = [], []
        if background:
            self._writer = threading.Thread(target=self._write, args=(db, pending, touched),
                                            name="infrascan-cache-writer")
            self._writer.start()
        else:
            self._write(db, pending, touched)

    def store_aside(self, fill: Callable[[], None]) -> None:
        """Runs `fill`, which puts entries, and writes them with what is pending: in a forked child
        where it can, so that pickling and writing what the next scan starts from (a monorepo's
        model, index and briefs: 0.1 s after a changed value, 0.5 s after a cold scan) takes the
        other core while this process renders; else here, the write in the background. `close`
        waits for the child: a finished command has stored what it found.

        The fork is made with no connection open: SQLite's locks and shared memory must not be
        inherited, and the child opens its own."""
        self._wait()
        if self._connect() is None:
            return
        if not forkable():
            fill()
            self.flush(background=True)
            return
        self._wait_child()
        self.release()
        try:
            pid = os.fork()
        except OSError:
            fill()
            self.flush(background=True)
            return
        if pid == 0:  # the child: store, and leave without running anything the parent owns
            code = 1
            try:
                fill()
                self.close()
                code = 0
            finally:
                os._exit(code)
        self._child = pid
        self._pending, self._touched = [], []  # the child's to write now

    def release(self) -> tuple[int, int]:
        """Closes the connection before a fork (the next use opens another): SQLite's locks and
        shared memory must not be inherited. Returns a mark for `stored_since`."""
        self._wait()
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None
        return len(self._pending), len(self._touched)

    def stored_since(self, mark: tuple[int, int] | None) -> Stored:
        """What was put and marked used since `mark`, not written yet: a forked child's to send back."""
        pending, touched = mark or (0, 0)
        return self._pending[pending:], self._touched[touched:]

    def adopt(self, stored: Stored) -> None:
        """Takes in what a child put and marked used (`stored_since`), to be written with the rest."""
        self._pending.extend(stored[0])
        self._touched.extend(stored[1])

    def _wait_child(self) -> None:
        if self._child is not None:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self._child, 0)
            self._child = None

    def _write(self, db: sqlite3.Connection, pending: list[tuple[str, bytes, float]],
               touched: list[tuple[float, str]]) -> None:
        try:
            # here, in the writer: zlib releases the GIL, so a background flush compresses alongside the scan
            rows = [(key, stored, len(stored), used) for key, blob, used in pending for stored in (_stored(blob),)]
            db.execute("BEGIN IMMEDIATE")
            db.executemany("INSERT OR REPLACE INTO entries (key, value, size, used) VALUES (?, ?, ?, ?)", rows)
            db.executemany("UPDATE entries SET used = ? WHERE key = ?", touched)
            db.execute("COMMIT")
            self._trim(db)
        except Exception:  # a full disk, a locked or damaged database: the entries are not stored, silently
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")

    def _pages_bytes(self, db: sqlite3.Connection) -> int:
        """The bytes of the database's pages in use. They hold every value, so while they are under
        the bound the entries are too, and summing the entries is not needed. Not the file's size:
        SQLite keeps the pages a trim freed, so a cache trimmed once stays over the bound on disk
        and would be summed at every flush from then on."""
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        free = db.execute("PRAGMA freelist_count").fetchone()[0]
        return int((pages - free) * db.execute("PRAGMA page_size").fetchone()[0])

    def _wait(self) -> None:
        """Lets a background write finish before the connection is used again."""
        if self._writer is not None:
            self._writer.join()
            self._writer = None

    def _trim(self, db: sqlite3.Connection) -> None:
        if self._pages_bytes(db) <= self.max_bytes:
            return
        total = db.execute("SELECT COALESCE(SUM(size), 0) FROM entries").fetchone()[0]
        if total <= self.max_bytes:
            return
        target = int(self.max_bytes * 0.8)
        removed = 0
        victims = []
        for key, size in db.execute("SELECT key, size FROM entries ORDER BY used ASC"):
            if total - removed <= target:
                break
            victims.append((key,))
            removed += size
        db.execute("BEGIN IMMEDIATE")
        db.executemany("DELETE FROM entries WHERE key = ?", victims)
        db.execute("COMMIT")

    def close(self) -> None:
        self.flush()
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None
        self._wait_child()
