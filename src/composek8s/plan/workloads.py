"""One compose service → its workload, ServiceAccount, PDB, claims and ConfigMaps."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..compose import Service
from ..diagnostics import Reporter
from .autoscaling import hpa_manifest
from .endpoints import Endpoint, declared_ports
from .env import EnvBuilder
from .exceptions import annotations, workload_exceptions
from .images import facts_for, runs_image_server, split_image
from .model import OMIT, Image, Name, Namespace, Value, When, resolve_values
from .names import camel_key, labels, selector_labels
from .network import network_labels
from .probes import override_probe, probes
from .quantities import cpu, memory
from .references import HostRef, Hosts, Reference
from .security import container_security_context, level, pod_security_context, user_ids_and_origin
from .startup import Startup, run_once
from .storage import Storage, config_map, keeps_data, seed_containers

if TYPE_CHECKING:
    from .draft import Draft

# Used when compose sets no deploy.resources (and said so in a warning).
DEFAULT_REQUESTS = {"cpu": "100m", "memory": "128Mi"}
DEFAULT_LIMITS = {"cpu": "500m", "memory": "256Mi"}
PRE_STOP_SECONDS = 5  # lets endpoints drop the pod before it stops taking connections


def pull_policy(tag: str) -> str:
    """``Always`` for an image named by tag: each start gets the tag's current image and the
    registry checks the pod's pull credentials (a cached private image is not reused by a pod
    that may not pull it); ``IfNotPresent`` for a digest, which cannot change."""
    return "IfNotPresent" if "@" in tag else "Always"


def restart_of(svc: Service) -> str:
    """The restart rule in ``restart:``'s words; ``deploy.restart_policy`` wins, as in Compose."""
    policy = svc.restart_policy
    if policy is None:
        return (svc.restart or "").lower()
    if policy.condition == "none":
        return "no"
    if policy.condition == "on-failure":
        return f"on-failure:{policy.max_attempts}" if policy.max_attempts is not None else "on-failure"
    return "always"


def decide_kinds(draft: Draft) -> None:
    """Pass: Deployment, StatefulSet or Job for each service, and why."""
    draft.awaited = run_once(draft.project.services)
    reached: dict[str, list[Reference]] = {}
    for ref in draft.references:
        if ref.source != ref.target:
            reached.setdefault(ref.target, []).append(ref)
    for svc, sd in draft.each():
        known = facts_for(svc)
        awaited = draft.awaited.get(svc.name)
        listens = [p.target for p in declared_ports(svc)]
        sd.kind, sd.why = workload_kind(svc, keeps_data(svc, sd.binds), awaited, listens, reached.get(svc.name, []))
        _warn_restart(svc, sd.kind, listens, reached.get(svc.name, []), awaited, draft.reporter)
        if sd.kind == "Job" and awaited and known and known.stateful and runs_image_server(svc):
            draft.reporter.warn("W-DEPENDS-DATA-STORE", f"service {svc.name!r} runs {svc.image}, a data store, "
                                f"but {', '.join(awaited)} wait for it to complete (service_completed_"
                                "successfully): it becomes a Job that must exit; if they only need it up, "
                                "use condition: service_healthy", svc.position)


