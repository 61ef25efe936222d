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


# --- the fast path: jsonschema-rs says "valid", jsonschema is asked only otherwise ------------

TESTS = Path(__file__).resolve().parent


def _slow_valid(data: object) -> bool:
    from composek8s.compose.schema import _validator

    return next(iter(_validator().iter_errors(data)), None) is None


def test_the_fast_validator_accepts_only_what_jsonschema_accepts():
    """Every service key with values of every JSON type, and data where the two libraries
    could differ: text ending in a newline (Python's ``$`` matches before it) or holding a
    carriage return or a Unicode line separator (ECMAScript's ``.`` does not match them),
    numbers as floats, 64-bit bounds, NaN, a Decimal."""
    from decimal import Decimal

    from composek8s.compose.schema import known_valid, service_keys

    plain = [None, "text", 1, 1.0, True, [], ["a"], ["a", "a"], {}, {"x": 1}]
    apart = ["a\n", "a\r", "a\u2028", 2**63, -2**63 - 1, float("nan"), float("inf"), Decimal(1),
             {"a\n": 1}, {"a\r": 1}, {"\u2029": 1}]
    verdicts = []
    for key in sorted(service_keys()) + ["imgae", "x-extension", "per_replica"]:
        for value, counted in [(v, True) for v in plain] + [(v, False) for v in apart]:
            document = {"services": {"web": {"image": "nginx", key: value}}}
            fast, slow = known_valid(document), _slow_valid(document)
            assert slow or not fast, (key, value)
            if counted:
                verdicts.append((fast, slow))
    for name in ["web", "web\n", "web\r", "x-web", "Web", "1", "a b"]:
        document = {"services": {name: {"image": "nginx"}}, "volumes": {name: {}}, "networks": {name: None}}
        assert _slow_valid(document) or not known_valid(document), name
    # a real fast path: most plain documents jsonschema accepts are recognised without it
    accepted = [fast for fast, slow in verdicts if slow]
    assert sum(accepted) > 0.9 * len(accepted)


def _compose_files() -> list[Path]:
    found = []
    for folder in ("compose_corpus", "stacks", "hostile"):
        for path in sorted((TESTS / folder).rglob("*")):
            if path.suffix in (".yaml", ".yml") and path.is_file() and path.stat().st_size < 200_000:
                text = path.read_text(errors="replace")
                if text.startswith("services:") or "\nservices:" in text:
                    found.append(path)
    return found


def test_the_fast_validator_agrees_with_jsonschema_on_the_test_projects(monkeypatch, tmp_path: Path):
    """Every compose file under tests/ (corpus, stacks, hostile inputs) and every row of the
    table above, loaded as the CLI loads it: where jsonschema-rs says valid, jsonschema finds
    no error, so no message is lost."""
    from composek8s.compose import schema

    real, seen = schema.known_valid, []

    def both(data: object) -> bool:
        fast = real(data)
        seen.append((fast, _slow_valid(data)))
        return fast

    monkeypatch.setattr(schema, "known_valid", both)
    files = _compose_files()
    assert len(files) > 50
    for path in files:
        try:
            load_project([path], environ={}, reporter=Reporter(), cwd=path.parent)
        except CompileError:
            pass
    for case in CASES:
        (tmp_path / case.id).mkdir()
        _ours(case, _project(case, tmp_path / case.id))
    assert all(slow for fast, slow in seen if fast)
    assert sum(fast for fast, slow in seen) > 0.9 * sum(slow for fast, slow in seen)
