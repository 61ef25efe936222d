"""Edges of the runtime contract, found by compiling published stack shapes (#11).

Each case is a compose app that works under Compose and once failed in the cluster while
compiling and passing `composek8s check`. Each asserts the outcome, not one fix: the flow
works, or the compiler or the check says at its place that it will not.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from composek8s.check.contract import contract_issues
from composek8s.check.netpol import Network, Pod
from composek8s.diagnostics import CompileError, Reporter
from composek8s.pipeline import compile_plan

HELM = Path(__file__).parent / "tools" / "bin" / "helm"


def pod_of(c, name: str) -> Pod:
    """The pod of service ``name`` as the network sees it."""
    ports = {p["name"]: (p["containerPort"], p.get("protocol", "TCP"))
             for ct in c.pod(name)["containers"] for p in ct.get("ports", []) if p.get("name")}
    return Pod(c.get("Namespace", c.plan.namespace)["metadata"]["name"], c.pod_labels(name), ports)


def test_every_host_of_a_host_list_is_a_client_flow(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          app:
            image: example/app:1.0.0
            environment:
              MONGO_URL: mongodb://mongo1:27017,mongo2:27017/app?replicaSet=rs0
              KAFKA_BOOTSTRAP_SERVERS: kafka1:9092,kafka2:9092
          mongo1: {image: "mongo:7.0"}
          mongo2: {image: "mongo:7.0"}
          kafka1: {image: "apache/kafka:3.8.0"}
          kafka2: {image: "apache/kafka:3.8.0"}
    """)
    net, app = Network(c.manifests), pod_of(c, "app")
    for target, port in (("mongo1", 27017), ("mongo2", 27017), ("kafka1", 9092), ("kafka2", 9092)):
        server = pod_of(c, target)
        assert net.allows_ingress(app, server, port) and net.allows_egress(app, server, port), target


def test_a_reference_to_a_job_is_a_connectivity_finding(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          api:
            image: example/api:1.0.0
            ports: ["3000:3000"]
            x-k8s: {kind: Job}
          web:
            image: example/web:1.0.0
            environment:
              API_URL: http://api:3000
    """)
    assert c.kinds("api") == {"Job", "NetworkPolicy", "ServiceAccount"}  # no Service
    issues = contract_issues(c.manifests)
    assert any(i.rule == "connectivity" and "http://api:3000" in i.message for i in issues)


def test_a_service_name_with_an_underscore_resolves_from_files_and_commands(compile_compose):
    c = compile_compose("""
        name: shop
        services:
          flask_app:
            image: example/flask:1.0.0
            command: gunicorn -b 0.0.0.0:8000 app:app
          proxy:
            image: nginx:1.27
            volumes: ["./nginx/default.conf:/etc/nginx/conf.d/default.conf:ro"]
          poller:
            image: curlimages/curl:8.9.1
            restart: on-failure
            command: ["sh", "-c", "while true; do curl -fsS http://flask_app:8000/; sleep 30; done"]
    """, files={"nginx/default.conf": "server {\n  listen 80;\n  location / { proxy_pass http://flask_app:8000; }\n}\n"})
    config = "".join(c.get("ConfigMap", "proxy-nginx-default-conf")["data"].values())
    args = " ".join(c.container("poller")["args"])
    issues = [i.message for i in contract_issues(c.manifests) if "flask_app" in i.message]
    told = [d for d in c.diagnostics if "flask_app" in str(d) and d.code != "W-PORT-INFERRED"
            and (str(d.position.file).endswith("default.conf") or "command" in d.message)]
    assert "flask_app" not in config or any("ConfigMap" in m for m in issues) \
        or any(str(d.position.file).endswith("default.conf") for d in told)
    assert "flask_app" not in args or any("args" in m for m in issues) or any("command" in d.message for d in told)


@pytest.mark.skipif(not HELM.exists(), reason="helm is installed by tests/tools (test_chart.py says how)")
def test_a_chart_under_another_release_reaches_the_hosts_its_mounted_files_name(tmp_path):
    (tmp_path / "proxy").mkdir()
    (tmp_path / "proxy" / "default.conf").write_text("server {\n  listen 80;\n"
                                                      "  location / { proxy_pass http://backend:8000; }\n}\n")
    (tmp_path / "compose.yaml").write_text(textwrap.dedent("""
        name: shop
        services:
          backend:
            image: example/backend:1.0.0
            expose: ["8000"]
          proxy:
            image: nginx:1.27
            volumes: ["./proxy/default.conf:/etc/nginx/conf.d/default.conf:ro"]
    """))
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    synth = subprocess.run([sys.executable, "-m", "composek8s", "synth", "-o", "dist", "--chart-dir", "charts"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert synth.returncode == 0, synth.stderr
    rendered = subprocess.run([str(HELM), "template", "prod", str(tmp_path / "charts" / "shop"), "-n", "shop"],
                              capture_output=True, text=True, timeout=60)
    assert rendered.returncode == 0, rendered.stderr
    objects = [o for o in yaml.safe_load_all(rendered.stdout) if o]
    services = {o["metadata"]["name"] for o in objects if o["kind"] == "Service"}
    assert "prod-backend" in services  # the release prefixes every object
    config = next(o for o in objects if o["kind"] == "ConfigMap" and "default.conf" in (o.get("data") or {}))
    works = "http://prod-backend:8000" in config["data"]["default.conf"]
    reported = any("backend" in i.message for i in contract_issues(objects))
    assert works or reported


def test_a_single_project_file_too_large_for_a_config_map_is_refused_with_the_fix(compile_error):
    # A folder that large becomes a claim; a single file cannot: a claim mounted at a file's
    # path (subPath) starts as an empty directory there, and one at its folder would hide the
    # image's files beside it. So the error says to mount the folder instead.
    line = '10.0.0.1 - - [17/May/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 612 "-" "curl/8.9.1"\n'
    errors = compile_error("""
        name: elk
        services:
          logstash:
            image: logstash:8.15.0
            volumes:
              - ./logstash/nginx.log:/home/nginx.log
    """, files={"logstash/nginx.log": line * (1024 * 1024 // len(line) + 1)})
    [error] = [e for e in errors if e.code == "E-CONFIGMAP-TOO-LARGE"]
    assert "mount its folder instead" in error.message and error.position.line == 7


def test_a_refused_bind_mount_is_reported_once(tmp_path):
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "server.key").write_text("not a real key\n")
    (tmp_path / "compose.yaml").write_text(textwrap.dedent("""
        services:
          web:
            image: nginx:1.27
            volumes: ["./certs/server.key:/etc/ssl/server.key:ro"]
    """))
    reporter = Reporter()
    with pytest.raises(CompileError):
        compile_plan([tmp_path / "compose.yaml"], cwd=tmp_path, environ={}, reporter=reporter)
    assert [d.code for d in reporter.diagnostics if d.position and d.position.line == 5] == ["E-SECRET-FILE"]
