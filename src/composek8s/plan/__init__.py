"""The plan stage: a typed ``Project`` in, every Kubernetes decision out.

``build_plan`` runs a fixed list of passes over one plan in progress (``draft.Draft``); each
pass is a function in the module that owns its rule and reads what earlier passes decided.
See docs/architecture.md.
"""
from __future__ import annotations

from ..compose import Project, SecretRef
from ..diagnostics import Reporter
from .acknowledge import acknowledge_warnings
from .apicheck import check_target, refuse_api_violations
from .assemble import assemble, finish, finish_job_names_pass
from .binds import classify_binds
from .configs import mount_all_configs, plan_configs
from .draft import Draft
from .endpoints import plan_endpoints
from .facts import derive_facts
from .frame import frame
from .keys import account_for_all_keys
from .kompose import check_labels_fit, read_kompose_labels
from .model import Decision, Plan, Resource, SecretKey, Value, resolve_values
from .names import check_names
from .network import plan_network
from .reach import warn_reach
from .references import find_references
from .secrets import check_environment_values, mount_secrets, plan_secrets
from .security import refuse_all_unsafe
from .startup import plan_startup
from .storage import plan_volumes, report_clashes
from .workloads import decide_kinds, plan_workloads
from .xk8s import validate_x_k8s


def stop_on_errors(draft: Draft) -> None:
    """Pass: later passes need what the passes before it checked."""
    draft.reporter.raise_if_errors()


PASSES = (
    validate_x_k8s,         # xk8s: every x-k8s block has its documented shape
    stop_on_errors,
    check_target,           # apicheck: the project name, the namespaces, one values key per service
    read_kompose_labels,    # kompose: kompose.* labels become x-k8s settings and typed settings
    frame,                  # frame: the Plan (namespace, Secret, environments), a draft per service
    check_names,            # names: a DNS name per service, no two alike
    account_for_all_keys,   # keys: every compose key mapped or reported where it is written
    refuse_all_unsafe,      # security: what the service's Pod Security level forbids
    stop_on_errors,
    derive_facts,           # facts: build contexts, secret files, host names in env values
    plan_configs,           # configs: a ConfigMap per compose config
    classify_binds,         # binds: each bind mount is configuration, data, source or a host path
    find_references,        # references: who names whom as a host (env, command, mounted files)
    decide_kinds,           # workloads: Deployment, StatefulSet or Job
    plan_endpoints,         # endpoints: named container ports (declared or inferred), the public port
    warn_reach,             # reach: names others use that no Service answers
    plan_volumes,           # storage: claims, emptyDirs, ConfigMaps, seeded paths
    mount_secrets,          # secrets: compose secrets from cluster Secrets
    mount_all_configs,      # configs: each use of a config mounted
    report_clashes,         # storage: two mounts sharing one pod volume name
    check_labels_fit,       # kompose: what the labels ask of the workload, now that it is known
    plan_startup,           # startup: waits for dependencies, names of awaited Jobs
    plan_workloads,         # workloads: the workload and its companions; secret keys read
    plan_network,           # network: Services, Ingresses, NetworkPolicies
    assemble,               # assemble: plan.resources in their fixed order
    stop_on_errors,
    finish_job_names_pass,  # assemble: hashed names of awaited Jobs (they read all values)
    plan_secrets,           # secrets: the Secret keys to create, ExternalSecrets
    check_environment_values,  # secrets: environments set no secret and no env the chart ignores
    refuse_api_violations,  # apicheck: every object through the API server's rules, at its compose key
    acknowledge_warnings,   # acknowledge: warnings x-k8s.acknowledge covers are dropped
    finish,                 # assemble: unique object names; diagnostics kept
)


def build_plan(project: Project, reporter: Reporter, namespace: str | None = None) -> Plan:
    """Decide every Kubernetes object for ``project``; raises ``CompileError`` on bad input."""
    draft = Draft(project, reporter, namespace_option=namespace)
    for run in PASSES:
        run(draft)
    return draft.plan


__all__ = ["build_plan", "PASSES", "Plan", "Resource", "Value", "SecretKey", "Decision", "resolve_values",
           "SecretRef"]
