"""Azure Developer CLI projects (`azure.yaml`): the steps `azd up` runs, in order.

`azd up` is `azd provision` (the Bicep or Terraform under `infra.path`) followed by `azd deploy`
(each service to its `host`), with the project's hooks before and after each stage. The file
declares that whole sequence, so its steps are declared facts. The Azure environment is created
at run time (`azd env new`), so no environment is named. Hooks are read for the POSIX shell, the
one CI runners and most workstations use; the Windows variant is the same step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeGuard

from infrascan.detector import Detector, Extraction, SourceFile
from infrascan.model import Code, Confidence, Evidence, Fact, Part, text
from infrascan.yamlload import YDict, line_of

# `services.<name>.host` values (the azure.yaml schema) -> the Azure service azd deploys to.
AZD_HOSTS: dict[str, str] = {
    "aks": "Azure Kubernetes Service (AKS)",
    "containerapp": "Azure Container Apps",
    "appservice": "Azure App Service",
    "function": "Azure Functions",
    "staticwebapp": "Azure Static Web Apps",
    "springapp": "Azure Spring Apps",
    "aiendpoint": "an Azure AI Foundry online endpoint",
}
# `infra.provider` values; azd's default is Bicep under `infra/`.
AZD_PROVIDERS: dict[str, str] = {"bicep": "Bicep", "terraform": "Terraform"}
# The lifecycle `azd up` walks, with the hooks azd runs around each stage.
_LIFECYCLE = ("preprovision", "provision", "postprovision", "predeploy", "deploy", "postdeploy")

_MAX_COMMAND = 80

EvidenceFn = Callable[[str, int], tuple[Evidence, ...]]


class AzdDetector(Detector):
    name = "azd"
    version = "1"
    description = "Azure Developer CLI projects (azure.yaml): provision, deploy and hook stages of azd up"
    patterns = ("azure.{yml,yaml}",)
    looks_for = {"deploy.steps": "provision, deploy and hook stages of azd up in azure.yaml"}

    def extract(self, file: SourceFile) -> Extraction:
        out = Extraction()
        doc = self.yaml_mapping(file, out)
        if is_azd_project(doc):
            out.facts.extend(azd_steps(file.path, doc, self.evidence))
        return out


def is_azd_project(doc: Any) -> TypeGuard[YDict]:
    """azd requires `name`; a project also has services, infra or hooks (other `azure.yaml` files do not)."""
    return (
        isinstance(doc, YDict)
        and isinstance(doc.get("name"), str)
        and any(isinstance(doc.get(key), dict) for key in ("services", "infra", "hooks"))
    )


def azd_steps(path: str, doc: YDict, evidence: EvidenceFn) -> list[Fact]:
    """One deploy.steps fact per stage of `azd up` the file declares, numbered in lifecycle order."""
    steps: list[tuple[str, int, tuple[Part, ...]]] = []
    hooks = doc["hooks"] if isinstance(doc.get("hooks"), YDict) else YDict()
    for stage in _LIFECYCLE:
        if stage == "provision" and isinstance(doc.get("infra"), YDict):
            steps.append(_provision(doc["infra"]))
        elif stage == "deploy":
            steps.extend(_deploys(doc))
        elif stage in hooks:
            command = _hook_command(hooks[stage])
            if command:
                steps.append((stage, line_of(hooks, stage), (Code(stage), " hook runs ", Code(command))))
    return [
        Fact(
            "deploy.steps",
            text("Azure Developer CLI (", Code("azd up"), "): ", *parts, " in ", Code(path)),
            Confidence.DECLARED,
            evidence(path, line),
            item=f"azd:{path}:{index}:{stage}",
            tech="azure-developer-cli",
            order=(path, index),
            rank=20,
            attrs={"step": stage, "tool": "azd"},
        )
        for index, (stage, line, parts) in enumerate(steps)
    ]


def _provision(infra: YDict) -> tuple[str, int, tuple[Part, ...]]:
    """The `infra` block: azd's defaults are Bicep under `infra/` (a project without the block
    may still provision from there, but the file does not say so, so no step is written)."""
    provider = str(infra.get("provider") or "bicep")
    folder = str(infra.get("path") or "infra")
    kind = AZD_PROVIDERS.get(provider.lower(), provider)
    parts: tuple[Part, ...] = (Code("azd provision"), " applies the ", kind, " under ", Code(folder))
    return "provision", line_of(infra, "provider", infra.line), parts


def _deploys(doc: YDict) -> list[tuple[str, int, tuple[Part, ...]]]:
    services = doc.get("services")
    if not isinstance(services, YDict):
        return []
    found = []
    for name, service in services.items():
        if not isinstance(service, YDict):
            continue
        host = str(service.get("host") or "")
        target = AZD_HOSTS.get(host.lower(), host or "a host azure.yaml does not name")
        parts = (Code("azd deploy"), " deploys service ", Code(str(name)), " to ", target, *_k8s_details(service))
        found.append(("deploy", line_of(service, "host", line_of(services, name)), parts))
    return found


def _k8s_details(service: YDict) -> tuple[Part, ...]:
    """Namespace and Helm releases of an AKS service: what lands in the cluster."""
    k8s = service.get("k8s")
    if not isinstance(k8s, YDict):
        return ()
    details: list[tuple[Part, ...]] = []
    if isinstance(k8s.get("namespace"), str):
        details.append(("namespace ", Code(k8s["namespace"])))
    helm = k8s.get("helm")
    releases = helm.get("releases") if isinstance(helm, YDict) else None
    for release in releases if isinstance(releases, list) else []:
        if isinstance(release, dict) and release.get("name") and release.get("chart"):
            version = (" ", Code(str(release["version"]))) if release.get("version") else ()
            details.append(("Helm release ", Code(str(release["name"])), " of ", Code(str(release["chart"])), *version))
    if not details:
        return ()
    joined: list[Part] = [" ("]
    for index, detail in enumerate(details):
        joined.extend(("; " if index else "", *detail))
    return (*joined, ")")


def _hook_command(hook: Any) -> str | None:
    """The script a hook runs: `run:` directly, or the POSIX variant of a per-OS hook. An inline
    script is named by its first line."""
    if isinstance(hook, dict):
        run = hook.get("run")
        if isinstance(run, str) and run.strip():
            lines = run.strip().splitlines()
            return lines[0][:_MAX_COMMAND] + (" …" if len(lines) > 1 or len(lines[0]) > _MAX_COMMAND else "")
        return _hook_command(hook.get("posix"))
    return None
