"""The set-password page an invitation link opens (``/oauth2/set-password?token=…``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session as OrmSession
from starlette.responses import Response

from bayfin.api.deps import Session
from bayfin.identity.core import repository as repo
from bayfin.identity.core.invitations import InvitationRefused, Invitations
from bayfin.identity.core.web import client_address, csrf_ok, form_pairs, identity_of, language, message, page
from bayfin.kernel.errors import ValidationFailed

router = APIRouter(prefix="/oauth2", tags=["identity: sign-in pages"], include_in_schema=False)
Form = Annotated[list[tuple[str, str]], Depends(form_pairs)]


def _invitations(request: Request) -> Invitations:
    ident = identity_of(request)
    return Invitations(ident.service, ident.issuer)


def _form(request: Request, session: OrmSession, token: str, error: str | None = None,
          status: int = 200) -> Response:
    ident = identity_of(request)
    lang = language(request)
    found = _invitations(request).pending(session, token)
    user = repo.user_by_id(session, found.user_id) if found else None
    if user is None:
        return message(request, ident, lang, "error_title", "invitation_invalid", status=400)
    response = page(request, ident, "set_password.html", lang, status, token=token,
                    username=user.display_name, error=error)
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in this page's URL
    return response


@router.get("/set-password")
def set_password_page(request: Request, session: Session, token: str = "") -> Response:
    """The form a provisioned user opens from their invitation link."""
    return _form(request, session, token)


@router.post("/set-password")
def set_password(request: Request, session: Session, form: Form) -> Response:
    """Save the chosen password and spend the link."""
    ident = identity_of(request)
    lang = language(request)
    fields = dict(form)
    token = fields.get("token", "")
    if not csrf_ok(request, ident, fields):
        return message(request, ident, lang, "error_title", "csrf", status=403)
    from bayfin.identity.core.i18n import texts

    t = texts(lang)
    if fields.get("password", "") != fields.get("password2", ""):
        return _form(request, session, token, t["passwords_differ"], 400)
    try:
        _invitations(request).redeem(session, token, fields.get("password", ""),
                                     client_address(request))
    except ValidationFailed as weak:
        return _form(request, session, token, weak.message, 400)
    except InvitationRefused:
        session.commit()  # keep the refusal's audit entry
        return message(request, ident, lang, "error_title", "invitation_invalid", status=400)
    return message(request, ident, lang, "set_password_title", "password_chosen")
