"""The API server's rules applied to whole objects: every field composek8s writes, and the
common ones a hand-written manifest has.

``object_problems(obj)`` walks one object (a plain dict, as YAML gives it) and returns each
``Problem`` with the path of the field, in the order the fields are visited. It never
raises on a malformed object: shapes are the schema's business (``check/schema.py``), so a
field of the wrong shape is skipped here.
"""
from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Iterator
from fractions import Fraction

from msgspec import Struct

from .quantity import parse as parse_quantity
from .quantity import problems as quantity_problems
from .rules import (INT32_MAX, MAX_ANNOTATIONS_SIZE, config_key, data_size, dns1035_label, dns1123_label,
                    dns1123_subdomain, env_var_name, int32, int64, int_or_percent, label_value, path_segment_name,
                    port_name, port_number, port_or_name, protocol, qualified_name, user_id, whole)

Path = tuple


class Problem(Struct, frozen=True):
    """What the API server would refuse: the rule (a finding's name in ``check``, an error
    code ``E-API-…`` in the plan), the path of the field, and why."""

    rule: str
    path: Path
    message: str


# The rules, by family: each is a `check` finding name and, upper-cased, a plan error code.
NAME, LABEL, RANGE, PROTOCOL, QUANTITY, ENV, SIZE, SPEC = (
    "api-name", "api-label", "api-range", "api-protocol", "api-quantity", "api-env", "api-size", "api-spec")

# (API group, kind) -> path to the object holding the pod's `metadata` and `spec`.
TEMPLATE_PATHS: dict[tuple[str, str], tuple[str, ...]] = {
    ("", "Pod"): (),
    ("", "PodTemplate"): ("template",),
    ("", "ReplicationController"): ("spec", "template"),
    ("apps", "Deployment"): ("spec", "template"),
    ("apps", "StatefulSet"): ("spec", "template"),
    ("apps", "DaemonSet"): ("spec", "template"),
    ("apps", "ReplicaSet"): ("spec", "template"),
    ("batch", "Job"): ("spec", "template"),
    ("batch", "CronJob"): ("spec", "jobTemplate", "spec", "template"),
}

# Generated names that must stay labels: a StatefulSet's pods carry `controller-revision-hash:
# <name>-<hash of up to 10 characters>`, a Job's pods `job-name: <name>`, a CronJob's Jobs are
# `<name>-<11 characters>`; each must pass IsValidLabelValue (ValidateCronJob says 52 itself).
_NAME_LIMITS = {("apps", "StatefulSet"): (52, "its pods carry the label controller-revision-hash: "
                                              "<name>-<hash of up to 10 characters>, at most 63 characters"),
                ("batch", "Job"): (63, "its pods carry the label job-name: <name>, at most 63 characters"),
                ("batch", "CronJob"): (52, "its Jobs are named <name>-<11 characters>, at most 63 characters")}
_DNS_LABEL_KINDS = {("", "Namespace")}
_SERVICE_KINDS = {("", "Service")}
_RBAC_GROUP = "rbac.authorization.k8s.io"
_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
_TERMINATION_GRACE_DEFAULT = 30  # core defaults: a pod without one gets 30 s


def object_problems(obj: dict) -> list[Problem]:
    """Everything in ``obj`` the API server would refuse beyond the OpenAPI schema:
    ``ValidateObjectMeta`` on its metadata, the kind's own ``Validate…Spec`` and, for a pod
    template, ``ValidatePodSpec`` (each helper below names the function it follows)."""
    out: list[Problem] = []
    if not isinstance(obj, dict):
        return out
    api_version, kind = str(obj.get("apiVersion", "")), str(obj.get("kind", ""))
    gk = (api_version.rpartition("/")[0], kind)
    add = _adder(out)
    _object_meta(obj.get("metadata"), ("metadata",), gk, add)
    check = _KINDS.get(gk)
    if check is not None:
        check(obj, add)
    template_path = TEMPLATE_PATHS.get(gk)
    if template_path is not None:
        template = _at(obj, template_path)
        if isinstance(template, dict):
            if template_path:
                _meta(template.get("metadata"), template_path + ("metadata",), add)
            _pod_spec(template.get("spec"), template_path + ("spec",), add, _claim_names(obj))
    return out


