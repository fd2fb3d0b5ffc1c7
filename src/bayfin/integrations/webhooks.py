"""The signature on every webhook the platform sends, in the Standard Webhooks format
(https://www.standardwebhooks.com), and the check a receiver runs.

Each delivery is a JSON POST carrying three headers:

- ``webhook-id``: the message id, the same on every retry of one message (drop duplicates by it);
- ``webhook-timestamp``: Unix seconds when this attempt was signed;
- ``webhook-signature``: ``v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">``
  (space-separated when there is more than one signature, e.g. during a secret rotation).

The key is the subscriber's secret, shown once as ``whsec_<base64 of the key bytes>``; any Standard
Webhooks library verifies it, and so does :func:`verify` here. Pure: no I/O.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping

SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
#: How far a receiver lets a signature's timestamp stray from its own clock, either way (seconds).
DEFAULT_TOLERANCE = 300


class WebhookVerificationError(ValueError):
    """A delivery whose headers are missing, stale or do not sign its body under the secret."""


def new_secret(size: int = 32) -> str:
    """A fresh random signing secret in its ``whsec_`` form."""
    return secret_text(secrets.token_bytes(size))


def secret_text(key: bytes) -> str:
    """The ``whsec_<base64>`` form of a signing key (what a subscriber is shown)."""
    return SECRET_PREFIX + base64.b64encode(key).decode("ascii")


def signing_key(secret: str | bytes) -> bytes:
    """The key bytes of a secret: raw bytes as given; a ``whsec_`` secret base64-decoded; any other
    text (secrets issued before the Standard Webhooks format) as its UTF-8 bytes."""
    if isinstance(secret, bytes):
        return secret
    if secret.startswith(SECRET_PREFIX):
        try:
            return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
        except binascii.Error as exc:
            raise WebhookVerificationError("the secret is not valid base64") from exc
    return secret.encode()


def sign(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value of ``body`` sent as ``message_id`` at ``timestamp``."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode("ascii")


def signed_headers(key: bytes, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers (plus the JSON content type) of one delivery attempt."""
    return {"content-type": "application/json", ID_HEADER: message_id,
            TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(key, message_id, timestamp, body)}


def verify(secret: str | bytes, headers: Mapping[str, str], body: bytes, *, now: int | None = None,
           tolerance: int = DEFAULT_TOLERANCE) -> None:
    """Check a received delivery (what a receiver runs): raises :class:`WebhookVerificationError`
    unless one ``v1`` signature in ``headers`` signs ``body`` under ``secret`` and the timestamp is
    within ``tolerance`` seconds of ``now`` (default: this machine's clock)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    try:
        message_id = lowered[ID_HEADER]
        stamp = lowered[TIMESTAMP_HEADER]
        offered = lowered[SIGNATURE_HEADER]
    except KeyError as exc:
        raise WebhookVerificationError(f"missing header {exc.args[0]}") from None
    try:
        timestamp = int(stamp)
    except ValueError:
        raise WebhookVerificationError("the timestamp is not a whole number of seconds") from None
    current = int(time.time()) if now is None else now
    if abs(current - timestamp) > tolerance:
        raise WebhookVerificationError("the timestamp is outside the tolerance")
    expected = sign(signing_key(secret), message_id, timestamp, body).encode()
    for candidate in offered.split(" "):
        if candidate.startswith("v1,") and hmac.compare_digest(candidate.encode(), expected):
            return
    raise WebhookVerificationError("no signature matches")
