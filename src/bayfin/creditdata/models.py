"""Tables of the credit data hub: one table per standard record type, delivery batches and quarantine.

Every fact row carries its provenance (source, batch, row number, as-of date) and a content hash. A
correction inserts a new row and closes the old one by setting ``replaced_on``: history is never
overwritten, and the record as of a date is the rows with ``as_of <= date < replaced_on``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bayfin.kernel.db import Base, UTCDateTime
from bayfin.kernel.ingest import BatchColumns, QuarantineColumns

_BigInt = BigInteger().with_variant(Integer(), "sqlite")


class DeliveryBatch(BatchColumns, Base):
    """One ingested delivery file: its source, content hash, as-of date and what happened to its rows."""

    __tablename__ = "hub_batch"

    record_type: Mapped[str] = mapped_column(String(60))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)


class QuarantinedRow(QuarantineColumns, Base):
    """An input row that was not stored, with where it came from, its raw content and why."""

    __tablename__ = "hub_quarantine"
    __table_args__ = (Index("ix_hub_quarantine_batch_id", "batch_id", "row_number"),)

    source: Mapped[str] = mapped_column(String(60), index=True)
    reason: Mapped[str] = mapped_column(String(40), index=True)
    message: Mapped[str] = mapped_column(Text)
    credit_code: Mapped[str | None] = mapped_column(String(40), nullable=True)


class FactRow:
    """Provenance columns shared by every standard record table."""

    record_type: ClassVar[str]

    id: Mapped[int] = mapped_column(_BigInt, primary_key=True, autoincrement=True)
    credit_code: Mapped[str] = mapped_column(String(18))
    #: What distinguishes this record among the enterprise's records of the type (period, case no.).
    record_key: Mapped[str] = mapped_column(String(80))
    #: When the value became known: the delivery's as-of date.
    as_of: Mapped[date] = mapped_column(Date)
    #: The as-of date of the correction that superseded this row (None while it is current).
    replaced_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    source: Mapped[str] = mapped_column(String(60))
    batch_id: Mapped[str] = mapped_column(String(40))
    row_number: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(32))


class RegistrationInformation(FactRow, Base):
    """登记注册信息 — one registration record as delivered, with its provenance."""

    __tablename__ = "hub_registration"
    __table_args__ = (
        Index("ix_hub_registration_credit_code", "credit_code", "record_key"),
        Index("ix_hub_registration_name", "name"),
    )
    record_type: ClassVar[str] = "registration"

    name: Mapped[str | None] = mapped_column(String(500), nullable=True)  # 企业名称
    legal_representative: Mapped[str | None] = mapped_column(String(500), nullable=True)  # 法定代表人
    registered_capital_fen: Mapped[int | None] = mapped_column(_BigInt, nullable=True)  # 注册资本
    founded_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # 成立日期
    industry_code: Mapped[str | None] = mapped_column(String(40), nullable=True)  # 国民经济行业分类 GB/T 4754
    city_code: Mapped[str | None] = mapped_column(String(40), nullable=True)  # 所在地市
    address: Mapped[str | None] = mapped_column(String(500), nullable=True)  # 住所
    status: Mapped[str | None] = mapped_column(String(40), nullable=True)  # 登记状态


class AbnormalOperationListing(FactRow, Base):
    """经营异常名录 — one abnormal operation record as delivered, with its provenance."""

    __tablename__ = "hub_abnormal_operation"
    __table_args__ = (Index("ix_hub_abnormal_operation_credit_code", "credit_code", "record_key"),)
    record_type: ClassVar[str] = "abnormal_operation"

    listed_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # 列入日期
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)  # 列入原因
    authority: Mapped[str | None] = mapped_column(String(500), nullable=True)  # 作出决定机关
    removed_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # 移出日期


class AdministrativePenalty(FactRow, Base):
    """行政处罚信息 — one administrative penalty record as delivered, with its provenance."""

    __tablename__ = "hub_administrative_penalty"
    __table_args__ = (Index("ix_hub_administrative_penalty_credit_code", "credit_code", "record_key"),)
    record_type: ClassVar[str] = "administrative_penalty"

    decision_no: Mapped[str | None] = mapped_column(String(500), nullable=True)  # 行政处罚决定书文号
    decided_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # 处罚决定日期
    authority: Mapped[str | None] = mapped_column(String(500), nullable=True)  # 处罚机关
    violation: Mapped[str | None] = mapped_column(String(500), nullable=True)  # 违法行为类型
    fine_fen: Mapped[int | None] = mapped_column(_BigInt, nullable=True)  # 罚款金额


class TaxPayment(FactRow, Base):
    """纳税信息 — one tax payment record as delivered, with its provenance."""

    __tablename__ = "hub_tax_payment"
    __table_args__ = (Index("ix_hub_tax_payment_credit_code", "credit_code", "record_key"),)
    record_type: ClassVar[str] = "tax_payment"

    period: Mapped[date | None] = mapped_column(Date, nullable=True)  # 所属期起
    credit_grade: Mapped[str | None] = mapped_column(String(40), nullable=True)  # 纳税信用等级
    tax_paid_fen: Mapped[list[int | None] | None] = mapped_column(JSON, nullable=True)  # 月度纳税额
    vat_sales_fen: Mapped[list[int | None] | None] = mapped_column(
        JSON, nullable=True
    )  # 月度增值税开票销售额
    arrears_fen: Mapped[int | None] = mapped_column(_BigInt, nullable=True)  # 欠税金额


class SocialInsurancePayment(FactRow, Base):
    """社会保险参保缴费信息 — one social insurance record as delivered, with its provenance."""

    __tablename__ = "hub_social_insurance"
    __table_args__ = (Index("ix_hub_social_insurance_credit_code", "credit_code", "record_key"),)
    record_type: ClassVar[str] = "social_insurance"

    period: Mapped[date | None] = mapped_column(Date, nullable=True)  # 所属期起
    insured_headcount: Mapped[list[int | None] | None] = mapped_column(JSON, nullable=True)  # 月度参保人数
    arrears_fen: Mapped[int | None] = mapped_column(_BigInt, nullable=True)  # 欠缴金额


class CustomsImportExport(FactRow, Base):
    """海关进出口信息 — one customs trade record as delivered, with its provenance."""

    __tablename__ = "hub_customs_trade"
    __table_args__ = (Index("ix_hub_customs_trade_credit_code", "credit_code", "record_key"),)
    record_type: ClassVar[str] = "customs_trade"

    period: Mapped[date | None] = mapped_column(Date, nullable=True)  # 所属期起
    customs_grade: Mapped[str | None] = mapped_column(String(40), nullable=True)  # 海关信用等级
    import_fen: Mapped[list[int | None] | None] = mapped_column(JSON, nullable=True)  # 月度进口额
    export_fen: Mapped[list[int | None] | None] = mapped_column(JSON, nullable=True)  # 月度出口额


class JudicialCase(FactRow, Base):
    """司法诉讼信息 — one judicial case record as delivered, with its provenance."""

    __tablename__ = "hub_judicial_case"
    __table_args__ = (Index("ix_hub_judicial_case_credit_code", "credit_code", "record_key"),)
    record_type: ClassVar[str] = "judicial_case"

    case_no: Mapped[str | None] = mapped_column(String(500), nullable=True)  # 案号
    role: Mapped[str | None] = mapped_column(String(40), nullable=True)  # 诉讼地位
    case_kind: Mapped[str | None] = mapped_column(String(40), nullable=True)  # 案件类型
    filed_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # 立案日期
    amount_fen: Mapped[int | None] = mapped_column(_BigInt, nullable=True)  # 标的金额
    status: Mapped[str | None] = mapped_column(String(40), nullable=True)  # 案件状态


class UtilityPayment(FactRow, Base):
    """水电缴费信息 — one utility payment record as delivered, with its provenance."""

    __tablename__ = "hub_utility_payment"
    __table_args__ = (Index("ix_hub_utility_payment_credit_code", "credit_code", "record_key"),)
    record_type: ClassVar[str] = "utility_payment"

    period: Mapped[date | None] = mapped_column(Date, nullable=True)  # 所属期起
    electricity_kwh: Mapped[list[int | None] | None] = mapped_column(JSON, nullable=True)  # 月度用电量
    water_m3: Mapped[list[int | None] | None] = mapped_column(JSON, nullable=True)  # 月度用水量
    arrears_fen: Mapped[int | None] = mapped_column(_BigInt, nullable=True)  # 欠费金额


class HousingProvidentFundPayment(FactRow, Base):
    """住房公积金缴存信息 — one provident fund record as delivered, with its provenance."""

    __tablename__ = "hub_provident_fund"
    __table_args__ = (Index("ix_hub_provident_fund_credit_code", "credit_code", "record_key"),)
    record_type: ClassVar[str] = "provident_fund"

    period: Mapped[date | None] = mapped_column(Date, nullable=True)  # 所属期起
    contributors: Mapped[list[int | None] | None] = mapped_column(JSON, nullable=True)  # 月度缴存人数
    arrears_fen: Mapped[int | None] = mapped_column(_BigInt, nullable=True)  # 欠缴金额


class IntellectualProperty(FactRow, Base):
    """知识产权信息 — one intellectual property record as delivered, with its provenance."""

    __tablename__ = "hub_intellectual_property"
    __table_args__ = (Index("ix_hub_intellectual_property_credit_code", "credit_code", "record_key"),)
    record_type: ClassVar[str] = "intellectual_property"

    registration_no: Mapped[str | None] = mapped_column(String(500), nullable=True)  # 登记号/专利号
    ip_kind: Mapped[str | None] = mapped_column(String(40), nullable=True)  # 知识产权类型
    title: Mapped[str | None] = mapped_column(String(500), nullable=True)  # 名称
    granted_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # 授权日期


FACT_MODELS: dict[str, type[Any]] = {
    m.record_type: m
    for m in (
        RegistrationInformation,
        AbnormalOperationListing,
        AdministrativePenalty,
        TaxPayment,
        SocialInsurancePayment,
        CustomsImportExport,
        JudicialCase,
        UtilityPayment,
        HousingProvidentFundPayment,
        IntellectualProperty,
    )
}
