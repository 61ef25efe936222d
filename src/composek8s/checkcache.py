"""``synth --check`` without compiling when nothing the output depends on has changed.

A ``synth`` leaves a record in the user's cache folder (``$XDG_CACHE_HOME/composek8s/``, by
default ``~/.cache/composek8s/``: never inside the project, its build contexts or git), one per
working folder and command line: the code that compiled (this package's files, the installed
distributions, Python and Node), every input the compile read (``inputs.Recording``: files with
their digests, folder listings, path probes, the environment variables asked for, as salted
digests), where the output went, the warnings it printed, and the digest of the output on disk.
``synth --check`` with the same command line in the same folder first looks for that record:
when every input and the output on disk are as recorded, the output is what a compile would
produce, and Node is never started. Any doubt (no record, an unreadable or foreign one, other
code, any difference) means the full compile.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

FORMAT = 1


def cache_folder() -> Path:
    """``$XDG_CACHE_HOME/composek8s`` (the XDG base directory rule), else ``~/.cache/composek8s``."""
    base = os.environ.get("XDG_CACHE_HOME")
    if not base or not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "composek8s"


def _record_path(options: dict) -> Path:
    key = hashlib.sha256(json.dumps(options, sort_keys=True).encode("utf-8")).hexdigest()[:32]
    return cache_folder() / f"synth-{key}.json"


def command_key(**options) -> dict:
    """The command line that decides the output, with the working directory it ran in."""
    plain = {k: ([str(v) for v in value] if isinstance(value, list) else
                 str(value) if isinstance(value, Path) else value) for k, value in options.items()}
    return {"cwd": os.getcwd(), **plain}


def code_key() -> str:
    """What compiled: this package's files (size and time), every installed distribution with
    its version, Python's version and the Node binary jsii runs."""
    parts = [sys.version, sys.executable]
    package = os.path.dirname(os.path.abspath(__file__))
    for folder, dirs, names in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if name.endswith(".py") or name.endswith(".json"):
                path = os.path.join(folder, name)
                st = os.stat(path)
                parts.append(f"{path}:{st.st_size}:{st.st_mtime_ns}")
    import sysconfig

    for key in ("purelib", "platlib"):
        site = sysconfig.get_paths()[key]
        try:
            parts += sorted(n for n in os.listdir(site) if n.endswith((".dist-info", ".egg-info", ".pth")))
        except OSError:
            parts.append(f"{site}: unreadable")
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        node = os.path.join(folder, "node")
        if os.path.isfile(node):
            st = os.stat(node)
            parts.append(f"{os.path.realpath(node)}:{st.st_size}:{st.st_mtime_ns}")
            break
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


def output_digest(*folders: Path) -> str:
    """Every file under each folder (what ``synth --check``'s diff compares), by path and bytes."""
    h = hashlib.sha256()
    for folder in folders:
        h.update(f"\0folder {folder.absolute()}\n".encode("utf-8", "surrogateescape"))
        if not folder.is_dir():
            h.update(b"absent\n")
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                _file(h, path.relative_to(folder).as_posix(), path.read_bytes())
    return h.hexdigest()


def written_digest(trees: dict[Path, dict[str, str]]) -> str:
    """``output_digest`` of folders that hold exactly ``trees`` ({folder: {relative path:
    text}}, as synth wrote or found them), without reading 10,000 files back at 1,000
    services. Should a folder differ, the digests differ and the next check compiles."""
    h = hashlib.sha256()
    for folder, files in trees.items():
        h.update(f"\0folder {folder.absolute()}\n".encode("utf-8", "surrogateescape"))
        for rel in sorted(files, key=lambda r: Path(r).parts):  # the order of sorted(rglob())
            _file(h, rel, files[rel].encode("utf-8"))
    return h.hexdigest()


def _file(h, rel: str, data: bytes) -> None:
    h.update(f"{rel}\0{hashlib.sha256(data).hexdigest()}\n".encode("utf-8", "surrogateescape"))


def save(out: Path, chart_dir: Path, options: dict, recording, chart: str, warnings: list[str],
         trees: dict[Path, dict[str, str]]) -> None:
    """Record a compile whose output is on disk (written, or found unchanged): ``trees`` is
    what ``out`` and the chart's folder hold. Best effort: a record that cannot be made is
    simply not there."""
    from .inputs import Doubt

    try:
        salt = os.urandom(16).hex()
        inputs = recording.inputs([str(out), str(chart_dir / chart)], salt)
        record = {"format": FORMAT, "code": code_key(), "options": options, "salt": salt,
                  "inputs": inputs, "out": str(out), "chart_dir": str(chart_dir), "chart": chart,
                  "warnings": warnings, "output": written_digest(trees)}
        path = _record_path(options)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        staging = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        staging.write_text(json.dumps(record, sort_keys=True), encoding="utf-8")
        os.replace(staging, path)
        _prune(path.parent)
    except (Doubt, OSError, ValueError):
        return


KEEP = 200  # records: one per folder and command line; the oldest go first


def _prune(folder: Path) -> None:
    records = sorted(folder.glob("synth-*.json"), key=lambda p: p.stat().st_mtime_ns)
    for stale in records[:-KEEP]:
        stale.unlink(missing_ok=True)


def current(options: dict) -> dict | None:
    """The record of this command line in this folder when every input and the output are as
    it says, else None (compile)."""
    from .inputs import current_inputs

    try:
        record = json.loads(_record_path(options).read_text(encoding="utf-8"))
        if not isinstance(record, dict) or record.get("format") != FORMAT or record.get("options") != options:
            return None
        if record.get("code") != code_key():
            return None
        inputs = record["inputs"]
        if current_inputs(inputs["recorded"], os.environ, record["salt"]) != inputs["state"]:
            return None
        names = (record["out"], record["chart_dir"], record["chart"])
        if not all(isinstance(n, str) for n in names) or not all(isinstance(w, str) for w in record["warnings"]):
            return None
        if output_digest(Path(record["out"]), Path(record["chart_dir"]) / record["chart"]) != record["output"]:
            return None
        return record
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
