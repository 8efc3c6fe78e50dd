"""Finds detectors through the `infrascan.detectors` entry-point group.

Built-in detectors register exactly as a third-party package would, so the plugin path is the
one every scan exercises. A plugin that fails to import costs a diagnostic, not the scan.
"""

from __future__ import annotations

from dataclasses import dataclass

from infrascan import plugin_entry_points
from infrascan.detector import Detector
from infrascan.model import Diagnostic, Severity


@dataclass
class Registry:
    detectors: list[Detector]
    diagnostics: list[Diagnostic]
    origins: dict[str, str]  # detector name -> distribution that provides it


def discover() -> Registry:
    detectors: list[Detector] = []
    diagnostics: list[Diagnostic] = []
    origins: dict[str, str] = {}
    names: dict[int, str] = {}  # a distribution's name parses its metadata: once per distribution
    for ep in plugin_entry_points():
        dist = "?" if ep.dist is None else names.get(id(ep.dist), "")
        if ep.dist is not None and not dist:
            dist = names[id(ep.dist)] = ep.dist.name
        try:
            loaded = ep.load()
            detector = loaded() if isinstance(loaded, type) else loaded
            if not isinstance(detector, Detector) or not detector.name:
                raise TypeError(f"{ep.value} is not an infrascan Detector")
        except Exception as exc:  # a broken plugin must not break the scan
            diagnostics.append(
                Diagnostic(
                    f"<plugin {ep.name}>",
                    None,
                    f"detector plugin from {dist} failed to load: {exc}",
                    Severity.ERROR,
                    "registry",
                )
            )
            continue
        if detector.name in origins:
            diagnostics.append(
                Diagnostic(
                    f"<plugin {ep.name}>",
                    None,
                    f"detector {detector.name!r} from {dist} ignored: {origins[detector.name]} already provides it",
                    Severity.WARNING,
                    "registry",
                )
            )
            continue
        origins[detector.name] = dist
        detectors.append(detector)
    return Registry(detectors, diagnostics, origins)
