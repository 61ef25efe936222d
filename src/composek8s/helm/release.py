"""Whether a chart's release fits the Secret Helm stores it in.

Helm's default storage driver keeps each release revision in one Secret, and the API server
refuses a Secret whose data holds more than 1 MiB (``MaxSecretSize``). The data is the
release as Helm encodes it: the JSON of the release (the chart's metadata, every template
and other file base64-encoded, its values and schema, the rendered manifest), gzipped at
best compression, then base64-encoded. A chart past it renders with ``helm template`` and
passes every check of its objects, then ``helm install`` fails at the end, while
``kubectl apply -k`` of the same objects works.

The release is rebuilt here from the chart's files and its rendered manifests, in Helm's
field order, and compressed as Helm does; ``tests/test_helm_release.py`` compares the size
with the release ``helm install --dry-run=client -o json`` prints. Compression stops at the
limit (a large project's chart is several MiB), so a too large chart costs the first MiB of
compression only. Written by hand: Helm has no way to size a release without a cluster.
"""
from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Iterable, Iterator

SECRET_LIMIT = 1 << 20  # bytes of a Secret's data (k8s.io/api validation: MaxSecretSize)
# Warned from here: the estimate was within 3.5% of Helm's own in every comparison (the
# largest gaps below it), tests/test_helm_release.py.
WARN_AT = SECRET_LIMIT * 95 // 100
_OWN_FIELDS = ("Chart.yaml", "values.yaml", "values.schema.json")  # the chart's own fields, not files
_TEXT_FIELDS = ("Chart.yaml", "values.yaml")  # as JSON text in the release; the rest base64


def release_size(name: str, files: dict[str, str | bytes], manifests: Iterable[str],
                 limit: int = SECRET_LIMIT) -> int | None:
    """The bytes Helm's release Secret would hold for a chart of ``files`` ({path in the
    chart: content}) whose templates render to ``manifests``; None when it is more than
    ``limit`` (compression stops as soon as that is certain)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # gzip, best compression
    compressed = 0
    for piece in _release_json(name, files, manifests):
        compressed += len(compressor.compress(piece))
        if _base64_length(compressed) > limit:
            return None
    size = _base64_length(compressed + len(compressor.flush()))
    return size if size <= limit else None


def release_warning(name: str, chart: dict[str, str], dist: dict[str, str], out: str) -> str | None:
    """What synth says (``W-HELM-RELEASE-SIZE``) when the chart ``name`` (``chart``: its
    files), rendering the objects of ``dist/base/`` (``dist``: synth's files), may not fit
    Helm's release Secret; None when it fits."""
    manifests = [f"---\n# Source: {name}/templates/{path.rpartition('/')[2]}\n{text}"
                 for path, text in sorted(dist.items())
                 if path.startswith("base/") and path.endswith(".yaml") and path != "base/kustomization.yaml"]
    sizes = {path: len(text.encode("utf-8")) for path, text in chart.items()}
    if not may_not_fit(name, sizes, lambda: chart, manifests):
        return None
    return (f"{too_large(name)}; `kubectl apply -k {out}` is not affected. Split the project into charts "
            "of fewer services (README: Limits), or install with Helm's SQL storage (HELM_DRIVER=sql)")


def may_not_fit(name: str, sizes: dict[str, int], files, manifests: list[str]) -> bool:
    """Whether the release may pass ``WARN_AT``: ``sizes`` (bytes of each chart file) decide
    alone when the chart is too small to reach it, whatever the compression; else ``files()``
    (the chart's files) are compressed with ``manifests`` until it is certain."""
    if _upper_bound(sizes, manifests) <= WARN_AT:
        return False
    return release_size(name, files(), manifests, WARN_AT) is None


def too_large(name: str) -> str:
    return (f"the chart {name} may not install: Helm keeps each release in a Secret, and this one "
            f"would hold more than {WARN_AT // 1024:,} KiB of the {SECRET_LIMIT // 1024:,} KiB the API server "
            "takes (its templates and rendered objects, compressed), so `helm install` would fail at the end")


def _upper_bound(sizes: dict[str, int], manifests: list[str]) -> int:
    """More than the Secret can hold for these inputs: base64 of the files, JSON's escaping (at
    most 6 characters per byte) of the text fields and the manifests, gzip's worst case, base64."""
    raw = 256
    for path, size in sizes.items():
        raw += len(path) + 32 + (6 * size if path in _TEXT_FIELDS else _base64_length(size))
    raw += 6 * sum(len(m.encode("utf-8")) for m in manifests)
    return _base64_length(raw + raw // 1000 + 64)


def _base64_length(n: int) -> int:
    return 4 * ((n + 2) // 3)


def _release_json(name: str, files: dict[str, str | bytes], manifests: Iterable[str]) -> Iterator[bytes]:
    """The release's JSON in pieces, with the chart's YAML files as text (as long as the
    parsed values they would be, to within the compression's noise)."""
    data = {path: (content.encode("utf-8") if isinstance(content, str) else content)
            for path, content in files.items()}
    templates = sorted(p for p in data if p.startswith("templates/"))
    others = sorted(p for p in data if not p.startswith("templates/") and p not in _OWN_FIELDS)
    yield (f'{{"name":{json.dumps(name)},"chart":{{"metadata":{_as_string(data.get("Chart.yaml", b""))},'
           '"templates":[').encode()
    for n, path in enumerate(templates):
        yield _file_entry(path, data[path], n)
    yield (f'],"values":{_as_string(data.get("values.yaml", b""))},"schema":"').encode()
    yield base64.b64encode(data.get("values.schema.json", b""))
    yield b'","files":['
    for n, path in enumerate(others):
        yield _file_entry(path, data[path], n)
    yield b'],"manifest":"'
    for manifest in manifests:  # escaping is per character: the pieces join into one string
        yield json.dumps(manifest)[1:-1].encode()
    yield b'"}'


def _file_entry(path: str, content: bytes, n: int) -> bytes:
    """``{"name":…,"data":…}`` as Go writes a chart file ([]byte as base64, which needs no
    escaping in JSON)."""
    return b"".join((b"," if n else b"", b'{"name":', json.dumps(path).encode(), b',"data":"',
                     base64.b64encode(content), b'"}'))


def _as_string(data: bytes) -> str:
    return json.dumps(data.decode("utf-8", "replace"))
