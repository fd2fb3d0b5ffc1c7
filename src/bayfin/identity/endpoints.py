"""The identity module's HTTP surface: OIDC protocol, sign-in pages, admin API and SCIM."""

from __future__ import annotations

from fastapi import APIRouter

from bayfin.identity import admin, pages, protocol, scim_endpoints

router = APIRouter()
router.include_router(protocol.router)
router.include_router(pages.router)
router.include_router(admin.router)
router.include_router(scim_endpoints.router)
