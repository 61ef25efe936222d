"""Kubernetes names and labels from compose names: one function each, used everywhere."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .images import facts_for
from .model import Instance

if TYPE_CHECKING:
    from .draft import Draft

MANAGED_BY = "composek8s"


def check_names(draft: Draft) -> None:
    """Pass: every service has a Kubernetes name, and no two share one."""
    names: dict[str, str] = {}
    for svc in draft.project.services.values():
        try:
            name = dns_name(svc.name)
        except ValueError as exc:
            draft.reporter.error("E-NAME", str(exc), svc.position)
            continue
        if name in names:
            draft.reporter.error("E-NAME-COLLISION", f"services {names[name]!r} and {svc.name!r} both become "
                                 f"the Kubernetes name {name!r}", svc.position)
        names[name] = svc.name


def dns_name(text: str, max_length: int = 63) -> str:
    """A DNS-1123 label from a compose name: lowercase, ``[a-z0-9-]``, trimmed dashes.

    ``flask_backend`` → ``flask-backend``; raises ``ValueError`` when nothing is left.
    """
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower())
    name = re.sub(r"-{2,}", "-", name).strip("-")[:max_length].rstrip("-")
    if not name:
        raise ValueError(f"{text!r} has no letters or digits to make a Kubernetes name from")
    return name


_OBJECT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def is_object_name(text: str) -> bool:
    """A DNS-1123 subdomain: what the API server accepts as a ConfigMap or claim name."""
    return len(text) <= 253 and bool(_OBJECT_NAME.match(text))


def fit_name(text: str, limit: int = 63) -> str:
    """``text`` when it has at most ``limit`` characters, else its start, '-' and 8 hex digits
    of its sha256: deterministic, and distinct for distinct texts (Helm charts' ``trunc 63``
    alone maps two long names with one prefix to one name)."""
    if len(text) <= limit:
        return text
    import hashlib

    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return f"{text[:limit - 9].rstrip('-.')}-{digest}"


def camel_key(text: str) -> str:
    """The values.yaml key of a service: ``stage-server`` → ``stageServer``."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", text) if w]
    key = words[0].lower() + "".join(w[:1].upper() + w[1:].lower() for w in words[1:])
    return key if key[:1].isalpha() else "s" + key


# The chart's own top-level values keys, which no service's key may take.
CHART_KEYS = ("global", "ingress", "networkPolicy", "podDisruptionBudget", "secrets")


def selector_labels(project: str, name: str) -> dict[str, str]:
    """The labels selectors use: they never change over an object's life."""
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": Instance(project)}


def labels(project: str, name: str | None, component: str | None = None) -> dict[str, str]:
    result = {"app.kubernetes.io/part-of": project, "app.kubernetes.io/managed-by": MANAGED_BY}
    if name:
        result.update(selector_labels(project, name))
    else:
        result["app.kubernetes.io/instance"] = Instance(project)
    if component:
        result["app.kubernetes.io/component"] = component
    return result


def component(svc, kind: str, public: bool) -> str:
    """``app.kubernetes.io/component``: the kind of software a known image is (database…),
    else ``job``, ``web`` (public) or ``backend``."""
    known = facts_for(svc)
    if known and known.role:
        return known.role
    if kind == "Job":
        return "job"
    return "web" if public else "backend"
