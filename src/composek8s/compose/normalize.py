"""Turn merged, interpolated compose data into the typed ``Project`` (long syntax only).

Every file was checked against the Compose Specification's schema before the merge
(``schema``), so the types here are the schema's; what is left to check is what the schema
cannot say and Compose checks later (sizes, durations, port syntax, negative counts,
references between sections) and what only the compiler needs.
"""
from __future__ import annotations

import re

import shlex
from pathlib import Path

from ..diagnostics import Position, Reporter
from .interpolate import SecretRef, Template, is_file_pointer, is_secret_name, is_secret_value
from .model import Build, ConfigUse, Dependency, Healthcheck, Label, Mount, Port, Project, SecretUse, Service
from .context import ServiceContext
from .deploy import read_deploy
from .shapes import to_bool
from .units import go_float, parse_size
from .yamlsrc import Document

# Valid Compose that the loader does not implement yet: an error rather than silently
# compiling something else (invariant 3).
UNSUPPORTED_TOP = frozenset({"jobs"})
UNSUPPORTED_SERVICE: frozenset[str] = frozenset()
# Keys the loader resolves before this stage (load.py: extends.py, include.py): they never
# reach the typed model, so the plan never accounts for them.
RESOLVED_BY_LOADER = {"extends": "resolved by the loader as Docker Compose does: the service "
                      "starts from the one it extends (same file or `file:`, inside the project "
                      "only), merged by the rules of `-f` files"}

def _split_command(value: object) -> list | None:
    if value is None:
        return None
    if isinstance(value, list):
        return [v if isinstance(v, Template) else str(v) for v in value]
    if isinstance(value, Template):
        return [value]  # a string holding secrets is not split: it stays one argument
    return shlex.split(str(value))


def normalize_project(doc: Document, name: str, directory: Path, files: list[str],
                      profiles: set[str], environ: dict[str, str], reporter: Reporter) -> Project:
    data = doc.data
    keys = {k: doc.at(k) for k in data}
    for key in sorted(UNSUPPORTED_TOP & set(data)):
        reporter.error("E-COMPOSE-UNSUPPORTED", f"{key!r} is not supported yet: its content would be "
                       "left out; inline it or merge files with -f", doc.at(key))
    raw_services = _mapping(data.get("services"))
    if not raw_services and ("services" in data or "services" not in keys):
        reporter.error("E-COMPOSE-EMPTY", "the compose file defines no services", doc.at("services"))
    services: dict[str, Service] = {}
    inactive: list[str] = []
    for svc_name, raw in raw_services.items():
        ctx = ServiceContext(doc, reporter, svc_name)
        svc_profiles = raw.get("profiles") or []
        if svc_profiles and not (set(svc_profiles) & profiles) and "*" not in profiles:
            inactive.append(svc_name)
            continue
        services[svc_name] = _service(svc_name, raw, ctx, directory, environ)
    _link_aliases(services, raw_services)
    for svc in services.values():
        for dep, entry in svc.depends_on.items():
            if dep not in raw_services:
                reporter.error("E-COMPOSE-REF", f"service {svc.name!r} depends on undefined "
                               f"service {dep!r}", entry.position)
            elif dep not in services and entry.required:
                reporter.error("E-COMPOSE-REF", f"service {svc.name!r} depends on {dep!r}, "
                               "whose profile is not enabled", entry.position)
    _dependency_cycles(services, reporter)
    if raw_services and len(inactive) == len(raw_services):
        reporter.error("E-COMPOSE-EMPTY", "no service is active: every one is under a profile that "
                       "is not enabled (enable one with --profile)", doc.at("services"))
    volumes = _mapping(data.get("volumes"))
    networks = _mapping(data.get("networks"))
    secrets = _mapping(data.get("secrets"))
    configs = _mapping(data.get("configs"))
    _files_inside(directory, doc, reporter, secrets=secrets, configs=configs)
    for svc in services.values():
        for mount in svc.volumes:
            if mount.type == "volume" and mount.source and mount.source not in volumes:
                reporter.error("E-COMPOSE-REF", f"service {svc.name!r} uses undefined volume "
                               f"{mount.source!r}", mount.position)
        for net in svc.networks:
            if net != "default" and net not in networks:
                reporter.error("E-COMPOSE-REF", f"service {svc.name!r} uses undefined network "
                               f"{net!r}", doc.at("services", svc.name, "networks"))
        for use in svc.secrets:
            if use.source not in secrets:
                reporter.error("E-COMPOSE-REF", f"service {svc.name!r} uses undefined secret "
                               f"{use.source!r}", use.position)
    for svc in services.values():
        for use in svc.configs:
            if use.source not in configs:
                reporter.error("E-COMPOSE-REF", f"service {svc.name!r} uses undefined config "
                               f"{use.source!r}", use.position)
    volume_labels = {}
    for vol_name, spec in volumes.items():
        if isinstance(spec, dict) and spec.get("labels") is not None:
            volume_labels[vol_name] = _labels(spec["labels"], reporter, f"volume {vol_name!r}",
                                              lambda *p, v=vol_name: doc.at("volumes", v, "labels", *p))
    x_k8s = data.get("x-k8s") or {}
    return Project(name=name, directory=directory, files=files, services=services,
                   inactive_services=inactive, volumes=volumes, networks=networks,
                   secrets=secrets, configs=configs, x_k8s=x_k8s, keys=keys,
                   x_k8s_positions={path[1:]: at for path, at in doc.positions.items() if path[:1] == ("x-k8s",)},
                   config_environment=_config_environment(configs, environ, doc, reporter),
                   definition_keys={(section, name, key): doc.at(section, name, key)
                                    for section, defs in (("volumes", volumes), ("networks", networks),
                                                          ("secrets", secrets), ("configs", configs))
                                    for name, spec in defs.items() if isinstance(spec, dict)
                                    for key in spec},
                   volume_labels=volume_labels)


