"""Consent errors, each with a stable code."""

from __future__ import annotations

from bayfin.kernel.errors import Conflict, Forbidden, NotFound, RateLimited


class ConsentNotFound(NotFound):
    """No such consent visible to the caller (another institution's consent looks the same)."""

    code = "consent_not_found"
    title = "Consent not found"
    persist_on_raise = True  # the refused query's audit entry must survive


class ConsentRefused(Forbidden):
    """The consent does not cover this use; ``reason`` says why."""

    code = "consent_refused"
    title = "Not covered by consent"
    persist_on_raise = True


class ConsentFrequencyExhausted(RateLimited):
    """Every use the consent allows in this period is spent."""

    code = "consent_frequency_exhausted"
    title = "Consent frequency exhausted"
    persist_on_raise = True


class ConsentTransitionRefused(Conflict):
    """The action is illegal in the consent's current status."""

    code = "consent_illegal_transition"
    title = "Illegal consent transition"
