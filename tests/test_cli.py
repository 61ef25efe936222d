"""The command line: exit codes, diagnostics on stderr, atomic output."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

CLI = [sys.executable, "-m", "composek8s.cli"]
GOOD = """
services:
  web:
    image: nginxinc/nginx-unprivileged:1.27-alpine
    ports: ["80:8080"]
"""


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    return subprocess.run(CLI + args, cwd=cwd, env=env, capture_output=True, text=True)


def test_synth_writes_one_file_per_object_and_a_kustomization(tmp_path):
    (tmp_path / "compose.yaml").write_text(GOOD)
    result = run(["synth"], tmp_path)
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in (tmp_path / "dist" / "base").iterdir())
    assert "deployment-web.yaml" in names and "kustomization.yaml" in names
    kustomization = (tmp_path / "dist" / "base" / "kustomization.yaml").read_text()
    assert "- base" in (tmp_path / "dist" / "kustomization.yaml").read_text()
    for name in names:
        if name not in ("kustomization.yaml", "README.md"):
            assert f"- {name}" in kustomization
    assert result.stdout == ""


def test_bad_input_exits_2_with_a_located_message_and_writes_nothing(tmp_path):
    (tmp_path / "compose.yaml").write_text(GOOD)
    assert run(["synth"], tmp_path).returncode == 0
    before = {p.as_posix(): p.read_bytes() for p in (tmp_path / "dist").rglob("*") if p.is_file()}
    (tmp_path / "compose.yaml").write_text(textwrap.dedent("""
        services:
          web:
            image: nginx
            privileged: true
    """))
    result = run(["synth"], tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "compose.yaml:5:5: error[E-SECURITY-PRIVILEGED]: service 'web'" in result.stderr
    after = {p.as_posix(): p.read_bytes() for p in (tmp_path / "dist").rglob("*") if p.is_file()}
    assert after == before


def test_yaml_syntax_error_is_reported_with_its_position(tmp_path):
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n\timage: x\n")
    result = run(["synth"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("compose.yaml:3:1: error[E-YAML-SYNTAX]")


def test_refuses_to_replace_a_folder_it_did_not_write(tmp_path):
    (tmp_path / "compose.yaml").write_text(GOOD)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    result = run(["synth", "--out", "mine"], tmp_path)
    assert result.returncode == 2
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_a_rerun_removes_files_no_longer_produced(tmp_path):
    (tmp_path / "compose.yaml").write_text(GOOD + "  api:\n    image: example/api:1\n    expose: ['5000']\n")
    assert run(["synth"], tmp_path).returncode == 0
    assert (tmp_path / "dist" / "base" / "deployment-api.yaml").exists()
    (tmp_path / "compose.yaml").write_text(GOOD)
    assert run(["synth"], tmp_path).returncode == 0
    assert not (tmp_path / "dist" / "base" / "deployment-api.yaml").exists()


def test_warnings_are_printed_with_positions(tmp_path):
    (tmp_path / "compose.yaml").write_text(GOOD + "    ulimits:\n      nofile: 1024\n")
    result = run(["synth"], tmp_path)
    assert result.returncode == 0
    assert "compose.yaml:6:5: warning[W-KEY-IGNORED]: service 'web': 'ulimits' is ignored" in result.stderr


def test_strict_turns_warnings_into_errors_and_writes_nothing(tmp_path):
    (tmp_path / "compose.yaml").write_text(GOOD + "    ulimits:\n      nofile: 1024\n")
    result = run(["synth", "--strict"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("'ulimits' is ignored") == 1
    assert "compose.yaml:6:5: error[W-KEY-IGNORED]" in result.stderr
    assert not (tmp_path / "dist").exists()


ROOT = Path(__file__).resolve().parent.parent


def test_version_short_help_and_choices():
    version = run(["--version"], ROOT)
    assert version.returncode == 0 and version.stdout.startswith("composek8s ") and version.stdout.strip()[-1].isdigit()
    assert run(["-h"], ROOT).returncode == 0 and "synth" in run(["-h"], ROOT).stdout
    check_help = run(["check", "-h"], ROOT)
    assert check_help.returncode == 0
    text = " ".join(check_help.stdout.split())
    assert "[baseline|restricted]" in text and "[human|json]" in text
    assert "PATH is a manifest file, a folder" in text and "tests/tools/bin/" in text
    bad = run(["check", "dist", "--level", "privileged"], ROOT)
    assert bad.returncode == 2
    assert "'privileged' is not one of 'baseline', 'restricted'" in " ".join(bad.stderr.replace("│", " ").split())
    synth_help = " ".join(run(["synth", "--help"], ROOT).stdout.split())
    assert "docker/docker-compose.yml" not in synth_help and "Compose's discovery" in synth_help


def test_each_command_summary_is_one_paragraph_line():
    """Typer prints a docstring's first paragraph with its line breaks in the command list:
    a wrapped summary shows up as a sentence cut in two."""
    import inspect

    from composek8s.cli import app
    for command in app.registered_commands:
        summary = inspect.getdoc(command.callback).split("\n\n")[0]
        assert "\n" not in summary, f"{command.callback.__name__}: {summary!r}"


def test_docs_help_prints_usage_and_writes_no_file(tmp_path):
    result = subprocess.run([sys.executable, "-m", "composek8s.docs", "--help"], cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.returncode == 0 and "usage: python -m composek8s.docs" in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_config_discovers_the_project_as_synth_does():
    """At the repository root synth compiles docker/docker-compose.yml; config prints the same project."""
    result = run(["config"], ROOT)
    assert result.returncode == 0, result.stderr
    assert '"name": "atlantiplex"' in result.stdout and '"stage-server"' in result.stdout


def test_check_finds_the_helm_this_project_installed(tmp_path):
    """No helm on PATH: check uses tests/tools/bin/helm (install_helm.py's) and says where it looked."""
    helm = ROOT / "tests" / "tools" / "bin" / "helm"
    if not helm.exists():
        import pytest
        pytest.skip("helm is missing: python tests/tools/install_helm.py")
    env = {**os.environ, "PATH": "/usr/bin:/bin"}
    found = subprocess.run(CLI + ["check", "charts/atlantiplex"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert "needs `helm`" not in found.stderr and found.returncode == 0, found.stderr
    from composek8s.check import run as check_run
    from composek8s.diagnostics import CompileError

    original = check_run.tool_folders
    check_run.tool_folders = lambda cwd=None: [tmp_path]
    old_path = os.environ["PATH"]
    os.environ["PATH"] = str(tmp_path)
    try:
        try:
            check_run._tool("helm", "checking a chart")
        except CompileError as exc:
            message = str(exc.diagnostics[0])
        else:
            raise AssertionError("no helm anywhere must be an error")
    finally:
        check_run.tool_folders, os.environ["PATH"] = original, old_path
    assert "error[E-USAGE]: checking a chart needs `helm`" in message
    assert "tests/tools/bin/" in message and "install_helm.py" in message