def _config_environment(configs: dict, environ: dict[str, str], doc: Document,
                        reporter: Reporter) -> dict[str, str]:
    """The text of configs written as ``environment: VAR``. A config is not secret, so a
    secret-looking variable is refused rather than read into a ConfigMap."""
    values = {}
    for name, spec in configs.items():
        variable = spec.get("environment") if isinstance(spec, dict) else None
        if variable is None:
            continue
        where = doc.at("configs", name, "environment")
        if is_secret_name(str(variable)):
            reporter.error("E-CONFIG-SECRET", f"config {name!r} reads {variable}, which looks secret: "
                           "a config becomes a ConfigMap in the output; declare it under 'secrets'", where)
        elif str(variable) not in environ:
            reporter.error("E-CONFIG-ENV", f"config {name!r}: environment variable {variable} is not set",
                           where)
        else:
            values[name] = environ[str(variable)]
    return values


def _files_inside(directory: Path, doc: Document, reporter: Reporter, **sections: dict) -> None:
    """Top-level secrets and configs read from a ``file`` must stay in the project."""
    from ..diagnostics import CompileError
    from .paths import inside_project

    for section, definitions in sections.items():
        for name, spec in definitions.items():
            if isinstance(spec.get("file"), str):
                try:
                    inside_project(directory, spec["file"], doc.at(section, name, "file"),
                                   f"{section[:-1]} {name!r} file {spec['file']!r}")
                except CompileError as exc:
                    reporter.diagnostics.extend(exc.diagnostics)


def _mapping(value: dict | None) -> dict:
    """A top-level section by name; an entry written without a value is an empty mapping."""
    return {k: (v if v is not None else {}) for k, v in (value or {}).items()}


