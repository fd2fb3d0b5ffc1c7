"""WAV decoding to 16 kHz mono float32 and the quality checks enrolment and verification need."""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass

import numpy as np

from bayfin.kernel.errors import ValidationFailed

SAMPLE_RATE = 16_000
MAX_SECONDS = 30


class BadAudio(ValidationFailed):
    """The upload is not usable speech (unreadable, too short, clipped, silent or noisy)."""

    code = "bad_audio"
    title = "Unusable audio"


def decode_wav(data: bytes) -> np.ndarray:
    """PCM WAV bytes (8/16/32-bit, any rate, any channels) as 16 kHz mono float32 in [-1, 1]."""
    try:
        with wave.open(io.BytesIO(data)) as w:
            rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
            if w.getnframes() > rate * MAX_SECONDS:
                raise BadAudio(f"audio longer than {MAX_SECONDS} s", reason="too_long")
            raw = w.readframes(w.getnframes())
    except (wave.Error, EOFError) as exc:
        raise BadAudio(f"not a PCM WAV file: {exc}", reason="unreadable") from exc
    kinds = {1: (np.uint8, 128.0, 128.0), 2: (np.int16, 0.0, 32768.0), 4: (np.int32, 0.0, 2**31)}
    if width not in kinds or rate < 8000 or channels < 1:
        raise BadAudio("unsupported WAV sample format", reason="unsupported_format")
    dtype, offset, scale = kinds[width]
    x = (np.frombuffer(raw[: len(raw) - len(raw) % (width * channels)], dtype=dtype)
         .astype(np.float32) - offset) / scale
    x = x.reshape(-1, channels).mean(axis=1)
    if x.size == 0:
        raise BadAudio("the recording is empty", reason="empty")
    return resample(x, rate)


def resample(x: np.ndarray, rate: int) -> np.ndarray:
    """Band-limited polyphase resampling to 16 kHz."""
    if rate == SAMPLE_RATE:
        return x.astype(np.float32)
    from math import gcd

    from scipy.signal import resample_poly

    g = gcd(rate, SAMPLE_RATE)
    return np.asarray(resample_poly(x, SAMPLE_RATE // g, rate // g), dtype=np.float32)


def encode_wav(x: np.ndarray, rate: int = SAMPLE_RATE) -> bytes:
    """16-bit mono WAV bytes (used by tests and the evaluation)."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(x, -1, 1) * 32767).astype(np.int16).tobytes())
    return buf.getvalue()


@dataclass(frozen=True)
class Quality:
    """Measured properties of one recording."""

    speech_seconds: float
    clipped_share: float
    snr_db: float

    def problems(self, min_speech_seconds: float) -> list[str]:
        """Reasons this recording cannot be used (empty when it can)."""
        found = []
        if self.speech_seconds < min_speech_seconds:
            found.append("too_little_speech")
        if self.clipped_share > 0.01:
            found.append("clipped")
        if self.snr_db < 12.0:
            found.append("too_noisy")
        return found


def measure(x: np.ndarray, frame: int = 320) -> Quality:
    """Energy-based voice activity (20 ms frames), clipping share and a frame-energy SNR estimate."""
    count = x.size // frame
    if count == 0:
        return Quality(0.0, 0.0, 0.0)
    energy = (x[: count * frame].reshape(count, frame) ** 2).mean(axis=1) + 1e-12
    db = 10 * np.log10(energy)
    # The quietest tenth of frames stands for the noise floor; speech is well above it and audible.
    floor = float(np.percentile(db, 10))
    peak = float(np.percentile(db, 95))
    voiced = (db > floor + 12) & (db > -50)
    speech_db = float(db[voiced].mean()) if voiced.any() else floor
    clipped = float((np.abs(x) >= 0.999).mean())
    return Quality(speech_seconds=float(voiced.sum()) * frame / SAMPLE_RATE, clipped_share=clipped,
                   snr_db=min(speech_db, peak) - floor)


def check_quality(x: np.ndarray, min_speech_seconds: float) -> Quality:
    """The recording's quality, or :class:`BadAudio` naming what is wrong."""
    quality = measure(x)
    problems = quality.problems(min_speech_seconds)
    if problems:
        raise BadAudio("the recording is not usable: " + ", ".join(problems), reasons=problems,
                       speech_seconds=round(quality.speech_seconds, 2), snr_db=round(quality.snr_db, 1))
    return quality
