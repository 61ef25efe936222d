import socket
import time

import pytest

from app import create_app
from app import jwt_hs256

SECRET = "test-secret-0123456789abcdef0123456789abcdef"


def closed_port() -> int:
    """A localhost port with nothing listening (bound, read, released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def listener():
    """Open dummy TCP listeners on 127.0.0.1; returns a function giving a new one's port."""
    sockets = []

    def open_one() -> int:
        server = socket.create_server(("127.0.0.1", 0), backlog=16)
        sockets.append(server)
        return server.getsockname()[1]

    yield open_one
    for server in sockets:
        server.close()


@pytest.fixture
def make_app(tmp_path):
    def factory(**overrides):
        config = {
            "JWT_SECRET": SECRET,
            "DATABASE_URL": f"postgresql://atlantiplex:db-pass-S3CRET@127.0.0.1:{closed_port()}/atlantiplex",
            "REDIS_URL": f"redis://:redis-pass-S3CRET@127.0.0.1:{closed_port()}/1",
            "CORS_ORIGINS": "http://localhost,https://studio.atlantiplex.local",
            "RECORDINGS_DIR": str(tmp_path),
            "READY_TIMEOUT_SECONDS": 2.0,
            "TESTING": True,
        }
        config.update(overrides)
        return create_app(config)

    return factory


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def token():
    def make(sub="user-1", secret=SECRET, **claims):
        now = int(time.time())
        payload = {"sub": sub, "iat": now, "exp": now + 300}
        payload.update(claims)
        return jwt_hs256.encode(payload, secret)

    return make


@pytest.fixture
def auth(token):
    def headers(sub="user-1"):
        return {"Authorization": f"Bearer {token(sub=sub)}"}

    return headers
