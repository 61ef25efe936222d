"""The ``x-k8s`` extension: what Compose cannot say, validated with precise errors.

kompose's ``kompose.*`` labels are read too (``plan.kompose``, README "kompose labels"):
those that ``x-k8s`` can say become the keys below, under an explicit ``x-k8s``, which wins.

Per service::

    x-k8s:
      kind: StatefulSet          # Deployment | StatefulSet | Job (default: inferred)
      replicas: 3                # overrides deploy.replicas
      uid: 10001                 # runAsUser when compose has no numeric user
      gid: 10001                 # runAsGroup and fsGroup
      storage:                   # claims made from this service's named volumes
        size: 10Gi
        storageClass: fast-ssd
      ingress:                   # an Ingress for this service
        host: app.example.com    # or hosts: [app.example.com, www.example.com]
        className: nginx
        path: /
        port: 8080               # container port (default: the published one)
        tlsSecret: app-tls       # TLS with this certificate Secret
      egress:                    # traffic allowed out of the cluster
        - cidr: 0.0.0.0/0
          ports: [443]
      writable:                  # paths the image writes (emptyDirs under a read-only root)
        - /var/cache/app
        - {path: /etc/kafka, seed: true}   # filled with the image's own files first
      podSecurity: privileged    # opt out of `restricted` (baseline | privileged)
      reason: "needs the host network for mDNS"   # required with podSecurity

At the top level::

    x-k8s:
      namespace: NAME
      allowSystemNamespace: "REASON"   # compile into default, kube-system, kube-public or
                                       #   kube-node-lease (refused without it)
      secretName: NAME
      externalSecrets:           # opt-in: ExternalSecrets (External Secrets Operator) fill the Secrets
        store: vault             #   from this store; each key is read at <keyPrefix><KEY>
        kind: ClusterSecretStore #   or SecretStore
        keyPrefix: shop/         #   default: "<project>/"
      environments:              # kustomize overlays and values-<env>.yaml files
        production:
          namespace: shop-prod   # default: the project's namespace
          values:                # chart values that differ in this environment
            web: {replicas: 3}
            ingress: {hosts: [shop.example.com]}
"""
from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING

from ..diagnostics import Position, Reporter

if TYPE_CHECKING:
    from .draft import Draft

