"""infrascan: writes a repository's INFRASTRUCTURE.md from cited evidence and keeps it honest."""

__version__ = "0.1.0"
# The entry-point group detectors register under, built-in and third-party alike (the registry
# loads it; replay keys runs by what it lists).
PLUGIN_GROUP = "infrascan.detectors"
