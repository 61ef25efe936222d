"""The conversion table: Compose ``configs`` become ConfigMaps mounted where Compose puts them.

One ConfigMap per config (``file``, ``content`` or ``environment``), made once however many
services use it; each use mounts its key read-only with ``subPath`` at ``target`` (default
``/<config>``) and ``mode`` (default 0444); ``external`` configs refer to an existing
ConfigMap. Secret-looking configs are refused: a ConfigMap is plain text in the output.
"""
from __future__ import annotations

from support import only

PROMETHEUS = """
    name: metrics
    services:
      prometheus:
        image: prom/prometheus:v2.54.1
        configs:
          - source: prometheus_yml
            target: /etc/prometheus/prometheus.yml
      grafana:
        image: grafana/grafana:11.2.0
        configs:
          - source: datasources
            target: /etc/grafana/provisioning/datasources/ds.yaml
            mode: 0440
          - prometheus_yml
    configs:
      prometheus_yml:
        file: ./prometheus.yml
      datasources:
        content: |
          apiVersion: 1
          datasources: [{name: prom, type: prometheus, url: "http://prometheus:9090"}]
"""


def test_a_file_config_becomes_one_configmap_mounted_at_its_target(compile_compose):
    c = compile_compose(PROMETHEUS, files={"prometheus.yml": "global:\n  scrape_interval: 15s\n"})
    cm = c.get("ConfigMap", "prometheus-yml")
    assert cm["data"] == {"prometheus.yml": "global:\n  scrape_interval: 15s\n"}
    assert cm["metadata"]["labels"]["app.kubernetes.io/component"] == "config"
    assert {"name": "cfg-prometheus-yml", "mountPath": "/etc/prometheus/prometheus.yml", "readOnly": True,
            "subPath": "prometheus.yml"} in c.container("prometheus")["volumeMounts"]
    assert {"name": "cfg-prometheus-yml", "configMap": {
        "name": "prometheus-yml", "items": [{"key": "prometheus.yml", "path": "prometheus.yml"}],
        "defaultMode": 0o444}} in c.pod("prometheus")["volumes"]


def test_a_config_used_by_two_services_is_made_once_and_the_short_form_mounts_at_slash_name(compile_compose):
    c = compile_compose(PROMETHEUS, files={"prometheus.yml": "x: 1\n"})
    assert [m for m in c.manifests if m["kind"] == "ConfigMap" and m["metadata"]["name"] == "prometheus-yml"] \
        == [c.get("ConfigMap", "prometheus-yml")]
    assert {"name": "cfg-prometheus-yml", "mountPath": "/prometheus_yml", "readOnly": True,
            "subPath": "prometheus.yml"} in c.container("grafana")["volumeMounts"]


def test_a_content_config_keeps_its_text_and_the_use_keeps_its_mode(compile_compose):
    c = compile_compose(PROMETHEUS, files={"prometheus.yml": "x: 1\n"})
    assert c.get("ConfigMap", "datasources")["data"]["datasources"].startswith("apiVersion: 1\n")
    [volume] = [v for v in c.pod("grafana")["volumes"] if v["name"] == "cfg-datasources"]
    assert volume["configMap"]["defaultMode"] == 0o440


def test_an_environment_config_reads_the_variable_like_compose(compile_compose):
    c = compile_compose("""
        services:
          web:
            image: example/web:1
            configs: [{source: banner, target: /etc/banner.txt}]
        configs:
          banner:
            environment: BANNER_TEXT
    """, environ={"BANNER_TEXT": "hello"})
    assert c.get("ConfigMap", "banner")["data"] == {"banner": "hello"}


def test_a_config_from_a_secret_looking_variable_is_refused(compile_error):
    errors = compile_error("""
        services:
          web:
            image: example/web:1
            configs: [banner]
        configs:
          banner:
            environment: API_TOKEN
    """, environ={"API_TOKEN": "s3cr3t"})
    error = only(errors, "E-CONFIG-SECRET")
    assert "API_TOKEN" in error.message and error.position.line == 8
    assert all("s3cr3t" not in str(e) for e in errors)


