"""The Atlantiplex default, whole: committed dist/ is current, valid, hardened, secret-free."""
from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent

from composek8s.check import check_pod_security, validate_object
from composek8s.diagnostics import Reporter
from composek8s.pipeline import compile_plan
from composek8s.helm import render_chart
from composek8s.synth import synthesize

REGENERATE = "run `composek8s synth` at the repository root and commit dist/"
POD_KINDS = {"Deployment", "StatefulSet", "Job"}
CLI = [sys.executable, "-m", "composek8s.cli"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "REDIS_", "JWT_", "STRIPE_"))}
    return {**env, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", **extra}


@pytest.fixture(scope="session")
def default_files() -> dict[str, str]:
    plan = compile_plan(cwd=ROOT, environ={}, reporter=Reporter())
    return synthesize(plan)


@pytest.fixture(scope="session")
def manifests(default_files) -> list[dict]:
    return [yaml.safe_load(text) for name, text in sorted(default_files.items())
            if name.startswith("base/") and not name.endswith("kustomization.yaml")]


def test_committed_dist_is_current(default_files):
    dist = ROOT / "dist"
    committed = {p.relative_to(dist).as_posix(): p.read_text() for p in dist.rglob("*") if p.is_file()}
    assert sorted(committed) == sorted(default_files), REGENERATE
    stale = [name for name, text in default_files.items() if committed[name] != text]
    assert not stale, f"stale: {stale}; {REGENERATE}"


def test_default_has_the_atlantiplex_topology(manifests):
    workloads = {(m["kind"], m["metadata"]["name"]) for m in manifests if m["kind"] in POD_KINDS}
    assert workloads == {("Deployment", "stage-server"), ("Deployment", "flask-backend"),
                         ("Deployment", "frontend"), ("StatefulSet", "postgres"),
                         ("StatefulSet", "redis")}
    kinds = {(m["kind"], m["metadata"]["name"]) for m in manifests}
    assert ("Ingress", "frontend") in kinds
    assert ("Namespace", "atlantiplex") in kinds


@pytest.mark.parametrize("version", ["1.30", "1.37"])
def test_every_object_validates_strictly(manifests, version):
    errors = {f"{m['kind']}/{m['metadata']['name']}": validate_object(m, version) for m in manifests}
    assert {k: v for k, v in errors.items() if v} == {}


def test_every_pod_template_passes_restricted(manifests):
    findings = {f"{m['kind']}/{m['metadata']['name']}": check_pod_security(m, "restricted")
                for m in manifests}
    assert {k: v for k, v in findings.items() if v} == {}
    assert sum(1 for m in manifests if m["kind"] in POD_KINDS) == 5


def _selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def test_every_pod_is_hardened_and_governed(manifests):
    policies = [m for m in manifests if m["kind"] == "NetworkPolicy"]
    pdbs = [m for m in manifests if m["kind"] == "PodDisruptionBudget"]
    accounts = {m["metadata"]["name"]: m for m in manifests if m["kind"] == "ServiceAccount"}
    for m in (m for m in manifests if m["kind"] in POD_KINDS):
        name = m["metadata"]["name"]
        labels = m["spec"]["template"]["metadata"]["labels"]
        pod = m["spec"]["template"]["spec"]
        assert isinstance(pod["securityContext"]["runAsUser"], int) and pod["securityContext"]["runAsUser"] > 0
        assert pod["automountServiceAccountToken"] is False
        assert accounts[pod["serviceAccountName"]]["automountServiceAccountToken"] is False
        for c in pod["containers"]:
            assert c["securityContext"]["readOnlyRootFilesystem"] is True, name
            assert set(c["resources"]) == {"requests", "limits"}, name
            assert set(c["resources"]["limits"]) == {"cpu", "memory"}, name
            assert "readinessProbe" in c and "livenessProbe" in c, name
            assert c["readinessProbe"] != c["livenessProbe"], name
        specific = [p for p in policies if p["spec"]["podSelector"].get("matchLabels")
                    and _selects(p["spec"]["podSelector"], labels)]
        assert specific and all(set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"} for p in specific), name
        assert any(p["spec"]["podSelector"] == {} and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
                   for p in policies)
        assert [p for p in pdbs if _selects(p["spec"]["selector"], labels)], name


def test_no_secret_from_env_reaches_the_output(tmp_path):
    """Every value of a filled-in .env: none that is secret appears in dist/ or the chart."""
    project = tmp_path / "docker"
    shutil.copytree(ROOT / "docker", project)
    example = (project / ".env.example").read_text()
    secrets = {}
    lines = []
    for line in example.splitlines():
        key = line.partition("=")[0]
        if key in ("DB_PASSWORD", "REDIS_PASSWORD", "JWT_SECRET", "STRIPE_SECRET_KEY",
                   "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET"):
            secrets[key] = f"sentinel-{key.lower()}-9f8e7d"
            line = f"{key}={secrets[key]}"
        lines.append(line)
    (project / ".env").write_text("\n".join(lines) + "\n")
    plan = compile_plan([project / "docker-compose.yml"], cwd=tmp_path, environ={}, reporter=Reporter())
    text = "\n".join([*synthesize(plan).values(), *render_chart(plan).values()])
    for value in secrets.values():
        assert value not in text
        assert base64.b64encode(value.encode()).decode() not in text
    assert "DB_PASSWORD" in text  # referenced by name, through the Secret


def test_output_is_identical_from_two_folders(tmp_path):
    outputs = []
    for folder in ("first", "second-checkout"):
        root = tmp_path / folder
        shutil.copytree(ROOT / "docker", root / "docker")
        subprocess.run(CLI + ["synth"], cwd=root, env=_env(TZ="Pacific/Kiritimati", LC_ALL="C"),
                       check=True, capture_output=True)
        outputs.append({p.relative_to(root).as_posix(): p.read_bytes()
                        for p in sorted(root.rglob("*")) if p.is_file() and "docker" not in p.parts})
    assert any(name.startswith("charts/atlantiplex/") for name in outputs[0])
    assert outputs[0] == outputs[1]


def test_cdk8s_synth_writes_the_same_dist(tmp_path, default_files):
    cdk8s = ROOT / "tests" / "tools" / "node_modules" / ".bin" / "cdk8s"
    if not cdk8s.exists():
        if os.environ.get("CI"):
            pytest.fail("cdk8s-cli is missing: run `npm ci --prefix tests/tools` (.ci/run does)")
        pytest.skip("cdk8s-cli not installed (npm ci --prefix tests/tools)")
    out = tmp_path / "cdk8s-dist"
    env = _env(PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    result = subprocess.run([str(cdk8s), "synth", "--no-check-upgrade", "--output", str(out)],
                            cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    written = {p.relative_to(out).as_posix(): p.read_text() for p in out.rglob("*") if p.is_file()}
    assert written == default_files


def test_built_services_run_as_their_dockerfile_users_and_probe_real_endpoints(manifests):
    """docker/docker-compose.yml sets no user for the built services: the Dockerfiles do."""
    reporter = Reporter()
    compile_plan(cwd=ROOT, environ={}, reporter=reporter)
    codes = {d.code for d in reporter.diagnostics}
    assert not codes & {"W-DOCKERFILE", "W-DOCKERFILE-USER", "W-SECURITY-DEFAULT-UID"}
    pods = {m["metadata"]["name"]: m["spec"]["template"]["spec"] for m in manifests if m["kind"] in POD_KINDS}
    expected = {"stage-server": (10001, 3001, "/health"), "flask-backend": (10002, 5000, "/health"),
                "frontend": (101, 8080, "/healthz")}
    for name, (uid, port, path) in expected.items():
        assert pods[name]["securityContext"]["runAsUser"] == uid
        assert pods[name]["containers"][0]["readinessProbe"]["httpGet"] == {"path": path, "port": port}
    dockerfiles = {name: (ROOT / "docker" / name / "Dockerfile").read_text() for name in expected}
    for name, (uid, port, path) in expected.items():
        assert f"USER {uid}:{uid}" in dockerfiles[name]
        assert f"EXPOSE {port}" in dockerfiles[name]


def test_cdk8s_synth_prints_the_same_warnings_and_writes_only_dist(tmp_path):
    cdk8s = ROOT / "tests" / "tools" / "node_modules" / ".bin" / "cdk8s"
    if not cdk8s.exists():
        if os.environ.get("CI"):
            pytest.fail("cdk8s-cli is missing: run `npm ci --prefix tests/tools` (.ci/run does)")
        pytest.skip("cdk8s-cli not installed (npm ci --prefix tests/tools)")
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: example/web:1\n    ulimits: {nofile: 1024}\n")
    shutil.copy(ROOT / "cdk8s.yaml", tmp_path / "cdk8s.yaml")
    env = _env(PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    by_cdk8s = subprocess.run([str(cdk8s), "synth", "--no-check-upgrade"], cwd=tmp_path, env=env,
                              capture_output=True, text=True)
    assert by_cdk8s.returncode == 0, by_cdk8s.stderr
    assert (tmp_path / "dist" / "kustomization.yaml").is_file() and not (tmp_path / "charts").exists()
    ours = subprocess.run([sys.executable, "-m", "composek8s.cli", "synth", "--out", "d2", "--chart-dir", "c2"],
                          cwd=tmp_path, env=env, capture_output=True, text=True)
    warnings = [line for line in ours.stderr.splitlines() if "warning[" in line]
    assert len(warnings) >= 2  # W-KEY-IGNORED (ulimits) and W-RESOURCES-DEFAULT
    for line in warnings:
        assert line in by_cdk8s.stdout + by_cdk8s.stderr
