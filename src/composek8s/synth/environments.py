"""Environments cannot weaken what the base guarantees.

An environment (``x-k8s.environments.<env>.values``) becomes an overlay and a values file
that render the same objects (``overlays.py``). Those objects go through the checks
``composek8s check`` applies — Pod Security ``restricted``, the API server's rules,
hardening and wiring — at synth time, and every finding the base does not have is an error
at the line of the environment value that causes it. A service that opted out of
``restricted`` in compose (``x-k8s.podSecurity`` with a reason) may have its security
settings changed by an environment; the API server's rules still hold for it.
"""
from __future__ import annotations

from ..check.run import Finding, Source, check_sources
from ..diagnostics import CompileError, Diagnostic, Position
from ..plan import Plan
from ..plan.model import resolve_values
from ..plan.names import camel_key

# Findings an opted-out service's environment may introduce: its security settings.
_OPTED_OUT_RULES = ("pss-", "read-only-root-filesystem")
Key = tuple[str, str, str, str]  # kind, name, rule, message


def refuse_weakening(plan: Plan) -> None:
    """Raise ``CompileError`` with one error per finding an environment adds to the base."""
    if not plan.environments:
        return
    owners = {(r.kind, r.name): r.service for r in plan.resources}
    same: dict = {}  # an object no environment changes is judged alone once (plan.objects shares it)
    base = _findings(plan, plan.objects(), owners, same)
    errors = []
    for env, spec in plan.environments.items():
        values = spec["values"] or {}
        added = {k: f for k, f in _findings(plan, plan.objects(env), owners, same).items() if k not in base}
        if not added:
            continue
        by_leaf = [(path, _findings(plan, [resolve_values(r.manifest, _only(path, value)) for r in plan.resources],
                                    owners)) for path, value in _leaves(values)]
        for key, finding in sorted(added.items()):
            culprit = next((path for path, found in by_leaf if key in found), None)
            errors.append(_error(plan, env, finding, owners.get(key[:2]), culprit))
    if errors:
        raise CompileError(sorted(errors, key=lambda d: (d.position or Position(""), d.message)))


def _findings(plan: Plan, objects: list[dict], owners: dict, same: dict | None = None) -> dict[Key, Finding]:
    """The check findings on ``objects``, the plan's objects rendered with some values (no
    schema validation: the values schema has checked their shapes, and it would cost seconds
    per environment). The checks only read them: they are shared with the overlays and cdk8s."""
    sources = [Source(r.kind, obj) for r, obj in zip(plan.resources, objects)]
    found = {}
    # No credential scan: an environment cannot add one, since the plan refuses a secret in
    # environment values (check_environment_values) and in the base (secretscan); the scan
    # would import detect-secrets (0.12 s) to read the Checkov reasons composek8s wrote.
    for f in check_sources(sources, [], secrets=False, same_objects=same):
        service = owners.get((f.kind, f.name))
        if service and plan.levels.get(service, "restricted") != "restricted" and f.rule.startswith(_OPTED_OUT_RULES):
            continue
        found[(f.kind, f.name, f.rule, f.message)] = f
    return found


def _leaves(values: dict, path: tuple = ()) -> list[tuple[tuple, object]]:
    """Each value an environment sets, by its path (lists are single values, as Helm merges them)."""
    out: list[tuple[tuple, object]] = []
    for key, value in values.items():
        if isinstance(value, dict) and value:
            out += _leaves(value, path + (key,))
        else:
            out.append((path + (key,), value))
    return out


def _only(path: tuple, value: object) -> dict:
    tree: dict = {}
    node = tree
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value
    return tree


def _error(plan: Plan, env: str, finding: Finding, service: str | None, culprit: tuple | None) -> Diagnostic:
    values = ("environments", env, "values")
    # The value that causes it, else the service's values, else the environment's.
    where = plan.x_k8s_at(*values, *(culprit or ((camel_key(service),) if service else ())))
    setting = f"{'.'.join(str(p) for p in culprit)}: " if culprit else ""
    hint = ""
    if finding.rule.startswith(_OPTED_OUT_RULES) and service:
        hint = (f"; an environment cannot weaken {service!r} unless the service opts out in compose "
                "(x-k8s: {podSecurity: baseline|privileged, reason: ...})")
    code = f"E-{finding.rule.upper()}" if finding.rule.startswith("api-") else "E-ENVIRONMENT-WEAKENS"
    return Diagnostic("error", code, f"environment {env!r}: {setting}{finding.kind}/{finding.name}: "
                      f"[{finding.rule}] {finding.message}{hint}", where)
