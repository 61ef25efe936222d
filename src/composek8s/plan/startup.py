"""Start-up order from ``depends_on``: init containers that hold a pod until its dependencies
are ready, as Compose holds a container.

- ``service_started`` (the default): nothing. Kubernetes starts every pod at once and restarts
  a dependent that fails until its dependency answers.
- ``service_healthy``: an init container ``wait-for-<dep>`` that loops until a TCP connection
  to the dependency's Service succeeds. A Service routes only to Ready pods and readiness
  comes from the dependency's healthcheck, so "connects" means "healthy".
- ``service_completed_successfully``: the dependency runs as a Job, and an init container
  runs ``kubectl wait --for=condition=complete`` on it. Only that init container gets an API
  token (projected into it alone; the pod keeps ``automountServiceAccountToken: false``), a
  Role lets the pod's ServiceAccount read that one Job, and the pod may reach the API server
  (``global.apiServer``). The Job's name carries a hash of what shapes it (see
  ``RunOnceName``), so a changed Job is a new Job rather than a failed update.
- ``required: false``: no wait (the dependent must start without the dependency);
  ``restart: true`` is reported, Kubernetes has no such link.

Every init container is hardened like the main one: non-root, read-only root filesystem, no
capabilities, RuntimeDefault seccomp, and small equal requests and limits.
"""
from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from msgspec import Struct, field

from ..compose import Service
from ..diagnostics import Reporter
from .endpoints import Endpoint
from .model import (OMIT, RUN_ONCE_BASE, Concat, Each, Image, Instance, Item, Name, Namespace, RunOnceName, Value,
                    When, value_of)
from .names import camel_key, dns_name, fit_name, labels
from .network import networks_of

if TYPE_CHECKING:
    from .draft import Draft

# busybox: `sh` and `nc` for the TCP waits; also the chart's `helm test` pod.
WAIT_IMAGE = Image("global.waitImage", "busybox", "1.36.1")
KUBECTL_IMAGE = Image("global.kubectlImage", "registry.k8s.io/kubectl", "v1.33.0")
API_SERVER_CIDRS = ("0.0.0.0/0",)  # where the API server is depends on the cluster: narrow it
API_SERVER_PORTS = (443, 6443)  # the `kubernetes` Service's port, and the API server's own
TOKEN_VOLUME = "wait-api-token"
TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"  # where kubectl looks in a pod
TOKEN_SECONDS = 600  # the kubelet renews it; kubectl wait ends well within it
WAIT_SECONDS = 300  # kubectl wait gives up after this; the kubelet then retries the container
WAIT_USER = 65534  # nobody: the TCP wait reads no file of the pod
TCP_RESOURCES = {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"cpu": "10m", "memory": "16Mi"}}
KUBECTL_RESOURCES = {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "50m", "memory": "64Mi"}}
TCP_WAIT = ('echo "waiting for $WAIT_HOST:$WAIT_PORT"; '
            'until nc -z -w 2 "$WAIT_HOST" "$WAIT_PORT"; do sleep 2; done')


class Startup(Struct):
    """What one service's pod needs to wait for its dependencies."""

    init_containers: list[dict] = field(default_factory=list)
    volumes: list[dict] = field(default_factory=list)
    egress: list[dict] = field(default_factory=list)  # NetworkPolicy egress rules to add
    objects: list[dict] = field(default_factory=list)  # Role and RoleBinding
    images: list[Image] = field(default_factory=list)  # the init containers' images


def plan_startup(draft: Draft) -> None:
    """Pass: the names of the Jobs others wait for, and each pod's waits for its dependencies."""
    kinds = {name: (sd.kind, sd.why) for name, sd in draft.services.items()}
    # Named with a hash of their content (RunOnceName), filled in once the plan is complete.
    # Their pods' job-name label holds the name: the base leaves room for "-<hash>" in 63 characters.
    draft.jobs = {name: RunOnceName(dns_name(name, RUN_ONCE_BASE), ("global.imageRegistry", "global.imagePullSecrets",
                                                                    "secrets.existingSecret", camel_key(name)))
                  for name in draft.awaited if kinds[name][0] == "Job"}
    by_name = {ep.service.name: ep for ep in draft.endpoints}
    starter = StartupPlanner(draft.plan.project, draft.plan.namespace, draft.reporter)
    for svc, sd in draft.each():
        sd.startup = starter.plan(svc, sd.endpoint, sd.component, by_name, kinds, draft.jobs)


