"""Benchmark of `composek8s check` on 500 objects (target: under 1 s).

Makes 500 objects by repeating dist/base/ across namespaces, then times the CLI, median of 5,
against `python -c "import composek8s.cli"` as the baseline measured in the same run.
Run: .venv/bin/python bench/check.py
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def objects(count: int) -> list[dict]:
    docs = [yaml.safe_load(p.read_text()) for p in sorted((ROOT / "dist" / "base").glob("*.yaml"))
            if p.name != "kustomization.yaml"]
    docs = [d for d in docs if d["kind"] != "Namespace"]
    out: list[dict] = []
    copy = 0
    while len(out) < count:
        for doc in docs[: count - len(out)]:
            doc = yaml.safe_load(yaml.safe_dump(doc))
            doc["metadata"]["namespace"] = f"copy-{copy}"
            out.append(doc)
        copy += 1
    return out


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "objects.yaml"
        path.write_text(yaml.safe_dump_all(objects(500)))
        check = [sys.executable, "-m", "composek8s.cli", "check", str(path)]
        base = [sys.executable, "-c", "import composek8s.cli"]
        timed(check)  # warm-up: compiled bytecode, page cache
        pairs = [(timed(base), timed(check)) for _ in range(5)]
    baseline = statistics.median(b for b, _ in pairs)
    median = statistics.median(c for _, c in pairs)
    print(f"baseline (import composek8s.cli): {baseline:.3f} s")
    print(f"check 500 objects, Kubernetes 1.30 and 1.37: median {median:.3f} s "
          f"(min {min(c for _, c in pairs):.3f}, max {max(c for _, c in pairs):.3f}); "
          f"{median / baseline:.1f}x the baseline; target < 1 s: {'PASS' if median < 1 else 'FAIL'}")


if __name__ == "__main__":
    main()
