"""Warnings someone reviewed: ``x-k8s.acknowledge``, so ``--strict`` is usable in CI.

At the top level an entry silences its code for the whole project; under a service, only the
warnings about that service (those whose message names it, ``service 'web'`` or ``data store
'postgres'``, or that point at its key). Each entry needs a reason, so the review is written
down beside the compose key it excuses::

    x-k8s:
      acknowledge:
        - {code: W-KEY-IGNORED, reason: "the ipam subnet only matters to Docker"}
    services:
      postgres:
        x-k8s:
          acknowledge:
            - {code: W-DATA-STORE-ACCESS, reason: "the frontend never connects to the database"}

Only warnings can be acknowledged (an error means nothing was written). An entry that
silences nothing is itself a warning (``W-ACK-UNUSED``): the reason it was written for has
gone, and a stale acknowledgement would hide the next, different problem.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from msgspec import Struct

from ..diagnostics import Diagnostic, Position

if TYPE_CHECKING:
    from .draft import Draft


class Acknowledgement(Struct):
    code: str
    reason: str
    service: str | None  # None: the whole project
    position: Position | None
    used: int = 0

    def covers(self, diagnostic: Diagnostic, service_position: Position | None) -> bool:
        if diagnostic.severity != "warning" or diagnostic.code != self.code:
            return False
        if self.service is None:
            return True
        names = (f"service {self.service!r}", f"data store {self.service!r}")
        return any(name in diagnostic.message for name in names) or (
            service_position is not None and diagnostic.position == service_position)


def entries(value: object, service: str | None, at) -> list[Acknowledgement]:
    """The well-formed entries of one ``acknowledge`` list (xk8s.py reports the others)."""
    if not isinstance(value, list):
        return []
    return [Acknowledgement(e["code"], e["reason"], service, at(i))
            for i, e in enumerate(value) if shape_problem(e) is None]


def shape_problem(entry: object) -> str | None:
    """Why one ``acknowledge`` entry is not ``{code: W-…, reason: …}``, or None."""
    if not isinstance(entry, dict) or set(entry) != {"code", "reason"}:
        return "acknowledge entries are {code: W-…, reason: why it is fine}"
    if not isinstance(entry["code"], str) or not entry["code"].startswith("W-"):
        return (f"acknowledge code {entry['code']!r} is not a warning code (W-…): only warnings can be "
                "acknowledged; an error has to be fixed")
    if not isinstance(entry["reason"], str) or not entry["reason"].strip():
        return f"acknowledge {entry['code']} needs a reason: what was reviewed, and why it is fine"
    return None


def acknowledge_warnings(draft: Draft) -> None:
    """Pass: drop the warnings an ``x-k8s.acknowledge`` entry covers; warn about unused entries."""
    project = draft.project
    acks = entries(project.x_k8s.get("acknowledge") if isinstance(project.x_k8s, dict) else None, None,
                   lambda i: _nearest(project.x_k8s_positions, ("acknowledge", i), project.keys.get("x-k8s")))
    where: dict[str, Position | None] = {}
    for svc in project.services.values():
        where[svc.name] = svc.position
        acks += entries(svc.x_k8s.get("acknowledge"), svc.name,
                        lambda i, s=svc: _nearest(s.x_k8s_positions, ("acknowledge", i), s.x_k8s_position))
    if not acks:
        return
    kept: list[Diagnostic] = []
    for diagnostic in draft.reporter.diagnostics:
        ack = next((a for a in acks if a.covers(diagnostic, where.get(a.service or ""))), None)
        if ack is None:
            kept.append(diagnostic)
        else:
            ack.used += 1
            draft.plan.acknowledged.append(diagnostic)
    draft.reporter.diagnostics = kept
    for ack in acks:
        if not ack.used:
            owner = f"service {ack.service!r}" if ack.service else "the project"
            draft.reporter.warn("W-ACK-UNUSED", f"{owner}: x-k8s.acknowledge {ack.code} silences no warning "
                                "(it may have been fixed): remove the entry, so it cannot hide a new one", ack.position)


def _nearest(positions: dict[tuple, Position], path: tuple, block: Position | None) -> Position | None:
    while path:
        if path in positions:
            return positions[path]
        path = path[:-1]
    return block
