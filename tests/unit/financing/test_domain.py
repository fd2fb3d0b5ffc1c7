"""The application state machine, the service window in working days, and the statistics (pure)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from bayfin.financing import domain as d
from bayfin.financing.config import DEFAULT_HOLIDAYS, FinancingConfig
from bayfin.financing.settings import FinancingSettings

S, P = d.ApplicationState, d.Party
OFFER = d.TransitionTerms(amount_fen=1_000_000, rate=Decimal("0.045"), term_months=12)


def test_the_happy_path_runs_from_submission_to_repayment():
    state = S.submitted
    for target in ("accepted", "under_review", "offered", "approved", "disbursed", "overdue", "repaid"):
        state = d.check_transition(state, target, P.institution, OFFER)
    assert state is S.repaid and state in d.FINAL


@pytest.mark.parametrize("state", [S.submitted, S.accepted, S.under_review, S.offered])
def test_the_enterprise_may_withdraw_before_a_decision(state):
    assert d.check_transition(state, "withdrawn", P.enterprise, d.TransitionTerms()) is S.withdrawn
    assert d.allowed_next(state, P.enterprise) == ["withdrawn"]


@pytest.mark.parametrize("state", [S.approved, S.rejected, S.disbursed, S.repaid, S.written_off])
def test_nobody_withdraws_after_a_decision(state):
    with pytest.raises(d.IllegalTransition) as refused:
        d.check_transition(state, "withdrawn", P.enterprise, d.TransitionTerms())
    assert refused.value.current is state and refused.value.allowed == []


def test_a_refusal_names_the_moves_the_party_may_make():
    with pytest.raises(d.IllegalTransition) as refused:
        d.check_transition(S.disbursed, "approved", P.institution, OFFER)
    assert refused.value.allowed == ["repaid", "overdue", "written_off"]


def test_the_bank_may_not_withdraw_and_the_enterprise_may_not_decide():
    with pytest.raises(d.IllegalTransition, match="only the enterprise"):
        d.check_transition(S.submitted, "withdrawn", P.institution, d.TransitionTerms())
    with pytest.raises(d.IllegalTransition, match="only the institution"):
        d.check_transition(S.offered, "approved", P.enterprise, OFFER)


def test_overdue_loans_end_repaid_or_written_off_and_nothing_leaves_the_final_states():
    assert d.allowed_next(S.overdue) == ["repaid", "written_off"]
    assert {S.rejected, S.withdrawn, S.repaid, S.written_off} == d.FINAL


@pytest.mark.parametrize("terms", [
    d.TransitionTerms(), d.TransitionTerms(amount_fen=1, rate=Decimal("0.04")),
    d.TransitionTerms(amount_fen=0, rate=Decimal("0.04"), term_months=1),
    d.TransitionTerms(amount_fen=1, rate=Decimal("1.2"), term_months=1)])
def test_approvals_need_a_positive_amount_a_rate_and_a_term(terms):
    with pytest.raises(ValueError):
        d.check_transition(S.offered, "approved", P.institution, terms)


def test_a_rejection_needs_a_reason():
    with pytest.raises(ValueError):
        d.check_transition(S.accepted, "rejected", P.institution, d.TransitionTerms(reason=" "))
    assert d.check_transition(S.accepted, "rejected", P.institution,
                              d.TransitionTerms(reason="thin file")) is S.rejected


def test_five_working_days_skip_the_weekend():
    friday = datetime(2026, 3, 6, 7, 0, tzinfo=UTC)  # 15:00 in Guangzhou
    assert d.service_due_at(friday, frozenset()) == datetime(2026, 3, 13, 7, 0, tzinfo=UTC)


def test_five_working_days_skip_public_holidays():
    before_labour_day = datetime(2026, 4, 30, 2, 0, tzinfo=UTC)  # Thursday
    due = d.service_due_at(before_labour_day, DEFAULT_HOLIDAYS)
    # 1–5 May are holidays (Fri–Tue), 2–3 May a weekend anyway: working days 6, 7, 8, 11, 12 May.
    assert due == datetime(2026, 5, 12, 2, 0, tzinfo=UTC)


def test_a_weekend_submission_gives_the_bank_five_full_working_days_from_monday():
    saturday_local = datetime(2026, 3, 6, 17, 0, tzinfo=UTC)  # Saturday 01:00 in Guangzhou
    monday_midnight_local = datetime(2026, 3, 15, 16, 0, tzinfo=UTC)  # after Friday the 13th ends
    assert d.service_due_at(saturday_local, frozenset()) == monday_midnight_local


def test_the_window_status_follows_the_clock_until_the_bank_responds():
    due = datetime(2026, 3, 13, 7, 0, tzinfo=UTC)
    assert d.window_status(S.submitted, None, due, due - timedelta(days=3)) is d.WindowStatus.on_time
    assert d.window_status(S.submitted, None, due, due - timedelta(hours=3)) is d.WindowStatus.due_soon
    assert d.window_status(S.submitted, None, due, due + timedelta(seconds=1)) is d.WindowStatus.breached
    assert d.window_status(S.accepted, due, due, due + timedelta(days=9)) is d.WindowStatus.responded
    assert d.window_status(S.withdrawn, None, due, due + timedelta(days=9)) is d.WindowStatus.responded


def test_the_holiday_calendar_and_window_come_from_the_environment_when_set(monkeypatch):
    monkeypatch.setenv("BAYFIN_FINANCING_HOLIDAYS", "2026-03-09, 2026-03-10")
    monkeypatch.setenv("BAYFIN_FINANCING_SERVICE_DAYS", "3")
    config = FinancingConfig.from_settings(FinancingSettings())
    assert config.holidays == {date(2026, 3, 9), date(2026, 3, 10)} and config.service_window_days == 3
    monkeypatch.delenv("BAYFIN_FINANCING_HOLIDAYS")
    monkeypatch.delenv("BAYFIN_FINANCING_SERVICE_DAYS")
    assert FinancingConfig.from_settings(FinancingSettings()).holidays == DEFAULT_HOLIDAYS
    with pytest.raises(ValidationError, match="next tuesday"):
        FinancingSettings(holidays="next tuesday")
    with pytest.raises(ValidationError):
        FinancingSettings(service_days=0)


@pytest.mark.parametrize(("variable", "value"), [("BAYFIN_FINANCING_HOLIDAYS", "next tuesday"),
                                                 ("BAYFIN_FINANCING_SERVICE_DAYS", "0")])
def test_a_bad_calendar_or_window_refuses_to_start_naming_the_variable(monkeypatch, variable, value):
    from bayfin.bootstrap import SettingsInvalid, load_settings

    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsInvalid, match=variable):
        load_settings()


def _financing(app, code, city, amount, institution="BANK-A", kind="credit"):
    return d.Financing(app, code, city, "C39", institution, kind, amount, datetime(2026, 1, 1, tzinfo=UTC))


def test_statistics_break_financings_down_and_count_each_firms_first_financing_once():
    financings = [_financing("a1", "F1", "440100", 100), _financing("a2", "F1", "440100", 50, "BANK-B"),
                  _financing("a3", "F2", None, 70, kind="guarantee")]
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    decided = [d.Decided(t0, t0 + timedelta(hours=2)), d.Decided(t0, t0 + timedelta(hours=5))]
    s = d.statistics(registered_enterprises=2, demands=4, open_demands=1, applications=5,
                     financings=financings, decided=decided)
    assert (s["financings"], s["financed_amount_fen"]) == (3, 220)
    assert (s["first_time_borrowers"], s["first_time_borrower_share"]) == (2, 0.666667)
    assert s["average_hours_to_decision"] == 3.5
    assert s["by_city"] == [{"key": "440100", "financings": 2, "amount_fen": 150},
                            {"key": "unknown", "financings": 1, "amount_fen": 70}]
    assert s["by_institution"] == [{"key": "BANK-A", "financings": 2, "amount_fen": 170},
                                   {"key": "BANK-B", "financings": 1, "amount_fen": 50}]


def test_statistics_give_a_monthly_trend_in_china_time_with_empty_months_filled():
    def on(when, amount):
        return d.Financing("a", "F1", "440100", "C39", "BANK-A", "credit", amount, when)

    financings = [on(datetime(2026, 1, 10, tzinfo=UTC), 100),
                  on(datetime(2026, 1, 31, 20, tzinfo=UTC), 40),  # 1 February 04:00 in Guangzhou
                  on(datetime(2026, 4, 2, tzinfo=UTC), 7)]
    s = d.statistics(registered_enterprises=1, demands=3, open_demands=0, applications=3,
                     financings=financings, decided=[])
    assert s["by_month"] == [{"key": "2026-01", "financings": 1, "amount_fen": 100},
                             {"key": "2026-02", "financings": 1, "amount_fen": 40},
                             {"key": "2026-03", "financings": 0, "amount_fen": 0},
                             {"key": "2026-04", "financings": 1, "amount_fen": 7}]
    assert sum(m["amount_fen"] for m in s["by_month"]) == s["financed_amount_fen"]
    empty = d.statistics(registered_enterprises=0, demands=0, open_demands=0, applications=0,
                         financings=[], decided=[])
    assert empty["by_month"] == []
