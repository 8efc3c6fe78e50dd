"""Checks that every http(s) link in the given folder's Markdown files answers 200."""

import pathlib
import re
import sys

import requests

LINK = re.compile(r"https?://[^\s)>\]]+")


def main(folder: str) -> int:
    bad = 0
    for path in pathlib.Path(folder).rglob("*.md"):
        for url in LINK.findall(path.read_text(encoding="utf-8")):
            if requests.head(url, allow_redirects=True, timeout=10).status_code >= 400:
                print(f"{path}: {url}")
                bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
