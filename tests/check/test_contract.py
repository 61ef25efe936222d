"""The runtime contract in `check`: the NetworkPolicy evaluator against hand-written cases
(Kubernetes' documented semantics), then connectivity and persistence on small manifest sets
and on tampered copies of the compiled default."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from composek8s.check.contract import contract_issues
from composek8s.check.netpol import Network, Pod

ROOT = Path(__file__).resolve().parents[2]

WEB = Pod("shop", {"app": "web", "tier": "front"}, {"http": (8080, "TCP")})
DB = Pod("shop", {"app": "db"}, {"postgresql": (5432, "TCP")})
OTHER_NS = Pod("ops", {"app": "web"})


def policy(name: str, selector: dict, types: list[str] | None = None, ingress=None, egress=None,
           namespace: str = "shop") -> dict:
    spec: dict = {"podSelector": selector}
    if types is not None:
        spec["policyTypes"] = types
    if ingress is not None:
        spec["ingress"] = ingress
    if egress is not None:
        spec["egress"] = egress
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def test_no_policy_allows_everything():
    net = Network([])
    assert net.allows_ingress(WEB, DB, 5432) and net.allows_egress(WEB, DB, 5432)


def test_a_default_deny_denies_both_ways():
    net = Network([policy("deny", {}, ["Ingress", "Egress"])])
    assert not net.allows_ingress(WEB, DB, 5432)
    assert not net.allows_egress(WEB, DB, 5432)


def test_policy_types_default_to_ingress_plus_egress_when_egress_is_written():
    only_ingress = Network([policy("p", {}, None, ingress=[])])
    assert not only_ingress.allows_ingress(WEB, DB, 5432) and only_ingress.allows_egress(WEB, DB, 5432)
    both = Network([policy("p", {}, None, ingress=[], egress=[])])
    assert not both.allows_egress(WEB, DB, 5432)


def test_a_rule_allows_by_pod_selector_and_port_and_policies_add_up():
    allow = policy("db", {"matchLabels": {"app": "db"}}, ["Ingress"],
                   ingress=[{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}],
                             "ports": [{"port": 5432, "protocol": "TCP"}]}])
    net = Network([policy("deny", {}, ["Ingress"]), allow])
    assert net.allows_ingress(WEB, DB, 5432)
    assert not net.allows_ingress(WEB, DB, 5433)  # another port
    assert not net.allows_ingress(WEB, DB, 5432, "UDP")  # another protocol
    assert not net.allows_ingress(Pod("shop", {"app": "worker"}), DB, 5432)  # another pod
    assert not net.allows_ingress(OTHER_NS, DB, 5432)  # a podSelector alone: the policy's namespace


def test_an_empty_from_or_ports_allows_every_peer_or_port():
    net = Network([policy("db", {"matchLabels": {"app": "db"}}, ["Ingress"], ingress=[{}])])
    assert net.allows_ingress(OTHER_NS, DB, 1234)
    net = Network([policy("db", {"matchLabels": {"app": "db"}}, ["Ingress"],
                          ingress=[{"from": [{"podSelector": {}}]}])])
    assert net.allows_ingress(WEB, DB, 1) and not net.allows_ingress(OTHER_NS, DB, 1)


def test_named_ports_resolve_against_the_destination_pod():
    net = Network([policy("db", {"matchLabels": {"app": "db"}}, ["Ingress"],
                          ingress=[{"ports": [{"port": "postgresql"}]}])])
    assert net.allows_ingress(WEB, DB, 5432)
    assert not net.allows_ingress(WEB, DB, 5433)
    egress = Network([policy("web", {"matchLabels": {"app": "web"}}, ["Egress"],
                             egress=[{"to": [{"podSelector": {"matchLabels": {"app": "db"}}}],
                                      "ports": [{"port": "postgresql", "protocol": "TCP"}]}])])
    assert egress.allows_egress(WEB, DB, 5432) and not egress.allows_egress(WEB, DB, 5433)
    assert egress.allows_egress(DB, WEB, 8080)  # db is not isolated for egress by this policy


def test_end_port_ranges():
    net = Network([policy("db", {}, ["Ingress"], ingress=[{"ports": [{"port": 5000, "endPort": 5010}]}])])
    assert net.allows_ingress(WEB, DB, 5005) and not net.allows_ingress(WEB, DB, 5011)


def test_namespace_selectors_read_the_namespace_labels():
    by_name = policy("db", {}, ["Ingress"], ingress=[{"from": [{"namespaceSelector": {
        "matchLabels": {"kubernetes.io/metadata.name": "ops"}}}]}])
    assert Network([by_name]).allows_ingress(OTHER_NS, DB, 5432)
    assert not Network([by_name]).allows_ingress(WEB, DB, 5432)
    by_label = policy("db", {}, ["Ingress"], ingress=[{"from": [{"namespaceSelector": {
        "matchLabels": {"team": "ops"}}, "podSelector": {"matchLabels": {"app": "web"}}}]}])
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ops", "labels": {"team": "ops"}}}
    assert Network([by_label, namespace]).allows_ingress(OTHER_NS, DB, 5432)
    assert not Network([by_label]).allows_ingress(OTHER_NS, DB, 5432)  # labels unknown: not selected
    every = policy("db", {}, ["Ingress"], ingress=[{"from": [{"namespaceSelector": {}}]}])
    assert Network([every]).allows_ingress(OTHER_NS, DB, 5432) and Network([every]).allows_ingress(WEB, DB, 1)


def test_match_expressions():
    net = Network([policy("db", {"matchExpressions": [{"key": "app", "operator": "In", "values": ["db"]}]},
                          ["Ingress"], ingress=[{"from": [{"podSelector": {"matchExpressions": [
                              {"key": "tier", "operator": "Exists"}]}}]}])])
    assert net.allows_ingress(WEB, DB, 5432)
    assert not net.allows_ingress(Pod("shop", {"app": "job"}), DB, 5432)
    assert net.allows_ingress(Pod("shop", {"app": "job"}), WEB, 8080)  # web is not selected: open


def test_ip_blocks_never_match_a_pod():
    net = Network([policy("db", {}, ["Ingress"], ingress=[{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}])])
    assert not net.allows_ingress(WEB, DB, 5432)


# --- connectivity and persistence on manifests ----------------------------------------------

def _default() -> list[dict]:
    objects = []
    for path in sorted((ROOT / "dist" / "base").glob("*.yaml")):
        if path.name != "kustomization.yaml":
            objects += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return objects


def _find(objects: list[dict], kind: str, name: str) -> dict:
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


def test_the_compiled_default_keeps_the_contract():
    assert [i.message for i in contract_issues(_default())] == []


def test_a_data_store_policy_that_drops_a_client_is_a_connectivity_finding():
    objects = copy.deepcopy(_default())
    postgres = _find(objects, "NetworkPolicy", "postgres")
    for rule in postgres["spec"]["ingress"]:
        rule["from"] = [p for p in rule["from"] if p["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
                        != "flask-backend"]
    issues = [i for i in contract_issues(objects) if i.rule == "connectivity"]
    assert {objects[i.index]["metadata"]["name"] for i in issues} == {"flask-backend"}
    assert sorted(i.message.split(" names ")[0] for i in issues) == [
        "container 'flask-backend' env DATABASE_URL", "container 'wait-for-postgres' env WAIT_HOST"]
    assert all("deny it at the ingress of 'postgres' (port 5432/TCP)" in i.message for i in issues)


def test_a_client_egress_that_misses_the_data_store_is_a_finding():
    objects = copy.deepcopy(_default())
    backend = _find(objects, "NetworkPolicy", "flask-backend")
    backend["spec"]["egress"] = [r for r in backend["spec"]["egress"]
                                 if "redis" not in str(r.get("to"))]
    issues = [i.message for i in contract_issues(objects)]
    assert any("REDIS_URL" in m and "the egress of 'flask-backend'" in m for m in issues)


def test_a_service_without_the_port_a_client_names_is_a_finding():
    objects = copy.deepcopy(_default())
    service = _find(objects, "Service", "redis")
    service["spec"]["ports"][0]["port"] = 6380
    issues = [i.message for i in contract_issues(objects)]
    assert any("Service 'redis' has no port 6379" in m for m in issues)


@pytest.mark.parametrize("tamper, expected", [
    (lambda sts: sts["spec"].pop("volumeClaimTemplates"), "which no volume holds"),
    (lambda sts: [m.update(readOnly=True) for m in sts["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]],
     "mounted read-only"),
])
def test_a_database_whose_data_path_is_not_a_writable_claim_is_a_persistence_finding(tamper, expected):
    objects = copy.deepcopy(_default())
    sts = _find(objects, "StatefulSet", "postgres")
    tamper(sts)
    if "volumeClaimTemplates" not in sts["spec"]:
        containers = sts["spec"]["template"]["spec"]["containers"]
        containers[0]["volumeMounts"] = [m for m in containers[0]["volumeMounts"]
                                         if not m["mountPath"].startswith("/var/lib/postgresql")]
    [issue] = [i for i in contract_issues(objects) if i.rule == "persistence"]
    assert expected in issue.message and objects[issue.index] is sts


def test_a_config_map_mounted_at_a_data_path_is_a_persistence_finding():
    sts = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "db", "namespace": "x"},
           "spec": {"template": {"metadata": {"labels": {"app": "db"}}, "spec": {
               "containers": [{"name": "db", "image": "postgres:16", "volumeMounts": [
                   {"name": "data", "mountPath": "/var/lib/postgresql/data", "readOnly": True}]}],
               "volumes": [{"name": "data", "configMap": {"name": "db-data"}}]}}}}
    [issue] = contract_issues([sts])
    assert issue.rule == "persistence" and "read-only" in issue.message
