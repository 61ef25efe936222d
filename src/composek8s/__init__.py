"""composek8s: compile a Docker Compose project into hardened Kubernetes manifests.

``ComposeChart`` (a cdk8s Chart) is imported lazily so that ``import composek8s`` stays cheap.
"""
from __future__ import annotations

__all__ = ["ComposeChart", "compile_plan"]


def __getattr__(name: str):
    if name == "ComposeChart":
        from .synth.chart import ComposeChart

        return ComposeChart
    if name == "compile_plan":
        from .pipeline import compile_plan

        return compile_plan
    raise AttributeError(name)
