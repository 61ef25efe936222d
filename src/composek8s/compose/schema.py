"""Check one compose file against the Compose Specification's JSON schema, as Compose does.

When (measured with docker compose 2.40.3): every file on its own, before files are
merged, after interpolation and Compose's type casts (``shapes``). So an invalid value in a
base file is an error even when an override file replaces it, ``ports: ${P}`` is judged by
what P holds, and an override file need not repeat ``image``. A key tagged ``!reset`` is
dropped before the check (its value is never judged); ``!override`` values are checked.

The schema is the one ``check-jsonschema`` ships (not a copy), read once per process with
the validator of the draft it declares. Each schema error becomes one diagnostic at the
``FILE:LINE:COL`` of the key or value it concerns, in words: ``oneOf`` failures are reduced
to the branch the value was meant for. Values holding secret variables (``Template``) are
checked as the text they are written as.

A valid file, the common case, is recognised by jsonschema-rs (``schemagate.py``); only a
file it does not accept goes through jsonschema, whose errors the messages are made of.
"""
from __future__ import annotations

import difflib
import functools
import json
import re

from ..diagnostics import Position, Reporter
from ..schemagate import certainly_valid, fast_validator
from .interpolate import Template
from .shapes import cast_values
from .yamlsrc import Document, Override, Reset

_SCHEMA_PACKAGE = "check_jsonschema"
_SCHEMA_FILE = "builtin_schemas/vendor/compose-spec.json"


@functools.cache
def compose_schema() -> dict:
    """The Compose Specification's JSON schema, from the installed ``check-jsonschema``.

    Read through the package's resource reader without importing the package, whose
    ``__init__`` loads its whole CLI (about 150 ms)."""
    import importlib.resources
    import importlib.util

    spec = importlib.util.find_spec(_SCHEMA_PACKAGE)
    reader = spec.loader.get_resource_reader(spec.name) if spec and spec.loader else None
    root = reader.files() if reader is not None else importlib.resources.files(_SCHEMA_PACKAGE)
    return json.loads(root.joinpath(_SCHEMA_FILE).read_text(encoding="utf-8"))


@functools.cache
def _validator():
    from jsonschema import validators

    schema = compose_schema()
    draft = validators.validator_for(schema)
    # Compose does not enforce uniqueItems (`cap_add: [A, A]` is accepted), so neither do we.
    return validators.extend(draft, {"uniqueItems": None})(_flattened(schema))


@functools.cache
def _fast_validator():
    """jsonschema-rs with the same schema and rules (``uniqueItems`` dropped, as below)."""
    return fast_validator(_without_unique_items(_flattened(compose_schema())))


def _without_unique_items(schema: object) -> object:
    if isinstance(schema, dict):
        return {k: _without_unique_items(v) for k, v in schema.items()
                if not (k == "uniqueItems" and isinstance(v, bool))}
    if isinstance(schema, list):
        return [_without_unique_items(v) for v in schema]
    return schema


def known_valid(data: object) -> bool:
    """True when ``data`` (as ``validate_file`` hands it to the schema) is certainly valid;
    False means only that jsonschema must look."""
    return certainly_valid(_fast_validator(), data)


_PLAIN_PART = {"type", "description", "properties", "patternProperties"}


def _flattened(schema: dict) -> dict:
    """The schema with each definition made of ``allOf`` parts that only list properties,
    closed by ``unevaluatedProperties: false`` (``service``), written as one mapping closed by
    ``additionalProperties: false``. The same rule, checked in about half the time: jsonschema
    re-validates every part to learn which keys were evaluated. Other definitions are kept."""
    defs = dict(schema["$defs"])
    for name, definition in schema["$defs"].items():
        parts = [_resolve(p) for p in definition.get("allOf", [])]
        if definition.get("unevaluatedProperties") is not False or not parts \
                or any(set(p) - _PLAIN_PART or p.get("type", "object") != "object" for p in parts) \
                or set(definition) - _PLAIN_PART - {"allOf", "unevaluatedProperties"}:
            continue
        flat = {"type": "object", "properties": {}, "patternProperties": {}, "additionalProperties": False}
        for part in parts + [definition]:
            flat["properties"].update(part.get("properties", {}))
            flat["patternProperties"].update(part.get("patternProperties", {}))
        defs[name] = flat
    return {**schema, "$defs": defs}


