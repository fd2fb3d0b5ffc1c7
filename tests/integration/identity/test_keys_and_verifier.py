"""The rotating key store and the revoking verifier against both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bayfin.identity.core.keys import DatabaseKeyStore
from bayfin.identity.core.verifier import IdentityTokenVerifier, RevocationList, record_revocation
from bayfin.kernel.clock import utcnow
from bayfin.kernel.errors import Unauthenticated
from bayfin.kernel.security import JwtTokens, Principal


@pytest.fixture
def parts(session_factory, key_store):
    keys = DatabaseKeyStore(session_factory, key_store, grace=timedelta(minutes=20))
    tokens = JwtTokens(keys, "http://127.0.0.1:8000")
    revocations = RevocationList(session_factory, poll_seconds=3600)
    return keys, tokens, revocations, IdentityTokenVerifier(tokens, keys, revocations)


def test_a_rotation_keeps_old_tokens_valid_and_signs_new_ones_with_the_new_key(parts, session_factory):
    keys, tokens, _, verifier = parts
    old = tokens.issue(Principal(subject="u1"))
    old_kid = keys.signing_key().kid
    with session_factory() as s:
        new_kid = keys.rotate(s, immediately=True)
        s.commit()
    keys.reload()
    assert keys.signing_key().kid == new_kid != old_kid
    assert verifier.verify(old).subject == "u1"
    assert verifier.verify(tokens.issue(Principal(subject="u2"))).subject == "u2"


def test_a_retired_key_stops_verifying_once_its_grace_has_passed(parts, session_factory):
    keys, tokens, _, verifier = parts
    old = tokens.issue(Principal(subject="u1"))
    with session_factory() as s:
        keys.rotate(s, now=utcnow() - timedelta(hours=1))  # the old key retired an hour ago
        s.commit()
    keys.reload()
    with pytest.raises(Unauthenticated):
        verifier.verify(old)


def test_another_process_rotation_is_picked_up_by_an_unknown_kid(parts, session_factory, key_store):
    _keys, _, _, verifier = parts
    other = DatabaseKeyStore(session_factory, key_store, grace=timedelta(minutes=20))
    with session_factory() as s:
        other.rotate(s, immediately=True)
        s.commit()
    other.reload()
    token = JwtTokens(other, "http://127.0.0.1:8000").issue(Principal(subject="u3"))
    assert verifier.verify(token).subject == "u3"


def test_revocations_refuse_by_user_cutoff_session_and_token_id(parts, session_factory):
    _, tokens, revocations, verifier = parts
    by_user = tokens.issue(Principal(subject="u1"))
    by_session = tokens.issue(Principal(subject="u2"), extra={"sid": "sid-9"})
    by_id = tokens.issue(Principal(subject="u3", token_id="jti-7"))
    for t in (by_user, by_session, by_id):
        verifier.verify(t)  # cached as valid first
    now = utcnow()
    with session_factory() as s:
        for kind, value in (("user", "u1"), ("session", "sid-9"), ("token", "jti-7")):
            record_revocation(s, kind, value, at=now, expires_at=now + timedelta(hours=1))
        s.commit()
    revocations.refresh()
    for t in (by_user, by_session, by_id):
        with pytest.raises(Unauthenticated):
            verifier.verify(t)
    assert verifier.verify(tokens.issue(Principal(subject="u4"))).subject == "u4"


def test_tampered_foreign_expired_and_unsigned_tokens_are_refused(parts):
    import base64

    import orjson

    _, tokens, _, verifier = parts
    good = tokens.issue(Principal(subject="u1", scopes=frozenset({"read"})))
    head, body, sig = good.split(".")

    def enc(data):
        return base64.urlsafe_b64encode(orjson.dumps(data)).rstrip(b"=").decode()

    claims = orjson.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    forged = f"{head}.{enc({**claims, 'scope': 'admin'})}.{sig}"
    unsigned = f"{enc({'alg': 'none', 'typ': 'JWT'})}.{body}."
    foreign = JwtTokens(tokens.keys, "https://elsewhere.example").issue(Principal(subject="u1"))
    expired = tokens.issue(Principal(subject="u1"), ttl_seconds=-5)
    for bad in (forged, unsigned, foreign, expired, "not.a.token", good[:-3] + "AAA"):
        with pytest.raises(Unauthenticated):
            verifier.verify(bad)
    assert verifier.verify(good).scopes == {"read"}


def test_expired_revocations_are_pruned_from_memory(session_factory):
    from datetime import timedelta

    revocations = RevocationList(session_factory, poll_seconds=3600)
    now = utcnow()
    with session_factory() as s:
        record_revocation(s, "token", "old-jti", at=now - timedelta(hours=2),
                          expires_at=now + timedelta(seconds=1))
        s.commit()
    revocations.refresh()
    assert "old-jti" in revocations.token_ids
    revocations._prune(now.timestamp() + 5)
    assert "old-jti" not in revocations.token_ids


def test_purge_deletes_only_what_has_expired(session_factory):
    from bayfin.identity.core import repository as repo
    from bayfin.identity.core.models import LoginThrottle, Revocation

    now = utcnow()
    with session_factory() as s:
        record_revocation(s, "token", "gone", at=now, expires_at=now - timedelta(seconds=1))
        record_revocation(s, "token", "kept", at=now, expires_at=now + timedelta(hours=1))
        s.add(LoginThrottle(key="acct:stale", failures=3, last_failure_at=now - timedelta(hours=3)))
        s.add(LoginThrottle(key="acct:fresh", failures=3, last_failure_at=now))
        s.flush()
        counts = repo.purge_expired(s, now, now - timedelta(hours=1))
        assert counts["revocations"] == 1 and counts["login_throttles"] == 1
        assert [r.value for r in s.query(Revocation).all()] == ["kept"]
        assert s.get(LoginThrottle, "acct:fresh") is not None


def test_a_disabled_apps_cut_off_refuses_its_tokens_but_not_other_apps_or_later_ones(
        parts, session_factory):
    _, tokens, revocations, verifier = parts
    mine = tokens.issue(Principal(subject="u1", client_id="app-x"))
    other = tokens.issue(Principal(subject="u1", client_id="app-y"))
    verifier.verify(mine)
    now = utcnow()
    with session_factory() as s:
        record_revocation(s, "client", "app-x", at=now, expires_at=now + timedelta(hours=1))
        s.commit()
    revocations.refresh()
    with pytest.raises(Unauthenticated):
        verifier.verify(mine)
    assert verifier.verify(other).client_id == "app-y"
    later = tokens.issue(Principal(subject="u1", client_id="app-x"), extra={"iat": int(now.timestamp()) + 2})
    assert verifier.verify(later).client_id == "app-x"


def test_the_next_key_is_published_before_it_signs_and_takes_over_at_its_time(parts, session_factory):
    keys, tokens, _, verifier = parts
    current = keys.signing_key().kid
    with session_factory() as s:
        next_kid = keys.rotate(s)
        s.commit()
    keys.reload()
    published = {k["kid"] for k in keys.public_jwks()["keys"]}
    assert {current, next_kid} <= published
    assert keys.signing_key().kid == current  # not before relying parties could have fetched it
    with session_factory() as s:
        states = {k["kid"]: k for k in keys.describe(s)}
        assert states[next_kid]["state"] == "next" and states[current]["state"] == "signing"
        # A second rotation queues behind the waiting key instead of skipping it.
        queued = keys.rotate(s)
        s.commit()
        after = {k["kid"]: k for k in keys.describe(s)}
    assert after[queued]["activates_at"] > after[next_kid]["activates_at"]
    assert after[next_kid]["retired_at"] == after[queued]["activates_at"]
    # Once its time comes (seven minutes on), every process signs with it on its own.
    with session_factory() as s:
        from bayfin.identity.core.models import SigningKey

        for row in s.query(SigningKey).all():
            for field in ("created_at", "activates_at", "retired_at", "expires_at"):
                if getattr(row, field) is not None:
                    setattr(row, field, getattr(row, field) - timedelta(minutes=7))
        s.commit()
    keys.reload()
    assert keys.signing_key().kid == next_kid
    assert verifier.verify(tokens.issue(Principal(subject="u5"))).subject == "u5"


def test_tokens_the_kernel_verifier_sees_must_be_access_tokens_for_this_api(key_store):
    tokens = JwtTokens(key_store, "http://127.0.0.1:8000")
    assert tokens.audience == "http://127.0.0.1:8000/v1"
    assert tokens.verify(tokens.issue(Principal(subject="u1"))).subject == "u1"
    with pytest.raises(Unauthenticated):
        tokens.verify(tokens.issue(Principal(subject="u1"), audience="https://other.example"))
