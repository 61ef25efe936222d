"""The last passes: the plan's objects in their fixed order, run-once Job names finished,
and every object name checked unique."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..diagnostics import Reporter
from .configs import project_config_map
from .defaults import default_values
from .frame import namespace_manifest
from .model import Decision, Plan, Resource
from .names import camel_key
from .network import namespace_policies
from .startup import finish_job_names

if TYPE_CHECKING:
    from .draft import Draft


def assemble(draft: Draft) -> None:
    """Pass: ``plan.resources`` from every decision: the Namespace and its policies, the
    compose configs' ConfigMaps, then each service's objects, service by service."""
    plan, project = draft.plan, draft.project
    resources = plan.resources
    resources.append(Resource(namespace_manifest(project, plan.namespace), chart=False))
    resources += [Resource(m, condition="networkPolicy.enabled") for m in namespace_policies(plan.project, plan.namespace)]
    resources += [Resource(project_config_map(body, plan.project, plan.namespace), None, project.keys.get("configs"))
                  for body in draft.configs.values() if "external" not in body]
    for svc, sd in draft.each():
        at, key = svc.position, camel_key(svc.name)
        plan.decisions.append(Decision(svc.name, sd.kind, sd.why, at))
        resources += [Resource(m, svc.name, at, "podDisruptionBudget.enabled" if m["kind"] == "PodDisruptionBudget"
                               else None) for m in sd.objects]
        if sd.service:
            resources.append(Resource(sd.service, svc.name, at))
        if sd.autoscaler:
            resources.append(Resource(sd.autoscaler, svc.name, at, f"{key}.autoscaling.enabled"))
        if sd.headless:
            resources.append(Resource(sd.headless, svc.name, at))
        if sd.ingress:
            ingress, ingress_key = sd.ingress
            resources.append(Resource(ingress, svc.name, at, f"{ingress_key}.enabled"))
        resources.append(Resource(sd.policy, svc.name, at, "networkPolicy.enabled"))


def finish_job_names_pass(draft: Draft) -> None:
    """Pass: the hashed names of run-once Jobs, which read the whole plan's default values."""
    if not draft.jobs:
        return
    manifests = {name: next(m for m in draft.services[name].objects if m["kind"] == "Job") for name in draft.jobs}
    finish_job_names(draft.jobs, manifests, default_values(draft.plan.resources))


def finish(draft: Draft) -> None:
    """Pass: no two objects share a kind and name; the diagnostics are kept with the plan."""
    check_unique(draft.plan, draft.reporter)
    draft.plan.diagnostics = list(draft.reporter.diagnostics)
    draft.reporter.raise_if_errors()


def check_unique(plan: Plan, reporter: Reporter) -> None:
    seen: dict[tuple[str, str], Resource] = {}
    for res in plan.resources:
        key = (res.kind, res.name)
        if key in seen:
            sources = sorted({r.service or "the project's definitions" for r in (seen[key], res)})
            reporter.error("E-NAME-COLLISION", f"two objects would be {res.kind}/{res.name} (from "
                           f"{' and '.join(sources) if len(sources) > 1 else 'both ' + sources[0]})", res.origin)
        seen[key] = res
