"""Every compose key is accounted for: mapped by the plan, or reported where it was written."""
from __future__ import annotations

from ..compose import Service
from ..diagnostics import Reporter

# Keys the plan turns into Kubernetes fields (or refuses with an error of its own), and into
# what: this table is also the source of docs/conversion.md (python -m composek8s.docs).
CONVERSIONS = {
    "image": "container `image` (chart: `<service>.image.repository`/`tag`); a known image also sets the user, probes and writable paths",
    "build": "the Dockerfile's final (or `target`) stage is read for USER, HEALTHCHECK, EXPOSE and VOLUME; without `image`, the image name Compose gives it, with a warning",
    "command": "container `args` (strings split like a shell; `$(VAR)` escaped)",
    "entrypoint": "container `command`",
    "environment": "container `env`; secret-looking variables and values embedding them become `secretKeyRef`s into `<project>-secrets`",
    "env_file": "read (inside the project only) into `env`; secret-looking keys become `secretKeyRef`s, their values are never read",
    "ports": "container ports and a ClusterIP Service; host port 80/443 also an Ingress; other host ports warn",
    "expose": "container ports and a ClusterIP Service",
    "volumes": "named volume: a claim (StatefulSet `volumeClaimTemplates`, or a PVC), logs an emptyDir; project file: a ConfigMap; source folder: dropped; host path: refused",
    "tmpfs": "an `emptyDir` with `medium: Memory` and the same size limit",
    "healthcheck": "readiness, liveness (twice the failure threshold) and startup probes; `curl`/`wget` of localhost become `httpGet`",
    "user": "`runAsUser`, `runAsGroup`, `fsGroup` (numeric; root refused)",
    "cap_add": "`capabilities.add`: only NET_BIND_SERVICE under `restricted`",
    "cap_drop": "always `drop: [ALL]`",
    "security_opt": "`no-new-privileges` is `allowPrivilegeEscalation: false`; unconfined profiles refused; others warn",
    "privileged": "refused unless the service opts out with `x-k8s.podSecurity`",
    "read_only": "always `readOnlyRootFilesystem: true`, with emptyDirs for the paths the image writes",
    "network_mode": "`host` refused (or `hostNetwork` with the opt-out)",
    "pid": "`host` refused (or `hostPID` with the opt-out)",
    "ipc": "`host` refused (or `hostIPC` with the opt-out)",
    "devices": "refused under `restricted`",
    "sysctls": "pod `sysctls`: safe ones mapped, unsafe ones refused",
    "restart": "`no` / `on-failure[:N]` make a Job (`backoffLimit`); others a long-running workload",
    "deploy": "`replicas` and `resources` (requests/limits as `512Mi`, `500m`); other sub-keys warn",
    "scale": "replicas",
    "cpus": "CPU limit",
    "mem_limit": "memory limit",
    "mem_reservation": "memory request",
    "depends_on": "start-up order and NetworkPolicy rules (data stores accept only the services that depend on them). `service_started` (default): nothing, Kubernetes restarts the dependent until its dependency answers; `service_healthy`: an init container `wait-for-<dep>` (busybox, `global.waitImage`) waits until the dependency's Service accepts a TCP connection on its first port (a Service routes only to Ready pods, and readiness is the healthcheck), a dependency with no port warns; `service_completed_successfully`: the dependency runs as a Job named `<dep>-<hash of its spec and values>` (a change makes a new Job: Job templates are immutable), and an init container runs `kubectl wait` on it (`global.kubectlImage`) with an API token projected into it alone, a Role reading that one Job, and egress to the API server (`global.apiServer`); `required: false`: no wait; `restart: true`: not mapped, warns; cycles are refused",
    "secrets": "a projected Secret volume at `/run/secrets/<target>` from `<project>-<secret>`",
    "networks": "NetworkPolicies: peers on a shared compose network reach each other's ports",
    "stop_grace_period": "`terminationGracePeriodSeconds`",
    "working_dir": "container `workingDir`",
    "profiles": "services whose profiles are not enabled are left out",
}
MAPPED = frozenset(CONVERSIONS)
# Keys with no Kubernetes meaning here, and why.
EXPLAINED = {
    "container_name": "Kubernetes names pods itself; the workload is named after the service",
    "hostname": "pods are reached through their Service name",
    "labels": "container labels are not copied; use Kubernetes labels",
    "logging": "the cluster collects stdout and stderr",
    "init": "use an init process in the image (e.g. dumb-init)",
    "stop_signal": "Kubernetes sends SIGTERM; set STOPSIGNAL handling in the image",
    "extra_hosts": "use Services or DNS instead of /etc/hosts entries",
    "links": "services reach each other through their Service names",
    "pull_policy": "imagePullPolicy is Always for an image named by tag, IfNotPresent for a digest",
    "configs": "not mapped yet (they will become ConfigMaps); the service gets no file",
}
DEPLOY_MAPPED = {"replicas", "resources"}


def account_for_keys(svc: Service, reporter: Reporter) -> None:
    for key, where in svc.keys.items():
        if key in MAPPED or key.startswith("x-"):
            continue
        why = EXPLAINED.get(key, "it has no Kubernetes equivalent")
        reporter.warn("W-KEY-IGNORED", f"service {svc.name!r}: {key!r} is ignored: {why}", where)
    if "security_opt" in svc.keys:
        for opt in svc.security_opt:
            if opt.replace("=", ":") not in ("no-new-privileges:true", "no-new-privileges"):
                reporter.warn("W-KEY-IGNORED", f"service {svc.name!r}: security_opt {opt!r} is ignored: "
                              "the pod uses the RuntimeDefault seccomp profile", svc.keys["security_opt"])
    if "read_only" in svc.keys and not svc.read_only:
        reporter.warn("W-READ-ONLY", f"service {svc.name!r}: read_only: false is overridden: every "
                      "container runs with a read-only root filesystem and emptyDirs for scratch "
                      "paths", svc.keys["read_only"])
