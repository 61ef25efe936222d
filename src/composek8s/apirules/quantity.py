"""Kubernetes resource quantities (``512Mi``, ``250m``): parsed and written as the API server
does (k8s.io/apimachinery/pkg/api/resource, ``ParseQuantity`` and ``CanonicalizeBytes``).

Written by hand over exact fractions: the kubernetes client's ``parse_quantity`` accepts what
the API server refuses (``1K``, ``NaN``) and imports the whole client (about 0.7 s).
"""
from __future__ import annotations

import math
import re
from fractions import Fraction
from functools import lru_cache

from msgspec import Struct

# The grammar of ParseQuantity: a signed decimal number, then a suffix.
_QUANTITY = re.compile(r"^([+-]?)([0-9]*)(?:\.([0-9]*))?(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+|[numkMGTPE]?)$")
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL_SUFFIX = {v: k for k, v in _DECIMAL.items()}
_BINARY_SUFFIX = {0: "", **{v // 10: k for k, v in _BINARY.items()}}
_NANO = Fraction(1, 10**9)
_MAX = Fraction(2**63 - 1)


class Quantity(Struct, frozen=True):
    value: Fraction
    format: str  # "DecimalSI", "BinarySI" or "DecimalExponent": how it is written back


def parse(text: object) -> Quantity | None:
    """``ParseQuantity``: the quantity ``text`` (a string, or a number as JSON carries it),
    or None when the API server refuses it. Non-zero values are rounded up to the nano, as
    the API server rounds them."""
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        return None
    return _parse(type(text), text)


@lru_cache(maxsize=4096)  # a project repeats a few quantities thousands of times
def _parse(kind: type, text: str | int | float) -> Quantity | None:
    if isinstance(text, float):
        if not math.isfinite(text):
            return None
        text = repr(text)  # how Go writes the number JSON carried: 0.5, 1e+23
    text = str(text)
    m = _QUANTITY.match(text)
    if not m or not (m.group(2) or m.group(3)):
        return None
    sign, whole, fraction, suffix = m.group(1), m.group(2) or "0", m.group(3) or "", m.group(4)
    value = Fraction(int(whole + fraction), 10 ** len(fraction))
    if suffix in _BINARY:
        value *= 2 ** _BINARY[suffix]
        form = "BinarySI"
    elif suffix[:1] in ("e", "E"):
        value *= Fraction(10) ** int(suffix[1:])
        form = "DecimalExponent"
    else:
        value *= Fraction(10) ** _DECIMAL[suffix]
        form = "DecimalSI"
    if value and value % _NANO:
        value = (value // _NANO + 1) * _NANO  # RoundUp: some resource, however small the ask
    if form == "BinarySI" and value > _MAX:
        value = _MAX
    if form == "BinarySI" and 0 < value < 1:
        form = "DecimalSI"
    return Quantity(-value if sign == "-" else value, form)


def canonical(quantity: Quantity) -> str:
    """``CanonicalizeBytes``: how the API server writes ``quantity`` back (``1.5Gi`` →
    ``1536Mi``, ``0.5`` → ``500m``): the largest suffix of its kind with a whole mantissa."""
    value, form = quantity.value, quantity.format
    if value == 0:
        return "0"
    if form == "BinarySI" and (abs(value) < 1024 or value.denominator != 1):
        form = "DecimalSI"  # below 1Ki, or fractional: binary suffixes would round
    if form == "BinarySI":
        number, power = int(value), 0
        while number % 1024 == 0 and power < max(_BINARY_SUFFIX):
            number, power = number // 1024, power + 1
        return f"{number}{_BINARY_SUFFIX[power]}"
    # Mantissa × 10^exponent with no trailing zeros, the exponent lowered to a multiple of 3.
    exponent = 0
    while value.denominator != 1:
        value, exponent = value * 10, exponent - 1
    number = int(value)
    while number % 10 == 0:
        number, exponent = number // 10, exponent + 1
    shift = exponent % 3
    number, exponent = number * 10**shift, exponent - shift
    if form == "DecimalSI" and exponent in _DECIMAL_SUFFIX:
        return f"{number}{_DECIMAL_SUFFIX[exponent]}"
    return f"{number}e{exponent}" if exponent else str(number)


def problems(text: object, nonnegative: bool = True) -> list[str]:
    """A quantity field: parseable (``ParseQuantity``), at least 0 for resources
    (``ValidateResourceQuantityValue``), and written canonically: the API server stores the
    canonical form, so any other spelling shows up as a diff in every GitOps sync."""
    parsed = parse(text)
    if parsed is None:
        return [f"{text!r} is not a quantity (e.g. 500m, 256Mi, 1Gi)"]
    if nonnegative and parsed.value < 0:
        return [f"{text!r} must be 0 or more"]
    written = canonical(parsed)
    if written != str(text):
        return [f"{text!r} is written {written!r} by the API server: write it so"]
    return []
