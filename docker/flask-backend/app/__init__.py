"""Atlantiplex Studio Flask backend: the app factory.

    from app import create_app
    app = create_app()                       # configuration from the environment
    app = create_app({"JWT_SECRET": "..."})  # explicit values override the environment
"""

from __future__ import annotations

import logging
from typing import Any, Mapping

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from . import config as config_module
from .jsonlog import configure_app_logger, parse_level
from .recordings import RecordingStore

__all__ = ["create_app"]

MIN_SECRET_LENGTH = 32


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    settings = config_module.from_env()
    if config:
        settings.update(config)
    if isinstance(settings.get("CORS_ORIGINS"), str):
        settings["CORS_ORIGINS"] = config_module.parse_origins(settings["CORS_ORIGINS"])
    app.config.update(settings)
    app.json.sort_keys = False

    level = parse_level(str(app.config.get("LOG_LEVEL", "")))
    logger = configure_app_logger(level)
    # Flask's own app.logger (named after the package) logs JSON to stdout as well.
    configure_app_logger(level, name=app.import_name)

    secret = app.config.get("JWT_SECRET") or ""
    if not secret:
        raise RuntimeError("JWT_SECRET must be set")
    if len(secret) < MIN_SECRET_LENGTH:
        logger.warning(
            "JWT_SECRET is shorter than recommended",
            extra={"min_length": MIN_SECRET_LENGTH},
        )

    app.extensions["recording_store"] = RecordingStore(app.config["RECORDINGS_DIR"])

    from .routes import bp

    app.register_blueprint(bp)
    _register_cors(app)
    _register_security_headers(app)
    _register_error_handlers(app, logger)
    logger.info(
        "app created",
        extra={
            "cors_origins": list(app.config["CORS_ORIGINS"]),
            "max_content_length": app.config["MAX_CONTENT_LENGTH"],
        },
    )
    return app


CORS_ALLOW_METHODS = "GET, POST, OPTIONS"
CORS_ALLOW_HEADERS = "Authorization, Content-Type"


def _register_cors(app: Flask) -> None:
    """CORS for the exact origins in CORS_ORIGINS; any other origin gets no CORS headers."""

    @app.after_request
    def add_cors_headers(response):
        origin = request.headers.get("Origin")
        if not origin:
            return response
        response.vary.add("Origin")
        if origin.rstrip("/") not in app.config["CORS_ORIGINS"]:
            return response
        response.headers["Access-Control-Allow-Origin"] = origin
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            response.headers["Access-Control-Allow-Methods"] = CORS_ALLOW_METHODS
            response.headers["Access-Control-Allow-Headers"] = CORS_ALLOW_HEADERS
            response.headers["Access-Control-Max-Age"] = "600"
        return response


def _register_security_headers(app: Flask) -> None:
    @app.after_request
    def add_security_headers(response):
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
        headers.setdefault("Cache-Control", "no-store")
        return response


def _register_error_handlers(app: Flask, logger: logging.Logger) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        body = {"error": (exc.name or "error").lower().replace(" ", "_"), "message": exc.description}
        response = jsonify(body)
        response.status_code = exc.code or 500
        if exc.code == 405 and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def unhandled_error(exc: Exception):
        logger.error(
            "unhandled error",
            exc_info=exc,
            extra={"path": request.path, "method": request.method},
        )
        return jsonify({"error": "internal_server_error", "message": "internal error"}), 500
