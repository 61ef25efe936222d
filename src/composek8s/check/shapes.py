"""The shapes ``composek8s check`` relies on, checked before any rule reads an object.

The rules (Pod Security, hardening, wiring, contract, API-server) walk objects as
Kubernetes writes them: ``spec.template.spec.containers`` is a list of mappings, ``metadata``
a mapping. A manifest that says ``containers: "nginx"`` would make them fail on a string, so
every mapping and list they walk is checked here first, and a wrong one is ``E-CHECK-SHAPE``
at its line (exit 2: the file is not a manifest the checks can read). Values the rules only
print (a name, a port number) are left to the schema check, which reports them as findings.

Written by hand: the bundled JSON schemas say the same and more, but through ``$ref`` chains
per kind and version; this is the handful of paths the rules use, in one table.
"""
from __future__ import annotations

MAP, LIST = "a mapping", "a list"

# Paths below a container, a pod spec, and an object; `*` is every item of a list.
_CONTAINER = {
    (): MAP, ("ports",): LIST, ("ports", "*"): MAP, ("env",): LIST, ("env", "*"): MAP,
    ("env", "*", "valueFrom"): MAP, ("envFrom",): LIST, ("envFrom", "*"): MAP,
    ("volumeMounts",): LIST, ("volumeMounts", "*"): MAP, ("securityContext",): MAP,
    ("securityContext", "capabilities"): MAP, ("securityContext", "capabilities", "add"): LIST,
    ("securityContext", "capabilities", "drop"): LIST, ("securityContext", "seccompProfile"): MAP,
    ("resources",): MAP, ("resources", "limits"): MAP, ("resources", "requests"): MAP,
    ("command",): LIST, ("args",): LIST, ("lifecycle",): MAP,
    **{(probe,): MAP for probe in ("livenessProbe", "readinessProbe", "startupProbe")},
    **{(probe, how): MAP for probe in ("livenessProbe", "readinessProbe", "startupProbe")
       for how in ("httpGet", "tcpSocket", "exec", "grpc")},
}
_POD = {
    (): MAP, ("securityContext",): MAP, ("securityContext", "seccompProfile"): MAP,
    ("volumes",): LIST, ("volumes", "*"): MAP, ("imagePullSecrets",): LIST,
    **{("volumes", "*", source): MAP for source in ("configMap", "secret", "persistentVolumeClaim",
                                                     "emptyDir", "hostPath", "projected")},
    ("volumes", "*", "configMap", "items"): LIST, ("volumes", "*", "secret", "items"): LIST,
    **{(group, "*", *path): shape for group in ("containers", "initContainers", "ephemeralContainers")
       for path, shape in _CONTAINER.items()},
    **{(group,): LIST for group in ("containers", "initContainers", "ephemeralContainers")},
}
_META = {("metadata",): MAP, ("metadata", "labels"): MAP, ("metadata", "annotations"): MAP}
_OBJECT = {
    **_META, ("spec",): MAP, ("spec", "selector"): MAP, ("spec", "selector", "matchLabels"): MAP,
    ("spec", "template"): MAP, **{("spec", "template", *p): s for p, s in _META.items()},
    **{("spec", "template", "spec", *p): s for p, s in _POD.items()},
    ("spec", "jobTemplate"): MAP, ("spec", "jobTemplate", "spec"): MAP,
    ("spec", "jobTemplate", "spec", "template"): MAP,
    **{("spec", "jobTemplate", "spec", "template", *p): s for p, s in _META.items()},
    **{("spec", "jobTemplate", "spec", "template", "spec", *p): s for p, s in _POD.items()},
    ("data",): MAP, ("stringData",): MAP, ("binaryData",): MAP,
}
_BY_KIND = {
    "Pod": {**_META, **{("spec", *p): s for p, s in _POD.items()}},
    "Service": {**_META, ("spec",): MAP, ("spec", "selector"): MAP, ("spec", "ports"): LIST,
                ("spec", "ports", "*"): MAP},
    "Ingress": {**_META, ("spec",): MAP, ("spec", "rules"): LIST, ("spec", "rules", "*"): MAP,
                ("spec", "rules", "*", "http"): MAP, ("spec", "rules", "*", "http", "paths"): LIST,
                ("spec", "rules", "*", "http", "paths", "*"): MAP,
                ("spec", "rules", "*", "http", "paths", "*", "backend"): MAP,
                ("spec", "rules", "*", "http", "paths", "*", "backend", "service"): MAP,
                ("spec", "rules", "*", "http", "paths", "*", "backend", "service", "port"): MAP,
                ("spec", "defaultBackend"): MAP, ("spec", "tls"): LIST, ("spec", "tls", "*"): MAP},
    "NetworkPolicy": {**_META, ("spec",): MAP, ("spec", "podSelector"): MAP,
                      ("spec", "podSelector", "matchLabels"): MAP, ("spec", "policyTypes"): LIST,
                      **{("spec", way, *path): shape for way, peer in (("ingress", "from"), ("egress", "to"))
                         for path, shape in {(): LIST, ("*",): MAP, ("*", peer): LIST, ("*", peer, "*"): MAP,
                                             ("*", peer, "*", "podSelector"): MAP,
                                             ("*", peer, "*", "podSelector", "matchLabels"): MAP,
                                             ("*", peer, "*", "namespaceSelector"): MAP,
                                             ("*", peer, "*", "namespaceSelector", "matchLabels"): MAP,
                                             ("*", peer, "*", "ipBlock"): MAP,
                                             ("*", "ports"): LIST, ("*", "ports", "*"): MAP}.items()}},
    "PersistentVolumeClaim": {**_META, ("spec",): MAP, ("spec", "accessModes"): LIST,
                              ("spec", "resources"): MAP, ("spec", "resources", "requests"): MAP},
    "HorizontalPodAutoscaler": {**_META, ("spec",): MAP, ("spec", "scaleTargetRef"): MAP,
                                ("spec", "metrics"): LIST, ("spec", "metrics", "*"): MAP},
    "PodDisruptionBudget": {**_META, ("spec",): MAP, ("spec", "selector"): MAP,
                            ("spec", "selector", "matchLabels"): MAP},
}


