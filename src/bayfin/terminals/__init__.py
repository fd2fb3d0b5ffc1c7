"""IoT monitoring of social-security and medical-insurance card terminals (社保/医保支付终端物联网监测).

The surface, for the API, the CLI and the web console: the operator view's read functions taking a
session and returning plain data (they do not audit; the caller does), the service with its publisher
interface, and the signed-message helpers the devices (and the simulator) speak.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bayfin.kernel.surface import lazy_surface

if TYPE_CHECKING:
    from bayfin.terminals.ingest import IngestConnection, IngestWorker
    from bayfin.terminals.service import (
        PROVISION_REQUEST,
        TOPIC_ROOT,
        MemoryPublisher,
        ProvisionResult,
        Publisher,
        TerminalsService,
        decode_signed,
        encode_signed,
    )
    from bayfin.terminals.views import (
        AlarmRow,
        RefusalRow,
        SiteRow,
        TerminalHistory,
        TerminalRow,
        alarm_queue,
        refusals,
        site_map,
        sites_with_status,
        terminal_history,
        terminal_rows,
    )
    from bayfin.terminals.wiring import TERMINALS

_WHERE = {
    "AlarmRow": "bayfin.terminals.views", "RefusalRow": "bayfin.terminals.views",
    "SiteRow": "bayfin.terminals.views", "TerminalHistory": "bayfin.terminals.views",
    "TerminalRow": "bayfin.terminals.views", "alarm_queue": "bayfin.terminals.views",
    "refusals": "bayfin.terminals.views",
    "site_map": "bayfin.terminals.views", "sites_with_status": "bayfin.terminals.views",
    "terminal_history": "bayfin.terminals.views", "terminal_rows": "bayfin.terminals.views",
    "PROVISION_REQUEST": "bayfin.terminals.service", "TOPIC_ROOT": "bayfin.terminals.service",
    "MemoryPublisher": "bayfin.terminals.service", "ProvisionResult": "bayfin.terminals.service",
    "Publisher": "bayfin.terminals.service", "TerminalsService": "bayfin.terminals.service",
    "decode_signed": "bayfin.terminals.service", "encode_signed": "bayfin.terminals.service",
    "TERMINALS": "bayfin.terminals.wiring", "IngestConnection": "bayfin.terminals.ingest",
    "IngestWorker": "bayfin.terminals.ingest",
}

__all__ = [
    "PROVISION_REQUEST",
    "TERMINALS",
    "TOPIC_ROOT",
    "AlarmRow",
    "IngestConnection",
    "IngestWorker",
    "MemoryPublisher",
    "ProvisionResult",
    "Publisher",
    "RefusalRow",
    "SiteRow",
    "TerminalHistory",
    "TerminalRow",
    "TerminalsService",
    "alarm_queue",
    "decode_signed",
    "encode_signed",
    "refusals",
    "site_map",
    "sites_with_status",
    "terminal_history",
    "terminal_rows",
]

__getattr__, __dir__ = lazy_surface(__name__, _WHERE)
