"""Probes from compose healthchecks (or what we know of the image, or its ports).

Readiness mirrors the healthcheck; liveness uses the same check with a doubled failure
threshold, so a slow moment takes a pod out of the Service before it gets restarted; a
startup probe covers ``start_period`` so slow starters are not killed while booting.
"""
from __future__ import annotations

import math
import re
import shlex

from msgspec import Struct

from ..compose import Healthcheck, Service, Template
from ..diagnostics import Position, Reporter
from ..secretscan import SECRET_MARK, describe, scan_value
from .images import facts_for, runs_image_server
from .quantities import seconds

# Compose's defaults when a healthcheck leaves a timing out.
INTERVAL, TIMEOUT, RETRIES = 30, 30, 3
_LOCAL_URL = re.compile(r"^https?://(?:localhost|127\.0\.0\.1|\[::1\]|0\.0\.0\.0)(?::(\d+))?(/[^\s]*)?$")


def http_get_from(args: list[str]) -> dict | None:
    """``curl``/``wget`` of a local URL as an ``httpGet`` handler, else None."""
    words = list(args)
    while words and words[-1] in ("1", "exit", "||", "|| exit 1"):
        words.pop()
    if not words or words[0].rsplit("/", 1)[-1] not in ("curl", "wget"):
        return None
    urls = [w for w in words[1:] if not w.startswith("-")]
    options = [w for w in words[1:] if w.startswith("-")]
    allowed = {"-f", "--fail", "-s", "--silent", "-S", "--show-error", "-q", "--quiet", "--spider",
               "-fs", "-fsS", "-sf", "-sS", "-qO-", "-O-", "-o/dev/null", "-O", "-o", "/dev/null",
               "--no-verbose", "-fSs"}
    if len(urls) not in (1, 2) or any(o not in allowed for o in options):
        return None
    url_words = [u for u in urls if u not in ("-", "/dev/null")]
    if len(url_words) != 1:
        return None
    m = _LOCAL_URL.match(url_words[0])
    if not m:
        return None
    port = int(m.group(1) or (443 if url_words[0].startswith("https") else 80))
    handler = {"path": m.group(2) or "/", "port": port}
    if url_words[0].startswith("https"):
        handler["scheme"] = "HTTPS"
    return handler


def image_healthcheck(svc: Service) -> Healthcheck | None:
    """The Dockerfile's HEALTHCHECK, used when the compose file has none (as Docker does), for
    a service that runs the image's own process (a worker with its own command would be
    checked on the web server's port, and restarted forever)."""
    config = svc.image_config
    if config is None or config.healthcheck is None or not runs_image_server(svc):
        return None
    timing = config.health_timing
    return Healthcheck(test=config.healthcheck, disable=not config.healthcheck,
                       interval=timing.get("interval"), timeout=timing.get("timeout"),
                       start_period=timing.get("start_period"), retries=timing.get("retries"),
                       position=config.health_position)


def _handler(svc: Service, hc: Healthcheck, reporter: Reporter) -> dict | None:
    test = list(hc.test)
    words = ["".join(p if isinstance(p, str) else SECRET_MARK for p in w.parts) if isinstance(w, Template) else str(w)
             for w in test[1:]]
    found = [f for w in words for f in scan_value(w)]
    if found:
        reporter.error("E-SECRET-PROBE", f"service {svc.name!r}: the healthcheck holds {describe(found)}, which a "
                       "probe would write into the manifests: read it from a secret variable instead "
                       "(CMD-SHELL with $$VAR, the variable set from the Secret)", hc.position)
        return None
    if test[0] == "CMD":
        if any(isinstance(a, Template) for a in test[1:]):
            reporter.error("E-PROBE-SECRET", f"service {svc.name!r}: a CMD healthcheck cannot use "
                           "secret variables; use CMD-SHELL with $$VAR", hc.position)
            return None
        http = http_get_from(test[1:])
        return {"httpGet": http} if http else {"exec": {"command": [str(a) for a in test[1:]]}}
    command = test[1] if len(test) > 1 else ""
    if isinstance(command, Template):
        # The shell reads the secret from the container's environment at run time.
        command = command.render(lambda ref: "${" + ref.variable + "}")
    try:
        http = http_get_from(shlex.split(command))
    except ValueError:
        http = None
    if http:
        return {"httpGet": http}
    # CMD-SHELL: passed to sh as one argument, never re-split or re-quoted.
    return {"exec": {"command": ["sh", "-c", command]}}


