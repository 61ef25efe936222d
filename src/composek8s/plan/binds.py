"""Bind mounts, classified by what they hold: each class has one rule and one warning.

- **configuration** (files the service reads: a file, or a folder of files mounted read-only
  or anywhere that is not a data path) → a ConfigMap, mounted read-only
  (``W-VOLUME-READONLY`` when compose mounted it read-write);
- **data** (a folder mounted read-write at a data path of the image — a known image's data
  directory or a ``VOLUME`` of its Dockerfile — or at a path named for data such as
  ``/app/data``; a folder holding a database's files; a folder that is missing, which Compose
  creates empty, or empty; a folder too large for a ConfigMap) → a persistent claim, like a
  named volume (``W-VOLUME-DATA``: the host folder's content is not carried over);
- **source** code for live reload (inside a build context) → dropped (``W-VOLUME-SOURCE``);
- **host paths** (absolute, ``~``, ``C:\\``) → refused under the restricted profile
  (``E-SECURITY-HOSTPATH``), a ``hostPath`` for a service that opted out.

Files are read here once; their contents feed both the ConfigMaps and the search for the
hosts they name (``references.py``).
"""
from __future__ import annotations

import base64
import re
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from msgspec import Struct, field

from ..compose import Mount, Project, Service
from ..compose.paths import inside_project
from ..compose.reader import kind_of, not_a_file, read_bytes
from ..diagnostics import CompileError, Position, Reporter
from ..secretscan import describe, scan_file
from .facts import SecretFiles
from .images import facts_for
from .names import dns_name

if TYPE_CHECKING:
    from .draft import Draft
    from .facts import ProjectFacts

CONFIGMAP_LIMIT = 1024 * 1024  # bytes: the API server's object size limit is about 1 MiB
CONFIGMAP_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")  # what the API server accepts as a data key
# What images read the host's time zone from; a pod reads TZ (or keeps UTC) instead.
_HOST_TIME_ZONE = ("/etc/localtime", "/etc/timezone", "/usr/share/zoneinfo")
_SECRET_FILE = re.compile(r"(^\.env(\..*)?$|\.(key|pem|p12|pfx)$|^id_(rsa|ed25519|ecdsa)$|secret)", re.I)
_WINDOWS_PATH = re.compile(r"^[A-Za-z]:[\\/]|^\\\\")  # C:\data, C:/data, \\server\share
# Files only a database's data directory holds (PostgreSQL, MySQL/MariaDB, Redis, MongoDB,
# Elasticsearch): a folder with one of them is data, whatever path it is mounted at.
_DATA_FILES = {"PG_VERSION", "ibdata1", "auto.cnf", "aria_log_control", "dump.rdb", "appendonly.aof",
               "appendonlydir", "WiredTiger", "mongod.lock", "nodes", "_state"}
# Path words that name data a service writes (`/app/data`, `/srv/uploads`, `/var/lib/app`).
_DATA_WORDS = {"data", "db", "database", "storage", "uploads", "media", "state", "persist", "persistent"}


class Bind(Struct):
    """One bind mount of a service, classified."""

    mount: Mount
    kind: str  # "config", "data", "source" or "host"
    path: Path | None = None  # resolved, inside the project
    relative: str = ""  # the path inside the project, as a POSIX path
    files: list[Path] = field(default_factory=list)  # config: the files it holds
    data: dict[str, str] = field(default_factory=dict)  # config: ConfigMap data (UTF-8 text)
    binary: dict[str, str] = field(default_factory=dict)  # config: binaryData (base64)
    reason: str = ""  # data: why it is data


def classify_binds(draft: Draft) -> None:
    """Pass: every bind mount of every service as configuration, data, source or host path."""
    for svc, sd in draft.each():
        sd.binds = [b for m in svc.volumes if m.type == "bind"
                    if (b := classify(svc, draft.project, m, draft.facts, draft.reporter)) is not None]


def is_host_path(source: str) -> bool:
    return source.startswith(("/", "~")) or bool(_WINDOWS_PATH.match(source))


