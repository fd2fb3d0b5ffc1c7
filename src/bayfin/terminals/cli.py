"""``bayfin terminals …``: sites, profiles, terminals, alarms, the ingest service and the fleet simulator."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from pathlib import Path

import typer

from bayfin.cli.context import open_platform
from bayfin.cli.output import JsonOption, console, emit, err_console, progress
from bayfin.cli.output import refusals as business_refusals
from bayfin.cli.serving import ProbePortOption, on_stop_signals, serving
from bayfin.simulation.terminals import simulator
from bayfin.terminals import medical
from bayfin.terminals import repository as repo
from bayfin.terminals.views import alarm_queue, alarm_row, refusals, site_map, terminal_history, terminal_row
from bayfin.terminals.wiring import ingest_worker, terminals_service

app = typer.Typer(help="IoT monitoring of social-security / medical-insurance card terminals.",
                  no_args_is_help=True)
sites_app = typer.Typer(help="Pharmacies and hospitals.", no_args_is_help=True)
profiles_app = typer.Typer(help="Provisioning profiles.", no_args_is_help=True)
alarms_app = typer.Typer(help="The alarm queue.", no_args_is_help=True)
for _sub, _name in ((sites_app, "sites"), (profiles_app, "profiles"), (alarms_app, "alarms")):
    app.add_typer(_sub, name=_name)

DEFAULT_HOURS = json.dumps({str(day): [["08:00", "22:00"]] for day in range(1, 8)})



@sites_app.command("add")
def sites_add(code: str = typer.Option(...), name: str = typer.Option(...),
              kind: str = typer.Option("pharmacy", help="pharmacy or hospital"),
              licence: str = typer.Option(...), lat: float = typer.Option(...),
              lon: float = typer.Option(...),
              geofence: int = typer.Option(150, help="Fence radius in metres."),
              hours: str = typer.Option(DEFAULT_HOURS, help='JSON: {"1": [["08:00", "22:00"]], …}'),
              as_json: bool = JsonOption) -> None:
    """Register a site."""
    with business_refusals(), open_platform() as platform, platform.unit_of_work() as uow:
        site = terminals_service(platform).create_site(
            uow.session, code=code, name=name, kind=kind, licence=licence, lat=lat, lon=lon,
            geofence_m=geofence, opening_hours=json.loads(hours), now=platform.clock.now())
        uow.commit()
    emit({"id": site.id, "code": site.code}, as_json=as_json, title="site")


@sites_app.command("list")
def sites_list(as_json: bool = JsonOption) -> None:
    """Every site."""
    with open_platform() as platform, platform.unit_of_work() as uow:
        rows = [{"code": s.code, "name": s.name, "kind": s.kind, "lat": s.lat_micro / 1e6,
                 "lon": s.lon_micro / 1e6, "geofence_m": s.geofence_m} for s in repo.sites(uow.session)]
    emit(rows, as_json=as_json, title="sites")


@profiles_app.command("create")
def profiles_create(key: str = typer.Argument(...), bank: str = typer.Option(...),
                    as_json: bool = JsonOption) -> None:
    """Create a provisioning profile and print its secret (shown once: give it to the device maker)."""
    with business_refusals(), open_platform() as platform, platform.unit_of_work() as uow:
        _, secret = terminals_service(platform).create_profile(uow.session, key, bank, platform.clock.now())
        uow.commit()
    emit({"profile": key, "secret": secret}, as_json=as_json, title="profile")


@app.command("add")
def terminals_add(serial: str = typer.Option(...), site: str = typer.Option(..., help="Site code."),
                  profile: str = typer.Option(...), bank: str = typer.Option(...),
                  model: str = typer.Option("PAX-A920"), firmware: str = typer.Option("1.0.0"),
                  as_json: bool = JsonOption) -> None:
    """Register a terminal at a site."""
    with business_refusals(), open_platform() as platform, platform.unit_of_work() as uow:
        found = terminals_service(platform).register_terminal(
            uow.session, serial=serial, model=model, firmware=firmware, site_code=site, bank_id=bank,
            profile_key=profile)
        uow.commit()
    emit({"id": found.id, "serial": found.serial}, as_json=as_json, title="terminal")


@app.command("list")
def terminals_list(limit: int = typer.Option(100), as_json: bool = JsonOption) -> None:
    """Terminals and their last known state."""
    with open_platform() as platform, platform.unit_of_work() as uow:
        rows = [terminal_row(t) for t in repo.terminals(uow.session, limit=limit)]
    emit(rows, as_json=as_json, title="terminals",
         columns=None if as_json else ["serial", "site_id", "connected", "locked", "last_seen", "firmware"])


@alarms_app.command("list")
def alarms_list(include_cleared: bool = typer.Option(False, "--all", help="Cleared alarms too."),
                rule: str = typer.Option(None), severity: str = typer.Option(None, help="e.g. CRITICAL"),
                site: str = typer.Option(None, help="Site code: its own alarms and its terminals'."),
                unacknowledged: bool = typer.Option(False, "--unacked", help="Only unacknowledged ones."),
                limit: int = typer.Option(100), as_json: bool = JsonOption) -> None:
    """The alarm queue, newest first."""
    with open_platform() as platform, platform.unit_of_work() as uow:
        rows = alarm_queue(uow.session, include_cleared=include_cleared,
                           acknowledged=False if unacknowledged else None, rule=rule, severity=severity,
                           site_code=site, limit=limit)
    columns = ["id", "rule", "severity", "status", "site_code", "serial", "raised_at"]
    emit(rows, as_json=as_json, title="alarms", columns=None if as_json else columns)


@app.command("history")
def history(terminal_id: str = typer.Argument(...), limit: int = typer.Option(30),
            as_json: bool = JsonOption) -> None:
    """One terminal's recent events (telemetry, status, refusals, command acks)."""
    with business_refusals(), open_platform() as platform, platform.unit_of_work() as uow:
        found = terminal_history(uow.session, terminal_id, limit)
    if as_json:
        emit(found, as_json=True)
        return
    emit(found["events"], as_json=False, title=f"history of {found['terminal']['serial']}",
         columns=["at", "kind", "data"])


