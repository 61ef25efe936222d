"""kompose labels: read a service's ``kompose.*`` labels (and its volumes'), as kompose does,
and turn each into the setting ``x-k8s`` gives, so kompose users switch without editing.

Labels that ``x-k8s`` can say (kind, storage, ingress) become ``x-k8s`` settings, merged
under the service's own ``x-k8s``: an explicit ``x-k8s`` key wins over a label, with a
warning when they disagree, and everything downstream reads ``x-k8s`` only. Labels with no
``x-k8s`` counterpart (Service type, pull policy and secret, probe overrides, autoscaling)
are typed settings the plan applies, each exposed as a chart value. Bad values are errors
at the label's line (kompose often falls back to a default silently; we do not guess).

| label | becomes |
|---|---|
| ``kompose.controller.type`` | ``x-k8s.kind``: ``deployment``, ``statefulset``; ``daemonset`` and ``replicationcontroller`` are refused |
| ``kompose.service.type`` | Service ``type`` (chart ``<svc>.service.type``): ``clusterip``, ``nodeport``, ``loadbalancer`` (warned, NetworkPolicy opened on the Service's ports), ``headless`` (``clusterIP: None``; without ports when the service has none) |
| ``kompose.service.nodeport.port`` | the Service port's ``nodePort`` (chart ``<svc>.service.nodePort``), 30000–32767, with type ``nodeport`` and one port |
| ``kompose.service.expose`` | ``x-k8s.ingress``: ``true`` (every host), or hosts ``a.example.com,b.example.com/api`` (one path for all) |
| ``kompose.service.expose.tls-secret`` | ``x-k8s.ingress.tlsSecret`` (needs ``expose``) |
| ``kompose.service.expose.ingress-class-name`` | ``x-k8s.ingress.className`` (needs ``expose``) |
| ``kompose.volume.size`` | ``x-k8s.storage.size`` (on the service, or on a top-level volume it mounts) |
| ``kompose.volume.storage-class-name`` | ``x-k8s.storage.storageClass`` (likewise) |
| ``kompose.image-pull-policy`` | ``imagePullPolicy`` (chart ``<svc>.image.pullPolicy``): ``Always``, ``IfNotPresent``, ``Never`` |
| ``kompose.image-pull-secret`` | pod ``imagePullSecrets`` (chart ``<svc>.image.pullSecrets``, which then replaces ``global.imagePullSecrets`` for it) |
| ``kompose.service.healthcheck.{readiness,liveness}.*`` | that probe only: ``test``, ``http_get_path``/``http_get_port``, ``tcp_port``, ``interval``, ``timeout``, ``retries``, ``start_period`` (``initialDelaySeconds``); ``disable`` is warned and ignored |
| ``kompose.hpa.replicas.min``/``.max``, ``kompose.hpa.cpu``, ``kompose.hpa.memory`` | an ``autoscaling/v2`` HorizontalPodAutoscaler (chart ``<svc>.autoscaling.*``); defaults as kompose's: 1, 3, 50 %, 70 % |
"""
from __future__ import annotations

import re
import shlex
from typing import TYPE_CHECKING

from msgspec import Struct, field, structs

from ..compose import Project, Service
from ..compose.model import Label
from ..compose.units import parse_duration
from ..diagnostics import Position, Reporter
from .probes import ProbeOverride

if TYPE_CHECKING:
    from .draft import Draft

PREFIX = "kompose."
PROBE_FIELDS = ("test", "interval", "timeout", "retries", "start_period", "http_get_path",
                "http_get_port", "tcp_port", "disable")
SUPPORTED = (
    ["kompose.controller.type", "kompose.service.type", "kompose.service.nodeport.port",
     "kompose.service.expose", "kompose.service.expose.tls-secret",
     "kompose.service.expose.ingress-class-name", "kompose.volume.size",
     "kompose.volume.storage-class-name", "kompose.image-pull-policy", "kompose.image-pull-secret",
     "kompose.hpa.replicas.min", "kompose.hpa.replicas.max", "kompose.hpa.cpu", "kompose.hpa.memory"]
    + [f"kompose.service.healthcheck.{probe}.{f}" for probe in ("readiness", "liveness") for f in PROBE_FIELDS])
