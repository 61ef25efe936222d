"""The typed Compose project: what the loader hands to the plan.

Only normalised, long-syntax values live here (ports as numbers, durations in seconds,
sizes in bytes), each with the position it came from, so the plan never parses Compose
syntax and can always say where a decision came from.
"""
from __future__ import annotations

from pathlib import Path

from msgspec import Struct, field

from ..diagnostics import Position
from .dockerfile import ImageConfig


class Port(Struct, frozen=True):
    target: int
    published: str | None = None
    protocol: str = "tcp"
    name: str | None = None
    position: Position | None = None


class Mount(Struct, frozen=True):
    type: str  # "volume", "bind" or "tmpfs"
    target: str
    source: str | None = None  # volume name, or host path for binds (as written)
    read_only: bool = False
    tmpfs_size: int | None = None
    position: Position | None = None


class Healthcheck(Struct, frozen=True):
    test: tuple = ()  # ("CMD", args…) or ("CMD-SHELL", command); empty when disabled
    interval: float | None = None  # seconds
    timeout: float | None = None
    start_period: float | None = None
    retries: int | None = None
    disable: bool = False
    position: Position | None = None


class Resources(Struct, frozen=True):
    cpu_limit: float | None = None  # cores
    memory_limit: int | None = None  # bytes
    cpu_request: float | None = None
    memory_request: int | None = None
    position: Position | None = None


class UpdateConfig(Struct, frozen=True):
    """``deploy.update_config``: how a rollout replaces replicas (Swarm's defaults)."""

    parallelism: int = 1  # replicas replaced at once; 0: all
    order: str = "stop-first"  # or start-first
    delay: float | None = None  # seconds between groups


class RestartPolicy(Struct, frozen=True):
    """``deploy.restart_policy``: ``none``, ``on-failure`` (with ``max_attempts``) or ``any``."""

    condition: str = "any"
    max_attempts: int | None = None


class Build(Struct, frozen=True):
    context: str
    dockerfile: str = "Dockerfile"
    target: str | None = None


class Label(Struct, frozen=True):
    """One compose label's value (as text, the way Compose reads it) and where it was written."""

    value: str
    position: Position | None = None


class SecretUse(Struct, frozen=True):
    """A service's use of a top-level secret, mounted at /run/secrets/<target>."""

    source: str
    target: str
    position: Position | None = None
    mode: int | None = None  # file mode (Compose's default 0444; ours 0440)


class ConfigUse(Struct, frozen=True):
    """A service's use of a top-level config; ``target`` as written (None: Compose's default)."""

    source: str
    target: str | None = None
    mode: int | None = None  # file mode, e.g. 0o440
    owner: bool = False  # uid or gid written (Kubernetes files belong to the pod's fsGroup)
    position: Position | None = None


class Dependency(Struct, frozen=True):
    """One ``depends_on`` entry: start after ``condition`` holds for the named service."""

    condition: str = "service_started"  # or service_healthy, service_completed_successfully
    required: bool = True  # false (Compose 2.20+): start even when the dependency is missing
    restart: bool = False  # restart the dependent when the dependency is updated
    position: Position | None = None


class Service(Struct):
    name: str
    position: Position
    keys: dict[str, Position]  # every key written for this service, for accounting
    # Keys written inside mapped keys ("ports.host_ip", "networks.aliases"…), each where written.
    sub_keys: list[tuple[str, Position]] = field(default_factory=list)
    image: str | None = None
    build: Build | None = None
    command: list | None = None  # items are str or Template
    entrypoint: list | None = None
    environment: dict = field(default_factory=dict)  # name -> str | Template
    env_positions: dict[str, Position] = field(default_factory=dict)  # name -> where it is set
    ports: list[Port] = field(default_factory=list)
    expose: list[Port] = field(default_factory=list)
    volumes: list[Mount] = field(default_factory=list)
    tmpfs: list[Mount] = field(default_factory=list)
    healthcheck: Healthcheck | None = None
    user: str | None = None
    cap_add: list[str] = field(default_factory=list)
    cap_drop: list[str] = field(default_factory=list)
    security_opt: list[str] = field(default_factory=list)
    privileged: bool = False
    read_only: bool = False
    network_mode: str | None = None
    pid: str | None = None
    ipc: str | None = None
    devices: list[str] = field(default_factory=list)
    sysctls: dict[str, str] = field(default_factory=dict)
    restart: str | None = None
    replicas: int | None = None
    resources: Resources | None = None
    update_config: UpdateConfig | None = None
    restart_policy: RestartPolicy | None = None
    deploy_mode: str | None = None  # replicated | global
    node_selector: dict[str, str] = field(default_factory=dict)  # from placement constraints
    other_constraints: list[tuple[str, Position]] = field(default_factory=list)  # not on node labels
    deploy_keys: dict[str, Position] = field(default_factory=dict)  # "update_config.monitor" -> where
    depends_on: dict[str, Dependency] = field(default_factory=dict)  # service -> its entry
    secrets: list[SecretUse] = field(default_factory=list)
    configs: list[ConfigUse] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    # Other names Compose's DNS gives this service: name -> which key gives it, in words.
    host_aliases: dict[str, str] = field(default_factory=dict)
    stop_grace_period: float | None = None
    working_dir: str | None = None
    platform: str | None = None  # os/arch[/variant]
    stop_signal: str | None = None
    profiles: list[str] = field(default_factory=list)
    labels: dict[str, Label] = field(default_factory=dict)  # read by plan.kompose
    x_k8s: dict = field(default_factory=dict)
    x_k8s_position: Position | None = None
    x_k8s_positions: dict[tuple, Position] = field(default_factory=dict)  # ("ingress", "host") -> where
    image_config: "ImageConfig | None" = None  # what the build's Dockerfile declares


class Project(Struct):
    name: str
    directory: Path  # the project directory: relative paths resolve against it
    files: list[str]  # compose files as displayed in diagnostics
    services: dict[str, Service]  # active services only, in file order
    inactive_services: list[str]  # left out because their profiles are not enabled
    volumes: dict[str, dict]
    networks: dict[str, dict]
    secrets: dict[str, dict]
    configs: dict[str, dict]
    x_k8s: dict = field(default_factory=dict)
    # Where each key and value under the top-level x-k8s was written: ("environments", "prod",
    # "values", "web", "replicas") -> position.
    x_k8s_positions: dict[tuple, Position] = field(default_factory=dict)
    keys: dict[str, Position] = field(default_factory=dict)  # top-level keys written
    # Keys written inside top-level definitions: (section, name, key) -> where, for accounting.
    definition_keys: dict[tuple[str, str, str], Position] = field(default_factory=dict)
    # Configs defined by `environment: VAR`, read as Compose reads them at load time.
    config_environment: dict[str, str] = field(default_factory=dict)
    volume_labels: dict[str, dict[str, Label]] = field(default_factory=dict)  # volume -> its labels
