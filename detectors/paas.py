"""PaaS manifests: Procfile, app.json, fly.toml, render.yaml, vercel.json, netlify.toml, serverless.yml. (Being written: claims no files yet.)"""

from __future__ import annotations

from infrascan.detector import Detector


class PaasDetector(Detector):
    name = "paas"
    version = "0"
    description = "PaaS manifests: Procfile, app.json, fly.toml, render.yaml, vercel.json, netlify.toml, serverless.yml"
