"""The progress line: on a terminal, for runs longer than about a second; never in pipes or CI."""
from __future__ import annotations

import io
import os
import re
import pty
import subprocess
import sys
import time
from pathlib import Path

from composek8s.progress import Progress, wanted


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_only_a_terminal_outside_ci_gets_a_progress_line():
    assert wanted(Terminal(), {"TERM": "xterm"})
    assert not wanted(io.StringIO(), {"TERM": "xterm"})  # a pipe or a file
    assert not wanted(Terminal(), {"TERM": "xterm", "CI": "true"})
    assert not wanted(Terminal(), {"TERM": "dumb"})


def test_a_short_run_prints_nothing_and_a_long_one_a_line_it_clears():
    quick = Terminal()
    with Progress(quick, delay=0.5, enabled=True) as progress:
        progress.stage("planning")
    assert quick.getvalue() == ""
    slow = Terminal()
    with Progress(slow, delay=0.05, interval=0.02, enabled=True) as progress:
        progress.stage("rendering 12 objects through cdk8s")
        time.sleep(0.2)
    text = slow.getvalue()
    assert "\rrendering" not in text and "rendering 12 objects through cdk8s" in text
    assert text.endswith("\r\x1b[2K")  # the line is gone before the summary is printed


def test_synth_on_a_terminal_shows_progress_and_in_a_pipe_does_not(tmp_path):
    """A project big enough to take more than a second, run through a pseudo-terminal."""
    services = "".join(f"  s{i}:\n    image: example/app:1.{i}\n    expose: ['8080']\n" for i in range(800))
    (tmp_path / "compose.yaml").write_text("services:\n" + services)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20", TERM="xterm")
    piped = subprocess.run([sys.executable, "-m", "composek8s.cli", "synth", "--out", "piped",
                            "--chart-dir", "piped-charts"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert piped.returncode == 0, piped.stderr
    assert "\r" not in piped.stderr and "\x1b" not in piped.stderr
    main, child = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "composek8s.cli", "synth"], cwd=tmp_path, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=child)
    os.close(child)
    seen = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait() == 0, seen.decode(errors="replace")
    os.close(main)
    text = seen.decode(errors="replace")
    # Which stage a line shows depends on the machine's speed; that one is drawn is the point.
    assert re.search(r"\r\x1b\[2K. (loading and planning|rendering|comparing|writing)[^\r]* \(\d+ s\)", text), text
    assert Path(tmp_path / "dist" / "kustomization.yaml").is_file()
