"""The Node.js that cdk8s runs on (through jsii): checked before it starts, and its death one error instead of Node's crash report and jsii's
tracebacks.

jsii starts ``node`` (or ``$JSII_NODE``) on first use and offers no error handling of its own
(its kernel says so): a missing ``node`` is a 74-line traceback plus "Exception ignored in
_NodeProcess.__del__", a Node that runs out of memory prints its native stack, then jsii a
``JSONDecodeError``. Nothing in jsii's public API can be told otherwise, so ``guard_jsii``
replaces three of its private functions (the stderr reader, ``_NodeProcess.stop`` and
``_NodeProcess._jsii_runtime``, for ``one_process``), each checked to exist first; written
by hand because no library wraps jsii's process.
"""
from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..diagnostics import CompileError, fail

MINIMUM = (16, 20, 0)  # cdk8s' package.json: "engines": {"node": ">= 16.20.0"}
INSTALL = ("install Node.js 22 or 24 (https://nodejs.org/, or your system's `nodejs` package) so that "
           "`node` is on PATH, or set JSII_NODE to its path")


class _Node:
    checked = False
    guarded = False
    ended = False  # Node's stderr reached its end: the process is gone
    report: list[str] = []  # what Node wrote outside jsii's protocol (a crash report)


def check_node() -> None:
    """``E-NODE`` unless the Node.js jsii will start exists and is new enough."""
    if _Node.checked:
        return
    name = os.environ.get("JSII_NODE", "node")
    path = shutil.which(name)
    if path is None:
        raise fail("E-NODE", f"Node.js was not found (no `{name}` on PATH); composek8s renders through cdk8s, "
                   f"which runs on Node.js: {INSTALL}")
    try:
        printed = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise fail("E-NODE", f"{path} does not run ({exc}): {INSTALL}") from None
    found = re.match(r"v(\d+)\.(\d+)\.(\d+)", printed.strip())
    if not found:
        raise fail("E-NODE", f"{path} --version printed {printed.strip()[:40]!r}, not a Node.js version: {INSTALL}")
    version = tuple(int(part) for part in found.groups())
    if version < MINIMUM:
        raise fail("E-NODE", f"Node.js {printed.strip()} ({path}) is too old for cdk8s, which needs "
                   f"{'.'.join(map(str, MINIMUM))} or newer: {INSTALL}")
    _Node.checked = True


# What V8 says at the start of every Node process given --jitless (node_settings sets it):
# it turns WebAssembly off. Expected, and nothing the user can act on.
JITLESS_WARNING = b"Warning: disabling flag --expose_wasm due to conflicting flags\n"


def _stderr_reader(reader) -> None:
    """jsii's ``stderr_sink``, except that what Node writes outside jsii's protocol (its
    crash report) is kept for the error message instead of flooding the terminal, and V8's
    notice about ``--jitless`` is dropped."""
    import base64

    for line in iter(reader.readline, b""):
        if line == JITLESS_WARNING:  # jsii's launcher's own
            continue
        try:
            console = json.loads(line)
            if console.get("stderr") is not None:  # the rendering Node's, relayed
                sys.stderr.buffer.write(base64.b64decode(console["stderr"]).replace(JITLESS_WARNING, b""))
            if console.get("stdout") is not None:
                sys.stdout.buffer.write(base64.b64decode(console["stdout"]))
        except (ValueError, AttributeError, TypeError):
            if len(_Node.report) < 200:
                _Node.report.append(line.decode("utf-8", "replace").strip())
    _Node.ended = True


def guard_jsii() -> None:
    """Before Node starts: its crash report kept, and stopping a Node that died (or never
    started) silent, where jsii raises from ``__del__`` and at exit."""
    if _Node.guarded:
        return
    from jsii._kernel.providers import process

    if hasattr(process, "stderr_sink"):
        process.stderr_sink = _stderr_reader
    node_process = getattr(process, "_NodeProcess", None)
    if node_process is not None and hasattr(node_process, "stop"):
        stop = node_process.stop

        def quiet_stop(self) -> None:
            try:
                stop(self)
            except (OSError, AttributeError, ValueError):
                pass  # nothing left to stop

        node_process.stop = quiet_stop
    if node_process is not None and hasattr(node_process, "_jsii_runtime"):
        node_process._jsii_runtime = one_process(node_process._jsii_runtime)
    _Node.guarded = True


LAUNCHER = Path(__file__).with_name("launcher.js")
# How jsii's kernel (lib/program.js) reads and writes its protocol: synchronously, on fd 3
# (its SyncStdio). launcher.js relies on it, so it is checked on every start.
KERNEL_CHANNEL = b"readFD:3,writeFD:3"
PRESERVE_SYMLINKS = "--preserve-symlinks"  # what jsii's launcher starts the kernel with


