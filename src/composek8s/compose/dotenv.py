"""Parse ``.env`` files the way Docker Compose does.

``KEY=VALUE`` lines, an optional ``export`` prefix, ``#`` comments (whole lines, or after
whitespace in an unquoted value), single quotes taken literally, double quotes with
escapes and line breaks, and ``${VAR}`` references to variables defined earlier or in the
process environment (unquoted and double-quoted values only).
"""
from __future__ import annotations

import re
from pathlib import Path

from .reader import read_bytes
from ..diagnostics import Position, fail
from .interpolate import SecretDerived, is_secret_value

_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(=?)(.*)$", re.S)
_LITERAL_DOLLAR = "\x00"  # an escaped `\$` while expanding: never starts a reference
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "$": _LITERAL_DOLLAR}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPS = (":-", ":?", ":+", "-", "?", "+")
MAX_NESTING = 100  # ${A:-${B:-…}} levels


def parse_dotenv(text: str, file: str, environ: dict[str, str] | None = None) -> dict[str, str]:
    """The variables defined by a ``.env`` text, in file order."""
    env: dict[str, str] = {}
    outer = environ or {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        number = i + 1
        line = lines[i]
        i += 1
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _LINE.match(line)
        if not m:
            raise fail("E-DOTENV", f"cannot parse {stripped[:40]!r}: expected KEY=VALUE",
                       Position(file, number, 1))
        key, equals, rest = m.group(1), m.group(2), m.group(3).lstrip()
        if not equals:
            continue  # a bare name: Compose takes it from the environment, if set
        if rest.startswith("'"):
            end = rest.find("'", 1)
            if end < 0:
                raise fail("E-DOTENV", f"unterminated single quote in {key}", Position(file, number, 1))
            env[key] = rest[1:end]
        elif rest.startswith('"'):
            value, i = _double_quoted(rest[1:], lines, i, file, number, key)
            expanded = _expand(value, env, outer, Position(file, number, 1))
            unescaped = expanded.replace(_LITERAL_DOLLAR, "$")
            env[key] = SecretDerived(unescaped) if isinstance(expanded, SecretDerived) else unescaped
        else:
            value = rest.split(" #", 1)[0].strip()  # only a space starts a comment, as in Compose
            env[key] = _expand(value, env, outer, Position(file, number, 1))
    return env


def _double_quoted(rest: str, lines: list[str], i: int, file: str, number: int, key: str):
    out: list[str] = []
    text = rest
    while True:
        j = 0
        while j < len(text):
            ch = text[j]
            if ch == "\\" and j + 1 < len(text):
                out.append(_ESCAPES.get(text[j + 1], "\\" + text[j + 1]))
                j += 2
                continue
            if ch == '"':
                return "".join(out), i
            out.append(ch)
            j += 1
        if i >= len(lines):
            raise fail("E-DOTENV", f"unterminated double quote in {key}", Position(file, number, 1))
        out.append("\n")
        text = lines[i]
        i += 1


def _expand(value: str, env: dict[str, str], outer: dict[str, str], where: Position) -> str:
    """``value`` with its references replaced as Compose's template does (``$A``, ``${A}``,
    ``${A:-default}`` with nested defaults, ``-``, ``:+``/``+``, ``:?``/``?``); the shell's
    variables win over the file's earlier ones. A value built from a secret variable is
    ``SecretDerived``, so it stays as secret as what it holds."""
    derived = False
    closing = _closing(value)

    def lookup(name: str) -> str | None:
        nonlocal derived
        found = outer[name] if name in outer else env.get(name)
        if found is not None and is_secret_value(name, found):
            derived = True
        return found

    def expand(start: int, end: int, depth: int) -> str:
        if depth > MAX_NESTING:
            raise fail("E-DOTENV", f"variables' defaults nest more than {MAX_NESTING} levels", where)
        out: list[str] = []
        i = start
        while i < end:
            if value[i] != "$" or i + 1 >= end:
                out.append(value[i])
                i += 1
                continue
            if value[i + 1] == "{" and closing.get(i, end) < end:
                text, i = braced(i, closing[i], depth)
                out.append(text)
                continue
            m = _NAME.match(value, i + 1, end)
            if m:
                out.append(lookup(m.group(0)) or "")
                i = m.end()
            else:
                out.append("$")
                i += 1
        return "".join(out)

    def braced(i: int, j: int, depth: int) -> tuple[str, int]:
        """``${…}`` from ``i`` to its closing brace ``j``: its text and where to go on."""
        m = _NAME.match(value, i + 2, j)
        k = m.end() if m else i + 2
        op = next((o for o in _OPS if value.startswith(o, k)), None) if m else None
        if not m or (op is None and k != j):
            return value[i:j + 1], j + 1  # not a reference: kept as written
        name, k = m.group(0), k + len(op or "")
        found = lookup(name)
        if op in (":-", "-"):
            missing = not found if op == ":-" else found is None
            return (expand(k, j, depth + 1) if missing else found), j + 1
        if op in (":+", "+"):
            present = bool(found) if op == ":+" else found is not None
            return (expand(k, j, depth + 1) if present else ""), j + 1
        if op in (":?", "?") and (not found if op == ":?" else found is None):
            detail = value[k:j].strip()
            raise fail("E-DOTENV", f"required variable {name} is not set" + (f": {detail}" if detail else ""),
                       where)
        return found or "", j + 1

    expanded = expand(0, len(value), 0)
    return SecretDerived(expanded) if derived else expanded


def _closing(value: str) -> dict[int, int]:
    """Where each ``${`` closes: one pass with a stack, so unclosed ones cost nothing."""
    stack: list[int] = []
    match: dict[int, int] = {}
    i = 0
    while i < len(value):
        if value.startswith("${", i):
            stack.append(i)
            i += 2
            continue
        if value[i] == "}" and stack:
            match[stack.pop()] = i
        i += 1
    return match


def parse_raw_env(text: str) -> dict[str, str]:
    """An env file with ``format: raw``: every ``KEY=VALUE`` line taken literally (no quotes,
    escapes, comments after the value or ``$`` references), as Compose reads it."""
    env: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        env[key.strip()] = value
    return env


# Bytes an env file may hold: what it defines ends up in pod specs and chart values, which
# the API server refuses past about 1.5 MiB per object; it also bounds what a run reads.
MAX_ENV_BYTES = 1024 * 1024


def read_dotenv(path: Path, display: str, environ: dict[str, str] | None = None,
                literal: bool = False, at: Position | None = None, what: str | None = None) -> dict[str, str]:
    """The variables of an env file; ``literal`` for ``format: raw``; ``at``: where the
    compose file names it (the file itself when None); ``what`` names it in messages."""
    raw = read_bytes(path, what or f"env file {display!r}", MAX_ENV_BYTES, at or Position(display, 1, 1),
                     too_large="E-ENV-TOO-LARGE", why="its variables would not fit in a Kubernetes object")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise fail("E-DOTENV", "the env file is not UTF-8", Position(display)) from None
    return parse_raw_env(text) if literal else parse_dotenv(text, display, environ)
