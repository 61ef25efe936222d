"""The conversion table: storage. Claims for data, emptyDirs for scratch, ConfigMaps for files.

A named volume on a Deployment becomes a PersistentVolumeClaim (ReadWriteOnce, so one
replica and a Recreate rollout); a volume that only holds logs becomes an emptyDir; a bind
mount of a project file becomes a ConfigMap mounted with ``subPath``; source folders for
live reload are dropped; paths outside the project and files that look secret are refused.
"""
from __future__ import annotations

from support import only


def test_a_named_volume_on_a_deployment_becomes_a_claim(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            volumes:
              - user_uploads:/srv/uploads
        volumes:
          user_uploads: {}
    """)
    claim = c.get("PersistentVolumeClaim", "user-uploads")
    assert claim["spec"] == {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    assert claim["metadata"]["namespace"] == "shop"
    assert {"name": "user-uploads", "persistentVolumeClaim": {"claimName": "user-uploads"}} in c.pod("web")["volumes"]
    assert {"name": "user-uploads", "mountPath": "/srv/uploads"} in c.container("web")["volumeMounts"]
    assert c.get("Deployment", "web")["spec"]["strategy"] == {"type": "Recreate"}


def test_x_k8s_storage_sets_the_claim_size_and_storage_class(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            volumes: ["uploads:/srv/uploads"]
            x-k8s:
              storage: {size: 10Gi, storageClass: fast-ssd}
        volumes:
          uploads: {}
    """)
    assert c.get("PersistentVolumeClaim", "uploads")["spec"] == {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "10Gi"}},
        "storageClassName": "fast-ssd",
    }


