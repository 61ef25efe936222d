"""The conversion table: configuration and secrets.

Plain values are written as they are (escaped against Kubernetes' ``$(VAR)`` expansion).
Secret values never reach the output: a variable whose name marks it secret becomes a
``secretKeyRef`` into the project's Secret (``<project>-secrets``), which the cluster
provides; compose ``secrets:`` become a projected volume at /run/secrets. The checks below
look for the secret in the whole YAML dump of every manifest, plain and base64.
"""
from __future__ import annotations

from support import only

import base64

import yaml


def assert_nowhere(c, secret: str) -> None:
    """``secret`` is in no manifest: neither as text nor base64-encoded."""
    dump = yaml.safe_dump(c.manifests)
    assert secret not in dump
    assert base64.b64encode(secret.encode()).decode() not in dump
    assert base64.b64encode(secret.encode()).decode().rstrip("=") not in dump


def env(c, service: str) -> dict[str, dict]:
    return {e["name"]: e for e in c.container(service)["env"]}


def secret_ref(key: str, name: str = "shop-secrets") -> dict:
    return {"valueFrom": {"secretKeyRef": {"name": name, "key": key}}}


def test_a_plain_value_is_written_as_it_is(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            environment:
              A: plain
              LOG_LEVEL: info
    """)
    assert c.container("web")["env"] == [{"name": "A", "value": "plain"}, {"name": "LOG_LEVEL", "value": "info"}]


def test_a_secret_variable_becomes_a_secret_key_ref_and_its_value_is_nowhere(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            environment:
              DB_PASSWORD: ${DB_PASSWORD}
    """, environ={"DB_PASSWORD": "hunter2-secret"})
    assert c.container("web")["env"] == [{"name": "DB_PASSWORD", **secret_ref("DB_PASSWORD")}]
    assert_nowhere(c, "hunter2-secret")


def test_a_secret_from_the_dot_env_file_is_nowhere_either(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            environment:
              DB_PASSWORD: ${DB_PASSWORD}
              DATABASE_URL: postgresql://u:${DB_PASSWORD}@db/app
    """, files={".env": "DB_PASSWORD=hunter2-secret\n"})
    assert_nowhere(c, "hunter2-secret")


def test_a_value_embedding_a_secret_becomes_a_dependent_variable(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            environment:
              DATABASE_URL: postgresql://u:${DB_PASSWORD}@db/app
    """, environ={"DB_PASSWORD": "hunter2-secret"})
    # DB_PASSWORD must come first: Kubernetes expands $(VAR) only from earlier entries.
    assert c.container("web")["env"] == [
        {"name": "DB_PASSWORD", **secret_ref("DB_PASSWORD")},
        {"name": "DATABASE_URL", "value": "postgresql://u:$(DB_PASSWORD)@db/app"},
    ]
    assert_nowhere(c, "hunter2-secret")


def test_a_literal_password_in_a_url_moves_alone_and_the_url_reaches_the_service(compile_compose):
    """Plausible's compose file: DATABASE_URL=postgres://postgres:postgres@plausible_db:5432/….
    Moved whole into the Secret, the URL would keep `plausible_db`, a name Kubernetes does
    not resolve, and the user would have to rewrite it by hand."""
    c = compile_compose("""
        name: plausible
        services:
          plausible_db:
            image: postgres:16-alpine
          plausible:
            image: ghcr.io/plausible/community-edition:v3.0.1
            environment:
              - DATABASE_URL=postgres://postgres:pg-R3al-pw@plausible_db:5432/plausible_db
              - CACHE_URL=redis://:cache-pw-9z@plausible_db:6379/0
    """)
    assert c.container("plausible")["env"] == [
        {"name": "CACHE_URL_PASSWORD", **secret_ref("CACHE_URL_PASSWORD", name="plausible-secrets")},
        {"name": "DATABASE_URL_PASSWORD", **secret_ref("DATABASE_URL_PASSWORD", name="plausible-secrets")},
        {"name": "DATABASE_URL", "value": "postgres://postgres:$(DATABASE_URL_PASSWORD)@plausible-db:5432/plausible_db"},
        {"name": "CACHE_URL", "value": "redis://:$(CACHE_URL_PASSWORD)@plausible-db:6379/0"},
    ]
    warnings = [d for d in c.diagnostics if d.code == "W-SECRET-LITERAL"]
    assert [w.position.line for w in warnings] == [9, 10]
    assert "DATABASE_URL holds a password in its URL" in warnings[0].message
    assert "from the key DATABASE_URL_PASSWORD of the Secret 'plausible-secrets'" in warnings[0].message
    assert_nowhere(c, "pg-R3al-pw")
    assert_nowhere(c, "cache-pw-9z")


