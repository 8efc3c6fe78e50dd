"""A third-party detector, exactly as another package would write one.

It reads `uptime.yaml` files (a made-up format: `checks: [{url: ..., every: 1m}]`) and reports each
checked URL as performance monitoring (an uptime check).
"""

from __future__ import annotations

from infrascan.detector import Detector, Extraction, SourceFile
from infrascan.model import Code, Confidence, Fact, text
from infrascan.yamlload import line_of


class UptimeFileDetector(Detector):
    name = "testplugin-uptime"
    version = "1"
    description = "uptime.yaml check definitions (test plugin)"
    patterns = ("uptime.yaml",)
    looks_for = {"mon.performance": "uptime.yaml checks"}

    def extract(self, file: SourceFile) -> Extraction:
        out = Extraction()
        for doc in self.yaml_documents(file, out):
            checks = doc.get("checks") if isinstance(doc, dict) else None
            for index, check in enumerate(checks if isinstance(checks, list) else []):
                if isinstance(check, dict) and isinstance(check.get("url"), str):
                    line = line_of(checks, index)
                    out.facts.append(Fact("mon.performance", text("Uptime check of ", Code(check["url"])),
                                          Confidence.DECLARED, self.evidence(file.path, line),
                                          item=check["url"], order=(file.path, line)))
        return out
