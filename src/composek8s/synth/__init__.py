"""The synth stage: a Plan through cdk8s to ``dist/`` (see docs/architecture.md)."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

# jsii prints a banner on every run under Node 20; our users cannot act on it.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@contextmanager
def _node_settings() -> Iterator[None]:
    """``NODE_OPTIONS`` for the Node.js jsii starts inside this block (it reads them once, at
    start), then the environment as it was: ``--jitless`` turns WebAssembly off, which any other
    Node program this process starts (a user's, a test's) may need.

    Node's memory, measured at 1,000 services (bench/README.md): a 2 MB young generation
    instead of Node's 16 MB makes V8 collect the short-lived JSON of each chunk sooner, and
    ``--jitless`` (V8's interpreter only) saves the compiled code. Together the tree peaked at
    283-300 MB instead of 307-337, at no measurable cost in CPU (Node spends it in
    ``JSON.parse`` and ``stringify``, which are native): 0.20-0.24 s of Node CPU for Atlantiplex
    either way, 0.95-1.09 vs 0.91-1.05 s at 1,000 services, 2.3 vs 1.7 s at 3,000. A user's own
    setting of either wins.
    """
    saved = os.environ.get("NODE_OPTIONS")
    options = saved or ""
    if "--max-semi-space-size" not in options:
        options += " --max-semi-space-size=2"
    if "jitless" not in options:
        options += " --jitless"
    os.environ["NODE_OPTIONS"] = options.strip()
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("NODE_OPTIONS", None)
        else:
            os.environ["NODE_OPTIONS"] = saved


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
        with _node_settings():
            from .chart import render  # imports cdk8s, which starts Node
        manifests = render(plan)
    return {**render_files(manifests, plan), **overlays}


def write_dist(plan: Plan, out: Path) -> dict[str, str]:
    from .transaction import write_tree

    files = synthesize(plan)
    write_tree(out, files)
    return files
