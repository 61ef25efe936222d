"""``composek8s check`` checks the shapes its rules walk before any rule reads an object:
every mapping or list of a real object replaced by another shape is either refused by the shape
check (E-CHECK-SHAPE, with its path) or read by every rule without an exception."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from composek8s.check.run import Source, check_sources
from composek8s.check.shapes import shape_problems

DIST = Path(__file__).resolve().parents[1] / "dist" / "base"


def _objects() -> list[dict]:
    return [doc for f in sorted(DIST.glob("*.yaml")) if f.name != "kustomization.yaml"
            for doc in yaml.safe_load_all(f.read_text()) if isinstance(doc, dict)]


def _containers(value: object, path: tuple = ()):
    """The path of every mapping and list below ``value`` (itself excluded)."""
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        if isinstance(child, (dict, list)):
            yield (*path, key)
            yield from _containers(child, (*path, key))


def _replace(obj: dict, path: tuple, value: object) -> dict:
    obj = copy.deepcopy(obj)
    node = obj
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return obj


OBJECTS = _objects()
# One object of each kind (the rules are per kind), every mapping and list in it.
FIRST = list({o["kind"]: i for i, o in reversed(list(enumerate(OBJECTS)))}.values())
CASES = [(i, path) for i in FIRST for path in _containers(OBJECTS[i])]


def test_the_cases_cover_the_kinds_composek8s_writes():
    kinds = {OBJECTS[i]["kind"] for i, _ in CASES}
    assert {"Deployment", "StatefulSet", "Service", "NetworkPolicy", "Ingress", "PersistentVolumeClaim",
            "PodDisruptionBudget"} <= kinds, kinds
    assert len(CASES) > 100


@pytest.mark.parametrize("value", ["nginx", 5, ["x"], {"a": "b"}], ids=["string", "number", "list", "mapping"])
@pytest.mark.parametrize("kind", sorted({OBJECTS[i]["kind"] for i in FIRST}))
def test_another_shape_in_place_of_a_mapping_or_list_never_breaks_a_rule(kind, value):
    refused = read = 0
    for index, path in [c for c in CASES if OBJECTS[c[0]]["kind"] == kind]:
        mutated = _replace(OBJECTS[index], path, value)
        if shape_problems(mutated):
            refused += 1
            continue
        objects = [mutated if i == index else o for i, o in enumerate(OBJECTS)]
        try:
            check_sources([Source("m.yaml", o) for o in objects], [])
        except Exception as exc:  # noqa: BLE001 - the point: which rule fails on which path
            pytest.fail(f"{kind} {'.'.join(map(str, path))} = {value!r}: {type(exc).__name__}: {exc}")
        read += 1
    if value == "nginx" and kind not in ("Namespace", "ServiceAccount"):  # nothing to walk in those
        assert refused, "the shape check refused nothing"


def test_the_shape_problem_names_the_path_and_both_shapes():
    deployment = next(o for o in OBJECTS if o["kind"] == "Deployment")
    mutated = _replace(deployment, ("spec", "template", "spec", "containers"), "nginx")
    assert shape_problems(mutated) == [(("spec", "template", "spec", "containers"),
                                        "expected a list, got a string")]
    assert shape_problems(deployment) == []
