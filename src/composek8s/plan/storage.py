"""Volumes: claims for data, emptyDirs for scratch space, ConfigMaps for project files.

- Named volumes of a StatefulSet become ``volumeClaimTemplates`` (retained on delete).
- A named volume on a Deployment becomes a PersistentVolumeClaim, unless it only holds
  logs: those become an emptyDir, with a warning that logs belong on stdout.
- Compose ``tmpfs`` becomes a memory-backed emptyDir with the same size limit; every other
  path the image writes (``/tmp``, known image paths) gets a small disk emptyDir, so the
  root filesystem can stay read-only.
- Bind mounts of files inside the project become ConfigMaps (at most ``CONFIGMAP_LIMIT``
  bytes); bind mounts of build contexts (source for live reload) are dropped with a warning;
  host paths are refused under the restricted profile.
"""
from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..compose import Mount, Project, Service
from ..compose.paths import inside_project
from ..diagnostics import CompileError, Reporter
from .images import facts_for
from .model import Name, Value
from .names import camel_key, dns_name, is_object_name
from .quantities import memory

if TYPE_CHECKING:
    from .draft import Draft, ProjectFacts

DEFAULT_CLAIM_SIZE = "1Gi"
SCRATCH_SIZE = "64Mi"
CONFIGMAP_LIMIT = 1024 * 1024  # bytes: the API server's object size limit is about 1 MiB
CONFIGMAP_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")  # what the API server accepts as a data key
# What images read the host's time zone from; a pod reads TZ (or keeps UTC) instead.
_HOST_TIME_ZONE = ("/etc/localtime", "/etc/timezone", "/usr/share/zoneinfo")
_SECRET_FILE = re.compile(r"(^\.env(\..*)?$|\.(key|pem|p12|pfx)$|^id_(rsa|ed25519|ecdsa)$|secret)", re.I)


@dataclass
class Storage:
    volumes: list[dict] = field(default_factory=list)
    mounts: list[dict] = field(default_factory=list)
    claim_templates: list[dict] = field(default_factory=list)
    claims: list[dict] = field(default_factory=list)  # PVC specs: {name, size, storageClass}
    config_maps: list[dict] = field(default_factory=list)  # {name, data, binaryData}
    needs_single_replica: bool = False
    # Pod volume names two different sources would share (a named volume `cfg-app` and the
    # config `app`): reported by the caller, never merged into one volume silently.
    clashes: list[str] = field(default_factory=list)

    def add(self, name: str, source: dict, target: str, read_only: bool = False, sub_path=None):
        existing = next((v for v in self.volumes if v["name"] == name), None)
        if existing is None:
            self.volumes.append({"name": name, **source})
        elif existing != {"name": name, **source}:
            self.clashes.append(name)
            return
        mount = {"name": name, "mountPath": target}
        if read_only:
            mount["readOnly"] = True
        if sub_path:
            mount["subPath"] = sub_path
        self.mounts.append(mount)




def _volume_name(prefix: str, path: str) -> str:
    return dns_name(f"{prefix}-{path}")


def _is_logs(mount: Mount) -> bool:
    """``app_logs`` or ``/var/log/app``: the word log(s), not ``catalog`` or ``/login``."""
    words = re.split(r"[^a-z0-9]+", (mount.source or "").lower()) + mount.target.lower().split("/")
    return any(w in ("log", "logs") for w in words)


def plan_volumes(draft: Draft) -> None:
    """Pass: each service's volumes (claims, emptyDirs, ConfigMaps of bind mounts)."""
    for svc, sd in draft.each():
        sd.storage = plan_storage(svc, draft.project, sd.kind == "StatefulSet", draft.facts, draft.reporter)


def report_clashes(draft: Draft) -> None:
    """Pass, once every mount is known: two sources that would share one pod volume name."""
    for svc, sd in draft.each():
        for clash in dict.fromkeys(sd.storage.clashes):
            draft.reporter.error("E-NAME-COLLISION", f"service {svc.name!r}: two of its mounts would be the "
                                 f"pod volume {clash!r} (a named volume and a config, secret or bind mount "
                                 "named alike): rename one", svc.position)


