"""Hardening checks over a set of manifests: what composek8s guarantees (DESIGN.md, invariant
1) beyond the Pod Security Standards.

- ``default-deny``: each namespace with pods has NetworkPolicies selecting every pod
  (``podSelector: {}``) with no rules, for ingress and for egress: whatever the other
  policies allow, nothing else gets through (and a deleted allow rule closes, not opens).
- ``read-only-root-filesystem``: every container's root filesystem is read-only.
- ``automount-token``: no pod gets a service-account token: ``automountServiceAccountToken:
  false`` on the pod (or on its ServiceAccount, in the set), on every ServiceAccount, and no
  projected token volume, except the one the kubectl-wait init container of a
  ``service_completed_successfully`` dependent mounts (plan/startup.py) and nothing else does.
- ``data-store-open``: no NetworkPolicy admits any source to a data store's pods (the
  ``app.kubernetes.io/component`` label composek8s sets: database, cache, queue, search).
"""
from __future__ import annotations

from .wiring import Issue, _containers, _labels, _namespace, _policy_types, _selects, pod_template

DATA_STORE_COMPONENTS = frozenset({"database", "cache", "queue", "search"})
COMPONENT = "app.kubernetes.io/component"
_ANY_ADDRESS = ("0.0.0.0/0", "::/0")


def hardening_issues(objects: list[dict]) -> dict[int, list[Issue]]:
    """Issues by index of the object in ``objects``."""
    found: dict[int, list[Issue]] = {}

    def add(i: int, rule: str, message: str) -> None:
        found.setdefault(i, []).append(Issue(rule, message))

    pods = [(i, o, t) for i, o in enumerate(objects) if (t := pod_template(o)) is not None]
    policies = [(i, o) for i, o in enumerate(objects) if o.get("kind") == "NetworkPolicy"]
    accounts = {(_namespace(o), (o.get("metadata") or {}).get("name")): (i, o)
                for i, o in enumerate(objects) if o.get("kind") == "ServiceAccount"}
    missing = _undenied(pods, [p for _, p in policies])
    for i, obj, template in pods:
        for direction in missing.get(_namespace(obj), ()):
            add(i, "default-deny", f"namespace {_namespace(obj)!r} has no default-deny NetworkPolicy for "
                f"{direction.lower()} (podSelector: {{}}, policyTypes: [{direction}], no rules): every "
                "pod there accepts what no policy selects it for")
        _read_only_root(i, template, add)
        _token(i, obj, template, accounts, add)
    for key, (i, account) in accounts.items():
        if account.get("automountServiceAccountToken") is not False:
            add(i, "automount-token", "it does not set automountServiceAccountToken: false, so every pod "
                "using it gets an API token")
    for i, policy in policies:
        _open_data_store(i, policy, pods, add)
    return found


def _undenied(pods: list, policies: list[dict]) -> dict[str, list[str]]:
    """Namespace → the directions (Ingress, Egress) no default-deny policy covers there."""
    denied: dict[str, set[str]] = {}
    for policy in policies:
        spec = policy.get("spec") or {}
        selector = spec.get("podSelector")
        if selector is None or (selector.get("matchLabels") or selector.get("matchExpressions")):
            continue
        for direction in _policy_types(policy):
            if not spec.get(direction.lower()):
                denied.setdefault(_namespace(policy), set()).add(direction)
    namespaces = {_namespace(o) for _, o, _ in pods}
    return {ns: [d for d in ("Ingress", "Egress") if d not in denied.get(ns, set())] for ns in sorted(namespaces)
            if len(denied.get(ns, set())) < 2}


def _read_only_root(i: int, template: dict, add) -> None:
    if ((template.get("spec") or {}).get("os") or {}).get("name") == "windows":
        return
    for c in _containers(template):
        if ((c.get("securityContext") or {}).get("readOnlyRootFilesystem")) is not True:
            add(i, "read-only-root-filesystem", f"container {c.get('name')!r} must set securityContext."
                "readOnlyRootFilesystem: true (writable paths belong in emptyDir volumes)")


def _token(i: int, obj: dict, template: dict, accounts: dict, add) -> None:
    spec = template.get("spec") or {}
    automount = spec.get("automountServiceAccountToken")
    account = spec.get("serviceAccountName") or "default"
    if automount is True:
        add(i, "automount-token", "the pod sets automountServiceAccountToken: true: every container gets "
            "an API token")
    elif automount is None:
        known = accounts.get((_namespace(obj), account))
        if known is None or known[1].get("automountServiceAccountToken") is not False:
            add(i, "automount-token", f"the pod does not set automountServiceAccountToken: false, and its "
                f"ServiceAccount {account!r} does not either (here): every container gets an API token")
    tokens = {v.get("name") for v in spec.get("volumes") or [] if isinstance(v, dict)
              and any("serviceAccountToken" in (s or {}) for s in ((v.get("projected") or {}).get("sources") or []))}
    if not tokens:
        return
    inits = spec.get("initContainers") or []
    for c in _containers(template):
        mounted = sorted({m.get("name") for m in c.get("volumeMounts") or []} & tokens)
        if mounted and not (c in inits and _kubectl_wait(c)):
            add(i, "automount-token", f"container {c.get('name')!r} mounts the service-account token of volume "
                f"{mounted[0]!r}; only a kubectl-wait init container may (see plan/startup.py)")


def _kubectl_wait(container: dict) -> bool:
    """The init container composek8s writes to wait for a Job: kubectl, running ``wait``."""
    image = str(container.get("image", "")).split("@")[0].rsplit(":", 1)[0]
    args = container.get("args") or []
    return image.rsplit("/", 1)[-1] == "kubectl" and bool(args) and args[0] == "wait" \
        and not container.get("command")


def _open_data_store(i: int, policy: dict, pods: list, add) -> None:
    spec = policy.get("spec") or {}
    if "Ingress" not in _policy_types(policy):
        return
    stores = sorted({f"{o.get('kind')}/{(o.get('metadata') or {}).get('name')}" for _, o, t in pods
                     if _namespace(o) == _namespace(policy) and _labels(t).get(COMPONENT) in DATA_STORE_COMPONENTS
                     and _selects(spec.get("podSelector"), _labels(t))})
    if not stores:
        return
    for n, rule in enumerate(spec.get("ingress") or []):
        if _admits_anyone(rule or {}):
            add(i, "data-store-open", f"ingress[{n}] admits any source to the data store {', '.join(stores)}: "
                "allow only the pods that use it (podSelector)")


def _admits_anyone(rule: dict) -> bool:
    """A rule with no sources admits every source; so do an empty namespaceSelector alone
    (every pod of every namespace) and an ipBlock of every address."""
    peers = rule.get("from")
    if not peers:
        return True
    for peer in peers:
        if not isinstance(peer, dict):
            continue
        namespaces, pods, block = peer.get("namespaceSelector"), peer.get("podSelector"), peer.get("ipBlock")
        if namespaces == {} and not pods:
            return True
        if isinstance(block, dict) and block.get("cidr") in _ANY_ADDRESS and not block.get("except"):
            return True
    return False
