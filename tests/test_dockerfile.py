"""The compiler reads the Dockerfile of a service with ``build:`` (final or target stage)."""
from __future__ import annotations

from pathlib import Path

import pytest

from composek8s.compose.dockerfile import DockerfileError, image_config, instructions, resolve_user

BUILD = """
    services:
      app:
        build: ./app
"""


def config_of(tmp_path: Path, text: str, target: str | None = None):
    path = tmp_path / "Dockerfile"
    path.write_text(text)
    return image_config(path, "Dockerfile", target)


def test_continuations_and_comments_make_one_instruction_with_its_first_line():
    found = instructions("FROM alpine:3.20\n# note\nRUN apk add \\\n    # inside\n    dumb-init\nUSER 1:1\n")
    assert [(i.keyword, i.args, i.line) for i in found] == [
        ("FROM", "alpine:3.20", 1), ("RUN", "apk add dumb-init", 3), ("USER", "1:1", 6)]


def test_the_final_stage_inherits_from_the_stage_it_builds_on(tmp_path):
    config = config_of(tmp_path, """
ARG NODE=node:20.18-alpine3.20
FROM ${NODE} AS base
RUN addgroup -g 10001 -S app && adduser -u 10001 -S -G app app
EXPOSE 3001
FROM base AS runtime
USER app
HEALTHCHECK --interval=30s --timeout=10s --start-period=40s --retries=3 CMD wget -q --spider http://localhost:3001/health || exit 1
VOLUME ["/app/uploads"]
""")
    assert config.base_image == "node:20.18-alpine3.20"
    assert resolve_user(config) == (10001, 10001)
    assert config.expose == [(3001, "tcp")]
    assert config.healthcheck == ("CMD-SHELL", "wget -q --spider http://localhost:3001/health || exit 1")
    assert config.health_timing == {"interval": 30, "timeout": 10, "start_period": 40, "retries": 3}
    assert config.volumes == ["/app/uploads"]


def test_a_build_target_selects_its_stage(tmp_path):
    text = "FROM node:20 AS builder\nUSER 10003\nFROM nginx:1 AS runtime\nUSER 101:101\n"
    assert resolve_user(config_of(tmp_path, text, target="builder")) == (10003, 10003)
    assert resolve_user(config_of(tmp_path, text)) == (101, 101)
    with pytest.raises(DockerfileError):
        config_of(tmp_path, text, target="missing")


def test_user_from_useradd_and_groupadd(tmp_path):
    config = config_of(tmp_path, "FROM debian:12\nRUN groupadd -g 2000 web && useradd -u 2001 -g web web\nUSER web:web\n")
    assert resolve_user(config) == (2001, 2000)


def test_dockerfile_user_becomes_the_pod_user(compile_compose):
    c = compile_compose(BUILD, files={"app/Dockerfile": "FROM python:3.11-alpine\nUSER 10002:10002\n"})
    ctx = c.pod("app")["securityContext"]
    assert (ctx["runAsUser"], ctx["runAsGroup"], ctx["fsGroup"]) == (10002, 10002, 10002)
    assert "W-SECURITY-DEFAULT-UID" not in c.codes()


def test_compose_user_wins_over_the_dockerfile(compile_compose):
    c = compile_compose(BUILD + "        user: '3000:3000'\n",
                        files={"app/Dockerfile": "FROM alpine:3.20\nUSER 10002:10002\n"})
    assert c.pod("app")["securityContext"]["runAsUser"] == 3000


def test_an_unresolvable_user_name_warns_and_uses_the_default(compile_compose):
    c = compile_compose(BUILD, files={"app/Dockerfile": "FROM alpine:3.20\nUSER ghost\n"})
    assert c.pod("app")["securityContext"]["runAsUser"] == 10001
    warning = next(d for d in c.diagnostics if d.code == "W-DOCKERFILE-USER")
    assert "ghost" in warning.message
    assert (warning.position.file, warning.position.line) == ("app/Dockerfile", 2)


def test_a_root_user_warns_and_uses_the_default(compile_compose):
    c = compile_compose(BUILD, files={"app/Dockerfile": "FROM alpine:3.20\nUSER root\n"})
    assert c.pod("app")["securityContext"]["runAsUser"] == 10001
    assert "W-DOCKERFILE-USER" in c.codes()


def test_dockerfile_healthcheck_and_expose_become_probes_and_ports(compile_compose):
    c = compile_compose(BUILD, files={"app/Dockerfile": (
        "FROM alpine:3.20\nUSER 10001:10001\nEXPOSE 5000/tcp\n"
        "HEALTHCHECK --interval=20s --timeout=5s --retries=2 CMD wget -q --spider http://localhost:5000/health || exit 1\n")})
    container = c.container("app")
    assert container["ports"] == [{"name": "http", "containerPort": 5000, "protocol": "TCP"}]
    assert container["readinessProbe"] == {"httpGet": {"path": "/health", "port": 5000}, "periodSeconds": 20,
                                           "timeoutSeconds": 5, "failureThreshold": 2, "successThreshold": 1}
    assert c.get("Service", "app")["spec"]["ports"][0]["port"] == 5000


def test_compose_healthcheck_and_ports_win_over_the_dockerfile(compile_compose):
    c = compile_compose(BUILD + """        expose: ["9000"]
        healthcheck:
          test: ["CMD", "/bin/check"]
""", files={"app/Dockerfile": "FROM alpine:3.20\nUSER 1:1\nEXPOSE 5000\nHEALTHCHECK CMD wget http://localhost:5000/\n"})
    container = c.container("app")
    assert [p["containerPort"] for p in container["ports"]] == [9000]
    assert container["readinessProbe"]["exec"] == {"command": ["/bin/check"]}


def test_healthcheck_none_in_the_dockerfile_leaves_only_the_port_check(compile_compose):
    c = compile_compose(BUILD, files={"app/Dockerfile": "FROM alpine:3.20\nUSER 1:1\nEXPOSE 80\nHEALTHCHECK NONE\n"})
    assert c.container("app")["readinessProbe"]["tcpSocket"] == {"port": 80}


def test_volumes_and_base_image_paths_become_writable_emptydirs(compile_compose):
    c = compile_compose(BUILD, files={"app/Dockerfile": (
        "FROM nginxinc/nginx-unprivileged:1.27.3-alpine3.20\nUSER 101:101\nVOLUME /srv/cache\n")})
    mounts = {m["mountPath"] for m in c.container("app")["volumeMounts"]}
    assert {"/tmp", "/var/cache/nginx", "/var/run", "/srv/cache"} <= mounts
    assert c.container("app")["securityContext"]["readOnlyRootFilesystem"] is True


def test_a_missing_dockerfile_is_a_warning_not_an_error(compile_compose):
    c = compile_compose(BUILD)
    assert "W-DOCKERFILE" in c.codes()
    assert "Deployment" in c.kinds("app")


def test_an_unparseable_dockerfile_is_a_warning_with_its_line(compile_compose):
    c = compile_compose(BUILD, files={"app/Dockerfile": "# only a comment\nRUN echo hi\n"})
    warning = next(d for d in c.diagnostics if d.code == "W-DOCKERFILE")
    assert "before the first FROM" in warning.message
    assert (warning.position.file, warning.position.line) == ("app/Dockerfile", 2)


def test_a_build_context_outside_the_project_is_refused(compile_error):
    errors = compile_error("""
        services:
          app:
            build: ../elsewhere
    """)
    assert [e.code for e in errors] == ["E-PATH-ESCAPE"]
