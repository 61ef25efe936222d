"""What the Kubernetes API server would refuse, refused here first, at the compose key.

Two passes, both over ``composek8s.apirules`` (the rules ``check`` applies too):

- ``check_target`` before planning: the project name (a label value), the namespace
  (``--namespace``, ``x-k8s.namespace``, each environment's) and system namespaces, and one
  chart values key per service;
- ``refuse_api_violations`` after planning: every object as ``dist/`` will hold it, each
  problem located at the compose key its field came from (``locate``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..apirules import SYSTEM_NAMESPACES, Problem, dns1123_label, label_value, object_problems
from ..compose import Project, Service
from ..diagnostics import Position, Reporter
from .model import Resource, resolve_values
from .names import CHART_KEYS, camel_key, dns_name

if TYPE_CHECKING:
    from .draft import Draft

_PROBES = ("readinessProbe", "livenessProbe", "startupProbe")


def check_target(draft: Draft) -> None:
    """Pass: the names every object carries: the project's (the ``part-of`` and ``instance``
    label values), its namespaces, and the services' chart values keys."""
    project, namespace, reporter = draft.project, draft.namespace_option, draft.reporter
    name_at = project.keys.get("name") or Position(project.files[0] if project.files else "compose.yaml", 1, 1)
    for message in label_value(project.name):
        reporter.error("E-API-LABEL", f"project name {project.name!r} is every object's "
                       f"app.kubernetes.io/part-of label, which {message}: set a shorter 'name:'", name_at)
    x = project.x_k8s
    at = project.x_k8s_positions.get
    allowed = bool(str(x.get("allowSystemNamespace") or "").strip())
    targets: list[tuple[str, str, Position | None]] = []  # (namespace, where it comes from, position)
    if namespace is not None:
        targets.append((namespace, "--namespace", None))
    elif x.get("namespace"):
        targets.append((str(x["namespace"]), "x-k8s.namespace", at(("namespace",)) or project.keys.get("x-k8s")))
    else:
        targets.append((_dns(project.name), "the project name", name_at))
    for env, spec in sorted((x.get("environments") or {}).items()):
        if isinstance(spec, dict) and spec.get("namespace"):
            targets.append((str(spec["namespace"]), f"x-k8s.environments.{env}.namespace",
                            at(("environments", env, "namespace")) or project.keys.get("x-k8s")))
    for ns, source, where in targets:
        said = f"{source} {ns!r}" if source.startswith(("--", "x-k8s")) else f"namespace {ns!r} (from {source})"
        for message in dns1123_label(ns):
            reporter.error("E-API-NAME", f"{said} is not a namespace name: it {message}", where)
        if ns in SYSTEM_NAMESPACES and not allowed:
            reporter.error("E-NAMESPACE-SYSTEM", f"{said} is a namespace Kubernetes itself uses "
                           f"({', '.join(SYSTEM_NAMESPACES)}): its default-deny NetworkPolicy and Pod "
                           "Security labels would apply to the cluster's own pods. Choose another "
                           "namespace, or opt in with x-k8s: {allowSystemNamespace: <reason>}", where)
        elif ns in SYSTEM_NAMESPACES:
            reporter.warn("W-NAMESPACE-SYSTEM", f"{said} is a system namespace, allowed by "
                          f"x-k8s.allowSystemNamespace: {x['allowSystemNamespace']}",
                          at(("allowSystemNamespace",)) or where)
    check_values_keys(project.services, reporter)


def _dns(name: str) -> str:
    try:
        return dns_name(name)
    except ValueError:
        return name


def check_values_keys(services: dict[str, Service], reporter: Reporter) -> None:
    """One chart values key per service: two services with one key (``1a`` and ``s1a`` are
    both ``s1a``: a key starts with a letter) would read each other's image, UID and replicas
    in the chart, and a service may not take a key of the chart's own (``secrets``…)."""
    owners: dict[str, str] = {}
    for svc in services.values():
        if not any(c.isalnum() for c in svc.name):
            continue  # no key and no Kubernetes name: E-NAME says so
        key = camel_key(svc.name)
        if key in CHART_KEYS:
            reporter.error("E-VALUES-KEY", f"service {svc.name!r} would be the chart values key {key!r}, "
                           "which is the chart's own setting: rename the service", svc.position)
        elif key in owners:
            reporter.error("E-VALUES-KEY", f"services {owners[key]!r} and {svc.name!r} would both be the "
                           f"chart values key {key!r}: rename one", svc.position)
        owners.setdefault(key, svc.name)


