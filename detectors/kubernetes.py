"""Kubernetes manifests, Kustomize, Argo CD, Flux, Skaffold. (Being written: claims no files yet.)"""

from __future__ import annotations

from infrascan.detector import Detector


class KubernetesDetector(Detector):
    name = "kubernetes"
    version = "0"
    description = "Kubernetes manifests, Kustomize, Argo CD, Flux, Skaffold"
