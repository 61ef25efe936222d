"""The ``composek8s`` command. Exit codes: 0 success, 1 checks failed, 2 usage or input error.

Diagnostics go to stderr as ``FILE:LINE:COL: severity[CODE]: message``; nothing is written
when there is an error.
"""
from __future__ import annotations

import os

import sys
from pathlib import Path
from typing import Annotated, List, Optional

import click
import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  context_settings={"help_option_names": ["-h", "--help"]},
                  help="Compile Docker Compose projects into hardened Kubernetes manifests.")

DISCOVERY = ("Default: Compose's discovery (compose.yaml, docker-compose.yml…, in this folder or the "
             "nearest parent that has one).")


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"composek8s {version('composek8s')}")
        except PackageNotFoundError:  # run from a source tree that was never installed
            typer.echo("composek8s (not installed: no version recorded)")
        raise typer.Exit()


@app.callback()
def main(
    show_version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                      help="Print composek8s' version and exit."),
) -> None:
    """Compile Docker Compose projects into hardened Kubernetes manifests."""


def _release_fits(name: str, chart: dict[str, str], files: dict[str, str], out: Path, reporter,
                  strict: bool) -> None:
    """W-HELM-RELEASE-SIZE when the chart's release may not fit Helm's Secret (helm/release.py);
    with --strict an error, before anything is written."""
    from .diagnostics import CompileError, Diagnostic
    from .helm.release import release_warning

    message = release_warning(name, chart, files, f"{out}/")
    if message is not None and strict:
        raise CompileError([Diagnostic("error", "W-HELM-RELEASE-SIZE", message)])
    if message is not None:
        reporter.warn("W-HELM-RELEASE-SIZE", message)


def _print(diagnostics) -> None:
    for diagnostic in diagnostics:
        typer.echo(str(diagnostic), err=True)


# The options of every command that loads a project, worded once.
ComposeFiles = Annotated[Optional[List[Path]], typer.Option("--file", "-f", help="Compose file (repeat to merge). "
                                                            + DISCOVERY)]
EnvFiles = Annotated[Optional[List[Path]], typer.Option("--env-file", help="Env file instead of <project dir>/.env.")]
Profiles = Annotated[Optional[List[str]], typer.Option("--profile", help="Enable a Compose profile (repeatable).")]
NamespaceOption = Annotated[Optional[str], typer.Option("--namespace", "-n", help="Namespace (default: the project name).")]


