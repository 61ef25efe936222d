"""What we know about well-known images: their user, data, writable paths and checks.

Used only when the compose file does not say (``user:``, ``healthcheck:``…). UIDs are those
the official images create; the alpine variants differ from the Debian ones.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ImageFacts:
    uid: int | None = None
    gid: int | None = None
    role: str | None = None  # app.kubernetes.io/component for this kind of software
    stateful: bool = False  # holds data: a StatefulSet when it mounts a named volume
    port: int | None = None
    port_name: str | None = None
    writable: tuple[str, ...] = ()  # paths the image writes at run time besides its data
    check: tuple[str, ...] = ()  # a probe command when compose has no healthcheck


_SH = ("sh", "-c")
_KNOWN: dict[str, ImageFacts] = {
    "postgres": ImageFacts(999, 999, "database", True, 5432, "postgresql", ("/var/run/postgresql",),
                           _SH + ('pg_isready -h 127.0.0.1 -U "${POSTGRES_USER:-postgres}"',)),
    "postgres:alpine": ImageFacts(70, 70, "database", True, 5432, "postgresql", ("/var/run/postgresql",),
                                  _SH + ('pg_isready -h 127.0.0.1 -U "${POSTGRES_USER:-postgres}"',)),
    "redis": ImageFacts(999, 999, "cache", True, 6379, "redis", (),
                        _SH + ('redis-cli ${REDIS_PASSWORD:+-a "$REDIS_PASSWORD"} --no-auth-warning '
                               "ping | grep -q PONG",)),
    "redis:alpine": ImageFacts(999, 1000, "cache", True, 6379, "redis", (),
                               _SH + ('redis-cli ${REDIS_PASSWORD:+-a "$REDIS_PASSWORD"} '
                                      "--no-auth-warning ping | grep -q PONG",)),
    "mysql": ImageFacts(999, 999, "database", True, 3306, "mysql", ("/var/run/mysqld",),
                        ("mysqladmin", "ping", "-h", "127.0.0.1")),
    "mariadb": ImageFacts(999, 999, "database", True, 3306, "mysql", ("/run/mysqld",),
                          ("healthcheck.sh", "--connect", "--innodb_initialized")),
    "mongo": ImageFacts(999, 999, "database", True, 27017, "mongodb", (),
                        ("mongosh", "--quiet", "--eval", "db.adminCommand('ping')")),
    "rabbitmq": ImageFacts(999, 999, "queue", True, 5672, "amqp", (),
                           ("rabbitmq-diagnostics", "-q", "ping")),
    "elasticsearch": ImageFacts(1000, 1000, "search", True, 9200, "http"),
    "opensearch": ImageFacts(1000, 1000, "search", True, 9200, "http"),
    "memcached": ImageFacts(11211, 11211, "cache", False, 11211, "memcached"),
    "nginx-unprivileged": ImageFacts(101, 101, None, False, 8080, "http",
                                     ("/var/cache/nginx", "/var/run", "/tmp")),
    "nginx": ImageFacts(101, 101, None, False, 80, "http", ("/var/cache/nginx", "/var/run")),
    "wordpress": ImageFacts(33, 33, None, False, 80, "http", ("/var/run/apache2", "/var/lock/apache2")),
    "prometheus": ImageFacts(65534, 65534, "monitoring", True, 9090, "http"),
    "grafana": ImageFacts(472, 472, "monitoring", False, 3000, "http"),
    # The users below are the ones the official Dockerfiles switch to (USER lines); the paths
    # are their declared VOLUMEs or documented data directories.
    # nextcloud:*-apache is php:*-apache like wordpress: www-data (33), Apache's run dirs.
    "nextcloud": ImageFacts(33, 33, None, False, 80, "http", ("/var/run/apache2", "/var/lock/apache2")),
    # gitea/gitea:*-rootless: USER 1000:1000, VOLUME /var/lib/gitea and /etc/gitea (app.ini).
    # The plain tag starts as root and drops privileges through s6: no facts for it.
    "gitea:rootless": ImageFacts(1000, 1000, None, False, 3000, "http", ("/var/lib/gitea", "/etc/gitea")),
    # quay.io/keycloak/keycloak: USER 1000; data/ holds its tmp files (and H2 in dev mode).
    "keycloak": ImageFacts(1000, 1000, None, False, 8080, "http", ("/opt/keycloak/data",)),
    # docker.elastic.co/kibana/kibana: USER kibana (1000), like Elasticsearch's image.
    "kibana": ImageFacts(1000, 1000, None, False, 5601, "http", ("/usr/share/kibana/data",)),
    # n8nio/n8n: USER node (1000); ~/.n8n holds its config and encryption key.
    "n8n": ImageFacts(1000, 1000, None, False, 5678, "http", ("/home/node/.n8n",)),
    "node": ImageFacts(1000, 1000),
    "python": ImageFacts(),
}

_VARIANTS = ("alpine", "rootless")  # tag words that change the user an image runs as

# Facts hold for the publisher's own image only: `bitnami/redis` runs as 1001, not as the
# official redis image's 999. Repositories as written without the registry host (a mirror
# of an official image keeps its path) and without Docker Hub's `library/`.
_PUBLISHED = {
    **{name: name for name in ("postgres", "redis", "mysql", "mariadb", "mongo", "rabbitmq", "elasticsearch",
                               "memcached", "nginx", "wordpress", "nextcloud", "kibana", "node", "python")},
    "elasticsearch/elasticsearch": "elasticsearch",  # docker.elastic.co/elasticsearch/elasticsearch
    "kibana/kibana": "kibana",  # docker.elastic.co/kibana/kibana
    "opensearchproject/opensearch": "opensearch",
    "nginxinc/nginx-unprivileged": "nginx-unprivileged",
    "prom/prometheus": "prometheus", "prometheus/prometheus": "prometheus",  # Docker Hub, quay.io
    "grafana/grafana": "grafana", "grafana/grafana-oss": "grafana", "grafana/grafana-enterprise": "grafana",
    "gitea/gitea": "gitea", "gitea": "gitea",  # Docker Hub, docker.gitea.com/gitea
    "keycloak/keycloak": "keycloak",  # quay.io/keycloak/keycloak
    "n8nio/n8n": "n8n",
}


def facts_for(svc) -> ImageFacts | None:
    """Facts about a service's image, or about the base image its Dockerfile builds on."""
    known = facts(svc.image)
    if known is None and svc.image_config is not None:
        known = facts(svc.image_config.base_image)
    return known


