"""GitLab CI/CD. (Being written: claims no files yet.)"""

from __future__ import annotations

from infrascan.detector import Detector


class GitLabCIDetector(Detector):
    name = "gitlab-ci"
    version = "0"
    description = "GitLab CI/CD"
