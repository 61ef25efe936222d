"""The conversion table: security. Every pod is hardened; what cannot be is refused.

Pods run as a numeric non-root user with a read-only root filesystem, no capabilities,
the RuntimeDefault seccomp profile and no ServiceAccount token. Compose settings that the
`restricted` Pod Security profile forbids are errors naming the service and pointing at
the key, unless the service opts out with ``x-k8s: {podSecurity: …, reason: …}``.
"""
from __future__ import annotations

from support import only

import pytest


# --- Who the pod runs as ----------------------------------------------------------------


def test_a_numeric_compose_user_sets_user_group_and_fs_group(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            user: "1234:5678"
    """)
    context = c.pod("web")["securityContext"]
    assert context["runAsNonRoot"] is True
    assert (context["runAsUser"], context["runAsGroup"], context["fsGroup"]) == (1234, 5678, 5678)
    assert "W-SECURITY-DEFAULT-UID" not in c.codes()


@pytest.mark.parametrize("image, uid, gid", [
    ("postgres:15-alpine", 70, 70),
    ("postgres:16", 999, 999),
    ("redis:7-alpine", 999, 1000),
    ("docker.gitea.com/gitea:1.22-rootless", 1000, 1000),
    ("quay.io/keycloak/keycloak:25.0", 1000, 1000),
    ("docker.elastic.co/kibana/kibana:8.14.1", 1000, 1000),
    ("docker.n8n.io/n8nio/n8n:1.48.0", 1000, 1000),
    ("nextcloud:29-apache", 33, 33),
])
def test_a_known_image_runs_as_the_user_it_creates(compile_compose, image, uid, gid):
    c = compile_compose(f"""
        name: shop
        services:
          store:
            image: {image}
    """)
    context = c.pod("store")["securityContext"]
    assert (context["runAsUser"], context["runAsGroup"], context["fsGroup"]) == (uid, gid, gid)
    assert "W-SECURITY-DEFAULT-UID" not in c.codes()


def test_an_image_variant_that_runs_as_root_gets_no_known_user(compile_compose):
    # gitea/gitea starts as root and drops to git through s6; only -rootless runs as 1000.
    c = compile_compose("""
        services:
          git:
            image: gitea/gitea:1.22
    """)
    assert c.pod("git")["securityContext"]["runAsUser"] == 10001
    assert "W-SECURITY-DEFAULT-UID" in c.codes()


def test_without_a_user_the_pod_runs_as_10001_with_a_warning(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          api:
            image: example/api:1
    """)
    context = c.pod("api")["securityContext"]
    assert (context["runAsUser"], context["runAsGroup"], context["fsGroup"]) == (10001, 10001, 10001)
    warning = only(c.diagnostics, "W-SECURITY-DEFAULT-UID")
    assert "service 'api'" in warning.message and "10001" in warning.message


@pytest.mark.parametrize("user", ["root", '"0"', '"0:0"'])
@pytest.mark.parametrize("image", ["example/web:1", "postgres:16"])
def test_root_is_refused_whatever_the_image(compile_error, user, image):
    errors = compile_error(f"""
        name: shop
        services:
          web:
            image: {image}
            user: {user}
    """)
    error = only(errors, "E-SECURITY-ROOT")
    assert "service 'web'" in error.message and "is root" in error.message
    assert error.position.line == 6


def test_a_user_name_on_an_unknown_image_is_refused(compile_error):
    errors = compile_error("""
        name: shop
        services:
          web:
            image: example/web:1
            user: appuser
    """)
    error = only(errors, "E-SECURITY-USER")
    assert "service 'web'" in error.message and "'appuser'" in error.message
    assert "numeric UID" in error.message
    assert error.position.line == 6


# --- The pod and container security contexts --------------------------------------------


def test_the_pod_security_context_is_hardened(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            user: "1000:1000"
    """)
    assert c.pod("web")["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 1000,
        "runAsGroup": 1000,
        "fsGroup": 1000,
        "fsGroupChangePolicy": "OnRootMismatch",
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def test_the_container_drops_every_capability_and_cannot_escalate(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
    """)
    assert c.container("web")["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
    }