def _table(kind: object) -> dict[tuple, str]:
    return _BY_KIND.get(kind, _OBJECT) if isinstance(kind, str) else _META


def _tree(table: dict[tuple, str]) -> dict:
    """The table as nested dicts (``"": shape`` at each node) so one walk visits only the
    paths present in the object."""
    root: dict = {}
    for path, shape in table.items():
        node = root
        for part in path:
            node = node.setdefault(part, {})
        node[""] = shape
    return root


_TREES: dict = {}


def shape_problems(obj: dict) -> list[tuple[tuple, str]]:
    """(path, "expected a list, got a string") for each value of ``obj`` whose shape the
    rules rely on and which has another; ``None`` (unset) is accepted everywhere."""
    kind = obj.get("kind")
    key = kind if isinstance(kind, str) and kind in _BY_KIND else "*"
    if key not in _TREES:
        _TREES[key] = _tree(_table(kind if key != "*" else "Deployment"))
    problems: list[tuple[tuple, str]] = []
    _walk(obj, _TREES[key], (), problems)
    return problems


def _walk(value: object, node: dict, path: tuple, problems: list) -> None:
    shape = node.get("")
    if value is None:
        return
    if shape == MAP and not isinstance(value, dict) or shape == LIST and not isinstance(value, list):
        problems.append((path, f"expected {shape}, got {describe(value)}"))
        return
    if isinstance(value, dict):
        for key, child in node.items():
            if key not in ("", "*") and key in value:
                _walk(value[key], child, (*path, key), problems)
    elif isinstance(value, list) and "*" in node:
        for index, item in enumerate(value):
            _walk(item, node["*"], (*path, index), problems)


def describe(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
