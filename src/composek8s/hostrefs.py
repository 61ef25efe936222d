"""Host names in text: ``DB_HOST=db``, ``http://api:8080``, ``postgres://u:p@db/app``,
``proxy_pass http://backend:8000;``, ``server app:3000``.

One scanner for the plan (compose values and mounted files) and for ``check`` (manifests),
so both find the same references. Written by hand: URL parsers (``urllib.parse``) need a
whole URL, and these names sit inside shell words, connection strings and config files.
Linear in the text whatever the number of names: every run of host-name characters is
looked up in a set once.
"""
from __future__ import annotations

import re
from collections.abc import Container, Iterator

from msgspec import Struct

# Default ports of URL schemes that name a service (the port a client uses when none is written).
SCHEME_PORTS = {
    "http": 80, "ws": 80, "https": 443, "wss": 443, "grpc": 80,
    "postgres": 5432, "postgresql": 5432, "postgis": 5432, "timescaledb": 5432,
    "mysql": 3306, "mariadb": 3306, "mysql2": 3306, "mysql+pymysql": 3306, "mysql+mysqldb": 3306,
    "postgresql+psycopg": 5432, "postgresql+psycopg2": 5432, "postgresql+asyncpg": 5432,
    "redis": 6379, "rediss": 6379, "mongodb": 27017, "amqp": 5672, "amqps": 5671,
    "nats": 4222, "mqtt": 1883, "memcached": 11211, "memcache": 11211, "ldap": 389, "ldaps": 636,
    "smtp": 25, "ftp": 21, "sftp": 22, "ssh": 22, "elasticsearch": 9200, "zookeeper": 2181,
    "kafka": 9092, "cassandra": 9042, "influxdb": 8086, "couchdb": 5984, "clickhouse": 9000,
}
_TOKEN = re.compile(r"[A-Za-z0-9._-]++")
_PORT = re.compile(r":(\d{1,5})(?![\d.])")
# A URL's head before its host: `scheme://`, then optionally `user[:password]@`.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,39}$")
_NOT_USERINFO = re.compile(r"[\s/@\"'<>]")
_AUTHORITY_END = re.compile(r"[@/?#\s\"'<>;,]")  # where a URL's user[:password] or host[:port] ends
_USERINFO_MAX = 512  # characters looked back for the `://` before `user:password@`
# Around a bare value's host (`db`, `--host=db`, `db:5432/app`, `//db/`).
_BARE_BEFORE = "@/=,"  # `,`: host lists (mongodb://a:27017,b:27017, kafka1:9092,kafka2:9092)
_BARE_AFTER = ":/,"


class HostMention(Struct, frozen=True):
    """A host name in a text: its span, the port written after it, the URL scheme before it."""

    name: str
    start: int
    end: int
    port: int | None
    scheme: str | None
    userinfo: bool = False  # written after `user@` (a connection string)

    @property
    def bare(self) -> bool:
        """A name on its own (``db``, ``--host=db``): a host only where the context says so
        (``host_context``), since a database or user is often named like the app."""
        return self.port is None and self.scheme is None and not self.userinfo

    @property
    def effective_port(self) -> int | None:
        """The port a client connects to: the one written, else the scheme's default."""
        if self.port is not None:
            return self.port
        return SCHEME_PORTS.get(self.scheme) if self.scheme else None


def find_hosts(text: str, names: Container[str], *, bare: bool = True, at_start: bool = True,
               at_end: bool = True) -> Iterator[HostMention]:
    """Each of ``names`` used as a host in ``text``.

    ``bare``: ``text`` is a value (an env value, a command word), where a name on its own or
    in a path-like position (``db``, ``--host=db``, ``@db/``) is a host. Otherwise ``text`` is a
    file, where only ``scheme://name`` or ``name:PORT`` are taken as hosts (a bare word in a
    file is prose). ``at_start``/``at_end`` False: the text continues other text there (a
    secret variable stands next to it), so a name touching that edge is not a whole host.
    """
    for m in _TOKEN.finditer(text):
        name, start, end = m.group(), m.start(), m.end()
        if name not in names:
            continue
        if (start == 0 and not at_start) or (end == len(text) and not at_end):
            continue
        if text.startswith("://", end):  # a URL scheme (redis://), not a host
            continue
        scheme = _scheme(text, start)
        if scheme and text[start - 1] == "/" and _is_userinfo(text, end):
            continue  # postgres://app:pw@db/: `app` is the user, not a host
        port_match = _PORT.match(text, end)
        port = int(port_match.group(1)) if port_match and 0 < int(port_match.group(1)) < 65536 else None
        if bare:
            before = text[start - 1] if start else ""
            after = text[end] if end < len(text) else ""
            if (before and before not in _BARE_BEFORE) or (after and after not in _BARE_AFTER):
                continue
            if before == "/" and text[start - 2:start] != "//":  # a path segment (/app), not a host
                continue
        elif scheme is None and port is None:
            continue
        yield HostMention(name, start, end, port, scheme, userinfo=bool(start) and text[start - 1] == "@")


# Variable names and option names that hold a host: DB_HOST, REDIS_URL, --broker, -h.
_HOST_WORDS = re.compile(r"HOST|SERVER|ADDR|URL|URI|DSN|ENDPOINT|BROKER|UPSTREAM|BACKEND|PROXY|REMOTE|PEER|"
                         r"SEED|NODES|CONNECT|TARGET", re.I)
_HOST_FLAGS = {"-h", "-H", "--host", "--hostname", "--server", "--broker", "--upstream", "--backend",
               "--address", "--addr", "--url", "--endpoint", "--connect", "--target", "--peer"}


def host_context(name: str) -> bool:
    """Whether a variable or option called ``name`` holds a host name (``DB_HOST``, ``--broker``)."""
    return name in _HOST_FLAGS or bool(_HOST_WORDS.search(name.lstrip("-").partition("=")[0]))


def _is_userinfo(text: str, end: int) -> bool:
    """Whether the URL authority that continues at ``end`` holds an ``@`` (so what came before
    it is ``user[:password]``)."""
    stop = _AUTHORITY_END.search(text, end, end + _USERINFO_MAX)
    return bool(stop) and stop.group() == "@"


def _scheme(text: str, start: int) -> str | None:
    """The scheme of the URL whose host starts at ``start`` (lowercase), or None."""
    head = start
    if head and text[head - 1] == "@":  # after user[:password]@
        slashes = text.rfind("://", max(0, head - 1 - _USERINFO_MAX), head - 1)
        if slashes < 0 or _NOT_USERINFO.search(text, slashes + 3, head - 1):
            return None
        head = slashes + 3
    if head < 3 or text[head - 3:head] != "://":
        return None
    word = _SCHEME.search(text, max(0, head - 43), head - 3)
    return word.group().lower() if word else None
