"""It runs, not only validates: compose apps as people write them, compiled so they work once
applied. Each case is compose in, objects out, and the contract check (check/contract.py)
finds nothing wrong with the result."""
from __future__ import annotations

from composek8s.check.contract import contract_issues

from support import only


def clean(c) -> None:
    """No contract violation in the compiled objects."""
    assert [i.message for i in contract_issues(c.manifests)] == []


def volumes(c, name: str) -> dict[str, dict]:
    """mountPath -> the pod volume mounted there, for the service's main container."""
    pod = c.pod(name)
    by_name = {v["name"]: v for v in pod.get("volumes", [])}
    return {m["mountPath"]: {**by_name.get(m["name"], {"name": m["name"]}), **m}
            for m in c.container(name).get("volumeMounts", [])}


# --- bind mounts, by what they hold -----------------------------------------------------------

def test_a_missing_data_folder_of_a_database_becomes_a_claim(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          db:
            image: postgres:16
            volumes: ["./data:/var/lib/postgresql/data"]
    """)
    sts = c.get("StatefulSet", "db")
    assert [t["metadata"]["name"] for t in sts["spec"]["volumeClaimTemplates"]] == ["data"]
    mount = volumes(c, "db")["/var/lib/postgresql/data"]
    assert mount["name"] == "data" and not mount.get("readOnly")
    warning = only(c.diagnostics, "W-VOLUME-DATA")
    assert "does not exist yet" in warning.message and "starts empty" in warning.message
    assert warning.position.line == 6
    assert not [k for k in c.by_key if k[0] == "ConfigMap"]
    clean(c)


def test_a_data_folder_with_files_says_how_to_carry_them_over(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          db:
            image: mysql:8
            volumes: ["./mysql:/var/lib/mysql"]
    """, files={"mysql/ibdata1": "x", "mysql/auto.cnf": "[auto]\n"})
    assert volumes(c, "db")["/var/lib/mysql"]["name"] == "mysql"
    warning = only(c.diagnostics, "W-VOLUME-DATA")
    assert "kubectl cp ./mysql <pod>:/var/lib/mysql" in warning.message
    clean(c)


