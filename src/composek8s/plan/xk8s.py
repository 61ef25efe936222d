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
      acknowledge:               # warnings about this service someone reviewed (plan/acknowledge.py)
        - {code: W-VOLUME-LOGS, reason: "logs go to stdout too; the files are scratch"}

At the top level::

    x-k8s:
      namespace: NAME
      allowSystemNamespace: "REASON"   # compile into default, kube-system, kube-public or
                                       #   kube-node-lease (refused without it)
      secretName: NAME
      acknowledge:               # reviewed warnings, for the whole project
        - {code: W-KEY-IGNORED, reason: "..."}
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

import difflib
import ipaddress
import re
from typing import TYPE_CHECKING, Callable

from ..diagnostics import Position, Reporter
from .acknowledge import shape_problem

if TYPE_CHECKING:
    from .draft import Draft

_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T)?$")
_HOST = re.compile(r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

_SERVICE_KEYS = {"kind", "replicas", "uid", "gid", "storage", "ingress", "egress", "podSecurity",
                 "reason", "writable", "acknowledge"}
_PATH = re.compile(r"^/[^\x00]*$")
_PROJECT_KEYS = {"namespace", "secretName", "environments", "externalSecrets", "allowSystemNamespace",
                 "acknowledge"}


def validate_x_k8s(draft: Draft) -> None:
    """Pass: every ``x-k8s`` block has the shape documented above."""
    project = draft.project
    validate_project(project.x_k8s, _locator(project.x_k8s_positions, project.keys.get("x-k8s")), draft.reporter)
    for svc in project.services.values():
        validate_service(svc.name, svc.x_k8s, _locator(svc.x_k8s_positions, svc.x_k8s_position), draft.reporter)


Locate = Callable[..., "Position | None"]


def _locator(positions: dict[tuple, Position], block: Position | None) -> Locate:
    """Where ``x-k8s.<path>`` was written (the nearest key written), else the block itself."""
    def at(*path: object) -> Position | None:
        while path:
            if path in positions:
                return positions[path]
            path = path[:-1]
        return block
    return at


def _err(reporter: Reporter, where: Position | None, owner: str, message: str) -> None:
    reporter.error("E-XK8S", f"{owner}: x-k8s {message}", where)


def _unknown(key: object, known: set[str]) -> str:
    close = difflib.get_close_matches(str(key), sorted(known), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"has unknown key {key!r} ({hint}known: {', '.join(sorted(known))})"


def _acknowledge(value: object, at: Locate, owner: str, reporter: Reporter) -> None:
    """``acknowledge: [{code: W-…, reason: …}]`` (plan/acknowledge.py applies it)."""
    if not isinstance(value, list):
        _err(reporter, at("acknowledge"), owner, "acknowledge must be a list of {code: W-…, reason: …}")
        return
    for i, entry in enumerate(value):
        problem = shape_problem(entry)
        if problem:
            _err(reporter, at("acknowledge", i), owner, problem)


def validate_service(name: str, x: dict, at: Locate, reporter: Reporter) -> None:
    owner = f"service {name!r}"
    if "acknowledge" in x:
        _acknowledge(x["acknowledge"], at, owner, reporter)
    for key in x:
        if key not in _SERVICE_KEYS:
            _err(reporter, at(key), owner, _unknown(key, _SERVICE_KEYS))
    if "kind" in x and x["kind"] not in ("Deployment", "StatefulSet", "Job"):
        _err(reporter, at("kind"), owner, f"kind {x['kind']!r} must be Deployment, StatefulSet or Job")
    for key in ("replicas", "uid", "gid"):
        if key in x and (not isinstance(x[key], int) or isinstance(x[key], bool) or x[key] < 0):
            _err(reporter, at(key), owner, f"{key} must be a whole number ≥ 0, not {x[key]!r}")
    if x.get("uid") == 0:
        _err(reporter, at("uid"), owner, "uid 0 is root; pods must run as a non-root user")
    storage = x.get("storage", {})
    if not isinstance(storage, dict) or set(storage) - {"size", "storageClass"}:
        _err(reporter, at("storage"), owner, "storage takes only 'size' and 'storageClass'")
    elif "size" in storage and not _QUANTITY.match(str(storage["size"])):
        _err(reporter, at("storage", "size"), owner, f"storage.size {storage['size']!r} is not a quantity like 10Gi")
    ingress = x.get("ingress", {})
    if not isinstance(ingress, dict) or set(ingress) - {"host", "hosts", "className", "path", "port", "tlsSecret"}:
        _err(reporter, at("ingress"), owner, "ingress takes host (or hosts), className, path, port and tlsSecret")
    else:
        hosts = ingress.get("hosts", [])
        if "host" in ingress and "hosts" in ingress:
            _err(reporter, at("ingress", "hosts"), owner, "ingress takes host or hosts, not both")
        elif not isinstance(hosts, list):
            _err(reporter, at("ingress", "hosts"), owner, "ingress.hosts must be a list of DNS names")
        named = [(("ingress", "host"), ingress["host"])] if "host" in ingress else []
        named += [(("ingress", "hosts", i), h) for i, h in enumerate(hosts)] if isinstance(hosts, list) else []
        for path, host in named:
            if not _HOST.match(str(host)):
                _err(reporter, at(*path), owner, f"ingress host {host!r} is not a DNS name")
        port = ingress.get("port")
        if "port" in ingress and (not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536):
            _err(reporter, at("ingress", "port"), owner, f"ingress.port {port!r} is not a port number")
        if "path" in ingress and not str(ingress["path"]).startswith("/"):
            _err(reporter, at("ingress", "path"), owner, "ingress.path must start with '/'")
        if "tlsSecret" in ingress and not _DNS.match(str(ingress["tlsSecret"])):
            _err(reporter, at("ingress", "tlsSecret"), owner,
                 f"ingress.tlsSecret {ingress['tlsSecret']!r} is not a Secret name")
    egress = x.get("egress", [])
    for i, rule in enumerate(egress) if isinstance(egress, list) else [(None, None)]:
        where = at("egress", i) if i is not None else at("egress")
        if not isinstance(rule, dict) or set(rule) - {"cidr", "ports"}:
            _err(reporter, where, owner, "egress takes a list of {cidr, ports}")
            continue
        try:
            ipaddress.ip_network(str(rule.get("cidr")))
        except ValueError:
            _err(reporter, at("egress", i, "cidr"), owner, f"egress cidr {rule.get('cidr')!r} is not a network")
        ports = rule.get("ports", [])
        if not isinstance(ports, list) or not all(isinstance(p, int) and 0 < p < 65536 for p in ports):
            _err(reporter, at("egress", i, "ports"), owner, "egress ports must be a list of port numbers")
    writable = x.get("writable", [])
    if not isinstance(writable, list):
        _err(reporter, at("writable"), owner, "writable must be a list of paths or {path, seed}")
        writable = []
    for i, entry in enumerate(writable):
        path = entry.get("path") if isinstance(entry, dict) else entry
        if isinstance(entry, dict) and (set(entry) - {"path", "seed"} or not isinstance(entry.get("seed", False), bool)):
            _err(reporter, at("writable", i), owner, "writable entries take path and seed (true or false)")
        elif not isinstance(path, str) or not _PATH.match(path) or path.rstrip("/") == "":
            _err(reporter, at("writable", i), owner, f"writable path {path!r} must be an absolute path other than /")
    if "podSecurity" in x:
        if x["podSecurity"] not in ("baseline", "privileged"):
            _err(reporter, at("podSecurity"), owner, "podSecurity must be 'baseline' or 'privileged'")
        if not str(x.get("reason", "")).strip():
            _err(reporter, at("reason") if "reason" in x else at("podSecurity"), owner,
                 "podSecurity needs a 'reason' saying why")


def validate_project(x: dict, at: Locate, reporter: Reporter) -> None:
    if not isinstance(x, dict):
        _err(reporter, at(), "the project", "must be a mapping")
        return
    for key in x:
        if key not in _PROJECT_KEYS:
            _err(reporter, at(key), "the project", _unknown(key, _PROJECT_KEYS))
    if "acknowledge" in x:
        _acknowledge(x["acknowledge"], at, "the project", reporter)
    for key in {"namespace", "secretName"} & set(x):
        if not _DNS.match(str(x[key])):
            _err(reporter, at(key), "the project", f"{key} {x[key]!r} is not a DNS-1123 name")
    if "allowSystemNamespace" in x and not (isinstance(x["allowSystemNamespace"], str)
                                            and x["allowSystemNamespace"].strip()):
        _err(reporter, at("allowSystemNamespace"), "the project", "allowSystemNamespace needs a reason: why this "
             "project belongs in a namespace Kubernetes itself uses")
    external = x.get("externalSecrets")
    if external is not None:
        if not isinstance(external, dict) or set(external) - {"store", "kind", "keyPrefix", "refreshInterval"}:
            _err(reporter, at("externalSecrets"), "the project",
                 "externalSecrets takes store, kind, keyPrefix and refreshInterval")
        else:
            if not _DNS.match(str(external.get("store", ""))):
                _err(reporter, at("externalSecrets", "store"), "the project",
                     "externalSecrets.store must name a SecretStore")
            if external.get("kind", "ClusterSecretStore") not in ("ClusterSecretStore", "SecretStore"):
                _err(reporter, at("externalSecrets", "kind"), "the project",
                     "externalSecrets.kind is ClusterSecretStore or SecretStore")
            if not re.match(r"^([0-9]+(s|m|h))+$", str(external.get("refreshInterval", "1h"))):
                _err(reporter, at("externalSecrets", "refreshInterval"), "the project",
                     "externalSecrets.refreshInterval is a duration like 1h or 30m")
    environments = x.get("environments", {})
    if not isinstance(environments, dict):
        _err(reporter, at("environments"), "the project", "environments must map names to {namespace, values}")
        return
    for name, env in environments.items():
        owner = f"environment {name!r}"
        if not _DNS.match(str(name)):
            _err(reporter, at("environments", name), owner, "name must be a DNS-1123 label (dev, staging, production…)")
        if not isinstance(env, dict) or set(env) - {"namespace", "values"}:
            extra = sorted(set(env) - {"namespace", "values"}, key=str) if isinstance(env, dict) else []
            where = at("environments", name, extra[0]) if extra else at("environments", name)
            hint = _unknown(extra[0], {"namespace", "values"}) + ": it " if extra else ""
            _err(reporter, where, owner, f"{hint}takes only 'namespace' and 'values' (chart values that differ)")
            continue
        if "namespace" in env and not _DNS.match(str(env["namespace"])):
            _err(reporter, at("environments", name, "namespace"), owner,
                 f"namespace {env['namespace']!r} is not a DNS-1123 name")
        if not isinstance(env.get("values", {}), dict):
            _err(reporter, at("environments", name, "values"), owner, "values must be a mapping of chart values")
