"""A picture of the app: workloads, Services and their ports, Ingresses, claims, and exactly
the network flows the NetworkPolicies allow, as Mermaid (``flowchart``) and Graphviz dot.

It reads Kubernetes objects (the Plan's, as ``dist/`` holds them, or any manifests), never the
compose file: a flow is drawn from a workload to a Service port when ``check/netpol.py`` says
the policies allow it at both ends (the client's egress and the server's ingress, on the
container port the Service's ``targetPort`` resolves to). Ingress routes and claim mounts are
drawn as what the objects say.

Both notations are written here by hand (no Python library writes Mermaid; dot is a few lines
of quoting); every text from the objects goes through ``_mermaid_text`` / ``_dot_text``, so
compose text cannot inject syntax. The test suite parses the output with the real Mermaid
parser and the real Graphviz (both from npm, pinned in tests/tools).
"""
from __future__ import annotations

from msgspec import Struct, field

from .check.netpol import Network, Pod

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")


class Workload(Struct, frozen=True):
    kind: str
    name: str
    pod: Pod
    claims: tuple[str, ...]  # claim names it mounts (volumeClaimTemplates included)


class ServicePort(Struct, frozen=True):
    service: str
    port: int
    protocol: str


class Flow(Struct, frozen=True):
    """``client`` may open a connection to ``service``:``port`` (to pods of ``server``)."""

    client: str
    server: str
    service: str
    port: int
    protocol: str


class AppGraph(Struct):
    workloads: list[Workload] = field(default_factory=list)
    services: dict[str, list[ServicePort]] = field(default_factory=dict)  # name -> ports
    backends: dict[str, list[str]] = field(default_factory=dict)  # Service -> workloads it selects
    routes: list[tuple[str, str, str, int | str]] = field(default_factory=list)  # ingress, host+path, svc, port
    claims: list[tuple[str, str]] = field(default_factory=list)  # name, size
    flows: list[Flow] = field(default_factory=list)
    complete: bool = True  # False: build_graph stopped at its max_edges


def _pod_template(obj: dict) -> dict:
    spec = obj.get("spec") or {}
    if obj["kind"] == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    return spec.get("template") or {}


def _workload(obj: dict) -> Workload:
    template = _pod_template(obj)
    meta, spec = obj.get("metadata") or {}, template.get("spec") or {}
    named: dict[str, tuple[int, str]] = {}
    for container in spec.get("containers") or []:
        for port in container.get("ports") or []:
            if port.get("name"):
                named[port["name"]] = (int(port["containerPort"]), str(port.get("protocol") or "TCP"))
    claims = [v["persistentVolumeClaim"]["claimName"] for v in spec.get("volumes") or []
              if isinstance(v.get("persistentVolumeClaim"), dict)]
    # A StatefulSet's claim of pod N is <template>-<name>-N; the template stands for them all.
    claims += [f"{(t.get('metadata') or {}).get('name')}-{meta.get('name')}"
               for t in (obj.get("spec") or {}).get("volumeClaimTemplates") or []]
    pod = Pod(meta.get("namespace") or "default", dict((template.get("metadata") or {}).get("labels") or {}), named)
    return Workload(obj["kind"], str(meta.get("name")), pod, tuple(claims))


def _target(port: dict, pod: Pod) -> int | None:
    """The container port a Service port reaches on ``pod`` (a named targetPort resolved)."""
    target = port.get("targetPort", port.get("port"))
    if isinstance(target, str) and not target.isdigit():
        named = pod.named_ports.get(target)
        return named[0] if named else None
    return int(target)


def _size(claim: dict) -> str:
    return str((((claim.get("spec") or {}).get("resources") or {}).get("requests") or {}).get("storage") or "")


