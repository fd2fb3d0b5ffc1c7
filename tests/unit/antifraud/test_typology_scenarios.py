"""Each typology, end to end through features and the shipped rules: a fraud that fires, a look-alike
honest case that does not."""

import pytest

from bayfin.antifraud.engine.engine import DecisionEngine
from bayfin.antifraud.engine.ruleset import Outcome, RuleRegistry, load_ruleset
from tests.antifraud_events import event, history

RULES = load_ruleset()


@pytest.fixture
def engine():
    e = DecisionEngine(RuleRegistry(RULES))
    for past in history(days=20):
        e.decide(past)
    return e


def typologies(decision):
    return {h.typology for h in decision.hits}


def no_payee():
    return {"amount_fen": 0, "beneficiary": None}


def test_account_takeover_fires_on_failed_logins_password_reset_and_drain_from_a_new_device(engine):
    new_device = {"device": {"fingerprint": "attacker-phone"},
                  "network": {"ip": "45.1.1.1", "datacentre": True}}
    for n in range(3):
        engine.decide(event(n, type="mobile.auth.login_failed", **no_payee(), **new_device))
    engine.decide(event(4, type="mobile.profile.password_reset", **no_payee(), **new_device))
    d = engine.decide(event(6, amount_fen=3_000_000, beneficiary={"account": "drop-1", "bank_code": "CMB"},
                            **new_device))
    assert "account_takeover" in typologies(d) and d.outcome is Outcome.BLOCK
    assert d.amount_protected_fen == 3_000_000


def test_account_takeover_stays_quiet_on_the_customers_usual_transfer(engine):
    d = engine.decide(event(1))
    assert "account_takeover" not in typologies(d) and d.outcome is Outcome.ALLOW


def test_telecom_scam_fires_on_a_coached_transfer_to_a_new_payee(engine):
    d = engine.decide(event(1, amount_fen=6_000_000, beneficiary={"account": "safe-acct", "bank_code": "CCB"},
                            behaviour={"on_call": True, "screen_sharing": True, "session_seconds": 2500}))
    assert "telecom_scam" in typologies(d) and d.outcome is Outcome.BLOCK


def test_telecom_scam_stays_quiet_on_a_large_transfer_to_a_known_payee_without_a_call(engine):
    d = engine.decide(event(1, amount_fen=6_000_000))
    assert "telecom_scam" not in typologies(d)


def cnp(n, card, amount_fen, **extra):
    return event(n, channel="online", type="online.card.cnp_ecommerce", amount_fen=amount_fen,
                 beneficiary=None,
                 network={"ip": "77.7.7.7"}, card={"pan_hash": card, "present": False, "merchant_id": "m-1",
                                                   **extra})


def test_card_not_present_fires_on_card_testing(engine):
    decisions = [engine.decide(cnp(n, "stolen-card", 100)) for n in range(6)]
    assert "card_not_present" in typologies(decisions[-1])
    assert decisions[-1].outcome >= Outcome.REVIEW


def test_card_not_present_stays_quiet_on_two_ordinary_online_purchases(engine):
    decisions = [engine.decide(cnp(n, "my-card", 20_000, three_ds=True)) for n in range(2)]
    assert all("card_not_present" not in typologies(d) for d in decisions)


def test_money_mule_fires_when_credits_from_many_payers_are_forwarded_at_once(engine):
    for k in range(5):
        engine.decide(event(k, type="mobile.incoming.credit_received", amount_fen=1_000_000,
                            beneficiary={"account": f"victim-{k}", "bank_code": "ABC"}))
    d = engine.decide(event(8, amount_fen=4_800_000,
                            beneficiary={"account": "layer-2", "bank_code": "BOCOM"}))
    assert "money_mule" in typologies(d) and d.outcome >= Outcome.REVIEW


def test_money_mule_stays_quiet_on_rent_paid_after_the_salary(engine):
    engine.decide(event(0, type="mobile.incoming.salary_credit", amount_fen=2_000_000,
                        beneficiary={"account": "employer", "bank_code": "ICBC"}))
    d = engine.decide(event(60, amount_fen=50_000))
    assert "money_mule" not in typologies(d)


def test_sim_swap_fires_on_a_payment_hours_after_a_sim_change(engine):
    d = engine.decide(event(1, amount_fen=500_000, network={"ip": "10.1.1.1", "sim_age_hours": 3}))
    assert "sim_swap" in typologies(d) and d.outcome >= Outcome.REVIEW


def test_sim_swap_stays_quiet_with_an_old_sim(engine):
    d = engine.decide(event(1, amount_fen=500_000, network={"ip": "10.1.1.1", "sim_age_hours": 5000}))
    assert "sim_swap" not in typologies(d)


def atm(n, amount_fen):
    return event(n, channel="terminal", type="terminal.cash.atm_withdrawal", amount_fen=amount_fen,
                 beneficiary=None, device=None, network=None, behaviour=None,
                 card={"pan_hash": "debit-1", "terminal_id": "atm-9"})


def test_abnormal_cash_fires_on_a_burst_of_withdrawals(engine):
    decisions = [engine.decide(atm(n * 20, 200_000)) for n in range(6)]
    assert "abnormal_cash" in typologies(decisions[-1])


def test_abnormal_cash_stays_quiet_on_one_withdrawal(engine):
    assert "abnormal_cash" not in typologies(engine.decide(atm(1, 50_000)))


def test_limit_abuse_fires_on_a_large_transfer_right_after_a_limit_raise(engine):
    engine.decide(event(0, type="mobile.limits.daily_limit_raise", **no_payee()))
    d = engine.decide(event(10, amount_fen=8_000_000))
    assert "limit_abuse" in typologies(d)


def test_limit_abuse_stays_quiet_without_a_limit_raise(engine):
    assert "limit_abuse" not in typologies(engine.decide(event(10, amount_fen=8_000_000)))
