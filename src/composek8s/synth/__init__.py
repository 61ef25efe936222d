"""The synth stage: a Plan through cdk8s to ``dist/`` (see docs/architecture.md)."""
from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING



def _configure_node() -> None:
    """Settings for the Node.js process jsii starts (it inherits our environment).

    - jsii prints a banner on every run under Node 20; our users cannot act on it.
    - A 4 MB young generation instead of Node's 16 MB makes V8 collect the short-lived
      JSON of each object sooner: at 1,000 services the runtime peaks about 60 MB lower
      (measured 222 → 150 MB) at no measurable cost in time. A user's own setting wins.
    """
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    options = os.environ.get("NODE_OPTIONS", "")
    if "--max-semi-space-size" not in options:
        os.environ["NODE_OPTIONS"] = f"{options} --max-semi-space-size=4".strip()


_configure_node()  # before anything imports cdk8s, which starts Node

if TYPE_CHECKING:  # importing this package stays cheap: start_node runs before the plan is loaded
    from ..plan import Plan


class _EarlyStart:
    """Node.js started in a thread while the main thread loads and plans (``start_node``)."""
    thread: threading.Thread | None = None
    error: BaseException | None = None


def start_node() -> None:
    """Start cdk8s' Node.js runtime now, beside the caller, who is about to load and plan.

    jsii starts Node and loads the constructs and cdk8s assemblies on the first ``import
    cdk8s``: about 0.25 s of Node's CPU (the floor of any cdk8s app), which then runs on the
    other core while Python loads and plans instead of after it. Only this thread talks to
    jsii until ``synthesize`` joins it. A failure is kept for ``synthesize`` to report where it
    always did (after the project's own errors). A compile that fails does not wait for Node:
    the thread is a daemon, whatever it raises is kept (never printed), and Node ends with the
    process (jsii's exit handler, ``node.guard_jsii``, ends a Node still loading). Its reads
    are not inputs of the compile (``inputs.unrecorded``)."""
    if _EarlyStart.thread is not None or "cdk8s" in sys.modules:
        return

    def start() -> None:
        from ..inputs import unrecorded
        from .node import check_node, guard_jsii

        with unrecorded():
            try:
                check_node()
                guard_jsii()
                import cdk8s  # noqa: F401  (starts Node, loads the assemblies)
            except BaseException as exc:  # reported by synthesize, in the main thread
                _EarlyStart.error = exc

    from .node import _Node

    _EarlyStart.thread = _Node.starter = threading.Thread(target=start, name="composek8s-node-start", daemon=True)
    _EarlyStart.thread.start()


def _joined() -> BaseException | None:
    """Wait for ``start_node``'s thread, if any; what it raised (reported once)."""
    if _EarlyStart.thread is not None:
        _EarlyStart.thread.join()
    error, _EarlyStart.thread, _EarlyStart.error = _EarlyStart.error, None, None
    return error


def synthesize(plan: Plan) -> dict[str, str]:
    """Render ``plan`` through a cdk8s app: {file name: text} for ``dist/``."""
    from ..diagnostics import CompileError
    from .budget import refuse_too_large
    from .environments import refuse_weakening
    from .node import check_node, guard_jsii, node_failures
    from .output import render_files
    from .overlays import overlay_files

    # What needs no cdk8s first: the project's own errors come before Node's, and the early
    # start (start_node) has that much longer to finish.
    refuse_too_large(plan)  # E-PROJECT-TOO-LARGE, before any object goes to Node (synth/budget.py)
    refuse_weakening(plan)  # before anything is rendered: an environment may not weaken the base
    overlays = overlay_files(plan)
    early = _joined()  # from here on, only this thread talks to jsii
    check_node()  # E-NODE, before jsii starts it (missing or too old); again if the early check said so
    guard_jsii()
    with node_failures(len(plan.resources)):
        if early is not None and not isinstance(early, CompileError):
            raise early  # Node could not start, or died loading cdk8s: reported as E-NODE here
        import cdk8s

        from .chart import ComposeChart

        app = cdk8s.App()
        chart = ComposeChart(app, plan.project, plan=plan)
        manifests = chart.to_json()
    return {**render_files(manifests, plan), **overlays}


def write_dist(plan: Plan, out: Path) -> dict[str, str]:
    from .transaction import write_tree

    files = synthesize(plan)
    write_tree(out, files)
    return files