@app.command("refusals")
def refusals_list(limit: int = typer.Option(100), as_json: bool = JsonOption) -> None:
    """Refused devices and messages: unknown serials, wrong secrets, forged or replayed messages."""
    with open_platform() as platform, platform.unit_of_work() as uow:
        rows = refusals(uow.session, limit)
    emit(rows, as_json=as_json, title="refusals",
         columns=None if as_json else ["at", "kind", "serial", "reason"])


@alarms_app.command("ack")
def alarms_ack(alarm_id: int = typer.Argument(...), who: str = typer.Option("cli")) -> None:
    """Acknowledge an alarm."""
    with business_refusals(), open_platform() as platform, platform.unit_of_work() as uow:
        terminals_service(platform).acknowledge(uow.session, alarm_id, who, platform.clock.now())
        uow.commit()


@alarms_app.command("clear")
def alarms_clear(alarm_id: int = typer.Argument(...)) -> None:
    """Clear an alarm."""
    with business_refusals(), open_platform() as platform, platform.unit_of_work() as uow:
        terminals_service(platform).clear(uow.session, alarm_id, platform.clock.now())
        uow.commit()


@app.command("scan-medical")
def scan_medical(hours: int = typer.Option(24, help="Look back this many hours."),
                 as_json: bool = JsonOption) -> None:
    """Run the non-medical-purchase rule over the card module's medical payments."""
    with open_platform() as platform, platform.unit_of_work() as uow:
        now = platform.clock.now()
        raised = medical.scan_since(uow.session, now - timedelta(hours=hours), now)
        uow.commit()
        rows = [alarm_row(a) for a in raised]
    emit(rows, as_json=as_json, title="non-medical purchase alarms")


@app.command("map")
def map_svg(out: Path = typer.Option(Path("terminals-map.svg"), help="Where to write the SVG.")) -> None:
    """Write the map of sites coloured by their worst active alarm."""
    with open_platform() as platform, platform.unit_of_work() as uow:
        out.write_text(site_map(uow.session), encoding="utf-8")
    console.print(f"wrote {out}")


@app.command("ingest")
def ingest(duration: float = typer.Option(0, help="Seconds to run (0: until SIGTERM or Ctrl-C)."),
           offline_timeout: int = typer.Option(180, help="Seconds of silence before an offline alarm."),
           medical_every: float = typer.Option(10.0, help="Seconds between scans of new card payments."),
           probe_port: int = ProbePortOption,
           as_json: bool = JsonOption) -> None:
    """Consume device messages from MQTT, evaluate the rules (and scan new card payments for the
    non-medical-purchase rule) and raise alarms: the ingest service. SIGTERM or Ctrl-C drains: every
    message received is processed and committed before the process exits 0."""
    from bayfin.kernel.observability import database_check

    with open_platform() as platform:
        if not platform.settings.mqtt_url:
            err_console.print("[red]BAYFIN_MQTT_URL is not set[/red]")
            raise typer.Exit(2)
        service = terminals_service(platform)
        service.offline_timeout = timedelta(seconds=offline_timeout)
        stop = threading.Event()
        on_stop_signals(stop.set)
        worker = ingest_worker(service, platform.session_factory, platform.clock, platform.settings.mqtt_url,
                               medical_every=medical_every).start()

        def broker(_timeout: float) -> None:
            if not worker.connection.is_connected():
                raise ConnectionError("the ingest's MQTT connection is down")

        checks = {"database": database_check(platform.engine), "mqtt": broker}
        with serving(platform, "bayfin-terminals-ingest", checks, probe_port) as probe:
            if probe is not None:
                probe.serving = True
            try:
                stop.wait(duration if duration > 0 else None)
            finally:
                if probe is not None:
                    probe.serving = False
                worker.close()
    stats = worker.stats
    emit({"received": stats.received, "messages": stats.messages, "alarms": stats.alarms,
          "refused_provisioning": stats.refused}, as_json=as_json, title="ingest")


@app.command("simulate")
def simulate(terminals: int = typer.Option(2000, help="Fleet size."), seed: int = typer.Option(7),
             duration: float = typer.Option(60, help="Seconds to publish."),
             rate: float = typer.Option(1.0, help="Multiple of the normal message rate (one per 30 s)."),
             as_json: bool = JsonOption) -> None:
    """Register (once) and run a simulated fleet publishing telemetry over MQTT with planted faults."""
    with open_platform() as platform:
        url = platform.settings.mqtt_url
        if not url:
            err_console.print("[red]BAYFIN_MQTT_URL is not set[/red]")
            raise typer.Exit(2)
        fleet = simulator.build_fleet(terminals, seed, platform.clock.now())
        with platform.unit_of_work() as uow, progress("registering fleet", terminals) as advance:
            keys = simulator.register_fleet(uow.session, terminals_service(platform), fleet,
                                            platform.clock.now(), advance)
            uow.commit()
    expected = int(duration * terminals * rate / simulator.NORMAL_INTERVAL_S)
    with progress("publishing telemetry", expected) as advance:
        report = simulator.run(url, fleet, keys, seconds=duration, rate=rate, progress=advance)
    emit({"published": report.published, "seconds": round(report.seconds, 1),
          "per_second": round(report.published / max(report.seconds, 1e-9)),
          **{f"planted_{f}": len(fleet.faulty(f)) for f in simulator.FAULTS}}, as_json=as_json,
         title="simulation")
