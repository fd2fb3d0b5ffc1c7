"""Thirty of the shipped rule conditions written by hand as plain Python, the baseline the compiled
rule language is measured against in ``fraud_decide.py`` (same conditions, same unknown-is-false
semantics for features that may be None)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

RULE_IDS = (
    "ATO-005",
    "ATO-006",
    "ATO-008",
    "ATO-009",
    "ATO-012",
    "ATO-013",
    "ATO-014",
    "ATO-018",
    "ATO-023",
    "ATO-024",
    "CASH-001",
    "CNP-001",
    "CNP-005",
    "CNP-013",
    "LIM-006",
    "MULE-001",
    "MULE-002",
    "MULE-004",
    "MULE-008",
    "MULE-010",
    "MULE-017",
    "SCAM-001",
    "SCAM-004",
    "SCAM-006",
    "SCAM-008",
    "SCAM-009",
    "SCAM-010",
    "SCAM-012",
    "SIM-001",
    "SIM-005",
)


def evaluate(f: Mapping[str, Any]) -> list[int]:
    """Indices (into RULE_IDS) of the rules whose condition holds."""
    hits = []
    out = f["is_outflow"]
    amount = f["amount_yuan"]
    new_device = f["cust_new_device"]
    new_payee = f["cust_new_beneficiary"]
    pwd = f["minutes_since_password_change"]
    phone = f["minutes_since_phone_change"]
    if out and new_device and pwd is not None and pwd < 60:
        hits.append(0)
    if out and amount >= 1000 and new_device and phone is not None and phone < 1440:
        hits.append(1)
    if out and f["cust_login_fail_1h"] >= 3:
        hits.append(2)
    if out and f["cust_login_fail_1h"] >= 5:
        hits.append(3)
    if out and f["impossible_travel"]:
        hits.append(4)
    if out and f["cust_new_city"] and new_device and amount >= 5000:
        hits.append(5)
    if out and f["device_emulator"]:
        hits.append(6)
    if f["ip_foreign"] and new_device and amount >= 1000:
        hits.append(7)
    if out and new_device and f["cust_out_sum_1h_yuan"] >= 50000:
        hits.append(8)
    ratio = f["amount_to_max_ratio"]
    if new_device and ratio is not None and ratio >= 5:
        hits.append(9)
    if f["cust_cash_count_24h"] >= 5:
        hits.append(10)
    cnp = f["card_cnp"]
    if cnp and f["card_small_count_1h"] >= 5:
        hits.append(11)
    if cnp and not f["three_ds"] and amount >= 5000:
        hits.append(12)
    enabled = f["minutes_since_cnp_enable"]
    if cnp and enabled is not None and enabled < 60 and amount >= 2000:
        hits.append(13)
    if out and f["cust_out_count_5m"] >= 4:
        hits.append(14)
    passthrough = f["passthrough_ratio"]
    if out and passthrough is not None and passthrough >= 0.8 and f["acct_in_sum_24h_yuan"] >= 10000:
        hits.append(15)
    if out and f["acct_in_payers_24h"] >= 5:
        hits.append(16)
    credit = f["minutes_since_last_credit"]
    if out and credit is not None and credit < 15 and passthrough is not None and passthrough >= 0.9:
        hits.append(17)
    if out and f["acct_age_days"] < 7 and f["acct_in_sum_24h_yuan"] >= 50000:
        hits.append(18)
    if out and f["dev_customers_24h"] >= 3:
        hits.append(19)
    if 45000 <= amount < 50000 and f["cust_out_count_24h"] >= 3:
        hits.append(20)
    on_call = f["on_call"]
    if on_call and amount >= 5000:
        hits.append(21)
    sharing = f["screen_sharing"]
    if out and sharing:
        hits.append(22)
    if out and on_call and sharing:
        hits.append(23)
    if new_payee and amount >= 50000 and f["ben_age_days"] < 7:
        hits.append(24)
    if new_payee and ratio is not None and ratio >= 3 and amount >= 10000:
        hits.append(25)
    if new_payee and f["ben_payers_24h"] >= 5:
        hits.append(26)
    z = f["amount_zscore"]
    if new_payee and z is not None and z >= 3:
        hits.append(27)
    sim = f["sim_age_hours"]
    if out and sim is not None and sim < 24 and amount >= 1000:
        hits.append(28)
    if out and phone is not None and phone < 60 and amount >= 1000:
        hits.append(29)
    return hits
