"""The project budget: a project too large for the memory this run may use is refused before
anything is rendered (``E-PROJECT-TOO-LARGE``, exit 2, nothing written), instead of Node.js
dying of it minutes later (``E-NODE``).

What rendering needs grows with the plan's objects and the bytes of their JSON. cdk8s renders
them in chunks of about 1 MiB that Node.js drops at once (``synth/chart.py``), so Node's share
hardly grows; composek8s' own (the plan, the manifests, the YAML) does. The figures below were
measured on the benchmark's projects (Node 20, cdk8s 2.70, jsii 1.142, x86-64; bench/README.md,
"The project budget"), rounded up:

- Address space, per process (``RLIMIT_AS`` is inherited, not shared). Node.js: the smallest
  ``ulimit -v`` under which synth succeeded was 988 MiB for 100 benchmark services, 995 MiB for
  300 and for 1,000 (5,103 objects), 1,016 MiB for 3,000 (15,303 objects): V8's reservations,
  then a little per object. The model, 1,000 MiB and 2 KiB per object, is above each by 7 to 14
  MiB. Python (``VmPeak``): 214 MiB for 300 services, 299 MiB for 1,000, 649 MiB for 3,000,
  modelled as 200 MiB and 32 KiB per object; it passes Node's near 26,000 objects.
- Resident memory of the whole process tree (Python and Node.js, which the CLI stops once
  the objects are rendered), against a cgroup's ``memory.max`` or the machine's
  ``MemAvailable``: measured 204 MiB for 300 services, 305 MiB for 1,000 and 571 MiB for 3,000;
  modelled as 180 MiB, 16 KiB per object and 8 bytes per byte of manifest JSON. Measured
  with two Node.js processes; since jsii's kernel runs in one (``launcher.js``) the tree holds
  20-50 MB less, so the model is an upper bound by that much more.
- Node's heap itself: jsii starts Node with ``--max-old-space-size=4069`` (MB), which neither
  ``NODE_OPTIONS`` nor we can change; the per-object part of Node's address space is heap.

A model errs on the side of refusing: the check stands between a project and a crash, never
between a small project and its output (on this 24 GiB machine only an address-space limit
ever binds).
"""
from __future__ import annotations

import os
import resource
from pathlib import Path

from ..diagnostics import fail

MIB = 1 << 20
NODE_BASE_AS = 1000 * MIB       # Node's address space, chunks included
NODE_AS_PER_OBJECT = 2 << 10    # … and per object
PYTHON_BASE_AS = 200 * MIB      # composek8s' own address space
PYTHON_AS_PER_OBJECT = 32 << 10
NODE_HEAP = 4069 * 1_000_000    # jsii's --max-old-space-size=4069
TREE_BASE_RSS = 180 * MIB       # Python and Node together, resident
TREE_RSS_PER_OBJECT = 16 << 10
TREE_RSS_PER_BYTE = 8
ADVICE = ("split the project into smaller ones (separate compose files, or profiles compiled one by one, "
          "each its own dist/ and chart) or run with more memory (README: Limits)")


def manifest_bytes(plan) -> int:
    """The bytes of the plan's objects as compact JSON: what jsii carries to Node and back."""
    return sum(len(r.plain_json()) for r in plan.resources)


def node_address_space(objects: int) -> int:
    return NODE_BASE_AS + NODE_AS_PER_OBJECT * objects


def address_space_needed(objects: int, size: int) -> int:
    """The address space the largest process of the run needs (each has the limit)."""
    return max(node_address_space(objects), PYTHON_BASE_AS + PYTHON_AS_PER_OBJECT * objects)


def resident_needed(objects: int, size: int) -> int:
    return TREE_BASE_RSS + TREE_RSS_PER_OBJECT * objects + TREE_RSS_PER_BYTE * size


def _own_rss() -> int:
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _number(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None  # "max" (v2): no limit


def _stat(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key and value.strip().isdigit():
                return int(value)
    except OSError:
        pass
    return 0


def cgroup_room(root: Path = Path("/")) -> int | None:
    """What the process tree may still use under its cgroup's memory limit (v2 ``memory.max``,
    v1 ``memory.limit_in_bytes``): the limit less what the rest of the group holds, not
    counting reclaimable page cache (``inactive_file``, as the kubelet's working set does)."""
    fs = root / "sys" / "fs" / "cgroup"
    try:
        lines = (root / "proc" / "self" / "cgroup").read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:
        hierarchy, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        rel = path.lstrip("/")
        if hierarchy == "0" and controllers == "":  # v2
            folder = fs / rel if (fs / rel / "memory.max").is_file() else fs
            limit, used = _number(folder / "memory.max"), _number(folder / "memory.current")
            cache = _stat(folder / "memory.stat", "inactive_file")
        elif "memory" in controllers.split(","):  # v1
            base = fs / "memory"
            folder = base / rel if (base / rel / "memory.limit_in_bytes").is_file() else base
            limit, used = _number(folder / "memory.limit_in_bytes"), _number(folder / "memory.usage_in_bytes")
            cache = _stat(folder / "memory.stat", "total_inactive_file")
        else:
            continue
        if limit is None or used is None or limit >= 1 << 60:  # v1 writes "no limit" as about 2^63
            continue
        return limit - max(used - cache, 0)
    return None


def available_memory(root: Path = Path("/")) -> int | None:
    """``MemAvailable`` of /proc/meminfo: what the kernel could give without swapping."""
    try:
        for line in (root / "proc" / "meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def refuse_too_large(plan) -> None:
    """``E-PROJECT-TOO-LARGE`` when rendering ``plan`` needs more memory than this run may use."""
    objects = len(plan.resources)
    size = manifest_bytes(plan)
    what = f"the project renders {objects:,} objects ({size / MIB:,.1f} MiB of manifests)"
    limit = resource.getrlimit(resource.RLIMIT_AS)[0]
    need = address_space_needed(objects, size)
    if limit != resource.RLIM_INFINITY and need > limit:
        who = "cdk8s' Node.js" if need == node_address_space(objects) else "composek8s itself"
        raise fail("E-PROJECT-TOO-LARGE", f"{what}; {who} would need about {need // MIB:,} MiB of "
                   f"address space, more than this process's limit of {limit // MIB:,} MiB (ulimit -v): {ADVICE}")
    heap = node_address_space(objects) - NODE_BASE_AS
    if heap > NODE_HEAP:
        raise fail("E-PROJECT-TOO-LARGE", f"{what}; cdk8s' Node.js would need a heap of about {heap // MIB:,} MiB, "
                   f"more than the {NODE_HEAP // MIB:,} MiB jsii gives it: {ADVICE}")
    need = resident_needed(objects, size)
    own = _own_rss()  # already held, and counted in the need
    for room, where in ((cgroup_room(), "its cgroup's memory limit"), (available_memory(), "the memory available")):
        if room is not None and need > room + own:
            raise fail("E-PROJECT-TOO-LARGE", f"{what}; rendering it needs about {need // MIB:,} MiB of memory, "
                       f"more than {where} leaves ({(room + own) // MIB:,} MiB): {ADVICE}")