def plan_workloads(draft: Draft) -> None:
    """Pass: each service's workload with its ServiceAccount, PodDisruptionBudget, claims,
    ConfigMaps, start-up RBAC and autoscaler; the Secret keys its containers read."""
    plan, reporter = draft.plan, draft.reporter
    planner = WorkloadPlanner(plan.project, plan.namespace, draft.secret, reporter, draft.facts.hosts,
                              draft.facts.differing_env)
    claims: dict[str, str] = {}  # claim name -> the service that made it
    for svc, sd in draft.each():
        kompose = draft.kompose[svc.name]
        objs, envb = planner.manifests(svc, sd.endpoint, sd.kind, sd.storage, sd.component, kompose,
                                       sd.startup, draft.facts.env_refs.get(svc.name, {}))
        if svc.name in draft.jobs:
            next(m for m in objs if m["kind"] == "Job")["metadata"]["name"] = draft.jobs[svc.name]
        for ref in envb.refs.values():
            required, users = draft.secret_users.get((plan.secret_name, ref.variable), (False, set()))
            draft.secret_users[(plan.secret_name, ref.variable)] = (required or ref.required, users | {svc.name})
        for m in objs + sd.startup.objects:
            name = resolve_values(m["metadata"]["name"])
            if m["kind"] == "PersistentVolumeClaim" and name in claims:
                # Compose shares a named volume between services; a claim is made once.
                reporter.warn("W-VOLUME-SHARED", f"service {svc.name!r} shares volume claim "
                              f"{name!r} with {claims[name]!r}; a ReadWriteOnce claim mounts on one "
                              "node only, so both pods must run there (or give the claim a "
                              "ReadWriteMany storageClass)", svc.position)
                continue
            if m["kind"] == "PersistentVolumeClaim":
                claims[name] = svc.name
            sd.objects.append(m)
        if kompose.autoscaling is not None and sd.kind != "Job":
            sd.autoscaler = hpa_manifest(sd.endpoint.name, sd.kind, kompose.autoscaling, plan.project,
                                         plan.namespace, sd.component, camel_key(svc.name))


def _warn_restart(svc: Service, kind: str, listens: list[int], reached: list[Reference],
                  awaited: list[str] | None, reporter: Reporter) -> None:
    """``restart: "no"``/``on-failure`` on a server: it stays long-running, and says so."""
    restart = restart_of(svc)
    if kind == "Job" or "kind" in svc.x_k8s or awaited or not (restart == "no" or restart.startswith("on-failure")):
        return
    why = (f"listens on {', '.join(str(p) for p in listens)}" if listens else
           f"{', '.join(sorted({r.source for r in reached}))} reach{'es' if len({r.source for r in reached}) == 1 else ''} it")
    reporter.warn("W-RESTART-IGNORED", f"service {svc.name!r} has restart: {restart} but {why}: it is a server, "
                  f"not a one-shot task, so it runs as a {kind}, and Kubernetes restarts its pod whenever it "
                  "stops (set x-k8s.kind: Job if it really runs once)",
                  svc.keys.get("restart") or svc.deploy_keys.get("restart_policy") or svc.position)


def workload_kind(svc: Service, keeps_data: bool, awaited_by: list[str] | None = None,
                  listens: list[int] | None = None, reached: list[Reference] | None = None) -> tuple[str, str]:
    """Deployment, StatefulSet or Job, and why (``awaited_by``: the services that wait for it
    to complete, with ``depends_on: {condition: service_completed_successfully}``). A
    ``restart: "no"`` or ``on-failure`` service is a Job only when it is a one-shot: it
    listens on no port and no other service reaches it (``restart`` says what happens after a
    crash, not that a server runs once)."""
    if "kind" in svc.x_k8s:
        label = "kompose.controller.type" in svc.labels
        return svc.x_k8s["kind"], ("x-k8s.kind or its kompose.controller.type label says so" if label
                                   else "x-k8s.kind says so")
    if awaited_by:
        return "Job", (f"{', '.join(awaited_by)} wait{'s' if len(awaited_by) == 1 else ''} for it to "
                       "complete (depends_on: service_completed_successfully): it runs once")
    restart = restart_of(svc)
    if (restart == "no" or restart.startswith("on-failure")) and not listens and not reached:
        return "Job", f"restart: {restart} runs it once (no port, and no service reaches it)"
    known = facts_for(svc)
    if known and known.stateful and keeps_data:
        return "StatefulSet", f"{svc.image} keeps data on a claim"
    return "Deployment", "a long-running service"


_HEAP = re.compile(r"-Xmx(\d+)([kKmMgG]?)\b")
_HEAP_UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30}


def java_heap(svc: Service) -> int | None:
    """The largest JVM heap (``-Xmx``) the service's environment asks for, in bytes
    (``ES_JAVA_OPTS``, ``JAVA_OPTS``, ``JAVA_TOOL_OPTIONS``, Kafka's ``KAFKA_HEAP_OPTS``…)."""
    heaps = [int(n) * _HEAP_UNITS[unit.lower()] for name, value in svc.environment.items()
             if isinstance(value, str) and ("JAVA" in name.upper() or "HEAP" in name.upper())
             for n, unit in _HEAP.findall(value)]
    return max(heaps, default=None)


