"""Where normalising one service is: positions and messages name the service and the key."""
from __future__ import annotations

from ..diagnostics import Position, Reporter
from .units import parse_duration
from .yamlsrc import Document


class ServiceContext:
    """Where we are while normalising one service: for positions and messages."""

    def __init__(self, doc: Document, reporter: Reporter, service: str):
        self.doc, self.reporter, self.service = doc, reporter, service

    def at(self, *path: object) -> Position:
        return self.doc.at("services", self.service, *path)

    def error(self, code: str, message: str, *path: object) -> None:
        self.reporter.error(code, f"service {self.service!r}: {message}", self.at(*path))

    def duration(self, value: object, *path: object) -> float | None:
        """``value`` in seconds, or None after reporting why it is not a duration."""
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.error("E-COMPOSE-VALUE", str(exc), *path)
            return None
