"""Opt-in ExternalSecrets: the External Secrets Operator fills the Secrets from a store."""
from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

import pytest
import yaml

from composek8s.check.run import Source, check_sources
from composek8s.diagnostics import CompileError, Reporter
from composek8s.helm import render_chart
from composek8s.pipeline import compile_plan
from composek8s.plan import resolve_values

ROOT = Path(__file__).resolve().parent.parent
HELM = ROOT / "tests" / "tools" / "bin" / "helm"
COMPOSE = """
    name: shop
    services:
      api:
        image: example/api:1
        expose: ["8000"]
        environment:
          DATABASE_URL: postgresql://app:${DB_PASSWORD:?}@db/app
          API_TOKEN: ${API_TOKEN:-}
        secrets: [tls_key]
    secrets:
      tls_key:
        file: ./tls.key
    x-k8s:
      externalSecrets: {store: vault, keyPrefix: shop/prod/}
"""


def compiled(tmp_path: Path, compose: str = COMPOSE):
    (tmp_path / "compose.yaml").write_text(textwrap.dedent(compose))
    (tmp_path / "tls.key").write_text("not read by composek8s\n")
    return compile_plan(cwd=tmp_path, environ={}, reporter=Reporter())


def test_each_secret_gets_an_external_secret_reading_every_key(tmp_path):
    plan = compiled(tmp_path)
    found = {r.name: resolve_values(r.manifest) for r in plan.resources if r.kind == "ExternalSecret"}
    assert sorted(found) == ["shop-secrets", "shop-tls-key"]
    spec = found["shop-secrets"]["spec"]
    assert spec["secretStoreRef"] == {"name": "vault", "kind": "ClusterSecretStore"}
    assert spec["target"] == {"name": "shop-secrets", "creationPolicy": "Owner"}
    assert spec["data"] == [{"secretKey": "API_TOKEN", "remoteRef": {"key": "shop/prod/API_TOKEN"}},
                            {"secretKey": "DB_PASSWORD", "remoteRef": {"key": "shop/prod/DB_PASSWORD"}}]
    assert found["shop-tls-key"]["spec"]["data"] == [{"secretKey": "tls_key", "remoteRef": {"key": "shop/prod/tls_key"}}]
    text = yaml.safe_dump([resolve_values(r.manifest) for r in plan.resources])
    assert "not read by composek8s" not in text


def test_without_the_opt_in_there_is_none(tmp_path):
    plan = compiled(tmp_path, COMPOSE.replace("      externalSecrets: {store: vault, keyPrefix: shop/prod/}\n", "")
                    .replace("    x-k8s:\n", ""))
    assert not [r for r in plan.resources if r.kind == "ExternalSecret"]


def test_a_bad_store_kind_is_an_error(tmp_path):
    with pytest.raises(CompileError) as info:
        compiled(tmp_path, COMPOSE.replace("store: vault,", "store: vault, kind: Vault,"))
    assert "externalSecrets.kind is ClusterSecretStore or SecretStore" in str(info.value)


def test_check_skips_schemas_of_custom_resources_only(tmp_path):
    plan = compiled(tmp_path)
    sources = [Source("x", resolve_values(r.manifest)) for r in plan.resources]
    assert check_sources(sources, ["1.37"]) == []
    broken = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}, "spec": {"replicaz": 1}}
    assert any(f.rule == "schema" for f in check_sources([Source("y", broken)], ["1.37"]))


def test_the_chart_renders_them_and_follows_existing_secret(tmp_path):
    if not HELM.exists():
        if os.environ.get("CI"):
            pytest.fail("helm is missing: python tests/tools/install_helm.py")
        pytest.skip("helm is missing")
    plan = compiled(tmp_path)
    chart = tmp_path / "chart"
    for rel, text in render_chart(plan).items():
        (chart / rel).parent.mkdir(parents=True, exist_ok=True)
        (chart / rel).write_text(text)
    out = subprocess.run([str(HELM), "template", "shop", str(chart), "-n", "shop", "--set",
                          "secrets.existingSecret=prod"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    docs = {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(out.stdout) if d}
    assert docs[("ExternalSecret", "shop-secrets")]["spec"]["target"]["name"] == "prod"
    both = subprocess.run([str(HELM), "template", "shop", str(chart), "--set", "secrets.create=true"],
                          capture_output=True, text=True)
    assert both.returncode != 0 and "exclude each other" in both.stderr
