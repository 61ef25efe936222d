"""The project budget (synth/budget.py): a project too large for the memory a run may use is
refused before any object is rendered (E-PROJECT-TOO-LARGE, exit 2, nothing written), and a
project the budget admits is rendered within that memory.

The limit is a real one: an address-space limit (``ulimit -v``) set on the CLI's process,
just below and just above what the budget says the project needs, on a 50-service project of
bench/run.py's generator (the projects the budget was measured on).
"""
from __future__ import annotations

import importlib.util
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from composek8s.diagnostics import CompileError, Reporter
from composek8s.pipeline import compile_plan
from composek8s.synth import budget

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_bench)
compose_text = _bench.compose_text  # the benchmark's generator (without bench/ on sys.path)

MIB = 1 << 20


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> tuple[Path, int]:
    """A 50-service project and the address space the budget says it needs."""
    folder = tmp_path_factory.mktemp("budget")
    (folder / "compose.yaml").write_text(compose_text(50))
    plan = compile_plan([folder / "compose.yaml"], cwd=folder, environ={}, reporter=Reporter())
    return folder, budget.address_space_needed(len(plan.resources), budget.manifest_bytes(plan))


def _synth(folder: Path, address_space: int) -> subprocess.CompletedProcess:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))

    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    return subprocess.run([sys.executable, "-m", "composek8s", "synth", "-f", "compose.yaml", "--out", "out",
                           "--chart-dir", "charts"], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=300, preexec_fn=limit)


def test_a_project_over_the_budget_is_refused_up_front(project):
    folder, need = project
    result = _synth(folder, need - MIB)
    assert result.returncode == 2, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if "error[" in line]
    assert errors == [line for line in errors if line.startswith("composek8s: error[E-PROJECT-TOO-LARGE]: ")]
    [line] = errors
    assert "the project renders 258 objects" in line and f"about {need // MIB:,} MiB of address space" in line
    assert f"limit of {(need - MIB) // MIB:,} MiB (ulimit -v)" in line
    assert "split the project" in line and "README: Limits" in line
    assert "Traceback" not in result.stderr and "E-NODE" not in result.stderr
    assert not (folder / "out").exists() and not (folder / "charts").exists()  # nothing written


def test_a_project_just_under_the_budget_is_rendered_within_it(project):
    folder, need = project
    result = _synth(folder, need + MIB)
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(list((folder / "out" / "base").glob("*.yaml"))) == 258 + 1  # and the kustomization


def test_the_memory_left_to_a_cgroup_does_not_count_page_cache(tmp_path):
    (tmp_path / "proc" / "self").mkdir(parents=True)
    group = tmp_path / "sys" / "fs" / "cgroup" / "ci" / "job"
    group.mkdir(parents=True)
    (tmp_path / "proc" / "self" / "cgroup").write_text("0::/ci/job\n")
    (group / "memory.max").write_text(f"{2048 * MIB}\n")
    (group / "memory.current").write_text(f"{1536 * MIB}\n")
    (group / "memory.stat").write_text(f"anon {512 * MIB}\ninactive_file {1024 * MIB}\n")
    assert budget.cgroup_room(tmp_path) == 1536 * MIB
    (group / "memory.max").write_text("max\n")
    assert budget.cgroup_room(tmp_path) is None
    v1 = tmp_path / "sys" / "fs" / "cgroup" / "memory"
    v1.mkdir()
    (tmp_path / "proc" / "self" / "cgroup").write_text("4:memory:/docker/abc\n0::/\n")
    (v1 / "memory.limit_in_bytes").write_text(f"{1024 * MIB}\n")
    (v1 / "memory.usage_in_bytes").write_text(f"{300 * MIB}\n")
    (v1 / "memory.stat").write_text(f"total_inactive_file {100 * MIB}\n")
    assert budget.cgroup_room(tmp_path) == 824 * MIB
    (v1 / "memory.limit_in_bytes").write_text("9223372036854771712\n")  # v1's "no limit"
    assert budget.cgroup_room(tmp_path) is None


def test_too_little_free_memory_refuses_a_project(project, monkeypatch):
    folder, _ = project
    plan = compile_plan([folder / "compose.yaml"], cwd=folder, environ={}, reporter=Reporter())
    monkeypatch.setattr(budget, "cgroup_room", lambda: None)
    monkeypatch.setattr(budget, "_own_rss", lambda: 0)
    need = budget.resident_needed(len(plan.resources), budget.manifest_bytes(plan))
    monkeypatch.setattr(budget, "available_memory", lambda: need)
    budget.refuse_too_large(plan)  # exactly enough
    monkeypatch.setattr(budget, "available_memory", lambda: need - 1)
    with pytest.raises(CompileError) as caught:
        budget.refuse_too_large(plan)
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.code == "E-PROJECT-TOO-LARGE" and "the memory available" in diagnostic.message
