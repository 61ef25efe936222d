"""What each workload listens on: its container ports and their names, and the port its
Ingress routes to. The network pass turns these into Services, Ingresses and policies.

A port comes from compose (``ports``, ``expose``), else from the image's own process (its
Dockerfile's ``EXPOSE``, a known image's port) when the service runs it, else from how other
services reach it (``references.py``): a service that declares no port but is reached as
``backend:8000`` or ``http://backend`` listens there under Compose, where every port is open
between services (``W-PORT-INFERRED``, at the line the port was found). A port others use
that a service with ports does not declare is added the same way when it is written out
(``broker:29092``), not when it is only a URL scheme's default.
"""
from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from msgspec import Struct, field

from ..compose import Port, Service
from .images import facts_for, runs_image_server
from .names import component, dns_name
from .probes import http_get_from, image_healthcheck

if TYPE_CHECKING:
    from .draft import Draft

PUBLIC_WEB_PORTS = {"80", "443"}
_WEB_SCHEMES = {"http": "http", "ws": "http", "https": "https", "wss": "https"}  # names of inferred ports


class Endpoint(Struct):
    """One workload as the network sees it."""

    service: Service
    name: str  # Kubernetes name
    ports: list[dict] = field(default_factory=list)  # {name, port, protocol}
    data_store: bool = False
    ingress_port: int | None = None
    service_type: str = "ClusterIP"  # or NodePort, LoadBalancer, Headless (kompose.service.type)
    node_port: int | None = None


def plan_endpoints(draft: Draft) -> None:
    """Pass: each service's ports (named), whether it is a data store, and its public port."""
    reporter = draft.reporter
    reaching: dict[str, list] = {}  # service -> the references that name it
    for ref in draft.references:
        reaching.setdefault(ref.target, []).append(ref)
    for svc, sd in draft.each():
        known = facts_for(svc)
        kompose = draft.kompose[svc.name]
        ep = Endpoint(svc, dns_name(svc.name), data_store=bool(known and known.stateful and known.role),
                      service_type=kompose.service_type or "ClusterIP", node_port=kompose.node_port)
        http_ports = _http_probe_ports(svc)
        ports = declared_ports(svc)
        if sd.kind != "Job":
            ports = sorted(ports + _inferred(svc, ports, reaching.get(svc.name, []), reporter),
                           key=lambda p: (p.target, p.protocol))
        for port in ports:
            pname = port.name or ("http" if port.target in http_ports else None) or (
                known.port_name if known and known.port == port.target else None) or f"{port.protocol}-{port.target}"
            ep.ports.append({"name": dns_name(pname, 15), "port": port.target, "protocol": port.protocol.upper()})
        _dedupe_port_names(ep)
        ep.ingress_port = ingress_port(svc)
        if ep.ingress_port is not None and not any(p["port"] == ep.ingress_port for p in ep.ports):
            reporter.error("E-INGRESS-PORT", f"service {svc.name!r}: the ingress port {ep.ingress_port} is "
                           "not one of its ports", svc.x_k8s_position or svc.position)
            ep.ingress_port = None
        for port in svc.ports:
            if sd.kind != "Job" and port.published and port.target != ep.ingress_port:
                reporter.warn("W-PORT-PUBLISHED", f"service {svc.name!r}: host port {port.published} has no "
                              f"host in Kubernetes; port {port.target} is reachable inside the cluster "
                              "through the Service (add x-k8s.ingress to expose it)", port.position)
        sd.endpoint = ep
        sd.component = component(svc, sd.kind, ep.ingress_port is not None)  # public: a web component


def declared_ports(svc: Service) -> list[Port]:
    """Declared container ports (ports and expose), else the Dockerfile's EXPOSE, else the
    image's well-known one; the image's only when the service runs the image's own process."""
    seen: dict[tuple[int, str], Port] = {}
    for port in svc.ports + svc.expose:
        seen.setdefault((port.target, port.protocol), port)
    own = runs_image_server(svc)
    if not seen and own and svc.image_config is not None:
        for number, protocol in svc.image_config.expose:
            seen.setdefault((number, protocol), Port(target=number, protocol=protocol))
    known = facts_for(svc)
    if not seen and own and known and known.port:
        seen[(known.port, "tcp")] = Port(target=known.port)
    return sorted(seen.values(), key=lambda p: (p.target, p.protocol))


def _inferred(svc: Service, declared: list[Port], references: list, reporter) -> list[Port]:
    """Ports others reach ``svc`` on (``references``: those naming it) that it does not
    declare (see the module's docstring)."""
    have = {p.target for p in declared if p.protocol == "tcp"}
    found: dict[int, object] = {}  # port -> the first reference that uses it
    for ref in references:
        if ref.target != svc.name or ref.port is None or ref.port in have or ref.port in found:
            continue
        if declared and not (ref.explicit and not ref.in_file):
            continue  # with ports declared, only a port written in a value adds one
        found[ref.port] = ref
    added = []
    for number, ref in sorted(found.items()):
        who = "it names itself with that port" if ref.source == svc.name else f"{ref.source} reaches it there"
        reporter.warn("W-PORT-INFERRED", f"service {svc.name!r} declares no port {number}, but {who} "
                      f"({ref.via}): Compose opens every port between services, Kubernetes "
                      f"only declared ones, so its Service gets port {number} (add expose: [\"{number}\"] "
                      f"to {svc.name!r} to say so)", ref.position)
        added.append(Port(target=number, name=_WEB_SCHEMES.get(ref.scheme or "")))
    return added


def ingress_port(svc: Service) -> int | None:
    x = svc.x_k8s.get("ingress")
    if isinstance(x, dict) and "port" in x:
        return int(x["port"])
    published = [p for p in svc.ports if p.published in PUBLIC_WEB_PORTS]
    if published:
        return published[0].target
    if x is not None:
        ports = svc.ports or svc.expose
        return ports[0].target if ports else None
    return None


def _http_probe_ports(svc: Service) -> set[int]:
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
