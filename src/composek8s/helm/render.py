"""Render one planned object as a Helm template.

Markers become template expressions (``Value`` → ``$.Values…``, ``Name`` → a release-aware
helper…); everything else is literal data, written as JSON-quoted scalars with ``{{``
escaped, so text from a compose file can never become template code (``{{ .Release.Name }}``
in an env value renders literally).
"""
from __future__ import annotations

import json
import re

from ..plan.model import (OMIT, PLAIN_TYPES, RUN_ONCE_BASE, Concat, Each, Image, Instance, Item, Name, Namespace,
                          RunOnceName, Value, When, key_parts)

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MANAGED_BY = "app.kubernetes.io/managed-by"
CHART_LABEL = "helm.sh/chart"


def values_ref(key: str, root: str = "$.Values") -> str:
    """``a.b.c`` → ``$.Values.a.b.c``; segments that are not identifiers use ``index``."""
    parts = key_parts(key)
    if all(_IDENT.match(p) for p in parts):
        return ".".join([root, *parts])
    return f"(index {root} {' '.join(json.dumps(p) for p in parts)})"


def go_string(text: str) -> str:
    """A Go template string literal (JSON's syntax is a subset Go accepts)."""
    return json.dumps(text)


_quoted: dict[str, str] = {}  # labels, names and keys repeat across a chart's objects


def scalar(value: object) -> str:
    """A literal YAML scalar; strings are JSON-quoted and ``{{`` cannot start an action."""
    if isinstance(value, str):
        done = _quoted.get(value)
        if done is None:
            if len(_quoted) > 100_000:  # bounded
                _quoted.clear()
            done = _quoted[value] = json.dumps(value, ensure_ascii=False).replace("{{", '{{ "{{" }}')
        return done
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