def build_graph(objects: list[dict], max_edges: int | None = None) -> AppGraph:
    """The graph of a set of Kubernetes objects (one namespace's app, as synth writes it).

    With ``max_edges``, the flows stop being computed once the drawing would have more edges
    than that (``graph.complete`` is then False): a README cannot show such a diagram, and
    the flows of a large project grow with the square of its services."""
    graph = AppGraph()
    network = Network(objects)
    graph.workloads = [_workload(o) for o in objects if o.get("kind") in WORKLOAD_KINDS]
    for obj in objects:
        kind, meta = obj.get("kind"), obj.get("metadata") or {}
        if kind == "PersistentVolumeClaim":
            graph.claims.append((str(meta.get("name")), _size(obj)))
        elif kind == "StatefulSet":
            for t in (obj.get("spec") or {}).get("volumeClaimTemplates") or []:
                graph.claims.append((f"{(t.get('metadata') or {}).get('name')}-{meta.get('name')}", _size(t)))
        elif kind == "Ingress":
            default = ((obj.get("spec") or {}).get("defaultBackend") or {}).get("service")
            if default:  # every request no rule matches
                port = default.get("port") or {}
                graph.routes.append((str(meta.get("name")), "any host", str(default.get("name")),
                                     port.get("number", port.get("name"))))
            for rule in (obj.get("spec") or {}).get("rules") or []:
                for path in ((rule.get("http") or {}).get("paths")) or []:
                    backend = (path.get("backend") or {}).get("service") or {}
                    port = backend.get("port") or {}
                    graph.routes.append((str(meta.get("name")), f"{rule.get('host') or '*'}{path.get('path') or '/'}",
                                         str(backend.get("name")), port.get("number", port.get("name"))))
    services = []
    by_label = _label_index(graph.workloads)
    for obj in objects:
        if obj.get("kind") != "Service":
            continue
        meta, spec = obj.get("metadata") or {}, obj.get("spec") or {}
        name, selector = str(meta.get("name")), spec.get("selector")
        # A Service selects pods by equality on every selector label (no selector: no pods).
        backends = _selected(graph.workloads, by_label, meta.get("namespace") or "default", selector)
        graph.backends[name] = [w.name for w in backends]
        graph.services.setdefault(name, [])
        services.append((name, spec, backends))
    claims = {claim for claim, _ in graph.claims}
    edges = sum(1 for r in graph.routes if r[2] in graph.services) + sum(map(len, graph.backends.values())) \
        + sum(1 for w in graph.workloads for claim in w.claims if claim in claims)
    seen: set[Flow] = set()  # graph.flows in a set, for the membership test
    for name, spec, backends in services:
        for port in spec.get("ports") or []:
            protocol = str(port.get("protocol") or "TCP")
            graph.services[name].append(ServicePort(name, int(port["port"]), protocol))
            for server in backends:
                target = _target(port, server.pod)  # each backend resolves a named targetPort itself
                if target is None:
                    continue
                for client in graph.workloads:
                    if network.allows_egress(client.pod, server.pod, target, protocol) \
                            and network.allows_ingress(client.pod, server.pod, target, protocol):
                        flow = Flow(client.name, server.name, name, int(port["port"]), protocol)
                        if flow not in seen:
                            seen.add(flow)
                            graph.flows.append(flow)
                            if max_edges is not None and edges + len(graph.flows) > max_edges:
                                graph.complete = False
                                return graph
    return graph


def _label_index(workloads: list[Workload]) -> dict[tuple, list[Workload]]:
    """(namespace, label, value) -> the workloads whose pods carry it: a Service's selector
    then looks at the pods of one of its labels, not at every workload (a 1,000-service
    project has 1,100 Services and 1,000 workloads)."""
    index: dict[tuple, list[Workload]] = {}
    for w in workloads:
        for item in w.pod.labels.items():
            try:
                index.setdefault((w.pod.namespace, *item), []).append(w)
            except TypeError:  # a value that is not text (a malformed manifest): not indexed
                pass
    return index


def _selected(workloads: list[Workload], by_label: dict[tuple, list[Workload]], namespace: object,
              selector: object) -> list[Workload]:
    """The workloads whose pods ``selector`` (a Service's: equality on every label) selects."""
    if not selector or not isinstance(selector, dict):
        return []
    try:
        key, value = next(iter(selector.items()))
        candidates = by_label.get((namespace, key, value), [])
    except TypeError:  # unhashable: look at them all
        candidates = workloads
    return [w for w in candidates if w.pod.namespace == namespace
            and all(w.pod.labels.get(k) == v for k, v in selector.items())]


# --- Mermaid -------------------------------------------------------------------------------

def _mermaid_text(text: object) -> str:
    """Text inside a quoted Mermaid label: every character that is not plainly safe becomes
    an entity code (``#35;``), which Mermaid renders as the character and never parses."""
    return "".join(c if c.isascii() and (c.isalnum() or c in " ._-/*:,") else f"#{ord(c)};" for c in str(text))


def _ids(graph: AppGraph) -> dict[tuple[str, str], str]:
    """Node ids made by us (never from object names): w0, s0, c0, i0."""
    ids: dict[tuple[str, str], str] = {}
    for i, w in enumerate(graph.workloads):
        ids[("w", w.name)] = f"w{i}"
    for i, s in enumerate(graph.services):
        ids[("s", s)] = f"s{i}"
    for i, (c, _) in enumerate(graph.claims):
        ids[("c", c)] = f"c{i}"
    for i, ingress in enumerate(dict.fromkeys(r[0] for r in graph.routes)):
        ids[("i", ingress)] = f"i{i}"
    return ids


def _port_text(port: int, protocol: str) -> str:
    return str(port) if protocol == "TCP" else f"{port}/{protocol}"


def _service_label(graph: AppGraph, name: str) -> str:
    ports = ", ".join(_port_text(p.port, p.protocol) for p in graph.services[name])
    return f"Service {name}" + (f" :{ports}" if ports else "")


