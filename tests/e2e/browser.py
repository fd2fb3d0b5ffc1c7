"""Headless Chromium for the console's browser tests (Debian's chromium driven by Playwright's
bundled driver; never a downloaded browser). Skips with a reason where it is missing; with
BAYFIN_REQUIRE_SERVICES=1 (CI) it fails instead, as ``tests/services.py`` does for servers."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("BAYFIN_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def require_chromium() -> str:
    """The path of a usable Chromium and Playwright; skip (or fail in CI) without them."""
    problem = None
    if not Path(CHROMIUM).exists():
        problem = f"chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the playwright package is not installed (pip install -e '.[test]')"
    if problem is None:
        return CHROMIUM
    if os.environ.get("BAYFIN_REQUIRE_SERVICES") == "1":
        pytest.fail(problem + " — BAYFIN_REQUIRE_SERVICES=1 forbids skipping")
    pytest.skip(problem)


def screenshot(page: object, name: str) -> Path:
    """Save a full-page screenshot under var/screenshots/ for review."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{re.sub(r'[^a-z0-9_-]+', '-', name.lower())}.png"
    page.screenshot(path=str(target), full_page=True)  # type: ignore[attr-defined]
    return target
