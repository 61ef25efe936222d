"""Shared test helpers: compile a compose snippet into objects, as a user would."""
from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

ROOT = Path(__file__).resolve().parent.parent


class Compiled:
    """The result of compiling a snippet: objects by (kind, name), plus diagnostics."""

    def __init__(self, plan, manifests: list[dict], reporter):
        self.plan = plan
        self.manifests = manifests
        self.diagnostics = reporter.diagnostics
        self.by_key = {(m["kind"], m["metadata"]["name"]): m for m in manifests}

    def get(self, kind: str, name: str) -> dict:
        return self.by_key[(kind, name)]

    def kinds(self, name: str) -> set[str]:
        return {k for (k, n) in self.by_key if n == name}

    def pod(self, name: str) -> dict:
        for kind in ("Deployment", "StatefulSet", "Job"):
            if (kind, name) in self.by_key:
                return self.by_key[(kind, name)]["spec"]["template"]["spec"]
        raise KeyError(name)

    def pod_labels(self, name: str) -> dict:
        for kind in ("Deployment", "StatefulSet", "Job"):
            if (kind, name) in self.by_key:
                return self.by_key[(kind, name)]["spec"]["template"]["metadata"]["labels"]
        raise KeyError(name)

    def container(self, name: str) -> dict:
        return self.pod(name)["containers"][0]

    def codes(self) -> list[str]:
        return [d.code for d in self.diagnostics]


HELM = ROOT / "tests" / "tools" / "bin" / "helm"  # tests/tools/install_helm.py's


@pytest.fixture(scope="session")
def helm() -> str:
    """The pinned helm: a test that needs it fails in CI without it, and is skipped elsewhere."""
    if not HELM.exists():
        if os.environ.get("CI"):
            pytest.fail("helm is missing: python tests/tools/install_helm.py (.ci/run does)")
        pytest.skip("helm is missing: python tests/tools/install_helm.py")
    return str(HELM)


def write_project(tmp_path: Path, compose: str, files: dict[str, str] | None = None) -> Path:
    (tmp_path / "compose.yaml").write_text(textwrap.dedent(compose))
    for rel, text in (files or {}).items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path / "compose.yaml"


@pytest.fixture
def compile_compose(tmp_path):
    """compile_compose(yaml_text, files={...}, environ={...}, profiles=[...]) -> Compiled.

    Goes through the plan only (no cdk8s), which is where every decision is made; the
    plain rendering is ``resolve_values`` of the plan, exactly what synth writes.
    """
    from composek8s.diagnostics import Reporter
    from composek8s.pipeline import compile_plan
    from composek8s.plan import resolve_values

    def run(compose: str, files: dict[str, str] | None = None, environ: dict | None = None,
            profiles: list[str] | None = None, namespace: str | None = None) -> Compiled:
        path = write_project(tmp_path, compose, files)
        reporter = Reporter()
        plan = compile_plan([path], profiles=profiles, namespace=namespace, cwd=tmp_path,
                            environ=environ or {}, reporter=reporter)
        return Compiled(plan, [resolve_values(r.manifest) for r in plan.resources], reporter)

    return run


@pytest.fixture
def compile_error(tmp_path):
    """compile_error(yaml_text, ...) -> list of error Diagnostics (asserts it fails)."""
    from composek8s.diagnostics import CompileError, Reporter
    from composek8s.pipeline import compile_plan

    def run(compose: str, files: dict[str, str] | None = None, environ: dict | None = None,
            profiles: list[str] | None = None):
        path = write_project(tmp_path, compose, files)
        with pytest.raises(CompileError) as info:
            compile_plan([path], profiles=profiles, cwd=tmp_path, environ=environ or {},
                         reporter=Reporter())
        return info.value.diagnostics

    return run


# The real docker-compose binary: the test oracle for compose semantics (tests/tools/install_compose.py).
ORACLE = Path(__file__).resolve().parent / "tools" / "bin" / "docker-compose"


@pytest.fixture(scope="module")
def oracle_home(tmp_path_factory) -> Path:
    """A HOME for the oracle (its config dir); skips locally and fails in CI when it is missing."""
    if not ORACLE.is_file():
        message = "docker-compose oracle missing: run `python tests/tools/install_compose.py`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return tmp_path_factory.mktemp("compose-home")
