"""Where one service names another as a host: ``DB_HOST=db``, ``http://api:8080``,
``postgres://u:${DB_PASSWORD}@db/app``.

Values are scanned once per project (``env_references``); the spans found feed every rule
that needs them: the env rendering that makes those names release-aware, and the warnings
about services reached by name with no Service or on an undeclared port.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..compose import Service, Template

# Where a URL or a bare value names a host: `@db:`, `//db/`, `db`. A token is a whole run of
# the characters compose service names are made of (possessive: no backtracking), so finding
# hosts is linear in the value whatever the number of services.
_HOST_TOKEN = re.compile(r"(?:(?<=[@/])|^)([A-Za-z0-9._-]++)(?=$|[:/])")
_PORT = re.compile(r":(\d{1,5})(?!\d)")  # the port after a host name


class Hosts:
    """Compose service names as host names, to find in values: built once per project."""

    def __init__(self, names: dict[str, str]):
        self.names = names  # compose name -> Kubernetes Service name

    def find(self, text: str, at_start: bool = True) -> Iterator[tuple[int, int, str]]:
        """(start, end, compose name) of each service name used as a host in ``text``;
        ``at_start`` False: text that continues other text (after a secret variable), where a
        name at position 0 is not a whole host."""
        if not self.names:
            return
        for m in _HOST_TOKEN.finditer(text):
            if m.group(1) in self.names and (at_start or m.start() > 0):
                yield m.start(), m.end(), m.group(1)


@dataclass(frozen=True)
class HostRef:
    """One service name used as a host inside a value: in text part ``part`` of the value
    (a plain string is one part; a value using secret variables has several), at
    ``start:end``, with the port written after it, if any."""

    target: str  # the compose service named
    part: int
    start: int
    end: int
    port: int | None


def text_parts(value: str | Template) -> list[str | None]:
    """A value's parts: text, or None where a secret variable stands."""
    if isinstance(value, str):
        return [value]
    return [p if isinstance(p, str) else None for p in value.parts]


def value_references(value: str | Template, hosts: Hosts) -> tuple[HostRef, ...]:
    found: list[HostRef] = []
    parts = text_parts(value)
    for index, text in enumerate(parts):
        if text is None:
            continue
        continued = index > 0 and parts[index - 1] is None  # text right after a secret variable
        followed = index + 1 < len(parts)  # a secret variable right after the text
        for start, end, name in hosts.find(text, at_start=not continued):
            if followed and end == len(text):
                continue  # `db${SUFFIX}`: not the whole host name
            number = _PORT.match(text, end)
            found.append(HostRef(name, index, start, end, int(number.group(1)) if number else None))
    return tuple(found)


def env_references(svc: Service, hosts: Hosts) -> dict[str, tuple[HostRef, ...]]:
    """Each environment variable of ``svc`` whose value names another service → those names."""
    out = {}
    for variable, value in svc.environment.items():
        refs = value_references(value, hosts)
        if refs:
            out[variable] = refs
    return out