# kompose labels we know but do not map, and why (the rest of kompose.* is unknown).
NOT_MAPPED = {
    "kompose.service.group": "each compose service is its own pod",
    "kompose.serviceaccount-name": "each workload gets its own ServiceAccount with no token",
    "kompose.security-context.fsgroup": "use x-k8s.gid",
    "kompose.controller.port.expose": "hostPort is refused by the restricted Pod Security profile",
    "kompose.volume.type": "volumes are mapped by what they hold (see volumes)",
}
SERVICE_TYPES = {"clusterip": "ClusterIP", "nodeport": "NodePort", "loadbalancer": "LoadBalancer",
                 "headless": "Headless"}
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
NODE_PORTS = range(30000, 32768)
HPA_DEFAULTS = {"min": 1, "max": 3, "cpu": 50, "memory": 70}  # kompose's defaults
_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T)?$")
_HOST = re.compile(r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class Autoscaling(Struct, frozen=True):
    min_replicas: int
    max_replicas: int
    cpu: int  # target average utilization, % of the CPU request (0: no CPU metric)
    memory: int  # likewise for memory
    position: Position | None = None


class KomposeSettings(Struct):
    """What one service's kompose labels say."""

    x_k8s: dict = field(default_factory=dict)  # in x-k8s form: kind, storage, ingress
    service_type: str | None = None  # ClusterIP | NodePort | LoadBalancer | Headless
    node_port: int | None = None
    pull_policy: str | None = None
    pull_secret: str | None = None
    readiness: ProbeOverride | None = None
    liveness: ProbeOverride | None = None
    autoscaling: Autoscaling | None = None
    positions: dict[str, Position | None] = field(default_factory=dict)  # label -> where

    def at(self, label: str) -> Position | None:
        return self.positions.get(label)


def read_kompose_labels(draft: Draft) -> None:
    """Pass: the services' kompose labels as x-k8s settings (the project is replaced by one
    where they are merged) and as typed settings."""
    draft.project, draft.kompose = apply_kompose_labels(draft.project, draft.reporter)


def apply_kompose_labels(project: Project, reporter: Reporter) -> tuple[Project, dict[str, KomposeSettings]]:
    """The project with each service's label settings merged under its ``x-k8s``, and the
    settings that have no ``x-k8s`` form, by service."""
    settings: dict[str, KomposeSettings] = {}
    services: dict[str, Service] = {}
    for name, svc in project.services.items():
        found = read_labels(svc, project, reporter)
        settings[name] = found
        merged = _merge(svc, found, reporter)
        services[name] = structs.replace(svc, x_k8s=merged) if merged is not svc.x_k8s else svc
    return structs.replace(project, services=services), settings


def kompose_labels(svc: Service) -> dict[str, Label]:
    return {k: v for k, v in svc.labels.items() if k.startswith(PREFIX)}


def read_labels(svc: Service, project: Project, reporter: Reporter) -> KomposeSettings:
    out = KomposeSettings()
    labels = kompose_labels(svc)
    out.positions = {k: v.position for k, v in labels.items()}
    owner = f"service {svc.name!r}"

    def bad(label: str, message: str) -> None:
        reporter.error("E-KOMPOSE", f"{owner}: {label} {message}", out.at(label))

    for key, label in labels.items():
        if key in SUPPORTED:
            continue
        why = NOT_MAPPED.get(key)
        reporter.warn("W-KOMPOSE-LABEL", f"{owner}: label {key!r} is ignored: "
                      + (f"{why}" if why else "it is not a kompose label composek8s maps")
                      + f" (supported: {', '.join(_short(SUPPORTED))})", label.position)
    text = {k: v.value for k, v in labels.items()}

    kind = text.get("kompose.controller.type")
    if kind is not None:
        lowered = kind.lower()
        if lowered in ("deployment", "statefulset"):
            out.x_k8s["kind"] = "Deployment" if lowered == "deployment" else "StatefulSet"
        elif lowered == "daemonset":
            bad("kompose.controller.type", "daemonset is refused: a DaemonSet runs one pod on every "
                "node, which is what node agents need, and they need host access the restricted "
                "profile refuses; an application scales by replicas (pods are already spread across "
                "nodes): use deployment, or x-k8s.replicas")
        elif lowered == "replicationcontroller":
            bad("kompose.controller.type", "replicationcontroller is refused: ReplicationControllers "
                "are superseded by Deployments; use deployment")
        else:
            bad("kompose.controller.type", f"{kind!r} must be deployment or statefulset")

    stype = text.get("kompose.service.type")
    if stype is not None:
        if stype.lower() in SERVICE_TYPES:
            out.service_type = SERVICE_TYPES[stype.lower()]
        else:
            bad("kompose.service.type", f"{stype!r} must be clusterip, nodeport, loadbalancer or headless")
    node_port = text.get("kompose.service.nodeport.port")
    if node_port is not None:
        number = _whole(node_port)
        if number is None or number not in NODE_PORTS:
            bad("kompose.service.nodeport.port", f"{node_port!r} must be a port in the NodePort range "
                f"{NODE_PORTS.start}-{NODE_PORTS.stop - 1}")
        elif out.service_type != "NodePort":
            bad("kompose.service.nodeport.port", "needs kompose.service.type: nodeport")
        else:
            out.node_port = number

    _expose(text, out, bad)
    _storage(svc, project, text, out, bad, reporter)

    policy = text.get("kompose.image-pull-policy")
    if policy is not None:
        chosen = next((p for p in PULL_POLICIES if p.lower() == policy.lower()), None)
        if chosen is None:
            bad("kompose.image-pull-policy", f"{policy!r} must be Always, IfNotPresent or Never")
        elif chosen != "Always" and "@" not in (svc.image or ""):
            reporter.warn("W-KOMPOSE-PULL", f"{owner}: kompose.image-pull-policy {chosen}: a tag that "
                          "moves is not pulled again, and a pod on a node that has the image cached "
                          "starts without the registry checking its pull credentials (the default, "
                          "Always, does both)", out.at("kompose.image-pull-policy"))
        out.pull_policy = chosen
    secret = text.get("kompose.image-pull-secret")
    if secret is not None:
        if not _DNS.match(secret):
            bad("kompose.image-pull-secret", f"{secret!r} is not a Secret name")
        else:
            out.pull_secret = secret

    for probe in ("readiness", "liveness"):
        setattr(out, probe, _probe(probe, text, out, bad, reporter, owner))
    out.autoscaling = _autoscaling(text, out, bad)
    return out


def _short(labels: list[str]) -> list[str]:
    """The supported labels, with the probe fields folded into one entry per probe."""
    shown = [k for k in labels if ".healthcheck." not in k]
    return shown + ["kompose.service.healthcheck.{readiness,liveness}.{" + ",".join(PROBE_FIELDS) + "}"]


def _whole(text: str) -> int | None:
    return int(text) if re.fullmatch(r"[0-9]+", text) else None


def _expose(text: dict, out: KomposeSettings, bad) -> None:
    expose = text.get("kompose.service.expose")
    tls = text.get("kompose.service.expose.tls-secret")
    cls = text.get("kompose.service.expose.ingress-class-name")
    if expose is None or expose.strip(" ,").lower() in ("", "false"):
        for label, value in (("kompose.service.expose.tls-secret", tls),
                             ("kompose.service.expose.ingress-class-name", cls)):
            if value is not None:
                bad(label, "needs kompose.service.expose")
        return
    ingress: dict = {}
    hosts, paths = [], set()
    for entry in re.split(r"[ ,]*,[ ,]*", expose.strip(" ,").lower()):
        if entry == "true":
            continue
        host, slash, path = entry.partition("/")
        if not _HOST.match(host):
            bad("kompose.service.expose", f"host {host!r} is not a DNS name (write true, or hosts "
                "separated by commas, each optionally with a /path)")
            continue
        hosts.append(host)
        paths.add("/" + path if slash else "/")
    if len(paths) > 1:
        bad("kompose.service.expose", f"gives the paths {', '.join(sorted(paths))}: the Ingress routes "
            "one path (chart: ingress.path) for every host; use one path")
    if len(hosts) == 1:
        ingress["host"] = hosts[0]
    elif hosts:
        ingress["hosts"] = hosts
    if paths and paths != {"/"}:
        ingress["path"] = min(paths)
    if tls is not None:
        if _DNS.match(tls):
            ingress["tlsSecret"] = tls
        else:
            bad("kompose.service.expose.tls-secret", f"{tls!r} is not a Secret name")
    if cls is not None:
        if _DNS.match(cls):
            ingress["className"] = cls
        else:
            bad("kompose.service.expose.ingress-class-name", f"{cls!r} is not an IngressClass name")
    out.x_k8s["ingress"] = ingress


def _storage(svc: Service, project: Project, text: dict, out: KomposeSettings, bad, reporter) -> None:
    """``kompose.volume.*`` on the service, else on the top-level volumes it mounts."""
    storage: dict = {}
    for label, key in (("kompose.volume.size", "size"), ("kompose.volume.storage-class-name", "storageClass")):
        value = text.get(label)
        where = out.at(label)
        if value is None:  # kompose also reads them from the volume's own labels
            asked: dict[str, Position | None] = {}
            for m in svc.volumes:
                found = project.volume_labels.get(m.source or "", {}).get(label) if m.type == "volume" else None
                if found is not None:
                    asked.setdefault(found.value, found.position)
            if not asked:
                continue
            if len(asked) > 1 and key == "storageClass":
                reporter.error("E-KOMPOSE", f"service {svc.name!r}: its volumes ask for the storage "
                               f"classes {', '.join(sorted(asked))}; one class applies to all of a "
                               "service's claims", list(asked.values())[1])
                continue
            value = max(asked, key=_bytes)
            where = out.positions[label] = asked[value]
            if len(asked) > 1:
                reporter.warn("W-KOMPOSE-VOLUME", f"service {svc.name!r}: its volumes ask for "
                              f"{', '.join(sorted(asked))}; every claim of a service has one size, "
                              f"so each gets {value}", where)
        if key == "size" and not _QUANTITY.match(value):
            reporter.error("E-KOMPOSE", f"service {svc.name!r}: {label} {value!r} is not a quantity "
                           "like 10Gi", where)
        elif key == "storageClass" and not _DNS.match(value):
            reporter.error("E-KOMPOSE", f"service {svc.name!r}: {label} {value!r} is not a "
                           "StorageClass name", where)
        else:
            storage[key] = value
    if storage:
        out.x_k8s["storage"] = storage


def _bytes(quantity: str) -> float:
    m = _QUANTITY.match(quantity)
    if not m:
        return 0
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "k": 1e3, "M": 1e6,
             "G": 1e9, "T": 1e12, None: 1}
    return float(quantity[:len(quantity) - len(m.group(2) or "")]) * units[m.group(2)]


