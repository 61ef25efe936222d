"""GitOps delivery: the Argo CD and Flux objects that deploy the committed output from git.

``dist/`` (a kustomize base, with ``dist/overlays/<env>/`` per environment) and
``charts/<name>/`` (with ``values-<env>.yaml``) are committed; these objects point a GitOps
controller at them:

- Argo CD: one ``Application`` per environment (the overlay, or ``dist`` without
  environments), in the ``argocd`` namespace.
- Flux: one ``GitRepository`` for the repository, and per environment a ``Kustomization``
  (the overlay) and a ``HelmRelease`` (the chart with that environment's values file), in
  ``flux-system``. The Kustomization and the HelmRelease of one environment deploy the same
  objects: apply one of them, never both.

Everything is built from plain values (no I/O but :func:`discover_environments`), with
sorted keys and no timestamps, so two runs write the same bytes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import yaml

from .diagnostics import fail
from .plan.names import MANAGED_BY, dns_name
from .synth.output import HEADER, to_yaml

ARGOCD_NAMESPACE = "argocd"
FLUX_NAMESPACE = "flux-system"
IN_CLUSTER = "https://kubernetes.default.svc"
ARGOCD_FINALIZER = "resources-finalizer.argocd.argoproj.io"
# Not CreateNamespace=true: the base (and every overlay, renamed by kustomize) carries the
# Namespace object with its Pod Security labels; Argo CD would create a bare one first.
ARGOCD_SYNC_OPTIONS = ["FailOnSharedResource=true", "PruneLast=true", "ServerSideApply=true"]
SOURCE = "# Written by composek8s gitops; see ../README.md.\n"
MARKER = "flux/gitrepository.yaml"  # always written, starts with HEADER: write_tree's ownership check

_SCP = re.compile(r"^(?P<user>[A-Za-z0-9._-]+)@(?P<host>[A-Za-z0-9.-]+):(?P<path>[^/\s][^\s]*)$")
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$")
_ENV = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SHA = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class Target:
    """One deployment: an environment (``None`` for the base) and where its objects go."""

    env: str | None
    name: str  # metadata.name of its Application / Kustomization / HelmRelease
    namespace: str  # the namespace its workloads run in
    path: str  # repository path of its kustomization (the overlay, or the base)
    values_files: list[str]  # repository paths of the chart values files, in merge order


@dataclass(frozen=True)
class Delivery:
    """What the GitOps objects are built from; paths are relative to the repository root."""

    project: str
    namespace: str  # the base's namespace (an overlay may set its own)
    chart: str  # chart name
    repo: str  # validated by repo_url()
    revision: str = "main"
    base: str = "dist"  # the kustomize base: synth's --out
    overlays: str = "dist/overlays"  # <overlays>/<env>/kustomization.yaml
    chart_path: str = ""  # default charts/<chart>
    environments: dict[str, str] = field(default_factory=dict)  # env -> namespace, in order

    @property
    def chart_dir(self) -> str:
        return self.chart_path or f"charts/{self.chart}"


# --- validation ------------------------------------------------------------------------------

def repo_url(url: str) -> str:
    """``url`` if it is an https, ssh or scp-like (``git@host:owner/repo.git``) git URL.

    Plain http, local paths and credentials in the URL are refused: the URL is written into
    committed files, and a token in it would be a secret in git.
    """
    text = url.strip()
    if not text or text != url or any(c.isspace() or ord(c) < 32 for c in text):
        raise _bad_url(url, "it is empty or contains whitespace")
    scp = _SCP.match(text)
    if scp:
        if not _HOST.match(scp["host"]):
            raise _bad_url(url, f"{scp['host']!r} is not a host name")
        return text
    parts = urlsplit(text)
    if parts.scheme not in ("https", "ssh"):
        raise _bad_url(url, "use https://HOST/PATH, ssh://[USER@]HOST/PATH or USER@HOST:PATH")
    if parts.password is not None or (parts.scheme == "https" and parts.username is not None):
        raise _bad_url(url, "it contains credentials; give Argo CD / Flux a repository Secret instead")
    try:
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        raise _bad_url(url, "its port is not a number") from None
    if not parts.hostname or not _HOST.match(parts.hostname):
        raise _bad_url(url, "it has no host")
    if parts.path.strip("/") == "":
        raise _bad_url(url, "it has no repository path")
    if parts.query or parts.fragment:
        raise _bad_url(url, "a git URL has no query or fragment")
    return text


def _bad_url(url: str, why: str):
    shown = re.sub(r"(?<=://)[^/@]*@", "***@", url)  # never echo a token into a CI log
    return fail("E-USAGE", f"--repo {shown!r} is not a git repository URL: {why}")


def flux_url(url: str) -> str:
    """Flux accepts only ``http(s)://`` and ``ssh://`` URLs (its CRD's pattern): the scp-like
    ``git@host:path``, which Argo CD takes as it is, becomes ``ssh://git@host/path``."""
    scp = _SCP.match(url)
    return f"ssh://{scp['user']}@{scp['host']}/{scp['path']}" if scp else url


