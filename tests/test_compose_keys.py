"""Every key of the Compose Specification is accounted for: known to the loader, and either
mapped by the plan or reported where it is written. The schema comes from check-jsonschema."""
from __future__ import annotations

import json
from importlib import resources

import pytest

from composek8s.compose.model import Service
from composek8s.compose.normalize import UNSUPPORTED_TOP
from composek8s.compose.schema import service_keys, top_keys
from composek8s.diagnostics import Position, Reporter
from composek8s.plan.keys import EXPLAINED, MAPPED, account_for_keys


def compose_schema() -> dict:
    text = resources.files("check_jsonschema").joinpath("builtin_schemas/vendor/compose-spec.json").read_text()
    return json.loads(text)


def service_properties(schema: dict) -> set[str]:
    """The service's own properties and those of every definition it is composed of."""
    defs = schema["$defs"]
    service = defs["service"]
    keys = set(service.get("properties", {}))
    for part in service.get("allOf", []):
        keys |= set(defs[part["$ref"].rsplit("/", 1)[-1]].get("properties", {}))
    return keys


def test_the_loader_knows_exactly_the_specifications_service_keys():
    schema_keys = service_properties(compose_schema())
    assert sorted(schema_keys - service_keys()) == [], "keys the loader would call typos"
    assert sorted(service_keys() - schema_keys) == [], "keys the loader accepts that Compose does not"


def test_the_loader_knows_exactly_the_specifications_top_level_keys():
    assert set(compose_schema()["properties"]) == top_keys()


@pytest.mark.parametrize("key", sorted(service_properties(compose_schema())))
def test_every_service_key_is_mapped_or_reported_where_it_is_written(key):
    if key in MAPPED:
        return  # the plan turns it into Kubernetes fields (tests/test_mapping*.py)
    where = Position("compose.yaml", 7, 5)
    reporter = Reporter()
    account_for_keys(Service(name="web", position=Position("compose.yaml", 3, 3), keys={key: where}), reporter)
    reported = [d for d in reporter.diagnostics if f"{key!r}" in d.message]
    assert reported, f"{key!r} is neither mapped nor reported"
    assert reported[0].position == where
    if key in EXPLAINED:
        assert EXPLAINED[key] in reported[0].message


def test_top_level_keys_not_implemented_are_errors_not_silence():
    assert UNSUPPORTED_TOP == {"jobs"}  # include and extends are resolved by the loader


def test_the_committed_conversion_table_is_current():
    from pathlib import Path

    from composek8s.docs import conversion_table

    committed = (Path(__file__).resolve().parent.parent / "docs" / "conversion.md").read_text()
    assert committed == conversion_table(), "run `python -m composek8s.docs` and commit docs/conversion.md"
