"""Environments: kustomize overlays and values-<env>.yaml from one definition, equal renders."""
from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

import pytest
import yaml
from support import strip_bookkeeping as strip

from composek8s.check.run import Source, check_sources
from composek8s.diagnostics import CompileError, Reporter
from composek8s.helm.versioning import versioned_chart
from composek8s.pipeline import compile_plan
from composek8s.synth.overlays import json_patch, overlay_files

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "tests" / "tools" / "bin"
ENVIRONMENTS = ["dev", "production", "staging"]


def tool(name: str) -> str:
    if not (BIN / name).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing: python tests/tools/install_helm.py (.ci/run does)")
        pytest.skip(f"{name} is missing: python tests/tools/install_helm.py")
    return str(BIN / name)


def docs(text: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(text) if d]


def test_the_default_declares_dev_staging_and_production():
    assert sorted(p.name for p in (ROOT / "dist" / "overlays").iterdir()) == ENVIRONMENTS
    assert sorted(p.name for p in (ROOT / "charts" / "atlantiplex").glob("values-*.yaml")) == [
        f"values-{env}.yaml" for env in ENVIRONMENTS]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_each_overlay_renders_passes_check_and_equals_the_chart_with_its_values(env):
    rendered = subprocess.run([tool("kubectl"), "kustomize", str(ROOT / "dist" / "overlays" / env)],
                              capture_output=True, text=True)
    assert rendered.returncode == 0, rendered.stderr
    overlay = docs(rendered.stdout)
    assert check_sources([Source(env, d) for d in overlay], ["1.30", "1.37"]) == []
    namespace = next(d["metadata"]["name"] for d in overlay if d["kind"] == "Namespace")
    assert {d["metadata"].get("namespace", namespace) for d in overlay} == {namespace}
    chart = subprocess.run([tool("helm"), "template", "atlantiplex", str(ROOT / "charts" / "atlantiplex"),
                            "-n", namespace, "-f", str(ROOT / "charts" / "atlantiplex" / f"values-{env}.yaml")],
                           capture_output=True, text=True)
    assert chart.returncode == 0, chart.stderr
    from_chart = {(d["kind"], d["metadata"]["name"]): strip(d) for d in docs(chart.stdout)
                  if "helm.sh/hook" not in d["metadata"].get("annotations", {})}
    from_overlay = {(d["kind"], d["metadata"]["name"]): strip(d) for d in overlay if d["kind"] != "Namespace"}
    assert sorted(from_chart) == sorted(from_overlay)
    assert [k for k in from_chart if from_chart[k] != from_overlay[k]] == []


def test_production_overrides_reach_the_objects():
    plan = compile_plan(cwd=ROOT, environ={}, reporter=Reporter())
    text = overlay_files(plan)["overlays/production/kustomization.yaml"]
    assert "namespace:" not in text  # production keeps the project's namespace
    assert "path: /spec/replicas\n      value: 3" in text
    assert "value: 100Gi" in text and "storageClassName" in text


def project(tmp_path: Path, environments: str) -> Path:
    (tmp_path / "compose.yaml").write_text(textwrap.dedent("""
        name: shop
        services:
          web:
            image: example/web:1
            ports: ["80:8080"]
        x-k8s:
          environments:
    """) + textwrap.indent(textwrap.dedent(environments), "    "))
    return tmp_path


def test_a_typo_in_environment_values_is_an_error_with_its_place(tmp_path):
    plan = compile_plan(cwd=project(tmp_path, "prod:\n  values: {web: {replicaz: 2}}\n"), environ={},
                        reporter=Reporter())
    with pytest.raises(CompileError) as info:
        versioned_chart(plan, tmp_path / "charts" / "shop")
    [error] = info.value.diagnostics
    assert error.code == "E-ENVIRONMENT"
    assert "environment 'prod': web: Additional properties are not allowed ('replicaz' was unexpected)" in error.message
    assert (error.position.line, error.position.column) == (10, 16)  # web, whose values hold the typo


def test_an_environment_cannot_remove_objects(tmp_path):
    plan = compile_plan(cwd=project(tmp_path, "prod:\n  values: {networkPolicy: {enabled: false}}\n"),
                        environ={}, reporter=Reporter())
    with pytest.raises(CompileError) as info:
        overlay_files(plan)
    assert "turns networkPolicy.enabled off" in str(info.value)


def test_an_environment_name_must_be_a_dns_label(tmp_path):
    with pytest.raises(CompileError) as info:
        compile_plan(cwd=project(tmp_path, "Prod_1:\n  values: {}\n"), environ={}, reporter=Reporter())
    assert "must be a DNS-1123 label" in str(info.value)


