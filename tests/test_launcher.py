"""jsii's kernel in one Node.js process (synth/launcher.js, synth/node.py ``one_process``).

The launcher is run here against a stand-in kernel that speaks on fd 3 as jsii's does, so
what it promises is checked without jsii: the protocol on stdin and stdout only, and what
the kernel's process prints relayed on stderr as the JSON lines jsii's Python side decodes.
"""
from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import jsii
import pytest

from composek8s.synth.node import KERNEL_CHANNEL, LAUNCHER, one_process

# Speaks on fd 3 as jsii's kernel does (synchronous reads and writes), and prints.
FAKE_KERNEL = r"""
const fs = require("fs");
fs.writeSync(3, Buffer.from('{"hello":"fake@1.0.0"}\n'));
console.log("printed by the kernel's process");
process.stderr.write("warned\n");
console.log("x".repeat(1 << 20));
const buffer = Buffer.alloc(64);
const read = fs.readSync(3, buffer, 0, 64, null);
fs.writeSync(3, Buffer.from("echo " + buffer.subarray(0, read).toString()));
"""


def _unpacked(tmp_path: Path, kernel: str) -> Path:
    """A folder laid out as jsii unpacks its runtime: bin/ (launchers) beside lib/program.js."""
    (tmp_path / "bin").mkdir()
    (tmp_path / "lib").mkdir()
    (tmp_path / "bin" / "jsii-runtime.js").write_text("// jsii's own launcher\n")
    (tmp_path / "lib" / "program.js").write_text(kernel)
    return tmp_path / "bin" / "jsii-runtime.js"


def test_the_launcher_carries_the_protocol_on_stdio_and_relays_what_the_kernel_prints(tmp_path):
    launcher = _unpacked(tmp_path, FAKE_KERNEL).with_name("composek8s-launcher.js")
    shutil.copyfile(LAUNCHER, launcher)
    result = subprocess.run(["node", str(launcher)], input=b"ping\n", capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout == b'{"hello":"fake@1.0.0"}\necho ping\n'  # the protocol alone
    relayed = [json.loads(line) for line in result.stderr.splitlines()]
    assert [{key: base64.b64decode(value) for key, value in line.items()} for line in relayed] == [
        {"stdout": b"printed by the kernel's process\n"},
        {"stderr": b"warned\n"},
        {"stdout": b"x" * (1 << 20) + b"\n"},  # a line larger than a pipe holds, whole
    ]


def test_the_installed_jsii_kernel_speaks_on_fd_3():
    """launcher.js relies on it; when a jsii upgrade changes it, synth still works (one_process
    keeps jsii's launcher) but starts two Node processes again: this test says so."""
    kernel = Path(jsii.__file__).parent / "_embedded" / "jsii" / "lib__program.js"
    assert KERNEL_CHANNEL in kernel.read_bytes()


@pytest.mark.parametrize("node_options, kernel, ours", [
    ("--jitless --preserve-symlinks", "new SyncStdio({readFD:3,writeFD:3})", True),
    ("--jitless", "new SyncStdio({readFD:3,writeFD:3})", False),  # not started under node_settings
    ("--preserve-symlinks", "net.connect(process.env.JSII_SOCKET)", False),  # a kernel that speaks otherwise
])
def test_the_launcher_is_used_only_when_the_kernel_can_run_under_it(tmp_path, monkeypatch, node_options,
                                                                     kernel, ours):
    jsii_launcher = _unpacked(tmp_path, kernel)
    monkeypatch.setenv("NODE_OPTIONS", node_options)
    chosen = Path(one_process(lambda self: str(jsii_launcher))(None))
    if ours:
        assert chosen == jsii_launcher.with_name("composek8s-launcher.js")
        assert chosen.read_bytes() == LAUNCHER.read_bytes()
    else:
        assert chosen == jsii_launcher
        assert not jsii_launcher.with_name("composek8s-launcher.js").exists()
