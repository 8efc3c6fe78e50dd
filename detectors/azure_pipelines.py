"""Azure Pipelines. (Being written: claims no files yet.)"""

from __future__ import annotations

from infrascan.detector import Detector


class AzurePipelinesDetector(Detector):
    name = "azure-pipelines"
    version = "0"
    description = "Azure Pipelines"
