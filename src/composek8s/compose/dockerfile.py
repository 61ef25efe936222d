"""Read what a Dockerfile says about its image: stages, USER, HEALTHCHECK, EXPOSE, VOLUME.

A small reader of the Dockerfile syntax (line continuations, the escape directive, ARG
substitution in FROM, JSON and shell forms) that keeps line numbers. It does not run
anything. It exists because no maintained Python library parses Dockerfiles with
positions (``dockerfile-parse`` drops continuation structure and stage inheritance).
"""
from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from msgspec import Struct, field

from ..diagnostics import Position
from .reader import read_text

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)$")
_ID_FLAG = re.compile(r"(?:^|\s)(?:-u|--uid)[ =]?(\d+)")
_GID_FLAG = re.compile(r"(?:^|\s)(?:-g|--gid)[ =]?(\d+)")
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


class Instruction(Struct, frozen=True):
    keyword: str  # upper case
    args: str  # the rest of the logical line, continuations joined
    line: int  # where the instruction starts


class Stage(Struct):
    base: str  # the FROM image (ARGs substituted) or an earlier stage's name
    name: str | None
    line: int
    instructions: list[Instruction] = field(default_factory=list)


class ImageConfig(Struct):
    """What the final (or target) stage declares, inherited through ``FROM <stage>``."""

    file: str
    base_image: str  # the external image the chain of stages starts from
    user: str | None = None
    user_position: Position | None = None
    users: dict[str, int] = field(default_factory=dict)  # names created with adduser/useradd
    groups: dict[str, int] = field(default_factory=dict)
    healthcheck: tuple | None = None  # ("CMD", …) / ("CMD-SHELL", cmd) / () for NONE
    health_timing: dict[str, float | int] = field(default_factory=dict)
    health_position: Position | None = None
    expose: list[tuple[int, str]] = field(default_factory=list)  # (port, protocol)
    volumes: list[str] = field(default_factory=list)
    # The command the image runs: ENTRYPOINT and CMD as argv (shell form as ["/bin/sh", "-c", …]).
    entrypoint: tuple[str, ...] | None = None
    cmd: tuple[str, ...] | None = None


class DockerfileError(ValueError):
    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.line = line


def instructions(text: str) -> list[Instruction]:
    """Logical instructions of a Dockerfile, with the line each starts on."""
    escape = "\\"
    lines = text.splitlines()
    for line in lines:  # parser directives come first, before any instruction or comment
        m = re.match(r"^#\s*escape\s*=\s*(\S)\s*$", line, re.I)
        if m:
            escape = m.group(1)
        elif not re.match(r"^#\s*\w+\s*=", line):
            break
    result: list[Instruction] = []
    buffer: list[str] = []
    start = 0
    for number, raw in enumerate(lines, start=1):
        stripped = raw.strip()
        if not buffer and (not stripped or stripped.startswith("#")):
            continue
        if buffer and stripped.startswith("#"):
            continue  # comment lines inside a continuation are dropped, as BuildKit does
        if not buffer:
            start = number
        if stripped.endswith(escape):
            buffer.append(stripped[:-1])
            continue
        buffer.append(stripped)
        logical = " ".join(part.strip() for part in buffer if part.strip())
        buffer = []
        keyword, _, args = logical.partition(" ")
        result.append(Instruction(keyword.upper(), args.strip(), start))
    if buffer:
        logical = " ".join(buffer)
        keyword, _, args = logical.partition(" ")
        result.append(Instruction(keyword.upper(), args.strip(), start))
    return result


def _substitute(text: str, args: dict[str, str]) -> str:
    return _VAR.sub(lambda m: args.get(m.group(1) or m.group(3)) or m.group(2) or "", text)


def stages(text: str) -> list[Stage]:
    """The build stages in order; ARGs before the first FROM are substituted into FROM."""
    global_args: dict[str, str] = {}
    result: list[Stage] = []
    for ins in instructions(text):
        if ins.keyword == "ARG" and not result:
            name, _, default = ins.args.partition("=")
            global_args[name.strip()] = default.strip().strip('"')
            continue
        if ins.keyword == "FROM":
            words = [w for w in ins.args.split() if not w.startswith("--")]
            if not words:
                raise DockerfileError("FROM without an image", ins.line)
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            result.append(Stage(_substitute(words[0], global_args), name, ins.line))
            continue
        if not result:
            raise DockerfileError(f"{ins.keyword} before the first FROM", ins.line)
        result[-1].instructions.append(ins)
    if not result:
        raise DockerfileError("no FROM instruction", 1)
    return result


def _words(args: str) -> list[str]:
    """Arguments in JSON form (``["a", "b"]``) or shell form."""
    if args.startswith("["):
        try:
            value = json.loads(args)
            if isinstance(value, list):
                return [str(v) for v in value]
        except json.JSONDecodeError:
            pass
    return shlex.split(args)


def _argv(args: str) -> tuple[str, ...]:
    """CMD or ENTRYPOINT as Docker runs it: the exec form's words, else the shell form."""
    if args.startswith("["):
        try:
            value = json.loads(args)
        except json.JSONDecodeError:
            value = None
        if isinstance(value, list):
            return tuple(str(v) for v in value)
    return ("/bin/sh", "-c", args)