def _service(name: str, raw: dict, ctx: ServiceContext, directory: Path, environ: dict[str, str]) -> Service:
    svc = Service(name=name, position=ctx.at(), keys={k: ctx.at(k) for k in raw},
                  sub_keys=_sub_keys(raw, ctx))
    for key in sorted(UNSUPPORTED_SERVICE & set(raw)):
        ctx.error("E-COMPOSE-UNSUPPORTED", f"{key!r} is not supported yet: the service would miss "
                  "what it extends; inline it or use YAML anchors", key)
    steps = [
        ("image", lambda v: _text_only(v, ctx, "image")),
        ("build", lambda v: _build(v)),
        ("command", _split_command),
        ("entrypoint", _split_command),
        ("user", lambda v: _text_only(v, ctx, "user")),
        ("cap_add", lambda v: [str(c).upper().removeprefix("CAP_") for c in v]),
        ("cap_drop", lambda v: [str(c).upper().removeprefix("CAP_") for c in v]),
        ("security_opt", lambda v: [str(s) for s in v]),
        ("privileged", bool),  # cast to booleans before the schema check (shapes)
        ("read_only", bool),
        ("network_mode", lambda v: _text_only(v, ctx, "network_mode")),
        ("pid", lambda v: _text_only(v, ctx, "pid")),
        ("ipc", lambda v: _text_only(v, ctx, "ipc")),
        ("devices", lambda v: [d if isinstance(d, str) else str(d.get("source", d)) for d in v]),
        ("sysctls", lambda v: _key_values(v)),
        ("restart", lambda v: _text_only(v, ctx, "restart")),
        ("working_dir", lambda v: _text_only(v, ctx, "working_dir")),
        ("platform", lambda v: _text_only(v, ctx, "platform")),
        ("stop_signal", lambda v: _text_only(v, ctx, "stop_signal")),
        ("profiles", lambda v: [str(p) for p in v]),
    ]
    for key, convert in steps:
        if raw.get(key) is not None:
            try:
                setattr(svc, key, convert(raw[key]))
            except (TypeError, ValueError, AttributeError) as exc:
                ctx.error("E-COMPOSE-VALUE", f"invalid {key!r}: {exc}", key)
    if raw.get("stop_grace_period") is not None:
        svc.stop_grace_period = ctx.duration(raw["stop_grace_period"], "stop_grace_period")
    svc.environment = _environment(raw, ctx, directory, environ)
    svc.env_positions = _env_positions(svc.environment, raw, ctx)
    svc.ports = _ports(raw.get("ports") or [], ctx, "ports")
    svc.expose = _ports(raw.get("expose") or [], ctx, "expose")
    svc.volumes = _volumes(raw.get("volumes") or [], ctx)
    svc.tmpfs = _tmpfs(raw.get("tmpfs"), ctx) + [m for m in svc.volumes if m.type == "tmpfs"]
    svc.volumes = [m for m in svc.volumes if m.type != "tmpfs"]
    svc.healthcheck = _healthcheck(raw.get("healthcheck"), ctx)
    svc.depends_on = _depends_on(raw.get("depends_on"), ctx)
    svc.networks = _networks(raw.get("networks"))
    svc.host_aliases = _host_aliases(raw)
    svc.secrets = _secret_uses(raw.get("secrets") or [], ctx)
    svc.configs = _config_uses(raw.get("configs") or [], ctx)
    read_deploy(svc, raw, ctx)
    if raw.get("labels") is not None:
        svc.labels = _labels(raw["labels"], ctx.reporter, f"service {name!r}",
                             lambda *p: ctx.at("labels", *p))
    if isinstance(raw.get("x-k8s"), dict):
        svc.x_k8s, svc.x_k8s_position = raw["x-k8s"], ctx.at("x-k8s")
        svc.x_k8s_positions = {path: ctx.at("x-k8s", *path) for path in _paths(raw["x-k8s"])}
    elif raw.get("x-k8s") is not None:
        ctx.error("E-XK8S", "'x-k8s' must be a mapping", "x-k8s")
    if not svc.image and not svc.build and not {"image", "build"} & set(svc.keys):
        ctx.error("E-COMPOSE-IMAGE", "needs 'image' or 'build'")
    if svc.build:
        svc.image_config = _read_dockerfile(svc.build, ctx, directory)
    return svc


# Where the keys inside a service key live: in its mapping, in each mapping of its list, or in
# each named entry's mapping. `deploy` has its own accounting (deploy_keys).
_MAPPING_VALUED, _LIST_VALUED, _NAMED_VALUED = ("healthcheck", "build"), ("ports", "volumes", "secrets", "configs",
                                                                         "env_file"), ("networks", "depends_on")


