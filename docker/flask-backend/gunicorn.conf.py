"""gunicorn settings for the Atlantiplex Flask backend (gunicorn 27, see requirements.txt).

The container runs as uid 10002 on a read-only root filesystem with a tmpfs at /tmp
(docker-compose.yml), so nothing here writes outside /tmp: no pidfile, no control socket,
worker heartbeat files in /tmp.
"""

import os

from app.jsonlog import parse_level


def _positive_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    value = int(raw)
    if value < 1:
        raise ValueError(f"{name} must be >= 1")
    return value


bind = ["0.0.0.0:5000"]
workers = _positive_int("WEB_CONCURRENCY", 2)
worker_class = "sync"

# Heartbeat files of the workers: the default (a temp dir on the root filesystem) is
# read-only in the container; /tmp is a tmpfs.
worker_tmp_dir = "/tmp"

# SIGTERM (docker stop / Kubernetes) -> workers get this long to finish requests; it stays
# under the compose stop_grace_period of 30 s so gunicorn exits before SIGKILL.
graceful_timeout = 25
timeout = 30
keepalive = 5

# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = 1000
max_requests_jitter = 100

# No files on the root filesystem: no pidfile, and no control socket (gunicorn >= 25.1
# would otherwise create $HOME/.gunicorn/gunicorn.ctl for `gunicornc`).
pidfile = None
control_socket_disable = True

# Request-size limits at the HTTP parser (the app also sets MAX_CONTENT_LENGTH).
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

# Logs: access and error logs both to stdout, one JSON object per line
# (app.jsonlog.JsonFormatter, the same format as the app's own logs).
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").strip().lower() or "info"
if loglevel == "warn":
    loglevel = "warning"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "app.jsonlog.JsonFormatter"}},
    "handlers": {
        "stdout": {"class": "app.jsonlog.StdoutHandler", "formatter": "json"},
    },
    "root": {"level": parse_level(loglevel), "handlers": ["stdout"]},
    "loggers": {
        "gunicorn.error": {
            "level": parse_level(loglevel),
            "handlers": ["stdout"],
            "propagate": False,
        },
        "gunicorn.access": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
    },
}
