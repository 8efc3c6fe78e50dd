"""The log store detector: a Loki configuration's own log level and retention."""

from __future__ import annotations

from pathlib import Path

from helpers import Scanned, facts_for, scan_tree
from infrascan.detectors.log_stores import log_stores

from infrascan.model import Confidence, Fact

# modelled on grafana/loki production/docker/config/loki.yaml (server, limits_config, compactor)
LOKI_CONFIG = """auth_enabled: true

server:
  http_listen_port: 3100
  log_level: info

schema_config:
  configs:
    - from: 2024-04-01
      store: tsdb
      object_store: s3
      schema: v13

limits_config:
  ingestion_rate_mb: 100
  retention_period: 336h

compactor:
  working_directory: /loki/compactor
  retention_enabled: true
"""


def found(scanned: Scanned, field: str) -> list[Fact]:
    return [f for f in facts_for(scanned.model, field) if any(e.detector == "log-stores" for e in f.evidence)]


def only(facts: list[Fact], needle: str) -> Fact:
    matching = [f for f in facts if needle in f.text]
    assert len(matching) == 1, (needle, [f.text for f in facts])
    return matching[0]


def test_every_store_in_the_data_has_keys_and_a_retention_switch() -> None:
    for store in log_stores():
        assert store.keys and store.forever, store.id
        assert all(rule.period and rule.enabled for rule in store.retention), store.id


def test_loki_configuration_gives_its_log_level_and_retention(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, {"production/config/loki.yaml": LOKI_CONFIG})
    retention = only(found(scanned, "log.retention"), "336h")
    assert retention.confidence is Confidence.DECLARED and retention.tech == "loki"
    assert retention.text == (
        "Loki deletes logs older than 336h (limits_config.retention_period: 336h, applied by the compactor: "
        "compactor.retention_enabled: true) (production/config/loki.yaml)"
    )
    assert [e.line for e in retention.evidence] == [16, 20]
    level = only(found(scanned, "log.levels"), "log_level")
    assert level.text == "Loki server.log_level: info (production/config/loki.yaml)" and level.evidence[0].line == 5


def test_loki_retention_period_without_its_switch_deletes_nothing(tmp_path: Path) -> None:
    config = LOKI_CONFIG.replace("  retention_enabled: true\n", "")
    retention = only(found(scan_tree(tmp_path, {"loki.yaml": config}), "log.retention"), "336h")
    assert retention.confidence is Confidence.HINT
    assert "compactor.retention_enabled not set (default false), so the compactor deletes nothing" in retention.text


def test_loki_retention_switched_on_without_a_period_keeps_logs(tmp_path: Path) -> None:
    config = LOKI_CONFIG.replace("  retention_period: 336h\n", "")
    hint = only(found(scan_tree(tmp_path, {"loki.yaml": config}), "log.retention"), "switched on")
    assert hint.confidence is Confidence.HINT and "its default 0s keeps logs indefinitely" in hint.text


def test_legacy_table_manager_retention(tmp_path: Path) -> None:
    # modelled on grafana/loki docs/sources/setup/upgrade/upgrade-1.x.md (Loki 1.x/2.x table_manager)
    config = LOKI_CONFIG.split("limits_config:")[0]
    config += "table_manager:\n  retention_deletes_enabled: true\n  retention_period: 0s\n"
    retention = only(found(scan_tree(tmp_path, {"loki.yaml": config}), "log.retention"), "table_manager")
    assert retention.confidence is Confidence.DECLARED
    assert retention.text.startswith("Loki keeps logs indefinitely (table_manager.retention_period: 0s")


def test_a_mimir_configuration_or_a_helm_template_is_not_read(tmp_path: Path) -> None:
    """Mimir names its tables `limits`, not `limits_config`; chart templates belong to the Helm detector."""
    mimir = "server:\n  log_level: warn\nlimits:\n  compactor_blocks_retention_period: 1y\n"
    template = LOKI_CONFIG.replace("log_level: info", "log_level: {{ .Values.logLevel }}")
    scanned = scan_tree(tmp_path, {"mimir.yaml": mimir, "chart/templates/config.yaml": template})
    assert not found(scanned, "log.retention") and not found(scanned, "log.levels")
