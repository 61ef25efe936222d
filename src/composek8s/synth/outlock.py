"""The lock that keeps two runs from writing the same output at once.

Each folder that holds an output (``dist/``'s parent, ``charts/``, the ``--package`` folder)
gets, while a run writes into it, a work folder ``.composek8s/``: its ``lock`` file (an
``fcntl`` lock, released by the kernel when a run dies, so a killed run never leaves a
lock behind), the run's staging and its journal (``synth/transaction.py``), and a
``.gitignore`` of ``*`` written before anything else, so nothing in it is ever committed,
not even what a killed run leaves. The last run out removes the folder.

A second run waits for the lock (``COMPOSEK8S_LOCK_TIMEOUT`` seconds, 120 by default),
then stops with ``E-OUTPUT-BUSY``; it never interleaves its writes with the first's.
"""
from __future__ import annotations

import errno
import fcntl
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from ..diagnostics import fail

WORK = ".composek8s"
LOCK = "lock"
IGNORE = ".gitignore"
IGNORE_TEXT = "# Written by composek8s: its lock and staging while it writes output beside this folder.\n*\n"
DEFAULT_TIMEOUT = 120.0


def work_folder(parent: Path) -> Path:
    return parent / WORK


def _timeout() -> float:
    try:
        return max(0.0, float(os.environ.get("COMPOSEK8S_LOCK_TIMEOUT", DEFAULT_TIMEOUT)))
    except ValueError:
        return DEFAULT_TIMEOUT


def _ensure_ignored(work: Path) -> None:
    """``work/.gitignore`` holding ``IGNORE_TEXT``, which appears whole or not at all: a run
    killed between creating the file and writing it would leave an empty .gitignore, which
    git lists and which ignores nothing. So it is written unnamed (``O_TMPFILE``) and linked
    into place; where the file system cannot, in one write. A wrong one is rewritten."""
    ignore = work / IGNORE
    try:
        if ignore.read_bytes() == IGNORE_TEXT.encode():
            return
    except OSError:
        pass
    data = IGNORE_TEXT.encode()
    if not ignore.exists() and _link_unnamed(work, data):
        return
    fd = os.open(ignore, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def _link_unnamed(work: Path, data: bytes) -> bool:
    """``data`` written to an unnamed file in ``work`` and linked in as ``work/.gitignore``
    (Linux): True when done, or when another run linked its own (the same text) meanwhile.

    The link must follow /proc's magic link, so it is made with linkat(AT_SYMLINK_FOLLOW),
    which Python's ``os.link`` uses only given a directory descriptor: plain link(2) does not
    follow it and fails across devices (EXDEV), which left the one-write path below as the
    only one used, and a killed run an empty .gitignore now and then."""
    try:
        fd = os.open(work, os.O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC, 0o644)
    except (AttributeError, OSError):  # not Linux, or a file system without O_TMPFILE
        return False
    try:
        directory = os.open(work, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        os.close(fd)
        return False
    try:
        os.write(fd, data)
        os.link(f"/proc/self/fd/{fd}", IGNORE, dst_dir_fd=directory, follow_symlinks=True)
        return True
    except FileExistsError:  # another run linked its own meanwhile: the same text
        return True
    except OSError:  # no /proc: the caller writes it
        return False
    finally:
        os.close(fd)
        os.close(directory)


def _try_lock(parent: Path) -> int | None:
    """The locked descriptor of ``parent``'s lock file, or None while another run holds it.

    The last run out deletes the lock file, so a run that waited may hold a lock on a file
    that is no longer there: it checks the path still names the file it locked, else retries
    (the usual lock-file protocol, without which two runs could both "hold" the lock)."""
    work = work_folder(parent)
    try:
        work.mkdir(exist_ok=True)
        _ensure_ignored(work)  # before the first staged file: a killed run's leftovers stay ignored
        fd = os.open(work / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except FileNotFoundError:  # the holder removed the folder between our steps: try again
        return None
    except OSError as exc:
        raise fail("E-OUTPUT", f"cannot write in {parent}/ ({exc.strerror}): choose another output folder")
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            return None
        raise fail("E-OUTPUT", f"cannot lock {work / LOCK} ({exc.strerror})")
    try:
        same = os.stat(work / LOCK).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        same = False
    if not same:
        os.close(fd)
        return None
    _ensure_ignored(work)  # under the lock now: the holder before us may have removed it
    return fd


def _release(parent: Path, fd: int) -> None:
    """Unlock; the folder goes too when nothing but the lock and .gitignore is left in it."""
    work = work_folder(parent)
    try:
        if sorted(os.listdir(work)) == sorted([IGNORE, LOCK]):
            os.unlink(work / LOCK)
            os.unlink(work / IGNORE)
            os.rmdir(work)
    except OSError:
        pass  # a leftover folder is removed by the next run
    finally:
        os.close(fd)  # closing releases the flock


@contextmanager
def locked(parents: Iterable[Path]) -> Iterator[list[Path]]:
    """Hold the output lock of every folder in ``parents`` (which must exist), taken in one
    order by every run so two runs never wait on each other; yields their work folders."""
    ordered = sorted({Path(os.path.realpath(p)) for p in parents})
    deadline = time.monotonic() + _timeout()
    held: list[tuple[Path, int]] = []
    try:
        for parent in ordered:
            delay = 0.005
            while (fd := _try_lock(parent)) is None:
                if time.monotonic() >= deadline:
                    raise fail("E-OUTPUT-BUSY", f"another composek8s run is writing into {parent}/ "
                               f"(it holds {work_folder(parent) / LOCK}); waited {_timeout():g} s "
                               "(COMPOSEK8S_LOCK_TIMEOUT): run again when it has finished")
                time.sleep(delay)
                delay = min(delay * 2, 0.1)
            held.append((parent, fd))
        yield [work_folder(parent) for parent in ordered]
    finally:
        for parent, fd in reversed(held):
            _release(parent, fd)
