"""Validation of delivery rows: one reason code per kind of defect, amounts in fen, dates in any format."""

import json
from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bayfin.creditdata.domain import make_credit_code
from bayfin.creditdata.mapping import load_mapping, parse_mapping
from bayfin.creditdata.readers import read_csv, read_jsonl, read_xml
from bayfin.creditdata.transform import normalise, parse_money
from bayfin.kernel.errors import ValidationFailed
from bayfin.kernel.money import to_fen

AS_OF = date(2024, 7, 15)
CODE = make_credit_code("9", "1", "440100", "MA5ABC12")
HEADER = (
    "纳税人识别号,纳税人名称,所属期,纳税信用等级,"
    + ",".join(f"第{i}月纳税额(元)" for i in range(1, 7))
    + ","
    + ",".join(f"第{i}月开票销售额(元)" for i in range(1, 7))
    + ",欠税余额(元)"
)


def tax_line(code=CODE, name="广州测试有限公司", period="202401", grade="A级", paid="100.50", arrears="0"):
    return ",".join([code, name, period, grade, paid, *["1"] * 5, *["2000"] * 6, arrears])


def normalised(lines, mapping="tax_prd", encoding="gbk"):
    data = ("\n".join([HEADER, *lines]) + "\n").encode(encoding)
    m = load_mapping(mapping)
    return normalise(read_csv(data, m, "t.csv"), m, AS_OF)


def reasons(lines):
    return normalised(lines).quarantined["reason"].to_list()


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (tax_line(code=CODE[:17] + ("0" if CODE[17] != "0" else "1")), "check_character_mismatch"),
        (tax_line(code="91440100ABC"), "invalid_credit_code"),
        (tax_line(code="91440100MA5ABC12IO"), "invalid_credit_code"),
        (tax_line(code="", name=""), "missing_identifier"),
        (tax_line(period=""), "missing_required"),
        (tax_line(period="2024-13"), "invalid_date"),
        (tax_line(period="202612"), "future_date"),
        (tax_line(paid="12.3a"), "invalid_amount"),
        (tax_line(paid="-5.00"), "negative_amount"),
        (tax_line(grade="Z级"), "unknown_code"),
        (tax_line() + ",extra", "malformed_row"),
    ],
)
def test_each_kind_of_defect_is_quarantined_with_its_own_reason(line, reason):
    assert reasons([tax_line(), line]) == [reason]


def test_a_quarantined_row_keeps_its_row_number_raw_content_and_a_message_naming_the_column():
    bad = tax_line(paid="12.3a")
    q = normalised([tax_line(), bad]).quarantined.row(0, named=True)
    assert q["row_number"] == 2 and q["raw"] == bad
    assert "第1月纳税额(元)" in q["message"] and "12.3a" in q["message"]


def test_counts_are_not_numbers_when_they_are_written_in_words():
    m = load_mapping("social_security")
    header = (
        "单位统一社会信用代码,单位名称,起始年月,"
        + ",".join(f"参保人数_{i}" for i in range(1, 7))
        + ",欠费金额(元)"
    )
    data = f"{header}\n{CODE},甲,2024-01,12,十二,12,12,12,12,0\n".encode()
    assert normalise(read_csv(data, m, "s.csv"), m, AS_OF).quarantined["reason"].to_list() == [
        "invalid_number"
    ]


def test_a_line_that_is_not_gbk_or_utf8_is_quarantined_as_an_encoding_error():
    good = tax_line().encode("gbk")
    data = (
        HEADER.encode("gbk") + b"\n" + good + b"\n" + good.replace("广州".encode("gbk"), b"\xff\xfe") + b"\n"
    )
    m = load_mapping("tax_prd")
    out = normalise(read_csv(data, m, "t.csv"), m, AS_OF)
    assert out.valid.height == 1 and out.quarantined["reason"].to_list() == ["invalid_encoding"]


def test_units_grades_and_periods_become_standard_values():
    row = normalised([tax_line(paid="100.505", grade="C级", arrears='"1,234.5"')]).valid.row(0, named=True)
    assert row["tax_paid_fen"][0] == 10051 and row["arrears_fen"] == 123450
    assert row["credit_grade"] == "C" and row["period"] == date(2024, 1, 1) and row["record_key"] == "2024-01"


