"""A service's ``deploy`` (and ``scale``, ``cpus``, ``mem_*``): replicas, resources, the
rollout, restarts and placement, in the typed model; every sub-key keeps its position so the
plan can account for the ones it does not map."""
from __future__ import annotations

import math
import re

from .context import ServiceContext
from .model import Resources, RestartPolicy, Service, UpdateConfig
from .units import parse_size, shown


# Kubernetes keeps a quantity's millicores in an int64 (resource.Quantity.MilliValue).
MAX_CPUS = (2**63 - 1) // 1000
MAX_BYTES = 2**63 - 1  # and its bytes in an int64 too


def read_deploy(svc: Service, raw: dict, ctx: ServiceContext) -> None:
    deploy = raw.get("deploy") or {}
    replicas = deploy.get("replicas", raw.get("scale"))  # whole numbers: cast and schema-checked
    if replicas is not None and replicas < 0:  # Compose refuses these after the schema check
        ctx.error("E-COMPOSE-VALUE", f"{'replicas' if 'replicas' in deploy else 'scale'} must be "
                  f"0 or more, not {replicas}", *(("deploy", "replicas") if "replicas" in deploy else ("scale",)))
    elif replicas is not None:
        svc.replicas = int(replicas)  # `3.0` is a whole number to the schema (and to Compose)
    resources = deploy.get("resources") or {}
    limits, reservations = resources.get("limits") or {}, resources.get("reservations") or {}

    def cpus(value: object, *path: str) -> float | None:
        if value is None:
            return None
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number) or number < 0:
            ctx.error("E-COMPOSE-VALUE", f"{'.'.join(path)}: {shown(value)} is not a number of CPUs "
                      "(0 or more)", *path)
            return None
        if number > MAX_CPUS:
            ctx.error("E-COMPOSE-VALUE", f"{'.'.join(path)}: {number:g} is more CPUs than Kubernetes "
                      f"can count (a quantity holds at most {MAX_CPUS:,} cores in millicores)", *path)
            return None
        return number

    def memory(value: object, *path: str) -> int | None:
        if value is None:
            return None
        try:
            size = parse_size(value)
        except ValueError as exc:
            ctx.error("E-COMPOSE-VALUE", str(exc), *path)
            return None
        if size > MAX_BYTES:
            ctx.error("E-COMPOSE-VALUE", f"{'.'.join(path)}: {shown(value)[:40]}{'...' if len(shown(value)) > 40 else ''} "
                      "is more bytes than Kubernetes can count (a quantity holds at most 2^63-1)", *path)
            return None
        return size

    def at(section: str, key: str, short: str) -> tuple:
        """Where a value came from: deploy.resources.<section>.<key>, else the short key."""
        return ("deploy", "resources", section, key) if key in (resources.get(section) or {}) else (short,)

    cpu_limit = cpus(limits.get("cpus", raw.get("cpus")), *at("limits", "cpus", "cpus"))
    mem_limit = memory(limits.get("memory", raw.get("mem_limit")), *at("limits", "memory", "mem_limit"))
    cpu_request = cpus(reservations.get("cpus"), *at("reservations", "cpus", "cpus"))
    mem_request = memory(reservations.get("memory", raw.get("mem_reservation")),
                         *at("reservations", "memory", "mem_reservation"))
    if any(v is not None for v in (cpu_limit, mem_limit, cpu_request, mem_request)):
        svc.resources = Resources(cpu_limit, mem_limit, cpu_request, mem_request,
                                  ctx.at("deploy", "resources") if resources else ctx.at())
    try:
        _deploy_rollout(svc, deploy, ctx)
    except (TypeError, ValueError) as exc:
        ctx.error("E-COMPOSE-VALUE", f"invalid 'deploy': {exc}", "deploy")


_CONSTRAINT = re.compile(r"^node\.labels\.([A-Za-z0-9./_-]+)\s*==\s*(\S+)$")


def _deploy_rollout(svc: Service, deploy: dict, ctx: ServiceContext) -> None:
    """update_config, restart_policy and placement, with every sub-key's position kept so the
    plan can account for the ones it does not map."""
    for key, value in deploy.items():
        svc.deploy_keys[key] = ctx.at("deploy", key)
        if isinstance(value, dict) and key != "resources":
            for sub in value:
                svc.deploy_keys[f"{key}.{sub}"] = ctx.at("deploy", key, sub)
    for section in ("limits", "reservations"):
        for sub in ((deploy.get("resources") or {}).get(section) or {}):
            svc.deploy_keys[f"resources.{section}.{sub}"] = ctx.at("deploy", "resources", section, sub)
    update = deploy.get("update_config")
    if isinstance(update, dict):
        order = str(update.get("order", "stop-first"))
        if order not in ("stop-first", "start-first"):
            ctx.error("E-COMPOSE-VALUE", f"update_config.order {order!r} must be stop-first or "
                      "start-first", "deploy", "update_config", "order")
        delay = update.get("delay")
        svc.update_config = UpdateConfig(int(update.get("parallelism", 1)), order,
                                         None if delay is None else ctx.duration(delay, "deploy",
                                                                              "update_config", "delay"))
    policy = deploy.get("restart_policy")
    if isinstance(policy, dict):
        condition = str(policy.get("condition", "any"))
        if condition not in ("none", "on-failure", "any"):
            ctx.error("E-COMPOSE-VALUE", f"restart_policy.condition {condition!r} must be none, "
                      "on-failure or any", "deploy", "restart_policy", "condition")
        attempts = policy.get("max_attempts")
        svc.restart_policy = RestartPolicy(condition, None if attempts is None else int(attempts))
    for i, constraint in enumerate((deploy.get("placement") or {}).get("constraints") or []):
        m = _CONSTRAINT.match(str(constraint).strip())
        if m:
            svc.node_selector[m.group(1)] = m.group(2)
        else:
            svc.other_constraints.append((str(constraint), ctx.at("deploy", "placement", "constraints", i)))
    if deploy.get("mode") is not None:
        svc.deploy_mode = str(deploy["mode"])
