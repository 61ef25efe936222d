"""The shape of compose values: which type each key takes, checked before anything reads it.

A value of the wrong type (``ports`` written as a mapping, ``image`` as a list,
``deploy.replicas: three``) is reported once, where it was written, as
``E-COMPOSE-TYPE``; the key is then left out so that normalising the rest never trips on
it (the load fails anyway). Values that interpolation turned into strings (``replicas:
${N}``) are accepted where a number is expected when their text is one, as in Compose.

This is the part of the Compose Specification's schema the compiler reads; keys it does
not read are accounted for elsewhere (``plan.keys``), and ``x-k8s`` by ``plan.xk8s``.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Callable

from .interpolate import Template

_INT_TEXT = re.compile(r"^\s*[-+]?\d+\s*$")
_NUMBER_TEXT = re.compile(r"^\s*[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?\s*$")


@dataclass(frozen=True)
class Shape:
    """What a value must be: ``what`` says it in messages, ``ok`` tests it.

    ``items`` is the shape of every item when the value is a list, ``values`` of every value
    when it is a mapping, ``keys`` of the named keys of a mapping (others are not checked
    here), and ``required`` the keys a mapping must have.
    """

    what: str
    ok: Callable[[object], bool]
    items: "Shape | None" = None
    values: "Shape | None" = None
    keys: dict[str, "Shape"] = field(default_factory=dict)
    required: tuple[str, ...] = ()


def _is_int(v: object) -> bool:
    return (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, str) and bool(_INT_TEXT.match(v)))


def _is_number(v: object) -> bool:
    """A finite number ≥ 0 (CPUs, sizes, durations), or text that is one."""
    if isinstance(v, str) and _NUMBER_TEXT.match(v):
        v = float(v)
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= 0


def to_bool(v: object) -> bool:
    """A boolean, also from interpolated text (``${DEBUG}`` → ``"false"``)."""
    if isinstance(v, str):
        return v.strip().lower() in ("true", "1", "yes", "on")
    return bool(v)


TEXT = Shape("a string", lambda v: isinstance(v, (str, Template)))
SCALAR = Shape("a string, number or boolean",
               lambda v: isinstance(v, (str, int, float, bool, Template)))
OPTIONAL_SCALAR = Shape("a string, number, boolean or null",
                        lambda v: v is None or isinstance(v, (str, int, float, bool, Template)))
INT = Shape("a whole number", _is_int)
COUNT = Shape("a whole number ≥ 0", lambda v: _is_int(v) and int(v) >= 0)
NUMBER = Shape("a number ≥ 0", _is_number)
BOOL = Shape("true or false", lambda v: isinstance(v, bool) or (
    isinstance(v, str) and v.strip().lower() in ("true", "false", "1", "0", "yes", "no", "on", "off")))
TEXT_OR_NUMBER = Shape("a string or a number ≥ 0", lambda v: isinstance(v, (str, Template)) or _is_number(v))
TEXT_LIST = Shape("a list of strings", lambda v: isinstance(v, list), items=TEXT)
MAPPING = Shape("a mapping", lambda v: isinstance(v, dict))
OPTIONAL_MAPPING = Shape("a mapping or null", lambda v: v is None or isinstance(v, dict))
DURATION = TEXT_OR_NUMBER
SIZE = TEXT_OR_NUMBER


def _list_or(what: str, items: Shape, *, text: bool = False, values: Shape | None = None) -> Shape:
    """A list of ``items``; also a single string when ``text``, a mapping of ``values`` when given."""
    kinds = (list, dict) if values is not None else (list,)
    return Shape(what, lambda v: isinstance(v, kinds) or (text and isinstance(v, (str, Template))),
                 items=items, values=values)


def _record(keys: dict[str, Shape], required: tuple[str, ...] = ()) -> Shape:
    return Shape("a mapping", lambda v: isinstance(v, dict), keys=keys, required=required)


def _text_or_record(keys: dict[str, Shape], required: tuple[str, ...] = (), *, number: bool = False) -> Shape:
    what = "a string, a number or a mapping" if number else "a string or a mapping"
    return Shape(what, lambda v: isinstance(v, (str, Template, dict)) or (number and _is_int(v)),
                 keys=keys, required=required)


_RESOURCES = _record({"cpus": NUMBER, "memory": SIZE, "pids": INT})
_HEALTHCHECK = _record({
    "test": _list_or("a string or a list", SCALAR, text=True),
    "interval": DURATION, "timeout": DURATION, "start_period": DURATION, "start_interval": DURATION,
    "retries": COUNT, "disable": BOOL,
})

SERVICE: dict[str, Shape] = {
    "image": TEXT,
    "build": _text_or_record({"context": TEXT, "dockerfile": TEXT, "target": TEXT}),
    "command": _list_or("a string or a list", SCALAR, text=True),
    "entrypoint": _list_or("a string or a list", SCALAR, text=True),
    "user": Shape("a string", lambda v: isinstance(v, (str, Template)) or _is_int(v)),
    "cap_add": TEXT_LIST,
    "cap_drop": TEXT_LIST,
    "security_opt": TEXT_LIST,
    "privileged": BOOL,
    "read_only": BOOL,
    "network_mode": TEXT,
    "pid": TEXT,
    "ipc": TEXT,
    "devices": _list_or("a list", _text_or_record({"source": TEXT, "target": TEXT}, ("source",))),
    "sysctls": _list_or("a list or a mapping", TEXT, values=SCALAR),
    "restart": TEXT,
    "working_dir": TEXT,
    "profiles": TEXT_LIST,
    "stop_grace_period": DURATION,
    "environment": _list_or("a list or a mapping", TEXT, values=OPTIONAL_SCALAR),
    "env_file": _list_or("a string or a list", _text_or_record({"path": TEXT, "required": BOOL}, ("path",)),
                         text=True),
    "ports": _list_or("a list", _text_or_record(
        {"target": INT, "published": TEXT_OR_NUMBER, "protocol": TEXT, "name": TEXT, "host_ip": TEXT,
         "mode": TEXT, "app_protocol": TEXT}, ("target",), number=True)),
    "expose": _list_or("a list", TEXT_OR_NUMBER),
    "volumes": _list_or("a list", _text_or_record(
        {"type": TEXT, "source": TEXT, "target": TEXT, "read_only": BOOL,
         "tmpfs": _record({"size": SIZE, "mode": INT})}, ("target",))),
    "tmpfs": _list_or("a string or a list", TEXT, text=True),
    "healthcheck": _HEALTHCHECK,
    "depends_on": _list_or("a list or a mapping", TEXT, values=Shape(
        "a mapping or null", lambda v: v is None or isinstance(v, dict),
        keys={"condition": TEXT, "restart": BOOL, "required": BOOL})),
    "networks": _list_or("a list or a mapping", TEXT, values=OPTIONAL_MAPPING),
    "secrets": _list_or("a list", _text_or_record({"source": TEXT, "target": TEXT}, ("source",))),
    "configs": _list_or("a list", _text_or_record({"source": TEXT, "target": TEXT}, ("source",))),
    "deploy": _record({"replicas": COUNT, "resources": _record({"limits": _RESOURCES,
                                                                "reservations": _RESOURCES})}),
    "scale": COUNT,
    "cpus": NUMBER,
    "mem_limit": SIZE,
    "mem_reservation": SIZE,
}

# Top-level sections: each a mapping of names to a mapping (or nothing).
_DEFINITION = Shape("a mapping or null", lambda v: v is None or isinstance(v, dict),
                    keys={"file": TEXT, "name": TEXT, "external": Shape(
                        "true, false or a mapping", lambda v: isinstance(v, (bool, dict, str)))})
TOP: dict[str, Shape] = {  # `name` is checked where the project name is made (load.py)
    "services": MAPPING,  # each service's own shape is checked with its name in the message
    **{key: Shape("a mapping", lambda v: isinstance(v, dict), values=_DEFINITION)
       for key in ("volumes", "networks", "secrets", "configs")},
}


def _show(value: object) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Template):
        return "a string with secret variables"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _name(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def check(value: object, shape: Shape, path: tuple, report: Callable[[tuple, str], None]) -> bool:
    """Whether ``value`` has ``shape``; every mismatch is reported as ``report(path, message)``."""
    if not shape.ok(value):
        report(path, f"{_name(path)!r} must be {shape.what}, not {_show(value)}")
        return False
    good = True
    if isinstance(value, list) and shape.items is not None:
        for i, item in enumerate(value):
            good = check(item, shape.items, path + (i,), report) and good
    if isinstance(value, dict):
        for key in shape.required:
            if value.get(key) is None:
                report(path, f"{_name(path)!r} needs {key!r}")
                good = False
        for key, item in value.items():
            if key in shape.keys:
                if item is not None:  # a key written without a value is unset
                    good = check(item, shape.keys[key], path + (key,), report) and good
            elif shape.values is not None:
                good = check(item, shape.values, path + (key,), report) and good
    return good


def check_mapping(data: dict, shapes: dict[str, Shape], report: Callable[[tuple, str], None],
                  prefix: tuple = ()) -> dict:
    """``data`` without the keys whose values do not have their shape (each one reported)."""
    return {key: value for key, value in data.items()
            if value is None or key not in shapes or check(value, shapes[key], prefix + (key,), report)}
