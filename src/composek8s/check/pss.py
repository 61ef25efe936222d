"""Pod Security Standards (baseline and restricted) for manifest dicts.

Implements the current policy version of the published standards
(https://kubernetes.io/docs/concepts/security/pod-security-standards/), following
the reference implementation in k8s.io/pod-security-admission/policy: the rule
names are its check IDs, and restricted replaces the baseline checks it
overrides (restrictedVolumes replaces hostPathVolumes, and so on), so a
violation is reported once, under the stricter rule.

The admission controller returns one aggregated message per check; here each
offending field is its own Finding, with the JSON path of the field to change.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from msgspec import Struct

# The pod template's path in each kind (one table, shared with the API-server rules).
from ..apirules.objects import TEMPLATE_PATHS

LEVELS = ("baseline", "restricted")


class Finding(Struct, frozen=True):
    """One violation: the check ID, the path of the field to change, and why."""

    rule: str
    path: str
    message: str


def check_pod_security(obj: dict[str, Any], level: str = "restricted") -> list[Finding]:
    """Findings for the pod template in `obj` at `level` ("baseline" or "restricted").

    Objects that carry no pod template (Services, ConfigMaps, ...) have none.
    Findings come in check order, then in container order.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown Pod Security level {level!r}; expected one of {', '.join(LEVELS)}")
    pod = _find_pod(obj)
    if pod is None:
        return []
    return [finding for check in _checks_for(level) for finding in check.run(pod)]


# --- locating the pod template --------------------------------------------------

# Container lists in the order the admission controller visits them.
_CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


class _Container(Struct, frozen=True):
    name: str
    path: str  # e.g. spec.template.spec.containers[0]
    spec: dict[str, Any]

    @property
    def security_context(self) -> dict[str, Any]:
        return _dict(self.spec.get("securityContext"))

    def at(self, *fields: str) -> str:
        return ".".join((self.path, *fields))

    def __str__(self) -> str:
        return f"container {json.dumps(self.name)}"


class _Pod(Struct, frozen=True):
    spec: dict[str, Any]
    spec_path: str
    annotations: dict[str, Any]
    metadata_path: str
    containers: tuple[_Container, ...]

    @property
    def security_context(self) -> dict[str, Any]:
        return _dict(self.spec.get("securityContext"))

    def at(self, *fields: str) -> str:
        return ".".join((self.spec_path, *fields))

    @property
    def is_windows(self) -> bool:
        # Since policy v1.25, Linux-only restricted rules skip pods declared as Windows.
        return _dict(self.spec.get("os")).get("name") == "windows"

    @property
    def in_user_namespace(self) -> bool:
        # hostUsers: false maps root in the pod to an unprivileged host user (KEP-127),
        # which relaxes runAsNonRoot, runAsUser and the baseline procMount rule.
        return self.spec.get("hostUsers") is False


def _find_pod(obj: dict[str, Any]) -> _Pod | None:
    if not isinstance(obj, dict) or not isinstance(obj.get("apiVersion"), str):
        return None
    kind = obj.get("kind")
    group = obj["apiVersion"].rpartition("/")[0]
    template_path = TEMPLATE_PATHS.get((group, kind)) if isinstance(kind, str) else None
    if template_path is None:
        return None
    template: Any = obj
    for key in template_path:
        template = _dict(template).get(key)
    template = _dict(template)
    prefix = ".".join(template_path)
    spec_path = f"{prefix}.spec" if prefix else "spec"
    spec = _dict(template.get("spec"))
    containers = tuple(
        _Container(_container_name(c, i), f"{spec_path}.{kind}[{i}]", c)
        for kind in _CONTAINER_LISTS
        for i, c in enumerate(_list(spec.get(kind)))
        if isinstance(c, dict)
    )
    return _Pod(
        spec=spec,
        spec_path=spec_path,
        annotations=_dict(_dict(template.get("metadata")).get("annotations")),
        metadata_path=f"{prefix}.metadata" if prefix else "metadata",
        containers=containers,
    )


def _container_name(container: dict[str, Any], index: int) -> str:
    name = container.get("name")
    return name if isinstance(name, str) and name else f"#{index}"


# --- the checks -----------------------------------------------------------------

# A check yields (path, message) pairs; _Check.run names the rule.
Violations = Iterator[tuple[str, str]]
CheckFn = Callable[[_Pod], Violations]


class _Check(Struct, frozen=True):
    rule: str
    level: str
    fn: CheckFn
    overrides: tuple[str, ...] = ()

    def run(self, pod: _Pod) -> Iterator[Finding]:
        for path, message in self.fn(pod):
            yield Finding(self.rule, path, message)


