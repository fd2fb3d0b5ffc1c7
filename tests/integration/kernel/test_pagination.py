"""Keyset paging on a real table, on SQLite and PostgreSQL: ties in the sort columns, both
directions, no row missed or repeated, the key surviving its trip through a cursor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bayfin.identity.core.models import Organization
from bayfin.kernel.pagination import CursorCodec, PageRequest, keyset, split

CODEC = CursorCodec(b"integration-test-secret-0123456789")
T0 = datetime(2026, 3, 1, 8, 0, 0, 123000, tzinfo=UTC)


@pytest.fixture
def organizations(session):
    rows = [Organization(id=f"org-{i:02d}", code=f"PAGE-{(i * 7) % 23:02d}", name=f"firm {i}",
                         org_type=("institution", "enterprise", "regulator")[i % 3],
                         created_at=T0 + timedelta(seconds=i % 4))  # four instants, many ties
            for i in range(23)]
    session.add_all(rows)
    session.flush()
    return rows


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("columns", ["time", "type"])
def test_walking_pages_returns_every_row_once_in_order(session, organizations, columns, descending):
    sort = ([Organization.created_at, Organization.id] if columns == "time"
            else [Organization.org_type, Organization.code])

    def key(org: Organization) -> tuple[object, ...]:
        return tuple(getattr(org, c.key) for c in sort)

    mine = select(Organization).where(Organization.code.like("PAGE-%"))
    expected = sorted(organizations, key=key, reverse=descending)
    seen: list[Organization] = []
    cursor: str | None = None
    for _ in range(20):
        page = PageRequest(limit=4, after=CODEC.decode("orgs", cursor) if cursor else None)
        rows = session.scalars(keyset(mine, sort, page, descending=descending)).all()
        kept, after = split(rows, page, key)
        seen += kept
        if after is None:
            break
        cursor = CODEC.encode("orgs", after)
    assert [o.id for o in seen] == [o.id for o in expected]
