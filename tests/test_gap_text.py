"""What a gap says about where infrascan looked: it must be true and readable as rendered Markdown."""

from __future__ import annotations

from pathlib import Path

from helpers import write_tree

from infrascan.pipeline import build_document, scanned


def document(root: Path) -> str:
    with scanned(str(root)) as run:
        return build_document(run, existing=None, doc_path="INFRASTRUCTURE.md", use_permalinks=False,
                              template=None).text


def line(text: str, label: str) -> str:
    return next(row for row in text.splitlines() if label in row)


def test_square_brackets_in_where_we_looked_are_escaped_not_erased(tmp_path: Path) -> None:
    # A fly.toml with no [metrics] table: the gap names the table it looked for.
    write_tree(tmp_path, {"fly.toml": 'app = "shop"\nprimary_region = "ams"\n'})
    row = line(document(tmp_path), "Application monitoring:")
    assert r"fly.toml \[metrics\] (1 file)" in row


def test_fields_drawn_from_other_fields_do_not_claim_no_detector_reads_them(tmp_path: Path) -> None:
    write_tree(tmp_path, {"README.md": "# nothing here\n"})
    text = document(tmp_path)
    tools = line(text, "**Monitoring Tools**")
    identify = line(text, "Identify the need for rollback")
    assert "No installed detector" not in tools and "three monitoring fields below" in tools
    assert "No installed detector" not in identify and "alert, health check and error tracking" in identify