def _claim_names(obj: dict) -> set[str]:
    """A StatefulSet's volumeClaimTemplates: volumes its containers may mount."""
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    return {str((claim.get("metadata") or {}).get("name")) for _, claim in _items(spec.get("volumeClaimTemplates"))
            if isinstance(claim.get("metadata"), dict)}


Add = Callable[[str, Path, list[str]], None]


def _adder(out: list[Problem]) -> Add:
    def add(rule: str, path: Path, messages: list[str]) -> None:
        out.extend(Problem(rule, path, m) for m in messages)
    return add


# --- metadata ---------------------------------------------------------------------------------

def _object_meta(meta: object, path: Path, gk: tuple[str, str], add: Add) -> None:
    """``ValidateObjectMeta``: the name by the kind's rule, the namespace, labels, annotations."""
    if not isinstance(meta, dict):
        return
    name = meta.get("name")
    if isinstance(name, str):
        if gk in _SERVICE_KINDS:
            rule, why = dns1035_label, "a Service name must be a DNS-1035 label"
        elif gk in _DNS_LABEL_KINDS:
            rule, why = dns1123_label, "a namespace name must be a DNS-1123 label"
        elif gk[0] == _RBAC_GROUP:
            rule, why = path_segment_name, "an RBAC name"
        else:
            rule, why = dns1123_subdomain, "an object name must be a DNS-1123 subdomain"
        add(NAME, path + ("name",), [f"{name!r}: {why}: {m}" for m in rule(name)])
        limit = _NAME_LIMITS.get(gk)
        if limit and len(name) > limit[0]:
            add(NAME, path + ("name",), [f"{name!r} is {len(name)} characters; a {gk[1]} name must be "
                                         f"at most {limit[0]}: {limit[1]}"])
    namespace = meta.get("namespace")
    if isinstance(namespace, str) and namespace:
        add(NAME, path + ("namespace",), [f"namespace {namespace!r}: {m}" for m in dns1123_label(namespace)])
    _meta(meta, path, add, name=False)


def _meta(meta: object, path: Path, add: Add, name: bool = True) -> None:
    """``ValidateLabels`` and ``ValidateAnnotations`` (keys qualified names, the annotations
    at most 256 KiB together)."""
    if not isinstance(meta, dict):
        return
    _labels(meta.get("labels"), path + ("labels",), add)
    annotations = meta.get("annotations")
    if isinstance(annotations, dict):
        size = 0
        for key, value in annotations.items():
            add(LABEL, path + ("annotations", key), [f"annotation key {key!r}: {m}" for m in qualified_name(key)])
            size += len(str(key)) + len(str(value))
        if size > MAX_ANNOTATIONS_SIZE:
            add(SIZE, path + ("annotations",), [f"the annotations hold {size:,} bytes; the API server takes "
                                                f"at most {MAX_ANNOTATIONS_SIZE:,} (256 KiB)"])


def _labels(labels: object, path: Path, add: Add) -> None:
    if not isinstance(labels, dict):
        return
    for key, value in labels.items():
        said = (_label_problems(key, value) if type(key) is str and type(value) is str
                else _label_messages(key, value))
        if said:
            add(LABEL, path + (key,), list(said))


def _label_messages(key: object, value: object) -> tuple[str, ...]:
    return (*(f"label key {key!r}: {m}" for m in qualified_name(key)),
            *(f"label {key!r} value {_short(value)}: {m}" for m in label_value(value)))


# A project's labels are a few pairs repeated on every object and pod template.
_label_problems = functools.lru_cache(maxsize=4096)(_label_messages)


def _selector(selector: object, path: Path, add: Add) -> None:
    if isinstance(selector, dict):
        _labels(selector.get("matchLabels"), path + ("matchLabels",), add)


# --- pods -------------------------------------------------------------------------------------

