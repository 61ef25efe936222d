"""Value rules of the Kubernetes API server, each one function returning what is wrong.

Every function returns a list of messages (empty: accepted), as Kubernetes' own validation
functions do, and names the function it follows. Written by hand: no Python library carries
these rules (the kubernetes client validates nothing), and the OpenAPI schemas that
kubernetes-validate bundles say only "string" or "integer" for all of them.
"""
from __future__ import annotations

import re

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
UINT64_MAX = 2**64 - 1
MAX_DATA_SIZE = 1024 * 1024  # core.MaxSecretSize: a ConfigMap's or Secret's data, in bytes
MAX_ANNOTATIONS_SIZE = 256 * 1024  # apimachinery TotalAnnotationSizeLimitB
PROTOCOLS = ("TCP", "UDP", "SCTP")  # core validation's supportedPortProtocols

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_ENV_VAR_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_PORT_NAME = re.compile(r"^[-a-z0-9]+$")
_PERCENT = re.compile(r"^[0-9]+%$")


def _too_long(limit: int) -> str:
    return f"must be no more than {limit} characters"


def dns1123_label(value: object) -> list[str]:
    """``IsDNS1123Label`` (k8s.io/apimachinery/pkg/util/validation): at most 63 characters,
    lowercase letters, digits and '-', starting and ending with a letter or digit. Namespaces
    (``ValidateNamespaceName``), container, volume and Service port names."""
    text = str(value)
    errors = [_too_long(63)] if len(text) > 63 else []
    if not _DNS1123_LABEL.match(text):
        errors.append("must not contain dots" if _DNS1123_SUBDOMAIN.match(text) else
                      "must consist of lowercase letters, digits and '-', and start and end with a "
                      "letter or digit")
    return errors


def dns1123_subdomain(value: object) -> list[str]:
    """``IsDNS1123Subdomain``: at most 253 characters, dot-separated DNS-1123 labels. The name
    of most objects (``NameIsDNSSubdomain``: Deployments, ConfigMaps, ServiceAccounts…)."""
    text = str(value)
    errors = [_too_long(253)] if len(text) > 253 else []
    if not _DNS1123_SUBDOMAIN.match(text):
        errors.append("must consist of lowercase letters, digits, '-' and '.', and start and end "
                      "with a letter or digit")
    return errors


def dns1035_label(value: object) -> list[str]:
    """``IsDNS1035Label``: a DNS-1123 label that starts with a letter. A Service's name
    (``ValidateServiceName`` = ``NameIsDNS1035Label``): it becomes a DNS name and an
    environment variable prefix."""
    text = str(value)
    errors = [_too_long(63)] if len(text) > 63 else []
    if not _DNS1035_LABEL.match(text):
        errors.append("must consist of lowercase letters, digits and '-', start with a letter "
                      "and end with a letter or digit")
    return errors


def path_segment_name(value: object) -> list[str]:
    """``path.IsValidPathSegmentName`` (k8s.io/apimachinery/pkg/api/validation/path): the names
    of RBAC objects (``ValidateRBACName``): anything but '.', '..', '/' and '%'."""
    text = str(value)
    if text in (".", ".."):
        return [f"may not be {text!r}"]
    return [f"may not contain {c!r}" for c in "/%" if c in text]


