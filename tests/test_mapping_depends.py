"""The conversion table: ``depends_on`` becomes start-up order.

- ``service_started`` (default): nothing; Kubernetes restarts the dependent until the
  dependency answers.
- ``service_healthy``: a hardened busybox init container ``wait-for-<dep>`` waits until the
  dependency's Service accepts a TCP connection (a Service routes only to Ready pods).
- ``service_completed_successfully``: the dependency is a Job named with a hash of what
  shapes it; a hardened kubectl init container waits for it, with a token projected into it
  alone, a Role that reads that one Job, and egress to the API server.
- ``required: false``: no wait. ``restart: true``: a warning. A cycle: an error.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support import only, strip_bookkeeping

from composek8s.check.run import Source, check_sources
from composek8s.check.wiring import wiring_issues
from composek8s.plan import resolve_values

ROOT = Path(__file__).resolve().parent.parent
HELM = ROOT / "tests" / "tools" / "bin" / "helm"

HARDENED = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "privileged": False,
            "readOnlyRootFilesystem": True, "runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}

HEALTHY = """\
name: shop
services:
  db:
    image: postgres:16-alpine
    user: "70:70"
    expose: ["5432"]
    healthcheck: {test: ["CMD-SHELL", "pg_isready"]}
  api:
    image: ghcr.io/acme/api:1.0.0
    user: "10001:10001"
    expose: ["8000"]
    healthcheck: {test: ["CMD", "wget", "-q", "--spider", "http://127.0.0.1:8000/health"]}
    depends_on:
      db: {condition: service_healthy}
  web:
    image: ghcr.io/acme/web:1.0.0
    user: "10001:10001"
    ports: ["80:8080"]
    healthcheck: {test: ["CMD", "wget", "-q", "--spider", "http://127.0.0.1:8080/"]}
    depends_on:
      api: {condition: service_healthy}
"""

COMPLETED = """\
name: shop
services:
  db:
    image: postgres:16-alpine
    user: "70:70"
    expose: ["5432"]
    healthcheck: {test: ["CMD-SHELL", "pg_isready"]}
  migrate:
    image: ghcr.io/acme/api:1.0.0
    user: "10001:10001"
    command: ["migrate", "up"]
    restart: unless-stopped
    depends_on:
      db: {condition: service_healthy}
  api:
    image: ghcr.io/acme/api:1.0.0
    user: "10001:10001"
    expose: ["8000"]
    healthcheck: {test: ["CMD", "wget", "-q", "--spider", "http://127.0.0.1:8000/health"]}
    depends_on:
      migrate: {condition: service_completed_successfully}
      db: {condition: service_healthy}
