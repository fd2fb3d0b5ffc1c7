from datetime import date

from bayfin.creditreport.domain import add_months, clip_record, consented_slice, indicators, monthly, trend


def row(values, as_of=date(2025, 1, 10), source="tax_prd"):
    return {"record_key": "k", "values": values, "source": source, "batch_id": "b1", "row_number": 2,
            "as_of": as_of, "replaced_on": None}


def tax(period, sales, grade="A", arrears=0, as_of=date(2025, 1, 10)):
    return row({"period": period, "credit_grade": grade, "tax_paid_fen": [1] * len(sales),
                "vat_sales_fen": sales, "arrears_fen": arrears}, as_of)


def test_months_add_across_years():
    assert add_months(date(2024, 11, 1), 3) == date(2025, 2, 1)
    assert add_months(date(2024, 1, 1), -1) == date(2023, 12, 1)


def test_series_are_trimmed_to_the_consented_months():
    clipped = clip_record("tax_payment", tax(date(2024, 1, 1), [10, 20, 30, 40, 50, 60]),
                          date(2024, 3, 15), date(2024, 5, 31))
    assert clipped["values"]["period"] == date(2024, 3, 1)
    assert clipped["values"]["vat_sales_fen"] == [30, 40, 50]
    assert clipped["source"] == "tax_prd" and clipped["as_of"] == date(2025, 1, 10)


def test_series_wholly_outside_the_range_disappear():
    assert clip_record("tax_payment", tax(date(2022, 1, 1), [1, 2]), date(2024, 1, 1),
                       date(2024, 12, 31)) is None


def test_dated_records_are_in_or_out_by_their_date():
    case = row({"case_no": "(2024)粤01民初1号", "role": "defendant", "case_kind": "civil_judgment",
                "filed_on": date(2024, 6, 1), "status": "open"}, source="courts")
    assert clip_record("judicial_case", case, date(2024, 1, 1), date(2024, 12, 31)) is not None
    assert clip_record("judicial_case", case, date(2024, 7, 1), date(2024, 12, 31)) is None


def test_later_deliveries_win_where_periods_overlap():
    series = monthly([tax(date(2024, 1, 1), [5, 5], as_of=date(2024, 3, 1)),
                      tax(date(2024, 2, 1), [9], as_of=date(2024, 4, 1))], "vat_sales_fen")
    assert series == {date(2024, 1, 1): 5, date(2024, 2, 1): 9}


def test_revenue_trend_compares_the_last_twelve_months_with_the_twelve_before():
    series = {add_months(date(2023, 1, 1), i): (100 if i < 12 else 130) for i in range(24)}
    t = trend(series, date(2024, 12, 20))
    assert (t.recent, t.previous, str(t.growth), t.direction) == (1560, 1200, "0.3000", "growing")
    assert trend({date(2024, 12, 1): 5}, date(2024, 12, 31)).direction == "insufficient_data"


def _domains():
    return {
        "tax_payment": [tax(date(2024, 1, 1), [100] * 12, grade="B", arrears=5000)],
        "judicial_case": [
            row({"case_no": "1", "role": "defendant", "case_kind": "enforcement", "status": "open",
                 "filed_on": date(2024, 2, 1)}, source="courts"),
            row({"case_no": "2", "role": "defendant", "case_kind": "dishonest_debtor",
                 "status": "open", "filed_on": date(2024, 3, 1)}, source="courts"),
            row({"case_no": "3", "role": "plaintiff", "case_kind": "civil_judgment",
                 "status": "closed", "filed_on": date(2024, 4, 1)}, source="courts")],
        "abnormal_operation": [row({"listed_on": date(2024, 5, 1), "removed_on": None,
                                    "reason": "x", "authority": "y"}, source="amr_abnormal")],
    }


def test_indicators_summarise_tax_litigation_and_abnormal_operation():
    ind = indicators(_domains(), frozenset({"tax", "courts", "registration"}), date(2024, 12, 31))
    assert ind["tax_credit_grade"] == "B" and ind["tax_arrears_fen"] == 5000
    assert ind["litigation_as_defendant"] == 2 and ind["litigation_as_plaintiff"] == 1
    assert ind["enforcement_cases"] == 1 and ind["open_enforcement_cases"] == 1
    assert ind["dishonest_debtor"] is True and ind["abnormal_operation"] is True


def test_no_indicator_leaks_a_category_that_was_not_consented():
    ind = indicators(_domains(), frozenset({"tax"}), date(2024, 12, 31))
    assert set(ind) == {"revenue_trend", "tax_credit_grade", "tax_arrears_fen"}
    sliced = consented_slice({"domains": _domains()}, frozenset({"tax"}), date(2024, 1, 1),
                             date(2024, 12, 31))
    assert set(sliced) == {"tax_payment"}
