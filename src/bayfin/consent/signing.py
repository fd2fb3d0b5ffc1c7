"""The platform's detached JWS over an approved artefact, so an institution can prove what was granted."""

from __future__ import annotations

import base64
from typing import Any

import orjson
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey


def canonical(artefact: dict[str, Any]) -> bytes:
    """The bytes that are signed: sorted-key compact JSON."""
    return orjson.dumps(artefact, option=orjson.OPT_SORT_KEYS)


def sign_detached(artefact: dict[str, Any], key: RSAKey) -> str:
    """RFC 7515 Appendix F detached compact JWS (``header..signature``) over the artefact."""
    compact = jws.serialize_compact({"alg": "RS256", "kid": key.kid, "typ": "consent+jws"},
                                    canonical(artefact), key)
    header, _payload, signature = compact.split(".")
    return f"{header}..{signature}"


def verify_detached(artefact: dict[str, Any], signature: str, keys: KeySet) -> bool:
    """True when ``signature`` is the platform's signature over exactly this artefact."""
    try:
        header, empty, sig = signature.split(".")
    except ValueError:
        return False
    if empty:
        return False
    payload = base64.urlsafe_b64encode(canonical(artefact)).rstrip(b"=").decode()
    try:
        jws.deserialize_compact(f"{header}.{payload}.{sig}", keys, algorithms=["RS256"])
    except (JoseError, ValueError):
        return False
    return True
