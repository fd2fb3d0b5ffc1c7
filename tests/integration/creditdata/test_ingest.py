"""Ingesting deliveries into the hub: nothing lost, idempotent, corrections with history, point in time."""

from datetime import date

import pytest
from sqlalchemy import func, select

from bayfin.creditdata.mapping import load_mapping
from bayfin.creditdata.models import DeliveryBatch, QuarantinedRow, RegistrationInformation, TaxPayment
from bayfin.creditdata.service import enterprise_record, hub_status, ingest_file
from bayfin.kernel.errors import NotFound
from tests.integration.creditdata.deliveries import (
    REG_HEADER,
    TAX_REGION_HEADER,
    code,
    reg_line,
    tax_line,
    write,
)

REG = load_mapping("amr_registration")
TAX = load_mapping("tax_region")


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_every_input_row_ends_stored_or_quarantined_with_where_it_came_from(session, tmp_path):
    path = write(
        tmp_path / "reg.csv",
        REG_HEADER,
        [
            reg_line(1),
            reg_line(2),
            reg_line(3, capital="abc"),
            reg_line(4, status="失联"),
            "only,three,fields",
        ],
    )
    report = ingest_file(session, path, REG, date(2023, 1, 10))
    c = report.counts
    assert (c.rows_in, c.stored, c.updated, c.unchanged, c.quarantined) == (5, 2, 0, 0, 3)
    assert c.reconciles
    rows = session.scalars(select(QuarantinedRow).order_by(QuarantinedRow.row_number)).all()
    assert [(q.row_number, q.reason) for q in rows] == [
        (3, "invalid_amount"),
        (4, "unknown_code"),
        (5, "malformed_row"),
    ]
    assert all(q.batch_id == report.batch_id and q.source == "amr_registration" for q in rows)
    assert rows[2].raw == "only,three,fields"
    stored = session.scalars(select(RegistrationInformation)).all()
    assert {(r.source, r.batch_id, r.as_of) for r in stored} == {
        ("amr_registration", report.batch_id, date(2023, 1, 10))
    }


def test_ingesting_the_same_file_again_changes_nothing(session, tmp_path):
    path = write(tmp_path / "reg.csv", REG_HEADER, [reg_line(1), reg_line(2), reg_line(3, capital="-1")])
    first = ingest_file(session, path, REG, date(2023, 1, 10))
    before = (
        count(session, RegistrationInformation),
        count(session, QuarantinedRow),
        count(session, DeliveryBatch),
    )
    again = ingest_file(session, path, REG, date(2023, 1, 10))
    assert again.already_ingested and again.batch_id == first.batch_id
    assert (
        count(session, RegistrationInformation),
        count(session, QuarantinedRow),
        count(session, DeliveryBatch),
    ) == before


def test_the_same_rows_in_a_new_delivery_count_as_unchanged(session, tmp_path):
    ingest_file(
        session, write(tmp_path / "a.csv", REG_HEADER, [reg_line(1), reg_line(2)]), REG, date(2023, 1, 10)
    )
    second = ingest_file(
        session,
        write(tmp_path / "b.csv", REG_HEADER, [reg_line(2), reg_line(1), reg_line(3)]),
        REG,
        date(2023, 7, 10),
    )
    assert (second.counts.stored, second.counts.updated, second.counts.unchanged) == (1, 0, 2)
    assert count(session, RegistrationInformation) == 3


def test_a_correction_supersedes_the_old_value_and_keeps_it_as_history(session, tmp_path):
    ingest_file(
        session, write(tmp_path / "a.csv", REG_HEADER, [reg_line(1, capital="100")]), REG, date(2023, 1, 10)
    )
    fix = ingest_file(
        session, write(tmp_path / "b.csv", REG_HEADER, [reg_line(1, capital="250")]), REG, date(2024, 1, 10)
    )
    assert (fix.counts.updated, fix.counts.stored) == (1, 0)
    now = enterprise_record(session, code(1))
    assert now["registration"]["values"]["registered_capital_fen"] == 250 * 1_000_000
    history = enterprise_record(session, code(1), history=True)["domains"]["registration"]
    assert [(h["values"]["registered_capital_fen"], h["replaced_on"]) for h in history] == [
        (100_000_000, date(2024, 1, 10)),
        (250_000_000, None),
    ]


