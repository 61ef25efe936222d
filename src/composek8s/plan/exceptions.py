"""The Checkov gate's exceptions: the checks a compose-derived object cannot pass, and why.

tests/test_checkov.py runs Checkov on dist/ and on the chart and allows no failed check. The
plan meets every check it can; a check that fails because of what the compose project is
(not because of how we render it) becomes a deliberate exception: a
``checkov.io/skipN: CKV_K8S_NN=<reason>`` annotation on the object's metadata, added only
where its reason holds. It is part of the plan, so dist/ and the chart carry the same
annotations, and whoever reads either sees why.

| check | cannot pass when | because |
|---|---|---|
| CKV_K8S_43 image digest | the image (or a wait init container's) is named by tag | a digest exists once the image is pushed; the compiler contacts no registry |
| CKV_K8S_35 secrets as files | compose gives the service a secret variable | the program reads its configuration from its environment |
| CKV_K8S_40 UID >= 10000 | the service runs as a UID below 10000 | the UID comes from compose, the Dockerfile or the image, and owns the image's files |
| CKV_K8S_15 pull policy Always | ``kompose.image-pull-policy`` asks for another policy on a tagged image | the compose file's owner chose it (a warning says what it costs) |
| CKV_K8S_8/9 probes | (the chart's ``helm test`` pod) | it runs one check and exits: there is nothing to probe |

Checkov splits an annotation's value at ``=``: a reason never contains one.
"""
from __future__ import annotations

SKIP_PREFIX = "checkov.io/skip"
IMAGE_DIGEST = "CKV_K8S_43"
SECRETS_AS_FILES = "CKV_K8S_35"
HIGH_UID = "CKV_K8S_40"
PULL_POLICY = "CKV_K8S_15"
LIVENESS_PROBE = "CKV_K8S_8"
READINESS_PROBE = "CKV_K8S_9"
HIGH_UID_MIN = 10000  # CKV_K8S_40's threshold


def workload_exceptions(key: str, tag: str, env: list[dict], uid: int, uid_origin: str,
                        pull_policy: str = "Always", helper_images: list[str] | tuple = ()) -> dict[str, str]:
    """{check id: reason} for a compose service's workload.

    ``key`` is the service's values key, ``tag`` its image tag (``@sha256:…`` when pinned),
    ``env`` its container's env, ``uid`` the UID it runs as and ``uid_origin`` where that
    UID comes from (``security.user_ids_and_origin``), ``pull_policy`` its imagePullPolicy.
    """
    out: dict[str, str] = {}
    if "@" not in tag and pull_policy != "Always":
        out[PULL_POLICY] = (
            f"the compose file asks for imagePullPolicy {pull_policy} (kompose.image-pull-policy): "
            f"a changed tag is not pulled again; set {key}.image.pullPolicy to Always to restore it")
    reasons = []
    if "@" not in tag:
        reasons.append(
            "compose names this image by tag, and a digest exists only once the image is pushed "
            "to a registry, which the compiler does not contact; pin one at install (chart: "
            f"{key}.image.tag set to @sha256:<digest>; kustomize: a digest under images)")
    by_tag = [i for i in helper_images if "@" not in i]
    if by_tag:
        reasons.append(
            f"the init containers that wait for dependencies run {', '.join(sorted(set(by_tag)))}, named by "
            "tag: its digest cannot be verified where the output is generated, which contacts no "
            "registry; pin one at install (chart: global.waitImage.tag or global.kubectlImage.tag "
            "set to @sha256:<digest>)")
    if reasons:
        out[IMAGE_DIGEST] = "; and ".join(reasons)
    secret_vars = [e["name"] for e in env if "secretKeyRef" in e.get("valueFrom", {})]
    if secret_vars:
        out[SECRETS_AS_FILES] = (
            f"the compose file passes the secret variable{'s' if len(secret_vars) > 1 else ''} "
            f"{', '.join(secret_vars)} through the "
            "environment, where the program reads its configuration; the values come from Secret "
            "references and are never written here (compose secrets are mounted as files)")
    if uid < HIGH_UID_MIN:
        out[HIGH_UID] = (
            f"runs as UID {uid} because {uid_origin}: files in the image and on its volumes "
            "belong to the UID the service runs as under compose, and a UID of "
            f"{HIGH_UID_MIN} or more could not use them (runAsNonRoot is still enforced)")
    return out


def hook_pod_exceptions(image: str) -> dict[str, str]:
    """{check id: reason} for the chart's ``helm test`` pod, which runs ``image``."""
    one_shot = "a helm test pod runs one connection check and exits: it serves nothing to probe"
    return {
        IMAGE_DIGEST: (f"the helm test image {image} is named by tag: its digest cannot be "
                       "verified where the chart is generated, which contacts no registry"),
        LIVENESS_PROBE: one_shot,
        READINESS_PROBE: one_shot,
    }


def annotations(exceptions: dict[str, str]) -> dict[str, str]:
    """``checkov.io/skip1: CKV_K8S_NN=<reason>``… in check-id order (deterministic)."""
    ordered = sorted(exceptions, key=lambda c: (c.rsplit("_", 1)[0], int(c.rsplit("_", 1)[1])))
    return {f"{SKIP_PREFIX}{i}": f"{check}={exceptions[check].replace('=', ' ')}"
            for i, check in enumerate(ordered, 1)}
