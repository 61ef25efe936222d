"""``extends`` and ``include`` in the loader: what a service inherits, where each inherited key
is reported, and the errors. What the merged values are is compared with Docker Compose itself
by the corpus (tests/compose_corpus/61-76); these tests pin positions and messages."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from composek8s.compose.load import load_project
from composek8s.diagnostics import CompileError, Position, Reporter
from composek8s.plan.keys import account_for_keys


def project(tmp_path: Path, files: dict[str, str], *, args: list[str] | None = None,
            environ: dict | None = None, reporter: Reporter | None = None):
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return load_project([Path(a) for a in (args or ["compose.yaml"])], environ=environ or {},
                        reporter=reporter or Reporter(), cwd=tmp_path)


def error(tmp_path: Path, files: dict[str, str], **kwargs):
    with pytest.raises(CompileError) as info:
        project(tmp_path, files, **kwargs)
    assert len(info.value.diagnostics) == 1, info.value.diagnostics
    return info.value.diagnostics[0]


BASE = """\
    services:
      base:
        image: example/base:1
        hostname: base
        ports: ["9000:9000"]
        volumes: ["./conf:/etc/conf:ro"]
        env_file: base.env
        build:
          context: ./app
"""


def test_an_inherited_key_points_at_the_file_and_line_where_it_is_written(tmp_path):
    p = project(tmp_path, {
        "compose.yaml": """\
            services:
              web:
                extends: {service: base, file: common/base.yaml}
                ports: ["8080:8080"]
        """,
        "common/base.yaml": BASE,
        "common/base.env": "MODE=base\n",
    })
    web = p.services["web"]
    assert web.position == Position("compose.yaml", 2, 3)
    assert "extends" not in web.keys  # resolved: nothing left for the plan to account for
    assert web.keys["hostname"] == Position("common/base.yaml", 4, 5)
    assert web.keys["ports"] == Position("compose.yaml", 4, 5)  # written by both: the service's own
    # The merged list keeps each item's own place: the base's port first, then the service's.
    assert [(port.target, port.position) for port in web.ports] == [
        (9000, Position("common/base.yaml", 5, 13)), (8080, Position("compose.yaml", 4, 13))]
    # Relative paths of the extended file resolve against its folder, kept relative to the project.
    assert [(m.source, m.position) for m in web.volumes] == [
        ("./common/conf", Position("common/base.yaml", 6, 15))]
    assert web.build.context == "./common/app"
    assert web.environment == {"MODE": "base"}  # common/base.env, read from the extended file's folder


def test_every_inherited_key_is_accounted_for_where_it_is_written(tmp_path):
    web = "      web:\n        extends: base\n        container_name: web\n"
    p = project(tmp_path, {"compose.yaml": BASE + web, "base.env": ""})
    reporter = Reporter()
    account_for_keys(p.services["web"], reporter)
    ignored = {d.message.split("'")[3]: d.position for d in reporter.diagnostics}
    assert ignored == {"hostname": Position("compose.yaml", 4, 5),
                       "container_name": Position("compose.yaml", 12, 5)}


def test_an_included_service_points_at_the_included_file(tmp_path):
    p = project(tmp_path, {
        "compose.yaml": """\
            include:
              - path: db/compose.yaml
            services:
              web:
                image: example/web:1
                depends_on: [db]
        """,
        "db/compose.yaml": """\
            services:
              db:
                image: postgres:${PG:-16}
                volumes: [data:/var/lib/postgresql/data, "./init:/init:ro"]
            volumes:
              data: {}
        """,
        "db/.env": "PG=17\n",
    })
    db = p.services["db"]
    assert db.image == "postgres:17"  # the included project's own .env
    assert db.position == Position("db/compose.yaml", 2, 3)
    assert db.keys["image"] == Position("db/compose.yaml", 3, 5)
    assert [(m.source, m.position) for m in db.volumes] == [
        ("data", Position("db/compose.yaml", 4, 15)), ("./db/init", Position("db/compose.yaml", 4, 46))]
    assert list(p.volumes) == ["data"]
    assert "include" not in p.keys


def test_a_later_file_merge_keeps_each_list_item_at_its_own_line(tmp_path):
    p = project(tmp_path, {
        "compose.yaml": "services:\n  web:\n    image: x\n    ports: ['80:80']\n",
        "override.yaml": "services:\n  web:\n    ports: ['443:443']\n",
    }, args=["compose.yaml", "override.yaml"])
    assert [(port.target, port.position) for port in p.services["web"].ports] == [
        (80, Position("compose.yaml", 4, 13)), (443, Position("override.yaml", 3, 13))]


def test_an_included_variable_comes_from_the_including_project_first(tmp_path):
    p = project(tmp_path, {
        "compose.yaml": "include: [sub/compose.yaml]\nservices:\n  web:\n    image: web:${TAG}\n",
        ".env": "TAG=main\n",
        "sub/compose.yaml": "services:\n  api:\n    image: api:${TAG}-${OWN}\n",
        "sub/.env": "TAG=sub\nOWN=own\n",
    })
    assert p.services["api"].image == "api:main-own"  # as Docker Compose: the includer's value wins


def test_extends_of_an_unknown_service_names_it_at_the_extends_line(tmp_path):
    found = error(tmp_path, {"compose.yaml": "services:\n  web:\n    image: x\n    extends: {service: bsae}\n"})
    assert (found.code, found.position) == ("E-COMPOSE-EXTENDS", Position("compose.yaml", 4, 5))
    assert found.message == "service 'web' extends 'bsae', which is not defined in compose.yaml"


def test_each_file_resolves_its_own_extends_before_files_merge(tmp_path):
    """As Docker Compose: a later -f file cannot extend a service of an earlier one."""
    found = error(tmp_path, {"compose.yaml": "services:\n  base:\n    image: x\n",
                             "o.yaml": "services:\n  web:\n    extends: base\n"},
                  args=["compose.yaml", "o.yaml"])
    assert (found.code, found.position) == ("E-COMPOSE-EXTENDS", Position("o.yaml", 3, 5))
    assert found.message == "service 'web' extends 'base', which is not defined in o.yaml"


def test_an_extends_cycle_names_the_chain(tmp_path):
    found = error(tmp_path, {
        "compose.yaml": "services:\n  web:\n    extends: {service: base, file: base.yaml}\n",
        "base.yaml": "services:\n  base:\n    image: x\n    extends: {service: web, file: compose.yaml}\n",
    })
    assert (found.code, found.position) == ("E-COMPOSE-EXTENDS", Position("compose.yaml", 3, 5))
    assert found.message == "extends cycle: web (compose.yaml) -> base (base.yaml) -> web (compose.yaml)"


def test_a_service_extending_itself_is_a_cycle(tmp_path):
    found = error(tmp_path, {"compose.yaml": "services:\n  web:\n    image: x\n    extends: web\n"})
    assert found.message == "extends cycle: web (compose.yaml) -> web (compose.yaml)"


def test_an_extends_chain_is_bounded(tmp_path):
    services = "".join(f"  s{i}:\n    extends: s{i + 1}\n" for i in range(40)) + "  s40:\n    image: x\n"
    found = error(tmp_path, {"compose.yaml": "services:\n" + services})
    assert found.code == "E-COMPOSE-EXTENDS" and "chains more than 32 services" in found.message
    assert found.position == Position("compose.yaml", 3, 5)


@pytest.mark.parametrize("spec, code, message", [
    ("{file: base.yaml}", "E-COMPOSE-TYPE", "services.web.extends: needs 'service'"),
    ("{service: ''}", "E-COMPOSE-EXTENDS", "'extends' needs the name of a 'service'"),
    ("[base]", "E-COMPOSE-TYPE", "services.web.extends: expected a string or a mapping, got a list"),
    ("{service: base, files: base.yaml}", "E-COMPOSE-KEY", "unknown key 'files' (did you mean 'file'?)"),
])
def test_a_malformed_extends_is_an_error(tmp_path, spec, code, message):
    found = error(tmp_path, {"compose.yaml": f"services:\n  base:\n    image: x\n  web:\n    extends: {spec}\n"})
    assert found.code == code and message in found.message, found
    assert found.position.file == "compose.yaml" and found.position.line == 5


def test_extends_only_takes_the_service_not_the_files_other_definitions(tmp_path):
    found = error(tmp_path, {
        "compose.yaml": "services:\n  web:\n    extends: {service: base, file: base.yaml}\n",
        "base.yaml": "services:\n  base:\n    image: x\n    secrets: [token]\nsecrets:\n  token:\n    file: t\n",
    })
    # As in Compose: the secret is used by the inherited service but defined nowhere in the project.
    assert found.code == "E-COMPOSE-REF" and found.position == Position("base.yaml", 4, 15)


def test_a_resource_defined_twice_differently_names_both_places(tmp_path):
    found = error(tmp_path, {
        "compose.yaml": "include: [a.yaml]\nservices:\n  web:\n    image: x\nvolumes:\n  data: {}\n",
        "a.yaml": "services:\n  api:\n    image: y\nvolumes:\n  data:\n    external: true\n",
    })
    assert (found.code, found.position) == ("E-COMPOSE-INCLUDE", Position("compose.yaml", 6, 3))
    assert "volume 'data' is defined here and, differently, in the included a.yaml at a.yaml:5:3" in found.message


def test_two_includes_defining_the_same_service_differently_conflict(tmp_path):
    found = error(tmp_path, {
        "compose.yaml": "include: [a.yaml, b.yaml]\nservices:\n  web:\n    image: x\n",
        "a.yaml": "services:\n  api:\n    image: y\n",
        "b.yaml": "services:\n  api:\n    image: z\n",
    })
    assert found.code == "E-COMPOSE-INCLUDE" and found.position == Position("a.yaml", 2, 3)
    assert "in the included b.yaml at b.yaml:2:3" in found.message


@pytest.mark.parametrize("entry, code, message", [
    ("[missing.yaml]", "E-COMPOSE-INCLUDE", "included file 'missing.yaml' does not exist"),
    ("[../outside.yaml]", "E-PATH-ESCAPE", "included file '../outside.yaml' points outside"),
    ("[{project_directory: .}]", "E-COMPOSE-INCLUDE", "an include entry needs a 'path'"),
    ("[{path: a.yaml, env_file: nope.env}]", "E-FILE", "include env_file 'nope.env' does not exist"),
    ("[{path: a.yaml, env_file: ../x.env}]", "E-PATH-ESCAPE", "include env_file '../x.env' points outside"),
    ("[{path: a.yaml, project_directory: a.yaml}]", "E-COMPOSE-INCLUDE", "is not a folder"),
    ("[{path: a.yaml, profile: x}]", "E-COMPOSE-KEY", "include[0]: unknown key 'profile'"),
    ("a.yaml", "E-COMPOSE-TYPE", "include: expected a list, got 'a.yaml'"),
])
def test_a_bad_include_is_an_error_at_its_entry(tmp_path, entry, code, message):
    found = error(tmp_path, {"compose.yaml": f"services:\n  web:\n    image: x\ninclude: {entry}\n",
                             "a.yaml": "services:\n  api:\n    image: y\n"})
    assert found.code == code and message in found.message, found
    assert found.position.file == "compose.yaml" and found.position.line == 4


def test_includes_nest_to_a_bounded_depth(tmp_path):
    files = {f"f{i}.yaml": f"include: [f{i + 1}.yaml]\nservices:\n  s{i}:\n    image: x\n" for i in range(20)}
    files["f20.yaml"] = "services:\n  leaf:\n    image: x\n"
    files["compose.yaml"] = "include: [f0.yaml]\nservices:\n  web:\n    image: x\n"
    found = error(tmp_path, files)
    assert found.code == "E-COMPOSE-INCLUDE" and "more than 16 levels deep" in found.message
    assert found.position == Position("f15.yaml", 1, 11)


def test_labels_and_sysctls_written_as_a_list_and_a_mapping_merge_as_mappings(tmp_path):
    """As docker compose 2.40.3 merges them (checked with the oracle binary)."""
    from composek8s.compose import load_project

    (tmp_path / "compose.yaml").write_text(
        "services:\n  a:\n    image: x\n    labels: [kompose.service.type=nodeport, team=a]\n"
        "    sysctls: [net.core.somaxconn=1024]\n")
    (tmp_path / "o.yaml").write_text(
        "services:\n  a:\n    labels: {team: b, tier: web}\n    sysctls: {net.ipv4.tcp_syncookies: '1'}\n")
    project = load_project([tmp_path / "compose.yaml", tmp_path / "o.yaml"], cwd=tmp_path, environ={})
    svc = project.services["a"]
    assert {k: v.value for k, v in svc.labels.items()} == {
        "kompose.service.type": "nodeport", "team": "b", "tier": "web"}
    assert svc.sysctls == {"net.core.somaxconn": "1024", "net.ipv4.tcp_syncookies": "1"}