def plan_storage(svc: Service, project: Project, stateful: bool, facts: ProjectFacts,
                 reporter: Reporter) -> Storage:
    st = Storage()
    x_storage = svc.x_k8s.get("storage", {})
    key = camel_key(svc.name)
    shadows: list[tuple[Mount, str]] = []  # volumes that may only shadow a dropped source mount
    sources: list[Mount] = []  # bind mounts of source, dropped
    for mount in svc.volumes:
        definition = project.volumes.get(mount.source or "") or {}
        if mount.type == "volume" and mount.source and definition.get("external"):
            # An external volume exists already: mount its claim, make none.
            claim = str(definition.get("name") or mount.source)
            if not is_object_name(claim):
                where = project.definition_keys.get(("volumes", mount.source, "name" if "name" in definition
                                                     else "external"))
                reporter.error("E-VOLUME-EXTERNAL", f"external volume {mount.source!r}: {claim!r} is not a "
                               "PersistentVolumeClaim name (lowercase letters, digits, '-' and '.'); set "
                               "'name:' to the claim's name in the cluster", where)
                continue
            st.add(dns_name(mount.source), {"persistentVolumeClaim": {"claimName": claim}}, mount.target,
                   mount.read_only)
            st.needs_single_replica = True
            continue
        if mount.type == "volume" and mount.source:
            name = dns_name(mount.source)
            size = Value(f"{key}.persistence.size", str(x_storage.get("size", DEFAULT_CLAIM_SIZE)))
            if stateful:
                spec = {"accessModes": Value(f"{key}.persistence.accessModes", ["ReadWriteOnce"]),
                        "resources": {"requests": {"storage": size}},
                        "storageClassName": Value(f"{key}.persistence.storageClass",
                                                  x_storage.get("storageClass", ""), omit_empty=True)}
                st.claim_templates.append({"metadata": {"name": name}, "spec": spec})
                st.mounts.append({"name": name, "mountPath": mount.target, **({"readOnly": True} if mount.read_only else {})})
            elif _is_logs(mount):
                reporter.warn("W-VOLUME-LOGS", f"service {svc.name!r}: volume {mount.source!r} at "
                              f"{mount.target} holds logs; it becomes an emptyDir (in Kubernetes, "
                              "log to stdout and let the cluster collect it)", mount.position)
                st.add(name, {"emptyDir": {"sizeLimit": "256Mi"}}, mount.target, mount.read_only)
            else:
                st.claims.append({"name": name, "size": size, "storageClass": x_storage.get("storageClass")})
                st.add(name, {"persistentVolumeClaim": {"claimName": Name(name)}}, mount.target, mount.read_only)
                st.needs_single_replica = True
                shadows.append((mount, name))
        elif mount.type == "volume":
            st.add(_volume_name("anon", mount.target), {"emptyDir": {}}, mount.target, mount.read_only)
            shadows.append((mount, _volume_name("anon", mount.target)))
        elif mount.type == "bind":
            if _bind(svc, project, mount, st, facts, reporter):
                sources.append(mount)
        else:
            reporter.warn("W-VOLUME-TYPE", f"service {svc.name!r}: volume type {mount.type!r} has no "
                          "Kubernetes equivalent; ignored", mount.position)
    for mount, name in shadows:
        _drop_if_under_source(svc, mount, name, sources, st, reporter)
    covered = {m["mountPath"] for m in st.mounts}
    for tmpfs in svc.tmpfs:
        source = {"emptyDir": {"medium": "Memory", **({"sizeLimit": memory(tmpfs.tmpfs_size)} if tmpfs.tmpfs_size else {"sizeLimit": SCRATCH_SIZE})}}
        st.add(_volume_name("tmpfs", tmpfs.target), source, tmpfs.target)
        covered.add(tmpfs.target)
    known = facts_for(svc)
    declared = tuple(svc.image_config.volumes) if svc.image_config else ()
    for path in ("/tmp",) + (known.writable if known else ()) + declared:
        if path not in covered:
            st.add(_volume_name("scratch", path), {"emptyDir": {"sizeLimit": SCRATCH_SIZE}}, path)
            covered.add(path)
    return st


def _drop_if_under_source(svc: Service, mount: Mount, name: str, sources: list[Mount], st: Storage,
                          reporter: Reporter) -> None:
    """A volume inside a dropped source mount (``/app/node_modules`` under ``.:/app``, anonymous
    or named) only kept the image's files visible there: Docker fills a new volume from the
    image, an emptyDir or a new claim starts empty and would hide them. With the source gone
    it goes too (and its claim)."""
    target = mount.target.rstrip("/")
    outer = next((s for s in sources if target.startswith(s.target.rstrip("/") + "/")), None)
    if outer is None:
        return
    st.volumes = [v for v in st.volumes if v["name"] != name]
    st.mounts = [m for m in st.mounts if m["name"] != name]
    st.claims = [c for c in st.claims if c["name"] != name]
    st.needs_single_replica = any("persistentVolumeClaim" in v for v in st.volumes)
    what = f"volume {mount.source!r}" if mount.source else "anonymous volume"
    line = f" (line {outer.position.line})" if outer.position else ""
    reporter.warn("W-VOLUME-SOURCE", f"service {svc.name!r}: {what} at {mount.target} only keeps "
                  f"the image's files visible under the bind mount of {outer.source}{line}, which is "
                  f"dropped; dropped too, so the pod sees the image's {mount.target} (a new volume would "
                  "start empty and hide them)", mount.position)


