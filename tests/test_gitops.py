"""composek8s gitops: Argo CD and Flux objects, checked against the CRDs' published schemas.

The schemas are the CRDs' openAPIV3Schema as compiled by the pinned npm packages of
tests/tools/package.json (@kubernetes-models/argo-cd: Argo CD v2.14.11's CRDs;
@kubernetes-models/flux-cd: source-controller v1.8.3, kustomize-controller v1.8.4 and
helm-controller v1.5.4's CRDs); tests/tools/validate_crds.mjs runs them. CRD schemas leave
objects open (the API server prunes unknown fields silently), so a second check walks every
field written against the properties the CRD declares, read from the packages' type
declarations, which are generated from the same schemas.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from composek8s import gitops
from composek8s.diagnostics import CompileError

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "tests" / "tools"
MODELS = TOOLS / "node_modules" / "@kubernetes-models"
CLI = [sys.executable, "-m", "composek8s.cli"]
REPO = "https://github.com/example/atlantiplex.git"
OVERLAYS = ROOT / "dist" / "overlays"
GOOD = """
services:
  web:
    image: nginxinc/nginx-unprivileged:1.27-alpine
    ports: ["80:8080"]
"""
# (apiVersion, kind) -> (type declaration in MODELS, its interface)
DECLARATIONS = {
    ("argoproj.io/v1alpha1", "Application"): ("argo-cd/argoproj.io/v1alpha1/Application.d.ts", "IApplication"),
    ("source.toolkit.fluxcd.io/v1", "GitRepository"):
        ("flux-cd/source.toolkit.fluxcd.io/v1/GitRepository.d.ts", "IGitRepository"),
    ("kustomize.toolkit.fluxcd.io/v1", "Kustomization"):
        ("flux-cd/kustomize.toolkit.fluxcd.io/v1/Kustomization.d.ts", "IKustomization"),
    ("helm.toolkit.fluxcd.io/v2", "HelmRelease"): ("flux-cd/helm.toolkit.fluxcd.io/v2/HelmRelease.d.ts", "IHelmRelease"),
}


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    return subprocess.run(CLI + args, cwd=cwd, env=env, capture_output=True, text=True)


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def objects(folder: Path) -> dict[str, dict]:
    return {rel: yaml.safe_load(text) for rel, text in tree(folder).items() if rel.endswith(".yaml")}


@pytest.fixture(scope="module")
def default_out(tmp_path_factory) -> Path:
    """`composek8s gitops` for the default project, at the repository root."""
    out = tmp_path_factory.mktemp("default") / "gitops"
    result = run(["gitops", "--repo", REPO, "--out", str(out)], ROOT)
    assert result.returncode == 0, result.stderr
    return out


def expected_envs() -> list[str]:
    if not OVERLAYS.is_dir():
        return []
    return sorted(p.name for p in OVERLAYS.iterdir() if (p / "kustomization.yaml").is_file())


def test_default_project_gets_an_application_a_kustomization_and_a_helmrelease_per_environment(default_out):
    suffixes = expected_envs() or ["base"]
    assert sorted(tree(default_out)) == sorted(
        ["README.md", "flux/gitrepository.yaml"]
        + [f"argocd/application-{s}.yaml" for s in suffixes]
        + [f"flux/kustomization-{s}.yaml" for s in suffixes]
        + [f"flux/helmrelease-{s}.yaml" for s in suffixes])
    for rel, text in tree(default_out).items():
        if rel.endswith(".yaml"):
            assert text.decode().startswith(gitops.GITOPS_HEADER)  # gitops wrote it, not synth
            assert b"composek8s synth" not in text
    readme = (default_out / "README.md").read_text()
    assert "kubectl apply -n argocd -f argocd/application-" in readme
    assert "kubectl apply -f flux/gitrepository.yaml -f flux/helmrelease-" in readme


def test_application_syncs_the_overlay_automatically_into_its_namespace(default_out):
    for env in expected_envs() or [None]:
        app = objects(default_out)[f"argocd/application-{env or 'base'}.yaml"]
        assert app["metadata"]["name"] == (f"atlantiplex-{env}" if env else "atlantiplex")
        assert app["metadata"]["namespace"] == "argocd"
        assert app["metadata"]["finalizers"] == ["resources-finalizer.argocd.argoproj.io"]
        spec = app["spec"]
        assert spec["source"] == {"repoURL": REPO, "targetRevision": "main",
                                  "path": f"dist/overlays/{env}" if env else "dist"}
        assert spec["destination"]["server"] == "https://kubernetes.default.svc"
        assert spec["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
        assert "ServerSideApply=true" in spec["syncPolicy"]["syncOptions"]
        # The manifests carry the Namespace with its Pod Security labels.
        assert not any(o.startswith("CreateNamespace") for o in spec["syncPolicy"]["syncOptions"])


def test_environment_namespaces_come_from_the_overlays(default_out):
    if not OVERLAYS.is_dir():
        pytest.skip("dist/overlays/ does not exist yet")
    for env in expected_envs():
        overlay = yaml.safe_load((OVERLAYS / env / "kustomization.yaml").read_text())
        namespace = overlay.get("namespace", "atlantiplex")
        found = objects(default_out)
        assert found[f"argocd/application-{env}.yaml"]["spec"]["destination"]["namespace"] == namespace
        release = found[f"flux/helmrelease-{env}.yaml"]["spec"]
        assert release["targetNamespace"] == release["storageNamespace"] == namespace
        assert release["releaseName"] == "atlantiplex"
        assert "targetNamespace" not in found[f"flux/kustomization-{env}.yaml"]["spec"]


def test_flux_and_argo_paths_point_at_folders_in_the_repository(default_out):
    if not OVERLAYS.is_dir():
        pytest.skip("dist/overlays/ does not exist yet (another change adds it)")
    found = objects(default_out)
    for env in expected_envs():
        path = found[f"flux/kustomization-{env}.yaml"]["spec"]["path"]
        assert path == f"./dist/overlays/{env}"
        assert (ROOT / path / "kustomization.yaml").is_file()
        assert (ROOT / found[f"argocd/application-{env}.yaml"]["spec"]["source"]["path"]).is_dir()
        chart = found[f"flux/helmrelease-{env}.yaml"]["spec"]["chart"]["spec"]
        assert (ROOT / chart["chart"] / "Chart.yaml").is_file()
        for values in chart["valuesFiles"]:
            assert (ROOT / values).is_file(), f"{values} does not exist: run `composek8s synth`"


def test_helmrelease_takes_the_chart_from_the_gitrepository_by_version(default_out):
    found = objects(default_out)
    repo = found["flux/gitrepository.yaml"]
    assert repo["metadata"] == {"name": "atlantiplex", "namespace": "flux-system", "labels": {
        "app.kubernetes.io/managed-by": "composek8s", "app.kubernetes.io/part-of": "atlantiplex"}}
    assert repo["spec"]["url"] == REPO and repo["spec"]["ref"] == {"branch": "main"}
    assert repo["spec"]["interval"] == "1m"
    for env in expected_envs() or [None]:
        spec = found[f"flux/helmrelease-{env or 'base'}.yaml"]["spec"]
        chart = spec["chart"]["spec"]
        assert chart["chart"] == "./charts/atlantiplex"
        assert chart["sourceRef"] == {"kind": "GitRepository", "name": "atlantiplex", "namespace": "flux-system"}
        assert chart["reconcileStrategy"] == "ChartVersion"  # synth moves the version with the content
        assert chart["valuesFiles"] == ["./charts/atlantiplex/values.yaml"] + (
            [f"./charts/atlantiplex/values-{env}.yaml"] if env else [])
        assert spec["install"]["remediation"]["retries"] > 0
        assert spec["upgrade"]["remediation"]["retries"] > 0
        kustomization = found[f"flux/kustomization-{env or 'base'}.yaml"]["spec"]
        assert kustomization["prune"] is True and kustomization["wait"] is True
        assert kustomization["sourceRef"] == chart["sourceRef"]


# --- the CRDs' published schemas --------------------------------------------------------------

@pytest.fixture(scope="module")
def validate():
    """Run the CRD schemas on a list of objects: one list of errors per object."""
    node = shutil.which("node")
    if node is None or not (MODELS / "argo-cd").is_dir() or not (MODELS / "flux-cd").is_dir():
        install = "npm ci --prefix tests/tools"
        if os.environ.get("CI"):
            pytest.fail(f"the CRD schemas are missing: {install} (.ci/run does)")
        pytest.skip(f"the CRD schemas are missing: {install}")

    def check(docs: list[dict]) -> list[list[str]]:
        result = subprocess.run([node, str(TOOLS / "validate_crds.mjs")], input=json.dumps(docs),
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    return check


def other_deliveries() -> list[dict]:
    """Objects for the other shapes: no environments, an scp-like URL, a commit, a tag."""
    docs = []
    for repo, revision, envs in [("git@github.com:example/atlantiplex.git", "0123456789abcdef0123456789abcdef01234567", {}),
                                 ("ssh://git@gitlab.example.com:2222/team/app.git", "refs/tags/v1.2.3", {"qa": "app-qa"})]:
        delivery = gitops.Delivery(project="app", namespace="app", chart="app", repo=repo, revision=revision,
                                   environments=envs)
        docs += [yaml.safe_load(text) for rel, text in gitops.render(delivery).items() if rel.endswith(".yaml")]
    return docs


def test_every_object_passes_its_crds_published_schema(default_out, validate):
    docs = list(objects(default_out).values()) + other_deliveries()
    assert {(d["apiVersion"], d["kind"]) for d in docs} == set(DECLARATIONS)
    failures = {f"{d['kind']}/{d['metadata']['name']}": e for d, e in zip(docs, validate(docs)) if e}
    assert failures == {}


def test_the_schemas_do_reject_bad_objects(default_out, validate):
    """The check is not vacuous: the same objects, broken, fail."""
    found = objects(default_out)
    app = found["flux/gitrepository.yaml"]
    bad_repo = {**app, "spec": {**app["spec"], "url": "git@github.com:example/atlantiplex.git"}}
    application = next(v for k, v in found.items() if k.startswith("argocd/"))
    bad_application = {**application, "spec": {k: v for k, v in application["spec"].items() if k != "destination"}}
    release = next(v for k, v in found.items() if k.startswith("flux/helmrelease-"))
    bad_release = json.loads(json.dumps(release))
    bad_release["spec"]["chart"]["spec"]["sourceRef"]["kind"] = "GitRepo"
    bad_release["spec"]["interval"] = "ten minutes"
    errors = validate([bad_repo, bad_application, bad_release])
    assert any("/spec/url" in e for e in errors[0]), errors[0]  # Flux wants ssh:// for ssh
    assert any("destination" in e for e in errors[1]), errors[1]
    assert any("/spec/chart/spec/sourceRef/kind" in e for e in errors[2]), errors[2]
    assert any("/spec/interval" in e for e in errors[2]), errors[2]


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[A-Za-z_$][\w$.]*|\d+(?:\.\d+)?|[{}\[\]<>:;?|&(),]')


def declared_fields(path: Path, interface: str) -> dict:
    """The fields an interface of a kubernetes-models type declaration declares, as a tree:
    {field: subtree}, "*" for a map's values, None for a leaf (or an opaque type)."""
    text = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S)
    text = re.sub(r"(?m)^\s*//.*$", "", text)
    start = text.index("{", text.index(f"export interface {interface} "))
    fields, _ = _object(_TOKEN.findall(text[start:]), 0)
    return fields


