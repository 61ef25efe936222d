"""HTTP endpoints (all JSON).

GET  /health             liveness: 200 {"status": "ok"}, no dependency checks
GET  /ready              readiness: 200 when PostgreSQL and Redis accept TCP, else 503
GET  /api/recordings     the caller's recordings (Bearer JWT), ?limit=1..100
POST /api/recordings     create one (Bearer JWT); 400 with per-field errors on bad input
GET  /api/recordings/<id>  one of the caller's recordings (Bearer JWT), else 404
GET|POST /api/auth/verify  200 with the claims of a valid HS256 token, else 401
"""

from __future__ import annotations

import functools
import logging

from flask import Blueprint, current_app, g, jsonify, request, url_for

from . import jwt_hs256
from .jsonlog import APP_LOGGER
from .readiness import check_dependencies
from .recordings import ValidationError, parse_limit, validate_new_recording

log = logging.getLogger(f"{APP_LOGGER}.api")

bp = Blueprint("api", __name__)


@bp.get("/health")
def health():
    return jsonify({"status": "ok"})


@bp.get("/ready")
def ready():
    checks = check_dependencies(
        {
            "postgres": current_app.config.get("DATABASE_URL"),
            "redis": current_app.config.get("REDIS_URL"),
        },
        timeout=float(current_app.config["READY_TIMEOUT_SECONDS"]),
    )
    down = [name for name, state in checks.items() if state != "up"]
    if down:
        return (
            jsonify({"status": "unavailable", "down": down, "checks": checks}),
            503,
            {"Retry-After": "5"},
        )
    return jsonify({"status": "ready", "checks": checks})


def _unauthorized(reason: str):
    response = jsonify({"valid": False, "error": "invalid_token", "message": reason})
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def _verify(token: str | None):
    """(claims, None) for a valid token, else (None, reason)."""
    if not token:
        return None, "missing bearer token"
    try:
        return jwt_hs256.decode(token, current_app.config["JWT_SECRET"]), None
    except jwt_hs256.InvalidToken as exc:
        log.info("token rejected", extra={"reason": str(exc), "path": request.path})
        return None, str(exc)


def require_jwt(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        claims, reason = _verify(_bearer_token())
        if claims is None:
            return _unauthorized(reason)
        g.jwt_claims = claims
        return view(*args, **kwargs)

    return wrapper


@bp.route("/api/auth/verify", methods=["GET", "POST"])
def verify_token():
    token = _bearer_token()
    if token is None and request.method == "POST":
        body = request.get_json(silent=True)
        if isinstance(body, dict) and isinstance(body.get("token"), str):
            token = body["token"]
    claims, reason = _verify(token)
    if claims is None:
        return _unauthorized(reason)
    return jsonify({"valid": True, "claims": claims})


def _owner() -> str | None:
    sub = g.jwt_claims.get("sub")
    return sub if isinstance(sub, str) else None


def _bad_request(errors: dict[str, str]):
    return jsonify({"error": "validation_failed", "fields": errors}), 400


@bp.get("/api/recordings")
@require_jwt
def list_recordings():
    try:
        limit = parse_limit(request.args.get("limit"))
    except ValidationError as exc:
        return _bad_request(exc.errors)
    store = current_app.extensions["recording_store"]
    try:
        items = store.list(_owner(), limit)
    except OSError as exc:
        log.error("recording store unavailable", extra={"reason": type(exc).__name__})
        return jsonify({"error": "storage_unavailable"}), 503
    return jsonify({"items": items, "count": len(items)})


@bp.post("/api/recordings")
@require_jwt
def create_recording():
    if not request.is_json:
        return _bad_request({"body": "Content-Type must be application/json"})
    payload = request.get_json(silent=True)
    if payload is None:
        return _bad_request({"body": "must be valid JSON"})
    try:
        fields = validate_new_recording(payload)
    except ValidationError as exc:
        return _bad_request(exc.errors)
    store = current_app.extensions["recording_store"]
    try:
        record = store.create(fields, _owner())
    except OSError as exc:
        log.error("recording store unavailable", extra={"reason": type(exc).__name__})
        return jsonify({"error": "storage_unavailable"}), 503
    log.info("recording created", extra={"recording": record["id"]})
    response = jsonify(record)
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_recording", recording_id=record["id"])
    return response


@bp.get("/api/recordings/<recording_id>")
@require_jwt
def get_recording(recording_id: str):
    store = current_app.extensions["recording_store"]
    try:
        record = store.get(recording_id, _owner())
    except OSError as exc:
        log.error("recording store unavailable", extra={"reason": type(exc).__name__})
        return jsonify({"error": "storage_unavailable"}), 503
    if record is None:
        return jsonify({"error": "not_found", "message": "no such recording"}), 404
    return jsonify(record)
