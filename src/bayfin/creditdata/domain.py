"""Pure rules of the credit data hub: the unified social credit code and the standard record types.

The record types follow the enterprise credit data items of GB/T 40478-2021 (企业信用监管数据质量评价)
and GB/T 22120 (企业信用数据项规范): registration, abnormal operation, administrative penalties, tax,
social insurance, customs, judicial cases, utilities, housing provident fund, intellectual property.
No I/O here: the mapping engine and the database layer build on these definitions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from typing_extensions import TypedDict  # pydantic reads these on Python 3.11 (the API answers with some)

#: GB 32100-2015 character set of the unified social credit code (no I, O, S, V, Z).
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_VALUES = {c: i for i, c in enumerate(CREDIT_CODE_CHARSET)}
#: Weights 3^i mod 31 of the first 17 positions.
CREDIT_CODE_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
#: GB 11714 weights of the 8-digit organization code body (positions 9–16 of the credit code).
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_CODE_VALUES = {
    c: (int(c) if c.isdigit() else ord(c) - 55) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
}


def credit_code_check_character(first17: str) -> str:
    """The GB 32100 check character (18th position) for the first 17 characters of a code."""
    if len(first17) != 17:
        raise ValueError("the check character is computed over exactly 17 characters")
    try:
        total = sum(CREDIT_CODE_VALUES[c] * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True))
    except KeyError as exc:
        raise ValueError(f"character {exc.args[0]!r} is not allowed in a credit code") from exc
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def organization_code_check_character(body8: str) -> str:
    """The GB 11714 check character of an 8-character organization code body."""
    total = sum(_ORG_CODE_VALUES[c] * w for c, w in zip(body8, ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


class CreditCodeProblem(StrEnum):
    """Why a string is not a valid unified social credit code."""

    malformed = "invalid_credit_code"
    check = "check_character_mismatch"


def credit_code_problem(code: str) -> CreditCodeProblem | None:
    """None when ``code`` is a valid 18-character credit code, else what is wrong with it."""
    if len(code) != 18 or any(c not in CREDIT_CODE_VALUES for c in code):
        return CreditCodeProblem.malformed
    if credit_code_check_character(code[:17]) != code[17]:
        return CreditCodeProblem.check
    return None


def is_valid_credit_code(code: str) -> bool:
    """True when ``code`` is a well-formed credit code with the right check character."""
    return credit_code_problem(code) is None


def make_credit_code(
    registration_authority: str, organization_type: str, division: str, organization_body8: str
) -> str:
    """Assemble a valid credit code: authority (1), type (1), division (6), org code (8 + check), check."""
    org = organization_body8 + organization_code_check_character(organization_body8)
    first17 = registration_authority + organization_type + division + org
    return first17 + credit_code_check_character(first17)


class Reason(StrEnum):
    """Why an input row was quarantined: one stable code per kind of defect."""

    malformed_row = "malformed_row"
    invalid_encoding = "invalid_encoding"
    missing_identifier = "missing_identifier"
    invalid_credit_code = "invalid_credit_code"
    check_character_mismatch = "check_character_mismatch"
    missing_required = "missing_required"
    invalid_date = "invalid_date"
    future_date = "future_date"
    invalid_amount = "invalid_amount"
    negative_amount = "negative_amount"
    invalid_number = "invalid_number"
    unknown_code = "unknown_code"
    duplicate_in_batch = "duplicate_in_batch"
    unknown_name = "unknown_name"
    ambiguous_name = "ambiguous_name"


class FieldKind(StrEnum):
    """How a standard field's value is parsed and stored."""

    text = "text"
    code = "code"  # a value from a code table (grades, statuses)
    date = "date"
    month = "month"  # a calendar month, stored as its first day
    money = "money"  # integer fen
    whole_number = "count"  # non-negative integer
    money_series = "money_series"  # consecutive monthly amounts in fen
    count_series = "count_series"  # consecutive monthly counts


SERIES_KINDS = frozenset({FieldKind.money_series, FieldKind.count_series})


@dataclass(frozen=True)
class FieldSpec:
    """One standard data item of a record type."""

    name: str
    kind: FieldKind
    required: bool = False
    label: str = ""


