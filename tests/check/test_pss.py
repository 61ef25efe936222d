"""Pod Security Standards: a manifest in, the findings (rule, path) out."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from composek8s.check import Finding, check_pod_security

DELETE = object()  # in an overlay: remove this key


def merge(base: Any, overlay: Any) -> Any:
    """Deep-merge `overlay` into a copy of `base`; lists merge item by item."""
    if isinstance(base, dict) and isinstance(overlay, dict):
        out = dict(base)
        for key, value in overlay.items():
            if value is DELETE:
                out.pop(key, None)
            else:
                out[key] = merge(base.get(key), value)
        return out
    if isinstance(base, list) and isinstance(overlay, list):
        merged = [merge(b, o) for b, o in zip(base, overlay)]
        return merged + copy.deepcopy(base[len(overlay):] or overlay[len(base):])
    return copy.deepcopy(overlay)


HARDENED_POD_SPEC: dict[str, Any] = {
    "serviceAccountName": "web",
    "automountServiceAccountToken": False,
    "securityContext": {
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "runAsGroup": 10001,
        "fsGroup": 10001,
        "seccompProfile": {"type": "RuntimeDefault"},
    },
    "containers": [
        {
            "name": "web",
            "image": "nginx:1.27",
            "ports": [{"containerPort": 8080, "name": "http"}],
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "capabilities": {"drop": ["ALL"]},
            },
            "resources": {
                "requests": {"cpu": "100m", "memory": "128Mi"},
                "limits": {"cpu": "500m", "memory": "256Mi"},
            },
            "readinessProbe": {"httpGet": {"path": "/", "port": "http"}},
            "livenessProbe": {"tcpSocket": {"port": "http"}},
            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
        }
    ],
    "volumes": [
        {"name": "tmp", "emptyDir": {}},
        {"name": "config", "configMap": {"name": "web"}},
    ],
}

LABELS = {"app.kubernetes.io/name": "web", "app.kubernetes.io/instance": "demo"}


def deployment(pod_spec: dict[str, Any] | None = None, pod_metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    """A hardened Deployment, with `pod_spec` merged into its pod template."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": LABELS},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": LABELS},
            "template": {
                "metadata": merge({"labels": LABELS}, pod_metadata or {}),
                "spec": merge(HARDENED_POD_SPEC, pod_spec or {}),
            },
        },
    }


def web(security_context: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """An overlay for the first container."""
    overlay = dict(fields)
    if security_context is not None:
        overlay["securityContext"] = security_context
    return {"containers": [overlay]}


def rules(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.rule, f.path) for f in findings]


POD = "spec.template.spec"
WEB = f"{POD}.containers[0]"
INIT = f"{POD}.initContainers[0]"

UNHARDENED_INIT = {"initContainers": [{"name": "migrate", "image": "busybox"}]}


