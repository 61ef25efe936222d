"""What we know about well-known images: their user, data, writable paths and checks, and
whether a service runs the image's own process at all.

Used only when the compose file does not say (``user:``, ``healthcheck:``…). UIDs are those
the official images create; the alpine variants differ from the Debian ones.
"""
from __future__ import annotations

import shlex

from msgspec import Struct


class ImageFacts(Struct, frozen=True):
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
    # Memory its default start needs, in bytes, when compose sets no deploy.resources: the
    # JVM heap its start script fixes when the environment names none (a limit of half again
    # covers the JVM's own memory), or what the server holds resident at rest (`memory`). Without
    # them the 256Mi default limit gets the container killed at start, over and over.
    heap: int | None = None
    memory: int | None = None


_MI = 2**20
_SH = ("sh", "-c")
_PG_CHECK = _SH + ('pg_isready -h 127.0.0.1 -U "${POSTGRES_USER:-postgres}"',)
_REDIS_CHECK = _SH + ('redis-cli ${REDIS_PASSWORD:+-a "$REDIS_PASSWORD"} --no-auth-warning ping | grep -q PONG',)
_VALKEY_CHECK = _SH + ('valkey-cli ${VALKEY_PASSWORD:+-a "$VALKEY_PASSWORD"} --no-auth-warning ping | grep -q PONG',)
# php:*-apache (docker-library/php apache/Dockerfile: `EXPOSE 80`, `CMD ["apache2-foreground"]`):
# Apache's pid and lock directories, created by `mkdir -p "$APACHE_RUN_DIR" "$APACHE_LOCK_DIR"`
# and rewritten by apache2-foreground at every start; children run as www-data.
_APACHE_RUN = ("/var/run/apache2", "/var/lock/apache2")


def _apache(*, writable=(), data=(), seeded=()) -> ImageFacts:
    """An image built on php:*-apache (Debian): www-data is 33, Apache listens on 80."""
    return ImageFacts(33, 33, None, False, 80, "http", _APACHE_RUN + tuple(writable), data=data, seeded=seeded,
                      server=("apache2-foreground", "apache2"))


def _fpm(uid: int, *, writable=(), data=(), seeded=()) -> ImageFacts:
    """An image built on php:*-fpm: www-data (33 on Debian, 82 on Alpine) and FastCGI on 9000
    (docker-library/php fpm/Dockerfile: `listen = 9000` in zz-docker.conf, `EXPOSE 9000`,
    `CMD ["php-fpm"]`; alpine/fpm: `adduser -u 82 … www-data`)."""
    return ImageFacts(uid, uid, None, False, 9000, "fastcgi", tuple(writable), data=data, seeded=seeded,
                      server=("php-fpm",))


_DRUPAL_DATA = tuple(f"{root}/{d}" for root in ("/opt/drupal/web", "/var/www/html")
                     for d in ("modules", "profiles", "themes", "sites"))

