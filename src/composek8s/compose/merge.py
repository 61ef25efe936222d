"""Compose's merge rules, shared by ``-f`` files and ``extends`` (Docker Compose uses one set
for both), carrying each value's position (``located.Where``) to where the value lands.

Mappings merge key by key; sequences append what the base does not already hold, except a few
that the later value replaces (``command``, ``entrypoint``, a healthcheck's ``test``…); a
service's ``volumes`` merge by container path; ``environment`` and ``depends_on`` written as a
list in one file and a mapping in the other merge as mappings. ``!reset`` removes, ``!override``
replaces.
"""
from __future__ import annotations

from .located import Where
from .yamlsrc import Override, Reset

# Sequences that a later value replaces rather than extends (Compose merge rules).
_REPLACED = {"command", "entrypoint", "test", "dns", "dns_search"}


def merge(base: object, over: object, path: tuple, bw: Where, ow: Where) -> tuple[object, Where]:
    """``over`` (a later file, or the extending service) merged onto ``base``, with positions."""
    if isinstance(over, Reset):
        return None, ow
    if isinstance(over, Override):
        return strip(over.value), ow
    if len(path) == 3 and path[0] == "services" and path[2] in _LONG_FORM \
            and isinstance(base, (str, list, dict)) and isinstance(over, (str, list, dict)) \
            and (type(base) is not type(over) or isinstance(base, str)):
        # One file wrote the short form, the other the long one: Compose merges the long forms.
        base, bw = _LONG_FORM[path[2]](base, bw)
        over, ow = _LONG_FORM[path[2]](over, ow)
    if isinstance(base, dict) and isinstance(over, dict):
        result, items = dict(base), dict(bw.items)
        for key, value in over.items():
            if isinstance(value, Reset):
                result.pop(key, None)
                items.pop(key, None)
            elif key in result:
                result[key], items[key] = merge(result[key], value, path + (key,), bw.item(key),
                                                ow.item(key))
            else:
                result[key], items[key] = strip(value), ow.item(key)
        return result, Where(ow.at or bw.at, items)
    if isinstance(base, list) and isinstance(over, list):
        over = [strip(v) for v in over]
        if len(path) == 3 and path[0] == "services" and path[2] == "volumes":
            return _merge_mounts(base, bw, over, ow)
        if not path or path[-1] not in _REPLACED:
            return _append_new(base, bw, over, ow)
    return strip(over), ow


def _append_new(base: list, bw: Where, over: list, ow: Where) -> tuple[list, Where]:
    """The base's items, then the later items the base does not hold (compared by value)."""
    seen = {_hashable(v) for v in base}
    result, items = list(base), {i: bw.item(i) for i in range(len(base))}
    for j, value in enumerate(over):
        if _hashable(value) not in seen:
            items[len(result)] = ow.item(j)
            result.append(value)
    return result, Where(ow.at or bw.at, items)


def _hashable(value: object) -> object:
    """A value as a hashable key with the same equality (so long lists merge in linear time)."""
    if isinstance(value, dict):
        return ("map", frozenset((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("seq", tuple(_hashable(v) for v in value))
    return value


def _env_mapping(value: object, where: Where) -> tuple[object, Where]:
    if not isinstance(value, list):
        return value, where
    from .interpolate import Template
    from .normalize import _split_template

    result: dict = {}
    items: dict = {}
    for i, item in enumerate(value):
        if isinstance(item, Template):
            key, rest = _split_template(item)
            result[key] = rest
        else:
            key, equals, rest = str(item).partition("=")
            result[key] = rest if equals else None
        items[key] = Where(where.item(i).at)
    return result, Where(where.at, items)


def _depends_mapping(value: object, where: Where) -> tuple[object, Where]:
    if not isinstance(value, list):
        return value, where
    result, items = {}, {}
    for i, name in enumerate(value):
        at = where.item(i).at
        result[str(name)] = {"condition": "service_started"}
        items[str(name)] = Where(at, {"condition": Where(at)})
    return result, Where(where.at, items)


def _build_mapping(value: object, where: Where) -> tuple[object, Where]:
    if isinstance(value, str):
        return {"context": value}, Where(where.at, {"context": Where(where.at)})
    return value, where


def _sequence(value: object, where: Where) -> tuple[object, Where]:
    if isinstance(value, str):
        return [value], Where(where.at, {0: Where(where.at)})
    return value, where


# Service keys written in two forms: when the two sides disagree, both are brought to the
# long form first (a string becomes a list, a list of NAME=value a mapping), as Compose does.
_LONG_FORM = {"environment": _env_mapping, "labels": _env_mapping, "annotations": _env_mapping,
              "sysctls": _env_mapping, "depends_on": _depends_mapping, "build": _build_mapping,
              "env_file": _sequence, "label_file": _sequence, "tmpfs": _sequence, "dns": _sequence,
              "dns_search": _sequence}


def mount_target(item: object) -> object:
    """The container path of a volume entry (short or long syntax), its merge key in Compose."""
    if isinstance(item, dict):
        return item.get("target")
    if isinstance(item, str):
        parts = item.split(":")
        return parts[1] if len(parts) > 1 else parts[0]
    return None


def _merge_mounts(base: list, bw: Where, over: list, ow: Where) -> tuple[list, Where]:
    """Service volumes are merged by target: a later mount at a path replaces the earlier one in
    place; mounts at new paths are appended (as Compose orders them)."""
    later = {mount_target(v): (v, ow.item(j)) for j, v in enumerate(over) if mount_target(v) is not None}
    result: list = []
    items: dict = {}
    for i, value in enumerate(base):
        target = mount_target(value)
        value, where = later.pop(target) if target is not None and target in later else (value, bw.item(i))
        items[len(result)] = where
        result.append(value)
    for j, value in enumerate(over):
        if mount_target(value) is None or mount_target(value) in later:
            items[len(result)] = ow.item(j)
            result.append(value)
    return result, Where(ow.at or bw.at, items)


def strip(value: object) -> object:
    """Remove merge tags once merging is done (a single file's ``!reset`` means empty)."""
    if isinstance(value, Reset):
        return None
    if isinstance(value, Override):
        return strip(value.value)
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items() if not isinstance(v, Reset)}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value
