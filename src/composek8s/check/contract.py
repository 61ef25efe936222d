"""The runtime contract: what must hold for the objects to work once applied, beyond their
shape.

- ``connectivity``: every host a workload names (in env values, command lines and the
  ConfigMaps it mounts) that is a Service or a workload of the set resolves to a Service port
  whose target is a port the selected pods declare, and the NetworkPolicies allow the flow at
  both ends (the client's egress and the server's ingress; ``netpol.py``). A name with no port
  written (``DB_HOST=db``) must reach at least one of the Service's ports.
- ``persistence``: a data store (a known database, queue or search image, ``plan/images.py``)
  keeps each of its data paths on a read-write claim; a cache's data path, when mounted at
  all, is writable.
"""
from __future__ import annotations

from msgspec import Struct

from ..hostrefs import HostMention, find_hosts, host_context
from ..plan.images import facts
from .netpol import Network, Pod
from .pss import TEMPLATE_PATHS

DATA_STORES = ("database", "queue", "search")  # roles whose data must outlive a pod
CACHES = ("cache",)
MAX_CONFIG_TEXT = 1024 * 1024  # characters scanned per ConfigMap key (the object limit is 1 MiB)


class ContractIssue(Struct, frozen=True):
    index: int  # of the object in the set
    rule: str
    message: str


def _meta(obj: dict) -> dict:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _namespace(obj: dict) -> str:
    return str(_meta(obj).get("namespace") or "default")


def _template(obj: dict) -> dict | None:
    group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    path = TEMPLATE_PATHS.get((group, str(obj.get("kind", ""))))
    if path is None:
        return None
    node: object = obj
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else None


