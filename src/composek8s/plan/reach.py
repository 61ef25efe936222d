"""What a compose project expects to reach that Kubernetes will not: ports on services that
run once, names with no Service behind them, ports Compose opens implicitly. Warnings only."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..diagnostics import Reporter
from .endpoints import Endpoint
from .references import HostRef

if TYPE_CHECKING:
    from .draft import Draft


def warn_run_once(svc, reporter: Reporter) -> None:
    """What a service made a Job (it runs once) loses from its compose definition."""
    no_service = "a Job gets no Service, so its ports are not reachable by name"
    one_pod = "a Job runs one pod to completion"
    lost = [(key, svc.keys.get(key), why) for key, why in
            (("ports", no_service), ("expose", no_service), ("scale", one_pod))]
    lost += [(f"deploy.{key}", svc.deploy_keys.get(key), why) for key, why in
             (("replicas", one_pod), ("update_config", "a Job is not rolled out"))]
    for key, where, why in lost:
        if where is not None:
            reporter.warn("W-JOB-IGNORED", f"service {svc.name!r} runs once as a Job; its {key!r} is "
                          f"ignored: {why}", where)


def warn_reach(draft: Draft) -> None:
    """Pass: what the project expects to reach that Kubernetes will not give it."""
    for svc, sd in draft.each():
        if sd.kind == "Job":
            warn_run_once(svc, draft.reporter)
    warn_unreachable(draft.endpoints, draft.facts.env_refs, draft.reporter)
    warn_undeclared_ports(draft.endpoints, draft.facts.env_refs, draft.reporter)


def warn_unreachable(endpoints: list[Endpoint], env_refs: dict[str, dict[str, tuple[HostRef, ...]]],
                     reporter: Reporter) -> None:
    """A service others name (in ``depends_on`` or a value such as ``http://api:8080``) but
    with no port anywhere (ports, expose, the Dockerfile's EXPOSE, a known image) gets no
    Service, so the name resolves to nothing in Kubernetes."""
    portless = {ep.service.name for ep in endpoints if not ep.ports}
    if not portless:
        return
    callers: dict[str, set[str]] = {}
    for ep in endpoints:
        svc = ep.service
        for dep, entry in svc.depends_on.items():
            if entry.condition == "service_started":  # a health wait warns on its own (W-DEPENDS-NO-PORT)
                callers.setdefault(dep, set()).add(svc.name)
        for refs in env_refs.get(svc.name, {}).values():
            for ref in refs:
                if ref.target != svc.name:
                    callers.setdefault(ref.target, set()).add(svc.name)
    for ep in endpoints:
        name = ep.service.name
        if name in portless and callers.get(name):
            reporter.warn("W-NO-PORT", f"service {name!r} is reached by name from "
                          f"{', '.join(sorted(callers[name]))} but declares no port (ports, expose, or "
                          "EXPOSE in its Dockerfile): it gets no Service; add 'expose:' with the port "
                          "it listens on", ep.service.position)


def warn_undeclared_ports(endpoints: list[Endpoint], env_refs: dict[str, dict[str, tuple[HostRef, ...]]],
                          reporter: Reporter) -> None:
    """A value naming ``service:port`` where the port is not one of that service's: Compose
    opens every port between services, Kubernetes only the declared ones (its Service and
    NetworkPolicy), so the connection works under Compose and fails in the cluster."""
    ports = {ep.service.name: {p["port"] for p in ep.ports} for ep in endpoints}
    for ep in endpoints:
        svc = ep.service
        for variable, refs in env_refs.get(svc.name, {}).items():
            for ref in refs:
                if ref.port is None or not ports.get(ref.target) or ref.port in ports[ref.target]:
                    continue  # no port named, or a service without ports (W-NO-PORT)
                declared = ", ".join(str(p) for p in sorted(ports[ref.target]))
                reporter.warn("W-PORT-UNDECLARED", f"service {svc.name!r}: {variable} names "
                              f"{ref.target}:{ref.port}, but {ref.target!r} declares only {declared}; "
                              "Compose opens every port between services, Kubernetes only declared "
                              f"ones: add expose: [\"{ref.port}\"] to {ref.target!r}",
                              svc.env_positions.get(variable, svc.position))
