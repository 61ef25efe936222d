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


def pip_download(requirement: str, kind: str, sha256: str, tmpdir: Path) -> bytes:
    """The one distribution ``requirement`` names, through pip (so the configured index is
    used), checked against its pinned sha256. ``kind`` is "wheel" or "sdist"."""
    import subprocess

    form = "--only-binary=:all:" if kind == "wheel" else "--no-binary=:all:"
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", form, "--disable-pip-version-check",
           requirement, "-d", str(tmpdir)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise InstallError(f"pip download of {requirement} failed (exit {proc.returncode})")
    found = sorted(tmpdir.glob("*.whl" if kind == "wheel" else "*.tar.gz"))
    if len(found) != 1:
        raise InstallError(f"expected one {kind} from pip download, found {[f.name for f in found]}")
    data = found[0].read_bytes()
    verify_sha256(data, sha256, f"{kind} {found[0].name}")
    return data


def run_main(argv: list[str] | None, doc: str, install, default_dest: Path, name: str) -> int:
    """The installers' command line: ``[--dest DIR]``; exit 1 with one line on failure."""
    import argparse

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=default_dest,
                        help=f"directory for the binaries (default: {default_dest})")
    args = parser.parse_args(argv)
    try:
        install(args.dest.resolve())
    except InstallError as exc:
        print(f"{name}: error: {exc}", file=sys.stderr)
        return 1
    return 0
