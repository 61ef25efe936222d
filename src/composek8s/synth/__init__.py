"""The synth stage: a Plan through cdk8s to ``dist/`` (see DESIGN.md)."""
from __future__ import annotations

import os
from pathlib import Path

# jsii prints a banner on every run under Node 20; our users cannot act on it (DESIGN.md).
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from ..plan import Plan


def synthesize(plan: Plan) -> dict[str, str]:
    """Render ``plan`` through a cdk8s app: {file name: text} for ``dist/``."""
    import cdk8s

    from .chart import ComposeChart
    from .output import render_files

    app = cdk8s.App()
    chart = ComposeChart(app, plan.project, plan=plan)
    return render_files(chart.to_json(), plan)


def write_dist(plan: Plan, out: Path) -> dict[str, str]:
    from .output import write_tree

    files = synthesize(plan)
    write_tree(out, files)
    return files