def test_x_k8s_storage_class_reaches_statefulset_claim_templates(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          db:
            image: postgres:16
            volumes: ["pgdata:/var/lib/postgresql/data"]
            x-k8s:
              storage: {size: 20Gi, storageClass: fast-ssd}
        volumes:
          pgdata: {}
    """)
    template = c.get("StatefulSet", "db")["spec"]["volumeClaimTemplates"][0]
    assert template["spec"] == {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "20Gi"}},
                                "storageClassName": "fast-ssd"}


def test_replicas_sharing_a_read_write_once_claim_are_reduced_to_one(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            volumes: ["uploads:/srv/uploads"]
            deploy:
              replicas: 3
        volumes:
          uploads: {}
    """)
    spec = c.get("Deployment", "web")["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {"type": "Recreate"}
    warning = only(c.diagnostics, "W-REPLICAS-VOLUME")
    assert "service 'web': 3 replicas" in warning.message
    assert warning.position.line == 7  # deploy


def test_a_log_volume_becomes_an_empty_dir(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            volumes:
              - app_logs:/var/log/app
            deploy:
              replicas: 2
        volumes:
          app_logs: {}
    """)
    assert {"name": "app-logs", "emptyDir": {"sizeLimit": "256Mi"}} in c.pod("web")["volumes"]
    assert {"name": "app-logs", "mountPath": "/var/log/app"} in c.container("web")["volumeMounts"]
    assert not [m for m in c.manifests if m["kind"] == "PersistentVolumeClaim"]
    assert c.get("Deployment", "web")["spec"]["replicas"] == 2  # nothing shared, nothing reduced
    warning = only(c.diagnostics, "W-VOLUME-LOGS")
    assert "'app_logs'" in warning.message and warning.position.line == 7


def test_a_bound_project_file_becomes_a_config_map_mounted_by_sub_path(compile_compose):
    conf = "events {}\nhttp { server { listen 8080; } }\n"
    c = compile_compose("""
        name: shop
        services:
          proxy:
            image: example/proxy:1
            volumes:
              - ./nginx.conf:/etc/nginx/nginx.conf:ro
    """, files={"nginx.conf": conf})
    config_map = c.get("ConfigMap", "proxy-nginx-conf")
    assert config_map["data"] == {"nginx.conf": conf}
    assert config_map["metadata"]["namespace"] == "shop"
    assert {"name": "config-nginx-conf", "configMap": {"name": "proxy-nginx-conf"}} in c.pod("proxy")["volumes"]
    assert {"name": "config-nginx-conf", "mountPath": "/etc/nginx/nginx.conf", "readOnly": True,
            "subPath": "nginx.conf"} in c.container("proxy")["volumeMounts"]
    assert "W-VOLUME-READONLY" not in c.codes()


def test_a_bind_mount_outside_the_project_is_refused(compile_error):
    errors = compile_error("""
        name: shop
        services:
          web:
            image: example/web:1
            volumes:
              - ../outside:/data
    """)
    error = only(errors, "E-PATH-ESCAPE")
    assert "'../outside'" in error.message and "outside the project directory" in error.message
    assert error.position.line == 7


def test_a_bound_build_context_is_source_for_live_reload_and_is_dropped(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          api:
            build: ./api
            image: example/api:1
            volumes:
              - ./api:/app
    """, files={"api/main.py": "print('hi')\n", "api/Dockerfile": "FROM python:3.12\n"})
    assert not [m for m in c.container("api")["volumeMounts"] if m["mountPath"] == "/app"]
    assert not [m for m in c.manifests if m["kind"] == "ConfigMap"]
    warning = only(c.diagnostics, "W-VOLUME-SOURCE")
    assert "service 'api'" in warning.message and "./api" in warning.message
    assert warning.position.line == 8


def test_an_anonymous_volume_under_dropped_source_is_dropped_too(compile_compose):
    # The Node.js idiom: the anonymous volume only keeps the image's node_modules visible
    # under the bind-mounted source. Docker fills it from the image; an emptyDir would
    # start empty and hide them, so with the source dropped it goes as well.
    c = compile_compose("""
        name: shop
        services:
          web:
            build: .
            image: example/web:1
            command: npm run dev
            volumes:
              - /usr/src/app/node_modules
              - .:/usr/src/app
              - /cache
    """, files={"Dockerfile": "FROM node:20-alpine\n", "package.json": "{}\n"})
    mounts = {m["mountPath"] for m in c.container("web")["volumeMounts"]}
    assert "/usr/src/app/node_modules" not in mounts and "/usr/src/app" not in mounts
    assert "/cache" in mounts  # not under the source: an emptyDir as before
    assert not [v for v in c.pod("web")["volumes"] if "node-modules" in v["name"]]
    warnings = [d for d in c.diagnostics if d.code == "W-VOLUME-SOURCE"]
    assert sorted(w.position.line for w in warnings) == [9, 10]
    anonymous = next(w for w in warnings if w.position.line == 9)
    assert "/usr/src/app/node_modules" in anonymous.message and "image's files" in anonymous.message


def test_a_named_volume_under_dropped_source_is_dropped_with_its_claim(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            build: .
            image: example/web:1
            volumes:
              - .:/usr/src/app
              - node_modules:/usr/src/app/node_modules
              - uploads:/srv/uploads
        volumes:
          node_modules: {}
          uploads: {}
    """, files={"Dockerfile": "FROM node:20-alpine\n", "package.json": "{}\n"})
    claims = {m["metadata"]["name"] for m in c.manifests if m["kind"] == "PersistentVolumeClaim"}
    assert claims == {"uploads"}
    assert {m["mountPath"] for m in c.container("web")["volumeMounts"]} >= {"/srv/uploads"}
    assert "/usr/src/app/node_modules" not in {m["mountPath"] for m in c.container("web")["volumeMounts"]}
    dropped = [d for d in c.diagnostics if d.code == "W-VOLUME-SOURCE" and d.position.line == 9]
    assert dropped and "volume 'node_modules'" in dropped[0].message


def test_a_bound_env_file_is_refused_as_secret(compile_error):
    errors = compile_error("""
        name: shop
        services:
          web:
            image: example/web:1
            volumes:
              - ./.env:/app/.env:ro
    """, files={".env": "DB_PASSWORD=hunter2-secret\n"})
    error = only(errors, "E-SECRET-FILE")
    assert "service 'web'" in error.message and ".env" in error.message
    assert "hunter2-secret" not in error.message
    assert error.position.line == 7


def test_a_volume_is_logs_only_by_the_word_log(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            volumes:
              - catalog:/srv/catalog
              - uploads:/srv/login-images
        volumes:
          catalog: {}
          uploads: {}
    """)
    assert {m["metadata"]["name"] for m in c.manifests if m["kind"] == "PersistentVolumeClaim"} == {"catalog", "uploads"}
    assert "W-VOLUME-LOGS" not in c.codes()


def test_an_external_volume_mounts_the_existing_claim_and_makes_none(compile_compose):
    c = compile_compose("""
        services:
          db:
            image: postgres:16
            volumes: ["pgdata:/var/lib/postgresql/data"]
        volumes:
          pgdata:
            external: true
            name: legacy-pgdata
    """)
    assert not [m for m in c.manifests if m["kind"] == "PersistentVolumeClaim"]
    pod = c.pod("db")
    assert {"name": "pgdata", "persistentVolumeClaim": {"claimName": "legacy-pgdata"}} in pod["volumes"]
    assert "W-KEY-IGNORED" not in c.codes()


def test_docker_volume_and_network_options_are_reported_where_written(compile_compose):
    c = compile_compose("""
        models:
          llm: {model: ai/smollm2}
        services:
          web:
            image: example/web:1
            volumes: ["data:/data"]
            networks: [front]
        volumes:
          data:
            driver: local
            driver_opts: {type: nfs, o: "addr=10.0.0.1", device: ":/export"}
        networks:
          front:
            driver: bridge
            internal: true
            ipam:
              config: [{subnet: 172.28.0.0/16}]
    """)
    ignored = {(d.message.split(" is ignored")[0], d.position.line) for d in c.diagnostics if d.code == "W-KEY-IGNORED"}
    assert ignored == {("'models'", 2), ("volume 'data': 'driver_opts'", 12), ("network 'front': 'ipam'", 17)}


def test_an_external_volume_whose_name_is_no_claim_name_is_an_error_at_the_definition(compile_error):
    # Docker names a volume pg_data or Legacy_Data; a PersistentVolumeClaim cannot be named so,
    # and the API server would refuse the pod that mounts it.
    errors = compile_error("""
        services:
          db:
            image: postgres:16
            volumes: ["pg_data:/var/lib/postgresql/data", "legacy:/legacy"]
        volumes:
          pg_data:
            external: true
          legacy:
            external: true
            name: Legacy_Data
    """)
    found = sorted((e.position.line, e.message) for e in errors if e.code == "E-VOLUME-EXTERNAL")
    assert [line for line, _ in found] == [8, 11]
    assert "'pg_data'" in found[0][1] and "'Legacy_Data'" in found[1][1]
