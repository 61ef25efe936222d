"""The conversion table: networking. Services, Ingress and NetworkPolicies.

Every service with ports gets a ClusterIP Service with named ports. Published web ports
(80/443) or ``x-k8s.ingress`` get an Ingress. Traffic is denied by default and allowed back
along the compose topology: services on a shared compose network reach each other's ports,
data stores (postgres, redis…) accept only the services that ``depends_on`` them, and each
allowed connection appears twice: as ingress on the server and as egress on the client.
"""
from __future__ import annotations

from support import only


def pods(*names: str) -> list[dict]:
    """The ``from``/``to`` peers selecting the pods of ``names`` in project ``shop``."""
    return [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": n, "app.kubernetes.io/instance": "shop"}}}
            for n in names]


def tcp(*ports: int) -> list[dict]:
    return [{"port": p, "protocol": "TCP"} for p in ports]


def policy(c, name: str) -> dict:
    return c.get("NetworkPolicy", name)["spec"]


def _selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def _allows(rules: list[dict], peer_labels: dict, port: int, direction: str) -> bool:
    for rule in rules:
        peers = rule.get(direction, [])
        ports = [p["port"] for p in rule.get("ports", [])]
        if (not ports or port in ports) and any(
                "podSelector" in peer and _selects(peer["podSelector"], peer_labels) for peer in peers):
            return True
    return False


def can_reach(c, client: str, server: str, port: int) -> bool:
    """Whether the policies let ``client``'s pods open ``port`` on ``server``'s pods: the
    client's egress and the server's ingress must both allow it."""
    client_labels = c.pod_labels(client)
    server_labels = c.pod_labels(server)
    return (_allows(policy(c, client)["egress"], server_labels, port, "to")
            and _allows(policy(c, server)["ingress"], client_labels, port, "from"))


# --- Services and Ingress ---------------------------------------------------------------


def test_a_service_with_ports_gets_a_cluster_ip_service_with_named_ports(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          api:
            image: example/api:1
            expose: ["5000", "9090/udp"]
          worker:
            image: example/worker:1
    """)
    assert c.get("Service", "api")["spec"] == {
        "type": "ClusterIP",
        "selector": {"app.kubernetes.io/name": "api", "app.kubernetes.io/instance": "shop"},
        "ports": [
            {"name": "tcp-5000", "port": 5000, "targetPort": "tcp-5000", "protocol": "TCP"},
            {"name": "udp-9090", "port": 9090, "targetPort": "udp-9090", "protocol": "UDP"},
        ],
    }
    assert c.container("api")["ports"] == [
        {"name": "tcp-5000", "containerPort": 5000, "protocol": "TCP"},
        {"name": "udp-9090", "containerPort": 9090, "protocol": "UDP"},
    ]
    assert "Service" not in c.kinds("worker")


def test_a_published_web_port_gets_an_ingress_to_the_container_port(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            ports: ["80:8080"]
    """)
    assert [p["port"] for p in c.get("Service", "web")["spec"]["ports"]] == [8080]
    # Without a host, every request reaches the service (ingress.hosts adds host rules).
    assert c.get("Ingress", "web")["spec"] == {
        "defaultBackend": {"service": {"name": "web", "port": {"name": "tcp-8080"}}}}
    assert "W-PORT-PUBLISHED" not in c.codes()


def test_x_k8s_ingress_sets_host_class_and_tls(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            ports: ["8080"]
            x-k8s:
              ingress:
                host: shop.example.com
                className: nginx
                tlsSecret: shop-tls
    """)
    spec = c.get("Ingress", "web")["spec"]
    assert spec["ingressClassName"] == "nginx"
    assert spec["rules"][0]["host"] == "shop.example.com"
    assert spec["rules"][0]["http"]["paths"][0]["backend"] == {"service": {"name": "web", "port": {"name": "tcp-8080"}}}
    assert spec["tls"] == [{"secretName": "shop-tls", "hosts": ["shop.example.com"]}]


def test_a_published_non_web_port_is_reachable_only_in_the_cluster(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          db:
            image: postgres:16
            ports: ["5432:5432"]
    """)
    assert "Ingress" not in c.kinds("db")
    assert [p["port"] for p in c.get("Service", "db")["spec"]["ports"]] == [5432]
    warning = only(c.diagnostics, "W-PORT-PUBLISHED")
    assert "service 'db': host port 5432" in warning.message
    assert warning.position.line == 6


