"""Wiring checks across a set of manifests: what schema validation cannot see.

Selectors match their pod templates; long-running containers have readiness and liveness
probes and resource requests and limits; Services select pods and target declared ports;
StatefulSets name an existing headless Service; probes target declared ports; every pod
is governed by NetworkPolicies for ingress and egress; PodDisruptionBudgets allow a
disruption; HorizontalPodAutoscalers scale an existing workload whose containers request
the resources their utilization targets are a percentage of; init containers have resources;
RoleBindings name a Role and ServiceAccounts of the set; images are pinned to a tag; no secret
literal sits in an environment variable.
"""
from __future__ import annotations

import re

from msgspec import Struct

from ..apirules.rules import whole
from ..compose.interpolate import is_file_pointer, is_secret_name
from ..secretscan import SECRET_MARK, describe, scan_file, scan_value
from .pss import TEMPLATE_PATHS

_REFERENCE = re.compile(r"\$\([A-Za-z_][A-Za-z0-9_]*\)")  # $(VAR): Kubernetes reads it from env
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod",
                  "ReplicationController"}


class Issue(Struct, frozen=True):
    rule: str
    message: str


def _group(api_version: str) -> str:
    return api_version.split("/")[0] if "/" in api_version else ""


def pod_template(obj: dict) -> dict | None:
    path = TEMPLATE_PATHS.get((_group(str(obj.get("apiVersion", ""))), str(obj.get("kind", ""))))
    if path is None:
        return None
    node: object = obj
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else None


def _labels(template: dict) -> dict:
    return (template.get("metadata") or {}).get("labels") or {}


def _containers(template: dict) -> list[dict]:
    spec = template.get("spec") or {}
    return list(spec.get("containers") or []) + list(spec.get("initContainers") or [])


def _selects(selector: dict | None, labels: dict) -> bool:
    """A LabelSelector (matchLabels and matchExpressions) against labels; empty selects all."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def _namespace(obj: dict) -> str:
    return (obj.get("metadata") or {}).get("namespace") or "default"


def _declared_ports(template: dict) -> tuple[set[int], set[str]]:
    numbers, names = set(), set()
    for c in _containers(template):
        for p in c.get("ports") or []:
            numbers.add(p.get("containerPort"))
            if p.get("name"):
                names.add(p["name"])
    return numbers, names


def wiring_issues(objects: list[dict], secrets: bool = True) -> dict[int, list[Issue]]:
    """Issues by index of the object in ``objects`` (``secrets``: also credentials in
    annotations and ConfigMap data)."""
    found: dict[int, list[Issue]] = {}

    def add(i: int, rule: str, message: str) -> None:
        found.setdefault(i, []).append(Issue(rule, message))

    pods = [(i, o, t) for i, o in enumerate(objects) if (t := pod_template(o)) is not None]
    policies = [o for o in objects if o.get("kind") == "NetworkPolicy"]
    services = {(_namespace(o), (o.get("metadata") or {}).get("name")): o
                for o in objects if o.get("kind") == "Service"}
    for i, obj, template in pods:
        _check_workload(i, obj, template, add, services, policies)
    names = {(o.get("kind"), _namespace(o), (o.get("metadata") or {}).get("name")) for o in objects}
    for i, obj in enumerate(objects):
        if secrets:
            _check_secret_text(i, obj, add)
        if obj.get("kind") == "RoleBinding":
            _check_binding(i, obj, names, add)
        if obj.get("kind") == "Service":
            _check_service(i, obj, pods, add)
        elif obj.get("kind") == "PodDisruptionBudget":
            _check_pdb(i, obj, pods, add)
        elif obj.get("kind") == "HorizontalPodAutoscaler":
            _check_hpa(i, obj, pods, add)
    return found


def _check_secret_text(i, obj, add) -> None:
    """Credentials in annotations and ConfigMap data, found by the same detector as the plan's."""
    annotations = (obj.get("metadata") or {}).get("annotations") if isinstance(obj.get("metadata"), dict) else None
    for key, value in (annotations or {}).items() if isinstance(annotations, dict) else ():
        if isinstance(value, str) and (found := scan_value(value)):
            add(i, "secret-literal", f"annotation {key} holds {describe(found)}")
    if obj.get("kind") == "ConfigMap" and isinstance(obj.get("data"), dict):
        for key, text in obj["data"].items():
            if isinstance(text, str) and (found := scan_file(text, str(key))):
                add(i, "secret-literal", f"data key {key} holds {describe(found)} at line {found[0].line}; "
                    "a ConfigMap is not a Secret")


