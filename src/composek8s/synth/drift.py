"""Compare generated output with what is on disk: the drift check of ``synth --check``."""
from __future__ import annotations

import difflib
from pathlib import Path


def tree_diff(directory: Path, files: dict[str, str]) -> str:
    """A unified diff from ``directory`` as it is to ``files`` as they should be ('' if equal)."""
    on_disk: dict[str, str] = {}
    if directory.is_dir():
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                try:
                    on_disk[path.relative_to(directory).as_posix()] = path.read_text(encoding="utf-8")
                except UnicodeDecodeError:
                    on_disk[path.relative_to(directory).as_posix()] = "<binary file>\n"
    chunks = []
    for rel in sorted(set(on_disk) | set(files)):
        old, new = on_disk.get(rel), files.get(rel)
        if old == new:
            continue
        chunks += difflib.unified_diff(
            (old or "").splitlines(keepends=True), (new or "").splitlines(keepends=True),
            fromfile=f"{directory}/{rel}" if old is not None else "/dev/null",
            tofile=f"{directory}/{rel} (generated)" if new is not None else "/dev/null")
        if chunks and not chunks[-1].endswith("\n"):
            chunks[-1] += "\n"
    return "".join(chunks)