def test_net_bind_service_is_added_back_only_when_cap_add_asks(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          proxy:
            image: example/proxy:1
            cap_add: [NET_BIND_SERVICE]
          web:
            image: example/web:1
    """)
    assert c.container("proxy")["securityContext"]["capabilities"] == {"drop": ["ALL"],
                                                                       "add": ["NET_BIND_SERVICE"]}
    assert c.container("web")["securityContext"]["capabilities"] == {"drop": ["ALL"]}


def test_tmpfs_becomes_a_memory_backed_empty_dir_with_its_size(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            tmpfs:
              - /run:size=16m
    """)
    assert {"name": "tmpfs-run", "emptyDir": {"medium": "Memory", "sizeLimit": "16Mi"}} in c.pod("web")["volumes"]
    assert {"name": "tmpfs-run", "mountPath": "/run"} in c.container("web")["volumeMounts"]


def test_tmp_is_always_writable(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
    """)
    assert c.pod("web")["volumes"] == [{"name": "scratch-tmp", "emptyDir": {"sizeLimit": "64Mi"}}]
    assert c.container("web")["volumeMounts"] == [{"name": "scratch-tmp", "mountPath": "/tmp"}]


def test_postgres_gets_its_socket_directory_as_an_empty_dir(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          db:
            image: postgres:15-alpine
    """)
    assert {"name": "scratch-var-run-postgresql", "emptyDir": {"sizeLimit": "64Mi"}} in c.pod("db")["volumes"]
    assert {"name": "scratch-var-run-postgresql", "mountPath": "/var/run/postgresql"} in c.container("db")["volumeMounts"]


def test_each_workload_has_its_own_service_account_without_a_token(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
          worker:
            image: example/worker:1
    """)
    for name in ("web", "worker"):
        account = c.get("ServiceAccount", name)
        assert account["automountServiceAccountToken"] is False
        assert c.pod(name)["serviceAccountName"] == name
        assert c.pod(name)["automountServiceAccountToken"] is False
    assert len([m for m in c.manifests if m["kind"] == "ServiceAccount"]) == 2


# --- Refusals ---------------------------------------------------------------------------

REFUSALS = [
    ("privileged: true", "E-SECURITY-PRIVILEGED", "privileged"),
    ("network_mode: host", "E-SECURITY-HOST-NAMESPACE", "network_mode: host"),
    ("pid: host", "E-SECURITY-HOST-NAMESPACE", "pid: host"),
    ("ipc: host", "E-SECURITY-HOST-NAMESPACE", "ipc: host"),
    ("cap_add: [SYS_ADMIN]", "E-SECURITY-CAPABILITY", "SYS_ADMIN"),
    ('devices: ["/dev/ttyUSB0:/dev/ttyUSB0"]', "E-SECURITY-DEVICE", "/dev/ttyUSB0"),
    ("sysctls: {kernel.msgmax: 65536}", "E-SECURITY-SYSCTL", "kernel.msgmax"),
]


@pytest.mark.parametrize("setting, code, mentioned", REFUSALS, ids=[r[1] + ":" + r[0].split(":")[0] for r in REFUSALS])
def test_settings_restricted_forbids_are_refused_at_their_key(compile_error, setting, code, mentioned):
    errors = compile_error(f"""
        name: shop
        services:
          web:
            image: example/web:1
            {setting}
    """)
    error = only(errors, code)
    assert error.severity == "error"
    assert error.message.startswith("service 'web': ")
    assert mentioned in error.message
    assert "podSecurity" in error.message  # says how to opt out
    assert (error.position.file, error.position.line) == ("compose.yaml", 6)


def test_a_safe_sysctl_is_kept(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            sysctls:
              net.ipv4.tcp_keepalive_time: 600
    """)
    assert c.pod("web")["securityContext"]["sysctls"] == [{"name": "net.ipv4.tcp_keepalive_time", "value": "600"}]


def test_the_docker_socket_is_refused(compile_error):
    errors = compile_error("""
        name: shop
        services:
          agent:
            image: example/agent:1
            volumes:
              - /var/run/docker.sock:/var/run/docker.sock
    """)
    error = only(errors, "E-SECURITY-HOSTPATH")
    assert error.message.startswith("service 'agent': ")
    assert "Docker socket" in error.message
    assert error.position.line == 7  # the volumes entry