def test_a_url_holding_more_than_its_password_moves_whole(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            environment:
              HOOK_URL: https://bot:pw-Q7x@hooks.example.com/?token=ghp_16C7e42F292c6912E7710c838347Ae178B4a
              DATABASE_URL: postgres://app:pw-Q8y@db/app
              DATABASE_URL_PASSWORD: ${DB_PASSWORD}
    """, environ={"DB_PASSWORD": "other"})
    env = {e["name"]: e for e in c.container("web")["env"]}
    assert env["HOOK_URL"] == {"name": "HOOK_URL", **secret_ref("HOOK_URL")}
    # the key the password would go to is the service's own variable: the URL moves whole
    assert env["DATABASE_URL"] == {"name": "DATABASE_URL", **secret_ref("DATABASE_URL")}
    assert_nowhere(c, "pw-Q7x")
    assert_nowhere(c, "pw-Q8y")


def test_one_variable_with_different_literals_in_two_services_gets_a_key_per_service(compile_compose):
    """The project has one Secret: a shared API_TOKEN key would give both services one of the
    two tokens. Equal values share their key; a digit-led service name still makes a valid
    variable name for the $(…) the URL reads."""
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            environment:
              API_TOKEN: token-for-web-1f3a
              SESSION_SECRET: same-for-both-77
              DATABASE_URL: postgres://web:pw-web-4c@db/web
          2worker:
            image: example/worker:1
            environment:
              API_TOKEN: token-for-worker-9b2e
              SESSION_SECRET: same-for-both-77
              DATABASE_URL: postgres://worker:pw-worker-5d@db/worker
          db:
            image: postgres:16
    """)
    web = {e["name"]: e for e in c.container("web")["env"]}
    worker = {e["name"]: e for e in c.container("2worker")["env"]}
    assert web["API_TOKEN"] == {"name": "API_TOKEN", **secret_ref("WEB_API_TOKEN")}
    assert worker["API_TOKEN"] == {"name": "API_TOKEN", **secret_ref("_2WORKER_API_TOKEN")}
    assert web["SESSION_SECRET"] == worker["SESSION_SECRET"] == {"name": "SESSION_SECRET",
                                                                 **secret_ref("SESSION_SECRET")}
    assert web["DATABASE_URL"]["value"] == "postgres://web:$(WEB_DATABASE_URL_PASSWORD)@db/web"
    assert worker["DATABASE_URL"]["value"] == "postgres://worker:$(_2WORKER_DATABASE_URL_PASSWORD)@db/worker"
    assert "_2WORKER_API_TOKEN" not in worker and "WEB_API_TOKEN" not in web  # read by API_TOKEN itself
    warning = [d for d in c.diagnostics if d.code == "W-SECRET-LITERAL" and "API_TOKEN" in d.message][0]
    assert "under the key WEB_API_TOKEN (other services set API_TOKEN to other values)" in warning.message
    for value in ("token-for-web-1f3a", "token-for-worker-9b2e", "same-for-both-77", "pw-web-4c", "pw-worker-5d"):
        assert_nowhere(c, value)
    assert sorted(k.key for k in c.plan.secret_keys) == [
        "SESSION_SECRET", "WEB_API_TOKEN", "WEB_DATABASE_URL_PASSWORD", "_2WORKER_API_TOKEN",
        "_2WORKER_DATABASE_URL_PASSWORD"]