def refuse_api_violations(draft: Draft) -> None:
    """Pass: every planned object, as ``dist/`` holds it, through the API server's rules: each
    problem is an error (``E-API-…``) at the compose key that produced the field, once."""
    plan, project, reporter = draft.plan, draft.project, draft.reporter
    seen: set[tuple] = set()
    for resource in plan.resources:
        obj = resolve_values(resource.manifest)
        for problem in object_problems(obj):
            svc = project.services.get(resource.service) if resource.service else None
            where = locate(problem, obj, svc, resource, project)
            key = (problem.rule, where, problem.message)
            if key in seen:
                continue
            seen.add(key)
            owner = f"service {svc.name!r}: " if svc else ""
            hint = "; rename the service" if svc and problem.path == ("metadata", "name") else ""
            reporter.error(f"E-{problem.rule.upper()}", f"{owner}{resource.kind}/{resource.name} "
                           f"{dotted(problem.path)}: {problem.message}{hint}", where)


def dotted(path: tuple) -> str:
    """``spec.template.spec.containers[0].env[2].name``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the object"


def locate(problem: Problem, obj: dict, svc: Service | None, resource: Resource, project: Project) -> Position | None:
    """The compose key a field of ``obj`` came from: the environment variable, the port, the
    healthcheck, ``deploy.resources.*``, ``user``, ``stop_grace_period``…; else the service
    (or the definition, or the project) that made the object."""
    path = problem.path
    if svc is None:
        return _definition(obj, project) or resource.origin or project.keys.get("name") or \
            Position(project.files[0] if project.files else "compose.yaml", 1, 1)
    keys, deploy = svc.keys, svc.deploy_keys
    last = path[-1] if path else None

    def first(*positions: Position | None) -> Position:
        return next((p for p in positions if p), svc.position)

    if "env" in path:
        entry = _at(obj, path[:path.index("env") + 2])
        return first(svc.env_positions.get(str(entry.get("name"))) if isinstance(entry, dict) else None,
                     keys.get("environment"), keys.get("env_file"))
    if any(p in path for p in _PROBES):
        return first(svc.healthcheck.position if svc.healthcheck else None, keys.get("healthcheck"), keys.get("labels"))
    if "resources" in path and ("containers" in path or "initContainers" in path):
        section = "reservations" if "requests" in path else "limits"
        compose = {"cpu": "cpus", "memory": "memory"}.get(str(last), str(last))
        return first(deploy.get(f"resources.{section}.{compose}"), svc.resources.position if svc.resources else None,
                     keys.get("deploy"))
    if last in ("runAsUser", "runAsGroup", "fsGroup") or "supplementalGroups" in path:
        explicit = "uid" in svc.x_k8s or "gid" in svc.x_k8s
        return first(svc.x_k8s_position if explicit else None, keys.get("user"))
    if last == "terminationGracePeriodSeconds" or "lifecycle" in path:
        return first(keys.get("stop_grace_period"))
    if path == ("spec", "replicas"):
        return first(svc.x_k8s_position if "replicas" in svc.x_k8s else None, deploy.get("replicas"),
                     keys.get("scale"), keys.get("deploy"))
    if path == ("spec", "backoffLimit"):
        return first(deploy.get("restart_policy.max_attempts"), keys.get("restart"))
    if path == ("spec", "minReadySeconds") or "strategy" in path:
        return first(deploy.get("update_config.delay"), deploy.get("update_config.parallelism"), keys.get("deploy"))
    if "ports" in path:
        entry = _at(obj, path[:path.index("ports") + 2])
        number = (entry.get("containerPort") or entry.get("port")) if isinstance(entry, dict) else None
        matching = [p.position for p in svc.ports + svc.expose if p.target == number]
        return first(*matching, keys.get("ports"), keys.get("expose"))
    if "volumes" in path or "volumeMounts" in path or resource.kind in ("PersistentVolumeClaim", "ConfigMap"):
        return first(keys.get("volumes"), keys.get("configs"), keys.get("tmpfs"), keys.get("secrets"))
    return svc.position


def _definition(obj: dict, project: Project) -> Position | None:
    """A project-level ConfigMap: the line of the config that made it."""
    if obj.get("kind") != "ConfigMap":
        return None
    name = (obj.get("metadata") or {}).get("name")
    for source in project.configs:
        if _dns(source) == name:
            for key in ("content", "file", "environment"):
                if ("configs", source, key) in project.definition_keys:
                    return project.definition_keys[("configs", source, key)]
    return None


def _at(obj: object, path: tuple) -> object:
    for key in path:
        obj = obj[key] if isinstance(obj, (dict, list)) and (key in obj if isinstance(obj, dict)
                                                              else isinstance(key, int) and key < len(obj)) else None
    return obj