def test_amounts_in_wan_yuan_and_grade_codes_map_like_their_text_forms():
    m = load_mapping("tax_region")
    header = (
        "统一社会信用代码,企业名称,税款所属期,信用等级代码,"
        + ",".join(f"纳税额{i}" for i in range(1, 7))
        + ","
        + ",".join(f"销售额{i}" for i in range(1, 7))
        + ",欠税"
    )
    line = ",".join([CODE, "甲", "2024年1月", "2", "1.2345", *["0"] * 11, "0.01"])
    data = ("\ufeff" + header + "\n" + line + "\n").encode("utf-8")
    row = normalise(read_csv(data, m, "r.csv"), m, AS_OF).valid.row(0, named=True)
    assert row["tax_paid_fen"][0] == 1_234_500 and row["arrears_fen"] == 10_000 and row["credit_grade"] == "B"


@settings(deadline=None)
@given(
    st.decimals(min_value=0, max_value=Decimal("99999999999"), places=4, allow_nan=False),
    st.sampled_from(["元", "万元"]),
)
def test_vectorised_amounts_round_exactly_like_the_kernel_money_rule(amount, unit):
    text = format(amount, "f")
    fen, _neg, _bad = parse_money(pl.col("a"), unit)
    got = pl.DataFrame({"a": [text]}).select(fen.alias("f"))["f"][0]
    assert got == to_fen(text, unit)


@pytest.mark.parametrize("text", ["2021年3月5日", "20210305", "2021-03-05"])
def test_the_three_date_styles_of_real_deliveries_all_parse(text):
    m = load_mapping("courts")
    m.fields["filed_on"].formats = ["%Y年%m月%d日", "%Y%m%d", "%Y-%m-%d"]
    line = json.dumps(
        {
            "案号": "(2023)粤0106民初1号",
            "当事人名称": "甲",
            "当事人统一社会信用代码": CODE,
            "诉讼地位": "被告",
            "案件类型": "执行",
            "立案日期": text,
            "标的金额": "10",
            "案件状态": "执行中",
        },
        ensure_ascii=False,
    )
    out = normalise(read_jsonl(line.encode(), m, "c.jsonl"), m, AS_OF)
    assert out.valid["filed_on"].to_list() == [date(2021, 3, 5)]


def test_broken_json_lines_are_quarantined_and_the_rest_read():
    m = load_mapping("courts")
    out = normalise(read_jsonl(b'{"\xe6\xa1\x88\xe5\x8f\xb7": 1\n', m, "c.jsonl"), m, AS_OF)
    assert out.quarantined["reason"].to_list() == ["malformed_row"]


def test_xml_records_read_from_their_child_elements():
    m = load_mapping("customs")
    items = "".join(f"<IMP_{i}>1</IMP_{i}><EXP_{i}>2.5</EXP_{i}>" for i in range(1, 7))
    xml = (
        f"<?xml version='1.0' encoding='UTF-8'?><DATA><RECORD><USCC>{CODE}</USCC><ENT_NAME>甲</ENT_NAME>"
        f"<PERIOD>202401</PERIOD><CREDIT_LEVEL>高级认证企业</CREDIT_LEVEL>{items}</RECORD></DATA>"
    )
    row = normalise(read_xml(xml.encode(), m, "c.xml"), m, AS_OF).valid.row(0, named=True)
    assert row["customs_grade"] == "AA" and row["export_fen"] == [2_500_000] * 6


def test_a_delivery_missing_a_mapped_column_is_refused_whole():
    m = load_mapping("tax_prd")
    with pytest.raises(ValidationFailed, match="所属期"):
        read_csv(HEADER.replace("所属期,", "").encode("gbk"), m, "t.csv")


def test_a_mapping_that_leaves_a_required_field_unmapped_is_refused():
    with pytest.raises(ValidationFailed, match="period"):
        parse_mapping(
            "source: x_y\ndepartment: d\nrecord: social_insurance\nformat: csv\n"
            "identity: {credit_code: c}\nfields:\n  insured_headcount: {columns: [a]}\n"
        )
