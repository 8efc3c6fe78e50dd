"""Evidence links: relative to the document, or permalinks on the repository host.

Relative links work wherever the document is read next to the code. Permalinks (`--permalinks`)
pin the scanned commit, for documents read elsewhere (a wiki, a ticket), in the URL forms of
GitHub, GitLab and Bitbucket, taken from the `origin` remote.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from infrascan.model import Evidence
from infrascan.render.view import LinkFn, relative_links


class LinkError(Exception):
    """Permalinks were asked for but cannot be built (one line for the user)."""


def _web_base(remote: str) -> tuple[str, str]:
    """`git@github.com:o/r.git` or `https://user@host/o/r.git` -> ("github.com", "https://github.com/o/r")."""
    remote = remote.strip()
    ssh = re.match(r"^(?:ssh://)?[^@/]+@([^:/]+)[:/](?:\d+/)?(.+?)(?:\.git)?/?$", remote)
    https = re.match(r"^https?://(?:[^@/]+@)?([^/]+)/(.+?)(?:\.git)?/?$", remote)
    match = https or ssh
    if not match:
        raise LinkError(f"--permalinks: cannot read the origin remote {remote!r} as a web repository")
    host, path = match.group(1).lower(), match.group(2)
    return host, f"https://{host}/{path}"


def permalinks(remote: str | None, commit: str | None, prefix: str) -> LinkFn:
    if not remote:
        raise LinkError("--permalinks needs an `origin` remote (or a URL to scan)")
    if not commit:
        raise LinkError("--permalinks needs a commit; this repository has none yet")
    host, base = _web_base(remote)
    if "github" in host:

        def form(path: str, line: int) -> str:
            return f"{base}/blob/{commit}/{path}" + (f"#L{line}" if line else "")
    elif "gitlab" in host:

        def form(path: str, line: int) -> str:
            return f"{base}/-/blob/{commit}/{path}" + (f"#L{line}" if line else "")
    elif "bitbucket" in host:

        def form(path: str, line: int) -> str:
            return f"{base}/src/{commit}/{path}" + (f"#lines-{line}" if line else "")
    else:
        raise LinkError(f"--permalinks: unknown repository host {host!r} (GitHub, GitLab and Bitbucket are known)")

    def link(ev: Evidence) -> str:
        return form(quote(prefix + ev.path, safe="/._-~+@"), ev.line)

    return link


def link_function(
    doc_path: str | None, *, use_permalinks: bool, remote: str | None, commit: str | None, prefix: str
) -> LinkFn:
    if use_permalinks:
        return permalinks(remote, commit, prefix)
    return relative_links(doc_path or "INFRASTRUCTURE.md")
