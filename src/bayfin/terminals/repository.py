"""Every query of the terminal-monitoring module."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from bayfin.kernel.pagination import PageRequest, keyset
from bayfin.terminals.models import Alarm, Command, Event, Profile, ProvisionNonce, ScanCursor, Site, Terminal


def site_by_code(session: Session, code: str) -> Site | None:
    """The site with this code."""
    return session.scalars(select(Site).where(Site.code == code)).first()


def sites(session: Session) -> Sequence[Site]:
    """Every site, by code."""
    return session.scalars(select(Site).order_by(Site.code)).all()


def profile(session: Session, key: str) -> Profile | None:
    """A provisioning profile."""
    return session.get(Profile, key)


def terminal(session: Session, terminal_id: str) -> Terminal | None:
    """A terminal by id."""
    return session.get(Terminal, terminal_id)


def terminal_by_serial(session: Session, serial: str) -> Terminal | None:
    """A terminal by its serial number."""
    return session.scalars(select(Terminal).where(Terminal.serial == serial)).first()


def terminals_by_serials(session: Session, serials: Sequence[str]) -> dict[str, Terminal]:
    """Terminals with any of these serials, by serial."""
    if not serials:
        return {}
    rows = session.scalars(select(Terminal).where(Terminal.serial.in_(set(serials)))).all()
    return {t.serial: t for t in rows}


def active_alarms_of_many(session: Session, terminal_ids: Sequence[str]) -> Sequence[Alarm]:
    """The uncleared alarms of several terminals."""
    if not terminal_ids:
        return []
    return session.scalars(select(Alarm).where(Alarm.terminal_id.in_(terminal_ids),
                                               Alarm.cleared.is_(False))).all()


def terminals(session: Session, *, site_id: str | None = None, limit: int = 500,
              offset: int = 0, page: PageRequest | None = None) -> Sequence[Terminal]:
    """Terminals by serial, optionally of one site (a keyset page, one row beyond, when asked)."""
    query = select(Terminal).order_by(Terminal.serial).limit(limit).offset(offset)
    if site_id is not None:
        query = query.where(Terminal.site_id == site_id)
    if page is not None:
        query = keyset(query.limit(None).offset(None), [Terminal.serial], page)
    return session.scalars(query).all()


def active_alarms_of(session: Session, terminal_id: str) -> list[Alarm]:
    """A terminal's uncleared alarms."""
    return list(session.scalars(select(Alarm).where(Alarm.terminal_id == terminal_id,
                                                     Alarm.cleared.is_(False))).all())


def active_site_alarm(session: Session, site_id: str, rule: str) -> Alarm | None:
    """A site-level uncleared alarm of one rule."""
    return session.scalars(select(Alarm).where(Alarm.site_id == site_id, Alarm.terminal_id.is_(None),
                                               Alarm.rule == rule, Alarm.cleared.is_(False))).first()


def silent_terminals(session: Session, cutoff: datetime) -> Sequence[Terminal]:
    """Provisioned terminals last heard before ``cutoff`` without an active offline alarm."""
    already = exists().where(Alarm.terminal_id == Terminal.id, Alarm.rule == "offline",
                             Alarm.cleared.is_(False))
    return session.scalars(select(Terminal).where(Terminal.last_seen < cutoff, ~already)).all()


def alarms(session: Session, *, cleared: bool | None = False, acknowledged: bool | None = None,
           rule: str | None = None, terminal_id: str | None = None, severity: str | None = None,
           site_id: str | None = None, limit: int = 200, offset: int = 0,
           page: PageRequest | None = None) -> Sequence[Alarm]:
    """The alarm queue, newest first; ``site_id`` keeps a site's own alarms and its terminals'
    (a keyset page, one row beyond, when asked)."""
    query = select(Alarm).order_by(Alarm.raised_at.desc(), Alarm.id.desc()).limit(limit).offset(offset)
    if cleared is not None:
        query = query.where(Alarm.cleared.is_(cleared))
    if acknowledged is not None:
        query = query.where(Alarm.acknowledged.is_(acknowledged))
    if rule is not None:
        query = query.where(Alarm.rule == rule)
    if terminal_id is not None:
        query = query.where(Alarm.terminal_id == terminal_id)
    if severity is not None:
        query = query.where(Alarm.severity == severity)
    if site_id is not None:
        at_site = select(Terminal.id).where(Terminal.site_id == site_id)
        query = query.where(or_(Alarm.site_id == site_id, Alarm.terminal_id.in_(at_site)))
    if page is not None:
        query = keyset(query.limit(None).offset(None), [Alarm.raised_at, Alarm.id], page, descending=True)
    return session.scalars(query).all()


def alarm(session: Session, alarm_id: int) -> Alarm | None:
    """One alarm."""
    return session.get(Alarm, alarm_id)


