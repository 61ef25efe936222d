"""Static checks of a Docker build context, for machines without a Docker engine.

- every ``COPY``/``ADD`` source exists in the context and is not excluded by ``.dockerignore``
  (moby's pattern rules: last match wins, ``!`` re-includes, ``**`` spans folders, a pattern
  that matches a folder excludes everything in it);
- every ``--from=<stage>`` names an earlier stage (or an external image);
- the final stage runs as a numeric non-root ``USER``, declares a ``HEALTHCHECK`` and installs
  no build tools.

hadolint covers Dockerfile style; this covers what only the context can tell. No maintained
Python library does either check, so it is written here on top of our Dockerfile reader.
"""
from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

from msgspec import Struct

from ..compose.dockerfile import MAX_DOCKERFILE_BYTES, DockerfileError, Stage, read_dockerfile, stages
from ..compose.reader import read_text
from ..diagnostics import CompileError, Position

BUILD_TOOLS = {"build-base", "gcc", "g++", "make", "cmake", "musl-dev", "libc-dev", "libc6-dev",
               "linux-headers", "python3-dev", "build-essential", "autoconf", "automake", "libtool"}


class Problem(Struct, frozen=True):
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


def _pattern_regex(pattern: str) -> re.Pattern:
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            if i < len(pattern) and pattern[i] == "/":
                i += 1
                out[-1] = "(?:.*/)?"
            continue
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = pattern.find("]", i)
            if end < 0:
                out.append(re.escape(ch))
            else:
                out.append(pattern[i:end + 1].replace("[!", "[^"))
                i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("^" + "".join(out) + "$")


class DockerIgnore:
    def __init__(self, text: str):
        self.rules: list[tuple[bool, re.Pattern]] = []
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            pattern = line[1:].strip() if negate else line
            pattern = re.sub(r"/+", "/", pattern).strip("/")
            if pattern.startswith("./"):
                pattern = pattern[2:]
            if pattern:
                self.rules.append((negate, _pattern_regex(pattern)))

    def excluded(self, rel: str) -> bool:
        """Whether the context path ``rel`` (posix, relative) is left out of the build."""
        parts = rel.split("/")
        candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        excluded = False
        for negate, regex in self.rules:
            if any(regex.match(c) for c in candidates):
                excluded = not negate
        return excluded


def _copy_sources(args: str) -> tuple[list[str], str | None]:
    """Sources of a COPY/ADD and its ``--from`` value."""
    if args.lstrip().startswith("["):
        import json

        words = json.loads(args)
        options = []
    else:
        words = shlex.split(args)
        options = [w for w in words if w.startswith("--")]
        words = [w for w in words if not w.startswith("--")]
    source_from = next((o.split("=", 1)[1] for o in options if o.startswith("--from=")), None)
    return words[:-1], source_from


def _installed(run: str) -> set[str]:
    packages: set[str] = set()
    for part in re.split(r"&&|;|\|\|", run):
        words = part.split()
        if len(words) > 2 and (words[:2] == ["apk", "add"] or (words[0] in ("apt-get", "apt")
                                                                and "install" in words)):
            packages |= {w.split("=")[0] for w in words[2:] if not w.startswith("-")}
    return packages


def check_context(context: Path, dockerfile: str = "Dockerfile") -> list[Problem]:
    path = context / dockerfile
    try:
        all_stages = stages(read_dockerfile(path, dockerfile))
    except CompileError as exc:
        return [Problem(dockerfile, 0, f"cannot read the Dockerfile: {exc.diagnostics[0].message}")]
    except (OSError, DockerfileError) as exc:
        return [Problem(dockerfile, getattr(exc, "line", 0), f"cannot read the Dockerfile: {exc}")]
    ignore_file = context / ".dockerignore"
    try:
        ignore = DockerIgnore(read_text(ignore_file, ".dockerignore", MAX_DOCKERFILE_BYTES, Position(".dockerignore"))
                              if os.path.lexists(ignore_file) else "")
    except CompileError as exc:
        return [Problem(".dockerignore", 0, f"cannot read .dockerignore: {exc.diagnostics[0].message}")]
    problems: list[Problem] = []
    names: set[str] = set()
    for index, stage in enumerate(all_stages):
        for ins in stage.instructions:
            if ins.keyword not in ("COPY", "ADD"):
                continue
            sources, source_from = _copy_sources(ins.args)
            if source_from is not None:
                known = source_from in names or (source_from.isdigit() and int(source_from) < index)
                external = ":" in source_from or "/" in source_from
                if not known and not external:
                    problems.append(Problem(dockerfile, ins.line, f"--from={source_from} names no earlier stage"))
                continue
            for source in sources:
                if re.match(r"^https?://", source):
                    continue
                problems += _check_source(context, source, ignore, dockerfile, ins.line)
        if stage.name:
            names.add(stage.name)
    problems += _check_final(all_stages, dockerfile)
    return problems


def _check_source(context: Path, source: str, ignore: DockerIgnore, dockerfile: str, line: int) -> list[Problem]:
    rel = source.lstrip("/").removeprefix("./") or "."
    root = context.resolve()
    matches = [p for p in context.glob(rel)] if any(c in rel for c in "*?[") else [context / rel]
    matches = [m for m in matches if m.exists()]
    if not matches:
        return [Problem(dockerfile, line, f"COPY source {source!r} does not exist in the build context")]
    for match in matches:
        resolved = match.resolve()
        if resolved != root and root not in resolved.parents:
            return [Problem(dockerfile, line, f"COPY source {source!r} leaves the build context")]
    kept = [m for m in matches if m.resolve() == root or not ignore.excluded(m.resolve().relative_to(root).as_posix())]
    if not kept:
        return [Problem(dockerfile, line, f"COPY source {source!r} is excluded by .dockerignore")]
    return []


def _check_final(all_stages: list[Stage], dockerfile: str) -> list[Problem]:
    by_name = {s.name: s for s in all_stages if s.name}
    chain, seen = [all_stages[-1]], {id(all_stages[-1])}  # a set: linear for long chains
    while chain[-1].base in by_name and id(by_name[chain[-1].base]) not in seen:
        chain.append(by_name[chain[-1].base])
        seen.add(id(chain[-1]))
    final = all_stages[-1]
    user = health = None
    tools: set[str] = set()
    for stage in reversed(chain):
        for ins in stage.instructions:
            if ins.keyword == "USER":
                user = ins
            elif ins.keyword == "HEALTHCHECK":
                health = ins
            elif ins.keyword == "RUN":
                tools |= _installed(ins.args) & BUILD_TOOLS
    problems = []
    if user is None:
        problems.append(Problem(dockerfile, final.line, "the final stage has no USER (it would run as root)"))
    else:
        uid, _, gid = user.args.split()[0].partition(":")
        if not uid.isdigit() or (gid and not gid.isdigit()):
            problems.append(Problem(dockerfile, user.line, f"USER {user.args} is not numeric uid:gid "
                                    "(Kubernetes cannot verify runAsNonRoot for a name)"))
        elif int(uid) == 0:
            problems.append(Problem(dockerfile, user.line, "USER 0 is root"))
    if health is None or health.args.upper().startswith("NONE"):
        problems.append(Problem(dockerfile, final.line, "the final stage has no HEALTHCHECK"))
    if tools:
        problems.append(Problem(dockerfile, final.line, f"the final stage installs build tools: "
                                f"{', '.join(sorted(tools))}"))
    return problems
