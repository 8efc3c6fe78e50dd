"""Google Cloud Build. (Being written: claims no files yet.)"""

from __future__ import annotations

from infrascan.detector import Detector


class CloudBuildDetector(Detector):
    name = "cloudbuild"
    version = "0"
    description = "Google Cloud Build"