def _paths(value: object, prefix: tuple = ()) -> list[tuple]:
    """Every key path inside a mapping (list items by index): for positions under ``x-k8s``."""
    found: list[tuple] = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, inner in items:
        found.append(prefix + (key,))
        found += _paths(inner, prefix + (key,))
    return found


def _sub_keys(raw: dict, ctx: ServiceContext) -> list[tuple[str, Position]]:
    """Every key written inside another service key, as ``key.sub`` (``volumes.bind.sub``
    one level deeper), with its position: the plan accounts for each one."""
    found: list[tuple[str, Position]] = []

    def walk(value: object, name: str, path: tuple, depth: int) -> None:
        if not isinstance(value, dict):
            return
        for sub, inner in value.items():
            if str(sub).startswith("x-"):
                continue
            found.append((f"{name}.{sub}", ctx.at(*path, sub)))
            if depth and isinstance(inner, dict):
                walk(inner, f"{name}.{sub}", path + (sub,), depth - 1)

    for key in _MAPPING_VALUED:
        walk(raw.get(key), key, (key,), 0)
    for key in _LIST_VALUED:
        for i, item in enumerate(raw.get(key) if isinstance(raw.get(key), list) else []):
            walk(item, key, (key, i), 1)
    for key in _NAMED_VALUED:
        if isinstance(raw.get(key), dict):
            for entry, body in raw[key].items():
                walk(body, key, (key, entry), 0)
    return found


def _read_dockerfile(build: Build, ctx: ServiceContext, directory: Path):
    """The build's image configuration; a Dockerfile that cannot be read is only a warning."""
    from ..diagnostics import CompileError
    from .dockerfile import DockerfileError, image_config
    from .paths import inside_project
    from .reader import exists

    rel = Path(build.context) / build.dockerfile
    try:
        path = inside_project(directory, str(rel), ctx.at("build"), f"Dockerfile {rel}")
    except CompileError as exc:
        ctx.reporter.diagnostics.extend(exc.diagnostics)
        return None
    display = rel.as_posix()
    if not exists(path):
        ctx.reporter.warn("W-DOCKERFILE", f"service {ctx.service!r}: cannot read {display} (it does "
                          "not exist); compiling from the compose file alone", ctx.at("build"))
        return None
    try:
        # Not a regular file, or past 1 MiB: an error (CompileError) at the build key.
        return image_config(path, display, build.target, ctx.at("build"))
    except CompileError as exc:
        ctx.reporter.diagnostics.extend(exc.diagnostics)
    except OSError as exc:
        ctx.reporter.warn("W-DOCKERFILE", f"service {ctx.service!r}: cannot read {display} "
                          f"({exc.strerror}); compiling from the compose file alone", ctx.at("build"))
    except (DockerfileError, UnicodeDecodeError, ValueError) as exc:
        line = getattr(exc, "line", 0)
        ctx.reporter.warn("W-DOCKERFILE", f"service {ctx.service!r}: cannot parse {display}: {exc}; "
                          "compiling from the compose file alone",
                          Position(display, line, 1) if line else ctx.at("build"))
    return None


def _text_only(value: object, ctx: ServiceContext, key: str) -> str:
    if isinstance(value, Template):
        raise ValueError(f"secret variables ({', '.join(r.variable for r in value.secrets)}) "
                         f"cannot be used in {key!r}")
    return str(value)


def _build(value: object) -> Build:
    if isinstance(value, str):
        return Build(context=value)
    return Build(context=str(value.get("context", ".")),
                 dockerfile=str(value.get("dockerfile", "Dockerfile")),
                 target=value.get("target"))


def _key_values(value: object) -> dict:
    if isinstance(value, dict):
        return {str(k): ("" if v is None else v) for k, v in value.items()}
    result = {}
    for item in value:
        key, _, val = str(item).partition("=")
        result[key] = val
    return result


