"""The risk decision for a provisioning request, behind a small interface: the anti-fraud engine in
production, a fixed answer in unit tests."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bayfin.antifraud import Decision, FraudEvent
from bayfin.kernel.ids import new_id


@dataclass(frozen=True, slots=True)
class ProvisioningRequest:
    """What the risk engine sees of a provisioning request (no account number: only its PAR)."""

    holder: str
    par: str
    requestor_id: str
    device_id: str | None
    at: datetime
    ip: str | None = None


class RiskAssessor(Protocol):
    """Answers ALLOW, CHALLENGE, REVIEW or BLOCK for a provisioning request."""

    def assess(self, request: ProvisioningRequest) -> str: ...


class FixedRisk:
    """Always the same outcome (unit tests, and where no anti-fraud engine is configured)."""

    def __init__(self, outcome: str = "ALLOW") -> None:
        self.outcome = outcome
        self.seen: list[ProvisioningRequest] = []

    def assess(self, request: ProvisioningRequest) -> str:
        """The fixed outcome; remembers the request."""
        self.seen.append(request)
        return self.outcome


def _identifier(value: str) -> str:
    """A stable identifier the fraud event accepts, from any subject or device name."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]


class FraudEngineRisk:
    """Asks the anti-fraud engine (网御) about a provisioning request as a quick-pay binding event."""

    EVENT_TYPE = "mobile.account.quick_pay_binding"

    def __init__(self, decide: Callable[[FraudEvent], Decision]) -> None:
        self._decide = decide

    def assess(self, request: ProvisioningRequest) -> str:
        """The engine's outcome name for this request."""
        event = FraudEvent.model_validate({
            "event_id": new_id("tokp"), "occurred_at": request.at, "channel": "mobile",
            "type": self.EVENT_TYPE, "customer_id": _identifier(request.holder),
            "account_id": request.par,
            "device": {"fingerprint": _identifier(request.device_id)} if request.device_id else None,
            "network": {"ip": request.ip} if request.ip else None,
        })
        return self._decide(event).outcome.name
