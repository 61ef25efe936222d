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
    chart_dir: Path = typer.Option(Path("charts"), "--chart-dir", help="Folder for the Helm chart "
                                   "(written to <chart-dir>/<project>/)."),
    chart_version: str = typer.Option("0.1.0", "--chart-version", help="SemVer version of the chart."),
    package: Optional[Path] = typer.Option(None, "--package", help="Also write <project>-<version>.tgz "
                                           "(byte-identical on every run) into this folder."),
    namespace: Optional[str] = typer.Option(None, "--namespace", "-n", help="Namespace (default: the project name)."),
) -> None:
    """Compile compose files into Kubernetes manifests (--out) and a Helm chart (--chart-dir)."""
    import re

    from .diagnostics import CompileError, Reporter, fail
    from .helm import chart_name, package_chart, render_chart, write_chart
    from .pipeline import compile_plan
    from .synth import synthesize
    from .synth.output import write_tree

    reporter = Reporter()
    try:
        if not re.match(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$", chart_version):
            raise fail("E-USAGE", f"--chart-version {chart_version!r} is not a SemVer version (e.g. 1.2.3)")
        plan = compile_plan(file, env_files=env_file, profiles=profile, namespace=namespace,
                            reporter=reporter)
        # Render everything before writing anything, so an error leaves both trees as they were.
        files = synthesize(plan)
        chart = render_chart(plan, chart_version)
        name = chart_name(plan)
        write_tree(out, files)
        write_chart(chart, chart_dir / name)
        if package is not None:
            archive = package_chart(chart, name, chart_version, package)
    except CompileError as exc:
        _print(reporter.warnings)
        _print(exc.diagnostics)
        raise typer.Exit(2)
    _print(reporter.warnings)
    typer.echo(f"wrote {len(files)} files to {out}/ ({len(plan.resources)} objects) and the chart "
               f"{chart_dir / name}/ ({len(chart)} files)", err=True)
    if package is not None:
        typer.echo(f"packaged {archive}", err=True)


@app.command()
def check(
    path: Path = typer.Argument(..., help="A manifest file, a folder of manifests, or a chart folder."),
    values: Optional[List[Path]] = typer.Option(None, "--values", "-f", help="Values file for a chart (repeatable)."),
    kube_version: Optional[List[str]] = typer.Option(None, "--kube-version", help="Kubernetes version to "
                                                     "validate against (repeatable; default: oldest and newest supported)."),
    level: str = typer.Option("restricted", "--level", help="Pod Security level: baseline or restricted."),
    output: str = typer.Option("human", "--format", help="human or json."),
) -> None:
    """Check manifests: schema per Kubernetes version, Pod Security Standards, wiring."""
    from .check.run import check_sources, default_versions, load_path, report
    from .check.schema import supported_versions
    from .diagnostics import CompileError, fail

    try:
        if output not in ("human", "json"):
            raise fail("E-USAGE", f"--format must be human or json, not {output!r}")
        if level not in ("baseline", "restricted"):
            raise fail("E-USAGE", f"--level must be baseline or restricted, not {level!r}")
        versions = kube_version or default_versions()
        unknown = [v for v in versions if v.removeprefix("v") not in supported_versions()]
        if unknown:
            raise fail("E-USAGE", f"unsupported --kube-version {', '.join(unknown)} (supported: "
                       f"{', '.join(supported_versions())})")
        sources = load_path(path, values or [])
        findings = check_sources(sources, [v.removeprefix("v") for v in versions], level)
    except CompileError as exc:
        _print(exc.diagnostics)
        raise typer.Exit(2)
    typer.echo(report(findings, len(sources), versions, output == "json"), nl=False)
    if output == "human":
        typer.echo(f"{len(sources)} objects checked for Kubernetes {', '.join(versions)}: "
                   f"{len(findings)} finding(s)", err=True)
    raise typer.Exit(1 if findings else 0)


def run() -> None:
    """Console entry point: no traceback ever reaches the user for bad input."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    run()
