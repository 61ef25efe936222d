"""Schema validation, row by row: an invalid compose file in, one located error out, and the
real docker compose (the oracle of tests/test_compose_oracle.py) refuses the same input.

Each case is a small project (files, the ``-f`` order, the environment). ``error`` is the one
diagnostic we report, as ``FILE:LINE:COL: error[CODE]: message``; ``None`` means the input is
valid, and docker compose must accept it too. So the table shows *when* Compose validates
(each file before the merge, after interpolation) as much as *what* it refuses.
"""
from __future__ import annotations

import subprocess
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from composek8s.compose.load import load_project
from composek8s.diagnostics import CompileError, Reporter

ORACLE = Path(__file__).resolve().parent / "tools" / "bin" / "docker-compose"


@dataclass
class Case:
    id: str
    files: dict[str, str]
    error: str | None
    environ: dict[str, str] = field(default_factory=dict)

    @property
    def order(self) -> list[str]:
        return list(self.files)  # merged in the order written


CASES = [
    Case("ports-as-a-mapping", {"compose.yaml": """
        services:
          web:
            image: nginx
            ports:
              http: 8080
        """}, "compose.yaml:4:5: error[E-COMPOSE-TYPE]: services.web.ports: expected a list, got a mapping"),
    Case("unknown-service-key", {"compose.yaml": """
        services:
          web:
            imgae: nginx
        """}, "compose.yaml:3:5: error[E-COMPOSE-KEY]: services.web: unknown key 'imgae' (did you mean 'image'?)"),
    Case("unknown-top-level-key", {"compose.yaml": """
        services:
          web:
            image: nginx
        volume:
          data: {}
        """}, "compose.yaml:4:1: error[E-COMPOSE-KEY]: unknown top-level key 'volume' (did you mean 'volumes'?)"),
    Case("unknown-key-in-build", {"compose.yaml": """
        services:
          web:
            build:
              context: .
              dockerfle: Dockerfile.prod
        """}, "compose.yaml:5:7: error[E-COMPOSE-KEY]: services.web.build: unknown key 'dockerfle' "
              "(did you mean 'dockerfile'?)"),
    Case("unknown-key-in-a-long-volume", {"compose.yaml": """
        services:
          web:
            image: nginx
            volumes:
              - type: volume
                source: data
                target: /data
                readonly: true
        volumes:
          data:
        """}, "compose.yaml:8:9: error[E-COMPOSE-KEY]: services.web.volumes[0]: unknown key 'readonly' "
              "(did you mean 'read_only'?)"),
    Case("long-volume-without-type", {"compose.yaml": """
        services:
          web:
            image: nginx
            volumes:
              - {source: data, target: /data}
        volumes:
          data:
        """}, "compose.yaml:5:9: error[E-COMPOSE-TYPE]: services.web.volumes[0]: needs 'type'"),
    Case("depends-on-condition-not-in-the-enum", {"compose.yaml": """
        services:
          web:
            image: nginx
            depends_on:
              db: {condition: sometimes}
          db:
            image: redis
        """}, "compose.yaml:5:12: error[E-COMPOSE-VALUE]: services.web.depends_on.db.condition: expected one "
              "of 'service_started', 'service_healthy', 'service_completed_successfully', got 'sometimes'"),
    Case("depends-on-entry-without-a-mapping", {"compose.yaml": """
        services:
          web:
            image: nginx
            depends_on:
              db:
          db:
            image: redis
        """}, "compose.yaml:5:7: error[E-COMPOSE-TYPE]: services.web.depends_on.db: expected a mapping, got null"),
    Case("interpolated-ports-is-text", {"compose.yaml": """
        services:
          web:
            image: nginx
            ports: ${PORTS}
        """}, "compose.yaml:4:5: error[E-COMPOSE-TYPE]: services.web.ports: expected a list, got 'abc'",
         {"PORTS": "abc"}),
    Case("interpolated-replicas-is-not-a-number", {"compose.yaml": """
        services:
          web:
            image: nginx
            deploy:
              replicas: ${REPLICAS}
        """}, "compose.yaml:5:7: error[E-COMPOSE-TYPE]: services.web.deploy.replicas: expected a whole number, "
              "got 'three'", {"REPLICAS": "three"}),
    Case("interpolated-enum-value", {"compose.yaml": """
        services:
          web:
            image: nginx
            cgroup: ${CGROUP}
        """}, "compose.yaml:4:5: error[E-COMPOSE-VALUE]: services.web.cgroup: expected one of 'host', "
              "'private', got 'shared'", {"CGROUP": "shared"}),
    Case("privileged-as-a-number", {"compose.yaml": """
        services:
          web:
            image: nginx
            privileged: 1
        """}, "compose.yaml:4:5: error[E-COMPOSE-TYPE]: services.web.privileged: expected a boolean or a "
              "string, got 1"),
    Case("number-in-a-command-list", {"compose.yaml": """
        services:
          web:
            image: nginx
            command: [sleep, 5]
        """}, "compose.yaml:4:22: error[E-COMPOSE-TYPE]: services.web.command[1]: expected a string, got 5"),
    Case("user-as-a-number", {"compose.yaml": """
        services:
          web:
            image: nginx
            user: 1000
        """}, "compose.yaml:4:5: error[E-COMPOSE-TYPE]: services.web.user: expected a string, got 1000"),
    Case("healthcheck-interval-as-a-number", {"compose.yaml": """
        services:
          web:
            image: nginx
            healthcheck:
              test: [CMD, /healthz]
              interval: 30
        """}, "compose.yaml:6:7: error[E-COMPOSE-TYPE]: services.web.healthcheck.interval: expected a string, "
              "got 30"),
    Case("service-name-with-a-space", {"compose.yaml": """
        services:
          "web app":
            image: nginx
        """}, "compose.yaml:2:3: error[E-COMPOSE-KEY]: services: 'web app' is not a valid name "
              "(it must match ^[a-zA-Z0-9._-]+$)"),
    Case("secret-definition-without-a-mapping", {"compose.yaml": """
        services:
          web:
            image: nginx
        secrets:
          token:
        """}, "compose.yaml:5:3: error[E-COMPOSE-TYPE]: secrets.token: expected a mapping, got null"),
    Case("invalid-base-value-an-override-resets", {"compose.yaml": """
        services:
          web:
            image: nginx
            ports: {http: 80}
        """, "override.yaml": """
        services:
          web:
            ports: !reset []
        """}, "compose.yaml:4:5: error[E-COMPOSE-TYPE]: services.web.ports: expected a list, got a mapping"),
    Case("undefined-config", {"compose.yaml": """
        services:
          web:
            image: nginx
            configs: [site]
        """}, "compose.yaml:4:15: error[E-COMPOSE-REF]: service 'web' uses undefined config 'site'"),
    Case("override-value-is-validated", {"compose.yaml": """
        services:
          web:
            image: nginx
            cgroup: !override shared
        """}, "compose.yaml:4:5: error[E-COMPOSE-VALUE]: services.web.cgroup: expected one of 'host', "
              "'private', got 'shared'"),
    Case("secret-variable-where-a-number-goes", {"compose.yaml": """
        services:
          web:
            image: nginx
            deploy:
              replicas: ${REPLICA_TOKEN}
        """}, "compose.yaml:5:7: error[E-COMPOSE-TYPE]: services.web.deploy.replicas: expected a whole number, "
              "got text with secret variables (REPLICA_TOKEN), which are never read"),
    # Valid input, accepted by both.
    Case("reset-drops-a-list-item-before-validation", {"compose.yaml": """
        services:
          web:
            image: nginx
            command: [sleep, !reset 5]
        """}, None),
    Case("secret-variable-in-text-is-text", {"compose.yaml": """
        services:
          web:
            image: nginx
            command: [echo, "${DB_PASSWORD}"]
        """}, None),
    Case("reset-drops-a-value-before-validation", {"compose.yaml": """
        services:
          web:
            image: nginx
            ports: !reset {http: 80}
        """}, None),
    Case("override-file-without-an-image", {"compose.yaml": """
        services:
          web:
            image: nginx
        """, "override.yaml": """
        services:
          web:
            environment: [MODE=production]
        """}, None),
    Case("text-cast-to-numbers-and-booleans", {"compose.yaml": """
        services:
          web:
            image: nginx
            privileged: "false"
            deploy:
              replicas: ${REPLICAS}
            healthcheck:
              test: [CMD, /healthz]
              retries: "3"
        """}, None, {"REPLICAS": "2"}),
    Case("duplicate-list-items-and-extension-keys", {"compose.yaml": """
        x-common: &common {anything: [1, 2]}
        services:
          web:
            image: nginx
            cap_drop: [ALL, ALL]
            x-notes: *common
        """}, None),
]


