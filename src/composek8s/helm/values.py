"""values.yaml (documented) and values.schema.json (strict), from the markers of a Plan."""
from __future__ import annotations

import json

from ..plan import Plan
from ..plan.defaults import default_values
from ..plan.names import camel_key
from ..plan.security import ALLOWED_CAPS, SAFE_SYSCTLS
from ..synth.output import to_yaml

SERVICE_ORDER = ["image", "replicas", "resources", "env", "podSecurityContext", "securityContext",
                 "service", "persistence", "autoscaling", "ingress", "nodeSelector", "tolerations", "affinity"]
DOCS = {
    "global": "settings shared by every workload",
    "imageRegistry": "registry host prefixed to every image (e.g. registry.example.com); empty: none",
    "imagePullSecrets": "Secrets with registry credentials, as [{name: regcred}]",
    "waitImage": "busybox image of the init containers that wait for a healthy dependency, and of the helm test pod",
    "kubectlImage": "kubectl image of the init containers that wait for a dependency's Job to complete",
    "apiServer": "where pods that wait for a Job reach the Kubernetes API (NetworkPolicy egress)",
    "cidrs": "address ranges of the API server; the default allows any: narrow it to your cluster's",
    "ports": "ports of the API server (443: the kubernetes Service; 6443: the API server itself)",
    "image": "the container image",
    "repository": "image name without the tag",
    "tag": "image tag (or @digest)",
    "pullPolicy": "when the kubelet pulls the image: IfNotPresent, Always or Never",
    "pullSecrets": "Secrets with registry credentials for this service, as [{name: regcred}]; replaces global.imagePullSecrets for it",
    "replicas": "number of pods",
    "resources": "CPU and memory requests and limits (from compose deploy.resources)",
    "env": "non-secret environment variables; secret ones come from the Secret (see secrets)",
    "podSecurityContext": "pod securityContext; the default passes the restricted Pod Security profile, and "
                          "values.schema.json refuses runAsNonRoot false, UID 0 and unsafe sysctls unless the "
                          "compose service opts out (x-k8s.podSecurity)",
    "securityContext": "container securityContext; the default passes the restricted Pod Security profile, and "
                       "values.schema.json refuses privileged, privilege escalation, runAsNonRoot false, UID 0, "
                       "a writable root filesystem and added capabilities unless the compose service opts out "
                       "(x-k8s.podSecurity)",
    "service": "the Kubernetes Service in front of the pods",
    "type": "Service type: ClusterIP, NodePort or LoadBalancer",
    "nodePort": "node port (30000-32767) of the Service's port when type is NodePort or LoadBalancer",
    "autoscaling": "a HorizontalPodAutoscaler that sets the number of pods (replicas is then left to it)",
    "minReplicas": "fewest pods the autoscaler keeps",
    "maxReplicas": "most pods the autoscaler starts",
    "targetCPUUtilizationPercentage": "average CPU use, in % of the CPU request, the autoscaler aims for; 0: not a metric",
    "targetMemoryUtilizationPercentage": "average memory use, in % of the memory request, the autoscaler aims for; 0: not a metric",
    "persistence": "storage for the service's named volumes",
    "enabled": "turn this feature on or off",
    "size": "requested size of each volume claim",
    "storageClass": "StorageClass of the claims; empty: the cluster's default",
    "accessModes": "access modes of the claims",
    "retain": "keep the claims when the StatefulSet is deleted or scaled down",
    "nodeSelector": "node labels the pods must match",
    "tolerations": "taints the pods tolerate",
    "affinity": "pod affinity and anti-affinity rules",
    "ingress": "the Ingress in front of the public service",
    "className": "IngressClass name; empty: the cluster's default class",
    "hosts": "host names routed to the service; empty: every request",
    "path": "URL path prefix routed to the service",
    "tls": "TLS settings, as [{secretName: my-tls, hosts: [app.example.com]}]",
    "networkPolicy": "NetworkPolicies: deny by default, allow what the compose topology uses",
    "podDisruptionBudget": "PodDisruptionBudgets that always allow one voluntary disruption",
    "secrets": "where secret variables come from; no secret value is ever a default",
    "existingSecret": "name of an existing Secret holding the keys listed in values (recommended)",
    "create": "create the Secret from secrets.values (each required key must be given at install)",
    "values": "secret values, only with create: true; give them with --set or a values file kept out of git",
}


def values_tree(plan: Plan) -> dict:
    tree = default_values(plan.resources)
    for name in plan.services:
        tree.setdefault(camel_key(name), {})
    secrets = tree["secrets"]
    secrets["create"] = False
    secrets["values"] = {}
    for name in plan.services:
        service = tree[camel_key(name)]
        tree[camel_key(name)] = {k: service[k] for k in sorted(service, key=_rank)}
    order = ["global", *[camel_key(n) for n in plan.services], "ingress", "networkPolicy",
             "podDisruptionBudget", "secrets"]
    return {k: tree[k] for k in sorted(tree, key=lambda k: order.index(k) if k in order else len(order))}