def _duration(text: str) -> float:
    m = _DURATION.match(text)
    if not m:
        raise ValueError(text)
    return float(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[m.group(2)]


def _healthcheck(args: str, line: int) -> tuple[tuple, dict]:
    timing: dict = {}
    rest = args
    while rest.startswith("--"):
        option, _, rest = rest.partition(" ")
        key, _, value = option[2:].partition("=")
        key = key.replace("-", "_")
        try:
            timing[key] = int(value) if key == "retries" else _duration(value)
        except ValueError:
            raise DockerfileError(f"HEALTHCHECK --{key}={value} is not valid", line) from None
        rest = rest.strip()
    kind, _, command = rest.partition(" ")
    if kind.upper() == "NONE":
        return (), timing
    if kind.upper() != "CMD":
        raise DockerfileError("HEALTHCHECK needs CMD or NONE", line)
    command = command.strip()
    if command.startswith("["):
        return ("CMD", *_words(command)), timing
    return ("CMD-SHELL", command), timing


def _apply(config: ImageConfig, stage: Stage) -> None:
    for ins in stage.instructions:
        where = Position(config.file, ins.line, 1)
        if ins.keyword == "USER":
            config.user, config.user_position = ins.args.split()[0] if ins.args else None, where
        elif ins.keyword == "HEALTHCHECK":
            config.healthcheck, config.health_timing = _healthcheck(ins.args, ins.line)
            config.health_position = where
        elif ins.keyword == "EXPOSE":
            for word in ins.args.split():
                port, _, proto = word.partition("/")
                if port.isdigit():
                    config.expose.append((int(port), (proto or "tcp").lower()))
        elif ins.keyword == "VOLUME":
            config.volumes.extend(_words(ins.args))
        elif ins.keyword in ("CMD", "ENTRYPOINT"):
            argv = _argv(ins.args)
            if ins.keyword == "CMD":
                config.cmd = argv
            else:  # a new ENTRYPOINT resets the CMD set before it (Docker's rule)
                config.entrypoint, config.cmd = argv, None
        elif ins.keyword == "RUN":
            _record_accounts(config, ins.args)


def _record_accounts(config: ImageConfig, command: str) -> None:
    """Users and groups created by ``adduser``/``useradd``/``addgroup``/``groupadd``."""
    for part in re.split(r"&&|;|\|\|", command):
        words = part.split()
        if not words:
            continue
        tool = words[0].rsplit("/", 1)[-1]
        name = next((w for w in reversed(words[1:]) if not w.startswith("-") and not w.isdigit()), None)
        if tool in ("adduser", "useradd") and name:
            m = _ID_FLAG.search(part)
            if m:
                config.users[name] = int(m.group(1))
        elif tool in ("addgroup", "groupadd") and name:
            m = _GID_FLAG.search(part)
            if m:
                config.groups[name] = int(m.group(1))


# A Dockerfile is read whole; real ones are a few kB (hadolint's own test files stay far below).
MAX_DOCKERFILE_BYTES = 1024 * 1024


def read_dockerfile(path: Path, display: str, at: Position | None = None) -> str:
    """A Dockerfile's text through the guarded reader: a regular file of at most 1 MiB."""
    return read_text(path, "Dockerfile", MAX_DOCKERFILE_BYTES, at or Position(display, 1, 1),
                     display=display, encoding_code="E-DOCKERFILE")


def image_config(path: Path, display: str, target: str | None = None,
                 at: Position | None = None) -> ImageConfig:
    """The configuration of the image ``path`` builds (the ``target`` stage, else the last);
    ``at``: where the compose file names the build (errors reading the file point there)."""
    all_stages = stages(read_dockerfile(path, display, at))
    by_name = {s.name: s for s in all_stages if s.name}
    chosen = by_name.get(target) if target else all_stages[-1]
    if chosen is None:
        raise DockerfileError(f"no stage named {target!r}", 1)
    # Follow `FROM <stage>` back to an image; a set keeps the walk linear (a chain of 20,000
    # stages took 17 s with list membership) and stops a cycle.
    chain, seen = [chosen], {id(chosen)}
    while chain[-1].base in by_name and id(by_name[chain[-1].base]) not in seen:
        chain.append(by_name[chain[-1].base])
        seen.add(id(chain[-1]))
    config = ImageConfig(file=display, base_image=chain[-1].base)
    for stage in reversed(chain):
        _apply(config, stage)
    return config


def resolve_user(config: ImageConfig) -> tuple[int, int] | None:
    """The numeric UID and GID of ``USER``, resolving names created in the Dockerfile."""
    if not config.user:
        return None
    user, _, group = config.user.partition(":")
    uid = int(user) if user.isdigit() else config.users.get(user)
    if uid is None:
        return None
    if not group:
        gid = config.groups.get(user, uid)
    else:
        gid = int(group) if group.isdigit() else config.groups.get(group)
        if gid is None:
            return None
    return uid, gid
