"""Container environment and command lines, with secrets kept as references.

Secret variables reach the container through ``secretKeyRef``; a value that embeds one
(``postgresql://u:${DB_PASSWORD}@db/app``) becomes a Kubernetes dependent variable
(``postgresql://u:$(DB_PASSWORD)@db/app``) after an env entry that reads the secret. Plain
text is escaped so Kubernetes' ``$(VAR)`` expansion cannot change it.

A value is secret by its variable's name (``is_secret_name``) or by what it holds
(``secretscan``: a password in a URL, a private key, a token). When the only credential is a
URL's password (``postgres://app:pw@db/app``), the password alone moves into the project's
Secret, as ``<VARIABLE>_PASSWORD``, and the URL stays a value around ``$(…)``: its host is
then written as the Service's name like any other (``plausible_db`` → ``plausible-db``), so the
URL works when applied. Any other credential moves the value whole into the Secret under its
variable's name (``API_URL`` → ``secretKeyRef``); a command word that holds one becomes
``$(<SERVICE>_COMMAND_<n>)``, read from the Secret key of that name. Either way
``W-SECRET-LITERAL`` says so at its line, and the secret is never written.
"""
from __future__ import annotations

import re

from ..apirules import env_var_name
from ..compose import SecretRef, Service, Template, is_secret_name
from ..compose.interpolate import is_file_pointer
from ..diagnostics import Reporter
from ..secretscan import SECRET_MARK, describe, scan_value
from .model import Concat, Name, Value, key_part
from ..hostrefs import host_context
from .references import HostRef, Hosts, text_parts, value_references

_DOLLAR = re.compile(r"\$(?=[$(])")
# A URL's literal password: `scheme://user:PASSWORD@` (the user may be empty: redis://:pw@).
_URL_PASSWORD = re.compile(r"://[^\s/@:\x00]*:([^\s/@\x00]+)@")


def escape(text: str) -> str:
    """Literal text safe from Kubernetes expansion: ``$(`` → ``$$(``, ``$$`` → ``$$$$``."""
    return _DOLLAR.sub("$$", text)


def _render(value: str | Template) -> str:
    if isinstance(value, str):
        return escape(value)
    return "".join(escape(p) if isinstance(p, str) else f"$({p.variable})" for p in value.parts)


def _marked(value: str | Template) -> str:
    """The value's text, each secret variable a mark: what the detector may see of it."""
    if isinstance(value, str):
        return value
    return "".join(p if isinstance(p, str) else SECRET_MARK for p in value.parts)


def url_password_split(value: str, key: str) -> Template | None:
    """``value`` with its URL's password as the secret variable ``key``, when that password is
    the only credential the detector finds in it; else None (the value moves whole)."""
    m = _URL_PASSWORD.search(value)
    if m is None:
        return None
    parts = tuple(p for p in (value[:m.start(1)], SecretRef(key), value[m.end(1):]) if p != "")
    split = Template(parts)
    return None if scan_value(_marked(split)) else split


def _secret_ref(secret: Name, ref: SecretRef) -> dict:
    selector = {"name": secret, "key": ref.variable}
    if not ref.required:
        selector["optional"] = True
    return {"valueFrom": {"secretKeyRef": selector}}