def one_process(jsii_runtime):
    """jsii's ``_NodeProcess._jsii_runtime`` (which unpacks its launcher and kernel into a
    temporary folder and returns the launcher's path), returning ``launcher.js`` instead,
    copied beside jsii's launcher: the kernel then runs in the one Node.js process jsii
    starts, not in a second one (see launcher.js). jsii's own launcher is kept when the
    kernel does not speak on fd 3 (another jsii), or when Node is not started under
    ``node_settings`` (which gives the kernel the ``--preserve-symlinks`` jsii's launcher
    gives it)."""

    def runtime(self) -> str:
        launcher = jsii_runtime(self)
        try:
            kernel = Path(launcher).parent.parent / "lib" / "program.js"
            if (PRESERVE_SYMLINKS in os.environ.get("NODE_OPTIONS", "").split()
                    and KERNEL_CHANNEL in kernel.read_bytes()):
                mine = Path(launcher).with_name("composek8s-launcher.js")
                shutil.copyfile(LAUNCHER, mine)
                return str(mine)
        except OSError:
            pass
        return launcher

    return runtime


@contextmanager
def node_settings() -> Iterator[None]:
    """``NODE_OPTIONS`` for the Node.js jsii starts inside this block (it reads them once, at
    start), then the environment as it was: ``--jitless`` turns WebAssembly off, which any other
    Node program this process starts (a user's, a test's) may need.

    Node's memory, measured at 1,000 services (bench/README.md): a 2 MB young generation
    instead of Node's 16 MB makes V8 collect the short-lived JSON of each chunk sooner, and
    ``--jitless`` (V8's interpreter only) saves the compiled code. Together the tree peaked at
    283-300 MB instead of 307-337, at no measurable cost in CPU (Node spends it in
    ``JSON.parse`` and ``stringify``, which are native): 0.20-0.24 s of Node CPU for Atlantiplex
    either way, 0.95-1.09 vs 0.91-1.05 s at 1,000 services, 2.3 vs 1.7 s at 3,000. A user's own
    setting of either wins. ``--preserve-symlinks`` is what jsii's launcher starts its kernel
    with; ``one_process`` runs the kernel in this Node only when it is set.
    """
    saved = os.environ.get("NODE_OPTIONS")
    options = saved or ""
    if "--max-semi-space-size" not in options:
        options += " --max-semi-space-size=2"
    if "jitless" not in options:
        options += " --jitless"
    if PRESERVE_SYMLINKS not in options.split():
        options += " " + PRESERVE_SYMLINKS
    os.environ["NODE_OPTIONS"] = options.strip()
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("NODE_OPTIONS", None)
        else:
            os.environ["NODE_OPTIONS"] = saved


def stop_node() -> None:
    """Stops the Node.js jsii started, for a command that renders nothing more through it: it
    holds what it grew to (about 140 MB at 1,000 services) until Python exits, while the
    chart is rendered and written. jsii has no public way to stop it; its
    ``_NodeProcess.stop`` (quiet after ``guard_jsii``) is what jsii itself calls at exit.
    Nothing can use jsii in this process afterwards."""
    if "constructs._jsii" not in sys.modules:
        return  # Node starts when the first assembly (constructs') loads: not started, or it failed
    from jsii import _runtime

    provider = getattr(getattr(_runtime, "kernel", None), "provider", None)
    node = getattr(provider, "_process", None) if provider is not None else None
    if node is not None and callable(getattr(node, "stop", None)):
        node.stop()


@contextmanager
def node_failures(objects: int) -> Iterator[None]:
    """Node's death while rendering ``objects`` objects as one ``E-NODE`` error."""
    try:
        yield
    except CompileError:
        raise
    except FileNotFoundError as exc:  # jsii could not start Node at all
        raise fail("E-NODE", f"Node.js could not be started ({exc.strerror}: {exc.filename}): {INSTALL}") from None
    except Exception:
        deadline = time.monotonic() + 2
        while not _Node.ended and time.monotonic() < deadline:  # its stderr closes just after stdout
            time.sleep(0.01)
        if not _Node.ended:
            raise  # Node is alive: not its failure
        crash = next((line for line in _Node.report if "FATAL ERROR" in line or "out of memory" in line), "")
        if "memory" in crash.lower():
            limit = resource.getrlimit(resource.RLIMIT_AS)[0]
            where = (f" under this process's address-space limit of {limit >> 20} MiB (ulimit -v)"
                     if limit != resource.RLIM_INFINITY else "")
            raise fail("E-NODE", f"Node.js ran out of memory rendering {objects} objects through cdk8s{where} "
                       f"({crash.removeprefix('FATAL ERROR: ')}); give it more memory or split the project "
                       "(README: Limits)") from None
        said = f" ({crash or _Node.report[-1]})" if (crash or _Node.report) else ""
        raise fail("E-NODE", f"Node.js stopped while cdk8s rendered {objects} objects{said}: run again; "
                   "if it stops again, check the machine's memory and the Node.js install") from None
