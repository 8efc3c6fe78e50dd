"""Repository access: which files exist, and their text, read once and safely.

In a git work tree the inventory is one `git ls-files -s` (tracked files with their blob ids)
plus one `git ls-files --others --exclude-standard` (untracked, not ignored); GitPython's index
and tree walks are 10-40x slower. Files modified in the work tree are hashed from their content,
so an id always names what is on disk. Outside git, a walk that honours .gitignore files.

With `--ref`, files come from a commit without touching the work tree. A URL is cloned (shallow)
into a temporary directory that is removed afterwards.

Every guard (size, binary content, symlinks leaving the repository, FIFOs and devices,
unreadable or undecodable files) becomes a diagnostic; nothing here raises on bad input.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pathspec

from infrascan import listing
from infrascan.model import Diagnostic, Severity

if TYPE_CHECKING:
    import git

# Directories that hold other people's code or generated trees. build/ is deliberately not
# here: real pipelines live in build/ (Google's terraform-example-foundation keeps its CI there).
SKIPPED_DIRS = frozenset(
    {
        ".git",
        "node_modules",
        "vendor",
        "third_party",
        "third-party",
        ".terraform",
        ".terragrunt-cache",
        ".venv",
        "venv",
        "virtualenv",
        ".virtualenv",
        ".tox",
        ".nox",
        "__pycache__",
        "bower_components",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
    }
)
# Files here are read, but what they say is an example or a test, never an environment's truth.
EXAMPLE_DIRS = frozenset(
    {
        "examples",
        "example",
        "samples",
        "sample",
        "docs",
        "doc",
        "testdata",
        "fixtures",
        "__fixtures__",
        # test doubles: ory's popx keeps migrations to test its migrator in `stub/` (vendored into
        # kratos, whose real migrations they crowded out of the hints)
        "stub",
        "stubs",
        "__mocks__",
    }
)
# Where test suites live, and the stacks end-to-end suites start: for every field but the test
# fields, examples too (vaultwarden's playwright/ compose file, .env.template and package.json
# describe its test databases, not an environment's).
TEST_DIRS = frozenset({"test", "tests", "__tests__", "e2e", "cypress", "playwright", "integrationtest",
                       "integrationtests", "integration-tests", "integration_tests"})
EXAMPLE_DIRS |= TEST_DIRS

# Directories whose files are kept for the record but no longer used: what they say is a hint
# "from a deprecated or archived folder", never the repository's truth (terraform-aws-components
# keeps MySQL 5.6 and Opsgenie components under deprecated/). Whole names only: `log-archive` is
# an AWS account's live stack, and `legacy/` is often still deployed, so it is not listed.
RETIRED_DIRS = frozenset({"deprecated", "archive", "archived", "attic", "obsolete"})

# Words that make a compound directory name an example one: `sample-manifests/`, `example_app/`,
# `k8s-examples/` hold manifests to copy, not the repository's own deployment.
EXAMPLE_WORDS = frozenset({"example", "examples", "sample", "samples"})
_NAME_WORDS = re.compile(r"[-_.]+")

BINARY_SNIFF = 8192


class SourceError(Exception):
    """The repository cannot be read at all (not found, not a repository, clone failed)."""


@dataclass(frozen=True)
class FileEntry:
    path: str  # posix, relative to the scan root
    blob: str | None  # git blob id when known and current; None means "hash the content"
    size: int | None
    symlink: bool = False


@dataclass(frozen=True)
class ReadResult:
    text: str | None
    blob: str | None
    diagnostics: tuple[Diagnostic, ...] = ()


@lru_cache(maxsize=65536)
def repo_path(base: str, relative: str) -> str:
    """A repository path for `relative` seen from directory `base` (`.` and `..` resolved)."""
    parts: list[str] = [p for p in base.split("/") if p and p != "."]
    for piece in relative.strip().split("/"):
        if piece in ("", "."):
            continue
        if piece == "..":
            if parts:
                parts.pop()
        else:
            parts.append(piece)
    return "/".join(parts)


@lru_cache(maxsize=64)
def _skip_spec(patterns: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(patterns)


def _vendored(folder: str) -> bool:
    """A folder inside a vendored or generated tree (`node_modules/`, `third_party/`)."""
    return not SKIPPED_DIRS.isdisjoint(folder.split("/"))


def may_be_unlisted(path: str, skip: Sequence[str]) -> bool:
    """Whether the listing may leave out `path` though the repository holds it: under a vendored
    or generated tree, or matching a configured `skip` pattern, as RepoSource's skipper leaves them
    out. A statement that a file is missing from the repository is made only when this is false."""
    return _vendored(path.rpartition("/")[0]) or (bool(skip) and _skip_spec(tuple(skip)).match_file(path))


def folder_of(path: str) -> str:
    """The folder of a repository path (`.` at the top): `PurePosixPath(path).parent` for the
    normalised paths a listing gives, without building a path object (phase 2 asks it per record)."""
    return path.rsplit("/", 1)[0] if "/" in path else "."


def near_folder(path: str) -> str:
    """The folder that relative paths written in a file resolve against: `folder_of`, with the
    top written `""`, as the resolvers join it (`"" + "/" + x` would be absolute)."""
    folder = folder_of(path)
    return "" if folder == "." else folder


def is_within(path: str, folder: str) -> bool:
    """Whether `path` is `folder` or lies below it (`""` and `.` are the repository root)."""
    return folder in ("", ".") or path == folder or path.startswith(folder + "/")


# Words of a Dockerfile's name, and folder names, that say it builds an image for development work.
# `.gitpod.Dockerfile` and `.codesandbox/Dockerfile` are the images of cloud development workspaces
_DEVELOPMENT_WORDS = frozenset({"dev", "development", "debug", "test", "local", "e2e", "gitpod"})
_DEVELOPMENT_DIRS = frozenset({"dev", "development", "local", ".devcontainer", "devenv", ".codesandbox"})
_DEV_CONTAINER_DIRS = frozenset({".devcontainer", "devenv", ".codesandbox"})


def development_dockerfile(path: str) -> bool:
    """`Dockerfile.dev`, `dev.Dockerfile`, `Dockerfile-debug`, `dev/app.Dockerfile`: a Dockerfile named,
    or kept in a folder named, for development work (listmonk's dev suite, lago's `Dockerfile.dev`).
    The folder is its own, or any above it for a dev container's: a `dev/` folder also holds what
    a team builds its releases with (Wiki.js's dev/build/Dockerfile, which its workflow pushes)."""
    folder, _, name = path.rpartition("/")
    words = set(re.split(r"[.\-_]", name.lower()))
    if "dockerfile" in words and words & _DEVELOPMENT_WORDS:
        return True
    parts = folder.lower().split("/")
    return parts[-1] in _DEVELOPMENT_DIRS or any(part in _DEV_CONTAINER_DIRS for part in parts)


def under_development_dir(path: str) -> bool:
    """In a folder named for development work, at any depth (BookStack's dev/docker/Dockerfile)."""
    return any(part.lower() in _DEVELOPMENT_DIRS for part in path.split("/")[:-1])


@lru_cache(maxsize=65536)
def is_example_path(path: str) -> bool:
    return any(is_example_dir(part) for part in path.split("/")[:-1])


@lru_cache(maxsize=65536)
def in_test_dir(path: str) -> bool:
    """In a folder of tests (`e2e/docker-compose.yml`): a stack the tests start, not a deployment."""
    return any(part in TEST_DIRS for part in path.split("/")[:-1])


def is_example_beyond_tests(path: str) -> bool:
    """In an example or docs folder other than a folder of tests: where a test suite is not the
    repository's own (`examples/app/playwright.config.ts`, not `e2e/playwright.config.ts`)."""
    return any(is_example_dir(part) and part.lower() not in TEST_DIRS for part in path.split("/")[:-1])


def is_example_dir(name: str) -> bool:
    """A directory of examples, tests or docs: a listed name, or a compound name with an example word."""
    lowered = name.lower()
    return lowered in EXAMPLE_DIRS or not EXAMPLE_WORDS.isdisjoint(_NAME_WORDS.split(lowered))


@lru_cache(maxsize=65536)
def is_retired_path(path: str) -> bool:
    return any(is_retired_dir(part) for part in path.split("/")[:-1])


def is_retired_dir(name: str) -> bool:
    """A deprecated or archived directory: a listed name, with or without a leading `_` or `.`."""
    return name.lower().lstrip("_.") in RETIRED_DIRS


def git_blob_id(data: bytes) -> str:
    """The id git gives this content, so a hashed file and a listed blob share one cache key."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def _looks_like_url(target: str) -> bool:
    return bool(re.match(r"^(?:[a-z][a-z0-9+.\-]*://|git@[^:]+:)", target))


def _line_of_offset(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode(path: str, data: bytes) -> tuple[str | None, list[Diagnostic]]:
    """Bytes to text: BOM stripped, binary refused, undecodable bytes reported and replaced."""
    if b"\0" in data[:BINARY_SNIFF]:
        return None, [Diagnostic(path, None, "binary content; not read", Severity.WARNING, "source")]
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = _line_of_offset(data, exc.start)
        return data.decode("utf-8", errors="replace"), [
            Diagnostic(path, line, "undecodable bytes (not UTF-8); replaced and read on", Severity.WARNING, "source")
        ]


class _Skipper:
    """Decides which listed paths infrascan never reads: vendored trees, configured skips."""

    def __init__(self, skip_patterns: list[str], attribute_patterns: list[str]) -> None:
        self.skip = _skip_spec(tuple(skip_patterns)) if skip_patterns else None
        self.attrs = pathspec.GitIgnoreSpec.from_lines(attribute_patterns) if attribute_patterns else None
        self.venvs: set[str] = set()
        self._folders: dict[str, bool] = {}  # whether a folder's files are skipped for the folder alone

    def note_listing(self, paths: list[str]) -> None:
        self.venvs = {p[: -len("/pyvenv.cfg")] for p in paths if p.endswith("/pyvenv.cfg")}
        self._folders = {}

    def skipped(self, path: str) -> bool:
        folder = path.rpartition("/")[0]
        vendored = self._folders.get(folder)
        if vendored is None:
            # A listing holds a few files per folder: the folder is judged once.
            vendored = self._folders[folder] = _vendored(folder) or bool(
                self.venvs and any((folder + "/").startswith(v + "/") for v in self.venvs))
        if vendored:
            return True
        if self.skip is not None and self.skip.match_file(path):
            return True
        return self.attrs is not None and self.attrs.match_file(path)


# Only third-party code: a file marked `linguist-generated` is still the repository's own (saleor's
# `*_auto_*.py` Django migrations run in production; langfuse's compiled `*.lock.yml` workflows run).
_LINGUIST = re.compile(r"(?<![-!])\blinguist-vendored(?:=true|=set)?(?=\s|$)")


def linguist_patterns(gitattributes: str, base: str = "") -> list[str]:
    """Patterns a .gitattributes marks linguist-vendored (GitHub's own skip of third-party code)."""
    patterns = []
    for line in gitattributes.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        pattern, _, attrs = line.partition(" ")
        if _LINGUIST.search(attrs.replace("\t", " ")):
            patterns.append(f"{base}/{pattern.lstrip('/')}" if base else pattern)
    return patterns


class RepoSource:
    """One repository (a directory, a git work tree, a commit, or a cloned URL)."""

    def __init__(
        self,
        target: str | Path = ".",
        *,
        ref: str | None = None,
        max_file_size: int = 5 * 1024 * 1024,
        skip: list[str] | None = None,
    ) -> None:
        self.max_file_size = max_file_size
        self.ref = ref
        self.remote_url: str | None = None
        self._tmpdir: str | None = None
        self._repo: git.Repo | None = None
        self._prefix = ""  # the scan root relative to the git top level, with a trailing /
        self.diagnostics: list[Diagnostic] = []
        target_str = str(target)
        if _looks_like_url(target_str):
            self.root = self._clone(target_str)
            self.remote_url = target_str
            self.is_url = True
        else:
            self.root = Path(target_str).resolve()
            self.is_url = False
            if not self.root.is_dir():
                raise SourceError(f"{target_str}: not a directory")
        self._open_git()
        if ref and self._repo is None:
            raise SourceError(f"--ref needs a git repository, and {self.root} is not in one")
        self._skip = skip or []
        self._entries: list[FileEntry] | None = None
        self._by_path: dict[str, FileEntry] = {}
        self.commit: str | None = self._resolve_commit()

    # -- setup ------------------------------------------------------------------------------

    def _clone(self, url: str) -> Path:
        import git

        self._tmpdir = tempfile.mkdtemp(prefix="infrascan-clone-")
        dest = Path(self._tmpdir) / "repo"
        try:
            if self.ref:
                git.Repo.clone_from(url, dest, no_checkout=True)
            else:
                git.Repo.clone_from(url, dest, depth=1, single_branch=True)
        except git.GitCommandError as exc:
            self.close()
            stderr = (exc.stderr or "").strip().splitlines()
            reason = stderr[-1].removeprefix("stderr: ").strip(" '") if stderr else str(exc.status)
            raise SourceError(f"cannot clone {url}: {reason}") from None
        return dest

    def _open_git(self) -> None:
        os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
        try:
            import git
        except ImportError:  # pragma: no cover - no git binary at all
            return
        try:
            repo = git.Repo(self.root, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError, git.GitCommandError):
            return
        if repo.bare or repo.working_tree_dir is None:
            return
        top = Path(repo.working_tree_dir).resolve()
        try:
            rel = self.root.relative_to(top).as_posix()
        except ValueError:
            return
        self._repo = repo
        self._prefix = "" if rel == "." else rel + "/"
        if self.remote_url is None:
            try:
                self.remote_url = repo.remotes.origin.url if "origin" in [r.name for r in repo.remotes] else None
            except (ValueError, git.GitCommandError):
                self.remote_url = None

    def _resolve_commit(self) -> str | None:
        if self._repo is None:
            return None
        try:
            return str(self._repo.git.rev_parse("--verify", "--quiet", f"{self.ref or 'HEAD'}^{{commit}}"))
        except Exception as exc:  # GitCommandError, or an unborn HEAD
            if self.ref:
                raise SourceError(f"--ref {self.ref}: not a commit in this repository") from exc
            return None

    @property
    def is_git(self) -> bool:
        return self._repo is not None

    @property
    def repo(self) -> git.Repo | None:
        return self._repo

    @property
    def prefix(self) -> str:
        return self._prefix

    def close(self) -> None:
        if self._repo is not None:
            self._repo.close()
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __enter__(self) -> RepoSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- listing ----------------------------------------------------------------------------

    def files(self) -> list[FileEntry]:
        """Every file infrascan may read, sorted by path, vendored and skipped trees left out."""
        if self._entries is None:
            raw = list(self._list())
            skipper = _Skipper(self._skip, self._attribute_patterns(raw))
            skipper.note_listing([e.path for e in raw])
            self._entries = sorted((e for e in raw if not skipper.skipped(e.path)), key=lambda e: e.path)
            self._by_path = {e.path: e for e in self._entries}
        return self._entries

    def entry(self, path: str) -> FileEntry | None:
        self.files()
        return self._by_path.get(path)

    def _attribute_patterns(self, raw: list[FileEntry]) -> list[str]:
        patterns: list[str] = []
        for entry in raw:
            if entry.path == ".gitattributes" or entry.path.endswith("/.gitattributes"):
                result = self.read(entry)
                if result.text:
                    base = entry.path.rpartition("/")[0]
                    patterns.extend(linguist_patterns(result.text, base))
        return patterns

    def _list(self) -> Iterator[FileEntry]:
        if self._repo is not None and self.ref:
            yield from self._list_ref()
        elif self._repo is not None:
            yield from self._list_worktree_git()
        else:
            yield from self._walk()

    def _git(self, *args: str) -> str:
        assert self._repo is not None
        return str(self._repo.git.execute(["git", *args], strip_newline_in_stdout=False))

    def _strip_prefix(self, path: str) -> str | None:
        if self._prefix and not path.startswith(self._prefix):
            return None
        return path[len(self._prefix) :]

    def _list_worktree_git(self) -> Iterator[FileEntry]:
        scope = ["--", self._prefix] if self._prefix else []
        # the replay key's listing of this same work tree, when it took one (at the top level, where
        # its paths are the full names)
        handed = listing.take(str(self.root)) if not self._prefix else None
        if handed:
            staged = self._staged(handed[0])
            walked = handed[1]
        else:
            # One walk of the work tree for modified (C), deleted (R) and untracked (?) files: each
            # walk costs a tenth of a second on a large repository. It runs while the index is listed
            # and parsed here, every entry under its staged blob id until the walk says otherwise.
            with ThreadPoolExecutor(max_workers=1) as pool:
                walk = pool.submit(self._git, "ls-files", "-z", "-t", "-m", "-d", "-o", "--exclude-standard",
                                   "--full-name", *scope)
                staged = self._staged(self._git("ls-files", "-s", "-z", "--full-name", *scope))
                walked = walk.result()
        stale: set[str] = set()
        deleted: set[str] = set()
        others: list[str] = []
        for tagged in walked.split("\0"):
            tag, path = tagged[:2], tagged[2:]
            if not path:
                continue
            if tag == "C ":
                stale.add(path)
            elif tag == "R ":
                deleted.add(path)
            elif tag == "? ":
                others.append(path)
        for full, entry in staged:
            if full in deleted:
                continue
            yield FileEntry(entry.path, None, None, entry.symlink) if full in stale else entry
        for full in others:
            rel = self._strip_prefix(full)
            if rel:
                yield FileEntry(rel, None, None, os.path.islink(self.root / rel))

    def _staged(self, index: str) -> list[tuple[str, FileEntry]]:
        """`git ls-files -s -z` as (full name, entry) pairs under their staged blob ids, submodules
        (other repositories) and files outside the scan root left out."""
        staged: list[tuple[str, FileEntry]] = []
        for record in index.split("\0"):
            if not record:
                continue
            meta, _, full = record.partition("\t")
            mode, blob, _stage = meta.split(" ")
            if mode == "160000":
                continue
            rel = self._strip_prefix(full)
            if rel is None:
                continue
            symlink = mode == "120000"
            staged.append((full, FileEntry(rel, None if symlink else blob, None, symlink)))
        return staged

    def _list_ref(self) -> Iterator[FileEntry]:
        scope = ["--", self._prefix] if self._prefix else []
        for record in self._git("ls-tree", "-r", "-l", "-z", "--full-tree", self.commit or "", *scope).split("\0"):
            if not record:
                continue
            meta, _, full = record.partition("\t")
            mode, kind, blob, size = meta.split()
            if kind != "blob":
                continue
            rel = self._strip_prefix(full)
            if rel is not None:
                yield FileEntry(rel, blob, int(size) if size.isdigit() else None, mode == "120000")

    def _walk(self) -> Iterator[FileEntry]:
        specs: dict[str, pathspec.GitIgnoreSpec] = {}
        root = str(self.root)
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
            rel_dir = "" if rel_dir == "." else rel_dir
            if ".gitignore" in filenames:
                try:
                    text = Path(dirpath, ".gitignore").read_text(encoding="utf-8", errors="replace")
                    specs[rel_dir] = pathspec.GitIgnoreSpec.from_lines(text.splitlines())
                except OSError:
                    pass

            def ignored(rel: str, is_dir: bool) -> bool:
                for base, spec in specs.items():
                    if base and not rel.startswith(base + "/"):
                        continue
                    sub = rel[len(base) + 1 :] if base else rel
                    if spec.match_file(sub + ("/" if is_dir else "")):
                        return True
                return False

            kept = []
            for d in sorted(dirnames):
                rel = f"{rel_dir}/{d}" if rel_dir else d
                if d in SKIPPED_DIRS or ignored(rel, True):
                    continue
                full = os.path.join(dirpath, d)
                if os.path.islink(full):
                    if not self._inside(full):
                        self.diagnostics.append(
                            Diagnostic(
                                rel,
                                None,
                                "symlinked directory points outside the repository; not followed",
                                Severity.WARNING,
                                "source",
                            )
                        )
                    continue
                kept.append(d)
            dirnames[:] = kept
            for f in sorted(filenames):
                rel = f"{rel_dir}/{f}" if rel_dir else f
                if not ignored(rel, False):
                    yield FileEntry(rel, None, None, os.path.islink(os.path.join(dirpath, f)))

    # -- reading ----------------------------------------------------------------------------

    def _inside(self, path: str | Path) -> bool:
        try:
            real = Path(os.path.realpath(path))
        except (OSError, RuntimeError):
            return False
        return real == self.root or self.root in real.parents

    def read(self, entry: FileEntry) -> ReadResult:
        """Reads one file through every guard; the text is None when it must not be used."""
        try:
            if self.ref:
                return self._read_blob(entry)
            return self._read_worktree(entry)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            return ReadResult(
                None, None, (Diagnostic(entry.path, None, f"cannot read: {reason}", Severity.WARNING, "source"),)
            )

    def _too_big(self, entry: FileEntry, size: int) -> ReadResult | None:
        if size > self.max_file_size:
            return ReadResult(
                None,
                None,
                (
                    Diagnostic(
                        entry.path,
                        None,
                        f"{size:,} bytes, over the {self.max_file_size:,}-byte limit; not read",
                        Severity.WARNING,
                        "source",
                    ),
                ),
            )
        return None

    def _read_worktree(self, entry: FileEntry) -> ReadResult:
        full = os.path.join(self.root, entry.path)  # not pathlib: this runs for every candidate
        st = os.lstat(full)
        if stat.S_ISLNK(st.st_mode):
            if not self._inside(full):
                return ReadResult(
                    None,
                    None,
                    (
                        Diagnostic(
                            entry.path,
                            None,
                            "symlink points outside the repository; not followed",
                            Severity.WARNING,
                            "source",
                        ),
                    ),
                )
            st = os.stat(full)  # raises ELOOP for loops, reported by read()
        if not stat.S_ISREG(st.st_mode):
            return ReadResult(
                None,
                None,
                (
                    Diagnostic(
                        entry.path,
                        None,
                        "not a regular file (FIFO, socket or device); not read",
                        Severity.WARNING,
                        "source",
                    ),
                ),
            )
        big = self._too_big(entry, st.st_size)
        if big:
            return big
        with open(full, "rb", buffering=0) as handle:
            # Sized by the stat (asking for the limit allocates megabytes per file), then topped up
            # in case the file grew since: never more than the limit plus one byte either way.
            data = handle.read(st.st_size + 1) or b""
            if len(data) > st.st_size:
                data += handle.read(self.max_file_size + 1 - len(data)) or b""
        big = self._too_big(entry, len(data))
        if big:
            return big
        text, diags = decode(entry.path, data)
        blob = entry.blob if entry.blob and not entry.symlink else git_blob_id(data)
        return ReadResult(text, blob, tuple(diags))

    def _read_blob(self, entry: FileEntry) -> ReadResult:
        assert self._repo is not None and entry.blob is not None
        if entry.size is not None:
            big = self._too_big(entry, entry.size)
            if big:
                return big
        data = self._blob_bytes(entry.blob)
        if entry.symlink:
            target = os.path.normpath(os.path.join(os.path.dirname(entry.path), data.decode("utf-8", "replace")))
            target_entry = None if target.startswith("..") or os.path.isabs(target) else self.entry(target)
            if target_entry is None or target_entry.symlink:
                return ReadResult(
                    None,
                    None,
                    (
                        Diagnostic(
                            entry.path,
                            None,
                            "symlink points outside the repository or to no file; not followed",
                            Severity.WARNING,
                            "source",
                        ),
                    ),
                )
            return self._read_blob(FileEntry(entry.path, target_entry.blob, target_entry.size))
        text, diags = decode(entry.path, data)
        return ReadResult(text, entry.blob, tuple(diags))

    def _blob_bytes(self, blob: str) -> bytes:
        assert self._repo is not None
        stream: Any = self._repo.odb.stream(bytes.fromhex(blob))
        return bytes(stream.read())
