"""The known-image facts at work: what an official image brings to a service that does not say
(its user, port and port name, check, scratch paths, workload kind), for the image's own
process only, for the publisher's own repository only, and per variant (alpine, fpm…).

Compose in, objects out; the facts themselves cite their sources in plan/images.py.
"""
from __future__ import annotations

import re

import pytest

from composek8s.plan.images import _KNOWN, facts


def _ports(c, name):
    return {(p["name"], p["containerPort"]) for p in c.container(name).get("ports", [])}


def _user(c, name):
    context = c.pod(name)["securityContext"]
    return context["runAsUser"], context["runAsGroup"]


def _scratch(c, name):
    """Mount paths backed by an emptyDir."""
    pod = c.pod(name)
    empty = {v["name"] for v in pod.get("volumes", []) if "emptyDir" in v}
    return {m["mountPath"] for m in c.container(name)["volumeMounts"] if m["name"] in empty}


def test_mongo_with_its_data_volume_is_a_statefulset_running_as_mongodb_with_its_check(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          db:
            image: mongo:7
            volumes: ["dbdata:/data/db"]
        volumes:
          dbdata: {}
    """)
    assert ("StatefulSet", "db") in c.by_key and ("Deployment", "db") not in c.by_key
    assert _user(c, "db") == (999, 999)
    assert _ports(c, "db") == {("mongodb", 27017)}
    assert c.container("db")["readinessProbe"]["exec"]["command"] == [
        "mongosh", "--quiet", "--eval", "db.adminCommand('ping')"]
    assert c.pod_labels("db")["app.kubernetes.io/component"] == "database"
    assert "W-SECURITY-DEFAULT-UID" not in c.codes()


def test_a_publishers_image_of_the_same_name_gets_none_of_the_official_images_facts(compile_compose):
    # bitnami/redis runs as 1001 with its own paths: redis's 999, port and redis-cli check
    # would all be wrong for it.
    c = compile_compose("""
        name: shop
        services:
          cache:
            image: bitnami/redis:7.2
            volumes: ["cachedata:/bitnami/redis/data"]
          official:
            image: redis:7.2
        volumes:
          cachedata: {}
    """)
    assert ("Deployment", "cache") in c.by_key  # not a known data store
    assert _user(c, "cache") == (10001, 10001)
    assert "ports" not in c.container("cache") and "readinessProbe" not in c.container("cache")
    assert ("Service", "cache") not in c.by_key
    assert _user(c, "official") == (999, 999)
    assert _ports(c, "official") == {("redis", 6379)}


@pytest.mark.parametrize("image, user", [
    ("postgres:16", (999, 999)),
    ("postgres:16.4-alpine3.20", (70, 70)),
    ("redis:7.4-alpine", (999, 1000)),
    ("rabbitmq:3.13-management", (999, 999)),
    ("rabbitmq:3.13-management-alpine", (100, 101)),
    ("httpd:2.4", (33, 33)),
    ("httpd:2.4-alpine", (82, 82)),
    ("valkey/valkey:8-alpine", (999, 1000)),
])
def test_an_alpine_variant_runs_as_its_own_user(compile_compose, image, user):
    c = compile_compose(f"""
        services:
          svc:
            image: {image}
    """)
    assert _user(c, "svc") == user


@pytest.mark.parametrize("image, user, port", [
    ("wordpress:6.6-apache", (33, 33), ("http", 80)),
    ("wordpress:6.6-php8.3-fpm", (33, 33), ("fastcgi", 9000)),
    ("wordpress:php8.3-fpm-alpine", (82, 82), ("fastcgi", 9000)),
    ("nextcloud:29-fpm-alpine", (82, 82), ("fastcgi", 9000)),
    ("php:8.3-apache-bookworm", (33, 33), ("http", 80)),
    ("drupal:11-fpm-alpine", (82, 82), ("fastcgi", 9000)),
])
def test_php_images_run_as_www_data_on_apache_or_fastcgi_by_variant(compile_compose, image, user, port):
    c = compile_compose(f"""
        services:
          app:
            image: {image}
    """)
    assert _user(c, "app") == user
    assert _ports(c, "app") == {port}
    apache = {"/var/run/apache2", "/var/lock/apache2"}
    assert (apache <= _scratch(c, "app")) == (port[1] == 80)


def test_a_server_started_by_its_own_program_keeps_the_images_port_and_check(compile_compose):
    c = compile_compose("""
        services:
          cache:
            image: redis:7.4
            command: redis-server --appendonly yes
    """)
    assert _ports(c, "cache") == {("redis", 6379)}
    assert "redis-cli" in c.container("cache")["readinessProbe"]["exec"]["command"][2]


def test_a_worker_built_from_the_web_image_gets_neither_its_port_nor_its_check(compile_compose):
    # Both built on php:8.3-apache: the web app runs Apache (port 80), the queue worker does not.
    c = compile_compose("""
        services:
          web:
            build: .
          worker:
            build: .
            command: sh -c "php artisan queue:work --tries=3"
    """, files={"Dockerfile": "FROM php:8.3-apache\nCOPY . /var/www/html/\n"})
    assert _ports(c, "web") == {("http", 80)}
    assert "ports" not in c.container("worker") and "readinessProbe" not in c.container("worker")
    assert ("Service", "worker") not in c.by_key
    assert _user(c, "worker") == (33, 33)  # still the image's user


@pytest.mark.parametrize("image, command, port", [
    ("quay.io/keycloak/keycloak:25.0", "start-dev", ("http", 8080)),  # kc.sh's subcommand
    ("quay.io/minio/minio:RELEASE.2024-06-13T22-53-53Z", "server /data", ("http", 9000)),  # entrypoint adds minio
    ("registry:2", "serve /etc/docker/registry/config.yml", ("http", 5000)),
])
def test_a_command_the_images_entrypoint_runs_as_its_server_keeps_its_port(compile_compose, image, command, port):
    c = compile_compose(f"""
        services:
          svc:
            image: {image}
            command: {command}
    """)
    assert _ports(c, "svc") == {port}


def test_minio_keeps_its_objects_in_a_statefulset_and_can_write_its_certs_folder(compile_compose):
    c = compile_compose("""
        services:
          minio:
            image: quay.io/minio/minio:RELEASE.2024-06-13T22-53-53Z
            command: server /data --console-address ":9001"
            volumes: ["minio-data:/data"]
        volumes:
          minio-data: {}
    """)
    assert ("StatefulSet", "minio") in c.by_key
    # No user in the image: the default UID, with HOME=/ it writes /.minio/certs at start.
    assert _user(c, "minio") == (10001, 10001)
    assert "/.minio" in _scratch(c, "minio")


@pytest.mark.parametrize("image, paths", [
    ("rabbitmq:3.13-management", {"/var/log/rabbitmq"}),
    ("grafana/grafana:11.2.0", {"/var/log/grafana"}),
    ("docker.elastic.co/elasticsearch/elasticsearch:8.14.1", {"/usr/share/elasticsearch/logs"}),
    ("cassandra:5", {"/var/log/cassandra"}),
    ("zookeeper:3.9", {"/conf", "/logs"}),
    ("confluentinc/cp-kafka:7.6.1", {"/var/log/kafka"}),
    ("phpmyadmin:5", {"/sessions", "/var/www/html/tmp", "/var/run/apache2", "/var/lock/apache2"}),
])
def test_what_an_image_writes_at_run_time_is_an_emptydir_under_the_read_only_root(compile_compose, image, paths):
    c = compile_compose(f"""
        services:
          svc:
            image: {image}
    """)
    assert c.container("svc")["securityContext"]["readOnlyRootFilesystem"] is True
    assert paths <= _scratch(c, "svc")


def test_an_image_built_on_an_official_base_runs_as_the_bases_user(compile_compose):
    c = compile_compose("""
        services:
          site:
            build: .
    """, files={"Dockerfile": "FROM php:8.3-apache\nCOPY . /var/www/html/\n"})
    assert _user(c, "site") == (33, 33)
    assert _ports(c, "site") == {("http", 80)}
    assert {"/var/run/apache2", "/var/lock/apache2"} <= _scratch(c, "site")


def test_memcached_names_its_port_as_iana_does(compile_compose):
    c = compile_compose("""
        services:
          cache:
            image: memcached:1.6-alpine
    """)
    assert _ports(c, "cache") == {("memcache", 11211)}
    assert _user(c, "cache") == (11211, 11211)


# --- The table itself --------------------------------------------------------------------

IANA_NAME = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")


@pytest.mark.parametrize("key", sorted(_KNOWN))
def test_each_fact_is_usable_as_written(key):
    known = _KNOWN[key]
    assert known.port_name is None or (len(known.port_name) <= 15 and IANA_NAME.match(known.port_name))
    assert (known.port is None) == (known.port_name is None)
    assert known.uid is None or (known.uid > 0 and known.gid and known.gid > 0)  # never root
    for path in known.writable + known.data + known.seeded:
        assert path.startswith("/") and not path.endswith("/") and path != "/"
    assert not set(known.seeded) & set(known.writable)  # a seeded path is made writable with its content
    assert known.role in (None, "database", "cache", "queue", "search", "monitoring")
    assert not known.stateful or known.data, "a stateful image says where its data is"


@pytest.mark.parametrize("image", ["bitnami/postgresql:16", "bitnamilegacy/redis:7", "ghcr.io/acme/postgres:16",
                                   "library-mirror/mongo:7", "gitea/gitea:1.22"])
def test_other_repositories_and_root_only_images_get_no_facts(image):
    assert facts(image) is None


@pytest.mark.parametrize("image, key", [
    ("docker.io/library/postgres:16", "postgres"),
    ("mirror.gcr.io/library/redis:7-alpine", "redis:alpine"),
    ("docker.elastic.co/logstash/logstash:8.14.1", "logstash"),
    ("quay.io/minio/minio:latest", "minio"),
    ("clickhouse/clickhouse-server:24.8", "clickhouse-server"),
    ("influxdb:3-core", "influxdb:core"),
    ("wordpress:cli-2.11", "wordpress:cli"),
    ("adminer:fastcgi", "adminer:fastcgi"),
])
def test_registry_hosts_library_and_variants_resolve_to_their_entry(image, key):
    assert facts(image) is _KNOWN[key]