def run_once(services: dict[str, Service]) -> dict[str, list[str]]:
    """Services others wait for with ``service_completed_successfully`` → those others."""
    out: dict[str, list[str]] = {}
    for svc in services.values():
        for dep, entry in svc.depends_on.items():
            if entry.condition == "service_completed_successfully" and dep in services:
                out.setdefault(dep, []).append(svc.name)
    return out


def _hardened(user: int | None) -> dict:
    ctx: dict = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "privileged": False,
                 "readOnlyRootFilesystem": True, "runAsNonRoot": True}
    if user is not None:
        ctx["runAsUser"], ctx["runAsGroup"] = user, user
    ctx["seccompProfile"] = {"type": "RuntimeDefault"}
    return ctx


def _container_name(dep: str) -> str:
    """``wait-for-<dep>``, shortened with a hash past 63 characters (a container name is a
    DNS-1123 label): two long dependencies sharing a prefix keep distinct containers."""
    return fit_name(f"wait-for-{dns_name(dep)}")


class StartupPlanner:
    def __init__(self, project: str, namespace: str, reporter: Reporter):
        self.project, self.namespace, self.reporter = project, namespace, reporter

    def plan(self, svc: Service, ep: Endpoint, comp: str, by_name: dict[str, Endpoint],
             kinds: dict[str, tuple[str, str]], jobs: dict[str, RunOnceName]) -> Startup:
        out = Startup()
        waited: list[RunOnceName] = []
        for dep, entry in sorted(svc.depends_on.items()):
            where = entry.position or svc.keys.get("depends_on")
            if entry.restart:
                self.reporter.warn("W-DEPENDS-RESTART", f"service {svc.name!r}: depends_on {dep!r} restart: true "
                                   f"is not mapped: Kubernetes does not restart {svc.name!r} when {dep!r} is "
                                   "updated (roll it out again)", where)
            server = by_name.get(dep)
            if server is None or entry.condition == "service_started" or not entry.required:
                continue
            if entry.condition == "service_healthy":
                container = self._tcp_wait(svc, dep, server, kinds[dep][0], where)
                if container:
                    out.init_containers.append(container)
            elif kinds[dep][0] != "Job":
                self.reporter.warn("W-DEPENDS-NO-WAIT", f"service {svc.name!r} waits for {dep!r} to complete, "
                                   f"but {dep!r} is a {kinds[dep][0]} ({kinds[dep][1]}), which never completes; "
                                   f"{svc.name!r} starts without waiting", where)
            else:
                name = jobs[dep]
                waited.append(name)
                out.init_containers.append(self._job_wait(dep, name))
        if any(c["image"] == WAIT_IMAGE for c in out.init_containers):
            out.images.append(WAIT_IMAGE)
        if waited:
            out.images.append(KUBECTL_IMAGE)
            out.volumes.append(self._token_volume())
            out.egress.append({"to": Each("global.apiServer.cidrs", API_SERVER_CIDRS, {"ipBlock": {"cidr": Item()}}),
                               "ports": Each("global.apiServer.ports", API_SERVER_PORTS,
                                             {"port": Item(), "protocol": "TCP"})})
            out.objects += self._rbac(ep.name, comp, waited)
        return out

    def _tcp_wait(self, svc: Service, dep: str, server: Endpoint, kind: str, where) -> dict | None:
        if kind == "Job":
            self.reporter.warn("W-DEPENDS-NO-WAIT", f"service {svc.name!r} waits for {dep!r} to be healthy, "
                               f"but {dep!r} runs as a Job, which has no Service to report readiness; "
                               f"{svc.name!r} starts without waiting", where)
            return None
        if not server.ports:
            self.reporter.warn("W-DEPENDS-NO-PORT", f"service {svc.name!r} waits for {dep!r} to be healthy, "
                               f"but {dep!r} has no port: Kubernetes cannot observe its health from another "
                               f"pod, so {svc.name!r} starts without waiting (and restarts until {dep!r} "
                               "answers)", where)
            return None
        if not networks_of(svc) & networks_of(server.service):
            self.reporter.warn("W-DEPENDS-NO-WAIT", f"service {svc.name!r} waits for {dep!r} to be healthy, "
                               "but they share no compose network, so it cannot connect to it; "
                               f"{svc.name!r} starts without waiting", where)
            return None
        return {"name": _container_name(dep), "image": WAIT_IMAGE, "imagePullPolicy": "Always",
                "command": ["sh", "-c", TCP_WAIT],
                "env": [{"name": "WAIT_HOST", "value": Name(server.name)},
                        {"name": "WAIT_PORT", "value": str(server.ports[0]["port"])}],
                "resources": json.loads(json.dumps(TCP_RESOURCES)), "securityContext": _hardened(WAIT_USER)}

    def _job_wait(self, dep: str, name: RunOnceName) -> dict:
        # kubectl runs as the pod's user: the kubelet gives the projected token to that user.
        return {"name": _container_name(dep), "image": KUBECTL_IMAGE, "imagePullPolicy": "Always",
                "args": ["wait", "--for=condition=complete", f"--timeout={WAIT_SECONDS}s",
                         "--namespace=$(WAIT_NAMESPACE)", "job/$(WAIT_JOB)"],
                "env": [{"name": "WAIT_JOB", "value": name},
                        {"name": "WAIT_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}],
                "resources": json.loads(json.dumps(KUBECTL_RESOURCES)), "securityContext": _hardened(None),
                "volumeMounts": [{"name": TOKEN_VOLUME, "mountPath": TOKEN_PATH, "readOnly": True}]}

    @staticmethod
    def _token_volume() -> dict:
        """What a pod's automounted token volume holds, for one container only."""
        return {"name": TOKEN_VOLUME, "projected": {"sources": [
            {"serviceAccountToken": {"path": "token", "expirationSeconds": TOKEN_SECONDS}},
            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"fieldPath": "metadata.namespace"}}]}}]}}

    def _rbac(self, name: str, comp: str, jobs: list[RunOnceName]) -> list[dict]:
        meta = {"name": Name(f"{name}-wait"), "namespace": Namespace(self.namespace),
                "labels": labels(self.project, name, comp)}
        role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": meta,
                "rules": [{"apiGroups": ["batch"], "resources": ["jobs"], "resourceNames": list(jobs),
                           "verbs": ["get", "list", "watch"]}]}
        binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": dict(meta),
                   "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": Name(f"{name}-wait")},
                   "subjects": [{"kind": "ServiceAccount", "name": Name(name), "namespace": Namespace(self.namespace)}]}
        return [role, binding]