def _quantities(amounts: dict[str, str]) -> str:
    """``cpu 100m, memory 128Mi``: quantities as a person writes them, not a Python dict."""
    return ", ".join(f"{name} {amount}" for name, amount in amounts.items())


def _needs(svc: Service) -> tuple[int | None, int | None, str]:
    """The JVM heap and the resident memory the service's process needs, in bytes, and where
    the figure comes from. The image's own figures (plan/images.py) count only when the
    service runs the image's server: ``mysql`` as a one-shot client needs no buffer pool."""
    heap = java_heap(svc)
    if heap:
        return heap, None, "-Xmx"
    known = facts_for(svc) if runs_image_server(svc) else None
    if known and known.heap:
        return known.heap, None, f"the -Xmx {svc.image}'s start script sets"
    if known and known.memory:
        return None, known.memory, f"what {svc.image} holds resident at rest"
    return None, None, ""


def resources(svc: Service, reporter: Reporter) -> dict:
    r = svc.resources
    heap, resident, origin = _needs(svc)
    need = heap or resident
    if r is None and need:
        # A heap needs the JVM's own memory (metaspace, threads, buffers) on top: about half
        # again; a server's resident size at rest grows with its load by as much.
        limit = memory(max(int(need * 1.5), 256 * 2**20))
        request = memory(max(need, 128 * 2**20))
        what = f"its JVM heap is {memory(heap)} ({origin})" if heap else f"it needs about {memory(resident)} ({origin})"
        reporter.warn("W-RESOURCES-DEFAULT", f"service {svc.name!r} sets no deploy.resources; {what}, so memory is "
                      f"requested at {request} and limited to {limit}, CPU {DEFAULT_REQUESTS['cpu']} to "
                      f"{DEFAULT_LIMITS['cpu']}", svc.position)
        return {"requests": {"cpu": DEFAULT_REQUESTS["cpu"], "memory": request},
                "limits": {"cpu": DEFAULT_LIMITS["cpu"], "memory": limit}}
    at = svc.deploy_keys.get("resources") or svc.keys.get("deploy") or svc.position
    if r is not None and heap and r.memory_limit and r.memory_limit < heap * 1.25:
        reporter.warn("W-RESOURCES-HEAP", f"service {svc.name!r}: its memory limit {memory(r.memory_limit)} "
                      f"leaves too little beside its JVM heap {memory(heap)} ({origin}): the kernel kills the "
                      "container when the JVM's own memory comes on top; raise the limit to about 1.5x the heap",
                      at)
    if r is not None and resident and r.memory_limit and r.memory_limit < resident:
        reporter.warn("W-RESOURCES-LOW", f"service {svc.name!r}: its memory limit {memory(r.memory_limit)} is "
                      f"below the {memory(resident)} {origin.removeprefix('what ')} in its default "
                      "configuration: the kernel kills the container at start; raise the limit, "
                      "or configure the server smaller", at)
    if r is None:
        reporter.warn("W-RESOURCES-DEFAULT", f"service {svc.name!r} sets no deploy.resources; using "
                      f"requests {_quantities(DEFAULT_REQUESTS)} and limits {_quantities(DEFAULT_LIMITS)} "
                      "(set deploy.resources to size it)", svc.position)
        return {"requests": dict(DEFAULT_REQUESTS), "limits": dict(DEFAULT_LIMITS)}
    limits = {"cpu": cpu(r.cpu_limit) if r.cpu_limit else None,
              "memory": memory(r.memory_limit) if r.memory_limit else None}
    requests = {"cpu": cpu(r.cpu_request) if r.cpu_request else None,
                "memory": memory(r.memory_request) if r.memory_request else None}
    for key in ("cpu", "memory"):
        # A missing request takes the limit (as Kubernetes would); a missing limit the
        # default, or the request when that is larger.
        if requests[key] is None:
            requests[key] = limits[key] or DEFAULT_REQUESTS[key]
        if limits[key] is None:
            bigger = _larger(requests[key], DEFAULT_LIMITS[key], key)
            limits[key] = bigger
    return {"requests": requests, "limits": limits}