def probes(svc: Service, ports: list[int], reporter: Reporter) -> dict:
    """readinessProbe, livenessProbe and startupProbe for a long-running container."""
    hc = svc.healthcheck if svc.healthcheck is not None else image_healthcheck(svc)
    known = facts_for(svc)
    handler = None
    period, timeout, retries, start = INTERVAL, TIMEOUT, RETRIES, None
    if hc and not hc.disable and hc.test:
        handler = _handler(svc, hc, reporter)
        period = seconds(hc.interval, INTERVAL)
        timeout = seconds(hc.timeout, TIMEOUT)
        retries = hc.retries if hc.retries is not None else RETRIES
        start = hc.start_period
    elif known and known.check and runs_image_server(svc) and not (hc and hc.disable):
        handler = {"exec": {"command": list(known.check)}}
        period, timeout, start = 10, 5, 30
    elif ports:
        handler = {"tcpSocket": {"port": ports[0]}}
        period, timeout = 10, 5
    if handler is None:
        if not (hc and hc.disable):
            reporter.warn("W-PROBE-NONE", f"service {svc.name!r} has no healthcheck and no port; "
                          "it gets no readiness or liveness probe", svc.position)
        return {}
    timeout = min(timeout, period)
    ready = {**handler, "periodSeconds": period, "timeoutSeconds": timeout,
             "failureThreshold": max(1, retries), "successThreshold": 1}
    live = {**handler, "periodSeconds": period, "timeoutSeconds": timeout,
            "failureThreshold": max(1, retries) * 2, "successThreshold": 1}
    result = {"readinessProbe": ready, "livenessProbe": live}
    if start:
        step = min(period, 10)
        result["startupProbe"] = {**handler, "periodSeconds": step, "timeoutSeconds": min(timeout, step),
                                  "failureThreshold": math.ceil(start / step) + max(1, retries),
                                  "successThreshold": 1}
    return result


class ProbeOverride(Struct, frozen=True):
    """One probe as a label (``kompose.service.healthcheck.<probe>.*``) sets it: a check (a
    compose-style ``test``, an HTTP GET or a TCP port) and timings; what it leaves out comes
    from the probe the healthcheck gave."""

    test: tuple | None = None  # ("CMD", args…) or ("CMD-SHELL", command)
    http_path: str | None = None
    http_port: int | None = None
    tcp_port: int | None = None
    interval: float | None = None  # seconds
    timeout: float | None = None
    retries: int | None = None
    start_period: float | None = None  # the probe's initialDelaySeconds
    position: Position | None = None


def override_probe(svc: Service, base: dict | None, spec: ProbeOverride, ports: list[int],
                   reporter: Reporter, what: str) -> dict | None:
    """``base`` (a readiness or liveness probe, or None) with what ``spec`` sets."""
    handler: dict | None = None
    if spec.test:
        handler = _handler(svc, Healthcheck(test=spec.test, position=spec.position), reporter)
    elif spec.http_path is not None or spec.http_port is not None:
        port = spec.http_port or (ports[0] if ports else None)
        if port is None:
            reporter.error("E-KOMPOSE", f"service {svc.name!r}: the {what} HTTP check needs "
                           "http_get_port: the service declares no port", spec.position)
            return None
        handler = {"httpGet": {"path": spec.http_path or "/", "port": port}}
    elif spec.tcp_port is not None:
        handler = {"tcpSocket": {"port": spec.tcp_port}}
    elif base:
        handler = {k: v for k, v in base.items() if k in ("exec", "httpGet", "tcpSocket", "grpc")}
    if handler is None:
        reporter.error("E-KOMPOSE", f"service {svc.name!r}: the {what} labels set timings but no "
                       "check, and the service has no healthcheck or port to take one from: add "
                       "test, http_get_path or tcp_port", spec.position)
        return None
    port = (handler.get("httpGet") or handler.get("tcpSocket") or {}).get("port")
    if port is not None and port not in ports:
        reporter.error("E-KOMPOSE", f"service {svc.name!r}: the {what} probe checks port {port}, "
                       f"which the service does not declare (add it to expose)", spec.position)
        return None
    base = base or {"periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": RETRIES}
    period = seconds(spec.interval, base["periodSeconds"])
    probe = {**handler, "periodSeconds": period,
             "timeoutSeconds": min(seconds(spec.timeout, base["timeoutSeconds"]), period),
             "failureThreshold": spec.retries or base["failureThreshold"], "successThreshold": 1}
    delay = spec.start_period if spec.start_period is not None else base.get("initialDelaySeconds")
    if delay:
        probe["initialDelaySeconds"] = math.ceil(delay)
    return probe