class EnvBuilder:
    """Builds one container's ``env`` and records the secret keys it reads."""

    def __init__(self, svc: Service, secret: Name, reporter: Reporter, key: str, hosts: Hosts,
                 refs: dict[str, tuple[HostRef, ...]], differing: frozenset[str] = frozenset()):
        self.svc, self.secret, self.reporter, self.key = svc, secret, reporter, key
        self.refs: dict[str, SecretRef] = {}  # secret variable -> how it is used
        self.read_whole: set[str] = set()  # Secret keys an env entry reads itself (no source entry)
        self.differing = differing  # variables other services set to other values
        self.hosts = hosts
        self.host_refs = refs  # env variable -> the service names its value uses as hosts

    def _hosted(self, variable: str, value: str | Template, found: tuple[HostRef, ...] | None = None) -> str | Concat:
        """The rendered value, with compose host names as the Services' (release-aware) names
        (``found``: where, default the env variable's references)."""
        found = self.host_refs.get(variable, ()) if found is None else found
        if not found:
            return _render(value)
        pieces: list = []
        for index, text in enumerate(text_parts(value)):
            if text is None:
                pieces.append(f"$({value.parts[index].variable})")
                continue
            last = 0
            for ref in (r for r in found if r.part == index):
                pieces += [escape(text[last:ref.start]), Name(self.hosts.names[ref.target])]
                last = ref.end
            pieces.append(escape(text[last:]))
        merged: list = []  # adjacent text as one piece, as the chart and Job hashes expect
        for piece in pieces:
            if isinstance(piece, str) and merged and isinstance(merged[-1], str):
                merged[-1] += piece
            elif piece != "":
                merged.append(piece)
        return Concat(tuple(merged))

    def _secret_key(self, variable: str) -> str:
        """The Secret key a literal value of ``variable`` moves to: the variable's name, or
        ``<SERVICE>_<VARIABLE>`` when another service sets it to something else (the project
        has one Secret; a shared key would give both services one of the two values)."""
        return f"{self._service_prefix()}_{variable}" if variable in self.differing else variable

    def _service_prefix(self) -> str:
        """The service's name as the start of an environment variable name (not a digit)."""
        prefix = re.sub(r"[^A-Za-z0-9]+", "_", self.svc.name).upper().rstrip("_")
        return f"_{prefix}" if prefix[:1].isdigit() else prefix

    def _use(self, ref: SecretRef) -> None:
        known = self.refs.get(ref.variable)
        self.refs[ref.variable] = ref if known is None or ref.required else known

    def _to_secret(self, key: str, what: str, found, where) -> dict:
        """A reference to the Secret key ``key``, in place of a value that holds a credential."""
        self.reporter.warn("W-SECRET-LITERAL", f"service {self.svc.name!r}: {what} holds {describe(found)}; "
                           f"it is not written to the output: the container reads it from the key {key} of "
                           f"the Secret {self.secret.base!r} (create it with that value)", where)
        ref = SecretRef(key)
        self._use(ref)
        return _secret_ref(self.secret, ref)

    def _read_whole(self, variable: str, what: str, found, where) -> dict:
        """An env entry reading its whole value from the Secret."""
        key = self._secret_key(variable)
        self.read_whole.add(key)
        return self._to_secret(key, what, found, where)

    def _split(self, name: str, value: str | Template, where) -> Template | None:
        """``value`` with its URL's password read from the Secret key ``<name>_PASSWORD``, when
        that is its only credential and the key names nothing else of the service's."""
        key = f"{self._secret_key(name)}_PASSWORD"
        if not isinstance(value, str) or key in self.svc.environment:
            return None
        split = url_password_split(value, key)
        if split is not None:
            self.reporter.warn("W-SECRET-LITERAL", f"service {self.svc.name!r}: {name} holds a password in "
                               f"its URL; the password is not written to the output: the container reads it "
                               f"from the key {key} of the Secret {self.secret.base!r} (create it with that "
                               f"password) and the URL is $({key}) in place", where)
            self._use(SecretRef(key))
        return split

    def env(self) -> list[dict]:
        entries: list[dict] = []
        for name, value in self.svc.environment.items():
            where = self.svc.env_positions.get(name, self.svc.keys.get("environment"))
            refused = env_var_name(name)
            if refused:  # the API server would refuse the pod; an empty name is no values key either
                self.reporter.error("E-API-ENV", f"service {self.svc.name!r}: environment variable {name!r} "
                                    f"{'; '.join(refused)} (Kubernetes' IsEnvVarName)",
                                    where)
                continue
            if isinstance(value, Template) and len(value.parts) == 1 and value.parts[0].variable == name:
                self._use(value.parts[0])
                entries.append({"name": name, **_secret_ref(self.secret, value.parts[0])})
                continue
            found = [] if is_secret_name(name) and not isinstance(value, Template) else scan_value(_marked(value))
            split = self._split(name, value, where) if found else None
            if split is not None:
                entries.append({"name": name, "value": self._hosted(
                    name, split, value_references(split, self.hosts, host_context(name)))})
            elif found:
                entries.append({"name": name, **self._read_whole(name, name, found, where)})
            elif isinstance(value, Template):
                for ref in value.secrets:
                    self._use(ref)
                entries.append({"name": name, "value": self._hosted(name, value)})
            elif is_secret_name(name) and not is_file_pointer(name, value):
                key = self._secret_key(name)
                self.reporter.warn("W-SECRET-LITERAL", f"service {self.svc.name!r}: {name} has a "
                                   "literal value in the compose file; it is not written to the "
                                   f"output: put it in the Secret {self.secret.base!r}"
                                   + (f" under the key {key} (other services set {name} to other values)"
                                      if key != name else ""), where)
                ref = SecretRef(key)
                self._use(ref)
                self.read_whole.add(key)
                entries.append({"name": name, **_secret_ref(self.secret, ref)})
            else:
                rendered = self._hosted(name, value)
                # Plain variables are chart values; ones naming other services follow the release.
                entries.append({"name": name, "value": rendered if isinstance(rendered, Concat)
                                else Value(f"{self.key}.env.{key_part(name)}", rendered)})
        return entries

    def args(self, items: list | None, which: str = "command") -> list[str] | None:
        """command/entrypoint words; ``$(VAR)`` expansion reads secret variables from env."""
        if items is None:
            return None
        words = []
        for index, item in enumerate(items, start=1):
            found = scan_value(_marked(item))
            if found:
                key = f"{self._service_prefix()}_{which.upper()}_{index}"
                self._to_secret(key, f"{which} word {index}", found, self.svc.keys.get(which))
                words.append(f"$({key})")
                continue
            if isinstance(item, Template):
                for ref in item.secrets:
                    self._use(ref)
            previous = items[index - 2] if index > 1 and isinstance(items[index - 2], str) else ""
            host_named = host_context(previous) or (isinstance(item, str) and item.startswith("-")
                                                    and host_context(item))
            words.append(self._hosted(which, item, value_references(item, self.hosts, bool(host_named))))
        return words

    def finish(self, entries: list[dict]) -> list[dict]:
        """The final ``env``: secret sources first, so ``$(VAR)`` in later values resolves.

        Adds an entry for every secret variable used inside a value or a command line that
        the compose file does not define itself.
        """
        defined = {e["name"] for e in entries} | self.read_whole
        sources = [{"name": v, **_secret_ref(self.secret, ref)}
                   for v, ref in sorted(self.refs.items()) if v not in defined]
        from_secrets = [e for e in entries if "valueFrom" in e]
        plain = [e for e in entries if "valueFrom" not in e]
        return sources + from_secrets + plain
