"""``bayfin monitoring …``: run the post-loan monitoring scan and push pending webhooks."""

from __future__ import annotations

import typer

from bayfin.cli.context import open_platform
from bayfin.cli.output import JsonOption, emit
from bayfin.consent import ConsentService
from bayfin.creditreport.monitoring import Monitoring, deliver, undelivered
from bayfin.kernel.outbound import OutboundPolicy

cli_name = "monitoring"
app = typer.Typer(help="Post-loan monitoring of firms under periodic consents.", no_args_is_help=True)


@app.command("scan")
def scan(as_json: bool = JsonOption) -> None:
    """Compare every watched firm with its last snapshot; record and push the changes."""
    with open_platform() as platform:
        with platform.unit_of_work() as uow:
            consents = ConsentService(uow.session, platform.audit, platform.clock,
                                      platform.tokens.keys)
            summary = Monitoring(uow.session, consents, platform.audit, platform.clock,
                                 OutboundPolicy.from_settings(platform.settings)).scan()
            uow.commit()
        summary["webhooks_delivered"] = deliver(platform.session_factory, summary["notifications"],
                                                OutboundPolicy.from_settings(platform.settings),
                                                clock=platform.clock)
    summary["notifications"] = len(summary["notifications"])
    emit(summary, as_json=as_json, title="monitoring scan")


@app.command("deliver")
def deliver_pending(as_json: bool = JsonOption) -> None:
    """Retry webhook notifications that have not been delivered yet."""
    with open_platform() as platform:
        with platform.session_factory() as session:
            pending = undelivered(session)
        delivered = deliver(platform.session_factory, pending,
                            OutboundPolicy.from_settings(platform.settings), clock=platform.clock)
    emit({"pending": len(pending), "delivered": delivered}, as_json=as_json, title="webhooks")
