"""Paths named by a compose file must stay inside the project directory."""
from __future__ import annotations

from pathlib import Path

from ..diagnostics import Position, fail


def inside_project(directory: Path, text: str, where: Position, what: str,
                   base: Path | None = None) -> Path:
    """``text`` resolved against ``base`` (default: the project directory); an error when it
    leaves the project directory.

    Symlinks are resolved first, so a link pointing outside the project is caught too.
    """
    root = directory.resolve()
    path = ((base or directory) / Path(text).expanduser()).resolve()
    if path != root and root not in path.parents:
        raise fail("E-PATH-ESCAPE", f"{what} points outside the project directory {root.name}/",
                   where)
    return path
