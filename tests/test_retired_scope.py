"""Facts from deprecated or archived folders are hints, never the repository's truth.

The fixtures are modelled on cloudposse/terraform-aws-components, which keeps retired components
under deprecated/: deprecated/aws/opsgenie/{versions,providers}.tf (the Opsgenie provider) and
deprecated/aws/backing-services/rds.tf (an RDS MySQL 5.6 instance).
"""

from __future__ import annotations

from pathlib import Path

from helpers import facts_for, scan_tree

from infrascan.model import FactScope
from infrascan.source import is_retired_path

OPSGENIE = """terraform {
  required_providers {
    opsgenie = {
      source  = "opsgenie/opsgenie"
      version = ">= 0.5.0"
    }
  }
}
"""
PROVIDER = 'provider "opsgenie" {\n  api_key = local.opsgenie_api_key\n}\n'
RDS = """resource "aws_db_instance" "default" {
  identifier        = "app"
  engine            = "mysql"
  engine_version    = "5.6"
  instance_class    = "db.t2.micro"
  allocated_storage = 20
}
"""


def test_retired_paths_are_whole_folder_names() -> None:
    assert is_retired_path("deprecated/aws/opsgenie/providers.tf")
    assert is_retired_path("modules/_archive/old/main.tf")
    assert is_retired_path("stacks/Obsolete/main.tf")
    assert not is_retired_path("deprecated.tf"), "a file name is not a folder"
    assert not is_retired_path("modules/log-archive/main.tf"), "an AWS log-archive account's stack is live"
    assert not is_retired_path("legacy/app/main.tf"), "legacy code is often still deployed"


def test_deprecated_folder_facts_are_hints_worded_as_such(tmp_path: Path) -> None:
    scanned = scan_tree(
        tmp_path,
        {
            "deprecated/aws/opsgenie/versions.tf": OPSGENIE,
            "deprecated/aws/opsgenie/providers.tf": PROVIDER,
            "deprecated/aws/backing-services/rds.tf": RDS,
        },
    )
    channels = facts_for(scanned.model, "alert.channels")
    assert channels and all(f.scope is FactScope.RETIRED for f in channels)
    mysql = [f for f in scanned.model.facts if "MySQL 5.6" in f.text]
    assert mysql and all(f.scope is FactScope.RETIRED for f in mysql)
    line = next(x for x in scanned.markdown.splitlines() if "Opsgenie" in x and "Alert channels" not in x)
    assert "hint:" in line and "(from a deprecated or archived folder)" in line
    assert scanned.markdown.split("Alert channels:")[1].splitlines()[0].startswith(" **Gap:**")
    assert not any(c.startswith("deprecated") for c in scanned.model.components), "not a component of the repo"


def test_a_fact_also_found_outside_the_deprecated_folder_fills_the_field(tmp_path: Path) -> None:
    scanned = scan_tree(
        tmp_path,
        {
            "deprecated/aws/opsgenie/versions.tf": OPSGENIE,
            "deprecated/aws/opsgenie/providers.tf": PROVIDER,
            "modules/opsgenie-team/versions.tf": OPSGENIE,
            "modules/opsgenie-team/providers.tf": PROVIDER,
        },
    )
    channels = facts_for(scanned.model, "alert.channels")
    assert channels and all(f.scope is FactScope.MAIN for f in channels)
    assert not scanned.markdown.split("Alert channels:")[1].splitlines()[0].startswith(" **Gap:**")


def test_joined_scope_prefers_the_repository_then_examples() -> None:
    assert FactScope.joined([FactScope.RETIRED, FactScope.MAIN]) is FactScope.MAIN
    assert FactScope.joined([FactScope.RETIRED, FactScope.EXAMPLE]) is FactScope.EXAMPLE
    assert FactScope.joined([FactScope.RETIRED]) is FactScope.RETIRED
