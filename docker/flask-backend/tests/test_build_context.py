"""Static checks of the Docker build context (no Docker engine needed).

The .dockerignore matcher follows Docker's rules closely enough for the patterns used
here: patterns are relative to the context root, `*` and `?` stay within one path
segment, `**` spans segments, a pattern that matches a directory excludes everything in
it, `!` re-includes, and the last matching pattern wins.
"""

import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BASE_IMAGE = "python:3.11.10-alpine3.20"


def _dockerignore_rules():
    rules = []
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line[1:].strip() if negate else line
        pattern = pattern.strip("/")
        regex = ""
        i = 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                regex += "(?:.*/)?"
                i += 3
            elif pattern.startswith("**", i):
                regex += ".*"
                i += 2
            elif pattern[i] == "*":
                regex += "[^/]*"
                i += 1
            elif pattern[i] == "?":
                regex += "[^/]"
                i += 1
            elif pattern[i] == "[":
                end = pattern.index("]", i)
                regex += "[" + pattern[i + 1 : end].replace("!", "^", 1) + "]"
                i = end + 1
            else:
                regex += re.escape(pattern[i])
                i += 1
        rules.append((re.compile(f"^{regex}$"), negate))
    return rules


def is_ignored(path: str, rules=None) -> bool:
    rules = _dockerignore_rules() if rules is None else rules
    parts = path.strip("/").split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    ignored = False
    for regex, negate in rules:
        if any(regex.match(c) for c in candidates):
            ignored = not negate
    return ignored


def _instructions():
    """(stage index, instruction, arguments) of the Dockerfile, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text()
    joined = re.sub(r"\\\n", " ", text)
    stage = -1
    result = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, args = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            stage += 1
        result.append((stage, instruction, args.strip()))
    return result


def _copy_sources():
    sources = []
    for _stage, instruction, args in _instructions():
        if instruction not in ("COPY", "ADD"):
            continue
        words = shlex.split(args)
        if any(w.startswith("--from") for w in words):
            continue
        paths = [w for w in words if not w.startswith("--")]
        sources.extend(paths[:-1])
    return sources


def test_every_copy_source_exists_and_is_not_dockerignored():
    sources = _copy_sources()
    assert sources, "no COPY found"
    rules = _dockerignore_rules()
    for source in sources:
        path = ROOT / source
        assert path.exists(), source
        files = [p for p in path.rglob("*.py")] if path.is_dir() else [path]
        assert files, source
        for file in files:
            if "__pycache__" in file.parts:
                continue
            rel = file.relative_to(ROOT).as_posix()
            assert not is_ignored(rel, rules), f"{rel} is excluded by .dockerignore"


def test_requirements_copied_before_app_code():
    sources = _copy_sources()
    assert sources[0] == "requirements.txt"
    assert sources.index("requirements.txt") < sources.index("app/")


@pytest.mark.parametrize(
    "path",
    [
        ".git/config",
        ".env",
        ".env.production",
        "app/.env",
        "app/.env.local",
        "server.pem",
        "tls/server.key",
        "tests/test_auth.py",
        "tests/conftest.py",
        "requirements-dev.txt",
        "app/__pycache__/routes.cpython-311.pyc",
        "wsgi.pyc",
        ".venv/bin/python",
        "venv/lib/site.py",
        ".pytest_cache/v/cache/nodeids",
        ".coverage",
        "htmlcov/index.html",
        ".idea/workspace.xml",
        ".vscode/settings.json",
        "node_modules/x/index.js",
        "docs/api.md",
        "README.md",
        ".github/workflows/ci.yml",
        "Dockerfile",
        "Dockerfile.dev",
        ".dockerignore",
    ],
)
def test_dockerignore_excludes(path):
    assert is_ignored(path), path


def test_base_images_are_pinned_and_multi_stage():
    froms = [args for _s, ins, args in _instructions() if ins == "FROM"]
    assert froms == [f"{BASE_IMAGE} AS builder", f"{BASE_IMAGE} AS runtime"]


def _stage(index):
    return [(ins, args) for s, ins, args in _instructions() if s == index]


def test_builder_installs_with_require_hashes_into_a_venv():
    runs = " ".join(args for ins, args in _stage(0) if ins == "RUN")
    assert "python -m venv /opt/venv" in runs
    assert "--require-hashes" in runs and "-r requirements.txt" in runs
    assert "--no-cache-dir" in runs


def test_runtime_stage_hardening():
    runtime = _stage(1)
    by_name = {}
    for ins, args in runtime:
        by_name.setdefault(ins, []).append(args)
    assert by_name["USER"] == ["10002:10002"]
    assert by_name["EXPOSE"] == ["5000"]
    assert by_name["STOPSIGNAL"] == ["SIGTERM"]
    assert by_name["ENTRYPOINT"] == ['["dumb-init", "--"]']
    assert by_name["CMD"] == ['["gunicorn", "--config", "gunicorn.conf.py", "wsgi:app"]']
    (healthcheck,) = by_name["HEALTHCHECK"]
    assert "--interval=30s --timeout=10s --start-period=40s --retries=3" in healthcheck
    assert "wget" in healthcheck and "http://127.0.0.1:5000/health" in healthcheck
    runs = " ".join(by_name["RUN"])
    assert re.search(r"apk add --no-cache dumb-init=\d[\w.\-]+", runs)
    assert "addgroup -g 10002 -S app" in runs and "adduser -u 10002 -S -G app app" in runs
    for tool in ("curl", "gcc", "build-base", "musl-dev", "make "):
        assert tool not in runs, tool
    copies = by_name["COPY"]
    assert "--from=builder /opt/venv /opt/venv" in copies
    assert all("--chown=10002:10002" in c for c in copies if "--from" not in c)
    labels = " ".join(by_name["LABEL"])
    for key in ("title", "description", "source", "licenses", "version"):
        assert f"org.opencontainers.image.{key}=" in labels
    env = " ".join(by_name["ENV"])
    for value in ("PATH=\"/opt/venv/bin:${PATH}\"", "PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1"):
        assert value in env


def test_no_secrets_in_the_dockerfile():
    for _s, ins, args in _instructions():
        if ins in ("ENV", "ARG", "LABEL"):
            assert not re.search(r"(SECRET|PASSWORD|TOKEN|_KEY)\s*=", args, re.I), args


def test_requirements_are_fully_hash_pinned():
    text = (ROOT / "requirements.txt").read_text()
    requirements = re.split(r"\n(?=[A-Za-z0-9])", re.sub(r"#.*", "", text).strip())
    names = set()
    for requirement in requirements:
        name = requirement.split("==")[0].strip().lower()
        assert re.match(r"^[a-z0-9._-]+==[\w.]+ \\", requirement), requirement
        assert re.search(r"--hash=sha256:[0-9a-f]{64}", requirement), requirement
        names.add(name)
    assert {"flask", "gunicorn", "werkzeug", "jinja2", "markupsafe"} <= names