def classify(svc: Service, project: Project, mount: Mount, facts: ProjectFacts, reporter: Reporter) -> Bind | None:
    """The class of one bind mount, or None when it is refused (an error is reported)."""
    source = mount.source or ""
    if is_host_path(source):
        if svc.x_k8s.get("podSecurity") == "privileged":
            return Bind(mount, "host")
        _refuse_host_path(svc, mount, reporter)
        return None
    try:
        path = inside_project(project.directory, source, mount.position, f"bind mount {source!r}")
    except CompileError as exc:
        reporter.diagnostics.extend(exc.diagnostics)
        return None
    relative = path.relative_to(project.directory.resolve()).as_posix()
    if any(path == c or c in path.parents or path in c.parents for c in facts.build_contexts) and path.is_dir():
        reporter.warn("W-VOLUME-SOURCE", f"service {svc.name!r}: bind mount of {source} holds source "
                      "code for live reload; dropped (the image carries the code)", mount.position)
        return Bind(mount, "source", path, relative)
    if not path.exists():
        return _data(svc, mount, path, relative, "does not exist yet: Compose creates it empty", reporter)
    try:
        # Only folders and regular files are read (a FIFO would block, a device never end),
        # and what a folder holds must stay inside the project like the folder itself.
        refuse_special(path, f"bind mount {source!r}", mount.position)
    except CompileError as exc:
        reporter.diagnostics.extend(exc.diagnostics)
        return None
    if path.is_dir():
        entries = sorted(path.iterdir())
        if not entries:
            return _data(svc, mount, path, relative, "is empty", reporter)
        why = _data_reason(svc, mount, entries)
        if why:
            return _data(svc, mount, path, relative, why, reporter)
        try:  # configuration: its files are read
            _check_entries(project.directory, entries, source, mount.position)
        except CompileError as exc:
            reporter.diagnostics.extend(exc.diagnostics)
            return None
        files = [p for p in entries if p.is_file()]
        if sum(f.stat().st_size for f in files) > CONFIGMAP_LIMIT:
            return _too_large(svc, mount, path, relative, files, facts, reporter)
        if any(p.is_dir() for p in entries):
            reporter.warn("W-VOLUME-NESTED", f"service {svc.name!r}: bind mount {source} has sub-folders; "
                          "only its top-level files become a ConfigMap", mount.position)
    elif path.is_file():
        files = [path]
    else:
        reporter.error("E-VOLUME-TYPE", f"service {svc.name!r}: bind mount source {source} is neither a file "
                       "nor a folder", mount.position)
        return None
    refused = refuse_as_config_map(files, facts.secret_files)
    if refused:
        code, why = refused
        extra = " (mount its folder instead: a folder too large for a ConfigMap becomes a claim)" \
            if code == "E-CONFIGMAP-TOO-LARGE" and path.is_file() else ""
        reporter.error(code, f"service {svc.name!r}: bind mount {source} {why}{extra}", mount.position)
        return None
    data, binary = file_data(files)
    refused = refuse_secret_content(data, {f.name: (f"{source}/{f.name}" if path.is_dir() else source) for f in files})
    if refused:
        reporter.error(refused[0], f"service {svc.name!r}: bind mount {source}: {refused[1]}", mount.position)
        return None
    if not mount.read_only:
        reporter.warn("W-VOLUME-READONLY", f"service {svc.name!r}: {source} is mounted read-only "
                      "(ConfigMaps cannot be written)", mount.position)
    return Bind(mount, "config", path, relative, files, data, binary)


def _data_reason(svc: Service, mount: Mount, entries: list[Path]) -> str | None:
    """Why a folder of files mounted at ``mount.target`` is the service's data, or None."""
    names = {p.name for p in entries}
    marker = sorted(names & _DATA_FILES)
    if marker and not mount.read_only:
        return f"holds a database's files ({marker[0]})"
    if mount.read_only:
        return None
    target = PurePosixPath(mount.target)
    for path, what in data_paths(svc):
        if target == PurePosixPath(path) or PurePosixPath(path) in target.parents:
            return f"is mounted read-write at {path}, {what}"
    words = {w for part in target.parts for w in re.split(r"[^a-z0-9]+", part.lower())}
    if words & _DATA_WORDS or str(target).startswith("/var/lib/"):
        return f"is mounted read-write at {mount.target}, a path named for data"
    return None


