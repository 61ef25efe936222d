"""Compose variable interpolation: ``$VAR``, ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``,
``${VAR:?error}``, ``${VAR?error}``, ``${VAR:+alt}``, ``${VAR+alt}``, nesting, ``$$``.

Secret material is never read into the model: a variable whose name marks it secret
(``DB_PASSWORD``, ``JWT_SECRET``, ``STRIPE_SECRET_KEY``…) is not substituted. The string
becomes a ``Template`` whose parts name the variable, and the plan turns that into a
reference to a Kubernetes Secret. So no value from ``.env`` that is secret can reach the
output, whatever the mapping does later.
"""
from __future__ import annotations

import re
from typing import Callable

from msgspec import Struct

from ..diagnostics import Position, Reporter, fail

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SECRET_WORDS = ("PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "CREDENTIAL", "PRIVATE", "CERTIFICATE")
_SECRET_TOKENS = {"PASS", "PWD", "PW", "KEY", "KEYS", "APIKEY", "ACCESSKEY", "PRIVATEKEY", "AUTH", "DSN", "SIGNING",
                  "CERT", "SALT", "PIN", "OTP", "HMAC"}
# A name that ends in one of these holds something about a secret, not the secret: where it
# is (TOKEN_URL, PASSWORD_FILE, SECRET_PATH), its name or id (SECRET_NAME, KEY_ID), a setting
# (PASSWORD_MIN_LENGTH, JWT_SECRET_EXPIRY, API_KEY_HEADER).
_ABOUT_SECRET = {"URL", "URI", "PATH", "FILE", "DIR", "NAME", "ID", "HOST", "PORT", "ENDPOINT", "HEADER", "FIELD",
                 "TYPE", "ALGORITHM", "ALG", "LENGTH", "SIZE", "BITS", "TTL", "EXPIRY", "EXPIRES", "EXPIRATION",
                 "LIFETIME", "TIMEOUT", "ENABLED", "REQUIRED", "MODE", "VERSION", "COUNT", "ROUNDS", "LIMIT",
                 "PREFIX", "FORMAT", "PROVIDER", "METHOD", "LOCATION"}


def is_secret_name(name: str) -> bool:
    """Whether a variable's name marks its value as secret (``DB_PASSWORD``, ``GPG_PASSPHRASE``,
    ``ROOT_PW``, ``SESSION_COOKIE_SIGNING``), but not a name about a secret (``TOKEN_URL``,
    ``PASSWORD_FILE``) or about public material (``PUBLIC_KEY_URL``)."""
    upper = name.upper()
    tokens = [t for t in re.split(r"[^A-Z0-9]+", upper) if t]
    if "PUBLIC" in tokens or "PUB" in tokens or (tokens and tokens[-1] in _ABOUT_SECRET):
        return False
    if any(word in upper for word in _SECRET_WORDS):
        return True
    return any(t in _SECRET_TOKENS for t in tokens)


class SecretDerived(str):
    """A value an env file built from a secret variable (``CALLBACK=https://hook/${API_SECRET}``):
    secret itself, whatever its own name, so it is never read either."""


def is_secret_value(name: str, value: object) -> bool:
    """Whether a variable must stay in the cluster: by its name, or by what its value came from."""
    return is_secret_name(name) or isinstance(value, SecretDerived)


def is_file_pointer(name: str, value: str) -> bool:
    """``POSTGRES_PASSWORD_FILE=/run/secrets/db_password``: the official images' ``*_FILE``
    convention names the file holding the secret; the path itself is not secret."""
    return name.upper().endswith("_FILE") and value.startswith("/")


class SecretRef(Struct, frozen=True):
    """A secret variable used in a value; ``required`` when written ``${VAR:?…}``/``${VAR?…}``."""

    variable: str
    required: bool = True


class Template(Struct, frozen=True):
    """A string that includes secret variables: literal text and ``SecretRef`` parts."""

    parts: tuple[str | SecretRef, ...]

    @property
    def secrets(self) -> tuple[SecretRef, ...]:
        return tuple(p for p in self.parts if isinstance(p, SecretRef))

    def render(self, ref: Callable[[SecretRef], str]) -> str:
        return "".join(p if isinstance(p, str) else ref(p) for p in self.parts)


MAX_NESTING = 100  # ${A:-${B:-…}} levels, as deep as YAML may nest (each level is a call)


class Interpolator:
    def __init__(self, environ: dict[str, str], reporter: Reporter):
        self.environ = environ
        self.reporter = reporter
        self._warned: set[str] = set()

    def value(self, text: str, where: Position) -> str | Template:
        parts = self._parse(text, 0, where, stop=None, depth=0)[0]
        merged: list[str | SecretRef] = []
        for part in parts:
            if isinstance(part, str) and merged and isinstance(merged[-1], str):
                merged[-1] += part
            else:
                merged.append(part)
        if all(isinstance(p, str) for p in merged):
            return "".join(merged)  # type: ignore[arg-type]
        return Template(tuple(p for p in merged if p != ""))

    def _parse(self, text: str, i: int, where: Position, stop: str | None, depth: int):
        """Parts of ``text`` from ``i`` up to an unmatched ``stop`` character (``}``); ``depth``:
        the ``${…}`` it is inside of."""
        if depth > MAX_NESTING:
            raise fail("E-INTERPOLATION", f"variables' defaults nest more than {MAX_NESTING} levels "
                       f"(${{A:-${{B:-…}}}})", where)
        parts: list[str | SecretRef] = []
        literal: list[str] = []
        while i < len(text):
            ch = text[i]
            if stop and ch == stop:
                break
            if ch != "$":
                literal.append(ch)
                i += 1
                continue
            nxt = text[i + 1] if i + 1 < len(text) else ""
            if nxt == "$":
                literal.append("$")
                i += 2
                continue
            if nxt == "{":
                sub, i = self._braced(text, i + 2, where, depth + 1)
            else:
                m = _NAME.match(text, i + 1)
                if not m:
                    # `$(hostname)`, `$1`, `$@`, a `$` at the end: Compose keeps the `$` as it
                    # is (only `${` must be a valid reference), and so does composek8s.
                    literal.append("$")
                    i += 1
                    continue
                sub, i = self._lookup(m.group(0), None, None, where), m.end()
            parts.append("".join(literal))
            literal = []
            parts.extend(sub)
        parts.append("".join(literal))
        return parts, i

    def _braced(self, text: str, i: int, where: Position, depth: int):
        m = _NAME.match(text, i)
        if not m:
            raise fail("E-INTERPOLATION", f"invalid interpolation format in {text!r}", where)
        name, i = m.group(0), m.end()
        op = None
        for candidate in (":-", ":?", ":+", "-", "?", "+"):
            if text.startswith(candidate, i):
                op, i = candidate, i + len(candidate)
                break
        arg: list[str | SecretRef] | None = None
        if op:
            arg, i = self._parse(text, i, where, stop="}", depth=depth)
        if i >= len(text) or text[i] != "}":
            raise fail("E-INTERPOLATION", f"missing '}}' in {text!r}", where)
        return self._lookup(name, op, arg, where), i + 1

    def _lookup(self, name: str, op: str | None, arg, where: Position) -> list[str | SecretRef]:
        if is_secret_value(name, self.environ.get(name)):
            # The value is resolved in the cluster, never here (see module docstring).
            return [SecretRef(name, required=op in (":?", "?") or op is None)]
        value = self.environ.get(name)
        is_set, non_empty = value is not None, bool(value)
        if op in (":-", "-"):
            use_default = not non_empty if op == ":-" else not is_set
            return arg if use_default else [value]
        if op in (":?", "?"):
            if (op == ":?" and not non_empty) or (op == "?" and not is_set):
                detail = "".join(p for p in arg if isinstance(p, str)).strip() if arg else ""
                raise fail("E-VARIABLE-REQUIRED", f"required variable {name} is not set"
                           + (f": {detail}" if detail else ""), where)
            return [value]
        if op in (":+", "+"):
            use_alt = non_empty if op == ":+" else is_set
            return arg if use_alt else [""]
        if not is_set:
            if name not in self._warned:
                self._warned.add(name)
                self.reporter.warn("W-VARIABLE-UNSET", f"variable {name} is not set; "
                                   "using an empty string", where)
            return [""]
        return [value]  # type: ignore[list-item]