def _bind(svc: Service, project: Project, mount: Mount, st: Storage, facts: ProjectFacts,
          reporter: Reporter) -> bool:
    """Map one bind mount; True when it is source for live reload, dropped."""
    source = mount.source or ""
    host_path = source.startswith(("/", "~"))
    if host_path and svc.x_k8s.get("podSecurity") == "privileged":
        st.add(_volume_name("host", mount.target), {"hostPath": {"path": source}}, mount.target, mount.read_only)
        return False
    if host_path:
        current = svc.x_k8s.get("podSecurity", "restricted")
        opt_out = "x-k8s: {podSecurity: privileged, reason: ...}"
        if source.endswith("docker.sock"):
            what, fix = "the Docker socket gives root on the host", f"opt the service out with {opt_out}"
        elif source.rstrip("/") in _HOST_TIME_ZONE:
            what = f"host path {source} (the host's time zone) is a hostPath volume"
            fix = "delete this line and set TZ in the environment (TZ: Europe/Berlin) for a zone other than UTC"
        else:
            what = f"host path {source} is a hostPath volume"
            fix = f"use a named volume (data) or a file inside the project (config), or opt out with {opt_out}"
        reporter.error("E-SECURITY-HOSTPATH", f"service {svc.name!r}: bind mount of {source}: {what}; "
                       f"refused by the {current} Pod Security profile: {fix}", mount.position)
        return False
    try:
        path = inside_project(project.directory, source, mount.position, f"bind mount {source!r}")
    except CompileError as exc:
        reporter.diagnostics.extend(exc.diagnostics)
        return False
    contexts = facts.build_contexts
    if any(path == c or c in path.parents or path in c.parents for c in contexts) and path.is_dir():
        reporter.warn("W-VOLUME-SOURCE", f"service {svc.name!r}: bind mount of {source} holds source "
                      "code for live reload; dropped (the image carries the code)", mount.position)
        return True
    if not path.exists():
        reporter.error("E-VOLUME-MISSING", f"service {svc.name!r}: bind mount source {source} does "
                       "not exist", mount.position)
        return False
    files = [path] if path.is_file() else sorted(p for p in path.iterdir() if p.is_file())
    if path.is_dir() and any(p.is_dir() for p in path.iterdir()):
        reporter.warn("W-VOLUME-NESTED", f"service {svc.name!r}: bind mount {source} has sub-folders; "
                      "only its top-level files become a ConfigMap", mount.position)
    refused = refuse_as_config_map(files, facts.secret_files)
    if refused:
        code, why = refused
        reporter.error(code, f"service {svc.name!r}: bind mount {source} {why}", mount.position)
        return False
    data, binary = file_data(files)
    relative = path.relative_to(project.directory.resolve()).as_posix()
    name = dns_name(f"{svc.name}-{relative}")
    st.config_maps.append({"name": name, "data": data, "binaryData": binary})
    volume = _volume_name("config", relative)
    if path.is_file():
        st.add(volume, {"configMap": {"name": Name(name)}}, mount.target, True, sub_path=path.name)
    else:
        st.add(volume, {"configMap": {"name": Name(name)}}, mount.target, True)
    if not mount.read_only:
        reporter.warn("W-VOLUME-READONLY", f"service {svc.name!r}: {source} is mounted read-only "
                      "(ConfigMaps cannot be written)", mount.position)
    return False


def config_map(metadata: dict, body: dict) -> dict:
    """A ConfigMap from ``{name, data, binaryData}`` (a bind mount's or a compose config's)."""
    cm: dict = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata}
    for key in ("data", "binaryData"):
        if body[key]:
            cm[key] = body[key]
    return cm


def file_data(files: list[Path]) -> tuple[dict, dict]:
    """ConfigMap ``data`` (UTF-8 text) and ``binaryData`` (base64) keyed by file name."""
    data, binary = {}, {}
    for f in files:
        raw = f.read_bytes()
        try:
            data[f.name] = raw.decode("utf-8")
        except UnicodeDecodeError:
            binary[f.name] = base64.b64encode(raw).decode("ascii")
    return data, binary


def refuse_as_config_map(files: list[Path], secret_files: frozenset[Path]) -> tuple[str, str] | None:
    """Why ``files`` cannot be one ConfigMap (code, reason), or None: the one admission rule
    for bind mounts and compose configs. Secret files would put secrets in the output; the
    API server refuses keys other than ``[-._a-zA-Z0-9]+`` and objects over about 1 MiB."""
    secret = [f.name for f in files if looks_secret(f.name) or f.resolve() in secret_files]
    if secret:
        return "E-SECRET-FILE", (f"holds {', '.join(secret)}, which look secret or are a secret's file; "
                                 "a ConfigMap would put them in the output: use compose secrets instead")
    bad = [f.name for f in files if not CONFIGMAP_KEY.match(f.name)]
    if bad:
        return "E-CONFIGMAP-KEY", (f"holds {', '.join(repr(b) for b in bad)}: a ConfigMap key (the file's "
                                   "name) may hold only letters, digits, '-', '_' and '.'; rename the file")
    total = sum(f.stat().st_size for f in files)
    if total > CONFIGMAP_LIMIT:
        return "E-CONFIGMAP-TOO-LARGE", f"holds {total:,} bytes; a ConfigMap holds at most {CONFIGMAP_LIMIT:,}"
    return None


def looks_secret(name: str) -> bool:
    """A file name that suggests key material or credentials (``.env``, ``*.pem``…)."""
    return bool(_SECRET_FILE.search(name))


__all__ = ["plan_volumes", "plan_storage", "refuse_as_config_map", "report_clashes",
           "Storage"]