def data_paths(svc: Service) -> list[tuple[str, str]]:
    """(path, what it is) for each path the service's image keeps data in."""
    found = []
    known = facts_for(svc)
    for path in known.data if known else ():
        found.append((path, f"where {svc.image or 'its image'} keeps its data"))
    for path in svc.image_config.volumes if svc.image_config else ():
        found.append((path, f"a VOLUME of {svc.image_config.file}"))
    return found


def _data(svc: Service, mount: Mount, path: Path, relative: str, why: str, reporter: Reporter) -> Bind:
    empty = not path.exists() or (path.is_dir() and not any(path.iterdir()))
    carry = ("it starts empty, as under Compose" if empty else
             f"its current content is not carried over: after the first start copy it in with "
             f"`kubectl cp {mount.source} <pod>:{mount.target}` (or load it with an init Job)")
    reporter.warn("W-VOLUME-DATA", f"service {svc.name!r}: bind mount {mount.source} {why}: it holds data, "
                  f"so it becomes a persistent claim (a ConfigMap could not be written); {carry}", mount.position)
    return Bind(mount, "data", path, relative, reason=why)


def _too_large(svc: Service, mount: Mount, path: Path, relative: str, files: list[Path], facts: ProjectFacts,
               reporter: Reporter) -> Bind:
    """A folder too large for a ConfigMap: a claim, with its small text files (a pipeline's
    config beside a large sample log) carried in a ConfigMap mounted file by file over it, so
    the service starts with them; only the rest must be copied in."""
    carried, size = [], 0
    for f in sorted(files, key=lambda f: (f.stat().st_size, f.name)):
        if size + f.stat().st_size > CONFIGMAP_LIMIT or refuse_as_config_map([f], facts.secret_files):
            continue
        data, binary = file_data([f])
        if binary or refuse_secret_content(data, {}):
            continue
        carried.append(f)
        size += f.stat().st_size
    data, _ = file_data(sorted(carried))
    left = sorted(f.name for f in files if f not in carried)
    kept = f"; {', '.join(sorted(data))} {'is' if len(data) == 1 else 'are'} mounted from a ConfigMap over it" \
        if data else ""
    reporter.warn("W-VOLUME-DATA", f"service {svc.name!r}: bind mount {mount.source} holds more than a ConfigMap can "
                  f"({CONFIGMAP_LIMIT:,} bytes): it becomes a persistent claim{kept}; the rest ({', '.join(left)}) is "
                  f"not carried over: after the first start copy it in with `kubectl cp {mount.source}/<file> "
                  f"<pod>:{mount.target}/` (or load it with an init Job)", mount.position)
    return Bind(mount, "data", path, relative, sorted(carried), data, {}, reason="too large for a ConfigMap")


def claim_name(bind: Bind, project: Project) -> str:
    """The claim of a data bind mount, named after its folder (``./data/db`` → ``data-db``),
    apart from the project's named volumes."""
    name = dns_name(bind.relative or "data")
    taken = {dns_name(v) for v in project.volumes}
    return dns_name(f"bind-{name}") if name in taken else name


def _refuse_host_path(svc: Service, mount: Mount, reporter: Reporter) -> None:
    source = mount.source or ""
    current = svc.x_k8s.get("podSecurity", "restricted")
    opt_out = "x-k8s: {podSecurity: privileged, reason: ...}"
    if source.endswith("docker.sock"):
        what, fix = "the Docker socket gives root on the host", f"opt the service out with {opt_out}"
    elif source.rstrip("/") in _HOST_TIME_ZONE:
        what = f"host path {source} (the host's time zone) is a hostPath volume"
        fix = "delete this line and set TZ in the environment (TZ: Europe/Berlin) for a zone other than UTC"
    else:
        what = f"host path {source} is a hostPath volume"
        fix = f"use a named volume (data) or a file inside the project (config), or opt out with {opt_out}"
    reporter.error("E-SECURITY-HOSTPATH", f"service {svc.name!r}: bind mount of {source}: {what}; "
                   f"refused by the {current} Pod Security profile: {fix}", mount.position)


