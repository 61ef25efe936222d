"""Helpers the test modules share (importable because pyproject puts tests/ on the path)."""
from __future__ import annotations


def only(diagnostics, code):
    """The one diagnostic with ``code`` (fails when there are none or several)."""
    found = [d for d in diagnostics if d.code == code]
    assert len(found) == 1, f"expected one {code}, got {[str(d) for d in diagnostics]}"
    return found[0]


# Labels Helm adds and dist/ does not have: left out when a rendered chart is compared with dist/.
BOOKKEEPING = ("helm.sh/chart", "app.kubernetes.io/managed-by")


def strip_bookkeeping(data: object) -> object:
    """``data`` without Helm's bookkeeping labels, at any depth."""
    if isinstance(data, dict):
        return {k: strip_bookkeeping(v) for k, v in data.items() if k not in BOOKKEEPING}
    if isinstance(data, list):
        return [strip_bookkeeping(v) for v in data]
    return data
