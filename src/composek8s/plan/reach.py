"""What a compose project expects to reach that Kubernetes will not: ports on services that
run once, names with no Service behind them, ports Compose opens implicitly. Warnings only."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..diagnostics import Reporter
from .endpoints import Endpoint
from .references import Reference

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
    warn_unreachable(draft.endpoints, draft.references, draft.reporter)
    warn_undeclared_ports(draft.endpoints, draft.references, draft.reporter)
    warn_renamed_hosts(draft)


def warn_renamed_hosts(draft: Draft) -> None:
    """A container_name or network alias used as a host: Kubernetes' DNS knows only Service
    names (and a container_name like ``listmonk_db`` is not even a valid one), so the output
    writes the Service's name in its place; say where, once per value."""
    warned: set[tuple[str, str, str]] = set()
    for ref in draft.references:
        if ref.written is None or (ref.source, ref.via, ref.written) in warned:
            continue
        warned.add((ref.source, ref.via, ref.written))
        target = draft.project.services[ref.target]
        service = draft.facts.hosts.names[ref.target]
        draft.reporter.warn("W-HOST-ALIAS", f"service {ref.source!r}: {ref.via} names {ref.written!r}, which "
                            f"Compose resolves to service {ref.target!r} ({target.host_aliases[ref.written]}); "
                            f"Kubernetes resolves Service names only, so the output writes {service!r} there",
                            ref.position)


def warn_unreachable(endpoints: list[Endpoint], references: list[Reference], reporter: Reporter) -> None:
    """A service others name (in ``depends_on``, a value such as ``DB_HOST=db``, a command or
    a mounted file) but with no port anywhere (ports, expose, the Dockerfile's EXPOSE, a known
    image, or one inferred from how others reach it) gets no Service, so the name resolves to
    nothing in Kubernetes."""
    portless = {ep.service.name for ep in endpoints if not ep.ports}
    if not portless:
        return
    callers: dict[str, set[str]] = {}
    for ep in endpoints:
        svc = ep.service
        for dep, entry in svc.depends_on.items():
            if entry.condition == "service_started":  # a health wait warns on its own (W-DEPENDS-NO-PORT)
                callers.setdefault(dep, set()).add(svc.name)
    for ref in references:
        if ref.source != ref.target:
            callers.setdefault(ref.target, set()).add(ref.source)
    for ep in endpoints:
        name = ep.service.name
        if name in portless and callers.get(name):
            reporter.warn("W-NO-PORT", f"service {name!r} is reached by name from "
                          f"{', '.join(sorted(callers[name]))} but declares no port (ports, expose, or "
                          "EXPOSE in its Dockerfile) and none can be told from how they reach it: it gets "
                          "no Service; add 'expose:' with the port it listens on", ep.service.position)


def warn_undeclared_ports(endpoints: list[Endpoint], references: list[Reference], reporter: Reporter) -> None:
    """A value naming a service on a port it does not listen on, which was not added to it
    (a URL scheme's default port, ``http://api`` for an api on 3000): Compose opens every port
    between services, Kubernetes only the Service's, so the connection fails in the cluster."""
    ports = {ep.service.name: {p["port"] for p in ep.ports} for ep in endpoints}
    warned: set[tuple[str, str, int]] = set()
    for ref in references:
        if ref.in_file or ref.port is None or not ports.get(ref.target) or ref.port in ports[ref.target]:
            continue  # no port known, a service without ports (W-NO-PORT), or a port it has
        if (ref.source, ref.target, ref.port) in warned:
            continue
        warned.add((ref.source, ref.target, ref.port))
        declared = ", ".join(str(p) for p in sorted(ports[ref.target]))
        reporter.warn("W-PORT-UNDECLARED", f"service {ref.source!r}: {ref.via} reaches {ref.target} on port "
                      f"{ref.port} (its URL's default), but {ref.target!r} listens on {declared}: write the port "
                      f"in the URL, or add expose: [\"{ref.port}\"] to {ref.target!r} if it listens there too",
                      ref.position)
