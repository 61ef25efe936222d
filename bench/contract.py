"""Contract violations over tests/stacks/, before and after: an older compiler against this one.

A measurement, not a test: it prints a table and exits 0 whatever it finds.

    .venv/bin/python bench/contract.py --old ../old-checkout          # a checkout of the older commit
    .venv/bin/python bench/contract.py --old ../old-checkout --json bench/results/contract.json

For every stack under ``tests/stacks/`` (``--stacks``), compiled as published and, where its
``expect.yaml`` has ``fixed_with``, with those files, plus the Atlantiplex default
(``docker/docker-compose.yml``), it runs ``composek8s synth`` twice: with the compiler in
``--old`` (its ``src/`` put first on ``PYTHONPATH``) and with this repository's (``--new``,
default: the checkout holding this script). Each compiles in its own temporary folder with
the stack's ``environ`` from ``expect.yaml``. Then this repository's ``composek8s check``
(always the new checker, so both outputs are judged by the same rules) reads each ``dist/``,
and the findings of the contract rules are counted: ``connectivity``, ``persistence`` and
``probe-port``. A compile that exits non-zero is a refusal, counted apart with its error
codes (an old compiler refuses missing data folders with E-VOLUME-MISSING, for instance).

| option | meaning |
|---|---|
| ``--old DIR`` | the older checkout (required): a folder with ``src/composek8s`` |
| ``--new DIR`` | the newer checkout (default: the one holding this script) |
| ``--stacks DIR`` | the stacks (default: ``tests/stacks`` of ``--new``) |
| ``--jobs N`` | compiles run in parallel (default: the number of CPUs) |
| ``--json FILE`` | also write every row, with each finding's message, to FILE |
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
RULES = ("connectivity", "persistence", "probe-port")
_ERROR = re.compile(r"error\[([A-Z0-9-]+)\]")


@dataclass
class Outcome:
    """One compile of one variant by one compiler, judged by the new checker."""

    refused: list[str] = field(default_factory=list)  # error codes when synth failed
    counts: dict[str, int] = field(default_factory=dict)  # rule -> findings
    findings: list[str] = field(default_factory=list)  # "[rule] Kind/name: message"

    def cell(self) -> str:
        if self.refused:
            return "refused " + ",".join(sorted(set(self.refused)))
        return " ".join(f"{self.counts.get(r, 0)}" for r in RULES)


@dataclass
class Row:
    stack: str
    variant: str  # "published" or "fixed"
    folder: Path
    files: list[str]  # -f files, relative to the folder ([] for Compose's discovery)
    environ: dict[str, str]
    old: Outcome | None = None
    new: Outcome | None = None


def rows(stacks: Path, new: Path) -> list[Row]:
    found = [Row("atlantiplex (docker/)", "published", new / "docker", ["docker-compose.yml"], {})]
    for folder in sorted(p for p in stacks.iterdir() if (p / "expect.yaml").is_file()):
        expect = yaml.safe_load((folder / "expect.yaml").read_text()) or {}
        environ = {str(k): str(v) for k, v in (expect.get("environ") or {}).items()}
        found.append(Row(folder.name, "published", folder, [], environ))
        if expect.get("fixed_with"):
            found.append(Row(folder.name, "fixed", folder, list(expect["fixed_with"]), environ))
    return found


def _env(src: Path | None, environ: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(src)] + [p for p in [env.get("PYTHONPATH")] if p])
    env.update(environ)
    return env


def compile_and_check(row: Row, compiler: Path, work: Path) -> Outcome:
    """Synth ``row`` with the compiler at ``compiler``, then check it with the new checker."""
    out = work / re.sub(r"[^A-Za-z0-9.-]+", "_", f"{row.stack}-{row.variant}")
    args = [sys.executable, "-m", "composek8s", "synth", "-o", str(out / "dist"), "--chart-dir", str(out / "charts")]
    for f in row.files:
        args += ["-f", f]
    synth = subprocess.run(args, cwd=row.folder, env=_env(compiler / "src", row.environ),
                           capture_output=True, text=True, timeout=600)
    if synth.returncode != 0:
        return Outcome(refused=_ERROR.findall(synth.stderr) or [f"exit {synth.returncode}"])
    check = subprocess.run([sys.executable, "-m", "composek8s", "check", str(out / "dist"), "--format", "json"],
                           cwd=row.folder, env=_env(ROOT / "src", {}), capture_output=True, text=True, timeout=600)
    report = json.loads(check.stdout)
    outcome = Outcome(counts={r: 0 for r in RULES})
    for f in report["findings"]:
        if f["rule"] in RULES:
            outcome.counts[f["rule"]] += 1
            outcome.findings.append(f"[{f['rule']}] {f['kind']}/{f['name']}: {f['message']}")
    return outcome


def table(all_rows: list[Row]) -> str:
    head = f"{'stack':34} {'variant':9} {'before (conn pers probe)':28} {'after (conn pers probe)':28}"
    lines = [head, "-" * len(head)]
    for r in all_rows:
        lines.append(f"{r.stack:34} {r.variant:9} {r.old.cell():28} {r.new.cell():28}")
    lines.append("-" * len(head))
    for label, pick in (("before", lambda r: r.old), ("after", lambda r: r.new)):
        outcomes = [pick(r) for r in all_rows]
        compiled = [o for o in outcomes if not o.refused]
        totals = {rule: sum(o.counts.get(rule, 0) for o in compiled) for rule in RULES}
        with_any = sum(1 for o in compiled if any(o.counts.get(rule) for rule in RULES))
        lines.append(f"{label:6}: {len(compiled)} compiled, {len(outcomes) - len(compiled)} refused; "
                     f"violations: {sum(totals.values())} ({', '.join(f'{k} {v}' for k, v in totals.items())}) "
                     f"in {with_any} of {len(compiled)} compiled")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, required=True, help="the older checkout (with src/composek8s)")
    parser.add_argument("--new", type=Path, default=ROOT, help="the newer checkout (default: this one)")
    parser.add_argument("--stacks", type=Path, default=None, help="the stacks (default: tests/stacks of --new)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", type=Path, default=None, help="also write every row to this file")
    options = parser.parse_args()
    old, new = options.old.resolve(), options.new.resolve()
    for checkout in (old, new):
        if not (checkout / "src" / "composek8s").is_dir():
            parser.error(f"{checkout} holds no src/composek8s")
    all_rows = rows((options.stacks or new / "tests" / "stacks").resolve(), new)
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(options.jobs) as pool:
        work = Path(tmp)
        (work / "old").mkdir()
        (work / "new").mkdir()
        olds = [pool.submit(compile_and_check, r, old, work / "old") for r in all_rows]
        news = [pool.submit(compile_and_check, r, new, work / "new") for r in all_rows]
        for r, o, n in zip(all_rows, olds, news):
            r.old, r.new = o.result(), n.result()
    print(f"old: {old} ({_describe(old)})\nnew: {new} ({_describe(new)})\n")
    print(table(all_rows))
    for r in all_rows:
        for label, outcome in (("before", r.old), ("after", r.new)):
            for finding in outcome.findings:
                print(f"  {label} {r.stack} ({r.variant}): {finding}")
    if options.json:
        options.json.parent.mkdir(parents=True, exist_ok=True)
        options.json.write_text(json.dumps([{**asdict(r), "folder": str(r.folder)} for r in all_rows], indent=2))


def _describe(checkout: Path) -> str:
    """The checkout's commit, when it is a git work tree."""
    result = subprocess.run(["git", "-C", str(checkout), "log", "-1", "--format=%h %s"],
                            capture_output=True, text=True)
    return result.stdout.strip()[:72] if result.returncode == 0 else "not a git work tree"


if __name__ == "__main__":
    main()
