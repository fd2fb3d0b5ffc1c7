"""Response shapes of the supply-chain graph API (what ``views`` and ``risk`` produce, typed)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_CODE = "91440300MA5FAKE01X"
_SUPPLIER = "91440300MA5FAKE02X"


class TierMemberOut(BaseModel):
    """A firm in a core enterprise's chain: its tier, share of the core's flow, through whom, how steady."""

    credit_code: str
    tier: int
    share: float
    amount_fen: int
    via: str
    stability: float


class ChainOut(BaseModel):
    """A core enterprise's concentration (HHI) and its upstream and downstream tiers."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "core": _CODE, "supplier_hhi": 0.31, "customer_hhi": 0.52, "suppliers": 4, "customers": 2,
        "upstream": [{"credit_code": _SUPPLIER, "tier": 1, "share": 0.4, "amount_fen": 1200000,
                      "via": _CODE, "stability": 0.83}], "downstream": []}]})

    core: str
    supplier_hhi: float
    customer_hhi: float
    suppliers: int
    customers: int
    upstream: list[TierMemberOut]
    downstream: list[TierMemberOut]


class AssociationGroupOut(BaseModel):
    """Enterprises under common control, and who controls them."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"members": [_CODE, _SUPPLIER], "controllers": ["P-7f3a"]}]})

    members: list[str]
    controllers: list[str]


class GroupOfOut(BaseModel):
    """The association group an enterprise belongs to (null when none)."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"credit_code": _CODE, "group": {"members": [_CODE, _SUPPLIER], "controllers": ["P-7f3a"]}}]})

    credit_code: str
    group: AssociationGroupOut | None


class DriverOut(BaseModel):
    """A neighbour whose distress reached the firm, and through which channel."""

    credit_code: str
    channel: str
    contribution: float


class ExposedOut(BaseModel):
    """One firm's DebtRank exposure and what drives it."""

    credit_code: str
    exposure: float
    drivers: list[DriverOut]


class ExposureOut(BaseModel):
    """DebtRank exposure from the given defaults."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "defaulted": [_SUPPLIER], "rounds": 3, "exposed": [{"credit_code": _CODE, "exposure": 0.12,
        "drivers": [{"credit_code": _SUPPLIER, "channel": "invoice", "contribution": 0.12}]}]}]})

    defaulted: list[str]
    rounds: int
    exposed: list[ExposedOut]


class OfferOut(BaseModel):
    """A receivable-finance offer (应收账款融资) for a supplier of the core enterprise."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "product_type": "supply_chain_receivable", "core": _CODE, "supplier": _SUPPLIER, "tier": 1,
        "buyer": _CODE, "share_of_core_flow": 0.4, "verified_monthly_fen": 1200000, "stability": 0.83,
        "relation_months": 14, "bank_corroborated_months": 5, "limit_fen": 2390400,
        "annual_rate": "0.0412"}]})

    product_type: str
    core: str
    supplier: str
    tier: int
    buyer: str
    share_of_core_flow: float
    verified_monthly_fen: int
    stability: float
    relation_months: int
    bank_corroborated_months: int
    limit_fen: int
    annual_rate: str = Field(description="Decimal annual rate, e.g. 0.0412")


class EgoNodeOut(BaseModel):
    """A node of the ego network: an enterprise, or a pseudonymous person or contact point."""

    id: str
    hops: int
    enterprise: bool


class EgoEdgeOut(BaseModel):
    """A relation between two nodes of the ego network."""

    kind: str
    source: str
    target: str
    amount_fen: int
    share_bp: int


class EgoOut(BaseModel):
    """The nodes within a radius of an enterprise and the edges among them."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "center": _CODE, "nodes": [{"id": _CODE, "hops": 0, "enterprise": True}],
        "edges": [{"kind": "invoice", "source": _SUPPLIER, "target": _CODE, "amount_fen": 1200000,
                   "share_bp": 4000}]}]})

    center: str
    nodes: list[EgoNodeOut]
    edges: list[EgoEdgeOut]


class CircleOut(BaseModel):
    """A guarantee circle: the firms guaranteeing each other in turn, and the amounts at stake."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"firms": [_CODE, _SUPPLIER], "amounts_fen": [500000000, 300000000], "at_stake_fen": 800000000}]})

    firms: list[str]
    amounts_fen: list[int]
    at_stake_fen: int


class RingOut(BaseModel):
    """An invoice cycle whose legs carry matching amounts (suspected circular trading)."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"firms": [_CODE, _SUPPLIER], "matching_months": ["2024-10", "2024-11", "2024-12"],
         "amount_fen": 9900000}]})

    firms: list[str]
    matching_months: list[str]
    amount_fen: int


class SignalOut(BaseModel):
    """A risk signal the graph raised once, with its figures (ids and codes only)."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"id": 12, "kind": "guarantee_circle", "subject": _CODE, "month": "2024-12",
         "raised_at": "2025-01-02T03:04:05Z", "details": {"firms": [_CODE, _SUPPLIER]}}]})

    id: int
    kind: str
    subject: str
    month: str
    raised_at: datetime
    details: dict[str, Any] = Field(description="The signal's figures; their keys depend on its kind")


class RaisedSignalOut(BaseModel):
    """A signal raised by this run."""

    kind: str
    subject: str
    month: str
    details: dict[str, Any] = Field(description="The signal's figures; their keys depend on its kind")

