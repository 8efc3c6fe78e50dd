"""Application logging configuration: the root logger's level and how long rotated logs are kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import facts_for, fixture_text, scan_tree
from infrascan.detectors.logconfig import LogConfigDetector

from infrascan.detector import SourceFile


def extract(path: str, text: str) -> list[tuple[str, list[int], str]]:
    out = LogConfigDetector().extract(SourceFile(path, text))
    return [(f.field, [e.line for e in f.evidence], f.text) for f in out.facts]


def test_logback_root_level_and_rolling_policy() -> None:
    # the commented-out `<root level="DEBUG">` above the real one is no setting
    assert extract("src/main/resources/logback-spring.xml", fixture_text("logconfig", "logback-spring.xml")) == [
        ("log.levels", [15], "Root logger at INFO (src/main/resources/logback-spring.xml)"),
        ("log.retention", [9],
         "Rolled log files kept for 30 days (maxHistory of Logback in src/main/resources/logback-spring.xml)"),
        ("log.retention", [10],
         "Rolled log files capped at 3GB in total (totalSizeCap of Logback in src/main/resources/logback-spring.xml)"),
    ]


@pytest.mark.parametrize(
    ("pattern", "periods"),
    [("logs/app-%d.log", "days"), ("logs/app-%d{yyyy-MM-dd_HH}.log", "hours"), ("logs/app-%d{yyyy-MM}.log", "months"),
     ("logs/app.%i.log", "rollover periods")],
)
def test_logback_max_history_counts_the_periods_of_its_file_name_pattern(pattern: str, periods: str) -> None:
    text = (f"<configuration>\n<rollingPolicy>\n<fileNamePattern>{pattern}</fileNamePattern>\n"
            "<maxHistory>7</maxHistory>\n</rollingPolicy>\n</configuration>\n")
    [(_, lines, said)] = extract("logback.xml", text)
    assert lines == [4] and said.startswith(f"Rolled log files kept for 7 {periods} "), said


def test_log4j2_rollover_and_delete_age_and_no_level_a_property_fills_in() -> None:
    assert extract("log4j2.xml", fixture_text("logconfig", "log4j2.xml")) == [
        ("log.retention", [10], "Rolled files numbered up to 20, the oldest deleted (DefaultRolloverStrategy max "
                                "of Log4j 2 in log4j2.xml)"),
        ("log.retention", [13], "Rolled log files deleted after 30d (IfLastModified age of Log4j 2 in log4j2.xml)"),
    ]


def test_a_configuration_named_for_development_says_so_and_comes_after_the_plain_one(tmp_path: Path) -> None:
    # penpot: only log4j2-devenv.xml rotates its files; its plain log4j2.xml logs to the console
    devenv = fixture_text("logconfig", "log4j2.xml")
    assert extract("backend/resources/log4j2-devenv.xml", devenv)[0][2] == (
        "Rolled files numbered up to 20, the oldest deleted (DefaultRolloverStrategy max of Log4j 2 in "
        "backend/resources/log4j2-devenv.xml, named for development)")
    scanned = scan_tree(tmp_path, {
        "backend/resources/log4j2-devenv.xml": devenv.replace("<Root level=\"", "<Root level=\"debug\" x=\""),
        "backend/resources/log4j2.xml": ('<Configuration>\n<Loggers>\n<Root level="info"/>\n</Loggers>\n'
                                         '</Configuration>\n'),
    })
    levels = facts_for(scanned.model, "log.levels")
    assert levels[0].text == "Root logger at info (backend/resources/log4j2.xml)"


def test_python_dict_config_root_level_and_rotating_handlers() -> None:
    # modelled on mealie's mealie/core/logger/logconf.prod.json
    assert extract("app/logconf.prod.json", fixture_text("logconfig", "logconf.prod.json")) == [
        ("log.levels", [21], "Root logger at INFO (app/logconf.prod.json)"),
        ("log.retention", [8, 12], "Log file ${DATA_DIR}/app.log rotates at 10,000 bytes, 3 old files kept "
                                   "(handler file in app/logconf.prod.json)"),
        ("log.retention", [15, 18], "Log file audit.log rotates every day, 14 old files kept "
                                    "(handler audit in app/logconf.prod.json)"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        '{"name": "logging", "version": "1.0.0"}',  # a package.json-like file by the name
        '{"version": 1, "handlers": {"f": {"class": "logging.handlers.RotatingFileHandler", "maxBytes": 0, '
        '"backupCount": 5}}}',  # maxBytes 0 never rolls over
        '{"version": 1, "handlers": {}, "root": {"level": "${LOG_LEVEL}"}}',
        "version: 1\nhandlers: [not, a, mapping]\n",
        "{ not json",
    ],
)
def test_files_that_say_nothing_of_levels_or_rotation_give_nothing(text: str) -> None:
    assert [f for f in extract("logging.json", text) if f[0].startswith("log.")] == []


def test_a_repository_s_logging_configuration_fills_its_fields(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, {
        "src/main/resources/logback-spring.xml": fixture_text("logconfig", "logback-spring.xml"),
        "app/logging.yaml": ("version: 1\nhandlers:\n  console:\n    class: logging.StreamHandler\n"
                             "root:\n  level: INFO\n"),
    })
    said = [(f.field, f.text, [(e.path, e.line) for e in f.evidence])
            for field in ("log.levels", "log.retention") for f in facts_for(scanned.model, field)]
    assert said == [
        ("log.levels", "Root logger at INFO (app/logging.yaml)", [("app/logging.yaml", 6)]),
        ("log.levels", "Root logger at INFO (src/main/resources/logback-spring.xml)",
         [("src/main/resources/logback-spring.xml", 15)]),
        ("log.retention", "Rolled log files kept for 30 days (maxHistory of Logback in "
                          "src/main/resources/logback-spring.xml)", [("src/main/resources/logback-spring.xml", 9)]),
        ("log.retention", "Rolled log files capped at 3GB in total (totalSizeCap of Logback in "
                          "src/main/resources/logback-spring.xml)", [("src/main/resources/logback-spring.xml", 10)]),
    ]


def test_an_unclosed_comment_hides_the_rest_of_the_file() -> None:
    # as an XML parser would refuse it: nothing after `<!--` is configuration
    text = '<configuration>\n<!-- old:\n<root level="DEBUG"/>\n<maxHistory>3</maxHistory>\n</configuration>\n'
    assert extract("logback.xml", text) == []
    assert extract("logback.xml", '<root level="WARN"/><!-- a --><!-- b -->\n<maxHistory>3</maxHistory>\n') == [
        ("log.levels", [1], "Root logger at WARN (logback.xml)"),
        ("log.retention", [2], "Rolled log files kept for 3 rollover periods (maxHistory of Logback in logback.xml)"),
    ]