_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T)?$")
_HOST = re.compile(r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

_SERVICE_KEYS = {"kind", "replicas", "uid", "gid", "storage", "ingress", "egress", "podSecurity",
                 "reason", "writable"}
_PATH = re.compile(r"^/[^\x00]*$")
_PROJECT_KEYS = {"namespace", "secretName", "environments", "externalSecrets", "allowSystemNamespace"}


def validate_x_k8s(draft: Draft) -> None:
    """Pass: every ``x-k8s`` block has the shape documented above."""
    project = draft.project
    validate_project(project.x_k8s, project.keys.get("x-k8s"), draft.reporter)
    for svc in project.services.values():
        validate_service(svc.name, svc.x_k8s, svc.x_k8s_position, draft.reporter)


def _err(reporter: Reporter, where: Position | None, owner: str, message: str) -> None:
    reporter.error("E-XK8S", f"{owner}: x-k8s {message}", where)


def validate_service(name: str, x: dict, where: Position | None, reporter: Reporter) -> None:
    owner = f"service {name!r}"
    for key in x:
        if key not in _SERVICE_KEYS:
            _err(reporter, where, owner, f"has unknown key {key!r} (known: {', '.join(sorted(_SERVICE_KEYS))})")
    if "kind" in x and x["kind"] not in ("Deployment", "StatefulSet", "Job"):
        _err(reporter, where, owner, f"kind {x['kind']!r} must be Deployment, StatefulSet or Job")
    for key in ("replicas", "uid", "gid"):
        if key in x and (not isinstance(x[key], int) or isinstance(x[key], bool) or x[key] < 0):
            _err(reporter, where, owner, f"{key} must be a whole number ≥ 0, not {x[key]!r}")
    if x.get("uid") == 0:
        _err(reporter, where, owner, "uid 0 is root; pods must run as a non-root user")
    storage = x.get("storage", {})
    if not isinstance(storage, dict) or set(storage) - {"size", "storageClass"}:
        _err(reporter, where, owner, "storage takes only 'size' and 'storageClass'")
    elif "size" in storage and not _QUANTITY.match(str(storage["size"])):
        _err(reporter, where, owner, f"storage.size {storage['size']!r} is not a quantity like 10Gi")
    ingress = x.get("ingress", {})
    if not isinstance(ingress, dict) or set(ingress) - {"host", "hosts", "className", "path", "port", "tlsSecret"}:
        _err(reporter, where, owner, "ingress takes host (or hosts), className, path, port and tlsSecret")
    else:
        hosts = ingress.get("hosts", [])
        if "host" in ingress and "hosts" in ingress:
            _err(reporter, where, owner, "ingress takes host or hosts, not both")
        elif not isinstance(hosts, list):
            _err(reporter, where, owner, "ingress.hosts must be a list of DNS names")
        for host in ([ingress["host"]] if "host" in ingress else []) + (hosts if isinstance(hosts, list) else []):
            if not _HOST.match(str(host)):
                _err(reporter, where, owner, f"ingress host {host!r} is not a DNS name")
        port = ingress.get("port")
        if "port" in ingress and (not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536):
            _err(reporter, where, owner, f"ingress.port {port!r} is not a port number")
        if "path" in ingress and not str(ingress["path"]).startswith("/"):
            _err(reporter, where, owner, "ingress.path must start with '/'")
        if "tlsSecret" in ingress and not _DNS.match(str(ingress["tlsSecret"])):
            _err(reporter, where, owner, f"ingress.tlsSecret {ingress['tlsSecret']!r} is not a Secret name")
    for rule in x.get("egress", []) if isinstance(x.get("egress", []), list) else [None]:
        if not isinstance(rule, dict) or set(rule) - {"cidr", "ports"}:
            _err(reporter, where, owner, "egress takes a list of {cidr, ports}")
            continue
        try:
            ipaddress.ip_network(str(rule.get("cidr")))
        except ValueError:
            _err(reporter, where, owner, f"egress cidr {rule.get('cidr')!r} is not a network")
        ports = rule.get("ports", [])
        if not isinstance(ports, list) or not all(isinstance(p, int) and 0 < p < 65536 for p in ports):
            _err(reporter, where, owner, "egress ports must be a list of port numbers")
    writable = x.get("writable", [])
    if not isinstance(writable, list):
        _err(reporter, where, owner, "writable must be a list of paths or {path, seed}")
        writable = []
    for entry in writable:
        path = entry.get("path") if isinstance(entry, dict) else entry
        if isinstance(entry, dict) and (set(entry) - {"path", "seed"} or not isinstance(entry.get("seed", False), bool)):
            _err(reporter, where, owner, "writable entries take path and seed (true or false)")
        elif not isinstance(path, str) or not _PATH.match(path) or path.rstrip("/") == "":
            _err(reporter, where, owner, f"writable path {path!r} must be an absolute path other than /")
    if "podSecurity" in x:
        if x["podSecurity"] not in ("baseline", "privileged"):
            _err(reporter, where, owner, "podSecurity must be 'baseline' or 'privileged'")
        if not str(x.get("reason", "")).strip():
            _err(reporter, where, owner, "podSecurity needs a 'reason' saying why")


def validate_project(x: dict, where: Position | None, reporter: Reporter) -> None:
    if not isinstance(x, dict):
        _err(reporter, where, "the project", "must be a mapping")
        return
    for key in x:
        if key not in _PROJECT_KEYS:
            _err(reporter, where, "the project", f"has unknown key {key!r} (known: {', '.join(sorted(_PROJECT_KEYS))})")
    for key in {"namespace", "secretName"} & set(x):
        if not _DNS.match(str(x[key])):
            _err(reporter, where, "the project", f"{key} {x[key]!r} is not a DNS-1123 name")
    if "allowSystemNamespace" in x and not (isinstance(x["allowSystemNamespace"], str)
                                            and x["allowSystemNamespace"].strip()):
        _err(reporter, where, "the project", "allowSystemNamespace needs a reason: why this project "
             "belongs in a namespace Kubernetes itself uses")
    external = x.get("externalSecrets")
    if external is not None:
        if not isinstance(external, dict) or set(external) - {"store", "kind", "keyPrefix", "refreshInterval"}:
            _err(reporter, where, "the project", "externalSecrets takes store, kind, keyPrefix and refreshInterval")
        else:
            if not _DNS.match(str(external.get("store", ""))):
                _err(reporter, where, "the project", "externalSecrets.store must name a SecretStore")
            if external.get("kind", "ClusterSecretStore") not in ("ClusterSecretStore", "SecretStore"):
                _err(reporter, where, "the project", "externalSecrets.kind is ClusterSecretStore or SecretStore")
            if not re.match(r"^([0-9]+(s|m|h))+$", str(external.get("refreshInterval", "1h"))):
                _err(reporter, where, "the project", "externalSecrets.refreshInterval is a duration like 1h or 30m")
    environments = x.get("environments", {})
    if not isinstance(environments, dict):
        _err(reporter, where, "the project", "environments must map names to {namespace, values}")
        return
    for name, env in environments.items():
        owner = f"environment {name!r}"
        if not _DNS.match(str(name)):
            _err(reporter, where, owner, "name must be a DNS-1123 label (dev, staging, production…)")
        if not isinstance(env, dict) or set(env) - {"namespace", "values"}:
            _err(reporter, where, owner, "takes only 'namespace' and 'values' (chart values that differ)")
            continue
        if "namespace" in env and not _DNS.match(str(env["namespace"])):
            _err(reporter, where, owner, f"namespace {env['namespace']!r} is not a DNS-1123 name")
        if not isinstance(env.get("values", {}), dict):
            _err(reporter, where, owner, "values must be a mapping of chart values")
