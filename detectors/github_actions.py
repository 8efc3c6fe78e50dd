"""GitHub Actions workflows. (Being written: claims no files yet.)"""

from __future__ import annotations

from infrascan.detector import Detector


class GitHubActionsDetector(Detector):
    name = "github-actions"
    version = "0"
    description = "GitHub Actions workflows"