def _probe(probe: str, text: dict, out: KomposeSettings, bad, reporter: Reporter, owner: str) -> ProbeOverride | None:
    prefix = f"kompose.service.healthcheck.{probe}."
    given = {k[len(prefix):]: v for k, v in text.items() if k.startswith(prefix) and k[len(prefix):] in PROBE_FIELDS}
    if not given:
        return None
    first = out.at(prefix + next(iter(given)))
    values: dict = {}
    disable = given.pop("disable", None)
    if disable is not None and disable.lower() in ("true", "1"):
        reporter.warn("W-KOMPOSE-PROBE", f"{owner}: {prefix}disable is ignored: every long-running "
                      f"container keeps its {probe} probe (without one, a pod that stops answering "
                      "keeps receiving traffic or is never restarted)", out.at(prefix + "disable"))
    test = given.get("test")
    if test is not None:
        try:
            words = shlex.split(test)
        except ValueError as exc:
            bad(prefix + "test", f"cannot be split into words: {exc}")
            words = []
        if words and words[0] == "NONE":
            reporter.warn("W-KOMPOSE-PROBE", f"{owner}: {prefix}test NONE is ignored: the {probe} "
                          "probe stays", out.at(prefix + "test"))
            words = []
        if words and words[0] == "CMD-SHELL":
            values["test"] = ("CMD-SHELL", shlex.join(words[1:]) if len(words) > 2 else " ".join(words[1:]))
        elif words:
            values["test"] = ("CMD", *(words[1:] if words[0] == "CMD" else words))
        if "test" in values and len(values["test"]) < 2:
            bad(prefix + "test", "names no command")
            values.pop("test")
    for name in ("http_get_port", "tcp_port", "retries"):
        if name in given:
            number = _whole(given[name])
            limit = 65535 if name != "retries" else 10**6
            if number is None or not 0 < number <= limit:
                bad(prefix + name, f"{given[name]!r} must be a whole number"
                    + (" from 1 to 65535" if name != "retries" else " of at least 1"))
            else:
                values[name] = number
    if "http_get_path" in given:
        if not given["http_get_path"].startswith("/"):
            bad(prefix + "http_get_path", f"{given['http_get_path']!r} must start with '/'")
        else:
            values["http_get_path"] = given["http_get_path"]
    for name in ("interval", "timeout", "start_period"):
        if name in given:
            try:
                values[name] = parse_duration(given[name])
            except ValueError:
                bad(prefix + name, f"{given[name]!r} is not a duration like 10s or 1m30s")
    handlers = [h for h in ("test", "http", "tcp_port") if h in values or (
        h == "http" and ("http_get_path" in values or "http_get_port" in values))]
    if len(handlers) > 1:
        bad(prefix + handlers[0] if handlers[0] != "http" else prefix + "http_get_path",
            "and another check are both given: a probe runs one check (test, http_get_* or tcp_port)")
    return ProbeOverride(test=values.get("test"), http_path=values.get("http_get_path"),
                         http_port=values.get("http_get_port"), tcp_port=values.get("tcp_port"),
                         interval=values.get("interval"), timeout=values.get("timeout"),
                         retries=values.get("retries"), start_period=values.get("start_period"),
                         position=first)


