"""IoT monitoring of social-security and medical-insurance card terminals (社保/医保支付终端物联网监测).

The operator view's surface, for the API, the CLI and the web console: plain read functions taking a
session and returning data (they do not audit; the caller does).
"""

from bayfin.terminals.views import (
    alarm_queue,
    refusals,
    site_map,
    sites_with_status,
    terminal_history,
)

__all__ = ["alarm_queue", "refusals", "site_map", "sites_with_status", "terminal_history"]