def _object(tokens: list[str], i: int) -> tuple[dict, int]:
    i += 1  # "{"
    fields: dict = {}
    while tokens[i] != "}":
        if tokens[i] == "[":  # index signature: [key: string]: T
            i = tokens.index("]", i) + 1
            name = "*"
        else:
            name = tokens[i].strip('"')
            i += 2 if tokens[i + 1] == "?" else 1
        assert tokens[i] == ":", f"unexpected {tokens[i]!r} after {name!r}"
        fields[name], i = _type(tokens, i + 1)
        if tokens[i] == ";":
            i += 1
    return fields, i + 1


def _type(tokens: list[str], i: int) -> tuple[dict | None, int]:
    found = None
    while True:
        if tokens[i] == "{":
            sub, i = _object(tokens, i)
        elif tokens[i] == "Array" and tokens[i + 1] == "<":
            sub, i = _type(tokens, i + 2)
            i += 1  # ">"
        elif tokens[i] == "(":
            sub, i = _type(tokens, i + 1)
            i += 1  # ")"
        else:
            sub, i = None, i + 1  # a literal, a scalar type, or a named (opaque) type
        while tokens[i:i + 2] == ["[", "]"]:
            i += 2
        found = found if found is not None else sub
        if tokens[i] not in ("|", "&"):
            return found, i
        i += 1


