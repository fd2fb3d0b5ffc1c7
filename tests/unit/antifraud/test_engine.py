import threading
from datetime import timedelta

import pytest

from bayfin.antifraud.engine.engine import DecisionEngine
from bayfin.antifraud.engine.lists import ListBook, ListEntry
from bayfin.antifraud.engine.rulelang import RuleSyntaxError
from bayfin.antifraud.engine.ruleset import Outcome, RuleRegistry, load_ruleset
from tests.antifraud_events import T0, event

HEADER = "name: t\nversion: '1'\nthresholds: {challenge: 30, review: 60, block: 90}\nwatch_score: 30\n"


def write_rules(directory, rules, version="1"):
    directory.mkdir(exist_ok=True)
    (directory / "ruleset.yaml").write_text(HEADER.replace("'1'", f"'{version}'"))
    (directory / "test.yaml").write_text("typology: test\nrules:\n" + rules)
    return directory


BIG = "  - {id: BIG, when: 'amount_yuan >= 1000', score: 60, reason: BIG_AMOUNT}\n"
SHADOW = "  - {id: SHADOW, when: 'amount_yuan >= 1000', score: 100, reason: SHADOW_BIG, mode: shadow}\n"
OFF = "  - {id: DISABLED, when: 'amount_yuan >= 1', score: 100, reason: OFF_RULE, mode: off}\n"


def engine_for(directory, lists=None):
    return DecisionEngine(RuleRegistry(load_ruleset(directory), directory), lists=lists)


def test_shadow_rules_are_evaluated_and_logged_but_do_not_act(tmp_path):
    engine = engine_for(write_rules(tmp_path / "r", BIG + SHADOW + OFF))
    d = engine.decide(event(1, amount_fen=200_000))
    assert [h.rule_id for h in d.hits] == ["BIG"] and [h.rule_id for h in d.shadow_hits] == ["SHADOW"]
    assert d.score == 60 and d.outcome is Outcome.REVIEW
    assert "SHADOW_BIG" not in d.reason_codes and "OFF_RULE" not in d.reason_codes


def test_an_action_is_a_floor_on_the_outcome(tmp_path):
    rules = "  - {id: HOLD, when: 'on_call', action: BLOCK, reason: CALL}\n"
    engine = engine_for(write_rules(tmp_path / "r", rules))
    assert engine.decide(event(1, behaviour={"on_call": True})).outcome is Outcome.BLOCK
    assert engine.decide(event(2)).outcome is Outcome.ALLOW


def test_scope_limits_a_rule_to_its_channels_and_types(tmp_path):
    rules = ("  - {id: ONLINE, when: 'amount_yuan >= 1', score: 40, reason: R, "
             "scope: {channels: [online], businesses: [transfer]}}\n")
    engine = engine_for(write_rules(tmp_path / "r", rules))
    assert not engine.decide(event(1)).hits
    assert engine.decide(event(2, channel="online", type="online.transfer.inter_bank")).hits


def test_a_block_listed_device_is_blocked_and_the_amount_counted_as_protected(tmp_path):
    lists = ListBook([ListEntry("block", "device", "phone-1", "confirmed fraud")])
    d = engine_for(write_rules(tmp_path / "r", BIG), lists).decide(event(1, amount_fen=30_000))
    assert d.outcome is Outcome.BLOCK and "LIST_BLOCK_DEVICE" in d.reason_codes
    assert d.amount_protected_fen == 30_000 and d.primary_typology == "list"


def test_an_expired_list_entry_is_ignored(tmp_path):
    expired = (T0 - timedelta(minutes=1)).timestamp()
    lists = ListBook([ListEntry("block", "ip", "10.1.1.1", "old", expires_at=expired)])
    d = engine_for(write_rules(tmp_path / "r", BIG), lists).decide(event(1, amount_fen=30_000))
    assert d.outcome is Outcome.ALLOW


def test_an_allow_listed_customer_passes_even_when_rules_fire(tmp_path):
    lists = ListBook([ListEntry("allow", "customer", "c1", "vetted treasury account")])
    d = engine_for(write_rules(tmp_path / "r", BIG), lists).decide(event(1, amount_fen=500_000))
    assert d.outcome is Outcome.ALLOW and d.hits and "LIST_ALLOW_CUSTOMER" in d.reason_codes


