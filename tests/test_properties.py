"""Properties that hold for every input, checked on generated ones (hypothesis).

- A valid compose project either compiles into manifests that are all schema-valid for
  Kubernetes 1.37 and pass the `restricted` Pod Security Standard, or is refused with a
  ``CompileError`` that says where; never any other exception.
- Any value (the wrong type, null, nested junk) in any key the compiler reads, at the top
  level, in a service, its deploy, healthcheck or x-k8s, is refused with a located
  ``CompileError`` or compiles into manifests as valid as above; never any other exception.
- Interpolation leaves text without ``$`` as it is; the YAML 1.2 scalar resolver never raises.
"""
from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

import yaml
from hypothesis import event, given, settings
from hypothesis import strategies as st

from composek8s.check import check_pod_security, validate_object
from composek8s.compose.interpolate import Interpolator
from composek8s.compose.schema import service_keys
from composek8s.compose.yamlsrc import resolve_plain
from composek8s.diagnostics import CompileError, Position, Reporter
from composek8s.pipeline import compile_plan
from composek8s.plan import resolve_values

KUBERNETES = "1.37"
# 60 examples keep the suite fast; COMPOSEK8S_PROPERTY_EXAMPLES=3000 searches deeper locally.
FAST = settings(max_examples=int(os.environ.get("COMPOSEK8S_PROPERTY_EXAMPLES", "60")), deadline=None)


class _Dumper(yaml.SafeDumper):
    """Writes every string double-quoted, so YAML 1.2 reads back exactly what was generated
    (``0o17`` or ``1_000`` stay strings)."""


_Dumper.add_representer(str, lambda d, s: d.represent_scalar("tag:yaml.org,2002:str", s, style='"'))


# --- strategies: valid compose services ---------------------------------------------------

NAMES = ["web", "api", "worker", "db", "cache", "front-end", "job_runner", "stage2"]
REPOSITORIES = ["nginx", "nginxinc/nginx-unprivileged", "redis", "postgres", "example/app",
                "ghcr.io/acme/api", "busybox", "node", "python", "registry.local:5000/team/svc"]
TAGS = [None, "latest", "1", "1.27-alpine", "16", "7.2-alpine", "3.12-slim", "v2.0.1"]
PLAIN_VARS = ["MODE", "PORT", "LOG_LEVEL", "FEATURE_FLAGS", "APP_URL"]
SECRET_VARS = ["DB_PASSWORD", "API_KEY", "JWT_SECRET", "STRIPE_SECRET_KEY", "AUTH_TOKEN"]
SAFE_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="$"),
                    max_size=20)
ports = st.integers(1, 65535)
durations = st.sampled_from(["5s", "10s", "1m30s", "500ms", "2m", 15, 30])


@st.composite
def images(draw) -> str:
    repository, tag = draw(st.sampled_from(REPOSITORIES)), draw(st.sampled_from(TAGS))
    return f"{repository}:{tag}" if tag else repository


port_entries = st.one_of(
    ports.map(str),
    st.tuples(ports, ports).map(lambda p: f"{p[0]}:{p[1]}"),
    ports.map(lambda p: f"{p}/udp"),
    st.tuples(ports, st.none() | ports).map(
        lambda p: {"target": p[0], **({"published": p[1]} if p[1] else {})}),
)

env_values = st.one_of(
    SAFE_TEXT, st.integers(-10, 10_000), st.booleans(), st.none(),
    st.sampled_from(["${MODE:-production}", "http://${APP_HOST:-localhost}:8080", "$$literal",
                     "postgresql://app:${DB_PASSWORD}@db/app", "${API_KEY:?set the key}"]),
)

