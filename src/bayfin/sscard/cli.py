"""``bayfin sscard …``: reference data, FX rates, the ISO 8583 switch, settlement, statistics, ledger."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import typer
from sqlalchemy.orm import Session

from bayfin.cli.context import cli_actor, open_platform
from bayfin.cli.output import JsonOption, console, emit, err_console, print_json, refusals
from bayfin.cli.serving import ProbePortOption, on_stop_signals, serving
from bayfin.kernel.money import fen_to_yuan, to_fen
from bayfin.kernel.platform import Platform
from bayfin.sscard.accounts.cards import new_pin
from bayfin.sscard.domain import business_date, currency_alpha, mask_name
from bayfin.sscard.wiring import services

app = typer.Typer(help="Social-security-card financial services (社保卡) across Guangdong, HK and Macau.",
                  no_args_is_help=True)
banks_app = typer.Typer(help="Cooperating banks.", no_args_is_help=True)
channels_app = typer.Typer(help="Registered e-card issuing channels.", no_args_is_help=True)
rates_app = typer.Typer(help="Daily FX rates to CNY.", no_args_is_help=True)
switch_app = typer.Typer(help="The ISO 8583 switch.", no_args_is_help=True)
settlement_app = typer.Typer(help="End-of-day clearing and settlement.", no_args_is_help=True)
stats_app = typer.Typer(help="Cross-border statistics.", no_args_is_help=True)
ledger_app = typer.Typer(help="The double-entry ledger.", no_args_is_help=True)
holders_app = typer.Typer(help="Cardholders.", no_args_is_help=True)
cards_app = typer.Typer(help="Card issuance and counter deposits.", no_args_is_help=True)
for _sub, _name in ((holders_app, "holders"), (cards_app, "cards"), (banks_app, "banks"),
                    (channels_app, "channels"), (rates_app, "rates"),
                    (switch_app, "switch"), (settlement_app, "settlement"), (stats_app, "stats"),
                    (ledger_app, "ledger")):
    app.add_typer(_sub, name=_name)



@app.command("seed")
def seed(as_json: bool = JsonOption) -> None:
    """Load the 13 cooperating banks, 53 channels, daily limits and system accounts (idempotent)."""
    with open_platform() as platform, platform.unit_of_work() as uow:
        report = services(platform).cards.seed(uow.session, platform.clock.now())
        uow.commit()
    emit({"banks_added": report.banks, "channels_added": report.channels,
          "accounts_added": report.accounts}, as_json=as_json, title="sscard seed")


@holders_app.command("register")
def holders_register(name: str = typer.Option(..., help="The holder's name."),
                     id_number: str = typer.Option(..., "--id-number", help="Identity card or permit number "
                                                   "(kept only as a keyed digest and a masked form)."),
                     subject: str = typer.Option(None, help="Identity-platform subject, for self-service."),
                     as_json: bool = JsonOption) -> None:
    """Register a cardholder."""
    with open_platform() as platform, platform.unit_of_work() as uow, refusals():
        holder = services(platform).cards.register_cardholder(uow.session, name=name, id_number=id_number,
                                                              subject=subject, now=platform.clock.now())
        _audit_cli(platform, uow.session, "cardholder.register", "cardholder", holder.id)
        out = {"id": holder.id, "name": mask_name(holder.name), "id_number": holder.id_number_masked,
               "subject": holder.subject}
        uow.commit()
    emit(out, as_json=as_json, title="cardholder registered")


@cards_app.command("issue")
def cards_issue(holder_id: str = typer.Argument(..., help="The cardholder's id (ch_…)."),
                bank: str = typer.Option(..., help="Cooperating bank id, e.g. ICBC."),
                pin_prompt: bool = typer.Option(False, "--pin-prompt",
                                                help="Ask for the PIN (hidden) instead of generating one."),
                as_json: bool = JsonOption) -> None:
    """Issue a physical card with its own account; prints the number, expiry and initial PIN once."""
    pin = typer.prompt("PIN", hide_input=True, confirmation_prompt=True) if pin_prompt else new_pin()
    with open_platform() as platform, platform.unit_of_work() as uow, refusals():
        issued = services(platform).cards.issue_card(uow.session, cardholder_id=holder_id, bank_id=bank,
                                                     now=platform.clock.now(), pin=pin)
        _audit_cli(platform, uow.session, "card.issue", "card", issued.card.id, bank=bank)
        out = {"card_id": issued.card.id, "bank": bank, "state": issued.card.state, "pan": issued.pan,
               "expiry": issued.card.expiry, **({} if pin_prompt else {"initial_pin": pin})}
        uow.commit()
    emit(out, as_json=as_json, title="card issued: give the number and PIN to the holder; they are not kept")


@cards_app.command("deposit")
def cards_deposit(card_id: str = typer.Argument(..., help="The card's id."),
                  amount: str = typer.Option(..., help="Yuan, e.g. 100.00."),
                  reference: str = typer.Option(..., help="Your transaction reference: running the command "
                                                "again with it credits nothing more."),
                  source: str = typer.Option("cli", help="Whose references these are (a counter's id)."),
                  as_json: bool = JsonOption) -> None:
    """Credit a card's account at the counter, exactly once per reference."""
    try:
        fen = to_fen(amount)
        if Decimal(amount.replace(",", "")).as_tuple().exponent < -2:  # type: ignore[operator]
            raise ValueError("more than two decimals")
    except (ValueError, InvalidOperation) as exc:
        err_console.print(f"[red]bad amount {amount!r}: give yuan with at most two decimals[/red]")
        raise typer.Exit(2) from exc
    if fen <= 0:
        err_console.print("[red]a deposit must be positive[/red]")
        raise typer.Exit(2)
    with open_platform() as platform, platform.unit_of_work() as uow, refusals():
        cards = services(platform).cards
        outcome = cards.counter_deposit(uow.session, card_id=card_id, amount_minor=fen, source=source,
                                        reference=reference, requested_by=cli_actor(),
                                        now=platform.clock.now())
        if not outcome.replayed:
            _audit_cli(platform, uow.session, "card.deposit", "card", card_id, amount_minor=fen,
                       reference=reference)
        balance = cards.balance(uow.session, card_id)
        out = {"card_id": card_id, "reference": reference, "amount_yuan": fen_to_yuan(fen),
               "txn_id": outcome.deposit.txn_id, "balance_yuan": fen_to_yuan(balance),
               "replayed": outcome.replayed}
        uow.commit()
    emit(out, as_json=as_json, title="deposit (already made: nothing more credited)" if outcome.replayed
         else "deposit")


