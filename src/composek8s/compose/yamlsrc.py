"""Read one YAML file into plain Python data plus the position of every value.

Compose files are YAML 1.2 (``yes`` is a string, ``22:22`` is not a number) while PyYAML
resolves YAML 1.1, so plain scalars are resolved here by the YAML 1.2 core schema. Values
are built from libyaml's node graph by our own walk, which is what bounds hostile input:
an alias is counted every time it is used (a billion-laughs file stops after
``MAX_VALUES``), nesting stops at ``MAX_DEPTH``, and files larger than ``MAX_BYTES`` are
refused before parsing.

Positions are kept in a side table keyed by the value's path (``("services", "web",
"image")``) so the data itself stays plain dicts, lists and scalars.
"""
from __future__ import annotations

import math
import re
from contextlib import contextmanager
from pathlib import Path

import yaml
from msgspec import Struct

from ..diagnostics import CompileError, Position, fail
from .reader import decode, read_bytes

MAX_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 100
MAX_VALUES = 1_000_000

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PLAIN = "tag:composek8s:plain"


class _PlainTaggingLoader(_Loader):  # type: ignore[misc, valid-type]
    """Marks untagged plain scalars so they can be resolved by YAML 1.2 rules."""

    def resolve(self, kind, value, implicit):  # noqa: D102 - libyaml callback
        if kind is yaml.ScalarNode and implicit[0]:
            return _PLAIN
        return super().resolve(kind, value, implicit)


class Reset(Struct, frozen=True):
    """A value tagged ``!reset``: removes what earlier files set."""

    value: object = None


class Override(Struct, frozen=True):
    """A value tagged ``!override``: replaces what earlier files set instead of merging."""

    value: object


Path_ = tuple  # a path of keys and indexes from the document root


class Document(Struct):
    """One parsed file: its data and where each value came from."""

    file: str
    data: object
    positions: dict[Path_, Position]

    def at(self, *path: object) -> Position:
        """The position of the value at ``path``, or the nearest enclosing one."""
        p = tuple(path)
        while p:
            if p in self.positions:
                return self.positions[p]
            p = p[:-1]
        return self.positions.get((), Position(self.file, 1, 1))


_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NUMBER_START = frozenset("0123456789+-.")
_INT10 = re.compile(r"^[-+]?[0-9]+$")
_INT8 = re.compile(r"^0o[0-7]+$")
_INT8_GO = re.compile(r"^[-+]?0[0-7]+$")  # `0755`: octal, as Go's yaml (and so Compose) reads it
_INT16 = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")


