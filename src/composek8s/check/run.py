"""``composek8s check``: schema, Pod Security and wiring checks over manifests or a chart.

Suppressions: an annotation ``check.composek8s.io/skip-<rule>: <reason>`` on the object;
a suppression without a reason is itself a finding.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from ..diagnostics import fail
from .contract import contract_issues
from .pss import check_pod_security
from .schema import supported_versions, validate_object
from .wiring import wiring_issues

SKIP_PREFIX = "check.composek8s.io/skip-"


@dataclass(frozen=True)
class Finding:
    file: str
    kind: str
    name: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.kind}/{self.name}: [{self.rule}] {self.message}"


@dataclass
class Source:
    file: str
    obj: dict


def load_path(path: Path, values: list[Path], helm: str | None = None) -> list[Source]:
    """The objects in a manifest file, a folder of them, or a chart (rendered by helm)."""
    if path.is_dir() and (path / "Chart.yaml").is_file():
        return _render_chart(path, values, helm)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()
                       and p.name not in ("kustomization.yaml", "kustomization.yml"))
    elif path.is_file():
        files = [path]
    else:
        raise fail("E-USAGE", f"{path} does not exist")
    sources = []
    for file in files:
        sources += _documents(file.read_text(encoding="utf-8"), str(file))
    return sources


def _documents(text: str, file: str) -> list[Source]:
    try:
        docs = list(yaml.load_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    except yaml.YAMLError as exc:
        raise fail("E-USAGE", f"{file} is not YAML: {str(exc).splitlines()[0]}") from None
    return [Source(file, d) for d in docs if isinstance(d, dict) and d.get("kind")]


def _render_chart(chart: Path, values: list[Path], helm: str | None) -> list[Source]:
    helm = helm or shutil.which("helm")
    if not helm:
        raise fail("E-USAGE", "checking a chart needs `helm` on PATH (python tests/tools/install_helm.py)")
    meta = yaml.safe_load((chart / "Chart.yaml").read_text())
    name = str(meta.get("name", "release"))
    cmd = [helm, "template", name, str(chart), "-n", name]
    for v in values:
        cmd += ["-f", str(v)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise fail("E-USAGE", f"helm template failed: {result.stderr.strip()}")
    sources = []
    for doc in result.stdout.split("\n---"):
        source = next((line.split(": ", 1)[1] for line in doc.splitlines() if line.startswith("# Source: ")), str(chart))
        sources += _documents(doc, source)
    return sources


def is_custom_resource(obj: dict) -> bool:
    """An object of a CRD (external-secrets.io, argoproj.io…): kubernetes-validate has no
    schema for it, so schema validation is left to the CRD's own tests."""
    group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    return "." in group and not group.endswith(".k8s.io")


def check_sources(sources: list[Source], versions: list[str], level: str = "restricted") -> list[Finding]:
    findings: list[Finding] = []
    objects = [s.obj for s in sources]
    wiring = wiring_issues(objects)
    for issue in contract_issues(objects):
        wiring.setdefault(issue.index, []).append(issue)
    for index, source in enumerate(sources):
        obj = source.obj
        meta = obj.get("metadata") or {}
        kind, name = str(obj.get("kind")), str(meta.get("name"))
        skips = {k[len(SKIP_PREFIX):]: v for k, v in (meta.get("annotations") or {}).items()
                 if k.startswith(SKIP_PREFIX)}
        found: list[tuple[str, str]] = []
        for version in versions if not is_custom_resource(obj) else ():
            found += [("schema", f"Kubernetes {version}: {e}") for e in validate_object(obj, version)]
        found += [(f"pss-{f.rule}", f"{f.path}: {f.message}") for f in check_pod_security(obj, level)]
        found += [(i.rule, i.message) for i in wiring.get(index, [])]
        for rule, message in found:
            reason = skips.get(rule)
            if reason is None or not str(reason).strip():
                findings.append(Finding(source.file, kind, name, rule, message))
        for rule, reason in skips.items():
            if not str(reason).strip():
                findings.append(Finding(source.file, kind, name, "suppression",
                                        f"{SKIP_PREFIX}{rule} needs a reason"))
    return findings


# The oldest Kubernetes composek8s writes for (the chart's kubeVersion, the namespace's Pod
# Security version): older releases lack fields it uses (preStop sleep, PDB eviction policy).
OLDEST_TARGET = "1.30"


def default_versions() -> list[str]:
    """The oldest Kubernetes our output targets and the newest kubernetes-validate knows."""
    return [OLDEST_TARGET, supported_versions()[-1]]


def report(findings: list[Finding], objects: int, versions: list[str], as_json: bool) -> str:
    if as_json:
        return json.dumps({"objects": objects, "kubeVersions": versions,
                           "findings": [asdict(f) for f in findings]}, indent=2) + "\n"
    lines = [str(f) for f in findings]
    return "\n".join(lines) + ("\n" if lines else "")
