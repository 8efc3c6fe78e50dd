"""infrascan: writes a repository's INFRASTRUCTURE.md from cited evidence and keeps it honest."""

__version__ = "0.1.0"
