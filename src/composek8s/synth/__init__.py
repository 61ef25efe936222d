"""The synth stage: a Plan through cdk8s to ``dist/`` (see docs/architecture.md)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING



def _configure_node() -> None:
    """Settings for the Node.js process jsii starts (it inherits our environment).

    - jsii prints a banner on every run under Node 20; our users cannot act on it.
    - Node's memory, measured at 1,000 services (bench/README.md): a 2 MB young generation
      instead of Node's 16 MB makes V8 collect the short-lived JSON of each chunk sooner, and
      ``--jitless`` (V8's interpreter only) saves the compiled code. Together the tree peaked
      at 283-300 MB instead of 307-337, at no measurable cost in CPU (Node spends it in
      ``JSON.parse`` and ``stringify``, which are native): 0.20-0.24 s of Node CPU for
      Atlantiplex either way, 0.95-1.09 vs 0.91-1.05 s at 1,000 services, 2.3 vs 1.7 s at
      3,000. A user's own setting of either wins.
    """
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    options = os.environ.get("NODE_OPTIONS", "")
    if "--max-semi-space-size" not in options:
        options = f"{options} --max-semi-space-size=2"
    if "jitless" not in options:
        options = f"{options} --jitless"
    os.environ["NODE_OPTIONS"] = options.strip()


_configure_node()  # before anything imports cdk8s, which starts Node

if TYPE_CHECKING:
    from ..plan import Plan


def synthesize(plan: Plan) -> dict[str, str]:
    """Render ``plan`` through cdk8s: {file name: text} for ``dist/``."""
    from .budget import refuse_too_large
    from .environments import refuse_weakening
    from .node import check_node, guard_jsii, node_failures
    from .output import render_files
    from .overlays import overlay_files

    # What needs no cdk8s first: the project's own errors come before Node's.
    refuse_too_large(plan)  # E-PROJECT-TOO-LARGE, before any object goes to Node (synth/budget.py)
    refuse_weakening(plan)  # before anything is rendered: an environment may not weaken the base
    overlays = overlay_files(plan)
    check_node()  # E-NODE, before jsii starts it (missing or too old)
    guard_jsii()
    with node_failures(len(plan.resources)):
        from .chart import render

        manifests = render(plan)
    return {**render_files(manifests, plan), **overlays}


def write_dist(plan: Plan, out: Path) -> dict[str, str]:
    from .transaction import write_tree

    files = synthesize(plan)
    write_tree(out, files)
    return files
