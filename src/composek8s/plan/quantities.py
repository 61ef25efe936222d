"""Canonical Kubernetes quantities: ``512Mi``, ``500m``, never raw bytes."""
from __future__ import annotations

import math


def cpu(cores: float) -> str:
    """``1.0`` → ``1``, ``0.5`` → ``500m``, ``1.25`` → ``1250m``; at least ``1m``."""
    millis = max(1, math.ceil(round(cores * 1000, 6)))
    return str(millis // 1000) if millis % 1000 == 0 else f"{millis}m"


def memory(size: int) -> str:
    """Bytes in the largest binary unit that divides them: ``536870912`` → ``512Mi``.

    Sizes that no unit divides are rounded up to whole Mi (Ki below 1 Mi) so the output
    stays readable; that rounds a limit up by less than one unit.
    """
    for unit, factor in (("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if size >= factor and size % factor == 0:
            return f"{size // factor}{unit}"
    if size >= 2**20:
        return f"{math.ceil(size / 2**20)}Mi"
    return f"{max(1, math.ceil(size / 2**10))}Ki"


def seconds(value: float | None, default: int) -> int:
    """Probe and grace times are whole seconds, at least 1."""
    if value is None:
        return default
    return max(1, math.ceil(value))
