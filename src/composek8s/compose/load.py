"""Load a Compose project: files, ``.env``, merge, interpolation, profiles, then the typed model.

Follows Docker Compose's rules: the project directory is the first file's folder, ``.env``
is read from there (or ``--env-file``), the process environment wins over ``.env``, and
services whose profiles are not enabled are left out.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from ..diagnostics import CompileError, Position, Reporter, fail
from ..inputs import overlay, watched
from .dotenv import read_dotenv
from .extends import ExtendsResolver
from .include import Scope, apply_include
from .interpolate import Interpolator
from .located import LoadedFile, Where, count_values, flatten, where_of
from .merge import merge
from .model import Project
from .normalize import normalize_project
from .paths import inside_project
from .rebase import rebase_file
from .schema import validate_file
from .reader import decode, exists
from .yamlsrc import MAX_BYTES, MAX_VALUES, Document, Override, Reset, parse_text, read_bytes_of

DEFAULT_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
OVERRIDE_FILES = ("compose.override.yml", "compose.override.yaml", "docker-compose.override.yml",
                  "docker-compose.override.yaml")


def discover(directory: Path) -> Path:
    """The default compose file of ``directory`` or, as Compose looks, of its nearest parent."""
    for folder in (directory, *directory.resolve().parents):
        for name in DEFAULT_FILES:
            if exists(folder / name):
                return folder / name
    raise fail("E-NO-COMPOSE-FILE", f"no compose file in {directory} or its parents (looked for "
               + ", ".join(DEFAULT_FILES) + ")")


def _discovered(directory: Path) -> list[Path]:
    """The default file and, when there is one, the override file Compose merges onto it
    (from the same folder)."""
    found = discover(directory)
    overrides = [found.parent / n for n in OVERRIDE_FILES if exists(found.parent / n)]
    return [found] + overrides[:1]


def load_project(
    files: list[Path],
    *,
    env_files: list[Path] | None = None,
    profiles: list[str] | None = None,
    environ: dict[str, str] | None = None,
    reporter: Reporter | None = None,
    cwd: Path | None = None,
) -> Project:
    """Read compose ``files`` (merged in order) into a typed ``Project``.

    Raises ``CompileError`` with every error found; warnings go to ``reporter``.
    """
    reporter = reporter if reporter is not None else Reporter()
    cwd = cwd or Path.cwd()
    # watched: synth --check's cache records which variables the compile asked for
    environ = watched(dict(os.environ if environ is None else environ))
    if not files and environ.get("COMPOSE_FILE"):  # as Compose: used when no -f is given
        separator = environ.get("COMPOSE_PATH_SEPARATOR") or os.pathsep
        files = [Path(f) for f in environ["COMPOSE_FILE"].split(separator) if f]
    paths = [f if f.is_absolute() else cwd / f for f in files] or _discovered(cwd)
    directory = paths[0].parent
    display = [_display(p, cwd) for p in paths]

    dotenv: dict[str, str] = {}
    for env_file in env_files if env_files is not None else [directory / ".env"]:
        path = env_file if env_file.is_absolute() else cwd / env_file
        if env_files is None:
            if not exists(path):
                continue
            # The project's own .env follows the rule of every file the project names: a
            # symlink may not lead out of it (an env_file's is refused the same way).
            inside_project(directory, ".env", Position(_display(path, cwd), 1, 1), ".env")
        dotenv.update(read_dotenv(path, _display(path, cwd), environ))
    lookup = overlay(dotenv, environ)  # the shell wins over .env, as in Compose

    loader = _Loader(directory, cwd, reporter)
    merged, where = loader.project(paths, directory, lookup, ())
    document = Document(display[0], merged, flatten(merged, where))

    enabled = set(profiles if profiles is not None else _env_profiles(lookup))
    name = _project_name(merged, lookup, directory, document)
    project = normalize_project(document, name, directory, display, enabled, lookup, reporter)
    reporter.raise_if_errors()
    return project


# Compose files one project may read, includes and extended files counted (each read counts).
MAX_FILE_READS = 256


class _Loader:
    """Reads the files of one project, the projects it includes and the files its services
    extend. The limits that hold for one file (``yamlsrc``: bytes, values) hold for all of them
    together, so a file that includes itself or a thousand includes of a big file stop early."""

    def __init__(self, root: Path, cwd: Path, reporter: Reporter):
        self.root, self.cwd, self.reporter = root, cwd, reporter
        self.bytes = self.values = self.reads = 0
        # Included projects already loaded, by (files, project directory, variables): the same
        # include repeated costs its reads again (see _spend) but not the work.
        self._included: dict[tuple, tuple[dict, Where, int, int, int]] = {}

    def display(self, path: Path) -> str:
        return _display(path, self.cwd)

    def project(self, paths: list[Path], working_dir: Path, lookup: dict[str, str],
                stack: tuple[Path, ...], at: Position | None = None) -> tuple[dict, Where]:
        """The merged data of a project's ``paths`` (``-f`` order), their relative paths written
        against ``working_dir``, interpolated with ``lookup``; ``stack`` is the include chain
        and ``at`` the include entry naming the project (None for the top project)."""
        interpolator = Interpolator(lookup, self.reporter)
        extended: dict[Path, LoadedFile] = {}
        extends = ExtendsResolver(
            lambda text, base, asked_at: self._extended(text, base, asked_at, interpolator, extended),
            self.charge)
        merged: dict = {}
        where = Where()
        for path in paths:
            doc = self.read(path, interpolator, at)
            rebase_file(doc.data, working_dir, self.root)
            file = LoadedFile(path.resolve(), doc.file, doc.data, where_of(doc.data, doc.positions),
                              working_dir)
            extends.resolve(file)  # before include and merge, as Compose orders them
            apply_include(file, Scope(self.root, working_dir, lookup, stack + (file.path,), self.display),
                          self.included)
            merged, where = merge(merged, file.data, (), where, file.where)
        return merged, where

    def included(self, paths: list[Path], working_dir: Path, lookup: dict[str, str],
                 stack: tuple[Path, ...], at: Position) -> tuple[dict, Where]:
        """An included project (``include.py``), loaded once for the same files and variables."""
        key = (tuple(p.resolve() for p in paths), working_dir.resolve(), tuple(sorted(dict.items(lookup))))  # a memo key, not a lookup
        if key in self._included:
            data, where, size, values, reads = self._included[key]
            self._spend(size, values, reads, at, self.display(paths[0]))
            return data, where
        before = (self.bytes, self.values, self.reads)
        data, where = self.project(paths, working_dir, lookup, stack, at)
        self._included[key] = (data, where, self.bytes - before[0], self.values - before[1],
                               self.reads - before[2])
        return data, where

    def _extended(self, text: str, base: Path, at: Position, interpolator: Interpolator,
                  cache: dict[Path, LoadedFile]) -> LoadedFile:
        """A file named by ``extends.file`` (read once per project), its relative paths
        rewritten from its own folder to the project directory."""
        resolved = inside_project(self.root, text, at, f"extends file {text!r}", base=base)
        if not exists(resolved):
            raise fail("E-COMPOSE-EXTENDS", f"extends file {text!r} does not exist", at)
        if resolved not in cache:
            path = base / text
            doc = self.read(path, interpolator, at)
            rebase_file(doc.data, path.parent, self.root)
            cache[resolved] = LoadedFile(resolved, doc.file, doc.data,
                                         where_of(doc.data, doc.positions), path.parent)
        return cache[resolved]

    def read(self, path: Path, interpolator: Interpolator, at: Position | None) -> Document:
        """Read and interpolate one compose file: every file of the project (``-f`` files,
        included and extended files) is read here, within the project's limits. ``at`` is the
        ``include`` or ``extends`` that names the file."""
        display = self.display(path)
        self._spend(0, 0, 1, at, display)
        # The guarded reader refuses what is not a regular file and stops past MAX_BYTES
        # while reading; what it read counts against the project's budget.
        raw = read_bytes_of(path, display, at)
        self._spend(len(raw), 0, 0, at, display)
        doc = parse_text(decode(raw, display, "E-YAML-ENCODING"), display)
        self._spend(0, len(doc.positions), 0, at, display)
        if doc.data is None:
            doc.data = {}
        if not isinstance(doc.data, dict):
            raise fail("E-COMPOSE-TOP", "a compose file must be a mapping at the top level", doc.at())
        doc = Document(display, _interpolate(doc.data, doc, (), interpolator), doc.positions)
        # Checked against the Compose schema per file, before merging, as Compose does; a file
        # that fails stops the load here, so merging and extends only ever see valid files.
        doc.data = validate_file(doc, self.reporter)
        self.reporter.raise_if_errors()
        return doc

    def _spend(self, size: int, values: int, reads: int, at: Position | None, display: str) -> None:
        """Count bytes, values and files read against the project's limits."""
        self.bytes, self.values, self.reads = self.bytes + size, self.values + values, self.reads + reads
        where = at or Position(display, 1, 1)
        if self.reads > MAX_FILE_READS:
            raise fail("E-YAML-TOO-LARGE", f"the project reads more than {MAX_FILE_READS} compose "
                       f"files (includes and extends counted); refusing to read {display}", where)
        if self.bytes > MAX_BYTES:
            raise fail("E-YAML-TOO-LARGE", f"the project's compose files add up to more than "
                       f"{MAX_BYTES // 2**20} MiB (includes and extends counted); refusing to "
                       f"read {display}", where)
        if self.values > MAX_VALUES:
            raise fail("E-YAML-TOO-LARGE", f"the project's compose files hold more than "
                       f"{MAX_VALUES:,} values (includes and extends counted); refusing to read "
                       f"{display}", where)

    def charge(self, value: object, at: Position) -> None:
        """Count values that ``extends`` copies: a chain of big services must stop too."""
        self.values += count_values(value, MAX_VALUES)
        if self.values > MAX_VALUES:
            raise fail("E-YAML-TOO-LARGE", f"services extending each other expand to more than "
                       f"{MAX_VALUES:,} values; refusing to merge them", at)


