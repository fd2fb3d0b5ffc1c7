"""The console's routes: sign-in, static assets, and each role's pages (mounted through the registry)."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import APIRouter, Request
from starlette.responses import FileResponse, RedirectResponse, Response

from bayfin.kernel.errors import NotFound
from bayfin.web import analyst, auth, enterprise, financing, institution, operator
from bayfin.web.access import navigation
from bayfin.web.core import AnyPage, PageRoute, render

STATIC = Path(__file__).parent / "static"
#: Only these files are served (a fixed list, so no path from the URL ever reaches the filesystem).
STATIC_FILES = {str(p.relative_to(STATIC)): p for p in STATIC.rglob("*")
                if p.is_file() and p.name != "MANIFEST.json"}

router = APIRouter(include_in_schema=False)
pages = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/console/static/{name:path}")
def static_file(name: str) -> Response:
    """A console asset (CSS, script, vendored library, map), cached for a day."""
    path = STATIC_FILES.get(name)
    if path is None:
        return Response("not found", status_code=404, media_type="text/plain")
    media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media, headers={
        "Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"})


@router.get("/")
def root() -> Response:
    """The platform's front door opens the console."""
    return RedirectResponse("/console", status_code=307)


@pages.get("/console")
def home(page: AnyPage) -> Response:
    """The start page: the first page the user's role opens, or the sign-in invitation."""
    if page.principal is not None:
        entries = navigation(page.principal)
        if entries:
            return RedirectResponse(entries[0][1], status_code=303)
        return render(page, "welcome.html", no_pages=True)
    return render(page, "welcome.html")


router.include_router(auth.router)
router.include_router(enterprise.router)
router.include_router(institution.router)
router.include_router(operator.router)
router.include_router(analyst.router)
router.include_router(financing.router)


@pages.get("/console/{rest:path}")
def not_found(rest: str, request: Request) -> Response:
    """Any other console address: the HTML 404 page."""
    raise NotFound(f"no console page at /console/{rest}")


router.include_router(pages)
