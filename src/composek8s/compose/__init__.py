"""The load stage: compose files in, a typed ``Project`` out (see docs/architecture.md)."""
from .interpolate import SecretRef, Template, is_secret_name
from .load import discover, load_project
from .model import Build, ConfigUse, Dependency, Healthcheck, Mount, Port, Project, Resources, SecretUse, Service

__all__ = ["load_project", "discover", "Project", "Service", "Port", "Mount", "Healthcheck",
           "Resources", "Build", "Dependency", "SecretUse", "SecretRef", "Template", "is_secret_name"]
