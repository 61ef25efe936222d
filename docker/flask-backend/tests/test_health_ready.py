import json

import pytest

from app.readiness import tcp_target
from conftest import closed_port


def test_health_is_ok_without_dependencies(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_health_rejects_other_methods(client):
    response = client.post("/health")
    assert response.status_code == 405
    assert response.get_json()["error"] == "method_not_allowed"


def test_ready_503_when_both_dependencies_are_closed(client):
    response = client.get("/ready")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["down"] == ["postgres", "redis"]
    assert body["checks"] == {"postgres": "down", "redis": "down"}
    assert response.headers["Retry-After"] == "5"


def test_ready_200_when_both_accept_tcp(make_app, listener):
    app = make_app(
        DATABASE_URL=f"postgresql://u:p@127.0.0.1:{listener()}/db",
        REDIS_URL=f"redis://:p@localhost:{listener()}/1",
    )
    response = app.test_client().get("/ready")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ready",
        "checks": {"postgres": "up", "redis": "up"},
    }


@pytest.mark.parametrize("down", ["postgres", "redis"])
def test_ready_503_names_only_the_dependency_that_is_down(make_app, listener, down):
    ports = {"postgres": listener(), "redis": listener()}
    ports[down] = closed_port()
    app = make_app(
        DATABASE_URL=f"postgresql://u:p@127.0.0.1:{ports['postgres']}/db",
        REDIS_URL=f"redis://:p@127.0.0.1:{ports['redis']}/1",
    )
    response = app.test_client().get("/ready")
    assert response.status_code == 503
    assert response.get_json()["down"] == [down]


def test_ready_503_when_not_configured(make_app):
    response = make_app(DATABASE_URL="", REDIS_URL="").test_client().get("/ready")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {
        "postgres": "not configured",
        "redis": "not configured",
    }


def test_ready_never_logs_or_returns_the_urls(client, capsys):
    response = client.get("/ready")
    out = capsys.readouterr()
    logged = out.out + out.err
    assert response.status_code == 503
    for secret in ("db-pass-S3CRET", "redis-pass-S3CRET", "postgresql://", "redis://"):
        assert secret not in logged
        assert secret not in response.get_data(as_text=True)
    lines = [json.loads(line) for line in out.out.splitlines() if line.strip()]
    unreachable = [l for l in lines if l["message"] == "dependency unreachable"]
    assert {l["dependency"] for l in unreachable} == {"postgres", "redis"}
    assert all(l["level"] == "warning" for l in unreachable)


@pytest.mark.parametrize(
    "url, expected",
    [
        ("postgresql://u:p@postgres:5432/db", ("postgres", 5432)),
        ("postgresql://u:p@postgres/db", ("postgres", 5432)),
        ("postgres://db.internal/x", ("db.internal", 5432)),
        ("redis://:pw@redis:6379/1", ("redis", 6379)),
        ("redis://redis/0", ("redis", 6379)),
        ("rediss://:pw@cache:6380", ("cache", 6380)),
        ("redis://:pw@[::1]:6379/0", ("::1", 6379)),
        ("postgresql://u:p@host:notaport/db", None),
        ("postgresql://u:p@host:99999/db", None),
        ("postgresql:///db?host=/var/run/postgresql", None),
        ("http://example/", None),
        ("", None),
        (None, None),
    ],
)
def test_tcp_target_parsing(url, expected):
    assert tcp_target(url) == expected
