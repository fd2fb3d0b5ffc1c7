"""sscard_0002 gives cards issued before it the expiry new cards get, in SQL alone (it also runs offline)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bayfin import migrations
from bayfin.kernel.db import make_engine, make_session_factory, transaction
from bayfin.sscard.accounts.cards import CardService, card_expiry
from bayfin.sscard.accounts.ledger import AccountDirectory
from bayfin.sscard.models import Card
from tests.conftest import _postgres_database
from tests.integration.sscard.conftest import PAN_KEY

# the last half hour of a year in UTC (already the next year east of UTC), a leap day, a plain date
ISSUED = [datetime(2026, 12, 31, 23, 30, tzinfo=UTC), datetime(2028, 2, 29, 12, 0, tzinfo=UTC),
          datetime(2096, 7, 1, 0, 0, 0, 1, tzinfo=UTC)]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bayfin.db'}"
        return
    gen = _postgres_database(f"bayfin_sscard_mig_{os.getpid()}_{uuid.uuid4().hex[:8]}")
    yield next(gen)
    gen.close()


def test_cards_issued_before_sscard_0002_expire_five_years_after_issuance(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    try:
        migrations.upgrade(engine)
        factory = make_session_factory(engine)
        cards = CardService(PAN_KEY, AccountDirectory())
        with transaction(factory) as s:
            cards.seed(s, ISSUED[0])
            for n, issued in enumerate(ISSUED):
                holder = cards.register_cardholder(s, name=f"h{n}", id_number=f"4401061990010100{n}X",
                                                   now=issued)
                cards.issue_card(s, cardholder_id=holder.id, bank_id="ICBC", now=issued)
            s.execute(update(Card).values(expiry=None))
        migrations.downgrade(engine, "sscard_0001")  # the cards as the previous release left them
        migrations.upgrade(engine)
        with factory() as s:
            found = sorted((c.issued_at, c.expiry) for c in s.scalars(select(Card)))
        assert found == [(issued, card_expiry(issued)) for issued in ISSUED]
        assert [expiry for _, expiry in found] == ["3112", "3302", "0107"]
    finally:
        engine.dispose()
