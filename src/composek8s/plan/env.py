"""Container environment and command lines, with secrets kept as references.

Secret variables reach the container through ``secretKeyRef``; a value that embeds one
(``postgresql://u:${DB_PASSWORD}@db/app``) becomes a Kubernetes dependent variable
(``postgresql://u:$(DB_PASSWORD)@db/app``) after an env entry that reads the secret. Plain
text is escaped so Kubernetes' ``$(VAR)`` expansion cannot change it.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

from ..apirules import env_var_name
from ..compose import SecretRef, Service, Template, is_secret_name
from ..compose.interpolate import is_file_pointer
from ..diagnostics import Reporter
from .model import Concat, Name, Value, key_part

_DOLLAR = re.compile(r"\$(?=[$(])")


def escape(text: str) -> str:
    """Literal text safe from Kubernetes expansion: ``$(`` → ``$$(``, ``$$`` → ``$$$$``."""
    return _DOLLAR.sub("$$", text)


def _render(value: str | Template) -> str:
    if isinstance(value, str):
        return escape(value)
    return "".join(escape(p) if isinstance(p, str) else f"$({p.variable})" for p in value.parts)


def _secret_ref(secret: Name, ref: SecretRef) -> dict:
    selector = {"name": secret, "key": ref.variable}
    if not ref.required:
        selector["optional"] = True
    return {"valueFrom": {"secretKeyRef": selector}}


# Where a URL or a bare value names a host: `@db:`, `//db/`, `db`. A token is a whole run of
# the characters compose service names are made of (possessive: no backtracking), so finding
# hosts is linear in the value whatever the number of services.
_HOST_TOKEN = re.compile(r"(?:(?<=[@/])|^)([A-Za-z0-9._-]++)(?=$|[:/])")


class Hosts:
    """Compose service names as host names, to find in values: built once per project."""

    def __init__(self, names: dict[str, str]):
        self.names = names  # compose name -> Kubernetes Service name

    def find(self, text: str) -> Iterator[tuple[int, int, str]]:
        """(start, end, compose name) of each service name used as a host in ``text``."""
        if not self.names:
            return
        for m in _HOST_TOKEN.finditer(text):
            if m.group(1) in self.names:
                yield m.start(), m.end(), m.group(1)


class EnvBuilder:
    """Builds one container's ``env`` and records the secret keys it reads."""

    def __init__(self, svc: Service, secret: Name, reporter: Reporter, key: str, hosts: "Hosts"):
        self.svc, self.secret, self.reporter, self.key = svc, secret, reporter, key
        self.refs: dict[str, SecretRef] = {}  # secret variable -> how it is used
        self.hosts = hosts

    def _hosted(self, text: str) -> str | Concat:
        """``text`` with compose host names as the Services' (release-aware) names."""
        parts: list = []
        last = 0
        for start, end, name in self.hosts.find(text):
            parts += [text[last:start], Name(self.hosts.names[name])]
            last = end
        if not parts:
            return text
        parts.append(text[last:])
        return Concat(tuple(p for p in parts if p != ""))

    def _use(self, ref: SecretRef) -> None:
        known = self.refs.get(ref.variable)
        self.refs[ref.variable] = ref if known is None or ref.required else known

    def env(self) -> list[dict]:
        entries: list[dict] = []
        for name, value in self.svc.environment.items():
            refused = env_var_name(name)
            if refused:  # the API server would refuse the pod; an empty name is no values key either
                self.reporter.error("E-API-ENV", f"service {self.svc.name!r}: environment variable {name!r} "
                                    f"{'; '.join(refused)} (Kubernetes' IsEnvVarName)",
                                    self.svc.env_positions.get(name, self.svc.keys.get("environment")))
                continue
            if isinstance(value, Template) and len(value.parts) == 1 and value.parts[0].variable == name:
                self._use(value.parts[0])
                entries.append({"name": name, **_secret_ref(self.secret, value.parts[0])})
            elif isinstance(value, Template):
                for ref in value.secrets:
                    self._use(ref)
                entries.append({"name": name, "value": self._hosted(_render(value))})
            elif is_secret_name(name) and not is_file_pointer(name, value):
                self.reporter.warn("W-SECRET-LITERAL", f"service {self.svc.name!r}: {name} has a "
                                   "literal value in the compose file; it is not written to the "
                                   f"output: put it in the Secret {self.secret.base!r}",
                                   self.svc.env_positions.get(name, self.svc.keys.get("environment")))
                ref = SecretRef(name)
                self._use(ref)
                entries.append({"name": name, **_secret_ref(self.secret, ref)})
            else:
                rendered = self._hosted(_render(value))
                # Plain variables are chart values; ones naming other services follow the release.
                entries.append({"name": name, "value": rendered if isinstance(rendered, Concat)
                                else Value(f"{self.key}.env.{key_part(name)}", rendered)})
        return entries

    def args(self, items: list | None) -> list[str] | None:
        """command/entrypoint words; ``$(VAR)`` expansion reads secret variables from env."""
        if items is None:
            return None
        for item in items:
            if isinstance(item, Template):
                for ref in item.secrets:
                    self._use(ref)
        return [_render(item) for item in items]

    def finish(self, entries: list[dict]) -> list[dict]:
        """The final ``env``: secret sources first, so ``$(VAR)`` in later values resolves.

        Adds an entry for every secret variable used inside a value or a command line that
        the compose file does not define itself.
        """
        defined = {e["name"] for e in entries}
        sources = [{"name": v, **_secret_ref(self.secret, ref)}
                   for v, ref in sorted(self.refs.items()) if v not in defined]
        from_secrets = [e for e in entries if "valueFrom" in e]
        plain = [e for e in entries if "valueFrom" not in e]
        return sources + from_secrets + plain