def undeclared(data: object, fields: dict | None, path: str = "") -> list[str]:
    if fields is None:
        return []
    if isinstance(data, list):
        return [u for n, item in enumerate(data) for u in undeclared(item, fields, f"{path}[{n}]")]
    if not isinstance(data, dict):
        return []
    found = []
    for key, value in data.items():
        if key in fields or "*" in fields:
            found += undeclared(value, fields.get(key, fields.get("*")), f"{path}.{key}")
        else:
            found.append(f"{path}.{key}")
    return found


def test_every_field_written_is_one_the_crd_declares(default_out, validate):
    # (`validate` only for its check that the packages are installed.)
    declared = {key: declared_fields(MODELS / path, interface) for key, (path, interface) in DECLARATIONS.items()}
    assert {"chart", "releaseName", "targetNamespace", "valuesFiles"} <= set(
        declared[("helm.toolkit.fluxcd.io/v2", "HelmRelease")]["spec"]) | set(
        declared[("helm.toolkit.fluxcd.io/v2", "HelmRelease")]["spec"]["chart"]["spec"])
    docs = list(objects(default_out).values()) + other_deliveries()
    unknown = {f"{d['kind']}/{d['metadata']['name']}": undeclared(d, declared[(d["apiVersion"], d["kind"])])
               for d in docs}
    assert {k: v for k, v in unknown.items() if v} == {}
    # A misspelt field is caught (the API server would drop it without a word).
    release = next(d for d in docs if d["kind"] == "HelmRelease")
    typo = {**release, "spec": {**release["spec"], "targetNamespce": "x"}}
    assert undeclared(typo, declared[("helm.toolkit.fluxcd.io/v2", "HelmRelease")]) == [".spec.targetNamespce"]