def _dicts(value: object) -> list[dict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _containers(spec: dict) -> list[dict]:
    return _dicts(spec.get("containers")) + _dicts(spec.get("initContainers"))


class _Workload(Struct):
    index: int
    obj: dict
    name: str
    namespace: str
    pod: Pod
    spec: dict  # the pod spec
    numbers: set[tuple[int, str]]  # declared container ports (number, protocol)


def _workloads(objects: list[dict]) -> list[_Workload]:
    found = []
    for index, obj in enumerate(objects):
        template = _template(obj)
        if template is None:
            continue
        spec = template.get("spec") if isinstance(template.get("spec"), dict) else {}
        labels = (template.get("metadata") or {}).get("labels") or {}
        named, numbers = {}, set()
        for c in _containers(spec):
            for p in _dicts(c.get("ports")):
                if isinstance(p.get("containerPort"), int):
                    entry = (p["containerPort"], str(p.get("protocol") or "TCP"))
                    numbers.add(entry)
                    if p.get("name"):
                        named[str(p["name"])] = entry
        found.append(_Workload(index, obj, str(_meta(obj).get("name")), _namespace(obj),
                               Pod(_namespace(obj), dict(labels) if isinstance(labels, dict) else {}, named),
                               spec, numbers))
    return found


def contract_issues(objects: list[dict]) -> list[ContractIssue]:
    workloads = _workloads(objects)
    issues = _connectivity(objects, workloads)
    for w in workloads:
        issues += _persistence(w)
    return issues


# --- connectivity ---------------------------------------------------------------------------

def _texts(w: _Workload, config_maps: dict[tuple[str, str], dict]) -> list[tuple[str, str, bool, bool]]:
    """(where, text, is a value (not a file), names a host when bare) for every value the
    workload's containers read."""
    texts: list[tuple[str, str, bool, bool]] = []
    for c in _containers(w.spec):
        cname = c.get("name")
        for env in _dicts(c.get("env")):
            if isinstance(env.get("value"), str):
                texts.append((f"container {cname!r} env {env.get('name')}", env["value"], True,
                              host_context(str(env.get("name")))))
        for key in ("command", "args"):
            words = c.get(key) if isinstance(c.get(key), list) else []
            for i, word in enumerate(words):
                if isinstance(word, str):
                    previous = words[i - 1] if i and isinstance(words[i - 1], str) else ""
                    texts.append((f"container {cname!r} {key}", word, True,
                                  host_context(previous) or (word.startswith("-") and host_context(word))))
    mounted: list[str] = []
    for volume in _dicts(w.spec.get("volumes")):
        if isinstance(volume.get("configMap"), dict):
            mounted.append(str(volume["configMap"].get("name")))
        for source in _dicts((volume.get("projected") or {}).get("sources") if isinstance(volume.get("projected"), dict) else []):
            if isinstance(source.get("configMap"), dict):
                mounted.append(str(source["configMap"].get("name")))
    for name in dict.fromkeys(mounted):
        cm = config_maps.get((w.namespace, name))
        if cm is None:
            continue
        for key, text in (cm.get("data") or {}).items() if isinstance(cm.get("data"), dict) else ():
            if isinstance(text, str):
                texts.append((f"ConfigMap {name} key {key}", text[:MAX_CONFIG_TEXT], False, False))
    return texts


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _connectivity(objects: list[dict], workloads: list[_Workload]) -> list[ContractIssue]:
    network = Network(objects)
    services: dict[tuple[str, str], dict] = {}
    config_maps: dict[tuple[str, str], dict] = {}
    for o in objects:
        if o.get("kind") == "Service":
            services[(_namespace(o), str(_meta(o).get("name")))] = o
        elif o.get("kind") == "ConfigMap":
            config_maps[(_namespace(o), str(_meta(o).get("name")))] = o
    # Workloads others may name as hosts (a Job among them: it never has a Service).
    workload_names = {(w.namespace, w.name): str(w.obj.get("kind")) for w in workloads}
    issues: list[ContractIssue] = []
    for w in workloads:
        # Host names this workload's namespace resolves: Services and workloads (a workload
        # others name but with no Service is the failure to find), short and qualified.
        names: dict[str, str] = {}
        for ns, name in list(services) + list(workload_names):
            if ns == w.namespace:
                names[name] = name
            names[f"{name}.{ns}"] = names[f"{name}.{ns}.svc"] = names[f"{name}.{ns}.svc.cluster.local"] = name
        seen: set[tuple[str, int | None]] = set()
        for where, text, bare, host_named in _texts(w, config_maps):
            for mention in find_hosts(text, names, bare=bare):
                if mention.bare and not host_named:
                    continue  # POSTGRES_DB=keycloak names a database, not the host keycloak
                target = names[mention.name]
                if target == w.name:
                    continue  # a pod naming itself
                key = (target, mention.effective_port)
                if key in seen:
                    continue
                seen.add(key)
                line = "" if bare else f" line {_line_of(text, mention.start)}"
                problem = _flow_problem(w, target, mention, services, workloads, network,
                                        workload_names.get((w.namespace, target)))
                if problem:
                    issues.append(ContractIssue(w.index, "connectivity", f"{where}{line} names {_written(mention)}: "
                                                f"{problem}"))
    return issues


def _written(mention: HostMention) -> str:
    port = f":{mention.port}" if mention.port is not None else ""
    scheme = f"{mention.scheme}://" if mention.scheme else ""
    return f"{scheme}{mention.name}{port}"


def _flow_problem(source: _Workload, target: str, mention: HostMention, services: dict,
                  workloads: list[_Workload], network: Network, kind: str | None) -> str | None:
    """Why a connection from ``source`` to ``target`` as written would fail, or None."""
    service = services.get((source.namespace, target))
    if service is None:
        what = f"the {kind} {target!r}" if kind else f"the workload {target!r}"
        return f"no Service {target!r} exists ({what} has none), so the name does not resolve"
    spec = service.get("spec") if isinstance(service.get("spec"), dict) else {}
    selector = spec.get("selector") if isinstance(spec.get("selector"), dict) else None
    if not selector:
        return None  # a Service without selector points at endpoints kept elsewhere
    backends = [w for w in workloads if w.namespace == source.namespace
                and all(w.pod.labels.get(k) == v for k, v in selector.items())]
    ports = _dicts(spec.get("ports"))
    wanted = mention.effective_port
    candidates = [p for p in ports if p.get("port") == wanted] if wanted is not None else ports
    if not candidates:
        declared = ", ".join(str(p.get("port")) for p in ports) or "none"
        return f"Service {target!r} has no port {wanted} (its ports: {declared})"
    reasons = []
    for port in candidates:
        protocol = str(port.get("protocol") or "TCP")
        target_port = port.get("targetPort", port.get("port"))
        for backend in backends:
            number = (backend.pod.named_ports.get(target_port) if isinstance(target_port, str)
                      else (target_port, protocol))
            if number is None or number not in backend.numbers:
                reasons.append(f"Service port {port.get('port')} targets {target_port!r}, which {backend.name!r} "
                               "does not declare")
                continue
            ingress = network.allows_ingress(source.pod, backend.pod, number[0], protocol)
            egress = network.allows_egress(source.pod, backend.pod, number[0], protocol)
            if ingress and egress:
                return None
            denied = " and ".join(end for end, ok in ((f"the ingress of {backend.name!r}", ingress),
                                                      (f"the egress of {source.name!r}", egress)) if not ok)
            reasons.append(f"the NetworkPolicies deny it at {denied} (port {number[0]}/{protocol})")
    if not backends:
        return f"Service {target!r} selects no pod"
    return "; ".join(dict.fromkeys(reasons))


# --- persistence -----------------------------------------------------------------------------

def _persistence(w: _Workload) -> list[ContractIssue]:
    if w.obj.get("kind") not in ("Deployment", "StatefulSet", "ReplicaSet", "DaemonSet"):
        return []
    claim_templates = {str(_meta(t).get("name")) for t in _dicts((w.obj.get("spec") or {}).get("volumeClaimTemplates"))}
    volumes = {str(v.get("name")): v for v in _dicts(w.spec.get("volumes"))}
    issues = []
    for c in _dicts(w.spec.get("containers")):
        known = facts(str(c.get("image") or ""))
        if known is None or not known.data or known.role not in DATA_STORES + CACHES or c.get("command"):
            continue  # not a data store, or not running the image's own server
        mounts = _dicts(c.get("volumeMounts"))
        outermost = [p for p in known.data if not any(p.startswith(q.rstrip("/") + "/") for q in known.data)]
        for path in outermost:
            mount = _covering(mounts, path)
            if mount is None:
                if known.role in DATA_STORES:
                    issues.append(ContractIssue(w.index, "persistence", f"container {c.get('name')!r} "
                                                f"({c.get('image')}) keeps its data in {path}, which no volume "
                                                "holds: it is lost whenever the pod is replaced"))
                continue
            name = str(mount.get("name"))
            volume = volumes.get(name, {})
            on_claim = name in claim_templates or "persistentVolumeClaim" in volume
            if mount.get("readOnly") or "configMap" in volume or "secret" in volume or "projected" in volume:
                issues.append(ContractIssue(w.index, "persistence", f"container {c.get('name')!r} "
                                            f"({c.get('image')}) writes its data in {path}, which is mounted "
                                            f"read-only (volume {name!r}): it cannot start"))
            elif not on_claim and known.role in DATA_STORES:
                issues.append(ContractIssue(w.index, "persistence", f"container {c.get('name')!r} "
                                            f"({c.get('image')}) keeps its data in {path} on volume {name!r}, "
                                            "which is not a claim: it is lost whenever the pod is replaced"))
    return issues


def _covering(mounts: list[dict], path: str) -> dict | None:
    """The mount that holds the data at ``path``: at it, the deepest folder above it, else one
    below it (postgres 18 declares /var/lib/postgresql, older tags keep /var/lib/postgresql/data)."""
    best = None
    for m in mounts:
        mount_path = str(m.get("mountPath") or "").rstrip("/") or "/"
        if path == mount_path or path.startswith(mount_path.rstrip("/") + "/"):
            if best is None or len(mount_path) > len(str(best.get("mountPath"))):
                best = m
    if best is None:
        below = [m for m in mounts if str(m.get("mountPath") or "").startswith(path.rstrip("/") + "/")
                 and not m.get("subPath")]
        best = min(below, key=lambda m: len(str(m.get("mountPath"))), default=None)
    return best
