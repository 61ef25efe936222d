"""Compose ``configs`` → ConfigMaps, each file mounted where Compose would place it.

A config defined by ``file:``, ``content:`` or ``environment:`` becomes one ConfigMap named
after the config (made once, however many services use it); each use mounts its one key at
``target`` (Compose's default: ``/<config>``) with ``subPath``, read-only, with the use's
``mode`` (Compose's default 0444). ``external: true`` refers to a ConfigMap that must already
exist in the namespace, named by ``name:`` or the config's own name.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..compose import ConfigUse, Project, Service
from ..compose.interpolate import Template
from ..compose.paths import inside_project
from ..diagnostics import CompileError, Reporter
from .model import Name, Namespace
from .names import dns_name, is_object_name, labels
from .binds import file_data, refuse_as_config_map, refuse_secret_content, refuse_special
from .facts import SecretFiles
from .storage import Storage, config_map

if TYPE_CHECKING:
    from .draft import Draft

DEFAULT_MODE = 0o444  # Compose mounts configs world-readable, read-only
MAX_MODE = 0o777  # a volume's defaultMode holds permission bits only


def plan_configs(draft: Draft) -> None:
    """Pass: a ConfigMap body for each compose config some service uses."""
    draft.configs = config_maps(draft.project, draft.facts.secret_files, draft.reporter)


def mount_all_configs(draft: Draft) -> None:
    """Pass: each service's configs mounted where Compose places them."""
    for svc, sd in draft.each():
        mount_configs(svc, draft.configs, sd.storage, draft.reporter)


def project_config_map(body: dict, project: str, namespace: str) -> dict:
    """The ConfigMap object of a compose config (one per config, shared by its users)."""
    return config_map({"name": Name(body["name"]), "namespace": Namespace(namespace),
                       "labels": labels(project, None, "config")}, body)


def config_maps(project: Project, secret_files: SecretFiles, reporter: Reporter) -> dict[str, dict]:
    """Compose config name → the ConfigMap's ``{name, data, binaryData}`` (or ``external``),
    for the configs some active service uses."""
    used = {use.source: use for svc in project.services.values() for use in svc.configs}
    made: dict[str, dict] = {}
    for source, use in sorted(used.items()):
        spec = project.configs.get(source)
        if spec is None:  # reported by the loader as an undefined reference
            continue
        body = _config_map(source, spec, project, secret_files, reporter)
        if body is not None:
            made[source] = body
    return made


def _config_map(source: str, spec: dict, project: Project, secret_files: SecretFiles,
                reporter: Reporter) -> dict | None:
    body = _plain_config_map(source, spec, project, secret_files, reporter)
    if body is None or "external" in body:
        return body
    what = (f"file {spec['file']}" if "file" in spec else "its content" if "content" in spec
            else f"its value (from the variable {spec.get('environment')})")
    refused = refuse_secret_content(body["data"], {source: what})
    if refused:
        key = "file" if "file" in spec else "content" if "content" in spec else "environment"
        reporter.error(refused[0], f"config {source!r}: {refused[1]}",
                       project.definition_keys.get(("configs", source, key)) or project.keys.get("configs"))
        return None
    return body


def _plain_config_map(source: str, spec: dict, project: Project, secret_files: SecretFiles,
                      reporter: Reporter) -> dict | None:
    def at(key: str):  # the definition's own line, in whichever file (included, -f) wrote it
        return project.definition_keys.get(("configs", source, key)) or project.keys.get("configs")

    if spec.get("external"):
        name = str(spec.get("name") or source)
        if not is_object_name(name):
            reporter.error("E-CONFIG-EXTERNAL", f"external config {source!r}: {name!r} is not a ConfigMap "
                           "name (lowercase letters, digits, '-' and '.'); set 'name:' to the ConfigMap's "
                           "name in the cluster", at("name" if "name" in spec else "external"))
            return None
        reporter.warn("W-CONFIG-EXTERNAL", f"config {source!r} is external: ConfigMap {name!r} must "
                      f"exist in the namespace with the key {source!r}", at("external"))
        return {"external": name, "key": source}
    if source in project.config_environment:
        return _body(source, {source: project.config_environment[source]}, {})
    if "content" in spec:
        content = spec["content"]
        if isinstance(content, Template):
            reporter.error("E-CONFIG-SECRET", f"config {source!r}: its content uses secret variables "
                           f"({', '.join(r.variable for r in content.secrets)}); a config becomes a "
                           "ConfigMap in the output: declare it under 'secrets'", at("content"))
            return None
        return _body(source, {source: str(content)}, {})
    if "file" in spec:
        try:
            path = inside_project(project.directory, str(spec["file"]), at("file"), f"config {source!r} file")
        except CompileError as exc:  # also reported by the loader
            reporter.diagnostics.extend(exc.diagnostics)
            return None
        if not path.exists() or path.is_dir():
            reporter.error("E-CONFIG-FILE", f"config {source!r}: file {spec['file']} does not exist "
                           "or is not a file", at("file"))
            return None
        try:  # a FIFO or a device: never read
            refuse_special(path, f"config {source!r} file {spec['file']}", at("file"))
        except CompileError as exc:
            reporter.diagnostics.extend(exc.diagnostics)
            return None
        refused = refuse_as_config_map([path], secret_files)
        if refused:
            code, why = refused
            reporter.error(code, f"config {source!r}: file {spec['file']} {why}", at("file"))
            return None
        return _body(source, *file_data([path]))
    reporter.error("E-CONFIG-SOURCE", f"config {source!r} needs 'file', 'content', 'environment' or "
                   "'external'", at("name"))
    return None


def _body(source: str, data: dict, binary: dict) -> dict:
    return {"name": dns_name(source), "data": data, "binaryData": binary}


def mount_configs(svc: Service, made: dict[str, dict], st: Storage, reporter: Reporter) -> None:
    """Mount each config the service uses, as Compose places it."""
    first_mode: dict[str, int] = {}  # config -> the mode of its first use here
    for use in svc.configs:
        body = made.get(use.source)
        if body is None:
            continue
        if use.owner:
            reporter.warn("W-CONFIG-OWNER", f"service {svc.name!r}: config {use.source!r} uid/gid are "
                          "ignored: mounted files belong to root and the pod's fsGroup", use.position)
        if use.mode is not None and not 0 <= use.mode <= MAX_MODE:
            reporter.error("E-CONFIG-MODE", f"service {svc.name!r}: config {use.source!r} mode "
                           f"0{use.mode:o} is not a file mode Kubernetes accepts (0 to 0777; "
                           "write it in octal, e.g. 0440 or \"0440\")", use.position)
            continue
        key = body.get("key") or next(iter({**body["data"], **body["binaryData"]}))
        target = _target(use)
        name = body["external"] if "external" in body else Name(body["name"])
        mode = use.mode if use.mode is not None else DEFAULT_MODE
        source = {"configMap": {"name": name, "items": [{"key": key, "path": key}], "defaultMode": mode}}
        # One pod volume per config and mode: the same config mounted twice with two modes
        # needs two volumes (a volume has one defaultMode).
        first = first_mode.setdefault(use.source, mode)
        volume = dns_name(f"cfg-{use.source}" if mode == first else f"cfg-{use.source}-{mode:o}")
        st.add(volume, source, target, True, sub_path=key)


def _target(use: ConfigUse) -> str:
    """Where Compose mounts a config: ``target`` (relative ones under /), else ``/<source>``."""
    target = use.target or use.source
    return target if target.startswith("/") else f"/{target}"


__all__ = ["plan_configs", "mount_all_configs", "config_maps", "mount_configs", "project_config_map"]