# (pod spec overlay, level, expected (rule, path) findings)
CASES = [
    pytest.param({}, "restricted", [], id="hardened deployment"),
    pytest.param({}, "baseline", [], id="hardened deployment, baseline"),
    pytest.param(web({"privileged": True}), "baseline",
                 [("privileged", f"{WEB}.securityContext.privileged")], id="privileged"),
    pytest.param({"hostNetwork": True}, "baseline",
                 [("hostNamespaces", f"{POD}.hostNetwork")], id="hostNetwork"),
    pytest.param({"hostPID": True, "hostIPC": False}, "baseline",
                 [("hostNamespaces", f"{POD}.hostPID")], id="hostPID, hostIPC false is fine"),
    pytest.param({"volumes": [{}, {}, {"name": "sock", "hostPath": {"path": "/var/run/docker.sock"}}]}, "baseline",
                 [("hostPathVolumes", f"{POD}.volumes[2].hostPath")], id="hostPath, baseline"),
    pytest.param({"volumes": [{}, {}, {"name": "sock", "hostPath": {"path": "/var/run/docker.sock"}}]}, "restricted",
                 [("restrictedVolumes", f"{POD}.volumes[2].hostPath")], id="hostPath, restricted reports it once"),
    pytest.param({"volumes": [{}, {}, {"name": "nfs", "nfs": {"server": "nas", "path": "/"}}]}, "restricted",
                 [("restrictedVolumes", f"{POD}.volumes[2].nfs")], id="nfs volume"),
    pytest.param({"volumes": [{}, {}, {"name": "nfs", "nfs": {"server": "nas", "path": "/"}}]}, "baseline",
                 [], id="nfs volume is fine for baseline"),
    pytest.param({"volumes": [{}, {}, {"name": "data", "persistentVolumeClaim": {"claimName": "d"}},
                              {"name": "token", "projected": {"sources": []}}, {"name": "defaulted"}]}, "restricted",
                 [], id="pvc, projected and source-less volumes are fine"),
    pytest.param(web(ports=[{"hostPort": 80}]), "baseline",
                 [("hostPorts", f"{WEB}.ports[0].hostPort")], id="hostPort"),
    pytest.param(web(ports=[{"hostPort": 0}]), "baseline", [], id="hostPort 0 is fine"),
    pytest.param(web({"runAsUser": 0}), "restricted",
                 [("runAsUser", f"{WEB}.securityContext.runAsUser")], id="container runAsUser 0"),
    pytest.param({"securityContext": {"runAsUser": 0}}, "restricted",
                 [("runAsUser", f"{POD}.securityContext.runAsUser")], id="pod runAsUser 0"),
    pytest.param({"securityContext": {"runAsUser": 0}}, "baseline", [], id="runAsUser 0 is fine for baseline"),
    pytest.param({"securityContext": {"runAsNonRoot": DELETE}}, "restricted",
                 [("runAsNonRoot", f"{WEB}.securityContext.runAsNonRoot")], id="missing runAsNonRoot"),
    pytest.param({"securityContext": {"runAsNonRoot": DELETE}, **web({"runAsNonRoot": True})}, "restricted",
                 [], id="runAsNonRoot on every container instead of the pod"),
    pytest.param({"securityContext": {"runAsNonRoot": False}}, "restricted",
                 [("runAsNonRoot", f"{POD}.securityContext.runAsNonRoot")], id="pod runAsNonRoot false"),
    pytest.param(web({"runAsNonRoot": False}), "restricted",
                 [("runAsNonRoot", f"{WEB}.securityContext.runAsNonRoot")], id="container overrides runAsNonRoot"),
    pytest.param({"securityContext": {"seccompProfile": DELETE}}, "restricted",
                 [("seccompProfile_restricted", f"{WEB}.securityContext.seccompProfile")], id="missing seccomp"),
    pytest.param({"securityContext": {"seccompProfile": DELETE}}, "baseline", [], id="missing seccomp, baseline"),
    pytest.param({"securityContext": {"seccompProfile": DELETE}, **web({"seccompProfile": {"type": "Localhost"}})},
                 "restricted", [], id="seccomp on every container instead of the pod"),
    pytest.param({"securityContext": {"seccompProfile": {"type": "Unconfined"}}}, "baseline",
                 [("seccompProfile_baseline", f"{POD}.securityContext.seccompProfile.type")], id="seccomp Unconfined"),
    pytest.param(web({"seccompProfile": {"type": "Unconfined"}}), "restricted",
                 [("seccompProfile_restricted", f"{WEB}.securityContext.seccompProfile.type")],
                 id="container seccomp Unconfined"),
    pytest.param(web({"capabilities": {"add": ["SYS_ADMIN"]}}), "baseline",
                 [("capabilities_baseline", f"{WEB}.securityContext.capabilities.add[0]")], id="cap_add SYS_ADMIN"),
    pytest.param(web({"capabilities": {"add": ["SYS_ADMIN"]}}), "restricted",
                 [("capabilities_restricted", f"{WEB}.securityContext.capabilities.add[0]")],
                 id="cap_add SYS_ADMIN, restricted"),
    pytest.param(web({"capabilities": {"add": ["CHOWN", "NET_BIND_SERVICE"]}}), "baseline",
                 [], id="default capabilities are fine for baseline"),
    pytest.param(web({"capabilities": {"add": ["CHOWN", "NET_BIND_SERVICE"]}}), "restricted",
                 [("capabilities_restricted", f"{WEB}.securityContext.capabilities.add[0]")],
                 id="restricted adds only NET_BIND_SERVICE"),
    pytest.param(web({"capabilities": {"drop": ["NET_RAW"]}}), "restricted",
                 [("capabilities_restricted", f"{WEB}.securityContext.capabilities.drop")], id="drop ALL missing"),
    pytest.param(web({"allowPrivilegeEscalation": DELETE}), "restricted",
                 [("allowPrivilegeEscalation", f"{WEB}.securityContext.allowPrivilegeEscalation")],
                 id="allowPrivilegeEscalation missing"),
    pytest.param(web({"allowPrivilegeEscalation": True}), "baseline", [], id="allowPrivilegeEscalation, baseline"),
    pytest.param({"securityContext": {"sysctls": [{"name": "net.ipv4.tcp_syncookies", "value": "1"},
                                                  {"name": "kernel.msgmax", "value": "65536"}]}}, "baseline",
                 [("sysctls", f"{POD}.securityContext.sysctls[1].name")], id="unsafe sysctl"),
    pytest.param({"securityContext": {"sysctls": [{"name": "net.ipv4.tcp_rmem", "value": "4096 87380 6291456"}]}},
                 "restricted", [], id="safe sysctl (v1.32 set)"),
    pytest.param(web({"procMount": "Unmasked"}), "baseline",
                 [("procMount", f"{WEB}.securityContext.procMount")], id="procMount Unmasked"),
    pytest.param(web({"procMount": "Unmasked"}), "restricted",
                 [("procMount_restricted", f"{WEB}.securityContext.procMount")], id="procMount Unmasked, restricted"),
    pytest.param(web({"seLinuxOptions": {"type": "spc_t", "role": "sysadm_r"}}), "baseline",
                 [("seLinuxOptions", f"{WEB}.securityContext.seLinuxOptions.type"),
                  ("seLinuxOptions", f"{WEB}.securityContext.seLinuxOptions.role")], id="SELinux type and role"),
    pytest.param({"securityContext": {"seLinuxOptions": {"type": "container_engine_t", "level": "s0:c1"}}}, "baseline",
                 [], id="SELinux container_engine_t and level are fine"),
    pytest.param(web({"appArmorProfile": {"type": "Unconfined"}}), "baseline",
                 [("appArmorProfile", f"{WEB}.securityContext.appArmorProfile.type")], id="AppArmor Unconfined"),
    pytest.param(web({"windowsOptions": {"hostProcess": True}}), "baseline",
                 [("windowsHostProcess", f"{WEB}.securityContext.windowsOptions.hostProcess")], id="hostProcess"),
    pytest.param(web(readinessProbe={"httpGet": {"host": "169.254.169.254"}},
                     lifecycle={"preStop": {"tcpSocket": {"host": "10.0.0.1", "port": 1}}}), "baseline",
                 [("hostProbesAndHostLifecycle", f"{WEB}.readinessProbe.httpGet.host"),
                  ("hostProbesAndHostLifecycle", f"{WEB}.lifecycle.preStop.tcpSocket.host")], id="probe host"),
    pytest.param(UNHARDENED_INIT, "restricted",
                 [("allowPrivilegeEscalation", f"{INIT}.securityContext.allowPrivilegeEscalation"),
                  ("capabilities_restricted", f"{INIT}.securityContext.capabilities.drop")],
                 id="initContainer violation (pod-level settings still cover it)"),
    pytest.param({"initContainers": [{"name": "setup", "image": "busybox", "securityContext": {"privileged": True}}]},
                 "baseline", [("privileged", f"{INIT}.securityContext.privileged")], id="privileged initContainer"),
    pytest.param({"ephemeralContainers": [{"name": "debug", "image": "busybox",
                                           "securityContext": {"capabilities": {"add": ["SYS_PTRACE"]}}}]},
                 "baseline", [("capabilities_baseline",
                               f"{POD}.ephemeralContainers[0].securityContext.capabilities.add[0]")],
                 id="ephemeralContainer"),
]


