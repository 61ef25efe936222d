"""The default cdk8s app: ``cdk8s synth`` (see cdk8s.yaml) runs this module.

It compiles the project in the working directory exactly as ``composek8s synth`` does, prints
the same diagnostics (warnings too: the cdk8s CLI shows the app's stderr), and writes
``dist/`` to ``$CDK8S_OUTDIR`` (the cdk8s CLI's output folder, ``dist`` by default). It does
not write the Helm chart (``charts/``), bump its version or check drift: that is
``composek8s synth``.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path


def main() -> int:
    from ..diagnostics import CompileError, Reporter
    from ..pipeline import compile_plan
    from . import synthesize
    from .node import stop_node
    from .changes import refuse_foreign, tree_changes
    from .transaction import write_tree

    reporter = Reporter()
    out = Path(os.environ.get("CDK8S_OUTDIR", "dist"))
    try:
        plan = compile_plan(reporter=reporter)
        files = synthesize(plan)
        stop_node()  # the app renders nothing more through Node
        changes = tree_changes(out, files)
        refuse_foreign(out, changes)  # as composek8s synth: never delete a file we did not write
        if not changes.unchanged:
            write_tree(out, files)
    except CompileError as exc:
        for diagnostic in [*reporter.warnings, *exc.diagnostics]:
            print(diagnostic, file=sys.stderr)
        return 2
    for diagnostic in reporter.warnings:
        print(diagnostic, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
