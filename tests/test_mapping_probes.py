"""The conversion table: probes (from healthchecks) and resources (from deploy.resources).

Readiness mirrors the healthcheck, liveness is the same check with twice the failure
threshold, and ``start_period`` becomes a startup probe. Quantities come out canonical.
"""
from __future__ import annotations

from support import only

import pytest


def service_with_healthcheck(test: str) -> str:
    return f"""
        name: shop
        services:
          web:
            image: example/web:1
            ports: ["8080"]
            healthcheck:
              test: {test}
    """


# --- Probes -----------------------------------------------------------------------------


def test_healthcheck_timings_become_readiness_liveness_and_startup_probes(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            healthcheck:
              test: ["CMD", "/app/healthcheck"]
              interval: 30s
              timeout: 10s
              retries: 3
              start_period: 40s
    """)
    container = c.container("web")
    handler = {"exec": {"command": ["/app/healthcheck"]}}
    assert container["readinessProbe"] == {**handler, "periodSeconds": 30, "timeoutSeconds": 10,
                                           "failureThreshold": 3, "successThreshold": 1}
    assert container["livenessProbe"] == {**handler, "periodSeconds": 30, "timeoutSeconds": 10,
                                          "failureThreshold": 6, "successThreshold": 1}
    # start_period 40s checked every 10s: ceil(40 / 10) + 3 retries = 7 tries.
    assert container["startupProbe"] == {**handler, "periodSeconds": 10, "timeoutSeconds": 10,
                                         "failureThreshold": 7, "successThreshold": 1}


def test_without_start_period_there_is_no_startup_probe(compile_compose):
    c = compile_compose(service_with_healthcheck('["CMD", "/app/healthcheck"]'))
    assert "startupProbe" not in c.container("web")


@pytest.mark.parametrize("test, path", [
    ('["CMD", "curl", "-f", "http://localhost:8080/healthz"]', "/healthz"),
    ('["CMD-SHELL", "wget -q --spider http://localhost:8080/x || exit 1"]', "/x"),
])
def test_a_curl_or_wget_of_a_local_url_becomes_http_get(compile_compose, test, path):
    c = compile_compose(service_with_healthcheck(test))
    assert c.container("web")["readinessProbe"]["httpGet"] == {"path": path, "port": 8080}
    assert c.container("web")["livenessProbe"]["httpGet"] == {"path": path, "port": 8080}
    assert "exec" not in c.container("web")["readinessProbe"]


def test_a_cmd_healthcheck_becomes_an_exec_command_list(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          db:
            image: postgres:16
            healthcheck:
              test: ["CMD", "pg_isready", "-U", "app"]
    """)
    assert c.container("db")["readinessProbe"]["exec"] == {"command": ["pg_isready", "-U", "app"]}


def test_a_cmd_shell_healthcheck_is_one_argument_to_sh(compile_compose):
    c = compile_compose(service_with_healthcheck('["CMD-SHELL", "echo $$HOME; test -f /x"]'))
    # The shell gets the whole line as ONE argument; ';' and '$' are not re-split or quoted.
    assert c.container("web")["readinessProbe"]["exec"] == {"command": ["sh", "-c", "echo $HOME; test -f /x"]}


def test_a_string_healthcheck_is_cmd_shell(compile_compose):
    c = compile_compose(service_with_healthcheck('"test -f /tmp/ready && echo ok"'))
    assert c.container("web")["livenessProbe"]["exec"] == {"command": ["sh", "-c", "test -f /tmp/ready && echo ok"]}


def test_without_a_healthcheck_a_port_gets_a_tcp_probe(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            ports: ["8080"]
    """)
    container = c.container("web")
    assert container["readinessProbe"] == {"tcpSocket": {"port": 8080}, "periodSeconds": 10,
                                           "timeoutSeconds": 5, "failureThreshold": 3, "successThreshold": 1}
    assert container["livenessProbe"]["tcpSocket"] == {"port": 8080}
    assert container["livenessProbe"]["failureThreshold"] == 6


def test_a_known_image_without_a_healthcheck_gets_its_usual_check(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          db:
            image: postgres:15-alpine
    """)
    command = c.container("db")["readinessProbe"]["exec"]["command"]
    assert command == ["sh", "-c", 'pg_isready -h 127.0.0.1 -U "${POSTGRES_USER:-postgres}"']
    assert c.container("db")["livenessProbe"]["exec"]["command"] == command


def test_a_known_image_with_another_entrypoint_gets_neither_its_port_nor_its_check(compile_compose):
    # Nextcloud's cron container is the Nextcloud image running /cron.sh: nothing listens
    # on the image's port 80, and a mariadb image running a backup script is no server.
    c = compile_compose("""
        services:
          cron:
            image: nextcloud:29-apache
            entrypoint: /cron.sh
          backup:
            image: mariadb:10.11
            entrypoint: ["/backup.sh"]
    """)
    for name in ("cron", "backup"):
        container = c.container(name)
        assert "ports" not in container and "readinessProbe" not in container
        assert ("Service", name) not in c.by_key
        assert c.pod(name)["securityContext"]["runAsUser"] == (33 if name == "cron" else 999)  # still its user
    assert sorted(d.position.line for d in c.diagnostics if d.code == "W-PROBE-NONE") == [3, 6]


def test_no_healthcheck_and_no_port_means_no_probes_and_a_warning(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          worker:
            image: example/worker:1
    """)
    container = c.container("worker")
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert probe not in container
    warning = only(c.diagnostics, "W-PROBE-NONE")
    assert "service 'worker'" in warning.message


# --- Resources --------------------------------------------------------------------------


def test_deploy_resources_become_requests_and_limits(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            deploy:
              resources:
                limits: {cpus: "1", memory: 1G}
                reservations: {cpus: "0.5", memory: 512M}
    """)
    assert c.container("web")["resources"] == {
        "limits": {"cpu": "1", "memory": "1Gi"},
        "requests": {"cpu": "500m", "memory": "512Mi"},
    }
    assert "W-RESOURCES-DEFAULT" not in c.codes()


@pytest.mark.parametrize("cpus, memory, cpu, mem", [
    ('"0.25"', "1.5G", "250m", "1536Mi"),
    ("2", "256m", "2", "256Mi"),
])
def test_quantities_are_canonical(compile_compose, cpus, memory, cpu, mem):
    c = compile_compose(f"""
        name: shop
        services:
          web:
            image: example/web:1
            deploy:
              resources:
                limits: {{cpus: {cpus}, memory: {memory}}}
    """)
    resources = c.container("web")["resources"]
    assert resources["limits"] == {"cpu": cpu, "memory": mem}
    assert resources["requests"] == {"cpu": cpu, "memory": mem}  # a missing request takes the limit


def test_service_level_cpus_and_mem_limit_are_limits_too(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            cpus: "0.25"
            mem_limit: 1.5G
    """)
    assert c.container("web")["resources"]["limits"] == {"cpu": "250m", "memory": "1536Mi"}


def test_without_resources_the_documented_defaults_apply_with_a_warning(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
    """)
    assert c.container("web")["resources"] == {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"cpu": "500m", "memory": "256Mi"},
    }
    warning = only(c.diagnostics, "W-RESOURCES-DEFAULT")
    assert "service 'web'" in warning.message
    # quantities as a person writes them, not Python dicts
    assert "requests cpu 100m, memory 128Mi and limits cpu 500m, memory 256Mi" in warning.message
    assert "{" not in warning.message