def finish_job_names(jobs: dict[str, RunOnceName], manifests: dict[str, dict], defaults: dict) -> None:
    """Fill each Job name's hash inputs once the plan is complete: its content (the Job with
    markers as their keys, and the names of the Jobs it waits for) and the values defaults."""
    done: set[str] = set()
    # By marker, not by base: a base is the DNS name (z-migrate), the keys are service names (z_migrate).
    service_of = {id(marker): name for name, marker in jobs.items()}

    def finish(name: str) -> None:
        if name in done:
            return
        done.add(name)
        marker = jobs[name]
        waits = _jobs_in(manifests[name])
        for other in waits:
            if id(other) in service_of:
                finish(service_of[id(other)])
                # A Job waiting for another changes with it: its hash reads that one's values too.
                marker.keys = tuple(dict.fromkeys(marker.keys + other.keys))
        marker.defaults = [value_of(defaults, k, None) for k in marker.keys]
        shape = json.dumps(_shape(manifests[name]), sort_keys=True, separators=(",", ":"))
        marker.content = hashlib.sha256(shape.encode()).hexdigest()[:16]

    for name in sorted(jobs):
        finish(name)


def _jobs_in(data: object) -> list[RunOnceName]:
    if isinstance(data, RunOnceName):
        return [data]
    if isinstance(data, dict):
        return [j for v in data.values() for j in _jobs_in(v)]
    if isinstance(data, (list, tuple)):
        return [j for v in data for j in _jobs_in(v)]
    return []


def _shape(data: object) -> object:
    """``data`` with each marker as what it reads (its key), not its default: the part of an
    object a values change cannot alter."""
    if isinstance(data, Value):
        return {"$value": data.key}
    if isinstance(data, Image):
        return {"$image": data.key}
    if isinstance(data, Name):
        return {"$name": data.base, "override": data.override}
    if isinstance(data, RunOnceName):
        return {"$job": data.base, "content": data.content}
    if isinstance(data, Namespace):
        return "$namespace"
    if isinstance(data, Instance):
        return "$instance"
    if isinstance(data, Item):
        return "$item"
    if data is OMIT:
        return "$omit"
    if isinstance(data, Concat):
        return {"$concat": [_shape(p) for p in data.parts]}
    if isinstance(data, When):
        return {"$when": data.key, "then": _shape(data.then), "else": _shape(data.otherwise)}
    if isinstance(data, Each):
        return {"$each": data.key, "item": _shape(data.item)}
    if isinstance(data, dict):
        return {str(k): _shape(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_shape(v) for v in data]
    return data
