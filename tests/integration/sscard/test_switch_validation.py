"""Every field is validated before the ledger: malformed and mutated frames answer 30 (or another
refusal) and change nothing — on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bayfin.sscard.models import LedgerTxn, SwitchMessage
from tests.integration.sscard.conftest import Ledger, LocalLink

_STANS = itertools.count(10)


def _setup(ledger: Ledger) -> tuple[LocalLink, str, dict[str, str]]:
    """A funded card, a signed-on link, and one approved purchase (to aim reversals at) and one
    approved authorization (to aim completions at: ``link.hold``)."""
    if "m" not in ledger.pans:
        ledger.add_card("m", 500_000)
    acq = ledger.acquirer(start_stan=next(_STANS) * 1000)
    link = ledger.local(ledger.processor(), acq)
    pan = ledger.pans["m"]
    booked = acq.request("0200", "purchase", pan, 1_000, 156)
    assert link.call(booked)["39"] == "00"
    hold = acq.request("0100", "purchase", pan, 3_000, 156)
    assert link.call(hold)["39"] == "00"
    link.hold = hold  # type: ignore[attr-defined]
    return link, pan, booked


def _state(ledger: Ledger) -> tuple[int, int, int, int]:
    with ledger.factory() as s:
        reversed_count = s.scalar(select(func.count()).select_from(SwitchMessage)
                                  .where(SwitchMessage.reversed.is_(True)))
        approved = s.scalar(select(func.count()).select_from(SwitchMessage)
                            .where(SwitchMessage.response_code == "00"))
        txns = s.scalar(select(func.count()).select_from(LedgerTxn))
    return ledger.balance("m"), int(txns or 0), int(reversed_count or 0), int(approved or 0)


def test_the_reported_garbage_reversal_and_month_13_are_format_errors(ledger: Ledger) -> None:
    link, pan, booked = _setup(ledger)
    acq = link.acquirer
    before = _state(ledger)
    garbage_90 = dict(acq.reversal(booked), **{"90": "X" * 42})
    month_13 = dict(acq.request("0200", "purchase", pan, 1_000, 156), **{"7": "1305120000"})
    replies = [link.call(garbage_90), link.call(month_13)]
    assert [(r["t"], r["39"]) for r in replies] == [("0410", "30"), ("0210", "30")]
    assert _state(ledger) == before
    # The well-formed reversal still finds and undoes the purchase afterwards.
    assert link.call(acq.reversal(booked))["39"] == "00"
    assert ledger.balance("m") == 500_000 - 3_000  # only the authorization's hold remains


@pytest.mark.parametrize(("field", "value"), [
    ("7", "0230120000"), ("7", "1231250000"), ("7", "12311200AB"), ("12", "246000"), ("13", "0431"),
    ("11", "000000"), ("11", "12345A"), ("4", "-00000001000"), ("4", "00000000 100"), ("49", "840"),
    ("49", "HKD"), ("3", "0000AB"), ("19", "999"), ("14", "2913"), ("37", "AB CD 123456"),
    ("90", "0200" + "0" * 38), ("95", "X" * 42), ("35", "6222=2912"), ("41", "TERM\x7f101"),
])
def test_each_malformed_field_answers_30_and_books_nothing(ledger: Ledger, field: str, value: str) -> None:
    link, pan, _ = _setup(ledger)
    before = _state(ledger)
    request = dict(link.acquirer.request("0200", "purchase", pan, 1_000, 156), **{field: value})
    assert link.call(request)["39"] == "30"
    assert _state(ledger) == before


def test_reversal_fields_are_checked_against_the_link_and_the_amount(ledger: Ledger) -> None:
    link, _, booked = _setup(ledger)
    acq = link.acquirer
    before = _state(ledger)
    good = acq.reversal(booked)
    other_acquirer = dict(good, **{"90": good["90"][:20] + "00099999999" + good["90"][31:]})
    bad_original_date = dict(good, **{"90": good["90"][:10] + "1399120000" + good["90"][20:]})
    partial_too_big = dict(good, **{"95": "000000001000" + "0" * 12 + "C00000000C00000000"})
    codes = [link.call(m)["39"] for m in (other_acquirer, bad_original_date, partial_too_big)]
    assert codes == ["30", "30", "30"]
    assert _state(ledger) == before


_INVALID = {
    "7": st.sampled_from(["1301000000", "0001000000", "0132000000", "0101240000", "01016000aa"]),
    "11": st.sampled_from(["000000", "0000 1", "ABCDEF"]),
    "4": st.text(alphabet="AZ -+.", min_size=12, max_size=12),
    "49": st.sampled_from(["000", "840", "978", "12A"]),
    "3": st.sampled_from(["ABCDEF", "00 000", "0000.0"]),
    "19": st.sampled_from(["000", "840", "X44"]),
    "13": st.sampled_from(["1301", "0230", "0000"]),
    "12": st.sampled_from(["250000", "126000", "12005A"]),
    "14": st.sampled_from(["2600", "2613", "26AB"]),
    "90": st.one_of(st.just("X" * 42), st.text(alphabet="0123456789", min_size=42, max_size=42)),
    "32": st.sampled_from(["ABC", "3440000A"]),
    "37": st.sampled_from(["ABC DEF GHIJ", "!!!!!!!!!!!!"]),
}
_mutation = st.one_of(
    st.tuples(st.just("field"), st.sampled_from(sorted(_INVALID)), st.data()),
    st.tuples(st.just("drop"), st.sampled_from(["2", "3", "4", "7", "11", "19", "32", "37", "49"])),
    st.tuples(st.just("truncate"), st.integers(1, 200)),
    st.tuples(st.just("flip"), st.integers(0, 400), st.integers(1, 255)),
    st.tuples(st.just("insert"), st.integers(0, 400), st.binary(min_size=1, max_size=3)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutation=_mutation, base=st.sampled_from(["withdrawal", "reversal", "refund", "completion"]))
def test_no_mutated_frame_is_approved_and_the_ledger_never_moves(
        ledger: Ledger, mutation: tuple[object, ...], base: str) -> None:
    link, pan, booked = _setup(ledger)
    acq = link.acquirer
    before = _state(ledger)
    hold: dict[str, str] = link.hold  # type: ignore[attr-defined]
    reversal = base in {"reversal", "completion"}  # both carry field 90
    fields = {
        "withdrawal": lambda: acq.request("0200", "withdrawal", pan, 2_000, 344),
        "reversal": lambda: acq.reversal(booked),
        "refund": lambda: {**acq.request("0200", "refund", pan, 2_000, 156),
                           "14": ledger.card_data[pan].expiry},
        "completion": lambda: {**acq.request("0220", "purchase", pan, 2_000, 156), "37": hold["37"],
                               "90": "0100" + hold["11"] + hold["7"] + acq.acquirer_id.zfill(11)
                               + "0" * 11},
    }[base]()
    kind = mutation[0]
    if kind == "field":
        name, data = str(mutation[1]), mutation[2]
        assert isinstance(data, st.DataObject)
        if name == "90" and not reversal:
            name = "7"
        value = data.draw(_INVALID[name])
        reply = link.call(dict(fields, **{name: value}))
        # Format errors say so; a well-formed but foreign acquirer id is refused for the link.
        assert reply["39"] == ("58" if name == "32" and value.isdigit() else "30")
    elif kind == "drop":
        reply = link.call({k: v for k, v in fields.items() if k != mutation[1]})
        assert reply["39"] == "30"
    else:
        raw = bytearray(acq.seal(fields))
        if kind == "truncate":
            raw = raw[:max(1, len(raw) - int(str(mutation[1])))]
        elif kind == "flip":
            at = int(str(mutation[1])) % len(raw)
            raw[at] ^= int(str(mutation[2]))
        else:
            at = int(str(mutation[1])) % len(raw)
            raw[at:at] = bytes(mutation[2])  # type: ignore[arg-type]
        reply = link.raw(bytes(raw))
        assert reply["39"] != "00", reply
    assert _state(ledger) == before
