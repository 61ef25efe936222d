"""NetworkPolicy evaluation: may this pod connect to that pod on this port?

Kubernetes' own semantics (https://kubernetes.io/docs/concepts/services-networking/network-policies/,
and the API's field documentation in networking/v1), written by hand because no Python
library evaluates NetworkPolicies:

- A pod is isolated for ingress (egress) when some policy in its namespace selects it with
  ``Ingress`` (``Egress``) among its ``policyTypes``; ``policyTypes`` defaults to ``Ingress``,
  plus ``Egress`` when the policy has an ``egress`` section. A pod no policy isolates accepts
  (sends) everything.
- Policies are additive: a connection is allowed when any rule of any isolating policy
  allows it, at both ends (the server's ingress and the client's egress).
- A rule with no ``from``/``to`` allows every peer; with no ``ports``, every port. A peer
  with only ``podSelector`` selects pods in the policy's namespace; with only
  ``namespaceSelector``, every pod in the selected namespaces; with both, the selected pods of
  the selected namespaces. An empty selector selects everything.
- A port is a number or a name (resolved against the destination pod's container ports),
  with ``protocol`` (default TCP) and an optional ``endPort`` range.
- ``ipBlock`` peers are meant for addresses outside the cluster; whether they match pod IPs
  depends on the network plugin, so here they never match a pod (a flow that relies on them
  is reported, not assumed).

Traffic through a Service is judged at the pods behind it, on the container port the
Service's ``targetPort`` resolves to, as the data path sees it.
"""
from __future__ import annotations

from msgspec import Struct, field

METADATA_NAME = "kubernetes.io/metadata.name"  # the label every namespace carries


class Pod(Struct, frozen=True):
    """A pod template as the network sees it."""

    namespace: str
    labels: dict
    named_ports: dict[str, tuple[int, str]] = field(default_factory=dict)  # name -> (number, protocol)


def selects(selector: dict | None, labels: dict) -> bool:
    """A LabelSelector against labels: every matchLabels pair and matchExpressions term holds;
    an empty selector selects everything."""
    if selector is None:
        return True
    if not isinstance(selector, dict):
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def policy_types(policy: dict) -> list[str]:
    spec = policy.get("spec") or {}
    if spec.get("policyTypes"):
        return list(spec["policyTypes"])
    return ["Ingress"] + (["Egress"] if "egress" in spec else [])


def _namespace(obj: dict) -> str:
    return (obj.get("metadata") or {}).get("namespace") or "default"


class Network:
    """The NetworkPolicies of a set of manifests, and the namespaces' labels."""

    def __init__(self, objects: list[dict]):
        self.policies = [o for o in objects if o.get("kind") == "NetworkPolicy"]
        self._by_namespace: dict[object, list[dict]] = {}
        for p in self.policies:
            self._by_namespace.setdefault(repr(_namespace(p)), []).append(p)  # repr: any value is a key
        # Which policies isolate a pod depends only on its namespace and labels; a graph asks
        # for every (client, server) pair, so each answer is kept (a 1,000-service project
        # asked about 10^6 times, each a scan of every policy).
        self._isolating_of: dict[tuple, list[dict]] = {}
        self.namespace_labels: dict[str, dict] = {}
        for o in objects:
            if o.get("kind") == "Namespace":
                meta = o.get("metadata") or {}
                self.namespace_labels[str(meta.get("name"))] = dict(meta.get("labels") or {})

    def _labels_of(self, namespace: str) -> dict:
        return {**self.namespace_labels.get(namespace, {}), METADATA_NAME: namespace}

    def _isolating(self, pod: Pod, direction: str) -> list[dict]:
        try:
            key = (pod.namespace, direction, frozenset(pod.labels.items()))
            found = self._isolating_of.get(key)
        except TypeError:  # a label value that is not text (a malformed manifest): not kept
            key, found = None, None
        if found is None:
            found = [p for p in self._by_namespace.get(repr(pod.namespace), ()) if direction in policy_types(p)
                     and selects((p.get("spec") or {}).get("podSelector") or {}, pod.labels)]
            if key is not None:
                self._isolating_of[key] = found
        return found

    def _peer_matches(self, peer: dict, policy_namespace: str, other: Pod) -> bool:
        if not isinstance(peer, dict) or "ipBlock" in peer:
            return False
        pods, namespaces = peer.get("podSelector"), peer.get("namespaceSelector")
        if namespaces is None:
            in_namespace = other.namespace == policy_namespace
        else:
            in_namespace = selects(namespaces, self._labels_of(other.namespace))
        return in_namespace and selects(pods, other.labels)

    @staticmethod
    def _port_matches(rule_ports: list | None, port: int, protocol: str, destination: Pod) -> bool:
        if not rule_ports:
            return True
        for entry in rule_ports:
            if not isinstance(entry, dict) or str(entry.get("protocol") or "TCP") != protocol:
                continue
            wanted = entry.get("port")
            if wanted is None:
                return True  # every port of the protocol
            if isinstance(wanted, str) and not wanted.isdigit():
                named = destination.named_ports.get(wanted)
                if named and named == (port, protocol):
                    return True
                continue
            low = int(wanted)
            high = int(entry.get("endPort") or low)
            if low <= port <= high:
                return True
        return False

    def allows_ingress(self, source: Pod, target: Pod, port: int, protocol: str = "TCP") -> bool:
        policies = self._isolating(target, "Ingress")
        if not policies:
            return True
        for policy in policies:
            for rule in (policy.get("spec") or {}).get("ingress") or []:
                peers = rule.get("from") if isinstance(rule, dict) else None
                if (not peers or any(self._peer_matches(p, _namespace(policy), source) for p in peers)) \
                        and self._port_matches(rule.get("ports"), port, protocol, target):
                    return True
        return False

    def allows_egress(self, source: Pod, target: Pod, port: int, protocol: str = "TCP") -> bool:
        policies = self._isolating(source, "Egress")
        if not policies:
            return True
        for policy in policies:
            for rule in (policy.get("spec") or {}).get("egress") or []:
                peers = rule.get("to") if isinstance(rule, dict) else None
                if (not peers or any(self._peer_matches(p, _namespace(policy), target) for p in peers)) \
                        and self._port_matches(rule.get("ports"), port, protocol, target):
                    return True
        return False
