"""The build-context check: COPY sources, .dockerignore, --from stages, the final stage."""
from __future__ import annotations

import textwrap
from pathlib import Path

from composek8s.check.buildcontext import DockerIgnore, check_context

GOOD = """
FROM node:20.18-alpine3.20 AS deps
WORKDIR /app
COPY package*.json ./
RUN npm ci --omit=dev
FROM node:20.18-alpine3.20 AS runtime
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY src/ ./src/
USER 10001:10001
HEALTHCHECK CMD wget -q --spider http://localhost:3001/health || exit 1
"""


def context(tmp_path: Path, dockerfile: str, ignore: str = "", files=("package.json", "package-lock.json", "src/server.js")) -> Path:
    (tmp_path / "Dockerfile").write_text(textwrap.dedent(dockerfile))
    (tmp_path / ".dockerignore").write_text(ignore)
    for rel in files:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    return tmp_path


def messages(tmp_path: Path) -> list[str]:
    return [f"{p.line}: {p.message}" for p in check_context(tmp_path)]


def test_a_good_context_has_no_problems(tmp_path):
    assert messages(context(tmp_path, GOOD, ignore="node_modules\n.git\n.env*\ntest/\n")) == []


def test_a_missing_copy_source_is_reported_with_its_line(tmp_path):
    assert messages(context(tmp_path, GOOD, files=("package.json",))) == [
        "9: COPY source 'src/' does not exist in the build context"]


def test_a_source_excluded_by_dockerignore_is_reported(tmp_path):
    assert messages(context(tmp_path, GOOD, ignore="src\n")) == [
        "9: COPY source 'src/' is excluded by .dockerignore"]


def test_a_glob_source_needs_one_file_left_after_dockerignore(tmp_path):
    assert messages(context(tmp_path, GOOD, ignore="package*.json\n")) == [
        "4: COPY source 'package*.json' is excluded by .dockerignore"]


def test_from_must_name_an_earlier_stage(tmp_path):
    text = GOOD.replace("--from=deps", "--from=dependencies")
    assert messages(context(tmp_path, text)) == ["8: --from=dependencies names no earlier stage"]


def test_an_external_image_in_from_is_allowed(tmp_path):
    text = GOOD.replace("--from=deps /app/node_modules", "--from=busybox:1.36 /bin/busybox")
    assert messages(context(tmp_path, text)) == []


def test_the_final_stage_needs_a_numeric_non_root_user(tmp_path):
    assert messages(context(tmp_path, GOOD.replace("USER 10001:10001", "USER node"))) == [
        "10: USER node is not numeric uid:gid (Kubernetes cannot verify runAsNonRoot for a name)"]
    assert messages(context(tmp_path, GOOD.replace("USER 10001:10001", "USER 0"))) == ["10: USER 0 is root"]
    assert messages(context(tmp_path, GOOD.replace("USER 10001:10001\n", ""))) == [
        "6: the final stage has no USER (it would run as root)"]


def test_the_final_stage_needs_a_healthcheck(tmp_path):
    text = GOOD.replace("HEALTHCHECK CMD wget -q --spider http://localhost:3001/health || exit 1", "HEALTHCHECK NONE")
    assert messages(context(tmp_path, text)) == ["6: the final stage has no HEALTHCHECK"]


def test_build_tools_in_the_final_stage_are_reported(tmp_path):
    text = GOOD.replace("COPY src/ ./src/", "RUN apk add --no-cache build-base=0.5-r3 dumb-init\nCOPY src/ ./src/")
    assert messages(context(tmp_path, text)) == ["6: the final stage installs build tools: build-base"]


def test_dockerignore_follows_moby_rules():
    ignore = DockerIgnore("# comment\n**/*.log\nnode_modules\n.env*\n!.env.example\ndocs/\n/build\n")
    assert ignore.excluded("a/b/debug.log")
    assert ignore.excluded("debug.log")
    assert ignore.excluded("node_modules/react/index.js")
    assert ignore.excluded(".env.production")
    assert not ignore.excluded(".env.example")
    assert ignore.excluded("docs/readme.md")
    assert ignore.excluded("build/x")
    assert not ignore.excluded("src/build.js")