def test_an_empty_folder_and_a_folder_named_for_data_are_data_on_a_deployment(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          app:
            image: example/app:1
            volumes: ["./empty:/srv/cache", "./uploads:/app/uploads"]
    """, files={"empty/.keep": "", "uploads/a.png": "png"})
    # ./empty holds a dotfile only: not empty, but at no data path; ./uploads is named for data.
    mounts = volumes(c, "app")
    assert "persistentVolumeClaim" in mounts["/app/uploads"]
    assert mounts["/app/uploads"]["persistentVolumeClaim"]["claimName"] == "uploads"
    assert ("PersistentVolumeClaim", "uploads") in c.by_key
    assert "configMap" in mounts["/srv/cache"]  # a folder of files elsewhere is configuration
    assert c.get("Deployment", "app")["spec"]["strategy"] == {"type": "Recreate"}


def test_a_folder_too_large_for_a_configmap_is_data_not_an_error(compile_compose):
    c = compile_compose("""
        name: logs
        services:
          logstash:
            image: example/logstash:8
            command: logstash -f /logstash_dir/logstash.conf
            volumes: ["./logstash:/logstash_dir"]
    """, files={"logstash/logstash.conf": "input {}\n", "logstash/nginx.log": "x" * (1024 * 1024 + 10)})
    mounts = volumes(c, "logstash")
    assert "persistentVolumeClaim" in mounts["/logstash_dir"]
    # The small config is carried over the claim, so the pipeline starts; the log must be copied.
    conf = mounts["/logstash_dir/logstash.conf"]
    assert conf["subPath"] == "logstash.conf" and conf["readOnly"] and "configMap" in conf
    warning = only(c.diagnostics, "W-VOLUME-DATA").message
    assert "more than a ConfigMap can" in warning and "(nginx.log) is not carried over" in warning


def test_configuration_stays_a_read_only_configmap(compile_compose):
    c = compile_compose("""
        name: web
        services:
          proxy:
            image: nginx:1.27
            volumes: ["./nginx.conf:/etc/nginx/nginx.conf:ro", "./conf.d:/etc/nginx/conf.d"]
    """, files={"nginx.conf": "events {}\n", "conf.d/site.conf": "server {}\n"})
    mounts = volumes(c, "proxy")
    assert mounts["/etc/nginx/nginx.conf"]["readOnly"] and mounts["/etc/nginx/nginx.conf"]["subPath"] == "nginx.conf"
    assert "configMap" in mounts["/etc/nginx/conf.d"] and mounts["/etc/nginx/conf.d"]["readOnly"]
    assert only(c.diagnostics, "W-VOLUME-READONLY").position.line == 6
    assert "W-VOLUME-DATA" not in c.codes()


def test_a_read_write_folder_at_a_dockerfile_volume_is_data(compile_compose):
    c = compile_compose("""
        name: app
        services:
          app:
            build: ./app
            image: example/app:1
            volumes: ["./state:/var/app"]
    """, files={"app/Dockerfile": "FROM alpine:3.20\nUSER 1000\nVOLUME /var/app\nCMD [\"app\"]\n",
                "state/settings.json": "{}"})
    assert "persistentVolumeClaim" in volumes(c, "app")["/var/app"]
    assert "a VOLUME of" in only(c.diagnostics, "W-VOLUME-DATA").message


# --- who reaches whom -----------------------------------------------------------------------

PROXY = """
    name: site
    services:
      proxy:
        image: nginx:1.27
        ports: ["80:80"]
        volumes: ["./default.conf:/etc/nginx/conf.d/default.conf:ro"]
      backend:
        build: ./backend
        image: example/backend:1
"""
NGINX_CONF = "server {\n  listen 80;\n  location / {\n    proxy_pass http://backend:8000;\n  }\n}\n"


def test_a_backend_reached_through_a_proxy_config_gets_the_port_it_is_reached_on(compile_compose):
    c = compile_compose(PROXY, files={"default.conf": NGINX_CONF,
                                      "backend/Dockerfile": "FROM python:3.12\nUSER 1000\nCMD [\"gunicorn\"]\n"})
    ports = c.get("Service", "backend")["spec"]["ports"]
    assert [(p["port"], p["name"]) for p in ports] == [(8000, "http")]
    assert c.container("backend")["ports"][0]["containerPort"] == 8000
    warning = only(c.diagnostics, "W-PORT-INFERRED")
    assert warning.position.file == "default.conf" and warning.position.line == 4
    assert "proxy reaches it" in warning.message
    assert "W-NO-PORT" not in c.codes()
    clean(c)


def test_the_contract_check_sees_the_proxy_fail_without_the_inferred_port(compile_compose):
    c = compile_compose(PROXY, files={"default.conf": NGINX_CONF,
                                      "backend/Dockerfile": "FROM python:3.12\nUSER 1000\nCMD [\"gunicorn\"]\n"})
    manifests = [m for m in c.manifests if (m["kind"], m["metadata"]["name"]) != ("Service", "backend")]
    [issue] = contract_issues(manifests)
    assert issue.rule == "connectivity" and "no Service 'backend' exists" in issue.message
    assert "default.conf line 4" in issue.message


def test_a_data_store_admits_who_names_it_without_depends_on(compile_compose):
    c = compile_compose("""
        name: mongo
        services:
          mongo:
            image: mongo:7
            volumes: ["mongo:/data/db"]
          mongo-express:
            image: mongo-express:1.0
            ports: ["8081:8081"]
            environment:
              ME_CONFIG_MONGODB_URL: mongodb://mongo:27017/
          other:
            image: example/other:1
            expose: ["9000"]
        volumes: {mongo: {}}
    """)
    policy = c.get("NetworkPolicy", "mongo")["spec"]
    [rule] = policy["ingress"]
    assert rule["from"] == [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "mongo-express",
                                                             "app.kubernetes.io/instance": "mongo"}}}]
    assert rule["ports"] == [{"port": 27017, "protocol": "TCP"}]
    egress = c.get("NetworkPolicy", "mongo-express")["spec"]["egress"]
    assert {"to": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "mongo",
                                                    "app.kubernetes.io/instance": "mongo"}}}],
            "ports": [{"port": 27017, "protocol": "TCP"}]} in egress
    warning = only(c.diagnostics, "W-DATA-STORE-ACCESS")
    assert "mongo-express (ME_CONFIG_MONGODB_URL)" in warning.message and "other" in warning.message
    clean(c)


def test_a_container_name_used_as_a_host_is_written_as_the_service_name(compile_compose):
    """Docker's DNS answers for a container_name (listmonk's compose file points its app at
    `listmonk_db`); Kubernetes has no such name, and `_` is not even valid in one."""
    c = compile_compose("""
        name: listmonk
        services:
          app:
            image: listmonk/listmonk:v4.1.0
            ports: ["9000:9000"]
            environment:
              LISTMONK_db__host: listmonk_db
              DATABASE_URL: postgres://listmonk@listmonk_db:5432/listmonk
          db:
            image: postgres:17-alpine
            container_name: listmonk_db
            volumes: ["data:/var/lib/postgresql/data"]
          cache:
            image: redis:7.4-alpine
            container_name: unused-name
        volumes: {data: {}}
    """)
    env = {e["name"]: e.get("value") for e in c.container("app")["env"]}
    assert env["LISTMONK_db__host"] == "db"
    assert env["DATABASE_URL"] == "postgres://listmonk@db:5432/listmonk"
    # the data store admits the app, which names it only through the container name
    [rule] = c.get("NetworkPolicy", "db")["spec"]["ingress"]
    assert rule["from"] == [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "app",
                                                             "app.kubernetes.io/instance": "listmonk"}}}]
    warnings = [d for d in c.diagnostics if d.code == "W-HOST-ALIAS"]
    assert [(w.position.line, w.message) for w in warnings] == [
        (8, "service 'app': LISTMONK_db__host names 'listmonk_db', which Compose resolves to service 'db' "
            "(its container_name); Kubernetes resolves Service names only, so the output writes 'db' there"),
        (9, "service 'app': DATABASE_URL names 'listmonk_db', which Compose resolves to service 'db' "
            "(its container_name); Kubernetes resolves Service names only, so the output writes 'db' there")]
    clean(c)


def test_a_network_alias_in_a_proxy_config_reaches_the_backend_service(compile_compose):
    c = compile_compose("""
        name: site
        services:
          proxy:
            image: nginx:1.27
            ports: ["80:80"]
            volumes: ["./default.conf:/etc/nginx/conf.d/default.conf:ro"]
          backend_app:
            build: ./backend
            image: example/backend:1
            networks:
              default:
                aliases: [api.internal]
    """, files={"default.conf": NGINX_CONF.replace("http://backend:8000", "http://api.internal:8000"),
                "backend/Dockerfile": "FROM python:3.12\nUSER 1000\nCMD [\"gunicorn\"]\n"})
    [config] = [m for m in c.manifests if m["kind"] == "ConfigMap"]
    assert "proxy_pass http://backend-app:8000;" in config["data"]["default.conf"]
    assert [p["port"] for p in c.get("Service", "backend-app")["spec"]["ports"]] == [8000]
    warning = only(c.diagnostics, "W-HOST-ALIAS")
    assert warning.position.file == "default.conf" and warning.position.line == 4
    assert ("names 'api.internal', which Compose resolves to service 'backend_app' (its alias on network "
            "'default')") in warning.message
    assert "writes 'backend-app' there" in warning.message
    clean(c)


def test_a_link_alias_used_as_a_host_is_written_as_the_service_name(compile_compose):
    c = compile_compose("""
        name: legacy
        services:
          web:
            image: example/web:1
            links: ["db:database", "cache"]
            command: ["serve", "--db", "postgres://app@database:5432/app"]
          db:
            image: postgres:16
          cache:
            image: redis:7.4-alpine
    """)
    assert c.container("web")["args"] == ["serve", "--db", "postgres://app@db:5432/app"]
    warning = only(c.diagnostics, "W-HOST-ALIAS")
    assert "command names 'database', which Compose resolves to service 'db' (a link alias of service 'web')" \
        in warning.message
    clean(c)


def test_a_data_store_shutting_out_many_services_names_ten_and_counts_the_rest(compile_compose):
    others = "".join(f"          w{i:02}:\n            image: example/w:1\n            expose: ['80']\n"
                     for i in range(25))
    c = compile_compose("""
        name: big
        services:
          db:
            image: postgres:16
            volumes: ["db:/var/lib/postgresql/data"]
          app:
            image: example/app:1
            environment: {DB_HOST: db}