def test_a_delivery_older_than_the_current_data_slots_into_history_instead_of_replacing_it(
    session, tmp_path
):
    """Departments re-send old months: a file as of an earlier date must not overwrite newer data."""
    def deliver(name, as_of, *lines):
        return ingest_file(session, write(tmp_path / name, REG_HEADER, list(lines)), REG, as_of)

    deliver("jan.csv", date(2023, 1, 10), reg_line(1, capital="100"))
    deliver("jul.csv", date(2023, 7, 10), reg_line(1, capital="300"), reg_line(2, capital="70"))
    late = deliver("apr.csv", date(2023, 4, 10), reg_line(1, capital="200"), reg_line(2, capital="50"),
                   reg_line(3, capital="10"))
    c = late.counts
    assert (c.stored, c.updated, c.unchanged) == (2, 1, 0) and c.reconciles  # 2 and 3 new, 1 corrected

    def capital(n, as_of=None):
        return enterprise_record(session, code(n), as_of=as_of)["registration"]["values"][
            "registered_capital_fen"] // 1_000_000

    assert capital(1) == 300 and capital(2) == 70 and capital(3) == 10  # the current data is July's
    assert [capital(1, date(2023, m, 15)) for m in (2, 5, 8)] == [100, 200, 300]
    assert capital(2, date(2023, 5, 1)) == 50
    history = enterprise_record(session, code(1), history=True)["domains"]["registration"]
    assert sorted((h["as_of"], h["replaced_on"]) for h in history) == [
        (date(2023, 1, 10), date(2023, 4, 10)),
        (date(2023, 4, 10), date(2023, 7, 10)),
        (date(2023, 7, 10), None),
    ]
    history_2 = enterprise_record(session, code(2), history=True)["domains"]["registration"]
    assert sorted((h["as_of"], h["replaced_on"]) for h in history_2) == [
        (date(2023, 4, 10), date(2023, 7, 10)),  # known from April, until July's value came in force
        (date(2023, 7, 10), None),
    ]
    again = deliver("apr-resent.csv", date(2023, 4, 20), reg_line(1, capital="200"))
    assert again.counts.unchanged == 1  # compared with the row in force then, not with July's


def test_reading_every_record_type_at_once_gives_the_rows_of_reading_them_one_by_one(session, tmp_path):
    """On PostgreSQL the record is read in one pipelined round trip: the same rows, values, types and
    attribute names as one query per record type, in every read mode."""
    from bayfin.creditdata import repository as repo
    from bayfin.creditdata.domain import RECORD_TYPES

    ingest_file(session, write(tmp_path / "a.csv", REG_HEADER, [reg_line(1, capital="100")]), REG,
                date(2023, 1, 10))
    ingest_file(session, write(tmp_path / "b.csv", REG_HEADER, [reg_line(1, capital="250")]), REG,
                date(2024, 1, 10))
    tax = [tax_line(code(1), period="2024年1月")]
    ingest_file(session, write(tmp_path / "t.csv", TAX_REGION_HEADER, tax), TAX, date(2024, 7, 15))
    for as_of, history in ((None, False), (date(2023, 6, 30), False), (None, True)):
        together = repo.facts_of_all(session, list(RECORD_TYPES), code(1), as_of, history)
        for name in RECORD_TYPES:
            alone = repo.facts_of(session, name, code(1), as_of, history)
            assert [r._asdict() for r in together[name]] == [r._asdict() for r in alone], (name, as_of)
            assert [type(v) for r in together[name] for v in r] == [type(v) for r in alone for v in r]
        # history: both registrations and the tax row; now: one of each; mid-2023: the first registration
        assert sum(map(len, together.values())) == (3 if history else 2 if as_of is None else 1)


def test_a_point_in_time_read_shows_only_what_was_known_then(session, tmp_path):
    ingest_file(
        session, write(tmp_path / "a.csv", REG_HEADER, [reg_line(1, capital="100")]), REG, date(2023, 1, 10)
    )
    ingest_file(
        session,
        write(tmp_path / "b.csv", REG_HEADER, [reg_line(1, capital="250", status="吊销")]),
        REG,
        date(2024, 1, 10),
    )
    ingest_file(
        session,
        write(tmp_path / "t.csv", TAX_REGION_HEADER, [tax_line(code(1), period="2024年1月")]),
        TAX,
        date(2024, 7, 15),
    )
    mid = enterprise_record(session, code(1), as_of=date(2023, 6, 30))
    assert mid["registration"]["values"]["status"] == "active"
    assert mid["domains"]["tax_payment"] == []
    late = enterprise_record(session, code(1), as_of=date(2024, 8, 1))
    assert late["registration"]["values"]["status"] == "revoked"
    assert [t["record_key"] for t in late["domains"]["tax_payment"]] == ["2024-01"]
    with pytest.raises(NotFound):
        enterprise_record(session, code(1), as_of=date(2022, 12, 31))


