"""The synth stage: a Plan through cdk8s to ``dist/`` (see docs/architecture.md)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

# jsii prints a banner on every run under Node 20; our users cannot act on it.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

if TYPE_CHECKING:
    from ..plan import Plan


def synthesize(plan: Plan) -> dict[str, str]:
    """Render ``plan`` through cdk8s: {file name: text} for ``dist/``."""
    from .budget import refuse_too_large
    from .environments import refuse_weakening
    from .node import check_node, guard_jsii, node_failures, node_settings
    from .output import render_files
    from .overlays import overlay_files

    # What needs no cdk8s first: the project's own errors come before Node's.
    refuse_too_large(plan)  # E-PROJECT-TOO-LARGE, before any object goes to Node (synth/budget.py)
    refuse_weakening(plan)  # before anything is rendered: an environment may not weaken the base
    overlays = overlay_files(plan)
    check_node()  # E-NODE, before jsii starts it (missing or too old)
    guard_jsii()
    with node_failures(len(plan.resources)):
        with node_settings():
            from .chart import render  # imports cdk8s, which starts Node
        manifests = render(plan)
    return {**render_files(manifests, plan), **overlays}


def write_dist(plan: Plan, out: Path) -> dict[str, str]:
    from .transaction import write_tree

    files = synthesize(plan)
    write_tree(out, files)
    return files
