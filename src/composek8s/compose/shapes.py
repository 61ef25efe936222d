"""Compose's type casts: text where a number or a boolean is expected, read as one.

Interpolation only makes strings, so Compose converts the text at the keys below into the
type they hold (``replicas: ${N}`` with N=3 is the number 3, ``privileged: "false"`` is
false) before it validates a file against the schema, and refuses text that does not
convert (``replicas: three``). We do the same, so the schema and everything after it see
the types Compose sees. Values that are not text are left for the schema to judge.

The list of keys is Compose's (compose-go's loader); a ``*`` is any name, ``[]`` any item.
"""
from __future__ import annotations

import re
from typing import Callable

from .interpolate import Template
from .yamlsrc import Override, Reset

_INT = re.compile(r"^[-+]?[0-9]+$")  # Go's strconv.Atoi: a sign and digits, nothing else
_FLOAT = re.compile(r"^[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$|^[-+]?(?:inf|infinity|nan)$",
                    re.IGNORECASE)
_MODE = re.compile(r"^[0-7]+$")
_TRUE, _FALSE = {"true"}, {"false"}
_YAML11_TRUE, _YAML11_FALSE = {"y", "yes", "on"}, {"n", "no", "off"}


class CastError(ValueError):
    """Text that does not convert; ``what`` names the type it should have been."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


def _to_int(text: str) -> int:
    if not _INT.match(text):
        raise CastError("a whole number")
    return int(text)


def _to_mode(text: str) -> int:
    # A file mode in text is octal (compose-go parses it base 8): "0600" is 0600, not 600.
    if not _MODE.match(text):
        raise CastError("an octal file mode")
    return int(text, 8)


def _to_float(text: str) -> float:
    if not _FLOAT.match(text):
        raise CastError("a number")
    return float(text)


def _to_bool(text: str) -> bool:
    word = text.lower()
    if word in _TRUE | _YAML11_TRUE:
        return True
    if word in _FALSE | _YAML11_FALSE:
        return False
    raise CastError("true or false")


_SERVICE_CASTS = {
    "configs.[].mode": _to_mode, "secrets.[].mode": _to_mode,
    "cpu_count": _to_int, "cpu_percent": _to_float, "cpu_period": _to_int, "cpu_quota": _to_int,
    "cpu_rt_period": _to_int, "cpu_rt_runtime": _to_int, "cpus": _to_float, "cpu_shares": _to_int,
    "init": _to_bool, "scale": _to_int,
    "deploy.replicas": _to_int,
    "deploy.update_config.parallelism": _to_int, "deploy.update_config.max_failure_ratio": _to_float,
    "deploy.rollback_config.parallelism": _to_int, "deploy.rollback_config.max_failure_ratio": _to_float,
    "deploy.restart_policy.max_attempts": _to_int, "deploy.placement.max_replicas_per_node": _to_int,
    "healthcheck.retries": _to_int, "healthcheck.disable": _to_bool,
    "oom_kill_disable": _to_bool, "oom_score_adj": _to_int, "pids_limit": _to_int,
    "ports.[].target": _to_int,
    "privileged": _to_bool, "read_only": _to_bool, "stdin_open": _to_bool, "tty": _to_bool,
    "ulimits.*": _to_int, "ulimits.*.hard": _to_int, "ulimits.*.soft": _to_int,
    "volumes.[].read_only": _to_bool, "volumes.[].volume.nocopy": _to_bool,
}
_CASTS = {
    **{"services.*." + path: cast for path, cast in _SERVICE_CASTS.items()},
    **{f"{section}.*.external": _to_bool for section in ("networks", "volumes", "secrets", "configs")},
    **{f"networks.*.{key}": _to_bool for key in ("internal", "attachable", "enable_ipv6")},
}


def _trie(casts: dict[str, Callable[[str], object]]) -> dict:
    """The casts as nested dicts by path step; a cast function sits under the key ``None``."""
    root: dict = {}
    for path, cast in casts.items():
        node = root
        for step in path.split("."):
            node = node.setdefault(step, {})
        node[None] = cast
    return root


_TREE = _trie(_CASTS)


def cast_values(data: object, report: Callable[[tuple, str, str], None],
                warn: Callable[[tuple, str], None]) -> object:
    """``data`` (one interpolated file) with Compose's casts applied. Text that does not
    convert is reported as ``report(path, what it should be, what it is)`` and left as it
    was; ``yes``/``no``/``on``/``off`` convert with ``warn(path, text)``, as in Compose."""
    return _cast(data, _TREE, (), report, warn)


def _cast(value: object, node: dict, path: tuple, report, warn) -> object:
    if isinstance(value, Override):
        return Override(_cast(value.value, node, path, report, warn))
    if isinstance(value, Reset):
        return value
    cast = node.get(None)
    if cast is not None and isinstance(value, (str, Template)):
        if isinstance(value, Template):
            secrets = ", ".join(r.variable for r in value.secrets)
            report(path, _KINDS[cast], f"text with secret variables ({secrets}), which are never read")
            return value
        try:
            result = cast(value)
        except CastError as exc:
            report(path, exc.what, repr(value))
            return value
        if cast is _to_bool and value.lower() in _YAML11_TRUE | _YAML11_FALSE:
            warn(path, value)
        return result
    if isinstance(value, dict):
        return {k: _cast(v, node[k] if k in node else node["*"], path + (k,), report, warn)
                if (k in node or "*" in node) else v for k, v in value.items()}
    if isinstance(value, list) and "[]" in node:
        return [_cast(v, node["[]"], path + (i,), report, warn) for i, v in enumerate(value)]
    return value


_KINDS = {_to_int: "a whole number", _to_mode: "an octal file mode", _to_float: "a number",
          _to_bool: "true or false"}


def to_bool(v: object) -> bool:
    """A boolean the schema allows as text and Compose reads later (``env_file.required``)."""
    if isinstance(v, str):
        return v.strip().lower() in ("true", "1", "yes", "on")
    return bool(v)