def test_a_watch_listed_payee_adds_score_and_steps_up(tmp_path):
    lists = ListBook([ListEntry("watch", "beneficiary", "ICBC:friend-1", "reported by police")])
    engine = engine_for(write_rules(tmp_path / "r", BIG), lists)
    small = engine.decide(event(1))
    assert small.outcome is Outcome.CHALLENGE and "LIST_WATCH_BENEFICIARY" in small.reason_codes
    assert engine.decide(event(2, amount_fen=500_000)).outcome is Outcome.BLOCK  # 60 + 30


def test_a_repeated_event_gets_the_same_decision_and_is_counted_once(tmp_path):
    engine = engine_for(write_rules(tmp_path / "r", BIG))
    first = engine.decide(event(1))
    again = engine.decide(event(1))
    assert (again.outcome, again.score) == (first.outcome, first.score)
    assert again.reason_codes == first.reason_codes
    assert engine.decide(event(2)).features["cust_out_count_1h"] == 2


def test_a_reload_swaps_rules_without_dropping_or_mixing_decisions(tmp_path):
    one = write_rules(tmp_path / "one", BIG, version="1")
    two = write_rules(tmp_path / "two", BIG.replace("score: 60", "score: 95"), version="2")
    sets = {1: load_ruleset(one), 2: load_ruleset(two)}
    registry = RuleRegistry(sets[1])
    engine = DecisionEngine(registry)
    results, errors = [], []

    def traffic(worker):
        try:
            for n in range(300):
                d = engine.decide(event(worker * 1000 + n, customer_id=f"c{worker}", amount_fen=200_000))
                results.append((d.ruleset_version, d.score))
        except Exception as exc:  # any failure is a dropped decision
            errors.append(exc)

    threads = [threading.Thread(target=traffic, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for k in range(200):
        registry.swap(sets[1 + k % 2])
    for t in threads:
        t.join()
    assert not errors and len(results) == 1200
    expected = {sets[1].version: 60, sets[2].version: 95}
    assert all(expected[version] == score for version, score in results)


def test_a_broken_rule_file_is_refused_and_the_live_set_stays(tmp_path):
    directory = write_rules(tmp_path / "r", BIG)
    registry = RuleRegistry(load_ruleset(directory), directory)
    live = registry.current
    broken = "typology: test\nrules:\n  - {id: X, when: 'open(1)', score: 5, reason: X}\n"
    (directory / "test.yaml").write_text(broken)
    with pytest.raises(RuleSyntaxError):
        registry.reload_if_changed()
    assert registry.current is live


def test_a_changed_rule_file_is_picked_up_by_the_watcher(tmp_path):
    import os

    directory = write_rules(tmp_path / "r", BIG)
    registry = RuleRegistry(load_ruleset(directory), directory)
    assert not registry.reload_if_changed()
    path = directory / "test.yaml"
    path.write_text(path.read_text().replace("score: 60", "score: 10"))
    stat = path.stat()
    os.utime(path, (stat.st_atime, stat.st_mtime + 5))
    assert registry.reload_if_changed()
    assert registry.current.get("BIG").score == 10


def test_the_service_watcher_reloads_changed_rules_while_decisions_continue(tmp_path):
    import os
    import time

    from bayfin.antifraud.service import FraudService
    from bayfin.antifraud.settings import FraudSettings

    directory = write_rules(tmp_path / "r", BIG)
    service = FraudService.build(FraudSettings(rules_dir=directory, reload_seconds=0.05))
    try:
        before = service.decide(event(1, amount_fen=200_000))
        path = directory / "test.yaml"
        path.write_text(path.read_text().replace("score: 60", "score: 95"))
        os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 5))
        deadline, n = time.monotonic() + 10, 2
        while service.engine.rules.current.version == before.ruleset_version and time.monotonic() < deadline:
            service.decide(event(n, amount_fen=200_000))
            n += 1
            time.sleep(0.01)
        after = service.decide(event(n + 1, amount_fen=200_000))
        assert before.score == 60 and after.score == 95 and after.outcome is Outcome.BLOCK
    finally:
        service.close()
