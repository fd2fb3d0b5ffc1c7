"""Real speech for voice tests: espeak-ng renders text as WAV bytes (skips when it is not installed)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest


def espeak(text: str, voice: str = "en", pitch: int = 50, speed: int = 120, gap: int = 0) -> bytes:
    """WAV bytes of ``text`` spoken by espeak-ng with the given voice variant, pitch and speed."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        message = "espeak-ng is not installed (apt-get install espeak-ng)"
        if os.environ.get("BAYFIN_REQUIRE_SERVICES") == "1":
            pytest.fail(message + " — BAYFIN_REQUIRE_SERVICES=1 forbids skipping")
        pytest.skip(message)
    with tempfile.TemporaryDirectory() as tmp:  # -g: pause between words, in 10 ms units
        out = Path(tmp) / "speech.wav"
        subprocess.run([exe, "-v", voice, "-p", str(pitch), "-s", str(speed), "-g", str(gap), "-w", str(out),
                        text],
                       check=True, capture_output=True)
        return out.read_bytes()


def digits_text(digits: str) -> str:
    """Digits read one by one with pauses, as the challenge prompt asks."""
    words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    return ". ".join(words[int(d)] for d in digits) + "."
