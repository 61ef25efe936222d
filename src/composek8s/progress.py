"""A progress line for long runs, on a terminal only.

A 1,000-service project takes 10-15 s; without a word for that long, people think the
command hung. The line appears only when stderr is a terminal (never in pipes, files or CI
logs, where it would be noise between the diagnostics) and only once a run has taken
``delay`` seconds, so short runs look exactly as before. The stages only set a string; a
daemon thread draws it a few times a second, so the cost is far below 1 % of a run.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from typing import TextIO


def wanted(stream: TextIO, environ: dict[str, str] | None = None) -> bool:
    """A person watches ``stream``: a terminal, outside CI, and not a dumb one."""
    environ = os.environ if environ is None else environ
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        return False
    return tty and not environ.get("CI") and environ.get("TERM") != "dumb"


class Progress:
    """``with Progress() as progress: progress.stage("planning 1000 services")``."""

    def __init__(self, stream: TextIO | None = None, delay: float = 1.0, interval: float = 0.25,
                 enabled: bool | None = None):
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = wanted(self.stream) if enabled is None else enabled
        self.delay, self.interval = delay, interval
        self.text = ""
        self.shown = False  # whether a line was drawn (and so must be cleared)
        self._start = time.monotonic()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def stage(self, text: str) -> None:
        self.text = text

    def __enter__(self) -> "Progress":
        if self.enabled:
            self._thread = threading.Thread(target=self._draw, name="composek8s-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()
        if self.shown:
            self.stream.write("\r\x1b[2K")  # clear the line: what follows starts on a clean one
            self.stream.flush()

    def _draw(self) -> None:
        if self._done.wait(self.delay):
            return
        spinner = "|/-\\"
        tick = 0
        while not self._done.is_set():
            elapsed = time.monotonic() - self._start
            self.stream.write(f"\r\x1b[2K{spinner[tick % 4]} {self.text} ({elapsed:.0f} s)")
            self.stream.flush()
            self.shown = True
            tick += 1
            self._done.wait(self.interval)