healthchecks = st.one_of(
    st.fixed_dictionaries({"test": st.sampled_from([
        ["CMD", "/healthz"], ["CMD", "curl", "-f", "http://localhost:8080/"],
        ["CMD-SHELL", "test -f /tmp/ready || exit 1"], "wget -qO- http://127.0.0.1/ || exit 1",
        ["CMD", "pg_isready", "-U", "app"], ["CMD-SHELL", "echo $$HOME; true"]])},
        optional={"interval": durations, "timeout": durations, "start_period": durations,
                  "retries": st.integers(0, 10)}),
    st.just({"disable": True}),
    st.just({"test": ["NONE"]}),
)

memory = st.one_of(st.sampled_from(["64M", "128m", "256Mi", "512M", "1G", "1.5g", "2gb"]),
                   st.integers(16 * 2**20, 4 * 2**30))
cpus = st.one_of(st.floats(0.05, 8, allow_nan=False).map(lambda f: round(f, 2)),
                 st.sampled_from(["0.25", "0.5", "1", "2.5"]))
resources = st.fixed_dictionaries({}, optional={
    "limits": st.fixed_dictionaries({}, optional={"cpus": cpus, "memory": memory}),
    "reservations": st.fixed_dictionaries({}, optional={"cpus": cpus, "memory": memory}),
})


@st.composite
def services(draw, name: str, others: list[str]) -> tuple[dict, set[str]]:
    """One service and the named volumes it uses."""
    image = draw(images())
    svc: dict = {"image": image}
    volumes: set[str] = set()
    if draw(st.booleans()):
        svc["ports"] = draw(st.lists(port_entries, max_size=3))
    if draw(st.booleans()):
        svc["expose"] = draw(st.lists(st.one_of(ports, ports.map(str)), max_size=2))
    if draw(st.booleans()):
        names = draw(st.lists(st.sampled_from(PLAIN_VARS + SECRET_VARS), max_size=4, unique=True))
        svc["environment"] = {n: draw(env_values) for n in names}
        if names and draw(st.booleans()):  # the list form
            svc["environment"] = [f"{k}={'' if v is None else v}" if not isinstance(v, bool) else
                                  f"{k}={str(v).lower()}" for k, v in svc["environment"].items()]
    if draw(st.booleans()):
        svc["healthcheck"] = draw(healthchecks)
    if draw(st.booleans()):
        paths = draw(st.lists(st.sampled_from(["/tmp", "/run", "/var/cache/nginx", "/scratch"]),
                              max_size=2, unique=True))
        svc["tmpfs"] = [p + draw(st.sampled_from(["", ":size=64m", ":size=1g,mode=1777"])) for p in paths]
    if draw(st.booleans()):
        target = ("/var/lib/postgresql/data" if image.startswith("postgres") else
                  "/data" if image.startswith("redis") else draw(st.sampled_from(["/data", "/srv/files"])))
        volume = draw(st.sampled_from(["data", f"{name}_data", "shared-files"]))
        svc["volumes"] = [f"{volume}:{target}" + draw(st.sampled_from(["", ":ro"]))]
        volumes.add(volume)
    if draw(st.booleans()):
        svc["deploy"] = {"resources": draw(resources)}
        if draw(st.booleans()):
            svc["deploy"]["replicas"] = draw(st.integers(0, 5))
    if draw(st.booleans()):
        uid = draw(st.integers(0, 65534))
        svc["user"] = draw(st.sampled_from([str(uid), f"{uid}:{uid}", uid]))
    if draw(st.booleans()):
        svc["restart"] = draw(st.sampled_from(["no", "always", "on-failure", "unless-stopped", "on-failure:3"]))
    if others and draw(st.booleans()):
        deps = draw(st.lists(st.sampled_from(others), max_size=2, unique=True))
        if draw(st.booleans()):
            svc["depends_on"] = deps
        else:
            svc["depends_on"] = {d: {"condition": draw(st.sampled_from(
                ["service_started", "service_healthy", "service_completed_successfully"]))} for d in deps}
    if draw(st.booleans()):
        svc["profiles"] = [draw(st.sampled_from(["debug", "tools"]))]
    if draw(st.booleans()):
        svc["configs"] = [draw(st.sampled_from(["settings", {"source": "settings", "target": "/etc/app/app.conf"},
                                                {"source": "settings", "mode": 0o440}]))]
    if draw(st.booleans()):
        rollout = draw(st.fixed_dictionaries({}, optional={
            "update_config": st.fixed_dictionaries({}, optional={
                "parallelism": st.integers(0, 3), "order": st.sampled_from(["start-first", "stop-first"]),
                "delay": durations}),
            "restart_policy": st.fixed_dictionaries({}, optional={
                "condition": st.sampled_from(["none", "on-failure", "any"]), "max_attempts": st.integers(0, 5)}),
            "placement": st.fixed_dictionaries({"constraints": st.lists(st.sampled_from(
                ["node.labels.disk == ssd", "node.role == manager", "node.labels.zone==a"]), max_size=2)})}))
        svc.setdefault("deploy", {}).update(rollout)
    if draw(st.booleans()):
        svc["labels"] = draw(st.dictionaries(st.sampled_from(list(KOMPOSE_LABELS)), st.just(""), max_size=2))
        svc["labels"] = {k: KOMPOSE_LABELS[k] for k in svc["labels"]}
    if draw(st.booleans()):
        svc["platform"] = draw(st.sampled_from(["linux/amd64", "linux/arm64/v8", "linux"]))
    return svc, volumes