def refuse_as_config_map(files: list[Path], secret_files: SecretFiles) -> tuple[str, str] | None:
    """Why ``files`` cannot be one ConfigMap (code, reason), or None: the one admission rule
    for bind mounts and compose configs. Secret files would put secrets in the output; the
    API server refuses keys other than ``[-._a-zA-Z0-9]+`` and objects over about 1 MiB.
    What the files hold is checked once they are read (``refuse_secret_content``)."""
    secret = [f.name for f in files if looks_secret(f.name) or secret_files.holds(f)]
    if secret:
        return "E-SECRET-FILE", (f"holds {', '.join(secret)}, which look secret or are a secret's file; "
                                 "a ConfigMap would put them in the output: use compose secrets instead")
    bad = [f.name for f in files if not CONFIGMAP_KEY.match(f.name)]
    if bad:
        return "E-CONFIGMAP-KEY", (f"holds {', '.join(repr(b) for b in bad)}: a ConfigMap key (the file's "
                                   "name) may hold only letters, digits, '-', '_' and '.'; rename the file")
    total = sum(f.stat().st_size for f in files)
    if total > CONFIGMAP_LIMIT:
        return "E-CONFIGMAP-TOO-LARGE", f"holds {total:,} bytes; a ConfigMap holds at most {CONFIGMAP_LIMIT:,}"
    return None


def refuse_secret_content(data: dict[str, str], display: dict[str, str]) -> tuple[str, str] | None:
    """``E-SECRET-FILE`` and why, when a ConfigMap's text (key -> content) holds a credential
    (detect-secrets, ``secretscan``): ``display`` names each key's file as the user knows it."""
    for key, text in data.items():
        found = scan_file(text, key)
        if found:
            return "E-SECRET-FILE", (f"{display.get(key, key)} holds {describe(found)} at line {found[0].line}; "
                                     "a ConfigMap would put it in the output: use compose secrets instead")
    return None


def refuse_special(path: Path, what: str, at: Position) -> None:
    """``E-NOT-A-FILE`` unless ``path`` is a folder or a regular file (symlinks followed)."""
    kind = kind_of(path.stat().st_mode)
    if kind and kind != "a directory":
        raise not_a_file(what, kind, at)


def _check_entries(directory: Path, entries: list[Path], source: str, at: Position) -> None:
    """Each entry of a configuration folder is a folder or a regular file inside the project
    (a symlink to /etc/shadow in ./conf is refused like ./conf itself)."""
    for entry in entries:
        name = f"{source.rstrip('/')}/{entry.name}"
        inside_project(directory, str(entry), at, f"bind mount {name!r}")
        refuse_special(entry, name, at)


def file_data(files: list[Path]) -> tuple[dict, dict]:
    """ConfigMap ``data`` (UTF-8 text) and ``binaryData`` (base64) keyed by file name."""
    data, binary = {}, {}
    for f in files:
        # The guarded reader: a file that grew past the limit since it was sized stops there.
        raw = read_bytes(f, str(f.name), CONFIGMAP_LIMIT, Position(str(f.name)),
                         too_large="E-CONFIGMAP-TOO-LARGE")
        try:
            data[f.name] = raw.decode("utf-8")
        except UnicodeDecodeError:
            binary[f.name] = base64.b64encode(raw).decode("ascii")
    return data, binary


def looks_secret(name: str) -> bool:
    """A file name that suggests key material or credentials (``.env``, ``*.pem``…)."""
    return bool(_SECRET_FILE.search(name))