def _larger(a: str, b: str, key: str) -> str:
    def amount(q: str) -> float:
        if key == "cpu":
            return float(q[:-1]) / 1000 if q.endswith("m") else float(q)
        units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
        return float(q[:-2]) * units[q[-2:]] if q[-2:] in units else float(q)
    return a if amount(a) >= amount(b) else b


def grace_period(svc: Service) -> int | None:
    """``stop_grace_period`` in whole seconds, at least 1 (None: Kubernetes' default, 30)."""
    return None if svc.stop_grace_period is None else max(1, int(round(svc.stop_grace_period)))


def node_selector(svc: Service) -> dict[str, str]:
    """``platform: linux/arm64`` as the well-known node labels, plus placement constraints."""
    selector = {}
    if svc.platform:
        os_name, _, rest = svc.platform.lower().partition("/")
        selector["kubernetes.io/os"] = os_name
        if rest:
            selector["kubernetes.io/arch"] = rest.partition("/")[0]
    return {**selector, **svc.node_selector}


def rolling_update(svc: Service) -> dict:
    """Without ``update_config``: one new pod ready before an old one goes (no downtime at one
    replica). With it: ``parallelism`` pods at a time (0: all), started first or stopped first."""
    update = svc.update_config
    if update is None:
        return {"maxUnavailable": 0, "maxSurge": 1}
    step = update.parallelism if update.parallelism > 0 else "100%"
    if update.order == "start-first":
        return {"maxUnavailable": 0, "maxSurge": step}
    return {"maxUnavailable": step, "maxSurge": 0}


