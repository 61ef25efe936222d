"""Output as one transaction: `dist/`, the chart and the package change together or not at
all, two runs into one output never interleave, and a killed run leaves nothing the next
run does not clean up.

Two compose projects ("a" and "b", both named `demo`) write into one `out/` and `charts/`;
every file says which run wrote it (`RUN_ID: run-a`), so a tree from one run beside a tree
from the other is seen."""
from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from composek8s.synth import outlock, transaction
from composek8s.synth.outlock import WORK
from composek8s.synth.transaction import output_transaction

CLI = [sys.executable, "-m", "composek8s.cli"]
ARGS = ["--out", "out", "--chart-dir", "charts"]


def compose(run: str, services: int) -> str:
    lines = ["name: demo", "services:"]
    for i in range(services):
        lines += [f"  svc{i}:", "    image: nginxinc/nginx-unprivileged:1.27-alpine",
                  "    environment:", f"      RUN_ID: run-{run}"]
    if run == "b":  # b has one more object, so a tree's size says which run wrote it too
        lines += ["  extra:", "    image: redis:7.4-alpine"]
    return "\n".join(lines) + "\n"


def project(root: Path, services: int) -> Path:
    for run in "ab":
        (root / run).mkdir(parents=True)
        (root / run / "compose.yaml").write_text(compose(run, services))
    return root


def env(**extra: str) -> dict[str, str]:
    environ = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", **extra}
    environ.pop("COMPOSE_FILE", None)
    return environ