"""


def init(c, name: str) -> dict[str, dict]:
    return {i["name"]: i for i in c.pod(name).get("initContainers", [])}


def egress_allows(c, client: str, server: str, port: int) -> bool:
    labels = c.pod_labels(server)
    for rule in c.get("NetworkPolicy", client)["spec"]["egress"]:
        ports = [p["port"] for p in rule.get("ports", [])]
        peers = [p["podSelector"]["matchLabels"] for p in rule.get("to", []) if "podSelector" in p]
        if (not ports or port in ports) and any(all(labels.get(k) == v for k, v in m.items()) for m in peers):
            return True
    return False


def job(c, base: str) -> dict:
    (found,) = [m for m in c.manifests if m["kind"] == "Job" and m["metadata"]["labels"]["app.kubernetes.io/name"] == base]
    return found


# --- service_healthy -------------------------------------------------------------------------

def test_service_healthy_waits_in_a_hardened_init_container_for_the_dependency_service(compile_compose):
    c = compile_compose(HEALTHY)
    wait = init(c, "api")["wait-for-db"]
    assert wait["image"] == "busybox:1.36.1" and wait["imagePullPolicy"] == "Always"
    assert wait["command"][:2] == ["sh", "-c"] and 'nc -z -w 2 "$WAIT_HOST" "$WAIT_PORT"' in wait["command"][2]
    assert "sleep 2" in wait["command"][2]
    assert wait["env"] == [{"name": "WAIT_HOST", "value": "db"}, {"name": "WAIT_PORT", "value": "5432"}]
    assert wait["securityContext"] == {**HARDENED, "runAsUser": 65534, "runAsGroup": 65534}
    assert wait["resources"]["requests"] == wait["resources"]["limits"] == {"cpu": "10m", "memory": "16Mi"}
    assert c.pod("api")["automountServiceAccountToken"] is False
    assert list(init(c, "web")) == ["wait-for-api"]
    assert init(c, "web")["wait-for-api"]["env"][1] == {"name": "WAIT_PORT", "value": "8000"}
    assert "initContainers" not in c.pod("db")


def test_the_network_policies_let_each_wait_connect(compile_compose):
    c = compile_compose(HEALTHY)
    assert egress_allows(c, "api", "db", 5432)  # app to data store
    assert egress_allows(c, "web", "api", 8000)  # app to app, on their shared network


def test_the_wait_image_is_a_chart_value_and_digest_exceptions_name_it(compile_compose):
    c = compile_compose(HEALTHY)
    deployment = next(r.manifest for r in c.plan.resources if r.kind == "Deployment" and r.name == "api")
    waited = deployment["spec"]["template"]["spec"]["initContainers"][0]
    values = {"global": {"waitImage": {"repository": "mirror.local/busybox", "tag": "1.37.0"}}}
    assert resolve_values(waited, values)["image"] == "mirror.local/busybox:1.37.0"
    skip = [v for v in c.get("Deployment", "api")["metadata"]["annotations"].values() if v.startswith("CKV_K8S_43=")]
    assert "busybox:1.36.1" in skip[0]


def test_a_dependency_without_a_port_warns_at_its_entry_and_nobody_waits(compile_compose):
    c = compile_compose("""\
        services:
          worker:
            image: ghcr.io/acme/worker:1.0.0
          api:
            image: ghcr.io/acme/api:1.0.0
            depends_on:
              worker:
                condition: service_healthy
        """)
    warning = only(c.diagnostics, "W-DEPENDS-NO-PORT")
    assert (warning.position.line, warning.position.column) == (7, 7)
    assert "cannot observe its health" in warning.message
    assert "initContainers" not in c.pod("api")


def test_required_false_and_service_started_add_no_wait(compile_compose):
    c = compile_compose("""\
        services:
          db:
            image: postgres:16-alpine
            user: "70:70"
          api:
            image: ghcr.io/acme/api:1.0.0
            depends_on:
              db: {condition: service_healthy, required: false}
          web:
            image: ghcr.io/acme/web:1.0.0
            depends_on: [db]
        """)
    assert "initContainers" not in c.pod("api") and "initContainers" not in c.pod("web")
    assert not [d for d in c.diagnostics if d.code.startswith("W-DEPENDS")]


def test_restart_true_is_reported_as_not_mapped(compile_compose):
    c = compile_compose("""\
        services:
          db:
            image: postgres:16-alpine
            user: "70:70"
          api:
            image: ghcr.io/acme/api:1.0.0
            depends_on:
              db: {condition: service_healthy, restart: true}
        """)
    warning = only(c.diagnostics, "W-DEPENDS-RESTART")
    assert warning.position.line == 8 and "not mapped" in warning.message
    assert list(init(c, "api")) == ["wait-for-db"]  # the condition still holds


def test_a_depends_on_cycle_is_refused_at_the_entry_that_closes_it(compile_error):
    errors = compile_error("""\
        services:
          a:
            image: nginx
            depends_on: [b]
          b:
            image: nginx
            depends_on:
              c: {condition: service_healthy}
          c:
            image: nginx
            depends_on: [a]
        """)
    (error,) = [e for e in errors if e.code == "E-COMPOSE-CYCLE"]
    assert (error.position.line, error.position.column) == (11, 18)
    assert "a -> b -> c -> a" in error.message


def test_an_unknown_condition_is_an_error_at_the_condition(compile_error):
    errors = compile_error("""\
        services:
          db: {image: postgres:16-alpine}
          api:
            image: nginx
            depends_on:
              db: {condition: service_ready}
        """)
    error = only(errors, "E-COMPOSE-VALUE")
    assert error.position.line == 6 and "service_ready" in error.message


# --- service_completed_successfully -----------------------------------------------------------

def test_completed_successfully_makes_the_dependency_a_job_with_a_hashed_name(compile_compose):
    c = compile_compose(COMPLETED)
    migrate = job(c, "migrate")
    assert migrate["metadata"]["name"].startswith("migrate-") and len(migrate["metadata"]["name"]) == 16
    assert ("Deployment", "migrate") not in c.by_key and ("Service", "migrate") not in c.by_key
    # restart: unless-stopped on a Job others wait for: retried until it completes.
    assert migrate["spec"]["template"]["spec"]["restartPolicy"] == "OnFailure"
    assert migrate["spec"]["backoffLimit"] == 6
    decision = next(d for d in c.plan.decisions if d.service == "migrate")
    assert decision.what == "Job" and "api waits for it to complete" in decision.why
    # The Job itself waits for its own healthy dependency.
    assert [i["name"] for i in migrate["spec"]["template"]["spec"]["initContainers"]] == ["wait-for-db"]


def test_the_dependent_waits_with_kubectl_and_a_token_only_its_init_container_sees(compile_compose):
    c = compile_compose(COMPLETED)
    name = job(c, "migrate")["metadata"]["name"]
    pod = c.pod("api")
    wait = init(c, "api")["wait-for-migrate"]
    assert wait["image"] == "registry.k8s.io/kubectl:v1.33.0"
    assert wait["args"] == ["wait", "--for=condition=complete", "--timeout=300s",
                            "--namespace=$(WAIT_NAMESPACE)", "job/$(WAIT_JOB)"]
    assert wait["env"][0] == {"name": "WAIT_JOB", "value": name}
    assert wait["securityContext"] == HARDENED  # as the pod's user: the kubelet gives it the token
    assert wait["resources"]["requests"] == wait["resources"]["limits"]
    assert wait["volumeMounts"] == [{"name": "wait-api-token", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                                     "readOnly": True}]
    assert pod["automountServiceAccountToken"] is False
    assert all("wait-api-token" not in str(ctr.get("volumeMounts")) for ctr in pod["containers"])
    volume = next(v for v in pod["volumes"] if v["name"] == "wait-api-token")
    sources = volume["projected"]["sources"]
    assert sources[0] == {"serviceAccountToken": {"path": "token", "expirationSeconds": 600}}
    assert sources[1]["configMap"]["name"] == "kube-root-ca.crt"
    assert list(init(c, "api")) == ["wait-for-db", "wait-for-migrate"]


def test_the_role_reads_that_one_job_and_binds_to_the_dependent_only(compile_compose):
    c = compile_compose(COMPLETED)
    name = job(c, "migrate")["metadata"]["name"]
    role = c.get("Role", "api-wait")
    assert role["rules"] == [{"apiGroups": ["batch"], "resources": ["jobs"], "resourceNames": [name],
                              "verbs": ["get", "list", "watch"]}]
    binding = c.get("RoleBinding", "api-wait")
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "api-wait"}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "api", "namespace": "shop"}]
    assert not [k for k in c.by_key if k[0] in ("Role", "RoleBinding") and k[1] != "api-wait"]


def test_the_dependent_may_reach_the_api_server_on_configurable_ports(compile_compose):
    c = compile_compose(COMPLETED)
    rules = c.get("NetworkPolicy", "api")["spec"]["egress"]
    assert {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 443, "protocol": "TCP"},
                                                                  {"port": 6443, "protocol": "TCP"}]} in rules
    policy = next(r.manifest for r in c.plan.resources if r.kind == "NetworkPolicy" and r.name == "api")
    narrowed = resolve_values(policy, {"global": {"apiServer": {"cidrs": ["10.0.0.1/32"], "ports": [6443]}}})
    assert {"to": [{"ipBlock": {"cidr": "10.0.0.1/32"}}], "ports": [{"port": 6443, "protocol": "TCP"}]} \
        in narrowed["spec"]["egress"]
    assert not any("ipBlock" in str(r) for r in c.get("NetworkPolicy", "migrate")["spec"]["egress"])


def test_a_changed_job_gets_a_new_name_that_its_waiters_follow(compile_compose, tmp_path):
    c = compile_compose(COMPLETED)
    resources = {(r.kind, r.manifest["metadata"]["labels"]["app.kubernetes.io/name"]): r.manifest
                 for r in c.plan.resources if r.kind in ("Job", "Deployment", "Role")}
    values = {"migrate": {"image": {"tag": "1.0.1"}}}
    new = resolve_values(resources[("Job", "migrate")], values)["metadata"]["name"]
    assert new != job(c, "migrate")["metadata"]["name"] and new.startswith("migrate-")
    waiter = resolve_values(resources[("Deployment", "api")], values)["spec"]["template"]["spec"]["initContainers"][1]
    assert waiter["env"][0]["value"] == new
    assert resolve_values(resources[("Role", "api")], values)["rules"][0]["resourceNames"] == [new]
    # A value of another service leaves the Job (and its waiters) alone.
    assert resolve_values(resources[("Job", "migrate")], {"api": {"replicas": 3}})["metadata"]["name"] == \
        job(c, "migrate")["metadata"]["name"]
    # So does compiling again; a changed command makes another Job.
    again = compile_compose(COMPLETED.replace('["migrate", "up"]', '["migrate", "up", "--all"]'))
    assert job(again, "migrate")["metadata"]["name"] != job(c, "migrate")["metadata"]["name"]
    assert job(compile_compose(COMPLETED), "migrate")["metadata"]["name"] == job(c, "migrate")["metadata"]["name"]


CHAINED = """\
name: shop
services:
  z_migrate:
    image: ghcr.io/acme/api:1.0.0
    user: "10001:10001"
    command: ["migrate"]
  a_seed:
    image: ghcr.io/acme/api:1.0.0
    user: "10001:10001"
    command: ["seed"]
    depends_on:
      z_migrate: {condition: service_completed_successfully}
  api:
    image: ghcr.io/acme/api:1.0.0
    user: "10001:10001"
    expose: ["8000"]
    depends_on:
      a_seed: {condition: service_completed_successfully}
