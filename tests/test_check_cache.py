"""``synth --check`` skips the compile only when nothing the output depends on has changed.

One project reads every kind of input (compose file, ``.env``, an ``env_file``, a Dockerfile,
a bind-mounted file and folder, a config file, a secret's file, variables from the shell);
after ``synth`` each input is changed in turn, so the output would change, and the check must
compile and report the drift. Put back, the check is served from the cache again.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "composek8s.cli", "synth"]
FAST = "no input changed since the last synth"

COMPOSE = """\
name: cachetest
services:
  app:
    build: ./app
    image: registry.example.com/app:1.0
    env_file: app.env
    environment:
      GREETING: ${GREETING}
      LEVEL: ${LEVEL:-info}
    volumes:
      - ./conf/app.conf:/etc/app/app.conf:ro
      - ./static:/srv/static:ro
    configs:
      - source: settings
        target: /etc/app/settings.ini
    secrets: [db_password]
configs:
  settings:
    file: ./settings.ini
secrets:
  db_password:
    file: ./db_password.txt
"""

FILES = {
    "compose.yaml": COMPOSE,
    "app/Dockerfile": "FROM alpine:3.20\nUSER 1000\nEXPOSE 8080\nCMD [\"app\"]\n",
    ".env": "GREETING=hello\n",
    "app.env": "MODE=fast\n",
    "conf/app.conf": "listen 8080\n",
    "static/index.html": "<h1>hi</h1>\n",
    "settings.ini": "[main]\nx = 1\n",
    "db_password.txt": "s3cr3t-pass\n",
}


def synth(root: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("GREETING", "LEVEL")}
    environ.update(JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20", XDG_CACHE_HOME=str(root.parent / "xdg"),
                   **(env or {}))
    return subprocess.run(CLI + list(args), cwd=root, env=environ, capture_output=True, text=True)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cache") / "project"
    root.mkdir()
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    result = synth(root)
    assert result.returncode == 0, result.stderr
    return root


def replace(rel: str, old: str, new: str):
    def change(root: Path) -> None:
        path = root / rel
        assert old in path.read_text()
        path.write_text(path.read_text().replace(old, new))
    return change


def add_file(root: Path) -> None:
    (root / "static" / "about.html").write_text("<p>about</p>\n")


def link_secret(root: Path) -> None:
    """The secret's path now names the mounted file itself (same size, so only the file's
    identity tells): the mounted file may no longer become a ConfigMap."""
    (root / "db_password.txt").unlink()
    os.link(root / "conf" / "app.conf", root / "db_password.txt")


def tamper(rel: str):
    def change(root: Path) -> None:
        path = root / rel
        path.write_text(path.read_text() + "# edited\n")
    return change


def extra_output(root: Path) -> None:
    (root / "charts" / "cachetest" / "templates" / "extra.yaml").write_text("kind: ConfigMap\n")


CHANGES = {
    "compose file": (replace("compose.yaml", "${LEVEL:-info}", "${LEVEL:-warn}"), {}, ()),
    ".env": (replace(".env", "hello", "bonjour"), {}, ()),
    "env_file": (replace("app.env", "fast", "slow"), {}, ()),
    "Dockerfile": (replace("app/Dockerfile", "EXPOSE 8080", "EXPOSE 8081"), {}, ()),
    "mounted file": (replace("conf/app.conf", "8080", "9090"), {}, ()),
    "mounted folder": (add_file, {}, ()),
    "config file": (replace("settings.ini", "x = 1", "x = 2"), {}, ()),
    "secret path": (link_secret, {}, ()),
    "interpolated variable set in the shell": (None, {"GREETING": "salut"}, ()),
    "defaulted variable set in the shell": (None, {"LEVEL": "debug"}, ()),
    "option": (None, {}, ("--namespace", "elsewhere")),
    "output edited": (tamper("dist/base/deployment-app.yaml"), {}, ()),
    "chart edited": (tamper("charts/cachetest/values.yaml"), {}, ()),
    "output added": (extra_output, {}, ()),
}


def test_an_unchanged_project_is_checked_without_compiling(project):
    result = synth(project, "--check")
    assert result.returncode == 0, result.stderr
    assert FAST in result.stderr
    assert "warning[W-RESOURCES-DEFAULT]" in result.stderr  # the warnings, as the compile printed them


@pytest.mark.parametrize("kind", list(CHANGES))
def test_each_kind_of_input_changed_is_noticed(project, kind):
    change, env, args = CHANGES[kind]
    saved = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    try:
        if change:
            change(project)
        result = synth(project, "--check", *args, env=env)
        assert FAST not in result.stderr
        assert result.returncode != 0, f"{kind}: {result.stderr}"
    finally:
        for path in [p for p in project.rglob("*") if p.is_file()]:
            if path not in saved:
                path.unlink()
        for path, data in saved.items():
            if path.exists() and path.stat().st_nlink > 1:
                path.unlink()  # a hard link is broken, not written through
            path.write_bytes(data)  # in place: the same file, as before
    if kind == "secret path":  # the secret's file is another file now (a new inode): record it
        assert synth(project).returncode == 0
    again = synth(project, "--check")  # put back (by content, not time): the cache serves again
    assert again.returncode == 0 and FAST in again.stderr, again.stderr


def test_a_foreign_or_broken_cache_means_a_full_compile(project):
    records = list((project.parent / "xdg" / "composek8s").glob("synth-*.json"))
    assert len(records) == 1
    original = records[0].read_text()
    try:
        for broken in ("{not json", json.dumps({**json.loads(original), "code": "other code"}),
                       json.dumps({**json.loads(original), "format": 0})):
            records[0].write_text(broken)
            result = synth(project, "--check")
            assert result.returncode == 0, result.stderr
            assert FAST not in result.stderr and "are current" in result.stderr
    finally:
        records[0].write_text(original)


def test_the_cache_holds_no_value_and_stays_out_of_the_project(project):
    assert not list(project.rglob("synth-*.json"))
    text = "".join(p.read_text() for p in (project.parent / "xdg" / "composek8s").glob("synth-*.json"))
    for value in ("hello", "s3cr3t-pass", "MODE=fast"):
        assert value not in text
    for name in ("GREETING", "LEVEL", "HOME"):  # asked for, recorded by name
        assert f'"{name}"' in text


def test_the_digest_of_what_was_written_is_the_digest_of_the_folders(tmp_path):
    """synth records the output's digest from the texts it wrote; the check recomputes it
    from the disk. Names that sort differently as text and as paths included."""
    from composek8s.checkcache import output_digest, written_digest

    trees = {tmp_path / "dist": {"a/b.yaml": "1\n", "a.b": "2\n", "a-b/c.yaml": "3\n", "ab": "ünï\n",
                                 "overlays/prod/kustomization.yaml": "4\n", "README.md": "5\n"},
             tmp_path / "charts" / "app": {"templates/x.yaml": "6\n", "Chart.yaml": "7\n"}}
    for folder, files in trees.items():
        for rel, text in files.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_text(text, encoding="utf-8", newline="\n")
    assert written_digest(trees) == output_digest(*trees)
    (tmp_path / "dist" / "a.b").write_text("changed\n", encoding="utf-8")
    assert written_digest(trees) != output_digest(*trees)
