"""Use cases of terminal monitoring: registry, provisioning, telemetry, rules → alarms, commands.

Services only flush; the caller (CLI, request, ingest worker) owns the transaction. Commands are
published by an after-commit hook, so a rolled-back request never reaches a device.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session

from bayfin.kernel.db import UnitOfWork
from bayfin.kernel.errors import Conflict, NotFound, ValidationFailed
from bayfin.kernel.ids import new_id
from bayfin.terminals import domain as d
from bayfin.terminals import repository as repo
from bayfin.terminals.alarms import clear_alarm, raise_alarm
from bayfin.terminals.models import Alarm, Command, Event, Profile, ProvisionNonce, Site, Terminal

TOPIC_ROOT = "bayfin/terminals"
PROVISION_REQUEST = "bayfin/provision/request"
SITE_KINDS = ("pharmacy", "hospital")
COMMAND_ACTIONS = ("lock", "unlock", "configure")


def micro(degrees: float) -> int:
    """Degrees as integer micro-degrees (about 0.1 m: exact storage, no float columns)."""
    return round(degrees * 1_000_000)


def site_view(site: Site) -> d.SiteView:
    """The rules' view of a site row."""
    return d.SiteView(site_id=site.id, code=site.code, lat=site.lat_micro / 1e6, lon=site.lon_micro / 1e6,
                      geofence_m=site.geofence_m, opening_hours=site.opening_hours)


class Publisher(Protocol):
    """Where commands and provisioning answers go (MQTT in production, a list in unit tests)."""

    def publish(self, topic: str, payload: bytes, *, qos: int = 1) -> None: ...


@dataclass
class MemoryPublisher:
    """An in-memory publisher for tests without a broker."""

    sent: list[tuple[str, bytes]] = field(default_factory=list)

    def publish(self, topic: str, payload: bytes, *, qos: int = 1) -> None:
        """Keep the message."""
        self.sent.append((topic, payload))


@dataclass
class Prefetched:
    """A batch's terminals by serial and their active alarms by terminal id and rule."""

    terminals: dict[str, Terminal]
    active: dict[str, dict[str, Alarm]]


@dataclass(frozen=True)
class ProvisionResult:
    """The answer to a provisioning request."""

    accepted: bool
    serial: str
    reason: str | None = None
    device_key: str | None = None
    terminal_id: str | None = None
    #: The device key sealed for the MQTT answer (see ``domain.seal_key``); never the key in clear.
    sealed_key: str | None = None


def encode_signed(key: str, body: Mapping[str, Any]) -> bytes:
    """A device message: 64 hex chars of HMAC, a dot, then the JSON body it signs."""
    text = json.dumps(body, separators=(",", ":"))
    return f"{d.sign(key, text)}.{text}".encode()


def decode_signed(payload: bytes) -> tuple[str, str]:
    """Split a device message into (signature, body text); ValueError when malformed."""
    text = payload.decode()
    if len(text) < 66 or text[64] != ".":
        raise ValueError("not a signed device message")
    return text[:64], text[65:]