def _checks_for(level: str) -> list[_Check]:
    wanted = [c for c in _CHECKS if c.level == "baseline" or level == "restricted"]
    overridden = {rule for c in wanted for rule in c.overrides}
    return [c for c in wanted if c.rule not in overridden]


_HOST_NAMESPACES = ("hostNetwork", "hostPID", "hostIPC")


def _host_namespaces(pod: _Pod) -> Violations:
    for field in _HOST_NAMESPACES:
        if pod.spec.get(field) is True:
            yield pod.at(field), f"pod must not set {field}=true (shares the node's namespace)"


def _privileged(pod: _Pod) -> Violations:
    for c in pod.containers:
        if c.security_context.get("privileged") is True:
            yield c.at("securityContext", "privileged"), f"{c} must not set securityContext.privileged=true"


# Docker's default capability set minus NET_RAW (check_capabilities_baseline.go).
BASELINE_CAPABILITIES = frozenset({
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
    "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
})


def _capabilities_baseline(pod: _Pod) -> Violations:
    for c in pod.containers:
        for i, cap in _added_capabilities(c):
            if cap not in BASELINE_CAPABILITIES:
                yield (c.at("securityContext", "capabilities", f"add[{i}]"),
                       f"{c} must not add capability {json.dumps(cap)} (not in the baseline set)")


def _added_capabilities(c: _Container) -> Iterator[tuple[int, Any]]:
    return enumerate(_list(_dict(c.security_context.get("capabilities")).get("add")))


def _host_path_volumes(pod: _Pod) -> Violations:
    for i, volume in _volumes(pod):
        if volume.get("hostPath") is not None:
            yield pod.at(f"volumes[{i}]", "hostPath"), f"volume {_volume_name(volume, i)} must not use hostPath"


def _volumes(pod: _Pod) -> Iterator[tuple[int, dict[str, Any]]]:
    return ((i, v) for i, v in enumerate(_list(pod.spec.get("volumes"))) if isinstance(v, dict))


def _volume_name(volume: dict[str, Any], index: int) -> str:
    return json.dumps(volume.get("name") or f"#{index}")


def _host_ports(pod: _Pod) -> Violations:
    for c in pod.containers:
        for i, port in enumerate(_list(c.spec.get("ports"))):
            host_port = _dict(port).get("hostPort")
            if host_port not in (None, 0):
                yield c.at(f"ports[{i}]", "hostPort"), f"{c} must not set hostPort {host_port}"


_APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/"
_APPARMOR_TYPES = ("RuntimeDefault", "Localhost")


def _app_armor_profile(pod: _Pod) -> Violations:
    allowed = " or ".join(_APPARMOR_TYPES)
    profile = _dict(pod.security_context.get("appArmorProfile"))
    if profile and profile.get("type") not in _APPARMOR_TYPES:
        yield (pod.at("securityContext", "appArmorProfile", "type"),
               f"pod must not set appArmorProfile.type {json.dumps(profile.get('type'))} (allowed: {allowed})")
    for c in pod.containers:
        profile = _dict(c.security_context.get("appArmorProfile"))
        if profile and profile.get("type") not in _APPARMOR_TYPES:
            yield (c.at("securityContext", "appArmorProfile", "type"),
                   f"{c} must not set appArmorProfile.type {json.dumps(profile.get('type'))} (allowed: {allowed})")
    # The deprecated annotations are still enforced by the admission controller.
    for key, value in sorted(pod.annotations.items()):
        if key.startswith(_APPARMOR_ANNOTATION_PREFIX) and not _allowed_apparmor_annotation(value):
            yield (f"{pod.metadata_path}.annotations[{json.dumps(key)}]",
                   f"AppArmor annotation must be runtime/default or localhost/*, not {json.dumps(value)}")


def _allowed_apparmor_annotation(value: Any) -> bool:
    return value in ("", None, "runtime/default") or (isinstance(value, str) and value.startswith("localhost/"))


# container_engine_t joined the list in policy v1.31.
SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})


def _se_linux_options(pod: _Pod) -> Violations:
    yield from _bad_selinux(pod.security_context, pod.at("securityContext", "seLinuxOptions"), "pod")
    for c in pod.containers:
        yield from _bad_selinux(c.security_context, c.at("securityContext", "seLinuxOptions"), str(c))