def _check_hpa(i, obj, pods, add) -> None:
    spec = obj.get("spec") or {}
    ref = spec.get("scaleTargetRef") or {}
    targets = [(o, t) for _, o, t in pods if _namespace(o) == _namespace(obj) and o.get("kind") == ref.get("kind")
               and (o.get("metadata") or {}).get("name") == ref.get("name")
               and _group(str(o.get("apiVersion", ""))) == _group(str(ref.get("apiVersion", "")))]
    if not targets:
        add(i, "hpa-target", f"scaleTargetRef {ref.get('kind')}/{ref.get('name')} names no workload here")
        return
    if ref.get("kind") not in ("Deployment", "StatefulSet", "ReplicaSet"):
        add(i, "hpa-target", f"scaleTargetRef {ref.get('kind')}/{ref.get('name')} cannot be scaled")
    if "replicas" in (targets[0][0].get("spec") or {}) and (targets[0][0].get("spec") or {}).get("replicas") is not None:
        add(i, "hpa-replicas", f"{ref.get('kind')}/{ref.get('name')} sets spec.replicas, which every "
            "apply resets under the autoscaler")
    for metric in spec.get("metrics") or []:
        resource = (metric.get("resource") or {}) if metric.get("type") == "Resource" else {}
        if (resource.get("target") or {}).get("type") != "Utilization":
            continue
        for c in (targets[0][1].get("spec") or {}).get("containers") or []:
            if resource.get("name") not in ((c.get("resources") or {}).get("requests") or {}):
                add(i, "hpa-requests", f"a {resource.get('name')} utilization target needs a "
                    f"{resource.get('name')} request; container {c.get('name')!r} has none")


def _check_workload(i, obj, template, add, services, policies) -> None:
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    labels = _labels(template)
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
        if not _selects(spec.get("selector"), labels) or not spec.get("selector"):
            add(i, "selector-mismatch", "spec.selector does not match the pod template's labels")
    if kind == "StatefulSet":
        target = services.get((_namespace(obj), spec.get("serviceName")))
        if target is None:
            add(i, "statefulset-service", f"serviceName {spec.get('serviceName')!r} names no Service")
        elif (target.get("spec") or {}).get("clusterIP") != "None":
            add(i, "statefulset-service", f"serviceName {spec.get('serviceName')!r} is not a headless Service")
    numbers, names = _declared_ports(template)
    for c in _containers(template):
        name = c.get("name")
        image = str(c.get("image", ""))
        last = image.split("@")[0].rsplit("/", 1)[-1]
        if "@" not in image and (":" not in last or last.endswith(":latest")):
            add(i, "image-tag", f"container {name!r}: image {image!r} is not pinned to a tag other than latest")
        long_running = kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")
        if long_running and c in (template.get("spec") or {}).get("containers", []):
            missing = [p for p in ("readinessProbe", "livenessProbe") if not c.get(p)]
            if missing:
                add(i, "probe-missing", f"container {name!r} is long-running but has no {' or '.join(missing)}")
        if long_running or c in (template.get("spec") or {}).get("initContainers", []):
            # Init containers too: a pod's request is the larger of theirs and its containers'.
            limits = (c.get("resources") or {}).get("limits") or {}
            requests = (c.get("resources") or {}).get("requests") or {}
            if not all(k in limits and k in requests for k in ("cpu", "memory")):
                add(i, "resources-missing", f"container {name!r} needs cpu and memory requests and limits")
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            handler = (c.get(probe) or {}).get("httpGet") or (c.get(probe) or {}).get("tcpSocket")
            if handler is None:
                continue
            port = handler.get("port")
            if (isinstance(port, int) and port not in numbers) or (isinstance(port, str) and port not in names):
                add(i, "probe-port", f"container {name!r}: {probe} targets port {port!r}, which it does not declare")
        for env in c.get("env") or []:
            if "value" in env and env.get("value") and is_secret_name(str(env.get("name", ""))) \
                    and not is_file_pointer(str(env["name"]), str(env["value"])) \
                    and not _REFERENCE.search(str(env["value"])):
                add(i, "secret-literal", f"container {name!r}: env {env['name']} holds a literal value; "
                    "read it from a Secret (valueFrom.secretKeyRef)")
            elif isinstance(env.get("value"), str) and (found := scan_value(_REFERENCE.sub(SECRET_MARK, env["value"]))):
                add(i, "secret-literal", f"container {name!r}: env {env.get('name')} holds {describe(found)}; "
                    "read it from a Secret (valueFrom.secretKeyRef)")
        for key in ("command", "args"):
            for n, word in enumerate(c.get(key) or [] if isinstance(c.get(key), list) else [], start=1):
                if isinstance(word, str) and (found := scan_value(_REFERENCE.sub(SECRET_MARK, word))):
                    add(i, "secret-literal", f"container {name!r}: {key} word {n} holds {describe(found)}; "
                        "pass it as $(VAR) from an env variable read from a Secret")
    for policy_type in ("Ingress", "Egress"):
        governed = any(_namespace(p) == _namespace(obj) and _selects((p.get("spec") or {}).get("podSelector", {}), labels)
                       and policy_type in _policy_types(p) for p in policies)
        if not governed:
            add(i, "network-policy", f"no NetworkPolicy governs its pods' {policy_type.lower()}")


