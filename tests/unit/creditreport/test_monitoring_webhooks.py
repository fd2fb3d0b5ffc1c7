"""Monitoring notifications as Standard Webhooks: what is signed, and under which key."""

from datetime import UTC, datetime

import orjson

from bayfin.creditreport.models import MonitoringNotification, MonitoringSubscription
from bayfin.creditreport.monitoring import _webhook
from bayfin.integrations.webhooks import new_secret, signed_headers, verify


def _pair(secret: str) -> tuple[MonitoringNotification, MonitoringSubscription]:
    sub = MonitoringSubscription(id="mon_1", institution_id="BANK", consent_id="c1",
                                 credit_code="91440101000000019F", webhook_url="https://bank.example/hook",
                                 webhook_secret=secret)
    note = MonitoringNotification(id=7, subscription_id="mon_1", institution_id="BANK", consent_id="c1",
                                  credit_code="91440101000000019F", at=datetime(2025, 2, 10, tzinfo=UTC),
                                  changes=[{"field": "tax_credit_grade", "before": "B", "after": "C"}],
                                  attempts=2)
    return note, sub


def test_a_notification_is_signed_under_the_secret_shown_at_subscription():
    secret = new_secret()
    hook = _webhook(*_pair(secret))
    assert (hook.outbox_id, hook.message_id, hook.url, hook.attempts) == (
        "7", "mon_7", "https://bank.example/hook", 2)
    assert orjson.loads(hook.body) == {
        "id": 7, "subscription_id": "mon_1", "consent_id": "c1", "credit_code": "91440101000000019F",
        "at": "2025-02-10T00:00:00+00:00",
        "changes": [{"field": "tax_credit_grade", "before": "B", "after": "C"}]}
    headers = signed_headers(hook.key, hook.message_id, 1_739_145_600, hook.body)
    verify(secret, headers, hook.body, now=1_739_145_600)


def test_a_secret_issued_before_the_standard_format_still_signs():
    legacy = "a-token-urlsafe-secret-from-before"
    hook = _webhook(*_pair(legacy))
    assert hook.key == legacy.encode()
    verify(legacy, signed_headers(hook.key, hook.message_id, 100, hook.body), hook.body, now=100)