def _labels(value: object, reporter: Reporter, owner: str, at) -> dict[str, Label]:
    """Compose labels, a mapping or a ``KEY=VALUE`` list, as text with each one's position
    (``at(key)`` or ``at(index)``); a later entry of a list wins, as in Compose."""
    if isinstance(value, dict):
        entries = [(str(k), v, at(k)) for k, v in value.items()]
    elif isinstance(value, list):
        entries = []
        for i, item in enumerate(value):
            if isinstance(item, Template):
                key, item = _split_template(item)
                entries.append((key, item, at(i)))
            elif isinstance(item, str):
                key, _, text = item.partition("=")
                entries.append((key, text, at(i)))
            else:
                reporter.error("E-COMPOSE-TYPE", f"{owner}: a label must be written KEY=VALUE", at(i))
    else:
        reporter.error("E-COMPOSE-TYPE", f"{owner}: 'labels' must be a mapping or a list", at())
        return {}
    labels: dict[str, Label] = {}
    for key, raw, where in entries:
        if isinstance(raw, (dict, list)):
            reporter.error("E-COMPOSE-TYPE", f"{owner}: label {key!r} must be a string, number or "
                           "boolean", where)
            continue
        if isinstance(raw, Template):
            if key.startswith("kompose."):
                reporter.error("E-COMPOSE-VALUE", f"{owner}: label {key!r} cannot use secret "
                               f"variables ({', '.join(r.variable for r in raw.secrets)})", where)
            text = ""  # other labels are not copied: the secret is never read
        elif isinstance(raw, bool):
            text = "true" if raw else "false"
        elif isinstance(raw, float):
            text = go_float(raw)
        else:
            text = "" if raw is None else str(raw)
        labels[key] = Label(text.strip() if key.startswith("kompose.") else text, where)
    return labels


def _environment(raw: dict, ctx: ServiceContext, directory: Path, environ: dict[str, str]) -> dict:
    from .dotenv import MAX_ENV_BYTES, read_dotenv
    from .paths import inside_project
    from .reader import exists

    env: dict = {}
    env_files = raw.get("env_file") or []
    for i, item in enumerate([env_files] if isinstance(env_files, str) else env_files):
        path_text = item if isinstance(item, str) else str(item.get("path", ""))
        required = True if isinstance(item, str) else to_bool(item.get("required", True))
        literal = not isinstance(item, str) and item.get("format") == "raw"
        path = inside_project(directory, path_text, ctx.at("env_file"), f"env_file {path_text!r}")
        if not exists(path):
            if required:
                ctx.error("E-FILE", f"env_file {path_text!r} does not exist", "env_file")
            continue
        at = ctx.at("env_file") if isinstance(env_files, str) else ctx.at("env_file", i)
        for key, value in read_dotenv(path, path_text, environ, literal=literal, at=at).items():
            # Values read from env files are data; secret-named ones stay in the cluster.
            secret = is_secret_value(key, value) and not is_file_pointer(key, value)
            env[key] = Template((SecretRef(key),)) if secret else value
    body = raw.get("environment") or {}
    items = body.items() if isinstance(body, dict) else (
        (str(e).partition("=")[0], str(e).partition("=")[2] if "=" in str(e) else None)
        if not isinstance(e, Template) else _split_template(e) for e in body)
    for key, value in items:
        key = str(key)
        if value is None:
            # `- NAME` without a value: taken from the shell environment, as in Compose.
            if is_secret_name(key):
                env[key] = Template((SecretRef(key, required=False),))
            elif key in environ:
                env[key] = environ[key]
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, float):
            value = go_float(value)
        env[key] = value if isinstance(value, Template) else str(value)
    size = sum(len(k) + len(v if isinstance(v, str) else str(v)) for k, v in env.items())
    if size > MAX_ENV_BYTES:
        ctx.error("E-ENV-TOO-LARGE", f"its environment holds {size:,} bytes; a pod spec holds at most "
                  f"{MAX_ENV_BYTES:,} (the API server refuses larger objects)",
                  "environment" if body else "env_file")
    return env


