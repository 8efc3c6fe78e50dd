"""Helm charts, values per environment, helmfile. (Being written: claims no files yet.)"""

from __future__ import annotations

from infrascan.detector import Detector


class HelmDetector(Detector):
    name = "helm"
    version = "0"
    description = "Helm charts, values per environment, helmfile"
