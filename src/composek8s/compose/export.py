"""The typed ``Project`` as ``docker compose config --format json`` prints it.

Only the fields the compiler consumes are written, in Compose's own shape (long syntax,
absolute paths, durations as Go prints them, sizes in bytes as strings), so the output of
``composek8s config`` can be compared with the real Docker Compose (tests/test_compose_oracle.py).

Secret variables are never resolved by the loader (see ``interpolate``): a value that uses
one is written back as ``${NAME}`` text. As Compose does, every other ``$`` is written as ``$$``,
so the output is valid Compose input that reads back to the same values.
"""
from __future__ import annotations

import posixpath
import re
from pathlib import Path

from .interpolate import SecretRef, Template
from .model import Mount, Port, Project, Service


def export_project(project: Project) -> dict:
    """The project as a JSON-ready dict in the shape of ``docker compose config --format json``."""
    services = {name: _service(svc, project.directory) for name, svc in sorted(project.services.items())}
    out: dict = {"name": project.name, "services": services}
    networks = {name: _definition(spec, project.directory) for name, spec in project.networks.items()}
    if any("default" in svc.get("networks", {}) for svc in services.values()):
        networks.setdefault("default", {})
    for key, section in (("networks", networks),
                         ("volumes", _definitions(project.volumes, project.directory)),
                         ("secrets", _definitions(project.secrets, project.directory)),
                         ("configs", _definitions(project.configs, project.directory))):
        if section:
            out[key] = section
    return _escape(out)


class _Rendered(str):
    """Text already escaped for output (a rendered ``Template``)."""


def _escape(value: object) -> object:
    """Every ``$`` of loaded text as ``$$``, except in rendered templates (already escaped)."""
    if isinstance(value, _Rendered):
        return str(value)
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, dict):
        return {_escape(k): _escape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escape(v) for v in value]
    return value


def _text(value: object) -> object:
    """A loaded value as text; secret variables are written back as ``${NAME}``."""
    if isinstance(value, Template):
        return _Rendered("".join(p.replace("$", "$$") if isinstance(p, str) else "${" + p.variable + "}"
                                 for p in value.parts))
    if isinstance(value, SecretRef):
        return _Rendered("${" + value.variable + "}")
    return value


def _abs(directory: Path, path: str) -> str:
    """A relative path resolved against the project directory, as Compose does."""
    if path.startswith("/"):
        return posixpath.normpath(path)
    if re.match(r"^[A-Za-z]:[\\/]", path):  # a Windows host path is absolute too, kept as written
        return path
    return posixpath.normpath(posixpath.join(directory.resolve().as_posix(), path))