@pytest.mark.parametrize(("pod_spec", "level", "expected"), CASES)
def test_deployment(pod_spec: dict[str, Any], level: str, expected: list[tuple[str, str]]) -> None:
    assert rules(check_pod_security(deployment(pod_spec), level)) == expected


def test_apparmor_annotation_on_pod_template() -> None:
    annotation = "container.apparmor.security.beta.kubernetes.io/web"
    allowed = deployment(pod_metadata={"annotations": {annotation: "localhost/k8s-nginx"}})
    denied = deployment(pod_metadata={"annotations": {annotation: "unconfined"}})
    assert check_pod_security(allowed, "baseline") == []
    assert rules(check_pod_security(denied, "baseline")) == [
        ("appArmorProfile", f'spec.template.metadata.annotations["{annotation}"]'),
    ]


def test_messages_name_the_container_and_the_fix() -> None:
    findings = check_pod_security(deployment(web({"privileged": True, "allowPrivilegeEscalation": DELETE})))
    assert findings == [
        Finding("privileged", f"{WEB}.securityContext.privileged",
                'container "web" must not set securityContext.privileged=true'),
        Finding("allowPrivilegeEscalation", f"{WEB}.securityContext.allowPrivilegeEscalation",
                'container "web" must set securityContext.allowPrivilegeEscalation=false'),
    ]


