"""`synth --check` (drift) and chart versions that move with the chart's content."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "composek8s.cli", "synth"]


def synth(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    return subprocess.run(CLI + list(args), cwd=root, env=env, capture_output=True, text=True)


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and "docker" not in p.parts}


def version(root: Path) -> str:
    return yaml.safe_load((root / "charts" / "atlantiplex" / "Chart.yaml").read_text())["version"]


@pytest.fixture
def project(tmp_path) -> Path:
    shutil.copytree(ROOT / "docker", tmp_path / "docker", ignore=shutil.ignore_patterns(
        "node_modules", ".venv", "dist"))
    assert synth(tmp_path).returncode == 0
    return tmp_path


def test_the_repository_output_is_current():
    result = synth(ROOT, "--check")
    assert result.returncode == 0, result.stdout[-3000:]
    assert result.stdout == ""


def test_check_writes_nothing_and_passes_on_fresh_output(project):
    before = snapshot(project)
    result = synth(project, "--check")
    assert (result.returncode, result.stdout) == (0, "")
    assert snapshot(project) == before


def test_a_hand_edit_is_caught_with_a_diff_and_left_in_place(project):
    path = project / "dist" / "base" / "deployment-frontend.yaml"
    path.write_text(path.read_text().replace("replicas: 1", "replicas: 7"))
    template = project / "charts" / "atlantiplex" / "templates" / "service-redis.yaml"
    template.write_text(template.read_text() + "# tweak\n")
    before = snapshot(project)
    result = synth(project, "--check")
    assert result.returncode == 1
    assert "-  replicas: 7\n+  replicas: 1\n" in result.stdout
    assert "-# tweak\n" in result.stdout
    assert "run `composek8s synth`" in result.stderr
    assert snapshot(project) == before


def test_changed_content_bumps_the_chart_version_and_unchanged_content_keeps_it(project):
    assert version(project) == "0.1.0"
    assert synth(project).returncode == 0
    assert version(project) == "0.1.0"
    compose = project / "docker" / "docker-compose.yml"
    compose.write_text(compose.read_text().replace("LOG_LEVEL: ${LOG_LEVEL:-info}", "LOG_LEVEL: ${LOG_LEVEL:-debug}"))
    result = synth(project, "--check")
    assert result.returncode == 1 and "+    LOG_LEVEL: debug" in result.stdout
    assert synth(project).returncode == 0
    assert version(project) == "0.1.1"
    assert synth(project, "--check").returncode == 0


def test_a_content_change_without_a_version_bump_is_caught(project):
    """Someone regenerates templates by hand (or an old composek8s) and keeps the version."""
    chart = project / "charts" / "atlantiplex"
    values = chart / "values.yaml"
    values.write_text(values.read_text().replace("replicas: 1", "replicas: 2", 1))
    result = synth(project, "--check")
    assert result.returncode == 1
    assert "-version: 0.1.0\n+version: 0.1.1\n" not in result.stdout  # content stale, version kept
    assert "+  replicas: 1" in result.stdout


def test_an_explicit_chart_version_wins(project):
    assert synth(project, "--chart-version", "2.0.0").returncode == 0
    assert version(project) == "2.0.0"
    assert synth(project, "--chart-version", "two").returncode == 2


def test_a_version_not_moved_since_the_base_revision_is_caught(project):
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=project, check=True, capture_output=True)

    git("init", "-q")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "base")
    compose = project / "docker" / "docker-compose.yml"
    compose.write_text(compose.read_text().replace("LOG_LEVEL: ${LOG_LEVEL:-info}", "LOG_LEVEL: ${LOG_LEVEL:-warning}"))
    assert synth(project).returncode == 0 and version(project) == "0.1.1"
    assert synth(project, "--check").returncode == 0  # moved: fine
    chart_yaml = project / "charts" / "atlantiplex" / "Chart.yaml"
    chart_yaml.write_text(chart_yaml.read_text().replace("version: 0.1.1", "version: 0.1.0"))
    result = synth(project, "--check")
    assert result.returncode == 1
    assert "content changed since HEAD but its version is still 0.1.0" in result.stderr


def _git(project: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=project,
                   check=True, capture_output=True)


def test_a_base_revision_that_does_not_resolve_is_an_error_saying_to_fetch_it(project):
    """A shallow CI checkout has no origin/main: comparing with nothing must not pass."""
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    _git(project, "commit", "-qm", "base")
    before = snapshot(project)
    result = synth(project, "--check", "--base", "origin/main")
    assert result.returncode == 2, result.stderr
    assert "error[E-BASE-UNKNOWN]: --base 'origin/main' is not a revision" in result.stderr
    assert "git fetch --no-tags --depth=1 origin main:refs/remotes/origin/main" in result.stderr
    assert "current" not in result.stderr and "Traceback" not in result.stderr
    assert snapshot(project) == before
    assert synth(project, "--check", "--base", "HEAD").returncode == 0


def test_the_hint_after_an_explicit_chart_version_names_the_version_to_pass(project):
    """After `synth --chart-version X` kept the base's version, plain `synth` keeps it too
    (the content on disk is current): the hint must say what does move it."""
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    _git(project, "commit", "-qm", "base")
    compose = project / "docker" / "docker-compose.yml"
    compose.write_text(compose.read_text().replace("LOG_LEVEL: ${LOG_LEVEL:-info}", "LOG_LEVEL: ${LOG_LEVEL:-warning}"))
    assert synth(project, "--chart-version", "0.1.0").returncode == 0
    result = synth(project, "--check")
    assert result.returncode == 1
    assert "run `composek8s synth --chart-version 0.1.1`" in result.stderr
    assert "it bumps the version" not in result.stderr
    assert synth(project, "--chart-version", "0.1.1").returncode == 0  # the hint, followed, works
    assert synth(project, "--check").returncode == 0