def _env_positions(env: dict, raw: dict, ctx: ServiceContext) -> dict[str, Position]:
    """Where each variable is set: its `environment` entry, else the `env_file` key."""
    body = raw.get("environment")
    written: dict[str, Position] = {}
    if isinstance(body, dict):
        written = {str(k): ctx.at("environment", k) for k in body}
    elif isinstance(body, list):
        for i, entry in enumerate(body):
            key = _split_template(entry)[0] if isinstance(entry, Template) else str(entry).partition("=")[0]
            written[key] = ctx.at("environment", i)
    return {name: written.get(name) or ctx.at("env_file") for name in env}


def _split_template(entry: Template) -> tuple[str, Template]:
    head = entry.parts[0]
    if not isinstance(head, str) or "=" not in head:
        raise ValueError("an environment entry must start with NAME=")
    key, _, rest = head.partition("=")
    return key, Template(((rest,) if rest else ()) + entry.parts[1:])


def _ports(items: list, ctx: ServiceContext, key: str) -> list[Port]:
    ports: list[Port] = []
    for i, item in enumerate(items):
        where = ctx.at(key, i)
        try:
            ports.extend(_port(item, where))
        except (ValueError, TypeError) as exc:
            ctx.error("E-COMPOSE-PORT", f"invalid {key} entry {item!r}: {exc}", key, i)
    return ports


def _port(item: object, where: Position) -> list[Port]:
    if isinstance(item, dict):
        if item.get("target") is None:  # optional in the schema; Compose refuses it after
            raise ValueError("the long syntax needs a 'target' (the container port)")
        return [Port(target=int(item["target"]),
                     published=str(item["published"]) if item.get("published") is not None else None,
                     protocol=str(item.get("protocol", "tcp")).lower(), name=item.get("name"),
                     position=where)]
    text = str(item)
    text, _, protocol = text.partition("/")
    # As Compose (go-connections' ParsePortSpec): the last part is the container port, the
    # one before it the host port, everything before that a host IP ("[::1]", "::1",
    # "127.0.0.1"), which must be an IP address ("80:80:80" is not).
    parts = text.split(":")
    container = parts[-1]
    published = parts[-2] if len(parts) >= 2 else None
    if len(parts) > 2:
        _host_ip(":".join(parts[:-2]))
    targets = _port_range(container)
    if published:
        hosts = _port_range(published)
        if len(hosts) > 1 and len(hosts) != len(targets):
            raise ValueError("host and container port ranges differ in length")
        pubs = [str(h) for h in hosts] if len(hosts) == len(targets) else [published] * len(targets)
    else:
        pubs = [None] * len(targets)
    return [Port(target=t, published=p, protocol=(protocol or "tcp").lower(), position=where)
            for t, p in zip(targets, pubs)]


def _host_ip(text: str) -> str:
    """The host IP of a short-syntax port, brackets dropped; a ValueError unless it is one."""
    import ipaddress

    bare = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    try:
        if "%" in bare:  # Go's net.ParseIP (so Compose) takes no IPv6 zone
            raise ValueError(bare)
        return str(ipaddress.ip_address(bare))
    except ValueError:
        raise ValueError(f"{text!r} is not an IP address (the part before the host port)") from None


def _port_range(text: str) -> list[int]:
    start, _, end = text.partition("-")
    first, last = int(start), int(end or start)
    if not (0 < first <= last <= 65535) or last - first > 1000:
        raise ValueError(f"{text!r} is not a port or port range")
    return list(range(first, last + 1))


_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


