"""``bayfin tokens …``: token requestors, vault master keys (status, online rotation), webhook retries,
and the bank outbox worker (reversals and refunds owed to banks)."""

from __future__ import annotations

import typer

from bayfin.cli.context import open_platform
from bayfin.cli.output import JsonOption, emit, progress, refusals
from bayfin.cli.serving import ProbePortOption
from bayfin.kernel.security import Principal
from bayfin.tokens import repository as repo
from bayfin.tokens.wiring import tokens_runtime

app = typer.Typer(help="Payment tokenisation (Token 2.0) and the multi-bank wallet.", no_args_is_help=True)
requestors_app = typer.Typer(help="Token requestors (wallets, merchants, payment institutions).",
                             no_args_is_help=True)
keys_app = typer.Typer(help="The vault's master keys.", no_args_is_help=True)
webhooks_app = typer.Typer(help="Notifications to requestors.", no_args_is_help=True)
payments_app = typer.Typer(help="Payments by token: reversals and refunds owed to banks.",
                           no_args_is_help=True)
for _sub, _name in ((requestors_app, "requestors"), (keys_app, "keys"), (webhooks_app, "webhooks"),
                    (payments_app, "payments")):
    app.add_typer(_sub, name=_name)

CLI_ACTOR = Principal(subject="cli", organization_type="operator")

@requestors_app.command("add")
def requestors_add(name: str = typer.Option(...),
                   client_id: str = typer.Option(..., help="Identity client id."),
                   kind: str = typer.Option("wallet", help="wallet, merchant or payment_institution"),
                   merchant: list[str] = typer.Option([], help="Allowed merchant id (repeat)."),
                   channel: list[str] = typer.Option([], help="in_app, ecommerce, qr or nfc (repeat)."),
                   webhook_url: str | None = typer.Option(None), as_json: bool = JsonOption) -> None:
    """Register a token requestor; prints its 11-digit id and webhook secret (shown once)."""
    with refusals(), open_platform() as platform, platform.unit_of_work() as uow:
        service = tokens_runtime(platform).service
        found = service.register_requestor(uow.session, CLI_ACTOR, name=name, kind=kind, client_id=client_id,
                                           merchants=merchant, channels=channel, webhook_url=webhook_url)
        uow.commit()
        emit({"id": found.id, "client_id": found.client_id,
              "webhook_secret": service.shown_webhook_secret(found.id)}, as_json=as_json, title="requestor")


@requestors_app.command("list")
def requestors_list(as_json: bool = JsonOption) -> None:
    """Every registered requestor."""
    with open_platform() as platform, platform.unit_of_work() as uow:
        rows = [{"id": r.id, "name": r.name, "kind": r.kind, "client_id": r.client_id,
                 "merchants": ",".join(r.merchants), "channels": ",".join(r.channels),
                 "webhook_url": r.webhook_url} for r in repo.requestors(uow.session)]
    emit(rows, as_json=as_json, title="token requestors")


@keys_app.command("status")
def keys_status(as_json: bool = JsonOption) -> None:
    """How many vault records each master key wraps, and which key is active."""
    with open_platform() as platform, platform.unit_of_work() as uow:
        ring = tokens_runtime(platform).service.keys.ring
        counts = repo.count_by_master_key(uow.session)
    rows = [{"master_key": key, "active": key == ring.active, "records": counts.get(key, 0),
             "in_ring": key in ring.ids} for key in sorted(set(counts) | set(ring.ids))]
    emit(rows, as_json=as_json, title="vault master keys")


@keys_app.command("rotate")
def keys_rotate(batch: int = typer.Option(500, min=1, max=50_000, help="Records per transaction."),
                as_json: bool = JsonOption) -> None:
    """Re-wrap every data key under the active master key (``BAYFIN_TOKENS_ACTIVE_MASTER_KEY``), one
    batch per transaction; the old key still decrypts meanwhile, so the service keeps running."""
    done = 0
    with open_platform() as platform:
        service = tokens_runtime(platform).service
        with platform.unit_of_work() as uow:
            counts = repo.count_by_master_key(uow.session)
        todo = sum(n for key, n in counts.items() if key != service.keys.ring.active)
        with progress("re-wrapping data keys", todo) as advance:
            while True:
                with platform.unit_of_work() as uow:
                    n = service.rewrap_batch(uow.session, batch)
                    uow.commit()
                if n == 0:
                    break
                done += n
                advance(n)
    emit({"rewrapped": done, "active_master_key": service.keys.ring.active}, as_json=as_json,
         title="rotation")


@webhooks_app.command("retry")
def webhooks_retry(limit: int = typer.Option(500, min=1), as_json: bool = JsonOption) -> None:
    """Send the notifications whose retry time has come."""
    with open_platform() as platform:
        delivered, failed = tokens_runtime(platform).webhooks.dispatch_due(limit)
    emit({"delivered": delivered, "not_delivered": failed}, as_json=as_json, title="webhooks")


@payments_app.command("work")
def payments_work(once: bool = typer.Option(False, "--once", help="One round, then exit."),
                  interval: float = typer.Option(5.0, min=0.1, help="Seconds between rounds."),
                  limit: int = typer.Option(500, min=1, help="Rows per round."),
                  probe_port: int | None = ProbePortOption,
                  as_json: bool = JsonOption) -> None:
    """Send banks the reversals and refunds they are owed until each is acknowledged, and reverse
    payments left waiting for their issuer by a process that died (run it as a service). SIGTERM or
    Ctrl-C finishes the round in hand and exits 0."""
    import threading

    from bayfin.cli.serving import on_stop_signals, serving
    from bayfin.kernel.observability import database_check

    with open_platform() as platform:
        outbox = tokens_runtime(platform).bank_outbox
        outbox.background = False
        if once:
            acknowledged, owed = outbox.process_due(limit)
            emit({"acknowledged": acknowledged, "still_owed": owed}, as_json=as_json, title="bank outbox")
            return
        stop = threading.Event()
        on_stop_signals(stop.set)
        checks = {"database": database_check(platform.engine)}
        with serving(platform, "bayfin-tokens-outbox", checks, probe_port) as probe:
            if probe is not None:
                probe.serving = True
            while not stop.is_set():
                outbox.process_due(limit)
                stop.wait(interval)
            if probe is not None:
                probe.serving = False
