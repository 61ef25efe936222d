"""``ComposeChart``: a cdk8s Chart holding the objects of a Plan.

Objects are plain ``ApiObject``s with one JSON patch per top-level field, free of cdk8s-plus
defaults, made inside Node in one jsii call (``synth/batch``; see docs/architecture.md).
Users can extend the chart in their own cdk8s app like any other, e.g.
``chart.api_object("Deployment", "web")``.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import cdk8s
from constructs import Construct

from ..pipeline import compile_plan
from ..plan import Plan
from .batch.binding import Batch

# JSON per jsii call when composek8s renders a plan: Node holds one chunk's objects at a time
# (at 1,000 services its process peaked 80 MB above the floor's with the whole plan at once).
CHUNK_BYTES = 1 << 20


def _entry(resource) -> str:
    return f"[{json.dumps(f'{resource.kind}-{resource.name}', ensure_ascii=False)},{resource.plain_json()}]"


def render(plan: Plan) -> list[dict]:
    """The plan's objects as cdk8s renders them: what ``ComposeChart(app, plan.project,
    plan=plan).manifests()`` returns, made in charts of about ``CHUNK_BYTES`` of JSON each
    that Node drops as soon as their JSON is back (objects of a chart depend on nothing, so
    its JSON is its objects' in order)."""
    return [m for chunk in _chunks(plan) for m in json.loads(Batch.render(plan.project, _array(chunk)))]


def _chunks(plan: Plan) -> Iterator[list[str]]:
    """The plan's entries in lists of about ``CHUNK_BYTES``, each made when it is rendered."""
    chunk: list[str] = []
    size = 0
    for resource in plan.resources:
        chunk.append(_entry(resource))
        size += len(chunk[-1])
        if size >= CHUNK_BYTES:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _array(entries) -> str:
    return f"[{','.join(entries)}]"


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
        self._ids = {(r.kind, r.name): f"{r.kind}-{r.name}" for r in self.plan.resources}
        Batch.define(self, _array(_entry(r) for r in self.plan.resources))

    def api_object(self, kind: str, name: str) -> cdk8s.ApiObject:
        """The object ``kind/name``, to patch it from a cdk8s app."""
        return cdk8s.ApiObject.of(self.node.find_child(self._ids[(kind, name)]))

    def manifests(self) -> list[dict]:
        """``to_json()`` in one jsii call: the chart's objects, as ``cdk8s synth`` writes them."""
        return json.loads(Batch.to_json(self))
