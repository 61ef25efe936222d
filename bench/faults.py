"""Faults over the hostile corpus, before and after: an older compiler against this one.

A measurement, not a test: it prints a table and exits 0 whatever it finds.

    .venv/bin/python bench/faults.py --src ../old-checkout/src            # an older compiler
    .venv/bin/python bench/faults.py                                      # this checkout
    .venv/bin/python bench/faults.py --ids compose-file-is-a-fifo,cpus-1e308

Every case of ``tests/hostile/cases.yaml`` runs as ``tests/test_hostile.py`` runs it (the
same generators, the same 1 GiB address-space limit, a previous output beside it), with the
compiler of ``--src`` first on ``PYTHONPATH``. Each outcome is counted as one of:

- ``refused``: exit 2, no traceback, output untouched (what the corpus asks; the exact code
  and position are the test's business, not this count's);
- ``traceback``: a Python traceback on stderr (whatever the exit code);
- ``hang``: still running after ``--timeout`` seconds (default 10, the test's limit);
- ``accepted``: exit 0; ``other``: any other exit without a traceback;
- ``output-changed``: refused, but a file of the previous output changed.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

import test_hostile as hostile  # noqa: E402  (the corpus and its generators)


def outcome(case: dict, src: Path, timeout: float) -> str:
    with tempfile.TemporaryDirectory(prefix="faults-") as tmp:
        root = Path(tmp)
        project = root / "project"
        project.mkdir()
        for rel, text in (case.get("files") or {}).items():
            (project / rel).parent.mkdir(parents=True, exist_ok=True)
            (project / rel).write_text(text, encoding="utf-8")
        if case.get("generate"):
            hostile.GENERATORS[case["generate"]](project)
        out, charts = hostile.previous_output(root)
        before = hostile.snapshot(root)
        env = {k: v.replace("{root}", str(root)) for k, v in (case.get("env") or {}).items()}
        env["PYTHONPATH"] = str(src)
        args = (["check", *case["args"]] if case.get("command") == "check" else
                ["synth", "-f", "compose.yaml", "--out", str(out), "--chart-dir", str(charts),
                 *case.get("args", [])])
        try:
            result = hostile.run_cli(project, args, timeout=timeout, env=env)
        except subprocess.TimeoutExpired:
            return "hang"
        if "Traceback" in result.stderr:
            return "traceback"
        if result.returncode == 0:
            return "accepted"
        if result.returncode != 2:
            return "other"
        return "refused" if hostile.snapshot(root) == before else "output-changed"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=HERE.parent / "src", help="the compiler's src/ folder")
    parser.add_argument("--ids", default="", help="comma-separated case ids (default: all)")
    parser.add_argument("--timeout", type=float, default=hostile.TIMEOUT)
    args = parser.parse_args()
    wanted = {i for i in args.ids.split(",") if i}
    cases = [c for c in hostile.CASES if not wanted or c["id"] in wanted]
    counts: Counter = Counter()
    for case in cases:
        result = outcome(case, args.src.resolve(), args.timeout)
        counts[result] += 1
        if result != "refused":
            print(f"{case['id']:45} {result}")
    print(f"{len(cases)} cases with {args.src}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


if __name__ == "__main__":
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    main()
