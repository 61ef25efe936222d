import json
import logging
import runpy
from pathlib import Path

import pytest

from app import create_app
from app.config import from_env, parse_origins

HERE = Path(__file__).resolve().parent.parent


def test_config_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("JWT_SECRET", "env-secret-0123456789abcdef0123456789")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@postgres:5432/db")
    monkeypatch.setenv("REDIS_URL", "redis://:p@redis:6379/1")
    monkeypatch.setenv("CORS_ORIGINS", "http://localhost, https://studio.atlantiplex.local/ ,")
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    monkeypatch.setenv("MAX_CONTENT_LENGTH", "2048")
    monkeypatch.setenv("RECORDINGS_DIR", str(tmp_path))
    app = create_app()
    assert app.config["JWT_SECRET"] == "env-secret-0123456789abcdef0123456789"
    assert app.config["CORS_ORIGINS"] == ("http://localhost", "https://studio.atlantiplex.local")
    assert app.config["MAX_CONTENT_LENGTH"] == 2048
    assert logging.getLogger("atlantiplex").level == logging.WARNING
    # explicit config wins over the environment
    assert create_app({"MAX_CONTENT_LENGTH": 10}).config["MAX_CONTENT_LENGTH"] == 10


def test_defaults():
    config = from_env({})
    assert config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    assert config["RECORDINGS_DIR"] == "/app/recordings"
    assert config["READY_TIMEOUT_SECONDS"] == 2.0
    assert config["CORS_ORIGINS"] == ()
    assert parse_origins("a,a, b") == ("a", "b")


def test_missing_jwt_secret_refuses_to_start(monkeypatch):
    monkeypatch.delenv("JWT_SECRET", raising=False)
    with pytest.raises(RuntimeError, match="JWT_SECRET"):
        create_app({"RECORDINGS_DIR": "/nonexistent"})


def test_short_secret_is_a_warning(make_app, capsys):
    make_app(JWT_SECRET="short")
    lines = [json.loads(l) for l in capsys.readouterr().out.splitlines() if l.strip()]
    assert any(l["message"] == "JWT_SECRET is shorter than recommended" for l in lines)
    assert not any("short" == str(v) for l in lines for v in l.values())


def test_logs_are_json_lines_on_stdout(client, capsys):
    capsys.readouterr()
    client.get("/ready")
    out = capsys.readouterr().out.strip().splitlines()
    assert out
    for line in out:
        entry = json.loads(line)
        assert {"ts", "level", "logger", "message"} <= entry.keys()


def test_cors_allowlisted_origin(client):
    response = client.get("/health", headers={"Origin": "http://localhost"})
    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost"
    assert "Origin" in response.headers["Vary"]


def test_cors_other_origin_gets_no_cors_headers(client):
    response = client.get("/health", headers={"Origin": "https://evil.example"})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_preflight(client):
    response = client.options(
        "/api/recordings",
        headers={
            "Origin": "https://studio.atlantiplex.local",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "https://studio.atlantiplex.local"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]


def test_gunicorn_conf(monkeypatch):
    from gunicorn.config import Config

    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    namespace = runpy.run_path(str(HERE / "gunicorn.conf.py"))
    settings = {
        k: v
        for k, v in namespace.items()
        if not k.startswith("_") and not callable(v) and not hasattr(v, "__path__")
        and k not in {"os"}
    }
    cfg = Config()
    unknown = sorted(set(settings) - set(cfg.settings))
    assert unknown == [], f"not gunicorn settings: {unknown}"
    for key, value in settings.items():
        cfg.set(key, value)  # validates each value
    assert cfg.bind == ["0.0.0.0:5000"]
    assert cfg.workers == 3
    assert cfg.worker_tmp_dir == "/tmp"
    assert cfg.graceful_timeout == 25
    assert cfg.accesslog == "-"
    assert cfg.pidfile is None
    assert cfg.control_socket_disable is True
    assert cfg.loglevel == "debug"

    monkeypatch.delenv("WEB_CONCURRENCY")
    assert runpy.run_path(str(HERE / "gunicorn.conf.py"))["workers"] == 2