@app.command()
def synth(
    file: ComposeFiles = None,
    env_file: EnvFiles = None,
    profile: Profiles = None,
    out: Optional[Path] = typer.Option(None, "--out", "-o", show_default=False, help="Output folder for the "
                                       "manifests. Default: dist/ in the compose project's folder when the "
                                       "compose file was found in a parent folder, else here."),
    chart_dir: Optional[Path] = typer.Option(None, "--chart-dir", show_default=False, help="Folder for the Helm "
                                             "chart (written to <chart-dir>/<project>/). Default: charts/ beside "
                                             "dist/."),
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
    namespace: NamespaceOption = None,
) -> None:
    """Compile compose files into Kubernetes manifests (--out) and a Helm chart (--chart-dir)."""
    from .checkcache import command_key, current, save

    options = command_key(file=file or [], env_file=env_file, profile=profile, out=out, chart_dir=chart_dir,
                          chart_version=chart_version, strict=strict, namespace=namespace)
    if check_only:
        record = current(options)
        if record is not None:  # nothing the output depends on changed: no compile
            _check_recorded(record, base)
            return

    import yaml

    from .apirules import chart_version as version_problems
    from .diagnostics import CompileError, Diagnostic, Reporter, fail
    from .helm import chart_name, package_name, packaged
    from .helm.versioning import recorded, unbumped, versioned_chart
    from .nextsteps import next_steps
    from .pipeline import compile_plan, output_root
    from .progress import Progress
    from .synth import synthesize
    from .synth.node import stop_node
    from .inputs import Recording
    from .synth.changes import refuse_foreign, summary, tree_changes
    from .synth.drift import tree_diff
    from .synth.transaction import output_transaction

    reporter = Reporter()
    recording = Recording()  # what the compile reads, for the next synth --check (checkcache)
    with recording:  # where the output goes depends on the files found too
        root = output_root(file, Path.cwd())
    out = out if out is not None else _near(root / "dist")
    chart_dir = chart_dir if chart_dir is not None else _near(root / "charts")
    try:
        with Progress() as progress:
            problems = version_problems(chart_version) if chart_version is not None else []
            if problems:
                raise fail("E-USAGE", f"--chart-version {chart_version!r} is not a chart version helm accepts "
                           f"(SemVer 2, e.g. 1.2.3): {'; '.join(problems)}")
            if package is not None and os.path.lexists(package) and not package.is_dir():
                # Refused before anything is compiled or written, not when the archive is due.
                raise fail("E-OUTPUT", f"--package {package} is not a folder: it names the folder the "
                           "chart archive is written into")
            progress.stage("loading and planning the compose project")
            with recording:
                plan = compile_plan(file, env_files=env_file, profiles=profile, namespace=namespace,
                                    reporter=reporter)
            if strict and reporter.warnings:
                promoted = [Diagnostic("error", d.code, d.message, d.position) for d in reporter.warnings]
                reporter.diagnostics = []  # printed once, as errors
                raise CompileError(promoted)
            # Render everything before writing anything, so an error leaves both trees as they were.
            progress.stage(f"rendering {len(plan.resources)} objects through cdk8s")
            files = synthesize(plan)  # from the plan alone (jsii's own files are not inputs)
            stop_node()  # its memory back before the chart is rendered: this command needs it no more
            name = chart_name(plan)
            if check_only:
                progress.stage(f"rendering the chart {name}")
                with recording:
                    chart = versioned_chart(plan, chart_dir / name, chart_version)
                _release_fits(name, chart, files, out, reporter, strict)
            else:  # under the output lock: the chart's version reads the chart on disk
                targets = [out, chart_dir / name] + ([package / name] if package is not None else [])
                with output_transaction(targets) as transaction:
                    progress.stage(f"rendering the chart {name}")
                    with recording:
                        chart = versioned_chart(plan, chart_dir / name, chart_version)
                    _release_fits(name, chart, files, out, reporter, strict)
                    progress.stage("comparing with what is on disk")
                    dist_changes, chart_changes = tree_changes(out, files), tree_changes(chart_dir / name, chart)
                    refuse_foreign(out, dist_changes)
                    refuse_foreign(chart_dir / name, chart_changes)
                    if not dist_changes.unchanged:  # an unchanged tree keeps its files, inodes and mtimes
                        transaction.tree(out, files)
                    if not chart_changes.unchanged:
                        transaction.tree(chart_dir / name, chart, marker="Chart.yaml", option="--chart-dir")
                    if package is not None:
                        archive = package / package_name(name, str(yaml.safe_load(chart["Chart.yaml"])["version"]))
                        data = packaged(chart, name)
                        if not (archive.is_file() and archive.read_bytes() == data):
                            transaction.file(archive, data)
                    progress.stage("writing")
                    transaction.commit()  # dist/, the chart and the package together, or none of them
                    save(out, chart_dir, options, recording, name, [str(d) for d in reporter.warnings],
                         {out: files, chart_dir / name: chart})
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
    except CompileError as exc:
        _print(reporter.warnings)
        _print(exc.diagnostics)
        raise typer.Exit(2)
    _print(reporter.warnings)
    version = yaml.safe_load(chart["Chart.yaml"])["version"]
    if dist_changes.unchanged and chart_changes.unchanged:
        typer.echo(f"{out}/ and {chart_dir / name}/ unchanged (chart version {version}): nothing written", err=True)
    else:
        written = (f"wrote {len(files)} files to {out}/ ({len(plan.resources)} objects): {summary(dist_changes)}"
                   if not dist_changes.unchanged else f"{out}/ unchanged")
        charted = (f"the chart {chart_dir / name}/ ({len(chart)} files, version {version}): "
                   f"{summary(chart_changes, chart=True)}" if not chart_changes.unchanged
                   else f"the chart {chart_dir / name}/ unchanged (version {version})")
        typer.echo(f"{written}; {charted}", err=True)
    if plan.acknowledged:
        typer.echo(f"{len(plan.acknowledged)} reviewed warning(s) not shown (x-k8s.acknowledge)", err=True)
    if package is not None:
        typer.echo(f"packaged {archive}", err=True)
    typer.echo("\n".join(next_steps(plan, out, chart_dir / name)), err=True)