def _autoscaling(text: dict, out: KomposeSettings, bad) -> Autoscaling | None:
    names = {"min": "kompose.hpa.replicas.min", "max": "kompose.hpa.replicas.max",
             "cpu": "kompose.hpa.cpu", "memory": "kompose.hpa.memory"}
    if not any(label in text for label in names.values()):
        return None
    values = dict(HPA_DEFAULTS)
    for key, label in names.items():
        if label not in text:
            continue
        raw = text[label]
        if key in ("cpu", "memory"):
            number = _whole(raw.removesuffix("%").strip())
            if number is None or not 0 < number <= 100:
                hint = (" (kompose reads a percentage of the request here; for a quantity like "
                        "512Mi it silently uses 70)") if key == "memory" and _QUANTITY.match(raw) else ""
                bad(label, f"{raw!r} must be a utilization percentage from 1 to 100{hint}")
                continue
        else:
            number = _whole(raw)
            if number is None or number < 1:
                bad(label, f"{raw!r} must be a whole number of at least 1")
                continue
        values[key] = number
    if values["max"] < values["min"]:
        bad(names["max"], f"{values['max']} is below kompose.hpa.replicas.min ({values['min']})")
    first = next(out.at(label) for label in names.values() if label in text)
    return Autoscaling(values["min"], values["max"], values["cpu"], values["memory"], first)


