"""Helm's release Secret (helm/release.py): a chart whose release holds more than the 1 MiB a
Secret takes renders, but `helm install` fails at the end; synth says so (W-HELM-RELEASE-SIZE).

The oracle is Helm: `helm install --dry-run=client -o json` prints the release it would
store, which is then compressed as its storage driver does (gzip, best compression, base64).
"""
from __future__ import annotations

import base64
import gzip
import json
import os
import random
import string
import subprocess
import sys
from pathlib import Path

import pytest

from composek8s.helm.release import SECRET_LIMIT, WARN_AT, _upper_bound, release_size, release_warning

ROOT = Path(__file__).resolve().parent.parent

# Three configs of about 0.9 MB of words, each a ConfigMap under the API server's 1 MiB; the
# release holds each twice (the template and the rendered object): about 4.4 MB.
COMPOSE = """\
services:
  web:
    image: nginx:1.27
    deploy:
      resources:
        limits: {{cpus: "0.5", memory: 256M}}
    configs:
{mounts}
configs:
{configs}
"""



def _words(seed: int, size: int) -> str:
    """Text that compresses about as YAML does (a few bits per character), in lines of words
    no secret scanner takes for a credential."""
    rng = random.Random(seed)
    vocabulary = ["".join(rng.choice(string.ascii_lowercase) for _ in range(6)) for _ in range(5000)]
    return "\n".join(" ".join(rng.choice(vocabulary) for _ in range(12)) for _ in range(size // 84)) + "\n"


def _project(folder: Path, configs: int) -> Path:
    for n in range(configs):
        (folder / f"words{n}.txt").write_text(_words(n, 900_000))
    mounts = "\n".join(f"      - source: words{n}\n        target: /etc/app/words{n}.txt" for n in range(configs))
    declared = "\n".join(f"  words{n}:\n    file: ./words{n}.txt" for n in range(configs))
    (folder / "compose.yaml").write_text(COMPOSE.format(mounts=mounts or "      []", configs=declared or "  {}"))
    return folder


def _synth(folder: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    return subprocess.run([sys.executable, "-m", "composek8s.cli", "synth", *args], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=300)


def _helm_release_bytes(helm: str, chart: Path, name: str) -> int:
    result = subprocess.run([helm, "install", name, str(chart), "-n", name, "--dry-run=client", "-o", "json"],
                            capture_output=True, text=True, env={**os.environ, "KUBECONFIG": os.devnull},
                            timeout=300)
    assert result.returncode == 0, result.stderr
    release = json.dumps(json.loads(result.stdout), separators=(",", ":")).encode()
    return len(base64.b64encode(gzip.compress(release, 9)))


def _files(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text() for p in folder.rglob("*") if p.is_file()}


def _estimate(chart: Path, dist: Path, name: str) -> int:
    manifests = [f"---\n# Source: {name}/templates/{p.name}\n{p.read_text()}" for p in sorted(dist.glob("*.yaml"))
                 if p.name != "kustomization.yaml"]
    size = release_size(name, _files(chart), manifests, limit=1 << 40)
    assert size is not None
    return size


@pytest.mark.parametrize("configs", [0, 3])
def test_the_estimate_is_the_size_of_the_release_helm_stores(tmp_path, helm, configs):
    folder = _project(tmp_path, configs)
    assert _synth(folder).returncode == 0
    [chart] = (folder / "charts").iterdir()
    expected = _helm_release_bytes(helm, chart, chart.name)
    estimate = _estimate(chart, folder / "dist" / "base", chart.name)
    assert abs(estimate - expected) / expected < 0.035, (estimate, expected)
    assert (expected > SECRET_LIMIT) == (configs == 3)  # the oracle agrees this one does not fit


def test_the_atlantiplex_estimate_is_helm_s_and_far_below_the_limit(helm):
    expected = _helm_release_bytes(helm, ROOT / "charts" / "atlantiplex", "atlantiplex")
    estimate = _estimate(ROOT / "charts" / "atlantiplex", ROOT / "dist" / "base", "atlantiplex")
    assert abs(estimate - expected) / expected < 0.035, (estimate, expected)
    assert estimate < SECRET_LIMIT // 10


def test_synth_warns_when_the_release_may_not_fit_and_strict_refuses_it(tmp_path):
    folder = _project(tmp_path, 3)
    result = _synth(folder)
    assert result.returncode == 0, result.stderr
    [line] = [line for line in result.stderr.splitlines() if "W-HELM-RELEASE-SIZE" in line]
    assert line.startswith("composek8s: warning[W-HELM-RELEASE-SIZE]: the chart ")
    assert "HELM_DRIVER=sql" in line and "kubectl apply -k dist/" in line
    assert (folder / "dist" / "base").is_dir()  # the manifests are written: kubectl can apply them
    strict = _synth(folder, "--strict", "--out", "strict-dist", "--chart-dir", "strict-charts")
    assert strict.returncode == 2
    assert "composek8s: error[W-HELM-RELEASE-SIZE]: the chart " in strict.stderr
    assert not (folder / "strict-dist").exists() and not (folder / "strict-charts").exists()


def test_check_finds_a_chart_whose_release_may_not_fit(tmp_path, helm):
    folder = _project(tmp_path, 3)
    assert _synth(folder).returncode == 0
    [chart] = (folder / "charts").iterdir()
    env = {**os.environ, "PATH": f"{Path(helm).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run([sys.executable, "-m", "composek8s.cli", "check", str(chart), "--format", "json"],
                            cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr
    found = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "helm-release-size"]
    assert found == [{"file": str(chart / "Chart.yaml"), "kind": "Chart", "name": chart.name,
                      "rule": "helm-release-size", "message": found[0]["message"]}]
    assert "HELM_DRIVER=sql" in found[0]["message"]


def test_a_small_chart_is_judged_without_compressing_it():
    chart = {"Chart.yaml": "name: x\n", "templates/a.yaml": "kind: ConfigMap\n" * 100}
    assert _upper_bound({p: len(t) for p, t in chart.items()}, ["kind: ConfigMap\n"]) <= WARN_AT
    assert release_warning("x", chart, {"base/a.yaml": "kind: ConfigMap\n"}, "dist/") is None


@pytest.mark.parametrize("text", ["", "a" * 50_000, '"\\\n\x01' * 20_000, "é" * 30_000,
                                  "".join(random.Random(7).choice(string.printable) for _ in range(60_000))])
def test_the_bound_is_never_below_the_size_and_compression_stops_at_the_limit(text):
    files = {"Chart.yaml": text, "values.yaml": text, "templates/t.yaml": text, "README.md": text}
    size = release_size("x", files, [text, text], limit=1 << 40)
    assert size is not None and size <= _upper_bound({p: len(t.encode()) for p, t in files.items()}, [text, text])
    assert release_size("x", files, [text, text], limit=size) == size
    assert release_size("x", files, [text, text], limit=size - 1) is None
