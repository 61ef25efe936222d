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
    chart_version: Optional[str] = typer.Option(None, "--chart-version", help="SemVer version of the chart "
                                                "(default: kept while its content is unchanged, else the patch is bumped)."),
    check_only: bool = typer.Option(False, "--check", help="Write nothing: exit 1 with a diff when the "
                                    "output on disk is stale or hand-edited, 0 when it is current."),
    base: str = typer.Option("HEAD", "--base", help="With --check: git revision whose chart version must "
                             "have moved if the chart's content did (e.g. origin/main in a pull request)."),
    strict: bool = typer.Option(False, "--strict", help="Treat every warning as an error (exit 2, nothing "
                                "written): for CI."),
    package: Optional[Path] = typer.Option(None, "--package", help="Also write <project>-<version>.tgz "
                                           "(byte-identical on every run) into this folder."),
    namespace: Optional[str] = typer.Option(None, "--namespace", "-n", help="Namespace (default: the project name)."),
) -> None:
    """Compile compose files into Kubernetes manifests (--out) and a Helm chart (--chart-dir)."""
    from .checkcache import command_key, current, save

    options = command_key(file=file or [], env_file=env_file, profile=profile, out=out, chart_dir=chart_dir,
                          chart_version=chart_version, strict=strict, namespace=namespace)
    if check_only:
        record = current(out, chart_dir, options)
        if record is not None:  # nothing the output depends on changed: no compile
            _check_recorded(record, out, chart_dir, base)
            return

    import yaml

    from .apirules import chart_version as version_problems
    from .diagnostics import CompileError, Diagnostic, Reporter, fail
    from .helm import chart_name, package_chart, write_chart
    from .helm.versioning import recorded, unbumped, versioned_chart
    from .pipeline import compile_plan
    from .synth import synthesize
    from .inputs import Recording
    from .synth.drift import tree_diff
    from .synth.output import write_tree

    reporter = Reporter()
    recording = Recording()  # what the compile reads, for the next synth --check
    try:
        problems = version_problems(chart_version) if chart_version is not None else []
        if problems:
            raise fail("E-USAGE", f"--chart-version {chart_version!r} is not a chart version helm accepts "
                       f"(SemVer 2, e.g. 1.2.3): {'; '.join(problems)}")
        with recording:
            plan = compile_plan(file, env_files=env_file, profiles=profile, namespace=namespace,
                                reporter=reporter)
        if strict and reporter.warnings:
            promoted = [Diagnostic("error", d.code, d.message, d.position) for d in reporter.warnings]
            reporter.diagnostics = []  # printed once, as errors
            raise CompileError(promoted)
        # Render everything before writing anything, so an error leaves both trees as they were.
        files = synthesize(plan)  # from the plan alone (jsii's own files are not inputs)
        name = chart_name(plan)
        with recording:
            chart = versioned_chart(plan, chart_dir / name, chart_version)
        if check_only:
            diff = tree_diff(out, files) + tree_diff(chart_dir / name, chart)
            _print(reporter.warnings)
            stuck = unbumped(plan, chart_dir / name, chart, base)
            if stuck:
                typer.echo(diff, nl=False)
                typer.echo(stuck, err=True)
                raise typer.Exit(1)
            if diff:
                typer.echo(diff, nl=False)
                old_version, _ = recorded(chart_dir / name)
                typer.echo(f"{out}/ or {chart_dir / name}/ is not what the compose files compile to "
                           f"(chart version on disk {old_version}); run `composek8s synth` and commit "
                           "the result", err=True)
                raise typer.Exit(1)
            typer.echo(f"{out}/ and {chart_dir / name}/ are current", err=True)
            return
        write_tree(out, files)
        write_chart(chart, chart_dir / name)
        save(out, chart_dir, options, recording, name, [str(d) for d in reporter.warnings])
        if package is not None:
            version = str(yaml.safe_load(chart["Chart.yaml"])["version"])
            archive = package_chart(chart, name, version, package)
    except CompileError as exc:
        _print(reporter.warnings)
        _print(exc.diagnostics)
        raise typer.Exit(2)
    _print(reporter.warnings)
    typer.echo(f"wrote {len(files)} files to {out}/ ({len(plan.resources)} objects) and the chart "
               f"{chart_dir / name}/ ({len(chart)} files)", err=True)
    if package is not None:
        typer.echo(f"packaged {archive}", err=True)


def _check_recorded(record: dict, out: Path, chart_dir: Path, base: str) -> None:
    """``synth --check`` when the cache shows nothing changed: the recorded warnings, and the
    chart version against ``base`` (git can move while the project does not)."""
    from .diagnostics import CompileError
    from .helm.versioning import unbumped

    for line in record["warnings"]:
        typer.echo(line, err=True)
    name = record["chart"]
    chart = {"Chart.yaml": (chart_dir / name / "Chart.yaml").read_text(encoding="utf-8")}
    try:
        stuck = unbumped(None, chart_dir / name, chart, base)
    except CompileError as exc:
        _print(exc.diagnostics)
        raise typer.Exit(2)
    if stuck:
        typer.echo(stuck, err=True)
        raise typer.Exit(1)
    typer.echo(f"{out}/ and {chart_dir / name}/ are current (no input changed since the last synth)", err=True)