def _display(path: Path, cwd: Path) -> str:
    """A path as shown in diagnostics: relative to the working directory when inside it
    (as written: a symlink is shown by its own name, not its target's)."""
    for candidate, base in ((Path(os.path.abspath(path)), Path(os.path.abspath(cwd))),
                            (path.resolve(), cwd.resolve())):
        try:
            return str(candidate.relative_to(base))
        except ValueError:
            continue
    return str(path)


def _env_profiles(lookup: dict[str, str]) -> list[str]:
    return [p.strip() for p in lookup.get("COMPOSE_PROFILES", "").split(",") if p.strip()]


def _project_name(data: dict, lookup: dict[str, str], directory: Path, doc: Document) -> str:
    raw = data.get("name") or lookup.get("COMPOSE_PROJECT_NAME") or directory.resolve().name
    if not isinstance(raw, str):
        raise fail("E-PROJECT-NAME", "'name' must be a string", doc.at("name"))
    name = re.sub(r"[^a-z0-9_-]", "", raw.lower())
    name = name.lstrip("_-")
    if not name:
        raise fail("E-PROJECT-NAME", f"project name {raw!r} has no letters or digits", doc.at("name"))
    return name


def _interpolate(value: object, doc: Document, path: tuple, it: Interpolator) -> object:
    if isinstance(value, str):
        return it.value(value, doc.at(*path))
    if isinstance(value, dict):
        return {k: _interpolate(v, doc, path + (k,), it) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, doc, path + (i,), it) for i, v in enumerate(value)]
    if isinstance(value, Reset):
        return value
    if isinstance(value, Override):
        return Override(_interpolate(value.value, doc, path, it))
    return value


__all__ = ["load_project", "discover", "CompileError", "Position"]
