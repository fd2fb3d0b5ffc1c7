from datetime import timedelta

from bayfin.antifraud.engine.features import FEATURE_DEFAULTS, FeatureComputer
from bayfin.antifraud.engine.state import InMemoryStateStore
from tests.antifraud_events import BEIJING, GUANGZHOU, event, history


class Runner:
    """Feeds events through the feature code with an in-memory store, as the engine does."""

    def __init__(self):
        self.store = InMemoryStateStore()
        self.computer = FeatureComputer()

    def __call__(self, e):
        return self.computer.process(e, self.store)


def test_every_feature_is_produced_and_no_other():
    assert set(Runner()(event())) == set(FEATURE_DEFAULTS)


def test_sliding_windows_count_and_sum_the_customers_outflows():
    run = Runner()
    for n in range(4):
        f = run(event(n, minutes=n))
    assert (f["cust_out_count_5m"], f["cust_out_count_1h"], f["cust_out_sum_1h_yuan"]) == (4, 4, 2000)
    f = run(event(10, minutes=120))
    assert f["cust_out_count_5m"] == 1 and f["cust_out_count_1h"] == 1 and f["cust_out_count_24h"] == 5
    f = run(event(11, minutes=60 * 25))
    assert f["cust_out_count_24h"] == 2  # the first four fell out of the 24-hour window
    assert f["cust_out_count_7d"] == 6 and f["cust_out_sum_30d_yuan"] == 3000


def test_non_monetary_operations_do_not_count_as_outflows():
    run = Runner()
    f = run(event(0, type="mobile.profile.password_change", amount_fen=0, beneficiary=None))
    assert f["cust_out_count_1h"] == 0 and not f["is_outflow"] and f["sensitive_op"]


def test_first_seen_flags_for_device_payee_city_channel_and_ip():
    run = Runner()
    for e in history(days=3):
        run(e)
    f = run(event(1))
    assert not any(f[k] for k in ("cust_new_device", "cust_new_beneficiary", "cust_new_city",
                                  "cust_new_channel", "cust_new_ip"))
    f = run(event(2, device={"fingerprint": "phone-2"}, beneficiary={"account": "x", "bank_code": "CCB"},
                  network={"ip": "8.8.8.8"}, location={"gps": BEIJING}))
    assert all(f[k] for k in ("cust_new_device", "cust_new_beneficiary", "cust_new_city", "cust_new_ip"))
    f = run(event(3, channel="online", type="online.transfer.inter_bank"))
    assert f["cust_new_channel"]


def test_geo_velocity_flags_impossible_travel_but_not_a_plane_trip():
    run = Runner()
    run(event(0, location={"gps": GUANGZHOU}))
    f = run(event(1, minutes=30, location={"gps": BEIJING}))
    assert f["km_from_last"] > 1800 and f["impossible_travel"]
    run2 = Runner()
    run2(event(0, location={"gps": GUANGZHOU}))
    f = run2(event(1, minutes=240, location={"gps": BEIJING}))
    assert not f["impossible_travel"]


def test_amount_hour_and_channel_habits_are_learned_from_the_customer():
    run = Runner()
    for e in history(days=10):
        run(e)
    usual = run(event(1))
    assert usual["amount_to_avg_ratio"] == 1.0 and abs(usual["amount_zscore"]) < 1
    assert usual["hour_share"] > 0.5 and not usual["unusual_hour"] and usual["channel_share"] == 1.0
    odd = run(event(2, amount_fen=5_000_000, minutes=60 * 16))  # 02:00 local, 100 times the usual
    assert odd["amount_to_avg_ratio"] >= 99 and odd["amount_zscore"] > 3 and odd["unusual_hour"]


def test_a_device_shared_by_many_customers_is_counted():
    run = Runner()
    for k in range(4):
        f = run(event(k, customer_id=f"c{k}", account_id=f"a{k}", device={"fingerprint": "farm-phone"}))
    assert f["dev_customers_24h"] == 4 and f["dev_customers_30d"] == 4


def test_a_beneficiary_receiving_from_many_new_payers_is_counted():
    run = Runner()
    for k in range(5):
        f = run(event(k, customer_id=f"victim{k}", account_id=f"va{k}",
                      beneficiary={"account": "mule-9", "bank_code": "ABC"}))
    assert f["ben_payers_24h"] == 5 and f["ben_new_payers_24h"] == 5 and f["ben_in_sum_24h_yuan"] == 2500


def test_pass_through_ratio_of_an_account_that_forwards_its_credits():
    run = Runner()
    for k in range(3):
        run(event(k, type="mobile.incoming.credit_received", amount_fen=1_000_000,
                  beneficiary={"account": f"payer{k}", "bank_code": "CCB"}))
    f = run(event(5, amount_fen=2_900_000))
    assert f["acct_in_payers_24h"] == 3 and f["acct_in_sum_24h_yuan"] == 30_000
    assert f["passthrough_ratio"] == 0.97 and f["minutes_since_last_credit"] == 3


def test_recency_of_security_operations():
    run = Runner()
    run(event(0, type="mobile.profile.password_change", amount_fen=0, beneficiary=None))
    run(event(1, type="mobile.limits.daily_limit_raise", amount_fen=0, beneficiary=None, minutes=10))
    f = run(event(2, minutes=25))
    assert f["minutes_since_password_change"] == 25 and f["minutes_since_limit_raise"] == 15
    assert f["minutes_since_phone_change"] is None


def test_card_testing_counts_small_payments_and_cards_per_ip_and_merchant():
    run = Runner()
    for k in range(6):
        f = run(event(k, channel="online", type="online.card.cnp_ecommerce", amount_fen=100, beneficiary=None,
                      customer_id=f"c{k}", account_id=f"a{k}", network={"ip": "6.6.6.6"},
                      card={"pan_hash": f"card{k}", "present": False, "merchant_id": "shop-1"}))
    assert f["ip_cards_1h"] == 6 and f["mer_cards_1h"] == 6 and f["mer_small_count_1h"] == 6
    assert f["card_cnp"] and not f["three_ds"]


def test_the_offline_stream_gives_the_features_the_engine_decided_on():
    from bayfin.antifraud.engine.engine import DecisionEngine
    from bayfin.antifraud.engine.ruleset import RuleRegistry, load_ruleset

    events = history(days=3) + [event(n, minutes=n * 7, amount_fen=n * 90_000) for n in range(5)]
    engine = DecisionEngine(RuleRegistry(load_ruleset()))
    online = [engine.decide(e).features for e in events]
    offline = list(FeatureComputer().stream(events, InMemoryStateStore()))
    assert online == offline


def test_old_history_expires_after_thirty_days():
    run = Runner()
    run(event(0, device={"fingerprint": "old-phone"}))
    later = int(timedelta(days=31).total_seconds() // 60)
    f = run(event(1, minutes=later, device={"fingerprint": "old-phone"}))
    assert f["cust_new_device"] and f["cust_out_sum_30d_yuan"] == 500
