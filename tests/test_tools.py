"""The helm installer's hash check refuses tampered content (unit test; no network)."""
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
