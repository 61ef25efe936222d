"""Strict schema validation: a manifest and a Kubernetes version in, `path: message` lines out."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from composek8s.check import schema, supported_versions, validate_object

LABELS = {"app.kubernetes.io/name": "web", "app.kubernetes.io/instance": "demo"}

DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "labels": LABELS},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": LABELS},
        "template": {
            "metadata": {"labels": LABELS},
            "spec": {
                "automountServiceAccountToken": False,
                "securityContext": {"runAsNonRoot": True, "runAsUser": 10001,
                                    "seccompProfile": {"type": "RuntimeDefault"}},
                "containers": [{
                    "name": "web",
                    "image": "nginx:1.27",
                    "ports": [{"containerPort": 8080, "name": "http"}],
                    "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                        "capabilities": {"drop": ["ALL"]}},
                    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                                  "limits": {"cpu": 1, "memory": "256Mi"}},
                    "readinessProbe": {"httpGet": {"path": "/", "port": "http"}},
                    "livenessProbe": {"tcpSocket": {"port": 8080}},
                }],
                "volumes": [{"name": "tmp", "emptyDir": {}}],
            },
        },
    },
}

CONTAINER = "spec.template.spec.containers[0]"


def patched(**changes: Any) -> dict[str, Any]:
    """DEPLOYMENT with `changes` applied; `__` separates path parts, digits index lists."""
    obj = copy.deepcopy(DEPLOYMENT)
    for dotted, value in changes.items():
        *parents, last = [int(p) if p.isdigit() else p for p in dotted.split("__")]
        target = obj
        for part in parents:
            target = target[part]
        target[last] = value
    return obj


@pytest.mark.parametrize("version", ["1.30", "1.37"])
def test_valid_deployment_has_no_errors(version: str) -> None:
    assert validate_object(DEPLOYMENT, version) == []


@pytest.mark.parametrize(("obj", "expected"), [
    pytest.param(patched(spec__replicaz=3), ["spec.replicaz: unknown field (did you mean 'replicas'?)"],
                 id="typo field"),
    pytest.param(patched(spec__template__spec__containers__0__securityContext__runAsUser="x"),
                 [f"{CONTAINER}.securityContext.runAsUser: 'x' is not of type 'integer'"], id="wrong type"),
    pytest.param(patched(spec__template__spec__containers__0__resources__limits__cpu=[1]),
                 [f"{CONTAINER}.resources.limits.cpu: [1] is not of type 'string' or 'number'"],
                 id="quantity of the wrong type"),
    pytest.param(patched(metadata__labels={"app.kubernetes.io/name": 7}),
                 ['metadata.labels["app.kubernetes.io/name"]: 7 is not of type \'string\''],
                 id="keys with dots are bracketed"),
    pytest.param(patched(spec__template__spec__containers=[{"image": "nginx"}]),
                 [f"{CONTAINER}.name: required field missing"], id="required field"),
    pytest.param(patched(spec__template__spec__containers__0__securityContext__privilegd=True),
                 [f"{CONTAINER}.securityContext.privilegd: unknown field (did you mean 'privileged'?)"],
                 id="typo deep in a container"),
    pytest.param(patched(spec__template__spec__hostnetwork=True, status2={}),
                 ["spec.template.spec.hostnetwork: unknown field (did you mean 'hostNetwork'?)",
                  "status2: unknown field (did you mean 'status'?)"],
                 id="unknown fields at several depths, sorted by path"),
])
def test_errors_name_their_path(obj: dict[str, Any], expected: list[str]) -> None:
    assert validate_object(obj, "1.37") == expected


def test_all_errors_in_one_object_are_reported_in_path_order() -> None:
    containers = [copy.deepcopy(DEPLOYMENT["spec"]["template"]["spec"]["containers"][0]) for _ in range(11)]
    for i, container in enumerate(containers):
        container["name"] = f"c{i}"
    containers[2]["ports"] = [{"containerPort": "8080"}]
    containers[10]["imagePullPolicy"] = 3
    obj = patched(spec__replicas="two", spec__paused="no", spec__template__spec__containers=containers)
    assert validate_object(obj, "1.37") == [
        "spec.paused: 'no' is not of type 'boolean'",
        "spec.replicas: 'two' is not of type 'integer'",
        "spec.template.spec.containers[2].ports[0].containerPort: '8080' is not of type 'integer'",
        "spec.template.spec.containers[10].imagePullPolicy: 3 is not of type 'string'",
    ]


@pytest.mark.parametrize(("api_version", "kind"), [
    ("apps/v1", "Deploymnt"),
    ("apps/v2", "Deployment"),
    ("apps.example.com/v1", "Deployment"),  # a CRD must not be checked against apps/v1
    ("v1", "Affinity"),  # a bundled type schema, but not a kind
    ("../../etc", "Deployment"),
])
def test_unknown_kind_is_one_error(api_version: str, kind: str) -> None:
    obj = patched(apiVersion=api_version, kind=kind)
    assert validate_object(obj, "1.37") == [f"kind: unknown apiVersion/kind {api_version} {kind} for Kubernetes 1.37"]


def test_kind_missing_from_an_older_version() -> None:
    vap = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy",
           "metadata": {"name": "p"}, "spec": {}}
    assert validate_object(vap, "1.30") == []
    assert validate_object(vap, "1.29") == [
        "kind: unknown apiVersion/kind admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy for Kubernetes 1.29",
    ]


def test_missing_apiversion_and_kind() -> None:
    assert validate_object({"metadata": {"name": "x"}}, "1.37") == [
        "apiVersion: required field missing", "kind: required field missing",
    ]


def test_supported_versions_are_numerically_sorted_minors() -> None:
    versions = supported_versions()
    assert versions[0] == "1.25" and versions[-1] == "1.37"
    assert versions == sorted(versions, key=lambda v: tuple(map(int, v.split("."))))
    assert all(v.count(".") == 1 for v in versions) and len(set(versions)) == len(versions)


@pytest.mark.parametrize("version", ["v1.30", "1.30.4", " 1.30 "])
def test_version_spellings(version: str) -> None:
    assert validate_object(DEPLOYMENT, version) == []


@pytest.mark.parametrize("version", ["1.24", "1.38", "latest", "2", ""])
def test_unsupported_version_lists_the_supported_ones(version: str) -> None:
    with pytest.raises(ValueError, match=r"supported: 1\.25, .*, 1\.37$"):
        validate_object(DEPLOYMENT, version)


def test_one_validator_per_version_and_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[tuple[str, str, str]] = []
    real_build = schema._build_validator

    def counting_build(*key: str) -> Any:
        built.append(key)
        return real_build(*key)

    monkeypatch.setattr(schema, "_build_validator", counting_build)
    schema._validator.cache_clear()
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
               "spec": {"ports": [{"port": 80}], "selector": LABELS}}
    for i in range(125):
        for version in ("1.30", "1.37"):
            assert validate_object(patched(metadata__name=f"web-{i}"), version) == []
            assert validate_object(service, version) == []
    assert sorted(built) == [
        ("1.30", "apps/v1", "Deployment"), ("1.30", "v1", "Service"),
        ("1.37", "apps/v1", "Deployment"), ("1.37", "v1", "Service"),
    ]
    schema._validator.cache_clear()  # drop validators built while patched


def test_import_is_cheap() -> None:
    src = Path(schema.__file__).parents[2]
    code = ("import sys, composek8s.check; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('kubernetes', 'kubernetes_validate', 'jsonschema', 'referencing')))")
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