def test_every_offending_container_is_reported() -> None:
    two = {"securityContext": {"runAsNonRoot": DELETE},
           "containers": [{}, {"name": "sidecar", "image": "envoy", "securityContext": {
               "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}}]}
    assert rules(check_pod_security(deployment(two))) == [
        ("runAsNonRoot", f"{WEB}.securityContext.runAsNonRoot"),
        ("runAsNonRoot", f"{POD}.containers[1].securityContext.runAsNonRoot"),
    ]


def test_unhardened_pod_passes_baseline_but_not_restricted() -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
           "spec": {"containers": [{"name": "app", "image": "nginx"}]}}
    assert check_pod_security(pod, "baseline") == []
    assert rules(check_pod_security(pod, "restricted")) == [
        ("allowPrivilegeEscalation", "spec.containers[0].securityContext.allowPrivilegeEscalation"),
        ("runAsNonRoot", "spec.containers[0].securityContext.runAsNonRoot"),
        ("seccompProfile_restricted", "spec.containers[0].securityContext.seccompProfile"),
        ("capabilities_restricted", "spec.containers[0].securityContext.capabilities.drop"),
    ]


def test_cronjob_pod_template_is_nested_under_job_template() -> None:
    template = deployment(web({"privileged": True}))["spec"]["template"]
    cronjob = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly"},
               "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": template}}}}
    assert rules(check_pod_security(cronjob)) == [
        ("privileged", "spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged"),
    ]


@pytest.mark.parametrize(("api_version", "kind"), [
    ("apps/v1", "StatefulSet"), ("apps/v1", "DaemonSet"), ("apps/v1", "ReplicaSet"),
    ("v1", "ReplicationController"), ("batch/v1", "Job"),
])
def test_workload_kinds_use_spec_template(api_version: str, kind: str) -> None:
    obj = deployment({"hostIPC": True}) | {"apiVersion": api_version, "kind": kind}
    assert rules(check_pod_security(obj)) == [("hostNamespaces", f"{POD}.hostIPC")]


@pytest.mark.parametrize("obj", [
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web"}, "data": {"a": "b"}},
    # Same kind name, other API group: not a pod controller we know the shape of.
    deployment({"hostNetwork": True}) | {"apiVersion": "apps.example.com/v1"},
    {"kind": "Pod"},
    [],
], ids=["Service", "ConfigMap", "CRD named Deployment", "no apiVersion", "not a mapping"])
def test_objects_without_a_pod_template_have_no_findings(obj: Any) -> None:
    assert check_pod_security(obj) == []


def test_malformed_fields_do_not_crash() -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "spec": {
        "securityContext": None, "volumes": "nope", "containers": [None, {"name": "a", "securityContext": []}]}}
    assert rules(check_pod_security(pod, "baseline")) == []


def test_windows_pods_skip_linux_only_restricted_rules() -> None:
    windows = {"os": {"name": "windows"}, "securityContext": {"seccompProfile": DELETE},
               **web({"allowPrivilegeEscalation": DELETE, "capabilities": DELETE})}
    assert check_pod_security(deployment(windows)) == []


def test_user_namespace_pods_may_run_as_root() -> None:
    userns = {"hostUsers": False, "securityContext": {"runAsNonRoot": DELETE, "runAsUser": 0},
              **web({"procMount": "Unmasked"})}
    assert check_pod_security(deployment(userns), "baseline") == []
    # Restricted still requires the default /proc mount.
    assert rules(check_pod_security(deployment(userns), "restricted")) == [
        ("procMount_restricted", f"{WEB}.securityContext.procMount"),
    ]


def test_findings_are_hashable_values() -> None:
    finding = Finding("privileged", "spec.x", "m")
    assert finding == Finding("privileged", "spec.x", "m") and {finding: 1}
    with pytest.raises(AttributeError):
        finding.rule = "other"  # type: ignore[misc]


@pytest.mark.parametrize("level", ["privileged", "Restricted", ""])
def test_unknown_level_is_rejected(level: str) -> None:
    with pytest.raises(ValueError, match="baseline, restricted"):
        check_pod_security(deployment(), level)