def _rank(key: str) -> int:
    return SERVICE_ORDER.index(key) if key in SERVICE_ORDER else len(SERVICE_ORDER)


def values_yaml(plan: Plan, tree: dict, header: str) -> str:
    lines = [header.rstrip("\n"), f"# Values of the {plan.project} chart. Defaults are the hardened settings",
             "# that dist/ holds; every key is checked by values.schema.json.", ""]
    services = {camel_key(n): n for n in plan.services}
    for key, value in tree.items():
        doc = (f"the compose service {services[key]!r}" if key in services else DOCS.get(key, key))
        lines += _emit(key, value, 0, doc)
        lines.append("")
    if plan.secret_keys:
        lines += ["# Secret keys the workloads read (set them in the existing Secret, or in",
                  "# secrets.values with secrets.create=true):"]
        lines += [f"#   {k.key}{'' if k.required else ' (optional)'}: used by {', '.join(k.used_by)}"
                  for k in plan.secret_keys if k.secret == plan.secret_name]
    return "\n".join(lines).rstrip() + "\n"


def _emit(key: str, value: object, indent: int, doc: str | None = None) -> list[str]:
    pad = " " * indent
    doc = doc or DOCS.get(key) or f"the {key} setting"
    lines = [f"{pad}# {key}: {doc}"]
    if isinstance(value, dict) and value and all(isinstance(v, (dict, list, str, int, float, bool)) for v in value.values()) \
            and _documented_children(key):
        lines.append(f"{pad}{_key(key)}:")
        for child, v in value.items():
            lines += _emit(child, v, indent + 2)
        return lines
    text = to_yaml({key: value}).rstrip("\n").splitlines()
    lines += [pad + line for line in text]
    return lines


def _documented_children(key: str) -> bool:
    """Maps whose keys are values of their own (not Kubernetes structures passed through)."""
    return key not in ("resources", "podSecurityContext", "securityContext", "nodeSelector",
                       "affinity", "env", "values")


def _key(key: str) -> str:
    return to_yaml({key: None}).split(":")[0] if not key.replace("_", "").isalnum() else key


# --- values.schema.json ---------------------------------------------------------------------

_QUANTITY = {"type": ["string", "number"], "pattern": r"^[0-9]+(\.[0-9]+)?(m|k|Ki|M|Mi|G|Gi|T|Ti)?$"}
_FREE_OBJECT = {"type": "object"}
_PULL_SECRETS = {"type": "array", "items": {"type": "object", "required": ["name"],
                                            "properties": {"name": {"type": "string"}},
                                            "additionalProperties": False}}
