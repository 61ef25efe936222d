"""How services reach each other: every place one service names another as a host.

Compose opens every port between services on a network, so an app that works under Compose
can name a service (``DB_HOST=db``), a port (``broker:29092``) or a URL (``http://api:3000``,
``postgres://u:${DB_PASSWORD}@db/app``) that nothing else in the compose file declares.
Kubernetes needs each one explicit: a Service with that port, and NetworkPolicies that let
the flow through at both ends. The references are found once per project (the scanner is
``hostrefs.py``) in environment values, ``command``/``entrypoint`` words, and the project
files mounted into the service (bind-mounted configuration and compose configs: nginx,
HAProxy, Caddy or Traefik configs, a Grafana datasource…), and they feed:

- the env rendering that makes those names release-aware in the chart (``env.py``);
- Job or long-running (a service others reach is not a one-shot, ``workloads.py``);
- the ports of a service that declares none, or not the one others use (``endpoints.py``);
- who a data store admits, and where each client may connect (``network.py``);
- the warnings for names with no Service behind them (``reach.py``).

A bare name (``DB_HOST=db``, ``--host db``) counts only where the variable or option says it
holds a host: a database or user is often named like the app (``POSTGRES_DB=keycloak``).
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from msgspec import Struct

from ..compose import Service, Template
from ..diagnostics import Position
from ..hostrefs import find_hosts, host_context
from .model import Concat, Name

if TYPE_CHECKING:
    from .draft import Draft


class Hosts:
    """The host names a project's services are reached by, to find in values: each service's
    name, and the other names Compose's DNS answers for (container_name, network aliases),
    which Kubernetes does not have. Built once per project."""

    def __init__(self, services: dict[str, str], aliases: dict[str, str] | None = None):
        # name as written -> the compose service it reaches (a service's own name wins)
        self.target = {**(aliases or {}), **{name: name for name in services}}
        # name as written -> the Kubernetes Service name written in its place
        self.names = {written: services[target] for written, target in self.target.items()}

    def reached(self, written: str) -> tuple[str, str | None]:
        """The compose service a host name reaches, and the name if it is an alias (else None)."""
        target = self.target[written]
        return target, (None if written == target else written)


class HostRef(Struct, frozen=True):
    """One service name used as a host inside a value: in text part ``part`` of the value
    (a plain string is one part; a value using secret variables has several), at
    ``start:end``; ``port`` as written, ``effective_port`` the one a client uses."""

    target: str  # the compose service named
    part: int
    start: int
    end: int
    port: int | None
    effective_port: int | None = None
    scheme: str | None = None
    written: str | None = None  # the alias written, when not the service's own name


class Reference(Struct, frozen=True):
    """Service ``source`` connects to service ``target`` (on ``port``, when known)."""

    source: str
    target: str  # may be ``source`` itself: only its port is used then
    port: int | None  # the port written, else the URL scheme's default, else None
    explicit: bool  # the port is written (``db:5432``), not a scheme's default
    via: str  # in words: "DATABASE_URL", "command", "nginx/default.conf"
    position: Position | None
    in_file: bool = False  # found in a mounted file (weaker evidence than an env value)
    scheme: str | None = None  # of the URL it is written in (http, postgres…)
    written: str | None = None  # the container_name or network alias written, if not the name


def text_parts(value: str | Template) -> list[str | None]:
    """A value's parts: text, or None where a secret variable stands."""
    if isinstance(value, str):
        return [value]
    return [p if isinstance(p, str) else None for p in value.parts]


_SECRET = "\x00"  # stands for a secret variable while a value is scanned: no host touches it


def value_references(value: str | Template, hosts: Hosts, host_named: bool) -> tuple[HostRef, ...]:
    """The service names ``value`` uses as hosts; a bare name only when ``host_named``. A
    value with secret variables is scanned whole, each variable as one character, so
    ``postgres://app:${DB_PASSWORD}@db/app`` is read as the URL it is."""
    parts = text_parts(value)
    starts, joined = [], ""
    for text in parts:
        starts.append(len(joined))
        joined += _SECRET if text is None else text
    found: list[HostRef] = []
    for m in find_hosts(joined, hosts.names):
        if m.bare and not host_named:
            continue
        index = max(i for i, at in enumerate(starts) if at <= m.start)
        target, alias = hosts.reached(m.name)
        found.append(HostRef(target, index, m.start - starts[index], m.end - starts[index], m.port,
                             m.effective_port, m.scheme, alias))
    return tuple(found)


