"""Database engine, sessions and the unit of work, portable across SQLite and PostgreSQL.

The edge (request dependency, CLI command, worker) owns the transaction through :class:`UnitOfWork`:
services only ``flush()``. Side effects registered with :meth:`UnitOfWork.after_commit` run once the
transaction has committed and are dropped on rollback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    DateTime,
    Engine,
    MetaData,
    Table,
    TypeDecorator,
    create_engine,
    event,
    func,
    insert,
    inspect,
    select,
    table,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every bayfin table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def make_engine(database_url: str, *, pool_size: int = 10, echo: bool = False) -> Engine:
    """Create the engine for a URL: SQLite in WAL mode with foreign keys on, or PostgreSQL via psycopg 3."""
    if database_url.startswith("sqlite"):
        path = database_url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(database_url, echo=echo, connect_args={"check_same_thread": False,
                                                                      "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # pysqlite begins transactions lazily and lets a SAVEPOINT start one, so releasing it
            # would commit; take control of BEGIN ourselves (SQLAlchemy's documented recipe).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN")

        return engine
    url = database_url
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size,
                         pool_pre_ping=True)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


class UnitOfWork:
    """One transaction: commits on ``commit()``, rolls back otherwise, then runs after-commit hooks."""

    def __init__(self, session_factory: Callable[[], Session]) -> None:
        self._factory = session_factory
        self.session: Session
        self._after_commit: list[Callable[[], None]] = []
        self._committed = False

    def __enter__(self) -> UnitOfWork:
        self.session = self._factory()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if not self._committed:
                self.session.rollback()
        finally:
            self.session.close()

    def after_commit(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` once this unit of work commits; drop it on rollback."""
        self._after_commit.append(hook)

    def commit(self) -> None:
        """Commit, then run the queued side effects (each failure is logged, none is retried here)."""
        self.session.commit()
        self._committed = True
        hooks, self._after_commit = self._after_commit, []
        for hook in hooks:
            try:
                hook()
            except Exception:
                log.exception("after-commit hook failed", extra={"hook": repr(hook)})

    def rollback(self) -> None:
        """Discard the transaction and its queued side effects."""
        self._after_commit.clear()
        self.session.rollback()


@contextmanager
def transaction(session_factory: Callable[[], Session]) -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back when it raises."""
    with UnitOfWork(session_factory) as uow:
        yield uow.session
        uow.commit()


def insert_new(session: Session, table: Table, rows: Sequence[dict[str, Any]],
               unique_columns: Sequence[str]) -> int:
    """Insert ``rows``, skipping any whose ``unique_columns`` are already taken, in one statement
    (``INSERT … ON CONFLICT DO NOTHING``); returns how many were inserted.

    On PostgreSQL a row racing an uncommitted insert of the same key waits for that transaction and
    is skipped once it commits, so "inserted" means "this transaction claimed the key" — the building
    block of every exactly-once record, without a savepoint to unwind. One statement carries every
    value, so keep ``rows`` to what a claim needs (the driver caps a statement's parameters)."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    stmt: Any
    if dialect == "postgresql":
        stmt = postgresql.insert(table).on_conflict_do_nothing(index_elements=list(unique_columns))
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).on_conflict_do_nothing(index_elements=list(unique_columns))
    else:  # pragma: no cover - another database: each row in a savepoint, a taken key skipped
        inserted = 0
        for row in rows:
            try:
                with session.begin_nested():
                    session.execute(insert(table).values(row))
                inserted += 1
            except IntegrityError:
                continue
        return inserted
    # Count the rows RETURNING gives back: drivers' row counts of a multi-row insert are unreliable
    # (psycopg reports -1 through SQLAlchemy's insertmanyvalues).
    key = table.c[unique_columns[0]]
    return len(session.execute(stmt.values(list(rows)).returning(key)).all())


def ping(engine: Engine) -> None:
    """Open a connection and run a trivial statement: raises ``OperationalError`` when the database
    does not answer."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def row_counts(engine: Engine) -> dict[str, int]:
    """The number of rows in every table of the database, by table name."""
    with engine.connect() as conn:
        return {name: int(conn.execute(select(func.count()).select_from(table(name))).scalar_one())
                for name in sorted(inspect(conn).get_table_names())}


def create_database(server: Engine, name: str) -> None:
    """Create an empty database on ``server``'s PostgreSQL (``name`` is generated, never user text)."""
    with server.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))


def drop_database(server: Engine, name: str) -> None:
    """Drop a database on ``server``'s PostgreSQL, closing its connections first."""
    with server.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