def runs_image_server(svc) -> bool:
    """The image's own process runs unless compose replaces its entrypoint (Nextcloud's cron
    container is the Nextcloud image running /cron.sh): only then do its port and check apply."""
    return svc.entrypoint is None


def image_key(image: str) -> tuple[str, str]:
    """``docker.io/library/postgres:15-alpine@sha…`` → (``postgres``, ``15-alpine``): the
    repository without registry host and ``library/``, and the tag."""
    repo, tag = split_image(image.lower())
    parts = repo.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]  # a registry host
    if parts[0] == "library":
        parts = parts[1:]
    return "/".join(parts), tag.partition("@")[0]


def facts(image: str | None) -> ImageFacts | None:
    """Facts about ``image``, preferring a variant's (``alpine``, ``rootless``) when the tag names it."""
    if not image:
        return None
    repo, tag = image_key(image)
    name = _PUBLISHED.get(repo)
    if name is None:
        return None
    for variant in _VARIANTS:
        if variant in tag and f"{name}:{variant}" in _KNOWN:
            return _KNOWN[f"{name}:{variant}"]
    return _KNOWN.get(name)


def split_image(image: str) -> tuple[str, str]:
    """``repo/name:tag`` → (``repo/name``, ``tag``); a digest stays with the tag."""
    ref, at, digest = image.partition("@")
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        repo, tag = ref[:colon], ref[colon + 1:]
    else:
        repo, tag = ref, ""
    if at:
        tag = f"{tag}@{digest}" if tag else f"@{digest}"
    return repo, tag