def _audit_cli(platform: Platform, session: Session, action: str, subject_type: str, subject_id: str,
               **details: str | int) -> None:
    platform.audit.record(session, actor=cli_actor(), actor_org=None, action=f"sscard.{action}",
                          subject_type=subject_type, subject_id=subject_id, outcome="ok",
                          purpose="command line", details=dict(details))


@banks_app.command("list")
def banks_list(as_json: bool = JsonOption) -> None:
    """List the cooperating banks."""
    with open_platform() as platform, platform.session_factory() as session:
        rows = [{"id": b.id, "name": b.name, "iin": b.iin, "active": b.active}
                for b in services(platform).cards.banks(session)]
    emit(rows, as_json=as_json, title="cooperating banks")


@banks_app.command("add")
def banks_add(bank_id: str = typer.Argument(..., help="Short code, e.g. HSB."),
              name: str = typer.Option(..., help="Bank name."),
              iin: str = typer.Option(..., help="Six-digit issuer identification number.")) -> None:
    """Register another cooperating bank with its settlement accounts."""
    with open_platform() as platform, platform.unit_of_work() as uow, refusals():
        services(platform).cards.add_bank(uow.session, bank_id, name, iin, platform.clock.now())
        uow.commit()
    console.print(f"[green]bank {bank_id} added[/green]")


