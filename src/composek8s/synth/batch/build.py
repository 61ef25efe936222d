"""Builds ``_jsii/composek8s-batch@<version>.jsii.tgz``, the tarball jsii loads into Node,
from ``package/`` (run ``python -m composek8s.synth.batch.build`` after changing a file there;
``tests/test_batch.py`` fails while the committed tarball differs from ``package/``).

The tarball is npm's layout (every file under ``package/``) with fixed owners, modes and
times, so the same sources give the same bytes. ``package/.jsii`` is the assembly's type
description, written by hand like the rest: jsii's kernel reads it without validating, and
uses only ``types`` (which methods exist, their parameters and return types).
"""
from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent
SOURCE = HERE / "package"
FILES = ("package.json", ".jsii", "index.js")


def assembly() -> tuple[str, str]:
    """(name, version) of the assembly, as ``package/.jsii`` says."""
    spec = json.loads((SOURCE / ".jsii").read_text(encoding="utf-8"))
    return spec["name"], spec["version"]


def tarball_name(name: str, version: str) -> str:
    return f"{name}@{version}.jsii.tgz"


def tarball_bytes() -> bytes:
    import gzip  # here, not at the top: synth loads the assembly's name through this module
    import io
    import tarfile

    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name in FILES:
            data = (SOURCE / name).read_bytes()
            info = tarfile.TarInfo(f"package/{name}")
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), compresslevel=9, mtime=0)


def main() -> None:
    target = HERE / "_jsii" / tarball_name(*assembly())
    for old in target.parent.glob("*.tgz"):
        old.unlink()
    target.write_bytes(tarball_bytes())
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
