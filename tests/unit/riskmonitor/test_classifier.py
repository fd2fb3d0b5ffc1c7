"""The jieba + logistic-regression classifier generalises to texts it did not see."""

from bayfin.riskmonitor.classifier import jieba_tokens, train_classifier
from bayfin.riskmonitor.texts import training_set


def test_jieba_splits_chinese_text_into_words():
    assert "数字货币" in jieba_tokens("投资数字货币，稳赚不赔") or "货币" in jieba_tokens(
        "投资数字货币，稳赚不赔"
    )


def test_held_out_texts_are_classified_by_category_with_few_errors():
    model = train_classifier(seed=1, per_category=80)
    texts, labels = training_set(seed=2024, per_category=20)
    predictions = model.predict(texts)
    wrong = sum(
        1
        for probs, truth in zip(predictions, labels, strict=True)
        for cat, p in probs.items()
        if (p >= 0.5) != (cat in truth)
    )
    assert wrong / (len(texts) * len(model.labels)) < 0.03


def test_lawful_finance_wording_is_not_flagged():
    model = train_classifier(seed=1, per_category=80)
    probs = model.predict(["理财产品有风险投资需谨慎，本公司持有金融许可证，欢迎来电咨询合作"])[0]
    assert max(probs.values()) < 0.5