# Each entry cites the lines of the publisher's Dockerfile or entrypoint it rests on (repository
# and file; docker-library/official-images library/<name> names each official image's
# repository): its USER line or the user its entrypoint switches to, its EXPOSE and VOLUME lines,
# the server program its CMD runs, what the entrypoint writes at start. `data` paths are not
# repeated in `writable` (the plan decides what backs a data path), except in the entries
# written before `data` existed (keycloak, kibana, n8n, gitea), kept as they were.
# An image that starts as root and needs root, or creates no user of its own, has no uid: the
# plan then runs it as its default UID and says so.
_KNOWN: dict[str, ImageFacts] = {
    # docker-library/postgres 17/trixie/Dockerfile: `useradd -r -g postgres --uid=999`,
    # `VOLUME /var/lib/postgresql/data`, `EXPOSE 5432`, `CMD ["postgres"]`, `install … --owner
    # postgres … /var/run/postgresql` (its socket and lock); the entrypoint `exec gosu postgres`
    # when root. 18/*: `ENV PGDATA /var/lib/postgresql/18/docker`, `VOLUME /var/lib/postgresql`.
    "postgres": ImageFacts(999, 999, "database", True, 5432, "postgresql", ("/var/run/postgresql",), _PG_CHECK,
                           data=("/var/lib/postgresql/data", "/var/lib/postgresql"), server=("postgres",)),
    # 17/alpine3.23/Dockerfile: `addgroup -g 70 -S postgres; adduser -u 70 -S -D -G postgres`.
    "postgres:alpine": ImageFacts(70, 70, "database", True, 5432, "postgresql", ("/var/run/postgresql",), _PG_CHECK,
                                  data=("/var/lib/postgresql/data", "/var/lib/postgresql"), server=("postgres",)),
    # redis/docker-library-redis debian/Dockerfile: `groupadd -r -g 999 redis; useradd -r -g redis
    # -u 999 redis`, `WORKDIR /data` (`VOLUME /data` up to 7.4), `EXPOSE 6379`,
    # `CMD ["redis-server"]`; the entrypoint drops to redis (setpriv, gosu before 8) when root.
    "redis": ImageFacts(999, 999, "cache", True, 6379, "redis", (), _REDIS_CHECK, data=("/data",),
                        server=("redis-server",)),
    # alpine/Dockerfile: `addgroup -S -g 1000 redis; adduser -S -G redis -u 999 redis`.
    "redis:alpine": ImageFacts(999, 1000, "cache", True, 6379, "redis", (), _REDIS_CHECK, data=("/data",),
                               server=("redis-server",)),
    # valkey-io/valkey-container 8.0/debian/Dockerfile: `groupadd -r -g 999 valkey; useradd -r -g
    # valkey -u 999 valkey`, `VOLUME /data`, `EXPOSE 6379`, `CMD ["valkey-server"]`, `valkey-cli
    # --version`; alpine: `addgroup -S -g 1000 valkey; adduser -S -G valkey -u 999 valkey`.
    "valkey": ImageFacts(999, 999, "cache", True, 6379, "redis", (), _VALKEY_CHECK, data=("/data",),
                         server=("valkey-server",)),
    "valkey:alpine": ImageFacts(999, 1000, "cache", True, 6379, "redis", (), _VALKEY_CHECK, data=("/data",),
                                server=("valkey-server",)),
    # docker-library/mysql 8.4/Dockerfile.oracle: `useradd --system --uid 999 --gid 999 …
    # mysql`, `chown mysql:mysql /var/lib/mysql /var/run/mysqld` (socket and pid), `VOLUME
    # /var/lib/mysql`, `EXPOSE 3306 33060`, `CMD ["mysqld"]`; the entrypoint `exec gosu mysql`
    # and runs `mysqladmin … shutdown` itself, so the image ships mysqladmin.
    # Memory: InnoDB's buffer pool is 128 MiB by default (innodb_buffer_pool_size) and the
    # Performance Schema, on by default since 5.6, sizes its own buffers at start: an idle 8.x
    # server holds about 400 MiB (laradock/laradock#3496: "8.0 only take 400M memory").
    "mysql": ImageFacts(999, 999, "database", True, 3306, "mysql", ("/var/run/mysqld",),
                        ("mysqladmin", "ping", "-h", "127.0.0.1"), data=("/var/lib/mysql",), server=("mysqld",),
                        memory=400 * _MI),
    # MariaDB/mariadb-docker 11.8/Dockerfile: `groupadd -r mysql && useradd -r -g mysql mysql`
    # (no fixed id: the first free system id on Ubuntu, 999; the -ubi variant pins `--uid 999`),
    # `chown -R mysql:mysql /var/lib/mysql /run/mysqld`, `VOLUME /var/lib/mysql`, `EXPOSE 3306`,
    # `CMD ["mariadbd"]` (mysqld before 10.5), `COPY healthcheck.sh /usr/local/bin/`.
    "mariadb": ImageFacts(999, 999, "database", True, 3306, "mysql", ("/run/mysqld",),
                          ("healthcheck.sh", "--connect", "--innodb_initialized"), data=("/var/lib/mysql",),
                          server=("mariadbd", "mysqld")),
    # docker-library/mongo 8.0/Dockerfile: `groupadd --gid 999 --system mongodb; useradd --uid
    # 999 …`, `VOLUME /data/db /data/configdb`, `EXPOSE 27017`, `CMD ["mongod"]`; the entrypoint
    # `exec gosu mongodb` and uses the shipped mongosh.
    # /data/configdb (also a VOLUME) holds a config server's data only: a standalone mongod
    # (what compose files run) keeps nothing there, so it is scratch space, not a claim.
    # Memory: the WiredTiger cache takes the larger of 50% of (RAM - 1 GB) and 256 MB, RAM being
    # the container's limit (MongoDB manual, WiredTiger "Memory Use"; DOCS-12599): 256 MB below any
    # limit under 1.5 GB, plus mongod's connections and tcmalloc's cache around it.
    "mongo": ImageFacts(999, 999, "database", True, 27017, "mongodb", ("/data/configdb",),
                        ("mongosh", "--quiet", "--eval", "db.adminCommand('ping')"),
                        data=("/data/db",), server=("mongod",), memory=512 * _MI),
    # docker-library/rabbitmq 4.3/ubuntu/Dockerfile: `groupadd --gid 999 --system rabbitmq;
    # useradd --uid 999 …`, `mkdir -p … /var/log/rabbitmq` with `chmod 1777` (its log file:
    # 10-defaults.conf adds the console, the file stays on), `VOLUME $RABBITMQ_DATA_DIR`
    # (/var/lib/rabbitmq), `EXPOSE 4369 5671 5672 15691 15692 25672`, `CMD ["rabbitmq-server"]`.
    "rabbitmq": ImageFacts(999, 999, "queue", True, 5672, "amqp", ("/var/log/rabbitmq",),
                           ("rabbitmq-diagnostics", "-q", "ping"), data=("/var/lib/rabbitmq",),
                           server=("rabbitmq-server",)),
    # 4.3/alpine/Dockerfile: `addgroup -g 101 -S rabbitmq; adduser -u 100 -S … -G rabbitmq`.
    "rabbitmq:alpine": ImageFacts(100, 101, "queue", True, 5672, "amqp", ("/var/log/rabbitmq",),
                                  ("rabbitmq-diagnostics", "-q", "ping"), data=("/var/lib/rabbitmq",),
                                  server=("rabbitmq-server",)),
    # docker-library/memcached 1/debian/Dockerfile: `useradd --system --gid memcache --uid 11211`,
    # `USER memcache`, `EXPOSE 11211`, `CMD ["memcached"]` (IANA names 11211 "memcache").
    "memcached": ImageFacts(11211, 11211, "cache", False, 11211, "memcache", server=("memcached",)),
    # elastic/dockerfiles elasticsearch/Dockerfile: `adduser -u 1000 -g 1000 … elasticsearch`,
    # `USER 1000:0` (run with its own group 1000 rather than root's), `EXPOSE 9200 9300`,
    # `CMD ["eswrapper"]`; data/ and logs/ (the JVM's gc.log) chowned to it. At start it creates
    # config/elasticsearch.keystore (bin/docker-entrypoint.sh `elasticsearch-keystore create`,
    # Elasticsearch itself when missing) and writes its security auto-configuration into
    # config/: the folder must begin with the image's config files.
    "elasticsearch": ImageFacts(1000, 1000, "search", True, 9200, "http", ("/usr/share/elasticsearch/logs",),
                                data=("/usr/share/elasticsearch/data",),
                                seeded=("/usr/share/elasticsearch/config",), server=("eswrapper", "elasticsearch")),
    # opensearch-project/opensearch-build docker/release/dockerfiles/opensearch.al2023.dockerfile:
    # `ARG UID=1000`, `USER $UID`, `EXPOSE 9200 9300 9600 9650`, `CMD ["opensearch"]`; its
    # entrypoint runs install_demo_configuration.sh (certificates and settings into config/) and
    # writes logs/PerformanceAnalyzer.log.
    "opensearch": ImageFacts(1000, 1000, "search", True, 9200, "http", ("/usr/share/opensearch/logs",),
                             data=("/usr/share/opensearch/data",), seeded=("/usr/share/opensearch/config",),
                             server=("opensearch",)),
    # elastic/dockerfiles kibana/Dockerfile: `useradd --uid 1000 --gid 1000 … kibana`, `USER 1000`,
    # `EXPOSE 5601`, `CMD ["/usr/local/bin/kibana-docker"]`; data/ holds the instance uuid it
    # writes at start.
    "kibana": ImageFacts(1000, 1000, None, False, 5601, "http", ("/usr/share/kibana/data",),
                         data=("/usr/share/kibana/data",), server=("kibana-docker", "kibana")),
    # elastic/dockerfiles logstash/Dockerfile: `adduser --uid 1000 --gid 1000 … logstash`,
    # `USER 1000`, `EXPOSE 9600 5044` (pipeline/default.conf: `beats { port => 5044 }`); its
    # entrypoint runs `env2yaml /usr/share/logstash/config/logstash.yml` (rewrites it in place
    # from the environment); data/ holds its uuid and queues.
    "logstash": ImageFacts(1000, 1000, None, False, 5044, "beats", data=("/usr/share/logstash/data",),
                           seeded=("/usr/share/logstash/config",), server=("logstash",)),
    # nginxinc/docker-nginx-unprivileged mainline/debian/Dockerfile: `ARG UID=101`, `USER $UID`,
    # `EXPOSE 8080`, its sed lines move the pid file and temp paths to /tmp; the cache directory
    # stays where the packaged configuration points.
    "nginx-unprivileged": ImageFacts(101, 101, None, False, 8080, "http",
                                     ("/var/cache/nginx", "/var/run", "/tmp"), server=("nginx",)),
    # nginx/docker-nginx mainline/debian/Dockerfile: `useradd --system --gid nginx … --uid 101
    # nginx`, `EXPOSE 80`, `CMD ["nginx", "-g", "daemon off;"]`: its workers run as nginx (101)
    # and its pid file and temp paths are /var/run and /var/cache/nginx.
    "nginx": ImageFacts(101, 101, None, False, 80, "http", ("/var/cache/nginx", "/var/run"), server=("nginx",)),
    # docker-library/httpd 2.4/Dockerfile: `sed … 's!^(\s*User)\s+daemon\s*$!\1 www-data!g'`
    # (Debian's www-data is 33), `EXPOSE 80`, `CMD ["httpd-foreground"]`, which removes
    # logs/httpd.pid before starting (its pid file and mutexes live in logs/).
    "httpd": ImageFacts(33, 33, None, False, 80, "http", ("/usr/local/apache2/logs",),
                        server=("httpd-foreground", "httpd")),
    # 2.4/alpine/Dockerfile: `adduser -u 82 -D -S -G www-data www-data`.
    "httpd:alpine": ImageFacts(82, 82, None, False, 80, "http", ("/usr/local/apache2/logs",),
                               server=("httpd-foreground", "httpd")),
    # traefik/traefik-library-image v3.7/alpine/Dockerfile: no USER (and none created), `EXPOSE
    # 80`, `CMD ["traefik"]`; the binary runs as any UID.
    "traefik": ImageFacts(None, None, None, False, 80, "http", server=("traefik",)),
    # caddyserver/caddy-docker 2.11/alpine/Dockerfile: no USER, `setcap
    # cap_net_bind_service=+ep /usr/bin/caddy` (so it starts only when NET_BIND_SERVICE is kept:
    # compose `cap_add: [NET_BIND_SERVICE]`), `ENV XDG_CONFIG_HOME=/config` (it autosaves its
    # running config there), `XDG_DATA_HOME=/data` (certificates), `EXPOSE 80 443 2019`.
    "caddy": ImageFacts(None, None, None, False, 80, "http", ("/config",), data=("/data",), server=("caddy",)),
    # docker-library/haproxy 3.5/Dockerfile: `groupadd --gid 99 --system haproxy; useradd … --uid
    # 99 haproxy`, `USER haproxy`, no EXPOSE (its ports are in the user's haproxy.cfg),
    # `CMD ["haproxy", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]`.
    "haproxy": ImageFacts(99, 99, None, False, server=("haproxy",)),
    # docker-library/php: the apache and fpm variants above; the cli and zts images run as root
    # with no port (`CMD ["php", "-a"]`): no facts.
    "php:apache": _apache(),
    "php:fpm": _fpm(33),
    "php:fpm-alpine": _fpm(82),
    # docker-library/wordpress latest/php8.3/apache/Dockerfile: `FROM php:8.3-apache`, `VOLUME
    # /var/www/html` (the entrypoint copies WordPress there at first start), `CMD
    # ["apache2-foreground"]`; fpm and fpm-alpine: `FROM php:8.3-fpm(-alpine)`, `CMD ["php-fpm"]`;
    # cli/php8.3/alpine: `FROM php:8.3-alpine`, `USER www-data` (82), `CMD ["wp", "shell"]`.
    "wordpress": _apache(data=("/var/www/html",)),
    "wordpress:fpm": _fpm(33, data=("/var/www/html",)),
    "wordpress:fpm-alpine": _fpm(82, data=("/var/www/html",)),
    "wordpress:cli": ImageFacts(82, 82, data=("/var/www/html",), server=("wp",)),
    # nextcloud/docker 34/apache/Dockerfile: `FROM php:8.5-apache-trixie`, `VOLUME /var/www/html`
    # (the entrypoint rsyncs Nextcloud into it), `CMD ["apache2-foreground"]`; fpm(-alpine) the
    # same on php-fpm. With REDIS_HOST its entrypoint writes
    # /usr/local/etc/php/conf.d/redis-session.ini next to the image's PHP settings.
    "nextcloud": _apache(data=("/var/www/html",), seeded=("/usr/local/etc/php/conf.d",)),
    "nextcloud:fpm": _fpm(33, data=("/var/www/html",), seeded=("/usr/local/etc/php/conf.d",)),
    "nextcloud:fpm-alpine": _fpm(82, data=("/var/www/html",), seeded=("/usr/local/etc/php/conf.d",)),
    # docker-library/drupal 11.4/php8.5/apache-trixie/Dockerfile: `FROM php:8.5-apache-trixie`,
    # `chown -R www-data:www-data web/sites web/modules web/themes`, `ln -sf /opt/drupal/web
    # /var/www/html` (its README mounts /var/www/html/{modules,profiles,themes,sites}).
    "drupal": _apache(data=_DRUPAL_DATA),
    "drupal:fpm": _fpm(33, data=_DRUPAL_DATA),
    "drupal:fpm-alpine": _fpm(82, data=_DRUPAL_DATA),
    # phpmyadmin/docker apache/Dockerfile: `FROM php:8.3-apache`, `ENV SESSION_SAVE_PATH=/sessions`,
    # `chmod 1777 /var/www/html/tmp`, `CMD ["apache2-foreground"]`; docker-entrypoint.sh writes
    # /etc/phpmyadmin/config.secret.inc.php at every first start next to the image's
    # config.inc.php and helpers.php.
    "phpmyadmin": _apache(writable=("/sessions", "/var/www/html/tmp"), seeded=("/etc/phpmyadmin",)),
    "phpmyadmin:fpm": _fpm(33, writable=("/sessions", "/var/www/html/tmp"), seeded=("/etc/phpmyadmin",)),
    "phpmyadmin:fpm-alpine": _fpm(82, writable=("/sessions", "/var/www/html/tmp"), seeded=("/etc/phpmyadmin",)),
    # TimWolla/docker-adminer 5/Dockerfile: `addgroup -S adminer && adduser -S -G adminer adminer`
    # (no fixed id: no uid here), `USER adminer`, `CMD ["php", "-S", "[::]:8080", …]`, `EXPOSE 8080`;
    # entrypoint.sh links ADMINER_DESIGN's css and writes ADMINER_PLUGINS into /var/www/html at
    # start. 5/fastcgi/Dockerfile: `CMD ["php-fpm"]`.
    "adminer": ImageFacts(None, None, None, False, 8080, "http", seeded=("/var/www/html",)),
    "adminer:fastcgi": ImageFacts(None, None, None, False, 9000, "fastcgi", seeded=("/var/www/html",),
                                  server=("php-fpm",)),
    # mongo-express/mongo-express-docker Dockerfile.template: `FROM node:…-alpine` (whose node user
    # is 1000; the image sets no USER and writes nothing), `EXPOSE 8081`, `CMD ["mongo-express"]`.
    "mongo-express": ImageFacts(1000, 1000, None, False, 8081, "http", server=("mongo-express",)),
    # TryGhost/docker-library-ghost 6/bookworm/Dockerfile: `FROM node:22-bookworm-slim` (node,
    # 1000; the entrypoint `exec gosu node`), `VOLUME $GHOST_CONTENT` (/var/lib/ghost/content),
    # `EXPOSE 2368`, `CMD ["node", "current/index.js"]`.
    "ghost": ImageFacts(1000, 1000, None, False, 2368, "http", data=("/var/lib/ghost/content",)),
    # prometheus/prometheus Dockerfile: `USER nobody` (65534 in busybox), `EXPOSE 9090`,
    # `VOLUME [ "/prometheus" ]`, `ENTRYPOINT [ "/bin/prometheus" ]`.
    "prometheus": ImageFacts(65534, 65534, "monitoring", True, 9090, "http", data=("/prometheus",),
                             server=("prometheus",)),
    # grafana/grafana Dockerfile: `ARG GF_UID="472"`, `USER "$GF_UID"` (its group is root, 0: run
    # with group 472 instead), `EXPOSE 3000`, `GF_PATHS_DATA="/var/lib/grafana"`,
    # `GF_PATHS_LOGS="/var/log/grafana"` (the default log mode is console and file).
    "grafana": ImageFacts(472, 472, "monitoring", False, 3000, "http", ("/var/log/grafana",),
                          data=("/var/lib/grafana",), server=("grafana", "grafana-server")),
    # influxdata/influxdata-docker influxdb/2.9/Dockerfile: `useradd -r -g influxdb --uid=1000`,
    # `VOLUME /var/lib/influxdb2 /etc/influxdb2`, `EXPOSE 8086`, `CMD ["influxd"]`; 1.x
    # (influxdb/1.12/Dockerfile) runs as 1500 with `VOLUME /var/lib/influxdb`, and its tags
    # cannot be told from 2.x's here: no uid.
    "influxdb": ImageFacts(None, None, "database", True, 8086, "http", ("/etc/influxdb2",),
                           data=("/var/lib/influxdb2", "/var/lib/influxdb"), server=("influxd",)),
    # influxdb/3.11-core/Dockerfile (and -enterprise): `useradd --uid 1500 --gid influxdb3`,
    # `USER influxdb3`, `ENV INFLUXDB3_DATA_DIR=/home/influxdb3/.influxdb3`, `EXPOSE 8181`,
    # `CMD ["influxdb3", "serve"]`.
    "influxdb:core": ImageFacts(1500, 1500, "database", True, 8181, "http",
                                data=("/home/influxdb3/.influxdb3", "/var/lib/influxdb3", "/plugins"),
                                server=("influxdb3",)),
    "influxdb:enterprise": ImageFacts(1500, 1500, "database", True, 8181, "http",
                                      data=("/home/influxdb3/.influxdb3", "/var/lib/influxdb3", "/plugins"),
                                      server=("influxdb3",)),
    # minio/minio Dockerfile.release: no USER, `EXPOSE 9000`, `VOLUME ["/data"]`, `CMD ["minio"]`;
    # dockerscripts/docker-entrypoint.sh prepends `minio` (so `command: server /data` runs it).
    # It exits unless it can create ${HOME}/.minio/certs/CAs (cmd/common-main.go), and a UID the
    # image does not know gets HOME=/.
    "minio": ImageFacts(None, None, None, True, 9000, "http", ("/.minio",), data=("/data",),
                        server=("minio", "server")),
    # quay.io/keycloak/keycloak (keycloak/keycloak quarkus/container/Dockerfile): `USER 1000` (its
    # group is root, 0: run with group 1000 instead), `EXPOSE 8080 8443`, `ENTRYPOINT
    # ["/opt/keycloak/bin/kc.sh"]` (the command is its subcommand); data/ holds its tmp files
    # (and H2 in dev mode). `start-dev`, or `start` with build options the image was not built
    # with, re-augments the server into lib/quarkus at start.
    # Memory: "the base memory usage for an inactive Pod is 1000 MB of RAM" (Keycloak's high
    # availability guide, "Concepts for sizing CPU and memory resources"); kc.sh gives the heap
    # 70% of the container's limit (JAVA_OPTS_KC_HEAP), so the heap grows with the limit.
    "keycloak": ImageFacts(1000, 1000, None, False, 8080, "http", ("/opt/keycloak/data",),
                           data=("/opt/keycloak/data",), seeded=("/opt/keycloak/lib/quarkus",),
                           server=("kc.sh", "start", "start-dev"), memory=1000 * _MI),
    # go-gitea/gitea Dockerfile.rootless: `adduser … -u 1000 -G git git`, `USER 1000:1000`,
    # `EXPOSE 2222 3000`, `VOLUME ["/var/lib/gitea", "/etc/gitea"]` (app.ini). The plain tag
    # starts as root and drops privileges through s6: no facts for it.
    "gitea:rootless": ImageFacts(1000, 1000, None, False, 3000, "http", ("/var/lib/gitea", "/etc/gitea"),
                                 data=("/var/lib/gitea", "/etc/gitea")),
    # n8n-io/n8n docker/images/n8n/Dockerfile: `USER node` (1000, from its node base), `EXPOSE
    # 5678/tcp`, `mkdir -p /home/node/.n8n` (its config and encryption key).
    "n8n": ImageFacts(1000, 1000, None, False, 5678, "http", ("/home/node/.n8n",), data=("/home/node/.n8n",),
                      server=("n8n",)),
    # jenkinsci/docker debian/Dockerfile: `ARG uid=1000`, `USER ${user}`, `VOLUME $JENKINS_HOME`
    # (/var/jenkins_home), `EXPOSE ${http_port}` (8080) and 50000 for agents,
    # `ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/jenkins.sh"]`.
    "jenkins": ImageFacts(1000, 1000, None, False, 8080, "http", data=("/var/jenkins_home",),
                          server=("jenkins.sh",)),
    # SonarSource/docker-sonarqube community-build/Dockerfile: `useradd --system --uid 1000 --gid 0
    # sonarqube` (run with group 1000 rather than root's), `USER sonarqube`, `EXPOSE 9000`,
    # `VOLUME ["${SQ_DATA_DIR}", "${SQ_EXTENSIONS_DIR}", "${SQ_LOGS_DIR}", "${SQ_TEMP_DIR}"]`.
    # Memory: three JVMs (web server, compute engine, its Elasticsearch), each given -Xmx512m by
    # conf/sonar.properties' defaults (sonar.web/ce/search.javaOpts); SonarSource's host
    # requirements ask for 2 GB for the server.
    "sonarqube": ImageFacts(1000, 1000, None, False, 9000, "http",
                            ("/opt/sonarqube/logs", "/opt/sonarqube/temp"),
                            data=("/opt/sonarqube/data", "/opt/sonarqube/extensions"), memory=2048 * _MI),
    # confluentinc/kafka-images kafka/Dockerfile.ubi9: `USER ${APP_UID}` (confluentinc/common-docker
    # base-java-micro: `ARG APP_UID=1000`, `ARG APP_GID=1000`; 7.x's cp-base-new: `useradd …
    # appuser`, the first user id, 1000), `EXPOSE 9092`, `VOLUME ["/var/lib/${COMPONENT}/data",
    # …]`, `CMD ["/etc/confluent/docker/run"]`; its configure script renders kafka.properties and
    # log4j files into /etc/kafka from the environment at every start (`path /etc/kafka/
    # writable`), and Kafka's scripts write their GC log to /var/log/kafka.
    # Heap: Kafka's bin/kafka-server-start sets KAFKA_HEAP_OPTS="-Xmx1G -Xms1G" when it is unset.
    "cp-kafka": ImageFacts(1000, 1000, "queue", True, 9092, "kafka", ("/var/log/kafka",),
                           data=("/var/lib/kafka/data",), seeded=("/etc/kafka",), server=("run",), heap=1024 * _MI),
    # kafka-images 7.6.x zookeeper/Dockerfile.ubi8 (cp-zookeeper ended with 7.x): `USER appuser`,
    # `EXPOSE 2181 2888 3888`, `VOLUME ["/var/lib/${COMPONENT}/data", "/var/lib/${COMPONENT}/log",
    # …]`; configure renders zookeeper.properties into /etc/kafka (`dub path /etc/kafka/ writable`).
    # Heap: bin/zookeeper-server-start sets KAFKA_HEAP_OPTS="-Xmx512M -Xms512M" when it is unset.
    "cp-zookeeper": ImageFacts(1000, 1000, None, True, 2181, "zookeeper", ("/var/log/kafka",),
                               data=("/var/lib/zookeeper/data", "/var/lib/zookeeper/log"), seeded=("/etc/kafka",),
                               server=("run",), heap=512 * _MI),
    # apache/kafka docker/jvm/Dockerfile: `adduser -h /home/appuser -D … appuser` (busybox's first
    # user id, 1000), `USER appuser`, `EXPOSE 9092`, `VOLUME ["/etc/kafka/secrets",
    # "/var/lib/kafka/data", "/mnt/shared/config"]`, `CMD ["/etc/kafka/docker/run"]`; its
    # configure script copies the configuration into /opt/kafka/config at start (`path
    # /opt/kafka/config/ writable`), and kafka-run-class.sh logs to /opt/kafka/logs.
    "apache-kafka": ImageFacts(1000, 1000, "queue", True, 9092, "kafka", ("/opt/kafka/logs",),
                               data=("/var/lib/kafka/data",), seeded=("/opt/kafka/config",), server=("run",)),
    # 31z4/zookeeper-docker 3.9.4/Dockerfile: `useradd -r -g zookeeper --uid=1000 zookeeper`,
    # `VOLUME ["$ZOO_DATA_DIR", "$ZOO_DATA_LOG_DIR", "$ZOO_LOG_DIR"]` (/data /datalog /logs),
    # `EXPOSE 2181 2888 3888 8080`, `CMD ["zkServer.sh", "start-foreground"]`; its entrypoint
    # writes /conf/zoo.cfg (created empty) when missing.
    "zookeeper": ImageFacts(1000, 1000, None, True, 2181, "zookeeper", ("/conf", "/logs"),
                            data=("/data", "/datalog"), server=("zkServer.sh",)),
    # eclipse-mosquitto/mosquitto docker/2.1-alpine/Dockerfile: `adduser -S -u 1883 … mosquitto`,
    # `VOLUME ["/mosquitto/data", "/mosquitto/log"]`, `EXPOSE 1883` (IANA: mqtt),
    # `CMD ["/usr/sbin/mosquitto", "-c", "/mosquitto/config/mosquitto.conf"]`.
    "eclipse-mosquitto": ImageFacts(1883, 1883, "queue", True, 1883, "mqtt", ("/mosquitto/log",),
                                    data=("/mosquitto/data",), server=("mosquitto",)),
    # nats-io/nats-docker 2.14.x/alpine3.22/Dockerfile: no USER (the server writes nothing unless
    # JetStream is given a store), `EXPOSE 4222 8222 6222`, `CMD ["nats-server", "--config", …]`.
    "nats": ImageFacts(None, None, "queue", False, 4222, "nats", server=("nats-server",)),
    # distribution/distribution-library-image Dockerfile: no USER, `VOLUME ["/var/lib/registry"]`,
    # `EXPOSE 5000`, `CMD ["/etc/distribution/config.yml"]`; entrypoint.sh runs `registry serve`.
    "registry": ImageFacts(None, None, None, True, 5000, "http", data=("/var/lib/registry",),
                           server=("registry", "serve")),
    # docker-library/cassandra 5.0/Dockerfile: `useradd -r -g cassandra --uid=999 cassandra`,
    # `VOLUME /var/lib/cassandra`, `EXPOSE 7000 7001 7199 9042 9160`, `CMD ["cassandra", "-f"]`,
    # /var/log/cassandra for its logs; docker-entrypoint.sh `_sed-in-place
    # "$CASSANDRA_CONF/cassandra.yaml"` (seeds, addresses) at every start.
    "cassandra": ImageFacts(999, 999, "database", True, 9042, "cql", ("/var/log/cassandra",),
                            data=("/var/lib/cassandra",), seeded=("/etc/cassandra",), server=("cassandra",)),
    # apache/couchdb-docker 3.5.1/Dockerfile: `useradd -u 5984 -d /opt/couchdb -g couchdb couchdb`,
    # `VOLUME /opt/couchdb/data`, `EXPOSE 5984 4369 9100`, `CMD ["/opt/couchdb/bin/couchdb"]`;
    # docker-entrypoint.sh `touch /opt/couchdb/etc/local.d/docker.ini` and appends the admin to it.
    "couchdb": ImageFacts(5984, 5984, "database", True, 5984, "couchdb", data=("/opt/couchdb/data",),
                          seeded=("/opt/couchdb/etc/local.d",), server=("couchdb",)),
    # neo4j/docker-neo4j-publish 2026.06.0/trixie/community/Dockerfile: `useradd --uid 7474 …
    # neo4j`, `VOLUME /data /logs`, `EXPOSE 7474 7473 7687`, `CMD ["neo4j"]`; docker-entrypoint.sh
    # appends its docker defaults and NEO4J_* settings to conf/neo4j.conf at every start.
    "neo4j": ImageFacts(7474, 7474, "database", True, 7687, "bolt", ("/logs",), data=("/data",),
                        seeded=("/var/lib/neo4j/conf",), server=("neo4j",)),
    # apache/solr-docker 10.0/Dockerfile: `SOLR_UID="8983"`, `USER $SOLR_UID`, `VOLUME /var/solr`
    # (its home, logs and pid file), `EXPOSE 8983`, `CMD ["solr-foreground"]`.
    "solr": ImageFacts(8983, 8983, "search", True, 8983, "http", data=("/var/solr",),
                       server=("solr-foreground", "solr")),
    # ClickHouse/docker-library server/26.7.3.19/Dockerfile.ubuntu: `useradd -r -g clickhouse
    # --uid=101`, `VOLUME /var/lib/clickhouse`, `EXPOSE 9000 8123 9009`, logs in
    # /var/log/clickhouse-server; entrypoint.sh writes users.d/default-user.xml at every start.
    "clickhouse-server": ImageFacts(101, 101, "database", True, 8123, "http", ("/var/log/clickhouse-server",),
                                    data=("/var/lib/clickhouse",), seeded=("/etc/clickhouse-server/users.d",),
                                    server=("clickhouse-server",)),
    # nodejs/docker-node: `useradd --uid 1000 --gid node … node` (alpine: `adduser -u 1000`).
    "node": ImageFacts(1000, 1000),
    "python": ImageFacts(),
}

