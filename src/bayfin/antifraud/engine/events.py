"""The event a bank sends for every transaction or sensitive operation, validated on entry.

Strict on purpose: amounts are integer fen (a float or a string is refused, never rounded), times
must carry a zone, unknown fields are refused, and the type must be in the catalogue and belong to
the event's channel. A malformed event gets a precise error, never a guess.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    field_validator,
    model_validator,
)

from bayfin.antifraud.engine.catalogue import load_catalogue
from bayfin.kernel.fields import INT64_MAX, Text

Channel = Literal["mobile", "online", "counter", "terminal"]
Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
#: Largest single amount accepted: 10 billion yuan, far beyond any real retail transaction.
MAX_AMOUNT_FEN = 1_000_000_000_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Beneficiary(_Strict):
    """Who receives the money."""

    account: Identifier
    bank_code: Annotated[str, Field(min_length=3, max_length=16, pattern=r"^[A-Z0-9]+$")]
    name_hash: Identifier | None = None  # the payee name is hashed by the caller; we never see it


class Device(_Strict):
    """The device the operation came from (empty for counter staff terminals)."""

    fingerprint: Identifier
    os: Annotated[Text, Field(max_length=40)] | None = None
    model: Annotated[Text, Field(max_length=60)] | None = None
    app_version: Annotated[Text, Field(max_length=30)] | None = None
    rooted: StrictBool = False
    emulator: StrictBool = False


class Network(_Strict):
    """Where on the network the operation came from."""

    ip: Annotated[str, Field(min_length=2, max_length=45, pattern=r"^[0-9A-Fa-f:.]+$")]
    proxy: StrictBool = False
    vpn: StrictBool = False
    datacentre: StrictBool = False
    carrier: Annotated[Text, Field(max_length=40)] | None = None
    ip_country: Annotated[str, Field(min_length=2, max_length=2, pattern=r"^[A-Z]{2}$")] = "CN"
    #: Hours since the SIM card behind the phone number last changed (from the carrier), if known.
    sim_age_hours: Annotated[StrictInt, Field(ge=0, le=INT64_MAX)] | None = None


class GeoPoint(_Strict):
    """A position, with the city it falls in when known."""

    lat: Latitude
    lon: Longitude
    city: Annotated[Text, Field(max_length=40)] | None = None


class Location(_Strict):
    """GPS from the device and the IP address's geolocation; either may be missing."""

    gps: GeoPoint | None = None
    ip_geo: GeoPoint | None = None


class Behaviour(_Strict):
    """How the customer operated: a coached victim or a script behaves differently from a habit."""

    session_seconds: Annotated[StrictInt, Field(ge=0, le=INT64_MAX)] | None = None
    login_to_transaction_seconds: Annotated[StrictInt, Field(ge=0, le=INT64_MAX)] | None = None
    typing_cadence_ms: Annotated[StrictInt, Field(ge=0, le=60_000)] | None = None
    pasted_beneficiary: StrictBool = False
    on_call: StrictBool = False  # a phone call was active during the operation
    screen_sharing: StrictBool = False  # a screen-sharing / remote-control app was running
    operation_sequence: Annotated[list[Annotated[Text, Field(max_length=40)]],
                                  Field(max_length=50)] = Field(default_factory=list)


class Card(_Strict):
    """The card used, for card-present and card-not-present payments and cash."""

    pan_hash: Identifier
    bin: Annotated[str, Field(pattern=r"^[0-9]{6,8}$")] | None = None
    present: StrictBool = True
    three_ds: StrictBool = False
    merchant_id: Identifier | None = None
    mcc: Annotated[str, Field(pattern=r"^[0-9]{4}$")] | None = None
    terminal_id: Identifier | None = None
    merchant_country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = "CN"


class FraudEvent(_Strict):
    """A transaction or sensitive operation to decide on."""

    event_id: Identifier
    occurred_at: AwareDatetime
    channel: Channel
    type: Annotated[Text, Field(min_length=3, max_length=80)]
    customer_id: Identifier
    account_id: Identifier
    amount_fen: Annotated[StrictInt, Field(ge=0, le=MAX_AMOUNT_FEN)] = 0
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "CNY"
    beneficiary: Beneficiary | None = None
    device: Device | None = None
    network: Network | None = None
    location: Location | None = None
    behaviour: Behaviour | None = None
    card: Card | None = None

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in load_catalogue():
            raise ValueError(f"unknown transaction type {value!r} (see `bayfin fraud types`)")
        return value

    @model_validator(mode="after")
    def _type_matches_channel(self) -> FraudEvent:
        if not self.type.startswith(self.channel + "."):
            raise ValueError(f"type {self.type!r} does not belong to channel {self.channel!r}")
        return self
