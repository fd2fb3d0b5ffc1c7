"""ASGI entry point for uvicorn: ``bayfin.api.main:app``."""

from bayfin.api.app import create_app

app = create_app()
