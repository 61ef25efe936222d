"""README.md works as written: its commands and code blocks, run in order in a copy of the
repository, as a newcomer would after `bash .ci/run`.

What is not run is listed below with the reason (installs that `.ci/run` and CI already run
on a fresh clone; commands that need a Kubernetes cluster). YAML blocks: the pre-commit
hook's entry and the CI steps run (GitHub's `${{ … }}` expressions replaced by `main`);
compose fragments must parse.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

NOT_RUN = {
    "python3 -m venv .venv": "the copy links the suite's own .venv",
    ".venv/bin/pip install": "an install: .ci/run does it on every fresh clone",
    "bash .ci/run": "CI itself (this test runs inside it)",
    "kubectl create": "needs a Kubernetes cluster",
    "kubectl apply": "needs a Kubernetes cluster",
    "helm install": "needs a Kubernetes cluster",
    "helm test": "needs a Kubernetes cluster",
}


def blocks(text: str) -> list[tuple[str, str, int]]:
    """(language, body, line) of every fenced block, indented ones (in list items) included."""
    found = []
    for m in re.finditer(r"^( *)```(\w*)\n(.*?)^\1```", text, re.S | re.M):
        body = "\n".join(line[len(m.group(1)):] for line in m.group(3).splitlines())
        found.append((m.group(2), body, text[:m.start()].count("\n") + 1))
    return found


def commands(script: str) -> list[list[str]]:
    """The shell command lines of a block (continuations joined, comments dropped), each as its
    `&&` chain, so an install in a chain can be left out and the rest still run together."""
    joined = re.sub(r"\\\n\s*", " ", script)
    out = []
    for line in joined.splitlines():
        line = line.split(" # ")[0].strip()
        if line and not line.startswith("#"):
            out.append([part.strip() for part in line.split(" && ")])
    return out


def skipped(command: str) -> str | None:
    return next((why for prefix, why in NOT_RUN.items() if command.startswith(prefix)), None)


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    """The repository's files (tracked and new, not ignored) in a fresh git repository whose
    `origin` is itself, with the suite's .venv and test tools linked in."""
    if not (ROOT / "tests" / "tools" / "node_modules" / ".bin" / "cdk8s").exists():
        if os.environ.get("CI"):
            pytest.fail("test tools missing: run `bash .ci/run`")
        pytest.skip("test tools missing: run `bash .ci/run`")
    repo = tmp_path_factory.mktemp("readme") / "atlantiplex"
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.split("\0")
    for rel in filter(None, listed):
        source = ROOT / rel
        if source.is_file() and not source.is_symlink():
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / rel)
    os.symlink(sys.prefix, repo / ".venv")  # the virtualenv running this suite (ROOT/.venv after .ci/run)
    for rel in ("tests/tools/node_modules", "tests/tools/bin"):
        if not (repo / rel).exists():
            os.symlink((ROOT / rel).resolve(), repo / rel)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=repo, check=True)
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "readme"], cwd=repo, check=True)
    subprocess.run([*git, "remote", "add", "origin", repo.as_uri()], cwd=repo, check=True)
    return repo


def sh(command: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "COMPOSE_FILE")}
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)


def test_every_readme_block_works_as_written(copy):
    ran, left_out = [], []
    for language, body, line in blocks(README.read_text(encoding="utf-8")):
        if language == "sh":
            for chain in commands(body):
                left_out += [(c, skipped(c)) for c in chain if skipped(c)]
                command = " && ".join(c for c in chain if not skipped(c))
                if not command:
                    continue
                result = sh(command, copy)
                assert result.returncode == 0, f"README.md:{line}: `{command}` failed:\n{result.stderr[-3000:]}"
                ran.append(command)
        elif language == "python":
            result = subprocess.run([str(copy / ".venv" / "bin" / "python"), "-c", body], cwd=copy,
                                    capture_output=True, text=True, timeout=600,
                                    env={**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"})
            assert result.returncode == 0, f"README.md:{line}: the Python example failed:\n{result.stderr[-3000:]}"
            written = copy / "my-app" / "atlantiplex.k8s.yaml"
            assert written.is_file(), f"README.md:{line}: the Python example wrote nothing"
            frontend = next(d for d in yaml.safe_load_all(written.read_text())
                            if d and d["kind"] == "Deployment" and d["metadata"]["name"] == "frontend")
            assert frontend["spec"]["template"]["metadata"]["annotations"] == {"team": "web"}
            ran.append("the Python example")
        elif language == "yaml":
            data = yaml.safe_load(body)
            if isinstance(data, dict) and "repos" in data:  # pre-commit
                for hook in (h for r in data["repos"] for h in r["hooks"]):
                    result = sh(hook["entry"], copy)
                    assert result.returncode == 0, f"README.md:{line}: hook {hook['id']}: {result.stderr[-3000:]}"
                    ran.append(hook["entry"])
            elif isinstance(data, list) and all("run" in step for step in data):  # CI steps
                for step in data:
                    command = re.sub(r"\$\{\{[^}]*\}\}", "main", step["run"])
                    result = sh(command, copy)
                    assert result.returncode == 0, f"README.md:{line}: `{command}` failed:\n{result.stderr[-3000:]}"
                    ran.append(command)
    assert any("composek8s synth" in c for c in ran) and "the Python example" in ran
    assert any("cdk8s synth" in c for c in ran) and any(c.startswith("git fetch") for c in ran)
    assert {why for _, why in left_out} <= set(NOT_RUN.values())
    # Nothing the README ran left the committed output stale.
    check = sh(".venv/bin/composek8s synth --check", copy)
    assert check.returncode == 0, check.stdout[-3000:] + check.stderr[-3000:]


def test_the_readme_pins_the_cdk8s_cli_the_tests_use():
    import json

    pinned = json.loads((ROOT / "tests" / "tools" / "package.json").read_text())["devDependencies"]["cdk8s-cli"]
    text = README.read_text(encoding="utf-8")
    assert "npm exec --prefix tests/tools -- cdk8s synth" in text and "tests/tools/package.json" in text
    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned)  # an exact pin, so the README's command is reproducible


def test_the_readme_asks_for_the_node_versions_jsii_supports():
    """jsii (cdk8s' runtime) keeps a table of Node releases and their end of life; the README's
    prerequisite names exactly those still supported today."""
    import datetime

    import jsii

    runtime = Path(jsii.__file__).parent / "_embedded" / "jsii" / "bin__jsii-runtime.js"
    table = re.findall(r"new (?:\w+\.)?NodeRelease\((\d+),\{([^}]*)\}", runtime.read_text(encoding="utf-8"))
    assert table, "jsii's Node release table moved: update this test"
    today = datetime.date.today().isoformat()
    supported = sorted(int(major) for major, spec in table
                       if "untested:!0" not in spec and re.search(r'endOfLife:new Date\("([\d-]+)"\)', spec)
                       and re.search(r'endOfLife:new Date\("([\d-]+)"\)', spec).group(1) > today)
    assert supported, "no supported Node release in jsii's table"
    wanted = re.search(r"Prerequisites: Python ≥ 3\.10 and Node\.js ([\d, or]+), the versions jsii",
                       README.read_text(encoding="utf-8"))
    assert wanted, "the README's Node prerequisite is not where this test looks"
    assert sorted(int(v) for v in re.findall(r"\d+", wanted.group(1))) == supported
