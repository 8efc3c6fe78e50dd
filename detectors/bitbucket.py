"""Bitbucket Pipelines. (Being written: claims no files yet.)"""

from __future__ import annotations

from infrascan.detector import Detector


class BitbucketPipelinesDetector(Detector):
    name = "bitbucket"
    version = "0"
    description = "Bitbucket Pipelines"