def _pod_spec(spec: object, path: Path, add: Add, claims: set[str] = frozenset()) -> None:
    """``ValidatePodSpec``: its numbers, IDs, containers and volumes."""
    if not isinstance(spec, dict):
        return
    grace = spec.get("terminationGracePeriodSeconds")
    if grace is not None:
        add(RANGE, path + ("terminationGracePeriodSeconds",), int64(grace))
    if spec.get("activeDeadlineSeconds") is not None:
        add(RANGE, path + ("activeDeadlineSeconds",), int64(spec["activeDeadlineSeconds"], 1))
    for field in ("hostname", "subdomain"):
        if isinstance(spec.get(field), str):
            add(NAME, path + (field,), dns1123_label(spec[field]))
    if isinstance(spec.get("serviceAccountName"), str):
        add(NAME, path + ("serviceAccountName",), dns1123_subdomain(spec["serviceAccountName"]))
    _security_ids(spec.get("securityContext"), path + ("securityContext",), add, pod=True)
    volumes = _volumes(spec.get("volumes"), path + ("volumes",), add) | claims
    grace_seconds = whole(grace) if grace is not None else _TERMINATION_GRACE_DEFAULT
    seen: dict[str, Path] = {}
    port_names: set[str] = set()
    for field in ("initContainers", "containers"):
        for i, container in _items(spec.get(field)):
            _container(container, path + (field, i), add, volumes, grace_seconds, port_names)
            name = container.get("name")
            if isinstance(name, str):
                if name in seen:
                    add(NAME, path + (field, i, "name"), [f"container name {name!r} is used twice"])
                seen[name] = path + (field, i, "name")
    for i, constraint in _items(spec.get("topologySpreadConstraints")):
        if "maxSkew" in constraint:
            add(RANGE, path + ("topologySpreadConstraints", i, "maxSkew"), int32(constraint["maxSkew"], 1))


def _security_ids(ctx: object, path: Path, add: Add, pod: bool = False) -> None:
    """``ValidatePodSecurityContext`` / ``ValidateSecurityContext``: user and group IDs
    (``IsValidUserID``, ``IsValidGroupID``); a container cannot be privileged with
    allowPrivilegeEscalation false."""
    if not isinstance(ctx, dict):
        return
    for field in ("runAsUser", "runAsGroup") + (("fsGroup",) if pod else ()):
        if ctx.get(field) is not None:
            add(RANGE, path + (field,), user_id(ctx[field]))
    for i, gid in _enumerate(ctx.get("supplementalGroups")):
        add(RANGE, path + ("supplementalGroups", i), user_id(gid))
    if not pod and ctx.get("privileged") is True and ctx.get("allowPrivilegeEscalation") is False:
        add(SPEC, path + ("allowPrivilegeEscalation",),
            ["cannot set allowPrivilegeEscalation to false and privileged to true"])


def _container(c: dict, path: Path, add: Add, volumes: set[str], grace: int | None, port_names: set[str]) -> None:
    """``validateContainers``: name, image, ports, env, resources, probes, hooks, mounts."""
    name = c.get("name")
    if isinstance(name, str):
        add(NAME, path + ("name",), [f"container name {name!r}: {m}" for m in dns1123_label(name)])
    if not c.get("image"):
        add(SPEC, path + ("image",), ["a container needs an image"])
    for i, port in _items(c.get("ports")):
        here = path + ("ports", i)
        if "containerPort" in port:
            add(RANGE, here + ("containerPort",), port_number(port["containerPort"]))
        if port.get("hostPort") not in (None, 0):
            add(RANGE, here + ("hostPort",), port_number(port["hostPort"]))
        if "protocol" in port:
            add(PROTOCOL, here + ("protocol",), protocol(port["protocol"]))
        if isinstance(port.get("name"), str):
            add(NAME, here + ("name",), [f"port name {port['name']!r}: {m}" for m in port_name(port["name"])])
            if port["name"] in port_names:
                add(NAME, here + ("name",), [f"port name {port['name']!r} is used twice in the pod"])
            port_names.add(port["name"])
    for i, env in _items(c.get("env")):
        if "name" in env:
            add(ENV, path + ("env", i, "name"), [f"environment variable {_short(env['name'])}: {m}"
                                                 for m in env_var_name(env["name"])])
    _resources(c.get("resources"), path + ("resources",), add)
    for probe in _PROBES:
        _probe(c.get(probe), path + (probe,), probe, add)
    lifecycle = c.get("lifecycle")
    if isinstance(lifecycle, dict):
        for hook in ("postStart", "preStop"):
            sleep = (lifecycle.get(hook) or {}).get("sleep") if isinstance(lifecycle.get(hook), dict) else None
            if isinstance(sleep, dict) and "seconds" in sleep:
                _sleep(sleep["seconds"], grace, path + ("lifecycle", hook, "sleep", "seconds"), add)
    _security_ids(c.get("securityContext"), path + ("securityContext",), add)
    for i, mount in _items(c.get("volumeMounts")):
        if isinstance(mount.get("name"), str) and mount["name"] not in volumes:
            add(SPEC, path + ("volumeMounts", i, "name"), [f"volume {mount['name']!r} is not a volume of the pod"])


