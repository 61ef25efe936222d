"""HS256 JSON Web Tokens (RFC 7519) with the standard library only: hmac, hashlib, base64, json.

Only HS256 is accepted: a token whose header names any other algorithm ("none", RS256,
HS512, ...) is rejected before its signature is looked at, so there is no algorithm
confusion. `exp` is required (a token without it would never expire); `nbf` and `iat`
are checked when present. All failures raise InvalidToken with a short reason that is
safe to log (it never contains the token or the secret).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from typing import Any, Mapping

ALGORITHM = "HS256"
MAX_TOKEN_LENGTH = 8192
DEFAULT_LEEWAY_SECONDS = 30

_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")


class InvalidToken(Exception):
    """The token is malformed, wrongly signed, expired or not yet valid."""


def _b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(segment: str) -> bytes:
    # urlsafe_b64decode silently skips characters outside the alphabet; refuse them first.
    if not _B64URL.match(segment) or len(segment) % 4 == 1:
        raise InvalidToken("malformed token")
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidToken("malformed token") from exc


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidToken("malformed token") from exc
    if not isinstance(value, dict):
        raise InvalidToken("malformed token")
    return value


def _signature(secret: bytes, signing_input: bytes) -> bytes:
    return hmac.new(secret, signing_input, hashlib.sha256).digest()


def _as_key(secret: str | bytes) -> bytes:
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    if not key:
        raise ValueError("JWT secret is empty")
    return key


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def encode(claims: Mapping[str, Any], secret: str | bytes) -> str:
    """Sign `claims` as an HS256 JWT (used by the tests and by any future token issuer)."""
    header = {"alg": ALGORITHM, "typ": "JWT"}
    signing_input = ".".join(
        _b64url_encode(json.dumps(part, separators=(",", ":")).encode("utf-8"))
        for part in (header, dict(claims))
    )
    sig = _signature(_as_key(secret), signing_input.encode("ascii"))
    return f"{signing_input}.{_b64url_encode(sig)}"


def decode(
    token: str,
    secret: str | bytes,
    *,
    now: float | None = None,
    leeway: int = DEFAULT_LEEWAY_SECONDS,
) -> dict[str, Any]:
    """Verify an HS256 JWT and return its claims, or raise InvalidToken."""
    key = _as_key(secret)
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("malformed token")
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("malformed token")
    header_b64, payload_b64, sig_b64 = parts

    header = _json_object(_b64url_decode(header_b64))
    if header.get("alg") != ALGORITHM:
        raise InvalidToken("unsupported algorithm")
    if "crit" in header:
        raise InvalidToken("unsupported critical header")

    expected = _signature(key, f"{header_b64}.{payload_b64}".encode("ascii"))
    if not hmac.compare_digest(expected, _b64url_decode(sig_b64)):
        raise InvalidToken("bad signature")

    claims = _json_object(_b64url_decode(payload_b64))
    current = time.time() if now is None else now

    exp = claims.get("exp")
    if not _is_number(exp):
        raise InvalidToken("missing or invalid exp claim")
    if current > exp + leeway:
        raise InvalidToken("token expired")
    nbf = claims.get("nbf")
    if nbf is not None:
        if not _is_number(nbf):
            raise InvalidToken("invalid nbf claim")
        if current + leeway < nbf:
            raise InvalidToken("token not yet valid")
    iat = claims.get("iat")
    if iat is not None and not _is_number(iat):
        raise InvalidToken("invalid iat claim")
    return claims
