"""One guarded reader for every file composek8s reads: compose files, ``.env``, env files,
Dockerfiles, bind-mounted files, configs, manifests.

- **Regular files only.** A FIFO no one writes to blocks a reader forever, ``/dev/zero`` never
  ends, a directory cannot be read: each is ``E-NOT-A-FILE``. The file is opened with
  ``O_NONBLOCK`` (opening a FIFO does not wait for a writer) and the *opened* descriptor is
  checked with ``fstat``, so a path swapped between a check and the open cannot slip through.
- **Size checked while reading**, not from ``st_size`` (devices and FIFOs report 0, and a file
  may grow): at most ``limit + 1`` bytes are ever read; one byte more is ``E-FILE-TOO-LARGE``
  (or the caller's code).
- **Inside the project** is the callers' rule (``paths.inside_project``, symlinks resolved):
  every file a compose project names, ``.env`` as well as ``env_file``, is ``E-PATH-ESCAPE``
  when a link leads out of it.
"""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from ..diagnostics import Position, fail

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def kind_of(mode: int) -> str | None:
    """What a file of ``mode`` is when it is not a regular file (None when it is)."""
    if stat.S_ISREG(mode):
        return None
    return next((what for test, what in _KINDS if test(mode)), "not a regular file")


def not_a_file(what: str, kind: str, at: Position) -> Exception:
    return fail("E-NOT-A-FILE", f"{what} is {kind}, not a regular file: composek8s reads only "
                "regular files (a FIFO or a device would block or never end)", at)


def read_bytes(path: Path, what: str, limit: int, at: Position, *,
               too_large: str = "E-FILE-TOO-LARGE", why: str = "") -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them.

    ``what`` names the file in messages ("env file 'app.env'"), ``at`` is where the error
    points (the key naming the file, else the file itself), ``too_large`` the code of the
    size error and ``why`` the reason for the limit, appended to its message.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno == errno.EISDIR:
            raise not_a_file(what, "a directory", at) from None
        if exc.errno == errno.ENXIO:  # a socket, or a FIFO with no writer on some systems
            raise not_a_file(what, "a socket or FIFO", at) from None
        raise fail("E-FILE", f"cannot read {what}: {exc.strerror}", at) from None
    try:
        kind = kind_of(os.fstat(fd).st_mode)
        if kind:
            raise not_a_file(what, kind, at)
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise fail("E-FILE", f"cannot read {what}: {exc.strerror}", at) from None
    finally:
        os.close(fd)
    if size > limit:
        raise fail(too_large, f"{what} is larger than {_size(limit)}, the limit"
                   + (f" ({why})" if why else ""), at)
    return b"".join(chunks)


def read_text(path: Path, what: str, limit: int, at: Position, *, display: str | None = None,
              too_large: str = "E-FILE-TOO-LARGE", why: str = "", encoding_code: str = "E-ENCODING") -> str:
    """``read_bytes`` decoded as UTF-8 (a BOM is dropped); a byte that is not UTF-8 is an
    error at its line and column in ``display`` (the file's name in diagnostics)."""
    raw = read_bytes(path, what, limit, at, too_large=too_large, why=why)
    return decode(raw, display or str(path), encoding_code)


def decode(raw: bytes, display: str, code: str = "E-ENCODING") -> str:
    """UTF-8 text (a BOM dropped); a byte that is not UTF-8 is ``code`` at its line and column."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise fail(code, f"the file is not UTF-8 (byte 0x{raw[exc.start]:02x})",
                   Position(display, line, column)) from None


def exists(path: Path) -> bool:
    """Whether anything is at ``path`` (a dangling symlink counts: reading it says why)."""
    return os.path.lexists(path)


def _size(limit: int) -> str:
    return f"{limit // 2**20} MiB" if limit % 2**20 == 0 else f"{limit:,} bytes"
