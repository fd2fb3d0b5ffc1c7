"""Alembic environment: runs against the connection bayfin hands it, or the configured URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from bayfin import registry
from bayfin.kernel.db import Base, make_engine

registry.load_models()
target_metadata = Base.metadata
config = context.config


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate using a given connection (bayfin db upgrade) or a fresh engine (alembic CLI)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from bayfin.kernel.settings import get_settings

    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = make_engine(url)
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


def run_migrations_offline() -> None:
    """Write the SQL for a DBA to review instead of running it (``bayfin db upgrade --sql``)."""
    url = config.get_main_option("sqlalchemy.url") or "postgresql://"
    if url.startswith("sqlite"):
        # SQLite alters tables by copying them (batch mode), which needs the live table to copy.
        raise SystemExit("offline SQL is generated for PostgreSQL; SQLite is migrated online")
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True,
                      dialect_opts={"paramstyle": "named"}, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
