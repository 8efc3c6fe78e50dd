"""What git says about the document: when it last changed, and which infrastructure files changed since.

Context for a drift report, not a judgement. One `git log` pass, never one per file. In a shallow
clone the history is cut short, so the report says so (and how to fetch it) instead of guessing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from infrascan.source import RepoSource

MAX_COMMITS = 50


def _git(source: RepoSource, *args: str) -> str:
    assert source.repo is not None
    return str(source.repo.git.execute(["git", *args], strip_newline_in_stdout=False))


def history_context(source: RepoSource, doc_rel: str, relevant: Callable[[str], bool]) -> dict[str, Any]:
    if not source.is_git or source.repo is None:
        return {"available": False, "reason": "not a git repository"}
    try:
        shallow = _git(source, "rev-parse", "--is-shallow-repository").strip() == "true"
        last = _git(source, "log", "-1", "--format=%H%x1f%cI%x1f%s", "--", source.prefix + doc_rel).strip()
    except Exception as exc:  # an unborn branch, a broken repository: context is optional
        return {"available": False, "reason": f"git log failed: {str(exc).splitlines()[0]}"}
    context: dict[str, Any] = {"available": True, "shallow": shallow}
    if shallow:
        context["note"] = ("this is a shallow clone, so when the document last changed is unknown; fetch the full "
                           "history (actions/checkout `fetch-depth: 0`, GitLab `GIT_DEPTH: 0`) to see it")
        return context
    if not last:
        context["note"] = "the document has not been committed yet"
        return context
    sha, date, subject = [*last.split("\x1f"), "", ""][:3]
    context["document_commit"] = {"sha": sha, "date": date, "subject": subject}
    log = _git(source, "log", f"--max-count={MAX_COMMITS}", "--format=%x1e%H%x1f%cI%x1f%s", "--name-only",
               "--no-renames", f"{sha}..HEAD", "--", source.prefix or ".")
    commits = []
    for chunk in log.split("\x1e"):
        if not chunk.strip():
            continue
        head, _, names = chunk.partition("\n")
        c_sha, c_date, c_subject = [*head.split("\x1f"), "", ""][:3]
        paths = [p[len(source.prefix):] for p in names.split("\n") if p.strip() and p.startswith(source.prefix)]
        infra = sorted(p for p in paths if relevant(p))
        if infra:
            commits.append({"sha": c_sha, "date": c_date, "subject": c_subject, "paths": infra})
    context["changed_since"] = commits
    context["uncommitted"] = _uncommitted(source, relevant)
    return context


def _uncommitted(source: RepoSource, relevant: Callable[[str], bool]) -> list[str]:
    """Infrastructure files edited but not committed: the scan reads the working tree, so a finding
    may come from them, and "nothing changed since" would be false."""
    try:
        status = _git(source, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames",
                      "--", source.prefix or ".")
    except Exception:  # context is optional; the log above already worked
        return []
    inside = (entry[3:][len(source.prefix):] for entry in status.split("\0")
              if len(entry) > 3 and entry[3:].startswith(source.prefix))
    return sorted(p for p in inside if relevant(p))
