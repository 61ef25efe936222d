"""The project-wide frame of a plan: its namespace, Secret, environments and app version,
and the Namespace object with its Pod Security labels."""
from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from ..compose import Project
from .draft import ServiceDraft
from .images import split_image
from .model import Name, Plan
from .names import dns_name, labels
from .security import LEVELS, level

if TYPE_CHECKING:
    from .draft import Draft

PSS_VERSION = "v1.30"  # the Pod Security Standards version enforced on the namespace


def frame(draft: Draft) -> None:
    """Pass: the Plan for the project, and an empty draft for each of its services."""
    project = draft.project
    ns = draft.namespace_option or project.x_k8s.get("namespace") or dns_name(project.name)
    secret_name = project.x_k8s.get("secretName") or f"{dns_name(project.name)}-secrets"
    draft.secret = Name(secret_name, override="secrets.existingSecret")
    draft.plan = Plan(project=project.name, namespace=ns, services=list(project.services), secret_name=secret_name,
                      app_version=app_version(project), environments_position=project.keys.get("x-k8s"),
                      x_k8s_positions=project.x_k8s_positions, levels={s.name: level(s) for s in project.services.values()},
                      environments={name: {"namespace": env.get("namespace", ns), "values": env.get("values") or {}}
                                    for name, env in sorted(project.x_k8s.get("environments", {}).items())})
    draft.services = {name: ServiceDraft(svc) for name, svc in project.services.items()}


def app_version(project: Project) -> str:
    """The tag most of the project's own images share (those it builds), else of any image."""
    def tags(built: bool) -> list[str]:
        return [split_image(s.image)[1] for s in project.services.values()
                if s.image and bool(s.build) == built and split_image(s.image)[1]]

    found = tags(True) or tags(False)
    return Counter(found).most_common(1)[0][0] if found else "latest"


def namespace_manifest(project: Project, ns: str) -> dict:
    """The Namespace, enforcing the lowest Pod Security level a service opted out to (and
    auditing and warning at ``restricted`` whatever it enforces)."""
    enforce = max((level(s) for s in project.services.values()), key=LEVELS.index, default="restricted")
    pss = {}
    for mode in ("enforce", "audit", "warn"):
        pss[f"pod-security.kubernetes.io/{mode}"] = enforce if mode == "enforce" else "restricted"
        pss[f"pod-security.kubernetes.io/{mode}-version"] = PSS_VERSION
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": ns, "labels": {**labels(project.name, None), **pss}}}
