"""The helm stage: the same Plan rendered as a Helm chart (see docs/architecture.md)."""
from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

__all__ = ["render_chart", "write_chart", "package_chart", "chart_name"]


def __getattr__(name: str):
    """The renderer, imported on first use: ``helm.versioning`` alone stays light."""
    if name in ("render_chart", "chart_name"):
        from . import chart

        return getattr(chart, name)
    raise AttributeError(name)


def write_chart(files: dict[str, str], directory: Path) -> None:
    """Replace the chart folder ``directory`` with ``files``, atomically."""
    from ..synth.output import write_tree

    write_tree(directory, files, marker="Chart.yaml")


def package_chart(files: dict[str, str], name: str, version: str, out_dir: Path) -> Path:
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
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{name}-{version}.tgz"
    compressed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=compressed, mtime=0) as gz:
        gz.write(buffer.getvalue())
    tmp = target.with_suffix(".tgz.tmp")
    tmp.write_bytes(compressed.getvalue())
    tmp.replace(target)
    return target

