"""The conversion table, edge rows: shared volumes, baseline opt-out, job retries, port names."""
from __future__ import annotations

from support import only


def test_plain_on_failure_retries_as_often_as_kubernetes_default(compile_compose):
    c = compile_compose("""
        services:
          migrate:
            image: example/migrate:1
            restart: on-failure
    """)
    assert c.get("Job", "migrate")["spec"]["backoffLimit"] == 6


def test_a_volume_shared_by_two_services_makes_one_claim_and_a_warning(compile_compose):
    c = compile_compose("""
        services:
          api:
            image: example/api:1
            volumes: [media:/srv/media]
          worker:
            image: example/worker:1
            volumes: [media:/srv/media]
        volumes:
          media:
    """)
    claims = [m for m in c.manifests if m["kind"] == "PersistentVolumeClaim"]
    assert [m["metadata"]["name"] for m in claims] == ["media"]
    assert claims[0]["metadata"]["labels"]["app.kubernetes.io/name"] == "api"
    for name in ("api", "worker"):
        assert {"name": "media", "persistentVolumeClaim": {"claimName": "media"}} in c.pod(name)["volumes"]
    assert c.codes().count("W-VOLUME-SHARED") == 1


def test_baseline_opt_out_allows_baseline_capabilities_only(compile_compose, compile_error):
    c = compile_compose("""
        services:
          legacy:
            image: example/legacy:1
            cap_add: [CHOWN]
            x-k8s: {podSecurity: baseline, reason: "chowns its data dir at start"}
    """)
    assert c.container("legacy")["securityContext"]["capabilities"] == {"drop": ["ALL"], "add": ["CHOWN"]}
    ns = next(m for m in c.manifests if m["kind"] == "Namespace")
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"
    errors = compile_error("""
        services:
          legacy:
            image: example/legacy:1
            privileged: true
            cap_add: [SYS_ADMIN]
            x-k8s: {podSecurity: baseline, reason: "wants more"}
    """)
    assert {e.code for e in errors} == {"E-SECURITY-PRIVILEGED", "E-SECURITY-CAPABILITY"}
    assert all("baseline Pod Security profile" in e.message for e in errors)


def test_a_statefulset_without_ports_still_gets_its_headless_service(compile_compose):
    c = compile_compose("""
        services:
          worker:
            image: example/worker:1
            volumes: [state:/state]
            x-k8s: {kind: StatefulSet}
        volumes:
          state:
    """)
    assert c.get("StatefulSet", "worker")["spec"]["serviceName"] == "worker-headless"
    assert c.get("Service", "worker-headless")["spec"]["clusterIP"] == "None"


def test_a_shell_http_healthcheck_names_its_port_http(compile_compose):
    c = compile_compose("""
        services:
          web:
            image: example/web:1
            expose: ["8080"]
            healthcheck:
              test: ["CMD-SHELL", "wget -q --spider http://localhost:8080/healthz || exit 1"]
    """)
    assert c.container("web")["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    assert c.container("web")["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": 8080}


def test_a_build_only_service_gets_compose_image_name_and_says_how_to_point_at_a_registry(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          api:
            build: ./api
    """, files={"api/Dockerfile": "FROM alpine:3.20\nUSER 10001\nEXPOSE 8080\n"})
    assert c.container("api")["image"] == "shop-api:latest"
    from composek8s.helm.values import values_tree

    # the chart value the warning names
    assert values_tree(c.plan)["api"]["image"]["repository"] == "shop-api"
    warning = only(c.diagnostics, "W-IMAGE-BUILD")
    assert "api.image.repository=REGISTRY/shop-api" in warning.message and warning.position.line == 5


def test_sharing_another_services_network_namespace_is_reported_not_dropped(compile_compose):
    c = compile_compose("""
        services:
          vpn:
            image: example/vpn:1
            expose: [8888]
          torrent:
            image: example/torrent:1
            network_mode: service:vpn
            ipc: service:vpn
    """)
    found = {(d.message.split(" is not mapped")[0], d.position.line) for d in c.diagnostics
             if d.code == "W-KEY-IGNORED"}
    assert found == {("service 'torrent': network_mode: service:vpn", 8), ("service 'torrent': ipc: service:vpn", 9)}
    assert "localhost" in next(d.message for d in c.diagnostics if "network_mode" in d.message)


def test_keys_inside_mapped_keys_are_each_accounted_for_where_written(compile_compose):
    c = compile_compose("""
        services:
          db:
            image: postgres:16
            healthcheck:
              test: pg_isready
              start_interval: 1s
            ports:
              - target: 5432
                host_ip: 127.0.0.1
            networks:
              back:
                aliases: [database]
                ipv4_address: 172.20.0.5
            secrets:
              - source: pw
                mode: 0400
                uid: "999"
            build:
              context: .
              args: {PG: "16"}
        networks:
          back: {}
        secrets:
          pw: {file: ./pw.txt}
    """, files={"pw.txt": "x", "Dockerfile": "FROM postgres:16\n"})
    found = {(d.message.split("'")[3] if "' is ignored" in d.message else d.message.split(":")[1].strip(),
              d.position.line) for d in c.diagnostics if d.code == "W-KEY-IGNORED"}
    assert found == {("healthcheck.start_interval", 7), ("ports.host_ip", 10), ("networks.ipv4_address", 14),
                     ("network aliases are ignored", 13), ("secrets.uid", 18), ("build.args", 21)}