@app.command()
def check(
    path: Path = typer.Argument(..., help="A manifest file, a folder (its kustomizations rendered by "
                                "kubectl kustomize, base and overlays), or a chart folder."),
    values: Optional[List[Path]] = typer.Option(None, "--values", "-f", help="Values file for a chart "
                                                "(repeatable): one more render, besides the default values "
                                                "and each values-*.yaml beside the chart."),
    kube_version: Optional[List[str]] = typer.Option(None, "--kube-version", help="Kubernetes version to "
                                                     "validate against (repeatable; default: oldest and newest supported)."),
    level: str = typer.Option("restricted", "--level", help="Pod Security level: baseline or restricted."),
    output: str = typer.Option("human", "--format", help="human or json."),
) -> None:
    """Check what a path would apply: schema per Kubernetes version, Pod Security Standards,
    API-server rules, hardening and wiring."""
    from .check.run import check_renders, default_versions, load_path, report
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
        renders = load_path(path, values or [])
        findings = check_renders(renders, [v.removeprefix("v") for v in versions], level)
    except CompileError as exc:
        _print(exc.diagnostics)
        raise typer.Exit(2)
    objects = sum(len(r.sources) for r in renders)
    typer.echo(report(findings, objects, versions, output == "json", [r.label for r in renders]), nl=False)
    if output == "human":
        where = f" in {len(renders)} renders ({', '.join(r.label for r in renders)})" if len(renders) > 1 else ""
        typer.echo(f"{objects} objects{where} checked for Kubernetes {', '.join(versions)}: "
                   f"{len(findings)} finding(s)", err=True)
    raise typer.Exit(1 if findings else 0)


@app.command()
def gitops(
    repo: str = typer.Option(..., "--repo", help="Git repository Argo CD and Flux pull from: "
                             "https://HOST/PATH, ssh://[USER@]HOST/PATH or git@HOST:PATH."),
    revision: str = typer.Option("main", "--revision", help="Branch (or tag, or commit) to deploy."),
    out: Path = typer.Option(Path("gitops"), "--out", "-o", help="Output folder for the GitOps objects."),
    env: Optional[List[str]] = typer.Option(None, "--env", help="Environment (repeatable). Default: the "
                                            "folders under <dist>/overlays/, else none (the base)."),
    namespace: Optional[str] = typer.Option(None, "--namespace", "-n", help="Namespace (default: the project "
                                            "name), as given to synth."),
    file: Optional[List[Path]] = typer.Option(None, "--file", "-f", help="Compose file (repeat to merge), "
                                              "as given to synth."),
    dist: Path = typer.Option(Path("dist"), "--dist", help="synth's --out, relative to the repository root."),
    chart_dir: Path = typer.Option(Path("charts"), "--chart-dir", help="synth's --chart-dir, relative to "
                                   "the repository root."),
) -> None:
    """Write Argo CD Applications and Flux objects that deploy dist/ and the chart from git."""
    from .diagnostics import CompileError, Reporter
    from .gitops import MARKER, Delivery, discover_environments, render, repo_path, repo_url
    from .gitops import revision as checked_revision
    from .helm import chart_name
    from .pipeline import compile_plan
    from .synth.output import write_tree

    reporter = Reporter()
    try:
        url, rev = repo_url(repo), checked_revision(revision)
        base, charts = repo_path(dist.as_posix(), "--dist"), repo_path(chart_dir.as_posix(), "--chart-dir")
        plan = compile_plan(file, namespace=namespace, reporter=reporter)
        name = chart_name(plan)
        environments = discover_environments(Path(base) / "overlays", plan.namespace, env or None)
        delivery = Delivery(project=plan.project, namespace=plan.namespace, chart=name, repo=url,
                            revision=rev, base=base, overlays=f"{base}/overlays",
                            chart_path=f"{charts}/{name}", environments=environments)
        files = render(delivery)
        for wanted in [f"{base}/overlays/{e}" for e in environments] or [base]:
            if not Path(wanted).is_dir():
                typer.echo(f"warning[W-GITOPS-PATH]: {wanted}/ does not exist here: run `composek8s synth` "
                           "(with the environment in x-k8s.environments) and commit it", err=True)
        write_tree(out, files, marker=MARKER)
    except CompileError as exc:
        _print(exc.diagnostics)
        raise typer.Exit(2)
    typer.echo(f"wrote {len(files)} files to {out}/ for {', '.join(environments) or 'the base'} "
               f"({url} at {rev})", err=True)


@app.command()
def config(
    file: Optional[List[Path]] = typer.Option(None, "--file", "-f", help="Compose file (repeat to merge). "
                                              "Default: Compose's discovery in the current folder."),
    env_file: Optional[List[Path]] = typer.Option(None, "--env-file", help="Env file instead of <project dir>/.env."),
    profile: Optional[List[str]] = typer.Option(None, "--profile", help="Enable a Compose profile (repeatable)."),
) -> None:
    """Print the loaded, normalised project as JSON, shaped like `docker compose config --format json`.

    Only the fields the compiler reads are printed. Secret variables (names such as
    *_PASSWORD, *_TOKEN, *_KEY) are never read: a value that uses one is printed as
    `${NAME}` text, where Docker Compose would print the value.
    """
    import json

    from .compose.export import export_project
    from .compose.load import load_project
    from .diagnostics import CompileError, Reporter

    reporter = Reporter()
    try:
        project = load_project(list(file or []), env_files=env_file, profiles=profile, reporter=reporter)
    except CompileError as exc:
        _print(reporter.warnings)
        _print(exc.diagnostics)
        raise typer.Exit(2)
    _print(reporter.warnings)
    typer.echo(json.dumps(export_project(project), indent=2, ensure_ascii=False))


def run() -> None:
    """Console entry point: no traceback ever reaches the user for bad input."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    run()