def _sleep(seconds: object, grace: int | None, path: Path, add: Add) -> None:
    """``validateSleepAction``: more than 0 seconds and at most the pod's
    terminationGracePeriodSeconds (the hook runs inside the grace period)."""
    out_of_range = int64(seconds, 1)
    add(RANGE, path, out_of_range)
    number = whole(seconds)
    if not out_of_range and grace is not None and number > grace:
        add(SPEC, path, [f"{number} must be at most the pod's terminationGracePeriodSeconds ({grace})"])


def _probe(probe: object, path: Path, which: str, add: Add) -> None:
    """``validateProbe``: int32 timings ≥ 0 (``ValidateNonnegativeField``), successThreshold 1
    for liveness and startup probes, and a port the handler can name."""
    if not isinstance(probe, dict):
        return
    for field in ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"):
        if probe.get(field) is not None:
            add(RANGE, path + (field,), int32(probe[field]))
    if which != "readinessProbe" and probe.get("successThreshold") not in (None, 1):
        add(SPEC, path + ("successThreshold",), [f"must be 1 for a {which}"])
    if probe.get("terminationGracePeriodSeconds") is not None:
        add(RANGE, path + ("terminationGracePeriodSeconds",), int64(probe["terminationGracePeriodSeconds"], 1))
    for handler in ("httpGet", "tcpSocket", "grpc"):
        port = probe.get(handler, {}).get("port") if isinstance(probe.get(handler), dict) else None
        if port is not None:
            add(RANGE, path + (handler, "port"), port_number(port) if handler == "grpc" else port_or_name(port))


def _resources(resources: object, path: Path, add: Add) -> None:
    """``ValidateResourceRequirements``: every quantity canonical and ≥ 0, and each request at
    most its limit."""
    if not isinstance(resources, dict):
        return
    parsed: dict[str, dict[str, Fraction]] = {}
    for part in ("limits", "requests"):
        given = resources.get(part)
        for key, value in given.items() if isinstance(given, dict) else ():
            found = quantity_problems(value)
            add(QUANTITY, path + (part, key), [f"{part}.{key}: {m}" for m in found])
            q = parse_quantity(value)
            if q is not None:
                parsed.setdefault(part, {})[key] = q.value
    for key, request in parsed.get("requests", {}).items():
        limit = parsed.get("limits", {}).get(key)
        if limit is not None and request > limit:
            add(QUANTITY, path + ("requests", key),
                [f"the {key} request {resources['requests'][key]} must be at most its limit "
                 f"{resources['limits'][key]}"])


