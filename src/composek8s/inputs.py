"""What one compile read: every file opened, folder listed or path probed, and every
environment variable looked up. ``synth --check`` (``checkcache.py``) keeps it to tell,
without compiling, that nothing the output depends on has changed.

The recording does not rely on each reader remembering to report: while a ``Recording`` is
active, Python's audit hooks (PEP 578) report every ``open``, ``os.listdir`` and
``os.scandir`` of the process, and ``os.stat``/``os.lstat`` (which ``Path.is_file``,
``exists``, ``resolve``… call) are wrapped; a reader added later is recorded too. Files under
the interpreter's and the installed packages' folders are code, not input (``checkcache``
keys on the code instead). Environment variables are recorded by the load stage through
``watched`` (a lookup that notes the names asked for; copying or iterating it notes "all").

Written by hand: no library records a Python process's file-system reads.
"""
from __future__ import annotations

import hashlib
import os
import stat as _stat
import sys
import threading
from contextlib import contextmanager
from typing import Iterator

ALL = "\0all"  # the whole environment was iterated or copied
_active: "Recording | None" = None
_hook_installed = False
_lock = threading.Lock()
_elsewhere = threading.local()  # .on: this thread's reads are not the compile's (``unrecorded``)


@contextmanager
def unrecorded() -> Iterator[None]:
    """What this thread reads meanwhile is not an input: a thread that works beside the
    compile (synth starts Node.js while the project loads) must not add its files to it."""
    _elsewhere.on = True
    try:
        yield
    finally:
        _elsewhere.on = False


class Doubt(Exception):
    """An input changed while the compile ran, or cannot be read back: record nothing."""


class WatchedEnviron(dict):
    """A variable lookup that notes each name asked for into ``asked``.

    Copies (``dict(x)``, ``{**x}``) and iteration go through ``keys``/``__iter__`` and note
    ``ALL``: a copy's later lookups could not be seen."""

    def __init__(self, data: dict, asked: set):
        super().__init__(data)
        self._asked = asked

    def __getitem__(self, key):
        self._asked.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self._asked.add(key)
        return super().get(key, default)

    def __contains__(self, key):
        self._asked.add(key)
        return super().__contains__(key)

    def _all(self):
        self._asked.add(ALL)

    def __iter__(self):
        self._all()
        return super().__iter__()

    def keys(self):
        self._all()
        return super().keys()

    def items(self):
        self._all()
        return super().items()

    def values(self):
        self._all()
        return super().values()

    def copy(self):
        self._all()
        return dict(dict.items(self))

    def __eq__(self, other):
        self._all()
        return super().__eq__(other)

    __hash__ = None

    def under(self, base: dict) -> "WatchedEnviron":
        """``{**base, **self}`` that keeps watching (the shell wins over ``.env``)."""
        merged = dict(base)
        merged.update(dict.items(self))  # the raw items, not a lookup
        return WatchedEnviron(merged, self._asked)


def watched(environ: dict) -> dict:
    """``environ`` as a lookup that records the names asked for, while a recording runs."""
    rec = _active
    if rec is None:
        return environ
    if isinstance(environ, WatchedEnviron):
        return environ
    if rec.environ is None:
        rec.environ = dict(dict.items(environ))  # the values the compile saw
    return WatchedEnviron(environ, rec.asked)


def overlay(base: dict, environ: dict) -> dict:
    """``{**base, **environ}``, still watched when ``environ`` is."""
    if isinstance(environ, WatchedEnviron):
        return environ.under(base)
    return {**base, **environ}


def _path(value) -> str | None:
    if isinstance(value, int) or value is None:
        return None
    try:
        text = os.fsdecode(os.fspath(value))
    except TypeError:
        return None
    return os.path.abspath(text)


def _signature(path: str, follow: bool = True) -> str:
    """What a probe of ``path`` sees: missing, a folder, a file of some size, a link's target."""
    try:
        st = _real_stat(path) if follow else _real_lstat(path)
    except OSError:
        return "missing"
    if _stat.S_ISLNK(st.st_mode):
        try:
            return "link:" + os.readlink(path)
        except OSError:
            return "link"
    return _kind(st)


def _kind(st: os.stat_result) -> str:
    if _stat.S_ISDIR(st.st_mode):
        return "dir"
    if _stat.S_ISREG(st.st_mode):  # the inode too: a second path to a secret's file is that file
        return f"file:{st.st_size}:{st.st_dev}:{st.st_ino}"
    return f"other:{_stat.S_IFMT(st.st_mode)}"


def _stamp(path: str) -> tuple | None:
    """When and how big ``path`` was, to notice a change during the compile."""
    try:
        st = _real_stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


_real_stat, _real_lstat = os.stat, os.lstat


