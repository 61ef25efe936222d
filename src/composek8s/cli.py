"""The ``composek8s`` command. Exit codes: 0 success, 1 checks failed, 2 usage or input error.

Diagnostics go to stderr as ``FILE:LINE:COL: severity[CODE]: message``; nothing is written
when there is an error.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Compile Docker Compose projects into hardened Kubernetes manifests.")


@app.callback()
def main() -> None:
    """Compile Docker Compose projects into hardened Kubernetes manifests."""


def _print(diagnostics) -> None:
    for diagnostic in diagnostics:
        typer.echo(str(diagnostic), err=True)


@app.command()
def synth(
    file: Optional[List[Path]] = typer.Option(None, "--file", "-f", help="Compose file (repeat to merge). "
                                              "Default: Compose's discovery, else docker/docker-compose.yml."),
    env_file: Optional[List[Path]] = typer.Option(None, "--env-file", help="Env file instead of <project dir>/.env."),
    profile: Optional[List[str]] = typer.Option(None, "--profile", help="Enable a Compose profile (repeatable)."),
    out: Path = typer.Option(Path("dist"), "--out", "-o", help="Output folder for the manifests."),
    namespace: Optional[str] = typer.Option(None, "--namespace", "-n", help="Namespace (default: the project name)."),
) -> None:
    """Compile compose files into Kubernetes manifests in --out (one file per object)."""
    from .diagnostics import CompileError, Reporter
    from .pipeline import compile_plan
    from .synth import write_dist

    reporter = Reporter()
    try:
        plan = compile_plan(file, env_files=env_file, profiles=profile, namespace=namespace,
                            reporter=reporter)
        files = write_dist(plan, out)
    except CompileError as exc:
        _print(reporter.warnings)
        _print(exc.diagnostics)
        raise typer.Exit(2)
    _print(reporter.warnings)
    typer.echo(f"wrote {len(files)} files to {out}/ ({len(plan.resources)} objects)", err=True)


def run() -> None:
    """Console entry point: no traceback ever reaches the user for bad input."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    run()
