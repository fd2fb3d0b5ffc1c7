"""Speech recognition behind one interface: pocketsphinx with JSGF grammars (English digits and
commands; its en-us model ships in the wheel), and a fake for unit tests."""

from __future__ import annotations

import re
import threading
from functools import cached_property
from typing import Protocol

import numpy as np

from bayfin.kernel.extras import optional_import

NUMBER_WORDS = ["ten", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
                "hundred", "thousand"]
PAYEE_WORDS = ["john", "mary", "alice", "peter", "david", "linda", "my mother", "my father", "my son",
               "my daughter"]
#: Answers the dialogue understands without a command: confirmation, refusal, repetition.
ANSWERS = ["yes", "no", "confirm", "cancel", "repeat", "say that again", "the first", "the second"]
DIGIT_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


class Recognizer(Protocol):
    """Turns 16 kHz mono speech into words under a named grammar ("digits" or "commands")."""

    def transcribe(self, samples: np.ndarray, grammar: str) -> str: ...

    def aligns(self, samples: np.ndarray, words: list[str]) -> bool: ...


class PocketsphinxRecognizer:
    """CMU PocketSphinx, one decoder per grammar, guarded by a lock (decoders are not thread-safe)."""

    def __init__(self, command_phrases: list[str]) -> None:
        self._phrases = command_phrases
        self._lock = threading.Lock()

    @cached_property
    def _decoder(self) -> object:
        Decoder = optional_import("pocketsphinx", "voice").Decoder

        decoder = Decoder(samprate=16000, loglevel="FATAL")
        words = set(self._dictionary_words(decoder))
        digits = " | ".join([*DIGIT_WORDS, "oh"])
        decoder.add_jsgf_string("digits", f"#JSGF V1.0;\ngrammar digits;\npublic <d> = ( {digits} )+ ;")
        usable = sorted({p for p in self._phrases if all(w in words for w in p.split())})
        numbers = " | ".join([*DIGIT_WORDS[1:], *NUMBER_WORDS])
        grammar = (
            "#JSGF V1.0;\ngrammar commands;\n"
            f"<command> = {' | '.join(usable)} ;\n"
            f"<amount> = ( {numbers} )+ yuan ;\n"
            f"<payee> = to ( {' | '.join(p for p in PAYEE_WORDS if all(w in words for w in p.split()))} ) ;\n"
            f"public <c> = {' | '.join(ANSWERS)} | <command> [ <amount> ] [ <payee> ]"
            " | <amount> [ <payee> ] ;"
        )
        decoder.add_jsgf_string("commands", grammar)
        return decoder

    @staticmethod
    def _dictionary_words(decoder: object) -> list[str]:
        config = decoder.config  # type: ignore[attr-defined]
        with open(config["dict"], encoding="utf-8") as fh:
            return [line.split()[0] for line in fh if line.strip() and "(" not in line.split()[0]]

    @staticmethod
    def _pcm(samples: np.ndarray) -> bytes:
        peak = float(np.abs(samples).max()) if samples.size else 0.0
        return (samples / peak * 0.7 * 32767 if peak > 0 else samples).astype(np.int16).tobytes()

    def aligns(self, samples: np.ndarray, words: list[str]) -> bool:
        """True when the recording can be force-aligned to exactly these words (a one-path grammar)."""
        with self._lock:
            decoder = self._decoder
            decoder.add_jsgf_string(  # type: ignore[attr-defined]
                "expected", f"#JSGF V1.0;\ngrammar expected;\npublic <e> = {' '.join(words)} ;")
            return self._decode(decoder, "expected", self._pcm(samples)) != ""

    def transcribe(self, samples: np.ndarray, grammar: str) -> str:
        """Best hypothesis under the grammar, or '' when nothing matched."""
        with self._lock:
            return self._decode(self._decoder, grammar, self._pcm(samples))

    @staticmethod
    def _decode(decoder: object, grammar: str, pcm: bytes) -> str:
        decoder.activate_search(grammar)  # type: ignore[attr-defined]
        decoder.start_utt()  # type: ignore[attr-defined]
        decoder.process_raw(pcm, full_utt=True)  # type: ignore[attr-defined]
        decoder.end_utt()  # type: ignore[attr-defined]
        hyp = decoder.hyp()  # type: ignore[attr-defined]
        return str(hyp.hypstr) if hyp is not None else ""


class FakeRecognizer:
    """Returns queued transcripts in order (unit tests)."""

    def __init__(self, transcripts: list[str] | None = None) -> None:
        self.transcripts = list(transcripts or [])

    def transcribe(self, samples: np.ndarray, grammar: str) -> str:
        """The next queued transcript."""
        return self.transcripts.pop(0) if self.transcripts else ""

    def aligns(self, samples: np.ndarray, words: list[str]) -> bool:
        """True when the next queued transcript is exactly these words."""
        return self.transcribe(samples, "digits") == " ".join(words)


def digits_match(recognizer: Recognizer, samples: np.ndarray, digits: str,
                 max_edits: int) -> tuple[bool, str]:
    """Liveness: the recording force-aligns to the challenge digits, and free digit recognition is
    within ``max_edits`` of them. Returns the verdict and what free recognition heard."""
    heard = words_to_digits(recognizer.transcribe(samples, "digits"))
    if edit_distance(heard, digits) > max_edits:
        return False, heard
    return recognizer.aligns(samples, [DIGIT_WORDS[int(d)] for d in digits]), heard


def words_to_digits(text: str) -> str:
    """'three oh seven' -> '307'."""
    table = {w: str(i) for i, w in enumerate(DIGIT_WORDS)} | {"oh": "0"}
    return "".join(table.get(w, "") for w in re.findall(r"[a-z]+", text.lower()))


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between two digit strings."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]
