"""Strict schema validation of Kubernetes objects, per Kubernetes version.

The schemas are the ones kubernetes-validate bundles (its `*-local-strict`
directories: every object schema has `additionalProperties: false`, so unknown
fields are errors). kubernetes-validate's own `validate()` re-reads the 1.8 MB
`_definitions.json` and builds a fresh validator for every document, and stops
at the first error; here each version's definitions are loaded once, each
(version, apiVersion, kind) gets one validator, and every error is reported.

jsonschema and kubernetes_validate are imported inside functions so that
importing this module stays cheap (the check CLI imports it on every run).
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

_SCHEMA_ROOT = "kubernetes-json-schema"
# "1.30", "v1.30" or a patch release "1.30.4" all mean the 1.30 schemas.
_VERSION_RE = re.compile(r"^v?(\d+)\.(\d+)(?:\.\d+)?$")
# Guards the file name built from user data: no path separators, no dots.
_KIND_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
_API_VERSION_RE = re.compile(r"^(?:[a-z0-9]([a-z0-9.-]*[a-z0-9])?/)?v[a-z0-9]+$")
# Path segments printed bare (`.name`); anything else is bracketed (`["a.b/c"]`).
_BARE_KEY_RE = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$-]*$")

PathPart = str | int


def supported_versions() -> list[str]:
    """Kubernetes minor versions with bundled schemas, oldest first ("1.25", ...)."""
    return list(_bundled_versions())


def validate_object(obj: dict[str, Any], kube_version: str) -> list[str]:
    """Every schema error in `obj` for `kube_version`, as sorted `path: message` lines.

    An empty list means the object is valid. An apiVersion/kind with no schema in
    that version is reported as one error; an unsupported `kube_version` raises
    ValueError.
    """
    version = _canonical_version(kube_version)
    if not isinstance(obj, dict):
        return [f"<root>: expected a Kubernetes object (a mapping), got {type(obj).__name__}"]
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    missing = [
        f"{field}: required field missing"
        for field, value in (("apiVersion", api_version), ("kind", kind))
        if not isinstance(value, str) or not value
    ]
    if missing:
        return missing
    validator = _validator(version, api_version, kind)
    if validator is None:
        return [f"kind: unknown apiVersion/kind {api_version} {kind} for Kubernetes {version}"]
    problems = {p for error in validator.iter_errors(obj) for p in _describe(error)}
    return [message for _, message in sorted(problems)]


# --- versions -----------------------------------------------------------------


@functools.cache
def _bundled_versions() -> dict[str, str]:
    """Minor version -> bundled full version ("1.30" -> "1.30.0"), oldest first."""
    from kubernetes_validate.utils import all_versions

    # all_versions() lists each version twice (plain and -strict directories),
    # already sorted numerically; keep the last (newest patch) per minor.
    minors: dict[str, str] = {}
    for full in all_versions():
        minors[".".join(full.split(".")[:2])] = full
    return minors


def _canonical_version(kube_version: str) -> str:
    match = _VERSION_RE.match(kube_version.strip()) if isinstance(kube_version, str) else None
    minor = f"{match.group(1)}.{match.group(2)}" if match else None
    if minor not in _bundled_versions():
        supported = ", ".join(supported_versions())
        raise ValueError(f"unsupported Kubernetes version {kube_version!r}; supported: {supported}")
    return minor


# --- schemas and validators ---------------------------------------------------


@functools.lru_cache(maxsize=None)
def _validator(version: str, api_version: str, kind: str) -> Any | None:
    """The cached validator for one (version, apiVersion, kind); None when unknown."""
    return _build_validator(version, api_version, kind)


def _build_validator(version: str, api_version: str, kind: str) -> Any | None:
    """A Draft 2020-12 validator for one kind, or None when the version has no such kind."""
    from jsonschema import Draft202012Validator

    schema = _kind_schema(version, api_version, kind)
    if schema is None:
        return None
    # The kind's schema is the validator's root; its `$ref`s point at
    # /api/_definitions.json, resolved against the root's `$id` through the registry.
    return Draft202012Validator(schema, registry=_registry(version))


def _kind_schema(version: str, api_version: str, kind: str) -> dict[str, Any] | None:
    if not (_KIND_RE.match(kind) and _API_VERSION_RE.match(api_version)):
        return None
    try:
        schema = _load(version, _schema_filename(api_version, kind))
    except FileNotFoundError:
        return None
    # The file name drops everything after the group's first dot, so a CRD
    # `apps.example.com/v1 Deployment` or the bare type `v1 Affinity` would find a
    # file; only a schema that declares this exact group/version/kind counts.
    group, _, group_version = api_version.rpartition("/")
    declared = schema.get("x-kubernetes-group-version-kind") or []
    if {"group": group, "version": group_version, "kind": kind} not in declared:
        return None
    return schema


def _schema_filename(api_version: str, kind: str) -> str:
    # kubernetes-validate's naming: rbac.authorization.k8s.io/v1 Role -> role-rbac-v1.json
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    return f"{kind.lower()}-{group_version}.json"


@functools.lru_cache(maxsize=None)
def _registry(version: str) -> Any:
    """The shared `$ref` registry for one version: its parsed `_definitions.json`."""
    from referencing import Registry, Resource

    definitions = Resource.from_contents(_load(version, "_definitions.json"))
    return definitions @ Registry()


def _load(version: str, filename: str) -> dict[str, Any]:
    from kubernetes_validate.utils import schema_contents

    full = _bundled_versions()[version]
    return schema_contents(f"{_SCHEMA_ROOT}/v{full}-local-strict/{filename}", version)


# --- error messages -----------------------------------------------------------


def _describe(error: Any) -> Iterator[tuple[tuple[tuple[int, int, str], ...], str]]:
    """(sort key, "path: message") for one jsonschema error; some errors yield several."""
    path = list(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = list(error.schema.get("properties", {}))
        for key in error.instance:
            if key not in known:
                yield _line([*path, key], "unknown field" + _did_you_mean(key, known))
    elif error.validator == "required" and isinstance(error.instance, dict):
        for key in error.validator_value:
            if key not in error.instance:
                yield _line([*path, key], "required field missing")
    elif error.validator == "type":
        yield _line(path, _type_message(error.instance, error.validator_value))
    elif error.validator in ("oneOf", "anyOf") and _only_types(error.validator_value):
        # int-or-string and quantity fields: oneOf [{type: string}, {type: integer}]
        types = [t for sub in error.validator_value for t in _as_list(sub["type"])]
        yield _line(path, _type_message(error.instance, types))
    else:
        yield _line(path, error.message)


def _line(path: list[PathPart], message: str) -> tuple[tuple[tuple[int, int, str], ...], str]:
    # Sort on the path parts, not the text, so containers[2] comes before containers[10].
    key = tuple((0, p, "") if isinstance(p, int) else (1, 0, p) for p in path)
    return key, f"{format_path(path)}: {message}"


def format_path(parts: Iterable[PathPart]) -> str:
    """`spec.containers[0].env`, with odd keys bracketed: `metadata.labels["a.b/c"]`."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _BARE_KEY_RE.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out or "<root>"


def _type_message(instance: Any, types: Any) -> str:
    # The bundled schemas allow null almost everywhere ("unset"); naming it only adds noise.
    names = [t for t in _as_list(types) if t != "null"] or _as_list(types)
    return f"{_short_repr(instance)} is not of type {' or '.join(repr(t) for t in names)}"


def _only_types(subschemas: Any) -> bool:
    return isinstance(subschemas, list) and all(
        isinstance(s, dict) and set(s) == {"type"} for s in subschemas
    )


def _did_you_mean(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.7)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _short_repr(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