def resolve_plain(text: str) -> object:
    """A plain scalar's value under the YAML 1.2 core schema, read as Go's yaml (so Compose)
    reads numbers: leading-zero octals (``0755``) and ``_`` separators (``1_000``)."""
    if _NULL.match(text):
        return None
    if text in _BOOL:
        return _BOOL[text]
    if "_" in text and text[:1] in _NUMBER_START:
        value = resolve_plain(text.replace("_", ""))
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else text
    if _INT8_GO.match(text):
        return int(text, 8)
    if _INT10.match(text):
        return int(text)
    if _INT8.match(text):
        return int(text[2:], 8)
    if _INT16.match(text):
        return int(text[2:], 16)
    if _FLOAT.match(text):
        return float(text)
    if _INF.match(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.match(text):
        return math.nan
    return text


def _pos(file: str, node: yaml.Node) -> Position:
    return Position(file, node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    def __init__(self, file: str):
        self.file = file
        self.positions: dict[Path_, Position] = {}
        self.count = 0
        self._sizes: dict[int, int] = {}

    def _size(self, node: yaml.Node, depth: int = 0) -> int:
        """How many values ``node`` expands to, aliases counted at every use (capped just
        above ``MAX_VALUES``). Shared nodes are sized once, so this is cheap for any input."""
        key = id(node)
        if key not in self._sizes:
            if depth > MAX_DEPTH:
                return 1  # the build stops there with E-YAML-TOO-DEEP
            self._sizes[key] = 1  # a node that contains itself is cut off by the depth limit
            children = node.value if isinstance(node, yaml.SequenceNode) else (
                [v for _, v in node.value] if isinstance(node, yaml.MappingNode) else [])
            self._sizes[key] = min(MAX_VALUES + 1, 1 + sum(self._size(c, depth + 1) for c in children))
        return self._sizes[key]

    def _too_large(self, node: yaml.Node) -> CompileError:
        return fail("E-YAML-TOO-LARGE", f"the document expands to more than {MAX_VALUES:,} "
                    "values (an alias bomb?); refusing to read it", _pos(self.file, node))

    def refuse_bombs(self, root: yaml.Node) -> None:
        """Refuse a document that expands past ``MAX_VALUES`` before building any of it,
        pointing at the smallest value that alone expands that far (the bomb's anchor)."""
        if self._size(root) <= MAX_VALUES:
            return
        node = root
        while True:
            children = node.value if isinstance(node, yaml.SequenceNode) else (
                [v for _, v in node.value] if isinstance(node, yaml.MappingNode) else [])
            big = next((c for c in children if self._size(c) > MAX_VALUES), None)
            if big is None:
                raise self._too_large(node)
            node = big

    def build(self, node: yaml.Node, path: Path_, depth: int = 0) -> object:
        self.count += 1
        if self.count > MAX_VALUES:
            raise self._too_large(node)
        if depth > MAX_DEPTH:
            raise fail("E-YAML-TOO-DEEP", f"values are nested more than {MAX_DEPTH} levels deep",
                       _pos(self.file, node))
        self.positions[path] = _pos(self.file, node)
        tag = node.tag
        if tag == "!reset":
            return Reset(self._untagged(node, path, depth))
        if tag == "!override":
            return Override(self._untagged(node, path, depth))
        return self._untagged(node, path, depth)

    def _untagged(self, node: yaml.Node, path: Path_, depth: int) -> object:
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
        return self._mapping(node, path, depth)

    def _scalar(self, node: yaml.ScalarNode) -> object:
        text = node.value
        tag = node.tag
        if tag == _PLAIN:
            return resolve_plain(text)
        if tag in ("tag:yaml.org,2002:str", "!reset", "!override"):
            return text if (node.style or tag == "tag:yaml.org,2002:str") else resolve_plain(text)
        converters = {
            "tag:yaml.org,2002:int": int,
            "tag:yaml.org,2002:float": float,
            "tag:yaml.org,2002:bool": lambda t: _BOOL[t],
            "tag:yaml.org,2002:null": lambda t: None,
        }
        try:
            return converters[tag](text)
        except KeyError:
            raise fail("E-YAML-TAG", f"unsupported tag {tag!r} on {text!r}",
                       _pos(self.file, node)) from None
        except ValueError:
            raise fail("E-YAML-TAG", f"{text!r} is not a valid {tag.rsplit(':', 1)[-1]}",
                       _pos(self.file, node)) from None

    def _mapping(self, node: yaml.MappingNode, path: Path_, depth: int) -> dict:
        result: dict = {}
        merged: dict = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise fail("E-YAML-KEY", "mapping keys must be scalars", _pos(self.file, key_node))
            key = key_node.value
            if key == "<<" and key_node.tag in (_PLAIN, "tag:yaml.org,2002:merge"):
                self._merge_into(merged, value_node, path, depth)
                continue
            if key in result:
                raise fail("E-YAML-DUPLICATE-KEY", f"key {key!r} appears twice in one mapping",
                           _pos(self.file, key_node))
            result[key] = self.build(value_node, path + (key,), depth + 1)
            # Diagnostics about an entry point at its key, where a reader looks for it.
            self.positions[path + (key,)] = _pos(self.file, key_node)
        for key, value in merged.items():
            result.setdefault(key, value)
        return result

    def _merge_into(self, merged: dict, node: yaml.Node, path: Path_, depth: int) -> None:
        """``<<: *a`` or ``<<: [*a, *b]``: earlier sources win, explicit keys win over all."""
        if depth > MAX_DEPTH:  # a mapping that merges itself (`&a {<<: *a}`) ends here
            raise fail("E-YAML-TOO-DEEP", f"merge keys ('<<') nest more than {MAX_DEPTH} levels deep",
                       _pos(self.file, node))
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                raise fail("E-YAML-MERGE", "a merge key '<<' takes a mapping or a list of mappings",
                           _pos(self.file, source))
            value = self._mapping(source, path, depth + 1)
            self.count += len(value)
            for key, item in value.items():
                merged.setdefault(key, item)


def _decode(raw: bytes, file: str) -> str:
    return decode(raw, file, "E-YAML-ENCODING")


def _refuse_too_large(text: str, file: str) -> None:
    if len(text) > MAX_BYTES:
        raise fail("E-YAML-TOO-LARGE", f"the file is larger than {MAX_BYTES // (1024 * 1024)} MiB",
                   Position(file, 1, 1))


@contextmanager
def _located_yaml_errors(text: str, file: str):
    """PyYAML's errors (and a nesting deep enough to exhaust the stack) as located diagnostics."""
    try:
        yield
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Position(file, mark.line + 1, mark.column + 1) if mark else Position(file, 1, 1)
        if "maximum nesting depth" in str(exc.problem):  # libyaml's own limit (1000 levels)
            raise fail("E-YAML-TOO-DEEP", f"values are nested more than {MAX_DEPTH} levels deep",
                       where) from None
        raise fail("E-YAML-SYNTAX", _yaml_message(exc, _char_at(text, mark)), where) from None
    except yaml.YAMLError as exc:
        raise fail("E-YAML-SYNTAX", str(exc).splitlines()[0], Position(file, 1, 1)) from None
    except RecursionError:
        raise fail("E-YAML-TOO-DEEP", f"values are nested more than {MAX_DEPTH} levels deep",
                   Position(file, 1, 1)) from None


def parse_text(text: str, file: str) -> Document:
    """Parse one YAML document held in ``text``; ``file`` names it in positions."""
    _refuse_too_large(text, file)
    with _located_yaml_errors(text, file):
        node = yaml.compose(text, Loader=_PlainTaggingLoader)
    if node is None:
        return Document(file, None, {(): Position(file, 1, 1)})
    builder = _Builder(file)
    builder.refuse_bombs(node)
    data = builder.build(node, ())
    return Document(file, data, builder.positions)


def parse_documents(text: str, file: str) -> list[Document]:
    """Every document of ``text`` (``---`` separated), under the limits of ``parse_text``:
    the values of all documents together count against ``MAX_VALUES``."""
    _refuse_too_large(text, file)
    documents, count = [], 0
    with _located_yaml_errors(text, file):
        for node in yaml.compose_all(text, Loader=_PlainTaggingLoader):
            if node is None:
                continue
            builder = _Builder(file)
            builder.count = count
            builder.refuse_bombs(node)
            documents.append(Document(file, builder.build(node, ()), builder.positions))
            count = builder.count
    return documents


def _char_at(text: str, mark) -> str:
    """The character an error mark points at (libyaml's messages do not quote it)."""
    lines = text.splitlines()
    if not mark or mark.line >= len(lines) or mark.column >= len(lines[mark.line]):
        return ""
    return lines[mark.line][mark.column]


def _yaml_message(exc: yaml.MarkedYAMLError, char: str = "") -> str:
    context = exc.context
    start, end = exc.context_mark, exc.problem_mark
    if context and start and end and (start.line, start.column) != (end.line, end.column):
        # Where the unclosed quote, bracket or mapping began: often the real mistake.
        context += f" (which starts at line {start.line + 1}, column {start.column + 1})"
    parts = [p for p in (context, exc.problem) if p]
    message = "; ".join(parts) or "invalid YAML"
    if char == "\t" or "\\t" in message or "tab" in message:
        message += " (YAML does not allow tabs for indentation)"
    return message


def read_bytes_of(path: Path, display: str, at: Position | None = None) -> bytes:
    """The bytes of a YAML file, through the guarded reader (regular files only, at most
    ``MAX_BYTES``); ``at``: where it is named (the file itself when None)."""
    return read_bytes(path, display, MAX_BYTES, at or Position(display, 1, 1), too_large="E-YAML-TOO-LARGE")


def read_documents(path: Path, display: str) -> list[Document]:
    """Every document of a multi-document YAML file (manifests), each bounded as one file is."""
    return parse_documents(_decode(read_bytes_of(path, display), display), display)