def test_a_config_whose_content_interpolates_a_secret_is_refused(compile_error):
    errors = compile_error("""
        services:
          web:
            image: example/web:1
            configs: [dsn]
        configs:
          dsn:
            content: "postgres://app:${DB_PASSWORD}@db/app"
    """, environ={"DB_PASSWORD": "hunter2"})
    assert "DB_PASSWORD" in only(errors, "E-CONFIG-SECRET").message


def test_a_secret_looking_config_file_is_refused(compile_error):
    errors = compile_error("""
        services:
          web:
            image: example/web:1
            configs: [tls]
        configs:
          tls:
            file: ./server.key
    """, files={"server.key": "-----BEGIN PRIVATE KEY-----\n"})
    assert "server.key" in only(errors, "E-SECRET-FILE").message


def test_an_external_config_refers_to_an_existing_configmap_with_a_warning(compile_compose):
    c = compile_compose("""
        services:
          web:
            image: example/web:1
            configs: [{source: site, target: /etc/site.conf}]
        configs:
          site:
            external: true
            name: shared-site
    """)
    assert not [m for m in c.manifests if m["kind"] == "ConfigMap"]
    [volume] = [v for v in c.pod("web")["volumes"] if v["name"] == "cfg-site"]
    assert volume["configMap"]["name"] == "shared-site"
    assert "W-CONFIG-EXTERNAL" in c.codes()


def test_an_undefined_config_is_an_error_at_its_use(compile_error):
    errors = compile_error("""
        services:
          web:
            image: example/web:1
            configs:
              - nope
    """)
    error = only(errors, "E-COMPOSE-REF")
    assert "'nope'" in error.message and error.position.line == 6


def test_a_missing_config_file_is_an_error(compile_error):
    errors = compile_error("""
        services:
          web:
            image: example/web:1
            configs: [site]
        configs:
          site:
            file: ./site.conf
    """)
    assert only(errors, "E-CONFIG-FILE")


def test_config_uid_and_gid_are_reported(compile_compose):
    c = compile_compose("""
        services:
          web:
            image: example/web:1
            configs: [{source: site, target: /etc/site.conf, uid: "1000", gid: "1000"}]
        configs:
          site:
            content: "x"
    """)
    assert "W-CONFIG-OWNER" in c.codes()
    assert "W-KEY-IGNORED" not in c.codes()


def test_a_quoted_mode_is_octal_as_in_compose(compile_compose):
    # docker compose 2.40.3 reads mode "0600" and "${M:-600}" as 0600, and the YAML number 0644 as 0644.
    c = compile_compose("""
        services:
          web:
            image: example/web:1
            configs:
              - {source: a, target: /etc/a, mode: "0600"}
          api:
            image: example/api:1
            configs:
              - {source: a, target: /etc/a, mode: "${M:-640}"}
        configs:
          a:
            content: "x"
    """)
    [web] = [v for v in c.pod("web")["volumes"] if v["name"] == "cfg-a"]
    [api] = [v for v in c.pod("api")["volumes"] if v["name"] == "cfg-a"]
    assert web["configMap"]["defaultMode"] == 0o600
    assert api["configMap"]["defaultMode"] == 0o640


def test_a_mode_kubernetes_refuses_is_an_error_at_the_use(compile_error):
    # mode: 600 is the number 600 (01130 in Compose's output): Kubernetes takes 0 to 0777 only.
    errors = compile_error("""
        services:
          web:
            image: example/web:1
            configs:
              - source: a
                mode: 600
        configs:
          a:
            content: "x"
    """)
    error = only(errors, "E-CONFIG-MODE")
    assert "01130" in error.message and error.position.line == 6


