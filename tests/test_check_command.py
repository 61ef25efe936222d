"""`composek8s check`: clean on our output, precise on tampered output, exit codes 0/1/2."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from composek8s.check.run import Source, check_sources

ROOT = Path(__file__).resolve().parent.parent
CHART = ROOT / "charts" / "atlantiplex"
HELM_BIN = ROOT / "tests" / "tools" / "bin"


def run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
           "PATH": f"{HELM_BIN}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run([sys.executable, "-m", "composek8s.cli", "check", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)


def test_dist_is_clean():
    result = run("dist")
    assert (result.returncode, result.stdout) == (0, ""), result.stdout
    assert "33 objects checked for Kubernetes 1.30, 1.37: 0 finding(s)" in result.stderr


@pytest.mark.parametrize("values", [None] + sorted(p.name for p in (CHART / "ci").glob("*.yaml")))
def test_the_chart_is_clean_with_every_scenario(values):
    if not (HELM_BIN / "helm").exists() and not os.environ.get("CI"):
        pytest.skip("helm is missing: python tests/tools/install_helm.py")
    result = run("charts/atlantiplex", *(["-f", f"charts/atlantiplex/ci/{values}"] if values else []))
    assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr


def tampered(tmp_path: Path) -> Path:
    out = tmp_path / "dist"
    shutil.copytree(ROOT / "dist", out)
    path = out / "base" / "deployment-flask-backend.yaml"
    doc = yaml.safe_load(path.read_text())
    pod = doc["spec"]["template"]["spec"]
    container = pod["containers"][0]
    container["securityContext"]["privileged"] = True
    del container["livenessProbe"]
    pod["volumes"].append({"name": "host", "hostPath": {"path": "/var/run/docker.sock"}})
    container["image"] = "atlantiplex-flask:latest"
    container["env"].append({"name": "API_TOKEN", "value": "abc"})
    path.write_text(yaml.safe_dump(doc))
    service = out / "base" / "service-redis.yaml"
    svc = yaml.safe_load(service.read_text())
    svc["spec"]["ports"][0]["targetPort"] = "nope"
    service.write_text(yaml.safe_dump(svc))
    return out


def test_a_tampered_copy_reports_each_finding(tmp_path):
    result = run(str(tampered(tmp_path)), "--format", "json")
    assert result.returncode == 1
    findings = json.loads(result.stdout)["findings"]
    rules = {(f["kind"], f["name"], f["rule"]) for f in findings}
    assert {("Deployment", "flask-backend", "pss-privileged"),
            ("Deployment", "flask-backend", "pss-restrictedVolumes"),
            ("Deployment", "flask-backend", "probe-missing"),
            ("Deployment", "flask-backend", "image-tag"),
            ("Deployment", "flask-backend", "secret-literal"),
            ("Service", "redis", "service-port")} <= rules
    human = run(str(tampered(tmp_path / "again")))
    assert human.returncode == 1
    assert "deployment-flask-backend.yaml: Deployment/flask-backend: [probe-missing] container 'flask-backend' " \
           "is long-running but has no livenessProbe" in human.stdout


def _deployment(**annotations: str) -> dict:
    doc = yaml.safe_load((ROOT / "dist" / "base" / "deployment-frontend.yaml").read_text())
    doc["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:latest"
    doc["metadata"]["annotations"] = annotations
    return doc


def test_a_suppression_needs_an_annotation_with_a_reason():
    others = [Source("x", yaml.safe_load(p.read_text())) for p in (ROOT / "dist" / "base").glob("networkpolicy-*.yaml")]
    reasoned = check_sources([Source("d.yaml", _deployment(**{"check.composek8s.io/skip-image-tag": "mirrors upstream"}))] + others, ["1.37"])
    assert [f.rule for f in reasoned] == []
    bare = check_sources([Source("d.yaml", _deployment(**{"check.composek8s.io/skip-image-tag": " "}))] + others, ["1.37"])
    assert sorted(f.rule for f in bare) == ["image-tag", "suppression"]


def test_wiring_catches_unselected_services_and_blocking_pdbs():
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ghost", "namespace": "n"},
               "spec": {"selector": {"app": "ghost"}, "ports": [{"port": 80}]}}
    pdb = {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "p", "namespace": "n"},
           "spec": {"maxUnavailable": 0, "selector": {"matchLabels": {"app": "ghost"}}}}
    rules = sorted(f.rule for f in check_sources([Source("s", service), Source("p", pdb)], ["1.37"]))
    assert rules == ["pdb-blocks", "pdb-selector", "service-selector"]


def test_usage_errors_exit_2():
    assert run("does-not-exist").returncode == 2
    assert run("dist", "--kube-version", "1.2").returncode == 2
    assert run("dist", "--format", "xml").returncode == 2
    assert "Traceback" not in run("dist", "--level", "lax").stderr