KOMPOSE_LABELS = {"kompose.service.type": "nodeport", "kompose.hpa.cpu": "60", "kompose.hpa.replicas.max": "4",
                  "kompose.controller.type": "statefulset", "kompose.service.expose": "true",
                  "kompose.image-pull-policy": "IfNotPresent", "kompose.volume.size": "2Gi", "team": "core"}


@st.composite
def projects(draw) -> tuple[dict, list[str]]:
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4, unique=True))
    compose: dict = {"services": {}}
    volumes: set[str] = set()
    for i, name in enumerate(names):
        svc, used = draw(services(name, names[:i]))
        compose["services"][name] = svc
        volumes |= used
    if volumes:
        compose["volumes"] = {v: None for v in sorted(volumes)}
    if any("configs" in svc for svc in compose["services"].values()):
        compose["configs"] = {"settings": {"content": draw(SAFE_TEXT)}}
    profiles = draw(st.sampled_from([[], ["debug"], ["debug", "tools"]]))
    return compose, profiles


# --- the properties -------------------------------------------------------------------------

def compile_data(compose: dict, profiles: list[str] | None = None) -> list[dict]:
    """Compile ``compose`` in a fresh folder: the manifests, or the ``CompileError``."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "compose.yaml"
        path.write_text(yaml.dump(compose, Dumper=_Dumper, sort_keys=False, allow_unicode=True))
        plan = compile_plan([path], profiles=profiles, cwd=Path(tmp), environ={}, reporter=Reporter())
        return [resolve_values(r.manifest) for r in plan.resources]


def assert_located(error: CompileError) -> None:
    assert error.diagnostics, "a CompileError without diagnostics"
    assert any(d.position is not None and d.position.line > 0 for d in error.diagnostics), \
        [str(d) for d in error.diagnostics]


@FAST
@given(projects())
def test_a_valid_project_compiles_to_valid_restricted_manifests_or_a_located_error(project):
    compose, profiles = project
    try:
        manifests = compile_data(compose, profiles)
    except CompileError as exc:
        assert_located(exc)
        event("refused: " + ", ".join(sorted({d.code for d in exc.diagnostics})))
        return
    event("compiled")
    for m in manifests:
        where = f"{m['kind']}/{m['metadata']['name']}"
        assert validate_object(m, KUBERNETES) == [], where
        assert check_pod_security(m, "restricted") == [], where


junk = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**40, 2**40), st.floats(), SAFE_TEXT,
              st.sampled_from(["", "0", "-1", "1e400", "host", "root", "../x:/x", "/etc:/etc",
                               "CMD", "8080:80", "1G", "nan", ".inf", "yes"])),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["target", "source", "type", "test", "limits", "cpus", "memory", "replicas",
                         "resources", "path", "condition", "published", "kind", "file", "size",
                         "host", "port", "cidr", "ports", "external", "name", "x"]), children, max_size=3),
    max_leaves=8,
)


# Where junk goes: every service key, the keys inside the mappings the compiler reads, the
# x-k8s extension and the top-level sections.
PLACES = ([("services", "web", key) for key in sorted(service_keys())] +
          [("services", "web", "deploy", k) for k in ("replicas", "resources")] +
          [("services", "web", "deploy", "resources", s, k) for s in ("limits", "reservations")
           for k in ("cpus", "memory")] +
          [("services", "web", "healthcheck", k) for k in ("test", "interval", "retries", "disable")] +
          [("services", "web", "x-k8s", k) for k in ("kind", "replicas", "uid", "gid", "storage",
                                                      "ingress", "egress", "podSecurity", "reason")] +
          [("services", "web", "x-k8s")] +
          [(k,) for k in ("name", "services", "volumes", "networks", "secrets", "configs", "x-k8s")] +
          [("services", "web"), ("services", "web", "x-k8s", "ingress", "port"),
           ("services", "web", "x-k8s", "storage", "size")] +
          [(k, "thing") for k in ("volumes", "networks", "secrets", "configs")] +
          # what issue #5 added: rollout keys, kompose labels, config sources, extends, include
          [("services", "web", "deploy", k) for k in ("update_config", "restart_policy", "placement", "mode")] +
          [("services", "web", "deploy", "update_config", k) for k in ("parallelism", "order", "delay")] +
          [("services", "web", "deploy", "restart_policy", k) for k in ("condition", "max_attempts")] +
          [("services", "web", "labels", f"kompose.{k}") for k in (
              "service.type", "service.nodeport.port", "service.expose", "controller.type", "hpa.cpu",
              "hpa.replicas.max", "volume.size", "image-pull-policy", "service.healthcheck.readiness.test",
              "service.healthcheck.liveness.interval")] +
          [("configs", "thing", k) for k in ("content", "file", "environment", "external", "name")] +
          [("services", "web", "extends"), ("include",)])


@FAST
@given(place=st.sampled_from(PLACES), value=junk)
def test_any_value_anywhere_is_compiled_or_refused_with_a_location(place, value):
    compose: dict = {"services": {"web": {"image": "nginxinc/nginx-unprivileged:1.27", "user": "101",
                                          "deploy": {}, "healthcheck": {"test": ["CMD", "/ok"]},
                                          "configs": ["thing"], "x-k8s": {}}},
                     "configs": {"thing": {"content": "x"}}}
    parent = compose
    for key in place[:-1]:
        parent = parent.setdefault(key, {})
    parent[place[-1]] = value
    try:
        manifests = compile_data(compose)
    except CompileError as exc:
        assert_located(exc)
        event("refused")
        return
    event("compiled")
    for m in manifests:
        where = f"{m['kind']}/{m['metadata']['name']}"
        assert validate_object(m, KUBERNETES) == [], where
        assert check_pod_security(m, "restricted") == [], where


@settings(max_examples=200, deadline=None)
@given(SAFE_TEXT | st.text(max_size=40).map(lambda t: t.replace("$", "")))
def test_interpolation_leaves_text_without_a_dollar_unchanged(text):
    assert Interpolator({}, Reporter()).value(text, Position("compose.yaml", 1, 1)) == text


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30) | st.from_regex(r"[-+]?(0x|0o)?[0-9a-fA-F._]*(e[-+]?\d+)?", fullmatch=True))
def test_the_yaml_1_2_resolver_never_raises(text):
    value = resolve_plain(text)
    assert value is None or isinstance(value, (bool, int, float, str))
    if isinstance(value, float) and not math.isnan(value) and not math.isinf(value):
        assert value == float(text.replace("_", ""))  # `_` separators, as Go's yaml reads them
