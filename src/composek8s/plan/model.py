"""The Plan: every Kubernetes decision, made once, rendered by synth and by helm.

A ``Resource`` is one Kubernetes object as plain data, where what the Helm chart makes
configurable or release-aware is a marker:

- ``Value(key, default)``: a field exposed as ``key`` in values.yaml;
- ``Name(base)``, ``Instance(project)``, ``Namespace(ns)``: object names, the instance label
  and the namespace, which follow the Helm release;
- ``Image``, ``Concat``, ``When``, ``Each``/``Item``: an image reference, a string made of
  parts, a choice on a boolean value, a list made from a values list.

The plain rendering (``resolve_values``) writes each marker's default, which is what
``dist/`` holds; the chart renders each as a template expression. So with default values
``helm template`` equals ``dist/`` by construction.
"""
from __future__ import annotations

import functools
import json
import re

from msgspec import Struct, field

from ..diagnostics import Diagnostic, Position


class Value(Struct, frozen=True):
    """A field the chart exposes as ``key`` in values.yaml; ``default`` is what dist/ holds.

    With ``omit_empty`` the field is left out while its value is empty (nodeSelector…).
    """

    key: str
    default: object
    omit_empty: bool = False


class Name(Struct, frozen=True):
    """The name of an object of this project: ``base`` in dist/, release-prefixed in a chart
    installed under another release name (so it installs twice in one namespace)."""

    base: str
    override: str | None = None  # a values key whose value, when set, is the whole name


class Instance(Struct, frozen=True):
    """The ``app.kubernetes.io/instance`` label: the project, or the Helm release."""

    project: str


class Namespace(Struct, frozen=True):
    """``metadata.namespace``: the project's namespace, or the release's."""

    name: str


class Image(Struct, frozen=True):
    """An image reference exposed as ``key.repository`` and ``key.tag`` (plus the global
    registry in a chart)."""

    key: str
    repository: str
    tag: str


class Concat(Struct, frozen=True):
    """A string joined from literal text and markers (a URL naming another service)."""

    parts: tuple


class When(Struct, frozen=True):
    """``then`` when the boolean value ``key`` is true (a number: not 0), else ``otherwise``
    (``OMIT`` drops the field or list item)."""

    key: str
    default: bool
    then: object
    otherwise: object


class Each(Struct, frozen=True):
    """A list with one ``item`` per element of the values list ``key`` (``Item`` marks
    where the element goes)."""

    key: str
    default: tuple
    item: object


RUN_ONCE_BASE = 54  # characters of a RunOnceName's base: with "-" and 8 hex digits, a 63-character label


class RunOnceName(Struct, eq=False):
    """The name of a Job others wait for: ``base-<hash>``. A Job's pod template cannot change
    in place, so the hash covers what shapes it (``content``: its compose-derived spec, and
    the values ``keys`` it reads): a changed image or value makes a new Job, which the
    dependents wait for, instead of a failed update (``helm upgrade``, ``kubectl apply``).

    ``defaults`` (the keys' default values) are filled in once the whole plan is known. The
    name is its pods' ``job-name`` label, so ``base`` has at most ``RUN_ONCE_BASE`` characters.
    """

    base: str
    keys: tuple[str, ...]
    content: str = ""
    defaults: list = field(default_factory=list)

    def resolved(self, values: dict | None) -> str:
        import hashlib

        current = [value_of(values, k, d) for k, d in zip(self.keys, self.defaults)]
        digest = hashlib.sha256((self.content + go_json(current)).encode()).hexdigest()
        return f"{self.base}-{digest[:8]}"


