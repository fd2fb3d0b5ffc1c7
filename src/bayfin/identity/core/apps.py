"""An application's life after registration: new redirect URIs and scopes, a rotated client secret
(the old one honoured for a grace period), disabling (its tokens refused at once in every API
process) and deletion. Every change is audited; services only flush, the edge commits."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bayfin.identity.core import repository as repo
from bayfin.identity.core.domain import acceptable_redirect_uri
from bayfin.identity.core.models import App
from bayfin.identity.core.service import Actor, IdentityService, after_commit, hash_client_secret
from bayfin.identity.core.verifier import record_revocation
from bayfin.kernel.errors import NotFound, ValidationFailed

#: How long a rotated-out client secret keeps working unless the caller says otherwise.
DEFAULT_SECRET_GRACE = timedelta(hours=24)
#: The longest grace a rotation may give the old secret.
MAX_SECRET_GRACE = timedelta(days=30)


class AppLifecycle:
    """Use cases that change a registered app, shared by the admin API and the CLI."""

    def __init__(self, service: IdentityService) -> None:
        self.service = service

    @staticmethod
    def _mine(actor: Actor, app: App) -> None:
        """Refuse changing an app owned outside the actor's administrative scope (defence in depth:
        the app must come from a scoped lookup); for the caller such an app does not exist."""
        if not actor.scope.covers(app.organization_id):
            raise NotFound("no such app")

    def _audit(self, session: Session, actor: Actor, action: str, app: App,
               details: dict[str, object] | None = None) -> None:
        self.service.audit.record(session, actor=actor.subject, actor_org=actor.organization_id,
                                  action=f"identity.app.{action}", subject_type="app",
                                  subject_id=app.id,
                                  details={"client_id": app.client_id, **(details or {})})

    def update(self, session: Session, actor: Actor, app: App, *, name: str | None = None,
               redirect_uris: list[str] | None = None,
               post_logout_redirect_uris: list[str] | None = None,
               scopes: list[str] | None = None) -> App:
        """Change an app's name, redirect URIs or allowed scopes (None leaves a field as it is).

        Fewer scopes apply to every token issued from now on, refreshed ones included; access
        tokens already out keep theirs until they expire (disable the app to stop them at once)."""
        self._mine(actor, app)
        for uri in (redirect_uris or []) + (post_logout_redirect_uris or []):
            if not acceptable_redirect_uri(uri):
                raise ValidationFailed("redirect URIs must be https (or loopback) without a fragment")
        if redirect_uris is not None and not redirect_uris \
                and "authorization_code" in (app.grant_types or []):
            raise ValidationFailed("an app signing users in needs at least one redirect URI")
        changes: dict[str, object] = {}
        for field, value in (("name", name), ("redirect_uris", redirect_uris),
                             ("post_logout_redirect_uris", post_logout_redirect_uris),
                             ("scopes", sorted(set(scopes)) if scopes is not None else None)):
            if value is not None and getattr(app, field) != value:
                changes[field] = {"from": getattr(app, field), "to": value}
                setattr(app, field, value)
        if changes:
            session.flush()
            self._audit(session, actor, "update", app, {"changes": changes})
        return app

    def rotate_secret(self, session: Session, actor: Actor, app: App,
                      grace: timedelta = DEFAULT_SECRET_GRACE) -> tuple[str, datetime | None]:
        """A new client secret (returned once); the current one keeps working for ``grace``
        (zero: refused at once). Returns the secret and when the old one stops working."""
        self._mine(actor, app)
        if app.client_type != "confidential":
            raise ValidationFailed("a public client has no secret to rotate")
        if grace < timedelta(0) or grace > MAX_SECRET_GRACE:
            raise ValidationFailed(f"the grace period must lie between 0 and "
                                   f"{MAX_SECRET_GRACE.days} days")
        now = self.service.clock.now()
        secret = secrets.token_urlsafe(32)
        old_until = now + grace if grace and app.secret_hash else None
        app.previous_secret_hash = app.secret_hash if old_until else None
        app.previous_secret_expires_at = old_until
        app.secret_hash = hash_client_secret(secret)
        session.flush()
        self._audit(session, actor, "secret_rotate", app,
                    {"old_secret_valid_until": old_until.isoformat() if old_until else None})
        return secret, old_until

    def set_active(self, session: Session, actor: Actor, app: App, active: bool) -> App:
        """Enable or disable an app. Disabling refuses its access tokens at once in every API
        process, revokes its refresh tokens, voids its outstanding authorization codes and stops
        it obtaining new ones."""
        self._mine(actor, app)
        if app.active == active:
            return app
        app.active = active
        if not active:
            self._cut_off(session, app)
        session.flush()
        self._audit(session, actor, "enable" if active else "disable", app)
        return app

    def delete(self, session: Session, actor: Actor, app: App) -> None:
        """Delete an app with its roles, role holdings and consents; its tokens die at once."""
        self._mine(actor, app)
        self._cut_off(session, app)
        counts = repo.delete_app_records(session, app.id)
        self._audit(session, actor, "delete", app, {"removed": counts})
        repo.remove(session, app)
        session.flush()

    def _cut_off(self, session: Session, app: App) -> None:
        svc = self.service
        now = svc.clock.now()
        repo.revoke_refresh_tokens(session, now, client_id=app.client_id)
        repo.expire_authorization_codes(session, now, app.client_id)
        record_revocation(session, "client", app.client_id, at=now,
                          expires_at=now + svc.revocation_ttl)
        after_commit(session, svc.revocations.changed)
