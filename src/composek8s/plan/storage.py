"""Volumes: claims for data, emptyDirs for scratch space, ConfigMaps for project files.

- Named volumes (and bind mounts that hold data, ``binds.py``) of a StatefulSet become
  ``volumeClaimTemplates`` (retained on delete); on a Deployment a PersistentVolumeClaim,
  unless a named volume only holds logs: an emptyDir, with a warning that logs belong on stdout.
- A data store's data path that compose mounts nothing at gets a claim too: Docker keeps an
  image's ``VOLUME`` in an anonymous volume that outlives the container (``W-VOLUME-ANONYMOUS``).
- Bind mounts of configuration become ConfigMaps; of source code, nothing; host paths are
  refused under the restricted profile (``binds.py``).
- Compose ``tmpfs`` becomes a memory-backed emptyDir with the same size limit; every other
  path the image writes (``/tmp``, known image paths, ``x-k8s.writable``) gets a small disk
  emptyDir, so the root filesystem can stay read-only. A path that must start with the
  image's own files there (``seed``) is filled by an init container first.
"""
from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from msgspec import Struct, field

from ..compose import Mount, Project, Service
from ..diagnostics import Reporter
from .binds import Bind, claim_name, data_paths
from .images import facts_for, runs_image_server
from .model import Name, Value
from .names import camel_key, dns_name, is_object_name
from .quantities import memory

if TYPE_CHECKING:
    from .draft import Draft

DEFAULT_CLAIM_SIZE = "1Gi"
SCRATCH_SIZE = "64Mi"
SEED_PATH = "/composek8s-seed"  # where a seeding init container sees the emptyDir it fills
DATA_STORE_ROLES = ("database", "queue", "search")  # whose data must outlive a pod


class Storage(Struct):
    volumes: list[dict] = field(default_factory=list)
    mounts: list[dict] = field(default_factory=list)
    claim_templates: list[dict] = field(default_factory=list)
    claims: list[dict] = field(default_factory=list)  # PVC specs: {name, size, storageClass}
    config_maps: list[dict] = field(default_factory=list)  # {name, data, binaryData}
    needs_single_replica: bool = False
    seeds: list[tuple[str, str]] = field(default_factory=list)  # (path, volume) to fill from the image
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
        sd.storage = plan_storage(svc, draft.project, sd.kind == "StatefulSet", sd.binds, draft.reporter)


def keeps_data(svc: Service, binds: list[Bind]) -> bool:
    """Whether the service keeps data on claims (a named volume, a bind mount of data, or a
    data store's data path compose mounts nothing at): a data store doing so is a StatefulSet."""
    named = any(m.type == "volume" and m.source for m in svc.volumes)
    return named or any(b.kind == "data" for b in binds) or bool(_unmounted_data(svc))


def _unmounted_data(svc: Service) -> list[str]:
    """A data store's data paths no compose mount holds (Docker keeps them in anonymous volumes)."""
    known = facts_for(svc)
    if not (known and known.stateful and known.role in DATA_STORE_ROLES and runs_image_server(svc)):
        return []
    targets = [PurePosixPath(m.target) for m in svc.volumes + svc.tmpfs]
    paths = [PurePosixPath(p) for p in known.data]
    # A mount at, above or below a data path holds it (postgres 18 declares VOLUME /var/lib/
    # postgresql, older tags /var/lib/postgresql/data: a mount at either holds the data);
    # of nested data paths only the outermost gets a claim.
    return [str(p) for p in paths
            if not any(t == p or t in p.parents or p in t.parents for t in targets)
            and not any(q in p.parents for q in paths)]


def report_clashes(draft: Draft) -> None:
    """Pass, once every mount is known: two sources that would share one pod volume name."""
    for svc, sd in draft.each():
        for clash in dict.fromkeys(sd.storage.clashes):
            draft.reporter.error("E-NAME-COLLISION", f"service {svc.name!r}: two of its mounts would be the "
                                 f"pod volume {clash!r} (a named volume and a config, secret or bind mount "
                                 "named alike): rename one", svc.position)