class Recording:
    """Records, while active, what the process reads (one recording at a time)."""

    def __init__(self):
        self.opened: dict[str, tuple | None] = {}   # path → stamp when first opened
        self.listed: dict[str, tuple | None] = {}   # folder → stamp when first listed
        self.probed: dict[tuple[str, bool], str] = {}  # (path, follows links) → signature
        self.asked: set = set()
        self.environ: dict | None = None
        self._skip = _code_folders()

    # -- the hooks ---------------------------------------------------------------------------
    def _wanted(self, path: str | None) -> bool:
        return path is not None and not path.startswith(self._skip)

    def _audit(self, event: str, args: tuple) -> None:
        if event == "open":
            path, mode, flags = args
            if mode is not None and any(c in str(mode) for c in "wax+"):
                return
            if mode is None and isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
                return
            path = _path(path)
            if self._wanted(path) and path not in self.opened:
                self.opened[path] = _stamp(path)
        elif event in ("os.listdir", "os.scandir"):
            path = _path(args[0] if args and args[0] is not None else ".")
            if self._wanted(path) and path not in self.listed:
                self.listed[path] = _stamp(path)

    def _note(self, path, dir_fd, follow: bool, result) -> None:
        """A probe's result: ``result`` is the stat (or the OSError) the caller got."""
        if dir_fd is not None or getattr(_elsewhere, "on", False):
            return
        text = _path(path)
        if not self._wanted(text) or (text, follow) in self.probed:
            return
        if isinstance(result, OSError):
            self.probed[(text, follow)] = "missing"
        elif _stat.S_ISLNK(result.st_mode):
            self.probed[(text, follow)] = _signature(text, follow)
        else:
            self.probed[(text, follow)] = _kind(result)

    # -- lifetime ----------------------------------------------------------------------------
    def __enter__(self) -> "Recording":
        global _active, _hook_installed
        with _lock:
            if _active is not None:
                raise RuntimeError("a recording is already running")
            if not _hook_installed:
                sys.addaudithook(_dispatch)  # audit hooks cannot be removed: one, dispatching
                _hook_installed = True
            _active = self
            os.stat, os.lstat = _wrap(_real_stat, True), _wrap(_real_lstat, False)
        return self

    def __exit__(self, *exc) -> None:
        global _active
        with _lock:
            os.stat, os.lstat = _real_stat, _real_lstat
            _active = None

    # -- the result --------------------------------------------------------------------------
    def inputs(self, exclude: list[str], salt: str) -> dict:
        """Every recorded input as it is now, with the same digests ``current_inputs`` computes;
        ``Doubt`` when a file or folder changed since the compile read it."""
        outside = tuple(os.path.join(os.path.abspath(e), "") for e in exclude)

        def keep(path: str) -> bool:
            return not (path + os.sep).startswith(outside)

        for path, stamp in [*self.opened.items(), *self.listed.items()]:
            if keep(path) and _stamp(path) != stamp:
                raise Doubt(f"{path} changed while compiling")
        recorded = {
            "files": sorted(p for p in self.opened if keep(p)),
            "folders": sorted(p for p in self.listed if keep(p)),
            "probes": sorted([p, f] for (p, f) in self.probed if keep(p)),
            # HOME: ``~`` in paths; COMPOSE_FILE: where the output goes (read before load);
            # an empty environment: ``environ or {}`` hides the lookups
            "env": sorted(self.asked | {"HOME", "COMPOSE_FILE"} | (set() if self.environ else {ALL})),
        }
        state = current_inputs(recorded, self.environ or {}, salt)
        probed_then = [self.probed[(p, f)] for p, f in recorded["probes"]]
        if probed_then != state["probes"]:
            raise Doubt("a path changed while compiling")
        return {"recorded": recorded, "state": state}


def _wrap(real, follows: bool):
    """``os.stat``/``os.lstat`` that record what each probe saw, a missing path included."""
    def wrapped(path, *args, dir_fd=None, **kwargs):
        follow = kwargs.get("follow_symlinks", True) if follows else False
        try:
            result = real(path, *args, dir_fd=dir_fd, **kwargs)
        except OSError as exc:
            rec = _active
            if rec is not None:
                rec._note(path, dir_fd, follow, exc)
            raise
        rec = _active
        if rec is not None:
            rec._note(path, dir_fd, follow, result)
        return result
    return wrapped


def _dispatch(event: str, args: tuple) -> None:
    rec = _active
    if rec is not None and event in ("open", "os.listdir", "os.scandir") and not getattr(_elsewhere, "on", False):
        rec._audit(event, args)


def _code_folders() -> tuple[str, ...]:
    """Folders of code, not input: the interpreter's, the installed packages', this package's,
    and the kernel's pseudo-files."""
    import sysconfig

    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             os.path.dirname(os.path.abspath(__file__)), "/proc", "/sys", "/dev"}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            paths.add(path)
    return tuple(os.path.join(os.path.abspath(p), "") for p in paths if p)


def _digest_file(path: str) -> str:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except FileNotFoundError:
        return "missing"
    except IsADirectoryError:
        return "dir"
    except OSError as exc:
        return f"error:{exc.errno}"
    return h.hexdigest()


def _listing(path: str) -> str:
    try:
        names = sorted(os.listdir(path))
    except OSError as exc:
        return f"error:{exc.errno}"
    return hashlib.sha256("\0".join(names).encode("utf-8", "surrogateescape")).hexdigest()


def _secret_digest(value: str | None, salt: str) -> str | None:
    """A salted digest: the cache is outside git, but holds no value in the clear."""
    if value is None:
        return None
    return hashlib.sha256((salt + "\0" + value).encode("utf-8", "surrogateescape")).hexdigest()


def current_inputs(recorded: dict, environ, salt: str) -> dict:
    """The state now of what ``recorded`` names: file digests, folder listings, probe results,
    and each variable's salted digest (None when unset); ``ALL`` digests the whole environment."""
    env = {}
    for name in recorded["env"]:
        if name == ALL:
            env[name] = _secret_digest("\0".join(f"{k}={v}" for k, v in sorted(environ.items())), salt)
        else:
            env[name] = _secret_digest(environ.get(name), salt)
    return {
        "files": [_digest_file(p) for p in recorded["files"]],
        "folders": [_listing(p) for p in recorded["folders"]],
        "probes": [_signature(p, f) for p, f in recorded["probes"]],
        "env": env,
    }