class WorkloadPlanner:
    def __init__(self, project: str, namespace: str, secret: Name, reporter: Reporter, hosts: Hosts,
                 differing_env: frozenset[str] = frozenset()):
        self.project, self.namespace, self.secret = project, namespace, secret
        self.reporter = reporter
        self.hosts = hosts  # compose host names -> Kubernetes Service names
        self.differing_env = differing_env  # variables set differently by different services

    def meta(self, name: str, comp: str, owner: str | None = None, annotations: dict | None = None) -> dict:
        meta = {"name": Name(name), "namespace": Namespace(self.namespace),
                "labels": labels(self.project, owner or name, comp)}
        if annotations:
            meta["annotations"] = annotations
        return meta

    def manifests(self, svc: Service, ep: Endpoint, kind: str, st: Storage, comp: str,
                  kompose=None, startup: Startup | None = None,
                  host_refs: dict[str, tuple[HostRef, ...]] | None = None) -> tuple[list[dict], EnvBuilder]:
        """``kompose``: the service's ``KomposeSettings`` (pull policy and secret, probes, autoscaling);
        ``startup``: the init containers and objects that order its start (plan.startup);
        ``host_refs``: where its env values name other services (plan.references)."""
        startup = startup or Startup()
        key = camel_key(svc.name)
        uid, gid, uid_origin = user_ids_and_origin(svc, self.reporter)
        envb = EnvBuilder(svc, self.secret, self.reporter, key, self.hosts, host_refs or {}, self.differing_env)
        image = self.image(svc, key)
        policy = (kompose and kompose.pull_policy) or pull_policy(image.tag)
        container: dict = {"name": ep.name, "image": image,
                           "imagePullPolicy": Value(f"{key}.image.pullPolicy", policy)}
        env = envb.env()
        command, args = envb.args(svc.entrypoint, "entrypoint"), envb.args(svc.command, "command")
        env = envb.finish(env)
        if command is not None:
            container["command"] = command
        if args is not None:
            container["args"] = args
        if svc.working_dir:
            container["workingDir"] = svc.working_dir
        if env:
            container["env"] = env
        if ep.ports:
            container["ports"] = [{"name": p["name"], "containerPort": p["port"], "protocol": p["protocol"]}
                                  for p in ep.ports]
        container["resources"] = Value(f"{key}.resources", resources(svc, self.reporter))
        container["securityContext"] = Value(f"{key}.securityContext", container_security_context(svc))
        if kind != "Job":
            container.update(probes(svc, [p["port"] for p in ep.ports], self.reporter))
            for what in ("readiness", "liveness"):
                spec = getattr(kompose, what, None)
                probe = spec and override_probe(svc, container.get(f"{what}Probe"), spec,
                                                [p["port"] for p in ep.ports], self.reporter, what)
                if probe:
                    container[f"{what}Probe"] = probe
            if ep.ports:
                # The API server refuses a sleep longer than the grace period (validateSleepAction).
                sleep = min(PRE_STOP_SECONDS, grace_period(svc) or PRE_STOP_SECONDS)
                container["lifecycle"] = {"preStop": {"sleep": {"seconds": sleep}}}
        if st.mounts:
            container["volumeMounts"] = st.mounts
        pod: dict = {
            "serviceAccountName": Name(ep.name),
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "securityContext": Value(f"{key}.podSecurityContext",
                                     pod_security_context(svc, uid, gid, [p["port"] for p in ep.ports])),
            "imagePullSecrets": Value(f"{key}.image.pullSecrets", [{"name": kompose.pull_secret}])
            if kompose and kompose.pull_secret else Value("global.imagePullSecrets", [], omit_empty=True),
            "nodeSelector": Value(f"{key}.nodeSelector", node_selector(svc), omit_empty=True),
            "tolerations": Value(f"{key}.tolerations", [], omit_empty=True),
            "affinity": Value(f"{key}.affinity", {}, omit_empty=True),
            "initContainers": seed_containers(st, container) + startup.init_containers or OMIT,
            "containers": [container],
        }
        if level(svc) == "privileged":
            for flag, value in (("hostNetwork", svc.network_mode), ("hostPID", svc.pid), ("hostIPC", svc.ipc)):
                if value == "host":
                    pod[flag] = True
        if svc.stop_grace_period is not None:
            pod["terminationGracePeriodSeconds"] = grace_period(svc)
        if kind != "Job":
            pod["topologySpreadConstraints"] = [{
                "maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": selector_labels(self.project, ep.name)}}]
        volumes = list(st.volumes) + startup.volumes
        if kind == "StatefulSet":  # with persistence off, the data lives in emptyDirs
            volumes += [When(f"{key}.persistence.enabled", True, OMIT, {"name": t["metadata"]["name"], "emptyDir": {}})
                        for t in st.claim_templates]
        if volumes:
            pod["volumes"] = volumes
        template = {"metadata": {"labels": {**labels(self.project, ep.name, comp),
                                            **network_labels(svc)}}, "spec": pod}
        # Checkov checks this workload cannot pass, each with its reason (see exceptions.py).
        skips = annotations(workload_exceptions(key, image.tag, env, uid, uid_origin, policy,
                                                [f"{i.repository}:{i.tag}" for i in startup.images]))
        workload = self.workload(svc, ep, kind, st, comp, template, skips)
        if kompose and kompose.autoscaling and "replicas" in workload["spec"]:
            # The autoscaler owns the replica count while it is on.
            workload["spec"]["replicas"] = When(f"{key}.autoscaling.enabled", True, OMIT,
                                                workload["spec"]["replicas"])
        out = [self.service_account(ep.name, comp), workload]
        if kind != "Job":
            out.append(self.pdb(ep.name, comp))
        for claim in st.claims:
            out.append(self.claim(claim, key, ep.name, comp))
        out += [config_map(self.meta(cm["name"], comp, ep.name), cm) for cm in st.config_maps]
        return out, envb

    def image(self, svc: Service, key: str) -> Image:
        if svc.image:
            return Image(f"{key}.image", *split_image(svc.image))
        name = f"{self.project}-{svc.name}:latest"
        repo = split_image(name)[0]
        self.reporter.warn("W-IMAGE-BUILD", f"service {svc.name!r} has only 'build'; using the image "
                           f"name Compose gives it, {name}: push it to a registry and set 'image', or "
                           f"point the chart at it (--set {key}.image.repository=REGISTRY/{repo}) or "
                           f"the manifests (kustomize images: name {repo}, newName REGISTRY/{repo})",
                           svc.keys.get("build"))
        return Image(f"{key}.image", *split_image(name))

    def workload(self, svc: Service, ep: Endpoint, kind: str, st: Storage, comp: str, template: dict,
                 skips: dict | None = None) -> dict:
        key = camel_key(svc.name)
        selector = {"matchLabels": selector_labels(self.project, ep.name)}
        replicas = svc.x_k8s.get("replicas", svc.replicas if svc.replicas is not None else 1)
        if kind == "Job":
            restart = restart_of(svc) or "no"
            if restart in ("always", "unless-stopped"):  # a Job others wait for: retry it until it completes
                restart = "on-failure"
            # on-failure:N retries N times; plain on-failure takes Kubernetes' default of 6.
            retries = int(restart.partition(":")[2] or 6) if restart.startswith("on-failure") else 0
            template["spec"]["restartPolicy"] = "OnFailure" if restart.startswith("on-failure") else "Never"
            spec = {"backoffLimit": retries, "template": template}
            return {"apiVersion": "batch/v1", "kind": "Job",
                "metadata": self.meta(ep.name, comp, annotations=skips), "spec": spec}
        if st.needs_single_replica and replicas > 1:
            self.reporter.warn("W-REPLICAS-VOLUME", f"service {svc.name!r}: {replicas} replicas cannot "
                               "share a ReadWriteOnce claim; running 1", svc.keys.get("deploy"))
            replicas = 1
        if kind == "StatefulSet":
            # With persistence off its data lives in emptyDirs, by choice: `check` is told so.
            off = {**(skips or {}), "check.composek8s.io/skip-persistence": f"{key}.persistence.enabled is "
                   "false: the data lives in emptyDirs and goes with the pod"}
            skips = When(f"{key}.persistence.enabled", True, skips or OMIT, off)
            policy = When(f"{key}.persistence.retain", True, "Retain", "Delete")
            spec = {"replicas": Value(f"{key}.replicas", replicas), "serviceName": Name(f"{ep.name}-headless"),
                    "selector": selector, "template": template,
                    "updateStrategy": {"type": "RollingUpdate"},
                    "persistentVolumeClaimRetentionPolicy": {"whenDeleted": policy, "whenScaled": policy},
                    "volumeClaimTemplates": When(f"{key}.persistence.enabled", True, st.claim_templates, OMIT)}
            return {"apiVersion": "apps/v1", "kind": "StatefulSet",
                "metadata": self.meta(ep.name, comp, annotations=skips), "spec": spec}
        if st.needs_single_replica:
            strategy: dict = {"type": "Recreate"}  # a ReadWriteOnce claim cannot be mounted twice
        else:
            strategy = {"type": "RollingUpdate", "rollingUpdate": rolling_update(svc)}
        spec = {"replicas": Value(f"{key}.replicas", replicas), "revisionHistoryLimit": 5,
                "selector": selector, "strategy": strategy, "template": template}
        if svc.update_config and svc.update_config.delay:
            spec["minReadySeconds"] = max(1, int(round(svc.update_config.delay)))
        return {"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": self.meta(ep.name, comp, annotations=skips), "spec": spec}

    def service_account(self, name: str, comp: str) -> dict:
        return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": self.meta(name, comp),
                "automountServiceAccountToken": False}

    def pdb(self, name: str, comp: str) -> dict:
        # maxUnavailable 1 always allows a disruption, even at one replica: a drain never blocks.
        return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": self.meta(name, comp),
                "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector_labels(self.project, name)},
                         "unhealthyPodEvictionPolicy": "AlwaysAllow"}}

    def claim(self, claim: dict, key: str, owner: str, comp: str) -> dict:
        spec = {"accessModes": Value(f"{key}.persistence.accessModes", ["ReadWriteOnce"]),
                "resources": {"requests": {"storage": claim["size"]}},
                "storageClassName": Value(f"{key}.persistence.storageClass", claim.get("storageClass") or "",
                                          omit_empty=True)}
        # Helm leaves the claim (and its data) in place on `helm uninstall`.
        return {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": self.meta(claim["name"], comp, owner, {"helm.sh/resource-policy": "keep"}),
                "spec": spec}
