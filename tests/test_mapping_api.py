"""The conversion table's limits: what the Kubernetes API server would refuse never leaves
the plan (an error at the compose key), and the names composek8s adds suffixes to stay
within them (shortened with a hash rather than cut).

Each case of the issue that a hostile user would try is also in tests/hostile/cases.yaml,
through the CLI; these test what compiles, and the plan's side of each rule.
"""
from __future__ import annotations

import pytest
from support import only

from composek8s.apirules import object_problems

LONG_JOB = "migrate-" + "x" * 52  # 60 characters: `<name>-<hash>` would be 69
LONG_DEP = "dependency-" + "y" * 50


def test_everything_written_passes_the_api_server_rules(compile_compose):
    compiled = compile_compose(f"""
        name: shop
        services:
          {LONG_JOB}:
            image: ghcr.io/acme/api:1.0.0
            restart: "no"
          {LONG_DEP}-a:
            image: ghcr.io/acme/api:1.0.0
            expose: ["8000"]
          {LONG_DEP}-b:
            image: ghcr.io/acme/api:1.0.0
            expose: ["8000"]
          web:
            image: ghcr.io/acme/web:1.0.0
            ports: ["80:8080"]
            depends_on:
              {LONG_JOB}: {{condition: service_completed_successfully}}
              {LONG_DEP}-a: {{condition: service_healthy}}
              {LONG_DEP}-b: {{condition: service_healthy}}
    """)
    assert [(m["kind"], m["metadata"]["name"], p) for m in compiled.manifests for p in object_problems(m)] == []
    [job] = [m for m in compiled.manifests if m["kind"] == "Job"]
    assert len(job["metadata"]["name"]) == 63 and job["metadata"]["name"].startswith(LONG_JOB[:54] + "-")
    role = compiled.get("Role", "web-wait")
    assert role["rules"][0]["resourceNames"] == [job["metadata"]["name"]]
    inits = [c["name"] for c in compiled.pod("web")["initContainers"]]
    # Two long dependencies with one prefix: distinct names, each at most 63 characters.
    assert len(set(inits)) == 3 and all(len(n) <= 63 and n.startswith("wait-for-") for n in inits)


def test_a_pre_stop_sleep_fits_in_a_short_grace_period(compile_compose):
    compiled = compile_compose("""
        services:
          web:
            image: ghcr.io/acme/web:1.0.0
            expose: ["8080"]
            stop_grace_period: 2s
    """)
    pod = compiled.pod("web")
    assert pod["terminationGracePeriodSeconds"] == 2
    assert pod["containers"][0]["lifecycle"]["preStop"]["sleep"]["seconds"] == 2  # validateSleepAction


def test_a_system_namespace_needs_an_explicit_opt_in(compile_compose, compile_error):
    [error] = compile_error("""
        services:
          web: {image: ghcr.io/acme/web:1.0.0}
        x-k8s: {namespace: kube-system}
    """)
    assert error.code == "E-NAMESPACE-SYSTEM" and "allowSystemNamespace" in error.message
    compiled = compile_compose("""
        services:
          web: {image: ghcr.io/acme/web:1.0.0}
        x-k8s:
          namespace: kube-system
          allowSystemNamespace: "the cluster's DNS add-on, managed with the cluster"
    """)
    assert compiled.plan.namespace == "kube-system"
    assert "reason" not in only(compiled.diagnostics, "W-NAMESPACE-SYSTEM").message
    assert "the cluster's DNS add-on" in only(compiled.diagnostics, "W-NAMESPACE-SYSTEM").message


@pytest.mark.parametrize("namespace, code", [("Kube_System..x", "E-API-NAME"), ("n" * 64, "E-API-NAME"),
                                             ("default", "E-NAMESPACE-SYSTEM"), ("kube-node-lease", "E-NAMESPACE-SYSTEM")])
def test_the_namespace_flag_is_checked_like_x_k8s_namespace(tmp_path, namespace, code):
    from composek8s.diagnostics import CompileError, Reporter
    from composek8s.pipeline import compile_plan

    (tmp_path / "compose.yaml").write_text("services:\n  web: {image: ghcr.io/acme/web:1.0.0}\n")
    with pytest.raises(CompileError) as info:
        compile_plan(cwd=tmp_path, environ={}, namespace=namespace, reporter=Reporter())
    [error] = info.value.diagnostics
    assert (error.code, error.position) == (code, None) and error.message.startswith(f"--namespace {namespace!r}")


def test_an_environment_namespace_is_checked_too(compile_error):
    [error] = compile_error("""
        services:
          web: {image: ghcr.io/acme/web:1.0.0}
        x-k8s:
          environments:
            prod: {namespace: kube-public}
    """)
    assert error.code == "E-NAMESPACE-SYSTEM" and error.position.line == 6
    assert "x-k8s.environments.prod.namespace 'kube-public'" in error.message


def test_services_with_one_values_key_are_refused_at_the_second(compile_error):
    [error] = compile_error("""
        services:
          1-api: {image: ghcr.io/acme/web:1.0.0}
          s1-api: {image: ghcr.io/acme/web:1.0.0}
    """)
    assert error.code == "E-VALUES-KEY" and error.position.line == 4
    assert "services '1-api' and 's1-api' would both be the chart values key 's1Api'" in error.message


@pytest.mark.parametrize("compose, code, line", [
    # each: a field the API server refuses, and the compose key it is reported at
    ("    deploy: {replicas: 2147483648}\n", "E-API-RANGE", 4),
    ("    user: '10001:4294967296'\n", "E-API-RANGE", 4),
    ("    x-k8s: {uid: 2147483648}\n", "E-API-RANGE", 4),
    ("    environment: {'1ST': x}\n", "E-API-ENV", 4),
    ("    deploy: {resources: {limits: {cpus: '0.5'}, reservations: {cpus: '2'}}}\n", "E-API-QUANTITY", 4),
])
def test_each_refusal_points_at_its_compose_key(compile_error, compose, code, line):
    errors = compile_error("services:\n  web:\n    image: ghcr.io/acme/web:1.0.0\n" + compose)
    assert (errors[0].code, errors[0].position.line) == (code, line), [str(e) for e in errors]
