"""The picture of the app (composek8s/graph.py) against the objects it is drawn from.

Edges are read back from the Mermaid text and compared with what the NetworkPolicy evaluator
says of every (client workload, Service port) pair: every drawn flow is allowed and every
allowed flow is drawn. The Mermaid text is parsed by the real Mermaid parser and the dot by
the real Graphviz (both pinned in tests/tools/package.json, run by tests/tools/*.mjs).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from composek8s.check.netpol import Network
from composek8s.diagnostics import Reporter
from composek8s.graph import _target, _workload, build_graph, plan_objects, to_dot, to_mermaid
from composek8s.pipeline import compile_plan

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "tests" / "tools"
STACKS = ROOT / "tests" / "stacks"
ATLANTIPLEX = ROOT / "docker" / "docker-compose.yml"
# Every stack that compiles (a refused one has no objects to draw).
GRAPH_STACKS = sorted(p.name for p in STACKS.iterdir() if (p / "expect.yaml").is_file()
                      and "error" not in yaml.safe_load((p / "expect.yaml").read_text()))


def _objects(compose: Path, environ: dict | None = None) -> tuple[object, list[dict]]:
    plan = compile_plan([compose], cwd=compose.parent, environ=environ or {}, reporter=Reporter())
    return plan, plan_objects(plan)


def _projects():
    yield "atlantiplex", ATLANTIPLEX, None
    for name in GRAPH_STACKS:
        expect = yaml.safe_load((STACKS / name / "expect.yaml").read_text())
        yield name, STACKS / name / "compose.yaml", expect.get("environ")


PROJECTS = list(_projects())


def _node(script: str):
    node = shutil.which("node")
    if node is None or not (TOOLS / "node_modules" / "mermaid").is_dir() \
            or not (TOOLS / "node_modules" / "@hpcc-js" / "wasm-graphviz").is_dir():
        install = "npm ci --prefix tests/tools"
        if os.environ.get("CI"):
            pytest.fail(f"the Mermaid parser or Graphviz is missing: {install} (.ci/run does)")
        pytest.skip(f"the Mermaid parser or Graphviz is missing: {install}")

    def run(text: str) -> subprocess.CompletedProcess:
        return subprocess.run([node, str(TOOLS / script)], input=text, capture_output=True, text=True, timeout=120)

    return run


@pytest.fixture(scope="module")
def parse_mermaid():
    return _node("parse_mermaid.mjs")


@pytest.fixture(scope="module")
def parse_dot():
    return _node("parse_dot.mjs")


# --- reading the Mermaid text back ----------------------------------------------------------

def _unescape(text: str) -> str:
    return re.sub(r"#(\d+);", lambda m: chr(int(m.group(1))), text)


def _nodes(mermaid: str) -> dict[str, str]:
    """node id -> its label as shown."""
    found = {}
    for line in mermaid.splitlines():
        m = re.fullmatch(r'\s+(\w+)(?:\["|\(\["|\[\("|\{\{")(.*?)(?:"\]|"\]\)|"\)\]|"\}\})', line)
        if m:
            found[m.group(1)] = _unescape(m.group(2))
    return found


def _drawn_flows(mermaid: str) -> set[tuple[str, str, str]]:
    """(client workload, Service, port) for each solid arrow from a workload to a Service."""
    nodes = _nodes(mermaid)
    flows = set()
    for line in mermaid.splitlines():
        m = re.fullmatch(r'\s+(\w+) -->\|"(.*?)"\| (\w+)', line)
        if m and nodes[m.group(1)].split("<br/>")[0] in ("Deployment", "StatefulSet", "Job", "DaemonSet", "CronJob"):
            assert nodes[m.group(3)].startswith("Service "), line
            service = nodes[m.group(3)].removeprefix("Service ").rpartition(" :")[0]
            flows.add((nodes[m.group(1)].split("<br/>", 1)[1], service, _unescape(m.group(2))))
    return flows


def _allowed_flows(objects: list[dict]) -> set[tuple[str, str, str]]:
    """Every (client, Service, port) the policies allow, asked of the evaluator pair by pair:
    each workload against each port of each Service, at the pods the Service selects."""
    network = Network(objects)
    workloads = [_workload(o) for o in objects if o["kind"] in ("Deployment", "StatefulSet", "Job")]
    allowed = set()
    for service in (o for o in objects if o["kind"] == "Service"):
        selector = service["spec"].get("selector") or {}
        servers = [w for w in workloads if selector and all(w.pod.labels.get(k) == v for k, v in selector.items())]
        for port in service["spec"].get("ports") or []:
            protocol = port.get("protocol", "TCP")
            label = str(port["port"]) if protocol == "TCP" else f"{port['port']}/{protocol}"
            for server in servers:
                target = _target(port, server.pod)
                for client in workloads:
                    if target is not None and network.allows_egress(client.pod, server.pod, target, protocol) \
                            and network.allows_ingress(client.pod, server.pod, target, protocol):
                        allowed.add((client.name, service["metadata"]["name"], label))
    return allowed


# --- the drawing against the policies -------------------------------------------------------

@pytest.mark.parametrize("name,compose,environ", PROJECTS, ids=[p[0] for p in PROJECTS])
def test_every_drawn_flow_is_allowed_and_every_allowed_flow_is_drawn(name, compose, environ):
    _, objects = _objects(compose, environ)
    drawn, allowed = _drawn_flows(to_mermaid(build_graph(objects))), _allowed_flows(objects)
    assert drawn == allowed


def test_atlantiplex_shows_what_its_policies_say():
    _, objects = _objects(ATLANTIPLEX)
    drawn = _drawn_flows(to_mermaid(build_graph(objects)))
    assert ("flask-backend", "postgres", "5432") in drawn
    assert ("frontend", "postgres", "5432") not in drawn  # acknowledged: the frontend is shut out
    assert ("frontend", "redis", "6379") not in drawn
    assert not any(client in ("postgres", "redis") for client, _, _ in drawn)  # data stores call no one


def test_a_policy_change_changes_the_picture():
    """Removing the rule that admits flask-backend to PostgreSQL removes exactly that arrow."""
    _, objects = _objects(ATLANTIPLEX)
    before = _drawn_flows(to_mermaid(build_graph(objects)))
    for policy in (o for o in objects if o["kind"] == "NetworkPolicy" and o["metadata"]["name"] == "postgres"):
        for rule in policy["spec"]["ingress"]:
            rule["from"] = [p for p in rule.get("from", []) if "flask-backend" not in str(p)]
    after = _drawn_flows(to_mermaid(build_graph(objects)))
    assert {f for f in before - after if f[1].startswith("postgres")} == {("flask-backend", "postgres", "5432"),
                                                                  ("flask-backend", "postgres-headless", "5432")}
    assert after <= before


@pytest.mark.parametrize("name,compose,environ", PROJECTS, ids=[p[0] for p in PROJECTS])
def test_kinds_services_ingress_and_claims_appear(name, compose, environ):
    _, objects = _objects(compose, environ)
    labels = set(_nodes(to_mermaid(build_graph(objects))).values())
    for o in objects:
        kind, obj = o["kind"], o["metadata"]["name"]
        if kind in ("Deployment", "StatefulSet", "Job"):
            assert f"{kind}<br/>{obj}" in labels
        elif kind == "Service":
            ports = ", ".join(str(p["port"]) + ("" if p.get("protocol", "TCP") == "TCP" else f"/{p['protocol']}")
                              for p in o["spec"]["ports"])
            assert f"Service {obj} :{ports}" in labels
        elif kind == "Ingress":
            assert f"Ingress {obj}" in labels
        elif kind == "PersistentVolumeClaim":
            assert any(label.startswith(f"claim {obj} ") for label in labels)
        elif kind == "StatefulSet":
            for t in o["spec"].get("volumeClaimTemplates") or []:
                assert any(label.startswith(f"claim {t['metadata']['name']}-{obj}") for label in labels)


def test_atlantiplex_ingress_route_and_claims():
    _, objects = _objects(ATLANTIPLEX)
    text = to_mermaid(build_graph(objects))
    nodes = {v: k for k, v in _nodes(text).items()}
    host = next(r["host"] for o in objects if o["kind"] == "Ingress" for r in o["spec"]["rules"])
    route = re.search(rf'{nodes["Ingress frontend"]} -->\|"(.*?)"\| {nodes["Service frontend :8080"]}', text)
    assert route and _unescape(route.group(1)).startswith(host + "/")
    assert f'{nodes["StatefulSet<br/>postgres"]} --- {nodes["claim postgres-data-postgres 10Gi"]}' in text


# --- the notations parse --------------------------------------------------------------------

@pytest.mark.parametrize("name,compose,environ", PROJECTS, ids=[p[0] for p in PROJECTS])
def test_mermaid_parses_and_dot_is_well_formed(name, compose, environ, parse_mermaid, parse_dot):
    _, objects = _objects(compose, environ)
    graph = build_graph(objects)
    result = parse_mermaid(to_mermaid(graph))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("flowchart")
    result = parse_dot(to_dot(graph, name))
    assert result.returncode == 0, result.stderr


def test_the_parsers_refuse_broken_text(parse_mermaid, parse_dot):
    """The checks above can fail."""
    assert parse_mermaid('flowchart LR\n  a["x"] -->|"y| b\n').returncode == 1
    assert parse_dot("digraph { a -> ; }").returncode == 1


HOSTILE = 'x"]; evil(["y"] --> z %% ` #quot; <b>&amp;|{}'


def _hostile_objects() -> list[dict]:
    labels = {"app": "a"}
    pod = {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "c", "ports": [
        {"name": "http", "containerPort": 80}]}], "volumes": [{"name": "v", "persistentVolumeClaim": {"claimName": HOSTILE}}]}}
    return [{"kind": "Deployment", "metadata": {"name": HOSTILE}, "spec": {"template": pod}},
            {"kind": "Service", "metadata": {"name": HOSTILE}, "spec": {"selector": labels, "ports": [
                {"port": 80, "targetPort": "http"}]}},
            {"kind": "PersistentVolumeClaim", "metadata": {"name": HOSTILE}, "spec": {}},
            {"kind": "Ingress", "metadata": {"name": HOSTILE}, "spec": {"rules": [{"host": HOSTILE, "http": {"paths": [
                {"path": "/" + HOSTILE, "backend": {"service": {"name": HOSTILE, "port": {"name": HOSTILE}}}}]}}]}}]


def test_names_cannot_inject_syntax(parse_mermaid, parse_dot):
    graph = build_graph(_hostile_objects())
    text = to_mermaid(graph)
    nodes = _nodes(text)
    assert sorted(nodes.values()) == sorted([f"Deployment<br/>{HOSTILE}", f"Service {HOSTILE} :80",
                                             f"claim {HOSTILE}", f"Ingress {HOSTILE}"])
    assert _drawn_flows(text) == {(HOSTILE, HOSTILE, "80")}  # no policy: the one flow is open
    result = parse_mermaid(text)
    assert result.returncode == 0, result.stderr
    dot = to_dot(graph, HOSTILE)
    result = parse_dot(dot)
    assert result.returncode == 0, result.stderr
    assert dot.count(" -> ") == 4  # route, backend, flow, claim: nothing more


# --- where the picture is shown -------------------------------------------------------------

def _composek8s(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    return subprocess.run([sys.executable, "-m", "composek8s", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_readmes_embed_the_diagram_of_the_objects():
    plan, objects = _objects(ATLANTIPLEX)
    diagram = f"```mermaid\n{to_mermaid(build_graph(objects))}```"
    assert diagram in (ROOT / "dist" / "README.md").read_text()
    assert diagram in (ROOT / "charts" / "atlantiplex" / "README.md").read_text()


def test_graph_command(tmp_path):
    result = _composek8s("graph", "-f", str(ATLANTIPLEX), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    _, objects = _objects(ATLANTIPLEX)
    assert result.stdout == to_mermaid(build_graph(objects))
    result = _composek8s("graph", "-f", str(ATLANTIPLEX), "--format", "dot", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.startswith('digraph "atlantiplex" {')
    assert _composek8s("graph", "--format", "svg", "-f", str(ATLANTIPLEX), cwd=tmp_path).returncode == 2
    assert not any(tmp_path.iterdir())  # graph writes nothing


def test_graph_command_on_bad_input(tmp_path):
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: nginx\n    ports: [notaport]\n")
    result = _composek8s("graph", cwd=tmp_path)
    assert result.returncode == 2
    assert "compose.yaml:4:" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def _web_farm(tmp_path: Path, n: int) -> Path:
    """``n`` web services on one network, each depending on the previous one."""
    lines = ["name: farm", "services:"]
    for i in range(n):
        lines += [f"  web{i}:", "    image: nginx:1.27", "    user: '101'", "    read_only: true",
                  "    expose: ['8080']"] + ([f"    depends_on: [web{i - 1}]"] if i else [])
    (tmp_path / "compose.yaml").write_text("\n".join(lines) + "\n")
    return tmp_path / "compose.yaml"


def test_a_picture_too_large_for_mermaid_is_not_embedded(tmp_path, parse_mermaid):
    from composek8s.graph import MERMAID_MAX_EDGES, readme_section

    plan, objects = _objects(_web_farm(tmp_path, 30))
    full = build_graph(objects)
    assert full.complete and len(full.flows) > MERMAID_MAX_EDGES  # every pod may reach every other here
    result = parse_mermaid(to_mermaid(full))
    assert result.returncode == 1 and "Edge limit exceeded" in result.stderr  # what a README would show
    stopped = build_graph(objects, max_edges=MERMAID_MAX_EDGES)
    assert not stopped.complete and stopped.flows == full.flows[:len(stopped.flows)]
    section = "\n".join(readme_section(plan))
    assert "```mermaid" not in section
    assert "30 workloads and 30 Services" in section and "composek8s graph --format dot" in section


def test_a_picture_within_mermaids_limits_is_embedded(tmp_path, parse_mermaid):
    from composek8s.graph import readme_section

    plan, objects = _objects(_web_farm(tmp_path, 5))
    graph = build_graph(objects, max_edges=500)
    assert graph.complete and graph.flows == build_graph(objects).flows
    assert parse_mermaid(to_mermaid(graph)).returncode == 0
    assert f"```mermaid\n{to_mermaid(graph)}```" in "\n".join(readme_section(plan)) + "\n"
