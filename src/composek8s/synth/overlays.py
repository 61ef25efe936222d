"""Kustomize overlays, one per environment: ``dist/overlays/<env>/kustomization.yaml``.

An environment is a set of chart values (``x-k8s.environments.<env>.values``). Each object
is rendered from the plan with those values and compared with the base; the differences
become JSON 6902 patches. So an overlay renders exactly what ``helm template -f
values-<env>.yaml`` does, from one definition.
"""
from __future__ import annotations

from ..diagnostics import fail
from ..plan import Plan
from ..plan.model import value_of
from .output import HEADER, to_yaml


def _pointer(token: object) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def json_patch(old: object, new: object, path: str = "") -> list[dict]:
    """JSON 6902 operations turning ``old`` into ``new`` (lists of equal length element-wise)."""
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        ops: list[dict] = [{"op": "remove", "path": f"{path}/{_pointer(k)}"} for k in old if k not in new]
        for k, v in new.items():
            sub = f"{path}/{_pointer(k)}"
            ops += json_patch(old[k], v, sub) if k in old else [{"op": "add", "path": sub, "value": v}]
        return ops
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [op for i, (a, b) in enumerate(zip(old, new)) for op in json_patch(a, b, f"{path}/{i}")]
    return [{"op": "replace", "path": path, "value": new}]


def overlay_files(plan: Plan) -> dict[str, str]:
    files: dict[str, str] = {}
    for env, spec in plan.environments.items():
        values = spec["values"]
        patches = []
        for resource, rendered in zip(plan.resources, plan.objects(env)):
            if resource.condition and value_of(values, resource.condition, True) is not True:
                raise fail("E-ENVIRONMENT", f"environment {env!r} turns {resource.condition} off; "
                           "environments change values of objects, not which objects exist",
                           plan.environments_position)
            base = resource.plain()
            ops = json_patch(base, rendered)
            if ops:
                group, _, version = base["apiVersion"].rpartition("/")
                target = {"group": group, "version": version, "kind": base["kind"],
                          "name": base["metadata"]["name"]} if group else \
                    {"version": version, "kind": base["kind"], "name": base["metadata"]["name"]}
                patches.append({"target": target, "patch": to_yaml(ops)})
        kustomization: dict = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                               "resources": ["../../base"]}
        if spec["namespace"] != plan.namespace:
            kustomization["namespace"] = spec["namespace"]
        if patches:
            kustomization["patches"] = patches
        files[f"overlays/{env}/kustomization.yaml"] = HEADER + to_yaml(kustomization)
    return files
