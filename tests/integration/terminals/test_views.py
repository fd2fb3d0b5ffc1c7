"""The operator view's surface that the API and the web console read: sites with status, the filtered
alarm queue, a terminal's history and the refusals."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from bayfin.kernel.clock import FixedClock
from bayfin.kernel.errors import NotFound
from bayfin.terminals import alarm_queue, refusals, sites_with_status, terminal_history
from bayfin.terminals import domain as d
from bayfin.terminals import repository as repo
from bayfin.terminals.service import encode_signed
from tests.integration.terminals.conftest import Fleet


def tampered_and_moved(fleet: Fleet, session: Session, clock: FixedClock) -> None:
    """Provision the fleet's terminal, then report a tamper flag and a fix 15 km from its pharmacy."""
    nonce = "0123456789"
    claim = {"serial": fleet.serial, "profile": fleet.profile, "nonce": nonce,
             "signature": d.sign(fleet.secret, f"{fleet.serial}:{nonce}")}
    result = fleet.service.provision(session, claim, clock.now())
    assert result.device_key is not None
    body = {"ts": clock.now().timestamp(), "tamper": ["case_open"],
            "position": {"lat": 22.3500, "lon": 113.5900, "accuracy_m": 30, "source": "gps"}}
    fleet.service.ingest(session, fleet.serial, encode_signed(result.device_key, body), clock.now())
    session.flush()


def test_sites_come_with_their_position_status_and_terminals(
        fleet: Fleet, session: Session, clock: FixedClock) -> None:
    tampered_and_moved(fleet, session, clock)
    sites = {row["code"]: row for row in sites_with_status(session)}
    pharmacy, hospital = sites[fleet.pharmacy], sites[fleet.hospital]
    assert (pharmacy["lat"], pharmacy["lon"], pharmacy["kind"]) == (22.222, 113.544, "pharmacy")
    assert pharmacy["status"] == "CRITICAL" and pharmacy["active_alarms"] == {"CRITICAL": 2}
    assert (pharmacy["terminals"], pharmacy["connected_terminals"]) == (1, 1)
    assert hospital["status"] == "OK" and hospital["terminals"] == 0


def test_the_alarm_queue_filters_by_site_rule_severity_and_acknowledgement(
        fleet: Fleet, session: Session, clock: FixedClock) -> None:
    tampered_and_moved(fleet, session, clock)
    queue = alarm_queue(session, site_code=fleet.pharmacy)
    assert sorted(a["rule"] for a in queue) == ["geofence", "tamper"]
    assert {(a["serial"], a["site_code"]) for a in queue} == {(fleet.serial, fleet.pharmacy)}
    assert alarm_queue(session, site_code=fleet.hospital) == []
    assert alarm_queue(session, site_code="NO-SUCH-SITE") == []
    assert [a["rule"] for a in alarm_queue(session, site_code=fleet.pharmacy, rule="tamper")] == ["tamper"]
    assert alarm_queue(session, site_code=fleet.pharmacy, severity="MINOR") == []
    tamper = next(a for a in queue if a["rule"] == "tamper")
    fleet.service.acknowledge(session, tamper["id"], "ops-1", clock.now())
    unacked = alarm_queue(session, site_code=fleet.pharmacy, acknowledged=False)
    assert [a["rule"] for a in unacked] == ["geofence"]
    fleet.service.clear(session, tamper["id"], clock.now())
    assert len(alarm_queue(session, site_code=fleet.pharmacy)) == 1
    cleared_too = alarm_queue(session, site_code=fleet.pharmacy, include_cleared=True)
    assert {a["status"] for a in cleared_too} == {"CLEARED_ACK", "ACTIVE_UNACK"}


def test_a_terminal_history_holds_its_events_and_alarms_and_an_unknown_one_is_not_found(
        fleet: Fleet, session: Session, clock: FixedClock) -> None:
    tampered_and_moved(fleet, session, clock)
    history = terminal_history(session, fleet.terminal_id)
    assert history["terminal"]["serial"] == fleet.serial
    assert history["terminal"]["position"]["accuracy_m"] == 30
    assert [e["kind"] for e in history["events"]] == ["telemetry", "provisioned"]
    assert sorted(a["rule"] for a in history["alarms"]) == ["geofence", "tamper"]
    with pytest.raises(NotFound):
        terminal_history(session, "no-such-terminal")


def test_refusals_report_unknown_devices_and_wrong_secrets(
        fleet: Fleet, session: Session, clock: FixedClock) -> None:
    nonce = "0123456789"
    for serial, secret in ((f"X{fleet.serial}", fleet.secret), (fleet.serial, "0" * 64)):
        fleet.service.provision(session, {"serial": serial, "profile": fleet.profile, "nonce": nonce,
                                          "signature": d.sign(secret, f"{serial}:{nonce}")}, clock.now())
    session.flush()
    mine = [r for r in refusals(session) if fleet.serial in r["serial"]]
    assert sorted((r["serial"], r["reason"]) for r in mine) == [
        (fleet.serial, "bad_signature"), (f"X{fleet.serial}", "unknown_device")]
    assert {r["kind"] for r in mine} == {"refused_provisioning"}


def test_a_replayed_provisioning_request_is_refused_and_keeps_the_device_key(
        fleet: Fleet, session: Session, clock: FixedClock) -> None:
    nonce = "0123456789"
    claim = {"serial": fleet.serial, "profile": fleet.profile, "nonce": nonce,
             "signature": d.sign(fleet.secret, f"{fleet.serial}:{nonce}")}
    first = fleet.service.provision(session, claim, clock.now())
    again = fleet.service.provision(session, claim, clock.now())
    session.flush()
    assert first.accepted and (again.accepted, again.reason) == (False, "replayed_request")
    found = repo.terminal(session, fleet.terminal_id)
    assert found is not None and fleet.service.device_key(found) == first.device_key
    assert [r["reason"] for r in refusals(session) if r["serial"] == fleet.serial] == ["replayed_request"]