# Tag words that change the image's user, port or process, most specific first: the first one
# the tag contains and that has an entry wins (`8.3-fpm-alpine` is fpm-alpine, not alpine).
_VARIANTS = ("fpm-alpine", "alpine", "fpm", "apache", "fastcgi", "cli", "rootless", "core", "enterprise")

# Facts hold for the publisher's own image only: `bitnami/redis` runs as 1001, not as the
# official redis image's 999. Repositories as written without the registry host (a mirror
# of an official image keeps its path) and without Docker Hub's `library/`.
_OFFICIAL = ("postgres", "redis", "mysql", "mariadb", "mongo", "rabbitmq", "elasticsearch", "kibana", "logstash",
             "memcached", "nginx", "httpd", "traefik", "caddy", "haproxy", "php", "wordpress", "nextcloud", "drupal",
             "phpmyadmin", "adminer", "mongo-express", "ghost", "influxdb", "zookeeper", "eclipse-mosquitto", "nats",
             "registry", "sonarqube", "cassandra", "couchdb", "neo4j", "solr", "node", "python")
_PUBLISHED = {
    **{name: name for name in _OFFICIAL},
    "elasticsearch/elasticsearch": "elasticsearch",  # docker.elastic.co/elasticsearch/elasticsearch
    "kibana/kibana": "kibana",  # docker.elastic.co/kibana/kibana
    "logstash/logstash": "logstash",  # docker.elastic.co/logstash/logstash
    "opensearchproject/opensearch": "opensearch",
    "nginxinc/nginx-unprivileged": "nginx-unprivileged",
    "valkey/valkey": "valkey",
    "prom/prometheus": "prometheus", "prometheus/prometheus": "prometheus",  # Docker Hub, quay.io
    "grafana/grafana": "grafana", "grafana/grafana-oss": "grafana", "grafana/grafana-enterprise": "grafana",
    "minio/minio": "minio",  # Docker Hub, quay.io/minio/minio
    "gitea/gitea": "gitea", "gitea": "gitea",  # Docker Hub, docker.gitea.com/gitea
    "keycloak/keycloak": "keycloak",  # quay.io/keycloak/keycloak
    "n8nio/n8n": "n8n",  # Docker Hub, docker.n8n.io/n8nio/n8n
    "jenkins/jenkins": "jenkins",
    "phpmyadmin/phpmyadmin": "phpmyadmin",  # the same Dockerfiles under the project's own name
    "confluentinc/cp-kafka": "cp-kafka", "confluentinc/cp-zookeeper": "cp-zookeeper",
    "apache/kafka": "apache-kafka",
    "clickhouse/clickhouse-server": "clickhouse-server", "clickhouse": "clickhouse-server",
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


# The account name of each image's user (its UID above): a Dockerfile built on the image that
# says `USER node` means that account, which the Dockerfile itself does not create.
_USER_NAMES = {"node": "node", "postgres": "postgres", "redis": "redis", "mysql": "mysql", "mariadb": "mysql",
               "mongo": "mongodb", "rabbitmq": "rabbitmq", "nginx": "nginx", "elasticsearch": "elasticsearch",
               "wordpress": "www-data", "nextcloud": "www-data", "php": "www-data", "drupal": "www-data",
               "httpd": "www-data", "grafana": "grafana"}


def base_user(image: str | None, name: str) -> tuple[int, int] | None:
    """The UID and GID of the account ``name`` of a known base ``image`` (``USER node`` on
    ``node:20``), or None when the image or the account is unknown."""
    if not image:
        return None
    known = facts(image)
    repo = _PUBLISHED.get(image_key(image)[0])
    if known is None or known.uid is None or _USER_NAMES.get(repo or "") != name:
        return None
    return known.uid, known.gid or known.uid


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