def _bad_selinux(security_context: dict[str, Any], path: str, who: str) -> Violations:
    options = _dict(security_context.get("seLinuxOptions"))
    selinux_type = options.get("type") or ""
    if selinux_type not in SELINUX_TYPES:
        allowed = ", ".join(sorted(t for t in SELINUX_TYPES if t))
        yield f"{path}.type", f"{who} must not set seLinuxOptions.type {json.dumps(selinux_type)} (allowed: {allowed})"
    for field in ("user", "role"):
        if options.get(field):
            yield f"{path}.{field}", f"{who} must not set seLinuxOptions.{field}"


def _proc_mount(pod: _Pod) -> Violations:
    if pod.in_user_namespace:
        return
    yield from _proc_mount_restricted(pod)


def _proc_mount_restricted(pod: _Pod) -> Violations:
    for c in pod.containers:
        proc_mount = c.security_context.get("procMount")
        if proc_mount not in (None, "", "Default"):
            yield (c.at("securityContext", "procMount"),
                   f"{c} must not set procMount {json.dumps(proc_mount)} (allowed: Default)")


def _seccomp_baseline(pod: _Pod) -> Violations:
    for who, context, path in _seccomp_setters(pod):
        profile = _dict(context.get("seccompProfile"))
        if profile.get("type") == "Unconfined":
            yield f"{path}.type", f"{who} must not set seccompProfile.type \"Unconfined\""


def _seccomp_setters(pod: _Pod) -> Iterator[tuple[str, dict[str, Any], str]]:
    yield "pod", pod.security_context, pod.at("securityContext", "seccompProfile")
    for c in pod.containers:
        yield str(c), c.security_context, c.at("securityContext", "seccompProfile")


# Namespaced sysctls isolated from other pods (policy v1.32 set).
SAFE_SYSCTLS = frozenset({
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",  # v1.27
    "net.ipv4.tcp_keepalive_time",  # v1.29
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",  # v1.32
    "net.ipv4.tcp_wmem",
})


def _sysctls(pod: _Pod) -> Violations:
    for i, sysctl in enumerate(_list(pod.security_context.get("sysctls"))):
        name = _dict(sysctl).get("name")
        if name not in SAFE_SYSCTLS:
            yield (pod.at("securityContext", f"sysctls[{i}]", "name"),
                   f"sysctl {json.dumps(name)} is not in the safe set")


def _windows_host_process(pod: _Pod) -> Violations:
    if _dict(pod.security_context.get("windowsOptions")).get("hostProcess") is True:
        yield pod.at("securityContext", "windowsOptions", "hostProcess"), "pod must not set windowsOptions.hostProcess=true"
    for c in pod.containers:
        if _dict(c.security_context.get("windowsOptions")).get("hostProcess") is True:
            yield (c.at("securityContext", "windowsOptions", "hostProcess"),
                   f"{c} must not set windowsOptions.hostProcess=true")


_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
_LIFECYCLE_HOOKS = ("postStart", "preStop")


def _host_probes_and_lifecycle(pod: _Pod) -> Violations:
    # Policy v1.34: a probe or hook `host` would let the kubelet reach any address.
    for c in pod.containers:
        handlers = [((p,), c.spec.get(p)) for p in _PROBES]
        handlers += [(("lifecycle", h), _dict(c.spec.get("lifecycle")).get(h)) for h in _LIFECYCLE_HOOKS]
        for fields, handler in handlers:
            for action in ("httpGet", "tcpSocket"):
                host = _dict(_dict(handler).get(action)).get("host")
                if host:
                    yield c.at(*fields, action, "host"), f"{c} must not set a probe or lifecycle host ({json.dumps(host)})"


# Inline volume sources allowed by restricted; anything else must come through a PVC.
RESTRICTED_VOLUME_TYPES = frozenset({
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image",
    "persistentVolumeClaim", "projected", "secret",
})


def _restricted_volumes(pod: _Pod) -> Violations:
    for i, volume in _volumes(pod):
        # A volume with no source at all is defaulted to emptyDir by the API server.
        for source in sorted(k for k, v in volume.items() if k != "name" and v is not None):
            if source not in RESTRICTED_VOLUME_TYPES:
                yield (pod.at(f"volumes[{i}]", source),
                       f"volume {_volume_name(volume, i)} must not use {source} "
                       f"(restricted allows {', '.join(sorted(RESTRICTED_VOLUME_TYPES))})")


def _allow_privilege_escalation(pod: _Pod) -> Violations:
    if pod.is_windows:
        return
    for c in pod.containers:
        if c.security_context.get("allowPrivilegeEscalation") is not False:
            yield (c.at("securityContext", "allowPrivilegeEscalation"),
                   f"{c} must set securityContext.allowPrivilegeEscalation=false")


