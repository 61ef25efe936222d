"""Common public stacks, as their authors publish them, through the real CLI.

Each folder under tests/stacks/ is a compose project a team might bring (a web app with
PostgreSQL and Redis, WordPress and MySQL, proxies in front of backends that declare no
port, databases keeping their files in a project folder, workers built from the web's
image, Prometheus and Grafana with configs, Django with Celery, file secrets, Traefik on the
Docker socket), with ``expect.yaml`` saying what must come out: the workload kind of each
service, objects that must exist (and ``absent`` ones that must not), warnings at their
lines, values that must never reach the output — or the one error, at its FILE:LINE:COL,
for a stack that cannot be hardened. Every stack that compiles must pass ``composek8s
check`` (schema for two Kubernetes versions, Pod Security ``restricted``, wiring, and the
runtime contract: connectivity and persistence) unless ``check_findings`` names what the
user still has to fix, and its chart must render with ``helm template`` (values schema
included). ``fixed_with`` names the files (an override) that make a refused or flagged stack
compile and check clean. ``bench/contract.py`` counts the contract findings of an older
compiler on the same stacks.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

STACKS = Path(__file__).parent / "stacks"
HELM = Path(__file__).parent / "tools" / "bin" / "helm"
CONTRACT_RULES = ("connectivity", "persistence", "probe-port")


def _run(args: list[str], cwd: Path, environ: dict | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    env["PATH"] = f"{HELM.parent}{os.pathsep}{env.get('PATH', '')}"  # check renders kustomizations with kubectl
    env.update(environ or {})
    return subprocess.run([sys.executable, "-m", "composek8s", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def _synth(stack: Path, out: Path, expect: dict, files: list[str] | None = None):
    args = ["synth", "-o", str(out / "dist"), "--chart-dir", str(out / "charts")]
    for f in files or []:
        args += ["-f", f]
    return _run(args, stack, expect.get("environ"))


def _objects(dist: Path) -> dict[str, dict]:
    found = {}
    for path in sorted((dist / "base").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("kind") != "Kustomization":
                found[f"{doc['kind']}/{doc['metadata']['name']}"] = doc
    return found


def _warnings(stderr: str) -> set[tuple[str, int]]:
    found = set()
    for line in stderr.splitlines():
        head, _, rest = line.partition(": warning[")
        if rest:
            found.add((rest.partition("]")[0], int(head.split(":")[1])))
    return found


@pytest.mark.parametrize("name", sorted(p.name for p in STACKS.iterdir() if (p / "expect.yaml").is_file()))
def test_stack(name, tmp_path):
    stack = STACKS / name
    expect = yaml.safe_load((stack / "expect.yaml").read_text())
    result = _synth(stack, tmp_path, expect)
    if "error" in expect:
        assert result.returncode == 2, result.stderr
        assert f"{expect['error']['at']}: error[{expect['error']['code']}]" in result.stderr
        assert "Traceback" not in result.stderr
        assert not (tmp_path / "dist").exists() and not (tmp_path / "charts").exists()
        if "fixed_with" in expect:
            _assert_fixed(stack, tmp_path, expect)
        return
    assert result.returncode == 0, result.stderr
    objects = _objects(tmp_path / "dist")
    kinds = {o["metadata"]["labels"]["app.kubernetes.io/name"]: o["kind"] for o in objects.values()
             if o["kind"] in ("Deployment", "StatefulSet", "Job")}  # a run-once Job's name has a hash
    assert kinds == expect["workloads"]
    assert set(expect.get("objects", [])) <= set(objects)
    assert not set(expect.get("absent", [])) & set(objects)
    assert {tuple(w) for w in expect.get("warnings", [])} <= _warnings(result.stderr)
    text = "".join(p.read_text() for p in tmp_path.rglob("*") if p.is_file())
    for value in expect.get("never_in_output", []):
        assert value not in text

    check = _run(["check", str(tmp_path / "dist"), "--format", "json"], stack)
    report = json.loads(check.stdout)["findings"]
    # What the user may still have to fix is named below; a broken runtime contract never is.
    assert [f for f in report if f["rule"] in CONTRACT_RULES] == []
    findings = sorted({f"{f['kind']}/{f['name']}" for f in report})
    assert findings == sorted(expect.get("check_findings", [])), check.stdout
    assert check.returncode == (1 if findings else 0)
    _assert_chart_renders(tmp_path / "charts")

    if "fixed_with" in expect:
        _assert_fixed(stack, tmp_path, expect)


def _assert_chart_renders(charts: Path) -> None:
    """``helm template`` with the default values: the chart's schema accepts its own values."""
    if not HELM.exists():
        return  # test_chart.py says how to install helm, or fails under CI
    (chart,) = charts.iterdir()
    result = subprocess.run([str(HELM), "template", "x", str(chart)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def _assert_fixed(stack: Path, tmp_path: Path, expect: dict) -> None:
    fixed = _synth(stack, tmp_path / "fixed", expect, expect["fixed_with"])
    assert fixed.returncode == 0, fixed.stderr
    recheck = _run(["check", str(tmp_path / "fixed" / "dist")], stack)
    assert recheck.returncode == 0, recheck.stdout + recheck.stderr
