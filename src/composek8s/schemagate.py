"""A fast "valid" before jsonschema: jsonschema-rs (compiled) judges the common case, a
valid document; only a document it does not accept goes through jsonschema, whose errors
(path, validator, ``context``) our messages are made of. So no message depends on
jsonschema-rs, and a valid project never imports jsonschema (about 45 ms to import and
build the compose schema's validator; jsonschema-rs takes about 15).

Where the two could judge differently, jsonschema decides: data that is not plain JSON (a
Decimal, NaN, an integer key, an integer past 64 bits), and text the schemas' patterns read
apart (jsonschema-rs follows ECMAScript: its ``.`` does not match ``\\r``, U+2028 or U+2029,
and its ``$`` does not match before a final newline; under ``patternProperties`` or
``oneOf`` that makes it more lenient, not less). Formats are not asserted, as jsonschema
asserts none without a format checker. ``tests/test_compose_schema.py`` compares the two.
"""
from __future__ import annotations

import math
import re

# Where Python's re and ECMAScript regexes read the schemas' patterns apart.
_REGEX_APART = re.compile("[\r\u2028\u2029]|\n\\Z")


def fast_validator(schema: dict):
    """jsonschema-rs for ``schema`` (its ``$schema`` draft), formats not asserted."""
    import jsonschema_rs

    return jsonschema_rs.validator_for(schema, validate_formats=False)


def certainly_valid(validator, data: object) -> bool:
    """True when ``data`` is valid; False means only that jsonschema must look."""
    return _plain_json(data) and validator.is_valid(data)


def _plain_json(value: object) -> bool:
    """Whether ``value`` holds only JSON (string keys, 64-bit integers, finite numbers) and
    no text the two regex dialects read apart."""
    kind = type(value)
    if kind is dict:
        return all(type(k) is str and not _REGEX_APART.search(k) and _plain_json(v)  # type: ignore[arg-type]
                   for k, v in value.items())  # type: ignore[union-attr]
    if kind is list:
        return all(_plain_json(v) for v in value)  # type: ignore[union-attr]
    if kind is str:
        return not _REGEX_APART.search(value)  # type: ignore[arg-type]
    if kind is int:
        return -2**63 <= value < 2**63  # type: ignore[operator]
    if kind is float:
        return math.isfinite(value)  # type: ignore[arg-type]
    return kind is bool or value is None