def synth(root: Path, run: str, *more: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(CLI + ["synth", "-f", f"{run}/compose.yaml", *ARGS, *more], cwd=root,
                          env=env(**extra), capture_output=True, text=True)


def start(root: Path, run: str) -> subprocess.Popen:
    return subprocess.Popen(CLI + ["synth", "-f", f"{run}/compose.yaml", *ARGS], cwd=root, env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def runs_in(folder: Path) -> set[str]:
    """Which runs wrote the files of ``folder`` ({"a"}, {"b"}, or both when they mix)."""
    found = set()
    for path in folder.rglob("*"):
        if path.is_file():
            text = path.read_text()
            found |= {run for run in "ab" if f"run-{run}" in text}
            found |= {"b"} if "extra" in path.name else set()
    return found


def written_by(root: Path) -> str:
    """The run that wrote both trees, complete; fails when they mix or one is partial."""
    dist, chart = runs_in(root / "out"), runs_in(root / "charts" / "demo")
    assert len(dist) == 1 and dist == chart, f"dist/ from {sorted(dist)}, the chart from {sorted(chart)}"
    base, templates = root / "out" / "base", root / "charts" / "demo" / "templates"
    listed = (base / "kustomization.yaml").read_text().count("\n- ")
    assert listed == len(list(base.glob("*.yaml"))) - 1, "dist/base/ lacks files its kustomization lists"
    assert len(list(templates.glob("*.yaml"))) >= listed, "the chart lacks objects dist/ has"
    return dist.pop()


def leftovers(root: Path) -> list[str]:
    """Anything a run leaves beside the output: work folders, staging of any name."""
    return sorted(p.relative_to(root).as_posix() for folder in (root, root / "charts")
                  if folder.is_dir() for p in folder.iterdir() if p.name.startswith(".") and p.name != ".git")


def test_a_refused_chart_dir_leaves_dist_unchanged(tmp_path):
    root = project(tmp_path, 1)
    assert synth(root, "a").returncode == 0
    before = {p: p.read_bytes() for p in (root / "out").rglob("*") if p.is_file()}
    (root / "mine").mkdir()
    (root / "mine" / "demo").write_text("not a chart folder\n")
    result = synth(root, "b", "--chart-dir", "mine")
    assert result.returncode == 2, result.stderr
    assert "error[E-OUTPUT]" in result.stderr and "Traceback" not in result.stderr
    assert {p: p.read_bytes() for p in (root / "out").rglob("*") if p.is_file()} == before
    assert leftovers(root) == [] and sorted(p.name for p in (root / "mine").iterdir()) == ["demo"]


@pytest.mark.parametrize("where", ["package names a file", "the .tgz is a folder"])
def test_a_package_target_that_cannot_be_written_changes_nothing(tmp_path, where):
    root = project(tmp_path, 1)
    assert synth(root, "a").returncode == 0
    before = {p: p.read_bytes() for p in [*(root / "out").rglob("*"), *(root / "charts").rglob("*")] if p.is_file()}
    if where == "package names a file":
        (root / "pkg").write_text("a file\n")
    else:
        (root / "pkg" / "demo-0.1.1.tgz").mkdir(parents=True)  # where b's bumped chart would go
    result = synth(root, "b", "--package", "pkg")
    assert result.returncode == 2, result.stderr
    assert "error[E-OUTPUT]" in result.stderr and "Traceback" not in result.stderr
    after = {p: p.read_bytes() for p in [*(root / "out").rglob("*"), *(root / "charts").rglob("*")] if p.is_file()}
    assert after == before
    assert leftovers(root) == []
    if (root / "pkg").is_dir():
        assert sorted(p.name for p in (root / "pkg").iterdir()) == ["demo-0.1.1.tgz"]


def test_the_package_moves_with_the_trees(tmp_path):
    root = project(tmp_path, 1)
    assert synth(root, "a", "--package", "pkg").returncode == 0
    assert synth(root, "b", "--package", "pkg").returncode == 0
    assert sorted(p.name for p in (root / "pkg").iterdir()) == ["demo-0.1.0.tgz", "demo-0.1.1.tgz"]
    assert written_by(root) == "b" and leftovers(root) == []


def test_a_second_run_waits_for_the_lock_then_stops_with_e_output_busy(tmp_path):
    root = project(tmp_path, 1)
    assert synth(root, "a").returncode == 0
    (root / WORK).mkdir()
    with open(root / WORK / "lock", "w") as held:  # another run holds the lock of out/'s folder
        fcntl.flock(held, fcntl.LOCK_EX)
        began = time.monotonic()
        result = synth(root, "b", COMPOSEK8S_LOCK_TIMEOUT="1")
        waited = time.monotonic() - began
    assert result.returncode == 2
    assert "error[E-OUTPUT-BUSY]: another composek8s run is writing into" in result.stderr
    assert "Traceback" not in result.stderr and waited >= 1
    assert written_by(root) == "a"
    result = synth(root, "b")  # the lock is free: the run goes through and removes the folder
    assert result.returncode == 0, result.stderr
    assert written_by(root) == "b" and leftovers(root) == []


def test_staging_an_older_composek8s_left_is_removed(tmp_path):
    root = project(tmp_path, 1)
    assert synth(root, "a").returncode == 0
    for stale in (root / ".out.new-k2j4_9ab", root / "charts" / ".demo.old-x7pq0zzz" / "tree"):
        stale.mkdir(parents=True)
        (stale / "kustomization.yaml").write_text("# Generated by composek8s synth\n")
    assert synth(root, "b").returncode == 0
    assert leftovers(root) == []


def test_a_swap_interrupted_between_the_trees_is_finished_by_the_next_run(tmp_path, monkeypatch):
    """The commit point is passed, dist/ is swapped in, then the run dies before the chart:
    the next run, before anything else, swaps the chart in too."""
    out, chart = tmp_path / "out", tmp_path / "charts" / "demo"
    old = {"kustomization.yaml": "# Generated by composek8s synth\nold\n"}
    new = {"kustomization.yaml": "# Generated by composek8s synth\nnew\n"}
    with output_transaction([out, chart]) as tx:
        tx.tree(out, old)
        tx.tree(chart, {"Chart.yaml": "# Generated by composek8s synth\nold\n"}, marker="Chart.yaml")
        tx.commit()
    real, calls = os.replace, []

    def dies_at_the_sixth(src, dst):  # 2 plans, the commit file, dist/ aside, dist/ in, chart aside
        calls.append(dst)
        if len(calls) == 6:
            raise SystemExit("killed")
        real(src, dst)

    monkeypatch.setattr(transaction.os, "replace", dies_at_the_sixth)
    with pytest.raises(SystemExit):
        with output_transaction([out, chart]) as tx:
            tx.tree(out, new)
            tx.tree(chart, {"Chart.yaml": "# Generated by composek8s synth\nnew\n"}, marker="Chart.yaml")
            tx.commit()
    monkeypatch.setattr(transaction.os, "replace", real)
    assert "new" in (out / "kustomization.yaml").read_text() and "old" in (chart / "Chart.yaml").read_text()
    with output_transaction([out, chart]):
        pass  # recovery only
    assert "new" in (chart / "Chart.yaml").read_text()
    assert not (tmp_path / WORK).exists() and not (tmp_path / "charts" / WORK).exists()


def test_the_work_folders_gitignore_appears_whole_and_an_empty_one_is_repaired(tmp_path):
    """A run killed between creating .gitignore and writing it left an empty file: git listed
    it (and would list everything beside it). The next run rewrites it; a new one appears
    with its text, nothing else in the folder."""
    work = tmp_path / WORK
    work.mkdir()
    outlock._ensure_ignored(work)
    assert os.listdir(work) == [outlock.IGNORE]
    assert (work / outlock.IGNORE).read_text() == outlock.IGNORE_TEXT
    (work / outlock.IGNORE).write_text("")  # what the killed run left
    outlock._ensure_ignored(work)
    assert (work / outlock.IGNORE).read_text() == outlock.IGNORE_TEXT
    git = shutil.which("git")
    if git:
        subprocess.run([git, "init", "-q"], cwd=tmp_path, check=True)
        (work / "out.new").mkdir()
        (work / "out.new" / "x.yaml").write_text("x: 1\n")
        shown = subprocess.run([git, "status", "--porcelain", "--untracked-files=all"], cwd=tmp_path,
                               capture_output=True, text=True, check=True).stdout
        assert shown == ""


@pytest.mark.skipif(not hasattr(os, "O_TMPFILE") or not Path("/proc/self/fd").is_dir(), reason="Linux only")
def test_a_new_gitignore_is_linked_in_whole_never_created_by_name(tmp_path, monkeypatch):
    """Created by name, a killed run can leave it empty (the kill test caught one in CI):
    on Linux it is written unnamed and linked in. os.link without a directory descriptor
    never followed /proc's link (EXDEV), so every run used to take the named path."""
    work = tmp_path / WORK
    work.mkdir()
    real_open = os.open

    def no_named_gitignore(path, flags, *args, **kwargs):
        assert not (str(path).endswith(outlock.IGNORE) and flags & os.O_CREAT), "created by name"
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(outlock.os, "open", no_named_gitignore)
    outlock._ensure_ignored(work)
    assert os.listdir(work) == [outlock.IGNORE]
    assert (work / outlock.IGNORE).read_text() == outlock.IGNORE_TEXT


def test_two_runs_into_one_output_never_interleave(tmp_path):
    """20 rounds of two synths started together into one out/ and charts/: each round ends
    with both trees from one run, both runs exit 0, and no staging or lock left."""
    root = project(tmp_path, 1)
    for round_ in range(20):
        runs = [start(root, run) for run in "ab"]
        errors = [p.communicate()[1] for p in runs]
        assert [p.returncode for p in runs] == [0, 0], (round_, errors)
        written_by(root)
        assert leftovers(root) == [], round_


def _work_entries(root: Path) -> list[str]:
    names = []
    for folder in (root / WORK, root / "charts" / WORK):
        try:
            names += os.listdir(folder)
        except FileNotFoundError:
            pass
    return names


def _staged_files(root: Path) -> int:
    try:
        return sum(len(os.listdir(root / WORK / n / "base")) for n in os.listdir(root / WORK) if n.endswith(".new"))
    except FileNotFoundError:
        return 0


# Points of a run, each "at or after" it: the first poll that sees the point (or a later one) kills.
KILL_POINTS = {
    "compiling (before the lock)": lambda root, began: time.monotonic() - began > 0.3,
    "lock taken, the chart rendering": lambda root, began: "lock" in _work_entries(root),
    "dist/ staging begun": lambda root, began: any(n.endswith("out.new") for n in _work_entries(root)),
    "dist/ staging half written": lambda root, began: _staged_files(root) >= 200
    or any(n.endswith("demo.new") for n in _work_entries(root)),
    "chart staging begun": lambda root, began: any(n.endswith("demo.new") for n in _work_entries(root)),
    "journaled (plans written)": lambda root, began: any(n.endswith((".plan", ".commit")) for n in _work_entries(root)),
    "committed (swapping, old trees being deleted)": lambda root, began: any(
        n.endswith((".commit", ".old")) for n in _work_entries(root)),
}


def test_a_killed_synth_leaves_matching_output_and_the_next_run_cleans_up(tmp_path):
    """SIGKILL a 100-service synth at each point of its run: both trees are always wholly from
    one run (or a committed swap is journaled for the next run to finish), and the next run
    leaves matching output with no staging and no lock folder. Staging is never committable."""
    root = project(tmp_path, 100)
    git = shutil.which("git")
    if git:
        subprocess.run([git, "init", "-q"], cwd=root, check=True)
    assert synth(root, "a").returncode == 0
    current, hit, journaled = "a", [], []
    for point, reached in KILL_POINTS.items():
        other = "b" if current == "a" else "a"
        began = time.monotonic()
        run = start(root, other)
        while run.poll() is None and not reached(root, began):
            time.sleep(0.001)
        if run.poll() is None:
            run.send_signal(signal.SIGKILL)
            hit.append(point)
        run.wait()
        if any(n.endswith(".commit") for n in _work_entries(root)):
            try:  # killed after the commit point: the renames are done, or the next run does them
                written_by(root)
                journaled.append(f"{point}: trees already match")
            except AssertionError:
                journaled.append(f"{point}: trees differ until the next run")
            with output_transaction([root / "out", root / "charts" / "demo"]):
                pass
        current = written_by(root)
        if git:
            shown = subprocess.run([git, "status", "--porcelain", "--untracked-files=all"], cwd=root,
                                   capture_output=True, text=True, check=True).stdout
            assert WORK not in shown and ".new" not in shown, shown
    print(f"killed at {len(hit)} points ({', '.join(hit)}); mid-swap: {journaled or 'none'}")
    assert len(hit) >= len(KILL_POINTS) - 2, f"only {hit} were reached before the runs ended"
    result = synth(root, "a" if current == "b" else "b")
    assert result.returncode == 0, result.stderr
    written_by(root)
    assert leftovers(root) == []