@channels_app.command("list")
def channels_list(as_json: bool = JsonOption) -> None:
    """List the registered e-card channels."""
    with open_platform() as platform, platform.session_factory() as session:
        rows = [{"id": c.id, "name": c.name, "kind": c.kind, "active": c.active}
                for c in services(platform).cards.channels(session)]
    emit(rows, as_json=as_json, title="e-card channels")


@rates_app.command("set")
def rates_set(currency: int = typer.Option(..., help="ISO 4217 numeric: 344 HKD or 446 MOP."),
              mid: str = typer.Option(..., help="Middle rate, CNY per unit."),
              spread: str = typer.Option("0.005", help="Spread charged on top, e.g. 0.005."),
              day: str = typer.Option(None, "--date", help="Business date (default: today).")) -> None:
    """Load the day's middle rate and spread for a currency."""
    try:
        mid_rate, spread_rate = Decimal(mid), Decimal(spread)
        on = date.fromisoformat(day) if day else None
    except (InvalidOperation, ValueError) as exc:
        err_console.print(f"[red]bad rate or date: {exc}[/red]")
        raise typer.Exit(2) from exc
    with open_platform() as platform, platform.unit_of_work() as uow, refusals():
        on = on or business_date(platform.clock.now())
        services(platform).cards.set_fx_rate(uow.session, on, currency, mid_rate, spread_rate)
        uow.commit()
    console.print(f"[green]{currency_alpha(currency)} {mid_rate} (+{spread_rate}) for {on}[/green]")


@rates_app.command("list")
def rates_list(as_json: bool = JsonOption) -> None:
    """List loaded FX rates, newest first."""
    with open_platform() as platform, platform.session_factory() as session:
        rows = [{"date": r.business_date, "currency": currency_alpha(r.currency), "mid": r.mid_rate,
                 "spread": r.spread} for r in services(platform).cards.recent_fx_rates(session, 60)]
    emit(rows, as_json=as_json, title="FX rates to CNY")


@switch_app.command("serve")
def switch_serve(links_file: Path = typer.Option(..., "--links", help="Link table (JSON): one entry "
                                                 "per acquirer with its address, port and zone key."),
                 workers: int = typer.Option(8, help="Database worker threads per link."),
                 probe_port: int = ProbePortOption) -> None:
    """Run the ISO 8583 switch (2-byte length-prefixed frames), one listener per acquirer link,
    until SIGTERM or Ctrl-C, which drain: no new connections, every message being processed is
    answered, then exit 0."""
    from bayfin.kernel.observability import database_check
    from bayfin.sscard.switch.links import load_links
    from bayfin.sscard.switch.server import SwitchServer

    links = load_links(links_file)
    with open_platform() as platform, serving(platform, "bayfin-switch", {
            "database": database_check(platform.engine)}, probe_port) as probe:
        processor = services(platform).processor(platform, {ln.acquirer_id: ln.zone_key for ln in links})
        servers = [SwitchServer(processor, link, workers=workers) for link in links]

        async def run() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            on_stop_signals(stop.set, loop)
            for server in servers:
                bound = await server.start()
                err_console.print(f"sscard switch listening on {bound[0]}:{bound[1]} "
                                  f"for acquirer {server.link.acquirer_id}")
            if probe is not None:
                probe.serving = True
            await stop.wait()
            if probe is not None:
                probe.serving = False
            # Every link drains at once, so the whole drain stays within one grace period.
            await asyncio.gather(*(server.close() for server in servers))

        asyncio.run(run())
        err_console.print("switch stopped")


