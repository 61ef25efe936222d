"""Values keys that hold a dot: environment names like Elasticsearch's ``discovery.type``.

A chart value is addressed by a dotted path (``es.env.NAME``); a name that itself holds a
dot must stay one key in values.yaml, in the schema and in the template (``index``), and be
settable as Helm sets such keys (``--set es.env.discovery\\.type=…``).
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from composek8s.helm import render_chart
from composek8s.helm.values import values_tree

HELM = Path(__file__).resolve().parent / "tools" / "bin" / "helm"

COMPOSE = """
services:
  es:
    image: docker.elastic.co/elasticsearch/elasticsearch:8.14.1
    expose: ["9200"]
    environment:
      - discovery.type=single-node
      - xpack.security.enabled=false
      - "ES_JAVA_OPTS=-Xms512m -Xmx512m"
"""


def _env(container: dict) -> dict:
    return {e["name"]: e.get("value") for e in container["env"]}


def test_a_dotted_environment_name_is_one_values_key(compile_compose):
    compiled = compile_compose(COMPOSE)
    assert _env(compiled.container("es"))["discovery.type"] == "single-node"
    env = values_tree(compiled.plan)["es"]["env"]
    assert env == {"discovery.type": "single-node", "xpack.security.enabled": "false",
                   "ES_JAVA_OPTS": "-Xms512m -Xmx512m"}
    files = render_chart(compiled.plan)
    assert yaml.safe_load(files["values.yaml"])["es"]["env"] == env
    schema = json.loads(files["values.schema.json"])
    assert schema["properties"]["es"]["properties"]["env"]["additionalProperties"] == {"type": "string"}
    template = next(t for k, t in files.items() if k.startswith("templates/statefulset-es"))
    assert '(index $.Values "es" "env" "discovery.type")' in template


def test_a_dotted_environment_name_renders_and_is_settable_through_helm(compile_compose, tmp_path):
    if not HELM.exists():
        pytest.skip("helm is missing: python tests/tools/install_helm.py")
    compiled = compile_compose(COMPOSE)
    chart = tmp_path / "chart"
    for rel, text in render_chart(compiled.plan).items():
        (chart / rel).parent.mkdir(parents=True, exist_ok=True)
        (chart / rel).write_text(text)
    result = subprocess.run([str(HELM), "template", "x", str(chart), "--set", r"es.env.discovery\.type=multi-node"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    pod = next(d for d in yaml.safe_load_all(result.stdout) if d and d["kind"] == "StatefulSet")
    env = _env(pod["spec"]["template"]["spec"]["containers"][0])
    assert env["discovery.type"] == "multi-node" and env["xpack.security.enabled"] == "false"