def go_duration(seconds: float) -> str:
    """Seconds as Go's ``time.Duration.String()`` writes them (``1m30s``, ``500ms``, ``1h0m0s``)."""
    ns = round(seconds * 1e9)
    if ns == 0:
        return "0s"
    sign, ns = ("-", -ns) if ns < 0 else ("", ns)
    if ns < 1_000_000_000:
        for unit, size in (("ms", 1_000_000), ("µs", 1_000), ("ns", 1)):
            if ns >= size:
                return sign + _fraction(ns, size) + unit
    hours, rest = divmod(ns, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    text = _fraction(rest, 1_000_000_000) + "s"
    if hours or minutes:
        text = f"{minutes}m" + text
    if hours:
        text = f"{hours}h" + text
    return sign + text


def _fraction(value: int, unit: int) -> str:
    whole, frac = divmod(value, unit)
    if not frac:
        return str(whole)
    digits = str(frac).rjust(len(str(unit)) - 1, "0").rstrip("0")
    return f"{whole}.{digits}"


def _port(port: Port) -> dict:
    out: dict = {"target": port.target}
    if port.published is not None:
        out["published"] = port.published
    out["protocol"] = port.protocol
    if port.name:
        out["name"] = port.name
    return out


def _mount(mount: Mount, directory: Path) -> dict:
    out: dict = {"type": mount.type}
    if mount.source:
        out["source"] = _abs(directory, mount.source) if mount.type == "bind" else mount.source
    out["target"] = mount.target
    if mount.read_only:
        out["read_only"] = True
    return out


def _tmpfs(mount: Mount) -> str:
    return mount.target + (f":size={mount.tmpfs_size}" if mount.tmpfs_size is not None else "")


def _service(svc: Service, directory: Path) -> dict:
    out: dict = {}
    if svc.image is not None:
        out["image"] = svc.image
    if svc.build is not None:
        build = {"context": _abs(directory, svc.build.context), "dockerfile": svc.build.dockerfile}
        if svc.build.target is not None:
            build["target"] = svc.build.target
        out["build"] = build
    out["command"] = None if svc.command is None else [_text(c) for c in svc.command]
    out["entrypoint"] = None if svc.entrypoint is None else [_text(c) for c in svc.entrypoint]
    if svc.environment:
        out["environment"] = {k: _text(v) for k, v in svc.environment.items()}
    if svc.ports:
        out["ports"] = [_port(p) for p in svc.ports]
    if svc.expose:
        out["expose"] = [str(p.target) + ("" if p.protocol == "tcp" else f"/{p.protocol}")
                         for p in svc.expose]
    if svc.volumes:
        out["volumes"] = [_mount(m, directory) for m in svc.volumes]
    if svc.tmpfs:
        out["tmpfs"] = [_tmpfs(m) for m in svc.tmpfs]
    if svc.healthcheck is not None:
        out["healthcheck"] = _healthcheck(svc)
    for key in ("user", "network_mode", "restart", "platform", "stop_signal", "working_dir"):
        if getattr(svc, key) is not None:
            out[key] = getattr(svc, key)
    for key in ("cap_add", "cap_drop", "security_opt", "profiles"):
        if getattr(svc, key):
            out[key] = list(getattr(svc, key))
    for key in ("privileged", "read_only"):
        if getattr(svc, key):
            out[key] = True
    deploy = _deploy(svc)
    if deploy:
        out["deploy"] = deploy
    if svc.depends_on:
        out["depends_on"] = {name: {"condition": dep.condition, "required": dep.required,
                                    **({"restart": True} if dep.restart else {})}
                             for name, dep in svc.depends_on.items()}
    if svc.labels:
        out["labels"] = {k: label.value for k, label in svc.labels.items()}
    if svc.sysctls:
        out["sysctls"] = {k: str(v) for k, v in svc.sysctls.items()}
    if svc.secrets:
        out["secrets"] = [{"source": s.source, "target": s.target if s.target != s.source
                           else f"/run/secrets/{s.source}", **_mode(s.mode)} for s in svc.secrets]
    if svc.configs:
        out["configs"] = [{"source": c.source, **({"target": c.target} if c.target else {}), **_mode(c.mode)}
                          for c in svc.configs]
    if svc.network_mode is None:
        out["networks"] = {name: None for name in (svc.networks or ["default"])}
    if svc.stop_grace_period is not None:
        out["stop_grace_period"] = go_duration(svc.stop_grace_period)
    return out


def _mode(mode: int | None) -> dict:
    """A file mode as Compose prints it: octal text (``"0440"``)."""
    return {} if mode is None else {"mode": f"0{mode:o}"}


def _healthcheck(svc: Service) -> dict:
    check = svc.healthcheck
    assert check is not None
    if check.disable:
        return {"disable": True}
    out: dict = {}
    if check.test:
        out["test"] = [_text(t) for t in check.test]
    for key in ("interval", "timeout", "start_period"):
        if getattr(check, key) is not None:
            out[key] = go_duration(getattr(check, key))
    if check.retries is not None:
        out["retries"] = check.retries
    return out


def _deploy(svc: Service) -> dict:
    out: dict = {}
    if svc.replicas is not None:
        out["replicas"] = svc.replicas
    res = svc.resources
    if res is not None:
        resources: dict = {}
        for section, cpus, memory in (("limits", res.cpu_limit, res.memory_limit),
                                      ("reservations", res.cpu_request, res.memory_request)):
            entry: dict = {}
            if cpus is not None:
                entry["cpus"] = cpus
            if memory is not None:
                entry["memory"] = str(memory)
            if entry:
                resources[section] = entry
        if resources:
            out["resources"] = resources
    if svc.update_config is not None:
        update = svc.update_config
        out["update_config"] = {"parallelism": update.parallelism, "order": update.order,
                                **({"delay": go_duration(update.delay)} if update.delay is not None else {})}
    if svc.restart_policy is not None:
        policy = svc.restart_policy
        out["restart_policy"] = {"condition": policy.condition, **(
            {"max_attempts": policy.max_attempts} if policy.max_attempts is not None else {})}
    return out


def _definitions(section: dict, directory: Path) -> dict:
    return {name: _definition(spec, directory) for name, spec in section.items()}


def _definition(spec: dict, directory: Path) -> dict:
    """A top-level volume, network, secret or config: the fields the compiler reads."""
    out: dict = {}
    for key in ("external", "environment", "content", "driver"):
        if spec.get(key) is not None:
            out[key] = _text(spec[key])
    if isinstance(spec.get("file"), str):
        out["file"] = _abs(directory, spec["file"])
    return out
