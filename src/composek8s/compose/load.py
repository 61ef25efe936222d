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
from .dotenv import read_dotenv
from .interpolate import Interpolator
from .model import Project
from .normalize import normalize_project
from .schema import validate_file
from .yamlsrc import Document, Override, Reset, read_file

DEFAULT_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
OVERRIDE_FILES = ("compose.override.yml", "compose.override.yaml", "docker-compose.override.yml",
                  "docker-compose.override.yaml")


def discover(directory: Path) -> Path:
    """The default compose file of ``directory``, as Compose finds it."""
    for name in DEFAULT_FILES:
        if (directory / name).is_file():
            return directory / name
    raise fail("E-NO-COMPOSE-FILE", f"no compose file in {directory} (looked for "
               + ", ".join(DEFAULT_FILES) + ")")


def _discovered(directory: Path) -> list[Path]:
    """The default file and, when there is one, the override file Compose merges onto it."""
    overrides = [directory / n for n in OVERRIDE_FILES if (directory / n).is_file()]
    return [discover(directory)] + overrides[:1]


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
    environ = dict(os.environ if environ is None else environ)
    if not files and environ.get("COMPOSE_FILE"):  # as Compose: used when no -f is given
        separator = environ.get("COMPOSE_PATH_SEPARATOR") or os.pathsep
        files = [Path(f) for f in environ["COMPOSE_FILE"].split(separator) if f]
    paths = [f if f.is_absolute() else cwd / f for f in files] or _discovered(cwd)
    directory = paths[0].parent
    display = [_display(p, cwd) for p in paths]

    dotenv: dict[str, str] = {}
    for env_file in env_files if env_files is not None else [directory / ".env"]:
        path = env_file if env_file.is_absolute() else cwd / env_file
        if env_files is None and not path.is_file():
            continue
        dotenv.update(read_dotenv(path, _display(path, cwd), environ))
    lookup = {**dotenv, **environ}  # the shell wins over .env, as in Compose

    interpolator = Interpolator(lookup, reporter)
    merged: dict = {}
    positions: dict = {}
    for path, shown in zip(paths, display):
        doc = read_file(path, shown)
        if doc.data is None:
            doc.data = {}
        if not isinstance(doc.data, dict):
            raise fail("E-COMPOSE-TOP", "a compose file must be a mapping at the top level",
                       doc.at())
        doc.data = _interpolate(doc.data, doc, (), interpolator)
        data = validate_file(doc, reporter)  # per file, before merging, as Compose does
        merged = _merge(merged, data, ())
        positions.update(doc.positions)
    reporter.raise_if_errors()  # the typed model is built from valid files only
    document = Document(display[0], merged, positions)

    enabled = set(profiles if profiles is not None else _env_profiles(lookup))
    name = _project_name(merged, lookup, directory, document)
    project = normalize_project(document, name, directory, display, enabled, lookup, reporter)
    reporter.raise_if_errors()
    return project


def _display(path: Path, cwd: Path) -> str:
    """A path as shown in diagnostics: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(cwd.resolve()))
    except ValueError:
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


# Sequences that a later file replaces rather than extends (Compose merge rules).
_REPLACED = {"command", "entrypoint", "test", "dns", "dns_search"}


def _merge(base: object, over: object, path: tuple) -> object:
    """Merge ``over`` (a later file) onto ``base`` by the Compose specification's rules."""
    if isinstance(over, Reset):
        return None
    if isinstance(over, Override):
        return _strip(over.value)
    if len(path) == 3 and path[0] == "services" and path[2] in _AS_MAPPING \
            and isinstance(base, (list, dict)) and isinstance(over, (list, dict)) \
            and type(base) is not type(over):
        # One file wrote the list form, the other the mapping: Compose merges them as mappings.
        base, over = _AS_MAPPING[path[2]](base), _AS_MAPPING[path[2]](over)
    if isinstance(base, dict) and isinstance(over, dict):
        result = dict(base)
        for key, value in over.items():
            if isinstance(value, Reset):
                result.pop(key, None)
            elif key in result:
                result[key] = _merge(result[key], value, path + (key,))
            else:
                result[key] = _strip(value)
        return result
    if isinstance(base, list) and isinstance(over, list) and len(path) == 3 and path[0] == "services" \
            and path[2] == "volumes":
        return _merge_mounts(base, [_strip(v) for v in over])
    if isinstance(base, list) and isinstance(over, list) and (not path or path[-1] not in _REPLACED):
        return base + [_strip(v) for v in over if _strip(v) not in base]
    return _strip(over)


def _env_mapping(value: list | dict) -> dict:
    if isinstance(value, dict):
        return value
    from .interpolate import Template
    from .normalize import _split_template

    result: dict = {}
    for item in value:
        if isinstance(item, Template):
            key, rest = _split_template(item)
            result[key] = rest
        else:
            key, equals, rest = str(item).partition("=")
            result[key] = rest if equals else None
    return result


def _depends_mapping(value: list | dict) -> dict:
    if isinstance(value, dict):
        return value
    return {str(name): {"condition": "service_started"} for name in value}


# Service keys with a list and a mapping form: merged as mappings when the files disagree.
_AS_MAPPING = {"environment": _env_mapping, "depends_on": _depends_mapping}


def _mount_target(item: object) -> object:
    """The container path of a volume entry (short or long syntax), its merge key in Compose."""
    if isinstance(item, dict):
        return item.get("target")
    if isinstance(item, str):
        parts = item.split(":")
        return parts[1] if len(parts) > 1 else parts[0]
    return None


def _merge_mounts(base: list, over: list) -> list:
    """Service volumes are merged by target: a later file's mount at a path replaces the earlier
    one in place; mounts at new paths are appended (as Compose orders them)."""
    later = {_mount_target(v): v for v in over if _mount_target(v) is not None}
    merged = [later.pop(_mount_target(v), v) if _mount_target(v) is not None else v for v in base]
    return merged + [v for v in over if _mount_target(v) is None or _mount_target(v) in later]


def _strip(value: object) -> object:
    """Remove merge tags once merging is done (a single file's ``!reset`` means empty)."""
    if isinstance(value, Reset):
        return None
    if isinstance(value, Override):
        return _strip(value.value)
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if not isinstance(v, Reset)}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


__all__ = ["load_project", "discover", "CompileError", "Position"]