def env_references(svc: Service, hosts: Hosts) -> dict[str, tuple[HostRef, ...]]:
    """Each environment variable of ``svc`` whose value names another service → those names."""
    out = {}
    for variable, value in svc.environment.items():
        refs = value_references(value, hosts, host_context(variable))
        if refs:
            out[variable] = refs
    return out


def find_references(draft: Draft) -> None:
    """Pass: every reference from one service to another (env values, command lines, and the
    files mounted into it), once per project."""
    refs: list[Reference] = []
    names = draft.facts.hosts.names
    scanned: dict[tuple[int, str], tuple[dict, str, str, list]] = {}
    for svc, sd in draft.each():
        for variable, found in draft.facts.env_refs.get(svc.name, {}).items():
            where = svc.env_positions.get(variable, svc.keys.get("environment"))
            refs += [_reference(svc.name, r.target, r.port, r.effective_port, variable, where, scheme=r.scheme,
                                written=r.written) for r in found]
        for key, words in (("command", svc.command), ("entrypoint", svc.entrypoint)):
            for i, word in enumerate(words or []):
                previous = words[i - 1] if i and isinstance(words[i - 1], str) else ""
                host_named = host_context(previous) or (isinstance(word, str) and word.startswith("-")
                                                        and host_context(word))
                for r in value_references(word, draft.facts.hosts, bool(host_named)):
                    refs.append(_reference(svc.name, r.target, r.port, r.effective_port, key, svc.keys.get(key),
                                           scheme=r.scheme, written=r.written))
        for display, data, key in _mounted_texts(draft, svc, sd):
            if (id(data), key) not in scanned:  # a config several services mount is scanned once
                scanned[(id(data), key)] = (data, key, data[key], list(find_hosts(data[key], names, bare=False)))
            _, _, text, mentions = scanned[(id(data), key)]
            for m in mentions:
                line = text.count("\n", 0, m.start) + 1
                column = m.start - (text.rfind("\n", 0, m.start) + 1) + 1
                target, alias = draft.facts.hosts.reached(m.name)
                refs.append(_reference(svc.name, target, m.port, m.effective_port, display,
                                       Position(display, line, column), in_file=True, scheme=m.scheme,
                                       written=alias))
    # The Services' names in those files: `flask_app` is `flask-app`, and a chart's follow its release.
    for data, key, text, mentions in scanned.values():
        if mentions:
            data[key] = hosted(text, [(m.start, m.end, m.name) for m in mentions], names)
    draft.references = refs  # a service naming itself (Kafka advertising broker:29092) tells its port


def hosted(text: str, spans: list[tuple[int, int, str]], names: dict[str, str], escape=lambda t: t) -> str | Concat:
    """``text`` with each span (a name a compose service is reached by) as its Service's name, a
    ``Name`` marker (release-aware in the chart); ``escape`` applies to the literal pieces."""
    if not spans:
        return escape(text)
    pieces: list = []
    last = 0
    for start, end, name in sorted(spans):
        pieces += [escape(text[last:start]), Name(names[name])]
        last = end
    pieces.append(escape(text[last:]))
    return Concat(tuple(p for p in pieces if p != ""))


def _reference(source: str, target: str, port: int | None, effective: int | None, via: str,
               where: Position | None, in_file: bool = False, scheme: str | None = None,
               written: str | None = None) -> Reference:
    return Reference(source, target, effective, port is not None, via, where, in_file, scheme, written)


def _mounted_texts(draft: Draft, svc: Service, sd) -> Iterator[tuple[str, dict, str]]:
    """(file as displayed, the ConfigMap data holding it, its key) for every project file
    mounted into ``svc`` as configuration."""
    base = PurePosixPath(draft.project.files[0]).parent if draft.project.files else PurePosixPath(".")
    for bind in sd.binds:
        if not bind.data:
            continue  # a data folder carries no files (but a large one's small ones)
        folder = bind.relative if bind.path.is_dir() else str(PurePosixPath(bind.relative).parent)
        for name in list(bind.data):
            yield (str(base / folder / name) if folder != "." else str(base / name)), bind.data, name
    for use in svc.configs:
        body = draft.configs.get(use.source)
        if body and "external" not in body:
            spec = draft.project.configs.get(use.source) or {}
            display = str(spec["file"]) if spec.get("file") else f"config {use.source}"
            for key in list(body["data"]):
                yield display, body["data"], key