def _policy_types(policy: dict) -> list[str]:
    spec = policy.get("spec") or {}
    if spec.get("policyTypes"):
        return list(spec["policyTypes"])
    return ["Ingress"] + (["Egress"] if "egress" in spec else [])


def _check_service(i, obj, pods, add) -> None:
    spec = obj.get("spec") or {}
    selector = spec.get("selector")
    if not selector:
        return  # a Service without selector points at manual Endpoints
    matches = [t for _, o, t in pods if _namespace(o) == _namespace(obj)
               and all(_labels(t).get(k) == v for k, v in selector.items())]
    if not matches:
        add(i, "service-selector", "spec.selector selects no pod template")
        return
    for port in spec.get("ports") or []:
        target = port.get("targetPort", port.get("port"))
        declared = [_declared_ports(t) for t in matches]
        ok = any((target in nums) if isinstance(target, int) else (target in names) for nums, names in declared)
        if not ok:
            add(i, "service-port", f"port {port.get('name') or port.get('port')!r} targets {target!r}, "
                "which no selected container declares")


def _check_binding(i, obj, names, add) -> None:
    """A RoleBinding grants an existing Role of the set to existing ServiceAccounts: a typo
    would grant nothing (or, later, something else)."""
    ns = _namespace(obj)
    ref = obj.get("roleRef") or {}
    if ref.get("kind") == "Role" and ("Role", ns, ref.get("name")) not in names:
        add(i, "rolebinding-ref", f"roleRef names Role {ref.get('name')!r}, which is not in the set")
    for subject in obj.get("subjects") or []:
        if subject.get("kind") == "ServiceAccount" and \
                ("ServiceAccount", subject.get("namespace") or ns, subject.get("name")) not in names:
            add(i, "rolebinding-ref", f"subject ServiceAccount {subject.get('name')!r} is not in the set")


def _check_pdb(i, obj, pods, add) -> None:
    spec = obj.get("spec") or {}
    selected = [o for _, o, t in pods if _namespace(o) == _namespace(obj) and _selects(spec.get("selector"), _labels(t))]
    if not selected:
        add(i, "pdb-selector", "spec.selector selects no pod template")
    # A malformed count (a string, 1e+23) is the schema's and api-range's finding, not a crash here.
    replicas = sum(whole((o.get("spec") or {}).get("replicas", 1)) or 0 for o in selected)
    max_unavailable = spec.get("maxUnavailable")
    min_available = spec.get("minAvailable")
    if max_unavailable is not None:
        blocked = max_unavailable in (0, "0%", "0")
    elif isinstance(min_available, int):
        blocked = min_available >= replicas
    elif isinstance(min_available, str) and min_available.endswith("%"):
        blocked = min_available == "100%"
    else:
        blocked = False
    if blocked:
        add(i, "pdb-blocks", "it allows no voluntary disruption: node drains would hang")