def test_a_required_secret_variable_that_is_unset_is_resolved_in_the_cluster(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            environment:
              DB_PASSWORD: ${DB_PASSWORD:?must be set}
    """)
    assert env(c, "web")["DB_PASSWORD"] == {"name": "DB_PASSWORD", **secret_ref("DB_PASSWORD")}
    assert [(k.secret, k.key, k.required) for k in c.plan.secret_keys] == [("shop-secrets", "DB_PASSWORD", True)]


def test_a_required_plain_variable_that_is_unset_is_an_error_naming_it(compile_error):
    errors = compile_error("""
        name: shop
        services:
          web:
            image: example/web:1
            environment:
              THING: ${REQUIRED_THING:?must be set}
    """)
    error = only(errors, "E-VARIABLE-REQUIRED")
    assert error.message == "required variable REQUIRED_THING is not set: must be set"
    assert error.position.line == 7


def test_a_literal_secret_in_compose_becomes_a_reference_with_a_warning(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            environment:
              API_KEY: abc123
    """)
    assert c.container("web")["env"] == [{"name": "API_KEY", **secret_ref("API_KEY")}]
    warning = only(c.diagnostics, "W-SECRET-LITERAL")
    assert "service 'web': API_KEY" in warning.message and "abc123" not in warning.message
    assert_nowhere(c, "abc123")


def test_plain_text_is_escaped_against_kubernetes_expansion(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          web:
            image: example/web:1
            environment:
              GREETING: "home is $$(HOME)"
              FROM_SHELL: ${FROM_SHELL}
    """, environ={"FROM_SHELL": "cd $(HOME)"})
    # Compose reads `$$` as `$`, so both values hold `$(HOME)`; Kubernetes must not expand it.
    assert env(c, "web")["GREETING"] == {"name": "GREETING", "value": "home is $$(HOME)"}
    assert env(c, "web")["FROM_SHELL"] == {"name": "FROM_SHELL", "value": "cd $$(HOME)"}


def test_a_shell_variable_in_a_command_is_kept_for_the_shell(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          cache:
            image: example/cache:1
            command: ["sh", "-c", "exec x --pw \\"$$REDIS_PASSWORD\\""]
    """)
    assert c.container("cache")["args"] == ["sh", "-c", 'exec x --pw "$REDIS_PASSWORD"']
    assert "command" not in c.container("cache")


def test_compose_secrets_become_a_projected_volume_at_run_secrets(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          db:
            image: example/db:1
            secrets: [db_pw]
        secrets:
          db_pw:
            file: ./db_pw.txt
    """, files={"db_pw.txt": "s3cr3t-file-content\n"})
    assert {"name": "compose-secrets", "mountPath": "/run/secrets", "readOnly": True} in c.container("db")["volumeMounts"]
    volume = next(v for v in c.pod("db")["volumes"] if v["name"] == "compose-secrets")
    assert volume["projected"]["sources"] == [
        {"secret": {"name": "shop-db-pw", "items": [{"key": "db_pw", "path": "db_pw"}]}},
    ]
    assert not [m for m in c.manifests if m["kind"] == "Secret"]  # the cluster provides it
    assert_nowhere(c, "s3cr3t-file-content")


def test_a_secret_with_an_absolute_target_is_mounted_at_that_path_as_compose_does(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          proxy:
            image: example/proxy:1
            secrets:
              - source: tls_key
                target: /etc/ssl/private/site.key
              - source: api_token
                target: token
        secrets:
          tls_key: {file: ./site.key}
          api_token: {environment: API_TOKEN}
    """, files={"site.key": "-----BEGIN PRIVATE KEY-----\n"}, environ={"API_TOKEN": "t0ken-value"})
    mounts = c.container("proxy")["volumeMounts"]
    assert {"name": "secret-tls-key", "mountPath": "/etc/ssl/private/site.key", "readOnly": True,
            "subPath": "tls_key"} in mounts
    assert {"name": "compose-secrets", "mountPath": "/run/secrets", "readOnly": True} in mounts
    volumes = {v["name"]: v for v in c.pod("proxy")["volumes"]}
    assert volumes["secret-tls-key"]["secret"] == {"secretName": "shop-tls-key", "defaultMode": 0o440,
                                                   "items": [{"key": "tls_key", "path": "tls_key"}]}
    assert volumes["compose-secrets"]["projected"]["sources"] == [
        {"secret": {"name": "shop-api-token", "items": [{"key": "api_token", "path": "token"}]}}]
    assert_nowhere(c, "t0ken-value")
    assert_nowhere(c, "BEGIN PRIVATE KEY")


