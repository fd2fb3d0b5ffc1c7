import pytest
from pydantic import ValidationError

from bayfin.antifraud.engine.catalogue import CHANNELS, load_catalogue
from bayfin.antifraud.engine.events import FraudEvent
from tests.antifraud_events import event_data


def test_catalogue_ships_more_than_500_types_across_the_four_channels():
    catalogue = load_catalogue()
    assert len(catalogue) >= 500
    assert {t.channel for t in catalogue.types.values()} == set(CHANNELS)
    for code, t in catalogue.types.items():
        assert code == f"{t.channel}.{t.business}.{t.sub_type}"
        assert t.flow in ("in", "out", "none")


def test_a_well_formed_event_is_accepted():
    e = FraudEvent.model_validate(event_data())
    assert e.amount_fen == 50_000 and e.occurred_at.tzinfo is not None


@pytest.mark.parametrize(("change", "where"), [
    ({"amount_fen": 500.5}, "amount_fen"),
    ({"amount_fen": "50000"}, "amount_fen"),
    ({"amount_fen": -1}, "amount_fen"),
    ({"occurred_at": "2026-03-02T10:00:00"}, "occurred_at"),
    ({"type": "mobile.transfer.teleport"}, "type"),
    ({"channel": "fax"}, "channel"),
    ({"currency": "yuan"}, "currency"),
    ({"surprise": 1}, "surprise"),
    ({"device": {"fingerprint": "x", "rooted": "yes"}}, "device"),
    ({"location": {"gps": {"lat": 123.0, "lon": 0.0}}}, "location"),
])
def test_malformed_events_are_refused_with_the_field_named(change, where):
    with pytest.raises(ValidationError) as info:
        FraudEvent.model_validate(event_data(**change))
    assert where in str(info.value)


def test_a_type_from_another_channel_is_refused():
    with pytest.raises(ValidationError, match="does not belong to channel"):
        FraudEvent.model_validate(event_data(channel="online"))
