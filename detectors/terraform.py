"""Terraform, OpenTofu and Terragrunt. (Being written: claims no files yet.)"""

from __future__ import annotations

from infrascan.detector import Detector


class TerraformDetector(Detector):
    name = "terraform"
    version = "0"
    description = "Terraform, OpenTofu and Terragrunt"
