"""The project builds as an sdist and a wheel, and the wheel carries the built-in detectors and data."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from helpers import ROOT


def test_python_m_build(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--sdist", "--wheel", "--outdir", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    wheels = list(tmp_path.glob("infrascan-*.whl"))
    assert len(wheels) == 1 and list(tmp_path.glob("infrascan-*.tar.gz"))
    names = set(zipfile.ZipFile(wheels[0]).namelist())
    assert "infrascan/detectors/compose.py" in names
    assert "infrascan/data/model.schema.json" in names
    assert "infrascan/templates/default.md.j2" in names
    assert any(n.startswith("infrascan/data/catalog/") for n in names)
    assert any(n.startswith("infrascan/data/commands/") for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheels[0]).read(entry_points).decode()
    assert "[infrascan.detectors]" in text and "compose = infrascan.detectors.compose:ComposeDetector" in text
