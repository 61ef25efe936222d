"""Security contexts, and refusing what cannot run under the `restricted` profile.

A service may opt out with ``x-k8s: {podSecurity: baseline|privileged, reason: …}``; then the
unsafe settings it asks for are mapped as written and the namespace enforces the lowest
level any service asked for.
"""
from __future__ import annotations

import re

from typing import TYPE_CHECKING

from ..compose import Service
from ..compose.dockerfile import resolve_user
from ..diagnostics import Reporter
from .images import base_user, facts_for

if TYPE_CHECKING:
    from .draft import Draft

DEFAULT_UID = 10001
ALLOWED_CAPS = {"NET_BIND_SERVICE"}
# Capabilities the baseline profile allows adding (the container runtime's defaults).
BASELINE_CAPS = {"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
                 "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}
# Sysctls the Pod Security Standards call safe (baseline): namespaced and isolated.
SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
}
LEVELS = ("restricted", "baseline", "privileged")


def level(svc: Service) -> str:
    """The Pod Security level this service asked for (``restricted`` unless opted out)."""
    return svc.x_k8s.get("podSecurity", "restricted")


def refuse_all_unsafe(draft: Draft) -> None:
    """Pass: errors for every setting a service's Pod Security level forbids."""
    for svc in draft.project.services.values():
        refuse_unsafe(svc, draft.reporter)


def refuse_unsafe(svc: Service, reporter: Reporter) -> None:
    """Errors for every setting the service's Pod Security level forbids.

    ``restricted`` unless the service opted out; ``baseline`` still forbids privileged
    containers, host namespaces, extra capabilities, devices and unsafe sysctls.
    """
    current = level(svc)
    if current != "restricted":
        reporter.warn("W-SECURITY-OPT-OUT", f"service {svc.name!r} opts out of the restricted "
                      f"profile ({current}): {svc.x_k8s.get('reason')}", svc.x_k8s_position)
    if current == "privileged":
        return
    hint = " (opt out with x-k8s: {podSecurity: privileged, reason: ...})"
    allowed_caps = ALLOWED_CAPS if current == "restricted" else BASELINE_CAPS

    def refuse(code: str, message: str, key: str) -> None:
        reporter.error(code, f"service {svc.name!r}: {message}; refused by the {current} Pod "
                       f"Security profile{hint}", svc.keys.get(key, svc.position))

    if svc.privileged:
        refuse("E-SECURITY-PRIVILEGED", "privileged: true gives the container the host", "privileged")
    for key, value in (("network_mode", svc.network_mode), ("pid", svc.pid), ("ipc", svc.ipc)):
        if value == "host":
            refuse("E-SECURITY-HOST-NAMESPACE", f"{key}: host shares the host's namespace", key)
    extra = sorted(set(svc.cap_add) - allowed_caps)
    if extra:
        refuse("E-SECURITY-CAPABILITY", f"cap_add {', '.join(extra)} (allowed: "
               f"{', '.join(sorted(allowed_caps))})", "cap_add")
    if svc.devices:
        refuse("E-SECURITY-DEVICE", f"devices {', '.join(svc.devices)} need host device access", "devices")
    unsafe = sorted(set(svc.sysctls) - SAFE_SYSCTLS)
    if unsafe:
        refuse("E-SECURITY-SYSCTL", f"unsafe sysctls {', '.join(unsafe)}", "sysctls")
    for opt in svc.security_opt:
        if opt.replace("=", ":") in ("seccomp:unconfined", "apparmor:unconfined", "label:disable"):
            refuse("E-SECURITY-OPT", f"security_opt {opt}", "security_opt")


# A user or group: decimal digits, or a name as useradd takes it (shadow-utils' pattern).
# An id past 2^31-1 parses: plan/apicheck refuses it as E-API-RANGE (apirules/), the API server's rule.
_USER_PART = re.compile(r"^(?:[0-9]+|[A-Za-z_][A-Za-z0-9_.-]*\$?)$")


def user_ids(svc: Service, reporter: Reporter) -> tuple[int, int]:
    """The numeric UID and GID the pod runs as: compose ``user``, x-k8s, known image, default."""
    uid, gid, _ = user_ids_and_origin(svc, reporter)
    return uid, gid


