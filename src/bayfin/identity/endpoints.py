"""The identity module's HTTP surface: OIDC protocol, sign-in pages, admin API and SCIM."""

from __future__ import annotations

from fastapi import APIRouter

from bayfin.identity.core import admin, invitation_pages
from bayfin.identity.oidc import pages, protocol
from bayfin.identity.scim import endpoints as scim_endpoints
from bayfin.identity.scim.schema import SCIM_JSON, scim_error

router = APIRouter()
router.include_router(protocol.router)
router.include_router(pages.router)
router.include_router(invitation_pages.router)
router.include_router(admin.router)
router.include_router(scim_endpoints.router)

#: Every answer under /scim/v2 that would be problem+json is a SCIM error message instead.
error_formats = [("/scim/v2", scim_error, SCIM_JSON)]
