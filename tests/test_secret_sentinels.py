"""No secret value ever lands in output, whatever the variable is called.

Sentinel values hide in every place a compose project can put a credential. The places the
compiler handles (a Secret reference instead of the value) are one project compiled through
the real CLI with ``--package``: every sentinel is asserted absent, plain and base64, from
``dist/``, ``charts/`` and the unpacked tarball. The places it refuses are one project each
(a refusal must not hide the others): exit 2, the error at its line, nothing written, and
the sentinel in no message. Ordinary configuration must stay plain values.
"""
from __future__ import annotations

import base64
import io
import os
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest
import yaml

from composek8s.check.run import Source, check_sources

PRIVATE_KEY = ("-----BEGIN OPENSSH PRIVATE KEY-----\n"
               "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
               "QyNTUxOQAAACCs3ntnlSentinel21aBcDeFgHiJkLmNoPqRsTuVwXyZ012345678901AAAA\n"
               "-----END OPENSSH PRIVATE KEY-----\n")

# Each sentinel is unique, so a leak names its hiding place.
HANDLED = {
    "dotenv-database-url": "pw-S01-dburl",
    "dotenv-redis-url-empty-user": "pw-S02-redis",
    "env-file-amqp-url": "pw-S03-amqp",
    "command-url": "pw-S04-cmd",
    "literal-gpg-passphrase": "S05-passphrase-value",
    "dotenv-root-pw": "S06-root-pw-value",
    "literal-session-signing": "S07-signing-value",
    "literal-basic-auth-url": "pw-S08-admin",
    "literal-secret-named": "S09-literal-db-password",
    "dotenv-secret-named": "S10-dotenv-db-password",
    "compose-secret-file": "S11-secret-file-content",
    "compose-secret-environment": "S12-secret-env-content",
    "build-arg": "S13-build-arg",
    "label": "S14-label-value",
    "x-field": "S16-x-field",
    "github-token": "ghp_S17aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456",
    "aws-access-key": "AKIAS18QWERTYUIOPASD",
    "random-token": "S19xQ9zK2mP7vL4nB8wR3tY6uI1oE5aS0dF",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJTMjAifQ.S20dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "private-key-in-env": "S21aBcDeFgHiJkLmNoPqRsTuVwXyZ012345678901AAAA",
    "stripe-key": "sk_live_S22eC39HqLyjWDarjtT1zdp7dc",
    "entrypoint-url": "pw-S23-entry",
    "env-file-secret-named": "S24-env-file-token",
    "env-file-derived": "S25-derived-api-secret",
    "healthcheck-secret-variable": "S26-health-pw",
    "x-k8s-field": "S27-xk8s-reason-is-no-secret",
}
COMPOSE = """
name: vault
x-custom: {{token: {x-field}}}
services:
  api:
    image: example/api:1.0
    build:
      context: ./api
      args: {{NPM_TOKEN: {build-arg}}}
    ports: ["8080:8080"]
    labels: {{api-key: {label}}}
    env_file: [app.env]
    environment:
      DATABASE_URL: ${{DATABASE_URL}}
      REDIS_URL: ${{REDIS_URL}}
      GPG_PASSPHRASE: {literal-gpg-passphrase}
      ROOT_PW: ${{ROOT_PW}}
      SESSION_COOKIE_SIGNING: {literal-session-signing}
      UPSTREAM: https://admin:{literal-basic-auth-url}@api.example.com/v1
      DB_PASSWORD: {literal-secret-named}
      DB_PASSWORD_TWO: ${{DB_PASSWORD_TWO}}
      GITHUB_ACCESS: {github-token}
      AWS_ACCESS_KEY_ID: {aws-access-key}
      SESSION_SEED: {random-token}
      ID_TOKEN_SAMPLE: {jwt}
      SSH_DEPLOY: "-----BEGIN OPENSSH PRIVATE KEY----- {private-key-in-env}"
      PAYMENTS: {stripe-key}
      # ordinary configuration: stays plain
      CACHE_URL: redis://cache:6379/0
      PLAIN_DB_URL: postgres://app@db/app
      PUBLIC_KEY_URL: https://example.com/keys/key.pub
      GIT_SHA: 9fceb02d0ae598e95dc970b74767f19372d61af8
      REQUEST_ID: 123e4567-e89b-12d3-a456-426614174000
      LOG_LEVEL: info
    secrets: [db_file, db_env]
    healthcheck:
      test: ["CMD-SHELL", "check --password $${{HEALTH_PASSWORD}}"]
    x-k8s: {{reason: "{x-k8s-field}"}}
  worker:
    image: example/worker:1.0
    entrypoint: ["run", "--db", "postgres://app:{entrypoint-url}@db/app"]
    command: ["work", "--db", "postgres://app:{command-url}@db/app"]
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: ${{DB_PASSWORD_TWO}}
  cache:
    image: redis:7
  mq:
    image: rabbitmq:3
secrets:
  db_file: {{file: ./db_password.txt}}
  db_env: {{environment: SECRET_ENV}}
"""
DOTENV = {"DATABASE_URL": "postgres://app:{dotenv-database-url}@db/app",
          "REDIS_URL": "redis://:{dotenv-redis-url-empty-user}@cache:6379",
          "ROOT_PW": "{dotenv-root-pw}", "DB_PASSWORD_TWO": "{dotenv-secret-named}",
          "SECRET_ENV": "{compose-secret-environment}", "API_SECRET": "{env-file-derived}",
          "HEALTH_PASSWORD": "{healthcheck-secret-variable}"}
