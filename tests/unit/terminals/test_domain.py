"""The pure compliance rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bayfin.terminals import domain as d

SITE = d.SiteView("s1", "PH-1", 22.2220, 113.5440, 150, {str(x): [["08:00", "22:00"]] for x in range(1, 6)})


def test_the_distance_between_gongbei_and_xiangzhou_is_about_five_and_a_half_kilometres() -> None:
    assert 5_400 < d.distance_m(22.2220, 113.5440, 22.2710, 113.5670) < 6_000


def test_a_fix_is_outside_only_when_its_whole_accuracy_circle_is() -> None:
    assert d.check_geofence(SITE, d.Fix(22.2260, 113.5440, 300, "cell")) is None
    assert d.check_geofence(SITE, d.Fix(22.2260, 113.5440, 200, "wifi")) is not None


def test_opening_hours_are_read_in_china_time_and_weekends_are_closed() -> None:
    wednesday_0930_cst = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)
    assert d.is_open(SITE.opening_hours, wednesday_0930_cst)
    assert not d.is_open(SITE.opening_hours, wednesday_0930_cst + timedelta(hours=13))
    assert not d.is_open(SITE.opening_hours, wednesday_0930_cst + timedelta(days=3))  # Saturday


def test_malformed_opening_hours_are_rejected() -> None:
    for bad in ({"8": [["08:00", "20:00"]]}, {"1": [["20:00", "08:00"]]}, {"1": [["24:30", "25:00"]]}):
        with pytest.raises(ValueError):
            d.validate_opening_hours(bad)


def test_offline_after_the_timeout_and_at_once_on_a_last_will() -> None:
    seen = datetime(2026, 1, 1, tzinfo=UTC)
    assert d.check_offline(seen, seen + timedelta(seconds=60), timedelta(seconds=60)) is None
    assert d.check_offline(seen, seen + timedelta(seconds=61), timedelta(seconds=60)) is not None
    finding = d.check_offline(seen, seen, timedelta(seconds=60), disconnected=True)
    assert finding is not None and finding.evidence["reason"] == "last_will"


def test_a_spike_needs_a_learnt_baseline_and_several_sales() -> None:
    assert d.check_spike(None, 50, 60) is None
    assert d.check_spike(15_000, 3, 60) is None
    assert d.check_spike(15_000, 10, 60) is not None


def test_alarm_states_combine_cleared_and_acknowledged() -> None:
    assert d.alarm_status(cleared=False, acknowledged=True) is d.AlarmStatus.active_ack
    assert d.alarm_status(cleared=True, acknowledged=False) is d.AlarmStatus.cleared_unack


def test_cross_site_compares_the_site_a_sale_is_booked_for_with_where_the_terminal_is() -> None:
    hospital = d.SiteView("s2", "HO-1", 22.2710, 113.5670, 300, {})
    assert d.check_cross_site(SITE, "PH-1", SITE, 1) is None
    assert d.check_cross_site(SITE, "PH-1", None, 1) is None  # position unknown: no verdict
    assert d.check_cross_site(SITE, "PH-1", hospital, 0) is None
    moved = d.check_cross_site(SITE, "PH-1", hospital, 2)
    assert moved is not None and moved.evidence["seen_at_site"] == "HO-1"
    relabelled = d.check_cross_site(SITE, "HO-1", SITE, 1)
    assert relabelled is not None and relabelled.evidence["booked_site"] == "HO-1"


def test_a_sealed_device_key_opens_only_with_the_profile_secret_and_the_nonce() -> None:
    key = d.derive_secret(b"master", "device:SN1:1")
    sealed = d.seal_key("profile-secret", "nonce-1", key)
    assert sealed != key
    assert d.seal_key("profile-secret", "nonce-1", sealed) == key
    assert d.seal_key("another-secret", "nonce-1", sealed) != key
    assert d.seal_key("profile-secret", "nonce-2", sealed) != key
