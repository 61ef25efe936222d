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
    """dist/ as kustomize renders it: the base (dist/ renders the same objects) and each overlay."""
    result = run("dist")
    assert (result.returncode, result.stdout) == (0, ""), result.stdout
    assert ("132 objects in 4 renders (dist/base, dist/overlays/dev, dist/overlays/production, "
            "dist/overlays/staging) checked for Kubernetes 1.30, 1.37: 0 finding(s)") in result.stderr


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


# --- what check must see: every render, every rule -----------------------------------------------

def _edit(path: Path, change) -> None:
    doc = yaml.safe_load(path.read_text())
    change(doc)
    path.write_text(yaml.safe_dump(doc))


def _pod(doc: dict) -> dict:
    return doc["spec"]["template"]["spec"]


def _no_default_deny(out: Path) -> None:
    (out / "base" / "networkpolicy-default-deny.yaml").unlink()
    _edit(out / "base" / "kustomization.yaml", lambda k: k["resources"].remove("networkpolicy-default-deny.yaml"))


def _overlay_patch(out: Path, path: str, value: object) -> None:
    patch = {"target": {"group": "apps", "version": "v1", "kind": "Deployment", "name": "frontend"},
             "patch": yaml.safe_dump([{"op": "replace", "path": path, "value": value}])}
    _edit(out / "overlays" / "production" / "kustomization.yaml", lambda k: k.setdefault("patches", []).append(patch))


FRONTEND = "base/deployment-frontend.yaml"
# Tampered copies of dist/: what to change, and the finding (object, rule) it must give.
TAMPERS = {
    "default-deny deleted": (_no_default_deny, ("Deployment", "frontend", "default-deny")),
    "writable root": (lambda o: _edit(o / FRONTEND, lambda d: _pod(d)["containers"][0]["securityContext"].update(
        readOnlyRootFilesystem=False)), ("Deployment", "frontend", "read-only-root-filesystem")),
    "token mounted": (lambda o: _edit(o / FRONTEND, lambda d: _pod(d).update(automountServiceAccountToken=True)),
                      ("Deployment", "frontend", "automount-token")),
    "service account token": (lambda o: _edit(o / "base/serviceaccount-redis.yaml",
                                              lambda d: d.update(automountServiceAccountToken=True)),
                              ("ServiceAccount", "redis", "automount-token")),
    "data store open to all": (lambda o: _edit(o / "base/networkpolicy-postgres.yaml",
                                               lambda d: d["spec"].update(ingress=[{}])),
                               ("NetworkPolicy", "postgres", "data-store-open")),
    "privileged in an overlay": (lambda o: _overlay_patch(o, "/spec/template/spec/containers/0/securityContext/privileged",
                                                          True), ("Deployment", "frontend", "pss-privileged")),
    "replicas 1e23": (lambda o: _edit(o / FRONTEND, lambda d: d["spec"].update(replicas=1e23)),
                      ("Deployment", "frontend", "api-range")),
    "runAsUser 2^32": (lambda o: _edit(o / FRONTEND, lambda d: _pod(d)["securityContext"].update(runAsUser=2**32)),
                       ("Deployment", "frontend", "api-range")),
    "env name A=B": (lambda o: _edit(o / FRONTEND, lambda d: _pod(d)["containers"][0].setdefault("env", []).append(
        {"name": "A=B", "value": "x"})), ("Deployment", "frontend", "api-env")),
    "protocol ICMP": (lambda o: _edit(o / "base/service-frontend.yaml",
                                      lambda d: d["spec"]["ports"][0].update(protocol="ICMP")),
                      ("Service", "frontend", "api-protocol")),
    "request over limit": (lambda o: _edit(o / FRONTEND, lambda d: _pod(d)["containers"][0]["resources"]["requests"].update(
        memory="64Gi")), ("Deployment", "frontend", "api-quantity")),
    "part-of label of 64": (lambda o: _edit(o / "base/serviceaccount-frontend.yaml", lambda d: d["metadata"]["labels"].update(
        {"app.kubernetes.io/part-of": "n" * 64})), ("ServiceAccount", "frontend", "api-label")),
    "preStop past the grace period": (lambda o: _edit(o / FRONTEND, lambda d: _pod(d).update(
        terminationGracePeriodSeconds=2)), ("Deployment", "frontend", "api-spec")),
}


@pytest.mark.parametrize("case", sorted(TAMPERS))
def test_a_tampered_copy_names_the_rule(case, tmp_path):
    out = tmp_path / "dist"
    shutil.copytree(ROOT / "dist", out)
    change, (kind, name, rule) = TAMPERS[case]
    change(out)
    result = run(str(out), "--format", "json")
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert (kind, name, rule) in {(f["kind"], f["name"], f["rule"]) for f in findings}, findings


def test_an_overlay_finding_names_the_file_and_the_overlay(tmp_path):
    out = tmp_path / "dist"
    shutil.copytree(ROOT / "dist", out)
    _overlay_patch(out, "/spec/template/spec/containers/0/image", "nginx:latest")
    result = run(str(out))
    assert result.returncode == 1
    [line] = result.stdout.splitlines()  # the base is clean: only the production render has it
    assert line.startswith(f"{out}/base/deployment-frontend.yaml via {out}/overlays/production: "
                           "Deployment/frontend: [image-tag]"), line


def test_a_new_rule_keeps_its_escape(tmp_path):
    out = tmp_path / "dist"
    shutil.copytree(ROOT / "dist", out)

    def writable(doc: dict) -> None:
        _pod(doc)["containers"][0]["securityContext"]["readOnlyRootFilesystem"] = False
        doc["metadata"].setdefault("annotations", {})[
            "check.composek8s.io/skip-read-only-root-filesystem"] = "nginx writes its cache; measured"
    _edit(out / FRONTEND, writable)
    result = run(str(out))
    assert (result.returncode, result.stdout) == (0, ""), result.stdout


def test_an_overlay_folder_is_rendered_with_its_base():
    result = run("dist/overlays/production")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "33 objects checked" in result.stderr


@pytest.mark.parametrize("where", ["empty", "docs", "compose"])
def test_a_path_without_kubernetes_objects_is_an_error(where, tmp_path):
    path = {"empty": tmp_path, "docs": ROOT / "docs", "compose": ROOT / "docker" / "docker-compose.yml"}[where]
    result = run(str(path))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "error[E-CHECK-EMPTY]" in result.stderr and "Traceback" not in result.stderr


def test_a_chart_is_checked_with_each_values_file_beside_it(tmp_path):
    if not (HELM_BIN / "helm").exists() and not os.environ.get("CI"):
        pytest.skip("helm is missing: python tests/tools/install_helm.py")
    chart = tmp_path / "atlantiplex"
    shutil.copytree(CHART, chart)
    (chart / "values-production.yaml").write_text("frontend:\n  image:\n    tag: latest\n")
    result = run(str(chart), "--format", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["renders"] == [str(chart)] + [f"{chart} with values-{env}.yaml" for env in ("dev", "production", "staging")]
    assert {(f["file"], f["rule"]) for f in report["findings"]} == {
        ("atlantiplex/templates/deployment-frontend.yaml with values-production.yaml", "image-tag")}
