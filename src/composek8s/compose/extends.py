"""``extends``: a service starts from another service's definition, as Docker Compose does.

``extends: base`` takes ``base`` from the same file, ``extends: {service: base, file: x.yaml}``
from another file (read with the same variables, its relative paths against its own folder, its
``include`` ignored; only the service is taken, not the file's volumes or secrets). The base is
resolved first (chains), then the service's own keys are merged onto it by the rules of ``-f``
merging (``merge.py``): Compose inherits every key, ``depends_on``, ``links`` and
``volumes_from`` included. Each file resolves its own ``extends`` before files are merged or
included, as Compose does.

Untrusted compose files must not read outside the project folder: an ``extends.file`` that
leaves it is refused (Compose itself allows it).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..diagnostics import Position, fail
from .located import LoadedFile, Where
from .merge import merge

MAX_EXTENDS_DEPTH = 32  # services in one chain

# Opens an extended file: (text of extends.file, folder it is written against, asked at).
OpenFile = Callable[[str, Path, Position], LoadedFile]


class ExtendsResolver:
    """Resolves ``extends`` in files of one (sub-)project; a service is resolved once."""

    def __init__(self, open_file: OpenFile, charge: Callable[[object, Position], None]):
        self.open_file = open_file
        self.charge = charge  # counts merged values against the loader's limits
        self._done: dict[tuple[int, str], tuple[object, Where]] = {}

    def resolve(self, file: LoadedFile) -> None:
        """Resolve every service of ``file`` that extends another (in place)."""
        services = file.data.get("services")
        if isinstance(services, dict):
            for name in list(services):
                self._service(file, name, ())

    def _service(self, file: LoadedFile, name: str, chain: tuple) -> tuple[object, Where]:
        services = file.data["services"]
        raw, own_where = services.get(name), file.section("services").item(name)
        if not isinstance(raw, dict) or "extends" not in raw:
            return raw, own_where
        key = (id(file), name)
        if key in self._done:
            return self._done[key]
        at = own_where.item("extends").at or own_where.at or Position(file.display, 1, 1)
        chain = chain + ((file, name, at),)
        ref, other = _reference(raw["extends"], name, own_where.item("extends"), at)
        base_file = self.open_file(other, file.directory, own_where.item("extends").item("file").at or at) \
            if other is not None else file
        base_services = base_file.data.get("services")
        if not isinstance(base_services, dict) or ref not in base_services:
            # Named even for the same file: with several -f files, each resolves its own extends.
            raise fail("E-COMPOSE-EXTENDS", f"service {name!r} extends {ref!r}, which is not "
                       f"defined in {base_file.display}", at)
        for start, (seen, seen_name, seen_at) in enumerate(chain):
            if seen.path == base_file.path and seen_name == ref:
                loop = [f"{n} ({f.display})" for f, n, _ in chain[start:]] + [f"{ref} ({base_file.display})"]
                raise fail("E-COMPOSE-EXTENDS", "extends cycle: " + " -> ".join(loop), seen_at)
        if len(chain) > MAX_EXTENDS_DEPTH:
            raise fail("E-COMPOSE-EXTENDS", f"service {chain[0][1]!r}: extends chains more than "
                       f"{MAX_EXTENDS_DEPTH} services", chain[0][2])
        base, base_where = self._service(base_file, ref, chain)
        own = {k: v for k, v in raw.items() if k != "extends"}
        merged, where = merge(base if isinstance(base, dict) else {}, own, ("services", name),
                              base_where, own_where)
        where.at = own_where.at  # the service is where it is named, not where its base is
        self.charge(merged, at)
        services[name] = merged
        file.section("services").items[name] = where
        self._done[key] = (merged, where)
        return merged, where


def _reference(spec: object, name: str, where: Where, at: Position) -> tuple[str, str | None]:
    """The base service's name and, when it is in another file, that file's path as written
    (the shape of ``extends`` is checked by the Compose schema before this runs)."""
    ref, other = (spec, None) if isinstance(spec, str) else (spec.get("service"), spec.get("file"))
    if not ref:
        raise fail("E-COMPOSE-EXTENDS", f"service {name!r}: 'extends' needs the name of a "
                   "'service'", at)
    return str(ref), other
