"""infrascan's built-in detectors, one module per source family.

Each module defines one `Detector` subclass and is registered under the `infrascan.detectors`
entry-point group in pyproject.toml, exactly as a third-party plugin would be.
"""
