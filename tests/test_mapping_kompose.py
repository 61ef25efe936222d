"""The conversion table: kompose labels, mapped the hardened way.

A compose file written for kompose compiles unchanged: each ``kompose.*`` label becomes the
setting ``x-k8s`` gives (kind, storage, ingress), or the feature it names (Service type,
pull policy and secret, probe overrides, a HorizontalPodAutoscaler). An explicit ``x-k8s``
wins over a label; a bad value is an error at the label's line.
"""
from __future__ import annotations

from support import only


def web(labels: str, extra: str = "") -> str:
    """A one-service project whose ``web`` service carries ``labels`` (mapping lines)."""
    return f"""
name: shop
services:
  web:
    image: example/web:1.2
    ports: ["8080:8080"]{extra}
    labels:
{labels}
"""


def errors(diagnostics):
    return [d for d in diagnostics if d.severity == "error"]


# --- kompose.controller.type --------------------------------------------------------------


def test_controller_type_statefulset_makes_a_statefulset(compile_compose):
    c = compile_compose(web("      kompose.controller.type: statefulset"))
    assert c.kinds("web") >= {"StatefulSet"} and "Deployment" not in c.kinds("web")
    assert c.plan.decisions[0].why == "x-k8s.kind or its kompose.controller.type label says so"


