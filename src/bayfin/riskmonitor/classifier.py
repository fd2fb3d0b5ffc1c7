"""The Chinese risk-text classifier: jieba words and character n-grams, one-vs-rest logistic regression."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import jieba
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import FeatureUnion
from sklearn.preprocessing import MultiLabelBinarizer

from bayfin.riskmonitor.domain import CATEGORIES
from bayfin.riskmonitor.texts import training_set

jieba.setLogLevel(logging.WARNING)


def jieba_tokens(text: str) -> list[str]:
    """Words of a Chinese text (jieba's precise mode), punctuation and spaces dropped."""
    return [w for w in jieba.lcut(text) if w.strip() and w not in "，。！？、；：,.!?;:"]


@dataclass
class RiskTextClassifier:
    """Multi-label: the probability that a text shows each risk category."""

    features: FeatureUnion
    model: OneVsRestClassifier
    labels: list[str]

    def predict(self, texts: list[str]) -> list[dict[str, float]]:
        """Per text, each category's probability."""
        if not texts:
            return []
        proba = np.asarray(self.model.predict_proba(self.features.transform(texts)))
        return [{lab: round(float(p), 3) for lab, p in zip(self.labels, row, strict=True)} for row in proba]


def train_classifier(
    seed: int = 7, extra: tuple[list[str], list[list[str]]] | None = None, per_category: int = 300
) -> RiskTextClassifier:
    """Train on generated labelled text (plus analyst-confirmed texts from closed leads, when given)."""
    texts, labels = training_set(seed, per_category)
    if extra is not None:
        texts, labels = texts + extra[0], labels + extra[1]
    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(tokenizer=jieba_tokens, token_pattern=None, lowercase=False, min_df=2)),
            ("chars", TfidfVectorizer(analyzer="char", ngram_range=(2, 3), min_df=2, max_features=20000)),
        ]
    )
    binarizer = MultiLabelBinarizer(classes=list(CATEGORIES))
    y = binarizer.fit_transform(labels)
    model = OneVsRestClassifier(LogisticRegression(C=4.0, max_iter=500))
    model.fit(features.fit_transform(texts), y)
    return RiskTextClassifier(features=features, model=model, labels=list(binarizer.classes_))


_CACHE: dict[Any, RiskTextClassifier] = {}


def default_classifier(seed: int = 7) -> RiskTextClassifier:
    """The classifier trained once per process on the generated corpus."""
    if seed not in _CACHE:
        _CACHE[seed] = train_classifier(seed)
    return _CACHE[seed]