""" + others + """
        volumes: {db: {}}
    """)
    message = only(c.diagnostics, "W-DATA-STORE-ACCESS").message
    assert "accepts connections only from app (DB_HOST); w00, w01, w02, w03, w04, w05, w06, w07, w08, w09 " \
           "and 15 more share its network" in message


def test_a_bare_host_name_counts_only_where_the_variable_holds_a_host(compile_compose):
    c = compile_compose("""
        name: blog
        services:
          db:
            image: mysql:8
            volumes: ["db:/var/lib/mysql"]
          wordpress:
            image: wordpress:6
            ports: ["8080:80"]
            environment:
              WORDPRESS_DB_HOST: db
              WORDPRESS_DB_NAME: wordpress
          cron:
            image: example/cron:1
            environment:
              DB_NAME: db
        volumes: {db: {}}
    """)
    [rule] = c.get("NetworkPolicy", "db")["spec"]["ingress"]
    assert [p["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for p in rule["from"]] == ["wordpress"]
    assert rule["ports"] == [{"port": 3306, "protocol": "TCP"}]  # a bare host: every port of db
    env = {e["name"]: e["value"] for e in c.container("wordpress")["env"] if "value" in e}
    assert env["WORDPRESS_DB_NAME"] == "wordpress"
    clean(c)


def test_command_words_name_hosts_too(compile_compose):
    c = compile_compose("""
        name: jobs
        services:
          queue:
            image: redis:7
          worker:
            image: example/worker:1
            command: ["celery", "-A", "app", "worker", "--broker", "redis://queue:6379/0"]
    """)
    [rule] = c.get("NetworkPolicy", "queue")["spec"]["ingress"]
    assert rule["from"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == "worker"
    clean(c)


# --- one-shots and servers -------------------------------------------------------------------

def test_a_server_with_restart_no_stays_a_deployment(compile_compose):
    c = compile_compose("""
        name: api
        services:
          api:
            image: example/api:1
            restart: "no"
            ports: ["3000:3000"]
    """)
    assert "Deployment" in c.kinds("api") and ("Service", "api") in c.by_key
    warning = only(c.diagnostics, "W-RESTART-IGNORED")
    assert "listens on 3000" in warning.message and warning.position.line == 6
    assert "W-JOB-IGNORED" not in c.codes()


def test_a_portless_service_others_reach_stays_long_running(compile_compose):
    c = compile_compose("""
        name: app
        services:
          web:
            image: example/web:1
            environment: {API_URL: "http://api:8080"}
          api:
            image: example/api:1
            deploy: {restart_policy: {condition: on-failure}}
    """)
    assert "Deployment" in c.kinds("api")
    assert "web reaches it" in only(c.diagnostics, "W-RESTART-IGNORED").message
    assert c.get("Service", "api")["spec"]["ports"][0]["port"] == 8080


def test_a_portless_unreached_restart_no_service_is_a_job(compile_compose):
    c = compile_compose("""
        name: app
        services:
          seed:
            image: example/seed:1
            restart: "no"
    """)
    assert "Job" in c.kinds("seed")
    assert "W-RESTART-IGNORED" not in c.codes()


# --- what the image declares belongs to the image's own process -------------------------------

WEB_DOCKERFILE = """FROM python:3.12-slim
USER 10001
EXPOSE 8000
HEALTHCHECK CMD curl -f http://localhost:8000/healthz || exit 1
CMD ["gunicorn", "-b", "0.0.0.0:8000", "app:app"]
"""


def test_a_worker_built_from_the_web_image_gets_neither_its_port_nor_its_probe(compile_compose):
    c = compile_compose("""
        name: app
        services:
          web:
            build: ./app
            image: example/app:1
          worker:
            build: ./app
            image: example/app:1
            command: celery -A app worker
    """, files={"app/Dockerfile": WEB_DOCKERFILE})
    web = c.container("web")
    assert web["ports"][0]["containerPort"] == 8000 and web["livenessProbe"]["httpGet"]["port"] == 8000
    worker = c.container("worker")
    assert "ports" not in worker and "livenessProbe" not in worker
    assert ("Service", "worker") not in c.by_key
    assert any(d.code == "W-PROBE-NONE" and "'worker'" in d.message for d in c.diagnostics)


def test_a_command_running_the_image_server_keeps_its_port_and_check(compile_compose):
    c = compile_compose("""
        name: app
        services:
          web:
            build: ./app
            image: example/app:1
            command: gunicorn -w 4 -b 0.0.0.0:8000 app:app
          cache:
            image: redis:7
            command: sh -c "redis-server --requirepass $$REDIS_PASSWORD"
    """, files={"app/Dockerfile": WEB_DOCKERFILE})
    assert c.container("web")["ports"][0]["containerPort"] == 8000
    assert c.container("cache")["ports"][0]["containerPort"] == 6379


# --- writable paths ---------------------------------------------------------------------------

def test_x_k8s_writable_paths_are_emptydirs_and_seeded_ones_are_filled_from_the_image(compile_compose):
    c = compile_compose("""
        name: kafka
        services:
          broker:
            image: example/kafka:7
            x-k8s:
              writable: [/var/cache/broker, {path: /etc/kafka, seed: true}]
    """)
    mounts = volumes(c, "broker")
    assert "emptyDir" in mounts["/var/cache/broker"] and "emptyDir" in mounts["/etc/kafka"]
    [seed] = c.pod("broker")["initContainers"]
    container = c.container("broker")
    assert seed["image"] == container["image"] and seed["securityContext"] == container["securityContext"]
    assert seed["resources"] == container["resources"]
    assert seed["command"] == ["cp", "-R", "/etc/kafka/.", "/composek8s-seed/"]
    assert seed["volumeMounts"] == [{"name": mounts["/etc/kafka"]["name"], "mountPath": "/composek8s-seed"}]


def test_a_known_image_that_writes_its_config_at_start_is_seeded(compile_compose):
    c = compile_compose("""
        name: search
        services:
          es:
            image: docker.elastic.co/elasticsearch/elasticsearch:8.14.1
            volumes: ["esdata:/usr/share/elasticsearch/data"]
        volumes: {esdata: {}}
    """)
    names = [i["name"] for i in c.pod("es")["initContainers"]]
    assert "seed-usr-share-elasticsearch-config" in names


def test_x_k8s_writable_is_validated(compile_error):
    errors = compile_error("""
        services:
          app:
            image: example/app:1
            x-k8s: {writable: [relative/path, {path: /x, seed: maybe}]}
    """)
    messages = [e.message for e in errors if e.code == "E-XK8S"]
    assert any("must be an absolute path" in m for m in messages)
    assert any("seed (true or false)" in m for m in messages)


def test_a_jvm_heap_sizes_the_default_memory_limit(compile_compose):
    c = compile_compose("""
        name: search
        services:
          es:
            image: docker.elastic.co/elasticsearch/elasticsearch:8.14.1
            environment: {ES_JAVA_OPTS: "-Xms512m -Xmx512m"}
          ls:
            image: example/logstash:8
            environment: {LS_JAVA_OPTS: "-Xmx1g"}
            deploy: {resources: {limits: {memory: 1g}}}
    """)
    resources = c.container("es")["resources"]
    assert resources["limits"]["memory"] == "768Mi" and resources["requests"]["memory"] == "512Mi"
    assert "JVM heap" in next(d.message for d in c.diagnostics if d.code == "W-RESOURCES-DEFAULT" and "'es'" in d.message)
    assert "1Gi" in only(c.diagnostics, "W-RESOURCES-HEAP").message


def test_an_image_that_needs_more_than_the_default_gets_what_it_needs(compile_compose):
    """The 256Mi default limit kills MySQL (~400Mi at rest), MongoDB (a 256 MB cache floor),
    Kafka (a 1G heap its start script fixes) and Keycloak (~1000 MB) at start, over and over."""
    c = compile_compose("""
        name: shop
        services:
          db: {image: "mysql:8.0", environment: {MYSQL_ROOT_PASSWORD_FILE: /run/secrets/pw}}
          docs: {image: "mongo:7"}
          broker: {image: "confluentinc/cp-kafka:7.6.1"}
          small-broker: {image: "confluentinc/cp-kafka:7.6.1", environment: {KAFKA_HEAP_OPTS: "-Xmx256m -Xms256m"}}
          auth: {image: "quay.io/keycloak/keycloak:26.0", command: [start-dev]}
          migrate: {image: "mysql:8.0", command: [mysql, -h, db, -e, "select 1"], restart: "no"}
    """)
    memory = {name: (c.container(name)["resources"]["requests"]["memory"],
                     c.container(name)["resources"]["limits"]["memory"])
              for name in ("db", "docs", "broker", "small-broker", "auth", "migrate")}
    assert memory == {"db": ("400Mi", "600Mi"), "docs": ("512Mi", "768Mi"), "broker": ("1Gi", "1536Mi"),
                      "small-broker": ("256Mi", "384Mi"), "auth": ("1000Mi", "1500Mi"),
                      # a one-shot client of the mysql image runs no server: the plain default
                      "migrate": ("128Mi", "256Mi")}
    said = {d.message.split("'")[1]: d.message for d in c.diagnostics if d.code == "W-RESOURCES-DEFAULT"}
    assert "the -Xmx confluentinc/cp-kafka:7.6.1's start script sets" in said["broker"]
    assert "KAFKA_HEAP_OPTS" not in said["small-broker"] and "JVM heap is 256Mi (-Xmx)" in said["small-broker"]
    assert "400Mi (what mysql:8.0 holds resident at rest)" in said["db"]


def test_a_memory_limit_below_what_the_image_needs_is_warned_at_the_key(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          db:
            image: mysql:8.4
            deploy:
              resources:
                limits: {memory: 256m}
          big-db:
            image: mysql:8.4
            deploy: {resources: {limits: {memory: 1g}}}
          broker:
            image: confluentinc/cp-kafka:7.6.1
            deploy: {resources: {limits: {memory: 512m}}}
    """)
    low = only(c.diagnostics, "W-RESOURCES-LOW")
    assert "'db'" in low.message and "256Mi" in low.message and "400Mi" in low.message
    assert low.position.line == 7  # the resources key, where the fix goes
    assert c.container("db")["resources"]["limits"]["memory"] == "256Mi"  # compose's word stands
    heap = only(c.diagnostics, "W-RESOURCES-HEAP")
    assert "'broker'" in heap.message and "start script" in heap.message


def test_user_node_on_the_node_image_runs_as_its_uid(compile_compose):
    c = compile_compose("""
        name: app
        services:
          web:
            build: ./web
            image: example/web:1
    """, files={"web/Dockerfile": "FROM node:20-alpine\nUSER node\nCMD [\"node\", \"server.js\"]\n"})
    assert c.pod("web")["securityContext"]["runAsUser"] == 1000
    assert "W-DOCKERFILE-USER" not in c.codes()
