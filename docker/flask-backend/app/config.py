"""Configuration from the environment (docker-compose.yml `flask-backend` sets these).

JWT_SECRET      HS256 signing secret (required)
DATABASE_URL    postgresql://user:pass@host:5432/db  (checked by /ready; never logged)
REDIS_URL       redis://:pass@host:6379/1            (checked by /ready; never logged)
CORS_ORIGINS    comma-separated allowlist of exact origins, e.g. http://localhost
LOG_LEVEL       debug | info | warning | error (default info)
MAX_CONTENT_LENGTH     largest accepted request body in bytes (default 1 MiB)
RECORDINGS_DIR  where recording metadata is stored (default /app/recordings, a volume)
READY_TIMEOUT_SECONDS  TCP connect timeout of each /ready check (default 2)
"""

from __future__ import annotations

import os
from typing import Any, Mapping

DEFAULT_MAX_CONTENT_LENGTH = 1024 * 1024
DEFAULT_RECORDINGS_DIR = "/app/recordings"
DEFAULT_READY_TIMEOUT_SECONDS = 2.0


def parse_origins(value: str | None) -> tuple[str, ...]:
    """'http://a, https://b,' -> ('http://a', 'https://b'); trailing slashes are dropped."""
    if not value:
        return ()
    origins = []
    for item in value.split(","):
        origin = item.strip().rstrip("/")
        if origin and origin not in origins:
            origins.append(origin)
    return tuple(origins)


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    value = int(raw)
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer")
    return value


def _float(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    value = float(raw)
    if not value > 0:
        raise ValueError(f"{name} must be a positive number")
    return value


def from_env(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    env = os.environ if environ is None else environ
    return {
        "JWT_SECRET": env.get("JWT_SECRET", ""),
        "DATABASE_URL": env.get("DATABASE_URL", ""),
        "REDIS_URL": env.get("REDIS_URL", ""),
        "CORS_ORIGINS": parse_origins(env.get("CORS_ORIGINS")),
        "LOG_LEVEL": env.get("LOG_LEVEL", "info"),
        "MAX_CONTENT_LENGTH": _int(env, "MAX_CONTENT_LENGTH", DEFAULT_MAX_CONTENT_LENGTH),
        "RECORDINGS_DIR": env.get("RECORDINGS_DIR", "") or DEFAULT_RECORDINGS_DIR,
        "READY_TIMEOUT_SECONDS": _float(
            env, "READY_TIMEOUT_SECONDS", DEFAULT_READY_TIMEOUT_SECONDS
        ),
    }
