"""Pure identity rules: lock-out back-off, scope granting, redirect matching, safe return paths."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

#: Scopes every signed-in user may receive when an app asks for them (OIDC standard claims).
OIDC_SCOPES = frozenset({"openid", "profile", "email", "offline_access"})
#: Scopes about the signed-in user's own account: no role needed, but the app must be registered
#: for them and the user consents to each (enrolling a second factor is one).
SELF_SERVICE_SCOPES = frozenset({"identity:factors"})
#: Enrolling a second factor needs a sign-in at most this old (seconds).
FACTOR_ENROLMENT_MAX_AUTH_AGE = 300
ORG_TYPES = ("operator", "institution", "enterprise", "regulator")
CLIENT_TYPES = ("public", "confidential")
GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")
#: Assurance levels, weakest first: password only, then a second factor.
ACR_LEVELS = ("pwd", "mfa")


@dataclass(frozen=True)
class LockoutPolicy:
    """After ``free_failures`` misses, each further miss locks for ``base`` doubled, up to ``cap``."""

    free_failures: int
    base: timedelta
    cap: timedelta

    def lock_for(self, failures: int) -> timedelta | None:
        """How long to lock after the ``failures``-th consecutive failure (None: no lock yet)."""
        if failures < self.free_failures:
            return None
        exponent = min(failures - self.free_failures, 20)
        return min(self.base * (1 << exponent), self.cap)


#: Per account name (existing or not, so a lock reveals nothing): 5 free tries, then 30 s, 60 s … 15 min.
ACCOUNT_LOCKOUT = LockoutPolicy(free_failures=5, base=timedelta(seconds=30), cap=timedelta(minutes=15))
#: Per source address: spraying many names from one address locks the address.
ADDRESS_LOCKOUT = LockoutPolicy(free_failures=20, base=timedelta(seconds=30), cap=timedelta(hours=1))


#: Failures older than this are forgotten, so a rare typo never adds up to a lock-out.
FAILURE_MEMORY = timedelta(hours=1)


def failures_after_miss(previous: int, last_failure_at: datetime | None, now: datetime) -> int:
    """The consecutive-failure count after one more miss (old failures forgotten)."""
    if last_failure_at is None or now - last_failure_at > FAILURE_MEMORY:
        return 1
    return previous + 1


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    """True while a lock-out deadline lies in the future."""
    return locked_until is not None and locked_until > now


def split_scope(scope: str | None) -> list[str]:
    """The distinct scopes of a space-separated scope string, in order."""
    seen: dict[str, None] = {}
    for part in (scope or "").split():
        seen.setdefault(part, None)
    return list(seen)


def app_allowed_scope(requested: str | None, app_scopes: list[str]) -> str:
    """What an app may get of the requested scopes (all its scopes when none are asked for)."""
    allowed = set(app_scopes)
    if not requested:
        return " ".join(sorted(allowed))
    return " ".join(s for s in split_scope(requested) if s in allowed)


def user_granted_scope(scope: str, permissions: set[str]) -> str:
    """Of an app-allowed scope, what a user's roles permit (OIDC and self-service scopes always
    pass)."""
    return " ".join(s for s in split_scope(scope)
                    if s in OIDC_SCOPES or s in SELF_SERVICE_SCOPES or s in permissions)


def redirect_uri_matches(candidate: str | None, registered: list[str]) -> bool:
    """Exact, character-for-character match against a registered URI (no prefix or wildcard)."""
    return candidate is not None and candidate in registered


def acceptable_redirect_uri(uri: str) -> bool:
    """Registrable redirect URIs: https anywhere, plain http only to a loopback host (RFC 8252),
    never with a fragment or user info."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return False
    if parts.fragment or "#" in uri or parts.username or parts.password or not parts.hostname:
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


def acr_satisfies(reached: str | None, requested: list[str]) -> bool:
    """True when the assurance reached meets the strongest level asked for (unknown levels ignored)."""
    wanted = [ACR_LEVELS.index(a) for a in requested if a in ACR_LEVELS]
    if not wanted:
        return True
    have = ACR_LEVELS.index(reached) if reached in ACR_LEVELS else -1
    return have >= max(wanted)


def safe_return_path(target: str | None, default: str = "/oauth2/welcome") -> str:
    """Only same-site paths under the OAuth endpoints are followed after login (no open redirect)."""
    if not target or not target.startswith("/oauth2/") or target.startswith("//") or "\\" in target:
        return default
    return target
