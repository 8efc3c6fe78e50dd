"""Jenkinsfile. (Being written: claims no files yet.)"""

from __future__ import annotations

from infrascan.detector import Detector


class JenkinsDetector(Detector):
    name = "jenkins"
    version = "0"
    description = "Jenkinsfile"
