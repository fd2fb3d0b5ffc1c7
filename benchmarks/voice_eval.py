"""Evaluate the voice module: speaker-verification EER and FAR/FRR per threshold on espeak-ng speech,
liveness (digit) acceptance for genuine and replayed recordings, and the assistant's intent accuracy
and slot F1 on the held-out split. Prints its figures; run with ``python benchmarks/voice_eval.py``."""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.speech import digits_text, espeak

from bayfin.voice.asr import PocketsphinxRecognizer, digits_match
from bayfin.voice.audio import decode_wav
from bayfin.voice.classifier import IntentClassifier
from bayfin.voice.corpus import generate_corpus, split_corpus
from bayfin.voice.embedder import OnnxDvectorEmbedder
from bayfin.voice.slots import extract_slots
from bayfin.voice.voiceprint import MAX_DIGIT_EDITS, THRESHOLDS, template_from

BASES = ["en", "en-us", "en-gb-x-rp", "en-gb-scotland", "en-029", "en-gb-x-gbclan"]
VARIANTS = ["m1", "m3", "f2", "f4"]
ENROL = ["my voice is my password", digits_text("4071"), digits_text("958362")]
TESTS = ["I would like to check my balance", "transfer five hundred yuan to my mother"]


def speakers(count: int, seed: int) -> list[tuple[str, int, int]]:
    """Distinct synthetic speakers: base voice + variant, pitch and speed drawn at random."""
    rng = random.Random(seed)
    out = []
    for base in BASES:
        for variant in VARIANTS:
            out.append((f"{base}+{variant}", rng.randrange(20, 80), rng.randrange(100, 160)))
    rng.shuffle(out)
    return out[:count]


def speaker_eval(count: int) -> None:
    """EER and FAR/FRR at the configured thresholds."""
    embedder = OnnxDvectorEmbedder()
    rng = random.Random(3)
    voices = speakers(count, 1)
    templates, trials = {}, {}
    start = time.perf_counter()
    for v in voices:
        templates[v] = template_from([embedder.embed(decode_wav(espeak(t, *v))) for t in ENROL])
        digits = ["".join(rng.choice("0123456789") for _ in range(6)) for _ in range(2)]
        trials[v] = [embedder.embed(decode_wav(espeak(t, *v))) for t in [*TESTS, *map(digits_text, digits)]]
    elapsed = time.perf_counter() - start
    target = [float(e @ templates[v]) for v in voices for e in trials[v]]
    impostor = [float(e @ templates[w]) for v in voices for w in voices if w != v for e in trials[v]]
    t, i = np.array(target), np.array(impostor)
    grid = np.linspace(0, 1, 2001)
    far = np.array([(i >= th).mean() for th in grid])
    frr = np.array([(t < th).mean() for th in grid])
    k = int(np.argmin(np.abs(far - frr)))
    print(f"speakers={len(voices)} target trials={t.size} impostor trials={i.size} "
          f"embeddings/s={(len(voices) * (len(ENROL) + 4)) / elapsed:.1f}")
    print(f"EER={(far[k] + frr[k]) / 2 * 100:.2f}% at threshold {grid[k]:.3f}")
    for th in (0.75, 0.80, 0.84, 0.88, 0.90):
        print(f"threshold={th:.2f} FAR={(i >= th).mean() * 100:.2f}% FRR={(t < th).mean() * 100:.2f}%")
    for level, th in THRESHOLDS.items():
        print(f"level={level} threshold={th:.2f} FAR={(i >= th).mean() * 100:.2f}% "
              f"FRR={(t < th).mean() * 100:.2f}%")


def liveness_eval(trials: int) -> None:
    """Genuine: the challenge read aloud; replay: a recording of another digit sequence."""
    recognizer = PocketsphinxRecognizer(["check balance"])
    rng = random.Random(9)
    voices = speakers(len(BASES) * len(VARIANTS), 2)
    genuine = replay = 0
    for n in range(trials):
        voice = voices[n % len(voices)]
        asked = "".join(rng.choice("0123456789") for _ in range(6))
        other = "".join(rng.choice("0123456789") for _ in range(6))
        genuine += digits_match(recognizer, decode_wav(espeak(digits_text(asked), *voice)), asked,
                                MAX_DIGIT_EDITS)[0]
        replay += digits_match(recognizer, decode_wav(espeak(digits_text(other), *voice)), asked,
                               MAX_DIGIT_EDITS)[0]
    print(f"liveness trials={trials} genuine accepted={genuine / trials * 100:.1f}% "
          f"replay (other digits) accepted={replay / trials * 100:.1f}%")


def assistant_eval() -> None:
    """Intent accuracy and slot F1 on the held-out 20%."""
    corpus = generate_corpus()
    train, test = split_corpus(corpus)
    start = time.perf_counter()
    model = IntentClassifier().fit(train)
    fit = time.perf_counter() - start
    predicted = model.predict([e.text for e in test])
    for language in ("zh", "en"):
        pairs = [(p, e) for p, e in zip(predicted, test, strict=True) if e.language == language]
        print(f"intent accuracy {language}: {sum(p == e.intent for p, e in pairs) / len(pairs) * 100:.2f}% "
              f"(n={len(pairs)})")
    accuracy = sum(p == e.intent for p, e in zip(predicted, test, strict=True)) / len(test)
    tp = fp = fn = 0
    for e in test:
        gold, found = set(e.slots.items()), set(extract_slots(e.text).items())
        tp, fp, fn = tp + len(gold & found), fp + len(found - gold), fn + len(gold - found)
    print(f"corpus={len(corpus)} train={len(train)} test={len(test)} "
          f"intents={len({e.intent for e in corpus})} "
          f"fit={fit:.1f}s")
    print(f"intent accuracy={accuracy * 100:.2f}% slot P={tp / (tp + fp) * 100:.2f}% "
          f"R={tp / (tp + fn) * 100:.2f}% F1={2 * tp / (2 * tp + fp + fn) * 100:.2f}%")


def main() -> None:
    """Run the chosen parts."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--speakers", type=int, default=24)
    parser.add_argument("--liveness-trials", type=int, default=60)
    parser.add_argument("--skip", nargs="*", default=[])
    args = parser.parse_args()
    if "assistant" not in args.skip:
        assistant_eval()
    if "speaker" not in args.skip:
        speaker_eval(args.speakers)
    if "liveness" not in args.skip:
        liveness_eval(args.liveness_trials)


if __name__ == "__main__":
    main()