def _run_as_non_root(pod: _Pod) -> Violations:
    if pod.in_user_namespace:
        return
    pod_value = pod.security_context.get("runAsNonRoot")
    if pod_value is False:
        yield pod.at("securityContext", "runAsNonRoot"), "pod must not set securityContext.runAsNonRoot=false"
    for c in pod.containers:
        value = c.security_context.get("runAsNonRoot")
        if value is False:
            yield c.at("securityContext", "runAsNonRoot"), f"{c} must not set securityContext.runAsNonRoot=false"
        # Unset containers inherit the pod's value; a pod-level false is reported above,
        # and fixing it fixes them too.
        elif value is not True and not isinstance(pod_value, bool):
            yield (c.at("securityContext", "runAsNonRoot"),
                   f"{c} must set securityContext.runAsNonRoot=true (or the pod must)")


def _run_as_user(pod: _Pod) -> Violations:
    if pod.in_user_namespace:
        return
    if _is_zero(pod.security_context.get("runAsUser")):
        yield pod.at("securityContext", "runAsUser"), "pod must not set securityContext.runAsUser=0"
    for c in pod.containers:
        if _is_zero(c.security_context.get("runAsUser")):
            yield c.at("securityContext", "runAsUser"), f"{c} must not set securityContext.runAsUser=0"


_SECCOMP_TYPES = ("RuntimeDefault", "Localhost")


def _seccomp_restricted(pod: _Pod) -> Violations:
    if pod.is_windows:
        return
    pod_profile = pod.security_context.get("seccompProfile")
    for who, context, path in _seccomp_setters(pod):
        profile = context.get("seccompProfile")
        if profile is not None and _dict(profile).get("type") not in _SECCOMP_TYPES:
            yield (f"{path}.type",
                   f"{who} must set seccompProfile.type to RuntimeDefault or Localhost, "
                   f"not {json.dumps(_dict(profile).get('type'))}")
        # Containers left unset inherit the pod's profile; only a missing one is a finding
        # here (a bad pod-level value was reported above).
        elif profile is None and who != "pod" and pod_profile is None:
            yield path, f"{who} must set seccompProfile.type to RuntimeDefault or Localhost (or the pod must)"


def _capabilities_restricted(pod: _Pod) -> Violations:
    if pod.is_windows:
        return
    for c in pod.containers:
        capabilities = _dict(c.security_context.get("capabilities"))
        if "ALL" not in _list(capabilities.get("drop")):
            yield c.at("securityContext", "capabilities", "drop"), f"{c} must drop capability \"ALL\""
        for i, cap in _added_capabilities(c):
            if cap != "NET_BIND_SERVICE":
                yield (c.at("securityContext", "capabilities", f"add[{i}]"),
                       f"{c} must not add capability {json.dumps(cap)} (restricted allows only NET_BIND_SERVICE)")


_CHECKS: tuple[_Check, ...] = (
    _Check("hostNamespaces", "baseline", _host_namespaces),
    _Check("privileged", "baseline", _privileged),
    _Check("capabilities_baseline", "baseline", _capabilities_baseline),
    _Check("hostPathVolumes", "baseline", _host_path_volumes),
    _Check("hostPorts", "baseline", _host_ports),
    _Check("appArmorProfile", "baseline", _app_armor_profile),
    _Check("seLinuxOptions", "baseline", _se_linux_options),
    _Check("procMount", "baseline", _proc_mount),
    _Check("seccompProfile_baseline", "baseline", _seccomp_baseline),
    _Check("sysctls", "baseline", _sysctls),
    _Check("windowsHostProcess", "baseline", _windows_host_process),
    _Check("hostProbesAndHostLifecycle", "baseline", _host_probes_and_lifecycle),
    _Check("restrictedVolumes", "restricted", _restricted_volumes, ("hostPathVolumes",)),
    _Check("allowPrivilegeEscalation", "restricted", _allow_privilege_escalation),
    _Check("runAsNonRoot", "restricted", _run_as_non_root),
    _Check("runAsUser", "restricted", _run_as_user),
    _Check("seccompProfile_restricted", "restricted", _seccomp_restricted, ("seccompProfile_baseline",)),
    _Check("capabilities_restricted", "restricted", _capabilities_restricted, ("capabilities_baseline",)),
    _Check("procMount_restricted", "restricted", _proc_mount_restricted, ("procMount",)),
)


# --- tolerant accessors: manifests may be malformed, the checker must not crash ----


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _is_zero(value: Any) -> bool:
    return type(value) is int and value == 0