def service_keys() -> frozenset[str]:
    """Every key a service may have, by the schema (its own and those of its parts)."""
    return frozenset(_known_keys(compose_schema()["$defs"]["service"]))


def top_keys() -> frozenset[str]:
    return frozenset(compose_schema()["properties"])


def validate_file(doc: Document, reporter: Reporter) -> object:
    """Check one interpolated file (``doc.data``) as Compose does; every problem is reported.

    Returns the data with Compose's type casts applied (merge tags and secret templates kept
    as they are), which is what the file contributes to the merge."""
    found: list[tuple[Position, str, str]] = []

    def cast_error(path: tuple, what: str, got: str) -> None:
        found.append((doc.at(*path), "E-COMPOSE-TYPE", f"{_name(path)}: expected {what}, got {got}"))

    def yaml11(path: tuple, text: str) -> None:
        reporter.warn("W-COMPOSE-BOOLEAN", f"{_name(path)}: {text!r} for a boolean is YAML 1.1; "
                      f"write {'true' if text.lower() in ('y', 'yes', 'on') else 'false'}", doc.at(*path))

    data = cast_values(doc.data, cast_error, yaml11)
    remap: dict[tuple, list[int]] = {}
    plain = _plain(data, (), remap)
    errors = () if known_valid(plain) else _validator().iter_errors(plain)
    for error in errors:
        for leaf in _reduce(error):
            found.extend(_describe(leaf, doc, remap))
    for position, code, message in sorted(set(found)):
        reporter.error(code, message, position)
    return data


# --- what the schema sees ------------------------------------------------------------------

def _plain(value: object, path: tuple, remap: dict[tuple, list[int]]) -> object:
    """JSON data as Compose validates it: ``!reset`` entries dropped, ``!override`` unwrapped,
    secret templates as their text. ``remap`` records list items shifted by a dropped one."""
    if isinstance(value, Override):
        return _plain(value.value, path, remap)
    if isinstance(value, Template):
        return value.render(lambda ref: "${" + ref.variable + "}")
    if isinstance(value, dict):
        return {k: _plain(v, path + (k,), remap) for k, v in value.items() if not isinstance(v, Reset)}
    if isinstance(value, list):
        kept = [i for i, v in enumerate(value) if not isinstance(v, Reset)]
        if len(kept) != len(value):
            remap[path] = kept
        return [_plain(value[i], path + (i,), remap) for i in kept]
    return value


def _source_path(path: tuple, remap: dict[tuple, list[int]]) -> tuple:
    """A path in the validated data as a path in the file (list items a ``!reset`` shifted)."""
    out: tuple = ()
    for step in path:
        if isinstance(step, int) and out in remap:
            step = remap[out][step]
        out += (step,)
    return out


# --- errors in words -----------------------------------------------------------------------

_TYPE_NAMES = {"string": "a string", "integer": "a whole number", "number": "a number",
               "boolean": "a boolean", "object": "a mapping", "array": "a list", "null": "null"}
_WEAK = ("oneOf", "anyOf")


def _misfit(error) -> bool:
    """Whether an error only says the value is not of a branch's type (so another was meant)."""
    if error.relative_path:
        return False
    if error.validator == "type":
        return True
    return error.validator in _WEAK and bool(error.context) and all(_misfit(e) for e in error.context)


def _reduce(error) -> list:
    """The errors to report for ``error``: itself, or for a ``oneOf``/``anyOf``, the errors of
    the branch whose type the value has (all of them), or the likeliest of several."""
    if error.validator not in _WEAK or not error.context:
        return [error]
    branches: dict[int, list] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    fitting = {i: subs for i, subs in branches.items() if not any(_misfit(s) for s in subs)}
    if not fitting:
        return [error]  # no branch has the value's type: described as a type error
    if len(fitting) == 1:
        return [leaf for sub in next(iter(fitting.values())) for leaf in _reduce(sub)]
    from jsonschema.exceptions import best_match

    return _reduce(best_match([s for subs in fitting.values() for s in subs]))


