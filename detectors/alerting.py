"""Prometheus rule files, Alertmanager and Grafana alerting configuration. (Being written: claims no files yet.)"""

from __future__ import annotations

from infrascan.detector import Detector


class AlertingRulesDetector(Detector):
    name = "alerting"
    version = "0"
    description = "Prometheus rule files, Alertmanager and Grafana alerting configuration"