# --- the command ------------------------------------------------------------------------------

def test_two_runs_write_identical_bytes_and_no_local_paths(tmp_path):
    first, second = tmp_path / "one" / "gitops", tmp_path / "two" / "out"
    for out in (first, second):
        result = run(["gitops", "--repo", REPO, "--out", str(out)], ROOT)
        assert result.returncode == 0, result.stderr
    assert tree(first) == tree(second)
    for text in tree(first).values():
        assert str(tmp_path).encode() not in text and str(ROOT).encode() not in text


@pytest.mark.parametrize("url", [
    "github.com/example/atlantiplex",  # no scheme
    "http://github.com/example/atlantiplex.git",  # not https
    "https://user:token@github.com/example/atlantiplex.git",  # a secret in git
    "https://github.com",  # no repository
    "https://github.com/example/a b.git",
    "file:///srv/git/atlantiplex.git",
    "",
])
def test_bad_repo_url_exits_2_with_a_clear_message_and_writes_nothing(tmp_path, url):
    (tmp_path / "compose.yaml").write_text(GOOD)
    result = run(["gitops", "--repo", url], tmp_path)
    assert result.returncode == 2, result.stderr
    assert "error[E-USAGE]: --repo" in result.stderr and "is not a git repository URL" in result.stderr
    assert "Traceback" not in result.stderr and "token" not in result.stderr
    assert not (tmp_path / "gitops").exists()


@pytest.mark.parametrize("url", [
    "https://github.com/example/atlantiplex.git",
    "https://git.example.com:8443/team/atlantiplex",
    "ssh://git@github.com/example/atlantiplex.git",
    "git@github.com:example/atlantiplex.git",
])
def test_good_repo_urls_are_kept_as_given(url):
    assert gitops.repo_url(url) == url


def test_scp_like_url_becomes_ssh_for_flux_and_stays_for_argo():
    delivery = gitops.Delivery(project="app", namespace="app", chart="app",
                               repo="git@github.com:example/app.git")
    files = gitops.render(delivery)
    assert yaml.safe_load(files["flux/gitrepository.yaml"])["spec"]["url"] == "ssh://git@github.com/example/app.git"
    assert yaml.safe_load(files["argocd/application-base.yaml"])["spec"]["source"]["repoURL"] == \
        "git@github.com:example/app.git"


