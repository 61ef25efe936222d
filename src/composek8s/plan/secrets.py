"""Secrets: compose ``secrets:`` mounted from cluster Secrets (never their values), and the
opt-in ExternalSecrets that fill them from a store."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..compose import Project, is_secret_name
from ..diagnostics import Reporter
from ..secretscan import describe, scan_value
from .defaults import default_values
from .model import Name, Namespace, Plan, Resource, SecretKey, key_part
from .names import camel_key, dns_name, is_object_name, labels

if TYPE_CHECKING:
    from .draft import Draft


def mount_secrets(draft: Draft) -> None:
    """Pass: each service's compose ``secrets`` mounted from cluster Secrets."""
    for svc, sd in draft.each():
        mount_compose_secrets(svc, draft.project, sd.storage, draft.secret_users, draft.reporter)


def check_environment_values(draft: Draft) -> None:
    """Pass: what ``x-k8s.environments`` sets lands in committed files (values-<env>.yaml, the
    overlay), so it may hold no secret (by its variable's name or by what it holds); and an
    env variable the chart does not read would do nothing, silently."""
    plan = draft.plan
    if not plan.environments:
        return
    tree = default_values(plan.resources)
    for env, spec in plan.environments.items():
        values = spec["values"]
        for path, value in _leaves(values, ()):
            named = len(path) == 3 and path[1] == "env" and is_secret_name(path[2]) or path[:2] == ("secrets", "values")
            found = scan_value(value) if isinstance(value, str) else []
            if named or found:
                why = describe(found) if found else "a secret, by its name"
                draft.reporter.error("E-SECRET-ENVIRONMENT", f"environment {env!r}: {'.'.join(map(key_part, path))} "
                                     f"holds {why}; values-{env}.yaml and the overlay are committed: give it at "
                                     f"install (the Secret {plan.secret_name!r}, or --set) instead",
                                     plan.environments_position)
        for name in plan.services:
            key = camel_key(name)
            env_values = (values.get(key) or {}).get("env") if isinstance(values.get(key), dict) else None
            known = (tree.get(key) or {}).get("env") or {}
            for variable in env_values if isinstance(env_values, dict) else ():
                if variable not in known:
                    draft.reporter.error("E-ENVIRONMENT", f"environment {env!r}: {key}.env.{key_part(variable)} is "
                                         "not a value the chart reads: only the variables the compose file gives "
                                         f"{name!r} a plain value are chart values (add it to the compose file)",
                                         plan.environments_position)


def _leaves(data: object, path: tuple) -> list[tuple[tuple, object]]:
    if isinstance(data, dict):
        return [leaf for k, v in data.items() for leaf in _leaves(v, path + (str(k),))]
    if isinstance(data, list):
        return [leaf for i, v in enumerate(data) for leaf in _leaves(v, path + (str(i),))]
    return [(path, data)]


def plan_secrets(draft: Draft) -> None:
    """Pass: the Secret keys every workload reads, and the ExternalSecrets that fill them."""
    plan = draft.plan
    plan.secret_keys = [SecretKey(s, k, req, tuple(sorted(users)))
                        for (s, k), (req, users) in sorted(draft.secret_users.items())]
    spec = draft.project.x_k8s.get("externalSecrets")
    if spec:
        plan.resources += [Resource(m, condition="secrets.externalSecrets.enabled")
                           for m in external_secrets(plan, spec, plan.secret_name)]


def external_secrets(plan: Plan, spec: dict, project_secret: str) -> list[dict]:
    """One ExternalSecret per Secret the workloads read: the External Secrets Operator
    creates the Secret from the store, so no value is in git and none is typed by hand."""
    prefix = spec.get("keyPrefix", f"{plan.project}/")
    by_secret: dict[str, list[SecretKey]] = {}
    for key in plan.secret_keys:
        by_secret.setdefault(key.secret, []).append(key)
    objects = []
    for secret, keys in sorted(by_secret.items()):
        target = Name(secret, override="secrets.existingSecret") if secret == project_secret else Name(secret)
        objects.append({
            "apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
            "metadata": {"name": Name(secret), "namespace": Namespace(plan.namespace),
                         "labels": labels(plan.project, None, "secrets")},
            "spec": {
                "refreshInterval": str(spec.get("refreshInterval", "1h")),
                "secretStoreRef": {"name": str(spec["store"]), "kind": spec.get("kind", "ClusterSecretStore")},
                "target": {"name": target, "creationPolicy": "Owner"},
                "data": [{"secretKey": k.key, "remoteRef": {"key": f"{prefix}{k.key}"}} for k in keys],
            }})
    return objects


def mount_compose_secrets(svc, project: Project, st, secret_users, reporter: Reporter) -> None:
    """Compose ``secrets:`` → one projected volume at /run/secrets from cluster Secrets."""
    if not svc.secrets:
        return
    sources = []
    for use in svc.secrets:
        spec = project.secrets.get(use.source) or {}
        # An external secret exists in the cluster under its own name; ours are <project>-<secret>.
        name = str(spec.get("name") or use.source) if spec.get("external") else dns_name(f"{project.name}-{use.source}")
        ref = name if spec.get("external") else Name(name)
        if spec.get("external") and not is_object_name(name):
            reporter.error("E-SECRET-EXTERNAL", f"external secret {use.source!r}: {name!r} is not a Secret "
                           "name (lowercase letters, digits, '-' and '.'); set 'name:' to the Secret's name "
                           "in the cluster", project.definition_keys.get(
                               ("secrets", use.source, "name" if "name" in spec else "external")))
            continue
        mode = {"mode": use.mode} if use.mode is not None else {}
        if use.target.startswith("/"):
            # Compose mounts a secret with an absolute target at that path, not under /run/secrets.
            item = {"key": use.source, "path": use.source, **mode}
            st.add(dns_name(f"secret-{use.source}"), {"secret": {"secretName": ref, "items": [item],
                                                                 "defaultMode": 0o440}},
                   use.target, True, sub_path=use.source)
        else:
            sources.append({"secret": {"name": ref, "items": [{"key": use.source, "path": use.target, **mode}]}})
        required, users = secret_users.get((name, use.source), (True, set()))
        secret_users[(name, use.source)] = (True, users | {svc.name})
    if sources:
        st.add("compose-secrets", {"projected": {"sources": sources, "defaultMode": 0o440}}, "/run/secrets", True)
