"""``ComposeChart``: a cdk8s Chart holding the objects of a Plan.

Objects are plain ``ApiObject``s with one JSON patch per top-level field: the cheapest way
through jsii, and free of cdk8s-plus defaults (see docs/architecture.md). Users can extend the chart in
their own cdk8s app like any other, e.g. ``chart.api_object("Deployment", "web")``.
"""
from __future__ import annotations

from pathlib import Path

import cdk8s
from constructs import Construct

from ..pipeline import compile_plan
from ..plan import Plan, resolve_values

_HEAD = ("apiVersion", "kind", "metadata")


class ComposeChart(cdk8s.Chart):
    """The Kubernetes objects compiled from a compose project.

    :param compose: compose files, merged in order (default: discovered in ``cwd``).
    :param plan: an already built plan (then ``compose`` and the other options are unused).
    """

    def __init__(self, scope: Construct, id: str, *, compose: list[str | Path] | None = None,
                 env_files: list[str | Path] | None = None, profiles: list[str] | None = None,
                 namespace: str | None = None, plan: Plan | None = None, cwd: Path | None = None):
        super().__init__(scope, id, disable_resource_name_hashes=True)
        self.plan = plan or compile_plan([Path(f) for f in compose or []],
                                         env_files=[Path(f) for f in env_files] if env_files else None,
                                         profiles=profiles, namespace=namespace, cwd=cwd)
        self._objects: dict[tuple[str, str], cdk8s.ApiObject] = {}
        for resource in self.plan.resources:
            manifest = resource.plain()
            meta = manifest["metadata"]
            obj = cdk8s.ApiObject(
                self, f"{resource.kind}-{resource.name}",
                api_version=manifest["apiVersion"], kind=manifest["kind"],
                metadata=cdk8s.ApiObjectMetadata(name=meta["name"], namespace=meta.get("namespace"),
                                                 labels=meta.get("labels"),
                                                 annotations=meta.get("annotations")))
            for key, value in manifest.items():
                if key not in _HEAD:
                    obj.add_json_patch(cdk8s.JsonPatch.add(f"/{key}", value))
            self._objects[(resource.kind, resource.name)] = obj

    def api_object(self, kind: str, name: str) -> cdk8s.ApiObject:
        """The object ``kind/name``, to patch it from a cdk8s app."""
        return self._objects[(kind, name)]