def test_name_only_rows_resolve_through_registration_and_unknown_or_ambiguous_names_are_quarantined(
    session, tmp_path
):
    ingest_file(
        session,
        write(
            tmp_path / "r.csv",
            REG_HEADER,
            [
                reg_line(1, name="独一无二有限公司"),
                reg_line(2, name="同名有限公司"),
                reg_line(3, name="同名有限公司"),
            ],
        ),
        REG,
        date(2023, 1, 10),
    )
    report = ingest_file(
        session,
        write(
            tmp_path / "t.csv",
            TAX_REGION_HEADER,
            [
                tax_line("", "独一无二有限公司"),
                tax_line("", "同名有限公司"),
                tax_line("", "查无此名有限公司"),
            ],
        ),
        TAX,
        date(2024, 7, 15),
    )
    assert (report.counts.stored, report.counts.quarantined) == (1, 2)
    assert session.scalars(select(TaxPayment.credit_code)).all() == [code(1)]
    reasons = dict(
        session.execute(
            select(QuarantinedRow.row_number, QuarantinedRow.reason).where(
                QuarantinedRow.batch_id == report.batch_id
            )
        ).all()
    )
    assert reasons == {2: "ambiguous_name", 3: "unknown_name"}


def test_a_second_row_for_the_same_record_in_one_delivery_is_quarantined_as_a_duplicate(session, tmp_path):
    report = ingest_file(
        session,
        write(
            tmp_path / "t.csv", TAX_REGION_HEADER, [tax_line(code(1), paid="1"), tax_line(code(1), paid="2")]
        ),
        TAX,
        date(2024, 7, 15),
    )
    assert (report.counts.stored, report.counts.quarantined) == (1, 1)
    assert session.scalar(select(QuarantinedRow.reason)) == "duplicate_in_batch"


def test_status_reports_each_batch_and_the_counts_reconcile(session, tmp_path):
    ingest_file(
        session,
        write(tmp_path / "r.csv", REG_HEADER, [reg_line(1), reg_line(2, capital="x")]),
        REG,
        date(2023, 1, 10),
    )
    ingest_file(
        session, write(tmp_path / "t.csv", TAX_REGION_HEADER, [tax_line(code(1))]), TAX, date(2024, 7, 15)
    )
    status = hub_status(session)
    assert status["totals"]["batches"] == 2 and status["quarantine_by_reason"] == {"invalid_amount": 1}
    for b in status["batches"]:
        assert b["rows_in"] == b["stored"] + b["updated"] + b["unchanged"] + b["quarantined"]


def _customs_xml(n_records, *, cut_in_record=None):
    """A customs XML delivery of firms 1..n; ``cut_in_record`` ends the bytes inside that record."""
    items = "".join(f"<IMP_{i}>1</IMP_{i}><EXP_{i}>2.5</EXP_{i}>" for i in range(1, 7))
    records = [f"<RECORD><USCC>{code(k)}</USCC><ENT_NAME>企业{k}</ENT_NAME><PERIOD>202401</PERIOD>"
               f"<CREDIT_LEVEL>一般信用企业</CREDIT_LEVEL>{items}</RECORD>" for k in range(1, n_records + 1)]
    text = "<?xml version='1.0' encoding='UTF-8'?><DATA>\n" + "\n".join(records) + "\n</DATA>"
    if cut_in_record is not None:
        text = text[:text.index(records[cut_in_record - 1]) + 40]
    return text.encode()


def test_an_xml_delivery_that_breaks_off_keeps_the_records_before_and_quarantines_the_rest(session, tmp_path):
    customs = load_mapping("customs")
    reg_lines = [reg_line(k) for k in range(1, 6)]
    ingest_file(session, write(tmp_path / "r.csv", REG_HEADER, reg_lines), REG, date(2024, 1, 5))
    cut = tmp_path / "customs-cut.xml"
    cut.write_bytes(_customs_xml(5, cut_in_record=4))
    report = ingest_file(session, cut, customs, date(2024, 2, 1))
    c = report.counts
    assert (c.rows_in, c.stored, c.quarantined) == (4, 3, 1) and c.reconciles
    q = session.scalars(select(QuarantinedRow).where(QuarantinedRow.batch_id == report.batch_id)).one()
    assert q.reason == "malformed_row" and q.row_number == 4
    assert "not well-formed from line" in q.message and "3 records before it were read" in q.message
    assert q.raw.startswith("<RECORD><USCC>" + code(4))  # the unread rest, whole
    whole = tmp_path / "customs.xml"
    whole.write_bytes(_customs_xml(5))
    again = ingest_file(session, whole, customs, date(2024, 2, 1))
    assert (again.counts.stored, again.counts.unchanged) == (2, 3)  # the re-sent file completes it


def test_an_xml_document_with_no_readable_record_is_refused_whole(session, tmp_path):
    from bayfin.kernel.errors import ValidationFailed

    broken = tmp_path / "customs.xml"
    broken.write_bytes(b"<?xml version='1.0'?><DATA><RECORD><USCC>")
    with pytest.raises(ValidationFailed, match="not well-formed"):
        ingest_file(session, broken, load_mapping("customs"), date(2024, 2, 1))
