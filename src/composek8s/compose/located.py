"""Positions that travel with the values they describe while files are merged.

A parsed file keeps positions in a flat table keyed by path (``yamlsrc.Document``). Merging
files (``-f``), extending services and including files move values to other paths (a list item
appended after the base's items, a base service copied under the extending service's name),
so the positions are carried in a tree that mirrors the data instead: ``Where.at`` is where a
value (or its key) was written, ``Where.items`` the same for each item or key inside it.
"""
from __future__ import annotations

from pathlib import Path

from msgspec import Struct

from ..diagnostics import Position
from .yamlsrc import Override, Reset


class Where:
    """Where a value was written, and where each of its items or keys was."""

    __slots__ = ("at", "items")

    def __init__(self, at: Position | None = None, items: dict | None = None):
        self.at = at
        self.items: dict = items if items is not None else {}

    def item(self, key: object) -> "Where":
        """The positions of one item; an empty ``Where`` when none were recorded."""
        return self.items.get(key) or NOWHERE


NOWHERE = Where()


def where_of(data: object, positions: dict, path: tuple = ()) -> Where:
    """The position tree of ``data`` from a flat table keyed by path (one file's positions)."""
    if isinstance(data, (Reset, Override)):  # a tagged value's contents share its path
        inner = where_of(data.value, positions, path)
        return Where(positions.get(path), inner.items)
    if isinstance(data, dict):
        items = {k: where_of(v, positions, path + (k,)) for k, v in data.items()}
    elif isinstance(data, list):
        items = {i: where_of(v, positions, path + (i,)) for i, v in enumerate(data)}
    else:
        items = {}
    return Where(positions.get(path), items)


def flatten(data: object, where: Where, path: tuple = (), out: dict | None = None) -> dict:
    """The flat table (path -> position) of ``data``; only paths that exist in the data."""
    out = {} if out is None else out
    if where.at is not None:
        out[path] = where.at
    if isinstance(data, dict):
        for key, value in data.items():
            flatten(value, where.item(key), path + (key,), out)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            flatten(value, where.item(i), path + (i,), out)
    return out


def count_values(data: object, limit: int) -> int:
    """How many values ``data`` holds, counting stops just past ``limit``."""
    total, stack = 0, [data]
    while stack and total <= limit:
        value = stack.pop()
        total += 1
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return total


class LoadedFile(Struct):
    """One compose file as read: interpolated data (relative paths against the project
    directory, see ``rebase``) and its positions."""

    path: Path  # resolved, to recognise the same file reached twice
    display: str  # as named in diagnostics
    data: dict
    where: Where
    directory: Path  # the folder its ``extends.file`` and ``include`` paths are written against

    def section(self, key: str) -> Where:
        """The position tree of a top-level section, created empty when the file has none."""
        if key not in self.where.items:
            self.where.items[key] = Where()
        return self.where.items[key]
