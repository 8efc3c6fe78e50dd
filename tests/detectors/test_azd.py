"""The Azure Developer CLI detector: `azure.yaml` as the ordered steps of `azd up`."""

from __future__ import annotations

from pathlib import Path

from helpers import FIXTURES, facts_for, scan_tree

from infrascan.model import Confidence, FactScope


def tree(name: str) -> dict[str, str | bytes]:
    root = FIXTURES / "azd" / name
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in files}


def test_aks_project_steps_follow_the_azd_up_lifecycle(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, tree("aks-helm"))
    steps = [f for f in facts_for(scanned.model, "deploy.steps") if f.tech == "azure-developer-cli"]
    assert [(f.attrs["step"], f.evidence[0].line) for f in steps] == [
        ("preprovision", 7),
        ("provision", 22),
        ("predeploy", 14),
        ("deploy", 26),
    ]
    assert all(f.confidence is Confidence.DECLARED and f.env is None for f in steps)
    assert steps[0].text.endswith("preprovision hook runs hooks/preprovision.sh in azure.yaml")
    assert "azd provision applies the Terraform under infra/tf" in steps[1].text
    assert steps[3].text == (
        "Azure Developer CLI (azd up): azd deploy deploys service shop to Azure Kubernetes Service (AKS) "
        "(namespace shop; Helm release shop of shop-charts/shop 2.0.1) in azure.yaml"
    )
    assert "1. Azure Developer CLI (`azd up`): `preprovision` hook" in scanned.markdown


def test_sample_folder_argo_cd_application_is_not_the_deployment_path(tmp_path: Path) -> None:
    """aks-store-demo keeps an Argo CD Application in sample-manifests/: an example to copy."""
    scanned = scan_tree(tmp_path, tree("aks-helm"))
    argo = [f for f in scanned.model.facts if f.tech == "argocd"]
    assert argo and all(f.scope is FactScope.EXAMPLE for f in argo)
    shown = [line for line in scanned.markdown.splitlines() if "Argo CD Application `shop`" in line]
    assert shown and all("(from an example or test file)" in line and "hint:" in line for line in shown)
    automated = scanned.markdown.split("Automated deployments:")[1].splitlines()[0]
    assert automated.startswith(" **Gap:**")


def test_container_apps_services_with_default_bicep_and_a_plain_hook(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, tree("containerapp"))
    steps = [f.text for f in facts_for(scanned.model, "deploy.steps")]
    assert steps == [
        "Azure Developer CLI (azd up): azd provision applies the Bicep under infra in azure.yaml",
        "Azure Developer CLI (azd up): azd deploy deploys service web to Azure Container Apps in azure.yaml",
        "Azure Developer CLI (azd up): azd deploy deploys service api to Azure Container Apps in azure.yaml",
        "Azure Developer CLI (azd up): postdeploy hook runs ./scripts/smoke.sh in azure.yaml",
    ]


def test_azure_yaml_that_is_not_an_azd_project_is_left_alone(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, tree("not-azd"))
    assert facts_for(scanned.model, "deploy.steps") == []
