"""Headless Chromium for the console's browser tests (Debian's chromium driven by Playwright's
bundled driver; never a downloaded browser). Skips with a reason where it is missing; with
BAYFIN_REQUIRE_SERVICES=1 (CI) it fails instead, as ``tests/services.py`` does for servers."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("BAYFIN_CHROMIUM", "/usr/bin/chromium")
#: A running Chromium's DevTools endpoint to drive instead of launching one (the arm64 run uses the
#: host's browser: Chromium does not run under qemu-user emulation).
CDP_URL = os.environ.get("BAYFIN_CHROMIUM_CDP")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def require_chromium() -> str:
    """The path of a usable Chromium and Playwright; skip (or fail in CI) without them."""
    problem = None
    if CDP_URL:
        pass  # a browser already running elsewhere; only Playwright is needed here
    elif not Path(CHROMIUM).exists():
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


def open_chromium(playwright: Any) -> Any:
    """Headless Chromium: launched here, or the one at ``BAYFIN_CHROMIUM_CDP`` connected to."""
    if CDP_URL:
        require_chromium()
        return playwright.chromium.connect_over_cdp(CDP_URL)
    return playwright.chromium.launch(executable_path=require_chromium(), headless=True,
                                      args=["--no-sandbox", "--disable-gpu"])