def _volumes(items: list, ctx: ServiceContext) -> list[Mount]:
    mounts = []
    for i, item in enumerate(items):
        where = ctx.at("volumes", i)
        if isinstance(item, dict):
            kind = item["type"]  # required by the schema
            size = (item.get("tmpfs") or {}).get("size")
            if kind == "bind" and not item.get("source"):
                ctx.error("E-COMPOSE-VALUE", "a bind mount needs a 'source'", "volumes", i)
                continue
            if not item.get("target"):
                ctx.error("E-COMPOSE-VALUE", "a mount needs a 'target' (the path in the container)",
                          "volumes", i)
                continue
            try:
                tmpfs_size = parse_size(size) if size is not None else None
            except ValueError as exc:
                ctx.error("E-COMPOSE-VALUE", str(exc), "volumes", i, "tmpfs", "size")
                continue
            mounts.append(Mount(type=kind, target=item["target"],
                                source=item.get("source"), read_only=bool(item.get("read_only")),
                                tmpfs_size=tmpfs_size, position=where))
            continue
        text = str(item)
        # A Windows host path (`C:\\Users\\data:/data`): its drive's ':' is not a separator, and
        # it is a bind mount, as Compose reads it (the plan refuses it as a host path).
        drive = text[:2] if _WINDOWS_DRIVE.match(text) else ""
        parts = text[len(drive):].split(":")
        parts[0] = drive + parts[0]
        if len(parts) == 1:
            mounts.append(Mount(type="volume", target=parts[0], position=where))
            continue
        source, target = parts[0], parts[1]
        options = parts[2].split(",") if len(parts) > 2 else []
        kind = "bind" if source.startswith((".", "/", "~")) or drive else "volume"
        mounts.append(Mount(type=kind, source=source, target=target, read_only="ro" in options,
                            position=where))
    return mounts


def _tmpfs(value: object, ctx: ServiceContext) -> list[Mount]:
    items = [value] if isinstance(value, str) else (value or [])
    mounts = []
    for i, item in enumerate(items):
        path, _, opts = str(item).partition(":")
        size = None
        for opt in opts.split(","):
            if opt.startswith("size="):
                try:
                    size = parse_size(opt[5:])
                except ValueError as exc:
                    ctx.error("E-COMPOSE-VALUE", f"tmpfs {path!r}: {exc}", "tmpfs", i)
        mounts.append(Mount(type="tmpfs", target=path, tmpfs_size=size, position=ctx.at("tmpfs", i)))
    return mounts


def _healthcheck(raw: object, ctx: ServiceContext) -> Healthcheck | None:
    if raw is None:
        return None
    if raw.get("disable"):
        return Healthcheck(disable=True, position=ctx.at("healthcheck"))
    test = raw.get("test")
    if isinstance(test, (str, Template)):
        test = ["CMD-SHELL", test]
    test = tuple(test or ())
    if test and test[0] == "NONE":
        return Healthcheck(disable=True, position=ctx.at("healthcheck"))
    if test and test[0] not in ("CMD", "CMD-SHELL"):
        ctx.error("E-COMPOSE-HEALTHCHECK", "healthcheck test must start with CMD, CMD-SHELL or NONE",
                  "healthcheck", "test")
    timings = {}
    for key in ("interval", "timeout", "start_period"):
        if raw.get(key) is not None:
            timings[key] = ctx.duration(raw[key], "healthcheck", key)
    retries = raw.get("retries")  # a number by the schema; Compose wants a whole one, ≥ 0
    if retries is not None and not (float(retries).is_integer() and retries >= 0):
        ctx.error("E-COMPOSE-VALUE", f"healthcheck retries must be a whole number, 0 or more, "
                  f"not {retries}", "healthcheck", "retries")
        retries = None
    return Healthcheck(test=test, retries=int(retries) if retries is not None else None,
                       position=ctx.at("healthcheck"), **timings)


DEPENDS_CONDITIONS = ("service_started", "service_healthy", "service_completed_successfully")


def _depends_on(raw: object, ctx: ServiceContext) -> dict[str, Dependency]:
    if raw is None:
        return {}
    if isinstance(raw, list):
        return {str(name): Dependency(position=ctx.at("depends_on", i)) for i, name in enumerate(raw)}
    out = {}
    for name, spec in raw.items():
        spec = spec or {}
        condition = str(spec.get("condition", "service_started"))
        if condition not in DEPENDS_CONDITIONS:
            ctx.error("E-COMPOSE-VALUE", f"depends_on {name!r}: condition {condition!r} is not one of "
                      f"{', '.join(DEPENDS_CONDITIONS)}", "depends_on", name, "condition")
        out[str(name)] = Dependency(condition, to_bool(spec.get("required", True)),
                                    to_bool(spec.get("restart", False)), ctx.at("depends_on", name))
    return out