def test_a_config_and_a_named_volume_called_cfg_name_do_not_share_a_pod_volume(compile_error):
    errors = compile_error("""
        services:
          web:
            image: example/web:1
            volumes: ["cfg-app:/data"]
            configs: [{source: app, target: /etc/app.conf}]
        configs:
          app:
            content: "x"
        volumes:
          cfg-app: {}
    """)
    error = only(errors, "E-NAME-COLLISION")
    assert "cfg-app" in error.message



def test_a_file_the_project_declares_secret_never_becomes_a_config(compile_error):
    errors = compile_error("""
        services:
          web:
            image: example/web:1
            configs: [{source: db, target: /etc/db.txt}]
            secrets: [db_password]
        configs:
          db:
            file: ./db_password.txt
        secrets:
          db_password:
            file: ./db_password.txt
    """, files={"db_password.txt": "hunter2\n"})
    error = only(errors, "E-SECRET-FILE")
    assert "db_password.txt" in error.message and error.position.line == 9
    assert all("hunter2" not in str(e) for e in errors)


def test_a_bind_mounted_folder_holding_a_declared_secret_file_is_refused(compile_error):
    errors = compile_error("""
        services:
          web:
            image: example/web:1
            volumes: ["./conf:/etc/app:ro"]
            secrets: [db_password]
        secrets:
          db_password:
            file: ./conf/db_password.txt
    """, files={"conf/app.ini": "x=1\n", "conf/db_password.txt": "hunter2\n"})
    error = only(errors, "E-SECRET-FILE")
    assert "db_password.txt" in error.message and error.position.line == 5


def test_a_config_error_points_at_the_config_in_an_included_file(compile_error):
    errors = compile_error("""
        include: [sub/compose.yaml]
        services:
          web:
            image: example/web:1
    """, files={"sub/compose.yaml": (
        "services:\n  api:\n    image: example/api:1\n    configs: [site]\n"
        "configs:\n  site:\n    file: ./missing.conf\n")})
    error = only(errors, "E-CONFIG-FILE")
    assert error.position.file.endswith("sub/compose.yaml") and error.position.line == 7


def test_an_external_config_whose_name_is_no_configmap_name_is_an_error(compile_error):
    errors = compile_error("""
        services:
          web:
            image: example/web:1
            configs: [site]
        configs:
          site:
            external: true
            name: Shared_Site
    """)
    error = only(errors, "E-CONFIG-EXTERNAL")
    assert "'Shared_Site'" in error.message and error.position.line == 9


def test_a_file_name_kubernetes_refuses_as_a_configmap_key_is_an_error(compile_error):
    errors = compile_error("""
        services:
          web:
            image: example/web:1
            configs: [site]
            volumes: ["./conf:/etc/conf:ro"]
        configs:
          site:
            file: ./my site.conf
    """, files={"my site.conf": "x", "conf/ok.conf": "y", "conf/été.conf": "z"})
    found = sorted((e.message.split(":")[0], e.position.line) for e in errors if e.code == "E-CONFIGMAP-KEY")
    assert found == [("config 'site'", 9), ("service 'web'", 6)]


def test_one_config_mounted_twice_with_two_modes_gets_a_volume_per_mode(compile_compose):
    c = compile_compose("""
        services:
          web:
            image: example/web:1
            configs:
              - {source: site, target: /etc/a.conf, mode: 0444}
              - {source: site, target: /etc/b.conf, mode: 0400}
              - {source: site, target: /etc/c.conf}
        configs:
          site:
            content: "x"
    """)
    volumes = {v["name"]: v["configMap"]["defaultMode"] for v in c.pod("web")["volumes"] if "configMap" in v}
    assert volumes == {"cfg-site": 0o444, "cfg-site-400": 0o400}
    mounts = {m["mountPath"]: m["name"] for m in c.container("web")["volumeMounts"] if m["name"].startswith("cfg")}
    assert mounts == {"/etc/a.conf": "cfg-site", "/etc/b.conf": "cfg-site-400", "/etc/c.conf": "cfg-site"}
