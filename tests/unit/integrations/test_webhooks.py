"""The Standard Webhooks signature: the specification's own example vector, and what a receiver refuses."""

from __future__ import annotations

import pytest

from bayfin.integrations.webhooks import (
    WebhookVerificationError,
    new_secret,
    secret_text,
    sign,
    signed_headers,
    signing_key,
    verify,
)

# The reference vector of the Standard Webhooks libraries (standard-webhooks/standard-webhooks,
# libraries/python/tests/test_webhooks.py, test_sign_function).
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MESSAGE_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
BODY = b'{"test": 2432232314}'
SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def _headers(signature: str = SIGNATURE, timestamp: int = TIMESTAMP) -> dict[str, str]:
    return {"webhook-id": MESSAGE_ID, "webhook-timestamp": str(timestamp), "webhook-signature": signature}


def test_the_signature_matches_the_specifications_example() -> None:
    assert sign(signing_key(SECRET), MESSAGE_ID, TIMESTAMP, BODY) == SIGNATURE


def test_a_receiver_accepts_the_specifications_example_in_its_tolerance() -> None:
    verify(SECRET, _headers(), BODY, now=TIMESTAMP + 299)
    verify(SECRET, {k.title(): v for k, v in _headers().items()}, BODY, now=TIMESTAMP)  # any header case


def test_one_matching_signature_among_several_is_enough() -> None:
    other = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
    verify(SECRET, _headers(f"{other} v2,{SIGNATURE[3:]} {SIGNATURE}"), BODY, now=TIMESTAMP)


@pytest.mark.parametrize("headers, body, now", [
    (_headers(), b'{"test": 2432232315}', TIMESTAMP),  # the body changed
    (_headers("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="), BODY, TIMESTAMP),  # a forged signature
    (_headers("v2," + SIGNATURE[3:]), BODY, TIMESTAMP),  # an unknown scheme
    (_headers(), BODY, TIMESTAMP + 301),  # replayed too late
    (_headers(), BODY, TIMESTAMP - 301),  # from too far in the future
    (_headers(timestamp=TIMESTAMP + 1), BODY, TIMESTAMP),  # the timestamp changed
    ({"webhook-id": MESSAGE_ID, "webhook-signature": SIGNATURE}, BODY, TIMESTAMP),  # no timestamp
    ({**_headers(), "webhook-timestamp": "soon"}, BODY, TIMESTAMP),
])
def test_a_receiver_refuses_a_tampered_stale_or_incomplete_delivery(headers: dict[str, str], body: bytes,
                                                                     now: int) -> None:
    with pytest.raises(WebhookVerificationError):
        verify(SECRET, headers, body, now=now)


def test_a_new_secret_round_trips_through_its_whsec_form() -> None:
    secret = new_secret()
    key = signing_key(secret)
    assert secret.startswith("whsec_") and len(key) == 32 and secret_text(key) == secret
    headers = signed_headers(key, "evt_1", TIMESTAMP, b"{}")
    assert headers["webhook-id"] == "evt_1" and headers["content-type"] == "application/json"
    verify(secret, headers, b"{}", now=TIMESTAMP)
    verify(key, headers, b"{}", now=TIMESTAMP)


def test_a_secret_from_before_the_standard_signs_with_its_text_bytes() -> None:
    legacy = "kD3-legacy_token_urlsafe"
    headers = signed_headers(legacy.encode(), "1", TIMESTAMP, b"{}")
    verify(legacy, headers, b"{}", now=TIMESTAMP)
    with pytest.raises(WebhookVerificationError):
        verify("whsec_not base64!", headers, b"{}", now=TIMESTAMP)
