"""The assistant's catalogue, corpus, slots and dialogue rules, without I/O."""

from __future__ import annotations

from bayfin.voice.catalogue import catalogue
from bayfin.voice.classifier import Ranked
from bayfin.voice.corpus import generate_corpus, split_corpus
from bayfin.voice.dialogue import Dialogue, DialogueState
from bayfin.voice.slots import chinese_number, english_number, extract_slots


class FixedRanker:
    """Ranks every utterance the same way (the dialogue rules are what is tested)."""

    def __init__(self, intents: list[str], scores: list[float]) -> None:
        self.ranked = Ranked(intents, scores)

    def rank(self, text: str, top: int = 3) -> Ranked:
        return self.ranked


def test_the_catalogue_has_over_180_functions_each_with_a_deep_link() -> None:
    intents = catalogue()
    assert len(intents) >= 180
    assert all(i.deep_link.startswith("bayfin://app/") for i in intents.values())
    assert intents["transfer.to_person"].required_slots == ("amount", "payee")


def test_the_corpus_has_over_20000_bilingual_utterances_and_a_disjoint_split() -> None:
    corpus = generate_corpus()
    assert len(corpus) >= 20_000
    assert {e.language for e in corpus} == {"zh", "en"}
    train, test = split_corpus(corpus)
    assert len(test) > 0.15 * len(corpus)
    assert not {e.text + e.intent for e in train} & {e.text + e.intent for e in test}


def test_numbers_in_chinese_and_english_words_are_read() -> None:
    assert chinese_number("一千二百五十") == 1250
    assert chinese_number("两万") == 20000
    assert english_number("two thousand five hundred") == 2500
    assert english_number("banana") is None


def test_slots_are_extracted_from_both_languages() -> None:
    assert extract_slots("明天给张三转账500元") == {"amount": 50000, "payee": "张三", "date": "tomorrow"}
    assert extract_slots("transfer 300 yuan to john from my savings account next friday") == {
        "amount": 30000, "payee": "john", "account": "savings", "date": "next_friday"}
    assert extract_slots("用尾号1234交电费") == {"account": "****1234"}


def test_a_money_intent_asks_for_the_missing_amount_then_for_confirmation() -> None:
    dialogue = Dialogue(FixedRanker(["transfer.to_person", "transfer.history"], [0.8, -0.5]))
    reply, state = dialogue.turn("给张三转钱", DialogueState())
    assert reply.action == "ask_slot" and state.awaiting == "slot"
    reply, state = dialogue.turn("五百元", state)
    assert reply.action == "confirm" and state.slots == {"payee": "张三", "amount": 50000}
    reply, state = dialogue.turn("取消", state)
    assert reply.action == "cancelled" and state.awaiting is None


def test_an_unsure_classifier_asks_a_or_b_and_the_answer_picks_one() -> None:
    dialogue = Dialogue(FixedRanker(["wealth.products", "wealth.redeem"], [-0.2, -0.3]))
    reply, state = dialogue.turn("理财那个", DialogueState())
    assert reply.action == "ask_choice" and reply.choices == ["wealth.products", "wealth.redeem"]
    reply, _ = dialogue.turn("第二个", state)
    assert reply.intent == "wealth.redeem"


def test_gibberish_falls_back_with_examples_of_what_to_say() -> None:
    dialogue = Dialogue(FixedRanker(["life.weather", "life.news"], [-0.9, -0.95]))
    reply, _ = dialogue.turn("blah blah", DialogueState())
    assert reply.action == "fallback" and "check balance" in reply.text


def test_repeat_returns_the_last_prompt_unchanged() -> None:
    dialogue = Dialogue(FixedRanker(["x"], [0.0]))
    reply, state = dialogue.turn("check balance", DialogueState())
    again, _ = dialogue.turn("please repeat", state)
    assert again.text == reply.text == "Opening check balance."