def test_controller_type_in_the_list_form_is_read_too(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1.2
            labels: ["kompose.controller.type=statefulset", "team=shop"]
    """)
    assert "StatefulSet" in c.kinds("web")


def test_controller_type_daemonset_is_refused_at_its_line(compile_error):
    error = only(compile_error("""
        name: shop
        services:
          web:
            image: example/web:1.2
            labels:
              - team=shop
              - kompose.controller.type=daemonset
    """), "E-KOMPOSE")
    assert "daemonset is refused" in error.message and "node agents" in error.message
    assert (error.position.line, error.position.column) == (8, 9)


def test_an_unknown_controller_type_is_an_error(compile_error):
    error = only(compile_error(web("      kompose.controller.type: cronjob")), "E-KOMPOSE")
    assert "'cronjob' must be deployment or statefulset" in error.message and error.position.line == 8


# --- kompose.service.type and nodeport ------------------------------------------------------


def test_service_type_nodeport_with_its_port_is_exposed_and_warned(compile_compose):
    c = compile_compose(web("      kompose.service.type: nodeport\n"
                            "      kompose.service.nodeport.port: 30080"))
    spec = c.get("Service", "web")["spec"]
    assert spec["type"] == "NodePort"
    assert spec["ports"] == [{"name": "tcp-8080", "port": 8080, "targetPort": "tcp-8080",
                              "protocol": "TCP", "nodePort": 30080}]
    warning = only(c.diagnostics, "W-KOMPOSE-EXPOSED")
    assert "Ingress" in warning.message and warning.position.line == 8
    # Traffic from outside the cluster reaches the pods only if the policy lets it in.
    ingress = c.get("NetworkPolicy", "web")["spec"]["ingress"]
    assert {"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}, {"ipBlock": {"cidr": "::/0"}}],
            "ports": [{"port": 8080, "protocol": "TCP"}]} in ingress


def test_service_type_loadbalancer_is_allowed_with_a_warning(compile_compose):
    c = compile_compose(web("      kompose.service.type: LoadBalancer"))
    assert c.get("Service", "web")["spec"]["type"] == "LoadBalancer"
    assert "W-KOMPOSE-EXPOSED" in c.codes()


def test_service_type_headless_has_no_cluster_ip(compile_compose):
    c = compile_compose(web("      kompose.service.type: headless"))
    spec = c.get("Service", "web")["spec"]
    assert spec["type"] == "ClusterIP" and spec["clusterIP"] == "None"
    assert "W-KOMPOSE-EXPOSED" not in c.codes()
    assert {"ipBlock": {"cidr": "0.0.0.0/0"}} not in [
        peer for rule in c.get("NetworkPolicy", "web")["spec"]["ingress"] for peer in rule["from"]]


def test_service_type_headless_without_ports_is_a_headless_service_without_ports(compile_compose):
    """A headless Service only gives the pods DNS names: it needs no port (kompose adds a
    dummy 55555 for a Kubernetes bug fixed long ago; composek8s writes none)."""
    c = compile_compose("""
name: shop
services:
  worker:
    image: example/worker:1.2
    labels:
      kompose.service.type: headless
""")
    assert not errors(c.diagnostics)
    spec = c.get("Service", "worker")["spec"]
    assert spec["clusterIP"] == "None" and "ports" not in spec
    assert spec["selector"] == c.get("Deployment", "worker")["spec"]["selector"]["matchLabels"]


def test_another_service_type_without_ports_is_still_an_error(compile_error):
    found = compile_error(web("      kompose.service.type: nodeport").replace('    ports: ["8080:8080"]\n', ""))
    assert any("needs ports" in e.message for e in found), found


def test_a_cluster_ip_service_stays_closed_to_the_outside(compile_compose):
    c = compile_compose(web("      kompose.service.type: clusterip"))
    assert c.get("Service", "web")["spec"]["type"] == "ClusterIP"
    assert "W-KOMPOSE-EXPOSED" not in c.codes()


def test_node_port_outside_the_range_is_an_error(compile_error):
    error = only(compile_error(web("      kompose.service.type: nodeport\n"
                                   "      kompose.service.nodeport.port: 8080")), "E-KOMPOSE")
    assert "30000-32767" in error.message and error.position.line == 9


def test_node_port_needs_the_nodeport_type(compile_error):
    error = only(compile_error(web("      kompose.service.nodeport.port: 30080")), "E-KOMPOSE")
    assert "needs kompose.service.type: nodeport" in error.message


def test_node_port_needs_a_single_port(compile_error):
    error = only(compile_error(web("      kompose.service.type: nodeport\n"
                                   "      kompose.service.nodeport.port: 30080",
                                   extra='\n    expose: ["9090"]')), "E-KOMPOSE")
    assert "one port; it has 2" in error.message


def test_a_bad_service_type_is_an_error(compile_error):
    error = only(compile_error(web("      kompose.service.type: external")), "E-KOMPOSE")
    assert "clusterip, nodeport, loadbalancer or headless" in error.message


# --- kompose.service.expose ---------------------------------------------------------------


def test_expose_true_makes_an_ingress_for_every_host(compile_compose):
    c = compile_compose(web('      kompose.service.expose: "true"'))
    spec = c.get("Ingress", "web")["spec"]
    assert spec["defaultBackend"] == {"service": {"name": "web", "port": {"name": "tcp-8080"}}}
    assert "rules" not in spec


def test_expose_hosts_with_a_path_tls_and_class(compile_compose):
    c = compile_compose(web('      kompose.service.expose: "Shop.example.com/api, www.example.com/api"\n'
                            "      kompose.service.expose.tls-secret: shop-tls\n"
                            "      kompose.service.expose.ingress-class-name: nginx"))
    spec = c.get("Ingress", "web")["spec"]
    assert [r["host"] for r in spec["rules"]] == ["shop.example.com", "www.example.com"]
    assert spec["rules"][0]["http"]["paths"][0]["path"] == "/api"
    assert spec["tls"] == [{"secretName": "shop-tls", "hosts": ["shop.example.com", "www.example.com"]}]
    assert spec["ingressClassName"] == "nginx"


def test_expose_with_two_different_paths_is_an_error(compile_error):
    error = only(compile_error(web('      kompose.service.expose: "a.example.com/x,b.example.com/y"')),
                 "E-KOMPOSE")
    assert "one path" in error.message


def test_tls_secret_without_expose_is_an_error(compile_error):
    error = only(compile_error(web("      kompose.service.expose.tls-secret: shop-tls")), "E-KOMPOSE")
    assert "needs kompose.service.expose" in error.message and error.position.line == 8


def test_a_host_that_is_not_a_dns_name_is_an_error(compile_error):
    error = only(compile_error(web('      kompose.service.expose: "shop_example"')), "E-KOMPOSE")
    assert "not a DNS name" in error.message


# --- kompose.volume.* ---------------------------------------------------------------------


def test_volume_size_and_class_on_the_service(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          db:
            image: postgres:16
            volumes: [data:/var/lib/postgresql/data]
            labels:
              kompose.volume.size: 5Gi
              kompose.volume.storage-class-name: fast-ssd
        volumes:
          data: {}
    """)
    claim = c.get("StatefulSet", "db")["spec"]["volumeClaimTemplates"][0]["spec"]
    assert claim["resources"]["requests"]["storage"] == "5Gi"
    assert claim["storageClassName"] == "fast-ssd"