@pytest.mark.parametrize("revision, ref", [
    ("main", {"branch": "main"}),
    ("release/1.2", {"branch": "release/1.2"}),
    ("refs/tags/v1.2.3", {"name": "refs/tags/v1.2.3"}),
    ("0123456789abcdef0123456789abcdef01234567", {"commit": "0123456789abcdef0123456789abcdef01234567"}),
])
def test_revision_becomes_the_flux_ref_it_names(revision, ref):
    delivery = gitops.Delivery(project="app", namespace="app", chart="app", repo=REPO,
                               revision=gitops.revision(revision))
    assert gitops.flux_gitrepository(delivery)["spec"]["ref"] == ref


@pytest.mark.parametrize("bad", ["", "a b", "-x", "a..b", "main:x", "x.lock"])
def test_bad_revision_is_refused(bad):
    with pytest.raises(CompileError, match="--revision"):
        gitops.revision(bad)


def test_without_overlays_the_base_is_deployed(tmp_path):
    (tmp_path / "compose.yaml").write_text(GOOD)
    project = gitops.dns_name(tmp_path.name)
    result = run(["gitops", "--repo", REPO], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "warning[W-GITOPS-PATH]: dist/ does not exist here" in result.stderr
    found = objects(tmp_path / "gitops")
    assert sorted(found) == ["argocd/application-base.yaml", "flux/gitrepository.yaml",
                             "flux/helmrelease-base.yaml", "flux/kustomization-base.yaml"]
    app = found["argocd/application-base.yaml"]
    assert app["metadata"]["name"] == project
    assert app["spec"]["source"]["path"] == "dist"
    assert app["spec"]["destination"]["namespace"] == project
    assert found["flux/kustomization-base.yaml"]["spec"]["path"] == "./dist"
    assert found["flux/helmrelease-base.yaml"]["spec"]["chart"]["spec"]["valuesFiles"] == [
        f"./charts/{project}/values.yaml"]


def test_explicit_environments_and_namespace(tmp_path):
    (tmp_path / "compose.yaml").write_text(GOOD)
    overlay = tmp_path / "dist" / "overlays" / "qa"
    overlay.mkdir(parents=True)
    (overlay / "kustomization.yaml").write_text("namespace: shop-qa\nresources: [../../base]\n")
    result = run(["gitops", "--repo", REPO, "--env", "qa", "--env", "perf", "-n", "shop"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "dist/overlays/perf/ does not exist here" in result.stderr
    found = objects(tmp_path / "gitops")
    assert found["argocd/application-qa.yaml"]["spec"]["destination"]["namespace"] == "shop-qa"  # the overlay's
    assert found["argocd/application-perf.yaml"]["spec"]["destination"]["namespace"] == "shop"  # the base's
    assert "argocd/application-base.yaml" not in found


@pytest.mark.parametrize("args", [["--env", "Prod_1"], ["--dist", "../elsewhere"], ["--revision", "a b"]])
def test_bad_options_exit_2(tmp_path, args):
    (tmp_path / "compose.yaml").write_text(GOOD)
    result = run(["gitops", "--repo", REPO, *args], tmp_path)
    assert result.returncode == 2 and "error[E-USAGE]" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "gitops").exists()


def test_refuses_to_replace_a_folder_it_did_not_write(tmp_path):
    (tmp_path / "compose.yaml").write_text(GOOD)
    (tmp_path / "gitops").mkdir()
    (tmp_path / "gitops" / "notes.txt").write_text("mine")
    result = run(["gitops", "--repo", REPO], tmp_path)
    assert result.returncode == 2 and "error[E-OUTPUT]" in result.stderr
    assert (tmp_path / "gitops" / "notes.txt").read_text() == "mine"
    # Its own output it replaces.
    shutil.rmtree(tmp_path / "gitops")
    assert run(["gitops", "--repo", REPO], tmp_path).returncode == 0
    assert run(["gitops", "--repo", REPO, "--revision", "stable"], tmp_path).returncode == 0
    assert yaml.safe_load((tmp_path / "gitops" / "flux" / "gitrepository.yaml").read_text())["spec"]["ref"] == {
        "branch": "stable"}
