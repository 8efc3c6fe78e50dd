"""CircleCI. (Being written: claims no files yet.)"""

from __future__ import annotations

from infrascan.detector import Detector


class CircleCIDetector(Detector):
    name = "circleci"
    version = "0"
    description = "CircleCI"
