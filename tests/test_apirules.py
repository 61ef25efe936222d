"""The API server's rules beyond the schema (composek8s.apirules): each rule with values it
accepts and values it refuses, as Kubernetes' own validation functions decide them."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from composek8s import apirules
from composek8s.apirules import quantity, rules
from composek8s.apirules.objects import object_problems

SRC = Path(__file__).resolve().parent.parent / "src" / "composek8s" / "apirules"

# rule -> (accepted, refused)
CASES = {
    rules.dns1123_label: (["a", "web", "0", "1a", "a-b", "x" * 63],
                          ["", "A", "a_b", "a.b", "-a", "a-", "x" * 64, "kube_system"]),
    rules.dns1123_subdomain: (["a", "a.b", "a-b.c-d", "1a", ("a" * 63 + ".") * 3 + "a" * 61],
                              ["", "A", "a..b", ".a", "a.", "a_b", "a" * 254]),
    rules.dns1035_label: (["a", "web", "a1", "a-b", "x" * 63], ["", "2fa", "1a", "A", "a.b", "-a", "a-", "x" * 64]),
    rules.path_segment_name: (["a", "a.b", "A_b", "web-wait"], [".", "..", "a/b", "a%b"]),
    rules.qualified_name: (["app", "app.kubernetes.io/name", "a_b.c-d", "A", "x" * 63, "a" * 253 + "/n"],
                           ["", "/a", "a/", "a/b/c", "-a", "a-", "x" * 64, "A.b/n", "a" * 254 + "/n", "a b"]),
    rules.label_value: (["", "a", "A_b.c-d", "x" * 63, "1"], ["x" * 64, "-a", "a-", "a b", "a/b", 1, True]),
    rules.env_var_name: (["A", "a_b", "A.B", "my-var", "_X", ".a", "A1"],
                         ["", "1A", "A=B", "A\nB", "A B", "é", ".", "..", "..a"]),
    rules.config_key: (["a", "a.conf", "A_b-c", ".env"], ["", "a/b", ".", "..", "..a", "a b", "x" * 254]),
    rules.port_name: (["http", "tcp-8080", "a1", "x" * 15], ["", "8080", "HTTP", "a--b", "-a", "a-", "x" * 16, "a_b"]),
    rules.port_number: ([1, 80, 65535, 8080.0], [0, -1, 65536, "80", True, 1.5, None]),
    rules.user_id: ([0, 1000, 2147483647], [-1, 2147483648, 4294967296, "1000", 1.5]),
    rules.int32: ([0, 1, 2147483647, 3.0], [-1, 2147483648, 1e23, 2e20, "1", True, None]),
    rules.int64: ([0, 30, 2**63 - 1], [-1, 2**63, 3.6e21, "30"]),
    rules.protocol: (["TCP", "UDP", "SCTP"], ["tcp", "ICMP", "", None]),
    rules.int_or_percent: ([0, 1, "0%", "25%", "100%"], [-1, "101%", "25", "1.5%", "%", 2**31]),
    rules.chart_version: (["0.1.0", "1.2.3", "1.2.3-rc.1", "1.0.0-alpha.beta", "1.0.0+build.5",
                           "18446744073709551615.0.0", "1.0.0-0a"],
                          ["1.2", "v1.2.3", "01.2.3", "1.2.3.4", "99999999999999999999.0.0", "1.0.0-01",
                           "1.0.0-a..b", "1.0.0-", "1.0.0+", "1.0.0+a..b", ""]),
}


@pytest.mark.parametrize("rule", CASES, ids=[r.__name__ for r in CASES])
def test_each_rule_accepts_and_refuses_what_kubernetes_does(rule):
    accepted, refused = CASES[rule]
    assert {repr(v): rule(v) for v in accepted} == {repr(v): [] for v in accepted}
    assert [v for v in refused if not rule(v)] == []


def test_every_rule_cites_the_kubernetes_function_it_follows():
    """Each public function's docstring names the validation code (or the behaviour) it follows."""
    for module in ("rules.py", "objects.py", "quantity.py"):
        tree = ast.parse((SRC / module).read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_") and node.name != "whole":
                doc = ast.get_docstring(node) or ""
                assert "``" in doc and any(w in doc for w in ("Is", "Validate", "validate", "Parse", "Canonical",
                                                               "helm", "Go")), (module, node.name)


@pytest.mark.parametrize("text, written", [
    ("500m", "500m"), ("1", "1"), ("0.5", "500m"), ("1000m", "1"), ("1.5", "1500m"), ("256Mi", "256Mi"),
    ("1.5Gi", "1536Mi"), ("1024Mi", "1Gi"), ("0.5Ki", "512"), ("1000M", "1G"), ("1500M", "1500M"),
    ("1e3", "1e3"), ("1.G", "1G"), (".5", "500m"), ("0", "0"), ("0.0000000001", "1n"), (1, "1"), (0.25, "250m"),
    ("128974848", "128974848"), ("9Ei", "9223372036854775807"),
])
def test_quantities_are_written_back_as_the_api_server_writes_them(text, written):
    assert quantity.canonical(quantity.parse(text)) == written


@pytest.mark.parametrize("text", ["", "1K", "1Ki ", "NaN", "Infinity", "1.2.3", "Mi", ".", "1e", "1kk", "1 Gi", True, None])
def test_what_the_api_server_cannot_parse_is_not_a_quantity(text):
    assert quantity.parse(text) is None
    assert quantity.problems(text)


def test_a_quantity_must_be_canonical_and_not_negative():
    assert quantity.problems("512Mi") == []
    assert quantity.problems("1000m") == ["'1000m' is written '1' by the API server: write it so"]
    assert quantity.problems("-1") == ["'-1' must be 0 or more"]


def test_config_data_is_at_most_one_mebibyte():
    assert rules.data_size({"a": "x" * (1024 * 1024)}) == []
    assert rules.data_size({"a": "x" * (1024 * 1024), "b": "y"})
    assert rules.data_size({"a": "é" * (512 * 1024 + 1)})  # bytes, not characters
    assert rules.data_size({}, {"bin": "A" * (1400 * 1024)})  # base64: about 1.05 MiB decoded


# --- whole objects -----------------------------------------------------------------------------

def deployment(**pod) -> dict:
    container = {"name": "web", "image": "nginx:1", **pod.pop("container", {})}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"replicas": pod.pop("replicas", 1), "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [container], **pod}}}}


def problems(obj: dict) -> list[tuple[str, str]]:
    return list(dict.fromkeys((p.rule, ".".join(str(x) for x in p.path)) for p in object_problems(obj)))


POD = "spec.template.spec"
OBJECT_CASES = {
    "replicas 1e23": (deployment(replicas=1e23), [("api-range", "spec.replicas")]),
    "runAsUser 2^32": (deployment(securityContext={"runAsUser": 4294967296}),
                       [("api-range", f"{POD}.securityContext.runAsUser")]),
    "grace 3.6e21": (deployment(terminationGracePeriodSeconds=3.6e21),
                     [("api-range", f"{POD}.terminationGracePeriodSeconds")]),
    "failureThreshold 2e20": (deployment(container={"readinessProbe": {"tcpSocket": {"port": 80}, "failureThreshold": 2e20}}),
                              [("api-range", f"{POD}.containers.0.readinessProbe.failureThreshold")]),
    "liveness success 2": (deployment(container={"livenessProbe": {"tcpSocket": {"port": 80}, "successThreshold": 2}}),
                           [("api-spec", f"{POD}.containers.0.livenessProbe.successThreshold")]),
    "request over limit": (deployment(container={"resources": {"requests": {"memory": "1Gi"}, "limits": {"memory": "64Mi"}}}),
                           [("api-quantity", f"{POD}.containers.0.resources.requests.memory")]),
    "protocol ICMP": (deployment(container={"ports": [{"containerPort": 90, "protocol": "ICMP"}]}),
                      [("api-protocol", f"{POD}.containers.0.ports.0.protocol")]),
    "port 0 and name": (deployment(container={"ports": [{"containerPort": 0, "name": "HTTP"}]}),
                        [("api-range", f"{POD}.containers.0.ports.0.containerPort"),
                         ("api-name", f"{POD}.containers.0.ports.0.name")]),
    "env names": (deployment(container={"env": [{"name": "A=B", "value": "1"}, {"name": "", "value": "2"}]}),
                  [("api-env", f"{POD}.containers.0.env.0.name"), ("api-env", f"{POD}.containers.0.env.1.name")]),
    "sleep past grace": (deployment(terminationGracePeriodSeconds=2,
                                    container={"lifecycle": {"preStop": {"sleep": {"seconds": 5}}}}),
                         [("api-spec", f"{POD}.containers.0.lifecycle.preStop.sleep.seconds")]),
    "privileged without escalation": (deployment(container={"securityContext": {"privileged": True,
                                                                                "allowPrivilegeEscalation": False}}),
                                      [("api-spec", f"{POD}.containers.0.securityContext.allowPrivilegeEscalation")]),
    "mount of no volume": (deployment(container={"volumeMounts": [{"name": "data", "mountPath": "/d"}]}),
                           [("api-spec", f"{POD}.containers.0.volumeMounts.0.name")]),
    "label value 64": ({"apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": "c", "labels": {"app.kubernetes.io/part-of": "n" * 64}}},
                       [("api-label", "metadata.labels.app.kubernetes.io/part-of")]),
    "service 2fa": ({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "2fa"},
                     "spec": {"ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]}},
                    [("api-name", "metadata.name")]),
    "statefulset 53": ({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "s" * 53},
                        "spec": {"template": {"spec": {"containers": [{"name": "s", "image": "x:1"}]}}}},
                       [("api-name", "metadata.name")]),
    "job 64": ({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j" * 64},
                "spec": {"backoffLimit": -1, "template": {"spec": {"containers": [{"name": "j", "image": "x:1"}]}}}},
               [("api-name", "metadata.name"), ("api-range", "spec.backoffLimit")]),
    "configmap 2 MB": ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "big"},
                        "data": {"big": "a" * 2 * 1024 * 1024}}, [("api-size", "")]),
    "namespace Kube_System..x": ({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "Kube_System..x"}},
                                 [("api-name", "metadata.name")]),
    "pdb 120%": ({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "p"},
                  "spec": {"maxUnavailable": "120%"}}, [("api-range", "spec.maxUnavailable")]),
    "network policy UDPX and CIDR": ({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                                      "metadata": {"name": "n"}, "spec": {"podSelector": {}, "egress": [
                                          {"to": [{"ipBlock": {"cidr": "10.0.0.0/33"}}],
                                           "ports": [{"port": 53, "protocol": "UDPX"}]}]}},
                                     [("api-protocol", "spec.egress.0.ports.0.protocol"),
                                      ("api-spec", "spec.egress.0.to.0.ipBlock.cidr")]),
}


@pytest.mark.parametrize("case", OBJECT_CASES)
def test_objects_are_refused_at_the_field(case):
    obj, expected = OBJECT_CASES[case]
    assert problems(obj) == expected


def test_a_hardened_object_passes():
    obj = deployment(terminationGracePeriodSeconds=30, securityContext={"runAsUser": 10001, "fsGroup": 10001},
                     container={"ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                                "env": [{"name": "MY.ENV-name", "value": "x"}],
                                "resources": {"requests": {"cpu": "250m", "memory": "256Mi"},
                                              "limits": {"cpu": "1", "memory": "1Gi"}},
                                "livenessProbe": {"httpGet": {"path": "/", "port": "http"}, "successThreshold": 1},
                                "lifecycle": {"preStop": {"sleep": {"seconds": 5}}}})
    assert object_problems(obj) == []


def test_the_layer_depends_on_neither_the_plan_nor_check():
    for path in SRC.glob("*.py"):
        text = path.read_text()
        assert "composek8s.plan" not in text and "..plan" not in text, path.name
        assert "composek8s.check" not in text and "..check" not in text, path.name
    assert apirules.object_problems is object_problems