def test_another_host_path_is_refused(compile_error):
    errors = compile_error("""
        name: shop
        services:
          agent:
            image: example/agent:1
            volumes: ["/etc/ssl/certs:/certs:ro"]
    """)
    error = only(errors, "E-SECURITY-HOSTPATH")
    assert "host path /etc/ssl/certs" in error.message


def test_a_host_path_refusal_says_what_to_change(compile_error):
    errors = compile_error("""
        name: shop
        services:
          agent:
            image: example/agent:1
            volumes: ["/srv/agent:/data"]
    """)
    error = only(errors, "E-SECURITY-HOSTPATH")
    assert "use a named volume" in error.message
    assert "x-k8s: {podSecurity: privileged, reason: ...}" in error.message


def test_the_host_time_zone_files_are_refused_with_the_tz_fix(compile_error):
    # Gitea's and many other published files mount the host's time zone read-only.
    errors = compile_error("""
        name: shop
        services:
          git:
            image: example/git:1
            volumes:
              - /etc/timezone:/etc/timezone:ro
              - /etc/localtime:/etc/localtime:ro
    """)
    found = [e for e in errors if e.code == "E-SECURITY-HOSTPATH"]
    assert [e.position.line for e in found] == [7, 8]
    for error in found:
        assert "time zone" in error.message and "delete this line" in error.message
        assert "TZ" in error.message


# --- Opting out -------------------------------------------------------------------------


def test_a_service_can_opt_out_with_a_reason(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          mdns:
            image: example/mdns:1
            privileged: true
            network_mode: host
            x-k8s:
              podSecurity: privileged
              reason: "needs the host network for mDNS"
          web:
            image: example/web:1
    """)
    assert c.pod("mdns")["hostNetwork"] is True
    assert c.container("mdns")["securityContext"]["privileged"] is True
    assert "hostNetwork" not in c.pod("web")
    assert c.container("web")["securityContext"]["privileged"] is False
    labels = c.get("Namespace", "shop")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "privileged"
    assert labels["pod-security.kubernetes.io/warn"] == "restricted"  # still told about it
    warning = only(c.diagnostics, "W-SECURITY-OPT-OUT")
    assert "service 'mdns'" in warning.message and "needs the host network for mDNS" in warning.message


def test_opting_out_needs_a_reason(compile_error):
    errors = compile_error("""
        name: shop
        services:
          mdns:
            image: example/mdns:1
            privileged: true
            x-k8s: {podSecurity: privileged}
    """)
    error = only(errors, "E-XK8S")
    assert "service 'mdns'" in error.message and "podSecurity needs a 'reason'" in error.message


def test_a_non_root_pod_listening_below_1024_lowers_the_unprivileged_port_start(compile_compose):
    c = compile_compose("""
        services:
          wordpress:
            image: wordpress:6.6-apache
            ports: ["80:80"]
          api:
            image: example/api:1
            user: "10001"
            expose: [8080]
          tuned:
            image: example/tuned:1
            user: "10001"
            expose: [443]
            sysctls:
              net.ipv4.ip_unprivileged_port_start: "0"
    """)
    wp = c.pod("wordpress")["securityContext"]
    assert wp["runAsUser"] == 33
    assert wp["sysctls"] == [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "80"}]
    assert "sysctls" not in c.pod("api")["securityContext"]
    # the compose file's own value wins
    assert c.pod("tuned")["securityContext"]["sysctls"] == [
        {"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}]


def test_image_facts_hold_for_the_publishers_image_only(compile_compose):
    c = compile_compose("""
        services:
          official:
            image: docker.io/library/redis:7.4-alpine
          mirrored:
            image: mirror.example.com/postgres:16
          quay:
            image: quay.io/keycloak/keycloak:26.0
          bitnami:
            image: bitnami/redis:7.4
    """)
    assert c.pod("official")["securityContext"]["runAsUser"] == 999
    assert c.pod("mirrored")["securityContext"]["runAsUser"] == 999
    assert c.pod("quay")["securityContext"]["runAsUser"] == 1000
    # Bitnami's redis runs as 1001, not as the official image's 999: no facts, the default UID.
    assert c.pod("bitnami")["securityContext"]["runAsUser"] == 10001
    assert any(d.code == "W-SECURITY-DEFAULT-UID" and "'bitnami'" in d.message for d in c.diagnostics)
