"""Services, Ingress and NetworkPolicies.

Traffic is denied by default (ingress and egress) and allowed back along the compose
topology: services on a shared compose network may reach each other's declared ports
(peers are selected by a per-network pod label, so policies stay small on big networks),
except data stores (databases, caches, queues), which accept only their clients: the
services that ``depends_on`` them (on every port) or name them as a host in a value, a
command or a mounted file (on the port they name; ``references.py``). Data stores open
connections only to what they depend on or name. Network members that do neither are shut
out, and the plan says so once per data store (``W-DATA-STORE-ACCESS``). Published web
ports (80/443, or ``x-k8s.ingress``) get an Ingress and accept traffic from other namespaces
(where ingress controllers run) on that port only.
"""
from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from ..compose import Service
from .endpoints import Endpoint
from .model import OMIT, Each, Instance, Item, Name, Namespace, Value, When
from .names import camel_key, dns_name, labels, selector_labels

if TYPE_CHECKING:
    from .draft import Draft

def plan_network(draft: Draft) -> None:
    """Pass: each workload's Service (and headless Service), Ingress and NetworkPolicy."""
    plan = draft.plan
    project, ns = plan.project, plan.namespace
    endpoints = draft.endpoints
    by_name = {ep.service.name: ep for ep in endpoints}
    public = [ep for ep in endpoints if ep.ingress_port is not None and draft.services[ep.service.name].kind != "Job"]
    net_ports, members = network_ports(endpoints), network_members(endpoints)
    flows = data_store_links(endpoints, draft.references)
    warn_data_store_access(endpoints, flows, draft.references, draft.reporter)
    for svc, sd in draft.each():
        ep, comp, key = sd.endpoint, sd.component, camel_key(svc.name)
        # A headless Service needs no port (kompose.service.type: headless on a service
        # without one): it gives the pods DNS names, which is what it is asked for.
        if (ep.ports or ep.service_type == "Headless") and sd.kind != "Job":
            sd.service = service_manifest(ep, project, ns, comp, key)
        if sd.kind == "StatefulSet":  # its serviceName, needed even without ports
            sd.headless = service_manifest(ep, project, ns, comp, key, headless=True)
        if ep in public:
            # One public service: its values are the top-level `ingress`; several: per service.
            ingress_key = "ingress" if len(public) == 1 else f"{key}.ingress"
            sd.ingress = (ingress_manifest(ep, project, ns, comp, ingress_key), ingress_key)
        sd.policy = policy_manifest(ep, by_name, net_ports, members, flows, project, ns, comp, sd.startup.egress)


def networks_of(svc: Service) -> set[str]:
    return set(svc.networks) or {"default"}


NETWORK_LABEL = "network.composek8s.io/"
MAX_EGRESS_PORTS = 32  # beyond this, egress to network peers is not narrowed (their ingress is)


def network_labels(svc: Service) -> dict[str, str]:
    """Pod labels naming the compose networks a service is on: policies select peers by them,
    so a policy's size does not grow with the number of services on a network."""
    return {NETWORK_LABEL + dns_name(net, 40): "true" for net in sorted(networks_of(svc))}


def _on_network(project: str, net: str) -> dict:
    return {"podSelector": {"matchLabels": {NETWORK_LABEL + dns_name(net, 40): "true",
                                            "app.kubernetes.io/instance": Instance(project)}}}


def _shares_network(a: Endpoint, b: Endpoint) -> bool:
    return bool(networks_of(a.service) & networks_of(b.service))


class Links(dict):
    """(client, server) → ports (None: all), indexed by server (``into``) and by client
    (``out_of``) once complete, so each policy reads only its own links."""

    @cached_property
    def into(self) -> dict[str, list[tuple[str, frozenset | None]]]:
        out: dict[str, list] = {}
        for (client, server), ports in self.items():
            out.setdefault(server, []).append((client, ports))
        return out

    @cached_property
    def out_of(self) -> dict[str, list[tuple[str, frozenset | None]]]:
        out: dict[str, list] = {}
        for (client, server), ports in self.items():
            out.setdefault(client, []).append((server, ports))
        return out


def data_store_links(endpoints: list[Endpoint], references: list) -> Links:
    """(client, server) → the server's ports the client may use (None: all of them), for the
    pairs a data store is part of, on a shared compose network: the client depends on the
    server (every port), or names it as a host (the port it names; every port when it names
    none). App-to-app traffic is the network rule's."""
    by_name = {ep.service.name: ep for ep in endpoints}
    links = Links()

    def link(client: Endpoint, server: Endpoint | None, port: int | None) -> None:
        if server is None or server is client or not server.ports or not _shares_network(client, server):
            return
        if not (server.data_store or client.data_store):
            return
        own = {p["port"] for p in server.ports}
        ports = frozenset({port}) if port in own else None
        key = (client.service.name, server.service.name)
        known = links.get(key, frozenset())
        links[key] = None if known is None or ports is None else known | ports

    for ep in endpoints:
        for dep in ep.service.depends_on:
            link(ep, by_name.get(dep), None)
    for ref in references:
        if ref.source in by_name:
            link(by_name[ref.source], by_name.get(ref.target), ref.port)
    return links


