"""Facts about the whole project that several passes read: derived once, then passed on."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from msgspec import Struct

from ..compose import Project
from ..compose.paths import inside_project
from ..diagnostics import CompileError
from .names import dns_name
from .references import HostRef, Hosts, env_references

if TYPE_CHECKING:
    from .draft import Draft


class SecretFiles(Struct, frozen=True):
    """The files the project's ``secrets`` read, by path and by inode: a hard link or any second
    path to one is the same secret file, whatever its name."""

    paths: frozenset[Path]
    inodes: frozenset[tuple[int, int]]

    def holds(self, path: Path) -> bool:
        if path.resolve() in self.paths:
            return True
        try:
            stat = path.stat()
        except OSError:
            return False
        return (stat.st_dev, stat.st_ino) in self.inodes


class ProjectFacts(Struct, frozen=True):
    """Facts derived once per project, for every pass that needs them."""

    build_contexts: frozenset[Path]  # a bind mount inside one is source code for live reload
    secret_files: SecretFiles  # files the project's `secrets` read: never a ConfigMap
    hosts: Hosts  # the names services are reached by (their names, container_names, aliases)
    # Service → env variable → the other services its value names (one scan of every value).
    env_refs: dict[str, dict[str, tuple[HostRef, ...]]]
    # Variables whose values differ between services: one moved into the project's Secret
    # needs a key per service (<SERVICE>_<VARIABLE>), or one service would read the other's.
    differing_env: frozenset[str] = frozenset()


def derive_facts(draft: Draft) -> None:
    """Pass: build contexts, the secrets' files, and every host name used in env values."""
    project = draft.project
    hosts = Hosts({svc.name: dns_name(svc.name) for svc in project.services.values()},
                  {alias: svc.name for svc in project.services.values() for alias in svc.host_aliases})
    draft.facts = ProjectFacts(
        build_contexts=build_contexts(project), secret_files=declared_secret_files(project), hosts=hosts,
        env_refs={svc.name: env_references(svc, hosts) for svc in project.services.values()},
        differing_env=differing_env(project))


def differing_env(project: Project) -> frozenset[str]:
    """Environment variables set to different values in different services (a value with
    secret variables counts as itself: it reads the project's Secret by their names)."""
    values: dict[str, set] = {}
    for svc in project.services.values():
        for name, value in svc.environment.items():
            values.setdefault(name, set()).add(value)
    return frozenset(name for name, seen in values.items() if len(seen) > 1)


def declared_secret_files(project: Project) -> SecretFiles:
    """The files the project's ``secrets`` read: never copied into a ConfigMap, whatever
    their names (``db_password.txt`` does not look secret, but the project says it is)."""
    paths = _resolved(project.directory, sorted(
        str(spec["file"]) for spec in project.secrets.values() if isinstance(spec, dict) and spec.get("file")))
    inodes = set()
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            continue
        inodes.add((stat.st_dev, stat.st_ino))
    return SecretFiles(paths, frozenset(inodes))


def build_contexts(project: Project) -> frozenset[Path]:
    """The project's build contexts: a bind mount inside one is source for live reload."""
    return _resolved(project.directory, sorted({s.build.context for s in project.services.values() if s.build}))


def _resolved(directory: Path, texts: list[str]) -> frozenset[Path]:
    """``texts`` resolved inside ``directory``; those outside are left out."""
    found = set()
    for text in texts:
        try:
            found.add(inside_project(directory, text, None, text))  # type: ignore[arg-type]
        except CompileError:
            pass
    return frozenset(found)
