"""A crash mid-batch leaves nothing half-written; rerunning completes it. Every delivery format reads."""

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from bayfin import migrations
from bayfin.creditdata.mapping import load_mapping
from bayfin.creditdata.models import (
    DeliveryBatch,
    HousingProvidentFundPayment,
    QuarantinedRow,
    RegistrationInformation,
)
from bayfin.creditdata.service import ingest_file
from bayfin.creditdata.workflows import ingest_directory
from bayfin.kernel.db import make_engine, make_session_factory
from bayfin.kernel.errors import ValidationFailed
from tests.integration.creditdata.deliveries import REG_HEADER, code, reg_line, write

REG = load_mapping("amr_registration")


class Crash(Exception):
    pass


def crash_after_first_chunk(written):
    raise Crash(f"power cut after {written} rows")


def test_an_exception_mid_batch_leaves_no_half_batch_and_a_rerun_completes_without_duplicates(
    platform, tmp_path
):
    path = write(
        tmp_path / "reg.csv", REG_HEADER, [reg_line(n) for n in range(1, 8)] + [reg_line(9, capital="?")]
    )
    with pytest.raises(Crash), platform.unit_of_work() as uow:
        ingest_file(uow.session, path, REG, date(2023, 1, 10), chunk_rows=2, on_chunk=crash_after_first_chunk)
        uow.commit()
    with platform.unit_of_work() as uow:
        s = uow.session
        assert s.scalar(select(func.count()).select_from(RegistrationInformation)) == 0
        assert s.scalar(select(func.count()).select_from(DeliveryBatch)) == 0
        assert s.scalar(select(func.count()).select_from(QuarantinedRow)) == 0
        report = ingest_file(s, path, REG, date(2023, 1, 10), chunk_rows=2)
        uow.commit()
    assert (report.counts.stored, report.counts.quarantined) == (7, 1)
    with platform.unit_of_work() as uow:
        rows = uow.session.scalars(select(RegistrationInformation.credit_code)).all()
    assert sorted(rows) == sorted(code(n) for n in range(1, 8))


KILL_SCRIPT = """
import os, sys
from datetime import date
from pathlib import Path
from bayfin.creditdata.mapping import load_mapping
from bayfin.creditdata.service import ingest_file
from bayfin.kernel.db import make_engine, make_session_factory
from bayfin.kernel.errors import ValidationFailed
session = make_session_factory(make_engine(sys.argv[1]))()
def die(written):
    session.connection().exec_driver_sql("SELECT 1")
    os._exit(9)  # no cleanup, no rollback: as if the process were killed
ingest_file(session, Path(sys.argv[2]), load_mapping("amr_registration"), date(2023, 1, 10),
            chunk_rows=3, on_chunk=die)
session.commit()
"""


def test_a_process_killed_mid_batch_leaves_no_trace_and_the_rerun_completes(tmp_path):
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    engine = make_engine(url)
    migrations.upgrade(engine)
    path = write(tmp_path / "reg.csv", REG_HEADER, [reg_line(n) for n in range(1, 11)])
    killed = subprocess.run([sys.executable, "-c", KILL_SCRIPT, url, str(path)], check=False)
    assert killed.returncode == 9
    with make_session_factory(engine)() as s:
        assert s.scalar(select(func.count()).select_from(RegistrationInformation)) == 0
        report = ingest_file(s, path, REG, date(2023, 1, 10), chunk_rows=3)
        s.commit()
        again = ingest_file(s, path, REG, date(2023, 1, 10))
        assert report.counts.stored == 10 and again.already_ingested
        assert s.scalar(select(func.count()).select_from(RegistrationInformation)) == 10
    engine.dispose()


def test_an_xlsx_delivery_streams_from_its_first_sheet(session, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(
        [
            "单位统一社会信用代码",
            "单位名称",
            "缴存年月起",
            *[f"缴存人数{i}月" for i in range(1, 13)],
            "欠缴金额(元)",
        ]
    )
    ws.append([code(1), "甲", "2023-01", *range(10, 22), 0])
    ws.append([code(2), "乙", "2023-01", *range(10, 21), "十", 0])
    wb.save(tmp_path / "pf.xlsx")
    report = ingest_file(session, tmp_path / "pf.xlsx", load_mapping("provident_fund"), date(2024, 1, 20))
    assert (report.counts.stored, report.counts.quarantined) == (1, 1)
    row = session.scalars(select(HousingProvidentFundPayment)).one()
    assert row.contributors == list(range(10, 22)) and row.period == date(2023, 1, 1)


def _provident_workbook(path, *rows):
    wb = Workbook()
    ws = wb.active
    ws.append(["单位统一社会信用代码", "单位名称", "缴存年月起", *[f"缴存人数{i}月" for i in range(1, 13)],
               "欠缴金额(元)"])
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_an_xlsx_delivery_skips_blank_rows_and_quarantines_a_row_wider_than_its_header(session, tmp_path):
    path = _provident_workbook(
        tmp_path / "pf.xlsx",
        [code(1), "甲", "2023-01", *range(10, 22), 0],
        [],
        [code(2), "乙", "2023-01", *range(10, 22), 0, "stray"],
        [code(3), "丙", date(2023, 2, 1), *range(1, 13), 12.5],
        [code(4), "丁", "2023-02", *range(1, 13), 12.5],
    )
    report = ingest_file(session, path, load_mapping("provident_fund"), date(2024, 1, 20))
    assert (report.counts.rows_in, report.counts.stored, report.counts.quarantined) == (4, 3, 1)
    fund = HousingProvidentFundPayment
    first, third, fourth = session.scalars(select(fund).order_by(fund.credit_code)).all()
    assert first.contributors == list(range(10, 22)) and all(isinstance(v, int) for v in first.contributors)
    # a real date cell reads like the text "2023-02" beside it
    assert (third.period, third.arrears_fen) == (fourth.period, fourth.arrears_fen)


def test_a_file_that_is_not_a_workbook_is_refused_with_a_clear_error(session, tmp_path):
    path = tmp_path / "pf.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not a zip archive")
    with pytest.raises(ValidationFailed, match=r"not a readable \.xlsx workbook"):
        ingest_file(session, path, load_mapping("provident_fund"), date(2024, 1, 20))


def test_a_gbk_delivery_and_a_manifest_directory_ingest_in_order(platform, tmp_path):
    write(tmp_path / "reg.csv", REG_HEADER, [reg_line(1), reg_line(2)], encoding="gbk")
    write(tmp_path / "fix.csv", REG_HEADER, [reg_line(1, capital="300")], encoding="utf-8")
    (tmp_path / "manifest.json").write_text(
        json.dumps(
            {
                "files": [
                    {"path": "reg.csv", "source": "amr_registration", "as_of": "2023-01-10"},
                    {"path": "fix.csv", "source": "amr_registration", "as_of": "2024-01-10"},
                ]
            }
        )
    )
    reports = ingest_directory(platform, Path(tmp_path))
    assert [(r.counts.stored, r.counts.updated) for r in reports] == [(2, 0), (0, 1)]
    assert [r.already_ingested for r in ingest_directory(platform, Path(tmp_path))] == [True, True]