def warn_data_store_access(endpoints: list[Endpoint], links: dict, references: list, reporter) -> None:
    """One warning per data store whose compose networks hold services that neither depend on
    it nor name it: Compose lets them connect, its NetworkPolicy does not."""
    by_name = {e.service.name: e for e in endpoints}
    clients_of: dict[str, list[str]] = {}
    for client, server in links:
        clients_of.setdefault(server, []).append(client)
    via: dict[tuple[str, str], set[str]] = {}
    for r in references:
        via.setdefault((r.source, r.target), set()).add(r.via)
    # Who shares a network with whom, by network: linear in the services on each network.
    on_network: dict[str, list[Endpoint]] = {}
    for e in endpoints:
        if not e.data_store:  # other data stores open no connections of their own: not worth naming
            for net in networks_of(e.service):
                on_network.setdefault(net, []).append(e)
    members_of: dict[tuple, set[str]] = {}  # networks -> their non-data-store members
    for store in endpoints:
        if not store.data_store or not store.ports:
            continue
        clients = sorted(clients_of.get(store.service.name, []))
        nets = tuple(sorted(networks_of(store.service)))
        if nets not in members_of:
            members_of[nets] = {e.service.name for net in nets for e in on_network.get(net, [])}
        members = members_of[nets]
        shut = sorted(members - set(clients) - {store.service.name})
        if not shut:
            continue
        how = []
        for client in clients:
            ways = (["depends_on"] if store.service.name in by_name[client].service.depends_on else []) + \
                sorted(via.get((client, store.service.name), ()))
            how.append(f"{client} ({', '.join(ways)})")
        admitted = f"accepts connections only from {_listed(how)}" if how else "accepts connections from no service"
        one = len(shut) == 1
        reporter.warn("W-DATA-STORE-ACCESS", f"data store {store.service.name!r} {admitted}; {_listed(shut)} "
                      f"{'shares' if one else 'share'} its network but {'does' if one else 'do'} not depend on it or "
                      f"name it, so its NetworkPolicy shuts {'it' if one else 'them'} out (Compose would let "
                      f"{'it' if one else 'them'} connect): if one uses it, add it to that service's depends_on",
                      store.service.position)


LISTED = 10  # names a warning spells out; a large project's store would list hundreds


def _listed(names: list[str]) -> str:
    """``names`` joined, the first ``LISTED`` of them and how many more."""
    if len(names) <= LISTED:
        return ", ".join(names)
    return f"{', '.join(names[:LISTED])} and {len(names) - LISTED} more"


def _port_rules(ports: list[dict]) -> list[dict]:
    return [{"port": p["port"], "protocol": p["protocol"]} for p in ports]


def service_manifest(ep: Endpoint, project: str, namespace: str, component: str, key: str,
                     headless: bool = False) -> dict:
    name = f"{ep.name}-headless" if headless else ep.name
    headless = headless or ep.service_type == "Headless"
    spec: dict = {
        "type": "ClusterIP" if headless else Value(f"{key}.service.type", ep.service_type),
        "selector": selector_labels(project, ep.name),
    }
    if ep.ports or not headless:
        spec["ports"] = [{"name": p["name"], "port": p["port"], "targetPort": p["name"],
                          "protocol": p["protocol"]} for p in ep.ports]
    if ep.node_port is not None and not headless:  # one port (checked): it gets the nodePort
        spec["ports"][0]["nodePort"] = Value(f"{key}.service.nodePort", ep.node_port)
    if headless:
        spec["clusterIP"] = "None"
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": Name(name), "namespace": Namespace(namespace),
                         "labels": labels(project, ep.name, component)},
            "spec": spec}


def ingress_manifest(ep: Endpoint, project: str, namespace: str, component: str, key: str) -> dict:
    """The Ingress of ``ep``; its class, hosts and TLS are values under ``key`` (``ingress``)."""
    x = ep.service.x_k8s.get("ingress") or {}
    port = next(p for p in ep.ports if p["port"] == ep.ingress_port)
    backend = {"service": {"name": Name(ep.name), "port": {"name": port["name"]}}}
    hosts = tuple(x.get("hosts") or ([x["host"]] if x.get("host") else []))
    paths = {"paths": [{"path": Value(f"{key}.path", x.get("path", "/")), "pathType": "Prefix",
                        "backend": backend}]}
    tls = [{"secretName": x["tlsSecret"], **({"hosts": list(hosts)} if hosts else {})}] \
        if x.get("tlsSecret") else []
    spec: dict = {
        "ingressClassName": Value(f"{key}.className", x.get("className", ""), omit_empty=True),
        # With hosts, one rule per host; without, every request goes to the service.
        "rules": When(f"{key}.hosts", bool(hosts), Each(f"{key}.hosts", hosts, {"host": Item(), "http": paths}), OMIT),
        "defaultBackend": When(f"{key}.hosts", bool(hosts), OMIT, backend),
        "tls": Value(f"{key}.tls", tls, omit_empty=True),
    }
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": Name(ep.name), "namespace": Namespace(namespace),
                         "labels": labels(project, ep.name, component)},
            "spec": spec}


