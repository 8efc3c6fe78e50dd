"""Property tests: a person's words survive any number of `generate` runs, whatever the repository does."""

from __future__ import annotations

import shutil
import string
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_merge import COMPOSE, ENV, generate

from infrascan.docparse import parse_document
from infrascan.document import split_state

WORDS = st.text(alphabet=string.ascii_letters + string.digits + " .,-", min_size=1, max_size=40).map(str.strip)
MUTATIONS = {
    "upgrade-db": lambda root: (root / "docker-compose.yml").write_text(COMPOSE.replace("postgres:16", "postgres:17")),
    "add-redis-8": lambda root: (root / "docker-compose.yml").write_text(COMPOSE.replace("redis:7", "redis:8")),
    "move-lines": lambda root: (root / "docker-compose.yml").write_text("# stack\n\n" + COMPOSE),
    "drop-stripe": lambda root: (root / ".env.example").write_text("SENTRY_DSN=\n"),
    "add-twilio": lambda root: (root / ".env.example").write_text(ENV + "TWILIO_AUTH_TOKEN=\n"),
    "restore": lambda root: ((root / ".env.example").write_text(ENV),
                             (root / "docker-compose.yml").write_text(COMPOSE)),
}
STEP = st.one_of(
    st.tuples(st.just("edit"), st.integers(0, 10_000), WORDS),
    st.tuples(st.just("paragraph"), st.integers(0, 10_000), WORDS),
    st.tuples(st.just("repo"), st.sampled_from(sorted(MUTATIONS)), st.just("")),
)


def _apply(root: Path, step: tuple[str, object, str], written: list[str]) -> None:
    kind, where, words = step
    doc = root / "INFRASTRUCTURE.md"
    if kind == "repo":
        MUTATIONS[str(where)](root)
        return
    body, _ = split_state(doc.read_text())
    parsed = parse_document(body)
    lines = doc.read_text().split("\n")
    if kind == "edit":
        inline = sorted((s for s in parsed.slots.values() if s.prefix and s.end == s.line + 1), key=lambda s: s.line)
        if not inline:
            return
        slot = inline[int(str(where)) % len(inline)]
        text = f"Person note {words}".rstrip()
        if lines[slot.line] in written:  # the person rewrites their own words: only the last ones count
            written.remove(lines[slot.line])
        lines[slot.line] = slot.prefix + " " + text
        written.append(lines[slot.line])
    else:
        headings = [i for i, line in enumerate(lines) if line.startswith("## ")]
        at = headings[int(str(where)) % len(headings)]
        text = f"Note by a person: {words}".rstrip()
        lines[at:at] = [text, ""]
        written.append(text)
    doc.write_text("\n".join(lines))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(STEP, min_size=1, max_size=6))
def test_person_words_survive_every_generate(steps: list[tuple[str, object, str]]) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="infrascan-prop-"))
    try:
        root = tmp / "repo"
        root.mkdir()
        (root / "docker-compose.yml").write_text(COMPOSE)
        (root / ".env.example").write_text(ENV)
        generate(root)
        written: list[str] = []
        for step in steps:
            _apply(root, step, written)
            generate(root)
            text = (root / "INFRASTRUCTURE.md").read_text()
            for line in written:
                assert line in text.split("\n"), line
        again = generate(root)
        assert again.existing == again.text, "a second run must change nothing"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
