"""load → plan in one call: what the CLI, the cdk8s app and the construct share."""
from __future__ import annotations

import os
from pathlib import Path

from .compose import load_project
from .compose.load import DEFAULT_FILES, discover
from .diagnostics import CompileError, Reporter
from .plan import Plan, build_plan

DEFAULT_COMPOSE = Path("docker/docker-compose.yml")


def default_files(cwd: Path) -> list[Path]:
    """Compose's own discovery in ``cwd``; at this repository's root, the Atlantiplex file."""
    if not any((cwd / name).is_file() for name in DEFAULT_FILES) and (cwd / DEFAULT_COMPOSE).is_file():
        return [cwd / DEFAULT_COMPOSE]
    return []


def output_root(files: list[Path] | None, cwd: Path, environ: dict[str, str] | None = None) -> Path:
    """Where ``dist/`` and ``charts/`` go when ``--out``/``--chart-dir`` are not given: the
    folder of a compose file discovered in a parent of ``cwd`` (Compose's project directory),
    never the sub-folder the command ran in (often a Docker build context, `COPY . .`). With
    ``-f``, ``COMPOSE_FILE`` or this repository's default, ``cwd`` itself."""
    environ = os.environ if environ is None else environ
    if files or environ.get("COMPOSE_FILE") or default_files(cwd):
        return cwd
    try:
        found = discover(cwd)
    except CompileError:
        return cwd  # loading reports it
    return found.parent if found.parent.resolve() != cwd.resolve() else cwd


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
