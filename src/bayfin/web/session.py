"""The console's browser session: an encrypted, HttpOnly, SameSite cookie, and the CSRF token bound to it.

The cookie holds the tokens the identity platform issued (access, refresh, ID token), sealed with
AES-256-GCM under a key derived from the platform secret, so the browser can neither read nor alter
them. Nothing is stored server-side; signing out ends the SSO session at the identity platform,
which revokes every token of it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
from dataclasses import asdict, dataclass
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from starlette.requests import Request
from starlette.responses import Response

from bayfin.web.wiring import WebConsole

SESSION_COOKIE = "bayfin_console"
LOGIN_COOKIE = "bayfin_console_login"
LANG_COOKIE = "bayfin_lang"
COOKIE_PATH = "/console"
SESSION_MAX_AGE = 8 * 3600
LOGIN_MAX_AGE = 600


@dataclass
class ConsoleSession:
    """A signed-in browser: its session id (for CSRF) and the tokens of its SSO sign-in."""

    sid: str
    access_token: str
    id_token: str
    refresh_token: str | None
    name: str
    expires_at: int
    started_at: int


def seal(console: WebConsole, purpose: str, data: dict[str, Any]) -> str:
    """Encrypt and authenticate ``data`` for a cookie (``purpose`` is bound as associated data)."""
    nonce = os.urandom(12)
    sealed = AESGCM(console.cookie_key).encrypt(nonce, orjson.dumps(data), purpose.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")


def unseal(console: WebConsole, purpose: str, value: str | None) -> dict[str, Any] | None:
    """The data of a cookie sealed for ``purpose``, or None when missing, forged or garbled."""
    if not value or len(value) > 8000:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        plain = AESGCM(console.cookie_key).decrypt(raw[:12], raw[12:], purpose.encode())
        data = orjson.loads(plain)
    except (ValueError, InvalidTag, orjson.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def read_session(console: WebConsole, request: Request) -> ConsoleSession | None:
    """The browser's console session, if it has a valid one that has not outlived its maximum age."""
    data = unseal(console, "session", request.cookies.get(SESSION_COOKIE))
    if data is None:
        return None
    try:
        session = ConsoleSession(**data)
    except TypeError:
        return None
    if session.started_at + SESSION_MAX_AGE < time.time():
        return None
    return session


def write_session(console: WebConsole, response: Response, session: ConsoleSession) -> None:
    """Set the session cookie (HttpOnly, SameSite=Lax so the identity platform's redirect keeps it)."""
    response.set_cookie(SESSION_COOKIE, seal(console, "session", asdict(session)),
                        max_age=SESSION_MAX_AGE, path=COOKIE_PATH, httponly=True, samesite="lax",
                        secure=console.cookie_secure)


def clear_session(response: Response) -> None:
    """Forget the console session in this browser."""
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)


def csrf_token(console: WebConsole, session: ConsoleSession | None) -> str:
    """The anti-forgery token of a session: an HMAC of its id, so a page of another site cannot know it."""
    if session is None:
        return ""
    return hmac.new(console.cookie_key, f"csrf:{session.sid}".encode(), hashlib.sha256).hexdigest()


def csrf_matches(console: WebConsole, session: ConsoleSession | None, sent: str | None) -> bool:
    """True when ``sent`` is this session's anti-forgery token."""
    expected = csrf_token(console, session)
    return bool(expected) and bool(sent) and hmac.compare_digest(expected, sent or "")
