"""The plan in progress: what ``build_plan``'s passes read and decide, in one place.

Each pass (see ``build_plan``) reads the compose project and what earlier passes decided,
and records its own decisions here; nothing is recomputed by a later pass. The last pass
assembles ``plan.resources`` from these decisions, in a fixed order.
"""
from __future__ import annotations

from msgspec import Struct, field

from ..compose import Project, Service
from ..diagnostics import Reporter
from .binds import Bind
from .endpoints import Endpoint
from .facts import ProjectFacts
from .kompose import KomposeSettings
from .model import Name, Plan, RunOnceName
from .references import Reference
from .startup import Startup
from .storage import Storage


class ServiceDraft(Struct):
    """What the passes decided for one compose service."""

    svc: Service
    kind: str = ""  # Deployment | StatefulSet | Job
    why: str = ""  # why that kind, in words
    binds: list[Bind] = field(default_factory=list)  # its bind mounts, classified
    endpoint: Endpoint | None = None
    component: str = ""  # app.kubernetes.io/component
    storage: Storage | None = None
    startup: Startup | None = None
    objects: list[dict] = field(default_factory=list)  # workload, its ServiceAccount, PDB, claims…
    # Network objects, each None when the service has none.
    service: dict | None = None
    autoscaler: dict | None = None
    headless: dict | None = None
    ingress: tuple[dict, str] | None = None  # the Ingress and the values key of its settings
    policy: dict | None = None


class Draft(Struct):
    project: Project
    reporter: Reporter
    namespace_option: str | None = None  # --namespace
    plan: Plan | None = None
    secret: Name | None = None  # the Secret holding the project's secret variables
    kompose: dict[str, KomposeSettings] = field(default_factory=dict)
    facts: ProjectFacts | None = None
    services: dict[str, ServiceDraft] = field(default_factory=dict)  # by compose name, file order
    awaited: dict[str, list[str]] = field(default_factory=dict)  # run-once service -> who waits
    jobs: dict[str, RunOnceName] = field(default_factory=dict)  # Jobs others wait for, by service
    configs: dict[str, dict] = field(default_factory=dict)  # compose config -> its ConfigMap body
    references: list[Reference] = field(default_factory=list)  # who names whom as a host
    # (Secret name, key) -> (required, services reading it).
    secret_users: dict[tuple[str, str], tuple[bool, set[str]]] = field(default_factory=dict)

    def each(self):
        """(service, its draft) in file order."""
        return ((d.svc, d) for d in self.services.values())

    @property
    def endpoints(self) -> list[Endpoint]:
        return [d.endpoint for d in self.services.values() if d.endpoint is not None]
