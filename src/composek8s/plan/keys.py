"""Every compose key is accounted for: mapped by the plan, or reported where it was written."""
from __future__ import annotations

from ..compose import Service
from ..diagnostics import Reporter

# Keys the plan turns into Kubernetes fields (or refuses with an error of its own).
MAPPED = frozenset("""
image build command entrypoint environment env_file ports expose volumes tmpfs healthcheck user
cap_add cap_drop security_opt privileged read_only network_mode pid ipc devices sysctls restart
deploy scale depends_on secrets networks stop_grace_period working_dir profiles cpus mem_limit
mem_reservation
""".split())
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
