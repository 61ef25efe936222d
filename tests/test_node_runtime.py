"""The Node.js cdk8s runs on: missing, too old or dying is one line (`E-NODE`), exit 2,
saying what to install; never jsii's traceback or "Exception ignored in _NodeProcess.__del__"."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CLI = [sys.executable, "-m", "composek8s.cli"]
COMPOSE = "services:\n  web:\n    image: nginxinc/nginx-unprivileged:1.27-alpine\n"


def synth(project: Path, path: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": path, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    env.pop("JSII_NODE", None)
    return subprocess.run(CLI + ["synth", "-f", "compose.yaml"], cwd=project, env=env, capture_output=True,
                          text=True, timeout=120)


def errors(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if "warning[" not in line]


def project(tmp_path: Path) -> Path:
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    return tmp_path


def test_no_node_on_path_is_one_line_saying_what_to_install(tmp_path):
    bin_ = tmp_path / "bin"
    bin_.mkdir()  # a PATH with no node on it (the CLI runs from sys.executable)
    result = synth(project(tmp_path), str(bin_))
    assert result.returncode == 2
    assert errors(result) == [
        "composek8s: error[E-NODE]: Node.js was not found (no `node` on PATH); composek8s renders through cdk8s, which "
        "runs on Node.js: install Node.js 22 or 24 (https://nodejs.org/, or your system's `nodejs` "
        "package) so that `node` is on PATH, or set JSII_NODE to its path"]
    assert not (tmp_path / "dist").exists() and not (tmp_path / "charts").exists()


def test_a_node_too_old_for_cdk8s_is_refused_before_it_starts(tmp_path):
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    node = bin_ / "node"
    node.write_text("#!/bin/sh\necho v14.21.3\n")  # what Node 14 prints; jsii would fail later and obscurely
    node.chmod(0o755)
    result = synth(project(tmp_path), str(bin_))
    assert result.returncode == 2
    [line] = errors(result)
    assert line.startswith(f"composek8s: error[E-NODE]: Node.js v14.21.3 ({node}) is too old for cdk8s, which needs "
                           "16.20.0 or newer: install Node.js 22 or 24")
    assert not (tmp_path / "dist").exists()


def test_a_node_that_dies_while_rendering_is_one_line(tmp_path):
    """A Node that passes the version check, then exits with a crash report of its own."""
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    node = bin_ / "node"
    node.write_text('#!/bin/sh\nif [ "$1" = --version ]; then echo v20.0.0; exit 0; fi\n'
                    'echo "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory" >&2\n'
                    'echo " 1: 0xb78db3 node::OOMErrorHandler" >&2\nexit 134\n')
    node.chmod(0o755)
    result = synth(project(tmp_path), str(bin_))
    assert result.returncode == 2, result.stderr
    [line] = errors(result)
    assert line.startswith("composek8s: error[E-NODE]: Node.js ran out of memory rendering ")
    assert "(Reached heap limit Allocation failed - JavaScript heap out of memory)" in line
    assert "Traceback" not in result.stderr and "OOMErrorHandler" not in result.stderr
    assert not (tmp_path / "dist").exists()
