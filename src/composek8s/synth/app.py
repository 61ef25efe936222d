"""The default cdk8s app: ``cdk8s synth`` (see cdk8s.yaml) runs this module.

It compiles the project in the working directory exactly as ``composek8s synth`` does and
writes to ``$CDK8S_OUTDIR`` (the cdk8s CLI's output folder, ``dist`` by default).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path


def main() -> int:
    from ..diagnostics import CompileError
    from ..pipeline import compile_plan
    from . import write_dist

    try:
        plan = compile_plan()
        write_dist(plan, Path(os.environ.get("CDK8S_OUTDIR", "dist")))
    except CompileError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
