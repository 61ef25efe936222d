"""The helm stage: the same Plan rendered as a Helm chart (see docs/architecture.md)."""
from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

__all__ = ["render_chart", "write_chart", "package_chart", "packaged", "package_name", "chart_name"]


def __getattr__(name: str):
    """The renderer, imported on first use: ``helm.versioning`` alone stays light."""
    if name in ("render_chart", "chart_name"):
        from . import chart

        return getattr(chart, name)
    raise AttributeError(name)


def write_chart(files: dict[str, str], directory: Path) -> None:
    """Replace the chart folder ``directory`` with ``files``, as one transaction."""
    from ..synth.transaction import write_tree

    write_tree(directory, files, marker="Chart.yaml", option="--chart-dir")


def package_name(name: str, version: str) -> str:
    return f"{name}-{version}.tgz"


def packaged(files: dict[str, str], name: str) -> bytes:
    """``<name>-<version>.tgz`` as ``helm package`` lays it out, byte-identical on every run:
    sorted entries, fixed mtimes, owners and modes, and no timestamp in the gzip header."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for rel in sorted(files):
            data = files[rel].encode("utf-8")
            info = tarfile.TarInfo(f"{name}/{rel}")
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    compressed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=compressed, mtime=0) as gz:
        gz.write(buffer.getvalue())
    return compressed.getvalue()


def package_chart(files: dict[str, str], name: str, version: str, out_dir: Path) -> Path:
    """The packaged chart written into ``out_dir``, as one transaction."""
    from ..synth.transaction import output_transaction

    target = out_dir / package_name(name, version)
    with output_transaction([target]) as transaction:
        transaction.file(target, packaged(files, name))
        transaction.commit()
    return target