@dataclass(frozen=True)
class RecordType:
    """A standard record type (one table family): its fields and the field that keys repeated records."""

    name: str
    label: str
    fields: tuple[FieldSpec, ...]
    #: The field distinguishing several records of one enterprise (a period, a case number); None when
    #: the enterprise has one such record (registration).
    key_field: str | None = None

    def field(self, name: str) -> FieldSpec:
        """The field called ``name``."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name!r}")

    @property
    def field_names(self) -> tuple[str, ...]:
        """Names of the fields in declaration order."""
        return tuple(f.name for f in self.fields)


def _f(name: str, kind: FieldKind, label: str, required: bool = False) -> FieldSpec:
    return FieldSpec(name=name, kind=kind, required=required, label=label)


K = FieldKind
RECORD_TYPES: dict[str, RecordType] = {
    rt.name: rt
    for rt in (
        RecordType(
            "registration",
            "登记注册信息",
            (
                _f("name", K.text, "企业名称", True),
                _f("legal_representative", K.text, "法定代表人"),
                _f("registered_capital_fen", K.money, "注册资本"),
                _f("founded_on", K.date, "成立日期"),
                _f("industry_code", K.code, "国民经济行业分类 GB/T 4754"),
                _f("city_code", K.code, "所在地市"),
                _f("address", K.text, "住所"),
                _f("status", K.code, "登记状态", True),
            ),
        ),
        RecordType(
            "abnormal_operation",
            "经营异常名录",
            (
                _f("listed_on", K.date, "列入日期", True),
                _f("reason", K.text, "列入原因"),
                _f("authority", K.text, "作出决定机关"),
                _f("removed_on", K.date, "移出日期"),
            ),
            key_field="listed_on",
        ),
        RecordType(
            "administrative_penalty",
            "行政处罚信息",
            (
                _f("decision_no", K.text, "行政处罚决定书文号", True),
                _f("decided_on", K.date, "处罚决定日期", True),
                _f("authority", K.text, "处罚机关"),
                _f("violation", K.text, "违法行为类型"),
                _f("fine_fen", K.money, "罚款金额"),
            ),
            key_field="decision_no",
        ),
        RecordType(
            "tax_payment",
            "纳税信息",
            (
                _f("period", K.month, "所属期起", True),
                _f("credit_grade", K.code, "纳税信用等级"),
                _f("tax_paid_fen", K.money_series, "月度纳税额", True),
                _f("vat_sales_fen", K.money_series, "月度增值税开票销售额"),
                _f("arrears_fen", K.money, "欠税金额"),
            ),
            key_field="period",
        ),
        RecordType(
            "social_insurance",
            "社会保险参保缴费信息",
            (
                _f("period", K.month, "所属期起", True),
                _f("insured_headcount", K.count_series, "月度参保人数", True),
                _f("arrears_fen", K.money, "欠缴金额"),
            ),
            key_field="period",
        ),
        RecordType(
            "customs_trade",
            "海关进出口信息",
            (
                _f("period", K.month, "所属期起", True),
                _f("customs_grade", K.code, "海关信用等级"),
                _f("import_fen", K.money_series, "月度进口额"),
                _f("export_fen", K.money_series, "月度出口额"),
            ),
            key_field="period",
        ),
        RecordType(
            "judicial_case",
            "司法诉讼信息",
            (
                _f("case_no", K.text, "案号", True),
                _f("role", K.code, "诉讼地位", True),
                _f("case_kind", K.code, "案件类型", True),
                _f("filed_on", K.date, "立案日期", True),
                _f("amount_fen", K.money, "标的金额"),
                _f("status", K.code, "案件状态"),
            ),
            key_field="case_no",
        ),
        RecordType(
            "utility_payment",
            "水电缴费信息",
            (
                _f("period", K.month, "所属期起", True),
                _f("electricity_kwh", K.count_series, "月度用电量", True),
                _f("water_m3", K.count_series, "月度用水量"),
                _f("arrears_fen", K.money, "欠费金额"),
            ),
            key_field="period",
        ),
        RecordType(
            "provident_fund",
            "住房公积金缴存信息",
            (
                _f("period", K.month, "所属期起", True),
                _f("contributors", K.count_series, "月度缴存人数", True),
                _f("arrears_fen", K.money, "欠缴金额"),
            ),
            key_field="period",
        ),
        RecordType(
            "intellectual_property",
            "知识产权信息",
            (
                _f("registration_no", K.text, "登记号/专利号", True),
                _f("ip_kind", K.code, "知识产权类型", True),
                _f("title", K.text, "名称"),
                _f("granted_on", K.date, "授权日期"),
            ),
            key_field="registration_no",
        ),
    )
}


def record_type(name: str) -> RecordType:
    """The standard record type called ``name``."""
    try:
        return RECORD_TYPES[name]
    except KeyError as exc:
        raise KeyError(f"unknown record type {name!r}; known: {', '.join(RECORD_TYPES)}") from exc


@dataclass(frozen=True)
class BatchCounts:
    """What happened to each input row of one delivery batch."""

    rows_in: int
    stored: int
    updated: int
    unchanged: int
    quarantined: int

    @property
    def reconciles(self) -> bool:
        """True when every input row is accounted for exactly once."""
        return self.rows_in == self.stored + self.updated + self.unchanged + self.quarantined


class RecordRow(TypedDict):
    """One delivered row of a record type in an enterprise record: its values and provenance."""

    record_key: str
    values: dict[str, Any]
    source: str
    batch_id: str
    row_number: int
    as_of: date
    replaced_on: date | None


class EnterpriseRecord(TypedDict):
    """The standard record of one enterprise as known on a date: registration and every domain's rows."""

    credit_code: str
    as_of: date | None
    registration: RecordRow | None
    domains: dict[str, list[RecordRow]]


class FirmHit(TypedDict):
    """A firm found by name or credit code, as its current registration names it."""

    credit_code: str
    name: str
    city_code: str | None
    industry_code: str | None
    status: str | None


class QuarantineView(TypedDict):
    """A refused input row with its provenance, raw content and reason (the quarantine API answers
    with it as is)."""

    id: int
    source: str
    batch_id: str
    row_number: int
    reason: str
    message: str
    credit_code: str | None
    raw: str


class HubStatus(TypedDict):
    """The hub's batches with their counts, the totals over every batch and quarantine by reason."""

    totals: dict[str, int]
    quarantine_by_reason: dict[str, int]
    batches: list[dict[str, Any]]