def plan_storage(svc: Service, project: Project, stateful: bool, binds: list[Bind],
                 reporter: Reporter) -> Storage:
    st = Storage()
    x_storage = svc.x_k8s.get("storage", {})
    key = camel_key(svc.name)
    shadows: list[tuple[Mount, str]] = []  # volumes that may only shadow a dropped source mount
    sources = [b.mount for b in binds if b.kind == "source"]  # dropped

    def claim(name: str, mount: Mount) -> None:
        """A claim (or claim template) for ``name``, mounted at ``mount.target``."""
        size = Value(f"{key}.persistence.size", str(x_storage.get("size", DEFAULT_CLAIM_SIZE)))
        if stateful:
            spec = {"accessModes": Value(f"{key}.persistence.accessModes", ["ReadWriteOnce"]),
                    "resources": {"requests": {"storage": size}},
                    "storageClassName": Value(f"{key}.persistence.storageClass",
                                              x_storage.get("storageClass", ""), omit_empty=True)}
            if not any(t["metadata"]["name"] == name for t in st.claim_templates):
                st.claim_templates.append({"metadata": {"name": name}, "spec": spec})
            st.mounts.append({"name": name, "mountPath": mount.target, **({"readOnly": True} if mount.read_only else {})})
        else:
            if not any(c["name"] == name for c in st.claims):
                st.claims.append({"name": name, "size": size, "storageClass": x_storage.get("storageClass")})
            st.add(name, {"persistentVolumeClaim": {"claimName": Name(name)}}, mount.target, mount.read_only)
            st.needs_single_replica = True

    by_mount = {id(b.mount): b for b in binds}
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
            if not stateful and _is_logs(mount):
                reporter.warn("W-VOLUME-LOGS", f"service {svc.name!r}: volume {mount.source!r} at "
                              f"{mount.target} holds logs; it becomes an emptyDir (in Kubernetes, "
                              "log to stdout and let the cluster collect it)", mount.position)
                st.add(name, {"emptyDir": {"sizeLimit": "256Mi"}}, mount.target, mount.read_only)
                continue
            claim(name, mount)
            if not stateful:
                shadows.append((mount, name))
        elif mount.type == "volume":
            st.add(_volume_name("anon", mount.target), {"emptyDir": {}}, mount.target, mount.read_only)
            shadows.append((mount, _volume_name("anon", mount.target)))
        elif mount.type == "bind":
            if id(mount) in by_mount:  # else refused, with its error, by binds.classify
                _bind(svc, by_mount[id(mount)], project, st, claim)
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
    for path in _unmounted_data(svc):
        name = dns_name(f"{svc.name}-data" if len(_unmounted_data(svc)) == 1 else f"{svc.name}-{path}")
        reporter.warn("W-VOLUME-ANONYMOUS", f"service {svc.name!r}: {svc.image} keeps its data in {path}, where "
                      "compose mounts no volume: Docker keeps it in an anonymous volume that outlives the "
                      f"container, so here it is the claim {name!r}", svc.keys.get("image", svc.position))
        claim(name, Mount(type="volume", target=path, source=name))
        covered.add(path)
    known = facts_for(svc)
    own = runs_image_server(svc)
    writable = _writable(svc)
    seeded = {path for path, seed in writable if seed} | (set(known.seeded) if known and own else set())
    data = {p for p, _ in data_paths(svc)}
    paths = ["/tmp", *(known.writable if known else ()), *data,
             *(known.seeded if known and own else ()), *(p for p, _ in writable)]
    for path in dict.fromkeys(paths):
        if path in covered or (path in data and _held(path, covered)):
            continue
        volume = _volume_name("scratch", path)
        # A data path holds what the service stores (WordPress copies itself there): more room.
        size = DEFAULT_CLAIM_SIZE if path in data and path not in (known.writable if known else ()) \
            else SCRATCH_SIZE
        st.add(volume, {"emptyDir": {"sizeLimit": size}}, path)
        covered.add(path)
        if path in seeded:
            st.seeds.append((path, volume))
    return st


def _held(path: str, mounted: set[str]) -> bool:
    """A mount at, above or below a data path already holds that data."""
    p = PurePosixPath(path)
    return any(t == p or t in p.parents or p in t.parents for t in map(PurePosixPath, mounted))


def _writable(svc: Service) -> list[tuple[str, bool]]:
    """``x-k8s.writable``: (path, seeded from the image) for each entry."""
    out = []
    for entry in svc.x_k8s.get("writable", []):
        if isinstance(entry, dict):
            out.append((str(entry["path"]), bool(entry.get("seed"))))
        else:
            out.append((str(entry), False))
    return out


def seed_containers(st: Storage, container: dict) -> list[dict]:
    """Init containers that copy the image's own files at each seeded path into its emptyDir
    before the service starts: the image writes there at start (a keystore, configuration
    generated from the environment), which a read-only root filesystem forbids. Same image,
    pull policy, security context and resources as the service's ``container``; `cp` is the
    only tool they need."""
    return [{"name": dns_name(f"seed-{path}"), "image": container["image"],
             "imagePullPolicy": container["imagePullPolicy"],
             "command": ["cp", "-R", f"{path.rstrip('/')}/.", f"{SEED_PATH}/"],
             "resources": container["resources"], "securityContext": container["securityContext"],
             "volumeMounts": [{"name": volume, "mountPath": SEED_PATH}]}
            for path, volume in st.seeds]


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


def _bind(svc: Service, bind: Bind, project: Project, st: Storage, claim) -> None:
    """Mount one classified bind mount: a hostPath (opted out), a claim (data) or a ConfigMap."""
    mount = bind.mount
    if bind.kind == "host":
        st.add(_volume_name("host", mount.target), {"hostPath": {"path": mount.source}}, mount.target,
               mount.read_only)
    elif bind.kind == "data":
        claim(claim_name(bind, project), mount)
        if bind.data:  # the small files of a folder too large for a ConfigMap, over the claim
            name = dns_name(f"{svc.name}-{bind.relative}")
            st.config_maps.append({"name": name, "data": bind.data, "binaryData": {}})
            volume = _volume_name("config", bind.relative)
            for key in sorted(bind.data):
                st.add(volume, {"configMap": {"name": Name(name)}}, f"{mount.target.rstrip('/')}/{key}", True,
                       sub_path=key)
    elif bind.kind == "config":
        name = dns_name(f"{svc.name}-{bind.relative}")
        if not any(cm["name"] == name for cm in st.config_maps):
            st.config_maps.append({"name": name, "data": bind.data, "binaryData": bind.binary})
        volume = _volume_name("config", bind.relative)
        sub_path = bind.path.name if bind.path.is_file() else None
        st.add(volume, {"configMap": {"name": Name(name)}}, mount.target, True, sub_path=sub_path)


def config_map(metadata: dict, body: dict) -> dict:
    """A ConfigMap from ``{name, data, binaryData}`` (a bind mount's or a compose config's)."""
    cm: dict = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata}
    for key in ("data", "binaryData"):
        if body[key]:
            cm[key] = body[key]
    return cm


__all__ = ["plan_volumes", "plan_storage", "report_clashes", "keeps_data", "seed_containers", "Storage"]
