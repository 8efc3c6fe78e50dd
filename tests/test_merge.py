"""`generate` on an existing document: refreshes what infrascan wrote, keeps every word a person wrote."""

from __future__ import annotations

from pathlib import Path

from helpers import write_tree

from infrascan.document import split_state
from infrascan.pipeline import Outcome, build_document, scanned

COMPOSE = ("services:\n  db:\n    image: postgres:16\n  cache:\n    image: redis:7\n  web:\n    build: .\n"
           "    ports: ['8000:8000']\n")
ENV = "# Payments for the shop\nSTRIPE_SECRET_KEY=\nSENTRY_DSN=\n"
TEMPLATE = (Path(__file__).parent.parent / "tests" / "fixtures" / "documents" / "template.md")


def generate(root: Path, template: Path | None = None) -> Outcome:
    doc = root / "INFRASTRUCTURE.md"
    existing = doc.read_text() if doc.exists() else None
    with scanned(str(root)) as run:
        outcome = build_document(run, existing=existing, doc_path="INFRASTRUCTURE.md", use_permalinks=False,
                                 template=template)
    doc.write_text(outcome.text)
    return outcome


def repo(tmp_path: Path, **extra: str) -> Path:
    root = tmp_path / "repo"
    root.mkdir(exist_ok=True)
    write_tree(root, {"docker-compose.yml": COMPOSE, ".env.example": ENV, **extra})
    return root


def body(root: Path) -> str:
    return split_state((root / "INFRASTRUCTURE.md").read_text())[0]


def edit(root: Path, old: str, new: str) -> None:
    doc = root / "INFRASTRUCTURE.md"
    text = doc.read_text()
    assert old in text, old
    doc.write_text(text.replace(old, new, 1))


def test_second_run_changes_nothing(tmp_path: Path) -> None:
    root = repo(tmp_path)
    first = generate(root)
    second = generate(root)
    assert first.text == second.text
    assert not second.changed


def test_person_edits_survive_and_conflicts_are_reported(tmp_path: Path) -> None:
    root = repo(tmp_path)
    generate(root)
    edit(root, "  - SLA: **Gap:**", "  - SLA: 99.9% monthly, see the contract\n  - Old SLA note: **Gap:**")
    db_line = next(line for line in body(root).splitlines() if "PostgreSQL 16" in line)
    edit(root, db_line, "    - PostgreSQL 16 on the shared dev server (ask ops)")
    edit(root, "## CI/CD Pipeline", "Staging is rebuilt every Monday.\n\n## CI/CD Pipeline")
    edit(root, "## External Services", "## Runbooks\n\n| alert | runbook |\n|---|---|\n| db | wiki |\n\n"
                                        "## External Services")
    before = body(root)
    (root / "docker-compose.yml").write_text(COMPOSE.replace("postgres:16", "postgres:17"))
    outcome = generate(root)
    after = body(root)
    for kept in ("99.9% monthly, see the contract", "PostgreSQL 16 on the shared dev server (ask ops)",
                 "Staging is rebuilt every Monday.", "| db | wiki |", "## Runbooks", "Old SLA note"):
        assert kept in after
    assert "PostgreSQL 17" not in after  # the person's value is never overwritten
    assert [c.label for c in outcome.merge.conflicts] == ["- Database:"]
    assert any("PostgreSQL 17" in f.text for f in outcome.merge.conflicts[0].now)
    assert before.count("\n") == after.count("\n")


def test_refresh_of_untouched_values_and_new_and_removed_blocks(tmp_path: Path) -> None:
    root = repo(tmp_path)
    generate(root)
    (root / "docker-compose.yml").write_text(COMPOSE.replace("redis:7", "redis:8"))
    (root / ".env.example").write_text(ENV + "TWILIO_AUTH_TOKEN=\n")
    generate(root)
    text = body(root)
    assert "Redis 8" in text and "Redis 7" not in text
    assert "- **Twilio**:" in text
    (root / ".env.example").write_text("SENTRY_DSN=\n")
    generate(root)
    text = body(root)
    assert "- **Twilio**:" not in text and "- **Stripe**:" not in text
    assert "**Gap:** no third-party service found" in text


def test_edited_block_whose_evidence_is_gone_is_kept_and_reported(tmp_path: Path) -> None:
    root = repo(tmp_path)
    generate(root)
    edit(root, "  - Rate limits: **Gap:** vendor rate limits are not in the repository.",
         "  - Rate limits: 100 requests per second per account (Stripe docs)\n  - x: **Gap:**")
    (root / ".env.example").write_text("SENTRY_DSN=\n")
    outcome = generate(root)
    assert "100 requests per second per account" in body(root)
    assert [(k.kind, k.key) for k in outcome.merge.kept] == [("service", "stripe")]


def test_hand_written_template_is_filled_and_its_scaffolding_removed(tmp_path: Path) -> None:
    root = repo(tmp_path)
    template = TEMPLATE.read_text()
    (root / "INFRASTRUCTURE.md").write_text(template.replace("  - SLA: [Service level agreements]",
                                                             "  - SLA: 99.95%, agreed with sales"))
    generate(root)
    text = body(root)
    assert "RULES FOR AI" not in text
    assert "99.95%, agreed with sales" in text
    assert "PostgreSQL 16" in text and "- **Stripe**:" in text
    assert "Service A" not in text and "Service B" not in text
    assert "[Development URL]" not in text
    assert text.startswith("# INFRASTRUCTURE.md\n\n> infrascan: ")


def test_moved_lines_are_refreshed_but_are_not_a_change(tmp_path: Path) -> None:
    root = repo(tmp_path)
    generate(root)
    (root / "docker-compose.yml").write_text("# local stack\n\n" + COMPOSE)
    outcome = generate(root)
    assert not outcome.changed
    assert "docker-compose.yml:5" in body(root)


def test_custom_template_documents_are_regenerated_whole(tmp_path: Path) -> None:
    root = repo(tmp_path)
    custom = tmp_path / "custom.j2"
    custom.write_text("# Infra\n\n## Environments\n{% for b in doc.environments %}- {{ b.title }}\n{% endfor %}")
    generate(root, template=custom)
    edit(root, "- Production", "- Production (edited)")
    outcome = generate(root, template=custom)
    assert "(edited)" not in body(root)
    assert outcome.changed is False or "(edited)" in (outcome.existing or "")


def test_the_header_counts_fields_a_person_filled(tmp_path: Path) -> None:
    root = repo(tmp_path)
    generate(root)
    header = next(line for line in body(root).splitlines() if line.startswith("> infrascan: "))
    filled = int(header.split()[2])
    edit(root, "  - SLA: **Gap:** service levels are never declared in a repository; write the agreed SLA here.",
         "  - SLA: 99.9%")
    generate(root)
    header = next(line for line in body(root).splitlines() if line.startswith("> infrascan: "))
    assert int(header.split()[2]) == filled + 1


def test_one_line_elides_long_quoted_strings_only_when_too_long() -> None:
    from infrascan.model import one_line

    notes = "a message " * 6
    command = f'gh release create v1 --notes "{notes}" --prerelease dist/app.tar.gz'
    assert one_line(command, 200) == " ".join(command.split())  # it fits: as written
    assert one_line(command, 70) == 'gh release create v1 --notes "…" --prerelease dist/app.tar.gz'
    assert one_line("echo 'short' " + "x" * 80, 40).endswith("…")  # a short string stays; the cut does the rest