def user_ids_and_origin(svc: Service, reporter: Reporter) -> tuple[int, int, str]:
    """``user_ids`` and, in words, where the UID comes from (for exceptions.py's reasons)."""
    x = svc.x_k8s
    if "uid" in x:
        return x["uid"], x.get("gid", x["uid"]), f"x-k8s.uid sets UID {x['uid']}"
    known = facts_for(svc)
    if svc.user:
        uid_text, _, gid_text = svc.user.partition(":")
        bad = next((t for t in (uid_text, gid_text) if t and not _USER_PART.match(t)), None)
        if bad is not None:
            # `+0`, `0x0`, `-1`: neither an id nor a name; Docker would refuse it at start.
            reporter.error("E-SECURITY-USER", f"service {svc.name!r}: user {svc.user!r} is neither "
                           "\"UID[:GID]\" nor a user name: write user: \"UID:GID\", "
                           "e.g. \"10001:10001\"", svc.keys.get("user"))
            return DEFAULT_UID, DEFAULT_UID, "the default UID"
        if uid_text == "root":  # root by name is refused like UID 0, whatever the image
            uid_text = "0"
        if uid_text.isdigit():
            uid = int(uid_text)
            gid = int(gid_text) if gid_text.isdigit() else uid
            if uid == 0:
                reporter.error("E-SECURITY-ROOT", f"service {svc.name!r}: user {svc.user!r} is root; "
                               "pods must run as a non-root UID", svc.keys.get("user"))
            return uid, gid, f"compose sets user {svc.user}"
        if known and known.uid is not None:
            return known.uid, known.gid or known.uid, f"compose sets user {svc.user}, UID {known.uid} in its image"
        reporter.error("E-SECURITY-USER", f"service {svc.name!r}: user {svc.user!r} is a name; "
                       "Kubernetes needs a numeric UID to verify runAsNonRoot (write user: "
                       "\"UID:GID\" or x-k8s: {uid: N})", svc.keys.get("user"))
        return DEFAULT_UID, DEFAULT_UID, "the default UID"
    config = svc.image_config
    if config is not None and config.user:
        ids = resolve_user(config) or base_user(config.base_image, config.user.partition(":")[0])
        if ids and ids[0] != 0:
            return ids[0], ids[1], f"{config.file} sets USER {config.user}"
        why = "runs as root" if ids else f"user {config.user!r} is not created with a numeric id in it"
        reporter.warn("W-DOCKERFILE-USER", f"service {svc.name!r}: {config.file} {why}; running it as "
                      f"UID {DEFAULT_UID} (set a numeric USER uid:gid)", config.user_position)
        return DEFAULT_UID, DEFAULT_UID, "the default UID"
    if known and known.uid is not None:
        return known.uid, known.gid or known.uid, "its image creates and runs as that user"
    reporter.warn("W-SECURITY-DEFAULT-UID", f"service {svc.name!r} sets no numeric user; running "
                  f"it as UID {DEFAULT_UID} (set user: \"UID:GID\" in compose, or x-k8s.uid)",
                  svc.position)
    return DEFAULT_UID, DEFAULT_UID, "the default UID"


UNPRIVILEGED_PORT_SYSCTL = "net.ipv4.ip_unprivileged_port_start"


def pod_security_context(svc: Service, uid: int, gid: int, ports: list[int] = ()) -> dict:
    """The pod's security context. A non-root process cannot bind a port below 1024 (an added
    NET_BIND_SERVICE does not reach a non-root process in Kubernetes), so a pod that listens on
    one lowers the pod network namespace's unprivileged port start to that port: a sysctl the
    restricted profile allows."""
    sysctls = {k: str(v) for k, v in svc.sysctls.items()}
    low = [p for p in ports if p < 1024]
    if low and UNPRIVILEGED_PORT_SYSCTL not in sysctls:
        sysctls[UNPRIVILEGED_PORT_SYSCTL] = str(min(low))
    ctx = {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": gid,
        "fsGroup": gid,
        "fsGroupChangePolicy": "OnRootMismatch",
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    if sysctls:
        ctx["sysctls"] = [{"name": k, "value": v} for k, v in sorted(sysctls.items())]
    return ctx


def container_security_context(svc: Service) -> dict:
    caps: dict = {"drop": ["ALL"]}
    add = sorted(set(svc.cap_add)) if level(svc) != "restricted" else sorted(set(svc.cap_add) & ALLOWED_CAPS)
    if add:
        caps["add"] = add
    ctx = {
        "allowPrivilegeEscalation": bool(svc.privileged),
        "capabilities": caps,
        "privileged": bool(svc.privileged),
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
    }
    return ctx
