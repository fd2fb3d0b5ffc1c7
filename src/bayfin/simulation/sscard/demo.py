"""Demo data: the banks and channels, today's rates, a few holders with cards and e-cards, and some
Hong Kong and Macau traffic through the switch so statistics and settlement have something to show."""

from __future__ import annotations

import random
import secrets
from decimal import Decimal
from pathlib import Path
from typing import Any

from bayfin.kernel.platform import Platform
from bayfin.sscard import (
    BANKS,
    DEFAULT_RATES,
    Acquirer,
    CardData,
    CardState,
    Link,
    LinkSession,
    business_date,
    seeded_channels,
    services,
)

_NAMES = ["陈大文", "李小红", "黄志明", "张美玲", "何家豪", "梁淑仪", "吴国强", "林嘉欣"]


def seed_demo(platform: Platform, workdir: Path, seed: int) -> dict[str, Any]:
    """Seed reference data and a few cardholders, then run a little cross-border traffic (once: a
    rerun of the demo finds the holders there and changes nothing)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
    svc = services(platform)
    now = platform.clock.now()
    with platform.session_factory() as session:
        if svc.cards.cardholder_by_subject(session, "demo-citizen-1") is not None:
            return {"cardholders": len(_NAMES), "banks": len(BANKS),
                    "channels": len(seeded_channels()), "switch_messages": 0, "approved": 0}
    pans: list[str] = []
    card_data: dict[str, CardData] = {}
    with platform.unit_of_work() as uow:
        session = uow.session
        svc.cards.seed(session, now)
        for currency, (mid, spread) in DEFAULT_RATES.items():
            svc.cards.set_fx_rate(session, business_date(now), currency, Decimal(mid), Decimal(spread))
        for i, name in enumerate(_NAMES):
            holder = svc.cards.register_cardholder(
                session, name=name, id_number=f"4401061985{rng.randrange(10**7):07d}{i}", now=now,
                subject=f"demo-citizen-{i + 1}")
            bank_id = BANKS[i % len(BANKS)][0]
            pin = f"{rng.randrange(10_000):04d}"
            issued = svc.cards.issue_card(session, cardholder_id=holder.id, bank_id=bank_id, now=now,
                                          pin=pin)
            card_data[issued.pan] = CardData(issued.card.expiry or "", pin)
            svc.cards.change_state(session, issued.card.id, CardState.active, now)
            svc.cards.deposit(session, issued.card.id, rng.randrange(200_000, 2_000_000), now)
            channel = seeded_channels()[rng.randrange(53)][0]
            svc.cards.issue_ecard(session, physical_card_id=issued.card.id, channel_id=channel, now=now)
            pans.append(issued.pan)
        uow.commit()
    # Two acquirer links with throw-away zone keys: sign on and exchange keys like a real host.
    zone_keys = {"34400001": secrets.token_bytes(16), "44600001": secrets.token_bytes(16)}
    processor = svc.processor(platform, zone_keys)
    acquirers = [Acquirer("34400001", 344, "HKPOS001", start_stan=rng.randrange(1, 900_000),
                          zone_key=zone_keys["34400001"], cards=card_data),
                 Acquirer("44600001", 446, "MOATM001", start_stan=rng.randrange(1, 900_000),
                          zone_key=zone_keys["44600001"], cards=card_data)]
    sessions = {acq.acquirer_id: LinkSession(Link(acq.acquirer_id)) for acq in acquirers}
    for acq in acquirers:
        acq.sign_on_locally(processor, sessions[acq.acquirer_id])
    approved = 0
    for _ in range(24):
        acq = rng.choice(acquirers)
        kind = rng.choice(["purchase", "purchase", "withdrawal", "balance"])
        request = acq.request("0200", kind, rng.choice(pans), rng.randrange(1_000, 80_000), acq.country)
        approved += acq.call_locally(processor, sessions[acq.acquirer_id], request)["39"] == "00"
    return {"cardholders": len(_NAMES), "banks": len(BANKS), "channels": len(seeded_channels()),
            "switch_messages": 24, "approved": approved}