def test_json_patch_is_minimal_and_escapes_keys():
    old = {"metadata": {"labels": {"a/b": "1", "gone": "x"}}, "spec": {"list": [1, 2], "other": [1]}}
    new = {"metadata": {"labels": {"a/b": "2"}}, "spec": {"list": [1, 3], "other": [1, 2]}}
    assert json_patch(old, new) == [
        {"op": "remove", "path": "/metadata/labels/gone"},
        {"op": "replace", "path": "/metadata/labels/a~1b", "value": "2"},
        {"op": "replace", "path": "/spec/list/1", "value": 3},
        {"op": "replace", "path": "/spec/other", "value": [1, 2]},
    ]


def test_an_environment_cannot_weaken_a_service(tmp_path):
    from composek8s.synth.environments import refuse_weakening

    plan = compile_plan(cwd=project(tmp_path, "prod:\n  values: {web: {securityContext: {privileged: true}}}\n"),
                        environ={}, reporter=Reporter())
    with pytest.raises(CompileError) as info:
        refuse_weakening(plan)
    codes = {(d.code, d.position.line) for d in info.value.diagnostics}
    # privileged with the base's allowPrivilegeEscalation: false is also refused by the API server
    assert codes == {("E-ENVIRONMENT-WEAKENS", 10), ("E-API-SPEC", 10)}
    assert "[pss-privileged]" in str(info.value) and "opts out in compose" in str(info.value)


def test_a_service_that_opted_out_may_be_changed_by_its_environment(tmp_path):
    from composek8s.synth.environments import refuse_weakening

    (tmp_path / "compose.yaml").write_text(textwrap.dedent("""
        name: shop
        services:
          agent:
            image: example/agent:1.0.0
            x-k8s: {podSecurity: privileged, reason: "reads the node's kernel counters"}
        x-k8s:
          environments:
            prod:
              values: {agent: {securityContext: {privileged: true, allowPrivilegeEscalation: true}}}
    """))
    refuse_weakening(compile_plan(cwd=tmp_path, environ={}, reporter=Reporter()))  # no error


def test_what_the_base_already_has_is_not_an_environment_error(tmp_path):
    """A build-only image is `<project>-<svc>:latest` in the base (check says so there); an
    environment changing its replicas adds nothing to it."""
    from composek8s.synth.environments import refuse_weakening

    (tmp_path / "compose.yaml").write_text(textwrap.dedent("""
        name: shop
        services:
          web:
            build: .
            expose: ["8080"]
        x-k8s:
          environments:
            prod: {values: {web: {replicas: 2}}}
    """))
    (tmp_path / "Dockerfile").write_text("FROM nginx:1.27\nUSER 10001\n")
    refuse_weakening(compile_plan(cwd=tmp_path, environ={}, reporter=Reporter()))  # no error


def test_the_fast_values_check_accepts_only_what_jsonschema_accepts():
    """check_environments asks jsonschema only when jsonschema-rs does not accept every
    environment's values: Atlantiplex's values with each leaf replaced by a value of every
    JSON type (and text the two regex dialects read apart) are accepted by jsonschema-rs only
    where jsonschema finds no error."""
    import json

    import jsonschema

    from composek8s.helm.chart import render_chart
    from composek8s.helm.values import values_tree
    from composek8s.schemagate import certainly_valid, fast_validator

    plan = compile_plan(cwd=ROOT, environ={}, reporter=Reporter())
    schema = json.loads(render_chart(plan, "0.0.0")["values.schema.json"])
    fast, slow = fast_validator(schema), jsonschema.Draft7Validator(schema)
    tree = values_tree(plan)

    def leaves(node, path=()):
        if isinstance(node, dict) and node:
            for key, value in node.items():
                yield from leaves(value, path + (key,))
        else:
            yield path

    def replaced(node, path, value):
        if not path:
            return value
        return {**node, path[0]: replaced(node[path[0]], path[1:], value)}

    assert certainly_valid(fast, tree) and slow.is_valid(tree)
    candidates = [None, "text", "1Gi\n", "100m", "/x\n", "a\r", "", -1, 0, 1, 1.5, 70000, True, [], ["a"], {}, {"x": 1}]
    checked = 0
    for path in leaves(tree):
        for value in candidates:
            values = replaced(tree, path, value)
            if certainly_valid(fast, values):
                assert slow.is_valid(values), (path, value)
            checked += 1
    assert checked > 500


def test_the_environments_check_and_the_overlays_leave_the_shared_objects_as_they_were():
    """plan.objects() is resolved once per environment and read by the environments' check,
    the overlays and cdk8s: none of them may change it."""
    import copy

    from composek8s.synth.environments import refuse_weakening

    plan = compile_plan(cwd=ROOT, environ={}, reporter=Reporter())
    envs = [None, *plan.environments]
    before = {env: copy.deepcopy(plan.objects(env)) for env in envs}
    refuse_weakening(plan)
    overlay_files(plan)
    for env in envs:
        assert plan.objects(env) == before[env], env
    assert plan.objects("production") is plan.objects("production")  # resolved once
    assert plan.objects("production") != plan.objects()  # and an environment's own