def revision(text: str) -> str:
    """A branch, tag or commit: no whitespace, nothing git refuses in a ref name."""
    if (not text or text.startswith(("-", "/")) or text.endswith(("/", ".", ".lock")) or ".." in text
            or "@{" in text or re.search(r"[\s~^:?*\[\\\x00-\x1f\x7f]", text)):
        raise fail("E-USAGE", f"--revision {text!r} is not a branch, tag or commit")
    return text


def environment(name: str) -> str:
    if not _ENV.match(name) or len(name) > 63:
        raise fail("E-USAGE", f"--env {name!r} is not an environment name (lowercase letters, digits "
                   "and '-', as the folders under dist/overlays/ are)")
    return name


def repo_path(path: str, option: str) -> str:
    """A folder relative to the repository root, as a POSIX path without ``./``."""
    pure = PurePosixPath(str(path).replace("\\", "/"))
    parts = [p for p in pure.parts if p != "."]
    if pure.is_absolute() or not parts or ".." in parts:
        raise fail("E-USAGE", f"{option} {path!r} must be a folder inside the repository, relative to its root")
    return "/".join(parts)


# --- discovery (the only I/O) ----------------------------------------------------------------

def discover_environments(overlays: Path, namespace: str, names: list[str] | None = None) -> dict[str, str]:
    """Environment -> namespace: ``names`` (default: the folders of ``overlays`` that hold a
    kustomization.yaml, sorted; none when it does not exist). An environment's namespace is
    the one its overlay sets, else ``namespace`` (the base's)."""
    if names is None:
        names = sorted(p.name for p in overlays.iterdir()
                       if (p / "kustomization.yaml").is_file()) if overlays.is_dir() else []
    found: dict[str, str] = {}
    for name in names:
        found.setdefault(environment(name), _overlay_namespace(overlays / name, namespace))
    return found


def _overlay_namespace(folder: Path, default: str) -> str:
    try:
        data = yaml.safe_load((folder / "kustomization.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return default
    value = data.get("namespace") if isinstance(data, dict) else None
    return value if isinstance(value, str) and value else default


# --- the objects ------------------------------------------------------------------------------

def targets(d: Delivery) -> list[Target]:
    values = f"{d.chart_dir}/values.yaml"
    if not d.environments:
        return [Target(None, dns_name(d.project), d.namespace, d.base, [values])]
    return [Target(env, dns_name(f"{d.project}-{env}"), ns, f"{d.overlays}/{env}",
                   [values, f"{d.chart_dir}/values-{env}.yaml"])
            for env, ns in d.environments.items()]


def _metadata(d: Delivery, name: str, namespace: str, env: str | None) -> dict:
    labels = {"app.kubernetes.io/part-of": d.project, "app.kubernetes.io/managed-by": MANAGED_BY}
    if env:
        labels["composek8s.io/environment"] = env
    return {"name": name, "namespace": namespace, "labels": labels}


def argocd_application(d: Delivery, t: Target) -> dict:
    metadata = _metadata(d, t.name, ARGOCD_NAMESPACE, t.env)
    # Deleting the Application deletes what it deployed (the Namespace too: see README).
    metadata["finalizers"] = [ARGOCD_FINALIZER]
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": metadata,
        "spec": {
            "project": "default",
            "source": {"repoURL": d.repo, "targetRevision": d.revision, "path": t.path},
            "destination": {"server": IN_CLUSTER, "namespace": t.namespace},
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": True},
                "syncOptions": list(ARGOCD_SYNC_OPTIONS),
                "retry": {"limit": 5, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "3m"}},
            },
        },
    }


def _source_ref(d: Delivery) -> dict:
    return {"kind": "GitRepository", "name": dns_name(d.project), "namespace": FLUX_NAMESPACE}


def _git_ref(rev: str) -> dict:
    if _SHA.match(rev):
        return {"commit": rev}
    if rev.startswith("refs/"):
        return {"name": rev}
    return {"branch": rev}


def flux_gitrepository(d: Delivery) -> dict:
    # Only dist/ and charts/ go into the artifact: the controllers need nothing else.
    keep = sorted({f"!/{p.split('/')[0]}/" for p in (d.base, d.overlays, d.chart_dir)})
    return {
        "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
        "metadata": _metadata(d, dns_name(d.project), FLUX_NAMESPACE, None),
        "spec": {"interval": "1m", "url": flux_url(d.repo), "ref": _git_ref(d.revision),
                 "ignore": "\n".join(["/*", *keep]) + "\n"},
    }


def flux_kustomization(d: Delivery, t: Target) -> dict:
    return {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
        "metadata": _metadata(d, t.name, FLUX_NAMESPACE, t.env),
        # No targetNamespace: the overlay sets the namespace (and renames the Namespace object).
        "spec": {"interval": "10m", "retryInterval": "1m", "timeout": "5m", "path": f"./{t.path}",
                 "prune": True, "wait": True, "sourceRef": _source_ref(d)},
    }


