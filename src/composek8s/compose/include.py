"""Top-level ``include``: other compose projects whose resources join this one, as Docker
Compose does.

Each entry (``- other.yaml``, or ``{path, project_directory, env_file}``) is loaded as its own
sub-project: its files (``path`` may list several, merged like ``-f``) resolve relative paths
against its project directory (default: the first file's folder) and interpolate with its own
variables: the ``env_file`` given, else the ``.env`` of its project directory, under the
including project's variables (which win, as in Compose). Its services, volumes, networks,
secrets and configs then join the including file; one it defines that the including file (or an
earlier include) defines differently is an error, as in Compose. Includes nest; a cycle is an
error.

Untrusted compose files must not read outside the project folder: an included file, project
directory or env file that leaves it is refused.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from msgspec import Struct

from ..diagnostics import Position, fail
from ..inputs import overlay
from .dotenv import read_dotenv
from .located import LoadedFile, Where
from .merge import strip
from .paths import inside_project
from .reader import exists

MAX_INCLUDE_DEPTH = 16  # nested includes
SECTIONS = ("services", "volumes", "networks", "secrets", "configs")

# Loads a sub-project: (its files, its project directory, its variables, the include chain,
# the include entry naming it).
LoadSubProject = Callable[[list[Path], Path, dict[str, str], tuple[Path, ...], Position],
                          tuple[dict, Where]]


class Scope(Struct, frozen=True):
    """The including project: where include paths start, and its variables."""

    root: Path  # the top project directory: nothing may be read outside it
    working_dir: Path  # relative include paths are written against this folder
    lookup: dict[str, str]  # its variables (shell and .env)
    stack: tuple[Path, ...]  # resolved files from the top project down to the including file
    display: Callable[[Path], str]  # a path as named in diagnostics


def apply_include(file: LoadedFile, scope: Scope, load: LoadSubProject) -> None:
    """Load every project ``file`` includes and add its resources to ``file`` (in place)."""
    if "include" not in file.data:
        return
    entries = file.data.pop("include")
    where = file.where.items.pop("include", Where())
    if entries is None:
        return
    for i, entry in enumerate(entries):
        at = where.item(i).at or where.at or Position(file.display, 1, 1)
        paths, project_dir, lookup = _entry(entry, where.item(i), at, scope)
        data, data_where = load(paths, project_dir, lookup, scope.stack, at)
        _import(file, data, data_where, scope.display(paths[0]), at)


def _texts(value: object, key: str, at: Position) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    raise fail("E-COMPOSE-INCLUDE", f"include '{key}' must be a path or a list of paths", at)


def _entry(entry: object, where: Where, at: Position, scope: Scope) -> tuple[list[Path], Path, dict]:
    """One include entry: its files, project directory and variables, checked."""
    if isinstance(entry, str):
        entry = {"path": entry}
    if "path" not in entry:
        raise fail("E-COMPOSE-INCLUDE", "an include entry needs a 'path'", at)
    texts = _texts(entry["path"], "path", where.item("path").at or at)
    paths = []
    for text in texts:
        resolved = inside_project(scope.root, text, at, f"included file {text!r}", base=scope.working_dir)
        if not exists(resolved):
            raise fail("E-COMPOSE-INCLUDE", f"included file {text!r} does not exist", at)
        paths.append(scope.working_dir / text)
    first = paths[0].resolve()
    if first in scope.stack:
        loop = scope.stack[scope.stack.index(first):] + (first,)
        raise fail("E-COMPOSE-INCLUDE", "include cycle: " + " -> ".join(scope.display(p) for p in loop), at)
    if len(scope.stack) > MAX_INCLUDE_DEPTH:
        raise fail("E-COMPOSE-INCLUDE", f"includes nest more than {MAX_INCLUDE_DEPTH} levels deep", at)
    project_dir = paths[0].parent
    if entry.get("project_directory") is not None:
        text = entry["project_directory"]
        pd_at = where.item("project_directory").at or at
        if not isinstance(text, str):
            raise fail("E-COMPOSE-INCLUDE", "include 'project_directory' must be a path", pd_at)
        if not inside_project(scope.root, text, pd_at, f"include project_directory {text!r}",
                              base=scope.working_dir).is_dir():
            raise fail("E-COMPOSE-INCLUDE", f"include project_directory {text!r} is not a folder", pd_at)
        project_dir = scope.working_dir / text
    if entry.get("env_file") is not None:
        env_at = where.item("env_file").at or at
        env_files = []
        for text in _texts(entry["env_file"], "env_file", env_at):
            inside_project(scope.root, text, env_at, f"include env_file {text!r}", base=scope.working_dir)
            if not exists(scope.working_dir / text):
                raise fail("E-FILE", f"include env_file {text!r} does not exist", env_at)
            env_files.append(scope.working_dir / text)
    else:
        env_files = [project_dir / ".env"] if exists(project_dir / ".env") else []
        for path in env_files:
            inside_project(scope.root, str(path), at, f"the included project's {scope.display(path)}")
    dotenv: dict[str, str] = {}
    for path in env_files:
        dotenv.update(read_dotenv(path, scope.display(path), scope.lookup))
    return paths, project_dir, overlay(dotenv, scope.lookup)  # the including project's variables win


def _import(file: LoadedFile, data: dict, data_where: Where, shown: str, at: Position) -> None:
    """Add an included project's resources to ``file``; a name both define differently is an error."""
    for section in SECTIONS:
        source = data.get(section)
        if not isinstance(source, dict) or not source:
            continue
        target = file.data.get(section)
        if target is None:
            target = file.data[section] = {}
        if not isinstance(target, dict):
            continue  # normalize reports the including file's section
        target_where = file.section(section)
        for name, value in source.items():
            theirs = data_where.item(section).item(name).at
            if name in target:
                if target[name] is value or strip(target[name]) == value:
                    continue  # the same definition twice is allowed, as in Compose
                ours = target_where.item(name).at or at
                raise fail("E-COMPOSE-INCLUDE", f"{section[:-1]} {name!r} is defined here and, "
                           f"differently, in the included {shown}"
                           + (f" at {theirs}" if theirs else "") + "; rename one or remove it", ours)
            target[name] = value
            target_where.items[name] = data_where.item(section).item(name)
