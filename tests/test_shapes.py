"""The conversion table, shape rows: interpolated values keep their meaning, and the type
check does not refuse what Compose accepts. (Wrong types are in tests/hostile/cases.yaml.)"""
from __future__ import annotations


def test_interpolated_booleans_and_numbers_mean_what_they_say(compile_compose):
    c = compile_compose("""
        services:
          web:
            image: example/web:1
            user: "1000"
            privileged: ${PRIVILEGED}
            read_only: ${READ_ONLY:-true}
            deploy:
              replicas: ${REPLICAS}
            healthcheck:
              test: ["CMD", "/healthz"]
              retries: ${RETRIES}
    """, environ={"PRIVILEGED": "false", "REPLICAS": "3", "RETRIES": "4"})
    spec = c.get("Deployment", "web")["spec"]
    assert spec["replicas"] == 3
    container = spec["template"]["spec"]["containers"][0]
    assert container["securityContext"]["privileged"] is False
    assert container["readinessProbe"]["failureThreshold"] == 4


def test_sizes_take_docker_binary_suffixes(compile_compose):
    c = compile_compose("""
        services:
          web:
            image: example/web:1
            user: "1000"
            deploy:
              resources:
                limits: {cpus: "0.5", memory: 256Mi}
                reservations: {memory: 128MiB}
    """)
    resources = c.container("web")["resources"]
    assert resources["limits"]["memory"] == "256Mi"
    assert resources["requests"]["memory"] == "128Mi"


def test_profiles_that_are_not_a_list_are_an_error_not_a_crash(compile_error):
    errors = compile_error("""
        services:
          web:
            image: example/web:1
            profiles: true
    """)
    assert [(e.code, e.position.line) for e in errors] == [("E-COMPOSE-TYPE", 5)]
    assert errors[0].message == "services.web.profiles: expected a list, got true"


def test_a_secret_file_inside_the_project_is_fine(compile_compose):
    c = compile_compose("""
        services:
          web:
            image: example/web:1
            user: "1000"
            secrets: [api_key]
        secrets:
          api_key:
            file: ./secrets/api_key.txt
    """, files={"secrets/api_key.txt": "not read\n"})
    assert "Deployment" in c.kinds("web")