def test_the_plan_lists_every_secret_key_with_who_reads_it(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          api:
            image: example/api:1
            environment:
              DB_PASSWORD: ${DB_PASSWORD}
              SENTRY_DSN: ${SENTRY_DSN:-}
            secrets: [db_pw]
          worker:
            image: example/worker:1
            environment:
              DATABASE_URL: postgresql://u:${DB_PASSWORD}@db/app
        secrets:
          db_pw:
            file: ./db_pw.txt
    """, files={"db_pw.txt": "x\n"})
    assert [(k.secret, k.key, k.required, k.used_by) for k in c.plan.secret_keys] == [
        ("shop-db-pw", "db_pw", True, ("api",)),
        ("shop-secrets", "DB_PASSWORD", True, ("api", "worker")),
        ("shop-secrets", "SENTRY_DSN", False, ("api",)),
    ]
    # An optional variable (${VAR:-}) makes an optional reference.
    assert env(c, "api")["SENTRY_DSN"]["valueFrom"]["secretKeyRef"] == {"name": "shop-secrets", "key": "SENTRY_DSN",
                                                                        "optional": True}


def test_a_file_variable_holding_a_path_is_not_a_secret(compile_compose):
    c = compile_compose("""
        services:
          db:
            image: postgres:16.4
            environment:
              POSTGRES_PASSWORD_FILE: /run/secrets/db_password
              API_KEY: literal-key
            secrets: [db_password]
        secrets:
          db_password: {file: ./pw.txt}
    """, files={"pw.txt": "x\n"})
    env = {e["name"]: e for e in c.container("db")["env"]}
    assert env["POSTGRES_PASSWORD_FILE"] == {"name": "POSTGRES_PASSWORD_FILE", "value": "/run/secrets/db_password"}
    assert "secretKeyRef" in env["API_KEY"]["valueFrom"]
    warning = only(c.diagnostics, "W-SECRET-LITERAL")
    assert "API_KEY" in warning.message and "Name(" not in warning.message
    assert warning.position.line == 7  # the variable itself


def test_an_external_secret_is_mounted_by_its_own_name_with_the_uses_mode(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          api:
            image: example/api:1
            secrets:
              - source: stripe
                mode: 0400
              - source: tls
                target: /etc/tls/key.pem
        secrets:
          stripe:
            external: true
            name: payments-stripe
          tls:
            file: ./tls.key
    """, files={"tls.key": "k"})
    volumes = {v["name"]: v for v in c.pod("api")["volumes"]}
    assert volumes["compose-secrets"]["projected"]["sources"] == [
        {"secret": {"name": "payments-stripe", "items": [{"key": "stripe", "path": "stripe", "mode": 0o400}]}}]
    assert volumes["secret-tls"]["secret"]["secretName"] == "shop-tls"


def test_an_external_secret_whose_name_kubernetes_refuses_is_an_error(compile_error):
    errors = compile_error("""
        services:
          api:
            image: example/api:1
            secrets: [Stripe_Key]
        secrets:
          Stripe_Key:
            external: true
    """)
    assert only(errors, "E-SECRET-EXTERNAL").position.line == 8


def test_a_value_an_env_file_builds_from_a_secret_is_secret_too(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          api:
            image: example/api:1
            env_file: [app.env]
            environment:
              HOOK: ${CALLBACK_URL}
    """, files={"app.env": "API_SECRET=s3cr3t-value\nWEBHOOK=https://hook.example/${API_SECRET}\n",
                ".env": "SIGNING_KEY=k3y-value\nCALLBACK_URL=https://cb.example/?sig=${SIGNING_KEY}\n"})
    env = {e["name"]: e for e in c.container("api")["env"]}
    assert env["WEBHOOK"]["valueFrom"]["secretKeyRef"]["key"] == "WEBHOOK"
    # as any value built from a secret variable: a dependent variable on the Secret key
    assert env["HOOK"] == {"name": "HOOK", "value": "$(CALLBACK_URL)"}
    assert env["CALLBACK_URL"]["valueFrom"]["secretKeyRef"]["key"] == "CALLBACK_URL"
    assert_nowhere(c, "s3cr3t-value")
    assert_nowhere(c, "k3y-value")
