"""The chart's default values: what the plan's markers read, with their defaults.

``values.yaml`` is this tree (documented, see ``helm/values.py``); the hashes of run-once
Job names read it too (``startup.finish_job_names``).
"""
from __future__ import annotations

from .model import PLAIN_TYPES, Each, Image, Name, Resource, Value, When, key_parts
from .startup import WAIT_IMAGE


def set_value(tree: dict, key: str, value: object) -> None:
    """Set dotted ``key`` in a values tree unless it is set already."""
    node = tree
    parts = key_parts(key)
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node.setdefault(parts[-1], value)


def collect_values(data: object, tree: dict) -> None:
    """Every value the markers in ``data`` read, with its default, into ``tree``."""
    kind = type(data)
    if kind in PLAIN_TYPES:  # most of a manifest, and its containers, before the markers are tried
        return
    if kind is dict:
        for v in data.values():  # type: ignore[attr-defined]
            if type(v) not in PLAIN_TYPES:
                collect_values(v, tree)
        return
    if kind is list or kind is tuple:
        for v in data:  # type: ignore[attr-defined]
            if type(v) not in PLAIN_TYPES:
                collect_values(v, tree)
        return
    if isinstance(data, Value):
        set_value(tree, data.key, data.default)
    elif isinstance(data, Image):
        set_value(tree, f"{data.key}.repository", data.repository)
        set_value(tree, f"{data.key}.tag", data.tag)
    elif isinstance(data, When):
        collect_values(data.then, tree)  # first: a branch may define the key as a list (ingress.hosts)
        collect_values(data.otherwise, tree)
        set_value(tree, data.key, data.default)
    elif isinstance(data, Each):
        set_value(tree, data.key, list(data.default))
        collect_values(data.item, tree)
    elif isinstance(data, Name) and data.override:
        set_value(tree, data.override, "")
    elif isinstance(data, dict):
        for v in data.values():
            collect_values(v, tree)
    elif isinstance(data, (list, tuple)):
        for v in data:
            collect_values(v, tree)
    elif hasattr(data, "parts"):
        collect_values(list(data.parts), tree)


def default_values(resources: list[Resource]) -> dict:
    """The chart's default values: what the resources' markers read, the conditions that
    turn resources on, and the settings every chart has."""
    # The helm test pod uses the wait image even when no pod waits.
    tree: dict = {"global": {"imageRegistry": "", "imagePullSecrets": [],
                             "waitImage": {"repository": WAIT_IMAGE.repository, "tag": WAIT_IMAGE.tag}}}
    for resource in resources:
        if not resource.chart:
            continue
        collect_values(resource.manifest, tree)
        if resource.condition:
            set_value(tree, resource.condition, True)
    tree.setdefault("secrets", {"existingSecret": ""})
    return tree