def _dependency_cycles(services: dict[str, Service], reporter: Reporter) -> None:
    """Compose refuses a depends_on cycle (it could start none of them): so do we, once per
    cycle, at the entry that closes it."""
    state: dict[str, str] = {}  # name -> "open" while on the path, "done" after

    def visit(name: str, path: list[str]) -> None:
        state[name] = "open"
        for dep, entry in services[name].depends_on.items():
            if dep not in services:
                continue
            if state.get(dep) == "open":
                cycle = path[path.index(dep):] + [name, dep] if dep in path else [name, dep]
                reporter.error("E-COMPOSE-CYCLE", f"depends_on cycle: {' -> '.join(cycle)}; Compose "
                               "cannot start any of these services", entry.position)
            elif dep not in state:
                visit(dep, path + [name])
        state[name] = "done"

    for name in services:
        if name not in state:
            visit(name, [])


def _networks(raw: object) -> list[str]:
    if raw is None:
        return []
    return [str(n) for n in raw]


def _host_aliases(raw: dict) -> dict[str, str]:
    """The names other containers reach this one by besides its service name: Docker's DNS
    answers for the ``container_name`` and for each network's ``aliases``."""
    found = {}
    if isinstance(raw.get("container_name"), str):
        found[raw["container_name"]] = "its container_name"
    networks = raw.get("networks")
    for net, spec in (networks.items() if isinstance(networks, dict) else []):
        for alias in (spec.get("aliases") if isinstance(spec, dict) else None) or []:
            found.setdefault(str(alias), f"its alias on network {net!r}")
    return found


def _link_aliases(services: dict[str, Service], raw_services: dict) -> None:
    """``links: ["db:database"]``: the linking container reaches db as ``database`` too. The
    alias is added to the linked service (Kubernetes has one name space for the project)."""
    for name in services:
        for link in raw_services[name].get("links") or []:
            target, _, alias = str(link).partition(":")
            if alias and target in services:
                services[target].host_aliases.setdefault(alias, f"a link alias of service {name!r}")


def _needs_source(items: list, key: str, ctx: ServiceContext) -> list:
    """The entries that name what they use (the long syntax's ``source`` is not required by
    the schema; Compose then refuses the entry as a reference to nothing)."""
    kept = []
    for i, item in enumerate(items):
        if isinstance(item, dict) and not item.get("source"):
            ctx.error("E-COMPOSE-REF", f"{key}[{i}] needs a 'source': the {key[:-1]} it uses", key, i)
        else:
            kept.append((i, item))
    return kept


def _secret_uses(items: list, ctx: ServiceContext) -> list[SecretUse]:
    uses = []
    for i, item in _needs_source(items, "secrets", ctx):
        if isinstance(item, dict):
            source = str(item["source"])
            mode = item.get("mode")
            uses.append(SecretUse(source, str(item.get("target") or source), ctx.at("secrets", i),
                                  mode if isinstance(mode, int) else None))
        else:
            uses.append(SecretUse(str(item), str(item), ctx.at("secrets", i)))
    return uses


def _config_uses(items: list, ctx: ServiceContext) -> list[ConfigUse]:
    uses = []
    for i, item in _needs_source(items, "configs", ctx):
        if isinstance(item, dict):
            target, mode = item.get("target"), item.get("mode")
            try:
                mode = None if mode is None else (int(mode, 8) if isinstance(mode, str) else int(mode))
            except ValueError:
                ctx.error("E-COMPOSE-VALUE", f"config mode {mode!r} is not an octal file mode",
                          "configs", i, "mode")
                mode = None
            uses.append(ConfigUse(str(item["source"]), None if target is None else str(target),
                                  mode, "uid" in item or "gid" in item, ctx.at("configs", i)))
        else:
            uses.append(ConfigUse(str(item), position=ctx.at("configs", i)))
    return uses
