"""The plan stage: a typed ``Project`` in, every Kubernetes decision out (see DESIGN.md)."""
from __future__ import annotations

import shlex

from ..compose import Project, SecretRef
from ..diagnostics import Reporter
from .apicheck import check_target, refuse_api_violations
from .autoscaling import hpa_manifest
from .configs import config_maps, mount_configs
from .images import facts_for, runs_image_server
from .env import Hosts
from .keys import account_for_keys, account_for_project
from .kompose import apply_kompose_labels, check_kompose_fit
from .model import (RUN_ONCE_BASE, Decision, Name, Namespace, Plan, Resource, RunOnceName, SecretKey, Value,
                    default_values, resolve_values)
from .names import camel_key, dns_name, labels
from .network import (Endpoint, container_ports, ingress_port, ingress_manifest, namespace_policies,
                      network_members, network_ports, policy_manifest, service_manifest)
from .probes import http_get_from, image_healthcheck
from .reach import warn_run_once, warn_undeclared_ports, warn_unreachable
from .secrets import external_secrets, mount_compose_secrets
from .security import LEVELS, level, refuse_unsafe
from .startup import StartupPlanner, finish_job_names, run_once
from .storage import config_map, plan_storage
from .workloads import WorkloadPlanner, component, workload_kind
from .xk8s import validate_project, validate_service

PSS_VERSION = "v1.30"  # the Pod Security Standards version enforced on the namespace


