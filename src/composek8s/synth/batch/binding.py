"""The Python side of ``Batch`` (what jsii-pacmak would generate for it)."""
from __future__ import annotations

import builtins

import cdk8s  # loads the cdk8s and constructs assemblies, which ours requires
import jsii
from constructs import Construct

from .build import assembly, tarball_name

_NAME, _VERSION = assembly()
__jsii_assembly__ = jsii.JSIIAssembly.load(_NAME, _VERSION, __package__, tarball_name(_NAME, _VERSION))


class Batch(metaclass=jsii.JSIIMeta, jsii_type="composek8s-batch.Batch"):
    @jsii.member(jsii_name="define")
    @builtins.classmethod
    def define(cls, scope: Construct, objects: str) -> None:
        """Adds each ``[id, manifest]`` of the JSON array ``objects`` to ``scope``."""
        return jsii.sinvoke(cls, "define", [scope, objects])

    @jsii.member(jsii_name="render")
    @builtins.classmethod
    def render(cls, id: str, objects: str) -> str:
        """The JSON of a chart ``id`` holding just ``objects``, made and dropped in Node."""
        return jsii.sinvoke(cls, "render", [id, objects])

    @jsii.member(jsii_name="toJson")
    @builtins.classmethod
    def to_json(cls, chart: cdk8s.Chart) -> str:
        """``chart.to_json()`` as one JSON string."""
        return jsii.sinvoke(cls, "toJson", [chart])