def _near(path: Path) -> Path:
    """``path`` relative to the working folder when it is inside or beside it (``../dist``)."""
    import os

    return Path(os.path.relpath(path, Path.cwd()))


def _check_recorded(record: dict, base: str) -> None:
    """``synth --check`` when the cache shows nothing changed: the recorded warnings, and the
    chart version against ``base`` (git can move while the project does not)."""
    from .diagnostics import CompileError
    from .helm.versioning import unbumped

    out, chart_dir = Path(record["out"]), Path(record["chart_dir"])

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
    path: Path = typer.Argument(..., metavar="PATH", show_default=False),
    values: Optional[List[Path]] = typer.Option(None, "--values", "-f", help="Values file for a chart "
                                                "(repeatable): one more render, besides the default values "
                                                "and each values-*.yaml beside the chart."),
    kube_version: Optional[List[str]] = typer.Option(None, "--kube-version", help="Kubernetes version to "
                                                     "validate against (repeatable; default: oldest and newest supported)."),
    level: str = typer.Option("restricted", "--level", click_type=click.Choice(["baseline", "restricted"]),
                              help="Pod Security Standards level to hold the pods to."),
    output: str = typer.Option("human", "--format", click_type=click.Choice(["human", "json"]),
                               help="Report for people (human) or programs (json)."),
) -> None:
    """Check what PATH would apply: schema per Kubernetes version, Pod Security Standards, API-server rules, hardening and wiring.

    PATH is a manifest file, a folder (each kustomization in it rendered by kubectl kustomize: the base and every overlay), or a chart folder (rendered by helm template).

    helm and kubectl are taken from PATH, else from tests/tools/bin/ (where `python tests/tools/install_helm.py` puts them) in this folder, a parent, or composek8s' own checkout.
    """
    from .check.run import check_renders, default_versions, load_path, report
    from .check.schema import supported_versions
    from .diagnostics import CompileError, fail

    try:
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
    from .synth.transaction import write_tree

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
                typer.echo(f"composek8s: warning[W-GITOPS-PATH]: {wanted}/ does not exist here: run `composek8s synth` "
                           "(with the environment in x-k8s.environments) and commit it", err=True)
        write_tree(out, files, marker=MARKER)
    except CompileError as exc:
        _print(exc.diagnostics)
        raise typer.Exit(2)
    typer.echo(f"wrote {len(files)} files to {out}/ for {', '.join(environments) or 'the base'} "
               f"({url} at {rev})", err=True)


@app.command()
def graph(
    file: ComposeFiles = None,
    env_file: EnvFiles = None,
    profile: Profiles = None,
    namespace: NamespaceOption = None,
    output: str = typer.Option("mermaid", "--format", click_type=click.Choice(["mermaid", "dot"]),
                               help="Mermaid flowchart (renders on GitHub and GitLab) or Graphviz dot."),
) -> None:
    """Print a picture of the app: workloads, Services and ports, Ingress, claims, and the network flows the NetworkPolicies allow (the diagram of dist/README.md and the chart's README)."""
    from .diagnostics import CompileError, Reporter
    from .graph import plan_objects, render
    from .pipeline import compile_plan

    reporter = Reporter()
    try:
        plan = compile_plan(file, env_files=env_file, profiles=profile, namespace=namespace, reporter=reporter)
    except CompileError as exc:
        _print(reporter.warnings)
        _print(exc.diagnostics)
        raise typer.Exit(2)
    _print(reporter.warnings)
    typer.echo(render(plan_objects(plan), output, plan.project), nl=False)


@app.command()
def config(
    file: ComposeFiles = None,
    env_file: EnvFiles = None,
    profile: Profiles = None,
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
    from .pipeline import default_files

    reporter = Reporter()
    try:
        # The files synth and gitops would compile (at this repository's root, docker/docker-compose.yml).
        project = load_project(list(file or default_files(Path.cwd())), env_files=env_file, profiles=profile,
                               reporter=reporter)
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
