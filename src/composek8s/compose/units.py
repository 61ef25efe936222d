"""Compose's value syntaxes: durations, byte sizes, and numbers as Go prints them."""
from __future__ import annotations

import math
import re
from decimal import Decimal

from .interpolate import Template

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmgtp]?)i?b?$", re.I)  # as Docker's RAMInBytes
_SIZE_UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40, "p": 2**50}


def parse_duration(value: object) -> float:
    """Compose durations (``1m30s``, ``500ms``, a number of seconds) in seconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = value.strip() if isinstance(value, str) else ""
    total, end = 0.0, 0
    # Each part must start where the last ended: matched in place, never searched for (a search
    # retries at every digit of '111…1x', quadratic in the length).
    while m := _DURATION.match(text, end):
        total += float(m.group(1)) * _DURATION_UNITS[m.group(2)]
        end = m.end()
    if not text or end != len(text):
        raise ValueError(f"{shown(value)} is not a duration (e.g. 30s, 1m30s, 500ms)")
    return total


def parse_size(value: object) -> int:
    """Compose byte sizes (``512M``, ``1.5g``, ``1gb``, a number of bytes) in bytes."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    m = _SIZE.match(value.strip()) if isinstance(value, str) else None
    if not m:
        raise ValueError(f"{shown(value)} is not a size (e.g. 512M, 1G, 1.5g)")
    # Decimal, not float: a 400-digit size is a (huge) whole number for the quantity check to
    # refuse, not an infinity that int() cannot take.
    return int(Decimal(m.group(1)) * _SIZE_UNITS[m.group(2).lower()])


def shown(value: object) -> str:
    """A value in a message; text holding secret variables shows their names, never values."""
    if isinstance(value, Template):
        return repr(value.render(lambda ref: "${" + ref.variable + "}"))
    return repr(value)


def go_float(value: float) -> str:
    """A float as Go prints it (``%v``), so as Compose writes a number into a string:
    ``1000``, ``0.5``, ``1e+06``, ``1.5e-05``, ``+Inf``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    mantissa, _, e = repr(abs(value)).partition("e")  # Python's repr is the shortest round trip
    whole, _, frac = mantissa.partition(".")
    digits = whole + (frac if frac != "0" else "")
    exp = (int(e) if e else 0) + len(whole) - 1 - (len(digits) - len(digits.lstrip("0")))
    digits = digits.strip("0") or "0"
    sign = "-" if value < 0 else ""
    if -4 <= exp < 6:  # Go's %v switches to an exponent outside this range
        if exp >= len(digits) - 1:
            return sign + digits + "0" * (exp - len(digits) + 1)
        if exp >= 0:
            return sign + digits[:exp + 1] + "." + digits[exp + 1:]
        return sign + "0." + "0" * (-exp - 1) + digits
    head = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{sign}{head}e{'+' if exp >= 0 else '-'}{abs(exp):02d}"