"""


def test_a_job_waiting_for_a_renamed_job_is_renamed_too_whatever_the_service_names(compile_compose):
    # z_migrate and a_seed are not DNS names: the Jobs are z-migrate-<hash> and a-seed-<hash>.
    # a_seed's pod names z_migrate's Job, and a Job's pod cannot change in place.
    c = compile_compose(CHAINED)
    seed = job(c, "a-seed")
    assert seed["spec"]["template"]["spec"]["initContainers"][0]["env"][0]["value"] == \
        job(c, "z-migrate")["metadata"]["name"]
    changed = compile_compose(CHAINED.replace("api:1.0.0", "api:2.0.0", 1))
    assert job(changed, "z-migrate")["metadata"]["name"] != job(c, "z-migrate")["metadata"]["name"]
    assert job(changed, "a-seed")["metadata"]["name"] != seed["metadata"]["name"]
    # A values change of z_migrate renames both too.
    manifest = next(r.manifest for r in c.plan.resources
                    if r.kind == "Job" and r.manifest["metadata"]["labels"]["app.kubernetes.io/name"] == "a-seed")
    renamed = resolve_values(manifest, {"zMigrate": {"image": {"tag": "2.0.0"}}})
    assert renamed["metadata"]["name"] != seed["metadata"]["name"]


def test_a_dependency_forced_long_running_is_not_waited_for(compile_compose):
    c = compile_compose(COMPLETED.replace('    command: ["migrate", "up"]\n',
                                          '    command: ["migrate", "up"]\n    x-k8s: {kind: Deployment}\n'))
    assert "W-DEPENDS-NO-WAIT" in c.codes()
    assert list(init(c, "api")) == ["wait-for-db"] and ("Role", "api-wait") not in c.by_key


def test_every_object_passes_composek8s_check(compile_compose):
    c = compile_compose(COMPLETED)
    findings = check_sources([Source("plan", m) for m in c.manifests if m["kind"] != "Namespace"], ["1.30", "1.37"])
    assert [str(f) for f in findings] == []


# --- wiring rules these objects brought ---------------------------------------------------------

def test_wiring_flags_an_init_container_without_resources_and_a_binding_to_nothing():
    pod = {"metadata": {"labels": {"app": "x"}},
           "spec": {"initContainers": [{"name": "wait", "image": "busybox:1.36.1"}],
                    "containers": [{"name": "x", "image": "x:1", "resources": {
                        "requests": {"cpu": "1", "memory": "1Mi"}, "limits": {"cpu": "1", "memory": "1Mi"}}}]}}
    job_obj = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "x"}, "spec": {"template": pod}}
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "b"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "missing"},
               "subjects": [{"kind": "ServiceAccount", "name": "nobody"}]}
    issues = wiring_issues([job_obj, binding])
    assert [i.rule for i in issues[0] if i.rule == "resources-missing"] == ["resources-missing"]
    assert [i.rule for i in issues[1]] == ["rolebinding-ref", "rolebinding-ref"]


# --- the chart computes the same names ------------------------------------------------------------

@pytest.mark.skipif(not HELM.exists(), reason="helm is missing: python tests/tools/install_helm.py")
def test_the_chart_names_the_job_as_dist_does_and_renames_it_with_its_values(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "compose.yaml").write_text(COMPLETED)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    result = subprocess.run([sys.executable, "-m", "composek8s.cli", "synth", "-f", "compose.yaml", "-o", "dist", "--chart-dir",
                             "charts"], cwd=project, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    dist = {}
    for path in (project / "dist" / "base").glob("*.yaml"):
        doc = yaml.safe_load(path.read_text())
        if path.name != "kustomization.yaml" and doc["kind"] != "Namespace":
            dist[(doc["kind"], doc["metadata"]["name"])] = strip_bookkeeping(doc)

    def template(*args: str) -> dict:
        out = subprocess.run([str(HELM), "template", "shop", str(project / "charts" / "shop"), "-n", "shop", *args],
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        return {(d["kind"], d["metadata"]["name"]): strip_bookkeeping(d) for d in yaml.safe_load_all(out.stdout)
                if d and "helm.sh/hook" not in d["metadata"].get("annotations", {})}

    assert template() == dist
    (name,) = [n for k, n in dist if k == "Job"]
    changed = template("--set", "migrate.image.tag=1.0.1")
    (renamed,) = [n for k, n in changed if k == "Job"]
    assert renamed != name
    assert changed[("Role", "api-wait")]["rules"][0]["resourceNames"] == [renamed]
    # The kustomize overlays resolve values in Python: the same name as Helm's.
    from composek8s.diagnostics import Reporter
    from composek8s.pipeline import compile_plan
    plan = compile_plan([project / "compose.yaml"], cwd=project, environ={}, reporter=Reporter())
    manifest = next(r.manifest for r in plan.resources if r.kind == "Job")
    assert resolve_values(manifest, {"migrate": {"image": {"tag": "1.0.1"}}})["metadata"]["name"] == renamed


def test_waiting_for_a_data_store_to_complete_is_warned(compile_compose):
    c = compile_compose("""
        services:
          db:
            image: postgres:16
          api:
            image: example/api:1
            depends_on:
              db: {condition: service_completed_successfully}
    """)
    assert [m["metadata"]["name"].startswith("db-") for m in c.manifests if m["kind"] == "Job"] == [True]
    warning = next(d for d in c.diagnostics if d.code == "W-DEPENDS-DATA-STORE")
    assert "service_healthy" in warning.message and warning.position.line == 3
