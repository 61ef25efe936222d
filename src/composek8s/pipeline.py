"""load → plan in one call: what the CLI, the cdk8s app and the construct share."""
from __future__ import annotations

import os
from pathlib import Path

from .compose import load_project
from .compose.load import DEFAULT_FILES
from .diagnostics import Reporter
from .plan import Plan, build_plan

DEFAULT_COMPOSE = Path("docker/docker-compose.yml")


def default_files(cwd: Path) -> list[Path]:
    """Compose's own discovery in ``cwd``; at this repository's root, the Atlantiplex file."""
    if not any((cwd / name).is_file() for name in DEFAULT_FILES) and (cwd / DEFAULT_COMPOSE).is_file():
        return [cwd / DEFAULT_COMPOSE]
    return []


def compile_plan(files: list[Path] | None = None, *, env_files: list[Path] | None = None,
                 profiles: list[str] | None = None, namespace: str | None = None,
                 cwd: Path | None = None, environ: dict[str, str] | None = None,
                 reporter: Reporter | None = None) -> Plan:
    """Load compose ``files`` (default: discovered from ``cwd``) and plan them."""
    cwd = cwd or Path.cwd()
    reporter = reporter if reporter is not None else Reporter()
    project = load_project(list(files or default_files(cwd)), env_files=env_files,
                           profiles=profiles, environ=dict(os.environ if environ is None else environ),
                           reporter=reporter, cwd=cwd)
    return build_plan(project, reporter, namespace=namespace)
