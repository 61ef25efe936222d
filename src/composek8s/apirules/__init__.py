"""What the Kubernetes API server enforces beyond the OpenAPI schema, in one place.

The plan stage runs every object it makes through these rules (an error at the compose key
that produced the field), ``synth`` runs every environment's objects through them, and
``check`` runs them on any manifest (a finding named after the rule). Each function cites the
Kubernetes validation function it follows (k8s.io/apimachinery/pkg/util/validation,
k8s.io/kubernetes/pkg/apis/core/validation…).

This package imports neither the plan nor the check stage: both import it.
"""
from .objects import TEMPLATE_PATHS, Problem, object_problems
from .quantity import canonical, parse
from .rules import (SYSTEM_NAMESPACES, chart_version, config_key, data_size, dns1035_label, dns1123_label,
                    dns1123_subdomain, env_var_name, int32, int64, label_value, port_name, port_number, protocol,
                    qualified_name, user_id)

__all__ = ["Problem", "object_problems", "TEMPLATE_PATHS", "canonical", "parse", "SYSTEM_NAMESPACES",
           "chart_version", "config_key", "data_size", "dns1035_label", "dns1123_label", "dns1123_subdomain",
           "env_var_name", "int32", "int64", "label_value", "port_name", "port_number", "protocol",
           "qualified_name", "user_id"]
