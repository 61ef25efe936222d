"""Helpers the test modules share (importable because pyproject puts tests/ on the path)."""
from __future__ import annotations


def only(diagnostics, code):
    """The one diagnostic with ``code`` (fails when there are none or several)."""
    found = [d for d in diagnostics if d.code == code]
    assert len(found) == 1, f"expected one {code}, got {[str(d) for d in diagnostics]}"
    return found[0]
