"""What the pinned-binary installers share: hash checks, the platform check, atomic writes.

Stdlib only; imported by install_helm.py and install_compose.py, which run as scripts (their
folder is on sys.path) and from the tests (pyproject puts tests/tools on the path).
"""
from __future__ import annotations

import hashlib
import os
import platform
import sys
import tempfile
from pathlib import Path


class InstallError(Exception):
    """A failure worth a one-line message and exit status 1."""


class HashMismatch(InstallError):
    """Content does not match its pinned sha256."""


def verify_sha256(data: bytes, expected: str, what: str) -> None:
    """Raise HashMismatch unless sha256(data) == expected (hex)."""
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected.lower():
        raise HashMismatch(
            f"sha256 mismatch for {what}: expected {expected}, got {actual} "
            f"({len(data)} bytes); refusing to install"
        )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_platform(what: str) -> None:
    """The pinned binaries are x86-64 Linux builds."""
    machine = platform.machine().lower()
    if not sys.platform.startswith("linux") or machine not in ("x86_64", "amd64"):
        raise InstallError(
            f"the pinned {what} binaries are x86-64 Linux only; "
            f"this is {sys.platform}/{platform.machine() or 'unknown'}"
        )


def write_atomically(dest: Path, blobs: dict[str, bytes]) -> None:
    """Write every blob to a temp file in dest first, then os.replace them all into place."""
    dest.mkdir(parents=True, exist_ok=True)
    temps: dict[str, str] = {}
    try:
        for name, data in blobs.items():
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=dest)
            temps[name] = tmp
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o755)
        for name, tmp in temps.items():
            os.replace(tmp, dest / name)
    finally:
        for tmp in temps.values():
            if os.path.exists(tmp):
                os.unlink(tmp)