def _volumes(volumes: object, path: Path, add: Add) -> set[str]:
    """``ValidateVolumes``: unique DNS-1123 label names, valid sources' names and modes,
    projected tokens living 10 minutes to 2^32 seconds. Returns the names."""
    names: set[str] = set()
    for i, volume in _items(volumes):
        here = path + (i,)
        name = volume.get("name")
        if isinstance(name, str):
            add(NAME, here + ("name",), [f"volume name {name!r}: {m}" for m in dns1123_label(name)])
            if name in names:
                add(NAME, here + ("name",), [f"volume name {name!r} is used twice"])
            names.add(name)
        for source, key in (("configMap", "name"), ("secret", "secretName"), ("persistentVolumeClaim", "claimName")):
            ref = volume.get(source, {}).get(key) if isinstance(volume.get(source), dict) else None
            if isinstance(ref, str):
                add(NAME, here + (source, key), dns1123_subdomain(ref))
            mode = volume.get(source, {}).get("defaultMode") if isinstance(volume.get(source), dict) else None
            if mode is not None:
                add(RANGE, here + (source, "defaultMode"), _mode(mode))
        empty = volume.get("emptyDir")
        if isinstance(empty, dict) and empty.get("sizeLimit") is not None:
            add(QUANTITY, here + ("emptyDir", "sizeLimit"), quantity_problems(empty["sizeLimit"]))
        projected = volume.get("projected")
        for j, src in _items(projected.get("sources") if isinstance(projected, dict) else None):
            token = src.get("serviceAccountToken")
            if isinstance(token, dict) and token.get("expirationSeconds") is not None:
                add(RANGE, here + ("projected", "sources", j, "serviceAccountToken", "expirationSeconds"),
                    _in(token["expirationSeconds"], 600, 2**32, "ten minutes to 2^32 seconds"))
    return names


def _mode(mode: object) -> list[str]:
    number = whole(mode)
    if number is None or not 0 <= number <= 0o777:
        return [f"must be a file mode from 0 to 0777 (511), not {mode}"]
    return []


def _in(value: object, low: int, high: int, what: str) -> list[str]:
    number = whole(value)
    return [] if number is not None and low <= number <= high else [f"must be {what}, not {value}"]


# --- kinds ------------------------------------------------------------------------------------

def _workload(obj: dict, add: Add) -> None:
    """``ValidateDeploymentSpec``, ``ValidateStatefulSetSpec``…: replica counts and rollout."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    for field in ("replicas", "minReadySeconds", "revisionHistoryLimit", "progressDeadlineSeconds"):
        if spec.get(field) is not None:
            add(RANGE, ("spec", field), int32(spec[field]))
    _selector(spec.get("selector"), ("spec", "selector"), add)
    rolling = (spec.get("strategy") or {}).get("rollingUpdate") if isinstance(spec.get("strategy"), dict) else None
    if isinstance(rolling, dict):
        for field in ("maxSurge", "maxUnavailable"):
            if rolling.get(field) is not None:
                add(RANGE, ("spec", "strategy", "rollingUpdate", field), int_or_percent(rolling[field]))
        if _zero(rolling.get("maxSurge")) and _zero(rolling.get("maxUnavailable", "25%")):
            add(SPEC, ("spec", "strategy", "rollingUpdate", "maxUnavailable"),
                ["may not be 0 when maxSurge is 0"])
    for i, claim in _items(spec.get("volumeClaimTemplates")):
        here = ("spec", "volumeClaimTemplates", i)
        _object_meta(claim.get("metadata"), here + ("metadata",), ("", "PersistentVolumeClaim"), add)
        _claim_spec(claim.get("spec"), here + ("spec",), add)


def _zero(value: object) -> bool:
    return value in (0, "0%") or (isinstance(value, float) and value == 0)


def _job(obj: dict, add: Add) -> None:
    """``ValidateJobSpec``: its counts and deadlines."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    for field in ("backoffLimit", "completions", "parallelism", "ttlSecondsAfterFinished"):
        if spec.get(field) is not None:
            add(RANGE, ("spec", field), int32(spec[field]))
    if spec.get("activeDeadlineSeconds") is not None:
        add(RANGE, ("spec", "activeDeadlineSeconds"), int64(spec["activeDeadlineSeconds"], 1))


