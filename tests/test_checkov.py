"""The Checkov security gate: no failed check on dist/, on the chart, on the chart with each
ci values file, or on the output of three public stacks (tests/stacks).

Checkov runs from its own venv (`.ci/run` makes `.venv-checkov` from
tests/tools/checkov-requirements.txt), offline: no update check, no policy download. The
checks the plan cannot meet for a compose project are exceptions made in ONE place,
src/composek8s/plan/exceptions.py, as `checkov.io/skipN` annotations with their reasons.

Resource counts are asserted, not just "no failure": Checkov's helm framework silently scans
nothing when `helm` is not on PATH, and ignoring a values file would look like a pass too.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from composek8s.plan import exceptions

ROOT = Path(__file__).resolve().parent.parent
CHART = ROOT / "charts" / "atlantiplex"
TOOLS = ROOT / "tests" / "tools" / "bin"
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
NAMESPACE = "atlantiplex"
# Kinds whose pod template Checkov also counts as a resource of its own (a nested "Pod").
POD_TEMPLATE_KINDS = {"Deployment", "DaemonSet", "Job", "ReplicaSet", "ReplicationController", "StatefulSet"}
SKIP_VALUE = re.compile(r"^(CKV_K8S_\d+)=([^=]*)$")
CI_VALUES = sorted(p.name for p in (CHART / "ci").glob("*-values.yaml"))
# Not a ci scenario: it turns a safeguard off, and Checkov must see it (so --var-file reaches
# helm, and the gate catches pods left without a NetworkPolicy).
NETWORK_POLICY_OFF = {"networkPolicy": {"enabled": False}}
NO_NETWORK_POLICY = "CKV2_K8S_6"  # "Minimize the admission of pods which lack a NetworkPolicy"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",  # no phoning home
        "PATH": f"{TOOLS}{os.pathsep}{env.get('PATH', '')}",  # the pinned helm
        # Checkov's helm framework runs `helm template` without --namespace; helm reads this.
        "HELM_NAMESPACE": NAMESPACE,
        "LOG_LEVEL": "WARNING",  # Checkov's own log level
    })
    return env


def _tool(path: Path, what: str, install: str) -> Path:
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{what} is missing: {install} (.ci/run does)")
        pytest.skip(f"{what} is missing: {install}")
    return path


def _scans(tmp: Path) -> dict[str, tuple[list[str], list[str]]]:
    """name -> (checkov arguments, helm template arguments that render the same objects)."""
    off = tmp / "network-policy-off.yaml"
    off.write_text(yaml.safe_dump(NETWORK_POLICY_OFF))
    chart = ["-d", str(CHART), "--framework", "helm"]
    scans: dict[str, tuple[list[str], list[str]]] = {
        "dist": (["-d", str(ROOT / "dist" / "base"), "--framework", "kubernetes"], []),
        "chart": (chart, []),
        "chart+network-policy-off": ([*chart, "--var-file", str(off)], ["-f", str(off)]),
    }
    for name in CI_VALUES:
        path = str(CHART / "ci" / name)
        scans[f"chart+{name}"] = ([*chart, "--var-file", path], ["-f", path])
    for name, files in STACKS.items():
        out = _synth_stack(name, files, tmp / name)
        scans[f"stack:{name}"] = (["-d", str(out), "--framework", "kubernetes"], [])
    return scans


# Public stacks (tests/stacks) whose output carries what the default project does not: a
# run-once Job with its kubectl wait, Role and RoleBinding (django-celery, with its override
# file), configs as ConfigMaps (prometheus-grafana), the unprivileged-port sysctl (wordpress).
STACKS = {"django-celery": ["compose.yaml", "compose.k8s.yaml"], "prometheus-grafana": [],
          "wordpress-mysql": []}


def _synth_stack(name: str, files: list[str], out: Path) -> Path:
    args = [sys.executable, "-m", "composek8s", "synth", "-o", str(out / "dist"), "--chart-dir", str(out / "charts")]
    for f in files:
        args += ["-f", f]
    result = subprocess.run(args, cwd=ROOT / "tests" / "stacks" / name, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return out / "dist" / "base"


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, dict]:
    """Every scan's JSON report; the scans run side by side, one per core (each spends most
    of its ~4 s importing Checkov)."""
    checkov = _tool(CHECKOV, "checkov", "python3 -m venv .venv-checkov && .venv-checkov/bin/pip "
                    "install -r tests/tools/checkov-requirements.txt")
    _tool(TOOLS / "helm", "helm", "python tests/tools/install_helm.py")
    scans = _scans(tmp_path_factory.mktemp("checkov"))

    def scan(name: str) -> dict:
        args = [str(checkov), *scans[name][0], "--skip-download", "--quiet", "--compact", "-o", "json"]
        result = subprocess.run(args, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300)
        assert result.returncode in (0, 1), f"checkov {name} exited {result.returncode}: {result.stderr[-2000:]}"
        report = json.loads(result.stdout)
        assert isinstance(report, dict), f"checkov {name}: expected one framework's report: {result.stdout[:500]}"
        stack = Path(scans[name][0][1]) if name.startswith("stack:") else None
        return {"report": report, "helm_args": scans[name][1], "dist": stack}

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return dict(zip(scans, pool.map(scan, scans)))


def _documents(paths: list[Path] | None = None, helm_args: list[str] | None = None) -> list[dict]:
    if helm_args is None:
        return [d for p in paths or [] for d in yaml.safe_load_all(p.read_text()) if d]
    result = subprocess.run([str(TOOLS / "helm"), "template", "release-name", str(CHART), "-n", NAMESPACE,
                             *helm_args], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return [d for d in yaml.safe_load_all(result.stdout) if d]


def _objects(docs: list[dict]) -> list[dict]:
    return [d for d in docs if d.get("kind") != "Kustomization"]


def _expected(docs: list[dict]) -> tuple[int, int]:
    """(Checkov's resource count, number of skip annotations) for these objects."""
    objects = _objects(docs)
    resources = len(objects) + sum(d["kind"] in POD_TEMPLATE_KINDS for d in objects)
    skips = sum(k.startswith(exceptions.SKIP_PREFIX) for d in objects
                for k in (d["metadata"].get("annotations") or {}))
    return resources, skips


def _describe(report: dict) -> str:
    return "\n".join(f"  {c['check_id']} {c['check_name']}: {c['resource']} ({c['file_path']})"
                     for c in report["results"].get("failed_checks", []))


@pytest.mark.parametrize("scan", ["dist", "chart", *[f"chart+{n}" for n in CI_VALUES],
                                  *[f"stack:{n}" for n in STACKS]])
def test_checkov_finds_no_failed_check(reports, scan):
    report = reports[scan]["report"]
    summary = report["summary"]
    assert summary["failed"] == 0, f"checkov {scan}: {summary['failed']} failed checks\n{_describe(report)}"
    _assert_counts(reports, scan)


def _assert_counts(reports: dict, scan: str) -> None:
    summary = reports[scan]["report"]["summary"]
    assert summary["parsing_errors"] == 0, f"checkov {scan}: {summary}"
    assert summary["passed"] > 0, f"checkov {scan} passed nothing: {summary}"
    if scan == "dist":
        docs = _documents(paths=sorted((ROOT / "dist" / "base").glob("*.yaml")))
    elif reports[scan]["dist"] is not None:
        docs = _documents(paths=sorted(reports[scan]["dist"].glob("*.yaml")))
    else:
        docs = _documents(helm_args=reports[scan]["helm_args"])
    resources, skips = _expected(docs)
    assert resources > 0
    assert summary["resource_count"] == resources, f"checkov {scan} scanned other objects: {summary}"
    # Every exception annotation was read and applied (none malformed, none ignored).
    assert summary["skipped"] == skips, f"checkov {scan}: {summary['skipped']} skipped, {skips} annotated"


def test_dist_has_the_objects_checkov_counted(reports):
    # 33 objects (the Namespace included; kustomization.yaml is not one) and the pod
    # templates of the 5 workloads.
    assert reports["dist"]["report"]["summary"]["resource_count"] == 38


def test_the_values_file_reaches_checkov_and_the_gate_sees_a_safeguard_off(reports):
    scan = "chart+network-policy-off"
    _assert_counts(reports, scan)
    docs = _documents(helm_args=reports[scan]["helm_args"])
    assert not any(d["kind"] == "NetworkPolicy" for d in docs)
    pods = {d["metadata"]["name"] for d in docs if d["kind"] in POD_TEMPLATE_KINDS | {"Pod"}}
    failed = reports[scan]["report"]["results"]["failed_checks"]
    assert {c["check_id"] for c in failed} == {NO_NETWORK_POLICY}, _describe(reports[scan]["report"])
    assert len(failed) == len(pods) > 0


# --- The exception annotations (no Checkov needed) -------------------------------------


def _skip_annotations(docs: list[dict]) -> list[tuple[str, str, str]]:
    return [(f"{d['kind']}/{d['metadata']['name']}", k, v) for d in _objects(docs)
            for k, v in (d["metadata"].get("annotations") or {}).items()
            if k.startswith(exceptions.SKIP_PREFIX)]


def _all_rendered_docs() -> list[dict]:
    docs = _documents(paths=sorted((ROOT / "dist" / "base").glob("*.yaml")))
    if (TOOLS / "helm").exists():
        for args in ([], *(["-f", str(CHART / "ci" / n)] for n in CI_VALUES)):
            docs += _documents(helm_args=args)
    return docs


def test_every_skip_annotation_names_a_check_and_gives_a_reason():
    found = _skip_annotations(_all_rendered_docs())
    assert found, "expected the exceptions of exceptions.py in dist/"
    known = {exceptions.IMAGE_DIGEST, exceptions.SECRETS_AS_FILES, exceptions.HIGH_UID,
             exceptions.LIVENESS_PROBE, exceptions.READINESS_PROBE}
    for obj, key, value in found:
        m = SKIP_VALUE.match(value)
        assert m, f"{obj} {key}: {value!r} is not CKV_K8S_NN=<reason> (Checkov splits at '=')"
        assert m.group(1) in known, f"{obj} {key}: {m.group(1)} has no policy in plan/exceptions.py"
        assert len(m.group(2).strip()) >= 20, f"{obj} {key}: the reason is empty or too short"


def test_exceptions_apply_only_where_their_reason_holds(compile_compose):
    digest = "sha256:" + "0" * 64
    c = compile_compose(f"""
        name: shop
        services:
          pinned:
            image: example/api:1@{digest}
            user: "10500:10500"
            environment:
              MODE: production
          tagged:
            image: example/api:1
            user: "1000:1000"
            environment:
              API_TOKEN: ${{API_TOKEN}}
    """)

    def skips(name):
        meta = c.get("Deployment", name)["metadata"]
        return {v.split("=", 1)[0]: v.split("=", 1)[1] for k, v in (meta.get("annotations") or {}).items()
                if k.startswith(exceptions.SKIP_PREFIX)}

    # A digest, a UID of 10000 or more and no secret variable: nothing to excuse.
    assert skips("pinned") == {}
    tagged = skips("tagged")
    assert sorted(tagged) == [exceptions.SECRETS_AS_FILES, exceptions.HIGH_UID, exceptions.IMAGE_DIGEST]
    assert "API_TOKEN" in tagged[exceptions.SECRETS_AS_FILES]
    assert "UID 1000 because compose sets user 1000:1000" in tagged[exceptions.HIGH_UID]
    assert "tagged.image.tag" in tagged[exceptions.IMAGE_DIGEST]