APP_ENV = {"AMQP_URL": "amqp://user:{env-file-amqp-url}@mq:5672/", "API_TOKEN": "{env-file-secret-named}",
           "CALLBACK": "https://hook.example.com/${{API_SECRET}}"}


def _fill(text: str) -> str:
    return text.format(**HANDLED)


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    return subprocess.run([sys.executable, "-m", "composek8s", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def _forms(secret: str) -> list[str]:
    encoded = base64.b64encode(secret.encode()).decode()
    return [secret, encoded, encoded.rstrip("=")]


@pytest.fixture(scope="module")
def handled(tmp_path_factory):
    root = tmp_path_factory.mktemp("sentinels")
    _write(root, {"compose.yaml": _fill(COMPOSE),
                  ".env": "".join(f"{k}={_fill(v)}\n" for k, v in DOTENV.items()),
                  "app.env": "".join(f"{k}={_fill(v)}\n" for k, v in APP_ENV.items()),
                  "db_password.txt": HANDLED["compose-secret-file"] + "\n",
                  "api/Dockerfile": "FROM alpine:3.20\nUSER 10001\nCMD [\"api\"]\n"})
    result = _run(root, "synth", "-o", "dist", "--chart-dir", "charts", "--package", "pkg")
    assert result.returncode == 0, result.stderr
    texts = {}
    for path in sorted((root / "dist").rglob("*")) + sorted((root / "charts").rglob("*")):
        if path.is_file():
            texts[str(path.relative_to(root))] = path.read_text()
    [archive] = list((root / "pkg").glob("*.tgz"))
    with tarfile.open(fileobj=io.BytesIO(archive.read_bytes())) as tar:
        for member in tar.getmembers():
            if member.isfile():
                texts[f"tgz:{member.name}"] = tar.extractfile(member).read().decode()
    return root, texts, result.stderr


@pytest.mark.parametrize("place", sorted(HANDLED))
def test_no_handled_sentinel_reaches_any_output(handled, place):
    _, texts, stderr = handled
    for form in _forms(HANDLED[place]):
        leaks = [name for name, text in texts.items() if form in text]
        assert not leaks, f"{place}: {form!r} in {leaks}"
        assert form not in stderr


def test_credentials_become_secret_references_said_so_at_their_lines(handled):
    root, texts, stderr = handled
    api = next(yaml.safe_load(t) for n, t in texts.items() if n == "dist/base/deployment-api.yaml")
    env = {e["name"]: e for e in api["spec"]["template"]["spec"]["containers"][0]["env"]}
    for name in ("GPG_PASSPHRASE", "ROOT_PW", "SESSION_COOKIE_SIGNING", "GITHUB_ACCESS", "AWS_ACCESS_KEY_ID",
                 "SESSION_SEED", "ID_TOKEN_SAMPLE", "SSH_DEPLOY", "PAYMENTS", "API_TOKEN"):
        assert env[name]["valueFrom"]["secretKeyRef"] == {"name": "vault-secrets", "key": name}, name
    for name in ("DATABASE_URL", "REDIS_URL", "AMQP_URL", "UPSTREAM"):  # only a URL's password: it alone moves
        key = f"{name}_PASSWORD"
        assert env[key]["valueFrom"]["secretKeyRef"] == {"name": "vault-secrets", "key": key}, name
        assert f":$({key})@" in env[name]["value"], name
    for name in ("CACHE_URL", "PLAIN_DB_URL", "PUBLIC_KEY_URL", "GIT_SHA", "REQUEST_ID", "LOG_LEVEL"):
        assert "value" in env[name], f"{name} should stay a plain value"
    lines = [line for line in stderr.splitlines() if "W-SECRET-LITERAL" in line]
    assert any(line.startswith("compose.yaml:19:") and "UPSTREAM" in line for line in lines)
    worker = yaml.safe_load(texts["dist/base/deployment-worker.yaml"])["spec"]["template"]["spec"]["containers"][0]
    assert worker["args"] == ["work", "--db", "$(WORKER_COMMAND_3)"]
    assert worker["command"] == ["run", "--db", "$(WORKER_ENTRYPOINT_3)"]
    readme = texts["dist/README.md"]
    for key in ("DATABASE_URL_PASSWORD", "WORKER_COMMAND_3", "WORKER_ENTRYPOINT_3"):
        assert f"--from-literal={key}=" in readme
    values = texts["charts/vault/values.yaml"]
    assert "DATABASE_URL_PASSWORD" in values and "WORKER_COMMAND_3" in values  # the Secret keys, documented


REFUSED = [
    ("config-content", {"compose.yaml": """
        services:
          web:
            image: example/web:1
            configs: [app]
        configs:
          app:
            content: |
              [db]
              password = R01-content-password
        """}, "E-SECRET-FILE", "compose.yaml:8:5", "R01-content-password"),
    ("bound-private-key", {"compose.yaml": """
        services:
          web:
            image: example/web:1
            volumes: ["./conf:/etc/app:ro"]
        """, "conf/deploy_identity": PRIVATE_KEY.replace("Sentinel21", "SentinelR2"), "conf/app.conf": "x=1\n"},
     "E-SECRET-FILE", "compose.yaml:5:15", "SentinelR2"),
    ("bound-ini-password", {"compose.yaml": """
        services:
          web:
            image: example/web:1
            volumes: ["./app.ini:/etc/app.ini:ro"]
        """, "app.ini": "[db]\nhost = db\npassword = R03-ini-password\n"}, "E-SECRET-FILE", "compose.yaml:5:15",
     "R03-ini-password"),
    ("hard-link-of-a-secret-file", {"compose.yaml": """
        services:
          web:
            image: example/web:1
            configs: [settings]
            secrets: [token]
        configs:
          settings: {file: ./settings.txt}
        secrets:
          token: {file: ./token.txt}
        """, "token.txt": "R04-linked-token\n"}, "E-SECRET-FILE", "compose.yaml:8:14", "R04-linked-token"),
    ("environment-secret-by-name", {"compose.yaml": """
        services:
          web:
            image: example/web:1
            environment: {API_TOKEN: "${API_TOKEN}"}
        x-k8s:
          environments:
            prod:
              values: {web: {env: {API_TOKEN: R05-env-token}}}
        """}, "E-SECRET-ENVIRONMENT", "compose.yaml:6:1", "R05-env-token"),
    ("environment-secret-by-content", {"compose.yaml": """
        services:
          web:
            image: example/web:1
            environment: {UPSTREAM: https://example.com}
        x-k8s:
          environments:
            prod:
              values: {web: {env: {UPSTREAM: "https://admin:R06-env-url@example.com"}}}
        """}, "E-SECRET-ENVIRONMENT", "compose.yaml:6:1", "R06-env-url"),
    ("environment-secret-values", {"compose.yaml": """
        services:
          web:
            image: example/web:1
            environment: {DB_PASSWORD: "${DB_PASSWORD}"}
        x-k8s:
          environments:
            prod:
              values: {secrets: {create: true, values: {DB_PASSWORD: R07-values-password}}}
        """}, "E-SECRET-ENVIRONMENT", "compose.yaml:6:1", "R07-values-password"),
    ("environment-env-the-chart-ignores", {"compose.yaml": """
        services:
          web:
            image: example/web:1
            environment: {LOG_LEVEL: info}
        x-k8s:
          environments:
            prod:
              values: {web: {env: {FEATURE: R08-not-read}}}
        """}, "E-ENVIRONMENT", "compose.yaml:6:1", "R08-not-read"),
    ("healthcheck-literal", {"compose.yaml": """
        services:
          web:
            image: example/web:1
            ports: ["8080"]
            healthcheck:
              test: ["CMD", "curl", "-f", "http://admin:R09-probe-pw@localhost:8080/health"]
        """}, "E-SECRET-PROBE", "compose.yaml:6:5", "R09-probe-pw"),
    ("config-from-environment", {"compose.yaml": """
        services:
          web:
            image: example/web:1
            configs: [conn]
        configs:
          conn: {environment: CONN}
        """, ".env": "CONN=postgres://app:R10-config-env@db/app\n"}, "E-SECRET-FILE", "compose.yaml:7:10",
     "R10-config-env"),
]


@pytest.mark.parametrize("case", REFUSED, ids=[c[0] for c in REFUSED])
def test_a_secret_where_it_cannot_be_a_reference_is_refused(tmp_path, case):
    _, files, code, at, sentinel = case
    _write(tmp_path, {k: textwrap.dedent(v) for k, v in files.items()})
    if case[0] == "hard-link-of-a-secret-file":
        os.link(tmp_path / "token.txt", tmp_path / "settings.txt")
    result = _run(tmp_path, "synth", "-o", "dist", "--chart-dir", "charts")
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if f"error[{code}]" in line]
    assert errors and errors[0].startswith(at + ":"), result.stderr
    assert sentinel not in result.stderr
    assert not (tmp_path / "dist").exists() and not (tmp_path / "charts").exists()


def test_check_finds_the_same_credentials_in_manifests():
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "x"},
                  "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {
                      "metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{
                          "name": "web", "image": "example/web:1",
                          "args": ["--db", "postgres://app:C1-pw@db/app"],
                          "env": [{"name": "DATABASE_URL", "value": "postgres://app:C2-pw@db/app"},
                                  {"name": "GPG_PASSPHRASE", "value": "C3"},
                                  {"name": "READ_FROM_SECRET", "value": "postgres://app:$(DB_PASSWORD)@db/app"},
                                  {"name": "CACHE_URL", "value": "redis://cache:6379/0"}]}]}}}}
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app", "namespace": "x",
                                                                    "annotations": {"token": "ghp_C4aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456"}},
              "data": {"app.ini": "[db]\npassword = C5-ini\n"}}
    findings = [f.message for f in check_sources([Source("x.yaml", deployment), Source("x.yaml", config)], ["1.30"])
                if f.rule == "secret-literal"]
    assert len(findings) == 5, findings
    assert any("args word 2" in m for m in findings) and any("DATABASE_URL" in m for m in findings)
    assert any("GPG_PASSPHRASE" in m for m in findings)
    assert any("annotation token" in m for m in findings) and any("app.ini" in m and "line 2" in m for m in findings)
    assert not any("READ_FROM_SECRET" in m or "CACHE_URL" in m for m in findings)
