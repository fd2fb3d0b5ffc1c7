"""Voiceprint rules without I/O: templates, scoring, lockout, sealing, audio quality, digits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from cryptography.exceptions import InvalidTag

from bayfin.voice.asr import FakeRecognizer, digits_match, edit_distance, words_to_digits
from bayfin.voice.audio import BadAudio, check_quality, decode_wav, encode_wav, measure
from bayfin.voice.embedder import FakeEmbedder
from bayfin.voice.voiceprint import (
    MAX_FAILURES,
    Lockout,
    TemplateCipher,
    consistency,
    cosine,
    new_challenge_digits,
    template_from,
)

RATE = 16_000


def _voice(f0: float, seconds: float = 2.0, noise: float = 0.0, gain: float = 0.3) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    envelope = (np.sin(2 * np.pi * 2 * t) > -0.3).astype(np.float32)  # syllable-like bursts
    tone = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 6))
    pad = np.zeros(RATE // 2)
    x = np.concatenate([pad, gain * tone * envelope / 2, pad])
    return (x + noise * np.random.default_rng(0).standard_normal(x.size)).astype(np.float32)


def test_the_fake_embedder_maps_the_same_voice_close_and_another_far() -> None:
    embedder = FakeEmbedder()
    a1, a2, b = embedder.embed(_voice(120)), embedder.embed(_voice(120, 1.5)), embedder.embed(_voice(260))
    assert cosine(a1, a2) > cosine(a1, b)


def test_a_template_of_one_speaker_is_consistent() -> None:
    embedder = FakeEmbedder()
    same = [embedder.embed(_voice(120, s)) for s in (1.5, 2.0, 2.5)]
    mixed = [*same[:2], embedder.embed(_voice(300))]
    assert consistency(same) > consistency(mixed)
    assert abs(float(np.linalg.norm(template_from(same))) - 1) < 1e-5


def test_five_failures_lock_and_the_lock_expires() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    lock = Lockout(0, None)
    for _ in range(MAX_FAILURES):
        lock = lock.after_failure(now)
    assert lock.is_locked(now + timedelta(minutes=1))
    assert not lock.is_locked(now + timedelta(hours=1))


def test_a_sealed_template_opens_only_for_its_owner() -> None:
    cipher = TemplateCipher.from_secret(b"k" * 32)
    template = np.arange(8, dtype=np.float32)
    sealed = cipher.seal(template, "alice")
    assert template.tobytes() not in sealed
    assert np.array_equal(cipher.open(sealed, "alice"), template)
    with pytest.raises(InvalidTag):
        cipher.open(sealed, "bob")


def test_wav_bytes_round_trip_and_garbage_is_bad_audio() -> None:
    x = _voice(150)
    assert np.allclose(decode_wav(encode_wav(x)), x, atol=1e-3)
    with pytest.raises(BadAudio):
        decode_wav(b"RIFF....nonsense")


def test_quality_checks_refuse_silence_clipping_and_noise() -> None:
    check_quality(_voice(150), 1.0)
    with pytest.raises(BadAudio, match="too_little_speech"):
        check_quality(np.zeros(RATE * 2, dtype=np.float32), 1.0)
    with pytest.raises(BadAudio, match="clipped"):
        check_quality(np.clip(_voice(150, gain=5.0), -1, 1), 1.0)
    with pytest.raises(BadAudio, match="too_noisy"):
        check_quality(_voice(150, noise=0.2), 1.0)
    assert measure(_voice(150)).snr_db > 30


def test_challenges_are_six_random_digits() -> None:
    seen = {new_challenge_digits() for _ in range(50)}
    assert len(seen) > 45 and all(len(d) == 6 and d.isdigit() for d in seen)


def test_spoken_digits_must_align_with_the_challenge() -> None:
    assert words_to_digits("three oh seven") == "307"
    assert edit_distance("123456", "12456") == 1
    samples = np.zeros(10, dtype=np.float32)
    assert digits_match(FakeRecognizer(["one two three", "one two three"]), samples, "123", 1)[0]
    assert not digits_match(FakeRecognizer(["nine nine nine"]), samples, "123", 1)[0]
