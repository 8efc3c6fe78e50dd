"""database migration tools and their files. (Being written: claims no files yet.)"""

from __future__ import annotations

from infrascan.detector import Detector


class MigrationsDetector(Detector):
    name = "migrations"
    version = "0"
    description = "database migration tools and their files"