def network_members(endpoints: list[Endpoint]) -> dict[str, int]:
    """How many workloads each compose network has."""
    counts: dict[str, int] = {}
    for ep in endpoints:
        for net in networks_of(ep.service):
            counts[net] = counts.get(net, 0) + 1
    return counts


def network_ports(endpoints: list[Endpoint]) -> dict[str, list[dict]]:
    """Per compose network, the ports its app services (not data stores) listen on."""
    ports: dict[str, dict[tuple, dict]] = {}
    for ep in endpoints:
        if ep.data_store:
            continue
        for net in networks_of(ep.service):
            for p in ep.ports:
                ports.setdefault(net, {})[(p["port"], p["protocol"])] = {"port": p["port"], "protocol": p["protocol"]}
    return {net: [found[k] for k in sorted(found)] for net, found in ports.items()}


def policy_manifest(ep: Endpoint, by_name: dict[str, Endpoint], net_ports: dict[str, list[dict]],
                    members: dict[str, int], links: Links, project: str,
                    namespace: str, component: str, extra_egress: list[dict] | None = None) -> dict:
    """Ingress on the service's declared ports from its peers, and egress to its servers.

    The egress rules also carry a wait for a healthy dependency (``startup.py``): a shared
    network or the data store rule reaches its port.

    App services accept their compose networks; data stores only their clients (``links``).
    Data stores open connections only to what they depend on or name.
    """
    nets = sorted(networks_of(ep.service))
    ingress: list[dict] = []
    if ep.ports and ep.data_store:
        groups: dict[frozenset | None, list[Endpoint]] = {}
        for client, ports in links.into.get(ep.service.name, ()):
            groups.setdefault(ports, []).append(by_name[client])
        # Clients of every port first, then each narrower set, ports in the Service's order.
        for ports in sorted(groups, key=lambda p: (p is not None, sorted(p or ()))):
            clients = sorted(groups[ports], key=lambda e: e.name)
            ingress.append({"from": [{"podSelector": {"matchLabels": selector_labels(project, c.name)}}
                                     for c in clients],
                            "ports": _port_rules([p for p in ep.ports if ports is None or p["port"] in ports])})
    elif ep.ports:
        shared = [net for net in nets if members.get(net, 0) > 1]  # networks with someone else on them
        if shared:
            ingress.append({"from": [_on_network(project, net) for net in shared], "ports": _port_rules(ep.ports)})
    if ep.ingress_port is not None:
        public = [p for p in ep.ports if p["port"] == ep.ingress_port]
        ingress.append({"from": [{"namespaceSelector": {}}], "ports": _port_rules(public)})
    if ep.service_type in ("NodePort", "LoadBalancer") and ep.ports:
        # Node ports and load balancers bring traffic from outside the cluster.
        ingress.append({"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}, {"ipBlock": {"cidr": "::/0"}}],
                        "ports": _port_rules(ep.ports)})
    egress: list[dict] = []
    if not ep.data_store:
        for net in nets:
            own = {(p["port"], p["protocol"]) for p in ep.ports} if members.get(net, 0) == 1 else set()
            ports = [p for p in net_ports.get(net, []) if (p["port"], p["protocol"]) not in own]
            if ports:
                rule: dict = {"to": [_on_network(project, net)]}
                if len(ports) <= MAX_EGRESS_PORTS:
                    rule["ports"] = ports
                egress.append(rule)
    for name, ports in sorted(links.out_of.get(ep.service.name, ()), key=lambda x: x[0]):
        server = by_name[name]  # app-to-app traffic is covered by the network rule; links hold the rest
        egress.append({"to": [{"podSelector": {"matchLabels": selector_labels(project, server.name)}}],
                       "ports": _port_rules([p for p in server.ports if ports is None or p["port"] in ports])})
    egress += extra_egress or []  # e.g. to the API server, for an init container's kubectl wait
    for rule in ep.service.x_k8s.get("egress", []):
        entry: dict = {"to": [{"ipBlock": {"cidr": str(rule["cidr"])}}]}
        if rule.get("ports"):
            entry["ports"] = [{"port": p, "protocol": "TCP"} for p in rule["ports"]]
        egress.append(entry)
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": Name(ep.name), "namespace": Namespace(namespace),
                         "labels": labels(project, ep.name, component)},
            "spec": {"podSelector": {"matchLabels": selector_labels(project, ep.name)},
                     "policyTypes": ["Ingress", "Egress"], "ingress": ingress, "egress": egress}}


def namespace_policies(project: str, namespace: str) -> list[dict]:
    """Deny all traffic in the namespace, then allow DNS lookups to the cluster's DNS."""
    meta = lambda name: {"name": Name(name), "namespace": Namespace(namespace),  # noqa: E731
                         "labels": labels(project, None)}
    deny = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta("default-deny"),
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}
    dns = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta("allow-dns"),
           "spec": {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{
               "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                       "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
               "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}]}}
    return [deny, dns]


__all__ = ["plan_network", "service_manifest", "ingress_manifest", "policy_manifest", "namespace_policies",
           "network_labels", "network_members", "network_ports"]