# --- NetworkPolicies --------------------------------------------------------------------


def test_the_namespace_denies_all_traffic_then_allows_dns(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
    """)
    assert policy(c, "default-deny") == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    assert policy(c, "allow-dns") == {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{
        "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
        "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
    }]}


DATA_STORE = """
    name: shop
    services:
      api:
        image: example/api:1
        expose: ["5000"]
        depends_on: [db]
      web:
        image: example/web:1
        expose: ["8080"]
      db:
        image: postgres:16
"""


def test_a_data_store_accepts_only_the_services_that_depend_on_it(compile_compose):
    c = compile_compose(DATA_STORE)
    db = policy(c, "db")
    assert db["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "db", "app.kubernetes.io/instance": "shop"}}
    assert db["policyTypes"] == ["Ingress", "Egress"]
    assert db["ingress"] == [{"from": pods("api"), "ports": tcp(5432)}]  # not web: it does not depend on db
    assert db["egress"] == []  # a data store opens no connections to app services


def test_a_data_store_is_not_a_client_of_app_services(compile_compose):
    c = compile_compose(DATA_STORE)
    assert not can_reach(c, "db", "web", 8080)
    assert not can_reach(c, "db", "api", 5000)
    assert can_reach(c, "web", "api", 5000) and can_reach(c, "api", "web", 8080)


def test_peers_are_selected_by_a_network_label_so_policies_stay_small(compile_compose):
    c = compile_compose(DATA_STORE)
    assert c.pod_labels("api")["network.composek8s.io/default"] == "true"
    on_default = {"podSelector": {"matchLabels": {"network.composek8s.io/default": "true",
                                                  "app.kubernetes.io/instance": "shop"}}}
    assert policy(c, "api")["ingress"] == [{"from": [on_default], "ports": tcp(5000)}]
    assert policy(c, "api")["egress"] == [
        {"to": [on_default], "ports": tcp(5000, 8080)},  # the app ports on its network
        {"to": pods("db"), "ports": tcp(5432)},  # the data store it depends on
    ]


def test_egress_and_ingress_both_allow_each_permitted_connection(compile_compose):
    c = compile_compose(DATA_STORE)
    assert can_reach(c, "api", "db", 5432)
    assert not can_reach(c, "web", "db", 5432)
    assert not can_reach(c, "api", "db", 5433)
    assert not can_reach(c, "web", "api", 8080)  # only the ports api declares


def test_services_on_a_shared_network_reach_each_other_and_others_do_not(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            expose: ["8080"]
            networks: [front]
          api:
            image: example/api:1
            expose: ["5000"]
            networks: [front, back]
          jobs:
            image: example/jobs:1
            expose: ["7000"]
            networks: [back]
        networks:
          front: {}
          back: {}
    """)
    assert can_reach(c, "web", "api", 5000) and can_reach(c, "api", "web", 8080)
    assert can_reach(c, "jobs", "api", 5000) and can_reach(c, "api", "jobs", 7000)
    assert not can_reach(c, "web", "jobs", 7000)
    assert not can_reach(c, "jobs", "web", 8080)


def test_depends_on_does_not_cross_compose_networks_to_a_data_store(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            networks: [front]
            depends_on: [db]
          api:
            image: example/api:1
            networks: [back]
            depends_on: [db]
          db:
            image: postgres:16
            networks: [back]
        networks:
          front: {}
          back: {}
    """)
    assert policy(c, "db")["ingress"] == [{"from": pods("api"), "ports": tcp(5432)}]
    assert not can_reach(c, "web", "db", 5432) and can_reach(c, "api", "db", 5432)


def test_a_public_port_accepts_traffic_from_other_namespaces(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            ports: ["80:8080"]
    """)
    assert policy(c, "web")["ingress"] == [{"from": [{"namespaceSelector": {}}], "ports": tcp(8080)}]


