"""The Helm chart: same plan as dist/, strict values, overrides that stay hardened."""
from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
import yaml
from support import strip_bookkeeping as strip

from composek8s.check import check_pod_security, validate_object
from composek8s.diagnostics import Reporter
from composek8s.helm import package_chart, render_chart
from composek8s.helm.versioning import versioned_chart
from composek8s.pipeline import compile_plan
from composek8s.plan import resolve_values

ROOT = Path(__file__).resolve().parent.parent
CHART = ROOT / "charts" / "atlantiplex"
REGENERATE = "run `composek8s synth` at the repository root and commit charts/"



def template(helm: str, chart: Path, *args: str, release: str = "atlantiplex", namespace: str = "atlantiplex") -> list[dict]:
    result = subprocess.run([helm, "template", release, str(chart), "-n", namespace, *args],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return [d for d in yaml.safe_load_all(result.stdout) if d]


def fails(helm: str, chart: Path, *args: str) -> str:
    result = subprocess.run([helm, "template", "atlantiplex", str(chart), *args], capture_output=True, text=True)
    assert result.returncode != 0, "expected helm template to fail"
    return result.stderr


def objects(docs: list[dict], hooks: bool = False) -> dict[tuple[str, str], dict]:
    return {(d["kind"], d["metadata"]["name"]): d for d in docs
            if hooks == ("helm.sh/hook" in d["metadata"].get("annotations", {}))}


def test_committed_chart_is_current():
    plan = compile_plan(cwd=ROOT, environ={}, reporter=Reporter())
    expected = versioned_chart(plan, CHART)
    committed = {p.relative_to(CHART).as_posix(): p.read_text() for p in CHART.rglob("*") if p.is_file()}
    assert sorted(committed) == sorted(expected), REGENERATE
    assert [k for k in expected if committed[k] != expected[k]] == [], REGENERATE


def test_default_values_render_exactly_dist(helm):
    rendered = {k: strip(v) for k, v in objects(template(helm, CHART)).items()}
    dist = {}
    for path in (ROOT / "dist" / "base").glob("*.yaml"):
        doc = yaml.safe_load(path.read_text())
        if path.name != "kustomization.yaml" and doc["kind"] != "Namespace":
            dist[(doc["kind"], doc["metadata"]["name"])] = strip(doc)
    assert sorted(rendered) == sorted(dist)
    assert [k for k in dist if rendered[k] != dist[k]] == []


@pytest.mark.parametrize("values", ["default"] + sorted(p.name for p in (CHART / "ci").glob("*.yaml")))
def test_helm_lint_strict_is_clean(helm, values):
    args = [] if values == "default" else ["-f", str(CHART / "ci" / values)]
    result = subprocess.run([helm, "lint", "--strict", str(CHART), *args], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[WARNING]" not in result.stdout and "[ERROR]" not in result.stdout


OVERRIDES = {
    "replicas": (["--set", "flaskBackend.replicas=4"],
                 lambda o: o[("Deployment", "flask-backend")]["spec"]["replicas"] == 4),
    "persistence size": (["--set", "postgres.persistence.size=50Gi"],
                         lambda o: o[("StatefulSet", "postgres")]["spec"]["volumeClaimTemplates"][0]["spec"]
                         ["resources"]["requests"]["storage"] == "50Gi"),
    "image tag and registry": (["--set", "stageServer.image.tag=2.0.1", "--set", "global.imageRegistry=registry.example.com"],
                               lambda o: o[("Deployment", "stage-server")]["spec"]["template"]["spec"]["containers"][0]
                               ["image"] == "registry.example.com/atlantiplex-stage:2.0.1"),
    "resources": (["--set", "frontend.resources.limits.memory=2Gi"],
                  lambda o: o[("Deployment", "frontend")]["spec"]["template"]["spec"]["containers"][0]
                  ["resources"]["limits"]["memory"] == "2Gi"),
    "ingress off": (["--set", "ingress.enabled=false"], lambda o: not any(k[0] == "Ingress" for k in o)),
    "ingress hosts and tls": (["-f", str(CHART / "ci" / "ingress-tls-values.yaml")],
                              lambda o: o[("Ingress", "frontend")]["spec"]["tls"][0]["hosts"] == ["app.example.com"]
                              and o[("Ingress", "frontend")]["spec"]["rules"][0]["host"] == "app.example.com"),
    "network policies off": (["--set", "networkPolicy.enabled=false"],
                             lambda o: not any(k[0] == "NetworkPolicy" for k in o)),
    "existing secret": (["--set", "secrets.existingSecret=prod-secrets"],
                        lambda o: {e["valueFrom"]["secretKeyRef"]["name"]
                                   for e in o[("Deployment", "flask-backend")]["spec"]["template"]["spec"]["containers"][0]["env"]
                                   if "valueFrom" in e} == {"prod-secrets"}),
    "persistence off": (["-f", str(CHART / "ci" / "persistence-off-values.yaml")],
                        lambda o: "volumeClaimTemplates" not in o[("StatefulSet", "redis")]["spec"]
                        and {"name": "redis-data", "emptyDir": {}} in o[("StatefulSet", "redis")]["spec"]["template"]["spec"]["volumes"]),
    "created secret": (["--set", "secrets.create=true", "--set", "secrets.values.DB_PASSWORD=x",
                        "--set", "secrets.values.JWT_SECRET=x", "--set", "secrets.values.REDIS_PASSWORD=x",
                        "--set", "secrets.values.STRIPE_SECRET_KEY=x"],
                       lambda o: o[("Secret", "atlantiplex-secrets")]["stringData"]["DB_PASSWORD"] == "x"),
}


@pytest.mark.parametrize("case", sorted(OVERRIDES))
def test_overrides_take_effect_and_stay_hardened(helm, case):
    args, expectation = OVERRIDES[case]
    docs = template(helm, CHART, *args)
    assert expectation(objects(docs))
    for doc in docs:
        name = f"{doc['kind']}/{doc['metadata']['name']}"
        for version in ("1.30", "1.37"):
            assert validate_object(doc, version) == [], name
        assert check_pod_security(doc, "restricted") == [], name


def test_unknown_values_are_rejected_by_the_schema(helm):
    assert "additional properties 'replicaz' not allowed" in fails(helm, CHART, "--set", "flaskBackend.replicaz=2")
    assert "pullPolicy" in fails(helm, CHART, "--set", "redis.image.pullPolicy=Sometimes")


def test_created_secret_requires_every_required_key(helm):
    assert "secrets.values.DB_PASSWORD is required" in fails(helm, CHART, "--set", "secrets.create=true")
    assert "exclude each other" in fails(helm, CHART, "--set", "secrets.create=true",
                                         "--set", "secrets.existingSecret=x")


def test_two_releases_share_a_namespace_without_clashing(helm):
    first = {k for k in objects(template(helm, CHART, release="atlantiplex"))}
    second = objects(template(helm, CHART, release="staging"))
    assert first.isdisjoint(second)
    deployment = second[("Deployment", "staging-flask-backend")]
    env = {e["name"]: e.get("value") for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["DATABASE_URL"] == "postgresql://atlantiplex:$(DB_PASSWORD)@staging-postgres:5432/atlantiplex"
    assert deployment["spec"]["selector"]["matchLabels"]["app.kubernetes.io/instance"] == "staging"


def test_the_helm_test_hook_is_hardened_and_checks_the_front_door(helm):
    hooks = objects(template(helm, CHART), hooks=True)
    pod = hooks[("Pod", "test-connection")]
    assert check_pod_security(pod, "restricted") == []
    assert validate_object(pod, "1.37") == []
    assert "wget -q -T 10 -O /dev/null http://frontend:8080/healthz" in pod["spec"]["containers"][0]["args"][0]
    assert validate_object(hooks[("NetworkPolicy", "test-connection")], "1.37") == []


def test_compose_text_renders_literally(helm, tmp_path):
    (tmp_path / "compose.yaml").write_text(textwrap.dedent("""
        name: lit
        services:
          web:
            image: example/web:1
            environment:
              GREETING: "{{ .Release.Name }} and {{ fail \\"boom\\" }}"
            command: ["echo", "{{ .Values }}"]
    """))
    plan = compile_plan(cwd=tmp_path, environ={}, reporter=Reporter())
    chart = tmp_path / "chart"
    for rel, text in render_chart(plan).items():
        (chart / rel).parent.mkdir(parents=True, exist_ok=True)
        (chart / rel).write_text(text)
    docs = objects(template(helm, chart, release="lit"))
    container = docs[("Deployment", "web")]["spec"]["template"]["spec"]["containers"][0]
    assert container["env"][0]["value"] == '{{ .Release.Name }} and {{ fail "boom" }}'
    assert container["args"] == ["echo", "{{ .Values }}"]


def test_package_is_byte_identical_and_accepted_by_helm(helm, tmp_path):
    plan = compile_plan(cwd=ROOT, environ={}, reporter=Reporter())
    files = render_chart(plan, "1.2.3")
    first = package_chart(files, "atlantiplex", "1.2.3", tmp_path / "a").read_bytes()
    second = package_chart(render_chart(compile_plan(cwd=ROOT, environ={}, reporter=Reporter()), "1.2.3"),
                           "atlantiplex", "1.2.3", tmp_path / "b").read_bytes()
    assert first == second
    result = subprocess.run([helm, "lint", "--strict", str(tmp_path / "a" / "atlantiplex-1.2.3.tgz")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    shutil.rmtree(tmp_path / "b")


WEAKENINGS = ["frontend.securityContext.privileged=true", "frontend.securityContext.allowPrivilegeEscalation=true",
              "frontend.securityContext.allowPrivilegeEscalation=null", "frontend.securityContext.runAsNonRoot=false",
              "frontend.securityContext.runAsUser=0", "frontend.securityContext.readOnlyRootFilesystem=false",
              "frontend.securityContext.capabilities.add={SYS_ADMIN}", "frontend.podSecurityContext.runAsNonRoot=false",
              "frontend.podSecurityContext.runAsUser=0", "postgres.podSecurityContext.seccompProfile.type=Unconfined",
              "redis.podSecurityContext.sysctls[0].name=kernel.msgmax"]


@pytest.mark.parametrize("setting", WEAKENINGS)
def test_the_values_schema_refuses_weakening_a_service(helm, setting):
    """`helm install --set` cannot take a service below the restricted profile (host
    namespaces and host paths are not values at all)."""
    assert "values don't meet the specifications of the schema" in fails(helm, CHART, "--set", setting)


OPTED_OUT = """
    name: mixed
    services:
      agent:
        image: example/agent:1.0.0
        cap_add: [CHOWN]
        x-k8s: {podSecurity: baseline, reason: "chowns its spool directory at start"}
      web:
        image: example/web:1.0.0
"""


def test_a_service_that_opted_out_keeps_free_security_contexts(tmp_path):
    import json

    import jsonschema

    (tmp_path / "compose.yaml").write_text(textwrap.dedent(OPTED_OUT))
    plan = compile_plan(cwd=tmp_path, environ={}, reporter=Reporter())
    validator = jsonschema.Draft7Validator(json.loads(render_chart(plan)["values.schema.json"]))
    values = yaml.safe_load(render_chart(plan)["values.yaml"])
    values["agent"]["securityContext"]["allowPrivilegeEscalation"] = True
    assert list(validator.iter_errors(values)) == []
    values["web"]["securityContext"]["allowPrivilegeEscalation"] = True
    assert [list(e.path) for e in validator.iter_errors(values)] == [["web", "securityContext", "allowPrivilegeEscalation"]]



def test_the_values_schema_writes_what_every_service_repeats_once(tmp_path):
    """The restricted contexts and the resources' schema are definitions each service refers
    to: inline they made the schema 8.4 MB at 1,000 services (issue #16)."""
    import json

    services = "".join(f"  s{i}:\n    image: example/s{i}:1.0.0\n    user: '10001:10001'\n" for i in range(20))
    (tmp_path / "compose.yaml").write_text("name: many\nservices:\n" + services)
    plan = compile_plan(cwd=tmp_path, environ={}, reporter=Reporter())
    text = render_chart(plan)["values.schema.json"]
    schema = json.loads(text)
    definitions = json.dumps(schema["definitions"])
    for key in ('"allowPrivilegeEscalation"', '"seccompProfile"', '"ephemeral-storage"'):
        assert text.count(key) == definitions.count(key) > 0, key
    props = schema["properties"]["s7"]["properties"]
    assert props["securityContext"] == {"$ref": "#/definitions/containerSecurityContext"}
    assert props["resources"] == {"$ref": "#/definitions/resources"}

MANGLED = """
    name: keys
    services:
      1a:
        image: example/one:1.0.0
        user: "10001:10001"
      web_app:
        image: example/web:2.0.0
        user: "10002:10002"
        expose: ["8080"]
      s1b:
        image: example/other:3.0.0
        user: "10003:10003"
"""


def test_services_whose_names_are_not_values_keys_render_exactly_dist(helm, tmp_path):
    """``1a`` is the values key ``s1a``, ``web_app`` is ``webApp``: each reads its own values."""
    (tmp_path / "compose.yaml").write_text(textwrap.dedent(MANGLED))
    plan = compile_plan(cwd=tmp_path, environ={}, reporter=Reporter())
    chart = tmp_path / "chart"
    for rel, text in render_chart(plan).items():
        (chart / rel).parent.mkdir(parents=True, exist_ok=True)
        (chart / rel).write_text(text)
    rendered = {k: strip(v) for k, v in objects(template(helm, chart, release="keys", namespace="keys")).items()}
    dist = {(r.kind, r.name): strip(resolve_values(r.manifest)) for r in plan.resources if r.chart}
    assert sorted(rendered) == sorted(dist)
    assert [k for k in dist if rendered[k] != dist[k]] == []
    pods = {name: rendered[("Deployment", name)]["spec"]["template"]["spec"] for name in ("1a", "web-app", "s1b")}
    assert {n: (p["containers"][0]["image"], p["securityContext"]["runAsUser"]) for n, p in pods.items()} == {
        "1a": ("example/one:1.0.0", 10001), "web-app": ("example/web:2.0.0", 10002), "s1b": ("example/other:3.0.0", 10003)}



def test_a_change_to_one_service_changes_only_that_workloads_pod_template(helm, tmp_path):
    """The chart's version moves with any content change; a version-moving label on pod
    templates (helm.sh/chart) would restart every workload's pods for one service's change."""
    shutil.copytree(ROOT / "docker", tmp_path / "docker", ignore=shutil.ignore_patterns(
        "node_modules", ".venv", "dist"))
    compose, chart = tmp_path / "docker" / "docker-compose.yml", tmp_path / "charts" / "atlantiplex"

    def rendered() -> tuple[str, dict[tuple[str, str], dict]]:
        plan = compile_plan(cwd=tmp_path, environ={}, reporter=Reporter())
        files = versioned_chart(plan, chart)
        for rel, body in files.items():
            (chart / rel).parent.mkdir(parents=True, exist_ok=True)
            (chart / rel).write_text(body)
        return yaml.safe_load(files["Chart.yaml"])["version"], objects(template(helm, chart))

    version_before, before = rendered()
    text = compose.read_text()
    # stage-server's LOG_LEVEL (the first one in the file), and nothing else
    compose.write_text(text.replace("LOG_LEVEL: ${LOG_LEVEL:-info}", "LOG_LEVEL: ${LOG_LEVEL:-debug}", 1))
    version_after, after = rendered()
    assert version_after != version_before
    workloads = [k for k in before if k[0] in ("Deployment", "StatefulSet", "Job")]
    assert len(workloads) == 5
    moved = [k for k in workloads if before[k]["spec"]["template"] != after[k]["spec"]["template"]]
    assert moved == [("Deployment", "stage-server")]
    # The objects themselves still name the chart version that made them.
    assert all(after[k]["metadata"]["labels"]["helm.sh/chart"] == f"atlantiplex-{version_after}" for k in workloads)