def go_json(data: object) -> str:
    """JSON as Helm's ``toJson`` writes it (Go's encoding/json): sorted keys, no spaces,
    ``<>&`` escaped, whole floats as integers (values files are read as float64)."""
    import json

    def plain(v: object) -> object:
        if isinstance(v, float) and v.is_integer():
            return int(v)
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        return v

    text = json.dumps(plain(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text


class Item(Struct, frozen=True):
    """The current element inside an ``Each`` item."""


OMIT = object()  # a When branch that produces nothing


class Resource(Struct, dict=True):
    manifest: dict  # apiVersion, kind, metadata (name, namespace, labels…), then the body
    service: str | None = None  # the compose service it comes from, if any
    origin: Position | None = None
    condition: str | None = None  # a boolean value that must be true for a chart to render it
    chart: bool = True  # False: dist/ only (the Namespace: Helm installs into an existing one)

    @property
    def kind(self) -> str:
        return self.manifest["kind"]

    @property
    def name(self) -> str:
        return resolve_values(self.manifest["metadata"]["name"])  # type: ignore[return-value]

    def plain(self) -> dict:
        """The object as ``dist/`` holds it (every marker at its default), resolved once: the
        API-server check, cdk8s, the overlays and the chart all read it. Valid once the plan is
        complete (run-once Job names are filled in by then); callers must not change it."""
        cached = self.__dict__.get("_plain")
        if cached is None:
            cached = self.__dict__["_plain"] = resolve_values(self.manifest)
        return cached

    def plain_json(self) -> str:
        """``plain()`` as compact JSON, made once: what the project budget measures and what
        cdk8s is given (``synth/chart.py``)."""
        cached = self.__dict__.get("_plain_json")
        if cached is None:
            cached = self.__dict__["_plain_json"] = json.dumps(self.plain(), separators=(",", ":"),
                                                               ensure_ascii=False)
        return cached


class Decision(Struct, frozen=True):
    """Why the plan did something, for ``--explain`` and for reviewers of the output."""

    service: str | None
    what: str
    why: str
    position: Position | None = None


class SecretKey(Struct, frozen=True):
    """A key the cluster's Secret ``secret`` must hold, and who reads it."""

    secret: str
    key: str
    required: bool
    used_by: tuple[str, ...]


class Plan(Struct, dict=True):
    project: str
    namespace: str
    resources: list[Resource] = field(default_factory=list)
    secret_name: str = ""  # the Secret holding the project's secret variables
    services: list[str] = field(default_factory=list)  # compose services compiled, in file order
    app_version: str = ""  # the version the project's own (built) images share
    # Environments: name -> {"namespace": str, "values": chart values that differ there}.
    environments: dict = field(default_factory=dict)
    environments_position: Position | None = None
    x_k8s_positions: dict[tuple, Position] = field(default_factory=dict)  # under the top-level x-k8s
    # The Pod Security level each service asked for: restricted, or the opt-out it gave a reason for.
    levels: dict[str, str] = field(default_factory=dict)
    secret_keys: list[SecretKey] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    acknowledged: list[Diagnostic] = field(default_factory=list)  # warnings x-k8s.acknowledge silenced

    def objects(self, env: str | None = None) -> list[dict]:
        """Every object as environment ``env`` renders it (None: as ``dist/`` holds it),
        resolved once per environment: the overlays and the environments' check both read
        them. Valid once the plan is complete; callers must not change them."""
        if env is None:
            return [r.plain() for r in self.resources]
        rendered = self.__dict__.setdefault("_objects", {})
        if env not in rendered:
            values = self.environments[env]["values"]
            # An object the environment does not change is the plain object itself: checks
            # that memoise by object (check_sources) then judge it once for all environments.
            objects = []
            for resource in self.resources:
                obj = resolve_values(resource.manifest, values)
                objects.append(resource.plain() if obj == resource.plain() else obj)
            rendered[env] = objects
        return rendered[env]

    def x_k8s_at(self, *path: object) -> Position | None:
        """Where ``x-k8s.<path>`` (or the nearest key enclosing it) was written."""
        while path:
            if path in self.x_k8s_positions:
                return self.x_k8s_positions[path]
            path = path[:-1]
        return self.environments_position


_MISSING = object()


def key_part(name: str) -> str:
    """One segment of a dotted values key: a dot in it (an environment name such as
    ``discovery.type``) is escaped as Helm's ``--set`` escapes it, so it stays one key."""
    return name.replace("\\", "\\\\").replace(".", "\\.")


@functools.cache  # a plan's few hundred keys are read for every object of every environment
def key_parts(key: str) -> tuple[str, ...]:
    """``a.b\\.c`` → ``("a", "b.c")``: the segments of a dotted values key, unescaped."""
    return tuple(re.sub(r"\\(.)", r"\1", part, flags=re.S) for part in re.findall(r"(?:\\.|[^.\\])+", key, re.S))


def value_of(values: dict | None, key: str, default: object) -> object:
    """The value at dotted ``key`` in a values tree, merged over ``default`` as Helm merges
    values files (mappings deep-merged, everything else replaced); ``default`` if absent."""
    node: object = values if values is not None else _MISSING
    for part in key_parts(key):
        node = node.get(part, _MISSING) if isinstance(node, dict) else _MISSING
        if node is _MISSING:
            return default
    return merge_values(default, node)


def merge_values(base: object, over: object) -> object:
    """``over`` merged onto ``base`` as Helm merges values files: mappings deep, the rest replaced."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = merge_values(base.get(k), v) if k in base else v
        return out
    return over


def resolve_values(data: object, values: dict | None = None) -> object:
    """``data`` with every marker replaced by its value: the default (the plain rendering,
    dist/), or the one ``values`` sets, as a chart would render with that values file."""
    return _resolve(data, None, values)


def _empty(value: object, values: dict | None) -> bool:
    return value is OMIT or (isinstance(value, Value) and value.omit_empty
                             and not value_of(values, value.key, value.default))


# A manifest's plain values: no marker is one, so every walk over markers returns them first.
PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})


def _resolve(data: object, item: object, values: dict | None) -> object:
    kind = type(data)
    if kind in PLAIN_TYPES:  # most of a manifest: returned before the markers are tried
        return data
    if kind is dict:
        out = {}
        for k, v in data.items():  # type: ignore[attr-defined]
            if type(v) in PLAIN_TYPES:
                out[k] = v
                continue
            v = _resolve(v, item, values) if not _empty(v, values) else OMIT
            if v is not OMIT:
                out[k] = v
        return out
    if kind is list or kind is tuple:
        out_list = [v if type(v) in PLAIN_TYPES else _resolve(v, item, values)
                    for v in data if not _empty(v, values)]  # type: ignore[attr-defined]
        return [v for v in out_list if v is not OMIT]
    if isinstance(data, Value):
        return _resolve(value_of(values, data.key, data.default), item, values)
    if isinstance(data, Name):
        return data.base
    if isinstance(data, RunOnceName):
        return data.resolved(values)
    if isinstance(data, Instance):
        return data.project
    if isinstance(data, Namespace):
        return data.name
    if isinstance(data, Image):
        tag = value_of(values, f"{data.key}.tag", data.tag)
        repository = value_of(values, f"{data.key}.repository", data.repository)
        return f"{repository}:{tag}" if tag and not str(tag).startswith("@") else f"{repository}{tag or ''}"
    if isinstance(data, Item):
        return item
    if isinstance(data, Concat):
        return "".join(str(_resolve(p, item, values)) for p in data.parts)
    if isinstance(data, When):
        chosen = data.then if value_of(values, data.key, data.default) else data.otherwise
        return _resolve(chosen, item, values)
    if isinstance(data, Each):
        return [_resolve(data.item, element, values) for element in value_of(values, data.key, data.default)]
    if isinstance(data, dict):
        out = {}
        for k, v in data.items():
            v = _resolve(v, item, values) if not _empty(v, values) else OMIT
            if v is not OMIT:
                out[k] = v
        return out
    if isinstance(data, (list, tuple)):
        out_list = [_resolve(v, item, values) for v in data if not _empty(v, values)]
        return [v for v in out_list if v is not OMIT]
    return data
