"""Intent classifier: jieba words, pinyin syllables and character n-grams into a linear SVM."""

from __future__ import annotations

import itertools
import logging
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from bayfin.voice.corpus import Example

_WORD = re.compile(r"[a-z]+|\d+")


def features(text: str) -> list[str]:
    """Tokens the classifier sees: words (jieba for Chinese), pinyin syllables and bigrams, char n-grams."""
    import jieba
    from pypinyin import lazy_pinyin

    jieba.setLogLevel(logging.WARNING)
    t = text.lower().strip()
    tokens: list[str] = []
    if any("\u4e00" <= ch <= "\u9fff" for ch in t):
        tokens += ["w:" + w for w in jieba.lcut(t) if w.strip()]
        # Homophones (账/帐, 余/鱼) share their pinyin, so a misrecognised character still matches.
        syllables = [s for s in lazy_pinyin(t) if s.strip()]
        tokens += ["p:" + s for s in syllables]
        tokens += ["pp:" + a + b for a, b in itertools.pairwise(syllables)]
    else:
        words = _WORD.findall(t)
        tokens += ["w:" + w for w in words]
        tokens += ["ww:" + a + "_" + b for a, b in itertools.pairwise(words)]
    compact = t.replace(" ", "_")
    for n in (1, 2, 3):
        tokens += ["c:" + compact[i:i + n] for i in range(len(compact) - n + 1)]
    return tokens


@dataclass(frozen=True)
class Ranked:
    """The classifier's best intents with their scores, best first."""

    intents: list[str]
    scores: list[float]


class IntentClassifier:
    """A fitted TF-IDF + LinearSVC model over :func:`features`."""

    def __init__(self) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        self._vectorizer: Any = TfidfVectorizer(analyzer=features, sublinear_tf=True, min_df=1)
        self._model: Any = LinearSVC(C=0.5)

    def fit(self, examples: list[Example]) -> IntentClassifier:
        """Learn from labelled utterances."""
        x = self._vectorizer.fit_transform([e.text for e in examples])
        self._model.fit(x, [e.intent for e in examples])
        return self

    def rank(self, text: str, top: int = 3) -> Ranked:
        """The ``top`` intents for one utterance with their decision scores."""
        scores = np.asarray(self._model.decision_function(self._vectorizer.transform([text])))[0]
        order = np.argsort(-scores)[:top]
        return Ranked(intents=[str(self._model.classes_[i]) for i in order],
                      scores=[float(scores[i]) for i in order])

    def predict(self, texts: list[str]) -> list[str]:
        """Best intent for each utterance."""
        return [str(p) for p in self._model.predict(self._vectorizer.transform(texts))]
