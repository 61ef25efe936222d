"""What to do after ``synth``: a few lines a newcomer can run in order.

The Secret line names keys only (``--from-literal=KEY="$KEY"``): no value is ever known to the
compiler, and none may be printed. Paths are as the user would type them from where they ran
the command.
"""
from __future__ import annotations

import os
from pathlib import Path

from .plan import Plan


def _shown(path: Path, cwd: Path) -> str:
    """``path`` as typed from ``cwd``: relative when that is shorter."""
    try:
        relative = os.path.relpath(path.resolve(), cwd.resolve())
    except ValueError:  # another drive on Windows
        return path.as_posix()
    return Path(relative).as_posix() if len(relative) < len(str(path.resolve())) else path.resolve().as_posix()


def next_steps(plan: Plan, out: Path, chart: Path, cwd: Path | None = None) -> list[str]:
    """The commands to run next, one per line, for ``dist`` at ``out`` and the chart at ``chart``."""
    cwd = cwd or Path.cwd()
    dist, chart_path, ns = _shown(out, cwd), _shown(chart, cwd), plan.namespace
    lines = ["next steps:", f"  kubectl create namespace {ns}"]
    by_secret: dict[str, list[str]] = {}
    for key in plan.secret_keys:
        by_secret.setdefault(key.secret, []).append(key.key)
    external = any(r.kind == "ExternalSecret" for r in plan.resources)
    for secret, keys in by_secret.items():
        if external:
            lines.append(f"  # {secret}: the External Secrets Operator creates it from your store "
                         f"({', '.join(keys)})")
            continue
        literals = " ".join(f'--from-literal={k}="${k}"' for k in keys)
        lines.append(f"  kubectl create secret generic {secret} -n {ns} {literals}")
    lines.append(f"  kubectl apply -k {dist}/" + (f"  (or an environment: kubectl apply -k {dist}/overlays/"
                                                   f"{sorted(plan.environments)[0]})" if plan.environments else ""))
    lines.append(f"  # or with Helm: helm install {chart.name} {chart_path} -n {ns}")
    lines.append(f"  composek8s check {dist}/ && composek8s check {chart_path}   # before you commit")
    return lines