def _elements(graph: AppGraph) -> tuple[list[tuple[str, str, tuple[str, ...]]], list[tuple[str, str, str, str]]]:
    """What both formats draw, in order: nodes (id, shape, label lines) and edges (from, to,
    style, label); a format only says how a shape and a style look."""
    ids = _ids(graph)
    nodes = [(ids[("i", ingress)], "ingress", ("Ingress " + ingress,))
             for ingress in dict.fromkeys(r[0] for r in graph.routes)]
    nodes += [(ids[("s", name)], "service", (_service_label(graph, name),)) for name in graph.services]
    nodes += [(ids[("w", w.name)], "workload", (w.kind, w.name)) for w in graph.workloads]
    nodes += [(ids[("c", c)], "claim", ("claim " + c + (" " + size if size else ""),)) for c, size in graph.claims]
    edges = [(ids[("i", ingress)], ids[("s", service)], "route", f"{where} :{port}")
             for ingress, where, service, port in graph.routes if ("s", service) in ids]
    edges += [(ids[("s", service)], ids[("w", server)], "backend", "")
              for service, backends in graph.backends.items() for server in backends]
    edges += [(ids[("w", f.client)], ids[("s", f.service)], "flow", _port_text(f.port, f.protocol))
              for f in graph.flows]
    edges += [(ids[("w", w.name)], ids[("c", claim)], "mount", "")
              for w in graph.workloads for claim in w.claims if ("c", claim) in ids]
    return nodes, edges


_MERMAID_SHAPES = {"ingress": ("{{", "}}"), "service": ("([", "])"), "workload": ("[", "]"), "claim": ("[(", ")]")}


def to_mermaid(graph: AppGraph) -> str:
    q = _mermaid_text
    nodes, edges = _elements(graph)
    lines = ["flowchart LR"]
    for node, shape, label in nodes:
        opening, closing = _MERMAID_SHAPES[shape]
        lines.append(f'  {node}{opening}"{"<br/>".join(q(line) for line in label)}"{closing}')
    for start, end, style, label in edges:
        arrow = {"backend": "-.-", "mount": "---"}.get(style, "-->")
        lines.append(f'  {start} {arrow}{f"|{chr(34)}{q(label)}{chr(34)}|" if label else ""} {end}')
    return "\n".join(lines) + "\n"


# --- Graphviz dot --------------------------------------------------------------------------

def _dot_text(text: object) -> str:
    """A dot double-quoted string: only ``"`` and ``\\`` are special inside it (and newlines)."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


_DOT_SHAPES = {"ingress": "hexagon", "service": "ellipse", "workload": "box", "claim": "cylinder"}
_DOT_STYLES = {"backend": ", style=dotted, arrowhead=none", "mount": ", arrowhead=none"}


def to_dot(graph: AppGraph, name: str = "app") -> str:
    q = _dot_text
    nodes, edges = _elements(graph)
    lines = [f"digraph {q(name)} {{", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    for node, shape, label in nodes:
        lines.append(f"  {node} [shape={_DOT_SHAPES[shape]}, label={q(chr(10).join(label))}];")
    for start, end, style, label in edges:
        attributes = (f"label={q(label)}" if label else "") + _DOT_STYLES.get(style, "")
        lines.append(f"  {start} -> {end} [{attributes.removeprefix(', ')}];")
    return "\n".join(lines) + "\n}\n"


def render(objects: list[dict], fmt: str = "mermaid", name: str = "app") -> str:
    graph = build_graph(objects)
    return to_dot(graph, name) if fmt == "dot" else to_mermaid(graph)


def plan_objects(plan) -> list[dict]:
    """The Plan's objects as ``dist/`` holds them (every marker at its default)."""
    return [resource.plain() for resource in plan.resources]


# Mermaid's own limits (its defaults, which GitHub and GitLab keep): a flowchart of more edges
# or text fails to render ("Edge limit exceeded", "Maximum text size in diagram exceeded").
MERMAID_MAX_EDGES = 500
MERMAID_MAX_TEXT = 50_000


def readme_section(plan) -> list[str]:
    """The Markdown lines of the picture, for dist/README.md and the chart's README.md; a
    project too large for Mermaid gets a sentence and the command that draws it instead."""
    graph = build_graph(plan_objects(plan), max_edges=MERMAID_MAX_EDGES)
    diagram = to_mermaid(graph) if graph.complete else ""
    if graph.complete and len(diagram) <= MERMAID_MAX_TEXT:
        return ["## The app", "",
                "Workloads (with their kind), Services and ports, Ingress routes, claims, and every flow "
                "the NetworkPolicies allow (a solid arrow from a client to the Service port it may reach; "
                "dotted: the Service's pods). `composek8s graph` prints it (`--format dot` for Graphviz).", "",
                "```mermaid", diagram.rstrip("\n"), "```", ""]
    return ["## The app", "",
            f"{len(graph.workloads)} workloads and {len(graph.services)} Services: too large a picture for a "
            f"Mermaid diagram in a README (Mermaid draws at most {MERMAID_MAX_EDGES} arrows and "
            f"{MERMAID_MAX_TEXT:,} characters). `composek8s graph --format dot` prints it for Graphviz, with "
            "every flow the NetworkPolicies allow.", ""]