def _merge(svc: Service, found: KomposeSettings, reporter: Reporter) -> dict:
    """``x-k8s`` from the labels under the service's own ``x-k8s``: explicit keys win."""
    if not found.x_k8s:
        return svc.x_k8s
    explicit = svc.x_k8s
    merged = dict(explicit)
    label_of = {"kind": "kompose.controller.type", "size": "kompose.volume.size",
                "storageClass": "kompose.volume.storage-class-name", "host": "kompose.service.expose",
                "hosts": "kompose.service.expose", "path": "kompose.service.expose",
                "tlsSecret": "kompose.service.expose.tls-secret",
                "className": "kompose.service.expose.ingress-class-name"}

    def conflict(path: str, ours: object, theirs: object, label: str) -> None:
        if ours != theirs:
            reporter.warn("W-KOMPOSE-CONFLICT", f"service {svc.name!r}: x-k8s.{path} {theirs!r} wins "
                          f"over {label} ({ours!r})", found.at(label))

    for key, value in found.x_k8s.items():
        if key not in explicit:
            merged[key] = value
        elif isinstance(value, dict) and isinstance(explicit[key], dict):
            sub = dict(explicit[key])
            for k, v in value.items():
                # host and hosts say one thing: an explicit either one wins over the label
                same = [s for s in ({"host", "hosts"} if k in ("host", "hosts") else {k}) if s in sub]
                if same:
                    conflict(f"{key}.{same[0]}", v, sub[same[0]], label_of[k])
                else:
                    sub[k] = v
            merged[key] = sub
        else:
            conflict(key, value, explicit[key], label_of.get(key, f"kompose label for {key}"))
    return merged


