"""Start-up wiring: the voice service with lazily loaded models (nothing loads until first used)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

import numpy as np

from bayfin.identity import IDENTITY
from bayfin.kernel.platform import Platform, ServiceKey
from bayfin.voice.asr import PocketsphinxRecognizer
from bayfin.voice.catalogue import catalogue
from bayfin.voice.classifier import IntentClassifier, Ranked
from bayfin.voice.corpus import generate_corpus, split_corpus
from bayfin.voice.dialogue import Dialogue
from bayfin.voice.embedder import OnnxDvectorEmbedder, SpeakerEmbedder
from bayfin.voice.factor import VoiceprintFactor
from bayfin.voice.service import VoiceService
from bayfin.voice.settings import VoiceSettings
from bayfin.voice.voiceprint import TemplateCipher

T = TypeVar("T")


class Lazy(Generic[T]):
    """Builds its value on first use, once, even under concurrent requests."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build, self._lock = build, threading.Lock()
        self._value: T | None = None
        self._value_set = False

    def get(self) -> T:
        """The value, built now if needed."""
        if not self._value_set:
            with self._lock:
                if not self._value_set:
                    self._value = self._build()
                    self._value_set = True
        return self._value  # type: ignore[return-value]


SETTINGS = VoiceSettings
#: The voice service (voiceprints and the banking assistant) on the platform.
VOICE = ServiceKey("voice", VoiceService)

# Models are read-only once built, so one copy serves every platform in the process.
_EMBEDDER: Lazy[SpeakerEmbedder] = Lazy(OnnxDvectorEmbedder)
_CLASSIFIERS: dict[int, Lazy[IntentClassifier]] = {}
_CLASSIFIERS_LOCK = threading.Lock()


class LazyEmbedder:
    """The ONNX embedder, loaded when the first recording arrives."""

    name = OnnxDvectorEmbedder.name
    dimension = 256

    def embed(self, samples: np.ndarray) -> np.ndarray:
        """Delegate to the loaded embedder."""
        return _EMBEDDER.get().embed(samples)


class LazyClassifier:
    """The intent classifier, trained on the generated corpus's training split at first use.

    ``BAYFIN_VOICE_CORPUS_PER_INTENT`` (:class:`VoiceSettings`) sets the corpus size (120 per intent by
    default; tests use less).
    """

    def __init__(self, per_intent: int) -> None:
        with _CLASSIFIERS_LOCK:
            self._model = _CLASSIFIERS.setdefault(per_intent, Lazy(
                lambda: IntentClassifier().fit(split_corpus(generate_corpus(per_intent))[0])))

    def rank(self, text: str, top: int = 3) -> Ranked:
        """Delegate to the trained classifier."""
        return self._model.get().rank(text, top)


def configure(platform: Platform) -> VoiceService:
    """Provide the voice service on the platform under :data:`VOICE`, and offer the voiceprint to the
    identity module as a sign-in factor when identity is wired."""
    settings = platform.section(VoiceSettings)
    secret = settings.template_key.get_secret_value() or platform.settings.audit_key.get_secret_value()
    per_intent = settings.corpus_per_intent
    phrases = [name for intent in catalogue().values() for name in intent.names_en]
    service = VoiceService(platform.audit, platform.clock, platform.tokens, LazyEmbedder(),
                           PocketsphinxRecognizer(phrases), TemplateCipher.from_secret(secret.encode()),
                           Dialogue(LazyClassifier(per_intent)))
    platform.provide(VOICE, service)
    if platform.has_service(IDENTITY):
        # Offer the voiceprint through the identity module's factor plug-in interface.
        platform.service(IDENTITY).authenticator.factors.register(VoiceprintFactor(platform.tokens))
    return service


def voice_service(platform: Platform) -> VoiceService:
    """The configured voice service."""
    return platform.service(VOICE)
