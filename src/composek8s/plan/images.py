"""What we know about well-known images: their user, data, writable paths and checks, and
whether a service runs the image's own process at all.

Used only when the compose file does not say (``user:``, ``healthcheck:``…). UIDs are those
the official images create; the alpine variants differ from the Debian ones.
"""
from __future__ import annotations

import shlex
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
    data: tuple[str, ...] = ()  # where it keeps its data: a bind mount there is data, not config
    # Paths it writes at start that must begin with the image's own files there: an emptyDir
    # seeded from the image by an init container (the root filesystem is read-only).
    seeded: tuple[str, ...] = ()
    server: tuple[str, ...] = ()  # programs that run its server: `command: redis-server …` still does


_SH = ("sh", "-c")
_PG_CHECK = _SH + ('pg_isready -h 127.0.0.1 -U "${POSTGRES_USER:-postgres}"',)
_REDIS_CHECK = _SH + ('redis-cli ${REDIS_PASSWORD:+-a "$REDIS_PASSWORD"} --no-auth-warning ping | grep -q PONG',)
# Each entry's source is the official image's Dockerfile (docker-library/<name>, or the
# publisher's repository): its USER line or the user its entrypoint switches to, its EXPOSE
# and VOLUME lines, and the server program its CMD runs.
_KNOWN: dict[str, ImageFacts] = {
    # postgres: `VOLUME /var/lib/postgresql/data`, `EXPOSE 5432`, `CMD ["postgres"]`; the
    # entrypoint runs as the postgres user (999 on Debian, 70 on Alpine) when not root.
    "postgres": ImageFacts(999, 999, "database", True, 5432, "postgresql", ("/var/run/postgresql",), _PG_CHECK,
                           data=("/var/lib/postgresql/data",), server=("postgres",)),
    "postgres:alpine": ImageFacts(70, 70, "database", True, 5432, "postgresql", ("/var/run/postgresql",), _PG_CHECK,
                                  data=("/var/lib/postgresql/data",), server=("postgres",)),
    # redis: `VOLUME /data`, `WORKDIR /data`, `EXPOSE 6379`, `CMD ["redis-server"]`; user redis.
    "redis": ImageFacts(999, 999, "cache", True, 6379, "redis", (), _REDIS_CHECK, data=("/data",),
                        server=("redis-server",)),
    "redis:alpine": ImageFacts(999, 1000, "cache", True, 6379, "redis", (), _REDIS_CHECK, data=("/data",),
                               server=("redis-server",)),
    # mysql: `VOLUME /var/lib/mysql`, `EXPOSE 3306 33060`, `CMD ["mysqld"]`; user mysql (999).
    "mysql": ImageFacts(999, 999, "database", True, 3306, "mysql", ("/var/run/mysqld",),
                        ("mysqladmin", "ping", "-h", "127.0.0.1"), data=("/var/lib/mysql",), server=("mysqld",)),
    # mariadb: `VOLUME /var/lib/mysql`, `EXPOSE 3306`, `CMD ["mariadbd"]` (mysqld in older tags).
    "mariadb": ImageFacts(999, 999, "database", True, 3306, "mysql", ("/run/mysqld",),
                          ("healthcheck.sh", "--connect", "--innodb_initialized"), data=("/var/lib/mysql",),
                          server=("mariadbd", "mysqld")),
    # mongo: `VOLUME /data/db /data/configdb`, `EXPOSE 27017`, `CMD ["mongod"]`; user mongodb (999).
    "mongo": ImageFacts(999, 999, "database", True, 27017, "mongodb", (),
                        ("mongosh", "--quiet", "--eval", "db.adminCommand('ping')"),
                        data=("/data/db", "/data/configdb"), server=("mongod",)),
    # rabbitmq: `VOLUME /var/lib/rabbitmq`, `EXPOSE 4369 5671 5672 25672`, `CMD ["rabbitmq-server"]`.
    "rabbitmq": ImageFacts(999, 999, "queue", True, 5672, "amqp", (), ("rabbitmq-diagnostics", "-q", "ping"),
                           data=("/var/lib/rabbitmq",), server=("rabbitmq-server",)),
    # elasticsearch: USER 1000 (elasticsearch), `EXPOSE 9200 9300`, data in /usr/share/elasticsearch/data.
    "elasticsearch": ImageFacts(1000, 1000, "search", True, 9200, "http",
                                data=("/usr/share/elasticsearch/data",)),
    "opensearch": ImageFacts(1000, 1000, "search", True, 9200, "http", data=("/usr/share/opensearch/data",)),
    # memcached: `USER memcache` (11211), `EXPOSE 11211`, `CMD ["memcached"]`.
    "memcached": ImageFacts(11211, 11211, "cache", False, 11211, "memcached", server=("memcached",)),
    "nginx-unprivileged": ImageFacts(101, 101, None, False, 8080, "http",
                                     ("/var/cache/nginx", "/var/run", "/tmp"), server=("nginx",)),
    # nginx: `EXPOSE 80`, `CMD ["nginx", "-g", "daemon off;"]`; workers run as nginx (101).
    "nginx": ImageFacts(101, 101, None, False, 80, "http", ("/var/cache/nginx", "/var/run"), server=("nginx",)),
    # wordpress (php:*-apache): `VOLUME /var/www/html`, `CMD ["apache2-foreground"]`, www-data (33).
    "wordpress": ImageFacts(33, 33, None, False, 80, "http", ("/var/run/apache2", "/var/lock/apache2"),
                            data=("/var/www/html",), server=("apache2-foreground", "php-fpm")),
    # prom/prometheus: `USER nobody` (65534), `EXPOSE 9090`, `VOLUME ["/prometheus"]`.
    "prometheus": ImageFacts(65534, 65534, "monitoring", True, 9090, "http", data=("/prometheus",),
                             server=("prometheus",)),
    # grafana/grafana: `USER "$GF_UID"` (472), `EXPOSE 3000`, GF_PATHS_DATA=/var/lib/grafana.
    "grafana": ImageFacts(472, 472, "monitoring", False, 3000, "http", data=("/var/lib/grafana",),
                          server=("grafana", "grafana-server")),
    # nextcloud:*-apache is php:*-apache like wordpress: www-data (33), Apache's run dirs,
    # `VOLUME /var/www/html`.
    "nextcloud": ImageFacts(33, 33, None, False, 80, "http", ("/var/run/apache2", "/var/lock/apache2"),
                            data=("/var/www/html",), server=("apache2-foreground", "php-fpm")),
    # gitea/gitea:*-rootless: USER 1000:1000, VOLUME /var/lib/gitea and /etc/gitea (app.ini).
    # The plain tag starts as root and drops privileges through s6: no facts for it.
    "gitea:rootless": ImageFacts(1000, 1000, None, False, 3000, "http", ("/var/lib/gitea", "/etc/gitea"),
                                 data=("/var/lib/gitea", "/etc/gitea")),
    # quay.io/keycloak/keycloak: USER 1000; data/ holds its tmp files (and H2 in dev mode).
    "keycloak": ImageFacts(1000, 1000, None, False, 8080, "http", ("/opt/keycloak/data",),
                           data=("/opt/keycloak/data",)),
    # docker.elastic.co/kibana/kibana: USER kibana (1000), like Elasticsearch's image.
    "kibana": ImageFacts(1000, 1000, None, False, 5601, "http", ("/usr/share/kibana/data",),
                         data=("/usr/share/kibana/data",)),
    # n8nio/n8n: USER node (1000); ~/.n8n holds its config and encryption key.
    "n8n": ImageFacts(1000, 1000, None, False, 5678, "http", ("/home/node/.n8n",), data=("/home/node/.n8n",),
                      server=("n8n",)),
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


# Programs that run what their first argument names: `node server.js` and `node worker.js`
# are different processes, `gunicorn …` is always the same server.
_INTERPRETERS = {"sh", "bash", "ash", "dash", "zsh", "python", "python3", "node", "ruby", "perl", "php",
                 "java", "npm", "npx", "yarn", "pnpm", "bun", "deno", "dotnet", "uv", "poetry", "pipenv",
                 "bundle", "mix", "elixir", "go", "cargo"}
_WRAPPERS = {"exec", "env", "dumb-init", "tini", "gosu", "su-exec", "nice", "--"}
_SHELLS = {"sh", "bash", "ash", "dash", "zsh"}


def runs_image_server(svc) -> bool:
    """Whether the service runs its image's own process, so that what the image declares
    about that process (its Dockerfile's EXPOSE and HEALTHCHECK, a known image's port and
    check) applies. Not when compose replaces the entrypoint (Nextcloud's cron container is the
    Nextcloud image running /cron.sh), nor when ``command`` runs another program than the
    image's (a Celery worker built from the web app's Dockerfile): a worker would get the web
    port's Service and a probe on a port nothing listens on, and be restarted forever.

    ``command`` still runs the image's process when it passes options to the image's
    entrypoint (``-c max_connections=200``), runs one of a known image's server programs
    (``redis-server --appendonly yes``), or runs the image's CMD program (a shell script
    that ends with it included); for interpreters the script or module must match too
    (``node server.js``, not ``node worker.js``).
    """
    if svc.entrypoint is not None:
        return False
    if svc.command is None:
        return True
    words = [_text(w) for w in svc.command]
    if not words or words[0].startswith("-"):
        return True
    own = _own_signatures(svc)
    if not own:
        return True  # nothing known about the image's process: nothing of it is used anyway
    return any(sig in own for sig in _signatures(words))


def _text(word) -> str:
    if isinstance(word, str):
        return word
    return "".join(p if isinstance(p, str) else f"${p.variable}" for p in word.parts)


def _own_signatures(svc) -> set[tuple[str, str | None]]:
    """The processes the image itself runs: its known server programs, its CMD and ENTRYPOINT."""
    own: set[tuple[str, str | None]] = set()
    known = facts_for(svc)
    if known:
        own |= {(program, None) for program in known.server}
    config = svc.image_config
    if config is not None:
        for argv in (config.cmd, config.entrypoint):
            if argv:
                own |= set(_signatures(list(argv)))
    return own


def _signatures(words: list[str]) -> list[tuple[str, str | None]]:
    """What a command line runs, as (program, script) pairs: the program's base name, and for
    an interpreter what it runs; every command of a ``sh -c`` script."""
    while words and (words[0].rsplit("/", 1)[-1] in _WRAPPERS or "=" in words[0]):
        words = words[1:]  # exec, env VAR=x, tini --
    if not words:
        return []
    program = words[0].rsplit("/", 1)[-1]
    if program in _SHELLS and len(words) >= 3 and words[1] == "-c":
        found = []
        for part in _commands(words[2]):
            found += _signatures(part)
        return found
    if program not in _INTERPRETERS:
        return [(program, None)]
    rest = [w for w in words[1:] if not w.startswith("-")]
    if program.startswith("python") and "-m" in words:
        after = words[words.index("-m") + 1:]
        rest = after[:1]
    return [(program, rest[0] if rest else None)]


def _commands(script: str) -> list[list[str]]:
    """The simple commands of a shell script (split at ``&&``, ``||``, ``;``, ``|``)."""
    try:
        words = shlex.split(script, posix=True)
    except ValueError:
        words = script.split()
    commands, current = [], []
    for word in words:
        if word in ("&&", "||", ";", "|"):
            commands.append(current)
            current = []
        elif word.endswith(";"):
            current.append(word[:-1])
            commands.append(current)
            current = []
        else:
            current.append(word)
    commands.append(current)
    return [c for c in commands if c]


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