__all__ = ["apply_kompose_labels", "KomposeSettings", "Autoscaling", "SUPPORTED", "kompose_labels"]


def check_labels_fit(draft: Draft) -> None:
    """Pass, once kinds, ports and volumes are known: what the labels ask of each workload."""
    for svc, sd in draft.each():
        check_kompose_fit(svc, draft.kompose[svc.name], sd.kind, sd.endpoint, sd.storage.needs_single_replica,
                          draft.reporter)


def check_kompose_fit(svc: Service, found: KomposeSettings, kind: str, ep, single_claim: bool,
                      reporter: Reporter) -> None:
    """What the labels ask of this workload, once its kind and ports are known."""
    owner = f"service {svc.name!r}"
    if found.service_type is not None:
        label = "kompose.service.type"
        if kind == "Job":
            reporter.warn("W-KOMPOSE-LABEL", f"{owner}: {label} is ignored: a Job gets no Service",
                          found.at(label))
        elif not ep.ports and found.service_type != "Headless":  # a headless one needs none
            reporter.error("E-KOMPOSE", f"{owner}: {label} needs ports: the service declares none, so "
                           "it gets no Service", found.at(label))
        elif found.service_type in ("NodePort", "LoadBalancer"):
            reporter.warn("W-KOMPOSE-EXPOSED", f"{owner}: {label} {found.service_type} opens the "
                          "service's ports to traffic from outside the cluster (its NetworkPolicy "
                          "allows any source on them); the hardened way in is an Ingress "
                          "(kompose.service.expose or x-k8s.ingress), which adds TLS and one "
                          "controlled entry point", found.at(label))
    if found.node_port is not None and len(ep.ports) > 1:
        reporter.error("E-KOMPOSE", f"{owner}: kompose.service.nodeport.port needs a service with one "
                       f"port; it has {len(ep.ports)}", found.at("kompose.service.nodeport.port"))
    if kind == "Job":
        for probe in ("readiness", "liveness"):
            spec = getattr(found, probe)
            if spec is not None:
                reporter.warn("W-KOMPOSE-LABEL", f"{owner}: the {probe} labels are ignored: a Job "
                              "runs to completion and has no probes", spec.position)
    auto = found.autoscaling
    if auto is None:
        return
    why = None
    if kind == "Job":
        why = "a Job runs to completion; there is nothing to scale"
    elif kind == "StatefulSet" and ep.data_store:
        why = (f"{svc.image} is a data store: more replicas do not make a cluster of it, each new "
               "pod starts with an empty volume of its own")
    elif single_claim and auto.max_replicas > 1:
        why = ("its pods share a ReadWriteOnce claim, which mounts on one node only; give the "
               "volume a ReadWriteMany storageClass and x-k8s.kind StatefulSet, or drop the labels")
    if why:
        reporter.error("E-KOMPOSE", f"{owner}: kompose.hpa.* cannot autoscale it: {why}", auto.position)