def active_alarm_counts_by_site(session: Session) -> dict[str, dict[str, int]]:
    """Uncleared alarms per site and severity (site alarms and their terminals' alarms)."""
    site_of = func.coalesce(Alarm.site_id, Terminal.site_id)
    rows = session.execute(select(site_of, Alarm.severity, func.count())
                           .select_from(Alarm).outerjoin(Terminal, Terminal.id == Alarm.terminal_id)
                           .where(Alarm.cleared.is_(False)).group_by(site_of, Alarm.severity)).all()
    counts: dict[str, dict[str, int]] = {}
    for site_id, severity, n in rows:
        counts.setdefault(site_id, {})[severity] = n
    return counts


def events_of(session: Session, terminal_id: str, limit: int = 100) -> Sequence[Event]:
    """A terminal's recent history, newest first."""
    return session.scalars(select(Event).where(Event.terminal_id == terminal_id)
                           .order_by(Event.at.desc(), Event.id.desc()).limit(limit)).all()


def refused_events(session: Session, limit: int = 100, page: PageRequest | None = None) -> Sequence[Event]:
    """Recent refusals of unknown or badly signed devices, newest first (a keyset page when asked)."""
    query = select(Event).where(Event.kind.like("refused%"))
    if page is not None:
        return session.scalars(keyset(query, [Event.at, Event.id], page, descending=True)).all()
    return session.scalars(query.order_by(Event.at.desc(), Event.id.desc()).limit(limit)).all()


def command(session: Session, command_id: str) -> Command | None:
    """One command."""
    return session.get(Command, command_id)


def commands_of(session: Session, terminal_id: str, limit: int = 50) -> Sequence[Command]:
    """A terminal's commands, newest first."""
    return session.scalars(select(Command).where(Command.terminal_id == terminal_id)
                           .order_by(Command.created_at.desc()).limit(limit)).all()


def sites_by_codes(session: Session, codes: Sequence[str]) -> dict[str, Site]:
    """Sites with any of these codes, by code."""
    if not codes:
        return {}
    return {s.code: s for s in session.scalars(select(Site).where(Site.code.in_(set(codes)))).all()}


def active_site_alarms(session: Session, site_ids: Sequence[str], rule: str) -> dict[str, Alarm]:
    """The uncleared site-level alarms of one rule, by site id."""
    if not site_ids:
        return {}
    rows = session.scalars(select(Alarm).where(Alarm.site_id.in_(site_ids), Alarm.terminal_id.is_(None),
                                               Alarm.rule == rule, Alarm.cleared.is_(False))).all()
    return {a.site_id: a for a in rows if a.site_id is not None}


def last_site_clearances(session: Session, site_ids: Sequence[str], rule: str) -> dict[str, datetime]:
    """When each site's latest cleared site-level alarm of one rule was cleared, by site id."""
    if not site_ids:
        return {}
    rows = session.execute(select(Alarm.site_id, func.max(Alarm.cleared_at))
                           .where(Alarm.site_id.in_(site_ids), Alarm.terminal_id.is_(None),
                                  Alarm.rule == rule, Alarm.cleared.is_(True))
                           .group_by(Alarm.site_id)).all()
    return {site_id: at for site_id, at in rows if site_id is not None and at is not None}


def scan_cursor(session: Session, name: str) -> ScanCursor | None:
    """A periodic scan's cursor, locked for this transaction (PostgreSQL) so two workers never read
    the same increment."""
    return session.scalars(select(ScanCursor).where(ScanCursor.name == name).with_for_update()).first()


def terminals_by_ids(session: Session, terminal_ids: Sequence[str]) -> dict[str, Terminal]:
    """Terminals with any of these ids, by id."""
    if not terminal_ids:
        return {}
    rows = session.scalars(select(Terminal).where(Terminal.id.in_(set(terminal_ids)))).all()
    return {t.id: t for t in rows}


def terminal_counts_by_site(session: Session) -> dict[str, tuple[int, int]]:
    """Per site id: (terminals, of which connected)."""
    rows = session.execute(select(Terminal.site_id, func.count(),
                                  func.count().filter(Terminal.connected.is_(True)))
                           .group_by(Terminal.site_id)).all()
    return {site_id: (total, connected) for site_id, total, connected in rows}


def provision_nonce_used(session: Session, terminal_id: str, nonce: str) -> bool:
    """Whether a terminal has provisioned with this nonce before."""
    return session.get(ProvisionNonce, (terminal_id, nonce)) is not None


#: The module's rows a use case may add to the session.
Row = Site | Profile | Terminal | Event | ProvisionNonce | Command | Alarm | ScanCursor


def add(session: Session, row: Row) -> None:
    """Add a new row to the session (the caller flushes; the edge commits)."""
    session.add(row)


def site(session: Session, site_id: str) -> Site | None:
    """The site with this id."""
    return session.get(Site, site_id)
