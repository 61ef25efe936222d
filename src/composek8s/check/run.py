"""``composek8s check``: schema, Pod Security, API-server, hardening and wiring checks over
everything a path would apply.

What is checked is what would reach the cluster: a folder's kustomizations as ``kubectl
kustomize`` renders each one (the base and every overlay), a chart as ``helm template``
renders it with its default values, with each ``values-*.yaml`` beside it and with the ``-f``
files, and plain manifest files as they are. Each render is checked as one set (the wiring
and hardening rules look across it). A path with no Kubernetes object is an error
(``E-CHECK-EMPTY``): a mistyped path in CI must not pass.

Suppressions: an annotation ``check.composek8s.io/skip-<rule>: <reason>`` on the object;
a suppression without a reason is itself a finding.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import yaml
from msgspec import Struct, field, structs

from ..apirules import object_problems
from ..compose.yamlsrc import Document, read_documents
from ..diagnostics import CompileError, Diagnostic, Position, fail
from .contract import contract_issues
from .hardening import hardening_issues
from .pss import check_pod_security
from .schema import format_path, supported_versions, validate_object
from .shapes import shape_problems
from .wiring import wiring_issues

SKIP_PREFIX = "check.composek8s.io/skip-"
KUSTOMIZATIONS = ("kustomization.yaml", "kustomization.yml", "Kustomization")
ORIGIN = "config.kubernetes.io/origin"  # where kustomize's originAnnotations say an object came from


class Finding(Struct, frozen=True):
    file: str
    kind: str
    name: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.kind}/{self.name}: [{self.rule}] {self.message}"


class Source(Struct):
    file: str
    obj: dict


class Render(Struct):
    """Objects applied together: a folder's loose files, one kustomization as kustomize
    renders it, or a chart rendered with one set of values."""

    label: str
    sources: list[Source]
    findings: list[Finding] = field(default_factory=list)  # about the render as a whole


def load_path(path: Path, values: list[Path], helm: str | None = None) -> list[Render]:
    """Every render a manifest file, a folder or a chart holds (see the module docstring)."""
    if path.is_file() and path.name in KUSTOMIZATIONS:
        path = path.parent
    if path.is_dir():
        renders = _load_folder(path, values, helm)
    elif os.path.lexists(path):  # a file, or a FIFO or device the reader refuses
        renders = [Render(str(path), _file_sources(path))]
    else:
        raise fail("E-USAGE", f"{path} does not exist")
    if not any(r.sources for r in renders):
        raise fail("E-CHECK-EMPTY", f"{path} holds no Kubernetes object (no YAML document with a kind, "
                   "no kustomization, no chart): nothing was checked")
    return [r for r in renders if r.sources]


def _load_folder(folder: Path, values: list[Path], helm: str | None) -> list[Render]:
    charts, roots, files = _discover(folder)
    loose = Render(str(folder), [s for f in files for s in _file_sources(f)])
    # (label, command, how to read its output: kustomize's (root, wrapper); for a chart, the chart
    # when it is rendered with its defaults, else None)
    jobs: list[tuple[str, list[str], object]] = []
    with tempfile.TemporaryDirectory(prefix="composek8s-check-") as tmp:
        if roots:
            kubectl = _tool("kubectl", "checking kustomizations")
            for n, root in enumerate(r for r in roots if not _alias(r, roots)):
                wrapper = _origin_wrapper(root, Path(tmp) / f"k{n}")
                jobs.append((str(root), [kubectl, "kustomize", str(wrapper)], (root, wrapper)))
        if charts:
            helm = helm or _tool("helm", "checking a chart")
            for chart in charts:
                for label, files_ in _value_sets(chart, values):
                    # With its defaults, the chart is what `helm install` stores (its release's size).
                    jobs.append((label, _helm_template(helm, chart, files_), chart if not files_ else None))
        outputs = _run_all([command for _, command, _ in jobs])
        kustomized, rendered = [], []
        for (label, command, how), (code, out, err) in zip(jobs, outputs):
            if code != 0:
                raise fail("E-USAGE", f"`{' '.join(command[1:3])}` failed for {label}: {err.strip()}")
            if isinstance(how, tuple):
                kustomized.append(Render(label, _kustomized(out, *how)))
            else:
                rendered.append(Render(label, _chart_sources(out, label),
                                       _release_findings(how, out) if how is not None else []))
    return [loose, *_distinct(kustomized), *rendered]


def _release_findings(chart: Path, manifest: str) -> list[Finding]:
    """helm-release-size: the release of ``chart`` (rendered to ``manifest``) may not fit the
    Secret Helm stores it in (helm/release.py); its files are read only when it may."""
    from ..helm.release import may_not_fit, too_large

    paths = sorted(p for p in chart.rglob("*") if p.is_file())
    sizes = {p.relative_to(chart).as_posix(): p.stat().st_size for p in paths}

    def files() -> dict[str, bytes]:
        return {p.relative_to(chart).as_posix(): p.read_bytes() for p in paths}

    if not may_not_fit(chart.name, sizes, files, [manifest]):
        return []
    return [Finding(str(chart / "Chart.yaml"), "Chart", chart.name, "helm-release-size",
                    f"{too_large(chart.name)}; split the project, or install with Helm's SQL storage "
                    "(HELM_DRIVER=sql)")]


def _discover(folder: Path) -> tuple[list[Path], list[Path], list[Path]]:
    """Charts, kustomization folders, and the YAML files under neither, sorted."""
    charts, roots, files = [], [], []
    for here, dirs, names in os.walk(folder):
        dirs.sort()
        current = Path(here)
        if "Chart.yaml" in names:
            charts.append(current)
            dirs[:] = []  # a chart's templates are not manifests
            continue
        if any(k in names for k in KUSTOMIZATIONS):
            roots.append(current)
        inside = any(current == r or r in current.parents for r in roots)
        if not inside:
            files += [current / n for n in sorted(names) if n.endswith((".yaml", ".yml"))]
    return charts, roots, files


def _alias(root: Path, roots: list[Path]) -> bool:
    """A kustomization that only names another of ``roots`` (``dist/`` is ``dist/base``):
    it renders the same objects, so it is not rendered twice."""
    file = next(root / k for k in KUSTOMIZATIONS if os.path.lexists(root / k))
    docs = read_documents(file, str(file))  # a FIFO or a bomb is refused here, not in kubectl
    data = docs[0].data if docs else None
    if not isinstance(data, dict) or set(data) - {"apiVersion", "kind", "resources"}:
        return False
    resources = data.get("resources")
    return isinstance(resources, list) and len(resources) == 1 and isinstance(resources[0], str) \
        and (root / resources[0]).resolve() in {r.resolve() for r in roots if r != root}


PROJECT_TOOLS = Path("tests") / "tools" / "bin"  # where tests/tools/install_helm.py installs helm and kubectl


def tool_folders(cwd: Path | None = None) -> list[Path]:
    """Where a project-installed helm or kubectl may be, besides PATH: ``tests/tools/bin`` in
    the working folder or a parent (a checkout of this repository), and in the checkout this
    package runs from (an editable install)."""
    here = (cwd or Path.cwd()).resolve()
    folders = [folder / PROJECT_TOOLS for folder in (here, *here.parents)]
    folders.append(Path(__file__).resolve().parents[3] / PROJECT_TOOLS)
    return list(dict.fromkeys(folders))


def _tool(name: str, why: str) -> str:
    """``name`` on PATH, else next to ``helm`` on PATH, else where this project installs it."""
    found = shutil.which(name)
    helm = shutil.which("helm")
    if found is None and helm and (Path(helm).parent / name).is_file():
        found = str(Path(helm).parent / name)
    for folder in tool_folders() if found is None else []:
        if os.access(folder / name, os.X_OK) and (folder / name).is_file():
            found = str(folder / name)
            break
    if found is None:
        raise fail("E-USAGE", f"{why} needs `{name}`: none on PATH nor in tests/tools/bin/ (of this folder, "
                   "its parents, or composek8s' own checkout); `python tests/tools/install_helm.py` "
                   "installs helm and kubectl there, or put them on PATH")
    return found


def _origin_wrapper(root: Path, wrapper: Path) -> Path:
    """A kustomization that renders ``root`` unchanged but for an annotation on each object
    naming the file it came from (kustomize's ``buildMetadata: [originAnnotations]``)."""
    wrapper.mkdir(parents=True)
    relative = os.path.relpath(root.resolve(), wrapper)  # kustomize refuses absolute resource paths
    (wrapper / "kustomization.yaml").write_text(yaml.safe_dump(
        {"resources": [relative], "buildMetadata": ["originAnnotations"]}), encoding="utf-8")
    return wrapper


def _kustomized(text: str, root: Path, wrapper: Path) -> list[Source]:
    sources = []
    for source in _documents(text, str(root)):
        meta = source.obj.get("metadata") or {}
        annotations = meta.get("annotations") or {}
        origin = yaml.safe_load(annotations.pop(ORIGIN, "") or "") or {}
        if not annotations and "annotations" in meta:
            del meta["annotations"]
        if isinstance(origin, dict) and origin.get("path"):
            file = Path(os.path.normpath(wrapper / origin["path"]))
            shown = os.path.relpath(file) if not os.path.relpath(file).startswith("..") else str(file)
            source.file = shown if file.parent == root.resolve() else f"{shown} via {root}"
        sources.append(source)
    return sources


def _distinct(renders: list[Render]) -> list[Render]:
    """One of kustomizations that render the same objects (``dist/`` is ``dist/base``): the
    most specific folder's."""
    kept: dict[str, Render] = {}
    for render in sorted(renders, key=lambda r: (-len(Path(r.label).parts), r.label)):
        kept.setdefault(json.dumps([s.obj for s in render.sources], sort_keys=True, default=str), render)
    return sorted(kept.values(), key=lambda r: r.label)


def _value_sets(chart: Path, values: list[Path]) -> list[tuple[str, list[Path]]]:
    """The chart with its defaults, with each values-*.yaml beside it, and with the -f files."""
    sets = [(str(chart), [])] + [(f"{chart} with {v.name}", [v]) for v in sorted(chart.glob("values-*.yaml"))]
    if values:
        sets.append((f"{chart} with {', '.join(str(v) for v in values)}", list(values)))
    return sets


def _helm_template(helm: str, chart: Path, values: list[Path]) -> list[str]:
    docs = read_documents(chart / "Chart.yaml", str(chart / "Chart.yaml"))  # bounded, as a manifest
    meta = (docs[0].data if docs else None) or {}
    name = str(meta.get("name", "release")) if isinstance(meta, dict) else "release"
    command = [helm, "template", name, str(chart), "-n", name]
    for v in values:
        command += ["-f", str(v)]
    return command


def _run_all(commands: list[list[str]]) -> list[tuple[int, str, str]]:
    """Run ``commands`` side by side (each render is its own kubectl or helm process)."""
    if not commands:
        return []
    from concurrent.futures import ThreadPoolExecutor

    def run(command: list[str]) -> tuple[int, str, str]:
        result = subprocess.run(command, capture_output=True, text=True)
        return result.returncode, result.stdout, result.stderr

    with ThreadPoolExecutor(max_workers=min(8, len(commands))) as pool:
        return list(pool.map(run, commands))


def _file_sources(path: Path) -> list[Source]:
    """The objects of a manifest file the user gave, read as compose files are (the guarded
    reader and the bounded YAML loader: regular files only, size, depth, alias bombs,
    UTF-8), each object's shape checked at its line."""
    display = str(path)
    docs = read_documents(path, display)
    _refuse_shapes([(d.data, d) for d in docs], display)
    return [Source(display, d.data) for d in docs if isinstance(d.data, dict) and d.data.get("kind")]


def _documents(text: str, file: str) -> list[Source]:
    """The objects of what kubectl kustomize or helm template printed (no line numbers to
    point at: the tools wrote the text)."""
    try:
        docs = list(yaml.load_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    except yaml.YAMLError as exc:
        raise fail("E-USAGE", f"{file} is not YAML: {str(exc).splitlines()[0]}") from None
    _refuse_shapes([(d, None) for d in docs], file)
    return [Source(file, d) for d in docs if isinstance(d, dict) and d.get("kind")]


def _refuse_shapes(docs: list[tuple[object, Document | None]], file: str) -> None:
    """``E-CHECK-SHAPE`` for every mapping or list the rules would walk that is something
    else (``containers: "nginx"``), before any rule reads the object."""
    errors = []
    for data, doc in docs:
        if not isinstance(data, dict) or not data.get("kind"):
            continue
        for path, message in shape_problems(data):
            where = doc.at(*path) if doc else Position(file)
            errors.append(Diagnostic("error", "E-CHECK-SHAPE", f"{format_path(path)}: {message}", where))
    if errors:
        raise CompileError(errors)


def _chart_sources(text: str, label: str) -> list[Source]:
    suffix = label.partition(" with ")[2]
    sources = []
    for doc in text.split("\n---"):
        source = next((line.split(": ", 1)[1] for line in doc.splitlines() if line.startswith("# Source: ")), label)
        sources += _documents(doc, f"{source} with {suffix}" if suffix else source)
    return sources


def is_custom_resource(obj: dict) -> bool:
    """An object of a CRD (external-secrets.io, argoproj.io…): kubernetes-validate has no
    schema for it, so schema validation is left to the CRD's own tests."""
    group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    return "." in group and not group.endswith(".k8s.io")


def check_renders(renders: list[Render], versions: list[str], level: str = "restricted") -> list[Finding]:
    """Every render checked as its own set of objects."""
    memo: dict = {}  # schema errors by object content: overlays repeat most of their base
    return [f for render in renders
            for f in [*check_sources(render.sources, versions, level, memo), *render.findings]]


def check_sources(sources: list[Source], versions: list[str], level: str = "restricted",
                  memo: dict | None = None, secrets: bool = True,
                  same_objects: dict | None = None) -> list[Finding]:
    """Findings on one set of objects applied together (``versions``: the Kubernetes versions
    whose schemas to validate against; none skips schema validation; ``secrets``: scan
    annotations and ConfigMap data for credentials; ``same_objects``: the rules of one object
    alone by object identity, for callers that check the same unchanged objects in several
    sets and keep them alive and unchanged meanwhile, as synth's environments' check does)."""
    findings: list[Finding] = []
    objects = [s.obj for s in sources]
    wiring = wiring_issues(objects, secrets)
    for issue in contract_issues(objects):
        wiring.setdefault(issue.index, []).append(issue)
    across = [wiring, hardening_issues(objects)]
    memo = {} if memo is None else memo
    for index, source in enumerate(sources):
        obj = source.obj
        meta = obj.get("metadata") or {}
        kind, name = str(obj.get("kind")), str(meta.get("name"))
        skips = {k[len(SKIP_PREFIX):]: v for k, v in (meta.get("annotations") or {}).items()
                 if k.startswith(SKIP_PREFIX)}
        found: list[tuple[str, str]] = []
        if versions and not is_custom_resource(obj):
            found += _schema_errors(obj, versions, memo)
        alone = same_objects.get((id(obj), level)) if same_objects is not None else None
        if alone is None:
            alone = [(f"pss-{f.rule}", f"{f.path}: {f.message}") for f in check_pod_security(obj, level)]
            alone += [(p.rule, f"{format_path(p.path)}: {p.message}") for p in object_problems(obj)]
            if same_objects is not None:
                same_objects[(id(obj), level)] = alone
        found += alone
        found += [(i.rule, i.message) for issues in across for i in issues.get(index, [])]
        for rule, message in found:
            reason = skips.get(rule)
            if reason is None or not str(reason).strip():
                findings.append(Finding(source.file, kind, name, rule, message))
        for rule, reason in skips.items():
            if not str(reason).strip():
                findings.append(Finding(source.file, kind, name, "suppression",
                                        f"{SKIP_PREFIX}{rule} needs a reason"))
    return findings


def _schema_errors(obj: dict, versions: list[str], memo: dict) -> list[tuple[str, str]]:
    """Schema findings, computed once per content: the namespace is left out of the key (the
    schema only asks it to be a string), so an overlay's copy in another namespace is free."""
    meta = obj.get("metadata")
    namespace = meta.get("namespace") if isinstance(meta, dict) else None
    if isinstance(namespace, str):
        obj = {**obj, "metadata": {k: v for k, v in meta.items() if k != "namespace"}}
    key = (tuple(versions), json.dumps(obj, sort_keys=True, default=str))
    if key not in memo:
        memo[key] = [("schema", f"Kubernetes {version}: {e}") for version in versions
                     for e in validate_object(obj, version)]
    return memo[key]


# The oldest Kubernetes composek8s writes for (the chart's kubeVersion, the namespace's Pod
# Security version): older releases lack fields it uses (preStop sleep, PDB eviction policy).
OLDEST_TARGET = "1.30"


def default_versions() -> list[str]:
    """The oldest Kubernetes our output targets and the newest kubernetes-validate knows."""
    return [OLDEST_TARGET, supported_versions()[-1]]


def report(findings: list[Finding], objects: int, versions: list[str], as_json: bool,
           renders: list[str] | None = None) -> str:
    if as_json:
        return json.dumps({"objects": objects, "kubeVersions": versions, "renders": renders or [],
                           "findings": [structs.asdict(f) for f in findings]}, indent=2) + "\n"
    lines = [str(f) for f in findings]
    return "\n".join(lines) + ("\n" if lines else "")