def test_volume_size_on_the_top_level_volume(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          api:
            image: example/api:1
            volumes: [uploads:/srv/uploads]
        volumes:
          uploads:
            labels:
              kompose.volume.size: 20Gi
    """)
    assert c.get("PersistentVolumeClaim", "uploads")["spec"]["resources"]["requests"]["storage"] == "20Gi"


def test_a_bad_volume_size_is_an_error_at_the_volume_label(compile_error):
    error = only(compile_error("""
        name: shop
        services:
          api:
            image: example/api:1
            volumes: [uploads:/srv/uploads]
        volumes:
          uploads:
            labels:
              kompose.volume.size: lots
    """), "E-KOMPOSE")
    assert "'lots' is not a quantity" in error.message and error.position.line == 10


# --- kompose.image-pull-* -----------------------------------------------------------------


def test_image_pull_policy_is_honoured_warned_and_excepted_from_checkov(compile_compose):
    c = compile_compose(web("      kompose.image-pull-policy: ifnotpresent"))
    assert c.container("web")["imagePullPolicy"] == "IfNotPresent"
    assert only(c.diagnostics, "W-KOMPOSE-PULL").position.line == 8
    annotations = c.get("Deployment", "web")["metadata"]["annotations"]
    assert any(v.startswith("CKV_K8S_15=") for v in annotations.values())


def test_image_pull_policy_always_needs_no_exception(compile_compose):
    c = compile_compose(web("      kompose.image-pull-policy: Always"))
    assert c.container("web")["imagePullPolicy"] == "Always"
    assert "W-KOMPOSE-PULL" not in c.codes()
    assert not any(v.startswith("CKV_K8S_15=") for v in c.get("Deployment", "web")["metadata"]["annotations"].values())


def test_a_bad_image_pull_policy_is_an_error(compile_error):
    error = only(compile_error(web("      kompose.image-pull-policy: Sometimes")), "E-KOMPOSE")
    assert "Always, IfNotPresent or Never" in error.message and error.position.line == 8


def test_image_pull_secret_becomes_the_pods_image_pull_secrets(compile_compose):
    c = compile_compose(web("      kompose.image-pull-secret: regcred"))
    assert c.pod("web")["imagePullSecrets"] == [{"name": "regcred"}]


# --- kompose.service.healthcheck.* --------------------------------------------------------

HEALTHCHECK = """
    healthcheck:
      test: ["CMD", "/bin/check"]
      interval: 20s
      retries: 2"""


def test_readiness_labels_override_the_readiness_probe_only(compile_compose):
    c = compile_compose(web("      kompose.service.healthcheck.readiness.http_get_path: /ready\n"
                            "      kompose.service.healthcheck.readiness.interval: 5s\n"
                            "      kompose.service.healthcheck.readiness.start_period: 30s",
                            extra=HEALTHCHECK))
    container = c.container("web")
    assert container["readinessProbe"] == {"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 5,
                                           "timeoutSeconds": 5, "failureThreshold": 2, "successThreshold": 1,
                                           "initialDelaySeconds": 30}
    assert container["livenessProbe"]["exec"] == {"command": ["/bin/check"]}
    assert container["livenessProbe"]["periodSeconds"] == 20


def test_liveness_tcp_port_overrides_the_liveness_check(compile_compose):
    c = compile_compose(web("      kompose.service.healthcheck.liveness.tcp_port: 8080", extra=HEALTHCHECK))
    container = c.container("web")
    assert container["livenessProbe"]["tcpSocket"] == {"port": 8080}
    assert container["livenessProbe"]["failureThreshold"] == 4  # twice the healthcheck's retries
    assert container["readinessProbe"]["exec"] == {"command": ["/bin/check"]}


def test_readiness_test_in_the_shell_form(compile_compose):
    c = compile_compose(web('      kompose.service.healthcheck.readiness.test: CMD-SHELL "test -f /tmp/ready"'))
    assert c.container("web")["readinessProbe"]["exec"] == {"command": ["sh", "-c", "test -f /tmp/ready"]}


def test_readiness_test_curl_becomes_http_get(compile_compose):
    c = compile_compose(web('      kompose.service.healthcheck.readiness.test: CMD curl -f "http://localhost:8080/ping"'))
    assert c.container("web")["readinessProbe"]["httpGet"] == {"path": "/ping", "port": 8080}


def test_disabling_a_probe_is_warned_and_the_probe_stays(compile_compose):
    c = compile_compose(web("      kompose.service.healthcheck.readiness.disable: true"))
    assert only(c.diagnostics, "W-KOMPOSE-PROBE").position.line == 8
    assert c.container("web")["readinessProbe"]


def test_a_probe_on_an_undeclared_port_is_an_error(compile_error):
    error = only(compile_error(web("      kompose.service.healthcheck.liveness.http_get_port: 9000")),
                 "E-KOMPOSE")
    assert "port 9000" in error.message and "expose" in error.message


def test_a_bad_probe_duration_is_an_error_at_its_line(compile_error):
    error = only(compile_error(web("      team: shop\n"
                                   "      kompose.service.healthcheck.readiness.timeout: soon")), "E-KOMPOSE")
    assert "'soon' is not a duration" in error.message and error.position.line == 9


# --- kompose.hpa.* ------------------------------------------------------------------------


def test_hpa_labels_make_an_autoscaler_and_leave_replicas_to_it(compile_compose):
    c = compile_compose(web("      kompose.hpa.replicas.min: 2\n"
                            "      kompose.hpa.replicas.max: 6\n"
                            '      kompose.hpa.cpu: "80%"'))
    hpa = c.get("HorizontalPodAutoscaler", "web")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 6)
    assert [(m["resource"]["name"], m["resource"]["target"]) for m in hpa["spec"]["metrics"]] == [
        ("cpu", {"type": "Utilization", "averageUtilization": 80}),
        ("memory", {"type": "Utilization", "averageUtilization": 70})]  # kompose's default
    assert "replicas" not in c.get("Deployment", "web")["spec"]
    resource = next(r for r in c.plan.resources if r.kind == "HorizontalPodAutoscaler")
    assert resource.condition == "web.autoscaling.enabled"


def test_hpa_defaults_are_komposes(compile_compose):
    c = compile_compose(web("      kompose.hpa.memory: 90"))
    spec = c.get("HorizontalPodAutoscaler", "web")["spec"]
    assert (spec["minReplicas"], spec["maxReplicas"]) == (1, 3)
    assert [m["resource"]["target"]["averageUtilization"] for m in spec["metrics"]] == [50, 90]


def test_hpa_memory_as_a_quantity_is_an_error_that_says_why(compile_error):
    error = only(compile_error(web("      kompose.hpa.memory: 512Mi")), "E-KOMPOSE")
    assert "utilization percentage" in error.message and "silently uses 70" in error.message
    assert error.position.line == 8


def test_hpa_max_below_min_is_an_error(compile_error):
    error = only(compile_error(web("      kompose.hpa.replicas.min: 4\n"
                                   "      kompose.hpa.replicas.max: 2")), "E-KOMPOSE")
    assert "below kompose.hpa.replicas.min" in error.message and error.position.line == 9


def test_hpa_is_refused_for_a_data_store(compile_error):
    error = only(compile_error("""
        name: shop
        services:
          db:
            image: postgres:16
            volumes: [data:/var/lib/postgresql/data]
            labels:
              kompose.hpa.replicas.max: 4
        volumes:
          data: {}
    """), "E-KOMPOSE")
    assert "data store" in error.message


def test_hpa_is_refused_for_a_job(compile_error):
    error = only(compile_error(web("      kompose.hpa.replicas.max: 4", extra='\n    x-k8s: {kind: Job}')),
                 "E-KOMPOSE")
    assert "a Job runs to completion" in error.message


def test_hpa_is_refused_where_pods_share_a_read_write_once_claim(compile_error):
    error = only(compile_error("""
        name: shop
        services:
          api:
            image: example/api:1
            volumes: [uploads:/srv/uploads]
            labels:
              kompose.hpa.replicas.max: 4
        volumes:
          uploads: {}
    """), "E-KOMPOSE")
    assert "ReadWriteOnce" in error.message


def test_hpa_values_are_named_as_bitnami_names_them():
    import json

    from composek8s.diagnostics import Reporter
    from composek8s.helm.values import values_schema, values_tree
    from composek8s.plan import build_plan
    from composek8s.compose.load import load_project
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "compose.yaml"
        path.write_text(web("      kompose.hpa.replicas.max: 5\n      kompose.service.type: nodeport\n"
                            "      kompose.service.nodeport.port: 30080"))
        reporter = Reporter()
        plan = build_plan(load_project([path], cwd=Path(tmp), environ={}, reporter=reporter), reporter)
    tree = values_tree(plan)
    assert tree["web"]["autoscaling"] == {"enabled": True, "minReplicas": 1, "maxReplicas": 5,
                                          "targetCPUUtilizationPercentage": 50,
                                          "targetMemoryUtilizationPercentage": 70}
    assert tree["web"]["service"] == {"type": "NodePort", "nodePort": 30080}
    schema = json.loads(values_schema(plan, tree))["properties"]["web"]["properties"]
    assert schema["service"]["properties"]["nodePort"]["minimum"] == 30000
    assert schema["autoscaling"]["properties"]["targetCPUUtilizationPercentage"]["maximum"] == 100


# --- unknown labels, other labels, x-k8s ---------------------------------------------------


def test_an_unknown_kompose_label_is_warned_with_the_supported_ones(compile_compose):
    c = compile_compose(web("      kompose.service.colour: blue"))
    warning = only(c.diagnostics, "W-KOMPOSE-LABEL")
    assert "'kompose.service.colour'" in warning.message and "kompose.hpa.cpu" in warning.message
    assert warning.position.line == 8


def test_a_kompose_label_we_do_not_map_says_why(compile_compose):
    c = compile_compose(web("      kompose.security-context.fsgroup: 2000"))
    assert "use x-k8s.gid" in only(c.diagnostics, "W-KOMPOSE-LABEL").message


def test_only_the_labels_that_are_not_komposes_are_reported_ignored(compile_compose):
    c = compile_compose(web("      kompose.service.type: clusterip\n      com.example.team: shop"))
    warning = only(c.diagnostics, "W-KEY-IGNORED")
    assert "'com.example.team' is ignored (its kompose.* labels are honoured)" in warning.message
    assert warning.position.line == 9


def test_kompose_labels_alone_are_not_reported_ignored(compile_compose):
    c = compile_compose(web("      kompose.service.type: clusterip"))
    assert "W-KEY-IGNORED" not in c.codes()


def test_plain_labels_are_still_reported_as_before(compile_compose):
    c = compile_compose(web("      com.example.team: shop"))
    warning = only(c.diagnostics, "W-KEY-IGNORED")
    assert "container labels are not copied" in warning.message and "kompose" not in warning.message


def test_an_explicit_x_k8s_wins_over_a_label_with_a_warning(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          db:
            image: postgres:16
            volumes: [data:/var/lib/postgresql/data]
            labels:
              kompose.volume.size: 5Gi
              kompose.volume.storage-class-name: fast-ssd
            x-k8s:
              storage: {size: 50Gi}
        volumes:
          data: {}
    """)
    claim = c.get("StatefulSet", "db")["spec"]["volumeClaimTemplates"][0]["spec"]
    assert claim["resources"]["requests"]["storage"] == "50Gi"
    assert claim["storageClassName"] == "fast-ssd"  # the label fills what x-k8s leaves out
    warning = only(c.diagnostics, "W-KOMPOSE-CONFLICT")
    assert "x-k8s.storage.size '50Gi' wins over kompose.volume.size ('5Gi')" in warning.message
    assert warning.position.line == 8


def test_an_explicit_x_k8s_kind_wins_over_the_controller_label(compile_compose):
    c = compile_compose(web("      kompose.controller.type: statefulset",
                            extra="\n    x-k8s: {kind: Deployment}"))
    assert "Deployment" in c.kinds("web")
    assert "W-KOMPOSE-CONFLICT" in c.codes()


def test_a_label_that_agrees_with_x_k8s_is_not_warned(compile_compose):
    c = compile_compose(web("      kompose.controller.type: deployment",
                            extra="\n    x-k8s: {kind: Deployment}"))
    assert "W-KOMPOSE-CONFLICT" not in c.codes()


def test_a_label_value_that_is_not_a_scalar_is_a_type_error(compile_error):
    error = only(compile_error(web("      kompose.service.expose: [a.example.com]")), "E-COMPOSE-TYPE")
    assert "expected a string, a number, a boolean or null, got a list" in error.message