_LEAF_SCHEMAS = {
    "replicas": {"type": "integer", "minimum": 0},
    "pullPolicy": {"type": "string", "enum": ["IfNotPresent", "Always", "Never"]},
    "repository": {"type": "string", "minLength": 1},
    "tag": {"type": "string"},
    "imageRegistry": {"type": "string"},
    "imagePullSecrets": _PULL_SECRETS, "pullSecrets": _PULL_SECRETS,
    "nodePort": {"type": "integer", "minimum": 30000, "maximum": 32767},
    "minReplicas": {"type": "integer", "minimum": 1},
    "maxReplicas": {"type": "integer", "minimum": 1},
    "targetCPUUtilizationPercentage": {"type": "integer", "minimum": 0, "maximum": 100},
    "targetMemoryUtilizationPercentage": {"type": "integer", "minimum": 0, "maximum": 100},
    "resources": {"type": "object", "additionalProperties": False, "properties": {
        part: {"type": "object", "additionalProperties": False,
               "properties": {"cpu": _QUANTITY, "memory": _QUANTITY, "ephemeral-storage": _QUANTITY}}
        for part in ("requests", "limits")}},
    "env": {"type": "object", "additionalProperties": {"type": "string"}},
    "podSecurityContext": _FREE_OBJECT, "securityContext": _FREE_OBJECT, "nodeSelector":
        {"type": "object", "additionalProperties": {"type": "string"}},
    "affinity": _FREE_OBJECT, "tolerations": {"type": "array", "items": {"type": "object"}},
    "type": {"type": "string", "enum": ["ClusterIP", "NodePort", "LoadBalancer"]},
    "size": {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T)?$"},
    "storageClass": {"type": "string"},
    "accessModes": {"type": "array", "minItems": 1, "items": {"type": "string", "enum": [
        "ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"]}},
    "enabled": {"type": "boolean"}, "retain": {"type": "boolean"}, "create": {"type": "boolean"},
    "className": {"type": "string"},
    "hosts": {"type": "array", "items": {"type": "string", "pattern":
              r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"}},
    "path": {"type": "string", "pattern": "^/"},
    "tls": {"type": "array", "items": {"type": "object", "additionalProperties": False, "required": ["secretName"],
                                       "properties": {"secretName": {"type": "string"},
                                                      "hosts": {"type": "array", "items": {"type": "string"}}}}},
    "existingSecret": {"type": "string"},
    "cidrs": {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": r"^[0-9a-fA-F.:]+/[0-9]+$"}},
    "ports": {"type": "array", "minItems": 1, "items": {"type": "integer", "minimum": 1, "maximum": 65535}},
}


# Security contexts of a service under `restricted`: `helm install --set` and values files may
# change them, but not below the Pod Security Standards' restricted profile. Host namespaces
# (hostNetwork, hostPID, hostIPC) and host paths are not values at all.
_ID = {"type": "integer", "minimum": 0, "maximum": 2147483647}  # IsValidUserID / IsValidGroupID
_NON_ROOT = {"type": "integer", "minimum": 1, "maximum": 2147483647}
_SECCOMP = {"type": "object", "required": ["type"], "properties": {"type": {"enum": ["RuntimeDefault", "Localhost"]}}}
_NO_HOST_PROCESS = {"type": "object", "properties": {"hostProcess": {"enum": [False]}}}
_CONTAINER_CONTEXT = {
    "type": "object",
    "required": ["allowPrivilegeEscalation", "capabilities", "privileged", "readOnlyRootFilesystem", "runAsNonRoot"],
    "properties": {
        "allowPrivilegeEscalation": {"enum": [False]}, "privileged": {"enum": [False]},
        "readOnlyRootFilesystem": {"enum": [True]}, "runAsNonRoot": {"enum": [True]},
        "runAsUser": _NON_ROOT, "runAsGroup": _ID, "seccompProfile": _SECCOMP, "procMount": {"enum": ["Default"]},
        "windowsOptions": _NO_HOST_PROCESS,
        "capabilities": {"type": "object", "required": ["drop"], "properties": {
            "drop": {"type": "array", "contains": {"enum": ["ALL"]}},
            "add": {"type": "array", "items": {"enum": sorted(ALLOWED_CAPS)}}}},
    },
}
_POD_CONTEXT = {
    "type": "object",
    "required": ["runAsNonRoot", "seccompProfile"],
    "properties": {
        "runAsNonRoot": {"enum": [True]}, "runAsUser": _NON_ROOT, "runAsGroup": _ID, "fsGroup": _ID,
        "supplementalGroups": {"type": "array", "items": _ID}, "seccompProfile": _SECCOMP,
        "windowsOptions": _NO_HOST_PROCESS,
        "sysctls": {"type": "array", "items": {"type": "object", "required": ["name"],
                                               "properties": {"name": {"enum": sorted(SAFE_SYSCTLS)}}}},
    },
}


# Schemas every service repeats are written once, under "definitions", and referenced: inline,
# the security contexts and resources were two thirds of the file (8.4 MB at 1,000 services,
# and Helm keeps the chart in a release Secret of at most 1 MiB).
_DEFINITIONS = {"containerSecurityContext": _CONTAINER_CONTEXT, "podSecurityContext": _POD_CONTEXT,
                "resources": _LEAF_SCHEMAS["resources"]}
_REF = {name: {"$ref": f"#/definitions/{name}"} for name in _DEFINITIONS}


def values_schema(plan: Plan, tree: dict) -> str:
    schema = {"$schema": "https://json-schema.org/draft-07/schema#", "title": f"{plan.project} chart values",
              **_schema_of(tree, None), "definitions": _DEFINITIONS}
    for name in plan.services:
        service = schema["properties"].get(camel_key(name), {})
        contexts = {"securityContext": _REF["containerSecurityContext"],
                    "podSecurityContext": _REF["podSecurityContext"]}
        opted_out = plan.levels.get(name, "restricted") != "restricted"  # in compose, with a reason
        if opted_out or not set(contexts) <= set(service.get("properties", {})):
            continue  # its contexts stay free
        service["properties"].update(contexts)
        service["required"] = sorted(contexts)
    secret_keys = sorted({k.key for k in plan.secret_keys if k.secret == plan.secret_name})
    schema["properties"]["secrets"]["properties"]["values"] = {
        "type": "object", "additionalProperties": False,
        "properties": {k: {"type": "string", "minLength": 1} for k in secret_keys}}
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def _schema_of(value: object, key: str | None) -> dict:
    if key == "resources":
        return _REF["resources"]
    if key in _LEAF_SCHEMAS:
        return _LEAF_SCHEMAS[key]
    if isinstance(value, dict):
        return {"type": "object", "additionalProperties": False,
                "properties": {k: _schema_of(v, k) for k, v in value.items()}}
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, str):
        return {"type": "string"}
    if isinstance(value, list):
        return {"type": "array"}
    return {}