def _service(obj: dict, add: Add) -> None:
    """``ValidateService``: each port's name (a DNS-1123 label), number, protocol, targetPort
    and nodePort, and unique names."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    names: set[str] = set()
    for i, port in _items(spec.get("ports")):
        here = ("spec", "ports", i)
        if isinstance(port.get("name"), str) and port["name"]:
            add(NAME, here + ("name",), [f"port name {port['name']!r}: {m}" for m in dns1123_label(port["name"])])
            if port["name"] in names:
                add(NAME, here + ("name",), [f"port name {port['name']!r} is used twice"])
            names.add(port["name"])
        if "port" in port:
            add(RANGE, here + ("port",), port_number(port["port"]))
        if "protocol" in port:
            add(PROTOCOL, here + ("protocol",), protocol(port["protocol"]))
        if port.get("targetPort") not in (None, 0):
            add(RANGE, here + ("targetPort",), port_or_name(port["targetPort"]))
        if port.get("nodePort") not in (None, 0):
            add(RANGE, here + ("nodePort",), port_number(port["nodePort"]))
    if isinstance(spec.get("selector"), dict):
        _labels(spec["selector"], ("spec", "selector"), add)


def _config_map(obj: dict, add: Add) -> None:
    """``ValidateConfigMap`` / ``ValidateSecret``: keys and the 1 MiB of data."""
    binary_field = "binaryData" if obj.get("kind") == "ConfigMap" else "data"
    text_field = "data" if obj.get("kind") == "ConfigMap" else "stringData"
    text, binary = (obj.get(f) if isinstance(obj.get(f), dict) else {} for f in (text_field, binary_field))
    for field, data in ((text_field, text), (binary_field, binary)):
        for key in data:
            add(NAME, (field, key), [f"key {key!r}: {m}" for m in config_key(key)])
    add(SIZE, (), data_size(text, binary))


def _pdb(obj: dict, add: Add) -> None:
    """``ValidatePodDisruptionBudgetSpec``: minAvailable and maxUnavailable."""
    spec = obj.get("spec")
    if isinstance(spec, dict):
        for field in ("minAvailable", "maxUnavailable"):
            if spec.get(field) is not None:
                add(RANGE, ("spec", field), int_or_percent(spec[field]))
        _selector(spec.get("selector"), ("spec", "selector"), add)


def _hpa(obj: dict, add: Add) -> None:
    """``ValidateHorizontalPodAutoscalerSpec``: 1 ≤ minReplicas ≤ maxReplicas (int32), and
    utilization targets above 0."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    low, high = spec.get("minReplicas", 1), spec.get("maxReplicas")
    add(RANGE, ("spec", "minReplicas"), int32(low, 1))
    if high is not None:
        add(RANGE, ("spec", "maxReplicas"), int32(high, 1))
        if whole(low) is not None and whole(high) is not None and whole(high) < whole(low):
            add(SPEC, ("spec", "maxReplicas"), [f"must be at least minReplicas ({low})"])
    for i, metric in _items(spec.get("metrics")):
        target = (metric.get("resource") or {}).get("target") if isinstance(metric.get("resource"), dict) else None
        if isinstance(target, dict) and target.get("averageUtilization") is not None:
            add(RANGE, ("spec", "metrics", i, "resource", "target", "averageUtilization"),
                int32(target["averageUtilization"], 1))