@switch_app.command("probe")
def switch_probe(host: str = typer.Option("127.0.0.1"), port: int = typer.Option(8583),
                 acquirer: str = typer.Option(..., help="The link's acquirer id (field 32)."),
                 as_json: bool = JsonOption) -> None:
    """Send an 0800 echo test to a running switch and show the answer."""
    from bayfin.sscard.switch.acquirer import Acquirer, SwitchConnection

    async def probe() -> dict[str, str]:
        conn = await SwitchConnection.open(host, port)
        try:
            return await conn.call(Acquirer(acquirer_id=acquirer).echo(), timeout=5)
        finally:
            await conn.close()

    reply = asyncio.run(probe())
    emit(reply, as_json=as_json, title="echo test")
    if reply.get("39") != "00":
        raise typer.Exit(1)


@switch_app.command("expire-holds")
def switch_expire_holds(days: int = typer.Option(7, min=1, help="Release holds older than this."),
                        as_json: bool = JsonOption) -> None:
    """Release authorization holds (0100) never completed nor reversed within ``--days`` days."""
    from datetime import timedelta

    with open_platform() as platform:
        released = services(platform).expire_holds(platform, now=platform.clock.now(),
                                                   older_than=timedelta(days=days))
    emit({"released": released}, as_json=as_json, title="expired holds")


@settlement_app.command("run")
def settlement_run(day: str = typer.Option(None, "--date", help="Business date (default: today)."),
                   out: Path = typer.Option(Path("var/sscard/settlement"), help="Output folder."),
                   as_json: bool = JsonOption) -> None:
    """Write the day's settlement files per bank and currency; exit 1 unless all reconcile to zero."""
    with open_platform() as platform, platform.session_factory() as session:
        on = date.fromisoformat(day) if day else business_date(platform.clock.now())
        svc = services(platform)
        lines = svc.clearing(session, on)
    svc.write_settlement_files(lines, on, out)
    rows = [{"bank": ln.bank_id, "currency": currency_alpha(ln.currency), "count": ln.count,
             "gross": ln.gross_minor, "reversed": ln.reversed_minor, "net": ln.net_minor,
             "ledger": ln.ledger_net_minor, "difference": ln.difference_minor} for ln in lines]
    emit(rows, as_json=as_json, title=f"settlement {on} (minor units) → {out / on.isoformat()}")
    if any(ln.difference_minor for ln in lines):
        raise typer.Exit(1)


@stats_app.command("cross-border")
def stats_cross_border(start: str = typer.Option(..., "--from", help="First business date."),
                       end: str = typer.Option(..., "--to", help="Last business date."),
                       as_json: bool = JsonOption) -> None:
    """Standing cross-border transactions: count and CNY amount by region and type, with totals."""
    with open_platform() as platform, platform.session_factory() as session:
        stats = services(platform).cross_border_stats(session, date.fromisoformat(start),
                                                      date.fromisoformat(end))
    rows = [{"region": x.region, "type": x.txn_type, "count": x.count,
             "amount_yuan": Decimal(x.amount_cny_minor) / 100} for x in stats]
    rows.append({"region": "all", "type": "all", "count": sum(x.count for x in stats),
                 "amount_yuan": Decimal(sum(x.amount_cny_minor for x in stats)) / 100})
    emit(rows, as_json=as_json, title="cross-border transactions")


@ledger_app.command("check")
def ledger_check(as_json: bool = JsonOption) -> None:
    """Verify the ledger balances per currency and matches its entries; exit 1 if not."""
    with open_platform() as platform, platform.session_factory() as session:
        report = services(platform).check_ledger(session)
    totals = {currency_alpha(c): t for c, t in report.currency_totals.items()}
    result = {"ok": report.ok, "currency_totals": totals,
              "foreign_currency_entries": report.foreign_currency_entries,
              "negative_holder_accounts": report.negative_holder_accounts,
              "balance_mismatches": report.balance_mismatches}
    if as_json:
        print_json(result)
    else:
        emit(result, as_json=False, title="ledger check")
    if not report.ok:
        raise typer.Exit(1)
