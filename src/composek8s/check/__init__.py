"""The check stage: schema validation per Kubernetes version and Pod Security Standards.

Pure functions on parsed manifests; nothing here changes a manifest.
"""

from composek8s.check.pss import Finding, check_pod_security
from composek8s.check.schema import supported_versions, validate_object

__all__ = ["Finding", "check_pod_security", "supported_versions", "validate_object"]
