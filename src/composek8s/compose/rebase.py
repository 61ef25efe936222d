"""Relative paths of an extended or included file, rewritten against the project directory.

Compose resolves the relative paths a file names (build context, env_file, bind-mount sources,
secret and config files) against that file's own folder when the file is extended, and against
the include's project directory when it is included. The typed model keeps paths as text
relative to the one project directory, so such paths are rewritten once, when the file is read:
``./data`` in ``sub/base.yaml`` becomes ``./sub/data``. ``extends.file`` is not rewritten: it
is resolved while the file is read, against the file's own folder.
"""
from __future__ import annotations

import posixpath
from pathlib import Path

from .yamlsrc import Override


def rebase_file(data: dict, written_in: Path, root: Path) -> None:
    """Rewrite (in place) the relative paths of one compose file's ``data``, written against
    ``written_in``, to be relative to ``root``. Both are absolute, compared lexically."""
    source, target = written_in.absolute().as_posix(), root.absolute().as_posix()
    if posixpath.normpath(source) == posixpath.normpath(target):
        return

    def move(text: object) -> object:
        if not isinstance(text, str) or text.startswith(("/", "~")):
            return text  # absolute, home-relative, or a value holding secret variables
        rel = posixpath.relpath(posixpath.normpath(posixpath.join(source, text)), target)
        return rel if rel == "." or rel.startswith("../") or rel == ".." else "./" + rel

    services = data.get("services")
    for service in (services.values() if isinstance(services, dict) else []):
        if isinstance(service, dict):
            _rebase_service(service, move)
    for section in ("secrets", "configs"):
        definitions = data.get(section)
        for spec in (definitions.values() if isinstance(definitions, dict) else []):
            if isinstance(spec, dict) and "file" in spec:
                spec["file"] = move(spec["file"])


def _remote(context: str) -> bool:
    return "://" in context or context.startswith(("git@", "github.com/"))


def _rebase_service(service: dict, move) -> None:
    def build(value: object) -> object:
        if isinstance(value, str):
            return value if _remote(value) else move(value)
        if isinstance(value, dict):
            context = value.get("context", ".")  # a build without context builds the file's folder
            if isinstance(context, str) and not _remote(context):
                return {**value, "context": move(context)}
        return value

    def files(value: object) -> object:
        if isinstance(value, list):
            return [{**item, "path": move(item["path"])} if isinstance(item, dict) and "path" in item
                    else move(item) for item in value]
        return move(value)

    def volumes(value: object) -> object:
        return [_rebase_mount(item, move) for item in value] if isinstance(value, list) else value

    for key, rewrite in (("build", build), ("env_file", files), ("label_file", files),
                         ("volumes", volumes)):
        if key in service:
            value = service[key]
            service[key] = Override(rewrite(value.value)) if isinstance(value, Override) else rewrite(value)


def _rebase_mount(item: object, move) -> object:
    if isinstance(item, str):
        source, colon, rest = item.partition(":")
        return move(source) + colon + rest if colon and source.startswith(".") else item
    if isinstance(item, dict) and item.get("type") == "bind" and isinstance(item.get("source"), str):
        return {**item, "source": move(item["source"])}
    return item
