"""What a command loads and starts (issue #16): only ``synth`` imports jsii and cdk8s, and a
compile that fails leaves no Node behind and prints only its own errors. Behaviour, not
timing (bench/run.py measures the time)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
JSII = ("jsii", "cdk8s", "constructs")

# Runs the CLI in this process and prints which of JSII's modules it imported.
PROBE = """
import json, sys
from composek8s.cli import app
try:
    app(sys.argv[1:], prog_name="composek8s")
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {jsii!r})), file=sys.__stderr__)
"""


def imported(args: list[str], cwd: Path) -> list[str]:
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    result = subprocess.run([sys.executable, "-c", PROBE.format(jsii=set(JSII)), *args], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=300)
    return json.loads(result.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [["--help"], ["synth", "--help"], ["config"], ["graph"],
                                  ["check", "dist/base/deployment-frontend.yaml"]],
                         ids=["help", "synth-help", "config", "graph", "check"])
def test_commands_that_render_nothing_do_not_load_jsii_or_cdk8s(args):
    assert imported(args, ROOT) == []


def test_the_probe_sees_a_command_that_loads_cdk8s(tmp_path):
    """The check above can fail: synth imports them."""
    out = imported(["synth", "--out", str(tmp_path / "dist"), "--chart-dir", str(tmp_path / "charts")], ROOT)
    assert {"cdk8s", "jsii", "constructs"} <= set(out)


def _node_processes(marker: str) -> list[int]:
    """Processes whose environment carries ``marker`` (Node inherits the CLI's environment)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
def test_a_compile_error_prints_only_itself_and_leaves_no_node_behind(tmp_path):
    """The project is wrong, so Node is not needed: the run prints the error alone (no jsii or
    Node output), exits 2, writes nothing and leaves no process behind."""
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: nginx\n    ports: {a: b}\n")
    marker = f"COMPOSEK8S_TEST_RUN={uuid.uuid4()}"
    name, value = marker.split("=")
    env = {**os.environ, name: value, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    result = subprocess.run([sys.executable, "-m", "composek8s.cli", "synth"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "compose.yaml:4:5: error[E-COMPOSE-TYPE]: services.web.ports: expected a list, got a mapping"]
    assert _node_processes(marker) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["compose.yaml"]


# Runs in a child: Node's processes (found by the marker in their environment) before and
# after stop_node, which must neither start Node when none runs nor fail when called twice.
STOPPER = """
import json, os, sys
sys.path.insert(0, {tests!r})
from test_startup import _node_processes
from composek8s.synth.node import guard_jsii, node_settings, stop_node
def nodes():
    return len([pid for pid in _node_processes(sys.argv[1]) if pid != os.getpid()])
stop_node()
counts = [nodes()]
guard_jsii()
if sys.argv[2] == "settings":
    with node_settings():
        import cdk8s
else:
    import cdk8s
counts.append(nodes())
stop_node()
stop_node()
counts.append(nodes())
print(json.dumps(counts))
"""


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
@pytest.mark.parametrize("settings, running", [("settings", 1), ("none", 2)])
def test_stop_node_stops_jsii_s_node_and_starts_none(settings, running):
    """synth stops Node once the objects are rendered (its memory back for the chart). Under
    node_settings, as synth starts it, jsii's kernel runs in the one Node jsii starts
    (launcher.js); started otherwise, jsii's own launcher and its second Node are kept."""
    marker = f"COMPOSEK8S_TEST_RUN={uuid.uuid4()}"
    name, value = marker.split("=")
    env = {**os.environ, name: value, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    env.pop("NODE_OPTIONS", None)
    result = subprocess.run([sys.executable, "-c", STOPPER.format(tests=str(ROOT / "tests")), marker, settings],
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [0, running, 0]
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr


SETTINGS = """
import json, os, sys
from pathlib import Path
from composek8s.pipeline import compile_plan
from composek8s.synth import synthesize
synthesize(compile_plan(cwd=Path({root!r})))
mine = os.getpid()
seen = []
for entry in Path("/proc").iterdir():
    try:
        if entry.name.isdigit() and int((entry / "stat").read_text().split(") ")[1].split()[1]) == mine:
            env = dict(v.split("=", 1) for v in (entry / "environ").read_bytes().decode().split("\\0") if "=" in v)
            seen.append(env.get("NODE_OPTIONS"))
    except OSError:
        pass
print(json.dumps({{"after": os.environ.get("NODE_OPTIONS"), "node": seen}}))
"""


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
@pytest.mark.parametrize("own", [None, "--max-old-space-size=2048", "--no-jitless --max-semi-space-size=8"])
def test_node_gets_composek8s_settings_and_the_environment_is_left_as_it_was(own):
    """--jitless turns WebAssembly off: only the Node jsii starts may have it, never another
    Node program the process starts later; a user's own setting wins."""
    env = {k: v for k, v in os.environ.items() if k != "NODE_OPTIONS"}
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    if own is not None:
        env["NODE_OPTIONS"] = own
    result = subprocess.run([sys.executable, "-c", SETTINGS.format(root=str(ROOT))], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["after"] == own
    [node] = seen["node"]  # the one Node that renders (jsii's kernel, started by launcher.js)
    if own is None:
        assert node == "--max-semi-space-size=2 --jitless --preserve-symlinks"
    elif "jitless" in own:
        assert node == own + " --preserve-symlinks"
    else:
        assert node == f"{own} --max-semi-space-size=2 --jitless --preserve-symlinks"


def test_synth_prints_its_own_lines_only(tmp_path):
    """Nothing from Node reaches the terminal on a run that works: not jsii's banner, not V8's
    notice that --jitless turns WebAssembly off."""
    env = {k: v for k, v in os.environ.items() if k not in ("NODE_OPTIONS", "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION")}
    result = subprocess.run([sys.executable, "-m", "composek8s.cli", "synth", "--out", str(tmp_path / "dist"),
                             "--chart-dir", str(tmp_path / "charts")], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    node = [line for line in result.stderr.splitlines()
            if line.startswith(("Warning:", "(node:", "!!")) or "expose_wasm" in line or "end-of-life" in line]
    assert node == []
    assert "wrote " in result.stderr  # the probe sees the run's own lines
