"""The conversion table, part 1: workloads, names and labels, reliability, x-k8s, keys, YAML.

Each test is one row of the table: a compose snippet in, the Kubernetes objects (or the
precise diagnostic) out. The other parts: test_mapping_security.py, test_mapping_probes.py
(probes and resources), test_mapping_storage.py, test_mapping_secrets.py (configuration and
secrets) and test_mapping_network.py.
"""
from __future__ import annotations

from support import only

LABELS = {
    "app.kubernetes.io/name": "web",
    "app.kubernetes.io/instance": "shop",
    "app.kubernetes.io/component": "backend",
    "app.kubernetes.io/part-of": "shop",
    "app.kubernetes.io/managed-by": "composek8s",
}
SELECTOR = {"app.kubernetes.io/name": "web", "app.kubernetes.io/instance": "shop"}


# --- Workloads --------------------------------------------------------------------------


def test_a_plain_service_becomes_a_deployment(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1.0
    """)
    assert c.kinds("web") == {"Deployment", "ServiceAccount", "PodDisruptionBudget", "NetworkPolicy"}
    deployment = c.get("Deployment", "web")
    assert deployment["apiVersion"] == "apps/v1"
    assert deployment["spec"]["replicas"] == 1
    assert c.container("web")["image"] == "example/web:1.0"
    # A tag can move: the kubelet pulls it on every start (and checks pull credentials).
    assert c.container("web")["imagePullPolicy"] == "Always"


def test_an_image_pinned_by_digest_is_pulled_only_if_not_present(compile_compose):
    digest = "sha256:" + "a" * 64
    c = compile_compose(f"""
        name: shop
        services:
          web:
            image: example/web:1.0@{digest}
    """)
    assert c.container("web")["image"] == f"example/web:1.0@{digest}"
    assert c.container("web")["imagePullPolicy"] == "IfNotPresent"


def test_postgres_with_a_named_volume_becomes_a_statefulset(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          db:
            image: postgres:15-alpine
            volumes:
              - pgdata:/var/lib/postgresql/data
        volumes:
          pgdata: {}
    """)
    spec = c.get("StatefulSet", "db")["spec"]
    assert spec["serviceName"] == "db-headless"
    assert spec["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
    assert spec["volumeClaimTemplates"] == [{
        "metadata": {"name": "pgdata"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }]
    assert {"name": "pgdata", "mountPath": "/var/lib/postgresql/data"} in c.container("db")["volumeMounts"]
    headless = c.get("Service", "db-headless")["spec"]
    assert headless["clusterIP"] == "None"
    assert headless["selector"] == {"app.kubernetes.io/name": "db", "app.kubernetes.io/instance": "shop"}
    assert ("PersistentVolumeClaim", "pgdata") not in c.by_key  # claims come from the template
    assert ("Deployment", "db") not in c.by_key


def test_redis_with_a_named_volume_becomes_a_statefulset(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          cache:
            image: redis:7-alpine
            volumes: ["redis_data:/data"]
        volumes:
          redis_data: {}
    """)
    spec = c.get("StatefulSet", "cache")["spec"]
    assert spec["serviceName"] == "cache-headless"
    assert [t["metadata"]["name"] for t in spec["volumeClaimTemplates"]] == ["redis-data"]


def test_postgres_without_a_volume_keeps_its_data_on_a_claim_as_docker_does(compile_compose):
    # The image declares VOLUME /var/lib/postgresql/data: Docker keeps it in an anonymous
    # volume that outlives the container; an emptyDir would lose it at every rollout.
    c = compile_compose("""
        name: shop
        services:
          db:
            image: postgres:16
    """)
    sts = c.get("StatefulSet", "db")
    assert [t["metadata"]["name"] for t in sts["spec"]["volumeClaimTemplates"]] == ["db-data"]
    mounts = {m["mountPath"]: m["name"] for m in c.container("db")["volumeMounts"]}
    assert mounts["/var/lib/postgresql"] == "db-data"  # 18+ keeps PGDATA below it, older tags in data/
    warning = only(c.diagnostics, "W-VOLUME-ANONYMOUS")
    assert "anonymous volume" in warning.message and warning.position.line == 5  # its image


def test_a_cache_without_a_volume_writes_its_data_path_to_an_emptydir(compile_compose):
    # redis saves dump.rdb into /data (its WORKDIR): on a read-only root it would refuse writes.
    c = compile_compose("""
        name: shop
        services:
          cache:
            image: redis:7
    """)
    assert "Deployment" in c.kinds("cache")
    volumes = {v["name"]: v for v in c.pod("cache")["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in c.container("cache")["volumeMounts"]}
    assert "emptyDir" in volumes[mounts["/data"]]
    assert "W-VOLUME-ANONYMOUS" not in c.codes()


def test_x_k8s_kind_statefulset_is_explicit(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          queue:
            image: example/queue:2
            expose: ["5672"]
            volumes: ["qdata:/var/lib/queue"]
            x-k8s: {kind: StatefulSet}
        volumes:
          qdata: {}
    """)
    spec = c.get("StatefulSet", "queue")["spec"]
    assert spec["serviceName"] == "queue-headless"
    assert [t["metadata"]["name"] for t in spec["volumeClaimTemplates"]] == ["qdata"]
    assert c.get("Service", "queue-headless")["spec"]["clusterIP"] == "None"
    assert "Deployment" not in c.kinds("queue")


def test_restart_no_becomes_a_job_that_runs_once(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          migrate:
            image: example/migrate:1
            restart: "no"
            healthcheck:
              test: ["CMD", "true"]
    """)
    job = c.get("Job", "migrate")
    assert job["apiVersion"] == "batch/v1"
    assert job["spec"]["backoffLimit"] == 0
    pod = c.pod("migrate")
    assert pod["restartPolicy"] == "Never"
    container = c.container("migrate")
    for probe in ("readinessProbe", "livenessProbe", "startupProbe", "lifecycle"):
        assert probe not in container
    assert "PodDisruptionBudget" not in c.kinds("migrate")
    assert "Service" not in c.kinds("migrate")
    assert "topologySpreadConstraints" not in pod


def test_restart_on_failure_with_retries_becomes_a_job_with_a_backoff_limit(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          seed:
            image: example/seed:1
            restart: on-failure:3
    """)
    assert c.get("Job", "seed")["spec"]["backoffLimit"] == 3
    assert c.pod("seed")["restartPolicy"] == "OnFailure"
    assert c.kinds("seed") == {"Job", "ServiceAccount", "NetworkPolicy"}


def test_a_service_under_an_inactive_profile_is_left_out(compile_compose):
    compose = """
        name: shop
        services:
          web:
            image: example/web:1
          builder:
            image: example/builder:1
            profiles: [build]
    """
    assert compile_compose(compose).kinds("builder") == set()
    assert "Deployment" in compile_compose(compose, profiles=["build"]).kinds("builder")


# --- Names and labels -------------------------------------------------------------------


def test_service_names_become_dns_names(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          flask_backend:
            image: example/flask:1
    """)
    assert c.kinds("flask-backend") == {"Deployment", "ServiceAccount", "PodDisruptionBudget",
                                        "NetworkPolicy"}
    assert c.container("flask-backend")["name"] == "flask-backend"
    assert c.pod("flask-backend")["serviceAccountName"] == "flask-backend"


def test_two_services_with_the_same_dns_name_are_an_error(compile_error):
    errors = compile_error("""
        name: shop
        services:
          web_app:
            image: example/a:1
          web-app:
            image: example/b:1
    """)
    error = only(errors, "E-NAME-COLLISION")
    assert "services 'web_app' and 'web-app' both become the Kubernetes name 'web-app'" in error.message


def test_every_object_of_a_service_carries_the_five_standard_labels(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            ports: ["8080"]
    """)
    for kind in ("Deployment", "ServiceAccount", "PodDisruptionBudget", "NetworkPolicy", "Service"):
        assert c.get(kind, "web")["metadata"]["labels"] == LABELS, kind
    # Pod templates also name their compose networks, which NetworkPolicies select peers by.
    assert c.get("Deployment", "web")["spec"]["template"]["metadata"]["labels"] == {
        **LABELS, "network.composek8s.io/default": "true"}


def test_selectors_use_only_name_and_instance(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            ports: ["8080"]
    """)
    assert c.get("Deployment", "web")["spec"]["selector"] == {"matchLabels": SELECTOR}
    assert c.get("PodDisruptionBudget", "web")["spec"]["selector"] == {"matchLabels": SELECTOR}
    assert c.get("Service", "web")["spec"]["selector"] == SELECTOR
    assert c.get("NetworkPolicy", "web")["spec"]["podSelector"] == {"matchLabels": SELECTOR}
    spread = c.pod("web")["topologySpreadConstraints"][0]
    assert spread["labelSelector"] == {"matchLabels": SELECTOR}


def test_the_namespace_enforces_the_restricted_pod_security_standard(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
    """)
    namespace = c.get("Namespace", "shop")
    labels = namespace["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert labels["pod-security.kubernetes.io/enforce-version"] == "v1.30"
    assert "namespace" not in namespace["metadata"]


def test_every_namespaced_object_names_its_namespace(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            ports: ["80:8080"]
            volumes: ["uploads:/srv/uploads", "./site.conf:/etc/site.conf:ro"]
          db:
            image: postgres:16
            volumes: ["pgdata:/var/lib/postgresql/data"]
          migrate:
            image: example/migrate:1
            restart: "no"
        volumes:
          uploads: {}
          pgdata: {}
    """, files={"site.conf": "listen 8080;\n"})
    namespaced = [m for m in c.manifests if m["kind"] != "Namespace"]
    assert {m["kind"] for m in namespaced} == {"Deployment", "StatefulSet", "Job", "Service", "Ingress",
                                               "NetworkPolicy", "PersistentVolumeClaim", "ConfigMap",
                                               "ServiceAccount", "PodDisruptionBudget"}
    assert all(m["metadata"]["namespace"] == "shop" for m in namespaced)


def test_the_namespace_can_be_overridden(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
    """, namespace="shop-staging")
    assert c.kinds("shop-staging") == {"Namespace"}
    assert ("Namespace", "shop") not in c.by_key
    assert {m["metadata"]["namespace"] for m in c.manifests if m["kind"] != "Namespace"} == {"shop-staging"}


# --- Reliability ------------------------------------------------------------------------


def test_each_long_running_workload_gets_a_pod_disruption_budget(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
          db:
            image: postgres:16
            volumes: ["pgdata:/var/lib/postgresql/data"]
        volumes:
          pgdata: {}
    """)
    for name in ("web", "db"):
        assert c.get("PodDisruptionBudget", name)["spec"] == {
            "maxUnavailable": 1,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": "shop"}},
            "unhealthyPodEvictionPolicy": "AlwaysAllow",
        }
        assert c.get("PodDisruptionBudget", name)["apiVersion"] == "policy/v1"


def test_stop_grace_period_becomes_the_termination_grace_period(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            stop_grace_period: 1m30s
    """)
    assert c.pod("web")["terminationGracePeriodSeconds"] == 90


def test_a_pre_stop_sleep_only_when_the_pod_takes_connections(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            ports: ["8080"]
          worker:
            image: example/worker:1
    """)
    assert c.container("web")["lifecycle"] == {"preStop": {"sleep": {"seconds": 5}}}
    assert "lifecycle" not in c.container("worker")


def test_stateless_deployments_roll_without_losing_capacity(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            deploy:
              replicas: 3
    """)
    spec = c.get("Deployment", "web")["spec"]
    assert spec["replicas"] == 3
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}


def test_pods_spread_over_nodes_when_they_can(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
    """)
    assert c.pod("web")["topologySpreadConstraints"] == [{
        "maxSkew": 1,
        "topologyKey": "kubernetes.io/hostname",
        "whenUnsatisfiable": "ScheduleAnyway",
        "labelSelector": {"matchLabels": SELECTOR},
    }]


# --- x-k8s validation -------------------------------------------------------------------


def test_an_unknown_x_k8s_key_is_an_error_naming_it(compile_error):
    errors = compile_error("""
        name: shop
        services:
          web:
            image: example/web:1
            x-k8s:
              replica: 2
    """)
    error = only(errors, "E-XK8S")
    assert "unknown key 'replica' (did you mean 'replicas'? known:" in error.message
    assert "service 'web'" in error.message
    assert (error.position.line, error.position.column) == (7, 7)  # the key itself, not `x-k8s:`


def test_x_k8s_errors_point_at_the_key_inside_environments_and_suggest_a_spelling(compile_error):
    errors = compile_error("""
        name: shop
        services:
          web:
            image: example/web:1
            x-k8s:
              ingress: {host: shop.example.com, port: 99999}
        x-k8s:
          namespaces: shop
          environments:
            production:
              namespace: Shop_Prod
            staging:
              value: {web: {replicas: 2}}
    """)
    by_message = {e.message: e.position.line for e in errors if e.code == "E-XK8S"}
    assert len(by_message) == 4, by_message
    [(unknown, unknown_line)] = [(m, n) for m, n in by_message.items() if "'namespaces'" in m]
    assert "did you mean 'namespace'?" in unknown and unknown_line == 9
    assert [n for m, n in by_message.items() if "Shop_Prod" in m] == [12]
    [(value, value_line)] = [(m, n) for m, n in by_message.items() if "'staging'" in m]
    assert "unknown key 'value' (did you mean 'values'?" in value and value_line == 14
    assert [n for m, n in by_message.items() if "ingress.port 99999" in m] == [7]


def test_x_k8s_kind_must_be_a_workload_we_make(compile_error):
    errors = compile_error("""
        name: shop
        services:
          agent:
            image: example/agent:1
            x-k8s: {kind: DaemonSet}
    """)
    error = only(errors, "E-XK8S")
    assert "kind 'DaemonSet' must be Deployment, StatefulSet or Job" in error.message


def test_x_k8s_storage_size_must_be_a_quantity(compile_error):
    errors = compile_error("""
        name: shop
        services:
          web:
            image: example/web:1
            x-k8s:
              storage: {size: ten}
    """)
    error = only(errors, "E-XK8S")
    assert "storage.size 'ten' is not a quantity" in error.message


def test_x_k8s_replicas_wins_over_deploy_replicas(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            deploy:
              replicas: 2
            x-k8s: {replicas: 5}
    """)
    assert c.get("Deployment", "web")["spec"]["replicas"] == 5


# --- Every key accounted for ------------------------------------------------------------


def test_ulimits_is_reported_where_it_was_written(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            ulimits:
              nofile: 65536
    """)
    warning = only(c.diagnostics, "W-KEY-IGNORED")
    assert "'ulimits' is ignored" in warning.message
    assert "service 'web'" in warning.message
    assert (warning.position.file, warning.position.line, warning.position.column) == ("compose.yaml", 6, 5)


def test_container_name_is_reported_with_the_reason(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            container_name: shop-web
    """)
    warning = only(c.diagnostics, "W-KEY-IGNORED")
    assert "'container_name' is ignored: Kubernetes names pods itself" in warning.message
    assert (warning.position.line, warning.position.column) == (6, 5)


def test_an_unknown_key_is_an_error_with_a_suggestion(compile_error):
    errors = compile_error("""
        name: shop
        services:
          web:
            imagee: example/web:1
    """)
    error = only(errors, "E-COMPOSE-KEY")
    assert error.message == "services.web: unknown key 'imagee' (did you mean 'image'?)"
    assert (error.position.line, error.position.column) == (5, 5)


# --- YAML 1.2 ---------------------------------------------------------------------------


def test_yes_is_a_string_in_yaml_1_2(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            environment:
              FLAG: yes
              OTHER: off
    """)
    assert c.container("web")["env"] == [{"name": "FLAG", "value": "yes"}, {"name": "OTHER", "value": "off"}]


def test_an_unquoted_port_mapping_is_not_a_base_60_number(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          sftp:
            image: example/sftp:1
            ports:
              - 22:22
    """)
    assert c.container("sftp")["ports"] == [{"name": "tcp-22", "containerPort": 22, "protocol": "TCP"}]
    assert [p["port"] for p in c.get("Service", "sftp")["spec"]["ports"]] == [22]


def test_a_yaml_alias_bomb_is_refused(compile_error):
    levels = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 9):
        levels.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    errors = compile_error("x-bomb:\n" + "\n".join("  " + line for line in levels)
                           + "\nservices:\n  web:\n    image: example/web:1\n")
    error = only(errors, "E-YAML-TOO-LARGE")
    assert "alias bomb" in error.message


def test_tab_indentation_is_a_syntax_error_with_its_line(compile_error):
    errors = compile_error("name: shop\nservices:\n  web:\n\timage: example/web:1\n")
    error = only(errors, "E-YAML-SYNTAX")
    assert error.position.file == "compose.yaml"
    assert error.position.line == 4
    assert "tab" in error.message
