from datetime import UTC, datetime, timedelta

from bayfin.identity.core.domain import (
    ACCOUNT_LOCKOUT,
    acr_satisfies,
    app_allowed_scope,
    redirect_uri_matches,
    safe_return_path,
    user_granted_scope,
)
from bayfin.identity.core.passwords import Argon2Parameters, Passwords, check_password_policy


def test_the_first_four_failures_do_not_lock_then_the_lock_doubles_up_to_a_cap():
    assert [ACCOUNT_LOCKOUT.lock_for(n) for n in range(1, 5)] == [None] * 4
    assert ACCOUNT_LOCKOUT.lock_for(5) == timedelta(seconds=30)
    assert ACCOUNT_LOCKOUT.lock_for(6) == timedelta(seconds=60)
    assert ACCOUNT_LOCKOUT.lock_for(50) == timedelta(minutes=15)


def test_redirect_uris_match_exactly_only():
    registered = ["https://app.example/cb"]
    assert redirect_uri_matches("https://app.example/cb", registered)
    for near in ("https://app.example/cb/", "https://APP.example/cb", "https://app.example/cb?a=1", None):
        assert not redirect_uri_matches(near, registered)


def test_scopes_are_cut_by_the_app_then_by_the_users_roles():
    allowed = app_allowed_scope("openid reports:read admin:all", ["openid", "reports:read", "loans:write"])
    assert allowed == "openid reports:read"
    assert user_granted_scope("openid reports:read loans:write", {"loans:write"}) == "openid loans:write"


def test_mfa_satisfies_a_password_request_but_not_the_reverse():
    assert acr_satisfies("mfa", ["pwd"]) and acr_satisfies("pwd", [])
    assert not acr_satisfies("pwd", ["mfa"]) and not acr_satisfies(None, ["pwd"])


def test_only_local_oauth_paths_are_followed_after_login():
    assert safe_return_path("/oauth2/authorize?x=1") == "/oauth2/authorize?x=1"
    for bad in ("https://evil.example/", "//evil.example/oauth2/", "/admin", None, "/oauth2/\\evil"):
        assert safe_return_path(bad) == "/oauth2/welcome"


def test_passwords_verify_and_an_unknown_account_is_refused_after_a_full_check():
    pw = Passwords(Argon2Parameters(time_cost=1, memory_kib=1024))
    stored = pw.hash("a long passphrase 9")
    assert stored.startswith("$argon2id$")
    assert pw.verify(stored, "a long passphrase 9") and not pw.verify(stored, "wrong")
    assert not pw.verify(None, "anything")


def test_weak_passwords_are_named():
    assert check_password_policy("short") and check_password_policy("1234567890123")
    assert check_password_policy("a long passphrase 9") == []


def test_lock_deadlines_compare_in_utc():
    from bayfin.identity.core.domain import is_locked

    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert is_locked(now + timedelta(seconds=1), now) and not is_locked(now, now)


def test_failures_older_than_an_hour_are_forgotten():
    from bayfin.identity.core.domain import failures_after_miss

    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert failures_after_miss(4, now - timedelta(minutes=5), now) == 5
    assert failures_after_miss(4, now - timedelta(hours=2), now) == 1
    assert failures_after_miss(0, None, now) == 1


def test_only_https_or_loopback_http_redirect_uris_can_be_registered():
    from bayfin.identity.core.domain import acceptable_redirect_uri

    for ok in ("https://app.example/cb", "http://127.0.0.1:8080/cb", "http://localhost/cb"):
        assert acceptable_redirect_uri(ok)
    for bad in ("http://127.0.0.1.evil.example/cb", "http://app.example/cb", "https://app.example/cb#x",
                "https://user:pw@app.example/cb", "javascript:alert(1)", "https:///cb"):
        assert not acceptable_redirect_uri(bad)
