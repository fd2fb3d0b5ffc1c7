"""The API's documentation pages load nothing from another origin, and what they load is served."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest
from fastapi.testclient import TestClient

from bayfin.api.app import create_app
from bayfin.kernel.settings import Settings

ATTRIBUTE = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
ANY_URL = re.compile(r"""(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}""", re.IGNORECASE)


@pytest.fixture
def docs_client(tmp_path):
    """The app without its lifespan: the docs need no database."""
    return TestClient(create_app(settings=Settings(environment="test", data_dir=tmp_path)),
                      base_url="http://api.bank.internal")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_reference_only_same_origin_assets_that_answer(docs_client, page):
    html = docs_client.get(page)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assets = ATTRIBUTE.findall(html.text)
    assert any(a.endswith(".js") for a in assets)
    assert ANY_URL.findall(html.text) == [], "the page reaches another origin"
    for asset in assets:
        assert asset.startswith("/") and not asset.startswith("//"), asset
        fetched = docs_client.get(urljoin(page, asset))
        assert fetched.status_code == 200, asset
        assert len(fetched.content) > 1000, asset
    assert "/openapi.json" in html.text


def test_swagger_ui_gets_its_stylesheet_and_oauth2_redirect(docs_client):
    html = docs_client.get("/docs").text
    assert "/docs/assets/swagger-ui.css" in html
    assert '"validatorUrl": null' in html  # no call to swagger.io's online validator
    css = docs_client.get("/docs/assets/swagger-ui.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    redirect = docs_client.get("/docs/oauth2-redirect")
    assert redirect.status_code == 200 and "oauth2" in redirect.text.lower()
    assert docs_client.get("/docs/assets/../../pyproject.toml").status_code == 404


def test_the_docs_pages_stay_out_of_the_openapi_document(docs_client):
    paths = docs_client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith(("/docs", "/redoc"))]