def flux_helmrelease(d: Delivery, t: Target) -> dict:
    return {
        "apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
        "metadata": _metadata(d, t.name, FLUX_NAMESPACE, t.env),
        "spec": {
            "interval": "10m",
            "releaseName": dns_name(d.project, 53),  # Helm's limit on release names
            "targetNamespace": t.namespace,
            "storageNamespace": t.namespace,  # the release's history lives beside it, as with helm -n
            "chart": {"spec": {
                "chart": f"./{d.chart_dir}",
                # ChartVersion, not Revision: synth moves the chart's version whenever its content
                # (values-<env>.yaml included) changes, so a new version is exactly a new chart;
                # Revision would upgrade the release on every commit to the repository.
                "reconcileStrategy": "ChartVersion",
                "sourceRef": _source_ref(d),
                "valuesFiles": [f"./{p}" for p in t.values_files],
            }},
            "driftDetection": {"mode": "enabled"},
            "install": {"remediation": {"retries": 3}},
            "upgrade": {"cleanupOnFail": True, "remediation": {"retries": 3, "remediateLastFailure": True}},
            "timeout": "5m",
        },
    }


# --- files ------------------------------------------------------------------------------------

def _file(data: dict) -> str:
    return HEADER + SOURCE + to_yaml(data)


def render(d: Delivery) -> dict[str, str]:
    """The whole ``gitops/`` tree as {relative path: text}."""
    files: dict[str, str] = {MARKER: _file(flux_gitrepository(d))}
    for t in targets(d):
        suffix = t.env or "base"
        files[f"argocd/application-{suffix}.yaml"] = _file(argocd_application(d, t))
        files[f"flux/kustomization-{suffix}.yaml"] = _file(flux_kustomization(d, t))
        files[f"flux/helmrelease-{suffix}.yaml"] = _file(flux_helmrelease(d, t))
    files["README.md"] = readme(d)
    return dict(sorted(files.items()))


def _command(d: Delivery) -> str:
    words = ["composek8s", "gitops", "--repo", d.repo]
    if d.revision != "main":
        words += ["--revision", d.revision]
    return " ".join(words)


def readme(d: Delivery) -> str:
    ts = targets(d)
    rows = [f"| {t.env or '(base)'} | `{t.namespace}` | `{t.path}` | "
            f"{', '.join(f'`{p}`' for p in t.values_files)} |" for t in ts]
    one = ts[0].env or "base"
    return "\n".join([
        f"<!-- {HEADER[2:].strip()} -->",
        f"# {d.project}: GitOps delivery",
        "",
        f"Argo CD and Flux objects that deploy `{d.base}/` and `{d.chart_dir}/` from "
        f"`{d.repo}` at `{d.revision}`. Regenerate with `{_command(d)}` (and the other options it was "
        "given) at the repository root.",
        "",
        "| environment | namespace | manifests | chart values |",
        "|---|---|---|---|",
        *rows,
        "",
        "Pick **one** route per environment: an Argo CD Application, a Flux Kustomization, or a "
        "Flux HelmRelease. Each deploys the same objects into the same namespace; two of them "
        "would fight over them (the Application fails on shared resources rather than fight).",
        "",
        "Before the first sync, create the Secrets listed in "
        f"`{d.base}/README.md` in each environment's namespace (no secret value is in git).",
        "",
        "## Argo CD",
        "",
        "```sh",
        f"kubectl apply -n {ARGOCD_NAMESPACE} -f argocd/application-{one}.yaml",
        "```",
        "",
        "Automated sync with prune and self-heal, server-side apply, prune last, retries with "
        "backoff. No `CreateNamespace`: the manifests carry the Namespace with its Pod Security "
        "labels. A private repository needs an Argo CD repository Secret "
        "(`argocd repo add URL ...`).",
        "",
        "## Flux: manifests (Kustomization)",
        "",
        "```sh",
        f"kubectl apply -f flux/gitrepository.yaml -f flux/kustomization-{one}.yaml",
        "```",
        "",
        "## Flux: chart (HelmRelease)",
        "",
        "```sh",
        f"kubectl create namespace {ts[0].namespace}   # the chart has no Namespace object",
        f"kubectl label namespace {ts[0].namespace} pod-security.kubernetes.io/enforce=restricted",
        f"kubectl apply -f flux/gitrepository.yaml -f flux/helmrelease-{one}.yaml",
        "```",
        "",
        "The chart is read from the GitRepository with `reconcileStrategy: ChartVersion`: "
        "`composek8s synth` bumps the chart's version whenever its content (values files "
        "included) changes, so each new version is picked up and unrelated commits upgrade "
        "nothing. Install and upgrade failures are remediated (3 retries); drift is corrected. "
        f"A private repository needs `spec.secretRef` on the GitRepository "
        f"(`flux create secret git {dns_name(d.project)} -n {FLUX_NAMESPACE} --url URL ...`).",
        "",
        "## Deleting",
        "",
        "Deleting an Application (its finalizer cascades) or a Kustomization (`prune: true`) "
        "deletes everything it deployed, the Namespace included, and with it the "
        "PersistentVolumeClaims and their data. Remove the finalizer, or set `prune: false`, "
        "first to keep them.",
        "",
    ])
