# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/datadog/datadog" {
  version     = "3.39.0"
  constraints = "~> 3.38"
  hashes = [
    "h1:Yo2m3d5rmpIqzOd2Nox6Ue6FyJ4nrVMxKVRa0SDUHxE=",
  ]
}

provider "registry.terraform.io/hashicorp/aws" {
  version     = "5.46.0"
  constraints = "~> 5.40"
  hashes = [
    "h1:d0Mf33mbbQujZ/JaYkqmH5gZGvP+iEIWf9yBSiOwimE=",
  ]
}
