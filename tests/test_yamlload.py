"""The one YAML loader: YAML 1.2-like scalars, lines for every key, tags as markers, bombs refused."""

from __future__ import annotations

from infrascan.yamlload import MAX_EXPANDED_NODES, Tagged, YDict, line_of, load_yaml


def test_scalars_stay_as_written() -> None:
    doc = load_yaml("on: push\nports: [22:22, '8080:80']\npython: [3.8, 3.10]\nmode: 0755\nflag: no\nok: true\n"
                    "when: 2024-01-02\nn: 12\nhex: 0x1f\nneg: -3\nnull_: ~\n").documents[0]
    assert doc["on"] == "push"
    assert doc["ports"] == ["22:22", "8080:80"]
    assert doc["python"] == ["3.8", "3.10"]
    assert doc["mode"] == "0755"
    assert doc["flag"] == "no"
    assert doc["ok"] is True
    assert doc["when"] == "2024-01-02"
    assert (doc["n"], doc["hex"], doc["neg"]) == (12, 31, -3)
    assert doc["null_"] is None


def test_every_key_has_its_line_and_merge_keys_work() -> None:
    text = "base: &base\n  image: x\n  retries: 2\njob:\n  <<: *base\n  image: y\n"
    doc = load_yaml(text).documents[0]
    assert isinstance(doc, YDict)
    assert doc["job"] == {"image": "y", "retries": 2}
    assert line_of(doc, "job") == 4
    assert line_of(doc["job"], "image") == 6
    assert doc["job"].line == 5


def test_unknown_tags_load_as_markers() -> None:
    doc = load_yaml("script: !reference [.setup, script]\nbucket: !Ref Bucket\nsub: !Sub 'x-${AWS::Region}'\n"
                    "eq: =\n").documents[0]
    assert doc["script"] == Tagged("!reference", [".setup", "script"], 1)
    assert doc["bucket"].tag == "!Ref"
    assert doc["sub"].value == "x-${AWS::Region}"
    assert doc["eq"] == "="


def test_multi_document_files_load_fully_and_skip_empty_documents() -> None:
    result = load_yaml("---\na: 1\n---\n---\nb: 2\n")
    assert result.documents == [{"a": 1}, {"b": 2}]


def test_duplicate_keys_are_reported_with_their_line() -> None:
    result = load_yaml("a: 1\nb: 2\na: 3\n")
    assert result.documents[0]["a"] == 3
    assert result.warnings == (("a", 3),)


def test_invalid_yaml_reports_a_line_and_keeps_earlier_documents() -> None:
    result = load_yaml("a: 1\n---\nb: [1, 2\nc: 3\n")
    assert result.error is not None and result.error.line is not None
    assert result.documents == [{"a": 1}]


def test_tabs_are_an_error_with_a_line() -> None:
    result = load_yaml("a:\n\tb: 1\n")
    assert result.error is not None and result.error.line == 2


def test_alias_bomb_is_refused_before_anyone_walks_it() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    result = load_yaml("\n".join(lines) + "\n")
    assert result.documents == []
    assert result.error is not None and f"{MAX_EXPANDED_NODES:,}" in str(result.error)


def test_recursive_alias_is_refused() -> None:
    result = load_yaml("a: &a [*a]\n")
    assert result.documents == [] and result.error is not None


def test_deep_flow_nesting_is_refused_without_crashing() -> None:
    for depth in (20_000, 100_000):
        result = load_yaml("[" * depth + "]" * depth)
        assert result.documents == [] and result.error is not None


def test_deep_block_nesting_is_refused_without_crashing() -> None:
    text = "".join(" " * i + f"k{i}:\n" for i in range(2000))
    result = load_yaml(text)
    assert result.documents == [] and result.error is not None


def test_reasonable_nesting_loads() -> None:
    text = "".join("  " * i + f"k{i}:\n" for i in range(60)) + "  " * 60 + "leaf: 1\n"
    assert load_yaml(text).error is None


def test_strings_load_alike_through_aliases_explicit_tags_and_merge_keys() -> None:
    # Plain strings skip PyYAML's constructor bookkeeping; these are the cases that still need it.
    doc = load_yaml("s: &s hi\n*s : [*s, !!str 12, '3', 4]\nbase: &b {k: v}\nm: {<<: *b, !!value x: 1, k: w}\n")
    assert doc.documents[0] == {"s": "hi", "hi": ["hi", "12", "3", 4], "base": {"k": "v"}, "m": {"k": "w", "x": 1}}
    assert line_of(doc.documents[0]["m"], "x") == 4
    failed = load_yaml("a: !!str {b: 1}\n")
    assert failed.documents == [] and failed.error is not None and "expected a scalar" in str(failed.error)
