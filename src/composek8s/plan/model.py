"""The Plan: every Kubernetes decision, made once, rendered by synth (and later helm).

A ``Resource`` is one Kubernetes object as plain data. Fields the Helm chart will expose
are ``Value`` markers holding their values.yaml key and their default; the plain
rendering writes the default (``resolve_values``), the chart a template reference.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..diagnostics import Diagnostic, Position


@dataclass(frozen=True)
class Value:
    """A field the chart exposes as ``key`` in values.yaml; ``default`` is what dist/ holds."""

    key: str
    default: object


@dataclass
class Resource:
    manifest: dict  # apiVersion, kind, metadata (name, namespace, labels…), then the body
    service: str | None = None  # the compose service it comes from, if any
    origin: Position | None = None

    @property
    def kind(self) -> str:
        return self.manifest["kind"]

    @property
    def name(self) -> str:
        return self.manifest["metadata"]["name"]


@dataclass(frozen=True)
class Decision:
    """Why the plan did something, for ``--explain`` and for reviewers of the output."""

    service: str | None
    what: str
    why: str
    position: Position | None = None


@dataclass(frozen=True)
class SecretKey:
    """A key the cluster's Secret ``secret`` must hold, and who reads it."""

    secret: str
    key: str
    required: bool
    used_by: tuple[str, ...]


@dataclass
class Plan:
    project: str
    namespace: str
    resources: list[Resource] = field(default_factory=list)
    secret_keys: list[SecretKey] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def resolve_values(data: object) -> object:
    """``data`` with every ``Value`` replaced by its default: the plain rendering."""
    if isinstance(data, Value):
        return resolve_values(data.default)
    if isinstance(data, dict):
        return {k: resolve_values(v) for k, v in data.items()}
    if isinstance(data, list):
        return [resolve_values(v) for v in data]
    return data