class Renderer:
    def __init__(self, chart: str):
        self.chart = chart

    # --- expressions -------------------------------------------------------------------
    def expr(self, marker: object) -> str:
        """A Go template expression (without braces) producing the marker's string."""
        if isinstance(marker, Value):
            return values_ref(marker.key)
        if isinstance(marker, Name):
            if marker.override:
                return (f"(include {go_string(self.chart + '.overridableName')} "
                        f"(list $ {go_string(marker.base)} {values_ref(marker.override)}))")
            return f"(include {go_string(self.chart + '.objectName')} (list $ {go_string(marker.base)}))"
        if isinstance(marker, RunOnceName):
            # The same hash as RunOnceName.resolved, of the values as this release has them.
            current = " ".join(values_ref(k) for k in marker.keys)
            # A release-prefixed base is cut like RUN_ONCE_BASE, so the name stays a label value.
            return (f"(printf \"%s-%s\" (include {go_string(self.chart + '.objectName')} (list $ "
                    f"{go_string(marker.base)}) | trunc {RUN_ONCE_BASE} | trimSuffix \"-\") "
                    f"(print {go_string(marker.content)} (toJson (list {current})) | sha256sum | trunc 8))")
        if isinstance(marker, Instance):
            return "$.Release.Name"
        if isinstance(marker, Namespace):
            return "$.Release.Namespace"
        if isinstance(marker, Image):
            return f"(include {go_string(self.chart + '.image')} (list $ {values_ref(marker.key)}))"
        if isinstance(marker, Item):
            return "$item"
        if isinstance(marker, Concat):
            parts = [go_string(p) if isinstance(p, str) else f"(toString {self.expr(p)})" for p in marker.parts]
            return f"(print {' '.join(parts)})"
        if isinstance(marker, str):
            return go_string(marker)
        raise TypeError(f"no expression for {marker!r}")

    # --- blocks ------------------------------------------------------------------------
    def document(self, manifest: dict) -> str:
        metadata = manifest.get("metadata")
        if isinstance(metadata, dict) and isinstance(metadata.get("labels"), dict):
            manifest = {**manifest, "metadata": {**metadata, "labels": self._chart_label(metadata["labels"])}}
        return "\n".join(self.mapping(manifest, 0)) + "\n"

    def mapping(self, data: dict, indent: int) -> list[str]:
        lines: list[str] = []
        pad = " " * indent
        data = self._helm_labels(data)
        for key, value in data.items():
            lines += self.entry(scalar(key) if not _IDENT.match(str(key)) else str(key), value, indent)
        if not lines:
            return [f"{pad}{{}}"]
        return lines

    def _helm_labels(self, data: dict) -> dict:
        """Labels as Helm writes them: managed by Helm (the release service, which never changes)."""
        if MANAGED_BY not in data:
            return data
        out = {k: v for k, v in data.items() if k not in (MANAGED_BY, CHART_LABEL)}
        out[MANAGED_BY] = _Raw("$.Release.Service")
        if CHART_LABEL in data:
            out[CHART_LABEL] = data[CHART_LABEL]
        return out

    def _chart_label(self, labels: dict) -> dict:
        """An object's own labels also name the chart and its version. Only the object's: the
        version moves with any change to the chart, and in a pod template it would restart
        every workload's pods for a change to one (pod templates keep labels that change only
        when the pod does)."""
        if MANAGED_BY not in labels:
            return labels
        return {**labels, CHART_LABEL: _Raw(f"(include {go_string(self.chart + '.chart')} $)")}

    def entry(self, key: str, value: object, indent: int) -> list[str]:
        pad = " " * indent
        if type(value) in PLAIN_TYPES:  # most of a manifest: no marker to try
            return [f"{pad}{key}: {scalar(value)}"]
        if value is OMIT:
            return []
        kind = type(value)
        if kind is dict:  # then the next most common, before the markers are tried
            if not value:
                return [f"{pad}{key}: {{}}"]
            return [f"{pad}{key}:", *self.mapping(value, indent + 2)]
        if kind is list or kind is tuple:
            items = [line for v in value for line in self.list_item(v, indent)]
            if not items:
                return [f"{pad}{key}: []"]
            return [f"{pad}{key}:", *items]
        if isinstance(value, When):
            then = self.entry(key, value.then, indent)
            otherwise = self.entry(key, value.otherwise, indent)
            return self._if(value.key, then, otherwise, indent)
        if isinstance(value, Value) and value.omit_empty:
            body = self._value_entry(key, ".", value.default, indent)
            return [f"{pad}{{{{- with {values_ref(value.key)} }}}}", *body, f"{pad}{{{{- end }}}}"]
        if isinstance(value, Value):
            return self._value_entry(key, values_ref(value.key), value.default, indent)
        if isinstance(value, Each):
            item = self.list_item(value.item, indent)
            return [f"{pad}{key}:", f"{pad}{{{{- range $item := {values_ref(value.key)} }}}}", *item,
                    f"{pad}{{{{- end }}}}"]
        if isinstance(value, dict):
            if not value:
                return [f"{pad}{key}: {{}}"]
            return [f"{pad}{key}:", *self.mapping(value, indent + 2)]
        if isinstance(value, (list, tuple)):
            items = [line for v in value for line in self.list_item(v, indent)]
            if not items:
                return [f"{pad}{key}: []"]
            return [f"{pad}{key}:", *items]
        if isinstance(value, _Raw):
            return [f"{pad}{key}: {{{{ {value.expr} | toJson }}}}"]
        if isinstance(value, (Name, RunOnceName, Instance, Namespace, Image, Concat, Item)):
            return [f"{pad}{key}: {{{{ {self.expr(value)} | toJson }}}}"]
        return [f"{pad}{key}: {scalar(value)}"]

    def _value_entry(self, key: str, ref: str, default: object, indent: int) -> list[str]:
        pad = " " * indent
        if isinstance(default, (dict, list, tuple)):
            return [f"{pad}{key}:", f"{pad}  {{{{- toYaml {ref} | nindent {indent + 2} }}}}"]
        return [f"{pad}{key}: {{{{ {ref} | toJson }}}}"]

    def list_item(self, value: object, indent: int) -> list[str]:
        pad = " " * indent
        if type(value) in PLAIN_TYPES:
            return [f"{pad}- {scalar(value)}"]
        if value is OMIT:
            return []
        if isinstance(value, When):
            return self._if(value.key, self.list_item(value.then, indent), self.list_item(value.otherwise, indent), indent)
        if isinstance(value, dict) and value:
            body = self.mapping(value, indent + 2)
            if body[0].lstrip().startswith("{{"):
                return [f"{pad}-", *body]
            return [f"{pad}- {body[0][indent + 2:]}", *body[1:]]
        if isinstance(value, (list, tuple)) and value:
            return [f"{pad}-", *[line for v in value for line in self.list_item(v, indent + 2)]]
        if isinstance(value, Value):
            if isinstance(value.default, (dict, list, tuple)):
                return [f"{pad}- {{{{- toYaml {values_ref(value.key)} | nindent {indent + 2} }}}}"]
            return [f"{pad}- {{{{ {values_ref(value.key)} | toJson }}}}"]
        if isinstance(value, (Name, RunOnceName, Instance, Namespace, Image, Concat, Item)):
            return [f"{pad}- {{{{ {self.expr(value)} | toJson }}}}"]
        if isinstance(value, dict):
            return [f"{pad}- {{}}"]
        if isinstance(value, (list, tuple)):
            return [f"{pad}- []"]
        return [f"{pad}- {scalar(value)}"]

    def _if(self, key: str, then: list[str], otherwise: list[str], indent: int) -> list[str]:
        pad = " " * indent
        if not then and not otherwise:
            return []
        if not then:
            return [f"{pad}{{{{- if not {values_ref(key)} }}}}", *otherwise, f"{pad}{{{{- end }}}}"]
        lines = [f"{pad}{{{{- if {values_ref(key)} }}}}", *then]
        if otherwise:
            lines += [f"{pad}{{{{- else }}}}", *otherwise]
        return lines + [f"{pad}{{{{- end }}}}"]


class _Raw:
    """A template expression written as is (Helm's own bookkeeping labels)."""

    def __init__(self, expr: str):
        self.expr = expr