def _project(case: Case, root: Path) -> Path:
    for name, text in case.files.items():
        (root / name).write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def _ours(case: Case, root: Path) -> list[str]:
    try:
        load_project([Path(f) for f in case.order], environ=dict(case.environ), reporter=Reporter(), cwd=root)
    except CompileError as exc:
        return [str(d) for d in exc.diagnostics]
    return []


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_we_report_one_error_where_it_is_written(case: Case, tmp_path: Path):
    errors = _ours(case, _project(case, tmp_path))
    assert errors == ([case.error] if case.error else [])


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_docker_compose_refuses_exactly_what_we_refuse(case: Case, tmp_path: Path, oracle_home: Path):
    root = _project(case, tmp_path)
    args = [a for name in case.order for a in ("-f", name)]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(oracle_home), "DOCKER_CONFIG": str(oracle_home), **case.environ}
    proc = subprocess.run([str(ORACLE), *args, "config", "--format", "json"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=30)
    if case.error is None:
        assert proc.returncode == 0, proc.stderr
        return
    assert proc.returncode != 0, f"docker compose accepts what we refuse:\n{proc.stdout}"
    if "validating " in proc.stderr:  # a schema error: Compose names the file, so must we
        named = proc.stderr.split("validating ", 1)[1].split(":", 1)[0]
        assert Path(named).name == case.error.split(":", 1)[0], proc.stderr


def test_yaml_1_1_booleans_convert_with_a_warning_as_in_compose(tmp_path: Path):
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: nginx\n    read_only: 'yes'\n")
    reporter = Reporter()
    project = load_project([], environ={}, reporter=reporter, cwd=tmp_path)
    assert project.services["web"].read_only is True
    assert [str(d) for d in reporter.warnings] == [
        "compose.yaml:4:5: warning[W-COMPOSE-BOOLEAN]: services.web.read_only: 'yes' for a boolean is "
        "YAML 1.1; write true"]


def test_every_error_of_a_file_is_reported_in_file_order(tmp_path: Path):
    """Compose stops at its first error; we report them all, sorted by position."""
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web:\n    image: nginx\n    cgroup: bogus\n    ports: {a: 1}\n    imgae: x\n"
        "  db:\n    image: [redis]\n")
    errors = _ours(Case("many", {}, None), tmp_path)
    assert [e.split(": error")[0] for e in errors] == [
        "compose.yaml:4:5", "compose.yaml:5:5", "compose.yaml:6:5", "compose.yaml:8:5"]


def test_the_flattened_service_schema_accepts_exactly_what_the_original_does():
    """The validator's faster form of `service` (schema._flattened) is the same rule."""
    from jsonschema import validators

    from composek8s.compose.schema import _flattened, compose_schema, service_keys

    original = compose_schema()
    flat = _flattened(original)
    assert "unevaluatedProperties" not in flat["$defs"]["service"]
    draft = validators.validator_for(original)
    slow, fast = draft(original), draft(flat)
    values = [None, "text", 1, True, [], ["a"], {}, {"x": 1}]
    for key in sorted(service_keys()) + ["imgae", "x-extension", "per_replica"]:
        for value in values:
            document = {"services": {"web": {"image": "nginx", key: value}}}
            assert slow.is_valid(document) == fast.is_valid(document), (key, value)