def _network_policy(obj: dict, add: Add) -> None:
    """``ValidateNetworkPolicySpec``: selectors, ports (number or name, protocol, endPort ≥
    port) and CIDRs."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    _selector(spec.get("podSelector"), ("spec", "podSelector"), add)
    for direction, peers in (("ingress", "from"), ("egress", "to")):
        for i, rule in _items(spec.get(direction)):
            for j, port in _items(rule.get("ports")):
                here = ("spec", direction, i, "ports", j)
                if port.get("port") is not None:
                    add(RANGE, here + ("port",), port_or_name(port["port"]))
                if "protocol" in port:
                    add(PROTOCOL, here + ("protocol",), protocol(port["protocol"]))
                if port.get("endPort") is not None:
                    found = port_number(port["endPort"])
                    if not found and isinstance(port.get("port"), int) and whole(port["endPort"]) < port["port"]:
                        found = [f"must be at least port ({port['port']})"]
                    add(RANGE, here + ("endPort",), found)
            for j, peer in _items(rule.get(peers)):
                here = ("spec", direction, i, peers, j)
                _selector(peer.get("podSelector"), here + ("podSelector",), add)
                _selector(peer.get("namespaceSelector"), here + ("namespaceSelector",), add)
                block = peer.get("ipBlock")
                if isinstance(block, dict):
                    for k, cidr in enumerate([block.get("cidr")] + list(block.get("except") or [])):
                        field = ("cidr",) if k == 0 else ("except", k - 1)
                        add(SPEC, here + ("ipBlock",) + field, _cidr(cidr))


def _cidr(text: object) -> list[str]:
    """``ValidateCIDR``: an address range such as 10.0.0.0/8."""
    try:
        ipaddress.ip_network(str(text), strict=False)
        return [] if "/" in str(text) else [f"{text!r} is not a CIDR (e.g. 10.0.0.0/8)"]
    except ValueError:
        return [f"{text!r} is not a CIDR (e.g. 10.0.0.0/8)"]


def _claim(obj: dict, add: Add) -> None:
    _claim_spec(obj.get("spec"), ("spec",), add)


def _claim_spec(spec: object, path: Path, add: Add) -> None:
    """``ValidatePersistentVolumeClaimSpec``: the storage request, a quantity above 0."""
    if not isinstance(spec, dict):
        return
    requests = (spec.get("resources") or {}).get("requests") if isinstance(spec.get("resources"), dict) else None
    if isinstance(requests, dict) and "storage" in requests:
        found = quantity_problems(requests["storage"])
        parsed = parse_quantity(requests["storage"])
        if not found and parsed is not None and parsed.value <= 0:
            found = ["must be more than 0"]
        add(QUANTITY, path + ("resources", "requests", "storage"), found)


def _ingress(obj: dict, add: Add) -> None:
    """``ValidateIngressSpec``: hosts (DNS-1123 subdomains, or ``*.`` wildcards) and
    backends (a Service name and port)."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    backends: list[tuple[Path, object]] = [(("spec", "defaultBackend"), spec.get("defaultBackend"))]
    for i, rule in _items(spec.get("rules")):
        host = rule.get("host")
        if isinstance(host, str) and host:
            add(NAME, ("spec", "rules", i, "host"), dns1123_subdomain(host[2:] if host.startswith("*.") else host))
        http = rule.get("http")
        for j, p in _items(http.get("paths") if isinstance(http, dict) else None):
            backends.append((("spec", "rules", i, "http", "paths", j, "backend"), p.get("backend")))
    for path, backend in backends:
        service = backend.get("service") if isinstance(backend, dict) else None
        if not isinstance(service, dict):
            continue
        if isinstance(service.get("name"), str):
            add(NAME, path + ("service", "name"), dns1035_label(service["name"]))
        port = service.get("port")
        if isinstance(port, dict) and port.get("number") is not None:
            add(RANGE, path + ("service", "port", "number"), port_number(port["number"]))
        if isinstance(port, dict) and isinstance(port.get("name"), str):
            add(NAME, path + ("service", "port", "name"), port_name(port["name"]))


_KINDS: dict[tuple[str, str], Callable[[dict, Add], None]] = {
    **{("apps", k): _workload for k in ("Deployment", "StatefulSet", "ReplicaSet", "DaemonSet")},
    ("batch", "Job"): _job,
    ("", "Service"): _service,
    ("", "ConfigMap"): _config_map,
    ("", "Secret"): _config_map,
    ("policy", "PodDisruptionBudget"): _pdb,
    ("autoscaling", "HorizontalPodAutoscaler"): _hpa,
    ("networking.k8s.io", "NetworkPolicy"): _network_policy,
    ("networking.k8s.io", "Ingress"): _ingress,
    ("", "PersistentVolumeClaim"): _claim,
}


# --- tolerant accessors -------------------------------------------------------------------------

def _at(obj: object, path: tuple) -> object:
    for key in path:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj


def _items(value: object) -> Iterator[tuple[int, dict]]:
    """The mappings of a list, with their indexes (anything else is the schema's business)."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, dict):
                yield i, item


def _enumerate(value: object) -> Iterator[tuple[int, object]]:
    return enumerate(value) if isinstance(value, list) else iter(())


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 70 else text[:67] + "..."


__all__ = ["Problem", "object_problems", "TEMPLATE_PATHS", "INT32_MAX"]
