"""``synth/batch``: composek8s' own jsii assembly, which makes every object inside Node in one
call (issue #16). It must give the objects cdk8s' Python API gave, stay a construct library
(``api_object`` patches reach ``cdk8s synth``), and ship a tarball built from its sources."""
from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from composek8s.pipeline import compile_plan
from composek8s.synth.batch import build

ROOT = Path(__file__).resolve().parent.parent

# Values jsii and JSON treat differently: null members and null list items, empty maps and
# lists, non-ASCII text, a line separator, large and fractional numbers.
ODD = """
services:
  web:
    image: nginx:1.27
    ports: ["8080:80"]
    environment:
      GREETING: "héllo\u2028wörld ✓"
      EMPTY: ""
    labels:
      note: "ünïcode label"
    command: ["sh", "-c", "echo 12345678901234567 1.5 null ~ && exec nginx -g 'daemon off;'"]
    tmpfs: [/var/cache/nginx]
"""


def test_committed_tarball_is_built_from_the_package_folder():
    committed = build.HERE / "_jsii" / build.tarball_name(*build.assembly())
    assert sorted(p.name for p in committed.parent.glob("*.tgz")) == [committed.name]
    with tarfile.open(fileobj=io.BytesIO(committed.read_bytes())) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    assert members == {f"package/{name}": (build.SOURCE / name).read_bytes() for name in build.FILES}, \
        "run `python -m composek8s.synth.batch.build`"
    assert committed.read_bytes() == build.tarball_bytes()


def _reference_chart(cdk8s, plan):
    """The objects as cdk8s' Python API makes them (what synth/chart.py did before the batch):
    an ApiObject with four metadata fields, one JSON patch per other top-level field."""
    app = cdk8s.App()
    chart = cdk8s.Chart(app, plan.project, disable_resource_name_hashes=True)
    for resource in plan.resources:
        manifest = resource.plain()
        meta = manifest["metadata"]
        obj = cdk8s.ApiObject(chart, f"{resource.kind}-{resource.name}", api_version=manifest["apiVersion"],
                              kind=manifest["kind"],
                              metadata=cdk8s.ApiObjectMetadata(name=meta["name"], namespace=meta.get("namespace"),
                                                               labels=meta.get("labels"),
                                                               annotations=meta.get("annotations")))
        for key, value in manifest.items():
            if key not in ("apiVersion", "kind", "metadata"):
                obj.add_json_patch(cdk8s.JsonPatch.add(f"/{key}", value))
    return chart


@pytest.mark.parametrize("source", ["atlantiplex", "odd values"])
def test_batch_makes_the_objects_cdk8s_python_api_makes(source, tmp_path):
    import cdk8s

    from composek8s.synth.chart import ComposeChart

    if source == "atlantiplex":
        plan = compile_plan([ROOT / "docker" / "docker-compose.yml"], cwd=ROOT)
    else:
        (tmp_path / "compose.yaml").write_text(ODD, encoding="utf-8")
        plan = compile_plan([tmp_path / "compose.yaml"], cwd=tmp_path)
    chart = ComposeChart(cdk8s.App(), plan.project, plan=plan)
    expected = _reference_chart(cdk8s, plan).to_json()
    assert chart.to_json() == expected
    assert chart.manifests() == expected
    assert [c.node.id for c in chart.node.children] == [f"{r.kind}-{r.name}" for r in plan.resources]


def test_rendering_chunk_by_chunk_gives_the_chart_s_objects(monkeypatch):
    """``composek8s synth`` renders in charts of about CHUNK_BYTES of JSON that Node drops at
    once; their objects, in order, are the one chart's."""
    import cdk8s

    from composek8s.synth import chart as chart_module

    plan = compile_plan([ROOT / "docker" / "docker-compose.yml"], cwd=ROOT)
    whole = chart_module.ComposeChart(cdk8s.App(), plan.project, plan=plan).manifests()
    calls = []
    render = chart_module.Batch.render
    monkeypatch.setattr(chart_module.Batch, "render", lambda id, objects: calls.append(id) or render(id, objects))
    monkeypatch.setattr(chart_module, "CHUNK_BYTES", 4096)
    assert chart_module.render(plan) == whole
    assert len(calls) > 5 and set(calls) == {plan.project}
    monkeypatch.setattr(chart_module, "CHUNK_BYTES", 1 << 20)
    calls.clear()
    assert chart_module.render(plan) == whole and len(calls) == 1


def test_null_members_are_left_out_and_null_items_kept_as_through_jsii():
    import json

    import cdk8s

    from composek8s.synth.batch.binding import Batch

    manifest = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "labels": {"a": "b"}},
                "data": {"gone": None, "kept": "x"}, "spec": {"items": [1, None, {"gone": None}], "empty": {}}}
    app = cdk8s.App()
    batch = cdk8s.Chart(app, "batch", disable_resource_name_hashes=True)
    Batch.define(batch, json.dumps([["ConfigMap-c", manifest]]))
    reference = cdk8s.Chart(app, "reference", disable_resource_name_hashes=True)
    obj = cdk8s.ApiObject(reference, "ConfigMap-c", api_version="v1", kind="ConfigMap",
                          metadata=cdk8s.ApiObjectMetadata(name="c", labels={"a": "b"}))
    for key in ("data", "spec"):
        obj.add_json_patch(cdk8s.JsonPatch.add(f"/{key}", manifest[key]))
    expected = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"labels": {"a": "b"}, "name": "c"},
                 "data": {"kept": "x"}, "spec": {"empty": {}, "items": [1, None, {}]}}]
    assert reference.to_json() == batch.to_json() == json.loads(Batch.to_json(batch)) == expected


def test_api_object_patches_reach_synth_and_an_unknown_object_is_a_key_error(tmp_path):
    import cdk8s

    from composek8s.synth.chart import ComposeChart

    (tmp_path / "compose.yaml").write_text(ODD, encoding="utf-8")
    app = cdk8s.App(outdir=str(tmp_path / "out"))
    chart = ComposeChart(app, "odd", compose=[tmp_path / "compose.yaml"], cwd=tmp_path)
    web = chart.api_object("Deployment", "web")
    assert isinstance(web, cdk8s.ApiObject) and web.name == "web"
    web.add_json_patch(cdk8s.JsonPatch.add("/spec/template/metadata/annotations", {"team": "web"}))
    deployment = next(m for m in chart.manifests() if m["kind"] == "Deployment")
    assert deployment["spec"]["template"]["metadata"]["annotations"] == {"team": "web"}
    # A null member is left out and a null list item kept, in both ways out of Node.
    chart.api_object("Service", "web").add_json_patch(
        cdk8s.JsonPatch.add("/metadata/annotations", {"gone": None, "kept": "[1, null]"}),
        cdk8s.JsonPatch.add("/spec/externalIPs", ["1.2.3.4", None]))
    assert chart.manifests() == chart.to_json()
    service = next(m for m in chart.manifests() if m["kind"] == "Service")
    assert service["metadata"]["annotations"] == {"kept": "[1, null]"}
    assert service["spec"]["externalIPs"] == ["1.2.3.4", None]
    app.synth()
    assert "team: web" in (tmp_path / "out" / "odd.k8s.yaml").read_text(encoding="utf-8")
    with pytest.raises(KeyError):
        chart.api_object("Deployment", "db")
