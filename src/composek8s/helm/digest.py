"""The chart's content digest and the Chart.yaml annotation that records it.

A module of its own, importing nothing heavy, so that reading a recorded digest back (from
disk or a git revision, ``versioning.py``) does not load the renderer: ``synth --check``'s
cache compares the chart with ``--base`` without compiling.
"""
from __future__ import annotations

import hashlib
import json

DIGEST_ANNOTATION = "composek8s.io/content-digest"


def content_digest(files: dict[str, str]) -> str:
    """sha256 of a chart rendered without a version (0.0.0, no digest): it changes iff the
    content does."""
    return hashlib.sha256(json.dumps(sorted(files.items())).encode("utf-8")).hexdigest()
