"""Every compose key is accounted for: mapped by the plan, or reported where it was written."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..compose import Project, Service
from ..diagnostics import Reporter
from .names import dns_name

if TYPE_CHECKING:
    from .draft import Draft

# Keys the plan turns into Kubernetes fields (or refuses with an error of its own), and into
# what: this table is also the source of docs/conversion.md (python -m composek8s.docs).
CONVERSIONS = {
    "image": "container `image` (chart: `<service>.image.repository`/`tag`); a known image also sets the user, probes and writable paths",
    "build": "the Dockerfile's final (or `target`) stage is read for USER, HEALTHCHECK, EXPOSE and VOLUME; without `image`, the image name Compose gives it, with a warning",
    "command": "container `args` (strings split like a shell; `$(VAR)` escaped); a command that runs another program than the image's (a worker built from the web's Dockerfile) does not get the image's EXPOSE, HEALTHCHECK or known port and check; host names in it are references (see `ports`)",
    "entrypoint": "container `command`; the image's EXPOSE, HEALTHCHECK, known port and check no longer apply",
    "environment": "container `env`; secret-looking variables and values embedding them become `secretKeyRef`s into `<project>-secrets`",
    "env_file": "read (inside the project only) into `env`; secret-looking keys become `secretKeyRef`s, their values are never read",
    "ports": "container ports and a ClusterIP Service; host port 80/443 also an Ingress; other host ports warn. A service others reach on a port it does not declare (`backend:8000` in an nginx config, `http://api` in an env value, `broker:29092`) gets that port, with a warning at the file and line where it was found",
    "expose": "container ports and a ClusterIP Service",
    "volumes": "named volume: a claim (StatefulSet `volumeClaimTemplates`, or a PVC), logs an emptyDir. Bind mounts by what they hold: configuration (a file, or a folder of files read-only or outside data paths) a read-only ConfigMap; data (a folder read-write at the image's data path or VOLUME, at a path named for data, holding a database's files, missing, empty, or over 1 MiB) a claim, its current content not carried over (the warning says how to load it); source code inside a build context: dropped; host path: refused. A data store's data path with no mount gets a claim (Docker's anonymous volume)",
    "tmpfs": "an `emptyDir` with `medium: Memory` and the same size limit",
    "healthcheck": "readiness, liveness (twice the failure threshold) and startup probes; `curl`/`wget` of localhost become `httpGet`",
    "user": "`runAsUser`, `runAsGroup`, `fsGroup` (numeric; root refused)",
    "cap_add": "`capabilities.add`: only NET_BIND_SERVICE under `restricted`",
    "cap_drop": "always `drop: [ALL]`",
    "security_opt": "`no-new-privileges` is `allowPrivilegeEscalation: false`; unconfined profiles refused; others warn",
    "privileged": "refused unless the service opts out with `x-k8s.podSecurity`",
    "read_only": "always `readOnlyRootFilesystem: true`, with emptyDirs for the paths the image writes",
    "network_mode": "`host` refused (or `hostNetwork` with the opt-out); `service:`/`container:` (one pod in Kubernetes) and `none` reported",
    "pid": "`host` refused (or `hostPID` with the opt-out); `service:`/`container:` reported",
    "ipc": "`host` refused (or `hostIPC` with the opt-out); `service:`/`container:` reported",
    "devices": "refused under `restricted`",
    "sysctls": "pod `sysctls`: safe ones mapped, unsafe ones refused",
    "restart": "`no` / `on-failure[:N]` make a Job (`backoffLimit`) only for a one-shot (no port, no other service reaches it); a server stays a Deployment/StatefulSet, with a warning that Kubernetes restarts its pod",
    "deploy": "`replicas`, `resources` (requests/limits as `512Mi`, `500m`), the rollout, restarts and placement: see the `deploy` table below; each other sub-key is reported where written",
    "scale": "replicas",
    "cpus": "CPU limit",
    "mem_limit": "memory limit",
    "mem_reservation": "memory request",
    "depends_on": "start-up order and NetworkPolicy rules (data stores accept the services that depend on them or name them). `service_started` (default): nothing, Kubernetes restarts the dependent until its dependency answers; `service_healthy`: an init container `wait-for-<dep>` (busybox, `global.waitImage`) waits until the dependency's Service accepts a TCP connection on its first port (a Service routes only to Ready pods, and readiness is the healthcheck), a dependency with no port warns; `service_completed_successfully`: the dependency runs as a Job named `<dep>-<hash of its spec and values>` (a change makes a new Job: Job templates are immutable), and an init container runs `kubectl wait` on it (`global.kubectlImage`) with an API token projected into it alone, a Role reading that one Job, and egress to the API server (`global.apiServer`); `required: false`: no wait; `restart: true`: not mapped, warns; cycles are refused",
    "configs": "a ConfigMap per config (`file`, `content` or `environment`; `external` names an existing one) mounted read-only at `target` (default `/<config>`) with `mode` (default 0444)",
    "secrets": "a projected Secret volume at `/run/secrets/<target>` from `<project>-<secret>`",
    "networks": "NetworkPolicies: peers on a shared compose network reach each other's ports; a data store admits only the services that depend on it or name it as a host (env values, commands, mounted files), on the port they name, and the warning lists who it shuts out; a network alias used as a host is written as the Service name (W-HOST-ALIAS)",
    "stop_grace_period": "`terminationGracePeriodSeconds`",
    "working_dir": "container `workingDir`",
    "platform": "`nodeSelector` on `kubernetes.io/os` and `kubernetes.io/arch` (the variant is dropped)",
    "profiles": "services whose profiles are not enabled are left out",
    "labels": "`kompose.*` labels are honoured, mapped the hardened way (README: kompose labels); other labels are not copied (use Kubernetes labels) and are reported",
}
MAPPED = frozenset(CONVERSIONS)
# Keys with no Kubernetes meaning here, and why.
EXPLAINED = {
    "container_name": "Kubernetes names pods itself; the workload and its Service are named after the "
                      "service (where the project uses the container name as a host, the Service name is "
                      "written instead: W-HOST-ALIAS)",
    "hostname": "pods are reached through their Service name",
    "logging": "the cluster collects stdout and stderr",
    "init": "use an init process in the image (e.g. dumb-init)",
    "stop_signal": "Kubernetes stops containers with SIGTERM (SIGTERM itself is not reported); make the process stop on SIGTERM",
    "ulimits": "Kubernetes has no per-container ulimits: the node's container runtime sets them",
    "runtime": "Docker runtimes are not Kubernetes RuntimeClasses: add `runtimeClassName` with a kustomize patch or post-renderer",
    "shm_size": "mount a memory-backed emptyDir at /dev/shm (`tmpfs: /dev/shm:size=…`)",
    "extra_hosts": "use Services or DNS instead of /etc/hosts entries",
    "links": "services reach each other through their Service names (where the project uses a link alias as "
             "a host, the Service name is written instead: W-HOST-ALIAS)",
    "pull_policy": "imagePullPolicy is Always for an image named by tag, IfNotPresent for a digest",
    "dns": "pods resolve through the cluster DNS (a pod `dnsConfig` is not set from compose)",
    "dns_search": "pods resolve through the cluster DNS (a pod `dnsConfig` is not set from compose)",
    "dns_opt": "pods resolve through the cluster DNS (a pod `dnsConfig` is not set from compose)",
    "gpus": "GPUs are a device plugin's extended resource: add it to `<service>.resources` (e.g. nvidia.com/gpu)",
    "post_start": "not mapped to the container's `lifecycle.postStart` hook yet",
    "pre_stop": "not mapped to the container's `lifecycle.preStop` hook (a 5 s sleep lets endpoints drain)",
    "cpu_shares": "CPU is shared by requests and limits: use `deploy.resources`",
    "cpu_quota": "CPU is capped by limits: use `deploy.resources.limits.cpus`",
    "cpu_period": "CPU is capped by limits: use `deploy.resources.limits.cpus`",
    "cpuset": "pinning CPUs is the kubelet's CPU manager policy, not a pod setting",
    "pids_limit": "Kubernetes sets the PID limit per node (kubelet podPidsLimit)",
    "mem_swappiness": "swap is the node's setting",
    "memswap_limit": "swap is the node's setting",
    "oom_score_adj": "the kubelet sets OOM scores from the pod's QoS class (requests and limits)",
    "oom_kill_disable": "the kubelet sets OOM scores from the pod's QoS class (requests and limits)",
    "stdin_open": "a Deployment has no terminal: use `kubectl exec -it` or `kubectl debug`",
    "tty": "a Deployment has no terminal: use `kubectl exec -it` or `kubectl debug`",
    "group_add": "supplementary groups are not mapped (the pod runs with its fsGroup)",
    "userns_mode": "user namespaces (`hostUsers: false`) are not mapped",
    "annotations": "container annotations are not copied; use Kubernetes annotations",
    "use_api_socket": "no container gets the Docker API in Kubernetes",
    "volumes_from": "pods do not share another pod's volumes: mount the same claim or ConfigMap",
    "external_links": "services reach each other through their Service names",
    "credential_spec": "a Windows container setting",
    "isolation": "a Windows container setting",
}
# deploy sub-keys, as "section.key"; a section listed here maps all of its own sub-keys
# unless one is in DEPLOY_EXPLAINED.
DEPLOY_CONVERSIONS = {
    "replicas": "`replicas` (chart: `<service>.replicas`)",
    "resources": "container `resources`: `limits`/`reservations` `cpus` and `memory` become limits and requests",
    "mode": "`replicated` is a Deployment or StatefulSet; `global` (one per node) is reported",
    "update_config": "the rollout: `parallelism` replicas at a time, `start-first` as `maxSurge`, "
                     "`stop-first` as `maxUnavailable`; `delay` as `minReadySeconds`",
    "restart_policy": "`condition: none` / `on-failure` (`max_attempts`) make a Job, as `restart` does",
    "placement": "`constraints` of the form `node.labels.KEY == VALUE` become a `nodeSelector`",
}
DEPLOY_EXPLAINED = {
    "resources.limits.pids": "Kubernetes sets the PID limit per node (kubelet podPidsLimit)",
    "resources.reservations.devices": "devices (GPUs) need a device plugin's extended resource; set it in `<service>.resources`",
    "resources.reservations.generic_resources": "use extended resources in `<service>.resources`",
    "update_config.monitor": "Kubernetes watches readiness instead (`progressDeadlineSeconds`)",
    "update_config.failure_action": "a failed rollout stops; roll back with `kubectl rollout undo` or Helm",
    "update_config.max_failure_ratio": "a failed rollout stops at the first pod that is not ready",
    "rollback_config": "roll back with `kubectl rollout undo` or `helm rollback`",
    "restart_policy.delay": "the kubelet restarts with an exponential back-off",
    "restart_policy.window": "the kubelet restarts with an exponential back-off",
    "labels": "service labels are Swarm's; use Kubernetes labels",
    "endpoint_mode": "a Service load-balances through a virtual IP",
    "placement.preferences": "use `<service>.affinity` or topologySpreadConstraints",
    "placement.max_replicas_per_node": "pods spread over nodes by topologySpreadConstraints",
}


def account_for_all_keys(draft: Draft) -> None:
    """Pass: every key of the project and its services is mapped or reported where written."""
    account_for_project(draft.project, draft.reporter)
    for svc in draft.project.services.values():
        account_for_keys(svc, draft.reporter)


def account_for_keys(svc: Service, reporter: Reporter) -> None:
    for key, where in svc.keys.items():
        if key in MAPPED or key.startswith("x-"):
            continue
        if key == "stop_signal" and (svc.stop_signal or "").upper() in ("SIGTERM", "TERM", "15"):
            continue  # what Kubernetes sends anyway
        why = EXPLAINED.get(key, "it has no Kubernetes equivalent")
        reporter.warn("W-KEY-IGNORED", f"service {svc.name!r}: {key!r} is ignored: {why}", where)
    _account_for_deploy(svc, reporter)
    _account_for_namespaces(svc, reporter)
    _account_for_sub_keys(svc, reporter)
    others = sorted(k for k in svc.labels if not k.startswith("kompose."))
    if others:
        some = "" if len(others) == len(svc.labels) else " (its kompose.* labels are honoured)"
        reporter.warn("W-KEY-IGNORED", f"service {svc.name!r}: label{'s' if len(others) > 1 else ''} "
                      f"{', '.join(repr(k) for k in others)} {'are' if len(others) > 1 else 'is'} ignored"
                      f"{some}: container labels are not copied; use Kubernetes labels",
                      svc.labels[others[0]].position or svc.keys.get("labels"))
    if "security_opt" in svc.keys:
        for opt in svc.security_opt:
            if opt.replace("=", ":") not in ("no-new-privileges:true", "no-new-privileges"):
                reporter.warn("W-KEY-IGNORED", f"service {svc.name!r}: security_opt {opt!r} is ignored: "
                              "the pod uses the RuntimeDefault seccomp profile", svc.keys["security_opt"])
    if "read_only" in svc.keys and not svc.read_only:
        reporter.warn("W-READ-ONLY", f"service {svc.name!r}: read_only: false is overridden: every "
                      "container runs with a read-only root filesystem and emptyDirs for scratch "
                      "paths", svc.keys["read_only"])


def _account_for_deploy(svc: Service, reporter: Reporter) -> None:
    for key, where in svc.deploy_keys.items():
        section, dot, _ = key.partition(".")
        if dot and section not in DEPLOY_CONVERSIONS:
            continue  # the section's own warning covers it
        why = DEPLOY_EXPLAINED.get(key) or (None if section in DEPLOY_CONVERSIONS else
                                            DEPLOY_EXPLAINED.get(section, "it has no Kubernetes equivalent"))
        if why:
            reporter.warn("W-KEY-IGNORED", f"service {svc.name!r}: 'deploy.{key}' is ignored: {why}", where)
    policy = svc.restart_policy
    if policy is not None and policy.condition == "any" and policy.max_attempts is not None:
        reporter.warn("W-KEY-IGNORED", f"service {svc.name!r}: 'deploy.restart_policy.max_attempts' is "
                      "ignored with condition any: a long-running workload is restarted without limit",
                      svc.deploy_keys.get("restart_policy.max_attempts"))
    for constraint, where in svc.other_constraints:
        reporter.warn("W-KEY-IGNORED", f"service {svc.name!r}: placement constraint {constraint!r} is "
                      "ignored: only node.labels.KEY == VALUE maps (to a nodeSelector)", where)
    if svc.deploy_mode == "global":
        reporter.warn("W-KEY-IGNORED", f"service {svc.name!r}: 'deploy.mode: global' (one replica per "
                      "node) is not mapped: it runs as replicated; a DaemonSet would need host access "
                      "Pod Security forbids for most such agents", svc.deploy_keys["mode"])


# Keys inside top-level definitions: what each becomes, or why it is ignored.
DEFINITION_CONVERSIONS = {
    "volumes": {
        "external": "the claim is not created: the workload mounts the existing PersistentVolumeClaim named `name` (or the volume's key)",
        "name": "with `external`, the existing claim's name",
    },
    "networks": {
        "internal": "kept: NetworkPolicies already allow egress only to peers and DNS (add `x-k8s.egress` to leave the cluster)",
        "name": "the pod label `network.composek8s.io/<key>` is named after the network's key",
        "external": "NetworkPolicies select peers on the network by pod label, wherever they were defined",
    },
    "secrets": {
        "file": "the value is never read: the Secret `<project>-<secret>` must exist in the cluster",
        "environment": "the value is never read: the Secret `<project>-<secret>` must exist in the cluster",
        "external": "the Secret must exist in the cluster",
    },
    "configs": {
        "file": "a ConfigMap with the file's content",
        "content": "a ConfigMap with the content",
        "environment": "a ConfigMap with the variable's value (secret-looking names refused)",
        "external": "the ConfigMap `name` (or the config's key) must exist in the cluster",
        "name": "with `external`, the existing ConfigMap's name",
    },
}
DEFINITION_EXPLAINED = {
    "driver": "Docker drivers have no Kubernetes meaning: storage comes from the cluster's StorageClass "
              "(`x-k8s.storage.storageClass`), networking from its CNI",
    "driver_opts": "Docker driver options have no Kubernetes meaning; for NFS or other backends, "
                   "give the claim a StorageClass (`x-k8s.storage.storageClass`)",
    "ipam": "pod and Service addresses are assigned by the cluster",
    "labels": "Docker object labels are not copied",
    "attachable": "a Swarm setting",
    "enable_ipv6": "IP families are the cluster's setting",
    "template_driver": "templated secrets/configs are a Swarm feature",
}
_DEFAULT_DRIVERS = {"volumes": ("local",), "networks": ("bridge", "default")}
TOP_EXPLAINED = {
    "version": "obsolete in the Compose Specification (Docker Compose ignores it too)",
    "models": "AI model runners are a Docker feature with no Kubernetes equivalent",
}


def account_for_project(project: Project, reporter: Reporter) -> None:
    """Top-level keys and the keys inside volume, network, secret and config definitions."""
    for key, where in project.keys.items():
        if key in TOP_EXPLAINED:
            reporter.warn("W-KEY-IGNORED", f"{key!r} is ignored: {TOP_EXPLAINED[key]}", where)
    for (section, name, key), where in project.definition_keys.items():
        if key in DEFINITION_CONVERSIONS.get(section, {}) or key.startswith("x-"):
            continue
        spec = getattr(project, section)[name]
        if key == "driver" and spec.get(key) in _DEFAULT_DRIVERS.get(section, ()):
            continue  # Docker's default driver: nothing is lost
        if section == "volumes" and key == "labels":
            others = sorted(k for k in project.volume_labels.get(name, {}) if not k.startswith("kompose."))
            if others:
                reporter.warn("W-KEY-IGNORED", f"volume {name!r}: labels {', '.join(others)} are ignored: "
                              "Docker object labels are not copied (kompose.* labels are honoured)", where)
            continue
        why = DEFINITION_EXPLAINED.get(key, "it has no Kubernetes equivalent")
        reporter.warn("W-KEY-IGNORED", f"{section[:-1]} {name!r}: {key!r} is ignored: {why}", where)


_OWN_NAMESPACE = (None, "", "bridge", "default", "private", "shareable", "host")  # host: refused elsewhere


def _account_for_namespaces(svc: Service, reporter: Reporter) -> None:
    """``network_mode``/``pid``/``ipc`` sharing another container's namespace, or none: a pod
    boundary in Kubernetes, which composek8s does not merge services across."""
    for key, value in (("network_mode", svc.network_mode), ("pid", svc.pid), ("ipc", svc.ipc)):
        if value in _OWN_NAMESPACE:
            continue
        if value.startswith(("service:", "container:")):
            other = value.partition(":")[2]
            effect = (f"localhost no longer reaches {other!r}: reach it by its Service name"
                      if key == "network_mode" else "they do not see each other's processes or memory")
            why = (f"it shares {other!r}'s namespace, which in Kubernetes means one pod; they run as "
                   f"separate pods, so {effect}")
        elif value == "none":
            why = "the pod keeps its network; its NetworkPolicy admits only peers on shared compose networks"
        else:
            why = "it has no Kubernetes equivalent"
        reporter.warn("W-KEY-IGNORED", f"service {svc.name!r}: {key}: {value} is not mapped: {why}",
                      svc.keys.get(key))


# Keys inside mapped service keys that the plan reads; any other is reported where written.
SUB_KEYS_READ = frozenset("""
healthcheck.test healthcheck.interval healthcheck.timeout healthcheck.start_period healthcheck.retries
healthcheck.disable build.context build.dockerfile build.target
ports.target ports.published ports.protocol ports.name
volumes.type volumes.source volumes.target volumes.read_only volumes.tmpfs volumes.tmpfs.size
secrets.source secrets.target secrets.mode configs.source configs.target configs.mode configs.uid configs.gid
env_file.path env_file.required env_file.format
depends_on.condition depends_on.required depends_on.restart
""".split())
SUB_KEYS_EXPLAINED = {
    "build": "build options shape how the image is built, which happens before Kubernetes: build and push it",
    "healthcheck.start_interval": "a probe has one period; the startup probe covers start_period",
    "ports.host_ip": "there is no host in Kubernetes: the Service is reachable inside the cluster",
    "ports.mode": "there is no host port in Kubernetes (hostPort is refused under restricted)",
    "ports.app_protocol": "not copied to the Service's appProtocol",
    "volumes.bind": "bind mounts become ConfigMaps, which have no bind options",
    "volumes.volume": "claims have no volume options (`subpath`: mount the claim where it is needed)",
    "volumes.consistency": "a Docker Desktop setting",
    "volumes.tmpfs.mode": "an emptyDir's mode follows the pod's fsGroup",
    "secrets": "Secret files belong to root and the pod's fsGroup",
    "networks": "NetworkPolicies select peers by labels; addresses, priorities and driver options are the cluster's",
}


def _account_for_sub_keys(svc: Service, reporter: Reporter) -> None:
    for key, where in svc.sub_keys:
        if key in SUB_KEYS_READ:
            continue
        if key == "networks.aliases":
            reporter.warn("W-KEY-IGNORED", f"service {svc.name!r}: network aliases are ignored: Kubernetes "
                          f"resolves its Service name {dns_name(svc.name)!r} only (where the project uses an "
                          "alias as a host, the Service name is written instead: W-HOST-ALIAS; clients "
                          "outside the project must change to it)", where)
            continue
        parts = key.split(".")
        why = next((SUB_KEYS_EXPLAINED[".".join(parts[:n])] for n in range(len(parts), 0, -1)
                    if ".".join(parts[:n]) in SUB_KEYS_EXPLAINED), "it has no Kubernetes equivalent")
        reporter.warn("W-KEY-IGNORED", f"service {svc.name!r}: '{key}' is ignored: {why}", where)