def test_x_k8s_egress_allows_traffic_out_of_the_cluster(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          api:
            image: example/api:1
            x-k8s:
              egress:
                - cidr: 0.0.0.0/0
                  ports: [443]
                - cidr: 10.20.0.0/16
    """)
    assert policy(c, "api")["egress"] == [
        {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": tcp(443)},
        {"to": [{"ipBlock": {"cidr": "10.20.0.0/16"}}]},
    ]


def test_a_service_reached_by_name_without_any_port_is_reported(compile_compose):
    # A bare host name says nothing about the port: nothing to infer from.
    c = compile_compose("""
        services:
          web:
            image: example/web:1
            environment:
              API_HOST: api
          api:
            image: example/api:1
          worker:
            image: example/worker:1
    """)
    warning = only(c.diagnostics, "W-NO-PORT")
    assert "'api'" in warning.message and "web" in warning.message and warning.position.line == 7
    assert ("Service", "api") not in c.by_key


def test_a_port_named_in_a_value_but_not_declared_is_added_with_a_warning(compile_compose):
    # Compose opens every port between services; Kubernetes only declared ones. Kafka's
    # published files advertise an in-network listener (broker:29092) they never declare:
    # the Service gets the port, and the warning says where it was found.
    c = compile_compose("""
        services:
          broker:
            image: example/kafka:7
            ports: ["9092:9092"]
            environment:
              ADVERTISED: PLAINTEXT://broker:29092,PLAINTEXT_HOST://localhost:9092
              ZOOKEEPER: zookeeper:2181
          zookeeper:
            image: example/zookeeper:7
            expose: ["2181"]
          app:
            image: example/app:1
            expose: ["8080"]
            environment:
              DATABASE_URL: postgres://app:${DB_PASSWORD}@db:5433/app
              BROKERS: broker:9092
          db:
            image: postgres:16
    """, environ={"DB_PASSWORD": "pw"})
    found = sorted((d.position.line, d.message) for d in c.diagnostics if d.code == "W-PORT-INFERRED")
    assert [line for line, _ in found] == [7, 16]  # the variables that name them
    assert "29092" in found[0][1] and "ADVERTISED" in found[0][1] and 'expose: ["29092"]' in found[0][1]
    assert "5433" in found[1][1] and "DATABASE_URL" in found[1][1]
    assert "pw" not in found[1][1]
    assert {p["port"] for p in c.get("Service", "broker")["spec"]["ports"]} == {9092, 29092}
    assert {p["port"] for p in c.get("Service", "db")["spec"]["ports"]} == {5432, 5433}
    assert "W-PORT-UNDECLARED" not in c.codes()


def test_a_port_from_the_dockerfile_expose_needs_no_warning(compile_compose):
    c = compile_compose("""
        services:
          web:
            image: example/web:1
            depends_on: [api]
          api:
            build: ./api
            image: example/api:1
    """, files={"api/Dockerfile": "FROM alpine:3.20\nUSER 10001\nEXPOSE 8080\n"})
    assert "W-NO-PORT" not in c.codes()
    assert c.get("Service", "api")["spec"]["ports"][0]["port"] == 8080


def test_the_same_port_on_tcp_and_udp_is_two_ports_of_one_service(compile_compose):
    c = compile_compose("""
        services:
          dns:
            image: example/dns:1
            ports:
              - "5353:53/tcp"
              - "5353:53/udp"
          resolver-client:
            image: example/client:1
    """)
    ports = c.get("Service", "dns")["spec"]["ports"]
    assert sorted((p["port"], p["protocol"]) for p in ports) == [(53, "TCP"), (53, "UDP")]
    assert len({p["name"] for p in ports}) == 2
    assert sorted((p["containerPort"], p["protocol"]) for p in c.container("dns")["ports"]) == [
        (53, "TCP"), (53, "UDP")]
    policy = c.get("NetworkPolicy", "dns")
    opened = [(p["port"], p["protocol"]) for rule in policy["spec"]["ingress"] for p in rule.get("ports", [])]
    assert (53, "UDP") in opened and (53, "TCP") in opened
