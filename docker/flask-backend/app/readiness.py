"""TCP reachability of PostgreSQL and Redis for /ready.

Each URL is parsed with urllib.parse and only its host and port are used; the URL itself
(user, password, database) is never logged or returned. A dependency counts as up when a
TCP connection to host:port succeeds within the timeout (default 2 s). The checks run in
parallel so /ready answers within about one timeout even when both are down.
"""

from __future__ import annotations

import logging
import socket
from concurrent.futures import ThreadPoolExecutor, wait
from urllib.parse import urlsplit

from .jsonlog import APP_LOGGER

log = logging.getLogger(f"{APP_LOGGER}.readiness")

DEFAULT_PORTS = {
    "postgres": 5432,
    "postgresql": 5432,
    "redis": 6379,
    "rediss": 6379,
}


def tcp_target(url: str | None) -> tuple[str, int] | None:
    """(host, port) of a service URL, or None if it has no usable host."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:  # e.g. a non-numeric or out-of-range port
        return None
    if not host or not port:
        return None
    return host, port


def tcp_check(host: str, port: int, timeout: float) -> None:
    """Raise OSError unless host:port accepts a TCP connection within `timeout` seconds."""
    with socket.create_connection((host, port), timeout=timeout):
        pass


def _check_one(name: str, url: str | None, timeout: float) -> str:
    target = tcp_target(url)
    if target is None:
        log.warning("dependency not configured", extra={"dependency": name})
        return "not configured"
    try:
        tcp_check(*target, timeout=timeout)
    except OSError as exc:
        # The exception class only: messages can carry resolver details, and the URL
        # (with its password) must never reach the logs.
        log.warning(
            "dependency unreachable",
            extra={"dependency": name, "reason": type(exc).__name__},
        )
        return "down"
    return "up"


def check_dependencies(urls: dict[str, str | None], timeout: float) -> dict[str, str]:
    """{'postgres': 'up' | 'down' | 'not configured', ...} for each named URL."""
    executor = ThreadPoolExecutor(max_workers=max(1, len(urls)), thread_name_prefix="ready")
    try:
        futures = {
            name: executor.submit(_check_one, name, url, timeout) for name, url in urls.items()
        }
        # Name resolution has no timeout of its own; never wait much past the connect one.
        wait(futures.values(), timeout=timeout + 1.0)
        results = {}
        for name, future in futures.items():
            if future.done() and future.exception() is None:
                results[name] = future.result()
            else:
                log.warning(
                    "dependency check timed out", extra={"dependency": name}
                )
                results[name] = "down"
        return results
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