def qualified_name(value: object) -> list[str]:
    """``IsQualifiedName`` (content.IsLabelKey): a label or annotation key: an optional
    DNS-1123 subdomain prefix and '/', then a name of at most 63 characters of letters,
    digits, '-', '_' and '.', starting and ending with a letter or digit."""
    text = str(value)
    parts = text.split("/")
    if len(parts) > 2:
        return ["must be a name with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    errors = []
    name = parts[-1]
    if len(parts) == 2:
        if not parts[0]:
            errors.append("prefix part must be non-empty")
        else:
            errors += [f"prefix part {m}" for m in dns1123_subdomain(parts[0])]
    if not name:
        return errors + ["name part must be non-empty"]
    if len(name) > 63:
        errors.append(f"name part {_too_long(63)}")
    if not _QUALIFIED_NAME.match(name):
        errors.append("name part must consist of letters, digits, '-', '_' or '.', and start and "
                      "end with a letter or digit")
    return errors


def label_value(value: object) -> list[str]:
    """``IsValidLabelValue`` (content.IsLabelValue): empty, or at most 63 characters of letters,
    digits, '-', '_' and '.', starting and ending with a letter or digit."""
    if not isinstance(value, str):
        return [f"must be a string, not {type(value).__name__}"]
    errors = [_too_long(63)] if len(value) > 63 else []
    if not _LABEL_VALUE.match(value):
        errors.append("must be empty or consist of letters, digits, '-', '_' or '.', and start and "
                      "end with a letter or digit")
    return errors


def env_var_name(value: object) -> list[str]:
    """``IsEnvVarName``: ``[-._a-zA-Z][-._a-zA-Z0-9]*``, and not '.', '..' or '..'-prefixed
    (``hasChDirPrefix``). Kubernetes 1.30 (the oldest we target) enforces it; the relaxed rule
    of later releases (``IsRelaxedEnvVarName``) is opt-in there."""
    text = str(value)
    if not text:
        return ["must not be empty"]
    errors = []
    if not _ENV_VAR_NAME.match(text):
        errors.append("must consist of letters, digits, '_', '-' or '.', and must not start with a digit")
    if text in (".", "..") or text.startswith(".."):
        errors.append("must not be '.' or '..' or start with '..'")
    return errors


def config_key(value: object) -> list[str]:
    """``IsConfigMapKey``: a ConfigMap or Secret data key: at most 253 characters of letters,
    digits, '-', '_' and '.', and not '.', '..' or '..'-prefixed."""
    text = str(value)
    errors = [_too_long(253)] if len(text) > 253 else []
    if not _CONFIG_KEY.match(text):
        errors.append("must consist of letters, digits, '-', '_' or '.'")
    if text in (".", "..") or text.startswith(".."):
        errors.append("must not be '.' or '..' or start with '..'")
    return errors


def port_name(value: object) -> list[str]:
    """``IsValidPortName``: a container port name (also a probe's or targetPort's named
    port): at most 15 characters of lowercase letters, digits and '-', with at least one
    letter, no '--', not starting or ending with '-'."""
    text = str(value)
    errors = [_too_long(15)] if len(text) > 15 else []
    if not _PORT_NAME.match(text):
        errors.append("must contain only lowercase letters, digits and '-'")
    if not re.search(r"[a-z]", text):
        errors.append("must contain at least one letter")
    if "--" in text:
        errors.append("must not contain consecutive hyphens")
    if text.startswith("-") or text.endswith("-"):
        errors.append("must not begin or end with a hyphen")
    return errors


def whole(value: object) -> int | None:
    """``value`` as an integer if it is one (YAML may carry ``3.0``, which kubectl's YAML to
    JSON conversion sends as 3), else None. Booleans are not numbers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def in_range(value: object, low: int, high: int, what: str = "int32") -> list[str]:
    """A whole number in ``[low, high]``: Go decodes each field into its declared type
    (int32 or int64: a larger number is refused before validation), then validation
    (``ValidateNonnegativeField``, ``IsInRange``) bounds it."""
    number = whole(value)
    if number is None:
        return [f"must be a whole number, not {_shown(value)}"]
    if not low <= number <= high:
        return [f"must be between {low} and {high} ({what}), not {_shown(value)}"]
    return []


def int32(value: object, low: int = 0) -> list[str]:
    """An int32 field (replicas, probe thresholds and periods, backoffLimit…): decoded as Go's
    ``int32``, then at least ``low`` (``ValidateNonnegativeField`` for 0)."""
    return in_range(value, low, INT32_MAX, "int32")


def int64(value: object, low: int = 0) -> list[str]:
    """An int64 field (terminationGracePeriodSeconds, activeDeadlineSeconds, a sleep's seconds):
    decoded as Go's ``int64``, then at least ``low`` (``ValidateNonnegativeField`` for 0)."""
    return in_range(value, low, INT64_MAX, "int64")


def user_id(value: object) -> list[str]:
    """``IsValidUserID`` / ``IsValidGroupID``: 0 to 2147483647 (libcontainer's limit), for
    runAsUser, runAsGroup, fsGroup and supplementalGroups."""
    return in_range(value, 0, INT32_MAX, "a Linux user or group ID")


def port_number(value: object) -> list[str]:
    """``IsValidPortNum``: 1 to 65535."""
    return in_range(value, 1, 65535, "a port number")


def port_or_name(value: object) -> list[str]:
    """An IntOrString port (``validatePortNumOrName``): a number, or a port name."""
    if isinstance(value, str):
        return port_name(value)
    return port_number(value)


def protocol(value: object) -> list[str]:
    """A port's protocol: one of ``supportedPortProtocols`` (TCP, UDP, SCTP), which
    ``validateContainerPorts`` and ``ValidateService`` enforce."""
    return [] if value in PROTOCOLS else [f"must be one of {', '.join(PROTOCOLS)}, not {_shown(value)}"]


def int_or_percent(value: object) -> list[str]:
    """``ValidatePositiveIntOrPercent`` and ``IsNotMoreThan100Percent``: maxSurge,
    maxUnavailable, minAvailable: a whole number ≥ 0, or a percentage of at most 100%."""
    if isinstance(value, str):
        if not _PERCENT.match(value):
            return [f"must be a whole number or a percentage like '25%', not {value!r}"]
        return [] if int(value[:-1]) <= 100 else ["must not be more than 100%"]
    return int32(value)


def data_size(data: dict | None, binary: dict | None = None) -> list[str]:
    """``ValidateConfigMap`` / ``ValidateSecret``: the values of ``data`` and ``binaryData``
    together hold at most ``MAX_DATA_SIZE`` (1 MiB) bytes."""
    size = sum(len(str(v).encode("utf-8")) for v in (data or {}).values())
    size += sum(len(str(v)) * 3 // 4 for v in (binary or {}).values())  # base64 text → bytes
    if size > MAX_DATA_SIZE:
        return [f"holds {size:,} bytes of data; the API server takes at most {MAX_DATA_SIZE:,} (1 MiB)"]
    return []


_NUMERIC = re.compile(r"^(0|[1-9][0-9]*)$")
_IDENTIFIER = re.compile(r"^[0-9A-Za-z-]+$")


def chart_version(value: object) -> list[str]:
    """A chart version: SemVer 2 (``MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]``, no leading zeros)
    within what helm accepts. Helm validates ``chart.metadata.version`` with Masterminds/semver
    ``NewVersion``, which parses each number with ``strconv.ParseUint(…, 10, 64)`` (at most
    18446744073709551615) and refuses empty or zero-prefixed numeric pre-release identifiers
    (measured with helm 4.3.1). Its leniencies (``v1.2.3``, ``1.2``, ``01.2.3``) are not SemVer 2,
    which chart tooling (chart-testing, Flux) compares, so they are refused here too."""
    text = str(value)
    core, plus, build = text.partition("+")
    core, dash, pre = core.partition("-")
    numbers = core.split(".")
    if len(numbers) != 3:
        return [f"{text!r} is not MAJOR.MINOR.PATCH (SemVer 2, e.g. 1.2.3)"]
    errors = []
    for part, number in zip(("major", "minor", "patch"), numbers):
        if not _NUMERIC.match(number):
            errors.append(f"{part} {number!r} must be a number without leading zeros")
        elif int(number) > UINT64_MAX:
            errors.append(f"{part} {number} does not fit in 64 bits (helm reads each number as an "
                          f"unsigned 64-bit integer: at most {UINT64_MAX})")
    for what, present, identifiers in (("pre-release", dash, pre), ("build metadata", plus, build)):
        if not present:
            continue
        for ident in identifiers.split("."):
            if not _IDENTIFIER.match(ident):
                errors.append(f"{what} {identifiers!r}: identifiers must be non-empty [0-9A-Za-z-]")
                break
            if what == "pre-release" and ident.isdigit() and len(ident) > 1 and ident[0] == "0":
                errors.append(f"pre-release identifier {ident!r} must not have leading zeros")
                break
    return errors


SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


def _shown(value: object) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."
