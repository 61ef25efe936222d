"""Chart versions that move whenever the chart's content moves.

Flux re-reads a chart from git only when its version changes, and chart-testing demands a
bump for every change. So Chart.yaml records a digest of the chart's content (everything
but the version itself); a run whose content digest differs from the recorded one bumps
the patch version, and a run with the same content keeps the version. ``--chart-version``
sets it explicitly.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from ..diagnostics import fail
from .digest import DIGEST_ANNOTATION, content_digest

if TYPE_CHECKING:
    from ..plan import Plan

FIRST_VERSION = "0.1.0"
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")


def bump_patch(version: str) -> str:
    m = SEMVER.match(version)
    if not m:
        return FIRST_VERSION
    major, minor, patch = (int(g) for g in m.groups()[:3])
    # A pre-release (1.2.3-rc.1) is released as 1.2.3; a release moves to the next patch.
    return f"{major}.{minor}.{patch if m.group(4) else patch + 1}"


def recorded(chart_dir: Path) -> tuple[str | None, str | None]:
    """The version and content digest in an existing Chart.yaml, if any."""
    try:
        meta = yaml.safe_load((chart_dir / "Chart.yaml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return None, None
    if not isinstance(meta, dict):
        return None, None
    version = str(meta.get("version")) if meta.get("version") is not None else None
    return version, (meta.get("annotations") or {}).get(DIGEST_ANNOTATION)


def versioned_chart(plan: Plan, chart_dir: Path, requested: str | None = None) -> dict[str, str]:
    """The chart, versioned: ``requested``, else the recorded version when the content is
    unchanged, else the recorded version with its patch bumped (0.1.0 for a new chart)."""
    # Imported here: reading versions back (``recorded_at``, ``unbumped``) stays light.
    from ..apirules import chart_version
    from .chart import chart_yaml, check_environments, render_chart

    files = render_chart(plan, "0.0.0")
    digest = content_digest(files)
    old_version, old_digest = recorded(chart_dir)
    if digest != old_digest:
        # New content: check its environments. Unchanged content was checked when written
        # (the digest covers the schema and every values file), which keeps runs fast.
        check_environments(plan, files)
    if requested:
        version = requested
    else:
        if old_version is None:
            version = FIRST_VERSION
        elif old_digest == digest:
            version = old_version
        else:
            version = bump_patch(old_version)
    problems = chart_version(version)
    if problems:  # a hand-edited Chart.yaml, or a patch number bumped past 64 bits
        raise fail("E-CHART-VERSION", f"chart version {version!r} (from {chart_dir / 'Chart.yaml'}) is not one "
                   f"helm accepts: {'; '.join(problems)}; pass --chart-version")
    return {**files, "Chart.yaml": chart_yaml(plan, version, digest)}


def _fetch_hint(ref: str) -> str:
    """The command that makes ``ref`` resolvable in a shallow or partial clone."""
    remote, _, branch = ref.partition("/")
    if branch and not ref.startswith("refs/"):
        return f"git fetch --no-tags --depth=1 {remote} {branch}:refs/remotes/{remote}/{branch}"
    return f"git fetch --no-tags --depth=1 origin {ref}"


def recorded_at(ref: str, chart_dir: Path) -> tuple[str | None, str | None]:
    """The version and digest of ``chart_dir``'s Chart.yaml at git revision ``ref``; (None,
    None) outside a git work tree, before the first commit (``HEAD``), or when the chart did
    not exist there. A ``ref`` git cannot resolve is an error: a CI job with a shallow
    checkout has no ``origin/main``, and comparing with nothing would always pass."""
    import subprocess

    path = (chart_dir / "Chart.yaml").resolve()
    try:
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=path.parent.parent,
                             capture_output=True, text=True, check=True).stdout.strip()
        rel = path.relative_to(Path(top).resolve()).as_posix()
    except (OSError, ValueError, subprocess.CalledProcessError):
        return None, None
    known = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd=top,
                           capture_output=True, text=True)
    if known.returncode != 0:
        if ref == "HEAD":  # a repository without commits: nothing to compare with yet
            return None, None
        raise fail("E-BASE-UNKNOWN", f"--base {ref!r} is not a revision of this repository (a shallow "
                   f"CI checkout holds only the commit it builds): fetch it first, e.g. `{_fetch_hint(ref)}`")
    try:
        text = subprocess.run(["git", "show", f"{ref}:{rel}"], cwd=top, capture_output=True,
                              text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None, None
    meta = yaml.safe_load(text) or {}
    if not isinstance(meta, dict):
        return None, None
    return (str(meta.get("version")) if meta.get("version") is not None else None,
            (meta.get("annotations") or {}).get(DIGEST_ANNOTATION))


def unbumped(plan: "Plan | None", chart_dir: Path, chart: dict[str, str], base: str) -> str | None:
    """Why the chart's version must move relative to git revision ``base``, or None."""
    base_version, base_digest = recorded_at(base, chart_dir)
    if base_version is None:
        return None
    new = yaml.safe_load(chart["Chart.yaml"])
    digest = new["annotations"][DIGEST_ANNOTATION]
    if digest != base_digest and str(new["version"]) == base_version:
        _, on_disk_digest = recorded(chart_dir)
        if on_disk_digest != digest:  # synth sees new content on disk and bumps the patch
            fix = "run `composek8s synth` (it bumps the version) or pass --chart-version"
        else:  # the content on disk is already this one (an explicit --chart-version kept it): synth keeps it
            fix = f"run `composek8s synth --chart-version {bump_patch(base_version)}` (or a later version)"
        return f"the chart's content changed since {base} but its version is still {base_version}: {fix}"
    return None