def build_plan(project: Project, reporter: Reporter, namespace: str | None = None) -> Plan:
    """Decide every Kubernetes object for ``project``; raises ``CompileError`` on bad input."""
    validate_project(project.x_k8s, project.keys.get("x-k8s"), reporter)
    for svc in project.services.values():
        validate_service(svc.name, svc.x_k8s, svc.x_k8s_position, reporter)
    reporter.raise_if_errors()
    check_target(project, namespace, reporter)
    project, kompose = apply_kompose_labels(project, reporter)
    ns = namespace or project.x_k8s.get("namespace") or dns_name(project.name)
    secret_name = project.x_k8s.get("secretName") or f"{dns_name(project.name)}-secrets"
    secret = Name(secret_name, override="secrets.existingSecret")
    plan = Plan(project=project.name, namespace=ns, services=list(project.services),
                app_version=_app_version(project), environments_position=project.keys.get("x-k8s"),
                x_k8s_positions=project.x_k8s_positions, levels={s.name: level(s) for s in project.services.values()},
                environments={name: {"namespace": env.get("namespace", ns), "values": env.get("values") or {}}
                              for name, env in sorted(project.x_k8s.get("environments", {}).items())})

    names: dict[str, str] = {}
    for svc in project.services.values():
        try:
            name = dns_name(svc.name)
        except ValueError as exc:
            reporter.error("E-NAME", str(exc), svc.position)
            continue
        if name in names:
            reporter.error("E-NAME-COLLISION", f"services {names[name]!r} and {svc.name!r} both become "
                           f"the Kubernetes name {name!r}", svc.position)
        names[name] = svc.name
    account_for_project(project, reporter)
    for svc in project.services.values():
        refuse_unsafe(svc, reporter)
        account_for_keys(svc, reporter)
    reporter.raise_if_errors()

    endpoints: list[Endpoint] = []
    kinds: dict[str, tuple[str, str]] = {}
    awaited = run_once(project.services)
    for svc in project.services.values():
        known = facts_for(svc)
        has_named = any(m.type == "volume" and m.source for m in svc.volumes)
        kinds[svc.name] = workload_kind(svc, has_named, awaited.get(svc.name))
        if kinds[svc.name][0] == "Job" and awaited.get(svc.name) and known and known.stateful \
                and runs_image_server(svc):
            reporter.warn("W-DEPENDS-DATA-STORE", f"service {svc.name!r} runs {svc.image}, a data store, but "
                          f"{', '.join(awaited[svc.name])} wait for it to complete (service_completed_"
                          "successfully): it becomes a Job that must exit; if they only need it up, "
                          "use condition: service_healthy", svc.position)
        ep = Endpoint(svc, dns_name(svc.name), data_store=bool(known and known.stateful and known.role),
                      service_type=kompose[svc.name].service_type or "ClusterIP",
                      node_port=kompose[svc.name].node_port)
        http_ports = _http_probe_ports(svc)
        for port in container_ports(svc, known.port if known and runs_image_server(svc) else None):
            pname = port.name or ("http" if port.target in http_ports else None) or (
                known.port_name if known and known.port == port.target else None) or f"{port.protocol}-{port.target}"
            ep.ports.append({"name": dns_name(pname, 15), "port": port.target, "protocol": port.protocol.upper()})
        _dedupe_port_names(ep)
        ep.ingress_port = ingress_port(svc)
        if ep.ingress_port is not None and not any(p["port"] == ep.ingress_port for p in ep.ports):
            reporter.error("E-INGRESS-PORT", f"service {svc.name!r}: the ingress port {ep.ingress_port} is "
                           "not one of its ports", svc.x_k8s_position or svc.position)
            ep.ingress_port = None
        if kinds[svc.name][0] == "Job":
            warn_run_once(svc, reporter)
        for port in svc.ports:
            if kinds[svc.name][0] != "Job" and port.published and port.target != ep.ingress_port:
                reporter.warn("W-PORT-PUBLISHED", f"service {svc.name!r}: host port {port.published} has no "
                              f"host in Kubernetes; port {port.target} is reachable inside the cluster "
                              "through the Service (add x-k8s.ingress to expose it)", port.position)
        endpoints.append(ep)

    hosts = Hosts({svc.name: dns_name(svc.name) for svc in project.services.values()})
    warn_unreachable(endpoints, hosts, reporter)
    warn_undeclared_ports(endpoints, hosts, reporter)
    planner = WorkloadPlanner(project.name, ns, secret, reporter, hosts)
    starter = StartupPlanner(project.name, ns, reporter)
    # Jobs others wait for: named with a hash of their content (RunOnceName), in 63 characters.
    jobs = {name: RunOnceName(dns_name(name, RUN_ONCE_BASE), ("global.imageRegistry", "global.imagePullSecrets",
                                                              "secrets.existingSecret", camel_key(name)))
            for name in awaited if kinds[name][0] == "Job"}
    job_manifests: dict[str, dict] = {}
    public = [ep for ep in endpoints if ep.ingress_port is not None and kinds[ep.service.name][0] != "Job"]
    by_name = {ep.service.name: ep for ep in endpoints}
    net_ports, members = network_ports(endpoints), network_members(endpoints)
    secret_users: dict[tuple[str, str], tuple[bool, set[str]]] = {}
    plan.resources.append(Resource(_namespace(project, ns), chart=False))
    plan.resources += [Resource(m, condition="networkPolicy.enabled") for m in namespace_policies(project.name, ns)]
    claims: dict[str, str] = {}  # claim name -> the service that made it
    plan.secret_name = secret_name
    configs = config_maps(project, reporter)
    for body in configs.values():
        if "external" not in body:
            plan.resources.append(Resource(_config_map(body, project.name, ns), None,
                                           project.keys.get("configs")))
    for ep in endpoints:
        svc = ep.service
        kind, why = kinds[svc.name]
        plan.decisions.append(Decision(svc.name, kind, why, svc.position))
        comp = component(svc, kind, ep.ingress_port is not None)
        key = camel_key(svc.name)
        at = svc.position
        st = plan_storage(svc, project, kind == "StatefulSet", reporter)
        mount_compose_secrets(svc, project, st, secret_users, reporter)
        mount_configs(svc, configs, st, reporter)
        for clash in dict.fromkeys(st.clashes):
            reporter.error("E-NAME-COLLISION", f"service {svc.name!r}: two of its mounts would be the pod "
                           f"volume {clash!r} (a named volume and a config, secret or bind mount named "
                           "alike): rename one", svc.position)
        check_kompose_fit(svc, kompose[svc.name], kind, ep, st.needs_single_replica, reporter)
        startup = starter.plan(svc, ep, comp, by_name, kinds, jobs)
        objs, envb = planner.manifests(svc, ep, kind, st, comp, kompose[svc.name], startup)
        if svc.name in jobs:
            job = next(m for m in objs if m["kind"] == "Job")
            job["metadata"]["name"] = jobs[svc.name]
            job_manifests[svc.name] = job
        objs += startup.objects
        for ref in envb.refs.values():
            required, users = secret_users.get((secret_name, ref.variable), (False, set()))
            secret_users[(secret_name, ref.variable)] = (required or ref.required, users | {svc.name})
        for m in objs:
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
            condition = "podDisruptionBudget.enabled" if m["kind"] == "PodDisruptionBudget" else None
            plan.resources.append(Resource(m, svc.name, at, condition))
        if ep.ports and kind != "Job":
            plan.resources.append(Resource(service_manifest(ep, project.name, ns, comp, key), svc.name, at))
        auto = kompose[svc.name].autoscaling
        if auto is not None and kind != "Job":
            plan.resources.append(Resource(hpa_manifest(ep.name, kind, auto, project.name, ns, comp, key),
                                           svc.name, at, f"{key}.autoscaling.enabled"))
        if kind == "StatefulSet":  # its serviceName, needed even without ports
            plan.resources.append(Resource(service_manifest(ep, project.name, ns, comp, key, headless=True),
                                           svc.name, at))
        if ep in public:
            # One public service: its values are the top-level `ingress`; several: per service.
            ingress_key = "ingress" if len(public) == 1 else f"{key}.ingress"
            plan.resources.append(Resource(ingress_manifest(ep, project.name, ns, comp, ingress_key),
                                           svc.name, at, f"{ingress_key}.enabled"))
        plan.resources.append(Resource(policy_manifest(ep, endpoints, by_name, net_ports, members, project.name,
                                                       ns, comp, startup.egress),
                                       svc.name, at, "networkPolicy.enabled"))
    reporter.raise_if_errors()
    finish_job_names(jobs, job_manifests, default_values(plan.resources))
    _check_unique(plan, reporter)
    plan.secret_keys = [SecretKey(s, k, req, tuple(sorted(users)))
                        for (s, k), (req, users) in sorted(secret_users.items())]
    if project.x_k8s.get("externalSecrets"):
        plan.resources += [Resource(m, condition="secrets.externalSecrets.enabled")
                           for m in external_secrets(plan, project.x_k8s["externalSecrets"], secret_name)]
        _check_unique(plan, reporter)
    reporter.raise_if_errors()
    refuse_api_violations(plan, project, reporter)
    plan.diagnostics = list(reporter.diagnostics)
    reporter.raise_if_errors()
    return plan