@dataclass
class TerminalsService:
    """The module's use cases, configured with its master key, clock-free rules and a publisher."""

    master_key: bytes
    publisher: Publisher
    offline_timeout: timedelta = timedelta(seconds=180)
    #: How long the list of every site is trusted before it is read again (sites registered by
    #: another process appear within this time; this process's own appear at once).
    sites_refresh: timedelta = timedelta(seconds=60)
    _sites: dict[str, d.SiteView] = field(default_factory=dict)
    _sites_listed_at: float | None = None

    def close(self) -> None:
        """Release the publisher's connection."""
        close = getattr(self.publisher, "close", None)
        if callable(close):
            close()

    # --- registry ------------------------------------------------------------------------------

    def create_site(self, session: Session, *, code: str, name: str, kind: str, licence: str,
                    lat: float, lon: float, geofence_m: int, opening_hours: Mapping[str, Any],
                    now: datetime) -> Site:
        """Register a pharmacy or hospital with its licence, position, fence and opening hours."""
        if kind not in SITE_KINDS:
            raise ValidationFailed(f"site kind must be one of {', '.join(SITE_KINDS)}")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180) or not 10 <= geofence_m <= 50_000:
            raise ValidationFailed("position or geofence out of range")
        try:
            d.validate_opening_hours(opening_hours)
        except (ValueError, TypeError, AttributeError) as exc:
            raise ValidationFailed(f"opening hours: {exc}") from exc
        if repo.site_by_code(session, code) is not None:
            raise Conflict(f"site {code} exists")
        site = Site(id=new_id(), code=code, name=name, kind=kind, licence=licence, lat_micro=micro(lat),
                    lon_micro=micro(lon), geofence_m=geofence_m, opening_hours=dict(opening_hours),
                    created_at=now)
        repo.add(session, site)
        session.flush()
        self._sites[site.id] = site_view(site)
        return site

    def create_profile(self, session: Session, key: str, bank_id: str, now: datetime) -> tuple[Profile, str]:
        """A provisioning profile and its secret (derived, so shown once and never stored)."""
        if repo.profile(session, key) is not None:
            raise Conflict(f"profile {key} exists")
        found = Profile(key=key, bank_id=bank_id, active=True, created_at=now)
        repo.add(session, found)
        session.flush()
        return found, self.profile_secret(key)

    def profile_secret(self, key: str) -> str:
        """The provisioning secret of a profile."""
        return d.derive_secret(self.master_key, f"profile:{key}")

    def register_terminal(self, session: Session, *, serial: str, model: str, firmware: str,
                          site_code: str, bank_id: str, profile_key: str) -> Terminal:
        """Register a terminal at a site; it may provision itself afterwards."""
        site = repo.site_by_code(session, site_code)
        if site is None:
            raise NotFound(f"no site {site_code}")
        if repo.profile(session, profile_key) is None:
            raise NotFound(f"no profile {profile_key}")
        if repo.terminal_by_serial(session, serial) is not None:
            raise Conflict(f"terminal {serial} exists")
        found = Terminal(id=new_id(), serial=serial, model=model, firmware=firmware, bank_id=bank_id,
                         site_id=site.id, profile_key=profile_key, key_generation=0, locked=False,
                         connected=False, config={})
        repo.add(session, found)
        session.flush()
        return found

    def device_key(self, found: Terminal) -> str:
        """The terminal's own HMAC key for its current credential generation."""
        return d.derive_secret(self.master_key, f"device:{found.serial}:{found.key_generation}")

    def site(self, session: Session, site_id: str) -> d.SiteView:
        """A site's rule view, cached (sites change rarely; telemetry arrives constantly)."""
        view = self._sites.get(site_id)
        if view is None:
            row = repo.site(session, site_id)
            if row is None:
                raise NotFound(f"no site {site_id}")
            view = self._sites[site_id] = site_view(row)
        return view

    def all_sites(self, session: Session) -> list[d.SiteView]:
        """Every site's rule view, from the cache (re-read every ``sites_refresh``)."""
        listed_at = self._sites_listed_at
        if listed_at is None or time.monotonic() - listed_at > self.sites_refresh.total_seconds():
            for row in repo.sites(session):
                self._sites.setdefault(row.id, site_view(row))
            self._sites_listed_at = time.monotonic()
        return list(self._sites.values())

    # --- provisioning --------------------------------------------------------------------------

    def provision(self, session: Session, request: Mapping[str, Any], now: datetime) -> ProvisionResult:
        """Check a device's claim (serial, profile, nonce, HMAC under the profile secret) and issue
        its own key; refusals are recorded as events for the operators."""
        serial = str(request.get("serial", ""))[:40]
        profile_key = str(request.get("profile", ""))
        nonce = str(request.get("nonce", ""))
        reason = None
        found = repo.terminal_by_serial(session, serial) if serial else None
        profile_row = repo.profile(session, profile_key) if profile_key else None
        if found is None:
            reason = "unknown_device"
        elif profile_row is None or not profile_row.active or found.profile_key != profile_key:
            reason = "wrong_profile"
        elif not 8 <= len(nonce) <= 64 or not d.signature_valid(
                self.profile_secret(profile_key), f"{serial}:{nonce}", str(request.get("signature", ""))):
            reason = "bad_signature"
        elif repo.provision_nonce_used(session, found.id, nonce):
            reason = "replayed_request"
        if reason is not None or found is None:
            repo.add(session, Event(terminal_id=None if found is None else found.id, serial=serial or "?",
                              kind="refused_provisioning", at=now,
                              data={"reason": reason, "profile": profile_key[:40]}))
            session.flush()
            return ProvisionResult(False, serial, reason=reason)
        repo.add(session, ProvisionNonce(terminal_id=found.id, nonce=nonce, used_at=now))
        found.key_generation += 1
        found.provisioned_at = now
        found.last_seen = now
        # A new key makes every captured message useless, so the replay marks start afresh: a device
        # whose clock was reset recovers by provisioning again.
        found.telemetry_at, found.telemetry_seq = None, 0
        found.status_at, found.will_nonce, found.will_consumed = None, None, False
        repo.add(session, Event(terminal_id=found.id, serial=serial, kind="provisioned", at=now,
                          data={"generation": found.key_generation}))
        session.flush()
        key = self.device_key(found)
        return ProvisionResult(True, serial, device_key=key, terminal_id=found.id,
                               sealed_key=d.seal_key(self.profile_secret(profile_key), nonce, key))

    # --- telemetry -----------------------------------------------------------------------------

    def prefetch(self, session: Session, serials: Sequence[str]) -> Prefetched:
        """Load a batch's terminals and their active alarms in two queries, not two per message."""
        terminals = repo.terminals_by_serials(session, serials)
        active: dict[str, dict[str, Alarm]] = {t.id: {} for t in terminals.values()}
        for alarm in repo.active_alarms_of_many(session, list(active)):
            if alarm.terminal_id is not None:
                active[alarm.terminal_id][alarm.rule] = alarm
        return Prefetched(terminals, active)

    def ingest(self, session: Session, serial: str, payload: bytes, now: datetime,
               prefetched: Prefetched | None = None) -> list[Alarm]:
        """Verify and apply one telemetry message, evaluate the rules, return alarms raised."""
        if prefetched is None:
            prefetched = self.prefetch(session, [serial])
        found = prefetched.terminals.get(serial)
        try:
            signature, text = decode_signed(payload)
        except (ValueError, UnicodeDecodeError):
            signature, text = "", ""
        if found is None or found.provisioned_at is None or not d.signature_valid(
                self.device_key(found), text, signature):
            repo.add(session, Event(terminal_id=None if found is None else found.id, serial=serial[:40],
                              kind="refused_telemetry",
                              at=now,
                              data={"reason": "unknown_device" if found is None else "bad_signature"}))
            return []
        try:
            body = json.loads(text)
            event_at = datetime.fromtimestamp(float(body.get("ts", now.timestamp())), UTC)
            seq = int(body.get("seq") or 0)
        except (ValueError, TypeError, OverflowError, AttributeError):
            repo.add(session, Event(terminal_id=found.id, serial=serial, kind="refused_telemetry", at=now,
                              data={"reason": "malformed"}))
            return []
        # A message must be newer than the last one applied, by (device time, sequence): a replayed
        # heartbeat would otherwise keep a dead terminal looking alive.
        if found.telemetry_at is not None and (event_at, seq) <= (found.telemetry_at, found.telemetry_seq):
            if (event_at, seq) < (found.telemetry_at, found.telemetry_seq):
                repo.add(session, Event(terminal_id=found.id, serial=serial, kind="refused_telemetry", at=now,
                                  data={"reason": "replay"}))
            return []  # the same message again (QoS 1 redelivery) is simply not applied twice
        found.telemetry_at, found.telemetry_seq = event_at, seq
        return self._apply(session, found, body, event_at, now, prefetched.active[found.id])

    def _apply(self, session: Session, found: Terminal, body: Mapping[str, Any], event_at: datetime,
               now: datetime, active: dict[str, Alarm]) -> list[Alarm]:
        """Update the terminal and run the rules; ``active`` (the terminal's uncleared alarms by rule)
        is kept current so later messages of the same batch see this one's alarms."""
        site = self.site(session, found.site_id)
        findings: list[d.Finding] = []
        clears: list[str] = []
        found.last_seen = now
        found.connected = True
        if d.Rule.offline in active:
            clears.append(d.Rule.offline)
        firmware = body.get("firmware")
        if isinstance(firmware, str) and firmware and firmware != found.firmware:
            repo.add(session, Event(terminal_id=found.id, serial=found.serial, kind="firmware", at=event_at,
                              data={"from": found.firmware, "to": firmware[:40]}))
            found.firmware = firmware[:40]
        fix = _fix(body.get("position"))
        if fix is not None:
            found.last_lat_micro, found.last_lon_micro = micro(fix.lat), micro(fix.lon)
            found.last_accuracy_m, found.last_fix_source = round(fix.accuracy_m), fix.source[:8]
            outside = d.check_geofence(site, fix)
            if outside is not None:
                findings.append(outside)
            elif d.Rule.geofence in active:
                clears.append(d.Rule.geofence)
        raw_txn = body.get("txn")
        txn: dict[str, Any] = raw_txn if isinstance(raw_txn, dict) else {}
        raw_count = txn.get("count", 0)
        count = raw_count if isinstance(raw_count, int) and 0 <= raw_count <= 10_000 else 0
        counter = body.get("txn_counter")
        if isinstance(counter, int):
            previous, previous_at = found.txn_counter, found.txn_counter_at
            if previous is not None and previous_at is not None and counter >= previous:
                delta = counter - previous
                seconds = (event_at - previous_at).total_seconds()
                spike = d.check_spike(found.baseline_milli_per_hour, delta, seconds)
                if spike is not None:
                    findings.append(spike)
                elif seconds > 0:
                    # Spikes do not feed the baseline, or a sustained abuse would become normal.
                    found.baseline_milli_per_hour = d.update_baseline(found.baseline_milli_per_hour,
                                                                      delta, seconds)
            found.txn_counter, found.txn_counter_at = counter, event_at
        if count > 0:
            # Where the terminal is: this message's fix, else the last one it reported.
            seen_at = self._seen_at(session, site, fix or _last_fix(found))
            for finding in (d.check_after_hours(site, event_at, count),
                            d.check_cross_site(site, str(txn.get("site", site.code))[:32], seen_at, count)):
                if finding is not None:
                    findings.append(finding)
        tamper = body.get("tamper")
        if isinstance(tamper, list):
            finding = d.check_tamper([str(t)[:32] for t in tamper])
            if finding is not None:
                findings.append(finding)
        repo.add(session, Event(terminal_id=found.id, serial=found.serial, kind="telemetry", at=event_at,
                          data=_history(body, fix, count)))
        for rule in clears:
            clear_alarm(active.pop(rule), now)
        raised = []
        for finding in findings:
            alarm = raise_alarm(session, found.id, None, finding, event_at, now, active.get(finding.rule))
            active[finding.rule] = alarm
            raised.append(alarm)
        return raised

    def _seen_at(self, session: Session, site: d.SiteView, fix: d.Fix | None) -> d.SiteView | None:
        """The site a fix puts the terminal at: its own when inside its fence, else the nearest other
        site whose fence the fix reaches, else none (unknown position, or nowhere registered)."""
        if fix is None:
            return None
        if d.check_geofence(site, fix) is None:
            return site
        return d.site_seen_at((s for s in self.all_sites(session) if s.site_id != site.site_id), fix)

    def status(self, session: Session, serial: str, payload: bytes, now: datetime) -> list[Alarm]:
        """A device's signed status: "online" (announcing the nonce of the last will it armed at
        connect), "closed" (a clean disconnect) or "offline" (that last will, published by the broker
        after an abrupt drop). Unsigned, forged and replayed messages are refused and reported, so no
        other client can raise an offline alarm for someone else's terminal."""
        if not payload:  # the broker clearing a retained status: no claim at all
            return []
        found = repo.terminal_by_serial(session, serial)
        if found is None or found.provisioned_at is None:
            return []
        verdict = self._status_verdict(found, payload)
        if isinstance(verdict, str):
            if verdict != "duplicate":  # QoS 1 redelivery and retained copies are not attacks
                repo.add(session, Event(terminal_id=found.id, serial=serial, kind="refused_status", at=now,
                                  data={"reason": verdict}))
            return []
        state, sent_at, nonce = verdict
        repo.add(session, Event(terminal_id=found.id, serial=serial, kind=f"status_{state}", at=now, data={}))
        if state != "offline":
            found.status_at = sent_at
            found.connected = state == "online"
            found.will_nonce, found.will_consumed = (nonce, False) if state == "online" else (None, False)
            return []
        found.will_consumed = True
        found.connected = False
        finding = d.check_offline(found.last_seen, now, self.offline_timeout, disconnected=True)
        active = {a.rule: a for a in repo.active_alarms_of(session, found.id)}
        assert finding is not None
        return [raise_alarm(session, found.id, None, finding, now, now, active.get(d.Rule.offline))]

    def _status_verdict(self, found: Terminal, payload: bytes) -> tuple[str, datetime, str | None] | str:
        """(state, device time, will nonce) of an acceptable status message, or why it is refused."""
        try:
            signature, text = decode_signed(payload)
        except (ValueError, UnicodeDecodeError):
            return "unsigned"
        if not d.signature_valid(self.device_key(found), text, signature):
            return "bad_signature"
        try:
            body = json.loads(text)
            state = str(body["state"])
            sent_at = datetime.fromtimestamp(float(body["ts"]), UTC)
            nonce = body.get("will") if state == "online" else body.get("nonce")
        except (ValueError, TypeError, KeyError, OverflowError):
            return "malformed"
        if state not in ("online", "closed", "offline") or not isinstance(nonce, str | None):
            return "malformed"
        if state == "offline":
            # The will was signed at connect time, before the "online" that armed it: it is judged
            # by its nonce, accepted once, and never by its (older) timestamp.
            if found.will_nonce is None or nonce != found.will_nonce:
                return "replay"
            return "duplicate" if found.will_consumed else (state, sent_at, nonce)
        if state == "online" and (nonce is None or not 8 <= len(nonce) <= 32):
            return "malformed"
        if found.status_at is not None and sent_at <= found.status_at:
            return "duplicate" if sent_at == found.status_at else "replay"
        return state, sent_at, nonce

    def sweep_offline(self, session: Session, now: datetime) -> list[Alarm]:
        """Raise an offline alarm for every terminal silent longer than the timeout."""
        raised = []
        for found in repo.silent_terminals(session, now - self.offline_timeout):
            finding = d.check_offline(found.last_seen, now, self.offline_timeout)
            if finding is not None:
                assert found.last_seen is not None
                raised.append(raise_alarm(session, found.id, None, finding,
                                          found.last_seen + self.offline_timeout, now, None))
        return raised

    # --- alarms --------------------------------------------------------------------------------

    def acknowledge(self, session: Session, alarm_id: int, who: str, now: datetime) -> Alarm:
        """An operator takes note of an alarm (it stays active until cleared)."""
        alarm = repo.alarm(session, alarm_id)
        if alarm is None:
            raise NotFound(f"no alarm {alarm_id}")
        if not alarm.acknowledged:
            alarm.acknowledged, alarm.acknowledged_at, alarm.acknowledged_by = True, now, who[:200]
        session.flush()
        return alarm

    def clear(self, session: Session, alarm_id: int, now: datetime) -> Alarm:
        """An operator clears an alarm (a later finding raises a new one)."""
        alarm = repo.alarm(session, alarm_id)
        if alarm is None:
            raise NotFound(f"no alarm {alarm_id}")
        if not alarm.cleared:
            clear_alarm(alarm, now)
        session.flush()
        return alarm

    # --- commands ------------------------------------------------------------------------------

    def send_command(self, uow: UnitOfWork, terminal_id: str, action: str, params: Mapping[str, Any],
                     who: str, now: datetime, mark_sent: Callable[[str], None] | None = None) -> Command:
        """Record a command and publish it to the device only once the transaction commits."""
        if action not in COMMAND_ACTIONS:
            raise ValidationFailed(f"action must be one of {', '.join(COMMAND_ACTIONS)}")
        found = repo.terminal(uow.session, terminal_id)
        if found is None:
            raise NotFound(f"no terminal {terminal_id}")
        cmd = Command(id=new_id(), terminal_id=found.id, action=action, params=dict(params), state="queued",
                      requested_by=who[:200], created_at=now)
        repo.add(uow.session, cmd)
        uow.session.flush()
        topic = f"{TOPIC_ROOT}/{found.serial}/commands"
        body = {"command_id": cmd.id, "action": action, "params": dict(params)}
        payload = encode_signed(self.device_key(found), body)

        def publish() -> None:
            self.publisher.publish(topic, payload, qos=1)
            if mark_sent is not None:
                mark_sent(cmd.id)

        uow.after_commit(publish)
        return cmd

    def mark_sent(self, session: Session, command_id: str, now: datetime) -> None:
        """Note that a command left for the broker."""
        cmd = repo.command(session, command_id)
        if cmd is not None and cmd.state == "queued":
            cmd.state, cmd.sent_at = "sent", now

    def acknowledge_command(self, session: Session, serial: str, payload: bytes,
                            now: datetime) -> Command | None:
        """Apply a device's signed acknowledgement: lock/unlock/config take effect in the registry."""
        found = repo.terminal_by_serial(session, serial)
        if found is None:
            return None
        try:
            signature, text = decode_signed(payload)
            body = json.loads(text) if d.signature_valid(self.device_key(found), text, signature) else None
        except (ValueError, UnicodeDecodeError):
            body = None
        cmd = repo.command(session, str(body.get("command_id", ""))) if isinstance(body, dict) else None
        if cmd is None or cmd.terminal_id != found.id or cmd.state == "acknowledged":
            return None
        ok = body is not None and body.get("status") == "ok"
        cmd.state, cmd.acknowledged_at = ("acknowledged" if ok else "failed"), now
        cmd.result = str(body.get("status") if body else "")[:200]
        if ok:
            if cmd.action in ("lock", "unlock"):
                found.locked = cmd.action == "lock"
            else:
                found.config = {**found.config, **cmd.params}
        repo.add(session, Event(terminal_id=found.id, serial=serial, kind="command_ack", at=now,
                          data={"command_id": cmd.id, "action": cmd.action, "state": cmd.state}))
        return cmd


def _fix(raw: Any) -> d.Fix | None:
    if not isinstance(raw, dict):
        return None
    try:
        lat, lon, accuracy = float(raw["lat"]), float(raw["lon"]), float(raw.get("accuracy_m", 0))
    except (KeyError, TypeError, ValueError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or accuracy < 0:
        return None
    return d.Fix(lat, lon, accuracy, str(raw.get("source", "gps")))


def _last_fix(found: Terminal) -> d.Fix | None:
    if found.last_lat_micro is None or found.last_lon_micro is None:
        return None
    return d.Fix(found.last_lat_micro / 1e6, found.last_lon_micro / 1e6, float(found.last_accuracy_m or 0),
                 found.last_fix_source or "gps")


def _history(body: Mapping[str, Any], fix: d.Fix | None, count: int) -> dict[str, Any]:
    """What the history keeps of a message: counters, position and flags, never card data."""
    kept: dict[str, Any] = {"seq": body.get("seq"), "txn": count}
    if fix is not None:
        kept["pos"] = [round(fix.lat, 6), round(fix.lon, 6), round(fix.accuracy_m), fix.source]
    if body.get("tamper"):
        kept["tamper"] = body.get("tamper")
    return kept