def _describe(error, doc: Document, remap: dict) -> list[tuple[Position, str, str]]:
    path = _source_path(tuple(error.absolute_path), remap)
    where, at = _name(path), doc.at(*path)
    value, rule = error.instance, error.validator_value
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        return [_unknown_key(path, key, error.schema, doc) for key in _extra_keys(value, error.schema)]
    if error.validator == "type" or error.validator in _WEAK and error.context:
        types = _branch_types(error.schema) if error.validator in _WEAK else _listed(rule)
        return [(at, "E-COMPOSE-TYPE", f"{where}: expected {_either(types)}, got {_show(value)}")]
    if error.validator == "required":
        missing = [key for key in rule if key not in value]
        return [(at, "E-COMPOSE-TYPE", f"{where}: needs {_either([repr(k) for k in missing], 'and')}")]
    if error.validator == "enum":
        return [(at, "E-COMPOSE-VALUE", f"{where}: expected one of {', '.join(map(repr, rule))}, "
                 f"got {_show(value)}")]
    if error.validator == "pattern":
        return [(at, "E-COMPOSE-VALUE", f"{where}: {_show(value)} does not match {rule}")]
    if error.validator in ("minimum", "maximum"):
        bound = "at least" if error.validator == "minimum" else "at most"
        return [(at, "E-COMPOSE-VALUE", f"{where}: must be {bound} {rule}, got {_show(value)}")]
    return [(at, "E-COMPOSE-VALUE", f"{where}: {error.message}")]


def _unknown_key(path: tuple, key: str, schema: dict, doc: Document) -> tuple[Position, str, str]:
    at = doc.at(*path, key)
    known = sorted(k for k in _known_keys(schema) if not k.startswith("^"))
    if not known:  # a mapping of names (services, volumes…): the name itself is wrong
        patterns = " or ".join(p for p in _patterns(schema) if p != "^x-")
        return at, "E-COMPOSE-KEY", f"{_name(path)}: {key!r} is not a valid name (it must match {patterns})"
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.8)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    if not path:
        return at, "E-COMPOSE-KEY", f"unknown top-level key {key!r}{hint}"
    return at, "E-COMPOSE-KEY", f"{_name(path)}: unknown key {key!r}{hint}"


def _resolve(schema: dict) -> dict:
    """A subschema with its local ``$ref`` followed (the compose schema has no remote ones)."""
    while isinstance(schema, dict) and "$ref" in schema and schema["$ref"].startswith("#/"):
        node: object = compose_schema()
        for part in schema["$ref"][2:].split("/"):
            node = node[part]  # type: ignore[index]
        schema = node  # type: ignore[assignment]
    return schema


def _known_keys(schema: dict) -> set[str]:
    """The property names a mapping may have under ``schema``, its ``allOf`` parts included."""
    schema = _resolve(schema)
    keys = set(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        keys |= _known_keys(part)
    return keys


def _patterns(schema: dict) -> list[str]:
    schema = _resolve(schema)
    found = list(schema.get("patternProperties", {}))
    for part in schema.get("allOf", []):
        found += _patterns(part)
    return found


def _extra_keys(instance: object, schema: dict) -> list[str]:
    if not isinstance(instance, dict):
        return []
    known, patterns = _known_keys(schema), _patterns(schema)
    return [k for k in instance if k not in known and not any(re.search(p, k) for p in patterns)]


def _branch_types(schema: dict) -> list[str]:
    """The JSON types a ``oneOf``/``anyOf`` accepts, in the schema's order."""
    found: list[str] = []
    for branch in schema.get("oneOf", []) + schema.get("anyOf", []):
        branch = _resolve(branch)
        for kind in _listed(branch["type"]) if "type" in branch else _branch_types(branch):
            if kind not in found:
                found.append(kind)
    return found


def _listed(rule: object) -> list[str]:
    return [rule] if isinstance(rule, str) else list(rule)  # type: ignore[arg-type]


def _either(items: list[str], word: str = "or") -> str:
    names = [_TYPE_NAMES.get(i, i) for i in items]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {word} {names[-1]}"


def _show(value: object) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _name(path: tuple) -> str:
    """``services.web.ports[0]``: a path as a reader finds it in the file."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the file"