def _app_version(project: Project) -> str:
    """The tag most of the project's own images share (those it builds), else of any image."""
    from collections import Counter

    from .images import split_image

    def tags(built: bool) -> list[str]:
        return [split_image(s.image)[1] for s in project.services.values()
                if s.image and bool(s.build) == built and split_image(s.image)[1]]

    found = tags(True) or tags(False)
    return Counter(found).most_common(1)[0][0] if found else "latest"


def _http_probe_ports(svc) -> set[int]:
    """Ports an httpGet probe targets: they are named ``http``."""
    hc = svc.healthcheck if svc.healthcheck is not None else image_healthcheck(svc)
    if not hc or hc.disable or not hc.test:
        return set()
    words = [str(a) for a in hc.test[1:]]
    if hc.test[0] == "CMD-SHELL":
        try:
            words = shlex.split(words[0]) if words else []
        except ValueError:
            return set()
    http = http_get_from(words)
    return {http["port"]} if http else set()


def _dedupe_port_names(ep: Endpoint) -> None:
    seen: set[str] = set()
    for p in ep.ports:
        if p["name"] in seen:
            p["name"] = dns_name(f"{p['protocol'].lower()}-{p['port']}", 15)
        seen.add(p["name"])


def _namespace(project: Project, ns: str) -> dict:
    enforce = max((level(s) for s in project.services.values()), key=LEVELS.index, default="restricted")
    pss = {}
    for mode in ("enforce", "audit", "warn"):
        pss[f"pod-security.kubernetes.io/{mode}"] = enforce if mode == "enforce" else "restricted"
        pss[f"pod-security.kubernetes.io/{mode}-version"] = PSS_VERSION
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": ns, "labels": {**labels(project.name, None), **pss}}}


def _config_map(body: dict, project: str, ns: str) -> dict:
    return config_map({"name": Name(body["name"]), "namespace": Namespace(ns),
                       "labels": labels(project, None, "config")}, body)


def _check_unique(plan: Plan, reporter: Reporter) -> None:
    seen: dict[tuple[str, str], Resource] = {}
    for res in plan.resources:
        key = (res.kind, res.name)
        if key in seen:
            sources = sorted({r.service or "the project's definitions" for r in (seen[key], res)})
            reporter.error("E-NAME-COLLISION", f"two objects would be {res.kind}/{res.name} (from "
                           f"{' and '.join(sources) if len(sources) > 1 else 'both ' + sources[0]})", res.origin)
        seen[key] = res


__all__ = ["build_plan", "Plan", "Resource", "Value", "SecretKey", "Decision", "resolve_values",
           "SecretRef"]
