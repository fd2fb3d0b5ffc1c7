import logging
import threading

from bayfin.kernel.audit import AuditLog, AuditSealer


class _OutageLog(AuditLog):
    """An audit log whose database fails, recovers, then fails again, round by round."""

    def __init__(self, script: str) -> None:
        super().__init__(b"k" * 32)
        self.script = script  # one character per sealing round: "x" fails, "." succeeds
        self.round = 0
        self.done = threading.Event()

    def seal_all(self, session_factory, batch=5000):
        step = self.script[self.round] if self.round < len(self.script) else "."
        self.round += 1
        if self.round >= len(self.script):
            self.done.set()
        if step == "x":
            raise RuntimeError('relation "audit_head" does not exist')
        return 0


def test_a_sealer_logs_each_outage_once_not_every_round(caplog):
    audit = _OutageLog("xxxxxx..xxx.")
    sealer = AuditSealer(audit, session_factory=lambda: None, interval=0.005)
    with caplog.at_level(logging.ERROR, logger="bayfin.kernel.audit"):
        sealer.start()
        assert audit.done.wait(5)
        sealer._stop.set()
        sealer._thread.join(5)
    failures = [r for r in caplog.records if "audit sealing failed" in r.getMessage()]
    assert len(failures) == 2  # two outages, nine failed rounds
